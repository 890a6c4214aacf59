#include <inttypes.h>

#include "sv39sim/machine.h"
#include "sv39sim/render.h"
#include "sv39sim/sv39.h"
#include "sv39sim/vm.h"

static void vmprint_level(struct machine *m, uint64_t table, int depth, FILE *out) {
  for (uint64_t i = 0; i < 512; i++) {
    uint64_t pte = vm_pte_read(m, table + 8 * i);
    if ((pte & PTE_V) == 0)
      continue;
    for (int d = 0; d < depth; d++)
      fputs(d == 0 ? ".." : " ..", out);
    fprintf(out, "%" PRIu64 ": pte 0x%016" PRIx64 " pa 0x%016" PRIx64 "\n", i, pte,
            PTE2PA(pte));
    uint64_t child = PTE2PA(pte);
    if ((pte & (PTE_R | PTE_W | PTE_X)) == 0 && depth < 3 &&
        ram_contains(&m->ram, child, PGSIZE) && child % PGSIZE == 0)
      vmprint_level(m, child, depth + 1, out);
  }
}

void render_vmprint(struct machine *m, uint64_t pagetable, FILE *out) {
  fprintf(out, "page table 0x%016" PRIx64 "\n", pagetable);
  if (ram_contains(&m->ram, pagetable, PGSIZE) && pagetable % PGSIZE == 0)
    vmprint_level(m, pagetable, 1, out);
}
