"""``stdio`` output compared as judges compare it (session 13, branch h-verify). Was: a program printing
``0.3333333333`` for the reference's ``0.333333`` (APPS / CodeContests float answers) or ``1  2`` for ``1 2`` failed
"wrong output"; an integer printed as ``3.0`` and a decimal off by more than 1e-6 still fail."""

from __future__ import annotations

import json

import pytest

from tests.unit import test_reward_hacks as rh
from verifiers.code_exec import same_output

v = rh.v  # the CodeExec fixture (module scope) the reward-hack tests use


@pytest.mark.parametrize("want, got, same", [
    ("0.333333", "0.3333333333", True), ("1.5 2", "1.5000001 2", True), ("2.50", "2.5", True),
    ("1 2 3", "1  2\n3", True), ("0.000000001", "0", True),
    ("0.333333", "0.3334", False), ("3", "3.0", False), ("1.5 2", "1.5 3", False), ("YES", "yes", False),
    ("0.5", "nan", False), ("1.0", "inf", False), ("1 2", "1 2 3", False),
    ("1e-9", "0", True), ("1e-9", "0.01", False),  # round 13: an exponent shows a float (was compared as text)
])
def test_same_output(want, got, same):
    assert same_output(want, got) is same


@pytest.mark.parametrize("program, score, reason", [
    ("n = int(input())\nprint(1 / n)\nprint(n, ' ', n)", 1.0, "passed"),
    ("n = int(input())\nprint(round(1 / n, 3))\nprint(n, n)", 0.0, "wrong output on case 1/1: expected '0.333333\\n3 3', got '0.333\\n3 3'"),
    ("n = int(input())\nprint(1 / n)\nprint(float(n), n)", 0.0,
     "wrong output on case 1/1: expected '0.333333\\n3 3', got '0.3333333333333333\\n3.0 3'"),
])
def test_stdio_float_answers(v, program, score, reason):
    ref = json.dumps({"kind": "stdio", "cases": [{"stdin": "3\n", "stdout": "0.333333\n3 3\n"}]})
    r = v.verify({"completion": f"```python\n{program}\n```", "reference": ref})
    assert (r.score, r.reason) == (score, reason)
