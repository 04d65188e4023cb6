"""A hash shuffle through files, for the global steps whose memory must not grow with the run.

    >>> from ground.fileshuffle import file_shuffle
    >>> out = file_shuffle(ray, keys_ds, parts, "runs/x/curation/_shuffle", decide, {"stage": "dedup_exact"}, EMPTY)

Map tasks write each block's rows into ``<dir>/part-P/<hash>.parquet`` by the block's ``part`` column (one
file per partition present; named by the block's content, so a task Ray retries replaces its files), then one task per partition reads its files and applies ``fn`` to them as one
table. A task holds one block or one partition, whatever the run's size. Ray Data's hash shuffle
(``groupby().map_groups()``) does the same in memory; its map workers kept growing with the run (a map worker
of exact dedup at 382 MiB private at 1M rows, of the request-cache join at 518 MiB; bench/bench_scale.py).
The directory is any URI :mod:`ground.fsutil` takes (local, s3://, gs://); the caller removes it.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc

from ground import fsutil


def write_parts(table: pa.Table, out_uri: str, part_col: str = "part") -> int:
    """``table`` split by ``part_col`` (dropped) into ``<out_uri>/part-P/<hash>.parquet``; returns its rows. The
    name hashes the block's content, not a random id: a task Ray retries after its worker died mid-write (files
    written, no result) overwrites them, where a second copy gave every row of the block twice to its partition
    (exact dedup then rejected a unique row as a duplicate of itself)."""
    if table.num_rows == 0:
        return 0
    fs, d = fsutil.filesystem(out_uri)
    part = table.column(part_col)
    rest = table.drop_columns([part_col])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    tag = hashlib.sha256(sink.getvalue()).hexdigest()[:32]
    for p in pc.unique(part).to_pylist():
        fsutil.write_parquet_atomic(fs, fsutil.join(d, f"part-{p:05d}", f"{tag}.parquet"), rest.filter(pc.equal(part, p)))
    return table.num_rows


def read_part(in_uri: str, p: int) -> list[pa.Table]:
    """The tables written for partition ``p`` (none when no block had a row of it)."""
    fs, d = fsutil.filesystem(in_uri)
    return [fsutil.read_parquet(fs, f) for f in fsutil.list_files(fs, fsutil.join(d, f"part-{p:05d}"), ".parquet")]


def _write_block(batch: pa.Table, out_uri: str, part_col: str) -> pa.Table:
    return pa.table({"n": [write_parts(batch, out_uri, part_col)]})


def _run_parts(batch: pa.Table, in_uri: str, fn, fn_kwargs: dict, empty: pa.Table) -> pa.Table:
    out = []
    for p in batch.column("part").to_pylist():
        tables = read_part(in_uri, p)
        if tables:
            out.append(fn(pa.concat_tables(tables), **fn_kwargs))
    return pa.concat_tables(out) if out else empty


def file_shuffle(ray, ds, parts: int, tmp_uri: str, fn, fn_kwargs: dict, empty: pa.Table, part_col: str = "part"):
    """Shuffle ``ds`` (its rows carry ``part_col`` in ``[0, parts)``) through files under ``tmp_uri`` (written
    now), and return the lazy dataset of ``fn(partition table, **fn_kwargs)`` (``empty`` for no rows)."""
    fs, d = fsutil.filesystem(tmp_uri)
    fsutil.delete_tree(fs, d)
    for _ in ds.map_batches(_write_block, fn_kwargs={"out_uri": tmp_uri, "part_col": part_col}, batch_format="pyarrow",
                            batch_size=None).iter_batches(batch_format="pyarrow", batch_size=None):
        pass
    return ray.data.from_items([{"part": p} for p in range(parts)], override_num_blocks=max(1, parts)).map_batches(
        _run_parts, fn_kwargs={"in_uri": tmp_uri, "fn": fn, "fn_kwargs": fn_kwargs, "empty": empty}, batch_size=1, batch_format="pyarrow")
