#!/usr/bin/env python3
"""Every bundled trace's --json output parses line by line and validates against the schema;
so do error, panic-free inspection and view results; README's jq one-liners work on it.

usage: test_json_schema.py SV39SIM SCHEMA TRACES_DIR README [GOLDEN_DIR]
"""
import glob
import json
import os
import subprocess
import sys

import jsonschema

# README's one-liners, word for word (the test checks README still says so).
JQ_LEAVES = ('jq -r \'select(.cmd == "vmprint") | .. | objects | select(.leaf? == true) '
             '| "\\(.va_start) \\(.pa) \\(.flags | join(""))"\'')
JQ_DOT = "jq -r 'select(.cmd == \"dot\").dot'"

# Commands that reach every kind of result: errors, views of every table, help.
EXTRA = ("bogus; vmprint 9; json satp; boot; json kernel; dot kernel; ranges satp; "
         "ranges kernel; vmprint kernel; free; kalloc; peek 0x80000000 4; help; help dot; "
         "failat 1; userinit; userinit; json 1 kernel; dot 2; reset; free")


def check_lines(name, text, validator):
    lines = text.splitlines()
    if not lines:
        sys.exit(f"{name}: no output")
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            sys.exit(f"{name}: output line {n} is not JSON ({e}): {line[:200]}")
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            sys.exit(f"{name}: output line {n} ({obj.get('cmd')}): {e.message} at "
                     f"{'/'.join(map(str, e.path))}")
    return lines


def main():
    sim, schema_path, traces, readme = (os.path.realpath(a) for a in sys.argv[1:5])
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    bundled = sorted(glob.glob(os.path.join(traces, "*.trace")))
    if len(sys.argv) > 5:  # the golden tests' own traces, errors and panics included
        bundled += sorted(glob.glob(os.path.join(os.path.realpath(sys.argv[5]), "*.trace")))
    if not bundled:
        sys.exit(f"no traces in {traces}")
    for trace in bundled:
        run = subprocess.run([sim, "--json", "-k", os.path.basename(trace)],
                             cwd=os.path.dirname(trace), capture_output=True, text=True)
        lines = check_lines(os.path.basename(trace), run.stdout, validator)
        print(f"{os.path.basename(trace)}: {len(lines)} lines valid")

    # A small RAM keeps the kernel tree short (a full one takes the validator seconds).
    run = subprocess.run([sim, "--json", "-k", "--ram", "8M", "-e", EXTRA], capture_output=True, text=True)
    lines = check_lines("-e commands", run.stdout, validator)
    oks = [json.loads(l)["ok"] for l in lines]
    if all(oks) or not any(oks):
        sys.exit(f"-e commands: want both failures and successes, got ok = {oks}")
    print(f"-e commands: {len(lines)} lines valid")

    with open(readme) as f:
        text = f.read()
    for program in (JQ_LEAVES, JQ_DOT):
        if program not in text:
            sys.exit(f"README no longer shows the one-liner {program}")
    boot = os.path.join(traces, "xv6-boot.trace")
    out = subprocess.run(f"'{sim}' --json '{boot}' | {JQ_LEAVES}", shell=True,
                         capture_output=True, text=True, check=True).stdout
    want = ["0x0 0x87f6b000 VRWXU", "0x1000 0x87f68000 VRWX", "0x2000 0x87f67000 VRWXU",
            "0x3fffffe000 0x87f76000 VRW", "0x3ffffff000 0x80007000 VRX"]
    if out.splitlines() != want:
        sys.exit(f"README's jq one-liner printed\n{out}\nwant\n" + "\n".join(want))
    out = subprocess.run(f"'{sim}' --json -e 'boot; dot kernel' | {JQ_DOT}", shell=True,
                         capture_output=True, text=True, check=True).stdout
    if not out.startswith("digraph pagetable {"):
        sys.exit(f"README's dot one-liner printed {out[:100]!r}")
    print("README's jq one-liners work")


if __name__ == "__main__":
    main()
