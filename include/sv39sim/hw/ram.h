#ifndef SV39SIM_RAM_H
#define SV39SIM_RAM_H
// Simulated physical memory: the bytes from base up to base + size.
//
// All of it is one anonymous host mapping (the arena) of the whole size, page k of RAM at
// arena + k * PGSIZE, so a materialised page is read with one host load at a fixed
// offset. The host kernel gives the arena memory only for the pages touched, so a large
// machine costs nothing until written.
//
// A page whose bytes are a simple pattern stays "lazy" and its arena page is not used:
// every byte reads as one fill value, except that its first eight bytes may hold a page
// address (how a free page carries kmem's list link). Writing a lazy page materialises it
// (its pattern is copied into the arena first); refilling a page makes it lazy again.
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sv39sim/sv39.h"

enum { RAM_LAZY = 0, RAM_MATERIALISED = 1 };

struct ram {
  uint64_t base;
  uint64_t size;
  uint64_t npages;
  uint8_t *arena;  // size bytes (rounded up to a page); the bytes of materialised pages
  uint64_t arena_len;
  uint8_t *state;  // per page: RAM_LAZY (the pattern below) or RAM_MATERIALISED (arena)
  uint8_t *fill;   // what every byte of a lazy page reads as
  uint32_t *link;  // lazy link word: 0 none, 1 reads as 0, k + 2 reads as page k's address
  // Pages whose bytes live in the arena now. A page made lazy again may still hold host
  // memory (the arena page is not handed back per page); ram_destroy returns it all.
  uint64_t materialised;
  uint64_t mat_lo, mat_hi; // every page ever materialised has an index in [mat_lo, mat_hi)
};

// Returns 0, or -1 if the host could not provide the arena or the bookkeeping arrays.
int ram_init(struct ram *r, uint64_t base, uint64_t size);
void ram_destroy(struct ram *r);

// True when [pa, pa + len) lies inside RAM (len 0 counts as one byte).
bool ram_contains(const struct ram *r, uint64_t pa, uint64_t len);

// Copy bytes out of or into RAM. Return 0, or -1 (and touch nothing) when any byte of the
// range lies outside RAM.
int ram_read(struct ram *r, uint64_t pa, void *dst, uint64_t len);
int ram_write(struct ram *r, uint64_t pa, const void *src, uint64_t len);

// The general paths of ram_load and ram_store below (any page state, any alignment);
// callers use ram_load and ram_store.
int ram_load_slow(struct ram *r, uint64_t pa, unsigned size, uint64_t *val);
int ram_store_slow(struct ram *r, uint64_t pa, unsigned size, uint64_t val);

// Whether a size-byte access at pa is the whole story in the arena, at
// r->arena + (pa - r->base): pa inside RAM, aligned to size, its page materialised, and a
// little-endian host. Otherwise the access needs the general path. The state byte only
// feeds the branch, so a load from the arena depends on pa alone: one host load per
// page-table level.
static inline bool ram_is_fast(const struct ram *r, uint64_t pa, unsigned size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t off = pa - r->base; // below base wraps to a huge offset
  return off < r->size && (pa & (size - 1)) == 0 && r->state[off / PGSIZE] == RAM_MATERIALISED;
#else
  (void)r, (void)pa, (void)size;
  return false;
#endif
}

// The arena bytes of that access, or NULL when it needs the general path.
static inline uint8_t *ram_fast(const struct ram *r, uint64_t pa, unsigned size) {
  return ram_is_fast(r, pa, size) ? r->arena + (pa - r->base) : NULL;
}

// Little-endian loads and stores of 1, 2, 4 or 8 bytes. Return 0, or -1 outside RAM.
static inline int ram_load(struct ram *r, uint64_t pa, unsigned size, uint64_t *val) {
  assert(size == 1 || size == 2 || size == 4 || size == 8);
  const uint8_t *p = ram_fast(r, pa, size);
  if (p == NULL)
    return ram_load_slow(r, pa, size, val);
  uint64_t v = 0;
  memcpy(&v, p, size);
  *val = v;
  return 0;
}

static inline int ram_store(struct ram *r, uint64_t pa, unsigned size, uint64_t val) {
  assert(size == 1 || size == 2 || size == 4 || size == 8);
  uint8_t *p = ram_fast(r, pa, size);
  if (p == NULL)
    return ram_store_slow(r, pa, size, val);
  memcpy(p, &val, size);
  return 0;
}

// n little-endian 8-byte words (a run of PTEs) out of or into RAM at pa: the same bytes as
// n ram_load / ram_store calls of size 8. Return 0, or -1 (touching nothing) outside RAM.
int ram_read_words(struct ram *r, uint64_t pa, uint64_t *dst, uint64_t n);
int ram_write_words(struct ram *r, uint64_t pa, const uint64_t *src, uint64_t n);

// Whole-page operations on page-aligned addresses inside RAM (the caller checks).
// ram_fill_page leaves the page lazy; ram_copy_page gives dst src's bytes (a memcpy into
// dst's arena page when src is materialised, src's pattern when it is lazy).
void ram_fill_page(struct ram *r, uint64_t pa, uint8_t byte);
void ram_copy_page(struct ram *r, uint64_t dst, uint64_t src);

// Give npages pages from pa, lowest first, the contents that ram_fill_page(byte) followed
// by an 8-byte store at the page's start gives them, where the lowest page's store is of
// link and each other page's is of the address of the page below it: kinit's loop of
// kfrees in one step. Returns 0, or -1 (touching nothing) when pa is misaligned, the run
// is not inside RAM, or link is neither 0 nor a page address inside RAM.
int ram_fill_chain(struct ram *r, uint64_t pa, uint64_t npages, uint8_t byte, uint64_t link);

// The page at pa as host bytes, materialising it; pa must be inside RAM. The pointer is
// arena + (page - base), good until ram_destroy; but ram_fill_page or ram_fill_chain over
// the page, or ram_copy_page of a lazy page onto it, makes it lazy, and from then on the
// bytes behind the pointer are no longer the page's.
uint8_t *ram_page(struct ram *r, uint64_t pa);

#endif
