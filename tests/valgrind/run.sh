#!/usr/bin/env bash
# run.sh VALGRIND SV39SIM DIR...
# Replays every *.trace in each DIR under valgrind's memcheck, once as text and once with
# --json, each from the trace's own folder with the options its golden test uses
# (tests/golden/NAME.args). Fails on any memcheck error or on any byte definitely or
# indirectly lost; the simulator's own exit status (0..3) is not judged here: the golden
# tests do that.
set -u
valgrind=$1 sim=$(realpath "$2")
shift 2
golden=$(cd "$(dirname "$0")/../golden" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0 runs=0
for dir in "$@"; do
  for trace in "$dir"/*.trace; do
    name=$(basename "$trace" .trace)
    args=()
    [[ -f $golden/$name.args ]] && read -r -a args <"$golden/$name.args"
    for json in "" --json; do
      (cd "$dir" && "$valgrind" -q --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --log-file="$log" "$sim" $json "${args[@]}" "$name.trace") >/dev/null 2>&1
      status=$?
      runs=$((runs + 1))
      if ((status == 99)) || [[ -s $log ]]; then
        echo "FAIL $trace ${json:-(text)}: exit $status"
        cat "$log"
        failed=1
      fi
    done
  done
done
echo "$runs runs under memcheck"
((runs > 0)) || { echo "no traces found in $*"; exit 1; }
exit $failed
