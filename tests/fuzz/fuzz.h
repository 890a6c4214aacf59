#ifndef SV39SIM_FUZZ_H
#define SV39SIM_FUZZ_H
// What the fuzz targets share: their checks, the small machine they build, the in-memory
// files a fuzzed trace may name, and a sink for output nobody reads.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sv39sim/cli/cmd.h"
#include "sv39sim/xv6/machine.h"

// libFuzzer's entry point; regress.c calls it on corpus files without libFuzzer.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// True under libFuzzer, false in the regression run (regress.c), which can afford the
// checks that cost the most.
extern const bool fuzz_libfuzzer;

// A broken invariant is a finding: say which, then abort so that libFuzzer (or the
// regression run) keeps the input.
#define FUZZ_CHECK(cond, ...)                                                            \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);           \
      fprintf(stderr, __VA_ARGS__);                                                      \
      fputc('\n', stderr);                                                               \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

// RAM for fuzzing: boot stays cheap and running out of pages is reachable.
#define FUZZ_RAM_DEFAULT (1ULL << 20)
#define FUZZ_RAM_MAX (16ULL << 20)

// The fuzzing configuration: the defaults with FUZZ_RAM_DEFAULT of RAM, changed by a first
// line "#fuzz ram=SIZE tlb=ENTRIES[xWAYS] ad=hw|fault" (any subset, any order; a comment
// to the trace language). SIZE is 1M, 2M, 4M, 8M or 16M, ENTRIES at most 64, so that the
// configurations stay few (each gets a boot snapshot). Words it cannot use are ignored, so
// every input yields a machine.
void fuzz_config(const uint8_t *data, size_t size, struct config *cfg);

// A machine for cfg; aborts when it cannot be built (cfg comes from fuzz_config).
struct machine *fuzz_machine(const struct config *cfg);

// The free count a fresh machine of cfg has after boot (computed once per configuration).
uint64_t fuzz_boot_free(const struct config *cfg);

// A booted machine's state by value, to start each input of the elf and access targets
// from without paying for boot again (boot is most of an input's cost under the
// sanitizers). Taking one requires an empty TLB, which boot, userinit, exec and sbrk leave
// (only translations fill it). Restoring gives a machine of the same configuration the
// same RAM bytes and the same kernel, process and hart state (its own TLB geometry and
// A/D policy may differ: boot reads neither); the first restore of each snapshot is
// checked against the machine it was taken from.
struct fuzz_snapshot;
struct fuzz_snapshot *fuzz_snapshot_take(struct machine *m);
void fuzz_snapshot_restore(const struct fuzz_snapshot *s, struct machine *m);
// The machine the snapshot was taken of (owned by the snapshot; do not change it).
const struct machine *fuzz_snapshot_machine(const struct fuzz_snapshot *s);

// Run the input as a trace: replay_stream on s, errors not stopping it. One shortcut, as
// boot costs most of an input's time under the sanitizers: a `boot` line on a machine
// still in its power-on state is served from a snapshot of a real boot of the same
// configuration (fuzz_boot_snapshot), and replay_stream does not see that line. "Still
// in its power-on state" means that since the machine was made or last `reset`, only
// lines that cannot change it ran: comments, unknown commands, and mode, free, help,
// peek and the views (vmprint, json, dot, ranges, walk). Every other boot is real.
void fuzz_run_trace(struct session *s, const uint8_t *data, size_t size);

// The snapshot of a real boot of cfg, taken on first use (verified as fuzz_snapshot_take
// says); NULL when the cache of configurations is full.
const struct fuzz_snapshot *fuzz_boot_snapshot(const struct config *cfg);

// A sink for output (opened once; no input decides what is opened).
FILE *fuzz_devnull(void);

// The session hook (struct session's open_file): a name whose last component is one of
// the bundled files (one-segment.elf, two-segments.elf, small.lackey, small.din) opens
// an in-memory copy; any other name fails with ENOENT, so no input reaches host files.
FILE *fuzz_open_file(void *ctx, const char *name);

// The bytes of a bundled file by its name (as above), or NULL.
const uint8_t *fuzz_file(const char *name, size_t *len);

// A session on m that writes to out and errors to the sink and opens files in memory.
struct session fuzz_session(struct machine *m, FILE *out, int json);

#endif
