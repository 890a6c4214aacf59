#!/usr/bin/env python3
"""access --demand on a real lackey trace, checked against a count made here, apart from
sv39sim: a fully associative LRU TLB of 32 entries (sv39sim's default) and the pages a
first touch maps.

The trace is made now when valgrind and gcc are there (valgrind --tool=lackey
--trace-mem=yes of traces/lackey-tiny.c), else the committed traces/tiny-demand.lackey is
used. pid 2 (a fork of pid 1 after `exec 1 -s 4K`) has pages 0x0, 0x1000 (the guard) and
0x2000; every other page the trace touches is unmapped until its first touch.

What the count follows (../shared/DESIGN.md, "Page faults"): each access translates once
per page it touches (a modify is a load, then a store); a TLB entry answers unless it is a
store and the cached PTE lacks D (then the hardware walks again, a miss); a walk of an
unmapped page is a miss and a fault; the fault traps (the TLB is flushed), --demand maps
the page, and the retry is one more translation, a miss; a walk sets A, and D for a store,
and fills the TLB (in place for a page already cached).

usage: test_demand.py SV39SIM TRACES_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

TLB_ENTRIES = 32
PAGE = 4096


def make_trace(traces, tmp):
    """A fresh lackey trace of lackey-tiny.c, or the committed one."""
    valgrind, cc = shutil.which("valgrind"), shutil.which("gcc")
    if valgrind and cc:
        exe = os.path.join(tmp, "lackey-tiny")
        log = os.path.join(tmp, "lackey.log")
        build = subprocess.run([cc, "-O1", "-static", "-nostdlib", "-fno-stack-protector",
                                "-o", exe, os.path.join(traces, "lackey-tiny.c")])
        if build.returncode == 0:
            subprocess.run([valgrind, "--tool=lackey", "--trace-mem=yes",
                            "--log-file=" + log, exe])
            out = os.path.join(tmp, "fresh.lackey")
            with open(log) as f, open(out, "w") as g:
                g.writelines(l for l in f if not l.startswith("=="))
            print("made a fresh trace with valgrind")
            return out
    print("valgrind or gcc missing: the committed trace")
    return os.path.join(traces, "tiny-demand.lackey")


def records(path):
    """(access, va, size) of each lackey line; a modify is a load then a store."""
    for line in open(path):
        s = line.strip()
        if not s or s.startswith("=="):
            continue
        kind, rest = s.split(None, 1)
        va, size = rest.split(",")
        va, size = int(va, 16), int(size)
        if kind == "M":
            yield "r", va, size
            yield "w", va, size
        else:
            yield {"I": "x", "L": "r", "S": "w"}[kind], va, size


def model(path):
    tlb = []  # LRU order, most recent last: [page, d]
    mapped = {0x0: False, 0x1000: False, 0x2000: False}  # page -> D set in memory
    n = {"translations": 0, "hits": 0, "misses": 0, "faults": 0, "demand_faults": 0}

    def fill(page, d):
        for e in tlb:
            if e[0] == page:
                tlb.remove(e)
                break
        else:
            if len(tlb) == TLB_ENTRIES:
                tlb.pop(0)
        tlb.append([page, d])

    def translate(page, acc):
        n["translations"] += 1
        for e in tlb:
            if e[0] == page and (acc != "w" or e[1]):
                n["hits"] += 1
                tlb.remove(e)
                tlb.append(e)
                return
        n["misses"] += 1
        if page not in mapped:
            assert page >= 0x3000, "the trace touches pid 2's own pages"
            n["faults"] += 1
            n["demand_faults"] += 1
            mapped[page] = False
            tlb.clear()  # uservec's and userret's sfence
            n["translations"] += 1
            n["misses"] += 1
        if acc == "w":
            mapped[page] = True
        fill(page, mapped[page])

    for acc, va, size in records(path):
        first = va // PAGE
        last = (va + size - 1) // PAGE
        for p in range(first, last + 1):
            translate(p * PAGE, acc)
    return n


def main():
    sim, traces = sys.argv[1], os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        lackey = make_trace(traces, tmp)
        trace = os.path.join(tmp, "demand.trace")
        with open(trace, "w") as f:
            f.write("edition 2020\nboot\nuserinit\nexec 1 -s 4K /init\nfork 1\n"
                    f"access 2 {lackey} --demand\n")
        out = subprocess.run([sim, "--json", trace], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"sv39sim failed: {out.stderr}")
        got = [json.loads(l) for l in out.stdout.splitlines()][-1]
        want = model(lackey)
        if want["demand_faults"] == 0:
            sys.exit("a trace that maps no page tests nothing")
        bad = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        if bad:
            sys.exit(f"sv39sim vs the count here (got, want): {bad}")
        print("ok:", want)


if __name__ == "__main__":
    main()
