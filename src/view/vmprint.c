// xv6's vmprint, formatted by hand into a buffer that goes out in large writes: the
// kernel table of a large machine is tens of thousands of lines.
#include <string.h>

#include "sv39sim/xv6/machine.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

#define LINE_MAX_BYTES 96 // longer than the longest line, ".. .. ..511: pte 0x<16> pa 0x<16>"

struct outbuf {
  FILE *out;
  size_t n;
  char buf[16384];
};

static void flush(struct outbuf *b) {
  fwrite(b->buf, 1, b->n, b->out);
  b->n = 0;
}

// "0x" and 16 lowercase hex digits, as xv6's %p prints.
static char *put_ptr(char *p, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  *p++ = '0';
  *p++ = 'x';
  for (int i = 15; i >= 0; i--, v >>= 4)
    p[i] = digits[v & 15];
  return p + 16;
}

static char *put_str(char *p, const char *s) {
  size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

// An index below 512 in decimal.
static char *put_index(char *p, unsigned i) {
  if (i >= 100)
    *p++ = (char)('0' + i / 100);
  if (i >= 10)
    *p++ = (char)('0' + i / 10 % 10);
  *p++ = (char)('0' + i % 10);
  return p;
}

static void vmprint_level(struct machine *m, uint64_t table, int depth, struct outbuf *b) {
  uint64_t pte[512];
  ram_read(&m->hw.ram, table, pte, sizeof(pte)); // the caller checked it lies in RAM
  for (unsigned i = 0; i < 512; i++) {
    if ((pte[i] & PTE_V) == 0)
      continue;
    if (sizeof(b->buf) - b->n < LINE_MAX_BYTES)
      flush(b);
    char *p = b->buf + b->n;
    for (int d = 0; d < depth; d++)
      p = put_str(p, d == 0 ? ".." : " ..");
    p = put_index(p, i);
    p = put_str(p, ": pte ");
    p = put_ptr(p, pte[i]);
    p = put_str(p, " pa ");
    p = put_ptr(p, PTE2PA(pte[i]));
    *p++ = '\n';
    b->n = (size_t)(p - b->buf);
    uint64_t child = PTE2PA(pte[i]);
    if ((pte[i] & (PTE_R | PTE_W | PTE_X)) == 0 && depth < 3 &&
        ram_contains(&m->hw.ram, child, PGSIZE) && child % PGSIZE == 0)
      vmprint_level(m, child, depth + 1, b);
  }
}

void render_vmprint(struct machine *m, uint64_t pagetable, FILE *out) {
  struct outbuf b = {.out = out};
  char *p = put_str(b.buf, "page table ");
  p = put_ptr(p, pagetable);
  *p++ = '\n';
  b.n = (size_t)(p - b.buf);
  if (ram_contains(&m->hw.ram, pagetable, PGSIZE) && pagetable % PGSIZE == 0)
    vmprint_level(m, pagetable, 1, &b);
  flush(&b);
}
