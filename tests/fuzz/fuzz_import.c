// Fuzz target: the input is a text file for `import`. The reader must never read outside
// the input and must give the same answer twice; a refusal names "fuzz:" and, for a
// line's fault, a line of the input. A dump it accepts, placed into RAM, must walk back
// to the same entries, print back as the input's own lines in its own format (the round
// trip), and read back the same from each other edition's format. On a booted machine,
// placing it and installing it as pid 1's table either leave check clean or refuse and
// change nothing.
#include <string.h>

#include "fuzz.h"
#include "sv39sim/tools/check.h"
#include "sv39sim/tools/import.h"
#include "sv39sim/view/render.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/proc.h"

// The editions whose vmprint formats differ, one each.
static const struct xv6_edition *const formats[] = {&edition_fall2020, &edition_fall2021,
                                                    &edition_fall2024, &edition_fall2025};

static bool same_dump(const struct import_dump *a, const struct import_dump *b) {
  if (a->root != b->root || a->nptes != b->nptes || a->ntables != b->ntables)
    return false;
  for (size_t i = 0; i < a->nptes; i++) {
    const struct import_pte *x = &a->ptes[i], *y = &b->ptes[i];
    if (x->table != y->table || x->index != y->index || x->level != y->level ||
        x->va != y->va || x->pte != y->pte)
      return false;
  }
  for (size_t i = 0; i < a->ntables; i++) {
    if (a->tables[i].pa != b->tables[i].pa)
      return false;
  }
  return true;
}

// Whether every root entry of d is in a slot that 2024's format names apart.
static bool xv6_root_slots(const struct import_dump *d) {
  for (size_t i = 0; i < d->nptes; i++) {
    unsigned x = d->ptes[i].index;
    if (d->ptes[i].level == 2 && x > 2 && x != 255)
      return false;
  }
  return true;
}

// Line no (from 1) of text without its newline, carriage return and trailing blanks, as
// the reader sees it; its length in *n.
static const char *line_of(const char *text, size_t len, unsigned no, size_t *n) {
  const char *p = text, *end = text + len;
  for (unsigned i = 1; i < no && p < end; i++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
  }
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  const char *e = nl ? nl : end;
  while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
    e--;
  *n = (size_t)(e - p);
  return p;
}

// The dump's table printed as ed's vmprint; the caller frees it.
static char *print_as(struct machine *m, const struct xv6_edition *ed, uint64_t root,
                      size_t *n) {
  m->cfg.edition = ed;
  char *text = NULL;
  FILE *f = open_memstream(&text, n);
  FUZZ_CHECK(f != NULL, "out of memory");
  render_vmprint(m, root, f);
  fclose(f);
  return text;
}

// The accepted dump d of text, placed and printed back.
static void round_trip(struct machine *m, const char *text, size_t len,
                       const struct import_dump *d) {
  char err[512];
  int r = import_place(m, "fuzz", d, err, sizeof(err));
  FUZZ_CHECK(r == 0, "an unbooted machine refused a parsed dump: %s", err);
  struct import_dump back;
  FUZZ_CHECK(import_from_ram(m, d->root, &back) == 0, "out of memory");
  FUZZ_CHECK(same_dump(d, &back), "the walk of the placed dump differs from the dump");
  import_dump_free(&back);
  for (size_t k = 0; k < sizeof(formats) / sizeof(formats[0]); k++) {
    size_t n;
    char *out = print_as(m, formats[k], d->root, &n);
    bool own = formats[k]->vmprint == d->fmt ||
               (d->ambiguous && formats[k]->vmprint >= EDITION_VMPRINT_VA_INT);
    if (own) {
      // Line by line: the header's end, then each PTE line exactly.
      const char *p = out, *end = out + n;
      for (unsigned no = d->header_line; no <= d->last_line; no++) {
        size_t ln;
        const char *want = line_of(text, len, no, &ln);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        FUZZ_CHECK(nl != NULL, "the print back ends before line %u", no);
        size_t gn = (size_t)(nl - p);
        bool ok = no == d->header_line ? gn <= ln && memcmp(want + ln - gn, p, gn) == 0
                                       : gn == ln && memcmp(want, p, gn) == 0;
        FUZZ_CHECK(ok, "line %u prints back as '%.*s'", no, (int)gn, p);
        p = nl + 1;
      }
      FUZZ_CHECK(p == end, "the print back has more lines than the dump");
    }
    // 2024's int va names root slots 0, 1, 2 and 255 only (import.h): a table with another
    // root slot prints in 2024's format as one with that slot's class.
    if (formats[k]->vmprint == EDITION_VMPRINT_VA_INT && !xv6_root_slots(d)) {
      free(out);
      continue;
    }
    struct import_dump again;
    r = import_parse("fuzz", out, n, 1, m->hw.ram.base, m->hw.ram.size, &again, err,
                     sizeof(err));
    FUZZ_CHECK(r == 0, "%s's print back does not read back: %s", formats[k]->name, err);
    FUZZ_CHECK(same_dump(d, &again), "%s's print back reads back otherwise",
               formats[k]->name);
    import_dump_free(&again);
    free(out);
  }
}

// check finds nothing wrong with m.
static void check_clean(struct machine *m, const char *after) {
  struct check_report r;
  FUZZ_CHECK(check_machine(m, &r) == 0, "out of memory");
  FUZZ_CHECK(r.nproblems == 0, "after %s, check: %s %s", after,
             check_problem_name(r.problem[0].kind), r.problem[0].what);
}

// A booted machine with pid 1 (userinit), restored from a snapshot taken once.
static struct machine *booted(int *slot) {
  static struct fuzz_snapshot *snap;
  static struct machine *m;
  static int init_slot;
  if (snap == NULL) {
    struct config cfg;
    fuzz_config(NULL, 0, &cfg);
    struct machine *b = fuzz_machine(&cfg);
    FUZZ_CHECK(kvm_boot(b) == SIM_OK, "boot: %s", b->panic_msg);
    FUZZ_CHECK(proc_userinit(b, &init_slot) == SIM_OK, "userinit: %s", b->panic_msg);
    snap = fuzz_snapshot_take(b);
    m = fuzz_machine(&cfg);
  }
  fuzz_snapshot_restore(snap, m);
  *slot = init_slot;
  return m;
}

// On a booted machine, placing d and installing it as pid 1's table each succeed with
// check clean, or refuse and change nothing.
static void on_booted(const struct import_dump *d) {
  int slot;
  struct machine *m = booted(&slot);
  char err[512];
  for (int as_pid = 0; as_pid < 2; as_pid++) {
    uint64_t nfree = m->kmem.nfree, head = m->kmem.freelist, root = m->proc[slot].pagetable;
    int r = as_pid ? import_install(m, "fuzz", d, slot, err, sizeof(err))
                   : import_place(m, "fuzz", d, err, sizeof(err));
    FUZZ_CHECK(r == 0 || r == -1, "%s: %d (%s)", as_pid ? "install" : "place", r,
               m->panic_msg);
    if (r == 0) {
      check_clean(m, as_pid ? "import_install" : "import_place");
      FUZZ_CHECK(!as_pid || m->proc[slot].pagetable == d->root, "not installed");
      continue;
    }
    FUZZ_CHECK(strncmp(err, "fuzz", 4) == 0, "refused without the file's name: %s", err);
    FUZZ_CHECK(m->kmem.nfree == nfree && m->kmem.freelist == head &&
                   m->proc[slot].pagetable == root, "a refusal changed the machine: %s", err);
  }
  // And freeproc could free whatever table pid 1 has now.
  FUZZ_CHECK(proc_freepagetable(m, m->proc[slot].pagetable, m->proc[slot].sz) == SIM_OK,
             "freeing pid 1's table panicked: %s", m->panic_msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct machine *m;
  if (m == NULL) {
    struct config cfg;
    config_defaults(&cfg);
    cfg.ram_size = FUZZ_RAM_DEFAULT;
    m = fuzz_machine(&cfg);
  }
  // A private copy of exactly size bytes, so that ASan sees any read past the end.
  char *text = malloc(size ? size : 1);
  FUZZ_CHECK(text != NULL, "out of memory");
  memcpy(text, data, size);
  unsigned lines[4];
  unsigned n = import_count(text, size, lines, 4);
  FUZZ_CHECK(n == import_count(text, size, lines, 4), "two counts differ");
  // The first dump, and the last when there are several.
  for (unsigned which = 1; which <= (n > 1 ? 2 : 1); which++) {
    unsigned w = which == 1 ? 1 : n;
    struct import_dump a, b;
    char ea[512] = "", eb[512] = "";
    int ra = import_parse("fuzz", text, size, w, m->hw.ram.base, m->hw.ram.size, &a, ea,
                          sizeof(ea));
    int rb = import_parse("fuzz", text, size, w, m->hw.ram.base, m->hw.ram.size, &b, eb,
                          sizeof(eb));
    FUZZ_CHECK(ra == rb, "the same text read twice: %d, then %d", ra, rb);
    if (ra != 0) {
      FUZZ_CHECK(ra == -1 && strncmp(ea, "fuzz:", 5) == 0 && strcmp(ea, eb) == 0,
                 "refused without one message: %d '%s'", ra, ea);
      FUZZ_CHECK(n == 0 || w <= n, "dump %u of %u refused: %s", w, n, ea);
      continue;
    }
    FUZZ_CHECK(w <= n, "dump %u read from a text of %u dumps", w, n);
    FUZZ_CHECK(same_dump(&a, &b), "the same dump read twice differs");
    round_trip(m, text, size, &a);
    on_booted(&a);
    import_dump_free(&a);
    import_dump_free(&b);
  }
  free(text);
  return 0;
}
