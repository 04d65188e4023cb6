"""MinHash LSH dedup: band math, clusters, survivor rule, text choice, verification, Ray path."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from curation.dedup.minhash import (
    MinHashConfig,
    MinHashDedup,
    bucket_pairs,
    optimal_bands,
)
from curation.dedup.minhash_ray import minhash_dedup_ray
from ground.record import new_sample, reject


def candidate_probability(s: float, b: int, r: int) -> float:
    """LSH: the probability that two texts of Jaccard similarity ``s`` share a bucket (b bands of r rows)."""
    return 1.0 - (1.0 - s**r) ** b


RNG = random.Random(7)
VOCAB = [f"w{i}" for i in range(3000)]


def doc(n: int = 200) -> str:
    return " ".join(RNG.choice(VOCAB) for _ in range(n))


def edit(text: str, k: int) -> str:
    """Replace k words at spread-out positions by same-length words: keeps most 5-grams and the length."""
    w = text.split()
    for j in range(k):
        i = (j * len(w)) // k
        w[i] = "x" + w[i][1:]
    return " ".join(w)


def row(pid: str, completion: str, prompt: str = "q", score=None) -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, completion=completion, score=score,
                      messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": prompt}])


def test_optimal_bands_matches_datasketch():
    from datasketch.lsh import _optimal_param

    for t, perm in [(0.5, 128), (0.8, 128), (0.9, 256)]:
        assert optimal_bands(t, perm) == _optimal_param(t, perm, 0.5, 0.5)
    b, r = optimal_bands(0.8, 128)
    assert candidate_probability(0.95, b, r) > 0.99 and candidate_probability(0.3, b, r) < 0.01


def test_bucket_pairs_all_pairs_small_star_large():
    keys = np.array([5, 9, 5, 5, 7, 9], dtype=np.uint64)
    nodes = np.arange(6)
    assert bucket_pairs(keys, nodes, cap=8).tolist() == [[0, 2], [0, 3], [1, 5], [2, 3]]
    # a bucket over the cap links to its first member only
    assert bucket_pairs(np.zeros(4, np.uint64), np.arange(4), cap=2).tolist() == [[0, 1], [0, 2], [0, 3]]


def test_near_duplicates_rejected_with_cluster_and_survivor():
    base = doc()
    rows = [row("a", base), row("b", edit(base, 2)), row("c", doc()), row("d", edit(base, 3))]
    out = MinHashDedup(MinHashConfig(on="completion"))(rows)
    assert out is rows and len(out) == 4
    # equal (null) scores and equal lengths -> the smallest id survives
    cluster = sorted([rows[0], rows[1], rows[3]], key=lambda r: r["id"])
    keep, dropped = cluster[0], cluster[1:]
    assert keep["status"] == "accepted" and rows[2]["status"] == "accepted"
    assert keep["survivor_id"] is None and keep["cluster_id"].startswith("minhash:")
    for r in dropped:
        assert r["status"] == "rejected" and r["reject_stage"] == "minhash"
        assert r["survivor_id"] == keep["id"] and r["cluster_id"] == keep["cluster_id"]
        assert r["reject_reason"].startswith(f"near-duplicate of {keep['id']} (minhash jaccard=0.")
    assert rows[2]["cluster_id"] is None and rows[2]["survivor_id"] is None


def test_survivor_is_highest_score_then_shortest():
    base = doc()
    rows = [row("a", base, score=0.2), row("b", edit(base, 1) + " extra words", score=0.9)]
    MinHashDedup(MinHashConfig(on="completion"))(rows)
    assert [r["status"] for r in rows] == ["rejected", "accepted"]
    rows = [row("a", base + " tail end"), row("b", base)]
    MinHashDedup(MinHashConfig(on="completion"))(rows)
    assert [r["status"] for r in rows] == ["rejected", "accepted"]


def test_prompt_vs_completion_level():
    prompt = doc(60)
    mk = lambda: [row("a", doc(), prompt=prompt), row("b", doc(), prompt=prompt)]  # noqa: E731
    by_prompt, by_completion = mk(), mk()
    MinHashDedup(MinHashConfig(on="prompt"))(by_prompt)
    MinHashDedup(MinHashConfig(on="completion"))(by_completion)
    assert sorted(r["status"] for r in by_prompt) == ["accepted", "rejected"]
    assert [r["status"] for r in by_completion] == ["accepted", "accepted"]


def test_rejected_and_empty_rows_are_left_alone():
    base = doc()
    rows = [reject(row("a", base), "verify", "wrong"), row("b", base), row("c", ""), row("d", "")]
    MinHashDedup(MinHashConfig(on="completion"))(rows)
    assert rows[0]["reject_stage"] == "verify" and rows[0]["reject_reason"] == "wrong"
    assert [r["status"] for r in rows[1:]] == ["accepted"] * 3


def test_char_shingles():
    base = "the cat sat on the mat and looked at the dog for a long while " * 3
    rows = [row("a", base), row("b", base.replace("cat", "cats", 1)), row("c", "completely different words here")]
    MinHashDedup(MinHashConfig(on="completion", shingle="char", ngram=5, threshold=0.7))(rows)
    assert [r["status"] for r in rows] == ["accepted", "rejected", "accepted"]


def test_verification_removes_band_collisions():
    base = doc(200)
    far = edit(base, 20)  # true 5-gram Jaccard ~0.3, far below 0.8
    loose = dict(on="completion", bands=64, rows=1, threshold=0.8)  # any single equal value -> candidate
    unverified = [row("a", base), row("b", far)]
    MinHashDedup(MinHashConfig(verify="none", **loose))(unverified)
    verified = [row("a", base), row("b", far)]
    MinHashDedup(MinHashConfig(verify="exact", **loose))(verified)
    estimated = [row("a", base), row("b", far)]
    MinHashDedup(MinHashConfig(verify="estimate", **loose))(estimated)
    assert sorted(r["status"] for r in unverified) == ["accepted", "rejected"]
    assert [r["status"] for r in verified] == ["accepted", "accepted"]
    assert [r["status"] for r in estimated] == ["accepted", "accepted"]


def test_config_validation_and_unknown_keys():
    with pytest.raises(ValueError, match="treshold\n  Extra inputs are not permitted"):
        MinHashConfig.model_validate({"treshold": 0.8})
    with pytest.raises(ValueError, match="threshold"):
        MinHashConfig(threshold=1.5)
    with pytest.raises(ValueError, match="both bands and rows"):
        MinHashConfig(bands=4)
    with pytest.raises(ValueError, match="on\n  Input should be 'prompt', 'completion' or 'both'"):
        MinHashConfig(on="answer")
    assert MinHashConfig.model_validate({"threshold": 0.7}).bands_rows() == optimal_bands(0.7, 128)
    assert MinHashConfig.model_validate({"compare": "prompt"}).on == "prompt"  # the recipe's name for ``on``


def test_step_pickles_and_rejects_missing_column():
    from ground.step import StepError

    step = pickle.loads(pickle.dumps(MinHashDedup(MinHashConfig(on="completion", threshold=0.6))))
    assert step.config.threshold == 0.6
    with pytest.raises(StepError, match="completion"):
        step([{"id": "x", "status": "accepted"}])


@pytest.mark.integration
def test_ray_path_matches_in_process(ray_local):
    import ray.data

    from ground.record import to_table

    bases = [doc() for _ in range(6)]
    make = lambda: [row(f"p{i}", edit(b, i % 3 + 1) if i >= 6 else b, score=float(i % 2))  # noqa: E731
                    for i, b in enumerate(bases + bases[:4])] + [reject(row("x", bases[0]), "verify", "bad")]
    cfg = MinHashConfig(on="completion", verify="estimate")  # the Ray path verifies by signature estimate
    local = MinHashDedup(cfg)(make())
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ds = ray.data.from_arrow(to_table(make())).repartition(3)
    out = {r["id"]: r for r in minhash_dedup_ray(ds, cfg, num_partitions=4).take_all()}
    assert len(out) == len(local) and sum(r["status"] == "rejected" for r in local) == 5
    for r in local:
        o = out[r["id"]]
        assert (o["status"], o["reject_stage"], o["reject_reason"], o["cluster_id"], o["survivor_id"]) == (
            r["status"], r["reject_stage"], r["reject_reason"], r["cluster_id"], r["survivor_id"])


@pytest.mark.integration
def test_step_on_ray_engine_matches_local_engine(ray_local):
    import ray.data

    ray.data.DataContext.get_current().enable_progress_bars = False
    bases = [doc() for _ in range(8)]
    make = lambda: [row(f"p{i}", edit(b, i % 3 + 1) if i >= 8 else b, score=float(i % 2))  # noqa: E731
                    for i, b in enumerate(bases + bases[:5])] + [reject(row("x", bases[0]), "verify", "bad")]
    local = MinHashDedup(MinHashConfig(on="completion", verify="estimate", engine="local"))(make())
    auto = MinHashDedup(MinHashConfig(on="completion", engine="auto", ray_min_rows=14))
    assert not auto.use_ray(13) and auto.use_ray(14)
    step = MinHashDedup(MinHashConfig(on="completion", verify="estimate", engine="ray", num_partitions=3))
    assert step.use_ray(13)
    on_ray = step(make())
    assert sum(r["status"] == "rejected" for r in on_ray) == 6  # 5 near-duplicates + the verify reject
    assert [(r["id"], r["status"], r["reject_stage"], r["reject_reason"], r["cluster_id"], r["survivor_id"]) for r in on_ray] == \
        [(r["id"], r["status"], r["reject_stage"], r["reject_reason"], r["cluster_id"], r["survivor_id"]) for r in local]


def test_auto_engine_never_starts_ray(no_inprocess_ray):
    import ray

    step = MinHashDedup(MinHashConfig(on="completion", engine="auto", ray_min_rows=1))
    assert not step.use_ray(10**6)
    rows = step([row("a", doc()), row("b", doc())])
    assert [r["status"] for r in rows] == ["accepted", "accepted"] and not ray.is_initialized()
    with pytest.raises(ValueError, match="engine"):
        MinHashConfig(engine="spark")


def test_bucket_shuffle_through_files_finds_the_same_clusters(ray_local, tmp_path):
    """minhash_decisions_ray with a scratch folder (ground.fileshuffle) decides exactly as with Ray Data's groupby."""
    import ray.data

    from curation.dedup.minhash_ray import minhash_decisions_ray, signature_dataset
    from ground.record import to_table

    bases = [doc() for _ in range(6)]
    rows = [row(f"p{i}", edit(b, i % 3 + 1) if i >= 6 else b, score=float(i % 2)) for i, b in enumerate(bases + bases[:4])]
    cfg = MinHashConfig(on="completion", verify="estimate")
    ray.data.DataContext.get_current().enable_progress_bars = False
    sigs = signature_dataset(ray.data.from_arrow(to_table(rows)).repartition(3), cfg).materialize()
    by_groupby = minhash_decisions_ray(sigs, cfg, "minhash", 4)
    via_files = minhash_decisions_ray(sigs, cfg, "minhash", 4, tmp_uri=str(tmp_path / "shuffle"))
    assert via_files == by_groupby
    assert sum(1 for _, s, _ in via_files.values() if s) == 4  # the 4 edited copies; their bases survive
    assert len(list((tmp_path / "shuffle").glob("part-*/*.parquet"))) > 0
