#include "repl.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/machine.h"

void repl_run(struct session *s) {
  const char *saved = s->file;
  s->file = "sv39sim";
  s->line = 0;
  for (;;) {
    char *line = readline("sv39sim> ");
    if (line == NULL) {
      fputc('\n', stdout);
      break;
    }
    const char *p = line + strspn(line, " \t");
    if (strncmp(p, "quit", 4) == 0 && p[4 + strspn(p + 4, " \t")] == '\0') {
      free(line);
      break;
    }
    if (*p != '\0')
      add_history(line);
    s->line++;
    cmd_run_line(s, line);
    fflush(s->out);
    free(line);
  }
  s->file = saved;
}
