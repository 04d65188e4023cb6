"""The Ray path of embedding near-duplicate removal (the math and the in-process path: :mod:`curation.dedup.embedding`).

    >>> from curation.dedup.embedding_ray import embedding_decisions_ray
    >>> decisions = embedding_decisions_ray(live_ds, EmbeddingDedupConfig(engine="ray"), "embed_dedup")

1. Embed. Each accepted row's compared text and survivor-rule fields (``id, chunk, rank, tlen``; empty texts are
   skipped, as in process) are materialised in the object store; an actor pool (``replicas`` x ``num_gpus``)
   maps them to ``{id, chunk, rank, tlen, emb}`` blocks, materialised too. The driver holds block references.
2. Search, in Ray tasks:

   * ``kmeans_clusters == 0`` (exact): one task per pair of slices of at most ``block_size`` rows; each returns
     only its pairs with cosine >= ``threshold`` (ids and cosine).
   * ``kmeans_clusters > 0`` (SemDeDup): spherical k-means where each iteration is one task per block
     returning its ``k x d`` partial sums and counts (only the ``k x d`` centroids live in the driver), then a
     Ray Data groupby on the cluster label whose ``map_groups`` searches inside each cluster (a row is in its
     own cluster and visits its next ``kmeans_probe - 1``). The start rows are chosen by a keyed hash of the
     id, so the centroids, and the decisions, are those of the in-process path whatever the blocks.
3. Only the edges reach the driver, then the member records (``id, chunk, rank, tlen``) of the rows on an
   edge, and the embeddings of the few (dropped, survivor) pairs that are not themselves an edge, for the
   cosine in the reason. Components, survivor, ``cluster_id`` and reason are those of the in-process path.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.dedup import cluster_id, components
from curation.dedup.base import DECISION_SCHEMA, block_fields, parts_columns, record_key, table_parts
from curation.dedup.embedding import EmbeddingDedupConfig, at_least, nearest_blockwise, probed_pairs, renormalised, seed_keys
from curation.embedder import Embedder

log = logging.getLogger(__name__)

#: what a search task returns: one row per pair of rows at or above the threshold
EDGES = pa.schema([("a", pa.string()), ("b", pa.string()), ("cos", pa.float64())])
#: what the driver reads about a row on an edge (the survivor rule and where its decision goes)
MEMBER = ("id", "chunk", "rank", "tlen")


# ----------------------------------------------------------------------------- embeddings (workers)
def _compact(table: pa.Table, on: str) -> pa.Table:
    """One block of live rows -> ``id, chunk, rank, tlen, text`` (and ``part0, part1`` with ``on: both``) of its
    accepted rows with a non-empty text."""
    ids, chunks, texts, rank, tlen, parts = block_fields(table, on)
    keep = [k for k, t in enumerate(texts) if t.strip()]
    return pa.table({"id": pa.array([ids[k] for k in keep], pa.string()), "chunk": pa.array([chunks[k] for k in keep], pa.int32()),
                     "rank": pa.array(np.asarray(rank, np.float64)[keep], pa.float64()),
                     "tlen": pa.array(np.asarray(tlen, np.int64)[keep], pa.int64()),
                     "text": pa.array([texts[k] for k in keep], pa.large_string()),
                     **parts_columns([parts[k] for k in keep])})


def to_column(emb: np.ndarray) -> pa.FixedSizeListArray:
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(emb.ravel()), emb.shape[1])


def vectors(table: pa.Table, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """Rows ``lo:hi`` of the ``emb`` column as a float32 ``(rows, d)`` array."""
    hi = table.num_rows if hi is None else hi
    col = table.column("emb")
    arr = col.slice(lo, hi - lo).combine_chunks()
    return arr.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False).reshape(-1, col.type.list_size)


class _EmbedUDF:
    """An actor holding one embedder: compact blocks -> ``{id, chunk, rank, tlen, emb}``."""

    def __init__(self, cfg: EmbeddingDedupConfig):
        self.embedder = Embedder(cfg.model, cfg.device, cfg.batch_size, cfg.max_seq_length)

    def __call__(self, table: pa.Table) -> pa.Table:
        from curation.dedup.embedding import encode_parts

        emb = encode_parts(self.embedder, table_parts(table))
        texts = [c for c in table.column_names if c == "text" or (c.startswith("part") and c[4:].isdigit())]
        return table.drop_columns(texts).append_column("emb", to_column(emb))


def embedding_dataset(ds, cfg: EmbeddingDedupConfig):
    """Live rows (Sample rows or a compact table) -> the materialised embeddings dataset.

    The compact texts are materialised first: the actors may take every CPU, and their input must not wait
    for one."""
    import ray.data

    texts = ds.map_batches(_compact, fn_kwargs={"on": cfg.on}, batch_format="pyarrow").materialize()
    return texts.map_batches(_EmbedUDF, fn_constructor_args=(cfg,), batch_size=cfg.block_size, batch_format="pyarrow",
                             compute=ray.data.ActorPoolStrategy(size=cfg.replicas), num_cpus=1,
                             num_gpus=cfg.num_gpus or None).materialize()


def _num_rows(table: pa.Table) -> int:
    return table.num_rows


def block_refs(emb_ds) -> list[tuple]:
    """``(object ref, rows)`` of every non-empty block of the (materialised) embeddings dataset."""
    import ray

    refs = emb_ds.to_arrow_refs()
    count = ray.remote(num_cpus=0)(_num_rows)
    counts = ray.get([count.remote(r) for r in refs])
    return [(r, n) for r, n in zip(refs, counts) if n]


def _bounded(calls, on_result, label: str, total: int) -> None:
    """Submit the remote calls (thunks returning an object ref), at most 2 per cluster CPU in flight; hand each
    result to ``on_result`` as it arrives, so the driver never holds more than those results at once."""
    import ray

    from ground.progress import Progress

    limit = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
    prog = Progress(label, total=total, unit="tasks", final=False)
    pending: list = []
    calls = iter(calls)
    while True:
        for call in calls:
            pending.append(call())
            if len(pending) >= limit:
                break
        if not pending:
            return
        done, pending = ray.wait(pending, num_returns=1)
        on_result(ray.get(done[0]))
        prog.update(1)


# ----------------------------------------------------------------------------- search (tasks)
def _edges(ids_a, ids_b, a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> pa.Table:
    # the cosine as the in-process reason computes it (one float32 dot per pair), not the block product's
    cos = [float(a[i] @ b[j]) for i, j in zip(ia.tolist(), ib.tolist())]
    return pa.table({"a": ids_a.take(pa.array(ia, pa.int64())), "b": ids_b.take(pa.array(ib, pa.int64())), "cos": cos}, schema=EDGES)


def _pair_edges(ta: pa.Table, lo_a: int, hi_a: int, tb: pa.Table, lo_b: int, hi_b: int, same: bool, threshold: float) -> pa.Table:
    """The pairs with cosine >= ``threshold`` between rows ``lo_a:hi_a`` of block ``ta`` and ``lo_b:hi_b`` of ``tb``
    (``same``: one slice against itself, pairs ``i < j`` only)."""
    a, b = vectors(ta, lo_a, hi_a), vectors(tb, lo_b, hi_b)
    sim = a @ b.T
    if same:
        sim[np.tril_indices(sim.shape[0], m=sim.shape[1])] = -2.0
    ia, ib = np.nonzero(at_least(sim, threshold))
    return _edges(ta.column("id").slice(lo_a, hi_a - lo_a), tb.column("id").slice(lo_b, hi_b - lo_b), a, b, ia, ib)


def slices(blocks: list[tuple], size: int) -> list[tuple]:
    """``(ref, lo, hi)``: the blocks cut into slices of at most ``size`` rows (Ray Data sizes blocks by bytes)."""
    return [(ref, lo, min(lo + size, n)) for ref, n in blocks for lo in range(0, n, size)]


def all_pairs_edges(blocks: list[tuple], cfg: EmbeddingDedupConfig) -> pa.Table:
    """Every pair of rows with cosine >= ``cfg.threshold``, as edges: one task per pair of slices."""
    import ray

    sl = slices(blocks, cfg.block_size)
    task = ray.remote(num_cpus=1)(_pair_edges)
    calls = ((lambda i=i, j=j: task.remote(*sl[i], *sl[j], i == j, cfg.threshold)) for i in range(len(sl)) for j in range(i, len(sl)))
    out: list[pa.Table] = [EDGES.empty_table()]
    _bounded(calls, out.append, "embed_dedup: similarity (ray)", len(sl) * (len(sl) + 1) // 2)
    return pa.concat_tables(out)


def _kmeans_partial(table: pa.Table, cent: np.ndarray, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """One block's contribution to a k-means step: per-centroid sums ``(k, d)`` (float64) and counts ``(k,)``."""
    sums, counts = np.zeros(cent.shape, np.float64), np.zeros(cent.shape[0], np.int64)
    for lo in range(0, table.num_rows, block_size):
        e = vectors(table, lo, min(lo + block_size, table.num_rows))
        lab = np.argmax(e @ cent.T, axis=1)
        np.add.at(sums, lab, e)
        counts += np.bincount(lab, minlength=cent.shape[0])
    return sums, counts


def _seed_keys(table: pa.Table, seed: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """One block's ``k`` smallest seed keys and their rows."""
    keys = seed_keys(table.column("id").to_pylist(), seed)
    rows = np.argsort(keys, kind="stable")[:k]
    return keys[rows], rows


def _pick(table: pa.Table, rows: list[int]) -> np.ndarray:
    return np.stack([vectors(table, r, r + 1)[0] for r in rows])


def initial_centroids(blocks: list[tuple], n: int, cfg: EmbeddingDedupConfig) -> np.ndarray:
    """The ``k`` rows with the smallest :func:`seed_key`, in key order; the driver merges ``k`` keys per block."""
    import ray

    k = min(cfg.kmeans_clusters, n)
    key, blk, row = np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = ray.remote(num_cpus=0)(_seed_keys)
    for i, (ref, _) in enumerate(blocks):
        bk, br = ray.get(keys.remote(ref, cfg.seed, k))
        key, blk, row = np.concatenate([key, bk]), np.concatenate([blk, np.full(len(bk), i)]), np.concatenate([row, br])
        top = np.argsort(key, kind="stable")[:k]
        key, blk, row = key[top], blk[top], row[top]
    take = ray.remote(num_cpus=0)(_pick)
    cent = None
    for b in np.unique(blk):
        at = np.nonzero(blk == b)[0]
        got = ray.get(take.remote(blocks[int(b)][0], row[at].tolist()))
        cent = np.zeros((k, got.shape[1]), np.float32) if cent is None else cent
        cent[at] = got
    return cent


def kmeans_centroids(blocks: list[tuple], n: int, cfg: EmbeddingDedupConfig) -> np.ndarray:
    """Spherical k-means over the blocks; the driver holds the ``k x d`` centroids and one block's partial at a time."""
    import ray

    cent = initial_centroids(blocks, n, cfg)
    part = ray.remote(num_cpus=1)(_kmeans_partial)
    for it in range(cfg.kmeans_iters):
        acc = [np.zeros(cent.shape, np.float64), np.zeros(cent.shape[0], np.int64)]

        def add(r, acc=acc):
            acc[0] += r[0]
            acc[1] += r[1]

        cref = ray.put(cent)
        _bounded(((lambda ref=ref: part.remote(ref, cref, cfg.block_size)) for ref, _ in blocks), add,
                 f"embed_dedup: k-means iteration {it + 1}", len(blocks))
        new = renormalised(acc[0], cent).astype(np.float32)
        if np.array_equal(new, cent):
            break
        cent = new
    return cent


def _label(table: pa.Table, cent: np.ndarray, block_size: int, probe: int) -> pa.Table:
    """Each row once per probed cluster: ``label`` and ``own`` (True for the row's own, nearest cluster)."""
    near = nearest_blockwise(table.num_rows, block_size, lambda lo, hi: vectors(table, lo, hi), cent, probe)
    rows = np.repeat(np.arange(table.num_rows), near.shape[1])
    own = np.tile(np.arange(near.shape[1]) == 0, table.num_rows)
    return table.take(pa.array(rows, pa.int64())).append_column("label", pa.array(near.ravel(), pa.int64())) \
        .append_column("own", pa.array(own, pa.bool_()))


def _cluster_edges(group: pa.Table, threshold: float, block_size: int) -> pa.Table:
    """The pairs >= ``threshold`` of one k-means cluster (:func:`curation.dedup.embedding.probed_pairs`)."""
    if group.num_rows < 2:
        return EDGES.empty_table()
    e = vectors(group)
    own = group.column("own").to_numpy(zero_copy_only=False)
    p = probed_pairs(e, np.nonzero(own)[0], np.nonzero(~own)[0], threshold, block_size)
    return _edges(group.column("id"), group.column("id"), e, e, p[:, 0], p[:, 1])


def unique_edges(edges: pa.Table) -> pa.Table:
    """Each pair once, as ``a < b`` (a pair met in two probed clusters comes back twice)."""
    a, b = edges.column("a"), edges.column("b")
    lt = pc.less(a, b)
    t = pa.table({"a": pc.if_else(lt, a, b), "b": pc.if_else(lt, b, a), "cos": edges.column("cos")})
    return t.group_by(["a", "b"]).aggregate([("cos", "max")]).rename_columns(["a", "b", "cos"]).select(EDGES.names).cast(EDGES)


def kmeans_edges(emb_ds, blocks: list[tuple], n: int, cfg: EmbeddingDedupConfig) -> pa.Table:
    """SemDeDup: the edges inside each k-means cluster (with ``kmeans_probe``), found by a groupby on the label."""
    import ray

    cent = kmeans_centroids(blocks, n, cfg)
    labeled = emb_ds.map_batches(_label, fn_kwargs={"cent": cent, "block_size": cfg.block_size, "probe": cfg.kmeans_probe},
                                 batch_format="pyarrow")
    parts = max(1, min(len(cent), 2 * int(ray.cluster_resources().get("CPU", 1))))  # a shuffle partition holds whole clusters
    edges = labeled.groupby("label", num_partitions=parts).map_groups(_cluster_edges, fn_kwargs={"threshold": cfg.threshold, "block_size": cfg.block_size},
                                                batch_format="pyarrow")
    return unique_edges(pa.concat_tables([EDGES.empty_table(), *(b.select(EDGES.names).cast(EDGES) for b in
                                                                 edges.iter_batches(batch_format="pyarrow", batch_size=None))]))


def search_edges(emb_ds, blocks: list[tuple], cfg: EmbeddingDedupConfig) -> pa.Table:
    """The near-duplicate edges ``a, b, cos`` (ids), as :func:`curation.dedup.embedding.near_duplicate_pairs` decides."""
    n = sum(c for _, c in blocks)
    if n < 2:
        return EDGES.empty_table()
    if cfg.kmeans_clusters == 0 or n <= cfg.block_size:
        return all_pairs_edges(blocks, cfg)
    return kmeans_edges(emb_ds, blocks, n, cfg)


# ----------------------------------------------------------------------------- decisions (driver)
def _select(table: pa.Table, wanted: list[str], emb: bool) -> pa.Table:
    hit = pc.is_in(table.column("id"), value_set=pa.array(wanted, pa.string()))
    return table.filter(hit).select([*MEMBER, *(["emb"] if emb else [])])


def member_records(emb_ds, ids, emb: bool = False) -> list[dict]:
    """The survivor-rule fields (and with ``emb`` the embedding) of the rows ``ids``, found where they are."""
    sel = emb_ds.map_batches(_select, fn_kwargs={"wanted": sorted(ids), "emb": emb}, batch_format="pyarrow")
    return [r for b in sel.iter_batches(batch_format="pyarrow", batch_size=None) for r in b.to_pylist()]


def decisions_from_edges(emb_ds, edges: pa.Table, stage: str) -> pa.Table:
    """Components of the edge graph, one survivor each by the shared rule, as :data:`DECISION_SCHEMA` rows."""
    a, b, cos = edges.column("a").to_pylist(), edges.column("b").to_pylist(), edges.column("cos").to_pylist()
    nodes = sorted(set(a) | set(b))
    pos = {x: i for i, x in enumerate(nodes)}
    info = {r["id"]: r for r in member_records(emb_ds, nodes)}
    sim = {**{(x, y): c for x, y, c in zip(a, b, cos)}, **{(y, x): c for x, y, c in zip(a, b, cos)}}
    plan = []
    for comp in components(len(nodes), np.array([[pos[x], pos[y]] for x, y in zip(a, b)], np.int64)):
        ids = [nodes[i] for i in comp]
        plan.append((ids, min(ids, key=lambda i: record_key(info[i]))))
    missing = {(i, s) for ids, s in plan for i in ids if i != s and (i, s) not in sim}
    if missing:  # a dropped row linked to its survivor through others: its cosine to the survivor itself
        vec = {r["id"]: np.asarray(r["emb"], np.float32) for r in member_records(emb_ds, {x for p in missing for x in p}, emb=True)}
        sim.update({(i, s): float(vec[i] @ vec[s]) for i, s in missing})
    rows = []
    for ids, s in plan:
        cid = cluster_id(stage, ids)
        rows += [{"id": i, "chunk": info[i]["chunk"], "cluster_id": cid, "survivor_id": s if i != s else None, "dedup_key": None,
                  "reason": f"near-duplicate of {s} (embedding cos={sim[(i, s)]:.3f})" if i != s else None} for i in ids]
    return pa.Table.from_pylist(rows, schema=DECISION_SCHEMA)


def embedding_decisions_ray(ds, cfg: EmbeddingDedupConfig, stage: str) -> pa.Table:
    """Decisions (:data:`curation.dedup.base.DECISION_SCHEMA`) of embedding dedup over a Ray Dataset of live rows."""
    emb_ds = embedding_dataset(ds, cfg)
    blocks = block_refs(emb_ds)
    edges = search_edges(emb_ds, blocks, cfg)
    dec = decisions_from_edges(emb_ds, edges, stage) if edges.num_rows else DECISION_SCHEMA.empty_table()
    log.info("%s (ray): %d texts in %d blocks, %d pairs >= %.2f, %d rejected", stage, sum(c for _, c in blocks), len(blocks),
             edges.num_rows, cfg.threshold, sum(1 for s in dec.column("survivor_id").to_pylist() if s is not None))
    return dec
