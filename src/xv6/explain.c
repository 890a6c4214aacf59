#include "sv39sim/xv6/explain.h"

#include <stdio.h>

#include "sv39sim/xv6/edition.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/sv39.h"

int explain_table(const struct machine *m, uint64_t root, char *buf, size_t len) {
  if (root != 0 && root == m->kernel_pagetable) {
    snprintf(buf, len, "the kernel table");
    return -1;
  }
  for (int i = 0; i < NPROC; i++) {
    const struct proc *p = &m->proc[i];
    if (p->state == UNUSED && p->pagetable == 0 && p->kpagetable == 0)
      continue;
    if (root != 0 && root == p->pagetable) {
      snprintf(buf, len, "pid %d's user table", p->pid);
      return i;
    }
    if (root != 0 && root == p->kpagetable) {
      snprintf(buf, len, "pid %d's kernel table", p->pid);
      return i;
    }
  }
  snprintf(buf, len, "the table at 0x%016llx (no process's yet: the one being built)",
           (unsigned long long)root);
  return -1;
}

// The leaf PTE that the table at root holds for va (0 when none), read without a fault.
static uint64_t leaf_at(struct machine *m, uint64_t root, uint64_t va) {
  uint64_t table = root;
  for (int level = 2; level >= 0; level--) {
    uint64_t pte = 0;
    if (table % PGSIZE != 0 || ram_load(&m->hw.ram, table + 8 * PX(level, va), 8, &pte) != 0)
      return 0;
    if ((pte & PTE_V) == 0)
      return 0;
    if (PTE_LEAF(pte) || level == 0)
      return pte;
    table = PTE2PA(pte);
  }
  return 0;
}

// A kernel table's mapping of va to pa: one of the edition's rows, or a kernel stack.
static bool kernel_row(struct machine *m, int slot, uint64_t va, uint64_t pa, char *buf,
                       size_t len) {
  const struct config *c = &m->cfg;
  const struct xv6_edition *ed = c->edition;
  const char *maker = ed->names.kvmmake ? ed->names.kvmmake : "kvminit";
  for (unsigned i = 0; i < ed->nkmap; i++) {
    const struct edition_kmap *row = &ed->kmap[i];
    uint64_t lo = edition_addr(row->va, c->etext, c->trampoline, machine_phystop(m));
    uint64_t hi = edition_addr(row->va_end, c->etext, c->trampoline, machine_phystop(m));
    uint64_t rpa = edition_addr(row->pa, c->etext, c->trampoline, machine_phystop(m));
    if (va >= lo && va < hi && pa == rpa + (va - lo)) {
      snprintf(buf, len, "%s's %s mapping", maker, row->name);
      return true;
    }
  }
  int k = edition_kstack_slot(ed, va);
  if (k < 0)
    return false;
  if (slot >= 0 && m->proc[slot].kstack_pa == pa)
    snprintf(buf, len, "allocproc's kernel stack of pid %d", m->proc[slot].pid);
  else
    snprintf(buf, len, "%s's kernel stack of slot %d",
             ed->kstacks == EDITION_KSTACKS_KVMMAKE ? "proc_mapstacks" : "procinit", k);
  return true;
}

void explain_mapping(struct machine *m, uint64_t root, uint64_t va, uint64_t pte, char *buf,
                     size_t len) {
  char table[96];
  int slot = explain_table(m, root, table, sizeof(table));
  uint64_t pa = PTE2PA(pte);
  const struct proc *p = slot >= 0 ? &m->proc[slot] : NULL;
  bool user = p != NULL && root == p->pagetable;
  if (!user && (root == m->kernel_pagetable || (p != NULL && root == p->kpagetable))) {
    if (kernel_row(m, slot, va, pa, buf, len))
      return;
    // The lab's mirror: the user table maps va to the same page, with U.
    uint64_t upte = p != NULL && p->pagetable != 0 ? leaf_at(m, p->pagetable, va) : 0;
    if (p != NULL && va < PGROUNDUP(p->sz) && (upte & PTE_V) && PTE2PA(upte) == pa) {
      snprintf(buf, len, "pid %d's user mirror (u2kvmcopy)", p->pid);
      return;
    }
  } else if (va == TRAMPOLINE && pa == m->cfg.trampoline) {
    snprintf(buf, len, "proc_pagetable's trampoline mapping");
    return;
  } else if (va == TRAPFRAME && (p == NULL || pa == p->trapframe)) {
    snprintf(buf, len, "proc_pagetable's trapframe mapping");
    return;
  } else if (p != NULL && va < PGROUNDUP(p->sz)) {
    snprintf(buf, len, "pid %d's user memory", p->pid);
    return;
  }
  snprintf(buf, len, "a mapping xv6 does not make (by hand: mappages or poke)");
}
