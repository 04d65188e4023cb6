"""`factory decontam` and custom benchmarks on inputs a user brings: nested Parquet fields, big files read lazily."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup.benchmarks import BenchmarkSpec, load_benchmark
from curation.dedup.decontam_cli import corpus_rows
from ground.errors import FactoryError

Q = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
     "How many clips did Natalia sell altogether in April and May?")


def test_nested_fields_are_named_with_dots_in_benchmarks_and_corpora(tmp_path):
    """Was: a struct column's field ('item.problem') was 'no field' in both, though Hub Parquet nests them."""
    pq.write_table(pa.table({"item": [{"problem": Q, "meta": {"id": "n-1"}}], "answers": [["72", "seventy-two"]]}),
                   tmp_path / "bench.parquet")
    b = load_benchmark(BenchmarkSpec(name="mine", path=str(tmp_path / "bench.parquet"), field=["item.problem", "answers"],
                                     id_field="item.meta.id"))
    assert [(it.item_id, it.text) for it in b.items] == [("n-1", Q + "\n72\nseventy-two")]
    pq.write_table(pa.table({"rec": [{"question": Q}, {"question": "unrelated"}]}), tmp_path / "corpus.parquet")
    rows = [r for _, _, r in corpus_rows([tmp_path / "corpus.parquet"], ["rec.question"])]
    assert [json.loads(r["messages"])[0]["content"] for r in rows] == [Q, "unrelated"]
    with pytest.raises(FactoryError, match=r"row 1: no field 'rec.answer'"):
        list(corpus_rows([tmp_path / "corpus.parquet"], ["rec.answer"]))


def test_a_corpus_is_read_lazily_not_whole(tmp_path):
    """Was: every corpus file was read into a list of dicts before the first row was checked (a multi-GB Parquet or
    jsonl did not fit in memory). Now rows come a batch at a time: the rows before a broken line are yielded first."""
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"q": "a"}) + "\n" + json.dumps({"q": "b"}) + "\n{broken\n", encoding="utf-8")
    it = corpus_rows([p], ["q"])
    assert [json.loads(next(it)[2]["messages"])[0]["content"] for _ in range(2)] == ["a", "b"]
    with pytest.raises(FactoryError, match=r"c.jsonl:3: not valid JSON"):
        next(it)
