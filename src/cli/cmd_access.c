// The access command: an address trace (valgrind lackey or Dinero din) replayed through
// the MMU as a process in U-mode, shown as counts and the first faults.
#include <inttypes.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/tools/access.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"

struct access_result {
  int pid;
  const char *file; // as the trace named it
  struct access_stats st;
};

// The replay's counts by kind, the TLB's and the faults, and the first faults with lines.
static void show_access(const struct cmd_view *v, const struct access_result *r) {
  const struct access_stats *st = &r->st;
  const char *format = st->format == ACCESS_DIN ? "din" : "lackey";
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "pid", r->pid);
    cJSON_AddStringToObject(v->json, "format", format);
    cJSON_AddNumberToObject(v->json, "accesses", (double)st->records);
    cJSON_AddNumberToObject(v->json, "translations", (double)st->translations);
    cJSON_AddNumberToObject(v->json, "hits", (double)st->hits);
    cJSON_AddNumberToObject(v->json, "misses", (double)st->misses);
    cJSON_AddNumberToObject(v->json, "faults", (double)st->faults);
    cJSON *arr = cJSON_AddArrayToObject(v->json, "first_faults");
    for (unsigned i = 0; i < st->nfirst; i++) {
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "line", (double)st->first[i].line);
      cmd_json_fault(j, "fault", &st->first[i].f);
      cJSON_AddItemToArray(arr, j);
    }
    return;
  }
  fprintf(v->out,
          "access: pid %d, %s (%s): %" PRIu64 " accesses (I %" PRIu64 ", L %" PRIu64
          ", S %" PRIu64 ", M %" PRIu64 ")\n",
          r->pid, r->file, format, st->records, st->kind[ACCESS_I], st->kind[ACCESS_L],
          st->kind[ACCESS_S], st->kind[ACCESS_M]);
  fprintf(v->out,
          "  %" PRIu64 " translations: tlb hits %" PRIu64 ", misses %" PRIu64
          ", faults %" PRIu64 "\n",
          st->translations, st->hits, st->misses, st->faults);
  for (unsigned i = 0; i < st->nfirst; i++)
    fprintf(v->out, "  line %lu: %s at 0x%" PRIx64 " (%s)\n", st->first[i].line,
            mmu_cause_name(st->first[i].f.cause), st->first[i].f.tval,
            mmu_rule_name(st->first[i].f.rule));
  if (st->faults > st->nfirst)
    fprintf(v->out, "  ... and %" PRIu64 " more faults\n", st->faults - st->nfirst);
}

struct cmd_result cmd_access(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int slot;
  if (arg_booted(c) || arg_proc(c, argv[1], &slot))
    return cmd_error(c);
  const struct proc *p = &c->m->proc[slot];
  if (p->state == ZOMBIE || p->pagetable == 0)
    return cmd_fail(c, "pid %s has exited", argv[1]);
  char path[4096];
  // "-" is standard input, except where files come through a hook (the fuzz targets).
  bool std_in = strcmp(argv[2], "-") == 0 && c->s->open_file == NULL;
  FILE *in = std_in ? stdin : arg_open(c, argv[2], "r", path, sizeof(path));
  if (in == NULL)
    return cmd_error(c);
  struct access_result r = {.pid = p->pid, .file = argv[2]};
  char err[512];
  int st = access_run(c->m, slot, in, argv[2], &r.st, err, sizeof(err));
  if (std_in)
    clearerr(stdin); // its end is this trace's end, not the session's input's
  else
    fclose(in);
  if (st != 0)
    return cmd_fail(c, "%s", err);
  show_access(&c->view, &r);
  return cmd_ok();
}
