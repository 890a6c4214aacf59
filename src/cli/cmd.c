// The trace language's core: the one command table (which help, completion and the
// reference test read), numbers, and running a line: split it, check the argument count,
// run the handler, then report its error or panic and print its JSON object.
#include "sv39sim/cli/cmd.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd_priv.h"
#include "sv39sim/view/render.h"
#include "sv39sim/xv6/explain.h"
#include "sv39sim/xv6/machine.h"

#define MAX_WORDS 64

// ---- results ----

struct cmd_result cmd_ok(void) {
  return (struct cmd_result){.status = CMD_OK};
}

struct cmd_result cmd_fail(struct cmd_call *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof(c->err), fmt, ap);
  va_end(ap);
  return cmd_error(c);
}

struct cmd_result cmd_error(struct cmd_call *c) {
  return (struct cmd_result){.status = CMD_ERROR, .error = c->err};
}

struct cmd_result cmd_sim(int r) {
  return (struct cmd_result){.status = r == SIM_PANIC ? CMD_PANIC : CMD_OK};
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

// How the views name a table (arg_table).
#define TABLE_ARGS "PID [user|kernel] | kernel | satp"

// The commands whose output is what the user asked to see (views of the machine, reads,
// steps of a translation): -q keeps it and silences every other command's.
static const char *const view_commands[] = {
    "access", "check", "compare", "copyin", "copyinstr", "diff", "dot", "free", "help",
    "json", "lint", "load", "owner", "peek", "ps", "ranges", "satp", "sstatus", "store",
    "tlb", "touch", "translate", "trapframe", "vmprint", "walk",
};

// Sorted by name.
static const struct cmd_def table[] = {
    {"access", cmd_access, "PID FILE [--demand]",
     "replay an address trace (valgrind lackey or Dinero din) through the MMU as PID in "
     "U-mode; --demand maps a page at each first touch", 2, 3, true},
    {"boot", cmd_boot, "", "kinit, kvminit, kvminithart, procinit: xv6's main() up to userinit",
     0, 0, true},
    {"check", cmd_check, "",
     "the consistency checker: every pool page free exactly once or owned exactly once", 0,
     0, false},
    {"compare", cmd_compare, "FILE[:N] PID [user|kernel] | FILE[:N] kernel|satp | FILE[:N] FILE[:N]",
     "your vmprint dump against sv39sim's table (or another dump): identical, shifted, or "
     "which entries and flags differ", 2, 3, false},
    {"copyin", cmd_copyin, "PID VA LEN",
     "the kernel reads LEN bytes of user memory (walkaddr, or copyin_new in mode 3)", 3, 3,
     true},
    {"copyinstr", cmd_copyinstr, "PID VA MAX",
     "the kernel reads a string of user memory (walkaddr, or copyinstr_new in mode 3)", 3, 3,
     true},
    {"diff", cmd_diff, "PID [user|kernel] COMMAND... | kernel COMMAND... | satp COMMAND...",
     "run COMMAND and show what it changed in the table: PTEs added, removed, changed, "
     "table pages", 2, -1, false},
    {"dot", cmd_dot, "PID [user|kernel] [expand] [walk VA] | kernel | satp",
     "a page table as a Graphviz digraph (pipe it into 'dot -Tsvg')", 1, 5, false},
    {"edition", cmd_edition, "YEAR",
     "the xv6 edition simulated, 2020 (default) to 2025 (before boot)", 1, 1, true},
    {"exec", cmd_exec, "PID FILE [ARG...] | PID -s SIZE [ARG...]",
     "sys_exec of a RISC-V ELF file, or of a synthetic image of SIZE bytes; ARGs are argv", 2,
     -1, true},
    {"exit", cmd_exit, "PID [STATUS]",
     "the process exits and becomes a zombie (to leave sv39sim: quit)", 0, 2, true},
    {"failat", cmd_failat, "N | off", "make the Nth kalloc from now return 0", 1, 1, false},
    {"fork", cmd_fork, "PID [copies]",
     "the process forks; prints the child's pid (and with 'copies' each page it copied)", 1,
     2, true},
    {"free", cmd_free, "", "the number of free pages", 0, 0, false},
    {"help", cmd_help, "[COMMAND]", "list the commands, or explain one", 0, 1, false},
    {"import", cmd_import, "FILE[:N] [as satp] | FILE[:N] as PID user|kernel",
     "rebuild a vmprint dump (any edition's format) in RAM at its physical addresses; "
     "prints its satp", 1, 4, true},
    {"json", cmd_json, TABLE_ARGS, "a page table as a JSON tree", 1, 2, false},
    {"kalloc", cmd_kalloc, "", "take a page from the free list", 0, 0, true},
    {"kernel", cmd_kernel, "ELF",
     "take etext, end and trampoline from your own xv6 kernel's ELF (before boot)", 1, 1,
     true},
    {"kfree", cmd_kfree, "PA", "give a page back to the free list", 1, 1, true},
    {"kill", cmd_kill, "PID", "kill(pid): the process exits with status -1", 1, 1, true},
    {"lab", cmd_lab, "none|pgtbl [superpages=N]|lazy|cow",
     "the lab solution the kernel carries: pgtbl (2021 on), lazy (2020), cow (before boot)",
     1, 2, true},
    {"lint", cmd_lint, "PID [user|kernel] | kernel | satp",
     "a reviewer's checks of a table: W without R, reserved bits, guard page, U in a "
     "kernel table...", 1, 2, false},
    {"load", cmd_load, "VA [1|2|4|8]", "read memory through the MMU (8 bytes by default)", 1,
     2, true},
    {"log", cmd_log, "on|off",
     "the allocation log: each kalloc and kfree with its xv6 call chain", 1, 1, false},
    {"mappages", cmd_mappages, "PID user|kernel VA SIZE PA PERM",
     "xv6's mappages by hand; PERM is letters from \"rwxug\"", 6, 6, true},
    {"mode", cmd_mode,
     "global|per-process|per-process-user [clint|noclint] [kstack=allocproc|procinit|zero]",
     "the kernel page-table mode and the lab solution's shape (before boot)", 1, 3, true},
    {"owner", cmd_owner, "PA",
     "what a physical page is now (free, table page, user page, ...), who maps it, and "
     "which log event allocated it", 1, 1, false},
    {"peek", cmd_peek, "PA [1|2|4|8]", "read physical memory", 1, 2, false},
    {"pgaccess", cmd_pgaccess, "PID VA N",
     "lab pgtbl's pgaccess (2021-2023): which of N pages from VA have PTE_A set, clearing it",
     3, 3, true},
    {"poke", cmd_poke, "PA VALUE [1|2|4|8]", "write physical memory", 2, 3, true},
    {"priv", cmd_priv, "u|s", "the hart's privilege for translate, load and store", 1, 1,
     true},
    {"ps", cmd_ps, "", "the process table: pid, state, parent, sz, tables, killed, name", 0,
     0, false},
    {"quit", cmd_quit, "", "leave sv39sim (Ctrl-D too); in a trace, stop reading it", 0, 0,
     false},
    {"ranges", cmd_ranges, TABLE_ARGS,
     "the mapped ranges, merged as QEMU's 'info mem' shows them", 1, 2, false},
    {"reset", cmd_reset, "", "a fresh machine with the same options", 0, 0, false},
    {"satp", cmd_satp, "[VALUE]", "read or write satp (no TLB flush)", 0, 1, true},
    {"sbrk", cmd_sbrk, "PID N", "grow (N > 0) or shrink (N < 0) user memory, as sys_sbrk",
     2, 2, true},
    {"sbrklazy", cmd_sbrklazy, "PID N",
     "2025's sys_sbrk(N, SBRK_LAZY): sz grows, vmfault makes each page at its first touch", 2,
     2, true},
    {"sfence", cmd_sfence, "[VA|-] [ASID|-]", "sfence.vma; '-' stands for x0", 0, 2, true},
    {"sstatus", cmd_sstatus, "[sum=0|1] [mxr=0|1]",
     "show or set sstatus.SUM and sstatus.MXR", 0, 2, true},
    {"store", cmd_store, "VA VALUE [1|2|4|8]",
     "write memory through the MMU (8 bytes by default)", 2, 3, true},
    {"switch", cmd_switch, "PID | idle",
     "the scheduler runs the process, or goes back to its idle loop", 1, 1, true},
    {"tlb", cmd_tlb, "[stats|flush|show]", "the TLB's counts, a full flush, or its entries",
     0, 1, true},
    {"touch", cmd_touch, "PID VA [r|w|x] [--demand]",
     "the process accesses VA in U-mode; a page fault traps to usertrap (lab, stock kill)",
     2, 4, true},
    {"translate", cmd_translate, "VA [r|w|x]",
     "one MMU access with satp, privilege and TLB as they are; shows each step", 1, 2,
     true},
    {"trapframe", cmd_trapframe, "PID",
     "the process's struct trapframe, decoded from its page", 1, 1, false},
    {"userinit", cmd_userinit, "", "create pid 1 with initcode at va 0", 0, 0, true},
    {"vmprint", cmd_vmprint, TABLE_ARGS,
     "print a page table in the format of xv6's vmprint", 1, 2, false},
    {"wait", cmd_wait, "PID", "the process reaps one zombie child (freeproc); prints its pid",
     1, 1, true},
    {"walk", cmd_walk, "PID user|kernel VA [r|w|x] | satp VALUE VA [r|w|x] [u|s] [sum] [mxr]",
     "walk a table in software, a process's or any satp's: no TLB, nothing written", 3, 8,
     false},
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

// The width help wraps to: the terminal's when out is one, else 80. At the prompt out is
// a stream on standard output with no fd of its own (repl.c's), so that one is asked.
static int help_width(FILE *out, bool interactive) {
  struct winsize ws;
  int fd = fileno(out);
  if (fd < 0 && interactive)
    fd = STDOUT_FILENO;
  if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

// text from column col (the cursor stands there) to width, words wrapped, later lines
// indented to col; a word longer than the room stands alone on its line.
static void put_wrapped(FILE *out, const char *text, int col, int width) {
  int at = col, room = width - col < 20 ? 20 : width - col;
  for (const char *p = text; *p != '\0';) {
    size_t n = strcspn(p, " ");
    if (at > col && at + 1 + (int)n > col + room) {
      fprintf(out, "\n%*s", col, "");
      at = col;
    }
    if (at > col) {
      fputc(' ', out);
      at++;
    }
    fprintf(out, "%.*s", (int)n, p);
    at += (int)n;
    p += n;
    p += strspn(p, " ");
  }
  fputc('\n', out);
}

// One command's usage and help, or (d NULL) the whole table: names with --json; in text
// "  NAME USAGE" with the help beside it (below it when the usage is long), wrapped to
// the terminal's width.
static void show_help(const struct cmd_view *v, const struct cmd_def *d, int width) {
  if (d != NULL) {
    if (v->json) {
      cJSON_AddStringToObject(v->json, "usage", d->usage);
      cJSON_AddStringToObject(v->json, "help", d->help);
    } else {
      fprintf(v->out, "%s ", d->name);
      put_wrapped(v->out, d->usage, (int)strlen(d->name) + 1, width);
      fputs("  ", v->out);
      put_wrapped(v->out, d->help, 2, width);
    }
    return;
  }
  cJSON *list = v->json ? cJSON_AddArrayToObject(v->json, "commands") : NULL;
  int col = width >= 72 ? 34 : 6; // the help's column
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    const struct cmd_def *t = &table[i];
    if (list != NULL) {
      cJSON_AddItemToArray(list, cJSON_CreateString(t->name));
      continue;
    }
    if (3 + strlen(t->name) + strlen(t->usage) > (size_t)width) { // the usage wraps too
      int at = fprintf(v->out, "  %s ", t->name);
      put_wrapped(v->out, t->usage, at, width);
      fprintf(v->out, "%*s", col, "");
      put_wrapped(v->out, t->help, col, width);
      continue;
    }
    int left = fprintf(v->out, "  %s%s%s", t->name, t->usage[0] ? " " : "", t->usage);
    if (left + 1 > col)
      fprintf(v->out, "\n%*s", col, "");
    else
      fprintf(v->out, "%*s", col - left, "");
    put_wrapped(v->out, t->help, col, width);
  }
}

struct cmd_result cmd_help(struct cmd_call *c, int argc, char **argv) {
  const struct cmd_def *d = NULL;
  if (argc == 2 && (d = cmd_find(argv[1])) == NULL)
    return cmd_fail(c, "no command '%s' ('help' lists them)", argv[1]);
  show_help(&c->view, d, help_width(c->view.out, c->s->interactive));
  return cmd_ok();
}

// Nothing to show: cmd_run_argv sees the name and sets s->quit.
struct cmd_result cmd_quit(struct cmd_call *c, int argc, char **argv) {
  (void)c, (void)argc, (void)argv;
  return cmd_ok();
}

// Levenshtein distance of a and b, or a large number when either is long (no name is).
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 32 || lb > 32)
    return SIZE_MAX;
  size_t row[33];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

// The command nearest to word, when it is near enough to be a typo (at most 2 edits, and
// fewer than half the name's letters), else NULL.
static const char *nearest_command(const char *word) {
  const char *best = NULL;
  size_t best_d = SIZE_MAX;
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    size_t d = edit_distance(word, table[i].name);
    if (d < best_d) {
      best_d = d;
      best = table[i].name;
    }
  }
  if (best == NULL || best_d > 2 || 2 * best_d >= strlen(best))
    return NULL;
  return best;
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

void cmd_report(struct session *s, const char *cmd, const char *msg) {
  fputs(render_sgr(s->color_err, HUE_ERROR), s->err);
  fputs("sv39sim: ", s->err);
  if (s->file != NULL && !s->interactive && s->line > 0)
    fprintf(s->err, "%s:%lu: ", s->file, s->line);
  else if (s->file != NULL && !s->interactive)
    fprintf(s->err, "%s: ", s->file);
  if (cmd != NULL)
    fprintf(s->err, "%s: ", cmd);
  put_escaped(s->err, msg);
  fprintf(s->err, "%s\n", render_sgr(s->color_err, HUE_RESET));
}

int cmd_flush(struct session *s, FILE *f, const char *name) {
  // errno is the failed write's: run_argv cleared it before the command, and fflush sets
  // it when the write it makes now fails.
  int r = fflush(f);
  if (r == 0 && !ferror(f))
    return 0;
  int e = errno != 0 ? errno : EIO;
  clearerr(f); // reported once; what comes later is judged on its own
  s->write_failed = true;
  char msg[512];
  snprintf(msg, sizeof(msg), "cannot write %s: %s", name, strerror(e));
  cmd_report(s, NULL, msg);
  return -1;
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

// o as one line of JSON Lines on s->out, its strings made UTF-8 first.
static void emit_json(struct session *s, cJSON *o) {
  json_clean(o);
  char *text = cJSON_PrintUnformatted(o);
  if (text != NULL) {
    fprintf(s->out, "%s\n", text);
    cJSON_free(text);
  }
}

// Run the command d names (NULL: none does), after the checks every command shares: the
// word count, the table's argument counts, and no change to a panicked machine.
static struct cmd_result dispatch(struct cmd_call *c, const struct cmd_def *d, int argc,
                                  char **words) {
  int nargs = argc - 1;
  if (argc < 0)
    return cmd_fail(c, "more than %d words on one line", MAX_WORDS);
  if (d == NULL) {
    const char *near = nearest_command(words[0]);
    if (near != NULL)
      return cmd_fail(c, "unknown command '%s'; did you mean '%s'? ('help' lists them)",
                      words[0], near);
    return cmd_fail(c, "unknown command '%s' ('help' lists them)", words[0]);
  }
  if (nargs < d->min_args || (d->max_args >= 0 && nargs > d->max_args))
    return cmd_fail(c, "usage: %s %s", d->name, d->usage);
  if (d->mutates && c->m->halted)
    return cmd_fail(c, "the kernel has panicked (%s); only inspection works until 'reset'",
                    c->m->panic_msg);
  return d->handler(c, argc, words);
}

// What a remap panic collided with, in words: which table, the va, what mapped it first.
struct collision {
  char table[96];
  char first[128];
};

static void collision_words(struct machine *m, struct collision *c) {
  explain_table(m, m->collision_root, c->table, sizeof(c->table));
  explain_mapping(m, m->collision_root, m->collision_va, m->collision_pte, c->first,
                  sizeof(c->first));
}

// A panic's words and detail, where it happened (the xv6 call chain) and, for remap, what
// it collided with: on s->out in text, as keys of json ("panic", "detail", "chain",
// "collision") with --json.
static void show_panic(struct session *s, cJSON *json) {
  struct machine *m = s->m;
  struct collision col;
  if (m->collided)
    collision_words(m, &col);
  char chain[KCHAIN_MAX * 24];
  kchain_format(&m->panic_chain, chain, sizeof(chain));
  if (json == NULL) {
    fprintf(s->out, "%spanic: %s%s\n", render_sgr(s->color, HUE_PANIC), m->panic_msg,
            render_sgr(s->color, HUE_RESET));
    if (m->panic_detail[0] != '\0')
      fprintf(s->out, "  (%s)\n", m->panic_detail);
    if (chain[0] != '\0')
      fprintf(s->out, "  in %s%s\n", chain,
              m->panic_chain.depth == 1 ? " (by hand)" : "");
    if (m->collided)
      fprintf(s->out, "  %s maps va 0x%016llx already: %s\n", col.table,
              (unsigned long long)m->collision_va, col.first);
    return;
  }
  cJSON_AddStringToObject(json, "panic", m->panic_msg);
  if (m->panic_detail[0] != '\0')
    cJSON_AddStringToObject(json, "detail", m->panic_detail);
  cJSON *arr = cJSON_AddArrayToObject(json, "chain");
  unsigned depth = m->panic_chain.depth < KCHAIN_MAX ? m->panic_chain.depth : KCHAIN_MAX;
  for (unsigned i = 0; i < depth; i++)
    cJSON_AddItemToArray(arr, cJSON_CreateString(m->panic_chain.fn[i]));
  if (m->collided) {
    cJSON *o = cJSON_AddObjectToObject(json, "collision");
    cJSON_AddStringToObject(o, "table", col.table);
    render_json_hex(o, "va", m->collision_va);
    render_json_hex(o, "pte", m->collision_pte);
    cJSON_AddStringToObject(o, "first", col.first);
  }
}

// What every command's result shows besides its data: an error goes to s->err with
// FILE:LINE, a panic's words to s->out and FILE:LINE with "panic: WORDS" to s->err; with
// --json both are keys of json ("ok", "error", "panic", ..., "file" and "line" where the
// message names them), which is then printed as one line and freed.
static void show_outcome(struct session *s, const char *name, struct cmd_result r,
                         cJSON *json) {
  if (r.status == CMD_ERROR)
    cmd_report(s, name, r.error);
  if (r.status == CMD_PANIC) {
    char words[96];
    snprintf(words, sizeof(words), "panic: %s", s->m->panic_msg);
    cmd_report(s, name, words);
    if (!s->json)
      show_panic(s, NULL);
  }
  if (json == NULL)
    return;
  cJSON_ReplaceItemInObject(json, "ok", cJSON_CreateBool(r.status == CMD_OK));
  if (r.status == CMD_ERROR)
    cJSON_AddStringToObject(json, "error", r.error);
  if (r.status == CMD_PANIC)
    show_panic(s, json);
  if (r.status != CMD_OK && s->file != NULL && !s->interactive) {
    cJSON_AddStringToObject(json, "file", s->file);
    if (s->line > 0)
      cJSON_AddNumberToObject(json, "line", (double)s->line);
  }
  emit_json(s, json);
  cJSON_Delete(json);
}

enum cmd_status cmd_run_line(struct session *s, const char *line) {
  char *copy = strdup(line);
  if (copy == NULL) {
    cmd_report(s, NULL, "out of host memory");
    return CMD_ERROR;
  }
  char *words[MAX_WORDS];
  int argc = split(copy, words);
  enum cmd_status st = argc == 0 ? CMD_OK : cmd_run_argv(s, argc, words);
  free(copy);
  return st;
}

// Where -q sends what a command that is no view prints: nowhere. Opened once, kept.
static FILE *null_stream(void) {
  static FILE *null;
  if (null == NULL)
    null = fopen("/dev/null", "w");
  return null;
}

// A line's "> FILE" or ">> FILE" (also ">FILE", ">>FILE") at its end: *file and *append
// set and the words dropped from *argc. Returns 0 (*file NULL when there is none), or -1
// with the message in err.
static int take_redirect(int *argc, char **words, const char **file, bool *append,
                         char *err, size_t errlen) {
  *file = NULL;
  int n = *argc;
  if (n <= 0)
    return 0;
  const char *last = words[n - 1];
  if (n >= 2 && (strcmp(words[n - 2], ">") == 0 || strcmp(words[n - 2], ">>") == 0)) {
    *append = words[n - 2][1] == '>';
    *file = last;
    n -= 2;
  } else if (last[0] == '>') {
    *append = last[1] == '>';
    *file = last + 1 + *append;
    n -= 1;
    if (**file == '\0') {
      snprintf(err, errlen, "'%s' needs a FILE", last);
      return -1;
    }
  } else {
    return 0;
  }
  if (n == 0) {
    snprintf(err, errlen, "no command before '>'");
    return -1;
  }
  *argc = n;
  return 0;
}

static enum cmd_status run_argv(struct session *s, const struct cmd_def *d, int argc,
                                char **words);

// Is d one of view_commands?
static bool is_view(const struct cmd_def *d) {
  for (size_t i = 0; i < sizeof(view_commands) / sizeof(view_commands[0]); i++) {
    if (strcmp(view_commands[i], d->name) == 0)
      return true;
  }
  return false;
}

enum cmd_status cmd_run_argv(struct session *s, int argc, char **words) {
  const char *file;
  bool append = false;
  char err[4200];
  if (take_redirect(&argc, words, &file, &append, err, sizeof(err)) != 0) {
    cmd_report(s, NULL, err);
    return CMD_ERROR;
  }
  const struct cmd_def *d = argc > 0 ? cmd_find(words[0]) : NULL;
  FILE *saved_out = s->out, *redirect = NULL;
  if (file != NULL) {
    if (s->open_file != NULL) { // a sandboxed session (the fuzz targets) writes no files
      cmd_report(s, d != NULL ? d->name : NULL, "'>' writes no files in this session");
      return CMD_ERROR;
    }
    redirect = fopen(file, append ? "a" : "w");
    if (redirect == NULL) {
      snprintf(err, sizeof(err), "cannot write '%s': %s", file, strerror(errno));
      cmd_report(s, d != NULL ? d->name : NULL, err);
      return CMD_ERROR;
    }
    s->out = redirect;
  }
  enum cmd_status st = run_argv(s, d, argc, words);
  if (redirect != NULL) {
    snprintf(err, sizeof(err), "'%s'", file);
    if (cmd_flush(s, redirect, err) != 0)
      st = CMD_ERROR;
    if (fclose(redirect) != 0 && st == CMD_OK) {
      snprintf(err, sizeof(err), "cannot write '%s': %s", file, strerror(errno));
      cmd_report(s, NULL, err);
      st = CMD_ERROR;
    }
    s->out = saved_out;
  } else if (cmd_flush(s, s->out, s->out_name ? s->out_name : "standard output") != 0) {
    st = CMD_ERROR;
  }
  return st;
}

// With --json, what the command acted on, echoed from its words when its result lacks it:
// "pid" for a usage that starts with PID ("caller" when "pid" is what the call returned,
// as fork's child and wait's reaped pid are), "va" for its VA word. Words that are no
// pid or va are left out: the error says why.
static void echo_args(cJSON *o, const struct cmd_def *d, int argc, char **words) {
  const char *bar = strstr(d->usage, " | "); // the first alternative's words
  size_t n = bar != NULL ? (size_t)(bar - d->usage) : strlen(d->usage);
  char first[128];
  snprintf(first, sizeof(first), "%.*s", (int)n, d->usage);
  int i = 1;
  for (char *save = NULL, *w = strtok_r(first, " ", &save); w != NULL && i < argc;
       w = strtok_r(NULL, " ", &save), i++) {
    uint64_t u;
    int64_t v;
    if (strcmp(w, "PID") == 0 && i == 1 && cmd_parse_u64(words[1], false, &u) == 0 &&
        u > 0 && u <= INT32_MAX) {
      cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid");
      if (pid == NULL)
        cJSON_AddNumberToObject(o, "pid", (double)u);
      else if (!cJSON_IsNumber(pid) || pid->valuedouble != (double)u)
        cJSON_AddNumberToObject(o, "caller", (double)u);
    } else if (strcmp(w, "VA") == 0 && !cJSON_HasObjectItem(o, "va")) {
      if (cmd_parse_u64(words[i], false, &u) == 0)
        render_json_hex(o, "va", u);
      else if (words[i][0] == '-' && cmd_parse_i64(words[i], false, &v) == 0)
        render_json_hex(o, "va", (uint64_t)v);
    }
  }
}

// cmd_run_argv once the words name their command d (NULL: none) and s->out is where its
// output goes; under -q a command that is no view shows only a failure.
static enum cmd_status run_argv(struct session *s, const struct cmd_def *d, int argc,
                                char **words) {
  bool shown = !s->quiet || (d != NULL && is_view(d));
  FILE *out = shown ? s->out : null_stream();
  if (out == NULL)
    out = s->out;
  struct cmd_call c = {.m = s->m, .s = s, .view = {.out = out, .color = s->color}};
  if (s->json) {
    c.view.json = cJSON_CreateObject();
    cJSON_AddStringToObject(c.view.json, "cmd", argc > 0 ? words[0] : "");
    cJSON_AddBoolToObject(c.view.json, "ok", true);
  }
  errno = 0; // a write that fails during the command leaves its reason for cmd_flush
  cmd_log_attach(s, &c.view);
  struct cmd_result r = dispatch(&c, d, argc, words);
  cmd_log_attach(s, NULL);
  if (r.status == CMD_OK && d != NULL && d->handler == cmd_log)
    s->log_on = strcmp(words[1], "on") == 0;
  if (r.status == CMD_PANIC)
    s->panicked = true;
  if (r.status == CMD_OK && d != NULL && d->handler == cmd_quit)
    s->quit = true;
  if (c.view.json != NULL && d != NULL && argc > 1)
    echo_args(c.view.json, d, argc, words);
  // A streamed view printed its JSON line itself (cmd_priv.h); under -q a command that is
  // no view and did not fail shows nothing.
  if (c.view.json != NULL && (c.view.streamed || (!shown && r.status == CMD_OK))) {
    cJSON_Delete(c.view.json);
    c.view.json = NULL;
  }
  show_outcome(s, d != NULL ? d->name : NULL, r, c.view.json);
  return r.status;
}
