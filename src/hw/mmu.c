#include "sv39sim/hw/mmu.h"

#include <string.h>

#include "sv39sim/hw/hw.h"

// What a walk runs with: the hart's state, or a table chosen by the 'walk' command.
struct walk_ctx {
  uint64_t root;
  bool user; // U-mode access
  bool sum, mxr;
  enum ad_policy ad;
  bool write_ad; // false: a dry run that changes nothing in memory
};

// A successful walk's leaf, for the TLB.
struct leaf {
  uint64_t pte; // with G added when an ancestor was global
  uint64_t pte_pa;
  int level;
};

static const struct {
  const char *name, *reason;
} rules[] = {
    [RULE_NONE] = {"none", "no rule fired"},
    [RULE_NONCANONICAL] = {"non-canonical-va", "va bits 63..39 must all equal bit 38"},
    [RULE_PTE_NOT_RAM] = {"pte-not-in-ram",
                          "the PTE's physical address is not RAM, so reading it is an "
                          "access fault"},
    [RULE_RESERVED] = {"reserved-bits", "PTE bits 63..54 are reserved and must be 0"},
    [RULE_NONLEAF_ADU] = {"non-leaf-a-d-u",
                          "a non-leaf PTE must have A, D and U clear"},
    [RULE_INVALID] = {"invalid", "the PTE's V bit is 0"},
    [RULE_W_WITHOUT_R] = {"w-without-r", "W=1 with R=0 is a reserved encoding"},
    [RULE_NONLEAF_LEVEL0] = {"non-leaf-at-level-0",
                             "a level-0 PTE must be a leaf (R, W or X set)"},
    [RULE_MISALIGNED] = {"misaligned-superpage",
                         "a superpage's PPN must be aligned to its size (low PPN bits 0)"},
    [RULE_U_FROM_S] = {"u-page-from-s-without-sum",
                       "S-mode may touch a U page only with sstatus.SUM=1"},
    [RULE_U_EXEC_FROM_S] = {"u-page-executed-from-s",
                            "S-mode never executes from a U page, SUM or not"},
    [RULE_S_FROM_U] = {"s-page-from-u", "U-mode may only touch pages with U=1"},
    [RULE_NO_R] = {"not-readable",
                   "a load needs R=1 (or X=1 with sstatus.MXR=1)"},
    [RULE_NO_W] = {"not-writable", "a store needs W=1"},
    [RULE_NO_X] = {"not-executable", "an instruction fetch needs X=1"},
    [RULE_A_CLEAR] = {"a-clear", "A=0 and --ad fault (Svade): the walk does not set it"},
    [RULE_D_CLEAR] = {"d-clear",
                      "a store with D=0 and --ad fault (Svade): the walk does not set it"},
    [RULE_PA_NOT_RAM] = {"pa-not-in-ram",
                         "the translated physical address is not RAM (sv39sim models no "
                         "devices), so the access is an access fault"},
};

const char *mmu_rule_name(enum mmu_rule rule) {
  return rules[rule].name;
}

const char *mmu_rule_reason(enum mmu_rule rule) {
  return rules[rule].reason;
}

const char *mmu_cause_name(int cause) {
  switch (cause) {
  case CAUSE_FETCH_ACCESS: return "instruction access fault";
  case CAUSE_LOAD_ACCESS: return "load access fault";
  case CAUSE_STORE_ACCESS: return "store/AMO access fault";
  case CAUSE_FETCH_PAGE: return "instruction page fault";
  case CAUSE_LOAD_PAGE: return "load page fault";
  case CAUSE_STORE_PAGE: return "store/AMO page fault";
  default: return "exception";
  }
}

static int access_fault_cause(enum access acc) {
  return acc == ACC_X ? CAUSE_FETCH_ACCESS
                      : acc == ACC_R ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS;
}

// Fill *f and return -1, the value every failed translation returns.
static int fault_with(struct fault *f, int cause, uint64_t va, enum mmu_rule rule, int level) {
  f->cause = cause;
  f->tval = va;
  f->rule = rule;
  f->level = level;
  return -1;
}

static void record(struct walk_steps *s, int level, uint64_t va, uint64_t pte_pa,
                   uint64_t pte, enum step_kind kind) {
  if (s == NULL)
    return;
  s->step[s->n++] = (struct walk_step){.level = level, .vpn = (unsigned)PX(level, va),
                                       .pte_pa = pte_pa, .pte = pte, .kind = kind};
}

static void steps_start(struct walk_steps *s) {
  if (s != NULL)
    *s = (struct walk_steps){.leaf_level = -1};
}

bool mmu_write_satp(struct hw *hw, uint64_t satp) {
  uint64_t mode = SATP_MODE(satp);
  if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39)
    return false;
  hw->hart.satp = satp;
  return true;
}

// The leaf's privilege and permission rules, shared by the walk and a TLB hit: the U-page
// rules with SUM first, then R/W/X with MXR.
static enum mmu_rule leaf_rule(uint64_t pte, enum access acc, bool user, bool sum,
                               bool mxr) {
  if ((pte & PTE_U) && !user && acc == ACC_X)
    return RULE_U_EXEC_FROM_S;
  if ((pte & PTE_U) && !user && !sum)
    return RULE_U_FROM_S;
  if (!(pte & PTE_U) && user)
    return RULE_S_FROM_U;
  if (acc == ACC_R && !(pte & PTE_R) && !(mxr && (pte & PTE_X)))
    return RULE_NO_R;
  if (acc == ACC_W && !(pte & PTE_W))
    return RULE_NO_W;
  if (acc == ACC_X && !(pte & PTE_X))
    return RULE_NO_X;
  return RULE_NONE;
}

static uint64_t ad_needed(enum access acc) {
  return acc == ACC_W ? PTE_A | PTE_D : PTE_A;
}

// leaf_rule and ad_needed for all 24 contexts at once, as bit masks over mmu_access_ctx:
// each CTX_ mask has the bits of the contexts with that property.
#define CTX_ALL 0xFFFFFFu
#define CTX_R 0x249249u    // acc == ACC_R
#define CTX_W 0x492492u    // acc == ACC_W
#define CTX_X 0x924924u    // acc == ACC_X
#define CTX_USER 0xE38E38u // U-mode
#define CTX_SUM 0xFC0FC0u  // sstatus.SUM
#define CTX_MXR 0xFFF000u  // sstatus.MXR

// The mask for a PTE with these flags: none for an invalid PTE (V = 0) or the reserved
// W-without-R encoding; else its privilege rules, its readable / writable / executable
// contexts, and the A (and, for stores, D) bit each access needs.
#define ALLOW_OF(pte)                                                                       \
  (!((pte) & PTE_V) || (((pte) & PTE_W) && !((pte) & PTE_R))                                \
       ? 0u                                                                                 \
       : (((pte) & PTE_U) ? CTX_USER | (~CTX_USER & CTX_SUM & ~CTX_X) : ~CTX_USER) &        \
             ((CTX_R & (((pte) & PTE_R) ? CTX_ALL : ((pte) & PTE_X) ? CTX_MXR : 0u)) |      \
              (((pte) & PTE_W) ? CTX_W : 0u) | (((pte) & PTE_X) ? CTX_X : 0u)) &            \
             (!((pte) & PTE_A) ? 0u : ((pte) & PTE_D) ? CTX_ALL : ~CTX_W) & CTX_ALL)

// ALLOW_OF for every value of the PTE's flag byte, which mmu_leaf_allow indexes with (G,
// which ALLOW_OF does not read, only makes each mask appear twice).
#define ALLOW_4(i) ALLOW_OF(i), ALLOW_OF((i) + 1), ALLOW_OF((i) + 2), ALLOW_OF((i) + 3)
#define ALLOW_16(i) ALLOW_4(i), ALLOW_4((i) + 4), ALLOW_4((i) + 8), ALLOW_4((i) + 12)
#define ALLOW_64(i) ALLOW_16(i), ALLOW_16((i) + 16), ALLOW_16((i) + 32), ALLOW_16((i) + 48)
const uint32_t mmu_allow_table[256] = {ALLOW_64(0u), ALLOW_64(64u), ALLOW_64(128u),
                                       ALLOW_64(192u)};

// The privileged spec's Sv39 walk (section 4.3.2) in Spike's check order. Returns 0 with
// *pa and *leaf, or -1 with *f.
static int walk(struct hw *hw, const struct walk_ctx *w, uint64_t va, enum access acc,
                uint64_t *pa, struct leaf *leaf, struct fault *f, struct walk_steps *s) {
  int cause = mmu_page_fault_cause(acc);
  if (!mmu_canonical(va))
    return fault_with(f, cause, va, RULE_NONCANONICAL, -1);
  uint64_t table = w->root;
  uint64_t global = 0;
  for (int level = 2; level >= 0; level--) {
    uint64_t pte_pa = table + 8 * PX(level, va);
    uint64_t pte;
    if (ram_load(&hw->ram, pte_pa, 8, &pte) != 0) {
      record(s, level, va, pte_pa, 0, STEP_FAULT);
      if (s != NULL)
        s->step[s->n - 1].not_ram = true;
      return fault_with(f, access_fault_cause(acc), va, RULE_PTE_NOT_RAM, level);
    }
    bool pointer = (pte & (PTE_V | PTE_R | PTE_W | PTE_X)) == PTE_V;
    enum mmu_rule rule = RULE_NONE;
    if (pte & PTE_RESERVED)
      rule = RULE_RESERVED;
    else if (pointer && (pte & (PTE_A | PTE_D | PTE_U)))
      rule = RULE_NONLEAF_ADU;
    else if (!(pte & PTE_V))
      rule = RULE_INVALID;
    else if ((pte & PTE_W) && !(pte & PTE_R))
      rule = RULE_W_WITHOUT_R;
    else if (pointer && level == 0)
      rule = RULE_NONLEAF_LEVEL0;
    else if (pointer) {
      record(s, level, va, pte_pa, pte, STEP_TABLE);
      global |= pte & PTE_G;
      table = PTE_PPN(pte) << PGSHIFT;
      continue;
    } else if (PTE_PPN(pte) & (PAGE_OFFSET_MASK(level) >> PGSHIFT))
      rule = RULE_MISALIGNED;
    else
      rule = leaf_rule(pte, acc, w->user, w->sum, w->mxr);
    uint64_t need = ad_needed(acc);
    if (rule == RULE_NONE && (pte & need) != need && w->ad == AD_FAULT)
      rule = (pte & PTE_A) ? RULE_D_CLEAR : RULE_A_CLEAR;
    record(s, level, va, pte_pa, pte, rule == RULE_NONE ? STEP_LEAF : STEP_FAULT);
    if (rule != RULE_NONE)
      return fault_with(f, cause, va, rule, level);
    if ((pte & need) != need && w->write_ad) {
      if (s != NULL)
        s->ad_set = need & ~pte;
      pte |= need;
      ram_store(&hw->ram, pte_pa, 8, pte);
    }
    if (s != NULL)
      s->leaf_level = level;
    *leaf = (struct leaf){.pte = pte | global, .pte_pa = pte_pa, .level = level};
    *pa = (PTE_PPN(pte) << PGSHIFT) | (va & PAGE_OFFSET_MASK(level));
    return 0;
  }
  return -1; // not reached: level 0 either faults or is a leaf
}

// The walk's common case alone: every PTE in materialised RAM, the level-2 and level-1
// PTEs plain pointers, and a 4 KiB leaf that passes every check for access context ctx
// (mmu_access_ctx) with the A/D bits the access needs already set. Then walk would return
// the same leaf and write nothing: returns 0 with the leaf as walk gives it and its
// mmu_leaf_allow mask. Anything else (a superpage too) returns -1, having read only, for
// walk to decide.
static inline int walk_fast(const struct ram *r, uint64_t root, uint64_t va, unsigned ctx,
                            struct leaf *leaf, uint32_t *allow) {
  uint64_t table = root, global = 0, pte_pa, pte;
  for (int level = 2; level > 0; level--) {
    pte_pa = table + 8 * PX(level, va);
    if (!ram_is_fast(r, pte_pa, 8))
      return -1;
    memcpy(&pte, r->arena + (pte_pa - r->base), sizeof(pte));
    // A pointer: V alone among V, R, W, X, A, D, U and the reserved bits.
    if ((pte & (PTE_RESERVED | PTE_A | PTE_D | PTE_U | PTE_R | PTE_W | PTE_X | PTE_V)) !=
        PTE_V)
      return -1;
    global |= pte & PTE_G;
    table = PTE_PPN(pte) << PGSHIFT;
  }
  pte_pa = table + 8 * PX(0, va);
  if (!ram_is_fast(r, pte_pa, 8))
    return -1;
  memcpy(&pte, r->arena + (pte_pa - r->base), sizeof(pte));
  // A leaf with no reserved bit; the mask says whether it is valid and allowed.
  uint32_t a = mmu_leaf_allow(pte);
  if ((pte & PTE_RESERVED) != 0 || !((a >> ctx) & 1))
    return -1;
  *leaf = (struct leaf){.pte = pte | global, .pte_pa = pte_pa, .level = 0};
  *allow = a;
  return 0;
}

static struct walk_ctx hart_ctx(const struct hw *hw) {
  return (struct walk_ctx){.root = SATP_ROOT(hw->hart.satp),
                           .user = hw->hart.priv == PRIV_U,
                           .sum = hw->hart.sum,
                           .mxr = hw->hart.mxr,
                           .ad = hw->ad,
                           .write_ad = true};
}

// The running context's stats, or NULL.
static struct tlb_stats *current_stats(struct hw *hw) {
  return hw->stats;
}

// What translate_hit found: a hit it served, a miss no entry can serve (translate_miss may
// take it), or anything else (translate_general).
enum { HIT = 0, GENERAL = -1, SURE_MISS = 1 };

// A 4 KiB TLB entry that serves this access with no check failing: count the hit and
// return HIT. Otherwise change nothing and return SURE_MISS when tlb_lookup could find no
// entry of any size for va (no superpage entries, and va's level-0 chain empty or one
// head that does not match: its bucket's 'more' is false), else GENERAL, for the
// general path to decide. *bucket gets va's level-0 bucket (set whenever the answer is
// SURE_MISS).
static inline int translate_hit(struct hw *hw, uint64_t va, enum access acc,
                                uint64_t *pa, struct walk_steps *steps, uint32_t *bucket) {
  const struct hart *h = &hw->hart;
  struct tlb *t = &hw->tlb;
  if (SATP_MODE(h->satp) != SATP_MODE_SV39 || !mmu_canonical(va))
    return GENERAL;
  // One load of the bucket's record decides the common hit; a match further down the
  // chain goes to the general path, which finds the same entry. (With no TLB its one
  // record sends every access to the general path.)
  uint64_t key = tlb_key(va >> PGSHIFT, 0);
  *bucket = tlb_bucket_of(t, key);
  const struct tlb_bucket *e = &t->bucket[*bucket];
  uint16_t asid = SATP_ASID(h->satp);
  if (e->key != key || (e->asid != asid && !e->global))
    return e->more || tlb_has_superpages(t) ? GENERAL : SURE_MISS;
  if (!((e->allow >> mmu_access_ctx(acc, h->priv == PRIV_U, h->sum, h->mxr)) & 1))
    return GENERAL;
  t->used[e->head - 1] = ++t->clock;
  t->total.hits++;
  struct tlb_stats *ps = current_stats(hw);
  if (ps != NULL)
    ps->hits++;
  if (steps != NULL) {
    steps->tlb_hit = true;
    steps->tlb_pte = t->e[e->head - 1].pte;
    steps->leaf_level = 0;
  }
  *pa = e->page | (va & (PGSIZE - 1));
  return HIT;
}

// Everything but the common hit: bare mode, faults, other hits, misses and walks. Kept
// out of line so that the hit path needs no stack frame.
static __attribute__((noinline)) int translate_general(struct hw *hw, uint64_t va,
                                                       enum access acc, uint64_t *pa,
                                                       struct fault *f,
                                                       struct walk_steps *steps) {
  const struct hart *h = &hw->hart;
  if (SATP_MODE(h->satp) == SATP_MODE_BARE) {
    if (steps != NULL)
      steps->bare = true;
    *pa = va;
    return 0;
  }
  struct tlb_stats *total = &hw->tlb.total;
  struct tlb_stats *ps = current_stats(hw);
  if (!mmu_canonical(va)) {
    total->faults++;
    if (ps != NULL)
      ps->faults++;
    return fault_with(f, mmu_page_fault_cause(acc), va, RULE_NONCANONICAL, -1);
  }
  uint16_t asid = SATP_ASID(h->satp);
  bool user = h->priv == PRIV_U;
  struct tlb_entry *e = tlb_lookup(&hw->tlb, va, asid);
  if (e != NULL) {
    enum mmu_rule rule = leaf_rule(e->pte, acc, user, h->sum, h->mxr);
    uint64_t need = ad_needed(acc);
    // A cached entry without the A/D bits this access needs sends hardware back to the
    // table in memory, so that is a miss.
    if (rule != RULE_NONE || (e->pte & need) == need) {
      total->hits++;
      if (ps != NULL)
        ps->hits++;
      if (steps != NULL) {
        steps->tlb_hit = true;
        steps->tlb_pte = e->pte;
        steps->leaf_level = e->level;
      }
      if (rule != RULE_NONE) {
        total->faults++;
        if (ps != NULL)
          ps->faults++;
        return fault_with(f, mmu_page_fault_cause(acc), va, rule, e->level);
      }
      *pa = (PTE_PPN(e->pte) << PGSHIFT) | (va & PAGE_OFFSET_MASK(e->level));
      return 0;
    }
  }
  total->misses++;
  if (ps != NULL)
    ps->misses++;
  struct walk_ctx w = hart_ctx(hw);
  struct leaf leaf;
  if (walk(hw, &w, va, acc, pa, &leaf, f, steps) != 0) {
    total->faults++;
    if (ps != NULL)
      ps->faults++;
    return -1;
  }
  if (tlb_fill(&hw->tlb, va, asid, leaf.level, leaf.pte, leaf.pte_pa)) {
    total->evictions++;
    if (ps != NULL)
      ps->evictions++;
  }
  return 0;
}

// What translate_miss returns when it changed nothing: no pa is this large.
#define MISS_NOT_DONE UINT64_MAX

// translate_miss's end when the fill is not tlb_fill_common's case (which changed
// nothing): the same, with tlb_fill_general, for the leaf walk_fast found. Returns the pa.
static __attribute__((noinline)) uint64_t translate_miss_rest(struct hw *hw, uint64_t va,
                                                              uint32_t bucket, uint64_t pte,
                                                              uint64_t pte_pa) {
  struct tlb *t = &hw->tlb;
  struct tlb_stats *ps = current_stats(hw);
  t->total.misses++;
  if (ps != NULL)
    ps->misses++;
  if (tlb_fill_general(t, tlb_key(va >> PGSHIFT, 0), bucket, SATP_ASID(hw->hart.satp), 0, pte,
                       pte_pa, mmu_leaf_allow(pte))) {
    t->total.evictions++;
    if (ps != NULL)
      ps->evictions++;
  }
  return (PTE_PPN(pte) << PGSHIFT) | (va & (PGSIZE - 1));
}

// The common miss, once translate_hit has found that no TLB entry can hold va (and that
// va's level-0 key hashes to bucket): walk_fast finds a 4 KiB leaf. Returns the pa,
// having counted the miss and filled the TLB as translate_general would, or MISS_NOT_DONE
// having changed nothing, for translate_general. Makes no call but translate_miss_rest's,
// in tail position, so that it needs few registers; the pa comes back in a register, as
// the next access's address often depends on it.
static __attribute__((noinline)) uint64_t translate_miss(struct hw *hw, uint64_t va,
                                                         enum access acc, uint32_t bucket) {
  const struct hart *h = &hw->hart;
  struct tlb *t = &hw->tlb;
  struct leaf leaf;
  uint32_t allow;
  unsigned ctx = mmu_access_ctx(acc, h->priv == PRIV_U, h->sum, h->mxr);
  if (walk_fast(&hw->ram, SATP_ROOT(h->satp), va, ctx, &leaf, &allow) != 0)
    return MISS_NOT_DONE;
  int evicted = tlb_fill_common(t, tlb_key(va >> PGSHIFT, 0), bucket, SATP_ASID(h->satp), 0,
                                leaf.pte, leaf.pte_pa, allow);
  if (evicted < 0)
    return translate_miss_rest(hw, va, bucket, leaf.pte, leaf.pte_pa);
  t->total.misses++;
  t->total.evictions += (unsigned)evicted;
  struct tlb_stats *ps = current_stats(hw);
  if (ps != NULL) {
    ps->misses++;
    ps->evictions += (unsigned)evicted;
  }
  return tlb_pte_page(leaf.pte) | (va & (PGSIZE - 1));
}

int mmu_translate(struct hw *hw, uint64_t va, enum access acc, uint64_t *pa,
                  struct fault *f, struct walk_steps *steps) {
  steps_start(steps);
  uint32_t bucket;
  int r = translate_hit(hw, va, acc, pa, steps, &bucket);
  if (r == HIT)
    return 0;
  if (r == SURE_MISS && steps == NULL) {
    uint64_t p = translate_miss(hw, va, acc, bucket);
    if (p != MISS_NOT_DONE) {
      *pa = p;
      return 0;
    }
  }
  return translate_general(hw, va, acc, pa, f, steps);
}

int mmu_walk_table(struct hw *hw, uint64_t root, bool user, uint64_t va,
                   enum access acc, uint64_t *pa, struct fault *f, struct walk_steps *steps) {
  steps_start(steps);
  struct walk_ctx w = hart_ctx(hw);
  w.root = root;
  w.user = user;
  w.write_ad = false;
  struct leaf leaf;
  return walk(hw, &w, va, acc, pa, &leaf, f, steps);
}

// Two faults count as agreeing: the trap is the same whichever rule each names.
bool mmu_stale(struct hw *hw, uint64_t va, enum access acc, int hit_result,
               uint64_t hit_pa, int *now_result, uint64_t *now_pa, struct fault *now_f) {
  *now_result = mmu_walk_table(hw, SATP_ROOT(hw->hart.satp), hw->hart.priv == PRIV_U, va, acc,
                               now_pa, now_f, NULL);
  if (*now_result != hit_result)
    return true;
  return hit_result == 0 && *now_pa != hit_pa;
}

int mmu_load(struct hw *hw, uint64_t va, unsigned size, uint64_t *val, uint64_t *pa,
             struct fault *f, struct walk_steps *steps) {
  if (mmu_translate(hw, va, ACC_R, pa, f, steps) != 0)
    return -1;
  if (ram_load(&hw->ram, *pa, size, val) != 0)
    return fault_with(f, CAUSE_LOAD_ACCESS, va, RULE_PA_NOT_RAM, -1);
  return 0;
}

int mmu_store(struct hw *hw, uint64_t va, unsigned size, uint64_t val, uint64_t *pa,
              struct fault *f, struct walk_steps *steps) {
  if (mmu_translate(hw, va, ACC_W, pa, f, steps) != 0)
    return -1;
  if (ram_store(&hw->ram, *pa, size, val) != 0)
    return fault_with(f, CAUSE_STORE_ACCESS, va, RULE_PA_NOT_RAM, -1);
  return 0;
}
