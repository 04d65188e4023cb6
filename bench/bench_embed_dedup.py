"""Embedding dedup in the streaming plane: in-process decide (texts gathered, embeddings in the driver) vs the Ray
path (embeddings on actors, search in Ray tasks, only edges to the driver). Driver peak RSS and wall time.

    python bench/bench_embed_dedup.py                          # 20k and 50k short texts
    python bench/bench_embed_dedup.py --sizes 5000 --replicas 2

Corpus: short texts of 8-14 words drawn from the bundled MiniLM's vocabulary, plus planted paraphrases
(``--planted`` share: one word dropped, two neighbours swapped), written as Sample rows in Parquet shards of
2,000 rows. Each path runs ``EmbeddingDedup.decide`` on the same live Ray Dataset, in its own fresh driver
process (``ru_maxrss`` of that process = the driver's peak RSS), on a local Ray with ``--cpus`` CPUs. Both
paths get the same CPUs: the driver's torch uses them all in process; on Ray, ``--replicas`` actors of 1 CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def vocabulary() -> list[str]:
    from curation.embedder import resolve_model

    words = Path(resolve_model("all-MiniLM-L6-v2"), "vocab.txt").read_text().split()
    return [w for w in words if w.isalpha() and w.islower() and len(w) >= 4]


def write_corpus(d: Path, n: int, planted: float, seed: int = 0) -> int:
    """``n`` rows (a ``planted`` share are paraphrases of earlier rows) as Parquet shards; returns the planted count."""
    import pyarrow.parquet as pq

    from ground.record import new_sample, to_table

    rng, vocab = random.Random(seed), vocabulary()
    texts: list[str] = []
    n_planted = int(n * planted)
    for i in range(n - n_planted):
        texts.append(" ".join(rng.choices(vocab, k=rng.randint(8, 14))))
    for src in rng.sample(range(len(texts)), n_planted):
        w = texts[src].split()
        del w[rng.randrange(len(w))]
        j = rng.randrange(len(w) - 1)
        w[j], w[j + 1] = w[j + 1], w[j]
        texts.append(" ".join(w))
    for c, lo in enumerate(range(0, n, 2000)):
        rows = [new_sample(stage="gen", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": t}],
                           score=None) for i, t in enumerate(texts[lo : lo + 2000], start=lo)]
        for r in rows:
            r["chunk"] = c
        pq.write_table(to_table(rows), d / f"chunk-{c:06d}.parquet")
    return n_planted


def child(args) -> None:
    """One path in this (fresh) driver: decide over the shards, then report wall time and peak RSS."""
    import ray

    from curation.dedup.embedding import EmbeddingDedup, EmbeddingDedupConfig

    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    live = ray.data.read_parquet(args.dir)
    cfg = EmbeddingDedupConfig(on="prompt", threshold=args.threshold, engine=args.child, replicas=args.replicas,
                               block_size=args.block_size, kmeans_clusters=args.kmeans)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    dec = EmbeddingDedup(cfg).decide(live, {"live_rows": args.n})
    wall = time.perf_counter() - t0
    rows = dec.to_pylist() if hasattr(dec, "to_pylist") else [r for b in dec.iter_batches(batch_format="pyarrow") for r in b.to_pylist()]
    Path(args.out).write_text(json.dumps(sorted([r["id"], r["survivor_id"], r["cluster_id"], r["reason"]] for r in rows)))
    print(json.dumps({"wall_s": round(wall, 1), "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "rss_before_mib": round(rss0), "rejected": sum(1 for r in rows if r["survivor_id"])}))
    ray.shutdown()


def run_path(args, engine: str, d: Path, n: int) -> tuple[dict, list]:
    out = d / f"decisions-{engine}.json"
    cmd = [sys.executable, __file__, "--child", engine, "--dir", str(d), "--n", str(n), "--out", str(out),
           "--cpus", str(args.cpus), "--replicas", str(args.replicas), "--block-size", str(args.block_size),
           "--threshold", str(args.threshold), "--kmeans", str(args.kmeans)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=7200)
    if p.returncode != 0:
        sys.exit(f"{engine} path failed at {n} rows:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1]), json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="20000,50000")
    ap.add_argument("--planted", type=float, default=0.1)
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--block-size", type=int, default=2048)
    ap.add_argument("--kmeans", type=int, default=0, help="kmeans_clusters (0 = exact all-pairs search)")
    ap.add_argument("--child", choices=["local", "ray"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("FACTORY_DASHBOARD", "0")
    if args.child:
        return child(args)
    print(f"embedding dedup decide, cos >= {args.threshold}, kmeans_clusters={args.kmeans}, {args.cpus} CPUs, "
          f"ray replicas={args.replicas}, block_size={args.block_size}")
    for n in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="bench_embed_") as tmp:
            d = Path(tmp)
            planted = write_corpus(d, n, args.planted)
            (loc, dloc), (ray_, dray) = run_path(args, "local", d, n), run_path(args, "ray", d, n)
            in_local = {tuple(x) for x in dloc}
            same = sum(tuple(x) in in_local for x in dray)
            print(f"{n:>7} rows ({planted} planted): in process {loc['wall_s']:.1f} s, driver peak {loc['rss_mib']} MiB | "
                  f"ray {ray_['wall_s']:.1f} s, driver peak {ray_['rss_mib']} MiB | time ratio ray/in-process "
                  f"{ray_['wall_s'] / loc['wall_s']:.2f}, driver RSS ratio {ray_['rss_mib'] / loc['rss_mib']:.2f} | rejected "
                  f"{loc['rejected']} vs {ray_['rejected']}, identical decisions {same}/{max(len(dloc), len(dray))}", flush=True)


if __name__ == "__main__":
    main()
