#ifndef SV39SIM_PGTBL_H
#define SV39SIM_PGTBL_H
// The page-table lab of 6.1810 (fall 2021 on) as its solutions write it, `lab pgtbl`: the
// USYSCALL page every process gets, and pgaccess (2021-2023). Superpages (2024 on) are
// superpage.h's. proc.c calls these hooks; each does nothing without the lab.
#include <stdbool.h>
#include <stdint.h>

struct machine;
struct proc;

// Whether the kernel carries the pgtbl lab's solution (and so the USYSCALL page).
bool pgtbl_on(const struct machine *m);

// allocproc, right after the trapframe: kalloc the USYSCALL page and store the pid in its
// first int (the rest keeps kalloc's 0x05 fill, as the solutions do not clear it).
// SIM_FAIL when kalloc returns 0; the caller's freeproc then frees the trapframe.
int pgtbl_usyscall_alloc(struct machine *m, struct proc *p);

// proc_pagetable, after TRAPFRAME: map p's USYSCALL page R|U. It shares TRAPFRAME's L1
// and L0 tables, so no page is kalloc'd; SIM_FAIL is mappages' failure all the same.
int pgtbl_usyscall_map(struct machine *m, uint64_t pagetable, const struct proc *p);

// proc_freepagetable, after TRAPFRAME: unmap USYSCALL without freeing it.
int pgtbl_usyscall_unmap(struct machine *m, uint64_t pagetable);

// freeproc, right after the trapframe: kfree the USYSCALL page.
int pgtbl_usyscall_free(struct machine *m, struct proc *p);

// Most pages one pgaccess call may ask about: the bits of the handout test's `unsigned
// int abits`, the limit the usual solutions enforce (more is -1).
#define PGACCESS_MAX 32

// sys_pgaccess(va, n, mask) by the process in slot: for each of the n pages from va, bit
// i of *mask is the PTE's A bit (0 for a page walk finds no table for), which is then
// cleared. *ret is 0, or -1 for n < 0 or n > PGACCESS_MAX (mask 0, nothing cleared).
// The result is what copyout would write to the user's mask. Panics "walk" when a page
// lies at or above MAXVA, as walk does.
int pgtbl_pgaccess(struct machine *m, int slot, uint64_t va, int n, uint64_t *mask,
                   int *ret);

#endif
