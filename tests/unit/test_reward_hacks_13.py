"""Reward hacks against ``code_exec``, round 13 (red team of the ``stdio`` kind's output, of what crosses a call besides
its result, of the harness's own cost to an honest solution, and of the code's extraction): classes not in rounds 1-12.

Tests whose docstring starts "Was ..." scored wrongly before this round's fixes. No wrong solution was found passing in
the areas attacked (the ``stdio`` program never sees the expected output, in a file, the environment, ``/proc``,
``argv`` or a parent's fd; control characters, a BOM, NUL bytes and a signal after the output still fail; a call's
result and state keep their exactness); the fixes are correct solutions that failed: a ``stdio`` reference that shows a
float as Python prints it with an exponent (``1e-09``, ``1e+20``) compared as a string, so ``1.0000000001e-09`` or
``100000000000000000000`` failed it; a correct ``stdio`` program printing the 2 MB a case expects failed the
configured 1 MB output cap (the cap is now at least twice the case's expected output plus 64 KiB); a solution answering
in place (``nums.sort()``, LeetCode's "modify nums in-place", ``matrix[i][j] = ...``) failed every test of its
argument, which the tests' process never saw change (now a call that returns None sends back the arguments it changed,
and the tests' own change in place); a list of 10^6 ints (or bools,
or strs) passed to or returned by the solution took about 200 MB and over a second of the harness's in each process, so
a solution that met a 128 MB limit beside the tests (``joint``) failed it (now packed); and the code was
taken from the completion's reasoning (the first ```python block inside ``<think>...</think>``, a draft) or from an
earlier ```bash block when the answer's fence said ```python title="sol.py"`` or ```{python}``. Fixes of an earlier
round's pin: ``test_code_exec_stdio_output`` (``1e-9`` is now a decimal) and round 8's flood (its cap grew with the
expected output).
``test_limit_*`` pins what is left open (the module docstring of ``verifiers.code_exec`` lists it); the rest pins
honest forms next to the hacks they resemble.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.unit.test_reward_hacks_2 import stdio
from tests.unit.test_reward_hacks_11 import RIGHT, run, v  # noqa: F401 - v: the verifier fixture
from verifiers import sandbox_harness as harness
from verifiers.code_exec import CodeExec, extract_code, same_output

WRONG = "def add(a, b):\n    return a - b"


def completion(v, text: str, tests: str = "assert add(2, 3) == 5\n"):
    r = v.verify({"completion": text, "reference": json.dumps({"kind": "asserts", "tests": tests})})
    return r.score, r.reason


# --- stdio: a float the reference prints with an exponent ---------------------------------------------------------


@pytest.mark.parametrize("program, want", [
    ("print(1e-9 * 1.0000000001)", "1e-09\n"), ("print(10 ** 20)", "1e+20\n"), ("print(0.5)", "5e-1\n")])
def test_a_stdio_reference_float_with_an_exponent_is_compared_as_a_number(v, program, want):
    """Was "wrong output on case 1/1": a reference token with an exponent but no point (``1e-09``, as Python prints
    ``1e-9``) was an integer token, compared as text."""
    assert stdio(v, program, [{"stdin": "", "stdout": want}]) == (1.0, "passed")


def test_a_stdio_reference_float_with_a_point_and_an_exponent_still_matches(v):
    assert stdio(v, "print(1234567.0)", [{"stdin": "", "stdout": "1.234567e+06\n"}]) == (1.0, "passed")


@pytest.mark.parametrize("want, got", [("1e-09", "2e-06"), ("1e+20", "100001000000000000000"), ("1e5", "100001"),
                                       ("3", "3e0"), ("12", "1.2e1"), ("1e5", "1e5x")])
def test_an_exponent_reference_keeps_its_tolerance_and_integers_stay_exact(want, got):
    """The tolerance is the decimals' (relative 1e-6, or 1e-6 absolute); an integer reference is still matched exactly."""
    assert not same_output(want, got)


# --- stdio: what the program could read or print: held -------------------------------------------------------------


@pytest.mark.parametrize("program", [
    "import os\nprint(sorted(os.environ))",
    "import sys\nprint(sys.argv)",
    "import os\nfor fd in range(3, 64):\n    try:\n        print(fd, os.read(fd, 100))\n    except OSError:\n        pass",
    "import os\nprint(os.getppid(), os.path.exists('/proc/1/environ'), sorted(os.listdir('/')))",
    "import os\nprint(sorted(os.listdir('/tmp')))",
])
def test_a_stdio_program_finds_no_expected_output_around_it(v, program):
    """Nothing the program can read holds the case's expected output: its environment, argv, fds (3: the report's write
    end), its parent (the namespace's init; no ``/proc``), the root and ``/tmp`` show nothing of the reference."""
    want = "EXPECTED-OUTPUT-42"
    score, why = stdio(v, program, [{"stdin": "1\n", "stdout": want}])
    assert score == 0.0 and why.startswith(f"wrong output on case 1/1: expected {want!r}, got ")
    assert "EXPECTED" not in why.split(", got ", 1)[1]


@pytest.mark.parametrize("program, want", [
    ("print('\\ufeff3')", "wrong output on case 1/1: expected '3', got '\\ufeff3'"),
    ("print('3\\u200b')", "wrong output on case 1/1: expected '3', got '3\\u200b'"),
    ("print('3', end='\\x00\\n')", "wrong output on case 1/1: expected '3', got '3\\x00'"),
    ("print(3, flush=True)\nimport os, signal\nos.kill(os.getpid(), signal.SIGTERM)", "case 1/1: killed by signal SIGTERM"),
    ("print(3, flush=True)\nraise MemoryError", "case 1/1: memory limit exceeded (512 MB)"),
    ("import sys\nprint(3)\nsys.exit(1)", "case 1/1: exited early (SystemExit(1)) before the tests completed"),
])
def test_stdio_output_with_invisible_characters_or_a_bad_end_fails(v, program, want):
    """A byte-order mark or a zero-width space is a character of the token, a NUL too; the right output followed by a
    signal, an error or a non-zero exit is no pass."""
    assert stdio(v, program, [{"stdin": "", "stdout": "3\n"}]) == (0.0, want)


@pytest.mark.parametrize("program", [
    "import sys\nsys.stdout.buffer.write(b'3\\r\\n')", "print(' 3 ')", "print(3); exit()", "import sys\nsys.exit(print(3))",
    "import sys\nsys.stdout.write('3')\nsys.stdout.close()",
])
def test_honest_stdio_ends_and_line_endings_pass(v, program):
    assert stdio(v, program, [{"stdin": "", "stdout": "3\n"}]) == (1.0, "passed")


def test_a_stdio_program_sees_only_its_own_cases_input(v):
    """Each case runs in a fresh process with its own stdin: a program cannot print the answers of every case (it
    never sees them), and one that prints one per line fails the case as extra output."""
    cases = [{"stdin": "1 2\n", "stdout": "3\n"}, {"stdin": "5 5\n", "stdout": "10\n"}]
    assert stdio(v, "print(3)\nprint(10)", cases) == (0.0, "wrong output on case 1/2: expected '3', got '3\\n10'")
    assert stdio(v, "print(sum(map(int, input().split())))", cases) == (1.0, "passed")


BIG_OUT = "n = int(input())\nprint('\\n'.join(str(10 ** 9 - i) for i in range(n)))"


def test_a_stdio_case_expecting_more_than_the_output_cap_passes_a_correct_program(v):
    """Was "case 1/1: output limit exceeded (> 1000000 bytes)": the case expects 2 MB (2*10^5 numbers, one a line) and the
    cap was the configured 1 MB, whatever the reference showed."""
    out = "\n".join(str(10 ** 9 - i) for i in range(200000)) + "\n"
    assert stdio(v, BIG_OUT, [{"stdin": "200000\n", "stdout": out}]) == (1.0, "passed")


def test_a_flood_past_twice_the_expected_output_still_fails_the_limit(v):
    """The cap grows with the case's expected output only (twice it, plus 64 KiB): a program printing more fails as before."""
    out = "\n".join(str(10 ** 9 - i) for i in range(200000)) + "\n"
    flood = BIG_OUT + "\nprint('x' * 3000000)"
    assert stdio(v, flood, [{"stdin": "200000\n", "stdout": out}]) == (
        0.0, "case 1/1: output limit exceeded (> 4065538 bytes)")
    assert stdio(v, "print('x' * 2000000)", [{"stdin": "", "stdout": "3\n"}]) == (
        0.0, "case 1/1: output limit exceeded (> 1000000 bytes)")


# --- in-place answers ------------------------------------------------------------------------------------------------


IN_PLACE = {
    "list": ("def rotate(nums, k):\n    k %= len(nums)\n    nums[:] = nums[-k:] + nums[:-k]",
             "xs = [1, 2, 3, 4, 5]\nrotate(xs, 2)\nassert xs == [4, 5, 1, 2, 3]\n"),
    "sort": ("def sort_in_place(xs):\n    xs.sort()", "xs = list(range(100, 0, -1))\nsort_in_place(xs)\nassert xs == list(range(1, 101))\n"),
    "method": (("class Solution:\n    def moveZeroes(self, nums):\n        nz = [x for x in nums if x]\n"
                "        nums[:] = nz + [0] * (len(nums) - len(nz))"),
               "s = Solution()\nnums = [0, 1, 0, 3, 12]\ns.moveZeroes(nums)\nassert nums == [1, 3, 12, 0, 0]\n"),
    "matrix": (("def rotate(m):\n    n = len(m)\n    for i in range(n):\n        for j in range(i):\n"
                "            m[i][j], m[j][i] = m[j][i], m[i][j]\n    for r in m:\n        r.reverse()"),
               "m = [[1, 2], [3, 4]]\nrow = m[0]\nrotate(m)\nassert m == [[3, 1], [4, 2]] and row == [3, 1]\n"),
    "dict-kwargs": ("def bump(d, key=None):\n    d[key] = d.get(key, 0) + 1",
                    ("from collections import Counter\nc = Counter({'a': 1})\nbump(c, key='a')\nd = {}\nbump(d=d, key='x')\n"
                     "assert c == Counter({'a': 2}) and d == {'x': 1}\n")),
    "nested-in-tuple": ("def f(xs):\n    xs.append(1)", "xs = (1, [2])\nf(xs[1])\nassert xs == (1, [2, 1])\n"),
    "bytearray": ("def f(b):\n    b[0] = 65", "b = bytearray(b'xy')\nf(b)\nassert b == bytearray(b'Ay')\n"),
    "set": ("def f(s):\n    s.discard(2)\n    s.add(3)", "s = {1, 2}\nf(s)\nassert s == {1, 3}\n"),
    "defaultdict": ("def count(d, ws):\n    for w in ws:\n        d[w] = d.get(w, 0) + 1",
                    "from collections import defaultdict\nd = defaultdict(int)\ncount(d, ['a', 'b', 'a'])\n"
                    "assert d == {'a': 2, 'b': 1} and d['z'] == 0\n"),
}


@pytest.mark.parametrize("case", list(IN_PLACE))
def test_a_solution_answering_in_place_changes_the_tests_argument(v, case):
    """Was an ``AssertionError`` at the test's last line: the solution changed its copy of the argument, the tests' own
    stayed as it was."""
    code, tests = IN_PLACE[case]
    assert run(v, code, tests) == (1.0, "passed")


@pytest.mark.parametrize("case", ["list", "matrix", "set"])
def test_a_wrong_in_place_answer_still_fails(v, case):
    code, tests = IN_PLACE[case]
    wrong = code.split("\n")[0] + "\n    pass"
    score, why = run(v, wrong, tests)
    assert score == 0.0 and why.startswith("AssertionError at test line")


def test_a_call_that_returns_a_value_leaves_the_tests_arguments_alone(v):
    """Only a call that returns None changes the tests' arguments: one answering with a value cannot change what the
    tests compute from its arguments after it (round 1's ``solve(xs)`` emptying ``xs``), and a test that its input is
    left unchanged still cannot see it changed."""
    code = "def solve(xs):\n    xs.clear()\n    return []"
    assert run(v, code, "xs = [3, 1, 2]\nout = solve(xs)\nassert out == sorted(xs)\n") == (
        0.0, "AssertionError at test line 3")


def test_a_call_that_returns_none_without_changing_its_arguments_sends_nothing_back(v):
    """An unchanged argument crosses back as nothing: the tests' list keeps its identity and contents."""
    code = "def look(xs):\n    return None"
    tests = "xs = [[1], [2]]\ninner = xs[0]\nassert look(xs) is None\nassert xs == [[1], [2]] and xs[0] is inner\n"
    assert run(v, code, tests) == (1.0, "passed")


def test_in_place_changes_cross_as_type_exact_data(v):
    """What comes back is decoded data: a ``True`` put in the tests' list is a bool there, not the ``1`` expected."""
    assert run(v, "def f(xs):\n    xs[0] = True", "xs = [0, 2]\nf(xs)\nassert xs == [1, 2]\n") == (
        0.0, "AssertionError at test line 3")


@pytest.mark.parametrize("after, why", [
    ("['l', []]", "malformed message on the call channel"),
    ("[[[0]], []]", "malformed message on the call channel"),
    ("[[[5, ['n']]], []]", "malformed value on the call channel"),
    ("[[[true, ['n']]], []]", "malformed value on the call channel"),
    ("[[], [['zzz', ['n']]]]", "malformed value on the call channel"),
    ("[[[0, ['P', 'l', 'q', '!!']]], []]", "malformed value on the call channel"),
])
def test_a_forged_in_place_reply_is_a_reward_hack(after, why):
    """The candidate's process may write anything on the call channel: an in-place reply that is not about the call's
    own arguments (another position, a keyword not passed, a malformed value) is caught as tampering, never applied."""
    xs = [1]
    with pytest.raises(harness.RewardHack, match=why):
        harness._write_back((xs,), {}, json.loads(after.replace("'", '"')))
    assert xs == [1]


def test_only_the_arguments_a_call_changed_come_back(v):
    """An argument the tests pass twice (``f(a, a)``) is not reverted by the copy the solution left unchanged, and an
    unchanged argument keeps its identity."""
    code = "def f(x, y, z=None):\n    x.append(3)"
    tests = "a = [1, 2]\nb = [[0]]\ninner = b[0]\nf(a, a, z=b)\nassert a == [1, 2, 3] and b[0] is inner\n"
    assert run(v, code, tests) == (1.0, "passed")


# --- the harness's own cost to an honest solution ---------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    ver = CodeExec(timeout_s=10.0, memory_mb=128)
    yield ver
    ver.close()


def test_a_big_list_argument_fits_a_memory_limit_the_solution_meets_joint(small):
    """Was "memory limit exceeded (128 MB)": a list of 10^6 ints crossed item by item (``["i", "0x..."]`` each), about
    200 MB in each process; ``joint`` passed the same solution under the same limit."""
    tests = (f"assert f(list(range(10 ** 6))) == {sum(range(10 ** 6))}\nassert g(10 ** 6)[-1] == 10 ** 6 - 1\n"
             "assert sum(sieve(10 ** 6)) == 10 ** 6\nassert words(10 ** 6)[-1] == 'w999999'\n")
    code = ("def f(a):\n    return sum(a)\ndef g(n):\n    return list(range(n))\ndef sieve(n):\n    return [True] * n\n"
            "def words(n):\n    return ['w%d' % i for i in range(n)]")
    assert run(small, code, tests) == (1.0, "passed")
    assert run(small, code, tests, isolation="joint") == (1.0, "passed")


def test_a_big_in_place_answer_passes(v):
    """Sorting 10^6 random ints in place: the tests' list goes there and back, packed (was "AssertionError at test line
    6" before the in-place fix)."""
    tests = ("import random\nrandom.seed(1)\nxs = [random.randint(-10 ** 9, 10 ** 9) for _ in range(10 ** 6)]\n"
             "ys = sorted(xs)\nsrt(xs)\nassert xs == ys\n")
    assert run(v, "def srt(a):\n    a.sort()", tests) == (1.0, "passed")


@pytest.mark.parametrize("value", [
    list(range(-20, 20)), tuple(float(i) / 3 for i in range(20)) + (float("inf"), -0.0), [2 ** 63 - 1, -2 ** 63] * 10,
    [2 ** 64] * 20, [True, False] * 10, [1] * 19 + [1.0], [1.0] * 19 + [1], [True] * 19 + [1], list(range(3)),
    [[1.5] * 16] * 2, ["a", "\ud800", ""] * 6, tuple("xy" * 10), ["a"] * 19 + [b"a"],
])
def test_packed_values_cross_with_their_exact_types(value):
    """A list or tuple of 16 or more ints (64-bit), floats, bools or strs alone crosses packed; anything else (a mixed
    list, a bigger int) item by item, as before: what comes out is the same value, type for type."""
    out = harness.decode(json.loads(json.dumps(harness.encode(value))))
    assert type(out) is type(value) and len(out) == len(value)
    assert [type(x) for x in out] == [type(x) for x in value] and repr(out) == repr(value)


def test_a_packed_nan_stays_a_nan():
    out = harness.decode(harness.encode([float("nan")] * 20))
    assert len(out) == 20 and all(math.isnan(x) for x in out)


@pytest.mark.parametrize("bad", [["P", "l", "q", "AAAA"], ["P", "x", "q", ""], ["P", "l", "i", ""], ["P", "l", "q", "@@"],
                                 ["P", "l", "?", "Ag=="], ["P", "l", "s", [1]], ["P", "l", "s", "x"], ["P", "l", "q", ["AA"]]])
def test_a_malformed_packed_value_is_malformed(bad):
    with pytest.raises(ValueError):
        harness.decode(bad)


# --- extraction ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    f"<think>\nA draft:\n```python\n{WRONG}\n```\nNo, that subtracts.\n</think>\n```python\n{RIGHT}\n```",
    f"A draft:\n```python\n{WRONG}\n```\nwait, it subtracts.\n</think>\nThe answer:\n```python\n{RIGHT}\n```",
    f"<think>```python\n{WRONG}\n```</think>\n\n{RIGHT}\n",
])
def test_code_in_the_reasoning_is_not_the_answer(v, text):
    """Was "AssertionError at test line 1": the first ```python block was the draft inside ``<think>...</think>``."""
    assert completion(v, text) == (1.0, "passed")


def test_a_closing_think_after_a_fence_is_code_not_reasoning():
    """A ``</think>`` after the first fence (in a string of the answer's code) does not cut the answer."""
    code = "def tag(s):\n    return s.replace('</think>', '')"
    assert extract_code(f"```python\n{code}\n```\n") == code + "\n"


def test_an_unclosed_reasoning_is_no_answer(v):
    """Was "passed": a completion cut off inside ``<think>`` has no answer, and its draft was run."""
    assert completion(v, f"<think>\nmaybe\n```python\n{RIGHT}\n```\nor") == (0.0, "no code in completion")


@pytest.mark.parametrize("fence", ['```python title="sol.py"', "```{python}", "```{.python .numberLines}", "```Python3 "])
def test_a_python_fence_with_attributes_is_the_answer(v, fence):
    """Was "syntax error: invalid syntax (solution line 1)": the info string was compared whole, so the ```bash block
    before it was run."""
    assert completion(v, f"Install:\n```bash\npip install nothing\n```\n{fence}\n{RIGHT}\n```\n") == (1.0, "passed")


def test_a_bare_fence_is_preferred_to_another_language(v):
    """Was "syntax error: ...": with no ```python block, the first block (```bash) was run, not the bare one."""
    assert completion(v, f"```bash\npython sol.py\n```\n```\n{RIGHT}\n```\n") == (1.0, "passed")


def test_the_first_python_block_is_still_the_answer(v):
    assert completion(v, f"```python\n{WRONG}\n```\n```python\n{RIGHT}\n```\n") == (0.0, "AssertionError at test line 1")


def test_tests_copied_into_the_answer_run_in_the_solutions_process_only(v):
    """A completion that pastes the tests (and an always-true ``check``) beside a wrong solution: they run where the
    solution runs, the reference's tests decide."""
    text = f"```python\n{WRONG}\ndef check(c):\n    pass\nassert True\nif __name__ == '__main__':\n    check(add)\n```"
    assert completion(v, text) == (0.0, "AssertionError at test line 1")


# --- function calls: floats, big values, state -------------------------------------------------------------------------


@pytest.mark.parametrize("ret, tests, want", [
    ("float('nan')", "assert abs(f() - 1.0) < 1e-9\n", "AssertionError at test line 1"),
    ("float('inf')", "assert abs(f() - 1.0) < 1e-9\n", "AssertionError at test line 1"),
    ("-0.0", "assert f() == 0.0\n", "passed"),
    ("1e-300", "assert f() == 0\n", "AssertionError at test line 1"),
    ("1e-300", "assert abs(f()) < 1e-9\n", "passed"),
    ("3 ** 5000", "assert f() == 3 ** 5000 and f() % 7 == pow(3, 5000, 7)\n", "passed"),
    ("[0.1] * 30", "assert f() == [0.1] * 30\n", "passed"),
    ("[0.1] * 29 + [0.1000001]", "assert f() == [0.1] * 30\n", "AssertionError at test line 1"),
])
def test_float_and_big_int_results_compare_as_in_python(v, ret, tests, want):
    score, why = run(v, f"def f():\n    return {ret}", tests)
    assert why == want and score == (1.0 if want == "passed" else 0.0)


def test_state_a_solution_keeps_between_calls_is_its_own(v):
    """A cache or a default argument kept between the tests' calls behaves as in one process: a buggy accumulator fails
    the second call, a cache passes."""
    tests = "assert f(1) == [1]\nassert f(2) == [2]\n"
    assert run(v, "def f(x, acc=[]):\n    acc.append(x)\n    return acc", tests) == (0.0, "AssertionError at test line 2")
    cache = "from functools import lru_cache\n@lru_cache(None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)"
    assert run(v, cache, "assert fib(300) % 1000 == 600 and fib(10) == 55\n") == (1.0, "passed")


# --- limits ---------------------------------------------------------------------------------------------------------


def test_limit_a_call_that_returns_none_changes_what_the_tests_compute_from_its_arguments(v):
    """As in one process: a call answering in place (returning None) may change its argument to anything, and tests
    that compute the expected value from that argument afterwards (``sum(xs)`` below) are rigged by it."""
    code = "def prepare(xs):\n    xs[:] = [0]\ndef total(xs):\n    return 0"
    assert run(v, code, "xs = [3, 1, 2]\nprepare(xs)\nassert total(xs) == sum(xs)\n") == (1.0, "passed")


def test_limit_an_exponent_token_of_a_stdio_reference_is_a_number(v):
    """A reference token such as ``1e5`` is read as the float it shows: a program printing ``100000`` passes it, also
    where the problem meant the text ``1e5``."""
    assert stdio(v, "print(100000)", [{"stdin": "", "stdout": "1e5\n"}]) == (1.0, "passed")


def test_limit_a_generator_result_is_no_list(v):
    """A generator is no plain builtin: it is not equal to the list of its items (as in Python). Round 14 changed this
    pin: it was "unsupported" even where the tests only list it; now its items cross (round 14's tests)."""
    assert run(v, "def g(n):\n    yield from range(n)", "assert g(3) == [0, 1, 2]\n") == (0.0, "AssertionError at test line 1")
    assert run(v, "def g(n):\n    yield from range(n)", "assert list(g(3)) == [0, 1, 2]\n") == (1.0, "passed")


def test_limit_only_the_first_python_block_runs(v):
    """Code split across blocks (imports or a helper in one, the function in the next) is not joined: the first
    ```python block is the answer, and the second block's function is missing from it."""
    text = f"First the helper:\n```python\ndef _plus(a, b):\n    return a + b\n```\nThen:\n```python\n{RIGHT}\n```\n"
    assert completion(v, text) == (0.0, "NameError at test line 1: name 'add' is not defined")
