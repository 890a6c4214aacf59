#include "sv39sim/ram.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/sv39.h"

enum { LINK_NONE = 0, LINK_NULL = 1, LINK_PAGE0 = 2 };

int ram_init(struct ram *r, uint64_t base, uint64_t size) {
  memset(r, 0, sizeof(*r));
  r->base = base;
  r->size = size;
  r->npages = size / PGSIZE;
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
  if (r->host != NULL) {
    for (uint64_t i = 0; i < r->npages; i++)
      free(r->host[i]);
  }
  for (uint64_t i = 0; i < r->nspare; i++)
    free(r->spare[i]);
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

uint8_t *ram_page(struct ram *r, uint64_t pa) {
  assert(ram_contains(r, pa, 1));
  uint64_t idx = page_index(r, pa);
  if (r->host[idx] != NULL)
    return r->host[idx];
  uint8_t *p = r->nspare > 0 ? r->spare[--r->nspare] : malloc(PGSIZE);
  if (p == NULL)
    abort(); // the host is out of memory: nothing sensible is left to simulate
  memset(p, r->fill[idx], PGSIZE);
  for (uint64_t off = 0; off < 8 && r->link[idx] != LINK_NONE; off++)
    p[off] = lazy_byte(r, idx, off);
  r->host[idx] = p;
  r->link[idx] = LINK_NONE;
  r->materialised++;
  return p;
}

static void release_page(struct ram *r, uint64_t idx) {
  uint8_t *p = r->host[idx];
  if (p == NULL)
    return;
  r->host[idx] = NULL;
  r->materialised--;
  if (r->nspare == r->spare_cap) {
    uint64_t cap = r->spare_cap ? 2 * r->spare_cap : 64;
    uint8_t **s = realloc(r->spare, cap * sizeof(*s));
    if (s == NULL) {
      free(p);
      return;
    }
    r->spare = s;
    r->spare_cap = cap;
  }
  r->spare[r->nspare++] = p;
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
      memcpy(out, r->host[idx] + off, n);
    } else {
      for (uint64_t i = 0; i < n; i++)
        out[i] = lazy_byte(r, idx, off + i);
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
    memcpy(ram_page(r, pa) + off, in, n);
    in += n;
    pa += n;
    len -= n;
  }
  return 0;
}

// The host page behind an aligned access of size bytes, or NULL when the access needs the
// general path (outside RAM, lazy page, misaligned, or a big-endian host).
static inline uint8_t *fast_page(const struct ram *r, uint64_t pa, unsigned size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t off = pa - r->base;
  if (pa < r->base || off >= r->size || (pa & (size - 1)) != 0)
    return NULL;
  return r->host[off / PGSIZE];
#else
  (void)r, (void)pa, (void)size;
  return NULL;
#endif
}

int ram_load(struct ram *r, uint64_t pa, unsigned size, uint64_t *val) {
  assert(size == 1 || size == 2 || size == 4 || size == 8);
  uint8_t *h = fast_page(r, pa, size);
  if (h != NULL) {
    uint64_t v = 0;
    memcpy(&v, h + pa % PGSIZE, size);
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
  if (h != NULL) {
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
  memcpy(ram_page(r, dst), r->host[s], PGSIZE);
}
