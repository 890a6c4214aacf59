#define _GNU_SOURCE // fopencookie
// Shared by the fuzz targets: configuration from an input's first line, bundled files
// served from memory, the boot free count of each configuration.
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/cli/replay.h"
#include "sv39sim/hw/tlb.h"

#ifndef FUZZ_LIBFUZZER
#define FUZZ_LIBFUZZER 0 // meson.build sets it for the libFuzzer binaries
#endif
const bool fuzz_libfuzzer = FUZZ_LIBFUZZER;

#define DIN_TRACE                                                                        \
  "# din: fetches, loads, stores and escapes\n"                                          \
  "2 0\n2 4\n0 4ff8\n1 4ff0\n0 1000\n1 2010\n3 0\n4 0\n0 3000\n2 1000\n0 6000\n"

void fuzz_config(const uint8_t *data, size_t size, struct config *cfg) {
  config_defaults(cfg);
  cfg->ram_size = FUZZ_RAM_DEFAULT;
  if (size < 6 || memcmp(data, "#fuzz ", 6) != 0)
    return;
  char line[256];
  size_t n = 0;
  while (n < size && n < sizeof(line) - 1 && data[n] != '\n' && data[n] != '\0')
    n++;
  memcpy(line, data, n);
  line[n] = '\0';
  char *save = NULL;
  for (char *w = strtok_r(line + 6, " \t\r", &save); w != NULL;
       w = strtok_r(NULL, " \t\r", &save)) {
    uint64_t v;
    enum xv6_lab lab;
    struct tlb_geometry g;
    const char *why;
    if (strncmp(w, "ram=", 4) == 0 && cmd_parse_u64(w + 4, true, &v) == 0 &&
        v >= (1ULL << 20) && v <= FUZZ_RAM_MAX && (v & (v - 1)) == 0)
      cfg->ram_size = v;
    else if (strncmp(w, "tlb=", 4) == 0 && tlb_parse_geometry(w + 4, &g, &why) == 0 &&
             g.entries <= 64) {
      cfg->tlb = g;
    } else if (strcmp(w, "ad=hw") == 0) {
      cfg->ad = AD_HW;
    } else if (strcmp(w, "ad=fault") == 0) {
      cfg->ad = AD_FAULT;
    } else if (strncmp(w, "lab=", 4) == 0 && edition_lab_parse(w + 4, &lab) == 0) {
      cfg->lab = lab; // checked against the edition below, whatever the order
    } else if (strncmp(w, "superpages=", 11) == 0 && cmd_parse_u64(w + 11, false, &v) == 0 &&
               v <= 16) {
      cfg->superpages = v;
    } else if (strncmp(w, "edition=", 8) == 0 && cmd_parse_u64(w + 8, false, &v) == 0 &&
               v >= EDITION_FIRST_YEAR && v <= EDITION_LAST_YEAR) {
      cfg->edition = edition_of_year((int)v);
      cfg->etext = cfg->edition->etext;
      cfg->end = cfg->edition->end;
      cfg->trampoline = cfg->edition->trampoline;
    }
  }
  if (!edition_offers_lab(cfg->edition, cfg->lab))
    cfg->lab = LAB_NONE;
}

// Whether machines of a and b boot to the same state: they agree on all that boot reads
// (not the TLB's geometry nor the A/D policy). Field by field: padding may differ.
static bool same_boot(const struct config *a, const struct config *b) {
  return a->edition == b->edition && a->ram_size == b->ram_size && a->kpt == b->kpt &&
         a->kpt_clint == b->kpt_clint && a->kpt_kstack == b->kpt_kstack &&
         a->etext == b->etext && a->end == b->end && a->trampoline == b->trampoline &&
         a->lab == b->lab && a->superpages == b->superpages;
}

struct machine *fuzz_machine(const struct config *cfg) {
  char err[256];
  struct machine *m = machine_new(cfg, err, sizeof(err));
  FUZZ_CHECK(m != NULL, "machine_new: %s", err);
  return m;
}

// One entry per configuration seen; a fuzz run uses a handful.
#define BOOT_CACHE 32
static struct {
  struct config cfg;
  uint64_t nfree;
} boot_cache[BOOT_CACHE];
static unsigned boot_cached;

uint64_t fuzz_boot_free(const struct config *cfg) {
  for (unsigned i = 0; i < boot_cached; i++) {
    if (same_boot(&boot_cache[i].cfg, cfg))
      return boot_cache[i].nfree;
  }
  struct machine *m = fuzz_machine(cfg);
  FUZZ_CHECK(kvm_boot(m) == SIM_OK, "a fresh machine's boot failed: %s", m->panic_msg);
  uint64_t nfree = m->kmem.nfree;
  machine_free(m);
  unsigned i = boot_cached < BOOT_CACHE ? boot_cached++ : 0;
  boot_cache[i].cfg = *cfg;
  boot_cache[i].nfree = nfree;
  return nfree;
}

FILE *fuzz_devnull(void) {
  static FILE *sink;
  if (sink == NULL)
    sink = fopen("/dev/null", "w");
  FUZZ_CHECK(sink != NULL, "cannot open /dev/null: %s", strerror(errno));
  return sink;
}

// Bundled files, read once from the source tree (paths fixed at build time).
static struct bundled {
  const char *name;
  const char *path;
  uint8_t *data;
  size_t len;
  bool loaded;
} bundled[] = {
    {"one-segment.elf", FUZZ_TEST_DATA "/one-segment.elf", NULL, 0, false},
    {"two-segments.elf", FUZZ_TEST_DATA "/two-segments.elf", NULL, 0, false},
    {"small.lackey", FUZZ_TRACES "/small.lackey", NULL, 0, false},
    {"kernel-2020-like.elf", FUZZ_TEST_DATA "/kernel/kernel-2020-like.elf", NULL, 0, false},
    {"kernel-2025-like.elf", FUZZ_TEST_DATA "/kernel/kernel-2025-like.elf", NULL, 0, false},
    {"small.din", NULL, (uint8_t *)DIN_TRACE, sizeof(DIN_TRACE) - 1, true},
};

// Read a bundled file into memory; a missing one is a broken test setup, so it aborts.
static void load(struct bundled *b) {
  FILE *f = fopen(b->path, "rb");
  FUZZ_CHECK(f != NULL, "cannot open %s: %s", b->path, strerror(errno));
  size_t cap = 65536;
  b->data = malloc(cap);
  FUZZ_CHECK(b->data != NULL, "out of memory");
  b->len = fread(b->data, 1, cap, f);
  FUZZ_CHECK(feof(f) && !ferror(f), "%s: a read error, or larger than %zu bytes", b->path, cap);
  fclose(f);
  b->loaded = true;
}

const uint8_t *fuzz_file(const char *name, size_t *len) {
  const char *base = strrchr(name, '/');
  base = base != NULL ? base + 1 : name;
  for (size_t i = 0; i < sizeof(bundled) / sizeof(bundled[0]); i++) {
    if (strcmp(base, bundled[i].name) != 0)
      continue;
    if (!bundled[i].loaded)
      load(&bundled[i]);
    *len = bundled[i].len;
    return bundled[i].data;
  }
  return NULL;
}

FILE *fuzz_open_file(void *ctx, const char *name) {
  (void)ctx;
  size_t len;
  const uint8_t *data = fuzz_file(name, &len);
  if (data == NULL) {
    errno = ENOENT;
    return NULL;
  }
  // "r" never writes through the pointer.
  return fmemopen((void *)(uintptr_t)data, len, "r");
}

struct session fuzz_session(struct machine *m, FILE *out, int json) {
  return (struct session){.m = m, .out = out, .err = fuzz_devnull(), .json = json != 0,
                          .file = "fuzz", .open_file = fuzz_open_file};
}

// A page as the snapshot keeps it: most pages after boot are free ones (one fill byte and
// a list link in the first word), restored lazily through ram_fill_page and ram_store.
struct snap_page {
  bool uniform;   // bytes 8..4095 all equal fill
  uint8_t fill;
  uint64_t first; // bytes 0..7
  uint8_t *bytes; // the whole page when not uniform
};

struct fuzz_snapshot {
  struct machine *m; // the machine taken (kept: its scalars are copied on restore)
  struct snap_page *pages;
  uint64_t npages;
};

// The eight bytes of a page filled with b.
static uint64_t repeated(uint8_t b) {
  return 0x0101010101010101ULL * b;
}

// Every byte of a and b equal, and the kernel's and processes' state.
static void check_same(struct machine *a, struct machine *b) {
  static uint8_t pa_bytes[4096], pb_bytes[4096];
  FUZZ_CHECK(a->cfg.ram_size == b->cfg.ram_size, "different RAM sizes");
  for (uint64_t pa = a->hw.ram.base; pa < machine_phystop(a); pa += 4096) {
    FUZZ_CHECK(ram_read(&a->hw.ram, pa, pa_bytes, 4096) == 0 &&
                   ram_read(&b->hw.ram, pa, pb_bytes, 4096) == 0, "pa 0x%" PRIx64, pa);
    FUZZ_CHECK(memcmp(pa_bytes, pb_bytes, 4096) == 0, "restored page 0x%" PRIx64 " differs",
               pa);
  }
  FUZZ_CHECK(memcmp(&a->kmem, &b->kmem, sizeof(a->kmem)) == 0 &&
                 memcmp(a->proc, b->proc, sizeof(a->proc)) == 0 &&
                 memcmp(&a->hw.hart, &b->hw.hart, sizeof(a->hw.hart)) == 0 &&
                 a->kernel_pagetable == b->kernel_pagetable && a->booted == b->booted &&
                 a->nextpid == b->nextpid && a->initproc == b->initproc &&
                 a->current == b->current, "restored kernel state differs");
}

struct fuzz_snapshot *fuzz_snapshot_take(struct machine *m) {
  FUZZ_CHECK(m->hw.tlb.nlevel[0] + m->hw.tlb.nlevel[1] + m->hw.tlb.nlevel[2] == 0,
             "a snapshot needs an empty TLB");
  struct fuzz_snapshot *s = calloc(1, sizeof(*s));
  FUZZ_CHECK(s != NULL, "out of memory");
  s->m = m;
  s->npages = m->cfg.ram_size / 4096;
  s->pages = calloc(s->npages, sizeof(*s->pages));
  FUZZ_CHECK(s->pages != NULL, "out of memory");
  uint8_t buf[4096];
  for (uint64_t i = 0; i < s->npages; i++) {
    struct snap_page *p = &s->pages[i];
    FUZZ_CHECK(ram_read(&m->hw.ram, m->hw.ram.base + 4096 * i, buf, 4096) == 0, "page %" PRIu64, i);
    memcpy(&p->first, buf, 8); // little-endian host, as ram_load's fast path assumes
    p->fill = buf[8];
    p->uniform = true;
    for (unsigned j = 9; j < 4096 && p->uniform; j++)
      p->uniform = buf[j] == p->fill;
    if (!p->uniform) {
      p->bytes = malloc(4096);
      FUZZ_CHECK(p->bytes != NULL, "out of memory");
      memcpy(p->bytes, buf, 4096);
    }
  }
  struct machine *check = fuzz_machine(&m->cfg);
  fuzz_snapshot_restore(s, check);
  check_same(m, check);
  machine_free(check);
  return s;
}

void fuzz_snapshot_restore(const struct fuzz_snapshot *s, struct machine *m) {
  FUZZ_CHECK(same_boot(&s->m->cfg, &m->cfg), "another configuration");
  for (uint64_t i = 0; i < s->npages; i++) {
    const struct snap_page *p = &s->pages[i];
    uint64_t pa = m->hw.ram.base + 4096 * i;
    if (!p->uniform) {
      ram_write(&m->hw.ram, pa, p->bytes, 4096);
      continue;
    }
    ram_fill_page(&m->hw.ram, pa, p->fill);
    if (p->first != repeated(p->fill))
      ram_store(&m->hw.ram, pa, 8, p->first); // a page address or 0 keeps the page lazy
  }
  // Everything but RAM, the configuration, the TLB, the held-pages and alloc-seq arrays
  // and the log hook is plain values (machine.h lists the host-owned fields). The TLB
  // keeps its geometry, loses its entries (the snapshot had none) and takes the
  // snapshot's counts.
  struct ram ram = m->hw.ram;
  struct config cfg = m->cfg;
  struct tlb tlb = m->hw.tlb;
  // The list of pages held by hand is host memory of this machine (kept across reset):
  // keep the array, take the snapshot's (empty) contents.
  uint64_t *held = m->held;
  size_t held_cap = m->held_cap;
  FUZZ_CHECK(s->m->nheld == 0, "a snapshot with pages held by hand");
  // The cow lab's reference counts and --demand's records are host memory too: keep the
  // arrays, take the snapshot's counts (it has no --demand pages).
  uint32_t *refcnt = m->refcnt;
  struct demand_page *demand = m->demand;
  size_t demand_cap = m->demand_cap;
  FUZZ_CHECK(s->m->ndemand == 0, "a snapshot with --demand pages");
  size_t refcnt_bytes = (size_t)(cfg.ram_size / 4096) * sizeof(*refcnt);
  if (refcnt != NULL && s->m->refcnt != NULL)
    memcpy(refcnt, s->m->refcnt, refcnt_bytes);
  else if (refcnt != NULL)
    memset(refcnt, 0, refcnt_bytes); // the lab was cow once and is no longer: unused
  FUZZ_CHECK(cfg.lab != LAB_COW || (refcnt != NULL && s->m->refcnt != NULL),
             "lab cow without its reference counts");
  // The per-page allocation seqs are host memory too: keep the array, take the contents;
  // the log's hook is the session's, not the snapshot's.
  uint64_t *alloc_seq = m->alloc_seq;
  memcpy(alloc_seq, s->m->alloc_seq, (m->cfg.ram_size / 4096 + 1) * sizeof(*alloc_seq));
  void (*log_fn)(void *, const struct kmem_event *) = m->log_fn;
  void *log_ctx = m->log_ctx;
  tlb_clear(&tlb);
  tlb.total = s->m->hw.tlb.total;
  *m = *s->m;
  m->hw.ram = ram;
  m->cfg = cfg;
  m->hw.tlb = tlb;
  m->held = held;
  m->held_cap = held_cap;
  m->refcnt = refcnt;
  m->demand = demand;
  m->demand_cap = demand_cap;
  m->alloc_seq = alloc_seq;
  m->log_fn = log_fn;
  m->log_ctx = log_ctx;
  machine_set_current(m, m->current); // hw.stats pointed into the snapshot's machine
}

const struct machine *fuzz_snapshot_machine(const struct fuzz_snapshot *s) {
  return s->m;
}

// ---- traces, with boot served from snapshots ----

#define SNAP_CACHE 32
static struct {
  struct config cfg;
  struct fuzz_snapshot *snap;
} snap_cache[SNAP_CACHE];
static unsigned snap_cached;

const struct fuzz_snapshot *fuzz_boot_snapshot(const struct config *cfg) {
  for (unsigned i = 0; i < snap_cached; i++) {
    if (same_boot(&snap_cache[i].cfg, cfg))
      return snap_cache[i].snap;
  }
  if (snap_cached == SNAP_CACHE)
    return NULL;
  struct machine *m = fuzz_machine(cfg);
  FUZZ_CHECK(kvm_boot(m) == SIM_OK, "a fresh machine's boot failed: %s", m->panic_msg);
  snap_cache[snap_cached].cfg = *cfg;
  snap_cache[snap_cached].snap = fuzz_snapshot_take(m);
  return snap_cache[snap_cached++].snap;
}

// The stream replay_stream reads: it hands out at most one line per read, so each read
// at a line's start happens after replay_stream ran the line before.
struct trace_stream {
  struct session *s;
  const uint8_t *data;
  size_t size, pos;
  size_t prev;   // where the line before pos starts
  bool pristine; // the machine is in its power-on state
};

// The characters cmd.c's split() skips between words.
static bool blank(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// The line [start, end) of data: its first word as cmd.c splits it (into word, at most
// len - 1 bytes; "" for none) and whether more words follow. False for a line with a NUL.
static bool first_word(const struct trace_stream *t, size_t start, size_t end, char *word,
                       size_t len, bool *more) {
  if (memchr(t->data + start, '\0', end - start) != NULL)
    return false;
  size_t p = start, n = 0;
  while (p < end && blank(t->data[p]))
    p++;
  while (p < end && !blank(t->data[p]) && t->data[p] != '#') {
    if (n + 1 < len)
      word[n++] = (char)t->data[p];
    p++;
  }
  word[n] = '\0';
  while (p < end && blank(t->data[p]))
    p++;
  *more = p < end && t->data[p] != '#';
  return true;
}

// Whether a line starting with word leaves a machine at power-on as it is: no word, an
// unknown one (no handler runs), or a command that cannot change a machine that never booted.
static bool leaves_power_on(const char *word) {
  static const char *const keep[] = {"mode", "free", "help", "peek", "vmprint",
                                     "json", "dot", "ranges", "walk"};
  if (word[0] == '\0' || cmd_find(word) == NULL)
    return true;
  for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
    if (strcmp(word, keep[i]) == 0)
      return true;
  }
  return false;
}

// Where the line starting at start ends: its newline, or the end of the input.
static size_t line_end(const struct trace_stream *t, size_t start) {
  const uint8_t *nl = memchr(t->data + start, '\n', t->size - start);
  return nl != NULL ? (size_t)(nl - t->data) : t->size;
}

// fopencookie's read: at a line's start, first account for the line before (see
// fuzz_run_trace) and serve a `boot` line from a snapshot when the machine is at power-on.
static ssize_t trace_read(void *cookie, char *buf, size_t n) {
  struct trace_stream *t = cookie;
  struct machine *m = t->s->m;
  while (t->pos < t->size && (t->pos == 0 || t->data[t->pos - 1] == '\n')) {
    char word[16];
    bool more;
    if (t->pos > 0) { // the line before has run
      bool ok = first_word(t, t->prev, t->pos - 1, word, sizeof(word), &more);
      if (ok && strcmp(word, "reset") == 0 && !more) // with arguments it did not run
        t->pristine = !m->booted && !m->halted && m->kmem.nfree == 0;
      else if (!ok || (!leaves_power_on(word) && strcmp(word, "reset") != 0))
        t->pristine = false;
    }
    size_t end = line_end(t, t->pos);
    const struct fuzz_snapshot *snap;
    if (!t->pristine || !first_word(t, t->pos, end, word, sizeof(word), &more) || more ||
        strcmp(word, "boot") != 0 || (snap = fuzz_boot_snapshot(&m->cfg)) == NULL)
      break;
    fuzz_snapshot_restore(snap, m);
    t->pristine = false;
    t->prev = t->pos;
    t->pos = end < t->size ? end + 1 : end;
  }
  if (t->pos == t->size)
    return 0;
  if (t->pos == 0 || t->data[t->pos - 1] == '\n')
    t->prev = t->pos;
  size_t end = line_end(t, t->pos);
  size_t len = (end < t->size ? end + 1 : end) - t->pos;
  if (len > n)
    len = n;
  memcpy(buf, t->data + t->pos, len);
  t->pos += len;
  return (ssize_t)len;
}

void fuzz_run_trace(struct session *s, const uint8_t *data, size_t size) {
  struct trace_stream t = {.s = s, .data = data, .size = size, .pristine = !s->m->booted};
  FILE *in = fopencookie(&t, "r", (cookie_io_functions_t){.read = trace_read});
  FUZZ_CHECK(in != NULL, "fopencookie failed");
  replay_stream(s, in, "fuzz", true);
  fclose(in);
}
