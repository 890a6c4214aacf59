// diff's snapshots and comparison (tools/diff.h): on tables built by hand, each kind of
// change is found once with its va, level and both PTEs; table pages are counted by
// page; fork's copies tell a copied page from a shared one.
#include <criterion/criterion.h>

#include "helpers.h"
#include "sv39sim/sv39.h"
#include "sv39sim/tools/diff.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/vm.h"

static struct machine *m;
static struct diff_snap a, b;
static struct diff_result r;

static void setup(void) {
  m = test_machine();
  cr_assert_eq(kvm_boot(m), SIM_OK);
}

static void teardown(void) {
  diff_snap_free(&a);
  diff_snap_free(&b);
  diff_result_free(&r);
  machine_free(m);
}

TestSuite(diff, .init = setup, .fini = teardown);

// An empty user table.
static uint64_t new_table(void) {
  uint64_t pt;
  cr_assert_eq(vm_uvmcreate(m, &pt), SIM_OK);
  return pt;
}

static void map(uint64_t pt, uint64_t va, uint64_t pa, int perm) {
  cr_assert_eq(vm_mappages(m, pt, va, PGSIZE, pa, perm), SIM_OK);
}

Test(diff, an_unchanged_table_has_no_change) {
  uint64_t pt = new_table();
  map(pt, 0, 0x87000000, PTE_R | PTE_U);
  cr_assert_eq(diff_snapshot(m, pt, &a), 0);
  cr_assert_eq(diff_snapshot(m, pt, &b), 0);
  cr_assert_eq(a.n, 3, "3 PTEs (two pointers and a leaf), got %zu", a.n);
  cr_assert_eq(a.npages, 3, "root and two tables, got %zu", a.npages);
  cr_assert_eq(diff_compare(m, &a, &b, &r), 0);
  cr_assert_eq(r.n + r.ngained + r.nlost, 0);
}

Test(diff, a_page_mapped_in_a_new_table_is_added_with_its_table_pages) {
  uint64_t pt = new_table();
  map(pt, 0, 0x87000000, PTE_R | PTE_U);
  cr_assert_eq(diff_snapshot(m, pt, &a), 0);
  map(pt, 1ULL << 30, 0x87001000, PTE_R | PTE_W | PTE_U); // root slot 1: two new tables
  cr_assert_eq(diff_snapshot(m, pt, &b), 0);
  cr_assert_eq(diff_compare(m, &a, &b, &r), 0);
  cr_assert_eq(r.nadded, 3, "pointer, pointer, leaf: got %zu", r.nadded);
  cr_assert_eq(r.nremoved + r.nchanged, 0);
  cr_assert_eq(r.c[0].level, 2);
  cr_assert_eq(r.c[2].va, 1ULL << 30);
  cr_assert_eq(r.c[2].level, 0);
  cr_assert_eq(PTE2PA(r.c[2].new_pte), 0x87001000);
  cr_assert_eq(r.ngained, 2);
  cr_assert_eq(r.nlost, 0);
}

Test(diff, a_rewritten_pte_is_changed_with_old_and_new) {
  uint64_t pt = new_table(), pte_pa;
  map(pt, 0x5000, 0x87000000, PTE_R | PTE_W | PTE_U);
  cr_assert_eq(diff_snapshot(m, pt, &a), 0);
  cr_assert_eq(vm_walk(m, pt, 0x5000, 0, &pte_pa), SIM_OK);
  uint64_t pte = PA2PTE(0x87000000) | PTE_V | PTE_R | PTE_U; // W cleared
  ram_store(&m->hw.ram, pte_pa, 8, pte);
  cr_assert_eq(diff_snapshot(m, pt, &b), 0);
  cr_assert_eq(diff_compare(m, &a, &b, &r), 0);
  cr_assert_eq(r.n, 1);
  cr_assert_eq(r.c[0].kind, DIFF_CHANGED);
  cr_assert_eq(r.c[0].va, 0x5000);
  cr_assert_eq(r.c[0].old_pte & PTE_W, PTE_W);
  cr_assert_eq(r.c[0].new_pte, pte);
}

Test(diff, a_table_gone_has_every_pte_removed_and_its_freed_pages_lost) {
  uint64_t pt = new_table();
  map(pt, 0, 0x87000000, PTE_R | PTE_U);
  cr_assert_eq(diff_snapshot(m, pt, &a), 0);
  uint64_t keep = a.pages[0]; // the lowest: stays allocated
  for (size_t i = 1; i < a.npages; i++)
    cr_assert_eq(kmem_kfree(m, a.pages[i]), SIM_OK);
  cr_assert_eq(diff_compare(m, &a, NULL, &r), 0);
  cr_assert_eq(r.nremoved, 3);
  cr_assert_eq(r.nadded + r.nchanged + r.ngained, 0);
  cr_assert_eq(r.nlost, 3);
  cr_assert_eq(r.lost[0].pa, keep);
  cr_assert(!r.lost[0].freed, "0x%lx is not on the free list", (unsigned long)keep);
  cr_assert(r.lost[1].freed && r.lost[2].freed);
}

Test(diff, fork_copies_tell_a_copied_page_from_a_shared_one_below_sz) {
  uint64_t parent = new_table(), child = new_table();
  map(parent, 0x0, 0x87000000, PTE_R | PTE_X | PTE_U);
  map(parent, 0x1000, 0x87001000, PTE_R | PTE_W | PTE_U);
  map(parent, 0x2000, 0x87002000, PTE_R | PTE_W | PTE_U); // at sz: not fork's
  map(child, 0x0, 0x87000000, PTE_R | PTE_X | PTE_U);     // shared, as COW does
  map(child, 0x1000, 0x87005000, PTE_R | PTE_W | PTE_U);  // a copy
  map(child, 0x2000, 0x87006000, PTE_R | PTE_W | PTE_U);
  cr_assert_eq(diff_snapshot(m, parent, &a), 0);
  cr_assert_eq(diff_snapshot(m, child, &b), 0);
  struct diff_copy *k;
  size_t n;
  cr_assert_eq(diff_copies(&a, &b, 0x2000, &k, &n), 0);
  cr_assert_eq(n, 2, "two pages below sz, got %zu", n);
  cr_assert(k[0].shared && k[0].va == 0 && k[0].child_pa == 0x87000000);
  cr_assert(!k[1].shared && k[1].parent_pa == 0x87001000 && k[1].child_pa == 0x87005000);
  free(k);
}
