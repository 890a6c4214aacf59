// The one copy of each argument parser the commands share: numbers, sizes, vas, access
// letters, pids and the words that name a page table. Messages quote what the user typed.
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"

int arg_fail(struct cmd_call *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof(c->err), fmt, ap);
  va_end(ap);
  return -1;
}

int arg_u64(struct cmd_call *c, const char *what, const char *s, bool suffix, uint64_t *v) {
  errno = 0;
  if (cmd_parse_u64(s, suffix, v) == 0)
    return 0;
  if (errno == ERANGE)
    return arg_fail(c, "%s: '%s' does not fit in 64 bits", what, s);
  return arg_fail(c, "%s: '%s' is not a number%s", what, s,
                  suffix ? " (decimal or 0x hex, optional K/M/G)" : " (decimal or 0x hex)");
}

int arg_int(struct cmd_call *c, const char *what, const char *s, int *v) {
  int64_t x;
  if (cmd_parse_i64(s, false, &x) != 0 || x < INT32_MIN || x > INT32_MAX)
    return what != NULL ? arg_fail(c, "%s: '%s' is not an int", what, s)
                        : arg_fail(c, "'%s' is not an int", s);
  *v = (int)x;
  return 0;
}

int arg_size(struct cmd_call *c, const char *s, unsigned *size) {
  uint64_t v;
  if (cmd_parse_u64(s, false, &v) != 0 || (v != 1 && v != 2 && v != 4 && v != 8))
    return arg_fail(c, "access size '%s' must be 1, 2, 4 or 8", s);
  *size = (unsigned)v;
  return 0;
}

int arg_va(struct cmd_call *c, const char *s, uint64_t *va) {
  int64_t v;
  if (s[0] == '-' && cmd_parse_i64(s, false, &v) == 0) {
    *va = (uint64_t)v;
    return 0;
  }
  return arg_u64(c, "VA", s, false, va);
}

int arg_access(struct cmd_call *c, const char *s, enum access *acc) {
  static const char *const letters[] = {"r", "w", "x"};
  for (int i = 0; i < 3; i++) {
    if (strcmp(s, letters[i]) == 0) {
      *acc = (enum access)i;
      return 0;
    }
  }
  return arg_fail(c, "access '%s' must be r (load), w (store) or x (fetch)", s);
}

int arg_booted(struct cmd_call *c) {
  if (!c->m->booted)
    return arg_fail(c, "the machine has not booted yet (run 'boot' first)");
  return 0;
}

int arg_proc(struct cmd_call *c, const char *s, int *slot) {
  uint64_t pid;
  if (cmd_parse_u64(s, false, &pid) != 0 || pid == 0 || pid > INT32_MAX)
    return arg_fail(c, "'%s' is not a pid", s);
  *slot = proc_slot(c->m, (int)pid);
  if (*slot < 0)
    return arg_fail(c, "no process with pid %s", s);
  return 0;
}

int arg_live(struct cmd_call *c, const char *s, int *slot) {
  if (arg_booted(c) || arg_proc(c, s, slot))
    return -1;
  if (c->m->proc[*slot].state == ZOMBIE)
    return arg_fail(c, "pid %s has exited (a zombie makes no system calls)", s);
  return 0;
}

int arg_user_mode(struct cmd_call *c, int slot) {
  if (c->m->first_kexec && slot == c->m->initproc)
    return arg_fail(c, "pid %d has not reached user space: forkret's %s of /init (its "
                    "first exec) comes first", c->m->proc[slot].pid,
                    c->m->cfg.edition->names.exec);
  return 0;
}

int arg_proc_table(struct cmd_call *c, const char *pid, const char *which,
                   struct render_table *t) {
  int slot;
  if (arg_booted(c) || arg_proc(c, pid, &slot))
    return -1;
  const struct proc *p = &c->m->proc[slot];
  if (which != NULL && strcmp(which, "user") != 0 && strcmp(which, "kernel") != 0)
    return arg_fail(c, "which table: 'user' or 'kernel', not '%s'", which);
  bool kernel = which != NULL && strcmp(which, "kernel") == 0;
  uint64_t root = kernel ? (p->kpagetable ? p->kpagetable : c->m->kernel_pagetable)
                         : p->pagetable;
  if (root == 0)
    return arg_fail(c, "pid %d has no %s page table", p->pid, kernel ? "kernel" : "user");
  *t = (struct render_table){.root = root, .pid = p->pid, .which = kernel ? "kernel" : "user",
                             .satp = MAKE_SATP(root)};
  return 0;
}

int arg_table(struct cmd_call *c, int argc, char **argv, struct render_table *t) {
  struct machine *m = c->m;
  if (argc == 2 && strcmp(argv[1], "satp") == 0) {
    uint64_t satp = m->hw.hart.satp;
    if (SATP_MODE(satp) != SATP_MODE(SATP_SV39))
      return arg_fail(c, "satp 0x%" PRIx64 " is not in Sv39 mode: no translation or protection",
                      satp);
    *t = (struct render_table){.root = SATP_ROOT(satp), .pid = -1, .which = "satp",
                               .satp = satp};
    return 0;
  }
  if (arg_booted(c))
    return -1;
  if (argc == 2 && strcmp(argv[1], "kernel") == 0) {
    *t = (struct render_table){.root = m->kernel_pagetable, .pid = -1, .which = "kernel",
                               .satp = MAKE_SATP(m->kernel_pagetable)};
    return 0;
  }
  return arg_proc_table(c, argv[1], argc == 3 ? argv[2] : NULL, t);
}

FILE *arg_open(struct cmd_call *c, const char *name, const char *mode, char *path,
               size_t len) {
  const struct session *s = c->s;
  if (name[0] != '/' && s->basedir != NULL)
    snprintf(path, len, "%s/%s", s->basedir, name);
  else
    snprintf(path, len, "%s", name);
  FILE *f = s->open_file ? s->open_file(s->open_ctx, name) : fopen(path, mode);
  if (f == NULL)
    arg_fail(c, "cannot open '%s': %s", path, strerror(errno));
  return f;
}

// Larger than any ELF a student runs or any kernel they build, by far.
#define MAX_FILE (64ULL << 20)

int cmd_read_stream(FILE *f, const char *path, uint8_t **data, uint64_t *len, char *err,
                    size_t errlen) {
  uint8_t *buf = NULL;
  uint64_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 65536;
      if (cap > MAX_FILE + 1)
        cap = MAX_FILE + 1;
      uint8_t *b = realloc(buf, cap);
      if (b == NULL) {
        free(buf);
        snprintf(err, errlen, "out of host memory reading '%s'", path);
        return -1;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0 || n > MAX_FILE)
      break;
  }
  if (ferror(f)) {
    free(buf);
    snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
    return -1;
  }
  if (n > MAX_FILE) {
    free(buf);
    snprintf(err, errlen, "'%s' is larger than %llu MiB", path,
             (unsigned long long)(MAX_FILE >> 20));
    return -1;
  }
  *data = buf;
  *len = n;
  return 0;
}

int arg_read_file(struct cmd_call *c, const char *name, uint8_t **data, uint64_t *len) {
  char path[4096];
  FILE *f = arg_open(c, name, "rb", path, sizeof(path));
  if (f == NULL)
    return -1;
  int r = cmd_read_stream(f, path, data, len, c->err, sizeof(c->err));
  fclose(f);
  return r;
}
