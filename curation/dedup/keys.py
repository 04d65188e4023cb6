"""Dedup keys written beside each chunk shard, so the global steps never read the rows again.

    >>> from curation.dedup.keys import KeySpec, key_table
    >>> spec = KeySpec(exact_on="completion", minhash=MinHashConfig(engine="ray"))
    >>> key_table(rows, spec)          # one row per accepted row: id, chunk, score, tlen, dedup_key, mh_tlen, sig

The chunk writer already holds a chunk's rows as Python objects; it computes, for every row still accepted,
what exact and MinHash dedup need (the normalised-text hash, the MinHash signature and the survivor-rule
fields) and writes them as ``keys/chunk-N.parquet`` before the chunk shard itself (the shard is the chunk's
completion marker, so a chunk with a shard always has its keys). The curation passes then group keys and
band buckets read from these small files: the work of two full reads of every shard (and their conversion to
Python rows) is done once, in the generation stream, where the CPU waits on the teacher anyway.

A key file carries its :class:`KeySpec` in its schema metadata; curation uses the key files only when every
chunk has one and the spec is the run's (else it reads the shards as before).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from curation.dedup import parts_of, text_of
from ground.record import ACCEPTED

SPEC_META = b"factory.keys.spec"


@dataclass(frozen=True)
class KeySpec:
    """What the key files hold: exact keys of ``exact_on`` text (None: no exact step) and MinHash signatures
    under ``minhash`` (a MinHashConfig, or None)."""

    exact_on: str | None = None
    minhash: object | None = None

    def to_json(self) -> str:
        mh = None if self.minhash is None else self.minhash.model_dump(mode="json", exclude={"engine", "ray_min_rows", "num_partitions"})
        # v2: word tokens keep combining marks (curation.dedup.words): a v1 file's signatures of Indic/Arabic/Hebrew
        # texts were taken from other shingles, so a run resumed across the change reads its shards instead.
        # v3: with on: both a row holds its prompt's and its completion's signatures side by side (2 x num_perm), not
        # one signature of the joined text; a run resumed across the change reads its shards, never both kinds
        return json.dumps({"v": 3, "exact_on": self.exact_on, "minhash": mh}, sort_keys=True)

    def sig_width(self) -> int:
        """Values in a key row's ``sig``: ``num_perm`` per compared part (:meth:`MinHashConfig.n_parts`)."""
        return self.minhash.num_perm * self.minhash.n_parts()

    def schema(self) -> pa.Schema:
        fields = [("id", pa.string()), ("chunk", pa.int32()), ("score", pa.float64()), ("tlen", pa.int64()),
                  ("dedup_key", pa.string()), ("mh_tlen", pa.int64())]
        if self.minhash is not None:
            fields.append(("sig", pa.list_(pa.uint32(), self.sig_width())))
        return pa.schema(fields, metadata={SPEC_META: self.to_json().encode()})


def key_table(rows: list[dict], spec: KeySpec) -> pa.Table:
    """The key rows of ``rows``' accepted rows (see the module docstring)."""
    from curation.dedup.exact import dedup_key

    live = [r for r in rows if r.get("status") == ACCEPTED]
    ex = [text_of(r, spec.exact_on) for r in live] if spec.exact_on else None
    cols = {
        "id": [r["id"] for r in live], "chunk": [r.get("chunk") for r in live],
        "score": [r.get("score") if isinstance(r.get("score"), (int, float)) else None for r in live],
        "tlen": [len(t) for t in ex] if ex is not None else [None] * len(live),
        "dedup_key": [dedup_key(t) for t in ex] if ex is not None else [None] * len(live),
        "mh_tlen": [None] * len(live),
    }
    if spec.minhash is not None:
        from curation.dedup.minhash import row_signatures

        parts = [parts_of(r, spec.minhash.on) for r in live]
        sig, ok = row_signatures(parts, spec.minhash)
        cols["mh_tlen"] = [sum(map(len, p)) + 2 * (len(p) - 1) for p in parts]  # len(text_of(r, on)): parts joined by "\n\n"
        flat = pa.array(sig.reshape(-1), pa.uint32())
        cols["sig"] = pa.FixedSizeListArray.from_arrays(flat, spec.sig_width(), mask=pa.array(~ok))
    schema = spec.schema()
    return pa.table({f.name: (cols[f.name] if isinstance(cols[f.name], pa.Array) else pa.array(cols[f.name], f.type))
                     for f in schema}, schema=schema)


def spec_of_file(schema: pa.Schema) -> str | None:
    meta = schema.metadata or {}
    v = meta.get(SPEC_META)
    return v.decode() if v else None


def sig_matrix(column: pa.ChunkedArray | pa.Array, num_perm: int) -> np.ndarray:
    """A fixed-size-list signature column (no nulls) as an ``(n, num_perm)`` uint32 matrix."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return arr.flatten().to_numpy(zero_copy_only=False).astype(np.uint32, copy=False).reshape(len(arr), num_perm)
