// The page-table tree as JSON, for `vmprint --json` and `json`, streamed: each entry is
// formatted by hand into a buffer as the walk meets it, so any table goes out in constant
// memory and at fprintf's speed or better. The bytes are the ones cJSON prints for the same
// tree (cJSON_Print when formatted, cJSON_PrintUnformatted otherwise); tests/test_render.c
// parses the text back and prints it with cJSON to check that.
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

#define ENTRY_MAX_BYTES 512 // more than one entry's object, formatted at the deepest level

// "0x" and v in lowercase hex without leading zeros ("0x0" for 0), at p; returns the end.
static char *put_hex(char *p, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = digits[v & 15];
    v >>= 4;
  } while (v != 0);
  *p++ = '0';
  *p++ = 'x';
  while (n > 0)
    *p++ = tmp[--n];
  return p;
}

void render_json_hex(cJSON *o, const char *key, uint64_t v) {
  char buf[19];
  *put_hex(buf, v) = '\0';
  cJSON_AddStringToObject(o, key, buf);
}

struct count {
  unsigned long n, limit;
};

// Count e; stop once the count passes the limit.
static enum pt_step count_entry(void *ctx, const struct pt_entry *e) {
  (void)e;
  struct count *c = ctx;
  return ++c->n > c->limit ? PT_STOP : PT_CONTINUE;
}

unsigned long render_count_entries(struct machine *m, uint64_t root, unsigned long limit) {
  struct count c = {0, limit};
  pt_walk(&m->hw.ram, root, count_entry, &c);
  return c.n;
}

// The stream: the output buffer, and where the walk is in the nesting. Entries at level
// l are items of the array of level l (the root's "entries" for l = 2); depth is the
// level whose array the next entry of the walk joins unless it climbs back up, and
// any[l] says whether the array of level l has an item yet (for the comma).
struct stream {
  FILE *out;
  bool fmt;
  int depth;
  bool any[3];
  size_t n;
  char buf[32768];
};

static void flush(struct stream *s) {
  fwrite(s->buf, 1, s->n, s->out);
  s->n = 0;
}

static char *put_str(char *p, const char *str) {
  size_t n = strlen(str);
  memcpy(p, str, n);
  return p + n;
}

static char *put_tabs(char *p, int n) {
  while (n-- > 0)
    *p++ = '\t';
  return p;
}

// A non-negative number below 2^31 in decimal, as cJSON prints an integral value.
static char *put_uint(char *p, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0)
    *p++ = tmp[--n];
  return p;
}

// A key and what separates it from its value: `"key":` and, formatted, a newline-led
// indent before and a tab after (cJSON's object layout; the first key follows "{\n").
static char *put_key(const struct stream *s, char *p, int tabs, const char *key, bool first) {
  if (!first)
    *p++ = ',';
  if (s->fmt) {
    if (!first)
      *p++ = '\n';
    p = put_tabs(p, tabs);
  }
  *p++ = '"';
  p = put_str(p, key);
  *p++ = '"';
  *p++ = ':';
  if (s->fmt)
    *p++ = '\t';
  return p;
}

// put_hex's text as a JSON string.
static char *put_hex_string(char *p, uint64_t v) {
  *p++ = '"';
  p = put_hex(p, v);
  *p++ = '"';
  return p;
}

// The end of an object whose keys were indented tabs deep.
static char *put_close(const struct stream *s, char *p, int tabs) {
  if (s->fmt) {
    *p++ = '\n';
    p = put_tabs(p, tabs - 1);
  }
  *p++ = '}';
  return p;
}

// How deep cJSON indents the keys of an entry at level l: the root object's keys at 1, and
// each array and object below adds one.
static int key_tabs(int level) {
  return 7 - 2 * level;
}

// Close the arrays of the levels below level that are open, and the entries that hold
// them, so that the next item joins the array of level.
static char *climb(struct stream *s, char *p, int level) {
  for (; s->depth < level; s->depth++) {
    *p++ = ']';
    p = put_close(s, p, key_tabs(s->depth + 1));
  }
  return p;
}

// e's object, in cJSON's key order; an entered table pointer is left open in its
// "entries" array, which the entries of its table join.
static enum pt_step put_entry(void *ctx, const struct pt_entry *e) {
  // Bits 0..7, then bit 8 (RSW), the cow lab's PTE_COW.
  static const char *const flag_names[] = {"V", "R", "W", "X", "U", "G", "A", "D", "COW"};
  struct stream *s = ctx;
  if (sizeof(s->buf) - s->n < ENTRY_MAX_BYTES)
    flush(s);
  char *p = climb(s, s->buf + s->n, e->level);
  uint64_t pte = e->pte, span = 1ULL << PXSHIFT(e->level);
  bool leaf = PTE_LEAF(pte);
  int tabs = key_tabs(e->level);
  if (s->any[e->level]) {
    *p++ = ',';
    if (s->fmt)
      *p++ = ' ';
  }
  s->any[e->level] = true;
  *p++ = '{';
  if (s->fmt)
    *p++ = '\n';
  p = put_uint(put_key(s, p, tabs, "level", true), (uint64_t)e->level);
  p = put_uint(put_key(s, p, tabs, "index", false), e->index);
  p = put_hex_string(put_key(s, p, tabs, "va_start", false), e->va);
  p = put_hex_string(put_key(s, p, tabs, "va_end", false), e->va + span - 1);
  p = put_hex_string(put_key(s, p, tabs, "pte", false), pte);
  p = put_hex_string(put_key(s, p, tabs, "pa", false), PTE2PA(pte));
  p = put_key(s, p, tabs, "flags", false);
  *p++ = '[';
  bool first = true;
  for (int b = 0; b < 9; b++) {
    if (pte & (1ULL << b)) {
      if (!first) {
        *p++ = ',';
        if (s->fmt)
          *p++ = ' ';
      }
      first = false;
      *p++ = '"';
      for (const char *f = flag_names[b]; *f; f++)
        *p++ = *f;
      *p++ = '"';
    }
  }
  *p++ = ']';
  p = put_str(put_key(s, p, tabs, "leaf", false), leaf ? "true" : "false");
  if (leaf) {
    p = put_uint(put_key(s, p, tabs, "page_size", false), span);
    p = put_close(s, p, tabs);
  } else if (e->enter) {
    p = put_key(s, p, tabs, "entries", false);
    *p++ = '[';
    s->depth = e->level - 1;
    s->any[s->depth] = false;
  } else {
    p = put_close(s, p, tabs);
  }
  s->n = (size_t)(p - s->buf);
  return PT_CONTINUE;
}

int render_json_stream(struct machine *m, const struct render_table *t, cJSON *head,
                       bool format, FILE *out) {
  if (t->pid > 0)
    cJSON_AddNumberToObject(head, "pid", t->pid);
  else
    cJSON_AddNullToObject(head, "pid");
  cJSON_AddStringToObject(head, "table", t->which);
  render_json_hex(head, "satp", t->satp);
  render_json_hex(head, "root", t->root);
  char *text = format ? cJSON_Print(head) : cJSON_PrintUnformatted(head);
  if (text == NULL)
    return -1;
  // The head without its closing "}" (and, formatted, the newline before it).
  size_t len = strlen(text) - (format ? 2 : 1);
  struct stream *s = malloc(sizeof(*s));
  if (s == NULL) {
    cJSON_free(text);
    return -1;
  }
  *s = (struct stream){.out = out, .fmt = format, .depth = 2};
  fwrite(text, 1, len, out);
  cJSON_free(text);
  char *p = put_key(s, s->buf, 1, "entries", false);
  *p++ = '[';
  s->n = (size_t)(p - s->buf);
  pt_walk(&m->hw.ram, t->root, put_entry, s);
  p = climb(s, s->buf + s->n, 2);
  *p++ = ']';
  p = put_close(s, p, 1);
  *p++ = '\n';
  s->n = (size_t)(p - s->buf);
  flush(s);
  free(s);
  return 0;
}
