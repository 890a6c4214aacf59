#ifndef SV39SIM_CMD_PRIV_H
#define SV39SIM_CMD_PRIV_H
// What command handlers outside cmd.c share with it: the context a handler runs in, the
// argument helpers, and the handlers themselves for cmd.c's table.
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sv39sim/cli/cmd.h"

struct cmd_ctx {
  struct session *s;
  struct machine *m;
  FILE *out;
  cJSON *json; // the command's result object with --json, else NULL
  char err[512];
};

// A user's mistake: the message (cmd.c adds FILE:LINE) and CMD_ERROR.
int cmd_fail(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// CMD_PANIC for SIM_PANIC, else CMD_OK.
int cmd_sim(int r);
// Argument parsers: CMD_OK, or CMD_ERROR with the message set.
int cmd_arg_u64(struct cmd_ctx *c, const char *what, const char *s, bool suffix, uint64_t *v);
int cmd_arg_size(struct cmd_ctx *c, const char *s, unsigned *size);
int cmd_arg_proc(struct cmd_ctx *c, const char *s, int *slot);
int cmd_need_boot(struct cmd_ctx *c);

// src/cmd_mmu.c
int cmd_access(struct cmd_ctx *c, int argc, char **argv);
int cmd_load(struct cmd_ctx *c, int argc, char **argv);
int cmd_mappages(struct cmd_ctx *c, int argc, char **argv);
int cmd_priv(struct cmd_ctx *c, int argc, char **argv);
int cmd_satp(struct cmd_ctx *c, int argc, char **argv);
int cmd_sfence(struct cmd_ctx *c, int argc, char **argv);
int cmd_sstatus(struct cmd_ctx *c, int argc, char **argv);
int cmd_store(struct cmd_ctx *c, int argc, char **argv);
int cmd_tlb(struct cmd_ctx *c, int argc, char **argv);
int cmd_translate(struct cmd_ctx *c, int argc, char **argv);
int cmd_walk(struct cmd_ctx *c, int argc, char **argv);

#endif
