#!/usr/bin/env bash
# run.sh SV39SIM DATA_DIR
# Hostile input: each case feeds sv39sim something a user might download or type by
# mistake and asserts the exact stderr (a FILE:LINE message, no sanitizer report), the
# exit status (0 ok, 1 a command failed, 2 usage or an unreadable trace, 3 the simulated
# kernel panicked) and, where the answer is on stdout, the line that gives it. Each run
# has a time limit, so a hang fails. The big and binary inputs are made here, in a
# temporary folder, never committed; malformed ELFs are cut from DATA_DIR's real ones.
set -u
sim=$(realpath "$1") data=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
failed=0 ran=0

# expect NAME STATUS STDERR STDOUT_LINE -- ARGS...: STDOUT_LINE ('' for none) must be a
# whole line of stdout.
expect() {
  local name=$1 want_status=$2 want_err=$3 want_line=$4
  shift 5
  ran=$((ran + 1))
  timeout 60 "$sim" "$@" >out 2>err
  local status=$? bad=
  if ((status == 124)); then
    bad="timed out (a hang)"
  elif ((status > 128)); then
    bad="killed by signal $((status - 128))"
  elif ((status != want_status)); then
    bad="exit status $status, want $want_status"
  elif [[ $(<err) != "$want_err" ]]; then
    bad="stderr differs: $(diff <(printf '%s\n' "$want_err") err)"
  elif [[ -n $want_line ]] && ! grep -qxF -- "$want_line" out; then
    bad="stdout has no line '$want_line': $(head -c 2000 out)"
  fi
  if [[ -n $bad ]]; then
    echo "FAIL $name: $bad"
    failed=$((failed + 1))
  fi
}

# ---- inputs, made at test time ----
python3 - "$data" <<'EOF'
import struct, sys
data = sys.argv[1]
# Binary garbage: an ELF header's first bytes (someone replays a program), then a fixed
# pseudo-random byte stream (an LCG).
x, out = 12345, bytearray(b'\x7fELF\x02\x01\x01\x00')
for _ in range(65536):
    x = (1103515245 * x + 12345) % 2**31
    out.append(x >> 16 & 0xff)
open('garbage.bin', 'wb').write(out)
# Control characters and punctuation, no NUL, newline, blank or '#'.
open('ctl.trace', 'wb').write(bytes(b for b in range(1, 128) if b not in b'\t\n\v\f\r #') + b'\n')
# High bytes that are not UTF-8.
open('high.trace', 'wb').write(b'\xff\xfe\xc3\x28 1\n')
open('nul.trace', 'wb').write(b'boot\nuser\0init\nfree\n')
open('long.trace', 'w').write('boot\n' + 'x' * (10 << 20) + '\nfree\n')
open('long-cmd.trace', 'w').write('peek ' + '7' * (10 << 20) + '\n')
open('garbage.lackey', 'w').write('I  00000000,4\nthis is no trace\n')
open('binary.lackey', 'wb').write(b'\x01\x02\x7f\xfe,\n')
open('long.lackey', 'w').write(' L ' + '0' * 100000 + ',4\n')
open('wide.lackey', 'w').write(' L 1ffff00000000000,8\n')
open('noncanon.lackey', 'w').write(' L 4000000000,8\n')

# Malformed ELFs from a real one: two PT_LOAD segments, text at va 0, data at 0x1000.
elf = open(data + '/two-segments.elf', 'rb').read()
def phdr(b, i, **kw):
    b = bytearray(b)
    off = 64 + 56 * i
    names = ('type', 'flags', 'off', 'vaddr', 'paddr', 'filesz', 'memsz', 'align')
    f = dict(zip(names, struct.unpack_from('<IIQQQQQQ', b, off)))
    f.update(kw)
    struct.pack_into('<IIQQQQQQ', b, off, *(f[n] for n in names))
    return bytes(b)
open('short-header.elf', 'wb').write(elf[:40])
open('short-phdrs.elf', 'wb').write(elf[:64 + 56 + 20])
open('short-data.elf', 'wb').write(elf[:0x2002])
open('overlap.elf', 'wb').write(phdr(elf, 1, vaddr=0, memsz=0x1778))
open('maxva.elf', 'wb').write(phdr(elf, 1, vaddr=(1 << 38) - 0x1000, memsz=0x3000))
open('past-maxva.elf', 'wb').write(phdr(elf, 1, vaddr=1 << 38, memsz=0x1000))
open('wrap.elf', 'wb').write(phdr(elf, 1, vaddr=2**64 - 0x1000, memsz=0x2000))
b = bytearray(elf); struct.pack_into('<H', b, 56, 0xffff)
open('many-phdrs.elf', 'wb').write(b)
EOF
mkdir adir
boot='boot; userinit'

# ---- traces that are no traces ----
head -c 4096 "$data/kernel/kernel-2020-like.elf" >cut.elf
# --kernel and `kernel` take only a RISC-V ELF64 kernel with a symbol table (exit 2 for the
# option, 1 for the command), naming the file and what is wrong.
expect kernel-garbage 2 "sv39sim: --kernel: 'garbage.bin': not a RISC-V ELF file (e_machine 7084)" '' \
  -- --kernel garbage.bin -e boot
expect kernel-text 2 "sv39sim: --kernel: 'ctl.trace': not an ELF file" '' -- --kernel ctl.trace
expect kernel-missing 2 "sv39sim: --kernel: cannot open 'nothere.elf': No such file or directory" \
  '' -- --kernel nothere.elf
expect kernel-truncated 1 "sv39sim: -e:1: kernel: 'cut.elf': its section headers are missing or lie outside the file" \
  '' -- -e 'kernel cut.elf'
# --edition and `edition`: a year sv39sim has, before boot; --version names it in any order.
expect edition-unknown 2 "sv39sim: --edition: '2019' is not an xv6 edition (2020 to 2025)" '' \
  -- --edition 2019 -e boot
expect edition-word 2 "sv39sim: --edition: 'fall' is not an xv6 edition (2020 to 2025)" '' \
  -- --edition fall
expect edition-version 0 '' "simulated kernel: xv6 fall 2024 (6.1810)" -- --version --edition 2024
expect edition-version-default 0 '' "simulated kernel: xv6 fall 2020 (6.S081)" -- --version
expect edition-after-boot 1 "sv39sim: -e:2: edition: the edition is chosen before 'boot' ('reset' for a fresh machine)" \
  "boot: kernel page table 0x0000000087fff000, 32591 pages free" -- -e 'boot; edition 2021'
expect edition-no-year 1 "sv39sim: -e:1: edition: no xv6 edition of 2026 (2020 to 2025: the fall terms)" '' \
  -- -e 'edition 2026'
expect edition-mode 1 "sv39sim: -e:2: edition: fall 2022 (6.1810)'s lab has no kernel-table mode per-process" \
  '' -- -e 'mode per-process; edition 2022'
expect mode-edition 1 "sv39sim: -e:2: mode: fall 2022 (6.1810)'s lab has no kernel-table mode per-process (the per-process kernel tables are fall 2020's lab)" \
  '' -- -e 'edition 2022; mode per-process'
expect edition-kernel-warns 0 "sv39sim: --kernel: warning: '$data/kernel/kernel-2025-like.elf' has the functions of an xv6 kernel of 2025, not of the simulated edition (fall 2024 (6.1810))" \
  '' -- --edition 2024 --kernel "$data/kernel/kernel-2025-like.elf"
expect garbage 1 "sv39sim: garbage.bin:1: line contains a NUL byte (is this a trace file?)" '' -- garbage.bin
expect nul-byte 1 "sv39sim: nul.trace:2: line contains a NUL byte (is this a trace file?)" \
  "boot: kernel page table 0x0000000087fff000, 32591 pages free" -- nul.trace
expect control-chars 1 \
  "sv39sim: ctl.trace:1: unknown command '\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f!\"\$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_\`abcdefghijklmnopqrstuvwxyz{|}~\\x7f' ('help' lists them)" \
  '' -- ctl.trace
expect 10MB-line 1 "sv39sim: long.trace:2: line longer than 1 MiB" \
  "boot: kernel page table 0x0000000087fff000, 32591 pages free" -- long.trace
expect 10MB-line-keep-going 1 "sv39sim: long.trace:2: line longer than 1 MiB" "free: 32591 pages" \
  -- -k long.trace
expect 10MB-number 1 "sv39sim: long-cmd.trace:1: line longer than 1 MiB" '' -- long-cmd.trace
expect dev-zero-as-trace 1 "sv39sim: /dev/zero:1: line longer than 1 MiB" '' -- /dev/zero
expect directory-as-trace 2 "sv39sim: cannot read trace 'adir': it is a directory" '' -- adir
expect missing-trace 2 "sv39sim: cannot read trace 'nothing-here': No such file or directory" '' -- nothing-here
# JSON Lines stay UTF-8 whatever the input: bytes that are not become '?'.
expect high-bytes-json 1 "sv39sim: high.trace:1: unknown command '$(printf '\xff\xfe\xc3(')' ('help' lists them)" \
  "{\"cmd\":\"???(\",\"ok\":false,\"error\":\"unknown command '???(' ('help' lists them)\",\"file\":\"high.trace\",\"line\":1}" \
  -- --json high.trace

# ---- numbers ----
expect u64-overflow 1 "sv39sim: -e:1: peek: PA: '0x1ffffffffffffffff' does not fit in 64 bits" '' \
  -- -e 'peek 0x1ffffffffffffffff'
expect decimal-overflow 1 "sv39sim: -e:1: poke: VALUE: '18446744073709551616' does not fit in 64 bits" '' \
  -- -e 'poke 0x80000000 18446744073709551616'
expect suffix-overflow 1 "sv39sim: -e:3: exec: SIZE: '0x400000000000000G' does not fit in 64 bits" '' \
  -- -e "$boot; exec 1 -s 0x400000000000000G"
expect ram-overflow 2 "sv39sim: --ram: '99999999999999999999' is not a size (like 128M or 0x8000000)" '' \
  -- --ram 99999999999999999999
expect ram-huge 2 "sv39sim: RAM size must be at most 64G" '' -- --ram 1048576G
expect ram-zero 2 "sv39sim: RAM is too small to hold the kernel image (end must lie below PHYSTOP)" '' \
  -- --ram 0
expect negative-pid 1 "sv39sim: -e:3: fork: '-1' is not a pid" '' -- -e "$boot; fork -1"
expect huge-pid 1 "sv39sim: -e:3: wait: '99999999999999999999' is not a pid" '' \
  -- -e "$boot; wait 99999999999999999999"
expect pid-past-int 1 "sv39sim: -e:3: exec: '2147483648' is not a pid" '' -- -e "$boot; exec 2147483648 -s 4K"
expect kill-negative 0 '' "kill: kill returns -1 (no process with pid -2147483648)" \
  -- -e "$boot; kill -2147483648"
expect kill-past-int 1 "sv39sim: -e:3: kill: '-2147483649' is not an int" '' -- -e "$boot; kill -2147483649"
expect exit-status-past-int 1 "sv39sim: -e:3: exit: STATUS: '4294967296' is not an int" '' \
  -- -e "$boot; exit 1 4294967296"
expect negative-size 1 "sv39sim: -e:3: exec: SIZE: '-4096' is not a number (decimal or 0x hex, optional K/M/G)" \
  '' -- -e "$boot; exec 1 -s -4096"
expect huge-copyin 1 "sv39sim: -e:3: copyin: LEN is at most 65536" '' -- -e "$boot; copyin 1 0 0xffffffffffffffff"
expect huge-mappages 1 "sv39sim: -e:3: mappages: VA + SIZE or PA + SIZE wraps around 2^64" '' \
  -- -e "$boot; mappages 1 user 0x1000 0xffffffffffffffff 0x80000000 r"
expect huge-synthetic-image 0 '' "exec: pid 1: exec returns -1 (segment 0: uvmalloc failed (out of memory))" \
  -- --ram 8M -e "$boot; exec 1 -s 0xffffffffffffffff; check"
expect sbrk-2^63 1 "sv39sim: -e:3: sbrk: N: '0x8000000000000000' is not an int (sbrk's argument is 32-bit)" '' \
  -- -e "$boot; sbrk 1 0x8000000000000000"
expect sbrk-minus-2^63 1 "sv39sim: -e:3: sbrk: N: '-9223372036854775808' is not an int (sbrk's argument is 32-bit)" \
  '' -- -e "$boot; sbrk 1 -9223372036854775808"
# All 2008 pool pages are taken (events 1-2008), so the 2009th kalloc finds none.
expect sbrk-int-max 0 '' "sbrk: pid 1: sbrk returns -1 (out of memory: kalloc returned 0 at event 2009, in usertrap > syscall > sys_sbrk > growproc > uvmalloc > kalloc), sz stays 0x1000" \
  -- --ram 8M -e "$boot; sbrk 1 2147483647; check"

# ---- exec of what is no program ----
expect exec-directory 1 "sv39sim: -e:3: exec: cannot read 'adir': Is a directory" '' -- -e "$boot; exec 1 adir"
expect exec-dev-zero 1 "sv39sim: -e:3: exec: '/dev/zero' is larger than 64 MiB" '' -- -e "$boot; exec 1 /dev/zero"
expect exec-short-header 0 '' "exec: pid 1: exec returns -1 (the file is shorter than an ELF header)" \
  -- -e "$boot; exec 1 short-header.elf; check"
expect exec-short-phdrs 0 '' \
  "exec: pid 1: exec returns -1 (segment 0: its file bytes lie past the end of the file)" \
  -- -e "$boot; exec 1 short-phdrs.elf; check"
expect exec-short-data 0 '' \
  "exec: pid 1: exec returns -1 (segment 1: its file bytes lie past the end of the file)" \
  -- -e "$boot; exec 1 short-data.elf; check"
expect exec-many-phdrs 0 '' \
  "exec: pid 1: exec returns -1 (program header 162 lies past the end of the file)" \
  -- -e "$boot; exec 1 many-phdrs.elf; check"
# xv6's exec does not look for overlaps: the second segment lands on the first's pages.
expect exec-overlap 0 '' "exec: pid 1: argc 1, sz 0x4000" -- -e "$boot; exec 1 overlap.elf; check"
# uvmalloc maps every page from sz up: memory runs out long before MAXVA.
expect exec-maxva 0 '' "exec: pid 1: exec returns -1 (segment 1: uvmalloc failed (out of memory))" \
  -- --ram 8M -e "$boot; exec 1 maxva.elf; check"
expect exec-past-maxva 0 '' "exec: pid 1: exec returns -1 (segment 1: uvmalloc failed (out of memory))" \
  -- --ram 8M -e "$boot; exec 1 past-maxva.elf; check"
expect exec-wrap 0 '' "exec: pid 1: exec returns -1 (segment 1: vaddr + memsz overflows)" \
  -- -e "$boot; exec 1 wrap.elf; check"

# ---- address traces ----
expect access-garbage-line 1 \
  "sv39sim: -e:4: access: garbage.lackey:2: not a lackey line (want 'I|L|S|M ADDRESS,SIZE')" '' \
  -- -e "$boot; exec 1 -s 4K; access 1 garbage.lackey"
expect access-binary 1 \
  "sv39sim: -e:4: access: binary.lackey:1: not a lackey line (want 'I|L|S|M ADDRESS,SIZE')" '' \
  -- -e "$boot; exec 1 -s 4K; access 1 binary.lackey"
expect access-long-line 1 "sv39sim: -e:4: access: long.lackey:1: line longer than 4096 bytes" '' \
  -- -e "$boot; exec 1 -s 4K; access 1 long.lackey"
expect access-wide-address 1 \
  "sv39sim: -e:4: access: wide.lackey:1: address 0x1ffff00000000000 is outside Sv39 (bits 63..38 must all be equal)" \
  '' -- -e "$boot; exec 1 -s 4K; access 1 wide.lackey"
expect access-dev-zero 1 "sv39sim: -e:4: access: /dev/zero:1: line longer than 4096 bytes" '' \
  -- -e "$boot; exec 1 -s 4K; access 1 /dev/zero"
expect access-directory 1 "sv39sim: -e:4: access: adir:0: read error: Is a directory" '' \
  -- -e "$boot; exec 1 -s 4K; access 1 adir"

# ---- translate of non-canonical addresses ----
expect translate-noncanonical 0 '' \
  "  load page fault (cause 13), tval 0x4000000000: non-canonical-va: va bits 63..39 must all equal bit 38" \
  -- -e "$boot; translate 0x4000000000"
expect translate-negative-noncanonical 0 '' \
  "  instruction page fault (cause 12), tval 0xffffffbfffffffff: non-canonical-va: va bits 63..39 must all equal bit 38" \
  -- -e "$boot; translate -0x4000000001 x"
expect translate-past-64-bits 1 "sv39sim: -e:3: translate: VA: '0x10000000000000000' does not fit in 64 bits" '' \
  -- -e "$boot; translate 0x10000000000000000"
expect store-noncanonical 0 '' \
  "  store/AMO page fault (cause 15), tval 0x8000000000000000: non-canonical-va: va bits 63..39 must all equal bit 38" \
  -- -e "$boot; store 0x8000000000000000 1"

# ---- after a panic ----
expect panic-then-mutate 1 \
  "sv39sim: -e:2: kfree: panic: kfree
sv39sim: -e:3: userinit: the kernel has panicked (kfree); only inspection works until 'reset'" \
  "panic: kfree" -- -e "boot; kfree 0x80000000; userinit"
expect panic-then-inspect 3 'sv39sim: -e:2: kfree: panic: kfree' "check: no problems" \
  -- -e "boot; kfree 0x80000000; free; vmprint kernel; peek 0x80000000; check"
# A panic anywhere in the session makes the status 3, even after reset.
expect panic-then-reset 3 'sv39sim: -e:2: kfree: panic: kfree' "userinit: pid 1" -- -e "boot; kfree 0x80000000; reset; $boot"

echo "$ran hostile inputs, $failed failed"
((failed == 0))
