"""Length, language and format filters: kept/dropped rows with their exact reasons, the real bundled
tokenizer and language model, recipe wiring (order, stats, errors)."""

from __future__ import annotations

import json
import pickle
import socket
from pathlib import Path

import pytest

from curation.plan import build_steps, run_steps, stage_names
from ground.errors import RecipeError
from curation.filters.format import FormatConfig, FormatFilter, code_fences
from curation.filters.language import LABELS, LanguageConfig, LanguageFilter, prose
from curation.filters.length import LengthConfig, LengthFilter
from factory.recipe import parse_recipe
from ground.record import new_sample
from factory.stats import stage_stats
from ground.step import StepError

FILES = Path(__file__).resolve().parents[1] / "fixtures" / "bad_recipes" / "files"

DE = "Der Zug nach Berlin hatte heute Morgen wegen eines Signalfehlers fast eine Stunde Verspätung."
FR = "Le train pour Paris avait presque une heure de retard ce matin à cause d'une panne de signalisation."
EN = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May."
FIB = "```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\nprint([fib(i) for i in range(10)])\n```"
EN_CODE = "Here is an iterative version that runs in linear time:\n\n" + FIB


def row(completion: str | None, prompt: str = "Solve it.", reasoning: str | None = None, finish_reason: str = "stop", i: int = 0) -> dict:
    return new_sample(stage="gen", prompt_id=f"p{i}", sample_index=0, completion=completion, reasoning=reasoning,
                      finish_reason=finish_reason,
                      messages=[{"role": "system", "content": "You are helpful."}, {"role": "user", "content": prompt}])


def outcome(rows: list[dict]) -> list[str | None]:
    """None for a kept row, else its reject reason."""
    return [None if r["status"] == "accepted" else r["reject_reason"] for r in rows]


# ---------------------------------------------------------------- length

def test_length_words_min_and_max_with_reasons():
    rows = [row("one"), row("one two three"), row("a b c d e f g"), row("a b c d e f")]
    step = LengthFilter(LengthConfig(min_completion=2, max_completion=6))
    step(rows)
    assert outcome(rows) == ["length: completion 1 words < min 2", None, "length: completion 7 words > max 6", None]
    assert rows[0]["reject_stage"] == "length"
    assert dict(step.counts) == {"completion < min": 1, "completion > max": 1}


def test_length_prompt_counts_every_message_and_reasoning_null_counts_zero():
    rows = [row("ok", prompt="one two three four"), row("ok", prompt="short", reasoning=None),
            row("ok", prompt="short", reasoning="think think")]
    # "You are helpful." (3 words) + the user message
    LengthFilter(LengthConfig(max_prompt=5, min_reasoning=1))(rows)
    assert outcome(rows) == ["length: prompt 7 words > max 5", "length: reasoning 0 words < min 1", None]


def test_length_already_rejected_rows_are_left_alone():
    rows = [row("a b c d"), row("a b c d")]
    rows[0].update(status="rejected", reject_stage="verify:x", reject_reason="wrong answer")
    LengthFilter(LengthConfig(max_completion=2))(rows)
    assert outcome(rows) == ["wrong answer", "length: completion 4 words > max 2"]


def test_length_counts_with_the_real_bundled_tokenizer(tiny_model_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    text = "Natalia sold 48/2 = 24 clips in May, so 48 + 24 = 72 clips altogether. The answer is 72."
    n = len(tok.encode(text))
    assert n == len(tok.encode(text, add_special_tokens=False)) and n != len(text.split())  # tokens, not words
    step = LengthFilter(LengthConfig(tokenizer="smollm2-135m-instruct", max_completion=n - 1))
    assert step.count([text, "Hello world"]) == [n, len(tok.encode("Hello world"))]
    rows = [row(text), row("The answer is 72.")]
    step(rows)
    assert outcome(rows) == [f"length: completion {n} tokens > max {n - 1}", None]
    keep = [row(text)]
    LengthFilter(LengthConfig(tokenizer="smollm2-135m-instruct", max_completion=n))(keep)
    assert outcome(keep) == [None]
    # prompt tokens: each message encoded on its own, counts added
    prompt_rows = [row("x", prompt=text)]
    expected = len(tok.encode("You are helpful.")) + n
    LengthFilter(LengthConfig(tokenizer="smollm2-135m-instruct", max_prompt=expected - 1))(prompt_rows)
    assert outcome(prompt_rows) == [f"length: prompt {expected} tokens > max {expected - 1}"]


@pytest.mark.parametrize("kwargs,msg", [
    ({}, "at least one bound"),
    ({"max_completion": -1}, "max_completion must be an integer >= 0"),
    ({"max_completion": "512"}, "max_completion must be an integer >= 0"),
    ({"min_prompt": 10, "max_prompt": 5}, "min_prompt (10) is greater than max_prompt (5)"),
    ({"max_completion": 5, "tokenizer": "no-such-model"}, "unknown model 'no-such-model'"),
])
def test_length_config_errors(kwargs, msg):
    with pytest.raises(ValueError) as e:
        LengthConfig(**kwargs)
    assert msg in str(e.value)


def test_length_pickles_without_its_tokenizer_and_checks_columns(tiny_model_path):
    step = LengthFilter(LengthConfig(tokenizer="smollm2-135m-instruct", max_completion=3))
    step.count(["warm up"])
    assert step._tok is not None
    clone = pickle.loads(pickle.dumps(step))
    assert clone._tok is None and clone.count(["warm up"]) == step.count(["warm up"])
    with pytest.raises(StepError, match="'length' needs column"):
        LengthFilter(LengthConfig(max_reasoning=3))([{"status": "accepted", "completion": "x"}])


# ---------------------------------------------------------------- language

def test_german_and_french_are_rejected_by_an_english_filter():
    rows = [row(DE), row(FR), row(EN)]
    step = LanguageFilter(LanguageConfig(langs=["en"]))
    step(rows)
    assert outcome(rows) == ["language: de (1.00) not in [en]", "language: fr (1.00) not in [en]", None]
    assert rows[0]["reject_stage"] == "language" and dict(step.counts) == {"de": 1, "fr": 1}


def test_english_answer_with_a_python_block_is_kept():
    step = LanguageFilter(LanguageConfig(min_confidence=0.95))
    raw_en = dict(step._identifier().rank(EN_CODE))["en"]
    assert raw_en < 0.95  # on the raw text the code drags English below the threshold ...
    assert step.detect(EN_CODE)[0][0] == "en" and step.detect(EN_CODE)[0][1] >= 0.95  # ... on the prose it is not
    rows = [row(EN_CODE)]
    step(rows)
    assert outcome(rows) == [None]


def test_prose_strips_code_math_and_numbers_but_keeps_dollar_amount_words():
    text = "Use `x = 1`:\n```python\nprint(x)\n```\nso $x^2$ costs $5 and $7 each.\n$$\\int_0^1 x\\,dx$$ see https://example.com/a."
    assert prose(text) == "Use so costs and each. see"


def test_short_prose_is_not_judged_and_confidence_threshold_is_applied():
    rows = [row("The answer is 72."), row("Das ist 72."), row(EN)]
    LanguageFilter(LanguageConfig(min_confidence=0.999))(rows)
    assert outcome(rows) == [None, None, "language: en (0.98) < min_confidence 0.999"]


def test_allowed_list_prompt_and_reasoning():
    rows = [row(DE), row(EN, prompt=FR), row(EN, reasoning=DE)]
    LanguageFilter(LanguageConfig(langs=["en", "de"]))(rows)
    assert outcome(rows) == [None, None, None]
    rows = [row(EN, prompt=FR, i=1), row(DE, prompt=EN, i=2)]
    LanguageFilter(LanguageConfig(on="prompt"))(rows)
    assert outcome(rows) == ["language: fr (1.00) not in [en] (prompt)", None]
    rows = [row(EN, reasoning=DE)]
    LanguageFilter(LanguageConfig(on="completion"))(rows)
    assert outcome(rows) == ["language: de (1.00) not in [en] (reasoning)"]


def test_language_model_ships_in_the_wheel_and_never_touches_the_network(monkeypatch):
    import py3langid

    assert (Path(py3langid.__file__).parent / "data" / "model.npz.xz").is_file()

    def no_network(*a, **k):
        raise AssertionError("the language filter opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    step = LanguageFilter()
    assert step.detect(DE)[0][0] == "de"
    assert sorted(LABELS) == sorted(step._identifier().labels)  # the recipe-time list matches the model


@pytest.mark.parametrize("kwargs,msg", [
    ({"langs": ["english"]}, "unknown language code(s) ['english']"),
    ({"langs": []}, "non-empty list"),
    ({"min_confidence": 0}, "min_confidence must be in (0, 1]"),
    ({"on": "messages"}, "LanguageConfig.on must be one of"),
    ({"min_chars": -1}, "min_chars must be an integer >= 0"),
])
def test_language_config_errors(kwargs, msg):
    with pytest.raises(ValueError) as e:
        LanguageConfig(**kwargs)
    assert msg in str(e.value)


def test_language_pickles_without_its_model():
    step = LanguageFilter(LanguageConfig(langs=["en", "fr"]))
    step.detect(EN)
    clone = pickle.loads(pickle.dumps(step))
    assert clone._ident is None and clone.config.langs == ["en", "fr"] and clone.detect(FR)[0][0] == "fr"


# ---------------------------------------------------------------- format

def fmt(checks: list[str], completions: list[str], **kw) -> list[str | None]:
    rows = [row(c, i=i) for i, c in enumerate(completions)]
    FormatFilter(FormatConfig(checks=checks, **kw))(rows)
    return outcome(rows)


def test_json_whole_completion_and_fenced_block():
    good = ['{"answer": 72}', 'Here you go:\n```json\n{"answer": 72, "steps": [1, 2]}\n```\nDone.', " [1, 2] \n"]
    assert fmt(["json"], good) == [None, None, None]
    bad = ['{"answer": 72 "steps": []}', 'Sure:\n```json\n{"answer": 72,\n "steps" [1]}\n```', "The answer is 72.", ""]
    assert fmt(["json"], bad) == [
        "format: json: Expecting ',' delimiter at line 1 col 15",
        "format: json: Expecting ':' delimiter at line 4 col 10",  # line 4 of the completion, line 2 of the block
        "format: json: Expecting value at line 1 col 1",
        "format: json: Expecting value at line 1 col 1",
    ]


def test_json_required_keys():
    assert fmt(["json"], ['{"answer": 1}', '{"steps": []}', "[1]"], json_keys=["answer"]) == [
        None, "format: json: missing key(s) ['answer']", "format: json: expected an object with keys ['answer'], got list"]


def test_python_blocks_and_whole_completion():
    good_fenced = "Answer:\n```python\nprint(1)\n```\nand\n```py\ndef f(x):\n    return x\n```"
    bad_fenced = "Answer:\n```python\nprint(1)\n```\nand\n```py\ndef f(x:\n    return x\n```"
    js_only = "In JS:\n```js\nconst x = ;\n```"
    assert fmt(["python"], [good_fenced, bad_fenced, "x = [1, 2]\nprint(x)\n", "x = (1,\n", EN_CODE, js_only, EN]) == [
        None,
        "format: python: '(' was never closed at line 7 col 6",
        None,
        "format: python: '(' was never closed at line 1 col 5",
        None,
        None,  # no python fence, but fences: nothing to check
        "format: python: invalid syntax at line 1 col 9",  # no fence at all: the whole completion must parse
    ]


def test_markdown_fences_balanced():
    ok = "a\n```python\nx = 1\n```\n\n~~~~\n```not a closer inside tildes\n~~~~\n"
    assert fmt(["markdown"], [ok, "a\n```\nb\n```\n```py\nx\n", "````\ncode\n```\n"]) == [
        None, "format: markdown: unclosed code fence opened at line 5", "format: markdown: unclosed code fence opened at line 1"]
    assert [f.lang for f in code_fences(ok)] == ["python", ""]


def test_regex_check():
    assert fmt(["regex"], ["so the answer is 72.", "so it is 72"], pattern=r"answer is -?\d+") == [
        None, "format: regex: no match for 'answer is -?\\\\d+'"]


def test_no_truncation():
    rows = [row("All done.", finish_reason="length"), row("<think>let me see", i=1), row("Code:\n```python\nx = 1", i=2),
            row("Fine.\n```\nx\n```", i=3)]
    step = FormatFilter(FormatConfig(checks=["no_truncation"]))
    step(rows)
    assert outcome(rows) == ["format: no_truncation: finish_reason length (stopped at max_tokens)",
                             "format: no_truncation: unclosed <think> at line 1 col 1",
                             "format: no_truncation: ends inside a code fence opened at line 2", None]
    assert dict(step.counts) == {"no_truncation": 3}


def test_checks_run_in_the_listed_order():
    text = "```json\n{bad\n"
    assert fmt(["markdown", "json"], [text]) == ["format: markdown: unclosed code fence opened at line 1"]
    assert fmt(["json", "markdown"], [text]) == ["format: json: Expecting property name enclosed in double quotes at line 2 col 2"]


@pytest.mark.parametrize("kwargs,msg", [
    ({}, "checks must be a non-empty list"),
    ({"checks": ["yaml"]}, "checks must be a non-empty list"),
    ({"checks": ["json", "json"]}, "lists a check twice"),
    ({"checks": ["regex"]}, "pattern is required with the regex check"),
    ({"checks": ["json"], "pattern": "x"}, "pattern is required with the regex check, and only used with it"),
    ({"checks": ["regex"], "pattern": "(unclosed"}, "pattern is not a valid regex: missing ), unterminated subpattern at position 0"),
    ({"checks": ["python"], "json_keys": ["a"]}, "json_keys is only used with the json check"),
])
def test_format_config_errors(kwargs, msg):
    with pytest.raises(ValueError) as e:
        FormatConfig(**kwargs)
    assert msg in str(e.value)


def test_format_pickles():
    clone = pickle.loads(pickle.dumps(FormatFilter(FormatConfig(checks=["regex"], pattern="72"))))
    assert clone.check("72") is None and clone.check("71") == "regex: no match for '72'"


# ---------------------------------------------------------------- recipe wiring

BASE = (FILES / "base_ok.yaml").read_text()


def recipe(extra: str):
    return parse_recipe(BASE + extra, str(FILES / "inline.yaml"))


def test_recipe_filters_become_steps_in_order_and_counts_land_in_stats():
    r = recipe("filters:\n  format: {checks: [json]}\n  language: {langs: [en]}\n  length: {max_completion: 20}\n"
               "  pii: {mode: drop}\ndedup:\n  minhash: {compare: completion}\n")
    steps = build_steps(r)
    assert [s.name for s in steps] == stage_names(r) == ["pii", "length", "language", "format", "dedup_exact", "minhash"]
    rows = [row('{"a": "mail bob@example.com"}', i=0), row('{"a": "' + "x " * 30 + '"}', i=1),
            row(json.dumps({"a": DE}), i=2), row("not json", i=3), row('{"a": 1}', i=4), row('{"a": 2}', i=5)]
    rows, _ = run_steps(steps, rows)
    assert [r["reject_stage"] for r in rows] == ["pii", "length", "language", "format", None, None]
    stats = stage_stats(rows, stage_names(r))
    assert {k: (v["in"], v["out"], v["dropped"]) for k, v in stats.items()} == {
        "pii": (6, 5, {"pii": 1}), "length": (5, 4, {"length": 1}), "language": (4, 3, {"language": 1}),
        "format": (3, 2, {"format": 1}), "dedup_exact": (2, 2, {}), "minhash": (2, 2, {})}


@pytest.mark.parametrize("extra,line,field,msg", [
    ("filters:\n  length: {max_tokens: 512}\n", 19, "filters.length.max_tokens", "unknown key"),
    ("filters:\n  language: {langs: [english]}\n", 19, "filters.language.langs",
     "LanguageConfig.langs: unknown language code(s) ['english']"),
    ("filters:\n  pii: {mode: drop}\n  format: {checks: [regex]}\n", 20, "filters.format", "FormatConfig.pattern is required"),
    ("filters:\n  language: {on: both}\n", 19, "filters.language.on", "a key parsed as true (YAML reads `on:` as a boolean): "
                                                                        "write `compare:` instead"),
    ("filters:\n  lenght: {max_completion: 5}\n", 19, "filters.lenght", "unknown filter 'lenght'; known: pii, length"),
])
def test_recipe_errors_name_the_filter_and_line(extra, line, field, msg):
    """The key path goes as deep as the problem (the filter's own config is part of the recipe schema)."""
    with pytest.raises(RecipeError) as e:
        recipe(extra)
    assert (e.value.line, e.value.field) == (line, field)
    assert e.value.message.startswith(msg)


def test_recipe_language_uses_compare_for_on():
    r = recipe("filters:\n  language: {compare: both, langs: [en, de]}\n")
    (step,) = [s for s in build_steps(r) if s.name == "language"]
    assert step.config.on == "both" and step.requires == ("messages", "completion")


def test_unfenced_code_is_not_judged_as_prose():
    """Was: a code completion without a fence (HumanEval's format: the function body) was judged as prose: 110 of
    HumanEval's 164 canonical solutions were rejected ('en (0.30) < min_confidence 0.5', 'pcm (0.25) not in [en]')."""
    body = "    mean = sum(numbers) / len(numbers)\n    return sum(abs(x - mean) for x in numbers) / len(numbers)\n"
    xor = ("    def xor(i, j):\n        if i == j:\n            return '0'\n        else:\n            return '1'\n\n"
           "    return ''.join(xor(x, y) for x, y in zip(a, b))\n")
    assert prose(body) == "" and prose(xor) == ""
    doc = 'def fib(n: int):\n    """Return n-th Fibonacci number.\n    >>> fib(10)\n    55\n    """\n    return n  # the base case\n'
    assert prose(doc) == "Return n-th Fibonacci number. the base case"  # a program's prose: docstrings and comments
    rows = [row(body), row(xor, i=1), row(doc.replace("Return n-th Fibonacci number.", DE), i=2)]
    LanguageFilter()(rows)
    assert outcome(rows)[:2] == [None, None] and outcome(rows)[2].startswith("language: de")


def test_a_prompt_in_content_parts_is_measured_and_judged():
    """Was: the length and language filters read only string contents, so a user turn given as content parts
    ([{"type": "text", "text": ...}]) counted 0 words and was never judged."""
    r = row("ok")
    r["messages"] = json.dumps([{"role": "user", "content": [{"type": "text", "text": DE}]}])
    rows = [r]
    LengthFilter(LengthConfig(max_prompt=5))(rows)
    assert outcome(rows) == ["length: prompt 14 words > max 5"]
    r2 = dict(r, status="accepted", reject_stage=None, reject_reason=None)
    LanguageFilter(LanguageConfig(on="prompt"))([r2])
    assert outcome([r2])[0].startswith("language: de") and outcome([r2])[0].endswith("(prompt)")


def test_a_huge_completion_is_judged_without_parsing_it_as_python():
    """A 1 MB completion: the parser ran out of memory on one 1 MB line of words (MemoryError, not a verdict)."""
    assert prose("word " * 200_000).startswith("word word")
    assert set(prose("x = 1\n" * 100_000).split()) == {"x"}  # too big to parse: judged as text


def test_a_tool_trace_is_judged_on_its_turns_not_its_json():
    """Was: the raw JSON of a trace was judged, its keys ("role", "assistant", "content") as words: the English
    trace below was rejected 'en (0.23) < min_confidence 0.5', a Spanish one reported as 'ext (0.25)'."""
    def trace(answer: str) -> str:
        call = {"id": "call_0_0", "type": "function", "function": {"name": "unit_convert", "arguments": json.dumps({"value": 5, "from": "mile"})}}
        return json.dumps([{"role": "assistant", "content": None, "tool_calls": [call]},
                           {"role": "tool", "tool_call_id": "call_0_0", "content": "8.04672"},
                           {"role": "assistant", "content": answer}])
    rows = [row(trace("The result is 42.")), row(trace(DE), i=1)]
    LanguageFilter()(rows)
    assert outcome(rows) == [None, "language: de (1.00) not in [en]"]


ZH_MATH = "小明有48个夹子，卖了一半，还剩48/2=24个。所以他一共卖了48+24=72个夹子。答案：72"


def test_a_chinese_answer_with_a_formula_in_it_is_judged():
    """Was: a sentence of a script written without spaces is one whitespace "word"; a formula inside it
    ("还剩48/2=24个") made the whole sentence a formula word, the prose came out empty, the row was never judged,
    and an English filter kept Chinese math answers."""
    assert prose(ZH_MATH) == "小明有 个夹子，卖了一半，还剩 个。所以他一共卖了 个夹子。答案："
    rows = [row(ZH_MATH), row(EN + " So 48/2=24 clips.", i=1)]
    LanguageFilter()(rows)
    assert outcome(rows) == ["language: zh (0.60) not in [en]", None]


def test_an_allowed_chinese_takes_mandarin_the_model_ranks_as_wu():
    """Was: short Mandarin is often ranked Wu first (py3langid's 'wuu'), so a Chinese filter rejected it:
    'wuu (0.55) not in [zh]'. An allowed macrolanguage counts its members' probability."""
    zh = "小明一共卖了七十二个夹子，所以答案是七十二个夹子。"
    rows = [row(zh), row(EN, i=1), row(ZH_MATH, i=2)]
    LanguageFilter(LanguageConfig(langs=["zh"]))(rows)
    assert outcome(rows) == [None, "language: en (0.98) not in [zh]", None]
    rows = [row(zh, i=3)]
    LanguageFilter(LanguageConfig(langs=["wuu"], min_confidence=0.6))(rows)  # a member alone is not its macrolanguage
    assert outcome(rows) == ["language: wuu (0.55) < min_confidence 0.6"]


def test_a_json_answer_is_judged_on_its_string_values():
    """Was: a structured-output completion was judged with its keys and punctuation as words: this English
    answer was rejected 'la (0.11) not in [en]' (a recipe with format: json and language: en dropped every row)."""
    js = json.dumps({"name": "Alice", "age": 30, "city": "Paris", "tags": ["a", "b"]})
    assert prose(js) == "Alice Paris a b"
    de = json.dumps({"summary": DE, "score": 3})
    rows = [row(js), row(de, i=1), row(json.dumps({"answer": EN}), i=2)]
    LanguageFilter()(rows)
    assert outcome(rows) == [None, "language: de (1.00) not in [en]", None]


def test_a_tool_trace_is_measured_on_its_turns_not_its_json():
    """Was: the raw JSON of a trace was counted, its keys, nulls and call ids as words: this 13-word trace was
    'length: completion 34 words > max 20'."""
    call = {"id": "call_0_0", "type": "function", "function": {"name": "unit_convert",
            "arguments": json.dumps({"value": 5, "from": "mile", "to": "km"})}}
    trace = json.dumps([{"role": "assistant", "content": None, "tool_calls": [call]},
                        {"role": "tool", "tool_call_id": "call_0_0", "content": "8.04672"},
                        {"role": "assistant", "content": "Five miles is about 8.05 km."}])
    rows = [row(trace), row(trace, i=1)]
    LengthFilter(LengthConfig(max_completion=20))(rows[:1])
    LengthFilter(LengthConfig(max_completion=12))(rows[1:])
    assert outcome(rows) == [None, "length: completion 13 words > max 12"]
