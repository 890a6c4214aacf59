// xv6's vmprint, formatted by hand into a buffer that goes out in large writes: the
// kernel table of a large machine is tens of thousands of lines.
#include <stdbool.h>
#include <string.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

#define LINE_MAX_BYTES 96 // longer than the longest line, " .. .. ..0x<16>: pte 0x<16> pa 0x<16>"

struct outbuf {
  FILE *out;
  enum edition_vmprint fmt;
  size_t n;
  char buf[16384];
};

static void flush(struct outbuf *b) {
  fwrite(b->buf, 1, b->n, b->out);
  b->n = 0;
}

// "0x" and 16 lowercase hex digits, as xv6's %p prints: two digits per byte of v, from a
// table of the 256 pairs, which keeps each digit's store independent of the others.
static char *put_ptr(char *p, uint64_t v) {
  static const char pairs[513] =
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
      "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
      "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
      "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
  *p++ = '0';
  *p++ = 'x';
  for (int i = 7; i >= 0; i--, v >>= 8)
    memcpy(p + 2 * i, pairs + 2 * (v & 0xff), 2);
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

// The va a 2024/2025 handout's vmprint prints for e: the root level's part i << 30, as
// an int (sign-extended) when sign is set, plus the lower levels' parts.
static uint64_t handout_va(const struct pt_entry *e, bool sign) {
  uint64_t va = e->va & ((1ULL << 39) - 1), root = va & ~((1ULL << 30) - 1);
  if (sign)
    root = (uint64_t)(int64_t)(int32_t)(uint32_t)root;
  return root + (va & ((1ULL << 30) - 1));
}

// One line of xv6's vmprint for e in the edition's format: one ".." per level below the
// root's (2021 on, each after a space), the index or (2024 on) the va, the PTE and the pa
// it names.
static char *put_line(char *p, const struct pt_entry *e, enum edition_vmprint fmt) {
  for (int d = 2; d >= e->level; d--)
    p = put_str(p, d == 2 && fmt == EDITION_VMPRINT_DOTS ? ".." : " ..");
  if (fmt == EDITION_VMPRINT_VA_INT || fmt == EDITION_VMPRINT_VA)
    p = put_ptr(p, handout_va(e, fmt == EDITION_VMPRINT_VA_INT));
  else
    p = put_index(p, e->index);
  p = put_str(p, ": pte ");
  p = put_ptr(p, e->pte);
  p = put_str(p, " pa ");
  p = put_ptr(p, PTE2PA(e->pte));
  *p++ = '\n';
  return p;
}

// Append e's line to the buffer, flushing it first when the line might not fit.
static enum pt_step print_entry(void *ctx, const struct pt_entry *e) {
  struct outbuf *b = ctx;
  if (sizeof(b->buf) - b->n < LINE_MAX_BYTES)
    flush(b);
  b->n = (size_t)(put_line(b->buf + b->n, e, b->fmt) - b->buf);
  return PT_CONTINUE;
}

void render_vmprint(struct machine *m, uint64_t pagetable, FILE *out) {
  struct outbuf b = {.out = out, .fmt = m->cfg.edition->vmprint};
  char *p = put_str(b.buf, "page table ");
  p = put_ptr(p, pagetable);
  *p++ = '\n';
  b.n = (size_t)(p - b.buf);
  pt_walk(&m->hw.ram, pagetable, print_entry, &b);
  flush(&b);
}
