"""Per-stage counts derived from the rows themselves (no shared counters needed on a cluster).

    >>> stage_stats(rows, ["source", "generate", "verify:math_answer", "dedup_exact"])
    {'source': {'in': 10, 'out': 9, 'dropped': {'bad JSON': 1}}, ...}

A stage's ``in`` is the number of rows no earlier stage rejected; ``out`` is ``in`` minus the rows
it rejected. Reasons are grouped by their text before the first ``:`` so that per-row details
("wrong answer: got '5', expected '7'") fold into one reason class ("wrong answer").
"""

from __future__ import annotations

import re
from collections import Counter


def reason_class(reason: str | None) -> str:
    r = re.sub(r"\s*\[[^\]]*\]$", "", reason or "unknown")  # drop a trailing "[file:line]" location
    return r.split(":", 1)[0].strip()[:80]


def stage_stats(rows: list[dict], stages: list[str]) -> dict[str, dict]:
    by_stage: dict[str, Counter] = {s: Counter() for s in stages}
    for r in rows:
        st = r.get("reject_stage")
        if r.get("status") == "rejected":
            by_stage.setdefault(st, Counter())[reason_class(r.get("reject_reason"))] += 1
    out, live = {}, len(rows)
    for s in list(by_stage):
        dropped = sum(by_stage[s].values())
        out[s] = {"in": live, "out": live - dropped, "dropped": dict(by_stage[s].most_common())}
        live -= dropped
    return out


def summary(rows: list[dict]) -> dict:
    acc = [r for r in rows if r.get("status") == "accepted"]
    cost = sum(r.get("cost") or 0.0 for r in rows)
    hits = sum(1 for r in rows if r.get("cache_hit"))
    gen = [r for r in rows if r.get("completion") is not None]
    return {
        "rows": len(rows),
        "accepted": len(acc),
        "rejected": len(rows) - len(acc),
        "tokens_in": sum(r.get("tokens_in") or 0 for r in rows),
        "tokens_out": sum(r.get("tokens_out") or 0 for r in rows),
        "teacher_seconds": round(sum(r.get("gen_seconds") or 0.0 for r in rows), 3),
        "cost": round(cost, 6),
        "cost_per_accepted": round(cost / len(acc), 8) if acc else None,
        "cache_hits": hits,
        "cache_misses": len(gen) - hits,
    }
