"""Semantic near-duplicate removal: sentence embeddings, cosine threshold, bounded-memory search.

Texts are embedded with the bundled all-MiniLM-L6-v2 (see :mod:`curation.embedder`; L2-normalised,
so cosine = dot product). Pairs with cosine >= ``threshold`` (less float32 rounding, ``COS_EPS``) are edges;
connected components are clusters; one survivor per cluster by the rule in :mod:`curation.dedup`.
With ``on: both`` a row's prompt and completion are embedded apart and put side by side, so two rows' cosine is
the mean of their prompts' and their completions' cosines: both must be near (at 0.95, each >= 0.9). One text of
both would let a long shared context (questions about one document) fill the embedder's ``max_seq_length``.

Search is blockwise: similarities are computed ``block_size x block_size`` at a time, so memory is
O(block_size**2) whatever the row count. With ``kmeans_clusters > 0`` the embeddings are first
clustered with spherical k-means and only pairs inside one cluster are compared (SemDeDup, Abbas
et al. 2023, arXiv:2303.09540): less work, at the price of missing pairs split across clusters. To
miss fewer, each row is also compared with the members of its next nearest clusters (``kmeans_probe``,
as an IVF index's nprobe; 2 by default, about 3x the work of plain SemDeDup, ``probe = k`` is exact).
k-means starts from the rows with the smallest keyed hash of their id, so the in-process and Ray paths,
and any cut of the data into blocks, decide alike. ``kmeans_clusters = 0`` compares all pairs (exact).

In the streaming plane (:meth:`EmbeddingDedup.decide`) the in-process path gathers the live rows' ids and texts
(below ``ray_min_rows``); above it, :mod:`curation.dedup.embedding_ray` embeds on an actor pool and searches in
Ray tasks, and only the edges come back: same survivors, cluster ids and reasons.

    >>> from ground.record import new_sample
    >>> from curation.dedup.embedding import EmbeddingDedup, EmbeddingDedupConfig
    >>> texts = ["How many apples does Tom have left?", "How many apples are left with Tom?",
    ...          "Write a function that reverses a list."]
    >>> rows = [new_sample(stage="g", prompt_id=str(i), sample_index=0,
    ...                    messages=[{"role": "user", "content": t}]) for i, t in enumerate(texts)]
    >>> rows = EmbeddingDedup(EmbeddingDedupConfig(on="prompt", threshold=0.85))(rows)
    >>> [r["status"] for r in rows]      # equal scores: the shorter text survives
    ['rejected', 'accepted', 'accepted']
"""

from __future__ import annotations

import hashlib
import logging
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from curation.dedup import Compared, DedupStepConfig, compare_field, components, mark_cluster, parts_of, required_columns, text_of
from curation.embedder import Embedder
from ground.step import Step

log = logging.getLogger(__name__)


class EmbeddingDedupConfig(DedupStepConfig):
    on: Compared = compare_field("both")
    model: str = Field("all-MiniLM-L6-v2", description="sentence-transformers model name or local path ('all-MiniLM-L6-v2' = the bundled copy)")
    threshold: float = Field(0.95, ge=-1.0, le=1.0, description="cosine similarity at which two texts are duplicates")
    block_size: int = Field(2048, ge=1, le=1 << 16, description="rows per similarity block; memory is O(block_size**2)")
    kmeans_clusters: int = Field(0, ge=0, le=1 << 20, description="0 = exact all-pairs search; k > 0 = SemDeDup: compare only within k k-means clusters")
    kmeans_iters: int = Field(20, ge=1, le=1000, description="k-means iterations (when kmeans_clusters > 0)")
    kmeans_probe: int = Field(2, ge=1, le=64, description="SemDeDup: each row is also compared with the members of its next nearest clusters, up to this many in all (IVF nprobe), so a pair split by a cluster boundary is still found; 1 = plain SemDeDup")
    batch_size: int = Field(64, ge=1, le=1 << 16, description="texts per embedding forward pass")
    max_seq_length: int = Field(256, ge=8, le=8192, description="tokens kept per text by the embedder")
    device: str = Field("cpu", description="torch device for the embedder")
    seed: int = Field(0, description="k-means initialisation seed")
    engine: Literal["auto", "local", "ray"] = Field("auto", description="'local': embed and search in the driver; 'ray': embed on Ray Data actors (replicas x num_gpus) and search in Ray tasks, only edges reach the driver; 'auto': ray from ray_min_rows rows when Ray is running")
    ray_min_rows: int = Field(50_000, ge=0, le=10**12, description="with engine 'auto', the row count from which the Ray path is used (in process the driver holds every text and embedding: ~1 GiB at 50k short texts, bench/RESULTS.md)")
    replicas: int = Field(1, ge=1, le=4096, description="Ray path: embedder actors")
    num_gpus: float = Field(0.0, ge=0, le=64, description="Ray path: GPUs per embedder actor (set device: cuda with it)")

    @model_validator(mode="after")
    def _gpu_used(self) -> "EmbeddingDedupConfig":
        if self.num_gpus and self.device == "cpu":  # the embedder would run on the CPU beside a GPU it holds
            raise ValueError(f"num_gpus: {self.num_gpus:g} reserves GPUs for the embedder actors, but device is cpu: set device: cuda")
        return self


#: float32 rounding of a cosine: a unit vector times itself gives 0.99999994, so ``threshold: 1.0`` missed identical
#: texts; a cosine within this of the threshold counts as at it
COS_EPS = 1e-5


def encode_parts(embedder, parts: list[list[str]], label: str | None = None) -> np.ndarray:
    """Each row's parts -> one unit vector: the parts' unit embeddings side by side over sqrt(parts), so the cosine
    of two rows is the mean of their parts' cosines (``on: both`` at 0.95: question and answer both near)."""
    k = len(parts[0]) if parts else 1
    if k == 1:
        return embedder.encode([p[0] for p in parts], label=label)
    cols = [embedder.encode([p[j] for p in parts], label=label and f"{label} ({j + 1}/{k})") for j in range(k)]
    return (np.hstack(cols) / np.float32(np.sqrt(k))).astype(np.float32, copy=False)


def at_least(sim: np.ndarray, threshold: float) -> np.ndarray:
    """``sim >= threshold`` up to float32 rounding (:data:`COS_EPS`)."""
    return sim >= threshold - COS_EPS


def similar_pairs(emb: np.ndarray, threshold: float, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` with ``emb[i] @ emb[j] >= threshold``, computed block by block."""
    from ground.progress import Progress

    n = emb.shape[0]
    out_p, out_s = [np.zeros((0, 2), np.int64)], [np.zeros(0, np.float32)]
    nb = -(-n // block_size)
    prog = Progress("embed_dedup: similarity", total=nb * (nb + 1) // 2, unit="blocks", final=False)
    for i in range(0, n, block_size):
        a = emb[i : i + block_size]
        for j in range(i, n, block_size):
            sim = a @ emb[j : j + block_size].T
            if i == j:
                # a diagonal block: keep i < j only (cosine >= -1, so -2 never passes)
                sim[np.tril_indices(sim.shape[0], m=sim.shape[1])] = -2.0
            ia, ib = np.nonzero(at_least(sim, threshold))
            if len(ia):
                out_p.append(np.stack([ia + i, ib + j], axis=1))
                out_s.append(sim[ia, ib])
            prog.update(1)
    return np.concatenate(out_p), np.concatenate(out_s)


def renormalised(sums: np.ndarray, cent: np.ndarray) -> np.ndarray:
    """A spherical k-means update: each centroid's member sum scaled to unit length (an empty one keeps its place)."""
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.where((norms[:, 0] == 0)[:, None], cent, sums / np.maximum(norms, 1e-12))


def cross_pairs(a: np.ndarray, b: np.ndarray, threshold: float, block_size: int) -> np.ndarray:
    """All pairs ``(i, j)`` with ``a[i] @ b[j] >= threshold`` (two different sets of rows), block by block."""
    out = [np.zeros((0, 2), np.int64)]
    for i in range(0, a.shape[0], block_size):
        for j in range(0, b.shape[0], block_size):
            ia, ib = np.nonzero(at_least(a[i : i + block_size] @ b[j : j + block_size].T, threshold))
            if len(ia):
                out.append(np.stack([ia + i, ib + j], axis=1))
    return np.concatenate(out)


def nearest_clusters(e: np.ndarray, cent: np.ndarray, probe: int) -> np.ndarray:
    """``(rows, min(probe, k))`` cluster labels, nearest first; column 0 is the argmax (a row's own cluster)."""
    sims = e @ cent.T
    out = []
    for _ in range(min(probe, cent.shape[0])):
        lab = np.argmax(sims, axis=1)
        out.append(lab)
        sims[np.arange(len(lab)), lab] = -np.inf
    return np.stack(out, axis=1)


def seed_key(row_id: str, seed: int) -> int:
    """A row's draw for the initial centroids: a keyed hash of its id, so that the draw depends neither on row
    order nor on how Ray Data cut the blocks (the ``k`` rows with the smallest keys start the ``k`` centroids)."""
    return int.from_bytes(hashlib.blake2b(row_id.encode(), digest_size=8, key=str(seed).encode()).digest(), "big")


def seed_keys(ids: list[str], seed: int) -> np.ndarray:
    return np.fromiter((seed_key(i, seed) for i in ids), np.uint64, len(ids))


def nearest_blockwise(rows: int, block_size: int, block, cent: np.ndarray, probe: int) -> np.ndarray:
    """:func:`nearest_clusters` of ``rows`` rows, ``block(lo, hi)`` giving the vectors of rows ``lo:hi``."""
    return np.concatenate([np.zeros((0, min(probe, cent.shape[0])), np.int64)] +
                          [nearest_clusters(block(lo, min(lo + block_size, rows)), cent, probe) for lo in range(0, rows, block_size)])


def kmeans_fit(emb: np.ndarray, k: int, iters: int, seed: int, block_size: int, ids: list[str] | None = None) -> np.ndarray:
    """Spherical k-means centroids (unit vectors; assignment by max dot product, blockwise). Started from the
    rows with the smallest :func:`seed_key` when ``ids`` are given (as the Ray path does), else ``k`` random rows."""
    n = emb.shape[0]
    k = min(k, n)
    start = (np.argsort(seed_keys(ids, seed), kind="stable")[:k] if ids is not None
             else np.random.default_rng(seed).choice(n, size=k, replace=False))
    cent = emb[start].copy()
    labels = np.zeros(n, np.int64)
    for _ in range(iters):
        for i in range(0, n, block_size):
            labels[i : i + block_size] = np.argmax(emb[i : i + block_size] @ cent.T, axis=1)
        sums = np.zeros(cent.shape, np.float64)
        np.add.at(sums, labels, emb)
        cent = renormalised(sums, cent).astype(np.float32)
    return cent


def spherical_kmeans(emb: np.ndarray, k: int, iters: int, seed: int, block_size: int) -> np.ndarray:
    """Cluster labels: each row's nearest centroid of :func:`kmeans_fit`."""
    cent = kmeans_fit(emb, k, iters, seed, block_size)
    return nearest_blockwise(emb.shape[0], block_size, lambda lo, hi: emb[lo:hi], cent, 1)[:, 0]


def probed_pairs(emb: np.ndarray, own: np.ndarray, visitor: np.ndarray, threshold: float, block_size: int) -> np.ndarray:
    """The pairs of one cluster: its own rows (``own`` positions) among themselves, and each visiting row (a row
    that has this cluster among its next nearest) against the own rows. Visitors are not compared among
    themselves: such a pair meets in one of their own clusters, or is left to chance, as in SemDeDup."""
    p = own[similar_pairs(emb[own], threshold, block_size)[0]]
    if len(visitor) and len(own):
        x = cross_pairs(emb[visitor], emb[own], threshold, block_size)
        p = np.concatenate([p, np.stack([visitor[x[:, 0]], own[x[:, 1]]], axis=1)])
    return p


def near_duplicate_pairs(emb: np.ndarray, cfg: EmbeddingDedupConfig, ids: list[str] | None = None) -> np.ndarray:
    """Pairs ``i < j`` of rows at or above the threshold: all pairs, or with ``kmeans_clusters`` the pairs that
    meet in a probed cluster (``ids`` seed k-means as the Ray path does, so both decide alike)."""
    if cfg.kmeans_clusters == 0 or emb.shape[0] <= cfg.block_size:
        return similar_pairs(emb, cfg.threshold, cfg.block_size)[0]
    cent = kmeans_fit(emb, cfg.kmeans_clusters, cfg.kmeans_iters, cfg.seed, cfg.block_size, ids)
    return pairs_in_clusters(emb, cent, cfg.kmeans_probe, cfg.threshold, cfg.block_size)


def pairs_in_clusters(emb: np.ndarray, cent: np.ndarray, probe: int, threshold: float, block_size: int) -> np.ndarray:
    """The pairs ``i < j`` >= ``threshold`` that meet in a cluster of ``cent``: each row belongs to its nearest
    centroid and visits its next ``probe - 1`` (:func:`probed_pairs`); ``probe == k`` compares every pair."""
    near = nearest_blockwise(emb.shape[0], block_size, lambda lo, hi: emb[lo:hi], cent, probe)
    parts = [np.zeros((0, 2), np.int64)]
    for c in range(cent.shape[0]):
        own = np.nonzero(near[:, 0] == c)[0]
        visitor = np.nonzero((near[:, 1:] == c).any(axis=1))[0]
        if len(own) + len(visitor) > 1:
            parts.append(probed_pairs(emb, own, visitor, threshold, block_size))
    pairs = np.sort(np.concatenate(parts), axis=1)  # a pair met in two clusters counts once
    return np.unique(pairs, axis=0) if len(pairs) else pairs


class EmbeddingDedup(Step):
    """Rejects rows whose embedding is within ``threshold`` cosine of a kept row (one global pass)."""

    name = "embed_dedup"
    Config = EmbeddingDedupConfig
    description = "near-duplicates by embedding cosine (paraphrases)"
    produces = ("status", "reject_stage", "reject_reason", "cluster_id", "survivor_id")

    def __init__(self, config: EmbeddingDedupConfig | None = None, name: str | None = None):
        self.config = config or EmbeddingDedupConfig()
        self.requires = required_columns(self.config.on) + ("id",)
        if name:
            self.name = name
        # loaded on first use, once per instance; not pickled (see Embedder.__getstate__)
        self.embedder = Embedder(self.config.model, self.config.device, self.config.batch_size, self.config.max_seq_length)

    def use_ray(self, n_rows: int) -> bool:
        from curation.dedup.base import use_ray

        return use_ray(self.config.engine, self.config.ray_min_rows, n_rows)

    def decide(self, live, ctx: dict):
        """Streaming plane (:class:`curation.dedup.base.Deduper`): in process (ids and texts gathered) below
        ``ray_min_rows``, else :func:`curation.dedup.embedding_ray.embedding_decisions_ray`: embeddings on
        actors, the search in Ray tasks; only edges and the clusters' member records reach this process."""
        from curation.dedup.base import GatheredDeduper
        from curation.dedup.embedding_ray import embedding_decisions_ray

        if not self.use_ray(ctx["live_rows"]):
            return GatheredDeduper(self, required_columns(self.config.on)).decide(live, ctx)
        return embedding_decisions_ray(live, self.config, self.name)

    def process(self, rows: list[dict]) -> list[dict]:
        if self.use_ray(len(rows)):
            return self.process_ray(rows)
        texts = [text_of(r, self.config.on) for r in rows]
        # empty texts would all embed identically; they are not near-duplicates of anything
        idx = np.array([i for i, t in enumerate(texts) if t.strip()], dtype=np.int64)
        if len(idx) < 2:
            return rows
        emb = encode_parts(self.embedder, [parts_of(rows[i], self.config.on) for i in idx], label=f"{self.name}: encode")
        pairs = idx[near_duplicate_pairs(emb, self.config, [rows[i]["id"] for i in idx])]
        pos = {int(r): k for k, r in enumerate(idx)}
        dropped = 0
        for comp in components(len(rows), pairs):
            dropped += mark_cluster(
                rows, comp, texts, self.name,
                lambda i, s: f"embedding cos={float(emb[pos[i]] @ emb[pos[s]]):.3f}",
            )
        log.info("%s: %d rows in, %d pairs >= %.2f, %d rejected", self.name, len(rows), len(pairs), self.config.threshold, dropped)
        return rows

    def process_ray(self, rows: list[dict]) -> list[dict]:
        """The Ray path on a list of rows: a compact table (id, chunk, survivor rank, text length, text) goes
        to the object store, decisions come back and mark the rows as :meth:`process` would."""
        import pyarrow as pa
        import ray.data

        from curation.dedup import survivor_key
        from curation.dedup.base import apply_decisions, parts_columns
        from curation.dedup.embedding_ray import embedding_decisions_ray

        texts = [text_of(r, self.config.on) for r in rows]
        table = pa.table({"id": pa.array([r["id"] for r in rows], pa.string()),
                          "chunk": pa.array([r.get("chunk") or 0 for r in rows], pa.int32()),
                          "rank": pa.array([survivor_key(r.get("score"), 0, "")[0] for r in rows], pa.float64()),
                          "tlen": pa.array([len(t) for t in texts], pa.int64()), "text": pa.array(texts, pa.large_string()),
                          **parts_columns([parts_of(r, self.config.on) for r in rows])})
        ds = ray.data.from_arrow(table).repartition(max(1, -(-len(rows) // self.config.block_size)))
        return apply_decisions(rows, [(self.name, embedding_decisions_ray(ds, self.config, self.name))])

    def close(self) -> None:
        self.embedder._model = None
