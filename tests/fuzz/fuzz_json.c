// Fuzz target: the input is a trace run with --json on a fresh machine (fuzz_run_trace);
// every line of output must be a JSON object with "cmd" and "ok". Then every table the machine has (the
// kernel's, the one satp selects, each process's user and kernel table) is rendered as
// JSON, printed, parsed back, and compared entry by entry with a walk of RAM written
// here, independently of json.c.
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"

// Every table is streamed and compared; the fuzz build (RENDER_MAX_ENTRIES lowered to
// 1024, below a kernel table's 1700 PTEs) skips tables above that, for speed only; the
// regression run of the corpus renders kernel tables in full.
// The PTE at pa, read as the hardware would.
static uint64_t pte_at(struct machine *m, uint64_t pa) {
  uint64_t v = 0;
  FUZZ_CHECK(ram_load(&m->hw.ram, pa, 8, &v) == 0, "table word 0x%" PRIx64 " not in RAM", pa);
  return v;
}

// A pointer PTE whose table is inside RAM (the renderers list the others, unentered).
static bool enters(struct machine *m, uint64_t pte, int level) {
  uint64_t pa = (pte >> 10) << 12;
  return level > 0 && (pte & 0xe) == 0 && pa >= m->hw.ram.base && pa < machine_phystop(m);
}

// Valid PTEs under table, counting no further than limit + 1.
static unsigned long walk_count(struct machine *m, uint64_t table, int level,
                                unsigned long n, unsigned long limit) {
  for (int i = 0; i < 512 && n <= limit; i++) {
    uint64_t pte = pte_at(m, table + 8 * (uint64_t)i);
    if (pte & 1) {
      n++;
      if (enters(m, pte, level))
        n = walk_count(m, (pte >> 10) << 12, level - 1, n, limit);
    }
  }
  return n;
}

// o[key] must be the string 0x... of want, as render_json_hex writes it.
static void check_hex(const cJSON *o, const char *key, uint64_t want) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  char buf[24];
  snprintf(buf, sizeof(buf), "0x%" PRIx64, want);
  FUZZ_CHECK(cJSON_IsString(v) && strcmp(v->valuestring, buf) == 0, "\"%s\" is %s, want %s",
             key, cJSON_IsString(v) ? v->valuestring : "(not a string)", buf);
}

// o[key], which must be a number.
static double number(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  FUZZ_CHECK(cJSON_IsNumber(v), "\"%s\" is not a number", key);
  return v->valuedouble;
}

// The parsed "entries" array against the table in RAM: one item per valid PTE, in index
// order, with its level, index, PTE, pa, leaf flag, and children exactly where the walk
// enters. Returns how many items the tree holds.
static unsigned long compare(struct machine *m, const cJSON *list, uint64_t table, int level) {
  FUZZ_CHECK(cJSON_IsArray(list), "level %d: \"entries\" is not an array", level);
  const cJSON *item = list->child;
  unsigned long n = 0;
  for (int i = 0; i < 512; i++) {
    uint64_t pte = pte_at(m, table + 8 * (uint64_t)i);
    if ((pte & 1) == 0)
      continue;
    FUZZ_CHECK(item != NULL, "table 0x%" PRIx64 ": no item for valid index %d", table, i);
    FUZZ_CHECK(number(item, "level") == level && number(item, "index") == i,
               "table 0x%" PRIx64 " index %d: item says level %g index %g", table, i,
               number(item, "level"), number(item, "index"));
    check_hex(item, "pte", pte);
    check_hex(item, "pa", (pte >> 10) << 12);
    bool leaf = (pte & 0xe) != 0;
    FUZZ_CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(item, "leaf")) &&
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "leaf")) == leaf,
               "index %d: \"leaf\" is not %d", i, leaf);
    const cJSON *children = cJSON_GetObjectItemCaseSensitive(item, "entries");
    n++;
    if (enters(m, pte, level))
      n += compare(m, children, (pte >> 10) << 12, level - 1);
    else
      FUZZ_CHECK(children == NULL, "index %d at level %d has children it should not", i,
                 level);
    item = item->next;
  }
  FUZZ_CHECK(item == NULL, "table 0x%" PRIx64 ": more items than valid PTEs", table);
  return n;
}

// Count, render, print, parse and compare one table (see the limit above).
static void check_table(struct machine *m, const struct render_table *t) {
  bool inside = t->root % 4096 == 0 && t->root >= m->hw.ram.base &&
                t->root < machine_phystop(m);
  unsigned long limit = RENDER_MAX_ENTRIES;
  unsigned long count = inside ? walk_count(m, t->root, 2, 0, limit) : 0;
  unsigned long theirs = render_count_entries(m, t->root, limit);
  FUZZ_CHECK(theirs == count, "%s table 0x%" PRIx64 ": render counts %lu, the walk %lu",
             t->which, t->root, theirs, count);
  // The stream has no limit; the fuzz build skips big tables only to keep inputs cheap.
  if (fuzz_libfuzzer && count > limit)
    return;
  cJSON *head = cJSON_CreateObject();
  FUZZ_CHECK(head != NULL, "out of memory");
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  FUZZ_CHECK(mem != NULL, "open_memstream failed");
  int r = render_json_stream(m, t, head, false, mem);
  fclose(mem);
  cJSON_Delete(head);
  FUZZ_CHECK(r == 0, "%s table 0x%" PRIx64 " with %lu entries not rendered", t->which,
             t->root, count);
  cJSON *back = cJSON_Parse(text);
  FUZZ_CHECK(back != NULL, "the printed tree does not parse: %.200s", text);
  free(text);
  const cJSON *table = cJSON_GetObjectItemCaseSensitive(back, "table");
  FUZZ_CHECK(cJSON_IsString(table) && strcmp(table->valuestring, t->which) == 0,
             "\"table\" is not \"%s\"", t->which);
  check_hex(back, "root", t->root);
  check_hex(back, "satp", t->satp);
  const cJSON *entries = cJSON_GetObjectItemCaseSensitive(back, "entries");
  unsigned long n = inside ? compare(m, entries, t->root, 2) : 0;
  FUZZ_CHECK(inside || cJSON_GetArraySize(entries) == 0, "a root outside RAM has entries");
  FUZZ_CHECK(n == count, "%s table: %lu entries in the tree, %lu in the walk", t->which, n,
             count);
  cJSON_Delete(back);
}

// Every table the machine has, each root once: the one satp selects, each process's user
// table and, when kernels is true, the kernel's and each process's kernel table.
static void check_tables(struct machine *m, bool kernels) {
  struct render_table t[2 + 2 * NPROC];
  int n = 0;
  if (m->booted && kernels)
    t[n++] = (struct render_table){.root = m->kernel_pagetable, .pid = -1, .which = "kernel",
                                   .satp = MAKE_SATP(m->kernel_pagetable)};
  for (int i = 0; i < NPROC; i++) {
    const struct proc *p = &m->proc[i];
    if (p->state != UNUSED && p->pagetable != 0)
      t[n++] = (struct render_table){.root = p->pagetable, .pid = p->pid, .which = "user",
                                     .satp = MAKE_SATP(p->pagetable)};
    if (p->state != UNUSED && p->kpagetable != 0 && kernels)
      t[n++] = (struct render_table){.root = p->kpagetable, .pid = p->pid, .which = "kernel",
                                     .satp = MAKE_SATP(p->kpagetable)};
  }
  // satp's table unless it is one of those, or a kernel table skipped.
  uint64_t root = SATP_ROOT(m->hw.hart.satp);
  bool seen = root == m->kernel_pagetable;
  for (int i = 0; i < NPROC; i++)
    seen = seen || (m->proc[i].state != UNUSED &&
                    (root == m->proc[i].pagetable || root == m->proc[i].kpagetable));
  if (SATP_MODE(m->hw.hart.satp) == SATP_MODE_SV39 && !seen)
    t[n++] = (struct render_table){.root = root, .pid = -1, .which = "satp",
                                   .satp = m->hw.hart.satp};
  for (int i = 0; i < n; i++)
    check_table(m, &t[i]);
}

// Every line the session printed is one JSON object with "cmd" and "ok".
static void check_lines(char *out) {
  for (char *save = NULL, *line = strtok_r(out, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    cJSON *o = cJSON_Parse(line);
    FUZZ_CHECK(cJSON_IsObject(o), "output line is not a JSON object: %.200s", line);
    FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "cmd")) &&
                   cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, "ok")),
               "no \"cmd\" or \"ok\": %.200s", line);
    cJSON_Delete(o);
  }
}

// Once: the tables of a booted machine with pid 1, in each mode (kernel tables are
// rendered in full in the regression run, refused in the fuzz build).
static void check_kernels(void) {
  static bool done;
  if (done)
    return;
  done = true;
  for (int mode = KPT_GLOBAL; mode <= KPT_PER_PROCESS_USER; mode++) {
    struct config cfg;
    fuzz_config(NULL, 0, &cfg);
    cfg.kpt = (enum kpt_mode)mode;
    struct machine *m = fuzz_machine(&cfg);
    int slot;
    FUZZ_CHECK(kvm_boot(m) == SIM_OK && proc_userinit(m, &slot) == SIM_OK, "boot: %s",
               m->panic_msg);
    check_tables(m, true);
    machine_free(m);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_kernels();
  struct config cfg;
  fuzz_config(data, size, &cfg);
  struct machine *m = fuzz_machine(&cfg);
  char *out = NULL;
  size_t outlen = 0;
  FILE *mem = open_memstream(&out, &outlen);
  FUZZ_CHECK(mem != NULL, "open_memstream failed");
  struct session s = fuzz_session(m, mem, 1);
  fuzz_run_trace(&s, data, size);
  fclose(mem);
  check_lines(out);
  free(out);

  // Kernel tables hold over 1000 PTEs, and even counting them three times (here, in
  // render_count_entries, in the refusal) costs most of an input; a quarter of the inputs
  // (by length) check them, the regression run every input.
  check_tables(m, size % 4 == 0 || !fuzz_libfuzzer);
  machine_free(m);
  return 0;
}
