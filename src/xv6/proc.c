#include "sv39sim/xv6/proc.h"

#include <string.h>

#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/lazy.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/pgtbl.h"
#include "sv39sim/sv39.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/trap.h"
#include "sv39sim/xv6/vm.h"

// user/initcode.S assembled: exec("/init", {"/init", 0}), then exit if that returns.
static const uint8_t initcode[] = {
    0x17, 0x05, 0x00, 0x00, 0x13, 0x05, 0x45, 0x02, 0x97, 0x05, 0x00, 0x00, 0x93,
    0x85, 0x35, 0x02, 0x93, 0x08, 0x70, 0x00, 0x73, 0x00, 0x00, 0x00, 0x93, 0x08,
    0x20, 0x00, 0x73, 0x00, 0x00, 0x00, 0xef, 0xf0, 0x9f, 0xff, 0x2f, 0x69, 0x6e,
    0x69, 0x74, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

void proc_tf_write(struct machine *m, int slot, unsigned off, uint64_t v) {
  ram_store(&m->hw.ram, m->proc[slot].trapframe + off, 8, v);
}

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
  KFRAME(m, "proc_pagetable");
  struct proc *p = &m->proc[slot];
  uint64_t pt;
  int r = vm_uvmcreate(m, &pt);
  if (r != SIM_OK)
    return r;
  r = vm_mappages(m, pt, TRAMPOLINE, PGSIZE, m->cfg.trampoline, PTE_R | PTE_X);
  if (r == SIM_FAIL) {
    r = vm_uvmfree(m, pt, 0);
    return r == SIM_OK ? SIM_FAIL : r;
  }
  if (r != SIM_OK)
    return r;
  r = vm_mappages(m, pt, TRAPFRAME, PGSIZE, p->trapframe, PTE_R | PTE_W);
  if (r == SIM_FAIL) {
    r = vm_uvmunmap(m, pt, TRAMPOLINE, 1, 0);
    if (r == SIM_OK)
      r = vm_uvmfree(m, pt, 0);
    return r == SIM_OK ? SIM_FAIL : r;
  }
  if (r != SIM_OK)
    return r;
  r = pgtbl_usyscall_map(m, pt, p);
  if (r == SIM_FAIL) {
    r = vm_uvmunmap(m, pt, TRAMPOLINE, 1, 0);
    if (r == SIM_OK)
      r = vm_uvmunmap(m, pt, TRAPFRAME, 1, 0);
    if (r == SIM_OK)
      r = vm_uvmfree(m, pt, 0);
    return r == SIM_OK ? SIM_FAIL : r;
  }
  if (r != SIM_OK)
    return r;
  *pagetable = pt;
  return SIM_OK;
}

int proc_freepagetable(struct machine *m, uint64_t pagetable, uint64_t sz) {
  KFRAME(m, "proc_freepagetable");
  // --demand's pages lie outside sz: they go first, so that freewalk finds no leaf.
  if (m->ndemand > 0 && trap_demand_free(m, pagetable) != SIM_OK)
    return SIM_PANIC;
  int r = vm_uvmunmap(m, pagetable, TRAMPOLINE, 1, 0);
  if (r == SIM_OK)
    r = vm_uvmunmap(m, pagetable, TRAPFRAME, 1, 0);
  if (r == SIM_OK)
    r = pgtbl_usyscall_unmap(m, pagetable);
  if (r == SIM_OK)
    r = vm_uvmfree(m, pagetable, sz);
  return r;
}

int proc_freeproc(struct machine *m, int slot) {
  KFRAME(m, "freeproc");
  struct proc *p = &m->proc[slot];
  if (p->trapframe != 0 && kmem_kfree(m, p->trapframe) != SIM_OK)
    return SIM_PANIC;
  p->trapframe = 0;
  if (pgtbl_usyscall_free(m, p) != SIM_OK)
    return SIM_PANIC;
  if (p->pagetable != 0) {
    int r = proc_freepagetable(m, p->pagetable, p->sz);
    if (r != SIM_OK)
      return r;
  }
  p->pagetable = 0;
  if (p->kstack_pa != 0) {
    int r = vm_uvmunmap(m, p->kpagetable, p->kstack, 1, 1);
    if (r != SIM_OK)
      return r;
  }
  p->kstack_pa = 0;
  if (p->kpagetable != 0) {
    int r = vm_kvmfree(m, p->kpagetable);
    if (r != SIM_OK)
      return r;
  }
  p->kpagetable = 0;
  p->sz = 0;
  p->pid = 0;
  p->parent = -1;
  p->name[0] = '\0';
  p->killed = 0;
  p->xstate = 0;
  p->has_guard = false;
  p->state = UNUSED;
  return SIM_OK;
}

// kstack=procinit: the slot's stack is procinit's, found where kvmpa finds it (the
// global table's KSTACK(slot)) and mapped at the same va in the copy; the process owns
// nothing more. SIM_FAIL when mappages is out of memory; panics "kvmpa" if it is missing.
static int map_boot_kstack(struct machine *m, struct proc *p) {
  uint64_t pte_pa;
  int r = vm_walk(m, m->kernel_pagetable, p->kstack, 0, &pte_pa);
  if (r == SIM_PANIC)
    return r;
  uint64_t pte = r == SIM_OK ? vm_pte_read(m, pte_pa) : 0;
  if ((pte & PTE_V) == 0)
    return machine_panic(m, "kvmpa", "no kernel stack at 0x%016llx in the kernel table",
                         (unsigned long long)p->kstack);
  return vm_mappages(m, p->kpagetable, p->kstack, PGSIZE, PTE2PA(pte), PTE_R | PTE_W);
}

// The lab's additions to allocproc: the process's own kernel table, then its kernel stack
// mapped in it, in the configured shape (enum kpt_kstack). SIM_FAIL when out of memory,
// with what was built left in p for freeproc.
static int alloc_kernel_table(struct machine *m, struct proc *p) {
  int r = kvm_kvmcreate(m, &p->kpagetable);
  if (r != SIM_OK)
    return r;
  if (m->cfg.kpt_kstack == KPT_KSTACK_PROCINIT)
    return map_boot_kstack(m, p);
  if (m->cfg.kpt_kstack == KPT_KSTACK_ZERO)
    p->kstack = edition_kstack(m->cfg.edition, 0); // each table is the process's own
  uint64_t pa = kmem_kalloc(m);
  if (pa == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  r = vm_mappages(m, p->kpagetable, p->kstack, PGSIZE, pa, PTE_R | PTE_W);
  if (r == SIM_FAIL) {
    r = kmem_kfree(m, pa);
    return r == SIM_OK ? SIM_FAIL : r;
  }
  if (r != SIM_OK)
    return r;
  p->kstack_pa = pa;
  return SIM_OK;
}

// allocproc found slot i's process out of memory: freeproc undoes what was built.
// SIM_FAIL, as allocproc returns 0, or freeproc's panic.
static int allocproc_undo(struct machine *m, int i) {
  int r = proc_freeproc(m, i);
  return r == SIM_OK ? SIM_FAIL : r;
}

int proc_allocproc(struct machine *m, int *slot) {
  KFRAME(m, "allocproc");
  int i;
  for (i = 0; i < NPROC; i++) {
    if (m->proc[i].state == UNUSED)
      break;
  }
  if (i == NPROC)
    return SIM_FAIL;
  struct proc *p = &m->proc[i];
  p->pid = m->nextpid++;
  p->trapframe = kmem_kalloc(m);
  if (p->trapframe == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  int r = pgtbl_usyscall_alloc(m, p);
  if (r == SIM_FAIL)
    return allocproc_undo(m, i);
  if (r != SIM_OK)
    return r;
  r = proc_pagetable(m, i, &p->pagetable);
  if (r == SIM_FAIL)
    return allocproc_undo(m, i);
  if (r != SIM_OK)
    return r;
  if (m->cfg.kpt != KPT_GLOBAL) {
    r = alloc_kernel_table(m, p);
    if (r == SIM_FAIL)
      return allocproc_undo(m, i);
    if (r != SIM_OK)
      return r;
  }
  // The slot is claimed; xv6 keeps it locked (and so invisible) until its caller is done.
  p->state = SLEEPING;
  *slot = i;
  machine_slot_reset(m, i, p->pid); // its TLB counts are the new process's from now
  return SIM_OK;
}

// userinit's initcode: one zeroed page at va 0 holding initcode (which execs /init as a
// system call), mirrored in mode 3; the process's size is that page.
static int load_initcode(struct machine *m, struct proc *p) {
  int r = vm_uvminit(m, p->pagetable, initcode, sizeof(initcode));
  if (r == SIM_FAIL)
    // xv6 ignores it: pid 1 runs from an unmapped page 0, faults, and usertrap kills it.
    return machine_panic(m, "init exiting",
                         "%s's mappages failed, so initcode's page is unmapped and "
                         "pid 1's first instruction faults",
                         m->cfg.edition->names.uvminit);
  if (r != SIM_OK)
    return r;
  if (m->cfg.kpt == KPT_PER_PROCESS_USER) {
    r = vm_u2kvmcopy(m, p->pagetable, p->kpagetable, 0, PGSIZE);
    if (r == SIM_FAIL)
      return machine_panic(m, "kvmmap", "userinit: no page-table page for initcode's mirror");
    if (r != SIM_OK)
      return r;
  }
  p->sz = PGSIZE;
  return SIM_OK;
}

int proc_userinit(struct machine *m, int *slot) {
  KFRAME(m, "main");
  KFRAME(m, "userinit");
  int r = proc_allocproc(m, slot);
  if (r == SIM_FAIL)
    return machine_panic(m, "kerneltrap",
                         "userinit: allocproc returned 0 and xv6 uses it without checking");
  if (r != SIM_OK)
    return r;
  struct proc *p = &m->proc[*slot];
  m->initproc = *slot;
  if (m->cfg.edition->first_proc == EDITION_FIRST_INITCODE) {
    if ((r = load_initcode(m, p)) != SIM_OK)
      return r;
    proc_tf_write(m, *slot, TF_EPC, 0);      // the user program counter
    proc_tf_write(m, *slot, TF_SP, PGSIZE);  // the user stack pointer
    strcpy(p->name, "initcode");
  } else {
    strcpy(p->name, "init"); // forkret's kexec("/init") gives it its image
    m->first_kexec = true;
  }
  p->state = RUNNABLE;
  return SIM_OK;
}

// fork itself: *pid gets the child's pid. SIM_FAIL where fork returns -1 (allocproc,
// uvmcopy or the mode-3 mirror out of memory), with the child freed.
static int forkproc(struct machine *m, int slot, int *pid) {
  KFRAME(m, m->cfg.edition->names.fork);
  struct proc *p = &m->proc[slot];
  int cs;
  int r = proc_allocproc(m, &cs);
  if (r != SIM_OK)
    return r;
  struct proc *np = &m->proc[cs];
  r = vm_uvmcopy(m, p->pagetable, np->pagetable, p->sz);
  if (r == SIM_FAIL)
    return allocproc_undo(m, cs);
  if (r != SIM_OK)
    return r;
  // sz before the mirror, so that a failed mirror's freeproc frees the copied pages.
  np->sz = p->sz;
  if (m->cfg.kpt == KPT_PER_PROCESS_USER) {
    r = vm_u2kvmcopy(m, np->pagetable, np->kpagetable, 0, np->sz);
    if (r == SIM_FAIL)
      return allocproc_undo(m, cs);
    if (r != SIM_OK)
      return r;
  }
  np->parent = slot;
  // *(np->trapframe) = *(p->trapframe): the struct, not the page.
  uint8_t tf[TRAPFRAME_SIZE];
  ram_read(&m->hw.ram, p->trapframe, tf, sizeof(tf));
  ram_write(&m->hw.ram, np->trapframe, tf, sizeof(tf));
  proc_tf_write(m, cs, TF_A0, 0); // fork returns 0 in the child
  memcpy(np->name, p->name, sizeof(np->name));
  np->has_guard = p->has_guard;
  np->guard_va = p->guard_va;
  np->state = RUNNABLE;
  *pid = np->pid;
  return SIM_OK;
}

// v as growproc's sz holds it: the edition's width, unsigned.
static uint64_t sz_wrap(const struct machine *m, uint64_t v) {
  unsigned bits = m->cfg.edition->growproc_bits;
  return bits >= 64 ? v : v & ((1ULL << bits) - 1);
}

// growproc(n) grows: the lab's PLIC check, uvmalloc, then the mirror. *sz is growproc's
// sz, updated on success; SIM_FAIL where growproc returns -1.
static int grow(struct machine *m, struct proc *p, int32_t n, uint64_t *sz) {
  uint64_t want = sz_wrap(m, *sz + (uint64_t)(int64_t)n);
  bool mirror = m->cfg.kpt == KPT_PER_PROCESS_USER;
  if (mirror && want >= PLIC) {
    machine_why(m, "growproc: sz 0x%llx would reach PLIC (0x%llx), which the kernel table "
                "maps", (unsigned long long)want, (unsigned long long)PLIC);
    return SIM_FAIL;
  }
  if (m->cfg.edition->growproc_below_trapframe && *sz + (uint64_t)(int64_t)n > TRAPFRAME) {
    machine_why(m, "growproc: sz 0x%llx + %d would pass TRAPFRAME (0x%llx)",
                (unsigned long long)*sz, (int)n, (unsigned long long)TRAPFRAME);
    return SIM_FAIL;
  }
  uint64_t newsz;
  int r = vm_uvmalloc(m, p->pagetable, *sz, want, m->cfg.edition->uvm_perm, &newsz);
  if (r == SIM_FAIL)
    machine_why_nomem(m);
  if (r != SIM_OK)
    return r;
  if (mirror && newsz > *sz) {
    r = vm_u2kvmcopy(m, p->pagetable, p->kpagetable, *sz, newsz);
    if (r == SIM_FAIL) {
      machine_why_nomem(m);
      uint64_t ignored;
      r = vm_uvmdealloc(m, p->pagetable, newsz, *sz, &ignored);
      return r == SIM_OK ? SIM_FAIL : r;
    }
    if (r != SIM_OK)
      return r;
  }
  *sz = sz_wrap(m, newsz);
  return SIM_OK;
}

// growproc(n) shrinks: uvmdealloc, then (mode 3) the mirror of the freed pages goes.
static int shrink(struct machine *m, struct proc *p, int32_t n, uint64_t *sz) {
  uint64_t oldsz = *sz, newsz;
  int r = vm_uvmdealloc(m, p->pagetable, oldsz, sz_wrap(m, *sz + (uint64_t)(int64_t)n),
                        &newsz);
  if (r == SIM_FAIL) // the superpage lab's demotion found no page for the kept part
    machine_why_nomem(m);
  if (r != SIM_OK)
    return r;
  if (m->cfg.kpt == KPT_PER_PROCESS_USER && PGROUNDUP(newsz) < PGROUNDUP(oldsz)) {
    uint64_t npages = (PGROUNDUP(oldsz) - PGROUNDUP(newsz)) / PGSIZE;
    r = vm_uvmunmap(m, p->kpagetable, PGROUNDUP(newsz), npages, 0);
    if (r != SIM_OK)
      return r;
  }
  *sz = sz_wrap(m, newsz);
  return SIM_OK;
}

// sys_sbrk's addr = myproc()->sz: the edition's width, signed (an int in 2020).
static int64_t sbrk_addr(const struct machine *m, uint64_t sz) {
  unsigned bits = m->cfg.edition->growproc_bits;
  if (bits >= 64)
    return (int64_t)sz;
  uint64_t sign = 1ULL << (bits - 1);
  return (int64_t)((sz_wrap(m, sz) ^ sign) - sign);
}

int proc_sbrk(struct machine *m, int slot, int32_t n, int64_t *ret) {
  KSYSCALL(m, "sys_sbrk");
  m->why[0] = '\0';
  if (n > 0 && lazy_sbrk_on(m))
    return lazy_sbrk(m, slot, n, ret); // the lazy lab: sz only, no growproc
  KFRAME(m, "growproc"); // grow and shrink are its two halves
  struct proc *p = &m->proc[slot];
  int64_t addr = sbrk_addr(m, p->sz);
  uint64_t sz = sz_wrap(m, p->sz);
  int r = SIM_OK;
  *ret = -1;
  if (n > 0)
    r = grow(m, p, n, &sz);
  else if (n < 0)
    r = shrink(m, p, n, &sz);
  if (r == SIM_PANIC)
    return r;
  if (r == SIM_OK) {
    p->sz = sz;
    *ret = addr;
  }
  proc_tf_write(m, slot, TF_A0, (uint64_t)*ret);
  return r;
}

int proc_switch(struct machine *m, int slot) {
  KFRAME(m, "scheduler");
  if (slot == m->current)
    return SIM_OK;
  if (m->current >= 0) {
    // Back in the scheduler, which (in the lab) loads the global table: kvminithart.
    struct proc *old = &m->proc[m->current];
    if (old->state == RUNNING)
      old->state = RUNNABLE;
    machine_set_current(m, -1);
    if (m->cfg.kpt != KPT_GLOBAL)
      kvm_kvminithart(m);
  }
  if (slot < 0)
    return SIM_OK;
  struct proc *p = &m->proc[slot];
  p->state = RUNNING;
  machine_set_current(m, slot);
  if (m->cfg.kpt != KPT_GLOBAL) {
    // The lab's scheduler: w_satp(MAKE_SATP(p->kpagetable)); sfence_vma();
    m->hw.hart.satp = MAKE_SATP(p->kpagetable);
    tlb_sfence(&m->hw, true, 0, true, 0);
  }
  return SIM_OK;
}

// exit itself, for sys_exit and for usertrap's exit of a killed process.
static int exit_proc(struct machine *m, int slot, int status) {
  KFRAME(m, m->cfg.edition->names.exit);
  if (slot == m->initproc)
    return machine_panic(m, "init exiting", NULL);
  for (int i = 0; i < NPROC; i++) {
    if (m->proc[i].state != UNUSED && m->proc[i].parent == slot)
      m->proc[i].parent = m->initproc;
  }
  struct proc *p = &m->proc[slot];
  p->xstate = status;
  p->state = ZOMBIE;
  if (m->current == slot)
    return proc_switch(m, -1); // sched(): never to return
  return SIM_OK;
}

int proc_exit(struct machine *m, int slot, int status) {
  KSYSCALL(m, "sys_exit");
  return exit_proc(m, slot, status);
}

int proc_exit_trap(struct machine *m, int slot, int status) {
  return exit_proc(m, slot, status);
}

// Why allocproc failed: no UNUSED slot, or (else) a kalloc found no page.
static void allocproc_why(struct machine *m) {
  for (int i = 0; i < NPROC; i++) {
    if (m->proc[i].state == UNUSED) {
      machine_why_nomem(m);
      return;
    }
  }
  machine_why(m, "allocproc: no UNUSED process slot (all NPROC = %d in use)", NPROC);
}

int proc_fork(struct machine *m, int slot, int *pid) {
  KSYSCALL(m, "sys_fork");
  int child;
  m->why[0] = '\0';
  int r = forkproc(m, slot, &child);
  if (r == SIM_PANIC)
    return r;
  if (r == SIM_FAIL)
    allocproc_why(m); // fork's other failures are out of memory too
  *pid = r == SIM_OK ? child : -1; // fork's return value, for the user
  proc_tf_write(m, slot, TF_A0, (uint64_t)(int64_t)*pid); // syscall(): a0 = return value
  return SIM_OK;
}

// wait's loop over the children of slot: see proc_wait.
static int waitchild(struct machine *m, int slot, int *pid, bool *blocked) {
  KFRAME(m, m->cfg.edition->names.wait);
  bool havekids = false;
  *pid = -1;
  *blocked = false;
  for (int i = 0; i < NPROC; i++) {
    struct proc *np = &m->proc[i];
    if (np->state == UNUSED || np->parent != slot)
      continue;
    havekids = true;
    if (np->state == ZOMBIE) {
      int child = np->pid;
      int r = proc_freeproc(m, i);
      if (r != SIM_OK)
        return r;
      *pid = child;
      return SIM_OK;
    }
  }
  if (havekids && !m->proc[slot].killed)
    *blocked = true;
  return SIM_OK;
}

int proc_wait(struct machine *m, int slot, int *pid, bool *blocked) {
  KSYSCALL(m, "sys_wait");
  int r = waitchild(m, slot, pid, blocked);
  if (r == SIM_OK && !*blocked)
    proc_tf_write(m, slot, TF_A0, (uint64_t)(int64_t)*pid);
  return r;
}

// sys_kill's kill: marks the victim. Returns its slot, or -1 when there is none.
static int kill_mark(struct machine *m, int pid, int *ret) {
  KSYSCALL(m, "sys_kill");
  KFRAME(m, m->cfg.edition->names.kill);
  *ret = -1;
  int slot = proc_slot(m, pid);
  if (slot < 0)
    return -1;
  struct proc *p = &m->proc[slot];
  *ret = 0;
  p->killed = 1;
  if (p->state == SLEEPING)
    p->state = RUNNABLE;
  return slot;
}

int proc_kill(struct machine *m, int pid, int *ret) {
  int slot = kill_mark(m, pid, ret);
  if (slot < 0 || m->proc[slot].state == ZOMBIE)
    return SIM_OK;
  KFRAME(m, "usertrap"); // the victim's next trap: if(p->killed) exit(-1);
  return exit_proc(m, slot, -1);
}

// Why the kernel's copy of [va, va + len) from slot's user memory returned -1 (str:
// copyinstr, which also fails for want of a NUL): the lab's copyin_new checks against
// sz; walkaddr refuses the first page that is unmapped, not U, or at or above MAXVA.
static void copy_why(struct machine *m, int slot, uint64_t va, uint64_t len, bool str) {
  const struct proc *p = &m->proc[slot];
  const char *fn = str ? "copyinstr" : "copyin";
  if (m->cfg.kpt == KPT_PER_PROCESS_USER) {
    if (str)
      machine_why(m, "copyinstr_new: no NUL in the bytes from 0x%llx below sz 0x%llx and "
                  "within max %llu", (unsigned long long)va, (unsigned long long)p->sz,
                  (unsigned long long)len);
    else if (va >= p->sz)
      machine_why(m, "copyin_new: srcva 0x%llx is at or above sz 0x%llx",
                  (unsigned long long)va, (unsigned long long)p->sz);
    else
      machine_why(m, "copyin_new: srcva + len = 0x%llx reaches sz 0x%llx (the lab's check "
                  "refuses a copy that ends at sz too)", (unsigned long long)(va + len),
                  (unsigned long long)p->sz);
    return;
  }
  for (uint64_t a = PGROUNDDOWN(va); len > 0 && a < va + len; a += PGSIZE) {
    uint64_t pte_pa, pte = 0;
    if (a >= MAXVA) {
      machine_why(m, "%s: walkaddr: va 0x%llx is at or above MAXVA", fn,
                  (unsigned long long)a);
      return;
    }
    if (vm_walk(m, p->pagetable, a, 0, &pte_pa) == SIM_OK)
      pte = vm_pte_read(m, pte_pa);
    if ((pte & PTE_V) == 0) {
      machine_why(m, "%s: walkaddr: va 0x%llx is not mapped", fn, (unsigned long long)a);
      return;
    }
    if ((pte & PTE_U) == 0) {
      machine_why(m, "%s: walkaddr: va 0x%llx has PTE_U clear (pte 0x%llx: a page only the "
                  "kernel may use, like the stack's guard page)", fn, (unsigned long long)a,
                  (unsigned long long)pte);
      return;
    }
    if (a + PGSIZE < a)
      break;
  }
  if (str)
    machine_why(m, "copyinstr: no NUL in the %llu bytes from 0x%llx", (unsigned long long)len,
                (unsigned long long)va);
  else
    machine_why(m, "copyin: walkaddr refused a page of 0x%llx..0x%llx",
                (unsigned long long)va, (unsigned long long)(va + len - 1));
}

int proc_copyin(struct machine *m, int slot, void *dst, uint64_t srcva, uint64_t len,
                int *ret) {
  // The lab's copyin is a call of copyin_new; vm_copyin opens its own frame.
  KFRAME(m, m->cfg.kpt == KPT_PER_PROCESS_USER ? "copyin" : NULL);
  struct proc *p = &m->proc[slot];
  int r;
  if (m->cfg.kpt == KPT_PER_PROCESS_USER)
    r = vm_copyin_new(m, p->kpagetable, p->sz, dst, srcva, len);
  else
    r = vm_copyin(m, p->pagetable, dst, srcva, len);
  *ret = r == SIM_OK ? 0 : -1;
  m->why[0] = '\0';
  if (r == SIM_FAIL)
    copy_why(m, slot, srcva, len, false);
  return r == SIM_PANIC ? r : SIM_OK;
}

int proc_copyinstr(struct machine *m, int slot, char *dst, uint64_t srcva, uint64_t max,
                   int *ret) {
  KFRAME(m, m->cfg.kpt == KPT_PER_PROCESS_USER ? "copyinstr" : NULL);
  struct proc *p = &m->proc[slot];
  int r;
  if (m->cfg.kpt == KPT_PER_PROCESS_USER)
    r = vm_copyinstr_new(m, p->kpagetable, p->sz, dst, srcva, max);
  else
    r = vm_copyinstr(m, p->pagetable, dst, srcva, max);
  *ret = r == SIM_OK ? 0 : -1;
  m->why[0] = '\0';
  if (r == SIM_FAIL)
    copy_why(m, slot, srcva, max, true);
  return r == SIM_PANIC ? r : SIM_OK;
}
