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

#include "cmd_priv.h"
#include "sv39sim/view/render.h"
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
    {"dot", cmd_dot, "PID [user|kernel] [expand] [walk VA] | kernel | satp",
     "a page table as a Graphviz digraph (pipe it into 'dot -Tsvg')", 1, 5, false},
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
    {"kernel", cmd_kernel, "ELF",
     "take etext, end and trampoline from your own xv6 kernel's ELF (before boot)", 1, 1,
     true},
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

// One command's usage and help, or (d NULL) the whole table: names with --json, a line
// each in text.
static void show_help(const struct cmd_view *v, const struct cmd_def *d) {
  if (d != NULL) {
    if (v->json) {
      cJSON_AddStringToObject(v->json, "usage", d->usage);
      cJSON_AddStringToObject(v->json, "help", d->help);
    } else {
      fprintf(v->out, "%s %s\n  %s\n", d->name, d->usage, d->help);
    }
    return;
  }
  cJSON *list = v->json ? cJSON_AddArrayToObject(v->json, "commands") : NULL;
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (list != NULL)
      cJSON_AddItemToArray(list, cJSON_CreateString(table[i].name));
    else
      fprintf(v->out, "  %-10s %-44s %s\n", table[i].name, table[i].usage, table[i].help);
  }
}

struct cmd_result cmd_help(struct cmd_call *c, int argc, char **argv) {
  const struct cmd_def *d = NULL;
  if (argc == 2 && (d = cmd_find(argv[1])) == NULL)
    return cmd_fail(c, "no command '%s' ('help' lists them)", argv[1]);
  show_help(&c->view, d);
  return cmd_ok();
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

// An error message on s->err, led by FILE:LINE (or FILE) and the command's name.
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
  if (d == NULL)
    return cmd_fail(c, "unknown command '%s' ('help' lists them)", words[0]);
  if (nargs < d->min_args || (d->max_args >= 0 && nargs > d->max_args))
    return cmd_fail(c, "usage: %s %s", d->name, d->usage);
  if (d->mutates && c->m->halted)
    return cmd_fail(c, "the kernel has panicked (%s); only inspection works until 'reset'",
                    c->m->panic_msg);
  return d->handler(c, argc, words);
}

// What every command's result shows besides its data: an error goes to s->err with
// FILE:LINE, a panic's words to s->out; with --json both are keys of json ("ok",
// "error", "panic", "detail"), which is then printed as one line and freed.
static void show_outcome(struct session *s, const char *name, struct cmd_result r,
                         cJSON *json) {
  if (r.status == CMD_ERROR)
    report(s, name, r.error);
  if (r.status == CMD_PANIC && !s->json) {
    fprintf(s->out, "%spanic: %s%s\n", render_sgr(s->color, HUE_PANIC), s->m->panic_msg,
            render_sgr(s->color, HUE_RESET));
    if (s->m->panic_detail[0] != '\0')
      fprintf(s->out, "  (%s)\n", s->m->panic_detail);
  }
  if (json == NULL)
    return;
  cJSON_ReplaceItemInObject(json, "ok", cJSON_CreateBool(r.status == CMD_OK));
  if (r.status == CMD_ERROR)
    cJSON_AddStringToObject(json, "error", r.error);
  if (r.status == CMD_PANIC) {
    cJSON_AddStringToObject(json, "panic", s->m->panic_msg);
    if (s->m->panic_detail[0] != '\0')
      cJSON_AddStringToObject(json, "detail", s->m->panic_detail);
  }
  emit_json(s, json);
  cJSON_Delete(json);
}

enum cmd_status cmd_run_line(struct session *s, const char *line) {
  char *copy = strdup(line);
  if (copy == NULL) {
    report(s, NULL, "out of host memory");
    return CMD_ERROR;
  }
  char *words[MAX_WORDS];
  int argc = split(copy, words);
  enum cmd_status st = argc == 0 ? CMD_OK : cmd_run_argv(s, argc, words);
  free(copy);
  return st;
}

enum cmd_status cmd_run_argv(struct session *s, int argc, char **words) {
  struct cmd_call c = {.m = s->m, .s = s, .view = {.out = s->out, .color = s->color}};
  if (s->json) {
    c.view.json = cJSON_CreateObject();
    cJSON_AddStringToObject(c.view.json, "cmd", argc > 0 ? words[0] : "");
    cJSON_AddBoolToObject(c.view.json, "ok", true);
  }
  const struct cmd_def *d = argc > 0 ? cmd_find(words[0]) : NULL;
  struct cmd_result r = dispatch(&c, d, argc, words);
  if (r.status == CMD_PANIC)
    s->panicked = true;
  if (c.view.streamed) { // the view printed the JSON line itself (cmd_priv.h)
    cJSON_Delete(c.view.json);
    c.view.json = NULL;
  }
  show_outcome(s, d != NULL ? d->name : NULL, r, c.view.json);
  return r.status;
}
