#ifndef SV39SIM_KALLOC_H
#define SV39SIM_KALLOC_H
// xv6's physical page allocator (kernel/kalloc.c). The free list lives in simulated RAM,
// as in xv6: each free page's first eight bytes hold the address of the next.
#include <stdbool.h>
#include <stdint.h>

struct machine;
struct kchain;

struct kmem {
  uint64_t freelist; // pa of the head, 0 when empty
  uint64_t nfree;    // pages on the list
  uint64_t failat;   // 0 off; n: the nth kalloc from now returns 0
  uint64_t nkalloc;  // kallocs so far that returned a page
  uint64_t nkfree;   // kfrees so far (kinit's included)
  bool logging;      // kinit is done: every kalloc and kfree is an event of the log
  uint64_t seq;      // the last event's number (the first is 1)
};

// One event of the allocation log: the seq-th kalloc or kfree since kinit, the page (0:
// kalloc found no page), and the xv6 call chain that made it, ending in kalloc or kfree
// (only that frame: a page taken or given back by hand).
struct kmem_event {
  uint64_t seq;
  bool kfree;
  uint64_t pa;
  const struct kchain *chain;
  unsigned refs_left; // a kfree of the cow lab's that only dropped a reference: how many
                      // PTEs still map the page (0: the page went on the free list)
  bool super;         // superalloc or superfree of a 2 MiB superpage (the pgtbl lab)
};

// A superpage's allocation (pa 0: none left) or free, as an event of the log.
void kmem_log_super(struct machine *m, bool kfree, uint64_t pa);

// The seq of the kalloc that last handed out RAM page pa (0: none since kinit).
uint64_t kmem_alloc_seq(const struct machine *m, uint64_t pa);

// Free every page from PGROUNDUP(end) up to PHYSTOP, lowest first, so that the list's
// head is the highest page. Leaves RAM and kmem exactly as kmem_freerange(end, PHYSTOP)
// does, in time and host memory that do not grow with each page.
void kmem_kinit(struct machine *m);

// xv6's freerange: kfree each page from PGROUNDUP(pa_start) that ends at or below pa_end,
// lowest first, one kfree at a time.
void kmem_freerange(struct machine *m, uint64_t pa_start, uint64_t pa_end);

// Returns a page filled with 0x05, or 0 when the list is empty or failat fires.
// A free list corrupted by hand (a link that is no page) panics as xv6 would fault.
uint64_t kmem_kalloc(struct machine *m);

// Fills the page with 0x01 and pushes it on the list. Returns SIM_OK, or SIM_PANIC
// ("kfree") for a misaligned page or one outside [end, PHYSTOP).
int kmem_kfree(struct machine *m, uint64_t pa);

#endif
