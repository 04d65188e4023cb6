"""factory.cache_join: both sides partitioned into files by the key's hash, then joined one partition per task.

The map and join functions run here as plain functions on real Parquet files (Ray runs the same functions as
tasks; tests/integration/test_pipeline.py covers the cached re-run end to end)."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq

from factory.cache_join import ROWS_PER_PART, _partitions, _write_parts, join_parts, right_entries
from ground.record import hash_parts


def key(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def read_hits(hits: str) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for d in sorted(p for p in __import__("pathlib").Path(hits).iterdir() if p.name.startswith("chunk-")):
        for f in d.glob("*.parquet"):
            t = pq.read_table(f)
            out.setdefault(int(d.name[6:]), {}).update(zip(t.column("key").to_pylist(), t.column("result").to_pylist()))
    return out


def test_partitioned_join_finds_exactly_the_cached_keys_per_chunk(tmp_path):
    parts = 5
    tmp, hits, cache = tmp_path / "join", tmp_path / "hits", tmp_path / "cache"
    cache.mkdir()
    # the cache: keys 0..299 in three files, key 7 twice (a later write of the same request)
    for j in range(3):
        ks = [key(i) for i in range(100 * j, 100 * j + 100)] + ([key(7)] if j == 2 else [])
        pq.write_table(pa.table({"key": ks, "result": [f"r{k[:6]}" for k in ks], "other": [1] * len(ks)}), cache / f"part-{j}.parquet")
    files = [str(cache / f"part-{j}.parquet") for j in range(3)]
    n = right_entries(pa.table({"files": [files[:2], files[2:]]}), parts, str(cache), str(tmp / "right"))
    assert n.column("n").to_pylist() == [301]
    # the run: chunk 0 asks keys 250..349 (50 cached), chunk 1 asks 0..9 and 7 again (10 distinct, all cached)
    _write_parts(pa.table({"key": [key(i) for i in range(250, 350)], "chunk": [0] * 100}), str(tmp / "left"), parts)
    _write_parts(pa.table({"key": [key(i) for i in range(10)] + [key(7)], "chunk": [1] * 11}), str(tmp / "left"), parts)
    # every file under part-P holds only keys of partition P
    for f in (tmp / "left").rglob("*.parquet"):
        p = int(f.parent.name[5:])
        assert set(hash_parts(pq.read_table(f).column("key").to_pylist(), parts)) == {p}
    total = sum(join_parts(pa.table({"part": [p]}), str(tmp), str(hits)).column("hits")[0].as_py() for p in range(parts))
    got = read_hits(str(hits))
    assert total == 61  # rows answered: the two rows asking key 7 count twice
    assert got[0] == {key(i): f"r{key(i)[:6]}" for i in range(250, 300)}
    assert got[1] == {key(i): f"r{key(i)[:6]}" for i in range(10)}


def test_a_partition_without_keys_or_entries_writes_nothing(tmp_path):
    out = join_parts(pa.table({"part": [0, 1]}), str(tmp_path / "join"), str(tmp_path / "hits"))
    assert out.column("hits").to_pylist() == [0]
    assert not (tmp_path / "hits").exists()


def test_partitions_follow_the_size_of_run_and_cache(tmp_path):
    import pyarrow.fs as pafs

    f = tmp_path / "c.parquet"
    pq.write_table(pa.table({"key": [key(i) for i in range(2000)], "result": ["x"] * 2000}), f)
    fs = pafs.LocalFileSystem()
    assert _partitions([], fs, 0) == 2
    assert _partitions([str(f)] * 500, fs, 1_000_000) == (1_000_000 + 1_000_000) // ROWS_PER_PART
