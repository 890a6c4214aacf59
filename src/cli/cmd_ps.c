// The process table and a process's trapframe, as a debugger of xv6 would show them:
// `ps` lists every slot in use, `trapframe PID` decodes the 288-byte struct trapframe
// (kernel/proc.h) from the page the process's trapframe lives in.
#include <inttypes.h>

#include "cmd_priv.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"

// xv6's procstate names, as procdump prints them.
static const char *const state_names[] = {
    [UNUSED] = "unused", [SLEEPING] = "sleep", [RUNNABLE] = "runble",
    [RUNNING] = "run",   [ZOMBIE] = "zombie",
};

// Every slot that holds a process: pid, state, parent, sz, tables, killed, name.
static void show_ps(const struct cmd_view *v, const struct machine *m) {
  cJSON *arr = v->json ? cJSON_AddArrayToObject(v->json, "processes") : NULL;
  bool lab = m->cfg.kpt != KPT_GLOBAL;
  if (arr == NULL)
    fprintf(v->out, "%-5s %-7s %-6s %-10s %-18s %s%-6s %s\n", "pid", "state", "parent", "sz",
            "user table", lab ? "kernel table       " : "", "killed", "name");
  for (int i = 0; i < NPROC; i++) {
    const struct proc *p = &m->proc[i];
    if (p->state == UNUSED)
      continue;
    int parent = p->parent >= 0 ? m->proc[p->parent].pid : 0;
    if (arr != NULL) {
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "pid", p->pid);
      cJSON_AddStringToObject(j, "state", state_names[p->state]);
      if (parent > 0)
        cJSON_AddNumberToObject(j, "parent", parent);
      else
        cJSON_AddNullToObject(j, "parent");
      render_json_hex(j, "sz", p->sz);
      render_json_hex(j, "pagetable", p->pagetable);
      if (lab)
        render_json_hex(j, "kpagetable", p->kpagetable);
      cJSON_AddBoolToObject(j, "killed", p->killed != 0);
      cJSON_AddStringToObject(j, "name", p->name);
      cJSON_AddItemToArray(arr, j);
      continue;
    }
    char par[12] = "-";
    if (parent > 0)
      snprintf(par, sizeof(par), "%d", parent);
    fprintf(v->out, "%-5d %-7s %-6s 0x%-8" PRIx64 " 0x%016" PRIx64 " ", p->pid,
            state_names[p->state], par, p->sz, p->pagetable);
    if (lab)
      fprintf(v->out, "0x%016" PRIx64 " ", p->kpagetable);
    fprintf(v->out, "%-6s %s\n", p->killed ? "yes" : "no", p->name);
  }
}

struct cmd_result cmd_ps(struct cmd_call *c, int argc, char **argv) {
  (void)argc, (void)argv;
  show_ps(&c->view, c->m);
  return cmd_ok();
}

// struct trapframe's fields in order, 8 bytes each from offset 0.
static const char *const tf_fields[] = {
    "kernel_satp", "kernel_sp", "kernel_trap", "epc", "kernel_hartid", "ra", "sp", "gp",
    "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
    "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};
#define TF_NFIELDS (sizeof(tf_fields) / sizeof(tf_fields[0]))
_Static_assert(TF_NFIELDS * 8 == TRAPFRAME_SIZE, "struct trapframe is 288 bytes");
_Static_assert(TF_EPC == 3 * 8 && TF_SP == 6 * 8 && TF_A0 == 14 * 8, "field offsets");

struct trapframe_result {
  int pid;
  uint64_t pa;                  // the trapframe's page
  uint64_t field[TF_NFIELDS];
};

// The trapframe's fields, four to a line in text. The kernel_* fields are those
// usertrapret writes before every return to user space, which sv39sim does not run: they
// read as whatever the page held (kalloc's 0x05 fill until something wrote them).
static void show_trapframe(const struct cmd_view *v, const struct trapframe_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "pid", r->pid);
    render_json_hex(v->json, "pa", r->pa);
    cJSON *o = cJSON_AddObjectToObject(v->json, "trapframe");
    for (size_t i = 0; i < TF_NFIELDS; i++)
      render_json_hex(o, tf_fields[i], r->field[i]);
    return;
  }
  fprintf(v->out, "trapframe of pid %d at pa 0x%016" PRIx64 " (va 0x%016" PRIx64 "):\n",
          r->pid, r->pa, (uint64_t)TRAPFRAME);
  for (size_t i = 0; i < TF_NFIELDS; i++)
    fprintf(v->out, "%s%13s 0x%016" PRIx64 "%s", i % 3 == 0 ? "" : "  ", tf_fields[i],
            r->field[i], i % 3 == 2 || i + 1 == TF_NFIELDS ? "\n" : "");
}

struct cmd_result cmd_trapframe(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int slot;
  if (arg_booted(c) || arg_proc(c, argv[1], &slot))
    return cmd_error(c);
  const struct proc *p = &c->m->proc[slot];
  if (p->trapframe == 0)
    return cmd_fail(c, "pid %d has no trapframe", p->pid);
  struct trapframe_result r = {.pid = p->pid, .pa = p->trapframe};
  for (size_t i = 0; i < TF_NFIELDS; i++)
    ram_load(&c->m->hw.ram, p->trapframe + 8 * i, 8, &r.field[i]);
  show_trapframe(&c->view, &r);
  return cmd_ok();
}
