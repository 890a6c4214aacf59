#ifndef SV39SIM_RENDER_H
#define SV39SIM_RENDER_H
// Read-only views of the machine. Renderers write to a FILE * and never change state.
#include <stdint.h>
#include <stdio.h>

struct machine;

// xv6's vmprint: "page table %p", then one line per valid PTE, indented one ".." per
// level, in index order. Tables that lie outside RAM are listed but not entered.
void render_vmprint(struct machine *m, uint64_t pagetable, FILE *out);

#endif
