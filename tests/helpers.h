#ifndef SV39SIM_TEST_HELPERS_H
#define SV39SIM_TEST_HELPERS_H
// Machines for tests.
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "sv39sim/machine.h"

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
  cfg.ram_size = (cfg.end - 0x80000000ULL) + npages * 4096;
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

#endif
