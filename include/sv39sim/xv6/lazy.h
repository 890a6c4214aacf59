#ifndef SV39SIM_LAZY_H
#define SV39SIM_LAZY_H
// Lazy allocation: fall 2020's lazy lab (`lab lazy`) and 2025's sbrklazy with vmfault.
// sbrk raises sz only; the first load or store of a page below sz allocates it.
#include <stdbool.h>
#include <stdint.h>

struct machine;
struct trap_outcome;

// sbrk(n > 0) is lazy in this kernel (lab lazy).
bool lazy_sbrk_on(const struct machine *m);

// uvmunmap and uvmcopy skip PTEs that were never made (lab lazy, and 2025's stock).
bool lazy_skips_unmapped(const struct machine *m);

// The lazy sys_sbrk(n), n > 0: sz grows by n, nothing is allocated; *ret is the old size
// (also in a0). 2025's sbrklazy refuses (SIM_FAIL, *ret -1) a size that wraps or passes
// TRAPFRAME; n <= 0 goes to sbrk.
int lazy_sbrk(struct machine *m, int slot, int32_t n, int64_t *ret);

// 2025's sys_sbrk(n, SBRK_LAZY). SIM_FAIL with *ret -1 as sys_sbrk fails.
int lazy_sbrklazy(struct machine *m, int slot, int32_t n, int64_t *ret);

// A load or store fault at va of the process in slot: the lazy handler (2020's lab) or
// vmfault (2025) allocates the page when va < sz and its PTE is not valid (o says so);
// the lab kills when it cannot (o->action TRAP_KILLED); vmfault leaves o->action
// TRAP_NONE for usertrap's stock path.
int lazy_fault(struct machine *m, int slot, uint64_t va, struct trap_outcome *o);

// copyin / copyout / copyinstr's hook when walkaddr found no page at va0 of pagetable:
// the lab allocates a lazy page below sz first (2025: copyin and copyout only, str false).
// SIM_OK when it did, SIM_FAIL when the copy must return -1.
int lazy_copy_page(struct machine *m, uint64_t pagetable, uint64_t va0, bool str);

#endif
