#ifndef SV39SIM_OWNER_H
#define SV39SIM_OWNER_H
// `owner PA`: what one physical page is now, in the words `check` uses for its owners,
// and which event of the allocation log handed it out.
#include <stdbool.h>
#include <stdint.h>

#include "sv39sim/tools/check.h"

struct machine;

// What a page is. The pool's kinds are check's (enum check_owner); the others lie
// outside kmem's pool.
enum owner_kind {
  OWNER_POOL,        // a page of kinit's pool: see pool_kind
  OWNER_KERNEL_TEXT, // [KERNBASE, etext): the kernel's text (the trampoline among it)
  OWNER_KERNEL_DATA, // [etext, PGROUNDUP(end)): the kernel's data and bss
  OWNER_MMIO,        // a device's registers (UART0, VIRTIO0, CLINT, PLIC)
  OWNER_OUTSIDE,     // neither RAM nor a device xv6 maps
};

#define OWNER_MAX_ROLES 16

// One table's leaf that maps the page.
struct owner_mapper {
  char table[64]; // "pid 1's user table", "the kernel table", ...
  int pid;        // the table's process, 0 for the kernel table
  uint64_t va;
  uint64_t pte;
};

struct owner_report {
  uint64_t pa;            // the page (PA rounded down)
  enum owner_kind kind;
  enum check_owner pool_kind; // OWNER_POOL: free, user-pt, ...; CHECK_NONE: nobody
  char what[160];         // the page in words (check's), e.g. "the root of pid 1's user table"
  uint64_t va_lo, va_hi;  // a table page: the va range it maps ([lo, hi])
  int level;              // a table page: its level (2 root .. 0), else -1
  uint64_t free_pos;      // free: its position on the list, 0 the head
  uint64_t seq;           // the log event that last allocated it, 0 none
  struct owner_mapper mapper[OWNER_MAX_ROLES];
  unsigned nmappers;      // leaves that map it (user pages: every one), at most the array
};

// Fill r for the page holding pa. Reads only.
void owner_of(struct machine *m, uint64_t pa, struct owner_report *r);

// The kind as `owner` names it: check's names for the pool, "kernel-text", "kernel-data",
// "mmio", "outside-ram" for the others.
const char *owner_kind_name(const struct owner_report *r);

#endif
