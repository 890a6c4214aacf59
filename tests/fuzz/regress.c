// Replays corpus files through a fuzz target without libFuzzer: every file of the
// directories (and files) named on the command line, in name order, once each. A broken
// check aborts (FUZZ_CHECK), sanitizers report their own findings; both fail the test.
#define _DEFAULT_SOURCE // DT_REG, alphasort
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static unsigned long nrun;

// Read one corpus file and run the target on it.
static void run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    exit(1);
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? 2 * cap : 4096;
      buf = realloc(buf, cap);
      if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        exit(1);
      }
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    fprintf(stderr, "%s: read error\n", path);
    exit(1);
  }
  fclose(f);
  // An exact-size copy, so that ASan sees a read past the input's end.
  uint8_t *exact = malloc(len ? len : 1);
  if (exact == NULL)
    exit(1);
  memcpy(exact, buf, len);
  free(buf);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  nrun++;
}

// Hidden files (editor backups, .gitkeep) are no inputs.
static int visible(const struct dirent *d) {
  return d->d_name[0] != '.';
}

// A file, or every file below a directory, in name order.
static void run_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    exit(1);
  }
  if (!S_ISDIR(st.st_mode)) {
    run_file(path);
    return;
  }
  struct dirent **names;
  int n = scandir(path, &names, visible, alphasort);
  if (n < 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    exit(1);
  }
  for (int i = 0; i < n; i++) {
    char child[4096];
    snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
    run_path(child);
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    run_path(argv[i]);
  printf("%lu inputs, no finding\n", nrun);
  return nrun > 0 ? 0 : 1;
}
