#ifndef SV39SIM_EXEC_H
#define SV39SIM_EXEC_H
// xv6's exec (kernel/exec.c) and the system call around it (sys_exec in sysfile.c).
#include <stdint.h>

struct machine;

struct exec_result {
  int ret;       // what exec returns to the user: argc, or -1
  char why[128]; // for -1: which of exec's checks failed
};

// sys_exec: one kalloc'd page per argument string (argv[0] included), exec of the ELF
// image file[0..len) for the process in slot, then those pages freed again. Returns
// SIM_OK with the outcome in *res, or SIM_PANIC. In an edition whose pid 1 starts with
// forkret's kexec (2025), pid 1's first exec is that call: no argument pages, and a -1
// panics "exec" as forkret does.
int exec_sys_exec(struct machine *m, int slot, const uint8_t *file, uint64_t len,
                  const char *path, int argc, char *const argv[], struct exec_result *res);

// A minimal ELF64 file with one PT_LOAD segment of size bytes at va 0 and no file
// contents, so that exec's own code path loads it (none at all for size 0). The caller
// frees the result; *len gets its length. NULL when the host is out of memory.
uint8_t *exec_synthetic_image(uint64_t size, uint64_t *len);

#endif
