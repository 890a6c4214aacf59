// The allocation log: `log on|off`, and the hook through which the simulated kernel's
// kalloc and kfree events reach the running command's output (log on) and the run's log
// file (--log, --log=FILE), one line or one JSON object per event.
#include <inttypes.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/xv6/kchain.h"
#include "sv39sim/xv6/machine.h"

// Only the allocator's own frame: the page was taken or given back by hand.
static bool by_hand(const struct kmem_event *e) {
  return e->chain->depth <= 1;
}

// The event's function: kalloc, kfree, or the superpage lab's superalloc, superfree.
static const char *event_op(const struct kmem_event *e) {
  if (e->super)
    return e->kfree ? "superfree" : "superalloc";
  return e->kfree ? "kfree" : "kalloc";
}

void cmd_log_text(FILE *f, const struct kmem_event *e) {
  char chain[KCHAIN_MAX * 24];
  const char *op = event_op(e);
  fprintf(f, "%" PRIu64 " %s 0x%016" PRIx64 " ", e->seq, op, e->pa);
  if (by_hand(e))
    fprintf(f, "(by hand: the %s command)", op);
  else
    fprintf(f, "%s", kchain_format(e->chain, chain, sizeof(chain)));
  if (e->refs_left > 0)
    fprintf(f, " (the page stays: %u reference%s left)", e->refs_left,
            e->refs_left == 1 ? "" : "s");
  fputc('\n', f);
}

cJSON *cmd_log_json(const struct kmem_event *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "seq", (double)e->seq);
  cJSON_AddStringToObject(o, "op", event_op(e));
  render_json_hex(o, "pa", e->pa);
  cJSON *chain = cJSON_AddArrayToObject(o, "chain");
  unsigned depth = e->chain->depth < KCHAIN_MAX ? e->chain->depth : KCHAIN_MAX;
  for (unsigned i = 0; i < depth; i++)
    cJSON_AddItemToArray(chain, cJSON_CreateString(e->chain->fn[i]));
  if (by_hand(e))
    cJSON_AddBoolToObject(o, "by_hand", true);
  if (e->refs_left > 0)
    cJSON_AddNumberToObject(o, "refs_left", e->refs_left);
  return o;
}

// The machine's hook (machine.h): the event to the log file, and with `log on` to the
// running command's view, as a line of its output or an item of its "log" array.
static void log_event(void *ctx, const struct kmem_event *e) {
  struct session *s = ctx;
  if (s->log_file != NULL) {
    if (s->json) {
      cJSON *o = cmd_log_json(e);
      char *text = cJSON_PrintUnformatted(o);
      if (text != NULL)
        fprintf(s->log_file, "%s\n", text);
      cJSON_free(text);
      cJSON_Delete(o);
    } else {
      cmd_log_text(s->log_file, e);
    }
  }
  struct cmd_view *v = s->log_view;
  if (!s->log_on || v == NULL)
    return;
  if (v->json == NULL) {
    cmd_log_text(v->out, e);
    return;
  }
  cJSON *arr = cJSON_GetObjectItemCaseSensitive(v->json, "log");
  if (arr == NULL)
    arr = cJSON_AddArrayToObject(v->json, "log");
  cJSON_AddItemToArray(arr, cmd_log_json(e));
}

void cmd_log_attach(struct session *s, struct cmd_view *v) {
  bool want = s->log_on || s->log_file != NULL;
  s->log_view = want ? v : NULL;
  s->m->log_fn = want && v != NULL ? log_event : NULL;
  s->m->log_ctx = want && v != NULL ? s : NULL;
}

// Shows nothing: what it turned on shows in the commands that follow (--json: "on").
struct cmd_result cmd_log(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)
    return cmd_fail(c, "'%s': log takes on or off", argv[1]);
  // cmd_run_argv sees the command succeed and sets the session's switch.
  if (c->view.json)
    cJSON_AddBoolToObject(c->view.json, "on", argv[1][1] == 'n');
  return cmd_ok();
}
