"""Seconds the template reader (curation.dedup.template_mask.template) takes on texts built to make its patterns
backtrack (many clause starts before a far "?", many clefts, runs of answer options), against a plain text of the
same length (GSM8K-like sentences repeated): the ratio should stay near 1 as the length grows (linear, not quadratic).

    python bench/template_worst_case.py            # lengths 20k, 80k, 320k characters
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.dedup.template_mask import template  # noqa: E402

PLAIN = "Janet has 16 eggs and sells them for $2 each at the market every day. "
HOSTILE = {
    "clause starts, one far '?'": ("Why? ", "x, Tom has how many y"),
    "clefts": ("Why? ", "What Tom has is how, "),
    "reversed clefts": ("Why? ", "Tom, apples was what he, "),
    "answer options": ("", "(A) 1 "),
    "glosses": ("5 apples ", "(one) "),
}


def secs(text: str) -> float:
    t0 = time.perf_counter()
    template(text)
    return time.perf_counter() - t0


def main() -> None:
    print(f"{'text':28s} {'chars':>8s} {'hostile s':>10s} {'plain s':>8s} {'ratio':>6s}")
    for size in (20_000, 80_000, 320_000):
        plain = secs((PLAIN * (size // len(PLAIN) + 1))[:size])
        for name, (head, unit) in HOSTILE.items():
            text = head + unit * (size // len(unit))
            s = secs(text)
            print(f"{name:28s} {len(text):8d} {s:10.3f} {plain:8.3f} {s / plain:6.1f}")


if __name__ == "__main__":
    main()
