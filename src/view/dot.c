// A page table as a Graphviz digraph, for `dot`: tables are record nodes, the physical
// memory they map is one node per range (as `ranges` lists them), so a slide shows the
// structure without 32768 boxes for the kernel's direct map.
//
// The graph streams in constant memory, whatever the table's size: nothing of the table is
// collected first. Two walks of the same tree, with the same grouping: the first writes
// the table nodes and their edges as it goes; the second writes the range nodes the edges
// point at, in va order, after them. Where a range begins and ends is read from the tree
// itself (the leaf just before or after a va, by a three-level lookup), and ranges are
// numbered as the walk meets them, which is `ranges`' order.
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

// What one field of a table node stands for: consecutive entries drawn as one.
enum group_kind { G_LEAVES, G_RUN, G_STRIDE, G_TABLE, G_TABLES, G_STOP };

struct group {
  enum group_kind kind;
  unsigned first, last; // entry indices
  unsigned stride;      // G_STRIDE: entries first, first + stride, ... last
  uint64_t pte;         // the first entry's
};

// A table being drawn: its n fields, g[k] the one the walk is in.
struct drawn {
  uint64_t table; // pa of its page
  uint64_t va;    // that its first entry maps
  struct group g[512];
  unsigned n, k;
};

// Tables drawn already (a table built by hand may be shared or cyclic): an open-addressed
// set of their pages, 0 for an empty slot (no table page is at pa 0). Once it is full a
// shared table is drawn again, which costs a repeated node, never a loop (the walk is
// three levels deep at most).
#define SEEN_SLOTS 8192

struct dot {
  struct ram *ram;
  FILE *out;
  bool json;      // out gets the text as the body of a JSON string
  bool draw;      // the first walk (tables and edges), else the second (range nodes)
  uint64_t seen[SEEN_SLOTS];
  size_t nseen;
  struct drawn level[3]; // the table at each level that the walk is in
  bool expand;    // no G_RUN groups (render_table.expand)
  bool walk;      // highlight the edges on walk_va's path (render_table.walk)
  uint64_t walk_va;
  struct render_regions rg; // the ranges met so far (rg.n), and the guard page's
  long emitted;   // the second walk: the last range node written, -1 for none
};

// Write formatted text to d->out, escaped as cJSON escapes a string's bytes when d->json.
static void put(struct dot *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct dot *d, const char *fmt, ...) {
  char small[1024], *buf = small;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof(small)) { // the legend, or a long label: formatted again
    buf = malloc((size_t)n + 1);
    if (buf == NULL)
      return;
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  if (!d->json) {
    fwrite(buf, 1, (size_t)n, d->out);
  } else {
    for (int i = 0; i < n; i++) {
      unsigned char c = (unsigned char)buf[i];
      switch (c) {
      case '"': fputs("\\\"", d->out); break;
      case '\\': fputs("\\\\", d->out); break;
      case '\b': fputs("\\b", d->out); break;
      case '\f': fputs("\\f", d->out); break;
      case '\n': fputs("\\n", d->out); break;
      case '\r': fputs("\\r", d->out); break;
      case '\t': fputs("\\t", d->out); break;
      default:
        if (c < 0x20)
          fprintf(d->out, "\\u%04x", c);
        else
          fputc(c, d->out);
      }
    }
  }
  if (buf != small)
    free(buf);
}

// One leaf of the tree: the va it starts at (canonical), its PTE and level, and (when
// leaf_at found it) the table page it lies in and its index there.
struct leaf {
  uint64_t va, pte;
  int level;
  uint64_t table;
  unsigned index;
};

// The PTE at pa, which lies in a table page inside RAM.
static uint64_t pte_at(struct dot *d, uint64_t pa) {
  uint64_t pte = 0;
  ram_load(d->ram, pa, 8, &pte);
  return pte;
}

static uint64_t leaf_size(const struct leaf *l) {
  return 1ULL << PXSHIFT(l->level);
}

// The leaf that maps va in the tree at root, found as the walk would reach it. Returns
// false when va is not canonical or no leaf maps it.
static bool leaf_at(struct dot *d, uint64_t root, uint64_t va, struct leaf *l) {
  if (va_canonical(va) != va || !pt_table_in_ram(d->ram, root))
    return false;
  uint64_t table = root;
  for (int level = 2; level >= 0; level--) {
    unsigned index = (unsigned)PX(level, va);
    uint64_t pte = pte_at(d, table + 8ULL * index);
    if ((pte & PTE_V) == 0)
      return false;
    if (PTE_LEAF(pte)) {
      *l = (struct leaf){va & ~((1ULL << PXSHIFT(level)) - 1), pte, level, table, index};
      return true;
    }
    if (!pt_enters(d->ram, pte, level))
      return false;
    table = PTE2PA(pte);
  }
  return false;
}

// Whether leaf b continues the range of leaf a (render_ranges_walk's rule): the next va,
// the next physical byte, the same PTE bits 7..0.
static bool continues(const struct leaf *a, const struct leaf *b) {
  return (a->pte & RENDER_ATTR_BITS) == (b->pte & RENDER_ATTR_BITS) &&
         PTE2PA(a->pte) + leaf_size(a) == PTE2PA(b->pte) && a->va + leaf_size(a) == b->va;
}

// Whether l continues the range of the leaf before it in va order.
static bool continues_before(struct dot *d, uint64_t root, const struct leaf *l) {
  struct leaf p;
  return l->va != 0 && leaf_at(d, root, l->va - 1, &p) && continues(&p, l);
}

// Whether the leaf after l in va order continues l's range; *n gets that leaf.
static bool continues_after(struct dot *d, uint64_t root, const struct leaf *l,
                            struct leaf *n) {
  uint64_t end = l->va + leaf_size(l);
  return end != 0 && leaf_at(d, root, end, n) && continues(l, n);
}

// The root of the tree being drawn: the level-2 table.
static uint64_t root_of(const struct dot *d) {
  return d->level[2].table;
}

// The leaf that the entry pte at index i of a table at level, mapping va first, is.
static struct leaf leaf_of(uint64_t pte, int level, uint64_t va, unsigned i) {
  return (struct leaf){va_canonical(va + ((uint64_t)i << PXSHIFT(level))), pte, level, 0, i};
}

// Count leaf l among the ranges, which begin where a leaf does not continue the one before
// it. Returns the index of its range.
static long note_leaf(struct dot *d, const struct leaf *l) {
  if (d->rg.n > 0 && continues_before(d, root_of(d), l))
    return d->rg.n - 1;
  struct render_range r = {.va = l->va, .pa = PTE2PA(l->pte), .size = leaf_size(l),
                           .attr = (unsigned)(l->pte & RENDER_ATTR_BITS)};
  return render_regions_add(&d->rg, &r);
}

// Marks table as drawn. Returns 1 if it was drawn before, else 0.
static int seen_before(struct dot *d, uint64_t table) {
  size_t h = (size_t)((table >> 12) * 0x9E3779B97F4A7C15ULL >> 51) % SEEN_SLOTS;
  while (d->seen[h] != 0) {
    if (d->seen[h] == table)
      return 1;
    h = (h + 1) % SEEN_SLOTS;
  }
  if (d->nseen + 1 < SEEN_SLOTS) { // one slot stays empty, so that a probe ends
    d->seen[h] = table;
    d->nseen++;
  }
  return 0;
}

// A table whose 512 entries are leaves with the same bits mapping contiguous memory: one
// piece of a long run, which the parent may draw together with its neighbours.
static bool uniform(struct dot *d, uint64_t table, int level) {
  uint64_t ptes[512];
  ram_read_words(d->ram, table, ptes, 512);
  uint64_t first = ptes[0];
  if (!PTE_LEAF(first))
    return false;
  for (uint64_t i = 1; i < 512; i++) {
    uint64_t pte = ptes[i];
    if ((pte & RENDER_ATTR_BITS) != (first & RENDER_ATTR_BITS) ||
        PTE2PA(pte) != PTE2PA(first) + (i << PXSHIFT(level)))
      return false;
  }
  return true;
}

// Whether the leaf at index i of a table is a range of its own, one page long.
static bool lone_page(struct dot *d, uint64_t pte, int level, uint64_t va, unsigned i) {
  if (!PTE_LEAF(pte))
    return false;
  struct leaf l = leaf_of(pte, level, va, i), n;
  return !continues_before(d, root_of(d), &l) && !continues_after(d, root_of(d), &l, &n);
}

// Extend a one-page leaf group into a run of pages at a fixed index stride with invalid
// entries between them and physically consecutive pages, with the same bits: how procinit
// lays out kernel stacks with their guard pages. Three pages make a run worth drawing.
static void try_stride(struct dot *d, uint64_t table, int level, uint64_t va, struct group *g) {
  if (!lone_page(d, g->pte, level, va, g->first))
    return;
  unsigned stride = 0, last = g->first;
  uint64_t pa = PTE2PA(g->pte), page = 1ULL << PXSHIFT(level);
  for (unsigned i = g->first + 1; i < 512; i++) {
    uint64_t pte = pte_at(d, table + 8ULL * i);
    if ((pte & PTE_V) == 0)
      continue;
    if (stride == 0)
      stride = i - g->first;
    if (i - last != stride || (pte & RENDER_ATTR_BITS) != (g->pte & RENDER_ATTR_BITS) || PTE2PA(pte) != pa + page ||
        !lone_page(d, pte, level, va, i))
      break;
    last = i;
    pa += page;
  }
  if (stride >= 2 && (last - g->first) / stride >= 2) {
    g->kind = G_STRIDE;
    g->stride = stride;
    g->last = last;
  }
}

// In a user table, extend a one-page leaf group over the next leaves with the same bits,
// each a one-page range of its own (kalloc hands out pages downwards, so a process's pages
// are seldom physically contiguous): drawn as one field and one node, as the kernel's
// runs are. Two pages make a run.
static void try_run(struct dot *d, const uint64_t *ptes, int level, uint64_t va,
                    struct group *g) {
  if (!lone_page(d, g->pte, level, va, g->first))
    return;
  unsigned last = g->first;
  while (last + 1 < 512 && (ptes[last + 1] & RENDER_ATTR_BITS) == (g->pte & RENDER_ATTR_BITS) &&
         lone_page(d, ptes[last + 1], level, va, last + 1))
    last++;
  if (last > g->first) {
    g->kind = G_RUN;
    g->last = last;
  }
}

// Whether the uniform tables that pointers a and b (neighbours at level) name map one
// range: b's first leaf continues a's last.
static bool tables_continue(struct dot *d, uint64_t a, uint64_t b, int level) {
  uint64_t last = pte_at(d, PTE2PA(a) + 8 * 511), first = pte_at(d, PTE2PA(b));
  return (last & RENDER_ATTR_BITS) == (first & RENDER_ATTR_BITS) &&
         PTE2PA(last) + (1ULL << PXSHIFT(level - 1)) == PTE2PA(first);
}

// Split the valid entries of the table page at table (in RAM) into the fields its node
// shows. Returns the count.
static unsigned group_entries(struct dot *d, uint64_t table, int level, uint64_t va,
                              struct group *g) {
  uint64_t ptes[512];
  ram_read_words(d->ram, table, ptes, 512);
  unsigned n = 0;
  for (unsigned i = 0; i < 512;) {
    uint64_t pte = ptes[i];
    if ((pte & PTE_V) == 0) {
      i++;
      continue;
    }
    struct group *cur = &g[n++];
    *cur = (struct group){.kind = G_STOP, .first = i, .last = i, .pte = pte};
    if (PTE_LEAF(pte)) {
      cur->kind = G_LEAVES;
      while (cur->last + 1 < 512) {
        struct leaf a = leaf_of(ptes[cur->last], level, va, cur->last);
        struct leaf b = leaf_of(ptes[cur->last + 1], level, va, cur->last + 1);
        if (!PTE_LEAF(b.pte) || !continues(&a, &b))
          break;
        cur->last++;
      }
      if (cur->last == cur->first && d->rg.user && !d->expand)
        try_run(d, ptes, level, va, cur);
      if (cur->last == cur->first)
        try_stride(d, table, level, va, cur);
    } else if (pt_enters(d->ram, pte, level)) {
      cur->kind = G_TABLE;
      if (uniform(d, PTE2PA(pte), level - 1)) {
        while (cur->last + 1 < 512) {
          uint64_t next = ptes[cur->last + 1];
          if (!pt_enters(d->ram, next, level) || !uniform(d, PTE2PA(next), level - 1) ||
              !tables_continue(d, ptes[cur->last], next, level))
            break;
          cur->last++;
        }
        if (cur->last > cur->first)
          cur->kind = G_TABLES;
      }
    }
    i = cur->last + 1;
  }
  return n;
}

// A byte count as people write it: "4 KiB", "127 MiB", "32760 KiB".
static void size_text(uint64_t size, char *buf, size_t len) {
  if (size % (1ULL << 30) == 0)
    snprintf(buf, len, "%" PRIu64 " GiB", size >> 30);
  else if (size % (1ULL << 20) == 0)
    snprintf(buf, len, "%" PRIu64 " MiB", size >> 20);
  else
    snprintf(buf, len, "%" PRIu64 " KiB", size >> 10);
}

static const char *fill_for(unsigned attr) {
  if (attr & PTE_U)
    return "lightblue";
  if (attr & PTE_X)
    return "pink";
  if (attr & PTE_W)
    return "lightyellow";
  return "white";
}

// The colours' meanings, as a node of their own.
static void emit_legend(struct dot *d) {
  put(d, "%s", "  legend [shape=none, margin=0, label=<<table border=\"0\" cellborder=\"1\" "
        "cellspacing=\"0\"><tr><td>colour</td><td>leaf bits</td></tr>"
        "<tr><td bgcolor=\"lightblue\"> </td><td>u: user</td></tr>"
        "<tr><td bgcolor=\"pink\"> </td><td>x, no u: code</td></tr>"
        "<tr><td bgcolor=\"lightyellow\"> </td><td>w, no u or x: data</td></tr>"
        "<tr><td bgcolor=\"white\"> </td><td>r only: read-only</td></tr>"
        "<tr><td bgcolor=\"lightgrey\"> </td><td>guard page (user table, no u)</td></tr></table>>];\n");
}

// The range that begins at leaf l: its extent, found by following the leaves after l
// (a whole uniform table at a time where the direct map goes on for gigabytes).
static struct render_range range_from(struct dot *d, const struct leaf *l) {
  struct render_range r = {.va = l->va, .pa = PTE2PA(l->pte), .size = leaf_size(l),
                           .attr = (unsigned)(l->pte & RENDER_ATTR_BITS)};
  struct leaf cur = *l, next;
  while (continues_after(d, root_of(d), &cur, &next)) {
    r.size += leaf_size(&next);
    cur = next;
    if (cur.index == 0 && cur.level < 2 && uniform(d, cur.table, cur.level)) {
      // A uniform table goes on to its last leaf.
      r.size += 511ULL << PXSHIFT(cur.level);
      cur.va += 511ULL << PXSHIFT(cur.level);
      cur.index = 511;
      cur.pte = pte_at(d, cur.table + 8 * 511);
    }
  }
  return r;
}

// The second walk: the node of range i, which begins at leaf l, unless it was written.
static void emit_range(struct dot *d, long i, const struct leaf *l) {
  if (d->draw || i <= d->emitted)
    return;
  d->emitted = i;
  struct render_range r = range_from(d, l);
  char letters[RENDER_ATTR_LEN], size[32];
  render_attr(r.attr, letters);
  size_text(r.size, size, sizeof(size));
  put(d,
          "  r%ld [shape=box, style=\"rounded,filled\", fillcolor=%s, "
          "label=\"%s\\lpa 0x%" PRIx64 "..0x%" PRIx64 "\\lva 0x%" PRIx64 "\\l%s %s\\l\"];\n",
          i, i == d->rg.guard ? "lightgrey" : fill_for(r.attr),
          render_region_name(&d->rg, i, &r), r.pa, r.pa + (r.size - 1), r.va, size, letters);
}

// The node for a run of uniform tables g->first..g->last under table, and its edge; the
// tables' leaves are range i, which begins at leaf l when it begins there.
static void emit_tables(struct dot *d, uint64_t table, int level, const struct group *g,
                        const char *hl, long i, const struct leaf *l) {
  emit_range(d, i, l);
  if (!d->draw)
    return;
  uint64_t last = pte_at(d, table + 8ULL * g->last);
  char letters[RENDER_ATTR_LEN];
  render_attr((unsigned)(pte_at(d, PTE2PA(g->pte)) & RENDER_ATTR_BITS), letters);
  put(d,
          "  c%" PRIx64 " [label=\"%u level-%d tables|0x%" PRIx64 " .. 0x%" PRIx64
          "|<e0> 0..511 each: %s\"];\n",
          PTE2PA(g->pte), g->last - g->first + 1, level - 1, PTE2PA(g->pte), PTE2PA(last),
          letters);
  put(d, "  t%" PRIx64 ":e%u -> c%" PRIx64 "%s;\n", table, g->first, PTE2PA(g->pte),
          hl);
  put(d, "  c%" PRIx64 ":e0 -> r%ld%s;\n", PTE2PA(g->pte), i, hl);
}

// The node for a run of user pages g->first..g->last with the same bits (try_run), the
// ranges i.. of one page each: its regions, vas and each page's pa, and its edge.
static void emit_run(struct dot *d, const struct drawn *t, int level, const struct group *g,
                     const char *hl, long i) {
  unsigned n = g->last - g->first + 1;
  uint64_t page = 1ULL << PXSHIFT(level);
  struct render_range r0 = {.va = va_canonical(t->va + ((uint64_t)g->first << PXSHIFT(level))),
                            .size = page, .attr = (unsigned)(g->pte & RENDER_ATTR_BITS)};
  struct render_range r1 = r0;
  r1.va = va_canonical(t->va + ((uint64_t)g->last << PXSHIFT(level)));
  const char *a = render_region_name(&d->rg, i, &r0);
  const char *b = render_region_name(&d->rg, i + n - 1, &r1);
  bool same = strcmp(a, b) == 0;
  char letters[RENDER_ATTR_LEN], size[32];
  render_attr(r0.attr, letters);
  size_text(page, size, sizeof(size));
  put(d,
          "  u%" PRIx64 "_%u [shape=box, style=\"rounded,filled\", fillcolor=%s, "
          "label=\"%s%s%s\\lva 0x%" PRIx64 "..0x%" PRIx64 "\\l%u x %s %s\\lpa",
          t->table, g->first, fill_for(r0.attr), a, same ? "" : " .. ", same ? "" : b, r0.va,
          r1.va + page - 1, n, size, letters);
  for (unsigned k = 0; k < n; k++)
    put(d, "%s0x%" PRIx64, k % 4 == 0 ? "\\l  " : " ",
            PTE2PA(pte_at(d, t->table + 8ULL * (g->first + k))));
  put(d, "\\l\"];\n  t%" PRIx64 ":e%u -> u%" PRIx64 "_%u%s;\n", t->table, g->first,
          t->table, g->first, hl);
}

// The node for pages at a stride (kernel stacks between their guard pages), and its edge.
static void emit_stride(struct dot *d, uint64_t table, int level, uint64_t va,
                        const struct group *g, const char *hl) {
  unsigned n = (g->last - g->first) / g->stride + 1;
  uint64_t page = 1ULL << PXSHIFT(level), pa = PTE2PA(g->pte);
  uint64_t va0 = va_canonical(va + ((uint64_t)g->first << PXSHIFT(level)));
  uint64_t va1 = va_canonical(va + ((uint64_t)g->last << PXSHIFT(level)));
  char letters[RENDER_ATTR_LEN], size[32];
  render_attr((unsigned)(g->pte & RENDER_ATTR_BITS), letters);
  size_text(page, size, sizeof(size));
  put(d,
          "  s%" PRIx64 "_%u [shape=box, style=\"rounded,filled\", fillcolor=%s, "
          "label=\"%s\\lpa 0x%" PRIx64 "..0x%" PRIx64 "\\lva 0x%" PRIx64 "..0x%" PRIx64
          ", every %u pages\\l%u x %s %s\\l\"];\n",
          table, g->first, fill_for((unsigned)(g->pte & RENDER_ATTR_BITS)),
          d->rg.user ? "user pages" : "kernel stacks", pa, pa + n * page - 1, va0,
          va1 + page - 1, g->stride, n, size, letters);
  put(d, "  t%" PRIx64 ":e%u -> s%" PRIx64 "_%u%s;\n", table, g->first, table,
          g->first, hl);
}

static void emit_label(struct dot *d, uint64_t table, int level, const struct group *g,
                       unsigned n) {
  put(d, "  t%" PRIx64 " [label=\"level %d: 0x%" PRIx64, table, level, table);
  for (unsigned k = 0; k < n; k++) {
    char letters[RENDER_ATTR_LEN];
    render_attr((unsigned)(g[k].pte & RENDER_ATTR_BITS), letters);
    put(d, "|<e%u> %u", g[k].first, g[k].first);
    if (g[k].last > g[k].first)
      put(d, "..%u", g[k].last);
    switch (g[k].kind) {
    case G_LEAVES: put(d, ": %s", letters); break;
    case G_RUN: put(d, ": %u x %s", g[k].last - g[k].first + 1, letters); break;
    case G_STRIDE:
      put(d, " step %u: %u x %s", g[k].stride,
              (g[k].last - g[k].first) / g[k].stride + 1, letters);
      break;
    case G_TABLE: break;
    case G_TABLES: put(d, ": %u tables", g[k].last - g[k].first + 1); break;
    case G_STOP:
      put(d, ": 0x%" PRIx64 " (%s)", PTE2PA(g[k].pte),
              level == 0 ? "not a leaf" : "not in RAM");
      break;
    }
  }
  put(d, "\"];\n");
}

// Start drawing the table page at table (in RAM), whose first entry maps va: its fields,
// and in the first walk its node, unless it was drawn before. Returns 0, or 1 when it was
// drawn before.
static int begin_table(struct dot *d, uint64_t table, int level, uint64_t va) {
  if (seen_before(d, table))
    return 1;
  struct drawn *t = &d->level[level];
  t->table = table;
  t->va = va;
  t->n = group_entries(d, table, level, va, t->g);
  t->k = 0;
  if (d->draw)
    emit_label(d, table, level, t->g, t->n);
  return 0;
}

// Whether `dot ... walk VA`'s va lies in what group g of the table mapping va (at level)
// covers: its edge is on the path of that translation.
static bool on_path(const struct dot *d, uint64_t va, int level, const struct group *g) {
  if (!d->walk)
    return false;
  uint64_t lo = va_canonical(va + ((uint64_t)g->first << PXSHIFT(level)));
  uint64_t hi = va_canonical(va + ((uint64_t)g->last << PXSHIFT(level))) +
                ((1ULL << PXSHIFT(level)) - 1);
  return d->walk_va >= lo && d->walk_va <= hi;
}

// Draw the field that entry e begins, with its edge, parents before children so that
// Graphviz lays the levels out in index order; the walk enters a table drawn for the
// first time. An entry inside a field was drawn with the field's first. Every leaf the
// walk meets is counted among the ranges first (and the leaves of uniform tables, which
// it does not enter, with their field).
static enum pt_step draw_entry(void *ctx, const struct pt_entry *e) {
  struct dot *d = ctx;
  struct drawn *t = &d->level[e->level];
  assert(t->table == e->pte_pa - 8ULL * e->index);
  while (t->g[t->k].last < e->index)
    t->k++;
  assert(t->k < t->n);
  const struct group *g = &t->g[t->k];
  struct leaf l = {e->va, e->pte, e->level, e->pte_pa - 8ULL * e->index, e->index};
  long range = PTE_LEAF(e->pte) ? note_leaf(d, &l) : -1;
  if (g->first != e->index)
    return PT_SKIP;
  uint64_t table = t->table, child = PTE2PA(g->pte);
  const char *hl = on_path(d, t->va, e->level, g) ? " [color=red, penwidth=3]" : "";
  switch (g->kind) {
  case G_LEAVES:
    emit_range(d, range, &l);
    if (d->draw)
      put(d, "  t%" PRIx64 ":e%u -> r%ld%s;\n", table, g->first, range, hl);
    break;
  case G_RUN:
    if (d->draw)
      emit_run(d, t, e->level, g, hl, range);
    return PT_SKIP;
  case G_STRIDE:
    if (d->draw)
      emit_stride(d, table, e->level, t->va, g, hl);
    break;
  case G_TABLE: {
    if (d->draw)
      put(d, "  t%" PRIx64 ":e%u -> t%" PRIx64 "%s;\n", table, g->first, child, hl);
    return begin_table(d, child, e->level - 1, e->va) ? PT_SKIP : PT_CONTINUE;
  }
  case G_TABLES: {
    struct leaf first = {e->va, pte_at(d, child), e->level - 1, child, 0};
    emit_tables(d, table, e->level, g, hl, note_leaf(d, &first), &first);
    return PT_SKIP;
  }
  case G_STOP: break;
  }
  return PT_CONTINUE;
}

// One walk of the tree at root, drawing (d->draw) or writing range nodes.
static void dot_walk(struct dot *d, uint64_t root, bool user, uint64_t etext) {
  memset(d->seen, 0, sizeof(d->seen));
  d->nseen = 0;
  d->emitted = -1;
  render_regions_init(&d->rg, user, etext);
  if (!pt_table_in_ram(d->ram, root))
    return;
  begin_table(d, root, 2, 0);
  pt_walk(d->ram, root, draw_entry, d);
}

// The graph of t, on d->out (as text or as a JSON string's body).
static void draw(struct dot *d, struct machine *m, const struct render_table *t) {
  put(d, "digraph pagetable {\n  graph [rankdir=LR, labelloc=t, label=\"");
  if (t->pid > 0)
    put(d, "pid %d %s", t->pid, t->which);
  else
    put(d, "%s", t->which);
  put(d, " page table, satp 0x%016" PRIx64, t->satp);
  if (t->walk)
    put(d, ", the walk of va 0x%" PRIx64 " in red", t->walk_va);
  put(d, "\"];\n  node [shape=record];\n");
  bool user = render_table_is_user(m, t);
  dot_walk(d, t->root, user, m->cfg.etext);
  d->draw = false;
  dot_walk(d, t->root, user, m->cfg.etext);
  emit_legend(d);
  put(d, "}\n");
}

// A drawing of t onto out, or NULL out of host memory.
static struct dot *dot_new(struct machine *m, const struct render_table *t, FILE *out,
                           bool json) {
  struct dot *d = malloc(sizeof(*d));
  if (d != NULL)
    *d = (struct dot){.ram = &m->hw.ram, .out = out, .json = json, .draw = true,
                      .expand = t->expand, .walk = t->walk, .walk_va = t->walk_va};
  return d;
}

int render_dot(struct machine *m, const struct render_table *t, FILE *out) {
  struct dot *d = dot_new(m, t, out, false);
  if (d == NULL)
    return -1;
  draw(d, m, t);
  free(d);
  return 0;
}

int render_dot_json(struct machine *m, const struct render_table *t, cJSON *head,
                    FILE *out) {
  struct dot *d = dot_new(m, t, out, true);
  char *text = d != NULL ? cJSON_PrintUnformatted(head) : NULL;
  if (text == NULL) {
    free(d);
    return -1;
  }
  size_t len = strlen(text); // without its closing "}": "dot" is the last key
  fwrite(text, 1, len - 1, out);
  cJSON_free(text);
  fputs(len > 2 ? ",\"dot\":\"" : "\"dot\":\"", out);
  draw(d, m, t);
  fputs("\"}\n", out);
  free(d);
  return 0;
}
