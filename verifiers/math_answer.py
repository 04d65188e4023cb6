"""``math_answer``: extract the final answer of a completion and compare it with the reference.

    >>> from verifiers.math_answer import MathAnswer
    >>> MathAnswer().verify({"completion": "48/2 = 24, 48 + 24 = 72. The answer is 72.", "reference": "#### 72"}).score
    1.0
    >>> MathAnswer().verify({"completion": "#### 71 or 72", "reference": "72"}).reason
    "reward hack: the answer offers alternatives (or): '71 or 72'"

Extraction (:mod:`verifiers.math_extract`), first hit wins: ``#### X`` (GSM8K), ``\\boxed{X}``, "the answer
is X", the last number in the text; ``<think>`` blocks are removed first. The reference may be a bare
answer or a GSM8K solution ending in ``#### X``. Numbers are compared after removing thousands
separators (digits grouped in threes only), units and ``$`` (relative tolerance 1e-6); anything else
(LaTeX, fractions, expressions) goes to ``math-verify``. An equation answer ("x = 72", "43 + 60 = 103")
is correct when its last side is, and every side without letters equals the reference too ("71 = 72" is wrong).

Checks that cannot be gamed (issue #14; tests/unit/test_reward_hacks_3.py), each ``score=0.0``:

- several different explicit final answers (``#### 71`` then ``#### 72``, two ``\\boxed{}``) and one answer
  that offers alternatives the reference does not ("71 or 72", "\\\\{71, 72\\\\}", "72 \\\\pm 1", "1,2,3"): the
  reason starts ``reward hack: ``. math-verify alone takes the last number of "71 or 72" and passes it;
- an answer longer than ``max(500, 4 * len(reference))`` characters, and one that math-verify cannot
  compare in ``timeout_s`` or at all: reason ``uncheckable answer: ...``. These are 0.0, not None: a
  recipe with ``accept_unverifiable`` would accept a None, so an answer built to make the verifier give up
  must not get one.

math-verify's own timeout uses ``signal.alarm``, which only works in the main thread, so we run it in a
worker thread with ``future.result(timeout)`` instead: that works from Ray actors and threads alike. A
runaway sympy call is abandoned, not killed; the pool it blocks is replaced so later answers are not
queued behind it.
"""

from __future__ import annotations

import concurrent.futures as cf
import re
import threading
from typing import Any

from pydantic import Field

from ground.config import Config
from verifiers.base import Verdict, Verifier
from verifiers.math_extract import alternatives, extract_answer, final_answers, same_answer, to_number

__all__ = ["MathAnswer", "MathAnswerOptions", "extract_answer", "to_number", "hedge"]

_POOL: cf.ThreadPoolExecutor | None = None
_MATH = re.compile(r"[\\^_{}()\[\]!*+=/]")  # an answer with these is parsed as LaTeX
_POOL_LOCK = threading.Lock()


def hedge(text: str, pred: str, gold: str) -> str | None:
    """Why the completion does not commit to one answer ("reward hack: ..."), or None."""
    distinct: list[str] = []
    for a in final_answers(text):
        if not any(same_answer(a, b) for b in distinct):
            distinct.append(a)
    if len(distinct) > 1:
        return "reward hack: several different final answers: " + ", ".join(repr(a[:40]) for a in distinct[:4])
    mark = alternatives(pred, gold)
    if mark:
        return f"reward hack: the answer offers alternatives ({mark}): {pred[:80]!r}"
    return None


def _symbolic_equal(gold: str, pred: str) -> bool:
    from math_verify import parse, verify

    def _p(s: str):  # math-verify reads LaTeX inside $...$ only; outside, "72^{5}", "72!" and "72(2)" read as 72
        return parse(f"${s}$" if "$" not in s and _MATH.search(s) else s, parsing_timeout=None)

    g, p = _p(gold), _p(pred)
    return bool(g) and bool(p) and verify(g, p, timeout_seconds=None)


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


def _submit(gold: str, pred: str) -> cf.Future:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="math-verify")
        return _POOL.submit(_symbolic_equal, gold, pred)


def _abandon_pool() -> None:
    """A timed-out call keeps its worker busy: later answers go to a fresh pool instead of queueing behind it."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False)
            _POOL = None


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
        gold = extract_answer(str(ref_raw)) if "####" in str(ref_raw) else str(ref_raw).strip()
        text = sample.get("completion") or ""
        pred = extract_answer(text)
        if pred is None:
            return Verdict(0.0, "no answer found in completion", details={"expected": gold})
        details = {"expected": gold, "got": pred[:1000]}
        why = hedge(text, pred, gold)
        if why:
            return Verdict(0.0, why, details=details)
        shown = pred if len(pred) <= 120 else pred[:120] + f"... ({len(pred)} chars)"
        wrong = f"wrong answer: got {shown!r}, expected {gold!r}"
        g, p = to_number(gold), to_number(pred)
        if g is not None and p is not None:
            ok = abs(float(g) - float(p)) <= 1e-6 * max(1.0, abs(float(g)))
            return Verdict(1.0 if ok else 0.0, "correct" if ok else wrong, details=details)
        limit = max(500, 4 * len(gold))
        if len(pred) > limit:
            return Verdict(0.0, f"uncheckable answer: {len(pred)} characters, more than {limit}", details=details)
        if not self.use_math_verify:
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
            return abs(float(g) - float(p)) <= 1e-6 * max(1.0, abs(float(g)))
        fut = _submit(gold, side)
        try:
            return bool(fut.result(timeout=self.timeout_s))
        except cf.TimeoutError:
            _abandon_pool()
            return f"uncheckable answer: math-verify timed out after {self.timeout_s:g}s on {side[:60]!r}"
        except Exception as e:  # noqa: BLE001 - sympy/antlr errors on adversarial LaTeX (RecursionError, ...)
            return f"uncheckable answer: math-verify failed on {side[:60]!r}: {type(e).__name__}"
