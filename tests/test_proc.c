// The process life cycle in all three kernel page-table modes: nothing leaks, failures
// undo what xv6 undoes, per-process kernel tables hold what the lab says they hold.
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"

#define SMALL_RAM (16ULL << 20)

static struct machine *m;

static void setup(void) {
  m = NULL;
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(life, .init = setup, .fini = teardown);

static const char *const mode_name[] = {"global", "per-process", "per-process-user"};

// A booted machine in mode with pid 1 created (userinit), in the global m.
static void boot_mode(enum kpt_mode mode, uint64_t ram, bool clint) {
  struct config cfg;
  char err[128];
  config_defaults(&cfg);
  cfg.kpt = mode;
  cfg.kpt_clint = clint;
  cfg.ram_size = ram;
  machine_free(m);
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  cr_assert_eq(kvm_boot(m), SIM_OK, "boot panicked: %s", m->panic_msg);
  int slot;
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK, "userinit panicked: %s", m->panic_msg);
  cr_assert_eq(slot, 0);
}

// exec of a synthetic image of size bytes with argv; returns what exec returns.
static int run_exec(int slot, uint64_t size, int argc, char *const argv[]) {
  uint64_t len;
  uint8_t *image = exec_synthetic_image(size, &len);
  cr_assert_not_null(image);
  struct exec_result res;
  int r = exec_sys_exec(m, slot, image, len, argc > 0 ? argv[0] : "", argc, argv, &res);
  free(image);
  cr_assert_eq(r, SIM_OK, "exec panicked: %s (%s)", m->panic_msg, m->panic_detail);
  return res.ret;
}

static int fork_of(int slot) {
  int pid;
  cr_assert_eq(proc_fork(m, slot, &pid), SIM_OK, "fork panicked: %s", m->panic_msg);
  return pid;
}

// Page-table pages of a table: the root and every page a non-leaf PTE points to.
static uint64_t count_ptpages(uint64_t table, int level) {
  uint64_t n = 1;
  for (uint64_t i = 0; i < 512 && level > 0; i++) {
    uint64_t pte = vm_pte_read(m, table + 8 * i);
    if ((pte & PTE_V) && (pte & (PTE_R | PTE_W | PTE_X)) == 0)
      n += count_ptpages(PTE2PA(pte), level - 1);
  }
  return n;
}

static uint64_t ptpages_of(int slot) {
  struct proc *p = &m->proc[slot];
  uint64_t n = p->pagetable ? count_ptpages(p->pagetable, 2) : 0;
  return n + (p->kpagetable ? count_ptpages(p->kpagetable, 2) : 0);
}

// The leaf PTE for va in table, 0 when there is none.
static uint64_t leaf(uint64_t table, uint64_t va) {
  uint64_t pte_pa;
  int r = vm_walk(m, table, va, 0, &pte_pa);
  cr_assert(r == SIM_OK || r == SIM_FAIL, "walk of 0x%lx: %d", va, r);
  return r == SIM_OK ? vm_pte_read(m, pte_pa) : 0;
}

// Every leaf of a table, in va order: what vmprint shows, as (va, pte) pairs.
struct leaves {
  uint64_t n;
  uint64_t va[70000], pte[70000];
};

static void collect(uint64_t table, int level, uint64_t base, struct leaves *l) {
  for (uint64_t i = 0; i < 512; i++) {
    uint64_t pte = vm_pte_read(m, table + 8 * i);
    uint64_t va = base | (i << PXSHIFT(level));
    if ((pte & PTE_V) == 0)
      continue;
    if ((pte & (PTE_R | PTE_W | PTE_X)) == 0 && level > 0) {
      collect(PTE2PA(pte), level - 1, va, l);
    } else {
      cr_assert_lt(l->n, 70000u);
      l->va[l->n] = va;
      l->pte[l->n++] = pte;
    }
  }
}

static struct leaves *leaves_of(uint64_t table) {
  struct leaves *l = calloc(1, sizeof(*l));
  cr_assert_not_null(l);
  collect(table, 2, 0, l);
  return l;
}

// Mode 3's invariant: below PLIC the kernel table maps exactly the user pages below sz,
// with the same pa and the user flags minus U.
static void check_mirror(int slot, const char *when) {
  struct proc *p = &m->proc[slot];
  struct leaves *k = leaves_of(p->kpagetable);
  uint64_t below_plic = 0;
  for (uint64_t i = 0; i < k->n; i++) {
    if (k->va[i] >= PLIC)
      continue;
    below_plic++;
    uint64_t u = leaf(p->pagetable, k->va[i]);
    cr_assert(k->va[i] < p->sz && (u & PTE_V),
              "%s: pid %d: kernel table maps va 0x%lx that is no user page (sz 0x%lx)", when,
              p->pid, k->va[i], p->sz);
    cr_assert_eq(k->pte[i], u & ~PTE_U,
                 "%s: pid %d va 0x%lx: kernel pte 0x%lx, user pte 0x%lx", when, p->pid,
                 k->va[i], k->pte[i], u);
  }
  cr_assert_eq(below_plic, PGROUNDUP(p->sz) / PGSIZE,
               "%s: pid %d: %" PRIu64 " mirrored pages, want %" PRIu64, when, p->pid,
               below_plic, (uint64_t)(PGROUNDUP(p->sz) / PGSIZE));
  free(k);
}

// ---- random sequences ----

// xorshift64*: the same sequences on every host.
static uint64_t rng_state;
static uint64_t rnd(uint64_t n) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (rng_state * 0x2545F4914F6CDD1DULL >> 11) % n;
}

// A random live process's slot; init only when with_init. -1 when there is none.
static int pick_live(bool with_init) {
  int live[NPROC], n = 0;
  for (int i = 0; i < NPROC; i++) {
    enum procstate st = m->proc[i].state;
    if ((st == RUNNABLE || st == RUNNING) && (with_init || i != m->initproc))
      live[n++] = i;
  }
  return n ? live[rnd((uint64_t)n)] : -1;
}

static void random_op(void) {
  static char *const args[] = {"prog", "an argument", "x"};
  static const uint64_t sizes[] = {0, 4096, 5000, 8192, 65536, 3 << 20};
  static const int32_t deltas[] = {-8192, -100, 1, 4096, 65536, 300000, -300000};
  int slot, pid, ret;
  int64_t sret;
  bool blocked;
  switch (rnd(9)) {
  case 0:
  case 1:
    if ((slot = pick_live(true)) >= 0)
      fork_of(slot);
    break;
  case 2:
    if ((slot = pick_live(false)) >= 0)
      run_exec(slot, sizes[rnd(6)], (int)rnd(4), args);
    break;
  case 3:
    if ((slot = pick_live(false)) >= 0)
      cr_assert_neq(proc_sbrk(m, slot, deltas[rnd(7)], &sret), SIM_PANIC);
    break;
  case 4:
    if ((slot = pick_live(false)) >= 0)
      cr_assert_eq(proc_exit(m, slot, 0), SIM_OK);
    break;
  case 5:
    if ((slot = pick_live(false)) >= 0)
      cr_assert_eq(proc_kill(m, m->proc[slot].pid, &ret), SIM_OK);
    break;
  case 6:
    if ((slot = pick_live(true)) >= 0)
      cr_assert_eq(proc_wait(m, slot, &pid, &blocked), SIM_OK);
    break;
  case 7:
    cr_assert_eq(proc_switch(m, rnd(4) == 0 ? -1 : pick_live(true)), SIM_OK);
    break;
  default:
    m->kmem.failat = 1 + rnd(60);
    break;
  }
  cr_assert(!m->halted, "the kernel panicked: %s (%s)", m->panic_msg, m->panic_detail);
}

// Everyone but init exits; init reaps them all.
static void reap_all(void) {
  int slot, pid;
  bool blocked;
  m->kmem.failat = 0;
  while ((slot = pick_live(false)) >= 0)
    cr_assert_eq(proc_exit(m, slot, 0), SIM_OK);
  do
    cr_assert_eq(proc_wait(m, m->initproc, &pid, &blocked), SIM_OK);
  while (pid > 0);
  cr_assert(!blocked);
  cr_assert_eq(proc_switch(m, -1), SIM_OK);
}

ParameterizedTestParameters(life, random_sequences_leave_the_free_count_where_it_started) {
  static enum kpt_mode modes[] = {KPT_GLOBAL, KPT_PER_PROCESS, KPT_PER_PROCESS_USER};
  return cr_make_param_array(enum kpt_mode, modes, 3);
}

ParameterizedTest(enum kpt_mode *mode, life,
                  random_sequences_leave_the_free_count_where_it_started) {
  boot_mode(*mode, SMALL_RAM, false);
  char *const init_argv[] = {"/init"};
  cr_assert_eq(run_exec(0, 4096, 1, init_argv), 1);
  uint64_t base = m->kmem.nfree;
  rng_state = 0x9E3779B97F4A7C15ULL + (uint64_t)*mode;
  for (int seq = 0; seq < 1000; seq++) {
    int len = 1 + (int)rnd(12);
    for (int i = 0; i < len; i++)
      random_op();
    reap_all();
    cr_assert_eq(m->kmem.nfree, base, "%s, sequence %d: %lu pages free, want %lu",
                 mode_name[*mode], seq, m->kmem.nfree, base);
    for (int i = 1; i < NPROC; i++)
      cr_assert_eq(m->proc[i].state, UNUSED, "%s, sequence %d: slot %d is in use",
                   mode_name[*mode], seq, i);
  }
}

// ---- failat at every kalloc ----

// A process state that a failed operation must leave as it was.
struct snapshot {
  uint64_t nfree, ptpages;
  struct proc proc[NPROC];
};

static void take(struct snapshot *s, int slot) {
  s->nfree = m->kmem.nfree;
  s->ptpages = ptpages_of(slot);
  memcpy(s->proc, m->proc, sizeof(s->proc));
}

// After a failure: the same processes, and every page back except the page-table pages
// xv6 leaves in the failing process's tables (a failed mappages keeps what walk built).
static void check_undone(const struct snapshot *s, int slot, const char *what, uint64_t k) {
  for (int i = 0; i < NPROC; i++) {
    const struct proc *a = &s->proc[i], *b = &m->proc[i];
    if (a->state == UNUSED && b->state == UNUSED)
      continue; // a failed allocproc leaves its pid in the slot, as xv6 does
    cr_assert(a->state == b->state && a->pid == b->pid && a->sz == b->sz &&
                  a->pagetable == b->pagetable && a->kpagetable == b->kpagetable &&
                  a->parent == b->parent,
              "%s with kalloc %lu failing: slot %d changed (pid %d sz 0x%lx -> pid %d sz 0x%lx)",
              what, k, i, a->pid, a->sz, b->pid, b->sz);
  }
  uint64_t kept = ptpages_of(slot) - s->ptpages;
  cr_assert_eq(m->kmem.nfree + kept, s->nfree,
               "%s with kalloc %lu failing: %lu free + %lu kept page-table pages, want %lu",
               what, k, m->kmem.nfree, kept, s->nfree);
}

enum op { OP_FORK, OP_EXEC, OP_SBRK };
static const char *const op_name[] = {"fork", "exec", "sbrk"};

// A machine where pid 2 (slot 1) runs a 12 KiB image; the operation under test is then
// done by pid 2. Returns what it returned.
static int64_t prepare_and_run(enum kpt_mode mode, enum op op, uint64_t k) {
  static char *const argv[] = {"echo", "hello"};
  boot_mode(mode, SMALL_RAM, false);
  cr_assert_eq(fork_of(0), 2);
  cr_assert_eq(run_exec(1, 12288, 2, argv), 2);
  struct snapshot before;
  take(&before, 1);
  uint64_t nkalloc = m->kmem.nkalloc;
  m->kmem.failat = k;
  int64_t ret = 0;
  switch (op) {
  case OP_FORK: ret = fork_of(1); break;
  case OP_EXEC: ret = run_exec(1, 0x3000 + 0x200000, 2, argv); break;
  case OP_SBRK:
    cr_assert_eq(proc_sbrk(m, 1, 0x200000, &ret), k == 0 ? SIM_OK : SIM_FAIL);
    break;
  }
  cr_assert(!m->halted, "%s panicked: %s", op_name[op], m->panic_msg);
  if (k == 0)
    return (int64_t)(m->kmem.nkalloc - nkalloc); // the number of kallocs it made
  cr_assert_eq(ret, -1, "%s, %s, kalloc %lu failing: returned %ld, want -1",
               mode_name[mode], op_name[op], k, ret);
  check_undone(&before, 1, op_name[op], k);
  if (mode == KPT_PER_PROCESS_USER)
    check_mirror(1, op_name[op]);
  return ret;
}

ParameterizedTestParameters(life, each_failing_kalloc_undoes_fork_exec_and_sbrk) {
  static int cases[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  return cr_make_param_array(int, cases, 9);
}

ParameterizedTest(int *c, life, each_failing_kalloc_undoes_fork_exec_and_sbrk) {
  enum kpt_mode mode = (enum kpt_mode)(*c / 3);
  enum op op = (enum op)(*c % 3);
  int64_t n = prepare_and_run(mode, op, 0);
  cr_assert_gt(n, 0, "%s made no kalloc", op_name[op]);
  for (uint64_t k = 1; k <= (uint64_t)n; k++)
    prepare_and_run(mode, op, k);
}

Test(life, a_failed_allocproc_still_consumes_a_pid) {
  boot_mode(KPT_PER_PROCESS, SMALL_RAM, false);
  m->kmem.failat = 1;
  cr_assert_eq(fork_of(0), -1);
  cr_assert_eq(fork_of(0), 3, "the next fork's pid: xv6's allocpid ran for the failed one");
}

// A booted machine in mode without any process, in the global m.
static void boot_only(enum kpt_mode mode) {
  struct config cfg;
  char err[128];
  config_defaults(&cfg);
  cfg.kpt = mode;
  cfg.ram_size = SMALL_RAM;
  machine_free(m);
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  cr_assert_eq(kvm_boot(m), SIM_OK);
}

Test(life, userinit_panics_when_any_of_its_kallocs_fails) {
  for (int mode = 0; mode < 3; mode++) {
    int slot;
    boot_only((enum kpt_mode)mode);
    uint64_t before = m->kmem.nkalloc;
    cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
    uint64_t n = m->kmem.nkalloc - before;
    // trapframe, 3 for the user table, initcode's page and its 2 page-table pages; the
    // lab adds its kernel table and stack, and mode 3 one page-table page for the mirror.
    cr_assert_geq(n, 7u, "%s: userinit made %lu kallocs", mode_name[mode], n);
    for (uint64_t k = 1; k <= n; k++) {
      boot_only((enum kpt_mode)mode);
      m->kmem.failat = k;
      cr_assert_eq(proc_userinit(m, &slot), SIM_PANIC, "%s, kalloc %lu of %lu failing",
                   mode_name[mode], k, n);
      // The last kallocs: uvminit's two page-table pages (then the mirror's one).
      uint64_t mirror = mode == KPT_PER_PROCESS_USER ? 1 : 0;
      const char *want = k + mirror + 2 <= n ? "kerneltrap"
                         : k + mirror <= n   ? "init exiting"
                                             : "kvmmap";
      cr_assert_str_eq(m->panic_msg, want,
                       "%s, kalloc %lu of %lu failing", mode_name[mode], k, n);
    }
  }
}

// ---- per-process kernel tables ----

static void check_kernel_table(int slot, bool clint) {
  struct proc *p = &m->proc[slot];
  for (int i = 0; i < NPROC; i++) {
    uint64_t pte = leaf(p->kpagetable, edition_kstack(m->cfg.edition, i));
    if (i == slot)
      cr_assert_eq(pte, PA2PTE(p->kstack_pa) | PTE_R | PTE_W | PTE_V,
                   "pid %d: its own stack: pte 0x%lx", p->pid, pte);
    else
      cr_assert_eq(pte & PTE_V, 0, "pid %d maps the stack of slot %d", p->pid, i);
  }
  struct leaves *g = leaves_of(m->kernel_pagetable);
  struct leaves *k = leaves_of(p->kpagetable);
  uint64_t found = 0;
  for (uint64_t i = 0; i < g->n; i++) {
    bool is_clint = g->va[i] >= CLINT && g->va[i] < CLINT + CLINT_SIZE;
    uint64_t pte = leaf(p->kpagetable, g->va[i]);
    if (is_clint && !clint) {
      cr_assert_eq(pte & PTE_V, 0, "pid %d maps CLINT 0x%lx", p->pid, g->va[i]);
      continue;
    }
    cr_assert_eq(pte, g->pte[i], "pid %d va 0x%lx: pte 0x%lx, the kernel's 0x%lx", p->pid,
                 g->va[i], pte, g->pte[i]);
    found++;
  }
  // Nothing else but the stack and (mode 3) the user pages.
  uint64_t user = m->cfg.kpt == KPT_PER_PROCESS_USER ? PGROUNDUP(p->sz) / PGSIZE : 0;
  cr_assert_eq(k->n, found + 1 + user, "pid %d: %lu leaves, want %lu + 1 + %lu", p->pid, k->n,
               found, user);
  free(g);
  free(k);
}

ParameterizedTestParameters(life, per_process_tables_map_their_own_stack_and_the_kernel) {
  static int cases[] = {0, 1, 2};
  return cr_make_param_array(int, cases, 3);
}

ParameterizedTest(int *c, life, per_process_tables_map_their_own_stack_and_the_kernel) {
  enum kpt_mode mode = *c == 0 ? KPT_PER_PROCESS : KPT_PER_PROCESS_USER;
  bool clint = *c != 1;
  boot_mode(mode, SMALL_RAM, *c == 2);
  uint64_t before = m->kmem.nfree;
  for (int i = 0; i < 4; i++)
    fork_of(i == 3 ? 1 : 0);
  for (int slot = 0; slot < 5; slot++)
    check_kernel_table(slot, clint);
  struct leaves *g = leaves_of(m->kernel_pagetable);
  for (uint64_t i = 0; i < g->n; i++)
    cr_assert(g->va[i] < edition_kstack(m->cfg.edition, NPROC - 1) || g->va[i] >= TRAMPOLINE,
              "the global table maps a kernel stack at 0x%lx", g->va[i]);
  free(g);
  cr_assert_eq(proc_exit(m, 1, 0), SIM_OK);
  for (int slot = 2; slot < 5; slot++)
    cr_assert_eq(proc_exit(m, slot, 0), SIM_OK);
  int pid;
  bool blocked;
  for (int i = 0; i < 4; i++)
    cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(m->kmem.nfree, before, "after wait: %lu free, want %lu", m->kmem.nfree, before);
}

Test(life, switch_loads_the_process_kernel_table_only_in_the_lab_modes) {
  for (int mode = 0; mode < 3; mode++) {
    boot_mode((enum kpt_mode)mode, SMALL_RAM, false);
    uint64_t global = MAKE_SATP(m->kernel_pagetable);
    cr_assert_eq(proc_switch(m, 0), SIM_OK);
    uint64_t want = mode == KPT_GLOBAL ? global : MAKE_SATP(m->proc[0].kpagetable);
    cr_assert_eq(m->hw.hart.satp, want, "%s: satp 0x%lx, want 0x%lx", mode_name[mode],
                 m->hw.hart.satp, want);
    cr_assert_eq(m->current, 0);
    cr_assert_eq(m->proc[0].state, RUNNING);
    cr_assert_eq(proc_switch(m, -1), SIM_OK);
    cr_assert_eq(m->hw.hart.satp, global, "%s: idle satp 0x%lx", mode_name[mode], m->hw.hart.satp);
    cr_assert_eq(m->proc[0].state, RUNNABLE);
  }
}

// ---- mode 3: the mirror ----

Test(life, the_mirror_follows_userinit_fork_exec_and_sbrk) {
  static char *const argv[] = {"sh"};
  int64_t ret;
  boot_mode(KPT_PER_PROCESS_USER, SMALL_RAM, false);
  check_mirror(0, "userinit");
  cr_assert_eq(fork_of(0), 2);
  check_mirror(0, "fork (parent)");
  check_mirror(1, "fork");
  cr_assert_eq(run_exec(1, 0x5000, 1, argv), 1);
  check_mirror(1, "exec");
  cr_assert_eq(proc_sbrk(m, 1, 0x201000, &ret), SIM_OK);
  cr_assert_eq(ret, 0x7000);
  check_mirror(1, "sbrk grow");
  cr_assert_eq(proc_sbrk(m, 1, -0x202800, &ret), SIM_OK);
  cr_assert_eq(m->proc[1].sz, 0x5800);
  check_mirror(1, "sbrk shrink");
  cr_assert_eq(fork_of(1), 3);
  check_mirror(2, "fork of a shrunk process");
  cr_assert_eq(run_exec(2, 0x1000, 1, argv), 1);
  check_mirror(2, "exec to a smaller image");
}

Test(life, user_memory_may_not_reach_plic_in_mode_3) {
  static char *const argv[] = {"big"};
  int64_t ret;
  boot_mode(KPT_PER_PROCESS_USER, SMALL_RAM, false);
  uint64_t before = m->kmem.nfree;
  uint64_t sz = m->proc[0].sz;
  cr_assert_eq(proc_sbrk(m, 0, (int32_t)(PLIC - sz), &ret), SIM_FAIL);
  cr_assert_eq(ret, -1, "sbrk to PLIC returned %ld", ret);
  cr_assert_eq(m->kmem.nfree, before, "a refused sbrk allocated %lu pages",
               before - m->kmem.nfree);
  cr_assert_eq(run_exec(0, PLIC, 1, argv), -1, "exec of an image up to PLIC");
  cr_assert_eq(m->kmem.nfree, before);
}

Test(life, growing_over_a_kept_clint_panics_remap) {
  int64_t ret;
  boot_mode(KPT_PER_PROCESS_USER, 64ULL << 20, true);
  cr_assert_eq(proc_sbrk(m, 0, (int32_t)(CLINT - m->proc[0].sz), &ret), SIM_OK);
  cr_assert_eq(ret, 0x1000, "growing up to CLINT is fine");
  cr_assert_eq(proc_sbrk(m, 0, 1, &ret), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "remap");
}

// ---- copyin ----

ParameterizedTestParameters(life, copyin_across_two_pages_reads_the_same_bytes_in_every_mode) {
  static enum kpt_mode modes[] = {KPT_GLOBAL, KPT_PER_PROCESS, KPT_PER_PROCESS_USER};
  return cr_make_param_array(enum kpt_mode, modes, 3);
}

ParameterizedTest(enum kpt_mode *mode, life,
                  copyin_across_two_pages_reads_the_same_bytes_in_every_mode) {
  static char *const argv[] = {"cat"};
  static const char text[] = "a string across a page boundary";
  uint8_t pattern[40], got[40];
  char str[64];
  int ret;
  boot_mode(*mode, SMALL_RAM, false);
  cr_assert_eq(fork_of(0), 2);
  cr_assert_eq(run_exec(1, 0x3000, 1, argv), 1);
  for (int i = 0; i < 40; i++)
    pattern[i] = (uint8_t)(0xa0 + i);
  cr_assert_eq(vm_copyout(m, m->proc[1].pagetable, 0x1000 - 20, pattern, 40), SIM_OK);
  cr_assert_eq(vm_copyout(m, m->proc[1].pagetable, 0x2000 - 9, text, sizeof(text)), SIM_OK);
  cr_assert_eq(proc_copyin(m, 1, got, 0x1000 - 20, 40, &ret), SIM_OK);
  cr_assert_eq(ret, 0, "%s: copyin returned %d", mode_name[*mode], ret);
  cr_assert_arr_eq(got, pattern, 40, "%s: copyin read other bytes", mode_name[*mode]);
  cr_assert_eq(proc_copyinstr(m, 1, str, 0x2000 - 9, sizeof(str), &ret), SIM_OK);
  cr_assert_eq(ret, 0, "%s: copyinstr returned %d", mode_name[*mode], ret);
  cr_assert_str_eq(str, text, "%s", mode_name[*mode]);
  uint64_t counted = *mode == KPT_PER_PROCESS_USER ? 1 : 0;
  cr_assert_eq(m->stats.ncopyin, counted, "copyin_new calls: %lu", m->stats.ncopyin);
  cr_assert_eq(m->stats.ncopyinstr, counted, "copyinstr_new calls: %lu",
               m->stats.ncopyinstr);
}

Test(life, copyin_new_refuses_a_copy_that_ends_at_sz_as_the_lab_does) {
  uint8_t buf[16];
  int ret;
  boot_mode(KPT_PER_PROCESS_USER, SMALL_RAM, false);
  cr_assert_eq(proc_copyin(m, 0, buf, PGSIZE - 16, 16, &ret), SIM_OK);
  cr_assert_eq(ret, -1, "srcva + len == sz: copyin_new returned %d", ret);
  cr_assert_eq(proc_copyin(m, 0, buf, PGSIZE - 17, 16, &ret), SIM_OK);
  cr_assert_eq(ret, 0);
  cr_assert_eq(m->stats.ncopyin, 1, "only the successful call counts");
}

// ---- fork ----

Test(life, fork_copies_the_parent_shape_into_pages_taken_in_xv6_order) {
  boot_mode(KPT_GLOBAL, SMALL_RAM, false);
  uint64_t head = m->kmem.freelist; // nothing was freed since kinit: the list descends
  struct leaves *pl = leaves_of(m->proc[0].pagetable);
  cr_assert_eq(fork_of(0), 2);
  struct proc *c = &m->proc[1];
  struct leaves *cl = leaves_of(c->pagetable);
  cr_assert_eq(cl->n, pl->n);
  for (uint64_t i = 0; i < pl->n; i++) {
    cr_assert_eq(cl->va[i], pl->va[i]);
    cr_assert_eq(PTE_FLAGS(cl->pte[i]), PTE_FLAGS(pl->pte[i]), "va 0x%lx", pl->va[i]);
  }
  // allocproc: trapframe, then proc_pagetable's root, level-1 and level-0 for the
  // trampoline; uvmcopy: the copy of page 0, then walk's level-1 and level-0 for va 0.
  cr_assert_eq(c->trapframe, head);
  cr_assert_eq(c->pagetable, head - PGSIZE);
  cr_assert_eq(PTE2PA(leaf(c->pagetable, 0)), head - 4 * PGSIZE, "child's page 0 at 0x%lx",
               PTE2PA(leaf(c->pagetable, 0)));
  cr_assert_eq(PTE2PA(vm_pte_read(m, c->pagetable)), head - 5 * PGSIZE);
  cr_assert_eq(m->kmem.freelist, head - 7 * PGSIZE);
  free(pl);
  free(cl);
}

Test(life, exit_gives_children_to_init_and_wait_reaps_in_slot_order) {
  int pid;
  bool blocked;
  boot_mode(KPT_GLOBAL, SMALL_RAM, false);
  cr_assert_eq(fork_of(0), 2);
  cr_assert_eq(fork_of(1), 3);
  cr_assert_eq(fork_of(1), 4);
  cr_assert_eq(proc_wait(m, 1, &pid, &blocked), SIM_OK);
  cr_assert(blocked && pid == -1, "pid 2 with live children would sleep");
  cr_assert_eq(proc_exit(m, 3, 7), SIM_OK);
  cr_assert_eq(proc_exit(m, 1, 0), SIM_OK);
  cr_assert_eq(m->proc[2].parent, 0, "pid 3 went to init");
  cr_assert_eq(m->proc[3].parent, 0, "pid 4 went to init");
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(pid, 2, "slot order: pid 2 first, got %d", pid);
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(pid, 4);
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert(blocked, "pid 3 is still alive");
  cr_assert_eq(proc_kill(m, 3, &pid), SIM_OK);
  cr_assert_eq(m->proc[2].state, ZOMBIE);
  cr_assert_eq(m->proc[2].xstate, -1);
  cr_assert_eq(proc_exit(m, 0, 0), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "init exiting");
}

// The lab's scheduler follows its satp write with sfence.vma, so nothing translated with
// the global table survives the switch; global mode writes no satp and flushes nothing.
Test(life, switch_flushes_the_tlb_only_when_it_writes_satp) {
  for (int mode = KPT_GLOBAL; mode <= KPT_PER_PROCESS_USER; mode++) {
    boot_mode((enum kpt_mode)mode, 128ULL << 20, false);
    uint64_t pa;
    struct fault f;
    cr_assert_eq(mmu_translate(&m->hw, KERNBASE + 0x1000, ACC_R, &pa, &f, NULL), 0);
    cr_assert_eq(pa, KERNBASE + 0x1000);
    cr_assert_not_null(tlb_lookup(&m->hw.tlb, KERNBASE + 0x1000, 0), "%s: not cached",
                       mode_name[mode]);
    uint64_t flushes = m->hw.tlb.total.flushes;
    cr_assert_eq(proc_switch(m, 0), SIM_OK);
    bool kept = tlb_lookup(&m->hw.tlb, KERNBASE + 0x1000, 0) != NULL;
    cr_assert_eq(kept, mode == KPT_GLOBAL, "%s: entry %s the switch", mode_name[mode],
                 kept ? "survived" : "was flushed by");
    cr_assert_eq(m->hw.tlb.total.flushes, flushes + (mode == KPT_GLOBAL ? 0 : 1), "%s",
                 mode_name[mode]);
  }
}

// A slot's TLB counts belong to the process allocproc last put there: they stay after the
// process is reaped (its row in 'tlb stats'), also through an allocproc that fails, and
// start afresh when allocproc gives the slot to a new process, before it translates.
Test(life, tlb_counts_of_a_slot_start_afresh_when_allocproc_gives_it_a_new_pid) {
  boot_mode(KPT_GLOBAL, SMALL_RAM, false);
  cr_assert_eq(fork_of(0), 2);
  cr_assert_eq(m->tlb_pid[1], 2);
  cr_assert_eq(proc_switch(m, 1), SIM_OK);
  uint64_t pa;
  struct fault f;
  for (int i = 0; i < 2; i++)
    cr_assert_eq(mmu_translate(&m->hw, KERNBASE + 0x1000, ACC_R, &pa, &f, NULL), 0);
  cr_assert(m->tlb_per[1].misses == 1 && m->tlb_per[1].hits == 1,
            "pid 2: %" PRIu64 " misses, %" PRIu64 " hits", m->tlb_per[1].misses,
            m->tlb_per[1].hits);
  int pid;
  bool blocked;
  cr_assert_eq(proc_exit(m, 1, 0), SIM_OK);
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(pid, 2);
  cr_assert(m->tlb_pid[1] == 2 && m->tlb_per[1].misses == 1 && m->tlb_per[1].hits == 1,
            "pid 2's counts outlive it until slot 1 is given again");
  m->kmem.failat = 1; // the trapframe: pid 3 is used up, slot 1 stays free
  cr_assert_eq(fork_of(0), -1);
  cr_assert(m->tlb_pid[1] == 2 && m->tlb_per[1].misses == 1,
            "a failed allocproc took pid 2's counts");
  uint64_t hits = m->hw.tlb.total.hits, misses = m->hw.tlb.total.misses;
  cr_assert_eq(fork_of(0), 4);
  cr_assert_eq(m->tlb_pid[1], 4);
  cr_assert(m->tlb_per[1].misses == 0 && m->tlb_per[1].hits == 0 &&
                m->tlb_per[1].flushes == 0 && m->tlb_per[1].evictions == 0,
            "pid 4 inherited pid 2's counts");
  cr_assert(m->hw.tlb.total.hits == hits && m->hw.tlb.total.misses == misses,
            "the totals do not restart");
}

Test(life, fork_copies_the_trapframe_struct_and_returns_0_in_the_child) {
  boot_mode(KPT_GLOBAL, SMALL_RAM, false);
  cr_assert_eq(fork_of(0), 2);
  uint64_t ptf = m->proc[0].trapframe, ctf = m->proc[1].trapframe, v;
  ram_load(&m->hw.ram, ctf + TF_SP, 8, &v);
  cr_assert_eq(v, PGSIZE, "the child's sp is the parent's");
  ram_load(&m->hw.ram, ctf + TF_A0, 8, &v);
  cr_assert_eq(v, 0, "fork returns 0 in the child");
  ram_load(&m->hw.ram, ptf + TF_A0, 8, &v);
  cr_assert_eq(v, 2, "and the child's pid in the parent");
  ram_store(&m->hw.ram, ptf + TRAPFRAME_SIZE, 8, 0x1234);
  cr_assert_eq(fork_of(0), 3);
  ram_load(&m->hw.ram, m->proc[2].trapframe + TRAPFRAME_SIZE, 8, &v);
  cr_assert_eq(v, 0x0505050505050505ULL, "bytes past the struct are not copied: 0x%lx", v);
}

// fork copies each user page into the child's own page of the arena; a store to either
// side is seen by that side alone.
Test(life, after_fork_stores_by_parent_and_child_stay_their_own) {
  boot_mode(KPT_GLOBAL, SMALL_RAM, false);
  int64_t old;
  cr_assert_eq(proc_sbrk(m, 0, 3 * PGSIZE, &old), SIM_OK);
  uint64_t sz = m->proc[0].sz;
  for (uint64_t va = 0; va < sz; va += PGSIZE)
    ram_store(&m->hw.ram, PTE2PA(leaf(m->proc[0].pagetable, va)) + 64, 8, 0x1000 + va);
  uint64_t before = m->hw.ram.materialised;
  cr_assert_eq(fork_of(0), 2);
  uint64_t ppt = m->proc[0].pagetable, cpt = m->proc[1].pagetable, v;
  // The child's trapframe, its root, the level-1 and level-0 tables of the trampoline and
  // of va 0 (6), and the 4 copied user pages: 10.
  cr_assert_eq(m->hw.ram.materialised - before, 10, "fork materialised %lu host pages",
               m->hw.ram.materialised - before);
  ram_store(&m->hw.ram, PTE2PA(leaf(ppt, 0)) + 64, 8, 0xaaaa);
  ram_store(&m->hw.ram, PTE2PA(leaf(cpt, PGSIZE)) + 64, 8, 0xbbbb);
  const uint64_t want_parent[] = {0xaaaa, 0x2000, 0x3000, 0x4000};
  const uint64_t want_child[] = {0x1000, 0xbbbb, 0x3000, 0x4000};
  for (uint64_t i = 0; i < 4; i++) {
    ram_load(&m->hw.ram, PTE2PA(leaf(ppt, i * PGSIZE)) + 64, 8, &v);
    cr_assert_eq(v, want_parent[i], "parent page %lu reads 0x%lx, want 0x%lx", i, v,
                 want_parent[i]);
    ram_load(&m->hw.ram, PTE2PA(leaf(cpt, i * PGSIZE)) + 64, 8, &v);
    cr_assert_eq(v, want_child[i], "child page %lu reads 0x%lx, want 0x%lx", i, v,
                 want_child[i]);
  }
  // The child exits and is reaped: its pages are free junk, the parent's unchanged.
  uint64_t child_page2 = PTE2PA(leaf(cpt, 2 * PGSIZE));
  int pid;
  bool blocked;
  cr_assert_eq(proc_exit(m, 1, 0), SIM_OK);
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(pid, 2);
  ram_load(&m->hw.ram, child_page2 + 64, 8, &v);
  cr_assert_eq(v, 0x0101010101010101ULL, "the child's freed page reads 0x%lx", v);
  ram_load(&m->hw.ram, PTE2PA(leaf(ppt, 2 * PGSIZE)) + 64, 8, &v);
  cr_assert_eq(v, 0x3000, "the parent's page reads 0x%lx", v);
}

// enum sim_status's convention: allocproc's 0 is SIM_FAIL, whatever made it fail, with
// every page it took given back.
Test(life, allocproc_returns_sim_fail_out_of_memory_with_nothing_leaked) {
  for (int mode = 0; mode < 3; mode++) {
    // trapframe, proc_pagetable's 3 pages, then in the lab modes the kernel copy's
    // root and its tables, then the stack: fail each in turn.
    for (uint64_t k = 1; k <= 6; k++) {
      boot_only((enum kpt_mode)mode);
      uint64_t before = m->kmem.nfree;
      m->kmem.failat = k;
      int slot;
      int r = proc_allocproc(m, &slot);
      if (r == SIM_OK) {
        cr_assert(mode == KPT_GLOBAL && k > 4, "%s: kalloc %lu failed unseen",
                  mode_name[mode], (unsigned long)k);
        continue;
      }
      cr_assert_eq(r, SIM_FAIL, "%s, kalloc %lu: %d (%s)", mode_name[mode],
                   (unsigned long)k, r, m->panic_msg);
      cr_assert_eq(m->kmem.nfree, before, "%s, kalloc %lu: leaked %ld pages",
                   mode_name[mode], (unsigned long)k, (long)(before - m->kmem.nfree));
      cr_assert_eq(m->proc[0].state, UNUSED);
    }
  }
}

Test(life, allocproc_returns_sim_fail_when_every_slot_is_taken) {
  boot_only(KPT_GLOBAL);
  int slot;
  for (int i = 0; i < NPROC; i++) {
    cr_assert_eq(proc_allocproc(m, &slot), SIM_OK);
    cr_assert_eq(slot, i);
  }
  uint64_t before = m->kmem.nfree;
  cr_assert_eq(proc_allocproc(m, &slot), SIM_FAIL);
  cr_assert_eq(m->kmem.nfree, before, "no slot, no kalloc");
  cr_assert(!m->halted);
}

Test(life, kvmcreate_and_proc_pagetable_return_sim_fail_out_of_memory) {
  boot_only(KPT_PER_PROCESS);
  uint64_t before = m->kmem.nfree, pt;
  for (uint64_t k = 1; k <= 3; k++) {
    m->kmem.failat = k;
    cr_assert_eq(kvm_kvmcreate(m, &pt), SIM_FAIL, "kalloc %lu", (unsigned long)k);
    cr_assert_eq(m->kmem.nfree, before, "kvmcreate, kalloc %lu", (unsigned long)k);
    m->kmem.failat = k;
    cr_assert_eq(proc_pagetable(m, 0, &pt), SIM_FAIL, "kalloc %lu", (unsigned long)k);
    cr_assert_eq(m->kmem.nfree, before, "proc_pagetable, kalloc %lu", (unsigned long)k);
  }
  m->kmem.failat = 0;
  cr_assert_eq(kvm_kvmcreate(m, &pt), SIM_OK);
  uint64_t want = count_ptpages(m->kernel_pagetable, 2);
  cr_assert_eq(before - m->kmem.nfree, want, "a whole copy is kvminit's %lu pages: %lu",
               (unsigned long)want, (unsigned long)(before - m->kmem.nfree));
}

// ---- the lab solutions' shapes (mode's clint|noclint and kstack=...) ----

// Case c of the twelve: mode 2 or 3, each kernel-stack shape, CLINT in or out.
struct shape {
  enum kpt_mode mode;
  enum kpt_kstack kstack;
  enum kpt_clint clint;
};

static struct shape shape_of(int c) {
  return (struct shape){c / 6 == 0 ? KPT_PER_PROCESS : KPT_PER_PROCESS_USER,
                        (enum kpt_kstack)(c / 2 % 3), c % 2 ? KPT_CLINT_OUT : KPT_CLINT_IN};
}

ParameterizedTestParameters(life, each_shape_maps_and_frees_exactly_the_stacks_it_names) {
  static int cases[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  return cr_make_param_array(int, cases, 12);
}

// Boot costs 64 more pages with procinit's stacks; each process's copy maps its stack at
// KSTACK(slot) (KSTACK(0) for zero), procinit's page or its own; CLINT as chosen; fork
// takes one page fewer with procinit's stacks; wait gives back all the child took.
ParameterizedTest(int *c, life, each_shape_maps_and_frees_exactly_the_stacks_it_names) {
  struct shape s = shape_of(*c);
  struct config cfg;
  char err[128];
  config_defaults(&cfg);
  cfg.kpt = s.mode;
  cfg.kpt_kstack = s.kstack;
  cfg.kpt_clint = s.clint;
  cfg.ram_size = SMALL_RAM;
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  cr_assert_eq(kvm_boot(m), SIM_OK, "boot: %s", m->panic_msg);
  uint64_t kvminit = 1 + 2 + 1 + 2 + 1 + SMALL_RAM / (2 << 20) + 2;
  bool boot = s.kstack == KPT_KSTACK_PROCINIT;
  uint64_t pool = (KERNBASE + SMALL_RAM - PGROUNDUP(m->cfg.end)) / PGSIZE;
  cr_assert_eq(m->kmem.nfree, pool - kvminit - (boot ? NPROC : 0), "case %d: boot", *c);
  int slot;
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK, "userinit: %s", m->panic_msg);
  uint64_t before = m->kmem.nfree;
  fork_of(0);
  // The trapframe, the user table (3), initcode's copy with its two tables (3), the
  // kernel-table copy (kvminit's pages, CLINT's level-0 only when in), the stack's page
  // unless procinit's, and in mode 3 the mirror's level-0 table.
  uint64_t copy = kvminit - (s.clint == KPT_CLINT_OUT ? 1 : 0);
  uint64_t want = 1 + 3 + 3 + copy + (boot ? 0 : 1) + (s.mode == KPT_PER_PROCESS_USER);
  cr_assert_eq(before - m->kmem.nfree, want, "case %d: fork took %lu pages, want %lu", *c,
               before - m->kmem.nfree, want);
  for (int i = 0; i < 2; i++) {
    struct proc *p = &m->proc[i];
    uint64_t va = edition_kstack(m->cfg.edition, s.kstack == KPT_KSTACK_ZERO ? 0 : i);
    cr_assert_eq(p->kstack, va, "case %d, slot %d: kstack 0x%lx", *c, i, p->kstack);
    uint64_t pa = boot ? PTE2PA(leaf(m->kernel_pagetable, va)) : p->kstack_pa;
    cr_assert(boot ? p->kstack_pa == 0 : pa != 0, "case %d, slot %d: kstack_pa", *c, i);
    cr_assert_eq(leaf(p->kpagetable, va), PA2PTE(pa) | PTE_R | PTE_W | PTE_V,
                 "case %d, slot %d: the stack's PTE", *c, i);
    uint64_t other = edition_kstack(m->cfg.edition, va == edition_kstack(m->cfg.edition, 0));
    cr_assert_eq(leaf(p->kpagetable, other) & PTE_V, 0, "case %d, slot %d: another stack", *c,
                 i);
    bool has_clint = leaf(p->kpagetable, CLINT) != 0;
    cr_assert_eq(has_clint, s.clint == KPT_CLINT_IN, "case %d, slot %d: CLINT", *c, i);
  }
  // The global table keeps procinit's stacks in that shape only.
  cr_assert_eq(leaf(m->kernel_pagetable, edition_kstack(m->cfg.edition, 1)) != 0, boot);
  cr_assert_eq(proc_exit(m, 1, 0), SIM_OK);
  int pid;
  bool blocked;
  cr_assert_eq(proc_wait(m, 0, &pid, &blocked), SIM_OK);
  cr_assert_eq(pid, 2);
  cr_assert_eq(m->kmem.nfree, before, "case %d: after wait %lu free, want %lu", *c,
               m->kmem.nfree, before);
}
