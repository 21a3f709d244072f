"""The control node on a terminal and off it (SPEC section 1: prompt and banner only on a
terminal and without -q, standard input deciding, whatever stdout is; section 2: Ctrl-C at the
prompt, end of input)."""

import re
import unittest

from harness import PID_LINE, MqTestCase

PROMPT_RE = re.compile(r"> ")
PID_SHOWN = re.compile(r"Ok: ([0-9]+)\n")


class TerminalCase(MqTestCase):

    def created_on_screen(self, term, node_id):
        pid = int(term.expect(PID_SHOWN).group(1))
        self.record(pid, "node %d" % node_id, term)
        self.assert_node_process(pid)
        return pid

    def finish(self, term, keys):
        """Type keys that end the session; status 0 and nothing of the system left."""
        self.tracker.scan()
        term.type(keys)
        self.assertEqual(term.wait_exit(), 0, "exit status; screen: %r" % term.text()[-400:])
        self.assert_gone(self.tracker.pids(owner=term.pid), 1.0)


class TerminalTest(TerminalCase):

    def test_prompt_and_commands_on_a_terminal(self):
        term = self.start_terminal("-t", "tree", "-e", "sum")
        term.expect(PROMPT_RE)
        term.type("create 1 -1\r")
        self.created_on_screen(term, 1)
        term.type("exec 1 2 3 4\r")
        term.expect(r"Ok:1: 7\n")
        term.type("ping 1\r")
        term.expect(r"Ok: 1\n")
        # Answers are printed when they arrive, so a prompt may come before or after each
        # one; but every line is asked for with a prompt.
        self.assertGreaterEqual(term.text().count("> "), 3, "screen: %r" % term.text())
        self.finish(term, "exit\r")

    def test_answers_do_not_garble_the_line_being_typed(self):
        """An answer printed while the prompt is shown leaves a clean prompt line: no line of
        the screen holds stale input (e.g. `> create 1 -1ping 1`)."""
        term = self.start_terminal()
        term.expect(PROMPT_RE)
        term.type("create 1 -1\r")
        pid = self.created_on_screen(term, 1)
        term.type("ping 1\r")
        term.expect(r"Ok: 1\n")
        term.type("exec 1 1 5\r")
        term.expect(r"Ok:1: 5\n")
        allowed = {"", "create 1 -1", "ping 1", "exec 1 1 5", "Ok: %d" % pid, "Ok: 1",
                   "Ok:1: 5"}
        for line in term.text().split("\n"):
            if "> " in line:
                self.assertIn(line.replace("> ", ""), allowed,
                              "garbled prompt line %r; screen: %r" % (line, term.text()))
        self.finish(term, "exit\r")

    def test_quiet_shows_no_prompt_and_no_banner(self):
        term = self.start_terminal("-q")
        term.type("ping 5\r")
        term.expect(r"Error: Not found")
        self.finish(term, "exit\r")
        text = term.text()
        self.assertNotIn(">", text, "a prompt was shown with -q: %r" % text)
        # Apart from the echo of what was typed, the screen holds the answer only.
        rest = re.sub(r"\s", "", text).replace("ping5", "").replace("exit", "")
        self.assertEqual(rest, "Error:Notfound", "screen with -q: %r" % text)

    def test_ctrl_c_at_the_prompt_drops_the_line(self):
        term = self.start_terminal()
        term.expect(PROMPT_RE)
        term.type("bogus")
        term.expect(r"bogus")
        term.type("\x03")
        term.expect(PROMPT_RE)
        term.type("ping 5\r")
        term.expect(r"Error: Not found")
        self.assertNotIn("Unknown command", term.text())
        self.assertIsNone(term.proc.poll(), "Ctrl-C at the prompt ended the control node")
        term.type("create 1 -1\r")
        self.created_on_screen(term, 1)
        self.finish(term, "exit\r")

    def test_ctrl_d_ends_the_session(self):
        term = self.start_terminal()
        term.expect(PROMPT_RE)
        term.type("create 1 -1\r")
        self.created_on_screen(term, 1)
        term.type("ping 1\r")
        term.expect(r"Ok: 1\n")
        self.finish(term, "\x04")


class TerminalWithStdoutRedirectedTest(TerminalCase):
    """Standard input decides interactivity: on a terminal with stdout on a pipe (`mqtree |
    tee log`, `mqtree > out`), commands run and their answers go to the pipe only, while the
    banner, the prompt and the echo of what is typed stay on the terminal."""

    def start_session(self):
        term = self.start_terminal("-t", "tree", "-e", "sum", piped=True)
        term.expect(r"Type 'help' for the commands\.")    # the banner, on the terminal
        term.expect(PROMPT_RE)
        term.type("create 1 -1\r")
        pid = int(term.piped_expect(PID_SHOWN).group(1))
        self.record(pid, "node 1", term)
        self.assert_node_process(pid)
        term.type("exec 1 2 3 4\r")
        term.piped_expect(r"Ok:1: 7\n")
        term.expect(r"exec 1 2 3 4")        # echoed on the terminal
        term.expect(PROMPT_RE)              # and asked for the next line there
        return term, pid

    def check_end(self, term, pid, keys):
        self.finish(term, keys)
        self.assertEqual(term.piped_text(), "Ok: %d\nOk:1: 7\n" % pid,
                         "stdout must hold the answers only (no banner, prompt or echo)")
        self.assertNotIn("Ok", term.text(), "answers shown on the terminal too")

    def test_exit(self):
        term, pid = self.start_session()
        self.check_end(term, pid, "exit\r")

    def test_ctrl_c_drops_the_line_and_ctrl_d_ends(self):
        term, pid = self.start_session()
        term.type("bogus")
        term.expect(r"bogus")
        term.type("\x03")
        term.expect(PROMPT_RE)
        self.assertIsNone(term.proc.poll(), "Ctrl-C at the prompt ended the control node")
        self.check_end(term, pid, "\x04")


class PipeTest(MqTestCase):

    def test_no_prompt_and_no_banner_when_not_on_a_terminal(self):
        """Without -q: stdout holds the answers and nothing else, from its first byte."""
        ctl = self.start_tree()
        ctl.send_lines(["ping 5", "create 1 -1", "ping 1"])
        rest = self.exit_cleanly(ctl, "exit")
        self.assertEqual(len(rest), 3, "stdout: %r" % rest)
        self.assertEqual(rest[0], "Error: Not found", "first stdout line: %r" % rest)
        self.assertRegex(rest[1], PID_LINE)
        self.assertEqual(rest[2], "Ok: 1")

    def test_first_line_is_the_first_answer(self):
        ctl = self.start_tree()
        ctl.send("pingall")
        ctl.expect("Ok: -1")


if __name__ == "__main__":
    unittest.main()
