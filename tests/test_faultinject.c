// Fault injection everywhere: every bundled trace (traces/*.trace, and the golden traces
// of tests/golden/) replayed once per kalloc it makes, with that kalloc failing. After each
// run the checker finds nothing wrong; tearing down every process then gives back every
// page the processes held, so the free count is what it was right after boot. A failure
// during boot or userinit panics, as in xv6, with xv6's words.
//
// Replay is deterministic, so the run that fails kalloc i is the clean run up to the line
// that makes call i. Instead of replaying that prefix on a new machine each time, the test
// replays the trace once and forks before each line, once per kalloc the line makes: the
// child is that fresh machine at that line, fails the call, finishes the trace and reports.
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sv39sim/tools/check.h"
#include "sv39sim/cli/cmd.h"
#include "sv39sim/xv6/machine.h"

#define MAX_TRACES 64

// Under AddressSanitizer a run costs some twenty times more (a check walks all 32728 free
// pages through ram_load at -O0), and every kalloc of every trace would take many minutes:
// there a line that makes more than SAMPLE_OVER kallocs (boot's 137, a big sbrk) has its
// first and last SAMPLE_EDGE failed and SAMPLE_MID spread between. The normal build fails
// every one of them.
#if defined(__SANITIZE_ADDRESS__)
#define SAMPLE_OVER 32
#else
#define SAMPLE_OVER UINT64_MAX
#endif
#define SAMPLE_EDGE 8
#define SAMPLE_MID 16
#define GOLDEN TEST_DATA "/../golden"
#define NOT_BOOTED UINT64_MAX

static struct machine *m;
static FILE *devnull;

static void setup(void) {
  m = NULL;
  devnull = fopen("/dev/null", "w");
  cr_assert_not_null(devnull);
}

static void teardown(void) {
  machine_free(m);
  fclose(devnull);
}

TestSuite(faultinject, .init = setup, .fini = teardown);

struct trace {
  const char *name;
  char **line;
  size_t n;
  uint64_t *calls; // kallocs made before each line in the clean run; calls[n]: in all
};

// Where a replay stands: its session and the free count after its last boot (NOT_BOOTED
// when the machine is not booted).
struct replay {
  struct session s;
  uint64_t boot_nfree;
};

static void load(const char *dir, const char *name, struct trace *t) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *in = fopen(path, "r");
  cr_assert_not_null(in, "cannot open %s", path);
  t->name = name;
  t->line = NULL;
  t->n = 0;
  char *buf = NULL;
  size_t cap = 0;
  while (getline(&buf, &cap, in) != -1) {
    t->line = realloc(t->line, (t->n + 1) * sizeof(*t->line));
    cr_assert_not_null(t->line);
    t->line[t->n++] = strdup(buf);
  }
  free(buf);
  fclose(in);
  t->calls = calloc(t->n + 1, sizeof(*t->calls));
  cr_assert_not_null(t->calls);
}

static void unload(struct trace *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->line[i]);
  free(t->line);
  free(t->calls);
}

// A fresh default machine, ready to replay t from its first line (as `sv39sim -k`:
// failed lines do not stop it). Output is discarded.
static void start(const char *dir, const struct trace *t, struct replay *r) {
  struct config cfg;
  char err[128];
  config_defaults(&cfg);
  machine_free(m);
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  r->s = (struct session){.m = m, .out = devnull, .err = devnull, .file = t->name,
                          .basedir = dir};
  r->boot_nfree = NOT_BOOTED;
}

static void step(struct replay *r, const struct trace *t, size_t i) {
  bool was_booted = m->booted;
  r->s.line = i + 1;
  cmd_run_line(&r->s, t->line[i]);
  if (!m->booted)
    r->boot_nfree = NOT_BOOTED; // never booted, or reset
  else if (!was_booted)
    r->boot_nfree = m->kmem.nfree;
}

// The panics xv6 meets when kalloc fails where it does not check: kvminit's memset of
// page 0 and userinit's (kerneltrap), kvmmap's and procinit's panics, init's first
// instruction on an unmapped page (init exiting), virtio_disk_init's rings (2022 on), and
// 2025's forkret, whose kexec of /init returning -1 panics "exec".
static bool xv6_oom_panic(const char *words) {
  static const char *const oom[] = {"kerneltrap", "kvmmap", "kalloc", "init exiting",
                                    "virtio disk kalloc", "exec"};
  for (size_t i = 0; i < sizeof(oom) / sizeof(oom[0]); i++) {
    if (strcmp(words, oom[i]) == 0)
      return true;
  }
  return false;
}

// A line that edits a booted machine's memory or tables by hand (poke, store, mappages,
// kfree) at addresses the trace derived from the clean run: after an injected failure
// those addresses name other pages, so the checker's rules no longer apply (as in the
// trace fuzz target); such a run must only end without a crash or a sanitizer report.
static bool by_hand(const char *line) {
  static const char *const words[] = {"poke", "store", "mappages", "kfree"};
  while (*line == ' ' || *line == '\t')
    line++;
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
    size_t n = strlen(words[i]);
    if (strncmp(line, words[i], n) == 0 && (line[n] == ' ' || line[n] == '\n'))
      return true;
  }
  return false;
}

// In the child: fail kalloc `call`, finish the trace from line `from`, and judge. Returns
// NULL when all is well, else what went wrong (in msg).
static const char *finish(struct replay *r, const struct trace *t, size_t from, uint64_t call,
                          const char *clean_panic, char *msg, size_t len) {
  m->kalloc_fail_call = call;
  bool edited = false;
  for (size_t i = from; i < t->n; i++) {
    edited = edited || (m->booted && by_hand(t->line[i]));
    step(r, t, i);
  }
  if (edited)
    return NULL;
  if (m->kalloc_calls < call) {
    snprintf(msg, len, "the run made only %lu kallocs", (unsigned long)m->kalloc_calls);
    return msg;
  }
  struct check_report c;
  if (check_machine(m, &c) != 0)
    return "no host memory for the checker";
  if (c.nproblems > 0) {
    snprintf(msg, len, "%lu problems, the first %s 0x%lx: %s", (unsigned long)c.nproblems,
             check_problem_name(c.problem[0].kind), (unsigned long)c.problem[0].pa,
             c.problem[0].what);
    return msg;
  }
  if (m->halted) {
    if (xv6_oom_panic(m->panic_msg) || strcmp(m->panic_msg, clean_panic) == 0)
      return NULL;
    snprintf(msg, len, "panic '%s' is not one of xv6's out-of-memory panics (clean: '%s')",
             m->panic_msg, clean_panic);
    return msg;
  }
  if (check_teardown(m) != SIM_OK) {
    snprintf(msg, len, "the teardown panicked: %s (%s)", m->panic_msg, m->panic_detail);
    return msg;
  }
  if (r->boot_nfree != NOT_BOOTED && m->kmem.nfree != r->boot_nfree) {
    snprintf(msg, len, "%lu pages free after the teardown, %lu after boot",
             (unsigned long)m->kmem.nfree, (unsigned long)r->boot_nfree);
    return msg;
  }
  return NULL;
}

// Fork a child that fails kalloc `call` from line `from` on; assert it found nothing.
static void inject(struct replay *r, const struct trace *t, size_t from, uint64_t call,
                   const char *clean_panic) {
  int fd[2];
  cr_assert_eq(pipe(fd), 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_neq(pid, -1, "fork failed");
  if (pid == 0) {
    char msg[512];
    close(fd[0]);
    const char *bad = finish(r, t, from, call, clean_panic, msg, sizeof(msg));
    if (bad != NULL && write(fd[1], bad, strlen(bad)) < 0)
      _exit(2);
    _exit(bad != NULL);
  }
  close(fd[1]);
  char msg[512] = "";
  size_t got = 0;
  ssize_t k;
  while (got < sizeof(msg) - 1 && (k = read(fd[0], msg + got, sizeof(msg) - 1 - got)) > 0)
    got += (size_t)k;
  msg[got] = '\0';
  close(fd[0]);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(!WIFSIGNALED(status), "%s, kalloc %lu failing (line %zu on): signal %d", t->name,
            (unsigned long)call, from + 1, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s, kalloc %lu failing (line %zu on): %s",
            t->name, (unsigned long)call, from + 1, msg);
}

// Is the k-th (from 0) of a line's n kallocs one to fail?
static bool chosen(uint64_t k, uint64_t n) {
  if (n <= SAMPLE_OVER || k < SAMPLE_EDGE || k >= n - SAMPLE_EDGE)
    return true;
  return (k - SAMPLE_EDGE) % ((n - 2 * SAMPLE_EDGE) / SAMPLE_MID + 1) == 0;
}

// Every kalloc of one trace, failed in turn. Returns how many kallocs it makes; *runs gets
// how many were failed.
static uint64_t inject_all(const char *dir, const char *name, uint64_t *runs) {
  struct trace t;
  struct replay r;
  load(dir, name, &t);
  start(dir, &t, &r);
  for (size_t i = 0; i < t.n; i++) {
    t.calls[i] = m->kalloc_calls;
    step(&r, &t, i);
  }
  t.calls[t.n] = m->kalloc_calls;
  char clean_panic[64];
  snprintf(clean_panic, sizeof(clean_panic), "%s", m->halted ? m->panic_msg : "");

  start(dir, &t, &r);
  for (size_t i = 0; i < t.n; i++) {
    cr_assert_eq(m->kalloc_calls, t.calls[i], "%s:%zu: the replay is not deterministic",
                 name, i + 1);
    uint64_t n = t.calls[i + 1] - t.calls[i];
    for (uint64_t k = 0; k < n; k++) {
      if (chosen(k, n)) {
        inject(&r, &t, i, t.calls[i] + 1 + k, clean_panic);
        ++*runs;
      }
    }
    step(&r, &t, i);
  }
  uint64_t n = t.calls[t.n];
  unload(&t);
  return n;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

// Every kalloc of every *.trace in dir; returns the number of runs, *ntraces the traces.
static uint64_t inject_dir(const char *dir, int *ntraces) {
  char *names[MAX_TRACES];
  int n = 0;
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "cannot open %s", dir);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len > 6 && strcmp(e->d_name + len - 6, ".trace") == 0) {
      cr_assert_lt(n, MAX_TRACES, "more than %d traces in %s", MAX_TRACES, dir);
      names[n++] = strdup(e->d_name);
    }
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof(names[0]), by_name);
  uint64_t runs = 0;
  for (int i = 0; i < n; i++) {
    uint64_t failed = 0;
    uint64_t k = inject_all(dir, names[i], &failed);
    printf("faultinject: %s: %lu kallocs, %lu of them failed in turn\n", names[i],
           (unsigned long)k, (unsigned long)failed);
    runs += failed;
    free(names[i]);
  }
  *ntraces = n;
  return runs;
}

Test(faultinject, every_kalloc_of_every_bundled_trace_fails_without_leak_or_damage,
     .timeout = 900) {
  int ntraces, ngolden;
  uint64_t runs = inject_dir(TRACES, &ntraces);
  cr_assert_geq(ntraces, 10, "only %d traces found in %s", ntraces, TRACES);
  runs += inject_dir(GOLDEN, &ngolden);
  printf("faultinject: %lu injected failures over %d traces, all consistent%s\n",
         (unsigned long)runs, ntraces + ngolden,
         SAMPLE_OVER == UINT64_MAX ? "" : " (sampled: sanitizer build)");
  fflush(stdout);
}
