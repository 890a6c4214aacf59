// The page-table tree as cJSON, for `vmprint --json` and `json`. A kernel table has tens
// of thousands of entries, so keys and flag names are referenced, not copied, tables are
// read a page at a time, and hex is formatted by hand.
#include <inttypes.h>

#include "sv39sim/xv6/machine.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

// Under a key that is a string constant, which cJSON then neither copies nor frees.
static void add_const(cJSON *o, const char *key, cJSON *item) {
  if (!cJSON_AddItemToObjectCS(o, key, item))
    cJSON_Delete(item);
}

void render_json_hex(cJSON *o, const char *key, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  char buf[19], *p = buf + sizeof(buf) - 1;
  *p = '\0';
  do {
    *--p = digits[v & 15];
    v >>= 4;
  } while (v != 0);
  *--p = 'x';
  *--p = '0';
  cJSON_AddStringToObject(o, key, p);
}

// The table page at pa; the caller checked it lies in RAM.
static void read_table(struct machine *m, uint64_t pa, uint64_t pte[512]) {
  ram_read(&m->hw.ram, pa, pte, 512 * sizeof(uint64_t));
}

static bool enterable(struct machine *m, uint64_t pte, int level) {
  uint64_t pa = PTE2PA(pte);
  return level > 0 && (pte & (PTE_R | PTE_W | PTE_X)) == 0 && pa % PGSIZE == 0 &&
         ram_contains(&m->hw.ram, pa, PGSIZE);
}

// The number of valid PTEs the tree shows, counting no further than limit + 1.
static unsigned long count_entries(struct machine *m, uint64_t table, int level,
                                   unsigned long n, unsigned long limit) {
  uint64_t ptes[512];
  read_table(m, table, ptes);
  for (uint64_t i = 0; i < 512 && n <= limit; i++) {
    uint64_t pte = ptes[i];
    if ((pte & PTE_V) == 0)
      continue;
    n++;
    if (enterable(m, pte, level))
      n = count_entries(m, PTE2PA(pte), level - 1, n, limit);
  }
  return n;
}

unsigned long render_count_entries(struct machine *m, uint64_t root, unsigned long limit) {
  if (root % PGSIZE != 0 || !ram_contains(&m->hw.ram, root, PGSIZE))
    return 0;
  return count_entries(m, root, 2, 0, limit);
}

// Bit 38 set means the upper half: bits 63..39 copy it.
static uint64_t canonical(uint64_t va) {
  return (va & (1ULL << 38)) ? va | ~((1ULL << 39) - 1) : va;
}

// One array entry per valid PTE of the table at pa, children nested under "entries".
// Returns NULL when the host is out of memory.
static cJSON *entries(struct machine *m, uint64_t table, int level, uint64_t va) {
  static const char *const flag_names[] = {"V", "R", "W", "X", "U", "G", "A", "D"};
  uint64_t ptes[512];
  read_table(m, table, ptes);
  cJSON *list = cJSON_CreateArray();
  for (uint64_t i = 0; list != NULL && i < 512; i++) {
    uint64_t pte = ptes[i];
    if ((pte & PTE_V) == 0)
      continue;
    uint64_t start = va + (i << PXSHIFT(level));
    uint64_t span = 1ULL << PXSHIFT(level);
    bool leaf = (pte & (PTE_R | PTE_W | PTE_X)) != 0;
    cJSON *e = cJSON_CreateObject();
    cJSON *flags = cJSON_CreateArray();
    if (e == NULL || flags == NULL) {
      cJSON_Delete(e);
      cJSON_Delete(flags);
      cJSON_Delete(list);
      return NULL;
    }
    cJSON_AddItemToArray(list, e);
    add_const(e, "level", cJSON_CreateNumber(level));
    add_const(e, "index", cJSON_CreateNumber((double)i));
    render_json_hex(e, "va_start", canonical(start));
    render_json_hex(e, "va_end", canonical(start + span - 1));
    render_json_hex(e, "pte", pte);
    render_json_hex(e, "pa", PTE2PA(pte));
    for (int b = 0; b < 8; b++) {
      if (pte & (1ULL << b))
        cJSON_AddItemToArray(flags, cJSON_CreateStringReference(flag_names[b]));
    }
    add_const(e, "flags", flags);
    add_const(e, "leaf", cJSON_CreateBool(leaf));
    if (leaf) {
      add_const(e, "page_size", cJSON_CreateNumber((double)span));
    } else if (enterable(m, pte, level)) {
      cJSON *children = entries(m, PTE2PA(pte), level - 1, start);
      if (children == NULL) {
        cJSON_Delete(list);
        return NULL;
      }
      add_const(e, "entries", children);
    }
  }
  return list;
}

int render_json_pagetable(struct machine *m, const struct render_table *t, cJSON *obj) {
  bool inside = t->root % PGSIZE == 0 && ram_contains(&m->hw.ram, t->root, PGSIZE);
  if (render_count_entries(m, t->root, RENDER_MAX_ENTRIES) > RENDER_MAX_ENTRIES)
    return -1;
  cJSON *list = inside ? entries(m, t->root, 2, 0) : cJSON_CreateArray();
  if (list == NULL)
    return -1;
  if (t->pid > 0)
    cJSON_AddNumberToObject(obj, "pid", t->pid);
  else
    cJSON_AddNullToObject(obj, "pid");
  cJSON_AddStringToObject(obj, "table", t->which);
  render_json_hex(obj, "satp", t->satp);
  render_json_hex(obj, "root", t->root);
  cJSON_AddItemToObject(obj, "entries", list);
  return 0;
}
