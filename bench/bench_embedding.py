"""Embedding near-dup: CPU docs/s, recall on planted paraphrases, blockwise vs full-matrix search.

    python bench/bench_embedding.py                     # 3000 GSM8K train questions + 300 paraphrases
    python bench/bench_embedding.py --docs 1000 --threshold 0.85

Corpus: GSM8K train questions (distinct problems) plus paraphrases of ``--pairs`` of them (synonyms,
number words, question moved first: :func:`paraphrase`). Recall = planted pairs that end
in one cluster; false merges = rejected rows that are not planted paraphrases. Search is timed three
ways on the same embeddings: one full n x n matrix (baseline), blockwise exact, and k-means (SemDeDup) with
``kmeans_probe`` 1 (plain) and 2 (the default: each row also compared in its next nearest cluster).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from curation.dedup import components  # noqa: E402
from curation.dedup.benchmarks import shared_data_file  # noqa: E402
from curation.dedup.embedding import EmbeddingDedupConfig, near_duplicate_pairs  # noqa: E402
from curation.embedder import Embedder  # noqa: E402


SYN = {"how many": "what number of", "buys": "purchases", "sells": "trades", "each": "every", "total": "overall",
       "dollars": "bucks", "makes": "earns", "has": "owns", "gives": "hands", "day": "daily period", "week": "7-day week",
       "friends": "pals", "store": "shop", "money": "cash", "bought": "purchased", "many": "several"}
NUM = {"2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "10": "ten", "12": "twelve", "20": "twenty"}


def paraphrase(q: str, rng: random.Random) -> str:
    """The same problem reworded: synonyms, number words, the question moved first (values unchanged)."""
    s = q
    for a, b in SYN.items():
        s = re.sub(rf"\b{a}\b", b, s, flags=re.I)
    s = re.sub(r"\b(\d+)\b", lambda m: NUM.get(m.group(1), m.group(1)), s)
    sents = re.split(r"(?<=[.!?])\s+", s)
    if len(sents) > 2:  # move the question to the front, keep the facts in order
        sents = [sents[-1]] + sents[:-1]
    return " ".join(sents).replace(" the ", " ")


def score(pairs: np.ndarray, n: int, planted: dict[int, int]) -> tuple[float, int]:
    comp = {}
    for c, members in enumerate(components(n, pairs)):
        for m in members:
            comp[m] = c
    recall = sum(a in comp and comp.get(b) == comp[a] for a, b in planted.items()) / len(planted)
    in_planted = set(planted) | set(planted.values())
    false = sum(1 for m in comp if m not in in_planted)
    return recall, false


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--threshold", type=float, default=0.85)
    ap.add_argument("--block-size", type=int, default=512)
    ap.add_argument("--ray-replicas", type=int, default=0, help="also encode on Ray Data with N embedder actors")
    args = ap.parse_args()
    rng = random.Random(0)
    train = [json.loads(x)["question"] for x in open(shared_data_file("gsm8k/train.jsonl"), encoding="utf-8")]
    docs = rng.sample(train, args.docs)
    src = rng.sample(range(args.docs), args.pairs)
    texts = docs + [paraphrase(docs[i], rng) for i in src]
    planted = {i: args.docs + k for k, i in enumerate(src)}

    emb = Embedder("all-MiniLM-L6-v2")
    emb.encode(["warm up"])
    t0 = time.perf_counter()
    e = emb.encode(texts)
    t_enc = time.perf_counter() - t0
    print(f"encode: {len(texts)} docs in {t_enc:.1f} s = {len(texts) / t_enc:.0f} docs/s on CPU (all-MiniLM-L6-v2, batch 64)")
    if args.ray_replicas:
        import pyarrow as pa
        import ray

        from curation.dedup.embedding_ray import embedding_dataset, vectors

        def embed_on_ray(xs: list[str]) -> np.ndarray:  # the Ray path's embedding stage, gathered here to compare
            table = pa.table({"id": [str(i) for i in range(len(xs))], "rank": [0.0] * len(xs), "tlen": [len(x) for x in xs], "text": xs})
            out = embedding_dataset(ray.data.from_arrow(table).repartition(max(1, len(xs) // 512)), rcfg)
            parts = [(np.array(b.column("id").to_pylist(), int), vectors(b)) for b in out.iter_batches(batch_format="pyarrow", batch_size=None)]
            vecs = np.zeros((len(xs), parts[0][1].shape[1]), np.float32)
            for ids, v in parts:
                vecs[ids] = v
            return vecs

        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        rcfg = EmbeddingDedupConfig(engine="ray", replicas=args.ray_replicas, block_size=512)
        embed_on_ray(texts[:64])  # actors start and load the model once per run; time a warm second call too
        t0 = time.perf_counter()
        er = embed_on_ray(texts)
        t_ray = time.perf_counter() - t0
        ray.shutdown()
        assert np.allclose(er, e, atol=1e-4)
        print(f"encode on Ray, {args.ray_replicas} actors (incl. actor start + model load): {t_ray:.1f} s = "
              f"{len(texts) / t_ray:.0f} docs/s; ratio vs in process {t_enc / t_ray:.2f}x; same vectors")

    t0 = time.perf_counter()
    full = e @ e.T
    iu = np.triu_indices(len(texts), k=1)
    m = full[iu] >= args.threshold
    base_pairs = np.stack([iu[0][m], iu[1][m]], axis=1)
    t_full = time.perf_counter() - t0
    full_mb = (full.nbytes + iu[0].nbytes * 2) / 2**20
    del full, iu
    cfg = EmbeddingDedupConfig(threshold=args.threshold, block_size=args.block_size)
    t0 = time.perf_counter()
    exact = near_duplicate_pairs(e, cfg)
    t_block = time.perf_counter() - t0
    k = max(2, len(texts) // 1000)
    approx, t_km = {}, {}
    for probe in (1, 2):  # plain SemDeDup, then each row also compared in its next nearest cluster (the default)
        t0 = time.perf_counter()
        approx[probe] = near_duplicate_pairs(e, EmbeddingDedupConfig(threshold=args.threshold, block_size=args.block_size,
                                                                     kmeans_clusters=k, kmeans_probe=probe))
        t_km[probe] = time.perf_counter() - t0
    assert {tuple(p) for p in exact.tolist()} == {tuple(p) for p in base_pairs.tolist()}
    print(f"search (cos >= {args.threshold}): full matrix {t_full:.2f} s (~{full_mb:.0f} MiB), "
          f"blockwise {t_block:.2f} s ({args.block_size}^2 block = {args.block_size**2 * 4 / 2**20:.0f} MiB), "
          f"k-means k={k} probe 1 {t_km[1]:.2f} s, probe 2 {t_km[2]:.2f} s; blockwise/full time ratio {t_block / t_full:.2f}")
    every = {tuple(p) for p in exact.tolist()}
    for name, pairs in (("blockwise exact", exact), (f"k-means k={k} probe 1", approx[1]), (f"k-means k={k} probe 2", approx[2])):
        rec, false = score(pairs, len(texts), planted)
        found = len(every & {tuple(p) for p in pairs.tolist()})
        print(f"  {name:22s} recall on planted paraphrases {rec:.3f}; pairs >= threshold found {found}/{len(every)}; "
              f"rows merged outside planted pairs {false}")

if __name__ == "__main__":
    main()
