"""A row as the full OpenAI message list: prompt, assistant turns with ``tool_calls``, tool results, answer.

    >>> import json
    >>> from ground.conversation import conversation_of, split_tools
    >>> spec = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
    >>> call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}
    >>> row = {"messages": json.dumps([{"role": "system", "content": "Be brief.", "tools": [spec]},
    ...                                {"role": "user", "content": "6*7?"}]),
    ...        "completion": json.dumps([{"role": "assistant", "content": None, "tool_calls": [call]},
    ...                                  {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ...                                  {"role": "assistant", "content": "42."}])}
    >>> msgs, tools = split_tools(conversation_of(row))
    >>> [m["role"] for m in msgs], tools[0]["function"]["name"], msgs[2]["tool_calls"][0]["function"]["arguments"]
    (['system', 'user', 'assistant', 'tool', 'assistant'], 'calculator', '{"expression": "6*7"}')

How a row stores a trace (ground/record.py): ``messages`` is the prompt, whose first system message
carries the tool catalogue under ``tools`` (OpenAI specs); ``completion`` is the JSON list of the
turns after the prompt. A row is a *trace* when its prompt carries a catalogue and its completion
parses as a list of role messages; any other row is one assistant answer, with ``reasoning`` (if any)
as the message's ``reasoning_content``. Everything downstream (exports, SFT, preference pairs) reads
rows through :func:`conversation_of` so no consumer flattens a trace into one JSON string again.
"""

from __future__ import annotations

import json
from typing import Any


def _loads(s: Any) -> Any:
    if not isinstance(s, str):
        return s
    try:
        return json.loads(s)
    except (json.JSONDecodeError, RecursionError):
        return None


def non_text_part(content: Any) -> str | None:
    """The kind of the first OpenAI content part of ``content`` that is not text (``"image_url"``), or None (a
    string, or text parts only)."""
    if not isinstance(content, list):
        return None
    for p in content:
        if not isinstance(p, dict) or p.get("type") != "text":
            return p.get("type") if isinstance(p, dict) else type(p).__name__
    return None


def parts_text(content: Any) -> str:
    """A message's text: a string as it is (None -> ""), or the text of its OpenAI text parts joined, as a text
    model is trained and served on them (other parts are left out: callers that must refuse them check
    :func:`non_text_part` first)."""
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content if isinstance(content, str) else ""


def prompt_of(row: dict) -> list[dict]:
    msgs = _loads(row.get("messages")) if row.get("messages") else []
    return [dict(m) for m in msgs] if isinstance(msgs, list) else []


def has_tools(messages: list[dict]) -> bool:
    return any(m.get("role") == "system" and m.get("tools") for m in messages)


def trace_of(row: dict) -> list[dict] | None:
    """The row's assistant/tool turns when the row is a tool-use trace, else None."""
    if not has_tools(prompt_of(row)):
        return None
    trace = _loads(row.get("completion"))
    if isinstance(trace, list) and trace and all(isinstance(m, dict) and "role" in m for m in trace):
        return [dict(m) for m in trace]
    return None


def answer_turns(row: dict) -> list[dict]:
    """The turns after the prompt: the trace, or one assistant message (``reasoning_content`` if any)."""
    trace = trace_of(row)
    if trace is not None:
        return trace
    msg: dict[str, Any] = {"role": "assistant", "content": row.get("completion") or ""}
    if row.get("reasoning"):
        msg["reasoning_content"] = row["reasoning"]
    return [msg]


def conversation_of(row: dict) -> list[dict]:
    """The full OpenAI message list of a row (prompt + answer turns)."""
    return prompt_of(row) + answer_turns(row)


def split_tools(messages: list[dict]) -> tuple[list[dict], list[dict] | None]:
    """(messages without the system ``tools`` key, the tool specs or None): the shape of
    ``apply_chat_template(messages, tools=...)`` and of a dataset's ``tools`` column. A system message that
    only carried the catalogue (no content, see :func:`without_system`) is left out whole."""
    tools, out = None, []
    for m in messages:
        m = dict(m)
        if m.get("role") == "system" and "tools" in m:
            tools = tools or m.pop("tools")
            if m.get("content") is None:
                continue
        out.append(m)
    return out, tools


def merge_system(messages: list[dict]) -> list[dict] | None:
    """The messages with a leading system message folded into the first user turn ("SYSTEM\\n\\nUSER"), for chat
    templates that refuse the system role (Gemma's raise "System role not supported"); None when there is none
    to fold (no system message, or no user turn after it)."""
    if not messages or messages[0].get("role") != "system" or not isinstance(messages[0].get("content"), str):
        return None
    rest = [dict(m) for m in messages[1:]]
    first = next((m for m in rest if m.get("role") == "user" and isinstance(m.get("content"), str)), None)
    if first is None:
        return None
    first["content"] = f"{messages[0]['content']}\n\n{first['content']}"
    return rest


def refuses_system(e: Exception) -> bool:
    """Whether a chat template's error says it has no system role."""
    return "system" in str(e).lower()


def apply_template(tok, messages: list[dict], **kwargs):
    """``tok.apply_chat_template(messages, **kwargs)``; when the template refuses the system role, again with the
    system prompt folded into the first user turn (:func:`merge_system`)."""
    try:
        return tok.apply_chat_template(messages, **kwargs)
    except Exception as e:
        merged = merge_system(messages) if refuses_system(e) else None
        if merged is None:
            raise
        return tok.apply_chat_template(merged, **kwargs)


def without_system(messages: list[dict]) -> list[dict]:
    """The messages without their system prompt (``train.drop_system_prompt``: context distillation). The tool
    catalogue is not a system prompt and stays, on a system message with no content that :func:`split_tools`
    leaves out, so the student is shown ``tools=`` and no system text."""
    tools = next((m["tools"] for m in messages if m.get("role") == "system" and m.get("tools")), None)
    rest = [dict(m) for m in messages if m.get("role") != "system"]
    return [{"role": "system", "tools": tools}, *rest] if tools else rest
