"""The tool-use eval scorer (students/tool_eval.py) on known outputs: real parsing, real AST checks.

Run: pytest -q tests/unit/test_tool_eval.py
"""

import json

import pytest

from ground.errors import FactoryError
from students.eval_table import summary_rows
from students.tool_eval import prompts_have_tools, score_call, score_tool_calls
from teachers.base import GenResult
from teachers.hf_local import as_trace
from teachers.step import read_template

AREA = {"type": "function", "function": {"name": "calculate_triangle_area", "parameters": {"type": "dict", "properties": {
    "base": {"type": "integer"}, "height": {"type": "integer"}, "unit": {"type": "string"}}, "required": ["base", "height"]}}}
WEATHER = {"type": "function", "function": {"name": "weather.get", "parameters": {"type": "dict", "properties": {
    "city": {"type": "string"}}, "required": ["city"]}}}


def row(completion: str, tools: list, reference: list, category: str) -> dict:
    msgs = [{"role": "system", "content": "Call functions.", "tools": tools}, {"role": "user", "content": "q"}]
    return {"messages": json.dumps(msgs), "completion": completion, "reference": json.dumps(reference), "category": category}


def tagged(*calls: tuple[str, dict]) -> str:
    """Calls as the tool template renders them (recipes/templates/smollm2_tools.jinja)."""
    return "".join(f'\n<tool_call>\n{{"name": "{n}", "arguments": {json.dumps(a)}}}\n</tool_call>' for n, a in calls)


AREA_REF = [{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}]
TWO_CITIES = [{"weather.get": {"city": ["Paris"]}}, {"weather.get": {"city": ["Rome"]}}]


def test_a_correct_call_scores_one():
    ok, parsable, why = score_call(row(tagged(("calculate_triangle_area", {"base": 10, "height": 5})), [AREA], AREA_REF, "simple"))
    assert (ok, parsable, why) == (True, True, "ok: calculate_triangle_area matches the possible answers")


def test_a_wrong_argument_fails_with_the_parameter_named():
    ok, parsable, why = score_call(row(tagged(("calculate_triangle_area", {"base": 10, "height": 6})), [AREA], AREA_REF, "simple"))
    assert (ok, parsable) == (False, True)
    assert why == "invalid value for parameter 'height': 6; expected one of [5]"


def test_parallel_calls_in_another_order_pass_and_a_duplicate_fails():
    swapped = row(tagged(("weather.get", {"city": "Rome"}), ("weather.get", {"city": "Paris"})), [WEATHER], TWO_CITIES, "parallel")
    assert score_call(swapped) == (True, True, "ok: 2 calls match the 2 expected calls")
    twice = row(tagged(("weather.get", {"city": "Rome"}), ("weather.get", {"city": "Rome"})), [WEATHER], TWO_CITIES, "parallel")
    ok, _, why = score_call(twice)
    assert not ok and why.startswith("call #2 'weather.get' does not match expected call #1")


def test_unparsable_output_is_counted_and_wrong():
    prose = row("The area is 25 square units.", [AREA], AREA_REF, "simple")
    broken = row('<tool_call>\n{"name": "calculate_triangle_area", "arguments": {"base": 10,\n</tool_call>', [AREA], AREA_REF, "simple")
    assert score_call(prose)[:2] == (False, False)
    ok, parsable, why = score_call(broken)
    assert (ok, parsable) == (False, False) and why.startswith("<tool_call> block #1 is not JSON")


def test_per_category_counts():
    rows = [row(tagged(("calculate_triangle_area", {"base": 10, "height": 5})), [AREA], AREA_REF, "simple"),
            row("no idea", [AREA], AREA_REF, "simple"),
            row(tagged(("weather.get", {"city": "Rome"}), ("weather.get", {"city": "Paris"})), [WEATHER], TWO_CITIES, "parallel"),
            row(tagged(("weather.get", {"city": "Rome"})), [WEATHER], TWO_CITIES, "parallel")]
    s = score_tool_calls(rows)
    assert (s["n"], s["correct"], s["accuracy"], s["unparsable"]) == (4, 2, 0.5, 1)
    assert s["per_category"] == {"parallel": {"correct": 1, "n": 2, "unparsable": 0},
                                 "simple": {"correct": 1, "n": 2, "unparsable": 1}}
    assert prompts_have_tools(rows) and not prompts_have_tools([{"messages": json.dumps([{"role": "user", "content": "q"}])}])
    table = {"base": {"n": 4, "correct": 1, "accuracy": 0.25, "tool_ast": score_tool_calls(rows[1:2] + rows[3:])},
             "student": {"n": 4, "correct": 2, "accuracy": 0.5, "tool_ast": s}}
    out, header, _ = summary_rows({"table": table})
    assert header[-1] == "tool AST (per category)"
    assert [r[-1] for r in out] == ["0.000 (parallel 0/1, simple 0/1)", "0.500 (parallel 1/2, simple 1/2)"]


def test_an_hf_local_reply_with_tool_call_blocks_becomes_a_trace_the_scorer_reads():
    text = tagged(("weather.get", {"city": "Paris"}), ("weather.get", {"city": "Rome"})).strip()
    res = as_trace(GenResult(text=text, finish_reason="stop"))
    (msg,) = json.loads(res.text)
    assert msg["role"] == "assistant" and msg["content"] is None
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in msg["tool_calls"]] == [
        ("weather.get", {"city": "Paris"}), ("weather.get", {"city": "Rome"})]
    assert score_call(row(res.text, [WEATHER], TWO_CITIES, "parallel"))[0] is True
    plain = GenResult(text="It is sunny.", finish_reason="stop")
    assert as_trace(plain) is plain


def test_a_missing_chat_template_file_is_one_clear_error(tmp_path):
    with pytest.raises(FactoryError, match=r"teacher.options.chat_template: .*nope.jinja is not a file"):
        read_template("nope.jinja", str(tmp_path))


def test_teacher_few_shot_turns_sit_between_system_and_user_in_the_tool_template_render(tmp_path, tiny_model_path):
    from transformers import AutoTokenizer

    from teachers.hf_local import HFLocalTeacher
    from teachers.step import read_few_shot
    from tests.conftest import ROOT

    shots = read_few_shot("prompts/tool_call_few_shot.json", str(ROOT / "recipes"))
    t = HFLocalTeacher.__new__(HFLocalTeacher)  # the renderer alone: tokenizer and options, no weights
    t._tok = AutoTokenizer.from_pretrained(tiny_model_path)
    t.chat_template, t.few_shot = read_template("templates/smollm2_tools.jinja", str(ROOT / "recipes")), shots
    text, tools = t._render(json.loads(row("", [AREA], AREA_REF, "simple")["messages"]))
    assert tools is True
    i_tools, i_shot, i_user = (text.index(s) for s in ('"name": "calculate_triangle_area"',
                                                       '<tool_call>\n{"name": "weather.current", "arguments": {"city": "Paris"',
                                                       "<|im_start|>user\nq<|im_end|>"))
    assert i_tools < i_shot < i_user and text.endswith("<|im_start|>assistant\n")
    (tmp_path / "bad.json").write_text('{"role": "user"}')
    with pytest.raises(FactoryError, match=r"few_shot: bad.json: not a list of chat messages"):
        read_few_shot("bad.json", str(tmp_path))
