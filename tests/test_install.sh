#!/usr/bin/env bash
# test_install.sh MESON BUILD_DIR SOURCE_DIR BINDIR MANDIR DATADIR
# `meson install --destdir` lays out exactly: the binary in BINDIR, sv39sim(1) in
# MANDIR/man1, the bash completion in DATADIR/bash-completion/completions, README.md and
# every file of traces/ under DATADIR/sv39sim (the three dirs absolute, with the prefix).
# The installed program replays an installed trace; the man page renders with `man -l`
# without a warning (when man is there); the installed completion completes.
set -u
meson=$1 build=$(realpath "$2") src=$(realpath "$3") bindir=$4 mandir=$5 datadir=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

"$meson" install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; echo "FAIL meson install"; exit 1; }

{
  echo "$bindir/sv39sim"
  echo "$mandir/man1/sv39sim.1"
  echo "$datadir/bash-completion/completions/sv39sim"
  echo "$datadir/sv39sim/README.md"
  (cd "$src" && find traces -type f) | sed "s|^|$datadir/sv39sim/|"
} | sort >"$tmp/want"
(cd "$dest" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$tmp/got"
diff -u "$tmp/want" "$tmp/got" || fail "the installed files are not the expected ones"

sim=$dest$bindir/sv39sim
first=$("$sim" "$dest$datadir/sv39sim/traces/xv6-boot.trace" | head -1)
[[ $first == "boot: kernel page table 0x0000000087fff000, 32591 pages free" ]] ||
  fail "the installed sv39sim on the installed xv6-boot.trace: '$first'"
cmp -s "$dest$datadir/sv39sim/traces/README.md" "$src/traces/README.md" ||
  fail "the installed traces/README.md differs from the source's"

if command -v man >/dev/null; then
  MANWIDTH=80 man --warnings -E UTF-8 -l "$dest$mandir/man1/sv39sim.1" >"$tmp/man" \
    2>"$tmp/man.err" || fail "man -l failed: $(<"$tmp/man.err")"
  [[ -s $tmp/man.err ]] && fail "man -l warns: $(<"$tmp/man.err")"
  for want in 'sv39sim - replay what the xv6 kernel does' '^COMMANDS' '^       vmprint PID' \
    '^EXIT STATUS'; do
    grep -q -- "$want" "$tmp/man" || fail "the rendered man page has no '$want'"
  done
  awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$tmp/man" ||
    fail "the man page, rendered at 80 columns, has longer lines"
else
  echo "man is not installed: the rendering is not checked"
fi

# The installed completion completes option names and, after -e, the table's commands.
got=$(bash -c 'source "$1"; COMP_WORDS=("$2" --qu); COMP_CWORD=1; _sv39sim
  echo "${COMPREPLY[*]}"; COMP_WORDS=("$2" -e "boot; vmpr"); COMP_CWORD=2; _sv39sim 2>&1; echo "${COMPREPLY[*]}"' \
  _ "$dest$datadir/bash-completion/completions/sv39sim" "$sim")
[[ $got == $'--quiet\nboot; vmprint' ]] || fail "completion: '$got'"

echo "install layout, man page and completion checked; $failed failed"
((failed == 0))
