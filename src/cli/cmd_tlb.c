// The tlb command: its counts (total and per process), its valid entries, a full flush.
// The display of the TLB lives here and only here (show_tlb_geometry, show_tlb_stats,
// show_tlb_entries); its result is the TLB as the machine holds it, read, not changed.
#include <inttypes.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/machine.h"

// One row of counts as keys of o.
static void json_stats(cJSON *o, const struct tlb_stats *s) {
  cJSON_AddNumberToObject(o, "hits", (double)s->hits);
  cJSON_AddNumberToObject(o, "misses", (double)s->misses);
  cJSON_AddNumberToObject(o, "faults", (double)s->faults);
  cJSON_AddNumberToObject(o, "evictions", (double)s->evictions);
  cJSON_AddNumberToObject(o, "flushes", (double)s->flushes);
  cJSON_AddNumberToObject(o, "flushed", (double)s->flushed);
}

// One row of counts as a text line headed who.
static void text_stats(FILE *out, const char *who, const struct tlb_stats *s) {
  fprintf(out,
          "  %-8s hits %" PRIu64 ", misses %" PRIu64 ", faults %" PRIu64 ", evictions %" PRIu64
          ", flushes %" PRIu64 " (%" PRIu64 " entries)\n",
          who, s->hits, s->misses, s->faults, s->evictions, s->flushes, s->flushed);
}

// What usertrap's handlers did for the row's process, as keys of o (only when any did).
static void json_faults(cJSON *o, const struct fault_stats *f) {
  cJSON_AddNumberToObject(o, "cow_copies", (double)f->cow_copies);
  cJSON_AddNumberToObject(o, "lazy_allocs", (double)f->lazy_allocs);
  cJSON_AddNumberToObject(o, "demand_faults", (double)f->demand_faults);
}

// The same as a text line below the row's.
static void text_faults(FILE *out, const struct fault_stats *f) {
  fprintf(out, "           cow copies %" PRIu64 ", lazy allocations %" PRIu64
          ", demand faults %" PRIu64 "\n", f->cow_copies, f->lazy_allocs, f->demand_faults);
}

// Nothing was counted for this row.
static bool stats_empty(const struct tlb_stats *s) {
  return s->hits == 0 && s->misses == 0 && s->faults == 0 && s->flushes == 0;
}

// The geometry line (size, sets, ways), which both stats and show begin with.
static void show_tlb_geometry(const struct cmd_view *v, const struct tlb *t) {
  unsigned entries = t->nsets * t->ways;
  if (v->json) {
    cJSON_AddNumberToObject(v->json, "size", entries);
    cJSON_AddNumberToObject(v->json, "ways", t->ways);
    cJSON_AddNumberToObject(v->json, "sets", t->nsets);
  } else if (entries == 0) {
    fputs("tlb: none (every access walks the table)\n", v->out);
  } else if (t->nsets == 1) {
    fprintf(v->out, "tlb: %u entries, fully associative, %s\n", entries,
            tlb_policy_name(t->geometry.policy));
  } else {
    fprintf(v->out, "tlb: %u entries, %u sets of %u ways, %s\n", entries, t->nsets, t->ways,
            tlb_policy_name(t->geometry.policy));
  }
}

// `tlb stats`: the total, then each process that ran with something counted.
static void show_tlb_stats(const struct cmd_view *v, const struct machine *m) {
  show_tlb_geometry(v, &m->hw.tlb);
  cJSON *per = NULL;
  if (v->json) {
    json_stats(v->json, &m->hw.tlb.total);
    per = cJSON_AddArrayToObject(v->json, "processes");
  } else {
    text_stats(v->out, "total:", &m->hw.tlb.total);
  }
  for (int i = 0; i < NPROC; i++) {
    const struct tlb_stats *s = &m->tlb_per[i];
    const struct fault_stats *f = &m->fault_per[i];
    bool handled = f->cow_copies != 0 || f->lazy_allocs != 0 || f->demand_faults != 0;
    if (m->tlb_pid[i] == 0 || stats_empty(s))
      continue;
    if (per != NULL) {
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "pid", m->tlb_pid[i]);
      json_stats(j, s);
      if (handled)
        json_faults(j, f);
      cJSON_AddItemToArray(per, j);
    } else {
      char who[24];
      snprintf(who, sizeof(who), "pid %d:", m->tlb_pid[i]);
      text_stats(v->out, who, s);
      if (handled)
        text_faults(v->out, f);
    }
  }
}

struct entries_view {
  const struct cmd_view *v;
  cJSON *arr; // JSON's "valid" array, NULL for text
};

// One valid entry of `tlb show`: an object of the array, or a line.
static void show_tlb_entry(const struct tlb_view *e, void *ctx) {
  const struct entries_view *ev = ctx;
  char flags[CMD_FLAGS_LEN];
  uint64_t page = cmd_pte_page(e->pte);
  cmd_flag_letters(e->pte, flags);
  if (ev->arr != NULL) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "set", e->set);
    cJSON_AddNumberToObject(j, "way", e->way);
    render_json_hex(j, "va", e->va);
    cJSON_AddStringToObject(j, "size", cmd_size_names[e->level]);
    cJSON_AddNumberToObject(j, "asid", e->asid);
    cJSON_AddBoolToObject(j, "global", e->global);
    render_json_hex(j, "pa", page);
    render_json_hex(j, "pte", e->pte);
    cJSON_AddStringToObject(j, "flags", flags);
    cJSON_AddNumberToObject(j, "rank", e->rank);
    cJSON_AddItemToArray(ev->arr, j);
  } else {
    fprintf(ev->v->out,
            "  set %u way %u: va 0x%016" PRIx64 " %s asid %u%s -> pa 0x%016" PRIx64
            " %s (rank %u)\n",
            e->set, e->way, e->va, cmd_size_names[e->level], e->asid,
            e->global ? " global" : "", page, flags, e->rank);
  }
}

// `tlb show`: every valid entry, by set and way, with its recency rank in its set.
// Returns 0, or -1 when the host had no memory to rank them.
static int show_tlb_entries(const struct cmd_view *v, const struct tlb *t) {
  show_tlb_geometry(v, t);
  struct entries_view ev = {.v = v, .arr = v->json ? cJSON_AddArrayToObject(v->json, "valid")
                                                   : NULL};
  return tlb_for_each(t, show_tlb_entry, &ev);
}

// `tlb flush`: how many entries went.
static void show_tlb_flush(const struct cmd_view *v, unsigned n) {
  if (v->json)
    cJSON_AddNumberToObject(v->json, "flushed", n);
  else
    fprintf(v->out, "tlb: %u %s flushed\n", n, n == 1 ? "entry" : "entries");
}

struct cmd_result cmd_tlb(struct cmd_call *c, int argc, char **argv) {
  const char *what = argc == 2 ? argv[1] : "stats";
  if (strcmp(what, "stats") == 0)
    show_tlb_stats(&c->view, c->m);
  else if (strcmp(what, "show") == 0) {
    if (show_tlb_entries(&c->view, &c->m->hw.tlb) != 0)
      return cmd_fail(c, "out of host memory");
  }
  else if (strcmp(what, "flush") == 0)
    show_tlb_flush(&c->view, tlb_sfence(&c->m->hw, true, 0, true, 0));
  else
    return cmd_fail(c, "'%s': want stats, flush or show", what);
  return cmd_ok();
}
