"""``function_call_ast`` on a 10-item BFCL sample (data/bfcl_sample, Apache-2.0) and on targeted cases."""

from __future__ import annotations

import json
import pickle
import threading
from pathlib import Path

import pytest

from verifiers.function_call_ast import FunctionCallAST, standardize
from verifiers.registry import get_verifier

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "bfcl_sample"


def _load():
    q = [json.loads(x) for x in (SAMPLE / "BFCL_v4_simple_python.json").read_text().splitlines()]
    a = {r["id"]: r for r in map(json.loads, (SAMPLE / "possible_answer" / "BFCL_v4_simple_python.json").read_text().splitlines())}
    return [(item, a[item["id"]]) for item in q]


ITEMS = _load()


def _row(item, ans, completion):
    return {"completion": completion, "reference": json.dumps(ans["ground_truth"]),
            "source": json.dumps({"function": item["function"]})}


def _good(ans):
    (name, params), = ans["ground_truth"][0].items()
    return name, {p: acc[0] for p, acc in params.items() if acc[0] != ""}


def _py(name, args):
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"


def _oa(name, args):
    return json.dumps({"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]})


def test_sample_is_ten_items_with_notice():
    assert len(ITEMS) == 10
    assert "Apache" in (SAMPLE / "NOTICE.md").read_text()


@pytest.mark.parametrize("idx", range(10))
def test_bfcl_sample_correct_accepted_and_corruptions_rejected(idx):
    item, ans = ITEMS[idx]
    v = FunctionCallAST()
    name, args = _good(ans)
    for fmt in (_py, _oa):
        assert v.verify(_row(item, ans, fmt(name, args))).score == 1.0, fmt(name, args)
        bad = v.verify(_row(item, ans, fmt(name + "_v2", args)))
        assert (bad.score, bad.reason) == (0.0, f"wrong function name: expected {name!r}, got {name + '_v2'!r}")
        req = item["function"][0]["parameters"]["required"][0]
        miss = v.verify(_row(item, ans, fmt(name, {k: x for k, x in args.items() if k != req})))
        assert (miss.score, miss.reason) == (0.0, f"missing required parameter {req!r}")
        p, val = next((k, x) for k, x in args.items() if type(x) in (int, str))
        wrong = val + 1 if type(val) is int else val + "zz"
        wv = v.verify(_row(item, ans, fmt(name, {**args, p: wrong})))
        assert wv.score == 0.0 and wv.reason.startswith(f"invalid value for parameter {p!r}: {wrong!r}")


REF = json.dumps([{"geo.distance": {"city": ["New York, NY", "NYC"], "miles": [2.5], "exact": [True, ""],
                                     "stops": [["Boston", "Albany"]], "opts": [{"mode": ["car"], "avoid": ["tolls", ""]}],
                                     "limit": ["", 10]}}])  # fmt: skip
DOC = json.dumps({"function": [{"name": "geo.distance", "parameters": {"type": "dict", "properties": {
    "city": {"type": "string"}, "miles": {"type": "float"}, "exact": {"type": "boolean"},
    "stops": {"type": "array", "items": {"type": "string"}}, "opts": {"type": "dict"}, "limit": {"type": "integer"}},
    "required": ["city", "miles", "stops", "opts"]}}]})  # fmt: skip
GOOD = "geo.distance(city='new york ny', miles=2.5, exact=True, stops=['boston', 'ALBANY'], opts={'mode': 'Car'})"


@pytest.mark.parametrize(
    "completion, reason",
    [
        (GOOD, None),
        (GOOD.replace("geo.distance", "geo_distance"), None),  # OpenAI names cannot contain dots
        (f"```python\n[{GOOD}]\n```", None),
        (GOOD.replace("exact=True, ", ""), None),  # "" marks exact as optional
        (GOOD.replace("miles=2.5", "miles=2"), "invalid value for parameter 'miles': 2.0; expected one of [2.5]"),
        (GOOD.replace("exact=True", "exact=1"), "wrong type for parameter 'exact': expected bool, got int (1)"),
        (GOOD.replace("'new york ny'", "'Boston'"), "invalid value for parameter 'city': 'Boston'"),
        (GOOD.replace("'ALBANY'", "'Troy'"), "invalid value for parameter 'stops'"),
        (GOOD.replace("'Car'", "'bike'"), "invalid value for parameter 'opts'"),
        (GOOD.replace("'Car'}", "'car', 'avoid': 'tolls'}"), None),
        (GOOD.replace(")", ", limit=10)"), None),
        (GOOD.replace(")", ", speed=3)"), "unexpected parameter 'speed'"),
        ("geo.distance('NYC', 2.5)", "positional arguments are not accepted"),
        (GOOD.replace("2.5", "x + 1"), "value of parameter 'miles' is not a literal: x + 1"),
        (f"[{GOOD}, {GOOD}]", "wrong number of function calls: expected 1, got 2"),
        ("geo.distance(**kw)", "**kwargs expansion is not accepted"),
        ("print", "completion is not a function call"),
        ("geo.distance(city=", "completion is neither a JSON tool call nor a Python call"),
        ('{"name": "geo.distance", "arguments": "{bad"}', "arguments are not valid JSON"),
        ('{"tool_calls": []}', "wrong number of function calls: expected 1, got 0"),
        ("(" * 2000 + ")" * 2000, "completion is neither a JSON tool call nor a Python call: too many nested"),
        ("f(a=" + "1+" * 100000 + "1)", "cannot parse completion: RecursionError"),
    ],
)
def test_targeted_cases(completion, reason):
    v = FunctionCallAST().verify({"completion": completion, "reference": REF, "source": DOC})
    if reason is None:
        assert v.score == 1.0, v.reason
    else:
        assert v.score == 0.0 and v.reason.startswith(reason), v.reason


def test_optional_parameter_without_blank_must_be_given_and_docs_are_optional():
    ref = json.dumps([{"f": {"a": [1], "b": [2]}}])
    v = FunctionCallAST()
    assert v.verify({"completion": "f(a=1)", "reference": ref}).reason == "missing required parameter 'b'"
    doc = json.dumps({"function": [{"name": "f", "parameters": {"properties": {"a": {"type": "integer"},
                      "b": {"type": "integer"}}, "required": ["a"]}}]})  # fmt: skip
    assert v.verify({"completion": "f(a=1)", "reference": ref, "source": doc}).reason == (
        "parameter 'b' not provided and not marked optional")
    assert v.verify({"completion": "f(a=1, b=2)", "reference": ref}).score == 1.0
    assert v.verify({"completion": "f(a=True, b=2)", "reference": ref}).score == 0.0  # True is not 1


def test_docs_from_system_message_tools_and_dot_option():
    msgs = json.dumps([{"role": "system", "content": "", "tools": [{"type": "function", "function": {
        "name": "m.f", "parameters": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}}}]}])
    ref = json.dumps({"m.f": {"x": [3.0]}})
    assert FunctionCallAST().verify({"completion": '{"name": "m_f", "arguments": {"x": 3}}', "reference": ref,
                                     "messages": msgs}).score == 1.0
    v = FunctionCallAST(dot_to_underscore=False).verify({"completion": "m_f(x=3)", "reference": ref})
    assert v.reason == "wrong function name: expected 'm.f', got 'm_f'"


def test_unverifiable_and_garbage_never_raise():
    v = FunctionCallAST()
    assert v.verify({"completion": "f(a=1)", "reference": None}).score is None
    two = json.dumps([{"f": {}}, {"g": {}}])  # two expected calls: verifiable since version 2
    assert v.verify({"completion": "f()", "reference": two}).reason == (
        "wrong number of function calls: expected 2, got 1; no call for expected call #2 'g'")
    bad = v.verify({"completion": "f()", "reference": json.dumps([{"f": {}, "g": {}}])})
    assert (bad.score, bad.reason) == (None, "unusable reference: expected call #1 is not {function name: {param: "
                                             "[acceptable values]}}")
    assert v.verify({"completion": "f()", "reference": "[[["}).score is None
    out = v.verify_batch([{"completion": c, "reference": REF} for c in ("", "   ", "[]", "{}", "[1]", "null", "f(a=[")])
    assert [x.score for x in out] == [0.0] * 7 and all(x.reason for x in out)


def test_standardize_matches_bfcl():
    assert standardize("New York, N.Y.") == standardize("new-york ny") == "newyorkny"
    assert standardize("it's") == 'it"s'


def test_registry_options_pickle_thread():
    with pytest.raises(ValueError, match="options.lenient: unknown key; known: dot_to_underscore, language"):
        FunctionCallAST(lenient=True)
    v = pickle.loads(pickle.dumps(get_verifier("function_call_ast")))
    out: list = []
    th = threading.Thread(target=lambda: out.extend(v.verify_batch([{"completion": GOOD, "reference": REF, "source": DOC}])))
    th.start()
    th.join(10)
    assert [x.score for x in out] == [1.0] and out[0].version == "2"
