// The page-table tree as cJSON, for `vmprint --json` and `json`. A kernel table has tens
// of thousands of entries, so keys and flag names are referenced, not copied, and hex is
// formatted by hand.
#include <inttypes.h>

#include "sv39sim/hw/pt.h"
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

struct count {
  unsigned long n, limit;
};

// Count e; stop once the count passes the limit.
static enum pt_step count_entry(void *ctx, const struct pt_entry *e) {
  (void)e;
  struct count *c = ctx;
  return ++c->n > c->limit ? PT_STOP : PT_CONTINUE;
}

unsigned long render_count_entries(struct machine *m, uint64_t root, unsigned long limit) {
  struct count c = {0, limit};
  pt_walk(&m->hw.ram, root, count_entry, &c);
  return c.n;
}

// The tree being built: list[level] is the array that the walk's next entry at that level
// joins, the root's array or the "entries" of the table pointer last entered.
struct tree {
  cJSON *list[3];
};

// One object per valid PTE, children nested under "entries". Stops the walk when the host
// is out of memory.
static enum pt_step add_entry(void *ctx, const struct pt_entry *e) {
  static const char *const flag_names[] = {"V", "R", "W", "X", "U", "G", "A", "D"};
  struct tree *t = ctx;
  uint64_t pte = e->pte;
  uint64_t span = 1ULL << PXSHIFT(e->level);
  bool leaf = PTE_LEAF(pte);
  cJSON *o = cJSON_CreateObject();
  cJSON *flags = cJSON_CreateArray();
  if (o == NULL || flags == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(flags);
    return PT_STOP;
  }
  cJSON_AddItemToArray(t->list[e->level], o);
  add_const(o, "level", cJSON_CreateNumber(e->level));
  add_const(o, "index", cJSON_CreateNumber(e->index));
  render_json_hex(o, "va_start", e->va);
  render_json_hex(o, "va_end", e->va + span - 1);
  render_json_hex(o, "pte", pte);
  render_json_hex(o, "pa", PTE2PA(pte));
  for (int b = 0; b < 8; b++) {
    if (pte & (1ULL << b))
      cJSON_AddItemToArray(flags, cJSON_CreateStringReference(flag_names[b]));
  }
  add_const(o, "flags", flags);
  add_const(o, "leaf", cJSON_CreateBool(leaf));
  if (leaf) {
    add_const(o, "page_size", cJSON_CreateNumber((double)span));
  } else if (e->enter) {
    cJSON *children = cJSON_CreateArray();
    if (children == NULL)
      return PT_STOP;
    add_const(o, "entries", children);
    t->list[e->level - 1] = children;
  }
  return PT_CONTINUE;
}

int render_json_pagetable(struct machine *m, const struct render_table *t, cJSON *obj) {
  if (render_count_entries(m, t->root, RENDER_MAX_ENTRIES) > RENDER_MAX_ENTRIES)
    return -1;
  cJSON *list = cJSON_CreateArray();
  struct tree tree = {.list = {[2] = list}};
  if (list == NULL || pt_walk(&m->hw.ram, t->root, add_entry, &tree) == PT_STOP) {
    cJSON_Delete(list);
    return -1;
  }
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
