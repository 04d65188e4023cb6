"""Answer forms that real teachers write and ``math_answer`` must read: Unicode minus signs, numbers in words,
scientific notation and scale words; and the forms that must stay wrong or unreadable."""

from fractions import Fraction

import pytest

from tests.conftest import math_verdict as verdict
from verifiers.math_answer import MathAnswer
from verifiers.math_extract import to_number, words_number


@pytest.fixture(scope="module")
def v():
    return MathAnswer()


@pytest.mark.parametrize("completion,reference", [
    ("The answer is \u22125", "-5"),              # U+2212 MINUS SIGN, as typeset math and many chat UIs write it
    ("#### \uff0d12", "-12"),                      # fullwidth hyphen-minus
    ("The answer is -5", "\u22125"),              # a reference with the Unicode sign
    ("The answer is five.", "5"),
    ("So the answer is twenty-one apples.", "21"),
    ("The answer is one hundred and five", "#### 105"),
    ("The answer is 1e3", "1000"),
    ("The answer is 2.5E-3", "0.0025"),
    ("The answer is 2.5 million", "2500000"),
    ("\\boxed{5 thousand}", "5000"),
])
def test_forms_that_are_right(v, completion, reference):
    assert verdict(v, completion, reference) == (1.0, "correct")


@pytest.mark.parametrize("completion,reference,reason", [
    ("The answer is 5 thousand", "5", "wrong answer: got '5 thousand', expected '5'"),  # was read as 5
    ("The answer is \u22125", "5", "wrong answer: got '-5', expected '5'"),
    ("The answer is 1e3", "1", "wrong answer: got '1e3', expected '1'"),              # was read as 1
    ("The answer is five", "6", "wrong answer: got 'five', expected '6'"),
])
def test_forms_that_are_wrong(v, completion, reference, reason):
    assert verdict(v, completion, reference) == (0.0, reason)


def test_hedged_number_words_are_still_a_hedge(v):
    score, reason = verdict(v, "The answer is five or six", "5")
    assert score == 0.0 and reason.startswith("reward hack:"), reason


@pytest.mark.parametrize("text,value", [
    ("five", 5), ("Twenty-One", 21), ("minus three", -3), ("twelve hundred", 1200), ("zero", 0),
    ("three thousand four hundred and two", 3402), ("one million two hundred thousand", 1_200_000),
    ("one two", None), ("twenty eleven", None), ("a lot", None), ("none", None), ("eleventy", None), ("", None),
])
def test_words_number(text, value):
    assert words_number(text) == value


def test_huge_exponents_are_not_numbers_and_do_not_hang():
    assert to_number("1e999999999") is None  # Fraction() of it would build a billion-digit int
    assert to_number("1e308") == Fraction(10) ** 308


def test_a_math_solution_as_reference_is_checked_against_its_boxed_answer(v):
    """MATH's `solution` field holds the worked solution: its last \\boxed{} is the answer, as #### is GSM8K's
    (the whole solution was the 'expected' text, compared symbolically in a child process)."""
    ref = "We have $x^2 = 4$, so $x = 2$ since $x > 0$. Therefore the answer is $\\boxed{2}$."
    assert verdict(v, "So x = 2. \\boxed{2}", ref) == (1.0, "correct")
    assert verdict(v, "So x = 3. \\boxed{3}", ref) == (0.0, "wrong answer: got '3', expected '2'")
