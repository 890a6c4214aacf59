// The page-table views: vmprint, json, dot and ranges. Each names its table with the same
// words (arg_table); the result is that table, and its show_ function is the view layer's
// renderer for text or for JSON.
#include <stdlib.h>

#include "cmd_priv.h"

// The views' one error: the renderers refuse trees beyond RENDER_MAX_ENTRIES.
static struct cmd_result too_big(struct cmd_call *c) {
  return cmd_fail(c, "the table has more than %lu valid PTEs (json) or ranges (dot), or the "
                  "host is out of memory ('ranges' lists any table)", RENDER_MAX_ENTRIES);
}

// With --json the tree, as `json` gives it; xv6's text otherwise. Returns 0, or -1 when
// the tree is too big.
static int show_vmprint(const struct cmd_view *v, struct machine *m,
                        const struct render_table *t) {
  if (v->json)
    return render_json_pagetable(m, t, v->json);
  render_vmprint(m, t->root, v->out);
  return 0;
}

// The tree as JSON; in text mode printed indented for reading. Returns 0, -1 (too big)
// or -2 (out of host memory for the text).
static int show_json(const struct cmd_view *v, struct machine *m, const struct render_table *t) {
  if (v->json)
    return render_json_pagetable(m, t, v->json);
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || render_json_pagetable(m, t, o) != 0) {
    cJSON_Delete(o);
    return -1;
  }
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (text == NULL)
    return -2;
  fprintf(v->out, "%s\n", text);
  cJSON_free(text);
  return 0;
}

// The Graphviz text, or with --json the same text as the string "dot". Returns 0, -1
// (too big) or -2 (out of host memory for the string).
static int show_dot(const struct cmd_view *v, struct machine *m, const struct render_table *t) {
  if (!v->json)
    return render_dot(m, t, v->out);
  char *text = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&text, &n);
  if (mem == NULL)
    return -2;
  int r = render_dot(m, t, mem);
  if (fclose(mem) != 0)
    r = -1;
  if (r == 0)
    cJSON_AddStringToObject(v->json, "dot", text);
  free(text);
  return r;
}

// QEMU's `info mem`, or with --json its "ranges" array. Returns 0, or -1.
static int show_ranges(const struct cmd_view *v, struct machine *m,
                       const struct render_table *t) {
  if (v->json)
    return render_ranges_json(m, t->root, v->json);
  render_ranges(m, t->root, v->out, v->color);
  return 0;
}

// Name the table, then show it.
static struct cmd_result view_cmd(struct cmd_call *c, int argc, char **argv,
                                  int (*show)(const struct cmd_view *, struct machine *,
                                              const struct render_table *)) {
  struct render_table t;
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

struct cmd_result cmd_dot(struct cmd_call *c, int argc, char **argv) {
  return view_cmd(c, argc, argv, show_dot);
}

struct cmd_result cmd_ranges(struct cmd_call *c, int argc, char **argv) {
  return view_cmd(c, argc, argv, show_ranges);
}
