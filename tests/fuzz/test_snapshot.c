// The fuzz targets' shortcuts change nothing a trace can see: every trace of the corpus
// prints the same (apart from the `boot:` line the shortcut skips) and ends in the same
// state whether its boots are real or served from snapshots (fuzz_run_trace).
#define _DEFAULT_SOURCE // alphasort
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>

#include "fuzz.h"
#include "sv39sim/cli/replay.h"

// The output of the trace and a summary of the final state; snap: through fuzz_run_trace.
static char *run(const uint8_t *data, size_t size, bool snap, int *boots) {
  struct config cfg;
  fuzz_config(data, size, &cfg);
  struct machine *m = fuzz_machine(&cfg);
  char *out = NULL;
  size_t len = 0;
  FILE *o = open_memstream(&out, &len);
  cr_assert_not_null(o);
  struct session s = fuzz_session(m, o, 0);
  if (snap) {
    fuzz_run_trace(&s, data, size);
  } else {
    FILE *in = fmemopen((void *)(uintptr_t)data, size, "r");
    cr_assert_not_null(in);
    replay_stream(&s, in, "fuzz", true);
    fclose(in);
  }
  fprintf(o, "end: free %llu satp %llx booted %d halted %d nextpid %d tlb hits %llu misses "
             "%llu flushes %llu\n", (unsigned long long)m->kmem.nfree,
          (unsigned long long)m->hw.hart.satp, m->booted, m->halted, m->nextpid,
          (unsigned long long)m->hw.tlb.total.hits, (unsigned long long)m->hw.tlb.total.misses,
          (unsigned long long)m->hw.tlb.total.flushes);
  fclose(o);
  machine_free(m);
  // Drop the boot lines, counting them.
  *boots = 0;
  char *w = out;
  for (char *r = out; *r != '\0';) {
    char *nl = strchr(r, '\n');
    size_t n = nl != NULL ? (size_t)(nl - r) + 1 : strlen(r);
    if (strncmp(r, "boot: kernel page table", 23) == 0)
      ++*boots;
    else
      w = (char *)memmove(w, r, n) + n;
    r += n;
  }
  *w = '\0';
  return out;
}

// Hidden files are no inputs.
static int visible(const struct dirent *d) {
  return d->d_name[0] != '.';
}

Test(fuzz_snapshot, boots_from_snapshots_change_no_output_of_the_corpus) {
  struct dirent **names;
  int n = scandir(FUZZ_CORPUS, &names, visible, alphasort);
  cr_assert_gt(n, 0, "no files in %s", FUZZ_CORPUS);
  int served = 0;
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", FUZZ_CORPUS, names[i]->d_name);
    free(names[i]);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static uint8_t data[1 << 16];
    size_t size = fread(data, 1, sizeof(data), f);
    fclose(f);
    if (size == 0)
      continue;
    int real_boots, left_boots;
    char *real = run(data, size, false, &real_boots);
    char *snap = run(data, size, true, &left_boots);
    cr_expect_str_eq(snap, real, "%s: the output differs with boots from snapshots", path);
    served += real_boots - left_boots;
    free(real);
    free(snap);
  }
  free(names);
  cr_assert_gt(served, 10, "only %d boots were served from snapshots", served);
}
