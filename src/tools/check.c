#include "sv39sim/tools/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/cow.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/pgtbl.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/trap.h"
#include "sv39sim/xv6/superpage.h"
#include "sv39sim/sv39.h"

// One pass over one machine: the page map (an enum check_owner per pool page) and the
// report being filled.
struct pass {
  struct machine *m;
  struct check_report *r;
  uint8_t *map;
  uint32_t *maps; // lab cow: the user leaves mapping each pool page (NULL otherwise)
};

static const char *const owner_names[CHECK_NKINDS] = {
    "none", "free", "kernel-pt", "user-pt", "proc-kernel-pt", "trapframe", "kstack",
    "user-page", "held", "device", "demand-page", "usyscall", "superpage",
    "superpage-free"};

static const char *const problem_names[CHECK_NPROBLEM_KINDS] = {
    "leak", "owned-twice", "free-and-owned", "free-twice", "bad-link", "nfree-mismatch",
    "leaf-maps-free", "table-free", "table-outside-pool", "refcount"};

// In words, for problem messages.
static const char *const owner_words[CHECK_NKINDS] = {
    "nobody", "the free list", "a page-table page of the kernel table",
    "a page-table page of a user table", "a page-table page of a process's kernel table",
    "a trapframe", "a kernel stack", "a user page", "held by the user (kalloc)",
    "a page of the virtio disk driver", "a --demand page", "a USYSCALL page",
    "a page of a mapped superpage", "a page of a free superpage"};

const char *check_owner_name(enum check_owner k) {
  return k < CHECK_NKINDS ? owner_names[k] : "?";
}

const char *check_problem_name(enum check_problem_kind k) {
  return k < CHECK_NPROBLEM_KINDS ? problem_names[k] : "?";
}

// Count a problem, and list it while there is room.
static void problem(struct pass *p, enum check_problem_kind kind, uint64_t pa,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(struct pass *p, enum check_problem_kind kind, uint64_t pa,
                    const char *fmt, ...) {
  struct check_report *r = p->r;
  r->nproblems++;
  if (r->nlisted == CHECK_MAX_LISTED)
    return;
  struct check_problem *q = &r->problem[r->nlisted++];
  q->kind = kind;
  q->pa = pa;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(q->what, sizeof(q->what), fmt, ap);
  va_end(ap);
}

// Is pa a page kinit put in the pool?
static bool in_pool(const struct check_report *r, uint64_t pa) {
  return pa % PGSIZE == 0 && pa >= r->pool_base && pa < r->pool_end;
}

// The page map's entry for pool page pa.
static uint8_t *slot_of(struct pass *p, uint64_t pa) {
  return &p->map[(pa - p->r->pool_base) / PGSIZE];
}

// Walk kmem's list from its head, marking each page free. Stops at the end, at a link
// that is no pool page, or at a page met before (the list then loops): at most one step
// per pool page.
static void mark_free(struct pass *p) {
  uint64_t n = 0;
  for (uint64_t pa = p->m->kmem.freelist; pa != 0;) {
    if (!in_pool(p->r, pa)) {
      problem(p, CHECK_BAD_LINK, pa, "free-list link %llu is 0x%016llx, %s",
              (unsigned long long)n, (unsigned long long)pa,
              pa % PGSIZE ? "not page-aligned" : "outside the pool");
      break;
    }
    uint8_t *s = slot_of(p, pa);
    if (*s == CHECK_FREE) {
      problem(p, CHECK_FREE_TWICE, pa,
              "on the free list twice: link %llu points back to it (the list loops)",
              (unsigned long long)n);
      break;
    }
    *s = CHECK_FREE;
    n++;
    uint64_t next = 0;
    ram_load(&p->m->hw.ram, pa, 8, &next);
    pa = next;
  }
  p->r->count[CHECK_FREE] = n;
  if (n != p->m->kmem.nfree)
    problem(p, CHECK_NFREE, 0, "the free list holds %llu pages, kmem counts %llu",
            (unsigned long long)n, (unsigned long long)p->m->kmem.nfree);
}

// Record that who (of kind) owns pa. Returns true when pa is a pool page that was
// neither free nor owned, so that a table there may be entered (once).
static bool claim(struct pass *p, uint64_t pa, enum check_owner kind, bool table,
                  const char *who) {
  if (!in_pool(p->r, pa)) {
    if (table)
      problem(p, CHECK_TABLE_OUTSIDE, pa, "%s points to 0x%016llx, outside the pool", who,
              (unsigned long long)pa);
    return false;
  }
  uint8_t *s = slot_of(p, pa);
  if (*s == CHECK_FREE) {
    problem(p, table ? CHECK_TABLE_FREE : CHECK_FREE_AND_OWNED, pa,
            "%s is on the free list", who);
    return false;
  }
  if (*s == CHECK_USER_PAGE && kind == CHECK_USER_PAGE && p->maps != NULL) {
    p->maps[s - p->map]++; // the cow lab shares it: one more owner
    return false;
  }
  if (*s != CHECK_NONE) {
    problem(p, CHECK_OWNED_TWICE, pa, "%s, and already %s", who, owner_words[*s]);
    return false;
  }
  *s = (uint8_t)kind;
  p->r->count[kind]++;
  if (p->maps != NULL)
    p->maps[s - p->map] = 1;
  return true;
}

// A leaf that owns nothing must still not map a free page.
static void reference(struct pass *p, uint64_t pa, const char *who) {
  if (in_pool(p->r, pa) && *slot_of(p, pa) == CHECK_FREE)
    problem(p, CHECK_LEAF_FREE, pa, "%s maps it, and it is on the free list", who);
}

// Which table a walk is in, and how its leaves are read.
struct table {
  enum check_owner pt_kind; // of its page-table pages
  int slot;                 // the process, -1 for the global kernel table
  uint64_t root;
  const char *name;         // "the kernel table", "pid 3's user table", ...
};

// A level-0 leaf of table t maps va to pa: claim pa, or check it is not free, or
// neither (see check.h for which).
static void leaf(struct pass *p, const struct table *t, uint64_t va, uint64_t pa) {
  const struct machine *m = p->m;
  char who[128];
  if (va == TRAMPOLINE || (t->pt_kind != CHECK_USER_PT && va == pa))
    return; // the trampoline's text page, the direct map, the devices
  if (t->pt_kind == CHECK_USER_PT && va != TRAPFRAME && (va != USYSCALL || !pgtbl_on(m))) {
    snprintf(who, sizeof(who), "user page va 0x%llx of %s", (unsigned long long)va, t->name);
    bool demand = m->ndemand > 0 && trap_is_demand(m, t->root, va);
    claim(p, pa, demand ? CHECK_DEMAND : CHECK_USER_PAGE, false, who);
    return;
  }
  // procinit's stacks are recorded nowhere but in the global table.
  int kslot = t->slot < 0 ? kvm_boot_kstack_slot(m, va) : -1;
  if (kslot >= 0) {
    snprintf(who, sizeof(who), "the kernel stack of slot %d", kslot);
    claim(p, pa, CHECK_KSTACK, false, who);
    return;
  }
  snprintf(who, sizeof(who), "va 0x%llx of %s", (unsigned long long)va, t->name);
  reference(p, pa, who);
}

// A walk of one table for claims.
struct table_walk {
  struct pass *p;
  const struct table *t;
};

// xv6's name for the va that e maps: its low 39 bits (xv6 never sets bit 38, so it never
// sign-extends), which the ownership rules compare with TRAMPOLINE, TRAPFRAME and pa.
static uint64_t xv6_va(const struct pt_entry *e) {
  return e->va & ((1ULL << 39) - 1);
}

// Claim the 512 pages of the superpage at pa for kind (one problem at most per region).
static void claim_region(struct pass *p, uint64_t pa, enum check_owner kind, const char *who) {
  for (uint64_t k = 0; k < SUPERPAGE_NPAGES; k++) {
    if (!claim(p, pa + k * PGSIZE, kind, false, who))
      return;
  }
}

// The superpage list's regions are free superpages.
static void mark_superfree(void *ctx, uint64_t pa) {
  claim_region(ctx, pa, CHECK_SUPERFREE, "a superpage on the superpage list");
}

// Claim what entry e owns. A table page is entered only when this claims it, so a shared
// or cyclic table is entered once. Superpages own nothing (see check.h), and a pointer at
// level 0 is claimed as freewalk would free it, though the walk does not enter it.
static enum pt_step claim_entry(void *ctx, const struct pt_entry *e) {
  struct table_walk *w = ctx;
  uint64_t pa = PTE2PA(e->pte);
  char who[128];
  if (PTE_LEAF(e->pte)) {
    if (e->level == 0)
      leaf(w->p, w->t, xv6_va(e), pa);
    if (superpage_leaf(w->p->m, e->level, e->pte) && w->t->pt_kind == CHECK_USER_PT &&
        pa % SUPERPGSIZE == 0 && superpage_reserved(w->p->m, pa)) {
      snprintf(who, sizeof(who), "the superpage at va 0x%llx of %s",
               (unsigned long long)xv6_va(e), w->t->name);
      claim_region(w->p, pa, CHECK_SUPERPAGE, who);
    }
    return PT_CONTINUE;
  }
  snprintf(who, sizeof(who), "the level-%d table for va 0x%llx of %s", e->level - 1,
           (unsigned long long)xv6_va(e), w->t->name);
  return claim(w->p, pa, w->t->pt_kind, true, who) ? PT_CONTINUE : PT_SKIP;
}

// Claim the table rooted at root and everything it owns.
static void walk_table(struct pass *p, uint64_t root, const struct table *t) {
  char who[128];
  snprintf(who, sizeof(who), "the root of %s", t->name);
  if (claim(p, root, t->pt_kind, true, who))
    pt_walk(&p->m->hw.ram, root, claim_entry, &(struct table_walk){p, t});
}

// Does the slot hold anything? UNUSED slots do only in the middle of allocproc or
// freeproc, which a panic can leave behind.
static bool slot_in_use(const struct proc *pr) {
  return pr->state != UNUSED || pr->pagetable != 0 || pr->trapframe != 0 ||
         pr->usyscall != 0 || pr->kpagetable != 0 || pr->kstack_pa != 0;
}

// Claim what every process slot holds: trapframe, kernel stack, and its tables.
static void claim_procs(struct pass *p) {
  char who[64], name[64], kname[64];
  for (int i = 0; i < NPROC; i++) {
    const struct proc *pr = &p->m->proc[i];
    if (!slot_in_use(pr))
      continue;
    if (pr->trapframe != 0) {
      snprintf(who, sizeof(who), "the trapframe of pid %d", pr->pid);
      claim(p, pr->trapframe, CHECK_TRAPFRAME, false, who);
    }
    if (pr->usyscall != 0) {
      snprintf(who, sizeof(who), "the USYSCALL page of pid %d", pr->pid);
      claim(p, pr->usyscall, CHECK_USYSCALL, false, who);
    }
    if (pr->kstack_pa != 0) {
      snprintf(who, sizeof(who), "the kernel stack of pid %d", pr->pid);
      claim(p, pr->kstack_pa, CHECK_KSTACK, false, who);
    }
    snprintf(name, sizeof(name), "pid %d's user table", pr->pid);
    snprintf(kname, sizeof(kname), "pid %d's kernel table", pr->pid);
    if (pr->pagetable != 0)
      walk_table(p, pr->pagetable, &(struct table){CHECK_USER_PT, i, pr->pagetable, name});
    if (pr->kpagetable != 0)
      walk_table(p, pr->kpagetable, &(struct table){CHECK_PROC_KPT, i, pr->kpagetable, kname});
  }
}

// The pages virtio_disk_init took at boot: the driver's for as long as the kernel runs.
static void claim_devices(struct pass *p) {
  for (unsigned i = 0; i < p->m->ndevice_pages; i++)
    claim(p, p->m->device_pages[i], CHECK_DEVICE, false, "a virtio disk ring");
}

// Pages the user took with `kalloc` count as held when nothing else claimed them.
static void claim_held(struct pass *p) {
  for (size_t i = 0; i < p->m->nheld; i++) {
    uint64_t pa = p->m->held[i];
    // Back on the list, or mapped by a table that now owns it: no longer the user's.
    if (in_pool(p->r, pa) && *slot_of(p, pa) == CHECK_NONE) {
      *slot_of(p, pa) = CHECK_HELD;
      p->r->count[CHECK_HELD]++;
    }
  }
}

// Count the pages nobody claimed; they are leaks when the machine is booted and running.
static void count_unowned(struct pass *p) {
  struct check_report *r = p->r;
  for (uint64_t k = 0; k < r->npool; k++) {
    if (p->map[k] != CHECK_NONE)
      continue;
    r->count[CHECK_NONE]++;
    uint64_t pa = r->pool_base + k * PGSIZE, seq = kmem_alloc_seq(p->m, pa);
    // owner's words, with the log event that allocated the page (its chain says who).
    if (r->leaks_checked && seq != 0)
      problem(p, CHECK_LEAK, pa, "neither free nor owned (leaked); allocated by event %llu",
              (unsigned long long)seq);
    else if (r->leaks_checked)
      problem(p, CHECK_LEAK, pa, "neither free nor owned (leaked)");
  }
}

// lab cow: every pool page's reference count against its owners (kalloc sets 1, fork adds
// one per sharing PTE, kfree drops one), and the shared pages counted.
static void check_refcounts(struct pass *p) {
  struct check_report *r = p->r;
  for (uint64_t k = 0; k < r->npool; k++) {
    uint64_t pa = r->pool_base + k * PGSIZE;
    uint32_t want = p->map[k] == CHECK_FREE ? 0 : p->map[k] == CHECK_USER_PAGE ? p->maps[k] : 1;
    if (p->map[k] == CHECK_USER_PAGE && p->maps[k] > 1) {
      r->shared++;
      r->shared_maps += p->maps[k];
    }
    uint32_t have = cow_refcount(p->m, pa);
    if (p->map[k] == CHECK_NONE || have == want)
      continue;
    // kinit's pages were never counted and free with 0, as with 1.
    if (p->map[k] == CHECK_FREE && have <= 1)
      continue;
    problem(p, CHECK_REFCOUNT, pa, "reference count %u, but %s %u", have,
            p->map[k] == CHECK_USER_PAGE ? "the user leaves mapping it are" : "its owners are",
            want);
  }
}

// The pool kinit builds: PGROUNDUP(end) up to PHYSTOP.
static void pool_bounds(const struct machine *m, struct check_report *r) {
  r->pool_base = PGROUNDUP(m->cfg.end);
  r->pool_end = machine_phystop(m) & ~(PGSIZE - 1);
  if (r->pool_end < r->pool_base)
    r->pool_end = r->pool_base;
  r->npool = (r->pool_end - r->pool_base) / PGSIZE;
}

int check_machine(struct machine *m, struct check_report *r) {
  memset(r, 0, sizeof(*r));
  pool_bounds(m, r);
  struct pass p = {.m = m, .r = r, .map = calloc(r->npool ? r->npool : 1, 1)};
  if (cow_on(m))
    p.maps = calloc(r->npool ? r->npool : 1, sizeof(*p.maps));
  if (p.map == NULL || (cow_on(m) && p.maps == NULL)) {
    free(p.map);
    free(p.maps);
    return -1;
  }
  r->leaks_checked = m->booted && !m->halted;
  mark_free(&p);
  superpage_each_free(m, mark_superfree, &p);
  claim_devices(&p);
  claim_procs(&p);
  if (m->kernel_pagetable != 0)
    walk_table(&p, m->kernel_pagetable,
               &(struct table){CHECK_KERNEL_PT, -1, m->kernel_pagetable, "the kernel table"});
  claim_held(&p);
  count_unowned(&p);
  if (p.maps != NULL && r->leaks_checked)
    check_refcounts(&p);
  free(p.map);
  free(p.maps);
  return 0;
}

int check_hold(struct machine *m, uint64_t pa) {
  if (m->nheld == m->held_cap) {
    size_t cap = m->held_cap ? 2 * m->held_cap : 16;
    uint64_t *h = realloc(m->held, cap * sizeof(*h));
    if (h == NULL)
      return -1;
    m->held = h;
    m->held_cap = cap;
  }
  m->held[m->nheld++] = pa;
  return 0;
}

void check_release(struct machine *m, uint64_t pa) {
  for (size_t i = 0; i < m->nheld; i++) {
    if (m->held[i] == pa) {
      m->held[i] = m->held[--m->nheld];
      return;
    }
  }
}

int check_teardown(struct machine *m) {
  for (int i = 0; i < NPROC; i++) {
    if (slot_in_use(&m->proc[i])) {
      int r = proc_freeproc(m, i);
      if (r != SIM_OK)
        return r;
    }
  }
  m->initproc = -1;
  machine_set_current(m, -1);
  if (m->nheld == 0)
    return SIM_OK;
  struct check_report r;
  memset(&r, 0, sizeof(r));
  pool_bounds(m, &r);
  struct pass p = {.m = m, .r = &r, .map = calloc(r.npool ? r.npool : 1, 1)};
  if (p.map == NULL)
    return SIM_FAIL;
  mark_free(&p);
  for (size_t i = 0; i < m->nheld; i++) {
    uint64_t pa = m->held[i];
    if (in_pool(&r, pa) && *slot_of(&p, pa) == CHECK_NONE) {
      *slot_of(&p, pa) = CHECK_FREE; // a page held twice in the list is freed once
      if (kmem_kfree(m, pa) != SIM_OK) {
        free(p.map);
        return SIM_PANIC;
      }
    }
  }
  m->nheld = 0;
  free(p.map);
  return SIM_OK;
}
