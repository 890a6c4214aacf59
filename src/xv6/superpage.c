#include "sv39sim/xv6/superpage.h"

#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/vm.h"
#include "sv39sim/sv39.h"

#define SUPER_ROUNDDOWN(a) ((a) & ~(SUPERPGSIZE - 1))

bool superpage_on(const struct machine *m) {
  return m->cfg.lab == LAB_PGTBL && m->cfg.edition->pgtbl_superpages;
}

bool superpage_reserved(const struct machine *m, uint64_t pa) {
  const struct spmem *s = &m->spmem;
  return s->n > 0 && pa >= s->base && pa - s->base < s->n * SUPERPGSIZE;
}

// Fill every 4 KiB page of the region at pa with byte (RAM keeps them lazy: no copying).
static void fill_region(struct machine *m, uint64_t pa, uint8_t byte) {
  for (uint64_t k = 0; k < SUPERPAGE_NPAGES; k++)
    ram_fill_page(&m->hw.ram, pa + k * PGSIZE, byte);
}

int superpage_free(struct machine *m, uint64_t pa) {
  KFRAME(m, "superfree");
  if (pa % SUPERPGSIZE != 0 || !superpage_reserved(m, pa))
    return machine_panic(m, "superfree", "pa 0x%016llx is no superpage region",
                         (unsigned long long)pa);
  fill_region(m, pa, 0x01);
  ram_store(&m->hw.ram, pa, 8, m->spmem.freelist);
  m->spmem.freelist = pa;
  m->spmem.nfree++;
  kmem_log_super(m, true, pa);
  return SIM_OK;
}

uint64_t superpage_kinit(struct machine *m) {
  KFRAME(m, "superinit");
  uint64_t phystop = machine_phystop(m);
  m->spmem = (struct spmem){0};
  if (!superpage_on(m))
    return phystop;
  uint64_t top = SUPER_ROUNDDOWN(phystop);
  uint64_t lo = SUPER_ROUNDDOWN(PGROUNDUP(m->cfg.end) + SUPERPGSIZE - 1);
  uint64_t n = top > lo ? (top - lo) / SUPERPGSIZE : 0;
  if (n > m->cfg.superpages)
    n = m->cfg.superpages;
  if (n == 0)
    return phystop;
  // Pages above the last whole region are kalloc's; freed first, they end the list.
  kmem_freerange(m, top, phystop);
  m->spmem.base = top - n * SUPERPGSIZE;
  m->spmem.n = n;
  for (uint64_t pa = m->spmem.base; pa < top; pa += SUPERPGSIZE)
    superpage_free(m, pa);
  return m->spmem.base;
}

// Remembers a superalloc that found no superpage, for the -1 that follows (machine_why_nomem).
static uint64_t none_left(struct machine *m) {
  kmem_log_super(m, false, 0);
  m->nomem_super = true;
  m->nomem_chain = m->chain;
  return 0;
}

uint64_t superpage_alloc(struct machine *m) {
  KFRAME(m, "superalloc");
  if (m->halted)
    return 0;
  if (m->kmem.failat > 0 && --m->kmem.failat == 0)
    return none_left(m);
  if (++m->kalloc_calls == m->kalloc_fail_call)
    return none_left(m);
  uint64_t r = m->spmem.freelist;
  if (r == 0)
    return none_left(m);
  uint64_t next = 0;
  if (r % SUPERPGSIZE != 0 || !superpage_reserved(m, r) ||
      ram_load(&m->hw.ram, r, 8, &next) != 0) {
    machine_panic(m, "kerneltrap",
                  "superalloc: the superpage list's head 0x%016llx is no free superpage "
                  "(the list was overwritten)", (unsigned long long)r);
    return 0;
  }
  m->spmem.freelist = next;
  m->spmem.nfree--;
  fill_region(m, r, 0x05);
  kmem_log_super(m, false, r);
  return r;
}

void superpage_each_free(const struct machine *m, void (*fn)(void *ctx, uint64_t pa),
                         void *ctx) {
  uint64_t pa = m->spmem.freelist;
  for (uint64_t i = 0; pa != 0 && i < m->spmem.n; i++) {
    if (pa % SUPERPGSIZE != 0 || !superpage_reserved(m, pa))
      return;
    fn(ctx, pa);
    uint64_t next = 0;
    ram_load((struct ram *)&m->hw.ram, pa, 8, &next);
    pa = next;
  }
}

bool superpage_leaf(const struct machine *m, int level, uint64_t pte) {
  return level == 1 && PTE_LEAF(pte) && superpage_on(m);
}

// The level-1 slot for va in pagetable, in *slot; SIM_FAIL when the root has no level-1
// table there and alloc is 0, or kalloc failed (alloc 1). Panics as walk does for va at
// or above MAXVA, and for a table not in RAM.
static int level1_slot(struct machine *m, uint64_t pagetable, uint64_t va, int alloc,
                       uint64_t *slot) {
  if (va >= MAXVA)
    return machine_panic(m, "walk", "va 0x%016llx is at or above MAXVA",
                         (unsigned long long)va);
  if (!ram_contains(&m->hw.ram, pagetable, PGSIZE))
    return machine_panic(m, "kerneltrap", "walk: page-table page 0x%016llx is not in RAM",
                         (unsigned long long)pagetable);
  uint64_t root_slot = pagetable + 8 * PX(2, va);
  uint64_t pte = vm_pte_read(m, root_slot);
  uint64_t l1;
  if (pte & PTE_V) {
    l1 = PTE2PA(pte);
    if (l1 % PGSIZE != 0 || !ram_contains(&m->hw.ram, l1, PGSIZE))
      return machine_panic(m, "kerneltrap", "walk: page-table page 0x%016llx is not in RAM",
                           (unsigned long long)l1);
  } else {
    if (!alloc)
      return SIM_FAIL;
    l1 = kmem_kalloc(m);
    if (l1 == 0)
      return m->halted ? SIM_PANIC : SIM_FAIL;
    ram_fill_page(&m->hw.ram, l1, 0);
    vm_pte_write(m, root_slot, PA2PTE(l1) | PTE_V);
  }
  *slot = l1 + 8 * PX(1, va);
  return SIM_OK;
}

// The superpage leaf that maps va in pagetable: its slot and PTE. False when none does.
static bool superpage_at(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t *slot,
                         uint64_t *pte) {
  if (!superpage_on(m) || va >= MAXVA || !ram_contains(&m->hw.ram, pagetable, PGSIZE))
    return false;
  uint64_t root_pte = vm_pte_read(m, pagetable + 8 * PX(2, va));
  if (!(root_pte & PTE_V) || PTE_LEAF(root_pte) ||
      !ram_contains(&m->hw.ram, PTE2PA(root_pte), PGSIZE))
    return false;
  *slot = PTE2PA(root_pte) + 8 * PX(1, va);
  *pte = vm_pte_read(m, *slot);
  return PTE_LEAF(*pte);
}

uint64_t superpage_offset(struct machine *m, uint64_t pagetable, uint64_t va) {
  uint64_t slot, pte;
  if (!superpage_at(m, pagetable, va, &slot, &pte))
    return 0;
  return PGROUNDDOWN(va) - SUPER_ROUNDDOWN(va);
}

// The kernel reads a superpage's bytes through its direct map, which covers RAM only.
static int check_region(struct machine *m, uint64_t pa, const char *who) {
  if (pa % PGSIZE == 0 && ram_contains(&m->hw.ram, pa, SUPERPGSIZE))
    return SIM_OK;
  return machine_panic(m, "kerneltrap", "%s: superpage 0x%016llx is not in RAM", who,
                       (unsigned long long)pa);
}

// mappages of the superpage mem, just allocated: its level-1 slot for va, then the leaf,
// and *big. Panics as mappages does ("remap", "mappages: remap") when the slot is valid;
// SIM_FAIL, with mem given back to the superpage list, when no level-1 table could be had.
static int map_new_superpage(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t mem,
                             uint64_t perm, bool *big) {
  uint64_t slot = 0;
  int r = level1_slot(m, pagetable, va, 1, &slot);
  if (r == SIM_FAIL) {
    r = superpage_free(m, mem);
    return r == SIM_OK ? SIM_FAIL : r;
  }
  if (r != SIM_OK)
    return r;
  uint64_t old = vm_pte_read(m, slot);
  if (old & PTE_V)
    return machine_panic(m, m->cfg.edition->names.remap,
                         "va 0x%016llx is already mapped (pte 0x%016llx)",
                         (unsigned long long)va, (unsigned long long)old);
  vm_pte_write(m, slot, PA2PTE(mem) | perm | PTE_V);
  *big = true;
  return SIM_OK;
}

int superpage_grow(struct machine *m, uint64_t pagetable, uint64_t a, uint64_t newsz,
                   uint64_t perm, bool *big) {
  *big = false;
  if (!superpage_on(m) || a % SUPERPGSIZE != 0 || a + SUPERPGSIZE > newsz ||
      a + SUPERPGSIZE < a)
    return SIM_OK;
  uint64_t mem = superpage_alloc(m);
  if (mem == 0)
    return m->halted ? SIM_PANIC : SIM_OK; // none left: 4 KiB pages, as before the lab
  fill_region(m, mem, 0);
  return map_new_superpage(m, pagetable, a, mem, perm, big);
}

// Demote the superpage whose leaf pte is at slot, mapping sp: a level-0 table, then a
// copy of each page outside [a, stop) in va order, with the leaf's flags; the slot then
// points at the table. SIM_FAIL when out of memory, with what was taken given back.
static int demote(struct machine *m, uint64_t slot, uint64_t pte, uint64_t sp, uint64_t a,
                  uint64_t stop) {
  if (check_region(m, PTE2PA(pte), "demote") != SIM_OK)
    return SIM_PANIC;
  uint64_t l0 = kmem_kalloc(m);
  if (l0 == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  ram_fill_page(&m->hw.ram, l0, 0);
  uint64_t pa = PTE2PA(pte);
  for (uint64_t k = 0; k < SUPERPAGE_NPAGES; k++) {
    uint64_t va = sp + k * PGSIZE;
    if (va >= a && va < stop)
      continue;
    uint64_t mem = kmem_kalloc(m);
    if (mem == 0) {
      if (m->halted)
        return SIM_PANIC;
      for (uint64_t j = 0; j < k; j++) {
        uint64_t q = vm_pte_read(m, l0 + 8 * j);
        if ((q & PTE_V) && kmem_kfree(m, PTE2PA(q)) != SIM_OK)
          return SIM_PANIC;
      }
      return kmem_kfree(m, l0) == SIM_OK ? SIM_FAIL : SIM_PANIC;
    }
    ram_copy_page(&m->hw.ram, mem, pa + k * PGSIZE);
    vm_pte_write(m, l0 + 8 * k, PA2PTE(mem) | PTE_FLAGS(pte));
  }
  vm_pte_write(m, slot, PA2PTE(l0) | PTE_V);
  return SIM_OK;
}

int superpage_unmap(struct machine *m, uint64_t pagetable, uint64_t a, uint64_t end,
                    int do_free, bool *big, uint64_t *next) {
  uint64_t slot, pte;
  *big = false;
  if (!superpage_at(m, pagetable, a, &slot, &pte))
    return SIM_OK;
  uint64_t sp = SUPER_ROUNDDOWN(a);
  uint64_t stop = end < sp + SUPERPGSIZE ? end : sp + SUPERPGSIZE;
  if (a != sp || stop != sp + SUPERPGSIZE) {
    if (!do_free)
      return machine_panic(m, "uvmunmap: part of a superpage", "va 0x%016llx",
                           (unsigned long long)a);
    int r = demote(m, slot, pte, sp, a, stop);
    if (r != SIM_OK)
      return r;
  } else {
    vm_pte_write(m, slot, 0);
  }
  if (do_free && superpage_free(m, PTE2PA(pte)) != SIM_OK)
    return SIM_PANIC;
  *big = true;
  *next = stop;
  return SIM_OK;
}

int superpage_copy(struct machine *m, uint64_t old, uint64_t new, uint64_t va, bool *big) {
  uint64_t slot, pte;
  *big = false;
  if (!superpage_at(m, old, va, &slot, &pte))
    return SIM_OK;
  if (check_region(m, PTE2PA(pte), "uvmcopy") != SIM_OK)
    return SIM_PANIC;
  uint64_t mem = superpage_alloc(m);
  if (mem == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  for (uint64_t k = 0; k < SUPERPAGE_NPAGES; k++)
    ram_copy_page(&m->hw.ram, mem + k * PGSIZE, PTE2PA(pte) + k * PGSIZE);
  return map_new_superpage(m, new, va, mem, PTE_FLAGS(pte) & ~(uint64_t)PTE_V, big);
}
