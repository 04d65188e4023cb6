"""Global curation as dataset-level passes over the written chunk shards; rows stay where they are.

    >>> from factory.curate_pass import curate_store
    >>> out = curate_store(recipe, store)        # decisions per dedup step, then accepted/ and rejects/ + counters

1. For each dedup step in order (exact -> MinHash -> embedding), Ray Data reads the chunk shards, applies
   the earlier steps' decisions (so the step sees exactly the rows still accepted) and the step's
   ``decide`` turns them into decision rows (:mod:`curation.dedup.base`). Each block of decisions is
   written where it is, per chunk it touches (``curation/<k>-<step>/chunk-N/<uuid>.parquet``: no
   shuffle), then a ``_SUCCESS`` marker with the counts: a resumed run redoes only the steps without one.
2. The finalize pass (an actor pool: the decontamination index loads once per actor) reads the shards
   again, applies every decision, sets ``dedup_key``, decontaminates, and writes
   ``accepted/part-*.parquet`` and ``rejects/part-*.parquet`` itself, atomically, staged under
   ``curation/_final/``; the driver then moves both folders in whole (:meth:`RunStore.publish_parts`).
   It returns mergeable counters (:func:`factory.stats.partial`), never rows; the driver adds them up.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import pyarrow as pa
import pyarrow.compute as pc

from curation.dedup.base import DECISION_SCHEMA, GatheredDeduper, apply_decisions
from curation.dedup.exact import ExactDedup
from curation.pass_rate import annotate, keep_pass_rate
from curation.plan import build_dedup_steps
from ground import fsutil
from ground.record import ACCEPTED, REJECTED, SCHEMA, from_table, to_table
from factory.stats import merge, partial
from factory.store import STAGED, file_blocks

log = logging.getLogger(__name__)


def dedupers(recipe) -> list:
    """(stage name, deduper) in pipeline order; decontamination is per row and runs in the finalize pass."""
    out = []
    if recipe.dedup.exact.enabled:
        out.append(ExactDedup(recipe.dedup.exact))
    for st in build_dedup_steps(recipe):
        if st.name == "decontam" or getattr(st, "per_row", False):
            continue
        out.append(st if hasattr(st, "decide") else GatheredDeduper(st, tuple(st.requires)))
    return out


def _decontam(recipe):
    steps = [st for st in build_dedup_steps(recipe) if st.name == "decontam"]
    return steps[0] if steps else None


# ----------------------------------------------------------------------------- worker functions
def load_decisions(dirs: list[tuple[str, str]], chunks: set[int]) -> list[tuple[str, pa.Table]]:
    out = []
    for stage, uri in dirs:  # each step's decisions folder, as a URI (local path, s3://, gs://)
        fs, d = fsutil.filesystem(uri)
        tables = [fsutil.read_parquet(fs, f) for c in sorted(chunks)
                  for f in fsutil.list_files(fs, fsutil.join(d, f"chunk-{c:06d}"), ".parquet")]
        out.append((stage, pa.concat_tables(tables) if tables else DECISION_SCHEMA.empty_table()))
    return out


def _marked(batch: pa.Table, store_uri: str, dirs: list[tuple[str, str]], exact_on: str | None, bounds=None) -> list[dict]:
    rows = keep_pass_rate(annotate(from_table(batch)), bounds)  # the batch is one source chunk: all samples of its prompts
    if exact_on is not None:  # every row that reached exact dedup records its key
        for r in rows:
            if r["status"] == ACCEPTED:
                r["dedup_key"] = ExactDedup.key_of(r, exact_on)
    return apply_decisions(rows, load_decisions(dirs, {r["chunk"] for r in rows}))


def live_rows(batch: pa.Table, store_uri: str, dirs: list[tuple[str, str]], bounds=None) -> pa.Table:
    """The batch's rows still accepted after the pass-rate filter and the given steps' decisions."""
    return to_table([r for r in _marked(batch, store_uri, dirs, None, bounds) if r["status"] == ACCEPTED])


def write_decisions(batch: pa.Table, dir_uri: str) -> pa.Table:
    """One block of a step's decisions -> ``<dir>/chunk-N/<uuid>.parquet`` per chunk it touches (atomic).

    Written where the block is, with no shuffle: a chunk's decisions may span several files (a retried task
    may write the same decisions twice, which applies the same), and readers take the folder."""
    fs, d = fsutil.filesystem(dir_uri)
    batch = batch.cast(DECISION_SCHEMA)
    chunks = batch.column("chunk").to_pylist()
    tag = uuid.uuid4().hex
    for c in sorted(set(chunks)):
        idx = [i for i, x in enumerate(chunks) if x == c]
        fsutil.write_parquet_atomic(fs, fsutil.join(d, f"chunk-{c:06d}", f"{tag}.parquet"), batch.take(idx))
    rejected = sum(1 for s in batch.column("survivor_id").to_pylist() if s is not None)
    return pa.table({"n": [batch.num_rows], "rejected": [rejected]})


class FinalizeUDF:
    def __init__(self, store_uri: str, dirs: list[tuple[str, str]], exact_on: str | None, decontam, prices: dict, bounds=None):
        self.store_uri, self.dirs, self.exact_on, self.decontam, self.prices = store_uri, dirs, exact_on, decontam, prices
        self.bounds = bounds
        self.fs, self.root = fsutil.filesystem(store_uri)

    def __call__(self, batch: pa.Table) -> pa.Table:
        if "files" in batch.column_names:  # one chunk reference (its shard files): the shard is read here
            batch = read_shards(batch, self.store_uri)
        rows = _marked(batch, self.store_uri, self.dirs, self.exact_on, self.bounds)
        checked = 0
        if self.decontam is not None:
            checked = sum(1 for r in rows if r.get("status") == ACCEPTED)  # what the step checks (Step: accepted rows only)
            rows = self.decontam(rows)
        lo, hi = min(r["chunk"] for r in rows), max(r["chunk"] for r in rows)
        # named by the chunk, not at random: Ray Data retries the task of an actor that died after writing, and the
        # retry must replace these parts (a random name added a second copy of every row of the chunk)
        tag = f"{lo:06d}" if lo == hi else f"{lo:06d}-{hi:06d}"
        for kind, status in (("accepted", ACCEPTED), ("rejects", REJECTED)):
            part = [r for r in rows if r["status"] == status]
            if part:
                fsutil.write_parquet_atomic(self.fs, fsutil.join(self.root, *STAGED, kind, f"part-{tag}.parquet"), to_table(part))
        p = partial(rows, self.prices)
        p["contaminated"] = [{"id": r["id"], "status": r["status"], "reject_stage": r["reject_stage"], "reject_reason": r["reject_reason"]}
                             for r in rows if self.decontam is not None and r.get("reject_stage") == self.decontam.name]
        if self.decontam is not None and self.decontam.judge_probe is not None:  # the judge's probe in this actor
            p["judge_probe"] = self.decontam.judge_probe
        p["decontam_checked"] = checked
        return pa.table({"partial": [json.dumps(p)]})


# ----------------------------------------------------------------------------- the passes (driver)
def read_shards(batch: pa.Table, store_uri: str) -> pa.Table:
    fs, _ = fsutil.filesystem(store_uri)
    tables = [fsutil.read_parquet(fs, f) for files in batch.column("files").to_pylist() for f in files]
    # shards written before a column was added read back with that column null
    return pa.concat_tables([t if t.schema.equals(SCHEMA) else to_table(from_table(t)) for t in tables])


def _chunk_refs(ray, store):
    """One row per source chunk, its shard files (all of its waves), one block each; None when nothing is written."""
    by_chunk = store.chunk_files()
    if not by_chunk:
        return None
    return file_blocks(ray, [by_chunk[c] for c in sorted(by_chunk)])


def _read(ray, store):
    """The chunk shards, one block per source chunk (all of its waves with ``teacher.until``: every sample of
    a prompt is in one block, for :mod:`curation.pass_rate`). Not ``read_parquet``: Ray Data's reader packs
    many small files into one block, so a block (and the Python rows each pass makes of it) grew with the run:
    1 GiB workers at 100k rows (bench/bench_scale.py); a shard's size is fixed by ``output.shard_size``."""
    refs = _chunk_refs(ray, store)
    return None if refs is None else refs.map_batches(read_shards, fn_kwargs={"store_uri": store.uri}, batch_size=1, batch_format="pyarrow")


def count_accepted(ray, store) -> int:
    """Rows still accepted after the row filters: one column of the chunk shards, not the rows."""
    files = [f for fs_ in store.chunk_files().values() for f in fs_]
    ds = ray.data.read_parquet(files, filesystem=store.fs).select_columns(["status"])
    return int(sum(pc.sum(pc.equal(b.column("status"), ACCEPTED)).as_py() or 0
                   for b in ds.iter_batches(batch_format="pyarrow", batch_size=None)))


def _marker(store, d: str) -> dict | None:
    """A finished step's ``_SUCCESS`` ({"decisions", "rejected"}), or None."""
    p = fsutil.join(d, "_SUCCESS")
    if not fsutil.exists(store.fs, p):
        return None
    try:
        m = fsutil.read_json(store.fs, p)
    except ValueError:
        m = None
    return m if isinstance(m, dict) else {"decisions": None, "rejected": None}  # an older run's marker


def run_dedup_steps(ray, recipe, store, ds) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """Each step's decisions, written per block (no shuffle), then its marker. The live-row count comes from
    one column and the earlier steps' markers, so a step reads the shards once (plus finalize's read)."""
    from factory.curate_keys import decide_from_keys, key_files, key_rows, key_spec, uses_keys

    dirs: list[tuple[str, str]] = []
    timings: dict[str, float] = {}
    files = key_files(store, key_spec(recipe))  # the writer's dedup keys: exact and MinHash need not read the shards
    n_live = None if files is None else key_rows(store, files)
    for k, st in enumerate(dedupers(recipe), 1):
        t0 = time.time()
        d = store.p("curation", f"{k:02d}-{st.name}")
        uri = fsutil.join(store.uri, "curation", f"{k:02d}-{st.name}")
        done = _marker(store, d)
        earlier = done is not None  # an earlier invocation decided this step (its marker is there)
        if done is None:
            bounds = recipe.filters.keep_pass_rate
            live = ds.map_batches(live_rows, fn_kwargs={"store_uri": store.uri, "dirs": list(dirs), "bounds": bounds},
                                  batch_format="pyarrow", batch_size=None)
            if n_live is None:  # the pass-rate filter rejects in live_rows: then count the live rows themselves
                n_live = live.count() if dirs or bounds else count_accepted(ray, store)
            from_keys = files is not None and uses_keys(st, n_live)
            log.info("curation %d: %s on %d accepted rows%s", k, st.name, n_live, " (from the key files)" if from_keys else "")
            if n_live <= 1:
                dec = DECISION_SCHEMA.empty_table()
            else:
                tmp = fsutil.join(store.uri, "curation", f"_shuffle-{k:02d}")  # a step's scratch (ground.fileshuffle)
                dec = (decide_from_keys(ray, st, store.uri, files, dirs, n_live, tmp) if from_keys
                       else st.decide(live, {"live_rows": n_live, "tmp_uri": tmp}))
            fsutil.delete_tree(store.fs, d)  # a step cut short before its marker starts over
            done = {"decisions": 0, "rejected": 0, "read": "keys" if from_keys else "shards"}
            if not (isinstance(dec, pa.Table) and dec.num_rows == 0):
                dec_ds = ray.data.from_arrow(dec) if isinstance(dec, pa.Table) else dec
                for b in dec_ds.map_batches(write_decisions, fn_kwargs={"dir_uri": uri}, batch_format="pyarrow").iter_batches(
                        batch_format="pyarrow", batch_size=None):
                    done["decisions"] += sum(b.column("n").to_pylist())
                    done["rejected"] += sum(b.column("rejected").to_pylist())
            fsutil.write_bytes_atomic(store.fs, fsutil.join(d, "_SUCCESS"), json.dumps(done).encode())
            fsutil.delete_tree(store.fs, store.p("curation", f"_shuffle-{k:02d}"))
            log.info("%s: %d decisions, %d rejected (%.1fs)", st.name, done["decisions"], done["rejected"], time.time() - t0)
        if n_live is not None:
            n_live = None if done["rejected"] is None else n_live - done["rejected"]
        dirs.append((st.name, uri))
        timings[st.name] = None if earlier else round(time.time() - t0, 3)
    return dirs, timings


def curate_store(recipe, store, prices: dict) -> tuple[dict, dict[str, float]]:
    """Dedup decisions, then accepted/ and rejects/; returns (merged counters, step timings)."""
    from ground.raycluster import init_ray

    ray = init_ray()
    ds = _read(ray, store)
    if ds is None:
        raise RuntimeError("internal error: no chunk shards to curate")
    dirs, timings = run_dedup_steps(ray, recipe, store, ds)
    t0 = time.time()
    fsutil.delete_tree(store.fs, store.p(*STAGED))  # what a killed attempt staged: the pass rewrites both folders whole
    ex = recipe.execution.finalize
    dec = _decontam(recipe)
    exact_on = recipe.dedup.exact.on if recipe.dedup.exact.enabled else None
    # the pool reads each chunk itself from its reference row: batch_size=1 keeps a chunk whole (the pass-rate
    # filter needs all samples of a prompt) and is a fixed size, as Ray Data requires of a pool with GPUs
    out = _chunk_refs(ray, store).map_batches(FinalizeUDF, fn_constructor_args=(store.uri, dirs, exact_on, dec, prices, recipe.filters.keep_pass_rate),
                         batch_format="pyarrow", batch_size=1, compute=ray.data.ActorPoolStrategy(min_size=ex.min_actors, max_size=max(ex.min_actors, ex.max_actors or 0)),
                         num_cpus=ex.num_cpus, num_gpus=ex.num_gpus or None)
    total: dict = {}
    contaminated: list[dict] = []
    probes: dict = {}
    checked = 0
    for b in out.iter_batches(batch_format="pyarrow", batch_size=None):
        for s in b.column("partial").to_pylist():
            p = json.loads(s)
            contaminated += p.pop("contaminated")
            checked += p.pop("decontam_checked", 0)
            probe = p.pop("judge_probe", None)
            if probe is not None and probes.get("used", True):
                probes = probe  # the first failed probe of any actor is the one the run reports
            total = merge(total, p)
    for kind in ("accepted", "rejects"):  # an empty side still has one (empty) part: readers need no special case
        if not fsutil.list_files(store.fs, store.p(*STAGED, kind), ".parquet"):
            fsutil.write_parquet_atomic(store.fs, store.p(*STAGED, kind, "part-empty.parquet"), SCHEMA.empty_table())
    store.publish_parts()  # readers see the old folders or the new ones, never a part-written one
    if dec is not None:
        timings[dec.name] = round(time.time() - t0, 3)
    total["contaminated"] = contaminated
    total["decontam_checked"] = checked  # the rows decontamination saw (those earlier stages left), not the run's
    if probes:
        total["judge_probe"] = probes
    return total, timings
