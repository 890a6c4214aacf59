#include "sv39sim/xv6/kalloc.h"

#include "sv39sim/xv6/cow.h"
#include "sv39sim/xv6/kchain.h"

#include "sv39sim/xv6/machine.h"
#include "sv39sim/sv39.h"

// kfree's checks: page-aligned, at or above end, below PHYSTOP.
static bool kfree_ok(const struct machine *m, uint64_t pa) {
  return pa % PGSIZE == 0 && pa >= m->cfg.end && pa < machine_phystop(m);
}

void kmem_freerange(struct machine *m, uint64_t pa_start, uint64_t pa_end) {
  KFRAME(m, "freerange");
  for (uint64_t p = PGROUNDUP(pa_start); p + PGSIZE <= pa_end; p += PGSIZE)
    kmem_kfree(m, p);
}

// The event of the log: numbered, remembered as the page's allocation, and shown by the
// machine's hook (the session's log) when it has one.
static void log_any(struct machine *m, bool kfree, uint64_t pa, unsigned refs_left,
                    bool super) {
  if (!m->kmem.logging)
    return;
  struct kmem_event e = {++m->kmem.seq, kfree, pa, &m->chain, refs_left, super};
  uint64_t npages = super ? 512 : 1; // a superpage's pages all come from its event
  for (uint64_t i = 0; !kfree && pa != 0 && m->alloc_seq != NULL && i < npages; i++) {
    if (ram_contains(&m->hw.ram, pa + i * PGSIZE, PGSIZE))
      m->alloc_seq[(pa + i * PGSIZE - m->hw.ram.base) / PGSIZE] = e.seq;
  }
  if (!kfree && pa == 0) { // for the reason of the -1 that follows
    m->nomem_seq = e.seq;
    m->nomem_super = super;
    m->nomem_chain = m->chain;
  }
  if (m->log_fn != NULL)
    m->log_fn(m->log_ctx, &e);
}

static void log_event_kept(struct machine *m, bool kfree, uint64_t pa, unsigned refs_left) {
  log_any(m, kfree, pa, refs_left, false);
}

static void log_event(struct machine *m, bool kfree, uint64_t pa) {
  log_any(m, kfree, pa, 0, false);
}

void kmem_log_super(struct machine *m, bool kfree, uint64_t pa) {
  log_any(m, kfree, pa, 0, true);
}

uint64_t kmem_alloc_seq(const struct machine *m, uint64_t pa) {
  if (m->alloc_seq == NULL || !ram_contains(&m->hw.ram, pa, 1))
    return 0;
  return m->alloc_seq[(pa - m->hw.ram.base) / PGSIZE];
}

// kinit's freerange.
static void kinit_free(struct machine *m) {
  uint64_t lo = PGROUNDUP(m->cfg.end);
  uint64_t top = superpage_kinit(m); // PHYSTOP, but for the superpage lab's regions
  if (lo < m->hw.ram.base || lo + PGSIZE > top) {
    kmem_freerange(m, lo, top);
    return;
  }
  // The first kfree links to whatever the list held; every later page links to the one
  // below it, which RAM can set for the whole run at once. Every page passes kfree's
  // checks: aligned, at or above end, below PHYSTOP.
  kmem_kfree(m, lo);
  uint64_t rest = (top - lo) / PGSIZE - 1;
  if (rest == 0 || ram_fill_chain(&m->hw.ram, lo + PGSIZE, rest, 0x01, lo) != 0) {
    kmem_freerange(m, lo + PGSIZE, top);
    return;
  }
  m->kmem.freelist = lo + rest * PGSIZE;
  m->kmem.nfree += rest;
  m->kmem.nkfree += rest;
}

void kmem_kinit(struct machine *m) {
  KFRAME(m, "kinit");
  kinit_free(m);
  m->kmem.logging = true; // kinit's frees are no events; everything after it is
}

int kmem_kfree(struct machine *m, uint64_t pa) {
  KFRAME(m, "kfree");
  if (!kfree_ok(m, pa))
    return machine_panic(m, "kfree", "pa 0x%016llx is %s", (unsigned long long)pa,
                         pa % PGSIZE ? "not page-aligned"
                                     : pa < m->cfg.end ? "below the kernel's end"
                                                       : "at or above PHYSTOP");
  unsigned left;
  if (cow_kfree_keep(m, pa, &left)) {
    log_event_kept(m, true, pa, left); // the cow lab: a kfree call, other PTEs still map it
    return SIM_OK;
  }
  ram_fill_page(&m->hw.ram, pa, 0x01);
  ram_store(&m->hw.ram, pa, 8, m->kmem.freelist);
  m->kmem.freelist = pa;
  m->kmem.nfree++;
  m->kmem.nkfree++;
  log_event(m, true, pa);
  return SIM_OK;
}

uint64_t kmem_kalloc(struct machine *m) {
  KFRAME(m, "kalloc");
  if (m->halted)
    return 0;
  if (m->kmem.failat > 0 && --m->kmem.failat == 0) {
    log_event(m, false, 0);
    return 0;
  }
  // After failat, so that a trace's own failat counts the same calls under injection.
  if (++m->kalloc_calls == m->kalloc_fail_call) {
    log_event(m, false, 0);
    return 0;
  }
  uint64_t r = m->kmem.freelist;
  if (r == 0) {
    log_event(m, false, 0);
    return 0;
  }
  uint64_t next;
  if (!kfree_ok(m, r) || ram_load(&m->hw.ram, r, 8, &next) != 0) {
    // xv6 would memset the bogus page and take a store page fault in the kernel.
    machine_panic(m, "kerneltrap",
                  "kalloc: the free list's head 0x%016llx is not a free page "
                  "(the list was overwritten)",
                  (unsigned long long)r);
    return 0;
  }
  m->kmem.freelist = next;
  ram_fill_page(&m->hw.ram, r, 0x05);
  if (m->kmem.nfree > 0)
    m->kmem.nfree--;
  m->kmem.nkalloc++;
  cow_kalloc_hook(m, r);
  log_event(m, false, r);
  return r;
}
