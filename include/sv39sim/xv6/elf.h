#ifndef SV39SIM_ELF_H
#define SV39SIM_ELF_H
// The parts of the ELF64 format that xv6's exec and sv39sim's --kernel read (xv6's
// kernel/elf.h, and the System V ABI's section and symbol tables), little-endian.
#include <stdint.h>

#define ELF_MAGIC 0x464C457FU // "\x7fELF" read as a little-endian word
#define ELF_CLASS64 2
#define ELF_DATA2LSB 1
#define ELF_MACHINE_RISCV 0xf3
#define ELF_PROG_LOAD 1
#define ELF_SHT_SYMTAB 2
#define ELF_SHN_UNDEF 0
#define ELFHDR_SIZE 64
#define PROGHDR_SIZE 56
#define SECTHDR_SIZE 64
#define SYM_SIZE 24

// The size-byte little-endian number at p (any alignment).
static inline uint64_t elf_get_le(const uint8_t *p, int size) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

#endif
