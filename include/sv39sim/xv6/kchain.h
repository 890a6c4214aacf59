#ifndef SV39SIM_KCHAIN_H
#define SV39SIM_KCHAIN_H
// The simulated kernel's call chain: the xv6 functions now running, from the entry point
// (main at boot, usertrap for a system call or a fault) down, as a kernel that walks its
// saved frame pointers would print them. Each function that models an xv6 function opens
// with KFRAME(m, "name"); the frame is popped when the C function returns, whichever return
// it takes. Inlined xv6 functions get a frame where the kernel's source calls them.
#include <stddef.h>

struct machine;

#define KCHAIN_MAX 24

struct kchain {
  const char *fn[KCHAIN_MAX]; // fn[0] is the entry point
  unsigned depth;             // frames pushed; above KCHAIN_MAX only counted
};

// The guard KFRAME declares: popping it pops the frame it pushed. Only its cleanup uses
// it (clang would call it unused).
struct kframe {
  struct machine *m;
};

// Push name onto m's chain; returns the guard whose cleanup pops it. A NULL name pushes
// nothing (and its guard pops nothing): a frame only some editions or paths have.
struct kframe kchain_push(struct machine *m, const char *name);
void kchain_pop(struct kframe *f);

// The chain as "a > b > c" into buf (empty when no frame is pushed). Returns buf.
char *kchain_format(const struct kchain *c, char *buf, size_t len);

#define KFRAME_CAT2(a, b) a##b
#define KFRAME_CAT(a, b) KFRAME_CAT2(a, b)
// unused: clang warns of a variable read only by its cleanup.
#define KFRAME(m, name)                                                                 \
  struct kframe KFRAME_CAT(kframe_, __COUNTER__)                                        \
      __attribute__((cleanup(kchain_pop), unused)) = kchain_push((m), (name))

// A system call's entry, as every command that is one enters the kernel: usertrap >
// syscall > sysname, popped at return.
#define KSYSCALL(m, sysname)                                                            \
  KFRAME(m, "usertrap");                                                                \
  KFRAME(m, "syscall");                                                                 \
  KFRAME(m, sysname)

#endif
