#include <criterion/criterion.h>

#include "sv39sim/ram.h"
#include "sv39sim/sv39.h"

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
