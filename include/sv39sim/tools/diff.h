#ifndef SV39SIM_DIFF_H
#define SV39SIM_DIFF_H
// diff: what a command changed in one page table. A snapshot copies the table's valid PTEs
// and its table pages into host memory (through pt_walk), so that the table can be compared
// with itself after the command, or with another table (fork's parent and child).
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv39sim/view/render.h"

struct machine;

// A snapshot refuses tables with more valid PTEs than this (a 4 GiB kernel table has 1 M);
// the fuzz build lowers RENDER_MAX_ENTRIES, and this with it.
#define DIFF_MAX_ENTRIES (4 * RENDER_MAX_ENTRIES)

// One valid PTE of a snapshot, keyed by (va, level).
struct diff_pte {
  uint64_t va; // canonical
  uint64_t pte;
  int level;
};

// A table as pt_walk met it: its PTEs in walk order (va ascending, a pointer before the
// entries of its table), and the table pages the walk entered, root included, sorted and
// each once.
struct diff_snap {
  uint64_t root;
  struct diff_pte *e;
  size_t n, cap;
  uint64_t *pages;
  size_t npages, pcap;
};

// Copy the table at root into *s (zeroed first). Returns 0, or -1 (s freed and empty) out
// of host memory or beyond DIFF_MAX_ENTRIES.
int diff_snapshot(struct machine *m, uint64_t root, struct diff_snap *s);
void diff_snap_free(struct diff_snap *s);

enum diff_kind { DIFF_ADDED, DIFF_REMOVED, DIFF_CHANGED };

// One PTE that differs: old_pte is 0 when added, new_pte when removed.
struct diff_change {
  enum diff_kind kind;
  uint64_t va;
  int level;
  uint64_t old_pte, new_pte;
};

// A table page that left the table, and whether it is on the free list now.
struct diff_lost {
  uint64_t pa;
  bool freed;
};

struct diff_result {
  struct diff_change *c; // in va order
  size_t n;
  size_t nadded, nremoved, nchanged;
  uint64_t *gained; // table pages in b, not in a; ascending
  size_t ngained;
  struct diff_lost *lost; // in a, not in b; ascending
  size_t nlost;
};

// What changed from a to b (b NULL: the table is gone, everything was removed), the free
// list read from m. Returns 0, or -1 (r empty) out of host memory.
int diff_compare(struct machine *m, const struct diff_snap *a, const struct diff_snap *b,
                 struct diff_result *r);
void diff_result_free(struct diff_result *r);

// One page fork's uvmcopy gave the child: the same va in both tables; shared when the
// child maps the parent's page (copy-on-write) rather than a copy of it.
struct diff_copy {
  uint64_t va;
  uint64_t parent_pa, child_pa;
  bool shared;
};

// The leaves below sz that parent and child both map at the same va and level, in va
// order, in *out (freed by the caller) and their count in *n. Returns 0, or -1 out of
// host memory.
int diff_copies(const struct diff_snap *parent, const struct diff_snap *child, uint64_t sz,
                struct diff_copy **out, size_t *n);

#endif
