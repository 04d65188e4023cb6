"""Verifiers: one file per verifier, one ``Verifier`` protocol, a registry by name.

    >>> from verifiers import get_verifier
    >>> v = get_verifier("math_answer")
    >>> v.verify({"completion": "... so the answer is 72.", "reference": "72"}).score
    1.0
"""

from verifiers.base import Verdict, Verifier
from verifiers.registry import REGISTRY, get_verifier

__all__ = ["Verdict", "Verifier", "REGISTRY", "get_verifier"]
