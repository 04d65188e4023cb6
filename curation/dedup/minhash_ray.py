"""The Ray Data path of MinHash LSH dedup (the math and the in-process path: :mod:`curation.dedup.minhash`).

Signatures and band keys in ``map_batches``, buckets by a Ray Data ``groupby`` (a shuffle, not a
driver-side collect), and only the (small) candidate edge list comes back to the driver.

    >>> from curation.dedup.minhash_ray import default_partitions
    >>> default_partitions(10_000_000, 20) >= 100   # ~100k (key, id) entries per shuffle partition
    True
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa

from curation.dedup import cluster_id, components
from curation.dedup.base import block_fields, record_key
from curation.dedup.minhash import MinHashConfig, band_keys, bucket_pairs, estimated_jaccard, jaccard_note, part_jaccards, row_signatures
from ground.fileshuffle import file_shuffle
from ground.record import ACCEPTED, reject

log = logging.getLogger(__name__)

#: columns of the compact table the Ray path works on (built by the step, or derived from Sample rows)
COMPACT = ("id", "rank", "tlen", "text")


class _SignatureUDF:
    """Per batch: signature, band keys and survivor-rule fields of every accepted row.

    Takes either the compact table (``id, rank, tlen, text``, and ``part0, part1`` with ``on: both``: what
    :class:`MinHashDedup` sends) or Sample rows (only the columns the text needs are converted to Python)."""

    def __init__(self, cfg: MinHashConfig):
        self.cfg = cfg
        self.b, self.r = cfg.bands_rows()

    def __call__(self, table):
        ids, chunks, _, rank, tlen, parts = block_fields(table, self.cfg.on)
        if parts and len(parts[0]) != self.cfg.n_parts():
            raise ValueError(f"minhash on: {self.cfg.on} compares {self.cfg.n_parts()} parts a row; a compact table "
                             f"needs its part0..part{self.cfg.n_parts() - 1} columns (curation.dedup.base.parts_columns)")
        sig, ok = row_signatures(parts, self.cfg)
        keep = np.nonzero(ok)[0]
        return sig_block(np.array(ids, dtype=object)[keep], np.asarray(chunks)[keep], np.asarray(rank)[keep], np.asarray(tlen)[keep],
                         sig[keep], self.b, self.r, self.cfg.n_parts())


def sig_block(ids, chunks, rank, tlen, sig: np.ndarray, b: int, r: int, k: int = 1) -> dict:
    """A block of signature rows (what :func:`minhash_decisions_ray` reads): survivor fields, signature (``k``
    parts side by side), band keys."""
    return {"id": np.asarray(ids, dtype=object), "chunk": np.asarray(chunks, dtype=np.int64), "rank": np.asarray(rank, dtype=np.float64),
            "tlen": np.asarray(tlen, dtype=np.int64), "sig": sig, "keys": band_keys(sig, b, r, k).T.copy()}


def signature_dataset(ds, cfg: MinHashConfig):
    """``ds`` (compact table or Sample rows) -> materialised :class:`_SignatureUDF` output, on an actor pool."""
    import ray.data

    return ds.map_batches(_SignatureUDF, fn_constructor_args=(cfg,), batch_format="pyarrow",
                          compute=ray.data.ActorPoolStrategy(min_size=1, max_size=64)).materialize()


def _explode_bands(batch: dict, parts: int) -> dict:
    """One row per (text, band): the band key and the shuffle partition it hashes to."""
    keys = batch["keys"]
    b = keys.shape[1] if len(keys) else 0
    flat = keys.ravel()
    return {"part": (flat % np.uint64(parts)).astype(np.int64), "key": flat, "id": np.repeat(batch["id"], b)}


def _partition_edges(group: dict, cap: int) -> dict:
    """Candidate pairs inside one shuffle partition: every bucket lies wholly in one partition, so the
    vectorised in-process :func:`bucket_pairs` applies (one call per partition, not per bucket)."""
    uniq, inv = np.unique(group["id"].astype(str), return_inverse=True)
    pairs = bucket_pairs(group["key"], inv, cap)
    return {"a": uniq[pairs[:, 0]].astype(object), "b": uniq[pairs[:, 1]].astype(object)}


def _select_ids(batch: dict, wanted: frozenset) -> dict:
    m = np.array([i in wanted for i in batch["id"]], dtype=bool)
    return {k: batch[k][m] for k in ("id", "chunk", "rank", "tlen", "sig")}


def _partition_edges_table(part: pa.Table, cap: int) -> pa.Table:
    """:func:`_partition_edges` on a partition read from files (:mod:`ground.fileshuffle`)."""
    e = _partition_edges({"key": part.column("key").to_numpy(), "id": np.asarray(part.column("id").to_pylist(), dtype=object)}, cap)
    return pa.table({"a": pa.array(list(e["a"]), pa.string()), "b": pa.array(list(e["b"]), pa.string())})


def minhash_decisions_ray(sigs, cfg: MinHashConfig, stage: str, num_partitions: int, chunks: dict | None = None,
                          tmp_uri: str | None = None) -> dict[str, tuple]:
    """``id -> (cluster_id, survivor_id or None, note)`` for every row in a near-duplicate cluster,
    from a (materialised) dataset of :class:`_SignatureUDF` output. Only candidate pairs and the
    signatures of their members come back to the driver. With ``tmp_uri`` the band buckets are shuffled
    through files there (:mod:`ground.fileshuffle`), else by Ray Data's ``groupby``, whose map workers grew
    with the run (356-382 MiB private at 1M rows, bench/bench_scale.py)."""
    import ray

    parts = max(1, int(num_partitions))
    bands = sigs.map_batches(_explode_bands, fn_kwargs={"parts": parts}, batch_format="numpy")
    if tmp_uri:
        empty = pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.string())})
        edges = file_shuffle(ray, bands, parts, tmp_uri, _partition_edges_table, {"cap": cfg.bucket_cap}, empty).take_all()
    else:
        edges = bands.groupby("part", num_partitions=parts).map_groups(_partition_edges, fn_kwargs={"cap": cfg.bucket_cap}, batch_format="numpy").take_all()
    pairs = sorted({(e["a"], e["b"]) for e in edges})
    nodes = sorted({x for p in pairs for x in p})
    log.info("minhash (ray): %d candidate pairs over %d texts", len(pairs), len(nodes))
    decisions: dict[str, tuple] = {}
    if not pairs:
        return decisions
    info = sigs.map_batches(_select_ids, fn_kwargs={"wanted": frozenset(nodes)}, batch_format="numpy").take_all()
    pos = {rec["id"]: i for i, rec in enumerate(info)}
    if chunks is not None:  # where each member's row lives, for decisions grouped by chunk
        chunks.update({rec["id"]: int(rec["chunk"]) for rec in info})
    sig = np.stack([np.asarray(rec["sig"], dtype=np.uint32) for rec in info])
    k = cfg.n_parts()
    pa_ = np.array([[pos[a], pos[b]] for a, b in pairs], dtype=np.int64)
    if cfg.verify != "none":
        pa_ = pa_[estimated_jaccard(sig, pa_[:, 0], pa_[:, 1], k) >= cfg.threshold]
    for comp in components(len(info), pa_):
        s = min(comp, key=lambda i: record_key(info[i]))
        sid = info[s]["id"]
        cid = cluster_id(stage, (info[i]["id"] for i in comp))
        decisions[sid] = (cid, None, None)
        for i in comp:
            if i != s:
                decisions[info[i]["id"]] = (cid, sid, jaccard_note(part_jaccards(sig, [i], [s], k), exact=False))
    log.info("minhash (ray): %d near-duplicates rejected", sum(1 for d in decisions.values() if d[1]))
    return decisions


def apply_decision(row: dict, decision: tuple, stage: str) -> bool:
    """Mark one accepted row from its decision; True when it was rejected."""
    cid, sid, note = decision
    if sid is None:
        if row.get("cluster_id") is None:
            row["cluster_id"] = cid
        return False
    row["cluster_id"], row["survivor_id"] = cid, sid
    reject(row, stage, f"near-duplicate of {sid} ({note})")
    return True


def _apply_decisions(table, decisions: dict, stage: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    hit = pc.is_in(table.column("id"), value_set=pa.array(list(decisions), pa.string()))
    if not pc.any(hit).as_py():  # most batches of a large corpus: nothing to convert
        return table
    rows = table.to_pylist()
    for r in rows:
        d = decisions.get(r.get("id"))
        if d is not None and r.get("status") == ACCEPTED:
            apply_decision(r, d, stage)
    return pa.Table.from_pylist(rows, schema=table.schema)


def default_partitions(n_rows: int, bands: int) -> int:
    """Shuffle partitions: about 100k (key, id) entries each, at least 2 per CPU of the cluster. One task finds a
    partition's candidate pairs, so this bounds its memory: at 2M entries a partition's task held ~630 MiB at 1M
    rows, at 250k ~100 MiB over a bare worker's (bench/bench_scale.py)."""
    import ray

    cpus = int(ray.cluster_resources().get("CPU", 1)) if ray.is_initialized() else 1
    return max(2 * cpus, -(-n_rows * bands // 100_000))


def minhash_dedup_ray(ds, cfg: MinHashConfig | None = None, stage: str = "minhash", num_partitions: int | None = None):
    """The MinHash LSH step over a whole Ray Dataset of Sample rows; returns the marked dataset.

    The input is read twice (signatures, then marking), so pass a materialised or re-readable dataset.
    ``num_partitions`` sets the bucket shuffle's partition count (default: :func:`default_partitions`).
    """
    cfg = cfg or MinHashConfig()
    sigs = signature_dataset(ds, cfg)
    parts = num_partitions or default_partitions(sigs.count(), cfg.bands_rows()[0])
    decisions = minhash_decisions_ray(sigs, cfg, stage, parts)
    return ds.map_batches(_apply_decisions, fn_kwargs={"decisions": decisions, "stage": stage}, batch_format="pyarrow")
