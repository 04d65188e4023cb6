"""The streaming job's last stage (factory/executor.py): each finished chunk's rows -> ``chunks/chunk-N.parquet``
(atomic: the chunk's completion marker), its dedup keys and retry marker first, and one summary row per chunk back
to the driver (rows, cache hits, teacher calls, whether the budget stopped it, what it paid, teacher busy time)."""

from __future__ import annotations

import json

import pyarrow as pa

from curation.dedup.keys import KeySpec, key_table
from factory.budget import BUDGET_STAGE
from factory.curate_keys import KEYS_DIR
from factory.stats import paid_of, reached_teacher
from factory.store import RETRY_DIR
from factory.waves import Wave
from ground import fsutil
from ground.record import from_table, to_table
from teachers.base import transient_failure

SUMMARY = pa.schema([("chunk", pa.int32()), ("rows", pa.int64()), ("cache_hits", pa.int64()), ("teacher_calls", pa.int64()),
                     ("stopped", pa.int64()), ("paid", pa.float64()), ("busy", pa.string())])


def write_chunks(batch: pa.Table, store_uri: str, expected: dict[int, int], wave: Wave | None = None, keys: KeySpec | None = None) -> pa.Table:
    """Write each chunk of the batch as ``chunks/chunk-N.parquet`` (atomic; with waves ``chunks/wave-J/`` after the
    prompt status); return one summary row per chunk. A chunk the run budget cut short is not written (``stopped``).
    With ``keys``, the chunk's dedup keys go to ``keys/chunk-N.parquet`` first (:mod:`curation.dedup.keys`)."""
    fs, root = fsutil.filesystem(store_uri)
    out = {n: [] for n in SUMMARY.names}
    for c in sorted(set(batch.column("chunk").to_pylist())):
        rows = sorted((r for r in from_table(batch) if r["chunk"] == c), key=lambda x: (x["prompt_id"], x["sample_index"]))
        if len(rows) != expected[c]:  # a chunk is one block from expansion on; anything else is a bug, not a partial write
            raise RuntimeError(f"internal error: chunk {c} reached the writer with {len(rows)} of {expected[c]} rows")
        stopped = any(r.get("reject_stage") == BUDGET_STAGE for r in rows)
        if stopped:
            pass  # its answers are in the request cache: a re-run writes it without paying again
        elif wave is not None:
            # counted, not redone: the next wave asks new samples, and a redone wave would change what later waves asked
            marker = fsutil.join(root, *RETRY_DIR, f"wave-{wave.index:03d}", f"chunk-{c:06d}.json")
            failed = _mark_retry(fs, marker, rows, True)
            wave.write(c, rows)
            if not failed:  # a wave chunk redone after a kill between its count and its marker: the old count goes
                _mark_retry(fs, marker, rows, False)
        else:
            marker = fsutil.join(root, *RETRY_DIR, f"chunk-{c:06d}.json")
            failed = _mark_retry(fs, marker, rows, True)  # before the shard: a crash between the two cannot lose it
            if keys is not None:  # before the shard: the shard is the chunk's completion marker
                fsutil.write_parquet_atomic(fs, fsutil.join(root, KEYS_DIR, f"chunk-{c:06d}.parquet"), key_table(rows, keys))
            fsutil.write_parquet_atomic(fs, fsutil.join(root, "chunks", f"chunk-{c:06d}.parquet"), to_table(rows))
            if not failed:
                _mark_retry(fs, marker, rows, False)
        for k, v in (("chunk", c), ("rows", 0 if stopped else len(rows)), ("cache_hits", sum(1 for r in rows if r.get("cache_hit"))),
                     ("teacher_calls", sum(1 for r in rows if not r.get("cache_hit") and reached_teacher(r))),
                     ("stopped", int(stopped)), ("paid", sum(paid_of(r) for r in rows)), ("busy", json.dumps(_busy(rows)))):
            out[k].append(v)
    return pa.Table.from_pydict(out, schema=SUMMARY)


def _busy(rows: list[dict]) -> dict[str, float]:
    """teacher -> engine seconds its calls took in this invocation (the rows' shares of batch time; cache hits none)."""
    out: dict[str, float] = {}
    for r in rows:
        if not r.get("cache_hit") and r.get("gen_seconds"):
            t = r.get("teacher") or "teacher"
            out[t] = out.get(t, 0.0) + float(r["gen_seconds"])
    return out


def _mark_retry(fs, marker: str, rows: list[dict], write: bool) -> int:
    """The chunk's rows that failed with a transient teacher error: ``write`` puts a marker when there are some
    (before the shard: a re-run redoes the chunk); otherwise an old marker goes (after the shard: a crash in
    between only redoes a chunk whose answers are all cached)."""
    n = sum(1 for r in rows if r.get("reject_stage") == "generate" and transient_failure(r.get("reject_reason")))
    if n and write:
        fsutil.write_json_atomic(fs, marker, {"transient_failures": n})
    elif not n and not write and fsutil.exists(fs, marker):
        fsutil.delete_file(fs, marker)
    return n


class BufferedWriteUDF:
    """``write_chunks`` after a stage that re-batches rows: holds each chunk's rows until all have arrived."""

    def __init__(self, store_uri: str, expected: dict[int, int], wave: Wave | None = None, keys: KeySpec | None = None):
        self.store_uri, self.expected, self.rows, self.wave, self.keys = store_uri, expected, {}, wave, keys

    def __call__(self, batch: pa.Table) -> pa.Table:
        for r in from_table(batch):
            self.rows.setdefault(r["chunk"], []).append(r)
        full = sorted(c for c, rows in self.rows.items() if len(rows) >= self.expected[c])
        out = [write_chunks(to_table(self.rows.pop(c)), self.store_uri, self.expected, self.wave, self.keys) for c in full]
        return pa.concat_tables(out) if out else SUMMARY.empty_table()
