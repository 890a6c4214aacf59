// lint: a reviewer's checks of one page table. The per-PTE rules come from one pt_walk;
// the mappings a user or kernel table must have are looked up with the MMU's own walk
// (mmu_walk_as, which writes nothing).
#include "sv39sim/tools/lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/mmu.h"
#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/machine.h"

static const char *const rule_names[LINT_NRULES] = {
    [LINT_W_WITHOUT_R] = "w-without-r",
    [LINT_RESERVED] = "reserved-bits",
    [LINT_NONLEAF_ADU] = "non-leaf-a-d-u",
    [LINT_POINTER_AT_LEVEL0] = "pointer-at-level-0",
    [LINT_MISALIGNED] = "misaligned-superpage",
    [LINT_SUPERPAGE] = "superpage-leaf",
    [LINT_GUARD_U] = "guard-page-u",
    [LINT_GUARD_MISSING] = "guard-page-missing",
    [LINT_USER_IN_KERNEL] = "user-page-in-kernel-table",
    [LINT_KERNEL_MISSING] = "kernel-table-lacks",
    [LINT_USER_MISSING] = "user-table-lacks",
    [LINT_USER_U] = "u-on-trampoline-or-trapframe",
    [LINT_WRITABLE_TWICE] = "writable-in-two-tables",
};

const char *lint_rule_name(enum lint_rule rule) {
  return (unsigned)rule < LINT_NRULES ? rule_names[rule] : "?";
}

// One lint pass: the machine, the report, and the writable user pages met (pa, va) for the
// writable-in-two-tables rule.
struct lint {
  struct machine *m;
  struct lint_report *r;
  struct wpage {
    uint64_t pa, va, pte;
  } *w;
  size_t nw, wcap;
  bool oom;
};

static void found(struct lint *l, enum lint_rule rule, uint64_t va, int level, uint64_t pte,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void found(struct lint *l, enum lint_rule rule, uint64_t va, int level, uint64_t pte,
                  const char *fmt, ...) {
  struct lint_report *r = l->r;
  r->nfound++;
  if (r->nlisted == LINT_MAX_LISTED)
    return;
  struct lint_finding *f = &r->f[r->nlisted++];
  *f = (struct lint_finding){.rule = rule, .va = va, .level = level, .pte = pte};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->what, sizeof(f->what), fmt, ap);
  va_end(ap);
}

// Remember a writable user page; sets oom when the host has no room.
static void note_writable(struct lint *l, uint64_t pa, uint64_t va, uint64_t pte) {
  if (l->nw == l->wcap) {
    size_t cap = l->wcap ? 2 * l->wcap : 64;
    struct wpage *w = realloc(l->w, cap * sizeof(*w));
    if (w == NULL) {
      l->oom = true;
      return;
    }
    l->w = w;
    l->wcap = cap;
  }
  l->w[l->nw++] = (struct wpage){pa, va, pte};
}

// The per-PTE rules, for every valid PTE of the table.
static enum pt_step visit(void *ctx, const struct pt_entry *e) {
  struct lint *l = ctx;
  uint64_t pte = e->pte, pa = PTE2PA(pte);
  if (pte & PTE_RESERVED)
    found(l, LINT_RESERVED, e->va, e->level, pte, "bits 63..54 are reserved and must be 0");
  if (PTE_TABLE(pte)) {
    if (pte & (PTE_A | PTE_D | PTE_U))
      found(l, LINT_NONLEAF_ADU, e->va, e->level, pte,
            "a pointer to the next level must have A, D and U clear");
    if (e->level == 0)
      found(l, LINT_POINTER_AT_LEVEL0, e->va, 0, pte,
            "a level-0 PTE must be a leaf (R, W or X set)");
    return PT_CONTINUE;
  }
  if ((pte & PTE_W) && !(pte & PTE_R))
    found(l, LINT_W_WITHOUT_R, e->va, e->level, pte, "W without R is a reserved encoding");
  if (e->level > 0) {
    if (PTE_PPN(pte) & (PAGE_OFFSET_MASK(e->level) >> PGSHIFT))
      found(l, LINT_MISALIGNED, e->va, e->level, pte,
            "a superpage's pa 0x%llx is not aligned to its size", (unsigned long long)pa);
    else if (l->r->kind != LINT_USER_TABLE || !superpage_leaf(l->m, e->level, pte))
      found(l, LINT_SUPERPAGE, e->va, e->level, pte, // the superpage lab makes them
            "a %s leaf: xv6's mappages makes level-0 leaves only",
            e->level == 1 ? "2 MiB" : "1 GiB");
  }
  if (l->r->kind == LINT_KERNEL_TABLE && (pte & PTE_U))
    found(l, LINT_USER_IN_KERNEL, e->va, e->level, pte,
          "a U page in a kernel table (the lab's mirror clears U)");
  if (l->r->kind == LINT_USER_TABLE && e->level == 0 && (pte & PTE_W) && e->va < TRAPFRAME)
    note_writable(l, pa, e->va, pte);
  return PT_CONTINUE;
}

// The leaf root maps va with, as the hardware's walk finds it, or 0 when va is unmapped.
static uint64_t leaf_at(struct machine *m, uint64_t root, uint64_t va) {
  struct walk_steps s;
  struct fault f;
  uint64_t pa;
  mmu_walk_as(&m->hw, root, false, true, true, va, ACC_R, &pa, &f, &s);
  if (s.n == 0 || s.step[s.n - 1].not_ram)
    return 0;
  uint64_t pte = s.step[s.n - 1].pte;
  return PTE_LEAF(pte) ? pte : 0;
}

// The flags of pte that matter here, as letters.
static const char *flag_text(uint64_t pte, char buf[8]) {
  static const char names[] = "rwxu";
  for (int i = 0; i < 4; i++)
    buf[i] = (pte & (PTE_R << i)) ? names[i] : '-';
  buf[4] = '\0';
  return buf;
}

// root must map va to pa with exactly the R/W/X/U bits perm; what names the mapping.
static void want_mapping(struct lint *l, enum lint_rule rule, uint64_t va, uint64_t pa,
                         uint64_t perm, const char *what) {
  uint64_t pte = leaf_at(l->m, l->r->root, va);
  uint64_t mask = PTE_R | PTE_W | PTE_X | PTE_U;
  char have[8], want[8];
  if (pte == 0)
    found(l, rule, va, -1, 0, "%s is not mapped", what);
  else if (PTE2PA(pte) != pa || (pte & mask) != perm)
    found(l, rule, va, -1, pte, "%s maps pa 0x%llx %s, want pa 0x%llx %s", what,
          (unsigned long long)PTE2PA(pte), flag_text(pte, have), (unsigned long long)pa,
          flag_text(perm, want));
}

// A user table: TRAMPOLINE and TRAPFRAME without U, exec's guard page without U.
static void user_rules(struct lint *l) {
  struct machine *m = l->m;
  const struct proc *p = &m->proc[l->r->slot];
  uint64_t tramp = leaf_at(m, l->r->root, TRAMPOLINE), tf = leaf_at(m, l->r->root, TRAPFRAME);
  if ((tramp & PTE_U) || (tf & PTE_U))
    found(l, LINT_USER_U, (tramp & PTE_U) ? TRAMPOLINE : TRAPFRAME, 0,
          (tramp & PTE_U) ? tramp : tf, "%s has U: user code could reach the kernel's page",
          (tramp & PTE_U) ? "TRAMPOLINE" : "TRAPFRAME");
  else {
    want_mapping(l, LINT_USER_MISSING, TRAMPOLINE, m->cfg.trampoline, PTE_R | PTE_X,
                 "TRAMPOLINE (the trampoline page, R|X)");
    want_mapping(l, LINT_USER_MISSING, TRAPFRAME, p->trapframe, PTE_R | PTE_W,
                 "TRAPFRAME (the process's trapframe, R|W)");
  }
  if (!p->has_guard)
    return;
  uint64_t guard = leaf_at(m, l->r->root, p->guard_va);
  if (guard == 0)
    found(l, LINT_GUARD_MISSING, p->guard_va, -1, 0,
          "exec's stack guard page is not mapped, as the MMU walks the table (a stack "
          "overflow would go unnoticed)");
  else if (guard & PTE_U)
    found(l, LINT_GUARD_U, p->guard_va, 0, guard,
          "exec's stack guard page has U set (uvmclear was not called on it)");
}

// A kernel table: no U leaves (visit), and the kernel's own mappings: the text and data
// (their first and last pages), the trampoline, and the kernel stacks it should map.
static void kernel_rules(struct lint *l) {
  struct machine *m = l->m;
  const struct config *c = &m->cfg;
  uint64_t phystop = machine_phystop(m);
  want_mapping(l, LINT_KERNEL_MISSING, KERNBASE, KERNBASE, PTE_R | PTE_X,
               "kernel text's first page");
  want_mapping(l, LINT_KERNEL_MISSING, c->etext - PGSIZE, c->etext - PGSIZE, PTE_R | PTE_X,
               "kernel text's last page");
  want_mapping(l, LINT_KERNEL_MISSING, c->etext, c->etext, PTE_R | PTE_W,
               "kernel data's first page (etext)");
  want_mapping(l, LINT_KERNEL_MISSING, phystop - PGSIZE, phystop - PGSIZE, PTE_R | PTE_W,
               "RAM's last page");
  want_mapping(l, LINT_KERNEL_MISSING, TRAMPOLINE, c->trampoline, PTE_R | PTE_X,
               "TRAMPOLINE");
  char what[64];
  if (l->r->slot >= 0) {
    const struct proc *p = &m->proc[l->r->slot];
    uint64_t pte = leaf_at(m, l->r->root, p->kstack);
    snprintf(what, sizeof(what), "pid %d's kernel stack", p->pid);
    if ((pte & (PTE_R | PTE_W)) != (PTE_R | PTE_W))
      found(l, LINT_KERNEL_MISSING, p->kstack, -1, pte, "%s is not mapped R|W", what);
    return;
  }
  for (int i = 0; i < NPROC && m->cfg.kpt == KPT_GLOBAL; i++) {
    uint64_t va = edition_lab_kstack(c->edition, m->cfg.lab, i);
    uint64_t pte = leaf_at(m, l->r->root, va);
    if ((pte & (PTE_R | PTE_W)) != (PTE_R | PTE_W))
      found(l, LINT_KERNEL_MISSING, va, -1, pte, "slot %d's kernel stack is not mapped R|W",
            i);
  }
}

static int by_pa(const void *a, const void *b) {
  uint64_t x = ((const struct wpage *)a)->pa, y = ((const struct wpage *)b)->pa;
  return x < y ? -1 : x > y;
}

struct other {
  struct lint *l;
  int pid;
};

// Another process's user table: its writable user leaves against this table's.
static enum pt_step visit_other(void *ctx, const struct pt_entry *e) {
  struct other *o = ctx;
  struct lint *l = o->l;
  if (e->level != 0 || !PTE_LEAF(e->pte) || !(e->pte & PTE_W) || e->va >= TRAPFRAME)
    return PT_CONTINUE;
  struct wpage key = {.pa = PTE2PA(e->pte)};
  const struct wpage *w = bsearch(&key, l->w, l->nw, sizeof(*l->w), by_pa);
  if (w != NULL)
    found(l, LINT_WRITABLE_TWICE, w->va, 0, w->pte,
          "pa 0x%llx is writable here and at va 0x%llx of pid %d's user table",
          (unsigned long long)key.pa, (unsigned long long)e->va, o->pid);
  return PT_CONTINUE;
}

// The writable user pages of this user table against every other process's user table.
static void writable_twice(struct lint *l) {
  if (l->nw == 0)
    return;
  qsort(l->w, l->nw, sizeof(*l->w), by_pa);
  for (int i = 0; i < NPROC; i++) {
    const struct proc *p = &l->m->proc[i];
    if (i == l->r->slot || p->state == UNUSED || p->pagetable == 0 ||
        p->pagetable == l->r->root)
      continue;
    struct other o = {.l = l, .pid = p->pid};
    pt_walk(&l->m->hw.ram, p->pagetable, visit_other, &o);
  }
}

int lint_table(struct machine *m, uint64_t root, enum lint_kind kind, int slot,
               struct lint_report *r) {
  *r = (struct lint_report){.root = root, .kind = kind, .slot = slot};
  struct lint l = {.m = m, .r = r};
  pt_walk(&m->hw.ram, root, visit, &l);
  if (!l.oom && kind == LINT_USER_TABLE && slot >= 0) {
    user_rules(&l);
    writable_twice(&l);
  }
  if (kind == LINT_KERNEL_TABLE)
    kernel_rules(&l);
  free(l.w);
  return l.oom ? -1 : 0;
}
