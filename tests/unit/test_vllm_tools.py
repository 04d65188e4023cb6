"""Native tools on the offline vllm engine, the parts that run without vLLM (it is not installed here): how a
batch becomes ``LLM.chat(..., tools=...)`` calls, how a reply's text becomes ``tool_calls``, and the processor
path refusing prompts with tools. ``ScriptedLLM`` is a fake named as one: it stands in for ``vllm.LLM`` and
records the calls the engine makes, replying with scripted texts."""

import json
from types import SimpleNamespace

from ground.record import new_sample
from teachers.base import GenRequest, SamplingParams, native_trace
from teachers.vllm_engine import VLLMOptions, VLLMTeacher
from teachers.vllm_stage import NO_TOOLS, PASS, processor_input
from teachers.vllm_tools import chat_groups, parse_tool_reply

SPEC_A = {"type": "function", "function": {"name": "area", "parameters": {"type": "object", "properties": {"r": {"type": "number"}}}}}
SPEC_B = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def req(key, tools=None, user="q"):
    msgs = ([{"role": "system", "content": "S", "tools": tools}] if tools else []) + [{"role": "user", "content": user}]
    return GenRequest(key, msgs, SamplingParams(max_tokens=32), tools=tools)


def test_chat_groups_split_a_batch_by_catalogue_and_strip_it_from_the_messages():
    groups = chat_groups([req("a", [SPEC_A]), req("b"), req("c", [SPEC_B]), req("d", [SPEC_A], "q2")])
    assert [(g.indices, g.tools) for g in groups] == [([0, 3], [SPEC_A]), ([1], None), ([2], [SPEC_B])]
    assert groups[0].messages == [[{"role": "system", "content": "S"}, {"role": "user", "content": "q"}],
                                  [{"role": "system", "content": "S"}, {"role": "user", "content": "q2"}]]


def test_hermes_text_becomes_parallel_tool_calls():
    text = ('Let me check.\n<tool_call>{"name": "weather", "arguments": {"city": "Paris"}}</tool_call>\n'
            '<tool_call>{"name": "weather", "arguments": {"city": "Rome"}}</tool_call>')
    content, calls = parse_tool_reply(text)
    assert content == "Let me check."
    assert [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] == [
        ("call_0_0", "weather", {"city": "Paris"}), ("call_0_1", "weather", {"city": "Rome"})]
    assert parse_tool_reply("It is sunny.") == ("It is sunny.", [])


def test_a_vllm_parser_result_is_mapped_to_openai_calls():
    # the shape of vLLM's ExtractedToolCallInformation (tools_called, tool_calls[].function.{name, arguments}, content)
    fn = SimpleNamespace(name="area", arguments='{"r": 2}')
    info = SimpleNamespace(tools_called=True, content=None, tool_calls=[SimpleNamespace(id="chatcmpl-tool-1", function=fn)])
    parser = SimpleNamespace(extract_tool_calls=lambda text, request: info)
    assert parse_tool_reply("ignored", parser, "req") == (None, [{"id": "chatcmpl-tool-1", "type": "function",
                                                                  "function": {"name": "area", "arguments": '{"r": 2}'}}])


class ScriptedLLM:
    """Fake ``vllm.LLM``: records ``chat`` calls; answers each conversation with the next scripted text."""

    def __init__(self, replies):
        self.replies, self.calls = list(replies), []

    def chat(self, messages, sampling_params=None, use_tqdm=True, tools=None):
        self.calls.append({"messages": messages, "tools": tools, "n_params": len(sampling_params)})
        outs = []
        for _ in messages:
            text = self.replies.pop(0)
            outs.append(SimpleNamespace(prompt_token_ids=[1, 2, 3], outputs=[SimpleNamespace(
                text=text, logprobs=None, finish_reason="stop", token_ids=[7] * 4)]))
        return outs


def scripted_teacher(replies, **options):
    t = VLLMTeacher.__new__(VLLMTeacher)  # no engine: vLLM is not installed here
    t.name, t.model, t.options, t._tool_parser = "t", "m", VLLMOptions(**options), None
    t._llm = ScriptedLLM(replies)
    t._vllm = SimpleNamespace(SamplingParams=lambda **kw: kw)
    return t


def test_generate_sends_tools_per_group_and_returns_the_calls_in_request_order():
    t = scripted_teacher(['<tool_call>{"name": "area", "arguments": {"r": 2}}</tool_call>', "plain answer",
                          "no call after all"])
    out = t.generate([req("a", [SPEC_A]), req("b"), req("c", [SPEC_A], "q2")])
    assert [(c["tools"], len(c["messages"]), c["n_params"]) for c in t._llm.calls] == [([SPEC_A], 2, 2), (None, 1, 1)]
    assert all("tools" not in m for c in t._llm.calls for conv in c["messages"] for m in conv)
    assert out[0].extra["tool_calls"][0]["function"] == {"name": "area", "arguments": '{"r": 2}'} and out[0].text == ""
    assert out[1].text == "no call after all" and "tool_calls" not in out[1].extra  # request c, second of group A
    assert out[2].text == "plain answer" and "tool_calls" not in out[2].extra
    (msg,) = json.loads(native_trace(out[0]).text)
    assert msg["role"] == "assistant" and msg["tool_calls"][0]["id"] == "call_0_0"
    assert VLLMTeacher.native_tools({}) is True
    assert VLLMTeacher.cache_options({"tool_parser": "hermes"}) == {"tool_parser": "hermes"}


def test_the_processor_path_rejects_a_prompt_with_tools_and_carries_it_through():
    msgs = [{"role": "system", "content": "S", "tools": [SPEC_A]}, {"role": "user", "content": "q"}]
    row = new_sample(stage="t", prompt_id="p", sample_index=0, messages=msgs, request_key="k", teacher="t", params=json.dumps({}))
    out = processor_input(row, ("t",), "t", "t")
    assert out[PASS] is True and out["status"] == "rejected" and out["reject_reason"] == NO_TOOLS
    plain = new_sample(stage="t", prompt_id="p", sample_index=0, messages=msgs[1:], request_key="k", teacher="t", params=json.dumps({}))
    assert processor_input(plain, ("t",), "t", "t")[PASS] is False
