"""Exact dedup on edge texts a user's data holds: empty completions, Unicode variants of one text."""

from __future__ import annotations

import pyarrow as pa

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
