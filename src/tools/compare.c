// Comparing two tables (tools/compare.h): one merge over both dumps' entries, which
// import and the walk both give in va order with each pointer before its table's entries.
#include "sv39sim/tools/compare.h"

#include <stdlib.h>
#include <string.h>

#include "sv39sim/sv39.h"

// Entry x before entry y in walk order: lower va first, a pointer before what it holds.
static int order(const struct import_pte *x, const struct import_pte *y) {
  if (x->va != y->va)
    return x->va < y->va ? -1 : 1;
  return (y->level > x->level) - (y->level < x->level);
}

// The index after p's subtree in ptes[i..n) (p = ptes[i]; a leaf has none).
static size_t skip_subtree(const struct import_pte *ptes, size_t i, size_t n) {
  const struct import_pte *p = &ptes[i];
  uint64_t end = p->va + (1ULL << PXSHIFT(p->level));
  size_t j = i + 1;
  while (j < n && ptes[j].level < p->level && ptes[j].va - p->va < end - p->va)
    j++;
  return j;
}

// Append d. Returns 0, or -1 when the host is out of memory.
static int add_diff(struct compare_report *r, size_t *cap, struct compare_diff d) {
  if (r->ndiffs == *cap) {
    size_t c = *cap ? 2 * *cap : 16;
    struct compare_diff *n = realloc(r->diffs, c * sizeof(*n));
    if (n == NULL)
      return -1;
    r->diffs = n;
    *cap = c;
  }
  r->diffs[r->ndiffs++] = d;
  return 0;
}

// Count one pair of pages the two tables name at the same place.
static void count_pa(struct compare_report *r, uint64_t pa, uint64_t pb) {
  if (pa == pb) {
    r->nsame_pa++;
    return;
  }
  int64_t s = (int64_t)(pa - pb) / (int64_t)PGSIZE;
  if (r->nother_pa == 0)
    r->shift = s;
  else if (s != r->shift)
    r->one_shift = false;
  r->nother_pa++;
}

int compare_dumps(const struct import_dump *a, const struct import_dump *b,
                  struct compare_report *r) {
  memset(r, 0, sizeof(*r));
  r->one_shift = true;
  size_t cap = 0, i = 0, j = 0;
  count_pa(r, a->root, b->root);
  while (i < a->nptes || j < b->nptes) {
    int c = i == a->nptes ? 1 : j == b->nptes ? -1 : order(&a->ptes[i], &b->ptes[j]);
    const struct import_pte *x = i < a->nptes ? &a->ptes[i] : NULL;
    const struct import_pte *y = j < b->nptes ? &b->ptes[j] : NULL;
    struct compare_diff d = {0};
    if (c < 0) {
      d = (struct compare_diff){COMPARE_ONLY_A, x->level, x->va, x->pte, 0};
      i = skip_subtree(a->ptes, i, a->nptes);
    } else if (c > 0) {
      d = (struct compare_diff){COMPARE_ONLY_B, y->level, y->va, 0, y->pte};
      j = skip_subtree(b->ptes, j, b->nptes);
    } else {
      r->nmatched++;
      count_pa(r, PTE2PA(x->pte), PTE2PA(y->pte));
      bool kinds = PTE_TABLE(x->pte) != PTE_TABLE(y->pte);
      i = kinds ? skip_subtree(a->ptes, i, a->nptes) : i + 1;
      j = kinds ? skip_subtree(b->ptes, j, b->nptes) : j + 1;
      if (((x->pte ^ y->pte) & 0xff) == 0)
        continue;
      d = (struct compare_diff){COMPARE_FLAGS, x->level, x->va, x->pte, y->pte};
    }
    if (add_diff(r, &cap, d) != 0) {
      compare_free(r);
      return -1;
    }
  }
  r->same_shape = r->ndiffs == 0;
  // Same shape means every entry matched, in the same order on both sides.
  r->identical = r->same_shape && r->nother_pa == 0;
  for (size_t k = 0; r->identical && k < a->nptes; k++)
    r->identical = a->ptes[k].pte == b->ptes[k].pte;
  return 0;
}

void compare_free(struct compare_report *r) {
  free(r->diffs);
  r->diffs = NULL;
  r->ndiffs = 0;
}
