// QEMU's `info mem` for RISC-V (target/riscv/monitor.c): runs of leaves that are virtually
// and physically contiguous and carry the same PTE bits 7..0, one line each.
#include <inttypes.h>

#include "sv39sim/hw/pt.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

struct walk {
  int (*fn)(void *ctx, const struct render_range *r);
  void *ctx;
  int stopped;             // what fn returned when it stopped the walk, else 0
  bool open;               // cur holds a run not yet reported
  struct render_range cur;
};

// Report the open run, if any. Returns what the callback returned.
static int flush(struct walk *w) {
  if (!w->open)
    return 0;
  w->open = false;
  return w->fn(w->ctx, &w->cur);
}

// Extend the open run with leaf e, or report it and open a run at e. QEMU restarts the
// run at every page-table page; this walk lets a run continue into the next table, so the
// kernel's direct map is one line, not one per 2 MiB. Canonical addresses jump at bit 38,
// so no run joins across it.
static enum pt_step add_leaf(void *ctx, const struct pt_entry *e) {
  struct walk *w = ctx;
  if (!PTE_LEAF(e->pte))
    return PT_CONTINUE;
  uint64_t pa = PTE2PA(e->pte);
  uint64_t size = 1ULL << PXSHIFT(e->level);
  unsigned attr = (unsigned)(e->pte & RENDER_ATTR_BITS);
  struct render_range *c = &w->cur;
  if (w->open && c->attr == attr && c->pa + c->size == pa && c->va + c->size == e->va) {
    c->size += size;
    return PT_CONTINUE;
  }
  w->stopped = flush(w);
  if (w->stopped != 0)
    return PT_STOP;
  *c = (struct render_range){.va = e->va, .pa = pa, .size = size, .attr = attr};
  w->open = true;
  return PT_CONTINUE;
}

int render_ranges_walk(struct machine *m, uint64_t root,
                       int (*fn)(void *ctx, const struct render_range *r), void *ctx) {
  struct walk w = {.fn = fn, .ctx = ctx};
  if (pt_walk(&m->hw.ram, root, add_leaf, &w) == PT_STOP)
    return w.stopped;
  return flush(&w);
}

void render_attr(unsigned attr, char letters[RENDER_ATTR_LEN]) {
  static const char names[] = "rwxugad";
  for (int i = 0; i < 7; i++)
    letters[i] = (attr & (PTE_R << i)) ? names[i] : '-';
  // The cow lab's PTE_COW (bit 8) only where it is set, so other tables read as QEMU's.
  letters[7] = (attr & 0x100) ? 'c' : '\0';
  letters[8] = '\0';
}

struct text_ctx {
  FILE *out;
  bool color;
  struct render_regions rg;
};

static int print_range(void *ctx, const struct render_range *r) {
  struct text_ctx *t = ctx;
  static const enum render_hue hues[] = {HUE_READ, HUE_WRITE, HUE_EXEC, HUE_USER,
                                         HUE_DIM,  HUE_DIM,   HUE_DIM};
  char letters[RENDER_ATTR_LEN];
  render_attr(r->attr, letters);
  long i = render_regions_add(&t->rg, r);
  fprintf(t->out, "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " ", r->va, r->pa, r->size);
  for (int k = 0; letters[k] != '\0'; k++) {
    if (t->color && letters[k] != '-' && k < 7)
      fprintf(t->out, "%s%c%s", render_sgr(true, hues[k]), letters[k],
              render_sgr(true, HUE_RESET));
    else
      fputc(letters[k], t->out);
  }
  fprintf(t->out, " %s\n", render_region_name(&t->rg, i, r));
  return 0;
}

void render_ranges(struct machine *m, const struct render_table *tab, FILE *out, bool color) {
  fputs("vaddr            paddr            size             attr    region\n"
        "---------------- ---------------- ---------------- ------- ------\n",
        out);
  struct text_ctx t = {out, color, {0}};
  render_regions_init(&t.rg, render_table_is_user(m, tab), m->cfg.etext);
  render_ranges_walk(m, tab->root, print_range, &t);
}

struct json_ctx {
  cJSON *array;
  struct render_regions rg;
};

static int add_range(void *ctx, const struct render_range *r) {
  struct json_ctx *j = ctx;
  if (j->rg.n >= (long)RENDER_MAX_ENTRIES)
    return -1;
  cJSON *o = cJSON_CreateObject();
  if (o == NULL)
    return -1;
  char letters[RENDER_ATTR_LEN];
  render_attr(r->attr, letters);
  long i = render_regions_add(&j->rg, r);
  render_json_hex(o, "va", r->va);
  render_json_hex(o, "pa", r->pa);
  render_json_hex(o, "size", r->size);
  cJSON_AddStringToObject(o, "attr", letters);
  cJSON_AddStringToObject(o, "region", render_region_name(&j->rg, i, r));
  cJSON_AddItemToArray(j->array, o);
  return 0;
}

int render_ranges_json(struct machine *m, const struct render_table *tab, cJSON *obj) {
  struct json_ctx j = {.array = cJSON_CreateArray()};
  if (j.array == NULL)
    return -1;
  render_regions_init(&j.rg, render_table_is_user(m, tab), m->cfg.etext);
  if (render_ranges_walk(m, tab->root, add_range, &j) != 0) {
    cJSON_Delete(j.array);
    return -1;
  }
  cJSON_AddItemToObject(obj, "ranges", j.array);
  return 0;
}
