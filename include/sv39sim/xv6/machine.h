#ifndef SV39SIM_MACHINE_H
#define SV39SIM_MACHINE_H
// One simulated machine: RAM, the kernel's allocator, the hart, the process table and the
// configuration. Every function takes the machine it works on; there is no global state.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv39sim/hw/hw.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/xv6/edition.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kchain.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/superpage.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/memlayout.h"

// Results of operations on the simulated kernel, the one convention of the xv6 layer:
// SIM_OK: xv6's function succeeded. SIM_FAIL: it returned its error value (-1, or 0 for
// a function that returns an address or a size); what it undoes on failure, it undid.
// SIM_PANIC: the kernel panicked and the machine is halted (m->panic_msg says why).
// Out-parameters are defined only on SIM_OK, unless a function's contract names one
// that it sets on SIM_FAIL too (a system call's return value for the user, say).
enum sim_status { SIM_OK = 0, SIM_FAIL = -1, SIM_PANIC = -2 };

// The page-table lab's kernel page-table modes.
enum kpt_mode { KPT_GLOBAL, KPT_PER_PROCESS, KPT_PER_PROCESS_USER };

// Whether the per-process kernel tables (modes 2 and 3) map CLINT: the mode's default (in
// for per-process, out for per-process-user, as a working part-3 solution must), or chosen.
enum kpt_clint { KPT_CLINT_DEFAULT, KPT_CLINT_IN, KPT_CLINT_OUT };

// Where a process's kernel stack comes from in modes 2 and 3 (the lab's solution shapes):
// allocproc kallocs it and maps it at KSTACK(slot), freeproc frees it; procinit still
// kallocs all 64 at boot into the global table and allocproc maps the slot's page at
// KSTACK(slot) into the copy, freeing nothing; or as allocproc, mapped at KSTACK(0).
enum kpt_kstack { KPT_KSTACK_ALLOCPROC, KPT_KSTACK_PROCINIT, KPT_KSTACK_ZERO };

struct config {
  const struct xv6_edition *edition; // the kernel modelled
  uint64_t ram_size;     // PHYSTOP - KERNBASE
  enum kpt_mode kpt;
  enum kpt_clint kpt_clint;   // CLINT in per-process kernel tables (modes 2 and 3)
  enum kpt_kstack kpt_kstack; // the kernel stacks' shape in modes 2 and 3
  enum xv6_lab lab;      // the lab solution the kernel carries (`lab`), LAB_NONE for none
  uint64_t superpages;   // lab pgtbl 2024+: the 2 MiB regions kinit reserves (--superpages)
  uint64_t etext;        // kernel image symbols (the edition's by default)
  uint64_t end;
  uint64_t trampoline;
  bool own_kernel;       // the symbols came from the user's kernel ELF (--kernel), not
                         // from the edition
  enum ad_policy ad;     // --ad hw|fault
  struct tlb_geometry tlb; // --tlb ENTRIES[xWAYS][,POLICY]
};

// The default edition is fall 2020; its image symbols as constants, for tests.
#define DEFAULT_EDITION (&edition_fall2020)
#define DEFAULT_RAM_SIZE (128ULL << 20)
#define DEFAULT_ETEXT FALL2020_ETEXT
#define DEFAULT_END FALL2020_END
#define DEFAULT_TRAMPOLINE FALL2020_TRAMPOLINE

// The page-table lab's statistics (kernel/vmcopyin.c): calls of copyin_new and
// copyinstr_new, which only mode 3 makes.
struct stats {
  uint64_t ncopyin;
  uint64_t ncopyinstr;
};

// What usertrap's page-fault handlers did for one process (trap.h): the cow lab's copies,
// the lazy lab's (and 2025's vmfault's) allocations, --demand's pages.
struct fault_stats {
  uint64_t cow_copies;
  uint64_t lazy_allocs;
  uint64_t demand_faults;
};

struct demand_page; // trap.h

// Host memory is owned by ram, tlb, held and alloc_seq; everything else is plain values.
// Code that copies a whole machine over another (the fuzz targets' snapshot restore, in
// tests/fuzz/fuzz_common.c) must keep the destination's host-owned fields (and log hook).
struct machine {
  struct config cfg;
  struct hw hw;          // RAM, the hart, the TLB
  struct kmem kmem;
  struct spmem spmem;        // lab pgtbl 2024+: the superpage list (superpage.h)
  uint64_t kernel_pagetable; // 0 until boot
  bool booted;
  // The pages device drivers kalloc'd at boot and keep (virtio's rings from 2022 on).
  uint64_t device_pages[4];
  unsigned ndevice_pages;
  // 2025: pid 1 has not yet had forkret's kexec, which its first exec is.
  bool first_kexec;
  struct proc proc[NPROC];
  int nextpid;
  int initproc;              // slot of pid 1, -1 before userinit
  int current;               // slot whose tables the hart uses, -1 when idle (set it
                             // with machine_set_current)
  // The TLB counts of the process in each slot (tlb_pid[slot] is its pid, 0 for none
  // yet). A slot's row restarts when allocproc gives the slot a new process and stays
  // after that process is reaped; hw.stats points at the running slot's row.
  struct tlb_stats tlb_per[NPROC];
  int tlb_pid[NPROC];
  struct stats stats;
  struct kchain chain;        // the xv6 functions now running (kchain.h)
  bool halted;               // the simulated kernel panicked
  char panic_msg[64];        // xv6's words
  char panic_detail[160];    // what the simulator saw, for the reader
  // Pages the user took with the `kalloc` command (check_hold): the checker counts them as
  // held, not leaked. Reset forgets them.
  uint64_t *held;
  size_t nheld, held_cap;
  // Fault injection for tests: kalloc calls made so far on a running kernel, and the call
  // (counted from 1) that returns 0 as if the list were empty; 0 is off. Unlike kmem's
  // failat, both survive reset, so a number names one call of a whole session.
  uint64_t kalloc_calls;
  uint64_t kalloc_fail_call;
  // The cow lab's reference count of each page of RAM, indexed by (pa - KERNBASE) /
  // PGSIZE; NULL without lab cow. Host memory, like ram's (the snapshot rule above).
  uint32_t *refcnt;
  // The pages --demand mapped (trap.h), freed with the table that maps them. Host
  // memory, kept across reset; reset forgets its contents.
  struct demand_page *demand;
  size_t ndemand, demand_cap;
  // The page-fault handlers' counts of the process in each slot; they restart with its
  // tlb_per row.
  struct fault_stats fault_per[NPROC];
  // The allocation log (kalloc.h): the hook that shows each event as it happens (NULL:
  // nobody looks), and per RAM page the seq of the kalloc that last handed it out
  // (kmem_alloc_seq). Reset zeroes alloc_seq and keeps the hook.
  void (*log_fn)(void *ctx, const struct kmem_event *e);
  void *log_ctx;
  uint64_t *alloc_seq;
  // The panic's call chain (m->chain when machine_panic ran), and for "remap" what the
  // colliding PTE was: the table's root, the va and the PTE found there (collided false
  // for other panics).
  struct kchain panic_chain;
  bool collided;
  uint64_t collision_root, collision_va, collision_pte;
  // Why the last system call (sbrk, fork, copyin, copyinstr) returned -1, for the reader;
  // "" when it did not. The last kalloc that found no page: its event and chain.
  char why[160];
  uint64_t nomem_seq;
  bool nomem_super;  // that allocation was superalloc's (no superpage left), not kalloc's
  struct kchain nomem_chain;
};

// The default configuration: the default edition with its image symbols; every other
// field as its option's default (--help).
void config_defaults(struct config *cfg);

// A mode's name as the trace language writes it ("global", "per-process",
// "per-process-user"), and back: kpt_mode_parse returns 0, or -1 for no such name.
const char *kpt_mode_name(enum kpt_mode mode);
int kpt_mode_parse(const char *name, enum kpt_mode *mode);

// A kernel-stack shape's name ("allocproc", "procinit", "zero"), and back: 0, or -1.
const char *kpt_kstack_name(enum kpt_kstack kstack);
int kpt_kstack_parse(const char *name, enum kpt_kstack *kstack);

// The hart now runs the process in slot (-1: none), and the TLB counts go to its row.
void machine_set_current(struct machine *m, int slot);

// A new process, pid, holds slot: the slot's TLB counts start afresh, for pid.
void machine_slot_reset(struct machine *m, int slot, int pid);

// Build a machine in its power-on state (RAM reads as zeros). Returns NULL, with a
// message in err, when the configuration is unusable or the host is out of memory.
struct machine *machine_new(const struct config *cfg, char *err, size_t errlen);
void machine_free(struct machine *m);

// Take the kernel image symbols of the user's own build (--kernel, `kernel ELF`), before
// boot. Returns 0, or -1 with the reason in err (booted already, or symbols the machine
// cannot hold: the same checks as machine_new's); m is then unchanged.
int machine_set_kernel(struct machine *m, uint64_t etext, uint64_t end, uint64_t trampoline,
                       char *err, size_t errlen);

// Simulate edition ed, before boot: unless the user's kernel ELF gave the image symbols,
// they become ed's defaults. Returns 0, or -1 with the reason in err (booted already, or
// the kernel-table mode is not one ed's lab has); m is then unchanged.
int machine_set_edition(struct machine *m, const struct xv6_edition *ed, char *err,
                        size_t errlen);

// The kernel carries lab's solution, before boot. Returns 0, or -1 with the reason in err
// (booted already; the edition's lab repository has no such lab; a per-process kernel-table
// mode, which is fall 2020's page-table lab, with another lab); m is then unchanged.
int machine_set_lab(struct machine *m, enum xv6_lab lab, char *err, size_t errlen);

// Throw the machine's state away and power it on again with the same configuration.
// Returns 0, or -1 if the host is out of memory (m then stays as it was).
int machine_reset(struct machine *m);

// The simulated kernel panics with xv6's words (and an optional detail of what the
// simulator saw). Marks the machine halted and returns SIM_PANIC for the caller to pass up.
int machine_panic(struct machine *m, const char *words, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Set m->why (a system call is returning -1 for that reason).
void machine_why(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// m->why as "out of memory: kalloc returned 0 at event N, in CHAIN", from the last kalloc
// that found no page.
void machine_why_nomem(struct machine *m);

static inline uint64_t machine_phystop(const struct machine *m) {
  return m->hw.ram.base + m->hw.ram.size;
}

#endif
