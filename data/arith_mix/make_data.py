"""Write pool.jsonl and test.jsonl: small arithmetic in four categories, for the closed loop (recipes/loop.yaml).

    python data/arith_mix/make_data.py      # deterministic: re-running rewrites the same files

Categories (source field ``category``): ``add2`` (two-digit + two-digit), ``add21`` (two-digit + one-digit),
``sub21`` (two-digit - one-digit), ``mul10`` (two-digit * 10): sums the bundled 135M teacher can get right with a
few-shot prompt, in four shapes. The training pool is skewed (70% ``add2``, 10% each of the others), the test split is balanced (25 each): a student trained on a random
draw of the pool sees few of the minority categories, so its failures are concentrated there, and a loop that
reads its failures on a dev split (carved from the pool) can go and fetch more of them. No question appears in
both files, nor twice (an addition or multiplication counts once whichever way round it is asked).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
POOL = {"add2": 420, "add21": 60, "sub21": 60, "mul10": 60}
TEST = {"add2": 25, "add21": 25, "sub21": 25, "mul10": 25}
SEED = 2026


def item(cat: str, rng: random.Random) -> tuple[tuple, str, int]:
    """(identity key, question, answer) of one random item of category ``cat``."""
    if cat == "add2":
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        return ("+", *sorted((a, b))), f"What is {a} + {b}?", a + b
    if cat == "add21":
        a, b = rng.randint(10, 99), rng.randint(2, 9)
        return ("+", *sorted((a, b))), f"What is {a} + {b}?", a + b
    if cat == "sub21":
        a, b = rng.randint(10, 99), rng.randint(2, 9)
        return ("-", a, b), f"What is {a} - {b}?", a - b
    a = rng.randint(10, 99)
    return ("*", a, 10), f"What is {a} * 10?", a * 10


def draw(counts: dict[str, int], prefix: str, rng: random.Random, seen: set) -> list[dict]:
    out = []
    for cat, n in counts.items():
        k = 0
        while k < n:
            key, q, ans = item(cat, rng)
            if key in seen:
                continue
            seen.add(key)
            out.append({"id": f"{prefix}-{cat}-{k:03d}", "question": q, "answer": str(ans), "category": cat})
            k += 1
    rng.shuffle(out)
    return out


def build(seed: int = SEED) -> tuple[list[dict], list[dict]]:
    rng, seen = random.Random(seed), set()
    test = draw(TEST, "test", rng, seen)
    return draw(POOL, "pool", rng, seen), test


if __name__ == "__main__":
    pool, test = build()
    for name, rows in (("pool", pool), ("test", test)):
        (HERE / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"wrote {HERE / (name + '.jsonl')}: {len(rows)} items")
