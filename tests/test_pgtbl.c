// The page-table lab of 2021-2025 (lab pgtbl): the USYSCALL page's life and failure path,
// pgaccess's limits, and the superpages' fallback, copy, demotion and its failure, each
// leaving the checker nothing to find.
#include <criterion/criterion.h>
#include <stdlib.h>

#include "sv39sim/tools/check.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/pgtbl.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/superpage.h"
#include "sv39sim/xv6/vm.h"
#include "sv39sim/sv39.h"

static struct machine *m;

static void setup(void) {
  m = NULL;
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(pgtbl, .init = setup, .fini = teardown);

// A booted machine of edition year with lab pgtbl (superpages regions) and pid 1.
static void boot_lab(int year, uint64_t superpages) {
  struct config cfg;
  char err[128];
  config_defaults(&cfg);
  cfg.edition = edition_of_year(year);
  cfg.etext = cfg.edition->etext;
  cfg.end = cfg.edition->end;
  cfg.trampoline = cfg.edition->trampoline;
  cfg.lab = LAB_PGTBL;
  cfg.superpages = superpages;
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  cr_assert_eq(kvm_boot(m), SIM_OK, "boot panicked: %s", m->panic_msg);
  int slot;
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK, "userinit panicked: %s", m->panic_msg);
}

// The checker finds no problem.
static void assert_consistent(void) {
  struct check_report r;
  cr_assert_eq(check_machine(m, &r), 0);
  cr_assert_eq(r.nproblems, 0, "%s at 0x%lx: %s", check_problem_name(r.problem[0].kind),
               (unsigned long)r.problem[0].pa, r.problem[0].what);
}

// exec of a synthetic image of size bytes into slot; returns exec's return value.
static int run_exec(int slot, uint64_t size) {
  uint64_t len;
  uint8_t *image = exec_synthetic_image(size, &len);
  cr_assert_not_null(image);
  char *argv[] = {"x"};
  struct exec_result res;
  int r = exec_sys_exec(m, slot, image, len, "x", 1, argv, &res);
  free(image);
  cr_assert_eq(r, SIM_OK, "exec panicked: %s (%s)", m->panic_msg, m->panic_detail);
  return res.ret;
}

Test(pgtbl, usyscall_holds_the_pid_and_is_mapped_r_u) {
  boot_lab(2021, 0);
  struct proc *p = &m->proc[0];
  cr_assert_neq(p->usyscall, 0);
  cr_assert_eq(p->usyscall, p->trapframe - PGSIZE, "kalloc'd right after the trapframe");
  uint64_t pid = 0;
  ram_load(&m->hw.ram, p->usyscall, 4, &pid);
  cr_assert_eq(pid, 1);
  uint64_t pte_pa;
  cr_assert_eq(vm_walk(m, p->pagetable, USYSCALL, 0, &pte_pa), SIM_OK);
  cr_assert_eq(vm_pte_read(m, pte_pa), PA2PTE(p->usyscall) | PTE_R | PTE_U | PTE_V);
  assert_consistent();
}

Test(pgtbl, a_failed_usyscall_kalloc_frees_the_trapframe) {
  boot_lab(2022, 0);
  uint64_t nfree = m->kmem.nfree, head = m->kmem.freelist;
  m->kmem.failat = 2; // the trapframe succeeds, the USYSCALL page fails
  int pid;
  cr_assert_eq(proc_fork(m, 0, &pid), SIM_OK);
  cr_assert_eq(pid, -1);
  cr_assert_eq(m->kmem.nfree, nfree);
  cr_assert_eq(m->kmem.freelist, head, "the trapframe went back on top");
  assert_consistent();
}

Test(pgtbl, freeproc_frees_the_usyscall_page_after_the_trapframe) {
  boot_lab(2021, 0);
  int pid;
  cr_assert_eq(proc_fork(m, 0, &pid), SIM_OK);
  int slot = proc_slot(m, pid);
  uint64_t tf = m->proc[slot].trapframe, us = m->proc[slot].usyscall;
  cr_assert_eq(proc_exit(m, slot, 0), SIM_OK);
  bool blocked;
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  // The list is LIFO: the table's pages come after USYSCALL, which came after the
  // trapframe; walk it back to find USYSCALL right above the trapframe.
  uint64_t pa = m->kmem.freelist, prev = 0;
  while (pa != 0 && pa != tf) {
    prev = pa;
    ram_load(&m->hw.ram, pa, 8, &pa);
  }
  cr_assert_eq(pa, tf);
  cr_assert_eq(prev, us);
  assert_consistent();
}

Test(pgtbl, pgaccess_limits_and_clearing) {
  boot_lab(2023, 0);
  uint64_t mask;
  int ret;
  cr_assert_eq(pgtbl_pgaccess(m, 0, 0, PGACCESS_MAX + 1, &mask, &ret), SIM_OK);
  cr_assert_eq(ret, -1);
  cr_assert_eq(pgtbl_pgaccess(m, 0, 0, -1, &mask, &ret), SIM_OK);
  cr_assert_eq(ret, -1);
  uint64_t pte_pa;
  cr_assert_eq(vm_walk(m, m->proc[0].pagetable, 0, 0, &pte_pa), SIM_OK);
  vm_pte_write(m, pte_pa, vm_pte_read(m, pte_pa) | PTE_A | PTE_D);
  cr_assert_eq(pgtbl_pgaccess(m, 0, 0, PGACCESS_MAX, &mask, &ret), SIM_OK);
  cr_assert_eq(ret, 0);
  cr_assert_eq(mask, 1);
  cr_assert_eq(vm_pte_read(m, pte_pa) & (PTE_A | PTE_D), PTE_D, "A cleared, D kept");
  cr_assert_eq(pgtbl_pgaccess(m, 0, 0, 1, &mask, &ret), SIM_OK);
  cr_assert_eq(mask, 0);
}

Test(pgtbl, superpage_regions_come_off_kallocs_list) {
  boot_lab(2024, 3);
  cr_assert_eq(m->spmem.n, 3);
  cr_assert_eq(m->spmem.nfree, 3);
  cr_assert_eq(m->spmem.base, 0x87a00000ULL);
  cr_assert_eq(m->spmem.freelist, 0x87e00000ULL, "the highest region on top");
  cr_assert_eq(m->kernel_pagetable, 0x879ff000ULL);
  assert_consistent();
}

Test(pgtbl, no_superpages_without_the_2024_lab) {
  boot_lab(2023, 10);
  cr_assert_eq(m->spmem.n, 0);
  cr_assert_eq(m->kernel_pagetable, 0x87fff000ULL);
}

Test(pgtbl, a_growth_falls_back_to_4k_pages_when_none_is_left) {
  boot_lab(2024, 0);
  cr_assert_eq(run_exec(0, 4096), 1);
  int64_t ret;
  uint64_t nfree = m->kmem.nfree;
  cr_assert_eq(proc_sbrk(m, 0, 4 << 20, &ret), SIM_OK);
  cr_assert_eq(nfree - m->kmem.nfree, 1024 + 1 + 1, "4 MiB of pages, 2 level-0 tables");
  assert_consistent();
}

Test(pgtbl, fork_copies_a_superpage_or_fails) {
  boot_lab(2025, 2);
  cr_assert_eq(run_exec(0, 2 << 20), 1); // the image is one superpage
  int pid;
  cr_assert_eq(proc_fork(m, 0, &pid), SIM_OK);
  cr_assert_gt(pid, 0);
  cr_assert_eq(m->spmem.nfree, 0);
  uint64_t nfree = m->kmem.nfree;
  int none;
  cr_assert_eq(proc_fork(m, 0, &none), SIM_OK);
  cr_assert_eq(none, -1);
  cr_assert_eq(m->kmem.nfree, nfree, "the failed fork gave everything back");
  assert_consistent();
  int slot = proc_slot(m, pid);
  cr_assert_eq(proc_exit(m, slot, 0), SIM_OK);
  bool blocked;
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(m->spmem.nfree, 1, "freeproc superfreed the child's copy");
  assert_consistent();
}

Test(pgtbl, a_failed_demotion_changes_nothing) {
  boot_lab(2025, 1);
  cr_assert_eq(run_exec(0, 2 << 20), 1);
  uint64_t sz = m->proc[0].sz, nfree = m->kmem.nfree;
  m->kmem.failat = 3; // the level-0 table, the first kept page, then the second fails
  int64_t ret;
  cr_assert_eq(proc_sbrk(m, 0, -(int32_t)(sz - 0x2000), &ret), SIM_FAIL);
  cr_assert_eq(ret, -1);
  cr_assert_eq(m->proc[0].sz, sz);
  cr_assert_eq(m->kmem.nfree, nfree);
  cr_assert_eq(m->spmem.nfree, 0, "the superpage is still mapped");
  assert_consistent();
  cr_assert_eq(proc_sbrk(m, 0, -(int32_t)(sz - 0x2000), &ret), SIM_OK);
  cr_assert_eq(m->proc[0].sz, 0x2000);
  cr_assert_eq(m->spmem.nfree, 1);
  assert_consistent();
}

Test(pgtbl, check_finds_a_mapped_superpage_on_the_list) {
  boot_lab(2024, 2);
  cr_assert_eq(run_exec(0, 2 << 20), 1);
  struct check_report r;
  cr_assert_eq(check_machine(m, &r), 0);
  cr_assert_eq(r.count[CHECK_SUPERPAGE], 512);
  cr_assert_eq(r.count[CHECK_SUPERFREE], 512);
  // Put the mapped superpage back on the list by hand: its pages are then free and owned.
  uint64_t pte_pa;
  cr_assert_eq(vm_walk(m, m->proc[0].pagetable, 0, 0, &pte_pa), SIM_OK);
  cr_assert_eq(superpage_free(m, PTE2PA(vm_pte_read(m, pte_pa))), SIM_OK);
  cr_assert_eq(check_machine(m, &r), 0);
  cr_assert_gt(r.nproblems, 0);
  cr_assert_eq(r.problem[0].kind, CHECK_OWNED_TWICE, "%s", r.problem[0].what);
}

Test(pgtbl, check_finds_a_lost_superpage) {
  boot_lab(2024, 2);
  cr_assert_eq(superpage_alloc(m), 0x87e00000ULL); // taken, and recorded nowhere
  struct check_report r;
  cr_assert_eq(check_machine(m, &r), 0);
  cr_assert_eq(r.count[CHECK_NONE], 512);
  cr_assert_eq(r.problem[0].kind, CHECK_LEAK);
  cr_assert_eq(r.problem[0].pa, 0x87e00000ULL);
}
