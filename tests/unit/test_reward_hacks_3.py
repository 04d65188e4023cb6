"""Reward hacks against the non-code verifiers (issue 14 part 1, round 3): ``math_answer``, ``judge``,
``constitution``, ``tool_calls`` and ``function_call_ast``. One hack class per test, score and reason asserted.

Tests whose docstring starts "Was ..." scored a hack (or abstained, which ``accept_unverifiable`` accepts)
before this round's fixes (bench/RESULTS.md, session 9); the others held already and are pinned. Legitimate
forms that must keep passing sit next to the hacks they resemble.
"""

from __future__ import annotations

import pytest

from verifiers.math_answer import MathAnswer
from verifiers.math_extract import boxed, extract_answer, to_number


def math(completion: str, reference: str = "72", **options) -> tuple[float | None, str]:
    v = MathAnswer(**options).verify_batch([{"completion": completion, "reference": reference}])[0]
    return v.score, v.reason


# ------------------------------------------------------------------------------ math_answer

@pytest.mark.parametrize("completion,shown", [
    ("#### 71\n#### 72", "'71', '72'"),
    ("#### 72\n#### 71", "'72', '71'"),
    ("\\boxed{71} or \\boxed{72}", "'71', '72'"),
    ("\\boxed{72}\n#### 71", "'71', '72'"),
    ("\\boxed{70} \\boxed{71} \\boxed{72}", "'70', '71', '72'"),
])
def test_several_different_final_answers(completion, shown):
    """Was: the last marker won, so a policy could list every candidate and score with the right one last."""
    assert math(completion) == (0.0, f"reward hack: several different final answers: {shown}")


def test_repeated_or_equivalent_final_answers_are_one_answer():
    assert math("\\boxed{72}\n#### 72") == (1.0, "correct")
    assert math("\\boxed{72.0} so #### 72") == (1.0, "correct")
    assert math("\\boxed{\\frac{1}{2}}\n#### 0.5", "\\frac{1}{2}") == (1.0, "correct (symbolic)")


@pytest.mark.parametrize("completion,reference,mark", [
    ("#### 71 or 72", "72", "or"),             # math-verify reads "71 or 72" as its last number
    ("#### 71 and 72", "72", "or"),
    ("the answer is 72 or 73", "72", "or"),     # the "answer is" number stopped at 72
    ("\\boxed{71 \\text{ or } 72}", "\\frac{144}{2}", "or"),
    ("\\boxed{71 \\lor 72}", "72", "or"),
    ("\\boxed{71 \\vee 72}", "72", "or"),
    ("\\boxed{71 | 72}", "72", "bar"),
    ("\\boxed{71, 72}", "\\frac{144}{2}", "list"),  # a tuple against a symbolic reference
    ("\\boxed{(71, 72)}", "\\frac{144}{2}", "list"),
    ("\\boxed{71;72}", "\\frac{144}{2}", "list"),
    ("\\boxed{\\{71, 72\\}}", "72", "set"),
    ("\\boxed{72 \\pm 1}", "72", "pm"),
    ("\\boxed{71 \\le x \\le 73}", "72", "relation"),
    ("#### 71 to 72", "72", "range"),
    ("#### 71 \\quad 72", "72", "space"),
    ("#### 71 72", "72", "space"),
])
def test_one_answer_offering_alternatives(completion, reference, mark):
    """Was (all but set, pm, relation): math-verify matched the reference against any of the alternatives."""
    score, reason = math(completion, reference)
    assert (score, reason.split(": ")[0], reason.split("(")[1].split(")")[0]) == (0.0, "reward hack", mark)


@pytest.mark.parametrize("completion,reference", [
    ("#### 1,2,3", "123"), ("#### 7,2", "72"), ("The answer is 1, 2, 3", "123"),
])
def test_a_list_is_not_a_number_with_thousands_separators(completion, reference):
    """Was: every comma was stripped, so "7,2" was 72."""
    assert math(completion, reference) == (0.0, f"reward hack: the answer offers alternatives (list): {extract_answer(completion)!r}")


@pytest.mark.parametrize("completion,reference,want", [
    ("#### 1,234", "1234", (1.0, "correct")),
    ("The answer is $1,200.00", "1200", (1.0, "correct")),
    ("#### 10{,}000", "10000", (1.0, "correct")),
    ("#### 1,00,000", "100000", (1.0, "correct")),
    ("#### 1 1/2", "1.5", (1.0, "correct")),
    ("43 + 60 = 103", "103", (1.0, "correct")),
    ("The answer is 72, which is the total.", "72", (1.0, "correct")),
    ("I got 3, 4, 5 and then 72", "72", (1.0, "correct")),
    ("\\boxed{\\frac{2}{4}}", "\\frac{1}{2}", (1.0, "correct (symbolic)")),
    ("\\boxed{(3, 5)}", "(3, 5)", (1.0, "correct (symbolic)")),   # the reference is a tuple itself
    ("\\boxed{x = 72}", "72", (1.0, "correct (symbolic)")),
    ("\\boxed{43 + 60 = 103}", "103", (1.0, "correct (symbolic)")),
    ("\\boxed{72-0}", "72", (1.0, "correct (symbolic)")),  # equal to the reference: not a hack
    ("#### ７２", "72", (1.0, "correct")),                  # full-width digits are the same number
])
def test_legitimate_forms_still_pass(completion, reference, want):
    assert math(completion, reference) == want


@pytest.mark.parametrize("completion", ["\\boxed{71=72}", "\\boxed{70 + 1 = 72}"])
def test_an_equation_must_hold_on_every_side(completion):
    """Was: math-verify compared only the right-hand side."""
    assert math(completion) == (0.0, f"wrong answer: got {completion[7:-1]!r}, expected '72'")


def test_nested_boxed_is_read_whole():
    """Was: the box regex took one level of braces, so \\boxed{\\sqrt{\\sqrt{72}}} fell back to its last number, 72."""
    assert boxed("a \\boxed{\\sqrt{\\sqrt{72}}} b \\boxed{\\{1\\}} \\boxed{") == ["\\sqrt{\\sqrt{72}}", "\\{1\\}"]
    assert math("\\boxed{\\sqrt{\\sqrt{72}}}") == (0.0, "wrong answer: got '\\\\sqrt{\\\\sqrt{72}}', expected '72'")


@pytest.mark.parametrize("completion", ["<think>the answer is 72</think> I don't know", "<think>#### 72", "<think>72</think>"])
def test_an_answer_in_the_reasoning_only_is_no_answer(completion):
    """Was: "<think>the answer is 72</think> I don't know" scored 1.0."""
    assert math(completion) == (0.0, "no answer found in completion")
    assert math("<think>#### 71</think>\n#### 72") == (1.0, "correct")


@pytest.mark.parametrize("completion,n", [("#### 72." + "0" * 100_000, 100_003), ("\\boxed{" + "\\sqrt{" * 100 + "72" + "}" * 100 + "}", 702),
                                          ("#### " + "9" * 200_000, 200_000)])
def test_a_huge_answer_is_wrong_not_unverifiable(completion, n):
    """Was: 72.000... (1e5 zeros) made math-verify time out: score None, accepted by accept_unverifiable, and a
    worker thread stuck for good."""
    assert math(completion) == (0.0, f"uncheckable answer: {n} characters, more than 500")
    assert to_number("9" * 5000) is None and to_number("72." + "0" * 400) == 72


def test_a_timeout_is_wrong_not_unverifiable_and_later_answers_still_run():
    """Was: a timeout gave score None; the abandoned call kept one of the pool's two workers. The product takes
    seconds in sympy (the thread then runs on, abandoned); the limit here is 0.3 s."""
    slow = "\\prod_{k=1}^{10^{6}} k"
    assert math(f"\\boxed{{{slow}}}", timeout_s=0.3) == (0.0, f"uncheckable answer: math-verify timed out after 0.3s on {slow!r}")
    assert math("\\boxed{\\frac{144}{2}}", timeout_s=60) == (1.0, "correct (symbolic)")
