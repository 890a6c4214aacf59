#include "sv39sim/proc.h"

#include <string.h>

#include "sv39sim/kalloc.h"
#include "sv39sim/machine.h"
#include "sv39sim/sv39.h"
#include "sv39sim/vm.h"

// user/initcode.S assembled: exec("/init", {"/init", 0}), then exit if that returns.
static const uint8_t initcode[] = {
    0x17, 0x05, 0x00, 0x00, 0x13, 0x05, 0x45, 0x02, 0x97, 0x05, 0x00, 0x00, 0x93,
    0x85, 0x35, 0x02, 0x93, 0x08, 0x70, 0x00, 0x73, 0x00, 0x00, 0x00, 0x93, 0x08,
    0x20, 0x00, 0x73, 0x00, 0x00, 0x00, 0xef, 0xf0, 0x9f, 0xff, 0x2f, 0x69, 0x6e,
    0x69, 0x74, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

int proc_slot(const struct machine *m, int pid) {
  if (pid <= 0)
    return -1;
  for (int i = 0; i < NPROC; i++) {
    if (m->proc[i].state != UNUSED && m->proc[i].pid == pid)
      return i;
  }
  return -1;
}

int proc_pagetable(struct machine *m, int slot, uint64_t *pagetable) {
  struct proc *p = &m->proc[slot];
  uint64_t pt;
  *pagetable = 0;
  int r = vm_uvmcreate(m, &pt);
  if (r == SIM_FAIL)
    return SIM_OK;
  if (r != SIM_OK)
    return r;
  r = vm_mappages(m, pt, TRAMPOLINE, PGSIZE, m->cfg.trampoline, PTE_R | PTE_X);
  if (r == SIM_FAIL) {
    r = vm_uvmfree(m, pt, 0);
    return r;
  }
  if (r != SIM_OK)
    return r;
  r = vm_mappages(m, pt, TRAPFRAME, PGSIZE, p->trapframe, PTE_R | PTE_W);
  if (r == SIM_FAIL) {
    r = vm_uvmunmap(m, pt, TRAMPOLINE, 1, 0);
    if (r == SIM_OK)
      r = vm_uvmfree(m, pt, 0);
    return r;
  }
  if (r != SIM_OK)
    return r;
  *pagetable = pt;
  return SIM_OK;
}

int proc_freepagetable(struct machine *m, uint64_t pagetable, uint64_t sz) {
  int r = vm_uvmunmap(m, pagetable, TRAMPOLINE, 1, 0);
  if (r == SIM_OK)
    r = vm_uvmunmap(m, pagetable, TRAPFRAME, 1, 0);
  if (r == SIM_OK)
    r = vm_uvmfree(m, pagetable, sz);
  return r;
}

int proc_freeproc(struct machine *m, int slot) {
  struct proc *p = &m->proc[slot];
  if (p->trapframe != 0 && kmem_kfree(m, p->trapframe) != SIM_OK)
    return SIM_PANIC;
  p->trapframe = 0;
  if (p->pagetable != 0) {
    int r = proc_freepagetable(m, p->pagetable, p->sz);
    if (r != SIM_OK)
      return r;
  }
  p->pagetable = 0;
  p->sz = 0;
  p->pid = 0;
  p->parent = -1;
  p->name[0] = '\0';
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
  return SIM_OK;
}

int proc_allocproc(struct machine *m, int *slot) {
  *slot = -1;
  int i;
  for (i = 0; i < NPROC; i++) {
    if (m->proc[i].state == UNUSED)
      break;
  }
  if (i == NPROC)
    return SIM_OK;
  struct proc *p = &m->proc[i];
  p->pid = m->nextpid++;
  p->trapframe = kmem_kalloc(m);
  if (p->trapframe == 0)
    return m->halted ? SIM_PANIC : SIM_OK;
  int r = proc_pagetable(m, i, &p->pagetable);
  if (r != SIM_OK)
    return r;
  if (p->pagetable == 0)
    return proc_freeproc(m, i);
  // The slot is claimed; xv6 keeps it locked (and so invisible) until its caller is done.
  p->state = SLEEPING;
  *slot = i;
  return SIM_OK;
}

int proc_userinit(struct machine *m, int *slot) {
  int r = proc_allocproc(m, slot);
  if (r != SIM_OK)
    return r;
  if (*slot < 0)
    return machine_panic(m, "kerneltrap",
                         "userinit: allocproc returned 0 and xv6 uses it without checking");
  struct proc *p = &m->proc[*slot];
  m->initproc = *slot;
  r = vm_uvminit(m, p->pagetable, initcode, sizeof(initcode));
  if (r != SIM_OK)
    return r;
  p->sz = PGSIZE;
  strcpy(p->name, "initcode");
  p->state = RUNNABLE;
  return SIM_OK;
}
