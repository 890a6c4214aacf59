#include "sv39sim/hw/mmu.h"

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

// A leaf's checks after its encoding's (spec 4.3.2 steps 5-7): privilege and permission,
// then superpage alignment, then A/D under AD_FAULT.
static enum mmu_rule leaf_check(const struct walk_ctx *w, uint64_t pte, int level,
                                enum access acc) {
  enum mmu_rule rule = leaf_rule(pte, acc, w->user, w->sum, w->mxr);
  uint64_t need = ad_needed(acc);
  if (rule != RULE_NONE)
    return rule;
  if (PTE_PPN(pte) & (PAGE_OFFSET_MASK(level) >> PGSHIFT))
    return RULE_MISALIGNED;
  if ((pte & need) != need && w->ad == AD_FAULT)
    return (pte & PTE_A) ? RULE_D_CLEAR : RULE_A_CLEAR;
  return RULE_NONE;
}

// The privileged spec's Sv39 walk (section 4.3.2), one check a line in the spec's order:
// canonical va, then per level reserved bits, non-leaf A/D/U, V, W without R, and for a
// leaf leaf_check. Returns 0 with *pa and *leaf, or -1 with *f.
static int walk(struct hw *hw, const struct walk_ctx *w, uint64_t va, enum access acc,
                uint64_t *pa, struct leaf *leaf, struct fault *f, struct walk_steps *s) {
  int cause = mmu_page_fault_cause(acc);
  if (!va_is_canonical(va))
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
    bool pointer = PTE_TABLE(pte);
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
    } else {
      rule = leaf_check(w, pte, level, acc);
    }
    record(s, level, va, pte_pa, pte, rule == RULE_NONE ? STEP_LEAF : STEP_FAULT);
    if (rule != RULE_NONE)
      return fault_with(f, cause, va, rule, level);
    uint64_t need = ad_needed(acc);
    if ((pte & need) != need && w->write_ad) {
      if (s != NULL)
        s->ad_set = need & ~pte;
      pte |= need;
      ram_store(&hw->ram, pte_pa, 8, pte);
    }
    if (s != NULL)
      s->leaf_level = level;
    *leaf = (struct leaf){.pte = pte | global, .level = level};
    *pa = (PTE_PPN(pte) << PGSHIFT) | (va & PAGE_OFFSET_MASK(level));
    return 0;
  }
  return -1; // not reached: level 0 either faults or is a leaf
}

static struct walk_ctx hart_ctx(const struct hw *hw) {
  return (struct walk_ctx){.root = SATP_ROOT(hw->hart.satp),
                           .user = hw->hart.priv == PRIV_U,
                           .sum = hw->hart.sum,
                           .mxr = hw->hart.mxr,
                           .ad = hw->ad,
                           .write_ad = true};
}

// Count one TLB event into the totals and into the running context's counts.
#define COUNT(hw, field)                                                                    \
  do {                                                                                      \
    (hw)->tlb.total.field++;                                                                \
    if ((hw)->stats != NULL)                                                                \
      (hw)->stats->field++;                                                                 \
  } while (0)

// Bare -> canonical -> TLB lookup -> the leaf rules and A/D on a hit, else walk -> fill.
int mmu_translate(struct hw *hw, uint64_t va, enum access acc, uint64_t *pa,
                  struct fault *f, struct walk_steps *steps) {
  steps_start(steps);
  const struct hart *h = &hw->hart;
  if (SATP_MODE(h->satp) == SATP_MODE_BARE) {
    if (steps != NULL)
      steps->bare = true;
    *pa = va;
    return 0;
  }
  if (!va_is_canonical(va)) {
    COUNT(hw, faults);
    return fault_with(f, mmu_page_fault_cause(acc), va, RULE_NONCANONICAL, -1);
  }
  uint16_t asid = SATP_ASID(h->satp);
  const struct tlb_entry *e = tlb_lookup(&hw->tlb, va, asid);
  if (e != NULL) {
    enum mmu_rule rule = leaf_rule(e->pte, acc, h->priv == PRIV_U, h->sum, h->mxr);
    uint64_t need = ad_needed(acc);
    // A cached entry without the A/D bits this access needs sends hardware back to the
    // table in memory, so that is a miss.
    if (rule != RULE_NONE || (e->pte & need) == need) {
      COUNT(hw, hits);
      if (steps != NULL) {
        steps->tlb_hit = true;
        steps->tlb_pte = e->pte;
        steps->leaf_level = e->level;
      }
      if (rule != RULE_NONE) {
        COUNT(hw, faults);
        return fault_with(f, mmu_page_fault_cause(acc), va, rule, e->level);
      }
      *pa = (PTE_PPN(e->pte) << PGSHIFT) | (va & PAGE_OFFSET_MASK(e->level));
      return 0;
    }
  }
  COUNT(hw, misses);
  struct walk_ctx w = hart_ctx(hw);
  struct leaf leaf;
  if (walk(hw, &w, va, acc, pa, &leaf, f, steps) != 0) {
    COUNT(hw, faults);
    return -1;
  }
  if (tlb_fill(&hw->tlb, va, asid, leaf.level, leaf.pte))
    COUNT(hw, evictions);
  return 0;
}

int mmu_walk_as(struct hw *hw, uint64_t root, bool user, bool sum, bool mxr, uint64_t va,
                enum access acc, uint64_t *pa, struct fault *f, struct walk_steps *steps) {
  steps_start(steps);
  struct walk_ctx w = {.root = root, .user = user, .sum = sum, .mxr = mxr, .ad = hw->ad,
                       .write_ad = false};
  struct leaf leaf;
  return walk(hw, &w, va, acc, pa, &leaf, f, steps);
}

int mmu_walk_table(struct hw *hw, uint64_t root, bool user, uint64_t va,
                   enum access acc, uint64_t *pa, struct fault *f, struct walk_steps *steps) {
  return mmu_walk_as(hw, root, user, hw->hart.sum, hw->hart.mxr, va, acc, pa, f, steps);
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
