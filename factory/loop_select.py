"""The closed loop's choices, as pure functions: the dev split, the clean pool, and which prompts a round gets.

    >>> from factory.loop_select import choose_random, split_pool
    >>> dev, cands, dropped = split_pool(pool, test, 40, seed=0)   # dev from the TRAINING pool minus test copies
    >>> first = choose_random(cands, 40, used=set(), seed=0)

Items are dicts with ``id``, ``text`` (the prompt) and optionally ``category``. The test split never
chooses anything: only dev verdicts reach :func:`choose_nearest` / :func:`choose_by_category`, and every
chosen prompt passes :func:`assert_clean` against the test split and dev before a round is generated.
"""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np

from curation.dedup import words
from ground.errors import FactoryError


def norm(text: str) -> str:
    """The decontamination key: lower-cased word tokens (punctuation and spacing ignored)."""
    return " ".join(words(text))


def carve_dev(pool: list[dict], size: int, seed: int) -> tuple[list[dict], list[dict]]:
    """(dev, rest): ``size`` pool items, the same for the same seed, stratified by category (round-robin over the
    categories in sorted order, each shuffled by ``seed``) so that a skewed pool still gives every category dev items."""
    if size >= len(pool):
        raise FactoryError(f"loop.dev_size: {size} leaves no training prompts (the pool has {len(pool)})")
    rng = random.Random(f"dev-{seed}")
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for it in pool:
        by_cat[it.get("category") or ""].append(it)
    queues = {c: rng.sample(v, len(v)) for c, v in sorted(by_cat.items())}
    dev: list[dict] = []
    while len(dev) < size:
        for c in sorted(queues):
            if queues[c] and len(dev) < size:
                dev.append(queues[c].pop())
    ids = {d["id"] for d in dev}
    return dev, [it for it in pool if it["id"] not in ids]


def contaminated(items: list[dict], protected: list[dict]) -> dict[str, str]:
    """id -> id of the protected item it matches: the same normalised text, or one containing the other."""
    keys = {norm(p["text"]): p["id"] for p in protected}
    long_keys = [(k, i) for k, i in keys.items() if len(k.split()) >= 3]
    out = {}
    for it in items:
        k = norm(it["text"])
        padded = f" {k} "  # whole words: "what is 47 5" is not inside "what is 47 56"
        hit = keys.get(k) or next((i for pk, i in long_keys if f" {pk} " in padded or (len(k.split()) >= 3 and padded in f" {pk} ")), None)
        if hit is not None:
            out[it["id"]] = hit
    return out


def clean_pool(pool: list[dict], protected: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """(candidates, dropped id -> matched protected id): the pool without anything that matches a protected item."""
    bad = contaminated(pool, protected)
    return [it for it in pool if it["id"] not in bad], bad


def split_pool(pool: list[dict], test: list[dict], dev_size: int, seed: int,
               flagged: dict[str, str] | None = None) -> tuple[list[dict], list[dict], dict[str, str]]:
    """(dev, candidates, dropped id -> matched test/dev id). Pool items that match a test item (or that ``flagged``
    names: id -> why, e.g. the decontamination matcher's rewritten copies) are dropped FIRST, so dev is carved from
    the clean pool only: a test copy in dev would choose the next round's prompts through its dev verdict (its
    nearest neighbours, its category's weight). The rest is then cleaned against dev."""
    clean, dropped = clean_pool(pool, test)
    flagged = flagged or {}
    dropped.update((it["id"], flagged[it["id"]]) for it in clean if it["id"] in flagged)
    clean = [it for it in clean if it["id"] not in flagged]
    dev, rest = carve_dev(clean, dev_size, seed)
    cands, near_dev = clean_pool(rest, dev)
    return dev, cands, {**dropped, **near_dev}


def assert_clean(chosen: list[dict], test: list[dict], dev: list[dict]) -> None:
    """Raise if any chosen prompt matches a test or dev item (the proof a loop round records before it runs)."""
    for name, prot in (("test", test), ("dev", dev)):
        bad = contaminated(chosen, prot)
        if bad:
            cid, pid = next(iter(bad.items()))
            raise FactoryError(f"loop: chosen prompt {cid} matches {name} item {pid} ({len(bad)} in all): the {name} "
                               "split must never be trained on")


def choose_random(cands: list[dict], n: int, used: set[str], seed: int | str) -> list[dict]:
    """``n`` candidates not in ``used``, uniformly at random (seeded)."""
    free = [c for c in cands if c["id"] not in used]
    return random.Random(f"random-{seed}").sample(free, min(n, len(free)))


def choose_nearest(cands: list[dict], cand_emb: np.ndarray, failed_emb: np.ndarray, n: int, used: set[str]) -> list[dict]:
    """``n`` unused candidates nearest (cosine of L2-normalised embeddings) to the failed dev items: round-robin over
    the failures, each taking its next-nearest candidate not taken yet, so that every failure gets neighbours."""
    if not len(failed_emb):
        return []
    sims = failed_emb @ cand_emb.T                       # failures x candidates
    order = np.argsort(-sims, axis=1, kind="stable")
    free = [c["id"] not in used for c in cands]
    taken: list[int] = []
    seen: set[int] = set()
    want = min(n, sum(free))
    rank = 0
    while len(taken) < want and rank < order.shape[1]:
        for f in range(order.shape[0]):
            j = int(order[f, rank])
            if free[j] and j not in seen and len(taken) < want:
                seen.add(j)
                taken.append(j)
        rank += 1
    return [cands[j] for j in taken]


def category_quota(fails: dict[str, int], available: dict[str, int], n: int) -> dict[str, int]:
    """Split ``n`` over categories in proportion to their dev failures (largest remainder), capped by what each
    category has left; what a capped category cannot take goes to the others by the same rule."""
    quota = {c: 0 for c in available}
    left = min(n, sum(available.values()))
    while left > 0:
        open_ = {c: fails.get(c, 0) for c in available if quota[c] < available[c]}
        if not open_:
            break
        total = sum(open_.values())
        weights = open_ if total else {c: 1 for c in open_}
        total = sum(weights.values())
        share = {c: left * w / total for c, w in weights.items()}
        floor = {c: int(x) for c, x in share.items()}
        rest = left - sum(floor.values())  # the rounding remainder only, to the largest fractions with weight
        for c in sorted(share, key=lambda c: (-(share[c] - floor[c]), c)):
            if rest > 0 and weights[c] > 0:
                floor[c] += 1
                rest -= 1
        give = {c: min(floor[c], available[c] - quota[c]) for c in share}  # a capped category's excess goes round again
        if not sum(give.values()):
            break
        for c, g in give.items():
            quota[c] += g
        left -= sum(give.values())
    return quota


def choose_by_category(cands: list[dict], fails: dict[str, int], n: int, used: set[str], seed: int | str) -> list[dict]:
    """``n`` unused candidates, each category's share in proportion to its dev failures, random within it."""
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for c in cands:
        if c["id"] not in used:
            by_cat[c.get("category") or ""].append(c)
    quota = category_quota(fails, {c: len(v) for c, v in by_cat.items()}, n)
    rng = random.Random(f"category-{seed}")
    out: list[dict] = []
    for cat in sorted(by_cat):
        out += rng.sample(by_cat[cat], quota[cat])
    return out
