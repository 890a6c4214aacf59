#ifndef SV39SIM_COW_H
#define SV39SIM_COW_H
// The copy-on-write fork lab (every edition, `lab cow`): reference counts per physical
// page, fork sharing pages instead of copying them, and the store fault that copies one.
// PTE bit 8 (RSW) is PTE_COW.
#include <stdbool.h>
#include <stdint.h>

struct machine;
struct trap_outcome;

#define PTE_COW (1ULL << 8)

// Whether the kernel counts references (lab cow).
bool cow_on(const struct machine *m);

// pa's reference count (0 for a page outside RAM or without lab cow).
uint32_t cow_refcount(const struct machine *m, uint64_t pa);

// kalloc's hook: the page it returns has one reference.
void cow_kalloc_hook(struct machine *m, uint64_t pa);

// kfree's hook: drop one reference. Returns true when others remain (*left of them), so
// kfree must not put the page on the list.
bool cow_kfree_keep(struct machine *m, uint64_t pa, unsigned *left);

// The lab's uvmcopy: map every parent page below sz into new, its W traded for PTE_COW
// in both tables, one more reference each. SIM_FAIL when out of memory (the child's
// mappings so far unmapped, their references dropped), panics as uvmcopy does.
int cow_uvmcopy(struct machine *m, uint64_t old, uint64_t new, uint64_t sz);

// The store fault at va of the process in slot, as the lab's handler takes it: if va's
// PTE is V, U and COW, copy the page into a new one mapped with W and without COW and drop
// a reference to the old (o says so), or kill when kalloc fails (o->action TRAP_KILLED).
// o->action stays TRAP_NONE for any other PTE.
int cow_fault(struct machine *m, int slot, uint64_t va, struct trap_outcome *o);

// copyout's hook before it writes the user page at va0 of pagetable: the same copy for a
// COW page. SIM_FAIL (copyout's -1) when va0 >= MAXVA or kalloc fails.
int cow_copyout(struct machine *m, uint64_t pagetable, uint64_t va0);

#endif
