#include "sv39sim/ram.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/sv39.h"

enum { LINK_NONE = 0, LINK_NULL = 1, LINK_PAGE0 = 2 };

// A host page is a count of the simulated pages that use it, then PGSIZE bytes; the
// pointers kept are to the bytes. 16 keeps the bytes as aligned as malloc's.
#define HOST_HDR 16
#define SHARED ((uintptr_t)1)

// A host entry without its SHARED tag: the page's bytes.
static uint8_t *host_bytes(uint8_t *h) {
  return (uint8_t *)((uintptr_t)h & ~SHARED);
}

// The count of simulated pages using the host page whose bytes start at bytes.
static uint64_t *host_refs(uint8_t *bytes) {
  return (uint64_t *)(void *)(bytes - HOST_HDR);
}

int ram_init(struct ram *r, uint64_t base, uint64_t size) {
  memset(r, 0, sizeof(*r));
  r->base = base;
  r->size = size;
  r->npages = size / PGSIZE;
  r->host_lo = r->npages;
  r->host = calloc(r->npages ? r->npages : 1, sizeof(*r->host));
  r->fill = calloc(r->npages ? r->npages : 1, sizeof(*r->fill));
  r->link = calloc(r->npages ? r->npages : 1, sizeof(*r->link));
  if (r->host == NULL || r->fill == NULL || r->link == NULL) {
    ram_destroy(r);
    return -1;
  }
  return 0;
}

void ram_destroy(struct ram *r) {
  // Only the range that ever held host pages: a large machine's host array is mostly
  // untouched calloc memory, and reading it all would cost time.
  for (uint64_t i = r->host_lo; r->host != NULL && i < r->host_hi; i++) {
    if (r->host[i] == NULL)
      continue;
    uint8_t *p = host_bytes(r->host[i]);
    if (--*host_refs(p) == 0) {
      free(p - HOST_HDR);
      r->materialised--;
    }
  }
  for (uint64_t i = 0; i < r->nspare; i++)
    free(r->spare[i] - HOST_HDR);
  free(r->host);
  free(r->fill);
  free(r->link);
  free(r->spare);
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

// A host page of one user, its bytes undefined. The host being out of memory leaves
// nothing sensible to simulate.
static uint8_t *host_new(struct ram *r) {
  uint8_t *p;
  if (r->nspare > 0) {
    p = r->spare[--r->nspare];
  } else {
    uint8_t *raw = malloc(HOST_HDR + PGSIZE);
    if (raw == NULL)
      abort();
    p = raw + HOST_HDR;
  }
  *host_refs(p) = 1;
  r->materialised++;
  return p;
}

// One user fewer for host page p; the last one's leaving keeps it for reuse.
static void host_drop(struct ram *r, uint8_t *p) {
  if (--*host_refs(p) > 0)
    return;
  r->materialised--;
  if (r->nspare == r->spare_cap) {
    uint64_t cap = r->spare_cap ? 2 * r->spare_cap : 64;
    uint8_t **s = realloc(r->spare, cap * sizeof(*s));
    if (s == NULL) {
      free(p - HOST_HDR);
      return;
    }
    r->spare = s;
    r->spare_cap = cap;
  }
  r->spare[r->nspare++] = p;
}

// Record that host[idx] is about to hold a page.
static void host_note(struct ram *r, uint64_t idx) {
  if (idx < r->host_lo)
    r->host_lo = idx;
  if (idx >= r->host_hi)
    r->host_hi = idx + 1;
}

// Page idx's own host bytes, writable. With keep they hold what the page read as; without
// (the caller is about to overwrite every byte) what they hold is undefined.
static uint8_t *own_page(struct ram *r, uint64_t idx, bool keep) {
  uint8_t *h = r->host[idx];
  if (h == NULL) {
    uint8_t *p = host_new(r);
    if (keep) {
      memset(p, r->fill[idx], PGSIZE);
      for (uint64_t off = 0; off < 8 && r->link[idx] != LINK_NONE; off++)
        p[off] = lazy_byte(r, idx, off);
    }
    host_note(r, idx);
    r->host[idx] = p;
    r->link[idx] = LINK_NONE;
    return p;
  }
  if (((uintptr_t)h & SHARED) == 0)
    return h;
  uint8_t *p = host_bytes(h);
  if (*host_refs(p) > 1) {
    uint8_t *own = host_new(r);
    if (keep)
      memcpy(own, p, PGSIZE);
    host_drop(r, p);
    p = own;
  }
  r->host[idx] = p; // the only user now: stores may go straight in
  return p;
}

uint8_t *ram_page(struct ram *r, uint64_t pa) {
  assert(ram_contains(r, pa, 1));
  return own_page(r, page_index(r, pa), true);
}

// Page idx gives up its host bytes (if any) and is lazy again, its pattern unchanged.
static void release_page(struct ram *r, uint64_t idx) {
  uint8_t *h = r->host[idx];
  if (h == NULL)
    return;
  r->host[idx] = NULL;
  host_drop(r, host_bytes(h));
}

int ram_read(struct ram *r, uint64_t pa, void *dst, uint64_t len) {
  if (!ram_contains(r, pa, len))
    return -1;
  uint8_t *out = dst;
  while (len > 0) {
    uint64_t idx = page_index(r, pa);
    uint64_t off = pa % PGSIZE;
    uint64_t n = PGSIZE - off < len ? PGSIZE - off : len;
    if (r->host[idx] != NULL) {
      memcpy(out, host_bytes(r->host[idx]) + off, n);
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
    memcpy(own_page(r, page_index(r, pa), n < PGSIZE) + off, in, n);
    in += n;
    pa += n;
    len -= n;
  }
  return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LITTLE_ENDIAN 1
#else
#define HOST_LITTLE_ENDIAN 0
#endif

// The host page entry (tag included) behind an aligned access of size bytes, or NULL when
// the access needs the general path (outside RAM, lazy page, misaligned, or a big-endian
// host).
static inline uint8_t *fast_page(const struct ram *r, uint64_t pa, unsigned size) {
  if (!HOST_LITTLE_ENDIAN)
    return NULL;
  uint64_t off = pa - r->base;
  if (pa < r->base || off >= r->size || (pa & (size - 1)) != 0)
    return NULL;
  return r->host[off / PGSIZE];
}

int ram_load(struct ram *r, uint64_t pa, unsigned size, uint64_t *val) {
  assert(size == 1 || size == 2 || size == 4 || size == 8);
  uint8_t *h = fast_page(r, pa, size);
  if (h != NULL) {
    uint64_t v = 0;
    memcpy(&v, host_bytes(h) + pa % PGSIZE, size);
    *val = v;
    return 0;
  }
  uint8_t b[8];
  if (ram_read(r, pa, b, size) != 0)
    return -1;
  uint64_t v = 0;
  for (unsigned i = 0; i < size; i++)
    v |= (uint64_t)b[i] << (8 * i);
  *val = v;
  return 0;
}

int ram_store(struct ram *r, uint64_t pa, unsigned size, uint64_t val) {
  assert(size == 1 || size == 2 || size == 4 || size == 8);
  uint8_t *h = fast_page(r, pa, size);
  if (h != NULL && ((uintptr_t)h & SHARED) == 0) {
    memcpy(h + pa % PGSIZE, &val, size);
    return 0;
  }
  if (!ram_contains(r, pa, size))
    return -1;
  uint64_t idx = page_index(r, pa);
  // A page address stored at the start of a lazy page (kfree linking a page into the free
  // list) stays lazy: that is what keeps a large machine's boot cheap.
  if (r->host[idx] == NULL && pa % PGSIZE == 0 && size == 8 && r->link[idx] == LINK_NONE) {
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
  release_page(r, idx);
  r->fill[idx] = byte;
  r->link[idx] = LINK_NONE;
}

void ram_copy_page(struct ram *r, uint64_t dst, uint64_t src) {
  assert(dst % PGSIZE == 0 && src % PGSIZE == 0);
  assert(ram_contains(r, dst, PGSIZE) && ram_contains(r, src, PGSIZE));
  if (dst == src)
    return;
  uint64_t s = page_index(r, src), d = page_index(r, dst);
  if (r->host[s] == NULL) {
    release_page(r, d);
    r->fill[d] = r->fill[s];
    r->link[d] = r->link[s];
    return;
  }
  // Share the bytes; whichever page is stored to first gets its own copy (ram_page).
  uint8_t *p = host_bytes(r->host[s]);
  if (host_bytes(r->host[d]) == p)
    return;
  release_page(r, d);
  host_note(r, d);
  ++*host_refs(p);
  r->host[s] = r->host[d] = (uint8_t *)((uintptr_t)p | SHARED);
  r->link[d] = LINK_NONE;
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
  // Only where host pages ever were: for a large machine the rest of the host array is
  // untouched calloc memory, and reading it would cost time.
  uint64_t lo = idx0 > r->host_lo ? idx0 : r->host_lo;
  uint64_t hi = idx0 + npages < r->host_hi ? idx0 + npages : r->host_hi;
  for (uint64_t i = lo; i < hi; i++)
    release_page(r, i);
  memset(r->fill + idx0, byte, npages);
  r->link[idx0] = first;
  for (uint64_t i = 1; i < npages; i++)
    r->link[idx0 + i] = (uint32_t)(idx0 + i - 1 + LINK_PAGE0);
  return 0;
}
