#ifndef SV39SIM_KSYMS_H
#define SV39SIM_KSYMS_H
// The kernel image symbols sv39sim takes from a student's own xv6 build (--kernel ELF):
// etext, end and trampoline, read from the ELF's symbol table, and which editions'
// kernels could have that symbol table.
#include <stddef.h>
#include <stdint.h>

#define KSYMS_FIRST_YEAR 2020
#define KSYMS_LAST_YEAR 2025

struct kernel_syms {
  uint64_t etext, end, trampoline;
  // Bit (year - KSYMS_FIRST_YEAR) set: an edition of that year could have built this
  // kernel, judged by the functions it defines (kexec is 2025's; kvmmake came in 2021,
  // uvmfirst replaced uvminit in 2022). All bits set when the file says nothing.
  unsigned years;
};

// Read the symbols from data[0..len), an ELF64 little-endian RISC-V file. Returns 0, or
// -1 with a message in err that says what is wrong with the file or which symbols it
// lacks (it never guesses a value).
int ksyms_read(const uint8_t *data, size_t len, struct kernel_syms *ks, char *err,
               size_t errlen);

// The years ks->years allows, as "2021, 2022", in buf.
void ksyms_years_text(const struct kernel_syms *ks, char *buf, size_t len);

// Whether the kernel could be of that year's edition.
static inline int ksyms_fits_year(const struct kernel_syms *ks, int year) {
  return year >= KSYMS_FIRST_YEAR && year <= KSYMS_LAST_YEAR &&
         ((ks->years >> (year - KSYMS_FIRST_YEAR)) & 1u);
}

#endif
