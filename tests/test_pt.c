// The page-table iterator (hw/pt.h) on tables built by hand with ram_store.
#include "helpers.h"
#include "sv39sim/hw/pt.h"
#include "sv39sim/sv39.h"

static struct machine *m;
static struct ram *ram;

// Table pages, all inside the default 128 MiB of RAM.
#define ROOT 0x87000000ULL
#define L1 0x87001000ULL
#define L0 0x87002000ULL
#define L1HI 0x87003000ULL

static void setup(void) {
  m = test_machine();
  ram = &m->hw.ram;
  for (uint64_t pa = ROOT; pa <= L1HI; pa += PGSIZE)
    ram_fill_page(ram, pa, 0);
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(pt, .init = setup, .fini = teardown);

static void put(uint64_t table, unsigned index, uint64_t pte) {
  cr_assert_eq(ram_store(ram, table + 8ULL * index, 8, pte), 0);
}

// Every visit, in order; the visitor answers answer[i] for the i-th (PT_CONTINUE past
// the end of it).
struct visits {
  struct pt_entry e[64];
  int n;
  const enum pt_step *answer;
  int nanswer;
};

static enum pt_step record(void *ctx, const struct pt_entry *e) {
  struct visits *v = ctx;
  cr_assert_lt(v->n, 64, "more visits than the test expects");
  v->e[v->n] = *e;
  return v->n++ < v->nanswer ? v->answer[v->n - 1] : PT_CONTINUE;
}

static void assert_visit(const struct visits *v, int i, int level, unsigned index, uint64_t va,
                         uint64_t pte_pa, uint64_t pte, bool enter) {
  cr_assert_lt(i, v->n, "visit %d missing: only %d", i, v->n);
  const struct pt_entry *e = &v->e[i];
  cr_assert_eq(e->level, level, "visit %d: level %d, want %d", i, e->level, level);
  cr_assert_eq(e->index, index, "visit %d: index %u, want %u", i, e->index, index);
  cr_assert_eq(e->va, va, "visit %d: va %#lx, want %#lx", i, (unsigned long)e->va,
               (unsigned long)va);
  cr_assert_eq(e->pte_pa, pte_pa, "visit %d: pte_pa %#lx, want %#lx", i,
               (unsigned long)e->pte_pa, (unsigned long)pte_pa);
  cr_assert_eq(e->pte, pte, "visit %d: pte %#lx, want %#lx", i, (unsigned long)e->pte,
               (unsigned long)pte);
  cr_assert_eq(e->enter, enter, "visit %d: enter %d, want %d", i, e->enter, enter);
}

#define RW (PTE_V | PTE_R | PTE_W)

// root[0] -> L1, L1[1] -> L0 with leaves at 3 and 5; root[2] a 1 GiB leaf; root[256] (the
// upper half) -> L1HI with a 2 MiB leaf at 4. Invalid entries with bits set are skipped.
Test(pt, visits_valid_entries_depth_first_in_index_order_with_canonical_vas) {
  uint64_t p_l1 = PA2PTE(L1) | PTE_V, p_l0 = PA2PTE(L0) | PTE_V;
  uint64_t leaf3 = PA2PTE(0x80003000) | RW, leaf5 = PA2PTE(0x80005000) | RW | PTE_U;
  uint64_t giga = PA2PTE(0x40000000) | PTE_V | PTE_R | PTE_X;
  uint64_t p_hi = PA2PTE(L1HI) | PTE_V, mega = PA2PTE(0x80200000) | RW;
  put(ROOT, 0, p_l1);
  put(ROOT, 1, PA2PTE(L0) | PTE_R); // V clear
  put(ROOT, 2, giga);
  put(ROOT, 256, p_hi);
  put(L1, 1, p_l0);
  put(L0, 3, leaf3);
  put(L0, 4, PTE_R | PTE_W); // V clear
  put(L0, 5, leaf5);
  put(L1HI, 4, mega);
  struct visits v = {0};
  cr_assert_eq(pt_walk(ram, ROOT, record, &v), PT_CONTINUE);
  cr_assert_eq(v.n, 7, "%d visits, want 7", v.n);
  assert_visit(&v, 0, 2, 0, 0x0, ROOT, p_l1, true);
  assert_visit(&v, 1, 1, 1, 0x200000, L1 + 8, p_l0, true);
  assert_visit(&v, 2, 0, 3, 0x203000, L0 + 24, leaf3, false);
  assert_visit(&v, 3, 0, 5, 0x205000, L0 + 40, leaf5, false);
  assert_visit(&v, 4, 2, 2, 0x80000000, ROOT + 16, giga, false);
  assert_visit(&v, 5, 2, 256, 0xffffffc000000000ULL, ROOT + 8 * 256, p_hi, true);
  assert_visit(&v, 6, 1, 4, 0xffffffc000800000ULL, L1HI + 32, mega, false);
}

// UART0's page is no RAM: the pointer is visited, and the walk goes on with its neighbour.
Test(pt, a_table_outside_ram_is_listed_not_entered) {
  uint64_t out = PA2PTE(0x10000000) | PTE_V, leaf = PA2PTE(0x80000000) | RW;
  put(ROOT, 3, out);
  put(ROOT, 4, leaf);
  struct visits v = {0};
  pt_walk(ram, ROOT, record, &v);
  cr_assert_eq(v.n, 2, "%d visits, want 2", v.n);
  assert_visit(&v, 0, 2, 3, 3ULL << 30, ROOT + 24, out, false);
  assert_visit(&v, 1, 2, 4, 4ULL << 30, ROOT + 32, leaf, false);
  cr_assert(!pt_enters(ram, out, 2));
}

// Sv39 has three levels: a pointer in a level-0 table names a page in RAM, and is not
// entered however it looks.
Test(pt, a_pointer_at_level_0_is_listed_not_entered) {
  uint64_t p_l1 = PA2PTE(L1) | PTE_V, p_l0 = PA2PTE(L0) | PTE_V, deeper = PA2PTE(L1HI) | PTE_V;
  put(ROOT, 0, p_l1);
  put(L1, 0, p_l0);
  put(L0, 7, deeper);
  put(L1HI, 0, PA2PTE(0x80000000) | RW); // would be visited if L1HI were entered
  struct visits v = {0};
  pt_walk(ram, ROOT, record, &v);
  cr_assert_eq(v.n, 3, "%d visits, want 3", v.n);
  assert_visit(&v, 2, 0, 7, 0x7000, L0 + 56, deeper, false);
  cr_assert(pt_enters(ram, deeper, 1), "the same pointer one level up is entered");
}

// root[5] -> root: entered as a level-1 and then a level-0 table, where the walk ends.
Test(pt, a_root_that_points_to_itself_ends_after_three_levels) {
  uint64_t self = PA2PTE(ROOT) | PTE_V;
  put(ROOT, 5, self);
  struct visits v = {0};
  cr_assert_eq(pt_walk(ram, ROOT, record, &v), PT_CONTINUE);
  cr_assert_eq(v.n, 3, "%d visits, want 3", v.n);
  uint64_t va = 5ULL << 30;
  assert_visit(&v, 0, 2, 5, va, ROOT + 40, self, true);
  va += 5ULL << 21;
  assert_visit(&v, 1, 1, 5, va, ROOT + 40, self, true);
  va += 5ULL << 12;
  assert_visit(&v, 2, 0, 5, va, ROOT + 40, self, false);
}

// A table two pointers share is entered through each.
Test(pt, a_shared_table_is_entered_once_per_pointer) {
  put(ROOT, 0, PA2PTE(L1) | PTE_V);
  put(ROOT, 1, PA2PTE(L1) | PTE_V);
  put(L1, 9, PA2PTE(0x80000000) | RW);
  struct visits v = {0};
  pt_walk(ram, ROOT, record, &v);
  cr_assert_eq(v.n, 4, "%d visits, want 4", v.n);
  cr_assert_eq(v.e[1].va, 9ULL << 21);
  cr_assert_eq(v.e[3].va, (1ULL << 30) + (9ULL << 21));
}

// root[0] -> L1 (skipped), root[1] a leaf: the walk leaves L1 out and goes on.
Test(pt, skip_leaves_a_table_out_and_goes_on) {
  put(ROOT, 0, PA2PTE(L1) | PTE_V);
  put(ROOT, 1, PA2PTE(0x80000000) | RW);
  put(L1, 0, PA2PTE(0x80000000) | RW);
  static const enum pt_step answer[] = {PT_SKIP};
  struct visits v = {.answer = answer, .nanswer = 1};
  cr_assert_eq(pt_walk(ram, ROOT, record, &v), PT_CONTINUE);
  cr_assert_eq(v.n, 2, "%d visits, want 2", v.n);
  cr_assert_eq(v.e[1].level, 2);
  cr_assert_eq(v.e[1].index, 1);
}

// The walk ends at the visit that says stop, deep in a table, and says it was stopped.
Test(pt, stop_ends_the_walk_at_once) {
  put(ROOT, 0, PA2PTE(L1) | PTE_V);
  put(L1, 0, PA2PTE(0x80000000) | RW);
  put(L1, 1, PA2PTE(0x80200000) | RW);
  put(ROOT, 1, PA2PTE(0x80000000) | RW);
  static const enum pt_step answer[] = {PT_CONTINUE, PT_STOP};
  struct visits v = {.answer = answer, .nanswer = 2};
  cr_assert_eq(pt_walk(ram, ROOT, record, &v), PT_STOP);
  cr_assert_eq(v.n, 2, "%d visits after the stop, want 2", v.n);
}

// A root that is no table page in RAM has nothing to visit.
Test(pt, a_root_outside_ram_or_misaligned_has_no_entries) {
  put(ROOT, 0, PA2PTE(0x80000000) | RW);
  struct visits v = {0};
  cr_assert_eq(pt_walk(ram, 0x10000000, record, &v), PT_CONTINUE);
  cr_assert_eq(pt_walk(ram, ROOT + 8, record, &v), PT_CONTINUE);
  cr_assert_eq(pt_walk(ram, ram->base + ram->size, record, &v), PT_CONTINUE);
  cr_assert_eq(v.n, 0, "%d visits, want none", v.n);
  cr_assert(pt_table_in_ram(ram, ROOT));
  cr_assert(!pt_table_in_ram(ram, ROOT + 8));
  cr_assert(!pt_table_in_ram(ram, ram->base + ram->size - 8));
}

// Leaves are never entered; pointers are only above level 0 and into RAM.
Test(pt, enters_only_table_pointers_above_level_0_into_ram) {
  uint64_t table = PA2PTE(L1) | PTE_V;
  cr_assert(pt_enters(ram, table, 2));
  cr_assert(pt_enters(ram, table, 1));
  cr_assert(!pt_enters(ram, table, 0));
  cr_assert(!pt_enters(ram, table | PTE_R, 2), "a leaf is no table pointer");
  cr_assert(!pt_enters(ram, table | PTE_X, 1), "a leaf is no table pointer");
  cr_assert(!pt_enters(ram, PA2PTE(L1), 2), "V clear");
  cr_assert(!pt_enters(ram, PA2PTE(ram->base + ram->size) | PTE_V, 2), "one page past RAM");
}
