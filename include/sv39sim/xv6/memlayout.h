#ifndef SV39SIM_MEMLAYOUT_H
#define SV39SIM_MEMLAYOUT_H
// xv6's memory layout (kernel/memlayout.h and param.h): what every edition shares. What
// differs between editions (CLINT in or out, PLIC's size, KSTACK) is the edition
// descriptor's.
#include "sv39sim/sv39.h"

// Physical memory layout of QEMU's virt machine, as xv6 sees it. Whether the kernel maps
// CLINT, and how much of PLIC, is the edition's.
#define UART0 0x10000000ULL
#define VIRTIO0 0x10001000ULL
#define CLINT 0x2000000ULL
#define CLINT_SIZE 0x10000ULL
#define PLIC 0x0c000000ULL
#define KERNBASE 0x80000000ULL

#define TRAMPOLINE (MAXVA - PGSIZE)
#define TRAPFRAME (TRAMPOLINE - PGSIZE)
// The pgtbl lab's (2021 on) read-only page for the user: struct usyscall { int pid; }.
#define USYSCALL (TRAPFRAME - PGSIZE)

#define NPROC 64
#define MAXARG 32

#endif
