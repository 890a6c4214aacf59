#define _DEFAULT_SOURCE // mincore
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sv39sim/hw/ram.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/memlayout.h"

static struct ram r;

static void setup(void) {
  cr_assert_eq(ram_init(&r, KERNBASE, 64 * PGSIZE), 0);
}

static void teardown(void) {
  ram_destroy(&r);
}

TestSuite(ram, .init = setup, .fini = teardown);

Test(ram, reads_zeros_at_power_on) {
  uint64_t v = 1;
  cr_assert_eq(ram_load(&r, KERNBASE + 5 * PGSIZE + 8, 8, &v), 0);
  cr_assert_eq(v, 0, "power-on RAM read 0x%lx, want 0", v);
  cr_assert_eq(r.materialised, 0, "a read materialised %lu pages", r.materialised);
}

Test(ram, refuses_accesses_outside_ram) {
  uint64_t v;
  cr_assert_eq(ram_load(&r, KERNBASE - 8, 8, &v), -1);
  cr_assert_eq(ram_load(&r, KERNBASE + 64 * PGSIZE - 4, 8, &v), -1, "straddling PHYSTOP");
  cr_assert_eq(ram_store(&r, KERNBASE + 64 * PGSIZE, 1, 0), -1);
  cr_assert_eq(ram_store(&r, 0, 8, 0), -1);
  cr_assert_eq(ram_load(&r, UINT64_MAX - 3, 8, &v), -1, "wrapping around 2^64");
}

Test(ram, stores_little_endian_across_a_page_boundary) {
  uint64_t pa = KERNBASE + PGSIZE - 4, v;
  cr_assert_eq(ram_store(&r, pa, 8, 0x1122334455667788ULL), 0);
  cr_assert_eq(ram_load(&r, pa, 1, &v), 0);
  cr_assert_eq(v, 0x88);
  cr_assert_eq(ram_load(&r, KERNBASE + PGSIZE, 4, &v), 0);
  cr_assert_eq(v, 0x11223344, "upper half in the next page: 0x%lx", v);
}

Test(ram, a_filled_page_stays_lazy_and_reads_its_fill) {
  uint64_t pa = KERNBASE + 3 * PGSIZE, v;
  ram_fill_page(&r, pa, 0x05);
  cr_assert_eq(ram_load(&r, pa + 100, 4, &v), 0);
  cr_assert_eq(v, 0x05050505);
  cr_assert_eq(r.materialised, 0);
}

Test(ram, a_link_word_reads_back_without_materialising) {
  uint64_t pa = KERNBASE + 3 * PGSIZE, v;
  ram_fill_page(&r, pa, 0x01);
  cr_assert_eq(ram_store(&r, pa, 8, KERNBASE + 9 * PGSIZE), 0);
  cr_assert_eq(r.materialised, 0);
  cr_assert_eq(ram_load(&r, pa, 8, &v), 0);
  cr_assert_eq(v, KERNBASE + 9 * PGSIZE);
  cr_assert_eq(ram_load(&r, pa + 6, 4, &v), 0);
  cr_assert_eq(v, 0x01010000, "bytes 6..9 of a linked junk page: 0x%lx", v);
}

Test(ram, copying_a_lazy_page_copies_its_pattern) {
  uint64_t src = KERNBASE, dst = KERNBASE + PGSIZE, v;
  ram_fill_page(&r, src, 0x01);
  ram_store(&r, src, 8, 0);
  ram_store(&r, dst + 40, 1, 0x77);
  ram_copy_page(&r, dst, src);
  cr_assert_eq(ram_load(&r, dst + 40, 1, &v), 0);
  cr_assert_eq(v, 0x01);
  cr_assert_eq(ram_load(&r, dst, 8, &v), 0);
  cr_assert_eq(v, 0);
}

// ---- copies: each page its own bytes in the arena ----

static uint64_t load(uint64_t pa, unsigned size) {
  uint64_t v = 0;
  cr_assert_eq(ram_load(&r, pa, size, &v), 0, "load 0x%lx", pa);
  return v;
}

Test(ram, a_copied_page_has_its_own_bytes_and_each_side_is_written_alone) {
  uint64_t src = KERNBASE, dst = KERNBASE + PGSIZE;
  ram_store(&r, src + 16, 8, 0x1111);
  cr_assert_eq(r.materialised, 1);
  ram_copy_page(&r, dst, src);
  cr_assert_eq(r.materialised, 2, "a copy of a materialised page is materialised: %lu",
               r.materialised);
  cr_assert_eq(load(dst + 16, 8), 0x1111);
  ram_store(&r, dst + 16, 8, 0x2222);
  cr_assert_eq(load(src + 16, 8), 0x1111, "the source reads 0x%lx", load(src + 16, 8));
  cr_assert_eq(load(dst + 16, 8), 0x2222);
  ram_store(&r, src + 24, 8, 0x3333);
  cr_assert_eq(load(dst + 24, 8), 0, "dst+24 reads 0x%lx", load(dst + 24, 8));
  cr_assert_eq(r.materialised, 2, "stores to materialised pages take no new page");
}

Test(ram, writing_the_source_of_two_copies_leaves_both_copies_as_they_were) {
  uint64_t src = KERNBASE, d1 = KERNBASE + PGSIZE, d2 = KERNBASE + 2 * PGSIZE;
  ram_store(&r, src + 100, 1, 0xaa);
  ram_copy_page(&r, d1, src);
  ram_copy_page(&r, d2, d1);
  ram_store(&r, src + 100, 1, 0xbb);
  cr_assert_eq(load(src + 100, 1), 0xbb);
  cr_assert_eq(load(d1 + 100, 1), 0xaa, "d1 reads 0x%lx", load(d1 + 100, 1));
  cr_assert_eq(load(d2 + 100, 1), 0xaa, "d2 reads 0x%lx", load(d2 + 100, 1));
  cr_assert_eq(r.materialised, 3);
  uint8_t bytes[3] = {1, 2, 3};
  cr_assert_eq(ram_write(&r, d1 + PGSIZE - 1, bytes, 3), 0, "a write across d1 into d2");
  cr_assert_eq(load(d1 + 100, 1), 0xaa);
  cr_assert_eq(load(d1 + PGSIZE - 1, 1), 1);
  cr_assert_eq(load(d2, 2), 0x0302, "d2 reads 0x%lx", load(d2, 2));
  cr_assert_eq(load(d2 + 100, 1), 0xaa);
  cr_assert_eq(load(src + PGSIZE - 1, 1), 0, "the source is untouched");
  cr_assert_eq(r.materialised, 3, "the write took no new page");
}

Test(ram, refilling_the_source_of_a_copy_keeps_the_copys_bytes) {
  uint64_t src = KERNBASE, dst = KERNBASE + PGSIZE;
  ram_store(&r, src + 8, 4, 0xcafe);
  ram_copy_page(&r, dst, src);
  ram_fill_page(&r, src, 0x01);
  cr_assert_eq(load(src + 8, 4), 0x01010101);
  cr_assert_eq(load(dst + 8, 4), 0xcafe);
  cr_assert_eq(r.materialised, 1, "the refilled source is lazy again");
  ram_store(&r, dst + 8, 4, 0xbeef);
  cr_assert_eq(r.materialised, 1);
  cr_assert_eq(load(dst + 8, 4), 0xbeef);
}

Test(ram, copying_onto_a_materialised_page_replaces_all_its_bytes) {
  uint64_t a = KERNBASE, b = KERNBASE + PGSIZE, c = KERNBASE + 2 * PGSIZE;
  ram_store(&r, a, 8, 0x11);
  ram_store(&r, a + 200, 8, 0x33);
  ram_store(&r, c, 8, 0x22);
  ram_copy_page(&r, b, a);
  ram_copy_page(&r, b, c);
  cr_assert_eq(load(a, 8), 0x11);
  cr_assert_eq(load(b, 8), 0x22, "b reads 0x%lx", load(b, 8));
  cr_assert_eq(load(b + 200, 8), 0, "b keeps a's byte 200: 0x%lx", load(b + 200, 8));
  cr_assert_eq(r.materialised, 3);
  ram_copy_page(&r, b, b);
  cr_assert_eq(load(b, 8), 0x22, "copying a page onto itself changes nothing");
  ram_copy_page(&r, b, KERNBASE + 9 * PGSIZE); // a lazy page of zeros
  cr_assert_eq(load(b, 8), 0);
  cr_assert_eq(load(c, 8), 0x22);
  cr_assert_eq(r.materialised, 2, "b took the lazy page's pattern: %lu", r.materialised);
}

// A refilled page keeps stale bytes in its arena page; they must never show again.
Test(ram, a_refilled_page_written_again_reads_its_new_pattern_not_its_old_bytes) {
  uint64_t pa = KERNBASE + 4 * PGSIZE;
  ram_store(&r, pa + 16, 8, 0x1111);
  ram_store(&r, pa + PGSIZE - 8, 8, 0x2222);
  ram_fill_page(&r, pa, 0x05);
  ram_store(&r, pa, 8, KERNBASE + 2 * PGSIZE); // stays lazy: a link word
  cr_assert_eq(r.materialised, 0);
  ram_store(&r, pa + 100, 1, 0x77);
  cr_assert_eq(r.materialised, 1);
  cr_assert_eq(load(pa, 8), KERNBASE + 2 * PGSIZE, "the link reads 0x%lx", load(pa, 8));
  cr_assert_eq(load(pa + 16, 8), 0x0505050505050505ULL, "pa+16 reads 0x%lx", load(pa + 16, 8));
  cr_assert_eq(load(pa + PGSIZE - 8, 8), 0x0505050505050505ULL);
  cr_assert_eq(load(pa + 100, 1), 0x77);
}

// ---- the arena: one host mapping, a page at its offset ----

Test(ram, the_fast_path_is_the_arena_at_the_offset_of_a_materialised_page) {
  uint64_t pa = KERNBASE + 7 * PGSIZE;
  cr_assert_null(ram_fast(&r, pa, 8), "a lazy page has no fast path");
  ram_store(&r, pa + 8, 8, 0x42);
  uint8_t *want = r.arena + 7 * PGSIZE + 8;
  cr_assert_eq(ram_fast(&r, pa + 8, 8), want, "fast path %p, want %p",
               (void *)ram_fast(&r, pa + 8, 8), (void *)want);
  cr_assert_eq(ram_fast(&r, pa + 9, 1), want + 1);
  cr_assert_null(ram_fast(&r, pa + 12, 8), "a misaligned access takes the general path");
  cr_assert_null(ram_fast(&r, KERNBASE - PGSIZE + 8, 8), "below RAM");
  cr_assert_null(ram_fast(&r, KERNBASE + 64 * PGSIZE, 8), "at PHYSTOP");
  cr_assert_eq(ram_page(&r, pa + 100), r.arena + 7 * PGSIZE, "ram_page is the arena page");
  ram_fill_page(&r, pa, 0);
  cr_assert_null(ram_fast(&r, pa + 8, 8), "a refilled page is lazy again");
}

// Pages of the arena the host kernel has given memory to.
static uint64_t resident_pages(const struct ram *x) {
  uint64_t n = x->arena_len / PGSIZE, count = 0;
  unsigned char *vec = malloc(n);
  cr_assert_not_null(vec);
  cr_assert_eq(mincore(x->arena, x->arena_len, vec), 0, "mincore failed");
  for (uint64_t i = 0; i < n; i++)
    count += vec[i] & 1;
  free(vec);
  return count;
}

Test(ram, a_64_gib_ram_has_host_memory_only_for_the_pages_written) {
  struct ram big;
  cr_assert_eq(ram_init(&big, KERNBASE, 64ULL << 30), 0);
  cr_assert_eq(resident_pages(&big), 0);
  uint64_t top = KERNBASE + (64ULL << 30) - 8, v;
  cr_assert_eq(ram_store(&big, top, 8, 0x1234), 0);
  cr_assert_eq(ram_store(&big, KERNBASE + 8, 8, 0x5678), 0);
  ram_fill_page(&big, KERNBASE + PGSIZE, 0x01);                  // lazy
  cr_assert_eq(ram_store(&big, KERNBASE + PGSIZE, 8, 0), 0);     // a link word
  cr_assert_eq(ram_load(&big, top, 8, &v), 0);
  cr_assert_eq(v, 0x1234, "the top word reads 0x%lx", v);
  cr_assert_eq(big.materialised, 2);
  uint64_t res = resident_pages(&big);
  cr_assert_eq(res, 2, "%lu arena pages resident, want the 2 written", res);
  ram_destroy(&big);
}

// Pages 0-9 and 11-110 written, page 10 lazy between them: the chain makes all lazy, and
// the run of 100 (at least RELEASE_RUN, 64) goes back to the host while the run of 10 stays
// for reuse.
Test(ram, a_chain_over_a_long_materialised_run_hands_its_memory_back) {
  struct ram big;
  cr_assert_eq(ram_init(&big, KERNBASE, 256 * PGSIZE), 0);
  for (uint64_t i = 0; i < 111; i++) {
    if (i != 10)
      ram_store(&big, KERNBASE + i * PGSIZE + 8, 8, i + 1);
  }
  cr_assert_eq(resident_pages(&big), 110);
  cr_assert_eq(ram_fill_chain(&big, KERNBASE, 111, 0x01, 0), 0);
  cr_assert_eq(big.materialised, 0);
  uint64_t res = resident_pages(&big);
  cr_assert_eq(res, 10, "%lu arena pages resident, want the short run's 10", res);
  uint64_t v;
  cr_assert_eq(ram_load(&big, KERNBASE + 50 * PGSIZE, 8, &v), 0);
  cr_assert_eq(v, KERNBASE + 49 * PGSIZE, "page 50's link reads 0x%lx", v);
  cr_assert_eq(ram_load(&big, KERNBASE + 5 * PGSIZE + 8, 8, &v), 0);
  cr_assert_eq(v, 0x0101010101010101ULL, "page 5's old word shows: 0x%lx", v);
  ram_destroy(&big);
}

// ---- word runs and chains: the same bytes as the single operations ----

static struct ram r2;

static void assert_same_bytes(struct ram *a, struct ram *b) {
  uint8_t x[PGSIZE], y[PGSIZE];
  for (uint64_t pa = a->base; pa < a->base + a->size; pa += PGSIZE) {
    cr_assert_eq(ram_read(a, pa, x, PGSIZE), 0);
    cr_assert_eq(ram_read(b, pa, y, PGSIZE), 0);
    cr_assert_eq(memcmp(x, y, PGSIZE), 0, "page 0x%lx differs", pa);
  }
}

Test(ram, word_runs_write_the_bytes_of_single_stores) {
  cr_assert_eq(ram_init(&r2, KERNBASE, 64 * PGSIZE), 0);
  uint64_t pa = KERNBASE + 3 * PGSIZE;
  const uint64_t w[4] = {KERNBASE + 9 * PGSIZE, 0x21fda801, 0, UINT64_MAX};
  ram_fill_page(&r, pa, 0x01);
  ram_fill_page(&r2, pa, 0x01);
  cr_assert_eq(ram_write_words(&r, pa, w, 4), 0);
  for (int i = 0; i < 4; i++)
    ram_store(&r2, pa + 8 * (uint64_t)i, 8, w[i]);
  cr_assert_eq(ram_write_words(&r, KERNBASE + 2 * PGSIZE - 8, w, 2), 0, "across a page");
  ram_store(&r2, KERNBASE + 2 * PGSIZE - 8, 8, w[0]);
  ram_store(&r2, KERNBASE + 2 * PGSIZE, 8, w[1]);
  assert_same_bytes(&r, &r2);
  uint64_t back[4];
  cr_assert_eq(ram_read_words(&r, pa, back, 4), 0);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(back[i], w[i], "word %d reads 0x%lx, want 0x%lx", i, back[i], w[i]);
  ram_destroy(&r2);
}

Test(ram, word_runs_outside_ram_touch_nothing) {
  uint64_t w[2] = {7, 7};
  cr_assert_eq(ram_write_words(&r, KERNBASE + 64 * PGSIZE - 8, w, 2), -1);
  cr_assert_eq(ram_read_words(&r, KERNBASE + 64 * PGSIZE - 8, w, 2), -1);
  cr_assert_eq(ram_write_words(&r, KERNBASE, w, UINT64_MAX / 4), -1, "8n wraps");
  cr_assert_eq(r.materialised, 0);
  cr_assert_eq(load(KERNBASE + 64 * PGSIZE - 8, 8), 0);
  cr_assert_eq(w[0], 7, "a refused read wrote 0x%lx", w[0]);
}

// The slow definition of ram_fill_chain: a fill and a store for each page, lowest first.
static void fill_and_store(struct ram *x, uint64_t pa, uint64_t n, uint64_t link) {
  for (uint64_t i = 0; i < n; i++) {
    ram_fill_page(x, pa + i * PGSIZE, 0x01);
    ram_store(x, pa + i * PGSIZE, 8, i == 0 ? link : pa + (i - 1) * PGSIZE);
  }
}

Test(ram, a_chain_gives_the_bytes_of_a_fill_and_a_store_per_page) {
  const uint64_t links[] = {0, KERNBASE + 60 * PGSIZE, KERNBASE + 10 * PGSIZE};
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(ram_init(&r2, KERNBASE, 64 * PGSIZE), 0);
    ram_destroy(&r);
    cr_assert_eq(ram_init(&r, KERNBASE, 64 * PGSIZE), 0);
    // Pages touched before: one inside the run, one below it that must survive.
    for (struct ram *x = &r; x != NULL; x = x == &r ? &r2 : NULL) {
      ram_store(x, KERNBASE + 12 * PGSIZE + 100, 8, 0xdeadbeef);
      ram_store(x, KERNBASE + PGSIZE + 8, 8, 0xfeed);
    }
    cr_assert_eq(ram_fill_chain(&r, KERNBASE + 10 * PGSIZE, 40, 0x01, links[k]), 0);
    fill_and_store(&r2, KERNBASE + 10 * PGSIZE, 40, links[k]);
    assert_same_bytes(&r, &r2);
    cr_assert_eq(r.materialised, 1, "link 0x%lx: %lu pages materialised, want the one below",
                 links[k], r.materialised);
    ram_destroy(&r2);
  }
  cr_assert_eq(load(KERNBASE + 12 * PGSIZE, 8), KERNBASE + 11 * PGSIZE);
  cr_assert_eq(load(KERNBASE + 12 * PGSIZE + 100, 8), 0x0101010101010101ULL);
}

Test(ram, a_chain_refuses_what_a_store_would_not_keep_lazy) {
  cr_assert_eq(ram_fill_chain(&r, KERNBASE + 8, 2, 0x01, 0), -1, "misaligned");
  cr_assert_eq(ram_fill_chain(&r, KERNBASE + 63 * PGSIZE, 2, 0x01, 0), -1, "past the end");
  cr_assert_eq(ram_fill_chain(&r, KERNBASE, UINT64_MAX / 2, 0x01, 0), -1, "wrapping");
  cr_assert_eq(ram_fill_chain(&r, KERNBASE, 2, 0x01, KERNBASE + 8), -1, "link misaligned");
  cr_assert_eq(ram_fill_chain(&r, KERNBASE, 2, 0x01, KERNBASE + 64 * PGSIZE), -1,
               "link outside RAM");
  cr_assert_eq(load(KERNBASE, 8), 0, "a refused chain changed RAM");
  cr_assert_eq(ram_fill_chain(&r, KERNBASE, 0, 0x01, 1), 0, "an empty run is no error");
}
