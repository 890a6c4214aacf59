// usertrap's page-fault path: the stock kill's words, the cow lab's reference counts
// through fork, copies and failures, the lazy lab's and 2025's lazy pages, --demand.
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sv39sim/tools/check.h"
#include "sv39sim/xv6/cow.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/lazy.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/trap.h"
#include "sv39sim/xv6/vm.h"

static struct machine *m;

static void fini(void) {
  machine_free(m);
  m = NULL;
}

TestSuite(trap, .fini = fini);

// A booted machine of year's edition with lab, pid 1 exec'd from a synthetic image of
// size bytes, and pid 2 its fork. Returns pid 2's slot.
static int start(int year, enum xv6_lab lab, uint64_t size) {
  struct config cfg;
  config_defaults(&cfg);
  char err[256];
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  cr_assert_eq(machine_set_edition(m, edition_of_year(year), err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(machine_set_lab(m, lab, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  int slot, pid;
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
  uint64_t len;
  uint8_t *image = exec_synthetic_image(size, &len);
  char *argv[] = {"/init"};
  struct exec_result res;
  cr_assert_eq(exec_sys_exec(m, slot, image, len, "/init", 1, argv, &res), SIM_OK);
  free(image);
  cr_assert_eq(res.ret, 1);
  cr_assert_eq(proc_fork(m, slot, &pid), SIM_OK);
  cr_assert_eq(pid, 2);
  return proc_slot(m, 2);
}

// check finds nothing wrong.
static void assert_clean(void) {
  struct check_report r;
  cr_assert_eq(check_machine(m, &r), 0);
  cr_assert_eq(r.nproblems, 0, "%s 0x%lx: %s", check_problem_name(r.problem[0].kind),
               (unsigned long)r.problem[0].pa, r.problem[0].what);
}

// The PTE of va in the process's user table.
static uint64_t pte_of(int slot, uint64_t va) {
  uint64_t pte_pa;
  cr_assert_eq(vm_walk(m, m->proc[slot].pagetable, va, 0, &pte_pa), SIM_OK);
  return vm_pte_read(m, pte_pa);
}

Test(trap, stock_kill_prints_xv6s_lines_in_each_editions_format) {
  int child = start(2020, LAB_NONE, 4096);
  struct trap_touch t;
  cr_assert_eq(trap_touch(m, child, 0x3000, ACC_W, false, &t), SIM_OK);
  cr_assert_str_eq(t.trap.msg[0], "usertrap(): unexpected scause 0x000000000000000f pid=2");
  cr_assert_str_eq(t.trap.msg[1],
                   "            sepc=0x0000000000000000 stval=0x0000000000003000");
  cr_assert_eq(m->proc[child].state, ZOMBIE);
  cr_assert_eq(m->proc[child].xstate, -1);
  cr_assert(m->proc[child].killed);
  fini();
  child = start(2024, LAB_NONE, 4096);
  cr_assert_eq(trap_touch(m, child, 0x5000, ACC_R, false, &t), SIM_OK);
  cr_assert_str_eq(t.trap.msg[0], "usertrap(): unexpected scause 0xd pid=2");
  cr_assert_str_eq(t.trap.msg[1], "            sepc=0x0 stval=0x5000");
}

Test(trap, cow_fork_shares_pages_and_one_store_copies_one) {
  int child = start(2020, LAB_COW, 8192);
  uint64_t pa = PTE2PA(pte_of(child, 0x1000));
  cr_assert_eq(cow_refcount(m, pa), 2);
  cr_assert_eq(pte_of(child, 0x1000) & (PTE_W | PTE_COW), PTE_COW);
  cr_assert_eq(pte_of(0, 0x1000) & (PTE_W | PTE_COW), PTE_COW);
  assert_clean();
  uint64_t nfree = m->kmem.nfree;
  struct trap_touch t;
  cr_assert_eq(trap_touch(m, child, 0x1008, ACC_W, false, &t), SIM_OK);
  cr_assert_eq(t.trap.action, TRAP_COW);
  cr_assert_eq(t.trap.old_pa, pa);
  cr_assert(t.ok && t.pa == t.trap.new_pa + 8);
  cr_assert_eq(t.flushes, 4);
  cr_assert_eq(m->kmem.nfree, nfree - 1);
  cr_assert_eq(cow_refcount(m, pa), 1);
  cr_assert_eq(pte_of(child, 0x1000) & (PTE_W | PTE_COW), PTE_W);
  cr_assert_eq(m->fault_per[child].cow_copies, 1);
  assert_clean();
}

// Fork under the cow lab, failing each of its kallocs in turn: -1, every count as before.
ParameterizedTestParameters(trap, cow_fork_failure_undoes_counts) {
  static int call[] = {1, 2, 3, 4, 5, 6};
  return cr_make_param_array(int, call, 6);
}

ParameterizedTest(int *call, trap, cow_fork_failure_undoes_counts) {
  start(2020, LAB_COW, 8192);
  uint64_t nfree = m->kmem.nfree;
  m->kmem.failat = (uint64_t)*call;
  int pid;
  cr_assert_eq(proc_fork(m, 0, &pid), SIM_OK);
  cr_assert_eq(pid, -1, "fork failed at kalloc %d", *call);
  cr_assert_eq(m->kmem.nfree, nfree);
  assert_clean();
}

Test(trap, cow_copy_out_of_memory_kills_and_loses_nothing) {
  int child = start(2022, LAB_COW, 8192);
  m->kmem.failat = 1;
  struct trap_touch t;
  cr_assert_eq(trap_touch(m, child, 0x0, ACC_W, false, &t), SIM_OK);
  cr_assert_eq(t.trap.action, TRAP_KILLED);
  cr_assert_eq(t.trap.msg[0][0], '\0'); // the lab's kill prints nothing
  cr_assert_eq(m->proc[child].state, ZOMBIE);
  int pid;
  bool blocked;
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  assert_clean();
}

Test(trap, lazy_pages_are_made_at_first_touch_and_by_copyin) {
  int child = start(2020, LAB_LAZY, 4096);
  int64_t ret;
  uint64_t nfree = m->kmem.nfree;
  cr_assert_eq(proc_sbrk(m, child, 3 * 4096, &ret), SIM_OK);
  cr_assert_eq(m->kmem.nfree, nfree);
  struct trap_touch t;
  cr_assert_eq(trap_touch(m, child, 0x3000, ACC_R, false, &t), SIM_OK);
  cr_assert_eq(t.trap.action, TRAP_LAZY);
  cr_assert(t.ok);
  uint8_t b[4];
  int r;
  cr_assert_eq(proc_copyin(m, child, b, 0x4000, 4, &r), SIM_OK);
  cr_assert_eq(r, 0);
  cr_assert_eq(memcmp(b, "\0\0\0\0", 4), 0);
  cr_assert_eq(m->fault_per[child].lazy_allocs, 2);
  // Past sz: the lab kills without a word.
  cr_assert_eq(trap_touch(m, child, 0x6000, ACC_W, false, &t), SIM_OK);
  cr_assert_eq(t.trap.action, TRAP_KILLED);
  cr_assert_eq(t.trap.msg[0][0], '\0');
  int pid;
  bool blocked;
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK); // uvmunmap skips 0x5000
  cr_assert_eq(m->kmem.nfree, nfree + 9);
  assert_clean();
}

Test(trap, sbrklazy_is_2025s_and_copyinstr_does_not_fault_pages_in) {
  int child = start(2025, LAB_NONE, 4096);
  int64_t ret;
  cr_assert_eq(lazy_sbrklazy(m, child, 8192, &ret), SIM_OK);
  char s[4];
  int r;
  cr_assert_eq(proc_copyinstr(m, child, s, m->proc[child].sz - 4096, 4, &r), SIM_OK);
  cr_assert_eq(r, -1);
  cr_assert_eq(lazy_sbrklazy(m, child, 0x7fffffff, &ret), SIM_OK);
  cr_assert_eq(lazy_sbrklazy(m, child, 0x7fffffff, &ret), SIM_OK);
  for (int i = 0; i < 200 && ret >= 0; i++)
    lazy_sbrklazy(m, child, 0x7fffffff, &ret);
  cr_assert_eq(ret, -1, "sz may not pass TRAPFRAME");
  cr_assert_leq(m->proc[child].sz, TRAPFRAME);
}

Test(trap, demand_pages_are_freed_before_freewalk) {
  int child = start(2020, LAB_NONE, 4096);
  uint64_t nfree = m->kmem.nfree;
  struct trap_touch t;
  cr_assert_eq(trap_touch(m, child, 0x1fff000000, ACC_W, true, &t), SIM_OK);
  cr_assert_eq(t.trap.action, TRAP_DEMAND);
  cr_assert(t.ok);
  cr_assert_eq(m->ndemand, 1);
  struct check_report r;
  cr_assert_eq(check_machine(m, &r), 0);
  cr_assert_eq(r.count[CHECK_DEMAND], 1);
  cr_assert_eq(proc_exit(m, child, 0), SIM_OK);
  int pid;
  bool blocked;
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(m->ndemand, 0);
  cr_assert_eq(m->kmem.nfree, nfree + 9);
  assert_clean();
}
