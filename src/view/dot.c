// A page table as a Graphviz digraph, for `dot`: tables are record nodes, the physical
// memory they map is one node per range (as `ranges` lists them), so a slide shows the
// structure without 32768 boxes for the kernel's direct map.
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/memlayout.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

// What one field of a table node stands for: consecutive entries drawn as one.
enum group_kind { G_LEAVES, G_RUN, G_STRIDE, G_TABLE, G_TABLES, G_STOP };

struct group {
  enum group_kind kind;
  unsigned first, last; // entry indices
  unsigned stride;      // G_STRIDE: entries first, first + stride, ... last
  uint64_t pte;         // the first entry's
  long range;           // G_LEAVES, G_TABLES: the range node the leaves belong to;
                        // G_RUN: the first of its one-page ranges
};

// A table being drawn: its n fields, g[k] the one the walk is in.
struct drawn {
  uint64_t table; // pa of its page
  uint64_t va;    // that its first entry maps
  struct group g[512];
  unsigned n, k;
};

struct dot {
  struct ram *ram;
  FILE *out;
  struct render_range *ranges; // in va order, as render_ranges_walk reports them
  size_t nranges, rangecap;
  bool *used; // which ranges some field points at
  uint64_t *seen; // tables drawn already: a table built by hand may be shared or cyclic
  size_t nseen, seencap;
  struct drawn level[3]; // the table at each level that the walk is in
  bool expand;    // no G_RUN groups (render_table.expand)
  bool walk;      // highlight the edges on walk_va's path (render_table.walk)
  uint64_t walk_va;
  bool user;      // a process's user table (regions named from its layout), else a kernel's
  uint64_t etext; // the kernel image's, for its text and data regions
  long guard;     // user: the range of the guard page (no U below the trapframe), or -1
};

// The PTE at pa, which lies in a table page inside RAM.
static uint64_t pte_at(struct dot *d, uint64_t pa) {
  uint64_t pte = 0;
  ram_load(d->ram, pa, 8, &pte);
  return pte;
}

static int collect_range(void *ctx, const struct render_range *r) {
  struct dot *d = ctx;
  if (d->nranges == RENDER_MAX_ENTRIES)
    return -1;
  if (d->nranges == d->rangecap) {
    size_t cap = d->rangecap ? 2 * d->rangecap : 64;
    struct render_range *a = realloc(d->ranges, cap * sizeof(*a));
    if (a == NULL)
      return -1;
    d->ranges = a;
    d->rangecap = cap;
  }
  d->ranges[d->nranges++] = *r;
  return 0;
}

// The index of the range holding canonical va, or -1.
static long range_of(const struct dot *d, uint64_t va) {
  size_t lo = 0, hi = d->nranges;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->ranges[mid].va <= va)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0 || va - d->ranges[lo - 1].va >= d->ranges[lo - 1].size)
    return -1;
  return (long)(lo - 1);
}

// Marks table as drawn. Returns 1 if it was drawn before, 0 if not, -1 out of memory.
static int seen_before(struct dot *d, uint64_t table) {
  for (size_t i = 0; i < d->nseen; i++) {
    if (d->seen[i] == table)
      return 1;
  }
  if (d->nseen == d->seencap) {
    size_t cap = d->seencap ? 2 * d->seencap : 64;
    uint64_t *a = realloc(d->seen, cap * sizeof(*a));
    if (a == NULL)
      return -1;
    d->seen = a;
    d->seencap = cap;
  }
  d->seen[d->nseen++] = table;
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
    if ((pte & 0xff) != (first & 0xff) ||
        PTE2PA(pte) != PTE2PA(first) + (i << PXSHIFT(level)))
      return false;
  }
  return true;
}

// The single-page range that the leaf at index i of a table maps, or -1 when it is part of
// a longer range.
static long lone_page(const struct dot *d, uint64_t pte, int level, uint64_t va, unsigned i) {
  if (!PTE_LEAF(pte))
    return -1;
  long r = range_of(d, va_canonical(va + ((uint64_t)i << PXSHIFT(level))));
  return r >= 0 && d->ranges[r].size == 1ULL << PXSHIFT(level) ? r : -1;
}

// Extend a one-page leaf group into a run of pages at a fixed index stride with invalid
// entries between them and physically consecutive pages, with the same bits: how procinit
// lays out kernel stacks with their guard pages. Three pages make a run worth drawing.
static void try_stride(struct dot *d, uint64_t table, int level, uint64_t va, struct group *g) {
  if (lone_page(d, g->pte, level, va, g->first) < 0)
    return;
  unsigned stride = 0, last = g->first;
  uint64_t pa = PTE2PA(g->pte), page = 1ULL << PXSHIFT(level);
  for (unsigned i = g->first + 1; i < 512; i++) {
    uint64_t pte = pte_at(d, table + 8ULL * i);
    if ((pte & PTE_V) == 0)
      continue;
    if (stride == 0)
      stride = i - g->first;
    if (i - last != stride || (pte & 0xff) != (g->pte & 0xff) || PTE2PA(pte) != pa + page ||
        lone_page(d, pte, level, va, i) < 0)
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
  if (lone_page(d, g->pte, level, va, g->first) < 0)
    return;
  unsigned last = g->first;
  while (last + 1 < 512 && (ptes[last + 1] & 0xff) == (g->pte & 0xff) &&
         lone_page(d, ptes[last + 1], level, va, last + 1) >= 0)
    last++;
  if (last > g->first) {
    g->kind = G_RUN;
    g->last = last;
  }
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
    *cur = (struct group){.kind = G_STOP, .first = i, .last = i, .pte = pte, .range = -1};
    if (PTE_LEAF(pte)) {
      cur->kind = G_LEAVES;
      cur->range = range_of(d, va_canonical(va + ((uint64_t)i << PXSHIFT(level))));
      while (cur->last + 1 < 512) {
        uint64_t next = ptes[cur->last + 1];
        uint64_t nva = va_canonical(va + ((uint64_t)(cur->last + 1) << PXSHIFT(level)));
        if (!PTE_LEAF(next) || range_of(d, nva) != cur->range)
          break;
        cur->last++;
      }
      if (cur->last == cur->first && d->user && !d->expand)
        try_run(d, ptes, level, va, cur);
      if (cur->last == cur->first)
        try_stride(d, table, level, va, cur);
    } else if (pt_enters(d->ram, pte, level)) {
      cur->kind = G_TABLE;
      if (uniform(d, PTE2PA(pte), level - 1)) {
        cur->range = range_of(d, va_canonical(va + ((uint64_t)i << PXSHIFT(level))));
        while (cur->last + 1 < 512) {
          uint64_t next = ptes[cur->last + 1];
          uint64_t nva = va_canonical(va + ((uint64_t)(cur->last + 1) << PXSHIFT(level)));
          if (!pt_enters(d->ram, next, level) || !uniform(d, PTE2PA(next), level - 1) ||
              range_of(d, nva) != cur->range)
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

// The memlayout region range i lies in, by its va: xv6's kernel devices, image and stacks,
// or in a user table the pages exec lays out (text and data, the guard page, the stack
// above it, and what sbrk added above the stack: heap) and the pgtbl lab's USYSCALL.
static const char *region_name(const struct dot *d, size_t i) {
  const struct render_range *r = &d->ranges[i];
  uint64_t va = r->va;
  if (va == TRAMPOLINE)
    return "trampoline";
  if (va == TRAPFRAME && d->user)
    return "trapframe";
  if (va == USYSCALL && d->user && r->size == PGSIZE)
    return "USYSCALL"; // the pgtbl lab's page (2021 on); nothing else maps this va
  if (d->user) {
    if ((long)i == d->guard)
      return "guard page";
    if (d->guard < 0 || (long)i < d->guard)
      return "text/data";
    return (long)i == d->guard + 1 ? "stack" : "heap";
  }
  if (va >= CLINT && va < CLINT + CLINT_SIZE)
    return "CLINT";
  if (va >= PLIC && va < UART0)
    return "PLIC";
  if (va == UART0)
    return r->size > PGSIZE ? "UART0, VIRTIO0" : "UART0";
  if (va == VIRTIO0)
    return "VIRTIO0";
  if (va >= KERNBASE && va < d->etext)
    return "kernel text";
  if (va >= d->etext && va < TRAPFRAME && va < (1ULL << 38))
    return "kernel data, RAM";
  if (va >= KERNBASE)
    return "kernel stack";
  return "user memory";
}

// The colours' meanings, as a node of their own.
static void emit_legend(struct dot *d) {
  fputs("  legend [shape=none, margin=0, label=<<table border=\"0\" cellborder=\"1\" "
        "cellspacing=\"0\"><tr><td>colour</td><td>leaf bits</td></tr>"
        "<tr><td bgcolor=\"lightblue\"> </td><td>u: user</td></tr>"
        "<tr><td bgcolor=\"pink\"> </td><td>x, no u: code</td></tr>"
        "<tr><td bgcolor=\"lightyellow\"> </td><td>w, no u or x: data</td></tr>"
        "<tr><td bgcolor=\"white\"> </td><td>r only: read-only</td></tr>"
        "<tr><td bgcolor=\"lightgrey\"> </td><td>guard page (user table, no u)</td></tr></table>>];\n", d->out);
}

static void emit_ranges(struct dot *d) {
  for (size_t i = 0; i < d->nranges; i++) {
    const struct render_range *r = &d->ranges[i];
    if (!d->used[i])
      continue;
    char letters[8], size[32];
    render_attr(r->attr, letters);
    size_text(r->size, size, sizeof(size));
    fprintf(d->out,
            "  r%zu [shape=box, style=\"rounded,filled\", fillcolor=%s, "
            "label=\"%s\\lpa 0x%" PRIx64 "..0x%" PRIx64 "\\lva 0x%" PRIx64 "\\l%s %s\\l\"];\n",
            i, (long)i == d->guard ? "lightgrey" : fill_for(r->attr), region_name(d, i), r->pa, r->pa + (r->size - 1), r->va, size, letters);
  }
}

// The node for a run of uniform tables g->first..g->last under table, and its edge.
static void emit_tables(struct dot *d, uint64_t table, int level, const struct group *g,
                        const char *hl) {
  uint64_t last = pte_at(d, table + 8ULL * g->last);
  char letters[8];
  render_attr((unsigned)(pte_at(d, PTE2PA(g->pte)) & 0xff), letters);
  fprintf(d->out,
          "  c%" PRIx64 " [label=\"%u level-%d tables|0x%" PRIx64 " .. 0x%" PRIx64
          "|<e0> 0..511 each: %s\"];\n",
          PTE2PA(g->pte), g->last - g->first + 1, level - 1, PTE2PA(g->pte), PTE2PA(last),
          letters);
  fprintf(d->out, "  t%" PRIx64 ":e%u -> c%" PRIx64 "%s;\n", table, g->first, PTE2PA(g->pte),
          hl);
  if (g->range >= 0) {
    d->used[g->range] = true;
    fprintf(d->out, "  c%" PRIx64 ":e0 -> r%ld%s;\n", PTE2PA(g->pte), g->range, hl);
  }
}

// The node for a run of user pages g->first..g->last with the same bits (try_run): its
// regions, vas and each page's pa, and its edge.
static void emit_run(struct dot *d, uint64_t table, int level, const struct group *g,
                     const char *hl) {
  unsigned n = g->last - g->first + 1;
  const struct render_range *r0 = &d->ranges[g->range], *r1 = &d->ranges[g->range + n - 1];
  const char *a = region_name(d, (size_t)g->range), *b = region_name(d, (size_t)g->range + n - 1);
  char letters[8], size[32];
  render_attr(r0->attr, letters);
  size_text(1ULL << PXSHIFT(level), size, sizeof(size));
  fprintf(d->out,
          "  u%" PRIx64 "_%u [shape=box, style=\"rounded,filled\", fillcolor=%s, "
          "label=\"%s%s%s\\lva 0x%" PRIx64 "..0x%" PRIx64 "\\l%u x %s %s\\lpa",
          table, g->first, fill_for(r0->attr), a, a == b ? "" : " .. ", a == b ? "" : b,
          r0->va, r1->va + r1->size - 1, n, size, letters);
  for (unsigned k = 0; k < n; k++)
    fprintf(d->out, "%s0x%" PRIx64, k % 4 == 0 ? "\\l  " : " ", d->ranges[g->range + k].pa);
  fprintf(d->out, "\\l\"];\n  t%" PRIx64 ":e%u -> u%" PRIx64 "_%u%s;\n", table, g->first, table,
          g->first, hl);
}

// The node for pages at a stride (kernel stacks between their guard pages), and its edge.
static void emit_stride(struct dot *d, uint64_t table, int level, uint64_t va,
                        const struct group *g, const char *hl) {
  unsigned n = (g->last - g->first) / g->stride + 1;
  uint64_t page = 1ULL << PXSHIFT(level), pa = PTE2PA(g->pte);
  uint64_t va0 = va_canonical(va + ((uint64_t)g->first << PXSHIFT(level)));
  uint64_t va1 = va_canonical(va + ((uint64_t)g->last << PXSHIFT(level)));
  char letters[8], size[32];
  render_attr((unsigned)(g->pte & 0xff), letters);
  size_text(page, size, sizeof(size));
  fprintf(d->out,
          "  s%" PRIx64 "_%u [shape=box, style=\"rounded,filled\", fillcolor=%s, "
          "label=\"%s\\lpa 0x%" PRIx64 "..0x%" PRIx64 "\\lva 0x%" PRIx64 "..0x%" PRIx64
          ", every %u pages\\l%u x %s %s\\l\"];\n",
          table, g->first, fill_for((unsigned)(g->pte & 0xff)),
          d->user ? "user pages" : "kernel stacks", pa, pa + n * page - 1, va0,
          va1 + page - 1, g->stride, n, size, letters);
  fprintf(d->out, "  t%" PRIx64 ":e%u -> s%" PRIx64 "_%u%s;\n", table, g->first, table,
          g->first, hl);
}

static void emit_label(struct dot *d, uint64_t table, int level, const struct group *g,
                       unsigned n) {
  fprintf(d->out, "  t%" PRIx64 " [label=\"level %d: 0x%" PRIx64, table, level, table);
  for (unsigned k = 0; k < n; k++) {
    char letters[8];
    render_attr((unsigned)(g[k].pte & 0xff), letters);
    fprintf(d->out, "|<e%u> %u", g[k].first, g[k].first);
    if (g[k].last > g[k].first)
      fprintf(d->out, "..%u", g[k].last);
    switch (g[k].kind) {
    case G_LEAVES: fprintf(d->out, ": %s", letters); break;
    case G_RUN: fprintf(d->out, ": %u x %s", g[k].last - g[k].first + 1, letters); break;
    case G_STRIDE:
      fprintf(d->out, " step %u: %u x %s", g[k].stride,
              (g[k].last - g[k].first) / g[k].stride + 1, letters);
      break;
    case G_TABLE: break;
    case G_TABLES: fprintf(d->out, ": %u tables", g[k].last - g[k].first + 1); break;
    case G_STOP:
      fprintf(d->out, ": 0x%" PRIx64 " (%s)", PTE2PA(g[k].pte),
              level == 0 ? "not a leaf" : "not in RAM");
      break;
    }
  }
  fputs("\"];\n", d->out);
}

// Start drawing the table page at table (in RAM), whose first entry maps va: its node,
// unless it was drawn before. Returns 0, 1 when it was drawn before, -1 out of memory.
static int begin_table(struct dot *d, uint64_t table, int level, uint64_t va) {
  int r = seen_before(d, table);
  if (r != 0)
    return r;
  struct drawn *t = &d->level[level];
  t->table = table;
  t->va = va;
  t->n = group_entries(d, table, level, va, t->g);
  t->k = 0;
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
// first time. An entry inside a field was drawn with the field's first.
static enum pt_step draw_entry(void *ctx, const struct pt_entry *e) {
  struct dot *d = ctx;
  struct drawn *t = &d->level[e->level];
  assert(t->table == e->pte_pa - 8ULL * e->index);
  while (t->g[t->k].last < e->index)
    t->k++;
  assert(t->k < t->n);
  const struct group *g = &t->g[t->k];
  if (g->first != e->index)
    return PT_SKIP;
  uint64_t table = t->table, child = PTE2PA(g->pte);
  const char *hl = on_path(d, t->va, e->level, g) ? " [color=red, penwidth=3]" : "";
  switch (g->kind) {
  case G_LEAVES:
    if (g->range >= 0) {
      d->used[g->range] = true;
      fprintf(d->out, "  t%" PRIx64 ":e%u -> r%ld%s;\n", table, g->first, g->range, hl);
    }
    break;
  case G_RUN: emit_run(d, table, e->level, g, hl); return PT_SKIP;
  case G_STRIDE: emit_stride(d, table, e->level, t->va, g, hl); break;
  case G_TABLE: {
    fprintf(d->out, "  t%" PRIx64 ":e%u -> t%" PRIx64 "%s;\n", table, g->first, child, hl);
    int r = begin_table(d, child, e->level - 1, e->va);
    return r < 0 ? PT_STOP : r > 0 ? PT_SKIP : PT_CONTINUE;
  }
  case G_TABLES: emit_tables(d, table, e->level, g, hl); return PT_SKIP;
  case G_STOP: break;
  }
  return PT_CONTINUE;
}

int render_dot(struct machine *m, const struct render_table *t, FILE *out) {
  // Drawn into memory first, so a failure leaves out untouched.
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (mem == NULL)
    return -1;
  struct dot d = {.ram = &m->hw.ram, .out = mem, .user = t->pid > 0 && t->which[0] == 'u',
                  .etext = m->cfg.etext, .guard = -1, .expand = t->expand,
                  .walk = t->walk, .walk_va = t->walk_va};
  int r = render_ranges_walk(m, t->root, collect_range, &d);
  for (size_t i = 0; r == 0 && d.user && i < d.nranges; i++) {
    if (d.guard < 0 && (d.ranges[i].attr & PTE_U) == 0 && d.ranges[i].va < TRAPFRAME)
      d.guard = (long)i;
  }
  if (r == 0 && d.nranges > 0 && (d.used = calloc(d.nranges, sizeof(*d.used))) == NULL)
    r = -1;
  if (r == 0) {
    fputs("digraph pagetable {\n  graph [rankdir=LR, labelloc=t, label=\"", mem);
    if (t->pid > 0)
      fprintf(mem, "pid %d %s", t->pid, t->which);
    else
      fputs(t->which, mem);
    fprintf(mem, " page table, satp 0x%016" PRIx64, t->satp);
    if (t->walk)
      fprintf(mem, ", the walk of va 0x%" PRIx64 " in red", t->walk_va);
    fputs("\"];\n  node [shape=record];\n", mem);
    if (pt_table_in_ram(d.ram, t->root)) {
      r = begin_table(&d, t->root, 2, 0);
      if (r == 0 && pt_walk(d.ram, t->root, draw_entry, &d) == PT_STOP)
        r = -1;
    }
    emit_ranges(&d);
    emit_legend(&d);
    fputs("}\n", mem);
  }
  bool bad = fclose(mem) != 0 || r != 0;
  if (!bad)
    fwrite(text, 1, len, out);
  free(text);
  free(d.ranges);
  free(d.used);
  free(d.seen);
  return bad ? -1 : 0;
}
