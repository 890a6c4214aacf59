#include <string.h>

#include "helpers.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"

static struct machine *m;
static uint64_t pt;

static void setup(void) {
  m = test_machine();
  kmem_kinit(m);
  cr_assert_eq(vm_uvmcreate(m, &pt), SIM_OK);
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(vm, .init = setup, .fini = teardown);

// What fall 2020's uvmalloc maps: one RWX segment for the user.
#define RWXU (PTE_R | PTE_W | PTE_X | PTE_U)

static uint64_t pte_of(uint64_t table, uint64_t va) {
  uint64_t pte_pa;
  int r = vm_walk(m, table, va, 0, &pte_pa);
  cr_assert(r == SIM_OK || r == SIM_FAIL, "walk of 0x%lx: %d", va, r);
  return r == SIM_OK ? vm_pte_read(m, pte_pa) : 0;
}

Test(vm, walk_allocates_a_level1_and_a_level0_table_for_a_new_va) {
  uint64_t before = m->kmem.nfree, pte_pa;
  cr_assert_eq(vm_walk(m, pt, 0x1000, 1, &pte_pa), SIM_OK);
  cr_assert_eq(before - m->kmem.nfree, 2, "took %lu pages", before - m->kmem.nfree);
  // root 0x87fff000, then the level-1 table 0x87ffe000, then the level-0 0x87ffd000
  cr_assert_eq(pte_pa, 0x87ffd000 + 8 * 1, "pte at 0x%lx", pte_pa);
  cr_assert_eq(pte_of(pt, 0), 0, "walk makes tables, not leaves");
}

Test(vm, walk_without_alloc_takes_nothing_and_finds_nothing) {
  uint64_t before = m->kmem.nfree, pte_pa;
  cr_assert_eq(vm_walk(m, pt, 0x40000000, 0, &pte_pa), SIM_FAIL, "walk's 0");
  cr_assert_eq(m->kmem.nfree, before);
}

Test(vm, mappages_takes_table_pages_only_where_a_level_is_missing) {
  uint64_t n0 = m->kmem.nfree;
  cr_assert_eq(vm_mappages(m, pt, 0x1000, PGSIZE, 0x80100000, PTE_R), SIM_OK);
  cr_assert_eq(n0 - m->kmem.nfree, 2);
  // The same 2 MiB region: no new table.
  cr_assert_eq(vm_mappages(m, pt, 0x1fd000, PGSIZE, 0x80101000, PTE_R), SIM_OK);
  cr_assert_eq(n0 - m->kmem.nfree, 2);
  // Three pages from 0x1fe000 cross into the next 2 MiB region: one more level-0 table.
  cr_assert_eq(vm_mappages(m, pt, 0x1fe000, 3 * PGSIZE, 0x80102000, PTE_R), SIM_OK);
  cr_assert_eq(n0 - m->kmem.nfree, 3);
  // Another GiB: a level-1 and a level-0 table.
  cr_assert_eq(vm_mappages(m, pt, 0x40000000, PGSIZE, 0x80105000, PTE_R), SIM_OK);
  cr_assert_eq(n0 - m->kmem.nfree, 5);
  cr_assert_eq(pte_of(pt, 0x200000), PA2PTE(0x80104000) | PTE_R | PTE_V);
}

Test(vm, mappages_writes_pa2pte_perm_and_v) {
  cr_assert_eq(vm_mappages(m, pt, 0x5000, PGSIZE, 0x87654000, PTE_R | PTE_U), SIM_OK);
  cr_assert_eq(pte_of(pt, 0x5000), 0x21d95013ULL, "pte 0x%lx", pte_of(pt, 0x5000));
}

Test(vm, mapping_a_mapped_va_panics_remap) {
  cr_assert_eq(vm_mappages(m, pt, 0x2000, PGSIZE, 0x80100000, PTE_R), SIM_OK);
  cr_assert_eq(vm_mappages(m, pt, 0x2000, PGSIZE, 0x80200000, PTE_W | PTE_R), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "remap");
  cr_assert_eq(pte_of(pt, 0x2000), PA2PTE(0x80100000) | PTE_R | PTE_V,
               "the old mapping stays");
}

Test(vm, walk_of_maxva_panics_walk) {
  uint64_t pte_pa;
  cr_assert_eq(vm_walk(m, pt, MAXVA, 1, &pte_pa), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "walk");
}

Test(vm, mappages_fails_when_walk_cannot_get_a_table_page) {
  m->kmem.failat = 2; // the level-0 table
  uint64_t n0 = m->kmem.nfree;
  cr_assert_eq(vm_mappages(m, pt, 0x1000, PGSIZE, 0x80100000, PTE_R), SIM_FAIL);
  cr_assert(!m->halted);
  cr_assert_eq(n0 - m->kmem.nfree, 1, "the level-1 table stays, as in xv6");
}

Test(vm, uvmalloc_then_uvmdealloc_restores_the_free_count) {
  uint64_t n0 = m->kmem.nfree, sz;
  cr_assert_eq(vm_uvmalloc(m, pt, 0, 5 * PGSIZE + 100, RWXU, &sz), SIM_OK);
  cr_assert_eq(sz, 5 * PGSIZE + 100);
  cr_assert_eq(n0 - m->kmem.nfree, 6 + 2, "6 pages and 2 tables");
  uint64_t pte = pte_of(pt, 5 * PGSIZE);
  cr_assert_eq(PTE_FLAGS(pte), PTE_R | PTE_W | PTE_X | PTE_U | PTE_V);
  uint64_t v;
  ram_load(&m->hw.ram, PTE2PA(pte) + 16, 8, &v);
  cr_assert_eq(v, 0, "uvmalloc zeroes its pages");
  cr_assert_eq(vm_uvmdealloc(m, pt, sz, 0, &sz), SIM_OK);
  cr_assert_eq(sz, 0);
  cr_assert_eq(n0 - m->kmem.nfree, 2, "only the tables remain until freewalk");
  cr_assert_eq(vm_freewalk(m, pt), SIM_OK);
  cr_assert_eq(m->kmem.nfree, n0 + 1, "and freewalk frees them and the root");
}

Test(vm, uvmdealloc_within_a_page_frees_nothing) {
  uint64_t sz;
  vm_uvmalloc(m, pt, 0, 2 * PGSIZE, RWXU, &sz);
  uint64_t n0 = m->kmem.nfree;
  cr_assert_eq(vm_uvmdealloc(m, pt, 2 * PGSIZE, PGSIZE + 1, &sz), SIM_OK);
  cr_assert_eq(sz, PGSIZE + 1);
  cr_assert_eq(m->kmem.nfree, n0);
}

Test(vm, uvmalloc_out_of_memory_undoes_its_pages) {
  uint64_t sz;
  vm_uvmalloc(m, pt, 0, PGSIZE, RWXU, &sz);
  uint64_t n0 = m->kmem.nfree;
  m->kmem.failat = 3;
  cr_assert_eq(vm_uvmalloc(m, pt, PGSIZE, 6 * PGSIZE, RWXU, &sz), SIM_FAIL);
  cr_assert_eq(m->kmem.nfree, n0, "nothing leaked");
  cr_assert_neq(pte_of(pt, 0), 0, "the old page stays");
  cr_assert_eq(pte_of(pt, PGSIZE), 0);
  cr_assert_eq(pte_of(pt, 2 * PGSIZE), 0);
}

static void fill_user_page(uint64_t va, uint8_t seed) {
  uint64_t pa = PTE2PA(pte_of(pt, va));
  uint8_t buf[PGSIZE];
  for (int i = 0; i < (int)PGSIZE; i++)
    buf[i] = (uint8_t)(seed + i * 7);
  ram_write(&m->hw.ram, pa, buf, PGSIZE);
}

Test(vm, uvmcopy_copies_bytes_and_flags_into_new_pages) {
  uint64_t sz, child;
  vm_uvmalloc(m, pt, 0, 3 * PGSIZE, RWXU, &sz);
  for (int i = 0; i < 3; i++)
    fill_user_page(i * PGSIZE, (uint8_t)i);
  cr_assert_eq(vm_uvmclear(m, pt, PGSIZE), SIM_OK);
  cr_assert_eq(vm_uvmcreate(m, &child), SIM_OK);
  cr_assert_eq(vm_uvmcopy(m, pt, child, sz), SIM_OK);
  for (uint64_t va = 0; va < sz; va += PGSIZE) {
    uint64_t a = pte_of(pt, va), b = pte_of(child, va);
    cr_assert_eq(PTE_FLAGS(a), PTE_FLAGS(b), "va 0x%lx flags 0x%lx vs 0x%lx", va,
                 PTE_FLAGS(a), PTE_FLAGS(b));
    cr_assert_neq(PTE2PA(a), PTE2PA(b), "va 0x%lx shares its page", va);
    uint8_t x[PGSIZE], y[PGSIZE];
    ram_read(&m->hw.ram, PTE2PA(a), x, PGSIZE);
    ram_read(&m->hw.ram, PTE2PA(b), y, PGSIZE);
    cr_assert_eq(memcmp(x, y, PGSIZE), 0, "va 0x%lx: bytes differ", va);
  }
  cr_assert_eq(PTE_FLAGS(pte_of(child, PGSIZE)) & PTE_U, 0, "the guard stays a guard");
}

Test(vm, uvmcopy_running_dry_part_way_leaves_no_page_behind) {
  uint64_t sz, child;
  vm_uvmalloc(m, pt, 0, 4 * PGSIZE, RWXU, &sz);
  uint64_t n0 = m->kmem.nfree;
  cr_assert_eq(vm_uvmcreate(m, &child), SIM_OK);
  // kallocs: page 0, level-1, level-0, page 1, page 2 -> the 5th fails.
  m->kmem.failat = 5;
  cr_assert_eq(vm_uvmcopy(m, pt, child, sz), SIM_FAIL);
  cr_assert(!m->halted);
  cr_assert_eq(pte_of(child, 0), 0, "copied pages are unmapped again");
  cr_assert_eq(pte_of(child, PGSIZE), 0);
  cr_assert_eq(vm_uvmfree(m, child, 0), SIM_OK);
  cr_assert_eq(m->kmem.nfree, n0, "free count back after the caller frees the table");
}

Test(vm, freewalk_of_a_table_with_a_leaf_panics) {
  vm_mappages(m, pt, 0x3000, PGSIZE, 0x80100000, PTE_R);
  cr_assert_eq(vm_freewalk(m, pt), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "freewalk: leaf");
}

Test(vm, uvmunmap_panics_on_unmapped_misaligned_and_non_leaf) {
  vm_mappages(m, pt, 0x3000, PGSIZE, 0x80100000, PTE_R);
  cr_assert_eq(vm_uvmunmap(m, pt, 0x4000, 1, 0), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "uvmunmap: not mapped");

  struct machine *keep = m;
  m = test_machine();
  kmem_kinit(m);
  vm_uvmcreate(m, &pt);
  cr_assert_eq(vm_uvmunmap(m, pt, 0x3001, 1, 0), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "uvmunmap: not aligned");
  machine_free(m);

  m = test_machine();
  kmem_kinit(m);
  vm_uvmcreate(m, &pt);
  uint64_t pte_pa;
  vm_walk(m, pt, 0x3000, 1, &pte_pa);
  vm_pte_write(m, pte_pa, PA2PTE(0x80100000) | PTE_V);
  cr_assert_eq(vm_uvmunmap(m, pt, 0x3000, 1, 0), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "uvmunmap: not a leaf");
  machine_free(m);
  m = keep;
}

Test(vm, walkaddr_finds_only_user_pages) {
  vm_mappages(m, pt, 0x1000, PGSIZE, 0x80100000, PTE_R | PTE_U);
  vm_mappages(m, pt, 0x2000, PGSIZE, 0x80101000, PTE_R);
  uint64_t pa;
  cr_assert_eq(vm_walkaddr(m, pt, 0x1000, &pa), SIM_OK);
  cr_assert_eq(pa, 0x80100000);
  cr_assert_eq(vm_walkaddr(m, pt, 0x2000, &pa), SIM_FAIL, "no U: walkaddr's 0");
  cr_assert_eq(vm_walkaddr(m, pt, MAXVA, &pa), SIM_FAIL, "no panic: walkaddr checks");
  cr_assert(!m->halted);
}

Test(vm, copyout_and_copyin_cross_a_page_boundary) {
  uint64_t sz;
  vm_uvmalloc(m, pt, 0, 2 * PGSIZE, RWXU, &sz);
  const char msg[] = "across the boundary between two user pages";
  uint64_t va = PGSIZE - 10;
  cr_assert_eq(vm_copyout(m, pt, va, msg, sizeof(msg)), SIM_OK);
  char tail[sizeof(msg)];
  ram_read(&m->hw.ram, PTE2PA(pte_of(pt, PGSIZE)), tail, sizeof(msg) - 10);
  cr_assert_eq(memcmp(tail, msg + 10, sizeof(msg) - 10), 0, "second page holds the rest");
  char back[sizeof(msg)];
  cr_assert_eq(vm_copyin(m, pt, back, va, sizeof(msg)), SIM_OK);
  cr_assert_str_eq(back, msg);
  char s[64];
  cr_assert_eq(vm_copyinstr(m, pt, s, va, sizeof(s)), SIM_OK);
  cr_assert_str_eq(s, msg);
}

Test(vm, copy_to_or_from_an_unmapped_page_fails) {
  uint64_t sz;
  vm_uvmalloc(m, pt, 0, PGSIZE, RWXU, &sz);
  char buf[32] = "x";
  cr_assert_eq(vm_copyout(m, pt, PGSIZE - 4, buf, 8), SIM_FAIL);
  cr_assert_eq(vm_copyin(m, pt, buf, PGSIZE - 4, 8), SIM_FAIL);
  cr_assert(!m->halted);
}

Test(vm, copyinstr_fails_without_a_nul_within_max) {
  uint64_t sz;
  vm_uvmalloc(m, pt, 0, PGSIZE, RWXU, &sz);
  vm_copyout(m, pt, 0, "abcdef", 7);
  char s[8];
  cr_assert_eq(vm_copyinstr(m, pt, s, 0, 3), SIM_FAIL);
  cr_assert_eq(vm_copyinstr(m, pt, s, 0, 7), SIM_OK);
  cr_assert_str_eq(s, "abcdef");
}

Test(vm, a_table_pointer_outside_ram_panics_instead_of_crashing) {
  uint64_t pte_pa;
  vm_walk(m, pt, 0x1000, 1, &pte_pa);
  vm_pte_write(m, pt, PA2PTE(0x10000000) | PTE_V); // root[0] -> UART, not RAM
  cr_assert_eq(vm_walk(m, pt, 0x1000, 0, &pte_pa), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "kerneltrap");
}

Test(vm, freewalk_of_a_table_pointing_at_itself_panics_instead_of_recursing_forever) {
  vm_pte_write(m, pt + 8 * 5, PA2PTE(pt) | PTE_V);
  cr_assert_eq(vm_freewalk(m, pt), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "kerneltrap");
  cr_assert(strstr(m->panic_detail, "points back into itself") != NULL, "%s",
            m->panic_detail);
}

// ---- mappages' runs against a walk from the root for every page ----

// xv6's loop, literally: one walk and one PTE per page. Returns what the first page that
// does not map returns.
static int mappages_by_page(struct machine *x, uint64_t table, uint64_t va, uint64_t size,
                            uint64_t pa, uint64_t perm) {
  for (uint64_t off = 0; off < size; off += PGSIZE) {
    int r = vm_mappages(x, table, va + off, PGSIZE, pa + off, perm);
    if (r != SIM_OK)
      return r;
  }
  return SIM_OK;
}

// A second booted-the-same-way machine with its own table, for the slow path.
static struct machine *twin(uint64_t *table) {
  struct machine *x = test_machine();
  kmem_kinit(x);
  cr_assert_eq(vm_uvmcreate(x, table), SIM_OK);
  cr_assert_eq(*table, pt);
  return x;
}

Test(vm, a_run_across_level0_and_level1_tables_maps_as_page_by_page_does) {
  uint64_t pt2;
  struct machine *slow = twin(&pt2);
  // 1500 pages from 1 MiB below the first GiB: three level-0 tables, two level-1 tables.
  uint64_t va = 0x3ff00000 + 0x5000, size = 1500 * PGSIZE, pa = 0x80200000;
  cr_assert_eq(vm_mappages(m, pt, va, size, pa, PTE_R | PTE_W), SIM_OK);
  cr_assert_eq(mappages_by_page(slow, pt2, va, size, pa, PTE_R | PTE_W), SIM_OK);
  assert_same_state(m, slow);
  cr_assert_eq(pte_of(pt, va + 1499 * PGSIZE), PA2PTE(pa + 1499 * PGSIZE) | PTE_R | PTE_W | PTE_V);
  cr_assert_eq(pte_of(pt, va + 1500 * PGSIZE), 0, "one page too far");
  machine_free(slow);
}

Test(vm, a_run_that_cannot_get_its_next_table_stops_where_page_by_page_stops) {
  uint64_t pt2;
  struct machine *slow = twin(&pt2);
  uint64_t va = 0x1f0000, size = 600 * PGSIZE;
  // kallocs: level-1, level-0 for 0x1f0000; the next level-0 (va 0x200000) fails.
  m->kmem.failat = slow->kmem.failat = 3;
  cr_assert_eq(vm_mappages(m, pt, va, size, 0x80200000, PTE_R), SIM_FAIL);
  cr_assert_eq(mappages_by_page(slow, pt2, va, size, 0x80200000, PTE_R), SIM_FAIL);
  assert_same_state(m, slow);
  cr_assert_neq(pte_of(pt, 0x1ff000), 0, "the pages below 0x200000 stay mapped");
  machine_free(slow);
}

Test(vm, a_remap_in_the_middle_of_a_run_panics_at_the_same_page_with_the_same_words) {
  uint64_t pt2;
  struct machine *slow = twin(&pt2);
  uint64_t va = 0x10000, size = 800 * PGSIZE, hole = va + 700 * PGSIZE;
  for (struct machine *x = m; x != NULL; x = x == m ? slow : NULL)
    cr_assert_eq(vm_mappages(x, pt, hole, PGSIZE, 0x80100000, PTE_R), SIM_OK);
  cr_assert_eq(vm_mappages(m, pt, va, size, 0x80200000, PTE_R | PTE_X), SIM_PANIC);
  cr_assert_eq(mappages_by_page(slow, pt2, va, size, 0x80200000, PTE_R | PTE_X), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "remap");
  cr_assert(strstr(m->panic_detail, "va 0x00000000002cc000") != NULL, "detail: %s",
            m->panic_detail);
  assert_same_state(m, slow);
  cr_assert_neq(pte_of(pt, hole - PGSIZE), 0, "the page below the hole was mapped");
  machine_free(slow);
}

Test(vm, a_table_that_is_its_own_level0_table_maps_as_page_by_page_does) {
  uint64_t pt2;
  struct machine *slow = twin(&pt2);
  // root[5] -> root: a va with VPN[2] = VPN[1] = 5 walks root, root, and its PTE is
  // root[VPN[0]]; every walk there reads root[5].
  uint64_t base = (5ULL << 30) | (5ULL << 21);
  for (struct machine *x = m; x != NULL; x = x == m ? slow : NULL)
    vm_pte_write(x, pt + 8 * 5, PA2PTE(pt) | PTE_V);
  cr_assert_eq(vm_mappages(m, pt, base + PGSIZE, 3 * PGSIZE, 0x80300000, PTE_R), SIM_OK);
  cr_assert_eq(mappages_by_page(slow, pt2, base + PGSIZE, 3 * PGSIZE, 0x80300000, PTE_R),
               SIM_OK);
  assert_same_state(m, slow);
  cr_assert_eq(vm_pte_read(m, pt + 8), PA2PTE(0x80300000) | PTE_R | PTE_V,
               "page 1's PTE is root[1]");
  // A run over root[4..7] writes root[4] and stops at root[5], the slot it walks through.
  cr_assert_eq(vm_mappages(m, pt, base + 4 * PGSIZE, 4 * PGSIZE, 0x80400000, PTE_R),
               SIM_PANIC);
  cr_assert_eq(mappages_by_page(slow, pt2, base + 4 * PGSIZE, 4 * PGSIZE, 0x80400000, PTE_R),
               SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "remap");
  cr_assert(strstr(m->panic_detail, "va 0x0000000140a05000") != NULL, "detail: %s",
            m->panic_detail);
  assert_same_state(m, slow);
  cr_assert_eq(vm_pte_read(m, pt + 8 * 4), PA2PTE(0x80400000) | PTE_R | PTE_V);
  machine_free(slow);
}
