// Fuzz target: the input is a kernel ELF for --kernel. ksyms_read must never read outside
// the input, and must either give the three symbols with a non-empty set of editions, or
// refuse with a message; the same input always gives the same answer.
#include <string.h>

#include "fuzz.h"
#include "sv39sim/xv6/ksyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A private copy of exactly size bytes, so that ASan sees any read past the end.
  uint8_t *d = malloc(size ? size : 1);
  FUZZ_CHECK(d != NULL, "out of memory");
  memcpy(d, data, size);
  struct kernel_syms a, b;
  char err_a[256], err_b[256];
  err_a[0] = err_b[0] = '\0';
  int ra = ksyms_read(d, size, &a, err_a, sizeof(err_a));
  int rb = ksyms_read(d, size, &b, err_b, sizeof(err_b));
  FUZZ_CHECK(ra == rb, "the same file read twice: %d, then %d", ra, rb);
  if (ra == 0) {
    unsigned all = (1u << (KSYMS_LAST_YEAR - KSYMS_FIRST_YEAR + 1)) - 1;
    FUZZ_CHECK(a.years != 0 && (a.years & ~all) == 0, "years mask 0x%x", a.years);
    FUZZ_CHECK(a.etext == b.etext && a.end == b.end && a.trampoline == b.trampoline &&
                   a.years == b.years, "the same file read twice differs");
  } else {
    FUZZ_CHECK(ra == -1 && err_a[0] != '\0' && strcmp(err_a, err_b) == 0,
               "refused without one message: %d '%s'", ra, err_a);
  }
  free(d);
  return 0;
}
