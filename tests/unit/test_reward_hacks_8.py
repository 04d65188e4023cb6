"""Reward hacks against ``code_exec``, round 8 (red team of the split harness and the stdio checker): classes not in
rounds 1-7.

Tests whose docstring starts "Was ..." scored wrongly before this round's fixes: a NaN result passed every tolerance
test written the negative way round (``max(diffs) < tol``, ``not any(d > tol ...)``, ``if d > tol: raise``: NaN is
unordered, and Python's ``max`` keeps a number over a later NaN); ``not f(x) != y`` and a set's subset test took
``42.0`` for ``42``; a stdio reference decimal beyond the float range (``1.5e400``) matched any number printed, and a
decimal in other digits (``١.٥``, ``1_0.5``) matched too; output a program left in its pipes when it ended was cut at
the cap instead of failing it; a replaced builtin the harness itself uses ended the solution's job as a timeout or a
crash, and one replaced in the last call went unreported. Correct solutions failed: a stdio program whose case input
is the number 0 got no input, one whose output is written as Python tears it down (an unflushed ``os.fdopen(1,
"w")``, a ``__del__``) lost it, and a ``KeyError('x')`` reached the tests as its message only (``str(e)`` was ``"'x'"``
quoted again, ``e.args`` one string). ``test_limit_*`` pins what the harness leaves to Python (the module docstring
of ``verifiers.code_exec`` lists it); the rest pins classes that held.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time

import pytest

from ground import sandbox_server
from tests.unit.test_reward_hacks import reason
from tests.unit.test_reward_hacks_2 import stdio
from verifiers.code_exec import CodeExec, same_output

F_SETPIPE_SZ = 1031
NAN = "def f(x=None):\n    return [1.0, float('nan')]"
HONEST = "def f(x=None):\n    return [1.0, 2.0]"


@pytest.fixture(scope="module")
def v():
    ver = CodeExec(timeout_s=10.0)  # generous, as round 1's: two jobs per check on a loaded 2-core box
    yield ver
    ver.close()


# --- scored wrongly before this round: now fixed --------------------------------------------------------------


@pytest.mark.parametrize("tests, line", [
    ("assert max(abs(a - b) for a, b in zip(f(), [1.0, 2.0])) < 1e-9\n", 1),
    ("assert not any(abs(a - b) > 1e-9 for a, b in zip(f(), [1.0, 2.0]))\n", 1),
    ("for a, b in zip(f(), [1.0, 2.0]):\n    if abs(a - b) > 1e-9:\n        raise AssertionError('too far')\n", 2),
    ("assert all(not abs(a - b) > 1e-9 for a, b in zip(f(), [1.0, 2.0]))\n", 1),
    ("assert sum(abs(a - b) > 1e-9 for a, b in zip(f(), [1.0, 2.0])) == 0\n", 1),
    ("assert min([2.0, f()[1]]) >= 2.0\n", 1),
])
def test_a_nan_result_fails_a_tolerance_test_written_the_negative_way_round(v, tests, line):
    """Was "passed" for each: NaN is unordered, so ``d > tol`` is False for a NaN difference ("not too far"), and
    ``max(0.0, nan)`` is 0.0. Now an ordering with a NaN operand, or ``max``/``min`` over one, fails the test."""
    assert reason(v, NAN, tests) == f"AssertionError at test line {line}"
    assert reason(v, HONEST, tests) == "passed"


@pytest.mark.parametrize("tests", ["assert not solve() != 42\n", "assert not (solve() not in [41, 42])\n"])
def test_a_doubly_negated_equality_is_type_exact(v, tests):
    """Was "passed": ``not a != b`` kept Python's ``!=``, where ``42.0 != 42`` is False; it is the test ``a == b``."""
    assert reason(v, "def solve():\n    return 42.0", tests) == "AssertionError at test line 1"
    assert reason(v, "def solve():\n    return 42", tests) == "passed"


@pytest.mark.parametrize("tests", ["assert set(f()) <= {1, 2, 3}\n", "assert {1, 2, 3} > frozenset(f())\n"])
def test_a_subset_test_on_a_result_is_type_exact(v, tests):
    """Was "passed": a set's ``<=`` (subset) compared members with Python's ``==``, where ``True == 1``."""
    assert reason(v, "def f():\n    return [True, 2]", tests) == "AssertionError at test line 1"
    assert reason(v, "def f():\n    return [1, 2]", tests) == "passed"


@pytest.mark.parametrize("want", ["1.5e400", "1" + "0" * 400 + ".5"])
def test_a_stdio_decimal_beyond_the_float_range_is_compared_as_a_number(v, want):
    """Was "passed" for any number printed: as a float the reference is ``inf``, and its tolerance ``inf`` too."""
    cases = [{"stdin": "", "stdout": want}]
    assert stdio(v, "print(0)", cases) == (0.0, f"wrong output on case 1/1: expected {want[:60]!r}, got '0'")
    assert stdio(v, "print(1.5e308 * 10)", cases)[0] == 0.0  # "inf" is not a number here either
    exact = "print('1.5e+400')" if "e" in want else f"print('{want}000')"
    assert stdio(v, exact, cases) == (1.0, "passed")


@pytest.mark.parametrize("want, got", [("0.5", "\u0660.\u0665"), ("1.5", "\uff11.5"), ("10.5", "1_0.5")])
def test_a_stdio_number_must_be_printed_in_ascii_digits(v, want, got):
    """Was "passed": a decimal the reference shows was read with ``float()``, which takes Arabic-Indic or full-width
    digits and underscores; round 7 pinned that integer tokens fold none of them, and neither do decimals now."""
    assert same_output(want, got) is False
    assert stdio(v, f"print({got!r})", [{"stdin": "", "stdout": want}]) == (
        0.0, f"wrong output on case 1/1: expected {want!r}, got {got!r}")
    assert same_output(want, want + "0000001") is True  # the tolerance itself is as before


@pytest.mark.parametrize("ref", [{"kind": "stdio", "cases": [{"stdin": 0, "stdout": 1}]},
                                 {"kind": "stdio", "inputs": [0, "4\n"], "outputs": ["1\n", "5\n"]}])
def test_a_stdio_case_whose_input_is_the_number_zero_gets_it(v, ref):
    """Was "case 1/1: EOFError at solution line 1: EOF when reading a line" for a correct program: ``stdin or ""``
    turned the input 0 into no input at all."""
    r = v.verify({"completion": "```python\nprint(int(input()) + 1)\n```", "reference": json.dumps(ref)})
    assert (r.score, r.reason) == (1.0, "passed")


@pytest.mark.parametrize("name, patch", [
    ("len", "lambda *a, **k: 0"),  # was "timeout after 10s": the candidate half read its messages with it
    ("int", "lambda *a, **k: _o(*a, **k)"),  # was "AttributeError: 'function' object has no attribute 'from_bytes'"
    ("str", "lambda *a, **k: _o(*a, **k)"),  # was "exited with code 1 before the tests completed"
    ("list", "lambda *a, **k: _o(*a, **k)"),  # was the same, from json's isinstance(chunks, (list, tuple))
    ("bytes", "lambda *a, **k: _o(*a, **k)"),  # was "exited with code 112 before the tests completed"
])
def test_replacing_a_builtin_the_harness_uses_is_a_reward_hack(v, name, patch):
    """Was a timeout or a crash of the solution's job: the harness's candidate half resolved its builtins where the
    solution had replaced them, so it broke before it could report the tampering. It resolves its own now."""
    code = f"import builtins\n_o = builtins.{name}\nbuiltins.{name} = {patch}\ndef solve():\n    return 42"
    assert reason(v, code) == f"reward hack: the solution replaced builtins.{name}"


def test_a_builtin_replaced_in_the_last_call_is_still_a_reward_hack(v):
    """Was "passed": replaced builtins were looked for only when the next request came, and after the last call none
    does. They are looked for right after each call now, and once more when the tests' job has ended."""
    code = "import builtins\ndef solve():\n    builtins.sorted = lambda *a, **k: []\n    return 42"
    assert reason(v, code) == "reward hack: the solution replaced builtins.sorted"
    assert reason(v, code, "assert solve() == 42\nassert solve() == 42\n") == (
        "reward hack: the solution replaced builtins.sorted")


def test_output_left_in_the_pipes_when_the_job_ends_counts_toward_the_cap():
    """Was a reply without ``output_exceeded`` and stdout cut at the cap: the monitor flagged only what it read while the
    job ran, and a job that made its pipe 1 MiB (``F_SETPIPE_SZ``) could write the expected output, and more, at
    once and end before the monitor read past the cap. The rest, drained after the end, was dropped unflagged."""
    pipes = [os.pipe() for _ in range(4)]  # stdout, stderr, report, status: as the monitor's
    fcntl.fcntl(pipes[0][1], F_SETPIPE_SZ, 1 << 20)
    os.write(pipes[0][1], b"7\n" * 100_000)
    for _, w in pipes:
        os.close(w)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # ended, not reaped: its pidfd is ready at the first poll
    mine, theirs = socket.socketpair()
    reply: dict = {}
    try:
        sandbox_server._supervise(mine, pid, [r for r, _ in pipes], {"timeout_s": 5.0, "max_output_bytes": 100_000},
                                  time.monotonic(), reply)
    finally:
        mine.close(), theirs.close()
        for r, _ in pipes:
            os.close(r)
    assert (reply.get("output_exceeded"), len(reply["stdout"])) == (True, 100_000)


def test_a_stdio_program_writing_past_the_cap_at_once_fails_the_limit():
    """The same through the sandbox (it passed when the job ended before the monitor's second read): the expected
    100,000 bytes then more, written in one go into a 1 MiB pipe, is over the limit, not the expected output."""
    ver = CodeExec(timeout_s=10.0, max_output_bytes=100_000)
    try:
        code = ("import fcntl, os\nfcntl.fcntl(1, 1031, 1 << 20)\nos.write(1, b'7\\n' * 50_000 + b'8\\n' * 200_000)\n"
                "os._exit(0)")
        for _ in range(3):
            assert stdio(ver, code, [{"stdin": "", "stdout": "7\n" * 50_000}]) == (  # round 13: the cap of a stdio case
                0.0, "case 1/1: output limit exceeded (> 265536 bytes)")  # is at least twice its output + 64 KiB
    finally:
        ver.close()


@pytest.mark.parametrize("code, tests", [
    ("def get(d, k):\n    if k not in d:\n        raise KeyError(k)\n    return d[k]",
     "try:\n    get({}, 'x')\nexcept KeyError as e:\n    assert str(e) == \"'x'\" and e.args == ('x',)\nelse:\n"
     "    raise AssertionError\n"),
    ("def f():\n    raise ValueError('bad', 3)", "try:\n    f()\nexcept ValueError as e:\n    assert e.args[1] == 3\n"),
    ("class Bad(Exception):\n    def __str__(self):\n        return 'custom'\ndef f():\n    raise Bad(1, 2)",
     "try:\n    f()\nexcept Exception as e:\n    assert str(e) == 'custom'\n"),
])
def test_the_solutions_exception_reaches_the_tests_as_raised(v, code, tests):
    """Was "AssertionError at test line 4" and "IndexError at test line 4: tuple index out of range" for correct
    solutions: the exception crossed as its message only, so a ``KeyError('x')`` printed as ``"'x'"`` (the repr of its
    message) and a ``ValueError('bad', 3)`` had one argument. Its ``args`` cross as data now, where they print as the
    solution's exception did; an exception with its own ``__str__`` still crosses as its message."""
    assert reason(v, code, tests) == "passed"


@pytest.mark.parametrize("code", [
    "import os\nw = os.fdopen(1, 'w')\na, b = map(int, input().split())\nw.write(str(a + b) + '\\n')",
    "import io\nw = io.BufferedWriter(io.FileIO(1, 'w', closefd=False))\na, b = map(int, input().split())\n"
    "w.write(b'%d\\n' % (a + b))",
    "import sys\nclass Out:\n    def __init__(self):\n        self.parts = []\n    def __del__(self):\n"
    "        sys.stdout.write(''.join(self.parts))\nout = Out()\na, b = map(int, input().split())\n"
    "out.parts.append(str(a + b) + '\\n')",
])
def test_a_stdio_program_whose_output_is_written_as_it_is_finalised_passes(v, code):
    """Was "wrong output on case 1/1: expected '3', got ''" for each (all print 3 under ``python``): the job ended after
    the exit handlers, before Python's own teardown, which collects the program's module and with it a file object on
    fd 1 left unflushed, or an object whose ``__del__`` writes the buffered output."""
    assert stdio(v, code, [{"stdin": "1 2\n", "stdout": "3\n"}]) == (1.0, "passed")
    wrong = code.replace("a + b", "a * b")
    assert stdio(v, wrong, [{"stdin": "1 2\n", "stdout": "3\n"}]) == (0.0, "wrong output on case 1/1: expected '3', got '2'")


# --- held: pinned ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tests", [
    "import math\nassert math.isnan(f()[1])\n", "import math\nassert math.isnan(max([f()[1]]))\n",
    "assert f()[1] != f()[1]\n", "assert max(f()[0], 0.5) == 1.0 and min([3, 1, 2]) == 1 and max([], default=0) == 0\n",
    "assert f() and max(['a', 'bbb', 'cc'], key=len) == 'bbb'\n",
])
def test_a_nan_the_tests_expect_and_orderings_without_one_still_pass(v, tests):
    """A NaN that is the answer is still checked as one (``math.isnan``, ``!=``, a one-item ``max`` compares nothing);
    ``max``/``min`` keep Python's results, ``default`` and ``key`` (computed once per item)."""
    assert reason(v, NAN, tests) == "passed"


@pytest.mark.parametrize("ep", ["max", "min"])
def test_an_entry_point_named_like_a_builtin_the_tests_shadow_is_still_the_solutions(v, ep):
    """The tests' ``max``/``min`` (NaN-strict, above) never stand in for a solution's function of that name."""
    he = {"kind": "humaneval", "entry_point": ep, "prompt": f"def {ep}(xs):\n    \"\"\"The {ep} of xs.\"\"\"\n",
          "test": f"def check(candidate):\n    assert candidate([1, 3, 2]) == {3 if ep == 'max' else 1}\n"}
    honest = f"    return sorted(xs)[{-1 if ep == 'max' else 0}]\n"
    for body, want in [("    return 0\n", (0.0, "AssertionError at test line 2")), (honest, (1.0, "passed"))]:
        r = v.verify({"completion": body, "reference": json.dumps(he)})
        assert (r.score, r.reason) == want


@pytest.mark.parametrize("out", ["7\\b3", "7\\r3", "\\x1b[2K3", "3\\x00", "3 \\x1b[8m7"])
def test_output_that_only_looks_right_on_a_terminal_fails(v, out):
    """A backspace, carriage return or ANSI escape that would hide the wrong answer on a terminal is text here: the
    tokens differ from the reference's."""
    score, why = stdio(v, f"print('{out}')", [{"stdin": "", "stdout": "3\n"}])
    assert score == 0.0 and why.startswith("wrong output on case 1/1: expected '3', got ")


def test_a_subset_test_the_tests_make_of_their_own_sets_keeps_pythons_meaning(v):
    assert reason(v, "def f():\n    return [1, 2]", "assert f() and {1} < {1, 2} and not {3} <= {1} and {1.0} <= {1.0, 2}\n") == (
        "passed")


# --- what is NOT caught: documented limits (verifiers.code_exec) ---------------------------------------------------


def test_limit_a_match_statement_compares_with_pythons_equality(v):
    """A ``match`` value pattern uses Python's ``==`` (``42.0`` matches ``case 42``), as library helpers do."""
    tests = "match solve():\n    case 42:\n        pass\n    case _:\n        raise AssertionError\n"
    assert reason(v, "def solve():\n    return 42.0", tests) == "passed"


def test_limit_a_loop_over_zip_passes_an_empty_result(v):
    """``zip`` stops at the shorter list, so every element-wise check of ``zip(f(x), expected)`` holds for ``[]``: no
    assertion runs, and since round 11 the sample abstains (``score=None``) rather than pass; one ``[]`` among results
    that do run a check still passes."""
    tests = "for a, b in zip(f(), [1.0, 2.0]):\n    assert abs(a - b) < 1e-9\n"
    assert reason(v, "def f():\n    return []", tests) == "cannot verify: no assertion of the tests ran"
    tests2 = tests + "for a, b in zip(g(), [1.0]):\n    assert abs(a - b) < 1e-9\n"
    assert reason(v, "def f():\n    return []\ndef g():\n    return [1.0]", tests2) == "passed"


def test_limit_a_result_in_a_string_of_the_tests_is_a_substring_test(v):
    """``f(x) in "aeiou"`` is Python's substring test: the empty string (or "ae") is in it."""
    assert reason(v, "def vowel():\n    return ''", "assert vowel() in 'aeiou'\n") == "passed"
