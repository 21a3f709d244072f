"""Robustness at the limits of the control node's input and output (see support_robust.py):
running out of file descriptors, long leading whitespace, failed writes to stdout, ids with
leading zeros."""

import os
import re
import select
import subprocess
import threading
import time
import unittest

from harness import (ANSWER, EXIT, GONE, MARGIN, MQTREE_BIN, PID_LINE, SELF_END, SLOW,
                     deadline_after, descendants, proc_cmdline, proc_stat, remaining,
                     sanitizer_reports)
from support_extra import read_tree
from support_robust import (BIG, RobustCase, compute_nodes_started_since, cpu_seconds,
                            node_id_of)


# --------------------------------------------------------------------------------------------
# 1. Out of file descriptors

class FileDescriptorLimitTest(RobustCase):

    NODES = 60

    def test_creates_beyond_the_fd_limit_fail_at_once_and_nothing_spins(self):
        """With 64 descriptors the control node cannot hold 60 links: the creates that do not
        fit fail at once saying so, the others work, and the control node stays idle."""
        ctl = self.start("-t", "tree", "-e", "sum", "-T", "1000", rlimits={"NOFILE": (64, 64)})
        with self.sanitizer_watch(ctl):
            start = time.monotonic()
            ctl.send_lines(["create %d" % i for i in range(1, self.NODES + 1)])
            # "Within a few seconds", and well before the 10 s a started node gets to say hello.
            answers = ctl.lines(self.NODES, 8.0 * SLOW)
            took = time.monotonic() - start
            oks, errors = {}, []
            for line in answers:
                m = PID_LINE.fullmatch(line)
                if m:
                    pid = int(m.group(1))
                    self.record(pid, "node", ctl)
                    oks[node_id_of(pid)] = pid
                else:
                    errors.append(line)
            for line in errors:
                self.assertRegex(line, re.compile(r"Error: Cannot start node: .*open files",
                                                  re.I), "answers: %r" % answers)
            self.assertTrue(oks and errors, "64 descriptors fit some nodes, not 60: %r"
                            % answers)
            self.assertLess(took, 8.0 * SLOW)
            # Idle now: no output, and (almost) no CPU time over 2 s.
            before = cpu_seconds(ctl.pid)
            ctl.expect_none(2.0)
            used = cpu_seconds(ctl.pid) - before
            self.assertLess(used, 0.3, "the control node used %.2f s of CPU in 2 s idle" % used)
            tree = read_tree(ctl)
            self.assertEqual(tree.pids(), oks, "`tree` against the creates answered Ok:\n%s"
                             % tree)
            self.exit_cleanly(ctl)


# --------------------------------------------------------------------------------------------
# 2. Long leading whitespace

class LeadingWhitespaceTest(RobustCase):

    def setUp(self):
        super().setUp()
        self.ctl = self.start_tree()
        self.create(self.ctl, 1)
        self.marks = 0

    def one_answer(self, line, want):
        """line gets exactly one answer, want: the exec after it (same node, so answered in
        order) is the next line."""
        self.marks += 1
        mark = "Ok:1: %d" % (700000 + self.marks)
        self.ctl.send(line)
        self.ctl.send("exec 1 1 %d" % (700000 + self.marks))
        got = self.ctl.lines_until(mark, BIG)
        shown = [g if len(g) < 100 else g[:100] + "..." for g in got]
        self.assertEqual(got, [want, mark], "%r... (%d characters): answers %r"
                         % (line[:20], len(line), shown))

    def test_leading_whitespace_does_not_count_towards_the_line_limit(self):
        with self.sanitizer_watch(self.ctl):
            self.one_answer(" " * 5000 + "ping 1", "Ok: 1")
            self.one_answer("\t" * 4095 + "ping 1", "Ok: 1")
            self.one_answer(" " * 4093 + "exec 1 1 5", "Ok:1: 5")
            self.one_answer(" " * 10 ** 6 + "ping 1", "Ok: 1")
            self.one_answer(" \t" * 3000 + "exec 1 2 40 2", "Ok:1: 42")
            self.ctl.send("ping 1")
            self.ctl.expect("Ok: 1")
            self.exit_cleanly(self.ctl)


# --------------------------------------------------------------------------------------------
# 3. Failed writes to stdout

class WriteErrorTest(RobustCase):

    def raw_control(self, stdout, note):
        """build/mqtree -t tree with stdin and stderr on pipes and the given stdout, recorded
        (and killed by pid at the end if it is still running)."""
        proc = subprocess.Popen([MQTREE_BIN, "-t", "tree", "-e", "sum"], stdin=subprocess.PIPE,
                                stdout=stdout, stderr=subprocess.PIPE, cwd=self.workdir,
                                env=dict(os.environ, HOME=self.workdir))
        self.since = proc_stat(proc.pid)[2]     # its start, the same before and after exec
        # Recorded once it runs mqtree (until its exec the child still runs Python).
        end = deadline_after(ANSWER)
        while (not self.tracker.record(proc.pid, note, proc.pid) and proc.poll() is None
               and time.monotonic() < end):
            time.sleep(0.001)   # polling interval of a deadline-bounded wait
        self.tracker.add_root(proc.pid, note)

        def end():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for f in (proc.stdin, proc.stdout):
                if f is not None:
                    try:
                        f.close()
                    except OSError:
                        pass
        self.addCleanup(end)
        return proc

    def test_stdout_on_a_full_device_ends_with_an_error(self):
        """`printf 'create 1\\nping 1\\n' | mqtree > /dev/full`: a non-zero status, a line on
        stderr, and no compute node left."""
        with open("/dev/full", "wb") as full:
            proc = self.raw_control(full, "mqtree > /dev/full")
        since = self.since
        try:
            _, err = proc.communicate(b"create 1\nping 1\n", timeout=ANSWER + EXIT)
        except subprocess.TimeoutExpired:
            self.fail("mqtree > /dev/full did not end within %.1fs" % (ANSWER + EXIT))
        err = err.decode("utf-8", "replace")
        left = compute_nodes_started_since(since)
        for pid in left:
            self.tracker.record(pid, "node of mqtree > /dev/full", proc.pid)
        self.assertEqual(sanitizer_reports(err.splitlines()), [], err)
        self.assertNotEqual(proc.returncode, 0, "exit status with stdout on /dev/full;"
                            " stderr: %r" % err)
        self.assertTrue(err.strip(), "no line on stderr about the failed write")
        self.assert_gone(left, SELF_END + MARGIN)

    def test_reader_closing_stdout_ends_the_system_with_an_error(self):
        """stdout is a pipe whose reader reads one line and closes it: the next answer fails
        to write, and the control node ends with a non-zero status, and so does every node."""
        proc = self.raw_control(subprocess.PIPE, "mqtree | head -1")
        err_lines = []
        reader = threading.Thread(target=lambda: err_lines.extend(
            l.decode("utf-8", "replace").rstrip("\n") for l in proc.stderr), daemon=True)
        reader.start()
        proc.stdin.write(b"create 1\ncreate 2 1\n")
        proc.stdin.flush()
        fd = proc.stdout.fileno()
        data, end = b"", deadline_after(ANSWER)
        while b"\n" not in data:
            ready, _, _ = select.select([fd], [], [], remaining(end))
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                self.fail("no first line from the control node: %r; stderr %r"
                          % (data, err_lines))
            data += chunk
        first = data.split(b"\n", 1)[0].decode()
        self.assertRegex(first, PID_LINE)
        # Both nodes are up once the second is (its create waits for the first).
        end = deadline_after(ANSWER)
        while True:
            self.tracker.scan()
            nodes = [p for p in descendants([proc.pid]) if "mqtree-node" in proc_cmdline(p)]
            if len(nodes) >= 2 or time.monotonic() >= end:
                break
            time.sleep(0.01)   # polling interval of a deadline-bounded wait
        self.assertEqual(len(nodes), 2, "compute nodes below the control node: %r" % nodes)
        for pid in nodes:
            self.tracker.record(pid, "node", proc.pid)
        proc.stdout.close()                 # the reader goes away
        try:
            proc.stdin.write(b"ping 1\nping 2\n")
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            status = proc.wait(ANSWER)
        except subprocess.TimeoutExpired:
            status = None
        if status is None:
            self.fail("the control node still runs %.1fs after writing to a closed pipe;"
                      " stderr %r" % (ANSWER, err_lines))
        reader.join(GONE)
        self.assertNotEqual(status, 0, "exit status after a failed write; stderr %r"
                            % err_lines)
        self.assertTrue(any(l.strip() for l in err_lines), "no line on stderr")
        self.assertEqual(sanitizer_reports(err_lines), [], err_lines)
        self.assert_gone(nodes, SELF_END + MARGIN)


# --------------------------------------------------------------------------------------------
# 4. Leading zeros

class LeadingZerosTest(RobustCase):

    def test_ids_with_leading_zeros_are_the_same_ids(self):
        ctl = self.start_tree()
        with self.sanitizer_watch(ctl):
            ctl.send("create 007")
            self.expect_pid(ctl, 7)
            ctl.send("ping 7")
            ctl.expect("Ok: 1")
            ctl.send("ping 00000000000000000007")
            ctl.expect("Ok: 1")
            ctl.send("ping " + "0" * 300 + "7")
            ctl.expect("Ok: 1")
            ctl.send("exec 0000000000000000000000007 1 5")
            ctl.expect("Ok:7: 5")
            ctl.send("create 8 " + "0" * 40 + "7")
            self.expect_pid(ctl, 8)
            ctl.send("exec 8 1 8")
            ctl.expect("Ok:8: 8")
            tree = read_tree(ctl)
            self.assertEqual(tree.parents(), {7: -1, 8: 7}, str(tree))
            ctl.send("create 000000000000000000000000000000000007")
            ctl.expect("Error: Already exists")
            ctl.send("ping 00000000002147483648")
            ctl.expect(re.compile(r"Error: Invalid id .*"))
            ctl.send("ping " + "0" * 300 + "2147483648")
            ctl.expect(re.compile(r"Error: Invalid id .*"))
            ctl.send("ping 0002147483647")
            ctl.expect("Error: Not found")
            self.exit_cleanly(ctl)


if __name__ == "__main__":
    unittest.main()
