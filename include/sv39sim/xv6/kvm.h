#ifndef SV39SIM_KVM_H
#define SV39SIM_KVM_H
// The kernel's page tables (kvminit and friends in kernel/vm.c, procinit in proc.c).
#include <stdbool.h>
#include <stdint.h>

struct machine;

// Map the edition's kernel rows (devices, text, data, trampoline) into pt in kvminit's
// order, the CLINT row only when clint. SIM_FAIL when a page-table page could not be
// allocated (rows mapped so far stay mapped).
int kvm_map_kernel(struct machine *m, uint64_t pt, bool clint);

// Whether a process's copy of the kernel table maps CLINT: `mode`'s clint or noclint, else
// in for per-process and out for per-process-user.
bool kvm_copy_has_clint(const struct machine *m);

// A process's own copy of the kernel table (lab modes): kvminit's mappings in kvminit's
// order, CLINT only when kvm_copy_has_clint. SIM_FAIL when out of memory, with its own
// partial pages freed.
int kvm_kvmcreate(struct machine *m, uint64_t *pagetable);

// Build the global kernel table (and, where the edition's kvmmake does it, map the
// kernel stacks). Running out of memory panics "kvmmap", as in xv6.
int kvm_kvminit(struct machine *m);

// Point satp at the global kernel table and execute sfence.vma.
void kvm_kvminithart(struct machine *m);

// The slot whose kernel stack the kernel allocated at boot and mapped at va in the global
// kernel table, or -1 when no boot-time stack is mapped there (the lab's per-process
// modes allocate stacks in allocproc, unless kstack=procinit kept procinit's). Pure
// layout: it reads no table.
int kvm_boot_kstack_slot(const struct machine *m, uint64_t va);

// kinit, kvminit, kvminithart, procinit, the devices' boot-time pages: xv6's main() up
// to userinit.
int kvm_boot(struct machine *m);

#endif
