"""``math_answer`` on data it was not tuned on (GSM8K's train split, MATH-style answers, multiple choice): each case
here was scored wrongly on main, a right answer rejected or a wrong one accepted (session 13, branch h-verify)."""

import pytest

from tests.conftest import math_verdict as verdict
from verifiers.answer_key import extractor, majority
from verifiers.math_answer import MathAnswer
from verifiers.math_extract import extract_answer, text_key, to_number


@pytest.fixture(scope="module")
def v():
    return MathAnswer()


# GSM8K train rows 402, 644, 1264 ...: the answer plus one passed, within the relative 1e-6 of a 192 million answer
@pytest.mark.parametrize("completion,reference", [
    ("#### 192000001", "#### 192,000,000"),
    ("The answer is 109200001.", "109,200,000"),
    ("#### 3500001", "3500000"),
    ("#### 1234567.9", "1234567.5"),  # not whole numbers, still 0.4 apart
])
def test_a_large_answer_off_by_one_is_wrong(v, completion, reference):
    assert verdict(v, completion, reference)[0] == 0.0


def test_a_rounded_repeating_decimal_still_passes(v):
    assert verdict(v, "#### 0.333333", "1/3") == (1.0, "correct")
    assert verdict(v, "#### 0.33", "1/3")[0] == 0.0


@pytest.mark.parametrize("completion,reference", [
    ("\\boxed{B}", "B"),                              # was: 'wrong answer: got 'B', expected 'B''
    ("The answer is (B).", "B"),
    ("\\boxed{\\text{(C)}}", "C"),
    ("\\boxed{\\textbf{(C)}}", "\\text{(C)}"),
    ("\\boxed{Monday}", "\\text{Monday}"),
    ("\\boxed{\\text{yes}}", "Yes"),
    ("The answer is **B**", "B"),
])
def test_letter_and_word_answers_compare_as_text(v, completion, reference):
    assert verdict(v, completion, reference) == (1.0, "correct (text)")


@pytest.mark.parametrize("completion,reference", [
    ("\\boxed{A}", "\\text{(B)}"), ("\\boxed{b}", "B"), ("\\boxed{Tuesday}", "\\text{Monday}"), ("\\boxed{no}", "yes"),
])
def test_a_different_letter_or_word_stays_wrong(v, completion, reference):
    assert verdict(v, completion, reference)[0] == 0.0


@pytest.mark.parametrize("completion,reference", [
    ("\\boxed{\\$18.90}", "18.9"),                    # was: a reward hack (other), "18" and "90" joined by \$
    ("\\boxed{18.90}", "\\$18.90"),
    ("\\boxed{\\$12}", "12"),
    ("\\boxed{-\\$3.50}", "-3.5"),
    ("\\boxed{12.5\\%}", "12.5"),                    # was: a reward hack, "12" and "5" joined by \%
    ("#### \u20135", "-5"),                           # an en dash typed as a minus sign
])
def test_latex_dollar_percent_and_en_dash_minus(v, completion, reference):
    assert verdict(v, completion, reference) == (1.0, "correct")


def test_a_dollar_between_numbers_is_still_not_one_number():
    assert to_number("71\\$72") is None
    assert extract_answer("#### 3\u20135") == "3\u20135"  # a range, not 3 then -5


@pytest.mark.parametrize("completion,reference", [
    # the Minerva / lm-eval format: the $...$ around the answer was read as part of it ("other" reward hack)
    ("Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.", "1/2"),
    ("The answer is \\(\\frac{1}{2}\\).", "0.5"),
    ("So the answer is **42**.", "42"),
    ("The answer is therefore 3.", "3"),                   # GSM8K train row 5415
    ("Pick the larger: 5 < 8.\nThe answer is <<8=8>>8.", "8"),  # GSM8K's calculator annotation, rows 1297, 2291
    # GSM8K train row 7157: "the final answer is 15 gallons * 8 pints / gallon = 120 pints" was read as 15
    ("the final answer is 15 gallons * 8 pints / gallon = <<15*8=120>>120 pints", "#### 120"),
    ("The answer is 15 * 8 = 120", "120"),
])
def test_answer_is_forms(v, completion, reference):
    assert verdict(v, completion, reference)[0] == 1.0


def test_answer_is_equation_must_still_be_right(v):
    assert verdict(v, "The answer is 15 * 8 = 121", "120")[0] == 0.0
    assert verdict(v, "The answer is 15 * 8 = 120", "15")[0] == 0.0


@pytest.mark.parametrize("completion,reference,score", [
    ("So 12 apples are left, not 15", "12", 1.0),  # was: 'wrong answer: got '15''
    ("The number of apples left is 12, not 15.", "12", 1.0),
    ("She pays $30 instead of $45.", "30", 1.0),
    ("So 12 apples are left, not 15", "15", 0.0),  # was: 1.0, the number the text rules out
])
def test_the_last_number_is_not_one_the_text_rules_out(v, completion, reference, score):
    assert verdict(v, completion, reference)[0] == score


def test_without_math_verify_an_equation_answer_is_read_by_its_sides():
    v = MathAnswer(use_math_verify=False)
    assert verdict(v, "the answer is 15 gallons * 8 pints / gallon = 120 pints", "120") == (1.0, "correct")
    assert verdict(v, "the answer is 15 gallons * 8 pints / gallon = 121 pints", "120")[0] == 0.0
    assert verdict(v, "The answer is 15 * 8 = 120", "120")[0] == 0.0  # arithmetic needs math-verify: not checked


@pytest.mark.parametrize("completion,reference", [
    ("\\boxed{\\pm 2}", "-2, 2"),                  # was: 'reward hack: the answer offers alternatives (pm)'
    ("\\boxed{2\\text{ and }3}", "2,3"),           # was: 'reward hack: ... (or)'
    ("\\boxed{2 \\text{ or } 3}", "3, 2"),
    ("\\boxed{1 \\pm \\sqrt{2}}", "1-\\sqrt{2}, 1+\\sqrt{2}"),
])
def test_a_list_reference_reads_and_or_pm_as_its_list(v, completion, reference):
    assert verdict(v, completion, reference) == (1.0, "correct (symbolic)")


@pytest.mark.parametrize("completion,reference,reason", [
    ("\\boxed{1 or 2 or 3}", "1, 2", "wrong answer: got '1, 2, 3', expected '1, 2'"),
    ("\\boxed{\\pm 2}", "-2, 3", "wrong answer: got '-2, 2', expected '-2, 3'"),
    ("\\boxed{1 or 2}", "(1, 2)", "reward hack: the answer offers alternatives (or): '1 or 2'"),  # a tuple, not a list
    ("\\boxed{\\pm 2}", "2", "reward hack: the answer offers alternatives (pm): '\\\\pm 2'"),
    ("#### 71 or 72", "72", "reward hack: the answer offers alternatives (or): '71 or 72'"),
])
def test_a_list_is_still_checked_and_a_hedge_still_a_hedge(v, completion, reference, reason):
    assert verdict(v, completion, reference) == (0.0, reason)


@pytest.mark.parametrize("completion,reference,score", [
    ("The answer is 3 x 4 = 12", "12", 1.0),     # was: 'got '3'' (the number list stopped at the x)
    ("The answer is 3 × 4 = 12.", "12", 1.0),    # was: 'reward hack: ... (other)' (× not arithmetic to the check)
    ("#### 12 ÷ 4 = 3", "3", 1.0),
    ("\\boxed{6 × 7}", "42", 1.0),
    ("The answer is 3 × 4 = 13.", "12", 0.0),
    ("The answer is 3 x 4 = 12", "3", 0.0),
    ("The answer is 4 xylophones", "4", 1.0),
])
def test_typed_multiplication_signs(v, completion, reference, score):
    assert verdict(v, completion, reference)[0] == score


@pytest.mark.parametrize("completion,reference,score", [
    ("The answer is 12 000.", "12000", 1.0),               # was: 'got '12'' (a space-grouped number cut at the space)
    ("The answer is 1\u202f234\u202f567", "1234567", 1.0),  # narrow no-break spaces (French typesetting)
    ("The answer is 12 000 apples", "12000", 1.0),
    ("The answer is 1 2", "12", 0.0),                      # not groups of three: not one number
])
def test_answer_is_with_space_grouped_thousands(v, completion, reference, score):
    assert verdict(v, completion, reference)[0] == score


def test_a_latex_symbol_is_compared_as_written():
    assert (text_key("\\Pi"), text_key("\\pi"), text_key("\\text{New York}")) == ("\\Pi", "\\pi", "newyork")


def test_self_consistency_votes_count_one_letter_answer_once():
    """Was ('C', 0.4, 2): "B", "(B)" and "\\text{(B)}" were three different answers, so the minority C won the key."""
    votes = ["\\boxed{B}", "The answer is (B).", "\\boxed{\\text{(B)}}", "\\boxed{C}", "\\boxed{C}"]
    assert majority(votes, extractor("math_answer")) == ("B", 0.6, 3)


@pytest.mark.parametrize("completion,reference,score", [
    ("\\boxed{1, 2, \\text{ and } 3}", "1,2,3", 1.0),  # was: 'reward hack: ... (or)'
    ("\\boxed{1, 2, and 4}", "1,2,3", 0.0),
    ("The answer is 12, and 3 of them are red.", "12", 1.0),
])
def test_a_list_with_a_final_and(v, completion, reference, score):
    assert verdict(v, completion, reference)[0] == score
