#include "sv39sim/hw/tlb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/hw.h"

// The model is sets x ways. The hash index finds the entries of one (tag, level) without
// scanning a set; it changes nothing about which entry a lookup finds (the first way that
// matches). The replacement policy lives in touch and victim alone.

static const char *const policy_words[] = {"lru", "fifo", "random", "plru"};
static const char *const policy_names[] = {"LRU", "FIFO", "random", "PLRU"};
#define NPOLICIES (TLB_PLRU + 1u)

static unsigned page_shift(int level) {
  return PGSHIFT + 9 * (unsigned)level;
}

const char *tlb_policy_name(enum tlb_policy p) {
  return (unsigned)p < NPOLICIES ? policy_names[p] : "?";
}

const char *tlb_geometry_problem(const struct tlb_geometry *g) {
  if (g->entries > TLB_MAX_ENTRIES)
    return "the TLB can have at most 65536 entries";
  if ((unsigned)g->policy >= NPOLICIES)
    return "no such replacement policy";
  if (g->entries == 0)
    return g->ways == 0 ? NULL : "a TLB of 0 entries has no ways";
  unsigned ways = g->ways == 0 ? g->entries : g->ways;
  if (g->entries % ways != 0)
    return "TLB ways must divide its entries";
  unsigned sets = g->entries / ways;
  if ((sets & (sets - 1)) != 0)
    return "TLB entries / ways (the number of sets) must be a power of two";
  if (g->policy == TLB_PLRU && (ways & (ways - 1)) != 0)
    return "plru needs ways to be a power of two (WAYS, or ENTRIES when fully associative)";
  return NULL;
}

// A decimal number without sign, at most TLB_MAX_ENTRIES; end gets what follows it.
static int parse_count(const char *s, unsigned *v, char **end) {
  errno = 0;
  unsigned long x = strtoul(s, end, 10);
  *v = (unsigned)x;
  return *s >= '0' && *s <= '9' && errno == 0 && x <= TLB_MAX_ENTRIES ? 0 : -1;
}

int tlb_parse_geometry(const char *s, struct tlb_geometry *g, const char **why) {
  char *end;
  *g = (struct tlb_geometry){.policy = TLB_LRU};
  if (parse_count(s, &g->entries, &end) != 0) {
    *why = "want ENTRIES[xWAYS][,POLICY], like 32, 16x4 or 8x2,fifo (at most 65536 entries)";
    return -1;
  }
  if (*end == 'x' && (parse_count(end + 1, &g->ways, &end) != 0 || g->ways == 0)) {
    *why = "WAYS must be a number from 1 up";
    return -1;
  }
  if (*end == ',') {
    unsigned p = 0;
    while (p < NPOLICIES && strcmp(end + 1, policy_words[p]) != 0)
      p++;
    *why = "POLICY must be lru, fifo, random or plru";
    if (p == NPOLICIES)
      return -1;
    g->policy = (enum tlb_policy)p;
    end += strlen(end);
  }
  if (*end != '\0') {
    *why = "want ENTRIES[xWAYS][,POLICY], like 32, 16x4 or 8x2,fifo";
    return -1;
  }
  *why = tlb_geometry_problem(g);
  return *why == NULL ? 0 : -1;
}

int tlb_init(struct tlb *t, const struct tlb_geometry *g) {
  memset(t, 0, sizeof(*t));
  t->geometry = *g;
  if (g->entries > 0) {
    t->ways = g->ways == 0 ? g->entries : g->ways;
    t->nsets = g->entries / t->ways;
    uint32_t buckets = 16;
    while (buckets < 2 * g->entries)
      buckets *= 2; // chains of one entry or none, mostly
    t->hmask = buckets - 1;
    t->e = calloc(g->entries, sizeof(*t->e));
    t->bucket = calloc(buckets, sizeof(*t->bucket));
    t->tree = calloc(g->entries, sizeof(*t->tree));
    t->filled = calloc(g->entries, sizeof(*t->filled));
    t->nvalid = calloc(t->nsets, sizeof(*t->nvalid));
    t->mru = calloc(t->nsets, sizeof(*t->mru));
    t->ring = calloc(g->entries, sizeof(*t->ring));
    if (t->e == NULL || t->bucket == NULL || t->ring == NULL || t->mru == NULL ||
        t->tree == NULL || t->filled == NULL || t->nvalid == NULL) {
      tlb_destroy(t);
      return -1;
    }
  }
  tlb_clear(t);
  return 0;
}

void tlb_destroy(struct tlb *t) {
  free(t->e);
  free(t->bucket);
  free(t->tree);
  free(t->filled);
  free(t->nvalid);
  free(t->mru);
  free(t->ring);
  memset(t, 0, sizeof(*t));
}

void tlb_clear(struct tlb *t) {
  size_t n = (size_t)t->nsets * t->ways;
  if (n > 0) {
    memset(t->e, 0, n * sizeof(*t->e));
    memset(t->bucket, 0, ((size_t)t->hmask + 1) * sizeof(*t->bucket));
    memset(t->tree, 0, n * sizeof(*t->tree));
    memset(t->filled, 0, n * sizeof(*t->filled));
    memset(t->nvalid, 0, t->nsets * sizeof(*t->nvalid));
  }
  // Each set's ring starts in way order, way 0 the most recent (the order of free ways
  // matters to no one: a fill takes the first free way).
  for (unsigned s = 0; s < t->nsets; s++) {
    uint32_t first = s * t->ways, last = first + t->ways - 1;
    for (uint32_t i = first; i <= last; i++) {
      t->ring[i].older = i == last ? first : i + 1;
      t->ring[i].newer = i == first ? last : i - 1;
    }
    t->mru[s] = first;
  }
  t->clock = 0;
  t->rng = TLB_SEED;
  memset(t->nlevel, 0, sizeof(t->nlevel));
  memset(&t->total, 0, sizeof(t->total));
}

// ---- the index: chains of entries by hash of (tag, level), each in index order ----

// Consecutive pages go to consecutive buckets; each page size has its own stride.
static uint32_t *bucket_of(const struct tlb *t, uint64_t tag, int level) {
  return &t->bucket[(uint32_t)(tag ^ ((uint64_t)level * 0x9E3779B1u)) & t->hmask];
}

// The first way holding tag at level for asid (or global), or NULL. All entries of one
// tag share a set, so the chain's index order is that set's way order.
static inline struct tlb_entry *find(const struct tlb *t, uint64_t tag, int level, uint16_t asid) {
  for (uint32_t i = *bucket_of(t, tag, level); i != 0; i = t->e[i - 1].next) {
    struct tlb_entry *e = &t->e[i - 1];
    if (e->tag == tag && e->level == level && (e->asid == asid || (e->pte & PTE_G)))
      return e;
  }
  return NULL;
}

static void index_link(struct tlb *t, uint32_t i) {
  uint32_t *link = bucket_of(t, t->e[i].tag, t->e[i].level);
  while (*link != 0 && *link < i + 1)
    link = &t->e[*link - 1].next;
  t->e[i].next = *link;
  *link = i + 1;
}

static void index_unlink(struct tlb *t, uint32_t i) {
  uint32_t *link = bucket_of(t, t->e[i].tag, t->e[i].level);
  while (*link != i + 1)
    link = &t->e[*link - 1].next;
  *link = t->e[i].next;
  t->e[i].next = 0;
}

// ---- the replacement policy ----

// PLRU: each node on the path from the root to way of set s points at the half the way
// is not in.
static void plru_point_away(struct tlb *t, unsigned s, unsigned way) {
  uint8_t *node = t->tree + (size_t)s * t->ways;
  unsigned n = 1;
  for (unsigned half = t->ways / 2; half > 0; half /= 2) {
    unsigned right = (way & half) != 0;
    node[n] = (uint8_t)!right;
    n = 2 * n + right;
  }
}

// Entry i of set s was hit, or (fill) was just filled: the policy's bookkeeping. Every
// policy keeps the recency ring, which tlb show ranks by: i becomes its most recent.
static inline void touch(struct tlb *t, unsigned s, uint32_t i, bool fill) {
  struct tlb_link *e = t->ring;
  uint32_t mru = t->mru[s], oldest = e[mru].newer;
  if (i != mru && i != oldest) { // (the oldest is next to the newest already)
    e[e[i].newer].older = e[i].older;
    e[e[i].older].newer = e[i].newer;
    e[i].older = mru;
    e[i].newer = oldest;
    e[oldest].older = i;
    e[mru].newer = i;
  }
  t->mru[s] = i;
  if (fill && t->geometry.policy == TLB_FIFO)
    t->filled[i] = ++t->clock;
  if (t->geometry.policy == TLB_PLRU)
    plru_point_away(t, s, i - s * t->ways);
}

static uint64_t xorshift64(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

// The index of the way of set s, every way of which is valid, that a fill replaces.
static uint32_t victim(struct tlb *t, unsigned s) {
  uint32_t first = s * t->ways, v = first;
  switch (t->geometry.policy) {
  case TLB_LRU:
    return t->ring[t->mru[s]].newer; // the ring's least recent
  case TLB_FIFO:
    for (uint64_t i = first + 1, oldest = t->filled[first]; i < first + t->ways; i++)
      if (t->filled[i] < oldest)
        oldest = t->filled[v = (uint32_t)i];
    return v;
  case TLB_RANDOM:
    return first + (uint32_t)(xorshift64(&t->rng) % t->ways);
  case TLB_PLRU: {
    unsigned n = 1; // heap order: node n's children are 2n and 2n + 1; way w is leaf ways + w
    while (n < t->ways)
      n = 2 * n + t->tree[first + n];
    return first + (n - t->ways);
  }
  }
  return v;
}

// ---- lookup, fill, sfence ----

const struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid) {
  for (int level = 0; level < 3; level++) {
    if (t->nlevel[level] == 0)
      continue;
    uint64_t tag = va >> page_shift(level);
    struct tlb_entry *e = find(t, tag, level, asid);
    if (e != NULL) {
      touch(t, (unsigned)(tag & (t->nsets - 1)), (uint32_t)(e - t->e), false);
      return e;
    }
  }
  return NULL;
}

bool tlb_fill(struct tlb *t, uint64_t va, uint16_t asid, int level, uint64_t pte) {
  if (t->e == NULL)
    return false;
  uint64_t tag = va >> page_shift(level);
  unsigned s = (unsigned)(tag & (t->nsets - 1));
  struct tlb_entry *e = find(t, tag, level, asid);
  if (e != NULL) { // refreshed in place: same tag, so the same chain
    e->asid = asid;
    e->pte = pte;
    touch(t, s, (uint32_t)(e - t->e), false);
    return false;
  }
  uint32_t i = s * t->ways;
  bool evicted = t->nvalid[s] == t->ways;
  if (!evicted) {
    while (t->e[i].valid)
      i++;
    t->nvalid[s]++;
  } else {
    i = victim(t, s);
    index_unlink(t, i);
    t->nlevel[t->e[i].level]--;
  }
  e = &t->e[i];
  e->tag = tag;
  e->pte = pte;
  e->asid = asid;
  e->level = (uint8_t)level;
  e->valid = true;
  index_link(t, i);
  t->nlevel[level]++;
  touch(t, s, i, true);
  return evicted;
}

unsigned tlb_sfence(struct hw *hw, bool all_va, uint64_t va, bool all_asid,
                    uint16_t asid) {
  struct tlb *t = &hw->tlb;
  t->total.flushes++;
  if (hw->stats != NULL)
    hw->stats->flushes++;
  if (!all_va && !va_is_canonical(va))
    return 0;
  unsigned n = 0;
  for (uint32_t i = 0; i < t->nsets * t->ways; i++) {
    struct tlb_entry *e = &t->e[i];
    if (!e->valid || (!all_va && (va >> page_shift(e->level)) != e->tag) ||
        (!all_asid && ((e->pte & PTE_G) || e->asid != asid)))
      continue;
    index_unlink(t, i);
    e->valid = false;
    t->nlevel[e->level]--;
    t->nvalid[i / t->ways]--;
    n++;
  }
  t->total.flushed += n;
  if (hw->stats != NULL)
    hw->stats->flushed += n;
  return n;
}

// ---- tlb show ----

int tlb_for_each(const struct tlb *t, void (*visit)(const struct tlb_view *, void *),
                 void *ctx) {
  if (t->e == NULL)
    return 0;
  unsigned *rank = malloc(t->ways * sizeof(*rank));
  if (rank == NULL)
    return -1;
  for (unsigned s = 0; s < t->nsets; s++) {
    const struct tlb_entry *set = &t->e[s * t->ways];
    uint32_t i = t->mru[s];
    for (unsigned k = 0, n = 0; k < t->ways; k++, i = t->ring[i].older)
      if (t->e[i].valid)
        rank[i - s * t->ways] = n++;
    for (unsigned w = 0; w < t->ways; w++) {
      const struct tlb_entry *e = &set[w];
      if (!e->valid)
        continue;
      struct tlb_view v = {.set = s, .way = w, .rank = rank[w],
                           .va = e->tag << page_shift(e->level), .level = e->level,
                           .asid = e->asid, .global = (e->pte & PTE_G) != 0, .pte = e->pte};
      visit(&v, ctx);
    }
  }
  free(rank);
  return 0;
}
