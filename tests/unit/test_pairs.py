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


def test_dpo_records_carry_the_catalogue_and_dict_arguments_without_union_keys(tiny_model_path):
    """Was: DPO records kept the catalogue on the system message (TRL never passed it as tools=), the calls'
    arguments as JSON strings (templates ``tojson`` them: a quoted string), and an Arrow struct gave every message
    the union of keys; the recipe's train.chat_template was not used at all (tool pairs crashed the student's own)."""
    from transformers import AutoTokenizer

    from students.pairs_data import _record, pair_records
    from tests.conftest import ROOT

    spec = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"expression": "6*7"})}}
    tool_pair = {"prompt": [{"role": "system", "content": "Use tools.", "tools": [spec]}, {"role": "user", "content": "6*7?"}],
                 "chosen": [{"role": "assistant", "content": None, "tool_calls": [call]},
                            {"role": "tool", "tool_call_id": "c1", "content": "42"}, {"role": "assistant", "content": "42"}],
                 "rejected": [{"role": "assistant", "content": "48"}], "prompt_id": "t", "pair_source": "verifier"}
    plain = {"prompt": MSGS, "chosen": [{"role": "assistant", "content": "5"}], "rejected": [{"role": "assistant", "content": "6"}],
             "prompt_id": "p", "pair_source": "verifier"}
    ds = pair_records([_record(0, 0, tool_pair), _record(0, 1, plain)], drop_system=False)
    ex = ds[0]
    assert json.loads(ex["tools"]) == [spec] and ex["prompt"] == [{"role": "system", "content": "Use tools."}, tool_pair["prompt"][1]]
    assert ex["chosen"][0]["tool_calls"][0]["function"]["arguments"] == {"expression": "6*7"}
    assert ds[1]["chosen"] == plain["chosen"] and ds[1]["tools"] is None  # no keys borrowed from the other row
    dropped = pair_records([_record(0, 0, tool_pair)], drop_system=True)[0]
    assert dropped["prompt"] == [tool_pair["prompt"][1]] and json.loads(dropped["tools"]) == [spec]
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tok.chat_template = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    text = tok.apply_chat_template(ex["prompt"] + ex["chosen"], tools=json.loads(ex["tools"]), tokenize=False)
    assert '{"name": "calculator", "arguments": {"expression": "6*7"}}' in text and "<tools>" in text
