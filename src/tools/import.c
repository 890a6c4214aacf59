// Reading vmprint dumps back (tools/import.h): a line scanner that knows the four
// formats, the checks that make a dump a tree of page-table pages, and its placement into
// RAM, all-or-nothing.
#include "sv39sim/tools/import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/tools/check.h"
#include "sv39sim/xv6/cow.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/sv39.h"

// One line of the text, without its newline, carriage return and trailing blanks.
struct line {
  const char *s;
  size_t n;
  unsigned no; // from 1
};

// A scan over text's lines.
struct scan {
  const char *p, *end;
  unsigned no;
};

// The next line, or false at the end of the text.
static bool next_line(struct scan *sc, struct line *l) {
  if (sc->p >= sc->end)
    return false;
  const char *nl = memchr(sc->p, '\n', (size_t)(sc->end - sc->p));
  const char *e = nl != NULL ? nl : sc->end;
  l->s = sc->p;
  l->no = ++sc->no;
  sc->p = nl != NULL ? nl + 1 : sc->end;
  while (e > l->s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
    e--;
  l->n = (size_t)(e - l->s);
  return true;
}

// The value of a lowercase hex digit, or -1.
static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

// xv6's %p at *p (within end): "0x" and exactly 16 lowercase hex digits. Advances *p.
static bool read_ptr(const char **p, const char *end, uint64_t *v) {
  const char *s = *p;
  if (end - s < 18 || s[0] != '0' || s[1] != 'x')
    return false;
  uint64_t x = 0;
  for (int i = 2; i < 18; i++) {
    int d = hex_digit(s[i]);
    if (d < 0)
      return false;
    x = x << 4 | (uint64_t)d;
  }
  *v = x;
  *p = s + 18;
  return true;
}

// Whether *p starts with the literal word w; advances past it if so.
static bool read_lit(const char **p, const char *end, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(end - *p) < n || memcmp(*p, w, n) != 0)
    return false;
  *p += n;
  return true;
}

#define HEADER "page table "

// Whether l is a dump's header: "page table %p" at its end, anything before it.
static bool is_header(const struct line *l, uint64_t *root) {
  size_t hn = strlen(HEADER);
  if (l->n < hn + 18)
    return false;
  const char *p = l->s + l->n - (hn + 18), *end = l->s + l->n;
  return read_lit(&p, end, HEADER) && read_ptr(&p, end, root);
}

// Whether l starts like a PTE line: ".." or " ..".
static bool is_pte_like(const struct line *l) {
  const char *s = l->s;
  if (l->n >= 2 && s[0] == '.' && s[1] == '.')
    return true;
  return l->n >= 3 && s[0] == ' ' && s[1] == '.' && s[2] == '.';
}

unsigned import_count(const char *text, size_t len, unsigned *lines, unsigned max) {
  struct scan sc = {text, text + len, 0};
  struct line l;
  unsigned n = 0;
  uint64_t root;
  while (next_line(&sc, &l)) {
    if (is_pte_like(&l) || !is_header(&l, &root))
      continue;
    if (n < max)
      lines[n] = l.no;
    n++;
  }
  return n;
}

// ---- one dump ----

// A PTE line as printed, before it is placed in the tree.
struct printed {
  bool spaced; // a space before the first ".."
  bool has_va; // 2024/2025: a va where the index was
  int level;
  uint64_t key; // the index, or the printed va
  uint64_t pte, pa;
};

struct parser {
  const char *name;
  struct import_dump *d;
  char *err;
  size_t errlen;
  size_t cap_ptes, cap_tables;
  uint64_t ram_base, ram_size;
};

static int fail(struct parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// Set "name:LINE: what" as the parse's error; returns -1.
static int fail(struct parser *ps, unsigned line, const char *fmt, ...) {
  int n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->name, line);
  if (n < 0 || (size_t)n >= ps->errlen)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

#define PTE_SHAPE "'..INDEX: pte 0x<16 hex> pa 0x<16 hex>' (or ' ..0x<va>: ...')"

// Read a PTE line's fields. Returns 0, or -1 with the message set.
static int read_printed(struct parser *ps, const struct line *l, struct printed *out) {
  const char *p = l->s, *end = l->s + l->n;
  out->spaced = *p == ' ';
  p += out->spaced;
  int depth = 0;
  while (read_lit(&p, end, "..")) {
    depth++;
    if (!(end - p >= 3 && p[0] == ' ' && p[1] == '.' && p[2] == '.'))
      break;
    p++;
  }
  if (depth > 3)
    return fail(ps, l->no, "%d levels of '..': Sv39 has three", depth);
  out->level = 3 - depth;
  out->has_va = end - p >= 2 && p[0] == '0' && p[1] == 'x';
  if (out->has_va) {
    if (!read_ptr(&p, end, &out->key))
      return fail(ps, l->no, "the va after the dots is not 0x and 16 lowercase hex digits");
  } else {
    uint64_t i = 0;
    const char *s = p;
    while (p < end && *p >= '0' && *p <= '9' && p - s < 4)
      i = i * 10 + (uint64_t)(*p++ - '0');
    if (p == s)
      return fail(ps, l->no, "no index or va after the dots: a PTE line reads " PTE_SHAPE);
    if (i >= 512 || (p - s > 1 && *s == '0'))
      return fail(ps, l->no, "index '%.*s' is not 0..511 as %%d prints it", (int)(p - s), s);
    out->key = i;
  }
  if (!read_lit(&p, end, ": pte "))
    return fail(ps, l->no, "expected ': pte ' after the %s: a PTE line reads " PTE_SHAPE,
                out->has_va ? "va" : "index");
  if (!read_ptr(&p, end, &out->pte))
    return fail(ps, l->no, "the pte is not 0x and 16 lowercase hex digits");
  if (!read_lit(&p, end, " pa "))
    return fail(ps, l->no, "expected ' pa ' after the pte: a PTE line reads " PTE_SHAPE);
  if (!read_ptr(&p, end, &out->pa))
    return fail(ps, l->no, "the pa is not 0x and 16 lowercase hex digits");
  if (p != end)
    return fail(ps, l->no, "'%.*s' after the pa", (int)(end - p > 40 ? 40 : end - p), p);
  return 0;
}

// Append e to the dump. Returns 0, or -1 (out of host memory, the message set).
static int push_pte(struct parser *ps, const struct import_pte *e) {
  struct import_dump *d = ps->d;
  if (d->nptes == ps->cap_ptes) {
    size_t cap = ps->cap_ptes ? 2 * ps->cap_ptes : 64;
    struct import_pte *n = realloc(d->ptes, cap * sizeof(*n));
    if (n == NULL)
      return fail(ps, e->line, "out of host memory");
    d->ptes = n;
    ps->cap_ptes = cap;
  }
  d->ptes[d->nptes++] = *e;
  return 0;
}

// A table page the dump names at line: page-aligned (a PPN always is) and inside RAM.
static int push_table(struct parser *ps, uint64_t pa, unsigned line) {
  struct import_dump *d = ps->d;
  if (pa % PGSIZE != 0)
    return fail(ps, line, "page table 0x%016llx is not page-aligned",
                (unsigned long long)pa);
  if (pa < ps->ram_base || pa - ps->ram_base >= ps->ram_size)
    return fail(ps, line, "table page 0x%016llx is outside RAM (0x%llx..0x%llx)",
                (unsigned long long)pa, (unsigned long long)ps->ram_base,
                (unsigned long long)(ps->ram_base + ps->ram_size));
  if (d->ntables == ps->cap_tables) {
    size_t cap = ps->cap_tables ? 2 * ps->cap_tables : 16;
    struct import_table *n = realloc(d->tables, cap * sizeof(*n));
    if (n == NULL)
      return fail(ps, line, "out of host memory");
    d->tables = n;
    ps->cap_tables = cap;
  }
  d->tables[d->ntables++] = (struct import_table){pa, line};
  return 0;
}

// Evidence of which VA format a root line's printed va is: 2024's int (one of the four
// values i << 30 as an int takes), 2025's plain i << 30, or both (slots 0 and 1).
enum { SAW_2024 = 1, SAW_2025 = 2 };

// The root slot a printed root va names, and which format it fits. Returns -1 for none.
static int root_slot(uint64_t v, unsigned *fits) {
  static const uint64_t int_vals[4] = {0, 0x40000000ULL, 0xffffffff80000000ULL,
                                       0xffffffffc0000000ULL};
  static const int int_slots[4] = {0, 1, 2, 255};
  *fits = 0;
  int slot = -1;
  if (v % (1ULL << 30) == 0 && v < (1ULL << 39)) {
    *fits |= SAW_2025;
    slot = (int)(v >> 30);
  }
  for (int i = 0; i < 4; i++) {
    if (v == int_vals[i]) {
      *fits |= SAW_2024;
      slot = int_slots[i];
    }
  }
  return slot;
}

// Where each level's current table is: its page, the va it starts at, what its parent's
// line printed for that va (2024/2025), the last index seen, and the parent's line.
struct frame {
  uint64_t table, va, printed;
  int last;
  unsigned line;
  bool open; // a table pointer opened this level (false: under a leaf, or none yet)
};

// Place one printed line into the tree. Returns 0, or -1 with the message set.
static int add_line(struct parser *ps, const struct line *l, const struct printed *pr,
                    struct frame fr[3], int prev_level, unsigned *saw) {
  int L = pr->level;
  if (L < 2 && (prev_level < 0 || L < prev_level - 1))
    return fail(ps, l->no, "a level-%d entry with no level-%d entry above it", L, L + 1);
  if (L < 2 && !fr[L].open)
    return fail(ps, l->no, "a level-%d entry under line %u, which is a leaf (R, W or X "
                "set): only a table pointer has a table below it", L, fr[L].line);
  struct frame *f = &fr[L];
  uint64_t size = 1ULL << PXSHIFT(L);
  uint64_t index = pr->key;
  if (pr->has_va && L == 2) {
    unsigned fits;
    int slot = root_slot(pr->key, &fits);
    if (slot < 0)
      return fail(ps, l->no, "root va 0x%016llx is no root slot's as 2024 or 2025 print it",
                  (unsigned long long)pr->key);
    if ((*saw & fits) == 0)
      return fail(ps, l->no, "root va 0x%016llx is %s's form, but an earlier root line's "
                  "is %s's", (unsigned long long)pr->key, fits == SAW_2024 ? "2024" : "2025",
                  fits == SAW_2024 ? "2025" : "2024");
    *saw &= fits;
    index = (uint64_t)slot;
  } else if (pr->has_va) {
    uint64_t off = pr->key - f->printed;
    if (off % size != 0 || off / size >= 512)
      return fail(ps, l->no, "va 0x%016llx is no entry of the table under line %u "
                  "(which starts at 0x%016llx)", (unsigned long long)pr->key, f->line,
                  (unsigned long long)f->printed);
    index = off / size;
  }
  if ((int)index <= f->last)
    return fail(ps, l->no, "index %llu after index %d in the same table: vmprint prints "
                "a table's entries once each, in index order", (unsigned long long)index,
                f->last);
  f->last = (int)index;
  if ((pr->pte & PTE_V) == 0)
    return fail(ps, l->no, "pte 0x%016llx has V clear: vmprint prints valid PTEs only",
                (unsigned long long)pr->pte);
  if (pr->pa != PTE2PA(pr->pte))
    return fail(ps, l->no, "pa 0x%016llx disagrees with the pte's PPN, which names "
                "0x%016llx", (unsigned long long)pr->pa, (unsigned long long)PTE2PA(pr->pte));
  uint64_t va = f->va + index * size;
  struct import_pte e = {.table = f->table, .index = (unsigned)index, .level = L,
                         .va = va_canonical(va), .pte = pr->pte, .line = l->no};
  if (push_pte(ps, &e))
    return -1;
  if (L > 0) {
    struct frame *c = &fr[L - 1];
    *c = (struct frame){.table = PTE2PA(pr->pte), .va = va, .last = -1, .line = l->no,
                        .printed = pr->has_va ? pr->key : 0, .open = PTE_TABLE(pr->pte)};
    if (c->open && push_table(ps, c->table, l->no))
      return -1;
  }
  return 0;
}

// qsort's order for claims: by page, then by line.
static int by_pa_then_line(const void *a, const void *b) {
  const struct import_table *x = a, *y = b;
  if (x->pa != y->pa)
    return x->pa < y->pa ? -1 : 1;
  return (x->line > y->line) - (x->line < y->line);
}

// Each table page has one parent: the first line (in the file) that claims a page
// another line claimed before it is the error.
static int check_claims(struct parser *ps) {
  struct import_dump *d = ps->d;
  struct import_table *t = malloc(d->ntables * sizeof(*t));
  if (t == NULL)
    return fail(ps, d->header_line, "out of host memory");
  memcpy(t, d->tables, d->ntables * sizeof(*t));
  qsort(t, d->ntables, sizeof(*t), by_pa_then_line);
  size_t bad = d->ntables;
  for (size_t i = 1; i < d->ntables; i++) {
    if (t[i].pa == t[i - 1].pa && (bad == d->ntables || t[i].line < t[bad].line))
      bad = i;
  }
  int r = 0;
  if (bad < d->ntables)
    r = fail(ps, t[bad].line, "table page 0x%016llx is claimed by line %u too: a table "
             "page has one parent", (unsigned long long)t[bad].pa, t[bad - 1].line);
  free(t);
  return r;
}

// Read the dump whose header is line hl (root root) from sc on.
static int parse_dump(struct parser *ps, struct scan *sc, unsigned hl, uint64_t root) {
  struct import_dump *d = ps->d;
  d->header_line = d->last_line = hl;
  d->root = root;
  if (push_table(ps, root, hl))
    return -1;
  struct frame fr[3] = {[2] = {.table = root, .last = -1, .line = hl, .open = true}};
  struct printed first = {0};
  unsigned first_line = 0;
  int prev_level = -1;
  unsigned saw = SAW_2024 | SAW_2025; // the VA formats the root lines so far fit
  struct line l;
  while (next_line(sc, &l) && is_pte_like(&l)) {
    struct printed pr;
    if (read_printed(ps, &l, &pr))
      return -1;
    if (prev_level < 0) {
      first = pr;
      first_line = l.no;
      if (!pr.spaced && pr.has_va)
        return fail(ps, l.no, "a va after '..' with no space before it is no edition's "
                    "format (2024's and 2025's lines start with ' ..')");
    } else if (pr.spaced != first.spaced || pr.has_va != first.has_va) {
      return fail(ps, l.no, "this line is not in the format of the dump's first PTE line "
                  "(line %u)", first_line);
    }
    if (add_line(ps, &l, &pr, fr, prev_level, &saw))
      return -1;
    prev_level = pr.level;
    d->last_line = l.no;
  }
  d->fmt = !first.spaced ? EDITION_VMPRINT_DOTS
           : !first.has_va ? EDITION_VMPRINT_DOTS_SPACED
           : saw == SAW_2024 ? EDITION_VMPRINT_VA_INT : EDITION_VMPRINT_VA;
  d->ambiguous = first.has_va && saw == (SAW_2024 | SAW_2025);
  return check_claims(ps);
}

int import_parse(const char *name, const char *text, size_t len, unsigned which,
                 uint64_t ram_base, uint64_t ram_size, struct import_dump *d, char *err,
                 size_t errlen) {
  memset(d, 0, sizeof(*d));
  struct parser ps = {.name = name, .d = d, .err = err, .errlen = errlen,
                      .ram_base = ram_base, .ram_size = ram_size};
  struct scan sc = {text, text + len, 0};
  struct line l;
  unsigned n = 0;
  uint64_t root;
  while (next_line(&sc, &l)) {
    if (is_pte_like(&l) || !is_header(&l, &root) || ++n != which)
      continue;
    int r = parse_dump(&ps, &sc, l.no, root);
    if (r != 0)
      import_dump_free(d);
    return r;
  }
  if (n == 0)
    snprintf(err, errlen, "%s: no vmprint dump in it (no line ends in 'page table 0x<16 "
             "hex>')", name);
  else
    snprintf(err, errlen, "%s: holds %u dump%s, no dump %u", name, n, n == 1 ? "" : "s",
             which);
  return -1;
}

void import_dump_free(struct import_dump *d) {
  free(d->ptes);
  free(d->tables);
  memset(d, 0, sizeof(*d));
}

const char *import_format_name(const struct import_dump *d) {
  switch (d->fmt) {
  case EDITION_VMPRINT_DOTS: return "2020";
  case EDITION_VMPRINT_DOTS_SPACED: return "2021-2023";
  case EDITION_VMPRINT_VA_INT: return "2024";
  case EDITION_VMPRINT_VA: return d->ambiguous ? "2024 or 2025" : "2025";
  }
  return "?";
}

// ---- placement ----

// Mark in free[] (one byte per RAM page) the pages on kalloc's list. Returns 0, or -1
// when the list leaves RAM or loops (a list broken by hand: `check` says how).
static int mark_free(struct machine *m, uint8_t *free_map) {
  struct ram *ram = &m->hw.ram;
  for (uint64_t pa = m->kmem.freelist, n = 0; pa != 0; n++) {
    if (n > ram->npages || pa % PGSIZE != 0 || !ram_contains(ram, pa, PGSIZE))
      return -1;
    uint8_t *f = &free_map[(pa - ram->base) / PGSIZE];
    if (*f)
      return -1;
    *f = 1;
    if (ram_load(ram, pa, 8, &pa) != 0)
      return -1;
  }
  return 0;
}

// Unlink the pages marked 2 in free_map from kalloc's list.
static void unlink_taken(struct machine *m, const uint8_t *free_map) {
  struct ram *ram = &m->hw.ram;
  uint64_t prev = 0;
  for (uint64_t pa = m->kmem.freelist; pa != 0;) {
    uint64_t next = 0;
    ram_load(ram, pa, 8, &next);
    if (free_map[(pa - ram->base) / PGSIZE] == 2) {
      if (prev == 0)
        m->kmem.freelist = next;
      else
        ram_store(ram, prev, 8, next);
      m->kmem.nfree--;
    } else {
      prev = pa;
    }
    pa = next;
  }
}

// On a booted machine: every table page free, then held and off the list. Returns 0, or
// -1 with the message set and nothing changed.
static int take_pages(struct machine *m, const char *name, const struct import_dump *d,
                      char *err, size_t errlen) {
  struct ram *ram = &m->hw.ram;
  uint8_t *free_map = calloc(ram->npages, 1);
  if (free_map == NULL) {
    snprintf(err, errlen, "%s: out of host memory", name);
    return -1;
  }
  int r = 0;
  if (mark_free(m, free_map) != 0) {
    snprintf(err, errlen, "%s: kalloc's free list is broken ('check' says how): which "
             "pages are free is unknown", name);
    r = -1;
  }
  for (size_t i = 0; r == 0 && i < d->ntables; i++) {
    const struct import_table *t = &d->tables[i];
    if (free_map[(t->pa - ram->base) / PGSIZE] != 0)
      continue;
    if (t->pa < PGROUNDUP(m->cfg.end))
      snprintf(err, errlen, "%s:%u: table page 0x%016llx is in the kernel's image (below "
               "end 0x%llx)", name, t->line, (unsigned long long)t->pa,
               (unsigned long long)m->cfg.end);
    else
      snprintf(err, errlen, "%s:%u: table page 0x%016llx is a page the machine uses (not "
               "on kalloc's free list: a page table, a process's page, a device's, or an "
               "import's)", name, t->line, (unsigned long long)t->pa);
    r = -1;
  }
  for (size_t i = 0; r == 0 && i < d->ntables; i++) {
    if (check_hold(m, d->tables[i].pa) != 0) {
      while (i-- > 0)
        check_release(m, d->tables[i].pa);
      snprintf(err, errlen, "%s: out of host memory", name);
      r = -1;
    }
  }
  if (r == 0) {
    for (size_t i = 0; i < d->ntables; i++) {
      free_map[(d->tables[i].pa - ram->base) / PGSIZE] = 2;
      cow_kalloc_hook(m, d->tables[i].pa); // taken as kalloc takes a page: one reference
    }
    unlink_taken(m, free_map);
  }
  free(free_map);
  return r;
}

int import_place(struct machine *m, const char *name, const struct import_dump *d,
                 char *err, size_t errlen) {
  struct ram *ram = &m->hw.ram;
  for (size_t i = 0; i < d->ntables; i++) {
    if (!pt_table_in_ram(ram, d->tables[i].pa)) {
      snprintf(err, errlen, "%s:%u: table page 0x%016llx is outside RAM", name,
               d->tables[i].line, (unsigned long long)d->tables[i].pa);
      return -1;
    }
  }
  if (m->booted && take_pages(m, name, d, err, errlen) != 0)
    return -1;
  for (size_t i = 0; i < d->ntables; i++)
    ram_fill_page(ram, d->tables[i].pa, 0);
  for (size_t i = 0; i < d->nptes; i++)
    ram_store(ram, d->ptes[i].table + 8ULL * d->ptes[i].index, 8, d->ptes[i].pte);
  return 0;
}

// ---- a process's user table ----

// The leaves of a table above sz: what proc_freepagetable unmaps without freeing.
struct special {
  uint64_t sz;
  uint64_t va[8];
  unsigned n;
  bool more;
};

// The walk's visitor: the vas of the leaves at or above sz.
static enum pt_step collect_special(void *ctx, const struct pt_entry *e) {
  struct special *s = ctx;
  if (PTE_LEAF(e->pte) && e->va >= s->sz) {
    if (s->n < 8)
      s->va[s->n++] = e->va;
    else
      s->more = true;
  }
  return PT_CONTINUE;
}

// Set "name:LINE: what" (LINE 0: "name: what") in err; returns -1.
static int fail_at(char *err, size_t errlen, const char *name, unsigned line, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static int fail_at(char *err, size_t errlen, const char *name, unsigned line, const char *fmt,
                   ...) {
  int n = line ? snprintf(err, errlen, "%s:%u: ", name, line)
               : snprintf(err, errlen, "%s: ", name);
  if (n < 0 || (size_t)n >= errlen)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

// d's shape against the process's: the user pages' count in *npages, or -1 with err set.
static int check_user_shape(int pid, const char *name, const struct import_dump *d,
                            const struct special *sp, uint64_t *npages, char *err,
                            size_t errlen) {
  uint64_t n = 0;
  unsigned found = 0;
  for (size_t i = 0; i < d->nptes; i++) {
    const struct import_pte *e = &d->ptes[i];
    if (e->level > 0 && PTE_TABLE(e->pte))
      continue;
    if (e->level > 0)
      return fail_at(err, errlen, name, e->line, "a level-%d leaf (a superpage): xv6's user "
                     "tables have level-0 leaves only ('as satp' shows any table)", e->level);
    if (!PTE_LEAF(e->pte))
      return fail_at(err, errlen, name, e->line, "a level-0 entry without R, W or X is no "
                     "page xv6 maps ('as satp' shows any table)");
    bool special = false;
    for (unsigned k = 0; k < sp->n; k++)
      special |= sp->va[k] == e->va;
    if (special) {
      found++;
      continue;
    }
    if (e->va != n * PGSIZE)
      return fail_at(err, errlen, name, e->line, "va 0x%llx: the user pages must run from "
                     "va 0 without a hole, as sz counts them (the next would be 0x%llx)",
                     (unsigned long long)e->va, (unsigned long long)(n * PGSIZE));
    n++;
  }
  if (found != sp->n)
    return fail_at(err, errlen, name, d->header_line, "the dump does not map all of pid %d's "
                   "pages above sz (the trampoline, the trapframe): freeproc would panic "
                   "unmapping them", pid);
  *npages = n;
  return 0;
}

int import_install(struct machine *m, const char *name, const struct import_dump *d,
                   int slot, char *err, size_t errlen) {
  struct proc *p = &m->proc[slot];
  struct ram *ram = &m->hw.ram;
  if (m->cfg.kpt == KPT_PER_PROCESS_USER)
    return fail_at(err, errlen, name, 0, "in mode per-process-user the kernel tables mirror "
                   "the user pages: import as satp");
  if (m->cfg.lab == LAB_LAZY || m->cfg.lab == LAB_COW)
    return fail_at(err, errlen, name, 0, "with the %s lab a user page may be missing or "
                   "shared: import as satp", edition_lab_name(m->cfg.lab));
  struct special sp = {.sz = PGROUNDUP(p->sz)};
  pt_walk(ram, p->pagetable, collect_special, &sp);
  if (sp.more)
    return fail_at(err, errlen, name, 0, "pid %d's table maps more than 8 pages above sz",
                   p->pid);
  uint64_t npages = 0;
  if (check_user_shape(p->pid, name, d, &sp, &npages, err, errlen) != 0)
    return -1;
  uint8_t *free_map = calloc(ram->npages, 1);
  if (free_map == NULL)
    return fail_at(err, errlen, name, 0, "out of host memory");
  int r = 0;
  if (mark_free(m, free_map) != 0)
    r = fail_at(err, errlen, name, 0, "kalloc's free list is broken ('check' says how): "
                "which pages are free is unknown");
  // Every page the import takes must be free, and taken once (2 marks it taken).
  for (size_t i = 0; r == 0 && i < d->ntables; i++) {
    uint8_t *f = &free_map[(d->tables[i].pa - ram->base) / PGSIZE];
    if (*f != 1)
      r = fail_at(err, errlen, name, d->tables[i].line, "table page 0x%016llx is not on "
                  "kalloc's free list: the machine uses it",
                  (unsigned long long)d->tables[i].pa);
    *f = 2;
  }
  for (size_t i = 0; r == 0 && i < d->nptes; i++) {
    const struct import_pte *e = &d->ptes[i];
    if (e->level > 0)
      continue;
    uint64_t pa = PTE2PA(e->pte);
    bool user = e->va < npages * PGSIZE;
    bool in_ram = pa % PGSIZE == 0 && ram_contains(ram, pa, PGSIZE);
    uint8_t *f = in_ram ? &free_map[(pa - ram->base) / PGSIZE] : NULL;
    if (user && (f == NULL || *f != 1 || pa < PGROUNDUP(m->cfg.end)))
      r = fail_at(err, errlen, name, e->line, "va 0x%llx maps pa 0x%016llx, %s: a process's "
                  "user page is a free page of its own ('as satp' shows any table)",
                  (unsigned long long)e->va, (unsigned long long)pa,
                  f == NULL || pa < PGROUNDUP(m->cfg.end) ? "which no kalloc gives"
                  : *f == 2 ? "which the dump uses already" : "which the machine uses");
    else if (user)
      *f = 2;
    else if (f != NULL && *f != 0)
      r = fail_at(err, errlen, name, e->line, "va 0x%llx maps pa 0x%016llx, a page the %s: "
                  "the trampoline and trapframe map pages in use", (unsigned long long)e->va,
                  (unsigned long long)pa, *f == 1 ? "free list holds" : "dump takes");
  }
  if (r == 0) {
    unlink_taken(m, free_map);
    for (size_t i = 0; i < d->nptes; i++) {
      if (d->ptes[i].level == 0 && d->ptes[i].va < npages * PGSIZE)
        ram_fill_page(ram, PTE2PA(d->ptes[i].pte), 0x05);
    }
    for (size_t i = 0; i < d->ntables; i++)
      ram_fill_page(ram, d->tables[i].pa, 0);
    for (size_t i = 0; i < d->nptes; i++)
      ram_store(ram, d->ptes[i].table + 8ULL * d->ptes[i].index, 8, d->ptes[i].pte);
    uint64_t old = p->pagetable, oldsz = p->sz;
    p->pagetable = d->root;
    p->sz = npages * PGSIZE;
    p->has_guard = false;
    if (proc_freepagetable(m, old, oldsz) != SIM_OK)
      r = SIM_PANIC;
  }
  free(free_map);
  return r;
}

// ---- a table in RAM, as a dump ----

struct from_ram {
  struct import_dump *d;
  size_t cap_ptes, cap_tables;
  bool oom;
};

// The walk's visitor: each entry as a dump's PTE, each entered table as a table page.
static enum pt_step collect(void *ctx, const struct pt_entry *e) {
  struct from_ram *f = ctx;
  struct import_dump *d = f->d;
  if (d->nptes == f->cap_ptes) {
    size_t cap = f->cap_ptes ? 2 * f->cap_ptes : 64;
    struct import_pte *n = realloc(d->ptes, cap * sizeof(*n));
    if (n == NULL) {
      f->oom = true;
      return PT_STOP;
    }
    d->ptes = n;
    f->cap_ptes = cap;
  }
  d->ptes[d->nptes++] = (struct import_pte){.table = e->pte_pa & ~(PGSIZE - 1),
                                            .index = e->index, .level = e->level,
                                            .va = e->va, .pte = e->pte};
  if (e->enter) {
    if (d->ntables == f->cap_tables) {
      size_t cap = f->cap_tables ? 2 * f->cap_tables : 16;
      struct import_table *n = realloc(d->tables, cap * sizeof(*n));
      if (n == NULL) {
        f->oom = true;
        return PT_STOP;
      }
      d->tables = n;
      f->cap_tables = cap;
    }
    d->tables[d->ntables++] = (struct import_table){PTE2PA(e->pte), 0};
  }
  return PT_CONTINUE;
}

int import_from_ram(struct machine *m, uint64_t root, struct import_dump *d) {
  memset(d, 0, sizeof(*d));
  d->fmt = m->cfg.edition->vmprint;
  d->root = root;
  struct from_ram f = {.d = d};
  d->tables = malloc(16 * sizeof(*d->tables));
  if (d->tables == NULL)
    return -1;
  f.cap_tables = 16;
  d->tables[d->ntables++] = (struct import_table){root, 0};
  pt_walk(&m->hw.ram, root, collect, &f);
  if (f.oom) {
    import_dump_free(d);
    return -1;
  }
  return 0;
}
