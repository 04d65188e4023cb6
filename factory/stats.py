"""Per-stage counts derived from the rows themselves (no shared counters needed on a cluster).

    >>> stage_stats(rows, ["source", "generate", "verify:math_answer", "dedup_exact"])
    {'source': {'in': 10, 'out': 9, 'dropped': {'bad JSON': 1}}, ...}

A stage's ``in`` is the number of rows no earlier stage rejected; ``out`` is ``in`` minus the rows
it rejected. Reasons are grouped by their text before the first ``:`` so that per-row details
("wrong answer: got '5', expected '7'") fold into one reason class ("wrong answer").
"""

from __future__ import annotations

import json
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


def cost_breakdown(rows: list[dict], recipe, stage_wall_s: float | None = None) -> dict:
    """Where the money and the GPU time went, per stage and per teacher.

    - ``generate.by_teacher[name]``: calls (cache misses), tokens, ``busy_seconds`` (sum of the rows'
      shares of batch wall time), ``gpu_seconds`` (busy x GPUs per replica), ``gpu_cost`` (at the
      teacher's ``prices.gpu_hour``), ``api_cost`` (token prices or the engine's own figure).
    - ``verify[name]``: what that verifier spent (LLM judges, critique-and-revise).
    - ``gpu.reserved_gpu_seconds``: replicas x GPUs per replica x the generate+verify wall time, i.e.
      what a cluster bills while the engines are up; ``utilisation`` = busy / reserved.
    The row's own ``cost`` column is the sum of its teacher and verifier parts, so ``total`` equals the
    sum of ``cost`` over all rows.
    """
    teachers = recipe.all_teachers()
    by_t: dict[str, dict] = {}
    verify: dict[str, float] = {}
    for r in rows:
        vcost = 0.0
        for name, vd in (json.loads(r["verdicts"]) if r.get("verdicts") else {}).items():
            c = float(vd.get("cost") or 0.0)
            verify[name] = verify.get(name, 0.0) + c
            vcost += c
        if r.get("completion") is None and not r.get("gen_seconds"):
            continue  # never reached a teacher (source reject) or the call failed before timing
        name = r.get("teacher") or "teacher"
        t = teachers.get(name)
        gpus = float(t.num_gpus) if t is not None else 0.0
        gpu_hour = float(t.prices.gpu_hour) if t is not None else 0.0
        d = by_t.setdefault(name, {"rows": 0, "calls": 0, "tokens_in": 0, "tokens_out": 0, "busy_seconds": 0.0,
                                   "gpu_seconds": 0.0, "gpu_cost": 0.0, "api_cost": 0.0})
        busy = float(r.get("gen_seconds") or 0.0)
        d["rows"] += 1
        d["calls"] += 0 if r.get("cache_hit") else 1
        d["tokens_in"] += int(r.get("tokens_in") or 0)
        d["tokens_out"] += int(r.get("tokens_out") or 0)
        d["busy_seconds"] += busy
        d["gpu_seconds"] += busy * gpus
        gcost = busy * gpus * gpu_hour / 3600.0
        d["gpu_cost"] += gcost
        d["api_cost"] += max(0.0, float(r.get("cost") or 0.0) - vcost - gcost)
    for d in by_t.values():
        for k in ("busy_seconds", "gpu_seconds"):
            d[k] = round(d[k], 3)
        for k in ("gpu_cost", "api_cost"):
            d[k] = round(d[k], 8)
    gen_total = sum(d["gpu_cost"] + d["api_cost"] for d in by_t.values())
    ver_total = sum(verify.values())
    total = gen_total + ver_total
    acc = sum(1 for r in rows if r.get("status") == "accepted")
    reserved = None
    if stage_wall_s:
        reserved = sum(t.replicas * t.num_gpus for t in teachers.values()) * stage_wall_s
    busy_gpu = sum(d["gpu_seconds"] for d in by_t.values())
    return {
        "generate": {"by_teacher": by_t, "total": round(gen_total, 8)},
        "verify": {k: round(v, 8) for k, v in verify.items()},
        "gpu": {"busy_gpu_seconds": round(busy_gpu, 3),
                "reserved_gpu_seconds": round(reserved, 3) if reserved is not None else None,
                "utilisation": round(busy_gpu / reserved, 4) if reserved else None},
        "total": round(total, 8),
        "per_accepted": round(total / acc, 8) if acc else None,
    }
