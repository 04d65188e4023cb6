"""DPO pairs from verifier pass/fail and constitutional revisions."""

import json

import pytest

from ground.record import new_sample, reject
from students.pairs import build_pairs

MSGS = [{"role": "user", "content": "What is 2+3?"}]


def row(pid: str, k: int, text: str, status: str = "accepted", stage: str | None = None, score: float | None = 1.0,
        reason: str = "wrong answer", verdicts: dict | None = None) -> dict:
    r = new_sample(stage="t", prompt_id=pid, sample_index=k, messages=MSGS, completion=text, score=score,
                   verdicts=json.dumps(verdicts or {}))
    if status == "rejected":
        reject(r, stage, reason)
    return r


def test_verifier_pairs_pass_vs_fail_of_the_same_prompt():
    rows = [
        row("p1", 0, "5", score=1.0),
        row("p1", 1, "6", "rejected", "verify:math_answer", 0.0),
        row("p1", 2, "7", "rejected", "verify:math_answer", 0.0),
        row("p2", 0, "9", score=1.0),  # no failing sample: no pair
        row("p3", 0, "1", "rejected", "verify:math_answer", 0.0),  # no passing sample: no pair
        row("p1", 3, "x", "rejected", "verify:math_answer", None, reason="unverifiable: no number"),  # not a signal
        row("p1", 4, "5", "rejected", "dedup_exact", 1.0, reason="duplicate"),  # dedup reject: not a fail
    ]
    pairs, stats = build_pairs(rows, source="verifier", max_per_prompt=4)
    got = [(p["prompt_id"], p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs]
    assert got == [("p1", "5", "6"), ("p1", "5", "7")]
    assert pairs[0]["prompt"] == MSGS and pairs[0]["pair_source"] == "verifier"
    assert stats == {"rows_in": 7, "verifier_pairs": 2, "prompts_only_pass": 1, "prompts_only_fail": 1, "pairs": 2}


def test_verifier_pairs_capped_per_prompt_and_identical_texts_skipped():
    rows = [row("p", k, str(k)) for k in range(3)] + [row("p", 10 + k, f"bad{k}", "rejected", "verify:v", 0.0) for k in range(5)]
    pairs, _ = build_pairs(rows, source="verifier", max_per_prompt=2)
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs] == [("0", "bad0"), ("1", "bad1")]
    same = [row("q", 0, "5"), row("q", 1, " 5 ", "rejected", "verify:v", 0.5)]
    assert build_pairs(same, source="verifier")[0] == []


def test_constitution_pairs_revised_is_chosen():
    details = {"initial": "rude answer", "revised": "polite answer", "rounds": 1,
               "critiques": [{"round": 0, "response": "rude answer", "violated": ["p1"], "error": None},
                             {"round": 1, "response": "polite answer", "violated": [], "error": None}]}
    r = row("c1", 0, "polite answer", verdicts={"constitution": {"score": 1.0, "details": details}})
    unrevised = row("c2", 0, "fine", verdicts={"constitution": {"score": 1.0, "details": {**details, "rounds": 0,
                                                                                           "revised": "rude answer"}}})
    pairs, stats = build_pairs([r, unrevised], source="constitution")
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"], p["pair_source"]) for p in pairs] == \
        [("polite answer", "rude answer", "constitution")]
    assert stats["constitution_pairs"] == 1
    both, st = build_pairs([r, row("c1", 1, "wrong", "rejected", "verify:v", 0.0)], source="both")
    assert sorted(p["pair_source"] for p in both) == ["constitution", "verifier"] and st["pairs"] == 2


def test_unknown_source_is_an_error():
    with pytest.raises(ValueError, match="verifier|constitution|both"):
        build_pairs([], source="judge")


def test_pairs_keep_earlier_assistant_turns_of_a_multi_turn_prompt():
    """Was: the prompt of a pair dropped every assistant message, so a multi-turn source's history lost its
    assistant turns ([system, user, user]) in DPO training and in ``factory export --format preference``."""
    chat = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "My name is Zoë."},
            {"role": "assistant", "content": "Hi Zoë!"}, {"role": "user", "content": "What is my name?"}]
    good = new_sample(stage="t", prompt_id="m", sample_index=0, messages=chat, completion="Zoë.", score=1.0)
    bad = new_sample(stage="t", prompt_id="m", sample_index=1, messages=chat, completion="Bob.", score=0.0)
    reject(bad, "verify:judge", "wrong name")
    details = {"initial": "rude", "revised": "polite", "rounds": 1,
               "critiques": [{"round": 0, "response": "rude", "violated": ["p1"], "error": None},
                             {"round": 1, "response": "polite", "violated": [], "error": None}]}
    rev = new_sample(stage="t", prompt_id="c", sample_index=0, messages=chat, completion="polite", score=1.0,
                     verdicts=json.dumps({"constitution": {"score": 1.0, "details": details}}))
    pairs, stats = build_pairs([good, bad, rev], source="both")
    assert stats["pairs"] == 2 and [p["prompt"] for p in pairs] == [chat, chat]
