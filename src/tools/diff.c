// diff: snapshots of a table in host memory (tools/diff.h), compared entry by entry. Both
// snapshots list their PTEs in pt_walk's order, in which (va, level) only grows (va
// ascending, and at one va a pointer comes before the entries of its table), so the
// comparison is one merge of two sorted lists.
#include "sv39sim/tools/diff.h"

#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/machine.h"

struct snap_ctx {
  struct diff_snap *s;
  bool failed;
};

// Make room for one more of n items of size in *a (capacity *cap). Returns 0 or -1.
static int grow(void **a, size_t n, size_t *cap, size_t size) {
  if (n < *cap)
    return 0;
  size_t c = *cap ? 2 * *cap : 64;
  void *p = realloc(*a, c * size);
  if (p == NULL)
    return -1;
  *a = p;
  *cap = c;
  return 0;
}

// Record table page pa. Returns 0 or -1 out of memory.
static int add_page(struct diff_snap *s, uint64_t pa) {
  if (grow((void **)&s->pages, s->npages, &s->pcap, sizeof(*s->pages)) != 0)
    return -1;
  s->pages[s->npages++] = pa;
  return 0;
}

// Record e, and the table it points to when the walk enters it.
static enum pt_step snap_entry(void *ctx, const struct pt_entry *e) {
  struct snap_ctx *k = ctx;
  struct diff_snap *s = k->s;
  if (s->n == DIFF_MAX_ENTRIES ||
      grow((void **)&s->e, s->n, &s->cap, sizeof(*s->e)) != 0 ||
      (e->enter && add_page(s, PTE2PA(e->pte)) != 0)) {
    k->failed = true;
    return PT_STOP;
  }
  s->e[s->n++] = (struct diff_pte){.va = e->va, .pte = e->pte, .level = e->level};
  return PT_CONTINUE;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int diff_snapshot(struct machine *m, uint64_t root, struct diff_snap *s) {
  *s = (struct diff_snap){.root = root};
  struct snap_ctx k = {.s = s};
  if (pt_table_in_ram(&m->hw.ram, root) && add_page(s, root) != 0)
    k.failed = true;
  if (!k.failed)
    pt_walk(&m->hw.ram, root, snap_entry, &k);
  if (k.failed) {
    diff_snap_free(s);
    return -1;
  }
  // A table shared by two pointers (built by hand) is one page.
  if (s->npages > 1) // a root outside RAM leaves no pages, and no array to sort
    qsort(s->pages, s->npages, sizeof(*s->pages), cmp_u64);
  size_t n = 0;
  for (size_t i = 0; i < s->npages; i++) {
    if (n == 0 || s->pages[n - 1] != s->pages[i])
      s->pages[n++] = s->pages[i];
  }
  s->npages = n;
  return 0;
}

void diff_snap_free(struct diff_snap *s) {
  free(s->e);
  free(s->pages);
  *s = (struct diff_snap){0};
}

// The walk's order of two keys: by va, then the higher level first.
static int key_cmp(const struct diff_pte *a, const struct diff_pte *b) {
  if (a->va != b->va)
    return a->va < b->va ? -1 : 1;
  return a->level > b->level ? -1 : a->level < b->level;
}

// Append a change to r. Returns 0 or -1 out of memory.
static int add_change(struct diff_result *r, size_t *cap, struct diff_change c) {
  if (grow((void **)&r->c, r->n, cap, sizeof(*r->c)) != 0)
    return -1;
  r->c[r->n++] = c;
  r->nadded += c.kind == DIFF_ADDED;
  r->nremoved += c.kind == DIFF_REMOVED;
  r->nchanged += c.kind == DIFF_CHANGED;
  return 0;
}

// The PTE changes from a to b, merged in walk order.
static int compare_entries(const struct diff_snap *a, const struct diff_snap *b,
                           struct diff_result *r) {
  size_t i = 0, j = 0, cap = 0, nb = b ? b->n : 0;
  while (i < a->n || j < nb) {
    int k = i == a->n ? 1 : j == nb ? -1 : key_cmp(&a->e[i], &b->e[j]);
    struct diff_change c;
    if (k < 0) {
      c = (struct diff_change){DIFF_REMOVED, a->e[i].va, a->e[i].level, a->e[i].pte, 0};
      i++;
    } else if (k > 0) {
      c = (struct diff_change){DIFF_ADDED, b->e[j].va, b->e[j].level, 0, b->e[j].pte};
      j++;
    } else {
      c = (struct diff_change){DIFF_CHANGED, a->e[i].va, a->e[i].level, a->e[i].pte,
                               b->e[j].pte};
      i++, j++;
      if (c.old_pte == c.new_pte)
        continue;
    }
    if (add_change(r, &cap, c) != 0)
      return -1;
  }
  return 0;
}

// Whether pa is in the sorted list p of n pages.
static bool has_page(const uint64_t *p, size_t n, uint64_t pa) {
  return n > 0 && bsearch(&pa, p, n, sizeof(*p), cmp_u64) != NULL;
}

static int cmp_lost(const void *a, const void *b) {
  return cmp_u64(&((const struct diff_lost *)a)->pa, &((const struct diff_lost *)b)->pa);
}

// Mark the lost pages that are on m's free list: one pass down the list, at most nfree
// links (a list made to loop by hand ends there).
static void mark_freed(struct machine *m, struct diff_lost *lost, size_t n) {
  if (n == 0)
    return;
  uint64_t steps = 0;
  for (uint64_t pa = m->kmem.freelist; pa != 0 && steps <= m->kmem.nfree; steps++) {
    struct diff_lost key = {.pa = pa};
    struct diff_lost *l = bsearch(&key, lost, n, sizeof(*lost), cmp_lost);
    if (l != NULL)
      l->freed = true;
    uint64_t next = 0;
    if (ram_load(&m->hw.ram, pa, 8, &next) != 0)
      break;
    pa = next;
  }
}

// The table pages in one snapshot and not the other.
static int compare_pages(struct machine *m, const struct diff_snap *a,
                         const struct diff_snap *b, struct diff_result *r) {
  size_t nb = b ? b->npages : 0;
  r->gained = malloc((nb + 1) * sizeof(*r->gained));
  r->lost = malloc((a->npages + 1) * sizeof(*r->lost));
  if (r->gained == NULL || r->lost == NULL)
    return -1;
  for (size_t j = 0; j < nb; j++) {
    if (!has_page(a->pages, a->npages, b->pages[j]))
      r->gained[r->ngained++] = b->pages[j];
  }
  for (size_t i = 0; i < a->npages; i++) {
    if (b == NULL || !has_page(b->pages, b->npages, a->pages[i]))
      r->lost[r->nlost++] = (struct diff_lost){.pa = a->pages[i]};
  }
  mark_freed(m, r->lost, r->nlost);
  return 0;
}

int diff_compare(struct machine *m, const struct diff_snap *a, const struct diff_snap *b,
                 struct diff_result *r) {
  *r = (struct diff_result){0};
  if (compare_entries(a, b, r) != 0 || compare_pages(m, a, b, r) != 0) {
    diff_result_free(r);
    return -1;
  }
  return 0;
}

void diff_result_free(struct diff_result *r) {
  free(r->c);
  free(r->gained);
  free(r->lost);
  *r = (struct diff_result){0};
}

int diff_copies(const struct diff_snap *parent, const struct diff_snap *child, uint64_t sz,
                struct diff_copy **out, size_t *n) {
  *out = NULL;
  *n = 0;
  size_t cap = 0, j = 0;
  for (size_t i = 0; i < parent->n; i++) {
    const struct diff_pte *p = &parent->e[i];
    if (!PTE_LEAF(p->pte) || p->va >= sz)
      continue;
    while (j < child->n && key_cmp(&child->e[j], p) < 0)
      j++;
    if (j == child->n || key_cmp(&child->e[j], p) != 0 || !PTE_LEAF(child->e[j].pte))
      continue;
    if (grow((void **)out, *n, &cap, sizeof(**out)) != 0) {
      free(*out);
      *out = NULL;
      *n = 0;
      return -1;
    }
    uint64_t ppa = PTE2PA(p->pte), cpa = PTE2PA(child->e[j].pte);
    (*out)[(*n)++] = (struct diff_copy){p->va, ppa, cpa, ppa == cpa};
  }
  return 0;
}
