#include "sv39sim/xv6/edition.h"

#include <stddef.h>
#include <string.h>

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

// The page the pgtbl lab's KSTACK adds below TRAMPOLINE, 0 for any other lab.
static uint64_t lab_kstack_shift(enum xv6_lab lab) {
  return lab == LAB_PGTBL ? PGSIZE : 0;
}

uint64_t edition_lab_kstack(const struct xv6_edition *ed, enum xv6_lab lab, int p) {
  return edition_kstack(ed, p) - lab_kstack_shift(lab);
}

int edition_lab_kstack_slot(const struct xv6_edition *ed, enum xv6_lab lab, uint64_t va) {
  uint64_t shift = lab_kstack_shift(lab);
  return va + shift < va ? -1 : edition_kstack_slot(ed, va + shift);
}

bool edition_offers_kpt(const struct xv6_edition *ed, int mode) {
  return mode >= 0 && mode < 32 && (ed->kpt_modes >> mode & 1) != 0;
}

bool edition_offers_lab(const struct xv6_edition *ed, enum xv6_lab lab) {
  return lab == LAB_NONE || ((unsigned)lab < 32 && (ed->labs >> lab & 1) != 0);
}

static const char *const lab_names[] = {
    [LAB_NONE] = "none", [LAB_PGTBL] = "pgtbl", [LAB_LAZY] = "lazy", [LAB_COW] = "cow"};

const char *edition_lab_name(enum xv6_lab lab) {
  return (unsigned)lab < sizeof(lab_names) / sizeof(lab_names[0]) ? lab_names[lab] : "?";
}

int edition_lab_parse(const char *name, enum xv6_lab *lab) {
  for (size_t i = 0; i < sizeof(lab_names) / sizeof(lab_names[0]); i++) {
    if (strcmp(name, lab_names[i]) == 0) {
      *lab = (enum xv6_lab)i;
      return 0;
    }
  }
  return -1;
}

#define ABS(a) {EDITION_ABS, (a)}

// The kernel table's rows, as kvminit/kvmmake map them, each once.
#define ROW_UART0                                                                         \
  {"UART0", ABS(UART0), ABS(UART0 + PGSIZE), ABS(UART0), PTE_R | PTE_W, EDITION_KMAP_DEVICE}
#define ROW_VIRTIO0                                                                       \
  {"VIRTIO0", ABS(VIRTIO0), ABS(VIRTIO0 + PGSIZE), ABS(VIRTIO0), PTE_R | PTE_W,          \
   EDITION_KMAP_DEVICE}
#define ROW_CLINT                                                                         \
  {"CLINT", ABS(CLINT), ABS(CLINT + CLINT_SIZE), ABS(CLINT), PTE_R | PTE_W,              \
   EDITION_KMAP_CLINT}
#define ROW_PLIC(size)                                                                    \
  {"PLIC", ABS(PLIC), ABS(PLIC + (size)), ABS(PLIC), PTE_R | PTE_W, EDITION_KMAP_DEVICE}
#define ROW_TEXT                                                                          \
  {"text", ABS(KERNBASE), {EDITION_ETEXT, 0}, ABS(KERNBASE), PTE_R | PTE_X,              \
   EDITION_KMAP_KERNEL}
#define ROW_DATA                                                                          \
  {"data", {EDITION_ETEXT, 0}, {EDITION_PHYSTOP, 0}, {EDITION_ETEXT, 0}, PTE_R | PTE_W,   \
   EDITION_KMAP_KERNEL}
#define ROW_TRAMPOLINE                                                                    \
  {"TRAMPOLINE", ABS(TRAMPOLINE), ABS(TRAMPOLINE + PGSIZE), {EDITION_TRAMPOLINE, 0},     \
   PTE_R | PTE_X, EDITION_KMAP_KERNEL}

// kvminit (kernel/vm.c, fall 2020): the devices, the kernel's text and data, TRAMPOLINE.
static const struct edition_kmap kmap_fall2020[] = {
    ROW_UART0, ROW_VIRTIO0, ROW_CLINT, ROW_PLIC(0x400000), ROW_TEXT, ROW_DATA, ROW_TRAMPOLINE,
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
    .names = {"exec", "fork", "exit", "wait", "kill", "uvminit", NULL, "remap"},
    .kpt_modes = 1u << KPT_GLOBAL | 1u << KPT_PER_PROCESS | 1u << KPT_PER_PROCESS_USER,
    .satp_sfences = 1,
    .labs = 1u << LAB_LAZY | 1u << LAB_COW,
};

// kvmmake (kernel/vm.c, 2021-2023): kvminit's rows without CLINT, which the timer no
// longer needs in S-mode.
static const struct edition_kmap kmap_fall2021[] = {
    ROW_UART0, ROW_VIRTIO0, ROW_PLIC(0x400000), ROW_TEXT, ROW_DATA, ROW_TRAMPOLINE,
};

// kvmmake from 2024: PLIC's whole 0x4000000 bytes (32 level-0 tables).
static const struct edition_kmap kmap_fall2024[] = {
    ROW_UART0, ROW_VIRTIO0, ROW_PLIC(0x4000000), ROW_TEXT, ROW_DATA, ROW_TRAMPOLINE,
};

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

// From 2022 user.ld links text (R|X) and data (R|W) apart, and exec maps each PT_LOAD
// with uvmalloc(..., flags2perm(p_flags)), which adds PTE_R | PTE_U: ELF's PF_X (1) gives
// PTE_X, PF_W (2) PTE_W.
static uint64_t segment_perm_flags2perm(uint32_t p_flags) {
  uint64_t perm = PTE_R | PTE_U;
  if (p_flags & 0x1)
    perm |= PTE_X;
  if (p_flags & 0x2)
    perm |= PTE_W;
  return perm;
}

// 2021 is 2020's kernel without CLINT, with kvmmake making the stacks.
const struct xv6_edition edition_fall2021 = {
    .name = "fall 2021 (6.1810)",
    .year = 2021,
    .kmap = kmap_fall2021,
    .nkmap = NROWS(kmap_fall2021),
    .kstacks = EDITION_KSTACKS_KVMMAKE,
    .kstack_gap = 2 * PGSIZE,
    .kstack_stride = 2 * PGSIZE,
    .etext = 0x80008000ULL,
    .end = 0x80026240ULL,
    .trampoline = 0x80007000ULL,
    .boot_device_pages = 0,
    .segment_perm = segment_perm_rwx,
    .uvm_perm = PTE_R | PTE_W | PTE_X | PTE_U,
    .ustack_pages = 1,
    .first_proc = EDITION_FIRST_INITCODE,
    .growproc_bits = 32,
    .vmprint = EDITION_VMPRINT_DOTS_SPACED,
    .names = {"exec", "fork", "exit", "wait", "kill", "uvminit", "kvmmake",
              "mappages: remap"},
    .kpt_modes = 1u << KPT_GLOBAL,
    .labs = 1u << LAB_PGTBL | 1u << LAB_COW,
    .pgtbl_pgaccess = true,
    .satp_sfences = 1,
};

// 2022 and 2023: virtio's rings are kalloc'd, user segments keep their ELF permissions
// and the user's memory grows R|W|U, sz is 64-bit; the two differ only in end.
#define FALL2022_LIKE(yr, end_)                                                         \
  {                                                                                      \
    .name = "fall " #yr " (6.1810)", .year = yr, .kmap = kmap_fall2021,                  \
    .nkmap = NROWS(kmap_fall2021), .kstacks = EDITION_KSTACKS_KVMMAKE,                   \
    .kstack_gap = 2 * PGSIZE, .kstack_stride = 2 * PGSIZE, .etext = 0x80008000ULL,       \
    .end = end_, .trampoline = 0x80007000ULL, .boot_device_pages = 3,                    \
    .segment_perm = segment_perm_flags2perm, .uvm_perm = PTE_R | PTE_W | PTE_U,          \
    .vaddr_check_first = true,                                                           \
    .ustack_pages = 1, .first_proc = EDITION_FIRST_INITCODE, .growproc_bits = 64,        \
    .vmprint = EDITION_VMPRINT_DOTS_SPACED,                                              \
    .names = {"exec", "fork", "exit", "wait", "kill", "uvmfirst", "kvmmake",             \
              "mappages: remap"},                                                        \
    .kpt_modes = 1u << KPT_GLOBAL,                                                       \
    .labs = 1u << LAB_PGTBL | 1u << LAB_COW, .pgtbl_pgaccess = true,                     \
    .satp_sfences = 2,                                                                   \
  }
const struct xv6_edition edition_fall2022 = FALL2022_LIKE(2022, 0x80021d80ULL);
const struct xv6_edition edition_fall2023 = FALL2022_LIKE(2023, 0x80021dc0ULL);

// 2024 and 2025 share the whole PLIC, a smaller kernel (the trampoline one page lower),
// USERSTACK (1 page) and vmprint with each entry's va; 2025 starts pid 1 from forkret's
// kexec, names the kernel's functions k*, and no longer sign-extends vmprint's va.
#define FALL2024_LIKE(y, end_, first, vmprint_, ...)                                      \
  {                                                                                      \
    .name = "fall " #y " (6.1810)", .year = y, .kmap = kmap_fall2024,                    \
    .nkmap = NROWS(kmap_fall2024), .kstacks = EDITION_KSTACKS_KVMMAKE,                   \
    .kstack_gap = 2 * PGSIZE, .kstack_stride = 2 * PGSIZE, .etext = 0x80007000ULL,       \
    .end = end_, .trampoline = 0x80006000ULL, .boot_device_pages = 3,                    \
    .segment_perm = segment_perm_flags2perm, .uvm_perm = PTE_R | PTE_W | PTE_U,          \
    .vaddr_check_first = true, .ustack_pages = 1, .first_proc = first,                   \
    .growproc_bits = 64, .vmprint = vmprint_, .names = {__VA_ARGS__, "uvmfirst",         \
    "kvmmake", "mappages: remap"},                                                       \
    .kpt_modes = 1u << KPT_GLOBAL,                                                       \
    .labs = 1u << LAB_PGTBL | 1u << LAB_COW, .pgtbl_superpages = true,                   \
    .trap_lx = true, .satp_sfences = 2, .vmfault = y >= 2025,                            \
    .growproc_below_trapframe = y >= 2025,                                               \
  }
const struct xv6_edition edition_fall2024 =
    FALL2024_LIKE(2024, 0x80020cb0ULL, EDITION_FIRST_INITCODE, EDITION_VMPRINT_VA_INT,
                  "exec", "fork", "exit", "wait", "kill");
const struct xv6_edition edition_fall2025 =
    FALL2024_LIKE(2025, 0x80020be8ULL, EDITION_FIRST_KEXEC, EDITION_VMPRINT_VA, "kexec",
                  "kfork", "kexit", "kwait", "kkill");

const struct xv6_edition *edition_of_year(int year) {
  static const struct xv6_edition *const all[] = {
      &edition_fall2020, &edition_fall2021, &edition_fall2022,
      &edition_fall2023, &edition_fall2024, &edition_fall2025};
  for (size_t i = 0; i < NROWS(all); i++) {
    if (all[i]->year == year)
      return all[i];
  }
  return NULL;
}
