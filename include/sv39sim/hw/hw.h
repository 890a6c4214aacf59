#ifndef SV39SIM_HW_H
#define SV39SIM_HW_H
// The simulated hardware, which knows nothing of xv6: physical memory, the hart's
// translation state and its TLB. The MMU and the TLB work on this alone.
#include <stdbool.h>
#include <stdint.h>

#include "sv39sim/hw/ram.h"
#include "sv39sim/hw/tlb.h"

enum priv_mode { PRIV_U = 0, PRIV_S = 1 };

// How the walk treats a leaf whose A (or, for a store, D) bit is clear.
enum ad_policy { AD_HW, AD_FAULT }; // set it in memory (QEMU), or fault (Svade)

struct hart {
  uint64_t satp;
  enum priv_mode priv;
  bool sum, mxr;
};

struct hw {
  struct ram ram;
  struct hart hart;
  struct tlb tlb;
  enum ad_policy ad; // how a walk treats clear A/D bits (--ad)
  // The running context's counts, which every TLB event is also counted into (the
  // simulated kernel points it at the running process's row); NULL: only the totals.
  struct tlb_stats *stats;
};

#endif
