#include "sv39sim/hw/tlb.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/hw.h"
#include "sv39sim/hw/mmu.h"

// The model's behaviour is that of a plain scan of the set: first matching way on a
// lookup, first free way or least recently used on a fill. The hash buckets and the
// per-set recency lists only find the same entries without scanning.

static unsigned page_shift(int level) {
  return PGSHIFT + 9 * (unsigned)level;
}

const char *tlb_geometry_problem(unsigned entries, unsigned ways) {
  if (entries > TLB_MAX_ENTRIES)
    return "the TLB can have at most 65536 entries";
  if (entries == 0)
    return ways == 0 ? NULL : "a TLB of 0 entries has no ways";
  if (ways == 0)
    return NULL;
  if (entries % ways != 0)
    return "TLB ways must divide its entries";
  unsigned sets = entries / ways;
  if ((sets & (sets - 1)) != 0)
    return "TLB entries / ways (the number of sets) must be a power of two";
  return NULL;
}

// A decimal number without sign; end gets what follows it.
static int parse_count(const char *s, unsigned *v, const char **end) {
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  char *e;
  unsigned long x = strtoul(s, &e, 10);
  if (errno != 0 || x > TLB_MAX_ENTRIES)
    return -1;
  *v = (unsigned)x;
  *end = e;
  return 0;
}

int tlb_parse_geometry(const char *s, unsigned *entries, unsigned *ways, const char **why) {
  const char *end;
  *ways = 0;
  if (parse_count(s, entries, &end) != 0) {
    *why = "want ENTRIES or ENTRIESxWAYS, like 32 or 16x4 (at most 65536 entries)";
    return -1;
  }
  if (*end == 'x') {
    if (parse_count(end + 1, ways, &end) != 0 || *ways == 0) {
      *why = "WAYS must be a number from 1 up";
      return -1;
    }
  }
  if (*end != '\0') {
    *why = "want ENTRIES or ENTRIESxWAYS, like 32 or 16x4";
    return -1;
  }
  *why = tlb_geometry_problem(*entries, *ways);
  return *why == NULL ? 0 : -1;
}

int tlb_init(struct tlb *t, unsigned entries, unsigned ways) {
  memset(t, 0, sizeof(*t));
  if (entries == 0) {
    // No entries, but one bucket for the MMU's hit test (struct tlb says why).
    t->bucket = malloc(sizeof(*t->bucket));
    if (t->bucket == NULL)
      return -1;
    t->bucket[0] = (struct tlb_bucket){.key = TLB_KEY_NONE, .more = true};
    return 0;
  }
  t->ways = ways == 0 ? entries : ways;
  t->nsets = entries / t->ways;
  uint32_t buckets = 16;
  while (buckets < 2 * entries)
    buckets *= 2; // chains of one entry or none, mostly
  t->hmask = buckets - 1;
  t->e = calloc(entries, sizeof(*t->e));
  t->used = calloc(entries, sizeof(*t->used));
  t->bucket = malloc(buckets * sizeof(*t->bucket));
  t->order = malloc(entries * sizeof(*t->order));
  t->q = calloc(t->nsets, sizeof(*t->q));
  t->skipped = calloc(t->nsets, sizeof(*t->skipped));
  t->scratch = malloc(t->ways * sizeof(*t->scratch));
  if (t->e == NULL || t->used == NULL || t->bucket == NULL || t->order == NULL ||
      t->q == NULL || t->skipped == NULL || t->scratch == NULL) {
    tlb_destroy(t);
    return -1;
  }
  for (uint32_t b = 0; b < buckets; b++)
    t->bucket[b] = (struct tlb_bucket){.key = TLB_KEY_NONE};
  for (unsigned i = 0; i < entries; i++)
    t->order[i] = i; // each set's ways in way order, as sort_candidates wants
  return 0;
}

void tlb_destroy(struct tlb *t) {
  free(t->e);
  free(t->used);
  free(t->bucket);
  free(t->order);
  free(t->q);
  free(t->skipped);
  free(t->scratch);
  memset(t, 0, sizeof(*t));
}

void tlb_clear(struct tlb *t) {
  if (t->e != NULL) {
    memset(t->e, 0, (size_t)t->nsets * t->ways * sizeof(*t->e));
    memset(t->used, 0, (size_t)t->nsets * t->ways * sizeof(*t->used));
    for (uint32_t b = 0; b <= t->hmask; b++)
      t->bucket[b] = (struct tlb_bucket){.key = TLB_KEY_NONE};
    memset(t->q, 0, t->nsets * sizeof(*t->q));
    memset(t->skipped, 0, t->nsets * sizeof(*t->skipped));
  }
  t->clock = 0;
  memset(t->nlevel, 0, sizeof(t->nlevel));
  memset(&t->total, 0, sizeof(t->total));
}

// Copy bucket b's new head (or none) into its record, whole. (tlb_put_alone writes a new
// lone head's record itself, and a change behind the head only touches 'more'.)
static void head_sync(struct tlb *t, uint32_t b) {
  uint32_t head = t->bucket[b].head;
  if (head == 0) {
    t->bucket[b].key = TLB_KEY_NONE; // the other fields are read only after a key matches
    t->bucket[b].more = false;
    return;
  }
  const struct tlb_entry *e = &t->e[head - 1];
  t->bucket[b] = (struct tlb_bucket){.key = e->key, .page = tlb_pte_page(e->pte),
                                     .allow = e->allow, .head = head, .asid = e->asid,
                                     .global = tlb_entry_global(e), .more = e->hnext != 0};
}

// A bucket's copy of its head is kept in step with its chain in the two below and in
// tlb_fill_common.

// Put e into its bucket's chain, which stays in index order, and keep the head's copy.
static void hash_link(struct tlb *t, struct tlb_entry *e) {
  uint32_t me = (uint32_t)(e - t->e) + 1;
  uint32_t b = e->bucket;
  uint32_t *link = &t->bucket[b].head;
  if (*link == 0 || *link > me) { // the new head
    e->hnext = *link;
    *link = me;
    head_sync(t, b);
    return;
  }
  while (*link != 0 && *link < me)
    link = &t->e[*link - 1].hnext;
  e->hnext = *link;
  *link = me;
  t->bucket[b].more = true; // the head keeps a successor
}

// Take e out of its bucket's chain and keep the head's copy.
static void hash_unlink(struct tlb *t, struct tlb_entry *e) {
  uint32_t me = (uint32_t)(e - t->e) + 1;
  uint32_t b = e->bucket;
  uint32_t *link = &t->bucket[b].head;
  if (*link == me) {
    *link = e->hnext;
    e->hnext = 0;
    head_sync(t, b);
    return;
  }
  while (*link != me)
    link = &t->e[*link - 1].hnext;
  *link = e->hnext;
  e->hnext = 0;
  t->bucket[b].more = t->e[t->bucket[b].head - 1].hnext != 0;
}

// Stamp order, then way order (only free ways, stamp 0, tie).
static bool cand_before(const struct tlb_cand *a, const struct tlb_cand *b) {
  return a->used < b->used || (a->used == b->used && a->index < b->index);
}

static int cand_cmp(const void *a, const void *b) {
  return cand_before(a, b) ? -1 : cand_before(b, a) ? 1 : 0;
}

// Sort set s's ways by (stamp, way) into its replacement order for victim, starting
// from the last order; a set already in order is not moved.
static void sort_candidates(struct tlb *t, unsigned s) {
  uint32_t first = s * t->ways;
  struct tlb_order *q = &t->q[s];
  // Taken to the end with none passed over, and the clock moved once per way since: each
  // way was a victim and then filled, in order, and no other stamp changed anywhere, so
  // the order is the stamps' order still. (A run of misses in a fully associative TLB.)
  if (q->end != 0 && !t->skipped[s] && t->clock - q->mark == t->ways) {
    *q = (struct tlb_order){.mark = t->clock, .next = first, .end = first + t->ways};
    return;
  }
  t->skipped[s] = false;
  uint32_t *order = t->order + first;
  // The ways start in the order of the last sort, which is mostly still right: a run of
  // misses fills them in that order. Then there is nothing to move.
  uint64_t prev = 0;
  unsigned i = 0;
  for (; i < t->ways; i++) {
    uint64_t used = t->used[order[i]];
    // In order: a larger stamp, or two free ways (stamp 0) in way order.
    if (used <= prev && !(used == 0 && prev == 0 && (i == 0 || order[i - 1] < order[i])))
      break;
    prev = used;
  }
  if (i < t->ways) {
    struct tlb_cand *c = t->scratch;
    for (unsigned k = 0; k < t->ways; k++)
      c[k] = (struct tlb_cand){.used = t->used[order[k]], .index = order[k]};
    if (t->ways > 64) {
      qsort(c, t->ways, sizeof(*c), cand_cmp);
    } else {
      for (unsigned k = 1; k < t->ways; k++) {
        struct tlb_cand x = c[k];
        unsigned j = k;
        for (; j > 0 && cand_before(&x, &c[j - 1]); j--)
          c[j] = c[j - 1];
        c[j] = x;
      }
    }
    for (unsigned k = 0; k < t->ways; k++)
      order[k] = c[k].index;
  }
  *q = (struct tlb_order){.mark = t->clock, .next = first, .end = first + t->ways};
}

// The index of the first free way of set s, else of its least recently used one: free
// ways have stamp 0 and valid ones unique stamps from 1 up, so the first way with the
// smallest stamp. Rather than scan the set on every fill, take the ways in the order of
// the last sort, skipping those whose stamp changed since (is above the clock's value
// then, the mark): a way whose stamp did not change has a smaller stamp than every other
// way (those that changed got new, larger ones). A way freed since the sort would be
// smaller still, so tlb_sfence empties the order.
static uint32_t victim(struct tlb *t, unsigned s) {
  struct tlb_order *q = &t->q[s];
  for (;;) {
    while (q->next < q->end) {
      uint32_t i = t->order[q->next++];
      if (t->used[i] <= q->mark)
        return i;
      t->skipped[s] = true;
    }
    sort_candidates(t, s);
  }
}

__attribute__((noinline)) bool tlb_fill_general(struct tlb *t, uint64_t key, uint32_t b,
                                                uint16_t asid, int level, uint64_t pte,
                                                uint64_t pte_pa, uint32_t allow) {
  uint32_t i = victim(t, (unsigned)(key >> 2) & (t->nsets - 1));
  struct tlb_entry *v = &t->e[i];
  bool evicted = v->valid;
  if (evicted) {
    hash_unlink(t, v);
    t->nlevel[v->level]--;
  }
  if (t->bucket[b].head == 0) {
    tlb_put_alone(t, i, key, b, asid, level, pte, pte_pa, allow);
  } else {
    tlb_put_entry(t, i, key, b, asid, level, pte, pte_pa, allow);
    hash_link(t, v);
  }
  return evicted;
}

struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid) {
  for (int level = 0; level < 3; level++) {
    if (t->nlevel[level] == 0)
      continue;
    struct tlb_entry *e = tlb_find(t, va >> page_shift(level), level, asid);
    if (e != NULL) {
      t->used[e - t->e] = ++t->clock;
      return e;
    }
  }
  return NULL;
}

bool tlb_fill(struct tlb *t, uint64_t va, uint16_t asid, int level, uint64_t pte,
              uint64_t pte_pa) {
  assert((pte & PTE_RESERVED) == 0); // a walk's leaf (tlb_pte_page relies on it)
  if (t->e == NULL)
    return false;
  uint64_t tag = va >> page_shift(level);
  struct tlb_entry *e = tlb_find(t, tag, level, asid);
  if (e == NULL) {
    uint64_t key = tlb_key(tag, level);
    uint32_t b = tlb_bucket_of(t, key), allow = mmu_leaf_allow(pte);
    int r = tlb_fill_common(t, key, b, asid, level, pte, pte_pa, allow);
    return r >= 0 ? r != 0 : tlb_fill_general(t, key, b, asid, level, pte, pte_pa, allow);
  }
  // Refreshed in place: same key, so same bucket and chain.
  e->asid = asid;
  e->pte = pte;
  e->pte_pa = pte_pa;
  e->allow = mmu_leaf_allow(pte);
  t->used[e - t->e] = ++t->clock;
  head_sync(t, e->bucket);
  return false;
}

unsigned tlb_sfence(struct hw *hw, bool all_va, uint64_t va, bool all_asid,
                    uint16_t asid) {
  struct tlb *t = &hw->tlb;
  struct tlb_stats *ps = hw->stats;
  t->total.flushes++;
  if (ps != NULL)
    ps->flushes++;
  if (!all_va && !mmu_canonical(va))
    return 0;
  unsigned n = 0;
  for (unsigned i = 0; i < t->nsets * t->ways; i++) {
    struct tlb_entry *e = &t->e[i];
    if (!e->valid)
      continue;
    if (!all_va && (va >> page_shift(e->level)) != tlb_entry_tag(e))
      continue;
    if (!all_asid && (tlb_entry_global(e) || e->asid != asid))
      continue;
    hash_unlink(t, e);
    e->valid = false;
    t->used[i] = 0; // free ways read as the oldest
    t->q[i / t->ways] = (struct tlb_order){0}; // sort again before the next victim
    t->nlevel[e->level]--;
    n++;
  }
  t->total.flushed += n;
  if (ps != NULL)
    ps->flushed += n;
  return n;
}
