/* /init: fork a shell and wait for it, forever (user/init.c's loop, without the console). */
#include "ulib.h"

static char *argv[] = {"sh", 0};
int restarts = 0;

int main(void) {
  for (;;) {
    long pid = syscall3(SYS_fork, 0, 0, 0);
    if (pid == 0) {
      syscall3(SYS_exec, (long)"sh", (long)argv, 0);
      syscall3(SYS_exit, 1, 0, 0);
    }
    while (syscall3(SYS_wait, 0, 0, 0) != pid)
      ;
    restarts++;
  }
}
