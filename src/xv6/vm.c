#include "sv39sim/xv6/vm.h"

#include <string.h>

#include "sv39sim/xv6/cow.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/lazy.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/superpage.h"
#include "sv39sim/sv39.h"

uint64_t vm_pte_read(struct machine *m, uint64_t pte_pa) {
  uint64_t pte = 0;
  ram_load(&m->hw.ram, pte_pa, 8, &pte);
  return pte;
}

void vm_pte_write(struct machine *m, uint64_t pte_pa, uint64_t pte) {
  ram_store(&m->hw.ram, pte_pa, 8, pte);
}

// xv6 reaches every physical page through the kernel's direct map, which covers RAM only;
// a table pointer anywhere else would make the kernel fault.
static int check_table(struct machine *m, uint64_t table, const char *who) {
  if (table % PGSIZE == 0 && ram_contains(&m->hw.ram, table, PGSIZE))
    return SIM_OK;
  return machine_panic(m, "kerneltrap", "%s: page-table page 0x%016llx is not in RAM", who,
                       (unsigned long long)table);
}

int vm_walk(struct machine *m, uint64_t pagetable, uint64_t va, int alloc,
            uint64_t *pte_pa) {
  KFRAME(m, "walk");
  if (va >= MAXVA)
    return machine_panic(m, "walk", "va 0x%016llx is at or above MAXVA",
                         (unsigned long long)va);
  if (check_table(m, pagetable, "walk") != SIM_OK)
    return SIM_PANIC;
  for (int level = 2; level > 0; level--) {
    uint64_t slot = pagetable + 8 * PX(level, va);
    uint64_t pte = vm_pte_read(m, slot);
    if (superpage_leaf(m, level, pte)) {
      *pte_pa = slot; // the lab's walk returns a superpage's level-1 PTE
      return SIM_OK;
    }
    if (pte & PTE_V) {
      pagetable = PTE2PA(pte);
      if (check_table(m, pagetable, "walk") != SIM_OK)
        return SIM_PANIC;
    } else {
      if (!alloc)
        return SIM_FAIL;
      pagetable = kmem_kalloc(m);
      if (pagetable == 0)
        return m->halted ? SIM_PANIC : SIM_FAIL;
      ram_fill_page(&m->hw.ram, pagetable, 0);
      vm_pte_write(m, slot, PA2PTE(pagetable) | PTE_V);
    }
  }
  *pte_pa = pagetable + 8 * PX(0, va);
  return SIM_OK;
}

int vm_walkaddr(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t *pa) {
  KFRAME(m, "walkaddr");
  if (va >= MAXVA)
    return SIM_FAIL;
  uint64_t pte_pa;
  int r = vm_walk(m, pagetable, va, 0, &pte_pa);
  if (r != SIM_OK)
    return r;
  uint64_t pte = vm_pte_read(m, pte_pa);
  if ((pte & PTE_V) == 0 || (pte & PTE_U) == 0)
    return SIM_FAIL;
  *pa = PTE2PA(pte) + superpage_offset(m, pagetable, va);
  return SIM_OK;
}

// mappages' loop body for n consecutive pages from va whose PTEs are the n slots from
// pte_pa of one level-0 table: check each slot, write each PTE, in xv6's order. Panics
// "remap" at the first mapped slot, with the slots before it written, as xv6 leaves them.
static int map_run(struct machine *m, uint64_t root, uint64_t pte_pa, uint64_t va,
                   uint64_t n, uint64_t pa, uint64_t perm) {
  uint64_t pte[512];
  ram_read_words(&m->hw.ram, pte_pa, pte, n);
  uint64_t k;
  for (k = 0; k < n && (pte[k] & PTE_V) == 0; k++)
    ;
  uint64_t old = k < n ? pte[k] : 0;
  for (uint64_t i = 0; i < k; i++)
    pte[i] = PA2PTE(pa + i * PGSIZE) | perm | PTE_V;
  ram_write_words(&m->hw.ram, pte_pa, pte, k);
  if (k < n && !m->halted) { // what it collided with, for the panic's reader
    m->collided = true;
    m->collision_root = root;
    m->collision_va = va + k * PGSIZE;
    m->collision_pte = old;
  }
  if (k < n)
    return machine_panic(m, m->cfg.edition->names.remap, "va 0x%016llx is already mapped (pte 0x%016llx)",
                         (unsigned long long)(va + k * PGSIZE), (unsigned long long)old);
  return SIM_OK;
}

int vm_mappages(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t size,
                uint64_t pa, uint64_t perm) {
  KFRAME(m, "mappages");
  uint64_t a = PGROUNDDOWN(va);
  uint64_t last = PGROUNDDOWN(va + size - 1);
  for (;;) {
    uint64_t pte_pa;
    int r = vm_walk(m, pagetable, a, 1, &pte_pa);
    if (r != SIM_OK)
      return r;
    // xv6 walks again for every page, but until the run leaves this level-0 table each
    // walk finds the same slots valid and so the same table: the run writes only slots it
    // read as invalid, and stops with "remap" at the first valid one, so it never writes
    // a slot a walk reads, not even in a hand-made table that points at itself.
    uint64_t n = 512 - PX(0, a);
    if ((last - a) / PGSIZE < n)
      n = (last - a) / PGSIZE + 1;
    r = map_run(m, pagetable, pte_pa, a, n, pa, perm);
    if (r != SIM_OK)
      return r;
    if (a + (n - 1) * PGSIZE == last)
      break;
    a += n * PGSIZE;
    pa += n * PGSIZE;
  }
  return SIM_OK;
}

int vm_uvmunmap(struct machine *m, uint64_t pagetable, uint64_t va, uint64_t npages,
                int do_free) {
  KFRAME(m, "uvmunmap");
  if (va % PGSIZE != 0)
    return machine_panic(m, "uvmunmap: not aligned", "va 0x%016llx",
                         (unsigned long long)va);
  for (uint64_t a = va; a < va + npages * PGSIZE; a += PGSIZE) {
    bool big;
    uint64_t next;
    int r = superpage_unmap(m, pagetable, a, va + npages * PGSIZE, do_free, &big, &next);
    if (r != SIM_OK)
      return r;
    if (big) {
      a = next - PGSIZE;
      continue;
    }
    uint64_t pte_pa;
    r = vm_walk(m, pagetable, a, 0, &pte_pa);
    if (r == SIM_FAIL && lazy_skips_unmapped(m))
      continue; // a lazy page never made
    if (r == SIM_FAIL)
      return machine_panic(m, "uvmunmap: walk", "no page-table page for va 0x%016llx",
                           (unsigned long long)a);
    if (r != SIM_OK)
      return r;
    uint64_t pte = vm_pte_read(m, pte_pa);
    if ((pte & PTE_V) == 0 && lazy_skips_unmapped(m))
      continue;
    if ((pte & PTE_V) == 0)
      return machine_panic(m, "uvmunmap: not mapped", "va 0x%016llx",
                           (unsigned long long)a);
    if (PTE_FLAGS(pte) == PTE_V)
      return machine_panic(m, "uvmunmap: not a leaf", "va 0x%016llx",
                           (unsigned long long)a);
    if (do_free && kmem_kfree(m, PTE2PA(pte)) != SIM_OK)
      return SIM_PANIC;
    vm_pte_write(m, pte_pa, 0);
  }
  return SIM_OK;
}

int vm_uvmcreate(struct machine *m, uint64_t *pagetable) {
  KFRAME(m, "uvmcreate");
  *pagetable = kmem_kalloc(m);
  if (*pagetable == 0)
    return m->halted ? SIM_PANIC : SIM_FAIL;
  ram_fill_page(&m->hw.ram, *pagetable, 0);
  return SIM_OK;
}

int vm_uvminit(struct machine *m, uint64_t pagetable, const uint8_t *src, uint64_t sz) {
  KFRAME(m, m->cfg.edition->names.uvminit);
  if (sz >= PGSIZE)
    return machine_panic(m, "inituvm: more than a page", "%llu bytes",
                         (unsigned long long)sz);
  uint64_t mem = kmem_kalloc(m);
  if (mem == 0) {
    // xv6 does not check: its memset of address 0 faults in the kernel.
    if (m->halted)
      return SIM_PANIC;
    return machine_panic(m, "kerneltrap", "%s: kalloc returned 0 and xv6 writes to it",
                         m->cfg.edition->names.uvminit);
  }
  ram_fill_page(&m->hw.ram, mem, 0);
  int r = vm_mappages(m, pagetable, 0, PGSIZE, mem, PTE_W | PTE_R | PTE_X | PTE_U);
  if (r != SIM_OK)
    return r; // SIM_FAIL: mappages failed, which xv6 ignores; the caller shows what follows
  ram_write(&m->hw.ram, mem, src, sz);
  return SIM_OK;
}

int vm_uvmdealloc(struct machine *m, uint64_t pagetable, uint64_t oldsz, uint64_t newsz,
                  uint64_t *newsz_out) {
  KFRAME(m, "uvmdealloc");
  *newsz_out = oldsz;
  if (newsz >= oldsz)
    return SIM_OK;
  if (PGROUNDUP(newsz) < PGROUNDUP(oldsz)) {
    uint64_t npages = (PGROUNDUP(oldsz) - PGROUNDUP(newsz)) / PGSIZE;
    int r = vm_uvmunmap(m, pagetable, PGROUNDUP(newsz), npages, 1);
    if (r != SIM_OK)
      return r;
  }
  *newsz_out = newsz;
  return SIM_OK;
}

int vm_uvmalloc(struct machine *m, uint64_t pagetable, uint64_t oldsz, uint64_t newsz,
                uint64_t perm, uint64_t *newsz_out) {
  KFRAME(m, "uvmalloc");
  uint64_t ignored;
  *newsz_out = oldsz;
  if (newsz < oldsz)
    return SIM_OK;
  oldsz = PGROUNDUP(oldsz);
  for (uint64_t a = oldsz; a < newsz; a += PGSIZE) {
    bool big;
    int r = superpage_grow(m, pagetable, a, newsz, perm, &big);
    if (r == SIM_FAIL)
      r = vm_uvmdealloc(m, pagetable, a, oldsz, &ignored) == SIM_OK ? SIM_FAIL : SIM_PANIC;
    if (r != SIM_OK)
      return r;
    if (big) {
      a += SUPERPGSIZE - PGSIZE;
      continue;
    }
    uint64_t mem = kmem_kalloc(m);
    if (mem == 0) {
      if (m->halted)
        return SIM_PANIC;
      r = vm_uvmdealloc(m, pagetable, a, oldsz, &ignored);
      return r == SIM_OK ? SIM_FAIL : r;
    }
    ram_fill_page(&m->hw.ram, mem, 0);
    r = vm_mappages(m, pagetable, a, PGSIZE, mem, perm);
    if (r == SIM_PANIC)
      return r;
    if (r != SIM_OK) {
      if (kmem_kfree(m, mem) != SIM_OK)
        return SIM_PANIC;
      r = vm_uvmdealloc(m, pagetable, a, oldsz, &ignored);
      return r == SIM_OK ? SIM_FAIL : r;
    }
  }
  *newsz_out = newsz;
  return SIM_OK;
}

// xv6's freewalk and its lab twin recurse on every pointer they meet, however deep; a
// table that points back into itself (only a hand-made one can) makes them recurse until
// the one-page kernel stack overflows into its guard page. A depth this large is that.
#define RECURSION_LIMIT 64

static int too_deep(struct machine *m, const char *who, int depth) {
  if (depth < RECURSION_LIMIT)
    return SIM_OK;
  return machine_panic(m, "kerneltrap",
                       "%s: %d levels of page-table pointers (a table points back into "
                       "itself): xv6 overflows its kernel stack",
                       who, depth);
}

// freewalk at depth levels below the root: children before parents, in index order.
static int freewalk(struct machine *m, uint64_t pagetable, int depth) {
  KFRAME(m, "freewalk"); // one frame per level: freewalk recurses
  if (check_table(m, pagetable, "freewalk") != SIM_OK ||
      too_deep(m, "freewalk", depth) != SIM_OK)
    return SIM_PANIC;
  for (int i = 0; i < 512; i++) {
    uint64_t slot = pagetable + 8 * (uint64_t)i;
    uint64_t pte = vm_pte_read(m, slot);
    if ((pte & PTE_V) && (pte & (PTE_R | PTE_W | PTE_X)) == 0) {
      int r = freewalk(m, PTE2PA(pte), depth + 1);
      if (r != SIM_OK)
        return r;
      vm_pte_write(m, slot, 0);
    } else if (pte & PTE_V) {
      return machine_panic(m, "freewalk: leaf", "table 0x%016llx index %d: pte 0x%016llx",
                           (unsigned long long)pagetable, i, (unsigned long long)pte);
    }
  }
  return kmem_kfree(m, pagetable);
}

int vm_freewalk(struct machine *m, uint64_t pagetable) {
  return freewalk(m, pagetable, 0);
}

int vm_uvmfree(struct machine *m, uint64_t pagetable, uint64_t sz) {
  KFRAME(m, "uvmfree");
  if (sz > 0) {
    int r = vm_uvmunmap(m, pagetable, 0, PGROUNDUP(sz) / PGSIZE, 1);
    if (r != SIM_OK)
      return r;
  }
  return vm_freewalk(m, pagetable);
}

int vm_uvmcopy_pte(struct machine *m, uint64_t old, uint64_t va, uint64_t *pte_pa,
                   uint64_t *pte) {
  int r = vm_walk(m, old, va, 0, pte_pa);
  if (r == SIM_FAIL && lazy_skips_unmapped(m))
    return SIM_FAIL;
  if (r == SIM_FAIL)
    return machine_panic(m, "uvmcopy: pte should exist", "va 0x%016llx",
                         (unsigned long long)va);
  if (r != SIM_OK)
    return r;
  *pte = vm_pte_read(m, *pte_pa);
  if ((*pte & PTE_V) == 0 && lazy_skips_unmapped(m))
    return SIM_FAIL;
  if ((*pte & PTE_V) == 0)
    return machine_panic(m, "uvmcopy: page not present", "va 0x%016llx",
                         (unsigned long long)va);
  return SIM_OK;
}

int vm_uvmcopy(struct machine *m, uint64_t old, uint64_t new, uint64_t sz) {
  if (cow_on(m))
    return cow_uvmcopy(m, old, new, sz); // the cow lab's uvmcopy, its own frame
  KFRAME(m, "uvmcopy");
  uint64_t i;
  for (i = 0; i < sz; i += PGSIZE) {
    bool big;
    int r = superpage_copy(m, old, new, i, &big);
    if (r == SIM_PANIC)
      return r;
    if (r == SIM_FAIL)
      goto err;
    if (big) {
      i += SUPERPGSIZE - PGSIZE;
      continue;
    }
    uint64_t pte_pa, pte;
    r = vm_uvmcopy_pte(m, old, i, &pte_pa, &pte);
    if (r == SIM_FAIL)
      continue; // a lazy page never made
    if (r != SIM_OK)
      return r;
    uint64_t pa = PTE2PA(pte);
    uint64_t flags = PTE_FLAGS(pte);
    uint64_t mem = kmem_kalloc(m);
    if (mem == 0) {
      if (m->halted)
        return SIM_PANIC;
      goto err;
    }
    if (check_table(m, pa, "uvmcopy") != SIM_OK)
      return SIM_PANIC;
    ram_copy_page(&m->hw.ram, mem, pa);
    r = vm_mappages(m, new, i, PGSIZE, mem, flags);
    if (r == SIM_PANIC)
      return r;
    if (r != SIM_OK) {
      if (kmem_kfree(m, mem) != SIM_OK)
        return SIM_PANIC;
      goto err;
    }
  }
  return SIM_OK;
err:;
  int r = vm_uvmunmap(m, new, 0, i / PGSIZE, 1);
  return r == SIM_OK ? SIM_FAIL : r;
}

int vm_uvmclear(struct machine *m, uint64_t pagetable, uint64_t va) {
  KFRAME(m, "uvmclear");
  uint64_t pte_pa;
  int r = vm_walk(m, pagetable, va, 0, &pte_pa);
  if (r == SIM_FAIL)
    return machine_panic(m, "uvmclear", "va 0x%016llx has no page-table page",
                         (unsigned long long)va);
  if (r != SIM_OK)
    return r;
  vm_pte_write(m, pte_pa, vm_pte_read(m, pte_pa) & ~PTE_U);
  return SIM_OK;
}

// The user page behind va0 as a pa that is safe to touch, or SIM_FAIL / SIM_PANIC. A lazy
// page not yet made is made first where the kernel does (str: for copyinstr).
static int user_page(struct machine *m, uint64_t pagetable, uint64_t va0, uint64_t *pa0,
                     bool str) {
  int r = vm_walkaddr(m, pagetable, va0, pa0);
  if (r == SIM_FAIL && lazy_copy_page(m, pagetable, va0, str) == SIM_OK)
    r = vm_walkaddr(m, pagetable, va0, pa0);
  if (r != SIM_OK)
    return r;
  return check_table(m, *pa0, "copy");
}

int vm_copyout(struct machine *m, uint64_t pagetable, uint64_t dstva, const void *src,
               uint64_t len) {
  KFRAME(m, "copyout");
  const uint8_t *s = src;
  while (len > 0) {
    uint64_t va0 = PGROUNDDOWN(dstva);
    uint64_t pa0;
    int r = cow_on(m) ? cow_copyout(m, pagetable, va0) : SIM_OK;
    if (r == SIM_OK)
      r = user_page(m, pagetable, va0, &pa0, false);
    if (r != SIM_OK)
      return r;
    uint64_t n = PGSIZE - (dstva - va0);
    if (n > len)
      n = len;
    ram_write(&m->hw.ram, pa0 + (dstva - va0), s, n);
    len -= n;
    s += n;
    dstva = va0 + PGSIZE;
  }
  return SIM_OK;
}

int vm_copyin(struct machine *m, uint64_t pagetable, void *dst, uint64_t srcva,
              uint64_t len) {
  KFRAME(m, "copyin");
  uint8_t *d = dst;
  while (len > 0) {
    uint64_t va0 = PGROUNDDOWN(srcva);
    uint64_t pa0;
    int r = user_page(m, pagetable, va0, &pa0, false);
    if (r != SIM_OK)
      return r;
    uint64_t n = PGSIZE - (srcva - va0);
    if (n > len)
      n = len;
    ram_read(&m->hw.ram, pa0 + (srcva - va0), d, n);
    len -= n;
    d += n;
    srcva = va0 + PGSIZE;
  }
  return SIM_OK;
}

int vm_copyinstr(struct machine *m, uint64_t pagetable, char *dst, uint64_t srcva,
                 uint64_t max) {
  KFRAME(m, "copyinstr");
  while (max > 0) {
    uint64_t va0 = PGROUNDDOWN(srcva);
    uint64_t pa0;
    int r = user_page(m, pagetable, va0, &pa0, true);
    if (r != SIM_OK)
      return r;
    uint64_t n = PGSIZE - (srcva - va0);
    if (n > max)
      n = max;
    uint8_t buf[PGSIZE];
    ram_read(&m->hw.ram, pa0 + (srcva - va0), buf, n);
    for (uint64_t i = 0; i < n; i++, max--) {
      *dst++ = (char)buf[i];
      if (buf[i] == '\0')
        return SIM_OK;
    }
    srcva = va0 + PGSIZE;
  }
  return SIM_FAIL;
}

// vm_kvmfree at depth levels below the root.
static int kvmfree(struct machine *m, uint64_t pagetable, int depth) {
  KFRAME(m, "kvmfree"); // the lab's freewalk twin, recursive as freewalk
  if (check_table(m, pagetable, "kvmfree") != SIM_OK ||
      too_deep(m, "kvmfree", depth) != SIM_OK)
    return SIM_PANIC;
  for (int i = 0; i < 512; i++) {
    uint64_t slot = pagetable + 8 * (uint64_t)i;
    uint64_t pte = vm_pte_read(m, slot);
    if ((pte & PTE_V) && (pte & (PTE_R | PTE_W | PTE_X)) == 0) {
      int r = kvmfree(m, PTE2PA(pte), depth + 1);
      if (r != SIM_OK)
        return r;
    }
    vm_pte_write(m, slot, 0);
  }
  return kmem_kfree(m, pagetable);
}

int vm_kvmfree(struct machine *m, uint64_t pagetable) {
  return kvmfree(m, pagetable, 0);
}

int vm_u2kvmcopy(struct machine *m, uint64_t upt, uint64_t kpt, uint64_t oldsz,
                 uint64_t newsz) {
  KFRAME(m, "u2kvmcopy");
  uint64_t start = PGROUNDUP(oldsz);
  for (uint64_t va = start; va < newsz; va += PGSIZE) {
    uint64_t pte_pa;
    int r = vm_walk(m, upt, va, 0, &pte_pa);
    if (r == SIM_PANIC)
      return r;
    uint64_t pte = r == SIM_OK ? vm_pte_read(m, pte_pa) : 0;
    if ((pte & PTE_V) == 0)
      return machine_panic(m, "u2kvmcopy: pte should exist", "va 0x%016llx",
                           (unsigned long long)va);
    r = vm_mappages(m, kpt, va, PGSIZE, PTE2PA(pte), PTE_FLAGS(pte) & ~(PTE_U | PTE_V));
    if (r == SIM_FAIL) {
      // mappages fails before writing the PTE, so only [start, va) is mirrored.
      r = vm_uvmunmap(m, kpt, start, (va - start) / PGSIZE, 0);
      return r == SIM_OK ? SIM_FAIL : r;
    }
    if (r != SIM_OK)
      return r;
  }
  return SIM_OK;
}

// Load n bytes at va the way the kernel's own loads go with kpt in satp: S-mode, no SUM,
// so the page must be valid, readable and not U. A failed check is a load page fault in
// the kernel, which xv6's kerneltrap turns into a panic.
static int kernel_load(struct machine *m, uint64_t kpt, uint64_t va, uint8_t *dst,
                       uint64_t n) {
  uint64_t pte_pa;
  int r = vm_walk(m, kpt, va, 0, &pte_pa);
  if (r == SIM_PANIC)
    return r;
  uint64_t pte = r == SIM_OK ? vm_pte_read(m, pte_pa) : 0;
  if ((pte & PTE_V) == 0 || (pte & PTE_R) == 0 || (pte & PTE_U) != 0)
    return machine_panic(m, "kerneltrap",
                         "load page fault (scause 13) at va 0x%016llx in the kernel table",
                         (unsigned long long)va);
  uint64_t pa = PTE2PA(pte) + va % PGSIZE;
  if (ram_read(&m->hw.ram, pa, dst, n) != 0)
    return machine_panic(m, "kerneltrap", "load access fault at pa 0x%016llx",
                         (unsigned long long)pa);
  return SIM_OK;
}

int vm_copyin_new(struct machine *m, uint64_t kpt, uint64_t sz, void *dst, uint64_t srcva,
                  uint64_t len) {
  KFRAME(m, "copyin_new");
  // The lab's check, kept exactly: a copy that ends at sz is refused too.
  if (srcva >= sz || srcva + len >= sz || srcva + len < srcva)
    return SIM_FAIL;
  uint8_t *d = dst;
  while (len > 0) {
    uint64_t n = PGSIZE - srcva % PGSIZE;
    if (n > len)
      n = len;
    int r = kernel_load(m, kpt, srcva, d, n);
    if (r != SIM_OK)
      return r;
    d += n;
    srcva += n;
    len -= n;
  }
  m->stats.ncopyin++;
  return SIM_OK;
}

int vm_copyinstr_new(struct machine *m, uint64_t kpt, uint64_t sz, char *dst,
                     uint64_t srcva, uint64_t max) {
  KFRAME(m, "copyinstr_new");
  m->stats.ncopyinstr++;
  // The lab's loop counts with an int against a uint64 max.
  for (uint64_t i = 0; i < max && i <= INT32_MAX && srcva + i < sz; i++) {
    uint8_t b;
    int r = kernel_load(m, kpt, srcva + i, &b, 1);
    if (r != SIM_OK)
      return r;
    dst[i] = (char)b;
    if (b == '\0')
      return SIM_OK;
  }
  return SIM_FAIL;
}
