// A stand-in for an xv6 kernel's symbol table, not a kernel: functions named as the
// kernel's (which of them depends on EDITION2025), a trampoline page at its own address,
// and etext/end set by kernel.ld. sv39sim's --kernel reads only the symbol table.
#ifdef EDITION2025
void kvmmake(void) {}
void kvminit(void) { kvmmake(); }
int kexec(char *path, char **argv) { return path == 0 && argv == 0; }
#else
void kvminit(void) {}
void uvminit(void) {}
int exec(char *path, char **argv) { return path == 0 && argv == 0; }
#endif

__attribute__((section("trampsec"))) void trampoline(void) {}
