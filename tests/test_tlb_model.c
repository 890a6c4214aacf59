// A differential test of the MMU and TLB. A plain reference model, written here from the
// contract in include/sv39sim/hw/tlb.h and the privileged spec, runs beside the library on
// the same random stream of translations, PTE edits without sfence.vma, satp switches and
// sfences, and every result must agree: return value, pa, fault, what the steps say about
// the TLB, the counts, and the bytes of the page tables (the A/D bits the walks wrote).
// Each replacement policy (LRU, FIFO, random, PLRU) has its own reference, run over the
// same streams.
//
// The model is a scan of a flat array; the library's TLB finds entries through a hash
// index. Anything that makes them disagree is a change in behaviour. The model's
// table walk is mmu_walk_table (no TLB, no writes) on a second machine whose RAM holds the
// same tables: the model writes A/D itself, so the two RAMs are compared too.
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/hw/ram.h"
#include "sv39sim/sv39.h"
#include "sv39sim/hw/tlb.h"

// A small machine: two pages of "kernel image" and the rest for page tables.
#define RAM_SIZE (128 * PGSIZE)
#define TABLES_FROM (KERNBASE + 2 * PGSIZE)
#define NROOTS 3
#define MAX_TABLES 128
#define MAX_SLOTS 4096
#define MAX_VAS 4096
#define NHOT 16
#define OPS_PER_SEED 50000
#define RAM_CHECK_EVERY 200

// ---------------------------------------------------------------- xorshift64* PRNG

struct rng {
  uint64_t s;
};

// Never zero: splitmix64 of the seed, with a fixed fallback.
static struct rng rng_seeded(uint64_t seed) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (struct rng){.s = z != 0 ? z : 1};
}

// Marsaglia's xorshift64 step, scrambled by a multiply (xorshift64*).
static uint64_t rng_next(struct rng *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 0x2545F4914F6CDD1DULL;
}

// A number in [0, n); n > 0.
static unsigned rng_below(struct rng *r, unsigned n) {
  return (unsigned)((rng_next(r) >> 16) % n);
}

// True percent times in a hundred.
static bool rng_chance(struct rng *r, unsigned percent) {
  return rng_below(r, 100) < percent;
}

// ---------------------------------------------------------------- the reference TLB

struct ref_entry {
  bool valid;
  uint64_t tag; // va >> (12 + 9 * level)
  int level;
  uint16_t asid;
  uint64_t pte; // G folded in when an ancestor was global
  uint64_t stamp;
  uint64_t born; // the clock when it was filled (FIFO)
};

struct ref_stats {
  uint64_t hits, misses, faults, evictions, flushes, flushed;
};

struct ref_tlb {
  unsigned nsets, ways; // 0 sets: no TLB
  struct ref_entry *e;  // set s is e[s * ways .. s * ways + ways - 1]
  uint64_t clock;
  struct ref_stats st;
  enum tlb_policy policy;
  uint64_t x;      // random: the generator's state
  bool *toward_lo; // PLRU: per set, ways bits by node; node k of set s at s * ways + k
};

// ---------------------------------------------------------------- the policies

// Marsaglia's xorshift64 with shifts 13, 7, 17, as tlb.h names it.
static uint64_t ref_draw(struct ref_tlb *t) {
  uint64_t x = t->x;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  t->x = x;
  return x;
}

// Tree PLRU over the ways [lo, hi) of a set: node k covers a range, its children 2k and
// 2k + 1 the lower and upper halves; toward_lo says the victim is in the lower half. A
// touch points each node on the way's path at the other half.
static void ref_plru_touch(struct ref_tlb *t, unsigned set, unsigned way) {
  bool *node = &t->toward_lo[(size_t)set * t->ways];
  unsigned lo = 0, hi = t->ways, k = 1;
  while (hi - lo > 1) {
    unsigned mid = lo + (hi - lo) / 2;
    bool lower = way < mid;
    node[k] = !lower;
    k = 2 * k + (lower ? 0 : 1);
    if (lower)
      hi = mid;
    else
      lo = mid;
  }
}

static unsigned ref_plru_victim(const struct ref_tlb *t, unsigned set) {
  const bool *node = &t->toward_lo[(size_t)set * t->ways];
  unsigned lo = 0, hi = t->ways, k = 1;
  while (hi - lo > 1) {
    unsigned mid = lo + (hi - lo) / 2;
    bool lower = node[k];
    k = 2 * k + (lower ? 0 : 1);
    if (lower)
      hi = mid;
    else
      lo = mid;
  }
  return lo;
}

// The way of a full set that a policy other than LRU replaces.
static unsigned ref_victim(struct ref_tlb *t, const struct ref_entry *set, unsigned s) {
  unsigned v = 0;
  switch (t->policy) {
  case TLB_LRU: // ref_fill's own
    break;
  case TLB_FIFO:
    for (unsigned way = 1; way < t->ways; way++)
      if (set[way].born < set[v].born)
        v = way;
    break;
  case TLB_RANDOM:
    v = (unsigned)(ref_draw(t) % t->ways);
    break;
  case TLB_PLRU:
    v = ref_plru_victim(t, s);
    break;
  }
  return v;
}

// The bits below a level-level page number.
static unsigned ref_shift(int level) {
  return PGSHIFT + 9 * (unsigned)level;
}

// Does e hold tag at level for asid (or for every asid, being global)?
static bool ref_matches(const struct ref_entry *e, uint64_t tag, int level, uint16_t asid) {
  return e->valid && e->tag == tag && e->level == level &&
         (e->asid == asid || (e->pte & PTE_G) != 0);
}

// The first way of the set an entry with this tag lives in.
static struct ref_entry *ref_set(struct ref_tlb *t, uint64_t tag) {
  return &t->e[(size_t)(tag % t->nsets) * t->ways];
}

// Smallest page size first, then way order; a hit becomes the most recently used.
static struct ref_entry *ref_lookup(struct ref_tlb *t, uint64_t va, uint16_t asid) {
  if (t->nsets == 0)
    return NULL;
  for (int level = 0; level < 3; level++) {
    uint64_t tag = va >> ref_shift(level);
    struct ref_entry *set = ref_set(t, tag);
    for (unsigned way = 0; way < t->ways; way++) {
      if (ref_matches(&set[way], tag, level, asid)) {
        set[way].stamp = ++t->clock;
        if (t->policy == TLB_PLRU)
          ref_plru_touch(t, (unsigned)(tag % t->nsets), way);
        return &set[way];
      }
    }
  }
  return NULL;
}

// A matching entry is refreshed in place (taking this asid, keeping its fill time); else
// the first free way, else the way with the smallest stamp (LRU) or the policy's victim.
// Returns true when a valid entry was replaced.
static bool ref_fill(struct ref_tlb *t, uint64_t va, uint16_t asid, int level, uint64_t pte) {
  if (t->nsets == 0)
    return false;
  uint64_t tag = va >> ref_shift(level);
  struct ref_entry *set = ref_set(t, tag);
  unsigned s = (unsigned)(tag % t->nsets);
  for (unsigned way = 0; way < t->ways; way++) {
    if (ref_matches(&set[way], tag, level, asid)) {
      set[way].asid = asid;
      set[way].pte = pte;
      set[way].stamp = ++t->clock;
      if (t->policy == TLB_PLRU)
        ref_plru_touch(t, s, way);
      return false;
    }
  }
  struct ref_entry *victim = NULL;
  for (unsigned way = 0; way < t->ways && victim == NULL; way++)
    if (!set[way].valid)
      victim = &set[way];
  if (victim == NULL && t->policy != TLB_LRU)
    victim = &set[ref_victim(t, set, s)];
  if (victim == NULL) {
    victim = &set[0];
    for (unsigned way = 1; way < t->ways; way++)
      if (set[way].stamp < victim->stamp)
        victim = &set[way];
  }
  bool evicted = victim->valid;
  *victim = (struct ref_entry){.valid = true, .tag = tag, .level = level, .asid = asid,
                               .pte = pte, .stamp = ++t->clock};
  victim->born = victim->stamp;
  if (t->policy == TLB_PLRU)
    ref_plru_touch(t, s, (unsigned)(victim - set));
  return evicted;
}

// sfence.vma as tlb.h defines it: with an ASID, global entries stay; a non-canonical va
// flushes nothing; every call counts one flush.
static unsigned ref_sfence(struct ref_tlb *t, bool all_va, uint64_t va, bool all_asid,
                           uint16_t asid) {
  t->st.flushes++;
  if (!all_va && !va_is_canonical(va))
    return 0;
  unsigned n = 0;
  for (unsigned i = 0; i < t->nsets * t->ways; i++) {
    struct ref_entry *e = &t->e[i];
    if (!e->valid)
      continue;
    if (!all_va && (va >> ref_shift(e->level)) != e->tag)
      continue;
    if (!all_asid && ((e->pte & PTE_G) || e->asid != asid))
      continue;
    e->valid = false;
    n++;
  }
  t->st.flushed += n;
  return n;
}

// The leaf's privilege and permission rules in the spec's order (U with SUM, then R/W/X
// with MXR), as the fault names them.
static enum mmu_rule ref_leaf_rule(uint64_t pte, enum access acc, bool user, bool sum,
                                   bool mxr) {
  if (pte & PTE_U) {
    if (!user && acc == ACC_X)
      return RULE_U_EXEC_FROM_S;
    if (!user && !sum)
      return RULE_U_FROM_S;
  } else if (user) {
    return RULE_S_FROM_U;
  }
  if (acc == ACC_R && !(pte & PTE_R) && !(mxr && (pte & PTE_X)))
    return RULE_NO_R;
  if (acc == ACC_W && !(pte & PTE_W))
    return RULE_NO_W;
  if (acc == ACC_X && !(pte & PTE_X))
    return RULE_NO_X;
  return RULE_NONE;
}

// What the streams of one geometry exercised, summed over its seeds.
struct coverage {
  uint64_t rules[RULE_PA_NOT_RAM + 1]; // faults by rule
  uint64_t hits, misses, evictions, flushes, flushed;
  uint64_t stale;      // hits that a fresh walk would not have given
  uint64_t hit_faults; // hits whose cached PTE failed the access
  uint64_t ad_rewalks; // hits without the A/D bits needed, which walked again
};

// What one translation gave, in the terms both sides are compared in.
struct outcome {
  int ret;
  uint64_t pa;
  struct fault f;
  bool bare, tlb_hit;
  int leaf_level;
  uint64_t ad_set, tlb_pte;
};

// The reference translate on machine mm (its satp, priv, SUM, MXR and A/D policy): TLB
// first, the leaf rules on a hit, else mmu_walk_table, A/D written by hand, and a fill.
// Counts what it exercised in *cov.
static struct outcome ref_translate(struct machine *mm, struct ref_tlb *t, uint64_t va,
                                    enum access acc, struct coverage *cov) {
  struct outcome o = {.ret = 0, .leaf_level = -1};
  uint64_t satp = mm->hw.hart.satp;
  if (SATP_MODE(satp) == SATP_MODE_BARE) {
    o.bare = true;
    o.pa = va;
    return o;
  }
  int cause = mmu_page_fault_cause(acc);
  if (!va_is_canonical(va)) {
    t->st.faults++;
    o.ret = -1;
    o.f = (struct fault){.cause = cause, .tval = va, .rule = RULE_NONCANONICAL, .level = -1};
    return o;
  }
  bool user = mm->hw.hart.priv == PRIV_U;
  uint64_t need = acc == ACC_W ? PTE_A | PTE_D : PTE_A;
  uint16_t asid = SATP_ASID(satp);
  struct ref_entry *e = ref_lookup(t, va, asid);
  if (e != NULL) {
    enum mmu_rule rule = ref_leaf_rule(e->pte, acc, user, mm->hw.hart.sum, mm->hw.hart.mxr);
    if (rule != RULE_NONE || (e->pte & need) == need) {
      t->st.hits++;
      o.tlb_hit = true;
      o.tlb_pte = e->pte;
      o.leaf_level = e->level;
      if (rule != RULE_NONE) {
        cov->hit_faults++;
        t->st.faults++;
        o.ret = -1;
        o.f = (struct fault){.cause = cause, .tval = va, .rule = rule, .level = e->level};
      } else {
        o.pa = (PTE_PPN(e->pte) << PGSHIFT) | (va & PAGE_OFFSET_MASK(e->level));
      }
      uint64_t now_pa = 0;
      struct fault now_f;
      int now = mmu_walk_table(&mm->hw, SATP_ROOT(satp), user, va, acc, &now_pa, &now_f, NULL);
      if (now != o.ret || (now == 0 && now_pa != o.pa))
        cov->stale++;
      return o;
    }
  }
  if (e != NULL)
    cov->ad_rewalks++;
  t->st.misses++;
  struct walk_steps s;
  if (mmu_walk_table(&mm->hw, SATP_ROOT(satp), user, va, acc, &o.pa, &o.f, &s) != 0) {
    t->st.faults++;
    o.ret = -1;
    return o;
  }
  const struct walk_step *leaf = &s.step[s.n - 1];
  uint64_t pte = leaf->pte;
  if (mm->hw.ad == AD_HW && (pte & need) != need) {
    o.ad_set = need & ~pte;
    pte |= need;
    cr_assert_eq(ram_store(&mm->hw.ram, leaf->pte_pa, 8, pte), 0, "model A/D store at %#" PRIx64,
                 leaf->pte_pa);
  }
  uint64_t global = 0;
  for (int i = 0; i < s.n - 1; i++)
    global |= s.step[i].pte & PTE_G;
  o.leaf_level = s.leaf_level;
  if (ref_fill(t, va, asid, s.leaf_level, pte | global))
    t->st.evictions++;
  return o;
}

// ---------------------------------------------------------------- the world both run in

struct slot {
  uint64_t pa;    // a PTE's address
  int level;
  uint64_t built; // what build wrote there (0: nothing)
};

struct world {
  struct machine *real, *model;
  struct ref_tlb ref;
  struct rng rng;
  uint64_t seed;
  const char *geometry;
  uint64_t next_table;
  uint64_t tables[MAX_TABLES];
  int ntables;
  uint64_t roots[NROOTS];
  struct slot slots[MAX_SLOTS]; // PTEs the edits may change: populated ones and some empty
  int nslots;
  uint64_t vas[MAX_VAS];
  int nvas;
  uint64_t hot[NHOT];
  unsigned pct_edit, pct_sfence, pct_satp; // this seed's mix; the rest are translations
  struct coverage cov;
};

static struct world w; // freed by teardown, so a failed assertion leaks nothing

// Each test starts from an empty world; teardown frees what a failed run left.
static void setup(void) {
  memset(&w, 0, sizeof(w));
}

static void teardown(void) {
  if (w.real != NULL)
    machine_free(w.real);
  if (w.model != NULL)
    machine_free(w.model);
  free(w.ref.e);
  free(w.ref.toward_lo);
  memset(&w, 0, sizeof(w));
}

TestSuite(tlb_model, .init = setup, .fini = teardown);

// An unbooted machine (RAM all zeros) with this TLB and A/D policy.
static struct machine *new_machine(unsigned entries, unsigned ways, enum tlb_policy policy,
                                   enum ad_policy ad) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.ram_size = RAM_SIZE;
  cfg.trampoline = KERNBASE;
  cfg.etext = KERNBASE + PGSIZE;
  cfg.end = KERNBASE + PGSIZE;
  cfg.tlb = (struct tlb_geometry){.entries = entries, .ways = ways, .policy = policy};
  cfg.ad = ad;
  char err[128];
  struct machine *m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new(%u entries, %u ways): %s", entries, ways, err);
  return m;
}

// The same PTE into both machines' RAM.
static void poke(uint64_t pa, uint64_t pte) {
  cr_assert_eq(ram_store(&w.real->hw.ram, pa, 8, pte), 0, "poke %#" PRIx64, pa);
  cr_assert_eq(ram_store(&w.model->hw.ram, pa, 8, pte), 0, "poke %#" PRIx64, pa);
}

// A fresh (zero) table page, or 0 when the table area is used up.
static uint64_t new_table(void) {
  if (w.next_table >= KERNBASE + RAM_SIZE || w.ntables == MAX_TABLES)
    return 0;
  uint64_t pa = w.next_table;
  w.next_table += PGSIZE;
  w.tables[w.ntables++] = pa;
  return pa;
}

// Remember a PTE slot for the edits (the pool is big enough; extras are dropped).
static void add_slot(uint64_t pa, int level, uint64_t built) {
  if (w.nslots < MAX_SLOTS)
    w.slots[w.nslots++] = (struct slot){.pa = pa, .level = level, .built = built};
}

// A va in the page of size level that starts at va_page; sometimes (5%) made non-canonical
// by flipping one of bits 63..39.
static void add_va(uint64_t va_page, int level) {
  if (w.nvas == MAX_VAS)
    return;
  uint64_t va = va_page | (rng_next(&w.rng) & PAGE_OFFSET_MASK(level));
  if (rng_chance(&w.rng, 5))
    va ^= 1ULL << (39 + rng_below(&w.rng, 25));
  w.vas[w.nvas++] = va;
}

// A leaf of page size level: a legal permission set, U, G, A, D at random, and a PPN
// aligned to the page size (10% of superpages misaligned).
static uint64_t random_leaf(int level) {
  static const uint64_t perms[] = {PTE_R,         PTE_R | PTE_W, PTE_R | PTE_X,
                                   PTE_R | PTE_W | PTE_X, PTE_R | PTE_W | PTE_X,
                                   PTE_R | PTE_W, PTE_X};
  struct rng *r = &w.rng;
  uint64_t flags = PTE_V | perms[rng_below(r, sizeof(perms) / sizeof(perms[0]))];
  flags |= rng_chance(r, 50) ? PTE_U : 0;
  flags |= rng_chance(r, 10) ? PTE_G : 0;
  flags |= rng_chance(r, 60) ? PTE_A : 0;
  flags |= rng_chance(r, 40) ? PTE_D : 0;
  uint64_t span = 1ULL << (9 * level); // 4 KiB pages in one page of this size
  uint64_t ppn = (KERNBASE >> PGSHIFT) + (rng_next(r) % (1ULL << 20));
  ppn &= ~(span - 1);
  if (level > 0 && rng_chance(r, 10))
    ppn |= 1 + rng_next(r) % (span - 1);
  return PA2PTE(ppn << PGSHIFT) | flags;
}

// A PTE that breaks one of the walk's rules (until an edit changes it).
static uint64_t odd_pte(int level) {
  struct rng *r = &w.rng;
  uint64_t some_table = w.tables[rng_below(r, (unsigned)w.ntables)];
  switch (rng_below(r, 7)) {
  case 0: return 0;
  case 1: return PTE_V | PTE_W | (rng_chance(r, 50) ? PTE_U : 0) | PTE_A | PA2PTE(some_table);
  case 2: return random_leaf(level) | (1ULL << (54 + rng_below(r, 10)));
  case 3: return PA2PTE(some_table) | PTE_V | (PTE_A << rng_below(r, 2)) |
                 (rng_chance(r, 50) ? PTE_U : 0);
  case 4: return PA2PTE(0x1000ULL * (1 + rng_below(r, 64))) | PTE_V; // not RAM
  case 5: return PA2PTE(some_table) | PTE_V; // at level 0: a pointer below level 0
  default: return (random_leaf(level) & ~PTE_V) | PTE_R | PTE_W | PTE_X;
  }
}

// The first va that slot i of a level-level table covering vbase translates; canonical.
static uint64_t slot_va(uint64_t vbase, int level, unsigned i) {
  uint64_t va = vbase | ((uint64_t)i << ref_shift(level));
  if (level == 2 && i >= 256)
    va |= ~0ULL << 39; // bits 63..39 copy bit 38
  return va;
}

// Populate the table at pa (level, covering vas from vbase) with pointers to new tables,
// leaves, odd PTEs and empty slots, and put vas that reach each of them in the pool. The
// shape (which slots, pointer or not) comes from *shape, so that roots built from equal
// shape streams map the same vas, each with its own PTEs; u_pct of the leaves have U.
static void build(uint64_t table, int level, uint64_t vbase, struct rng *shape,
                  unsigned u_pct) {
  struct rng *r = &w.rng;
  unsigned n = level == 2 ? 8 : level == 1 ? 8 : 32;
  unsigned run_start = rng_below(shape, 512 - 16); // level 0: a run of neighbours, then scatter
  for (unsigned k = 0; k < n; k++) {
    unsigned i = level == 0 && k < 16 ? run_start + k : rng_below(shape, 512);
    if (level == 2 && k < 2)
      i = k == 0 ? 0 : 511; // the bottom and (sign-extended) top of the address space
    bool pointer = level > 0 && rng_chance(shape, level == 2 ? 60 : 40);
    uint64_t pte_pa = table + 8 * i;
    uint64_t old;
    cr_assert_eq(ram_load(&w.real->hw.ram, pte_pa, 8, &old), 0);
    if (old != 0)
      continue; // taken already
    uint64_t va = slot_va(vbase, level, i);
    uint64_t child;
    if (pointer && (child = new_table()) != 0) {
      uint64_t pte = PA2PTE(child) | PTE_V | (rng_chance(r, 15) ? PTE_G : 0);
      poke(pte_pa, pte);
      add_slot(pte_pa, level, pte);
      build(child, level - 1, va, shape, u_pct);
      continue;
    }
    uint64_t pte = rng_chance(r, 85) ? random_leaf(level) : odd_pte(level);
    if ((pte & PTE_V) && (pte & (PTE_R | PTE_W | PTE_X)))
      pte = (pte & ~PTE_U) | (rng_chance(r, u_pct) ? PTE_U : 0);
    poke(pte_pa, pte);
    add_slot(pte_pa, level, pte);
    add_va(va, level);
    if (level > 0 || rng_chance(r, 30))
      add_va(va, level);
  }
  for (unsigned k = 0; k < 2; k++) { // vas that find an empty slot
    unsigned i = rng_below(shape, 512);
    uint64_t old;
    cr_assert_eq(ram_load(&w.real->hw.ram, table + 8 * i, 8, &old), 0);
    if (old == 0) {
      add_slot(table + 8 * i, level, 0);
      add_va(slot_va(vbase, level, i), level);
    }
  }
}

// Three roots (ASIDs 1, 2, 3 by default) of one shape with their own PTEs, and one level-1
// table, mostly without U, that all of them share under root slot 4 through the same
// pointer (global in most seeds). The hot vas translate in some context at the start.
static void build_world(void) {
  w.next_table = TABLES_FROM;
  for (int i = 0; i < NROOTS; i++)
    w.roots[i] = new_table();
  uint64_t shared = new_table();
  uint64_t shared_va = 4ULL << ref_shift(2);
  uint64_t shared_ptr = PA2PTE(shared) | PTE_V | (rng_chance(&w.rng, 70) ? PTE_G : 0);
  struct rng shape = rng_seeded(w.seed ^ 0x5A4E);
  build(shared, 1, shared_va, &shape, 15);
  for (int i = 0; i < NROOTS; i++) {
    poke(w.roots[i] + 8 * 4, shared_ptr);
    add_slot(w.roots[i] + 8 * 4, 2, shared_ptr);
    shape = rng_seeded(w.seed ^ 0x7007);
    build(w.roots[i], 2, 0, &shape, 85);
  }
  cr_assert_gt(w.nvas, 1000, "seed %#" PRIx64 ": only %d vas in the pool", w.seed, w.nvas);
  for (int i = 0; i < NHOT; i++) {
    for (int tries = 0; tries < 50; tries++) {
      w.hot[i] = w.vas[rng_below(&w.rng, (unsigned)w.nvas)];
      uint64_t pa;
      struct fault f;
      unsigned root = rng_below(&w.rng, NROOTS);
      if (mmu_walk_table(&w.model->hw, w.roots[root], true, w.hot[i], ACC_R, &pa, &f, NULL) == 0)
        break;
    }
  }
}

// ---------------------------------------------------------------- operations

enum op_kind { OP_TRANSLATE, OP_EDIT, OP_SATP, OP_SFENCE };

struct op {
  enum op_kind kind;
  uint64_t va;
  enum access acc;
  bool user, sum, mxr, with_steps;
  uint64_t pte_pa, old_pte, new_pte; // OP_EDIT
  uint64_t satp;                     // OP_SATP
  bool all_va, all_asid;             // OP_SFENCE (va, asid)
  uint16_t asid;
};

// The operation as one line of a failure message.
static void describe_op(const struct op *o, char *buf, size_t len) {
  static const char accs[] = "rwx";
  switch (o->kind) {
  case OP_TRANSLATE:
    snprintf(buf, len, "translate va=%#" PRIx64 " %c priv=%c sum=%d mxr=%d steps=%d satp=%#" PRIx64,
             o->va, accs[o->acc], o->user ? 'u' : 's', o->sum, o->mxr, o->with_steps,
             w.real->hw.hart.satp);
    break;
  case OP_EDIT:
    snprintf(buf, len, "edit pte at %#" PRIx64 ": %#" PRIx64 " -> %#" PRIx64, o->pte_pa,
             o->old_pte, o->new_pte);
    break;
  case OP_SATP:
    snprintf(buf, len, "satp %#" PRIx64, o->satp);
    break;
  case OP_SFENCE: {
    char va[32] = "x0", asid[16] = "x0";
    if (!o->all_va)
      snprintf(va, sizeof(va), "%#" PRIx64, o->va);
    if (!o->all_asid)
      snprintf(asid, sizeof(asid), "%u", o->asid);
    snprintf(buf, len, "sfence.vma va=%s asid=%s", va, asid);
    break;
  }
    break;
  }
}

// Half the time one of the hot vas, so that a TLB has something to hit.
static uint64_t pick_va(void) {
  if (rng_chance(&w.rng, 50))
    return w.hot[rng_below(&w.rng, NHOT)];
  return w.vas[rng_below(&w.rng, (unsigned)w.nvas)];
}

// A change to the PTE at slot s of the kinds that need an sfence.vma to be seen. A leaf
// gets a fresh leaf, A/D cleared, one flag flipped, its PPN pointed elsewhere, or an odd
// PTE; a pointer mostly gets its built value back, G flipped or another table, else the
// same changes as a leaf, so that the tables do not decay into nothing but faults.
static uint64_t edited(const struct slot *s, uint64_t pte) {
  struct rng *r = &w.rng;
  static const uint64_t flags[] = {PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_G, PTE_A, PTE_D};
  static const uint64_t clear_ad[] = {PTE_A, PTE_D, PTE_A | PTE_D};
  if ((s->built & (PTE_V | PTE_R | PTE_W | PTE_X)) == PTE_V) {
    unsigned k = rng_below(r, 10);
    if (k < 5)
      return s->built;
    if (k < 7)
      return pte ^ PTE_G;
    if (k < 8)
      return (pte & 0x3FF) | PA2PTE(w.tables[rng_below(r, (unsigned)w.ntables)]);
  }
  unsigned k = rng_below(r, 20);
  if (k < 6)
    return random_leaf(s->level);
  if (k < 10)
    return pte & ~clear_ad[rng_below(r, 3)];
  if (k < 15)
    return pte ^ flags[rng_below(r, 8)];
  if (k < 18) {
    uint64_t to = rng_chance(r, 50) ? w.tables[rng_below(r, (unsigned)w.ntables)]
                                    : PTE_PPN(random_leaf(s->level)) << PGSHIFT;
    return (pte & 0x3FF) | PA2PTE(to);
  }
  return odd_pte(s->level);
}

// The next operation of the stream, in this seed's mix.
static struct op next_op(void) {
  struct rng *r = &w.rng;
  struct op o = {.kind = OP_TRANSLATE};
  unsigned pick = rng_below(r, 1000);
  if (pick < w.pct_edit) {
    o.kind = OP_EDIT;
    const struct slot *s = &w.slots[rng_below(r, (unsigned)w.nslots)];
    o.pte_pa = s->pa;
    cr_assert_eq(ram_load(&w.real->hw.ram, s->pa, 8, &o.old_pte), 0);
    o.new_pte = edited(s, o.old_pte);
  } else if (pick < w.pct_edit + w.pct_satp) {
    o.kind = OP_SATP;
    unsigned kind = rng_below(r, 100);
    unsigned root = rng_below(r, NROOTS);
    uint64_t asid = rng_chance(r, 70) ? root + 1 : rng_below(r, 4);
    o.satp = MAKE_SATP(w.roots[root]) | asid << 44;
    if (kind < 6)
      o.satp = o.satp & ~(0xFULL << 60); // Bare: the rest of satp is ignored
    else if (kind < 10)
      o.satp = (o.satp & ~(0xFULL << 60)) | (uint64_t)(9 + rng_below(r, 7)) << 60; // refused
  } else if (pick < w.pct_edit + w.pct_satp + w.pct_sfence) {
    o.kind = OP_SFENCE;
    unsigned form = rng_below(r, 10); // all/all is the rarest, as it empties the TLB
    o.all_va = form < 4;
    o.all_asid = form == 0 || form >= 7;
    o.va = o.all_va ? 0 : pick_va();
    o.asid = o.all_asid ? 0 : (uint16_t)rng_below(r, 4);
  } else {
    o.va = pick_va();
    unsigned a = rng_below(r, 10);
    o.acc = a < 6 ? ACC_R : a < 9 ? ACC_W : ACC_X;
    o.user = w.real->hw.hart.priv == PRIV_U;
    o.sum = w.real->hw.hart.sum;
    o.mxr = w.real->hw.hart.mxr;
    if (rng_chance(r, 10)) { // a context lasts a while, as a trap handler's would
      o.user = rng_chance(r, 60);
      o.sum = rng_chance(r, 70);
      o.mxr = rng_chance(r, 30);
    }
    o.with_steps = rng_chance(r, 50);
  }
  return o;
}

// A translation's outcome and the counts after it, for a failure message.
static void describe_outcome(const struct outcome *o, const struct ref_stats *st, char *buf,
                             size_t len) {
  int n;
  if (o->ret == 0)
    n = snprintf(buf, len, "ret=0 pa=%#" PRIx64, o->pa);
  else
    n = snprintf(buf, len, "ret=%d fault{cause=%d tval=%#" PRIx64 " rule=%s level=%d}", o->ret,
                 o->f.cause, o->f.tval, mmu_rule_name(o->f.rule), o->f.level);
  snprintf(buf + n, len - (size_t)n,
           " bare=%d tlb_hit=%d leaf_level=%d ad_set=%#" PRIx64 " tlb_pte=%#" PRIx64
           " stats{hits=%" PRIu64 " misses=%" PRIu64 " faults=%" PRIu64 " evictions=%" PRIu64
           " flushes=%" PRIu64 " flushed=%" PRIu64 "}",
           o->bare, o->tlb_hit, o->leaf_level, o->ad_set, o->tlb_pte, st->hits, st->misses,
           st->faults, st->evictions, st->flushes, st->flushed);
}

// The library's total counts in the model's terms.
static struct ref_stats real_stats(void) {
  const struct tlb_stats *t = &w.real->hw.tlb.total;
  return (struct ref_stats){.hits = t->hits, .misses = t->misses, .faults = t->faults,
                            .evictions = t->evictions, .flushes = t->flushes,
                            .flushed = t->flushed};
}

// All six counts agree.
static bool same_stats(const struct ref_stats *a, const struct ref_stats *b) {
  return a->hits == b->hits && a->misses == b->misses && a->faults == b->faults &&
         a->evictions == b->evictions && a->flushes == b->flushes && a->flushed == b->flushed;
}

// Both outcomes agree in everything the translate command can show.
static bool same_outcome(const struct outcome *a, const struct outcome *b, bool steps) {
  if (a->ret != b->ret)
    return false;
  if (a->ret == 0 && a->pa != b->pa)
    return false;
  if (a->ret != 0 && (a->f.cause != b->f.cause || a->f.tval != b->f.tval ||
                      a->f.rule != b->f.rule || a->f.level != b->f.level))
    return false;
  if (!steps)
    return true;
  return a->bare == b->bare && a->tlb_hit == b->tlb_hit && a->leaf_level == b->leaf_level &&
         a->ad_set == b->ad_set && (!a->tlb_hit || a->tlb_pte == b->tlb_pte);
}

// Fail naming the geometry, seed, op index, the op and both sides' results.
static void fail_op(long index, const struct op *o, const char *what, const char *real,
                    const char *model) {
  char desc[256];
  describe_op(o, desc, sizeof(desc));
  cr_assert_fail("TLB %s seed %#" PRIx64 " op %ld (%s): %s differs\n  real:  %s\n  model: %s",
                 w.geometry, w.seed, index, desc, what, real, model);
}

// Every page of both RAMs: the tables with the A/D bits the walks wrote.
static void compare_ram(long index) {
  static uint8_t a[PGSIZE], b[PGSIZE];
  for (uint64_t pa = KERNBASE; pa < KERNBASE + RAM_SIZE; pa += PGSIZE) {
    cr_assert_eq(ram_read(&w.real->hw.ram, pa, a, PGSIZE), 0);
    cr_assert_eq(ram_read(&w.model->hw.ram, pa, b, PGSIZE), 0);
    if (memcmp(a, b, PGSIZE) == 0)
      continue;
    unsigned i = 0;
    while (a[i] == b[i])
      i++;
    i &= ~7u;
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    cr_assert_fail("TLB %s seed %#" PRIx64 " after op %ld: RAM differs at %#" PRIx64
                   ": real %#" PRIx64 ", model %#" PRIx64,
                   w.geometry, w.seed, index, pa + i, x, y);
  }
}

// The library's TLB bookkeeping, which the model cannot see: every hash chain is in
// index order and holds only valid entries, each valid entry is in exactly one chain and
// a free one has no successor (next 0); nlevel and nvalid count the valid entries of each
// page size and set; each set's recency ring holds each of its ways once, linked both
// ways; slot 0's counts equal the totals. Also every way against the reference's same way
// (what it holds), and each set's valid ways in ring order against the reference's in
// stamp order, so that a wrong victim or a wrong rank shows at once.
static void check_structure(long index) {
  const struct tlb *t = &w.real->hw.tlb;
  const struct tlb_stats *ps = &w.real->tlb_per[0], *ts = &t->total;
  cr_assert(ps->hits == ts->hits && ps->misses == ts->misses && ps->faults == ts->faults &&
                ps->evictions == ts->evictions && ps->flushes == ts->flushes &&
                ps->flushed == ts->flushed,
            "TLB %s seed %#" PRIx64 " op %ld: slot 0 counts %" PRIu64 " hits %" PRIu64
            " misses %" PRIu64 " evictions, the totals %" PRIu64 " %" PRIu64 " %" PRIu64,
            w.geometry, w.seed, index, ps->hits, ps->misses, ps->evictions, ts->hits,
            ts->misses, ts->evictions);
  if (t->e == NULL)
    return;
  static bool seen[TLB_MAX_ENTRIES];
  memset(seen, 0, sizeof(seen));
  unsigned chained = 0, valid = 0, nlevel[3] = {0, 0, 0};
  for (uint32_t b = 0; b <= t->hmask; b++) {
    for (uint32_t i = t->bucket[b], prev = 0; i != 0; prev = i, i = t->e[i - 1].next) {
      cr_assert(i > prev && t->e[i - 1].valid && !seen[i - 1],
                "TLB %s seed %#" PRIx64 " op %ld: bucket %u's chain: entry %u after %u "
                "(valid %d)", w.geometry, w.seed, index, b, i, prev, t->e[i - 1].valid);
      seen[i - 1] = true;
      chained++;
    }
  }
  for (unsigned i = 0; i < t->nsets * t->ways; i++) {
    if (t->e[i].valid) {
      valid++;
      nlevel[t->e[i].level]++;
    } else {
      cr_assert(t->e[i].next == 0,
                "TLB %s seed %#" PRIx64 " op %ld: free entry %u has next %u", w.geometry,
                w.seed, index, i, t->e[i].next);
    }
  }
  cr_assert(chained == valid && memcmp(nlevel, t->nlevel, sizeof(nlevel)) == 0,
            "TLB %s seed %#" PRIx64 " op %ld: %u valid entries, %u chained; nlevel %u %u %u, "
            "counted %u %u %u", w.geometry, w.seed, index, valid, chained, t->nlevel[0],
            t->nlevel[1], t->nlevel[2], nlevel[0], nlevel[1], nlevel[2]);
  for (unsigned i = 0; i < t->nsets * t->ways; i++) {
    const struct tlb_entry *e = &t->e[i];
    const struct ref_entry *r = &w.ref.e[i];
    cr_assert(e->valid == r->valid &&
                  (!e->valid || (e->tag == r->tag && e->level == r->level &&
                                 e->asid == r->asid && e->pte == r->pte)),
              "TLB %s seed %#" PRIx64 " op %ld: way %u holds tag %#" PRIx64 " level %d asid "
              "%u (valid %d), the model's tag %#" PRIx64 " level %d asid %u (valid %d)",
              w.geometry, w.seed, index, i, e->tag, e->level, e->asid, e->valid, r->tag,
              r->level, r->asid, r->valid);
  }
  memset(seen, 0, sizeof(seen));
  for (unsigned set = 0; set < t->nsets; set++) {
    uint32_t first = set * t->ways, i = t->mru[set];
    uint64_t newer_stamp = UINT64_MAX;
    unsigned nvalid = 0;
    for (unsigned k = 0; k < t->ways; k++, i = t->ring[i].older) {
      cr_assert(i - first < t->ways && !seen[i] && t->ring[t->ring[i].older].newer == i,
                "TLB %s seed %#" PRIx64 " op %ld: set %u's ring has entry %u at %u",
                w.geometry, w.seed, index, set, i, k);
      seen[i] = true;
      if (!t->e[i].valid)
        continue;
      nvalid++;
      cr_assert(w.ref.e[i].stamp < newer_stamp,
                "TLB %s seed %#" PRIx64 " op %ld: set %u's ring puts way %u (the model's "
                "stamp %" PRIu64 ") after one of stamp %" PRIu64, w.geometry, w.seed, index,
                set, i - first, w.ref.e[i].stamp, newer_stamp);
      newer_stamp = w.ref.e[i].stamp;
    }
    cr_assert(i == t->mru[set] && nvalid == t->nvalid[set],
              "TLB %s seed %#" PRIx64 " op %ld: set %u's ring does not close, or %u valid "
              "ways and nvalid %u", w.geometry, w.seed, index, set, nvalid, t->nvalid[set]);
  }
}

// Apply o to the library and to the model, and fail at the first disagreement.
static void run_op(long index, const struct op *o) {
  char real[512], model[512];
  switch (o->kind) {
  case OP_TRANSLATE: {
    for (int i = 0; i < 2; i++) {
      struct machine *m = i == 0 ? w.real : w.model;
      m->hw.hart.priv = o->user ? PRIV_U : PRIV_S;
      m->hw.hart.sum = o->sum;
      m->hw.hart.mxr = o->mxr;
    }
    struct outcome got = {.pa = 0xBAD, .leaf_level = -7};
    struct walk_steps s;
    got.ret = mmu_translate(&w.real->hw, o->va, o->acc, &got.pa, &got.f,
                            o->with_steps ? &s : NULL);
    if (o->with_steps) {
      got.bare = s.bare;
      got.tlb_hit = s.tlb_hit;
      got.leaf_level = s.leaf_level;
      got.ad_set = s.ad_set;
      got.tlb_pte = s.tlb_pte;
    }
    struct outcome want = ref_translate(w.model, &w.ref, o->va, o->acc, &w.cov);
    if (want.ret != 0)
      w.cov.rules[want.f.rule]++;
    struct ref_stats rs = real_stats();
    if (!same_outcome(&got, &want, o->with_steps) || !same_stats(&rs, &w.ref.st)) {
      describe_outcome(&got, &rs, real, sizeof(real));
      describe_outcome(&want, &w.ref.st, model, sizeof(model));
      fail_op(index, o, "translation", real, model);
    }
    return;
  }
  case OP_EDIT: {
    uint64_t mine;
    cr_assert_eq(ram_load(&w.model->hw.ram, o->pte_pa, 8, &mine), 0);
    if (mine != o->old_pte) {
      snprintf(real, sizeof(real), "%#" PRIx64, o->old_pte);
      snprintf(model, sizeof(model), "%#" PRIx64, mine);
      fail_op(index, o, "the PTE before the edit", real, model);
    }
    poke(o->pte_pa, o->new_pte);
    break;
  }
  case OP_SATP: {
    bool a = mmu_write_satp(&w.real->hw, o->satp), b = mmu_write_satp(&w.model->hw, o->satp);
    if (a != b || w.real->hw.hart.satp != w.model->hw.hart.satp) {
      snprintf(real, sizeof(real), "accepted=%d satp=%#" PRIx64, a, w.real->hw.hart.satp);
      snprintf(model, sizeof(model), "accepted=%d satp=%#" PRIx64, b, w.model->hw.hart.satp);
      fail_op(index, o, "satp", real, model);
    }
    break;
  }
  case OP_SFENCE: {
    unsigned a = tlb_sfence(&w.real->hw, o->all_va, o->va, o->all_asid, o->asid);
    unsigned b = ref_sfence(&w.ref, o->all_va, o->va, o->all_asid, o->asid);
    if (a != b) {
      snprintf(real, sizeof(real), "%u entries", a);
      snprintf(model, sizeof(model), "%u entries", b);
      fail_op(index, o, "entries flushed", real, model);
    }
    break;
  }
  }
  struct ref_stats rs = real_stats();
  if (!same_stats(&rs, &w.ref.st)) {
    struct outcome none = {0};
    describe_outcome(&none, &rs, real, sizeof(real));
    describe_outcome(&none, &w.ref.st, model, sizeof(model));
    fail_op(index, o, "stats", real, model);
  }
}

// Mixes of operations, per mille {edits, sfences, satp writes}; the rest are translations.
// Many edits and sfences; rare sfences; in between; none, so that big TLBs fill up.
static const unsigned mixes[4][3] = {{120, 60, 40}, {60, 4, 10}, {90, 20, 25}, {40, 0, 8}};

// One seed's world and stream on a fresh pair of machines; adds what it exercised to
// w.cov.
static void run_seed(unsigned entries, unsigned ways, enum tlb_policy policy,
                     enum ad_policy ad, uint64_t seed, const unsigned *mix) {
  w.seed = seed;
  w.rng = rng_seeded(seed);
  w.real = new_machine(entries, ways, policy, ad);
  // The hart runs slot 0 (pid 1) from the start, so its per-slot counts must equal the
  // totals throughout (check_structure).
  w.real->proc[0].pid = 1;
  machine_slot_reset(w.real, 0, 1); // as allocproc does
  machine_set_current(w.real, 0);
  w.model = new_machine(0, 0, TLB_LRU, ad);
  w.ref = (struct ref_tlb){.policy = policy, .x = TLB_SEED};
  if (entries > 0) {
    w.ref.ways = ways == 0 ? entries : ways;
    w.ref.nsets = entries / w.ref.ways;
    w.ref.e = calloc(entries, sizeof(*w.ref.e));
    w.ref.toward_lo = calloc(entries, sizeof(*w.ref.toward_lo));
    cr_assert(w.ref.e != NULL && w.ref.toward_lo != NULL);
  }
  w.ntables = w.nslots = w.nvas = 0;
  build_world();
  w.pct_edit = mix[0];
  w.pct_sfence = mix[1];
  w.pct_satp = mix[2];
  struct op first = {.kind = OP_SATP, .satp = MAKE_SATP(w.roots[0]) | 1ULL << 44};
  run_op(-1, &first);
  for (long i = 0; i < OPS_PER_SEED; i++) {
    struct op o = next_op();
    run_op(i, &o);
    // Every operation for small TLBs; the structure of a big one costs thousands of steps.
    if (entries <= 256 || i % RAM_CHECK_EVERY == 0)
      check_structure(i);
    if (i % RAM_CHECK_EVERY == 0)
      compare_ram(i);
  }
  check_structure(OPS_PER_SEED);
  compare_ram(OPS_PER_SEED);
  const struct ref_stats *st = &w.ref.st;
  w.cov.hits += st->hits;
  w.cov.misses += st->misses;
  w.cov.evictions += st->evictions;
  w.cov.flushes += st->flushes;
  w.cov.flushed += st->flushed;
  machine_free(w.real);
  machine_free(w.model);
  free(w.ref.e);
  free(w.ref.toward_lo);
  w.real = w.model = NULL;
  w.ref.e = NULL;
  w.ref.toward_lo = NULL;
}

// Run four seeds on a TLB of entries/ways (ways 0: fully associative), then check that the
// streams were worth running: every rule of the walk fired, and the TLB hit, missed,
// flushed, served stale and faulting hits and, when evicts is set, evicted.
static void run_policy(const char *name, unsigned entries, unsigned ways,
                       enum tlb_policy policy, enum ad_policy ad, bool evicts) {
  static const uint64_t seeds[] = {0x5EED0001, 0x5EED0002, 0x5EED0003, 0x5EED0004};
  w.geometry = name;
  for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
    run_seed(entries, ways, policy, ad, seeds[i], mixes[i]);
  const struct coverage *c = &w.cov;
  for (int rule = RULE_NONCANONICAL; rule <= RULE_D_CLEAR; rule++) {
    bool fires = (rule != RULE_A_CLEAR && rule != RULE_D_CLEAR) || ad == AD_FAULT;
    if (fires)
      cr_assert_gt(c->rules[rule], 0, "TLB %s: rule %s never fired", name,
                   mmu_rule_name((enum mmu_rule)rule));
  }
  cr_assert_gt(c->misses, 10000, "TLB %s: %" PRIu64 " misses", name, c->misses);
  cr_assert_gt(c->flushes, 1000, "TLB %s: %" PRIu64 " flushes", name, c->flushes);
  if (entries == 0) {
    cr_assert_eq(c->hits, 0, "no TLB, yet %" PRIu64 " hits", c->hits);
    return;
  }
  cr_assert_gt(c->hits, 1000, "TLB %s: %" PRIu64 " hits", name, c->hits);
  cr_assert_gt(c->flushed, 100, "TLB %s: %" PRIu64 " entries flushed", name, c->flushed);
  cr_assert_gt(c->stale, 0, "TLB %s: %" PRIu64 " stale hits", name, c->stale);
  cr_assert_gt(c->hit_faults, 0, "TLB %s: %" PRIu64 " hits that fault", name, c->hit_faults);
  cr_assert_gt(c->ad_rewalks, 0, "TLB %s: %" PRIu64 " hits short of A/D", name,
               c->ad_rewalks);
  if (evicts)
    cr_assert_gt(c->evictions, 1000, "TLB %s: %" PRIu64 " evictions", name, c->evictions);
}

// run_policy for LRU, the default policy.
static void run_geometry(const char *name, unsigned entries, unsigned ways, enum ad_policy ad,
                         bool evicts) {
  run_policy(name, entries, ways, TLB_LRU, ad, evicts);
}

Test(tlb_model, with_no_tlb_every_access_walks_as_the_model_does) {
  run_geometry("0", 0, 0, AD_HW, false);
}

Test(tlb_model, a_1_entry_tlb_behaves_as_the_model) {
  run_geometry("1", 1, 0, AD_HW, true);
}

Test(tlb_model, a_4_entry_fully_associative_tlb_behaves_as_the_model) {
  run_geometry("4", 4, 0, AD_HW, true);
}

Test(tlb_model, an_8x2_tlb_behaves_as_the_model) {
  run_geometry("8x2", 8, 2, AD_HW, true);
}

Test(tlb_model, a_16x4_tlb_behaves_as_the_model) {
  run_geometry("16x4", 16, 4, AD_HW, true);
}

Test(tlb_model, a_16x4_tlb_under_svade_ad_faults_behaves_as_the_model) {
  run_geometry("16x4 --ad fault", 16, 4, AD_FAULT, true);
}

Test(tlb_model, the_default_32_entry_fully_associative_tlb_behaves_as_the_model) {
  run_geometry("32", 32, 0, AD_HW, true);
}

Test(tlb_model, a_64_entry_direct_mapped_tlb_behaves_as_the_model) {
  run_geometry("64x1", 64, 1, AD_HW, true);
}

Test(tlb_model, a_128_entry_fully_associative_tlb_behaves_as_the_model) {
  run_geometry("128", 128, 0, AD_HW, true);
}

Test(tlb_model, a_256_way_single_set_tlb_behaves_as_the_model) {
  run_geometry("256x256", 256, 256, AD_HW, true);
}

Test(tlb_model, a_1024x4_tlb_behaves_as_the_model) {
  run_geometry("1024x4", 1024, 4, AD_HW, false);
}

// ---------------------------------------------------------------- the other policies

Test(tlb_model, a_1_entry_fifo_tlb_behaves_as_the_model) {
  run_policy("1,fifo", 1, 0, TLB_FIFO, AD_HW, true);
}

Test(tlb_model, a_4_entry_fully_associative_fifo_tlb_behaves_as_the_model) {
  run_policy("4,fifo", 4, 0, TLB_FIFO, AD_HW, true);
}

Test(tlb_model, an_8x2_fifo_tlb_behaves_as_the_model) {
  run_policy("8x2,fifo", 8, 2, TLB_FIFO, AD_HW, true);
}

Test(tlb_model, a_16x4_fifo_tlb_under_svade_ad_faults_behaves_as_the_model) {
  run_policy("16x4,fifo --ad fault", 16, 4, TLB_FIFO, AD_FAULT, true);
}

Test(tlb_model, a_32_entry_fifo_tlb_behaves_as_the_model) {
  run_policy("32,fifo", 32, 0, TLB_FIFO, AD_HW, true);
}

Test(tlb_model, a_24x3_fifo_tlb_behaves_as_the_model) {
  run_policy("24x3,fifo", 24, 3, TLB_FIFO, AD_HW, true);
}

Test(tlb_model, a_1_entry_random_tlb_behaves_as_the_model) {
  run_policy("1,random", 1, 0, TLB_RANDOM, AD_HW, true);
}

Test(tlb_model, a_4_entry_fully_associative_random_tlb_behaves_as_the_model) {
  run_policy("4,random", 4, 0, TLB_RANDOM, AD_HW, true);
}

Test(tlb_model, an_8x2_random_tlb_behaves_as_the_model) {
  run_policy("8x2,random", 8, 2, TLB_RANDOM, AD_HW, true);
}

Test(tlb_model, a_16x4_random_tlb_under_svade_ad_faults_behaves_as_the_model) {
  run_policy("16x4,random --ad fault", 16, 4, TLB_RANDOM, AD_FAULT, true);
}

Test(tlb_model, a_32_entry_random_tlb_behaves_as_the_model) {
  run_policy("32,random", 32, 0, TLB_RANDOM, AD_HW, true);
}

Test(tlb_model, a_24x3_random_tlb_behaves_as_the_model) {
  run_policy("24x3,random", 24, 3, TLB_RANDOM, AD_HW, true);
}

Test(tlb_model, a_1_entry_plru_tlb_behaves_as_the_model) {
  run_policy("1,plru", 1, 0, TLB_PLRU, AD_HW, true);
}

Test(tlb_model, a_4_entry_fully_associative_plru_tlb_behaves_as_the_model) {
  run_policy("4,plru", 4, 0, TLB_PLRU, AD_HW, true);
}

Test(tlb_model, an_8x2_plru_tlb_behaves_as_the_model) {
  run_policy("8x2,plru", 8, 2, TLB_PLRU, AD_HW, true);
}

Test(tlb_model, a_16x4_plru_tlb_under_svade_ad_faults_behaves_as_the_model) {
  run_policy("16x4,plru --ad fault", 16, 4, TLB_PLRU, AD_FAULT, true);
}

Test(tlb_model, a_32_entry_plru_tlb_behaves_as_the_model) {
  run_policy("32,plru", 32, 0, TLB_PLRU, AD_HW, true);
}

Test(tlb_model, a_256_way_single_set_plru_tlb_behaves_as_the_model) {
  run_policy("256x256,plru", 256, 256, TLB_PLRU, AD_HW, true);
}
