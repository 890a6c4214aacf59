#include "sv39sim/xv6/cow.h"

#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/trap.h"
#include "sv39sim/xv6/vm.h"
#include "sv39sim/sv39.h"

bool cow_on(const struct machine *m) {
  return m->cfg.lab == LAB_COW && m->refcnt != NULL;
}

// The count of pa, or NULL for a page outside RAM (kfree's checks reject those first).
static uint32_t *ref_of(const struct machine *m, uint64_t pa) {
  if (!cow_on(m) || pa < m->hw.ram.base || pa >= machine_phystop(m))
    return NULL;
  return &m->refcnt[(pa - m->hw.ram.base) / PGSIZE];
}

uint32_t cow_refcount(const struct machine *m, uint64_t pa) {
  uint32_t *c = ref_of(m, pa);
  return c != NULL ? *c : 0;
}

void cow_kalloc_hook(struct machine *m, uint64_t pa) {
  uint32_t *c = ref_of(m, pa);
  if (c != NULL)
    *c = 1;
}

bool cow_kfree_keep(struct machine *m, uint64_t pa, unsigned *left) {
  uint32_t *c = ref_of(m, pa);
  if (c == NULL)
    return false;
  // kinit's pages were never counted: 0 frees as 1 does.
  if (*c > 1) {
    *left = --(*c);
    return true;
  }
  *c = 0;
  return false;
}

// uvmcopy's err: unmap what was mapped in the child, dropping those references.
static int uvmcopy_undo(struct machine *m, uint64_t new, uint64_t i) {
  int r = vm_uvmunmap(m, new, 0, i / PGSIZE, 1);
  return r == SIM_OK ? SIM_FAIL : r;
}

int cow_uvmcopy(struct machine *m, uint64_t old, uint64_t new, uint64_t sz) {
  KFRAME(m, "uvmcopy");
  uint64_t i;
  for (i = 0; i < sz; i += PGSIZE) {
    uint64_t pte_pa, pte;
    int r = vm_uvmcopy_pte(m, old, i, &pte_pa, &pte);
    if (r == SIM_FAIL)
      continue; // a page never made (2025's sbrklazy)
    if (r != SIM_OK)
      return r;
    uint64_t pa = PTE2PA(pte);
    uint64_t flags = PTE_FLAGS(pte);
    if (flags & PTE_W) {
      flags = (flags & ~PTE_W) | PTE_COW;
      vm_pte_write(m, pte_pa, PA2PTE(pa) | flags);
    }
    r = vm_mappages(m, new, i, PGSIZE, pa, flags);
    if (r == SIM_FAIL)
      return uvmcopy_undo(m, new, i);
    if (r != SIM_OK)
      return r;
    uint32_t *c = ref_of(m, pa);
    if (c != NULL)
      (*c)++;
  }
  return SIM_OK;
}

// The copy itself, for the PTE at pte_pa holding a COW page: a new page with the old
// one's bytes, mapped with W and without COW; the old page loses a reference. *newpa
// gets the new page. SIM_FAIL when kalloc has none (nothing changed).
static int copy_page(struct machine *m, uint64_t pte_pa, uint64_t *newpa) {
  uint64_t pte = vm_pte_read(m, pte_pa);
  uint64_t old = PTE2PA(pte);
  uint64_t mem = kmem_kalloc(m);
  if (mem == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  // A COW PTE poked to a page that is not RAM: the kernel's memmove reads a device's page
  // through the direct map (and kfree panics below); above PHYSTOP nothing maps it.
  if (ram_contains(&m->hw.ram, old, PGSIZE))
    ram_copy_page(&m->hw.ram, mem, old);
  else if (old >= KERNBASE)
    return machine_panic(m, "kerneltrap", "cow copy: pa 0x%016llx is above PHYSTOP",
                         (unsigned long long)old);
  vm_pte_write(m, pte_pa, PA2PTE(mem) | ((PTE_FLAGS(pte) | PTE_W) & ~PTE_COW));
  if (kmem_kfree(m, old) != SIM_OK)
    return SIM_PANIC;
  *newpa = mem;
  return SIM_OK;
}

// The PTE of a COW user page at va0 of pagetable in *pte_pa, or SIM_FAIL for any other.
static int cow_pte(struct machine *m, uint64_t pagetable, uint64_t va0, uint64_t *pte_pa) {
  if (va0 >= MAXVA)
    return SIM_FAIL;
  int r = vm_walk(m, pagetable, va0, 0, pte_pa);
  if (r != SIM_OK)
    return r;
  uint64_t pte = vm_pte_read(m, *pte_pa);
  uint64_t need = PTE_V | PTE_U | PTE_COW;
  return (pte & need) == need ? SIM_OK : SIM_FAIL;
}

int cow_fault(struct machine *m, int slot, uint64_t va, struct trap_outcome *o) {
  KFRAME(m, "cowfault");
  uint64_t pte_pa, va0 = PGROUNDDOWN(va);
  int r = cow_pte(m, m->proc[slot].pagetable, va0, &pte_pa);
  if (r != SIM_OK)
    return r == SIM_PANIC ? r : SIM_OK; // not a COW page: usertrap's stock path
  o->old_pa = PTE2PA(vm_pte_read(m, pte_pa));
  r = copy_page(m, pte_pa, &o->new_pa);
  if (r == SIM_FAIL) {
    o->action = TRAP_KILLED;
    o->why = "kalloc found no page for the copy (out of memory)";
    return SIM_OK;
  }
  if (r != SIM_OK)
    return r;
  o->action = TRAP_COW;
  m->fault_per[slot].cow_copies++;
  return SIM_OK;
}

int cow_copyout(struct machine *m, uint64_t pagetable, uint64_t va0) {
  if (va0 >= MAXVA)
    return SIM_FAIL;
  uint64_t pte_pa, newpa;
  int r = cow_pte(m, pagetable, va0, &pte_pa);
  if (r != SIM_OK)
    return r == SIM_PANIC ? r : SIM_OK; // copyout's walkaddr decides
  return copy_page(m, pte_pa, &newpa);
}
