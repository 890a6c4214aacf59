// The MMU's commands: hart state (satp, priv, sstatus, sfence), translate/load/store with
// the step display, software walks and mappages by hand.
#include <inttypes.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/cow.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/xv6/vm.h"

static const char *const access_words[] = {"load", "store", "fetch"};
static const char *const access_letters[] = {"r", "w", "x"};
const char *const cmd_size_names[3] = {"4K", "2M", "1G"};

void cmd_flag_letters(uint64_t pte, char out[CMD_FLAGS_LEN]) {
  static const char letters[] = "DAGUXWRV";
  int n = 0;
  if (pte & PTE_COW)
    out[n++] = 'C'; // the cow lab's RSW bit, only where it is set
  for (int i = 0; i < 8; i++)
    out[n++] = (pte >> (7 - i)) & 1 ? letters[i] : '-';
  out[n] = '\0';
}

uint64_t cmd_pte_page(uint64_t pte) {
  return (uint64_t)PTE_PPN(pte) << PGSHIFT;
}

// The A and D bits of bits as "A", "D", "AD" or "".
static void ad_letters(uint64_t bits, char out[3]) {
  int n = 0;
  if (bits & PTE_A)
    out[n++] = 'A';
  if (bits & PTE_D)
    out[n++] = 'D';
  out[n] = '\0';
}

void cmd_json_fault(cJSON *o, const char *key, const struct fault *f) {
  cJSON *j = cJSON_AddObjectToObject(o, key);
  cJSON_AddNumberToObject(j, "cause", f->cause);
  cJSON_AddStringToObject(j, "name", mmu_cause_name(f->cause));
  cJSON_AddStringToObject(j, "rule", mmu_rule_name(f->rule));
  cJSON_AddStringToObject(j, "reason", mmu_rule_reason(f->rule));
  render_json_hex(j, "tval", f->tval);
  cJSON_AddNumberToObject(j, "level", f->level);
}

// ---- the step display (translate, load, store, walk) ----

// A fault's line of the step display: cause, tval, the rule and why.
static void text_fault(FILE *out, const struct fault *f) {
  fprintf(out, "  %s (cause %d), tval 0x%" PRIx64 ": %s: %s\n", mmu_cause_name(f->cause),
          f->cause, f->tval, mmu_rule_name(f->rule), mmu_rule_reason(f->rule));
}

// One level of a walk as the step display prints it: vpn, the PTE and where it leads.
static void text_step(FILE *out, const struct walk_steps *s, const struct walk_step *st) {
  char flags[CMD_FLAGS_LEN];
  cmd_flag_letters(st->pte, flags);
  fprintf(out, "  level %d: vpn[%d] %3u, pte at 0x%016" PRIx64, st->level, st->level, st->vpn,
          st->pte_pa);
  if (st->not_ram) {
    fputs(": not RAM -> fault\n", out);
    return;
  }
  fprintf(out, ": 0x%016" PRIx64 " %s", st->pte, flags);
  if (st->kind == STEP_TABLE) {
    fprintf(out, " -> table 0x%016" PRIx64 "\n", cmd_pte_page(st->pte));
  } else if (st->kind == STEP_LEAF) {
    fprintf(out, " -> %s page 0x%016" PRIx64, cmd_size_names[st->level],
            cmd_pte_page(st->pte));
    if (s->ad_set) {
      char ad[3];
      ad_letters(s->ad_set, ad);
      fprintf(out, ", %s set by the walk", ad);
    }
    fputc('\n', out);
  } else {
    fputs(" -> fault\n", out);
  }
}

// The walk as the array "steps" of o; a TLB hit first, as its own step.
static void json_steps(cJSON *o, const struct walk_steps *s) {
  cJSON *arr = cJSON_AddArrayToObject(o, "steps");
  char flags[CMD_FLAGS_LEN];
  if (s->tlb_hit) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tlb", "hit");
    render_json_hex(j, "pte", s->tlb_pte);
    cmd_flag_letters(s->tlb_pte, flags);
    cJSON_AddStringToObject(j, "flags", flags);
    render_json_hex(j, "page", cmd_pte_page(s->tlb_pte));
    cJSON_AddStringToObject(j, "size", cmd_size_names[s->leaf_level]);
    cJSON_AddItemToArray(arr, j);
  }
  for (int i = 0; i < s->n; i++) {
    const struct walk_step *st = &s->step[i];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "level", st->level);
    cJSON_AddNumberToObject(j, "vpn", st->vpn);
    render_json_hex(j, "pte_pa", st->pte_pa);
    if (st->not_ram) {
      cJSON_AddBoolToObject(j, "not_ram", true);
      cJSON_AddBoolToObject(j, "fault", true);
      cJSON_AddItemToArray(arr, j);
      continue;
    }
    render_json_hex(j, "pte", st->pte);
    cmd_flag_letters(st->pte, flags);
    cJSON_AddStringToObject(j, "flags", flags);
    if (st->kind == STEP_TABLE) {
      render_json_hex(j, "table", cmd_pte_page(st->pte));
    } else if (st->kind == STEP_LEAF) {
      render_json_hex(j, "page", cmd_pte_page(st->pte));
      cJSON_AddStringToObject(j, "size", cmd_size_names[st->level]);
      if (s->ad_set) {
        char ad[3];
        ad_letters(s->ad_set, ad);
        cJSON_AddStringToObject(j, "ad_set", ad);
      }
    } else {
      cJSON_AddBoolToObject(j, "fault", true);
    }
    cJSON_AddItemToArray(arr, j);
  }
}

// One MMU access through the hart (translate, load or store) and what it found.
struct translation {
  const char *what; // the command: "translate", "load" or "store"
  uint64_t va;
  enum access acc;
  bool user;     // the hart's privilege was U
  uint64_t satp; // and its satp
  int result;    // 0, or -1 with f
  uint64_t pa;   // valid when result is 0 or f is RULE_PA_NOT_RAM
  struct fault f;
  struct walk_steps steps;
  bool pa_not_ram; // result 0, but pa is no RAM (a load or store there faults)
  // A TLB hit that the table in memory now contradicts, and what the table says.
  bool stale;
  int now_result;
  uint64_t now_pa;
  struct fault now_f;
  // load and store: the value, and its size in bytes
  bool has_value;
  uint64_t value;
  unsigned size;
};

// Fill in what the display needs beyond the access itself: the hart's state and, on a
// TLB hit, whether the table in memory still agrees (asked without changing anything).
static void translation_finish(struct machine *m, struct translation *t) {
  t->user = m->hw.hart.priv == PRIV_U;
  t->satp = m->hw.hart.satp;
  bool pa_valid = t->result == 0 || t->f.rule == RULE_PA_NOT_RAM;
  t->pa_not_ram = t->result == 0 && !ram_contains(&m->hw.ram, t->pa, 1);
  t->stale = t->steps.tlb_hit && mmu_stale(&m->hw, t->va, t->acc, pa_valid ? 0 : -1, t->pa,
                                           &t->now_result, &t->now_pa, &t->now_f);
}

// A translation's keys: va, access, priv, satp, tlb, steps, then pa or fault, stale, value.
static void show_translation_json(cJSON *o, const struct translation *t) {
  bool pa_valid = t->result == 0 || t->f.rule == RULE_PA_NOT_RAM;
  render_json_hex(o, "va", t->va);
  cJSON_AddStringToObject(o, "access", access_letters[t->acc]);
  cJSON_AddStringToObject(o, "priv", t->user ? "u" : "s");
  render_json_hex(o, "satp", t->satp);
  if (t->steps.bare)
    cJSON_AddBoolToObject(o, "bare", true);
  else if (!(t->result != 0 && t->f.rule == RULE_NONCANONICAL))
    cJSON_AddStringToObject(o, "tlb", t->steps.tlb_hit ? "hit" : "miss");
  json_steps(o, &t->steps);
  if (pa_valid)
    render_json_hex(o, "pa", t->pa);
  if (t->result != 0)
    cmd_json_fault(o, "fault", &t->f);
  if (t->stale) {
    cJSON *j = cJSON_AddObjectToObject(o, "stale");
    if (t->now_result == 0)
      render_json_hex(j, "pa", t->now_pa);
    else
      cmd_json_fault(j, "fault", &t->now_f);
  }
  if (t->has_value && t->acc == ACC_R && t->result == 0)
    render_json_hex(o, "value", t->value);
}

// A translation's step display, then for load/store the value read or stored.
static void show_translation_text(FILE *out, const struct translation *t) {
  bool pa_valid = t->result == 0 || t->f.rule == RULE_PA_NOT_RAM;
  fprintf(out, "%s 0x%016" PRIx64 " (%s, %s), satp 0x%016" PRIx64 ": ", t->what, t->va,
          access_words[t->acc], t->user ? "U-mode" : "S-mode", t->satp);
  if (t->steps.bare)
    fputs("Bare, pa = va\n", out);
  else if (t->result != 0 && t->f.rule == RULE_NONCANONICAL)
    fputs("no walk\n", out);
  else
    fprintf(out, "tlb %s\n", t->steps.tlb_hit ? "hit" : "miss");
  if (t->steps.tlb_hit) {
    char flags[CMD_FLAGS_LEN];
    cmd_flag_letters(t->steps.tlb_pte, flags);
    fprintf(out, "  tlb entry: %s page 0x%016" PRIx64 ", pte 0x%016" PRIx64 " %s\n",
            cmd_size_names[t->steps.leaf_level], cmd_pte_page(t->steps.tlb_pte),
            t->steps.tlb_pte, flags);
  }
  for (int i = 0; i < t->steps.n; i++)
    text_step(out, &t->steps, &t->steps.step[i]);
  if (pa_valid)
    fprintf(out, "  pa 0x%016" PRIx64 "%s\n", t->pa,
            t->pa_not_ram ? " (not RAM: a load or store there is an access fault)" : "");
  if (t->result != 0)
    text_fault(out, &t->f);
  if (t->stale) {
    fputs("  stale TLB entry: the table now says ", out);
    if (t->now_result == 0)
      fprintf(out, "pa 0x%016" PRIx64 "\n", t->now_pa);
    else
      fprintf(out, "%s (%s)\n", mmu_cause_name(t->now_f.cause), mmu_rule_name(t->now_f.rule));
  }
  if (t->has_value && t->result == 0)
    fprintf(out, "  %s 0x%0*" PRIx64 "\n", t->acc == ACC_R ? "value" : "stored",
            (int)t->size * 2, t->value);
}

// The step display of one MMU access, and for load/store the value.
static void show_translation(const struct cmd_view *v, const struct translation *t) {
  if (v->json)
    show_translation_json(v->json, t);
  else
    show_translation_text(v->out, t);
}

struct cmd_result cmd_translate(struct cmd_call *c, int argc, char **argv) {
  struct translation t = {.what = "translate", .acc = ACC_R};
  if (arg_va(c, argv[1], &t.va) || (argc == 3 && arg_access(c, argv[2], &t.acc)))
    return cmd_error(c);
  t.result = mmu_translate(&c->m->hw, t.va, t.acc, &t.pa, &t.f, &t.steps);
  translation_finish(c->m, &t);
  show_translation(&c->view, &t);
  return cmd_ok();
}

// va is aligned to size. Returns 0, or -1 with the message in c->err.
static int arg_aligned(struct cmd_call *c, uint64_t va, unsigned size) {
  if (va % size != 0)
    return arg_fail(c, "va 0x%" PRIx64 " is not aligned to %u bytes (sv39sim models "
                    "aligned accesses only)", va, size);
  return 0;
}

struct cmd_result cmd_load(struct cmd_call *c, int argc, char **argv) {
  struct translation t = {.what = "load", .acc = ACC_R, .has_value = true, .size = 8};
  if (arg_va(c, argv[1], &t.va) || (argc == 3 && arg_size(c, argv[2], &t.size)) ||
      arg_aligned(c, t.va, t.size))
    return cmd_error(c);
  t.result = mmu_load(&c->m->hw, t.va, t.size, &t.value, &t.pa, &t.f, &t.steps);
  translation_finish(c->m, &t);
  show_translation(&c->view, &t);
  return cmd_ok();
}

struct cmd_result cmd_store(struct cmd_call *c, int argc, char **argv) {
  struct translation t = {.what = "store", .acc = ACC_W, .has_value = true, .size = 8};
  if (arg_va(c, argv[1], &t.va) || arg_u64(c, "VALUE", argv[2], false, &t.value) ||
      (argc == 4 && arg_size(c, argv[3], &t.size)) || arg_aligned(c, t.va, t.size))
    return cmd_error(c);
  if (t.size < 8 && t.value >> (8 * t.size) != 0)
    return cmd_fail(c, "VALUE 0x%" PRIx64 " does not fit in %u bytes", t.value, t.size);
  t.result = mmu_store(&c->m->hw, t.va, t.size, t.value, &t.pa, &t.f, &t.steps);
  translation_finish(c->m, &t);
  show_translation(&c->view, &t);
  return cmd_ok();
}

// ---- walk and mappages: a process's table by hand ----

struct walk_result {
  int pid;           // -1 for a what-if walk of a satp value
  const char *which; // "user" or "kernel"; NULL for a satp value
  uint64_t satp;     // the satp value walked (what-if), else 0
  uint64_t table;
  bool user; // walked as U-mode (the user table) or S-mode
  bool sum, mxr;
  uint64_t va;
  enum access acc;
  int result; // 0 with pa, or -1 with f
  uint64_t pa;
  struct fault f;
  struct walk_steps steps;
};

// A software walk: the table, the steps, then pa or the fault.
static void show_walk(const struct cmd_view *v, const struct walk_result *w) {
  if (v->json) {
    if (w->pid > 0)
      cJSON_AddNumberToObject(v->json, "pid", w->pid);
    else
      cJSON_AddNullToObject(v->json, "pid");
    if (w->which == NULL)
      render_json_hex(v->json, "satp", w->satp);
    render_json_hex(v->json, "pagetable", w->table);
    render_json_hex(v->json, "va", w->va);
    cJSON_AddStringToObject(v->json, "access", access_letters[w->acc]);
    cJSON_AddStringToObject(v->json, "priv", w->user ? "u" : "s");
    if (w->which == NULL) {
      cJSON_AddNumberToObject(v->json, "sum", w->sum);
      cJSON_AddNumberToObject(v->json, "mxr", w->mxr);
    }
    json_steps(v->json, &w->steps);
    if (w->result == 0)
      render_json_hex(v->json, "pa", w->pa);
    else
      cmd_json_fault(v->json, "fault", &w->f);
    return;
  }
  if (w->which != NULL)
    fprintf(v->out, "walk pid %d %s table 0x%016" PRIx64 ", va 0x%016" PRIx64 " (%s, %s)\n",
            w->pid, w->which, w->table, w->va, access_words[w->acc],
            w->user ? "U-mode" : "S-mode");
  else
    fprintf(v->out, "walk satp 0x%016" PRIx64 " (root 0x%016" PRIx64 "), va 0x%016" PRIx64
                    " (%s, %s, sum=%d mxr=%d; nothing written, no TLB)\n",
            w->satp, w->table, w->va, access_words[w->acc], w->user ? "U-mode" : "S-mode",
            w->sum, w->mxr);
  for (int i = 0; i < w->steps.n; i++)
    text_step(v->out, &w->steps, &w->steps.step[i]);
  if (w->result == 0)
    fprintf(v->out, "  pa 0x%016" PRIx64 "\n", w->pa);
  else
    text_fault(v->out, &w->f);
}

// walk satp VALUE VA [r|w|x] [u|s] [sum] [mxr]: the what-if walk, before boot too.
static struct cmd_result walk_satp(struct cmd_call *c, int argc, char **argv) {
  struct walk_result w = {.pid = -1, .acc = ACC_R};
  if (arg_u64(c, "VALUE", argv[2], false, &w.satp) || arg_va(c, argv[3], &w.va) ||
      (argc >= 5 && arg_access(c, argv[4], &w.acc)))
    return cmd_error(c);
  if (SATP_MODE(w.satp) != SATP_MODE_SV39)
    return cmd_fail(c, "satp 0x%" PRIx64 " is not in Sv39 mode (MODE 8): nothing to walk",
                    w.satp);
  for (int i = 5; i < argc; i++) {
    if (strcmp(argv[i], "u") == 0 || strcmp(argv[i], "s") == 0)
      w.user = argv[i][0] == 'u';
    else if (strcmp(argv[i], "sum") == 0)
      w.sum = true;
    else if (strcmp(argv[i], "mxr") == 0)
      w.mxr = true;
    else
      return cmd_fail(c, "'%s': want u, s, sum or mxr", argv[i]);
  }
  w.table = SATP_ROOT(w.satp);
  w.result = mmu_walk_as(&c->m->hw, w.table, w.user, w.sum, w.mxr, w.va, w.acc, &w.pa, &w.f,
                         &w.steps);
  show_walk(&c->view, &w);
  return cmd_ok();
}

struct cmd_result cmd_walk(struct cmd_call *c, int argc, char **argv) {
  if (strcmp(argv[1], "satp") == 0)
    return walk_satp(c, argc, argv);
  if (argc > 5)
    return cmd_fail(c, "usage: walk PID user|kernel VA [r|w|x]");
  struct render_table t;
  struct walk_result w = {.acc = ACC_R};
  if (arg_proc_table(c, argv[1], argv[2], &t) || arg_va(c, argv[3], &w.va) ||
      (argc == 5 && arg_access(c, argv[4], &w.acc)))
    return cmd_error(c);
  w.pid = t.pid;
  w.which = t.which;
  w.table = t.root;
  w.user = strcmp(t.which, "user") == 0;
  w.sum = c->m->hw.hart.sum;
  w.mxr = c->m->hw.hart.mxr;
  w.result = mmu_walk_table(&c->m->hw, t.root, w.user, w.va, w.acc, &w.pa, &w.f, &w.steps);
  show_walk(&c->view, &w);
  return cmd_ok();
}

// xv6's mappages returned ret (0, or -1: no memory for a page-table page).
static void show_mappages(const struct cmd_view *v, int ret) {
  if (v->json)
    cJSON_AddNumberToObject(v->json, "ret", ret);
  else if (ret != 0)
    fputs("mappages: returns -1 (no memory for a page-table page)\n", v->out);
}

// PERM's letters from "rwxug" as PTE bits. Returns 0, or -1 with the message in c->err.
static int arg_perm(struct cmd_call *c, const char *s, uint64_t *perm) {
  static const uint64_t bits[] = {PTE_R, PTE_W, PTE_X, PTE_U, PTE_G};
  *perm = 0;
  for (const char *p = s; *p != '\0'; p++) {
    const char *at = strchr("rwxug", *p);
    if (at == NULL)
      return arg_fail(c, "PERM '%s': letters from \"rwxug\" only", s);
    *perm |= bits[at - "rwxug"];
  }
  return 0;
}

struct cmd_result cmd_mappages(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  struct render_table t;
  uint64_t va, size, pa, perm;
  if (arg_proc_table(c, argv[1], argv[2], &t) || arg_u64(c, "VA", argv[3], false, &va) ||
      arg_u64(c, "SIZE", argv[4], true, &size) || arg_u64(c, "PA", argv[5], false, &pa))
    return cmd_error(c);
  if (size == 0)
    return cmd_fail(c, "SIZE must not be 0 (xv6's mappages would map a page anyway)");
  if (va + size < va || pa + size < pa)
    return cmd_fail(c, "VA + SIZE or PA + SIZE wraps around 2^64");
  if (arg_perm(c, argv[6], &perm))
    return cmd_error(c);
  int r = vm_mappages(c->m, t.root, va, size, pa, perm);
  if (r == SIM_PANIC)
    return cmd_sim(r);
  show_mappages(&c->view, r == SIM_OK ? 0 : -1);
  return cmd_ok();
}

// ---- hart state: satp, priv, sstatus, sfence ----

struct satp_result {
  uint64_t satp;      // satp now
  bool ignored;       // a write of an unsupported MODE, which changed nothing
  uint64_t requested; // that write's value
};

// satp decoded: MODE, and for Sv39 the ASID and the root table.
static void describe_satp(const struct cmd_view *v, uint64_t satp) {
  bool sv39 = SATP_MODE(satp) == SATP_MODE_SV39;
  if (v->json) {
    render_json_hex(v->json, "satp", satp);
    cJSON_AddStringToObject(v->json, "mode", sv39 ? "sv39" : "bare");
    if (sv39) {
      cJSON_AddNumberToObject(v->json, "asid", SATP_ASID(satp));
      render_json_hex(v->json, "root", SATP_ROOT(satp));
    }
  } else if (sv39) {
    fprintf(v->out, "satp 0x%016" PRIx64 ": Sv39, asid %u, root 0x%016" PRIx64 "\n", satp,
            SATP_ASID(satp), SATP_ROOT(satp));
  } else {
    fprintf(v->out, "satp 0x%016" PRIx64 ": Bare (no translation)\n", satp);
  }
}

// satp as it is, after the note that a write of an unsupported MODE was ignored.
static void show_satp(const struct cmd_view *v, const struct satp_result *r) {
  if (r->ignored) {
    if (v->json)
      cJSON_AddBoolToObject(v->json, "ignored", true);
    else
      fprintf(v->out, "satp: MODE %" PRIu64 " is not supported, so the write has no effect\n",
              SATP_MODE(r->requested));
  }
  describe_satp(v, r->satp);
}

// satp shows its value when read, and when a write was ignored; a write shows nothing.
struct cmd_result cmd_satp(struct cmd_call *c, int argc, char **argv) {
  struct satp_result r = {0};
  if (argc == 2) {
    if (arg_u64(c, "VALUE", argv[1], false, &r.requested))
      return cmd_error(c);
    if (mmu_write_satp(&c->m->hw, r.requested))
      return cmd_ok();
    r.ignored = true;
  }
  r.satp = c->m->hw.hart.satp;
  show_satp(&c->view, &r);
  return cmd_ok();
}

// JSON only: the privilege as the user wrote it.
static void show_priv(const struct cmd_view *v, const char *priv) {
  if (v->json)
    cJSON_AddStringToObject(v->json, "priv", priv);
}

struct cmd_result cmd_priv(struct cmd_call *c, int argc, char **argv) {
  (void)argc;
  if (strcmp(argv[1], "u") == 0)
    c->m->hw.hart.priv = PRIV_U;
  else if (strcmp(argv[1], "s") == 0)
    c->m->hw.hart.priv = PRIV_S;
  else
    return cmd_fail(c, "privilege '%s' must be u or s", argv[1]);
  show_priv(&c->view, argv[1]);
  return cmd_ok();
}

struct sstatus_result {
  bool sum, mxr;
  bool read; // no bit was given: the text shows them
};

// SUM and MXR: always with --json, in text only when read (no bit given).
static void show_sstatus(const struct cmd_view *v, const struct sstatus_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "sum", r->sum);
    cJSON_AddNumberToObject(v->json, "mxr", r->mxr);
  } else if (r->read) {
    fprintf(v->out, "sstatus: sum=%d mxr=%d\n", r->sum, r->mxr);
  }
}

struct cmd_result cmd_sstatus(struct cmd_call *c, int argc, char **argv) {
  struct sstatus_result r = {.sum = c->m->hw.hart.sum, .mxr = c->m->hw.hart.mxr,
                             .read = argc == 1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool *bit = strncmp(a, "sum=", 4) == 0 ? &r.sum : strncmp(a, "mxr=", 4) == 0 ? &r.mxr : NULL;
    if (bit == NULL || (a[4] != '0' && a[4] != '1') || a[5] != '\0')
      return cmd_fail(c, "'%s': want sum=0, sum=1, mxr=0 or mxr=1", a);
    *bit = a[4] == '1';
  }
  c->m->hw.hart.sum = r.sum;
  c->m->hw.hart.mxr = r.mxr;
  show_sstatus(&c->view, &r);
  return cmd_ok();
}

struct sfence_result {
  bool all_va, all_asid; // rs1 or rs2 was x0
  uint64_t va, asid;
  unsigned flushed;
};

// Which entries sfence.vma's operands select, and how many went.
static void show_sfence(const struct cmd_view *v, const struct sfence_result *r) {
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "flushed", r->flushed);
    return;
  }
  fputs("sfence.vma: ", v->out);
  if (r->all_va)
    fputs("every va", v->out);
  else
    fprintf(v->out, "va 0x%" PRIx64, r->va);
  if (r->all_asid)
    fputs(", every ASID (global entries too)", v->out);
  else
    fprintf(v->out, ", ASID %" PRIu64 " (not global entries)", r->asid);
  fprintf(v->out, ": %u %s flushed\n", r->flushed, r->flushed == 1 ? "entry" : "entries");
}

struct cmd_result cmd_sfence(struct cmd_call *c, int argc, char **argv) {
  struct sfence_result r = {.all_va = argc < 2 || strcmp(argv[1], "-") == 0,
                            .all_asid = argc < 3 || strcmp(argv[2], "-") == 0};
  if ((!r.all_va && arg_va(c, argv[1], &r.va)) ||
      (!r.all_asid && arg_u64(c, "ASID", argv[2], false, &r.asid)))
    return cmd_error(c);
  if (r.asid > 0xffff)
    return cmd_fail(c, "ASID %" PRIu64 " does not fit Sv39's 16 bits", r.asid);
  r.flushed = tlb_sfence(&c->m->hw, r.all_va, r.va, r.all_asid, (uint16_t)r.asid);
  show_sfence(&c->view, &r);
  return cmd_ok();
}
