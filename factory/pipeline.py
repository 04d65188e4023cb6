"""Run a recipe: source -> generate -> verify -> dedup -> Parquet -> (train) -> (eval).

    >>> from factory.pipeline import run_recipe
    >>> result = run_recipe("recipes/gsm8k_demo.yaml")          # local Ray, bundled tiny model
    >>> result.run_dir, result.summary["accepted"]

One streaming Ray Data job per run (:mod:`factory.executor`): workers read the source, expand it,
generate, verify, filter and write ``chunks/chunk-N.parquet`` (the chunk's completion marker); then
dataset-level passes over those shards (:mod:`factory.curate_pass`) dedup, decontaminate and write
``accepted/`` and ``rejects/``. The driver plans, steers and adds up counters: it never holds the rows.
A re-run of the same command (same recipe and inputs -> same run id) skips finished chunks and
curation steps, answers finished teacher calls from the request cache, and ends with the same rows.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from curation.dedup.decontam import contamination_report
from curation.plan import stage_names as curation_stage_names
from factory.budget import RunBudget
from factory.curate_pass import curate_store
from factory.executor import stream_chunks
from factory.preflight import preflight
from factory.recipe import Recipe, load_recipe
from factory.run_schema import SCHEMA_VERSION
from factory.synthesize import count_synthesized, synth_files, synthesize
from factory.stats import cost_breakdown, stage_stats, summary, teacher_prices
from ground.licensing import licenses
from factory.store import RunStore, check_run_id
from ground import fsutil
from ground.errors import FactoryError
from ground.record import sha
from factory.source_ids import check_records, check_unique_ids
from ground.source import inline, plan_units
from ground.source_files import source_files
from teachers.cache import RequestCache

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    run_dir: str
    run_id: str
    status: str
    summary: dict
    stats: dict
    timings: dict = field(default_factory=dict)
    eval: dict | None = None
    cost: dict | None = None
    stopped: str | None = None  # why the run budget stopped it (status "stopped")
    paid: dict | None = None  # USD paid: this invocation, earlier invocations of the run, all (manifest "paid")


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(path.rglob("*")):
            if f.is_file():
                h.update(f.name.encode())
                h.update(f.read_bytes())
    elif path.exists():
        h.update(path.read_bytes())
    elif any(c in str(path) for c in "*?["):  # a glob source: the files it matches, in read order (it hashed nothing)
        for f, _fmt in source_files(path, "auto", None):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def fingerprint(recipe: Recipe) -> str:
    """Hash of the resolved recipe and the content of every input file it names."""
    reg = recipe.eval.regression if recipe.eval else None
    files = [recipe.source.path, recipe.prompt.template, recipe.prompt.system, recipe.eval.source.path if recipe.eval else None,
             reg.source.path if reg else None, reg.template if reg else None, *synth_files(recipe)]
    # the budget caps one invocation, not what is produced: a re-run with a bigger one continues the same run
    d = recipe.model_dump(mode="json", exclude={"budget"})
    for sec, key in [(d["teacher"], "until"), (d["filters"], "keep_pass_rate"), *[(t, "until") for t in d.get("teachers", [])]]:
        if sec.get(key, 0) is None:  # unset: the run id such recipes had before these keys existed
            del sec[key]
    for key, default in (("on_bad_record", "reject"), ("auth_header", "Authorization"), ("headers", {})):
        _drop_default(d, key, default)  # likewise the defaults of later keys (sources, openai_compat options)
    inline_text = {recipe.prompt.template if inline(recipe.prompt.template, "template") else None,
                   recipe.prompt.system if inline(recipe.prompt.system, "system") else None}  # in the recipe dump already
    named = [_file_sha(recipe.path(f)) for f in files if f and f not in inline_text]
    # files the teachers and verifiers read (a judge's rubric, a constitution, few-shot turns, a chat template): only
    # when there are some, so recipes naming none keep their run id
    return sha(d, named, *([extra] if (extra := _option_files(d, recipe.base_dir)) else []), n=12)


_MAX_OPTION_FILE = 64 << 20  # larger files named there are model weights, not option text: their path stands for them


def _option_files(d: dict, base_dir: str) -> list[str]:
    """Content hashes of the files that string values of the teacher and verifier sections name, resolved as their
    readers resolve them (the recipe's folder, then the working directory, then the project root)."""
    from verifiers.llm import PROJECT_ROOT

    out: list[str] = []

    def walk(v) -> None:
        if isinstance(v, (dict, list)):
            for x in v.values() if isinstance(v, dict) else v:
                walk(x)
        elif isinstance(v, str) and v.strip() and "\n" not in v and len(v) < 1024:
            q = Path(v).expanduser()
            f = next((b / q for b in (Path(base_dir), Path.cwd(), PROJECT_ROOT) if (b / q).is_file()), None)
            if f is not None and f.stat().st_size <= _MAX_OPTION_FILE:
                out.append(_file_sha(f))

    for sec in ("teacher", "teachers", "verifiers"):
        walk(d.get(sec))
    return out


def _drop_default(d, key: str, default) -> None:
    """Remove ``key: default`` from every mapping in ``d`` (nested), in place."""
    if isinstance(d, dict):
        if d.get(key, object()) == default:
            del d[key]
        for v in d.values():
            _drop_default(v, key, default)
    elif isinstance(d, list):
        for v in d:
            _drop_default(v, key, default)


def _versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for p in ["distill-factory", "ray", "torch", "transformers", "trl", "peft", "pyarrow", "pydantic", "math-verify"]:
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            pass
    return out


def _git_commit(where: str) -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def add_stage_times(stats: dict, stream_s: float, step_s: dict[str, float | None], stream_rows: int | None = None) -> None:
    """``seconds`` and ``rows_per_s`` (rows in / seconds) per stage, of this invocation. Source to row filters run
    as one streaming job, concurrently: each of them shows that job's wall time (``streamed: true``). A stage whose
    rows this invocation did not all process has no rate: a resumed run's streaming job saw only ``stream_rows``
    of the rows (a stage's ``in`` counts every row of the run), and a curation step an earlier invocation did
    (``step_s[name]`` None) took no time here. The pass-rate filter runs inside the curation passes: no time
    of its own (was: the streaming job's, marked streamed)."""
    total = next(iter(stats.values()))["in"] if stats else 0
    for name, st in stats.items():
        all_rows = True
        if name in step_s:
            sec = step_s[name]
        elif name == "pass_rate":
            sec = None
        else:
            sec, st["streamed"] = stream_s, True
            all_rows = stream_rows is None or stream_rows >= total
        st["seconds"] = None if sec is None else round(float(sec), 3)
        st["rows_per_s"] = round(st["in"] / sec, 1) if sec and all_rows else None


def stage_names(recipe: Recipe) -> list[str]:
    return ["source", "generate", *[f"verify:{v.name}" for v in recipe.verifiers], *curation_stage_names(recipe)]


def run_recipe(recipe_file: str, run_id: str | None = None, fresh: bool = False, use_cache: bool = True,
               skip_train: bool = False, skip_eval: bool = False, output_dir: str | None = None,
               recipe: Recipe | None = None) -> RunResult:
    """``recipe``: an already loaded (and possibly derived) recipe to run instead of loading ``recipe_file`` (the
    closed loop, factory/loop.py, runs one derived recipe per round; ``recipe_file`` is still recorded)."""
    if run_id is not None:
        check_run_id(run_id)
    recipe = recipe if recipe is not None else load_recipe(recipe_file)
    if output_dir:
        recipe.output.dir = output_dir
    # exit 2 before anything is written if the source is unusable. The plan stamps each source file (size, mtime)
    # before the fingerprint hashes its content, and generation reads these same units: a file rewritten at any
    # point after this is one clear error in the worker that reads it, never a run id of one version and rows of another
    units = plan_units(recipe.source, recipe.base_dir, recipe.output.shard_size)
    fp = fingerprint(recipe)
    run_id = run_id or (f"{fp}-{time.strftime('%Y%m%dT%H%M%S')}" if fresh else fp)
    check_unique_ids(recipe, units)  # likewise when fields.id names two records alike
    check_records(recipe, units)  # and, with source.on_bad_record: fail, when any record is bad
    preflight(recipe, str(recipe_file), skip_train)  # keys, local GPUs, API hosts: exit 2 before anything is written
    store = RunStore(recipe.output.dir, recipe.name, run_id)
    try:  # fail before any work if the run store cannot be written (read-only mount, a file in the way, ...)
        fsutil.makedirs(store.fs, store.path)
    except OSError as e:
        raise FactoryError(f"output.dir: cannot create {store.uri}: {e.strerror or e}") from None
    with store.locked():  # one writer per run dir; a killed writer's temp files are swept
        return _run_locked(recipe, str(recipe_file), fp, run_id, store, use_cache, skip_train, skip_eval, units)


def _run_locked(recipe: Recipe, recipe_file: str, fp: str, run_id: str, store: RunStore, use_cache: bool,
                skip_train: bool, skip_eval: bool, units: list | None = None) -> RunResult:
    cache = RequestCache(fsutil.join(recipe.output.dir, "_cache", "requests")) if use_cache else None
    timings: dict[str, float] = {}
    manifest = _start_manifest(recipe, recipe_file, fp, run_id, store)
    log.info("run %s -> %s", run_id, store.uri)
    budget = RunBudget(recipe.budget, run_id, _earlier_spend(recipe, manifest))  # one run-wide counter for synthesis and generation
    synth_calls = 0
    try:
        gen_recipe = recipe
        if recipe.synthesize is not None:  # new prompts from seeds first; generation then reads them as its source
            t0 = time.time()
            gen_recipe, manifest["synthesis"] = synthesize(recipe, store, cache.uri if cache is not None else None, budget)
            timings["synthesize"] = round(time.time() - t0, 2)
            synth_calls = _synth_calls(manifest["synthesis"])
            _record_paid(manifest, 0.0, synth_calls)
            if gen_recipe is None:
                stopped = manifest["synthesis"]["stopped"]
                manifest["status"], manifest["generation"] = "stopped", {"stopped": stopped}
                log.warning("stopped: %s during prompt synthesis; re-run the same command to continue (with a bigger budget "
                            "if the budget stopped it; the calls made are cached)", stopped)
                return RunResult(store.uri, run_id, "stopped", {}, {}, timings, stopped=stopped, paid=manifest["paid"])
        t0 = time.time()

        def progress(info: dict) -> None:  # what was paid so far reaches the disk: a killed invocation's money is not lost
            manifest["generation"] = dict(info)
            _record_paid(manifest, info.get("paid", 0.0), synth_calls + info.get("teacher_calls", 0))
            store.write_json("manifest.json", manifest)

        manifest["generation"] = stream_chunks(gen_recipe, store, cache.uri if cache is not None else None, budget, progress,
                                               units=units if gen_recipe is recipe else None)  # synthesis: its own prompts' plan
        _record_paid(manifest, manifest["generation"]["paid"], synth_calls + manifest["generation"]["teacher_calls"])
        timings["generate+verify"] = round(time.time() - t0, 2)
        if manifest["generation"]["rows_pending"]:  # new chunks: dedup decisions of an earlier attempt are stale
            fsutil.delete_tree(store.fs, store.p("curation"))
        stopped = manifest["generation"].get("stopped")
        if stopped and not store.chunk_files():
            manifest["status"] = "stopped"
            log.warning("stopped: %s before any chunk finished; re-run with a bigger budget to continue", stopped)
            return RunResult(store.uri, run_id, "stopped", {}, {}, timings, stopped=stopped, paid=manifest["paid"])
        _curate_and_count(recipe, store, manifest, timings)
        if stopped:  # curated what finished; training on a partial set is left to the re-run that completes it
            manifest["status"] = "stopped"
            log.warning("stopped: %s; curated the %d finished rows; re-run the same command (a bigger budget) to continue without "
                        "paying again for what is done", stopped, manifest["counts"]["rows"])
        else:
            _train_and_eval(recipe, store, manifest, timings, skip_train, skip_eval)
            manifest["status"] = "succeeded"
    except KeyboardInterrupt:
        manifest["status"] = "interrupted"
        raise
    except Exception as e:
        manifest["status"] = "failed"
        manifest["error"] = f"{type(e).__name__}: {e}"[:2000]
        raise
    finally:
        budget.stop()
        _finish(store, manifest, timings)
    return RunResult(store.uri, run_id, manifest["status"], manifest["counts"], manifest["stages"], timings, manifest.get("eval"),
                     manifest.get("cost"), manifest["generation"].get("stopped"), manifest.get("paid"))


def _record_paid(manifest: dict, paid_now: float, calls_now: int) -> None:
    """``manifest["paid"]``: USD of the teacher and verifier calls made by this invocation, by the earlier invocations
    of the same run (what their manifests recorded, a killed one's up to its last progress line), and by all of them:
    the figures a provider's bill adds up to. ``counts.cost`` is another figure, the cost of the corpus (what every
    row's answer cost when it was made, reused cache answers included). ``manifest["paid_calls"]``: the same record
    of teacher calls (synthesis and generation; cache hits excluded). The run budget's caps count both run totals."""
    earlier = (manifest.get("paid") or {}).get("earlier_invocations", 0.0)
    manifest["paid"] = {"this_invocation": round(paid_now, 8), "earlier_invocations": earlier,
                        "run_total": None if earlier is None else round(earlier + paid_now, 8)}
    calls = (manifest.get("paid_calls") or {}).get("earlier_invocations", 0)
    manifest["paid_calls"] = {"this_invocation": calls_now, "earlier_invocations": calls,
                              "run_total": None if calls is None else calls + calls_now}


def _synth_calls(info: dict) -> int:
    """Teacher calls prompt synthesis made in this invocation (none when an earlier one finished it)."""
    return 0 if info.get("reused") else int(info.get("synth_teacher_calls") or 0) + int(info.get("sc_teacher_calls") or 0)


def _earlier_spend(recipe: Recipe, manifest: dict) -> tuple[int, float]:
    """(calls, USD) the run's earlier invocations spent, where the run budget's counter starts; a run made before
    these records existed: unknown, counted as 0 with a WARNING."""
    calls, usd = manifest["paid_calls"]["earlier_invocations"], manifest["paid"]["earlier_invocations"]
    if recipe.budget is not None and (calls is None or usd is None):
        log.warning("budget: the earlier invocations of run %s did not record what they spent (calls %s, usd %s): the caps "
                    "count from 0 for what is unknown", manifest["run_id"], calls, usd)
    return calls or 0, usd or 0.0


def _start_manifest(recipe: Recipe, recipe_file: str, fp: str, run_id: str, store: RunStore) -> dict:
    """The manifest of a starting run (train/eval results of an earlier attempt carried over), written."""
    manifest = {
        "schema_version": SCHEMA_VERSION, "run_id": run_id, "recipe_name": recipe.name, "recipe_file": recipe_file, "fingerprint": fp,
        "recipe": recipe.model_dump(mode="json"), "versions": _versions(), "git_commit": _git_commit(recipe.base_dir),
        "status": "running", "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "licenses": licenses(recipe),
    }
    old = store.read_json("manifest.json")
    if old and old.get("fingerprint") not in (None, fp):  # --run-id naming a run of another recipe: never mix their rows
        raise FactoryError(f"run {run_id} ({store.uri}) was made from a different recipe or input files (fingerprint "
                           f"{old['fingerprint']}, now {fp}): resuming it would mix rows of both; use --fresh or another --run-id")
    if old:
        manifest["previous_status"] = old.get("status")
        for k in ("train", "eval"):
            if k in old:
                manifest[k] = old[k]
    # a run made before "paid" existed did not record it: unknown (null), not 0
    earlier = 0.0 if not old else (old.get("paid") or {}).get("run_total") if "paid" in old else None
    manifest["paid"] = {"this_invocation": 0.0, "earlier_invocations": earlier, "run_total": earlier}
    calls = 0 if not old else (old.get("paid_calls") or {}).get("run_total") if "paid_calls" in old else None
    manifest["paid_calls"] = {"this_invocation": 0, "earlier_invocations": calls, "run_total": calls}
    store.write_json("manifest.json", manifest)
    return manifest


def _curate_and_count(recipe: Recipe, store: RunStore, manifest: dict, timings: dict[str, float]) -> None:
    """Curation over the run store, the contamination report, then stats.json and the manifest's counts."""
    t0 = time.time()
    total, step_times = curate_store(recipe, store, teacher_prices(recipe))
    fsutil.sweep_tmp(store.fs, store.path)  # every writer is done: what a Ray worker killed mid-write left goes now
    timings["curate"] = round(time.time() - t0, 2)
    manifest["curation_timings"] = step_times
    contaminated, probe, checked = total.pop("contaminated"), total.pop("judge_probe", None), total.pop("decontam_checked", None)
    if recipe.dedup.decontam is not None:
        from curation.dedup.decontam import benchmark_coverage
        from curation.plan import build_dedup_config, recipe_relative

        coverage = benchmark_coverage(build_dedup_config("decontam", recipe_relative(recipe, "decontam", recipe.dedup.decontam)), probe)
        if probe is not None and not probe["used"]:
            log.warning("decontamination: the judge got %d of %d known pairs right and was NOT USED (its near misses stay "
                        "unflagged); name a bigger judge, or set judge_probe: false", probe["right"], probe["asked"])
        # rows: what the decontam stage checked (what earlier stages left); run_rows: every row of the run. Was the
        # run's rows alone under "rows": "2 contaminated of 12 rows" where the stage had checked 6
        manifest["contamination"] = {**contamination_report(contaminated, coverage=coverage),
                                     "rows": checked if checked is not None else total["rows"], "run_rows": total["rows"],
                                     **({"judge_probe": probe} if probe is not None else {})}
        for line in manifest["contamination"]["partial"]:
            log.warning("decontamination covered only part of a benchmark: %s", line)
    t0 = time.time()
    stats = stage_stats(total, stage_names(recipe))
    add_stage_times(stats, timings.get("generate+verify", 0.0), step_times, (manifest.get("generation") or {}).get("rows_pending"))
    summ = summary(total)
    gen = manifest["generation"]
    costs = cost_breakdown(total, recipe, timings.get("generate+verify") if gen.get("teacher_calls") else 0.0, gen.get("busy_seconds", {}))
    store.write_json("stats.json", {"schema_version": SCHEMA_VERSION, "stages": stats, "summary": summ, "cost": costs})
    timings["write"] = round(time.time() - t0, 2)
    if recipe.synthesize is not None:
        summ.update(count_synthesized(store))
    manifest.update(counts=summ, stages=stats, cost=costs)


def _train_and_eval(recipe: Recipe, store: RunStore, manifest: dict, timings: dict[str, float],
                    skip_train: bool, skip_eval: bool) -> None:
    if recipe.train and not skip_train:
        from students.train import train_if_needed

        t0 = time.time()
        manifest["train"] = train_if_needed(recipe, store)  # reads <run>/accepted/ (and rejects/) on Ray Data
        timings["train"] = round(time.time() - t0, 2)
    old = manifest.get("eval")
    if old is not None:  # carried over from an earlier attempt: only while it scored the student this manifest trained
        from students.eval import train_key

        if old.get("trained_by", train_key(manifest.get("train"))) != train_key(manifest.get("train")):
            log.warning("eval: dropping the earlier eval from the manifest: it scored another training's student")
            del manifest["eval"]
    if recipe.eval and not skip_eval:
        from students.eval import eval_if_needed

        t0 = time.time()
        manifest["eval"] = eval_if_needed(recipe, store, manifest.get("train"))
        timings["eval"] = round(time.time() - t0, 2)


def _finish(store: RunStore, manifest: dict, timings: dict[str, float]) -> None:
    """Whatever the outcome: timings and end time in the manifest, and report.html."""
    manifest["timings"] = timings
    manifest["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    store.write_json("manifest.json", manifest)
    try:  # interrupted and failed runs get a report too
        from factory.report import write_report

        write_report(store.uri)
    except Exception as e:  # noqa: BLE001 - a report problem must not mask the run's own outcome
        log.warning("report.html not written: %s", e)
