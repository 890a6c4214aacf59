#!/usr/bin/env bash
# run.sh SV39SIM TRACE EXPECTED_PREFIX
# Replays TRACE and compares stdout with EXPECTED_PREFIX.out and the exit status with
# EXPECTED_PREFIX.exit (0 when that file is absent); options in EXPECTED_PREFIX.args come
# before the trace. With SV39SIM_BLESS=1 it writes them
# instead: read every blessed file before committing it. When EXPECTED_PREFIX.err exists,
# stderr is compared with it too. The trace runs from its own folder, so messages name it
# without a path. EXPECTED_PREFIX.args, when it exists, holds options for the command line
# (like --tlb 4 or --ad fault), on one line.
set -u
sim=$(realpath "$1") trace=$2 want=$3
got=$(mktemp) goterr=$(mktemp)
trap 'rm -f "$got" "$goterr"' EXIT
args=()
[[ -f $want.args ]] && read -r -a args <"$want.args"
(cd "$(dirname "$trace")" && "$sim" "${args[@]}" "$(basename "$trace")") >"$got" 2>"$goterr"
status=$?
want_status=0
[[ -f $want.exit ]] && want_status=$(<"$want.exit")
if [[ ${SV39SIM_BLESS:-} == 1 ]]; then
  cp "$got" "$want.out"
  [[ -s $goterr ]] && cp "$goterr" "$want.err"
  if ((status != 0)); then echo "$status" >"$want.exit"; else rm -f "$want.exit"; fi
  echo "blessed $want.out (exit $status)"
  exit 0
fi
ok=0
if ! diff -u "$want.out" "$got"; then ok=1; fi
if [[ -f $want.err ]] && ! diff -u "$want.err" "$goterr"; then ok=1; fi
if [[ $status != "$want_status" ]]; then
  echo "exit status $status, want $want_status"
  ok=1
fi
exit $ok
