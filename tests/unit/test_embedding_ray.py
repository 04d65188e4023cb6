"""Embedding dedup's Ray path (curation.dedup.embedding_ray): same decisions as in process, edges only to the driver.

Real local Ray, the real bundled MiniLM, live rows read from real Parquet shards (as factory/curate_pass.py reads them).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup import prompt_text
from curation.dedup.embedding import EmbeddingDedup, EmbeddingDedupConfig
from ground.record import new_sample, to_table

pytestmark = pytest.mark.integration

# (original, planted paraphrase): each pair must end in one cluster
PLANTED = [
    ("How many apples does Tom have left after giving away three?", "After giving away three apples, how many does Tom have left?"),
    ("What is the capital city of France?", "Which city is the capital of France?"),
    ("The train leaves at noon and arrives at six.", "The train departs at noon and gets in at six."),
    ("Bake the cake for forty minutes.", "Bake the cake for 40 minutes."),
    ("Write a Python function that reverses a linked list.", "Write a Python function to reverse a linked list."),
    ("A rectangle is 4 meters long and 3 meters wide. What is its area?", "What is the area of a rectangle 4 meters long and 3 meters wide?"),
]
DISTINCT = ["Explain photosynthesis to a child.", "Prime numbers have exactly two divisors.", "Sort the list in descending order.",
            "Translate 'good morning' into Spanish.", "Name three mammals that live in the ocean.", "Why is the sky blue during the day?",
            "Convert 100 degrees Fahrenheit to Celsius.", "List the planets of the solar system in order.",
            "What year did the Berlin Wall fall?", "Describe how a bicycle gear works.", "Compose a haiku about autumn leaves.",
            "How do vaccines train the immune system?", "Compute the derivative of x squared.", "Summarise the plot of Hamlet in two lines.",
            "What is the boiling point of water at sea level?", "Give an example of a SQL join query.", "How many legs does a spider have?",
            "Recommend a good stretching routine for runners.", "What does the CPU cache do?", "Define the word 'ephemeral'."]


def _rows() -> list[dict]:
    texts = [t for p in PLANTED for t in p] + DISTINCT + ["", "   "]
    rows = [new_sample(stage="gen", prompt_id=f"p{i:02d}", sample_index=0, messages=[{"role": "user", "content": t}],
                       score=[None, 0.5, 1.0][i % 3]) for i, t in enumerate(texts)]
    for i, r in enumerate(rows):
        r["chunk"] = i % 4
    return rows


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    d = tmp_path_factory.mktemp("shards")
    rows = _rows()
    for c in range(4):
        pq.write_table(to_table([r for r in rows if r["chunk"] == c]), d / f"chunk-{c:06d}.parquet")
    return d, rows


def _live(ray_local, shards):
    ray_local.data.DataContext.get_current().enable_progress_bars = False
    return ray_local.data.read_parquet(str(shards[0]), override_num_blocks=4)


def _decisions(step, live, n) -> list[dict]:
    return sorted(step.decide(live, {"live_rows": n}).to_pylist(), key=lambda d: d["id"])


def _cfg(**kw) -> EmbeddingDedupConfig:
    return EmbeddingDedupConfig(on="prompt", threshold=0.85, block_size=8, **kw)


def test_ray_path_decides_exactly_as_in_process(ray_local, shards):
    live, rows = _live(ray_local, shards), shards[1]
    local = _decisions(EmbeddingDedup(_cfg(engine="auto", ray_min_rows=10**6)), live, len(rows))  # auto, below: in process
    on_ray = _decisions(EmbeddingDedup(_cfg(engine="auto", ray_min_rows=0)), live, len(rows))
    assert on_ray == local
    by_text = {prompt_text(r): r["id"] for r in rows}
    dropped = {d["id"]: d for d in on_ray if d["survivor_id"]}
    for a, b in PLANTED:  # one of each planted pair is dropped for the other, with the in-process reason text
        ia, ib = by_text[a], by_text[b]
        d = dropped.get(ia) or dropped[ib]
        assert {d["id"], d["survivor_id"]} == {ia, ib}
        assert d["reason"].startswith(f"near-duplicate of {d['survivor_id']} (embedding cos=0.") and d["reason"].endswith(")")
    assert len(dropped) == len(PLANTED)
    chunk_of = {r["id"]: r["chunk"] for r in rows}
    assert all(d["chunk"] == chunk_of[d["id"]] for d in on_ray)  # each decision goes to its row's chunk


def test_kmeans_path_finds_planted_pairs(ray_local, shards):
    live, rows = _live(ray_local, shards), shards[1]
    dec = _decisions(EmbeddingDedup(_cfg(engine="ray", kmeans_clusters=3, kmeans_iters=10)), live, len(rows))
    by_text = {prompt_text(r): r["id"] for r in rows}
    cid = {d["id"]: d["cluster_id"] for d in dec}
    for a, b in PLANTED:
        assert by_text[a] in cid and cid[by_text[a]] == cid[by_text[b]], (a, b)
    assert sum(1 for d in dec if d["survivor_id"]) == len(PLANTED)


@pytest.mark.slow  # k-means over several block cuts (~45 s); the k-means path: test_kmeans_path_finds_planted_pairs
def test_kmeans_path_decides_as_in_process_whatever_the_blocks(ray_local, shards):
    """k-means starts from the rows with the smallest keyed id hash: the same centroids in process and on Ray,
    for any cut of the rows into blocks (a random start row per block position made CI miss a planted pair)."""
    rows = shards[1]
    cfg = _cfg(kmeans_clusters=4, kmeans_iters=10, kmeans_probe=2)
    local = _decisions(EmbeddingDedup(cfg.model_copy(update={"engine": "local"})), _live(ray_local, shards), len(rows))
    for blocks in (1, 7):
        live = ray_local.data.read_parquet(str(shards[0]), override_num_blocks=blocks).random_shuffle(seed=blocks)
        assert _decisions(EmbeddingDedup(cfg.model_copy(update={"engine": "ray"})), live, len(rows)) == local, blocks
    assert sum(1 for d in local if d["survivor_id"]) == len(PLANTED)


def _spy_ray_get(monkeypatch, ray):
    """Records the rows of every embedding-bearing object ray.get hands this process."""
    seen: list[int] = []
    real = ray.get

    def walk(v):
        if isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, pa.Table) and "emb" in v.column_names:
            seen.append(v.num_rows)
        elif isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == 384:
            seen.append(v.shape[0])

    def get(*a, **kw):
        out = real(*a, **kw)
        walk(out)
        return out

    monkeypatch.setattr(ray, "get", get)
    return seen


def test_driver_receives_edges_not_embeddings(ray_local, shards, monkeypatch):
    from curation.dedup.embedding_ray import EDGES, all_pairs_edges, block_refs, embedding_dataset, kmeans_edges, slices

    live, n = _live(ray_local, shards), len(DISTINCT) + 2 * len(PLANTED)
    cfg = _cfg()
    emb_ds = embedding_dataset(live, cfg)
    seen = _spy_ray_get(monkeypatch, ray_local)
    blocks = block_refs(emb_ds)
    assert sum(c for _, c in blocks) == n and len(slices(blocks, 8)) == 4  # empty texts skipped; 4 slices, 10 pair tasks...
    edges = all_pairs_edges(blocks, cfg)
    assert edges.schema == EDGES and edges.num_rows == len(PLANTED)  # ...and only the pairs >= threshold came back
    assert all(c >= 0.85 for c in edges.column("cos").to_pylist())
    km = kmeans_edges(emb_ds, blocks, n, cfg.model_copy(update={"kmeans_clusters": 3, "kmeans_iters": 5}))
    assert km.schema == EDGES and km.num_rows <= edges.num_rows
    assert seen and max(seen) <= 3  # k x d centroids (and the k rows picked to start them), never the n x d embeddings
    seen.clear()
    ray_local.get(emb_ds.to_arrow_refs())  # the spy sees a gather when there is one
    assert sum(seen) == n


def test_reason_cosine_to_a_survivor_reached_through_a_chain(ray_local):
    """a~b and b~c are edges, a~c is not: a's reason gives its cosine to c itself, as in process."""
    from curation.dedup.embedding_ray import decisions_from_edges, search_edges, block_refs, to_column

    t = np.radians([0.0, 25.0, 50.0])  # unit vectors 25 degrees apart: cos 0.906 (neighbours), 0.643 (a to c)
    emb = np.zeros((3, 384), np.float32)
    emb[:, 0], emb[:, 1] = np.cos(t), np.sin(t)
    table = pa.table({"id": ["a", "b", "c"], "chunk": pa.array([0, 1, 2], pa.int32()), "rank": [0.0, 0.0, -1.0],
                      "tlen": pa.array([5, 5, 5], pa.int64()), "emb": to_column(emb)})
    emb_ds = ray_local.data.from_arrow(table).repartition(3).materialize()
    cfg = EmbeddingDedupConfig(threshold=0.85, block_size=1)
    edges = search_edges(emb_ds, block_refs(emb_ds), cfg)
    assert sorted(zip(edges.column("a").to_pylist(), edges.column("b").to_pylist())) == [("a", "b"), ("b", "c")]
    dec = {d["id"]: d for d in decisions_from_edges(emb_ds, edges, "embed_dedup").to_pylist()}
    assert dec["c"]["survivor_id"] is None and dec["a"]["survivor_id"] == dec["b"]["survivor_id"] == "c"
    assert dec["a"]["reason"] == "near-duplicate of c (embedding cos=0.643)"
    assert dec["b"]["reason"] == "near-duplicate of c (embedding cos=0.906)"
    assert dec["a"]["cluster_id"] == dec["c"]["cluster_id"] and [dec[x]["chunk"] for x in "abc"] == [0, 1, 2]


@pytest.mark.slow  # embeds a corpus twice on Ray (~1 min); on: both in process: tests/unit/test_embedding_dedup.py, the Ray path: test_ray_path_decides_exactly_as_in_process
def test_on_both_the_ray_path_embeds_prompt_and_completion_apart_as_in_process(ray_local, tmp_path):
    from tests.unit.test_embedding_dedup import shared_document_rows

    rows = shared_document_rows()
    for r in rows:
        r["chunk"] = 0
    pq.write_table(to_table(rows), tmp_path / "chunk-000000.parquet")
    live = _live(ray_local, (tmp_path, rows))
    cfg = dict(on="both", threshold=0.95, block_size=2)
    local = _decisions(EmbeddingDedup(EmbeddingDedupConfig(engine="auto", ray_min_rows=10**6, **cfg)), live, len(rows))
    on_ray = _decisions(EmbeddingDedup(EmbeddingDedupConfig(engine="ray", **cfg)), live, len(rows))
    assert on_ray == local
    assert [(d["id"], d["survivor_id"]) for d in on_ray if d["survivor_id"]] == [(rows[3]["id"], rows[0]["id"])]
    # the list-of-rows Ray path (process_ray) decides alike
    assert [r["status"] for r in EmbeddingDedup(EmbeddingDedupConfig(engine="ray", **cfg)).process_ray(shared_document_rows())] == \
        ["accepted", "accepted", "accepted", "rejected"]
