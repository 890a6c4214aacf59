#include "sv39sim/xv6/trap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/cow.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/lazy.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/vm.h"
#include "sv39sim/sv39.h"

// The trampoline's sfence.vma zero, zero around its satp write (uservec on the way in,
// userret on the way out): one after it to 2021, one before and one after from 2022.
static void trampoline_sfence(struct machine *m) {
  for (unsigned i = 0; i < m->cfg.edition->satp_sfences; i++)
    tlb_sfence(&m->hw, true, 0, true, 0);
}

// Room for one more --demand record. Returns 0, or -1 when the host is out of memory.
static int demand_room(struct machine *m) {
  if (m->ndemand < m->demand_cap)
    return 0;
  size_t cap = m->demand_cap ? 2 * m->demand_cap : 64;
  struct demand_page *d = realloc(m->demand, cap * sizeof(*d));
  if (d == NULL)
    return -1;
  m->demand = d;
  m->demand_cap = cap;
  return 0;
}

// --demand: a zeroed page R|W|X|U at PGROUNDDOWN(va), recorded outside sz. SIM_FAIL when
// there is no page (the fault is then only counted).
static int demand_map(struct machine *m, int slot, uint64_t va, struct trap_outcome *o) {
  uint64_t pt = m->proc[slot].pagetable, va0 = PGROUNDDOWN(va);
  if (demand_room(m) != 0)
    return SIM_FAIL;
  uint64_t mem = kmem_kalloc(m);
  if (mem == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  ram_fill_page(&m->hw.ram, mem, 0);
  int r = vm_mappages(m, pt, va0, PGSIZE, mem, PTE_R | PTE_W | PTE_X | PTE_U);
  if (r == SIM_FAIL)
    return kmem_kfree(m, mem) == SIM_OK ? SIM_FAIL : SIM_PANIC;
  if (r != SIM_OK)
    return r;
  m->demand[m->ndemand++] = (struct demand_page){.pagetable = pt, .va = va0, .pa = mem};
  m->fault_per[slot].demand_faults++;
  o->action = TRAP_DEMAND;
  o->new_pa = mem;
  return SIM_OK;
}

// usertrap's else branch: the edition's two lines, and the process is marked killed.
static void stock_kill(struct machine *m, int slot, int cause, uint64_t sepc, uint64_t stval,
                       struct trap_outcome *o) {
  int pid = m->proc[slot].pid;
  if (m->cfg.edition->trap_lx) {
    snprintf(o->msg[0], sizeof(o->msg[0]), "usertrap(): unexpected scause 0x%x pid=%d",
             (unsigned)cause, pid);
    snprintf(o->msg[1], sizeof(o->msg[1]), "            sepc=0x%llx stval=0x%llx",
             (unsigned long long)sepc, (unsigned long long)stval);
  } else {
    snprintf(o->msg[0], sizeof(o->msg[0]), "usertrap(): unexpected scause 0x%016x pid=%d",
             (unsigned)cause, pid);
    snprintf(o->msg[1], sizeof(o->msg[1]), "            sepc=0x%016llx stval=0x%016llx",
             (unsigned long long)sepc, (unsigned long long)stval);
  }
  o->action = TRAP_KILLED;
  o->why = "unexpected scause";
}

// usertrap proper, for a page fault: the lab's handlers in the kernel's order, then
// --demand, then the stock kill.
static int usertrap(struct machine *m, int slot, enum access acc, const struct fault *f,
                    unsigned how, struct trap_outcome *o) {
  KFRAME(m, "usertrap");
  // p->trapframe->epc = r_sepc(): a fetch faults at its own pc.
  if (acc == ACC_X)
    proc_tf_write(m, slot, TF_EPC, f->tval);
  uint64_t sepc = 0;
  ram_load(&m->hw.ram, m->proc[slot].trapframe + TF_EPC, 8, &sepc);
  int r = SIM_OK;
  bool kernel = how & TRAP_HOW_KERNEL;
  if (kernel && f->cause == CAUSE_STORE_PAGE && cow_on(m))
    r = cow_fault(m, slot, f->tval, o);
  if (r == SIM_OK && o->action == TRAP_NONE && kernel &&
      (f->cause == CAUSE_LOAD_PAGE || f->cause == CAUSE_STORE_PAGE) &&
      (m->cfg.lab == LAB_LAZY || m->cfg.edition->vmfault))
    r = lazy_fault(m, slot, f->tval, o);
  if (r == SIM_OK && o->action == TRAP_NONE && (how & TRAP_HOW_DEMAND) &&
      f->rule == RULE_INVALID && f->tval < MAXVA) {
    r = demand_map(m, slot, f->tval, o);
    if (r == SIM_FAIL) {
      r = SIM_OK;
      if (!kernel)
        o->action = TRAP_COUNTED;
    }
  }
  if (r != SIM_OK)
    return r;
  if (o->action == TRAP_NONE && kernel)
    stock_kill(m, slot, f->cause, sepc, f->tval, o);
  if (o->action == TRAP_NONE)
    o->action = TRAP_COUNTED;
  if (o->action == TRAP_KILLED) {
    // if(killed(p)) exit(-1): never returns to user space.
    m->proc[slot].killed = 1;
    return proc_exit_trap(m, slot, -1);
  }
  return SIM_OK;
}

int trap_fault(struct machine *m, int slot, enum access acc, const struct fault *f,
               unsigned how, struct trap_outcome *o) {
  memset(o, 0, sizeof(*o));
  bool demandable = (how & TRAP_HOW_DEMAND) && f->rule == RULE_INVALID && f->tval < MAXVA;
  if (!(how & TRAP_HOW_KERNEL) && !demandable) {
    o->action = TRAP_COUNTED; // the hardware's view: no kernel runs
    return SIM_OK;
  }
  trampoline_sfence(m); // uservec
  int r = usertrap(m, slot, acc, f, how, o);
  if (r != SIM_OK || o->action == TRAP_KILLED)
    return r;
  trampoline_sfence(m); // userret
  return SIM_OK;
}

// Whether the handler left the page mapped for a retry.
static bool mapped_for_retry(const struct trap_outcome *o) {
  return o->action == TRAP_LAZY || o->action == TRAP_COW || o->action == TRAP_DEMAND;
}

int trap_touch(struct machine *m, int slot, uint64_t va, enum access acc, bool demand,
               struct trap_touch *t) {
  memset(t, 0, sizeof(*t));
  t->va = va;
  t->acc = acc;
  uint64_t flushes0 = m->hw.tlb.total.flushes;
  int r = proc_switch(m, slot);
  if (r != SIM_OK)
    return r;
  struct hart kernel = m->hw.hart;
  // userret: the user table in satp, sfence.vma, sret to U-mode.
  mmu_write_satp(&m->hw, MAKE_SATP(m->proc[slot].pagetable));
  m->hw.hart.priv = PRIV_U;
  trampoline_sfence(m);
  unsigned how = TRAP_HOW_KERNEL | (demand ? TRAP_HOW_DEMAND : 0);
  struct walk_steps st;
  if (mmu_translate(&m->hw, va, acc, &t->pa, &t->f, &st) == 0) {
    t->hit = st.tlb_hit;
    t->ok = true;
  } else {
    t->hit = st.tlb_hit;
    t->faulted = true;
    r = trap_fault(m, slot, acc, &t->f, how, &t->trap);
    if (r == SIM_OK && mapped_for_retry(&t->trap)) {
      t->retried = true;
      if (mmu_translate(&m->hw, va, acc, &t->pa, &t->f2, &st) == 0) {
        t->ok = true;
      } else {
        t->retry_faulted = true;
        r = trap_fault(m, slot, acc, &t->f2, how, &t->trap2);
      }
      t->retry_hit = st.tlb_hit;
    }
  }
  bool killed = t->trap.action == TRAP_KILLED || t->trap2.action == TRAP_KILLED;
  // The kernel again: the next trap's uservec, or exit's scheduler (which in the lab
  // modes loaded the global table itself).
  uint64_t satp_now = m->hw.hart.satp;
  m->hw.hart = kernel;
  if (killed && m->cfg.kpt != KPT_GLOBAL)
    m->hw.hart.satp = satp_now;
  if (r == SIM_OK && !killed)
    trampoline_sfence(m);
  t->flushes = (unsigned)(m->hw.tlb.total.flushes - flushes0);
  return r;
}

bool trap_is_demand(const struct machine *m, uint64_t pagetable, uint64_t va) {
  for (size_t i = 0; i < m->ndemand; i++) {
    if (m->demand[i].pagetable == pagetable && m->demand[i].va == va)
      return true;
  }
  return false;
}

int trap_demand_free(struct machine *m, uint64_t pagetable) {
  size_t kept = 0, i;
  int r = SIM_OK;
  // In the order they were mapped; the others keep theirs.
  for (i = 0; i < m->ndemand && r == SIM_OK; i++) {
    struct demand_page d = m->demand[i];
    if (d.pagetable != pagetable) {
      m->demand[kept++] = d;
      continue;
    }
    uint64_t pte_pa;
    r = vm_walk(m, pagetable, d.va, 0, &pte_pa);
    if (r == SIM_FAIL) {
      r = SIM_OK; // unmapped by hand since: nothing to free
      continue;
    }
    uint64_t pte = r == SIM_OK ? vm_pte_read(m, pte_pa) : 0;
    if (r == SIM_OK && (pte & PTE_V) && PTE2PA(pte) == d.pa)
      r = vm_uvmunmap(m, pagetable, d.va, 1, 1);
  }
  for (; i < m->ndemand; i++) // after a panic: keep the rest for the reader
    m->demand[kept++] = m->demand[i];
  m->ndemand = kept;
  return r;
}
