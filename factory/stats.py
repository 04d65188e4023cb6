"""Per-stage counts derived from the rows themselves (no shared counters needed on a cluster).

    >>> stage_stats(rows, ["source", "generate", "verify:math_answer", "dedup_exact"])
    {'source': {'in': 10, 'out': 9, 'dropped': {'bad JSON': 1}}, ...}

A stage's ``in`` is the number of rows no earlier stage rejected; ``out`` is ``in`` minus the rows
it rejected. Reasons are grouped by their text before the first ``:`` or ``;``, with numbers written as ``N``,
so that per-row details fold into one reason class: "wrong answer: got '5', expected '7'" -> "wrong answer",
"final answer has no number equal to the reference 118" -> "... the reference N".
"""

from __future__ import annotations

import json
import re
from collections import Counter


def reason_class(reason: str | None) -> str:
    r = re.sub(r"\s*\[[^\]]*\]$", "", reason or "unknown")  # drop a trailing "[file:line]" location
    return _NUMBER.sub("N", re.split(r"[:;]", r, maxsplit=1)[0].strip())[:80]


_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?(?![\w])")


def reason_of(reason: str | None) -> str:
    """The bounded category of a reject reason, for counting: ``"exact duplicate of 2eaea7..."`` ->
    ``"exact duplicate"``, ``"wrong answer: got '5', expected '7'"`` -> ``"wrong answer"``. The row keeps the detail."""
    return _DUP_RE.sub(r"\1", reason_class(reason))


_DUP_RE = re.compile(r"^(exact duplicate|near-duplicate) of \S+.*$")
_SUMS = ("tokens_in", "tokens_out", "gen_seconds", "cost")


def reached_teacher(r: dict) -> bool:
    """Whether a teacher answered the row, from the cache or by a call, a failed call included (its result set
    ``finish_reason``): source rejects, budget refusals and rows no engine took have none. ``cache_misses``, the
    cost breakdown's ``calls`` and the generation's ``teacher_calls`` all count these rows less the cache hits."""
    return (r.get("finish_reason") is not None or r.get("completion") is not None or bool(r.get("gen_seconds"))
            or r.get("reject_stage") == "generate")


def partial(rows: list[dict], recipe_teachers: dict | None = None) -> dict:
    """Mergeable counters of a batch of rows (:func:`merge`): what a worker returns instead of its rows."""
    p: dict = {"rows": 0, "accepted": 0, "cache_hits": 0, "generated": 0, "dropped": {}, "sums": dict.fromkeys(_SUMS, 0.0),
               "teachers": {}, "verify": {}, "cache_cost": 0.0}
    for r in rows:
        p["rows"] += 1
        p["accepted"] += r.get("status") == "accepted"
        p["cache_hits"] += bool(r.get("cache_hit"))
        p["generated"] += reached_teacher(r)
        for k in _SUMS:
            p["sums"][k] += float(r.get(k) or 0)
        if r.get("status") == "rejected":
            d = p["dropped"].setdefault(r.get("reject_stage"), {})
            c = reason_of(r.get("reject_reason"))
            d[c] = d.get(c, 0) + 1
        _cost_row(p, r, recipe_teachers or {})
    return p


def merge(a: dict, b: dict) -> dict:
    """Sum two partials (numbers add, dicts merge recursively)."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict):
            out[k] = merge(a.get(k, {}), v)
        else:
            out[k] = (a.get(k) or 0) + v
    return out


def stage_stats(rows_or_partial, stages: list[str]) -> dict[str, dict]:
    p = rows_or_partial if isinstance(rows_or_partial, dict) else partial(rows_or_partial)
    by_stage = {s: Counter() for s in stages}
    for st, d in p["dropped"].items():
        by_stage.setdefault(st, Counter()).update(d)
    out, live = {}, p["rows"]
    for s in list(by_stage):
        dropped = sum(by_stage[s].values())
        out[s] = {"in": live, "out": live - dropped, "dropped": dict(by_stage[s].most_common())}
        live -= dropped
    return out


def summary(rows_or_partial) -> dict:
    p = rows_or_partial if isinstance(rows_or_partial, dict) else partial(rows_or_partial)
    acc, cost = p["accepted"], p["sums"]["cost"]
    return {
        "rows": p["rows"],
        "accepted": acc,
        "rejected": p["rows"] - acc,
        "tokens_in": int(p["sums"]["tokens_in"]),
        "tokens_out": int(p["sums"]["tokens_out"]),
        "teacher_seconds": round(p["sums"]["gen_seconds"], 3),
        "cost": round(cost, 6),
        "cost_per_accepted": round(cost / acc, 8) if acc else None,
        "cache_hits": p["cache_hits"],
        "cache_misses": p["generated"] - p["cache_hits"],
        "cache_cost": round(p.get("cache_cost", 0.0), 6),
    }


def _verify_costs(r: dict) -> dict[str, float]:
    return {name: float(vd.get("cost") or 0.0) for name, vd in (json.loads(r["verdicts"]) if r.get("verdicts") else {}).items()}


def paid_of(r: dict) -> float:
    """What producing row ``r`` paid in the invocation that made it: its whole ``cost`` when its teacher was called,
    only its verifiers' part when the answer came from the request cache (the row keeps the answer's price)."""
    return float(r.get("cost") or 0.0) if not r.get("cache_hit") else sum(_verify_costs(r).values())


def _cost_row(p: dict, r: dict, teachers: dict) -> None:
    vcost = 0.0
    for name, c in _verify_costs(r).items():
        p["verify"][name] = p["verify"].get(name, 0.0) + c
        vcost += c
    if not reached_teacher(r):
        return  # never reached a teacher (a source reject, a budget refusal)
    name = r.get("teacher") or "teacher"
    gpus, gpu_hour = teachers.get(name, (0.0, 0.0))
    d = p["teachers"].setdefault(name, {"rows": 0, "calls": 0, "tokens_in": 0, "tokens_out": 0, "busy_seconds": 0.0,
                                        "gpu_seconds": 0.0, "gpu_cost": 0.0, "api_cost": 0.0, "cache_cost": 0.0})
    d.setdefault("cache_cost", 0.0)
    d["rows"] += 1
    d["tokens_in"] += int(r.get("tokens_in") or 0)
    d["tokens_out"] += int(r.get("tokens_out") or 0)
    teacher_cost = max(0.0, float(r.get("cost") or 0.0) - vcost)
    if r.get("cache_hit"):  # the price of an answer reused from the request cache: paid when it was made
        d["cache_cost"] += teacher_cost
        p["cache_cost"] = p.get("cache_cost", 0.0) + teacher_cost
        return
    busy = float(r.get("gen_seconds") or 0.0)
    gcost = busy * gpus * gpu_hour / 3600.0
    d["calls"] += 1
    d["busy_seconds"] += busy
    d["gpu_seconds"] += busy * gpus
    d["gpu_cost"] += gcost
    d["api_cost"] += max(0.0, teacher_cost - gcost)


def teacher_prices(recipe) -> dict[str, tuple[float, float]]:
    """name -> (GPUs per replica, dollars per GPU-hour): what :func:`partial` needs of the recipe (pickles small)."""
    return {n: (float(t.num_gpus), float(t.prices.gpu_hour)) for n, t in recipe.all_teachers().items()}


def cost_breakdown(rows_or_partial, recipe, stage_wall_s: float | None = None, busy_now: dict[str, float] | None = None) -> dict:
    """Where the money and the GPU time went, per stage and per teacher.

    - ``generate.by_teacher[name]``: calls (cache misses), tokens, ``busy_seconds`` (sum of the rows'
      shares of batch wall time), ``gpu_seconds`` (busy x GPUs per replica), ``gpu_cost`` (at the
      teacher's ``prices.gpu_hour``), ``api_cost`` (token prices or the engine's own figure) of the rows
      whose teacher was called, and ``cache_cost``: the price of the answers reused from the request cache
      (paid when they were made: by an earlier invocation of this run, or by another run sharing the cache).
    - ``verify[name]``: what that verifier spent (LLM judges, critique-and-revise).
    - ``gpu.reserved_gpu_seconds``: replicas x GPUs per replica x the generate+verify wall time, i.e.
      what a cluster bills while the engines are up; ``busy_gpu_seconds``: the GPU time of the calls made in
      that time (``busy_now``: teacher -> engine seconds of this invocation, the streaming job's count; without
      it, the rows'); ``utilisation`` = busy / reserved. A resumed run's rows hold the engine time of earlier
      invocations too: set against this invocation's reservation it read as over 100%.
    The row's own ``cost`` column is the sum of its teacher and verifier parts, so ``total`` equals the
    sum of ``cost`` over all rows.
    """
    p = rows_or_partial if isinstance(rows_or_partial, dict) else partial(rows_or_partial, teacher_prices(recipe))
    teachers = recipe.all_teachers()
    by_t = {n: dict(d) for n, d in p["teachers"].items()}
    for d in by_t.values():
        for k in ("busy_seconds", "gpu_seconds"):
            d[k] = round(d[k], 3)
        for k in ("gpu_cost", "api_cost", "cache_cost"):
            d[k] = round(d.get(k, 0.0), 8)
    gen_total = sum(d["gpu_cost"] + d["api_cost"] + d["cache_cost"] for d in by_t.values())
    verify = p["verify"]
    total = gen_total + sum(verify.values())
    acc = p["accepted"]
    reserved = sum(t.replicas * t.num_gpus for t in teachers.values()) * stage_wall_s if stage_wall_s else None
    busy_gpu = (sum(d["gpu_seconds"] for d in by_t.values()) if busy_now is None
                else sum(sec * float(teachers[t].num_gpus) for t, sec in busy_now.items() if t in teachers))
    return {
        "generate": {"by_teacher": by_t, "total": round(gen_total, 8)},
        "verify": {k: round(v, 8) for k, v in verify.items()},
        "gpu": {"busy_gpu_seconds": round(busy_gpu, 3),
                "reserved_gpu_seconds": round(reserved, 3) if reserved is not None else None,
                "utilisation": round(busy_gpu / reserved, 4) if reserved else None},
        "total": round(total, 8),
        "per_accepted": round(total / acc, 8) if acc else None,
    }
