"""Native tools for the offline ``vllm`` engine: ``LLM.chat(..., tools=...)`` and the reply parsed into ``tool_calls``.

    >>> from teachers.vllm_tools import chat_groups, parse_tool_reply
    >>> from teachers.base import GenRequest, SamplingParams
    >>> spec = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    >>> reqs = [GenRequest("a", [{"role": "system", "content": "S", "tools": [spec]}, {"role": "user", "content": "q"}],
    ...                    SamplingParams(), tools=[spec]),
    ...         GenRequest("b", [{"role": "user", "content": "plain"}], SamplingParams())]
    >>> [(g.indices, g.tools is not None, g.messages[0][0]) for g in chat_groups(reqs)]
    [([0], True, {'role': 'system', 'content': 'S'}), ([1], False, {'role': 'user', 'content': 'plain'})]
    >>> content, calls = parse_tool_reply('<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>')
    >>> content, calls[0]["function"]
    (None, {'name': 'f', 'arguments': '{"x": 1}'})

vLLM's ``LLM.chat`` takes one ``tools`` list per call and hands it to the chat template
(``apply_hf_chat_template(..., tools=tools)``, vllm/entrypoints/llm.py), so a batch is split into
groups of requests with the same catalogue (:func:`chat_groups`); the catalogue is taken off the
system message, where the rows keep it (ground/conversation.py). The offline engine has no tool
parser of its own (that is the server's ``--tool-call-parser``): with ``options.tool_parser`` set,
the named vLLM parser (``ToolParserManager.get_tool_parser(name)(tokenizer).extract_tool_calls(text,
request)``, vllm/tool_parsers or, in older releases, vllm/entrypoints/openai/tool_parsers) turns the
text into calls; without it, :func:`parse_tool_reply` reads Hermes-style ``<tool_call>{json}</tool_call>``
blocks (what the ``hermes`` parser reads: Qwen2.5, Hermes, SmolLM2 with the vendored template).
``tool_choice`` is not offered: offline vLLM has no such argument (a server does, via openai_compat).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChatGroup:
    """Requests of a batch sent in one ``LLM.chat`` call: same tool catalogue (or none)."""

    tools: list[dict] | None
    indices: list[int] = field(default_factory=list)
    messages: list[list[dict]] = field(default_factory=list)


def chat_groups(requests: list) -> list[ChatGroup]:
    """The batch's requests grouped by their ``tools`` (in first-seen order), messages without the catalogue."""
    from ground.conversation import split_tools

    groups: dict[str, ChatGroup] = {}
    for i, r in enumerate(requests):
        g = groups.setdefault(json.dumps(r.tools, sort_keys=True), ChatGroup(r.tools))
        g.indices.append(i)
        g.messages.append(split_tools(r.messages)[0])  # the template gets the catalogue as tools=, not in a message
    return list(groups.values())


def parse_tool_reply(text: str, parser: Any = None, request: Any = None) -> tuple[str | None, list[dict]]:
    """(content, OpenAI tool calls) of a reply; ``parser``: a vLLM ``ToolParser`` (with its ``request``), else
    the Hermes ``<tool_call>`` reading. No calls -> (text, [])."""
    if parser is not None:
        info = parser.extract_tool_calls(text, request)
        if not getattr(info, "tools_called", False):
            return text, []
        calls = [{"id": getattr(tc, "id", None) or f"call_0_{i}", "type": "function",
                  "function": {"name": tc.function.name, "arguments": tc.function.arguments}}
                 for i, tc in enumerate(info.tool_calls)]
        return info.content or None, calls
    from teachers.tool_loop import _normalise, parse_tool_calls_text

    msg = _normalise(parse_tool_calls_text(text or ""), 0)
    return msg.get("content"), msg.get("tool_calls") or []


def load_tool_parser(name: str, tokenizer: Any) -> Any:
    """vLLM's tool parser ``name`` (hermes, llama3_json, mistral, pythonic, ...) for ``tokenizer``."""
    try:
        from vllm.tool_parsers import ToolParserManager
    except ImportError:  # vLLM releases before the parsers moved out of the OpenAI server package
        from vllm.entrypoints.openai.tool_parsers import ToolParserManager
    try:
        return ToolParserManager.get_tool_parser(name)(tokenizer)
    except KeyError:
        raise ValueError(f"vllm: unknown tool_parser {name!r}") from None


def parser_request(model: str, tools: list[dict]) -> Any:
    """The ``ChatCompletionRequest`` a vLLM parser reads the catalogue from."""
    try:
        from vllm.entrypoints.openai.protocol import ChatCompletionRequest
    except ImportError:  # newer layout
        from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest
    return ChatCompletionRequest(model=model, messages=[{"role": "user", "content": ""}], tools=tools)
