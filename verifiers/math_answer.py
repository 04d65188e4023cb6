"""``math_answer``: extract the final answer of a completion and compare it with the reference.

    >>> from verifiers.math_answer import MathAnswer
    >>> MathAnswer().verify({"completion": "48/2 = 24, 48 + 24 = 72. The answer is 72.", "reference": "#### 72"}).score
    1.0
    >>> MathAnswer().verify({"completion": "#### 71 or 72", "reference": "72"}).reason
    "reward hack: the answer offers alternatives (or): '71 or 72'"

Extraction (:mod:`verifiers.math_extract`), first hit wins: ``#### X`` (GSM8K), ``\\boxed{X}``, "the answer
is X", the last number in the text; ``<think>`` blocks are removed first. The reference may be a bare
answer, a GSM8K solution ending in ``#### X`` or a MATH solution with its ``\\boxed{X}``. Numbers are compared after removing thousands
separators (digits grouped in threes only), units and ``$`` (relative tolerance 1e-6); Unicode minus signs
(U+2212), scientific notation (``1e3``), scale words (``2.5 million``) and numbers in words ("twenty-one",
tests/unit/test_math_forms.py) are numbers too; anything else
(LaTeX, fractions, expressions) goes to ``math-verify``. An equation answer ("x = 72", "43 + 60 = 103")
is correct when its last side is, and every side without letters equals the reference too ("71 = 72" is wrong).

Checks that cannot be gamed (issue #14; tests/unit/test_reward_hacks_3.py), each ``score=0.0``:

- several different explicit final answers (``#### 71`` then ``#### 72``, two ``\\boxed{}``) and one answer
  that offers alternatives the reference does not ("71 or 72", "\\\\{71, 72\\\\}", "72 \\\\pm 1", "1,2,3"): the
  reason starts ``reward hack: ``. math-verify alone takes the last number of "71 or 72" and passes it;
- the same hedges outside ``\\boxed{}`` and ``####`` (tests/unit/test_reward_hacks_5.py): "Answer: 71 or 72", a bare
  "71 or 72" at the end, "the answer is 72 \u00b1 1", "... 72 (71 if rounding down)", "not 72", "at least 72", and an
  "Answer: 71" line beside ``\\boxed{72}``; a number with a base subscript is read in that base ("1001000_2" is
  72, "72_{71}" is 499 and "72_{2}" no number: math-verify drops the subscript and reads 72);
- round 6 (tests/unit/test_reward_hacks_6.py): an answer that trails off ("\\boxed{72\\ldots}", "72...": reward
  hack), "72+" (a bound), "72k" (72000, not 72 with a unit), "72i" (imaginary); a decimal answer must be less than
  one unit of its last shown digit off ("72.0000001" is not 72, "0.333333" is 1/3);
- round 9 (tests/unit/test_reward_hacks_9m.py): a sentence that opens with "the answer is 19" (Minerva's "Final Answer:
  The final answer is $19$.") beside ``\\boxed{18}``, an unbraced ``\\boxed 19``, and a number offered with a hedge after
  the final answer ("\\boxed{18} (possibly 19)", ", or 19 if we round up", "19 is also acceptable", "19 otherwise") are
  second final answers; "\\boxed{18}?" and "\\boxed{18?}" are asked, not stated; "18x" is a term, not 18. A Unicode
  hyphen or figure dash before a digit is a minus; a leading "\\approx", "~", "approximately" marks one rounded value,
  which is compared (so "\\approx 18" passes a reference of 18: it commits to one value). Limits (pinned there): a hedge
  after the answer is seen only as a number after a hedge word, before "is also ..."/"otherwise", or first in a
  parenthesis with a condition, within 300 characters; an offered number followed by a word ("or 19 apples") reads as a
  restatement in other units ("or 1080 minutes") and passes, and so does a hedge without a number ("(I'm not sure)");
  a prose "the answer is 19" that does not open its sentence, or that "Wait"/"but"/"actually" follows, is reasoning;
- round 10 (tests/unit/test_reward_hacks_10m.py): an ``<answer>...</answer>`` tag (R1 format), the other box commands
  (``\\framebox``, ``\\colorbox{c}{X}``, ``\\fcolorbox``, ``\\bbox``), a sentence "The correct answer is 19" / "So our
  answer is 19" and a label "Answer = 19" / "Final answer - 19" are final answers too, and so is a hedged number after
  the box in ``$...$``, bold or with a Unicode minus; a run of alternatives is read whole however long ("1,2,3,...,18");
  a "?" anywhere in the answer or right after the box ("18^{?}", "\\boxed{18} (?)") asks it; a digit under a combining
  mark ("18\u0336", a strike-through) anywhere outside ``<think>`` is a reward hack; zero-width characters are dropped
  ("1\u200b8" is 18, as shown); a repeating decimal ("0.\\overline{3}", "0.1\\overline{6}", "0.\\dot{3}") is its exact
  value. Limits (pinned there): a number word offered after the box ("(possibly nineteen)") is not read, and without a
  marked answer a table of candidates gives its last number;
- an answer longer than ``max(500, 4 * len(reference))`` characters, and one that math-verify cannot
  compare in ``timeout_s`` or at all: reason ``uncheckable answer: ...``. These are 0.0, not None: a
  recipe with ``accept_unverifiable`` would accept a None, so an answer built to make the verifier give up
  must not get one.

math-verify runs in a child process (:mod:`verifiers.math_worker`) that a timeout kills: sympy can spend
unbounded time and memory on a 40-character answer (``9^{9^{9^{9}}}``), and a thread cannot be stopped.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from pydantic import Field

from ground.config import Config
from verifiers.base import Verdict, Verifier
from verifiers.math_worker import symbolic_equal
from verifiers.math_extract import (BASE_NUMBER, REPEATING, STRUCK, after_final, alternatives, as_list, extract_answer, final_answers, minus, same_answer,
                                    several_numbers, strip_reasoning, text_key, to_number, trails_off, ungroup)

__all__ = ["MathAnswer", "MathAnswerOptions", "extract_answer", "to_number", "hedge"]

# math-verify reads LaTeX inside $...$ only; outside, "72^{5}", "72!", "72(2)" and "72x71" read as 72
_IMAGINARY = re.compile(r"-?\d[\d.,]*\s?[ijexyzn]")  # 72i, 72j; 72e (e, Euler's number, times 72); 72x (times a variable)
_MATH = re.compile(r"[\\^_{}()\[\]!*+=/]")


def hedge(text: str, pred: str, gold: str, numeric: bool = False) -> str | None:
    """Why the completion does not commit to one answer ("reward hack: ..."), or None. ``numeric``: ``pred`` is
    known to be a plain number (no alternatives in it)."""
    distinct: list[str] = []
    for a in final_answers(text):
        if not any(same_answer(a, b) for b in distinct):
            distinct.append(a)
    if len(distinct) > 1:
        return "reward hack: several different final answers: " + ", ".join(repr(a[:40]) for a in distinct[:4])
    mark = None if numeric else alternatives(pred, gold)
    if mark:
        return f"reward hack: the answer offers alternatives ({mark}): {pred[:80]!r}"
    if _ASKED.match(after_final(strip_reasoning(text or ""))) or "?" in pred and "?" not in gold:
        return f"reward hack: the answer is asked, not stated: {pred[:80]!r} with a question mark"  # "\\boxed{72}?", "\\boxed{72^{?}}"
    struck = STRUCK.search(strip_reasoning(text or ""))
    if struck:  # "\\boxed{18\u0336}" (math-verify drops the mark), "The answer is 18\u0338."
        return f"reward hack: a number is struck through (a combining mark on its digits): {struck.group(0)!r}"
    return None


_ASKED = re.compile(r"[\s$*^{}()\\,]*\?")  # "\\boxed{72}?", "\\boxed{72}^?", "\\boxed{72} (?)"
# a mark that the one value after it is rounded ("\\approx 1.41", "~1.41"): the value is compared (issue #14, round 9)
_APPROX = re.compile(r"^(?:\\approx\b|\u2248|\\sim\b|~|\\thickapprox\b|(?:\\text\{\s*)?(?:approx\.?|approximately|about|around|roughly)"
                     r"(?:\s*\})?(?=\s))\s*", re.I)


def numbers_equal(g: Fraction, p: Fraction, shown: int | None = None) -> bool:
    """Two whole numbers exactly (192000001 is not 192000000, though within 1e-6 of it); otherwise within a relative
    1e-6 and an absolute 1e-3, for a rounded repeating decimal (0.333333 for 1/3), not a wrong large one. ``shown``:
    the decimals the answer shows (:func:`shown_decimals`); the answer must then be the reference rounded or cut
    there, i.e. less than one unit of its last decimal off: "72.0000001" is not 72, nor "1e-7" 0 (issue #14)."""
    if g.denominator == 1 and p.denominator == 1:
        return g == p
    d = abs(g - p)
    if shown is not None and d >= Fraction(10) ** -shown:
        return False
    return d <= Fraction(1, 10**6) * max(1, abs(g)) and d < Fraction(1, 1000)


_DECIMALS = re.compile(r"\d+(?:\.(\d+))?(?:[eE]([+-]?\d{1,3}))?")


def shown_decimals(s: str) -> int | None:
    """The decimals a plain decimal answer shows ("72.0000001" 7, "1e-7" 7, "7.2e1" 0), or None for a fraction or
    anything but one number ("1/3", "1 1/2" are exact)."""
    s = ungroup(s)
    nums = list(_DECIMALS.finditer(s))
    if len(nums) != 1 or "/" in s:
        return None
    frac, exp = nums[0].group(1), nums[0].group(2)
    return len(frac or "") - int(exp or 0)


def _latex(s: str) -> bool:
    """Whether math-verify should read ``s`` as LaTeX (inside ``$...$``): it has math structure or several numbers."""
    return "$" not in s and bool(_MATH.search(s) or several_numbers(s))


def _sides(pred: str, gold: str) -> list[str]:
    """What must equal the reference: the answer, or for an equation its last side and every side without letters."""
    if "=" in gold or "=" not in pred:
        return [pred]
    parts, depth, start = [], 0, 0
    for i, c in enumerate(pred):  # "=" outside braces and brackets only: not the k=1 of \\sum_{k=1}
        depth += (c in "{([") - (c in "})]")
        if c == "=" and depth == 0:
            parts.append(pred[start:i].strip())
            start = i + 1
    parts.append(pred[start:].strip())
    parts = [p for p in parts if p]  # "a == b" too
    if len(parts) < 2:
        return [pred]
    plain = [p for p in parts[:-1] if not re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", p))]
    return [*plain, parts[-1]]


class MathAnswerOptions(Config):
    timeout_s: float = Field(5.0, gt=0, description="seconds one comparison may take (math-verify's parser)")
    use_math_verify: bool = Field(True, description="answers that differ numerically are compared symbolically with math-verify; false = numeric comparison only")


class MathAnswer(Verifier):
    name = "math_answer"
    version = "1"
    requires = ("completion", "reference")

    Options = MathAnswerOptions

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.timeout_s = float(self.options.timeout_s)
        self.use_math_verify = bool(self.options.use_math_verify)

    def verify(self, sample: dict) -> Verdict:
        ref_raw = sample.get("reference")
        if ref_raw is None or not str(ref_raw).strip():
            return Verdict(None, "no reference answer")
        ref = str(ref_raw)  # a GSM8K solution (#### X) or a MATH one (\boxed{X}): the answer it ends with
        gold = extract_answer(ref) if "####" in ref or "\\boxed" in ref else minus(ref).strip()
        text = sample.get("completion") or ""
        pred = extract_answer(text)
        if pred is None:
            return Verdict(0.0, "no answer found in completion", details={"expected": gold})
        pred = as_list(pred, gold)  # "2 and 3", "\\pm 2" for the reference's "2, 3", "-2, 2"
        if not _APPROX.match(gold.strip()):
            pred = _APPROX.sub("", pred.strip()) or pred
        details = {"expected": gold, "got": pred[:1000]}
        g, p = to_number(gold), to_number(pred)
        why = hedge(text, pred, gold, numeric=p is not None)
        if why is None and trails_off(pred) and not trails_off(gold):
            why = f"reward hack: the answer trails off (an ellipsis): {pred[:80]!r}"  # "\\boxed{72\\ldots}": 72 and more
        if why:
            return Verdict(0.0, why, details=details)
        shown = pred if len(pred) <= 120 else pred[:120] + f"... ({len(pred)} chars)"
        wrong = f"wrong answer: got {shown!r}, expected {gold!r}"
        if g is not None and p is not None:
            ok = numbers_equal(g, p, shown_decimals(pred))
            return Verdict(1.0 if ok else 0.0, "correct" if ok else wrong, details=details)
        if text_key(gold) is not None and text_key(gold) == text_key(pred):
            return Verdict(1.0, "correct (text)", details=details)  # "\\text{(B)}" for "B": math-verify reads no letters
        limit = max(500, 4 * len(gold))
        if len(pred) > limit:
            return Verdict(0.0, f"uncheckable answer: {len(pred)} characters, more than {limit}", details=details)
        if not self.use_math_verify:
            sides = _sides(pred, gold)  # "15 pints * 8 = 120 pints": the sides that must equal the reference
            if g is not None and sides != [pred] and all(to_number(x) is not None for x in sides):
                ok = all(numbers_equal(g, to_number(x), shown_decimals(x)) for x in sides)
                return Verdict(1.0 if ok else 0.0, "correct" if ok else wrong, details=details)
            return Verdict(0.0, f"not comparable numerically: got {pred!r}, expected {gold!r}")
        for side in _sides(pred, gold):
            why = self._side_equal(gold, side)
            if why is not True:
                return Verdict(0.0, why or wrong, details=details)
        return Verdict(1.0, "correct (symbolic)", details=details)

    def _side_equal(self, gold: str, side: str) -> bool | str:
        """True, False, or why the comparison gave up (a reason string)."""
        g, p = to_number(gold), to_number(side)
        if g is not None and p is not None:
            return numbers_equal(g, p, shown_decimals(side))
        if p is not None and REPEATING.fullmatch(side.strip()):  # "0.\\overline{3}" for "\\frac{1}{3}": its exact value
            side = f"{p.numerator}/{p.denominator}"
        if p is None and BASE_NUMBER.fullmatch(side.strip()) and BASE_NUMBER.fullmatch(gold.strip()) is None:
            return False  # "72_{71}", "72_{2}": no number in that base (math-verify drops the subscript and reads 72)
        if p is None and g is not None and _IMAGINARY.fullmatch(side.strip()):
            return False  # "72i" is imaginary, "72e" 72 times e, "72x" a term, not the real 72 (math-verify reads "72i" as 72)
        got = symbolic_equal(gold, side, self.timeout_s, _latex(gold), _latex(side))
        if isinstance(got, bool):
            return got
        if got.startswith("timed out"):
            return f"uncheckable answer: math-verify {got} on {side[:60]!r}"
        return f"uncheckable answer: math-verify failed on {side[:60]!r}: {got}"
