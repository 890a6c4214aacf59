#include "sv39sim/tools/owner.h"

#include <stdio.h>
#include <string.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/pgtbl.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/superpage.h"
#include "sv39sim/sv39.h"

const char *owner_kind_name(const struct owner_report *r) {
  switch (r->kind) {
  case OWNER_POOL: return check_owner_name(r->pool_kind);
  case OWNER_KERNEL_TEXT: return "kernel-text";
  case OWNER_KERNEL_DATA: return "kernel-data";
  case OWNER_MMIO: return "mmio";
  case OWNER_OUTSIDE: break;
  }
  return "outside-ram";
}

// The walk of one table for the page: its name and kind as check names them.
struct search {
  struct owner_report *r;
  const struct machine *m;
  const char *name;
  enum check_owner pt_kind;
  int slot; // -1: the kernel table
};

// xv6's va for e (check's xv6_va): the low 39 bits.
static uint64_t xv6_va(const struct pt_entry *e) {
  return e->va & ((1ULL << 39) - 1);
}

// One entry of a table: a pointer to the page makes it that table's page; a leaf that
// maps it (other than the kernel's direct map and the trampoline) is one of its mappers.
static enum pt_step visit(void *ctx, const struct pt_entry *e) {
  struct search *s = ctx;
  struct owner_report *r = s->r;
  uint64_t va = xv6_va(e);
  // A page inside a superpage a user table maps (the pgtbl lab, 2024 on).
  if (s->pt_kind == CHECK_USER_PT && PTE_LEAF(e->pte) && e->level == 1 &&
      r->pa > PTE2PA(e->pte) && r->pa - PTE2PA(e->pte) < SUPERPGSIZE)
    va += r->pa - PTE2PA(e->pte);
  else if (PTE2PA(e->pte) != r->pa)
    return PT_CONTINUE;
  if (!PTE_LEAF(e->pte)) {
    if (r->level < 0) {
      r->pool_kind = s->pt_kind;
      r->level = e->level - 1;
      r->va_lo = va;
      r->va_hi = va + (1ULL << (12 + 9 * e->level)) - 1;
      snprintf(r->what, sizeof(r->what), "the level-%d table for va 0x%llx of %s",
               e->level - 1, (unsigned long long)va, s->name);
    }
    return PT_CONTINUE;
  }
  if (s->pt_kind != CHECK_USER_PT && (va == r->pa || va == TRAMPOLINE))
    return PT_CONTINUE;
  if (r->nmappers < OWNER_MAX_ROLES) {
    struct owner_mapper *mp = &r->mapper[r->nmappers++];
    snprintf(mp->table, sizeof(mp->table), "%s", s->name);
    mp->pid = s->slot >= 0 ? s->m->proc[s->slot].pid : 0;
    mp->va = va;
    mp->pte = e->pte;
  }
  if (r->pool_kind != CHECK_NONE)
    return PT_CONTINUE;
  if (s->pt_kind == CHECK_USER_PT && PTE_LEAF(e->pte) && e->level == 1) {
    r->pool_kind = CHECK_SUPERPAGE;
    snprintf(r->what, sizeof(r->what), "page va 0x%llx of the superpage at va 0x%llx of %s",
             (unsigned long long)va, (unsigned long long)xv6_va(e), s->name);
  } else if (s->pt_kind == CHECK_USER_PT && va == USYSCALL && pgtbl_on(s->m)) {
    r->pool_kind = CHECK_USYSCALL;
    snprintf(r->what, sizeof(r->what), "the USYSCALL page of %s", s->name);
  } else if (s->pt_kind == CHECK_USER_PT && va != TRAPFRAME) {
    r->pool_kind = CHECK_USER_PAGE;
    snprintf(r->what, sizeof(r->what), "user page va 0x%llx of %s", (unsigned long long)va,
             s->name);
  } else if (s->slot < 0 && kvm_boot_kstack_slot(s->m, va) >= 0) {
    r->pool_kind = CHECK_KSTACK;
    snprintf(r->what, sizeof(r->what), "the kernel stack of slot %d",
             kvm_boot_kstack_slot(s->m, va));
  }
  return PT_CONTINUE;
}

// Search the table at root (name, kind) for the page.
static void search_table(struct machine *m, struct owner_report *r, uint64_t root,
                         const char *name, enum check_owner kind, int slot) {
  if (root == 0)
    return;
  if (root == r->pa && r->level < 0) {
    r->pool_kind = kind;
    r->level = 2;
    r->va_lo = 0;
    r->va_hi = MAXVA - 1;
    snprintf(r->what, sizeof(r->what), "the root of %s", name);
  }
  struct search s = {r, m, name, kind, slot};
  pt_walk(&m->hw.ram, root, visit, &s);
}

// A page that holds no table of anyone and no user data: a process's trapframe or own
// kernel stack, a virtio ring, a page held by hand.
static void plain_owner(struct machine *m, struct owner_report *r) {
  for (int i = 0; i < NPROC && r->pool_kind == CHECK_NONE; i++) {
    const struct proc *p = &m->proc[i];
    if (p->trapframe == r->pa && p->trapframe != 0) {
      r->pool_kind = CHECK_TRAPFRAME;
      snprintf(r->what, sizeof(r->what), "the trapframe of pid %d", p->pid);
    } else if (p->kstack_pa == r->pa && p->kstack_pa != 0) {
      r->pool_kind = CHECK_KSTACK;
      snprintf(r->what, sizeof(r->what), "the kernel stack of pid %d", p->pid);
    }
  }
  for (unsigned i = 0; i < m->ndevice_pages && r->pool_kind == CHECK_NONE; i++) {
    if (m->device_pages[i] == r->pa) {
      r->pool_kind = CHECK_DEVICE;
      snprintf(r->what, sizeof(r->what), "a virtio disk ring");
    }
  }
  for (size_t i = 0; i < m->nheld && r->pool_kind == CHECK_NONE; i++) {
    if (m->held[i] == r->pa) {
      r->pool_kind = CHECK_HELD;
      snprintf(r->what, sizeof(r->what), "held by the user (kalloc)");
    }
  }
}

// Its position on the free list, walked from the head for at most the pool's pages.
static bool free_position(struct machine *m, uint64_t pa, uint64_t npool, uint64_t *pos) {
  uint64_t p = m->kmem.freelist;
  for (uint64_t n = 0; p != 0 && n <= npool; n++) {
    if (p == pa) {
      *pos = n;
      return true;
    }
    uint64_t next = 0;
    if (p % PGSIZE != 0 || ram_load(&m->hw.ram, p, 8, &next) != 0)
      return false;
    p = next;
  }
  return false;
}

// Outside the pool: the kernel image below it, devices and nothing above RAM.
static void outside_pool(const struct machine *m, struct owner_report *r, uint64_t base) {
  static const struct {
    const char *name;
    uint64_t lo, size;
  } mmio[] = {{"UART0", UART0, PGSIZE}, {"VIRTIO0", VIRTIO0, PGSIZE},
              {"CLINT", CLINT, CLINT_SIZE}, {"PLIC", PLIC, 0x4000000}};
  uint64_t pa = r->pa;
  if (pa >= m->hw.ram.base && pa < base) {
    bool text = pa < m->cfg.etext;
    r->kind = text ? OWNER_KERNEL_TEXT : OWNER_KERNEL_DATA;
    snprintf(r->what, sizeof(r->what), "%s",
             pa == m->cfg.trampoline ? "the trampoline page (kernel text)"
             : text ? "the kernel's text" : "the kernel's data and bss (below end)");
    return;
  }
  for (size_t i = 0; i < sizeof(mmio) / sizeof(mmio[0]); i++) {
    if (pa >= mmio[i].lo && pa < mmio[i].lo + mmio[i].size) {
      r->kind = OWNER_MMIO;
      snprintf(r->what, sizeof(r->what), "the device registers of %s", mmio[i].name);
      return;
    }
  }
  r->kind = OWNER_OUTSIDE;
  snprintf(r->what, sizeof(r->what), "no page of RAM and no device xv6 maps");
}

void owner_of(struct machine *m, uint64_t pa, struct owner_report *r) {
  memset(r, 0, sizeof(*r));
  r->pa = PGROUNDDOWN(pa);
  r->level = -1;
  r->pool_kind = CHECK_NONE;
  uint64_t base = PGROUNDUP(m->cfg.end), top = machine_phystop(m) & ~(PGSIZE - 1);
  r->seq = kmem_alloc_seq(m, r->pa);
  if (r->pa < base || r->pa >= top) {
    outside_pool(m, r, base);
    return;
  }
  r->kind = OWNER_POOL;
  if (free_position(m, r->pa, (top - base) / PGSIZE, &r->free_pos)) {
    r->pool_kind = CHECK_FREE;
    snprintf(r->what, sizeof(r->what), "on the free list at position %llu (0 is the head)",
             (unsigned long long)r->free_pos);
    return;
  }
  char name[64], kname[64];
  for (int i = 0; i < NPROC; i++) {
    const struct proc *p = &m->proc[i];
    if (p->pagetable == 0 && p->kpagetable == 0)
      continue;
    snprintf(name, sizeof(name), "pid %d's user table", p->pid);
    snprintf(kname, sizeof(kname), "pid %d's kernel table", p->pid);
    search_table(m, r, p->pagetable, name, CHECK_USER_PT, i);
    search_table(m, r, p->kpagetable, kname, CHECK_PROC_KPT, i);
  }
  search_table(m, r, m->kernel_pagetable, "the kernel table", CHECK_KERNEL_PT, -1);
  if (r->pool_kind == CHECK_NONE || r->pool_kind == CHECK_USER_PAGE)
    plain_owner(m, r); // a trapframe is mapped at TRAPFRAME, which names no user page
  if (r->pool_kind == CHECK_NONE && superpage_reserved(m, r->pa)) {
    r->pool_kind = CHECK_SUPERFREE;
    snprintf(r->what, sizeof(r->what), "a page of a superpage on the superpage list");
  }
  if (r->pool_kind == CHECK_NONE)
    snprintf(r->what, sizeof(r->what), "neither free nor owned (leaked)");
}
