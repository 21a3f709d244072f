"""What the robustness tests share (test_robust.py, test_robust_io.py), on top of harness.py.

Robustness: the paths where the control node used to free a request still in use, a node
killed while it is being moved, running out of file descriptors, a create that timed out, a
busy node whose uplink goes, long leading whitespace, failed writes to stdout, and ids with
leading zeros. Each test reproduces one fault from outside and checks the contract's answer.

Under AddressSanitizer (MQTREE_SANITIZED=1) the tests that drive those paths also fail when
the control node's stderr (which its nodes share) holds a sanitizer report.
"""

import contextlib
import os
import re
import signal
import time

from harness import (ANSWER, MQTREE_NODE_BIN, PROMPT, MqTestCase, descendants, proc_cmdline,
                     proc_stat, sanitizer_reports)

SANITIZED = os.environ.get("MQTREE_SANITIZED") == "1"
FAST = PROMPT                   # "at once"
BIG = 12 * ANSWER               # deadline for input of tens of megabytes
# A search text that keeps node 1 busy for a while (about 0.15 s per 5*10^7 characters in
# the plain build, four times that under ASan), and a pattern it never matches.
SEARCH_TEXT = 5 * 10 ** 7
LONG_TEXT = 5 * 10 ** 7 if SANITIZED else 10 ** 8
NO_MATCH = b"ab"


def kill9(pid):
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()



def search_then(size, *after, pattern=NO_MATCH):
    """`exec 1 TEXT PATTERN` with a text of size letters `a` on one line, then the lines
    after."""
    return [b"exec 1 ", b"a" * size, b" " + pattern + b"\n"] + [l + b"\n" for l in after]


def cpu_seconds(pid):
    """utime + stime of pid (every thread), in seconds."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        data = f.read()
    fields = data[data.rfind(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    """VmRSS of pid in kB (0 when it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^VmRSS:\s+([0-9]+) kB", f.read(), re.M)
    except OSError:
        return 0
    return int(m.group(1)) if m else 0


def read_meminfo(key):
    with open("/proc/meminfo") as f:
        m = re.search(r"^%s:\s+([0-9]+) kB" % key, f.read(), re.M)
    return int(m.group(1)) if m else 0


def node_id_of(pid):
    m = re.search(r"--id=([0-9]+)", proc_cmdline(pid))
    return int(m.group(1)) if m else None


def nodes_with_id(ctl_pid, node_id):
    """Live compute node processes below the control node started for node_id."""
    out = set()
    for pid in descendants([ctl_pid]):
        st = proc_stat(pid)
        cmd = proc_cmdline(pid)
        if st and st[0] != "Z" and "mqtree-node" in cmd and node_id_of(pid) == node_id:
            out.add(pid)
    return out


def compute_nodes_started_since(ticks):
    """Live processes of this build's compute node program started at or after ticks (a
    starttime): found wherever they are, also when their control node has gone."""
    want = os.path.realpath(MQTREE_NODE_BIN)
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        st = proc_stat(pid)
        if st is None or st[0] == "Z" or st[2] < ticks:
            continue
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            continue
        exe = exe[:-len(" (deleted)")] if exe.endswith(" (deleted)") else exe
        if os.path.realpath(exe) == want:
            out.append(pid)
    return out


class RobustCase(MqTestCase):

    @contextlib.contextmanager
    def sanitizer_watch(self, ctl):
        """Fails with the sanitizer's report when there is one, whatever else failed first;
        on success, the control node's stderr must hold none."""
        try:
            yield
        except AssertionError as e:
            if ctl.proc.poll() is not None:
                ctl.stderr_until_end(1.0)
            found = sanitizer_reports(ctl.stderr_lines)
            if found:
                raise AssertionError("%s\nsanitizer report on the control node's stderr:\n  %s"
                                     % (e, "\n  ".join(ctl.stderr_lines[:40]))) from None
            raise
        self.assert_no_sanitizer_report(ctl)
