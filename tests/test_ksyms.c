#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/xv6/ksyms.h"

// tests/data/kernel/ (see its build.sh): kernel-2020-like.elf defines kvminit, uvminit and
// exec; kernel-2025-like.elf kvmmake, kvminit and kexec; both put the trampoline at
// 0x80008000, etext at 0x80009000 and end at 0x8002a010; kernel-stripped.elf has no
// symbol table.
static uint8_t *slurp(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/kernel/%s", TEST_DATA, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  static uint8_t buf[1 << 16];
  *len = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  uint8_t *copy = malloc(*len);
  memcpy(copy, buf, *len);
  return copy;
}

static int read_file(const char *name, struct kernel_syms *ks, char *err) {
  size_t len;
  uint8_t *d = slurp(name, &len);
  int r = ksyms_read(d, len, ks, err, 256);
  free(d);
  return r;
}

Test(ksyms, reads_etext_end_and_trampoline_from_the_symbol_table) {
  struct kernel_syms ks;
  char err[256];
  cr_assert_eq(read_file("kernel-2020-like.elf", &ks, err), 0, "%s", err);
  cr_assert_eq(ks.etext, 0x80009000, "etext 0x%lx", ks.etext);
  cr_assert_eq(ks.end, 0x8002a010, "end 0x%lx", ks.end);
  cr_assert_eq(ks.trampoline, 0x80008000, "trampoline 0x%lx", ks.trampoline);
}

Test(ksyms, a_kernel_with_uvminit_kvminit_and_exec_is_2020s) {
  struct kernel_syms ks;
  char err[256];
  cr_assert_eq(read_file("kernel-2020-like.elf", &ks, err), 0, "%s", err);
  cr_assert_eq(ks.years, 1u, "years mask 0x%x", ks.years);
  cr_assert(ksyms_fits_year(&ks, 2020) && !ksyms_fits_year(&ks, 2021));
}

Test(ksyms, a_kernel_with_kexec_is_2025s) {
  struct kernel_syms ks;
  char err[256];
  cr_assert_eq(read_file("kernel-2025-like.elf", &ks, err), 0, "%s", err);
  cr_assert_eq(ks.years, 1u << 5, "years mask 0x%x", ks.years);
  cr_assert(!ksyms_fits_year(&ks, 2020) && ksyms_fits_year(&ks, 2025));
}

Test(ksyms, a_stripped_kernel_is_refused_with_the_reason) {
  struct kernel_syms ks;
  char err[256];
  cr_assert_eq(read_file("kernel-stripped.elf", &ks, err), -1);
  cr_assert(strstr(err, "no symbol table") != NULL, "%s", err);
}

Test(ksyms, a_file_that_is_not_elf_is_refused) {
  struct kernel_syms ks;
  char err[256];
  const uint8_t text[] = "page table 0x0000000087f6e000\n..0: pte ...........................";
  cr_assert_eq(ksyms_read(text, sizeof(text), &ks, err, sizeof(err)), -1);
  cr_assert_str_eq(err, "not an ELF file");
  cr_assert_eq(ksyms_read(text, 3, &ks, err, sizeof(err)), -1, "a 3-byte file");
}

Test(ksyms, a_missing_symbol_is_named) {
  size_t len;
  uint8_t *d = slurp("kernel-2020-like.elf", &len);
  // Rename "trampoline" in the string table: the file then lacks it.
  size_t at = 0;
  while (at + sizeof("trampoline") <= len && memcmp(d + at, "trampoline", sizeof("trampoline")))
    at++;
  cr_assert(at + sizeof("trampoline") <= len, "no \"trampoline\" in the file");
  d[at] = 'T';
  struct kernel_syms ks;
  char err[256];
  cr_assert_eq(ksyms_read(d, len, &ks, err, sizeof(err)), -1);
  cr_assert(strstr(err, "lacks trampoline") != NULL, "%s", err);
  free(d);
}

Test(ksyms, an_elf_of_another_machine_is_refused) {
  size_t len;
  uint8_t *d = slurp("kernel-2020-like.elf", &len);
  d[18] = 0x3e; // EM_X86_64
  struct kernel_syms ks;
  char err[256];
  cr_assert_eq(ksyms_read(d, len, &ks, err, sizeof(err)), -1);
  cr_assert(strstr(err, "not a RISC-V ELF") != NULL, "%s", err);
  free(d);
}

Test(ksyms, section_headers_past_the_end_are_refused_not_read) {
  size_t len;
  uint8_t *d = slurp("kernel-2020-like.elf", &len);
  struct kernel_syms ks;
  char err[256];
  for (size_t cut = 64; cut < len; cut += 97) {
    int r = ksyms_read(d, cut, &ks, err, sizeof(err));
    cr_assert(r == -1 || cut >= len - 1, "truncated to %zu bytes: %d", cut, r);
  }
  free(d);
}
