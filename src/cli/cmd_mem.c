// The memory commands: the allocator by hand (free, kalloc, kfree, failat), physical
// memory (peek, poke), the consistency checker and reset.
#include <inttypes.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/tools/check.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"

// The free list's length in pages.
// With the superpage lab's regions (sp->n > 0), the free superpages too.
static void show_free(const struct cmd_view *v, uint64_t nfree, const struct spmem *sp) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "free", (double)nfree);
    if (sp->n > 0)
      cJSON_AddNumberToObject(v->json, "superpages_free", (double)sp->nfree);
  } else if (sp->n > 0) {
    fprintf(v->out, "free: %" PRIu64 " pages, %" PRIu64 " of %" PRIu64 " superpages\n",
            nfree, sp->nfree, sp->n);
  } else {
    fprintf(v->out, "free: %" PRIu64 " pages\n", nfree);
  }
}

struct cmd_result cmd_free(struct cmd_call *c, int argc, char **argv) {
  (void)argc, (void)argv;
  show_free(&c->view, c->m->kmem.nfree, &c->m->spmem);
  return cmd_ok();
}

// pa is 0 when the list was empty.
static void show_kalloc(const struct cmd_view *v, uint64_t pa) {
  if (v->json)
    render_json_hex(v->json, "pa", pa);
  else if (pa == 0)
    fprintf(v->out, "kalloc: 0 (no free page)\n");
  else
    fprintf(v->out, "kalloc: 0x%016" PRIx64 "\n", pa);
}

struct cmd_result cmd_kalloc(struct cmd_call *c, int argc, char **argv) {
  (void)argc, (void)argv;
  uint64_t pa = kmem_kalloc(c->m);
  if (c->m->halted)
    return cmd_sim(SIM_PANIC);
  // The page is the user's now: `check` counts it as held, not leaked.
  if (pa != 0 && check_hold(c->m, pa) != 0)
    return cmd_fail(c, "out of host memory (the page 0x%" PRIx64 " stays taken)", pa);
  show_kalloc(&c->view, pa);
  return cmd_ok();
}

struct cmd_result cmd_kfree(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  uint64_t pa;
  if (arg_u64(c, "PA", argv[1], false, &pa))
    return cmd_error(c);
  int r = kmem_kfree(c->m, pa);
  if (r == SIM_OK)
    check_release(c->m, pa);
  return cmd_sim(r);
}

struct check_result {
  const struct check_report *r;
  const char *why_none; // why pages that are neither free nor owned are not leaks
};

// The checker's report: pages of each kind, then the problems it lists.
static void show_check(const struct cmd_view *v, const struct check_result *res) {
  const struct check_report *r = res->r;
  if (v->json) {
    render_json_hex(v->json, "pool_base", r->pool_base);
    render_json_hex(v->json, "pool_end", r->pool_end);
    cJSON_AddNumberToObject(v->json, "pool_pages", (double)r->npool);
    cJSON *pages = cJSON_AddObjectToObject(v->json, "pages");
    for (int k = 0; k < CHECK_NKINDS; k++)
      cJSON_AddNumberToObject(pages, check_owner_name(k), (double)r->count[k]);
    cJSON_AddBoolToObject(v->json, "leaks_checked", r->leaks_checked);
    if (r->shared > 0) {
      cJSON_AddNumberToObject(v->json, "shared", (double)r->shared);
      cJSON_AddNumberToObject(v->json, "shared_maps", (double)r->shared_maps);
    }
    cJSON_AddNumberToObject(v->json, "nproblems", (double)r->nproblems);
    cJSON *list = cJSON_AddArrayToObject(v->json, "problems");
    for (unsigned i = 0; i < r->nlisted; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "kind", check_problem_name(r->problem[i].kind));
      render_json_hex(o, "pa", r->problem[i].pa);
      cJSON_AddStringToObject(o, "what", r->problem[i].what);
      cJSON_AddItemToArray(list, o);
    }
    return;
  }
  fprintf(v->out, "check: %" PRIu64 " pool pages, 0x%016" PRIx64 "..0x%016" PRIx64 "\n",
          r->npool, r->pool_base, r->pool_end);
  for (int k = CHECK_FREE; k < CHECK_NKINDS; k++) {
    // 2020's drivers take no pages; only the labs' kernels have the kinds after DEVICE.
    if (k < CHECK_DEVICE || r->count[k] != 0)
      fprintf(v->out, "  %-15s %8" PRIu64 "\n", check_owner_name(k), r->count[k]);
  }
  fprintf(v->out, "  %-15s %8" PRIu64 "%s\n", check_owner_name(CHECK_NONE),
          r->count[CHECK_NONE], r->count[CHECK_NONE] ? res->why_none : "");
  if (r->shared > 0)
    fprintf(v->out, "  shared (cow)    %8" PRIu64 " (user pages mapped %" PRIu64 " times)\n",
            r->shared, r->shared_maps);
  for (unsigned i = 0; i < r->nlisted; i++) {
    const struct check_problem *q = &r->problem[i];
    if (q->kind == CHECK_NFREE)
      fprintf(v->out, "  %s: %s\n", check_problem_name(q->kind), q->what);
    else
      fprintf(v->out, "  %s 0x%016" PRIx64 ": %s\n", check_problem_name(q->kind), q->pa,
              q->what);
  }
  if (r->nproblems > r->nlisted)
    fprintf(v->out, "  ... and %" PRIu64 " more\n", r->nproblems - r->nlisted);
  if (r->nproblems == 0)
    fprintf(v->out, "check: no problems\n");
}

// The consistency checker's report. Problems make the command fail (exit status 1), so
// that a trace can assert consistency.
struct cmd_result cmd_check(struct cmd_call *c, int argc, char **argv) {
  (void)argc, (void)argv;
  struct check_report r;
  if (check_machine(c->m, &r) != 0)
    return cmd_fail(c, "out of host memory for the page map");
  const char *why_none = r.leaks_checked ? ""
                         : c->m->halted  ? " (after a panic pages may be in flight)"
                                         : " (before boot the pool is nobody's)";
  show_check(&c->view, &(struct check_result){.r = &r, .why_none = why_none});
  if (r.nproblems > 0)
    return cmd_fail(c, "%" PRIu64 " problem%s (the first: %s)", r.nproblems,
                    r.nproblems == 1 ? "" : "s", check_problem_name(r.problem[0].kind));
  return cmd_ok();
}

// The error for a pa outside simulated RAM, naming RAM's bounds.
static struct cmd_result ram_range_error(struct cmd_call *c, uint64_t pa) {
  return cmd_fail(c, "pa 0x%" PRIx64 " is not in RAM (0x%" PRIx64 "..0x%" PRIx64 ")", pa,
                  c->m->hw.ram.base, machine_phystop(c->m));
}

struct peek_result {
  uint64_t pa;
  unsigned size;
  uint64_t value;
};

// The value read at pa, as many hex digits as its size has.
static void show_peek(const struct cmd_view *v, const struct peek_result *r) {
  if (v->json)
    render_json_hex(v->json, "value", r->value);
  else
    fprintf(v->out, "0x%016" PRIx64 ": 0x%0*" PRIx64 "\n", r->pa, (int)r->size * 2, r->value);
}

struct cmd_result cmd_peek(struct cmd_call *c, int argc, char **argv) {
  struct peek_result shown = {.size = 8};
  if (arg_u64(c, "PA", argv[1], false, &shown.pa) ||
      (argc == 3 && arg_size(c, argv[2], &shown.size)))
    return cmd_error(c);
  if (ram_load(&c->m->hw.ram, shown.pa, shown.size, &shown.value) != 0)
    return ram_range_error(c, shown.pa);
  show_peek(&c->view, &shown);
  return cmd_ok();
}

struct cmd_result cmd_poke(struct cmd_call *c, int argc, char **argv) {
  uint64_t pa, v;
  unsigned size = 8;
  if (arg_u64(c, "PA", argv[1], false, &pa) || arg_u64(c, "VALUE", argv[2], false, &v) ||
      (argc == 4 && arg_size(c, argv[3], &size)))
    return cmd_error(c);
  if (size < 8 && v >> (8 * size) != 0)
    return cmd_fail(c, "VALUE 0x%" PRIx64 " does not fit in %u bytes", v, size);
  if (ram_store(&c->m->hw.ram, pa, size, v) != 0)
    return ram_range_error(c, pa);
  return cmd_ok();
}

struct cmd_result cmd_failat(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  uint64_t n;
  if (strcmp(argv[1], "off") == 0)
    n = 0;
  else if (arg_u64(c, "N", argv[1], false, &n))
    return cmd_error(c);
  else if (n == 0)
    return cmd_fail(c, "N counts from 1 (the next kalloc); 'failat off' turns it off");
  c->m->kmem.failat = n;
  return cmd_ok();
}

struct cmd_result cmd_reset(struct cmd_call *c, int argc, char **argv) {
  (void)argc, (void)argv;
  if (machine_reset(c->m) != 0)
    return cmd_fail(c, "out of host memory for a fresh machine");
  return cmd_ok();
}
