#include "sv39sim/xv6/edition.h"

#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/memlayout.h"
#include "sv39sim/sv39.h"

uint64_t edition_addr(struct edition_addr a, uint64_t etext, uint64_t trampoline,
                      uint64_t phystop) {
  switch (a.sym) {
  case EDITION_ETEXT: return etext + a.off;
  case EDITION_TRAMPOLINE: return trampoline + a.off;
  case EDITION_PHYSTOP: return phystop + a.off;
  case EDITION_ABS: break;
  }
  return a.off;
}

uint64_t edition_kstack(const struct xv6_edition *ed, int p) {
  return TRAMPOLINE - ed->kstack_gap - (uint64_t)p * ed->kstack_stride;
}

int edition_kstack_slot(const struct xv6_edition *ed, uint64_t va) {
  uint64_t top = edition_kstack(ed, 0);
  if (va > top || va < edition_kstack(ed, NPROC - 1) || (top - va) % ed->kstack_stride != 0)
    return -1;
  return (int)((top - va) / ed->kstack_stride);
}

bool edition_offers_kpt(const struct xv6_edition *ed, int mode) {
  return mode >= 0 && mode < 32 && (ed->kpt_modes >> mode & 1) != 0;
}

#define ABS(a) {EDITION_ABS, (a)}

// kvminit (kernel/vm.c, fall 2020): the devices, the kernel's text and data, TRAMPOLINE.
static const struct edition_kmap kmap_fall2020[] = {
    {"UART0", ABS(UART0), ABS(UART0 + PGSIZE), ABS(UART0), PTE_R | PTE_W,
     EDITION_KMAP_DEVICE},
    {"VIRTIO0", ABS(VIRTIO0), ABS(VIRTIO0 + PGSIZE), ABS(VIRTIO0), PTE_R | PTE_W,
     EDITION_KMAP_DEVICE},
    {"CLINT", ABS(CLINT), ABS(CLINT + CLINT_SIZE), ABS(CLINT), PTE_R | PTE_W,
     EDITION_KMAP_CLINT},
    {"PLIC", ABS(PLIC), ABS(PLIC + 0x400000), ABS(PLIC), PTE_R | PTE_W, EDITION_KMAP_DEVICE},
    {"text", ABS(KERNBASE), {EDITION_ETEXT, 0}, ABS(KERNBASE), PTE_R | PTE_X,
     EDITION_KMAP_KERNEL},
    {"data", {EDITION_ETEXT, 0}, {EDITION_PHYSTOP, 0}, {EDITION_ETEXT, 0}, PTE_R | PTE_W,
     EDITION_KMAP_KERNEL},
    {"TRAMPOLINE", ABS(TRAMPOLINE), ABS(TRAMPOLINE + PGSIZE), {EDITION_TRAMPOLINE, 0},
     PTE_R | PTE_X, EDITION_KMAP_KERNEL},
};

// The user program is linked -N: one RWX segment, whatever p_flags says.
static uint64_t segment_perm_rwx(uint32_t p_flags) {
  (void)p_flags;
  return PTE_R | PTE_W | PTE_X | PTE_U;
}

const struct xv6_edition edition_fall2020 = {
    .name = "fall 2020 (6.S081)",
    .year = 2020,
    .kmap = kmap_fall2020,
    .nkmap = sizeof(kmap_fall2020) / sizeof(kmap_fall2020[0]),
    .kstacks = EDITION_KSTACKS_PROCINIT,
    .kstack_gap = 2 * PGSIZE,
    .kstack_stride = 2 * PGSIZE,
    .etext = FALL2020_ETEXT,
    .end = FALL2020_END,
    .trampoline = FALL2020_TRAMPOLINE,
    .boot_device_pages = 0,
    .segment_perm = segment_perm_rwx,
    .uvm_perm = PTE_R | PTE_W | PTE_X | PTE_U,
    .ustack_pages = 1,
    .first_proc = EDITION_FIRST_INITCODE,
    .growproc_bits = 32,
    .vmprint = EDITION_VMPRINT_DOTS,
    .names = {"exec", "fork", "exit", "wait", "kill", "uvminit"},
    .kpt_modes = 1u << KPT_GLOBAL | 1u << KPT_PER_PROCESS | 1u << KPT_PER_PROCESS_USER,
};
