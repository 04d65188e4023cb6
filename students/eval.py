"""Eval: base student, trained student and teacher on held-out prompts, scored by the same verifiers.

    >>> from students.eval import evaluate
    >>> table = evaluate(recipe, adapter_dir="runs/gsm8k_demo/<run_id>/train/adapter")
    >>> table["student"]["accuracy"]

Held-out prompts come from ``eval.source`` (e.g. GSM8K test items: never in the training data).
Greedy decoding, the recipe's prompt template, and the recipe's verifiers: a row counts as
correct when every verifier accepts it. Results go to ``<run_dir>/eval/`` and the manifest.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from factory.record import ACCEPTED, from_table
from factory.stages import GenerateStep, VerifyStep

log = logging.getLogger(__name__)


def _eval_rows(recipe) -> list[dict]:
    from factory.pipeline import build_rows

    ev = recipe.model_copy(deep=True)
    ev.source = recipe.eval.source
    ev.teacher.n = 1
    ev.teacher.sampling = recipe.eval.sampling
    return build_rows(ev)


def score_model(recipe, engine: str, model: str, options: dict, rows: list[dict]) -> dict:
    rows = [dict(r) for r in rows]
    cfg = dict(engine=engine, name=f"eval:{model}", model=model, options=options, sampling=recipe.eval.sampling.model_dump(), prices={})
    gen = GenerateStep(cfg, cache_uri=None)
    try:
        rows = gen(rows)
    finally:
        gen.close()
    if recipe.verifiers:
        ver = VerifyStep([v.model_dump() for v in recipe.verifiers], accept_unverifiable=False)
        rows = ver(rows)
        ver.close()
    correct = sum(1 for r in rows if r["status"] == ACCEPTED)
    by_cat: dict[str, list[int]] = {}
    for r in rows:
        c = by_cat.setdefault(r.get("category") or "all", [0, 0])
        c[0] += r["status"] == ACCEPTED
        c[1] += 1
    return {"n": len(rows), "correct": correct, "accuracy": correct / len(rows) if rows else 0.0,
            "per_category": {k: {"correct": a, "n": b} for k, (a, b) in by_cat.items()}, "rows": rows}


def evaluate(recipe, adapter_dir: str | None) -> dict:
    rows = _eval_rows(recipe)
    table, samples = {}, {}
    t = recipe.teacher
    opts = {"batch_size": recipe.eval.batch_size}
    targets = []
    for m in recipe.eval.models:
        if m == "base":
            targets.append(("base", "hf_local", recipe.train.student if recipe.train else t.model, dict(opts)))
        elif m == "student":
            if adapter_dir is None:
                continue
            if (Path(adapter_dir) / "adapter_config.json").exists():
                targets.append(("student", "hf_local", recipe.train.student, {**opts, "adapter": adapter_dir}))
            else:  # a full fine-tune saved whole weights there
                targets.append(("student", "hf_local", adapter_dir, dict(opts)))
        elif m == "teacher":
            topts = dict(t.options)
            if t.engine == "hf_local":
                topts.update(opts)
            targets.append(("teacher", t.engine, t.model, topts))
    for label, engine, model, o in targets:
        log.info("eval: scoring %s (%s %s) on %d held-out prompts", label, engine, model, len(rows))
        res = score_model(recipe, engine, model, o, rows)
        samples[label] = res.pop("rows")
        table[label] = res
    return {"table": table, "samples": samples}


def eval_if_needed(recipe, store, train_info: dict | None) -> dict:
    base = store.local_path()
    done = Path(base) / "eval" / "DONE" if base else None
    if done and done.exists():
        return json.loads(done.read_text())
    adapter = train_info.get("adapter_dir") if train_info and train_info.get("status") == "done" else None
    res = evaluate(recipe, adapter)
    info = {"table": res["table"], "held_out": recipe.eval.source.path}
    if base:
        from factory.record import to_table
        from factory import fsutil

        for label, rows in res["samples"].items():
            fsutil.write_parquet_atomic(store.fs, store.p("eval", f"{label}.parquet"), to_table(rows))
        done.write_text(json.dumps(info))
    return info
