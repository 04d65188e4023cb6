"""``judge``: score parsing on fixed strings, the same-model rule (rows and recipe config), option
errors, pickling, a judge that fails or chatters over real HTTP, one batched call of the bundled tiny
model from a non-main thread, and the calibration metrics and CLI."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from tests.conftest import verify_in_thread
from tests.faults.fault_server import FaultInjectingServer
from verifiers.judge import Judge, normalise, parse_score
from verifiers.judge_calibrate import agreement, cohen_kappa, load_items, main, spearman
from verifiers.registry import get_verifier

ROOT = Path(__file__).resolve().parents[2]
# one thread: on a shared 2-core box, two torch threads spin against each other and run ~4x slower
TINY = {"engine": "hf_local", "model": "smollm2-135m-instruct", "options": {"threads": 1}, "sampling": {"max_tokens": 32}}


def _row(prompt: str, completion: str, engine: str | None = "openai_compat", model: str | None = "gen-x") -> dict:
    return {"messages": json.dumps([{"role": "user", "content": prompt}]), "completion": completion,
            "engine": engine, "model": model}


# ------------------------------------------------------------------------------ parsing (pure)

@pytest.mark.parametrize("text,want", [
    ("Score: 7/10", (7.0, "labelled")),
    ("The answer is right.\n\n**8**", (8.0, "bold")),
    ("I'd rate it 6 out of 10 because it is vague.", (6.0, "labelled")),
    ('{"score": 7, "reason": "ok"}', (7.0, "json")),
    ('```json\n{"reasoning": "fine", "Score": "9"}\n```', (9.0, "json")),
    ("**Rating:** 4 - mostly wrong", (4.0, "labelled")),
    ("On a scale of 1 to 10, I would give it a 9.", (9.0, "labelled")),
    ("Rated on a scale from 1 to 10.\nScore: 3", (3.0, "labelled")),
    ("Score: 2\nOn reflection... Final score: 5", (5.0, "labelled")),
    ("It deserves 8.5/10.", (8.5, "fraction")),
    ("Helpful and accurate. Rating: [[8]]", (8.0, "brackets")),  # MT-bench's judge format
    ("Helpful, some errors. [[6]]", (6.0, "brackets")),
    ("Score: 3, on reflection [[7]]", (7.0, "brackets")),  # the format the prompt asked for wins over prose
    # a declared score beats one named in passing after it (was: the last labelled one, 9 / 10 / 9)
    ("Score: 6\nIt could score 9 with examples.", (6.0, "labelled")),
    ("Score: 6\n\nA higher score of 10 would need citations.", (6.0, "labelled")),
    ("Rating: 5/10\nWith fixes it would rate 9/10.", (5.0, "labelled")),
    ("I would rate this response an 8.", (8.0, "labelled")),
    ("Rating: [[12]]", (None, "score 12 outside the 1-10 scale")),
    ("Clear and concise.\n10", (10.0, "bare")),
    ("Score: N\nwhere N is a whole number from 1 to 10", (None, "no score found")),
    ("Great answer, 4/5.", (None, "score 4/5 is not on the 1-10 scale")),
    ("Score: 11", (None, "score 11 outside the 1-10 scale")),
    ("Score: 0", (None, "score 0 outside the 1-10 scale")),
    ("", (None, "no score found")),
    ("The response is helpful and correct.", (None, "no score found")),
])
def test_parse_score(text, want):
    assert parse_score(text, 1, 10) == want


def test_parse_score_other_scale_and_normalise():
    assert parse_score("Score: 3/5", 1, 5) == (3.0, "labelled")
    assert parse_score("score 4/5", 0, 5) == (4.0, "labelled")
    assert normalise(1, 1, 10) == 0.0 and normalise(10, 1, 10) == 1.0 and normalise(7, 1, 10) == pytest.approx(6 / 9)
    assert normalise(3, 1, 5) == 0.5


# ------------------------------------------------------------------------------ same model rule

@pytest.mark.parametrize("engine,model,refused", [
    ("hf_local", "HuggingFaceTB/SmolLM2-135M-Instruct", True),  # an alias of the teacher's bundled model
    ("hf_local", "smollm2-135m-instruct", True),
    ("openai_compat", "smollm2-135m-instruct", False),
    ("openai_compat", "gpt-4o-mini", False),
])
def test_recipe_refuses_a_judge_that_is_the_teacher(tmp_path, engine, model, refused):
    text = (ROOT / "recipes" / "judge_api.yaml").read_text().replace(
        "engine: openai_compat\n        model: gpt-4o-mini", f"engine: {engine}\n        model: {model}")
    if engine == "hf_local":  # the judge's options are its engine's: hf_local takes no base_url
        text = text.replace('options: {base_url: "https://api.openai.com/v1", api_key_env: JUDGE_API_KEY, concurrency: 16}',
                            "options: {threads: 1}")
    f = ROOT / "recipes" / "judge_api.yaml"
    from factory.recipe import _validate

    errs, _ = _validate(text, str(f))
    assert [(e.field, e.message) for e in errs] == (
        [("verifiers.0.options", "judge must differ from the teacher (a model grading its own samples)")] if refused else [])


def test_same_model_rows_are_refused_without_calling_the_model():
    j = Judge(judge=TINY)
    out = j.verify_batch([_row("2+2?", "4", "hf_local", "smollm2-135m-instruct"),
                          _row("2+2?", "4", "HF_LOCAL", "HuggingFaceTB/SmolLM2-135M-Instruct"),
                          {**_row("2+2?", ""), "engine": "openai_compat"}])
    assert [v.score for v in out] == [None, None, 0.0]  # an empty completion: 0.0, accept_unverifiable takes None
    assert out[0].reason.startswith("judge model equals generator (hf_local/smollm2-135m-instruct)")
    assert out[1].reason == out[0].reason and out[2].reason == "empty completion"
    assert all(v.version == "1" for v in out)
    assert not j.llm.loaded


# ------------------------------------------------------------------------------ options, pickling

def test_options_are_validated(tmp_path):
    with pytest.raises(ValueError, match="^verifier 'judge': options.judge: Field required$"):
        Judge()
    with pytest.raises(ValueError, match=r"^verifier 'judge': options.judge.model: Field required$"):
        Judge(judge={"engine": "hf_local"})
    with pytest.raises(ValueError, match=r"options.scale: unknown key; known: rubric, judge, min_scale, max_scale"):
        Judge(judge=TINY, scale=10)
    with pytest.raises(ValueError, match="min_scale"):
        Judge(judge=TINY, min_scale=10, max_scale=1)
    with pytest.raises(ValueError, match="judge.rubric: file not found: nope.md"):
        Judge(judge=TINY, rubric="nope.md")
    r = tmp_path / "r.md"
    r.write_text("Rate it 1-10.")
    with pytest.raises(ValueError, match=r"lacks the \{response\} placeholder"):
        Judge(judge=TINY, rubric=str(r))
    r.write_text("Rate {response} from {min_score} to {max_score}. JSON like {\"score\": 3} is fine.")
    j = get_verifier("judge", judge=TINY, rubric=str(r), max_scale=5)
    content = j.messages(_row("q", "A"))[0]["content"]  # the response is fenced with a random nonce
    assert re.fullmatch(r'Rate \[response (\w{16}): .*\]\nA\n\[end of response \1\] from 1 to 5\. JSON like \{"score": 3\} is fine\.',
                        content), content


def test_pickles_before_use():
    j = Judge(judge=TINY)
    k = pickle.loads(pickle.dumps(j))
    assert k.cfg == j.cfg and k.rubric == j.rubric and not k.llm.loaded


def test_judge_over_http_errors_and_chatter_give_none_with_reason():
    rows = [_row("2+2?", "4"), _row("capital of France?", "Paris")]
    with FaultInjectingServer(plan=("500",) * 4, retry_after_s=None) as srv:
        j = Judge(judge={"engine": "openai_compat", "model": "judge-z",
                         "options": {"base_url": srv.base_url, "max_retries": 1, "backoff_base_s": 0.0}})
        out = j.verify_batch(rows)
        j.close()
    assert all(v.score is None and v.reason.startswith("judge error:") and "500" in v.reason for v in out)
    with FaultInjectingServer(retry_after_s=None) as srv:  # no faults: answers "echo:<hash>", no score
        j = Judge(judge={"engine": "openai_compat", "model": "judge-z", "options": {"base_url": srv.base_url}})
        out = j.verify_batch(rows)
        j.close()
    for v in out:
        assert v.score is None and v.reason.startswith("unparseable judge output (no score found): 'echo:")
        assert v.details["raw"].startswith("echo:") and v.details["raw_score"] is None
        assert v.details["judge"] == "openai_compat/judge-z" and v.details["scale"] == [1, 10]


# ------------------------------------------------------------------------------ the real tiny model

@pytest.fixture(scope="module")
def tiny_judge():
    j = Judge(judge=TINY)
    yield j
    j.close()


def test_real_model_judges_a_batch_in_one_call_from_a_thread(tiny_judge):
    j = tiny_judge
    rows = [_row("What is the capital of France?", "The capital of France is Paris."),
            _row("What is 12 times 12?", "12 times 12 is 124."),
            _row("2+2?", "4", "hf_local", "smollm2-135m-instruct")]  # its own model: refused, not sent
    out, calls = verify_in_thread(j.llm, j, rows)
    assert calls == [2]
    assert out[2].score is None and out[2].reason.startswith("judge model equals generator")
    for v in out[:2]:
        assert json.loads(json.dumps(v.to_dict())) == v.to_dict()
        assert v.details["judge"] == "hf_local/smollm2-135m-instruct" and v.details["raw"].strip()
        raw, how = parse_score(v.details["raw"], 1, 10)
        assert v.details["raw_score"] == raw
        if raw is None:
            assert v.score is None and v.reason.startswith(f"unparseable judge output ({how})")
        else:
            assert v.score == pytest.approx(normalise(raw, 1, 10)) and v.reason == f"judge score {raw:g}/10"


# ------------------------------------------------------------------------------ calibration

def test_kappa_and_spearman_known_values():
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)  # po=.75, pe=.5
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == 1.0
    assert cohen_kappa([1, 1, 0, 0], [0, 0, 1, 1]) == -1.0
    assert cohen_kappa([1, 1], [1, 1]) is None  # chance agreement 1: undefined
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / 22.5 ** 0.5)  # ties get average ranks
    assert spearman([1, 1, 1], [1, 2, 3]) is None and spearman([1], [2]) is None


def test_agreement_report_counts_unparsed_as_disagreement():
    rep = agreement([10, 9, 2, 1, 8], [9, 3, None, 1, 7], threshold=5.5)
    assert (rep["n"], rep["n_parsed"], rep["coverage"]) == (5, 4, 0.8)
    assert rep["accuracy"] == pytest.approx(3 / 5) and rep["accuracy_parsed"] == pytest.approx(3 / 4)
    assert rep["confusion"] == {"label_good": {"judge_good": 2, "judge_bad": 1, "unparsed": 0},
                                "label_bad": {"judge_good": 0, "judge_bad": 1, "unparsed": 1}}
    assert rep["mae"] == pytest.approx((1 + 6 + 0 + 1) / 4)
    assert rep["kappa"] == pytest.approx((0.75 - 0.5) / 0.5)  # parsed: labels G G B G, judge G B B G


def test_shipped_data_files():
    cal = load_items(ROOT / "data" / "judge_calibration.jsonl")
    assert len(cal) >= 20 and len({c["id"] for c in cal}) == len(cal)
    assert sum(c["label"] >= 8 for c in cal) >= 10 and sum(c["label"] <= 3 for c in cal) >= 10
    adv = [json.loads(x) for x in (ROOT / "data" / "adversarial_prompts.jsonl").read_text().splitlines()]
    assert len(adv) >= 20 and all(a["prompt"].strip() and a["category"] for a in adv)
    assert len({a["category"] for a in adv}) >= 8


def test_load_items_names_the_bad_line(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text('{"prompt": "q", "response": "a", "label": 3}\n{"prompt": "q", "response": "a"}\n')
    with pytest.raises(ValueError, match=r"c.jsonl:2: missing 'label'"):
        load_items(p)
    assert main(["--data", str(p)]) == 2


@pytest.mark.parametrize("lines, error", [
    # was: "judge-calibrate: Expecting value: line 1 column 1 (char 0)" (no file, no row)
    (['{"prompt": "q", "response": "a", "label": 3}', "{not json"], "c.jsonl:2: not valid JSON (Expecting property name"),
    # was: a TypeError traceback (a list or a string passes `"prompt" in d`)
    (['["prompt", "response", "label"]'], "c.jsonl:1: expected a JSON object with prompt, response, label; got list"),
    (['{"prompt": null, "response": "a", "label": 3}'], "c.jsonl:1: prompt must be a string, got NoneType"),
    # was: "item None: label 11 ..." (no file, no row), and only after the judge model had loaded
    (['{"prompt": "q", "response": "a", "label": 3}', "", '{"prompt": "q", "response": "a", "label": 11}'],
     "c.jsonl:3: label 11 outside the judge's 1-10 scale"),
    (['{"prompt": "q", "response": "a", "label": NaN}'], "c.jsonl:1: label must be a number, got nan"),
    # was: an empty set ran the judge on nothing and printed a report of nulls with exit 0
    (["", "  "], "c.jsonl: no labelled items"),
])
def test_malformed_labelled_set_is_one_line_naming_file_and_row(tmp_path, capsys, lines, error):
    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(lines) + "\n")
    assert main(["--data", str(p), "--engine", "no-such-engine"]) == 2  # refused before any judge is built
    err = capsys.readouterr().err
    assert err.startswith(f"judge-calibrate: {p.parent}/{error}") and err.count("\n") == 1, err


def test_a_judge_that_cannot_run_fails_the_command(tmp_path, capsys):
    """Was: an unknown judge model failed every batch inside the judge, and the command printed a report of nulls
    (coverage 0.0, accuracy 0.0), wrote it to --out and exited 0."""
    p = tmp_path / "c.jsonl"
    p.write_text('{"prompt": "q", "response": "a", "label": 3}\n{"prompt": "q2", "response": "b", "label": 9}\n')
    out = tmp_path / "report.json"
    assert main(["--data", str(p), "--model", "no-such-model", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("judge-calibrate: the judge failed on all 2 items: judge error: FactoryError: unknown model 'no-such-model'")
    assert not out.exists()


def test_calibrate_cli_with_the_tiny_model(tmp_path, capsys):
    out = tmp_path / "report.json"
    rc = main(["--limit", "3", "--max-tokens", "16", "--option", "threads=1", "--out", str(out)])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    report = json.loads(out.read_text())
    assert summary["n"] == 3 and summary["judge"] == "hf_local/smollm2-135m-instruct" and "items" not in summary
    assert [i["id"] for i in report["items"]] == ["cal-01", "cal-02", "cal-03"]
    assert [i["label"] for i in report["items"]] == [10, 1, 10]
    parsed = [i for i in report["items"] if i["judge"] is not None]
    assert report["n_parsed"] == len(parsed)
    assert report["accuracy"] == pytest.approx(sum((i["judge"] >= 5.5) == (i["label"] >= 5.5) for i in parsed) / 3)
    assert sum(report["confusion"]["label_good"].values()) == 2 and sum(report["confusion"]["label_bad"].values()) == 1
