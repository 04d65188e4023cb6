"""Reward hacks against ``code_exec``, round 12 (red team of what counts as a failed check, of the names the tests
take from the solution and of the code's extraction): classes not in rounds 1-11.

Tests whose docstring starts "Was ..." scored wrongly before this round's fixes. Wrong solutions that passed: a failed
check the tests caught themselves other than an ``assert`` statement (a ``unittest`` ``assert*`` call, an ``if ...:
raise``, a ``with self.assertRaises``), an exception raised inside an assertion (the solution's, or the tests' own
``TypeError`` on a wrong-typed result) that the tests swallowed (``try: assert f(x) == y except Exception: pass``, a
``finally: return``/``continue`` that discards it, ``contextlib.suppress(Exception)``, a thread whose exception only
``threading.excepthook`` saw, a ``concurrent.futures`` future never read) beside another check that passed, a check
that failed in a process the tests forked (``multiprocessing.Process``: its exit code unread), a suite the tests ran themselves
with a runner (``unittest.main(exit=False)``, ``TextTestRunner().run``) whose failures and errors the runner only
printed, an assertion of a parenthesised pair (``assert (f(x) == y, "msg")``, always true in Python), an always-true
``assert True`` (or ``if False: raise``) counted as the check that ran, ``unittest``'s ``assertEqual`` and kin
taking ``True`` or ``1.0`` for ``1`` (Python's ``==``, where the tests' own ``==`` is type-exact), and a name the tests bind in ``except ... as
err`` or a ``match`` pattern taken for the solution's (its data counted as a use, and a builtin-named function under
test became the builtin). Correct solutions that failed or abstained: tests that import the solution as a module
(KodCode's ``from solution import f``: "ModuleNotFoundError"), code holding three backticks in a string (the fenced
block was cut there: a syntax error), checks written ``if f(x) == y: ... else: raise`` and checks by a library's
``assert*`` function (``np.testing.assert_allclose``), neither counted ("cannot verify"), pytest tests marked
``skip``/``skipif``/``xfail`` (or calling ``pytest.skip()``) and ``@unittest.expectedFailure`` tests run as any other
(a correct solution failed them), ``@pytest.mark.parametrize`` tests (abstained: round 10's limit), and an exception
class the reference's ``setup`` or a HumanEval prompt defines, raised by the solution, missed by the tests' ``except``
of that class.
``test_limit_*`` pins what is left open (the module docstring of ``verifiers.code_exec`` lists it); the rest pins
honest forms next to the hacks they resemble.
"""

from __future__ import annotations

import json

import pytest

from tests.unit.test_reward_hacks_11 import NO_CHECK, RIGHT, WRONG, humaneval, run, v  # noqa: F401 - v: the fixture
from verifiers.code_exec import extract_code

#: wrong where it matters: raises for every call but ``add(0, 0)``
RAISES = "def add(a, b):\n    if a or b:\n        raise ValueError('no')\n    return 0"
CAUGHT = "the tests caught this failed assertion"


# --- failed checks the tests swallow, other than an assert statement's --------------------------------------

UNITTEST_CAUGHT = "import unittest\ntc = unittest.TestCase()\ntc.assertEqual(add(0, 0), 0)\ntry:\n" \
                  "    tc.assertEqual(add(2, 3), 5)\nexcept AssertionError:\n    print('failed')\n"


def test_a_failed_unittest_assertion_the_tests_catch_still_fails(v):
    """Was "passed" for the wrong ``add``: the ``AssertionError`` of ``assertEqual`` was caught by the tests, and the
    assertion before it counted as the check that ran."""
    assert run(v, WRONG, UNITTEST_CAUGHT) == (0.0, f"AssertionError at test line 5: {CAUGHT}: 0 != 5")
    assert run(v, RIGHT, UNITTEST_CAUGHT) == (1.0, "passed")


def test_an_assert_raises_that_failed_and_was_caught_still_fails(v):
    """Was "passed": ``with tc.assertRaises(TypeError)`` around a call that does not raise, caught by ``except
    Exception``."""
    tests = "import unittest\ntc = unittest.TestCase()\nassert add(2, 3) == 5\ntry:\n" \
            "    with tc.assertRaises(TypeError):\n        add(2, None)\nexcept Exception:\n    pass\n"
    no_check = "def add(a, b):\n    return a + (b or 0)"
    assert run(v, no_check, tests) == (0.0, f"AssertionError at test line 5: {CAUGHT}: TypeError not raised")
    assert run(v, RIGHT, tests) == (1.0, "passed")


@pytest.mark.parametrize("handler", ["AssertionError", "Exception", ""])
def test_a_failed_if_raise_check_the_tests_catch_still_fails(v, handler):
    """Was "passed": ``if add(2, 3) != 5: raise AssertionError`` inside a ``try`` that swallows it, beside a check that
    passed."""
    tests = f"assert add(0, 0) == 0\ntry:\n    if add(2, 3) != 5:\n        raise AssertionError('add')\n" \
            f"except {handler}:\n    pass\n"
    assert run(v, WRONG, tests) == (0.0, f"AssertionError at test line 4: {CAUGHT}: add")
    assert run(v, RIGHT, tests) == (1.0, "passed")


@pytest.mark.parametrize("handler", ["Exception", "BaseException", "", "(ValueError, Exception)"])
def test_the_solutions_exception_swallowed_in_an_assertion_fails_beside_passing_checks(v, handler):
    """Was "passed": the solution raises in the assertion, the tests swallow its exception, and ``add(0, 0) == 0``
    passed (round 11 failed this only when no check ran at all)."""
    tests = f"assert add(0, 0) == 0\ntry:\n    assert add(2, 3) == 5\nexcept {handler}:\n    print('case failed')\n"
    assert run(v, RAISES, tests) == (0.0, "ValueError at test line 3 / solution line 3: no")
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_the_solutions_exception_swallowed_by_a_humaneval_check_fails(v):
    """Was "passed": HumanEval-style ``check`` that wraps one case in ``try/except: pass``."""
    test = "def check(candidate):\n    assert candidate(0, 0) == 0\n    try:\n        assert candidate(2, 3) == 5\n" \
           "    except:\n        pass\n"
    assert humaneval(v, RAISES, test) == (0.0, "ValueError at test line 4 / solution line 6: no")  # after the prompt
    assert humaneval(v, RIGHT, test) == (1.0, "passed")


@pytest.mark.parametrize("leave", ["return", "continue"])
def test_the_solutions_exception_discarded_by_a_finally_that_leaves_fails(v, leave):
    """Was "passed": ``finally: return`` (or ``continue`` in a loop) discards the exception in flight, here the
    solution's, raised inside an assertion, beside a check that passed."""
    test = "def check(candidate):\n    assert candidate(0, 0) == 0\n    for a, b in [(2, 3)]:\n        try:\n" \
           f"            assert candidate(a, b) == a + b\n        finally:\n            {leave}\n"
    assert humaneval(v, RAISES, test) == (0.0, "ValueError at test line 5 / solution line 6: no")
    assert humaneval(v, WRONG, test) == (0.0, f"AssertionError at test line 5: {CAUGHT}")
    assert humaneval(v, RIGHT, test) == (1.0, "passed")


def test_a_finally_that_does_not_leave_keeps_an_expected_exception_expected(v):
    tests = "try:\n    try:\n        assert add(None, 1) == 0\n    finally:\n        for i in range(2):\n" \
            "            if i:\n                break\nexcept TypeError:\n    pass\nassert add(2, 3) == 5\n"
    assert run(v, RIGHT, tests) == (1.0, "passed")


CONCURRENT = {
    "thread": "import threading\nt = threading.Thread(target=worker)\nt.start()\nt.join()\n",
    "future": "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(2) as ex:\n"
              "    ex.submit(worker)\n",
    "process": "import multiprocessing as mp\np = mp.get_context('fork').Process(target=worker)\np.start()\n"
               "p.join()\n",
}


@pytest.mark.parametrize("how", list(CONCURRENT))
def test_a_check_that_fails_in_a_thread_future_or_process_of_the_tests_fails(v, how):
    """Was "passed" for the raising ``add`` (and, in a process, for the wrong one too): the thread's exception went to
    ``threading.excepthook`` (printed), the future's was never read, the child process's failure only set its exit code;
    the check in the main line passed."""
    tests = "def worker():\n    assert add(2, 3) == 5\n" + CONCURRENT[how] + "assert add(0, 0) == 0\n"
    if how == "process":  # a check in another process: its outcome crosses as text
        assert run(v, RAISES, tests) == (0.0, f"AssertionError at test line 2: {CAUGHT}: ValueError: no")
        assert run(v, WRONG, tests) == (0.0, f"AssertionError at test line 2: {CAUGHT}")
    else:
        assert run(v, RAISES, tests) == (0.0, "ValueError at test line 2 / solution line 3: no")
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_a_check_that_passes_only_in_a_child_process_counts(v):
    """Was "cannot verify" for the correct ``add``: the check passed (and the call was made) in the child, which the
    tests' process never heard of."""
    tests = "import multiprocessing as mp\ndef worker():\n    assert add(2, 3) == 5\n" \
            "p = mp.get_context('fork').Process(target=worker)\np.start()\np.join()\n"
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_a_check_swallowed_by_contextlib_suppress_of_a_broad_class_fails(v):
    """Was "passed": ``with contextlib.suppress(Exception): assert add(2, 3) == 5`` beside a check that passed."""
    tests = "import contextlib\nassert add(0, 0) == 0\nwith contextlib.suppress(Exception):\n    assert add(2, 3) == 5\n"
    assert run(v, RAISES, tests) == (0.0, "ValueError at test line 4 / solution line 3: no")
    assert run(v, RIGHT, tests) == (1.0, "passed")
    named = "import contextlib\nassert add(2, 3) == 5\nwith contextlib.suppress(TypeError):\n    assert add(None, 1) == 1\n"
    assert run(v, RIGHT, named) == (1.0, "passed")


def test_an_error_of_the_tests_own_in_a_swallowed_assertion_fails(v):
    """Was "passed": a wrong-typed result makes the tests' arithmetic raise inside the assertion (``TypeError``), which
    the tests swallow."""
    tests = "assert add(0, 0) == 0\ntry:\n    assert add(2, 3) + 1 == 6\nexcept Exception:\n    pass\n"
    code = "def add(a, b):\n    return 0 if not (a or b) else 'five'"
    score, why = run(v, code, tests)
    assert score == 0.0 and why.startswith(f"AssertionError at test line 3: {CAUGHT}: TypeError: ")


NESTED_SUITE = ("import unittest\nif __name__ == '__main__':\n    class T(unittest.TestCase):\n"
                "        def test_a(self):\n            self.assertEqual(add(0, 0), 0)\n"
                "        def test_b(self):\n            self.assertEqual(add(2, 3), 5)\n")


@pytest.mark.parametrize("runner", ["unittest.main(exit=False)",
                                    "unittest.TextTestRunner().run(unittest.defaultTestLoader.loadTestsFromTestCase(T))"],
                         ids=["main", "runner"])
def test_a_suite_the_tests_run_themselves_fails_on_its_failures_and_errors(v, runner):
    """Was "passed" for both wrong solutions: the runner printed the failure (or the error) and the tests went on; the
    class is not at the top level, so the harness did not run it again."""
    tests = NESTED_SUITE + f"    {runner}\n"
    assert run(v, WRONG, tests) == (0.0, f"AssertionError at test line 7: {CAUGHT}: 0 != 5")
    assert run(v, RAISES, tests) == (0.0, "ValueError at test line 7 / solution line 3: no")
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_an_error_of_a_suite_the_tests_run_themselves_fails_wherever_it_was_raised(v):
    """Was "passed": the solution's exception raised outside any check of a test (``got = add(2, 3)``) errors that
    test; the runner only printed it."""
    tests = NESTED_SUITE.replace("self.assertEqual(add(2, 3), 5)", "got = add(2, 3)\n            self.assertEqual(got, 5)") \
        + "    unittest.main(exit=False)\n"
    assert run(v, RAISES, tests) == (0.0, "ValueError at test line 7 / solution line 3: no")
    assert run(v, RIGHT, tests) == (1.0, "passed")


@pytest.mark.parametrize("returned, check", [
    ("True", "assertEqual(f(), 1)"), ("2.0", "assertEqual(f(), 2)"), ("(1, 2.0)", "assertEqual(f(), (1, 2))"),
    ("[1.0, True]", "assertListEqual(f(), [1, 1])"), ("{1: True}", "assertDictEqual(f(), {1: 1})"),
    ("{True}", "assertSetEqual(f(), {1})"), ("1.0", "assertIn(f(), [1, 2])"), ("[True, 2]", "assertCountEqual(f(), [2, 1])"),
])
def test_unittest_equality_assertions_are_type_exact(v, returned, check):
    """Was "passed": ``unittest``'s ``assertEqual`` (and its kin) used Python's ``==``, so ``True`` and ``1.0`` stood for
    ``1`` where the tests' own ``assert f() == 1`` is type-exact."""
    tests = f"import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.{check}\n"
    score, why = run(v, f"def f():\n    return {returned}", tests)
    assert score == 0.0 and why.startswith("AssertionError at test line 4: ") \
        and why.endswith("equal only as Python compares other types")


def test_unittest_equality_assertions_still_pass_the_same_types(v):
    checks = ["assertEqual(f(), [1, [2.5, 'a'], (True,)])", "assertCountEqual(f(), [(True,), 1, [2.5, 'a']])",
              "assertIn(f()[0], [0, 1])", "assertListEqual(f(), [1, [2.5, 'a'], (True,)])"]
    tests = "import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n" + "".join(
        f"        self.{c}\n" for c in checks)
    assert run(v, "def f():\n    return [1, [2.5, 'a'], (True,)]", tests) == (1.0, "passed")
    assert run(v, "def f():\n    return [1, [2.5, 'b'], (True,)]", tests)[0] == 0.0


# --- assertions that are always true ------------------------------------------------------------------------

def test_an_assertion_of_a_parenthesised_pair_checks_its_condition(v):
    """Was "passed" for the wrong ``add``: ``assert (cond, "msg")`` asserts a non-empty tuple (Python warns "assertion
    is always true, perhaps remove parentheses?"); it is read as the ``assert cond, "msg"`` it stands for."""
    tests = "assert (add(2, 3) == 5, 'add(2, 3)')\n"
    assert run(v, WRONG, tests) == (0.0, "AssertionError at test line 1: add(2, 3)")
    assert run(v, RIGHT, tests) == (1.0, "passed")
    test = "def check(candidate):\n    assert(candidate(2, 3) == 5, 'x')\n"
    assert humaneval(v, WRONG, test) == (0.0, "AssertionError at test line 2: x")
    assert humaneval(v, RIGHT, test) == (1.0, "passed")


@pytest.mark.parametrize("always", ["True", "'todo'", "(1, 2, 3)", "[0]"])
def test_an_always_true_assertion_is_no_check(v, always):
    """Was "passed": ``assert True`` (HumanEval's "good for debugging" lines) counted as the check that ran, while the
    solution's empty result skipped the real one."""
    tests = f"assert {always}\nfor x in evens(5):\n    assert x % 2 == 0\n"
    assert run(v, "def evens(n):\n    return []", tests) == (None, NO_CHECK)
    assert run(v, "def evens(n):\n    return list(range(0, n, 2))", tests) == (1.0, "passed")


def test_an_if_raise_on_a_constant_is_no_check(v):
    """Was "passed": ``if False: raise ...`` counted as a check that passed."""
    tests = "if False:\n    raise AssertionError('never')\nfor x in evens(5):\n    assert x % 2 == 0\n"
    assert run(v, "def evens(n):\n    return []", tests) == (None, NO_CHECK)


# --- names the tests bind themselves --------------------------------------------------------------------------

WRONG_POW = "def pow(a, b):\n    return 0\nerr = 1"
RIGHT_POW = "def pow(a, b):\n    if a == 0 and b < 0:\n        raise ZeroDivisionError('zero')\n    return a ** b"


@pytest.mark.parametrize("bind", [
    "try:\n    pow(0, -1)\nexcept ZeroDivisionError as err:\n    assert err.args\n",
    "match [1, 2]:\n    case [err, _]:\n        assert err == 1\n",
    "match {'k': 1}:\n    case {**err}:\n        assert err == {'k': 1}\n",
], ids=["except-as", "match-capture", "match-rest"])
def test_a_name_the_tests_bind_in_except_or_match_is_theirs(v, bind):
    """Was "passed" for a ``pow`` that returns 0: ``err`` (bound by ``except ... as`` or a ``match`` pattern) was taken
    for a name of the solution, which defined it as data: a name of its own, so the tests' ``pow`` stayed the builtin
    (and the data counted as a use of the solution)."""
    tests = "assert pow(2, 3) == 8\n" + bind
    assert run(v, WRONG_POW, tests) == (0.0, "AssertionError at test line 1")
    assert run(v, RIGHT_POW, tests) == (1.0, "passed")


# --- tests that import the solution as a module ---------------------------------------------------------------

@pytest.mark.parametrize("tests", [
    "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    "from solution import *\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    "import solution\n\ndef test_add():\n    assert solution.add(2, 3) == 5\n",
    "from solution import add as plus\nassert plus(2, 3) == 5\n",
], ids=["from-import", "star", "module", "as"])
def test_tests_importing_the_solution_as_a_module_run(v, tests):
    """Was 0.0 ("ModuleNotFoundError at test line 1: No module named 'solution'") for the correct ``add``: KodCode-style
    pytest tests take the function under test by ``from solution import ...``."""
    assert run(v, RIGHT, tests) == (1.0, "passed")
    assert run(v, WRONG, tests)[0] == 0.0
    assert run(v, RIGHT, tests, isolation="joint") == (1.0, "passed")


def test_a_name_imported_from_the_solution_keeps_every_protection(v):
    """Was 0.0 ("ModuleNotFoundError") for every solution; imported names are bound as the free names are: type-exact
    results, the solution's objects kept in its process, a name it lacks an ``ImportError``."""
    tests = "from solution import add, Box\nassert add(0, 1) == 1\nassert Box().get() == 1\n"
    box = "class Box:\n    def get(self):\n        return 1\n"
    assert run(v, box + "def add(a, b):\n    return a + b", tests) == (1.0, "passed")
    assert run(v, box + "def add(a, b):\n    return True", tests) == (0.0, "AssertionError at test line 2")
    score, why = run(v, "def add(a, b):\n    return a + b", tests)  # no Box
    assert score == 0.0 and why.startswith("ImportError at test line 1: cannot import name 'Box' from 'solution'")


# --- exception classes the reference defines ----------------------------------------------------------------------

SETUP_EXC = "class InvalidInput(ValueError):\n    pass\n"
PARSE = "def parse(s):\n    if not s.isdigit():\n        raise InvalidInput(s)\n    return int(s)"


@pytest.mark.parametrize("tests", [
    "try:\n    parse('x')\nexcept InvalidInput as e:\n    assert e.args == ('x',)\nelse:\n    raise AssertionError\n"
    "assert parse('3') == 3\n",
    "import pytest\ndef test_a():\n    with pytest.raises(InvalidInput):\n        parse('x')\n    assert parse('3') == 3\n",
    "import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertRaises(InvalidInput, parse, 'x')\n"
    "        self.assertEqual(parse('3'), 3)\n",
], ids=["except", "pytest.raises", "assertRaises"])
def test_an_exception_class_of_the_references_setup_is_caught_as_itself(v, tests):
    """Was 0.0 ("InvalidInput at test line 2 / solution line 3: x") for the correct ``parse``: the solution's
    ``InvalidInput`` (the setup's class, which its process ran too) reached the tests as a ``ValueError`` named
    ``InvalidInput``, not the tests' class of that name."""
    assert run(v, PARSE, tests, SETUP_EXC) == (1.0, "passed")
    assert run(v, "def parse(s):\n    raise ValueError(s)", tests, SETUP_EXC)[0] == 0.0


def test_an_exception_class_of_the_humaneval_prompt_is_caught_as_itself(v):
    """Was 0.0 ("NotFound at test line 4 / solution line 7: 5"), as above for a class the prompt defines."""
    prompt = "class NotFound(Exception):\n    pass\n\ndef find(xs, x):\n    \"\"\"Index of x, else NotFound.\"\"\"\n"
    body = "    if x not in xs:\n        raise NotFound(x)\n    return xs.index(x)\n"
    test = "def check(candidate):\n    assert candidate([1, 2], 2) == 1\n    try:\n        candidate([1], 5)\n" \
           "    except NotFound:\n        pass\n    else:\n        assert False\n"
    ref = {"kind": "humaneval", "prompt": prompt, "test": test, "entry_point": "find"}
    r = v.verify({"completion": f"```python\n{body}```", "reference": json.dumps(ref)})
    assert (r.score, r.reason) == (1.0, "passed")


@pytest.mark.parametrize("setup, tests, why", [
    ("", "class Expected(Exception):\n    pass\ntry:\n    assert parse('x') == 0\nexcept Expected:\n    pass\n",
     "Expected at test line 4 / solution line 6: x"),
    ("from unittest import SkipTest\n", "import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n"
     "        self.assertEqual(parse('x'), 0)\n", "SkipTest at test line 4 / solution line 6: x"),
], ids=["tests-own-class", "skip"])
def test_a_solution_naming_its_exception_like_a_class_of_the_tests_gains_nothing(v, setup, tests, why):
    """Only classes the solution's process also ran (the setup's, the prompt's) are shared: a class of the tests' own
    code, or one that steers the run (``SkipTest``), is never what the solution's exception of that name becomes."""
    code = "class Expected(Exception):\n    pass\nclass SkipTest(Exception):\n    pass\ndef parse(s):\n" \
           f"    raise {why.split()[0]}(s)"
    assert run(v, code, tests, setup) == (0.0, why)


# --- pytest's marks -----------------------------------------------------------------------------------------------

PASSING = "import pytest\ndef test_a():\n    assert add(2, 3) == 5\n"


@pytest.mark.parametrize("other", [
    "def test_b():\n    pytest.skip('later')\n",
    "@pytest.mark.skip(reason='later')\ndef test_b():\n    assert add(2, 3) == 6\n",
    "@pytest.mark.skipif(True, reason='later')\ndef test_b():\n    assert add(2, 3) == 6\n",
    "@pytest.mark.skipif('sys.version_info > (3,)', reason='later')\ndef test_b():\n    assert add(2, 3) == 6\n",
    "@pytest.mark.xfail\ndef test_b():\n    assert add(2, 3) == 6\n",
    "def test_b():\n    pytest.xfail('known')\n",
], ids=["skip()", "mark.skip", "skipif", "skipif-str", "xfail", "xfail()"])
def test_a_skipped_or_expected_failure_pytest_test_passes_a_correct_solution(v, other):
    """Was 0.0 ("Skipped at test line 5", "AssertionError at test line 6") for the correct ``add``: pytest's marks were
    ignored, so a skipped or expected-to-fail test ran (or its skip raised) and failed the sample."""
    assert run(v, RIGHT, PASSING + other) == (1.0, "passed")
    assert run(v, WRONG, PASSING + other) == (0.0, "AssertionError at test line 3")


def test_an_expected_failure_unittest_test_passes_a_correct_solution(v):
    """Was 0.0 ("AssertionError at test line 7"): ``debug()`` ignores ``@unittest.expectedFailure``."""
    tests = "import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(add(2, 3), 5)\n" \
            "    @unittest.expectedFailure\n    def test_b(self):\n        self.assertEqual(add(2, 3), 6)\n"
    assert run(v, RIGHT, tests) == (1.0, "passed")
    assert run(v, WRONG, tests) == (0.0, "AssertionError at test line 4: 0 != 5")


@pytest.mark.parametrize("tests", [
    "import pytest\n@pytest.mark.parametrize('a, b, c', [(2, 3, 5), (1, 1, 2)])\ndef test_add(a, b, c):\n"
    "    assert add(a, b) == c\n",
    "import pytest\n@pytest.mark.parametrize('a', [1, 2])\n@pytest.mark.parametrize('b', [3, 4])\ndef test_add(a, b):\n"
    "    assert add(a, b) == a + b\n",
    "import pytest\n@pytest.mark.parametrize(('a', 'b'), [pytest.param(2, 3, id='x'),\n"
    "    pytest.param(1, 1, marks=pytest.mark.skip(reason='later'))])\ndef test_add(a, b):\n    assert add(a, b) == 5\n",
    "import pytest\nclass TestAdd:\n    @pytest.mark.parametrize('a', [1, 2])\n    def test_add(self, a):\n"
    "        assert add(a, 1) == a + 1\n",
], ids=["plain", "stacked", "pytest.param", "method"])
def test_a_parametrized_pytest_test_runs_once_per_parameter_set(v, tests):
    """Was "cannot verify: the tests define test_add(), whose arguments ... the harness cannot supply" for every
    solution: KodCode-style ``@pytest.mark.parametrize`` tests abstained (round 10's limit for them)."""
    assert run(v, RIGHT, tests) == (1.0, "passed")
    assert run(v, WRONG, tests)[0] == 0.0


def test_a_skipif_that_does_not_hold_still_runs_and_a_fixture_still_abstains(v):
    tests = "import pytest\n@pytest.mark.skipif(False, reason='no')\ndef test_a():\n    assert add(2, 3) == 5\n"
    assert run(v, WRONG, tests) == (0.0, "AssertionError at test line 4")
    fixture = "import pytest\n@pytest.mark.parametrize('a', [1])\ndef test_a(a, tmp_path):\n    assert add(a, 1) == 2\n"
    assert run(v, RIGHT, fixture)[0] is None


# --- the code's extraction --------------------------------------------------------------------------------------

STRIP = "def strip_fences(s):\n    return s.replace('```', '')"


def test_code_holding_three_backticks_in_a_string_is_extracted_whole(v):
    """Was 0.0 ("syntax error: unterminated string literal") for a correct solution: the fenced block ended at the
    first three backticks anywhere, also inside a string of the code. A closing fence is a line of backticks (up to
    three spaces in), or backticks ending a line of code."""
    assert run(v, STRIP, "assert strip_fences('a```b') == 'ab'\n") == (1.0, "passed")
    code = "def add(a, b):\n    fence = \"```\"\n    return a + b"
    assert humaneval(v, code, "def check(candidate):\n    assert candidate(2, 3) == 5\n") == (1.0, "passed")
    doc = "def add(a, b):\n    '''Usage:\n    ```\n    add(2, 3)\n    ```\n    '''\n    return a + b\n```\nThat is all."
    assert extract_code(f"```python\n{doc}") == doc.split("```\nThat")[0]


@pytest.mark.parametrize("completion, code", [
    ("Here:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1\n"),
    ("```python\ndef f():\n    return 1```\nmore", "def f():\n    return 1"),
    ("```py\ndef f():\n    return 1\n  ```\n", "def f():\n    return 1\n"),
    ("```python\ndef f():\n    return 1\n", "def f():\n    return 1\n"),
    ("```text\nout\n```\n```python\nx = 1\n```", "x = 1\n"),
    ("1. The body:\n    ```python\n    return a + b\n    ```\n2. Done.", "    return a + b\n"),
], ids=["closed", "closed-at-line-end", "indented-close", "truncated", "second-block", "in-a-list-item"])
def test_fenced_blocks_still_close_where_they_did(completion, code):
    assert extract_code(completion).rstrip() == code.rstrip()


# --- checks written the other way round ------------------------------------------------------------------------

@pytest.mark.parametrize("tests", [
    "if add(2, 3) == 5:\n    print('ok')\nelse:\n    raise AssertionError('add')\n",
    "if add(2, 3) == 6:\n    pass\nelif add(2, 3) == 5:\n    pass\nelse:\n    raise AssertionError('add')\n",
], ids=["if-else", "if-elif-else"])
def test_a_check_written_if_else_raise_counts(v, tests):
    """Was "cannot verify: no assertion of the tests ran" for the correct ``add``: only ``if ...: raise`` counted, not
    ``if ...: pass / else: raise``."""
    assert run(v, RIGHT, tests) == (1.0, "passed")
    assert run(v, WRONG, tests)[0] == 0.0


@pytest.mark.parametrize("tests", [
    "import numpy as np\nnp.testing.assert_allclose(pair(), [1.0, 2.0])\n",
    "from numpy.testing import assert_array_equal\nassert_array_equal(pair(), [1, 2])\n",
], ids=["assert_allclose", "assert_array_equal"])
def test_a_check_by_a_librarys_assert_function_counts(v, tests):
    """Was "cannot verify: no assertion of the tests ran" for the correct solution: NumPy's ``assert_*`` functions
    raise on failure and return on success, and only ``assert`` statements and ``unittest``'s methods counted."""
    pytest.importorskip("numpy")
    assert run(v, "def pair():\n    return [1, 2]", tests) == (1.0, "passed")
    score, why = run(v, "def pair():\n    return [3, 2]", tests)
    assert score == 0.0 and why.startswith("AssertionError at test line 2: ") and "ACTUAL: array([3, 2])" in why


def test_calling_a_function_under_test_named_assert_is_no_check(v):
    tests = "assert_sorted([1, 2])\nfor x in []:\n    assert x\n"
    assert run(v, "def assert_sorted(xs):\n    return None", tests) == (None, NO_CHECK)


# --- honest forms next to the hacks ----------------------------------------------------------------------------

@pytest.mark.parametrize("tests", [
    "try:\n    add(None, 1)\nexcept Exception:\n    pass\nelse:\n    raise AssertionError('no error')\nassert add(2, 3) == 5\n",
    "try:\n    out = add(None, 1)\nexcept Exception as e:\n    out = type(e).__name__\nassert out == 'TypeError'\n"
    "assert add(2, 3) == 5\n",
    "def raises(fn, *a):\n    try:\n        fn(*a)\n    except Exception:\n        return True\n    return False\n"
    "assert raises(add, None, 1)\nassert add(2, 3) == 5\n",
    "try:\n    assert add(None, 1) == 0\nexcept TypeError:\n    pass\nassert add(2, 3) == 5\n",
    "import unittest\ntc = unittest.TestCase()\ntry:\n    tc.assertEqual(add(None, 1), None)\nexcept Exception as e:\n"
    "    assert type(e).__name__ == 'TypeError'\nassert add(2, 3) == 5\n",
    "import unittest\ntc = unittest.TestCase()\ntry:\n    tc.assertEqual(add(None, 1), None)\nexcept Exception as e:\n"
    "    tc.assertIn('unsupported', str(e))\nassert add(2, 3) == 5\n",
], ids=["broad-else-raise", "into-a-value", "helper", "named-handler", "handler-checks-it", "handler-assert-in"])
def test_an_expected_exception_the_tests_catch_broadly_still_passes(v, tests):
    assert run(v, RIGHT, tests) == (1.0, "passed")


def test_a_top_level_suite_run_by_unittest_main_still_passes_and_fails_as_before(v):
    tests = NESTED_SUITE.replace("if __name__ == '__main__':\n", "if True:\n") + "    unittest.main(exit=False)\n"
    assert run(v, RIGHT, tests) == (1.0, "passed")
    top = ("import unittest\nclass T(unittest.TestCase):\n    def test_b(self):\n        self.assertEqual(add(2, 3), 5)\n"
           "unittest.main()\n")
    assert run(v, RIGHT, top) == (1.0, "passed")
    assert run(v, WRONG, top)[0] == 0.0


# --- limits ------------------------------------------------------------------------------------------------------

def test_limit_the_solutions_exception_swallowed_outside_a_check_passes(v):
    """A check is an ``assert`` (or ``if ...: raise``, an ``assert*`` call) whose own evaluation raised; an exception
    raised where the tests only call a helper (``expect(f(x), y)``, the arguments evaluated before the helper's assert
    runs) and swallowed there is the tests' business, as ``try: out = f(x) except Exception: out = None`` is."""
    setup = "def expect(got, want):\n    assert got == want\n"
    tests = "try:\n    expect(add(2, 3), 5)\nexcept Exception:\n    pass\nexpect(add(0, 0), 0)\n"
    assert run(v, RAISES, tests, setup) == (1.0, "passed")


def test_limit_joint_mode_reads_an_assertion_of_a_pair_as_python_does(v):
    """``joint`` runs the tests as Python does: ``assert (cond, "msg")`` is always true there."""
    assert run(v, WRONG, "assert (add(2, 3) == 5, 'add')\n", isolation="joint") == (1.0, "passed")


def test_limit_a_check_in_a_spawned_process_of_the_tests_neither_runs_nor_reports(v):
    """Only a process the tests fork reports to the tests' process; a ``spawn`` child starts a fresh interpreter that
    cannot even import the tests' ``__main__`` (it has no file), so its check never runs and the main line decides."""
    tests = "import multiprocessing as mp\ndef worker():\n    assert add(2, 3) == 5\nif __name__ == '__main__':\n" \
            "    p = mp.get_context('spawn').Process(target=worker)\n    p.start()\n    p.join()\nassert add(0, 0) == 0\n"
    assert run(v, WRONG, tests) == (1.0, "passed")
