// The interactive prompt: GNU readline with a prompt that says where the machine is,
// history kept across sessions, and tab completion taken from the command table.
// fopencookie: the commands' output goes through a stream that Ctrl-C can silence.
#define _GNU_SOURCE
#include "repl.h"

#include <errno.h>
#include <inttypes.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sv39sim/xv6/machine.h"

#define HISTORY_MAX 1000
#define MAX_CANDIDATES 128

// readline's callbacks take no context pointer, so the session they complete for and the
// candidate list they walk live here, set only while repl_run runs.
static struct session *active;
static char *candidates[MAX_CANDIDATES];
static size_t ncandidates;
static volatile sig_atomic_t interrupted;
static bool dropped; // Ctrl-C threw away the rest of a command's output

// The commands' output stream at the prompt: writes to the fd cookie points to until
// Ctrl-C, then pretends to write (the command runs to its end, its output stops).
static ssize_t out_write(void *cookie, const char *buf, size_t n) {
  int fd = *(const int *)cookie;
  size_t done = 0;
  while (done < n) {
    if (interrupted) {
      dropped = true;
      return (ssize_t)n;
    }
    ssize_t w = write(fd, buf + done, n - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return done > 0 ? (ssize_t)done : -1;
    done += (size_t)w;
  }
  return (ssize_t)n;
}

// ---- history ----

// Create every missing folder of path (which names a folder). Returns 0, or -1.
static int make_dirs(char *path) {
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    int r = mkdir(path, 0700);
    *p = saved;
    if (r != 0 && errno != EEXIST)
      return -1;
    if (saved == '\0')
      return 0;
  }
}

// $XDG_STATE_HOME/sv39sim/history, else ~/.local/state/sv39sim/history, its folder
// created; NULL when neither variable gives an absolute path (the XDG spec says to ignore
// relative ones) or the folder cannot be made. The caller frees it.
static char *history_path(void) {
  const char *state = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  char dir[4096];
  if (state != NULL && state[0] == '/')
    snprintf(dir, sizeof(dir), "%s/sv39sim", state);
  else if (home != NULL && home[0] == '/')
    snprintf(dir, sizeof(dir), "%s/.local/state/sv39sim", home);
  else
    return NULL;
  if (make_dirs(dir) != 0)
    return NULL;
  size_t len = strlen(dir) + sizeof("/history");
  char *path = malloc(len);
  if (path != NULL)
    snprintf(path, len, "%s/history", dir);
  return path;
}

// Append this session's lines, so that two sessions at once both keep theirs. A failure
// is reported on s->err and fails the run (s->write_failed).
static void save_history(struct session *s, const char *path, int added) {
  if (path == NULL || added == 0)
    return;
  if (added > history_length)
    added = history_length;
  struct stat st;
  int e = stat(path, &st) == 0 ? append_history(added, path) : write_history(path);
  if (e == 0)
    e = history_truncate_file(path, HISTORY_MAX);
  if (e != 0) {
    fprintf(s->err, "sv39sim: cannot write history '%s': %s\n", path, strerror(e));
    s->write_failed = true;
  }
}

// ---- completion ----

static void add_candidate(const char *word) {
  if (ncandidates < MAX_CANDIDATES)
    candidates[ncandidates++] = strdup(word);
}

static void clear_candidates(void) {
  for (size_t i = 0; i < ncandidates; i++)
    free(candidates[i]);
  ncandidates = 0;
}

// Hands readline the candidates that start with text, one per call, as it asks.
static char *next_candidate(const char *text, int state) {
  static size_t i;
  if (state == 0)
    i = 0;
  size_t len = strlen(text);
  while (i < ncandidates) {
    const char *c = candidates[i++];
    if (c != NULL && strncmp(c, text, len) == 0)
      return strdup(c);
  }
  return NULL;
}

// A usage word without its brackets and repetition dots: "[user|kernel]" -> "user|kernel".
static void bare_word(const char *w, size_t len, char *out, size_t outlen) {
  while (len > 0 && (*w == '[' || *w == '('))
    w++, len--;
  while (len > 0 && (w[len - 1] == ']' || w[len - 1] == ')' || w[len - 1] == '.'))
    len--;
  if (len >= outlen)
    len = outlen - 1;
  memcpy(out, w, len);
  out[len] = '\0';
}

static bool is_literal(const char *w) {
  if (w[0] == '\0')
    return false;
  for (const char *p = w; *p != '\0'; p++) {
    if (*p >= 'A' && *p <= 'Z')
      return false;
  }
  return true;
}

// Does word fit the usage word spec? Placeholders fit anything; PID wants digits.
static bool fits(const char *spec, const char *word) {
  if (strcmp(spec, "PID") == 0)
    return word[0] != '\0' && strspn(word, "0123456789") == strlen(word);
  if (!is_literal(spec))
    return true;
  size_t wl = strlen(word);
  for (const char *p = spec;;) {
    size_t n = strcspn(p, "|");
    if (n == wl && strncmp(p, word, n) == 0)
      return true;
    if (p[n] == '\0')
      return false;
    p += n + 1;
  }
}

// Add what may stand at position pos of one usage alternative, given the words before it.
// Sets *files when a FILE may stand there.
static void alternative_candidates(const char *alt, size_t altlen, char **before, int pos,
                                   bool *files) {
  char specs[16][64];
  int nspec = 0;
  bool repeats = false; // the last word ends in "...": it stands for every later position
  for (size_t i = 0; i < altlen && nspec < 16;) {
    while (i < altlen && alt[i] == ' ')
      i++;
    size_t j = i;
    while (j < altlen && alt[j] != ' ')
      j++;
    if (j == i)
      break;
    bare_word(alt + i, j - i, specs[nspec++], sizeof(specs[0]));
    repeats = j - i >= 3 && strncmp(alt + j - 3, "...", 3) == 0;
    i = j;
  }
  for (int k = 0; k <= pos; k++) {
    if (k >= nspec && !repeats)
      return;
    if (k < pos && !fits(specs[k < nspec ? k : nspec - 1], before[k]))
      return;
  }
  char *spec = specs[pos < nspec ? pos : nspec - 1];
  if (strcmp(spec, "PID") == 0) {
    for (int s = 0; s < NPROC; s++) {
      char buf[16];
      if (active->m->proc[s].state == UNUSED)
        continue;
      snprintf(buf, sizeof(buf), "%d", active->m->proc[s].pid);
      add_candidate(buf);
    }
  } else if (strcmp(spec, "COMMAND") == 0) {
    size_t n;
    const struct cmd_def *t = cmd_table(&n);
    for (size_t i = 0; i < n; i++)
      add_candidate(t[i].name);
  } else if (strcmp(spec, "FILE") == 0) {
    *files = true;
  } else if (is_literal(spec)) {
    for (char *p = spec;;) {
      size_t n = strcspn(p, "|");
      char saved = p[n];
      p[n] = '\0';
      if (n > 0)
        add_candidate(p);
      if (saved == '\0')
        break;
      p += n + 1;
    }
  }
}

// readline's hook: command names first, then what the command's usage allows.
static char **complete(const char *text, int start, int end) {
  (void)end;
  rl_attempted_completion_over = 1;
  clear_candidates();
  char *line = strndup(rl_line_buffer, (size_t)start);
  if (line == NULL)
    return NULL;
  char *words[64];
  int n = 0;
  for (char *save = NULL, *w = strtok_r(line, " \t", &save); w != NULL && n < 64;
       w = strtok_r(NULL, " \t", &save))
    words[n++] = w;
  bool files = false;
  if (n == 0) {
    size_t count;
    const struct cmd_def *t = cmd_table(&count);
    for (size_t i = 0; i < count; i++)
      add_candidate(t[i].name);
    add_candidate("quit");
  } else {
    const struct cmd_def *d = cmd_find(words[0]);
    for (const char *alt = d != NULL ? d->usage : NULL; alt != NULL;) {
      const char *bar = strstr(alt, " | ");
      size_t len = bar != NULL ? (size_t)(bar - alt) : strlen(alt);
      alternative_candidates(alt, len, words + 1, n - 1, &files);
      alt = bar != NULL ? bar + 3 : NULL;
    }
  }
  free(line);
  char **matches = rl_completion_matches(text, next_candidate);
  if (matches == NULL && files)
    rl_attempted_completion_over = 0; // readline completes file names
  return matches;
}

// ---- the loop ----

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

// Ctrl-C at the prompt throws the line away and gives a fresh prompt, as in a shell.
static void discard_line(void) {
  rl_replace_line("", 0);
  rl_crlf();
  rl_on_new_line();
  rl_redisplay();
}

// readline's way of reading a key, made safe against Ctrl-C: SIGINT is blocked except
// inside pselect, so a signal that lands between two keys is seen before the next wait
// instead of being lost while read() blocks.
static int getc_interruptible(FILE *in) {
  int fd = fileno(in);
  sigset_t block, orig;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &orig);
  int c = EOF;
  for (;;) {
    if (interrupted) {
      interrupted = 0;
      discard_line();
      continue;
    }
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fd, &fds);
    int r = pselect(fd + 1, &fds, NULL, NULL, NULL, &orig);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      break;
    unsigned char ch;
    ssize_t n = read(fd, &ch, 1);
    if (n == 1)
      c = ch;
    else if (n < 0 && errno == EINTR)
      continue;
    break;
  }
  sigprocmask(SIG_SETMASK, &orig, NULL);
  return c;
}

static void make_prompt(const struct machine *m, char *buf, size_t len) {
  char mode[64];
  if (m->cfg.lab != LAB_NONE)
    snprintf(mode, sizeof(mode), "lab %s", edition_lab_name(m->cfg.lab));
  else
    snprintf(mode, sizeof(mode), "%s", kpt_mode_name(m->cfg.kpt));
  int year = m->cfg.edition->year;
  if (m->halted)
    snprintf(buf, len, "sv39sim [xv6 %d, %s, panicked]> ", year, mode);
  else if (m->current >= 0)
    snprintf(buf, len, "sv39sim [xv6 %d, %s, pid %d]> ", year, mode,
             m->proc[m->current].pid);
  else
    snprintf(buf, len, "sv39sim [xv6 %d, %s, satp 0x%" PRIx64 "]> ", year, mode,
             m->hw.hart.satp);
}

void repl_run(struct session *s) {
  const char *saved_file = s->file;
  FILE *saved_out = s->out;
  bool saved_interactive = s->interactive;
  s->file = "<stdin>";
  s->line = 0;
  s->interactive = true;
  // Line-buffered on a terminal, so that Ctrl-C stops the output at the next line.
  static int out_fd;
  out_fd = fileno(saved_out);
  fflush(saved_out);
  FILE *out = fopencookie(&out_fd, "w", (cookie_io_functions_t){.write = out_write});
  if (out != NULL) {
    setvbuf(out, NULL, isatty(out_fd) ? _IOLBF : _IOFBF, BUFSIZ);
    s->out = out;
  }
  active = s;
  rl_readline_name = "sv39sim";
  rl_attempted_completion_function = complete;
  rl_catch_signals = 0;
  rl_getc_function = getc_interruptible;
  struct sigaction sa = {.sa_handler = on_sigint}, old;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);

  char *hist = history_path();
  if (hist != NULL)
    read_history(hist);
  int added = 0;
  printf("sv39sim %s: 'help' lists the commands, 'help CMD' explains one; "
         "Ctrl-D or 'quit' leaves.\n",
         SV39SIM_VERSION);
  for (;;) {
    char prompt[96];
    make_prompt(s->m, prompt, sizeof(prompt));
    interrupted = 0;
    char *line = readline(prompt);
    if (line == NULL) {
      fputc('\n', stdout);
      break;
    }
    const char *p = line + strspn(line, " \t");
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1)
                                          : NULL;
    if (*p != '\0' && (last == NULL || strcmp(last->line, line) != 0)) {
      add_history(line);
      added++;
    }
    s->line++;
    dropped = false;
    cmd_run_line(s, line); // an error never ends the session
    fflush(s->out);
    if (dropped)
      fputs("\nsv39sim: interrupted: the rest of the output was dropped\n", s->err);
    fflush(s->err);
    free(line);
    if (s->quit)
      break;
  }
  if (out != NULL) {
    cmd_flush(s, out, "standard output");
    fclose(out);
  }
  s->out = saved_out;
  s->interactive = saved_interactive;
  save_history(s, hist, added);
  free(hist);
  clear_candidates();
  sigaction(SIGINT, &old, NULL);
  active = NULL;
  s->file = saved_file;
}
