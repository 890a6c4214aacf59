// sv39sim: replay what xv6 does to RISC-V Sv39 page tables.
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repl.h"
#include "sv39sim/cli/cmd.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/cli/replay.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/ksyms.h"

// Exit statuses (README lists them).
enum { EXIT_OK = 0, EXIT_CMD_FAILED = 1, EXIT_USAGE = 2, EXIT_PANIC = 3 };

static void usage(FILE *f) {
  fputs("usage: sv39sim [OPTION]... [TRACE]...\n"
        "Replay what xv6 does to RISC-V Sv39 page tables, one command per line.\n"
        "With no TRACE, read commands from standard input, or give a prompt on a terminal.\n"
        "A TRACE of '-' is standard input.\n"
        "\n"
        "  -e, --execute CMDS  run CMDS ('boot; userinit; vmprint 1'), before any TRACE;\n"
        "                      repeated, each in turn\n"
        "  -i, --interactive   give a prompt after the traces (plain lines when standard\n"
        "                      input is not a terminal); errors there never end it\n"
        "  -k, --keep-going    go on after a command fails\n"
        "      --json          print each command's result as one JSON object per line\n"
        "  -q, --quiet         print only what views show (vmprint, dot, json, ranges,\n"
        "                      translate, help...); other commands speak only to fail\n"
        "      --kpt MODE[,OPTION]...  kernel page-table mode: global (default),\n"
        "                      per-process, per-process-user; OPTIONs as the mode command's\n"
        "                      (clint|noclint, kstack=allocproc|procinit|zero), after commas\n"
        "                      or spaces: --kpt per-process-user,noclint,kstack=procinit\n"
        "      --edition YEAR  the xv6 edition simulated: 2020 (6.S081, default) or\n"
        "                      2021-2025 (6.1810), each fall term's lab kernel\n"
        "      --kernel ELF    take etext, end and trampoline from your own xv6 kernel\n"
        "                      build (kernel/kernel) instead of the edition's defaults\n"
        "                      (the edition is --edition's, whatever the order)\n"
        "      --ram SIZE      simulated RAM, PHYSTOP - KERNBASE (default 128M)\n"
        "      --tlb ENTRIES[xWAYS][,POLICY]  TLB geometry and replacement: 32 (default)\n"
        "                      is fully associative, 16x4 is 4 sets of 4 ways, 0 is no TLB;\n"
        "                      POLICY lru (default), fifo, random (seeded: the same every\n"
        "                      run) or plru (tree pseudo-LRU, ways a power of two)\n"
        "      --ad hw|fault   a walk that finds A or D clear sets it (hw, default, as QEMU)\n"
        "                      or raises a page fault (fault, as Svade)\n"
        "      --superpages N  lab pgtbl, fall 2024 on: kinit keeps N 2 MiB regions (10)\n"
        "      --log[=FILE]    the allocation log of the whole run: every kalloc and kfree\n"
        "                      with its xv6 call chain, to FILE or standard error\n"
        "  -h, --help          print this help and exit\n"
        "      --version       print the version and exit\n"
        "\n"
        "Exit status: 0 success; 1 a command failed or output was lost; 2 bad usage or an\n"
        "unreadable trace; 3 the simulated kernel panicked.\n"
        "Colour on a terminal unless NO_COLOR is set. History: $XDG_STATE_HOME/sv39sim/history\n"
        "(else ~/.local/state/sv39sim/history).\n"
        "Any command may end with '> FILE' ('>> FILE' appends): its output goes there.\n"
        "'sv39sim -e help' lists the commands; man sv39sim and traces/README.md document\n"
        "them.\n",
        f);
}

// Colour on a terminal unless NO_COLOR is set to anything but "" (no-color.org).
static bool want_color(int fd) {
  const char *no = getenv("NO_COLOR");
  return isatty(fd) && (no == NULL || no[0] == '\0');
}

// --kernel: the image symbols of the user's own build into cfg, with a warning on stderr
// when its functions are another edition's. Returns 0, or -1 having said why.
static int load_kernel(const char *path, struct config *cfg) {
  char err[512];
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "sv39sim: --kernel: cannot open '%s': %s\n", path, strerror(errno));
    return -1;
  }
  uint8_t *data;
  uint64_t len;
  int r = cmd_read_stream(f, path, &data, &len, err, sizeof(err));
  fclose(f);
  if (r != 0) {
    fprintf(stderr, "sv39sim: --kernel: %s\n", err);
    return -1;
  }
  struct kernel_syms ks;
  r = ksyms_read(data, len, &ks, err, sizeof(err));
  free(data);
  if (r != 0) {
    fprintf(stderr, "sv39sim: --kernel: '%s': %s\n", path, err);
    return -1;
  }
  cfg->etext = ks.etext;
  cfg->end = ks.end;
  cfg->trampoline = ks.trampoline;
  cfg->own_kernel = true;
  if (!ksyms_fits_year(&ks, cfg->edition->year)) {
    char years[64];
    ksyms_years_text(&ks, years, sizeof(years));
    fprintf(stderr, "sv39sim: --kernel: warning: '%s' has the functions of an xv6 kernel of "
                    "%s, not of the simulated edition (%s)\n",
            path, years, cfg->edition->name);
  }
  return 0;
}

// Every -e, joined by ';' into one list run as "-e" (its lines numbered across them);
// freed at exit, whichever return ends main.
static char *execute_cmds;

// atexit: frees the joined -e commands.
static void free_execute(void) {
  free(execute_cmds);
}

// Flush stdout at the end: EXIT_OK, or EXIT_CMD_FAILED having said why it failed
// (a full disk, a closed pipe).
static int finish_stdout(void) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return EXIT_OK;
  fprintf(stderr, "sv39sim: cannot write standard output: %s\n",
          strerror(errno != 0 ? errno : EIO));
  return EXIT_CMD_FAILED;
}

int main(int argc, char **argv) {
  enum { OPT_JSON = 256, OPT_KPT, OPT_KERNEL, OPT_RAM, OPT_TLB, OPT_AD, OPT_SUPERPAGES,
         OPT_VERSION, OPT_EDITION, OPT_LOG };
  static const struct option opts[] = {
      {"execute", required_argument, NULL, 'e'},
      {"interactive", no_argument, NULL, 'i'},
      {"keep-going", no_argument, NULL, 'k'},
      {"json", no_argument, NULL, OPT_JSON},
      {"quiet", no_argument, NULL, 'q'},
      {"kpt", required_argument, NULL, OPT_KPT},
      {"kernel", required_argument, NULL, OPT_KERNEL},
      {"edition", required_argument, NULL, OPT_EDITION},
      {"ram", required_argument, NULL, OPT_RAM},
      {"tlb", required_argument, NULL, OPT_TLB},
      {"ad", required_argument, NULL, OPT_AD},
      {"superpages", required_argument, NULL, OPT_SUPERPAGES},
      {"log", optional_argument, NULL, OPT_LOG},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0},
  };
  struct config cfg;
  config_defaults(&cfg);
  atexit(free_execute);
  char *execute = NULL;
  size_t execute_len = 0;
  const char *kpt = NULL, *kernel = NULL, *log = NULL;
  bool interactive = false, keep_going = false, json = false, quiet = false;
  bool version = false;
  int opt;
  while ((opt = getopt_long(argc, argv, "e:ikqh", opts, NULL)) != -1) {
    switch (opt) {
    case 'e': {
      size_t n = strlen(optarg);
      char *e = realloc(execute, execute_len + n + 2);
      if (e == NULL) {
        fputs("sv39sim: out of memory\n", stderr);
        return EXIT_USAGE;
      }
      execute = execute_cmds = e;
      if (execute_len > 0)
        execute[execute_len++] = ';';
      memcpy(execute + execute_len, optarg, n + 1);
      execute_len += n;
      break;
    }
    case 'q': quiet = true; break;
    case 'i': interactive = true; break;
    case 'k': keep_going = true; break;
    case OPT_JSON: json = true; break;
    case OPT_KPT: kpt = optarg; break;
    case OPT_KERNEL: kernel = optarg; break;
    case OPT_LOG: log = optarg != NULL ? optarg : "-"; break;
    case OPT_EDITION: {
      int64_t year;
      const struct xv6_edition *ed = NULL;
      if (cmd_parse_i64(optarg, false, &year) == 0 && year >= EDITION_FIRST_YEAR &&
          year <= EDITION_LAST_YEAR)
        ed = edition_of_year((int)year);
      if (ed == NULL) {
        fprintf(stderr, "sv39sim: --edition: '%s' is not an xv6 edition (%d to %d)\n",
                optarg, EDITION_FIRST_YEAR, EDITION_LAST_YEAR);
        return EXIT_USAGE;
      }
      cfg.edition = ed;
      cfg.etext = ed->etext;
      cfg.end = ed->end;
      cfg.trampoline = ed->trampoline;
      break;
    }
    case OPT_RAM:
      if (cmd_parse_u64(optarg, true, &cfg.ram_size) != 0) {
        fprintf(stderr, "sv39sim: --ram: '%s' is not a size (like 128M or 0x8000000)\n",
                optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_TLB: {
      const char *why;
      if (tlb_parse_geometry(optarg, &cfg.tlb, &why) != 0) {
        fprintf(stderr, "sv39sim: --tlb: '%s': %s\n", optarg, why);
        return EXIT_USAGE;
      }
      break;
    }
    case OPT_AD:
      if (strcmp(optarg, "hw") == 0) {
        cfg.ad = AD_HW;
      } else if (strcmp(optarg, "fault") == 0) {
        cfg.ad = AD_FAULT;
      } else {
        fprintf(stderr, "sv39sim: --ad: '%s' is not hw or fault\n", optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_SUPERPAGES:
      if (cmd_parse_u64(optarg, false, &cfg.superpages) != 0 ||
          cfg.superpages > SUPERPAGES_MAX) {
        fprintf(stderr, "sv39sim: --superpages: '%s' is not a count of 0 to %d\n", optarg,
                SUPERPAGES_MAX);
        return EXIT_USAGE;
      }
      break;
    case 'h':
      usage(stdout);
      return finish_stdout();
    case OPT_VERSION: version = true; break;
    default:
      fputs("Try 'sv39sim --help' for more information.\n", stderr);
      return EXIT_USAGE;
    }
  }

  if (version) { // after the loop, so that it names --edition's edition in any order
    printf("sv39sim %s\nsimulated kernel: xv6 %s\n", SV39SIM_VERSION, cfg.edition->name);
    return finish_stdout();
  }
  char err[256];
  if (kernel != NULL && load_kernel(kernel, &cfg) != 0)
    return EXIT_USAGE;
  struct machine *m = machine_new(&cfg, err, sizeof(err));
  if (m == NULL) {
    fprintf(stderr, "sv39sim: %s\n", err);
    return EXIT_USAGE;
  }
  struct session s = {.m = m, .out = stdout, .err = stderr, .json = json, .quiet = quiet,
                      .color = !json && want_color(STDOUT_FILENO),
                      .color_err = want_color(STDERR_FILENO)};
  if (log != NULL && (s.log_file = strcmp(log, "-") == 0 ? stderr : fopen(log, "w")) == NULL) {
    fprintf(stderr, "sv39sim: --log: cannot write '%s': %s\n", log, strerror(errno));
    machine_free(m);
    return EXIT_USAGE;
  }
  if (kpt != NULL) {
    // The mode command's words, given with spaces or commas: "per-process,kstack=zero".
    char line[256];
    snprintf(line, sizeof(line), "mode %s", kpt);
    for (char *q = line; *q != '\0'; q++)
      *q = *q == ',' ? ' ' : *q;
    s.file = "--kpt";
    if (cmd_run_line(&s, line) != CMD_OK) {
      machine_free(m);
      return EXIT_USAGE;
    }
  }

  enum cmd_status st = CMD_OK;
  if (execute != NULL)
    st = replay_commands(&s, execute, "-e", keep_going);
  for (int i = optind; i < argc && (st == CMD_OK || keep_going) && !s.quit; i++) {
    struct stat st_trace;
    if (strcmp(argv[i], "-") != 0 &&
        (access(argv[i], R_OK) != 0 ||
         (stat(argv[i], &st_trace) == 0 && S_ISDIR(st_trace.st_mode)))) {
      int e = errno;
      fprintf(stderr, "sv39sim: cannot read trace '%s': %s\n", argv[i],
              access(argv[i], R_OK) == 0 ? "it is a directory" : strerror(e));
      machine_free(m);
      return EXIT_USAGE;
    }
    if (replay_file(&s, argv[i], keep_going) != CMD_OK)
      st = CMD_ERROR;
  }
  bool no_input = execute == NULL && optind == argc;
  // Interactive: an error never ends the session nor changes the exit status. Without a
  // terminal there is no prompt and no readline, just lines.
  if (s.quit)
    ; // 'quit' in a trace or -e: no more input
  else if (interactive && !isatty(STDIN_FILENO))
    replay_stream(&s, stdin, "<stdin>", true);
  else if (interactive || (no_input && isatty(STDIN_FILENO)))
    repl_run(&s);
  else if (no_input && replay_stream(&s, stdin, "<stdin>", keep_going) != CMD_OK)
    st = CMD_ERROR;

  machine_free(m);
  if (s.log_file != NULL && s.log_file != stderr && fclose(s.log_file) != 0) {
    fprintf(stderr, "sv39sim: cannot write '%s': %s\n", log, strerror(errno));
    s.write_failed = true;
  }
  // A write that failed anywhere (even at the prompt, where errors do not count) fails
  // the run: the user's output is not all there.
  if (finish_stdout() != EXIT_OK || s.write_failed || st != CMD_OK)
    return EXIT_CMD_FAILED;
  return s.panicked ? EXIT_PANIC : EXIT_OK;
}
