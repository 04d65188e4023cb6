"""Reward hacks against ``code_exec``, round 11 (red team of the reference formats and the verdict path): a reference
whose tests check nothing, or a run in which no check of the tests executed, must never be "passed".

Tests whose docstring starts "Was ..." scored wrongly before this round's fixes: empty tests (or comments only),
tests whose asserts sit in a function nobody calls, a HumanEval ``check`` that returns before its asserts, comparisons
written without ``assert``, a ``unittest.TestCase`` all skipped or without an assertion, an empty result iterated by
the tests' ``for`` and a stdio reference whose every case expects no output all passed any solution; an ``assert``
whose failure the tests caught themselves (``try: assert ... except AssertionError/Exception: pass``) passed a wrong
solution, and one whose call the solution made raise passed it too; a correct solution failed tests that end with
their own ``sys.exit(0)`` and a HumanEval ``test`` whose checker is not named ``check`` (score 0 instead of None).
``test_limit_*`` pins what is left open (the module docstring of ``verifiers.code_exec`` lists it); the rest pins
classes that held.
"""

from __future__ import annotations

import json

import pytest

from tests.unit import test_reward_hacks_9 as round9
from verifiers.code_exec import CodeExec

v = round9.v  # the verifier fixture (module scope), as round 9 makes it

WRONG = "def add(a, b):\n    return 0"
RIGHT = "def add(a, b):\n    return a + b"
NO_CHECK = "cannot verify: no assertion of the tests ran"


def run(v, code: str, tests: str, setup: str = "", isolation: str = "split"):
    ref = {"kind": "asserts", "tests": tests, "setup": setup, "isolation": isolation}
    r = v.verify({"completion": f"```python\n{code}\n```", "reference": json.dumps(ref)})
    return r.score, r.reason


HE_PROMPT = "def add(a, b):\n    \"\"\"Add.\"\"\"\n"


def humaneval(v, code: str, test: str, entry_point: str = "add", isolation: str = "split"):
    ref = {"kind": "humaneval", "prompt": HE_PROMPT, "test": test, "entry_point": entry_point, "isolation": isolation}
    r = v.verify({"completion": f"```python\n{code}\n```", "reference": json.dumps(ref)})
    return r.score, r.reason


# --- references that check nothing: unverifiable, never "passed" ---------------------------------------------

@pytest.mark.parametrize("tests", ["", "# TODO: tests\n", "pass\n", "x = add(2, 3)\n", "print(add(2, 3))\n"],
                         ids=["empty", "comment", "pass", "call only", "print only"])
@pytest.mark.parametrize("isolation", ["split", "joint"])
def test_tests_without_any_assertion_are_a_bad_reference(v, tests, isolation):
    """Was "passed" for the wrong ``add``: tests with no ``assert`` (nor ``raise``, nor a unittest assertion) check
    nothing."""
    assert run(v, WRONG, tests, isolation=isolation) == (None, "bad reference: the tests contain no assertion")


def test_asserts_in_a_function_never_called_check_nothing(v):
    """Was "passed": the asserts are defined (in ``check``, not a pytest name) and never run."""
    assert run(v, WRONG, "def check(f):\n    assert f(2, 3) == 5\n") == (None, NO_CHECK)


def test_humaneval_check_returning_before_its_asserts_checks_nothing(v):
    """Was "passed": ``check(candidate)`` is called, but returns before any assert."""
    test = "def check(candidate):\n    return\n    assert candidate(2, 3) == 5\n"
    assert humaneval(v, WRONG, test) == (None, NO_CHECK)


def test_comparisons_without_assert_check_nothing(v):
    """Was "passed": ``candidate(2, 3) == 5`` as a bare statement (a missing ``assert``) computes and drops a bool."""
    test = "def check(candidate):\n    candidate(2, 3) == 5\n    candidate(1, 1) == 2\n"
    assert humaneval(v, WRONG, test) == (None, "bad reference: the tests contain no assertion")
    assert humaneval(v, WRONG, test + "def unused():\n    assert False\n") == (None, NO_CHECK)


def test_asserts_that_never_call_the_solution_check_nothing(v):
    """Was "passed": the tests' only assertion is about their own data (the solution's ``add`` is never called)."""
    tests = "def check(f):\n    assert f(2, 3) == 5\nassert 1 + 1 == 2\n"
    assert run(v, WRONG, tests) == (None, "cannot verify: the tests never called the solution")


def test_a_unittest_case_all_skipped_checks_nothing(v):
    """Was "passed": every test of the case is skipped (unittest reports OK)."""
    tests = ("import unittest\n@unittest.skip('later')\nclass T(unittest.TestCase):\n"
             "    def test_a(self):\n        self.assertEqual(add(2, 3), 5)\n")
    assert run(v, WRONG, tests) == (None, NO_CHECK)


def test_a_unittest_case_without_an_assertion_checks_nothing(v):
    """Was "passed": the test method calls the solution and asserts nothing."""
    tests = "import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        add(2, 3)\n" \
            "    def helper(self):\n        self.assertEqual(add(2, 3), 5)\n"
    assert run(v, WRONG, tests) == (None, NO_CHECK)


def test_an_empty_result_iterated_by_the_tests_is_not_passed(v):
    """Was "passed": ``for x in f(...): assert ...`` runs no assert when the solution returns ``[]``; the correct
    solution passes."""
    tests = "for x in evens(5):\n    assert x % 2 == 0\n"
    assert run(v, "def evens(n):\n    return []", tests) == (None, NO_CHECK)
    assert run(v, "def evens(n):\n    return list(range(0, n, 2))", tests) == (1.0, "passed")


def test_stdio_cases_that_all_expect_no_output_are_a_bad_reference(v):
    """Was "passed" for a program that does nothing: every case expects empty output (e.g. APPS rows whose outputs
    were lost)."""
    ref = {"kind": "stdio", "cases": [{"stdin": "1 2\n", "stdout": ""}, {"stdin": "3 4\n", "stdout": "\n  \n"}]}
    r = v.verify({"completion": "```python\npass\n```", "reference": json.dumps(ref)})
    assert (r.score, r.reason) == (None, "bad reference: every stdio case expects no output")


def test_a_stdio_case_expecting_no_output_beside_others_still_counts(v):
    ref = {"kind": "stdio", "cases": [{"stdin": "0\n", "stdout": ""}, {"stdin": "3\n", "stdout": "3\n"}]}
    code = "n = int(input())\nif n:\n    print(n)"
    assert v.verify({"completion": f"```python\n{code}\n```", "reference": json.dumps(ref)}).reason == "passed"
    r = v.verify({"completion": "```python\nprint(input())\n```", "reference": json.dumps(ref)})
    assert r.score == 0.0 and r.reason.startswith("wrong output on case 1/2")


# --- failures the tests swallow still fail ------------------------------------------------------------------

@pytest.mark.parametrize("handler", ["AssertionError", "Exception", "BaseException", ""])
def test_a_failed_assert_the_tests_catch_still_fails(v, handler):
    """Was "passed" for the wrong ``add``: ``try: assert ... except ...: pass`` swallowed the failure."""
    tests = f"try:\n    assert add(2, 3) == 5\nexcept {handler}:\n    pass\n"
    assert run(v, WRONG, tests) == (0.0, "AssertionError at test line 2: the tests caught this failed assertion")
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_humaneval_check_swallowing_each_case_still_fails(v):
    """Was "passed": HumanEval-style ``check`` wrapping each assert in ``try/except Exception: pass``."""
    test = ("def check(candidate):\n    for a, b, want in [(1, 2, 3), (2, 3, 5)]:\n        try:\n"
            "            assert candidate(a, b) == want, (a, b)\n        except Exception:\n            pass\n")
    assert humaneval(v, WRONG, test) == (0.0, "AssertionError at test line 4: the tests caught this failed assertion")
    assert humaneval(v, RIGHT, test) == (1.0, "passed")


def test_the_loop_that_only_prints_failures_now_fails(v):
    """Was "passed" (round 10's limit): a loop that calls the tests and prints an ``AssertionError`` instead."""
    tests = "def test_a():\n    assert add(2, 3) == 5\nfor t in [test_a]:\n    try:\n        t()\n" \
            "    except AssertionError:\n        print('FAILED', t.__name__)\n"
    assert run(v, WRONG, tests) == (0.0, "AssertionError at test line 2: the tests caught this failed assertion")


def test_a_solution_that_raises_into_swallowing_tests_fails(v):
    """Was "passed": the solution raises on every call, the tests swallow it, no assertion runs."""
    tests = "try:\n    assert add(2, 3) == 5\nexcept Exception:\n    pass\n"
    score, why = run(v, "def add(a, b):\n    raise ValueError('no')", tests)
    assert score == 0.0 and why == "ValueError at test line 2 / solution line 2: no"


def test_an_expected_exception_the_tests_catch_still_passes(v):
    tests = "try:\n    add(None, 1)\nexcept TypeError:\n    pass\nelse:\n    raise AssertionError('no TypeError')\n" \
            "assert add(2, 3) == 5\n"
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_checks_by_if_raise_count_as_assertions(v):
    tests = "if add(2, 3) != 5:\n    raise AssertionError('add')\n"
    assert run(v, RIGHT, tests) == (1.0, "passed")
    assert run(v, WRONG, tests)[0] == 0.0


def test_asserts_in_a_setup_helper_count(v):
    setup = "def expect(got, want):\n    assert got == want, (got, want)\n"
    assert run(v, RIGHT, "expect(add(2, 3), 5)\n", setup) == (1.0, "passed")
    assert run(v, WRONG, "expect(add(2, 3), 5)\n", setup)[0] == 0.0


# --- the tests' own end, the entry point, the interpreter's flags -------------------------------------------

def test_tests_ending_with_their_own_exit_zero_pass_a_correct_solution(v):
    """Was "exited early (SystemExit(0)) before the tests completed" for the correct ``add``."""
    tests = "import sys\nassert add(2, 3) == 5\nsys.exit(0)\n"
    assert run(v, RIGHT, tests) == (1.0, "passed")
    assert run(v, WRONG, tests)[0] == 0.0


def test_tests_exiting_zero_before_any_assertion_check_nothing(v):
    """Was "exited early": now the exit ends the tests, and none ran."""
    tests = "import sys\nsys.exit(0)\nassert add(2, 3) == 5\n"
    assert run(v, WRONG, tests) == (None, NO_CHECK)


def test_humaneval_checker_not_named_check_is_a_bad_reference(v):
    """Was 0.0 ("NameError at test line 6") for the correct solution: the harness calls ``check``, the reference
    defines ``check_add``."""
    test = "def check_add(candidate):\n    assert candidate(2, 3) == 5\n"
    assert humaneval(v, RIGHT, test) == (None, "cannot verify: the tests use check, which they never define")


def test_humaneval_misnamed_entry_point_fails_not_passes(v):
    """The entry point names a function the solution lacks: the tests cannot reach ``add`` (score 0, never passed)."""
    test = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
    score, why = humaneval(v, RIGHT, test, entry_point="plus")
    assert score == 0.0 and why.startswith("NameError")


def test_tests_under_main_guard_run(v):
    tests = "if __name__ == '__main__':\n    assert add(2, 3) == 5\n"
    assert run(v, WRONG, tests) == (0.0, "AssertionError at test line 2")
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_python_optimize_in_the_environment_does_not_drop_asserts(monkeypatch):
    monkeypatch.setenv("PYTHONOPTIMIZE", "2")
    ver = CodeExec(timeout_s=10.0)
    try:
        assert run(ver, WRONG, "assert add(2, 3) == 5\n") == (0.0, "AssertionError at test line 1")
        assert humaneval(ver, WRONG, "def check(c):\n    assert c(2, 3) == 5\n")[0] == 0.0
    finally:
        ver.close()


def test_a_correct_solution_still_passes_every_shape(v):
    assert run(v, RIGHT, "assert add(2, 3) == 5\n") == (1.0, "passed")
    assert humaneval(v, RIGHT, "def check(candidate):\n    assert candidate(2, 3) == 5\n") == (1.0, "passed")
    unit = "import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(add(2, 3), 5)\n"
    assert run(v, RIGHT, unit) == (1.0, "passed")
    assert run(v, WRONG, unit)[0] == 0.0


# --- limits ------------------------------------------------------------------------------------------------

def test_limit_joint_mode_counts_no_assertion_at_run_time(v):
    """``joint`` runs the tests beside the solution: only the static check applies there, so a ``check`` that returns
    before its asserts passes anything (the split default abstains, above)."""
    test = "def check(candidate):\n    return\n    assert candidate(2, 3) == 5\n"
    assert humaneval(v, WRONG, test, isolation="joint") == (1.0, "passed")


def test_limit_a_solution_steering_the_tests_past_every_check_abstains(v):
    """Which checks run may depend on the solution's results (``for x in f(...)``); when none ran the sample is
    unverifiable (score None), not failed: a correct solution may legitimately take that path in another reference."""
    tests = "if add(2, 3) > 0:\n    assert add(2, 3) == 5\n"
    assert run(v, "def add(a, b):\n    return -1", tests) == (None, NO_CHECK)
