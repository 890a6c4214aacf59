#ifndef SV39SIM_CHECK_H
#define SV39SIM_CHECK_H
// The consistency checker: who owns every page of kmem's pool.
//
// The pool is every page kinit frees, PGROUNDUP(end) up to PHYSTOP; the pages below are
// the kernel image and never in it. Each pool page must be on the free list exactly once,
// or owned by exactly one of the things xv6 frees it through:
//   - a page-table page of a live table (the global kernel table, a process's user table,
//     a process's own kernel table in the lab modes): freewalk / kvmfree free them;
//   - a process structure page: the trapframe (freeproc), the kernel stack (procinit's in
//     global mode and the lab's kstack=procinit shape, found at KSTACK(slot) in the global
//     table, once; allocproc's in the other lab shapes, at p->kstack);
//   - a level-0 user leaf of a live process's user table other than TRAMPOLINE and
//     TRAPFRAME: uvmunmap frees those with do_free;
//   - the pgtbl lab's USYSCALL page of a process (freeproc frees it after the trapframe);
//     its mapping at USYSCALL in the user table owns nothing, as TRAPFRAME's;
//   - with the superpage lab (2024 on), each 4 KiB page of a reserved 2 MiB region: on the
//     superpage list (superpage-free), or of a superpage that a level-1 leaf of a live user
//     table maps (superpage: uvmunmap superfrees it);
//   - a page a device driver kalloc'd at boot and keeps (virtio_disk_init's desc, avail
//     and used rings from 2022 on, recorded in the machine);
//   - a page the user took with the `kalloc` command (check_hold) and nothing else owns:
//     held by the user. Mapping such a page into a table hands it over to that table.
// Mappings that own nothing: identity mappings in kernel tables (the direct map and the
// devices), TRAMPOLINE everywhere, TRAPFRAME in user tables and KSTACK in a per-process
// kernel table (their pages belong to the process), mode 3's mirrors of user pages, and
// superpage leaves other than the superpage lab's (only hand-made tables have them). Every such
// leaf other than the identity and trampoline mappings and superpages must still map no
// free page.
//
// With lab cow a user page may be mapped by several user leaves (fork shares it): each is
// one of its owners, and its reference count must equal their number; every other owned
// page has count 1 and every free page 0. --demand's pages (trap.h) are owned as demand
// pages.
//
// Before boot the pool is nobody's yet, and after a panic some pages may be in flight
// (taken and not yet recorded, or unlinked and not yet freed): then pages that are neither
// free nor owned are counted, not reported. Every other rule holds in every state.
#include <stdbool.h>
#include <stdint.h>

struct machine;

// What a pool page is. CHECK_NONE: neither free nor owned.
enum check_owner {
  CHECK_NONE,
  CHECK_FREE,
  CHECK_KERNEL_PT, // page-table page of the global kernel table
  CHECK_USER_PT,   // page-table page of a process's user table
  CHECK_PROC_KPT,  // page-table page of a process's own kernel table (lab modes)
  CHECK_TRAPFRAME,
  CHECK_KSTACK,
  CHECK_USER_PAGE, // a user leaf (uvmunmap's do_free)
  CHECK_HELD,      // taken with the `kalloc` command
  CHECK_DEVICE,    // a device driver's page from boot (virtio's rings, 2022 on)
  CHECK_DEMAND,    // a user leaf --demand mapped outside sz (freed before freewalk)
  CHECK_USYSCALL,  // a process's USYSCALL page (lab pgtbl, 2021 on)
  CHECK_SUPERPAGE, // a page of a superpage a user table maps (lab pgtbl, 2024 on)
  CHECK_SUPERFREE, // a page of a superpage on the superpage list
  CHECK_NKINDS
};

enum check_problem_kind {
  CHECK_LEAK,           // neither free nor owned, on a booted machine that has not panicked
  CHECK_OWNED_TWICE,    // claimed by two owners
  CHECK_FREE_AND_OWNED, // on the free list and owned
  CHECK_FREE_TWICE,     // on the free list twice: the list loops back (the walk stops there)
  CHECK_BAD_LINK,       // a free-list link outside the pool or not page-aligned
  CHECK_NFREE,          // the list's length differs from kmem's count
  CHECK_LEAF_FREE,      // a leaf that owns nothing maps a free page
  CHECK_TABLE_FREE,     // a table pointer (or a root) names a free page
  CHECK_TABLE_OUTSIDE,  // a table pointer names a page outside the pool
  CHECK_REFCOUNT,       // lab cow: a page's reference count is not the number of its owners
  CHECK_NPROBLEM_KINDS
};

#define CHECK_MAX_LISTED 16

struct check_problem {
  enum check_problem_kind kind;
  uint64_t pa;    // the page (the link for CHECK_BAD_LINK; 0 for CHECK_NFREE)
  char what[160]; // who claims it, in words
};

struct check_report {
  uint64_t pool_base, pool_end; // [base, end): the pages kinit frees
  uint64_t npool;
  uint64_t count[CHECK_NKINDS]; // pages per kind; count[CHECK_NONE] is neither
  bool leaks_checked;           // booted and not halted: CHECK_NONE pages are leaks
  uint64_t shared;              // lab cow: user pages more than one PTE maps
  uint64_t shared_maps;         // and the PTEs that map them
  uint64_t nproblems;           // all found; the first CHECK_MAX_LISTED are listed
  unsigned nlisted;
  struct check_problem problem[CHECK_MAX_LISTED];
};

// Check the machine (it is only read). Returns 0 with *r filled, or -1 when the host has
// no memory for the page map (one byte per pool page). Walks are bounded: no page is
// entered twice, and the free list is followed for at most the pool's length.
int check_machine(struct machine *m, struct check_report *r);

// Short names for reports ("leak", "kernel-pt", ...), stable for JSON.
const char *check_owner_name(enum check_owner k);
const char *check_problem_name(enum check_problem_kind k);

// Record a page the user took by hand (the `kalloc` command), or forget it (`kfree`).
// check_hold returns 0, or -1 when the host is out of memory (nothing recorded).
int check_hold(struct machine *m, uint64_t pa);
void check_release(struct machine *m, uint64_t pa);

// Free what xv6 would free when every process went away: freeproc of every slot in use
// (zombies and the living alike, init included), then kfree of every page the user holds
// that is neither free nor owned. Returns SIM_OK, SIM_PANIC (a broken table panics, as
// freeproc would) or SIM_FAIL (no host memory to find the held pages that are still the
// user's). What remains owned is the kernel's: its table, the boot stacks and the
// device pages.
int check_teardown(struct machine *m);

#endif
