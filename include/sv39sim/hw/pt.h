#ifndef SV39SIM_PT_H
#define SV39SIM_PT_H
// One walk over an Sv39 page-table tree in simulated RAM, which every view of a table
// (vmprint, json, ranges, dot, check) is built on. It knows the Sv39 format and RAM,
// nothing of xv6. Its rules, in one place:
//   - It visits every valid PTE (V set), depth first and in index order, which is va
//     order: a table pointer, then the entries of its table, then the pointer's next
//     neighbour.
//   - A table pointer (PTE_TABLE) at level 2 or 1 whose page is page-aligned and inside
//     RAM is entered (pt_enters). One whose page is outside RAM or misaligned, and any
//     pointer at level 0, is visited but not entered; so is a root that is no table page,
//     which leaves nothing to visit.
//   - Sv39 has three levels and the walk never goes deeper, so a hand-made table that
//     points back at itself or at an ancestor ends: it is entered once more per level
//     left, as the hardware would walk it. A table reached through two pointers (shared or
//     cyclic) is entered each time; a visitor that wants each page once (check) returns
//     PT_SKIP for pages it has met. The walk is bounded by 512 + 512^2 + 512^3 visits.
// Tables are read through the RAM module a whole page at a time when entered; visitors
// must not write the tables being walked.
#include <stdbool.h>
#include <stdint.h>

#include "sv39sim/hw/ram.h"

// One valid PTE, as the walk meets it.
struct pt_entry {
  uint64_t va;     // canonical va of the first byte it maps (sign-extended from bit 38)
  uint64_t pte_pa; // where the PTE lies: its table's page + 8 * index
  uint64_t pte;    // its value; V is set
  int level;       // 2 for the root's entries, down to 0
  unsigned index;  // in its table, 0..511
  bool enter;      // the walk enters the table it points to (unless the visitor skips)
};

// What the visitor tells the walk after an entry.
enum pt_step {
  PT_CONTINUE, // go on, entering the entry's table when e->enter
  PT_SKIP,     // go on, but do not enter this entry's table
  PT_STOP,     // end the walk now
};

typedef enum pt_step (*pt_visit_fn)(void *ctx, const struct pt_entry *e);

// Visit the tree at root (see above). Returns PT_STOP when the visitor stopped the walk,
// PT_CONTINUE when every entry was visited.
enum pt_step pt_walk(struct ram *ram, uint64_t root, pt_visit_fn visit, void *ctx);

// Whether pa is a page the walk reads as a table: page-aligned and inside RAM.
bool pt_table_in_ram(const struct ram *ram, uint64_t pa);

// Whether the walk enters valid pte met at level: a table pointer above level 0 whose page
// pt_table_in_ram accepts.
bool pt_enters(const struct ram *ram, uint64_t pte, int level);

#endif
