"""Decontamination that says what it covers: declared sizes and hashes, partial copies, custom and
entry-point benchmarks, rewritten copies (masked n-grams, embedding + confirm), and `factory decontam`."""

from __future__ import annotations

import json
import pickle
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup.benchmarks import BenchmarkSpec, load_benchmark, shared_data_file
from curation.dedup.decontam import DecontamConfig, Decontaminate, benchmark_coverage, contamination_report
from curation.dedup.judge_confirm import parse_verdict
from ground.errors import FactoryError
from ground.record import new_sample
from tests.conftest import run_cli
from tests.faults.fault_server import FaultInjectingServer

LINES = shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
GSM = [json.loads(x) for x in LINES]


def row(pid: str, prompt: str) -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, messages=[{"role": "user", "content": prompt}])


@pytest.fixture
def first300(tmp_path):
    p = tmp_path / "test_first300.jsonl"
    p.write_text("".join(LINES[:300]), encoding="utf-8")
    return str(p)


def test_partial_copy_is_an_error_unless_allowed_and_then_reported(first300, tmp_path):
    spec = {"name": "gsm8k_test", "path": first300}
    with pytest.raises(FactoryError, match=r"gsm8k_test: 300 of 1,319 items \(PARTIAL\).*allow_partial: true"):
        load_benchmark(spec)
    with pytest.raises(FactoryError, match="PARTIAL"):
        Decontaminate(DecontamConfig(benchmarks=[spec]))([row("a", "hi")])
    step = Decontaminate(DecontamConfig(benchmarks=[spec], on="prompt", allow_partial=True))
    rows = step([row("a", GSM[10]["question"]), row("b", GSM[1000]["question"])])
    # item 1000 is outside the 300 the partial copy has: not caught, and the coverage says why
    assert [r["status"] for r in rows] == ["rejected", "accepted"]
    assert step.coverage[0]["line"] == "gsm8k_test: 300 of 1,319 items (PARTIAL)"
    rep = contamination_report(rows, coverage=step.coverage)
    assert rep["partial"] == ["gsm8k_test: 300 of 1,319 items (PARTIAL)"] and rep["benchmarks"][0]["license"] == "MIT"
    # the same number of items with one altered is not the benchmark either
    altered = tmp_path / "altered.jsonl"
    altered.write_text("".join(LINES[:-1]) + json.dumps({"question": "x", "answer": "y"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"1,319 of 1,319 items \(MODIFIED: content hash differs\)"):
        load_benchmark({"name": "gsm8k_test", "path": str(altered)})
    full = benchmark_coverage(DecontamConfig(benchmarks=["gsm8k_test", "humaneval"]))
    assert [c["line"] for c in full] == ["gsm8k_test: 1,319 of 1,319 items (complete)", "humaneval: 164 of 164 items (complete)"]


def test_custom_benchmark_glob_over_jsonl_and_parquet_with_named_fields(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "part1.jsonl").write_text(json.dumps({"problem": GSM[3]["question"], "sol": "42"}) + "\n")
    pq.write_table(pa.table({"problem": [GSM[4]["question"]], "sol": ["7"]}), tmp_path / "b" / "part2.parquet")
    spec = {"name": "mine", "path": str(tmp_path / "b" / "part*"), "field": ["problem", "sol"], "expected_items": 2, "license": "CC-BY-4.0"}
    b = load_benchmark(spec)
    assert [(i.item_id, i.text.endswith(s)) for i, s in zip(b.items, ["42", "7"])] == [("part1.jsonl:0", True), ("part2.parquet:0", True)]
    assert b.coverage["line"] == "mine: 2 of 2 items (complete)" and b.license == "CC-BY-4.0"
    rows = Decontaminate(DecontamConfig(benchmarks=[spec], on="prompt"))([row("a", "Q: " + GSM[4]["question"])])
    assert rows[0]["reject_reason"].startswith("contaminated: mine#part2.parquet:0 13-gram")
    with pytest.raises(FactoryError, match=r"part1.jsonl row 0 \(line 1\) has no field 'answer' \(the row has: problem, sol\)$"):
        load_benchmark({"name": "mine", "path": str(tmp_path / "b" / "*.jsonl"), "field": ["problem", "answer"]})
    with pytest.raises(FactoryError, match="matches no files"):
        load_benchmark({"name": "mine", "path": str(tmp_path / "nope" / "*.parquet"), "field": "q"})
    with pytest.raises(ValueError, match="not registered"):
        BenchmarkSpec(name="mine", path=str(tmp_path))


def test_a_benchmark_field_holding_turns_or_messages_is_matched_as_their_text(tmp_path):
    """MT-bench keeps its prompts as a list ("turns"), chat eval sets as messages: the text is the turns one per
    line (was Python's repr, with quotes, brackets and \\n escapes glued to the words)."""
    turns = ["Write a short poem.\nMake it about " + GSM[5]["question"], "Now rewrite it as prose."]
    msgs = [{"role": "user", "content": GSM[6]["question"]}, {"role": "assistant", "content": "ok"}]
    f = tmp_path / "mt.jsonl"
    f.write_text(json.dumps({"id": "mt1", "turns": turns}) + "\n" + json.dumps({"id": "mt2", "turns": msgs}) + "\n")
    spec = {"name": "mt", "path": str(f), "field": "turns", "id_field": "id"}
    b = load_benchmark(spec)
    assert [i.text for i in b.items] == ["\n".join(turns), GSM[6]["question"] + "\nok"]
    rows = Decontaminate(DecontamConfig(benchmarks=[spec], on="prompt"))([row("a", "Make it about " + GSM[5]["question"])])
    assert rows[0]["reject_reason"].startswith("contaminated: mt#mt1 13-gram")


@pytest.mark.parametrize("text, want", [
    ("<think>same numbers? maybe yes</think>\nNO", False),           # a reasoning judge (the span is not the answer)
    ("**Answer: YES**", True), ("Verdict: NO", False), ('{"same": true}', True), ('{"answer": "no"}', False),
    ("The setup is the same, only the values change.\nYES", True), ("I first thought yes. Final answer: no", False),
    ("yes/no", None), ("Nobody can tell", None), ("The numbers differ.", None),
])
def test_the_decontamination_judges_other_answer_forms(text, want):
    """Only a first line starting YES/NO was read: every other form was 'unanswered', and an unanswered template
    candidate is not flagged (recall lost); 'yes/no' was read as YES."""
    assert parse_verdict(text) is want


def test_entry_point_benchmark(tmp_path, monkeypatch):
    # a real installed-distribution layout: importlib.metadata finds the dist-info on sys.path
    (tmp_path / "tinybench.py").write_text(
        "from curation.dedup.benchmarks import BenchmarkDef, BenchmarkItem\n"
        "ITEMS = [BenchmarkItem('t1', 'the quick brown fox jumps over the lazy dog near the quiet river bank today', 'fox')]\n"
        "DEF = BenchmarkDef('tiny', lambda path: ITEMS, expected_items=1, license='Apache-2.0')\n")
    dist = tmp_path / "tinybench-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tinybench\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[distill_factory.benchmarks]\ntiny = tinybench:DEF\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    b = load_benchmark("tiny")
    assert b.coverage["line"] == "tiny: 1 of 1 items (complete)" and b.license == "Apache-2.0"
    rows = Decontaminate(DecontamConfig(benchmarks=["tiny"], on="prompt"))(
        [row("a", "Note: the quick brown fox jumps over the lazy dog near the quiet river bank today.")])
    assert rows[0]["reject_reason"].startswith("contaminated: tiny#t1 13-gram 'the quick brown fox")
    sys.modules.pop("tinybench", None)


REWRITE_0 = ("How much money in euros does Maria make daily at the market? Maria's hens lay 20 eggs a day. "
             "She eats five for breakfast each morning and bakes cakes for her pals every day with six. She sells the "
             "remainder at the farmers' market daily for $3 per fresh hen egg.")


def test_masked_ngrams_catch_a_rewrite_that_13grams_miss():
    rows = [row("a", REWRITE_0), row("b", "Tom has 3 apples and buys 4 more. How many apples does he have now?")]
    Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", template=False))(rows)
    assert [r["status"] for r in rows] == ["accepted", "accepted"]
    Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", masked=True, template=False))(rows)
    assert rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#0 masked 3-gram c=")
    assert rows[1]["status"] == "accepted"
    rep = contamination_report(rows)
    assert rep["per_benchmark"]["gsm8k_test"]["methods"] == {"masked 3-gram": 1}


def test_embedding_candidate_needs_masked_confirmation(tmp_path):
    small = tmp_path / "gsm_small.jsonl"
    small.write_text("".join(LINES[:5]))
    bench = {"name": "gsm_small", "path": str(small), "field": "question"}
    same_topic = "A farmer's ducks lay eggs. How do you keep ducks healthy so they lay more eggs for the market?"
    cfg = dict(benchmarks=[bench], on="prompt", embedding=True, embedding_threshold=0.5)
    rows = Decontaminate(DecontamConfig(**cfg))([row("a", REWRITE_0), row("b", same_topic)])
    assert [r["status"] for r in rows] == ["rejected", "rejected"]  # cosine alone: the same-topic question goes too
    rows = Decontaminate(DecontamConfig(**cfg, embedding_confirm="masked"))([row("a", REWRITE_0), row("b", same_topic)])
    assert rows[0]["reject_reason"].startswith("contaminated: gsm_small#0 embedding cos=0.")
    assert "+masked c=" in rows[0]["reject_reason"] and rows[1]["status"] == "accepted"
    assert contamination_report(rows)["per_benchmark"]["gsm_small"]["methods"] == {"embedding+confirm": 1}
    # an LLM judge over real HTTP; this server's canned answers ("echo:...") are no verdict, so both
    # candidates fall back to the masked check, in one batched call
    with FaultInjectingServer(retry_after_s=None) as srv:
        step = Decontaminate(DecontamConfig(**cfg, embedding_confirm="llm", judge_probe=False, judge={
            "engine": "openai_compat", "model": "judge-z", "options": {"base_url": srv.base_url}}))
        rows = step([row("a", REWRITE_0), row("b", same_topic)])
        step.close()
    assert (step.judge.calls, step.judge.unparsed) == (1, 2)
    clone = pickle.loads(pickle.dumps(step))  # plug-ins pickle: the judge's client rebuilds on first use
    assert clone._index is None and not clone.judge.llm.loaded and clone.judge.template == step.judge.template
    assert "+masked c=" in rows[0]["reject_reason"] and rows[1]["status"] == "accepted"
    # a verdict decides on the nearest item, whatever the masked overlap
    assert step._confirmed(same_topic, [(2, 0.61)], True) == (2, "embedding cos=0.610+judge")
    assert step._confirmed(REWRITE_0, [(0, 0.9)], False) is None
    assert [parse_verdict(t) for t in ("YES.", " no, different problem", "Yes\nbecause", "echo:ab", "")] == [True, False, True, None, None]
    with pytest.raises(ValueError, match="judge is required"):
        DecontamConfig(**cfg, embedding_confirm="llm")


def test_factory_decontam_cli_on_a_parquet_corpus(tmp_path, first300):
    corpus = tmp_path / "corpus.parquet"
    pq.write_table(pa.table({"q": ["What is 2+2? Please explain.", "Solve: " + GSM[7]["question"], REWRITE_0],
                             "id": ["u-1", "u-2", None]}), corpus)
    out = tmp_path / "rep"
    r = run_cli("decontam", str(corpus), "--field", "q", "--benchmarks", "gsm8k_test", "--masked", "--out", str(out), timeout=300)
    assert r.returncode == 1, r.stderr[-2000:]
    rep = json.loads((out / "decontam_report.json").read_text())
    assert rep["rows"] == 3 and rep["contaminated"] == 2 and rep["partial"] == []
    assert [(m["row"], m["item"], m["method"].split(" c=")[0]) for m in rep["matches"]] == [(1, "7", "13-gram"), (2, "0", "masked 3-gram")]
    assert [m["id"] for m in rep["matches"]] == ["u-2", "corpus.parquet:2"]  # the corpus's own id, else FILE:ROW
    text = (out / "decontam_report.txt").read_text()
    assert "gsm8k_test: 1,319 of 1,319 items (complete)  licence MIT" in text and "corpus.parquet row 1" in text
    # a partial benchmark without --allow-partial is bad input (exit 2, one error line); with it, a loud warning
    r = run_cli("decontam", str(corpus), "--field", "q", "--benchmarks", f"gsm8k_test={first300}", "--out", str(out))
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith("error: benchmark gsm8k_test: 300 of 1,319 items (PARTIAL)")
    r = run_cli("decontam", str(corpus), "--field", "q", "--benchmarks", f"gsm8k_test={first300}", "--allow-partial", "--out", str(out))
    assert r.returncode == 1 and "WARNING: PARTIAL benchmark, rows are not checked against the missing items: " \
        "gsm8k_test: 300 of 1,319 items (PARTIAL)" in r.stdout
    r = run_cli("decontam", str(corpus), "--field", "nope", "--benchmarks", "gsm8k_test", "--out", str(out))
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == f"error: {corpus} row 0 (from 0): no field 'nope' (fields given with --field: ['nope']; the file has: q, id)"


def test_factory_decontam_says_which_items_are_too_short_and_takes_min_item_tokens(tmp_path):
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps({"q": f"What is {a} + {a + 7}?"}) + "\n" for a in range(10, 20)))
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "q": q}) + "\n" for i, q in [
        ("c1", "what is 12+19 ?"), ("c2", "Name a colour."), ("c3", "Quick: what is 13 + 20? Explain.")]))
    args = ["decontam", str(corpus), "--field", "q", "--benchmarks", f"mine={bench}:q", "--out", str(tmp_path / "rep")]
    # every item has 5 tokens (4 words and a +): below the default bound, so only a row that IS an item is flagged (was: nothing was
    # checked, and c1, an item word for word, passed), a row that contains one is not, and the report says so
    r = run_cli(*args)
    rep = json.loads((tmp_path / "rep" / "decontam_report.json").read_text())
    assert r.returncode == 1, r.stderr[-2000:]
    assert "WARNING: 10 benchmark items are shorter than 8 words: a row that IS one is flagged (exact copy), a row " \
           "that contains one is not (--min-item-tokens lowers the bound)" in r.stdout
    assert rep["items_too_short"] == 10
    # c3 contains item 3 in a short text that computes the same sum: that item reworded, whatever the bound
    assert [(m["id"], m["item"], m["method"], m["span"]) for m in rep["matches"]] == [
        ("c1", "2", "exact copy", "what is 12 + 19"), ("c3", "3", "near copy same arithmetic", "quick what is 13 + 20 explain")]
    r = run_cli(*args, "--min-item-tokens", "4")  # now contained items count too
    rep = json.loads((tmp_path / "rep" / "decontam_report.json").read_text())
    assert r.returncode == 1 and rep["items_too_short"] == 0 and "WARNING" not in r.stdout
    assert [(m["id"], m["item"], m["method"]) for m in rep["matches"]] == [("c1", "2", "5-gram"), ("c3", "3", "5-gram")]
    # a corpus that is not there is named as the corpus, not as a benchmark
    r = run_cli("decontam", str(tmp_path / "nope.jsonl"), "--benchmarks", f"mine={bench}:q")
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == f"error: corpus file not found: {tmp_path / 'nope.jsonl'}"
    r = run_cli("decontam", str(tmp_path / "*.parquet"), "--benchmarks", f"mine={bench}:q")
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == f"error: corpus glob '{tmp_path / '*.parquet'}' matches no files"


def test_a_benchmark_loaded_again_is_announced_once(tmp_path, caplog):
    """A run loads its benchmarks four or five times (validation, fingerprint, curation): `make demo` printed every
    "benchmark ... from ..." line four times before the run started. Now once per benchmark and copy."""
    import logging

    f = tmp_path / "mine.jsonl"
    f.write_text("".join(json.dumps({"question": f"Tom has {i} red apples and gives two of them to his sister Ann"}) + "\n"
                         for i in range(3)))
    with caplog.at_level(logging.INFO, logger="curation.dedup.benchmarks"):
        for _ in range(3):
            assert len(load_benchmark({"name": "mine", "path": str(f), "field": "question"}).items) == 3
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("benchmark mine")]
    assert said == [f"benchmark mine: 3 items (size not declared) from {f}"]
