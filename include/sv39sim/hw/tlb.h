#ifndef SV39SIM_TLB_H
#define SV39SIM_TLB_H
// The TLB: ENTRIES entries in sets of WAYS, one replacement policy, entries tagged by ASID
// (global entries match every ASID), 4 KiB, 2 MiB and 1 GiB entries.
//
// An entry of page size level L (0: 4 KiB, 1: 2 MiB, 2: 1 GiB) caches tag = va >> (12 +
// 9 * L) and lives in set tag % nsets, so a lookup probes one set per page size in use.
// Only successful translations are cached: the leaf PTE as the walk left it in memory,
// with G added when a non-leaf PTE above it was global (the spec makes the whole subtree
// global then).
#include <stdbool.h>
#include <stdint.h>

#include "sv39sim/sv39.h"

struct hw;

#define TLB_MAX_ENTRIES 65536u
#define TLB_DEFAULT_ENTRIES 32u
#define TLB_SEED 0x2545F4914F6CDD1DULL // the random policy's state after tlb_clear

// Which valid way a fill replaces when its set has no free way.
enum tlb_policy {
  TLB_LRU,    // the least recently used (hit or filled)
  TLB_FIFO,   // the first filled
  TLB_RANDOM, // way x % ways of xorshift64's next x (shifts 13, 7, 17), from TLB_SEED
  TLB_PLRU,   // the way a binary tree of one bit per node points at (ways a power of 2)
};

struct tlb_geometry {
  unsigned entries; // 0: no TLB, every access walks
  unsigned ways;    // 0: fully associative
  enum tlb_policy policy;
};

struct tlb_entry {
  uint64_t tag;    // va >> (12 + 9 * level)
  uint64_t pte;    // the leaf PTE: flags and PPN
  uint32_t next;   // index + 1 of the next entry in its hash chain (0: none)
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

struct tlb {
  struct tlb_geometry geometry; // as given (ways 0 for fully associative)
  unsigned nsets, ways;         // nsets * ways entries; nsets a power of two
  struct tlb_entry *e;          // set s holds e[s * ways .. s * ways + ways - 1]
  uint32_t *bucket;             // the index: per hash of (tag, level), index + 1 of the
  uint32_t hmask;               // first entry of a chain in index order; buckets - 1
  // Each set's ways in a ring from the most recently used (hit or filled) to the least
  // and round again: ring[i].older is the next less recent, ring[i].newer the next more
  // recent; mru[s] is set s's most recent way.
  struct tlb_link {
    uint32_t newer, older;
  } *ring;
  uint32_t *mru;
  uint64_t *filled, clock;      // FIFO: per entry, the clock at its fill; the clock
  uint8_t *tree;                // PLRU: set s's node n (1 .. ways - 1) at s * ways + n
  uint64_t rng;                 // the random policy's generator state
  unsigned nlevel[3];           // valid entries of each page size
  unsigned *nvalid;             // valid entries of each set
  struct tlb_stats total;
};

// Parse "ENTRIES[xWAYS][,POLICY]" (WAYS omitted: fully associative; POLICY lru, fifo,
// random or plru, default lru). ENTRIES may be 0 (no TLB). Returns 0, or -1 with a reason
// in *why.
int tlb_parse_geometry(const char *s, struct tlb_geometry *g, const char **why);

// Why g is no TLB this model can build, or NULL when it is one.
const char *tlb_geometry_problem(const struct tlb_geometry *g);

// "LRU", "FIFO", "random", "PLRU": how tlb stats names a policy.
const char *tlb_policy_name(enum tlb_policy p);

// Returns 0, or -1 when the host is out of memory; g has no tlb_geometry_problem. tlb_clear
// forgets every entry and count and reseeds the random policy (power-on).
int tlb_init(struct tlb *t, const struct tlb_geometry *g);
void tlb_destroy(struct tlb *t);
void tlb_clear(struct tlb *t);

// The entry translating va for asid, or NULL: of the matching entries, the one in the
// smallest page size, then the first way. A hit is touched (it becomes the most recently
// used). Never allocates, prints or counts.
const struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid);

// Cache a translation: pte is a leaf a walk accepted. An entry already holding va at this
// size for asid is refreshed in place (and touched); otherwise a free way, else the
// policy's victim, takes it. Returns true when that evicted a valid entry.
bool tlb_fill(struct tlb *t, uint64_t va, uint16_t asid, int level, uint64_t pte);

// sfence.vma: all_va is rs1 = x0, all_asid is rs2 = x0. With an ASID given, global
// entries stay. A va that is not canonical Sv39 flushes nothing, as the spec says.
// Returns how many entries were invalidated; counts one flush.
unsigned tlb_sfence(struct hw *hw, bool all_va, uint64_t va, bool all_asid,
                    uint16_t asid);

// One valid entry as tlb show lists it: va is the first it translates (canonical), rank
// its recency within its set (0: the most recently used).
struct tlb_view {
  unsigned set, way, rank;
  uint64_t va, pte;
  int level;
  uint16_t asid;
  bool global;
};

// Call visit on each valid entry in set then way order. Returns 0, or -1 when the host is
// out of memory (then visit was not called).
int tlb_for_each(const struct tlb *t, void (*visit)(const struct tlb_view *, void *),
                 void *ctx);

#endif
