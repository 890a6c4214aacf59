// Fuzz target: the input is an ELF file, exec'd (sys_exec) into pid 1 of a freshly booted
// machine, in the global mode or in the lab's mode 3 (whose exec also mirrors the image
// into the process's kernel table and checks PLIC), as byte 15 says. A failed exec must give back every
// page it took; a successful one is followed by exec of a known image, which must free
// the input's image (after sbrk gave the input's memory back, if the known image did not
// fit beside it): the free count then equals that of a machine that only ran the known
// image. Each input starts from a snapshot of the booted machine (fuzz.h).
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/proc.h"

#define KNOWN "two-segments.elf"

// A booted machine of the mode with pid 1 (userinit) in *slot.
static struct machine *booted(enum kpt_mode mode, int *slot) {
  struct config cfg;
  fuzz_config(NULL, 0, &cfg);
  cfg.kpt = mode;
  struct machine *m = fuzz_machine(&cfg);
  FUZZ_CHECK(kvm_boot(m) == SIM_OK, "boot: %s", m->panic_msg);
  FUZZ_CHECK(proc_userinit(m, slot) == SIM_OK && *slot >= 0, "userinit: %s", m->panic_msg);
  return m;
}

// exec of the known image into slot; returns what exec returned.
static int exec_known(struct machine *m, int slot) {
  size_t len;
  const uint8_t *image = fuzz_file(KNOWN, &len);
  FUZZ_CHECK(image != NULL, "no bundled " KNOWN);
  char *argv[] = {"known"};
  struct exec_result res;
  FUZZ_CHECK(exec_sys_exec(m, slot, image, len, KNOWN, 1, argv, &res) == SIM_OK,
             "exec of " KNOWN " panicked: %s", m->panic_msg);
  return res.ret;
}

// The free count after boot, userinit and exec of the known image (once per mode).
static uint64_t steady_free(enum kpt_mode mode) {
  static uint64_t steady[3];
  if (steady[mode] == 0) {
    int slot;
    struct machine *m = booted(mode, &slot);
    FUZZ_CHECK(exec_known(m, slot) == 1, "exec of " KNOWN " fails on a fresh machine");
    steady[mode] = m->kmem.nfree;
    machine_free(m);
  }
  return steady[mode];
}

// A machine of the mode as booted() leaves it, restored from a snapshot taken once.
static struct machine *restored(enum kpt_mode mode, int *slot) {
  static struct fuzz_snapshot *snap[3];
  static struct machine *machine[3];
  static int init_slot[3];
  if (snap[mode] == NULL) {
    snap[mode] = fuzz_snapshot_take(booted(mode, &init_slot[mode]));
    machine[mode] = fuzz_machine(&fuzz_snapshot_machine(snap[mode])->cfg);
  }
  fuzz_snapshot_restore(snap[mode], machine[mode]);
  *slot = init_slot[mode];
  return machine[mode];
}

// Exec the input in a machine of the mode and check where its pages went.
static void one_mode(enum kpt_mode mode, const uint8_t *data, size_t size) {
  int slot;
  struct machine *m = restored(mode, &slot);
  struct proc *p = &m->proc[slot];
  uint64_t before = m->kmem.nfree, sz = p->sz, pagetable = p->pagetable;
  char *argv[] = {"fuzz", "arg"};
  struct exec_result res;
  int r = exec_sys_exec(m, slot, data, size, "fuzz", 2, argv, &res);
  FUZZ_CHECK(r == SIM_OK, "mode %d: exec panicked: %s (%s)", mode, m->panic_msg,
             m->panic_detail);
  if (res.ret < 0) {
    FUZZ_CHECK(m->kmem.nfree == before, "mode %d: a failed exec (%s) leaves %" PRIu64
               " pages free, %" PRIu64 " before", mode, res.why, m->kmem.nfree, before);
    FUZZ_CHECK(p->sz == sz && p->pagetable == pagetable,
               "mode %d: a failed exec changed sz (0x%" PRIx64 ") or the table", mode, p->sz);
  } else {
    FUZZ_CHECK(res.ret == 2, "mode %d: exec returns %d for two arguments", mode, res.ret);
    // exec builds the new image before it frees the old one, so a large input image can
    // leave too little memory for the known one: that exec must then fail cleanly, and
    // after sbrk gives the input's memory back, succeed.
    uint64_t nfree = m->kmem.nfree;
    if (exec_known(m, slot) < 0) {
      FUZZ_CHECK(m->kmem.nfree == nfree, "mode %d: a failed exec of " KNOWN " leaves %"
                 PRIu64 " pages free, %" PRIu64 " before", mode, m->kmem.nfree, nfree);
      int64_t old;
      FUZZ_CHECK(p->sz <= INT32_MAX && proc_sbrk(m, slot, -(int32_t)p->sz, &old) == SIM_OK,
                 "mode %d: sbrk(-0x%" PRIx64 ") fails", mode, p->sz);
      FUZZ_CHECK(exec_known(m, slot) == 1, "mode %d: exec of " KNOWN " fails after sbrk "
                 "freed the input's image", mode);
    }
    FUZZ_CHECK(m->kmem.nfree == steady_free(mode), "mode %d: %" PRIu64
               " pages free after exec of " KNOWN ", %" PRIu64 " on a fresh machine", mode,
               m->kmem.nfree, steady_free(mode));
  }
}

// Byte 15 is the last of e_ident's padding, which exec never reads: its low bit picks
// the mode, so that one input runs in one mode (half the cost) and a mutation reaches both.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bool mode3 = size > 15 && (data[15] & 1) != 0;
  one_mode(mode3 ? KPT_PER_PROCESS_USER : KPT_GLOBAL, data, size);
  return 0;
}
