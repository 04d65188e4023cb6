"""Unit tests of the core contracts, in process, no Ray."""

import json
import pickle
import threading

import pyarrow.parquet as pq
import pytest

from ground import fsutil
from curation.dedup.exact import ExactDedup, ExactDedupConfig
from ground.record import SCHEMA, new_sample, reject, sample_id, to_table
from factory.stats import stage_stats, summary
from ground.step import Step, StepError
from factory.store import RunStore
from teachers.cache import RequestCache, request_key
from teachers.reasoning import join_reasoning, split_reasoning
from verifiers import get_verifier
from verifiers.math_answer import extract_answer


def row(pid, k, completion, score=None, user="q"):
    r = new_sample(stage="t", prompt_id=pid, sample_index=k, messages=[{"role": "user", "content": user}])
    r.update(completion=completion, score=score)
    return r


def test_sample_ids_are_deterministic_and_distinct():
    assert sample_id("s", "p", 0) == sample_id("s", "p", 0)
    assert len({sample_id("s", "p", 0), sample_id("s", "p", 1), sample_id("s", "q", 0), sample_id("t", "p", 0)}) == 4


def test_new_sample_rejects_unknown_columns():
    with pytest.raises(KeyError, match="unknown Sample columns"):
        new_sample(stage="s", prompt_id="p", sample_index=0, messages=[], colour="red")


def test_to_table_has_exact_schema_with_nulls():
    t = to_table([row("p", 0, "x")])
    assert t.schema == SCHEMA and t.num_rows == 1
    assert t.column("verdicts").to_pylist() == [None]


def test_exact_dedup_keeps_best_and_records_cluster():
    rows = [row("a", 0, "The answer is 4.", 0.0), row("a", 1, "the  answer is 4.", 1.0), row("b", 0, "different", 1.0)]
    out = ExactDedup(ExactDedupConfig(on="completion"))(rows)
    assert [r["status"] for r in out] == ["rejected", "accepted", "accepted"]
    assert out[0]["survivor_id"] == out[1]["id"] and out[0]["cluster_id"] == out[1]["cluster_id"]
    assert out[0]["reject_reason"] == f"exact duplicate of {out[1]['id']}"
    assert out[2]["cluster_id"] is None


def test_exact_dedup_on_prompt_vs_completion():
    rows = [row("a", 0, "x", user="Same Q"), row("b", 0, "y", user="same q")]
    assert [r["status"] for r in ExactDedup(ExactDedupConfig(on="completion"))([dict(r) for r in rows])] == ["accepted", "accepted"]
    out = ExactDedup(ExactDedupConfig(on="prompt"))([dict(r) for r in rows])
    assert sorted(r["status"] for r in out) == ["accepted", "rejected"]
    with pytest.raises(ValueError, match="prompt|completion|both"):
        ExactDedupConfig(on="everything")


def test_step_skips_rejected_rows_and_checks_columns():
    class Upper(Step):
        name = "upper"
        requires = ("completion",)

        def process(self, rows):
            for r in rows:
                r["completion"] = r["completion"].upper()
            return rows

    rows = [row("a", 0, "x"), reject(row("b", 0, "y"), "earlier", "bad")]
    out = Upper()(rows)
    assert [r["completion"] for r in out] == ["X", "y"]

    class NeedsZ(Step):
        name = "needs_z"
        requires = ("zzz",)

    with pytest.raises(StepError, match="step 'needs_z' needs column"):
        NeedsZ()([row("a", 0, "x")])


def test_stage_stats_counts_in_out_and_reason_classes():
    rows = [row("a", i, str(i)) for i in range(5)]
    reject(rows[0], "source", "bad JSON: x")
    reject(rows[1], "verify:math_answer", "wrong answer: got '1', expected '2'")
    reject(rows[2], "verify:math_answer", "wrong answer: got '3', expected '2'")
    st = stage_stats(rows, ["source", "generate", "verify:math_answer", "dedup_exact"])
    assert st["source"] == {"in": 5, "out": 4, "dropped": {"bad JSON": 1}}
    assert st["generate"] == {"in": 4, "out": 4, "dropped": {}}
    assert st["verify:math_answer"] == {"in": 4, "out": 2, "dropped": {"wrong answer": 2}}
    assert summary(rows)["accepted"] == 2


@pytest.mark.parametrize("reason,cls", [
    ("final answer has no number equal to the reference 4.442882938", "final answer has no number equal to the reference N"),
    ("final answer has no number equal to the reference 1,048,576", "final answer has no number equal to the reference N"),
    ("expected a call to 'calculator'; the trace has none", "expected a call to 'calculator'"),
    ("wrong output on case 3/10: expected 1, got 2", "wrong output on case N/N"),
    ("too long (513 > 512 tokens)", "too long (N > N tokens)"),
    ("near-duplicate of 2eaea7ab (jaccard 0.91)", "near-duplicate"),
    ("length [filters.py:12]", "length"),
    ("not UTF-8 (byte 0xff at 3)", "not UTF-8 (byte 0xff at N)"),
    ("balance is -5 after 2 steps", "balance is N after N steps"),
])
def test_reason_classes_stay_bounded_when_reasons_carry_values(reason, cls):
    """The console's "dropped" column counts classes: per-row numbers must not make one class per row."""
    from factory.stats import reason_of
    assert reason_of(reason) == cls


def test_run_store_atomic_parts_and_chunks(tmp_path):
    st = RunStore(str(tmp_path), "r", "id1")
    st.write_chunk(3, to_table([row("a", 0, "x")]))
    assert st.done_chunks() == {3}
    # a leftover temp file from a killed writer is not a finished chunk
    (tmp_path / "r/id1/chunks/chunk-000004.parquet.tmp-dead").write_bytes(b"partial")
    assert st.done_chunks() == {3}
    files = st.write_parts("accepted", to_table([row("a", i, str(i)) for i in range(3)]))
    assert len(files) == 1 and pq.read_table(files[0]).num_rows == 3
    assert st.read_parts("accepted").num_rows == 3


def test_run_store_works_through_a_filesystem_uri(tmp_path):
    st = RunStore(f"file://{tmp_path}", "r", "id2")
    st.write_json("manifest.json", {"status": "ok"})
    assert json.loads((tmp_path / "r/id2/manifest.json").read_text()) == {"status": "ok"}
    assert st.read_json("manifest.json")["status"] == "ok"


def test_request_cache_roundtrip_and_key_sensitivity(tmp_path):
    m = [{"role": "user", "content": "hi"}]
    k = request_key("hf_local", "m", m, {"max_tokens": 8}, 0)
    assert k != request_key("hf_local", "m", m, {"max_tokens": 9}, 0)
    assert k != request_key("hf_local", "m", m, {"max_tokens": 8}, 1)
    # hf_local top-k entries cached before logprobs were raw (issue #13) are never served again
    from ground.record import sha

    lp = {"max_tokens": 8, "top_logprobs": 3}
    assert request_key("hf_local", "m", m, lp, 0) != sha("request-v1", "hf_local", "m", m, lp, 0, n=40)
    assert request_key("vllm", "m", m, lp, 0) == sha("request-v1", "vllm", "m", m, lp, 0, n=40)
    assert k == sha("request-v1", "hf_local", "m", m, {"max_tokens": 8}, 0, n=40)
    c = RequestCache(str(tmp_path / "c"))
    c.put({k: {"text": "hello"}, "failed": {"text": "", "error": "HTTP 500"}})
    again = pickle.loads(pickle.dumps(c))  # ships by URI, reloads from disk
    assert again.get_many([k, "failed"]) == {k: {"text": "hello"}}
    assert fsutil.list_files(*fsutil.filesystem(str(tmp_path / "c")), ".parquet")


def test_reasoning_split_and_join():
    assert split_reasoning("<think>a</think>b") == ("a", "b")
    assert split_reasoning("<think>x</think>b", reasoning_content="r") == ("r", "b")
    assert split_reasoning("plain") == (None, "plain")
    # the template opened the span (DeepSeek-R1, Qwen3): only the close is in the text
    assert split_reasoning("Let me add: 2+2=4.\n</think>\n\nThe answer is 4.") == ("Let me add: 2+2=4.", "The answer is 4.")
    # cut off while thinking: the half-thoughts are reasoning, there is no answer for a verifier to read "72" from
    assert split_reasoning("<think>maybe 72? no, let me recount", reasoning_content=None) == ("maybe 72? no, let me recount", "")
    assert split_reasoning("  [THINK]r[/THINK]a") == ("r", "a") and split_reasoning("<thinking>r</thinking>\na") == ("r", "a")
    assert split_reasoning("<|begin_of_thought|>r<|end_of_thought|>\n\n<|begin_of_solution|>4<|end_of_solution|>") == \
        ("r", "<|begin_of_solution|>4<|end_of_solution|>")
    assert split_reasoning("Use <think> tags like <think>x</think> here") == (None, "Use <think> tags like <think>x</think> here")
    assert split_reasoning("</think>answer", reasoning_content="server's") == ("server's", "answer")
    assert join_reasoning("a", "b") == "<think>\na\n</think>\nb"


def test_an_answer_that_mentions_the_close_tag_keeps_its_text():
    """Was: everything before a "</think>" anywhere in the answer became reasoning, even when the server had split
    the reasoning off already: a code answer about think tags lost its first lines."""
    code = "Here is the function:\n```python\ndef strip(t):\n    return t.split('</think>')[-1]\n```"
    assert split_reasoning(code, reasoning_content="the user wants a function") == ("the user wants a function", code)
    assert split_reasoning(code) == (None, code)
    prose = "Tags such as </think> close a span. The answer is 4."
    assert split_reasoning(prose) == (None, prose)
    # the server split it, yet the answer still says "2+2 is 4\n</think>": only a leading close is stripped then
    assert split_reasoning("x\n</think>\nA", reasoning_content="r") == ("r", "x\n</think>\nA")
    assert split_reasoning("2+2 is 4</think>\n\nA") == ("2+2 is 4", "A")  # a template-opened span, close ending its line


@pytest.mark.parametrize("text,ans", [
    ("so #### 1,234", "1,234"), ("The answer is 42.", "42"), ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("we get 3 then 7", "7"), ("no digits", None),
])
def test_extract_answer(text, ans):
    assert extract_answer(text) == ans


@pytest.mark.parametrize("completion,reference,score,reason", [
    ("The answer is 72.", "Natalia ... #### 72", 1.0, "correct"),
    ("The answer is $1,200.00", "1200", 1.0, "correct"),
    ("The answer is 71.", "#### 72", 0.0, "wrong answer: got '71', expected '72'"),
    ("\\boxed{\\frac{2}{4}}", "\\frac{1}{2}", 1.0, "correct (symbolic)"),
    ("I don't know", "5", 0.0, "no answer found in completion"),
    ("The answer is 5", None, None, "no reference answer"),
])
def test_math_answer_verdicts(completion, reference, score, reason):
    v = get_verifier("math_answer").verify_batch([{"completion": completion, "reference": reference}])[0]
    assert (v.score, v.reason, v.version) == (score, reason, "1")


def test_math_answer_pickles_and_works_off_the_main_thread():
    v = pickle.loads(pickle.dumps(get_verifier("math_answer")))
    out = []
    t = threading.Thread(target=lambda: out.extend(v.verify_batch([{"completion": "\\boxed{\\sqrt{4}}", "reference": "2"},
                                                                    {"completion": "x", "reference": "\\frac{1}{3}"}])))
    t.start()
    t.join(30)
    assert [o.score for o in out] == [1.0, 0.0]


def test_math_answer_never_raises_on_garbage():
    v = get_verifier("math_answer")
    out = v.verify_batch([{"completion": None, "reference": "5"}, {"completion": "\\boxed{", "reference": "\\frac{"}])
    assert [o.score for o in out] == [0.0, 0.0]
