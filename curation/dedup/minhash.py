"""Near-duplicate removal with MinHash LSH, in process or on Ray Data.

Math
----
Each text becomes a set of shingles (word or character n-grams of the normalised text). A MinHash
signature of ``num_perm`` values estimates the Jaccard similarity ``s`` of two sets: every position
agrees with probability ``s`` (Broder 1997). LSH cuts the first ``b*r`` positions into ``b`` bands
of ``r`` rows; two texts become a *candidate pair* when all ``r`` rows of at least one band agree::

    P(candidate | s) = 1 - (1 - s**r) ** b

an S-curve whose steepest point sits near ``(1/b) ** (1/r)``. Given a Jaccard ``threshold`` t,
``b`` and ``r`` (``b*r <= num_perm``) minimise the weighted error areas, as datasketch's
``_optimal_param`` does (Leskovec, Rajaraman, Ullman, *Mining of Massive Datasets*, ch. 3.4)::

    FP(b, r) = integral_0^t P(candidate | s) ds      FN(b, r) = integral_t^1 1 - P(candidate | s) ds
    (b, r)   = argmin  fp_weight * FP + fn_weight * FN

With ``on: both`` the prompt and the completion are signed apart (part ``j`` with seed ``seed + j``: independent
hash families) and a pair is a near-duplicate only when **both** parts' Jaccard reach the threshold. One signature
of the joined text let a long shared part decide: three different questions and answers after one 400-word
document had Jaccard 0.85-0.89. A band row then takes position ``c`` of both signatures, equal with probability
``s_p * s_c``; a pair with both parts at ``t`` is at ``t**2`` on that curve, so ``(b, r)`` are derived for ``t**2``
(0.8 -> (16, 8) instead of (9, 13): 16 band entries a row in the Ray path's shuffle instead of 9). A pair that
shares only a context (``s_c`` ~ 0) is almost never a candidate, so no bucket gathers every row about one document
(bands of the prompt alone would, and a bucket over ``bucket_cap`` links its members to one row only).

Candidates are verified (``verify``) before they become edges: ``"exact"`` computes the true
Jaccard of the two shingle-hash sets (cheap: only candidate pairs), ``"estimate"`` uses the fraction
of equal signature positions over all ``num_perm`` values (std ~ sqrt(s(1-s)/num_perm), so pairs just
under the threshold slip through), ``"none"`` keeps every band collision. The pair is kept when the
value (with parts: the smaller part's) is >= ``threshold``. The Ray path has no shingles on the driver and uses
``"estimate"``. Kept pairs are edges; connected components (union-find) are clusters; one survivor per cluster
(see :mod:`curation.dedup`).

Signatures come from ``rensa`` (Rust) over n-gram hashes built with numpy; one scheme (rensa
``RMinHash``, seed ``seed``; part ``j`` of ``on: both``, ``seed + j``) is used for every row of a run, so
signatures are comparable.

    >>> from ground.record import new_sample
    >>> from curation.dedup.minhash import MinHashConfig, MinHashDedup
    >>> text = "the quick brown fox jumps over the lazy dog " * 4
    >>> rows = [new_sample(stage="g", prompt_id=str(i), sample_index=0, completion=t,
    ...                    messages=[{"role": "user", "content": "q"}])
    ...         for i, t in enumerate([text, text + "again", "something else entirely here"])]
    >>> rows = MinHashDedup(MinHashConfig(on="completion", ngram=3, threshold=0.7))(rows)
    >>> [r["status"] for r in rows]
    ['accepted', 'rejected', 'accepted']

At scale, :func:`curation.dedup.minhash_ray.minhash_dedup_ray` runs the same math on a Ray Dataset:
signatures and band keys in ``map_batches``, buckets by a Ray Data ``groupby`` (a shuffle, not a
driver-side collect), and only the (small) candidate edge list comes back to the driver.
"""

from __future__ import annotations

import logging
from typing import Literal
from functools import lru_cache

import numpy as np
from pydantic import Field, model_validator

from curation.dedup import (
    PARTS,
    Compared,
    DedupStepConfig,
    compare_field,
    components,
    mark_cluster,
    ngram_hashes,
    normalize,
    parts_of,
    required_columns,
    survivor_key,
    words,
)
from ground.step import Step

log = logging.getLogger(__name__)


class MinHashConfig(DedupStepConfig):
    on: Compared = compare_field("both")
    shingle: Literal["word", "char"] = Field("word", description="shingle unit: 'word' n-grams or 'char' n-grams")
    ngram: int = Field(5, ge=1, le=64, description="n-gram size of a shingle (words or characters)")
    num_perm: int = Field(128, ge=2, le=4096, description="MinHash signature length")
    threshold: float = Field(0.8, ge=0.01, le=1.0, description="Jaccard similarity at which texts are duplicates")
    bands: int | None = Field(None, ge=1, description="LSH bands b; derived from threshold if unset")
    rows: int | None = Field(None, ge=1, description="rows per band r; derived from threshold if unset")
    fp_weight: float = Field(0.5, ge=0.0, le=1.0, description="weight of the false-positive area when deriving b, r")
    fn_weight: float = Field(0.5, ge=0.0, le=1.0, description="weight of the false-negative area when deriving b, r")
    verify: Literal["exact", "estimate", "none"] = Field("exact", description="candidate check: 'exact' shingle Jaccard, 'estimate' from signatures, or 'none'")
    bucket_cap: int = Field(64, ge=2, le=10**6, description="buckets larger than this link members to the first one (star) instead of all pairs")
    seed: int = Field(1, description="MinHash seed (one signature scheme per run)")
    engine: Literal["auto", "local", "ray"] = Field("auto", description="'local' (in the driver), 'ray' (signatures and the bucket shuffle on Ray Data), or 'auto': ray from ray_min_rows rows when Ray is running")
    ray_min_rows: int = Field(500_000, ge=0, le=10**12, description="with engine 'auto', the row count from which the Ray path is used")
    num_partitions: int | None = Field(None, ge=1, description="Ray path: bucket shuffle partitions (default: ~2M band entries each, >= 2 per CPU)")

    @model_validator(mode="after")
    def _bands_rows(self) -> "MinHashConfig":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"need bands*rows <= num_perm ({self.num_perm})")
        return self

    def n_parts(self) -> int:
        """Signatures per row: 2 with ``on: both`` (prompt and completion apart, :data:`curation.dedup.PARTS`), else 1."""
        return len(PARTS) if self.on == "both" else 1

    def bands_rows(self) -> tuple[int, int]:
        """LSH (b, r). With ``on: both`` a band row is a position of every part's signature at once, equal with
        probability ``s_prompt * s_completion``; a pair with both parts at the threshold is at ``threshold**2`` there."""
        if self.bands is not None:
            return self.bands, self.rows  # type: ignore[return-value]
        return optimal_bands(self.threshold ** self.n_parts(), self.num_perm, self.fp_weight, self.fn_weight)


@lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """(b, r) minimising ``fp_weight*FP + fn_weight*FN`` (see module docstring)."""
    grid = 512
    lo = np.linspace(0.0, threshold, grid)
    hi = np.linspace(threshold, 1.0, grid)
    best, best_err = (1, 1), np.inf
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = np.trapezoid(1 - (1 - lo**r) ** b, lo)
            fn = np.trapezoid((1 - hi**r) ** b, hi)
            err = fp_weight * fp + fn_weight * fn
            if err < best_err:
                best, best_err = (b, r), err
    return best


# ----------------------------------------------------------------------------- signatures
def shingle_tokens(texts: list[str], unit: str) -> list[list[str]]:
    if unit == "word":
        return [words(t) for t in texts]
    return [list(normalize(t)) for t in texts]


def shingle_hashes(texts: list[str], cfg: MinHashConfig) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of every text: ``(flat uint64, offsets)`` (see :func:`curation.dedup.ngram_hashes`)."""
    return ngram_hashes(shingle_tokens(texts, cfg.shingle), cfg.ngram)


def signatures(texts: list[str], cfg: MinHashConfig, shingles=None, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures ``(n, num_perm)`` uint32, and a mask of texts that had any shingle (a text without one
    gets the all-``0xFFFFFFFF`` signature of the empty set). ``seed``: another hash family than ``cfg.seed``'s."""
    import rensa

    flat, offsets = shingles if shingles is not None else shingle_hashes(texts, cfg)
    if len(texts) == 0:
        return np.zeros((0, cfg.num_perm), np.uint32), np.zeros(0, bool)
    mat = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, cfg.num_perm, cfg.seed if seed is None else seed)
    sig = np.array(mat.to_rows(), dtype=np.uint32).reshape(len(texts), cfg.num_perm)
    return sig, np.diff(offsets) > 0


def part_shingles(parts: list[list[str]], cfg: MinHashConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`shingle_hashes` of each part of every row (``parts[i]``: row i's :func:`curation.dedup.parts_of`)."""
    return [shingle_hashes([p[j] for p in parts], cfg) for j in range(cfg.n_parts())]


def row_signatures(parts: list[list[str]], cfg: MinHashConfig, shingles=None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's parts' signatures side by side, ``(n, n_parts * num_perm)``, and a mask of rows with any shingle.
    Part ``j`` is signed with seed ``seed + j``: independent hash families, so a position agrees in every part with
    probability the product of the parts' Jaccards (what :func:`band_keys` and :meth:`MinHashConfig.bands_rows` use)."""
    k = cfg.n_parts()
    shingles = shingles if shingles is not None else part_shingles(parts, cfg)
    sigs = [signatures([p[j] for p in parts], cfg, shingles[j], seed=cfg.seed + j) for j in range(k)]
    if k == 1:
        return sigs[0]
    return np.hstack([s for s, _ in sigs]), np.logical_or.reduce([ok for _, ok in sigs])


def exact_jaccard(shingles: tuple[np.ndarray, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True Jaccard of the shingle sets of rows ``a[k]``, ``b[k]`` (two empty sets are equal: 1.0)."""
    flat, off = shingles
    sets: dict[int, np.ndarray] = {}

    def get(i: int) -> np.ndarray:
        if i not in sets:
            sets[i] = np.unique(flat[off[i] : off[i + 1]])
        return sets[i]

    out = np.empty(len(a), np.float64)
    for k, (i, j) in enumerate(zip(np.asarray(a).tolist(), np.asarray(b).tolist())):
        x, y = get(i), get(j)
        inter = len(np.intersect1d(x, y, assume_unique=True))
        union = len(x) + len(y) - inter
        out[k] = inter / union if union else 1.0
    return out


def part_jaccards(sig: np.ndarray, a, b, k: int = 1, shingles=None) -> np.ndarray:
    """``(len(a), k)``: each part's Jaccard of rows ``a[m]``, ``b[m]``: exact from ``shingles`` (one
    ``(flat, offsets)`` per part, or one for a single part) when given, else estimated from the signatures (the
    fraction of equal positions, std ~ sqrt(s(1-s)/num_perm))."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if shingles is not None:
        per = shingles if isinstance(shingles, list) else [shingles]
        return np.stack([exact_jaccard(sh, a, b) for sh in per], axis=1).reshape(len(a), k)
    n_perm = sig.shape[1] // k
    return (sig[a].reshape(len(a), k, n_perm) == sig[b].reshape(len(b), k, n_perm)).mean(axis=2)


def jaccard_note(j: np.ndarray, exact: bool) -> str:
    """The similarity in a rejected row's reason: ``minhash jaccard=0.91`` (``~`` when estimated); with parts, the
    smallest (the deciding one) and each part's: ``minhash jaccard~0.88 (prompt 1.00, completion 0.88)``."""
    op = "=" if exact else "~"
    j = np.asarray(j, dtype=np.float64).ravel()
    if len(j) == 1:
        return f"minhash jaccard{op}{float(j[0]):.2f}"
    each = ", ".join(f"{name} {float(v):.2f}" for name, v in zip(PARTS, j))
    return f"minhash jaccard{op}{float(j.min()):.2f} ({each})"


def band_keys(sig: np.ndarray, b: int, r: int, k: int = 1) -> np.ndarray:
    """One uint64 key per (band, text): ``(b, n)``; the band index is mixed in so bands never collide. With ``k``
    parts (``sig`` = their signatures side by side) band ``j`` takes its ``r`` positions from every part, so two
    rows share it only when all parts agree there."""
    from curation.dedup import _FNV_PRIME, _mix

    n = sig.shape[0]
    n_perm = sig.shape[1] // k
    out = np.empty((b, n), dtype=np.uint64)
    s64 = sig.astype(np.uint64)
    with np.errstate(over="ignore"):
        for j in range(b):
            h = np.full(n, np.uint64(j) + np.uint64(0x9E3779B97F4A7C15), dtype=np.uint64)
            for c in range(j * r, (j + 1) * r):
                for p in range(k):
                    h = (h ^ s64[:, p * n_perm + c]) * _FNV_PRIME
            out[j] = _mix(h)
    return out


def bucket_pairs(keys: np.ndarray, nodes: np.ndarray, cap: int) -> np.ndarray:
    """Pairs ``(m, 2)`` of nodes sharing a key, each pair once with ``a < b``.

    Within a bucket of size <= ``cap`` every pair is emitted; a larger bucket links each member to
    its first member (enough for connectivity, and it bounds quadratic work on degenerate buckets).
    """
    keys, nodes = np.asarray(keys).ravel(), np.asarray(nodes).ravel()
    order = np.argsort(keys, kind="stable")
    k, d = keys[order], nodes[order]
    dup = np.zeros(len(k), bool)
    if len(k) > 1:
        eq = k[1:] == k[:-1]
        dup[1:] |= eq
        dup[:-1] |= eq
    k, d = k[dup], d[dup]
    if len(k) == 0:
        return np.zeros((0, 2), np.int64)
    new = np.concatenate([[True], k[1:] != k[:-1]])
    run = np.cumsum(new) - 1
    starts = np.nonzero(new)[0]
    run_len = np.diff(np.append(starts, len(k)))
    pa_, pb_ = [], []
    for dist in range(1, min(int(run_len.max()), cap)):
        i = np.arange(len(k) - dist)
        m = (run[i] == run[i + dist]) & (run_len[run[i]] <= cap)
        pa_.append(d[i[m]])
        pb_.append(d[i[m] + dist])
    big = run_len[run] > cap
    pa_.append(d[starts[run[big]]])
    pb_.append(d[big])
    a, b = np.concatenate(pa_).astype(np.int64), np.concatenate(pb_).astype(np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    pairs = np.unique(np.stack([lo[keep], hi[keep]], axis=1), axis=0)
    return pairs


def estimated_jaccard(sig: np.ndarray, a: np.ndarray, b: np.ndarray, k: int = 1) -> np.ndarray:
    """The signature estimate of a pair's Jaccard; with ``k`` parts the smallest part's (all must pass)."""
    return part_jaccards(sig, a, b, k).min(axis=1)


def near_duplicate_pairs(sig: np.ndarray, ok: np.ndarray, cfg: MinHashConfig, shingles=None) -> np.ndarray:
    """Candidate pairs of row indices, verified as ``cfg.verify`` says (exact needs ``shingles``: one ``(flat,
    offsets)``, or a list of them, one per part). With parts every part must reach the threshold."""
    b, r = cfg.bands_rows()
    k = cfg.n_parts()
    if sig.shape[1] != k * cfg.num_perm:
        raise ValueError(f"minhash on: {cfg.on} compares {k} signature(s) of {cfg.num_perm} a row, got {sig.shape[1]} values "
                         f"(row_signatures makes them; signatures() of single texts go with on: prompt or completion)")
    idx = np.nonzero(ok)[0]
    keys = band_keys(sig[idx], b, r, k)
    nodes = np.tile(np.arange(len(idx)), b)
    pairs = idx[bucket_pairs(keys.ravel(), nodes, cfg.bucket_cap)]
    n_cand = len(pairs)
    if cfg.verify != "none" and n_cand:
        exact = shingles if cfg.verify == "exact" else None
        pairs = pairs[part_jaccards(sig, pairs[:, 0], pairs[:, 1], k, exact).min(axis=1) >= cfg.threshold]
    log.info("minhash: %d texts, b=%d r=%d, %d candidate pairs, %d kept", len(idx), b, r, n_cand, len(pairs))
    return pairs


class MinHashDedup(Step):
    """Rejects near-duplicates found by MinHash LSH over the rows it is given (one global pass)."""

    name = "minhash"
    Config = MinHashConfig
    description = "near-duplicates by MinHash LSH (Jaccard of shingles)"
    produces = ("status", "reject_stage", "reject_reason", "cluster_id", "survivor_id")

    def __init__(self, config: MinHashConfig | None = None, name: str | None = None):
        self.config = config or MinHashConfig()
        self.requires = required_columns(self.config.on) + ("id",)
        if name:
            self.name = name

    def use_ray(self, n_rows: int) -> bool:
        """``auto``: the Ray path from ``ray_min_rows`` rows when the run has Ray up. Measured on one 2-core
        machine (bench/RESULTS.md): at 100k rows in process is 2x faster; at 1M Ray Data is 1.4x faster and
        needs half the memory (7.5 vs 13.8 GiB), so the default threshold sits between."""
        from curation.dedup.base import use_ray

        return use_ray(self.config.engine, self.config.ray_min_rows, n_rows)

    def process(self, rows: list[dict]) -> list[dict]:
        if self.use_ray(len(rows)):
            return self.process_ray(rows)
        parts = [parts_of(r, self.config.on) for r in rows]
        texts = [p[0] if len(p) == 1 else "\n\n".join(p) for p in parts]  # text_of: the survivor rule's length
        sh = part_shingles(parts, self.config)
        sig, ok = row_signatures(parts, self.config, sh)
        del parts
        pairs = near_duplicate_pairs(sig, ok, self.config, sh)
        k, exact = self.config.n_parts(), self.config.verify == "exact"

        def describe(i: int, s: int) -> str:
            return jaccard_note(part_jaccards(sig, [i], [s], k, sh if exact else None), exact)

        dropped = 0
        for comp in components(len(rows), pairs):
            dropped += mark_cluster(rows, comp, texts, self.name, describe)
        log.info("%s: %d rows in, %d near-duplicates rejected", self.name, len(rows), dropped)
        return rows

    def decide(self, live, ctx: dict):
        """Streaming plane (curation.dedup.base.Deduper): the same rule as :meth:`process`, on the live rows
        where they are. In process (texts gathered) below ``ray_min_rows``, else signatures on actors and the
        bucket shuffle on Ray Data: only candidate pairs and their members' signatures reach this process."""
        from curation.dedup.base import GatheredDeduper
        from curation.dedup.minhash_ray import signature_dataset

        if not self.use_ray(ctx["live_rows"]):
            return GatheredDeduper(self, required_columns(self.config.on)).decide(live, ctx)
        return self.decide_sigs(signature_dataset(live, self.config), ctx["live_rows"], ctx.get("tmp_uri"))

    def decide_sigs(self, sigs, n_rows: int, tmp_uri: str | None = None):
        """Decisions from a materialised dataset of signature rows (``id, chunk, rank, tlen, sig, keys``: what
        :func:`curation.dedup.minhash_ray.signature_dataset` makes, or the key files' signatures). ``tmp_uri``: a
        scratch folder (the caller removes it) for the bucket shuffle through files (:mod:`ground.fileshuffle`)."""
        import pyarrow as pa

        from curation.dedup.base import DECISION_SCHEMA
        from curation.dedup.minhash_ray import default_partitions, minhash_decisions_ray

        parts = self.config.num_partitions or default_partitions(n_rows, self.config.bands_rows()[0])
        chunks: dict[str, int] = {}
        dec = minhash_decisions_ray(sigs, self.config, self.name, parts, chunks, tmp_uri)
        rows = [{"id": i, "chunk": chunks[i], "cluster_id": c, "survivor_id": s, "dedup_key": None,
                 "reason": f"near-duplicate of {s} ({note})" if s else None} for i, (c, s, note) in dec.items()]
        return pa.Table.from_pylist(rows, schema=DECISION_SCHEMA)

    def compact_table(self, rows: list[dict]):
        """What :meth:`process_ray` sends: ``id, rank, tlen, text`` (survivor rank and text length of the rule in
        :mod:`curation.dedup`), and with ``on: both`` the parts apart (``part0, part1``)."""
        import pyarrow as pa

        from curation.dedup.base import parts_columns

        parts = [parts_of(r, self.config.on) for r in rows]
        texts = [p[0] if len(p) == 1 else "\n\n".join(p) for p in parts]
        return pa.table({
            "id": pa.array([r["id"] for r in rows], pa.string()),
            "rank": pa.array([survivor_key(r.get("score"), 0, "")[0] for r in rows], pa.float64()),
            "tlen": pa.array([len(t) for t in texts], pa.int64()),
            "text": pa.array(texts, pa.large_string()),
            **parts_columns(parts),
        })

    def process_ray(self, rows: list[dict]) -> list[dict]:
        """Same decisions on Ray Data: the driver sends a compact table (id, survivor rank, text) and
        gets back only the clusters. Verification is by signature estimate (no shingles on the driver)."""
        import ray.data

        from curation.dedup.minhash_ray import apply_decision, default_partitions, minhash_decisions_ray, signature_dataset

        table = self.compact_table(rows)
        n_blocks = max(2, -(-len(rows) // 20_000))
        ds = ray.data.from_arrow(table).repartition(n_blocks)
        sigs = signature_dataset(ds, self.config)
        parts = self.config.num_partitions or default_partitions(len(rows), self.config.bands_rows()[0])
        decisions = minhash_decisions_ray(sigs, self.config, self.name, parts)
        dropped = sum(apply_decision(r, decisions[r["id"]], self.name) for r in rows if r["id"] in decisions)
        log.info("%s (ray): %d rows in, %d near-duplicates rejected", self.name, len(rows), dropped)
        return rows
