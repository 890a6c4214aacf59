#include "sv39sim/xv6/machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/sv39.h"

// Large enough for the kernel image and a few pages; small enough that the page index
// fits RAM's 32-bit link words and PHYSTOP stays far below the kernel stacks.
#define RAM_MAX (64ULL << 30)

static const char *const kpt_names[] = {
    [KPT_GLOBAL] = "global",
    [KPT_PER_PROCESS] = "per-process",
    [KPT_PER_PROCESS_USER] = "per-process-user",
};

const char *kpt_mode_name(enum kpt_mode mode) {
  return (unsigned)mode < sizeof(kpt_names) / sizeof(kpt_names[0]) ? kpt_names[mode] : "?";
}

int kpt_mode_parse(const char *name, enum kpt_mode *mode) {
  for (size_t i = 0; i < sizeof(kpt_names) / sizeof(kpt_names[0]); i++) {
    if (strcmp(name, kpt_names[i]) == 0) {
      *mode = (enum kpt_mode)i;
      return 0;
    }
  }
  return -1;
}

static const char *const kstack_names[] = {
    [KPT_KSTACK_ALLOCPROC] = "allocproc",
    [KPT_KSTACK_PROCINIT] = "procinit",
    [KPT_KSTACK_ZERO] = "zero",
};

const char *kpt_kstack_name(enum kpt_kstack kstack) {
  return (unsigned)kstack < sizeof(kstack_names) / sizeof(kstack_names[0]) ? kstack_names[kstack]
                                                                           : "?";
}

int kpt_kstack_parse(const char *name, enum kpt_kstack *kstack) {
  for (size_t i = 0; i < sizeof(kstack_names) / sizeof(kstack_names[0]); i++) {
    if (strcmp(name, kstack_names[i]) == 0) {
      *kstack = (enum kpt_kstack)i;
      return 0;
    }
  }
  return -1;
}

void config_defaults(struct config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->edition = DEFAULT_EDITION;
  cfg->ram_size = DEFAULT_RAM_SIZE;
  cfg->kpt = KPT_GLOBAL;
  cfg->superpages = SUPERPAGES_DEFAULT;
  cfg->etext = cfg->edition->etext;
  cfg->end = cfg->edition->end;
  cfg->trampoline = cfg->edition->trampoline;
  cfg->ad = AD_HW;
  cfg->tlb = (struct tlb_geometry){.entries = TLB_DEFAULT_ENTRIES, .policy = TLB_LRU};
}

// Why the configuration cannot build a machine, or NULL.
static const char *config_problem(const struct config *c) {
  uint64_t phystop = KERNBASE + c->ram_size;
  if (c->edition == NULL)
    return "no xv6 edition chosen";
  if (c->ram_size % PGSIZE != 0)
    return "RAM size must be a multiple of 4096";
  if (c->ram_size > RAM_MAX)
    return "RAM size must be at most 64G";
  if (c->etext <= KERNBASE || c->etext % PGSIZE != 0)
    return "etext must be a page boundary above KERNBASE (0x80000000)";
  if (c->trampoline < KERNBASE || c->trampoline % PGSIZE != 0 || c->trampoline >= c->etext)
    return "trampoline must be a page of kernel text (page-aligned, below etext)";
  if (c->end < c->etext)
    return "end must not be below etext";
  const char *tlb_problem = tlb_geometry_problem(&c->tlb);
  if (tlb_problem != NULL)
    return tlb_problem;
  if (c->end >= phystop || c->etext >= phystop)
    return "RAM is too small to hold the kernel image (end must lie below PHYSTOP)";
  return NULL;
}

// The size of the cow lab's reference-count array for cfg's RAM.
static size_t refcnt_bytes(const struct config *cfg) {
  return (size_t)(cfg->ram_size / PGSIZE) * sizeof(uint32_t);
}

// The cow lab counts references: make the array (zeros) unless there is one. Returns 0,
// or -1 when the host is out of memory.
static int refcnt_alloc(struct machine *m, const struct config *cfg) {
  if (m->refcnt != NULL)
    return 0;
  m->refcnt = calloc(1, refcnt_bytes(cfg) ? refcnt_bytes(cfg) : 1);
  return m->refcnt == NULL ? -1 : 0;
}

// The state of a machine just switched on: empty kernel, no processes, hart in S-mode
// with satp 0, an empty TLB. RAM is the caller's.
static void power_on(struct machine *m) {
  memset(&m->kmem, 0, sizeof(m->kmem));
  memset(&m->spmem, 0, sizeof(m->spmem));
  memset(&m->hw.hart, 0, sizeof(m->hw.hart));
  m->hw.hart.priv = PRIV_S;
  tlb_clear(&m->hw.tlb);
  m->hw.ad = m->cfg.ad;
  m->hw.stats = NULL;
  memset(m->tlb_per, 0, sizeof(m->tlb_per));
  memset(m->tlb_pid, 0, sizeof(m->tlb_pid));
  memset(m->fault_per, 0, sizeof(m->fault_per));
  if (m->refcnt != NULL)
    memset(m->refcnt, 0, refcnt_bytes(&m->cfg));
  m->ndemand = 0;
  m->kernel_pagetable = 0;
  m->booted = false;
  m->ndevice_pages = 0;
  m->first_kexec = false;
  memset(m->proc, 0, sizeof(m->proc));
  for (int i = 0; i < NPROC; i++)
    m->proc[i].parent = -1;
  m->nextpid = 1;
  m->initproc = -1;
  machine_set_current(m, -1);
  memset(&m->stats, 0, sizeof(m->stats));
  memset(&m->chain, 0, sizeof(m->chain));
  m->halted = false;
  m->panic_msg[0] = '\0';
  m->panic_detail[0] = '\0';
  memset(&m->panic_chain, 0, sizeof(m->panic_chain));
  m->collided = false;
  m->why[0] = '\0';
  m->nomem_seq = 0;
  m->nomem_super = false;
}

void machine_set_current(struct machine *m, int slot) {
  m->current = slot;
  m->hw.stats = slot < 0 ? NULL : &m->tlb_per[slot];
}

void machine_slot_reset(struct machine *m, int slot, int pid) {
  memset(&m->tlb_per[slot], 0, sizeof(m->tlb_per[slot]));
  memset(&m->fault_per[slot], 0, sizeof(m->fault_per[slot]));
  m->tlb_pid[slot] = pid;
}

struct machine *machine_new(const struct config *cfg, char *err, size_t errlen) {
  const char *problem = config_problem(cfg);
  if (problem != NULL) {
    snprintf(err, errlen, "%s", problem);
    return NULL;
  }
  struct machine *m = calloc(1, sizeof(*m));
  if (m == NULL || ram_init(&m->hw.ram, KERNBASE, cfg->ram_size) != 0 ||
      tlb_init(&m->hw.tlb, &cfg->tlb) != 0 ||
      (cfg->lab == LAB_COW && refcnt_alloc(m, cfg) != 0) ||
      (m->alloc_seq = calloc(cfg->ram_size / PGSIZE + 1, sizeof(*m->alloc_seq))) == NULL) {
    if (m != NULL) {
      ram_destroy(&m->hw.ram);
      tlb_destroy(&m->hw.tlb);
      free(m->refcnt);
    }
    free(m);
    snprintf(err, errlen, "out of host memory for a %llu-byte machine",
             (unsigned long long)cfg->ram_size);
    return NULL;
  }
  m->cfg = *cfg;
  power_on(m);
  return m;
}

void machine_free(struct machine *m) {
  if (m == NULL)
    return;
  ram_destroy(&m->hw.ram);
  tlb_destroy(&m->hw.tlb);
  free(m->held);
  free(m->refcnt);
  free(m->demand);
  free(m->alloc_seq);
  free(m);
}

int machine_set_kernel(struct machine *m, uint64_t etext, uint64_t end, uint64_t trampoline,
                       char *err, size_t errlen) {
  if (m->booted) {
    snprintf(err, errlen, "the kernel image is chosen before 'boot' ('reset' for a fresh "
                          "machine)");
    return -1;
  }
  struct config c = m->cfg;
  c.etext = etext;
  c.end = end;
  c.trampoline = trampoline;
  c.own_kernel = true;
  const char *problem = config_problem(&c);
  if (problem != NULL) {
    snprintf(err, errlen, "etext 0x%llx, end 0x%llx, trampoline 0x%llx: %s",
             (unsigned long long)etext, (unsigned long long)end,
             (unsigned long long)trampoline, problem);
    return -1;
  }
  m->cfg = c;
  return 0;
}

int machine_set_lab(struct machine *m, enum xv6_lab lab, char *err, size_t errlen) {
  if (m->booted) {
    snprintf(err, errlen, "the lab is chosen before 'boot' ('reset' for a fresh machine)");
    return -1;
  }
  if (!edition_offers_lab(m->cfg.edition, lab)) {
    snprintf(err, errlen, "%s's lab repository has no %s lab", m->cfg.edition->name,
             edition_lab_name(lab));
    return -1;
  }
  if (lab != LAB_NONE && m->cfg.kpt != KPT_GLOBAL) {
    snprintf(err, errlen, "mode %s is the page-table lab's solution, a branch of its own: "
             "the %s lab runs with mode global", kpt_mode_name(m->cfg.kpt),
             edition_lab_name(lab));
    return -1;
  }
  if (lab == LAB_COW && refcnt_alloc(m, &m->cfg) != 0) {
    snprintf(err, errlen, "out of host memory for the cow lab's reference counts");
    return -1;
  }
  m->cfg.lab = lab;
  return 0;
}

int machine_set_edition(struct machine *m, const struct xv6_edition *ed, char *err,
                        size_t errlen) {
  if (m->booted) {
    snprintf(err, errlen, "the edition is chosen before 'boot' ('reset' for a fresh machine)");
    return -1;
  }
  if (!edition_offers_lab(ed, m->cfg.lab)) {
    snprintf(err, errlen, "%s's lab repository has no %s lab", ed->name,
             edition_lab_name(m->cfg.lab));
    return -1;
  }
  if (!edition_offers_kpt(ed, (int)m->cfg.kpt)) {
    snprintf(err, errlen, "%s's lab has no kernel-table mode %s", ed->name,
             kpt_mode_name(m->cfg.kpt));
    return -1;
  }
  struct config c = m->cfg;
  c.edition = ed;
  if (!c.own_kernel) {
    c.etext = ed->etext;
    c.end = ed->end;
    c.trampoline = ed->trampoline;
  }
  const char *problem = config_problem(&c);
  if (problem != NULL) {
    snprintf(err, errlen, "%s: %s", ed->name, problem);
    return -1;
  }
  m->cfg = c;
  return 0;
}

int machine_reset(struct machine *m) {
  struct ram fresh;
  // Fresh zeroes, as RAM: the OS hands them out untouched, where a memset would not.
  uint64_t *seq = calloc(m->cfg.ram_size / PGSIZE + 1, sizeof(*seq));
  if (seq == NULL || ram_init(&fresh, KERNBASE, m->cfg.ram_size) != 0) {
    free(seq);
    return -1;
  }
  free(m->alloc_seq);
  m->alloc_seq = seq;
  ram_destroy(&m->hw.ram);
  m->hw.ram = fresh;
  m->nheld = 0;
  power_on(m);
  return 0;
}

void machine_why(struct machine *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->why, sizeof(m->why), fmt, ap);
  va_end(ap);
}

void machine_why_nomem(struct machine *m) {
  char chain[KCHAIN_MAX * 24];
  kchain_format(&m->nomem_chain, chain, sizeof(chain));
  if (m->nomem_super) {
    machine_why(m, "no free superpage: superalloc returned 0, in %s", chain);
    return;
  }
  machine_why(m, "out of memory: kalloc returned 0 at event %llu, in %s",
              (unsigned long long)m->nomem_seq, chain);
}

int machine_panic(struct machine *m, const char *words, const char *detail_fmt, ...) {
  if (m->halted)
    return SIM_PANIC; // the first panic is the one xv6 would have printed
  m->halted = true;
  m->panic_chain = m->chain;
  snprintf(m->panic_msg, sizeof(m->panic_msg), "%s", words);
  m->panic_detail[0] = '\0';
  if (detail_fmt != NULL) {
    va_list ap;
    va_start(ap, detail_fmt);
    vsnprintf(m->panic_detail, sizeof(m->panic_detail), detail_fmt, ap);
    va_end(ap);
  }
  return SIM_PANIC;
}
