"""Integration test harness for mqtree: drives build/mqtree as a user or a script would.

Python 3 standard library only.

Programs under test come from the environment (CTest sets both):
  MQTREE_BIN       the control node   (default: ../../build/mqtree next to this file)
  MQTREE_NODE_BIN  the compute node   (default: mqtree-node next to MQTREE_BIN)
  MQTREE_TEST_SLOW multiplies every deadline (e.g. 5 under valgrind); default 1

Rules every test follows (GUIDE section 3 item 7):
  * hermetic: each control node runs in a fresh temporary directory with HOME pointing at it;
  * every pid seen is recorded (the control node, every `Ok: PID`, every descendant found in
    /proc) and, at teardown, anything still alive is killed by pid and the test FAILS as leaky;
  * nothing waits by sleeping: output is read with deadlines and /proc is polled with deadlines.
"""

import os
import queue
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SLOW = float(os.environ.get("MQTREE_TEST_SLOW", "1") or "1")


def _program(env_name, default_name):
    path = os.environ.get(env_name) or os.path.join(HERE, "..", "..", "build", default_name)
    return os.path.abspath(path)


MQTREE_BIN = _program("MQTREE_BIN", "mqtree")
# The compute node the control node must start: the one next to its own executable.
if os.environ.get("MQTREE_BIN") and not os.environ.get("MQTREE_NODE_BIN"):
    MQTREE_NODE_BIN = os.path.join(os.path.dirname(MQTREE_BIN), "mqtree-node")
else:
    MQTREE_NODE_BIN = _program("MQTREE_NODE_BIN", "mqtree-node")

# Generous deadlines: the machines are shared and have two cores.
ANSWER = 5.0 * SLOW        # an ordinary answer
PROMPT = 1.0 * SLOW        # an answer the SPEC says comes "at once"
EXIT = 10.0 * SLOW         # a control node asked to exit (plus its --timeout)
SELF_END = 2.0             # SPEC: orphaned compute nodes end by themselves within 2 s
MARGIN = 1.5 * SLOW        # added to every bound the SPEC states in seconds
GONE = 1.0 * SLOW          # processes the SPEC says are ended "afterwards"

PID_LINE = re.compile(r"Ok: ([0-9]+)")

# What AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer print when they find
# something (compute nodes inherit the control node's stderr, so their reports land there too).
SANITIZER_REPORT = re.compile(r"ERROR: (?:Address|UndefinedBehavior)Sanitizer|LeakSanitizer"
                              r"|runtime error:")


def sanitizer_reports(lines):
    """The lines of a sanitizer report among lines (stderr of a control node)."""
    return [l for l in lines if SANITIZER_REPORT.search(l)]


def deadline_after(seconds):
    return time.monotonic() + seconds


def remaining(deadline):
    return max(0.0, deadline - time.monotonic())


# --------------------------------------------------------------------------------------------
# /proc helpers

def proc_stat(pid):
    """(state, ppid, starttime) of pid, or None when there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    except OSError:
        return None
    rpar = data.rfind(b")")
    fields = data[rpar + 2:].split()
    try:
        return fields[0].decode(), int(fields[1]), int(fields[19])
    except (IndexError, ValueError):
        return None


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def all_stats():
    """{pid: (state, ppid, starttime)} for every process visible now."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st is not None:
                out[int(name)] = st
    return out


def descendants(roots, stats=None):
    """Every pid whose ppid chain leads to one of roots (roots excluded)."""
    stats = all_stats() if stats is None else stats
    children = {}
    for pid, (_, ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), list(roots)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found - set(roots)


def own_lineage():
    """This test process and its ancestors: never ours to record, let alone kill."""
    pids, pid = set(), os.getpid()
    while pid > 0 and pid not in pids:
        pids.add(pid)
        st = proc_stat(pid)
        pid = st[1] if st else 0
    return pids


# --------------------------------------------------------------------------------------------
# Process tracking

class ProcTracker:
    """Every process a test has seen, identified by (pid, starttime) so that reused pids are
    never mistaken for ours, and attributed to the control node whose system it belongs to."""

    def __init__(self):
        self._lock = threading.Lock()
        self.known = {}         # pid -> (starttime, note, owner: pid of its control node)
        self._never = own_lineage() | {0, 1}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None

    # -- recording
    def _acceptable(self, pid, st):
        """Only processes of the system under test are recorded: never this test process or
        its ancestors, and only programs named mqtree (or zombies, which have no cmdline)."""
        return pid not in self._never and (st[0] == "Z" or "mqtree" in proc_cmdline(pid))

    def record(self, pid, note="", owner=None, started_since=None):
        """Record pid (owner: its control node's pid; by default the nearest recorded
        ancestor's owner). False when there is no such mqtree process, or when it started
        before started_since (a starttime in clock ticks)."""
        st = proc_stat(pid)
        if st is None or not self._acceptable(pid, st):
            return False
        if started_since is not None and st[2] < started_since:
            return False
        if owner is None:
            owner = self._owner_by_ancestry(st[1])
        with self._lock:
            if pid not in self.known or self.known[pid][0] != st[2]:
                self.known[pid] = (st[2], note, owner)
        return True

    def _owner_by_ancestry(self, ppid):
        seen = set()
        while ppid > 1 and ppid not in seen:
            seen.add(ppid)
            with self._lock:
                entry = self.known.get(ppid)
            if entry is not None:
                return entry[2]
            st = proc_stat(ppid)
            if st is None:
                break
            ppid = st[1]
        return None

    def add_root(self, pid, note="control"):
        self.record(pid, note, owner=pid)
        self._start_scanner()

    def scan(self):
        """Record every descendant of any recorded live process (control nodes included),
        attributed to the same control node."""
        stats = all_stats()
        children = {}
        for pid, (_, ppid, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        with self._lock:
            todo = [(p, owner) for p, (start, _, owner) in self.known.items()
                    if p in stats and stats[p][2] == start]
        while todo:
            parent, owner = todo.pop()
            for pid in children.get(parent, ()):
                start = stats[pid][2]
                if not self._acceptable(pid, stats[pid]):
                    continue
                with self._lock:
                    entry = self.known.get(pid)
                    if entry is not None and entry[0] == start:
                        continue
                    self.known[pid] = (start, "descendant", owner)
                todo.append((pid, owner))

    def poke(self):
        """Ask the scanner thread for a scan now (e.g. a node was just created)."""
        self._wake.set()

    def _start_scanner(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._scan_loop, daemon=True,
                                            name="proc-scan")
            self._thread.start()

    def _scan_loop(self):
        while not self._stop.is_set():
            self._wake.wait(0.2)
            self._wake.clear()
            try:
                self.scan()
            except Exception:  # /proc races must never kill the scanner
                pass

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    # -- queries
    def _state(self, pid):
        """None if pid is not (any more) the process we recorded, else (state, ppid)."""
        with self._lock:
            entry = self.known.get(pid)
        st = proc_stat(pid)
        if entry is None or st is None or st[2] != entry[0]:
            return None
        return st[0], st[1]

    def is_ours_alive(self, pid):
        """The recorded process still exists and is not a zombie."""
        s = self._state(pid)
        return s is not None and s[0] != "Z"

    def is_ours_stopped(self, pid):
        """The recorded process exists and is stopped by a signal (state T)."""
        s = self._state(pid)
        return s is not None and s[0] == "T"

    def is_leaked(self, pid):
        """Still running, or a zombie that one of our live processes fails to reap."""
        s = self._state(pid)
        if s is None:
            return False
        if s[0] != "Z":
            return True
        return self.is_ours_alive(s[1])

    def starttime(self, pid):
        with self._lock:
            entry = self.known.get(pid)
        return None if entry is None else entry[0]

    def pids(self, owner=None):
        """Recorded pids, all or those of one control node's system."""
        with self._lock:
            return sorted(p for p, e in self.known.items() if owner is None or e[2] == owner)

    def describe(self, pid):
        with self._lock:
            note = self.known.get(pid, (0, "?", None))[1]
        st = proc_stat(pid)
        return "pid %d (%s, state %s, ppid %s, cmdline %r)" % (
            pid, note, st[0] if st else "-", st[1] if st else "-", proc_cmdline(pid))

    def leaked(self, pids=None):
        return [p for p in (self.pids() if pids is None else pids) if self.is_leaked(p)]

    def wait_gone(self, pids, timeout):
        """Poll /proc until none of pids is leaked; returns those still leaked at the deadline."""
        end = deadline_after(timeout)
        while True:
            left = self.leaked(pids)
            if not left or time.monotonic() >= end:
                return left
            time.sleep(0.01)   # polling interval of a deadline-bounded wait, not a sync

    def kill_ours(self, pids):
        """SIGKILL, by pid, each process that is still the one we recorded and names mqtree."""
        for pid in pids:
            if self.is_ours_alive(pid) and "mqtree" in proc_cmdline(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


# --------------------------------------------------------------------------------------------
# A running control node with pipes

_EOF = object()
_CLOSE = object()


def _timeout_ms(args):
    args = list(args)
    for i, a in enumerate(args):
        if a in ("-T", "--timeout") and i + 1 < len(args):
            return int(args[i + 1])
        if a.startswith("--timeout="):
            return int(a.split("=", 1)[1])
        if a.startswith("-T") and len(a) > 2:
            return int(a[2:])
    return 1000


class _Program:
    """What the control node on pipes and on a terminal share."""

    def stderr_until_end(self, timeout=None):
        """Every stderr line, after waiting (at most timeout, default GONE) for the end of
        stderr: once the control node and every node holding it have ended."""
        self._stderr_thread.join(GONE if timeout is None else timeout)
        return list(self.stderr_lines)

    def wait_exit(self, timeout=None):
        """Exit status; fails if the control node has not ended by the deadline."""
        if timeout is None:
            timeout = EXIT + self.timeout_ms / 1000.0
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s (pid %d) did not exit within %.1fs%s"
                                 % (self.name, self.pid, timeout, self._context())) from None


# Resource limits set by a tiny interpreter that then execs the program (same pid): setting
# them in preexec_fn is unsafe with threads running. argv: limits ("NOFILE=64:64,..."), program...
_RLIMIT_EXEC = ("import os, resource, sys\n"
                "for item in filter(None, sys.argv[1].split(',')):\n"
                "    name, value = item.split('=')\n"
                "    soft, hard = map(int, value.split(':'))\n"
                "    resource.setrlimit(getattr(resource, 'RLIMIT_' + name), (soft, hard))\n"
                "os.execv(sys.argv[2], sys.argv[2:])")


def with_rlimits(argv, rlimits):
    """argv run under resource limits, e.g. {"NOFILE": (64, 64)}: the same pid ends up running
    argv[0]. Without rlimits, argv itself."""
    if not rlimits:
        return list(argv)
    spec = ",".join("%s=%d:%d" % (name, soft, hard) for name, (soft, hard) in rlimits.items())
    return [sys.executable, "-c", _RLIMIT_EXEC, spec] + list(argv)


class Control(_Program):
    """build/mqtree started with pipes on stdin, stdout and stderr.

    stdout is read by a thread into a queue of lines; stdin is written by a thread, so that
    send() never blocks the test even when a line is megabytes long or the program stalls."""

    def __init__(self, args, tracker, workdir, name="control", rlimits=None, prefix=()):
        self.args = list(args)
        self.name = name
        self.tracker = tracker
        self.timeout_ms = _timeout_ms(self.args)
        # Its private socket directory (mqtree-*) is made in workdir: see rundir().
        env = dict(os.environ, HOME=workdir, TMPDIR=workdir)
        env.pop("XDG_RUNTIME_DIR", None)
        env.pop("MQTREE_BIN", None)
        env.pop("MQTREE_NODE_BIN", None)
        # prefix: a command that execs the rest (same pid), e.g. `ip netns exec NS`
        self.proc = subprocess.Popen(list(prefix) +
                                     with_rlimits([MQTREE_BIN] + self.args, rlimits),
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=workdir, env=env)
        self.pid = self.proc.pid
        self.workdir = workdir
        tracker.add_root(self.pid, name)
        self.transcript = []        # every stdout line, for failure messages
        self.stderr_lines = []
        self._lines = queue.Queue()
        self._eof = False
        self._wq = queue.Queue()
        self._pending = 0
        self._pending_cv = threading.Condition()
        self.write_error = None
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True, name=name + "-out"),
            threading.Thread(target=self._read_stderr, daemon=True, name=name + "-err"),
            threading.Thread(target=self._write_stdin, daemon=True, name=name + "-in"),
        ]
        self._stderr_thread = self._threads[1]
        for t in self._threads:
            t.start()

    # -- threads
    def _read_stdout(self):
        f = self.proc.stdout
        while True:
            raw = f.readline()
            if not raw:
                break
            line = raw[:-1] if raw.endswith(b"\n") else raw
            text = line.decode("utf-8", "replace")
            if PID_LINE.fullmatch(text):
                self.tracker.poke()
            self._lines.put(text)
        self._lines.put(_EOF)
        f.close()   # here, not in end(): closing a pipe another thread reads would block

    def _read_stderr(self):
        for raw in self.proc.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        self.proc.stderr.close()

    def _write_stdin(self):
        fd = self.proc.stdin.fileno()
        while True:
            item = self._wq.get()
            try:
                if item is _CLOSE:
                    try:
                        self.proc.stdin.close()
                    except OSError:
                        pass
                    return
                if self.write_error is None:
                    chunks = [item] if isinstance(item, (bytes, bytearray)) else item
                    for chunk in chunks:
                        view = memoryview(chunk)
                        while view:
                            n = os.write(fd, view)
                            view = view[n:]
            except OSError as e:        # BrokenPipeError: the program is gone
                self.write_error = e
            finally:
                with self._pending_cv:
                    self._pending -= 1
                    self._pending_cv.notify_all()

    def _enqueue(self, item):
        with self._pending_cv:
            self._pending += 1
        self._wq.put(item)

    # -- input
    def send(self, line):
        """Queue one line (str or bytes; a newline is appended)."""
        data = line.encode() if isinstance(line, str) else bytes(line)
        self._enqueue(data + b"\n")

    def send_lines(self, lines):
        """Queue several lines as one write, back to back."""
        self._enqueue(b"".join((l.encode() if isinstance(l, str) else l) + b"\n" for l in lines))

    def send_raw(self, data):
        """Queue bytes, or an iterable of byte chunks that the writer thread streams (it may
        block on an event to hold a line half written)."""
        self._enqueue(data)

    def flush(self, timeout=ANSWER):
        """Wait until everything queued has been written to the program's stdin."""
        end = deadline_after(timeout)
        with self._pending_cv:
            while self._pending:
                if not self._pending_cv.wait(remaining(end)) and self._pending:
                    raise AssertionError("%s: stdin not consumed within %.1fs%s"
                                         % (self.name, timeout, self._context()))

    def close_stdin(self):
        self._enqueue(_CLOSE)

    # -- output
    def context(self):
        """Recent stdout and stderr lines and the exit status, for failure messages."""
        return self._context()

    def _context(self):
        out = "\n  last stdout lines: %r" % [self._short(l) for l in self.transcript[-8:]]
        if self.write_error is not None:
            out += "\n  writing to its stdin failed: %s" % self.write_error
        out += "\n  last stderr lines: %r" % [self._short(l) for l in self.stderr_lines[-8:]]
        status = self.proc.poll()
        if status is not None:
            out += "\n  control exited with status %s" % status
        return out

    @staticmethod
    def _short(text, limit=200):
        return text if len(text) <= limit else text[:limit] + "...(%d chars)" % len(text)

    def next_line(self, timeout):
        """The next stdout line, or None at end of output or at the deadline."""
        if self._eof:
            return None
        try:
            item = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if item is _EOF:
            self._eof = True
            return None
        self.transcript.append(item)
        return item

    def expect(self, want, timeout=ANSWER):
        """Read the next line; it must equal want (str) or fullmatch want (compiled regex).
        Returns the line, or the match object for a regex."""
        start = time.monotonic()
        line = self.next_line(timeout)
        if line is None:
            what = "end of output" if self._eof else "nothing within %.1fs" % timeout
            raise AssertionError("%s: expected %s, got %s%s"
                                 % (self.name, show(want), what, self._context()))
        m = matches(want, line)
        if m is None:
            raise AssertionError("%s: expected %s, got %r (after %.2fs)%s"
                                 % (self.name, show(want), self._short(line),
                                    time.monotonic() - start, self._context()))
        return m if isinstance(want, re.Pattern) else line

    def expect_timed(self, want, timeout=ANSWER):
        """expect(), also returning how long the line took to come: (result, seconds)."""
        start = time.monotonic()
        result = self.expect(want, timeout)
        return result, time.monotonic() - start

    def expect_unordered(self, wants, timeout=ANSWER):
        """The next len(wants) lines match wants in any order (answers of different nodes).
        Returns the lines in the order they came."""
        end = deadline_after(timeout)
        left, got = list(wants), []
        while left:
            line = self.next_line(remaining(end))
            if line is None:
                raise AssertionError("%s: still expected %s after %r, got %s%s"
                                     % (self.name, [show(w) for w in left], got,
                                        "end of output" if self._eof else "nothing",
                                        self._context()))
            for i, w in enumerate(left):
                if matches(w, line) is not None:
                    del left[i]
                    break
            else:
                raise AssertionError("%s: expected one of %s, got %r%s"
                                     % (self.name, [show(w) for w in left],
                                        self._short(line), self._context()))
            got.append(line)
        return got

    def lines(self, n, timeout=ANSWER):
        """The next n lines, with one deadline for all of them."""
        end = deadline_after(timeout)
        out = []
        for _ in range(n):
            line = self.next_line(remaining(end))
            if line is None:
                raise AssertionError("%s: expected %d lines, got %d: %r%s"
                                     % (self.name, n, len(out),
                                        [self._short(l) for l in out], self._context()))
            out.append(line)
        return out

    def lines_until(self, want, timeout=ANSWER):
        """Lines up to and including the first one matching want."""
        end = deadline_after(timeout)
        out = []
        while True:
            line = self.next_line(remaining(end))
            if line is None:
                raise AssertionError("%s: no line %s among %r%s"
                                     % (self.name, show(want),
                                        [self._short(l) for l in out], self._context()))
            out.append(line)
            if matches(want, line) is not None:
                return out

    def expect_none(self, within):
        """No output at all for `within` seconds. Only for silence the SPEC requires."""
        line = self.next_line(within)
        if line is not None:
            raise AssertionError("%s: expected no output for %.1fs, got %r%s"
                                 % (self.name, within, self._short(line), self._context()))

    def rest(self, timeout=EXIT):
        """Every remaining line up to end of output."""
        end = deadline_after(timeout)
        out = []
        while True:
            line = self.next_line(remaining(end))
            if line is None:
                if not self._eof:
                    raise AssertionError("%s: output did not end within %.1fs; got %r%s"
                                         % (self.name, timeout, out, self._context()))
                return out
            out.append(line)

    # -- life

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.pid, sig)

    def end(self):
        """Teardown: close stdin, wait with a deadline, then SIGKILL by pid. Reaps."""
        if self.proc.poll() is None:
            self.close_stdin()
            try:
                self.proc.wait(EXIT + self.timeout_ms / 1000.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # stdout and stderr are closed by their reader threads at end of file: a leaked
        # compute node may still hold them open.


def matches(want, line):
    if isinstance(want, re.Pattern):
        return want.fullmatch(line)
    return line if line == want else None


def show(want):
    return "/%s/" % want.pattern if isinstance(want, re.Pattern) else repr(want)


# --------------------------------------------------------------------------------------------
# Base class for every integration test

class MqTestCase(unittest.TestCase):
    """Starts control nodes, records their processes, and checks at teardown that nothing
    of the system is left running (a leak fails the test)."""

    def setUp(self):
        if not os.access(MQTREE_BIN, os.X_OK):
            self.fail("control node program not found: %s (run `make build` or set MQTREE_BIN)"
                      % MQTREE_BIN)
        self.tracker = ProcTracker()
        self.controls = []
        self.workdir = tempfile.mkdtemp(prefix="mqtree-it-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.addCleanup(self._end_everything)

    def continue_at_end(self, pid):
        """A node this test stops (SIGSTOP) is continued when the test ends, if still ours."""
        self.addCleanup(self.resume, pid)

    def halt(self, pid):
        """SIGSTOP to a process of ours; returns once it is stopped (state T), so that a
        resume() soon after finds it so."""
        os.kill(pid, signal.SIGSTOP)
        end = deadline_after(ANSWER)
        while not self.tracker.is_ours_stopped(pid) and self.tracker.is_ours_alive(pid):
            if remaining(end) <= 0:
                self.fail("pid %d not stopped within %.1fs of SIGSTOP" % (pid, ANSWER))
            time.sleep(0.001)

    def resume(self, pid):
        """SIGCONT to a process of ours only while it is stopped. One may run again before:
        when its parent dies, its process group is orphaned and the kernel sends it SIGHUP
        and SIGCONT; a SIGCONT then, while it ends, discards the SIGSTOP that a sanitizer's
        leak check at exit sends as it attaches (ptrace), which hangs that check."""
        if self.tracker.is_ours_stopped(pid):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def start(self, *args, name=None, rlimits=None, prefix=()):
        """A control node with the given options; ended and leak-checked at teardown.
        rlimits: resource limits it starts with, e.g. {"NOFILE": (64, 64)}; prefix: a command
        that execs it, e.g. `ip netns exec NS`."""
        workdir = tempfile.mkdtemp(prefix="c%d-" % len(self.controls), dir=self.workdir)
        ctl = Control(args, self.tracker, workdir,
                      name or "control#%d" % (len(self.controls) + 1), rlimits, prefix)
        self.controls.append(ctl)
        return ctl

    def start_terminal(self, *args, piped=False):
        """A control node on a pseudo-terminal (with piped, stdout on a pipe instead, as in
        `mqtree | tee log`); ended and leak-checked at teardown."""
        workdir = tempfile.mkdtemp(prefix="t%d-" % len(self.controls), dir=self.workdir)
        term = Terminal(args, self.tracker, workdir, "terminal#%d" % (len(self.controls) + 1),
                        piped)
        self.controls.append(term)
        return term

    def run_program(self, args, timeout=ANSWER):
        """build/mqtree run to its end with an empty pipe as stdin (e.g. bad options):
        (status, stdout, stderr). Killed by pid and failed if it outlives timeout."""
        proc = subprocess.Popen([MQTREE_BIN] + list(args), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=self.workdir, env=dict(os.environ, HOME=self.workdir))
        self.tracker.add_root(proc.pid, "mqtree %s" % " ".join(args))
        try:
            out, err = proc.communicate(b"", timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.fail("mqtree %s did not end within %.1fs" % (" ".join(args), timeout))
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def start_tree(self, *extra):
        return self.start("-t", "tree", "-e", "sum", *extra)

    def _end_everything(self):
        try:
            self.tracker.scan()
            for ctl in self.controls:
                ctl.end()
            self.tracker.scan()
        finally:
            self.tracker.stop()
        # Orphaned compute nodes may take up to 2 s to end by themselves (SPEC section 5).
        left = self.tracker.wait_gone(self.tracker.pids(), SELF_END + MARGIN)
        if left:
            report = [self.tracker.describe(p) for p in left]
            self.tracker.kill_ours(left)
            still = self.tracker.wait_gone(left, 5)
            self.fail("processes left behind after the control node ended (killed by pid"
                      " now%s):\n  %s" % ("; some survived SIGKILL" if still else "",
                                          "\n  ".join(report)))

    # -- helpers on top of a control node
    def record(self, pid, note, ctl=None):
        owner = None if ctl is None else ctl.pid
        self.assertTrue(self.tracker.record(pid, note, owner),
                        "pid %d (%s) is not a running mqtree process: %r"
                        % (pid, note, proc_cmdline(pid)))
        self.tracker.poke()

    def create(self, ctl, node_id, parent=None, timeout=ANSWER):
        """`create ID [PARENT]` that must succeed; returns the new node's pid after checking
        that it is a live mqtree-node process."""
        ctl.send("create %d" % node_id if parent is None else "create %d %d" % (node_id, parent))
        return self.expect_pid(ctl, node_id, timeout)

    def expect_pid(self, ctl, node_id, timeout=ANSWER):
        """Read an `Ok: PID` answer of a create of node_id and check the process."""
        pid = int(ctl.expect(PID_LINE, timeout).group(1))
        self.record(pid, "node %d" % node_id, ctl)
        self.assert_node_process(pid)
        return pid

    def assert_node_process(self, pid):
        st = proc_stat(pid)
        self.assertIsNotNone(st, "pid %d from `Ok: PID` is not a running process" % pid)
        self.assertNotEqual(st[0], "Z", "pid %d from `Ok: PID` is a zombie" % pid)
        cmd = proc_cmdline(pid)
        self.assertIn("mqtree-node", cmd, "pid %d is not a compute node: cmdline %r" % (pid, cmd))
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            return
        exe = exe[:-len(" (deleted)")] if exe.endswith(" (deleted)") else exe
        if os.path.basename(exe) == "mqtree-node":     # not under a wrapper such as valgrind
            self.assertEqual(os.path.realpath(exe), os.path.realpath(MQTREE_NODE_BIN),
                             "the compute node must be the one next to the control node")

    def build_chain(self, ctl, n, first_parent=-1):
        """create 1 under first_parent, then 2 under 1, ..., n under n-1 (sent back to back);
        returns {id: pid}."""
        ctl.send_lines(["create %d %d" % (i, first_parent if i == 1 else i - 1)
                        for i in range(1, n + 1)])
        return {i: self.expect_pid(ctl, i) for i in range(1, n + 1)}

    def assert_gone(self, pids, timeout):
        """Every pid ends (or is a zombie nobody of ours owes a wait) within timeout."""
        pids = list(pids)
        for p in pids:
            if p not in self.tracker.known:
                self.tracker.record(p, "asserted")
        left = self.tracker.wait_gone(pids, timeout)
        if left:
            self.fail("still running %.1fs later:\n  %s"
                      % (timeout, "\n  ".join(self.tracker.describe(p) for p in left)))

    def assert_no_sanitizer_report(self, ctl, timeout=None):
        """The control node's stderr (its nodes' included) holds no sanitizer report. Waits
        for the end of stderr (at most timeout): call it once the control node has ended."""
        found = sanitizer_reports(ctl.stderr_until_end(timeout))
        if found:
            self.fail("%s: sanitizer report on stderr:\n  %s\nstderr:\n  %s"
                      % (ctl.name, "\n  ".join(found[:5]),
                         "\n  ".join(ctl.stderr_lines[:60])))

    def subtree_pids(self, ctl):
        """Pids of every process below the control node right now."""
        self.tracker.scan()
        return descendants([ctl.pid])

    def exit_cleanly(self, ctl, command="exit"):
        """Send command (or close stdin when None), expect end of output, status 0 and no
        process of the system left. Returns the lines printed before the end."""
        self.tracker.scan()
        if command is None:
            ctl.close_stdin()
        else:
            ctl.send(command)
        rest = ctl.rest(EXIT + ctl.timeout_ms / 1000.0)
        status = ctl.wait_exit()
        self.assertEqual(status, 0, "exit status of the control node%s" % ctl._context())
        for line in rest:       # nodes created by commands answered only now
            m = PID_LINE.fullmatch(line)    # (or a ping's `Ok: 1`: only compute nodes count)
            if m and "mqtree-node" in proc_cmdline(int(m.group(1))):
                self.tracker.record(int(m.group(1)), "node (answered at exit)", ctl.pid,
                                    started_since=self.tracker.starttime(ctl.pid))
        self.assert_gone(self.tracker.pids(owner=ctl.pid), GONE)
        return rest


# --------------------------------------------------------------------------------------------
# Inputs shared by several test files

def numbers_line(node_id, numbers):
    """`exec ID N K1 ... KN` as bytes, and the exact sum."""
    body = " ".join(map(str, numbers)).encode()
    return b"exec %d %d %s" % (node_id, len(numbers), body), sum(numbers)


def stream_sum_line(node_id, chunk_numbers, repeats, hold=None, hold_after=None):
    """A generator of byte chunks forming `exec ID N ...` with chunk_numbers repeated `repeats`
    times, ending in a newline; if hold (a threading.Event) is given, the generator waits on it
    (at most EXIT s) after hold_after repeats, leaving the line half written. Returns
    (generator, exact sum)."""
    chunk = (" " + " ".join(map(str, chunk_numbers))).encode()
    total = sum(chunk_numbers) * repeats

    def gen():
        yield b"exec %d %d" % (node_id, len(chunk_numbers) * repeats)
        for i in range(repeats):
            if hold is not None and i == hold_after:
                hold.wait(EXIT)
            yield chunk
        yield b"\n"
    return gen(), total


# --------------------------------------------------------------------------------------------
# A control node on a pseudo-terminal

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]"        # CSI ... final
                  r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC ... BEL/ST
                  r"|\x1b[()][0-9A-Za-z]"            # charset selection
                  r"|\x1b[@-Z\\-_=>]")               # other two-byte escapes


def strip_terminal(text):
    """Terminal output as plain text: escape sequences, carriage returns, bells, backspaces
    and other control characters (but newlines) removed."""
    text = ANSI.sub("", text)
    return re.sub(r"[\x00-\x09\x0b-\x1f\x7f]", "", text)


_CTTY_EXEC = ("import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
              "os.execv(sys.argv[1], sys.argv[1:])")


class Terminal(_Program):
    """build/mqtree on a pty that is its controlling terminal (so that Ctrl-C works), stderr on
    a pipe. Output is accumulated and matched as plain text. With piped, stdout is a pipe
    (read by a thread: piped_expect, piped_text) and only stdin is the terminal."""

    def __init__(self, args, tracker, workdir, name="terminal", piped=False):
        import fcntl
        import pty
        import struct
        import termios
        self.name = name
        self.args = list(args)
        self.timeout_ms = _timeout_ms(self.args)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

        env = dict(os.environ, HOME=workdir, TMPDIR=workdir, TERM="xterm")
        env.pop("XDG_RUNTIME_DIR", None)
        env.pop("MQTREE_BIN", None)
        env.pop("MQTREE_NODE_BIN", None)
        # A new session whose controlling terminal is the pty, then exec (same pid): done by a
        # tiny interpreter instead of preexec_fn, which is unsafe with threads running.
        self.proc = subprocess.Popen([sys.executable, "-c", _CTTY_EXEC, MQTREE_BIN] + self.args,
                                     stdin=slave,
                                     stdout=subprocess.PIPE if piped else slave,
                                     stderr=subprocess.PIPE,
                                     cwd=workdir, env=env, start_new_session=True)
        os.close(slave)
        self.master = master
        self._wake_r, self._wake_w = os.pipe()
        self._wake_closed = threading.Event()
        self.pid = self.proc.pid
        tracker.add_root(self.pid, name)
        self.tracker = tracker
        self._raw = bytearray()
        self._cv = threading.Condition()
        self._eof = False
        self._pos = 0           # matched plain text is consumed up to here
        self.stderr_lines = []
        self._reader = threading.Thread(target=self._read, daemon=True, name=name + "-out")
        self._reader.start()
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True,
                                               name=name + "-err")
        self._stderr_thread.start()
        self._piped = bytearray()
        self._piped_eof = not piped
        self._piped_pos = 0
        if piped:
            threading.Thread(target=self._read_piped, daemon=True, name=name + "-pipe").start()

    def _read_piped(self):
        """Reader thread of a piped stdout, to its end (every process holding it has ended)."""
        while True:
            data = self.proc.stdout.read1(65536)
            if not data:
                break
            with self._cv:
                self._piped += data
                self._cv.notify_all()
            if PID_LINE.search(data.decode("utf-8", "replace")):
                self.tracker.poke()
        self.proc.stdout.close()
        with self._cv:
            self._piped_eof = True
            self._cv.notify_all()

    def piped_expect(self, regex, timeout=ANSWER):
        """Like expect, on what the piped stdout holds (the bytes as written)."""
        pat = re.compile(regex) if isinstance(regex, str) else regex
        end = deadline_after(timeout)
        with self._cv:
            while True:
                text = self._piped.decode("utf-8", "replace")
                m = pat.search(text, self._piped_pos)
                if m:
                    self._piped_pos = m.end()
                    return m
                if self._piped_eof or time.monotonic() >= end:
                    raise AssertionError(
                        "%s: /%s/ not on stdout within %.1fs; stdout: %r; screen: %r"
                        % (self.name, pat.pattern, timeout, text[-600:], self._plain()[-600:]))
                self._cv.wait(remaining(end))

    def piped_text(self, timeout=GONE):
        """Everything the piped stdout held, once it has ended (waits at most timeout)."""
        end = deadline_after(timeout)
        with self._cv:
            while not self._piped_eof and time.monotonic() < end:
                self._cv.wait(remaining(end))
            if not self._piped_eof:
                raise AssertionError("%s: stdout did not end within %.1fs" % (self.name, timeout))
            return self._piped.decode("utf-8", "replace")

    def _read(self):
        """Reader thread; the only one to close the master (asked through the wake pipe), so
        that the fd number is never read after it may have been reused."""
        fd, wake = self.master, self._wake_r
        while True:
            try:
                ready, _, _ = select.select([fd, wake], [], [], 0.5)
                if wake in ready:
                    break
                if not ready:
                    if self.proc.poll() is not None and not select.select([fd], [], [], 0)[0]:
                        break
                    continue
                data = os.read(fd, 65536)
            except OSError:         # EIO: the slave side is closed
                break
            if not data:
                break
            with self._cv:
                self._raw += data
                self._cv.notify_all()
            if PID_LINE.search(strip_terminal(data.decode("utf-8", "replace"))):
                self.tracker.poke()
        with self._cv:
            self._eof = True
            self._cv.notify_all()
        self._wake_closed.wait()
        for f in (fd, wake):
            os.close(f)

    def _read_stderr(self):
        for raw in self.proc.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        self.proc.stderr.close()

    def text(self):
        """Everything shown so far, as plain text."""
        with self._cv:
            return self._plain()

    def _plain(self):
        """Plain text of the output, leaving out an escape sequence still incomplete at the end
        (so that positions in it never move back)."""
        raw = self._raw.decode("utf-8", "replace")
        esc = raw.rfind("\x1b")
        if esc >= 0 and not ANSI.match(raw, esc):
            raw = raw[:esc]
        return strip_terminal(raw)

    def type(self, keys):
        if self.master is None:
            raise OSError("%s: the terminal is closed" % self.name)
        data = keys.encode() if isinstance(keys, str) else keys
        os.write(self.master, data)

    def expect(self, regex, timeout=ANSWER):
        """Wait until the plain text after the last match contains regex; returns the match
        and consumes the text up to its end."""
        pat = re.compile(regex) if isinstance(regex, str) else regex
        end = deadline_after(timeout)
        with self._cv:
            while True:
                plain = self._plain()
                m = pat.search(plain, self._pos)
                if m:
                    self._pos = m.end()
                    return m
                if self._eof or time.monotonic() >= end:
                    raise AssertionError(
                        "%s: /%s/ not shown within %.1fs%s; screen text after the last match:"
                        " %r; stderr: %r" % (self.name, pat.pattern, timeout,
                                             " (terminal closed)" if self._eof else "",
                                             plain[self._pos:][-600:], self.stderr_lines[-5:]))
                self._cv.wait(remaining(end))

    def _context(self):
        return "; screen: %r" % self.text()[-600:]

    def end(self):
        """Teardown: Ctrl-U Ctrl-D (end of input), then a hangup (the master is closed), then
        SIGKILL by pid, each with a deadline. Reaps."""
        steps = [lambda: self.type(b"\x15\x04"), self._close_master, self.proc.kill]
        for step, wait in zip(steps, (3.0 * SLOW, EXIT + self.timeout_ms / 1000.0, None)):
            if self.proc.poll() is not None:
                break
            try:
                step()
            except OSError:
                pass
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        self._close_master()

    def _close_master(self):
        """Hang up: the reader thread closes the master (and so the terminal) and ends."""
        if self._wake_w is not None:
            os.write(self._wake_w, b"x")
            os.close(self._wake_w)
            self._wake_w = None
            self._wake_closed.set()
            self._reader.join(5)
            self.master = None
