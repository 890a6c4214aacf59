#include "sv39sim/tlb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/machine.h"
#include "sv39sim/mmu.h"

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
  if (entries == 0)
    return 0;
  t->ways = ways == 0 ? entries : ways;
  t->nsets = entries / t->ways;
  uint32_t buckets = 16;
  while (buckets < 2 * entries)
    buckets *= 2; // chains of one entry or none, mostly
  t->hmask = buckets - 1;
  t->e = calloc(entries, sizeof(*t->e));
  t->bucket = calloc(buckets, sizeof(*t->bucket));
  t->hot = malloc(buckets * sizeof(*t->hot));
  t->cand = calloc(entries, sizeof(*t->cand));
  t->ncand = calloc(t->nsets, sizeof(*t->ncand));
  t->ncand_next = calloc(t->nsets, sizeof(*t->ncand_next));
  if (t->e == NULL || t->bucket == NULL || t->hot == NULL || t->cand == NULL ||
      t->ncand == NULL || t->ncand_next == NULL) {
    tlb_destroy(t);
    return -1;
  }
  for (uint32_t b = 0; b < buckets; b++)
    t->hot[b] = (struct tlb_hot){.key = TLB_HOT_EMPTY};
  return 0;
}

void tlb_destroy(struct tlb *t) {
  free(t->e);
  free(t->bucket);
  free(t->hot);
  free(t->cand);
  free(t->ncand);
  free(t->ncand_next);
  memset(t, 0, sizeof(*t));
}

void tlb_clear(struct tlb *t) {
  if (t->e != NULL) {
    memset(t->e, 0, (size_t)t->nsets * t->ways * sizeof(*t->e));
    memset(t->bucket, 0, ((size_t)t->hmask + 1) * sizeof(*t->bucket));
    for (uint32_t b = 0; b <= t->hmask; b++)
      t->hot[b] = (struct tlb_hot){.key = TLB_HOT_EMPTY};
    memset(t->ncand, 0, t->nsets * sizeof(*t->ncand));
  }
  t->clock = 0;
  memset(t->nlevel, 0, sizeof(t->nlevel));
  memset(&t->total, 0, sizeof(t->total));
  memset(t->per, 0, sizeof(t->per));
  memset(t->per_pid, 0, sizeof(t->per_pid));
}

// Copy bucket b's chain head into hot[b]; every change to a head calls it.
static void hot_sync(struct tlb *t, uint32_t b) {
  uint32_t head = t->bucket[b];
  if (head == 0) {
    t->hot[b] = (struct tlb_hot){.key = TLB_HOT_EMPTY};
    return;
  }
  const struct tlb_entry *e = &t->e[head - 1];
  t->hot[b] = (struct tlb_hot){.key = e->key, .page = PTE_PPN(e->pte) << PGSHIFT,
                               .pte = e->pte, .allow = e->allow,
                               .head = head, .asid = e->asid,
                               .global = tlb_entry_global(e)};
}

// Into its bucket's chain, which stays in index order.
static void hash_link(struct tlb *t, struct tlb_entry *e) {
  uint32_t me = (uint32_t)(e - t->e) + 1;
  uint32_t b = tlb_bucket_of(t, e->key);
  uint32_t *link = &t->bucket[b];
  while (*link != 0 && *link < me)
    link = &t->e[*link - 1].hnext;
  e->hnext = *link;
  *link = me;
  hot_sync(t, b);
}

static void hash_unlink(struct tlb *t, struct tlb_entry *e) {
  uint32_t me = (uint32_t)(e - t->e) + 1;
  uint32_t b = tlb_bucket_of(t, e->key);
  uint32_t *link = &t->bucket[b];
  while (*link != me)
    link = &t->e[*link - 1].hnext;
  *link = e->hnext;
  e->hnext = 0;
  hot_sync(t, b);
}

// Stamp order, then way order (only free ways, stamp 0, tie).
static bool cand_before(const struct tlb_cand *a, const struct tlb_cand *b) {
  return a->used < b->used || (a->used == b->used && a->way < b->way);
}

static int cand_cmp(const void *a, const void *b) {
  return cand_before(a, b) ? -1 : cand_before(b, a) ? 1 : 0;
}

// Sort set s's ways by their stamps now.
static void sort_candidates(struct tlb *t, unsigned s) {
  const struct tlb_entry *set = t->e + (size_t)s * t->ways;
  struct tlb_cand *c = t->cand + (size_t)s * t->ways;
  for (unsigned i = 0; i < t->ways; i++)
    c[i] = (struct tlb_cand){.used = set[i].used, .way = i};
  if (t->ways > 64) {
    qsort(c, t->ways, sizeof(*c), cand_cmp);
  } else {
    for (unsigned i = 1; i < t->ways; i++) { // insertion sort: few ways, often sorted
      struct tlb_cand x = c[i];
      unsigned j = i;
      for (; j > 0 && cand_before(&x, &c[j - 1]); j--)
        c[j] = c[j - 1];
      c[j] = x;
    }
  }
  t->ncand[s] = t->ways;
  t->ncand_next[s] = 0;
}

// The first free way of set s, else its least recently used one: free ways have stamp 0
// and valid ones unique stamps from 1 up, so the first way with the smallest stamp.
// Rather than scan the set on every fill, take the ways in the order of the last sort,
// skipping those whose stamp changed since: a way whose stamp did not change has a
// smaller stamp than every other way (those that changed got new, larger ones). A way
// freed since the sort would be smaller still, so tlb_sfence empties the order.
static struct tlb_entry *oldest_way(struct tlb *t, unsigned s) {
  struct tlb_entry *set = t->e + (size_t)s * t->ways;
  const struct tlb_cand *c = t->cand + (size_t)s * t->ways;
  for (;;) {
    while (t->ncand_next[s] < t->ncand[s]) {
      const struct tlb_cand *k = &c[t->ncand_next[s]++];
      if (set[k->way].used == k->used)
        return &set[k->way];
    }
    sort_candidates(t, s);
  }
}

struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid) {
  for (int level = 0; level < 3; level++) {
    if (t->nlevel[level] == 0)
      continue;
    struct tlb_entry *e = tlb_find(t, va >> page_shift(level), level, asid);
    if (e != NULL) {
      e->used = ++t->clock;
      return e;
    }
  }
  return NULL;
}

bool tlb_fill(struct tlb *t, uint64_t va, uint16_t asid, int level, uint64_t pte,
              uint64_t pte_pa) {
  if (t->e == NULL)
    return false;
  uint64_t tag = va >> page_shift(level);
  struct tlb_entry *victim = tlb_find(t, tag, level, asid);
  if (victim != NULL) { // refreshed in place: same key, so same bucket and chain
    victim->asid = asid;
    victim->pte = pte;
    victim->pte_pa = pte_pa;
    victim->allow = mmu_leaf_allow(pte);
    victim->used = ++t->clock;
    hot_sync(t, tlb_bucket_of(t, victim->key));
    return false;
  }
  victim = oldest_way(t, (unsigned)(tag & (t->nsets - 1)));
  bool evicted = victim->valid;
  if (evicted) {
    hash_unlink(t, victim);
    t->nlevel[victim->level]--;
  }
  *victim = (struct tlb_entry){.tag = tag, .pte = pte, .pte_pa = pte_pa,
                               .used = ++t->clock, .key = tlb_key(tag, level),
                               .allow = mmu_leaf_allow(pte), .asid = asid,
                               .level = (uint8_t)level, .valid = true};
  hash_link(t, victim);
  t->nlevel[level]++;
  return evicted;
}

struct tlb_stats *tlb_slot_stats(struct machine *m, int slot) {
  if (slot < 0 || slot >= NPROC)
    return NULL;
  struct tlb *t = &m->tlb;
  if (t->per_pid[slot] != m->proc[slot].pid) {
    memset(&t->per[slot], 0, sizeof(t->per[slot]));
    t->per_pid[slot] = m->proc[slot].pid;
  }
  return &t->per[slot];
}

unsigned tlb_sfence(struct machine *m, bool all_va, uint64_t va, bool all_asid,
                    uint16_t asid) {
  struct tlb *t = &m->tlb;
  struct tlb_stats *ps = tlb_slot_stats(m, m->current);
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
    if (!all_va && (va >> page_shift(e->level)) != e->tag)
      continue;
    if (!all_asid && (tlb_entry_global(e) || e->asid != asid))
      continue;
    hash_unlink(t, e);
    e->valid = false;
    e->used = 0; // free ways read as the oldest
    t->ncand[i / t->ways] = 0;
    t->nlevel[e->level]--;
    n++;
  }
  t->total.flushed += n;
  if (ps != NULL)
    ps->flushed += n;
  return n;
}
