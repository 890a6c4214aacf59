#include "sv39sim/xv6/kvm.h"

#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/sv39.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/vm.h"

int kvm_map_kernel(struct machine *m, uint64_t pt, bool clint) {
  const struct config *c = &m->cfg;
  const struct {
    uint64_t va, pa, size, perm;
    bool clint;
  } map[] = {
      {UART0, UART0, PGSIZE, PTE_R | PTE_W, false},
      {VIRTIO0, VIRTIO0, PGSIZE, PTE_R | PTE_W, false},
      {CLINT, CLINT, CLINT_SIZE, PTE_R | PTE_W, true},
      {PLIC, PLIC, PLIC_SIZE, PTE_R | PTE_W, false},
      {KERNBASE, KERNBASE, c->etext - KERNBASE, PTE_R | PTE_X, false},
      {c->etext, c->etext, machine_phystop(m) - c->etext, PTE_R | PTE_W, false},
      {TRAMPOLINE, c->trampoline, PGSIZE, PTE_R | PTE_X, false},
  };
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    if (map[i].clint && !clint)
      continue;
    int r = vm_mappages(m, pt, map[i].va, map[i].size, map[i].pa, map[i].perm);
    if (r != SIM_OK)
      return r;
  }
  return SIM_OK;
}

int kvm_kvmcreate(struct machine *m, uint64_t *pagetable) {
  *pagetable = 0;
  uint64_t root;
  int r = vm_uvmcreate(m, &root);
  if (r == SIM_FAIL)
    return SIM_OK;
  if (r != SIM_OK)
    return r;
  // A working part-3 solution must leave CLINT out: user memory may grow over its va.
  bool clint = m->cfg.kpt == KPT_PER_PROCESS || m->cfg.kpt_clint;
  r = kvm_map_kernel(m, root, clint);
  if (r == SIM_FAIL)
    return vm_kvmfree(m, root);
  if (r != SIM_OK)
    return r;
  *pagetable = root;
  return SIM_OK;
}

int kvm_kvminit(struct machine *m) {
  uint64_t root = kmem_kalloc(m);
  if (root == 0) {
    if (m->halted)
      return SIM_PANIC;
    return machine_panic(m, "kerneltrap", "kvminit: kalloc returned 0 and xv6 writes to it");
  }
  ram_fill_page(&m->hw.ram, root, 0);
  m->kernel_pagetable = root;
  int r = kvm_map_kernel(m, root, true);
  if (r == SIM_FAIL)
    return machine_panic(m, "kvmmap", "out of memory for the kernel's page-table pages");
  return r;
}

void kvm_kvminithart(struct machine *m) {
  m->hw.hart.satp = MAKE_SATP(m->kernel_pagetable);
  tlb_sfence(&m->hw, true, 0, true, 0);
}

// Stock xv6 gives every process slot its kernel stack at boot; the lab's per-process
// kernel tables move that to allocproc.
static int procinit(struct machine *m) {
  for (int i = 0; i < NPROC; i++) {
    m->proc[i].kstack = KSTACK(i);
    if (m->cfg.kpt != KPT_GLOBAL)
      continue;
    uint64_t pa = kmem_kalloc(m);
    if (pa == 0)
      return m->halted ? SIM_PANIC : machine_panic(m, "kalloc", "procinit: no page for a kernel stack");
    int r = vm_mappages(m, m->kernel_pagetable, KSTACK(i), PGSIZE, pa, PTE_R | PTE_W);
    if (r == SIM_FAIL)
      return machine_panic(m, "kvmmap", "procinit: no page-table page for a kernel stack");
    if (r != SIM_OK)
      return r;
  }
  kvm_kvminithart(m);
  return SIM_OK;
}

int kvm_boot_kstack_slot(const struct machine *m, uint64_t va) {
  if (m->cfg.kpt != KPT_GLOBAL || va >= TRAMPOLINE || va < KSTACK(NPROC - 1) ||
      (TRAMPOLINE - va) % (2 * PGSIZE) != 0)
    return -1;
  return (int)((TRAMPOLINE - va) / (2 * PGSIZE) - 1);
}

int kvm_boot(struct machine *m) {
  kmem_kinit(m);
  int r = kvm_kvminit(m);
  if (r != SIM_OK)
    return r;
  kvm_kvminithart(m);
  r = procinit(m);
  if (r != SIM_OK)
    return r;
  m->booted = true;
  return SIM_OK;
}
