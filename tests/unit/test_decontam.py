"""Decontamination: n-gram hits name benchmark, item and span; paraphrases via embeddings; report."""

from __future__ import annotations

import json
import pickle

import pytest

from curation.dedup.benchmarks import BenchmarkSpec, load_benchmark, shared_data_file
from curation.dedup.decontam import DecontamConfig, Decontaminate, contamination_report
from ground.errors import FactoryError
from ground.record import new_sample, reject

GSM = [json.loads(line) for line in open(shared_data_file("gsm8k/test.jsonl"), encoding="utf-8")]


def row(pid: str, prompt: str, completion: str = "") -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, completion=completion,
                      messages=[{"role": "user", "content": prompt}])


def test_gsm8k_loaded_from_env_path_and_explicit_path(tmp_path, monkeypatch):
    (tmp_path / "gsm8k").mkdir()
    (tmp_path / "gsm8k" / "test.jsonl").write_text(json.dumps(GSM[5]) + "\n")
    monkeypatch.setenv("FACTORY_SHARED_DATA", str(tmp_path))
    one = load_benchmark("gsm8k_test", allow_partial=True)
    assert [i.prompt for i in one.items] == [GSM[5]["question"]]
    assert one.coverage["line"] == "gsm8k_test: 1 of 1,319 items (PARTIAL)"
    monkeypatch.delenv("FACTORY_SHARED_DATA")
    full = load_benchmark("gsm8k_test")
    assert len(full.items) == len(GSM) == 1319 and full.coverage["complete"] is True and full.license == "MIT"
    one = load_benchmark({"name": "gsm8k_test", "path": str(tmp_path / "gsm8k" / "test.jsonl")}, allow_partial=True)
    assert len(one.items) == 1


def test_humaneval_and_custom_jsonl(tmp_path):
    he = load_benchmark("humaneval")
    assert len(he.items) == 164 and he.items[17].item_id == "HumanEval/17"
    p = tmp_path / "mine.jsonl"
    p.write_text(json.dumps({"uid": "q-1", "q": "a unique question about zebras crossing seven rivers in one day"}) + "\n")
    b = load_benchmark(BenchmarkSpec(name="mine", path=str(p), field="q", id_field="uid"))
    assert [(i.item_id, i.text[:8]) for i in b.items] == [("q-1", "a unique")]
    with pytest.raises(ValueError, match="needs path and field"):
        BenchmarkSpec(name="unknown_bench")
    with pytest.raises(FactoryError, match="no field 'question'"):
        load_benchmark({"name": "mine", "path": str(p), "field": "question"})


def test_verbatim_item_rejected_with_benchmark_item_and_span():
    q = GSM[17]["question"]
    rows = [row("a", f"Please solve: {q}"), row("b", "Natalia has 12 apples and eats 3. How many are left?"),
            row("c", "Tell me a story", completion=GSM[3]["answer"])]
    Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"]))(rows)
    assert rows[0]["status"] == "rejected" and rows[0]["reject_stage"] == "decontam"
    first = " ".join(__import__("curation.dedup", fromlist=["words"]).words(q)[:5])
    assert rows[0]["reject_reason"].startswith(f"contaminated: gsm8k_test#17 13-gram '{first}")
    assert rows[1]["status"] == "accepted"
    # on="both" also sees completions: a test answer copied into a trace is contamination
    assert rows[2]["reject_reason"].startswith("contaminated: gsm8k_test#3 13-gram '")


def test_prompt_only_ignores_completion_and_ngram_size_matters():
    twelve = " ".join(GSM[0]["question"].split()[:11])  # "Janet’s" is 2 tokens: 12 words, below a 13-gram
    rows = [row("a", twelve), row("b", "hi", completion=GSM[0]["question"])]
    Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))(rows)
    assert [r["status"] for r in rows] == ["accepted", "accepted"]
    rows = [row("a", twelve)]
    Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", ngram=8))(rows)
    assert rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#0 8-gram 'janet s ducks lay 16 eggs per day")


def test_humaneval_prompt_in_completion_caught():
    he = load_benchmark("humaneval").items[2]
    rows = [row("a", "write code", completion="Sure:\n" + he.prompt), reject(row("b", "x", completion=he.prompt), "verify", "bad")]
    Decontaminate(DecontamConfig(benchmarks=["humaneval"], on="completion"))(rows)
    assert rows[0]["reject_reason"].startswith("contaminated: humaneval#HumanEval/2 13-gram '")
    assert rows[1]["reject_stage"] == "verify"  # already-rejected rows are untouched


def test_paraphrase_needs_embedding(tmp_path):
    para = ("Janet has ducks that lay sixteen eggs each day. Every morning she eats three for breakfast and "
            "uses four to bake muffins for friends. She sells the rest at the farmers market for $2 each. "
            "How many dollars does she earn daily?")
    # a 5-item slice of the GSM8K test file keeps the embedding pass small on a shared 2-core machine
    small = tmp_path / "gsm_small.jsonl"
    small.write_text("".join(json.dumps(g) + "\n" for g in GSM[:5]))
    bench = {"name": "gsm_small", "path": str(small), "field": "question"}
    rows = [row("a", para), row("b", "Explain how photosynthesis works in plants.")]
    Decontaminate(DecontamConfig(benchmarks=[bench], on="prompt"))(rows)
    assert rows[0]["status"] == "accepted"
    step = Decontaminate(DecontamConfig(benchmarks=[bench], on="prompt", embedding=True, embedding_threshold=0.85))
    step(rows)
    assert rows[0]["reject_reason"].startswith("contaminated: gsm_small#0 embedding cos=0.")
    assert rows[1]["status"] == "accepted"
    clone = pickle.loads(pickle.dumps(step))
    assert clone._index is None and not clone.embedder.loaded


def test_report_counts_per_benchmark():
    rows = [row(str(i), GSM[i]["question"]) for i in range(3)] + [row("x", GSM[0]["question"]), row("y", "clean text here")]
    he = load_benchmark("humaneval").items[0]
    rows.append(row("h", he.prompt))
    Decontaminate(DecontamConfig(benchmarks=["gsm8k_test", "humaneval"], on="prompt"))(rows)
    rep = contamination_report(rows, max_examples=2)
    assert rep["rows"] == 6 and rep["contaminated"] == 5
    g = rep["per_benchmark"]["gsm8k_test"]
    assert (g["rows"], g["items"], g["methods"]) == (4, 3, {"13-gram": 4})
    assert [e["item"] for e in g["examples"]] == ["0", "1"]
    assert rep["per_benchmark"]["humaneval"]["rows"] == 1


def test_config_errors():
    with pytest.raises(ValueError, match="duplicate"):
        DecontamConfig(benchmarks=["gsm8k_test", "gsm8k_test"])
    with pytest.raises(ValueError, match="unknown option"):
        DecontamConfig(benchmarks=[{"name": "x", "path": "p", "field": "f", "colour": 1}])
    with pytest.raises(ValueError, match="ngram"):
        DecontamConfig(ngram=1)


def test_a_row_that_is_a_short_item_is_flagged_a_row_that_contains_one_is_not(tmp_path):
    """Was: items shorter than min_item_tokens were not checked at all, so a row that WAS one ("what is 35+6 ?" for
    "What is 35 + 6?") passed, and synthesis and the loop each kept a check of their own. The matcher now flags a
    row whose compared text, prompt or one user turn equals an item (case, spacing, punctuation folded), whatever its
    length; under min_item_tokens that is the only test (a one-word item "Yes" must not flag every row saying yes),
    from min_item_tokens up containment counts too, and a short question whose answer is long is protected as itself.
    A short row that computes what a short arithmetic item does is that item reworded (d)."""
    p = tmp_path / "b.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "yes", "q": "Yes", "a": ""}, {"id": "sum", "q": "What is 35 + 6?", "a": "41"},
        {"id": "cap", "q": "What is the capital city of France today?",
         "a": "Paris has been the capital of France for a very long time, with short gaps."}]))
    bench = {"name": "b", "path": str(p), "field": ["q", "a"], "prompt_field": "q", "id_field": "id"}
    multi = new_sample(stage="gen", prompt_id="m", sample_index=0, completion="",
                       messages=[{"role": "user", "content": "Hello"}, {"role": "user", "content": "WHAT is 35+6"}])
    rows = [row("a", "yes."), row("b", "Yes, I think so."), row("c", "what is 35+6 ?", "41"), row("d", "Quick: what is 35 + 6? Explain."),
            row("e", "What is 35 + 7?"), row("f", "Is it raining?", "Yes"), row("g", "what is the capital city of france today"),
            row("h", "Tell me: what is the capital city of France today? Be brief."), row("i", "capital city of France"), multi]
    out = Decontaminate(DecontamConfig(benchmarks=[bench], on="both"))(rows)
    got = {r["prompt_id"]: r["reject_reason"] for r in out}
    assert got == {"a": "contaminated: b#yes exact copy 'yes'", "b": None, "c": "contaminated: b#sum exact copy 'what is 35 + 6 41'",  # question and answer: the item's text
                   "d": "contaminated: b#sum near copy same arithmetic 'quick what is 35 + 6 explain'", "e": None, "f": None,
                   "g": "contaminated: b#cap 8-gram 'what is the capital city of france today'",
                   "h": "contaminated: b#cap 8-gram 'what is the capital city of france today'", "i": None,
                   "m": "contaminated: b#sum exact copy 'what is 35 + 6'"}
    # the completion alone is one of the texts compared with on: completion
    out = Decontaminate(DecontamConfig(benchmarks=[bench], on="completion"))([row("f", "Is it raining?", "Yes!")])
    assert out[0]["reject_reason"] == "contaminated: b#yes exact copy 'yes'"


def test_another_operator_is_another_item(tmp_path):
    """Was: the matcher's words dropped operators, so "What is 17 + 25?" was an *exact copy* of the item "What is
    17 * 25?" (both "what is 17 25"), and a row that changed an arithmetic item's operation matched it by n-grams: false
    flags on every arithmetic benchmark. Operators are now tokens: + / = ^ between operands, * spaced alike, a minus between numbers, and
    × ÷ − count as * / -; a hyphen in a word ("5-year-old") is still no token. A short text that computes the same
    thing ("compute 25 times 17") is the item reworded, as the closed loop's near-copy check already said."""
    p = tmp_path / "b.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "mul", "q": "What is 17 * 25?"}, {"id": "long", "q": "Compute 120 / 4 - 7 and write down the result."},
        {"id": "age", "q": "A 5-year-old has 3 toys and gets 4 more toys today."}]))
    bench = {"name": "b", "path": str(p), "field": "q", "id_field": "id"}
    rows = [row("plus", "What is 17 + 25?"), row("mul", "what is 17*25"), row("times_sign", "What is 17 × 25?"),
            row("reworded", "Quick: compute 25 times 17, please."), row("other_sum", "What is 17 * 26?"),
            row("minus_sign", "Please compute 120/4 − 7 and write down the result now."),
            row("plus_long", "Please compute 120 / 4 + 7 and write down the result now."),
            row("age", "A 5 year old has 3 toys and gets 4 more toys today, says Bo.")]
    got = {r["prompt_id"]: r["reject_reason"] for r in Decontaminate(DecontamConfig(benchmarks=[bench]))(rows)}
    assert got == {"plus": None, "mul": "contaminated: b#mul exact copy 'what is 17 * 25'", "other_sum": None,
                   "reworded": "contaminated: b#mul near copy same arithmetic 'quick compute 25 times 17 please'",
                   "times_sign": "contaminated: b#mul exact copy 'what is 17 * 25'",
                   "minus_sign": "contaminated: b#long 11-gram 'compute 120 / 4 - 7 and write down the result'",
                   "plus_long": None, "age": "contaminated: b#age 13-gram 'a 5 year old has 3 toys and gets 4 more toys today'"}


def test_answers_that_share_a_calculator_step_are_not_copies_a_recited_answer_is():
    """GSM8K writes each step again as a calculator annotation ("4*2=<<4*2=8>>8"); two answers that share one
    computation shared 13 tokens of it, and 125 of the 7,473 GSM8K train answers matched a test answer on such a run
    alone (row 745's "0.5*4=<<0.5*4=2>>2" against test #426's). The annotation is blanked where operators are tokens,
    so these train answers are clean, and a test answer recited with its annotations is still caught, its span quoted
    from the text."""
    # GSM8K train answers 574, 745, 776 and 902 (MIT, data/gsm8k/LICENSE), which the 13-gram check flagged on
    # annotation runs alone
    answers = [
        "She spent 4 x $1.5 = $<<4*1.5=6>>6 for the four bell peppers.\nShe spent 2 x $3 = $<<2*3=6>>6 for the 2 pounds of meat.\nSo, Pauline spent $5 + $6 + $6 = $<<5+6+6=17>>17 in all.\n#### 17",
        "2 heads of lettuce at $1 apiece is 2*$1=$<<2*1=2>>2.\n4 tomatoes at $0.50 apiece is 4*$0.5=$<<4*0.5=2>>2.\nThus, each customer purchases $2+$2=$<<2+2=4>>4 in lettuce and tomatoes per month.\nTherefore, if 500 customers per month spend $4 on lettuce and tomatoes, then the store will receive $4*500=$<<4*500=2000>>2000 per month on sales of lettuce and tomatoes.\n#### 2000",
        "Armand = (1/3) * 12 = <<(1/3)*12=4>>4 hours\nElla = 2 * 12 = <<2*12=24>>24 hours\nTotal hours = 12 + 4 + 24 = <<12+4+24=40>>40 hours\nThey worked a total of 40 hours.\n#### 40",
        "The adult pigs ate 3/5*300 = <<3/5*300=180>>180 straws.\nThe total number of straws that the piglets shared is 300-180 = <<300-180=120>>120\nSince there were 20 piglets, each piglet ate 120/20 = <<120/20=6>>6 straws\n#### 6",
    ]
    rows = [row(str(i), "Solve it.", completion=a) for i, a in enumerate(answers)]
    rows.append(row("recited", "Solve it.", completion="Sure. " + GSM[0]["answer"]))
    Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="completion"))(rows)
    assert [r["status"] for r in rows] == ["accepted"] * 4 + ["rejected"]
    assert rows[-1]["reject_reason"].startswith("contaminated: gsm8k_test#0 13-gram 'janet sells 16 - 3 - 4 = 9 duck eggs a day")
