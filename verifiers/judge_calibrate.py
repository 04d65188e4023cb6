"""Calibrate an LLM judge against a small human-labelled set: how often does it agree?

    python -m verifiers.judge_calibrate --data data/judge_calibration.jsonl \\
        --engine hf_local --model smollm2-135m-instruct --max-tokens 64 --out judge_report.json

Each jsonl line is ``{"id", "prompt", "response", "label"}`` with ``label`` a score on the rubric's
scale (optionally ``engine``/``model`` of the generator, so the same-model rule applies). The judge
(:class:`verifiers.judge.Judge`) scores every item in one batch; the report compares its raw scores
with the labels:

- ``accuracy``: share of items where judge and label fall on the same side of ``threshold``
  (default: the middle of the scale); an unparsed judge answer counts as a disagreement.
  ``accuracy_parsed`` is the same over parsed items only, ``coverage`` the parsed share.
- ``kappa``: Cohen's kappa of that good/bad split (parsed items; null when undefined, i.e. when
  chance agreement is 1).
- ``spearman``: rank correlation of judge scores with labels (parsed items, average ranks for ties).
- ``mae``: mean absolute error on the raw scale; ``confusion``: label good/bad x judge
  good/bad/unparsed counts; ``items``: per-item label, judge score and reason.

``factory judge-calibrate`` calls :func:`main`; the metric functions are pure and tested alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from ground.cli_parser import ArgumentParser
from verifiers.judge import Judge
from verifiers.llm import resolve_path

log = logging.getLogger(__name__)


def cohen_kappa(a: list, b: list) -> float | None:
    """Cohen's kappa of two equally long label lists; None if chance agreement is 1 (undefined)."""
    if len(a) != len(b):
        raise ValueError("cohen_kappa: lists differ in length")
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b)) / n
    cats = set(a) | set(b)
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    if pe >= 1.0:
        return None
    return (po - pe) / (1 - pe)


def _ranks(x: list[float]) -> list[float]:
    order = sorted(range(len(x)), key=lambda i: x[i])
    r = [0.0] * len(x)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        for k in range(i, j + 1):  # ties share the average of their positions
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's rho (Pearson on average ranks); None with < 2 items or a constant list."""
    if len(x) != len(y):
        raise ValueError("spearman: lists differ in length")
    if len(x) < 2:
        return None
    rx, ry = _ranks(x), _ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return cov / (vx * vy) ** 0.5


def agreement(labels: list[float], scores: list[float | None], threshold: float) -> dict[str, Any]:
    """The report's numbers from labels and judge raw scores (None = unparsed). Pure."""
    n = len(labels)
    pairs = [(lab, s) for lab, s in zip(labels, scores) if s is not None]
    good = lambda v: v >= threshold  # noqa: E731
    conf = {"label_good": {"judge_good": 0, "judge_bad": 0, "unparsed": 0},
            "label_bad": {"judge_good": 0, "judge_bad": 0, "unparsed": 0}}
    for lab, s in zip(labels, scores):
        col = "unparsed" if s is None else ("judge_good" if good(s) else "judge_bad")
        conf["label_good" if good(lab) else "label_bad"][col] += 1
    agree = sum(good(lab) == good(s) for lab, s in pairs)
    kappa = cohen_kappa([good(lab) for lab, _ in pairs], [good(s) for _, s in pairs]) if pairs else None
    rho = spearman([lab for lab, _ in pairs], [s for _, s in pairs])
    return {
        "n": n,
        "n_parsed": len(pairs),
        "coverage": len(pairs) / n if n else None,
        "threshold": threshold,
        "accuracy": agree / n if n else None,
        "accuracy_parsed": agree / len(pairs) if pairs else None,
        "kappa": kappa,
        "spearman": rho,
        "mae": sum(abs(lab - s) for lab, s in pairs) / len(pairs) if pairs else None,
        "confusion": conf,
    }


def load_items(path: str | Path, limit: int | None = None, scale: tuple[float, float] | None = None) -> list[dict]:
    """The labelled items of a jsonl file: one JSON object per line with string ``prompt`` and ``response`` and a
    numeric ``label`` (inside ``scale`` when given). Anything else is a ValueError naming the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    items = []
    for ln, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError as e:
            raise ValueError(f"{path}:{ln}: not valid JSON ({e})") from e
        if not isinstance(d, dict):
            raise ValueError(f"{path}:{ln}: expected a JSON object with prompt, response, label; got {type(d).__name__}")
        for k in ("prompt", "response", "label"):
            if k not in d:
                raise ValueError(f"{path}:{ln}: missing {k!r}")
        for k in ("prompt", "response"):
            if not isinstance(d[k], str):
                raise ValueError(f"{path}:{ln}: {k} must be a string, got {type(d[k]).__name__}")
        lab = d["label"]
        if isinstance(lab, bool) or not isinstance(lab, (int, float)) or lab != lab:
            raise ValueError(f"{path}:{ln}: label must be a number, got {lab!r}")
        if scale and not scale[0] <= lab <= scale[1]:
            raise ValueError(f"{path}:{ln}: label {lab} outside the judge's {scale[0]}-{scale[1]} scale")
        items.append(d)
    if not items:
        raise ValueError(f"{path}: no labelled items")
    return items[:limit] if limit else items


def calibrate(judge: Judge, items: list[dict], threshold: float | None = None) -> dict[str, Any]:
    """Run ``judge`` over labelled items (one batch) and return the agreement report."""
    lo, hi = judge.cfg.min_scale, judge.cfg.max_scale
    for it in items:
        if not lo <= it["label"] <= hi:
            raise ValueError(f"item {it.get('id')!r}: label {it['label']} outside the judge's {lo}-{hi} scale")
    rows = [{"id": str(it.get("id", i)), "messages": [{"role": "user", "content": it["prompt"]}],
             "completion": it["response"], "engine": it.get("engine"), "model": it.get("model")}
            for i, it in enumerate(items)]
    verdicts = judge.verify_batch(rows)
    raw = [v.details.get("raw_score") if v.score is not None else None for v in verdicts]
    thr = (lo + hi) / 2 if threshold is None else float(threshold)
    report = agreement([float(it["label"]) for it in items], raw, thr)
    report["judge"] = judge.cfg.judge.label()
    report["scale"] = [lo, hi]
    report["items"] = [{"id": r["id"], "label": it["label"], "judge": s, "reason": v.reason}
                       for r, it, s, v in zip(rows, items, raw, verdicts)]
    return report


def _option(s: str) -> tuple[str, Any]:
    if "=" not in s:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {s!r}")
    k, v = s.split("=", 1)
    try:
        return k, json.loads(v)
    except ValueError:
        return k, v


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="factory judge-calibrate", description="agreement of an LLM judge with human labels")
    p.add_argument("--data", default="data/judge_calibration.jsonl",
                   help="labelled jsonl: prompt, response, label (relative: current directory, then project root)")
    p.add_argument("--rubric", default="recipes/rubrics/helpfulness.md", help="rubric file (the judge prompt)")
    p.add_argument("--engine", default="hf_local", help="judge engine")
    p.add_argument("--model", default="smollm2-135m-instruct", help="judge model")
    p.add_argument("--option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="engine option (value parsed as JSON when it is JSON), repeatable")
    p.add_argument("--max-tokens", type=int, default=128, help="judge max new tokens")
    p.add_argument("--temperature", type=float, default=0.0, help="judge sampling temperature")
    p.add_argument("--min-scale", type=int, default=1)
    p.add_argument("--max-scale", type=int, default=10)
    p.add_argument("--threshold", type=float, default=None, help="good/bad cut on the raw scale (default: middle)")
    p.add_argument("--limit", type=int, default=None, help="use the first N items")
    p.add_argument("--out", default=None, help="also write the full report (with per-item results) here as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.limit is not None and args.limit < 1:
            raise ValueError(f"--limit: must be >= 1, got {args.limit}")
        # every row checked (scale included) before the judge model loads
        items = load_items(resolve_path(args.data), args.limit, (args.min_scale, args.max_scale))
        judge = Judge(judge={"engine": args.engine, "model": args.model, "options": dict(args.option),
                             "sampling": {"max_tokens": args.max_tokens, "temperature": args.temperature}},
                      rubric=args.rubric, min_scale=args.min_scale, max_scale=args.max_scale)
        try:
            report = calibrate(judge, items, args.threshold)
        finally:
            judge.close()
    except (OSError, ValueError) as e:
        print(f"judge-calibrate: {e}", file=sys.stderr)
        return 2
    errors = [i["reason"] for i in report["items"] if i["judge"] is None and str(i["reason"]).startswith("judge error")]
    if errors and len(errors) == len(report["items"]):  # no agreement was measured: the judge never ran
        print(f"judge-calibrate: the judge failed on all {len(errors)} items: {errors[0]}", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    summary = {k: v for k, v in report.items() if k != "items"}
    print(json.dumps(summary, indent=2))  # a CLI entry point: the report is its output
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
