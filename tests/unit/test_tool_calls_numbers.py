"""``tool_calls``' number checks with answers it was not tuned on (session 13, branch h-verify): a whole number must
equal a whole reference exactly, a forged whole-number tool result is not "within 1e-6" of the replayed one, a
Unicode minus sign is a minus, a number the answer rules out ("12, not 15") is not its answer, and a text reference
must occur as whole words."""

from __future__ import annotations

import pytest

from tests.unit.test_tool_calls import asst, call, res, row
from verifiers.tool_calls import ToolCalls, same_json


def verdict(answer: str, ref: str, expr: str = "1", result=None):
    trace = [asst(call("c1", "calculator", {"expression": expr})), res("c1", result or {"result": 1}), asst(content=answer)]
    v = ToolCalls().verify(row(trace, ref))
    return v.score, v.reason


@pytest.mark.parametrize("answer,ref", [("The total is 192000001.", "192000000"), ("The total is 192,000,001.", "192000000"),
                                        ("x is 12, not 15", "15")])
def test_wrong_whole_numbers_are_wrong(answer, ref):
    """Was: 1.0 (192000001 within a relative 1e-6 of 192000000; 15 found in the answer that rules it out)."""
    assert verdict(answer, ref) == (0.0, f"final answer has no number equal to the reference {ref}: {answer!r}")


@pytest.mark.parametrize("answer,ref", [("It is \u22125 degrees.", "-5"), ("The total is 192,000,000.", "192000000"),
                                        ("about 4.44", "4.442882938"), ("It is 42.0", "42")])
def test_right_numbers_pass(answer, ref):
    assert verdict(answer, ref) == (1.0, "ok: 1 call(s) replayed, final answer matches reference")


def test_a_forged_whole_number_result_differs_from_the_replayed_one():
    """Was: 1.0, the recorded 200000001 'equal' to the calculator's 200000000 within rel_tol."""
    score, reason = verdict("It is 200000000.", "200000000", "200000000", {"result": 200000001})
    assert score == 0.0 and reason.startswith("call 1 (calculator): recorded result {\"result\": 200000001} differs")
    assert same_json(200000000, 200000000.0000001, 1e-6) and not same_json(200000000, 200000001, 1e-6)


@pytest.mark.parametrize("answer,ref,ok", [
    ("I don't know.", "no", False), ("Not sure.", "no", False), ("The eyes are blue", "yes", False),  # were 1.0
    ("Parisian food is great.", "Paris", False),
    ("No.", "no", True), ("Yes, it is.", "yes", True), ("It is in Paris.", "Paris", True), ("\"Paris\"", "Paris", True),
    ("New York City", "New York", True),
])
def test_a_text_reference_must_occur_as_whole_words(answer, ref, ok):
    """Was: a substring match ("no" found in "know", "yes" in "eyes")."""
    score, reason = verdict(answer, ref)
    assert (score, reason) == ((1.0, "ok: 1 call(s) replayed, final answer matches reference") if ok else
                               (0.0, f"final answer does not contain the reference {ref!r}: {answer!r}"))
