#include "sv39sim/tlb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/machine.h"
#include "sv39sim/mmu.h"

static unsigned page_shift(int level) {
  return PGSHIFT + 9 * (unsigned)level;
}

const char *tlb_geometry_problem(unsigned entries, unsigned ways) {
  if (entries > TLB_MAX_ENTRIES)
    return "the TLB can have at most 65536 entries";
  if (entries == 0)
    return ways == 0 ? NULL : "a TLB of 0 entries has no ways";
  if (ways == 0)
    return NULL;
  if (entries % ways != 0)
    return "TLB ways must divide its entries";
  unsigned sets = entries / ways;
  if ((sets & (sets - 1)) != 0)
    return "TLB entries / ways (the number of sets) must be a power of two";
  return NULL;
}

// A decimal number without sign; end gets what follows it.
static int parse_count(const char *s, unsigned *v, const char **end) {
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  char *e;
  unsigned long x = strtoul(s, &e, 10);
  if (errno != 0 || x > TLB_MAX_ENTRIES)
    return -1;
  *v = (unsigned)x;
  *end = e;
  return 0;
}

int tlb_parse_geometry(const char *s, unsigned *entries, unsigned *ways, const char **why) {
  const char *end;
  *ways = 0;
  if (parse_count(s, entries, &end) != 0) {
    *why = "want ENTRIES or ENTRIESxWAYS, like 32 or 16x4 (at most 65536 entries)";
    return -1;
  }
  if (*end == 'x') {
    if (parse_count(end + 1, ways, &end) != 0 || *ways == 0) {
      *why = "WAYS must be a number from 1 up";
      return -1;
    }
  }
  if (*end != '\0') {
    *why = "want ENTRIES or ENTRIESxWAYS, like 32 or 16x4";
    return -1;
  }
  *why = tlb_geometry_problem(*entries, *ways);
  return *why == NULL ? 0 : -1;
}

int tlb_init(struct tlb *t, unsigned entries, unsigned ways) {
  memset(t, 0, sizeof(*t));
  if (entries == 0)
    return 0;
  t->ways = ways == 0 ? entries : ways;
  t->nsets = entries / t->ways;
  t->e = calloc(entries, sizeof(*t->e));
  return t->e == NULL ? -1 : 0;
}

void tlb_destroy(struct tlb *t) {
  free(t->e);
  memset(t, 0, sizeof(*t));
}

void tlb_clear(struct tlb *t) {
  if (t->e != NULL)
    memset(t->e, 0, (size_t)t->nsets * t->ways * sizeof(*t->e));
  t->clock = 0;
  memset(t->nlevel, 0, sizeof(t->nlevel));
  memset(&t->total, 0, sizeof(t->total));
  memset(t->per, 0, sizeof(t->per));
  memset(t->per_pid, 0, sizeof(t->per_pid));
}

static bool matches(const struct tlb_entry *e, uint64_t tag, int level, uint16_t asid) {
  return e->valid && e->tag == tag && e->level == level &&
         (e->asid == asid || tlb_entry_global(e));
}

struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid) {
  for (int level = 0; level < 3; level++) {
    if (t->nlevel[level] == 0)
      continue;
    uint64_t tag = va >> page_shift(level);
    struct tlb_entry *set = t->e + (tag & (t->nsets - 1)) * t->ways;
    for (unsigned i = 0; i < t->ways; i++) {
      if (matches(&set[i], tag, level, asid)) {
        set[i].used = ++t->clock;
        return &set[i];
      }
    }
  }
  return NULL;
}

bool tlb_fill(struct tlb *t, uint64_t va, uint16_t asid, int level, uint64_t pte,
              uint64_t pte_pa) {
  if (t->e == NULL)
    return false;
  uint64_t tag = va >> page_shift(level);
  struct tlb_entry *set = t->e + (tag & (t->nsets - 1)) * t->ways;
  struct tlb_entry *victim = NULL;
  for (unsigned i = 0; i < t->ways && victim == NULL; i++) {
    if (matches(&set[i], tag, level, asid))
      victim = &set[i];
  }
  for (unsigned i = 0; i < t->ways && victim == NULL; i++) {
    if (!set[i].valid)
      victim = &set[i];
  }
  bool evicted = false;
  if (victim == NULL) {
    victim = &set[0];
    for (unsigned i = 1; i < t->ways; i++) {
      if (set[i].used < victim->used)
        victim = &set[i];
    }
    evicted = true;
  }
  if (victim->valid)
    t->nlevel[victim->level]--;
  *victim = (struct tlb_entry){.tag = tag, .pte = pte, .pte_pa = pte_pa,
                               .used = ++t->clock, .asid = asid, .level = (uint8_t)level,
                               .valid = true};
  t->nlevel[level]++;
  return evicted;
}

struct tlb_stats *tlb_slot_stats(struct machine *m, int slot) {
  if (slot < 0 || slot >= NPROC)
    return NULL;
  struct tlb *t = &m->tlb;
  if (t->per_pid[slot] != m->proc[slot].pid) {
    memset(&t->per[slot], 0, sizeof(t->per[slot]));
    t->per_pid[slot] = m->proc[slot].pid;
  }
  return &t->per[slot];
}

unsigned tlb_sfence(struct machine *m, bool all_va, uint64_t va, bool all_asid,
                    uint16_t asid) {
  struct tlb *t = &m->tlb;
  struct tlb_stats *ps = tlb_slot_stats(m, m->current);
  t->total.flushes++;
  if (ps != NULL)
    ps->flushes++;
  if (!all_va && !mmu_canonical(va))
    return 0;
  unsigned n = 0;
  for (unsigned i = 0; i < t->nsets * t->ways; i++) {
    struct tlb_entry *e = &t->e[i];
    if (!e->valid)
      continue;
    if (!all_va && (va >> page_shift(e->level)) != e->tag)
      continue;
    if (!all_asid && (tlb_entry_global(e) || e->asid != asid))
      continue;
    e->valid = false;
    t->nlevel[e->level]--;
    n++;
  }
  t->total.flushed += n;
  if (ps != NULL)
    ps->flushed += n;
  return n;
}
