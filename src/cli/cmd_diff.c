// diff TABLE CMD...: snapshot the table (tools/diff.h), run CMD as a line of its own (its
// output, errors and JSON line appear as usual), snapshot the table the same words name
// afterwards, and show what changed: PTEs added, removed, changed, table pages gained and
// lost. The words are PID [user|kernel], kernel or satp, as the views take them.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/tools/diff.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"

#define COMMAND_MAX 256 // of the command's words as the result echoes them

// What diff shows: the table before (t), its root after (0 when gone), the command.
struct diff_show {
  const struct render_table *t;
  uint64_t new_root;
  bool gone;
  const char *why_gone;
  const char *command;
  const struct diff_result *r;
};

static const char *const kind_names[] = {"added", "removed", "changed"};

// pte decoded as the views show a PTE: a leaf's page and rwxugad letters (ranges', dot's),
// a pointer's table.
static void put_pte(FILE *out, uint64_t pte) {
  char letters[16];
  render_attr((unsigned)(pte & 0x3ff), letters);
  fprintf(out, "%s 0x%016" PRIx64 " %s", PTE_LEAF(pte) ? "pa" : "table", PTE2PA(pte),
          letters);
}

// The same as an object {"pte", "pa", "leaf", "attr"}.
static cJSON *json_pte(uint64_t pte) {
  char letters[16];
  render_attr((unsigned)(pte & 0x3ff), letters);
  cJSON *o = cJSON_CreateObject();
  render_json_hex(o, "pte", pte);
  render_json_hex(o, "pa", PTE2PA(pte));
  cJSON_AddBoolToObject(o, "leaf", PTE_LEAF(pte));
  cJSON_AddStringToObject(o, "attr", letters);
  return o;
}

static void show_diff_json(const struct cmd_view *v, const struct diff_show *d) {
  const struct diff_result *r = d->r;
  if (d->t->pid > 0)
    cJSON_AddNumberToObject(v->json, "pid", d->t->pid);
  else
    cJSON_AddNullToObject(v->json, "pid");
  cJSON_AddStringToObject(v->json, "table", d->t->which);
  cJSON_AddStringToObject(v->json, "command", d->command);
  render_json_hex(v->json, "root", d->t->root);
  if (d->gone)
    cJSON_AddNullToObject(v->json, "new_root");
  else
    render_json_hex(v->json, "new_root", d->new_root);
  cJSON_AddBoolToObject(v->json, "gone", d->gone);
  cJSON *arr = cJSON_AddArrayToObject(v->json, "changes");
  for (size_t i = 0; i < r->n; i++) {
    const struct diff_change *c = &r->c[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "change", kind_names[c->kind]);
    render_json_hex(o, "va", c->va);
    cJSON_AddNumberToObject(o, "level", c->level);
    if (c->kind != DIFF_ADDED)
      cJSON_AddItemToObject(o, "old", json_pte(c->old_pte));
    if (c->kind != DIFF_REMOVED)
      cJSON_AddItemToObject(o, "new", json_pte(c->new_pte));
    cJSON_AddItemToArray(arr, o);
  }
  arr = cJSON_AddArrayToObject(v->json, "pages_gained");
  for (size_t i = 0; i < r->ngained; i++) {
    cJSON *o = cJSON_CreateObject();
    render_json_hex(o, "pa", r->gained[i]);
    cJSON_AddItemToArray(arr, o);
  }
  arr = cJSON_AddArrayToObject(v->json, "pages_lost");
  for (size_t i = 0; i < r->nlost; i++) {
    cJSON *o = cJSON_CreateObject();
    render_json_hex(o, "pa", r->lost[i].pa);
    cJSON_AddBoolToObject(o, "freed", r->lost[i].freed);
    cJSON_AddItemToArray(arr, o);
  }
}

// A header line (the table, its counts), then one line per PTE and per table page.
static void show_diff(const struct cmd_view *v, const struct diff_show *d) {
  if (v->json) {
    show_diff_json(v, d);
    return;
  }
  const struct diff_result *r = d->r;
  FILE *out = v->out;
  fputs("diff ", out);
  if (d->t->pid > 0)
    fprintf(out, "pid %d ", d->t->pid);
  fprintf(out, "%s table 0x%016" PRIx64, d->t->which, d->t->root);
  if (d->gone)
    fprintf(out, ": gone (%s)", d->why_gone);
  else if (d->new_root != d->t->root)
    fprintf(out, " -> 0x%016" PRIx64, d->new_root);
  if (r->n == 0 && r->ngained == 0 && r->nlost == 0) {
    fputs(d->gone ? "\n" : ": no change\n", out);
    return;
  }
  fprintf(out, "%s %zu added, %zu removed, %zu changed; %zu table page%s gained, %zu lost\n",
          d->gone ? ";" : ":", r->nadded, r->nremoved, r->nchanged, r->ngained,
          r->ngained == 1 ? "" : "s", r->nlost);
  static const char marks[] = "+-~";
  for (size_t i = 0; i < r->n; i++) {
    const struct diff_change *c = &r->c[i];
    fprintf(out, "  %c va 0x%016" PRIx64 " level %d: ", marks[c->kind], c->va, c->level);
    put_pte(out, c->kind == DIFF_ADDED ? c->new_pte : c->old_pte);
    if (c->kind == DIFF_CHANGED) {
      fputs(" -> ", out);
      put_pte(out, c->new_pte);
    }
    fputc('\n', out);
  }
  for (size_t i = 0; i < r->ngained; i++)
    fprintf(out, "  + table page 0x%016" PRIx64 "\n", r->gained[i]);
  for (size_t i = 0; i < r->nlost; i++)
    fprintf(out, "  - table page 0x%016" PRIx64 " (%s)\n", r->lost[i].pa,
            r->lost[i].freed ? "freed" : "not freed");
}

// How many of argv's words name the table (with "diff"): 2 for kernel, satp or a PID
// alone, 3 for PID user|kernel.
static int table_words(int argc, char **argv) {
  if (strcmp(argv[1], "kernel") == 0 || strcmp(argv[1], "satp") == 0)
    return 2;
  if (argc > 2 && (strcmp(argv[2], "user") == 0 || strcmp(argv[2], "kernel") == 0))
    return 3;
  return 2;
}

// The root of the table t names now, after the command; 0 with *why set when it is gone.
static uint64_t root_now(const struct machine *m, const struct render_table *t,
                         const char **why) {
  if (strcmp(t->which, "satp") == 0 && t->pid < 0) {
    *why = "satp is not in Sv39 mode";
    uint64_t satp = m->hw.hart.satp;
    return SATP_MODE(satp) == SATP_MODE(SATP_SV39) ? SATP_ROOT(satp) : 0;
  }
  *why = "the machine has no kernel table";
  if (t->pid < 0)
    return m->kernel_pagetable;
  *why = "the process was freed";
  int slot = proc_slot(m, t->pid);
  if (slot < 0) // in global mode a process's kernel table is the kernel's, and outlives it
    return strcmp(t->which, "kernel") == 0 && t->root == m->kernel_pagetable ? t->root : 0;
  const struct proc *p = &m->proc[slot];
  if (strcmp(t->which, "user") == 0)
    return p->pagetable;
  return p->kpagetable ? p->kpagetable : m->kernel_pagetable;
}

// argv's words from i on, joined by spaces, into buf (cut at len).
static void join_words(int argc, char **argv, int i, char *buf, size_t len) {
  size_t at = 0;
  buf[0] = '\0';
  for (; i < argc && at + 1 < len; i++)
    at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? " " : "", argv[i]);
}

struct cmd_result cmd_diff(struct cmd_call *c, int argc, char **argv) {
  int n = table_words(argc, argv);
  if (argc <= n)
    return cmd_fail(c, "usage: diff PID [user|kernel] COMMAND... | kernel COMMAND... | "
                    "satp COMMAND... (no command after the table)");
  struct render_table t;
  if (arg_table(c, n, argv, &t))
    return cmd_error(c);
  struct diff_snap before, after;
  if (diff_snapshot(c->m, t.root, &before) != 0)
    return cmd_fail(c, "the table has more than %lu PTEs, or the host is out of memory",
                    (unsigned long)DIFF_MAX_ENTRIES);
  enum cmd_status st = cmd_run_argv(c->s, argc - n, argv + n);
  const char *why;
  uint64_t root = root_now(c->m, &t, &why);
  bool gone = root == 0;
  if (!gone && diff_snapshot(c->m, root, &after) != 0) {
    diff_snap_free(&before);
    return cmd_fail(c, "the table after '%s' has more than %lu PTEs, or the host is out of "
                    "memory", argv[n], (unsigned long)DIFF_MAX_ENTRIES);
  }
  struct diff_result r;
  int bad = diff_compare(c->m, &before, gone ? NULL : &after, &r);
  diff_snap_free(&before);
  if (!gone)
    diff_snap_free(&after);
  if (bad)
    return cmd_fail(c, "out of host memory");
  char command[COMMAND_MAX];
  join_words(argc, argv, n, command, sizeof(command));
  show_diff(&c->view, &(struct diff_show){.t = &t, .new_root = root, .gone = gone,
                                          .why_gone = why, .command = command, .r = &r});
  diff_result_free(&r);
  // The command's own failure was reported on its line; the trace fails as it would have.
  if (st == CMD_ERROR)
    return cmd_fail(c, "'%s' failed (its message is above)", argv[n]);
  return cmd_ok();
}
