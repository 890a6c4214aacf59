#!/usr/bin/env bash
# test_dot.sh SV39SIM BOOT_TRACE
# The DOT of the boot trace's kernel table (and of pid 1's user table) renders with
# `dot -Tsvg` without a warning, and the kernel's has fewer than 100 nodes.
set -euo pipefail
sim=$(realpath "$1") trace=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for table in kernel '1 user'; do
  name=${table// /-}
  # The trace first, then the view: '-' is standard input after the trace.
  echo "dot $table" | "$sim" "$trace" - | sed -n '/^digraph /,$p' >"$tmp/$name.dot"
  if ! dot -Tsvg "$tmp/$name.dot" -o "$tmp/$name.svg" 2>"$tmp/$name.err" ||
    [[ -s $tmp/$name.err ]]; then
    echo "dot -Tsvg of the $table table failed or warned:"
    cat "$tmp/$name.err"
    status=1
  fi
  nodes=$(dot -Tplain "$tmp/$name.dot" | grep -c '^node ')
  echo "$table table: $nodes nodes"
  if [[ $table == kernel ]] && ((nodes >= 100)); then
    echo "the kernel table has $nodes nodes, want fewer than 100"
    status=1
  fi
  if ((nodes < 5)); then
    echo "the $table table has only $nodes nodes"
    status=1
  fi
done
exit $status
