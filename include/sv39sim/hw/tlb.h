#ifndef SV39SIM_TLB_H
#define SV39SIM_TLB_H
// The TLB model: ENTRIES entries in sets of WAYS, LRU replacement within a set, entries
// tagged by ASID (global entries match every ASID), 4 KiB, 2 MiB and 1 GiB entries.
//
// An entry of page size level L (0: 4 KiB, 1: 2 MiB, 2: 1 GiB) lives in set
// (va >> (12 + 9 * L)) % nsets, so a lookup probes one set per page size in use. The
// model caches only successful translations: the leaf PTE as the walk left it in memory,
// with G added when a non-leaf PTE above it was global (the spec makes the whole subtree
// global then).
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sv39sim/sv39.h"

struct hw;

#define TLB_MAX_ENTRIES 65536u
#define TLB_DEFAULT_ENTRIES 32u

struct tlb_entry {
  uint64_t key;    // tag << 2 | level: what a lookup compares (tlb_entry_tag gives the tag)
  uint64_t pte;    // the leaf PTE: flags and PPN
  uint64_t pte_pa; // where the walk found it
  uint32_t allow;  // bit mmu_access_ctx(...) set: a hit in that context passes every check
  uint32_t hnext;  // index + 1 of the next entry in the same hash bucket (0: none)
  uint32_t bucket; // tlb_bucket_of(key), kept so that an eviction need not hash again
  uint16_t asid;
  uint8_t level;
  bool valid;
};

// Counts. A hit whose cached A or D bit is not enough for the access re-walks and counts
// as a miss, as hardware that sets A/D must go to memory.
struct tlb_stats {
  uint64_t hits, misses, faults;
  uint64_t evictions; // a valid entry replaced by a fill
  uint64_t flushes;   // sfence.vma executions (and 'tlb flush')
  uint64_t flushed;   // entries those invalidated
};

// A hash bucket: its chain's first entry and a copy of the fields a 4 KiB hit needs from
// it, so that a hit reads one record (of 32 bytes) rather than the bucket and then the
// entry. An empty bucket has head 0, key TLB_KEY_NONE and more false.
struct tlb_bucket {
  uint64_t key;   // the head entry's key
  uint64_t page;  // the physical page its leaf PTE maps: PTE_PPN(pte) << PGSHIFT
  uint32_t allow; // its allow mask
  uint32_t head;  // its index + 1 (0: the chain is empty)
  uint16_t asid;
  bool global;
  bool more;      // the chain has entries after the head
};

#define TLB_KEY_NONE UINT64_MAX // no key: tags are below 2^52

// A way (its index in e) and its stamp, for sorting a set's ways.
struct tlb_cand {
  uint64_t used;
  uint32_t index;
};

// Where the fill is in a set's replacement order (tlb.c's victim): its ways as they were
// sorted by stamp when the clock read mark, at order[next] up to order[end - 1] (for set
// s, the order starts at s * ways); end 0 when the set must be sorted again before use.
struct tlb_order {
  uint64_t mark;
  uint32_t next, end;
};

struct tlb {
  unsigned nsets, ways;    // nsets * ways entries; nsets is a power of two
  struct tlb_entry *e;     // set-major: set s holds e[s * ways .. s * ways + ways - 1]
  // used[i]: e[i]'s LRU stamp, larger is more recent (0: free). Apart from the entries, so
  // that a hit's stamp and the replacement order's checks index it directly.
  uint64_t *used;
  // Buckets by hash of (tag, level), each the first of a chain of valid entries, in index
  // order, so that a lookup needs no scan of the set and stops at the first match. With
  // no TLB there is one, empty but with 'more' set, so that the MMU's hit test sends every
  // access to the general path.
  struct tlb_bucket *bucket;
  uint32_t hmask;          // buckets - 1
  // Per set s, its ways' indexes in e sorted by stamp when last sorted (the victims, in
  // turn): order[s * ways + i], with q[s] saying how far the fill has taken them.
  uint32_t *order;
  struct tlb_order *q;
  bool *skipped;           // skipped[s]: the fill passed over a way since set s's sort
  struct tlb_cand *scratch; // ways of them, for the sort
  uint64_t clock;          // LRU time
  uint32_t nlevel[3];      // valid entries of each page size, to skip useless probes
  struct tlb_stats total;
};

// Parse "ENTRIES[xWAYS]" (WAYS omitted: fully associative). ENTRIES may be 0 (no TLB:
// every access walks). Returns 0, or -1 with a reason in *why.
int tlb_parse_geometry(const char *s, unsigned *entries, unsigned *ways, const char **why);

// Why entries/ways is no TLB this model can build, or NULL when it is one.
const char *tlb_geometry_problem(unsigned entries, unsigned ways);

// Returns 0, or -1 when the host is out of memory. entries/ways must have passed
// tlb_parse_geometry (ways 0 means fully associative).
int tlb_init(struct tlb *t, unsigned entries, unsigned ways);
void tlb_destroy(struct tlb *t);

// Forget every entry and every count (power-on).
void tlb_clear(struct tlb *t);

// The entry translating va for asid, or NULL: of the matching entries, the one in the
// smallest page size in use, then the first way. A hit becomes the most recently used.
// Never allocates, prints or counts.
struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid);

// Cache a translation: pte is a leaf a walk accepted, so none of its bits 63..54 is set.
// An entry already holding va for asid is refreshed in place; otherwise a free way, else
// the set's least recently used entry, makes room. Returns true when that evicted a valid
// entry.
bool tlb_fill(struct tlb *t, uint64_t va, uint16_t asid, int level, uint64_t pte,
              uint64_t pte_pa);

// sfence.vma: all_va is rs1 = x0, all_asid is rs2 = x0. With an ASID given, global
// entries stay. A va that is not canonical Sv39 flushes nothing, as the spec says.
// Returns how many entries were invalidated; counts one flush.
unsigned tlb_sfence(struct hw *hw, bool all_va, uint64_t va, bool all_asid,
                    uint16_t asid);

// The physical page a cached leaf PTE maps, PTE_PPN(pte) << PGSHIFT: bits 63..54 of a
// cached PTE are 0 (the walk refuses a PTE with a reserved bit), so no mask is needed.
static inline uint64_t tlb_pte_page(uint64_t pte) {
  return pte >> 10 << PGSHIFT;
}

static inline bool tlb_entry_global(const struct tlb_entry *e) {
  return (e->pte & PTE_G) != 0;
}

// va >> (12 + 9 * level): the page number the entry caches, canonical bits included.
static inline uint64_t tlb_entry_tag(const struct tlb_entry *e) {
  return e->key >> 2;
}

// ---- the lookup's parts, inline for the MMU's hit path (tlb.c uses them too) ----

// Whether any 2 MiB or 1 GiB entry is valid: nlevel[1] and nlevel[2] in one load.
static inline bool tlb_has_superpages(const struct tlb *t) {
  uint64_t both;
  memcpy(&both, &t->nlevel[1], sizeof(both));
  return both != 0;
}

static inline uint64_t tlb_key(uint64_t tag, int level) {
  return tag << 2 | (uint64_t)level;
}

// Consecutive pages go to consecutive buckets; each page size has its own stride of
// buckets. Cheap, as a hit computes it before its one load.
static inline uint32_t tlb_bucket_of(const struct tlb *t, uint64_t key) {
  uint64_t tag = key >> 2, level = key & 3;
  return (uint32_t)(tag ^ (tag >> 16) ^ (level * 0x9E3779B1u)) & t->hmask;
}

// The first way (lowest index) holding tag at level for asid, or NULL; changes nothing.
// Entries with one tag share a bucket and a set, and a chain is in index order, so the
// first match in the chain is the set's first matching way.
static inline struct tlb_entry *tlb_find(struct tlb *t, uint64_t tag, int level,
                                         uint16_t asid) {
  uint64_t key = tlb_key(tag, level);
  for (uint32_t i = t->bucket[tlb_bucket_of(t, key)].head; i != 0; i = t->e[i - 1].hnext) {
    struct tlb_entry *e = &t->e[i - 1];
    if (e->key == key && (e->asid == asid || tlb_entry_global(e)))
      return e;
  }
  return NULL;
}

// ---- the fill's common case, inline for the MMU's miss path ----

// Make way i (a victim, now free and out of every chain, so its hnext is 0) hold key's
// translation, most recently used (tlb.c links it into its chain, or tlb_put_alone).
static inline void tlb_put_entry(struct tlb *t, uint32_t i, uint64_t key, uint32_t b,
                                 uint16_t asid, int level, uint64_t pte, uint64_t pte_pa,
                                 uint32_t allow) {
  struct tlb_entry *v = &t->e[i];
  t->used[i] = ++t->clock;
  // Field by field: a compound literal would also clear the padding, for nothing.
  v->key = key;
  v->pte = pte;
  v->pte_pa = pte_pa;
  v->allow = allow;
  v->bucket = b;
  v->asid = asid;
  v->level = (uint8_t)level;
  v->valid = true;
  t->nlevel[level]++;
}

// tlb_put_entry as the only entry of bucket b, whose chain is empty (so 'more' is false):
// the bucket too.
static inline void tlb_put_alone(struct tlb *t, uint32_t i, uint64_t key, uint32_t b,
                                 uint16_t asid, int level, uint64_t pte, uint64_t pte_pa,
                                 uint32_t allow) {
  tlb_put_entry(t, i, key, b, asid, level, pte, pte_pa, allow);
  struct tlb_bucket *h = &t->bucket[b];
  h->key = key;
  h->page = tlb_pte_page(pte);
  h->allow = allow;
  h->head = i + 1;
  h->asid = asid;
  h->global = (pte & PTE_G) != 0;
}

// tlb_fill, in a TLB with entries, for a translation no entry holds (tlb_find(t,
// key >> 2, level, asid) is NULL, as after the MMU's SURE_MISS verdict), given
// key = tlb_key(va's tag, level), its bucket b = tlb_bucket_of(t, key), pte (as tlb_fill
// wants it) and its mmu_leaf_allow mask, in the common case only, with no call: the
// victim (tlb.c's victim says how it is chosen) is the next way in its set's order, it is
// free or alone in its chain, and bucket b is empty once it has left. Returns whether a
// valid entry was evicted, or -1 having changed nothing when the case is another (for
// tlb_fill_general).
static inline int tlb_fill_common(struct tlb *t, uint64_t key, uint32_t b, uint16_t asid,
                                  int level, uint64_t pte, uint64_t pte_pa,
                                  uint32_t allow) {
  struct tlb_order *q = &t->q[(key >> 2) & (t->nsets - 1)];
  uint32_t next = q->next;
  if (next >= q->end)
    return -1;
  uint32_t i = t->order[next];
  if (t->used[i] > q->mark)
    return -1; // its stamp changed since the sort: tlb.c's victim passes over it
  struct tlb_entry *v = &t->e[i];
  struct tlb_bucket *to = &t->bucket[b];
  int evicted = v->valid;
  if (evicted) {
    struct tlb_bucket *from = &t->bucket[v->bucket];
    if (from->head != i + 1 || from->more || (to->head != 0 && from != to))
      return -1;
    from->head = 0;
    from->key = TLB_KEY_NONE; // 'more' is false already: the victim was alone
    t->nlevel[v->level]--;
  } else if (to->head != 0) {
    return -1;
  }
  q->next = next + 1;
  tlb_put_alone(t, i, key, b, asid, level, pte, pte_pa, allow);
  return evicted;
}

// tlb_fill_common's fill in every case, in tlb.c: returns whether a valid entry was
// evicted.
bool tlb_fill_general(struct tlb *t, uint64_t key, uint32_t b, uint16_t asid, int level,
                      uint64_t pte, uint64_t pte_pa, uint32_t allow);

#endif
