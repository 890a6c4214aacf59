// The page-table lab's system calls (lab pgtbl, 6.1810): pgaccess.
#include <inttypes.h>

#include "cmd_priv.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/pgtbl.h"
#include "sv39sim/xv6/proc.h"

struct pgaccess_result {
  int pid;
  uint64_t va;
  int n;
  int ret;       // sys_pgaccess's return value
  uint64_t mask; // the bitmask copied out: bit i for page i, its A bit before clearing
};

// The bitmask, and which pages' A bits were cleared.
static void show_pgaccess(const struct cmd_view *v, const struct pgaccess_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "ret", r->ret);
    render_json_hex(v->json, "va", r->va);
    cJSON_AddNumberToObject(v->json, "n", r->n);
    render_json_hex(v->json, "mask", r->mask);
    return;
  }
  if (r->ret != 0) {
    fprintf(v->out, "pgaccess: pid %d: pgaccess returns -1 (N is 0..%d)\n", r->pid,
            PGACCESS_MAX);
    return;
  }
  fprintf(v->out, "pgaccess: pid %d: mask 0x%" PRIx64, r->pid, r->mask);
  const char *sep = ", PTE_A cleared at ";
  for (int i = 0; i < r->n; i++) {
    if (r->mask >> i & 1) {
      fprintf(v->out, "%s0x%" PRIx64, sep, r->va + (uint64_t)i * 4096);
      sep = " ";
    }
  }
  fputc('\n', v->out);
}

struct cmd_result cmd_pgaccess(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int slot, n;
  uint64_t va;
  const struct xv6_edition *ed = c->m->cfg.edition;
  if (!ed->pgtbl_pgaccess)
    return cmd_fail(c, "pgaccess is the pgtbl lab's system call in fall 2021-2023; %s's "
                    "lab has superpages instead", ed->name);
  if (!pgtbl_on(c->m))
    return cmd_fail(c, "pgaccess is the pgtbl lab's system call: 'lab pgtbl' before boot");
  if (arg_live(c, argv[1], &slot) || arg_va(c, argv[2], &va) ||
      arg_int(c, "N", argv[3], &n))
    return cmd_error(c);
  struct pgaccess_result shown = {.pid = c->m->proc[slot].pid, .va = va, .n = n};
  int r = pgtbl_pgaccess(c->m, slot, va, n, &shown.mask, &shown.ret);
  if (r != SIM_OK)
    return cmd_sim(r);
  proc_tf_write(c->m, slot, TF_A0, (uint64_t)(int64_t)shown.ret);
  show_pgaccess(&c->view, &shown);
  return cmd_ok();
}
