// The page-fault commands: touch (a process's own U-mode access, trapping to usertrap as
// the kernel's lab or stock code does) and 2025's sbrklazy.
#include <inttypes.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/xv6/lazy.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/trap.h"

static const char *const touch_access[] = {"r", "w", "x"};

static const char *const action_names[] = {
    [TRAP_NONE] = "none",   [TRAP_COUNTED] = "counted", [TRAP_LAZY] = "lazy",
    [TRAP_COW] = "cow",     [TRAP_DEMAND] = "demand",   [TRAP_KILLED] = "killed"};

struct touch_result {
  int pid;
  struct trap_touch t;
  struct fault_stats counts; // the process's, after the touch
};

// What usertrap did, as JSON object key of o.
static void json_trap(cJSON *o, const char *key, const struct trap_outcome *tr) {
  cJSON *j = cJSON_AddObjectToObject(o, key);
  cJSON_AddStringToObject(j, "action", action_names[tr->action]);
  if (tr->action == TRAP_LAZY || tr->action == TRAP_COW || tr->action == TRAP_DEMAND)
    render_json_hex(j, "new_pa", tr->new_pa);
  if (tr->action == TRAP_COW)
    render_json_hex(j, "old_pa", tr->old_pa);
  if (tr->action == TRAP_KILLED)
    cJSON_AddStringToObject(j, "why", tr->why);
  cJSON *console = cJSON_AddArrayToObject(j, "console");
  for (int i = 0; i < 2; i++) {
    if (tr->msg[i][0] != '\0')
      cJSON_AddItemToArray(console, cJSON_CreateString(tr->msg[i]));
  }
}

// What usertrap did, as text: the console's lines as xv6 prints them, then a line of ours.
static void text_trap(FILE *out, int pid, uint64_t va, const struct trap_outcome *tr) {
  for (int i = 0; i < 2; i++) {
    if (tr->msg[i][0] != '\0')
      fprintf(out, "%s\n", tr->msg[i]);
  }
  uint64_t va0 = PGROUNDDOWN(va);
  switch (tr->action) {
  case TRAP_LAZY:
    fprintf(out, "  usertrap: lazy allocation: zeroed pa 0x%016" PRIx64 " mapped at va 0x%"
            PRIx64 "\n", tr->new_pa, va0);
    break;
  case TRAP_COW:
    fprintf(out, "  usertrap: copy-on-write: pa 0x%016" PRIx64 " copied to pa 0x%016" PRIx64
            ", mapped writable at va 0x%" PRIx64 "\n", tr->old_pa, tr->new_pa, va0);
    break;
  case TRAP_DEMAND:
    fprintf(out, "  usertrap: demand fault: zeroed pa 0x%016" PRIx64 " mapped at va 0x%"
            PRIx64 " (rwxu)\n", tr->new_pa, va0);
    break;
  case TRAP_KILLED:
    fprintf(out, "  usertrap: pid %d killed (%s): exit(-1)\n", pid, tr->why);
    break;
  default:
    break;
  }
}

// One attempt's TLB outcome and fault, or its pa, as text.
static void text_attempt(FILE *out, bool hit, bool faulted, const struct fault *f, bool ok,
                         uint64_t pa) {
  fprintf(out, "tlb %s", hit ? "hit" : "miss");
  if (faulted)
    fprintf(out, ", %s (cause %d) at 0x%" PRIx64 ": %s\n", mmu_cause_name(f->cause), f->cause,
            f->tval, mmu_rule_name(f->rule));
  else if (ok)
    fprintf(out, ", pa 0x%016" PRIx64 "\n", pa);
  else
    fputc('\n', out);
}

// The access, what the trap did, the retry and where it ended.
static void show_touch(const struct cmd_view *v, const struct touch_result *r) {
  const struct trap_touch *t = &r->t;
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "pid", r->pid);
    render_json_hex(v->json, "va", t->va);
    cJSON_AddStringToObject(v->json, "access", touch_access[t->acc]);
    cJSON_AddBoolToObject(v->json, "hit", t->hit);
    if (t->faulted) {
      cmd_json_fault(v->json, "fault", &t->f);
      json_trap(v->json, "trap", &t->trap);
    }
    if (t->retried) {
      cJSON *j = cJSON_AddObjectToObject(v->json, "retry");
      cJSON_AddBoolToObject(j, "hit", t->retry_hit);
      if (t->retry_faulted) {
        cmd_json_fault(j, "fault", &t->f2);
        json_trap(j, "trap", &t->trap2);
      }
    }
    cJSON_AddBoolToObject(v->json, "done", t->ok);
    if (t->ok)
      render_json_hex(v->json, "pa", t->pa);
    cJSON_AddNumberToObject(v->json, "flushes", t->flushes);
    cJSON_AddNumberToObject(v->json, "cow_copies", (double)r->counts.cow_copies);
    cJSON_AddNumberToObject(v->json, "lazy_allocs", (double)r->counts.lazy_allocs);
    cJSON_AddNumberToObject(v->json, "demand_faults", (double)r->counts.demand_faults);
    return;
  }
  fprintf(v->out, "touch: pid %d %s 0x%" PRIx64 ": ", r->pid, touch_access[t->acc], t->va);
  text_attempt(v->out, t->hit, t->faulted, &t->f, t->ok && !t->retried, t->pa);
  if (t->faulted)
    text_trap(v->out, r->pid, t->va, &t->trap);
  if (t->retried) {
    fputs("  retry: ", v->out);
    text_attempt(v->out, t->retry_hit, t->retry_faulted, &t->f2, t->ok, t->pa);
    if (t->retry_faulted)
      text_trap(v->out, r->pid, t->va, &t->trap2);
  }
  fprintf(v->out, "  %u tlb flushes; pid %d: cow copies %" PRIu64 ", lazy allocations %" PRIu64
          ", demand faults %" PRIu64 "\n", t->flushes, r->pid, r->counts.cow_copies,
          r->counts.lazy_allocs, r->counts.demand_faults);
}

struct cmd_result cmd_touch(struct cmd_call *c, int argc, char **argv) {
  int slot;
  uint64_t va;
  enum access acc = ACC_R;
  bool demand = false;
  if (arg_live(c, argv[1], &slot) || arg_user_mode(c, slot) || arg_va(c, argv[2], &va))
    return cmd_error(c);
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--demand") == 0 && !demand)
      demand = true;
    else if (i == 3 && arg_access(c, argv[i], &acc))
      return cmd_error(c);
    else if (i != 3)
      return cmd_fail(c, "'%s': want r, w or x, then --demand", argv[i]);
  }
  struct touch_result shown = {.pid = c->m->proc[slot].pid};
  int r = trap_touch(c->m, slot, va, acc, demand, &shown.t);
  if (r == SIM_PANIC) {
    // What usertrap printed before the exit that panicked (init killed) is on the console.
    cJSON *console = c->view.json ? cJSON_AddArrayToObject(c->view.json, "console") : NULL;
    for (int i = 0; i < 2; i++) {
      if (shown.t.trap.msg[i][0] == '\0')
        continue;
      if (console != NULL)
        cJSON_AddItemToArray(console, cJSON_CreateString(shown.t.trap.msg[i]));
      else
        fprintf(c->view.out, "%s\n", shown.t.trap.msg[i]);
    }
  }
  if (r != SIM_OK)
    return cmd_sim(r);
  shown.counts = c->m->fault_per[slot];
  show_touch(&c->view, &shown);
  return cmd_ok();
}

struct sbrklazy_result {
  int pid;
  int64_t n;
  int64_t ret;
  uint64_t sz;
};

// What sys_sbrk returned and the size now.
static void show_sbrklazy(const struct cmd_view *v, const struct sbrklazy_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "ret", (double)r->ret);
    render_json_hex(v->json, "sz", r->sz);
  } else if (r->ret < 0) {
    fprintf(v->out, "sbrklazy: pid %d: sbrk returns -1, sz stays 0x%" PRIx64 "\n", r->pid,
            r->sz);
  } else {
    fprintf(v->out, "sbrklazy: pid %d: old size 0x%" PRIx64 ", sz now 0x%" PRIx64 "%s\n",
            r->pid, (uint64_t)r->ret, r->sz, r->n > 0 ? " (nothing allocated)" : "");
  }
}

struct cmd_result cmd_sbrklazy(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int slot;
  int64_t n;
  if (arg_live(c, argv[1], &slot))
    return cmd_error(c);
  if (!c->m->cfg.edition->vmfault)
    return cmd_fail(c, "sbrklazy is sys_sbrk's SBRK_LAZY, which %s does not have (2025 on)",
                    c->m->cfg.edition->name);
  if (cmd_parse_i64(argv[2], true, &n) != 0 || n < INT32_MIN || n > INT32_MAX)
    return cmd_fail(c, "N: '%s' is not an int (sbrk's argument is 32-bit)", argv[2]);
  struct sbrklazy_result shown = {.pid = c->m->proc[slot].pid, .n = n};
  int r = lazy_sbrklazy(c->m, slot, (int32_t)n, &shown.ret);
  if (r == SIM_PANIC)
    return cmd_sim(r);
  shown.sz = c->m->proc[slot].sz;
  show_sbrklazy(&c->view, &shown);
  return cmd_ok();
}
