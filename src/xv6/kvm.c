#include "sv39sim/xv6/kvm.h"

#include "sv39sim/xv6/edition.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/sv39.h"
#include "sv39sim/hw/tlb.h"
#include "sv39sim/xv6/vm.h"

int kvm_map_kernel(struct machine *m, uint64_t pt, bool clint) {
  const struct config *c = &m->cfg;
  const struct xv6_edition *ed = c->edition;
  for (unsigned i = 0; i < ed->nkmap; i++) {
    const struct edition_kmap *row = &ed->kmap[i];
    if (row->kind == EDITION_KMAP_CLINT && !clint)
      continue;
    uint64_t va = edition_addr(row->va, c->etext, c->trampoline, machine_phystop(m));
    uint64_t end = edition_addr(row->va_end, c->etext, c->trampoline, machine_phystop(m));
    uint64_t pa = edition_addr(row->pa, c->etext, c->trampoline, machine_phystop(m));
    KFRAME(m, "kvmmap"); // one kvmmap call per row, popped at the loop's next turn
    int r = vm_mappages(m, pt, va, end - va, pa, row->perm);
    if (r != SIM_OK)
      return r;
  }
  return SIM_OK;
}

bool kvm_copy_has_clint(const struct machine *m) {
  if (m->cfg.kpt_clint != KPT_CLINT_DEFAULT)
    return m->cfg.kpt_clint == KPT_CLINT_IN;
  // A working part-3 solution must leave CLINT out: user memory may grow over its va.
  return m->cfg.kpt != KPT_PER_PROCESS_USER;
}

int kvm_kvmcreate(struct machine *m, uint64_t *pagetable) {
  KFRAME(m, "kvmcreate"); // the lab's copy of kvminit: students' names vary
  uint64_t root;
  int r = vm_uvmcreate(m, &root);
  if (r != SIM_OK)
    return r;
  r = kvm_map_kernel(m, root, kvm_copy_has_clint(m));
  if (r == SIM_FAIL) {
    r = vm_kvmfree(m, root);
    return r == SIM_OK ? SIM_FAIL : r;
  }
  if (r != SIM_OK)
    return r;
  *pagetable = root;
  return SIM_OK;
}

// kalloc and map every slot's kernel stack at KSTACK(slot), in slot order: procinit's loop
// in 2020, proc_mapstacks later (who names it). Out of memory panics, as in xv6.
static int mapstacks(struct machine *m, const char *who) {
  for (int i = 0; i < NPROC; i++) {
    uint64_t pa = kmem_kalloc(m);
    if (pa == 0)
      return m->halted ? SIM_PANIC
                       : machine_panic(m, "kalloc", "%s: no page for a kernel stack", who);
    uint64_t va = edition_lab_kstack(m->cfg.edition, m->cfg.lab, i);
    KFRAME(m, "kvmmap");
    int r = vm_mappages(m, m->kernel_pagetable, va, PGSIZE, pa, PTE_R | PTE_W);
    if (r == SIM_FAIL)
      return machine_panic(m, "kvmmap", "%s: no page-table page for a kernel stack", who);
    if (r != SIM_OK)
      return r;
  }
  return SIM_OK;
}

// Whether the global table holds boot-time kernel stacks: in global mode, and in the lab's
// modes whose solution kept procinit's stacks; the others allocate them in allocproc.
static bool boot_stacks(const struct machine *m) {
  return m->cfg.kpt == KPT_GLOBAL || m->cfg.kpt_kstack == KPT_KSTACK_PROCINIT;
}

int kvm_kvminit(struct machine *m) {
  KFRAME(m, "kvminit");
  KFRAME(m, m->cfg.edition->names.kvmmake); // 2021 on: kernel_pagetable = kvmmake()
  uint64_t root = kmem_kalloc(m);
  if (root == 0) {
    if (m->halted)
      return SIM_PANIC;
    return machine_panic(m, "kerneltrap", "kvminit: kalloc returned 0 and xv6 writes to it");
  }
  ram_fill_page(&m->hw.ram, root, 0);
  m->kernel_pagetable = root;
  int r = kvm_map_kernel(m, root, true);
  if (r == SIM_FAIL)
    return machine_panic(m, "kvmmap", "out of memory for the kernel's page-table pages");
  if (r != SIM_OK)
    return r;
  if (m->cfg.edition->kstacks == EDITION_KSTACKS_KVMMAKE && boot_stacks(m)) {
    KFRAME(m, "proc_mapstacks");
    return mapstacks(m, "proc_mapstacks");
  }
  return SIM_OK;
}

void kvm_kvminithart(struct machine *m) {
  KFRAME(m, "kvminithart");
  // 2022 on: one sfence before the write too, so that earlier page-table writes are done.
  if (m->cfg.edition->satp_sfences > 1)
    tlb_sfence(&m->hw, true, 0, true, 0);
  m->hw.hart.satp = MAKE_SATP(m->kernel_pagetable);
  tlb_sfence(&m->hw, true, 0, true, 0);
}

// procinit: every slot's kstack is KSTACK(slot). Where the edition's procinit makes the
// stacks (2020), it maps them when the global table holds them (boot_stacks), then loads
// the kernel table again.
static int procinit(struct machine *m) {
  KFRAME(m, "procinit");
  for (int i = 0; i < NPROC; i++)
    m->proc[i].kstack = edition_lab_kstack(m->cfg.edition, m->cfg.lab, i);
  if (m->cfg.edition->kstacks != EDITION_KSTACKS_PROCINIT)
    return SIM_OK;
  if (boot_stacks(m)) {
    int r = mapstacks(m, "procinit");
    if (r != SIM_OK)
      return r;
  }
  kvm_kvminithart(m);
  return SIM_OK;
}

int kvm_boot_kstack_slot(const struct machine *m, uint64_t va) {
  if (!boot_stacks(m))
    return -1;
  return edition_lab_kstack_slot(m->cfg.edition, m->cfg.lab, va);
}

// The pages the disk driver kallocs at boot and keeps, recorded in m->device_pages (its
// rings from 2022 on: desc, avail, used; none in 2020, whose rings are static). Like
// xv6's driver it takes them all, then panics if any was 0.
static int virtio_disk_init(struct machine *m) {
  KFRAME(m, "virtio_disk_init");
  bool missing = false;
  unsigned n = m->cfg.edition->boot_device_pages;
  for (unsigned i = 0; i < n && i < sizeof(m->device_pages) / sizeof(m->device_pages[0]);
       i++) {
    uint64_t pa = kmem_kalloc(m);
    if (m->halted)
      return SIM_PANIC;
    if (pa == 0)
      missing = true;
    else
      m->device_pages[m->ndevice_pages++] = pa;
  }
  if (missing)
    return machine_panic(m, "virtio disk kalloc", "no page for one of the disk's rings");
  return SIM_OK;
}

int kvm_boot(struct machine *m) {
  KFRAME(m, "main");
  kmem_kinit(m);
  int r = kvm_kvminit(m);
  if (r != SIM_OK)
    return r;
  kvm_kvminithart(m);
  r = procinit(m);
  if (r != SIM_OK)
    return r;
  r = virtio_disk_init(m);
  if (r != SIM_OK)
    return r;
  m->booted = true;
  return SIM_OK;
}
