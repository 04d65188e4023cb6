"""Answer keys by self-consistency: the majority answer of m samples, with the agreement rate.

    >>> from verifiers.answer_key import extractor, majority
    >>> majority(["3 + 4 = 7. #### 7", "It is 7", "#### 8", None], extractor("math_answer"))
    ('7', 0.5, 2)

An extractor turns a completion into a comparable answer (or None when it finds none). They are pluggable by
name; a verifier's name picks its own (``math_answer``: the math verifier's extraction and number
normalisation, so the key it writes is what that verifier then checks against); ``text`` (the default)
compares whole completions after NFKC, case and white-space normalisation. Third parties add one to
:data:`EXTRACTORS`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Callable

from verifiers.math_answer import extract_answer, hedge, to_number
from verifiers.math_extract import text_key

Extractor = Callable[[str], "str | None"]
_SPACE = re.compile(r"\s+")


def text_answer(text: str) -> str | None:
    """The whole completion, NFKC-normalised, lower case, white space collapsed, a final period dropped."""
    t = _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower().rstrip(".").strip()
    return t or None


def math_answer(text: str) -> str | None:
    """``math_answer``'s extraction; a number becomes its canonical form (``1,000.0`` -> ``1000``, ``0.5`` -> ``1/2``),
    a letter or word answer its text form (``\\text{(B)}`` -> ``B``, ``Monday`` -> ``monday``).
    A completion whose explicit final answers disagree (``#### 7`` then ``#### 8``) votes for nothing: the
    verifier rejects it as a hedge."""
    a = extract_answer(text or "")
    if a is None or hedge(text, a, a):
        return None
    n = to_number(a)
    if n is not None:
        return str(n)
    return text_key(a) or a.strip().rstrip(".")  # "(B)", "\\text{B}" and "B" are one vote


#: extractor name (a verifier's name, or ``text``) -> function
EXTRACTORS: dict[str, Extractor] = {"math_answer": math_answer, "text": text_answer}


def extractor(name: str | None) -> Extractor:
    if name is None:
        return text_answer
    if name not in EXTRACTORS:
        raise ValueError(f"unknown answer extractor {name!r}; known: {sorted(EXTRACTORS)}")
    return EXTRACTORS[name]


def extractor_for(verifier_names: list[str]) -> str:
    """The extractor of the first verifier that has one, else ``text``."""
    return next((v for v in verifier_names if v in EXTRACTORS), "text")


def majority(completions: list[str | None], extract: Extractor) -> tuple[str | None, float, int]:
    """(majority answer, agreement = its votes / len(completions), votes). A failed sample (None) or one without an
    extractable answer votes for nothing but still counts in the denominator. Ties go to the answer seen first."""
    answers = [extract(c) if c else None for c in completions]
    votes = Counter(a for a in answers if a is not None)
    if not votes or not completions:
        return None, 0.0, 0
    first = {a: i for i, a in reversed(list(enumerate(answers)))}
    best = max(votes, key=lambda a: (votes[a], -first[a]))
    return best, votes[best] / len(completions), votes[best]
