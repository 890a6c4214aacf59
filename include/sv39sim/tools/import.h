#ifndef SV39SIM_IMPORT_H
#define SV39SIM_IMPORT_H
// A vmprint dump read back: the text a student's kernel printed (any edition's format,
// found from the text) turned into the page-table pages it describes, and placed into
// simulated RAM at the physical addresses the dump names. Nothing here prints.
//
// The text: console noise up to a line holding "page table 0x<16 hex>" (noise may come
// before it on that line too), then one line per valid PTE. A dump ends at the first line
// that is not a vmprint line (blank, noise, the next "page table"); a line that starts like
// a PTE line (".." or " ..") but does not parse is an error. A file may hold several
// dumps, numbered from 1 in file order.
//
// 2024's format prints the root level's va as an int, so root slots i, i + 4, ... print
// alike: the reader takes the slot xv6 uses of each class, 0, 1, 2 (KERNBASE's) and 255.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv39sim/xv6/edition.h"

struct machine;

// One printed PTE, where it lies and what it maps.
struct import_pte {
  uint64_t table; // pa of its table page
  unsigned index; // 0..511
  int level;      // 2 for the root's entries, down to 0
  uint64_t va;    // canonical va of the first byte it maps (sign-extended from bit 38)
  uint64_t pte;
  unsigned line;  // in the file, from 1
};

// One table page of a dump: its pa, and the line of the PTE (or the header, for the root)
// that names it.
struct import_table {
  uint64_t pa;
  unsigned line;
};

struct import_dump {
  enum edition_vmprint fmt; // the format found; see ambiguous
  bool ambiguous;           // VA formats only: no line tells 2024's from 2025's
  unsigned header_line;     // the "page table" line
  unsigned last_line;       // the dump's last line
  uint64_t root;
  struct import_pte *ptes; // in file (= walk) order
  size_t nptes;
  struct import_table *tables; // the root first, then in the order their pointers appear
  size_t ntables;
};

// The dumps in text: their number, and each header's line in lines[0..min(n, max)).
unsigned import_count(const char *text, size_t len, unsigned *lines, unsigned max);

// Read dump number which (from 1) of text, naming the file name in messages. RAM bounds
// (base, size) are the machine's: a table page must lie inside them. Returns 0 with *d
// filled (import_dump_free frees it), or -1 with "name:LINE: what" in err (*d empty).
int import_parse(const char *name, const char *text, size_t len, unsigned which,
                 uint64_t ram_base, uint64_t ram_size, struct import_dump *d, char *err,
                 size_t errlen);

void import_dump_free(struct import_dump *d);

// The edition year(s) a format belongs to, as users name them: "2020", "2021-2023",
// "2024", "2025", or "2024 or 2025" for an ambiguous VA dump.
const char *import_format_name(const struct import_dump *d);

// Place d into m's RAM: each table page zeroed and given its printed PTEs. On a booted
// machine each table page must be on kalloc's free list (anything else is a page the
// kernel uses: its image, its tables, a process's pages); it is taken off the list and
// recorded as held by the user (check_hold), as the `kalloc` command would, so that check
// stays consistent and kalloc does not hand it out. Before boot nothing collides.
// Returns 0, or -1 with "name:LINE: what" in err and nothing changed.
int import_place(struct machine *m, const char *name, const struct import_dump *d,
                 char *err, size_t errlen);

// Install d as the user table of the live process in slot, as exec's commit would swap
// tables: d's table pages and user pages come off kalloc's list (as kallocs would take
// them; the user pages filled with 5), then the old table is freed with
// proc_freepagetable(old, sz), and sz becomes the user pages' size. So that check stays
// consistent and freeproc can free the table later, d must be shaped as xv6 makes a user
// table: level-0 leaves only, the user pages at va 0, 0x1000, ... without a hole, each on
// a free page of its own, and every leaf of the old table above sz (the trampoline, the
// trapframe) mapped at the same va to a page that is not free. Not in mode 3 (its kernel
// tables mirror the user pages) nor with the lazy or cow lab. Returns 0; -1 with
// "name:LINE: what" in err and nothing changed; or SIM_PANIC when freeing the old table
// panicked (m->panic_msg says why).
int import_install(struct machine *m, const char *name, const struct import_dump *d,
                   int slot, char *err, size_t errlen);

// d as the walk of m's table at root gives it (the same fields, lines 0), for comparing a
// dump with a table in RAM. Returns 0, or -1 when the host is out of memory.
int import_from_ram(struct machine *m, uint64_t root, struct import_dump *d);

#endif
