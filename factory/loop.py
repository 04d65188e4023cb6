"""The closed loop: the student's failures on a dev split choose the next round's prompts, with a control arm.

    factory loop recipes/loop.yaml [--seed S] [--no-control] [--rounds R] [--output-dir DIR]

    >>> from factory.loop import run_loop
    >>> state = run_loop("recipes/loop.yaml")            # -> <output.dir>/<name>/loop-<key>/loop.json

Round 1 sends ``loop.per_round`` random pool prompts (``source``, minus the dev split) through the whole
factory (:func:`factory.pipeline.run_recipe`: generate, verify, curate, train, evaluate on ``eval.source``).
After round r the student is scored on the dev split; its failures choose round r+1's new prompts
(:mod:`factory.loop_select`). Each round trains from the base student on everything its arm has
accumulated (round 1's prompts plus every later round's). The control arm shares round 1 and then gets the
same number of new prompts per round, drawn at random: the loop's claim is its round-r test accuracy minus the
control's. The test split never chooses anything: it is only scored, and every chosen prompt is checked
against it and against dev (:func:`factory.loop_select.assert_clean`) before its round runs.

Resume: ``loop.json`` records each finished (arm, round) with its chosen ids; a re-run with the same command
skips those and re-runs an unfinished round, whose ``run_recipe`` resumes in turn (same run id).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from ground.cli_parser import ArgumentParser
from factory.loop_select import assert_clean, choose_by_category, choose_nearest, choose_random, split_pool
from factory.recipe import LoopConfig, Recipe, load_recipe
from ground import fsutil
from ground.errors import FactoryError
from ground.record import ACCEPTED, sha
from ground.source import prompt_of, read_records

log = logging.getLogger(__name__)
ARMS = ("loop", "control")


# ---------------------------------------------------------------- items and splits

def read_items(recipe: Recipe, src, what: str) -> list[dict]:
    """``{id, text, category, data}`` per record of ``src`` (``what`` names it in errors)."""
    fm = src.fields
    if not fm.id:
        raise FactoryError(f"{what}.fields.id: the loop needs a stable id field to record what each round chose")
    out = []
    for rec in read_records(src, recipe.base_dir):
        text, err = prompt_of(rec, fm)
        if err or rec.data is None or rec.data.get(fm.id) is None:
            raise FactoryError(f"{what}: {rec.where}: {err or 'record without ' + fm.id}")
        cat = rec.data.get(fm.category) if fm.category else None
        out.append({"id": str(rec.data[fm.id]), "text": text, "category": None if cat is None else str(cat), "data": rec.data})
    if len({it["id"] for it in out}) < len(out):
        raise FactoryError(f"{what}.fields.id: ids repeat in {src.path}")
    return out


class Splits:
    """Pool, dev, test and the clean candidates, computed once per loop (deterministic in the seed)."""

    def __init__(self, recipe: Recipe, cfg: LoopConfig):
        if recipe.eval is None or recipe.train is None:
            raise FactoryError("loop: needs a train and an eval section (eval.source is the test split)")
        self.pool = read_items(recipe, recipe.source, "source")
        self.test = read_items(recipe, recipe.eval.source, "eval.source")
        self.options = decontam_options(recipe)
        self.dev, self.cands, self.dropped = split_pool(self.pool, self.test, cfg.dev_size, cfg.seed, self.options)
        self.by_id = {it["id"]: it for it in self.pool}
        self._emb = None

    def embeddings(self):
        """(candidate embeddings, dev id -> row) with MiniLM, once."""
        if self._emb is None:
            from curation.embedder import Embedder

            e = Embedder()
            cand = e.encode([c["text"] for c in self.cands])
            dev = e.encode([d["text"] for d in self.dev])
            self._emb = (cand, {d["id"]: dev[i] for i, d in enumerate(self.dev)})
        return self._emb


def decontam_options(recipe: Recipe) -> dict:
    """The recipe's ``dedup.decontam`` matcher options (else {}: the matcher's defaults), for the loop's split checks."""
    base = getattr(recipe.dedup, "decontam", None)
    return {} if base is None else (dict(base) if isinstance(base, dict) else base.model_dump())


# ---------------------------------------------------------------- choosing

def choose_next(splits: Splits, cfg: LoopConfig, arm: str, rnd: int, used: set[str], prev: dict | None, n: int) -> list[dict]:
    """Round ``rnd``'s new prompts for ``arm``: random in round 1 and for the control, else from ``prev``'s dev failures."""
    if rnd == 1 or arm == "control" or not prev or not prev["dev_failed"]:
        return choose_random(splits.cands, n, used, f"{cfg.seed}-{arm if rnd > 1 else 'loop'}-{rnd}")
    if cfg.strategy == "weight_categories":
        return choose_by_category(splits.cands, prev["dev_fail_by_category"], n, used, f"{cfg.seed}-{rnd}")
    import numpy as np

    cand, dev = splits.embeddings()
    return choose_nearest(splits.cands, cand, np.stack([dev[i] for i in prev["dev_failed"]]), n, used)


def _write_jsonl(path: Path, items: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(it["data"], ensure_ascii=False) + "\n" for it in items))
    tmp.replace(path)


def round_recipe(recipe: Recipe, cfg: LoopConfig, source: Path, models: list[str]) -> Recipe:
    """The recipe of one round: its accumulated prompts as the source, the loop's seed, eval on ``models``."""
    r = recipe.model_copy(deep=True)
    r.source = r.source.model_copy(update={"path": str(source), "limit": None, "offset": 0, "split": None, "format": "jsonl"})
    r.train = r.train.model_copy(update={"seed": cfg.seed})
    r.eval = r.eval.model_copy(update={"models": models})
    r.loop = None
    return r


# ---------------------------------------------------------------- one round

def dev_scores(rnd_recipe: Recipe, adapter: str | None, dev_file: Path) -> dict:
    """The student on the dev split: accuracy, failed ids and failures per category."""
    from students.eval import evaluate

    r = rnd_recipe.model_copy(deep=True)
    r.eval = r.eval.model_copy(update={"source": r.source.model_copy(update={"path": str(dev_file)}), "models": ["student"],
                                       "regression": None})
    res = evaluate(r, adapter, models=["student"], regression=False)
    rows = res["samples"].get("student", [])
    failed = sorted(row["prompt_id"] for row in rows if row["status"] != ACCEPTED)
    by_cat: dict[str, int] = {}
    for row in rows:
        if row["status"] != ACCEPTED:
            by_cat[row.get("category") or ""] = by_cat.get(row.get("category") or "", 0) + 1
    return {"dev_accuracy": res["table"]["student"]["accuracy"] if rows else 0.0, "dev_n": len(rows),
            "dev_failed": failed, "dev_fail_by_category": by_cat}


def _paid(res) -> float:
    """What a round's run paid (all its invocations); a run without that record: its corpus cost."""
    total = (getattr(res, "paid", None) or {}).get("run_total")
    return total if total is not None else float(res.summary.get("cost") or 0.0)


def run_round(recipe_file: str, recipe: Recipe, cfg: LoopConfig, splits: Splits, where: dict, arm: str, rnd: int,
              chosen: list[dict], new: list[dict]) -> dict:
    """Generate, curate, train and evaluate one (arm, round); then score dev. Returns its loop.json record."""
    from factory.pipeline import run_recipe

    assert_clean(chosen, splits.test, splits.dev, splits.options)  # the proof: raises before any teacher call
    t0 = time.time()
    src = where["dir"] / arm / f"round-{rnd}.jsonl"
    _write_jsonl(src, chosen)
    rr = round_recipe(recipe, cfg, src, ["student"])
    run_id = f"loop-{where['key']}-{arm}-r{rnd}"
    res = run_recipe(recipe_file, run_id=run_id, output_dir=where["out"], recipe=rr)
    test = (res.eval or {}).get("table", {}).get("student") or {}
    rec = {"arm": arm, "round": rnd, "run_id": run_id, "run_dir": res.run_dir, "prompts": len(chosen),
           "new_prompts": [c["id"] for c in new], "new_by_category": _count(c.get("category") or "" for c in new),
           "rows": res.summary.get("accepted", 0), "teacher_calls": res.summary.get("cache_misses", 0),
           # what the round paid (earlier rounds' prompts come from the request cache; their price is in the corpus cost)
           "cost": round(float(_paid(res)), 6), "test_accuracy": test.get("accuracy"),
           "test_n": test.get("n"), "test_per_category": test.get("per_category")}
    if cfg.dev_eval == "all" or (arm == "loop" and rnd < cfg.rounds):
        rec.update(dev_scores(rr, _adapter(recipe, where, run_id), where["dir"] / "dev.jsonl"))
    else:
        rec.update(dev_accuracy=None, dev_n=0, dev_failed=[], dev_fail_by_category={})
    rec["seconds"] = round(time.time() - t0, 1)
    return rec


def _adapter(recipe: Recipe, where: dict, run_id: str) -> str | None:
    """The student adapter a round's run trained, or None (training did not finish)."""
    from factory.store import RunStore

    train = (RunStore(where["out"], recipe.name, run_id).read_json("manifest.json") or {}).get("train") or {}
    return train.get("adapter_dir") if train.get("status") == "done" else None


def score_skipped_dev(recipe: Recipe, cfg: LoopConfig, where: dict, prev: dict) -> None:
    """Score dev for a loop round whose dev scoring ``dev_eval: choosing`` skipped as the last round, now that a
    later round (``--rounds`` raised) chooses from its failures; updates ``prev`` in place."""
    src = where["dir"] / prev["arm"] / f"round-{prev['round']}.jsonl"
    prev.update(dev_scores(round_recipe(recipe, cfg, src, ["student"]), _adapter(recipe, where, prev["run_id"]), where["dir"] / "dev.jsonl"))


def _count(xs) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- the loop

def loop_key(recipe: Recipe, cfg: LoopConfig) -> str:
    from factory.pipeline import fingerprint

    r = recipe.model_copy(deep=True)
    r.loop = None
    return sha(fingerprint(r), cfg.model_dump(mode="json", exclude={"control", "rounds", "dev_eval"}), n=10)


def loop_config(cfg: LoopConfig | None, overrides: dict | None) -> LoopConfig:
    """The recipe's ``loop`` section with the command line's overrides, validated like the recipe."""
    from pydantic import ValidationError

    d = {**(cfg or LoopConfig()).model_dump(by_alias=True), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    try:
        return LoopConfig.model_validate(d)
    except ValidationError as e:
        err = e.errors()[0]
        raise FactoryError(f"loop.{'.'.join(map(str, err['loc']))}: {err['msg']} (got {err.get('input')!r})") from None


def run_loop(recipe_file: str, output_dir: str | None = None, overrides: dict | None = None, say=print) -> dict:
    """Run (or resume) every round of both arms; returns the loop.json state."""
    recipe = load_recipe(recipe_file)
    if output_dir:
        recipe.output.dir = output_dir
    if "://" in recipe.output.dir:
        raise FactoryError("output.dir: the loop keeps its state on a local path (an object store is not supported yet)")
    cfg = loop_config(recipe.loop, overrides)
    if cfg.strategy == "weight_categories" and not recipe.source.fields.category:  # one category "": the control's random draw
        raise FactoryError("loop.strategy: weight_categories needs source.fields.category (the categories dev failures weight); "
                           "without it every prompt is in one category and the loop draws at random, as its control does")
    splits = Splits(recipe, cfg)
    key = loop_key(recipe, cfg)
    where = {"key": key, "out": recipe.output.dir, "dir": Path(recipe.output.dir) / recipe.name / f"loop-{key}"}
    where["dir"].mkdir(parents=True, exist_ok=True)
    _write_jsonl(where["dir"] / "dev.jsonl", splits.dev)
    state = _load_state(where["dir"], recipe_file, cfg, splits)
    arms = ARMS if cfg.control else ARMS[:1]
    for rnd in range(1, cfg.rounds + 1):
        for arm in arms:
            _one(recipe_file, recipe, cfg, splits, where, state, arm, rnd, say)
    state["status"] = "succeeded"
    _save(where["dir"], state)
    say(format_table(state))
    say(f"loop: {where['dir'] / 'loop.json'}  report: {where['dir'] / 'report.html'}")
    return state


def _one(recipe_file, recipe, cfg, splits, where, state, arm, rnd, say) -> None:
    done = {(r["arm"], r["round"]): r for r in state["rounds"]}
    if (arm, rnd) in done:
        say(f"loop: {arm} round {rnd} already done (test {done[(arm, rnd)]['test_accuracy']})")
        return
    if arm == "control" and rnd == 1:  # the arms share round 1: the control starts where the loop started
        state["rounds"].append({**done[("loop", 1)], "arm": "control", "shared_with": "loop"})
        _save(where["dir"], state)
        return
    mine = [r for r in state["rounds"] if r["arm"] == arm]
    used = {i for r in mine for i in r["new_prompts"]}
    prev = mine[-1] if mine else None
    n = cfg.per_round if arm == "loop" else len(done[("loop", rnd)]["new_prompts"])  # same budget as the loop's round
    if arm == "loop" and prev is not None and prev.get("dev_accuracy") is None:  # the last round once, under dev_eval: choosing
        score_skipped_dev(recipe, cfg, where, prev)
        _save(where["dir"], state)
    new = choose_next(splits, cfg, arm, rnd, used, prev, n)
    chosen = [splits.by_id[i] for i in sorted(used)] + new
    say(f"loop: {arm} round {rnd}: {len(new)} new prompts ({_count(c.get('category') or '' for c in new)}), {len(chosen)} in all")
    rec = run_round(recipe_file, recipe, cfg, splits, where, arm, rnd, chosen, new)
    state["rounds"].append(rec)
    _save(where["dir"], state)
    say(f"loop: {arm} round {rnd}: dev {_fmt(rec['dev_accuracy'])}  test {_fmt(rec['test_accuracy'])}  rows {rec['rows']}  "
        f"teacher calls {rec['teacher_calls']}  ({rec['seconds']:.0f}s)")


def _load_state(d: Path, recipe_file: str, cfg: LoopConfig, splits: Splits) -> dict:
    old = json.loads((d / "loop.json").read_text()) if (d / "loop.json").exists() else {}
    return {"recipe_file": recipe_file, "config": cfg.model_dump(mode="json", by_alias=True), "status": "running",
            "dev": [it["id"] for it in splits.dev], "test_n": len(splits.test), "pool": len(splits.pool),
            "candidates": len(splits.cands), "dropped_as_contaminated": splits.dropped,
            "rounds": old.get("rounds", [])}


def _save(d: Path, state: dict) -> None:
    state["claim"] = claim(state)
    fsutil.write_json_atomic(*fsutil.filesystem(str(d / "loop.json")), state)
    try:
        from factory.report import write_loop_report

        write_loop_report(str(d))
    except Exception as e:  # noqa: BLE001 - a report problem must not stop the loop
        log.warning("loop report.html not written: %s", e)


def claim(state: dict) -> dict | None:
    """Loop minus control test accuracy at the last round both arms finished after round 1."""
    acc = {(r["arm"], r["round"]): r["test_accuracy"] for r in state["rounds"]}
    # a round without a test accuracy (its run stopped on the budget, or trained nothing) makes no claim
    both = sorted(r for a, r in acc if a == "loop" and r > 1 and acc[(a, r)] is not None and acc.get(("control", r)) is not None)
    if not both:
        return None
    r = both[-1]
    return {"round": r, "loop": acc[("loop", r)], "control": acc[("control", r)],
            "loop_minus_control": round(acc[("loop", r)] - acc[("control", r)], 6), "round1": acc.get(("loop", 1))}


def table_rows(state: dict) -> list[list]:
    return [[r["arm"], r["round"], r["prompts"], r["rows"], r["teacher_calls"], f"{r['cost']:.4f}",
             _fmt(r.get("dev_accuracy")), _fmt(r.get("test_accuracy"))]
            for r in sorted(state["rounds"], key=lambda r: (r["round"], r["arm"] != "loop"))]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


HEADER = ["arm", "round", "prompts", "rows", "teacher calls", "cost $", "dev acc", "test acc"]


def format_table(state: dict) -> str:
    from factory.cli import _table

    c = state.get("claim")
    tail = (f"\nround {c['round']}: loop {c['loop']:.3f} vs control {c['control']:.3f} "
            f"(loop - control {c['loop_minus_control']:+.3f}; round 1 {_fmt(c['round1'])})") if c else ""
    return _table(table_rows(state), HEADER) + tail


def main(argv: list[str] | None = None) -> int:
    p = ArgumentParser(prog="factory loop", description="closed loop: dev failures choose the next round's prompts")
    p.add_argument("recipe")
    p.add_argument("--seed", type=int, help="override loop.seed")
    p.add_argument("--rounds", type=int, help="override loop.rounds")
    p.add_argument("--no-control", action="store_true", help="skip the control arm")
    p.add_argument("--output-dir", help="override output.dir")
    a = p.parse_args(argv)
    run_loop(a.recipe, a.output_dir, {"seed": a.seed, "rounds": a.rounds, "control": False if a.no_control else None})
    return 0


if __name__ == "__main__":
    sys.exit(main())
