/* A tiny x86-64 program for traces/tiny-demand.lackey (see traces/README.md): no libc,
   it writes a byte in each of 5 pages of a static array spaced a page apart, reads them
   back, keeps the sum in a stack variable, and exits. Built as
     gcc -O1 -static -nostdlib -fno-stack-protector -o lackey-tiny traces/lackey-tiny.c */
static char pages[5 * 4096];

void _start(void) {
  volatile int sum = 0;
  for (int i = 0; i < 5; i++)
    ((volatile char *)pages)[i * 4096] = (char)i;
  for (int i = 0; i < 5; i++)
    sum += ((volatile char *)pages)[i * 4096];
  __asm__ volatile("mov $60, %%eax\n\tmov %0, %%edi\n\tsyscall" : : "r"(sum) : "rax", "rdi");
  __builtin_unreachable();
}
