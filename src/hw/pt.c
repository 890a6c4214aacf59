// The page-table walk of pt.h: one table page on the stack per level being walked.
#include "sv39sim/hw/pt.h"

#include "sv39sim/sv39.h"

struct walk {
  struct ram *ram;
  pt_visit_fn visit;
  void *ctx;
};

bool pt_table_in_ram(const struct ram *ram, uint64_t pa) {
  return pa % PGSIZE == 0 && ram_contains(ram, pa, PGSIZE);
}

bool pt_enters(const struct ram *ram, uint64_t pte, int level) {
  return level > 0 && PTE_TABLE(pte) && pt_table_in_ram(ram, PTE2PA(pte));
}

// Visit the entries of the table page at table (pt_table_in_ram holds), whose first
// entry maps va (not yet sign-extended). Returns PT_STOP when the visitor stopped.
static enum pt_step walk_table(const struct walk *w, uint64_t table, int level, uint64_t va) {
  uint64_t ptes[512];
  ram_read_words(w->ram, table, ptes, 512);
  for (unsigned i = 0; i < 512; i++) {
    uint64_t pte = ptes[i];
    if ((pte & PTE_V) == 0)
      continue;
    uint64_t start = va + ((uint64_t)i << PXSHIFT(level));
    struct pt_entry e = {.va = va_canonical(start), .pte_pa = table + 8ULL * i, .pte = pte,
                         .level = level, .index = i, .enter = pt_enters(w->ram, pte, level)};
    enum pt_step s = w->visit(w->ctx, &e);
    if (s == PT_STOP)
      return PT_STOP;
    if (s == PT_CONTINUE && e.enter &&
        walk_table(w, PTE2PA(pte), level - 1, start) == PT_STOP)
      return PT_STOP;
  }
  return PT_CONTINUE;
}

enum pt_step pt_walk(struct ram *ram, uint64_t root, pt_visit_fn visit, void *ctx) {
  if (!pt_table_in_ram(ram, root))
    return PT_CONTINUE;
  struct walk w = {ram, visit, ctx};
  return walk_table(&w, root, 2, 0);
}
