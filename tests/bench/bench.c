// sv39sim's benchmark: each row times a piece of sv39sim's work and, in the same run and
// the same repetitions, a baseline doing the same work as plainly as C allows, and prints
// median, min and max of both and of their ratio (sv39sim's time / the baseline's time;
// for rates, the baseline's rate / sv39sim's). Run by scripts/bench on a release build.
// Usage: bench [--quick] [--row N]   (--quick: fewer and shorter repetitions, as meson
// benchmark runs it; --row: only row N)
#define _DEFAULT_SOURCE // wait4
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sv39sim/tools/access.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/hw/ram.h"
#include "sv39sim/view/render.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/vm.h"

#define MAXREP 32

static int reps = 11;        // rows 1, 2, 3, 6
static int reps_slow = 7;    // rows 4 and 5
static uint64_t nops = 1u << 23; // translations per repetition, rows 1 and 2
static uint64_t nrecords = 3000000; // row 3's trace

// Read at run time, so the compiler cannot drop what a loop computes or the dependency
// that chains one translation to the next.
static volatile uint64_t sink;
static volatile uint64_t zero_mask = 0;

// ---- timing and statistics ----

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct series {
  double v[MAXREP];
  int n;
};

static void add(struct series *s, double v) {
  if (s->n < MAXREP)
    s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Median, min and max of s.
static void summary(const struct series *s, double *med, double *lo, double *hi) {
  double v[MAXREP];
  memcpy(v, s->v, (size_t)s->n * sizeof(double));
  qsort(v, (size_t)s->n, sizeof(double), cmp_double);
  *lo = v[0];
  *hi = v[s->n - 1];
  *med = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

static void cell(char *buf, size_t len, const struct series *s, const char *unit, int prec) {
  double med, lo, hi;
  summary(s, &med, &lo, &hi);
  snprintf(buf, len, "%.*f %s (%.*f..%.*f)", prec, med, unit, prec, lo, prec, hi);
}

static void header(void) {
  printf("%-34s %-34s %-34s %s\n", "row", "sv39sim: median (min..max)",
         "baseline: median (min..max)", "ratio: median (min..max)");
}

// One line of the table; ratio holds one sv39sim/baseline cost ratio per repetition.
// Lines are kept and printed in row order at the end, since rows run in another order.
static char lines[16][256];
static int nlines;

static void row(const char *name, const struct series *sim, const struct series *base,
                const struct series *ratio, const char *unit, int prec) {
  char a[64], b[64], r[64];
  cell(a, sizeof(a), sim, unit, prec);
  cell(b, sizeof(b), base, unit, prec);
  cell(r, sizeof(r), ratio, "x", 2);
  if (nlines < 16)
    snprintf(lines[nlines++], sizeof(lines[0]), "%-34s %-34s %-34s %s", name, a, b, r);
}

// The table, rows by their number (names start with it), in run order within a number.
static void print_table(void) {
  header();
  for (char n = '1'; n <= '9'; n++) {
    for (int i = 0; i < nlines; i++) {
      if (lines[i][0] == n)
        printf("%s\n", lines[i]);
    }
  }
}

static void die(const char *what) {
  fprintf(stderr, "bench: %s\n", what);
  exit(1);
}

// ---- machines ----

static struct machine *booted(uint64_t ram_size) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.ram_size = ram_size;
  char err[160];
  struct machine *m = machine_new(&cfg, err, sizeof(err));
  if (m == NULL)
    die(err);
  if (kvm_boot(m) != SIM_OK)
    die("boot failed");
  return m;
}

// pid 1 with sz bytes of user memory; returns its slot.
static int process(struct machine *m, uint64_t sz) {
  int slot;
  int64_t old;
  if (proc_userinit(m, &slot) != SIM_OK)
    die("userinit failed");
  if (sz > PGSIZE && proc_sbrk(m, slot, (int32_t)(sz - PGSIZE), &old) != SIM_OK)
    die("sbrk failed");
  return slot;
}

// The hart runs the process in slot in U-mode, as xv6's userret leaves it.
static void enter_user(struct machine *m, int slot) {
  mmu_write_satp(&m->hw, MAKE_SATP(m->proc[slot].pagetable));
  m->hw.hart.priv = PRIV_U;
  machine_set_current(m, slot);
  tlb_sfence(&m->hw, true, 0, true, 0);
}

static uint64_t user_pa(struct machine *m, int slot, uint64_t va) {
  uint64_t pa;
  if (vm_walkaddr(m, m->proc[slot].pagetable, va, &pa) != SIM_OK || pa == 0)
    die("a user page is not mapped");
  return pa;
}

// ---- rows 1 and 2: translate ----

#define NVA 4096u // the va stream, reused round-robin

// Time n translations of vas[] (each one's va depends on the previous result through a
// mask that is zero at run time, so the translations form one dependent chain).
static double time_translate(struct machine *m, const uint64_t *vas, uint64_t n) {
  uint64_t mask = zero_mask, acc = 0, pa = 0;
  struct fault f;
  double t0 = now();
  for (uint64_t i = 0; i < n; i++) {
    uint64_t va = vas[i & (NVA - 1)] + (pa & mask);
    if (mmu_translate(&m->hw, va, ACC_R, &pa, &f, NULL) != 0)
      die("a benchmark translation faulted");
    acc += pa;
  }
  double t = now() - t0;
  sink = acc;
  return t;
}

// The TLB-hit baseline: an indexed load from an array of the TLB's 32 entries.
static double time_array_load(const uint64_t *table, const uint64_t *vas, uint64_t n) {
  uint64_t mask = zero_mask, acc = 0, pa = 0;
  double t0 = now();
  for (uint64_t i = 0; i < n; i++) {
    uint64_t va = vas[i & (NVA - 1)] + (pa & mask);
    pa = table[(va >> 12) & (TLB_DEFAULT_ENTRIES - 1)] | (va & 0xfff);
    acc += pa;
  }
  double t = now() - t0;
  sink = acc;
  return t;
}

static void row_tlb_hit(void) {
  struct machine *m = booted(128ULL << 20);
  int slot = process(m, 16 * PGSIZE);
  enter_user(m, slot);
  static uint64_t vas[NVA];
  uint64_t table[TLB_DEFAULT_ENTRIES] = {0};
  for (unsigned i = 0; i < NVA; i++)
    vas[i] = (uint64_t)((i * 7u) % 16u) * PGSIZE + ((i * 40u) & 0xff8u);
  for (unsigned p = 0; p < 16; p++)
    table[p] = user_pa(m, slot, p * PGSIZE);
  time_translate(m, vas, NVA); // warm: every page in the TLB
  struct series sim = {0}, base = {0}, ratio = {0};
  for (int r = 0; r < reps; r++) {
    uint64_t hits = m->hw.tlb.total.hits, misses = m->hw.tlb.total.misses;
    double ts = time_translate(m, vas, nops);
    if (m->hw.tlb.total.hits - hits != nops || m->hw.tlb.total.misses != misses)
      die("row 1: not every translation was a TLB hit");
    double tb = time_array_load(table, vas, nops);
    add(&sim, ts / (double)nops * 1e9);
    add(&base, tb / (double)nops * 1e9);
    add(&ratio, ts / tb);
  }
  row("1 translate, TLB hit", &sim, &base, &ratio, "ns", 2);
  machine_free(m);
}

// The TLB-miss baseline's table: 4 KiB pages of 512 entries, PTE-shaped (PPN << 10 | V),
// where a non-leaf entry's PPN is the index of its child page in pool.
struct host_table {
  uint64_t *pool;
  unsigned npages, cap;
};

static void host_map(struct host_table *h, uint64_t va, uint64_t pa) {
  unsigned page = 0;
  for (int level = 2; level > 0; level--) {
    uint64_t *e = &h->pool[(uint64_t)page * 512 + PX(level, va)];
    if (*e == 0) {
      if (h->npages == h->cap)
        die("host table pool full");
      *e = ((uint64_t)h->npages++ << 10) | PTE_V;
    }
    page = (unsigned)(*e >> 10);
  }
  h->pool[(uint64_t)page * 512 + PX(0, va)] = PA2PTE(pa) | PTE_V | PTE_R | PTE_W | PTE_U;
}

// Three dependent loads per va, as a walk makes them.
static double time_three_loads(const uint64_t *pool, const uint64_t *vas, uint64_t n) {
  uint64_t mask = zero_mask, acc = 0, pa = 0;
  double t0 = now();
  for (uint64_t i = 0; i < n; i++) {
    uint64_t va = vas[i & (NVA - 1)] + (pa & mask);
    uint64_t e2 = pool[PX(2, va)];
    uint64_t e1 = pool[(e2 >> 10) * 512 + PX(1, va)];
    uint64_t e0 = pool[(e1 >> 10) * 512 + PX(0, va)];
    pa = (e0 >> 10) << 12 | (va & 0xfff);
    acc += pa;
  }
  double t = now() - t0;
  sink = acc;
  return t;
}

static void row_tlb_miss(void) {
  enum { PAGES = 1024 }; // cycled in order through a 32-entry LRU TLB: every access misses
  struct machine *m = booted(128ULL << 20);
  int slot = process(m, PAGES * PGSIZE);
  enter_user(m, slot);
  static uint64_t vas[NVA];
  for (unsigned i = 0; i < NVA; i++)
    vas[i] = (uint64_t)(i % PAGES) * PGSIZE + ((i * 40u) & 0xff8u);
  struct host_table h = {.cap = 8};
  h.pool = calloc((size_t)h.cap * 512, sizeof(uint64_t));
  if (h.pool == NULL)
    die("out of memory");
  h.npages = 1;
  for (unsigned p = 0; p < PAGES; p++)
    host_map(&h, p * PGSIZE, user_pa(m, slot, p * PGSIZE));
  time_translate(m, vas, NVA); // sets every A bit, so timed walks write nothing
  struct series sim = {0}, base = {0}, ratio = {0};
  for (int r = 0; r < reps; r++) {
    uint64_t misses = m->hw.tlb.total.misses;
    double ts = time_translate(m, vas, nops);
    if (m->hw.tlb.total.misses - misses != nops)
      die("row 2: not every translation was a TLB miss");
    double tb = time_three_loads(h.pool, vas, nops);
    add(&sim, ts / (double)nops * 1e9);
    add(&base, tb / (double)nops * 1e9);
    add(&ratio, ts / tb);
  }
  row("2 translate, TLB miss (walk)", &sim, &base, &ratio, "ns", 2);
  free(h.pool);
  machine_free(m);
}

// ---- row 3: access replay of a lackey trace ----

// A TLB-friendly lackey trace of n records over the first 16 pages: instruction fetches
// stepping through pages 0-3, loads, stores and modifies stepping through pages 4-15,
// with an occasional jump. Returns the file's size.
static long write_trace(FILE *f, uint64_t n) {
  uint64_t pc = 0, data = 4 * PGSIZE, rnd = 88172645463325252ULL;
  for (uint64_t i = 0; i < n; i++) {
    rnd ^= rnd << 13;
    rnd ^= rnd >> 7;
    rnd ^= rnd << 17;
    unsigned pick = (unsigned)(rnd % 100);
    if (pick < 50) {
      fprintf(f, "I  %08" PRIx64 ",4\n", pc);
      pc = (pc + 4) % (4 * PGSIZE);
      continue;
    }
    if (pick >= 98)
      data = 4 * PGSIZE + (rnd >> 20) % (12 * PGSIZE) / 8 * 8;
    char kind = pick < 80 ? 'L' : pick < 95 ? 'S' : 'M';
    fprintf(f, " %c %08" PRIx64 ",8\n", kind, data);
    data += 8;
    if (data >= 16 * PGSIZE)
      data = 4 * PGSIZE;
  }
  if (fflush(f) != 0)
    die("cannot write the trace");
  return ftell(f);
}

// The baseline: read the same lines with getline and sum their addresses with strtoull.
static double time_sum_addresses(const char *path, uint64_t want) {
  double t0 = now();
  FILE *f = fopen(path, "r");
  if (f == NULL)
    die("cannot open the trace");
  char *line = NULL;
  size_t cap = 0;
  uint64_t sum = 0, n = 0;
  while (getline(&line, &cap, f) > 0) {
    sum += strtoull(line + 3, NULL, 16);
    n++;
  }
  free(line);
  fclose(f);
  double t = now() - t0;
  if (n != want)
    die("row 3: the baseline read a different number of lines");
  sink = sum;
  return t;
}

static double time_access(struct machine *m, int slot, const char *path) {
  char err[256];
  struct access_stats st;
  double t0 = now();
  FILE *f = fopen(path, "r");
  if (f == NULL)
    die("cannot open the trace");
  int r = access_run(m, slot, f, path, &st, err, sizeof(err));
  fclose(f);
  double t = now() - t0;
  if (r != 0)
    die(err);
  if (st.records != nrecords || st.faults != 0)
    die("row 3: the replay did not run every record without a fault");
  return t;
}

static void row_access(void) {
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char path[4096];
  snprintf(path, sizeof(path), "%s/sv39sim-bench-XXXXXX", dir);
  int fd = mkstemp(path);
  if (fd < 0)
    die("cannot create the trace file");
  FILE *f = fdopen(fd, "w");
  if (f == NULL)
    die("fdopen");
  double mb = (double)write_trace(f, nrecords) / 1e6;
  fclose(f);
  struct machine *m = booted(128ULL << 20);
  int slot = process(m, 16 * PGSIZE);
  struct series sim = {0}, base = {0}, ratio = {0}, simmb = {0}, basemb = {0};
  time_sum_addresses(path, nrecords); // the file into the page cache
  for (int r = 0; r < reps; r++) {
    double ts = time_access(m, slot, path);
    double tb = time_sum_addresses(path, nrecords);
    add(&sim, (double)nrecords / ts / 1e6);
    add(&base, (double)nrecords / tb / 1e6);
    add(&simmb, mb / ts);
    add(&basemb, mb / tb);
    add(&ratio, ts / tb);
  }
  unlink(path);
  row("3 access replay (M accesses/s)", &sim, &base, &ratio, "M/s", 1);
  row("3 access replay (MB/s)", &simmb, &basemb, &ratio, "MB/s", 0);
  machine_free(m);
}

// ---- row 4: boot ----

struct child_report {
  double seconds;
  long maxrss_before; // KiB, the child's peak RSS before the timed work
};

// Run work in a child process; its time and its peak RSS above what it had before.
static void in_child(void (*work)(uint64_t), uint64_t arg, double *seconds, double *mib) {
  int fds[2];
  if (pipe(fds) != 0)
    die("pipe");
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    close(fds[0]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct child_report rep = {.maxrss_before = ru.ru_maxrss};
    double t0 = now();
    work(arg);
    rep.seconds = now() - t0;
    ssize_t w = write(fds[1], &rep, sizeof(rep));
    _exit(w == (ssize_t)sizeof(rep) ? 0 : 1);
  }
  close(fds[1]);
  struct child_report rep;
  ssize_t got = read(fds[0], &rep, sizeof(rep));
  close(fds[0]);
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      got != (ssize_t)sizeof(rep))
    die("a boot child failed");
  *seconds = rep.seconds;
  *mib = (double)(ru.ru_maxrss - rep.maxrss_before) / 1024.0;
}

static void boot_machine(uint64_t ram_size) {
  struct machine *m = booted(ram_size);
  sink = m->kmem.nfree;
}

// The baseline: kinit's free list written plainly, one page address per free page in a
// host array, in kinit's order.
static void plain_free_list(uint64_t ram_size) {
  uint64_t start = PGROUNDUP(DEFAULT_END), stop = KERNBASE + ram_size;
  uint64_t n = (stop - start) / PGSIZE;
  uint64_t *list = malloc(n * sizeof(*list));
  if (list == NULL)
    _exit(1);
  for (uint64_t i = 0; i < n; i++)
    list[i] = start + i * PGSIZE;
  sink = list[n - 1];
}

static void row_boot(uint64_t ram_size, const char *name_time, const char *name_rss) {
  struct series sim = {0}, base = {0}, ratio = {0}, simrss = {0}, basersss = {0},
                rssratio = {0};
  for (int r = 0; r < reps_slow; r++) {
    double ts, tb, rs, rb;
    in_child(boot_machine, ram_size, &ts, &rs);
    in_child(plain_free_list, ram_size, &tb, &rb);
    add(&sim, ts * 1e3);
    add(&base, tb * 1e3);
    add(&ratio, ts / tb);
    add(&simrss, rs);
    add(&basersss, rb);
    add(&rssratio, rb > 0 ? rs / rb : 0);
  }
  row(name_time, &sim, &base, &ratio, "ms", 2);
  row(name_rss, &simrss, &basersss, &rssratio, "MiB", 1);
}

// ---- row 5: fork of 64 MiB ----

#define FORK_BYTES (64ULL << 20)

// A fresh machine with pid 1 owning FORK_BYTES, every page stored to (none is lazy).
static struct machine *fork_machine(int *slot) {
  struct machine *m = booted(256ULL << 20);
  *slot = process(m, FORK_BYTES);
  for (uint64_t va = 0; va < FORK_BYTES; va += PGSIZE) {
    if (ram_store(&m->hw.ram, user_pa(m, *slot, va), 8, va | 1) != 0)
      die("store");
  }
  return m;
}

static void row_fork(void) {
  struct series sim = {0}, base = {0}, ratio = {0};
  uint8_t *src = malloc(FORK_BYTES);
  if (src == NULL)
    die("out of memory");
  memset(src, 0x5a, FORK_BYTES);
  for (int r = 0; r < reps_slow; r++) {
    int slot, pid;
    struct machine *m = fork_machine(&slot);
    double t0 = now();
    if (proc_fork(m, slot, &pid) != SIM_OK || pid < 0)
      die("fork failed");
    double ts = now() - t0;
    machine_free(m);
    t0 = now();
    uint8_t *dst = malloc(FORK_BYTES);
    if (dst == NULL)
      die("out of memory");
    memcpy(dst, src, FORK_BYTES);
    double tb = now() - t0;
    sink = dst[FORK_BYTES / 2];
    free(dst);
    add(&sim, ts * 1e3);
    add(&base, tb * 1e3);
    add(&ratio, ts / tb);
  }
  free(src);
  row("5 fork 64 MiB (memcpy)", &sim, &base, &ratio, "ms", 2);
}

// ---- row 6: vmprint and JSON of the kernel table ----

// A host copy of a page-table tree: tables[i] holds the 512 PTEs of the table at pas[i].
struct host_tree {
  uint64_t (*tables)[512];
  uint64_t *pas;
  size_t n, cap;
};

static const uint64_t *host_table(const struct host_tree *t, uint64_t pa) {
  for (size_t i = 0; i < t->n; i++) {
    if (t->pas[i] == pa)
      return t->tables[i];
  }
  return NULL;
}

static void copy_tree(struct machine *m, struct host_tree *t, uint64_t pa, int level) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 128;
    t->tables = realloc(t->tables, t->cap * sizeof(*t->tables));
    t->pas = realloc(t->pas, t->cap * sizeof(*t->pas));
    if (t->tables == NULL || t->pas == NULL)
      die("out of memory");
  }
  size_t me = t->n++;
  t->pas[me] = pa;
  if (ram_read(&m->hw.ram, pa, t->tables[me], PGSIZE) != 0)
    die("a table outside RAM");
  for (int i = 0; i < 512; i++) {
    uint64_t pte = t->tables[me][i];
    if ((pte & PTE_V) && (pte & (PTE_R | PTE_W | PTE_X)) == 0 && level > 0)
      copy_tree(m, t, PTE2PA(pte), level - 1);
  }
}

// xv6's vmprint as plainly as C writes it: fprintf per line from the host copy.
static void plain_vmprint_level(const struct host_tree *t, const uint64_t *table, int depth,
                                FILE *out) {
  for (int i = 0; i < 512; i++) {
    uint64_t pte = table[i];
    if ((pte & PTE_V) == 0)
      continue;
    for (int d = 0; d < depth; d++)
      fputs(d == 0 ? ".." : " ..", out);
    fprintf(out, "%d: pte 0x%016" PRIx64 " pa 0x%016" PRIx64 "\n", i, pte, PTE2PA(pte));
    if ((pte & (PTE_R | PTE_W | PTE_X)) == 0 && depth < 3)
      plain_vmprint_level(t, host_table(t, PTE2PA(pte)), depth + 1, out);
  }
}

static void plain_vmprint(const struct host_tree *t, uint64_t root, FILE *out) {
  fprintf(out, "page table 0x%016" PRIx64 "\n", root);
  plain_vmprint_level(t, host_table(t, root), 1, out);
}

static uint64_t canonical(uint64_t va) {
  return (va & (1ULL << 38)) ? va | ~((1ULL << 39) - 1) : va;
}

// The JSON tree as plainly as C writes it: fprintf per entry, the bytes cJSON prints.
static void plain_json_entries(const struct host_tree *t, const uint64_t *table, int level,
                               uint64_t va, FILE *out) {
  static const char *const flag_names[] = {"V", "R", "W", "X", "U", "G", "A", "D"};
  bool first = true;
  fputc('[', out);
  for (int i = 0; i < 512; i++) {
    uint64_t pte = table[i];
    if ((pte & PTE_V) == 0)
      continue;
    uint64_t start = va + ((uint64_t)i << PXSHIFT(level)), span = 1ULL << PXSHIFT(level);
    bool leaf = (pte & (PTE_R | PTE_W | PTE_X)) != 0;
    fprintf(out,
            "%s{\"level\":%d,\"index\":%d,\"va_start\":\"0x%" PRIx64 "\",\"va_end\":\"0x%" PRIx64
            "\",\"pte\":\"0x%" PRIx64 "\",\"pa\":\"0x%" PRIx64 "\",\"flags\":[",
            first ? "" : ",", level, i, canonical(start), canonical(start + span - 1), pte,
            PTE2PA(pte));
    first = false;
    bool first_flag = true;
    for (int b = 0; b < 8; b++) {
      if (pte & (1ULL << b)) {
        fprintf(out, "%s\"%s\"", first_flag ? "" : ",", flag_names[b]);
        first_flag = false;
      }
    }
    fprintf(out, "],\"leaf\":%s", leaf ? "true" : "false");
    if (leaf) {
      fprintf(out, ",\"page_size\":%" PRIu64 "}", span);
    } else {
      fputs(",\"entries\":", out);
      plain_json_entries(t, host_table(t, PTE2PA(pte)), level - 1, start, out);
      fputc('}', out);
    }
  }
  fputc(']', out);
}

static void plain_json(const struct host_tree *t, uint64_t root, FILE *out) {
  fprintf(out,
          "{\"pid\":null,\"table\":\"kernel\",\"satp\":\"0x%" PRIx64 "\",\"root\":\"0x%" PRIx64
          "\",\"entries\":",
          (uint64_t)MAKE_SATP(root), root);
  plain_json_entries(t, host_table(t, root), 2, 0, out);
  fputs("}\n", out);
}

static void sim_vmprint(struct machine *m, FILE *out) {
  render_vmprint(m, m->kernel_pagetable, out);
}

// What `sv39sim --json` does for the tree: stream it, entry by entry, to out.
static void sim_json(struct machine *m, FILE *out) {
  uint64_t root = m->kernel_pagetable;
  struct render_table t = {.root = root, .pid = -1, .which = "kernel",
                           .satp = MAKE_SATP(root)};
  cJSON *head = cJSON_CreateObject();
  if (head == NULL || render_json_stream(m, &t, head, false, out) != 0)
    die("render_json_stream failed");
  cJSON_Delete(head);
}

// The bytes a renderer writes, checked equal between sv39sim and its baseline.
static size_t rendered_bytes(struct machine *m, const struct host_tree *t,
                             void (*sim)(struct machine *, FILE *),
                             void (*plain)(const struct host_tree *, uint64_t, FILE *)) {
  char *a = NULL, *b = NULL;
  size_t na = 0, nb = 0;
  FILE *fa = open_memstream(&a, &na), *fb = open_memstream(&b, &nb);
  if (fa == NULL || fb == NULL)
    die("open_memstream");
  sim(m, fa);
  plain(t, m->kernel_pagetable, fb);
  fclose(fa);
  fclose(fb);
  if (na != nb || memcmp(a, b, na) != 0)
    die("row 6: sv39sim and the baseline wrote different bytes");
  free(a);
  free(b);
  return na;
}

static void row_render(struct machine *m, const struct host_tree *t, FILE *null,
                       const char *name, void (*sim)(struct machine *, FILE *),
                       void (*plain)(const struct host_tree *, uint64_t, FILE *)) {
  double mb = (double)rendered_bytes(m, t, sim, plain) / 1e6;
  struct series ssim = {0}, sbase = {0}, ratio = {0};
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    sim(m, null);
    fflush(null);
    double ts = now() - t0;
    t0 = now();
    plain(t, m->kernel_pagetable, null);
    fflush(null);
    double tb = now() - t0;
    add(&ssim, mb / ts);
    add(&sbase, mb / tb);
    add(&ratio, ts / tb);
  }
  row(name, &ssim, &sbase, &ratio, "MB/s", 0);
}

static void rows_render(void) {
  struct machine *m = booted(128ULL << 20);
  struct host_tree t = {0};
  copy_tree(m, &t, m->kernel_pagetable, 2);
  FILE *null = fopen("/dev/null", "w");
  if (null == NULL)
    die("cannot open /dev/null");
  row_render(m, &t, null, "6 vmprint kernel table", sim_vmprint, plain_vmprint);
  row_render(m, &t, null, "6 JSON kernel table", sim_json, plain_json);
  fclose(null);
  free(t.tables);
  free(t.pas);
  machine_free(m);
}

// Boot a machine of ram_size, then (json) write its kernel table's JSON to /dev/null.
static void boot_and_json(uint64_t ram_size, bool json) {
  struct machine *m = booted(ram_size);
  if (json) {
    FILE *null = fopen("/dev/null", "w");
    if (null == NULL)
      _exit(1);
    sim_json(m, null);
    fclose(null);
  }
  sink = m->kmem.nfree;
}

static void boot_16g(uint64_t ram_size) {
  boot_and_json(ram_size, false);
}

static void boot_16g_json(uint64_t ram_size) {
  boot_and_json(ram_size, true);
}

// The JSON of the 16 GiB kernel table (4 M leaves) streams: the peak RSS of boot then JSON,
// above boot's alone, in children as row 4 measures. The baseline column is boot's peak.
static void row_json_rss(void) {
  struct series sim = {0}, base = {0}, ratio = {0};
  for (int r = 0; r < 3; r++) {
    double ts, tb, rs, rb;
    in_child(boot_16g_json, 16ULL << 30, &ts, &rs);
    in_child(boot_16g, 16ULL << 30, &tb, &rb);
    add(&sim, rs - rb);
    add(&base, rb);
    add(&ratio, rb > 0 ? (rs - rb) / rb : 0);
  }
  row("6 JSON 16 GiB kernel, RSS > boot", &sim, &base, &ratio, "MiB", 1);
}

// Boot a machine of ram_size, then write its kernel table's DOT graph to /dev/null.
static void boot_16g_dot(uint64_t ram_size) {
  struct machine *m = booted(ram_size);
  FILE *null = fopen("/dev/null", "w");
  if (null == NULL)
    _exit(1);
  uint64_t root = m->kernel_pagetable;
  struct render_table t = {.root = root, .pid = -1, .which = "kernel",
                           .satp = MAKE_SATP(root)};
  if (render_dot(m, &t, null) != 0)
    _exit(1);
  fclose(null);
  sink = m->kmem.nfree;
}

// The DOT graph of the 16 GiB kernel table streams as the JSON does: its peak RSS above
// boot's, measured as row_json_rss measures.
static void row_dot_rss(void) {
  struct series sim = {0}, base = {0}, ratio = {0};
  for (int r = 0; r < 5; r++) {
    double ts, tb, rs, rb;
    in_child(boot_16g_dot, 16ULL << 30, &ts, &rs);
    in_child(boot_16g, 16ULL << 30, &tb, &rb);
    add(&sim, rs - rb);
    add(&base, rb);
    add(&ratio, rb > 0 ? (rs - rb) / rb : 0);
  }
  row("6 dot 16 GiB kernel, RSS > boot", &sim, &base, &ratio, "MiB", 1);
}

int main(int argc, char **argv) {
  int only = 0; // 0: every row
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      reps = 3;
      reps_slow = 3;
      nops = 1u << 20;
      nrecords = 300000;
    } else if (strcmp(argv[i], "--row") == 0 && i + 1 < argc && argv[i + 1][0] >= '1' &&
               argv[i + 1][0] <= '6' && argv[i + 1][1] == '\0') {
      only = argv[++i][0] - '0';
    } else {
      fprintf(stderr, "usage: bench [--quick] [--row 1-6]\n");
      return 2;
    }
  }
  // Boot first: the children it forks start from this process's small RSS.
  if (only == 0 || only == 4) {
    row_boot(128ULL << 20, "4 boot 128 MiB (free list)", "4 boot 128 MiB peak RSS");
    row_boot(16ULL << 30, "4 boot 16 GiB (free list)", "4 boot 16 GiB peak RSS");
  }
  if (only == 0 || only == 6)
    row_json_rss();
  if (only == 0 || only == 6)
    row_dot_rss();
  if (only == 0 || only == 1)
    row_tlb_hit();
  if (only == 0 || only == 2)
    row_tlb_miss();
  if (only == 0 || only == 3)
    row_access();
  if (only == 0 || only == 5)
    row_fork();
  if (only == 0 || only == 6)
    rows_render();
  print_table();
  return 0;
}
