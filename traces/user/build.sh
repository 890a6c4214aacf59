#!/bin/sh
# Rebuilds the user programs of the 2024 and 2025 traces (traces/*-2024.trace,
# *-2025.trace) from init.c, sh.c and echo.c with xv6's user.ld (text R|X at 0, data R|W
# from the next page), Debian 12's gcc-riscv64-unknown-elf 12.2. The tests never run this:
# the ELFs are committed data (README.md lists their program headers).
set -eu
cd "$(dirname "$0")"
cc=riscv64-unknown-elf-gcc
flags="-march=rv64gc -mabi=lp64d -O1 -ffreestanding -fno-pic -nostdlib -static -mcmodel=medany -Wl,-T,user.ld -Wl,-z,max-page-size=4096 -Wl,-e,main"
for p in init sh echo; do
  $cc $flags -o "$p.elf" "$p.c"
done
