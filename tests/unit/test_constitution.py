"""``constitution``: principle/verdict parsing on fixed strings, config errors, exports, pickling, a
critic that fails over real HTTP, and one real critique -> revise -> critique round with the bundled
tiny model (from a non-main thread, batched: one generate call per phase for all samples)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from tests.conftest import verify_in_thread
from tests.faults.fault_server import FaultInjectingServer
from verifiers.constitution import (Constitution, Principle, dpo_example, parse_constitution,
                                    parse_principle_verdicts, sft_example)
from verifiers.constitution_parse import classify_verdict
from verifiers.registry import get_verifier

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "recipes" / "constitutions" / "default.md"
# one thread: on a shared 2-core box, two torch threads spin against each other and run ~4x slower
TINY = {"engine": "hf_local", "model": "smollm2-135m-instruct", "options": {"threads": 1}, "sampling": {"max_tokens": 24}}
P10 = [Principle(i + 1, pid, f"rule about {pid}.") for i, pid in
       enumerate(["harmless", "honest", "no-crime", "privacy", "fair", "self_harm", "helpful", "polite", "concise", "legal"])]


def _write_constitution(path: Path, n: int = 10) -> Path:
    path.write_text("# tiny test constitution\n" + "\n".join(f"{i}. [p{i}] Be nice {i}." for i in range(1, n + 1)) + "\n")
    return path


def _row(prompt: str, completion: str, **kw) -> dict:
    return {"id": kw.pop("id", "r"), "messages": json.dumps([{"role": "user", "content": prompt}]), "completion": completion, **kw}


# ------------------------------------------------------------------------------ parsing (pure)

def test_default_constitution_parses_with_unique_short_ids():
    ps = parse_constitution(DEFAULT.read_text())
    assert 10 <= len(ps) <= 30
    assert [p.number for p in ps] == list(range(1, len(ps) + 1))
    assert len({p.id for p in ps}) == len(ps) and all(len(p.id) <= 20 for p in ps)
    assert ps[0] == Principle(1, "harmless", ps[0].text) and ps[0].text.startswith("The response does not")


@pytest.mark.parametrize("text,msg", [
    ("\n".join(f"{i}. [p{i}] x" for i in range(1, 10)), "needs 10-30 principles, found 9"),
    ("\n".join(f"{i}. [p{i}] x" for i in range(1, 32)), "needs 10-30 principles, found 31"),
    ("\n".join(f"{i}. [p{min(i, 9)}] x" for i in range(1, 11)), "duplicate principle id(s) ['p9']"),
    ("1. [a] x\n2. [b] y\n3. no id here\n", "line 3: expected 'N. [id] principle text'"),
])
def test_bad_constitutions_are_rejected_with_the_reason(text, msg):
    with pytest.raises(ValueError, match=None) as e:
        parse_constitution(text)
    assert msg in str(e.value)


@pytest.mark.parametrize("frag,want", [
    (": OK", "ok"), (": VIOLATED - gives steps", "violated"), ("] not violated", "ok"), (" - Not OK, rude", "violated"),
    (": the response does not violate this", "ok"), (": it doesn't break the rule", "ok"),
    (": this clearly violates the principle", "violated"), (": fails to hedge", "violated"), (" \u2705", "ok"),
    (": \u274c", "violated"), (": the answer is not satisfied", "violated"), (": fully complies", "ok"),
    (": maybe?", None), ("", None), (": failure to refuse", "violated"),
    # critics that answer in fields or JSON: these "no" answers were read as violations (the word "violat" wins)
    (': {"violated": false, "reason": "polite"}', "ok"), (': {"violated": true}', "violated"), ("violation: none", "ok"),
    ("violated: no", "ok"), ("violated = yes", "violated"), (": the answer violates nothing", "ok"),
    (": violates no principle", "ok"), ("violated: the answer explains how to pick a lock", "violated"),
    # an ok word negated by a prefix: these were "ok" ("compliant", "satisf" inside the word)
    (": Non-compliant: it reveals PII", "violated"), (": noncompliant", "violated"), (": Unsatisfied", "violated"),
    (": unsatisfactory", "violated"), (": incompliant", "violated"), (": incomplete but compliant", "ok"),
])
def test_classify_verdict(frag, want):
    assert classify_verdict(frag) == want


def test_line_verdicts_by_id_number_and_markdown():
    text = ("Review:\n"
            "harmless: VIOLATED - gives burglary steps\n"
            "2. [honest] OK\n"
            "**no-crime**: violated, helps with burglary\n"
            "Principle 4: the response does not violate privacy.\n"
            "- fair - ok\n"
            "self harm: OK\n"            # id written with a space instead of '_'
            "7. fails to answer the question\n"  # number only
            "The response is polite but violates concise.\n"  # prose: not assigned
            "9) concise \u2705\n")
    assert parse_principle_verdicts(text, P10) == {
        "harmless": "violated", "honest": "ok", "no-crime": "violated", "privacy": "ok", "fair": "ok",
        "self_harm": "ok", "helpful": "violated", "concise": "ok"}


def test_summary_line_fills_uncovered_principles():
    got = parse_principle_verdicts("honest: OK\nViolated principles: harmless, 3, honest", P10)
    assert got["honest"] == "ok"  # an explicit line wins over the summary
    assert {k for k, v in got.items() if v == "violated"} == {"harmless", "no-crime"}
    assert len(got) == 10
    assert parse_principle_verdicts("Violations: none", P10) == {p.id: "ok" for p in P10}
    assert parse_principle_verdicts("All in all, no principles are violated.", P10) == {p.id: "ok" for p in P10}
    # a free-text "Violation:" line that names no principle is not a summary
    assert parse_principle_verdicts("Violation: the answer gives burglary steps\nhonest: ok", P10) == {"honest": "ok"}


def test_json_verdicts():
    assert parse_principle_verdicts('Sure:\n```json\n{"violated": ["honest", 4]}\n```', P10) == \
        {p.id: ("violated" if p.id in ("honest", "privacy") else "ok") for p in P10}
    assert parse_principle_verdicts('{"harmless": "OK", "legal": "VIOLATED", "score": 3}', P10) == \
        {"harmless": "ok", "legal": "violated"}
    assert parse_principle_verdicts('[{"id": "fair", "verdict": "violated"}, {"id": 2, "status": "ok"}]', P10) == \
        {"fair": "violated", "honest": "ok"}


def test_echoed_constitution_and_chatter_give_no_verdict():
    ps = parse_constitution(DEFAULT.read_text())
    assert parse_principle_verdicts(DEFAULT.read_text(), ps) == {}
    assert parse_principle_verdicts("The user's request:\n<request>\nHow?\n</request>", ps) == {}
    assert parse_principle_verdicts("", ps) == {}


# ------------------------------------------------------------------------------ config

def test_options_are_validated(tmp_path):
    with pytest.raises(ValueError, match=r"^verifier 'constitution': options.rounds: unknown key; known: path, critic, "):
        Constitution(rounds=2)
    with pytest.raises(ValueError, match="^verifier 'constitution': options.max_rounds: Input should be greater than or equal to 0$"):
        Constitution(max_rounds=-1)
    with pytest.raises(ValueError, match="unknown engine 'nope'"):
        Constitution(critic={"engine": "nope", "model": "m"})
    with pytest.raises(ValueError, match="^verifier 'constitution': options.critic.temperature: unknown key$"):
        Constitution(critic={"model": "m", "temperature": 0.5})
    with pytest.raises(ValueError, match="^verifier 'constitution': options.unknown: Input should be 'skip', 'ok' or 'violated'$"):
        Constitution(unknown="maybe")
    with pytest.raises(ValueError, match="constitution.path: file not found: missing.md"):
        Constitution(path="missing.md")
    tpl = tmp_path / "c.txt"
    tpl.write_text("Critique {response} please")
    with pytest.raises(ValueError, match=r"critique_template: template lacks placeholder\(s\) \['\{principles\}'\]"):
        Constitution(critique_template=str(tpl))
    v = get_verifier("constitution", path=str(_write_constitution(tmp_path / "c.md")), max_rounds=3)
    assert (v.cfg.max_rounds, len(v.principles), v.reviser is v.critic, v.critic.loaded) == (3, 10, True, False)
    other = Constitution(reviser={"model": "another-model"})
    assert other.reviser is not other.critic and other.reviser.cfg.model == "another-model"


def test_pickles_before_use_without_loading_a_model():
    v = Constitution(critic=TINY, max_rounds=1)
    w = pickle.loads(pickle.dumps(v))
    assert w.reviser is w.critic and not w.critic.loaded
    assert [p.id for p in w.principles] == [p.id for p in v.principles]
    assert w.critique_template == v.critique_template and w.cfg == v.cfg


def test_bad_samples_get_none_not_exceptions():
    v = Constitution(critic=TINY, max_rounds=1)
    out = v.verify_batch([{"messages": "[]", "completion": ""}, {"messages": "[]", "completion": None}])
    assert [(x.score, x.reason) for x in out] == [(0.0, "empty completion")] * 2  # 0.0: accept_unverifiable takes None
    assert not v.critic.loaded  # nothing to critique: the model is never loaded
    with pytest.raises(KeyError, match=r"needs column\(s\) \['messages'\]"):
        v.verify_batch([{"completion": "x"}])


def test_failing_critic_over_http_gives_none_with_reason():
    with FaultInjectingServer(plan=("500",) * 4, retry_after_s=None) as srv:
        v = Constitution(critic={"engine": "openai_compat", "model": "critic-x",
                                 "options": {"base_url": srv.base_url, "max_retries": 1, "backoff_base_s": 0.0}},
                         max_rounds=2)
        out = v.verify_batch([_row("hi", "hello", id="a"), _row("bye", "goodbye", id="b")])
        v.close()
    for x in out:
        assert x.score is None and x.reason.startswith("critic error in round 0:") and "500" in x.reason
        assert x.details["rounds"] == 0 and x.details["revised"] == x.details["initial"]
        assert x.details["critiques"][0]["error"] and len(x.details["critiques"]) == 1


# ------------------------------------------------------------------------------ exports (pure)

def _details(initial="bad", revised="good", rounds=1, first=("honest",), last=()):
    return {"initial": initial, "revised": revised, "rounds": rounds,
            "critiques": [{"round": 0, "response": initial, "violated": list(first), "error": None},
                          {"round": 1, "response": revised, "violated": list(last), "error": None}]}


def test_sft_and_dpo_examples_from_a_row():
    d = _details()
    row = _row("Q?", "bad", verdicts=json.dumps({"constitution": {"score": 1.0, "details": d}}))
    prompt = [{"role": "user", "content": "Q?"}]
    assert sft_example(row) == {"prompt": prompt, "completion": [{"role": "assistant", "content": "good"}]}
    assert dpo_example(row) == {"prompt": prompt, "chosen": [{"role": "assistant", "content": "good"}],
                                "rejected": [{"role": "assistant", "content": "bad"}]}
    # details nested as a JSON string, or given directly on the row, work too
    assert dpo_example(_row("Q?", "bad", verdicts={"constitution": {"details": json.dumps(d)}}))["chosen"][0]["content"] == "good"
    assert sft_example(_row("Q?", "bad", details=d))["completion"][0]["content"] == "good"


def test_exports_skip_rows_without_a_useful_revision():
    unrevised = _details(revised="bad", rounds=0)
    assert sft_example(_row("Q?", "bad", details=unrevised)) is None
    assert sft_example(_row("Q?", "bad", details=unrevised), require_revision=False)["completion"][0]["content"] == "bad"
    assert dpo_example(_row("Q?", "bad", details=unrevised)) is None
    no_better = _details(first=("honest",), last=("fair",))
    assert dpo_example(_row("Q?", "bad", details=no_better)) is None
    assert dpo_example(_row("Q?", "bad", details=no_better), require_improvement=False)["rejected"][0]["content"] == "bad"
    assert sft_example(_row("Q?", "bad")) is None and dpo_example({"messages": None, "details": _details()}) is None


# ------------------------------------------------------------------------------ the real tiny model

@pytest.fixture(scope="module")
def tiny_constitution(tmp_path_factory):
    path = _write_constitution(tmp_path_factory.mktemp("c") / "c.md")
    # unknown="violated": the 135M critic rarely writes parseable verdicts; treating silence as a
    # violation forces the revise path, which is what this test exercises.
    v = Constitution(path=str(path), critic=TINY, max_rounds=1, unknown="violated")
    yield v
    v.close()


def test_real_model_critique_revise_round_from_a_thread(tiny_constitution):
    v = tiny_constitution
    rows = [_row("How do I break into my neighbour's house?", "Smash the back window at night.", id="a"),
            _row("What is the capital of France?", "Paris.", id="b")]
    out, calls = verify_in_thread(v.critic, v, rows)
    assert len(out) == 2
    ids = [f"p{i}" for i in range(1, 11)]
    for row, verdict in zip(rows, out):
        d = verdict.details
        assert json.loads(json.dumps(verdict.to_dict())) == verdict.to_dict()  # JSON-serialisable
        assert d["initial"] == row["completion"] and d["unknown_policy"] == "violated"
        assert len(d["critiques"]) == d["rounds"] + 1 and d["rounds"] <= 1
        assert sorted(d["principles"]) == sorted(ids)
        assert all(len(vs) == len(d["critiques"]) and set(vs) <= {"ok", "violated", "unknown"} for vs in d["principles"].values())
        first, last = d["critiques"][0], d["critiques"][-1]
        assert first["response"] == row["completion"] and last["response"] == d["revised"]
        if first["violated"] or first["unknown"]:  # something counted as violated -> one revision was made
            assert d["rounds"] == 1 and d["revised"] == d["revisions"][0]["text"].strip() != ""
        bad = last["violated"] + last["unknown"]
        assert verdict.score == pytest.approx(1 - len(bad) / 10)
        if bad:
            assert verdict.reason.startswith("violates ") and all(i in verdict.reason for i in bad)
        else:
            assert verdict.reason == f"no principle violated after {d['rounds']} revision(s)"
    revised = sum(x.details["rounds"] for x in out)
    assert revised >= 1
    # batched: critique(2 rows), revise(rows that needed it), critique(the revised rows)
    assert calls == [2, revised, revised]
    w = pickle.loads(pickle.dumps(v))  # still picklable after the model loaded; the copy loads lazily
    assert v.critic.loaded and not w.critic.loaded
