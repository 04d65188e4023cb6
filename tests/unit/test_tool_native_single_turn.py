"""Single-turn generation with native tools (issue #13): an ``openai_compat`` teacher gets a prompt row's tool
catalogue as ``tools=`` (and the recipe's ``tool_choice``), and the reply's ``tool_calls`` (parallel too) become the
row's trace, which function_call_ast and the exporters read. A real HTTP server on 127.0.0.1 plays the model
(tests/faults/scripted_tool_server.py, a scripted fake) and refuses any request without ``tools``."""

import json
from pathlib import Path

from factory.export import _record
from ground.conversation import conversation_of
from ground.record import new_sample
from teachers.step import GenerateStep, teacher_cfg
from teachers.synth import generate_cached
from tests.faults.scripted_tool_server import ScriptedToolServer, tool_call
from verifiers.function_call_ast import FunctionCallAST

ROOT = Path(__file__).resolve().parents[2]


def bfcl_item(item_id: str) -> dict:
    for line in (ROOT / "data/bfcl_tools/train.jsonl").read_text().splitlines():
        d = json.loads(line)
        if d["id"] == item_id:
            return d
    raise KeyError(item_id)


ITEM = bfcl_item("parallel_97")  # two calls of calculate_resonant_frequency


def cfg(url, **opts):
    return dict(engine="openai_compat", name="api", model="m", sampling={"max_tokens": 64, "temperature": 0.0}, prices={},
                options={"base_url": url, "max_retries": 0, **opts})


def row(item=ITEM, key="k0"):
    return new_sample(stage="t", prompt_id=item["id"], sample_index=0, messages=item["messages"], request_key=key,
                      teacher="api", reference=json.dumps(item["reference"]) if not isinstance(item["reference"], str) else item["reference"])


# the second call first: the verifier matches calls to expected calls in any order
PARALLEL = [{"content": None, "tool_calls": [
    tool_call("c1", "calculate_resonant_frequency", {"inductance": 0.007, "capacitance": 2e-07, "round_off": 4}),
    tool_call("c2", "calculate_resonant_frequency", {"inductance": 0.005, "capacitance": 1e-07, "round_off": 3})]}]


def test_tools_go_out_natively_and_parallel_calls_become_the_trace():
    with ScriptedToolServer(PARALLEL, require_tools=True) as srv:
        (r,) = GenerateStep(cfg(srv.base_url, tool_choice="required"), cache_uri=None)([row()])
    assert r["status"] == "accepted", r["reject_reason"]
    (body,) = srv.requests
    assert body["tools"] == ITEM["messages"][0]["tools"] and body["tool_choice"] == "required"
    assert all("tools" not in m for m in body["messages"])  # the catalogue is not smuggled into the system message
    trace = json.loads(r["completion"])
    assert trace == [{"role": "assistant", "content": None, "tool_calls": PARALLEL[0]["tool_calls"]}]
    assert json.loads(r["messages"]) == ITEM["messages"]  # the prompt keeps its catalogue on the system message
    assert [m["role"] for m in conversation_of(r)] == ["system", "user", "assistant"]
    v = FunctionCallAST().verify(r)
    assert (v.score, v.reason) == (1.0, "ok: 2 calls match the 2 expected calls")
    chat = _record({**r, "score": v.score}, "chat")
    assert chat["messages"][2]["tool_calls"] == PARALLEL[0]["tool_calls"]
    assert json.loads(chat["tools"]) == ITEM["messages"][0]["tools"]


def test_a_wrong_call_is_rejected_by_the_verifier_with_its_reason():
    wrong = [{"tool_calls": [tool_call("c1", "calculate_resonant_frequency", {"inductance": 0.005, "capacitance": 1e-07, "round_off": 3})]}]
    with ScriptedToolServer(wrong, require_tools=True) as srv:
        (r,) = GenerateStep(cfg(srv.base_url), cache_uri=None)([row()])
    assert "tool_choice" not in srv.requests[0]  # none set: the API's default
    v = FunctionCallAST().verify(r)
    assert v.score == 0.0 and v.reason.startswith("wrong number of function calls: expected 2, got 1")


def test_a_prompt_without_tools_sends_none_and_keeps_plain_text():
    plain = {"id": "p", "messages": [{"role": "user", "content": "hi"}], "reference": "hello"}
    with ScriptedToolServer([{"content": "hello"}]) as srv:
        (r,) = GenerateStep(cfg(srv.base_url, tool_choice="auto"), cache_uri=None)([row(plain)])
    assert "tools" not in srv.requests[0] and "tool_choice" not in srv.requests[0]
    assert r["completion"] == "hello"


def test_the_request_cache_serves_the_trace_back(tmp_path):
    cache = str(tmp_path / "cache")
    with ScriptedToolServer(PARALLEL, require_tools=True) as srv:
        (first,) = generate_cached(GenerateStep(cfg(srv.base_url), cache_uri=cache), [row()])
        (again,) = generate_cached(GenerateStep(cfg(srv.base_url), cache_uri=cache), [row()])
    assert len(srv.requests) == 1 and again["cache_hit"] is True
    assert again["completion"] == first["completion"] and FunctionCallAST().verify(again).score == 1.0


SPEC = {"type": "function", "function": {"name": "get_exchange_rate", "description": "Exchange rate of two currencies",
        "parameters": {"type": "object", "properties": {"base_currency": {"type": "string"}, "target_currency": {"type": "string"}},
                       "required": ["base_currency", "target_currency"]}}}


def tools_recipe(tmp_path, url, tools_text):
    from factory.recipe import load_recipe

    (tmp_path / "src.jsonl").write_text(json.dumps({"id": "fx", "q": "USD to AUD and USD to CAD?", "ref": json.dumps([
        {"get_exchange_rate": {"base_currency": ["USD"], "target_currency": ["AUD"]}},
        {"get_exchange_rate": {"base_currency": ["USD"], "target_currency": ["CAD"]}}])}) + "\n")
    (tmp_path / "t.txt").write_text("{prompt}")
    (tmp_path / "tools.json").write_text(tools_text)
    (tmp_path / "r.yaml").write_text(json.dumps({
        "name": "fx", "source": {"path": "src.jsonl", "fields": {"prompt": "q", "id": "id", "reference": "ref"}},
        "prompt": {"template": "t.txt", "tools": "tools.json"},
        "teacher": {"name": "api", "engine": "openai_compat", "model": "m", "n": 1, "sampling": {"max_tokens": 32},
                    "options": {"base_url": url, "max_retries": 0}},
        "verifiers": [{"name": "function_call_ast"}], "output": {"dir": str(tmp_path / "runs")}}))
    return load_recipe(str(tmp_path / "r.yaml"))


def test_a_recipe_catalogue_goes_on_every_prompt_and_out_as_tools(tmp_path):
    from teachers.expand import build_rows

    calls = [{"tool_calls": [tool_call("a", "get_exchange_rate", {"base_currency": "USD", "target_currency": "CAD"}),
                             tool_call("b", "get_exchange_rate", {"base_currency": "USD", "target_currency": "AUD"})]}]
    with ScriptedToolServer(calls, require_tools=True) as srv:
        r = tools_recipe(tmp_path, srv.base_url, json.dumps([SPEC]))
        (row,) = GenerateStep(teacher_cfg(r.teacher, r.base_dir), cache_uri=None)(build_rows(r))
    assert srv.requests[0]["tools"] == [SPEC]
    assert json.loads(row["messages"])[0] == {"role": "system", "content": "You are a helpful assistant with tools.", "tools": [SPEC]}
    assert FunctionCallAST().verify(row).score == 1.0


def test_a_bad_recipe_catalogue_is_one_line_naming_the_file(tmp_path):
    import pytest

    from ground.errors import RecipeError

    with pytest.raises(RecipeError, match=r"prompt\.tools: .*tools\.json: item 0 is not \{type: function, function: \{name, \.\.\.\}\}"):
        tools_recipe(tmp_path, "http://127.0.0.1:9/v1", json.dumps([{"name": "f"}]))
