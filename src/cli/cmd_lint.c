// lint PID [user|kernel] | kernel | satp: a reviewer's checks of one table (tools/lint.h),
// each finding with its va, level and rule; the command fails (exit status 1) when it
// finds any, as check does.
#include <inttypes.h>

#include "cmd_priv.h"
#include "sv39sim/tools/lint.h"
#include "sv39sim/xv6/machine.h"

// Which kind of table root is, and whose, as its place in the machine says.
static enum lint_kind kind_of(const struct machine *m, uint64_t root, int *slot) {
  *slot = -1;
  if (root == m->kernel_pagetable)
    return LINT_KERNEL_TABLE;
  for (int i = 0; i < NPROC; i++) {
    const struct proc *p = &m->proc[i];
    if (p->state == UNUSED)
      continue;
    *slot = i;
    if (root == p->pagetable)
      return LINT_USER_TABLE;
    if (root == p->kpagetable)
      return LINT_KERNEL_TABLE;
  }
  *slot = -1;
  return LINT_ANY_TABLE;
}

// The findings: one line each (or a JSON array), then "no findings" when there are none.
static void show_lint(const struct cmd_view *v, const struct render_table *t,
                      const struct lint_report *r) {
  static const char *const kinds[] = {"user", "kernel", "unknown"};
  if (v->json) {
    render_json_hex(v->json, "root", r->root);
    cJSON_AddStringToObject(v->json, "kind", kinds[r->kind]);
    cJSON_AddNumberToObject(v->json, "nfound", r->nfound);
    cJSON *arr = cJSON_AddArrayToObject(v->json, "findings");
    for (unsigned i = 0; i < r->nlisted; i++) {
      const struct lint_finding *f = &r->f[i];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "rule", lint_rule_name(f->rule));
      render_json_hex(o, "va", f->va);
      cJSON_AddNumberToObject(o, "level", f->level);
      render_json_hex(o, "pte", f->pte);
      cJSON_AddStringToObject(o, "what", f->what);
      cJSON_AddItemToArray(arr, o);
    }
    return;
  }
  if (t->pid > 0)
    fprintf(v->out, "lint pid %d %s table 0x%016" PRIx64 ":", t->pid, t->which, r->root);
  else
    fprintf(v->out, "lint %s table 0x%016" PRIx64 " (%s):", t->which, r->root,
            kinds[r->kind]);
  fprintf(v->out, r->nfound == 0 ? " no findings\n" : "\n");
  for (unsigned i = 0; i < r->nlisted; i++) {
    const struct lint_finding *f = &r->f[i];
    fprintf(v->out, "  %s: va 0x%016" PRIx64, lint_rule_name(f->rule), f->va);
    if (f->level >= 0)
      fprintf(v->out, " level %d pte 0x%016" PRIx64, f->level, f->pte);
    fprintf(v->out, ": %s\n", f->what);
  }
  if (r->nfound > r->nlisted)
    fprintf(v->out, "  ... and %u more\n", r->nfound - r->nlisted);
}

struct cmd_result cmd_lint(struct cmd_call *c, int argc, char **argv) {
  struct render_table t;
  if (arg_table(c, argc, argv, &t))
    return cmd_error(c);
  int slot;
  enum lint_kind kind = kind_of(c->m, t.root, &slot);
  struct lint_report r;
  if (lint_table(c->m, t.root, kind, slot, &r) != 0)
    return cmd_fail(c, "out of host memory");
  show_lint(&c->view, &t, &r);
  if (r.nfound > 0)
    return cmd_fail(c, "%u finding%s (the first: %s)", r.nfound, r.nfound == 1 ? "" : "s",
                    lint_rule_name(r.f[0].rule));
  return cmd_ok();
}
