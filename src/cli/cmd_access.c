// The access command: an address trace (valgrind lackey or Dinero din) replayed through
// the MMU as a process in U-mode, shown as counts and the first faults.
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_priv.h"
#include "sv39sim/tools/access.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"

struct access_result {
  int pid;
  const char *file; // as the trace named it
  bool demand;      // --demand
  bool kernel;      // a lab's usertrap ran
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
    if (r->demand || r->kernel) {
      cJSON_AddNumberToObject(v->json, "demand_faults", (double)st->demand_faults);
      cJSON_AddNumberToObject(v->json, "lazy_allocs", (double)st->lazy_allocs);
      cJSON_AddNumberToObject(v->json, "cow_copies", (double)st->cow_copies);
    }
    if (st->killed) {
      cJSON *k = cJSON_AddObjectToObject(v->json, "killed");
      cJSON_AddNumberToObject(k, "line", (double)st->killed_line);
      cJSON_AddStringToObject(k, "why", st->killed_why);
      cJSON *console = cJSON_AddArrayToObject(k, "console");
      for (int i = 0; i < 2; i++) {
        if (st->killed_console[i][0] != '\0')
          cJSON_AddItemToArray(console, cJSON_CreateString(st->killed_console[i]));
      }
    }
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
  if (r->demand || r->kernel)
    fprintf(v->out, "  usertrap: demand faults %" PRIu64 ", lazy allocations %" PRIu64
            ", cow copies %" PRIu64 " (each retried once)\n", st->demand_faults,
            st->lazy_allocs, st->cow_copies);
  if (st->killed) {
    for (int i = 0; i < 2; i++) {
      if (st->killed_console[i][0] != '\0')
        fprintf(v->out, "%s\n", st->killed_console[i]);
    }
    fprintf(v->out, "  line %lu: usertrap killed pid %d (%s): the replay ends there\n",
            st->killed_line, r->pid, st->killed_why);
  }
}

// The replay's progress on stderr, for a terminal only: records so far and their rate.
struct progress {
  struct timespec start;
};

static void show_progress(void *ctx, uint64_t records) {
  struct progress *p = ctx;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double secs = (double)(now.tv_sec - p->start.tv_sec) +
                (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
  fprintf(stderr, "\raccess: %" PRIu64 " records, %.1f M/s ", records,
          secs > 0 ? (double)records / secs / 1e6 : 0.0);
  fflush(stderr);
}

struct cmd_result cmd_access(struct cmd_call *c, int argc, char **argv) {
  int slot;
  if (arg_booted(c) || arg_proc(c, argv[1], &slot) || arg_user_mode(c, slot))
    return cmd_error(c);
  if (argc == 4 && strcmp(argv[3], "--demand") != 0)
    return cmd_fail(c, "'%s': the only option is --demand", argv[3]);
  const struct proc *p = &c->m->proc[slot];
  if (p->state == ZOMBIE || p->pagetable == 0)
    return cmd_fail(c, "pid %s has exited", argv[1]);
  char path[4096];
  // "-" is standard input, except where files come through a hook (the fuzz targets).
  bool std_in = strcmp(argv[2], "-") == 0 && c->s->open_file == NULL;
  FILE *in = std_in ? stdin : arg_open(c, argv[2], "r", path, sizeof(path));
  if (in == NULL)
    return cmd_error(c);
  struct access_result r = {.pid = p->pid, .file = argv[2], .demand = argc == 4,
                            .kernel = c->m->cfg.lab != LAB_NONE};
  unsigned how = (r.kernel ? ACCESS_KERNEL : 0) | (r.demand ? ACCESS_DEMAND : 0);
  struct progress prog;
  clock_gettime(CLOCK_MONOTONIC, &prog.start);
  bool tty = isatty(STDERR_FILENO);
  char err[512];
  int st = access_run_how(c->m, slot, in, argv[2], how, tty ? show_progress : NULL, &prog,
                          &r.st, err, sizeof(err));
  if (tty && r.st.records >= (1u << 20))
    fputs("\n", stderr);
  if (std_in)
    clearerr(stdin); // its end is this trace's end, not the session's input's
  else
    fclose(in);
  if (st == -2)
    return cmd_sim(SIM_PANIC);
  if (st != 0)
    return cmd_fail(c, "%s", err);
  show_access(&c->view, &r);
  return cmd_ok();
}
