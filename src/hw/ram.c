#define _DEFAULT_SOURCE // MAP_ANONYMOUS, MAP_NORESERVE, madvise
#include "sv39sim/hw/ram.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { LINK_NONE = 0, LINK_NULL = 1, LINK_PAGE0 = 2 };

// Materialised runs at least this long that a chain makes lazy go back to the host kernel
// (one madvise each); shorter ones, and single refilled pages, keep their host memory for
// the next write, since a syscall per freed page would dominate exit- and exec-heavy traces.
#define RELEASE_RUN 64

int ram_init(struct ram *r, uint64_t base, uint64_t size) {
  memset(r, 0, sizeof(*r));
  r->base = base;
  r->size = size;
  r->npages = (size + PGSIZE - 1) / PGSIZE;
  r->mat_lo = r->npages;
  uint64_t n = r->npages ? r->npages : 1;
  // NORESERVE: the host commits memory page by page as the arena is written, not up front.
  void *a = mmap(NULL, n * PGSIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (a != MAP_FAILED) {
    r->arena = a;
    r->arena_len = n * PGSIZE;
    // A simulated page costs one host page, not a 2 MiB huge page that the host may give
    // for the first touch of a region.
    madvise(a, r->arena_len, MADV_NOHUGEPAGE);
  }
  r->state = calloc(n, sizeof(*r->state));
  r->fill = calloc(n, sizeof(*r->fill));
  r->link = calloc(n, sizeof(*r->link));
  if (r->arena == NULL || r->state == NULL || r->fill == NULL || r->link == NULL) {
    ram_destroy(r);
    return -1;
  }
  return 0;
}

void ram_destroy(struct ram *r) {
  if (r->arena != NULL)
    munmap(r->arena, r->arena_len);
  free(r->state);
  free(r->fill);
  free(r->link);
  memset(r, 0, sizeof(*r));
}

bool ram_contains(const struct ram *r, uint64_t pa, uint64_t len) {
  if (len == 0)
    len = 1;
  if (pa < r->base)
    return false;
  uint64_t off = pa - r->base;
  return off < r->size && len <= r->size - off;
}

static uint64_t page_index(const struct ram *r, uint64_t pa) {
  return (pa - r->base) / PGSIZE;
}

// The eight bytes a lazy page's link word reads as.
static uint64_t link_value(const struct ram *r, uint32_t link) {
  if (link == LINK_NULL)
    return 0;
  return r->base + (uint64_t)(link - LINK_PAGE0) * PGSIZE;
}

static uint8_t lazy_byte(const struct ram *r, uint64_t idx, uint64_t off) {
  uint32_t link = r->link[idx];
  if (link != LINK_NONE && off < 8)
    return (uint8_t)(link_value(r, link) >> (8 * off));
  return r->fill[idx];
}

// Page idx's arena bytes, the page materialised. With keep they hold what the page read
// as; without (the caller is about to overwrite every byte) what they hold is undefined.
static uint8_t *materialise(struct ram *r, uint64_t idx, bool keep) {
  uint8_t *p = r->arena + idx * PGSIZE;
  if (r->state[idx] == RAM_MATERIALISED)
    return p;
  if (keep) {
    memset(p, r->fill[idx], PGSIZE);
    for (uint64_t off = 0; off < 8 && r->link[idx] != LINK_NONE; off++)
      p[off] = lazy_byte(r, idx, off);
  }
  r->state[idx] = RAM_MATERIALISED;
  r->link[idx] = LINK_NONE;
  r->materialised++;
  if (idx < r->mat_lo)
    r->mat_lo = idx;
  if (idx >= r->mat_hi)
    r->mat_hi = idx + 1;
  return p;
}

// Page idx reads as its pattern again; its arena bytes are left as they are.
static void make_lazy(struct ram *r, uint64_t idx) {
  if (r->state[idx] != RAM_MATERIALISED)
    return;
  r->state[idx] = RAM_LAZY;
  r->materialised--;
}

uint8_t *ram_page(struct ram *r, uint64_t pa) {
  assert(ram_contains(r, pa, 1));
  return materialise(r, page_index(r, pa), true);
}

int ram_read(struct ram *r, uint64_t pa, void *dst, uint64_t len) {
  if (!ram_contains(r, pa, len))
    return -1;
  uint8_t *out = dst;
  while (len > 0) {
    uint64_t idx = page_index(r, pa);
    uint64_t off = pa % PGSIZE;
    uint64_t n = PGSIZE - off < len ? PGSIZE - off : len;
    if (r->state[idx] == RAM_MATERIALISED) {
      memcpy(out, r->arena + idx * PGSIZE + off, n);
    } else {
      memset(out, r->fill[idx], n);
      for (uint64_t i = off; i < 8 && i < off + n && r->link[idx] != LINK_NONE; i++)
        out[i - off] = lazy_byte(r, idx, i);
    }
    out += n;
    pa += n;
    len -= n;
  }
  return 0;
}

int ram_write(struct ram *r, uint64_t pa, const void *src, uint64_t len) {
  if (!ram_contains(r, pa, len))
    return -1;
  const uint8_t *in = src;
  while (len > 0) {
    uint64_t off = pa % PGSIZE;
    uint64_t n = PGSIZE - off < len ? PGSIZE - off : len;
    memcpy(materialise(r, page_index(r, pa), n < PGSIZE) + off, in, n);
    in += n;
    pa += n;
    len -= n;
  }
  return 0;
}

int ram_load_slow(struct ram *r, uint64_t pa, unsigned size, uint64_t *val) {
  assert(size == 1 || size == 2 || size == 4 || size == 8);
  uint8_t b[8];
  if (ram_read(r, pa, b, size) != 0)
    return -1;
  uint64_t v = 0;
  for (unsigned i = 0; i < size; i++)
    v |= (uint64_t)b[i] << (8 * i);
  *val = v;
  return 0;
}

int ram_store_slow(struct ram *r, uint64_t pa, unsigned size, uint64_t val) {
  assert(size == 1 || size == 2 || size == 4 || size == 8);
  if (!ram_contains(r, pa, size))
    return -1;
  uint64_t idx = page_index(r, pa);
  // A page address stored at the start of a lazy page (kfree linking a page into the free
  // list) stays lazy: that is what keeps a large machine's boot cheap.
  if (r->state[idx] == RAM_LAZY && pa % PGSIZE == 0 && size == 8 &&
      r->link[idx] == LINK_NONE) {
    if (val == 0) {
      r->link[idx] = LINK_NULL;
      return 0;
    }
    if (val % PGSIZE == 0 && ram_contains(r, val, 1)) {
      r->link[idx] = (uint32_t)(page_index(r, val) + LINK_PAGE0);
      return 0;
    }
  }
  uint8_t b[8];
  for (unsigned i = 0; i < size; i++)
    b[i] = (uint8_t)(val >> (8 * i));
  return ram_write(r, pa, b, size);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LITTLE_ENDIAN 1
#else
#define HOST_LITTLE_ENDIAN 0
#endif

int ram_read_words(struct ram *r, uint64_t pa, uint64_t *dst, uint64_t n) {
  if (n > r->size / 8 || !ram_contains(r, pa, 8 * n))
    return -1;
  if (HOST_LITTLE_ENDIAN)
    return ram_read(r, pa, dst, 8 * n);
  for (uint64_t i = 0; i < n; i++)
    ram_load(r, pa + 8 * i, 8, &dst[i]);
  return 0;
}

int ram_write_words(struct ram *r, uint64_t pa, const uint64_t *src, uint64_t n) {
  if (n > r->size / 8 || !ram_contains(r, pa, 8 * n))
    return -1;
  if (HOST_LITTLE_ENDIAN)
    return ram_write(r, pa, src, 8 * n);
  for (uint64_t i = 0; i < n; i++)
    ram_store(r, pa + 8 * i, 8, src[i]);
  return 0;
}

void ram_fill_page(struct ram *r, uint64_t pa, uint8_t byte) {
  assert(pa % PGSIZE == 0 && ram_contains(r, pa, PGSIZE));
  uint64_t idx = page_index(r, pa);
  make_lazy(r, idx);
  r->fill[idx] = byte;
  r->link[idx] = LINK_NONE;
}

void ram_copy_page(struct ram *r, uint64_t dst, uint64_t src) {
  assert(dst % PGSIZE == 0 && src % PGSIZE == 0);
  assert(ram_contains(r, dst, PGSIZE) && ram_contains(r, src, PGSIZE));
  if (dst == src)
    return;
  uint64_t s = page_index(r, src), d = page_index(r, dst);
  if (r->state[s] == RAM_MATERIALISED) {
    memcpy(materialise(r, d, false), r->arena + s * PGSIZE, PGSIZE);
    return;
  }
  make_lazy(r, d);
  r->fill[d] = r->fill[s];
  r->link[d] = r->link[s];
}

// Make the pages [lo, hi) lazy, handing runs of RELEASE_RUN or more materialised pages
// back to the host kernel.
static void make_lazy_range(struct ram *r, uint64_t lo, uint64_t hi) {
  uint64_t run = lo; // first page of the current materialised run
  for (uint64_t i = lo; i <= hi; i++) {
    if (i < hi && r->state[i] == RAM_MATERIALISED) {
      make_lazy(r, i);
      continue;
    }
    // Only where host pages are simulated pages: Linux rounds the length up to its page
    // size, which would zero simulated pages past the run on a 16 or 64 KiB host.
    if (i - run >= RELEASE_RUN && sysconf(_SC_PAGESIZE) == PGSIZE)
      madvise(r->arena + run * PGSIZE, (i - run) * PGSIZE, MADV_DONTNEED);
    run = i + 1;
  }
}

int ram_fill_chain(struct ram *r, uint64_t pa, uint64_t npages, uint8_t byte, uint64_t link) {
  if (npages == 0)
    return 0;
  if (pa % PGSIZE != 0 || npages > r->npages || !ram_contains(r, pa, npages * PGSIZE))
    return -1;
  uint32_t first;
  if (link == 0)
    first = LINK_NULL;
  else if (link % PGSIZE == 0 && ram_contains(r, link, 1))
    first = (uint32_t)(page_index(r, link) + LINK_PAGE0);
  else
    return -1;
  uint64_t idx0 = page_index(r, pa);
  // Only where pages were ever materialised: for a large machine the rest of the state
  // array is untouched calloc memory, and reading it would cost time.
  uint64_t lo = idx0 > r->mat_lo ? idx0 : r->mat_lo;
  uint64_t hi = idx0 + npages < r->mat_hi ? idx0 + npages : r->mat_hi;
  if (lo < hi)
    make_lazy_range(r, lo, hi);
  memset(r->fill + idx0, byte, npages);
  r->link[idx0] = first;
  for (uint64_t i = 1; i < npages; i++)
    r->link[idx0 + i] = (uint32_t)(idx0 + i - 1 + LINK_PAGE0);
  return 0;
}
