#ifndef SV39SIM_TRAP_H
#define SV39SIM_TRAP_H
// usertrap's page-fault path (kernel/trap.c) and a process's own U-mode accesses: stock
// xv6 kills the process, the lazy and cow labs handle the fault, --demand maps a page for
// address traces of real programs.
#include <stdbool.h>
#include <stdint.h>

#include "sv39sim/hw/mmu.h"

struct machine;

// What usertrap did about one fault.
enum trap_action {
  TRAP_NONE,    // nothing yet (handlers' internal state)
  TRAP_COUNTED, // no trap: the fault is only counted (access without a lab)
  TRAP_LAZY,    // a lazy page allocated (the lazy lab, vmfault)
  TRAP_COW,     // a COW page copied
  TRAP_DEMAND,  // --demand mapped a zeroed page
  TRAP_KILLED,  // the process was killed (exit(-1))
};

struct trap_outcome {
  enum trap_action action;
  uint64_t new_pa;   // LAZY, COW, DEMAND: the page now mapped
  uint64_t old_pa;   // COW: the page copied from
  const char *why;   // KILLED: why, in words
  char msg[2][128];  // what usertrap printed (the stock kill), "" when nothing
};

// Handling flags for trap_fault.
#define TRAP_HOW_KERNEL 1u // xv6's usertrap runs (lab handlers, stock kill)
#define TRAP_HOW_DEMAND 2u // --demand maps a page where nothing else does

// The process in slot took fault f doing acc in U-mode: the trap (uservec's sfence),
// usertrap, and back (userret's sfence) unless the process was killed. Without
// TRAP_HOW_KERNEL a fault --demand does not take is only counted (o->action TRAP_COUNTED, no
// trap). SIM_PANIC when the kernel panicked (init killed: "init exiting").
int trap_fault(struct machine *m, int slot, enum access acc, const struct fault *f,
               unsigned how, struct trap_outcome *o);

// One access of `touch`.
struct trap_touch {
  uint64_t va;
  enum access acc;
  bool hit;            // the first attempt hit the TLB
  bool faulted;        // and faulted with f
  struct fault f;
  struct trap_outcome trap;
  bool retried;        // the handler mapped the page: tried once more
  bool retry_hit, retry_faulted;
  struct fault f2;
  struct trap_outcome trap2; // usertrap for the retry's fault
  bool ok;             // the access completed, at pa
  uint64_t pa;
  unsigned flushes;    // sfence.vma executions
};

// The process in slot touches va (acc) in U-mode: the scheduler switches to it, userret
// enters user space (sfence), the MMU and TLB translate, a fault traps to usertrap
// (trap_fault; --demand when demand), the access is retried once if the handler mapped the
// page, and the next trap leaves user space again (sfence). SIM_PANIC as trap_fault.
int trap_touch(struct machine *m, int slot, uint64_t va, enum access acc, bool demand,
               struct trap_touch *t);

// A page --demand mapped: in the table rooted at pagetable, va to pa.
struct demand_page {
  uint64_t pagetable, va, pa;
};

// Whether --demand mapped va in pagetable.
bool trap_is_demand(const struct machine *m, uint64_t pagetable, uint64_t va);

// Unmap and free the --demand pages of pagetable (before freewalk frees the table).
int trap_demand_free(struct machine *m, uint64_t pagetable);

#endif
