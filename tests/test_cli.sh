#!/usr/bin/env bash
# test_cli.sh SV39SIM
# The command-line conventions: -e repeated runs in order; every write error fails the run
# (text, --json, '> FILE'); '> FILE' and '>> FILE' take one command's output; -q leaves
# only the views' output; help fits 80 columns; "did you mean"; quit; exit without a pid;
# access PID - reads standard input. Graphviz renders what -q and '> FILE' give.
set -u
sim=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
failed=0 ran=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
# check NAME WANT_STATUS COMMAND...: the status of COMMAND must be WANT_STATUS.
check() {
  local name=$1 want=$2
  shift 2
  ran=$((ran + 1))
  "$@" >out 2>err
  local got=$?
  ((got == want)) || fail "$name: exit status $got, want $want; stderr: $(head -c 500 err)"
}
# same NAME FILE TEXT: FILE must hold exactly TEXT (and a newline).
same() {
  ran=$((ran + 1))
  [[ $(<"$2") == "$3" ]] || fail "$1: $2 differs: $(diff <(printf '%s\n' "$3") "$2")"
}

# -e repeated: each in turn, numbered across them.
check e-twice 0 "$sim" -e boot -e 'userinit; free'
same e-twice out "boot: kernel page table 0x0000000087fff000, 32591 pages free
userinit: pid 1
free: 32584 pages"
check e-numbered 1 "$sim" -e boot -e frobnicate
same e-numbered err "sv39sim: -e:2: unknown command 'frobnicate' ('help' lists them)"

# Write errors: a full disk fails the run with the OS's reason, text and JSON alike.
ran=$((ran + 1))
"$sim" -e 'boot; vmprint kernel' >/dev/full 2>err
st=$?
((st == 1)) || fail "dev-full: exit $st, want 1"
same dev-full err "sv39sim: -e:1: cannot write standard output: No space left on device"
ran=$((ran + 1))
"$sim" --json -e 'boot; vmprint kernel' >/dev/full 2>err
st=$?
((st == 1)) || fail "dev-full-json: exit $st, want 1"
same dev-full-json err "sv39sim: -e:1: cannot write standard output: No space left on device"
# Only the end's flush can see a short output's loss: --version and --help too.
ran=$((ran + 1))
"$sim" --version >/dev/full 2>err
st=$?
((st == 1)) || fail "dev-full-version: exit $st, want 1"
check redirect-dev-full 1 "$sim" -e 'boot; vmprint kernel > /dev/full; free'
same redirect-dev-full err "sv39sim: -e:2: cannot write '/dev/full': No space left on device"
same redirect-dev-full-stops out "boot: kernel page table 0x0000000087fff000, 32591 pages free"
check redirect-unwritable 1 "$sim" -e 'boot; free > no/such/folder'
same redirect-unwritable err "sv39sim: -e:2: free: cannot write 'no/such/folder': No such file or directory"

# '> FILE': that command's output alone goes there; '>>' appends; stdout keeps the rest.
check redirect 0 "$sim" -e 'boot; userinit; dot 1 > f.dot; free >> f.dot; free'
same redirect out "boot: kernel page table 0x0000000087fff000, 32591 pages free
userinit: pid 1
free: 32584 pages"
ran=$((ran + 1))
[[ $(head -1 f.dot) == 'digraph pagetable {' && $(tail -1 f.dot) == 'free: 32584 pages' ]] ||
  fail "redirect: f.dot is not the digraph then free's line: $(head -2 f.dot; tail -2 f.dot)"
check redirect-json 0 "$sim" --json -e 'boot; free >f.json'
same redirect-json f.json '{"cmd":"free","ok":true,"free":32591}'
check redirect-alone 0 "$sim" -q -e 'boot; userinit; dot 1 > g.dot'
same redirect-alone out ""

# -q: the views alone; a failure still speaks.
check quiet 0 "$sim" -q -e 'boot; userinit; fork 1; exec 1 -s 8K; free'
same quiet out "free: 32574 pages"
check quiet-json 0 "$sim" -q --json -e 'boot; userinit; free'
same quiet-json out '{"cmd":"free","ok":true,"free":32584}'
check quiet-fails 1 "$sim" -q -e 'boot; boot'
same quiet-fails err "sv39sim: -e:2: boot: the machine has booted already ('reset' for a fresh one)"

# --json echoes what a command acted on: pid (caller when pid is the call's return), va.
# initcode's byte at 0x10 is 0x93, the low byte of its fifth instruction, li a7, SYS_exec (0x00700893).
check json-echo 1 "$sim" --json -e 'boot; userinit; failat 1; fork 1; sbrk 1 4096; wait 1; copyin 1 0x10 1; exit 9'
same json-echo out '{"cmd":"boot","ok":true,"free":32591,"kernel_pagetable":"0x87fff000"}
{"cmd":"userinit","ok":true,"pid":1}
{"cmd":"failat","ok":true}
{"cmd":"fork","ok":true,"pid":-1,"reason":"out of memory: kalloc returned 0 at event 145, in usertrap > syscall > sys_fork > fork > allocproc > kalloc","caller":1}
{"cmd":"sbrk","ok":true,"ret":4096,"old":"0x1000","sz":"0x2000","pid":1}
{"cmd":"wait","ok":true,"pid":-1,"caller":1}
{"cmd":"copyin","ok":true,"ret":0,"ncopyin":0,"bytes":"93","pid":1,"va":"0x10"}
{"cmd":"exit","ok":false,"pid":9,"error":"no process with pid 9","file":"-e","line":8}'

# help: every line within 80 columns when stdout is no terminal; quit is listed.
check help 0 "$sim" -e help
ran=$((ran + 1))
long=$(awk 'length($0) > 80' out)
[[ -z $long ]] || fail "help: lines over 80 columns: $long"
ran=$((ran + 1))
grep -q '^  quit ' out || fail "help lists no quit: $(cat out)"
check help-one 0 "$sim" -e 'help exit'
same help-one out "exit PID [STATUS]
  the process exits and becomes a zombie (to leave sv39sim: quit)"

# Typos, exit without a pid, quit.
check did-you-mean 1 "$sim" -e 'boot; vmprnt kernel'
same did-you-mean err "sv39sim: -e:2: unknown command 'vmprnt'; did you mean 'vmprint'? ('help' lists them)"
check exit-no-pid 1 "$sim" -e 'exit'
same exit-no-pid err "sv39sim: -e:1: exit: usage: exit PID [STATUS] makes a process exit; 'quit' or Ctrl-D leaves sv39sim"
printf 'boot\nquit\nfrobnicate\n' >q.trace
check quit-in-trace 0 "$sim" q.trace -e free
same quit-in-trace out "free: 0 pages
boot: kernel page table 0x0000000087fff000, 32591 pages free"

# access PID -: the address trace from standard input.
ran=$((ran + 1))
printf 'I  00000000,4\n L 00001000,8\n' |
  "$sim" -e 'boot; userinit; exec 1 -s 4K; access 1 -' >out 2>err || fail "access-stdin: $(<err)"
ran=$((ran + 1))
grep -qxF 'access: pid 1, - (lackey): 2 accesses (I 1, L 1, S 0, M 0)' out ||
  fail "access-stdin: $(<out)"

# diff runs its command as a line of its own: -q silences the command, not diff; a failed
# command fails diff too, each message in turn; with --json the command's line comes first.
check diff-quiet 0 "$sim" -q -e 'boot; userinit; diff 1 sbrk 1 4096'
same diff-quiet out "diff pid 1 user table 0x0000000087f75000: 1 added, 0 removed, 0 changed; 0 table pages gained, 0 lost
  + va 0x0000000000001000 level 0: pa 0x0000000087f6f000 rwxu---"
check diff-failed 1 "$sim" -e 'boot; userinit; diff 1 frob 2'
same diff-failed err "sv39sim: -e:3: unknown command 'frob' ('help' lists them)
sv39sim: -e:3: diff: 'frob' failed (its message is above)"
check diff-json 0 "$sim" --json -e 'boot; userinit; diff 1 user sbrk 1 -4096'
ran=$((ran + 1))
[[ $(sed -n '3p' out | jq -r .cmd) == sbrk && $(sed -n '4p' out | jq -c '[.cmd, .gone, .changes[0].change, .changes[0].old.attr, .pages_lost]') == '["diff",false,"removed","rwxu---",[]]' ]] ||
  fail "diff-json: $(<out)"
check diff-no-command 1 "$sim" -e 'boot; userinit; diff 1 kernel'
grep -q 'no command after the table' err || fail "diff-no-command: $(<err)"
# The allocation log: --log=FILE gets the whole run (boot's 137 events, userinit's 7) and
# stdout none of it; with --json one object per event; log on writes into the command's
# output, so '> FILE' takes it along and -q drops it with a non-view command.
check log-file 0 "$sim" --log=log.txt -e 'boot; userinit'
ran=$((ran + 1))
[[ $(wc -l <log.txt) == 144 && $(tail -1 log.txt) == "144 kalloc 0x0000000087f70000 main > userinit > uvminit > mappages > walk > kalloc" ]] ||
  fail "log-file: $(tail -2 log.txt)"
ran=$((ran + 1))
grep -q kalloc out && fail "log-file: stdout has events: $(head -3 out)"
check log-json 0 "$sim" --json --log=log.json -e 'boot'
ran=$((ran + 1))
[[ $(tail -1 log.json) == '{"seq":137,"op":"kalloc","pa":"0x87f77000","chain":["main","procinit","kalloc"]}' ]] ||
  fail "log-json: $(tail -1 log.json)"
check log-redirect 0 "$sim" -e 'log on; boot > boot.txt; kalloc; log off; kalloc'
same log-redirect out "138 kalloc 0x0000000087f76000 (by hand: the kalloc command)
kalloc: 0x0000000087f76000
kalloc: 0x0000000087f75000"
ran=$((ran + 1))
[[ $(wc -l <boot.txt) == 138 ]] || fail "log-redirect: boot.txt has $(wc -l <boot.txt) lines"
check log-quiet 0 "$sim" -q -e 'log on; boot; free'
same log-quiet out "free: 32591 pages"

# Graphviz renders what -q and '> FILE' give (CI installs it).
if command -v dot >/dev/null; then
  ran=$((ran + 1))
  "$sim" -q -e 'boot; userinit; dot 1' | dot -Tsvg >q.svg 2>err && grep -q '</svg>' q.svg ||
    fail "-q ... dot 1 | dot -Tsvg: $(<err)"
  ran=$((ran + 1))
  dot -Tsvg f.dot >/dev/null 2>err || true
  dot -Tsvg g.dot >g.svg 2>err && grep -q '</svg>' g.svg || fail "dot 1 > g.dot: $(<err)"
fi

# usertrap kills init (a store far above sz): exit(-1) is called from usertrap itself, so
# the panic's chain is usertrap > exit, with no system call in it.
check init-killed 3 "$sim" -q -e 'boot; userinit; touch 1 0x4000000000 w'
same init-killed out "usertrap(): unexpected scause 0x000000000000000f pid=1
            sepc=0x0000000000000000 stval=0x0000004000000000
panic: init exiting
  in usertrap > exit"

check init-killed-json 3 "$sim" -q --json -e 'boot; userinit; touch 1 0x4000000000 w'
ran=$((ran + 1))
[[ $(tail -1 out | jq -c '[.panic, .chain, .console[0]]') == '["init exiting",["usertrap","exit"],"usertrap(): unexpected scause 0x000000000000000f pid=1"]' ]] ||
  fail "init-killed-json: $(<out)"

# mappages' panic is "remap" in 2020 and "mappages: remap" from 2021 (xv6-labs-2021 vm.c).
check remap-2021 3 "$sim" -q -e 'edition 2021; boot; userinit; mappages 1 user 0 4096 0x80000000 rw'
ran=$((ran + 1))
[[ $(head -1 out) == "panic: mappages: remap" ]] || fail "remap-2021: $(<out)"

# A COW PTE poked to a device page or above PHYSTOP: the copy panics as the kernel would
# (kfree's check, or a kernel fault), never a crash of sv39sim.
for pa in 0x4000113:kfree 0x24000113:kerneltrap; do
  check "cow-poke-${pa#*:}" 3 "$sim" -q -e 'lab cow; boot; userinit; exec 1 -s 8192; fork 1' \
    -e "poke 0x87f72008 ${pa%:*} 8; touch 2 0x1000 w"
  ran=$((ran + 1))
  grep -qx "panic: ${pa#*:}" out || fail "cow-poke-${pa#*:}: $(<out)"
done

# 2025's growproc refuses sz + n above TRAPFRAME (kernel/proc.c) before uvmalloc, where
# older editions would map over the trapframe; 128 lazy sbrks bring sz up to it.
{
  echo 'edition 2025'; echo boot; echo userinit
  for _ in $(seq 128); do echo 'sbrklazy 1 0x7ffff000'; done
  echo 'sbrklazy 1 0x7c000'; echo 'sbrk 1 0x3000'
} >grow.trace
check growproc-trapframe 0 "$sim" -q grow.trace
ran=$((ran + 1))
[[ -z $(<out) ]] || fail "growproc-trapframe: $(<out)"
check growproc-trapframe-why 0 "$sim" grow.trace
ran=$((ran + 1))
[[ $(tail -1 out) == "sbrk: pid 1: sbrk returns -1 (growproc: sz 0x3fffffc000 + 12288 would pass TRAPFRAME (0x3fffffe000)), sz stays 0x3fffffc000" ]] ||
  fail "growproc-trapframe-why: $(tail -1 out)"

# 2025's pid 1 reaches user space only after forkret's kexec: touch refuses it before.
check touch-before-kexec 1 "$sim" -e 'edition 2025; boot; userinit; touch 1 0 r'
same touch-before-kexec err "sv39sim: -e:4: touch: pid 1 has not reached user space: forkret's kexec of /init (its first exec) comes first"
# A shrink that must demote a superpage and finds no page says so.
check shrink-demote-why 0 "$sim" -e 'edition 2024; lab pgtbl; boot; userinit; sbrk 1 0x400000; failat 1; sbrk 1 -0x100000'
ran=$((ran + 1))
[[ $(tail -1 out) == *"sbrk returns -1 (out of memory: kalloc returned 0 at event "* ]] ||
  fail "shrink-demote-why: $(tail -1 out)"

# An import under lab cow takes its table pages as kalloc does, with one reference each.
check import-cow 0 "$sim" -q -e 'lab cow; boot; userinit; exec 1 -s 8192; vmprint 1 > c.txt' \
  -e 'reset; lab cow; boot; import c.txt; check'
ran=$((ran + 1))
[[ $(tail -1 out) == "check: no problems" ]] || fail "import-cow: $(tail -3 out)"

# Superpages in owner and the log (2024 lab pgtbl): sbrk from 0x1000 by 4 MiB covers one
# aligned 2 MiB range, [0x200000, 0x400000), which superalloc gives from the head of the
# superpage list (0x87e00000, the highest of kinit's ten regions below PHYSTOP); each of its
# 512 pages is a superpage page of that event; the next region, 0x87c00000, is still free.
check owner-superpage 0 "$sim" -e 'edition 2024; lab pgtbl; boot; userinit; log on' \
  -e 'sbrk 1 0x400000 > sbrk.log; log off; owner 0x87e01000; owner 0x87c00000'
ran=$((ran + 1))
seq=$(grep superalloc sbrk.log | cut -d' ' -f1)
grep -A4 '^owner' out >owner.out
[[ $(grep superalloc sbrk.log) == "$seq superalloc 0x0000000087e00000 usertrap > syscall > sys_sbrk > growproc > uvmalloc > superalloc" &&
  $(sed -n 1p owner.out) == "owner 0x0000000087e01000: superpage: page va 0x201000 of the superpage at va 0x200000 of pid 1's user table" &&
  $(sed -n 3p owner.out) == "  allocated by event $seq of the log" &&
  $(sed -n 4p owner.out) == "owner 0x0000000087c00000: superpage-free: a page of a superpage on the superpage list" ]] ||
  fail "owner-superpage: $(<out) $(grep super sbrk.log)"

echo "$ran checks, $failed failed"
((failed == 0))
