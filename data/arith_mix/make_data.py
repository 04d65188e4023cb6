"""Write pool.jsonl and test.jsonl: small arithmetic in four categories, for the closed loop (recipes/loop.yaml).

    python data/arith_mix/make_data.py      # deterministic: re-running rewrites the same files

Categories (source field ``category``): ``add2`` (two-digit + two-digit), ``add3`` (three-digit + three-digit),
``sub2`` (two-digit - two-digit, never negative), ``mul1`` (one-digit * two-digit). The training pool is skewed
(70% ``add2``, 10% each of the others), the test split is balanced (25 each): a student trained on a random
draw of the pool sees few of the minority categories, so its failures are concentrated there, and a loop that
reads its failures on a dev split (carved from the pool) can go and fetch more of them. No question appears in
both files, nor twice (an addition or multiplication counts once whichever way round it is asked).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
POOL = {"add2": 420, "add3": 60, "sub2": 60, "mul1": 60}
TEST = {"add2": 25, "add3": 25, "sub2": 25, "mul1": 25}
SEED = 2026


def item(cat: str, rng: random.Random) -> tuple[tuple, str, int]:
    """(identity key, question, answer) of one random item of category ``cat``."""
    if cat == "add2":
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        return ("+", *sorted((a, b))), f"What is {a} + {b}?", a + b
    if cat == "add3":
        a, b = rng.randint(100, 999), rng.randint(100, 999)
        return ("+", *sorted((a, b))), f"What is {a} + {b}?", a + b
    if cat == "sub2":
        a, b = sorted((rng.randint(10, 99), rng.randint(10, 99)), reverse=True)
        return ("-", a, b), f"What is {a} - {b}?", a - b
    a, b = rng.randint(2, 9), rng.randint(11, 99)
    return ("*", *sorted((a, b))), f"What is {a} * {b}?", a * b


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
