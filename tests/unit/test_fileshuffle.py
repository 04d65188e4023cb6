"""ground.fileshuffle on a real local Ray, and exact dedup through it: the same decisions as Ray Data's groupby."""

from __future__ import annotations

import hashlib

import pyarrow as pa

from curation.dedup.base import DECISION_SCHEMA
from curation.dedup.exact import ExactDedup
from ground.fileshuffle import file_shuffle, read_part


def _sizes(t: pa.Table) -> pa.Table:
    """Per partition: its distinct keys and rows (what a partition task sees, as data)."""
    return pa.table({"keys": [len(set(t.column("k").to_pylist()))], "rows": [t.num_rows]})


def test_every_row_reaches_its_partition_once(ray_local, tmp_path):
    import sys

    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import a test module: ship _sizes by value
    ray = ray_local
    rows = [{"k": f"k{i % 37}", "part": (i % 37) % 4} for i in range(1000)]
    ds = ray.data.from_items(rows, override_num_blocks=7)
    out = file_shuffle(ray, ds, 4, str(tmp_path / "s"), _sizes, {}, pa.table({"keys": pa.array([], pa.int64()), "rows": pa.array([], pa.int64())}))
    got = [r for b in out.iter_batches(batch_format="pyarrow", batch_size=None) for r in b.to_pylist()]
    assert sum(r["rows"] for r in got) == 1000
    assert sum(r["keys"] for r in got) == 37  # each key lies wholly in one partition
    for p in range(4):
        ks = {k for t in read_part(str(tmp_path / "s"), p) for k in t.column("k").to_pylist()}
        assert ks and all(int(k[1:]) % 4 == p for k in ks)
        assert {t.num_columns for t in read_part(str(tmp_path / "s"), p)} == {1}  # the part column is not stored


def _key_rows(n: int) -> list[dict]:
    texts = [f"answer {i % 300}" for i in range(n)]  # 300 distinct texts: groups of duplicates
    return [{"id": f"r{i:05d}", "chunk": i // 100, "score": 1.0, "tlen": len(t), "dedup_key": hashlib.sha256(t.encode()).hexdigest()}
            for i, t in enumerate(texts)]


def test_exact_dedup_through_files_decides_as_the_groupby(ray_local, tmp_path):
    ray = ray_local
    step = ExactDedup()

    def decisions(ctx):
        ds = ray.data.from_items(_key_rows(2000), override_num_blocks=5)
        out = step.decide_keys(ds, {"live_rows": 2000, "partitions": 6, **ctx})
        t = pa.concat_tables([b for b in out.iter_batches(batch_format="pyarrow", batch_size=None)]).cast(DECISION_SCHEMA)
        return sorted(t.to_pylist(), key=lambda r: r["id"])

    via_files = decisions({"tmp_uri": str(tmp_path / "x")})
    assert via_files == decisions({})
    assert len(via_files) == 2000 and sum(1 for d in via_files if d["survivor_id"]) == 1700
