#!/usr/bin/env python3
"""The trace-language reference (traces/README.md) lists every command of the program's
command table with the table's usage, and nothing else: each alternative of a usage
("PID [user|kernel] | kernel | satp") is one `NAME ALTERNATIVE` form in the first column
of README's command table (`|` escaped as `\\|` there). The table comes from the program
itself (`help` and `help CMD` with --json), so the test reads no C.

The man page's source (src/cli/sv39sim.1.scd), when given, is held to the same table: its
COMMANDS section has one `*NAME* USAGE` line per command, USAGE as the table has it.

usage: test_trace_reference.py SV39SIM README [MAN_SCD]
"""
import json
import re
import subprocess
import sys

HEADER = "| command | what it does |"


def command_table(sim):
    """[(name, usage)] in the program's order, from `help` and `help NAME`."""
    out = subprocess.run([sim, "--json", "-e", "help"], capture_output=True, text=True,
                         check=True).stdout
    names = json.loads(out.splitlines()[0])["commands"]
    if len(names) < 30:
        sys.exit(f"help lists {len(names)} commands: {names}")
    cmds = "; ".join(f"help {n}" for n in names)
    out = subprocess.run([sim, "--json", "-e", cmds], capture_output=True, text=True,
                         check=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    if len(rows) != len(names) or not all(r["ok"] for r in rows):
        sys.exit(f"help NAME failed for some of {names}: {rows}")
    return [(n, r["usage"]) for n, r in zip(names, rows)]


def wanted_forms(table):
    """{form: name}: each usage alternative as README writes it, without the escapes."""
    forms = {}
    for name, usage in table:
        for alt in usage.split(" | "):
            forms[f"{name} {alt}".strip()] = name
    return forms


def readme_forms(text):
    """[(line number, form)]: the `...` spans of the first column of README's command
    table, `\\|` read as `|`."""
    lines = text.splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == HEADER)
    except StopIteration:
        sys.exit(f"README has no command table (a line '{HEADER}')")
    found = []
    for n in range(start + 2, len(lines)):
        line = lines[n]
        if not line.startswith("|"):
            break
        first = re.split(r"(?<!\\)\|", line)[1]
        for span in re.findall(r"`([^`]*)`", first):
            found.append((n + 1, span.replace("\\|", "|")))
    return found


def problems(text, table):
    """What README gets wrong about table, one sentence each."""
    wanted = wanted_forms(table)
    names = {name for name, _ in table}
    found = readme_forms(text)
    have = {form for _, form in found}
    out = []
    for form, name in wanted.items():
        if form not in have:
            out.append(f"README's command table lacks `{form}` (command '{name}')")
    for line, form in found:
        word = form.split(" ")[0]
        if word not in names:
            out.append(f"README line {line}: `{form}`: no command '{word}' in the table")
        elif form not in wanted:
            usage = dict(table)[word]
            out.append(f"README line {line}: `{form}` is not the usage of '{word}' "
                       f"(the table says `{word} {usage}`)")
    return out


def man_problems(text, table):
    """What the scdoc man page's COMMANDS section gets wrong about table."""
    lines = text.splitlines()
    try:
        start = lines.index("# COMMANDS")
    except ValueError:
        return ["the man page has no '# COMMANDS' section"]
    entries = []
    for n in range(start + 1, len(lines)):
        if lines[n].startswith("# "):
            break
        m = re.match(r"^\*([a-z]+)\*(?: (.*))?$", lines[n])
        if m:
            entries.append((n + 1, m.group(1), m.group(2) or ""))
    out = []
    want = dict(table)
    seen = [name for _, name, _ in entries]
    for line, name, usage in entries:
        if name not in want:
            out.append(f"man page line {line}: no command '{name}' in the table")
        elif usage != want[name]:
            out.append(f"man page line {line}: '{name} {usage}' is not the table's "
                       f"'{name} {want[name]}'")
    for name in want:
        if seen.count(name) != 1:
            out.append(f"the man page's COMMANDS lists '{name}' {seen.count(name)} times")
    return out


def check_man(path, table):
    with open(path) as f:
        text = f.read()
    found = man_problems(text, table)
    if found:
        sys.exit("\n".join(found))
    # The check can fail: a page without kill, and one with kill's usage changed.
    dropped = text.replace("*kill* PID\n", "")
    if not any("'kill' 0 times" in p for p in man_problems(dropped, table)):
        sys.exit("a man page without kill passes the check")
    changed = text.replace("*kill* PID\n", "*kill* PID [N]\n")
    if not any("'kill PID [N]'" in p for p in man_problems(changed, table)):
        sys.exit("a man page with kill's usage changed passes the check")
    print(f"ok: the man page's COMMANDS lists the {len(table)} commands of the table")


def main():
    sim, readme = sys.argv[1:3]
    table = command_table(sim)
    names = [name for name, _ in table]
    if names != sorted(names):
        sys.exit(f"the command table is not sorted by name: {names}")
    with open(readme) as f:
        text = f.read()
    found = problems(text, table)
    if found:
        sys.exit("\n".join(found))

    # The check can fail: a README without one row, and one with a usage changed.
    lines = text.splitlines()
    kill_row = next(l for l in lines if l.startswith("| `kill PID`"))
    dropped = "\n".join(l for l in lines if l != kill_row)
    if not any("`kill PID`" in p for p in problems(dropped, table)):
        sys.exit("a README without kill's row passes the check")
    changed = text.replace("| `kill PID` |", "| `kill PID [N]` |")
    if not any("`kill PID [N]`" in p for p in problems(changed, table)):
        sys.exit("a README with kill's usage changed passes the check")
    unknown = text.replace("| `kill PID` |", "| `kill PID`, `skill PID` |")
    if not any("'skill'" in p for p in problems(unknown, table)):
        sys.exit("a README naming a command the table lacks passes the check")
    print(f"ok: {len(table)} commands, {len(wanted_forms(table))} usage forms, all in "
          f"{readme}")
    if len(sys.argv) > 3:
        check_man(sys.argv[3], table)


if __name__ == "__main__":
    main()
