// Sv39 translation, one passing and one faulting case per rule of the privileged spec, on
// tables built by hand in an unbooted machine (RAM is zeros, as before boot).
#include <criterion/criterion.h>

#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/sv39.h"

#define ROOT 0x80001000ULL
#define L1 0x80002000ULL
#define L0 0x80003000ULL
#define DATA 0x80010000ULL
#define AD (PTE_A | PTE_D)

static struct machine *m;

static void put(uint64_t pa, uint64_t pte) {
  cr_assert_eq(ram_store(&m->hw.ram, pa, 8, pte), 0, "poke 0x%lx", pa);
}

static uint64_t get(uint64_t pa) {
  uint64_t v = 0;
  cr_assert_eq(ram_load(&m->hw.ram, pa, 8, &v), 0, "peek 0x%lx", pa);
  return v;
}

static uint64_t leaf(uint64_t pa, uint64_t flags) {
  return PA2PTE(pa) | flags | PTE_V;
}

// va i * 4096 is L0's entry i.
static void map4k(unsigned i, uint64_t pa, uint64_t flags) {
  put(L0 + 8 * i, leaf(pa, flags));
}

static void setup(void) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.ram_size = 16ULL << 20;
  char err[128];
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "%s", err);
  put(ROOT, PA2PTE(L1) | PTE_V);
  put(L1, PA2PTE(L0) | PTE_V);
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(ROOT)));
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(mmu, .init = setup, .fini = teardown);

static void expect_pa(uint64_t va, enum access acc, uint64_t want) {
  uint64_t pa = 0;
  struct fault f = {0};
  int r = mmu_translate(&m->hw, va, acc, &pa, &f, NULL);
  cr_assert_eq(r, 0, "va 0x%lx acc %d: fault cause %d rule %s, want pa 0x%lx", va, acc,
               f.cause, mmu_rule_name(f.rule), want);
  cr_assert_eq(pa, want, "va 0x%lx: pa 0x%lx, want 0x%lx", va, pa, want);
}

static void expect_fault(uint64_t va, enum access acc, int cause, enum mmu_rule rule) {
  uint64_t pa = 0;
  struct fault f = {0};
  int r = mmu_translate(&m->hw, va, acc, &pa, &f, NULL);
  cr_assert_eq(r, -1, "va 0x%lx acc %d: translated to 0x%lx, want rule %s", va, acc, pa,
               mmu_rule_name(rule));
  cr_assert_eq(f.cause, cause, "va 0x%lx: cause %d, want %d", va, f.cause, cause);
  cr_assert_eq(f.rule, rule, "va 0x%lx: rule %s, want %s", va, mmu_rule_name(f.rule),
               mmu_rule_name(rule));
  cr_assert_eq(f.tval, va, "tval 0x%lx, want the va 0x%lx", f.tval, va);
}

Test(mmu, translates_a_4k_page_through_three_levels_and_records_each_step) {
  map4k(5, DATA, PTE_R | PTE_W | AD);
  struct walk_steps s;
  uint64_t pa;
  struct fault f;
  cr_assert_eq(mmu_translate(&m->hw, 0x5123, ACC_R, &pa, &f, &s), 0);
  cr_assert_eq(pa, DATA + 0x123, "pa 0x%lx", pa);
  cr_assert_eq(s.n, 3, "%d steps", s.n);
  cr_assert_eq(s.step[0].kind, STEP_TABLE);
  cr_assert_eq(s.step[0].pte_pa, ROOT, "level 2 pte at 0x%lx", s.step[0].pte_pa);
  cr_assert_eq(s.step[1].pte_pa, L1);
  cr_assert_eq(s.step[2].kind, STEP_LEAF);
  cr_assert_eq(s.step[2].pte_pa, L0 + 8 * 5, "level 0 pte at 0x%lx", s.step[2].pte_pa);
  cr_assert_eq(s.step[2].vpn, 5);
  cr_assert_eq(s.leaf_level, 0);
}

Test(mmu, bare_mode_gives_pa_equal_to_va) {
  cr_assert(mmu_write_satp(&m->hw, 0));
  expect_pa(0x80000123, ACC_W, 0x80000123);
}

Test(mmu, a_satp_write_of_an_unsupported_mode_has_no_effect) {
  uint64_t before = m->hw.hart.satp;
  cr_assert_not(mmu_write_satp(&m->hw, (9ULL << 60) | 0x80005), "Sv48 is not modelled");
  cr_assert_eq(m->hw.hart.satp, before, "satp 0x%lx, want 0x%lx", m->hw.hart.satp, before);
}

Test(mmu, translates_a_sign_extended_va_at_the_top) {
  put(ROOT + 8 * 511, leaf(0x80000000, PTE_R | AD)); // 1G leaf for 0xffffffffc0000000
  expect_pa(0xffffffffc0000010ULL, ACC_R, 0x80000010);
}

Test(mmu, faults_on_a_non_canonical_va) {
  put(ROOT + 8 * 256, leaf(0x80000000, PTE_R | AD));
  expect_fault(0x0000004000000000ULL, ACC_R, CAUSE_LOAD_PAGE, RULE_NONCANONICAL);
  expect_fault(0x8000000000000000ULL, ACC_W, CAUSE_STORE_PAGE, RULE_NONCANONICAL);
}

Test(mmu, passes_a_leaf_with_no_reserved_bits) {
  map4k(1, DATA, PTE_R | AD);
  expect_pa(0x1000, ACC_R, DATA);
}

Test(mmu, faults_on_reserved_bit_54) {
  put(L0 + 8, leaf(DATA, PTE_R | AD) | (1ULL << 54));
  expect_fault(0x1000, ACC_R, CAUSE_LOAD_PAGE, RULE_RESERVED);
}

Test(mmu, faults_on_reserved_bit_63_of_a_non_leaf) {
  map4k(1, DATA, PTE_R | AD);
  put(L1, PA2PTE(L0) | PTE_V | (1ULL << 63));
  expect_fault(0x1000, ACC_X, CAUSE_FETCH_PAGE, RULE_RESERVED);
}

Test(mmu, faults_on_a_non_leaf_with_a_set) {
  map4k(1, DATA, PTE_R | AD);
  put(L1, PA2PTE(L0) | PTE_V | PTE_A);
  expect_fault(0x1000, ACC_R, CAUSE_LOAD_PAGE, RULE_NONLEAF_ADU);
}

Test(mmu, faults_on_a_non_leaf_with_d_or_u_set) {
  map4k(1, DATA, PTE_R | AD);
  put(ROOT, PA2PTE(L1) | PTE_V | PTE_D);
  expect_fault(0x1000, ACC_R, CAUSE_LOAD_PAGE, RULE_NONLEAF_ADU);
  put(ROOT, PA2PTE(L1) | PTE_V | PTE_U);
  expect_fault(0x1000, ACC_W, CAUSE_STORE_PAGE, RULE_NONLEAF_ADU);
}

Test(mmu, faults_on_an_invalid_pte) {
  put(L0 + 8, PA2PTE(DATA) | PTE_R | AD); // V = 0
  expect_fault(0x1000, ACC_R, CAUSE_LOAD_PAGE, RULE_INVALID);
}

Test(mmu, passes_read_write) {
  map4k(1, DATA, PTE_R | PTE_W | AD);
  expect_pa(0x1008, ACC_W, DATA + 8);
}

Test(mmu, faults_on_w_without_r) {
  map4k(1, DATA, PTE_W | AD);
  expect_fault(0x1000, ACC_W, CAUSE_STORE_PAGE, RULE_W_WITHOUT_R);
}

Test(mmu, passes_a_leaf_at_level_0) {
  map4k(2, DATA, PTE_X | PTE_A);
  expect_pa(0x2000, ACC_X, DATA);
}

Test(mmu, faults_on_a_non_leaf_at_level_0) {
  put(L0 + 16, PA2PTE(DATA) | PTE_V);
  expect_fault(0x2000, ACC_X, CAUSE_FETCH_PAGE, RULE_NONLEAF_LEVEL0);
}

Test(mmu, translates_an_aligned_2m_leaf) {
  put(L1 + 8 * 3, leaf(0x80200000, PTE_R | PTE_W | AD));
  expect_pa(0x612345, ACC_W, 0x80212345);
}

Test(mmu, faults_on_a_misaligned_2m_leaf) {
  put(L1 + 8 * 3, leaf(0x80201000, PTE_R | PTE_W | AD));
  expect_fault(0x612345, ACC_R, CAUSE_LOAD_PAGE, RULE_MISALIGNED);
}

// The spec checks a leaf's permissions (4.3.2 step 5) before its alignment (step 6): a
// store to a misaligned read-only 2M leaf breaks both and is not-writable; a load, which
// the permissions allow, finds the misalignment.
Test(mmu, names_the_permission_rule_for_a_store_to_a_misaligned_read_only_2m_leaf) {
  put(L1 + 8 * 3, leaf(0x80201000, PTE_R | AD));
  expect_fault(0x612345, ACC_W, CAUSE_STORE_PAGE, RULE_NO_W);
  expect_fault(0x612345, ACC_R, CAUSE_LOAD_PAGE, RULE_MISALIGNED);
}

Test(mmu, names_the_privilege_rule_for_u_mode_on_a_misaligned_s_superpage) {
  put(L1 + 8 * 3, leaf(0x80201000, PTE_R | PTE_W | AD));
  m->hw.hart.priv = PRIV_U;
  expect_fault(0x612345, ACC_R, CAUSE_LOAD_PAGE, RULE_S_FROM_U);
}

// Alignment (step 6) comes before A/D (step 7).
Test(mmu, names_the_misalignment_before_a_clear_a_bit_under_ad_fault) {
  m->hw.ad = AD_FAULT;
  put(L1 + 8 * 3, leaf(0x80201000, PTE_R | PTE_W));
  expect_fault(0x612345, ACC_R, CAUSE_LOAD_PAGE, RULE_MISALIGNED);
}

Test(mmu, translates_an_aligned_1g_leaf) {
  put(ROOT + 8 * 2, leaf(0x80000000, PTE_R | PTE_X | AD));
  expect_pa(0x80abcdef, ACC_X, 0x80abcdef);
}

Test(mmu, faults_on_a_misaligned_1g_leaf) {
  put(ROOT + 8 * 2, leaf(0x80200000, PTE_R | PTE_X | AD));
  expect_fault(0x80abcdef, ACC_X, CAUSE_FETCH_PAGE, RULE_MISALIGNED);
}

Test(mmu, faults_on_a_u_page_loaded_from_s_without_sum) {
  map4k(3, DATA, PTE_R | PTE_X | PTE_U | AD);
  expect_fault(0x3000, ACC_R, CAUSE_LOAD_PAGE, RULE_U_FROM_S);
}

Test(mmu, loads_a_u_page_from_s_with_sum) {
  map4k(3, DATA, PTE_R | PTE_X | PTE_U | AD);
  m->hw.hart.sum = true;
  expect_pa(0x3000, ACC_R, DATA);
}

Test(mmu, faults_on_a_u_page_executed_from_s_even_with_sum) {
  map4k(3, DATA, PTE_R | PTE_X | PTE_U | AD);
  m->hw.hart.sum = true;
  expect_fault(0x3000, ACC_X, CAUSE_FETCH_PAGE, RULE_U_EXEC_FROM_S);
}

Test(mmu, executes_a_u_page_from_u) {
  map4k(3, DATA, PTE_R | PTE_X | PTE_U | AD);
  m->hw.hart.priv = PRIV_U;
  expect_pa(0x3000, ACC_X, DATA);
}

Test(mmu, faults_on_an_s_page_from_u) {
  map4k(3, DATA, PTE_R | PTE_X | AD);
  m->hw.hart.priv = PRIV_U;
  expect_fault(0x3000, ACC_R, CAUSE_LOAD_PAGE, RULE_S_FROM_U);
}

Test(mmu, faults_on_an_execute_only_page_loaded_without_mxr) {
  map4k(4, DATA, PTE_X | AD);
  expect_fault(0x4000, ACC_R, CAUSE_LOAD_PAGE, RULE_NO_R);
}

Test(mmu, loads_an_execute_only_page_with_mxr) {
  map4k(4, DATA, PTE_X | AD);
  m->hw.hart.mxr = true;
  expect_pa(0x4000, ACC_R, DATA);
}

Test(mmu, faults_on_a_store_to_a_read_only_page) {
  map4k(4, DATA, PTE_R | AD);
  expect_fault(0x4000, ACC_W, CAUSE_STORE_PAGE, RULE_NO_W);
}

Test(mmu, faults_on_a_fetch_from_a_page_without_x) {
  map4k(4, DATA, PTE_R | PTE_W | AD);
  expect_fault(0x4000, ACC_X, CAUSE_FETCH_PAGE, RULE_NO_X);
}

Test(mmu, sets_a_in_memory_under_ad_hw) {
  map4k(6, DATA, PTE_R | PTE_W);
  expect_pa(0x6000, ACC_R, DATA);
  uint64_t pte = get(L0 + 8 * 6);
  cr_assert_eq(pte, leaf(DATA, PTE_R | PTE_W | PTE_A), "pte 0x%lx: want A and not D", pte);
}

Test(mmu, faults_on_a_clear_under_ad_fault) {
  m->hw.ad = AD_FAULT;
  map4k(6, DATA, PTE_R | PTE_W);
  expect_fault(0x6000, ACC_R, CAUSE_LOAD_PAGE, RULE_A_CLEAR);
  uint64_t pte = get(L0 + 8 * 6);
  cr_assert_eq(pte, leaf(DATA, PTE_R | PTE_W), "pte 0x%lx changed", pte);
}

Test(mmu, sets_a_and_d_in_memory_on_a_store_under_ad_hw) {
  map4k(7, DATA, PTE_R | PTE_W | PTE_A);
  expect_pa(0x7000, ACC_W, DATA);
  uint64_t pte = get(L0 + 8 * 7);
  cr_assert_eq(pte, leaf(DATA, PTE_R | PTE_W | AD), "pte 0x%lx: want A and D", pte);
}

Test(mmu, faults_on_d_clear_under_ad_fault) {
  m->hw.ad = AD_FAULT;
  map4k(7, DATA, PTE_R | PTE_W | PTE_A);
  expect_pa(0x7000, ACC_R, DATA); // a load needs only A
  expect_fault(0x7000, ACC_W, CAUSE_STORE_PAGE, RULE_D_CLEAR);
}

Test(mmu, gives_an_access_fault_for_a_pte_outside_ram) {
  put(ROOT + 8, PA2PTE(0x1000) | PTE_V); // root[1]: a table at 0x1000
  expect_fault(0x40000000, ACC_R, CAUSE_LOAD_ACCESS, RULE_PTE_NOT_RAM);
  expect_fault(0x40000000, ACC_X, CAUSE_FETCH_ACCESS, RULE_PTE_NOT_RAM);
}

Test(mmu, gives_an_access_fault_for_a_load_from_a_device_page) {
  map4k(8, UART0, PTE_R | PTE_W | AD);
  uint64_t pa = 0, v;
  struct fault f = {0};
  cr_assert_eq(mmu_load(&m->hw, 0x8000, 1, &v, &pa, &f, NULL), -1);
  cr_assert_eq(pa, UART0, "translated to 0x%lx", pa);
  cr_assert_eq(f.cause, CAUSE_LOAD_ACCESS, "cause %d", f.cause);
  cr_assert_eq(f.rule, RULE_PA_NOT_RAM);
}

Test(mmu, stores_and_loads_through_the_mmu) {
  map4k(9, DATA, PTE_R | PTE_W | AD);
  uint64_t pa, v = 0;
  struct fault f;
  cr_assert_eq(mmu_store(&m->hw, 0x9010, 4, 0xdeadbeef, &pa, &f, NULL), 0);
  cr_assert_eq(get(DATA + 0x10) & 0xffffffff, 0xdeadbeef);
  cr_assert_eq(mmu_load(&m->hw, 0x9010, 2, &v, &pa, &f, NULL), 0);
  cr_assert_eq(v, 0xbeef, "loaded 0x%lx", v);
}

Test(mmu, walk_table_is_a_dry_run_that_writes_nothing) {
  map4k(6, DATA, PTE_R | PTE_W);
  uint64_t pa;
  struct fault f;
  cr_assert_eq(mmu_walk_table(&m->hw, ROOT, false, 0x6000, ACC_W, &pa, &f, NULL), 0);
  cr_assert_eq(pa, DATA);
  cr_assert_eq(get(L0 + 8 * 6), leaf(DATA, PTE_R | PTE_W), "the PTE gained A/D");
  cr_assert_eq(m->hw.tlb.total.misses + m->hw.tlb.total.hits, 0, "the TLB was used");
}
