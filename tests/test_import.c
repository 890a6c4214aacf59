// The vmprint reader (tools/import.h) and the comparison (tools/compare.h): what each
// format's lines become, 2024's root slots, placement that is all or nothing, and the
// shift compare reports.
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "sv39sim/tools/check.h"
#include "sv39sim/tools/compare.h"
#include "sv39sim/tools/import.h"
#include "sv39sim/xv6/kvm.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (128ULL << 20)

static int parse(const char *text, unsigned which, struct import_dump *d, char *err) {
  return import_parse("t", text, strlen(text), which, RAM_BASE, RAM_SIZE, d, err, 512);
}

Test(import, a_2024_kernel_table_names_root_slots_0_2_and_255) {
  const char *text =
      "page table 0x0000000087fff000\n"
      " ..0x0000000000000000: pte 0x0000000021fffc01 pa 0x0000000087fff000\n";
  struct import_dump d;
  char err[512];
  // The root pointing at itself is a second claim on the root page.
  cr_assert_eq(parse(text, 1, &d, err), -1);
  cr_assert(strstr(err, "t:2: table page 0x0000000087fff000 is claimed by line 1") != NULL,
            "%s", err);
  text = "page table 0x0000000087fff000\n"
         " ..0x0000000000000000: pte 0x0000000021fff801 pa 0x0000000087ffe000\n"
         " ..0xffffffff80000000: pte 0x0000000021fff401 pa 0x0000000087ffd000\n"
         " .. ..0xffffffff80200000: pte 0x000000002000004b pa 0x0000000080000000\n"
         " ..0xffffffffc0000000: pte 0x0000000021fff001 pa 0x0000000087ffc000\n";
  cr_assert_eq(parse(text, 1, &d, err), 0, "%s", err);
  cr_assert_eq(d.fmt, EDITION_VMPRINT_VA_INT);
  cr_assert_not(d.ambiguous);
  cr_assert_eq(d.nptes, 4);
  unsigned want_index[] = {0, 2, 1, 255};
  uint64_t want_va[] = {0, 0x80000000ULL, 0x80200000ULL, 0x3fc0000000ULL};
  for (size_t i = 0; i < 4; i++) {
    cr_assert_eq(d.ptes[i].index, want_index[i], "line %zu: index %u", i + 2,
                 d.ptes[i].index);
    cr_assert_eq(d.ptes[i].va, want_va[i], "line %zu: va %#lx", i + 2, d.ptes[i].va);
  }
  cr_assert_eq(d.ntables, 4, "root and three pointers' pages, %zu", d.ntables);
  import_dump_free(&d);
}

Test(import, slots_0_and_1_alone_do_not_tell_2024_from_2025) {
  const char *text = "page table 0x0000000087fff000\n"
                     " ..0x0000000040000000: pte 0x0000000021fff801 pa 0x0000000087ffe000\n";
  struct import_dump d;
  char err[512];
  cr_assert_eq(parse(text, 1, &d, err), 0, "%s", err);
  cr_assert(d.ambiguous);
  cr_assert_str_eq(import_format_name(&d), "2024 or 2025");
  cr_assert_eq(d.ptes[0].index, 1);
  import_dump_free(&d);
}

Test(import, noise_and_several_dumps_are_counted_and_picked) {
  const char *text = "hart 1 starting\n"
                     "$ exec page table 0x0000000087f00000\n"
                     "..0: pte 0x0000000021fc0401 pa 0x0000000087f01000\n"
                     "init: starting sh\n"
                     "page table 0x0000000087e00000\r\n"
                     " ..0: pte 0x0000000021f80401 pa 0x0000000087e01000\r\n";
  unsigned lines[4];
  cr_assert_eq(import_count(text, strlen(text), lines, 4), 2);
  cr_assert_eq(lines[0], 2);
  cr_assert_eq(lines[1], 5);
  struct import_dump d;
  char err[512];
  cr_assert_eq(parse(text, 2, &d, err), 0, "%s", err);
  cr_assert_eq(d.root, 0x87e00000ULL);
  cr_assert_eq(d.fmt, EDITION_VMPRINT_DOTS_SPACED);
  cr_assert_eq(d.header_line, 5);
  cr_assert_eq(d.last_line, 6);
  import_dump_free(&d);
  cr_assert_eq(parse(text, 3, &d, err), -1);
  cr_assert_str_eq(err, "t: holds 2 dumps, no dump 3");
}

Test(import, a_booted_machine_takes_nothing_when_one_table_page_is_in_use) {
  struct machine *m = test_machine();
  cr_assert_eq(kvm_boot(m), SIM_OK);
  uint64_t nfree = m->kmem.nfree, head = m->kmem.freelist;
  // The root is free; its child is the kernel table's root, which the kernel uses.
  const char *text = "page table 0x0000000087000000\n"
                     "..0: pte 0x0000000021fffc01 pa 0x0000000087fff000\n";
  struct import_dump d;
  char err[512];
  cr_assert_eq(parse(text, 1, &d, err), 0, "%s", err);
  uint64_t before;
  ram_load(&m->hw.ram, 0x87000000ULL, 8, &before);
  cr_assert_eq(import_place(m, "t", &d, err, sizeof(err)), -1);
  cr_assert(strstr(err, "t:2: table page 0x0000000087fff000 is a page the machine uses") !=
            NULL, "%s", err);
  uint64_t after;
  ram_load(&m->hw.ram, 0x87000000ULL, 8, &after);
  cr_assert_eq(after, before, "the free root page was written: %#lx", after);
  cr_assert_eq(m->kmem.nfree, nfree);
  cr_assert_eq(m->kmem.freelist, head);
  cr_assert_eq(m->nheld, 0);
  import_dump_free(&d);
  machine_free(m);
}

Test(import, a_booted_import_leaves_check_clean) {
  struct machine *m = test_machine();
  cr_assert_eq(kvm_boot(m), SIM_OK);
  uint64_t nfree = m->kmem.nfree, head = m->kmem.freelist;
  // The free list's head and a page deep in it.
  char text[256];
  snprintf(text, sizeof(text),
           "page table 0x%016llx\n..0: pte 0x0000000021c00001 pa 0x0000000087000000\n",
           (unsigned long long)head);
  struct import_dump d;
  char err[512];
  cr_assert_eq(parse(text, 1, &d, err), 0, "%s", err);
  cr_assert_eq(import_place(m, "t", &d, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(m->kmem.nfree, nfree - 2);
  cr_assert_neq(m->kmem.freelist, head);
  struct check_report r;
  cr_assert_eq(check_machine(m, &r), 0);
  cr_assert_eq(r.nproblems, 0, "first: %s", r.nlisted ? r.problem[0].what : "");
  cr_assert_eq(r.count[CHECK_HELD], 2);
  uint64_t pte;
  ram_load(&m->hw.ram, head, 8, &pte);
  cr_assert_eq(pte, 0x21c00001ULL, "the root's entry 0 reads %#lx", pte);
  import_dump_free(&d);
  machine_free(m);
}

Test(compare, a_dump_one_page_lower_is_the_same_shape_shifted_by_minus_one) {
  const char *ours = "page table 0x0000000087f6e000\n"
                     "..0: pte 0x0000000021fda801 pa 0x0000000087f6a000\n"
                     ".. ..0: pte 0x0000000021fda401 pa 0x0000000087f69000\n"
                     ".. .. ..0: pte 0x0000000020001c0b pa 0x0000000080007000\n";
  const char *theirs = "page table 0x0000000087f6d000\n"
                       "..0: pte 0x0000000021fda401 pa 0x0000000087f69000\n"
                       ".. ..0: pte 0x0000000021fda001 pa 0x0000000087f68000\n"
                       ".. .. ..0: pte 0x0000000020001c0b pa 0x0000000080007000\n";
  struct import_dump a, b;
  char err[512];
  cr_assert_eq(parse(theirs, 1, &a, err), 0, "%s", err);
  cr_assert_eq(parse(ours, 1, &b, err), 0, "%s", err);
  struct compare_report r;
  cr_assert_eq(compare_dumps(&a, &b, &r), 0);
  cr_assert(r.same_shape);
  cr_assert_not(r.identical);
  cr_assert(r.one_shift);
  cr_assert_eq(r.shift, -1, "shift %ld", (long)r.shift);
  cr_assert_eq(r.nother_pa, 3);
  cr_assert_eq(r.nsame_pa, 1);
  compare_free(&r);
  // The other way round, +1; against itself, identical.
  cr_assert_eq(compare_dumps(&b, &a, &r), 0);
  cr_assert_eq(r.shift, 1);
  compare_free(&r);
  cr_assert_eq(compare_dumps(&a, &a, &r), 0);
  cr_assert(r.identical);
  compare_free(&r);
  import_dump_free(&a);
  import_dump_free(&b);
}

Test(compare, an_entry_missing_under_a_pointer_is_listed_once_with_its_subtree) {
  const char *full = "page table 0x0000000087f6e000\n"
                     "..0: pte 0x0000000021fda801 pa 0x0000000087f6a000\n"
                     ".. ..0: pte 0x0000000021fda401 pa 0x0000000087f69000\n"
                     ".. .. ..0: pte 0x0000000021fdac1f pa 0x0000000087f6b000\n"
                     "..255: pte 0x0000000021fdb401 pa 0x0000000087f6d000\n";
  const char *part = "page table 0x0000000087f6e000\n"
                     "..255: pte 0x0000000021fdb401 pa 0x0000000087f6d000\n";
  struct import_dump a, b;
  char err[512];
  cr_assert_eq(parse(full, 1, &a, err), 0, "%s", err);
  cr_assert_eq(parse(part, 1, &b, err), 0, "%s", err);
  struct compare_report r;
  cr_assert_eq(compare_dumps(&a, &b, &r), 0);
  cr_assert_eq(r.ndiffs, 1, "%zu diffs", r.ndiffs);
  cr_assert_eq(r.diffs[0].kind, COMPARE_ONLY_A);
  cr_assert_eq(r.diffs[0].level, 2);
  compare_free(&r);
  import_dump_free(&a);
  import_dump_free(&b);
}
