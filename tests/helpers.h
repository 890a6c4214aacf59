#ifndef SV39SIM_TEST_HELPERS_H
#define SV39SIM_TEST_HELPERS_H
// Machines for tests.
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/xv6/machine.h"

// A machine with the default configuration (128 MiB, a stock kernel's symbols).
static inline struct machine *test_machine(void) {
  struct config cfg;
  config_defaults(&cfg);
  char err[128];
  struct machine *m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  return m;
}

// A machine whose RAM holds the kernel image and npages free pages.
static inline struct machine *small_machine(uint64_t npages) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.ram_size = (((cfg.end + 4095) & ~4095ULL) - 0x80000000ULL) + npages * 4096;
  char err[128];
  struct machine *m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  return m;
}

// Everything a renderer writes, as a string the caller frees.
#define CAPTURE(text, stmt)                                                              \
  do {                                                                                   \
    size_t capture_len_;                                                                 \
    FILE *out = open_memstream(&(text), &capture_len_);                                  \
    cr_assert_not_null(out);                                                             \
    stmt;                                                                                \
    fclose(out);                                                                         \
  } while (0)

// Two machines whose simulated state must be the same (a fast path and the slow path it
// stands for): every byte of RAM, kmem, and the panic, if any. The first differing page
// is named.
static inline void assert_same_state(struct machine *a, struct machine *b) {
  cr_assert_eq(a->hw.ram.size, b->hw.ram.size);
  static uint8_t x[4096], y[4096];
  for (uint64_t pa = a->hw.ram.base; pa < a->hw.ram.base + a->hw.ram.size; pa += 4096) {
    cr_assert_eq(ram_read(&a->hw.ram, pa, x, 4096), 0);
    cr_assert_eq(ram_read(&b->hw.ram, pa, y, 4096), 0);
    cr_assert_eq(memcmp(x, y, 4096), 0, "page 0x%lx differs", (unsigned long)pa);
  }
  cr_assert_eq(a->kmem.freelist, b->kmem.freelist, "freelist 0x%lx vs 0x%lx",
               (unsigned long)a->kmem.freelist, (unsigned long)b->kmem.freelist);
  cr_assert_eq(a->kmem.nfree, b->kmem.nfree, "nfree %lu vs %lu", (unsigned long)a->kmem.nfree,
               (unsigned long)b->kmem.nfree);
  cr_assert_eq(a->kmem.nkfree, b->kmem.nkfree);
  cr_assert_eq(a->kmem.nkalloc, b->kmem.nkalloc);
  cr_assert_eq(a->kmem.failat, b->kmem.failat);
  cr_assert_eq(a->halted, b->halted);
  cr_assert_str_eq(a->panic_msg, b->panic_msg);
  cr_assert_str_eq(a->panic_detail, b->panic_detail);
}

#endif
