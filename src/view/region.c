// The memlayout region a range of leaves lies in, as `ranges` and `dot` name it: xv6's
// devices, kernel image and stacks in a kernel table; in a user table the pages exec lays
// out (text and data, the guard page, the stack above it, what sbrk added above the stack:
// heap), and the pages proc_pagetable maps at the top.
#include "sv39sim/view/render.h"

#include <string.h>

#include "sv39sim/hw/ram.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/memlayout.h"

void render_regions_init(struct render_regions *rg, bool user, uint64_t etext) {
  *rg = (struct render_regions){.user = user, .etext = etext, .n = 0, .guard = -1};
}

long render_regions_add(struct render_regions *rg, const struct render_range *r) {
  long i = rg->n++;
  if (rg->user && rg->guard < 0 && (r->attr & PTE_U) == 0 && r->va < TRAPFRAME)
    rg->guard = i;
  return i;
}

const char *render_region_name(const struct render_regions *rg, long i,
                               const struct render_range *r) {
  uint64_t va = r->va;
  if (va == TRAMPOLINE)
    return "trampoline";
  if (rg->user) {
    if (va == TRAPFRAME)
      return "trapframe";
    if (va == USYSCALL && (r->attr & PTE_U))
      return "usyscall";
    if (i == rg->guard)
      return "guard page";
    if (rg->guard < 0 || i < rg->guard)
      return "text/data";
    return i == rg->guard + 1 ? "stack" : "heap";
  }
  if (va >= CLINT && va < CLINT + CLINT_SIZE)
    return "CLINT";
  if (va >= PLIC && va < UART0)
    return "PLIC";
  if (va == UART0)
    return r->size > PGSIZE ? "UART0, VIRTIO0" : "UART0";
  if (va == VIRTIO0)
    return "VIRTIO0";
  if (va >= KERNBASE && va < rg->etext)
    return "kernel text";
  // KSTACK(NPROC - 1) and up: TRAMPOLINE - 2 * NPROC pages, or one page lower with the
  // 2021-2025 pgtbl lab (KSTACK(p) = TRAMPOLINE - p*2*PGSIZE - 3*PGSIZE).
  if (va >= TRAMPOLINE - (2 * NPROC + 1) * PGSIZE && va < TRAMPOLINE)
    return "kernel stack";
  if (va >= rg->etext && va < TRAPFRAME && va < (1ULL << 38))
    return "kernel data, RAM";
  if (va >= KERNBASE)
    return "kernel stack";
  return "user memory";
}

bool render_table_is_user(struct machine *m, const struct render_table *t) {
  if (t->pid > 0)
    return t->which[0] == 'u';
  if (strcmp(t->which, "satp") != 0)
    return false;
  // A table that satp selects (an imported one, say) is a kernel table when it maps
  // KERNBASE, which every kernel table does and no xv6 user table of less than 2 GiB does.
  uint64_t pte = 0;
  if (ram_load(&m->hw.ram, t->root + 8 * PX(2, KERNBASE), 8, &pte) != 0)
    return false;
  return (pte & PTE_V) == 0;
}
