#ifndef SV39SIM_SUPERPAGE_H
#define SV39SIM_SUPERPAGE_H
// The superpages of 6.1810's page-table lab (fall 2024 on, `lab pgtbl`), as
// ../shared/EDITIONS.md specifies them: kinit keeps the highest 2 MiB-aligned regions below
// PHYSTOP (cfg.superpages of them) off kalloc's list, on a LIFO list of their own; a growth
// that covers a whole 2 MiB-aligned range maps it with one level-1 leaf from that list;
// fork copies it into a new superpage; freeing it returns it to its list; unmapping part of
// one demotes it (the kept part copied into 4 KiB pages, then the superpage freed). vm.c,
// kalloc.c and check.c call these hooks; without the lab each does nothing.
#include <stdbool.h>
#include <stdint.h>

struct machine;

#define SUPERPGSIZE (2ULL << 20)
#define SUPERPAGE_NPAGES (SUPERPGSIZE / 4096)
#define SUPERPAGES_DEFAULT 10
#define SUPERPAGES_MAX 1024

// The superpage allocator's state (struct machine's spmem): the reserved regions are
// [base, base + n * SUPERPGSIZE); the free list is linked through each region's first
// eight bytes, as kalloc's.
struct spmem {
  uint64_t base;
  uint64_t n;
  uint64_t freelist; // pa of the head, 0 when empty
  uint64_t nfree;
};

// Whether the kernel has superpages: lab pgtbl in an edition whose lab has them.
bool superpage_on(const struct machine *m);

// kinit's part: reserve the regions and superfree them, lowest first (so the head is the
// highest). Returns where kalloc's range ends: the lowest region, or PHYSTOP without the
// lab. Fewer regions than configured are kept when RAM above end has no room for them.
uint64_t superpage_kinit(struct machine *m);

// superalloc: a region filled with 0x05, or 0 when none is left. Counts as a kalloc call
// for failat and fault injection, so a failing call exercises the 4 KiB fallback.
uint64_t superpage_alloc(struct machine *m);

// superfree: fill with 0x01 and push. Panics "superfree" for a pa that is no region.
int superpage_free(struct machine *m, uint64_t pa);

// Whether pa is in a reserved region; and the region's state for the checker: the
// free list's regions, one call per region, head first (at most n; stops at a bad link).
bool superpage_reserved(const struct machine *m, uint64_t pa);
void superpage_each_free(const struct machine *m, void (*fn)(void *ctx, uint64_t pa),
                         void *ctx);

// Whether walk stops at pte, a level-1 entry: a leaf there is a superpage under the lab.
bool superpage_leaf(const struct machine *m, int level, uint64_t pte);

// The offset of va's 4 KiB page inside the superpage that maps it in pagetable, 0 when no
// superpage does (walkaddr adds it to the leaf's pa).
uint64_t superpage_offset(struct machine *m, uint64_t pagetable, uint64_t va);

// uvmalloc's loop at a: when [a, a + 2 MiB) is aligned, inside newsz and a superpage is
// left, map a zeroed superpage there with perm (*big set). SIM_FAIL when the level-1 table
// could not be had (the superpage is freed again; the caller undoes the growth).
int superpage_grow(struct machine *m, uint64_t pagetable, uint64_t a, uint64_t newsz,
                   uint64_t perm, bool *big);

// uvmunmap's loop at a, unmapping up to end: when a superpage maps a, unmap its part in
// [a, end) (*big set, *next the first va after that part): the whole one is freed (when
// do_free), a part is demoted first. SIM_FAIL when demotion ran out of memory (nothing
// changed).
int superpage_unmap(struct machine *m, uint64_t pagetable, uint64_t a, uint64_t end,
                    int do_free, bool *big, uint64_t *next);

// uvmcopy's loop at va: when a superpage maps va in old, copy it into a new superpage
// mapped in new with the same flags (*big set). SIM_FAIL when no superpage is left or
// new's level-1 table could not be had: fork then fails, as the lab's solutions do.
int superpage_copy(struct machine *m, uint64_t old, uint64_t new, uint64_t va, bool *big);

#endif
