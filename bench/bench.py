#!/usr/bin/env python3
"""mqtree benchmarks, side by side with raw ZeroMQ floors measured in the same run.

    python3 bench/bench.py --build build [--repeat N] [--quick] [--only NAME] [--json FILE]

Prints a markdown table (what, mqtree, floor, x floor, target from SPEC section 6, met?) and
notes. Python 3 standard library only; the floors and the closed-loop driver are two small C
programs in this directory (zmq_pingpong.c, mqdrive.c), built by CMake into BUILD/bench/ or,
when that has not happened, compiled here with cc and pkg-config.

Benchmarks (--only NAME):
  latency     exec round trip at depth 1, 10, 100 of a `-t list` chain, driven one request at
              a time by mqdrive; floor, measured right before each run: raw ZeroMQ ping-pong,
              chains of 1, 10 and 100 ROUTER/DEALER relays, and stdin -> ZeroMQ -> stdout
  throughput  100000 `exec 1 1 K` written as fast as possible; floor: the same lines through
              a minimal stdin -> DEALER -> ROUTER echo -> stdout program
  hosts       a node on another host (network namespaces joined by veths, as root): exec
              round trip and pipelined throughput over CURVE; floor: raw CURVE DEALER/ROUTER
              ping-pong and pipe client over the same veths
  create      `create` of a 1000-node balanced tree; RSS per idle node; pingall and ping over
              it; floor: 1000 x one fork+exec of a raw ZeroMQ process until its first message,
              and 1000 such processes started 4 at a time and kept up (their memory too)
  failure     kill -9 of a node at depth 2 to the first `Node is unavailable` (requests sent
              one after another right after the kill); floor: kill -9 of a raw ZeroMQ peer to
              the ROUTER's DISCONNECTED event
  heal        --heal: kill -9 of a node with 8 or 64 children (or 8, one of them with 500
              nodes below) until every orphan answers an exec by its new path; floor: that many
              raw DEALER processes spawned at once until each said hello to a ROUTER
  heartbit    kill -9 of an inner node to its subtree's `Heartbit:` lines at MS = 100 and
              1000 (SPEC: 4*MS after the last report, 5*MS after the kill at most); false
              reports of a 1000-node tree at MS = 100 (no floor: ZeroMQ has no such thing)
  sum         exec of a sum of 10^8 numbers of 1 to 6 digits; floor: the same bytes streamed
              through a pipe and ZeroMQ into a process that parses and sums them
  search      search in 10^8 characters; floor: the same bytes streamed into a process that
              stores them and runs memmem
  floor       only the raw ZeroMQ floors

Rules kept here: every process is started by this script (or by the programs it starts,
which reap their own), every pid is recorded, everything is ended by pid, and at the end no
process is left (checked, and reported if one was). Only 127.0.0.1, and the addresses of
network namespaces made (and removed) here. Nothing waits by sleeping:
every answer is read with a deadline, and a wrong answer or a missed deadline is reported in
the table instead of hanging. Temporary files live in one mkdtemp() directory removed at exit.
"""

import argparse
import json
import os
import random
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1024 * 1024


class BenchError(Exception):
    """Something mqtree (or a floor program) got wrong: reported in the table."""


def now():
    return time.monotonic()


def median(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------------------------
# Processes: every pid recorded, ended by pid, checked gone at the end.

def proc_stat(pid):
    """(state, ppid, starttime) of pid from /proc, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def proc_kib(pid, fname, key):
    """A "Key: N kB" figure from /proc/PID/FNAME, or None."""
    try:
        with open(f"/proc/{pid}/{fname}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def descendants(root):
    """Pids of every live process below root (by parent links in /proc)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st and st[0] != "Z":
            children.setdefault(st[1], []).append(int(name))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


class Registry:
    """Every process this run started or learnt of, by pid and start time (so a reused pid is
    never mistaken for ours)."""

    def __init__(self):
        self.pids = {}          # pid -> (starttime, label)
        self.popens = []
        self.leaks = []

    def add(self, pid, label):
        st = proc_stat(pid)
        if st and pid not in self.pids:
            self.pids[pid] = (st[2], label)

    def popen(self, argv, label, **kw):
        p = subprocess.Popen(argv, **kw)
        self.popens.append(p)
        self.add(p.pid, label)
        return p

    def alive(self, pid):
        st = proc_stat(pid)
        rec = self.pids.get(pid)
        return bool(st and st[0] != "Z" and (rec is None or rec[0] == st[2]))

    def wait_gone(self, pids, timeout):
        """Waits (pidfd, with a deadline) until every pid has ended; returns those left."""
        deadline = now() + timeout
        left = [p for p in pids if self.alive(p)]
        if not left:
            return []
        fds = {}
        for p in left:
            try:
                fds[os.pidfd_open(p)] = p
            except (OSError, AttributeError):
                pass
        try:
            poller = select.poll()
            for fd in fds:
                poller.register(fd, select.POLLIN)
            pending = set(fds)
            while pending and now() < deadline:
                for fd, _ in poller.poll(max(1, int((deadline - now()) * 1000))):
                    poller.unregister(fd)
                    pending.discard(fd)
            return [p for p in left if self.alive(p)]
        finally:
            for fd in fds:
                os.close(fd)

    def kill(self, pid, sig=signal.SIGKILL):
        if self.alive(pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def end_popen(self, p, timeout=5.0):
        """Ends one child we started: waits, then SIGTERM, then SIGKILL, by pid."""
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None and p.poll() is None:
                try:
                    os.kill(p.pid, sig)
                except ProcessLookupError:
                    pass
            try:
                p.wait(timeout=timeout if sig is None else 3.0)
                return
            except subprocess.TimeoutExpired:
                continue

    def finish(self):
        """Ends whatever is left, by pid; returns descriptions of processes that were left."""
        for p in self.popens:
            if p.poll() is None:
                self.leaks.append(f"pid {p.pid} ({self.pids.get(p.pid, (0, '?'))[1]}) still running")
                self.end_popen(p, 0.5)
        for pid, (_, label) in self.pids.items():
            if self.alive(pid):
                self.leaks.append(f"pid {pid} ({label}) still running at the end")
                self.kill(pid)
        for pid in descendants(os.getpid()):
            self.leaks.append(f"pid {pid} (unrecorded descendant) still running at the end")
            os.kill(pid, signal.SIGKILL)
        left = self.wait_gone(list(self.pids), 5.0)
        for p in self.popens:
            self.end_popen(p, 0.5)
        return left


REG = Registry()


# ---------------------------------------------------------------------------------------------
# Helpers for programs that answer lines on stdout.

class LineReader:
    """Reads lines from a pipe with deadlines; never blocks past one."""

    def __init__(self, fd, what):
        self.fd = fd
        self.what = what
        self.buf = bytearray()
        self.eof = False

    def _fill(self, deadline):
        left = deadline - now()
        if left <= 0:
            return False
        r, _, _ = select.select([self.fd], [], [], left)
        if not r:
            return False
        data = os.read(self.fd, 1 << 20)
        if not data:
            self.eof = True
            raise BenchError(f"{self.what} closed its output{self.context()}")
        self.buf += data
        return True

    def context(self):
        return ""

    def line(self, timeout, waiting_for="an answer"):
        deadline = now() + timeout
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i]).decode("latin-1")
                del self.buf[:i + 1]
                return line
            if not self._fill(deadline):
                raise BenchError(f"{self.what}: no {waiting_for} within {timeout:g} s{self.context()}")

    def lines(self, n, timeout, waiting_for="answers"):
        """n lines as one bytes object (without the last newline), and the time the last came."""
        deadline = now() + timeout
        chunks, count = [], 0
        while True:
            k = self.buf.count(b"\n")
            if count + k >= n:
                need = n - count
                pos = -1
                for _ in range(need):
                    pos = self.buf.index(b"\n", pos + 1)
                chunks.append(bytes(self.buf[:pos]))
                del self.buf[:pos + 1]
                return b"\n".join(chunks), now()
            if k:
                last = self.buf.rindex(b"\n")
                chunks.append(bytes(self.buf[:last]))
                del self.buf[:last + 1]
                count += k
            if not self._fill(deadline):
                raise BenchError(f"{self.what}: only {count} of {n} {waiting_for} "
                                 f"within {timeout:g} s{self.context()}")


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def stop_writers(writers, proc, sig=signal.SIGKILL):
    """A writer still blocked on a pipe means its reader stopped reading: signal the reader
    (by pid) so that the write fails and the descriptor is free before anyone closes it."""
    stuck = [w for w in writers if w.is_alive()]
    if stuck and proc.poll() is None:
        print(f"bench: pid {proc.pid} stopped reading its input; sending "
              f"{signal.Signals(sig).name}", file=sys.stderr)
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
    for w in stuck:
        w.join(5)


class Writer(threading.Thread):
    """Writes bytes, or a file (sendfile), to a pipe in the background; records when it
    started and finished and any error (a broken pipe when the reader died)."""

    def __init__(self, fd, data=None, path=None):
        super().__init__(daemon=True)
        self.fd, self.data, self.path = fd, data, path
        self.error = None
        self.started = self.done = None
        self.go = threading.Event()

    def run(self):
        self.go.wait()
        self.started = now()
        try:
            if self.path is None:
                write_all(self.fd, self.data)
            else:
                with open(self.path, "rb") as f:
                    size, off = os.fstat(f.fileno()).st_size, 0
                    while off < size:
                        try:
                            n = os.sendfile(self.fd, f.fileno(), off, min(size - off, 1 << 24))
                        except OSError as e:
                            if e.errno not in (22, 38):     # EINVAL, ENOSYS: no sendfile here
                                raise
                            f.seek(off)
                            n = os.write(self.fd, f.read(1 << 20))
                        off += n
        except OSError as e:
            self.error = e
        self.done = now()

    def begin(self):
        self.start()
        self.go.set()


# ---------------------------------------------------------------------------------------------
# A running control node.

class Mq:
    def __init__(self, ctx, topology="tree", exec_set="sum", timeout_ms=None, extra=(),
                 prefix=()):
        self.ctx = ctx
        # prefix: a command that execs it (same pid), e.g. `ip netns exec NS`
        argv = [*prefix, ctx.mqtree, "-q", "-t", topology, "-e", exec_set, *extra]
        if timeout_ms:
            argv += ["-T", str(timeout_ms)]
        self.errpath = os.path.join(ctx.tmp, f"mqtree-{len(REG.popens)}.stderr")
        self.errfile = open(self.errpath, "wb")
        self.p = REG.popen(argv, "mqtree control node", stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=self.errfile, bufsize=0,
                           cwd=ctx.tmp, env=ctx.env)
        self.pid = self.p.pid
        self.wfd = self.p.stdin.fileno()
        self.out = LineReader(self.p.stdout.fileno(), "mqtree")
        self.out.context = self.context
        self.nodes = {}     # id -> pid
        self.seen = set()   # every pid of this control node's processes
        self.pids = []      # pids of the nodes, as answered
        self.writers = []   # background writers to its stdin

    def writer(self, data=None, path=None):
        """A started background writer of bytes or of a file to the control node's stdin."""
        w = Writer(self.wfd, data, path)
        self.writers.append(w)
        w.begin()
        return w

    def context(self):
        try:
            with open(self.errpath, "rb") as f:
                tail = f.read()[-600:].decode("latin-1").strip()
        except OSError:
            tail = ""
        state = "running" if self.p.poll() is None else f"exited with {self.p.returncode}"
        return f" (control node {state}" + (f"; stderr: {tail!r})" if tail else ")")

    def send(self, text):
        try:
            write_all(self.wfd, text.encode())
        except OSError as e:
            raise BenchError(f"mqtree: cannot write a command: {e}{self.context()}")

    def cmd(self, line, timeout=10.0):
        self.send(line + "\n")
        return self.out.line(timeout, f"answer to '{line}'")

    def creates(self, specs, timeout, strict=True):
        """Pipelined creates; specs is [(id, parent-or-None)]. Records every pid. Returns the
        seconds until the last answer, and the failed creates (raises if strict).

        `Ok: PID` does not say which node it is, and answers of different nodes may come in
        any order, so self.nodes (id -> pid) is only right for creates that depend on each
        other (a chain: each waits for its parent); self.pids always holds every pid."""
        text = "".join(f"create {i}" + ("" if p is None else f" {p}") + "\n" for i, p in specs)
        t0 = now()
        w = self.writer(text.encode())
        data, t1 = self.out.lines(len(specs), timeout, "answers to create")
        w.join(timeout=5)
        answers = data.decode("latin-1").split("\n")
        failed = []
        for (i, _), a in zip(specs, answers):
            if not a.startswith("Ok: ") or not a[4:].isdigit():
                if strict:
                    raise BenchError(f"mqtree: 'create {i}' answered '{a}'")
                failed.append(f"'create {i}' answered '{a}'")
                continue
            self.nodes[i] = int(a[4:])
            self.pids.append(int(a[4:]))
            self.seen.add(int(a[4:]))
            REG.add(int(a[4:]), f"mqtree node {i}")
        if len(set(self.pids)) != len(self.pids):
            raise BenchError("mqtree: two nodes answered with the same pid")
        return (t1 - t0, failed) if not strict else t1 - t0

    def record_descendants(self):
        for pid in descendants(self.pid):
            self.seen.add(pid)
            REG.add(pid, "mqtree descendant")

    def close(self, timeout=20.0):
        """exit, then wait for the control node and every node to end; reports leaks."""
        self.record_descendants()
        nodes = sorted(self.seen)
        # A writer still blocked on the pipe means the control node stopped reading: end it
        # (SIGTERM acts as exit), so that the writer fails and its descriptor is free before
        # it is closed here.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            stop_writers(self.writers, self.p, sig)
        try:
            if self.p.poll() is None:
                write_all(self.wfd, b"exit\n")
        except OSError:
            pass
        try:
            self.p.stdin.close()
        except OSError:
            pass
        deadline = now() + timeout
        try:            # drain what it still prints, so it never blocks on a full pipe
            while not self.out.eof and now() < deadline:
                self.out._fill(deadline)
                self.out.buf.clear()
        except BenchError:
            pass
        try:
            self.p.wait(timeout=max(0.1, deadline - now()))
        except subprocess.TimeoutExpired:
            REG.leaks.append(f"mqtree control node {self.pid} did not end within {timeout:g} s "
                             "of 'exit'; killed")
            REG.end_popen(self.p, 0.1)
        self.p.stdout.close()
        self.errfile.close()
        left = REG.wait_gone(nodes, 3.0)
        for pid in left:
            REG.leaks.append(f"pid {pid} ({REG.pids[pid][1]}) still running 3 s after the "
                             "control node ended; killed")
            REG.kill(pid)
        return left


# ---------------------------------------------------------------------------------------------
# Floor programs.

class Ctx:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.mqtree = os.path.join(self.build, "mqtree")
        self.tmp = tempfile.mkdtemp(prefix="mqtree-bench-")
        self.env = dict(os.environ, HOME=self.tmp)
        self.pp = self.drive = None
        self.cache = {}
        self.notes = []

    def note(self, text):
        self.notes.append(text)
        print(f"  note: {text}", file=sys.stderr, flush=True)


def build_tools(ctx):
    """BUILD/bench/{zmq_pingpong,mqdrive}: from CMake if it built them, else cc here."""
    out = os.path.join(ctx.build, "bench")
    os.makedirs(out, exist_ok=True)
    for name, zmq in (("zmq_pingpong", True), ("mqdrive", False)):
        src, exe = os.path.join(HERE, name + ".c"), os.path.join(out, name)
        if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
            continue
        flags = []
        if zmq:
            r = subprocess.run(["pkg-config", "--cflags", "--libs", "libzmq"],
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit("bench: pkg-config cannot find libzmq")
            flags = r.stdout.split()
        cmd = [os.environ.get("CC", "cc"), "-std=c11", "-O2", "-Wall", "-Wextra", "-o", exe,
               src] + flags
        print("bench: " + " ".join(cmd), file=sys.stderr)
        r = subprocess.run(cmd)
        if r.returncode:
            sys.exit(f"bench: cannot build {name}")
    ctx.pp = os.path.join(out, "zmq_pingpong")
    ctx.drive = os.path.join(out, "mqdrive")


def kv(line):
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def run_tool(argv, label, timeout, pass_fds=()):
    p = REG.popen(argv, label, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                  pass_fds=pass_fds)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        REG.end_popen(p, 0.1)
        raise BenchError(f"{label}: no result within {timeout:g} s")
    if p.returncode != 0:
        msg = (out.strip().splitlines() or [""])[-1] + " " + err.strip()[-300:]
        raise BenchError(f"{label}: {msg.strip() or 'exit status %d' % p.returncode}")
    return out


class Server:
    """A floor process that serves (server, relay, sink): it prints its endpoint and ends when
    its stdin is closed."""

    def __init__(self, ctx, args, label, prefix=(), env=None, allowed=("tcp://127.0.0.1:",)):
        self.p = REG.popen([*prefix, ctx.pp] + args, label, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, bufsize=0, env=env)
        self.reader = LineReader(self.p.stdout.fileno(), label)
        self.endpoint = self.reader.line(10, "endpoint")
        if not self.endpoint.startswith(("ipc://",) + tuple(allowed)):
            raise BenchError(f"{label}: odd endpoint {self.endpoint!r}")

    def close(self):
        self.p.stdin.close()
        REG.end_popen(self.p, 3.0)
        self.p.stdout.close()


def floor_chain(ctx, relays, count, warmup):
    """Round trip through `relays` relay processes to an echo server (0: plain ping-pong)."""
    servers = [Server(ctx, ["server"], "floor echo server")]
    try:
        for _ in range(relays):
            servers.append(Server(ctx, ["relay", servers[-1].endpoint], "floor relay"))
        out = run_tool([ctx.pp, "client", servers[-1].endpoint, str(count), str(warmup)],
                       "floor client", 120)
        return kv(out)
    finally:
        for s in reversed(servers):
            s.close()


# ---------------------------------------------------------------------------------------------
# Results.

class Row:
    def __init__(self, what, m=None, f=None, unit="", kind="time", target="", ok=None,
                 error=None, fmt=None, ratio=None):
        self.what, self.m, self.f, self.unit, self.kind = what, m, f, unit, kind
        self.target, self.ok, self.error, self.fmt = target, ok, error, fmt
        self.fixed_ratio = ratio    # the median of the ratios of each run, when known

    def ratio(self):
        if self.fixed_ratio is not None:
            return self.fixed_ratio
        if self.m is None or self.f is None or not self.f or not self.m:
            return None
        return self.m / self.f if self.kind != "rate" else self.f / self.m

    def cell(self, v):
        if v is None:
            return "—"
        if self.fmt:
            return self.fmt(v)
        return f"{v:.3g} {self.unit}".strip()

    def cells(self):
        m = f"**FAILED**: {self.error}" if self.error else self.cell(self.m)
        r = self.ratio()
        met = "—" if self.ok is None else ("yes" if self.ok else "**no**")
        if self.error and self.target:
            met = "**no**"
        return [self.what, m, self.cell(self.f), f"{r:.2f}x" if r else "—", self.target or "—",
                met]


def fmt_us(v):
    return f"{v:.1f} µs" if v < 1000 else f"{v / 1000:.2f} ms"


def fmt_ms(v):
    return f"{v:.2f} ms" if v < 1000 else f"{v / 1000:.2f} s"


def fmt_s(v):
    return f"{v:.2f} s"


def fmt_mib(v):
    return f"{v:.2f} MiB"


def fmt_rate(v):
    return f"{v:,.0f} /s"


class Partial(BenchError):
    """A run that failed part way: the figures it did measure are kept."""

    def __init__(self, msg, results):
        super().__init__(msg)
        self.results = results


def runs_of(ctx, name, fn, reps):
    """Runs fn(rep) reps times; returns {metric: [values]} and the first error (a run that
    fails stops the repetitions: what failed once would fail again, slowly)."""
    samples, error = {}, None
    for rep in range(reps):
        print(f"bench: {name} run {rep + 1}/{reps}", file=sys.stderr, flush=True)
        try:
            res = fn(rep)
        except Partial as e:      # measured, but something was wrong: go on
            error = error or str(e)
            ctx.note(f"{name} run {rep + 1}: {e}")
            res = e.results
        except BenchError as e:   # a hang or a wrong answer would come again, slowly: stop
            error = str(e)
            ctx.note(f"{name} run {rep + 1}: {e}")
            res = {}
            reps = 0
        for k, v in res.items():
            if not k.startswith("_"):
                samples.setdefault(k, []).append(v)
        if reps == 0:
            break
    return samples, error


def med(samples, key):
    return median(samples.get(key, []))


# ---------------------------------------------------------------------------------------------
# Benchmarks.

def floor_latency_once(ctx):
    """One run of the latency floors: raw round trip (0 relays), 1, 10 and 100 relays, and
    the stdin/stdout pipe floor."""
    a = ctx.args
    r0 = floor_chain(ctx, 0, a.rtt_count, a.rtt_count // 10)
    r1 = floor_chain(ctx, 1, a.rtt_count, a.rtt_count // 10)
    r10 = floor_chain(ctx, 10, a.rtt_count, a.rtt_count // 10)
    n100 = max(50, a.lat_count // 8)
    r100 = floor_chain(ctx, 100, n100, n100 // 10)
    srv = Server(ctx, ["server"], "floor echo server")
    try:
        pc = REG.popen([ctx.pp, "pipeclient", srv.endpoint], "floor pipeclient",
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        try:
            out = run_tool([ctx.drive, "lat", str(pc.stdin.fileno()), str(pc.stdout.fileno()),
                            str(a.rtt_count), str(a.rtt_count // 10), "exec 1 1 5",
                            "exec 1 1 5"], "mqdrive (pipe floor)", 120,
                           pass_fds=(pc.stdin.fileno(), pc.stdout.fileno()))
        finally:
            pc.stdin.close()
            REG.end_popen(pc, 3.0)
            pc.stdout.close()
    finally:
        srv.close()
    return {"rtt": r0["median_us"], "chain1": r1["median_us"], "chain10": r10["median_us"],
            "hop": (r10["median_us"] - r1["median_us"]) / 9, "pipe": kv(out)["median_us"],
            "chain100": r100["median_us"], "hop100": (r100["median_us"] - r1["median_us"]) / 99}


def floors_latency(ctx):
    """The latency floors of every run: those the latency benchmark measured, interleaved with
    its own runs, or measured here."""
    if "lat" not in ctx.cache:
        ctx.cache["lat"] = runs_of(ctx, "floor latency", lambda rep: floor_latency_once(ctx),
                                   ctx.args.repeat)
    return ctx.cache["lat"]


def floor_spawn(ctx):
    if "spawn" in ctx.cache:
        return ctx.cache["spawn"]
    n = 30 if ctx.args.quick else 100

    def one(rep):
        return {"spawn": kv(run_tool([ctx.pp, "spawn", str(n)], "floor spawn", 120))["median_us"]}

    ctx.cache["spawn"] = runs_of(ctx, "floor spawn", one, ctx.args.repeat)
    return ctx.cache["spawn"]


def bench_floor(ctx):
    s, err = floors_latency(ctx)
    sp, err2 = floor_spawn(ctx)
    rows = [
        Row("floor: raw ZeroMQ DEALER/ROUTER round trip, 2 processes", None, med(s, "rtt"),
            fmt=fmt_us, error=err),
        Row("floor: round trip through 1 relay (2 hops)", None, med(s, "chain1"), fmt=fmt_us),
        Row("floor: round trip through 10 relays (11 hops)", None, med(s, "chain10"), fmt=fmt_us),
        Row("floor: raw cost per extra hop ((10 relays - 1 relay) / 9)", None, med(s, "hop"),
            fmt=fmt_us),
        Row("floor: round trip through 100 relays (101 hops; info)", None, med(s, "chain100"),
            fmt=fmt_us),
        Row("floor: stdin line -> DEALER -> echo -> stdout line (pipe + ZeroMQ)", None,
            med(s, "pipe"), fmt=fmt_us),
        Row("floor: fork+exec, zmq context, connect, first message", None, med(sp, "spawn"),
            fmt=fmt_us, error=err2),
    ]
    return rows


def bench_latency(ctx):
    a = ctx.args
    depths = [1, 10, 100]

    floor_runs = []

    def one(rep):
        # the floors of this run, measured right before it: the machine is shared and its
        # load changes from minute to minute, so each ratio compares figures of one moment
        fl = floor_latency_once(ctx)
        floor_runs.append(fl)
        mq = Mq(ctx, topology="list")
        try:
            out = run_depths(mq)
        finally:
            mq.close()
        return ratios(out, fl)

    def ratios(out, fl):
        if "d1" in out:
            out["r1"] = out["d1"] / fl["rtt"]
            out["rpipe"] = out["d1"] / fl["pipe"]
            for d in (10, 100):
                if f"d{d}" in out:
                    out[f"hop{d}"] = (out[f"d{d}"] - out["d1"]) / (d - 1)
                    out[f"rhop{d}"] = out[f"hop{d}"] / fl["hop"]
            if "hop100" in out:
                out["rhop100c"] = out["hop100"] / fl["hop100"]
        return out

    def run_depths(mq):
        specs = [(1, -1)] + [(i, i - 1) for i in range(2, max(depths) + 1)]
        mq.creates(specs, 60)
        out, errors = {}, []
        for d in depths:
            count = a.lat_count if d < 100 else max(50, a.lat_count // 4)
            try:
                r = kv(run_tool(
                    [ctx.drive, "lat", str(mq.wfd), str(mq.out.fd), str(count),
                     str(max(10, count // 10)), f"exec {d} 1 5", f"Ok:{d}: 5"],
                    f"exec at depth {d}", 300, pass_fds=(mq.wfd, mq.out.fd)))
            except BenchError as e:
                errors.append(str(e))
                # what was the tree like then?
                try:
                    state = mq.cmd("pingall", 5)
                except BenchError as e2:
                    state = str(e2)
                errors.append(f"pingall then: {state[:200]}")
                break
            out[f"d{d}"] = r["median_us"]
            out[f"d{d}_p90"] = r["p90_us"]
        if errors:
            raise Partial("; ".join(errors), ratios(out, floor_runs[-1]))
        return out

    s, err = runs_of(ctx, "latency", one, a.repeat)
    fs = {}
    for fl in floor_runs:
        for k, v in fl.items():
            fs.setdefault(k, []).append(v)
    ctx.cache["lat"] = (fs, None)
    m1, m10, m100 = med(s, "d1"), med(s, "d10"), med(s, "d100")
    hop10, hop100 = med(s, "hop10"), med(s, "hop100")
    rtt, hop, pipe = med(fs, "rtt"), med(fs, "hop"), med(fs, "pipe")

    def within(key, x):
        r = med(s, key)
        return None if r is None else r <= x

    rows = [
        Row("`exec` round trip, depth 1 (median; p90 %s)" % (fmt_us(med(s, "d1_p90")) if m1 else "—"),
            m1, rtt, fmt=fmt_us, target="≤ 1.5x raw round trip", ok=within("r1", 1.5),
            error=err if m1 is None else None, ratio=med(s, "r1")),
        Row("`exec` added per extra hop, depth 10 ((d10 - d1) / 9)", hop10, hop, fmt=fmt_us,
            target="≤ 1.5x raw hop", ok=within("rhop10", 1.5),
            error=err if hop10 is None else None, ratio=med(s, "rhop10")),
        Row("`exec` added per extra hop, depth 100 ((d100 - d1) / 99)", hop100, hop, fmt=fmt_us,
            target="≤ 1.5x raw hop", ok=within("rhop100", 1.5),
            error=err if hop100 is None else None, ratio=med(s, "rhop100")),
        Row("`exec` added per extra hop, depth 100, vs raw per hop in a 100-relay chain "
            "((100 relays - 1 relay) / 99; info)", hop100, med(fs, "hop100"), fmt=fmt_us,
            ratio=med(s, "rhop100c")),
        Row("`exec` round trip, depth 10 / depth 100 (info)", m10, med(fs, "chain10"),
            fmt=lambda v: fmt_us(v)),
        Row("`exec` depth 1 vs pipe + ZeroMQ floor (info)", m1, pipe, fmt=fmt_us,
            ratio=med(s, "rpipe")),
    ]
    if m100 is not None:
        rows[4].what = f"`exec` round trip, depth 10 (depth 100: {fmt_us(m100)}; floor: 10 relays)"
    return rows


def bench_throughput(ctx):
    a = ctx.args
    n = a.tput_count
    lines = "".join(f"exec 1 1 {k % 1000}\n" for k in range(n)).encode()
    expect = "\n".join(f"Ok:1: {k % 1000}" for k in range(n)).encode()

    def pump(to, reader, what, writers=None):
        if isinstance(to, Mq):
            w = to.writer(lines)
        else:
            w = Writer(to.stdin.fileno(), lines)
            writers.append(w)
            w.begin()
        data, t1 = reader.lines(n, a.tput_timeout, f"answers ({what})")
        w.join(timeout=10)
        if w.error:
            raise BenchError(f"{what}: writing failed: {w.error}")
        return data, n / (t1 - w.started)

    def one(rep):
        srv = Server(ctx, ["server"], "floor echo server")
        writers = []
        try:
            pc = REG.popen([ctx.pp, "pipeclient", srv.endpoint], "floor pipeclient",
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
            try:
                data, frate = pump(pc, LineReader(pc.stdout.fileno(), "pipeclient"), "floor",
                                   writers)
                if data != lines[:-1]:
                    raise BenchError("floor pipeclient echoed something else")
            finally:
                stop_writers(writers, pc)
                pc.stdin.close()
                REG.end_popen(pc, 3.0)
                pc.stdout.close()
        finally:
            srv.close()
        out = {"floor": frate}
        for key, extra in (("rate", ()), ("ordered", ("--ordered",))):
            mq = Mq(ctx, extra=extra)
            try:
                mq.creates([(1, -1)], 10)
                data, out[key] = pump(mq, mq.out, "mqtree " + " ".join(extra))
                if data != expect:
                    got, want = data.split(b"\n"), expect.split(b"\n")
                    bad = next(i for i, (x, y) in enumerate(zip(got, want)) if x != y)
                    raise BenchError(f"mqtree: answer {bad} is {got[bad][:80]!r}, "
                                     f"expected {want[bad]!r}")
            finally:
                mq.close()
        return out

    s, err = runs_of(ctx, "throughput", one, a.repeat)
    rows = []
    for key, how in (("rate", ""), ("ordered", " with --ordered")):
        m = med(s, key)
        rows.append(Row(f"pipelined `exec 1 1 K` throughput{how}, {n} requests to one node", m,
                        med(s, "floor"), kind="rate", fmt=fmt_rate, target="≥ 100,000 answers/s",
                        ok=None if m is None else m >= 100000, error=err))
    return rows


def bench_hosts(ctx):
    """A node on another host: the control node in one network namespace, an agent in
    another, joined by veths and a bridge (tests/integration/netns.py); floor: raw CURVE
    DEALER/ROUTER over the same veths."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
    import netns
    why = netns.root_reason()
    if why:
        raise BenchError(why)
    a = ctx.args
    node = ctx.mqtree + "-node"
    keys = {}
    for name in ("ctl", "h1"):
        path = os.path.join(ctx.tmp, name)
        if not os.path.exists(path):
            run_tool([node, "keygen", path, name], "keygen", 10)
        with open(path) as f:
            kv_lines = dict(l.split() for l in f if l.startswith(("public ", "secret ")))
            keys[name] = [kv_lines["public"], kv_lines["secret"]]
    allowed = os.path.join(ctx.tmp, "allowed")
    with open(allowed, "w") as f:
        f.write(keys["h1"][0] + " h1\n")
    n = a.tput_count
    lines = "".join(f"exec 1 1 {k % 1000}\n" for k in range(n)).encode()
    expect = "\n".join(f"Ok:1: {k % 1000}" for k in range(n)).encode()

    def floor(net):
        env = dict(ctx.env, PINGPONG_BIND=f"tcp://{net.address(1)}:*",
                   PINGPONG_CURVE_SECRET=keys["h1"][1])
        srv = Server(ctx, ["server"], "floor CURVE echo server", prefix=net.cmd(1), env=env,
                     allowed=("tcp://" + net.address(1),))
        cenv = dict(ctx.env, PINGPONG_CURVE_SERVER=keys["h1"][0])
        try:
            p = REG.popen([*net.cmd(0), ctx.pp, "client", srv.endpoint, str(a.rtt_count),
                           str(a.rtt_count // 10)], "floor CURVE client",
                          stdout=subprocess.PIPE, text=True, env=cenv)
            out, _ = p.communicate(timeout=120)
            rtt = kv(out)["median_us"]
            pc = REG.popen([*net.cmd(0), ctx.pp, "pipeclient", srv.endpoint],
                           "floor CURVE pipeclient", stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, bufsize=0, env=cenv)
            w = Writer(pc.stdin.fileno(), lines)
            try:
                w.begin()
                data, t1 = LineReader(pc.stdout.fileno(), "pipeclient").lines(
                    n, a.tput_timeout, "floor answers")
                w.join(timeout=10)
            finally:
                stop_writers([w], pc)
                pc.stdin.close()
                REG.end_popen(pc, 3.0)
                pc.stdout.close()
            return rtt, n / (t1 - w.started)
        finally:
            srv.close()

    def one(rep):
        net = netns.Net(2)
        agent = None
        mq = None
        try:
            out = {}
            out["floor"], out["floor_rate"] = floor(net)
            mq = Mq(ctx, prefix=net.cmd(0), extra=(
                "--listen", f"{net.address(0)}:7000", "--key", os.path.join(ctx.tmp, "ctl"),
                "--allow", allowed))
            agent = REG.popen([*net.cmd(1), node, "--join", f"tcp://{net.address(0)}:7000",
                               "--key", os.path.join(ctx.tmp, "h1"), "--control-key",
                               keys["ctl"][0], "--name", "h1"], "mqtree agent",
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, bufsize=0)
            said = LineReader(agent.stderr.fileno(), "agent").line(10, "the agent's join")
            if "joined" not in said:
                raise BenchError(f"agent: {said}")
            pid = mq.cmd("create 1 @h1", 10)
            if not pid.startswith("Ok: "):
                raise BenchError(f"mqtree: 'create 1 @h1' answered {pid!r}")
            REG.add(int(pid[4:]), "mqtree node 1 on h1")
            mq.seen.add(int(pid[4:]))
            r = kv(run_tool([ctx.drive, "lat", str(mq.wfd), str(mq.out.fd), str(a.lat_count),
                             str(max(10, a.lat_count // 10)), "exec 1 1 5", "Ok:1: 5"],
                            "exec on another host", 300, pass_fds=(mq.wfd, mq.out.fd)))
            out["rtt"], out["p99"] = r["median_us"], r.get("p99_us", r["p90_us"])
            w = mq.writer(lines)
            data, t1 = mq.out.lines(n, a.tput_timeout, "answers from another host")
            w.join(timeout=10)
            if data != expect:
                raise BenchError("mqtree: wrong answers from another host")
            out["rate"] = n / (t1 - w.started)
            out["r"] = out["rtt"] / out["floor"]
            return out
        finally:
            if mq:
                mq.close()
            if agent:
                REG.end_popen(agent, 3.0)
                agent.stderr.close()
            net.remove()

    s, err = runs_of(ctx, "hosts", one, a.repeat)
    m, rate = med(s, "rtt"), med(s, "rate")
    return [
        Row("`exec` round trip to a node on another host (namespaces, veth, CURVE; median; "
            "p99 %s)" % (fmt_us(med(s, "p99")) if m else "—"), m, med(s, "floor"), fmt=fmt_us,
            target="≤ 1.5x raw CURVE round trip", ok=None if m is None else med(s, "r") <= 1.5,
            error=err if m is None else None, ratio=med(s, "r")),
        Row(f"pipelined `exec 1 1 K` throughput to a node on another host, {n} requests", rate,
            med(s, "floor_rate"), kind="rate", fmt=fmt_rate, target="≥ 100,000 answers/s",
            ok=None if rate is None else rate >= 100000, error=err if rate is None else None),
    ]


def bench_create(ctx):
    a = ctx.args
    n = a.nodes
    timeout_ms = 1000

    def one(rep):
        fl = kv(run_tool([ctx.pp, "spawnall", str(n), "4", "1"], "floor spawnall", 120))
        sp = kv(run_tool([ctx.pp, "spawn", "100"], "floor spawn", 120))
        res = {"floor_create": sp["median_us"] * n / 1e6, "floor_all": fl["total_ms"] / 1000,
               "floor_rss": fl["VmRSS_median_kib"] / 1024,
               "floor_pss": fl["Pss_sum_kib"] / n / 1024,
               "floor_anon": fl["RssAnon_sum_kib"] / n / 1024}
        mq = Mq(ctx, topology="balanced", timeout_ms=timeout_ms)
        try:
            measure_tree(mq, res)
        except BenchError as e:
            raise Partial(str(e), res)
        finally:
            mq.close(timeout=30)
        if res.get("_create_error"):
            raise Partial(res["_create_error"], res)
        return res

    def measure_tree(mq, res):
        res["create"], failed = mq.creates([(i, None) for i in range(1, n + 1)], 120,
                                           strict=False)
        if failed:
            res["_create_error"] = (f"{len(failed)} of {n} creates failed, e.g. "
                                    + "; ".join(failed[:3]))
        pids = list(mq.pids)
        n_up = len(pids)
        desc = set(descendants(mq.pid))
        if desc != set(pids):
            ctx.note(f"processes under the control node: {len(desc)}, nodes answered: "
                     f"{len(pids)}")
        rss = [proc_kib(p, "status", "VmRSS") or 0 for p in pids]
        pss = [proc_kib(p, "smaps_rollup", "Pss") or 0 for p in pids]
        anon = [proc_kib(p, "status", "RssAnon") or 0 for p in pids]
        thr = proc_kib(pids[0], "status", "Threads") if pids else None
        if thr and "threads" not in ctx.cache:
            ctx.cache["threads"] = thr
            ctx.note(f"an idle node has {thr} threads")
        res.update(rss_sum=sum(rss) / n_up / 1024, rss_med=median(rss) / 1024,
                   pss=sum(pss) / n_up / 1024, anon=sum(anon) / n_up / 1024,
                   ctl_rss=(proc_kib(mq.pid, "status", "VmRSS") or 0) / 1024)
        # pingall: several times, median
        ts = []
        for _ in range(5):
            t0 = now()
            ans = mq.cmd("pingall", 10)
            ts.append((now() - t0) * 1000)
            if ans != "Ok: -1":
                raise BenchError(f"mqtree: pingall answered '{ans}' ({n_up} nodes up)")
        res["pingall"] = median(ts)
        # ping every node, pipelined (ids whose create failed answer Not found)
        text = "".join(f"ping {i}\n" for i in range(1, n + 1)).encode()
        w = mq.writer(text)
        data, t1 = mq.out.lines(n, 30, "answers to ping")
        w.join(5)
        res["pingeach"] = (t1 - w.started) * 1000
        got = data.split(b"\n")
        ok = got.count(b"Ok: 1")
        if ok != n_up or len(got) - ok != got.count(b"Error: Not found"):
            bad = [x for x in got if x not in (b"Ok: 1", b"Error: Not found")]
            raise BenchError(f"mqtree: {n_up} nodes up but {ok} pings answered 'Ok: 1'"
                             + (f", e.g. {bad[0][:60]!r}" if bad else ""))
        # ping of the deepest node (the last created), closed loop; `Ok: PID` does not say
        # which creates failed, so only when none did
        if not failed:
            out = kv(run_tool([ctx.drive, "lat", str(mq.wfd), str(mq.out.fd),
                               str(a.ping_count), "20", f"ping {n}", "Ok: 1"], "ping", 120,
                              pass_fds=(mq.wfd, mq.out.fd)))
            res["ping"] = out["median_us"]

    s, err = runs_of(ctx, "create", one, a.repeat)
    fs, _ = floors_latency(ctx) if "lat" in ctx.cache else ({}, None)
    c = med(s, "create")
    depth = n.bit_length()
    ping_floor = None
    if fs:
        ping_floor = med(fs, "rtt") + (depth - 1) * med(fs, "hop")
    rss = med(s, "rss_sum")
    rows = [
        Row(f"`create` of a {n}-node balanced tree, pipelined, until the last `Ok:`; floor: "
            f"{n} x one fork+exec+hello", c,
            med(s, "floor_create"), fmt=fmt_s, target="< 5 s",
            ok=None if c is None else c < 5, error=err),
        Row(f"`create` of {n} nodes vs {n} raw ZeroMQ processes started 4 at a time, all "
            "staying up (info)", c, med(s, "floor_all"), fmt=fmt_s),
        Row("RSS per idle node: sum of VmRSS / %d (floor: raw ZeroMQ process)" % n, rss,
            med(s, "floor_rss"), fmt=fmt_mib, target="< 4 MiB",
            ok=None if rss is None else rss < 4),
        Row("RSS per idle node: median VmRSS", med(s, "rss_med"), med(s, "floor_rss"),
            fmt=fmt_mib),
        Row("PSS per idle node (shared library pages shared out; info)", med(s, "pss"),
            med(s, "floor_pss"), fmt=fmt_mib, target="(< 4 MiB)",
            ok=None if med(s, "pss") is None else med(s, "pss") < 4),
        Row("private anonymous RSS per idle node (RssAnon; info)", med(s, "anon"),
            med(s, "floor_anon"), fmt=fmt_mib),
        Row(f"control node VmRSS with {n} nodes (info)", med(s, "ctl_rss"), None, fmt=fmt_mib),
        Row(f"`pingall` over {n} nodes (median of 5)", med(s, "pingall"), None, fmt=fmt_ms,
            target="within `--timeout` (1000 ms), SPEC 2",
            ok=None if med(s, "pingall") is None else med(s, "pingall") < timeout_ms),
        Row(f"`ping {n}` (depth {depth}) closed loop; floor: raw rtt + {depth - 1} raw hops",
            med(s, "ping"), ping_floor, fmt=fmt_us),
        Row(f"`ping` of each of the {n} nodes, pipelined, total", med(s, "pingeach"), None,
            fmt=fmt_ms),
    ]
    return rows


def bench_failure(ctx):
    a = ctx.args

    def one(rep):
        fl = run_tool([ctx.pp, "killdetect", "10"], "floor killdetect", 120).splitlines()
        mq = Mq(ctx, topology="list")
        out = {"floor": kv(fl[0])["median_us"] / 1000, "floor_send": kv(fl[1])["median_us"] / 1000}
        try:
            ds, others = [], 0
            for k in range(a.kill_count):
                base = 10 * (k + 1)
                mq.creates([(base + 1, -1), (base + 2, base + 1), (base + 3, base + 2)], 10)
                ans = mq.cmd(f"exec {base + 2} 1 5", 5)
                if ans != f"Ok:{base + 2}: 5":
                    raise BenchError(f"mqtree: exec before the kill answered '{ans}'")
                r = kv(run_tool([ctx.drive, "kill", str(mq.wfd), str(mq.out.fd),
                                 str(mq.nodes[base + 2]), f"exec {base + 2} 1 5",
                                 f"Error:{base + 2}: Node is unavailable"], "mqdrive kill", 30,
                                pass_fds=(mq.wfd, mq.out.fd)))
                ds.append(r["detect_us"] / 1000)
                others += int(r["requests"]) - 1
                # the rest of the chain still answers, and the orphan ends by itself
                ans = mq.cmd(f"exec {base + 1} 1 5", 5)
                if ans != f"Ok:{base + 1}: 5":
                    raise BenchError(f"mqtree: the dead node's parent answered '{ans}'")
                left = REG.wait_gone([mq.nodes[base + 3]], 3.0)
                if left:
                    ctx.note(f"node {base + 3} (below the killed node) still running 3 s later")
                ans = mq.cmd(f"kill {base + 1}", 5)
                if ans != "Ok":
                    raise BenchError(f"mqtree: 'kill {base + 1}' answered '{ans}'")
            out["detect"] = median(ds)
            out["detect_max"] = max(ds)
            out["others"] = others
        finally:
            mq.close()
        return out

    s, err = runs_of(ctx, "failure", one, a.repeat)
    d = med(s, "detect")
    rows = [Row(f"kill -9 of a node at depth 2 until `Node is unavailable` (median of "
                f"{a.kill_count} kills; worst {fmt_ms(max(s['detect_max'])) if d else '—'}); "
                "floor: raw ROUTER's monitor reports DISCONNECTED",
                d, med(s, "floor"), fmt=fmt_ms, target="< 20 ms",
                ok=None if d is None else d < 20, error=err)]
    if s.get("floor_send"):
        ctx.note(f"failure floor: a raw ROUTER_MANDATORY send to the dead peer first fails "
                 f"{med(s, 'floor_send'):.2f} ms after kill -9 (median; probed every ~20 us)")
    if d is not None and sum(s["others"]):
        ctx.note(f"failure: {sum(s['others'])} requests sent after a kill got an answer other "
                 "than 'Node is unavailable' before the first one did")
    return rows


def heal_once(ctx, fanout, subtree):
    """--heal: kill -9 of node 2 (under 1) with `fanout` children (the first with `subtree`
    nodes below it) to the moment every orphan has answered an exec by its new path: execs
    are sent to every orphan right after the kill, and those answered unavailable (the death
    not yet known) sent again until each has answered Ok. Seconds."""
    mq = Mq(ctx, extra=("--heal",))
    try:
        kids = list(range(100, 100 + fanout))
        mq.creates([(1, None), (2, 1)], 30)
        victim = mq.nodes[2]
        mq.creates([(k, 2) for k in kids], 60)
        if subtree:
            mq.creates([(1000 + i, kids[0]) for i in range(subtree)], 120)
        for k in kids:
            if mq.cmd(f"exec {k} 1 1", 10) != f"Ok:{k}: 1":
                raise BenchError(f"mqtree: node {k} did not answer before the kill")
        t0 = now()
        os.kill(victim, signal.SIGKILL)
        todo = set(kids)
        while todo:
            mq.send("".join(f"exec {k} 1 7\n" for k in sorted(todo)))
            data, _ = mq.out.lines(len(todo), 30, "answers after the kill")
            for line in data.decode("latin-1").split("\n"):
                m = line.split(":")
                if line.endswith(": 7") and len(m) == 3:
                    todo.discard(int(m[1]))
                elif not line.endswith("Node is unavailable"):
                    raise BenchError(f"mqtree: after the kill: '{line}'")
            if now() - t0 > 30:
                raise BenchError(f"mqtree: orphans {sorted(todo)[:5]} never answered")
        took = now() - t0
        ans = mq.cmd("pingall", 10)
        if ans != "Ok: 2":
            raise BenchError(f"mqtree: pingall after the heal answered '{ans}'")
        return took
    finally:
        mq.close()


def bench_heal(ctx):
    a = ctx.args
    cases = [(8, 0), (64, 0), (8, 500)]

    def one(rep):
        out = {}
        for f, sub in cases:
            fl = kv(run_tool([ctx.pp, "spawnall", str(f), "0", "0"], "floor spawnall", 120))
            out[f"floor{f}"] = fl["total_ms"]
            out[f"heal{f}_{sub}"] = heal_once(ctx, f, sub) * 1000
        return out

    s, err = runs_of(ctx, "heal", one, a.repeat)
    rows = []
    for f, sub in cases:
        xs = s.get(f"heal{f}_{sub}") or []
        p99 = sorted(xs)[min(len(xs) - 1, int(0.99 * len(xs)))] if xs else None
        what = (f"--heal: kill -9 of a node with {f} children" +
                (f" (one with {sub} nodes below it)" if sub else "") +
                " until every orphan answered by its new path"
                + (f"; worst of {len(xs)} {fmt_ms(p99)}" if xs else "") +
                f"; floor: {f} raw DEALERs spawned at once until each said hello to a ROUTER")
        d = med(s, f"heal{f}_{sub}")
        rows.append(Row(what, d, med(s, f"floor{f}"), fmt=fmt_ms,
                        target="< 50 ms" if f == 64 and not sub else "",
                        ok=None if d is None or f != 64 or sub else d < 50, error=err))
    return rows


def gen_sum_file(ctx, count):
    """exec 1 COUNT n1 ... nCOUNT on one line, numbers uniform in 0..999999 (1 to 6 digits);
    returns (path, expected sum). A block of 10^6 numbers is repeated."""
    path = os.path.join(ctx.tmp, f"sum-{count}.txt")
    if path in ctx.cache:
        return path, ctx.cache[path]
    rnd = random.Random(12345)
    bn = min(count, 1000000)
    nums = [rnd.randrange(1000000) for _ in range(bn)]
    block = (" ".join(map(str, nums)) + " ").encode()
    bsum = sum(nums)
    full, rest = divmod(count, bn)
    with open(path, "wb") as f:
        f.write(f"exec 1 {count} ".encode())
        for _ in range(full):
            f.write(block)
        if rest:
            f.write((" ".join(map(str, nums[:rest]))).encode())
        else:
            f.seek(-1, os.SEEK_CUR)
        f.write(b"\n")
        f.truncate()
    total = full * bsum + sum(nums[:rest])
    ctx.cache[path] = total
    return path, total


def gen_search_file(ctx, size):
    """exec 1, a line of `size` random characters of [A-Za-z0-9] with a pattern planted a few
    times (overlaps included), the pattern; returns (path, expected answer)."""
    path = os.path.join(ctx.tmp, f"search-{size}.txt")
    if path in ctx.cache:
        return path, ctx.cache[path]
    alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    table = bytes(alnum[i % 62] for i in range(256))
    text = bytearray(os.urandom(size).translate(table))
    pat = b"mqTreeXmqTreeX"       # planted twice overlapping: mqTreeXmqTreeXmqTreeX
    for pos in (0, 1234567 % size, size // 2, size - len(pat) - 7):
        plant = pat + b"mqTreeX"
        text[pos:pos + len(plant)] = plant[:max(0, min(len(plant), size - pos))]
    text = bytes(text[:size])
    hits, i = [], text.find(pat)
    while i >= 0:
        hits.append(i)
        i = text.find(pat, i + 1)
    with open(path, "wb") as f:
        f.write(b"exec 1\n")
        f.write(text)
        f.write(b"\n" + pat + b"\n")
    answer = "Ok:1: " + (";".join(map(str, hits)) if hits else "-1")
    ctx.cache[path] = answer
    return path, answer


def big_exec(ctx, exec_set, path, expect, floor_expect, label):
    """Streams the file into mqtree (node 1) and into the floor; end-to-end seconds and peak
    memory."""
    a = ctx.args

    def one(rep):
        res = {}
        # floor: pipe -> stream -> ZeroMQ -> sink
        sink = Server(ctx, ["sink", exec_set], "floor sink")
        try:
            st = REG.popen([ctx.pp, "stream", sink.endpoint], "floor stream",
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
            writers = []
            try:
                w = Writer(st.stdin.fileno(), path=path)
                writers.append(w)
                w.begin()
                ans = LineReader(st.stdout.fileno(), "floor stream").line(a.big_timeout)
                t1 = now()
                if not floor_expect(ans):
                    raise BenchError(f"floor {exec_set} answered {ans!r}")
                res["floor"] = t1 - w.started
                w.join(10)
            finally:
                stop_writers(writers, st)
                st.stdin.close()
                REG.end_popen(st, 3.0)
                st.stdout.close()
        finally:
            sink.close()
        mq = Mq(ctx, exec_set=exec_set)
        try:
            mq.creates([(1, -1)], 10)
            node = mq.nodes[1]
            w = mq.writer(path=path)
            try:
                ans = mq.out.line(a.big_timeout, f"answer to the {label} exec")
            except BenchError as e:
                res_err = str(e)
                hwm = (proc_kib(mq.pid, "status", "VmHWM"), proc_kib(node, "status", "VmHWM"))
                raise BenchError(res_err + f"; peak memory so far: control {hwm[0]} KiB, node "
                                 f"{hwm[1]} KiB; writer {'done' if w.done else 'still writing'}")
            t1 = now()
            res["ctl_hwm"] = (proc_kib(mq.pid, "status", "VmHWM") or 0) / 1024
            res["node_hwm"] = (proc_kib(node, "status", "VmHWM") or 0) / 1024
            res["time"] = t1 - w.started
            res["write"] = (w.done or t1) - w.started
            if ans != expect:
                raise BenchError(f"mqtree answered {ans[:100]!r}, expected {expect[:100]!r}")
            w.join(10)
        finally:
            mq.close()
        return res

    return runs_of(ctx, label, one, a.big_repeat)


def bench_sum(ctx):
    a = ctx.args
    n = a.sum_count
    t0 = now()
    path, total = gen_sum_file(ctx, n)
    print(f"bench: generated {os.path.getsize(path) / MiB:.0f} MiB for sum in {now() - t0:.1f} s",
          file=sys.stderr)
    try:
        s, err = big_exec(ctx, "sum", path, f"Ok:1: {total}",
                          lambda ans: ans == f"count={n} sum={total}", "sum")
    finally:
        os.unlink(path)
    t = med(s, "time")
    c, nd = med(s, "ctl_hwm"), med(s, "node_hwm")
    tag = f"10^{len(str(n)) - 1}" if str(n).strip("0") == "1" else str(n)
    rows = [
        Row(f"`exec 1 {n} ...` sum of {tag} numbers, end to end (floor: pipe + ZeroMQ + parse)",
            t, med(s, "floor"), fmt=fmt_s, target="< 2 s" if n == 10**8 else "(< 2 s at 10^8)",
            ok=None if t is None else t < 2 * n / 10**8, error=err),
        Row("sum: peak memory (VmHWM) of the control node", c, None, fmt=fmt_mib,
            target="< 64 MiB", ok=None if c is None else c < 64),
        Row("sum: peak memory (VmHWM) of the node", nd, None, fmt=fmt_mib, target="< 64 MiB",
            ok=None if nd is None else nd < 64),
    ]
    if t is not None:
        ctx.note(f"sum: the writer finished writing after {med(s, 'write'):.2f} s (median); "
                 f"input {n} numbers")
    return rows


def bench_search(ctx):
    a = ctx.args
    n = a.search_size
    t0 = now()
    path, answer = gen_search_file(ctx, n)
    hits = answer.split(": ", 1)[1]
    nh = 0 if hits == "-1" else len(hits.split(";"))
    first = -1 if hits == "-1" else int(hits.split(";")[0])
    print(f"bench: generated {os.path.getsize(path) / MiB:.0f} MiB for search in "
          f"{now() - t0:.1f} s", file=sys.stderr)
    try:
        s, err = big_exec(ctx, "search", path, answer,
                          lambda ans: ans == f"hits={nh} first={first} textlen={n}", "search")
    finally:
        os.unlink(path)
    t = med(s, "time")
    c, nd = med(s, "ctl_hwm"), med(s, "node_hwm")
    lim = n / MiB + 64
    tag = f"10^{len(str(n)) - 1}" if str(n).strip("0") == "1" else str(n)
    return [
        Row(f"`search` in {tag} characters, end to end (floor: pipe + ZeroMQ + store + memmem)",
            t, med(s, "floor"), fmt=fmt_s, target="< 2 s" if n == 10**8 else "(< 2 s at 10^8)",
            ok=None if t is None else t < 2 * n / 10**8, error=err),
        Row("search: peak memory (VmHWM) of the control node", c, None, fmt=fmt_mib,
            target="< 64 MiB", ok=None if c is None else c < 64),
        Row("search: peak memory (VmHWM) of the node", nd, None, fmt=fmt_mib,
            target=f"< text + 64 MiB = {lim:.0f} MiB", ok=None if nd is None else nd < lim),
    ]


def heartbit_lines(mq, seconds):
    """Every `Heartbit:` line within `seconds`, as (time, id)."""
    got, end = [], now() + seconds
    while now() < end:
        try:
            line = mq.out.line(max(0.001, end - now()), "heartbit lines")
        except BenchError:
            break
        if not line.startswith("Heartbit: node "):
            raise BenchError(f"mqtree: unexpected line '{line}' during heartbit")
        got.append((now(), int(line.split()[2])))
    return got


def bench_heartbit(ctx):
    """kill -9 to the `Heartbit:` line (SPEC: 4*MS after the last report, 5*MS at most), and
    no false report from a 1000-node tree reporting every 100 ms."""
    a = ctx.args

    def one(rep):
        out = {}
        for ms in (100, 1000):
            mq = Mq(ctx)
            try:
                mq.creates([(1, -1), (2, 1), (3, 2)], 10)
                if mq.cmd(f"heartbit {ms}") != "Ok":
                    raise BenchError("mqtree: heartbit did not answer Ok")
                if heartbit_lines(mq, 2 * ms / 1000.0):
                    raise BenchError(f"mqtree: a live node reported at heartbit {ms}")
                os.kill(mq.nodes[2], signal.SIGKILL)
                t0 = now()
                lines = heartbit_lines(mq, 6 * ms / 1000.0)
                ids = sorted(i for _, i in lines)
                if ids != [2, 3]:
                    raise BenchError(f"mqtree: heartbit {ms} after kill -9 of 2 reported {ids}")
                out[f"d{ms}"] = (max(t for t, _ in lines) - t0) * 1000
            finally:
                mq.close()
        mq = Mq(ctx, topology="balanced")
        try:
            mq.creates([(i, None) for i in range(1, a.nodes + 1)], 60)
            if mq.cmd("heartbit 100") != "Ok":
                raise BenchError("mqtree: heartbit did not answer Ok")
            busy0 = cpu_busy()
            out["false"] = len(heartbit_lines(mq, 3.0))
            out["cpu"] = cpu_busy(busy0)
        finally:
            mq.close()
        return out

    s, err = runs_of(ctx, "heartbit", one, a.repeat)
    rows = []
    for ms in (100, 1000):
        d = med(s, f"d{ms}")
        rows.append(Row(f"`heartbit {ms}`: kill -9 of an inner node until the last of its "
                        "subtree's `Heartbit:` lines", d, None, fmt=fmt_ms,
                        target=f"4*MS after the last report ({3 * ms}..{4 * ms} ms after "
                        f"the kill) to 5*MS ({5 * ms} ms)", error=err,
                        ok=None if d is None else 3 * ms <= d <= 5 * ms))
    f = med(s, "false")
    rows.append(Row(f"`heartbit 100` on {a.nodes} idle nodes: false reports in 3 s "
                    f"(machine busy {med(s, 'cpu') or 0:.0f}% meanwhile)", f, None,
                    fmt=lambda v: f"{v:.0f}", target="0", error=err,
                    ok=None if f is None else f == 0))
    return rows


def cpu_busy(since=None):
    """/proc/stat busy and total jiffies; with `since`, the busy percentage from then."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    cur = (sum(v) - v[3] - v[4], sum(v))
    if since is None:
        return cur
    return 100.0 * (cur[0] - since[0]) / max(1, cur[1] - since[1])


BENCHES = [                 # in the order of the table
    ("floor", bench_floor),     # run last: it reuses the floors the others measured
    ("latency", bench_latency),
    ("throughput", bench_throughput),
    ("hosts", bench_hosts),
    ("create", bench_create),
    ("failure", bench_failure),
    ("heal", bench_heal),
    ("heartbit", bench_heartbit),
    ("sum", bench_sum),
    ("search", bench_search),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"),
                    help="the build directory with mqtree and mqtree-node")
    ap.add_argument("--repeat", type=int, default=None,
                    help="runs per figure; each figure is the median (default 5, --quick 1)")
    ap.add_argument("--big-repeat", type=int, default=None,
                    help="runs of sum and search (default: --repeat, at most 3)")
    ap.add_argument("--quick", action="store_true", help="a fast smoke run (15 s to a minute)")
    ap.add_argument("--only", choices=[b[0] for b in BENCHES], action="append",
                    help="run only this benchmark (may be repeated)")
    ap.add_argument("--sum-count", type=int, default=None, help="numbers in the sum (10^8)")
    ap.add_argument("--search-size", type=int, default=None, help="search text size (10^8)")
    ap.add_argument("--nodes", type=int, default=1000, help="nodes in the create benchmark")
    ap.add_argument("--big-timeout", type=float, default=None,
                    help="seconds to wait for the answer of a sum or search (default 120)")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    a = ap.parse_args()
    a.repeat = a.repeat or (1 if a.quick else 5)
    a.big_repeat = a.big_repeat or min(a.repeat, 3)
    a.sum_count = a.sum_count or (10**7 if a.quick else 10**8)
    a.search_size = a.search_size or (10**7 if a.quick else 10**8)
    a.rtt_count = 1000 if a.quick else 5000
    a.lat_count = 500 if a.quick else 2000
    a.ping_count = 200 if a.quick else 1000
    a.tput_count = 100000
    a.tput_timeout = 60
    a.kill_count = 3 if a.quick else 5
    a.big_timeout = a.big_timeout or (60 if a.quick else 120)

    ctx = Ctx(a)
    if not os.access(ctx.mqtree, os.X_OK):
        sys.exit(f"bench: {ctx.mqtree} not found; build first")
    def stamp():
        return {p: os.path.getmtime(p) for p in (ctx.mqtree, ctx.mqtree + "-node")
                if os.path.exists(p)}

    stamps = stamp()
    load0 = os.getloadavg()[0]
    rows, t_start = [], now()
    try:
        build_tools(ctx)
        by_name = {}
        for name, fn in BENCHES[1:] + BENCHES[:1]:
            if a.only and name not in a.only:
                continue
            try:
                by_name[name] = fn(ctx)
            except BenchError as e:
                ctx.note(f"{name}: {e}")
                by_name[name] = [Row(name, error=str(e))]
            except Exception as e:     # a bug here: say so, go on with the others
                import traceback
                traceback.print_exc()
                ctx.note(f"{name}: the benchmark itself failed: {e!r}")
                by_name[name] = [Row(name, error=f"bench.py: {e!r}")]
        for name, _ in BENCHES:
            rows += by_name.get(name, [])
    except KeyboardInterrupt:
        ctx.note("interrupted")
    finally:
        left = REG.finish()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    elapsed = now() - t_start
    if stamp() != stamps:
        ctx.note("the mqtree binaries were rebuilt during this run: figures may mix versions")

    print()
    built = max(stamps.values()) if stamps else 0
    print(f"mqtree benchmarks: {time.strftime('%Y-%m-%d %H:%M')} (binaries built "
          f"{time.strftime('%H:%M:%S', time.localtime(built))}), {os.cpu_count()} CPUs, "
          f"each figure the median of {a.repeat} run(s) (sum/search: {a.big_repeat}); a round "
          f"trip figure is itself the median of thousands of requests in its run; floors are "
          f"measured in the same run; `x floor` = how many times slower (or bigger) mqtree is. "
          f"Load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.")
    print()
    head = ["what", "mqtree", "floor", "x floor", "target (SPEC 6)", "met?"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join([" --- "] * len(head)) + "|")
    for r in rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in r.cells()) + " |")
    print()
    for n in ctx.notes:
        print(f"- {n}")
    if REG.leaks:
        print("- processes left over (ended by pid): " + "; ".join(REG.leaks))
    else:
        print(f"- processes: {len(REG.pids)} started or seen, none left over")
    if left:
        print(f"- STILL RUNNING after SIGKILL: {left}")
    print(f"- total time {elapsed:.0f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump([dict(what=r.what, mqtree=r.m, floor=r.f, ratio=r.ratio(), target=r.target,
                            met=r.ok, error=r.error) for r in rows], f, indent=1)
    return 1 if (REG.leaks or left) else 0


if __name__ == "__main__":
    sys.exit(main())
