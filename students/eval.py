"""Eval: base student, trained student and teacher on held-out prompts, scored by the same verifiers.

    >>> from students.eval import evaluate
    >>> table = evaluate(recipe, adapter_dir="runs/gsm8k_demo/<run_id>/train/adapter")
    >>> table["student"]["accuracy"]

Every model is scored in a Ray task, not in the driver (:func:`evaluate`): the task builds the prompts,
generates, verifies and writes its samples; the driver collects the score table.

Held-out prompts come from ``eval.source`` (e.g. GSM8K test items: never in the training data).
Greedy decoding, the recipe's prompt template, and the recipe's verifiers: a row counts as
correct when every verifier accepts it. Results go to ``<run_dir>/eval/`` and the manifest.

Prompt variants (``drop_system_prompt``: base and student asked without the system prompt, the teacher with it):
:mod:`students.eval_prompts`. The CLI's summary table: :mod:`students.eval_table`.

What a column counts (:func:`_summarise`): every held-out item is in ``n``; one the model gave no answer to
(``failed``: an API teacher's 429/500 after its retries) or no verifier could judge (``no_verdict``: no
reference) is wrong, and the column says how many and why; ``stderr`` is lm-eval-harness's ``acc_stderr``.
Held out means held out: ``eval.source`` on the records ``source`` trains on is a recipe error
(factory/recipe_checks.py), and held-out prompts found among the run's training rows are counted in
``overlap`` (:func:`training_overlap`) and warned about. Resume: each model's scores are kept as its task
finishes (``eval/columns/<model>.json``, with ``trained_by``); an interrupted eval of the same training scores
only the models still missing.

Capability regression (``eval.regression``): a second, general set with its own verifiers on which
base and student are both scored (never with the recipe's system prompt). ``delta`` = student
accuracy - base accuracy; ``regressed`` is true when ``student < base - max_drop``
(:func:`regression_verdict`). Its samples go to ``eval/regression_<model>.parquet``.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections import Counter
from pathlib import Path

from ground.conversation import parts_text
from ground.record import ACCEPTED
from students.eval_prompts import drops_system_prompt, prompt_variants, system_prompt_used
from students.tool_eval import prompts_have_tools, score_tool_calls
from teachers.base import plain_options
from teachers.registry import teacher_class
from teachers.step import GenerateStep
from verifiers.step import VerifyStep

log = logging.getLogger(__name__)

#: a student below base - max_drop by less than this is float noise (0.5 - 0.05 vs 0.45), not a regression
_EPS = 1e-9


# ----------------------------------------------------------------------------- rows

def _eval_rows(recipe) -> list[dict]:
    from teachers.expand import build_rows

    ev = recipe.model_copy(deep=True)
    ev.source = recipe.eval.source
    ev.teacher.n = 1
    ev.teacher.sampling = recipe.eval.sampling
    return build_rows(ev)


def _regression_rows(recipe) -> list[dict]:
    """The regression set as rows: its own template (or the bare prompt), no system prompt, one sample each."""
    from ground.source import PromptConfig
    from teachers.expand import build_rows

    reg = recipe.eval.regression
    ev = recipe.model_copy(deep=True)
    ev.source = reg.source
    ev.route, ev.teachers, ev.fallback = None, [], None
    ev.teacher.n = 1
    ev.teacher.sampling = reg.sampling or recipe.eval.sampling
    with tempfile.TemporaryDirectory(prefix="factory-regression-") as tmp:
        template = reg.template
        if template is None:
            template = str(Path(tmp) / "bare.txt")
            Path(template).write_text("{prompt}", encoding="utf-8")
        else:
            template = str(recipe.path(template))
        ev.prompt = PromptConfig(template=template, system=None)
        return build_rows(ev)


# ----------------------------------------------------------------------------- scoring

def regression_verdict(base_acc: float, student_acc: float, max_drop: float) -> dict:
    """``delta`` = student - base; ``regressed`` when the student fell more than ``max_drop`` below the base."""
    delta = student_acc - base_acc
    return {"delta": round(delta, 6), "regressed": bool(delta < -max_drop - _EPS)}


def _generate(gen: GenerateStep, rows: list[dict], sampling: dict) -> list[dict]:
    gen.cfgs[gen.default]["sampling"] = sampling  # the engine (and its loaded model) is reused across calls
    return gen([dict(r) for r in rows])


def _verify(rows: list[dict], verifiers: list) -> list[dict]:
    if verifiers:
        ver = VerifyStep([v.model_dump() for v in verifiers], accept_unverifiable=False)
        try:
            rows = ver(rows)
        finally:
            ver.close()
    return rows


def _summarise(rows: list[dict]) -> dict:
    """Scores of one column. Every held-out item counts in ``n``: one the model gave no answer to (``failed``: the
    generate stage rejected it, e.g. an API teacher's 429/500 after its retries) or that no verifier could judge
    (``no_verdict``: e.g. an item without a reference) counts as wrong, and both are counted so that the table says
    so (``failure_reasons``: the commonest few). ``stderr`` is the standard error of the accuracy (lm-eval-harness's
    ``acc_stderr``: sqrt(p (1 - p) / (n - 1)))."""
    correct = sum(1 for r in rows if r["status"] == ACCEPTED)
    by_cat: dict[str, list[int]] = {}
    for r in rows:
        c = by_cat.setdefault(r.get("category") or "all", [0, 0])
        c[0] += r["status"] == ACCEPTED
        c[1] += 1
    failed = [r for r in rows if r["status"] != ACCEPTED and str(r.get("reject_stage")).startswith(("source", "generate"))]
    no_verdict = sum(1 for r in rows if r["status"] != ACCEPTED and str(r.get("reject_stage")).startswith("verify") and r.get("score") is None)
    reasons = Counter(str(r.get("reject_reason") or "")[:120] for r in failed)
    n = len(rows)
    acc = correct / n if n else 0.0
    return {"n": n, "correct": correct, "accuracy": acc,
            "stderr": round(math.sqrt(acc * (1 - acc) / (n - 1)), 6) if n > 1 else None,
            "failed": len(failed), "no_verdict": no_verdict,
            "failure_reasons": dict(reasons.most_common(3)),
            "per_category": {k: {"correct": a, "n": b} for k, (a, b) in by_cat.items()}, "rows": rows}


def _open(recipe, engine: str, model: str, options: dict) -> GenerateStep:
    cfg = dict(engine=engine, name=f"eval:{model}", model=model, options=options, sampling=recipe.eval.sampling.model_dump(), prices={})
    return GenerateStep(cfg, cache_uri=None)


def _targets(recipe, adapter_dir: str | None, models: list[str]) -> list[tuple[str, str, str, dict]]:
    from teachers.step import read_template

    t = recipe.teacher
    opts = {"batch_size": recipe.eval.batch_size}
    if recipe.train and recipe.train.use_gpu:  # base and student hold a GPU in their Ray task (_gpus): generate on it
        opts["device"] = "cuda"
    if recipe.train and recipe.train.chat_template:  # base and student answer through the template SFT trained with
        opts["chat_template"] = read_template(recipe.train.chat_template, recipe.base_dir)
    targets = []
    for m in models:
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
            cls = teacher_class(t.engine)
            topts = cls.resolve_options(cls.with_batch_size(plain_options(t.options), recipe.eval.batch_size, override=True),
                                        recipe.base_dir)
            targets.append(("teacher", t.engine, t.model, topts))
    return targets


def _score(gen: GenerateStep, rows: list[dict], sampling: dict, verifiers: list) -> dict:
    res = _summarise(_verify(_generate(gen, rows, sampling), verifiers))
    res["system_prompt"] = system_prompt_used(res["rows"])
    if prompts_have_tools(res["rows"]):  # the tool-use column: AST accuracy of the calls, per category
        res["tool_ast"] = score_tool_calls(res["rows"])
    return res


def score_target(recipe, target: tuple, in_table: bool, regression: bool, samples_uri: str | None = None) -> dict:
    """One model's scores, run in a Ray task (:func:`evaluate`): it builds the held-out (and regression) rows,
    generates and verifies them, and writes its samples to ``samples_uri`` (``<label>.parquet``,
    ``regression_<label>.parquet``) when given, else returns them. Returns ``{"table", "regression",
    "samples", "pid"}``: the scores are what the driver collects."""
    import os

    label, engine, model, opts = target
    out: dict = {"table": None, "regression": None, "samples": {}, "pid": os.getpid()}
    gen = _open(recipe, engine, model, opts)
    try:
        if in_table:
            rows = prompt_variants(recipe, _eval_rows(recipe))[label]
            log.info("eval: scoring %s (%s %s) on %d held-out prompts (system prompt: %s)", label, engine, model,
                     len(rows), system_prompt_used(rows))
            out["table"] = _score(gen, rows, recipe.eval.sampling.model_dump(), recipe.verifiers)
            if opts.get("few_shot"):  # demonstration turns the engine adds to every prompt (not in the rows' messages)
                out["table"]["few_shot_messages"] = len(opts["few_shot"])
            out["samples"][label] = out["table"].pop("rows")
        if regression:
            reg = recipe.eval.regression
            rows = _regression_rows(recipe)
            log.info("eval: regression set, scoring %s on %d general prompts", label, len(rows))
            out["regression"] = _score(gen, rows, (reg.sampling or recipe.eval.sampling).model_dump(), reg.verifiers)
            out["samples"][f"regression_{label}"] = out["regression"].pop("rows")
    finally:
        gen.close()
    if samples_uri is not None:
        from ground import fsutil
        from ground.record import to_table

        fs, path = fsutil.filesystem(samples_uri)
        for name, rows in out.pop("samples").items():
            fsutil.write_parquet_atomic(fs, fsutil.join(path, f"{name}.parquet"), to_table(rows))
    return out


def _gpus(recipe, label: str) -> float:
    if label == "teacher":
        return float(recipe.teacher.num_gpus or 0)  # an API teacher asks for none
    return 1.0 if recipe.train is not None and recipe.train.use_gpu else 0.0


def evaluate(recipe, adapter_dir: str | None, models: list[str] | None = None, regression: bool = True,
             samples_uri: str | None = None, done: dict[str, dict] | None = None, on_done=None) -> dict:
    """Score ``models`` (default ``eval.models``) on the held-out set, plus the regression set when configured.

    Each model is scored in its own Ray task (:func:`score_target`; one CPU, the model's GPUs; the trained
    student's on this node, where its adapter is), all at once as resources allow; the driver collects the
    scores. Returns ``{"table": {model: {n, correct, accuracy, per_category, system_prompt}}, "samples": {...},
    "regression": block or None, "workers": {model: pid}}``; ``samples`` keys are the table's models and
    ``regression_<model>`` ({} when ``samples_uri`` is given: the tasks wrote them there).

    Resume: ``done`` maps models scored earlier to their :func:`score_target` results (not scored again);
    ``on_done(model, result)`` is called as each model's task finishes, so a failing one (raised at the end,
    after the others finished) does not lose the others."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from ground.raycluster import init_ray

    init_ray()
    reg = recipe.eval.regression if regression else None
    in_table = list(models or recipe.eval.models)
    wanted = in_table + ([m for m in ("base", "student") if m not in in_table] if reg is not None else [])
    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    task = ray.remote(score_target)
    # a task holding a GPU runs in a worker that exits after it, as Ray makes it for @ray.remote(num_gpus=...) (max_calls
    # 1, ray-project/ray#29624) but not for num_gpus given in .options(): a reused worker kept the model's cached CUDA
    # memory and the GPU it first initialised CUDA on, whatever GPU its next task was given
    gpu_task = ray.remote(max_calls=1)(score_target)
    targets = _targets(recipe, adapter_dir, wanted)
    earlier = {t[0]: done[t[0]] for t in targets if done and t[0] in done}
    refs = {t[0]: (gpu_task if _gpus(recipe, t[0]) else task)
            .options(num_cpus=1, num_gpus=_gpus(recipe, t[0]), scheduling_strategy=here if t[0] == "student" else "DEFAULT")
            .remote(recipe, t, t[0] in in_table, reg is not None and t[0] in ("base", "student"), samples_uri)
            for t in targets if t[0] not in earlier}
    finished, failure, pending = dict(earlier), None, {ref: label for label, ref in refs.items()}
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        label = pending.pop(ref)
        try:
            finished[label] = ray.get(ref)
        except Exception as e:  # noqa: BLE001 - re-raised once the other models are done
            failure = failure or e
            continue
        if on_done is not None:
            on_done(label, finished[label])
    if failure is not None:
        raise failure
    done = {t[0]: finished[t[0]] for t in targets}
    table = {k: v["table"] for k, v in done.items() if v["table"] is not None}
    reg_scores = {k: v["regression"] for k, v in done.items() if v["regression"] is not None}
    samples = {name: rows for v in done.values() for name, rows in v.get("samples", {}).items()}
    return {"table": table, "samples": samples, "workers": {k: v["pid"] for k, v in done.items()},
            "regression": regression_block(recipe, reg_scores) if reg is not None else None}


def regression_block(recipe, scores: dict[str, dict]) -> dict:
    """The manifest's ``eval.regression``: both scores, n, delta and the regressed flag."""
    reg = recipe.eval.regression
    base, student = scores.get("base"), scores.get("student")
    block = {"source": reg.source.path, "verifiers": [v.name for v in reg.verifiers], "max_drop": reg.max_drop,
             "n": (base or student or {}).get("n", 0), "base": base, "student": student}
    if base is not None and student is not None:
        block.update(regression_verdict(base["accuracy"], student["accuracy"], reg.max_drop))
        cats = sorted(set(base["per_category"]) & set(student["per_category"]))
        block["per_category_delta"] = {
            c: round(student["per_category"][c]["correct"] / student["per_category"][c]["n"]
                     - base["per_category"][c]["correct"] / base["per_category"][c]["n"], 6) for c in cats}
    else:
        block.update(delta=None, regressed=None, reason="no trained student to compare with the base model")
    return block


def train_key(train_info: dict | None) -> str | None:
    """Which training an eval scored (None: no trained student); not where its adapter lies on this node."""
    if not train_info or train_info.get("status") != "done":
        return None
    import hashlib

    ident = {k: train_info.get(k) for k in ("method", "data_run_id", "student", "metrics")}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def reusable_eval(store, train_info: dict | None) -> dict | None:
    """``eval/DONE`` when it scored this training's student (or, like now, none), else None: an eval made before
    the student was trained (``--skip-train``, a skipped training) or of an earlier training is made again."""
    done = store.read_json("eval/DONE")
    return done if done and done.get("trained_by") == train_key(train_info) else None


def held_out_short(recipe, n: int) -> str | None:
    """A line when the held-out set has fewer items than ``eval.source.limit`` asks for (None when it has them)."""
    src = recipe.eval.source
    if src.limit is None or n >= src.limit:
        return None
    after = f" after offset {src.offset}" if src.offset else ""
    return f"eval.source.limit asks for {src.limit} held-out items; {src.path} has {n}{after}: the table scores {n}"


def _asked(row: dict) -> str:
    """The user's words of a prompt (its user turns, whitespace and case folded): what overlap compares."""
    msgs = json.loads(row["messages"]) if isinstance(row.get("messages"), str) else (row.get("messages") or [])
    # content parts as their text (as training reads them; was: left out, so a chat source's held-out prompts in
    # parts were never found among the training prompts)
    text = "\n".join(parts_text(m.get("content")) for m in msgs if m.get("role") == "user")
    return " ".join(text.lower().split())


def training_overlap(heldout: list[dict], fs, accepted_path: str) -> dict:
    """Held-out items whose prompt (user turns, whitespace and case folded) is also a prompt of the training rows
    (the run's ``accepted/`` Parquet): ``{"items", "n", "examples"}`` (examples: the first words of up to 3 of them)."""
    import pyarrow.parquet as pq

    from ground import fsutil

    seen: set[str] = set()
    for f in fsutil.list_files(fs, accepted_path, ".parquet"):
        with fs.open_input_file(f) as fh:
            for batch in pq.ParquetFile(fh).iter_batches(columns=["messages"]):
                seen.update(_asked({"messages": m}) for m in batch.column(0).to_pylist())
    seen.discard("")
    hits = [r for r in heldout if _asked(r) in seen]
    examples = [repr(_asked(r)[:60]) for r in hits[:3]]
    return {"items": len(hits), "n": len(heldout), "examples": examples}


def eval_if_needed(recipe, store, train_info: dict | None) -> dict:
    done = reusable_eval(store, train_info)
    if done:
        return done
    adapter = train_info.get("adapter_dir") if train_info and train_info.get("status") == "done" else None
    from ground import fsutil

    held = _eval_rows(recipe)
    short = held_out_short(recipe, len(held))
    if short:
        log.warning("eval: %s", short)
    overlap = training_overlap(held, store.fs, fsutil.join(store.path, "accepted")) if adapter else None
    if overlap and overlap["items"]:
        log.warning("eval: %d of %d held-out prompts (%s) are also training prompts of this run (accepted/): "
                    "the student column is not a held-out score; take them out of eval.source or decontaminate",
                    overlap["items"], overlap["n"], ", ".join(map(str, overlap["examples"])))
    key = train_key(train_info)
    earlier = {}
    for label in ("base", "student", "teacher"):  # models an interrupted eval of this same training already scored
        col = store.read_json(f"eval/columns/{label}.json")
        if col and col.get("trained_by") == key and col.get("result"):  # trained_by, not the adapter's path on this node
            earlier[label] = col["result"]
    if earlier:
        log.info("eval: resuming: %s scored earlier for this training, not scored again", ", ".join(sorted(earlier)))

    def keep(label: str, result: dict) -> None:
        store.write_json(f"eval/columns/{label}.json", {"trained_by": key, "adapter": adapter, "result": result})

    res = evaluate(recipe, adapter, samples_uri=fsutil.join(store.uri, "eval"),  # the tasks write eval/<model>.parquet
                   done=earlier, on_done=keep)
    info = {"table": res["table"], "held_out": recipe.eval.source.path, "drop_system_prompt": drops_system_prompt(recipe),
            "trained_by": train_key(train_info), "adapter": adapter}
    if overlap is not None:
        info["overlap"] = overlap
    if short:
        info["held_out_short"] = short
    if earlier:
        info["resumed"] = sorted(earlier)
    if "student" in recipe.eval.models and adapter is None:  # the column asked for is absent: say why
        why = (f"training {train_info.get('status')}: {train_info.get('reason') or train_info.get('error') or 'no reason recorded'}"
               if train_info else "no training in this run (--skip-train, or it did not run)")
        info["student_missing"] = why
        log.warning("eval: no student column: %s", why)
    if "base" in res["table"] and "student" in res["table"]:
        info["delta_vs_base"] = {"held_out": round(res["table"]["student"]["accuracy"] - res["table"]["base"]["accuracy"], 6)}
    if res["regression"] is not None:
        info["regression"] = res["regression"]
        if res["regression"]["delta"] is not None:
            info.setdefault("delta_vs_base", {})["regression"] = res["regression"]["delta"]
    store.write_json("eval/DONE", info)
    return info
