#ifndef SV39SIM_CMD_PRIV_H
#define SV39SIM_CMD_PRIV_H
// What the command files share: the call a handler runs in, how it reports, the one copy
// of each argument parser, and the handlers for cmd.c's table.
//
// The shape of every command: the handler parses its arguments, calls the model, and
// hands one result (a struct private to its file) to one show_ function, which writes it
// as text to v->out or, with --json, as keys of v->json. Handlers do not print and do
// not look at --json; show_ functions change nothing.
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sv39sim/cli/cmd.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/view/render.h"

// Where a show_ function writes.
struct cmd_view {
  FILE *out;
  cJSON *json; // the command's result object with --json (keys are added), else NULL
  bool color;  // ANSI colours on out
  // Set by a show_ function that wrote json's whole line to out itself (its keys first,
  // then data streamed as it was made): cmd.c then prints no line of its own. Such a
  // function fails only before it writes, and an error is then reported as usual.
  bool streamed;
};

// One command's run: the machine, the session (for the files a trace names, and where
// diff runs its command), the view its result goes to, and the room for its error message.
struct cmd_call {
  struct machine *m;
  struct session *s;
  struct cmd_view view;
  char err[512];
};

// ---- results (cmd.c) ----

// The command ran; its data, if any, went to its show_ function.
struct cmd_result cmd_ok(void);
// CMD_ERROR with the message formatted into c->err.
struct cmd_result cmd_fail(struct cmd_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
// CMD_ERROR with the message an arg_ parser left in c->err.
struct cmd_result cmd_error(struct cmd_call *c);
// A model call's sim_status as a command's: CMD_PANIC for SIM_PANIC, else CMD_OK (xv6's
// own -1 is a result the command shows, not a failure of the command).
struct cmd_result cmd_sim(int r);

// ---- arguments (cmd_args.c): each returns 0, or -1 with the message in c->err ----

// Sets c->err; returns -1.
int arg_fail(struct cmd_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// A number (cmd_parse_u64); what names the argument in the message.
int arg_u64(struct cmd_call *c, const char *what, const char *s, bool suffix, uint64_t *v);
// A 32-bit int; what names it in the message (NULL: just the word quoted).
int arg_int(struct cmd_call *c, const char *what, const char *s, int *v);
// An access size: 1, 2, 4 or 8.
int arg_size(struct cmd_call *c, const char *s, unsigned *size);
// A va: a number, or a negative one for the top of the address space.
int arg_va(struct cmd_call *c, const char *s, uint64_t *va);
// An access letter: r, w or x.
int arg_access(struct cmd_call *c, const char *s, enum access *acc);
// The machine has booted.
int arg_booted(struct cmd_call *c);
// The slot of a live or zombie process named by a pid.
int arg_proc(struct cmd_call *c, const char *s, int *slot);
// The slot of a process that can make system calls: booted, alive, not a zombie.
int arg_live(struct cmd_call *c, const char *s, int *slot);
// The process in slot can run in U-mode: not 2025's pid 1 before forkret's kexec.
int arg_user_mode(struct cmd_call *c, int slot);
// The table of process pid (a word) that which ("user" or "kernel"; NULL is "user")
// names; its kernel table is the global one in global mode. Needs a booted machine.
int arg_proc_table(struct cmd_call *c, const char *pid, const char *which,
                   struct render_table *t);
// The table the words argv[1..argc-1] name: PID [user|kernel], kernel (the global kernel
// table) or satp (the one the hart translates with now, booted or not).
int arg_table(struct cmd_call *c, int argc, char **argv, struct render_table *t);
// Open a file a trace names (relative to the trace's folder; through the session's hook
// when it has one), its resolved name in path. Returns the stream, or NULL with the
// message in c->err.
FILE *arg_open(struct cmd_call *c, const char *name, const char *mode, char *path,
               size_t len);
// The whole of such a file (at most 64 MiB) in *data, which the caller frees.
int arg_read_file(struct cmd_call *c, const char *name, uint8_t **data, uint64_t *len);

// ---- what the MMU's displays share (cmd_mmu.c) ----

extern const char *const cmd_size_names[3]; // "4K", "2M", "1G" by leaf level
// The PTE's low eight bits as letters, D A G U X W R V from bit 7 down, '-' when clear;
// a C before them when the cow lab's PTE_COW (bit 8) is set.
#define CMD_FLAGS_LEN 10
void cmd_flag_letters(uint64_t pte, char out[CMD_FLAGS_LEN]);
// The physical page a PTE names (hardware's view: reserved bits dropped).
uint64_t cmd_pte_page(uint64_t pte);
// A fault as the JSON object {cause, name, rule, reason, tval, level} at key of o.
void cmd_json_fault(cJSON *o, const char *key, const struct fault *f);

// ---- handlers, by file ----
// A handler's contract is its row of cmd.c's table (usage, help); it runs only with an
// argument count within the row's bounds, and on a machine that has not panicked when the
// row says it mutates.

// cmd.c
struct cmd_result cmd_help(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_quit(struct cmd_call *c, int argc, char **argv);
// cmd_proc.c
struct cmd_result cmd_boot(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_copyin(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_copyinstr(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_edition(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_exec(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_exit(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_fork(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_kernel(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_kill(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_mode(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_lab(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_sbrk(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_switch(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_userinit(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_wait(struct cmd_call *c, int argc, char **argv);
// cmd_mem.c
struct cmd_result cmd_check(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_failat(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_free(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_kalloc(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_kfree(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_peek(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_poke(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_reset(struct cmd_call *c, int argc, char **argv);
// cmd_mmu.c
struct cmd_result cmd_load(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_mappages(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_priv(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_satp(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_sfence(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_sstatus(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_store(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_translate(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_walk(struct cmd_call *c, int argc, char **argv);
// cmd_lint.c
struct cmd_result cmd_lint(struct cmd_call *c, int argc, char **argv);
// cmd_ps.c
struct cmd_result cmd_ps(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_trapframe(struct cmd_call *c, int argc, char **argv);
// cmd_tlb.c
struct cmd_result cmd_tlb(struct cmd_call *c, int argc, char **argv);
// cmd_view.c
struct cmd_result cmd_dot(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_json(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_ranges(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_vmprint(struct cmd_call *c, int argc, char **argv);
// cmd_access.c
struct cmd_result cmd_access(struct cmd_call *c, int argc, char **argv);
// cmd_fault.c
struct cmd_result cmd_sbrklazy(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_touch(struct cmd_call *c, int argc, char **argv);
// cmd_import.c
struct cmd_result cmd_compare(struct cmd_call *c, int argc, char **argv);
struct cmd_result cmd_import(struct cmd_call *c, int argc, char **argv);
// cmd_diff.c
struct cmd_result cmd_diff(struct cmd_call *c, int argc, char **argv);
// cmd_pgtbl.c
struct cmd_result cmd_pgaccess(struct cmd_call *c, int argc, char **argv);
// cmd_log.c
struct cmd_result cmd_log(struct cmd_call *c, int argc, char **argv);
// cmd_owner.c
struct cmd_result cmd_owner(struct cmd_call *c, int argc, char **argv);

// ---- the allocation log (cmd_log.c) ----

struct kmem_event;
// One event as the log's text line: "SEQ kalloc|kfree 0x%016llx CHAIN".
void cmd_log_text(FILE *f, const struct kmem_event *e);
// One event as its JSON object {seq, op, pa, chain, by_hand}; the caller owns it.
cJSON *cmd_log_json(const struct kmem_event *e);
// Route the machine's events to the session's log while the command viewed by v runs
// (v NULL: between commands, nowhere).
void cmd_log_attach(struct session *s, struct cmd_view *v);

#endif
