#ifndef SV39SIM_PROC_H
#define SV39SIM_PROC_H
// xv6's processes (kernel/proc.c), as far as they touch page tables.
#include <stdint.h>

struct machine;

enum procstate { UNUSED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
  enum procstate state;
  int pid;
  int parent;          // slot of the parent, -1 for none
  int killed;
  int xstate;
  uint64_t sz;         // bytes of user memory
  uint64_t pagetable;  // user table, 0 when none
  uint64_t trapframe;  // pa of the trapframe page, 0 when none
  uint64_t kstack;     // va of the kernel stack
  uint64_t kpagetable; // the process's own kernel table (lab modes), 0 when none
  char name[16];
};

// The slot holding pid, or -1. Slots of UNUSED processes never match.
int proc_slot(const struct machine *m, int pid);

// Claim an UNUSED slot, give it a pid, a trapframe and a user table (and in the lab modes
// a kernel table and stack). *slot is -1 when there is no free slot or no memory.
int proc_allocproc(struct machine *m, int *slot);

// Free everything a process owns and mark its slot UNUSED.
int proc_freeproc(struct machine *m, int slot);

// A user table with only the trampoline and the trapframe mapped; *pagetable is 0 when
// out of memory (everything undone).
int proc_pagetable(struct machine *m, int slot, uint64_t *pagetable);
int proc_freepagetable(struct machine *m, uint64_t pagetable, uint64_t sz);

// Create pid 1 with initcode at va 0. *slot gets its slot. A second userinit, or
// running out of memory, panics as xv6 would.
int proc_userinit(struct machine *m, int *slot);

#endif
