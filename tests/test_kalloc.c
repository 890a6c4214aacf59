#include "helpers.h"
#include "sv39sim/kalloc.h"
#include "sv39sim/sv39.h"

static struct machine *m;

static void setup(void) {
  m = test_machine();
  kmem_kinit(m);
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(kalloc, .init = setup, .fini = teardown);

Test(kalloc, kinit_frees_every_page_from_end_to_phystop) {
  // (0x88000000 - PGROUNDUP(0x80026000)) / 4096
  cr_assert_eq(m->kmem.nfree, 32730, "nfree %lu", m->kmem.nfree);
  cr_assert_eq(m->kmem.freelist, 0x87fff000, "head 0x%lx", m->kmem.freelist);
}

Test(kalloc, allocation_walks_down_from_phystop) {
  for (uint64_t want = 0x87fff000; want > 0x87ff0000; want -= PGSIZE) {
    uint64_t pa = kmem_kalloc(m);
    cr_assert_eq(pa, want, "kalloc 0x%lx, want 0x%lx", pa, want);
  }
  cr_assert_eq(m->kmem.nfree, 32730 - 15);
}

Test(kalloc, kfree_pushes_and_kalloc_pops_lifo) {
  uint64_t a = kmem_kalloc(m), b = kmem_kalloc(m), c = kmem_kalloc(m);
  cr_assert_eq(kmem_kfree(m, a), SIM_OK);
  cr_assert_eq(kmem_kfree(m, c), SIM_OK);
  cr_assert_eq(kmem_kalloc(m), c, "the last page freed comes back first");
  cr_assert_eq(kmem_kalloc(m), a);
  cr_assert_eq(kmem_kalloc(m), c - PGSIZE, "then the list goes on below c");
  cr_assert_eq(b, a - PGSIZE);
}

Test(kalloc, kalloc_fills_with_5_and_kfree_with_1_and_the_link) {
  uint64_t a = kmem_kalloc(m), v;
  ram_load(&m->ram, a, 8, &v);
  cr_assert_eq(v, 0x0505050505050505ULL, "kalloc'd page reads 0x%lx", v);
  ram_load(&m->ram, a + PGSIZE - 8, 8, &v);
  cr_assert_eq(v, 0x0505050505050505ULL);
  uint64_t head = m->kmem.freelist;
  kmem_kfree(m, a);
  ram_load(&m->ram, a, 8, &v);
  cr_assert_eq(v, head, "a free page starts with the next free page: 0x%lx", v);
  ram_load(&m->ram, a + 8, 8, &v);
  cr_assert_eq(v, 0x0101010101010101ULL, "the rest is 0x01 junk: 0x%lx", v);
}

Test(kalloc, the_lowest_free_page_ends_the_list) {
  uint64_t v = 1;
  ram_load(&m->ram, 0x80026000, 8, &v);
  cr_assert_eq(v, 0, "kinit frees PGROUNDUP(end) first, when the list is empty");
  ram_load(&m->ram, 0x80027000, 8, &v);
  cr_assert_eq(v, 0x80026000);
}

static void assert_kfree_panics(uint64_t pa) {
  uint64_t before = m->kmem.nfree;
  cr_assert_eq(kmem_kfree(m, pa), SIM_PANIC, "kfree(0x%lx) did not panic", pa);
  cr_assert(m->halted);
  cr_assert_str_eq(m->panic_msg, "kfree");
  cr_assert_eq(m->kmem.nfree, before, "a refused kfree changed the count");
}

Test(kalloc, kfree_of_a_misaligned_page_panics) {
  assert_kfree_panics(0x87f00010);
}

Test(kalloc, kfree_below_end_panics) {
  assert_kfree_panics(0x80025000);
}

Test(kalloc, kfree_at_phystop_panics) {
  assert_kfree_panics(0x88000000);
}

Test(kalloc, kfree_above_phystop_panics) {
  assert_kfree_panics(0x90000000);
}

Test(kalloc, kfree_of_the_page_at_end_is_allowed) {
  struct machine *m2 = test_machine();
  m2->cfg.end = 0x80026000; // page-aligned end: the page at end is the kernel's last + 1
  cr_assert_eq(kmem_kfree(m2, 0x80026000), SIM_OK);
  cr_assert_eq(m2->kmem.nfree, 1);
  machine_free(m2);
}

Test(kalloc, kalloc_returns_0_when_the_list_is_empty) {
  struct machine *s = small_machine(3);
  kmem_kinit(s);
  cr_assert_eq(s->kmem.nfree, 3);
  for (int i = 0; i < 3; i++)
    cr_assert_neq(kmem_kalloc(s), 0, "kalloc %d", i);
  cr_assert_eq(kmem_kalloc(s), 0);
  cr_assert_eq(s->kmem.nfree, 0);
  cr_assert(!s->halted, "an empty list is no panic");
  machine_free(s);
}

Test(kalloc, failat_fails_exactly_the_nth_kalloc_once) {
  m->kmem.failat = 2;
  cr_assert_eq(kmem_kalloc(m), 0x87fff000);
  cr_assert_eq(kmem_kalloc(m), 0, "the 2nd kalloc fails");
  cr_assert_eq(kmem_kalloc(m), 0x87ffe000, "and the list was not touched");
  cr_assert_eq(m->kmem.failat, 0);
}

Test(kalloc, a_free_list_overwritten_by_hand_panics_kalloc) {
  ram_store(&m->ram, 0x87fff000, 8, 0x0505050505050505ULL);
  cr_assert_eq(kmem_kalloc(m), 0x87fff000);
  cr_assert_eq(kmem_kalloc(m), 0);
  cr_assert(m->halted);
  cr_assert_str_eq(m->panic_msg, "kerneltrap");
}
