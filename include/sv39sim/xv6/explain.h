#ifndef SV39SIM_EXPLAIN_H
#define SV39SIM_EXPLAIN_H
// Words for what the simulated kernel's tables hold, for the reader of a panic or of
// `owner`: which table a root is, and which code of xv6 made the mapping a PTE holds.
#include <stddef.h>
#include <stdint.h>

struct machine;

// The table rooted at root: "the kernel table", "pid 1's user table", "pid 1's kernel
// table", or "the table at 0x..." when no process holds it (exec's or fork's new table).
// Returns the slot of the process whose table it is, -1 for the kernel's or none.
int explain_table(const struct machine *m, uint64_t root, char *buf, size_t len);

// What made the table at root map va with pte: "kvminit's CLINT mapping", "pid 1's user
// mirror (u2kvmcopy)", "proc_pagetable's trapframe mapping", ... or "a mapping made by
// hand" when xv6 makes no such mapping.
void explain_mapping(struct machine *m, uint64_t root, uint64_t va, uint64_t pte, char *buf,
                     size_t len);

#endif
