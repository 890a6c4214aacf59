#ifndef SV39SIM_REPLAY_H
#define SV39SIM_REPLAY_H
// Batch replay of trace files and streams, line by line.
#include <stdbool.h>
#include <stdio.h>

#include "sv39sim/cli/cmd.h"

// Lines longer than this are refused (with their line number), not read into memory.
#define REPLAY_MAX_LINE (1UL << 20)

// Run every line of in, naming it name in messages. Stops at the first line that fails
// unless keep_going. Returns CMD_ERROR if a line failed, else CMD_OK; panics are recorded
// in s->panicked.
enum cmd_status replay_stream(struct session *s, FILE *in, const char *name,
                              bool keep_going);

// The same for a file; relative paths inside it resolve against its folder. "-" is stdin.
enum cmd_status replay_file(struct session *s, const char *path, bool keep_going);

// Run "CMD; CMD; ..." as if each were a line of a trace named name.
enum cmd_status replay_commands(struct session *s, const char *cmds, const char *name,
                                bool keep_going);

#endif
