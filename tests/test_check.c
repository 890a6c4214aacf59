// The consistency checker: quiet on every state xv6 reaches, and for each kind of damage
// it names the page and what claims it.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/tools/check.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"

static struct machine *m;
static struct check_report r;

static void setup(void) {
  m = NULL;
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(check, .init = setup, .fini = teardown);

static void power_on(enum kpt_mode mode) {
  struct config cfg;
  char err[128];
  config_defaults(&cfg);
  cfg.kpt = mode;
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
}

// Booted, pid 1 after exec of a one-page image, pid 2 its fork.
static void two_procs(enum kpt_mode mode) {
  power_on(mode);
  cr_assert_eq(kvm_boot(m), SIM_OK, "boot: %s", m->panic_msg);
  int slot, pid;
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK, "userinit: %s", m->panic_msg);
  uint64_t len;
  uint8_t *image = exec_synthetic_image(PGSIZE, &len);
  char *argv[] = {"/init"};
  struct exec_result res;
  cr_assert_eq(exec_sys_exec(m, 0, image, len, "/init", 1, argv, &res), SIM_OK);
  free(image);
  cr_assert_eq(res.ret, 1, "exec: %s", res.why);
  cr_assert_eq(proc_fork(m, 0, &pid), SIM_OK);
  cr_assert_eq(pid, 2);
}

static void run_check(void) {
  cr_assert_eq(check_machine(m, &r), 0, "check_machine: no host memory");
}

// The listed problem of kind k at pa, or NULL.
static const struct check_problem *find(enum check_problem_kind k, uint64_t pa) {
  for (unsigned i = 0; i < r.nlisted; i++) {
    if (r.problem[i].kind == k && r.problem[i].pa == pa)
      return &r.problem[i];
  }
  return NULL;
}

static void assert_clean(const char *when) {
  run_check();
  cr_assert_eq(r.nproblems, 0, "%s: %lu problems, the first %s 0x%lx: %s", when,
               (unsigned long)r.nproblems,
               r.nlisted ? check_problem_name(r.problem[0].kind) : "-",
               r.nlisted ? (unsigned long)r.problem[0].pa : 0UL,
               r.nlisted ? r.problem[0].what : "");
}

// The pa the user table of the process in slot maps va to.
static uint64_t user_pa(int slot, uint64_t va) {
  uint64_t pte_pa;
  cr_assert_eq(vm_walk(m, m->proc[slot].pagetable, va, 0, &pte_pa), SIM_OK);
  cr_assert_neq(pte_pa, 0, "va 0x%lx is not mapped", (unsigned long)va);
  return PTE2PA(vm_pte_read(m, pte_pa));
}

Test(check, boot_leaves_73_kernel_table_pages_64_stacks_and_the_rest_free) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  assert_clean("after boot");
  cr_assert_eq(r.npool, 32728, "pool of %lu pages", (unsigned long)r.npool);
  cr_assert_eq(r.count[CHECK_KERNEL_PT], 73, "%lu kernel-table pages",
               (unsigned long)r.count[CHECK_KERNEL_PT]);
  cr_assert_eq(r.count[CHECK_KSTACK], 64, "%lu kernel stacks",
               (unsigned long)r.count[CHECK_KSTACK]);
  cr_assert_eq(r.count[CHECK_FREE], 32591, "%lu free", (unsigned long)r.count[CHECK_FREE]);
  cr_assert_eq(r.count[CHECK_NONE], 0);
  cr_assert(r.leaks_checked);
}

Test(check, every_mode_after_exec_and_fork_is_consistent_with_each_kind_counted) {
  for (int mode = KPT_GLOBAL; mode <= KPT_PER_PROCESS_USER; mode++) {
    two_procs((enum kpt_mode)mode);
    assert_clean("two processes");
    // Each process: a trapframe, 3 user pages (image, guard, stack) and 5 user-table pages.
    cr_assert_eq(r.count[CHECK_TRAPFRAME], 2, "mode %d: %lu trapframes", mode,
                 (unsigned long)r.count[CHECK_TRAPFRAME]);
    cr_assert_eq(r.count[CHECK_USER_PAGE], 6, "mode %d: %lu user pages", mode,
                 (unsigned long)r.count[CHECK_USER_PAGE]);
    cr_assert_eq(r.count[CHECK_USER_PT], 10, "mode %d: %lu user-table pages", mode,
                 (unsigned long)r.count[CHECK_USER_PT]);
    uint64_t stacks = mode == KPT_GLOBAL ? 64 : 2;
    cr_assert_eq(r.count[CHECK_KSTACK], stacks, "mode %d: %lu kernel stacks", mode,
                 (unsigned long)r.count[CHECK_KSTACK]);
    // A per-process kernel table is kvminit's 73 pages; mode 3 leaves CLINT's level-0
    // table out and adds one for the mirror of va 0..0x3000.
    uint64_t kpt = mode == KPT_GLOBAL ? 0 : 2 * 73;
    cr_assert_eq(r.count[CHECK_PROC_KPT], kpt, "mode %d: %lu process kernel-table pages",
                 mode, (unsigned long)r.count[CHECK_PROC_KPT]);
    machine_free(m);
    m = NULL;
  }
}

Test(check, before_boot_the_pool_is_nobodys_and_no_leak_is_reported) {
  power_on(KPT_GLOBAL);
  assert_clean("power-on");
  cr_assert_not(r.leaks_checked);
  cr_assert_eq(r.count[CHECK_NONE], r.npool);
}

Test(check, a_page_taken_and_dropped_is_a_leak_naming_the_page) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  uint64_t pa = kmem_kalloc(m);
  run_check();
  cr_assert_eq(r.nproblems, 1, "%lu problems", (unsigned long)r.nproblems);
  cr_assert_not_null(find(CHECK_LEAK, pa), "no leak reported at 0x%lx", (unsigned long)pa);
}

Test(check, a_page_the_user_holds_is_no_leak_until_released) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  uint64_t pa = kmem_kalloc(m);
  cr_assert_eq(check_hold(m, pa), 0);
  assert_clean("held");
  cr_assert_eq(r.count[CHECK_HELD], 1);
  check_release(m, pa);
  run_check();
  cr_assert_not_null(find(CHECK_LEAK, pa), "released page 0x%lx not reported as a leak",
                     (unsigned long)pa);
}

Test(check, a_user_page_freed_behind_the_tables_back_is_free_and_owned) {
  two_procs(KPT_GLOBAL);
  uint64_t pa = user_pa(1, 0);
  cr_assert_eq(kmem_kfree(m, pa), SIM_OK);
  run_check();
  const struct check_problem *q = find(CHECK_FREE_AND_OWNED, pa);
  cr_assert_not_null(q, "0x%lx not reported free and owned", (unsigned long)pa);
  cr_assert(strstr(q->what, "va 0x0 of pid 2's user table") != NULL, "what: %s", q->what);
}

Test(check, a_page_freed_twice_makes_a_loop_that_is_found_and_ends_the_walk) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  uint64_t pa = kmem_kalloc(m);
  cr_assert_eq(kmem_kfree(m, pa), SIM_OK);
  cr_assert_eq(kmem_kfree(m, pa), SIM_OK); // pa's link now points at pa
  run_check();
  cr_assert_not_null(find(CHECK_FREE_TWICE, pa), "no loop reported at 0x%lx",
                     (unsigned long)pa);
  cr_assert_eq(r.count[CHECK_FREE], 1, "the walk counted %lu free pages",
               (unsigned long)r.count[CHECK_FREE]);
}

Test(check, free_list_links_outside_the_pool_or_misaligned_are_bad_links) {
  const uint64_t bad[] = {0x80001000, 0x87f00008, 0x90000000};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    power_on(KPT_GLOBAL);
    cr_assert_eq(kvm_boot(m), SIM_OK);
    ram_store(&m->hw.ram, m->kmem.freelist, 8, bad[i]);
    run_check();
    cr_assert_not_null(find(CHECK_BAD_LINK, bad[i]), "link 0x%lx not reported",
                       (unsigned long)bad[i]);
    cr_assert_not_null(find(CHECK_NFREE, 0), "the short list's count not reported");
    machine_free(m);
    m = NULL;
  }
}

Test(check, a_page_mapped_by_two_user_tables_is_owned_twice) {
  two_procs(KPT_GLOBAL);
  uint64_t pa = user_pa(0, 0);
  cr_assert_eq(vm_mappages(m, m->proc[1].pagetable, 0x10000, PGSIZE, pa,
                           PTE_R | PTE_W | PTE_U), SIM_OK);
  run_check();
  const struct check_problem *q = find(CHECK_OWNED_TWICE, pa);
  cr_assert_not_null(q, "0x%lx not reported owned twice", (unsigned long)pa);
  cr_assert(strstr(q->what, "already a user page") != NULL, "what: %s", q->what);
}

// A level-1 table that points back at its root: the root is claimed twice, and not
// entered again (its pages would all be claimed twice more).
Test(check, a_table_pointing_back_at_its_root_is_owned_twice_and_not_entered_again) {
  two_procs(KPT_GLOBAL);
  uint64_t root = m->proc[1].pagetable;
  uint64_t l1 = PTE2PA(vm_pte_read(m, root)); // index 0: the table for va 0
  vm_pte_write(m, l1 + 8 * 5, PA2PTE(root) | PTE_V);
  run_check();
  cr_assert_eq(r.nproblems, 1, "%lu problems, want 1", (unsigned long)r.nproblems);
  const struct check_problem *q = find(CHECK_OWNED_TWICE, root);
  cr_assert_not_null(q, "the root 0x%lx not reported owned twice", (unsigned long)root);
  cr_assert_str_eq(q->what, "the level-0 table for va 0xa00000 of pid 2's user table, and "
                            "already a page-table page of a user table");
}

Test(check, a_kernel_mapping_of_a_free_page_is_a_leaf_that_maps_a_free_page) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  uint64_t pa = 0x80028000; // the last page on the list: mappages's kallocs leave it free
  cr_assert_eq(vm_mappages(m, m->kernel_pagetable, 0x40000000, PGSIZE, pa, PTE_R), SIM_OK);
  run_check();
  cr_assert_not_null(find(CHECK_LEAF_FREE, pa), "0x%lx not reported", (unsigned long)pa);
}

Test(check, a_freed_user_table_page_is_a_table_pointer_to_a_free_page) {
  two_procs(KPT_GLOBAL);
  uint64_t root = m->proc[1].pagetable;
  uint64_t l1 = PTE2PA(vm_pte_read(m, root)); // index 0: the table for va 0
  cr_assert_eq(kmem_kfree(m, l1), SIM_OK);
  run_check();
  cr_assert_not_null(find(CHECK_TABLE_FREE, l1), "0x%lx not reported", (unsigned long)l1);
}

Test(check, a_table_pointer_into_the_kernel_image_is_outside_the_pool) {
  two_procs(KPT_GLOBAL);
  uint64_t root = m->proc[1].pagetable;
  vm_pte_write(m, root + 8 * 7, PA2PTE(0x80001000) | PTE_V);
  run_check();
  cr_assert_not_null(find(CHECK_TABLE_OUTSIDE, 0x80001000), "not reported");
}

Test(check, a_wrong_free_count_is_reported) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  m->kmem.nfree++;
  run_check();
  cr_assert_eq(r.nproblems, 1);
  cr_assert_not_null(find(CHECK_NFREE, 0));
}

Test(check, after_a_panic_pages_in_flight_are_counted_not_reported) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  kmem_kalloc(m);
  machine_panic(m, "remap", NULL);
  assert_clean("halted");
  cr_assert_not(r.leaks_checked);
  cr_assert_eq(r.count[CHECK_NONE], 1);
}

Test(check, problems_past_the_list_are_counted) {
  power_on(KPT_GLOBAL);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  for (int i = 0; i < 40; i++)
    kmem_kalloc(m);
  run_check();
  cr_assert_eq(r.nproblems, 40, "%lu problems", (unsigned long)r.nproblems);
  cr_assert_eq(r.nlisted, CHECK_MAX_LISTED);
}

Test(check, teardown_gives_back_every_page_of_processes_and_of_the_user) {
  for (int mode = KPT_GLOBAL; mode <= KPT_PER_PROCESS_USER; mode++) {
    power_on((enum kpt_mode)mode);
    cr_assert_eq(kvm_boot(m), SIM_OK);
    uint64_t boot_free = m->kmem.nfree;
    machine_free(m);
    m = NULL;
    two_procs((enum kpt_mode)mode);
    int64_t old;
    cr_assert_eq(proc_sbrk(m, 1, 3 * PGSIZE, &old), SIM_OK);
    cr_assert_eq(proc_exit(m, 1, 0), SIM_OK); // a zombie too
    cr_assert_eq(check_hold(m, kmem_kalloc(m)), 0);
    cr_assert_eq(check_teardown(m), SIM_OK, "teardown: %s", m->panic_msg);
    cr_assert_eq(m->kmem.nfree, boot_free, "mode %d: %lu free after teardown, %lu after boot",
                 mode, (unsigned long)m->kmem.nfree, (unsigned long)boot_free);
    assert_clean("after teardown");
    machine_free(m);
    m = NULL;
  }
}

Test(check, each_lab_shape_is_consistent_with_procinits_stacks_claimed_once) {
  for (int c = 0; c < 12; c++) {
    struct config cfg;
    char err[128];
    config_defaults(&cfg);
    cfg.kpt = c < 6 ? KPT_PER_PROCESS : KPT_PER_PROCESS_USER;
    cfg.kpt_kstack = (enum kpt_kstack)(c / 2 % 3);
    cfg.kpt_clint = c % 2 ? KPT_CLINT_OUT : KPT_CLINT_IN;
    m = machine_new(&cfg, err, sizeof(err));
    cr_assert_not_null(m, "machine_new: %s", err);
    cr_assert_eq(kvm_boot(m), SIM_OK);
    int slot, pid;
    cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
    cr_assert_eq(proc_fork(m, 0, &pid), SIM_OK);
    run_check();
    cr_assert_eq(r.nproblems, 0, "case %d: %s", c, r.nlisted ? r.problem[0].what : "");
    cr_assert_eq(r.count[CHECK_NONE], 0, "case %d", c);
    bool boot = cfg.kpt_kstack == KPT_KSTACK_PROCINIT;
    cr_assert_eq(r.count[CHECK_KSTACK], boot ? NPROC : 2, "case %d: %lu stacks", c,
                 (unsigned long)r.count[CHECK_KSTACK]);
    // Each copy is kvminit's 73 pages, CLINT's level-0 only when in, plus the mirror's.
    uint64_t copy = 73 - (c % 2) + (cfg.kpt == KPT_PER_PROCESS_USER);
    cr_assert_eq(r.count[CHECK_PROC_KPT], 2 * copy, "case %d: %lu copy pages", c,
                 (unsigned long)r.count[CHECK_PROC_KPT]);
    // procinit's stack of slot 1 freed by hand: the global table's claim names it, and
    // pid 2's copy, which maps it and owns nothing, names it too.
    if (boot) {
      uint64_t pte_pa;
      cr_assert_eq(vm_walk(m, m->kernel_pagetable, m->proc[1].kstack, 0, &pte_pa), SIM_OK);
      uint64_t pa = PTE2PA(vm_pte_read(m, pte_pa));
      cr_assert_eq(kmem_kfree(m, pa), SIM_OK);
      run_check();
      cr_assert_not_null(find(CHECK_FREE_AND_OWNED, pa), "case %d: the global claim", c);
      cr_assert_not_null(find(CHECK_LEAF_FREE, pa), "case %d: pid 2's mapping", c);
      cr_assert_eq(r.nproblems, 2, "case %d: %lu problems", c, (unsigned long)r.nproblems);
    }
    machine_free(m);
    m = NULL;
  }
}
