#ifndef SV39SIM_SV39_H
#define SV39SIM_SV39_H
// The Sv39 address split and the PTE format (the privileged spec, section 4.4; xv6's
// kernel/riscv.h names), in one place. xv6's memory layout is in xv6/memlayout.h.
//
//  virtual address (39 bits used; bits 63..39 must equal bit 38)
//  +-----------+---------+---------+---------+-------------+
//  | 63 ... 39 | 38...30 | 29...21 | 20...12 | 11 ...... 0 |
//  |  sign ext |  VPN[2] |  VPN[1] |  VPN[0] | page offset |
//  +-----------+---------+---------+---------+-------------+
//
//  page-table entry
//  +----------+----------------------------------+-----+---+---+---+---+---+---+---+---+
//  | 63 .. 54 | 53 ......................... 10 | 9 8 | D | A | G | U | X | W | R | V |
//  | reserved |            PPN[2..0]             | RSW | 7 | 6 | 5 | 4 | 3 | 2 | 1 | 0 |
//  +----------+----------------------------------+-----+---+---+---+---+---+---+---+---+
#include <stdbool.h>
#include <stdint.h>

#define PGSIZE 4096ULL
#define PGSHIFT 12
#define PGROUNDUP(sz) (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_G (1ULL << 5)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)

// xv6's conversions. PTE2PA keeps whatever sits above the PPN, exactly as xv6 does; the MMU
// uses PTE_PPN, which drops the reserved bits, as hardware does.
#define PA2PTE(pa) ((((uint64_t)(pa)) >> 12) << 10)
#define PTE2PA(pte) (((uint64_t)(pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((uint64_t)(pte) & 0x3FF)
#define PTE_PPN(pte) (((uint64_t)(pte) >> 10) & ((1ULL << 44) - 1))

#define PXMASK 0x1FF
#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va) ((((uint64_t)(va)) >> PXSHIFT(level)) & PXMASK)

// One beyond the highest virtual address xv6 allows: it never sets bit 38, so it never
// has to sign-extend.
#define MAXVA (1ULL << (9 + 9 + 9 + 12 - 1))

// A PTE that points to the next level (V set, R, W and X clear), and a leaf (V and any of
// R, W, X). A PTE with V clear is neither.
#define PTE_TABLE(pte) (((uint64_t)(pte) & (PTE_V | PTE_R | PTE_W | PTE_X)) == PTE_V)
#define PTE_LEAF(pte) (((pte) & PTE_V) && ((uint64_t)(pte) & (PTE_R | PTE_W | PTE_X)) != 0)

// Sv39 virtual addresses are 39 bits, sign-extended from bit 38: bits 63..38 all equal.
static inline bool va_is_canonical(uint64_t va) {
  uint64_t top = va >> 38;
  return top == 0 || top == (UINT64_MAX >> 38);
}

// The canonical form of a 39-bit va (bit 38 copied into bits 63..39).
static inline uint64_t va_canonical(uint64_t va) {
  return (va & (1ULL << 38)) ? va | ~((1ULL << 39) - 1) : va & ((1ULL << 39) - 1);
}

#define SATP_SV39 (8ULL << 60)
#define MAKE_SATP(root) (SATP_SV39 | (((uint64_t)(root)) >> 12))

#endif
