// --kernel: the kernel image symbols of a student's own xv6 build, from its ELF symbol
// table. Every offset and count in the file is checked against its length before use.
#include "sv39sim/xv6/ksyms.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sv39sim/xv6/elf.h"

// What the symbol table holds that sv39sim wants: the three addresses, and the function
// names that tell editions apart.
enum { SYM_ETEXT, SYM_END, SYM_TRAMPOLINE, SYM_KEXEC, SYM_EXEC, SYM_KVMMAKE, SYM_KVMINIT,
       SYM_UVMFIRST, SYM_UVMINIT, NSYMS };
static const char *const wanted[NSYMS] = {"etext", "end", "trampoline", "kexec", "exec",
                                          "kvmmake", "kvminit", "uvmfirst", "uvminit"};

struct found {
  bool have[NSYMS], global[NSYMS];
  uint64_t value[NSYMS];
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

// Whether [off, off + n) lies inside a file of len bytes.
static bool inside(size_t len, uint64_t off, uint64_t n) {
  return off <= len && n <= len - off;
}

// Record the defined symbols of the symbol table at sh (a section header) whose names
// sv39sim wants. Returns 0, or -1 with err set when the table or its names lie outside
// the file.
static int scan_symtab(const uint8_t *d, size_t len, const uint8_t *sh, uint64_t shoff,
                       uint64_t shnum, struct found *f, char *err, size_t errlen) {
  uint64_t off = elf_get_le(sh + 24, 8), size = elf_get_le(sh + 32, 8);
  uint64_t link = elf_get_le(sh + 40, 4);
  if (!inside(len, off, size) || link >= shnum)
    return fail(err, errlen, "its symbol table lies outside the file");
  const uint8_t *strsh = d + shoff + link * SECTHDR_SIZE;
  uint64_t stroff = elf_get_le(strsh + 24, 8), strsize = elf_get_le(strsh + 32, 8);
  if (!inside(len, stroff, strsize))
    return fail(err, errlen, "its symbol names lie outside the file");
  const char *names = (const char *)d + stroff;
  for (uint64_t s = 0; s + SYM_SIZE <= size; s += SYM_SIZE) {
    const uint8_t *sym = d + off + s;
    uint64_t name = elf_get_le(sym, 4);
    if (elf_get_le(sym + 6, 2) == ELF_SHN_UNDEF || name >= strsize)
      continue;
    size_t n = strnlen(names + name, strsize - name);
    bool global = sym[4] >> 4 != 0; // STB_GLOBAL or STB_WEAK: a local never hides one
    for (int k = 0; k < NSYMS; k++) {
      if (n != strlen(wanted[k]) || memcmp(names + name, wanted[k], n) != 0 ||
          (f->have[k] && f->global[k] && !global))
        continue;
      f->have[k] = true;
      f->global[k] = global;
      f->value[k] = elf_get_le(sym + 8, 8);
    }
  }
  return 0;
}

// Keep the years whose kernels define (or lack) the function present says they do.
static unsigned years_from(const struct found *f) {
  unsigned all = (1u << (KSYMS_LAST_YEAR - KSYMS_FIRST_YEAR + 1)) - 1, y = all;
  unsigned y2025 = 1u << (2025 - KSYMS_FIRST_YEAR), y2020 = 1u << 0;
  unsigned from2022 = all & ~((1u << (2022 - KSYMS_FIRST_YEAR)) - 1);
  if (f->have[SYM_KEXEC])
    y &= y2025;
  else if (f->have[SYM_EXEC])
    y &= ~y2025;
  if (f->have[SYM_KVMMAKE])
    y &= ~y2020;
  else if (f->have[SYM_KVMINIT])
    y &= y2020;
  if (f->have[SYM_UVMFIRST])
    y &= from2022;
  else if (f->have[SYM_UVMINIT])
    y &= ~from2022;
  return y != 0 ? y : all; // contradictory names say nothing
}

int ksyms_read(const uint8_t *d, size_t len, struct kernel_syms *ks, char *err,
               size_t errlen) {
  if (len < ELFHDR_SIZE || elf_get_le(d, 4) != ELF_MAGIC)
    return fail(err, errlen, "not an ELF file");
  if (d[4] != ELF_CLASS64 || d[5] != ELF_DATA2LSB)
    return fail(err, errlen, "not a 64-bit little-endian ELF file");
  if (elf_get_le(d + 18, 2) != ELF_MACHINE_RISCV)
    return fail(err, errlen, "not a RISC-V ELF file (e_machine %u)",
                (unsigned)elf_get_le(d + 18, 2));
  uint64_t shoff = elf_get_le(d + 40, 8), shentsize = elf_get_le(d + 58, 2);
  uint64_t shnum = elf_get_le(d + 60, 2);
  if (shnum == 0 || shentsize != SECTHDR_SIZE || !inside(len, shoff, shnum * SECTHDR_SIZE))
    return fail(err, errlen, "its section headers are missing or lie outside the file");
  struct found f = {0};
  bool symtab = false;
  for (uint64_t i = 0; i < shnum; i++) {
    const uint8_t *sh = d + shoff + i * SECTHDR_SIZE;
    if (elf_get_le(sh + 4, 4) != ELF_SHT_SYMTAB)
      continue;
    symtab = true;
    if (scan_symtab(d, len, sh, shoff, shnum, &f, err, errlen) != 0)
      return -1;
  }
  if (!symtab)
    return fail(err, errlen, "it has no symbol table (a stripped kernel? use the kernel "
                             "that make builds, kernel/kernel)");
  char missing[64] = "";
  for (int k = SYM_ETEXT; k <= SYM_TRAMPOLINE; k++) {
    if (!f.have[k])
      snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
               missing[0] ? ", " : "", wanted[k]);
  }
  if (missing[0] != '\0')
    return fail(err, errlen, "its symbol table lacks %s (is it an xv6 kernel?)", missing);
  *ks = (struct kernel_syms){.etext = f.value[SYM_ETEXT], .end = f.value[SYM_END],
                             .trampoline = f.value[SYM_TRAMPOLINE], .years = years_from(&f)};
  return 0;
}

void ksyms_years_text(const struct kernel_syms *ks, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = '\0';
  for (int y = KSYMS_FIRST_YEAR; y <= KSYMS_LAST_YEAR && n < len; y++) {
    if (ksyms_fits_year(ks, y))
      n += (size_t)snprintf(buf + n, len - n, "%s%d", n ? ", " : "", y);
  }
}
