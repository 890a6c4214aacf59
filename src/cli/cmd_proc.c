// The process commands, as xv6's system calls and boot code: boot, mode, userinit, fork,
// edition, kernel, exec, sbrk, exit, wait, kill, switch, copyin and copyinstr.
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/tools/diff.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/ksyms.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"

#define MAX_COPYIN (64ULL << 10)

// ---- boot, mode, userinit ----

struct boot_result {
  uint64_t free;
  uint64_t kernel_pagetable;
};

// The kernel table boot built and the pages left on the free list.
static void show_boot(const struct cmd_view *v, const struct boot_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "free", (double)r->free);
    render_json_hex(v->json, "kernel_pagetable", r->kernel_pagetable);
  } else {
    fprintf(v->out, "boot: kernel page table 0x%016" PRIx64 ", %" PRIu64 " pages free\n",
            r->kernel_pagetable, r->free);
  }
}

struct cmd_result cmd_boot(struct cmd_call *c, int argc, char **argv) {
  (void)argc, (void)argv;
  if (c->m->booted)
    return cmd_fail(c, "the machine has booted already ('reset' for a fresh one)");
  int r = kvm_boot(c->m);
  if (r != SIM_OK)
    return cmd_sim(r);
  show_boot(&c->view, &(struct boot_result){.free = c->m->kmem.nfree,
                                            .kernel_pagetable = c->m->kernel_pagetable});
  return cmd_ok();
}

// One option word of `mode` after the mode's name into cfg: clint, noclint or kstack=...
// Returns 0, or -1 with the message in c->err; seen collects the options given so far.
static int mode_option(struct cmd_call *c, const char *word, struct config *cfg,
                       unsigned *seen) {
  enum { SEEN_CLINT = 1, SEEN_KSTACK = 2 };
  if (strcmp(word, "clint") == 0 || strcmp(word, "noclint") == 0) {
    if (*seen & SEEN_CLINT)
      return arg_fail(c, "'%s': CLINT is chosen once (clint or noclint)", word);
    *seen |= SEEN_CLINT;
    cfg->kpt_clint = word[0] == 'c' ? KPT_CLINT_IN : KPT_CLINT_OUT;
    return 0;
  }
  if (strncmp(word, "kstack=", 7) == 0) {
    if (*seen & SEEN_KSTACK)
      return arg_fail(c, "'%s': the kernel stacks are chosen once", word);
    *seen |= SEEN_KSTACK;
    if (kpt_kstack_parse(word + 7, &cfg->kpt_kstack) != 0)
      return arg_fail(c, "unknown kernel-stack shape '%s' (allocproc, procinit or zero)",
                      word + 7);
    return 0;
  }
  return arg_fail(c, "unknown mode option '%s' (clint, noclint, kstack=allocproc, "
                  "kstack=procinit or kstack=zero)", word);
}

// Shows nothing: the mode shows in the prompt and in what boot builds. Every option not
// given goes back to its default, so `mode` after `reset` starts from a clean choice.
struct cmd_result cmd_mode(struct cmd_call *c, int argc, char **argv) {
  if (c->m->booted)
    return cmd_fail(c, "the mode is chosen before 'boot' ('reset' for a fresh machine)");
  struct config cfg = c->m->cfg;
  if (kpt_mode_parse(argv[1], &cfg.kpt) != 0)
    return cmd_fail(c, "unknown mode '%s' (global, per-process or per-process-user)", argv[1]);
  if (!edition_offers_kpt(cfg.edition, (int)cfg.kpt))
    return cmd_fail(c, "%s's lab has no kernel-table mode %s (the per-process kernel "
                    "tables are fall 2020's lab)", cfg.edition->name, kpt_mode_name(cfg.kpt));
  if (cfg.kpt != KPT_GLOBAL && cfg.lab != LAB_NONE)
    return cmd_fail(c, "mode %s is the page-table lab's solution, a branch of its own: it "
                    "runs without 'lab %s' ('lab none' first)", kpt_mode_name(cfg.kpt),
                    edition_lab_name(cfg.lab));
  if (argc > 2 && cfg.kpt == KPT_GLOBAL)
    return cmd_fail(c, "'%s' goes with per-process or per-process-user (global mode has one "
                    "kernel table)", argv[2]);
  cfg.kpt_clint = KPT_CLINT_DEFAULT;
  cfg.kpt_kstack = KPT_KSTACK_ALLOCPROC;
  unsigned seen = 0;
  for (int i = 2; i < argc; i++) {
    if (mode_option(c, argv[i], &cfg, &seen) != 0)
      return cmd_error(c);
  }
  c->m->cfg = cfg;
  return cmd_ok();
}

// Shows nothing, as mode: the lab shows in the prompt and in what the kernel does.
// `superpages=N` after `lab pgtbl` in an edition whose lab has superpages: N regions.
static int lab_superpages(struct cmd_call *c, enum xv6_lab lab, const char *word,
                          uint64_t *n) {
  if (strncmp(word, "superpages=", 11) != 0 || lab != LAB_PGTBL)
    return arg_fail(c, "'%s': the one lab option is superpages=N, after pgtbl", word);
  if (!c->m->cfg.edition->pgtbl_superpages)
    return arg_fail(c, "%s's pgtbl lab has no superpages (fall 2024 on)",
                    c->m->cfg.edition->name);
  if (arg_u64(c, "superpages", word + 11, false, n) != 0)
    return -1;
  if (*n > SUPERPAGES_MAX)
    return arg_fail(c, "superpages: at most %d", SUPERPAGES_MAX);
  return 0;
}

struct cmd_result cmd_lab(struct cmd_call *c, int argc, char **argv) {
  enum xv6_lab lab;
  if (edition_lab_parse(argv[1], &lab) != 0)
    return cmd_fail(c, "unknown lab '%s' (none, pgtbl, lazy or cow)", argv[1]);
  uint64_t n = c->m->cfg.superpages;
  if (argc > 2 && lab_superpages(c, lab, argv[2], &n) != 0)
    return cmd_error(c);
  char why[256];
  if (machine_set_lab(c->m, lab, why, sizeof(why)) != 0)
    return cmd_fail(c, "%s", why);
  c->m->cfg.superpages = n;
  return cmd_ok();
}

// The pid of a process a command created (userinit).
static void show_userinit(const struct cmd_view *v, int pid) {
  if (v->json)
    cJSON_AddNumberToObject(v->json, "pid", pid);
  else
    fprintf(v->out, "userinit: pid %d\n", pid);
}

struct cmd_result cmd_userinit(struct cmd_call *c, int argc, char **argv) {
  (void)argc, (void)argv;
  if (arg_booted(c))
    return cmd_error(c);
  if (c->m->initproc >= 0)
    return cmd_fail(c, "userinit has run already (xv6 runs it once)");
  int slot;
  int r = proc_userinit(c->m, &slot);
  if (r != SIM_OK)
    return cmd_sim(r);
  show_userinit(&c->view, c->m->proc[slot].pid);
  return cmd_ok();
}

// ---- edition, kernel ----

// Shows nothing, as mode: the edition shows in the prompt and in what boot builds.
struct cmd_result cmd_edition(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int year;
  if (arg_int(c, "YEAR", argv[1], &year))
    return cmd_error(c);
  const struct xv6_edition *ed = edition_of_year(year);
  if (ed == NULL)
    return cmd_fail(c, "no xv6 edition of %d (%d to %d: the fall terms)", year,
                    EDITION_FIRST_YEAR, EDITION_LAST_YEAR);
  char why[256];
  if (machine_set_edition(c->m, ed, why, sizeof(why)) != 0)
    return cmd_fail(c, "%s", why);
  return cmd_ok();
}

struct kernel_result {
  const char *name;            // the file as the trace or option named it
  struct kernel_syms ks;
  const struct xv6_edition *ed; // the edition simulated
};

// The symbols taken, and a warning when the file's functions are not the simulated
// edition's (its kernel would build other tables).
static void show_kernel(const struct cmd_view *v, const struct kernel_result *r) {
  char years[64];
  ksyms_years_text(&r->ks, years, sizeof(years));
  bool fits = ksyms_fits_year(&r->ks, r->ed->year);
  if (v->json) {
    render_json_hex(v->json, "etext", r->ks.etext);
    render_json_hex(v->json, "end", r->ks.end);
    render_json_hex(v->json, "trampoline", r->ks.trampoline);
    cJSON *arr = cJSON_AddArrayToObject(v->json, "editions");
    for (int y = KSYMS_FIRST_YEAR; y <= KSYMS_LAST_YEAR; y++) {
      if (ksyms_fits_year(&r->ks, y))
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(y));
    }
    cJSON_AddBoolToObject(v->json, "edition_fits", fits);
    return;
  }
  fprintf(v->out, "kernel: %s: etext 0x%016" PRIx64 ", end 0x%016" PRIx64
                  ", trampoline 0x%016" PRIx64 "\n",
          r->name, r->ks.etext, r->ks.end, r->ks.trampoline);
  if (!fits)
    fprintf(v->out, "  warning: its functions are those of an xv6 kernel of %s, not of the "
                    "simulated edition (%s)\n",
            years, r->ed->name);
}

struct cmd_result cmd_kernel(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  if (c->m->booted)
    return cmd_fail(c, "the kernel image is chosen before 'boot' ('reset' for a fresh "
                       "machine)");
  uint8_t *data;
  uint64_t len;
  if (arg_read_file(c, argv[1], &data, &len))
    return cmd_error(c);
  struct kernel_result r = {.name = argv[1], .ed = c->m->cfg.edition};
  char why[256];
  int bad = ksyms_read(data, len, &r.ks, why, sizeof(why));
  free(data);
  if (bad)
    return cmd_fail(c, "'%s': %s", argv[1], why);
  if (machine_set_kernel(c->m, r.ks.etext, r.ks.end, r.ks.trampoline, why, sizeof(why)) != 0)
    return cmd_fail(c, "'%s': %s", argv[1], why);
  show_kernel(&c->view, &r);
  return cmd_ok();
}

// ---- exec ----


struct exec_shown {
  int pid;
  struct exec_result res; // ret: argc, or -1 with why
  uint64_t sz;            // the new size when ret >= 0
};

// exec's outcome: argc and the new size, or exec's -1 and why (a result, not an error).
static void show_exec(const struct cmd_view *v, const struct exec_shown *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "pid", r->pid);
    cJSON_AddNumberToObject(v->json, "ret", r->res.ret);
    if (r->res.ret < 0)
      cJSON_AddStringToObject(v->json, "reason", r->res.why);
    else
      render_json_hex(v->json, "sz", r->sz);
  } else if (r->res.ret < 0) {
    fprintf(v->out, "exec: pid %d: exec returns -1 (%s)\n", r->pid, r->res.why);
  } else {
    fprintf(v->out, "exec: pid %d: argc %d, sz 0x%" PRIx64 "\n", r->pid, r->res.ret, r->sz);
  }
}

struct cmd_result cmd_exec(struct cmd_call *c, int argc, char **argv) {
  int slot;
  if (arg_live(c, argv[1], &slot))
    return cmd_error(c);
  uint8_t *image;
  uint64_t len;
  int first_arg;
  const char *path;
  if (strcmp(argv[2], "-s") == 0) {
    uint64_t size;
    if (argc < 4)
      return cmd_fail(c, "-s needs a SIZE");
    if (arg_u64(c, "SIZE", argv[3], true, &size))
      return cmd_error(c);
    image = exec_synthetic_image(size, &len);
    if (image == NULL)
      return cmd_fail(c, "out of host memory");
    first_arg = 4;
    path = argc > 4 ? argv[4] : "";
  } else {
    if (arg_read_file(c, argv[2], &image, &len))
      return cmd_error(c);
    first_arg = 3;
    path = argv[2];
  }
  // With no ARG, a file is run as itself (argv[0] is its name); -s gets argc 0.
  char **args = argv + first_arg;
  int nargs = argc - first_arg;
  char *self[1] = {argv[2]};
  if (nargs == 0 && first_arg == 3) {
    args = self;
    nargs = 1;
  }
  struct exec_shown shown;
  int r = exec_sys_exec(c->m, slot, image, len, path, nargs, args, &shown.res);
  free(image);
  if (r != SIM_OK)
    return cmd_sim(r);
  shown.pid = c->m->proc[slot].pid;
  shown.sz = c->m->proc[slot].sz;
  show_exec(&c->view, &shown);
  return cmd_ok();
}

// ---- fork, sbrk, exit, wait, kill, switch ----

struct fork_result {
  int parent;
  int child;       // -1: fork returned -1
  const char *why; // and why
  bool list;       // 'copies': what uvmcopy gave the child
  const struct diff_copy *copies;
  size_t ncopies;
};

// The child's pid as fork returns it to the parent, -1 included; with 'copies', one line
// (or JSON object) per page the child got: its va, the parent's page and the child's.
static void show_fork(const struct cmd_view *v, const struct fork_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "pid", r->child);
    if (r->child < 0)
      cJSON_AddStringToObject(v->json, "reason", r->why);
  } else if (r->child < 0) {
    fprintf(v->out, "fork: pid %d: fork returns -1 (%s)\n", r->parent, r->why);
  } else {
    fprintf(v->out, "fork: pid %d: child pid %d\n", r->parent, r->child);
  }
  if (!r->list || r->child < 0)
    return;
  cJSON *arr = v->json ? cJSON_AddArrayToObject(v->json, "copies") : NULL;
  for (size_t i = 0; i < r->ncopies; i++) {
    const struct diff_copy *k = &r->copies[i];
    if (arr != NULL) {
      cJSON *o = cJSON_CreateObject();
      render_json_hex(o, "va", k->va);
      render_json_hex(o, "parent_pa", k->parent_pa);
      render_json_hex(o, "child_pa", k->child_pa);
      cJSON_AddBoolToObject(o, "shared", k->shared);
      cJSON_AddItemToArray(arr, o);
    } else if (k->shared) {
      fprintf(v->out, "  shared va 0x%016" PRIx64 ": pa 0x%016" PRIx64 " in both\n", k->va,
              k->parent_pa);
    } else {
      fprintf(v->out, "  copied va 0x%016" PRIx64 ": parent pa 0x%016" PRIx64
              " -> child pa 0x%016" PRIx64 "\n", k->va, k->parent_pa, k->child_pa);
    }
  }
}

// What uvmcopy gave the child, read from both tables after the fork: the leaves below the
// parent's sz that both map. Returns 0, or -1 out of host memory.
static int fork_copies(struct machine *m, int parent, int child, struct diff_copy **out,
                       size_t *n) {
  struct diff_snap a, b;
  if (diff_snapshot(m, m->proc[parent].pagetable, &a) != 0)
    return -1;
  int r = diff_snapshot(m, m->proc[child].pagetable, &b);
  if (r == 0)
    r = diff_copies(&a, &b, m->proc[parent].sz, out, n);
  diff_snap_free(&a);
  if (r == 0)
    diff_snap_free(&b);
  return r;
}

struct cmd_result cmd_fork(struct cmd_call *c, int argc, char **argv) {
  int slot, pid;
  bool list = argc == 3;
  if (list && strcmp(argv[2], "copies") != 0)
    return cmd_fail(c, "'%s': fork takes PID and, to list what it copied, 'copies'", argv[2]);
  if (arg_live(c, argv[1], &slot))
    return cmd_error(c);
  int r = proc_fork(c->m, slot, &pid);
  if (r != SIM_OK)
    return cmd_sim(r);
  struct fork_result fr = {.parent = c->m->proc[slot].pid, .child = pid, .list = list,
                          .why = c->m->why};
  struct diff_copy *copies = NULL;
  if (list && pid > 0 &&
      fork_copies(c->m, slot, proc_slot(c->m, pid), &copies, &fr.ncopies) != 0)
    return cmd_fail(c, "child pid %d forked, but the host is out of memory to list its "
                    "copies", pid);
  fr.copies = copies;
  show_fork(&c->view, &fr);
  free(copies);
  return cmd_ok();
}

struct sbrk_result {
  int pid;
  bool failed;  // sbrk returned -1
  int64_t ret;  // what sys_sbrk returned
  uint64_t old; // the size before
  uint64_t sz;  // and after
  const char *why; // failed: why
};

// What sys_sbrk returned, and the size before and after.
static void show_sbrk(const struct cmd_view *v, const struct sbrk_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "ret", (double)r->ret);
    render_json_hex(v->json, "old", r->old);
    render_json_hex(v->json, "sz", r->sz);
    if (r->failed)
      cJSON_AddStringToObject(v->json, "reason", r->why);
  } else if (r->failed) {
    fprintf(v->out, "sbrk: pid %d: sbrk returns -1 (%s), sz stays 0x%" PRIx64 "\n", r->pid,
            r->why, r->sz);
  } else {
    fprintf(v->out, "sbrk: pid %d: old size 0x%" PRIx64 ", sz now 0x%" PRIx64 "\n", r->pid,
            r->old, r->sz);
  }
}

struct cmd_result cmd_sbrk(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int slot;
  int64_t n;
  if (arg_live(c, argv[1], &slot))
    return cmd_error(c);
  if (cmd_parse_i64(argv[2], true, &n) != 0 || n < INT32_MIN || n > INT32_MAX)
    return cmd_fail(c, "N: '%s' is not an int (sbrk's argument is 32-bit)", argv[2]);
  struct proc *p = &c->m->proc[slot];
  struct sbrk_result shown = {.pid = p->pid, .old = p->sz};
  int r = proc_sbrk(c->m, slot, (int32_t)n, &shown.ret);
  if (r == SIM_PANIC)
    return cmd_sim(r);
  shown.failed = r == SIM_FAIL;
  shown.why = c->m->why;
  shown.sz = p->sz;
  show_sbrk(&c->view, &shown);
  return cmd_ok();
}

// Text only: with --json, "ok" says it all.
static void show_exit(const struct cmd_view *v, int pid, int status) {
  if (!v->json)
    fprintf(v->out, "exit: pid %d is a zombie (status %d)\n", pid, status);
}

struct cmd_result cmd_exit(struct cmd_call *c, int argc, char **argv) {
  int slot, status = 0;
  if (argc == 1) // xv6's exit takes a process; a user typing it wants to leave
    return cmd_fail(c, "usage: exit PID [STATUS] makes a process exit; 'quit' or Ctrl-D "
                       "leaves sv39sim");
  if (arg_live(c, argv[1], &slot) || (argc == 3 && arg_int(c, "STATUS", argv[2], &status)))
    return cmd_error(c);
  int r = proc_exit(c->m, slot, status);
  if (r != SIM_OK)
    return cmd_sim(r);
  show_exit(&c->view, c->m->proc[slot].pid, status);
  return cmd_ok();
}

struct wait_result {
  int me;
  int pid;      // the reaped child, or -1
  bool blocked; // xv6 would sleep: children, none a zombie
};

// The child wait reaped, or wait's -1, or that xv6 would sleep here.
static void show_wait(const struct cmd_view *v, const struct wait_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "pid", r->pid);
    if (r->blocked)
      cJSON_AddBoolToObject(v->json, "blocked", true);
  } else if (r->blocked) {
    fprintf(v->out, "wait: pid %d would sleep: it has children and none has exited "
                    "(nothing changes)\n", r->me);
  } else if (r->pid < 0) {
    fprintf(v->out, "wait: pid %d: wait returns -1 (no children)\n", r->me);
  } else {
    fprintf(v->out, "wait: pid %d reaped pid %d\n", r->me, r->pid);
  }
}

struct cmd_result cmd_wait(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int slot;
  struct wait_result shown;
  if (arg_live(c, argv[1], &slot))
    return cmd_error(c);
  int r = proc_wait(c->m, slot, &shown.pid, &shown.blocked);
  if (r != SIM_OK)
    return cmd_sim(r);
  shown.me = c->m->proc[slot].pid;
  show_wait(&c->view, &shown);
  return cmd_ok();
}

struct kill_result {
  int pid;
  int ret;
  bool was_zombie;
};

// kill's return value, and in text what happens to the victim.
static void show_kill(const struct cmd_view *v, const struct kill_result *r) {
  if (v->json)
    cJSON_AddNumberToObject(v->json, "ret", r->ret);
  else if (r->ret < 0)
    fprintf(v->out, "kill: kill returns -1 (no process with pid %d)\n", r->pid);
  else if (r->was_zombie)
    fprintf(v->out, "kill: pid %d is a zombie already\n", r->pid);
  else
    fprintf(v->out, "kill: pid %d exits with status -1 at its next trap\n", r->pid);
}

struct cmd_result cmd_kill(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  struct kill_result shown;
  // sys_kill takes any int; no process has a pid below 1, so those return -1.
  if (arg_booted(c) || arg_int(c, NULL, argv[1], &shown.pid))
    return cmd_error(c);
  int slot = proc_slot(c->m, shown.pid);
  shown.was_zombie = slot >= 0 && c->m->proc[slot].state == ZOMBIE;
  int r = proc_kill(c->m, shown.pid, &shown.ret);
  if (r != SIM_OK)
    return cmd_sim(r);
  show_kill(&c->view, &shown);
  return cmd_ok();
}

struct switch_result {
  int pid; // -1: idle
  uint64_t satp;
};

// Who runs now (a process, or the idle loop) and the satp that leaves.
static void show_switch(const struct cmd_view *v, const struct switch_result *r) {
  if (v->json)
    render_json_hex(v->json, "satp", r->satp);
  else if (r->pid < 0)
    fprintf(v->out, "switch: idle, satp 0x%016" PRIx64 "\n", r->satp);
  else
    fprintf(v->out, "switch: pid %d, satp 0x%016" PRIx64 "\n", r->pid, r->satp);
}

struct cmd_result cmd_switch(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  int slot = -1;
  if (arg_booted(c) || (strcmp(argv[1], "idle") != 0 && arg_live(c, argv[1], &slot)))
    return cmd_error(c);
  int r = proc_switch(c->m, slot);
  if (r != SIM_OK)
    return cmd_sim(r);
  show_switch(&c->view, &(struct switch_result){
                            .pid = slot < 0 ? -1 : c->m->proc[slot].pid,
                            .satp = c->m->hw.hart.satp});
  return cmd_ok();
}

// ---- copyin, copyinstr ----

// What a copy did: the bytes (copyin) or the string (copyinstr) when ret is 0.
struct copy_result {
  int pid;
  int ret;
  const char *how; // walkaddr, copyin_new or copyinstr_new
  uint64_t calls;  // the lab's count of copyin_new or copyinstr_new calls
  uint64_t va;
  const uint8_t *bytes; // copyin: len bytes; copyinstr: a NUL-terminated string
  uint64_t len;
  const char *why;      // ret -1: why
};

// How this mode's kernel copies user memory (the lab's part 3 has its own functions).
static const char *copy_how(const struct machine *m, bool str) {
  if (m->cfg.kpt != KPT_PER_PROCESS_USER)
    return "walkaddr";
  return str ? "copyinstr_new" : "copyin_new";
}

// n bytes as lines of 16 hex bytes, each line led by the va of its first byte.
static void hexdump(FILE *out, uint64_t va, const uint8_t *b, uint64_t n) {
  for (uint64_t i = 0; i < n; i += 16) {
    fprintf(out, "  0x%016" PRIx64 ":", va + i);
    for (uint64_t j = i; j < n && j < i + 16; j++)
      fprintf(out, " %02x", b[j]);
    fputc('\n', out);
  }
}

// copyin's return value and count; on success the bytes (hex).
static void show_copyin(const struct cmd_view *v, const struct copy_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "ret", r->ret);
    cJSON_AddNumberToObject(v->json, "ncopyin", (double)r->calls);
    if (r->ret != 0)
      cJSON_AddStringToObject(v->json, "reason", r->why);
    char *hex = malloc(2 * r->len + 1);
    if (hex != NULL && r->ret == 0) {
      for (uint64_t i = 0; i < r->len; i++)
        snprintf(hex + 2 * i, 3, "%02x", r->bytes[i]);
      hex[2 * r->len] = '\0';
      cJSON_AddStringToObject(v->json, "bytes", hex);
    }
    free(hex);
    return;
  }
  fprintf(v->out, "copyin: pid %d: returns %d (%s; copyin_new calls %" PRIu64 ")%s%s\n",
          r->pid, r->ret, r->how, r->calls, r->ret != 0 ? ": " : "",
          r->ret != 0 ? r->why : "");
  if (r->ret == 0)
    hexdump(v->out, r->va, r->bytes, r->len);
}

// copyinstr's return value and count; on success the string, escaped in text.
static void show_copyinstr(const struct cmd_view *v, const struct copy_result *r) {
  const char *str = (const char *)r->bytes;
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "ret", r->ret);
    cJSON_AddNumberToObject(v->json, "ncopyinstr", (double)r->calls);
    if (r->ret != 0)
      cJSON_AddStringToObject(v->json, "reason", r->why);
    if (r->ret == 0)
      cJSON_AddStringToObject(v->json, "string", str);
    return;
  }
  fprintf(v->out, "copyinstr: pid %d: returns %d (%s; copyinstr_new calls %" PRIu64 ")",
          r->pid, r->ret, r->how, r->calls);
  if (r->ret == 0) {
    fputs(": \"", v->out);
    for (const char *q = str; *q; q++) {
      unsigned char ch = (unsigned char)*q;
      if (ch == '"' || ch == '\\')
        fprintf(v->out, "\\%c", ch);
      else if (ch >= 0x20 && ch < 0x7f)
        fputc(ch, v->out);
      else
        fprintf(v->out, "\\x%02x", ch);
    }
    fputc('"', v->out);
  } else {
    fprintf(v->out, ": %s", r->why);
  }
  fputc('\n', v->out);
}

// copyin PID VA LEN and copyinstr PID VA MAX: parse, copy, show.
static struct cmd_result copy_cmd(struct cmd_call *c, char **argv, bool str) {
  int slot;
  uint64_t va, len;
  const char *what = str ? "MAX" : "LEN";
  if (arg_live(c, argv[1], &slot) || arg_u64(c, "VA", argv[2], false, &va) ||
      arg_u64(c, what, argv[3], true, &len))
    return cmd_error(c);
  if (len > MAX_COPYIN)
    return cmd_fail(c, "%s is at most %llu", what, (unsigned long long)MAX_COPYIN);
  uint8_t *buf = calloc(1, str ? len + 1 : len ? len : 1);
  if (buf == NULL)
    return cmd_fail(c, "out of host memory");
  struct copy_result shown = {.va = va, .bytes = buf, .len = len};
  int r = str ? proc_copyinstr(c->m, slot, (char *)buf, va, len, &shown.ret)
              : proc_copyin(c->m, slot, buf, va, len, &shown.ret);
  if (r != SIM_OK) {
    free(buf);
    return cmd_sim(r);
  }
  shown.pid = c->m->proc[slot].pid;
  shown.why = c->m->why;
  shown.how = copy_how(c->m, str);
  shown.calls = str ? c->m->stats.ncopyinstr : c->m->stats.ncopyin;
  if (str)
    show_copyinstr(&c->view, &shown);
  else
    show_copyin(&c->view, &shown);
  free(buf);
  return cmd_ok();
}

struct cmd_result cmd_copyin(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  return copy_cmd(c, argv, false);
}

struct cmd_result cmd_copyinstr(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  return copy_cmd(c, argv, true);
}
