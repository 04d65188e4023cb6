"""The request-cache join: which pending rows the cache already answers, without any process loading the cache.

    >>> from factory.cache_join import join_cache
    >>> hits = join_cache(ray, units, expander, RequestCache(uri), hits_uri, pending_rows=200_000)

Both sides are hash-partitioned on the request key into files (:mod:`ground.fileshuffle`, no Ray Data shuffle):

1. left: each task takes a group of units, expands them (the rows that need a teacher) and writes their
   ``(key, chunk)`` to ``<hits>/_join/left/part-P/<uuid>.parquet``, one file per partition it touches;
2. right: each task takes a group of cache files and writes their ``(key, result)`` the same way under
   ``.../right/part-P/``;
3. one task per partition reads its two sides and writes the hits, per chunk, to
   ``<hits>/chunk-N/<uuid>.parquet`` (what :class:`factory.executor.CacheUDF` reads).

A task holds one group (:data:`GROUP` units or cache files) or one partition (about :data:`ROWS_PER_PART`
keys and entries), whatever the run's size. Ray Data's hash shuffle did the same join before; one of its
map workers held 518 MiB private at 1M rows, ~400 more than at 10k (bench/bench_scale.py).
"""

from __future__ import annotations

import json
import math
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

from ground import fsutil
from ground.fileshuffle import read_part, write_parts
from ground.record import ACCEPTED, hash_parts
from teachers.cache import usable

ROWS_PER_PART = 50_000  # keys + cache entries per partition task
GROUP = 8  # units or cache files per map task


def _write_parts(table: pa.Table, out_uri: str, parts: int) -> None:
    """``table`` (with a hex ``key``) split by the key's partition: one file per partition present."""
    part = pa.array(hash_parts(table.column("key").to_pylist(), parts), pa.int32())
    write_parts(table.append_column("part", part), out_uri)


def left_keys(batch: pa.Table, expander, parts: int, out_uri: str, wave=None) -> pa.Table:
    """A group of units -> the request keys of their rows that need a teacher, by partition."""
    from factory.executor import _unit_of, unit_rows

    keys, chunks, refuse = [], [], []
    refused = {name: json.dumps(list(t.refuse)) if t.refuse else "" for name, t in expander.teachers.items()}
    for group in batch.column("units").to_pylist():
        for u in json.loads(group):
            for r in unit_rows(_unit_of(u), expander, wave):
                if r["status"] == ACCEPTED:
                    keys.append(r["request_key"])
                    chunks.append(r["chunk"])
                    refuse.append(refused.get(r["teacher"], ""))
    _write_parts(pa.table({"key": pa.array(keys, pa.string()), "chunk": pa.array(chunks, pa.int64()),
                           "refuse": pa.array(refuse, pa.string())}), out_uri, parts)
    return pa.table({"n": [len(keys)]})


def right_entries(batch: pa.Table, parts: int, cache_uri: str, out_uri: str) -> pa.Table:
    """A group of cache files -> their ``(key, result)`` entries, by partition."""
    fs, _ = fsutil.filesystem(cache_uri)
    n = 0
    for files in batch.column("files").to_pylist():
        for f in files:
            t = fsutil.read_parquet(fs, f).select(["key", "result"])
            _write_parts(t, out_uri, parts)
            n += t.num_rows
    return pa.table({"n": [n]})


def join_parts(batch: pa.Table, tmp_uri: str, hits_uri: str) -> pa.Table:
    """Each partition of the batch: its keys that the cache answers, written per chunk under ``hits_uri``."""
    fs, d = fsutil.filesystem(hits_uri)
    hits = 0
    for p in batch.column("part").to_pylist():
        wanted = read_part(fsutil.join(tmp_uri, "left"), p)
        entries = read_part(fsutil.join(tmp_uri, "right"), p) if wanted else []
        if not entries:
            continue
        results: dict[str, list[str]] = {}  # every stored copy: a re-asked request is stored again
        for t in entries:
            for k, res in zip(t.column("key").to_pylist(), t.column("result").to_pylist()):
                results.setdefault(k, []).append(res)
        by_chunk: dict[int, tuple[list[str], list[str]]] = {}
        reasons: dict[str, tuple] = {}  # each teacher's refused finish reasons, parsed once
        for t in wanted:
            refuse = t.column("refuse").to_pylist() if "refuse" in t.column_names else [""] * t.num_rows
            for k, c, rf in zip(t.column("key").to_pylist(), t.column("chunk").to_pylist(), refuse):
                # a copy that ended with a finish reason the teacher now retries (stored before the recipe asked
                # for that) is not an answer
                if rf not in reasons:
                    reasons[rf] = tuple(json.loads(rf)) if rf else ()
                res = next((x for x in results.get(k, ()) if usable(x, reasons[rf])), None)
                if res is not None:
                    ks, rs = by_chunk.setdefault(c, ([], []))
                    ks.append(k)
                    rs.append(res)
        for c, (ks, rs) in by_chunk.items():
            fsutil.write_parquet_atomic(fs, fsutil.join(d, f"chunk-{c:06d}", f"{uuid.uuid4().hex}.parquet"), pa.table({"key": ks, "result": rs}))
            hits += len(ks)
    return pa.table({"hits": [hits]})


def _partitions(cache_files: list[str], fs, pending_rows: int) -> int:
    """About :data:`ROWS_PER_PART` keys and entries a partition; the cache's size from one file's footer."""
    per_file = 0
    if cache_files:
        with fs.open_input_file(cache_files[0]) as f:
            per_file = pq.read_metadata(f).num_rows
    return max(2, math.ceil((pending_rows + per_file * len(cache_files)) / ROWS_PER_PART))


def _groups(items: list, n: int) -> list[list]:
    return [items[i:i + n] for i in range(0, len(items), n)]


def join_cache(ray, units: list, expander, cache, hits_uri: str, wave=None, pending_rows: int = 0) -> int:
    """Write the cache's answers to the pending units' requests under ``hits_uri`` (per chunk); return how many."""
    from factory.executor import _unit_json
    from factory.store import file_blocks

    fs, d = fsutil.filesystem(hits_uri)
    fsutil.delete_tree(fs, d)
    files = fsutil.list_files(cache._fs, cache._path, ".parquet")
    parts = _partitions(files, cache._fs, pending_rows)
    tmp = fsutil.join(hits_uri, "_join")
    unit_groups = [json.dumps([_unit_json(u) for u in g]) for g in _groups(units, GROUP)]
    left = ray.data.from_items([{"units": g} for g in unit_groups], override_num_blocks=max(1, len(unit_groups))).map_batches(
        left_keys, fn_kwargs={"expander": expander, "parts": parts, "out_uri": fsutil.join(tmp, "left"), "wave": wave},
        batch_size=1, batch_format="pyarrow")
    file_groups = _groups(files, GROUP)
    right = file_blocks(ray, file_groups).map_batches(
        right_entries, fn_kwargs={"parts": parts, "cache_uri": cache.uri, "out_uri": fsutil.join(tmp, "right")},
        batch_size=1, batch_format="pyarrow")
    for _ in left.union(right).iter_batches(batch_format="pyarrow", batch_size=None):
        pass
    joined = ray.data.from_items([{"part": p} for p in range(parts)], override_num_blocks=parts).map_batches(
        join_parts, fn_kwargs={"tmp_uri": tmp, "hits_uri": hits_uri}, batch_size=1, batch_format="pyarrow")
    n = sum(sum(b.column("hits").to_pylist()) for b in joined.iter_batches(batch_format="pyarrow", batch_size=None))
    fsutil.delete_tree(fs, fsutil.join(d, "_join"))
    return n
