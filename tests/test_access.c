// Address-trace replay: the bundled traces/small.lackey against statistics computed here
// by a separate, simpler model, and the parser's formats and errors.
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sv39sim/tools/access.h"
#include "sv39sim/cli/cmd.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/tlb.h"

static struct machine *m;
static char *outbuf;
static size_t outlen;
static FILE *out;
static int pid1_slot;

// A booted machine with pid 1 after exec of a 12K image: va pages 0, 1, 2 (image) and
// 4 (stack) are R W X U; page 3 is the guard (U clear); nothing else below the trampoline.
static void make(unsigned entries, unsigned ways) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.tlb.entries = entries;
  cfg.tlb.ways = ways;
  char err[128];
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "%s", err);
  struct session s = {.m = m, .out = out, .err = out, .file = "test"};
  const char *lines[] = {"boot", "userinit", "exec 1 -s 12K"};
  for (size_t i = 0; i < 3; i++)
    cr_assert_eq(cmd_run_line(&s, lines[i]), CMD_OK, "%s failed", lines[i]);
  pid1_slot = proc_slot(m, 1);
  cr_assert_geq(pid1_slot, 0);
  cr_assert_eq(m->proc[pid1_slot].sz, 0x5000, "sz 0x%lx", m->proc[pid1_slot].sz);
}

static void setup(void) {
  out = open_memstream(&outbuf, &outlen);
  cr_assert_not_null(out);
  make(4, 0);
}

static void teardown(void) {
  machine_free(m);
  fclose(out);
  free(outbuf);
}

TestSuite(access, .init = setup, .fini = teardown);

// ---- the independent model: per-set recency lists, most recent first ----

struct model {
  unsigned sets, ways;
  uint64_t vpn[64][64];
  bool dirty[64][64];
  unsigned n[64];
  bool pte_d[8]; // D in the PTE in memory: set by the first store's walk, never cleared
  uint64_t hits, misses, faults, translations;
};

static bool mapped(uint64_t vpn) {
  return vpn == 0 || vpn == 1 || vpn == 2 || vpn == 4;
}

static void to_front(struct model *md, unsigned set, unsigned i, uint64_t vpn, bool dirty) {
  memmove(&md->vpn[set][1], &md->vpn[set][0], i * sizeof(uint64_t));
  memmove(&md->dirty[set][1], &md->dirty[set][0], i * sizeof(bool));
  md->vpn[set][0] = vpn;
  md->dirty[set][0] = dirty;
}

// One translation; returns false when it faults.
static bool model_access(struct model *md, uint64_t vpn, bool store) {
  md->translations++;
  unsigned set = (unsigned)(vpn % md->sets);
  for (unsigned i = 0; i < md->n[set]; i++) {
    if (md->vpn[set][i] != vpn)
      continue;
    if (!store || md->dirty[set][i]) {
      md->hits++;
      to_front(md, set, i, vpn, md->dirty[set][i]);
      return true;
    }
    md->misses++; // a clean entry: the store walks again to set D
    md->pte_d[vpn] = true;
    to_front(md, set, i, vpn, true);
    return true;
  }
  md->misses++;
  if (!mapped(vpn)) {
    md->faults++;
    return false;
  }
  if (md->n[set] < md->ways)
    md->n[set]++;
  md->pte_d[vpn] |= store;
  to_front(md, set, md->n[set] - 1, vpn, md->pte_d[vpn]); // the entry caches the PTE's D
  return true;
}

static void model_run(struct model *md, const char *path) {
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "%s", path);
  char line[256];
  while (fgets(line, sizeof(line), f) != NULL) {
    char kind;
    unsigned long long va;
    unsigned size;
    if (sscanf(line, " %c %llx,%u", &kind, &va, &size) != 3)
      continue; // valgrind's "==" lines
    bool ok = true;
    if (kind == 'M')
      ok = model_access(md, va >> 12, false);
    if (ok)
      ok = model_access(md, va >> 12, kind == 'S' || kind == 'M');
    if (ok && (va >> 12) != ((va + size - 1) >> 12))
      model_access(md, (va + size - 1) >> 12, kind == 'S' || kind == 'M');
  }
  fclose(f);
}

static void check_geometry(unsigned entries, unsigned ways) {
  machine_free(m);
  make(entries, ways);
  struct model md = {.ways = ways ? ways : entries};
  md.sets = entries / md.ways;
  model_run(&md, TRACES "/small.lackey");
  FILE *f = fopen(TRACES "/small.lackey", "r");
  cr_assert_not_null(f);
  struct access_stats st;
  char err[256];
  int r = access_run(m, pid1_slot, f, "small.lackey", &st, err, sizeof(err));
  fclose(f);
  cr_assert_eq(r, 0, "%s", err);
  cr_assert_eq(st.format, ACCESS_LACKEY);
  cr_assert_eq(st.records, 30, "%lu records", st.records);
  cr_assert_eq(st.translations, md.translations, "%ux%u: %lu translations, model %lu",
               entries, ways, st.translations, md.translations);
  cr_assert_eq(st.hits, md.hits, "%ux%u: %lu hits, model %lu", entries, ways, st.hits,
               md.hits);
  cr_assert_eq(st.misses, md.misses, "%ux%u: %lu misses, model %lu", entries, ways,
               st.misses, md.misses);
  cr_assert_eq(st.faults, md.faults, "%ux%u: %lu faults, model %lu", entries, ways,
               st.faults, md.faults);
}

Test(access, the_bundled_trace_matches_an_independent_model_with_4_entries) {
  check_geometry(4, 0);
}

Test(access, the_bundled_trace_matches_an_independent_model_with_smaller_tlbs) {
  check_geometry(2, 0);
  check_geometry(1, 0);
  check_geometry(4, 2);
  check_geometry(4, 1);
  check_geometry(8, 2);
}

Test(access, the_bundled_trace_gives_the_counts_in_its_golden_output) {
  FILE *f = fopen(TRACES "/small.lackey", "r");
  cr_assert_not_null(f);
  struct access_stats st;
  char err[256];
  cr_assert_eq(access_run(m, pid1_slot, f, "small.lackey", &st, err, sizeof(err)), 0);
  fclose(f);
  cr_assert_eq(st.translations, 34);
  cr_assert_eq(st.hits, 23, "%lu hits", st.hits);
  cr_assert_eq(st.misses, 11, "%lu misses", st.misses);
  cr_assert_eq(st.faults, 3, "%lu faults", st.faults);
  cr_assert_eq(m->hw.hart.priv, PRIV_S, "the hart did not return to S-mode");
  cr_assert_eq(m->current, -1, "current stayed on the process");
}

static int replay_text(const char *text, struct access_stats *st, char *err, size_t len) {
  FILE *f = fmemopen((void *)text, strlen(text), "r");
  cr_assert_not_null(f);
  int r = access_run(m, pid1_slot, f, "t", st, err, len);
  fclose(f);
  return r;
}

Test(access, reads_dinero_din_and_skips_its_escape_records) {
  struct access_stats st;
  char err[256] = "";
  int r = replay_text("2 0\n0 4ff0 a comment\n1 4ff8\n3 0\n4 0\n2 1000", &st, err,
                      sizeof(err));
  cr_assert_eq(r, 0, "%s", err);
  cr_assert_eq(st.format, ACCESS_DIN);
  cr_assert_eq(st.records, 4, "%lu records", st.records);
  cr_assert_eq(st.skipped, 2);
  cr_assert_eq(st.kind[ACCESS_I], 2);
  cr_assert_eq(st.kind[ACCESS_L], 1);
  cr_assert_eq(st.kind[ACCESS_S], 1);
  // 0 x miss; 4ff0 r miss; 4ff8 w: clean entry, miss; 1000 x miss.
  cr_assert_eq(st.misses, 4, "%lu misses", st.misses);
  cr_assert_eq(st.hits, 0);
}

Test(access, an_address_outside_sv39_is_an_error_naming_its_line) {
  struct access_stats st;
  char err[256] = "";
  int r = replay_text("I  00000000,4\n L 7ff000398,8\n L 4000000000,8\n", &st, err,
                      sizeof(err));
  cr_assert_eq(r, -1);
  cr_assert(strstr(err, "t:3:") != NULL, "error '%s' does not name t:3", err);
  cr_assert(strstr(err, "outside Sv39") != NULL, "error '%s'", err);
  cr_assert_eq(st.records, 2, "%lu records before the bad line", st.records);
}

Test(access, a_malformed_line_is_an_error_naming_its_line) {
  struct access_stats st;
  char err[256] = "";
  cr_assert_eq(replay_text("I  00000000,4\n L 1000\n", &st, err, sizeof(err)), -1);
  cr_assert(strstr(err, "t:2:") != NULL, "error '%s'", err);
  cr_assert_eq(replay_text("I  00000000,4\n0 1000\n", &st, err, sizeof(err)), -1,
               "din inside a lackey trace");
  cr_assert_eq(replay_text("I  zz,4\n", &st, err, sizeof(err)), -1);
  cr_assert(strstr(err, "t:1:") != NULL, "error '%s'", err);
}

Test(access, a_line_too_long_is_an_error_not_a_crash) {
  static char text[ACCESS_MAX_LINE + 64];
  memset(text, ' ', sizeof(text) - 1);
  text[sizeof(text) - 1] = '\0';
  struct access_stats st;
  char err[256] = "";
  cr_assert_eq(replay_text(text, &st, err, sizeof(err)), -1);
  cr_assert(strstr(err, "longer") != NULL, "error '%s'", err);
}

// valgrind's own layout takes a faster parser than lines with tabs, 0x, CR or blanks at
// the end; both must read the same accesses.
Test(access, odd_but_valid_lackey_lines_read_as_valgrinds_own_layout_does) {
  struct access_stats plain, odd;
  char err[256] = "";
  cr_assert_eq(replay_text("I  00000000,4\n L 00004ff0,8\n S 00004ff8,8\n M 00001000,4\n",
                           &plain, err, sizeof(err)), 0, "%s", err);
  machine_free(m); // the first replay set A and D bits: start again from the same state
  make(4, 0);
  cr_assert_eq(replay_text("I  00000000,4\n L\t0x4ff0,8\r\n S 00000000000000004ff8,8 \n"
                           "\tM  1000,4\t\n",
                           &odd, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(odd.records, plain.records, "%lu records, want %lu", odd.records, plain.records);
  cr_assert_eq(odd.translations, plain.translations, "%lu translations, want %lu",
               odd.translations, plain.translations);
  cr_assert_eq(odd.misses, plain.misses, "%lu misses, want %lu", odd.misses, plain.misses);
  cr_assert_eq(odd.hits, plain.hits, "%lu hits, want %lu", odd.hits, plain.hits);
  cr_assert_eq(odd.kind[ACCESS_M], 1, "%lu modifies", odd.kind[ACCESS_M]);
}

// The line after many fast-parsed ones is still numbered and judged as before.
Test(access, a_bad_line_after_many_good_ones_names_its_line) {
  enum { GOOD = 20000 };
  size_t cap = GOOD * 16 + 64, n = 0;
  char *text = malloc(cap);
  cr_assert_not_null(text);
  for (int i = 0; i < GOOD; i++)
    n += (size_t)snprintf(text + n, cap - n, " L %08x,8\n", (unsigned)(i % 512) * 8);
  snprintf(text + n, cap - n, " L 00001000,0\n");
  struct access_stats st;
  char err[256] = "";
  int r = replay_text(text, &st, err, sizeof(err));
  free(text);
  cr_assert_eq(r, -1);
  cr_assert(strstr(err, "t:20001: SIZE must be") != NULL, "error '%s'", err);
  cr_assert_eq(st.records, GOOD, "%lu records before the bad line", st.records);
}

// A 17th significant hex digit is refused whether the digits come eight at a time or not.
Test(access, an_address_of_17_significant_digits_is_refused) {
  struct access_stats st;
  char err[256] = "";
  cr_assert_eq(replay_text(" L 10000000000000000,8\n", &st, err, sizeof(err)), -1);
  cr_assert(strstr(err, "t:1: the address is not 1 to 16 hex digits") != NULL, "error '%s'",
            err);
  cr_assert_eq(replay_text(" L 00000000000000000000001000,8\n", &st, err, sizeof(err)), 0,
               "leading zeros are not significant: %s", err);
}

Test(access, an_access_across_pages_translates_each_page_it_touches_until_one_faults) {
  struct access_stats st;
  char err[256] = "";
  // 0x800..0x27ff: pages 0, 1 and 2; 0x800..0x1fff: pages 0 and 1, ending on the boundary.
  cr_assert_eq(replay_text(" L 00000800,8193\n L 00000800,6144\n", &st, err, sizeof(err)), 0,
               "%s", err);
  cr_assert_eq(st.translations, 5, "%lu translations, want 3 + 2", st.translations);
  cr_assert_eq(st.faults, 0, "%lu faults", st.faults);
  // 0x2800..0x47ff: page 2, then the guard page 3 (U clear) faults and 4 is never reached.
  cr_assert_eq(replay_text(" S 00002800,8192\n", &st, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(st.translations, 2, "%lu translations, want 2", st.translations);
  cr_assert_eq(st.faults, 1, "%lu faults", st.faults);
  cr_assert_eq(st.first[0].f.tval, 0x3000, "fault at 0x%lx, want the guard page 0x3000",
               st.first[0].f.tval);
}
