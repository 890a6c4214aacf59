#!/usr/bin/env bash
# test_completion.sh SV39SIM COMPLETION
# The bash completion against the program: `--` offers every long option --help lists
# (and no other); an empty -e word offers exactly the command table (help --json); a word
# after ';' completes to a command; --kpt's values are the modes.
set -u
sim=$(realpath "$1") comp=$(realpath "$2")
failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
# complete WORD...: COMPREPLY, one a line, for the command line sim WORD... (the last is
# the one being completed).
complete_line() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sv39sim
    printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$sim" "$@" | sort
}

want=$("$sim" --help | grep -o -- '--[a-z-]*' | sort -u)
got=$(complete_line -- | grep -- '^--')
[[ $got == "$want" ]] || fail "long options: $(diff <(echo "$want") <(echo "$got"))"

want=$("$sim" --json -e help | python3 -c 'import json, sys
print("\n".join(sorted(json.loads(sys.stdin.readline())["commands"])))')
got=$(complete_line -e '')
[[ $got == "$want" ]] || fail "command names after -e: $(diff <(echo "$want") <(echo "$got"))"
(($(wc -l <<<"$got") >= 30)) || fail "only $(wc -l <<<"$got") command names"

got=$(complete_line -e 'boot; userinit;vmp')
[[ $got == 'boot; userinit;vmprint' ]] || fail "after ';': '$got'"
got=$(complete_line --kpt per)
[[ $got == $'per-process\nper-process-user' ]] || fail "--kpt: '$got'"

echo "completion checked; $failed failed"
((failed == 0))
