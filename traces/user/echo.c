/* echo: write each argument, then a newline (user/echo.c). */
#include "ulib.h"

static const char nl[] = "\n";
int written = 0;

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int n = 0;
    while (argv[i][n])
      n++;
    written += (int)syscall3(SYS_write, 1, (long)argv[i], n);
  }
  syscall3(SYS_write, 1, (long)nl, 1);
  syscall3(SYS_exit, 0, 0, 0);
  return 0;
}
