"""Exact dedup on edge texts a user's data holds: empty completions, Unicode variants of one text."""

from __future__ import annotations

import json

import pyarrow as pa

from curation.dedup import text_of
from curation.dedup.exact import ExactDedup, ExactDedupConfig, _partition_decisions, dedup_key
from ground.record import new_sample


def rows_of(completions: list) -> list[dict]:
    return [new_sample(stage="g", prompt_id=f"p{i}", sample_index=0, completion=c,
                       messages=[{"role": "user", "content": f"question {i}"}]) for i, c in enumerate(completions)]


def test_empty_completions_of_different_prompts_are_not_duplicates_of_each_other():
    """Was: "", None and whitespace-only completions all hashed to one key, so every such row but one was rejected
    as an 'exact duplicate' of an unrelated row (MinHash and embedding dedup leave empty texts alone)."""
    out = ExactDedup(ExactDedupConfig(on="completion"))(rows_of(["", None, "   ", "\n\t", "4", "4"]))
    assert [r["status"] for r in out] == ["accepted"] * 5 + ["rejected"]


def test_the_key_file_path_leaves_empty_texts_alone_too():
    """The streaming plane's partition step (key rows from key files) follows the same rule."""
    keys = [dedup_key(t) for t in ("", " ", "", "x", "x")]
    part = pa.table({"id": [f"r{i}" for i in range(5)], "chunk": pa.array([0] * 5, pa.int32()),
                     "score": pa.array([None] * 5, pa.float64()), "tlen": pa.array([0, 1, 0, 1, 1], pa.int64()),
                     "dedup_key": keys})
    dec = _partition_decisions(part, "dedup_exact").to_pylist()
    assert sorted(d["id"] for d in dec) == ["r3", "r4"]
    assert [d["id"] for d in dec if d["reason"]] == ["r4"]


def test_unicode_variants_of_one_text_are_one_key():
    """NFC vs NFD, full-width digits, soft hyphen, zero-width joiner and a right-to-left mark: one text (documented:
    NFKC + invisible characters dropped)."""
    variants = ["caf\u00e9 42", "cafe\u0301 42", "caf\u00e9 \uff14\uff12", "ca\u00adf\u00e9 42", "caf\u200d\u00e9 42",
                "\u200fcaf\u00e9 42"]
    assert len({dedup_key(v) for v in variants}) == 1
    out = ExactDedup(ExactDedupConfig(on="completion"))(rows_of(variants))
    assert [r["status"] for r in out].count("accepted") == 1


SYSTEM = {"role": "system", "content": "Use the tools.", "tools": [{"type": "function", "function": {"name": "calculator"}}]}


def trace(call_id: str, args: str, result: str, answer: str) -> str:
    return json.dumps([{"role": "assistant", "content": None, "tool_calls": [
                           {"id": call_id, "type": "function", "function": {"name": "calculator", "arguments": args}}]},
                       {"role": "tool", "tool_call_id": call_id, "content": result},
                       {"role": "assistant", "content": answer}])


def test_tool_traces_are_compared_by_their_calls_and_answers_not_their_call_ids():
    """Was: the compared text of a trace was its raw JSON, so two samples making the same call with the same
    result and answer were no exact duplicates when the engine gave the calls different ids (OpenAI's
    call_8f3a..., one per sample) or spaced the arguments differently."""
    a = trace("call_8f3aQ", '{"expression": "6*7"}', "42", "6*7 = 42.")
    b = trace("call_Zk21x", '{"expression":"6*7"}', "42", "6*7 = 42.")
    c = trace("call_Zk21y", '{"expression": "6*8"}', "48", "6*8 = 48.")
    rows = [new_sample(stage="g", prompt_id="p", sample_index=i, completion=t,
                       messages=[SYSTEM, {"role": "user", "content": "6*7?"}]) for i, t in enumerate([a, b, c])]
    assert text_of(rows[0], "completion") == text_of(rows[1], "completion")
    assert "call_" not in text_of(rows[0], "completion") and "6*7 = 42." in text_of(rows[0], "completion")
    out = ExactDedup(ExactDedupConfig(on="both"))(rows)
    assert sorted(r["status"] for r in out[:2]) == ["accepted", "rejected"] and out[2]["status"] == "accepted"


def test_a_prompt_in_content_parts_is_the_same_text_as_a_plain_one():
    """Was: a user turn given as content parts ([{"type": "text", "text": ...}]) was compared as its Python repr."""
    plain = new_sample(stage="g", prompt_id="a", sample_index=0, messages=[{"role": "user", "content": "What is 6*7?"}])
    parts = new_sample(stage="g", prompt_id="b", sample_index=0,
                       messages=[{"role": "user", "content": [{"type": "text", "text": "What is 6*7?"}]}])
    assert text_of(parts, "prompt") == "What is 6*7?" == text_of(plain, "prompt")


def test_identical_embeddings_meet_a_threshold_of_one():
    """Was: float32 rounding put the cosine of a unit vector with itself at 0.99999994, so at threshold 1.0 (the
    documented upper bound: 'identical only') 79 of 200 identical pairs were not found."""
    import numpy as np

    from curation.dedup.embedding import cross_pairs, similar_pairs

    rng = np.random.default_rng(0)
    v = rng.normal(size=(200, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    found = sum(len(similar_pairs(np.vstack([x, x]), 1.0, 64)[0]) for x in v[:, None, :])
    assert found == 200
    assert len(cross_pairs(v, v.copy(), 1.0, 64)) == 200  # each row with its own copy, nothing else
