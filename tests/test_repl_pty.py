#!/usr/bin/env python3
"""Drive sv39sim's REPL through a pseudo-terminal, as a person at a keyboard would.

usage: test_repl_pty.py SV39SIM

Every step waits for the output it needs (with a timeout), never for a fixed time. HOME and
XDG_STATE_HOME point into a temporary folder, so the user's own history is never touched.
"""
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import time

TIMEOUT = float(os.environ.get("SV39SIM_PTY_TIMEOUT", "10"))  # longer under valgrind
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]|[\x07\r]")
UP = b"\x1b[A"


class Fail(Exception):
    pass


class Session:
    """One sv39sim process on the slave side of a fresh pty."""

    def __init__(self, sim, env, args=()):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
        # The pty becomes the controlling terminal, so that Ctrl-C raises SIGINT.
        self.proc = subprocess.Popen([sim, *args], stdin=slave, stdout=slave, stderr=slave,
                                     env=env, close_fds=True, preexec_fn=self.take_tty)
        os.close(slave)
        self.seen = b""  # everything read so far, escape sequences removed
        self.mark = 0    # expect() searches from here

    @staticmethod
    def take_tty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def read_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([self.master], [], [], left)
        if not ready:
            return False
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: the slave side closed
            return False
        if not data:
            return False
        self.seen += ANSI.sub(b"", data)
        return True

    def expect(self, pattern, what):
        """Wait until pattern appears after the mark; move the mark past it."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = rx.search(self.seen, self.mark)
            if m:
                self.mark = m.end()
                return m
            if not self.read_some(deadline):
                tail = self.seen[self.mark:].decode(errors="replace")
                raise Fail(f"{what}: no {pattern!r} within {TIMEOUT}s; output since the "
                           f"last match:\n{tail}")

    def send(self, data):
        os.write(self.master, data)

    def prompt(self, what):
        return self.expect(r"sv39sim \[[^\]]*\]> ", what)

    def finish(self):
        """Wait for exit, reading what is left; return the status."""
        deadline = time.monotonic() + TIMEOUT
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read_some(min(deadline, time.monotonic() + 0.1))
        if self.proc.poll() is None:
            self.proc.kill()
            raise Fail("sv39sim did not exit after Ctrl-D")
        os.close(self.master)
        return self.proc.returncode


def table(sim):
    """The command table, as `help --json` reports it."""
    out = subprocess.run([sim, "--json", "-e", "help"], capture_output=True, check=True)
    return json.loads(out.stdout.splitlines()[0])["commands"]


def usage(sim, name):
    out = subprocess.run([sim, "--json", "-e", f"help {name}"], capture_output=True,
                         check=True)
    return json.loads(out.stdout.splitlines()[0])["usage"]


def shortest_unique_prefix(name, names):
    for n in range(1, len(name) + 1):
        prefix = name[:n]
        if [x for x in names if x.startswith(prefix)] == [name]:
            return prefix
    raise Fail(f"no prefix of {name!r} is unique among {names}")


def main():
    sim = os.path.realpath(sys.argv[1])
    names = table(sim)
    for needed in ("boot", "userinit", "exec", "ranges", "free"):
        if needed not in names:
            raise Fail(f"the command table has no {needed!r}: {names}")
    helped = "fork" if "fork" in names else "exec"
    helped_usage = usage(sim, helped)

    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "INPUTRC")}
        env.update(HOME=tmp, XDG_STATE_HOME=os.path.join(tmp, "state"), TERM="xterm",
                   INPUTRC=os.path.join(tmp, "inputrc"))
        open(env["INPUTRC"], "w").close()

        s = Session(sim, env)
        s.prompt("first prompt")
        if b"sv39sim [xv6 2020, global, satp 0x0]> " not in s.seen:
            raise Fail("the first prompt does not name the edition (xv6 2020) and mode")
        # A partial command completed by Tab: the completion is echoed, then it runs.
        s.send(shortest_unique_prefix("boot", names + ["quit"]).encode() + b"\t")
        s.expect(r"boot ", "Tab completing boot")
        s.send(b"\r")
        s.expect(r"boot: kernel page table 0x0000000087fff000", "boot's output")
        s.prompt("prompt after boot")
        s.send(b"userinit\r")
        s.expect(r"userinit: pid 1\n", "userinit")
        s.prompt("prompt after userinit")
        # A pid completed by Tab: exec's first argument can only be a live pid.
        s.send(b"exec \t")
        s.expect(r"exec 1 ", "Tab completing the pid")
        s.send(b"-s 4K /init\r")
        s.expect(r"exec: pid 1: argc 1, sz 0x3000", "exec through the completed pid")
        s.prompt("prompt after exec")
        # A table keyword completed after a pid.
        s.send(b"ranges 1 u\t")
        s.expect(r"ranges 1 user ", "Tab completing 'user'")
        s.send(b"\r")
        s.expect(r"0000000000000000 0000000087f6b000 0000000000001000 rwxu---",
                 "ranges of pid 1")
        s.prompt("prompt after ranges")
        # History recalled with the up arrow runs the same command again.
        s.send(b"free\r")
        free_line = s.expect(r"free: (\d+) pages\n", "free").group(0)
        s.prompt("prompt after free")
        s.send(UP + b"\r")
        s.expect(re.escape(free_line.decode()), "free again, recalled with the up arrow")
        s.prompt("prompt after the recalled free")
        # help CMD comes from the command table.
        s.send(f"help {helped}\r".encode())
        s.expect(re.escape(f"{helped} {helped_usage}"), f"help {helped}")
        s.prompt("prompt after help")
        # help wraps to the terminal's width: at 200 columns access's line is whole (at
        # 80, when stdout is no terminal, it wraps after "lackey or").
        s.send(b"help\r")
        s.expect(r"  access PID FILE \[--demand\] +replay an address trace \(valgrind lackey or "
                 r"Dinero din\) through the MMU as PID in U-mode; --demand maps a page at each "
                 r"first touch\n", "help at 200 columns")
        s.prompt("prompt after help")
        # An error does not end the session; the next command works.
        s.send(b"frobnicate 3\r")
        # At the prompt a message names no FILE:LINE: the line is the one just typed.
        s.expect(r"sv39sim: unknown command 'frobnicate'", "the error message")
        s.prompt("prompt after the error")
        # Ctrl-C throws the typed line away.
        s.send(b"boo")
        s.expect(r"boo", "echo of the half-typed line")
        s.send(b"\x03")
        s.prompt("prompt after Ctrl-C")
        s.send(b"free\r")
        s.expect(re.escape(free_line.decode()), "the command after the error and Ctrl-C")
        s.prompt("prompt before Ctrl-D")
        s.send(b"\x04")
        status = s.finish()
        if status != 0:
            raise Fail(f"Ctrl-D: exit status {status}, want 0")

        hist = os.path.join(tmp, "state", "sv39sim", "history")
        if not os.path.exists(hist):
            raise Fail(f"no history file at {hist}")

        # A second session recalls the first one's last line.
        s = Session(sim, env)
        s.prompt("second session's prompt")
        s.send(UP)
        s.expect(r"free", "the previous session's last line, with the up arrow")
        s.send(b"\r")
        s.expect(r"free: \d+ pages\n", "the recalled command")
        s.prompt("second session, prompt after free")
        s.send(b"quit\r")
        status = s.finish()
        if status != 0:
            raise Fail(f"quit: exit status {status}, want 0")

        # Ctrl-C during a long output: the 16 GiB kernel table's vmprint is 4.2 million
        # lines; Ctrl-C once its first leaves are out stops it at the next line, and the
        # prompt comes back long before the lines could all have been shown.
        s = Session(sim, env, ["--ram", "16G"])
        s.prompt("16G session's prompt")
        s.send(b"boot\r")
        s.prompt("16G prompt after boot")
        s.send(b"vmprint kernel\r")
        s.expect(r"\.\. \.\. \.\.\d+: pte 0x[0-9a-f]+ pa 0x[0-9a-f]+\n",
                 "the first leaves of the long vmprint")
        s.send(b"\x03")
        s.expect(r"sv39sim: interrupted: the rest of the output was dropped",
                 "the message after Ctrl-C")
        s.prompt("prompt after Ctrl-C during vmprint")
        lines = s.seen.count(b"pte 0x")
        if lines > 1_000_000:
            raise Fail(f"{lines} PTE lines shown after Ctrl-C, want it stopped early")
        s.send(b"free\r")
        s.expect(r"free: \d+ pages\n", "a command after the interrupted one")
        s.prompt("prompt after free")
        s.send(b"quit\r")
        status = s.finish()
        if status != 0:
            raise Fail(f"quit after Ctrl-C: exit status {status}, want 0")
        # A history that cannot be written: said on leaving, and the status is 1.
        bad = dict(env, XDG_STATE_HOME=os.path.join(tmp, "bad-state"))
        os.makedirs(os.path.join(tmp, "bad-state", "sv39sim", "history"))
        s = Session(sim, bad)
        s.prompt("prompt with an unwritable history")
        s.send(b"free\r")
        s.prompt("prompt after free, unwritable history")
        s.send(b"quit\r")
        s.expect(r"sv39sim: cannot write history '[^']*/bad-state/sv39sim/history': ",
                 "the history's write error")
        status = s.finish()
        if status != 1:
            raise Fail(f"quit with an unwritable history: exit status {status}, want 1")
    print("ok: tab completion, pid completion, history, help, errors, Ctrl-C, Ctrl-D, quit, "
          "Ctrl-C of a long output, a history write error")


if __name__ == "__main__":
    signal.alarm(120)  # a last resort; every wait above has its own timeout
    try:
        main()
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
