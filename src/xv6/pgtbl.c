#include "sv39sim/xv6/pgtbl.h"

#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/vm.h"
#include "sv39sim/sv39.h"

bool pgtbl_on(const struct machine *m) {
  return m->cfg.lab == LAB_PGTBL;
}

int pgtbl_usyscall_alloc(struct machine *m, struct proc *p) {
  if (!pgtbl_on(m))
    return SIM_OK;
  p->usyscall = kmem_kalloc(m);
  if (p->usyscall == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  ram_store(&m->hw.ram, p->usyscall, 4, (uint32_t)p->pid); // p->usyscall->pid = p->pid
  return SIM_OK;
}

int pgtbl_usyscall_map(struct machine *m, uint64_t pagetable, const struct proc *p) {
  if (!pgtbl_on(m))
    return SIM_OK;
  return vm_mappages(m, pagetable, USYSCALL, PGSIZE, p->usyscall, PTE_R | PTE_U);
}

int pgtbl_usyscall_unmap(struct machine *m, uint64_t pagetable) {
  if (!pgtbl_on(m))
    return SIM_OK;
  return vm_uvmunmap(m, pagetable, USYSCALL, 1, 0);
}

int pgtbl_usyscall_free(struct machine *m, struct proc *p) {
  if (p->usyscall != 0 && kmem_kfree(m, p->usyscall) != SIM_OK)
    return SIM_PANIC;
  p->usyscall = 0;
  return SIM_OK;
}

int pgtbl_pgaccess(struct machine *m, int slot, uint64_t va, int n, uint64_t *mask,
                   int *ret) {
  KSYSCALL(m, "sys_pgaccess");
  struct proc *p = &m->proc[slot];
  *mask = 0;
  *ret = -1;
  if (n < 0 || n > PGACCESS_MAX)
    return SIM_OK;
  for (int i = 0; i < n; i++) {
    uint64_t pte_pa;
    int r = vm_walk(m, p->pagetable, va + (uint64_t)i * PGSIZE, 0, &pte_pa);
    if (r == SIM_PANIC)
      return r;
    if (r != SIM_OK)
      continue;
    uint64_t pte = vm_pte_read(m, pte_pa);
    if (pte & PTE_A) {
      *mask |= 1ULL << i;
      vm_pte_write(m, pte_pa, pte & ~PTE_A);
    }
  }
  *ret = 0;
  return SIM_OK;
}
