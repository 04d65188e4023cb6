"""Write heldout.jsonl: 100 two-digit additions for the `make demo` eval, none the same sum as a train item.

    python data/distill_arith/make_heldout.py      # deterministic: re-running rewrites the same file

`test.jsonl` (the distill_arith benchmark's held-out set) asks 4 sums that train.jsonl asks the other way
round (87 + 69 vs 69 + 87); here every unordered pair {a, b} is new to train.jsonl and appears once.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
N, SEED = 100, 2026


def pair(question: str) -> tuple[int, ...]:
    """The unordered operands of "What is a + b?"

    >>> pair("What is 87 + 69?") == pair("What is 69 + 87?")
    True
    """
    return tuple(sorted(int(x) for x in re.findall(r"\d+", question)))


def heldout(train: list[dict], n: int = N, seed: int = SEED) -> list[dict]:
    seen = {pair(t["question"]) for t in train}
    rng, out = random.Random(seed), []
    while len(out) < n:
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        if pair(f"{a} {b}") in seen:
            continue
        seen.add(pair(f"{a} {b}"))
        out.append({"id": f"heldout-{len(out):03d}", "question": f"What is {a} + {b}?", "answer": str(a + b)})
    return out


if __name__ == "__main__":
    train = [json.loads(x) for x in (HERE / "train.jsonl").read_text().splitlines() if x.strip()]
    (HERE / "heldout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in heldout(train)))
    print(f"wrote {HERE / 'heldout.jsonl'}: {N} items")
