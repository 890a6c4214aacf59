#ifndef SV39SIM_MMU_H
#define SV39SIM_MMU_H
// The hart's MMU: satp, privilege, sstatus.SUM/MXR, and Sv39 translation as the RISC-V
// privileged spec defines it, checked in the order Spike's mmu_t::walk checks it.
#include <stdbool.h>
#include <stdint.h>

#include "sv39sim/sv39.h"

struct hw;

enum access { ACC_R, ACC_W, ACC_X }; // load, store/AMO, instruction fetch

// Exception causes (scause values).
enum {
  CAUSE_FETCH_ACCESS = 1,
  CAUSE_LOAD_ACCESS = 5,
  CAUSE_STORE_ACCESS = 7,
  CAUSE_FETCH_PAGE = 12,
  CAUSE_LOAD_PAGE = 13,
  CAUSE_STORE_PAGE = 15,
};

// The rule that fired, in check order. mmu_rule_name gives each a stable name.
enum mmu_rule {
  RULE_NONE,
  RULE_NONCANONICAL,   // va bits 63..39 differ from bit 38
  RULE_PTE_NOT_RAM,    // a PTE's address is not RAM: an access fault
  RULE_RESERVED,       // PTE bits 63..54 set
  RULE_NONLEAF_ADU,    // a non-leaf PTE with A, D or U set
  RULE_INVALID,        // V = 0
  RULE_W_WITHOUT_R,    // W = 1, R = 0
  RULE_NONLEAF_LEVEL0, // a pointer to a next level below level 0
  RULE_U_FROM_S,       // S-mode access to a U page without SUM
  RULE_U_EXEC_FROM_S,  // S-mode fetch from a U page (SUM never allows it)
  RULE_S_FROM_U,       // U-mode access to a page without U
  RULE_NO_R,           // load from a page without R (and without X under MXR)
  RULE_NO_W,           // store to a page without W
  RULE_NO_X,           // fetch from a page without X
  RULE_MISALIGNED,     // a superpage whose PPN is not aligned to its size
  RULE_A_CLEAR,        // A = 0 under --ad fault
  RULE_D_CLEAR,        // store with D = 0 under --ad fault
  RULE_PA_NOT_RAM,     // translation succeeded, but the physical address is not RAM
};

struct fault {
  int cause;
  uint64_t tval; // the faulting va
  enum mmu_rule rule;
  int level;     // the level whose PTE broke the rule, -1 when none did
};

enum step_kind { STEP_TABLE, STEP_LEAF, STEP_FAULT };

// One level of a walk, for the step display.
struct walk_step {
  int level;
  unsigned vpn;    // VPN[level]
  uint64_t pte_pa; // where the PTE was read
  uint64_t pte;    // its value as read
  enum step_kind kind;
  bool not_ram;    // pte_pa is not RAM: nothing was read
};

struct walk_steps {
  bool bare;        // satp.MODE is Bare: pa = va, no walk
  bool tlb_hit;     // the TLB answered; no level was read
  int n;            // levels read
  struct walk_step step[3];
  int leaf_level;   // page size of the translation: 0, 1 or 2 (-1: none)
  uint64_t ad_set;  // A/D bits this walk wrote into the leaf PTE
  uint64_t tlb_pte; // on a hit: the cached PTE
};

#define SATP_MODE(satp) ((uint64_t)(satp) >> 60)
#define SATP_ASID(satp) ((uint16_t)((uint64_t)(satp) >> 44))
#define SATP_ROOT(satp) ((uint64_t)(((uint64_t)(satp) & ((1ULL << 44) - 1)) << PGSHIFT))
#define SATP_MODE_BARE 0
#define SATP_MODE_SV39 8

// PTE bits 63..54: reserved without Svnapot and Svpbmt, which sv39sim does not model.
#define PTE_RESERVED (0x3FFULL << 54)

// The bytes below va's offset bits in a page of size level (0: 4K, 1: 2M, 2: 1G).
#define PAGE_OFFSET_MASK(level) ((1ULL << PXSHIFT(level)) - 1)

// Write satp. A MODE other than Bare (0) or Sv39 (8) is unsupported and the write has
// no effect (returns false), as the spec says. No TLB flush, as in hardware.
bool mmu_write_satp(struct hw *hw, uint64_t satp);

// Translate va for one access at the hart's privilege, through the TLB (filling it on a
// miss) and setting A/D in memory under AD_HW. Returns 0 and sets *pa, or -1 and fills *f.
// Never prints or allocates; the walk's steps go to *steps when it is not NULL.
int mmu_translate(struct hw *hw, uint64_t va, enum access acc, uint64_t *pa,
                  struct fault *f, struct walk_steps *steps);

// The same checks against the tables in memory, with no TLB and no writes: what a fresh
// walk from root would give in U-mode (user) or S-mode (A/D clear passes under AD_HW, since the
// walk would set them). For 'walk' and for spotting stale TLB entries.
// mmu_walk_table with SUM and MXR given rather than the hart's: a what-if walk for any
// satp, privilege and sstatus, which changes nothing.
int mmu_walk_as(struct hw *hw, uint64_t root, bool user, bool sum, bool mxr, uint64_t va,
                enum access acc, uint64_t *pa, struct fault *f, struct walk_steps *steps);

int mmu_walk_table(struct hw *hw, uint64_t root, bool user, uint64_t va,
                   enum access acc, uint64_t *pa, struct fault *f, struct walk_steps *steps);

// After a TLB hit that returned hit_result (and hit_pa): does a fresh walk from the
// current satp agree? Returns true when it does not, with what the table now says in
// *now_result and *now_pa or *now_f.
bool mmu_stale(struct hw *hw, uint64_t va, enum access acc, int hit_result,
               uint64_t hit_pa, int *now_result, uint64_t *now_pa, struct fault *now_f);

// A physical access of size bytes at pa, after translation: load or store, or an access
// fault (cause 5 or 7, RULE_PA_NOT_RAM) outside RAM. Returns 0 or -1.
int mmu_load(struct hw *hw, uint64_t va, unsigned size, uint64_t *val, uint64_t *pa,
             struct fault *f, struct walk_steps *steps);
int mmu_store(struct hw *hw, uint64_t va, unsigned size, uint64_t val, uint64_t *pa,
              struct fault *f, struct walk_steps *steps);

const char *mmu_rule_name(enum mmu_rule rule);   // "u-page-from-s-without-sum"
const char *mmu_rule_reason(enum mmu_rule rule); // one sentence for the reader
const char *mmu_cause_name(int cause);           // "load page fault"

// Page fault cause for an access type.
static inline int mmu_page_fault_cause(enum access acc) {
  return acc == ACC_X ? CAUSE_FETCH_PAGE : acc == ACC_R ? CAUSE_LOAD_PAGE : CAUSE_STORE_PAGE;
}

#endif
