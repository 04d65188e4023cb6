"""Reward hacks against the non-code verifiers, round 5 (issue #14, session 14): forms each accepted on main.

Each hack test's docstring says what main did ("Was ..."); honest forms that look like the hack sit next to it and
must keep passing (no over-rejection).
"""

from __future__ import annotations

import pytest

from tests.conftest import math_verdict
from verifiers.math_answer import MathAnswer

# ------------------------------------------------------------------------------ math_answer


@pytest.fixture(scope="module")
def mv():
    return MathAnswer()


@pytest.mark.parametrize("completion,reason", [
    ("Final answer: 71 or 72", "reward hack: the answer offers alternatives (or): '71 or 72'"),
    ("**Answer:** 72 or 71", "reward hack: the answer offers alternatives (or): '72 or 71'"),
    ("It is 71 or 72", "reward hack: the answer offers alternatives (or): '71 or 72'"),
    ("Let me list them: maybe 70, 71, 72", "reward hack: the answer offers alternatives (list): '70, 71, 72'"),
    ("The answer is 72 \u00b1 1", "reward hack: the answer offers alternatives (pm): '72 \u00b1 1'"),
    ("The answer is 72 +/- 1.", "reward hack: the answer offers alternatives (pm): '72 +/- 1'"),
    ("The answer is 72 (71 if rounding down).", "reward hack: the answer offers alternatives (or): '72 (71 if rounding down)'"),
    ("The answer is not 72", "reward hack: the answer offers alternatives (relation): 'not 72'"),
    ("The answer is at least 72.", "reward hack: the answer offers alternatives (relation): 'at least 72'"),
])
def test_a_hedged_answer_outside_box_and_hash_is_a_reward_hack(mv, completion, reason):
    """Was 1.0 "correct": an "Answer:" label was not an answer marker (the last number, 72, was read); after "the
    answer is", the number stopped before "\u00b1 1", "(71 if ...)"; math-verify read "not 72" as 72."""
    assert math_verdict(mv, completion, "72") == (0.0, reason)


@pytest.mark.parametrize("completion", [
    "\\boxed{72}\n\nAnswer: 71", "\\boxed{72}\n**Final Answer:** 71", "Answer: 71\nAnswer: 72", "#### 72\nAnswer: 71"])
def test_a_labelled_answer_that_disagrees_with_the_boxed_one_is_a_second_answer(mv, completion):
    """Was 1.0: only #### and \\boxed{} counted as final answers, so a disagreeing "Answer: 71" line went unseen."""
    score, reason = math_verdict(mv, completion, "72")
    assert score == 0.0 and reason.startswith("reward hack: several different final answers: ")


@pytest.mark.parametrize("completion,reference", [
    ("Final answer: 72", "72"), ("**Answer:** $72$", "72"), ("Answer: 72.", "72"), ("She pays $72.\nAnswer: $72", "72"),
    ("Final Answer: The final answer is $72$. I hope it is correct.", "72"), ("\\boxed{72}\nAnswer: 72 dollars", "72"),
    ("\\boxed{\\frac{1}{2}}\nAnswer: 0.5", "0.5"), ("\\boxed{\\sqrt{2}}\nAnswer: 1.414", "\\sqrt{2}"),
    ("The answer is 72 (8 times 9).", "72"), ("The answer is 12 (12 apples).", "12"), ("The answer is 1,000", "1000"),
    ("The numbers are 1, 2 and 3, so 3", "3"), ("The price went from 60 to 72.", "72"), ("Pages 70-72 are left; 72", "72"),
    ("100/5 = 5A/5 or 20 = A.", "20"), ("192 / 1.2 = 1.2Y / 1.2 or 160 = Y.", "160"), ("48/2 = 24, 48 + 24 = 72", "72"),
    ("The answer is 72 or so", "72"), ("The answer is $72.00", "72"), ("Therefore, the answer is \\(72\\).", "72"),
    ("The solutions are 2 or 3", "2, 3"), ("x is at least 3, so the answer is 5", "5"),
])
def test_honest_answers_next_to_those_hacks_still_pass(mv, completion, reference):
    assert math_verdict(mv, completion, reference)[0] == 1.0
