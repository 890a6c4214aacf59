#ifndef SV39SIM_COMPARE_H
#define SV39SIM_COMPARE_H
// Two page tables side by side, as dumps (tools/import.h): a student's vmprint and
// sv39sim's table, or two dumps. Entries are matched by level and va; what differs is
// listed in va order, and the physical addresses are summed up as one shift in pages when
// the tables have the same shape. Nothing here prints.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv39sim/tools/import.h"

enum compare_kind {
  COMPARE_ONLY_A, // an entry (and what lies under it) only in a
  COMPARE_ONLY_B,
  COMPARE_FLAGS,  // the same level and va, other flag bits (bits 7..0)
};

struct compare_diff {
  enum compare_kind kind;
  int level;
  uint64_t va;
  uint64_t pte_a, pte_b; // 0 for the side that has none
};

struct compare_report {
  bool identical;        // the same PTEs at the same places, the same root
  bool same_shape;       // no diffs; only physical addresses differ (or none)
  // Over the root and every matched entry: how many name the same page in both, how many
  // another, and when all of those differ by one amount, that amount in pages (a - b).
  size_t nsame_pa, nother_pa;
  bool one_shift;
  int64_t shift;
  size_t nmatched;
  size_t ndiffs; // all of them, in va order
  struct compare_diff *diffs;
};

// Compare a with b. Returns 0 with *r filled (compare_free frees it), or -1 when the host
// is out of memory.
int compare_dumps(const struct import_dump *a, const struct import_dump *b,
                  struct compare_report *r);
void compare_free(struct compare_report *r);

#endif
