#ifndef SV39SIM_CMD_H
#define SV39SIM_CMD_H
// The trace language: one table of commands, shared by replay, the REPL, help and
// completion.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct machine;
struct cmd_call;
struct cmd_view;

// What running a line did. CMD_PANIC: the command ran and the simulated kernel panicked.
enum cmd_status { CMD_OK = 0, CMD_ERROR = 1, CMD_PANIC = 3 };

// What a command handler returns: the status, and for CMD_ERROR the user's mistake in
// words (cmd_run_line adds FILE:LINE and the command's name). The command's data has gone
// to its show_ function by then.
struct cmd_result {
  enum cmd_status status;
  const char *error; // CMD_ERROR only; lives as long as the call
};

// Where commands run: the machine, where results and messages go, and where the line
// came from (for FILE:LINE messages and for paths relative to a trace file).
struct session {
  struct machine *m;
  FILE *out;
  FILE *err;
  bool json;
  bool color;          // ANSI colours on out (a terminal, NO_COLOR unset)
  bool color_err;      // and on err
  const char *file;    // name used in messages
  unsigned long line;
  const char *basedir; // relative paths in commands resolve here; NULL: the cwd
  bool panicked;       // some command of this session panicked the kernel
  // When set, the FILE arguments of exec and access open through this hook instead of the
  // host's file system (name as the trace wrote it; NULL with errno set for no such file),
  // so that untrusted traces (the fuzz targets) can name only what the hook offers.
  FILE *(*open_file)(void *ctx, const char *name);
  void *open_ctx;
  bool interactive; // at the prompt: messages name no FILE:LINE
  bool quiet;       // -q: only the output of view commands (cmd.c lists them) reaches out
  bool quit;        // 'quit' ran: whoever reads lines stops
  bool write_failed; // some output was lost (cmd_flush said so): the run fails
  // out's name in a write error ("standard output"); NULL says that too.
  const char *out_name;
  // The allocation log: with log_on (`log on`) each kalloc and kfree shows in the output
  // of the command that made it; log_file (--log, --log=FILE; the caller's) gets every
  // event of the run. log_view is the running command's view while it runs.
  bool log_on;
  FILE *log_file;
  struct cmd_view *log_view;
};

struct cmd_def {
  const char *name;
  struct cmd_result (*handler)(struct cmd_call *c, int argc, char **argv); // argv[0]: name
  // The arguments, as in traces/README.md. Tab completion reads it: alternatives are
  // separated by " | "; in each, the Nth word describes the Nth argument: PID completes
  // live pids, FILE file names, COMMAND command names, and lower-case words joined by '|'
  // ("user|kernel", "[r|w|x]") complete to themselves. A word ending in "..." repeats.
  const char *usage;
  const char *help;  // one line
  int min_args, max_args; // after the command word; -1: no maximum; checked before handler
  bool mutates;           // refused once the kernel has panicked
};

// The table, sorted by name.
const struct cmd_def *cmd_table(size_t *n);
const struct cmd_def *cmd_find(const char *name);

// An error message on s->err: "sv39sim: FILE:LINE: CMD: MSG", FILE:LINE left out at the
// prompt (s->interactive) and LINE when s->line is 0; cmd may be NULL.
void cmd_report(struct session *s, const char *cmd, const char *msg);

// Flush f (name says which file in the message) and check that nothing written to it was
// lost. Returns 0, or -1 having reported the OS's reason as cmd_report does.
int cmd_flush(struct session *s, FILE *f, const char *name);

// Run one line of the trace language. Messages name s->file and s->line.
enum cmd_status cmd_run_line(struct session *s, const char *line);

// Run one command already split into words (argc > 0; -1 for a line of too many words),
// as cmd_run_line does: for options that name a file, whose name may hold any character.
enum cmd_status cmd_run_argv(struct session *s, int argc, char **words);

// Read the whole stream f (at most 64 MiB; path names it in messages) into *data, which
// the caller frees. Returns 0, or -1 with the reason in err.
int cmd_read_stream(FILE *f, const char *path, uint8_t **data, uint64_t *len, char *err,
                    size_t errlen);

// Parsers for numbers in the trace language: decimal or 0x hex, with an optional
// K, M or G suffix (powers of 1024) where suffix is true. Return 0, or -1 (errno then
// ERANGE when cmd_parse_u64's number does not fit in 64 bits).
int cmd_parse_u64(const char *s, bool suffix, uint64_t *v);
int cmd_parse_i64(const char *s, bool suffix, int64_t *v);

#endif
