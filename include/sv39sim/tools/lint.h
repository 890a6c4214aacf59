#ifndef SV39SIM_LINT_H
#define SV39SIM_LINT_H
// lint: the static checks a reviewer of a page-table lab solution makes on one table, each
// finding with the PTE's va and level and the rule's name. The table is only read.
#include <stdbool.h>
#include <stdint.h>

struct machine;

enum lint_rule {
  LINT_W_WITHOUT_R,      // a leaf with W and not R: a reserved encoding
  LINT_RESERVED,         // PTE bits 63..54 set
  LINT_NONLEAF_ADU,      // a pointer to the next level with A, D or U set
  LINT_POINTER_AT_LEVEL0, // a level-0 PTE that is no leaf
  LINT_MISALIGNED,       // a superpage whose PPN is not aligned to its size
  LINT_SUPERPAGE,        // a leaf above level 0: xv6 makes none
  LINT_GUARD_U,          // exec's stack guard page has U set
  LINT_GUARD_MISSING,    // exec's stack guard page is not mapped
  LINT_USER_IN_KERNEL,   // a U leaf in a kernel table
  LINT_KERNEL_MISSING,   // a kernel table lacks one of the kernel's own mappings
  LINT_USER_MISSING,     // a user table lacks TRAMPOLINE or TRAPFRAME (or maps them wrong)
  LINT_USER_U,           // a user table has U on TRAMPOLINE or TRAPFRAME
  LINT_WRITABLE_TWICE,   // one page writable through this table and another process's
  LINT_NRULES
};

#define LINT_MAX_LISTED 32

struct lint_finding {
  enum lint_rule rule;
  uint64_t va;   // canonical
  int level;     // -1 when the finding is about a missing mapping
  uint64_t pte;  // 0 when missing
  char what[160];
};

// Which table, and what kind: the rules for user and kernel tables differ.
enum lint_kind { LINT_USER_TABLE, LINT_KERNEL_TABLE, LINT_ANY_TABLE };

struct lint_report {
  uint64_t root;
  enum lint_kind kind;
  int slot;               // the process whose table it is, -1 for none
  unsigned nfound;        // all findings; the first LINT_MAX_LISTED are listed
  unsigned nlisted;
  struct lint_finding f[LINT_MAX_LISTED];
};

// Lint the table at root, of kind, of the process in slot (-1: the global kernel table,
// or a table no process owns). Returns 0 with *r filled, or -1 when the host is out of
// memory.
int lint_table(struct machine *m, uint64_t root, enum lint_kind kind, int slot,
               struct lint_report *r);

// The rule's stable name ("w-without-r", "guard-page-u", ...).
const char *lint_rule_name(enum lint_rule rule);

#endif
