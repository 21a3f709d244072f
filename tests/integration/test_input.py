"""Malformed input (SPEC section 2, "Anything else"; section 1, bad options): every malformed
line gets exactly one error line, changes nothing, and the next good command works."""

import random
import re
import unittest

from harness import ANSWER, MqTestCase, matches, numbers_line, show

ERROR = re.compile(r"Error: .+", re.S)              # an error of the control node
ANY_ERROR = re.compile(r"Error.*", re.S)            # any error line (garbage may be echoed)
BIG = 12 * ANSWER                                   # deadline for multi-megabyte lines


def node_error(node_id, optional=False):
    """`Error:ID: REASON`; with optional, `Error: REASON` is accepted too (SPEC does not say
    which form an exec whose arguments are unusable takes)."""
    tag = ":%s" % re.escape(str(node_id))
    return re.compile(r"Error%s: .+" % ("(?:%s)?" % tag if optional else tag), re.S)


def invalid_id(text, exec_id=False):
    msg = "Invalid id '%s'" % re.escape(text)
    return re.compile(r"Error(?::%s)?: %s" % (re.escape(text), msg) if exec_id
                      else r"Error: %s" % msg)


def garbage(size, rng, first=b"\xff"):
    """size bytes of anything but a newline, NULs and 0xff included, starting with first."""
    data = bytearray(rng.getrandbits(8) for _ in range(size))
    data = data.replace(b"\n", b"\x00")
    data[0:len(first)] = first
    data[size // 2] = 0
    data[size // 3] = 0xFF
    return bytes(data)


def big_garbage(size, rng, first=b"zq"):
    """size bytes of letters, digits and spaces (a long first token, then many tokens)."""
    table = bytes((b"abcdefghijklmnopqrstuvwxyz0123456789 " * 7)[:256])
    return first + rng.randbytes(size - len(first)).translate(table)


class MalformedLineTest(MqTestCase):

    def setUp(self):
        super().setUp()
        self.ctl = self.start_tree()
        self.create(self.ctl, 1, -1)

    def bad(self, line, want=ERROR, timeout=ANSWER):
        """line gets exactly one answer, matching want, then `ping 1` still works. Output is
        read up to the ping's answer even on failure, so that later checks stay in step."""
        self.ctl.send(line)
        self.ctl.send("ping 1")
        got = self.ctl.lines_until("Ok: 1", timeout)
        shown = [g if len(g) < 200 else g[:200] + "..." for g in got]
        self.assertEqual(len(got), 2, "%r: expected one answer before the ping's, got %r"
                         % (line[:60], shown))
        self.assertIsNotNone(matches(want, got[0]), "%r: expected %s, got %r"
                             % (line[:60], show(want), shown[0]))

    def assert_not_created(self, *ids):
        for node in ids:
            self.ctl.send("ping %d" % node)
            self.ctl.expect("Error: Not found")

    def test_unknown_command(self):
        self.bad("x", "Error: Unknown command 'x'")
        self.bad("frobnicate 1 2", "Error: Unknown command 'frobnicate'")
        self.bad("pin 1", "Error: Unknown command 'pin'")
        self.bad("createx 2 -1", "Error: Unknown command 'createx'")
        self.assert_not_created(2)

    def test_missing_arguments(self):
        for line in ("create", "exec", "ping", "kill", "remove", "heartbit"):
            with self.subTest(line=line):
                self.bad(line)

    def test_extra_arguments(self):
        for line in ("create 2 -1 5", "ping 1 2", "pingall 1", "kill 1 2", "remove 1 2",
                     "heartbit 100 200", "tree 1", "exit now", "quit now"):
            with self.subTest(line=line):
                self.bad(line)
        self.assert_not_created(2)
        self.ctl.send("exec 1 1 1")
        self.ctl.expect("Ok:1: 1")

    def test_invalid_ids(self):
        cases = [("ping x", invalid_id("x")), ("create abc", invalid_id("abc")),
                 ("create 2 abc", invalid_id("abc")), ("kill 1x", invalid_id("1x")),
                 ("remove 1.5", invalid_id("1.5")),
                 ("ping 2147483648", invalid_id("2147483648")),
                 ("create 2147483648 -1", invalid_id("2147483648")),
                 ("create 99999999999999999999999", invalid_id("99999999999999999999999")),
                 ("create -5", invalid_id("-5")), ("create 2 -5", invalid_id("-5")),
                 ("kill -5", invalid_id("-5")), ("ping -1", ERROR),
                 ("exec x 1 1", invalid_id("x", exec_id=True)),
                 ("exec 2147483648 1 1", invalid_id("2147483648", exec_id=True)),
                 ("exec -5 1 1", invalid_id("-5", exec_id=True))]
        for line, want in cases:
            with self.subTest(line=line):
                self.bad(line, want)
        self.assert_not_created(2, 5)

    def test_boundary_ids_are_valid(self):
        self.create(self.ctl, 0, -1)
        self.create(self.ctl, 2147483647, 0)
        self.ctl.send("exec 2147483647 1 5")
        self.ctl.expect("Ok:2147483647: 5")
        self.ctl.send("exec 0 1 -5")
        self.ctl.expect("Ok:0: -5")
        self.ctl.send("ping 0")
        self.ctl.expect("Ok: 1")

    def test_bad_exec_arguments(self):
        cases = [("exec 1 3 1 2", "Error:1: Expected 3 numbers, got 2"),
                 ("exec 1", node_error(1, optional=True))]
        cases += [(line, node_error(1)) for line in (
            "exec 1 2 1 x", "exec 1 2 1 2x", "exec 1 2 1 2 3", "exec 1 1 9223372036854775808",
            "exec 1 1 -9223372036854775809", "exec 1 0", "exec 1 -1 5", "exec 1 x 1",
            "exec 1 100000001 1", "exec 1 1 1.5", "exec 1 1 --1")]
        for line, want in cases:
            with self.subTest(line=line):
                self.bad(line, want)
        # The node's parser is clean again.
        self.ctl.send("exec 1 2 3 4")
        self.ctl.expect("Ok:1: 7")

    def test_binary_garbage_lines(self):
        rng = random.Random(1)
        cases = [(garbage(4096, rng), ANY_ERROR), (b"\x00", ANY_ERROR),
                 (b"\xff\xfe\x00\x01", ANY_ERROR), (b"ping " + garbage(300, rng), ERROR),
                 (b"exec 1 " + garbage(300, rng), node_error(1, optional=True)),
                 (b"ping 1\xff", ERROR)]
        for line, want in cases:
            with self.subTest(line=line[:12]):
                self.bad(line, want)
        self.assert_not_created(2)

    def test_lines_of_many_megabytes(self):
        self.bad(big_garbage(8 << 20, random.Random(2)), ANY_ERROR, BIG)
        self.bad(b"a" * (64 << 20), ANY_ERROR, BIG)
        self.bad(b"ping 1 " + b"1 " * (3 << 20), ERROR, BIG)
        line, _ = numbers_line(1, list(range(700000)))
        self.bad(line.replace(b"exec 1 700000 ", b"exec 1 2 ", 1), node_error(1), BIG)
        self.ctl.send("exec 1 1 1")
        self.ctl.expect("Ok:1: 1")

    def test_empty_lines_and_comments_are_silent(self):
        self.ctl.send_lines(["", "   ", "\t", " \t ", "# comment", "#create 2 -1",
                             "   # indented comment", "#", "#ping 1", "\t#exec 1 1 1"])
        self.ctl.send("ping 1")
        self.ctl.expect("Ok: 1")
        self.assert_not_created(2)

    def test_spaces_and_tabs_separate_tokens(self):
        self.ctl.send("exec\t1\t2\t3\t4")
        self.ctl.expect("Ok:1: 7")
        self.ctl.send("  ping   1  ")
        self.ctl.expect("Ok: 1")
        self.ctl.send("exec 1 3 1\t2  \t 3\t")
        self.ctl.expect("Ok:1: 6")
        self.ctl.send(" create\t2\t1")
        self.expect_pid(self.ctl, 2)
        self.ctl.send("exec 2 1 2")
        self.ctl.expect("Ok:2: 2")

    def test_sum_of_a_million_numbers_on_one_line(self):
        rng = random.Random(5)
        numbers = [rng.randrange(-99999, 999999) for _ in range(1000000)]
        line, total = numbers_line(1, numbers)
        self.assertGreater(len(line), 5 << 20)
        self.ctl.send(line)
        self.ctl.expect("Ok:1: %d" % total, BIG)
        self.ctl.send("exec 1 1 1")
        self.ctl.expect("Ok:1: 1")


class OptionsTest(MqTestCase):

    def test_bad_options(self):
        for args in (["--bogus"], ["-t", "ring"], ["--topology=ring"], ["-e", "mul"],
                     ["-T", "abc"], ["-T", "-5"], ["stray-argument"], ["-t"]):
            with self.subTest(args=args):
                status, out, err = self.run_program(args)
                self.assertEqual(status, 2, "exit status; stderr: %r" % err)
                self.assertEqual(out, "", "bad options must print nothing on stdout")
                self.assertGreaterEqual(len(err.strip().splitlines()), 2,
                                        "a reason and the usage on stderr: %r" % err)
                self.assertRegex(err.lower(), "usage")

    def test_help_and_version(self):
        status, out, err = self.run_program(["--help"])
        self.assertEqual(status, 0, err)
        for option in ("--topology", "--exec", "--timeout", "--quiet"):
            self.assertIn(option, out)
        status, out, err = self.run_program(["-V"])
        self.assertEqual(status, 0, err)
        self.assertRegex(out, r"[0-9]+\.[0-9]+")

    def test_good_options_are_accepted(self):
        for args in (["-t", "tree", "-e", "sum", "-T", "300", "-q"],
                     ["--topology=list", "--exec=dict", "--timeout=500", "--quiet"],
                     ["-tbst", "-esearch"], ["--topology", "balanced", "--exec", "timer"]):
            with self.subTest(args=args):
                status, out, err = self.run_program(args)
                self.assertEqual((status, out), (0, ""), "stderr: %r" % err)


if __name__ == "__main__":
    unittest.main()
