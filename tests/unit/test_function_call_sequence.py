"""Parallel calls written as several JSON objects in a row (session 13, branch h-verify): Llama 3.x writes
``<|python_tag|>{...}; {...}``, other models one object per line. Was: 'completion is not a function call'."""

import json

import pytest

from verifiers.function_call_ast import FunctionCallAST
from verifiers.function_call_parse import CallParseError, parse_calls

TWO = json.dumps([{"get_weather": {"city": ["Paris"]}}, {"get_weather": {"city": ["Rome"]}}])
ROME = '{"name": "get_weather", "parameters": {"city": "Rome"}}'
PARIS = '{"name": "get_weather", "arguments": {"city": "Paris"}}'


@pytest.mark.parametrize("completion", [f"<|python_tag|>{ROME}; {PARIS}", f"{ROME}\n{PARIS}", f"{ROME}, {PARIS}"])
def test_json_calls_in_a_row_are_parallel_calls(completion):
    v = FunctionCallAST().verify({"completion": completion, "reference": TWO})
    assert (v.score, v.reason) == (1.0, "ok: 2 calls match the 2 expected calls")


def test_a_repeated_call_in_a_row_still_fails():
    v = FunctionCallAST().verify({"completion": f"{ROME}; {ROME}", "reference": TWO})
    assert v.score == 0.0 and v.reason.startswith("call #2 'get_weather' does not match expected call #1")


@pytest.mark.parametrize("completion,reason", [
    (f"{ROME} and then", f"completion is not a function call: {ROME + ' and then'!r}"),
    (ROME + '; {"name": "f", "arguments": {"x": 1, "x": 2}}', "the completion's JSON repeats the key 'x'"),
])
def test_what_is_not_a_sequence_of_calls_still_fails(completion, reason):
    with pytest.raises(CallParseError) as e:
        parse_calls(completion)
    assert str(e.value) == reason
