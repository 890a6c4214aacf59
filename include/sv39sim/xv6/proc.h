#ifndef SV39SIM_PROC_H
#define SV39SIM_PROC_H
// xv6's processes (kernel/proc.c and sysproc.c), as far as they touch page tables, with
// the page-table lab's per-process kernel tables.
#include <stdbool.h>
#include <stdint.h>

struct machine;

// struct trapframe (kernel/proc.h): the offsets of the fields sv39sim writes, and its size.
// The kernel_* fields that usertrapret fills in are not modelled.
#define TF_EPC 24
#define TF_SP 48
#define TF_A0 112
#define TF_A1 120
#define TRAPFRAME_SIZE 288

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
  uint64_t usyscall;   // pa of the pgtbl lab's USYSCALL page, 0 when none
  uint64_t kstack;     // va of the kernel stack
  uint64_t kstack_pa;  // its page when the process owns it (lab modes' allocproc), else 0
  uint64_t kpagetable; // the process's own kernel table (lab modes), 0 when none
  char name[16];
  // Not xv6's: where exec left the user stack's guard page (for lint), inherited by fork.
  bool has_guard;
  uint64_t guard_va;
};

// The slot holding pid, or -1. Slots of UNUSED processes never match.
int proc_slot(const struct machine *m, int pid);

// Claim an UNUSED slot, give it a pid, a trapframe and a user table (and in the lab modes
// a kernel table and stack); *slot gets the slot. SIM_FAIL (allocproc's 0) when there is
// no free slot or no memory, with everything undone.
int proc_allocproc(struct machine *m, int *slot);

// Free everything a process owns and mark its slot UNUSED.
int proc_freeproc(struct machine *m, int slot);

// A user table with only the trampoline and the trapframe mapped, in *pagetable.
// SIM_FAIL when out of memory, everything undone.
int proc_pagetable(struct machine *m, int slot, uint64_t *pagetable);
// Unmap the trampoline and the trapframe, then free the user pages below sz and the table.
int proc_freepagetable(struct machine *m, uint64_t pagetable, uint64_t sz);

// Write one 8-byte field of the process's trapframe.
void proc_tf_write(struct machine *m, int slot, unsigned off, uint64_t v);

// Create pid 1 as the edition starts it (initcode at va 0, or an empty image for the
// first forkret's kexec). *slot gets its slot. Out of memory panics as xv6 would.
int proc_userinit(struct machine *m, int *slot);

// The fork system call by the process in slot: SIM_OK with *pid the value fork returns
// to the user (and in a0): the child's pid, or -1 when allocproc or uvmcopy (or, in
// mode 3, the mirror) failed, with nothing left over. SIM_PANIC otherwise.
int proc_fork(struct machine *m, int slot, int *pid);

// sys_sbrk(n): SIM_OK with *ret the old size as sys_sbrk's addr holds it (2020's `int`:
// negative from 2 GiB on), or SIM_FAIL with *ret -1 where growproc fails (out of memory;
// in mode 3 also sz + n reaching PLIC). Sizes wrap at the edition's growproc width.
int proc_sbrk(struct machine *m, int slot, int32_t n, int64_t *ret);

// exit(status): the process becomes a ZOMBIE and its children go to init. Panics
// "init exiting" for init. Frees nothing: wait does.
int proc_exit(struct machine *m, int slot, int status);

// usertrap's exit(-1) of a process it killed: exit as above, called from usertrap (whose
// frame the caller holds), not through sys_exit.
int proc_exit_trap(struct machine *m, int slot, int status);

// wait(0) by the process in slot: reaps its first ZOMBIE child in slot order (freeproc)
// and sets *pid to that child's pid; *pid is -1 when it has no children. When it has
// children but none has exited, xv6 would sleep: *blocked is set and nothing changes.
int proc_wait(struct machine *m, int slot, int *pid, bool *blocked);

// kill(pid): *ret is 0, or -1 when no process has that pid. The victim, found in user
// space, exits with status -1 at once, as usertrap makes it do at its next trap.
int proc_kill(struct machine *m, int pid, int *ret);

// The scheduler runs the process in slot (-1: back to the idle loop). In the lab modes
// satp gets the process's kernel table, or the global one when idle.
int proc_switch(struct machine *m, int slot);

// copyin / copyinstr of the process's memory into dst, as the kernel does in this mode:
// through walkaddr, or (mode 3) copyin_new / copyinstr_new through the process's kernel
// table, counted in m->stats. *ret is 0 or -1 as xv6's returns.
int proc_copyin(struct machine *m, int slot, void *dst, uint64_t srcva, uint64_t len,
                int *ret);
int proc_copyinstr(struct machine *m, int slot, char *dst, uint64_t srcva, uint64_t max,
                   int *ret);

#endif
