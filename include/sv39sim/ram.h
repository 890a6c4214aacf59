#ifndef SV39SIM_RAM_H
#define SV39SIM_RAM_H
// Simulated physical memory: the bytes from base up to base + size.
//
// A page costs host memory only once something gives it bytes that differ from a simple
// pattern. Until then it is "lazy": every byte reads as one fill value, except that its
// first eight bytes may hold a page address (how a free page carries kmem's list link).
// A page copied from a materialised page shares its host bytes with the source until
// either is written (copy on write), so fork costs host memory only for what changes.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ram {
  uint64_t base;
  uint64_t size;
  uint64_t npages;
  // Host bytes of materialised pages, NULL while lazy. The low bit set marks bytes that
  // may be shared with another page: a store must look at their count first.
  uint8_t **host;
  uint8_t *fill;   // what every byte of a lazy page reads as
  uint32_t *link;  // lazy link word: 0 none, 1 reads as 0, k + 2 reads as page k's address
  uint8_t **spare; // freed host pages kept for reuse
  uint64_t nspare, spare_cap;
  uint64_t materialised; // host pages in use; a page shared by several counts once
  uint64_t host_lo, host_hi; // every non-NULL host entry has an index in [host_lo, host_hi)
};

// Returns 0, or -1 if the host could not provide the bookkeeping arrays.
int ram_init(struct ram *r, uint64_t base, uint64_t size);
void ram_destroy(struct ram *r);

// True when [pa, pa + len) lies inside RAM (len 0 counts as one byte).
bool ram_contains(const struct ram *r, uint64_t pa, uint64_t len);

// Copy bytes out of or into RAM. Return 0, or -1 (and touch nothing) when any byte of the
// range lies outside RAM.
int ram_read(struct ram *r, uint64_t pa, void *dst, uint64_t len);
int ram_write(struct ram *r, uint64_t pa, const void *src, uint64_t len);

// Little-endian loads and stores of 1, 2, 4 or 8 bytes. Return 0, or -1 outside RAM.
int ram_load(struct ram *r, uint64_t pa, unsigned size, uint64_t *val);
int ram_store(struct ram *r, uint64_t pa, unsigned size, uint64_t val);

// n little-endian 8-byte words (a run of PTEs) out of or into RAM at pa: the same bytes as
// n ram_load / ram_store calls of size 8. Return 0, or -1 (touching nothing) outside RAM.
int ram_read_words(struct ram *r, uint64_t pa, uint64_t *dst, uint64_t n);
int ram_write_words(struct ram *r, uint64_t pa, const uint64_t *src, uint64_t n);

// Whole-page operations on page-aligned addresses inside RAM (the caller checks).
void ram_fill_page(struct ram *r, uint64_t pa, uint8_t byte);
void ram_copy_page(struct ram *r, uint64_t dst, uint64_t src);

// Give npages pages from pa, lowest first, the contents that ram_fill_page(byte) followed
// by an 8-byte store at the page's start gives them, where the lowest page's store is of
// link and each other page's is of the address of the page below it: kinit's loop of
// kfrees in one step. Returns 0, or -1 (touching nothing) when pa is misaligned, the run
// is not inside RAM, or link is neither 0 nor a page address inside RAM.
int ram_fill_chain(struct ram *r, uint64_t pa, uint64_t npages, uint8_t byte, uint64_t link);

// The page at pa as host bytes of its own, materialising (or unsharing) it; pa must be
// inside RAM. The pointer is good until the next call into this module.
uint8_t *ram_page(struct ram *r, uint64_t pa);

#endif
