"""MinHash LSH dedup: our path vs a plain datasketch pipeline, same corpus, same run, one core.

    python bench/bench_minhash.py                       # 10k docs, 1k planted pairs, no Ray
    python bench/bench_minhash.py --docs 20000 --scale 10000,100000   # + Ray path scaling run
    python bench/bench_minhash.py --both 20000          # the step, compare: both vs completion, shared contexts
    python bench/bench_minhash.py --both 10000 --ray    # the step on its Ray engine, compare: both

Corpus: random Zipf-distributed words; planted pairs are copies with spread-out word edits whose
*true* 5-gram shingle Jaccard is measured (0.5-0.95). Both pipelines start from raw texts and end
with candidate pairs: shingling + signatures + LSH (ours also verifies candidates by estimated
Jaccard exactly on the candidate pairs). Both use num_perm=128, threshold 0.8 and the same (b, r). Recall counts planted pairs with
true Jaccard >= 0.9; precision is the share of reported pairs whose true Jaccard >= 0.8 (the threshold).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import threading
import time
from pathlib import Path

for var in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from curation.dedup import words  # noqa: E402
from curation.dedup.minhash import MinHashConfig, near_duplicate_pairs, shingle_hashes, signatures  # noqa: E402

N = 5


def shingles(text: str) -> set[str]:
    w = words(text)
    return {" ".join(w[i : i + N]) for i in range(max(len(w) - N + 1, 1))}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def make_corpus(n_docs: int, n_pairs: int, seed: int = 0, lo: int = 80, hi: int = 200):
    rng = random.Random(seed)
    vocab = [f"tok{i}" for i in range(50_000)]
    cum = list(itertools.accumulate(1 / (i + 1) ** 1.05 for i in range(len(vocab))))  # once, not per document
    base = [" ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(lo, hi))) for _ in range(n_docs - n_pairs)]
    planted = []
    for p in range(n_pairs):
        src = rng.randrange(len(base))
        target = rng.uniform(0.5, 0.95)
        w = base[src].split()
        # each spread-out edit kills up to N shingles: pick the edit count for the target, then measure
        k = max(1, round(len(w) * (1 - target) / (N * (1 + target))))
        for j in rng.sample(range(len(w)), k):
            w[j] = rng.choice(vocab)
        planted.append((src, len(base) + p, " ".join(w)))
    texts = base + [t for _, _, t in planted]
    truth = {(a, b): jaccard(texts[a], texts[b]) for a, b, _ in planted}
    return texts, truth


def ours(texts: list[str], cfg: MinHashConfig) -> set[tuple[int, int]]:
    sh = shingle_hashes(texts, cfg)
    sig, ok = signatures(texts, cfg, sh)
    return {tuple(p) for p in near_duplicate_pairs(sig, ok, cfg, sh).tolist()}


def datasketch_baseline(texts: list[str], cfg: MinHashConfig) -> set[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    b, r = cfg.bands_rows()
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(b, r))
    mhs = []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update_batch([s.encode() for s in shingles(t)])
        lsh.insert(i, m)
        mhs.append(m)
    pairs = set()
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def quality(pairs: set, truth: dict, texts: list[str], thr: float) -> tuple[float, float]:
    want = [p for p, j in truth.items() if j >= 0.9]
    recall = sum(p in pairs for p in want) / max(len(want), 1)
    good = sum((truth[p] if p in truth else jaccard(texts[p[0]], texts[p[1]])) >= thr for p in pairs)
    return recall, good / max(len(pairs), 1)


class PeakRSS:
    """Samples the RSS of this process and all its descendants (Ray's raylet and workers)."""

    def __init__(self):
        import psutil

        self.proc, self.peak, self._stop = psutil.Process(), 0, threading.Event()

    def _total(self) -> int:
        total = 0
        for p in [self.proc] + self.proc.children(recursive=True):
            try:
                total += p.memory_info().rss
            except Exception:  # a worker may exit between listing and reading
                pass
        return total

    def __enter__(self):
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()
        return self

    def _loop(self):
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, self._total())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def ray_scaling(sizes: list[int], cfg: MinHashConfig) -> None:
    """Per size: the Ray Data path over a dataset (``minhash_dedup_ray``), the pipeline step on Ray
    (``engine: ray``: the driver holds the rows, Ray computes the clusters) and, as the baseline, the same
    step in process (``engine: local``); all three verify by signature estimate, so they must agree."""
    import ray
    import ray.data

    from curation.dedup.minhash import MinHashDedup
    from curation.dedup.minhash_ray import minhash_dedup_ray
    from ground.record import new_sample, to_table

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    cfg = cfg.model_copy(update={"verify": "estimate"})
    try:
        for n in sizes:
            texts, truth = make_corpus(n, n // 10, seed=1, lo=40, hi=80)
            make = lambda: [new_sample(stage="b", prompt_id=str(i), sample_index=0, completion=t, messages=[])  # noqa: E731
                            for i, t in enumerate(texts)]
            ds = ray.data.from_arrow(to_table(make())).repartition(max(2, n // 20000)).materialize()
            with PeakRSS() as mem:
                t0 = time.perf_counter()
                out = minhash_dedup_ray(ds, cfg).materialize()
                dt = time.perf_counter() - t0
            rejected = out.filter(lambda r: r["status"] == "rejected").count()
            del ds, out
            print(f"ray dataset {n:>8} docs: {dt:7.1f} s  {n / dt:8.0f} docs/s  rejected {rejected}  "
                  f"peak RSS (driver+ray) {mem.peak / 2**30:.2f} GiB", flush=True)
            res = {}
            for engine in ("ray", "local"):
                rows = make()
                with PeakRSS() as mem:
                    t0 = time.perf_counter()
                    rows = MinHashDedup(cfg.model_copy(update={"engine": engine}))(rows)
                    res[engine] = time.perf_counter() - t0
                rej = sum(r["status"] == "rejected" for r in rows)
                del rows
                print(f"step {engine:5s} {n:>8} docs: {res[engine]:7.1f} s  {n / res[engine]:8.0f} docs/s  rejected {rej}  "
                      f"peak RSS (driver+ray, rows held by the driver) {mem.peak / 2**30:.2f} GiB", flush=True)
            print(f"  ratio at {n}: ray dataset path / local step time {dt / res['local']:.2f}, "
                  f"ray step / local step {res['ray'] / res['local']:.2f}", flush=True)
    finally:
        ray.shutdown()


def both_rows(n: int, per_doc: int = 10, doc_words: int = 400, seed: int = 2) -> tuple[list[dict], int]:
    """``n`` SQuAD/RAG-style rows: every ``per_doc`` rows share one ``doc_words``-word document in their prompt,
    each with its own question (12 words) and answer (20-40 words); the last n/10 are planted near-copies of
    earlier rows (same prompt, the answer with spread-out word edits, true 5-gram Jaccard 0.5-0.95). Returns the rows
    and how many planted copies have an answer Jaccard >= 0.8 and >= 0.9."""
    from ground.record import new_sample

    rng = random.Random(seed)
    answers, truth = make_corpus(n, n // 10, seed=seed, lo=20, hi=40)
    vocab = [f"tok{i}" for i in range(50_000)]
    n_base = n - n // 10
    docs = [" ".join(rng.choices(vocab, k=doc_words)) for _ in range(-(-n_base // per_doc))]
    prompts = [f"{docs[i // per_doc]}\n\nQuestion: {' '.join(rng.choices(vocab, k=12))}" for i in range(n_base)]
    prompts += [prompts[a] for (a, _b) in truth]  # a planted copy asks its source's question
    rows = [new_sample(stage="b", prompt_id=str(i), sample_index=0, completion=t, messages=[{"role": "user", "content": p}])
            for i, (p, t) in enumerate(zip(prompts, answers))]
    return rows, (sum(j >= 0.8 for j in truth.values()), sum(j >= 0.9 for j in truth.values()))


def bench_both(n: int, threshold: float) -> None:
    """The MinHash step in process, ``compare: both`` and ``completion``, on rows that share a document 10 by 10
    and on rows with a document each (no false duplicates either way: the pure cost). CPU seconds of this
    process (the machine may be shared) and wall seconds."""
    from curation.dedup.minhash import MinHashDedup

    for per_doc in (10, 1):
        rows, planted = both_rows(n, per_doc=per_doc)
        print(f"corpus: {n} rows, {per_doc} per 400-word document, {n // 10} planted copies "
              f"({planted[0]} with answer J >= 0.8, {planted[1]} >= 0.9)")
        for on in ("both", "completion"):
            step = MinHashDedup(MinHashConfig(on=on, threshold=threshold, engine="local"))
            step([dict(r) for r in rows[:200]])  # warm-up
            work = [dict(r) for r in rows]
            t0, c0 = time.perf_counter(), time.process_time()
            step(work)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"  step on: {on:10s} cpu {cpu:7.2f} s  wall {dt:7.2f} s  {n / cpu:8.0f} rows/cpu-s  "
                  f"rejected {sum(r['status'] == 'rejected' for r in work)}", flush=True)


def bench_both_ray(n: int, threshold: float, reps: int = 2) -> None:
    """The step on its Ray engine (``verify: estimate``), ``compare: both``, a document per row; wall seconds
    (the work is in Ray workers), after a warm-up that starts the actors."""
    import ray
    import ray.data

    from curation.dedup.minhash import MinHashDedup

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        rows, _ = both_rows(n, per_doc=1)
        cfg = MinHashConfig(on="both", threshold=threshold, verify="estimate", engine="ray")
        MinHashDedup(cfg)([dict(r) for r in rows[:500]])
        for _ in range(reps):
            work = [dict(r) for r in rows]
            t0 = time.perf_counter()
            MinHashDedup(cfg)(work)
            print(f"ray step on: both {n} rows: wall {time.perf_counter() - t0:.1f} s, "
                  f"rejected {sum(r['status'] == 'rejected' for r in work)}, (b, r) = {cfg.bands_rows()}", flush=True)
    finally:
        ray.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--pairs", type=int, default=1_000)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--scale", default="", help="comma-separated doc counts for the Ray path, e.g. 10000,100000")
    ap.add_argument("--both", type=int, default=0, help="only the step with compare: both vs completion on this many "
                    "rows with a long shared context (SQuAD/RAG-style), in process")
    ap.add_argument("--ray", action="store_true", help="with --both: the step on its Ray engine instead")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core for both pipelines
    if args.both:
        if args.ray:
            bench_both_ray(args.both, args.threshold)
        else:
            bench_both(args.both, args.threshold)
        return

    # fn_weight > fp_weight: recall matters more, verification removes the extra false positives
    # one text a document (signatures() of single texts): on: completion (on: both signs a prompt and a completion apart)
    cfg = MinHashConfig(on="completion", threshold=args.threshold, num_perm=128, fp_weight=0.3, fn_weight=0.7)
    texts, truth = make_corpus(args.docs, args.pairs)
    js = np.array(list(truth.values()))
    print(f"corpus: {len(texts)} docs, {len(truth)} planted pairs (true Jaccard {js.min():.2f}-{js.max():.2f}, "
          f"{(js >= 0.9).sum()} >= 0.9); threshold {cfg.threshold}, num_perm {cfg.num_perm}, (b, r) = {cfg.bands_rows()}")
    ours(texts[:200], cfg)  # warm-up (imports, band derivation)
    t0 = time.perf_counter()
    p_ours = ours(texts, cfg)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    p_base = datasketch_baseline(texts, cfg)
    t_base = time.perf_counter() - t0
    for name, p, t in (("ours (rensa+numpy, exact verify)", p_ours, t_ours), ("datasketch baseline", p_base, t_base)):
        rec, prec = quality(p, truth, texts, cfg.threshold)
        print(f"{name:30s} {t:7.2f} s  {len(texts) / t:8.0f} docs/s  pairs {len(p):6d}  "
              f"recall(J>=0.9) {rec:.3f}  precision(J>={cfg.threshold}) {prec:.3f}")
    print(f"speed-up ours / datasketch: {t_base / t_ours:.1f}x (goal >= 4x)")
    if args.scale:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        ray_scaling([int(x) for x in args.scale.split(",")], cfg)


if __name__ == "__main__":
    main()
