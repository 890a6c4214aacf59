/* sh: read a command, fork, malloc's first morecore in the child (sbrk(65536)), exec it,
 * wait (user/sh.c's shape). Its 100-byte line buffer and a parse arena are bss. */
#include "ulib.h"

static char buf[100];
static char *args[10];
char arena[4096];
static const char prompt[] = "$ ";

int main(void) {
  for (;;) {
    syscall3(SYS_write, 2, (long)prompt, 2);
    if (syscall3(SYS_fork, 0, 0, 0) == 0) {
      char *heap = (char *)syscall3(SYS_sbrk, 65536, 0, 0);
      heap[0] = buf[0];
      args[0] = buf;
      arena[0] = 1;
      syscall3(SYS_exec, (long)buf, (long)args, 0);
      syscall3(SYS_exit, 1, 0, 0);
    }
    syscall3(SYS_wait, 0, 0, 0);
  }
}
