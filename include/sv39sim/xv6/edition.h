#ifndef SV39SIM_EDITION_H
#define SV39SIM_EDITION_H
// An xv6 edition: every fact that differs between the kernels of MIT's labs (fall 2020,
// 6.S081; fall 2021-2025, 6.1810), as data the simulated kernel reads. What every edition
// shares is in memlayout.h. Adding an edition is writing one more descriptor; no function
// body asks which edition it runs.
#include <stdbool.h>
#include <stdint.h>

// A kernel address in a mapping row: a fixed address plus, optionally, one of the kernel
// image's symbols or PHYSTOP, which the configuration sets.
enum edition_sym { EDITION_ABS, EDITION_ETEXT, EDITION_TRAMPOLINE, EDITION_PHYSTOP };
struct edition_addr {
  enum edition_sym sym;
  uint64_t off; // added to the symbol (the whole address for EDITION_ABS)
};

// What a row of the kernel table maps: a device (CLINT is singled out because the lab's
// working per-process copy must leave it out), or the kernel's own memory.
enum edition_kmap_kind { EDITION_KMAP_DEVICE, EDITION_KMAP_CLINT, EDITION_KMAP_KERNEL };

// One kvmmap call of kvminit/kvmmake: map [va, va_end) to pa with perm.
struct edition_kmap {
  const char *name; // memlayout.h's name for it
  struct edition_addr va, va_end, pa;
  uint64_t perm;
  enum edition_kmap_kind kind;
};

// Who allocates and maps the 64 kernel stacks of the global table at boot: procinit
// (after kvminithart) or kvmmake's proc_mapstacks (after the last row). The same kallocs
// in the same order either way; the names in panics differ.
enum edition_kstacks { EDITION_KSTACKS_PROCINIT, EDITION_KSTACKS_KVMMAKE };

// How pid 1 starts: userinit maps initcode at va 0 and initcode execs /init as a system
// call (sys_exec: one kalloc'd page per argument string, in every edition), or userinit
// is allocproc alone and the first forkret calls kexec in the kernel (no argv page).
enum edition_first_proc { EDITION_FIRST_INITCODE, EDITION_FIRST_KEXEC };

// The lab handout's vmprint format; the views render it. DOTS: `..0: pte ...` (2020);
// DOTS_SPACED: ` ..0: pte ...`, a space before every `..` (2021-2023); VA_INT: ` ..VA: pte
// ...` with the entry's va, whose root part is `i << 30` computed as an int and
// sign-extended (2024); VA: the same va without the sign extension (2025).
enum edition_vmprint {
  EDITION_VMPRINT_DOTS,
  EDITION_VMPRINT_DOTS_SPACED,
  EDITION_VMPRINT_VA_INT,
  EDITION_VMPRINT_VA
};

// The kernel's names for the functions sv39sim's messages and call chains name (kexec,
// kfork... in 2025; uvmfirst from 2022 on); kvmmake is NULL where kvminit builds the table
// itself (2020).
struct edition_names {
  const char *exec, *fork, *exit, *wait, *kill, *uvminit, *kvmmake;
  const char *remap; // mappages' panic: "remap" (2020), "mappages: remap" (2021 on)
};

// The lab whose solution the simulated kernel carries: one at a time, as each lab is a
// branch of its own in the lab repository. Fall 2020's page-table lab is `mode` instead.
enum xv6_lab { LAB_NONE, LAB_PGTBL, LAB_LAZY, LAB_COW };

struct xv6_edition {
  const char *name; // "fall 2020 (6.S081)"
  int year;
  // The kernel table, in kvminit's order, and the kernel stacks below TRAMPOLINE.
  const struct edition_kmap *kmap;
  unsigned nkmap;
  enum edition_kstacks kstacks;
  uint64_t kstack_gap;    // KSTACK(0) = TRAMPOLINE - kstack_gap
  uint64_t kstack_stride; // KSTACK(p) = KSTACK(0) - p * kstack_stride
  // The unmodified lab kernel's symbols, config_defaults' etext, end and trampoline.
  uint64_t etext, end, trampoline;
  // Pages the device drivers kalloc at boot after the kernel stacks, and keep.
  unsigned boot_device_pages;
  // User memory. A PT_LOAD segment's PTE bits from its p_flags; the bits of the pages
  // uvmalloc maps for sbrk and for exec's stack (the guard page is these minus PTE_U,
  // which uvmclear clears).
  uint64_t (*segment_perm)(uint32_t p_flags);
  uint64_t uvm_perm;
  bool vaddr_check_first;  // exec refuses a misaligned p_vaddr before uvmalloc (2022 on),
                           // not after it (2020-2021)
  unsigned ustack_pages;   // exec's user stack pages above the guard page
  enum edition_first_proc first_proc;
  unsigned growproc_bits;  // width of sys_sbrk's addr and growproc's sz: 32 or 64
  bool growproc_below_trapframe; // growproc refuses sz + n above TRAPFRAME (2025)
  enum edition_vmprint vmprint;
  struct edition_names names;
  unsigned kpt_modes;      // the lab's kernel-table modes: bit (1 << enum kpt_mode)
  unsigned labs;           // the labs `lab` offers: bit (1 << enum xv6_lab)
  // The sfence.vma zero, zero around each satp write of kvminithart and the trampoline's
  // uservec and userret: 1 (after it, 2020-2021), or 2 (before and after it, 2022 on).
  unsigned satp_sfences;
  bool trap_lx;            // usertrap prints scause, sepc and stval as 0x%lx (2024 on),
                           // not as %p's 0x and 16 digits
  bool vmfault;            // sys_sbrk has SBRK_LAZY (`sbrklazy`), usertrap and copyin /
                           // copyout call vmfault, uvmunmap and uvmcopy skip pages never
                           // made (2025)
  // What `lab pgtbl` adds besides USYSCALL: the pgaccess system call (2021-2023) or
  // superpages (2024 on).
  bool pgtbl_pgaccess, pgtbl_superpages;
};

// Fall 2020, 6.S081: the lab kernel sv39sim models by default. Its image symbols are
// Debian 12's riscv64 gcc 12 build of the lab base (etext and trampoline as in any stock
// build; end from its kernel.sym: it sets only how many pages kinit frees), named here
// for tests that need them as constants.
#define FALL2020_ETEXT 0x80008000ULL
#define FALL2020_END 0x80027020ULL
#define FALL2020_TRAMPOLINE 0x80007000ULL
extern const struct xv6_edition edition_fall2020;
// Fall 2021-2025, 6.1810 (../shared/EDITIONS.md's table).
extern const struct xv6_edition edition_fall2021, edition_fall2022, edition_fall2023,
    edition_fall2024, edition_fall2025;

#define EDITION_FIRST_YEAR 2020
#define EDITION_LAST_YEAR 2025

// The edition of that year (fall term), or NULL when sv39sim has none.
const struct xv6_edition *edition_of_year(int year);

// The address a mapping row names, given the image's symbols and PHYSTOP.
uint64_t edition_addr(struct edition_addr a, uint64_t etext, uint64_t trampoline,
                      uint64_t phystop);

// KSTACK(p): the va of process slot p's kernel stack, with its guard page below it.
uint64_t edition_kstack(const struct xv6_edition *ed, int p);

// The slot whose KSTACK is va, or -1 when va is no slot's KSTACK.
int edition_kstack_slot(const struct xv6_edition *ed, uint64_t va);

// KSTACK(p) and its inverse with lab's solution in the kernel: the pgtbl lab's memlayout.h
// moves every stack one page down (TRAMPOLINE - p*2*PGSIZE - 3*PGSIZE).
uint64_t edition_lab_kstack(const struct xv6_edition *ed, enum xv6_lab lab, int p);
int edition_lab_kstack_slot(const struct xv6_edition *ed, enum xv6_lab lab, uint64_t va);

// Whether the edition's lab offers kernel-table mode mode (an enum kpt_mode).
bool edition_offers_kpt(const struct xv6_edition *ed, int mode);

// Whether the edition's lab repository has lab (LAB_NONE: always).
bool edition_offers_lab(const struct xv6_edition *ed, enum xv6_lab lab);

// A lab's name as `lab` spells it ("none", "pgtbl", "lazy", "cow"), and back: 0, or -1.
const char *edition_lab_name(enum xv6_lab lab);
int edition_lab_parse(const char *name, enum xv6_lab *lab);

#endif
