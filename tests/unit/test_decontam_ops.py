"""Operators as tokens (words(ops=True)) and the matcher's 'near copy same arithmetic': evasions and false flags."""

from __future__ import annotations

import json

import pytest

from curation.dedup import word_spans, words
from curation.dedup.decontam import DecontamConfig, Decontaminate
from curation.dedup.decontam_cli import locate
from curation.dedup.near_copy import NearCopyIndex, arithmetic
from ground.record import new_sample

ITEMS = [{"id": "mul", "q": "What is 17 * 25?"}, {"id": "sub", "q": "What is 120 - 7?"}, {"id": "half", "q": "What is 1/2 of 10?"},
         {"id": "big", "q": "What is 1000 + 25?"}, {"id": "dec", "q": "What is 2.5 * 4?"}, {"id": "pow", "q": "What is 2^10 + 5?"},
         {"id": "score", "q": "What is 3 - 2?"}, {"id": "date", "q": "What is 12 / 25?"},
         {"id": "cap", "q": "What is the capital city of France?"}, {"id": "solve", "q": "Solve x - 3 = 7."},
         {"id": "five", "q": "What is 5 + 3?"}, {"id": "fivem", "q": "What is 5 - 3?"},
         {"id": "long", "q": "Tom has 3 red apples and 4 green apples in a basket on the table and Ann has 5 more apples "
                             "than Tom. How many apples do they have?"}]


def row(pid: str, prompt: str) -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, completion="", messages=[{"role": "user", "content": prompt}])


@pytest.fixture(scope="module")
def step(tmp_path_factory):
    p = tmp_path_factory.mktemp("ops") / "b.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in ITEMS))
    return Decontaminate(DecontamConfig(benchmarks=[{"name": "b", "path": str(p), "field": "q", "id_field": "id"}]))


def flags(step, rows: dict[str, str]) -> dict[str, str | None]:
    return {r["prompt_id"]: r["reject_reason"] for r in step([row(k, v) for k, v in rows.items()])}


def test_an_operator_written_another_way_is_the_operator(step):
    """Was: once '-' and '*' were tokens, a copy that wrote them as a dash, a dot or another cross ('120 – 7', '17 · 25',
    '17 ✕ 25', '½', LaTeX's \\cdot) lost the token and was no exact copy (before operators were tokens it was one)."""
    got = flags(step, {"en": "What is 120 – 7?", "em": "What is 120 — 7?", "fig": "What is 120 ‒ 7?", "mid": "What is 17 · 25?",
                       "dot": "What is 17 ⋅ 25?", "cross": "What is 17 ✕ 25?", "heavy": "What is 17 ✖ 25?",
                       "half": "What is ½ of 10?", "cdot": "What is $17\\cdot25$?", "times": "What is $17 \\times 25$?",
                       "pow": "What is 2**10 + 5?"})
    mul, sub = "contaminated: b#mul exact copy 'what is 17 * 25'", "contaminated: b#sub exact copy 'what is 120 - 7'"
    assert got == {"en": sub, "em": sub, "fig": sub, "mid": mul, "dot": mul, "cross": mul, "heavy": mul, "cdot": mul, "times": mul,
                   "half": "contaminated: b#half exact copy 'what is 1 / 2 of 10'",
                   "pow": "contaminated: b#pow exact copy 'what is 2 ^ 10 + 5'"}


def test_markdown_emphasis_and_bullets_are_no_operators(step):
    """Was: '*' was a token wherever it stood, so a copy in markdown ('**bold**', '*italic*', '* ' bullets) had extra
    tokens: '**What is the capital city of France?**' was no exact copy, and bold numbers cut every 13-gram of an item."""
    bold = ("Tom has **3** red apples and **4** green apples in a basket on the table and Ann has **5** more apples than "
            "Tom. **How many apples do they have?**")
    assert words("lay **16** eggs, *fresh* ones\n* one\n* two", ops=True) == ["lay", "16", "eggs", "fresh", "ones", "one", "two"]
    assert words("17*25 + 2 ** 3 = x", ops=True) == ["17", "*", "25", "+", "2", "^", "3", "=", "x"]
    got = flags(step, {"b": "**What is the capital city of France?**", "i": "*What is the capital city of France?*", "long": bold})
    assert got == {"b": "contaminated: b#cap exact copy 'what is the capital city of france'",
                   "i": "contaminated: b#cap exact copy 'what is the capital city of france'",
                   "long": "contaminated: b#long 13-gram 'tom has 3 red apples and 4 green apples in a basket on the t ...'"}


def test_what_a_text_computes_is_read_from_the_text(step):
    """Was: the matcher read the arithmetic from its tokens, which drop ',' and '.': '1,000 + 25' computed 0 + 1 + 25
    (no copy of '1000 + 25') and '4.5 * 2' had the numbers 4, 5, 2 (a copy of '2.5 * 4'); '^' was no operation, so
    '10^5 + 2' was '2^10 + 5'."""
    got = flags(step, {"k": "What is 1,000 + 25?", "d": "What is 4.5 * 2?", "p": "What is 10^5 + 2?"})
    assert got == {"k": "contaminated: b#big near copy same arithmetic 'what is 1 000 + 25'", "d": None, "p": None}


def test_the_same_numbers_in_another_question_are_no_copy(step):
    """Judgement: a short text with an item's numbers and operation is that item only if it asks for the value (a bare
    expression, 'what', 'compute', '=', ...) and does not compare it: 'Is 17 * 25 odd?', a score '3-2' and a date
    '12/25' were flagged as the items 'What is 17 * 25?', 'What is 3 - 2?' and 'What is 12 / 25?'."""
    got = flags(step, {"odd": "Is 17 * 25 odd?", "big": "Is 17 * 25 bigger than 400?", "score": "The game ended 3-2.",
                       "date": "See you on 12/25.", "bare": "17 * 25 = ?", "ask": "Quick: compute 25 times 17, please."})
    assert got == {"odd": None, "big": None, "score": None, "date": None,
                   "bare": "contaminated: b#mul near copy same arithmetic '17 * 25'",
                   "ask": "contaminated: b#mul near copy same arithmetic 'quick compute 25 times 17 please'"}


def test_the_loops_near_copy_check_reads_arithmetic_as_the_matcher_does():
    """Was: near_copy's own operator regex missed the dashes, dots and crosses the matcher reads, and '2^10 + 5' was
    '10^5 + 2' there too."""
    idx = NearCopyIndex([{"id": i["id"], "text": i["q"]} for i in ITEMS], "t")
    assert idx.match("Compute 120 – 7.") == "contaminated: t#sub near copy same arithmetic 'What is 120 - 7?'"
    assert idx.match("Compute 17 · 25.") == "contaminated: t#mul near copy same arithmetic 'What is 17 * 25?'"
    assert idx.match("What is $17\\cdot25$?") == "contaminated: t#mul near copy same arithmetic 'What is 17 * 25?'"
    assert idx.match("What is 10^5 + 2?") is None and idx.match("Is 17 * 25 odd?") is None
    assert arithmetic("What is 2**10 + 5?") == arithmetic("What is 2^10 + 5?") == (("^", "+"), (2.0, 10.0, 5.0))


def test_offsets_of_an_operator_spaced_by_tabs_or_two_spaces(step):
    """Was: word_spans read an operator's spacing from the raw text, so '17  -  25' or '17\\t*\\t25' (one space once
    normalised) gave no offsets and factory decontam reported the copy without field or offsets."""
    for t in ["What is 120  -  7?", "What is 17\t*\t25?", "What is 17 \u200b×\n25?"]:
        assert [t[a:b] for a, b in word_spans(t, ops=True)] == [t[a:b] for a, b in word_spans(t.replace("\t", " "), ops=True)]
        assert len(word_spans(t, ops=True)) == len(words(t, ops=True)) == 5
    r = row("x", "Hi.\nWhat is 17 \u200b×\n25?")
    assert step([dict(r)])[0]["reject_reason"] == "contaminated: b#mul near copy same arithmetic 'hi what is 17 * 25'"
    assert locate(step, r, "near copy same arithmetic") == {"field": "prompt", "start": 0, "end": 20, "text": "Hi.\nWhat is 17 \u200b×\n25"}
    r = row("y", "What is 120  -  7?")
    assert locate(step, r, "exact copy") == {"field": "prompt", "start": 0, "end": 17, "text": "What is 120  -  7"}


def test_uneven_spacing_signs_and_columns_keep_the_operation(step):
    """Was: '+ / = ^' between letters were tokens only when spaced alike and a minus only between numbers, so
    'Solve x +3 = 7.' was an exact copy of the item 'Solve x - 3 = 7.' (both 'solve x 3 = 7'); a sign was dropped
    ('What is -5 + 3?' an exact copy of 'What is 5 + 3?', 'What is 5 - -3?' the same arithmetic as 'What is 5 - 3?');
    and a sum written in columns ('17\\n* 25') read its operator as a bullet: no copy at all."""
    assert words("Solve x +3 = 7.", ops=True) == ["solve", "x", "+", "3", "=", "7"]
    assert words("Solve x - 3 = 7; x-3", ops=True) == ["solve", "x", "-", "3", "=", "7", "x", "-", "3"]
    assert words("What is 5 - -3?", ops=True) == ["what", "is", "5", "-", "-", "3"]
    assert words("a 5-year-old x-ray\n- a bullet", ops=True) == ["a", "5", "year", "old", "x", "ray", "a", "bullet"]
    assert arithmetic("What is -5 + 3?") == (("+",), (-5.0, 3.0)) and arithmetic("What is 5 - -3?") == (("-",), (5.0, -3.0))
    assert arithmetic("17 -5") == (("-",), (17.0, 5.0))
    got = flags(step, {"plus": "Solve x +3 = 7.", "neg": "What is -5 + 3?", "negneg": "What is 5 - -3?",
                       "col": "What is\n 17\n* 25?", "sub": "What is 120\n- 7?", "minus": "Solve x-3 = 7."})
    assert got == {"plus": None, "neg": None, "negneg": None, "col": "contaminated: b#mul exact copy 'what is 17 * 25'",
                   "sub": "contaminated: b#sub exact copy 'what is 120 - 7'",
                   "minus": "contaminated: b#solve exact copy 'solve x - 3 = 7'"}


def test_the_loops_near_copy_keeps_answer_instructions_and_plain_requests():
    """Was (h-optok's gate): the loop's near-copy check asked for 'what'/'compute'/... and refused any text with
    'digits', 'more', 'right', 'round', ..., so 'What is 17 * 25? Answer in digits.' and 'Please do 17 * 25.' were no
    copy of 'What is 17 * 25?' (a session-16 test prompt leaked into the loop's training). A comparison is still no copy."""
    idx = NearCopyIndex([{"id": "mul", "text": "What is 17 * 25?"}, {"id": "sub", "text": "Solve x - 3 = 7."}], "t")
    same = "contaminated: t#mul near copy same arithmetic 'What is 17 * 25?'"
    for t in ["What is 17 * 25? Answer in digits.", "What is 17 * 25? No more than one line.", "Please do 17 * 25.",
              "17 times 25, please", "What is\n 17\n* 25?"]:
        assert idx.match(t) == same, t
    for t in ["Is 17 * 25 odd?", "Is 17 * 25 bigger than 400?", "Which is bigger, 17 * 25 or 400?", "17 * 25 is less than 500?"]:
        assert idx.match(t) is None, t
