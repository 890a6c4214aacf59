// The TLB model: LRU sequences worked out by hand, sfence's four forms, ASIDs, global
// and superpage entries, and stale translations after satp changes without sfence.
#include <criterion/criterion.h>
#include <string.h>

#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/sv39.h"
#include "sv39sim/hw/tlb.h"

static struct machine *m;

static void make(unsigned entries, unsigned ways) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.ram_size = 16ULL << 20;
  cfg.tlb_entries = entries;
  cfg.tlb_ways = ways;
  char err[128];
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "%s", err);
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
      tlb_fill(&m->hw.tlb, va, asid, 0, page_pte(vpns[i], 0), 0);
    }
  }
  got[n] = '\0';
}

static unsigned count_evictions(const uint64_t *vpns, size_t n) {
  unsigned ev = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t va = vpns[i] * PGSIZE;
    if (tlb_lookup(&m->hw.tlb, va, 0) == NULL)
      ev += tlb_fill(&m->hw.tlb, va, 0, 0, page_pte(vpns[i], 0), 0);
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

Test(tlb, sfence_by_va_removes_only_that_pages_entry) {
  for (uint64_t vpn = 1; vpn <= 3; vpn++)
    tlb_fill(&m->hw.tlb, vpn * PGSIZE, 0, 0, page_pte(vpn, 0), 0);
  unsigned n = tlb_sfence(&m->hw, false, 0x2abc, true, 0);
  cr_assert_eq(n, 1, "flushed %u", n);
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x1000, 0), "page 1 went");
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x2000, 0), "page 2 stayed");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x3000, 0), "page 3 went");
  cr_assert_eq(m->hw.tlb.total.flushes, 1);
  cr_assert_eq(m->hw.tlb.total.flushed, 1);
}

Test(tlb, sfence_by_asid_keeps_global_entries_and_other_asids) {
  tlb_fill(&m->hw.tlb, 0x1000, 3, 0, page_pte(1, 0), 0);
  tlb_fill(&m->hw.tlb, 0x2000, 3, 0, page_pte(2, PTE_G), 0);
  tlb_fill(&m->hw.tlb, 0x3000, 4, 0, page_pte(3, 0), 0);
  unsigned n = tlb_sfence(&m->hw, true, 0, false, 3);
  cr_assert_eq(n, 1, "flushed %u", n);
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x1000, 3), "ASID 3's entry stayed");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x2000, 3), "the global entry went");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x2000, 9), "a global entry matches every ASID");
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x3000, 4), "ASID 4's entry went");
}

Test(tlb, sfence_by_va_and_asid_keeps_global_and_other_asids) {
  tlb_fill(&m->hw.tlb, 0x1000, 3, 0, page_pte(1, 0), 0);
  tlb_fill(&m->hw.tlb, 0x1000, 4, 0, page_pte(1, 0), 0);
  tlb_fill(&m->hw.tlb, 0x2000, 3, 0, page_pte(2, PTE_G), 0);
  cr_assert_eq(tlb_sfence(&m->hw, false, 0x1000, false, 3), 1);
  cr_assert_eq(tlb_sfence(&m->hw, false, 0x2000, false, 3), 0, "a global entry went");
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x1000, 3));
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x1000, 4));
}

Test(tlb, sfence_of_everything_removes_global_entries_too) {
  tlb_fill(&m->hw.tlb, 0x1000, 3, 0, page_pte(1, PTE_G), 0);
  tlb_fill(&m->hw.tlb, 0x2000, 5, 0, page_pte(2, 0), 0);
  cr_assert_eq(tlb_sfence(&m->hw, true, 0, true, 0), 2);
  cr_assert_null(tlb_lookup(&m->hw.tlb, 0x1000, 3));
}

Test(tlb, sfence_of_a_non_canonical_va_does_nothing) {
  tlb_fill(&m->hw.tlb, 0x1000, 0, 0, page_pte(1, 0), 0);
  cr_assert_eq(tlb_sfence(&m->hw, false, 0x4000001000ULL, true, 0), 0);
  cr_assert_not_null(tlb_lookup(&m->hw.tlb, 0x1000, 0));
}

Test(tlb, entries_of_one_asid_do_not_hit_for_another) {
  tlb_fill(&m->hw.tlb, 0x1000, 1, 0, page_pte(1, 0), 0);
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

Test(tlb, parses_geometries_and_refuses_impossible_ones) {
  unsigned e, w;
  const char *why;
  cr_assert_eq(tlb_parse_geometry("16x4", &e, &w, &why), 0);
  cr_assert(e == 16 && w == 4, "%u x %u", e, w);
  cr_assert_eq(tlb_parse_geometry("32", &e, &w, &why), 0);
  cr_assert(e == 32 && w == 0, "%u x %u", e, w);
  cr_assert_eq(tlb_parse_geometry("0", &e, &w, &why), 0);
  cr_assert_eq(tlb_parse_geometry("12x4", &e, &w, &why), -1, "3 sets");
  cr_assert_eq(tlb_parse_geometry("8x3", &e, &w, &why), -1);
  cr_assert_eq(tlb_parse_geometry("8x0", &e, &w, &why), -1);
  cr_assert_eq(tlb_parse_geometry("x4", &e, &w, &why), -1);
  cr_assert_eq(tlb_parse_geometry("70000", &e, &w, &why), -1);
  cr_assert_eq(tlb_parse_geometry("16k", &e, &w, &why), -1);
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

// The spec's leaf rules written out for one context, independently of mmu.c: a valid
// leaf (V, and not the reserved W without R) that the access may use with no A/D update.
static bool model_allows(uint64_t pte, enum access acc, bool user, bool sum, bool mxr) {
  if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)))
    return false;
  bool u = pte & PTE_U;
  if (user && !u)
    return false;
  if (!user && u && (!sum || acc == ACC_X))
    return false;
  bool ok = acc == ACC_R   ? (pte & PTE_R) || (mxr && (pte & PTE_X))
            : acc == ACC_W ? (pte & PTE_W) != 0
                           : (pte & PTE_X) != 0;
  uint64_t need = acc == ACC_W ? PTE_A | PTE_D : PTE_A;
  return ok && (pte & need) == need;
}

Test(tlb, the_hit_permission_mask_agrees_with_the_leaf_rules_for_every_flag_combination) {
  for (uint64_t flags = 0; flags < 256; flags++) {
    uint64_t pte = PA2PTE(0x80001000) | flags;
    uint32_t allow = mmu_leaf_allow(pte);
    cr_assert_eq(allow >> 24, 0, "flags 0x%lx: bits above context 23: 0x%x", flags, allow);
    for (int acc = ACC_R; acc <= ACC_X; acc++) {
      for (int ctx = 0; ctx < 8; ctx++) {
        bool user = ctx & 1, sum = ctx & 2, mxr = ctx & 4;
        bool want = model_allows(pte, (enum access)acc, user, sum, mxr);
        bool got = (allow >> mmu_access_ctx((enum access)acc, user, sum, mxr)) & 1;
        cr_assert_eq(got, want, "flags 0x%lx acc %d user %d sum %d mxr %d: %d, want %d",
                     flags, acc, user, sum, mxr, got, want);
      }
    }
  }
}

// 0 M, 1 M, 2 M, 3 M fill the 4 ways; 4 M evicts 0 (way 0); sfence of 3 frees way 3;
// 5 M must take way 3 (a free way) although 1 is the least recently used; 6 M then
// evicts 1.
Test(tlb, a_way_freed_by_sfence_is_filled_before_the_oldest_entry_is_evicted) {
  tlb_destroy(&m->hw.tlb);
  cr_assert_eq(tlb_init(&m->hw.tlb, 4, 0), 0);
  static const uint64_t first[] = {0, 1, 2, 3};
  char got[8];
  run(first, 4, 0, got);
  cr_assert_str_eq(got, "MMMM");
  cr_assert(tlb_fill(&m->hw.tlb, 4 * PGSIZE, 0, 0, page_pte(4, 0), 0), "4 evicted nothing");
  cr_assert(m->hw.tlb.e[0].valid && tlb_entry_tag(&m->hw.tlb.e[0]) == 4, "4 is not in way 0");
  cr_assert_eq(tlb_sfence(&m->hw, false, 3 * PGSIZE, true, 0), 1, "page 3's entry went");
  cr_assert(!tlb_fill(&m->hw.tlb, 5 * PGSIZE, 0, 0, page_pte(5, 0), 0), "5 evicted an entry");
  cr_assert(m->hw.tlb.e[3].valid && tlb_entry_tag(&m->hw.tlb.e[3]) == 5, "5 is not in way 3 (tag %lu)",
            tlb_entry_tag(&m->hw.tlb.e[3]));
  cr_assert(tlb_fill(&m->hw.tlb, 6 * PGSIZE, 0, 0, page_pte(6, 0), 0), "6 evicted nothing");
  cr_assert_null(tlb_lookup(&m->hw.tlb, 1 * PGSIZE, 0), "1, the oldest, stayed");
  static const uint64_t stayed[] = {2, 4, 5, 6};
  run(stayed, 4, 0, got);
  cr_assert_str_eq(got, "HHHH");
}

// 128 ways (sorted another way than small sets): touch the pages in a scrambled order,
// then every new page must evict them in exactly that order.
Test(tlb, a_128_way_set_evicts_in_exact_lru_order) {
  enum { N = 128 };
  tlb_destroy(&m->hw.tlb);
  cr_assert_eq(tlb_init(&m->hw.tlb, N, 0), 0);
  uint64_t order[N];
  for (uint64_t i = 0; i < N; i++) {
    tlb_fill(&m->hw.tlb, i * PGSIZE, 0, 0, page_pte(i, 0), 0);
    order[i] = (i * 37) % N; // 37 is odd: a permutation of 0..127
  }
  for (int i = 0; i < N; i++)
    cr_assert_not_null(tlb_lookup(&m->hw.tlb, order[i] * PGSIZE, 0), "page %lu", order[i]);
  for (int i = 0; i < N; i++) {
    uint64_t vpn = N + (uint64_t)i;
    cr_assert(tlb_fill(&m->hw.tlb, vpn * PGSIZE, 0, 0, page_pte(vpn, 0), 0), "fill %d", i);
    cr_assert_null(tlb_lookup(&m->hw.tlb, order[i] * PGSIZE, 0),
                   "fill %d should have evicted page %lu", i, order[i]);
    if (i + 1 < N) {
      // a lookup would make it the newest: look at the entries directly
      bool present = false;
      for (int k = 0; k < N; k++)
        present |= m->hw.tlb.e[k].valid && tlb_entry_tag(&m->hw.tlb.e[k]) == order[i + 1];
      cr_assert(present, "fill %d evicted page %lu too early", i, order[i + 1]);
    }
  }
}
