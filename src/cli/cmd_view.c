// The page-table views: vmprint, json, dot and ranges. Each names its table with the same
// words (arg_table); the result is that table, and its show_ function is the view layer's
// renderer for text or for JSON.
#include <stdlib.h>
#include <string.h>

#include "cmd_priv.h"

// The views' one error: ranges --json refuses tables beyond RENDER_MAX_ENTRIES.
static struct cmd_result too_big(struct cmd_call *c) {
  return cmd_fail(c, "the table has more than %lu ranges, or the host is out of memory "
                  "('ranges' lists any table)", RENDER_MAX_ENTRIES);
}

// With --json the tree as `json` gives it, streamed as the command's whole line; xv6's
// text otherwise. Returns 0, or -2 when the host is out of memory (nothing written).
static int show_vmprint(struct cmd_view *v, struct machine *m, const struct render_table *t) {
  if (v->json) {
    if (render_json_stream(m, t, v->json, false, v->out) != 0)
      return -2;
    v->streamed = true;
    return 0;
  }
  render_vmprint(m, t->root, v->out);
  return 0;
}

// The tree as JSON, streamed: with --json as the command's whole line, in text mode
// indented for reading. Returns 0, or -2 (out of host memory, nothing written).
static int show_json(struct cmd_view *v, struct machine *m, const struct render_table *t) {
  if (v->json)
    return show_vmprint(v, m, t);
  cJSON *head = cJSON_CreateObject();
  int r = head == NULL ? -1 : render_json_stream(m, t, head, true, v->out);
  cJSON_Delete(head);
  return r != 0 ? -2 : 0;
}

// The Graphviz text, or with --json the same text as the string "dot" in the command's
// line, with the pid and the walk's va it echoes; both streamed. Returns 0, or -2 (out of
// host memory, nothing written).
static int show_dot(struct cmd_view *v, struct machine *m, const struct render_table *t) {
  if (!v->json)
    return render_dot(m, t, v->out) != 0 ? -2 : 0;
  if (t->pid > 0)
    cJSON_AddNumberToObject(v->json, "pid", t->pid);
  if (t->walk)
    render_json_hex(v->json, "va", t->walk_va);
  if (render_dot_json(m, t, v->json, v->out) != 0)
    return -2;
  v->streamed = true;
  return 0;
}

// QEMU's `info mem`, or with --json its "ranges" array. Returns 0, or -1.
static int show_ranges(struct cmd_view *v, struct machine *m,
                       const struct render_table *t) {
  if (v->json)
    return render_ranges_json(m, t, v->json);
  render_ranges(m, t, v->out, v->color);
  return 0;
}

// Name the table, then show it.
static struct cmd_result view_cmd(struct cmd_call *c, int argc, char **argv,
                                  int (*show)(struct cmd_view *, struct machine *,
                                              const struct render_table *)) {
  struct render_table t = {0};
  if (arg_table(c, argc, argv, &t))
    return cmd_error(c);
  int r = show(&c->view, c->m, &t);
  if (r == -2)
    return cmd_fail(c, "out of host memory");
  return r != 0 ? too_big(c) : cmd_ok();
}

struct cmd_result cmd_vmprint(struct cmd_call *c, int argc, char **argv) {
  return view_cmd(c, argc, argv, show_vmprint);
}

struct cmd_result cmd_json(struct cmd_call *c, int argc, char **argv) {
  return view_cmd(c, argc, argv, show_json);
}

// After the table's words, "expand" draws each user page on its own, and "walk VA"
// draws VA's translation path red (render_table).
struct cmd_result cmd_dot(struct cmd_call *c, int argc, char **argv) {
  uint64_t va = 0;
  bool walk = argc > 3 && strcmp(argv[argc - 2], "walk") == 0;
  if (walk && arg_va(c, argv[argc - 1], &va))
    return cmd_error(c);
  argc -= walk ? 2 : 0;
  bool expand = argc > 2 && strcmp(argv[argc - 1], "expand") == 0;
  struct render_table t = {0};
  if (arg_table(c, argc - expand, argv, &t))
    return cmd_error(c);
  t.expand = expand;
  t.walk = walk;
  t.walk_va = va < (1ULL << 39) ? va_canonical(va) : va; // xv6 writes 0x3ffffff000
  int r = show_dot(&c->view, c->m, &t);
  if (r == -2)
    return cmd_fail(c, "out of host memory");
  return r != 0 ? too_big(c) : cmd_ok();
}

struct cmd_result cmd_ranges(struct cmd_call *c, int argc, char **argv) {
  return view_cmd(c, argc, argv, show_ranges);
}
