// Fuzz target: the input is a trace, run line by line on a fresh machine (errors do not
// stop it; `boot` on a machine at power-on comes from a snapshot: fuzz_run_trace).
// Afterwards the consistency checker must find no problem (inputs that edit memory by
// hand aside), `reset` must give the power-on state back, and a boot after it the same free
// count and kernel table as a fresh machine's boot (for some inputs kinit alone, below).
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "sv39sim/tools/check.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/sv39.h"

// Power-on: nothing allocated or booted, no process, the hart in S-mode with satp 0, and
// RAM reading as zeros (two words of each page sampled: the free list's link and the end).
static void check_power_on(struct machine *m) {
  FUZZ_CHECK(!m->booted && !m->halted, "booted %d halted %d", m->booted, m->halted);
  FUZZ_CHECK(m->kmem.nfree == 0 && m->kmem.freelist == 0 && m->kmem.failat == 0,
             "nfree %" PRIu64 " freelist 0x%" PRIx64 " failat %" PRIu64, m->kmem.nfree,
             m->kmem.freelist, m->kmem.failat);
  FUZZ_CHECK(m->kernel_pagetable == 0, "kernel_pagetable 0x%" PRIx64, m->kernel_pagetable);
  FUZZ_CHECK(m->hw.hart.satp == 0 && m->hw.hart.priv == PRIV_S && !m->hw.hart.sum && !m->hw.hart.mxr,
             "satp 0x%" PRIx64 " priv %d sum %d mxr %d", m->hw.hart.satp, m->hw.hart.priv,
             m->hw.hart.sum, m->hw.hart.mxr);
  FUZZ_CHECK(m->nextpid == 1 && m->initproc == -1 && m->current == -1,
             "nextpid %d initproc %d current %d", m->nextpid, m->initproc, m->current);
  for (int i = 0; i < NPROC; i++)
    FUZZ_CHECK(m->proc[i].state == UNUSED && m->proc[i].pagetable == 0,
               "slot %d: state %d pagetable 0x%" PRIx64, i, m->proc[i].state,
               m->proc[i].pagetable);
  for (uint64_t pa = m->hw.ram.base; pa < machine_phystop(m); pa += 4096) {
    uint64_t first = 1, last = 1;
    FUZZ_CHECK(ram_load(&m->hw.ram, pa, 8, &first) == 0 && ram_load(&m->hw.ram, pa + 4088, 8, &last) == 0,
               "pa 0x%" PRIx64 " unreadable", pa);
    FUZZ_CHECK(first == 0 && last == 0, "pa 0x%" PRIx64 " reads 0x%" PRIx64 " / 0x%" PRIx64
               " after reset", pa, first, last);
  }
}

// Whether word occurs anywhere in the input (a line, a comment: either way it may run).
static bool mentions(const uint8_t *data, size_t size, const char *word) {
  size_t n = strlen(word);
  for (size_t i = 0; i + n <= size; i++)
    if (memcmp(data + i, word, n) == 0)
      return true;
  return false;
}

// The consistency checker must find nothing wrong with a machine that only the simulated
// kernel changed. Commands that write memory or the free list by hand (poke, store,
// mappages, kfree) may break its invariants on the user's orders, so such inputs skip it.
static void check_consistent(struct machine *m, const uint8_t *data, size_t size) {
  static const char *const by_hand[] = {"poke", "store", "mappages", "kfree"};
  for (size_t i = 0; i < sizeof(by_hand) / sizeof(by_hand[0]); i++)
    if (mentions(data, size, by_hand[i]))
      return;
  struct check_report r;
  FUZZ_CHECK(check_machine(m, &r) == 0, "check: out of host memory");
  FUZZ_CHECK(r.nproblems == 0, "check finds %" PRIu64 " problems, the first: %s at 0x%" PRIx64
             " (%s)", r.nproblems, check_problem_name(r.problem[0].kind), r.problem[0].pa,
             r.problem[0].what);
}

// Where kinit's run of pages for kalloc ends: below the superpage lab's regions, if any.
static uint64_t kalloc_top(const struct machine *m) {
  return m->spmem.n ? m->spmem.base : machine_phystop(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct config cfg;
  fuzz_config(data, size, &cfg);
  struct machine *m = fuzz_machine(&cfg);
  struct session s = fuzz_session(m, fuzz_devnull(), 0);
  fuzz_run_trace(&s, data, size);
  check_consistent(m, data, size);
  bool booted = m->booted;
  FUZZ_CHECK(cmd_run_line(&s, "reset") == CMD_OK, "reset failed");
  check_power_on(m);

  // A `mode` line changed m->cfg, and reset keeps it: compare with that configuration.
  // A full boot costs most of an input's time, so it runs for inputs that booted and
  // whose length is a multiple of 8 (any input, in the regression run); the others get
  // kinit only: its free list has one page per page from end to PHYSTOP.
  if (booted && (size % 8 == 0 || !fuzz_libfuzzer)) {
    uint64_t want = fuzz_boot_free(&m->cfg);
    FUZZ_CHECK(kvm_boot(m) == SIM_OK, "boot after reset panicked: %s", m->panic_msg);
    FUZZ_CHECK(m->kmem.nfree == want, "boot after reset leaves %" PRIu64
               " pages free, a fresh boot %" PRIu64, m->kmem.nfree, want);
    // kvminit's root is the first page kalloc hands out: the highest one.
    FUZZ_CHECK(m->kernel_pagetable == kalloc_top(m) - 4096,
               "kernel table at 0x%" PRIx64 " after reset", m->kernel_pagetable);
  } else {
    kmem_kinit(m);
    uint64_t top = kalloc_top(m), phystop = machine_phystop(m);
    uint64_t tail = m->spmem.n ? phystop - (m->spmem.base + m->spmem.n * SUPERPGSIZE) : 0;
    uint64_t want = (top - PGROUNDUP(m->cfg.end) + tail) / 4096;
    FUZZ_CHECK(m->kmem.nfree == want && m->kmem.freelist == top - 4096,
               "kinit after reset: %" PRIu64 " pages free (want %" PRIu64 "), head 0x%"
               PRIx64, m->kmem.nfree, want, m->kmem.freelist);
  }
  machine_free(m);
  return 0;
}
