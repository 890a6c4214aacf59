// The MMU's commands: hart state, translate/load/store with the step display, the TLB,
// software walks, mappages by hand, and address-trace replay.
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/tools/access.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/hw/mmu.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/view/render.h"
#include "sv39sim/xv6/vm.h"

static const char *const access_words[] = {"load", "store", "fetch"};
static const char *const access_letters[] = {"r", "w", "x"};
static const char *const size_names[] = {"4K", "2M", "1G"};

static int arg_access(struct cmd_ctx *c, const char *s, enum access *acc) {
  for (int i = 0; i < 3; i++) {
    if (strcmp(s, access_letters[i]) == 0) {
      *acc = (enum access)i;
      return CMD_OK;
    }
  }
  return cmd_fail(c, "access '%s' must be r (load), w (store) or x (fetch)", s);
}

// A va argument: a number, or a negative one for the top of the address space.
static int arg_va(struct cmd_ctx *c, const char *s, uint64_t *va) {
  int64_t v;
  if (s[0] == '-' && cmd_parse_i64(s, false, &v) == 0) {
    *va = (uint64_t)v;
    return CMD_OK;
  }
  return cmd_arg_u64(c, "VA", s, false, va);
}

// The PTE's low eight bits as letters, D A G U X W R V from bit 7 down; '-' when clear.
static void flag_letters(uint64_t pte, char out[9]) {
  static const char letters[] = "DAGUXWRV";
  for (int i = 0; i < 8; i++)
    out[i] = (pte >> (7 - i)) & 1 ? letters[i] : '-';
  out[8] = '\0';
}

// The physical page a PTE names (hardware's view: reserved bits dropped).
static uint64_t pte_page(uint64_t pte) {
  return (uint64_t)PTE_PPN(pte) << PGSHIFT;
}

static void ad_letters(uint64_t bits, char out[3]) {
  int n = 0;
  if (bits & PTE_A)
    out[n++] = 'A';
  if (bits & PTE_D)
    out[n++] = 'D';
  out[n] = '\0';
}

static void json_fault(cJSON *o, const char *key, const struct fault *f) {
  cJSON *j = cJSON_AddObjectToObject(o, key);
  cJSON_AddNumberToObject(j, "cause", f->cause);
  cJSON_AddStringToObject(j, "name", mmu_cause_name(f->cause));
  cJSON_AddStringToObject(j, "rule", mmu_rule_name(f->rule));
  cJSON_AddStringToObject(j, "reason", mmu_rule_reason(f->rule));
  render_json_hex(j, "tval", f->tval);
  cJSON_AddNumberToObject(j, "level", f->level);
}

static void text_fault(FILE *out, const struct fault *f) {
  fprintf(out, "  %s (cause %d), tval 0x%" PRIx64 ": %s: %s\n", mmu_cause_name(f->cause),
          f->cause, f->tval, mmu_rule_name(f->rule), mmu_rule_reason(f->rule));
}

static void text_step(FILE *out, const struct walk_steps *s, const struct walk_step *st) {
  char flags[9];
  flag_letters(st->pte, flags);
  fprintf(out, "  level %d: vpn[%d] %3u, pte at 0x%016" PRIx64, st->level, st->level, st->vpn,
          st->pte_pa);
  if (st->not_ram) {
    fputs(": not RAM -> fault\n", out);
    return;
  }
  fprintf(out, ": 0x%016" PRIx64 " %s", st->pte, flags);
  if (st->kind == STEP_TABLE) {
    fprintf(out, " -> table 0x%016" PRIx64 "\n", pte_page(st->pte));
  } else if (st->kind == STEP_LEAF) {
    fprintf(out, " -> %s page 0x%016" PRIx64, size_names[st->level],
            pte_page(st->pte));
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

static cJSON *json_steps(cJSON *o, const struct walk_steps *s) {
  cJSON *arr = cJSON_AddArrayToObject(o, "steps");
  char flags[9];
  if (s->tlb_hit) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tlb", "hit");
    render_json_hex(j, "pte", s->tlb_pte);
    flag_letters(s->tlb_pte, flags);
    cJSON_AddStringToObject(j, "flags", flags);
    render_json_hex(j, "page", pte_page(s->tlb_pte));
    cJSON_AddStringToObject(j, "size", size_names[s->leaf_level]);
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
    flag_letters(st->pte, flags);
    cJSON_AddStringToObject(j, "flags", flags);
    if (st->kind == STEP_TABLE) {
      render_json_hex(j, "table", pte_page(st->pte));
    } else if (st->kind == STEP_LEAF) {
      render_json_hex(j, "page", pte_page(st->pte));
      cJSON_AddStringToObject(j, "size", size_names[st->level]);
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
  return arr;
}

// Everything a translation display needs.
struct shown {
  uint64_t va;
  enum access acc;
  int result;  // 0, or -1 with f
  uint64_t pa; // valid when result is 0 or f is RULE_PA_NOT_RAM
  struct fault f;
  struct walk_steps steps;
};

static const char *priv_word(const struct machine *m) {
  return m->hw.hart.priv == PRIV_U ? "U-mode" : "S-mode";
}

// The step display of one MMU access, in text or JSON; on a TLB hit it also asks the
// table in memory whether the entry is stale.
static void show_translation(struct cmd_ctx *c, const char *what, const struct shown *t) {
  struct machine *m = c->m;
  bool pa_valid = t->result == 0 || t->f.rule == RULE_PA_NOT_RAM;
  int now_result = 0;
  uint64_t now_pa = 0;
  struct fault now_f;
  bool stale = t->steps.tlb_hit &&
               mmu_stale(&m->hw, t->va, t->acc, pa_valid ? 0 : -1, t->pa, &now_result, &now_pa,
                         &now_f);
  char flags[9];
  if (c->json) {
    render_json_hex(c->json, "va", t->va);
    cJSON_AddStringToObject(c->json, "access", access_letters[t->acc]);
    cJSON_AddStringToObject(c->json, "priv", m->hw.hart.priv == PRIV_U ? "u" : "s");
    render_json_hex(c->json, "satp", m->hw.hart.satp);
    if (t->steps.bare)
      cJSON_AddBoolToObject(c->json, "bare", true);
    else if (!(t->result != 0 && t->f.rule == RULE_NONCANONICAL))
      cJSON_AddStringToObject(c->json, "tlb", t->steps.tlb_hit ? "hit" : "miss");
    json_steps(c->json, &t->steps);
    if (pa_valid)
      render_json_hex(c->json, "pa", t->pa);
    if (t->result != 0)
      json_fault(c->json, "fault", &t->f);
    if (stale) {
      cJSON *j = cJSON_AddObjectToObject(c->json, "stale");
      if (now_result == 0)
        render_json_hex(j, "pa", now_pa);
      else
        json_fault(j, "fault", &now_f);
    }
    return;
  }
  fprintf(c->out, "%s 0x%016" PRIx64 " (%s, %s), satp 0x%016" PRIx64 ": ", what, t->va,
          access_words[t->acc], priv_word(m), m->hw.hart.satp);
  if (t->steps.bare)
    fputs("Bare, pa = va\n", c->out);
  else if (t->result != 0 && t->f.rule == RULE_NONCANONICAL)
    fputs("no walk\n", c->out);
  else
    fprintf(c->out, "tlb %s\n", t->steps.tlb_hit ? "hit" : "miss");
  if (t->steps.tlb_hit) {
    flag_letters(t->steps.tlb_pte, flags);
    fprintf(c->out, "  tlb entry: %s page 0x%016" PRIx64 ", pte 0x%016" PRIx64 " %s\n",
            size_names[t->steps.leaf_level], pte_page(t->steps.tlb_pte),
            t->steps.tlb_pte, flags);
  }
  for (int i = 0; i < t->steps.n; i++)
    text_step(c->out, &t->steps, &t->steps.step[i]);
  if (pa_valid) {
    fprintf(c->out, "  pa 0x%016" PRIx64 "%s\n", t->pa,
            t->result == 0 && !ram_contains(&m->hw.ram, t->pa, 1)
                ? " (not RAM: a load or store there is an access fault)"
                : "");
  }
  if (t->result != 0)
    text_fault(c->out, &t->f);
  if (stale) {
    fputs("  stale TLB entry: the table now says ", c->out);
    if (now_result == 0)
      fprintf(c->out, "pa 0x%016" PRIx64 "\n", now_pa);
    else
      fprintf(c->out, "%s (%s)\n", mmu_cause_name(now_f.cause), mmu_rule_name(now_f.rule));
  }
}

int cmd_translate(struct cmd_ctx *c, int argc, char **argv) {
  struct shown t = {.acc = ACC_R};
  if (arg_va(c, argv[1], &t.va) || (argc == 3 && arg_access(c, argv[2], &t.acc)))
    return CMD_ERROR;
  t.result = mmu_translate(&c->m->hw, t.va, t.acc, &t.pa, &t.f, &t.steps);
  show_translation(c, "translate", &t);
  return CMD_OK;
}

static int arg_aligned(struct cmd_ctx *c, uint64_t va, unsigned size) {
  if (va % size != 0)
    return cmd_fail(c, "va 0x%" PRIx64 " is not aligned to %u bytes (sv39sim models "
                    "aligned accesses only)", va, size);
  return CMD_OK;
}

int cmd_load(struct cmd_ctx *c, int argc, char **argv) {
  struct shown t = {.acc = ACC_R};
  unsigned size = 8;
  if (arg_va(c, argv[1], &t.va) || (argc == 3 && cmd_arg_size(c, argv[2], &size)) ||
      arg_aligned(c, t.va, size))
    return CMD_ERROR;
  uint64_t value = 0;
  t.result = mmu_load(&c->m->hw, t.va, size, &value, &t.pa, &t.f, &t.steps);
  show_translation(c, "load", &t);
  if (t.result == 0) {
    if (c->json)
      render_json_hex(c->json, "value", value);
    else
      fprintf(c->out, "  value 0x%0*" PRIx64 "\n", (int)size * 2, value);
  }
  return CMD_OK;
}

int cmd_store(struct cmd_ctx *c, int argc, char **argv) {
  struct shown t = {.acc = ACC_W};
  unsigned size = 8;
  uint64_t value;
  if (arg_va(c, argv[1], &t.va) || cmd_arg_u64(c, "VALUE", argv[2], false, &value) ||
      (argc == 4 && cmd_arg_size(c, argv[3], &size)) || arg_aligned(c, t.va, size))
    return CMD_ERROR;
  if (size < 8 && value >> (8 * size) != 0)
    return cmd_fail(c, "VALUE 0x%" PRIx64 " does not fit in %u bytes", value, size);
  t.result = mmu_store(&c->m->hw, t.va, size, value, &t.pa, &t.f, &t.steps);
  show_translation(c, "store", &t);
  if (t.result == 0 && !c->json)
    fprintf(c->out, "  stored 0x%0*" PRIx64 "\n", (int)size * 2, value);
  return CMD_OK;
}

static void describe_satp(struct cmd_ctx *c, uint64_t satp) {
  bool sv39 = SATP_MODE(satp) == SATP_MODE_SV39;
  if (c->json) {
    render_json_hex(c->json, "satp", satp);
    cJSON_AddStringToObject(c->json, "mode", sv39 ? "sv39" : "bare");
    if (sv39) {
      cJSON_AddNumberToObject(c->json, "asid", SATP_ASID(satp));
      render_json_hex(c->json, "root", SATP_ROOT(satp));
    }
  } else if (sv39) {
    fprintf(c->out, "satp 0x%016" PRIx64 ": Sv39, asid %u, root 0x%016" PRIx64 "\n", satp,
            SATP_ASID(satp), SATP_ROOT(satp));
  } else {
    fprintf(c->out, "satp 0x%016" PRIx64 ": Bare (no translation)\n", satp);
  }
}

int cmd_satp(struct cmd_ctx *c, int argc, char **argv) {
  if (argc == 1) {
    describe_satp(c, c->m->hw.hart.satp);
    return CMD_OK;
  }
  uint64_t v;
  if (cmd_arg_u64(c, "VALUE", argv[1], false, &v))
    return CMD_ERROR;
  if (mmu_write_satp(&c->m->hw, v))
    return CMD_OK;
  if (c->json) {
    cJSON_AddBoolToObject(c->json, "ignored", true);
    describe_satp(c, c->m->hw.hart.satp);
  } else {
    fprintf(c->out, "satp: MODE %" PRIu64 " is not supported, so the write has no effect\n",
            SATP_MODE(v));
    describe_satp(c, c->m->hw.hart.satp);
  }
  return CMD_OK;
}

int cmd_priv(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  if (strcmp(argv[1], "u") == 0)
    c->m->hw.hart.priv = PRIV_U;
  else if (strcmp(argv[1], "s") == 0)
    c->m->hw.hart.priv = PRIV_S;
  else
    return cmd_fail(c, "privilege '%s' must be u or s", argv[1]);
  if (c->json)
    cJSON_AddStringToObject(c->json, "priv", argv[1]);
  return CMD_OK;
}

int cmd_sstatus(struct cmd_ctx *c, int argc, char **argv) {
  bool sum = c->m->hw.hart.sum, mxr = c->m->hw.hart.mxr;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool *bit = strncmp(a, "sum=", 4) == 0 ? &sum : strncmp(a, "mxr=", 4) == 0 ? &mxr : NULL;
    if (bit == NULL || (a[4] != '0' && a[4] != '1') || a[5] != '\0')
      return cmd_fail(c, "'%s': want sum=0, sum=1, mxr=0 or mxr=1", a);
    *bit = a[4] == '1';
  }
  c->m->hw.hart.sum = sum;
  c->m->hw.hart.mxr = mxr;
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "sum", sum);
    cJSON_AddNumberToObject(c->json, "mxr", mxr);
  } else if (argc == 1) {
    fprintf(c->out, "sstatus: sum=%d mxr=%d\n", sum, mxr);
  }
  return CMD_OK;
}

int cmd_sfence(struct cmd_ctx *c, int argc, char **argv) {
  bool all_va = argc < 2 || strcmp(argv[1], "-") == 0;
  bool all_asid = argc < 3 || strcmp(argv[2], "-") == 0;
  uint64_t va = 0, asid = 0;
  if (!all_va && arg_va(c, argv[1], &va))
    return CMD_ERROR;
  if (!all_asid && cmd_arg_u64(c, "ASID", argv[2], false, &asid))
    return CMD_ERROR;
  if (asid > 0xffff)
    return cmd_fail(c, "ASID %" PRIu64 " does not fit Sv39's 16 bits", asid);
  unsigned n = tlb_sfence(&c->m->hw, all_va, va, all_asid, (uint16_t)asid);
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "flushed", n);
    return CMD_OK;
  }
  fputs("sfence.vma: ", c->out);
  if (all_va)
    fputs("every va", c->out);
  else
    fprintf(c->out, "va 0x%" PRIx64, va);
  if (all_asid)
    fputs(", every ASID (global entries too)", c->out);
  else
    fprintf(c->out, ", ASID %" PRIu64 " (not global entries)", asid);
  fprintf(c->out, ": %u %s flushed\n", n, n == 1 ? "entry" : "entries");
  return CMD_OK;
}

static void json_stats(cJSON *o, const struct tlb_stats *s) {
  cJSON_AddNumberToObject(o, "hits", (double)s->hits);
  cJSON_AddNumberToObject(o, "misses", (double)s->misses);
  cJSON_AddNumberToObject(o, "faults", (double)s->faults);
  cJSON_AddNumberToObject(o, "evictions", (double)s->evictions);
  cJSON_AddNumberToObject(o, "flushes", (double)s->flushes);
  cJSON_AddNumberToObject(o, "flushed", (double)s->flushed);
}

static void text_stats(FILE *out, const char *who, const struct tlb_stats *s) {
  fprintf(out,
          "  %-8s hits %" PRIu64 ", misses %" PRIu64 ", faults %" PRIu64 ", evictions %" PRIu64
          ", flushes %" PRIu64 " (%" PRIu64 " entries)\n",
          who, s->hits, s->misses, s->faults, s->evictions, s->flushes, s->flushed);
}

static bool stats_empty(const struct tlb_stats *s) {
  return s->hits == 0 && s->misses == 0 && s->faults == 0 && s->flushes == 0;
}

static void describe_geometry(struct cmd_ctx *c) {
  const struct tlb *t = &c->m->hw.tlb;
  unsigned entries = t->nsets * t->ways;
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "size", entries);
    cJSON_AddNumberToObject(c->json, "ways", t->ways);
    cJSON_AddNumberToObject(c->json, "sets", t->nsets);
  } else if (entries == 0) {
    fputs("tlb: none (every access walks the table)\n", c->out);
  } else if (t->nsets == 1) {
    fprintf(c->out, "tlb: %u entries, fully associative, %s\n", entries,
            tlb_policy_name(t->geometry.policy));
  } else {
    fprintf(c->out, "tlb: %u entries, %u sets of %u ways, %s\n", entries, t->nsets, t->ways,
            tlb_policy_name(t->geometry.policy));
  }
}

static void tlb_stats_show(struct cmd_ctx *c) {
  struct machine *m = c->m;
  describe_geometry(c);
  cJSON *per = NULL;
  if (c->json) {
    json_stats(c->json, &m->hw.tlb.total);
    per = cJSON_AddArrayToObject(c->json, "processes");
  } else {
    text_stats(c->out, "total:", &m->hw.tlb.total);
  }
  for (int i = 0; i < NPROC; i++) {
    const struct tlb_stats *s = &m->tlb_per[i];
    if (m->tlb_pid[i] == 0 || stats_empty(s))
      continue;
    if (per != NULL) {
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "pid", m->tlb_pid[i]);
      json_stats(j, s);
      cJSON_AddItemToArray(per, j);
    } else {
      char who[24];
      snprintf(who, sizeof(who), "pid %d:", m->tlb_pid[i]);
      text_stats(c->out, who, s);
    }
  }
}

struct show_ctx {
  struct cmd_ctx *c;
  cJSON *arr; // JSON's "valid" array, NULL for text
};

// One entry of tlb show: a JSON object into the array, or a line.
static void show_entry(const struct tlb_view *v, void *ctx) {
  struct cmd_ctx *c = ((struct show_ctx *)ctx)->c;
  cJSON *arr = ((struct show_ctx *)ctx)->arr;
  char flags[9];
  uint64_t page = pte_page(v->pte);
  flag_letters(v->pte, flags);
  if (arr != NULL) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "set", v->set);
    cJSON_AddNumberToObject(j, "way", v->way);
    render_json_hex(j, "va", v->va);
    cJSON_AddStringToObject(j, "size", size_names[v->level]);
    cJSON_AddNumberToObject(j, "asid", v->asid);
    cJSON_AddBoolToObject(j, "global", v->global);
    render_json_hex(j, "pa", page);
    render_json_hex(j, "pte", v->pte);
    cJSON_AddStringToObject(j, "flags", flags);
    cJSON_AddNumberToObject(j, "rank", v->rank);
    cJSON_AddItemToArray(arr, j);
  } else {
    fprintf(c->out,
            "  set %u way %u: va 0x%016" PRIx64 " %s asid %u%s -> pa 0x%016" PRIx64
            " %s (rank %u)\n",
            v->set, v->way, v->va, size_names[v->level], v->asid, v->global ? " global" : "",
            page, flags, v->rank);
  }
}

// tlb show: the geometry's line, then each valid entry with its recency rank.
static int tlb_show(struct cmd_ctx *c) {
  describe_geometry(c);
  struct show_ctx s = {.c = c, .arr = c->json ? cJSON_AddArrayToObject(c->json, "valid") : NULL};
  if (tlb_for_each(&c->m->hw.tlb, show_entry, &s) != 0)
    return cmd_fail(c, "out of host memory");
  return CMD_OK;
}

int cmd_tlb(struct cmd_ctx *c, int argc, char **argv) {
  const char *what = argc == 2 ? argv[1] : "stats";
  if (strcmp(what, "stats") == 0) {
    tlb_stats_show(c);
  } else if (strcmp(what, "show") == 0) {
    return tlb_show(c);
  } else if (strcmp(what, "flush") == 0) {
    unsigned n = tlb_sfence(&c->m->hw, true, 0, true, 0);
    if (c->json)
      cJSON_AddNumberToObject(c->json, "flushed", n);
    else
      fprintf(c->out, "tlb: %u %s flushed\n", n, n == 1 ? "entry" : "entries");
  } else {
    return cmd_fail(c, "'%s': want stats, flush or show", what);
  }
  return CMD_OK;
}

// The table a 'user|kernel' argument names for the process in slot.
static int arg_table(struct cmd_ctx *c, int slot, const char *which, uint64_t *table) {
  const struct proc *p = &c->m->proc[slot];
  if (strcmp(which, "user") == 0)
    *table = p->pagetable;
  else if (strcmp(which, "kernel") == 0)
    *table = p->kpagetable ? p->kpagetable : c->m->kernel_pagetable;
  else
    return cmd_fail(c, "which table: 'user' or 'kernel', not '%s'", which);
  if (*table == 0)
    return cmd_fail(c, "pid %d has no %s page table", p->pid, which);
  return CMD_OK;
}

int cmd_walk(struct cmd_ctx *c, int argc, char **argv) {
  int slot;
  uint64_t table;
  struct shown t = {.acc = ACC_R};
  if (cmd_need_boot(c) || cmd_arg_proc(c, argv[1], &slot) ||
      arg_table(c, slot, argv[2], &table) || arg_va(c, argv[3], &t.va) ||
      (argc == 5 && arg_access(c, argv[4], &t.acc)))
    return CMD_ERROR;
  bool user = strcmp(argv[2], "user") == 0;
  t.result = mmu_walk_table(&c->m->hw, table, user, t.va, t.acc, &t.pa, &t.f, &t.steps);
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "pid", c->m->proc[slot].pid);
    render_json_hex(c->json, "pagetable", table);
    render_json_hex(c->json, "va", t.va);
    cJSON_AddStringToObject(c->json, "access", access_letters[t.acc]);
    cJSON_AddStringToObject(c->json, "priv", user ? "u" : "s");
    json_steps(c->json, &t.steps);
    if (t.result == 0)
      render_json_hex(c->json, "pa", t.pa);
    else
      json_fault(c->json, "fault", &t.f);
    return CMD_OK;
  }
  fprintf(c->out, "walk pid %d %s table 0x%016" PRIx64 ", va 0x%016" PRIx64 " (%s, %s)\n",
          c->m->proc[slot].pid, argv[2], table, t.va, access_words[t.acc],
          user ? "U-mode" : "S-mode");
  for (int i = 0; i < t.steps.n; i++)
    text_step(c->out, &t.steps, &t.steps.step[i]);
  if (t.result == 0)
    fprintf(c->out, "  pa 0x%016" PRIx64 "\n", t.pa);
  else
    text_fault(c->out, &t.f);
  return CMD_OK;
}

int cmd_mappages(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot;
  uint64_t table, va, size, pa, perm = 0;
  if (cmd_need_boot(c) || cmd_arg_proc(c, argv[1], &slot) ||
      arg_table(c, slot, argv[2], &table) || cmd_arg_u64(c, "VA", argv[3], false, &va) ||
      cmd_arg_u64(c, "SIZE", argv[4], true, &size) ||
      cmd_arg_u64(c, "PA", argv[5], false, &pa))
    return CMD_ERROR;
  if (size == 0)
    return cmd_fail(c, "SIZE must not be 0 (xv6's mappages would map a page anyway)");
  if (va + size < va || pa + size < pa)
    return cmd_fail(c, "VA + SIZE or PA + SIZE wraps around 2^64");
  for (const char *p = argv[6]; *p != '\0'; p++) {
    const char *at = strchr("rwxug", *p);
    if (at == NULL)
      return cmd_fail(c, "PERM '%s': letters from \"rwxug\" only", argv[6]);
    static const uint64_t bits[] = {PTE_R, PTE_W, PTE_X, PTE_U, PTE_G};
    perm |= bits[at - "rwxug"];
  }
  int r = vm_mappages(c->m, table, va, size, pa, perm);
  if (r == SIM_PANIC)
    return CMD_PANIC;
  if (c->json)
    cJSON_AddNumberToObject(c->json, "ret", r == SIM_OK ? 0 : -1);
  else if (r != SIM_OK)
    fputs("mappages: returns -1 (no memory for a page-table page)\n", c->out);
  return CMD_OK;
}

// A file named in a trace resolves against the trace's folder.
static void resolve(struct cmd_ctx *c, const char *name, char *path, size_t len) {
  if (name[0] != '/' && c->s->basedir != NULL)
    snprintf(path, len, "%s/%s", c->s->basedir, name);
  else
    snprintf(path, len, "%s", name);
}

int cmd_access(struct cmd_ctx *c, int argc, char **argv) {
  (void)argc;
  int slot;
  if (cmd_need_boot(c) || cmd_arg_proc(c, argv[1], &slot))
    return CMD_ERROR;
  const struct proc *p = &c->m->proc[slot];
  if (p->state == ZOMBIE || p->pagetable == 0)
    return cmd_fail(c, "pid %s has exited", argv[1]);
  char path[4096];
  resolve(c, argv[2], path, sizeof(path));
  FILE *in = c->s->open_file ? c->s->open_file(c->s->open_ctx, argv[2]) : fopen(path, "r");
  if (in == NULL)
    return cmd_fail(c, "cannot open '%s': %s", path, strerror(errno));
  struct access_stats st;
  char err[512];
  int r = access_run(c->m, slot, in, argv[2], &st, err, sizeof(err));
  fclose(in);
  if (r != 0)
    return cmd_fail(c, "%s", err);
  const char *format = st.format == ACCESS_DIN ? "din" : "lackey";
  if (c->json) {
    cJSON_AddNumberToObject(c->json, "pid", p->pid);
    cJSON_AddStringToObject(c->json, "format", format);
    cJSON_AddNumberToObject(c->json, "accesses", (double)st.records);
    cJSON_AddNumberToObject(c->json, "translations", (double)st.translations);
    cJSON_AddNumberToObject(c->json, "hits", (double)st.hits);
    cJSON_AddNumberToObject(c->json, "misses", (double)st.misses);
    cJSON_AddNumberToObject(c->json, "faults", (double)st.faults);
    cJSON *arr = cJSON_AddArrayToObject(c->json, "first_faults");
    for (unsigned i = 0; i < st.nfirst; i++) {
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "line", (double)st.first[i].line);
      json_fault(j, "fault", &st.first[i].f);
      cJSON_AddItemToArray(arr, j);
    }
    return CMD_OK;
  }
  fprintf(c->out,
          "access: pid %d, %s (%s): %" PRIu64 " accesses (I %" PRIu64 ", L %" PRIu64
          ", S %" PRIu64 ", M %" PRIu64 ")\n",
          p->pid, argv[2], format, st.records, st.kind[ACCESS_I], st.kind[ACCESS_L],
          st.kind[ACCESS_S], st.kind[ACCESS_M]);
  fprintf(c->out,
          "  %" PRIu64 " translations: tlb hits %" PRIu64 ", misses %" PRIu64
          ", faults %" PRIu64 "\n",
          st.translations, st.hits, st.misses, st.faults);
  for (unsigned i = 0; i < st.nfirst; i++)
    fprintf(c->out, "  line %lu: %s at 0x%" PRIx64 " (%s)\n", st.first[i].line,
            mmu_cause_name(st.first[i].f.cause), st.first[i].f.tval,
            mmu_rule_name(st.first[i].f.rule));
  if (st.faults > st.nfirst)
    fprintf(c->out, "  ... and %" PRIu64 " more faults\n", st.faults - st.nfirst);
  return CMD_OK;
}
