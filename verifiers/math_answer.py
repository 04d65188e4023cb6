"""``math_answer``: extract the final answer of a completion and compare it with the reference.

    >>> from verifiers.math_answer import MathAnswer
    >>> MathAnswer().verify({"completion": "48/2 = 24, 48 + 24 = 72. The answer is 72.", "reference": "#### 72"}).score
    1.0

Extraction order (first hit wins): ``#### X`` (GSM8K), ``\\boxed{X}``, "the answer is X", the last
number in the text. The reference may be a bare answer or a GSM8K solution ending in ``#### X``.
Numbers are compared after removing thousands separators, units and ``$`` (relative tolerance
1e-6); anything else (LaTeX, fractions, expressions) goes to ``math-verify``. math-verify's own
timeout uses ``signal.alarm``, which only works in the main thread, so we run it in a worker thread
with ``future.result(timeout)`` instead: that works from Ray actors and threads alike (a runaway
sympy call is abandoned, not killed, and the sample gets ``score=None``).
"""

from __future__ import annotations

import concurrent.futures as cf
import re
from fractions import Fraction
from typing import Any

from pydantic import Field

from ground.config import Config
from verifiers.base import Verdict, Verifier

_NUM = r"-?\$?\s*\d[\d,]*(?:\.\d+)?(?:/\d+)?"
_PATTERNS = [
    re.compile(r"####\s*(.+?)\s*$", re.M),
    re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}"),
    re.compile(r"answer is[:\s]*\$?\s*(" + _NUM[5:] + r"|[^\n.]+)", re.I),
]
_LAST_NUM = re.compile(_NUM)
_POOL: cf.ThreadPoolExecutor | None = None


def extract_answer(text: str) -> str | None:
    if not text:
        return None
    for pat in _PATTERNS:
        hits = pat.findall(text)
        if hits:
            return hits[-1].strip()
    nums = _LAST_NUM.findall(text)
    return nums[-1].strip() if nums else None


def to_number(s: str) -> Fraction | None:
    s = s.strip().rstrip(".").replace(",", "").replace("$", "").replace(" ", "")
    s = re.sub(r"^\\?\(|\\?\)$", "", s)
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:/(\d+))?[a-zA-Z%]*", s)
    if not m:
        return None
    try:
        v = Fraction(m.group(1))
        return v / int(m.group(2)) if m.group(2) else v
    except (ValueError, ZeroDivisionError):
        return None


def _symbolic_equal(gold: str, pred: str) -> bool:
    from math_verify import parse, verify

    def _p(s: str):  # math-verify finds LaTeX inside $...$; bare "\\frac{1}{2}" needs the delimiters
        return parse(f"${s}$" if "\\" in s and "$" not in s else s, parsing_timeout=None)

    g, p = _p(gold), _p(pred)
    return bool(g) and bool(p) and verify(g, p, timeout_seconds=None)


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
        pred = extract_answer(sample.get("completion") or "")
        if pred is None:
            return Verdict(0.0, "no answer found in completion", details={"expected": gold})
        g, p = to_number(gold), to_number(pred)
        if g is not None and p is not None:
            ok = abs(float(g) - float(p)) <= 1e-6 * max(1.0, abs(float(g)))
            return Verdict(1.0 if ok else 0.0, "correct" if ok else f"wrong answer: got {pred!r}, expected {gold!r}",
                           details={"expected": gold, "got": pred})
        if not self.use_math_verify:
            return Verdict(0.0, f"not comparable numerically: got {pred!r}, expected {gold!r}")
        global _POOL
        if _POOL is None:
            _POOL = cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="math-verify")
        fut = _POOL.submit(_symbolic_equal, gold, pred)
        try:
            ok = fut.result(timeout=self.timeout_s)
        except cf.TimeoutError:
            return Verdict(None, f"math-verify timed out after {self.timeout_s}s")
        return Verdict(1.0 if ok else 0.0, "correct (symbolic)" if ok else f"wrong answer: got {pred!r}, expected {gold!r}",
                       details={"expected": gold, "got": pred})
