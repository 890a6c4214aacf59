// The edition descriptor: fall 2020's reproduces the layout the kernel builds, and a
// test-only descriptor that differs in one field changes exactly that fact.
#include <string.h>

#include "helpers.h"
#include "sv39sim/xv6/edition.h"
#include "sv39sim/xv6/elf.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"

// A machine of edition ed, the default configuration otherwise.
static struct machine *edition_machine(const struct xv6_edition *ed) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.edition = ed;
  cfg.etext = ed->etext;
  cfg.end = ed->end;
  cfg.trampoline = ed->trampoline;
  char err[128];
  struct machine *m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  return m;
}

// The pages kvminit takes for the global kernel table (the root and every table below).
static uint64_t kvminit_pages(const struct xv6_edition *ed) {
  struct machine *m = edition_machine(ed);
  kmem_kinit(m);
  uint64_t before = m->kmem.nfree;
  cr_assert_eq(kvm_kvminit(m), SIM_OK, "kvminit: %s", m->panic_msg);
  uint64_t n = before - m->kmem.nfree;
  machine_free(m);
  return n;
}

// The leaf PTE for va in table, 0 when there is none.
static uint64_t leaf(struct machine *m, uint64_t table, uint64_t va) {
  uint64_t pte_pa;
  int r = vm_walk(m, table, va, 0, &pte_pa);
  cr_assert(r == SIM_OK || r == SIM_FAIL, "walk of 0x%lx: %d", (unsigned long)va, r);
  return r == SIM_OK ? vm_pte_read(m, pte_pa) : 0;
}

// fall 2020 with one row of its kernel table left out.
static struct edition_kmap rows_without[16];
static struct xv6_edition without_row(enum edition_kmap_kind kind, const char *name) {
  struct xv6_edition ed = edition_fall2020;
  unsigned n = 0;
  for (unsigned i = 0; i < ed.nkmap; i++) {
    if (ed.kmap[i].kind != kind || strcmp(ed.kmap[i].name, name) != 0)
      rows_without[n++] = ed.kmap[i];
  }
  cr_assert_eq(n, ed.nkmap - 1, "no row %s", name);
  ed.kmap = rows_without;
  ed.nkmap = n;
  return ed;
}

Test(edition, config_defaults_take_fall_2020_and_its_symbols) {
  struct config cfg;
  config_defaults(&cfg);
  cr_assert_eq(cfg.edition, &edition_fall2020);
  cr_assert_eq(cfg.edition->year, 2020);
  cr_assert_eq(cfg.etext, 0x80008000);
  cr_assert_eq(cfg.end, 0x80027020);
  cr_assert_eq(cfg.trampoline, 0x80007000);
}

Test(edition, fall_2020_kernel_rows_are_kvminits_seven_mappings) {
  const struct xv6_edition *ed = &edition_fall2020;
  uint64_t etext = ed->etext, tramp = ed->trampoline, phystop = KERNBASE + DEFAULT_RAM_SIZE;
  const struct {
    const char *name;
    uint64_t va, size, pa, perm;
    enum edition_kmap_kind kind;
  } want[] = {
      {"UART0", 0x10000000, 0x1000, 0x10000000, PTE_R | PTE_W, EDITION_KMAP_DEVICE},
      {"VIRTIO0", 0x10001000, 0x1000, 0x10001000, PTE_R | PTE_W, EDITION_KMAP_DEVICE},
      {"CLINT", 0x2000000, 0x10000, 0x2000000, PTE_R | PTE_W, EDITION_KMAP_CLINT},
      {"PLIC", 0x0c000000, 0x400000, 0x0c000000, PTE_R | PTE_W, EDITION_KMAP_DEVICE},
      {"text", KERNBASE, etext - KERNBASE, KERNBASE, PTE_R | PTE_X, EDITION_KMAP_KERNEL},
      {"data", etext, phystop - etext, etext, PTE_R | PTE_W, EDITION_KMAP_KERNEL},
      {"TRAMPOLINE", MAXVA - PGSIZE, PGSIZE, tramp, PTE_R | PTE_X, EDITION_KMAP_KERNEL},
  };
  cr_assert_eq(ed->nkmap, sizeof(want) / sizeof(want[0]));
  for (unsigned i = 0; i < ed->nkmap; i++) {
    const struct edition_kmap *r = &ed->kmap[i];
    uint64_t va = edition_addr(r->va, etext, tramp, phystop);
    uint64_t end = edition_addr(r->va_end, etext, tramp, phystop);
    uint64_t pa = edition_addr(r->pa, etext, tramp, phystop);
    cr_assert_str_eq(r->name, want[i].name, "row %u", i);
    cr_assert_eq(va, want[i].va, "%s: va 0x%lx", r->name, (unsigned long)va);
    cr_assert_eq(end - va, want[i].size, "%s: size 0x%lx", r->name, (unsigned long)(end - va));
    cr_assert_eq(pa, want[i].pa, "%s: pa 0x%lx", r->name, (unsigned long)pa);
    cr_assert_eq(r->perm, want[i].perm, "%s: perm 0x%lx", r->name, (unsigned long)r->perm);
    cr_assert_eq(r->kind, want[i].kind, "%s: kind %d", r->name, r->kind);
  }
}

Test(edition, fall_2020_boot_takes_73_table_pages_then_64_stacks_at_kstack) {
  cr_assert_eq(kvminit_pages(&edition_fall2020), 73);
  struct machine *m = edition_machine(&edition_fall2020);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(m->kmem.nfree, 32728 - 73 - 64, "%lu free", (unsigned long)m->kmem.nfree);
  for (int i = 0; i < NPROC; i++) {
    uint64_t va = MAXVA - PGSIZE - (uint64_t)(i + 1) * 2 * PGSIZE;
    cr_assert_eq(edition_kstack(&edition_fall2020, i), va, "KSTACK(%d)", i);
    cr_assert_eq(m->proc[i].kstack, va);
    cr_assert_eq(PTE_FLAGS(leaf(m, m->kernel_pagetable, va)), PTE_V | PTE_R | PTE_W,
                 "slot %d's stack", i);
    cr_assert_eq(leaf(m, m->kernel_pagetable, va - PGSIZE), 0, "slot %d's guard", i);
    cr_assert_eq(kvm_boot_kstack_slot(m, va), i);
    cr_assert_eq(kvm_boot_kstack_slot(m, va - PGSIZE), -1);
  }
  cr_assert_eq(kvm_boot_kstack_slot(m, MAXVA - PGSIZE), -1, "TRAMPOLINE is no stack");
  cr_assert_eq(kvm_boot_kstack_slot(m, edition_kstack(&edition_fall2020, NPROC)), -1);
  cr_assert_neq(leaf(m, m->kernel_pagetable, CLINT), 0, "CLINT is in the global table");
  cr_assert_neq(leaf(m, m->kernel_pagetable, PLIC + 0x400000 - PGSIZE), 0);
  cr_assert_eq(leaf(m, m->kernel_pagetable, PLIC + 0x400000), 0, "PLIC is 0x400000 bytes");
  machine_free(m);
}

Test(edition, leaving_clint_out_of_the_rows_gives_72_pages_and_no_clint) {
  struct xv6_edition ed = without_row(EDITION_KMAP_CLINT, "CLINT");
  cr_assert_eq(kvminit_pages(&ed), 72);
  struct machine *m = edition_machine(&ed);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(leaf(m, m->kernel_pagetable, CLINT), 0);
  cr_assert_neq(leaf(m, m->kernel_pagetable, UART0), 0, "the other rows stay");
  cr_assert_eq(m->kmem.nfree, 32728 - 72 - 64, "the stacks stay");
  machine_free(m);
}

Test(edition, a_plic_of_0x4000000_bytes_takes_30_more_level0_tables) {
  struct xv6_edition ed = edition_fall2020;
  struct edition_kmap rows[16];
  memcpy(rows, ed.kmap, ed.nkmap * sizeof(rows[0]));
  for (unsigned i = 0; i < ed.nkmap; i++) {
    if (strcmp(rows[i].name, "PLIC") == 0)
      rows[i].va_end.off = PLIC + 0x4000000;
  }
  ed.kmap = rows;
  cr_assert_eq(kvminit_pages(&ed), 73 + 30, "32 level-0 tables for PLIC instead of 2");
}

Test(edition, device_pages_at_boot_come_after_the_stacks) {
  struct xv6_edition ed = edition_fall2020;
  ed.boot_device_pages = 3;
  struct machine *m = edition_machine(&ed), *stock = edition_machine(&edition_fall2020);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(kvm_boot(stock), SIM_OK);
  cr_assert_eq(m->kmem.nfree, stock->kmem.nfree - 3);
  cr_assert_eq(leaf(m, m->kernel_pagetable, edition_kstack(&ed, NPROC - 1)),
               leaf(stock, stock->kernel_pagetable, edition_kstack(&ed, NPROC - 1)),
               "the last stack has the same page");
  machine_free(m);
  machine_free(stock);
}

Test(edition, stacks_made_by_kvmmake_take_the_same_pages) {
  struct xv6_edition ed = edition_fall2020;
  ed.kstacks = EDITION_KSTACKS_KVMMAKE;
  struct machine *m = edition_machine(&ed), *stock = edition_machine(&edition_fall2020);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(kvm_boot(stock), SIM_OK);
  assert_same_state(m, stock);
  cr_assert_eq(m->proc[5].kstack, stock->proc[5].kstack);
  machine_free(m);
  machine_free(stock);
}

Test(edition, a_wider_kstack_gap_moves_every_stack_and_the_slot_lookup) {
  struct xv6_edition ed = edition_fall2020;
  ed.kstack_gap = 3 * PGSIZE;
  struct machine *m = edition_machine(&ed);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  uint64_t va = MAXVA - PGSIZE - 3 * PGSIZE - 2 * 2 * PGSIZE;
  cr_assert_eq(m->proc[2].kstack, va);
  cr_assert_neq(leaf(m, m->kernel_pagetable, va), 0);
  cr_assert_eq(leaf(m, m->kernel_pagetable, va + PGSIZE), 0);
  cr_assert_eq(kvm_boot_kstack_slot(m, va), 2);
  cr_assert_eq(kvm_boot_kstack_slot(m, va + PGSIZE), -1, "2020's KSTACK(1) is none here");
  machine_free(m);
}

// pid 1 after userinit and an exec of a one-page program, on edition ed.
static struct machine *after_exec(const struct xv6_edition *ed, int *slot) {
  struct machine *m = edition_machine(ed);
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(proc_userinit(m, slot), SIM_OK);
  uint64_t len;
  uint8_t *image = exec_synthetic_image(PGSIZE, &len);
  cr_assert_not_null(image);
  char *argv[] = {"init"};
  struct exec_result res;
  cr_assert_eq(exec_sys_exec(m, *slot, image, len, "/init", 1, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, 1, "exec: %s", res.why);
  free(image);
  return m;
}

Test(edition, fall_2020_exec_maps_rwxu_a_guard_without_u_and_one_stack_page) {
  int slot;
  struct machine *m = after_exec(&edition_fall2020, &slot);
  uint64_t pt = m->proc[slot].pagetable;
  cr_assert_eq(m->proc[slot].sz, 3 * PGSIZE);
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, 0)), 0x1f, "the segment");
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, PGSIZE)), 0x0f, "the guard");
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, 2 * PGSIZE)), 0x1f, "the stack");
  machine_free(m);
}

Test(edition, uvm_perm_sets_the_stack_and_the_guard_only) {
  struct xv6_edition ed = edition_fall2020;
  ed.uvm_perm = PTE_R | PTE_W | PTE_U;
  int slot;
  struct machine *m = after_exec(&ed, &slot);
  uint64_t pt = m->proc[slot].pagetable;
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, 0)), 0x1f, "the segment keeps segment_perm's bits");
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, PGSIZE)), 0x07, "the guard");
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, 2 * PGSIZE)), 0x17, "the stack");
  int64_t ret;
  cr_assert_eq(proc_sbrk(m, slot, PGSIZE, &ret), SIM_OK);
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, 3 * PGSIZE)), 0x17, "sbrk's page");
  machine_free(m);
}

Test(edition, two_stack_pages_put_the_guard_one_page_lower) {
  struct xv6_edition ed = edition_fall2020;
  ed.ustack_pages = 2;
  int slot;
  struct machine *m = after_exec(&ed, &slot);
  uint64_t pt = m->proc[slot].pagetable;
  cr_assert_eq(m->proc[slot].sz, 4 * PGSIZE);
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, PGSIZE)), 0x0f, "the guard");
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, 2 * PGSIZE)), 0x1f);
  cr_assert_eq(PTE_FLAGS(leaf(m, pt, 3 * PGSIZE)), 0x1f);
  machine_free(m);
}

Test(edition, a_kexec_first_process_has_no_initcode_page) {
  struct xv6_edition ed = edition_fall2020;
  ed.first_proc = EDITION_FIRST_KEXEC;
  struct machine *m = edition_machine(&ed), *stock = edition_machine(&edition_fall2020);
  int slot, stock_slot;
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(kvm_boot(stock), SIM_OK);
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
  cr_assert_eq(proc_userinit(stock, &stock_slot), SIM_OK);
  cr_assert_eq(m->proc[slot].sz, 0);
  cr_assert_eq(leaf(m, m->proc[slot].pagetable, 0), 0);
  cr_assert_eq(m->kmem.nfree, stock->kmem.nfree + 3, "initcode's page and its two tables");
  cr_assert_eq(m->proc[slot].state, RUNNABLE);
  machine_free(m);
  machine_free(stock);
}

// sbrk(0) by a process whose size is 2 GiB: what sys_sbrk returns.
static int64_t sbrk0_at_2gib(const struct xv6_edition *ed) {
  struct machine *m = edition_machine(ed);
  int slot;
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
  m->proc[slot].sz = 0x80000000ULL; // only sys_sbrk's arithmetic reads it
  int64_t ret;
  cr_assert_eq(proc_sbrk(m, slot, 0, &ret), SIM_OK);
  m->proc[slot].sz = PGSIZE;
  machine_free(m);
  return ret;
}

Test(edition, growproc_width_decides_sbrks_sign_from_2_gib) {
  cr_assert_eq(sbrk0_at_2gib(&edition_fall2020), INT32_MIN, "2020's int addr");
  struct xv6_edition ed = edition_fall2020;
  ed.growproc_bits = 64;
  cr_assert_eq(sbrk0_at_2gib(&ed), 0x80000000LL);
}

Test(edition, fall_2020_offers_the_three_kernel_table_modes) {
  cr_assert(edition_offers_kpt(&edition_fall2020, KPT_GLOBAL));
  cr_assert(edition_offers_kpt(&edition_fall2020, KPT_PER_PROCESS));
  cr_assert(edition_offers_kpt(&edition_fall2020, KPT_PER_PROCESS_USER));
  struct xv6_edition ed = edition_fall2020;
  ed.kpt_modes = 1u << KPT_GLOBAL;
  cr_assert(!edition_offers_kpt(&ed, KPT_PER_PROCESS));
  cr_assert(!edition_offers_kpt(&ed, -1));
}

Test(edition, a_config_without_an_edition_is_refused) {
  struct config cfg;
  config_defaults(&cfg);
  cfg.edition = NULL;
  char err[128];
  cr_assert_null(machine_new(&cfg, err, sizeof(err)));
  cr_assert_str_eq(err, "no xv6 edition chosen");
}

Test(edition, messages_name_the_editions_kernel_functions) {
  struct xv6_edition ed = edition_fall2020;
  ed.names.uvminit = "uvmfirst";
  const struct xv6_edition *eds[] = {&edition_fall2020, &ed};
  const char *want[] = {"uvminit: kalloc returned 0 and xv6 writes to it",
                        "uvmfirst: kalloc returned 0 and xv6 writes to it"};
  for (int i = 0; i < 2; i++) {
    struct machine *m = edition_machine(eds[i]);
    int slot;
    cr_assert_eq(kvm_boot(m), SIM_OK);
    // allocproc takes the trapframe, proc_pagetable the root and two tables: the 5th
    // kalloc is uvminit's page.
    m->kmem.failat = 5;
    cr_assert_eq(proc_userinit(m, &slot), SIM_PANIC);
    cr_assert_str_eq(m->panic_detail, want[i]);
    machine_free(m);
  }
}

// ---- the editions of 2021-2025 (../shared/EDITIONS.md's table) ----

static const struct {
  int year;
  uint64_t pool;      // pages kinit frees with the default end
  uint64_t kvm;       // kvminit/kvmmake's table pages
  uint64_t boot_free; // after boot (stacks and device pages taken)
  bool clint;
  uint64_t plic_size;
  uint64_t trampoline;
} facts[] = {
    {2020, 32728, 73, 32728 - 73 - 64, true, 0x400000, 0x80007000},
    {2021, 32729, 72, 32729 - 72 - 64, false, 0x400000, 0x80007000},
    {2022, 32734, 72, 32734 - 72 - 64 - 3, false, 0x400000, 0x80007000},
    {2023, 32734, 72, 32734 - 72 - 64 - 3, false, 0x400000, 0x80007000},
    {2024, 32735, 102, 32735 - 102 - 64 - 3, false, 0x4000000, 0x80006000},
    {2025, 32735, 102, 32735 - 102 - 64 - 3, false, 0x4000000, 0x80006000},
};

Test(edition, every_year_boots_to_its_tables_free_counts_and_devices) {
  for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
    const struct xv6_edition *ed = edition_of_year(facts[i].year);
    cr_assert_not_null(ed, "%d", facts[i].year);
    cr_assert_eq(ed->year, facts[i].year);
    // From 2021 kvmmake's proc_mapstacks takes the 64 stacks inside kvminit.
    cr_assert_eq(kvminit_pages(ed), facts[i].kvm + (ed->year >= 2021 ? 64 : 0), "%d",
                 ed->year);
    struct machine *m = edition_machine(ed);
    kmem_kinit(m);
    cr_assert_eq(m->kmem.nfree, facts[i].pool, "%d: %lu after kinit", ed->year,
                 (unsigned long)m->kmem.nfree);
    machine_free(m);
    m = edition_machine(ed);
    cr_assert_eq(kvm_boot(m), SIM_OK);
    cr_assert_eq(m->kmem.nfree, facts[i].boot_free, "%d: %lu after boot", ed->year,
                 (unsigned long)m->kmem.nfree);
    uint64_t kpt = m->kernel_pagetable;
    cr_assert_eq(leaf(m, kpt, CLINT) != 0, facts[i].clint, "%d: CLINT", ed->year);
    cr_assert_neq(leaf(m, kpt, PLIC + facts[i].plic_size - PGSIZE), 0, "%d", ed->year);
    // 2024's PLIC ends where UART0 begins; the smaller one ends in a hole.
    if (facts[i].plic_size == 0x400000)
      cr_assert_eq(leaf(m, kpt, PLIC + facts[i].plic_size), 0, "%d: PLIC's end", ed->year);
    else
      cr_assert_eq(leaf(m, kpt, PLIC + 0x400000), PA2PTE(PLIC + 0x400000) | 0x7, "%d",
                   ed->year);
    cr_assert_eq(PTE2PA(leaf(m, kpt, TRAMPOLINE)), facts[i].trampoline, "%d", ed->year);
    cr_assert_eq(m->ndevice_pages, ed->year >= 2022 ? 3u : 0u, "%d", ed->year);
    for (unsigned k = 0; k < m->ndevice_pages; k++)
      cr_assert_eq(m->device_pages[k], 0x87fff000 - (facts[i].kvm + 64 + k) * PGSIZE,
                   "%d: ring %u comes after the stacks", ed->year, k);
    machine_free(m);
  }
  cr_assert_null(edition_of_year(2019));
  cr_assert_null(edition_of_year(2026));
}

Test(edition, segment_permissions_come_from_p_flags_from_2022) {
  const uint32_t rx = 4 | 1, rw = 4 | 2;
  cr_assert_eq(edition_fall2021.segment_perm(rx), 0x1e, "2021 links -N: RWXU");
  cr_assert_eq(edition_fall2021.uvm_perm, 0x1e);
  for (int y = 2022; y <= 2025; y++) {
    const struct xv6_edition *ed = edition_of_year(y);
    cr_assert_eq(ed->segment_perm(rx), PTE_R | PTE_X | PTE_U, "%d text", y);
    cr_assert_eq(ed->segment_perm(rw), PTE_R | PTE_W | PTE_U, "%d data", y);
    cr_assert_eq(ed->uvm_perm, PTE_R | PTE_W | PTE_U, "%d", y);
    cr_assert_eq(ed->growproc_bits, 64u);
  }
  cr_assert_eq(edition_fall2021.growproc_bits, 32u);
}

Test(edition, names_of_2025_are_the_k_names) {
  cr_assert_str_eq(edition_fall2025.names.exec, "kexec");
  cr_assert_str_eq(edition_fall2025.names.fork, "kfork");
  cr_assert_str_eq(edition_fall2025.names.exit, "kexit");
  cr_assert_str_eq(edition_fall2025.names.wait, "kwait");
  cr_assert_str_eq(edition_fall2025.names.kill, "kkill");
  cr_assert_str_eq(edition_fall2024.names.exec, "exec");
  cr_assert_str_eq(edition_fall2022.names.uvminit, "uvmfirst");
}

Test(edition, fall_2025s_first_exec_takes_no_argument_page_and_frees_three) {
  struct machine *m = edition_machine(&edition_fall2025);
  int slot;
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
  uint64_t before = m->kmem.nfree, len;
  uint8_t *image = exec_synthetic_image(PGSIZE, &len);
  char *argv[] = {"/init"};
  struct exec_result res;
  cr_assert_eq(exec_sys_exec(m, slot, image, len, "/init", 1, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, 1, "kexec: %s", res.why);
  // 3 table pages, the page and its 2 tables, guard and stack: 8 taken; 3 freed.
  cr_assert_eq(m->kmem.nfree, before - 8 + 3);
  cr_assert_eq(m->proc[slot].pagetable, 0x87f52000, "root right below userinit's 4 pages");
  // The second exec is a system call again: one argument page, taken and given back.
  before = m->kmem.nfree;
  uint64_t head = m->kmem.freelist;
  cr_assert_eq(exec_sys_exec(m, slot, image, len, "/init", 1, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, 1);
  cr_assert_eq(m->proc[slot].pagetable, head - PGSIZE, "the root is below the argv page");
  cr_assert_eq(m->kmem.nfree, before);
  free(image);
  machine_free(m);
}

Test(edition, fall_2025s_first_kexec_failing_panics_exec) {
  struct machine *m = edition_machine(&edition_fall2025);
  int slot;
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
  const uint8_t junk[64] = {0};
  char *argv[] = {"/init"};
  struct exec_result res;
  cr_assert_eq(exec_sys_exec(m, slot, junk, sizeof(junk), "/init", 1, argv, &res), SIM_PANIC);
  cr_assert_str_eq(m->panic_msg, "exec");
  machine_free(m);
}

Test(edition, set_edition_takes_its_symbols_unless_a_kernel_gave_them) {
  struct machine *m = edition_machine(&edition_fall2020);
  char err[256];
  cr_assert_eq(machine_set_edition(m, &edition_fall2024, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(m->cfg.end, 0x80020cb0);
  cr_assert_eq(m->cfg.trampoline, 0x80006000);
  cr_assert_eq(machine_set_kernel(m, 0x80009000, 0x8002a010, 0x80008000, err, sizeof(err)), 0);
  cr_assert_eq(machine_set_edition(m, &edition_fall2021, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(m->cfg.edition, &edition_fall2021);
  cr_assert_eq(m->cfg.end, 0x8002a010, "the kernel's end stays");
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(machine_set_edition(m, &edition_fall2022, err, sizeof(err)), -1);
  cr_assert_str_eq(err, "the edition is chosen before 'boot' ('reset' for a fresh machine)");
  machine_free(m);
  m = edition_machine(&edition_fall2020);
  m->cfg.kpt = KPT_PER_PROCESS;
  cr_assert_eq(machine_set_edition(m, &edition_fall2021, err, sizeof(err)), -1);
  cr_assert_str_eq(err, "fall 2021 (6.1810)'s lab has no kernel-table mode per-process");
  machine_free(m);
}

// kallocs that exec of a segment at vaddr 0x10 makes before it fails, in edition ed.
static uint64_t kallocs_of_misaligned_exec(const struct xv6_edition *ed) {
  struct machine *m = edition_machine(ed);
  int slot;
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
  uint64_t len, before = m->kmem.nkalloc, nfree = m->kmem.nfree;
  uint8_t *image = exec_synthetic_image(PGSIZE, &len);
  image[ELFHDR_SIZE + 16] = 0x10; // p_vaddr
  char *argv[] = {"x"};
  struct exec_result res;
  cr_assert_eq(exec_sys_exec(m, slot, image, len, "x", 1, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, -1);
  cr_assert_eq(m->kmem.nfree, nfree, "%d: all given back", ed->year);
  uint64_t n = m->kmem.nkalloc - before;
  free(image);
  machine_free(m);
  return n;
}

Test(edition, a_misaligned_segment_fails_before_uvmalloc_from_2022) {
  // argv, the new table's root, level-1, level-0; 2021's uvmalloc(0, 0x1010) then maps
  // va 0 and 0x1000 and their two tables before exec looks at the alignment.
  cr_assert_eq(kallocs_of_misaligned_exec(&edition_fall2021), 8);
  cr_assert_eq(kallocs_of_misaligned_exec(&edition_fall2022), 4);
}
