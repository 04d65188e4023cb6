"""The tool_agent over openai_compat with native ``tools``/``tool_calls`` against a real HTTP server on
127.0.0.1 (tests/faults/scripted_tool_server.py plays the model): parallel calls, tool errors as tool
messages, tokens and cost over every turn, and every turn paid for and executed once across a resume."""

import json

import pytest

from ground.record import new_sample
from teachers.step import GenerateStep
from tests.faults.scripted_tool_server import ScriptedToolServer, tool_call
from verifiers.tool_calls import ToolCalls
from teachers.tools.base import ToolSession

PRICES = {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0}  # $ per million tokens: easy cents


def cfg(url, **opts):
    inner = {"base_url": url, "max_retries": 0, "prices": PRICES}
    return dict(engine="tool_agent", name="api", model="m", sampling={"max_tokens": 64, "temperature": 0.0}, prices={},
                options={"inner_engine": "openai_compat", "inner_options": inner, "tools": ["calculator", "kv_store"], **opts})


def rows(n=1):
    return [new_sample(stage="t", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": "6*7 and 2+2?"}],
                       request_key=f"k{i}", teacher="api", reference="42") for i in range(n)]


PARALLEL = [{"tool_calls": [tool_call("c1", "calculator", {"expression": "6*7"}), tool_call("c2", "calculator", {"expression": "2+"})],
             "reasoning_content": "two sums"},
            {"content": "6*7 is 42; the second expression had an error."}]


def test_native_parallel_calls_tool_errors_and_usage_over_turns(tmp_path):
    with ScriptedToolServer(PARALLEL) as srv:
        (row,) = GenerateStep(cfg(srv.base_url), cache_uri=None)(rows())
    assert row["status"] == "accepted", row["reject_reason"]
    first, second = srv.requests
    assert [t["function"]["name"] for t in first["tools"]] == ["calculator", "kv_store"]  # sent natively
    assert all("tools" not in m for m in first["messages"])  # not smuggled into the system message
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "tool", "tool"]
    assert "reasoning_content" not in second["messages"][2]  # earlier reasoning is not sent back
    assert second["messages"][2]["content"] == ""  # a calls-only turn: "" on the wire (llama.cpp refuses null)
    trace = json.loads(row["completion"])
    assert trace[0]["tool_calls"] == PARALLEL[0]["tool_calls"] and trace[0]["reasoning_content"] == "two sums"
    assert trace[1] == {"role": "tool", "tool_call_id": "c1", "content": '{"result": 42}'}
    assert trace[2]["tool_call_id"] == "c2" and json.loads(trace[2]["content"]) == {"error": "cannot parse expression: invalid syntax"}
    assert (row["tokens_in"], row["tokens_out"]) == (10 + 20, 5 + 5)
    assert row["cost"] == pytest.approx((30 * 1000 + 10 * 2000) / 1e6)
    v = ToolCalls().verify(row)
    assert (v.score, v.reason) == (1.0, "ok: 2 call(s) replayed, final answer matches reference")


KV = [{"tool_calls": [tool_call("a", "kv_store", {"op": "set", "key": "x", "value": "42"})]},
      {"tool_calls": [tool_call("b", "kv_store", {"op": "get", "key": "x"})]},
      {"content": "x holds 42."}]


def test_a_resumed_run_pays_for_and_executes_each_turn_once(tmp_path, monkeypatch):
    executed = []
    real = ToolSession.execute
    monkeypatch.setattr(ToolSession, "execute", lambda self, name, args: executed.append(json.loads(args)["op"]) or real(self, name, args))
    cache = str(tmp_path / "cache")
    with ScriptedToolServer(KV, fail_requests=(1,)) as srv:  # the run dies on turn 2's request
        (row,) = GenerateStep(cfg(srv.base_url), cache_uri=cache)(rows())
        assert row["status"] == "rejected" and "scripted failure of request 1" in row["reject_reason"]
        assert executed == ["set"] and len(srv.requests) == 2
        executed.clear()
        (row,) = GenerateStep(cfg(srv.base_url), cache_uri=cache)(rows())  # the resumed run, a new step
    assert row["status"] == "accepted", row["reject_reason"]
    assert executed == ["get"]  # turn 1's "set" was not run again, yet its state is back: get finds 42
    assert [len([m for m in r["messages"] if m["role"] == "assistant"]) for r in srv.requests] == [0, 1, 1, 2]  # turn 1 once
    trace = json.loads(row["completion"])
    assert trace[3] == {"role": "tool", "tool_call_id": "b", "content": '{"value": "42"}'}
    assert (row["tokens_in"], row["tokens_out"]) == (10 + 20 + 30, 15)  # the trace's tokens; turn 1 from the journal


def test_turns_made_under_another_tool_choice_or_catalogue_are_not_replayed(tmp_path):
    """The turn journal is keyed like the request cache: a turn answered under tool_choice auto is not an answer
    under a forced call, nor under another tool catalogue (found with llama.cpp's server: a forced tool_choice
    replayed the auto run's text answers)."""
    cache = str(tmp_path / "cache")
    final = [{"content": "42."}]
    with ScriptedToolServer(final * 4) as srv:
        GenerateStep(cfg(srv.base_url), cache_uri=cache)(rows())
        GenerateStep(cfg(srv.base_url), cache_uri=cache)(rows())  # the same settings: replayed, not asked again
        assert len(srv.requests) == 1
        forced = {"type": "function", "function": {"name": "calculator"}}
        GenerateStep(cfg(srv.base_url, tool_choice=forced), cache_uri=cache)(rows())
        assert len(srv.requests) == 2 and srv.requests[1]["tool_choice"] == forced
        GenerateStep(cfg(srv.base_url, tools=["calculator"]), cache_uri=cache)(rows())
        assert len(srv.requests) == 3 and [t["function"]["name"] for t in srv.requests[2]["tools"]] == ["calculator"]


def test_protocol_native_needs_a_chat_api():
    from teachers.tool_agent import ToolAgentOptions

    with pytest.raises(ValueError, match="protocol native needs an inner_engine that sends tools natively .*, not 'hf_local'"):
        ToolAgentOptions(inner_engine="hf_local", protocol="native")


def test_a_stuck_tool_times_out_into_a_tool_error_the_model_sees():
    import time

    from teachers.tool_loop import run_tool_loop
    from teachers.tools import Tool, ToolRegistry

    class Sleepy(Tool):
        name, description = "sleepy", "Sleeps."
        parameters = {"type": "object", "properties": {"s": {"type": "number"}}}

        def run(self, state, s):
            time.sleep(s)
            return {"slept": s}

    replies = iter([{"tool_calls": [tool_call("t1", "sleepy", {"s": 5}), tool_call("t2", "sleepy", {"s": 0})]},
                    {"content": "The tool timed out."}])
    t0 = time.perf_counter()
    res = run_tool_loop(lambda msgs: next(replies), [{"role": "user", "content": "?"}], ["sleepy"], ToolRegistry([Sleepy()]),
                        tool_timeout_s=0.2)
    assert time.perf_counter() - t0 < 2
    assert res.trace[1] == {"role": "tool", "tool_call_id": "t1", "content": '{"error": "tool sleepy timed out after 0.2s"}'}
    assert res.trace[2] == {"role": "tool", "tool_call_id": "t2", "content": '{"slept": 0}'} and res.final_answer == "The tool timed out."


def test_content_given_as_parts_is_read_as_text_and_reasoning():
    """Some servers and gateways answer with content as a list of parts (text, thinking)."""
    from teachers.openai_wire import content_parts

    parts = [{"type": "thinking", "thinking": [{"type": "text", "text": "6 times 7"}]}, {"type": "text", "text": "It is "},
             {"type": "text", "text": "42."}]
    assert content_parts(parts) == ("It is 42.", "6 times 7")
    assert content_parts("plain") == ("plain", None) and content_parts(None) == ("", None)
    with ScriptedToolServer([{"content": parts}]) as srv:
        (row,) = GenerateStep(cfg(srv.base_url), cache_uri=None)(rows())
    trace = json.loads(row["completion"])
    assert trace == [{"role": "assistant", "content": "It is 42.", "reasoning_content": "6 times 7"}], trace


def test_other_servers_finish_reasons_read_in_openai_words():
    from teachers.openai_wire import finish_reason

    assert [finish_reason(x) for x in ("eos_token", "max_tokens", "max_length", "end_turn", "length", "stop", "tool_calls",
                                        None, "")] == ["stop", "length", "length", "stop", "length", "stop", "tool_calls", "stop", "stop"]
