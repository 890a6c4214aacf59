#include "helpers.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"

static struct machine *m;

static void setup(void) {
  m = test_machine();
  kmem_kinit(m);
}

static void teardown(void) {
  machine_free(m);
}

TestSuite(vmprint, .init = setup, .fini = teardown);

Test(vmprint, prints_a_hand_built_table_as_worked_out_by_hand) {
  uint64_t pt;
  cr_assert_eq(vm_uvmcreate(m, &pt), SIM_OK); // 0x87fff000
  // va 0x1000 -> 0x80100000 R|W|U: level-1 table 0x87ffe000, level-0 table 0x87ffd000.
  cr_assert_eq(vm_mappages(m, pt, 0x1000, PGSIZE, 0x80100000, PTE_R | PTE_W | PTE_U),
               SIM_OK);
  // A 1 GiB superpage leaf at root index 2, written by hand: printed, not entered.
  vm_pte_write(m, pt + 8 * 2, PA2PTE(0x80000000) | PTE_R | PTE_W | PTE_X | PTE_V);
  // An invalid entry with bits set is not printed.
  vm_pte_write(m, pt + 8 * 7, PA2PTE(0x80000000) | PTE_R);
  char *text = NULL;
  CAPTURE(text, render_vmprint(m, pt, out));
  // 0x87ffe000 >> 12 << 10 = 0x21fff800; 0x80100000 >> 12 << 10 = 0x20040000, | 0x17.
  cr_assert_str_eq(text, "page table 0x0000000087fff000\n"
                         "..0: pte 0x0000000021fff801 pa 0x0000000087ffe000\n"
                         ".. ..0: pte 0x0000000021fff401 pa 0x0000000087ffd000\n"
                         ".. .. ..1: pte 0x0000000020040017 pa 0x0000000080100000\n"
                         "..2: pte 0x000000002000000f pa 0x0000000080000000\n");
  free(text);
}

Test(vmprint, an_empty_table_is_its_header_only) {
  uint64_t pt;
  vm_uvmcreate(m, &pt);
  char *text = NULL;
  CAPTURE(text, render_vmprint(m, pt, out));
  cr_assert_str_eq(text, "page table 0x0000000087fff000\n");
  free(text);
}

Test(vmprint, does_not_follow_a_pointer_out_of_ram) {
  uint64_t pt;
  vm_uvmcreate(m, &pt);
  vm_pte_write(m, pt + 8 * 3, PA2PTE(0x10000000) | PTE_V);
  char *text = NULL;
  CAPTURE(text, render_vmprint(m, pt, out));
  cr_assert_str_eq(text, "page table 0x0000000087fff000\n"
                         "..3: pte 0x0000000004000001 pa 0x0000000010000000\n");
  free(text);
}

// A root that points at itself is printed as the walk meets it: as a level-1 and then a
// level-0 table, where Sv39's levels end.
Test(vmprint, a_root_pointing_at_itself_is_printed_three_levels_deep) {
  uint64_t pt;
  vm_uvmcreate(m, &pt);
  vm_pte_write(m, pt + 8 * 5, PA2PTE(pt) | PTE_V);
  char *text = NULL;
  CAPTURE(text, render_vmprint(m, pt, out));
  cr_assert_str_eq(text, "page table 0x0000000087fff000\n"
                         "..5: pte 0x0000000021fffc01 pa 0x0000000087fff000\n"
                         ".. ..5: pte 0x0000000021fffc01 pa 0x0000000087fff000\n"
                         ".. .. ..5: pte 0x0000000021fffc01 pa 0x0000000087fff000\n");
  free(text);
}

// The hand-built table of the first test, with a pointer in root slot 255 and one in slot
// 3, printed in edition ed's format.
static char *formatted(const struct xv6_edition *ed) {
  m->cfg.edition = ed;
  uint64_t pt;
  cr_assert_eq(vm_uvmcreate(m, &pt), SIM_OK); // 0x87fff000
  // va 0x1000 in slot 0: level-1 0x87ffe000, level-0 0x87ffd000.
  cr_assert_eq(vm_mappages(m, pt, 0x1000, PGSIZE, 0x80100000, PTE_R | PTE_W | PTE_U),
               SIM_OK);
  // TRAMPOLINE (slot 255/511/511): level-1 0x87ffc000, level-0 0x87ffb000.
  cr_assert_eq(vm_mappages(m, pt, MAXVA - PGSIZE, PGSIZE, 0x80006000, PTE_R | PTE_X),
               SIM_OK);
  // A 1 GiB leaf in slot 3, which the 2024 format prints as slot 255's va.
  vm_pte_write(m, pt + 8 * 3, PA2PTE(0xc0000000) | PTE_R | PTE_V);
  char *text = NULL;
  CAPTURE(text, render_vmprint(m, pt, out));
  return text;
}

Test(vmprint, fall_2021_puts_a_space_before_every_level) {
  char *text = formatted(&edition_fall2021);
  cr_assert_str_eq(text, "page table 0x0000000087fff000\n"
                         " ..0: pte 0x0000000021fff801 pa 0x0000000087ffe000\n"
                         " .. ..0: pte 0x0000000021fff401 pa 0x0000000087ffd000\n"
                         " .. .. ..1: pte 0x0000000020040017 pa 0x0000000080100000\n"
                         " ..3: pte 0x0000000030000003 pa 0x00000000c0000000\n"
                         " ..255: pte 0x0000000021fff001 pa 0x0000000087ffc000\n"
                         " .. ..511: pte 0x0000000021ffec01 pa 0x0000000087ffb000\n"
                         " .. .. ..511: pte 0x000000002000180b pa 0x0000000080006000\n");
  free(text);
}

// 3 << 30 and 255 << 30 are 0xc0000000 in an int's 32 bits: negative, sign-extended.
Test(vmprint, fall_2024_prints_the_root_part_of_the_va_as_a_sign_extended_int) {
  char *text = formatted(&edition_fall2024);
  cr_assert_str_eq(text,
                   "page table 0x0000000087fff000\n"
                   " ..0x0000000000000000: pte 0x0000000021fff801 pa 0x0000000087ffe000\n"
                   " .. ..0x0000000000000000: pte 0x0000000021fff401 pa 0x0000000087ffd000\n"
                   " .. .. ..0x0000000000001000: pte 0x0000000020040017 pa 0x0000000080100000\n"
                   " ..0xffffffffc0000000: pte 0x0000000030000003 pa 0x00000000c0000000\n"
                   " ..0xffffffffc0000000: pte 0x0000000021fff001 pa 0x0000000087ffc000\n"
                   " .. ..0xffffffffffe00000: pte 0x0000000021ffec01 pa 0x0000000087ffb000\n"
                   " .. .. ..0xfffffffffffff000: pte 0x000000002000180b pa 0x0000000080006000\n");
  free(text);
}

Test(vmprint, fall_2025_prints_the_va_without_sign_extension) {
  char *text = formatted(&edition_fall2025);
  cr_assert_str_eq(text,
                   "page table 0x0000000087fff000\n"
                   " ..0x0000000000000000: pte 0x0000000021fff801 pa 0x0000000087ffe000\n"
                   " .. ..0x0000000000000000: pte 0x0000000021fff401 pa 0x0000000087ffd000\n"
                   " .. .. ..0x0000000000001000: pte 0x0000000020040017 pa 0x0000000080100000\n"
                   " ..0x00000000c0000000: pte 0x0000000030000003 pa 0x00000000c0000000\n"
                   " ..0x0000003fc0000000: pte 0x0000000021fff001 pa 0x0000000087ffc000\n"
                   " .. ..0x0000003fffe00000: pte 0x0000000021ffec01 pa 0x0000000087ffb000\n"
                   " .. .. ..0x0000003ffffff000: pte 0x000000002000180b pa 0x0000000080006000\n");
  free(text);
}
