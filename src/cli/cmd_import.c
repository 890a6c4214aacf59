// import FILE[:N] [as satp | as PID user] and compare FILE[:N] PID [user|kernel] | kernel |
// satp | FILE[:N]: a student's vmprint read back (tools/import.h), placed into RAM or set beside
// sv39sim's table (tools/compare.h). FILE:N names the Nth dump of a file that holds
// several ('#' would start a comment); N may be left out when there is one.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_priv.h"
#include "sv39sim/tools/compare.h"
#include "sv39sim/tools/import.h"
#include "sv39sim/xv6/machine.h"

// A dump read from a file the command names.
struct named_dump {
  char file[1024]; // as the user wrote it, without ":N"
  unsigned which, ndumps;
  struct import_dump d;
};

// Read dump FILE[:N] of the file argument arg. Returns 0, or -1 with the message in
// c->err (nothing to free).
static int read_dump(struct cmd_call *c, const char *arg, struct named_dump *nd) {
  snprintf(nd->file, sizeof(nd->file), "%s", arg);
  nd->which = 0;
  char *colon = strrchr(nd->file, ':');
  if (colon != NULL && colon[1] != '\0' &&
      strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
    int n;
    if (arg_int(c, "the dump number", colon + 1, &n) || n < 1)
      return arg_fail(c, "the dump number after ':' counts from 1, not '%s'", colon + 1);
    nd->which = (unsigned)n;
    *colon = '\0';
  }
  uint8_t *data;
  uint64_t len;
  if (arg_read_file(c, nd->file, &data, &len))
    return -1;
  unsigned lines[3];
  nd->ndumps = import_count((const char *)data, len, lines, 3);
  if (nd->which == 0 && nd->ndumps > 1) {
    free(data);
    return arg_fail(c, "%s holds %u dumps (the first at lines %u, %u%s): name one, as "
                    "%s:2", nd->file, nd->ndumps, lines[0], lines[1],
                    nd->ndumps > 2 ? ", ..." : "", nd->file);
  }
  if (nd->which == 0)
    nd->which = 1;
  const struct ram *ram = &c->m->hw.ram;
  int r = import_parse(nd->file, (const char *)data, len, nd->which, ram->base, ram->size,
                       &nd->d, c->err, sizeof(c->err));
  free(data);
  return r;
}

// ---- import ----

struct import_result {
  const struct named_dump *nd;
  uint64_t satp;
  bool set_satp; // "as satp": satp now selects the table
  int pid;       // "as PID user": the process whose table it is now (0: none)
  uint64_t sz;   // and its size
};

// What was read and where it went; the satp value that selects it.
static void show_import(const struct cmd_view *v, const struct import_result *r) {
  const struct import_dump *d = &r->nd->d;
  if (v->json) {
    cJSON_AddStringToObject(v->json, "file", r->nd->file);
    cJSON_AddNumberToObject(v->json, "dump", r->nd->which);
    cJSON_AddNumberToObject(v->json, "dumps", r->nd->ndumps);
    cJSON_AddStringToObject(v->json, "format", import_format_name(d));
    cJSON_AddNumberToObject(v->json, "first_line", d->header_line);
    cJSON_AddNumberToObject(v->json, "last_line", d->last_line);
    cJSON_AddNumberToObject(v->json, "ptes", (double)d->nptes);
    cJSON_AddNumberToObject(v->json, "tables", (double)d->ntables);
    render_json_hex(v->json, "root", d->root);
    render_json_hex(v->json, "satp", r->satp);
    cJSON_AddBoolToObject(v->json, "set_satp", r->set_satp);
    if (r->pid > 0) {
      cJSON_AddNumberToObject(v->json, "pid", r->pid);
      render_json_hex(v->json, "sz", r->sz);
    }
    return;
  }
  fprintf(v->out, "imported %s dump %u of %u (lines %u-%u, %s format): %zu PTEs in %zu "
          "table page%s, root 0x%016" PRIx64 "\n", r->nd->file, r->nd->which,
          r->nd->ndumps, d->header_line, d->last_line, import_format_name(d), d->nptes,
          d->ntables, d->ntables == 1 ? "" : "s", d->root);
  if (r->pid > 0)
    fprintf(v->out, "pid %d's user table now (sz 0x%" PRIx64 "; the old one freed), satp "
            "0x%016" PRIx64 "\n", r->pid, r->sz, r->satp);
  else
    fprintf(v->out, "%s 0x%016" PRIx64 "\n", r->set_satp ? "satp is now" : "satp", r->satp);
}

// import FILE[:N] as PID user: exec's swap of tables with the dump's (import_install).
static struct cmd_result import_as_pid(struct cmd_call *c, struct named_dump *nd,
                                       const char *file, const char *pid, const char *which) {
  int slot;
  if (strcmp(which, "kernel") == 0)
    return cmd_fail(c, "a process's kernel table is not its own to replace (the kernel's "
                    "in global mode): import as satp");
  if (strcmp(which, "user") != 0)
    return cmd_fail(c, "which table: 'user' or 'kernel', not '%s'", which);
  if (arg_live(c, pid, &slot))
    return cmd_error(c);
  if (read_dump(c, file, nd))
    return cmd_error(c);
  int r = import_install(c->m, nd->file, &nd->d, slot, c->err, sizeof(c->err));
  if (r == -1) {
    import_dump_free(&nd->d);
    return cmd_error(c);
  }
  struct import_result res = {.nd = nd, .satp = MAKE_SATP(nd->d.root),
                              .pid = c->m->proc[slot].pid, .sz = c->m->proc[slot].sz};
  if (r == SIM_OK)
    show_import(&c->view, &res);
  import_dump_free(&nd->d);
  return cmd_sim(r);
}

struct cmd_result cmd_import(struct cmd_call *c, int argc, char **argv) {
  bool as_satp = argc == 4 && strcmp(argv[2], "as") == 0 && strcmp(argv[3], "satp") == 0;
  struct named_dump nd;
  if (argc == 5 && strcmp(argv[2], "as") == 0)
    return import_as_pid(c, &nd, argv[1], argv[3], argv[4]);
  if (argc > 2 && !as_satp)
    return cmd_fail(c, "after FILE: 'as satp', 'as PID user' or nothing, not '%s'", argv[2]);
  if (read_dump(c, argv[1], &nd))
    return cmd_error(c);
  if (import_place(c->m, nd.file, &nd.d, c->err, sizeof(c->err)) != 0) {
    import_dump_free(&nd.d);
    return cmd_error(c);
  }
  struct import_result r = {.nd = &nd, .satp = MAKE_SATP(nd.d.root), .set_satp = as_satp};
  if (as_satp) {
    // The tables changed under whatever the TLB holds: flush it, as sfence.vma would.
    mmu_write_satp(&c->m->hw, r.satp);
    tlb_clear(&c->m->hw.tlb);
  }
  show_import(&c->view, &r);
  import_dump_free(&nd.d);
  return cmd_ok();
}

// ---- compare ----

// The region va lies in, in table t, named as the views name it (src/view/region.c): the
// leaf that maps va, or for a pointer the first leaf under it, counted in va order.
static const char *region_of(const struct import_dump *t, bool user, uint64_t va,
                             uint64_t etext) {
  struct render_regions rg;
  render_regions_init(&rg, user, etext);
  struct render_range r = {.va = va, .size = PGSIZE};
  for (size_t k = 0; k < t->nptes; k++) {
    const struct import_pte *e = &t->ptes[k];
    if (!PTE_LEAF(e->pte))
      continue;
    r = (struct render_range){.va = e->va, .pa = PTE2PA(e->pte),
                              .size = 1ULL << PXSHIFT(e->level),
                              .attr = (unsigned)(e->pte & RENDER_ATTR_BITS)};
    long i = render_regions_add(&rg, &r);
    if (e->va + r.size > va)
      return render_region_name(&rg, i, &r);
  }
  return render_region_name(&rg, rg.n, &r);
}

// Whether t is a user table: some leaf has U.
static bool looks_user(const struct import_dump *t) {
  for (size_t i = 0; i < t->nptes; i++) {
    if (PTE_LEAF(t->ptes[i].pte) && (t->ptes[i].pte & PTE_U))
      return true;
  }
  return false;
}

// The flag bits set in bits, by name ("U", "R W X"), or "none".
static void flag_names(uint64_t bits, char *out, size_t len) {
  static const char names[] = "VRWXUGAD";
  size_t n = 0;
  for (int b = 0; b < 8 && n + 3 < len; b++) {
    if ((bits >> b & 1) == 0)
      continue;
    if (n > 0)
      out[n++] = ' ';
    out[n++] = names[b];
  }
  out[n] = '\0';
  if (n == 0)
    snprintf(out, len, "none");
}

struct compare_result {
  const struct named_dump *a;
  const struct import_dump *b;
  const char *a_name, *b_name; // "yours", "xv6's", or a file's name with "'s"
  const char *b_who;           // "xv6", or the file's name
  char b_what[1100];           // what b is, in words
  bool b_user;
  const char *before;          // the function the first page of b's table comes from
  uint64_t etext;
  struct compare_report rep;
};

#define COMPARE_LISTED 32

// One difference in the student's terms.
static void show_diff(FILE *out, const struct compare_result *r, const struct compare_diff *d) {
  char fa[24], fb[24];
  const char *region = region_of(r->b, r->b_user, d->va, r->etext);
  fprintf(out, "  va 0x%016" PRIx64 ": ", d->va);
  switch (d->kind) {
  case COMPARE_ONLY_A:
  case COMPARE_ONLY_B: {
    uint64_t pte = d->kind == COMPARE_ONLY_A ? d->pte_a : d->pte_b;
    flag_names(pte & 0xff, fa, sizeof(fa));
    bool in_b = d->kind == COMPARE_ONLY_B;
    fprintf(out, "%s only in %s%s%s (level %d, flags %s, pa 0x%016" PRIx64 ")\n",
            PTE_TABLE(pte) ? "a table pointer" : "a leaf", in_b ? r->b_name : r->a_name,
            in_b ? " " : "", in_b ? region : "", d->level, fa, PTE2PA(pte));
    return;
  }
  case COMPARE_FLAGS:
    flag_names(d->pte_a & ~d->pte_b & 0xff, fa, sizeof(fa));
    flag_names(d->pte_b & ~d->pte_a & 0xff, fb, sizeof(fb));
    fprintf(out, "%s has %s, %s %s has %s (level %d)\n", r->a_name, fa, r->b_name, region,
            fb, d->level);
    return;
  }
}

// Identical, or how the two differ: where the pages are (one shift in pages, phrased as
// what the student's kernel allocated), then each entry that differs.
static void show_compare(const struct cmd_view *v, const struct compare_result *r) {
  const struct compare_report *p = &r->rep;
  const struct import_dump *a = &r->a->d;
  if (v->json) {
    static const char *const kinds[] = {"only_a", "only_b", "flags"};
    cJSON_AddStringToObject(v->json, "file", r->a->file);
    cJSON_AddNumberToObject(v->json, "dump", r->a->which);
    cJSON_AddStringToObject(v->json, "format", import_format_name(a));
    cJSON_AddStringToObject(v->json, "with", r->b_what);
    cJSON_AddBoolToObject(v->json, "identical", p->identical);
    cJSON_AddBoolToObject(v->json, "same_shape", p->same_shape);
    cJSON_AddNumberToObject(v->json, "same_pa", (double)p->nsame_pa);
    cJSON_AddNumberToObject(v->json, "other_pa", (double)p->nother_pa);
    if (p->nother_pa > 0 && p->one_shift)
      cJSON_AddNumberToObject(v->json, "shift", (double)p->shift);
    cJSON *arr = cJSON_AddArrayToObject(v->json, "diffs");
    for (size_t i = 0; i < p->ndiffs; i++) {
      const struct compare_diff *d = &p->diffs[i];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "kind", kinds[d->kind]);
      render_json_hex(o, "va", d->va);
      cJSON_AddNumberToObject(o, "level", d->level);
      render_json_hex(o, "pte_a", d->pte_a);
      render_json_hex(o, "pte_b", d->pte_b);
      cJSON_AddItemToArray(arr, o);
    }
    return;
  }
  fprintf(v->out, "compare %s dump %u (%s format, root 0x%016" PRIx64 ") with %s:\n",
          r->a->file, r->a->which, import_format_name(a), a->root, r->b_what);
  if (p->identical) {
    fprintf(v->out, "  identical: %zu PTEs in %zu table pages\n", a->nptes, a->ntables);
    return;
  }
  size_t npages = p->nsame_pa + p->nother_pa;
  if (p->nother_pa > 0 && p->one_shift) {
    int64_t k = p->shift < 0 ? -p->shift : p->shift;
    fprintf(v->out, "  %s at other physical addresses: %s page is %" PRId64 " %s",
            p->same_shape ? "same shape" : "pages", p->nsame_pa == 0 ? "every" : "each moved",
            k, p->shift < 0 ? "lower" : "higher");
    if (p->nsame_pa > 0)
      fprintf(v->out, " (%zu of %zu; %zu, like the trampoline, where %s has them)",
              p->nother_pa, npages, p->nsame_pa, r->b_who);
    fprintf(v->out, ": %s kernel kallocs %" PRId64 " %s page%s before %s\n",
            strcmp(r->a_name, "yours") == 0 ? "your" : "its", k,
            p->shift < 0 ? "more" : "fewer", k == 1 ? "" : "s", r->before);
  } else if (p->nother_pa > 0) {
    fprintf(v->out, "  %s at other physical addresses: %zu of %zu pages, by different "
            "amounts (the allocation order differs, not just its start)\n",
            p->same_shape ? "same shape" : "pages", p->nother_pa, npages);
  }
  for (size_t i = 0; i < p->ndiffs && i < COMPARE_LISTED; i++)
    show_diff(v->out, r, &p->diffs[i]);
  if (p->ndiffs > COMPARE_LISTED)
    fprintf(v->out, "  ... and %zu more\n", p->ndiffs - COMPARE_LISTED);
}

// Whether s names a table the way arg_table reads it (a pid, kernel, satp).
static bool names_table(const char *s) {
  return strcmp(s, "kernel") == 0 || strcmp(s, "satp") == 0 ||
         (s[0] != '\0' && strspn(s, "0123456789") == strlen(s));
}

struct cmd_result cmd_compare(struct cmd_call *c, int argc, char **argv) {
  struct compare_result r = {.etext = c->m->cfg.etext,
                             .a_name = "yours", .b_name = "xv6's", .b_who = "xv6"};
  struct named_dump a, b2;
  struct import_dump b;
  bool two_files = argc == 3 && !names_table(argv[2]);
  struct render_table t = {0};
  if (!two_files && arg_table(c, argc - 1, argv + 1, &t))
    return cmd_error(c);
  if (read_dump(c, argv[1], &a))
    return cmd_error(c);
  char aname[1100], bname[1100];
  if (two_files) {
    if (read_dump(c, argv[2], &b2)) {
      import_dump_free(&a.d);
      return cmd_error(c);
    }
    b = b2.d;
    snprintf(bname, sizeof(bname), "%s's", b2.file);
    snprintf(aname, sizeof(aname), "%s's", a.file);
    r.a_name = aname;
    r.b_name = bname;
    r.b_who = b2.file;
    snprintf(r.b_what, sizeof(r.b_what), "%s dump %u", b2.file, b2.which);
    r.before = "its first page-table page";
  } else {
    if (import_from_ram(c->m, t.root, &b) != 0) {
      import_dump_free(&a.d);
      return cmd_fail(c, "out of host memory");
    }
    if (t.pid > 0)
      snprintf(r.b_what, sizeof(r.b_what), "pid %d's %s table (root 0x%016" PRIx64 ")",
               t.pid, t.which, t.root);
    else
      snprintf(r.b_what, sizeof(r.b_what), "the %s table (root 0x%016" PRIx64 ")", t.which,
               t.root);
    r.before = t.pid > 0 && strcmp(t.which, "user") == 0 ? "proc_pagetable"
               : c->m->cfg.edition->kstacks == EDITION_KSTACKS_KVMMAKE ? "kvmmake"
                                                                         : "kvminit";
  }
  r.a = &a;
  r.b = &b;
  r.b_user = looks_user(&b);
  int rc = compare_dumps(&a.d, &b, &r.rep);
  if (rc == 0)
    show_compare(&c->view, &r);
  bool same = rc == 0 && r.rep.identical;
  compare_free(&r.rep);
  import_dump_free(&a.d);
  import_dump_free(&b);
  if (rc != 0)
    return cmd_fail(c, "out of host memory");
  if (!same)
    return cmd_fail(c, "the tables differ");
  return cmd_ok();
}
