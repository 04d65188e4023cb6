"""The synthesis stage: new prompts from seed prompts, before generation (recipe ``synthesize:``).

    >>> from factory.synthesize import synthesize
    >>> gen_recipe, summary = synthesize(recipe, store, cache_uri)   # then stream_chunks(gen_recipe, ...)

Four Ray passes; the driver plans parts and adds up small summaries, it never holds the prompts:

1. **write** (an actor pool of the synthesis teacher): each seed unit (``synthesize.batch_size`` seeds) becomes
   ``per_seed`` requests filled from the template (conditioned on a persona or topic), answered by the request
   cache or the teacher, parsed (numbered list or one prompt) -> ``synth/prompts/prompts-N.parquet``. A written
   part is not redone on resume.
2. **dedup**: seeds, the recipe's source and the new prompts as one Ray Dataset; the curation steps' own
   ``decide`` (exact normalised text, then MinHash LSH) returns decisions for duplicates only; seeds always
   survive (they rank first). Only the new prompts' drops are kept: the workers write them with their reasons
   per part (``synth/dedup/NN-step/chunk-N/``, as curation decisions), and the score pass reads its part's.
3. **score** (an actor pool of the recipe's teacher): per part, the dedup drops, decontamination against the
   recipe's benchmarks and its eval set (the ``dedup.decontam`` matcher), then self-consistency: m samples per
   prompt through the generation expander (the same requests generation makes), the majority answer is the
   reference, the agreement is recorded, prompts below ``min_agreement`` are dropped.
4. **finalize** (light tasks): the first ``count`` kept prompts -> ``synth/final/synth-N.jsonl`` source records
   with provenance (``_synth``); drops with step and reason -> ``synth/rejects/part-N.parquet``; the recipe's
   source copied next to them (``include_source``). ``synth/summary.json`` marks the stage done.

Generation then reads ``synth/final/`` as its source (:func:`generation_recipe`).
"""

from __future__ import annotations

import dataclasses

import json
import logging
import math
import time

import pyarrow as pa

from factory.synth_work import ScoreUDF, SynthUDF, copy_unit, finalize_part
from ground import fsutil
from ground.errors import FactoryError
from ground.raycluster import init_ray
from ground.source import FieldMap, SourceConfig, plan_units
from teachers.cache import options_key
from teachers.expand import Expander
from teachers.step import teacher_cfg
from teachers.synth import SynthSpec, load_lines
from verifiers.answer_key import EXTRACTORS, extractor_for

log = logging.getLogger(__name__)
REF_FIELD = "_reference"  # the reference field of synthesized records when the source names none


def _json(u) -> str:
    from factory.executor import _unit_json

    return _unit_json(u)


def seeds_of(recipe) -> SourceConfig:
    return recipe.synthesize.seeds or recipe.source


def synth_files(recipe) -> list[str]:
    """Input files of the stage (for the run fingerprint)."""
    sy = recipe.synthesize
    if sy is None:
        return []
    return [sy.template, *(p for p in (sy.personas, sy.topics) if isinstance(p, str)), *([sy.seeds.path] if sy.seeds else [])]


def synth_checks(r, err) -> None:
    """Recipe checks of the ``synthesize`` section (files exist, the teacher is named, sampling keys are valid)."""
    from pydantic import ValidationError

    from teachers.base import SamplingConfig

    sy = r.synthesize
    for key, p in (("template", sy.template), ("personas", sy.personas), ("topics", sy.topics), ("seeds", sy.seeds.path if sy.seeds else None)):
        if isinstance(p, str) and not r.path(p).exists():
            err(("synthesize", key, *(("path",) if key == "seeds" else ())), f"file not found: {r.path(p)}")
        elif key in ("personas", "topics") and p is not None and not load_lines(p, r.path(".")):
            err(("synthesize", key), f"no entries in {r.path(p) if isinstance(p, str) else 'the list'} (one per line; '#' lines are "
                                     "comments): leave the key out to synthesize without conditioning")
    names = list(r.all_teachers())
    if sy.teacher is not None and sy.teacher not in names:
        err(("synthesize", "teacher"), f"unknown teacher {sy.teacher!r}; teachers: {names}")
    try:
        SamplingConfig(**{**r.teacher.sampling.model_dump(), **sy.sampling})
    except ValidationError as e:
        d = e.errors()[0]
        err(("synthesize", "sampling"), f"{'.'.join(map(str, d['loc']))}: {d['msg']}")
    sc = sy.self_consistency  # both were used only once synthesis had paid for its prompts (a Ray traceback then)
    if sc is not None and sc.extractor is not None and sc.extractor not in EXTRACTORS:
        err(("synthesize", "self_consistency", "extractor"), f"unknown answer extractor {sc.extractor!r}; known: {sorted(EXTRACTORS)}")
    if sy.dedup.minhash is not None:
        from curation.plan import build_dedup_config

        try:
            build_dedup_config("minhash", {**sy.dedup.minhash, "compare": "prompt"})
        except ValidationError as e:
            d = e.errors()[0]
            err(("synthesize", "dedup", "minhash"), f"{'.'.join(map(str, d['loc']))}: {d['msg']}")
    _template_fields(r, err)
    if r.path(sy.template).is_file():
        try:
            from teachers.synth import fill

            fill(r.path(sy.template).read_text(encoding="utf-8"), "seed", 1, "c", "persona")
        except (KeyError, IndexError, ValueError) as e:
            err(("synthesize", "template"), f"unknown field {e} (fields: seed, k, persona, topic, condition)")


def _template_fields(r, err) -> None:
    """``prompt.template`` renders synthesized prompts too, and their records hold only the prompt, reference, id and
    category fields: a template naming another source field rejected every one of them at stage source (their
    self-consistency samples first: "low self-consistency: no answer in 0 samples")."""
    import string

    from ground.source import inline, prompt_text

    tpl, fm = r.prompt.template, gen_fields(r)
    if tpl is None or fm.messages is not None or not (inline(tpl, "template") or r.path(tpl).is_file()):
        return
    try:
        names = {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(prompt_text(tpl, "template", r.path)) if f}
    except ValueError:  # an unmatched brace: the template check reports it
        return
    have = sorted({"prompt", fm.prompt, fm.reference, fm.id, fm.category} - {None})
    for f in sorted(names - set(have)):
        err(("prompt", "template"), f"{{{f}}} is not a field of synthesized prompts (synthesize: their records have "
                                    f"{', '.join(have)}): every new prompt would be rejected at stage source")


def spec_of(recipe, n_seeds: int) -> tuple[SynthSpec, dict]:
    sy = recipe.synthesize
    t = recipe.all_teachers()[sy.teacher or recipe.teacher.name]
    cfg = teacher_cfg(t, recipe.base_dir)
    cfg["sampling"] = {**cfg["sampling"], **sy.sampling}
    per_request = sy.k if sy.parse == "numbered" else 1
    requests = sy.per_seed if sy.count is None else max(1, math.ceil(sy.count * sy.oversample / max(1, n_seeds * per_request)))
    kind = "persona" if sy.personas is not None else "topic" if sy.topics is not None else None
    conds = load_lines(sy.personas if sy.personas is not None else sy.topics, recipe.path("."))
    template = recipe.path(sy.template).read_text(encoding="utf-8")
    return SynthSpec(template, t.name, t.engine, t.model, cfg["sampling"], requests, sy.k, conds, kind,
                     options_key(t.engine, cfg["options"])), cfg


def gen_fields(recipe) -> FieldMap:
    fm = recipe.source.fields
    return fm if fm.reference else fm.model_copy(update={"reference": REF_FIELD})


def generation_recipe(recipe, store):
    """The recipe generation runs on: its source is ``synth/final/`` (new prompts, and the source's own if asked)."""
    src = SourceConfig(path=store.local_path() + "/synth/final", format="auto", fields=gen_fields(recipe),
                       license=recipe.source.license)
    return recipe.model_copy(update={"source": src})


def synthesize(recipe, store, cache_uri: str | None, run_budget=None) -> tuple[object, dict]:
    """Run (or reuse) the synthesis stage; returns the generation recipe and the stage's summary. ``run_budget``
    (factory.budget.RunBudget): the invocation's counter; when it runs out here the recipe is None and the summary
    says why (``stopped``): the parts not finished are not written, and a re-run continues them."""
    if store.local_path() is None:
        raise FactoryError("synthesize: output.dir must be a local path (generation reads the new prompts as its source)")
    done = store.read_json("synth/summary.json")
    if done is not None:
        log.info("synthesize: done in an earlier attempt (%d new prompts kept)", done["kept"])
        _check_kept(recipe, store, done)
        return generation_recipe(recipe, store), {**done, "reused": True}
    t0 = time.time()
    ray = init_ray()
    budget = run_budget.start(ray) if run_budget is not None else None
    seeds = plan_units(seeds_of(recipe), recipe.base_dir, recipe.synthesize.batch_size)
    spec, cfg = spec_of(recipe, sum(g.count for u in seeds for g in u.segments))
    info = {"seeds": sum(g.count for u in seeds for g in u.segments), "requests_per_seed": spec.requests,
            "template_hash": spec.template_hash, "teacher": spec.teacher}
    info.update(_write(ray, recipe, store, cache_uri, seeds, spec, cfg, budget))
    if info["parts_written"]:  # new candidates: scores of an earlier attempt are stale
        fsutil.delete_tree(store.fs, store.p("synth", "scored"))
    if info.get("stopped"):
        return None, _stopped(info, "writing", t0)
    dedup_dirs = _dedup(ray, recipe, store, seeds)
    info.update(_score(ray, recipe, store, cache_uri, dedup_dirs, len(seeds), budget))
    if info.get("stopped"):
        return None, _stopped(info, "self-consistency", t0)
    info.update(_finalize(ray, recipe, store, seeds, spec))
    info["seconds"] = round(time.time() - t0, 2)
    store.write_json("synth/summary.json", info)
    log.info("synthesize: %d prompts parsed, %d kept (%s dropped) in %.1fs", info["candidates"], info["kept"],
             info["rejects"], info["seconds"])
    _check_kept(recipe, store, info)
    return generation_recipe(recipe, store), info


def _stopped(info: dict, step: str, t0: float) -> dict:
    info["seconds"] = round(time.time() - t0, 2)
    log.warning("synthesize: stopped during %s: %s; the parts that finished are kept (the calls made are cached)", step, info["stopped"])
    return info


def _check_kept(recipe, store, info: dict) -> None:
    """No new prompt kept and no source prompt included: say so (generation would blame its internal source)."""
    if not info["kept"] and not recipe.synthesize.include_source:
        raise FactoryError(f"synthesize: no new prompt was kept ({info['candidates']} candidates, dropped by step: {info['rejects']}, "
                           f"{info.get('bad_seeds', 0)} bad seeds) and include_source is false, so there is nothing to "
                           f"generate; each reason is in {store.p('synth', 'rejects')}")


def _pool(ray, t):
    return dict(compute=ray.data.ActorPoolStrategy(min_size=t.replicas, max_size=max(t.replicas, t.max_replicas or t.replicas)),
                num_cpus=t.num_cpus, num_gpus=t.num_gpus or None, batch_size=1, batch_format="pyarrow")


def _sum(ds) -> dict:
    """The parts' summaries added up; ``parts``: those written (a part the budget stopped is not), ``stopped``: why."""
    out = {"n": 0, "kept": 0, "teacher_calls": 0, "cache_hits": 0, "parts": 0, "infos": [], "stopped": None}
    for b in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for r in b.to_pylist():
            for k in ("n", "kept", "teacher_calls", "cache_hits"):
                out[k] += r[k]
            info = json.loads(r["info"])
            out["stopped"] = out["stopped"] or info.get("stopped")
            out["parts"] += not info.get("stopped")
            out["infos"].append(info)
    return out


def _write(ray, recipe, store, cache_uri, seeds, spec: SynthSpec, cfg: dict, budget: str | None) -> dict:
    done = {int(f.rsplit("-", 1)[1].split(".")[0]) for f in fsutil.list_files(store.fs, store.p("synth", "prompts"), ".parquet")}
    pending = [u for u in seeds if u.chunk not in done]
    if not pending:
        return {"parts_written": 0, "synth_teacher_calls": 0, "synth_cache_hits": 0}
    sy, t = recipe.synthesize, recipe.all_teachers()[spec.teacher]
    ds = ray.data.from_items([{"unit": _json(u)} for u in pending], override_num_blocks=len(pending)).map_batches(
        SynthUDF, fn_constructor_args=(spec, cfg, cache_uri, seeds_of(recipe).fields, store.uri, sy.parse, sy.max_chars, budget),
        **_pool(ray, t))
    s = _sum(ds)
    return {"parts_written": s["parts"], "synth_teacher_calls": s["teacher_calls"], "synth_cache_hits": s["cache_hits"],
            "bad_seeds": sum(i.get("bad_seeds", 0) for i in s["infos"]), **({"stopped": s["stopped"]} if s["stopped"] else {})}


def _dedup(ray, recipe, store, seeds) -> list[tuple[str, str]]:
    """Each step's decisions for the new prompts that duplicate a seed, the source, or each other, written per
    part (``synth/dedup/NN-step/chunk-N/*.parquet``, as factory/curate_pass.py writes curation decisions) by the
    workers that hold them; returns [(step, folder URI)] in step order. The driver holds no prompt id."""
    from curation.dedup.exact import ExactDedup, ExactDedupConfig
    from curation.dedup.minhash import MinHashDedup
    from curation.plan import build_dedup_config
    from factory.synth_dedup import candidate_rows, drop_decided, seed_rows, write_synth_decisions

    dd = recipe.synthesize.dedup
    files = fsutil.list_files(store.fs, store.p("synth", "prompts"), ".parquet")
    units = [("seed", u, seeds_of(recipe).fields) for u in seeds]
    if recipe.synthesize.seeds is not None:  # the recipe's own prompts are existing prompts too
        units += [("source", u, recipe.source.fields) for u in plan_units(recipe.source, recipe.base_dir, recipe.output.shard_size)]
    live = ray.data.from_items([{"kind": k, "unit": _json(u), "fields": f.model_dump_json()} for k, u, f in units],
                               override_num_blocks=max(1, len(units))).map_batches(seed_rows, batch_size=1, batch_format="pyarrow", num_cpus=0)
    live = live.union(ray.data.read_parquet(files, filesystem=store.fs).map_batches(candidate_rows, batch_format="pyarrow", num_cpus=0))
    steps = ([ExactDedup(ExactDedupConfig(on="prompt"))] if dd.exact else []) + \
        ([MinHashDedup(build_dedup_config("minhash", {**dd.minhash, "compare": "prompt"}))] if dd.minhash is not None else [])
    live = live.materialize()  # blocks stay in the object store (the driver holds refs): seeds and prompts read once
    fsutil.delete_tree(store.fs, store.p("synth", "dedup"))  # decided again on every attempt: candidates may be new
    dirs: list[tuple[str, str]] = []
    for k, st in enumerate(steps, 1):
        ds = live.map_batches(drop_decided, fn_kwargs={"dirs": list(dirs)}, batch_format="pyarrow", num_cpus=0) if dirs else live
        dec = st.decide(ds, {"live_rows": ds.count()})  # the steps' own distributed decide, as in factory/curate_pass.py
        uri = fsutil.join(store.uri, "synth", "dedup", f"{k:02d}-{st.name}")
        dec_ds = ray.data.from_arrow(dec) if isinstance(dec, pa.Table) else dec
        for _ in dec_ds.map_batches(write_synth_decisions, fn_kwargs={"dir_uri": uri}, batch_format="pyarrow", num_cpus=0).iter_batches():
            pass
        dirs.append((st.name, uri))
    return dirs


def decontam_options(recipe) -> dict | None:
    """The recipe's decontamination matcher (prompt text) over its benchmarks and its eval set."""
    from curation.plan import recipe_relative

    if not recipe.synthesize.dedup.decontam:
        return None
    base = recipe.dedup.decontam
    if base is None:
        opts = {"benchmarks": []}
    else:  # a validated DecontamConfig (its benchmarks are BenchmarkSpecs) or a plain dict
        cfg = recipe_relative(recipe, "decontam", base)
        opts = dict(cfg) if isinstance(cfg, dict) else cfg.model_dump()
        opts["benchmarks"] = [b if isinstance(b, (str, dict)) else dataclasses.asdict(b) for b in opts["benchmarks"]]
    opts["compare"] = "prompt"
    opts.pop("on", None)
    if recipe.eval is not None:  # its split of a folder of several, its message list when it is a chat set
        ev = recipe.eval.source
        path = str(recipe.path(ev.path))
        if not any(isinstance(b, dict) and b.get("path") == path for b in opts["benchmarks"]):
            opts["benchmarks"] = [*opts["benchmarks"], {"name": "eval_set", "path": path, "field": ev.fields.messages or ev.fields.prompt,
                                                        **({"split": ev.split} if ev.split else {})}]
    return opts if opts["benchmarks"] else None


def _score(ray, recipe, store, cache_uri, dedup_dirs: list, n_parts: int, budget: str | None) -> dict:
    done = {int(f.rsplit("-", 1)[1].split(".")[0]) for f in fsutil.list_files(store.fs, store.p("synth", "scored"), ".parquet")}
    parts = sorted({int(f.rsplit("-", 1)[1].split(".")[0]) for f in fsutil.list_files(store.fs, store.p("synth", "prompts"), ".parquet")} - done)
    if not parts:
        return {"sc_teacher_calls": 0, "sc_cache_hits": 0}
    sy = recipe.synthesize
    sc = None if sy.self_consistency is None else {
        "min_agreement": sy.self_consistency.min_agreement,
        "extractor": sy.self_consistency.extractor or extractor_for([v.name for v in recipe.verifiers])}
    exp = Expander.from_recipe(recipe.model_copy(update={"source": recipe.source.model_copy(update={"fields": gen_fields(recipe)})}))
    if sy.self_consistency is not None:
        for spec in exp.teachers.values():
            spec.n = sy.self_consistency.samples
    cfgs = {n: teacher_cfg(t, recipe.base_dir) for n, t in recipe.all_teachers().items()}
    ds = ray.data.from_items([{"part": p} for p in parts], override_num_blocks=len(parts)).map_batches(
        ScoreUDF, fn_constructor_args=(store.uri, dedup_dirs, decontam_options(recipe), sc, exp, cfgs,
                                       cache_uri, recipe.fallback, budget), **_pool(ray, recipe.teacher))
    s = _sum(ds)
    return {"sc_teacher_calls": s["teacher_calls"], "sc_cache_hits": s["cache_hits"], **({"stopped": s["stopped"]} if s["stopped"] else {})}


def _finalize(ray, recipe, store, seeds, spec: SynthSpec) -> dict:
    sy = recipe.synthesize
    fsutil.delete_tree(store.fs, store.p("synth", "final"))
    parts = sorted(int(f.rsplit("-", 1)[1].split(".")[0]) for f in fsutil.list_files(store.fs, store.p("synth", "scored"), ".parquet"))
    from factory.synth_dedup import kept_counts

    kept = {}
    for b in ray.data.from_items([{"part": p} for p in parts], override_num_blocks=max(1, len(parts))).map_batches(
            kept_counts, fn_kwargs={"store_uri": store.uri}, batch_size=None, batch_format="pyarrow", num_cpus=0).iter_batches(
            batch_format="pyarrow", batch_size=None):
        kept.update(zip(b.column("part").to_pylist(), b.column("kept").to_pylist()))
    quota, left = {}, sy.count
    for p in parts:
        quota[p] = kept.get(p, 0) if left is None else min(kept.get(p, 0), left)
        left = None if left is None else left - quota[p]
    prov = {"synth_template_hash": spec.template_hash, "synth_teacher": spec.teacher}
    fm = gen_fields(recipe)
    ds = ray.data.from_items([{"part": p} for p in parts], override_num_blocks=max(1, len(parts))).map_batches(
        finalize_part, fn_kwargs={"store_uri": store.uri, "quota": quota, "prov": prov, "fields": fm.model_dump()},
        batch_size=1, batch_format="pyarrow", num_cpus=0)
    s = _sum(ds)
    if sy.include_source:
        src = plan_units(recipe.source, recipe.base_dir, recipe.output.shard_size)
        for _ in ray.data.from_items([{"unit": _json(u)} for u in src], override_num_blocks=len(src)).map_batches(
                copy_unit, fn_kwargs={"store_uri": store.uri}, batch_size=1, batch_format="pyarrow", num_cpus=0).iter_batches():
            pass
    rejects: dict[str, int] = {}
    for i in s["infos"]:
        for k, v in i["rejects"].items():
            rejects[k] = rejects.get(k, 0) + v
    agree = [a for i in s["infos"] for a in i["agreement"]]
    return {"candidates": s["n"], "kept": s["kept"], "rejects": rejects, "cost": round(sum(i["cost"] for i in s["infos"]), 6),
            "agreement": agreement_histogram(agree)}


def agreement_histogram(values: list[float]) -> dict:
    """Kept prompts' agreement: count, mean, min and a histogram in tenths (for the manifest and report)."""
    if not values:
        return {"n": 0}
    hist: dict[str, int] = {}
    for v in values:
        k = f"{min(0.9, math.floor(v * 10) / 10):.1f}"
        hist[k] = hist.get(k, 0) + 1
    return {"n": len(values), "mean": round(sum(values) / len(values), 4), "min": min(values), "hist": dict(sorted(hist.items()))}


def count_synthesized(store) -> dict:
    """Rows from synthesized prompts in ``accepted/`` and ``rejects/`` (a column per file, summed: no rows held)."""
    import pyarrow.parquet as pq

    out = {}
    for kind in ("accepted", "rejects"):
        n = 0
        for f in fsutil.list_files(store.fs, store.p(kind), ".parquet"):
            col = pq.read_table(f, columns=["synthesized"], filesystem=store.fs).column("synthesized")
            n += sum(1 for v in col.to_pylist() if v)
        out[f"synthesized_{'accepted' if kind == 'accepted' else 'rejected'}"] = n
    return out
