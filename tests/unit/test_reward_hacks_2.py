"""Reward hacks against ``code_exec``, round 2 (issue 14 part 1): classes not in ``test_reward_hacks.py``.

One hack class, one property, one exact reason per test, for the three reference kinds. The tests whose
docstring starts "Was ..." succeeded before this round's fixes (abstains, passes, a batch poisoned by a
reason, a module of the solution's choosing imported by the tests, a quadratic scan in the verifier's own
process, a stalled job end; bench/RESULTS.md, session 8); the rest held already and are pinned: the two jobs of
a split run, and two samples on one forkserver, share no file, process or fd; exits, signals and
rlimits in the solution's job only fail its own sample. ``test_limit_*`` pins what no harness can tell.
"""

from __future__ import annotations

import json

import pytest

from ground.record import to_table
from tests.unit.test_reward_hacks import SOLVE_42, reason, v, verdict  # noqa: F401 - v: the module's verifier fixture
from verifiers.code_exec import CodeExec

DEEP = "def f(x=None):\n    y = []\n    for _ in range(200):\n        y = [y]\n    return y"
HE = {"kind": "humaneval", "entry_point": "sq", "prompt": "import math\n\ndef sq(x):\n    \"\"\"x squared\"\"\"\n",
      "test": "METADATA = {}\n\ndef check(candidate):\n    assert candidate(3) == 9\n    assert math.sqrt(candidate(4)) == 4.0\n"}


def humaneval(v, completion: str):
    r = v.verify({"completion": completion, "reference": json.dumps(HE)})
    return r.score, r.reason


def stdio(v, code: str, cases: list[dict]):
    r = v.verify({"completion": f"```python\n{code}\n```", "reference": json.dumps({"kind": "stdio", "cases": cases})})
    return r.score, r.reason


def by_kind(v, code: str, kind: str):
    """(score, reason) of ``code`` as an ``asserts`` sample (``split``/``joint``) or a one-case ``stdio`` one, through
    ``verify_batch`` (which turns a verifier's exception into score None); stdio's "case 1/1: " is dropped."""
    ref = ({"kind": "stdio", "cases": [{"stdin": "", "stdout": "3"}]} if kind == "stdio"
           else {"kind": "asserts", "tests": SOLVE_42, "isolation": kind})
    r = v.verify_batch([{"completion": f"```python\n{code}\n```", "reference": json.dumps(ref)}])[0]
    return r.score, r.reason.removeprefix("case 1/1: ") if kind == "stdio" else r.reason


# --- succeeded before this round: now fixed -----------------------------------------------------------


@pytest.mark.parametrize("tests", ["assert f(f()) == 1\n", "assert f(x=f()) == 1\n"])
def test_a_too_deep_result_passed_back_is_unsupported_not_unverifiable(v, tests):
    """Was score None ("cannot verify"): a 200-deep result, wrapped in the next call's arguments, is 201 deep."""
    r = verdict(v, DEEP, tests)
    assert (r.score, r.reason) == (0.0, ("unsupported: f() was called with a value nested deeper than 200 levels "
                                         "(a result of the solution passed back?)"))


@pytest.mark.parametrize("tests", [
    "assert all(map(is_prime, [2, 3, 5, 7]))\n",
    "assert list(iter(is_prime, None)) == []\n",
    "for a, b in zip(map(is_prime, [2, 3]), [True, True]):\n    assert a == b\n"])
def test_stop_iteration_cannot_end_the_tests_iteration_early(v, tests):
    """Was "passed": map()/iter(f, sentinel)/zip() took the solution's StopIteration for "no more items"."""
    assert reason(v, "def is_prime(n=0):\n    raise StopIteration", tests) == "StopIteration at test line 1 / solution line 2"


def test_a_solutions_stop_iteration_is_still_catchable_as_an_error(v):
    tests = "try:\n    solve()\nexcept RuntimeError:\n    pass\nelse:\n    raise AssertionError('no error')\n"
    assert reason(v, "def solve():\n    raise StopIteration", tests) == "passed"


@pytest.mark.parametrize("code, isolation, want", [
    ("def solve():\n    raise ValueError('\\ud800')", "split", "ValueError at test line 1 / solution line 2: \\ud800"),
    ("raise ValueError('\\ud800')\ndef solve():\n    pass", "split", "ValueError at solution line 1: \\ud800"),
    ("def solve():\n    raise ValueError('\\ud800')", "joint", "ValueError at test line 1 / solution line 2: \\ud800")])
def test_a_lone_surrogate_in_the_reason_cannot_poison_the_batch(v, code, isolation, want):
    """Was a reason with a lone surrogate (JSON's \\ud800 escape): the batch's Parquet write raised."""
    why = reason(v, code, isolation=isolation)
    assert why == want
    assert to_table([{"id": "a", "reject_reason": why}]).column("reject_reason").to_pylist() == [want]


def test_the_solution_cannot_make_the_tests_import_a_module_for_its_side_effects(v):
    """Was "exited early (SystemExit(False))": the tests' job imported unittest.__main__, which runs tests."""
    code = "import types\nsolve = types.ModuleType('unittest.__main__')"
    assert reason(v, code) == ("unsupported: the tests use 'solve', a 'unittest.__main__' of the solution; "
                               "only functions and plain data cross")


def test_the_solution_cannot_hand_the_tests_a_look_alike_module(v):
    tests = "assert math.isclose(solve(), 0.3)\nassert math.pi > 3\n"
    assert reason(v, "import cmath as math\ndef solve():\n    return 0.1 + 0.2", tests) == (
        "unsupported: the tests use 'math', a 'cmath' of the solution; only functions and plain data cross")
    assert reason(v, "import math\ndef solve():\n    return 0.1 + 0.2", tests) == "passed"  # the module of that name


@pytest.mark.parametrize("returned, tests", [
    ("0.0", "assert count() != 0\n"), ("False", "assert count() != 0\n"), ("[1.0, 2]", "assert 1 not in count()\n"),
    ("0.0", "assert 0 <= count() != 0\n"), ("0.0", "assert not count() == 0\n"), ("[True]", "assert not 1 in count()\n")])
def test_a_value_of_another_type_cannot_satisfy_a_tests_inequality(v, returned, tests):
    """Was "passed": a type-exact ``!=``/``not in`` took a wrong value of another type (0.0 for 0) as different."""
    assert reason(v, f"def count():\n    return {returned}", tests) == "AssertionError at test line 1"


def test_inequality_of_values_that_differ_still_holds(v):
    tests = "assert count() != 0\nassert 0 not in [count()]\nassert not count() == 4\nassert count() != 3.0 or True\n"
    assert reason(v, "def count():\n    return 3", tests) == "passed"


@pytest.mark.parametrize("prices, kind", [("PRICES = object()", "Opaque"), ("def PRICES():\n    pass", "Remote"),
                                          ("import math as PRICES", "module")])
def test_a_non_data_value_of_the_solution_passed_back_is_unsupported_not_unverifiable(v, prices, kind):
    """Was score None: the tests' free name PRICES, bound by the solution to a non-data value, could not cross back."""
    assert reason(v, "PRICES = [4, 6]\ndef total(xs):\n    return sum(xs)", "assert total(PRICES) == 10\n") == "passed"
    r = verdict(v, prices + "\ndef total(xs):\n    return 0", "assert total([PRICES]) == 10\n")
    assert (r.score, r.reason) == (0.0, f"unsupported: the tests pass total() a value of type '{kind}' of the solution, not data")


@pytest.mark.parametrize("handler", ["except Exception:", "except:"])
def test_a_caught_hack_is_reported_even_where_the_tests_swallow_errors(v, handler):
    """Was "passed": a rigged value for a call inside the tests' ``try: ... except ...: pass`` went unreported."""
    code = "class A:\n    __eq__ = lambda s, o: True\ndef solve(x):\n    return A() if x < 0 else x * x"
    tests = f"try:\n    solve(-1)\n{handler}\n    pass\nassert solve(2) == 4\n"
    assert reason(v, code, tests) == "reward hack: solve() returned a value of type 'A' that compares equal to anything"


def test_exiting_inside_a_call_the_tests_guard_is_not_a_pass(v):
    """Was "passed": the proxy's "solution's process ended" was an Exception the tests' handler caught."""
    code = "import os\ndef solve(x):\n    if x < 0:\n        os._exit(0)\n    return x * x"
    tests = "assert solve(2) == 4\ntry:\n    solve(-1)\nexcept Exception:\n    pass\n"
    assert reason(v, code, tests) == "exited with code 0 before the tests completed"


NONCE = "import json, os, sys\nnonce = sys._getframe(1).f_locals['job']['nonce']\n"


@pytest.mark.parametrize("line", [
    "b'[' * 30000 + b']' * 30000",  # nested past the JSON decoder's recursion limit
    "json.dumps({'ok': False, 'exc': ['x'], 'msg': 5, 'test_line': 'a', 'nonce': nonce}).encode()"])  # mistyped fields
@pytest.mark.parametrize("kind", ["split", "joint", "stdio"])
def test_a_malformed_report_on_fd3_is_a_reward_hack_not_a_verifier_error(v, line, kind):
    """Was score None ("verifier error: RecursionError/AttributeError"): reading the fd-3 report raised in the client."""
    code = NONCE + f"os.write(3, {line} + b'\\n')\nos._exit(1)"
    hack = "reward hack: the program wrote its own report on the result channel (fd 3)"
    assert by_kind(v, code, kind) == (0.0, hack)


@pytest.mark.parametrize("kind", ["split", "joint", "stdio"])
def test_dying_of_a_signal_without_a_name_is_a_failure_not_a_verifier_error(v, kind):
    """Was score None ("verifier error: ValueError: 40 is not a valid Signals"): real-time signals have no name."""
    code = "import os\nos.kill(os.getpid(), 40)\ndef solve():\n    return 42"
    assert by_kind(v, code, kind) == (0.0, "killed by signal 40")


# --- shared files and leftover state: held --------------------------------------------------------------

PLANT = ("import os\nfor d in ('.', '/tmp'):\n    for f, s in (('math.py', 'sqrt = lambda x: 4.0'), ('sitecustomize.py', "
         "'import builtins'), ('usercustomize.py', 'import builtins'), ('evil.pth', 'import os'), ('json.py', '')):\n"
         "        open(os.path.join(d, f), 'w').write(s + '\\n')\nos.makedirs('__pycache__', exist_ok=True)\n")


def test_files_planted_in_the_cwd_and_tmp_do_not_reach_the_tests(v):
    tests = "import math, json\nassert math.sqrt(solve()) == 4.0\nassert json.loads('1') == 1\n"
    assert reason(v, PLANT + "def solve():\n    return 0", tests) == "AssertionError at test line 2"


def test_files_planted_by_a_humaneval_completion_do_not_reach_the_prompts_imports(v):
    assert humaneval(v, PLANT + "def sq(x):\n    return 0") == (0.0, "AssertionError at test line 4")


def test_no_state_crosses_from_one_sample_to_the_next(v):
    plant = ("import os, time\nopen('/tmp/state', 'w').write('42')\nif os.fork() == 0:\n    os.setsid()\n"
             "    if os.fork() == 0:\n        time.sleep(2)\n        open('/tmp/late', 'w').write('42')\n"
             "        os._exit(0)\n    os._exit(0)\ndef solve():\n    return 0")
    assert reason(v, plant) == "AssertionError at test line 1"
    read = "import os\ndef solve():\n    return int(open('/tmp/state').read()) if os.path.exists('/tmp/state') else 0"
    assert reason(v, read) == "AssertionError at test line 1"  # sample A's file is gone for sample B
    # sample B's /tmp holds none of A's files, even after A's daemon woke (a checkout under /tmp shows there, read-only)
    honest = "import os, time\ndef solve():\n    time.sleep(2.5)\n    return 42 if not {'state', 'late'} & set(os.listdir('/tmp')) else 0"
    assert reason(v, honest) == "passed"


def test_no_state_crosses_from_one_stdio_case_to_the_next(v):
    code = "import os\nif os.path.exists('/tmp/ans'):\n    print(open('/tmp/ans').read())\nelse:\n    open('/tmp/ans', 'w').write('3')\n    print(3)"
    assert stdio(v, code, [{"stdin": "", "stdout": "3"}, {"stdin": "", "stdout": "3"}]) == (1.0, "passed")
    leak = "import os\nprint(open('/tmp/ans').read() if os.path.exists('/tmp/ans') else 0)"
    assert stdio(v, leak, [{"stdin": "", "stdout": "3"}]) == (0.0, "wrong output on case 1/1: expected '3', got '0'")


# --- signals, fds, rlimits, odd exits: held ----------------------------------------------------------------


@pytest.mark.parametrize("code, want", [
    ("import os, signal\ndef solve():\n    os.killpg(0, signal.SIGKILL)", "killed by signal SIGKILL"),
    ("import os, signal\ndef solve():\n    os.kill(-1, signal.SIGKILL)\n    return 42",
     "ProcessLookupError at test line 1 / solution line 3: [Errno 3] No such process"),
    ("import os\nfor fd in (0, 1, 2, 3):\n    os.close(fd)\ndef solve():\n    return 0", "AssertionError at test line 1"),
    (("import os\nfs = []\ntry:\n    while True:\n        fs.append(os.open('/dev/null', 0))\nexcept OSError:\n    pass\n"
      "def solve():\n    return 0"), "AssertionError at test line 1")])
def test_signals_and_fd_games_only_fail_the_solutions_own_sample(v, code, want):
    assert reason(v, code) == want


@pytest.mark.parametrize("kind", ["split", "stdio"])
def test_patching_os_exit_cannot_stall_the_jobs_end(v, kind):
    """Was "timeout after 10s" (stdio) and, split, a solution's job that ran to its timeout after the tests passed
    (wall time per sample, bench/RESULTS.md): the runner ended through the ``os._exit`` the program had patched."""
    code = "import os, time\nos._exit = lambda *a: time.sleep(100)\nprint(3)\ndef solve():\n    return 42"
    assert by_kind(v, code, kind) == (1.0, "passed")


def test_lowering_its_own_rlimits_is_harmless(v):
    code = "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (5, 5))\ndef solve():\n    return 42"
    assert reason(v, code) == "passed"


def test_stalling_only_on_a_later_call_times_out():
    ver = CodeExec(timeout_s=1.0)
    try:
        code = "import time\nn = [0]\ndef solve():\n    n[0] += 1\n    if n[0] > 1:\n        time.sleep(60)\n    return 42"
        assert reason(ver, code, SOLVE_42 * 2) == "timeout after 1s"
    finally:
        ver.close()


def test_a_cyclic_result_is_unsupported(v):
    assert reason(v, "def solve():\n    x = []\n    x.append(x)\n    return x") == (
        "unsupported: solve() returned a value nested deeper than 200 levels; only plain builtins cross to the tests")


@pytest.mark.parametrize("code, want", [
    ("import sys\nprint(3)\nsys.exit(3)", "case 1/1: exited early (SystemExit(3)) before the tests completed"),
    ("import sys\nprint(3)\nsys.exit('0')", "case 1/1: exited early (SystemExit(0)) before the tests completed"),
    ("open('/dev/tty', 'w').write('3\\n')",
     "case 1/1: OSError at solution line 1: [Errno 30] Read-only file system: '/dev/tty'")])
def test_stdio_odd_exits_and_tty_writes_fail(v, code, want):
    assert stdio(v, code, [{"stdin": "", "stdout": "3\n"}]) == (0.0, want)


# --- humaneval specifics: held ------------------------------------------------------------------------------


def test_a_body_completion_that_also_redefines_check_and_metadata_is_still_tested(v):
    assert humaneval(v, "    return x + x\nMETADATA = {'pass': True}\ndef check(c):\n    pass") == (
        0.0, "AssertionError at test line 4")
    assert humaneval(v, "    return x * x") == (1.0, "passed")


def test_a_body_padded_with_blank_lines_is_scored_as_usual(v):
    """Was quadratic in the verifier's own process (no sandbox limit there): finding ``def sq(`` with ``^\\s*`` and
    re.M rescanned the blank lines from each line start; 4*10^4 took 21.7 s, 10^6 hours (bench/RESULTS.md)."""
    assert humaneval(v, "    return x * x\n" + "\n" * 20000 + "    # end\n") == (1.0, "passed")
    assert humaneval(v, "    return x + x\n" + "\n" * 20000 + "def sq(x):\n    return x * x\n") == (1.0, "passed")


def test_patching_the_prompts_imported_module_does_not_reach_the_tests(v):
    assert humaneval(v, "import math\nmath.sqrt = lambda x: 4.0\ndef sq(x):\n    return 0") == (
        0.0, "AssertionError at test line 4")


# --- what is NOT caught: documented limits -----------------------------------------------------------------


def test_limit_a_bare_truthiness_assert_accepts_any_truthy_value(v):
    """``assert f(x)`` (no comparison) is Python's truth test, not type-exact: any truthy value passes it."""
    assert reason(v, "def is_even(n):\n    return 'yes'", "assert is_even(2)\nassert is_even(4)\n") == "passed"


def test_limit_a_membership_test_on_the_result_accepts_any_superset(v):
    """``x in f(y)`` asks only for membership: a result holding every candidate answer passes it."""
    code = "def divisors(n):\n    return list(range(1, 100))"
    assert reason(v, code, "assert 3 in divisors(12)\nassert 4 in divisors(12)\n") == "passed"


def test_limit_an_equality_negated_by_control_flow_is_type_exact(v):
    """``if f(x) == y: raise`` reads as a positive test to the rewrite: its ``==`` is exact, so 0.0 passes "not 0"."""
    assert reason(v, "def count():\n    return 0.0", "if count() == 0:\n    raise AssertionError('zero')\n") == "passed"


# --- NumPy results: legitimate data-science solutions, not hacks ---------------------------------------------
MEAN_TESTS = "assert mean([1, 2, 3]) == 2.0\nassert abs(mean([1, 2]) - 1.5) < 1e-9\nassert [mean([4.0])] == [4.0]"


@pytest.mark.parametrize("code, want", [
    ("import numpy as np\ndef mean(xs):\n    return np.mean(xs)", "passed"),  # was "reward hack: ... overrides __eq__"
    ("import numpy as np\ndef mean(xs):\n    return [np.float64(sum(xs) / len(xs))][0]", "passed"),
    ("import numpy as np\ndef mean(xs):\n    return np.array([sum(xs) / len(xs)])",  # array == list is not a truth value
     "unsupported: mean() returned a value of type 'ndarray'; only plain builtins cross to the tests"),
])
def test_numpy_scalars_cross_as_the_builtins_they_stand_for(v, code, want):
    assert reason(v, code, MEAN_TESTS) == want


def test_a_numpy_scalar_inside_a_list_crosses_too_and_keeps_type_exactness(v):
    code = "import numpy as np\ndef f(x=None):\n    return [np.int64(42), np.bool_(True)]"
    assert reason(v, code, "assert f() == [42, True]") == "passed"
    assert reason(v, code, "assert f() == [42.0, True]") == "AssertionError at test line 1"  # int stays int


def test_an_object_posing_as_a_numpy_scalar_gains_nothing(v):
    """A class that claims to be numpy's: what crosses is its .item(), as data; its rigged __eq__ never reaches the
    tests, and an .item() that is not plain data is still unsupported."""
    code = ("class F(float):\n    __module__ = 'numpy'\n    ndim = 0\n    def __eq__(self, o): return True\n"
            "    __hash__ = float.__hash__\n    def item(self): return float(self)\n"
            "def f(x=None):\n    return F(41.0)")
    assert reason(v, code, "assert f() == 42.0") == "AssertionError at test line 1"
    odd = code.replace("def item(self): return float(self)", "def item(self): return self")
    assert reason(v, odd, "assert f() == 42.0").startswith("reward hack: f() returned a value of type 'F'")
