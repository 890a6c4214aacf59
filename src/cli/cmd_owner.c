// owner PA: what a physical page is now (check's words), who maps it, and which event of
// the allocation log handed it out.
#include <inttypes.h>

#include "cmd_priv.h"
#include "sv39sim/tools/owner.h"
#include "sv39sim/xv6/machine.h"

// The page's kind and words; a table page's level and va range; every leaf that maps it;
// the allocating event.
static void show_owner(const struct cmd_view *v, const struct owner_report *r) {
  char flags[CMD_FLAGS_LEN];
  if (v->json) {
    render_json_hex(v->json, "pa", r->pa);
    cJSON_AddStringToObject(v->json, "kind", owner_kind_name(r));
    cJSON_AddStringToObject(v->json, "what", r->what);
    if (r->level >= 0) {
      cJSON_AddNumberToObject(v->json, "level", r->level);
      render_json_hex(v->json, "va_lo", r->va_lo);
      render_json_hex(v->json, "va_hi", r->va_hi);
    }
    if (r->kind == OWNER_POOL && r->pool_kind == CHECK_FREE)
      cJSON_AddNumberToObject(v->json, "free_position", (double)r->free_pos);
    if (r->seq != 0)
      cJSON_AddNumberToObject(v->json, "seq", (double)r->seq);
    cJSON *arr = cJSON_AddArrayToObject(v->json, "mappers");
    for (unsigned i = 0; i < r->nmappers; i++) {
      const struct owner_mapper *mp = &r->mapper[i];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "table", mp->table);
      if (mp->pid > 0)
        cJSON_AddNumberToObject(o, "pid", mp->pid);
      render_json_hex(o, "va", mp->va);
      render_json_hex(o, "pte", mp->pte);
      cmd_flag_letters(mp->pte, flags);
      cJSON_AddStringToObject(o, "flags", flags);
      cJSON_AddItemToArray(arr, o);
    }
    return;
  }
  fprintf(v->out, "owner 0x%016" PRIx64 ": %s: %s\n", r->pa, owner_kind_name(r), r->what);
  if (r->level >= 0)
    fprintf(v->out, "  level %d, va 0x%016" PRIx64 "..0x%016" PRIx64 "\n", r->level,
            r->va_lo, r->va_hi);
  for (unsigned i = 0; i < r->nmappers; i++) {
    const struct owner_mapper *mp = &r->mapper[i];
    cmd_flag_letters(mp->pte, flags);
    fprintf(v->out, "  mapped by %s at va 0x%016" PRIx64 ": pte 0x%016" PRIx64 " %s\n",
            mp->table, mp->va, mp->pte, flags);
  }
  if (r->seq != 0)
    fprintf(v->out, "  %sallocated by event %" PRIu64 " of the log\n",
            r->pool_kind == CHECK_FREE ? "last " : "", r->seq);
  else if (r->kind == OWNER_POOL)
    fprintf(v->out, "  allocated by no event of the log (free since kinit)\n");
}

struct cmd_result cmd_owner(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  uint64_t pa;
  if (arg_u64(c, "PA", argv[1], false, &pa))
    return cmd_error(c);
  struct owner_report r;
  owner_of(c->m, pa, &r);
  show_owner(&c->view, &r);
  return cmd_ok();
}
