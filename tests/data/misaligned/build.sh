#!/bin/sh
# Rebuilds misaligned.elf from hello.c (../../../../shared/elf's test program) and
# misaligned.ld with Debian 12's gcc-riscv64-unknown-elf 12.2. The tests never run this:
# the ELF is committed data.
set -eu
cd "$(dirname "$0")"
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -O1 -ffreestanding -fno-pic -nostdlib \
  -static -mcmodel=medany -Wl,-T,misaligned.ld -Wl,-z,max-page-size=4096 -Wl,-e,main \
  -o misaligned.elf hello.c
