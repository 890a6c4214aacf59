// The TLB model: each replacement policy's sequences worked out by hand, sfence's four
// forms, ASIDs, global and superpage entries, recency ranks, and stale translations
// after satp changes without sfence.
#include <criterion/criterion.h>
#include <string.h>

#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/sv39.h"
#include "sv39sim/hw/tlb.h"

static struct machine *m;

static void make_policy(unsigned entries, unsigned ways, enum tlb_policy policy) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.ram_size = 16ULL << 20;
  cfg.tlb = (struct tlb_geometry){.entries = entries, .ways = ways, .policy = policy};
  char err[128];
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "%s", err);
}

static void make(unsigned entries, unsigned ways) {
  make_policy(entries, ways, TLB_LRU);
}

static void setup(void) {
  make(8, 0);
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(tlb, .init = setup, .fini = teardown);

static uint64_t page_pte(uint64_t vpn, uint64_t flags) {
  return PA2PTE(0x80000000 + vpn * PGSIZE) | PTE_V | PTE_R | PTE_A | flags;
}

// Run vpns through lookup (fill on a miss, as the MMU does) and spell the result "HM..".
static void run(const uint64_t *vpns, size_t n, uint16_t asid, char *got) {
  for (size_t i = 0; i < n; i++) {
    uint64_t va = vpns[i] * PGSIZE;
    if (tlb_lookup(&m->hw.tlb, va, asid) != NULL) {
      got[i] = 'H';
    } else {
      got[i] = 'M';
      tlb_fill(&m->hw.tlb, va, asid, 0, page_pte(vpns[i], 0));
    }
  }
  got[n] = '\0';
}

static unsigned count_evictions(const uint64_t *vpns, size_t n) {
  unsigned ev = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t va = vpns[i] * PGSIZE;
    if (tlb_lookup(&m->hw.tlb, va, 0) == NULL)
      ev += tlb_fill(&m->hw.tlb, va, 0, 0, page_pte(vpns[i], 0));
  }
  return ev;
}

// The access list both geometries replay; vpns 0, 4, 8, 12 share set 0 of a 4-set TLB.
static const uint64_t list[] = {0, 4, 0, 8, 4, 1, 5, 9, 5, 0, 12, 8};
#define NLIST (sizeof(list) / sizeof(list[0]))

// 4 entries, LRU, most recent first:
// 0 M [0]; 4 M [4 0]; 0 H [0 4]; 8 M [8 0 4]; 4 H [4 8 0]; 1 M [1 4 8 0];
// 5 M, evicts 0 [5 1 4 8]; 9 M, evicts 8 [9 5 1 4]; 5 H [5 9 1 4];
// 0 M, evicts 4 [0 5 9 1]; 12 M, evicts 1 [12 0 5 9]; 8 M, evicts 9 [8 12 0 5].
Test(tlb, a_4_entry_fully_associative_lru_tlb_gives_the_hand_worked_sequence) {
  machine_free(m);
  make(4, 0);
  char got[NLIST + 1];
  run(list, NLIST, 0, got);
  cr_assert_str_eq(got, "MMHMHMMMHMMM", "got %s", got);
  tlb_clear(&m->hw.tlb);
  unsigned ev = count_evictions(list, NLIST);
  cr_assert_eq(ev, 5, "%u evictions, want 5", ev);
}

// 8 entries, 2 ways, 4 sets (set = vpn % 4):
// set 0: 0 M [0]; 4 M [4 0]; 0 H [0 4]; 8 M, evicts 4 [8 0]; 4 M, evicts 0 [4 8];
// set 1: 1 M [1]; 5 M [5 1]; 9 M, evicts 1 [9 5]; 5 H [5 9];
// set 0: 0 M, evicts 8 [0 4]; 12 M, evicts 4 [12 0]; 8 M, evicts 0 [8 12].
Test(tlb, a_2_way_8_entry_tlb_gives_the_hand_worked_sequence) {
  machine_free(m);
  make(8, 2);
  cr_assert_eq(m->hw.tlb.nsets, 4, "%u sets", m->hw.tlb.nsets);
  char got[NLIST + 1];
  run(list, NLIST, 0, got);
  cr_assert_str_eq(got, "MMHMMMMMHMMM", "got %s", got);
  tlb_clear(&m->hw.tlb);
  unsigned ev = count_evictions(list, NLIST);
  cr_assert_eq(ev, 6, "%u evictions, want 6", ev);
}

// On the same list, the other policies (8 entries, 2 ways, set = vpn % 4; [way 0, way 1]):
// FIFO evicts the first filled of the two:
// set 0: 0 M [0 -]; 4 M [0 4]; 0 H; 8 M, evicts 0 [8 4]; 4 H;
// set 1: 1 M [1 -]; 5 M [1 5]; 9 M, evicts 1 [9 5]; 5 H;
// set 0: 0 M, evicts 4 [8 0]; 12 M, evicts 8 [12 0]; 8 M, evicts 0 [12 8].
Test(tlb, a_2_way_8_entry_fifo_tlb_gives_the_hand_worked_sequence) {
  machine_free(m);
  make_policy(8, 2, TLB_FIFO);
  char got[NLIST + 1];
  run(list, NLIST, 0, got);
  cr_assert_str_eq(got, "MMHMHMMMHMMM", "got %s", got);
}

// random evicts way x % 2 for xorshift64's next x from TLB_SEED: the x are
// 0x7f6c280beaa8e3e7 (odd: way 1), 0xe47119871cf9abe0 (0), 0x35174a4158b8a0b7 (1),
// 0x62ce1ffad85b1c36 (0), 0xec83972c97b6678e (0), 0x0cf91633be7328c1 (1),
// 0x101f5e859d7dded0 (0); free ways take no draw.
// set 0: 0 M [0 -]; 4 M [0 4]; 0 H; 8 M, way 1 evicts 4 [0 8]; 4 M, way 0 evicts 0 [4 8];
// set 1: 1 M [1 -]; 5 M [1 5]; 9 M, way 1 evicts 5 [1 9]; 5 M, way 0 evicts 1 [5 9];
// set 0: 0 M, way 0 evicts 4 [0 8]; 12 M, way 1 evicts 8 [0 12]; 8 M, way 0 evicts 0 [8 12].
// After tlb_clear the generator starts again, so a second run gives the same.
Test(tlb, a_2_way_8_entry_random_tlb_gives_the_hand_worked_sequence_on_every_run) {
  machine_free(m);
  make_policy(8, 2, TLB_RANDOM);
  char got[NLIST + 1];
  for (int pass = 0; pass < 2; pass++) {
    run(list, NLIST, 0, got);
    cr_assert_str_eq(got, "MMHMMMMMMMMM", "pass %d: got %s", pass, got);
    tlb_clear(&m->hw.tlb);
  }
  cr_assert_eq(count_evictions(list, NLIST), 7);
}

// PLRU with 2 ways has one node, pointing away from the way last touched: exactly LRU,
// so the LRU sequence: MMHMMMMMHMMM.
Test(tlb, a_2_way_plru_tlb_is_an_lru_tlb) {
  machine_free(m);
  make_policy(8, 2, TLB_PLRU);
  char got[NLIST + 1];
  run(list, NLIST, 0, got);
  cr_assert_str_eq(got, "MMHMMMMMHMMM", "got %s", got);
}

// A list on which the policies differ, for 4 entries, fully associative; [way 0 .. way 3].
// Every policy: 0 M, 1 M, 2 M, 3 M take the free ways in order [0 1 2 3]; 0 H. Then
// LRU: 4 M evicts 1 [0 4 2 3]; 1 M evicts 2 [0 4 1 3]; 5 M evicts 3 [0 4 1 5]; 0 H;
//      2 M evicts 4 [0 2 1 5].
// FIFO: 4 M evicts 0 [4 1 2 3]; 1 H; 5 M evicts 1 [4 5 2 3]; 0 M evicts 2 [4 5 0 3];
//      2 M evicts 3 [4 5 0 2].
// random (x % 4 for the x above: 3, 0, 3): 4 M evicts way 3 [0 1 2 4]; 1 H; 5 M evicts
//      way 0 [5 1 2 4]; 0 M evicts way 3 [5 1 2 0]; 2 H.
// PLRU (nodes 1: ways 0-1 | 2-3, 2: way 0 | 1, 3: way 2 | 3; a node's bit 0 points left):
//      after 3 M the touches of 0, 1, 2, 3 leave node 1 = 0, node 2 = 0, node 3 = 0; 0 H
//      sets node 1 = 1, node 2 = 1. 4 M: node 1 -> right, node 3 -> way 2: evicts 2
//      [0 1 4 3], and node 1 = 0, node 3 = 1. 1 H: node 1 = 1, node 2 = 0. 5 M: right,
//      node 3 -> way 3: evicts 3 [0 1 4 5]; node 1 = 0, node 3 = 0. 0 H: node 1 = 1,
//      node 2 = 1. 2 M: right, node 3 -> way 2: evicts 4 [0 1 2 5].
static const uint64_t fa_list[] = {0, 1, 2, 3, 0, 4, 1, 5, 0, 2};
#define NFA (sizeof(fa_list) / sizeof(fa_list[0]))

static void expect_fa(enum tlb_policy policy, const char *want, unsigned evictions) {
  machine_free(m);
  make_policy(4, 0, policy);
  char got[NFA + 1];
  run(fa_list, NFA, 0, got);
  cr_assert_str_eq(got, want, "%s: got %s", tlb_policy_name(policy), got);
  tlb_clear(&m->hw.tlb);
  unsigned ev = count_evictions(fa_list, NFA);
  cr_assert_eq(ev, evictions, "%s: %u evictions", tlb_policy_name(policy), ev);
}

Test(tlb, a_4_entry_lru_tlb_keeps_the_page_hit_before_the_fill) {
  expect_fa(TLB_LRU, "MMMMHMMMHM", 4);
}

Test(tlb, a_4_entry_fifo_tlb_evicts_in_fill_order_whatever_was_hit) {
  expect_fa(TLB_FIFO, "MMMMHMHMMM", 4);
}

Test(tlb, a_4_entry_random_tlb_evicts_the_ways_the_seeded_generator_draws) {
  expect_fa(TLB_RANDOM, "MMMMHMHMMH", 3);
}

Test(tlb, a_4_entry_plru_tlb_follows_its_tree) {
  expect_fa(TLB_PLRU, "MMMMHMHMHM", 3);
}

struct ranks {
  unsigned n;
  uint64_t tag[8];
  unsigned set[8], rank[8];
};

static void collect(const struct tlb_view *v, void *ctx) {
  struct ranks *r = ctx;
  cr_assert_lt(r->n, 8);
  r->tag[r->n] = v->va >> PGSHIFT;
  r->set[r->n] = v->set;
  r->rank[r->n++] = v->rank;
}

// 8x2 after 0, 4, 1, 0 (set 0: way 0 = 0, hit last, way 1 = 4; set 1: way 0 = 1): ranks
// within each set, in set and way order: 0 rank 0, 4 rank 1, 1 rank 0.
Test(tlb, show_ranks_each_entry_by_recency_within_its_set) {
  machine_free(m);
  make(8, 2);
  static const uint64_t seq[] = {0, 4, 1, 0};
  char got[5];
  run(seq, 4, 0, got);
  cr_assert_str_eq(got, "MMMH");
  struct ranks r = {0};
  cr_assert_eq(tlb_for_each(&m->hw.tlb, collect, &r), 0);
  cr_assert_eq(r.n, 3, "%u entries", r.n);
  static const uint64_t tags[] = {0, 4, 1};
  static const unsigned sets[] = {0, 0, 1}, ranks[] = {0, 1, 0};
  for (unsigned i = 0; i < 3; i++)
    cr_assert(r.tag[i] == tags[i] && r.set[i] == sets[i] && r.rank[i] == ranks[i],
              "entry %u: page %lu set %u rank %u, want page %lu set %u rank %u", i, r.tag[i],
              r.set[i], r.rank[i], tags[i], sets[i], ranks[i]);
}

Test(tlb, sfence_by_va_removes_only_that_pages_entry) {
  for (uint64_t vpn = 1; vpn <= 3; vpn++)
    tlb_fill(&m->hw.tlb, vpn * PGSIZE, 0, 0, page_pte(vpn, 0));
  unsigned n = tlb_sfence(&m->hw, false, 0x2abc, true, 0);
  cr_assert_eq(n, 1, "flushed %u", n);
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x1000, 0), "page 1 went");
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x2000, 0), "page 2 stayed");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x3000, 0), "page 3 went");
  cr_assert_eq(m->hw.tlb.total.flushes, 1);
  cr_assert_eq(m->hw.tlb.total.flushed, 1);
}

Test(tlb, sfence_by_asid_keeps_global_entries_and_other_asids) {
  tlb_fill(&m->hw.tlb, 0x1000, 3, 0, page_pte(1, 0));
  tlb_fill(&m->hw.tlb, 0x2000, 3, 0, page_pte(2, PTE_G));
  tlb_fill(&m->hw.tlb, 0x3000, 4, 0, page_pte(3, 0));
  unsigned n = tlb_sfence(&m->hw, true, 0, false, 3);
  cr_assert_eq(n, 1, "flushed %u", n);
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x1000, 3), "ASID 3's entry stayed");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x2000, 3), "the global entry went");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x2000, 9), "a global entry matches every ASID");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x3000, 4), "ASID 4's entry went");
}

Test(tlb, sfence_by_va_and_asid_keeps_global_and_other_asids) {
  tlb_fill(&m->hw.tlb, 0x1000, 3, 0, page_pte(1, 0));
  tlb_fill(&m->hw.tlb, 0x1000, 4, 0, page_pte(1, 0));
  tlb_fill(&m->hw.tlb, 0x2000, 3, 0, page_pte(2, PTE_G));
  cr_assert_eq(tlb_sfence(&m->hw, false, 0x1000, false, 3), 1);
  cr_assert_eq(tlb_sfence(&m->hw, false, 0x2000, false, 3), 0, "a global entry went");
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x1000, 3));
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x1000, 4));
}

Test(tlb, sfence_of_everything_removes_global_entries_too) {
  tlb_fill(&m->hw.tlb, 0x1000, 3, 0, page_pte(1, PTE_G));
  tlb_fill(&m->hw.tlb, 0x2000, 5, 0, page_pte(2, 0));
  cr_assert_eq(tlb_sfence(&m->hw, true, 0, true, 0), 2);
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x1000, 3));
}

Test(tlb, sfence_of_a_non_canonical_va_does_nothing) {
  tlb_fill(&m->hw.tlb, 0x1000, 0, 0, page_pte(1, 0));
  cr_assert_eq(tlb_sfence(&m->hw, false, 0x4000001000ULL, true, 0), 0);
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x1000, 0));
}

Test(tlb, entries_of_one_asid_do_not_hit_for_another) {
  tlb_fill(&m->hw.tlb, 0x1000, 1, 0, page_pte(1, 0));
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x1000, 2));
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x1000, 1));
}

// Hand-built tables: root 0x80001000 -> level 1 0x80002000, whose entry 3 is a 2M leaf.
static void build_2m_table(void) {
  uint64_t root = 0x80001000, l1 = 0x80002000;
  ram_store(&m->hw.ram, root, 8, PA2PTE(l1) | PTE_V);
  ram_store(&m->hw.ram, l1 + 24, 8,
            PA2PTE(0x80200000) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(root)));
}

Test(tlb, a_superpage_entry_serves_every_4k_page_inside_it) {
  build_2m_table();
  uint64_t pa;
  struct fault f;
  cr_assert_eq(mmu_translate(&m->hw, 0x600000, ACC_R, &pa, &f, NULL), 0);
  cr_assert_eq(m->hw.tlb.total.misses, 1);
  for (uint64_t va = 0x601000; va < 0x800000; va += 0x41000) {
    struct walk_steps s;
    cr_assert_eq(mmu_translate(&m->hw, va + 8, ACC_W, &pa, &f, &s), 0, "va 0x%lx", va);
    cr_assert(s.tlb_hit, "va 0x%lx missed", va);
    cr_assert_eq(pa, 0x80200000 + (va - 0x600000) + 8, "va 0x%lx: pa 0x%lx", va, pa);
  }
  cr_assert_eq(m->hw.tlb.total.misses, 1, "%lu misses", m->hw.tlb.total.misses);
  cr_assert_eq(m->hw.tlb.nlevel[1], 1, "one 2M entry");
  cr_assert_eq(tlb_sfence(&m->hw, false, 0x7ff000, true, 0), 1, "an sfence inside it");
  cr_assert_eq(mmu_translate(&m->hw, 0x600000, ACC_R, &pa, &f, NULL), 0);
  cr_assert_eq(m->hw.tlb.total.misses, 2, "the entry survived the sfence");
}

// Two tables with the same ASID map va 0x1000 to different pages.
#define T1 0x80001000ULL
#define T2 0x80005000ULL
static void build_two_tables(void) {
  uint64_t tables[2][3] = {{T1, 0x80002000, 0x80003000}, {T2, 0x80006000, 0x80007000}};
  for (int i = 0; i < 2; i++) {
    ram_store(&m->hw.ram, tables[i][0], 8, PA2PTE(tables[i][1]) | PTE_V);
    ram_store(&m->hw.ram, tables[i][1], 8, PA2PTE(tables[i][2]) | PTE_V);
    ram_store(&m->hw.ram, tables[i][2] + 8, 8,
              PA2PTE(0x80100000 + i * PGSIZE) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  }
}

Test(tlb, a_satp_write_without_sfence_gives_the_stale_translation_and_flags_it) {
  build_two_tables();
  uint64_t pa, now_pa;
  struct fault f, now_f;
  int now_r;
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(T1)));
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL), 0);
  cr_assert_eq(pa, 0x80100000);
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(T2)));
  struct walk_steps s;
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, &s), 0);
  cr_assert(s.tlb_hit);
  cr_assert_eq(pa, 0x80100000, "pa 0x%lx: want the old table's page", pa);
  cr_assert(mmu_stale(&m->hw, 0x1000, ACC_R, 0, pa, &now_r, &now_pa, &now_f), "not flagged");
  cr_assert_eq(now_pa, 0x80101000, "the table now says 0x%lx", now_pa);
  tlb_sfence(&m->hw, true, 0, true, 0);
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL), 0);
  cr_assert_eq(pa, 0x80101000, "after sfence: pa 0x%lx", pa);
}

Test(tlb, a_satp_write_to_another_asid_needs_no_sfence) {
  build_two_tables();
  uint64_t pa;
  struct fault f;
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(T1) | (1ULL << 44)));
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL), 0);
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(T2) | (2ULL << 44)));
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL), 0);
  cr_assert_eq(pa, 0x80101000, "pa 0x%lx: ASID 2 used ASID 1's entry", pa);
}

Test(tlb, a_pte_losing_w_without_sfence_is_flagged_on_a_hit) {
  build_two_tables();
  uint64_t pa, now_pa;
  struct fault f, now_f;
  int now_r;
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(T1)));
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_W, &pa, &f, NULL), 0);
  ram_store(&m->hw.ram, 0x80003008, 8, PA2PTE(0x80100000) | PTE_V | PTE_R | PTE_A | PTE_D);
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_W, &pa, &f, NULL), 0, "the TLB allows it");
  cr_assert(mmu_stale(&m->hw, 0x1000, ACC_W, 0, pa, &now_r, &now_pa, &now_f));
  cr_assert_eq(now_r, -1);
  cr_assert_eq(now_f.rule, RULE_NO_W, "the table now says %s", mmu_rule_name(now_f.rule));
}

Test(tlb, a_store_hitting_a_clean_entry_walks_again_and_sets_d) {
  build_two_tables();
  ram_store(&m->hw.ram, 0x80003008, 8, PA2PTE(0x80100000) | PTE_V | PTE_R | PTE_W);
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(T1)));
  uint64_t pa, pte;
  struct fault f;
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL), 0);
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_W, &pa, &f, NULL), 0);
  cr_assert_eq(m->hw.tlb.total.misses, 2, "%lu misses: the store must walk",
               m->hw.tlb.total.misses);
  ram_load(&m->hw.ram, 0x80003008, 8, &pte);
  cr_assert_eq(pte & (PTE_A | PTE_D), PTE_A | PTE_D, "pte 0x%lx", pte);
  cr_assert_eq(mmu_translate(&m->hw, 0x1000, ACC_W, &pa, &f, NULL), 0);
  cr_assert_eq(m->hw.tlb.total.hits, 1, "%lu hits", m->hw.tlb.total.hits);
}

// (allocproc calls machine_slot_reset as it gives a slot its pid; test_proc.c checks that.)
Test(tlb, counts_per_process_and_restarts_for_a_new_pid) {
  build_two_tables();
  cr_assert(mmu_write_satp(&m->hw, MAKE_SATP(T1)));
  m->proc[3].pid = 7;
  machine_slot_reset(m, 3, 7);
  m->proc[3].state = RUNNING;
  machine_set_current(m, 3);
  uint64_t pa;
  struct fault f;
  mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL);
  mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL);
  mmu_translate(&m->hw, 0x9000, ACC_R, &pa, &f, NULL);
  cr_assert_eq(m->tlb_per[3].hits, 1);
  cr_assert_eq(m->tlb_per[3].misses, 2);
  cr_assert_eq(m->tlb_per[3].faults, 1);
  m->proc[3].pid = 8;
  machine_slot_reset(m, 3, 8);
  mmu_translate(&m->hw, 0x1000, ACC_R, &pa, &f, NULL);
  cr_assert_eq(m->tlb_pid[3], 8);
  cr_assert_eq(m->tlb_per[3].hits, 1, "pid 8 inherited pid 7's counts");
  cr_assert_eq(m->tlb_per[3].misses, 0);
  cr_assert_eq(m->hw.tlb.total.hits, 2);
}

// Parse s, which must be a TLB, and check what it says.
static void expect_geometry(const char *s, unsigned entries, unsigned ways,
                            enum tlb_policy policy) {
  struct tlb_geometry g;
  const char *why = NULL;
  cr_assert_eq(tlb_parse_geometry(s, &g, &why), 0, "'%s': %s", s, why);
  cr_assert(g.entries == entries && g.ways == ways && g.policy == policy,
            "'%s': %u x %u, policy %s", s, g.entries, g.ways, tlb_policy_name(g.policy));
}

Test(tlb, parses_geometries_with_and_without_a_policy) {
  expect_geometry("16x4", 16, 4, TLB_LRU);
  expect_geometry("32", 32, 0, TLB_LRU);
  expect_geometry("0", 0, 0, TLB_LRU);
  expect_geometry("8x2,fifo", 8, 2, TLB_FIFO);
  expect_geometry("64,plru", 64, 0, TLB_PLRU);
  expect_geometry("16x4,random", 16, 4, TLB_RANDOM);
  expect_geometry("32,lru", 32, 0, TLB_LRU);
  expect_geometry("24x3,fifo", 24, 3, TLB_FIFO);
}

Test(tlb, refuses_impossible_geometries_and_unknown_policies) {
  static const char *const bad[] = {"12x4", "8x3", "8x0", "x4", "70000", "16k", "32,",
                                    "32,LRU", "32,mru", "32fifo", ",lru", "8x2,fifo,lru"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct tlb_geometry g;
    const char *why = NULL;
    cr_assert_eq(tlb_parse_geometry(bad[i], &g, &why), -1, "'%s' was accepted", bad[i]);
    cr_assert_not_null(why, "'%s': no reason", bad[i]);
  }
}

Test(tlb, plru_needs_a_power_of_two_ways) {
  struct tlb_geometry g;
  const char *why = NULL;
  cr_assert_eq(tlb_parse_geometry("24x3,plru", &g, &why), -1, "8 sets of 3 ways");
  cr_assert_str_eq(why, "plru needs ways to be a power of two (WAYS, or ENTRIES when fully "
                        "associative)");
  cr_assert_eq(tlb_parse_geometry("24,plru", &g, &why), -1, "one set of 24 ways");
  expect_geometry("24x3,lru", 24, 3, TLB_LRU);
  expect_geometry("8x1,plru", 8, 1, TLB_PLRU);
}

Test(tlb, no_tlb_means_every_translation_walks) {
  machine_free(m);
  make(0, 0);
  build_2m_table();
  uint64_t pa;
  struct fault f;
  for (int i = 0; i < 3; i++)
    cr_assert_eq(mmu_translate(&m->hw, 0x600000, ACC_R, &pa, &f, NULL), 0);
  cr_assert_eq(m->hw.tlb.total.misses, 3);
  cr_assert_eq(m->hw.tlb.total.hits, 0);
}

// 0 M, 1 M, 2 M, 3 M fill the 4 ways; 4 M evicts 0 (way 0); sfence of 3 frees way 3;
// 5 M must take way 3 (a free way) although 1 is the least recently used; 6 M then
// evicts 1.
Test(tlb, a_way_freed_by_sfence_is_filled_before_the_oldest_entry_is_evicted) {
  machine_free(m);
  make(4, 0);
  static const uint64_t first[] = {0, 1, 2, 3};
  char got[8];
  run(first, 4, 0, got);
  cr_assert_str_eq(got, "MMMM");
  cr_assert(tlb_fill(&m->hw.tlb, 4 * PGSIZE, 0, 0, page_pte(4, 0)), "4 evicted nothing");
  cr_assert(m->hw.tlb.e[0].valid && m->hw.tlb.e[0].tag == 4, "4 is not in way 0");
  cr_assert_eq(tlb_sfence(&m->hw, false, 3 * PGSIZE, true, 0), 1, "page 3's entry went");
  cr_assert(!tlb_fill(&m->hw.tlb, 5 * PGSIZE, 0, 0, page_pte(5, 0)), "5 evicted an entry");
  cr_assert(m->hw.tlb.e[3].valid && m->hw.tlb.e[3].tag == 5, "5 is not in way 3 (tag %lu)",
            m->hw.tlb.e[3].tag);
  cr_assert(tlb_fill(&m->hw.tlb, 6 * PGSIZE, 0, 0, page_pte(6, 0)), "6 evicted nothing");
  cr_assert_null(tlb_lookup(&m->hw.tlb, 1 * PGSIZE, 0), "1, the oldest, stayed");
  static const uint64_t stayed[] = {2, 4, 5, 6};
  run(stayed, 4, 0, got);
  cr_assert_str_eq(got, "HHHH");
}

// 128 ways: touch the pages in a scrambled order, then every new page must evict them in
// exactly that order.
Test(tlb, a_128_way_set_evicts_in_exact_lru_order) {
  enum { N = 128 };
  machine_free(m);
  make(N, 0);
  uint64_t order[N];
  for (uint64_t i = 0; i < N; i++) {
    tlb_fill(&m->hw.tlb, i * PGSIZE, 0, 0, page_pte(i, 0));
    order[i] = (i * 37) % N; // 37 is odd: a permutation of 0..127
  }
  for (int i = 0; i < N; i++)
    cr_assert_not_null(tlb_lookup(&m->hw.tlb, order[i] * PGSIZE, 0), "page %lu", order[i]);
  for (int i = 0; i < N; i++) {
    uint64_t vpn = N + (uint64_t)i;
    cr_assert(tlb_fill(&m->hw.tlb, vpn * PGSIZE, 0, 0, page_pte(vpn, 0)), "fill %d", i);
    cr_assert_null(tlb_lookup(&m->hw.tlb, order[i] * PGSIZE, 0),
                   "fill %d should have evicted page %lu", i, order[i]);
    if (i + 1 < N) {
      // a lookup would make it the newest: look at the entries directly
      bool present = false;
      for (int k = 0; k < N; k++)
        present |= m->hw.tlb.e[k].valid && m->hw.tlb.e[k].tag == order[i + 1];
      cr_assert(present, "fill %d evicted page %lu too early", i, order[i + 1]);
    }
  }
}
