"""The streaming job: source units -> rows -> generate -> verify -> row filters -> chunk shards, on Ray workers.

    >>> from factory.executor import stream_chunks
    >>> info = stream_chunks(recipe, store, cache_uri)      # the driver only plans units and sums counters

The driver lists the source's chunks (:func:`ground.source.plan_units`: file offsets, no records) and the
chunks already written, and builds one Ray Data job over the pending ones. Each unit is one block from
expansion on: a worker reads the unit's records and expands them into rows (a bad record becomes a row
rejected at ``source``), the request cache answers what it can (found first by :mod:`factory.cache_join`), one actor-pool stage per teacher
generates (resources from that teacher's section), the verifiers and the row filters run in their own
actor pools (``execution:`` in the recipe), and the last stage writes ``chunks/chunk-N.parquet``
atomically (:mod:`factory.chunk_writer`): that file is the chunk's completion marker. What comes back to the driver is one small
summary row per chunk. A re-run skips written chunks and answers finished teacher calls from the cache.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import pyarrow as pa

from curation.plan import build_filters, has_filters
from ground import fsutil
from ground.progress import fmt_duration
from ground.raycluster import init_ray
from factory.cache_join import join_cache
from factory.chunk_writer import BufferedWriteUDF, write_chunks
from factory.curate_keys import key_spec
from factory.budget import RunBudget, spend_rows, take_rows
from factory.waves import Wave
from ground.record import ACCEPTED, from_table, to_table
from ground.source import Segment, Unit, plan_units, read_unit
from teachers.base import GenResult
from teachers.cache import RequestCache
from teachers.expand import Expander
from teachers.step import apply_result, pool_actors, routed_to, teacher_cfg
from teachers.vllm_stage import processor_stage, uses_processor

log = logging.getLogger(__name__)



# ----------------------------------------------------------------------------- stage functions (run on workers)
def _unit_json(u: Unit) -> str:
    return json.dumps(dataclasses.asdict(u))


def _unit_of(s: str) -> Unit:
    d = json.loads(s)
    return Unit(d["chunk"], d["index"], [Segment(**g) for g in d["segments"]])


def unit_rows(u: Unit, expander: Expander, wave: Wave | None = None) -> list[dict]:
    """One unit's rows: all n samples of each record, or this wave's samples of its unfinished prompts."""
    if wave is not None:
        return wave.rows(u, expander, read_unit(u))
    return [row for rec in read_unit(u) for row in expander.expand(rec)]


def expand_units(batch: pa.Table, expander: Expander, wave: Wave | None = None) -> pa.Table:
    """Units -> their Sample rows (one unit per batch keeps a chunk in one block)."""
    return to_table([row for u in batch.column("unit").to_pylist() for row in unit_rows(_unit_of(u), expander, wave)])


class CacheUDF:
    """Answers rows from the joined cache hits of their chunk (``cache_hit``): those rows never reach an engine.
    ``prices``: teacher name -> (its ``prices``, GPUs per replica), so a row keeps the price of its cached answer
    (the first teacher is the default, as :func:`teachers.step.routed_to` routes)."""

    def __init__(self, hits_uri: str, prices: dict[str, tuple[dict, float]] | None = None):
        self.fs, self.dir = fsutil.filesystem(hits_uri)
        self.prices = prices or {}

    def _hits(self, chunks: set[int]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for c in chunks:
            for f in fsutil.list_files(self.fs, fsutil.join(self.dir, f"chunk-{c:06d}"), ".parquet"):
                t = fsutil.read_parquet(self.fs, f)
                out.update((k, json.loads(v)) for k, v in zip(t.column("key").to_pylist(), t.column("result").to_pylist()))
        return out

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = from_table(batch)
        hits = self._hits({r["chunk"] for r in rows})
        for r in rows:
            if r["status"] == ACCEPTED and r["request_key"] in hits:
                res = GenResult(**{k: v for k, v in hits[r["request_key"]].items() if k in GenResult.__dataclass_fields__})
                prices, gpus = self.prices.get(routed_to(r, self.prices, next(iter(self.prices), ""))) or ({}, 0.0)
                apply_result(r, res, prices, cache_hit=True, num_gpus=gpus)
        return to_table(rows)


class GenerateUDF:
    """One teacher's actor: generates the rows routed to it; other rows pass through untouched."""

    def __init__(self, teacher_cfgs: dict, only: str, cache_uri: str | None, fallback: str | None = None, budget: str | None = None):
        from teachers.step import GenerateStep

        self.only, self.budget = only, budget
        self.step = GenerateStep(teacher_cfgs, cache_uri, fallback)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = from_table(batch)
        mine = [r for r in rows if r["status"] == ACCEPTED and not r.get("cache_hit") and routed_to(r, self.step.cfgs, self.step.default) == self.only]
        if mine and self.budget is not None:  # the run budget: ask the run's counter actor for this batch's calls
            mine, _ = take_rows(self.budget, mine)
        if mine:
            self.step(mine)
            if self.budget is not None:
                fb = self.step.fallback
                spend_rows(self.budget, mine, fb if fb != self.only else None)
        return to_table(rows)


class StepUDF:
    """Any batch step of a lower layer (verify, row filters) as an actor: heavy state loads once per actor."""

    def __init__(self, make, *args):
        self.steps = make(*args)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = from_table(batch)
        for st in self.steps:
            rows = st(rows)
        return to_table(rows)


def _verify_steps(cfgs: list[dict], accept_unverifiable: bool) -> list:
    from verifiers.step import VerifyStep

    return [VerifyStep(cfgs, accept_unverifiable)]


def _count_rows(batch: pa.Table, expander: Expander, wave: Wave | None = None) -> pa.Table:
    """Rows per unit (cheap: expansion without teacher calls), for the writer's completeness check. A wave's
    chunk whose prompts are all done is finished here: its (empty) marker is written and it is not streamed."""
    units = [_unit_of(u) for u in batch.column("unit").to_pylist()]
    per = expander.rows_per_record() if wave is None else None
    # fixed n: records x n, without expanding them (the expansion costs ~20x the read)
    n = [len(read_unit(u)) * per if per is not None else len(unit_rows(u, expander, wave)) for u in units]
    for u, k in zip(units, n):
        if wave is not None and k == 0:
            wave.write(u.chunk, [])
    return pa.table({"chunk": pa.array([u.chunk for u in units], pa.int64()), "n": pa.array(n, pa.int64())})


# ----------------------------------------------------------------------------- the job (driver)
def _pool(ray, lo: int, hi: int | None):
    return ray.data.ActorPoolStrategy(min_size=lo, max_size=max(lo, hi or lo))


def light_tasks(ray, inputs: int | None = None) -> int:
    """How many of a zero-CPU task stage may run at once: one per cluster CPU (at least 2), and no more than the
    stage's ``inputs`` (Ray Data warns about a cap above them). Unbounded, Ray Data keeps starting them while the
    actor pools hold the CPUs, and each extra one costs a worker process start."""
    n = max(2, int(ray.cluster_resources().get("CPU", 2)))
    return max(1, min(n, inputs)) if inputs is not None else n


def _pool_kw(ray, pool, kw: dict) -> dict:
    """map_batches arguments of a verify/filter pool (execution: in the recipe). Ray Data refuses batch_size=None
    for a GPU stage, so a pool that asks for GPUs takes its ``batch_size`` (and the chunks re-batch)."""
    out = dict(kw, compute=_pool(ray, pool.min_actors, pool.max_actors), num_cpus=pool.num_cpus, num_gpus=pool.num_gpus or None)
    if pool.num_gpus:
        out["batch_size"] = pool.batch_size
    return out


def generation_cfgs(recipe) -> tuple[dict, list[str]]:
    """Each teacher's step config, and the teachers that get a generation pool (the default, then routed ones).
    A fallback teacher is built inside every generation actor of every pool, so its rpm/tpm are split over all
    of them (were: over its own replicas only, and each pool's actors sent at that rate on top)."""
    teachers = recipe.all_teachers()
    cfgs = {n: teacher_cfg(t, recipe.base_dir) for n, t in teachers.items()}
    used = [recipe.teacher.name] + ([] if recipe.route is None else sorted(set(recipe.route.map.values()) - {recipe.teacher.name}))
    if recipe.fallback:
        cfgs[recipe.fallback] = teacher_cfg(teachers[recipe.fallback], recipe.base_dir, sum(pool_actors(teachers[n]) for n in used))
    return cfgs, used


def build_dataset(ray, recipe, units: list[Unit], store_uri: str, cache_uri: str | None, expected: dict[int, int], hits_uri: str | None,
                  wave: Wave | None = None, budget: str | None = None):
    expander = Expander.from_recipe(recipe)
    ds = ray.data.from_items([{"unit": _unit_json(u)} for u in units], override_num_blocks=len(units))
    # the light task stages (expand, write) reserve no CPU: the actor pools hold the cluster's CPUs for the whole job,
    # and a task that waits for one of them would wait forever on a small machine
    ds = ds.map_batches(expand_units, fn_kwargs={"expander": expander, "wave": wave}, batch_size=1, batch_format="pyarrow", num_cpus=0,
                        concurrency=light_tasks(ray, len(units)))
    kw = dict(batch_size=None, batch_format="pyarrow", zero_copy_batch=False)
    cfgs, used = generation_cfgs(recipe)
    if hits_uri:
        prices = {n: (cfgs[n].get("prices") or {}, float(cfgs[n].get("num_gpus") or 0.0)) for n in [used[0], *cfgs]}
        ds = ds.map_batches(CacheUDF, fn_constructor_args=(hits_uri, prices), compute=_pool(ray, 1, 1), num_cpus=0.25, **kw)
    rebatched = False
    for name in used:  # one pool per teacher: a mixed recipe gets each teacher's own replicas, CPUs and GPUs
        t = recipe.all_teachers()[name]
        if uses_processor(cfgs[name]):  # a vllm teacher as ray.data.llm stages (teachers/vllm_stage.py)
            ds = processor_stage(cfgs, name, cache_uri, recipe.fallback, t.batch_size, t.replicas, t.max_replicas)(ds)
            rebatched = True
            continue
        # Ray Data refuses batch_size=None for a GPU stage: such a pool takes the teacher's batch_size, and so re-batches
        gkw = {**kw, "batch_size": t.batch_size} if t.num_gpus else kw
        rebatched = rebatched or bool(t.num_gpus)
        ds = ds.map_batches(GenerateUDF, fn_constructor_kwargs=dict(teacher_cfgs=cfgs, only=name, cache_uri=cache_uri, fallback=recipe.fallback, budget=budget),
                            compute=_pool(ray, t.replicas, t.max_replicas), num_cpus=t.num_cpus, num_gpus=t.num_gpus or None, **gkw)
    ex = recipe.execution
    if recipe.verifiers:
        ds = ds.map_batches(StepUDF, fn_constructor_args=(_verify_steps, [v.model_dump() for v in recipe.verifiers], recipe.accept_unverifiable),
                            **_pool_kw(ray, ex.verify, kw))
        rebatched = rebatched or bool(ex.verify.num_gpus)
    if has_filters(recipe):
        ds = ds.map_batches(StepUDF, fn_constructor_args=(build_filters, recipe), **_pool_kw(ray, ex.filters, kw))
        rebatched = rebatched or bool(ex.filters.num_gpus)
    keys = key_spec(recipe) if wave is None else None
    if rebatched:  # chunks no longer arrive as one block each: one actor collects each chunk's rows before writing
        return ds.map_batches(BufferedWriteUDF, fn_constructor_args=(store_uri, expected, wave, keys), compute=_pool(ray, 1, 1), num_cpus=0.25, **kw)
    return ds.map_batches(write_chunks, fn_kwargs={"store_uri": store_uri, "expected": expected, "wave": wave, "keys": keys}, num_cpus=0,
                          concurrency=light_tasks(ray, len(units)), **kw)


def stream_chunks(recipe, store, cache_uri: str | None, run_budget: RunBudget | None = None, progress=None,
                  units: list[Unit] | None = None) -> dict:
    """Run every pending chunk through the streaming job (with ``teacher.until``: wave after wave, until no prompt
    needs more samples); returns the generation counters for the manifest (``stopped``: why the budget ended it;
    ``paid``: USD of the teacher and verifier calls this invocation made, chunks a budget stop did not write
    included). ``run_budget``: the invocation's counter when an earlier stage (synthesis) took from it too.
    ``progress(info)``: called with the counters so far as chunks finish (about every 5 s). ``units``: the plan the
    driver made when it fingerprinted the source (its file stamps are what workers check); planned here when None."""
    units = units if units is not None else plan_units(recipe.source, recipe.base_dir, recipe.output.shard_size)
    until = recipe.teacher.until
    info = {"chunks_total": len(units), "chunks_skipped": 0, "rows_pending": 0, "cache_hits_prefilled": 0, "teacher_calls": 0,
            "paid": 0.0}
    waves = [Wave(j, lo, hi, until.verified, until.max_samples, store.uri) for j, (lo, hi) in enumerate(until.waves())] if until else [None]
    own = run_budget is None
    run_budget = run_budget or RunBudget(recipe.budget, store.run_id)
    ray = budget = None
    try:
        for wave in waves:
            done = store.done_chunks(None if wave is None else wave.index)
            pending = [u for u in units if u.chunk not in done]
            info["chunks_skipped"] += len(units) - len(pending)
            if not pending:
                continue
            if ray is None:
                ray = init_ray()
                budget = run_budget.start(ray)
            rows = _stream_pass(ray, recipe, store, cache_uri, pending, info, wave, budget, progress)
            if wave is not None:
                info.setdefault("waves", {})[wave.index] = rows
            state = run_budget.state()
            if state and state["stopped"]:
                info["stopped"] = state["stopped"]
                break
            if wave is not None and rows == 0 and len(pending) == len(units):  # every prompt is done: later waves have nothing to sample
                break
    finally:
        if own:
            run_budget.stop()
    if info["chunks_skipped"] == len(units) * len(waves):
        log.info("all %d chunks already done: nothing to generate", len(units))
    info["paid"] = round(info["paid"], 8)
    _report_transient(store, info)
    return info


def progress_line(what: str, rows: int, pending: int, chunks: int, n_chunks: int, seconds: float, cost: float) -> str:
    """The generation progress line: rows and chunks written, rate, time left, and cost so far with its projection
    to the whole pass (Curator users expect the bill before it arrives)."""
    rate = rows / max(1e-9, seconds)
    line = f"{what}generate+verify: {rows}/{pending} rows, {chunks}/{n_chunks} chunks written, {rate:.2f} rows/s"
    if 0 < rows < pending:
        line += f", eta {fmt_duration((pending - rows) / max(rate, 1e-9))}"
    if cost > 0:
        line += f", cost ${cost:.4f}" + (f", projected ${cost * pending / rows:.4f}" if 0 < rows < pending else "")
    return line


def _report_transient(store, info: dict) -> None:
    """``transient_failures`` / ``chunks_to_retry`` in the run info, and one WARNING saying what a re-run does."""
    retry = sorted(store.retry_chunks())
    if retry:
        n = sum(int(fsutil.read_json(store.fs, store.retry_path(c)).get("transient_failures", 0)) for c in retry)
        info.update(transient_failures=n, chunks_to_retry=len(retry))
        log.warning("%d rows failed with transient teacher errors (timeouts, 429, 5xx, lost connections) in %d chunks: they are "
                    "rejects of this run; re-run the same command to retry only those rows (the rest come from the cache)", n, len(retry))
    waved = store.wave_retry_counts()
    if waved:
        info["transient_failures"] = info.get("transient_failures", 0) + waved
        log.warning("%d samples of adaptive waves failed with transient teacher errors: they are rejects that do not count "
                    "as tried samples (a prompt's later waves ask new ones; none after its last wave) and a re-run does not "
                    "redo them", waved)


def _stream_pass(ray, recipe, store, cache_uri: str | None, pending: list[Unit], info: dict, wave: Wave | None, budget: str | None,
                 progress=None) -> int:
    """One streaming job over the pending units (one wave of them with ``teacher.until``); returns the rows written."""
    expander = Expander.from_recipe(recipe)
    what = "" if wave is None else f"wave {wave.index} (samples {wave.lo}..{wave.hi - 1}): "
    counts = ray.data.from_items([{"unit": _unit_json(u)} for u in pending], override_num_blocks=len(pending)).map_batches(
        _count_rows, fn_kwargs={"expander": expander, "wave": wave}, batch_size=1, batch_format="pyarrow")
    per_chunk: dict[int, int] = {}
    for b in counts.iter_batches(batch_format="pyarrow", batch_size=None):  # one small row per chunk
        per_chunk.update(zip(b.column("chunk").to_pylist(), b.column("n").to_pylist()))
    pending = [u for u in pending if per_chunk[u.chunk] > 0]  # a wave's chunk with every prompt done was finished above
    n_pending = sum(per_chunk.values())
    info["rows_pending"] += n_pending
    if not pending:
        return 0
    hits_uri = None
    if cache_uri and RequestCache(cache_uri).has_entries():
        hits_uri = fsutil.join(store.uri, "cache_hits")
        n = join_cache(ray, pending, expander, RequestCache(cache_uri), hits_uri, wave, pending_rows=n_pending)
        log.info("%srequest cache: %d of %d pending rows answered from the cache", what, n, n_pending)
    ds = build_dataset(ray, recipe, pending, store.uri, cache_uri, {c: n for c, n in per_chunk.items() if n}, hits_uri, wave, budget)
    n_rows = n_chunks = n_stopped = 0
    spent = 0.0
    t0 = last = time.time()
    for b in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        n_chunks += b.num_rows
        n_stopped += sum(b.column("stopped").to_pylist())
        n_rows += sum(b.column("rows").to_pylist())
        info["cache_hits_prefilled"] += sum(b.column("cache_hits").to_pylist())
        info["teacher_calls"] += sum(b.column("teacher_calls").to_pylist())
        paid = sum(b.column("paid").to_pylist())
        spent += paid
        info["paid"] = info.get("paid", 0.0) + paid
        for busy in b.column("busy").to_pylist():
            for t, sec in json.loads(busy or "{}").items():
                info.setdefault("busy_seconds", {})[t] = round(info.get("busy_seconds", {}).get(t, 0.0) + sec, 3)
        if time.time() - last > 5 or n_chunks == len(pending):
            last = time.time()
            log.info("%s", progress_line(what, n_rows, n_pending, n_chunks - n_stopped, len(pending), last - t0, spent))
            if progress is not None:  # the driver records what was paid so far: a killed invocation leaves it on disk
                progress(info)
    if n_chunks != len(pending):
        raise RuntimeError(f"internal error: {len(pending) - n_chunks} chunks were not written")
    return n_rows
