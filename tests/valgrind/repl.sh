#!/usr/bin/env bash
# repl.sh VALGRIND SV39SIM PYTHON PTY_TEST
# Runs the REPL's pseudo-terminal test (readline, history, completion, Ctrl-C) with every
# sv39sim it starts under valgrind's memcheck; fails on any memcheck error or any byte
# definitely or indirectly lost, readline's allocations included.
set -u
valgrind=$1 sim=$(realpath "$2") python=$3 pty_test=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/sv39sim" <<WRAP
#!/usr/bin/env bash
exec "$valgrind" -q --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --log-file="$tmp/memcheck.%p.log" "$sim" "\$@"
WRAP
chmod +x "$tmp/sv39sim"
SV39SIM_PTY_TIMEOUT=60 "$python" "$pty_test" "$tmp/sv39sim" || exit 1
shopt -s nullglob
logs=("$tmp"/memcheck.*.log)
((${#logs[@]} > 0)) || { echo "valgrind wrote no log: the wrapper never ran"; exit 1; }
failed=0
for l in "${logs[@]}"; do
  if [[ -s $l ]]; then
    cat "$l"
    failed=1
  fi
done
echo "${#logs[@]} REPL sessions under memcheck"
exit $failed
