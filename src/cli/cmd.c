#include "sv39sim/cli/cmd.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/tools/check.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"
#include "cmd_priv.h"

#define MAX_WORDS 64
#define MAX_EXEC_FILE (64ULL << 20)

int cmd_fail(struct cmd_ctx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof(c->err), fmt, ap);
  va_end(ap);
  return CMD_ERROR;
}

int cmd_sim(int r) {
  return r == SIM_PANIC ? CMD_PANIC : CMD_OK;
}

// ---- numbers ----

int cmd_parse_u64(const char *s, bool suffix, uint64_t *v) {
  int base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (!isxdigit((unsigned char)s[0]) || (base == 10 && !isdigit((unsigned char)s[0])))
    return -1;
  errno = 0;
  char *end;
  unsigned long long x = strtoull(s, &end, base);
  if (errno == ERANGE)
    return -1; // errno stays ERANGE: the caller can say why
  uint64_t mul = 1;
  if (suffix && *end != '\0' && end[1] == '\0') {
    switch (*end) {
    case 'K': case 'k': mul = 1ULL << 10; end++; break;
    case 'M': case 'm': mul = 1ULL << 20; end++; break;
    case 'G': case 'g': mul = 1ULL << 30; end++; break;
    default: break;
    }
  }
  if (*end != '\0')
    return -1;
  if (x > UINT64_MAX / mul) {
    errno = ERANGE;
    return -1;
  }
  *v = (uint64_t)x * mul;
  return 0;
}

int cmd_parse_i64(const char *s, bool suffix, int64_t *v) {
  bool neg = s[0] == '-';
  uint64_t u;
  if (cmd_parse_u64(s + (neg || s[0] == '+'), suffix, &u) != 0)
    return -1;
  if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX)
    return -1;
  *v = neg ? (int64_t)(0 - u) : (int64_t)u;
  return 0;
}

int cmd_arg_u64(struct cmd_ctx *c, const char *what, const char *s, bool suffix,
                   uint64_t *v) {
  errno = 0;
  if (cmd_parse_u64(s, suffix, v) == 0)
    return CMD_OK;
  if (errno == ERANGE)
    return cmd_fail(c, "%s: '%s' does not fit in 64 bits", what, s);
  return cmd_fail(c, "%s: '%s' is not a number%s", what, s,
                  suffix ? " (decimal or 0x hex, optional K/M/G)" : " (decimal or 0x hex)");
}

int cmd_arg_size(struct cmd_ctx *c, const char *s, unsigned *size) {
  uint64_t v;
  if (cmd_parse_u64(s, false, &v) != 0 || (v != 1 && v != 2 && v != 4 && v != 8))
    return cmd_fail(c, "access size '%s' must be 1, 2, 4 or 8", s);
  *size = (unsigned)v;
  return CMD_OK;
}

// The slot of a live process named by a pid argument.
int cmd_arg_proc(struct cmd_ctx *c, const char *s, int *slot) {
  uint64_t pid;
  if (cmd_parse_u64(s, false, &pid) != 0 || pid == 0 || pid > INT32_MAX)
    return cmd_fail(c, "'%s' is not a pid", s);
  *slot = proc_slot(c->m, (int)pid);
  if (*slot < 0)
    return cmd_fail(c, "no process with pid %s", s);
  return CMD_OK;
}

int cmd_need_boot(struct cmd_ctx *c) {
  if (!c->m->booted)
    return cmd_fail(c, "the machine has not booted yet (run 'boot' first)");
  return CMD_OK;
}

// The slot of a process that can make system calls: booted, alive, not a zombie.
static int arg_live(struct cmd_ctx *c, const char *s, int *slot) {
  if (cmd_need_boot(c) || cmd_arg_proc(c, s, slot))
    return CMD_ERROR;
  if (c->m->proc[*slot].state == ZOMBIE)
    return cmd_fail(c, "pid %s has exited (a zombie makes no system calls)", s);
  return CMD_OK;
}

// ---- commands ----

static int cmd_boot(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc, (void)argv;
  if (c->m->booted)
    return cmd_fail(c, "the machine has booted already ('reset' for a fresh one)");
  int r = kvm_boot(c->m);
  if (r != SIM_OK)
    return cmd_sim(r);
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "free", (double)c->m->kmem.nfree);
    render_json_hex(c->json, "kernel_pagetable", c->m->kernel_pagetable);
  } else {
    fprintf(c->out, "boot: kernel page table 0x%016" PRIx64 ", %" PRIu64 " pages free\n",
            c->m->kernel_pagetable, c->m->kmem.nfree);
  }
  return CMD_OK;
}

static int cmd_mode(struct cmd_ctx *c, int argc, char **argv) {
  if (c->m->booted)
    return cmd_fail(c, "the mode is chosen before 'boot' ('reset' for a fresh machine)");
  enum kpt_mode mode;
  if (kpt_mode_parse(argv[1], &mode) != 0)
    return cmd_fail(c, "unknown mode '%s' (global, per-process or per-process-user)", argv[1]);
  if (argc == 3 && strcmp(argv[2], "clint") != 0)
    return cmd_fail(c, "unknown mode option '%s' (only 'clint')", argv[2]);
  if (argc == 3 && mode != KPT_PER_PROCESS_USER)
    return cmd_fail(c, "'clint' goes with per-process-user (per-process keeps CLINT anyway)");
  c->m->cfg.kpt = mode;
  c->m->cfg.kpt_clint = argc == 3;
  return CMD_OK;
}

static int cmd_userinit(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc, (void)argv;
  if (cmd_need_boot(c))
    return CMD_ERROR;
  if (c->m->initproc >= 0)
    return cmd_fail(c, "userinit has run already (xv6 runs it once)");
  int slot;
  int r = proc_userinit(c->m, &slot);
  if (r != SIM_OK)
    return cmd_sim(r);
  if (c->json)
    cJSON_AddNumberToObject(c->json, "pid", c->m->proc[slot].pid);
  else
    fprintf(c->out, "userinit: pid %d\n", c->m->proc[slot].pid);
  return CMD_OK;
}

// Read a whole host file for exec, relative to the trace's folder when not absolute.
static int read_exec_file(struct cmd_ctx *c, const char *name, uint8_t **data,
                          uint64_t *len) {
  char path[4096];
  if (name[0] != '/' && c->s->basedir != NULL)
    snprintf(path, sizeof(path), "%s/%s", c->s->basedir, name);
  else
    snprintf(path, sizeof(path), "%s", name);
  FILE *f = c->s->open_file ? c->s->open_file(c->s->open_ctx, name) : fopen(path, "rb");
  if (f == NULL)
    return cmd_fail(c, "cannot open '%s': %s", path, strerror(errno));
  uint8_t *buf = NULL;
  uint64_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 65536;
      if (cap > MAX_EXEC_FILE + 1)
        cap = MAX_EXEC_FILE + 1;
      uint8_t *b = realloc(buf, cap);
      if (b == NULL) {
        free(buf);
        fclose(f);
        return cmd_fail(c, "out of host memory reading '%s'", path);
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0 || n > MAX_EXEC_FILE)
      break;
  }
  bool bad = ferror(f) != 0;
  int saved = errno;
  fclose(f);
  if (bad) {
    free(buf);
    return cmd_fail(c, "cannot read '%s': %s", path, strerror(saved));
  }
  if (n > MAX_EXEC_FILE) {
    free(buf);
    return cmd_fail(c, "'%s' is larger than %llu MiB", path,
                (unsigned long long)(MAX_EXEC_FILE >> 20));
  }
  *data = buf;
  *len = n;
  return CMD_OK;
}

static int cmd_exec(struct cmd_ctx *c, int argc, char **argv) {
  int slot;
  if (arg_live(c, argv[1], &slot))
    return CMD_ERROR;
  uint8_t *image;
  uint64_t len;
  int first_arg;
  const char *path;
  if (strcmp(argv[2], "-s") == 0) {
    uint64_t size;
    if (argc < 4)
      return cmd_fail(c, "-s needs a SIZE");
    if (cmd_arg_u64(c, "SIZE", argv[3], true, &size))
      return CMD_ERROR;
    image = exec_synthetic_image(size, &len);
    if (image == NULL)
      return cmd_fail(c, "out of host memory");
    first_arg = 4;
    path = argc > 4 ? argv[4] : "";
  } else {
    if (read_exec_file(c, argv[2], &image, &len))
      return CMD_ERROR;
    first_arg = 3;
    path = argv[2];
  }
  // With no ARG, a file is run as itself (argv[0] is its name); -s gets argc 0.
  char **args = argv + first_arg;
  int nargs = argc - first_arg;
  char *self[1] = {argv[2]};
  if (nargs == 0 && first_arg == 3) {
    args = self;
    nargs = 1;
  }
  struct exec_result res;
  int r = exec_sys_exec(c->m, slot, image, len, path, nargs, args, &res);
  free(image);
  if (r != SIM_OK)
    return cmd_sim(r);
  struct proc *p = &c->m->proc[slot];
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "pid", p->pid);
    cJSON_AddNumberToObject(c->json, "ret", res.ret);
    if (res.ret < 0)
      cJSON_AddStringToObject(c->json, "reason", res.why);
    else
      render_json_hex(c->json, "sz", p->sz);
  } else if (res.ret < 0) {
    fprintf(c->out, "exec: pid %d: exec returns -1 (%s)\n", p->pid, res.why);
  } else {
    fprintf(c->out, "exec: pid %d: argc %d, sz 0x%" PRIx64 "\n", p->pid, res.ret, p->sz);
  }
  return CMD_OK;
}

static int cmd_fork(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot, pid;
  if (arg_live(c, argv[1], &slot))
    return CMD_ERROR;
  int r = proc_fork(c->m, slot, &pid);
  if (r != SIM_OK)
    return cmd_sim(r);
  if (c->json)
    cJSON_AddNumberToObject(c->json, "pid", pid);
  else if (pid < 0)
    fprintf(c->out, "fork: pid %d: fork returns -1\n", c->m->proc[slot].pid);
  else
    fprintf(c->out, "fork: pid %d: child pid %d\n", c->m->proc[slot].pid, pid);
  return CMD_OK;
}

static int cmd_sbrk(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot;
  int64_t n, ret;
  if (arg_live(c, argv[1], &slot))
    return CMD_ERROR;
  if (cmd_parse_i64(argv[2], true, &n) != 0 || n < INT32_MIN || n > INT32_MAX)
    return cmd_fail(c, "N: '%s' is not an int (sbrk's argument is 32-bit)", argv[2]);
  struct proc *p = &c->m->proc[slot];
  uint64_t old = p->sz;
  int r = proc_sbrk(c->m, slot, (int32_t)n, &ret);
  if (r == SIM_PANIC)
    return CMD_PANIC;
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "ret", (double)ret);
    render_json_hex(c->json, "old", old);
    render_json_hex(c->json, "sz", p->sz);
  } else if (r == SIM_FAIL) {
    fprintf(c->out, "sbrk: pid %d: sbrk returns -1, sz stays 0x%" PRIx64 "\n", p->pid,
            p->sz);
  } else {
    fprintf(c->out, "sbrk: pid %d: old size 0x%" PRIx64 ", sz now 0x%" PRIx64 "\n", p->pid,
            old, p->sz);
  }
  return CMD_OK;
}

static int cmd_exit(struct cmd_ctx *c, int argc, char **argv) {
  int slot;
  int64_t status = 0;
  if (arg_live(c, argv[1], &slot))
    return CMD_ERROR;
  if (argc == 3 && (cmd_parse_i64(argv[2], false, &status) != 0 || status < INT32_MIN ||
                    status > INT32_MAX))
    return cmd_fail(c, "STATUS: '%s' is not an int", argv[2]);
  int r = proc_exit(c->m, slot, (int)status);
  if (r != SIM_OK)
    return cmd_sim(r);
  if (!c->json)
    fprintf(c->out, "exit: pid %d is a zombie (status %d)\n", c->m->proc[slot].pid,
            (int)status);
  return CMD_OK;
}

static int cmd_wait(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot, pid;
  bool blocked;
  if (arg_live(c, argv[1], &slot))
    return CMD_ERROR;
  int r = proc_wait(c->m, slot, &pid, &blocked);
  if (r != SIM_OK)
    return cmd_sim(r);
  int me = c->m->proc[slot].pid;
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "pid", pid);
    if (blocked)
      cJSON_AddBoolToObject(c->json, "blocked", true);
  } else if (blocked) {
    fprintf(c->out, "wait: pid %d would sleep: it has children and none has exited "
                    "(nothing changes)\n", me);
  } else if (pid < 0) {
    fprintf(c->out, "wait: pid %d: wait returns -1 (no children)\n", me);
  } else {
    fprintf(c->out, "wait: pid %d reaped pid %d\n", me, pid);
  }
  return CMD_OK;
}

static int cmd_kill(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int64_t pid;
  int ret;
  if (cmd_need_boot(c))
    return CMD_ERROR;
  // sys_kill takes any int; no process has a pid below 1, so those return -1.
  if (cmd_parse_i64(argv[1], false, &pid) != 0 || pid < INT32_MIN || pid > INT32_MAX)
    return cmd_fail(c, "'%s' is not an int", argv[1]);
  int slot = proc_slot(c->m, (int)pid);
  bool was_zombie = slot >= 0 && c->m->proc[slot].state == ZOMBIE;
  int r = proc_kill(c->m, (int)pid, &ret);
  if (r != SIM_OK)
    return cmd_sim(r);
  if (c->json)
    cJSON_AddNumberToObject(c->json, "ret", ret);
  else if (ret < 0)
    fprintf(c->out, "kill: kill returns -1 (no process with pid %d)\n", (int)pid);
  else if (was_zombie)
    fprintf(c->out, "kill: pid %d is a zombie already\n", (int)pid);
  else
    fprintf(c->out, "kill: pid %d exits with status -1 at its next trap\n", (int)pid);
  return CMD_OK;
}

static int cmd_switch(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot = -1;
  if (cmd_need_boot(c))
    return CMD_ERROR;
  if (strcmp(argv[1], "idle") != 0 && arg_live(c, argv[1], &slot))
    return CMD_ERROR;
  int r = proc_switch(c->m, slot);
  if (r != SIM_OK)
    return cmd_sim(r);
  if (c->json) {
    render_json_hex(c->json, "satp", c->m->hw.hart.satp);
  } else if (slot < 0) {
    fprintf(c->out, "switch: idle, satp 0x%016" PRIx64 "\n", c->m->hw.hart.satp);
  } else {
    fprintf(c->out, "switch: pid %d, satp 0x%016" PRIx64 "\n", c->m->proc[slot].pid,
            c->m->hw.hart.satp);
  }
  return CMD_OK;
}

#define MAX_COPYIN (64ULL << 10)

static const char *copy_how(const struct machine *m, const char *fn) {
  static const char *const how[] = {"walkaddr", "copyin_new", "copyinstr_new"};
  if (m->cfg.kpt != KPT_PER_PROCESS_USER)
    return how[0];
  return how[strcmp(fn, "copyin") == 0 ? 1 : 2];
}

static void hexdump(FILE *out, uint64_t va, const uint8_t *b, uint64_t n) {
  for (uint64_t i = 0; i < n; i += 16) {
    fprintf(out, "  0x%016" PRIx64 ":", va + i);
    for (uint64_t j = i; j < n && j < i + 16; j++)
      fprintf(out, " %02x", b[j]);
    fputc('\n', out);
  }
}

static int cmd_copyin(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot, ret;
  uint64_t va, len;
  if (arg_live(c, argv[1], &slot) || cmd_arg_u64(c, "VA", argv[2], false, &va) ||
      cmd_arg_u64(c, "LEN", argv[3], true, &len))
    return CMD_ERROR;
  if (len > MAX_COPYIN)
    return cmd_fail(c, "LEN is at most %llu", (unsigned long long)MAX_COPYIN);
  uint8_t *buf = calloc(1, len ? len : 1);
  if (buf == NULL)
    return cmd_fail(c, "out of host memory");
  int r = proc_copyin(c->m, slot, buf, va, len, &ret);
  if (r != SIM_OK) {
    free(buf);
    return cmd_sim(r);
  }
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "ret", ret);
    cJSON_AddNumberToObject(c->json, "ncopyin", (double)c->m->stats.ncopyin);
    char *hex = malloc(2 * len + 1);
    if (hex != NULL && ret == 0) {
      for (uint64_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", buf[i]);
      hex[2 * len] = '\0';
      cJSON_AddStringToObject(c->json, "bytes", hex);
    }
    free(hex);
  } else {
    fprintf(c->out, "copyin: pid %d: returns %d (%s; copyin_new calls %" PRIu64 ")\n",
            c->m->proc[slot].pid, ret, copy_how(c->m, "copyin"), c->m->stats.ncopyin);
    if (ret == 0)
      hexdump(c->out, va, buf, len);
  }
  free(buf);
  return CMD_OK;
}

static int cmd_copyinstr(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot, ret;
  uint64_t va, max;
  if (arg_live(c, argv[1], &slot) || cmd_arg_u64(c, "VA", argv[2], false, &va) ||
      cmd_arg_u64(c, "MAX", argv[3], true, &max))
    return CMD_ERROR;
  if (max > MAX_COPYIN)
    return cmd_fail(c, "MAX is at most %llu", (unsigned long long)MAX_COPYIN);
  char *buf = calloc(1, max + 1);
  if (buf == NULL)
    return cmd_fail(c, "out of host memory");
  int r = proc_copyinstr(c->m, slot, buf, va, max, &ret);
  if (r != SIM_OK) {
    free(buf);
    return cmd_sim(r);
  }
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "ret", ret);
    cJSON_AddNumberToObject(c->json, "ncopyinstr", (double)c->m->stats.ncopyinstr);
    if (ret == 0)
      cJSON_AddStringToObject(c->json, "string", buf);
  } else {
    fprintf(c->out, "copyinstr: pid %d: returns %d (%s; copyinstr_new calls %" PRIu64 ")",
            c->m->proc[slot].pid, ret, copy_how(c->m, "copyinstr"), c->m->stats.ncopyinstr);
    if (ret == 0) {
      fputs(": \"", c->out);
      for (const char *q = buf; *q; q++) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '"' || ch == '\\')
          fprintf(c->out, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f)
          fputc(ch, c->out);
        else
          fprintf(c->out, "\\x%02x", ch);
      }
      fputc('"', c->out);
    }
    fputc('\n', c->out);
  }
  free(buf);
  return CMD_OK;
}

// The table named by the words after the command: PID [user|kernel] (a process's table;
// its kernel table is the global one in global mode), kernel (the global kernel table) or
// satp (the table the hart translates with now, booted or not).
static int arg_table(struct cmd_ctx *c, int argc, char **argv, struct render_table *t) {
  struct machine *m = c->m;
  *t = (struct render_table){.pid = -1}; // set on every path, as optimisers can prove
  if (argc == 2 && strcmp(argv[1], "satp") == 0) {
    uint64_t satp = m->hw.hart.satp;
    if (satp >> 60 != SATP_SV39 >> 60)
      return cmd_fail(c, "satp 0x%" PRIx64 " is not in Sv39 mode: no translation or protection",
                  satp);
    *t = (struct render_table){.root = (satp & ((1ULL << 44) - 1)) << PGSHIFT,
                               .pid = -1, .which = "satp", .satp = satp};
    return CMD_OK;
  }
  if (cmd_need_boot(c))
    return CMD_ERROR;
  if (argc == 2 && strcmp(argv[1], "kernel") == 0) {
    *t = (struct render_table){.root = m->kernel_pagetable, .pid = -1, .which = "kernel",
                               .satp = MAKE_SATP(m->kernel_pagetable)};
    return CMD_OK;
  }
  int slot;
  if (cmd_arg_proc(c, argv[1], &slot))
    return CMD_ERROR;
  struct proc *p = &m->proc[slot];
  if (argc == 3 && strcmp(argv[2], "user") != 0 && strcmp(argv[2], "kernel") != 0)
    return cmd_fail(c, "which table: 'user' or 'kernel', not '%s'", argv[2]);
  bool kernel = argc == 3 && strcmp(argv[2], "kernel") == 0;
  uint64_t root = kernel ? (p->kpagetable ? p->kpagetable : m->kernel_pagetable) : p->pagetable;
  if (root == 0)
    return cmd_fail(c, "pid %d has no %s page table", p->pid, kernel ? "kernel" : "user");
  *t = (struct render_table){.root = root, .pid = p->pid, .which = kernel ? "kernel" : "user",
                             .satp = MAKE_SATP(root)};
  return CMD_OK;
}

static int too_big(struct cmd_ctx *c) {
  return cmd_fail(c, "the table has more than %lu valid PTEs (json) or ranges (dot), or the "
              "host is out of memory ('ranges' lists any table)", RENDER_MAX_ENTRIES);
}

// With --json the tree, as `json` gives it; xv6's text otherwise.
static int cmd_vmprint(struct cmd_ctx *c, int argc, char **argv) {
  struct render_table t;
  if (arg_table(c, argc, argv, &t))
    return CMD_ERROR;
  if (c->json)
    return render_json_pagetable(c->m, &t, c->json) != 0 ? too_big(c) : CMD_OK;
  render_vmprint(c->m, t.root, c->out);
  return CMD_OK;
}

// The tree as JSON; in text mode printed indented for reading.
static int cmd_json(struct cmd_ctx *c, int argc, char **argv) {
  struct render_table t;
  if (arg_table(c, argc, argv, &t))
    return CMD_ERROR;
  if (c->json)
    return render_json_pagetable(c->m, &t, c->json) != 0 ? too_big(c) : CMD_OK;
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || render_json_pagetable(c->m, &t, o) != 0) {
    cJSON_Delete(o);
    return too_big(c);
  }
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (text == NULL)
    return cmd_fail(c, "out of host memory");
  fprintf(c->out, "%s\n", text);
  cJSON_free(text);
  return CMD_OK;
}

static int cmd_dot(struct cmd_ctx *c, int argc, char **argv) {
  struct render_table t;
  if (arg_table(c, argc, argv, &t))
    return CMD_ERROR;
  if (!c->json)
    return render_dot(c->m, &t, c->out) != 0 ? too_big(c) : CMD_OK;
  char *text = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&text, &n);
  if (mem == NULL)
    return cmd_fail(c, "out of host memory");
  int r = render_dot(c->m, &t, mem);
  if (fclose(mem) != 0)
    r = -1;
  if (r == 0)
    cJSON_AddStringToObject(c->json, "dot", text);
  free(text);
  return r != 0 ? too_big(c) : CMD_OK;
}

static int cmd_ranges(struct cmd_ctx *c, int argc, char **argv) {
  struct render_table t;
  if (arg_table(c, argc, argv, &t))
    return CMD_ERROR;
  if (c->json)
    return render_ranges_json(c->m, t.root, c->json) != 0 ? too_big(c) : CMD_OK;
  render_ranges(c->m, t.root, c->out, c->s->color);
  return CMD_OK;
}

static int cmd_free(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc, (void)argv;
  if (c->json)
    cJSON_AddNumberToObject(c->json, "free", (double)c->m->kmem.nfree);
  else
    fprintf(c->out, "free: %" PRIu64 " pages\n", c->m->kmem.nfree);
  return CMD_OK;
}

static int cmd_kalloc(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc, (void)argv;
  uint64_t pa = kmem_kalloc(c->m);
  if (c->m->halted)
    return CMD_PANIC;
  // The page is the user's now: `check` counts it as held, not leaked.
  if (pa != 0 && check_hold(c->m, pa) != 0)
    return cmd_fail(c, "out of host memory (the page 0x%" PRIx64 " stays taken)", pa);
  if (c->json)
    render_json_hex(c->json, "pa", pa);
  else if (pa == 0)
    fprintf(c->out, "kalloc: 0 (no free page)\n");
  else
    fprintf(c->out, "kalloc: 0x%016" PRIx64 "\n", pa);
  return CMD_OK;
}

static int cmd_kfree(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  uint64_t pa;
  if (cmd_arg_u64(c, "PA", argv[1], false, &pa))
    return CMD_ERROR;
  int r = kmem_kfree(c->m, pa);
  if (r == SIM_OK)
    check_release(c->m, pa);
  return cmd_sim(r);
}

// The consistency checker's report. Problems make the command fail (exit status 1), so
// that a trace can assert consistency.
static int cmd_check(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc, (void)argv;
  struct check_report r;
  if (check_machine(c->m, &r) != 0)
    return cmd_fail(c, "out of host memory for the page map");
  const char *why_none = r.leaks_checked ? ""
                         : c->m->halted  ? " (after a panic pages may be in flight)"
                                         : " (before boot the pool is nobody's)";
  if (c->json) {
    render_json_hex(c->json, "pool_base", r.pool_base);
    render_json_hex(c->json, "pool_end", r.pool_end);
    cJSON_AddNumberToObject(c->json, "pool_pages", (double)r.npool);
    cJSON *pages = cJSON_AddObjectToObject(c->json, "pages");
    for (int k = 0; k < CHECK_NKINDS; k++)
      cJSON_AddNumberToObject(pages, check_owner_name(k), (double)r.count[k]);
    cJSON_AddBoolToObject(c->json, "leaks_checked", r.leaks_checked);
    cJSON_AddNumberToObject(c->json, "nproblems", (double)r.nproblems);
    cJSON *list = cJSON_AddArrayToObject(c->json, "problems");
    for (unsigned i = 0; i < r.nlisted; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "kind", check_problem_name(r.problem[i].kind));
      render_json_hex(o, "pa", r.problem[i].pa);
      cJSON_AddStringToObject(o, "what", r.problem[i].what);
      cJSON_AddItemToArray(list, o);
    }
  } else {
    fprintf(c->out, "check: %" PRIu64 " pool pages, 0x%016" PRIx64 "..0x%016" PRIx64 "\n",
            r.npool, r.pool_base, r.pool_end);
    for (int k = CHECK_FREE; k < CHECK_NKINDS; k++)
      fprintf(c->out, "  %-15s %8" PRIu64 "\n", check_owner_name(k), r.count[k]);
    fprintf(c->out, "  %-15s %8" PRIu64 "%s\n", check_owner_name(CHECK_NONE),
            r.count[CHECK_NONE], r.count[CHECK_NONE] ? why_none : "");
    for (unsigned i = 0; i < r.nlisted; i++) {
      const struct check_problem *q = &r.problem[i];
      if (q->kind == CHECK_NFREE)
        fprintf(c->out, "  %s: %s\n", check_problem_name(q->kind), q->what);
      else
        fprintf(c->out, "  %s 0x%016" PRIx64 ": %s\n", check_problem_name(q->kind), q->pa,
                q->what);
    }
    if (r.nproblems > r.nlisted)
      fprintf(c->out, "  ... and %" PRIu64 " more\n", r.nproblems - r.nlisted);
    if (r.nproblems == 0)
      fprintf(c->out, "check: no problems\n");
  }
  if (r.nproblems > 0)
    return cmd_fail(c, "%" PRIu64 " problem%s (the first: %s)", r.nproblems,
                    r.nproblems == 1 ? "" : "s", check_problem_name(r.problem[0].kind));
  return CMD_OK;
}

static int ram_range_error(struct cmd_ctx *c, uint64_t pa) {
  return cmd_fail(c, "pa 0x%" PRIx64 " is not in RAM (0x%" PRIx64 "..0x%" PRIx64 ")", pa,
              c->m->hw.ram.base, machine_phystop(c->m));
}

static int cmd_peek(struct cmd_ctx *c, int argc, char **argv) {
  uint64_t pa, v;
  unsigned size = 8;
  if (cmd_arg_u64(c, "PA", argv[1], false, &pa) || (argc == 3 && cmd_arg_size(c, argv[2], &size)))
    return CMD_ERROR;
  if (ram_load(&c->m->hw.ram, pa, size, &v) != 0)
    return ram_range_error(c, pa);
  if (c->json)
    render_json_hex(c->json, "value", v);
  else
    fprintf(c->out, "0x%016" PRIx64 ": 0x%0*" PRIx64 "\n", pa, (int)size * 2, v);
  return CMD_OK;
}

static int cmd_poke(struct cmd_ctx *c, int argc, char **argv) {
  uint64_t pa, v;
  unsigned size = 8;
  if (cmd_arg_u64(c, "PA", argv[1], false, &pa) || cmd_arg_u64(c, "VALUE", argv[2], false, &v) ||
      (argc == 4 && cmd_arg_size(c, argv[3], &size)))
    return CMD_ERROR;
  if (size < 8 && v >> (8 * size) != 0)
    return cmd_fail(c, "VALUE 0x%" PRIx64 " does not fit in %u bytes", v, size);
  if (ram_store(&c->m->hw.ram, pa, size, v) != 0)
    return ram_range_error(c, pa);
  return CMD_OK;
}

static int cmd_failat(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  uint64_t n;
  if (strcmp(argv[1], "off") == 0)
    n = 0;
  else if (cmd_arg_u64(c, "N", argv[1], false, &n))
    return CMD_ERROR;
  else if (n == 0)
    return cmd_fail(c, "N counts from 1 (the next kalloc); 'failat off' turns it off");
  c->m->kmem.failat = n;
  return CMD_OK;
}

static int cmd_reset(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc, (void)argv;
  if (machine_reset(c->m) != 0)
    return cmd_fail(c, "out of host memory for a fresh machine");
  return CMD_OK;
}

static int cmd_help(struct cmd_ctx *c, int argc, char **argv);

// How the views name a table (arg_table).
#define TABLE_ARGS "PID [user|kernel] | kernel | satp"

// Sorted by name.
static const struct cmd_def table[] = {
    {"access", cmd_access, "PID FILE",
     "replay an address trace (valgrind lackey or Dinero din) through the MMU as PID in "
     "U-mode", 2, 2, true},
    {"boot", cmd_boot, "", "kinit, kvminit, kvminithart, procinit: xv6's main() up to userinit",
     0, 0, true},
    {"check", cmd_check, "",
     "the consistency checker: every pool page free exactly once or owned exactly once", 0,
     0, false},
    {"copyin", cmd_copyin, "PID VA LEN",
     "the kernel reads LEN bytes of user memory (walkaddr, or copyin_new in mode 3)", 3, 3,
     true},
    {"copyinstr", cmd_copyinstr, "PID VA MAX",
     "the kernel reads a string of user memory (walkaddr, or copyinstr_new in mode 3)", 3, 3,
     true},
    {"dot", cmd_dot, TABLE_ARGS,
     "a page table as a Graphviz digraph (pipe it into 'dot -Tsvg')", 1, 2, false},
    {"exec", cmd_exec, "PID FILE [ARG...] | PID -s SIZE [ARG...]",
     "sys_exec of a RISC-V ELF file, or of a synthetic image of SIZE bytes; ARGs are argv", 2,
     -1, true},
    {"exit", cmd_exit, "PID [STATUS]", "the process exits and becomes a zombie", 1, 2, true},
    {"failat", cmd_failat, "N | off", "make the Nth kalloc from now return 0", 1, 1, false},
    {"fork", cmd_fork, "PID", "the process forks; prints the child's pid", 1, 1, true},
    {"free", cmd_free, "", "the number of free pages", 0, 0, false},
    {"help", cmd_help, "[COMMAND]", "list the commands, or explain one", 0, 1, false},
    {"json", cmd_json, TABLE_ARGS, "a page table as a JSON tree", 1, 2, false},
    {"kalloc", cmd_kalloc, "", "take a page from the free list", 0, 0, true},
    {"kfree", cmd_kfree, "PA", "give a page back to the free list", 1, 1, true},
    {"kill", cmd_kill, "PID", "kill(pid): the process exits with status -1", 1, 1, true},
    {"load", cmd_load, "VA [1|2|4|8]", "read memory through the MMU (8 bytes by default)", 1,
     2, true},
    {"mappages", cmd_mappages, "PID user|kernel VA SIZE PA PERM",
     "xv6's mappages by hand; PERM is letters from \"rwxug\"", 6, 6, true},
    {"mode", cmd_mode, "global|per-process|per-process-user [clint]",
     "the kernel page-table mode (before boot)", 1, 2, true},
    {"peek", cmd_peek, "PA [1|2|4|8]", "read physical memory", 1, 2, false},
    {"poke", cmd_poke, "PA VALUE [1|2|4|8]", "write physical memory", 2, 3, true},
    {"priv", cmd_priv, "u|s", "the hart's privilege for translate, load and store", 1, 1,
     true},
    {"ranges", cmd_ranges, TABLE_ARGS,
     "the mapped ranges, merged as QEMU's 'info mem' shows them", 1, 2, false},
    {"reset", cmd_reset, "", "a fresh machine with the same options", 0, 0, false},
    {"satp", cmd_satp, "[VALUE]", "read or write satp (no TLB flush)", 0, 1, true},
    {"sbrk", cmd_sbrk, "PID N", "grow (N > 0) or shrink (N < 0) user memory, as sys_sbrk",
     2, 2, true},
    {"sfence", cmd_sfence, "[VA|-] [ASID|-]", "sfence.vma; '-' stands for x0", 0, 2, true},
    {"sstatus", cmd_sstatus, "[sum=0|1] [mxr=0|1]",
     "show or set sstatus.SUM and sstatus.MXR", 0, 2, true},
    {"store", cmd_store, "VA VALUE [1|2|4|8]",
     "write memory through the MMU (8 bytes by default)", 2, 3, true},
    {"switch", cmd_switch, "PID | idle",
     "the scheduler runs the process, or goes back to its idle loop", 1, 1, true},
    {"tlb", cmd_tlb, "[stats|flush|show]", "the TLB's counts, a full flush, or its entries",
     0, 1, true},
    {"translate", cmd_translate, "VA [r|w|x]",
     "one MMU access with satp, privilege and TLB as they are; shows each step", 1, 2,
     true},
    {"userinit", cmd_userinit, "", "create pid 1 with initcode at va 0", 0, 0, true},
    {"vmprint", cmd_vmprint, TABLE_ARGS,
     "print a page table in the format of xv6's vmprint", 1, 2, false},
    {"wait", cmd_wait, "PID", "the process reaps one zombie child (freeproc); prints its pid",
     1, 1, true},
    {"walk", cmd_walk, "PID user|kernel VA [r|w|x]",
     "walk a process's table in software: no TLB, nothing written", 3, 4, false},
};

const struct cmd_def *cmd_table(size_t *n) {
  *n = sizeof(table) / sizeof(table[0]);
  return table;
}

const struct cmd_def *cmd_find(const char *name) {
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (strcmp(table[i].name, name) == 0)
      return &table[i];
  }
  return NULL;
}

static int cmd_help(struct cmd_ctx *c, int argc, char **argv) {
  if (argc == 2) {
    const struct cmd_def *d = cmd_find(argv[1]);
    if (d == NULL)
      return cmd_fail(c, "no command '%s' ('help' lists them)", argv[1]);
    if (c->json) {
      cJSON_AddStringToObject(c->json, "usage", d->usage);
      cJSON_AddStringToObject(c->json, "help", d->help);
    } else {
      fprintf(c->out, "%s %s\n  %s\n", d->name, d->usage, d->help);
    }
    return CMD_OK;
  }
  cJSON *list = c->json ? cJSON_AddArrayToObject(c->json, "commands") : NULL;
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (list != NULL)
      cJSON_AddItemToArray(list, cJSON_CreateString(table[i].name));
    else
      fprintf(c->out, "  %-10s %-44s %s\n", table[i].name, table[i].usage, table[i].help);
  }
  return CMD_OK;
}

// ---- running a line ----

// Split a line into words; '#' starts a comment. Returns the word count, or -1 when there
// are too many.
static int split(char *line, char **words) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\v' || *p == '\f')
      p++;
    if (*p == '\0' || *p == '#')
      return n;
    if (n == MAX_WORDS)
      return -1;
    words[n++] = p;
    while (*p != '\0' && *p != '#' && !isspace((unsigned char)*p))
      p++;
    if (*p == '#') {
      *p = '\0';
      return n;
    }
    if (*p != '\0')
      *p++ = '\0';
  }
}

// msg with control characters as \xNN: a message quotes what the user typed, and a
// binary file must not drive the terminal.
static void put_escaped(FILE *f, const char *msg) {
  for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7f)
      fprintf(f, "\\x%02x", *p);
    else
      fputc(*p, f);
  }
}

static void report(struct session *s, const char *cmd, const char *msg) {
  fputs(render_sgr(s->color_err, HUE_ERROR), s->err);
  if (s->line > 0)
    fprintf(s->err, "%s:%lu: %s%s", s->file, s->line, cmd ? cmd : "", cmd ? ": " : "");
  else
    fprintf(s->err, "%s: %s%s", s->file, cmd ? cmd : "", cmd ? ": " : "");
  put_escaped(s->err, msg);
  fprintf(s->err, "%s\n", render_sgr(s->color_err, HUE_RESET));
}

// Bytes that are not part of well-formed UTF-8 become '?', in place. JSON text must be
// UTF-8, and what users type (a binary trace) or copyinstr reads need not be.
static void utf8_clean(char *s) {
  unsigned char *p = (unsigned char *)s;
  while (*p != '\0') {
    int n = *p < 0x80 ? 0 : *p >= 0xc2 && *p <= 0xdf ? 1 : (*p & 0xf0) == 0xe0 ? 2
            : *p >= 0xf0 && *p <= 0xf4 ? 3 : -1;
    // The second byte's range rules out overlong forms, surrogates and > U+10FFFF.
    unsigned lo = *p == 0xe0 ? 0xa0 : *p == 0xf0 ? 0x90 : 0x80;
    unsigned hi = *p == 0xed ? 0x9f : *p == 0xf4 ? 0x8f : 0xbf;
    bool ok = n >= 0 && (n == 0 || (p[1] >= lo && p[1] <= hi));
    for (int k = 2; ok && k <= n; k++)
      ok = (p[k] & 0xc0) == 0x80;
    if (!ok) {
      *p++ = '?';
      continue;
    }
    p += n + 1;
  }
}

// utf8_clean every string and key of o, its siblings and their children.
static void json_clean(cJSON *o) {
  for (; o != NULL; o = o->next) {
    if (cJSON_IsString(o) && o->valuestring != NULL)
      utf8_clean(o->valuestring);
    if (o->string != NULL)
      utf8_clean(o->string);
    json_clean(o->child);
  }
}

static void emit_json(struct session *s, cJSON *o) {
  json_clean(o);
  char *text = cJSON_PrintUnformatted(o);
  if (text != NULL) {
    fprintf(s->out, "%s\n", text);
    cJSON_free(text);
  }
}

enum cmd_status cmd_run_line(struct session *s, const char *line) {
  char *copy = strdup(line);
  if (copy == NULL) {
    report(s, NULL, "out of host memory");
    return CMD_ERROR;
  }
  char *words[MAX_WORDS];
  int argc = split(copy, words);
  if (argc == 0) {
    free(copy);
    return CMD_OK;
  }
  struct cmd_ctx c = {.s = s, .m = s->m, .out = s->out};
  if (s->json) {
    c.json = cJSON_CreateObject();
    cJSON_AddStringToObject(c.json, "cmd", argc > 0 ? words[0] : "");
    cJSON_AddBoolToObject(c.json, "ok", true);
  }
  int status;
  const struct cmd_def *d = argc > 0 ? cmd_find(words[0]) : NULL;
  if (argc < 0) {
    status = cmd_fail(&c, "more than %d words on one line", MAX_WORDS);
  } else if (d == NULL) {
    status = cmd_fail(&c, "unknown command '%s' ('help' lists them)", words[0]);
  } else if (argc - 1 < d->min_args || (d->max_args >= 0 && argc - 1 > d->max_args)) {
    status = cmd_fail(&c, "usage: %s %s", d->name, d->usage);
  } else if (d->mutates && s->m->halted) {
    status = cmd_fail(&c, "the kernel has panicked (%s); only inspection works until 'reset'",
                  s->m->panic_msg);
  } else {
    status = d->handler(&c, argc, words);
  }
  const char *name = argc > 0 && d != NULL ? d->name : NULL;
  if (status == CMD_ERROR)
    report(s, name, c.err);
  if (status == CMD_PANIC) {
    s->panicked = true;
    if (!s->json) {
      fprintf(s->out, "%spanic: %s%s\n", render_sgr(s->color, HUE_PANIC), s->m->panic_msg,
              render_sgr(s->color, HUE_RESET));
      if (s->m->panic_detail[0] != '\0')
        fprintf(s->out, "  (%s)\n", s->m->panic_detail);
    }
  }
  if (c.json) {
    cJSON_ReplaceItemInObject(c.json, "ok", cJSON_CreateBool(status == CMD_OK));
    if (status == CMD_ERROR)
      cJSON_AddStringToObject(c.json, "error", c.err);
    if (status == CMD_PANIC) {
      cJSON_AddStringToObject(c.json, "panic", s->m->panic_msg);
      if (s->m->panic_detail[0] != '\0')
        cJSON_AddStringToObject(c.json, "detail", s->m->panic_detail);
    }
    emit_json(s, c.json);
    cJSON_Delete(c.json);
  }
  free(copy);
  return (enum cmd_status)status;
}
