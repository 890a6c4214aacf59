#!/bin/sh
# Rebuilds the three test ELFs from kernel.c and kernel.ld (Debian 12's
# gcc-riscv64-unknown-elf 12.2). The tests never run this: the ELFs are committed data.
set -eu
cd "$(dirname "$0")"
cc=riscv64-unknown-elf-gcc
flags="-march=rv64gc -mabi=lp64d -O1 -ffreestanding -fno-pic -nostdlib -static -mcmodel=medany -Wl,-T,kernel.ld -Wl,-z,max-page-size=4096 -Wl,-e,kvminit"
$cc $flags -o kernel-2020-like.elf kernel.c
$cc $flags -DEDITION2025 -o kernel-2025-like.elf kernel.c
riscv64-unknown-elf-strip -s -o kernel-stripped.elf kernel-2020-like.elf
