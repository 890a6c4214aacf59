#include "helpers.h"
#include "sv39sim/xv6/kalloc.h"
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
  // (0x88000000 - PGROUNDUP(0x80027020)) / 4096
  cr_assert_eq(m->kmem.nfree, 32728, "nfree %lu", m->kmem.nfree);
  cr_assert_eq(m->kmem.freelist, 0x87fff000, "head 0x%lx", m->kmem.freelist);
}

Test(kalloc, allocation_walks_down_from_phystop) {
  for (uint64_t want = 0x87fff000; want > 0x87ff0000; want -= PGSIZE) {
    uint64_t pa = kmem_kalloc(m);
    cr_assert_eq(pa, want, "kalloc 0x%lx, want 0x%lx", pa, want);
  }
  cr_assert_eq(m->kmem.nfree, 32728 - 15);
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
  ram_load(&m->hw.ram, a, 8, &v);
  cr_assert_eq(v, 0x0505050505050505ULL, "kalloc'd page reads 0x%lx", v);
  ram_load(&m->hw.ram, a + PGSIZE - 8, 8, &v);
  cr_assert_eq(v, 0x0505050505050505ULL);
  uint64_t head = m->kmem.freelist;
  kmem_kfree(m, a);
  ram_load(&m->hw.ram, a, 8, &v);
  cr_assert_eq(v, head, "a free page starts with the next free page: 0x%lx", v);
  ram_load(&m->hw.ram, a + 8, 8, &v);
  cr_assert_eq(v, 0x0101010101010101ULL, "the rest is 0x01 junk: 0x%lx", v);
}

Test(kalloc, the_lowest_free_page_ends_the_list) {
  uint64_t v = 1;
  ram_load(&m->hw.ram, 0x80028000, 8, &v);
  cr_assert_eq(v, 0, "kinit frees PGROUNDUP(end) first, when the list is empty");
  ram_load(&m->hw.ram, 0x80029000, 8, &v);
  cr_assert_eq(v, 0x80028000);
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
  assert_kfree_panics(0x80027000); // the page holding end itself
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
  ram_store(&m->hw.ram, 0x87fff000, 8, 0x0505050505050505ULL);
  cr_assert_eq(kmem_kalloc(m), 0x87fff000);
  cr_assert_eq(kmem_kalloc(m), 0);
  cr_assert(m->halted);
  cr_assert_str_eq(m->panic_msg, "kerneltrap");
}

// ---- kinit's fast path against one kfree per page ----

// Two fresh machines of npages free pages.
static void twins(uint64_t npages, struct machine **fast, struct machine **slow) {
  *fast = small_machine(npages);
  *slow = small_machine(npages);
}

Test(kalloc, kinit_leaves_ram_and_the_list_as_one_kfree_per_page_does) {
  const uint64_t sizes[] = {1, 2, 3, 517};
  for (int i = 0; i < 4; i++) {
    struct machine *fast, *slow;
    twins(sizes[i], &fast, &slow);
    kmem_kinit(fast);
    kmem_freerange(slow, slow->cfg.end, machine_phystop(slow));
    cr_assert_eq(fast->kmem.nfree, sizes[i], "%lu pages: nfree %lu", sizes[i],
                 fast->kmem.nfree);
    assert_same_state(fast, slow);
    // The list, followed through RAM, descends one page at a time to 0.
    uint64_t pa = fast->kmem.freelist, n = 0;
    while (pa != 0) {
      uint64_t next;
      cr_assert_eq(ram_load(&fast->hw.ram, pa, 8, &next), 0);
      cr_assert(next == 0 || next == pa - PGSIZE, "after 0x%lx comes 0x%lx", pa, next);
      pa = next;
      n++;
    }
    cr_assert_eq(n, sizes[i], "the list holds %lu pages, want %lu", n, sizes[i]);
    machine_free(fast);
    machine_free(slow);
  }
}

Test(kalloc, kinit_over_pages_written_before_boot_leaves_the_same_junk) {
  struct machine *fast, *slow;
  twins(40, &fast, &slow);
  for (struct machine *x = fast; x != NULL; x = x == fast ? slow : NULL) {
    ram_store(&x->hw.ram, 0x80028000 + 5 * PGSIZE + 100, 8, 0xdeadbeef); // a free page
    ram_store(&x->hw.ram, 0x80001000, 8, 0xfeed);                          // kernel text
    ram_copy_page(&x->hw.ram, 0x80028000 + 7 * PGSIZE, 0x80001000);       // a copy
  }
  kmem_kinit(fast);
  kmem_freerange(slow, slow->cfg.end, machine_phystop(slow));
  assert_same_state(fast, slow);
  uint64_t v;
  ram_load(&fast->hw.ram, 0x80028000 + 5 * PGSIZE + 100, 8, &v);
  cr_assert_eq(v, 0x0101010101010101ULL, "the freed page reads 0x%lx", v);
  ram_load(&fast->hw.ram, 0x80001000, 8, &v);
  cr_assert_eq(v, 0xfeed, "kernel text below end is not freed: 0x%lx", v);
  cr_assert_eq(fast->hw.ram.materialised, 1, "only the kernel's page keeps host bytes");
  machine_free(fast);
  machine_free(slow);
}

Test(kalloc, kinit_on_a_nonempty_list_links_its_first_page_to_the_old_head) {
  struct machine *fast, *slow;
  twins(10, &fast, &slow);
  for (struct machine *x = fast; x != NULL; x = x == fast ? slow : NULL)
    cr_assert_eq(kmem_kfree(x, 0x80028000 + 9 * PGSIZE), SIM_OK);
  kmem_kinit(fast);
  kmem_freerange(slow, slow->cfg.end, machine_phystop(slow));
  assert_same_state(fast, slow);
  uint64_t v;
  ram_load(&fast->hw.ram, 0x80028000, 8, &v);
  cr_assert_eq(v, 0x80028000 + 9 * PGSIZE, "the lowest page links to the old head 0x%lx", v);
  machine_free(fast);
  machine_free(slow);
}

// The log hook's record of the events it saw: their numbers, ops, pages and chains.
struct seen {
  unsigned n;
  uint64_t seq[4], pa[4];
  bool kfree[4];
  char chain[4][128];
};

static void record(void *ctx, const struct kmem_event *e) {
  struct seen *s = ctx;
  if (s->n < 4) {
    s->seq[s->n] = e->seq;
    s->pa[s->n] = e->pa;
    s->kfree[s->n] = e->kfree;
    kchain_format(e->chain, s->chain[s->n], sizeof(s->chain[0]));
  }
  s->n++;
}

Test(kalloc, events_count_from_1_after_kinit_with_their_chains_and_allocating_seq) {
  struct seen s = {0};
  m->log_fn = record;
  m->log_ctx = &s;
  uint64_t a = kmem_kalloc(m), b = kmem_kalloc(m);
  {
    KFRAME(m, "sys_test");
    cr_assert_eq(kmem_kfree(m, a), SIM_OK);
  }
  cr_assert_eq(s.n, 3, "kinit's frees are no events: %u events", s.n);
  cr_assert(s.seq[0] == 1 && s.seq[1] == 2 && s.seq[2] == 3);
  cr_assert(s.pa[0] == a && s.pa[1] == b && s.pa[2] == a && s.kfree[2] && !s.kfree[0]);
  cr_assert_str_eq(s.chain[0], "kalloc");
  cr_assert_str_eq(s.chain[2], "sys_test > kfree");
  cr_assert_eq(m->chain.depth, 0, "every frame popped");
  cr_assert_eq(kmem_alloc_seq(m, b), 2);
  cr_assert_eq(kmem_alloc_seq(m, a), 1, "a kfree keeps the allocating event");
  cr_assert_eq(kmem_alloc_seq(m, 0x87000000), 0, "never allocated");
  m->kmem.failat = 1;
  cr_assert_eq(kmem_kalloc(m), 0);
  cr_assert(s.n == 4 && s.pa[3] == 0 && s.seq[3] == 4, "a kalloc that finds no page is one");
  cr_assert_eq(m->nomem_seq, 4);
}
