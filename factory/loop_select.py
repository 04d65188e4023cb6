"""The closed loop's choices, as pure functions: the dev split, the clean pool, and which prompts a round gets.

    >>> from factory.loop_select import choose_random, split_pool
    >>> dev, cands, dropped = split_pool(pool, test, 40, seed=0)   # dev from the TRAINING pool minus test copies
    >>> first = choose_random(cands, 40, used=set(), seed=0)

Items are dicts with ``id``, ``text`` (the prompt) and optionally ``category``. The test split never
chooses anything: only dev verdicts reach :func:`choose_nearest` / :func:`choose_by_category`, and every
chosen prompt passes :func:`assert_clean` against the test split and dev before a round is generated.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np

from curation.dedup.near_copy import near_copies
from ground.errors import FactoryError


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


def contaminated(items: list[dict], protected: list[dict], options: dict | None = None, name: str = "protected") -> dict[str, str]:
    """id -> the decontamination matcher's reason (``contaminated: <name>_split#<protected id> ...``) for items that
    copy a protected item: :class:`curation.dedup.decontam.Decontaminate` with ``protected`` as its only benchmark
    and ``options`` (a recipe's ``dedup.decontam``, else its defaults): exact copies of an item of any length
    (case, spacing, punctuation folded), containment of items of ``min_item_tokens`` words or more, rewrites
    where the options turn masked n-grams, templates or embeddings on."""
    import tempfile

    from curation.dedup.decontam import Decontaminate
    from curation.plan import build_dedup_config
    from ground.record import REJECTED, new_sample

    if not items or not protected:
        return {}
    opts = {k: v for k, v in (options or {}).items() if k not in ("on", "compare", "benchmarks", "allow_partial")}
    with tempfile.TemporaryDirectory(prefix=f"loop-{name}-split-") as d:
        path = Path(d) / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"id": t["id"], "text": t["text"]}, ensure_ascii=False) + "\n" for t in protected))
        opts.update(compare="prompt", allow_partial=True,
                    benchmarks=[{"name": f"{name}_split", "path": str(path), "field": "text", "id_field": "id"}])
        rows = [new_sample(stage="loop", prompt_id=it["id"], sample_index=0, messages=[{"role": "user", "content": it["text"]}])
                for it in items]
        rows = Decontaminate(build_dedup_config("decontam", opts))(rows)
    out = {r["prompt_id"]: r["reject_reason"] for r in rows if r["status"] == REJECTED}
    return {**near_copies([it for it in items if it["id"] not in out], protected, f"{name}_split"), **out}


def matched_item(reason: str) -> str:
    """The protected item's id in a reason of :func:`contaminated`."""
    from curation.dedup.decontam import REASON_RE

    m = REASON_RE.match(reason)
    return m["item"] if m else reason


def clean_pool(pool: list[dict], protected: list[dict], options: dict | None = None,
               name: str = "protected") -> tuple[list[dict], dict[str, str]]:
    """(candidates, dropped id -> the matcher's reason): the pool without anything that copies a protected item."""
    bad = contaminated(pool, protected, options, name)
    return [it for it in pool if it["id"] not in bad], bad


def split_pool(pool: list[dict], test: list[dict], dev_size: int, seed: int,
               options: dict | None = None) -> tuple[list[dict], list[dict], dict[str, str]]:
    """(dev, candidates, dropped id -> the matcher's reason). Pool items that copy a test item (:func:`contaminated`
    with the recipe's matcher ``options``) are dropped FIRST, so dev is carved from the clean pool only: a test copy
    in dev would choose the next round's prompts through its dev verdict (its nearest neighbours, its category's
    weight). The rest is then cleaned against dev the same way."""
    clean, dropped = clean_pool(pool, test, options, "test")
    if dev_size >= len(clean):  # was "(the pool has N)" with N the pool less its test copies, not the pool the user wrote
        raise FactoryError(f"loop.dev_size: {dev_size} leaves no training prompts (the pool has {len(pool)}"
                           + (f", {len(dropped)} of them dropped as copies of test items: {len(clean)} left)" if dropped else ")"))
    dev, rest = carve_dev(clean, dev_size, seed)
    cands, near_dev = clean_pool(rest, dev, options, "dev")
    if not cands:  # a round would run on no prompts and fail deep in the run
        raise FactoryError(f"loop: no training prompts left: the pool has {len(pool)}, {len(dropped)} copy test items, dev takes "
                           f"{len(dev)} and the other {len(near_dev)} copy dev items; lower loop.dev_size or add pool prompts")
    return dev, cands, {**dropped, **near_dev}


def assert_clean(chosen: list[dict], test: list[dict], dev: list[dict], options: dict | None = None) -> None:
    """Raise if any chosen prompt copies a test or dev item (the proof a loop round records before it runs)."""
    for name, prot in (("test", test), ("dev", dev)):
        bad = contaminated(chosen, prot, options, name)
        if bad:
            cid, why = next(iter(bad.items()))
            raise FactoryError(f"loop: chosen prompt {cid} matches {name} item {matched_item(why)} ({len(bad)} in all: {why}): "
                               f"the {name} split must never be trained on")


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
