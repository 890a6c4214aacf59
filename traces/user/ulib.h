/* The few xv6 system calls these programs make, as usys.pl's stubs do: the number in a7,
 * then ecall. Numbers are kernel/syscall.h's. Only the programs' layout matters to
 * sv39sim; they never run inside it. */
#define SYS_fork 1
#define SYS_exit 2
#define SYS_wait 3
#define SYS_write 16
#define SYS_exec 7
#define SYS_sbrk 12

static inline long syscall3(long n, long a0, long a1, long a2) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r2 __asm__("a2") = a2;
  register long r7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  return r0;
}
