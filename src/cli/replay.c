#include "sv39sim/cli/replay.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

// Read one line into *buf, at most REPLAY_MAX_LINE bytes. Returns its length, -1 at the
// end of the stream, or -2 for a line too long, whose rest is left unread: a stream with
// no newline at all (/dev/zero) must not keep us reading.
static long read_line(FILE *in, char **buf, size_t *cap) {
  size_t n = 0;
  int ch;
  bool too_long = false;
  while ((ch = getc(in)) != EOF) {
    if (ch == '\n')
      break;
    if (n >= REPLAY_MAX_LINE) {
      too_long = true;
      break;
    }
    if (n + 1 >= *cap) {
      size_t c = *cap ? 2 * *cap : 256;
      char *b = realloc(*buf, c);
      if (b == NULL)
        return -2;
      *buf = b;
      *cap = c;
    }
    (*buf)[n++] = (char)ch;
  }
  if (ch == EOF && n == 0 && !too_long)
    return -1;
  if (too_long)
    return -2;
  if (*buf == NULL) { // an empty first line stored nothing, so nothing was allocated
    *buf = malloc(1);
    if (*buf == NULL)
      return -2;
    *cap = 1;
  }
  (*buf)[n] = '\0';
  return (long)n;
}

static void line_error(struct session *s, const char *msg) {
  cmd_report(s, NULL, msg);
}

enum cmd_status replay_stream(struct session *s, FILE *in, const char *name,
                              bool keep_going) {
  const char *saved_file = s->file;
  s->file = name;
  s->line = 0;
  enum cmd_status result = CMD_OK;
  char *buf = NULL;
  size_t cap = 0;
  long n;
  while ((n = read_line(in, &buf, &cap)) != -1) {
    s->line++;
    enum cmd_status st;
    if (n == -2) {
      line_error(s, "line longer than 1 MiB");
      st = CMD_ERROR;
    } else if (strlen(buf) != (size_t)n) {
      line_error(s, "line contains a NUL byte (is this a trace file?)");
      st = CMD_ERROR;
    } else {
      st = cmd_run_line(s, buf);
    }
    if (st == CMD_ERROR) {
      result = CMD_ERROR;
      if (!keep_going)
        break;
    }
    if (s->quit)
      break;
    if (n == -2) {
      int ch;
      while ((ch = getc(in)) != EOF && ch != '\n')
        continue; // going on: the rest of the long line is no command
    }
  }
  if (ferror(in)) {
    char msg[256];
    snprintf(msg, sizeof(msg), "read error: %s", strerror(errno));
    s->line = 0;
    cmd_report(s, NULL, msg);
    result = CMD_ERROR;
  }
  free(buf);
  s->file = saved_file;
  return result;
}

enum cmd_status replay_file(struct session *s, const char *path, bool keep_going) {
  if (strcmp(path, "-") == 0)
    return replay_stream(s, stdin, "<stdin>", keep_going);
  FILE *in = fopen(path, "r");
  if (in == NULL) {
    fprintf(s->err, "sv39sim: %s: %s\n", path, strerror(errno));
    return CMD_ERROR;
  }
  char *dir = strdup(path);
  const char *saved_base = s->basedir;
  s->basedir = dir != NULL ? dirname(dir) : NULL;
  enum cmd_status st = replay_stream(s, in, path, keep_going);
  s->basedir = saved_base;
  free(dir);
  fclose(in);
  return st;
}

enum cmd_status replay_commands(struct session *s, const char *cmds, const char *name,
                                bool keep_going) {
  char *copy = strdup(cmds);
  if (copy == NULL)
    return CMD_ERROR;
  const char *saved_file = s->file;
  s->file = name;
  s->line = 0;
  enum cmd_status result = CMD_OK;
  char *save = NULL;
  for (char *cmd = strtok_r(copy, ";\n", &save); cmd != NULL;
       cmd = strtok_r(NULL, ";\n", &save)) {
    s->line++;
    if (cmd_run_line(s, cmd) == CMD_ERROR) {
      result = CMD_ERROR;
      if (!keep_going)
        break;
    }
    if (s->quit)
      break;
  }
  s->file = saved_file;
  free(copy);
  return result;
}
