// Fuzz target: the input is an address trace (valgrind lackey or Dinero din, told apart
// by content) replayed through the MMU as pid 1 in U-mode, on two fresh machines: a
// 32-entry fully associative TLB with A/D set by the walk, and a 4-entry 2-way TLB with
// Svade (clear A/D faults). The counts must add up, and the machine must come back as it
// was: no page allocated or freed, the hart's satp and privilege restored. Each input
// starts from a snapshot of the set-up machine (fuzz.h).
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "sv39sim/tools/access.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/proc.h"

// pid 1 after exec of two-segments.elf (text at va 0, data and bss at 0x1000, then the
// guard and stack pages) and sbrk of two pages, switched to: its table is in satp.
static struct machine *setup(const struct config *cfg, int *slot) {
  struct machine *m = fuzz_machine(cfg);
  FUZZ_CHECK(kvm_boot(m) == SIM_OK && proc_userinit(m, slot) == SIM_OK, "boot: %s",
             m->panic_msg);
  size_t len;
  const uint8_t *image = fuzz_file("two-segments.elf", &len);
  FUZZ_CHECK(image != NULL, "no bundled two-segments.elf");
  char *argv[] = {"two"};
  struct exec_result res;
  int64_t old;
  FUZZ_CHECK(exec_sys_exec(m, *slot, image, len, "two", 1, argv, &res) == SIM_OK &&
                 res.ret == 1, "exec of two-segments.elf: %s", res.why);
  FUZZ_CHECK(proc_sbrk(m, *slot, 8192, &old) == SIM_OK, "sbrk: %s", m->panic_msg);
  FUZZ_CHECK(proc_switch(m, *slot) == SIM_OK, "switch: %s", m->panic_msg);
  return m;
}

// The invariants of one replay's counts; d holds the TLB's counts during it.
static void check_counts(const struct access_stats *st, const struct tlb_stats *d) {
  uint64_t kinds = st->kind[ACCESS_I] + st->kind[ACCESS_L] + st->kind[ACCESS_S] +
                   st->kind[ACCESS_M];
  FUZZ_CHECK(kinds == st->records, "kinds add up to %" PRIu64 ", records %" PRIu64, kinds,
             st->records);
  FUZZ_CHECK(st->format == ACCESS_LACKEY || (st->kind[ACCESS_M] == 0),
             "din has no modify, counted %" PRIu64, st->kind[ACCESS_M]);
  FUZZ_CHECK(st->format == ACCESS_DIN || st->skipped == 0, "lackey skipped %" PRIu64,
             st->skipped);
  // Each access translates at least once (a modify twice), and a fault ends an access.
  uint64_t accesses = st->records + st->kind[ACCESS_M];
  FUZZ_CHECK(st->translations >= accesses, "%" PRIu64 " translations for %" PRIu64
             " accesses", st->translations, accesses);
  FUZZ_CHECK(st->faults <= accesses, "%" PRIu64 " faults for %" PRIu64 " accesses",
             st->faults, accesses);
  // Every translation is canonical and looks the TLB up: a hit or a miss.
  FUZZ_CHECK(st->hits + st->misses == st->translations, "hits %" PRIu64 " + misses %" PRIu64
             " != translations %" PRIu64, st->hits, st->misses, st->translations);
  FUZZ_CHECK(d->faults == st->faults, "the TLB counted %" PRIu64 " faults, access %" PRIu64,
             d->faults, st->faults);
  uint64_t listed = st->faults < ACCESS_FIRST_FAULTS ? st->faults : ACCESS_FIRST_FAULTS;
  FUZZ_CHECK(st->nfirst == listed, "%u faults listed of %" PRIu64, st->nfirst, st->faults);
  for (unsigned i = 0; i < st->nfirst; i++) {
    unsigned cause = (unsigned)st->first[i].f.cause;
    FUZZ_CHECK(cause == 12 || cause == 13 || cause == 15, "fault %u: cause %u", i, cause);
    FUZZ_CHECK(i == 0 || st->first[i].line >= st->first[i - 1].line,
               "fault %u: line %lu before %lu", i, st->first[i].line, st->first[i - 1].line);
  }
}

// Machine k (0 or 1) as setup() leaves it, restored from a snapshot taken once.
static struct machine *restored(int k, const struct config *cfg, int *slot) {
  static struct fuzz_snapshot *snap[2];
  static struct machine *machine[2];
  static int init_slot[2];
  if (snap[k] == NULL) {
    snap[k] = fuzz_snapshot_take(setup(cfg, &init_slot[k]));
    machine[k] = fuzz_machine(cfg);
  }
  fuzz_snapshot_restore(snap[k], machine[k]);
  *slot = init_slot[k];
  return machine[k];
}

// Replay the input on machine k and check the counts and what it must leave alone.
static void one_machine(int k, const struct config *cfg, const uint8_t *data, size_t size) {
  int slot;
  struct machine *m = restored(k, cfg, &slot);
  struct hart hart = m->hw.hart;
  uint64_t nfree = m->kmem.nfree;
  struct tlb_stats before = m->hw.tlb.total;
  static const char empty[] = "\n"; // fmemopen refuses a size of 0
  FILE *in = size > 0 ? fmemopen((void *)(uintptr_t)data, size, "r")
                      : fmemopen((void *)(uintptr_t)empty, 1, "r"); // "r" never writes
  FUZZ_CHECK(in != NULL, "fmemopen of %zu bytes failed", size);
  struct access_stats st;
  char err[512] = "";
  int r = access_run(m, slot, in, "fuzz", &st, err, sizeof(err));
  fclose(in);
  FUZZ_CHECK(r == 0 || strncmp(err, "fuzz:", 5) == 0, "error without FILE:LINE: '%s'", err);
  struct tlb_stats d = {.faults = m->hw.tlb.total.faults - before.faults};
  check_counts(&st, &d);
  FUZZ_CHECK(!m->halted, "an address trace panicked the kernel: %s", m->panic_msg);
  FUZZ_CHECK(m->kmem.nfree == nfree, "%" PRIu64 " pages free after, %" PRIu64 " before",
             m->kmem.nfree, nfree);
  FUZZ_CHECK(m->hw.hart.satp == hart.satp && m->hw.hart.priv == hart.priv && m->current == slot,
             "hart not restored: satp 0x%" PRIx64 " priv %d current %d", m->hw.hart.satp,
             m->hw.hart.priv, m->current);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct config cfg;
  fuzz_config(NULL, 0, &cfg);
  one_machine(0, &cfg, data, size);
  cfg.tlb = (struct tlb_geometry){.entries = 4, .ways = 2, .policy = TLB_LRU};
  cfg.ad = AD_FAULT;
  one_machine(1, &cfg, data, size);
  return 0;
}
