#include "sv39sim/xv6/lazy.h"

#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/trap.h"
#include "sv39sim/xv6/vm.h"
#include "sv39sim/sv39.h"

bool lazy_sbrk_on(const struct machine *m) {
  return m->cfg.lab == LAB_LAZY;
}

bool lazy_skips_unmapped(const struct machine *m) {
  return m->cfg.lab == LAB_LAZY || m->cfg.edition->vmfault;
}

// sys_sbrk's addr = myproc()->sz at the edition's width, signed (2020's int).
static int64_t old_size(const struct machine *m, uint64_t sz) {
  unsigned bits = m->cfg.edition->growproc_bits;
  if (bits >= 64)
    return (int64_t)sz;
  uint64_t sign = 1ULL << (bits - 1), low = sz & ((1ULL << bits) - 1);
  return (int64_t)((low ^ sign) - sign);
}

int lazy_sbrk(struct machine *m, int slot, int32_t n, int64_t *ret) {
  // sys_sbrk's own body: proc_sbrk, its caller, entered the system call
  struct proc *p = &m->proc[slot];
  *ret = old_size(m, p->sz);
  p->sz += (uint64_t)(int64_t)n;
  proc_tf_write(m, slot, TF_A0, (uint64_t)*ret);
  return SIM_OK;
}

int lazy_sbrklazy(struct machine *m, int slot, int32_t n, int64_t *ret) {
  if (n < 0)
    return proc_sbrk(m, slot, n, ret); // growproc(n), as SBRK_EAGER
  KSYSCALL(m, "sys_sbrk");
  struct proc *p = &m->proc[slot];
  uint64_t addr = p->sz;
  if (addr + (uint64_t)n < addr || addr + (uint64_t)n > TRAPFRAME) {
    *ret = -1;
    proc_tf_write(m, slot, TF_A0, (uint64_t)*ret);
    return SIM_FAIL;
  }
  p->sz += (uint64_t)n;
  *ret = (int64_t)addr;
  proc_tf_write(m, slot, TF_A0, (uint64_t)*ret);
  return SIM_OK;
}

// Is va0 of pagetable mapped (a valid PTE)? SIM_OK yes, SIM_FAIL no, or a panic.
static int ismapped(struct machine *m, uint64_t pagetable, uint64_t va0) {
  uint64_t pte_pa;
  int r = vm_walk(m, pagetable, va0, 0, &pte_pa);
  if (r != SIM_OK)
    return r;
  return (vm_pte_read(m, pte_pa) & PTE_V) ? SIM_OK : SIM_FAIL;
}

// Allocate the page at va0 for the process in slot: kalloc, zero, map it with the
// edition's user bits. *pa gets it; SIM_FAIL with *why when kalloc or mappages failed.
static int alloc_page(struct machine *m, int slot, uint64_t va0, uint64_t *pa,
                      const char **why) {
  uint64_t mem = kmem_kalloc(m);
  if (mem == 0) {
    *why = "kalloc found no page (out of memory)";
    return m->halted ? SIM_PANIC : SIM_FAIL;
  }
  ram_fill_page(&m->hw.ram, mem, 0);
  int r = vm_mappages(m, m->proc[slot].pagetable, va0, PGSIZE, mem,
                      m->cfg.edition->uvm_perm);
  if (r == SIM_FAIL) {
    *why = "mappages found no page for a page-table page (out of memory)";
    return kmem_kfree(m, mem) == SIM_OK ? SIM_FAIL : SIM_PANIC;
  }
  if (r != SIM_OK)
    return r;
  *pa = mem;
  m->fault_per[slot].lazy_allocs++;
  return SIM_OK;
}

int lazy_fault(struct machine *m, int slot, uint64_t va, struct trap_outcome *o) {
  bool lab = m->cfg.lab == LAB_LAZY; // else 2025's vmfault, which fails quietly
  KFRAME(m, lab ? "lazyalloc" : "vmfault");
  struct proc *p = &m->proc[slot];
  if (va >= p->sz) {
    if (lab) {
      o->action = TRAP_KILLED;
      o->why = "the lazy lab kills a fault at or above sz";
    }
    return SIM_OK;
  }
  uint64_t va0 = PGROUNDDOWN(va);
  int r = ismapped(m, p->pagetable, va0);
  if (r != SIM_FAIL)
    return r == SIM_PANIC ? r : SIM_OK; // mapped: a permission fault, usertrap's to kill
  const char *why = NULL;
  r = alloc_page(m, slot, va0, &o->new_pa, &why);
  if (r == SIM_OK) {
    o->action = TRAP_LAZY;
  } else if (r == SIM_FAIL && lab) {
    o->action = TRAP_KILLED;
    o->why = why;
  }
  return r == SIM_PANIC ? r : SIM_OK;
}

// The slot whose user table is pagetable, or -1.
static int slot_of_table(const struct machine *m, uint64_t pagetable) {
  for (int i = 0; i < NPROC; i++) {
    if (m->proc[i].state != UNUSED && m->proc[i].pagetable == pagetable)
      return i;
  }
  return -1;
}

int lazy_copy_page(struct machine *m, uint64_t pagetable, uint64_t va0, bool str) {
  if (!(m->cfg.lab == LAB_LAZY || (m->cfg.edition->vmfault && !str)))
    return SIM_FAIL;
  int slot = slot_of_table(m, pagetable);
  if (slot < 0 || va0 >= m->proc[slot].sz)
    return SIM_FAIL;
  KFRAME(m, m->cfg.lab == LAB_LAZY ? "lazyalloc" : "vmfault");
  int r = ismapped(m, pagetable, va0);
  if (r != SIM_FAIL)
    return r == SIM_PANIC ? r : SIM_FAIL; // mapped but not U: walkaddr's refusal stands
  uint64_t pa;
  const char *why;
  return alloc_page(m, slot, va0, &pa, &why);
}
