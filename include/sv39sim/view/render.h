#ifndef SV39SIM_RENDER_H
#define SV39SIM_RENDER_H
// Read-only views of the machine. Renderers write to a FILE * or build cJSON and never
// change state. Every view of a table visits it with pt_walk (hw/pt.h) and shares its
// rules: index order, a table outside RAM listed but not entered, three levels at most.
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct machine;

// Which table a view shows, as the commands name it.
struct render_table {
  uint64_t root;     // pa of the root page
  int pid;           // -1 when the table is no process's (the global kernel table, satp)
  const char *which; // "user", "kernel" or "satp"
  uint64_t satp;     // the satp value that selects it
  bool expand;       // dot: each user page its own node, not runs of alike pages
  bool walk;         // dot: the edges on walk_va's translation path drawn red
  uint64_t walk_va;  // canonical
};

// The JSON of `ranges` refuses tables with more ranges than this (only a table built by
// hand or a process of a gigabyte has so many; a kernel table's direct map is one range);
// the JSON tree, vmprint, `ranges` and the DOT graph stream and have no limit.
// The fuzz build lowers it (tests/fuzz/meson.build), to keep each input cheap.
#ifndef RENDER_MAX_ENTRIES
#define RENDER_MAX_ENTRIES (1UL << 18)
#endif

// The number of valid PTEs that pt_walk visits in the tree at root, counting no further
// than limit + 1, so that a table built by hand to be huge costs little.
unsigned long render_count_entries(struct machine *m, uint64_t root, unsigned long limit);

// A 64-bit value as a "0x..." string member of o: lowercase hex without leading zeros, as
// "%#" PRIx64 prints all but 0 (which is "0x0"). JavaScript cannot hold 64-bit numbers.
void render_json_hex(cJSON *o, const char *key, uint64_t v);

// ---- colour (ANSI SGR sequences; every one is "" when color is false) ----

enum render_hue {
  HUE_RESET,
  HUE_READ,  // r
  HUE_WRITE, // w
  HUE_EXEC,  // x
  HUE_USER,  // u
  HUE_DIM,   // g, a, d and absent flags
  HUE_FAULT, // a page fault (the MMU's result, not an error)
  HUE_PANIC, // the simulated kernel panicked
  HUE_ERROR, // a command could not run
};

const char *render_sgr(bool color, enum render_hue hue);

// ---- xv6's vmprint ----

// "page table %p", then one line per valid PTE, indented one ".." per level, in index
// order.
void render_vmprint(struct machine *m, uint64_t pagetable, FILE *out);

// ---- the tree as JSON ----

// Write head, with "pid", "table", "satp", "root" and "entries" (the valid PTEs, nested,
// in index order) added, to out as cJSON prints it (formatted as cJSON_Print, else as
// cJSON_PrintUnformatted), and a newline. The entries are written as the walk meets them:
// memory stays constant whatever the table's size. Returns 0, or -1 with nothing written
// when the host is out of memory for the head; once writing started it cannot fail
// (write errors are the stream's, ferror(out)).
int render_json_stream(struct machine *m, const struct render_table *t, cJSON *head,
                       bool format, FILE *out);

// ---- QEMU's `info mem` ----

// One run of leaves: virtually and physically contiguous, with the same low 8 PTE bits.
struct render_range {
  uint64_t va;   // canonical (sign-extended from bit 38)
  uint64_t pa;
  uint64_t size;
  unsigned attr; // PTE bits 8..0 (RENDER_ATTR_BITS)
};

// Call fn for each range in va order; stop early (returning what fn returned) when fn
// returns non-zero. Returns 0 when every range was visited.
int render_ranges_walk(struct machine *m, uint64_t root,
                       int (*fn)(void *ctx, const struct render_range *r), void *ctx);

// The PTE bits a range's attr keeps (7..0, and 8: the cow lab's PTE_COW), and the room
// render_attr's letters need.
#define RENDER_ATTR_BITS 0x1ffu
#define RENDER_ATTR_LEN 9
// QEMU's letters for attr: "rwxugad", '-' for a clear bit, then 'c' when PTE_COW is set.
void render_attr(unsigned attr, char letters[RENDER_ATTR_LEN]);

// ---- memlayout regions (region.c): the names ranges and dot give ranges ----

// Ranges counted in va order, which a user table's names depend on: the guard page is the
// first range without U below the trapframe, the stack the range after it.
struct render_regions {
  bool user;      // a process's user table, else a kernel's (or satp's)
  uint64_t etext; // the kernel image's end of text
  long n;         // ranges counted so far
  long guard;     // the guard page's range, -1 before it is met
};

void render_regions_init(struct render_regions *rg, bool user, uint64_t etext);
// Count the next range in va order; returns its index.
long render_regions_add(struct render_regions *rg, const struct render_range *r);
// The region range r (number i, counted already or later than every range before it)
// lies in: "UART0", "kernel text", "kernel stack", "trampoline", "text/data", "guard
// page", "stack", "heap", "trapframe", "usyscall", ...
const char *render_region_name(const struct render_regions *rg, long i,
                               const struct render_range *r);
// Whether t is a user table (named by its layout), not a kernel table: a process's user
// table, or a table satp selects that does not map KERNBASE.
bool render_table_is_user(struct machine *m, const struct render_table *t);

// QEMU's `info mem` table of t's ranges: a header, then "vaddr paddr size attr" per range,
// and after QEMU's columns the range's memlayout region (render_region_name).
void render_ranges(struct machine *m, const struct render_table *t, FILE *out, bool color);

// The same ranges as an array of {"va", "pa", "size", "attr", "region"} added to obj as
// "ranges". Returns 0, or -1 (obj untouched) beyond RENDER_MAX_ENTRIES ranges or out of
// memory.
int render_ranges_json(struct machine *m, const struct render_table *t, cJSON *obj);

// ---- Graphviz ----

// A DOT digraph: one record node per page-table page (its valid PTEs as fields), edges to
// the next level, physical ranges of leaves as nodes; consecutive tables whose leaves all
// continue one range (the kernel's direct map) are drawn as one node, and so are pages at
// a fixed stride (kernel stacks between guard pages), and in a user table runs of pages
// with the same bits unless t->expand. Range nodes are named by their memlayout region,
// and a legend node explains the fills. Written as the table is walked, in memory that
// does not grow with the table. Returns 0, or -1 (nothing written) out of host memory.
int render_dot(struct machine *m, const struct render_table *t, FILE *out);

// Write head with "dot" (render_dot's text as a JSON string) added, as
// cJSON_PrintUnformatted would print it, and a newline, streamed as render_dot is. Returns
// 0, or -1 with nothing written when the host is out of memory.
int render_dot_json(struct machine *m, const struct render_table *t, cJSON *head, FILE *out);

#endif
