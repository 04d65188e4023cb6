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
    assert MinHashConfig.model_validate({"threshold": 0.7, "compare": "prompt"}).bands_rows() == optimal_bands(0.7, 128)
    # on: both (the default): a band row agrees in both parts with probability s_prompt * s_completion
    assert MinHashConfig.model_validate({"threshold": 0.7}).bands_rows() == optimal_bands(0.49, 128)
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


@pytest.mark.slow  # the step on Ray (~15 s); MinHash on Ray: test_ray_path_matches_in_process, test_bucket_shuffle_through_files_finds_the_same_clusters
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


# ----------------------------------------------------------------------------- on: both (prompt and completion apart)
DOC = """The lighthouse on Gannet Point was built in 1871 by the harbour board of Port Ellis after two winters in which
eleven ships were lost on the reef that runs north from the headland. The tower is forty-two metres tall and stands on
a granite base that was quarried on the island itself, because the board could not afford to bring stone from the
mainland. Its first keeper, Margaret Hale, took the post after her husband drowned while rowing supplies across the
sound, and she kept the light burning for thirty-one years without missing a single night. The original lamp burned
whale oil and was turned by a clockwork mechanism that had to be wound every four hours; in 1904 it was replaced by a
paraffin vapour burner that gave a light visible for twenty-six nautical miles in clear weather. The keepers lived in
two stone cottages at the foot of the tower, with a walled garden where they grew potatoes, cabbages and onions, and a
small shed for the goats that supplied their milk. A supply boat came from Port Ellis once a fortnight in summer and
once a month in winter, when storms often kept it in harbour for weeks at a time. During the great storm of February
1899 the sea broke over the gallery, smashed two panes of the lantern and flooded the lower rooms, but the keeper and
his assistant kept the lamp lit by shielding it with a sheet of tin until the glass could be replaced. The light was
electrified in 1958, when a cable was laid across the sound, and the last resident keepers left in 1986, after which
the station was run automatically and checked by a technician twice a year. Today the cottages house a small museum
that displays the logbooks, the clockwork mechanism and a model of the paraffin burner, and volunteers from the
village guide visitors up the one hundred and ninety steps of the spiral staircase to the gallery. From the top, on a
clear day, visitors can see the mainland hills, the wrecks of two steamers on the reef at low tide, and the colonies
of gannets and puffins that gave the point its name. The harbour board still owns the tower, and a trust formed by
the villagers pays for its upkeep with the entrance fees, a summer fair and an annual swim across the sound."""  # 401 words

ANSWER0 = ("It was built in 1871 by the harbour board of Port Ellis, after eleven ships had been lost on the reef north "
           "of the headland in two winters; the board quarried the granite for its base on the island itself because "
           "stone from the mainland cost too much.")


def shared_document_rows() -> list[dict]:
    """SQuAD/RAG-style rows: three different questions and answers after one ~400-word document, and a true
    near-duplicate of the first (its prompt says 'Q:' for 'Question:', its answer has one word changed)."""
    qa = [(f"{DOC}\n\nQuestion: When was the lighthouse on Gannet Point built?", ANSWER0),
          (f"{DOC}\n\nQuestion: Who was the first keeper and how long did she keep the light?",
           "Margaret Hale was the first keeper; she kept the light burning for thirty-one years without missing a night."),
          (f"{DOC}\n\nQuestion: What happened to the lighthouse during the storm of February 1899?",
           "The sea broke over the gallery, smashed two lantern panes and flooded the lower rooms, but the keepers kept "
           "the lamp lit behind a sheet of tin."),
          (f"{DOC}\n\nQ: When was the lighthouse on Gannet Point built?", ANSWER0.replace("cost too much", "cost too dear"))]
    return [row(f"d{i}", a, prompt=q) for i, (q, a) in enumerate(qa)]


def test_on_both_a_long_shared_context_does_not_make_different_questions_duplicates():
    """Joined into one text, the shared document made the three different question/answer pairs near-duplicates
    (5-gram jaccard 0.85-0.89 >= 0.8: two of three dropped; prompts 0.94-0.96 apart, answers 0.0). Prompt and
    completion are now signed apart and a pair is a near-duplicate only when both parts reach the threshold; the
    true near-copy is still dropped."""
    for verify, op in (("exact", "="), ("estimate", "~")):
        rows = MinHashDedup(MinHashConfig(on="both", verify=verify))(shared_document_rows())
        # the near-copy's prompt ('Q:') is the shorter text: it survives
        assert [r["status"] for r in rows] == ["rejected", "accepted", "accepted", "accepted"], verify
        assert rows[0]["survivor_id"] == rows[3]["id"] and rows[0]["cluster_id"] == rows[3]["cluster_id"]
        reason = rows[0]["reject_reason"]
        assert reason.startswith(f"near-duplicate of {rows[3]['id']} (minhash jaccard{op}0.") and ", completion 0." in reason
        assert rows[1]["cluster_id"] is None and rows[2]["cluster_id"] is None
    # the smallest part decides, and is named
    exact = MinHashDedup(MinHashConfig(on="both"))(shared_document_rows())[0]["reject_reason"]
    assert exact.endswith("(minhash jaccard=0.96 (prompt 0.98, completion 0.96))"), exact  # 5-gram sets: 403/413, 43/45


def test_on_both_still_removes_true_near_duplicates():
    """Same question and (almost) the same answer: short prompts (one whole-prompt shingle), edited long answers,
    rows without a prompt. One long answer under two different short questions is not a duplicate (on main the
    joined texts were, at jaccard ~0.98: the answer decided)."""
    base = doc()
    rows = [row("a", base, prompt="What is 2+2?"), row("b", edit(base, 2), prompt="what is 2+2 "),
            row("c", base, prompt="What is 3+3?"),                        # another question: kept
            row("d", base, prompt=""), row("e", edit(base, 1), prompt="")]  # no prompt text: the completion decides
    MinHashDedup(MinHashConfig(on="both"))(rows)
    a, b, c, d, e = rows
    assert c["status"] == "accepted" and c["cluster_id"] is None
    for x, y in ((a, b), (d, e)):  # one cluster each; equal lengths and scores: the smaller id survives
        keep, drop = sorted((x, y), key=lambda r: r["id"])
        assert (keep["status"], drop["status"], drop["survivor_id"]) == ("accepted", "rejected", keep["id"])
        assert "(prompt 1.00, completion 0.9" in drop["reject_reason"], drop["reject_reason"]
    assert a["cluster_id"] != d["cluster_id"]


def test_on_both_signatures_are_alike_from_rows_the_compact_table_and_the_key_files():
    """The Ray path's signature UDF reads Sample rows (the streaming plane's live rows) or the compact table the
    step sends (part0/part1 columns with on: both); the chunk writer's key files (spec v3) carry the prompt's and the
    completion's signatures side by side. All three give the same signatures, band keys and survivor fields."""
    import json

    import pyarrow as pa

    from curation.dedup import text_of
    from curation.dedup.keys import KeySpec, key_table
    from curation.dedup.minhash import signatures
    from curation.dedup.minhash_ray import _SignatureUDF
    from factory.curate_keys import sig_rows
    from ground.record import to_table

    rows = shared_document_rows()
    for i, r in enumerate(rows):
        r["chunk"], r["score"] = 0, float(i % 2)
    cfg = MinHashConfig(on="both", engine="ray")
    spec = KeySpec(exact_on=None, minhash=cfg)
    keys = key_table(rows, spec)
    assert json.loads(spec.to_json())["v"] == 3 and keys.schema.field("sig").type == pa.list_(pa.uint32(), 256)
    assert keys.column("mh_tlen").to_pylist() == [len(text_of(r, "both")) for r in rows]
    b, r = cfg.bands_rows()
    udf = _SignatureUDF(cfg)
    from_rows = udf(to_table(rows))
    compact = MinHashDedup(cfg).compact_table(rows)
    assert compact.column_names == ["id", "rank", "tlen", "text", "part0", "part1"]
    for other in (sig_rows(keys, cfg.num_perm, b, r, cfg.n_parts()), udf(compact)):
        for col in ("id", "rank", "tlen", "sig", "keys"):
            assert np.array_equal(np.asarray(other[col]), np.asarray(from_rows[col])), col
    assert from_rows["sig"].shape == (4, 256) and b * r <= 128
    # the halves are the prompt's and the completion's own signatures (seeds 1 and 2: independent hash families)
    assert np.array_equal(from_rows["sig"][:, 128:], signatures([r["completion"] for r in rows], cfg, seed=2)[0])
    with pytest.raises(ValueError, match="on: both compares 2 parts a row; a compact table needs its part0..part1 columns"):
        udf(compact.drop_columns(["part0", "part1"]))


@pytest.mark.integration
def test_on_both_the_ray_path_compares_prompt_and_completion_apart_as_in_process(ray_local):
    """The step on its Ray engine (signatures on actors, band buckets by Ray Data's shuffle) decides exactly as in
    process (verify by estimate, as the Ray path does); the signature rows it starts from are the same from Sample
    rows and key files (test above), so the streaming plane decides alike."""
    import ray.data

    ray.data.DataContext.get_current().enable_progress_bars = False
    cfg = MinHashConfig(on="both", verify="estimate")
    local = MinHashDedup(cfg.model_copy(update={"engine": "local"}))(shared_document_rows())
    assert [r["status"] for r in local] == ["rejected", "accepted", "accepted", "accepted"]
    on_ray = MinHashDedup(cfg.model_copy(update={"engine": "ray", "num_partitions": 2}))(shared_document_rows())
    marks = lambda rs: [(r["id"], r["status"], r["reject_reason"], r["cluster_id"], r["survivor_id"]) for r in rs]  # noqa: E731
    assert marks(on_ray) == marks(local)


def test_on_both_refuses_single_text_signatures():
    from curation.dedup.minhash import near_duplicate_pairs, signatures

    sig, ok = signatures([doc(), doc()], MinHashConfig())
    with pytest.raises(ValueError, match=r"minhash on: both compares 2 signature\(s\) of 128 a row, got 128 values"):
        near_duplicate_pairs(sig, ok, MinHashConfig(on="both"))
    assert near_duplicate_pairs(sig, ok, MinHashConfig(on="prompt")).shape == (0, 2)


def test_a_run_resumed_across_the_change_does_not_reuse_joined_text_key_files(tmp_path):
    """Key files written before on: both signed the parts apart (spec v2: one 128-value signature of the joined text)
    are not read: curation takes the shards, never a mix of both kinds of signatures."""
    import json

    import pyarrow as pa

    from curation.dedup.keys import SPEC_META, KeySpec, key_table
    from factory.curate_keys import key_files
    from factory.store import RunStore
    from ground import fsutil
    from ground.record import to_table

    store = RunStore(str(tmp_path), "recipe", "run")
    rows = shared_document_rows()
    for r in rows:
        r["chunk"] = 0
    spec = KeySpec(exact_on="completion", minhash=MinHashConfig(on="both", engine="ray"))
    fsutil.write_parquet_atomic(store.fs, store.p("chunks", "chunk-000000.parquet"), to_table(rows))
    keys = key_table(rows, spec)
    old_spec = json.dumps({**json.loads(spec.to_json()), "v": 2}, sort_keys=True)
    old = keys.drop_columns(["sig"]).append_column("sig", pa.array([[0] * 128] * len(rows), pa.list_(pa.uint32(), 128)))
    fsutil.write_parquet_atomic(store.fs, store.p("keys", "chunk-000000.parquet"), old.replace_schema_metadata({SPEC_META: old_spec.encode()}))
    assert key_files(store, spec) is None
    fsutil.write_parquet_atomic(store.fs, store.p("keys", "chunk-000000.parquet"), keys)
    assert key_files(store, spec) == [store.p("keys", "chunk-000000.parquet")]
