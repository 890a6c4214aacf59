#ifndef SV39SIM_ACCESS_H
#define SV39SIM_ACCESS_H
// Address traces replayed through the MMU: valgrind lackey's --trace-mem=yes output
// ("I  04000000,3", " L 7ff000398,8", " S ...", " M ...") or Dinero's din format
// ("LABEL ADDRESS": 0 read, 1 write, 2 fetch, 3 and 4 escapes), told apart by content.
#include <stdint.h>
#include <stdio.h>

#include "sv39sim/hw/mmu.h"

struct machine;

enum access_format { ACCESS_LACKEY, ACCESS_DIN };

#define ACCESS_MAX_LINE 4096u
#define ACCESS_FIRST_FAULTS 10u

struct access_fault {
  unsigned long line;
  struct fault f;
};

struct access_stats {
  enum access_format format;
  uint64_t records;      // accesses read (lackey I/L/S/M, din 0/1/2)
  uint64_t kind[4];      // of which: fetches, loads, stores, modifies (din has no M)
  uint64_t skipped;      // din escape records (labels 3 and 4)
  uint64_t translations; // a modify translates twice, a page-crossing access once a page
  uint64_t hits, misses, faults;
  unsigned nfirst;       // faults listed in first[]
  struct access_fault first[ACCESS_FIRST_FAULTS];
  // What usertrap's handlers did (access_run_how with the kernel or --demand): pages
  // --demand mapped, lazy pages made, COW pages copied; each such fault is retried once
  // (one more translation).
  uint64_t demand_faults, lazy_allocs, cow_copies;
  // The handler killed the process at line killed_line (why; its console lines):
  // the replay ended there.
  bool killed;
  unsigned long killed_line;
  const char *killed_why;
  char killed_console[2][128];
};

// How access_run_how treats a fault: ACCESS_KERNEL runs xv6's usertrap (the lab's
// handlers; the stock kill ends the replay), ACCESS_DEMAND maps a page at a fault on an
// unmapped user page nothing else takes. Neither: faults are only counted.
#define ACCESS_KERNEL 1u
#define ACCESS_DEMAND 2u

// Called about every million records with the count so far (a progress display).
typedef void access_progress_fn(void *ctx, uint64_t records);

enum { ACCESS_I, ACCESS_L, ACCESS_S, ACCESS_M };

// Replay the trace in `in` through the MMU with the hart as it is (the caller chooses
// satp and privilege). Streams with one fixed buffer. Returns 0, or -1 with "NAME:LINE:
// why" in err for a line that is neither format or names an address outside Sv39;
// *st then holds the counts up to that line.
int access_replay(struct machine *m, FILE *in, const char *name, struct access_stats *st,
                  char *err, size_t errlen);

// Run the trace as the process in slot, in U-mode, the way xv6 enters and leaves user
// space: satp gets its user table (ASID 0) and sfence.vma flushes the TLB; afterwards the
// hart's previous satp and privilege return, with another flush. Returns as
// access_replay.
int access_run(struct machine *m, int slot, FILE *in, const char *name,
               struct access_stats *st, char *err, size_t errlen);

// access_run with faults treated as how says (ACCESS_KERNEL, ACCESS_DEMAND; access_run
// runs the kernel when a lab is chosen), and progress (NULL: none) called with ctx.
// Returns 0, -1 as access_replay, or -2 when the simulated kernel panicked (init killed).
int access_run_how(struct machine *m, int slot, FILE *in, const char *name, unsigned how,
                   access_progress_fn *progress, void *ctx, struct access_stats *st,
                   char *err, size_t errlen);

#endif
