#!/usr/bin/env python3
"""Every bundled trace that boots leaves tables that lint clean: after the trace, `lint` of
the kernel table and of every process's user and kernel table finds nothing. (The traces
that build tables by hand without booting, faults and superpages, are broken on purpose.)

usage: test_lint_clean.py SV39SIM TRACES_DIR
"""
import glob
import json
import os
import subprocess
import sys


def run(sim, trace, commands):
    r = subprocess.run([sim, "--json", "-k", os.path.basename(trace), "-"],
                       cwd=os.path.dirname(trace), input=commands, capture_output=True,
                       text=True, timeout=120)
    return [json.loads(line) for line in r.stdout.splitlines()]


def main():
    sim, traces = os.path.realpath(sys.argv[1]), sys.argv[2]
    checked = 0
    for trace in sorted(glob.glob(os.path.join(traces, "*.trace"))):
        ps, kernel = run(sim, trace, "ps\nlint kernel\n")[-2:]
        if not kernel["ok"] and "not booted" in kernel.get("error", ""):
            print(f"{os.path.basename(trace)}: not booted, not linted")
            continue
        pids = [p["pid"] for p in ps["processes"]]
        cmds = ["lint kernel"] + [f"lint {p} {w}" for p in pids for w in ("user", "kernel")]
        results = run(sim, trace, "\n".join(cmds) + "\n")[-len(cmds):]
        for cmd, res in zip(cmds, results):
            if res.get("cmd") != "lint" or not res.get("ok") or res.get("nfound") != 0:
                sys.exit(f"{os.path.basename(trace)}: '{cmd}': {json.dumps(res)[:400]}")
            checked += 1
        print(f"{os.path.basename(trace)}: {len(cmds)} tables lint clean")
    if checked == 0:
        sys.exit("no table was linted")


main()
