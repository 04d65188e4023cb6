"""Run a recipe: source -> generate -> verify -> dedup -> Parquet -> (train) -> (eval).

    >>> from factory.pipeline import run_recipe
    >>> result = run_recipe("recipes/gsm8k_demo.yaml")          # local Ray, bundled tiny model
    >>> result.run_dir, result.summary["accepted"]

Generation and verification stream through Ray Data (one engine load per actor). The driver
collects finished rows per source chunk and writes ``chunks/chunk-N.parquet`` as soon as a chunk is
complete: that file is the chunk's completion marker. A re-run of the same command (same recipe
and inputs -> same run id) skips finished chunks, answers finished teacher calls from the request
cache, and ends with the same rows. Dedup then runs over all chunks and writes ``accepted/`` and
``rejects/``, ``stats.json`` and ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from factory import fsutil
from factory.curation import build_steps, run_steps
from factory.curation import stage_names as curation_stage_names
from factory.errors import FactoryError
from factory.recipe import Recipe, load_recipe
from factory.record import ACCEPTED, REJECTED, from_table, new_sample, reject, sha, to_table
from factory.source import prompt_of, read_records
from factory.stages import GenerateUDF, VerifyUDF, apply_result, sampling_params
from factory.licensing import licenses
from factory.stats import cost_breakdown, stage_stats, summary
from factory.store import RunStore
from teachers.base import GenResult
from teachers.cache import RequestCache, request_key

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


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(path.rglob("*")):
            if f.is_file():
                h.update(f.name.encode())
                h.update(f.read_bytes())
    elif path.exists():
        h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(recipe: Recipe) -> str:
    """Hash of the resolved recipe and the content of every input file it names."""
    reg = recipe.eval.regression if recipe.eval else None
    files = [recipe.source.path, recipe.prompt.template, recipe.prompt.system, recipe.eval.source.path if recipe.eval else None,
             reg.source.path if reg else None, reg.template if reg else None]
    return sha(recipe.model_dump(mode="json"), [_file_sha(recipe.path(f)) for f in files if f], n=12)


def build_rows(recipe: Recipe) -> list[dict]:
    """Source records -> one row per (record, sample index), with messages and request keys."""
    template = recipe.path(recipe.prompt.template).read_text(encoding="utf-8") if recipe.prompt.template else ""
    system = recipe.path(recipe.prompt.system).read_text(encoding="utf-8").strip() if recipe.prompt.system else None
    template_hash = hashlib.sha256(template.encode()).hexdigest()[:16]
    teachers = recipe.all_teachers()
    fm = recipe.source.fields
    rows = []
    for rec in read_records(recipe.source, recipe.base_dir):
        prompt, err = prompt_of(rec, fm)
        data = rec.data or {}
        pid = str(data.get(fm.id)) if fm.id and data.get(fm.id) is not None else sha(data if rec.data else rec.where, n=16)
        messages: list[dict] = []
        if fm.messages is not None:
            messages, err = _ready_messages(rec, fm.messages)
        elif err is None:
            try:
                user = template.format(**{**data, "prompt": prompt})
            except (KeyError, IndexError, ValueError) as e:
                user, err = "", f"template field missing in record: {e}"
            if system:
                messages.append({"role": "system", "content": system})
            messages.append({"role": "user", "content": user})
        t = recipe.teacher
        if recipe.route is not None and recipe.route.field in data:
            t = teachers[recipe.route.map.get(str(data[recipe.route.field]), recipe.teacher.name)]
        ref = data.get(fm.reference) if fm.reference else None
        if ref is not None and not isinstance(ref, str):
            ref = json.dumps(ref)
        for k in range(t.n):
            params = sampling_params(t.sampling.model_dump(), k).to_dict()
            row = new_sample(
                stage=recipe.name, prompt_id=pid, sample_index=k, messages=messages,
                chunk=rec.index // recipe.output.shard_size, category=str(data[fm.category]) if fm.category and fm.category in data else None,
                reference=ref, source=json.dumps(data, ensure_ascii=False, default=str)[:100_000], template_hash=template_hash,
                teacher=t.name, engine=t.engine, model=t.model, params=json.dumps(params, sort_keys=True),
                request_key=request_key(t.engine, t.model, messages, params, k),
            )
            if err is not None:
                reject(row, "source", f"{err} [{rec.where}]")
            rows.append(row)
    return rows


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


def _ready_messages(rec, field: str) -> tuple[list[dict], str | None]:
    if rec.error:
        return [], rec.error
    msgs = (rec.data or {}).get(field)
    if not isinstance(msgs, list) or not msgs or not all(isinstance(m, dict) and "role" in m for m in msgs):
        return [], f"field {field!r} is not a list of chat messages"
    return msgs, None


def _init_ray(num_cpus: int | None = None):
    import signal
    import threading

    import ray

    if not ray.is_initialized():
        addr = os.environ.get("RAY_ADDRESS")
        if addr:
            ray.init(address=addr, logging_level=logging.WARNING)
        else:
            # Ray nices its workers (15) by default; in the local cluster the factory starts for itself the
            # workers do the real work (generation, training), so they run at normal priority.
            ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, logging_level=logging.WARNING,
                     configure_logging=False, _system_config={"worker_niceness": 0},
                     # OpenMP threads that spin while waiting burn a shared CPU without progress (7x slower
                     # generation seen on a loaded 2-core box); passive waiting costs nothing when idle
                     runtime_env={"env_vars": {"OMP_WAIT_POLICY": "PASSIVE"}})
    if threading.current_thread() is threading.main_thread():
        # Ray's C++ failure handler aborts the process on SIGTERM; we want a graceful stop instead:
        # finished chunks stay, the manifest says "interrupted", a re-run resumes.
        signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    return ray


def teacher_cfg(t) -> dict:
    opts = dict(t.options)
    if t.engine == "hf_local":
        opts.setdefault("batch_size", t.batch_size)
    return dict(engine=t.engine, name=t.name, model=t.model, options=opts, sampling=t.sampling.model_dump(),
                prices=t.prices.model_dump(), num_gpus=t.num_gpus)


def generate_and_verify(recipe: Recipe, store: RunStore, rows: list[dict], cache: RequestCache | None) -> dict:
    """Stream pending chunks through Ray Data; write each chunk file when its rows are all back."""
    done = store.done_chunks()
    pending = [r for r in rows if r["chunk"] not in done]
    info = {"chunks_total": len({r["chunk"] for r in rows}), "chunks_skipped": len({r["chunk"] for r in rows} & done),
            "rows_pending": len(pending)}
    if not pending:
        log.info("all %d chunks already done: nothing to generate", info["chunks_total"])
        return info
    # answer what we can from the request cache, on the driver: those rows never reach an engine
    if cache is not None:
        hits = cache.get_many([r["request_key"] for r in pending if r["status"] == ACCEPTED])
        for r in pending:
            if r["request_key"] in hits:
                res = GenResult(**{k: v for k, v in hits[r["request_key"]].items() if k in GenResult.__dataclass_fields__})
                apply_result(r, res, {}, cache_hit=True)
        info["cache_hits_prefilled"] = len(hits)
    expected: dict[int, int] = {}
    for r in pending:
        expected[r["chunk"]] = expected.get(r["chunk"], 0) + 1
    info["teacher_calls"] = sum(1 for r in pending if r["status"] == ACCEPTED and not r["cache_hit"])
    need_engine = info["teacher_calls"] > 0

    ray = _init_ray()
    t = recipe.teacher
    bs = t.batch_size
    blocks = [to_table(pending[i : i + bs]) for i in range(0, len(pending), bs)]
    ds = ray.data.from_arrow(blocks)
    if need_engine:
        ds = ds.map_batches(GenerateUDF, fn_constructor_kwargs=dict(teacher_cfgs={n: teacher_cfg(t) for n, t in recipe.all_teachers().items()},
                                                                      cache_uri=cache.uri if cache is not None else None, fallback=recipe.fallback),
                            batch_size=bs, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=t.replicas),
                            num_cpus=t.num_cpus, num_gpus=t.num_gpus or None,
                            zero_copy_batch=False)
    if recipe.verifiers:
        ds = ds.map_batches(VerifyUDF, fn_constructor_kwargs=dict(verifier_cfgs=[v.model_dump() for v in recipe.verifiers],
                                                                  accept_unverifiable=recipe.accept_unverifiable),
                            batch_size=bs, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=1), num_cpus=0.5,
                            zero_copy_batch=False)
    buf: dict[int, list[dict]] = {}
    n_done, n_chunks, t0, last = 0, 0, time.time(), 0.0
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for r in from_table(batch):
            buf.setdefault(r["chunk"], []).append(r)
            n_done += 1
            c = r["chunk"]
            if len(buf[c]) == expected[c]:
                store.write_chunk(c, to_table(sorted(buf.pop(c), key=lambda x: (x["prompt_id"], x["sample_index"]))))
                n_chunks += 1
        if time.time() - last > 5 or n_done == len(pending):
            last = time.time()
            rate = n_done / max(1e-9, last - t0)
            log.info("generate+verify: %d/%d rows, %d/%d chunks written, %.2f rows/s", n_done, len(pending), n_chunks, len(expected), rate)
    if buf:
        raise FactoryError(f"internal error: chunks {sorted(buf)} incomplete after generation")
    return info


def curate(recipe: Recipe, rows: list[dict]) -> tuple[list[dict], dict[str, float]]:
    return run_steps(build_steps(recipe), rows)


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


def stage_names(recipe: Recipe) -> list[str]:
    return ["source", "generate", *[f"verify:{v.name}" for v in recipe.verifiers], *curation_stage_names(recipe)]


def run_recipe(recipe_file: str, run_id: str | None = None, fresh: bool = False, use_cache: bool = True,
               skip_train: bool = False, skip_eval: bool = False, output_dir: str | None = None) -> RunResult:
    recipe = load_recipe(recipe_file)
    if output_dir:
        recipe.output.dir = output_dir
    fp = fingerprint(recipe)
    run_id = run_id or (f"{fp}-{time.strftime('%Y%m%dT%H%M%S')}" if fresh else fp)
    rows = build_rows(recipe)  # raises (exit 2) before anything is written if the source is unusable
    store = RunStore(recipe.output.dir, recipe.name, run_id)
    try:  # fail before any work if the run store cannot be written (read-only mount, a file in the way, ...)
        fsutil.makedirs(store.fs, store.path)
    except OSError as e:
        raise FactoryError(f"output.dir: cannot create {store.uri}: {e.strerror or e}") from None
    cache = RequestCache(fsutil.join(recipe.output.dir, "_cache", "requests")) if use_cache else None
    timings: dict[str, float] = {}
    manifest = {
        "run_id": run_id, "recipe_name": recipe.name, "recipe_file": str(recipe_file), "fingerprint": fp,
        "recipe": recipe.model_dump(mode="json"), "versions": _versions(), "git_commit": _git_commit(recipe.base_dir),
        "status": "running", "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "licenses": licenses(recipe),
    }
    old = store.read_json("manifest.json")
    if old:
        manifest["previous_status"] = old.get("status")
        for k in ("train", "eval"):
            if k in old:
                manifest[k] = old[k]
    store.write_json("manifest.json", manifest)
    log.info("run %s -> %s", run_id, store.uri)
    try:
        t0 = time.time()
        manifest["generation"] = generate_and_verify(recipe, store, rows, cache)
        timings["generate+verify"] = round(time.time() - t0, 2)

        t0 = time.time()
        chunks = sorted({r["chunk"] for r in rows})
        all_rows, step_times = curate(recipe, store.read_chunks(chunks))
        timings["curate"] = round(time.time() - t0, 2)
        manifest["curation_timings"] = step_times
        if recipe.dedup.decontam is not None:
            from factory.curation import build_config
            from factory.dedup.decontam import benchmark_coverage, contamination_report

            coverage = benchmark_coverage(build_config("dedup", "decontam", recipe.dedup.decontam))
            manifest["contamination"] = contamination_report(all_rows, coverage=coverage)
            for line in manifest["contamination"]["partial"]:
                log.warning("decontamination covered only part of a benchmark: %s", line)

        t0 = time.time()
        acc = [r for r in all_rows if r["status"] == ACCEPTED]
        rej = [r for r in all_rows if r["status"] == REJECTED]
        store.write_parts("accepted", to_table(acc))
        store.write_parts("rejects", to_table(rej))
        stats = stage_stats(all_rows, stage_names(recipe))
        summ = summary(all_rows)
        costs = cost_breakdown(all_rows, recipe, timings.get("generate+verify") if manifest["generation"].get("teacher_calls") else 0.0)
        store.write_json("stats.json", {"stages": stats, "summary": summ, "cost": costs})
        timings["write"] = round(time.time() - t0, 2)
        manifest.update(counts=summ, stages=stats, cost=costs)

        if recipe.train and not skip_train:
            from students.train import train_if_needed

            t0 = time.time()
            manifest["train"] = train_if_needed(recipe, store, acc)
            timings["train"] = round(time.time() - t0, 2)
        if recipe.eval and not skip_eval:
            from students.eval import eval_if_needed

            t0 = time.time()
            manifest["eval"] = eval_if_needed(recipe, store, manifest.get("train"))
            timings["eval"] = round(time.time() - t0, 2)
        manifest["status"] = "succeeded"
    except KeyboardInterrupt:
        manifest["status"] = "interrupted"
        raise
    except Exception as e:
        manifest["status"] = "failed"
        manifest["error"] = f"{type(e).__name__}: {e}"[:2000]
        raise
    finally:
        manifest["timings"] = timings
        manifest["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        store.write_json("manifest.json", manifest)
        try:  # interrupted and failed runs get a report too
            from factory.report import write_report

            write_report(store.uri)
        except Exception as e:  # noqa: BLE001 - a report problem must not mask the run's own outcome
            log.warning("report.html not written: %s", e)
    return RunResult(store.uri, run_id, manifest["status"], manifest["counts"], manifest["stages"], timings, manifest.get("eval"),
                     manifest.get("cost"))
