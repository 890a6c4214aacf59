#ifndef SV39SIM_VM_H
#define SV39SIM_VM_H
// xv6's page-table code (kernel/vm.c), working on tables in simulated RAM. A page table
// is named by the physical address of its root page.
//
// Every function follows enum sim_status's convention (machine.h): results come back
// through pointers, set only on SIM_OK.
#include <stdint.h>

struct machine;

// The PTE for va: its physical address in *pte_pa. SIM_FAIL (walk's 0) when a level is
// missing and alloc is 0, or kalloc failed. Panics "walk" for va >= MAXVA.
int vm_walk(struct machine *m, uint64_t pagetable, uint64_t va, int alloc,
            uint64_t *pte_pa);

// The pa of the user page at va in *pa; SIM_FAIL (walkaddr's 0) when it is not mapped,
// not valid or not U.
int vm_walkaddr(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t *pa);

// Map [va, va + size) to pa. SIM_FAIL when walk could not allocate a page-table page
// (pages mapped so far stay mapped, as in xv6); panics "remap".
int vm_mappages(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t size,
                uint64_t pa, uint64_t perm);

// Unmap npages from va, freeing the pages when do_free. Panics as xv6 does.
int vm_uvmunmap(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t npages,
                int do_free);

// An empty table in *pagetable, or SIM_FAIL when out of memory.
int vm_uvmcreate(struct machine *m, uint64_t *pagetable);

// Map one zeroed page at va 0 holding src[0..sz). Panics "inituvm: more than a page".
// SIM_FAIL when mappages could not get a page-table page (xv6 does not check).
int vm_uvminit(struct machine *m, uint64_t pagetable, const uint8_t *src, uint64_t sz);

// Grow from oldsz to newsz with zeroed pages mapped with perm (the edition's: xv6 2020
// maps R|W|X|U, later editions R|U plus xperm); *newsz_out is the new size. SIM_FAIL
// (uvmalloc's 0) when out of memory, everything undone.
int vm_uvmalloc(struct machine *m, uint64_t pagetable, uint64_t oldsz, uint64_t newsz,
                uint64_t perm, uint64_t *newsz_out);

// Shrink from oldsz to newsz, freeing the pages; *newsz_out gets the new size.
int vm_uvmdealloc(struct machine *m, uint64_t pagetable, uint64_t oldsz, uint64_t newsz,
                  uint64_t *newsz_out);

// Free the table's page-table pages; every leaf must be gone already ("freewalk: leaf").
int vm_freewalk(struct machine *m, uint64_t pagetable);

// Free the user pages below sz, then the page-table pages.
int vm_uvmfree(struct machine *m, uint64_t pagetable, uint64_t sz);

// Copy the parent's pages below sz, data and flags, into new. SIM_FAIL when out of
// memory, with every page copied so far unmapped and freed.
int vm_uvmcopy(struct machine *m, uint64_t old, uint64_t new, uint64_t sz);

// uvmcopy's look at the parent's PTE for va (either lab's uvmcopy): SIM_OK with its
// address and value; SIM_FAIL for a page never made, which a lazy kernel skips; otherwise
// xv6's panics ("uvmcopy: pte should exist", "uvmcopy: page not present").
int vm_uvmcopy_pte(struct machine *m, uint64_t old, uint64_t va, uint64_t *pte_pa,
                   uint64_t *pte);

// Clear PTE_U of the page at va (exec's stack guard). Panics "uvmclear".
int vm_uvmclear(struct machine *m, uint64_t pagetable, uint64_t va);

// Copy between host memory and user memory through walkaddr, as xv6 does.
int vm_copyout(struct machine *m, uint64_t pagetable, uint64_t dstva, const void *src,
               uint64_t len);
int vm_copyin(struct machine *m, uint64_t pagetable, void *dst, uint64_t srcva,
              uint64_t len);
// Copy a NUL-terminated string of at most max bytes (NUL included); SIM_FAIL if no NUL.
int vm_copyinstr(struct machine *m, uint64_t pagetable, char *dst, uint64_t srcva,
                 uint64_t max);

// The lab's kernel-table helpers.
//
// Free a per-process kernel table's page-table pages, children before parents in index
// order (freewalk's order), leaving every leaf page alone: those belong to the kernel or
// to the user table.
int vm_kvmfree(struct machine *m, uint64_t pagetable);

// Mirror the user pages of upt in [PGROUNDUP(oldsz), newsz) into kpt at the same va, with
// the same pa and flags minus PTE_U. SIM_FAIL when a page-table page could not be had;
// what was mirrored is then unmapped again (page-table pages stay, as after any failed
// mappages). Panics "remap" when kpt already maps one of those va (CLINT kept).
int vm_u2kvmcopy(struct machine *m, uint64_t upt, uint64_t kpt, uint64_t oldsz,
                 uint64_t newsz);

// copyin_new / copyinstr_new of the lab: the kernel dereferences user va directly, the
// process's kernel table (kpt) being in satp; sz is the process's size. Their bounds
// checks are the lab's, off-by-one included. A va kpt cannot load from is a kernel page
// fault: panic "kerneltrap".
int vm_copyin_new(struct machine *m, uint64_t kpt, uint64_t sz, void *dst, uint64_t srcva,
                  uint64_t len);
int vm_copyinstr_new(struct machine *m, uint64_t kpt, uint64_t sz, char *dst,
                     uint64_t srcva, uint64_t max);

// Read the PTE at pte_pa. Page-table pages live in RAM, so this cannot fail for a pte_pa
// that walk returned.
uint64_t vm_pte_read(struct machine *m, uint64_t pte_pa);
void vm_pte_write(struct machine *m, uint64_t pte_pa, uint64_t pte);

#endif
