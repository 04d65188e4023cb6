"""``function_call_ast`` with several calls (BFCL parallel / multiple), live-style nested args, Java and JS.

Items come from tests/fixtures/bfcl (single BFCL items, Apache-2.0, see NOTICE.md there).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifiers.function_call_ast import FunctionCallAST, match_calls

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "bfcl"


def _row(category: str, completion) -> dict:
    item = json.loads((FIX / f"BFCL_v4_{category}.json").read_text().splitlines()[0])
    ans = json.loads((FIX / "possible_answer" / f"BFCL_v4_{category}.json").read_text().splitlines()[0])
    if not isinstance(completion, str):  # a list of (name, args): render as OpenAI tool_calls
        completion = json.dumps({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(completion)]})  # fmt: skip
    return {"completion": completion, "reference": json.dumps(ans["ground_truth"]),
            "source": json.dumps({"function": item["function"]})}  # fmt: skip


def _verify(category: str, completion, **options):
    return FunctionCallAST(**options).verify(_row(category, completion))


W = "get_current_weather"
BEIJING, SHANGHAI = (W, {"location": "Beijing, China"}), (W, {"location": "Shanghai, China", "unit": "fahrenheit"})


@pytest.mark.parametrize("calls, reason", [
    ([BEIJING, SHANGHAI], None),
    ([SHANGHAI, BEIJING], None),  # order-free
    ([BEIJING], "wrong number of function calls: expected 2, got 1; no call for expected call #2 'get_current_weather'"),
    ([BEIJING, SHANGHAI, SHANGHAI], "wrong number of function calls: expected 2, got 3; extra: call #3 "
                                    "'get_current_weather'"),
    ([BEIJING, BEIJING], "call #2 'get_current_weather' does not match expected call #2 'get_current_weather': "
                         "invalid value for parameter 'location': 'Beijing, China'; expected one of ['Shanghai, China'] "
                         "(it matches expected call #1, already taken by call #1)"),  # one expected call, matched twice
    ([BEIJING, (W, {"location": "Shanghai", "unit": "kelvin"})],
     "call #2 'get_current_weather' does not match expected call #2 'get_current_weather': invalid value for "
     "parameter 'location': 'Shanghai'; expected one of ['Shanghai, China']"),
    ([BEIJING, ("get_weather", {"location": "Shanghai, China"})],
     "call #2 'get_weather' does not match expected call #2 'get_current_weather': wrong function name: "
     "expected 'get_current_weather', got 'get_weather'"),
])  # fmt: skip
def test_live_parallel_matching_and_reasons(calls, reason):
    v = _verify("live_parallel", calls)
    if reason is None:
        assert (v.score, v.reason) == (1.0, "ok: 2 calls match the 2 expected calls")
    else:
        assert v.score == 0.0 and v.reason.startswith(reason), v.reason


def test_text_forms_of_several_calls():
    py = "[get_current_weather(location='Shanghai, China'), get_current_weather(location='Beijing, China')]"
    lines = "get_current_weather(location='Shanghai, China')\nget_current_weather(location='Beijing, China')"
    plain = json.dumps([{"name": W, "arguments": {"location": "Beijing, China"}},
                        {"name": W, "arguments": json.dumps({"location": "Shanghai, China"})}])  # fmt: skip
    for text in (py, f"```python\n{py}\n```", lines, plain):
        assert _verify("live_parallel", text).score == 1.0, text


def test_model_specific_forms_of_several_calls():
    """What tool-capable models write around their JSON: Mistral's [TOOL_CALLS], Llama 3.x's <|python_tag|> with
    "parameters", FireFunction's functools, a ```json fence. "parameters" was read as no arguments at all."""
    calls = [{"name": W, "arguments": {"location": "Beijing, China"}},
             {"name": W, "arguments": {"location": "Shanghai, China", "unit": "fahrenheit"}}]
    llama = [{"name": c["name"], "parameters": c["arguments"]} for c in calls]
    for text in ("[TOOL_CALLS]" + json.dumps(calls), "<|python_tag|>" + json.dumps(llama), json.dumps(llama),
                 "functools" + json.dumps(calls), "```json\n" + json.dumps(calls) + "\n```"):
        assert (v := _verify("live_parallel", text)).score == 1.0, (text, v.reason)
    wrong = [{"name": W, "parameters": {"location": "Paris, France"}}, llama[1]]
    assert _verify("live_parallel", "<|python_tag|>" + json.dumps(wrong)).score == 0.0


def test_the_teachers_text_tool_loop_reads_parameters_too():
    from teachers.tool_loop import parse_tool_calls_text

    msg = parse_tool_calls_text('<tool_call>{"name": "f", "parameters": {"x": 1}}</tool_call>')
    assert msg["tool_calls"] == [{"name": "f", "arguments": {"x": 1}}]


def test_parallel_assignment_is_a_matching_not_first_fit():
    # parallel_178: expected #1 accepts Microsoft or Apple on 2022-01-01, expected #3 only Apple. In this
    # order BFCL's first-fit hands the Apple call to #1 and then rejects; a matching gives it to #3.
    calls = [("get_stock_price", {"company_name": c, "date": d})
             for c, d in (("Apple", "2022-02-01"), ("Apple", "2022-01-01"), ("Microsoft", "2022-02-01"),
                          ("Microsoft", "2022-01-01"))]  # fmt: skip
    assert _verify("parallel", calls).score == 1.0
    assert _verify("parallel", calls[:3] + [("get_stock_price", {"company_name": "Apple", "date": "2022-03-01"})]
                   ).reason == ("call #4 'get_stock_price' does not match expected call #3 'get_stock_price': invalid "
                                "value for parameter 'date': '2022-03-01'; expected one of ['2022-01-01', "
                                "'01/01/2022', 'Jan.1,2022']")  # fmt: skip


def test_match_calls_augments():
    assert match_calls([[None, None], [None, "no"]]) == {0: 1, 1: 0}
    assert match_calls([[None, "no"], [None, "no"]]) == {0: 0}  # a second call cannot take expected #0 again


def test_multiple_picks_the_right_function():
    args = {"initial_speed": 20, "acceleration": 10, "time": 5}
    assert _verify("multiple", [("kinematics.calculate_displacement", args)]).score == 1.0
    assert _verify("multiple", [("kinematics.calculate_displacement", {**args, "rounding": 2})]).score == 1.0
    v = _verify("multiple", [("kinematics.calculate_final_speed", args)])
    assert v.reason == ("wrong function name: expected 'kinematics.calculate_displacement', "
                        "got 'kinematics.calculate_final_speed'")  # fmt: skip


def test_parallel_multiple_same_function_twice():
    base = {"perimeter": 14, "area": 15}
    width, length = ("get_rectangle_property", {**base, "property": "width"}), \
        ("get_rectangle_property", {**base, "property": "length", "tolerance": 0.1})  # fmt: skip
    assert _verify("parallel_multiple", [length, width]).score == 1.0
    bad = ("get_rectangle_property", {**base, "property": "width", "tolerance": 0.1})  # width allows no tolerance
    v = _verify("parallel_multiple", [length, bad])
    assert v.reason == ("call #2 'get_rectangle_property' does not match expected call #1 'get_rectangle_property': "
                        "invalid value for parameter 'tolerance': 0.1; expected one of ['']")  # fmt: skip


HEADWAY = {"ego_info": {"position": {"lateral": 10.5, "longitudinal": 50.0}, "orientation": 30.0},
           "lane_info": {"lane_id": "l123", "lane_type": "Regular"}, "bounding_boxes": [{"x": 60.2, "y": 12.3}]}


def test_live_nested_dicts_and_floats():
    # live_multiple_121-46-0 nests a literal dict ({"lateral": 10.5, ...}) inside the answers
    assert _verify("live_multiple", [("get_headway", HEADWAY)]).score == 1.0
    moved = {**HEADWAY, "ego_info": {**HEADWAY["ego_info"], "position": {"lateral": 10.6, "longitudinal": 50}}}
    v = _verify("live_multiple", [("get_headway", moved)])
    assert v.score == 0.0 and v.reason.startswith("invalid value for parameter 'ego_info'")
    boxes = {**HEADWAY, "bounding_boxes": [{"x": 60.2, "y": 12.4}]}
    assert _verify("live_multiple", [("get_headway", boxes)]).reason.startswith(
        "invalid value for parameter 'bounding_boxes'")


def test_java_and_javascript_source_values():
    name = "SQLCompletionAnalyzer.makeProposalsFromObject"
    java = {"object": "Customers", "useShortName": "true",
            "params": 'new HashMap<String, Object>() {{ put("limit", 50); put("schemaFilter", "public"); }}'}
    assert _verify("simple_java", [(name, java)], language="java").score == 1.0
    v = _verify("simple_java", [(name, {**java, "useShortName": True})], language="java")
    assert v.reason == "wrong type for parameter 'useShortName': java values are source text, got bool"
    v = _verify("simple_java", [(name, {**java, "params": "new HashMap<>() {{ put(\"limit\", 5); }}"})], language="java")
    assert v.reason.startswith("invalid value for parameter 'params': {'limit': 5}")
    js = {"vertices": "[20.0, 25]", "pivot": "[12, 17.0]", "angle": "30"}
    assert _verify("simple_javascript", [("rotateVertices", js)], language="javascript").score == 1.0
    v = _verify("simple_javascript", [("rotateVertices", {**js, "angle": "thirty"})], language="javascript")
    assert v.reason == "wrong type for parameter 'angle': expected float, got str ('thirty')"
    with pytest.raises(ValueError, match="options.language: Input should be 'python', 'java' or 'javascript'"):
        FunctionCallAST(language="rust")
