"""A tool-use generation loop: ask the teacher, execute the calls it makes, feed results back, repeat.

    >>> from teachers.tools import default_registry
    >>> from teachers.tool_loop import run_tool_loop
    >>> replies = iter([
    ...     {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
    ...      "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}]},
    ...     {"role": "assistant", "content": "It is 42."}])
    >>> res = run_tool_loop(lambda msgs: next(replies), [{"role": "user", "content": "6*7?"}],
    ...                     ["calculator"], default_registry(), max_turns=4)
    >>> res.finish_reason, res.trace[1]["content"], res.final_answer
    ('stop', '{"result": 42}', 'It is 42.')

Engine-agnostic: ``generate(messages) -> assistant message`` is any callable (an OpenAI-compatible
client with ``tools=``, a vLLM engine, or :class:`TextToolGenerate` around any :class:`Teacher`
that only produces text). The loop attaches the tool catalogue to the system message (the place
the ``tool_calls`` verifier reads it from), executes every call through one
:class:`~teachers.tools.ToolSession` (fresh tool state per run) and appends one tool message per
call. Unknown tools, malformed or schema-invalid arguments and tool failures are not exceptions:
they come back to the teacher as ``{"error": "..."}`` tool results so it can recover. The loop ends
at the first assistant turn without tool calls (``finish_reason="stop"``) or after ``max_turns``
assistant turns (``"max_turns"``; the trace then has no final answer and the verifier rejects it).
Store ``res.prompt`` in the row's ``messages`` column and ``res.completion`` in ``completion``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from teachers.tools import ToolRegistry
from teachers.tools.base import error_content

log = logging.getLogger(__name__)

Generate = Callable[[list[dict]], Any]
#: finish reasons of a final answer that did not end on its own: the loop's result keeps them
CUT_SHORT = ("length", "content_filter")


class TeacherFailed(RuntimeError):
    """The teacher's request for one turn failed after its engine's retries; ``error`` is the engine's reason (which
    tells a transient failure, teachers/base.py) and ``turn`` the assistant turn it was for (1-based)."""

    def __init__(self, error: str, turn: int = 0):
        super().__init__(f"teacher failed: {error}")
        self.error, self.turn = error, turn
        self.spent = {"tokens_in": 0, "tokens_out": 0, "cost": 0.0}  # the turns this attempt paid for before it failed


@dataclass
class ToolLoopResult:
    prompt: list[dict]  # the messages as sent first, with the tool catalogue on the system message
    trace: list[dict] = field(default_factory=list)  # assistant/tool turns after the prompt
    finish_reason: str = "stop"  # "stop" | "max_turns" | the last turn's "length" or "content_filter"
    turns: int = 0  # assistant turns generated
    tokens_in: int = 0  # summed over every turn (replayed ones included: they are part of the trace)
    tokens_out: int = 0
    cost: float = 0.0
    replayed: int = 0  # turns taken from the journal: neither generated nor executed again

    @property
    def final_answer(self) -> str | None:
        last = self.trace[-1] if self.trace else None
        if last and last.get("role") == "assistant" and not last.get("tool_calls"):
            return last.get("content")
        return None

    @property
    def completion(self) -> str:
        """The trace as the ``completion`` column value."""
        return json.dumps(self.trace, ensure_ascii=False)


def with_tool_catalogue(messages: list[dict], specs: list[dict]) -> list[dict]:
    """A copy of ``messages`` whose first system message carries ``tools`` (one is added if none)."""
    out = [dict(m) for m in messages]
    for m in out:
        if m.get("role") == "system":
            m["tools"] = specs
            return out
    return [{"role": "system", "content": "You are a helpful assistant with tools.", "tools": specs}, *out]


def _normalise(reply: Any, turn: int) -> dict:
    """Coerce what ``generate`` returned into an OpenAI assistant message with well-formed tool calls."""
    if isinstance(reply, str):
        return {"role": "assistant", "content": reply}
    if not isinstance(reply, dict):
        raise TypeError(f"generate() must return an assistant message dict or str, got {type(reply).__name__}")
    msg = {"role": "assistant", "content": reply.get("content")}
    if reply.get("reasoning_content"):
        msg["reasoning_content"] = reply["reasoning_content"]
    calls = []
    for i, tc in enumerate(reply.get("tool_calls") or []):
        tc = tc if isinstance(tc, dict) else {}
        fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc  # flat {"name","arguments"} too
        args = fn.get("arguments", fn.get("parameters", {}))
        if not isinstance(args, str):
            args = json.dumps(args, ensure_ascii=False)
        calls.append({
            "id": tc.get("id") or f"call_{turn}_{i}",
            "type": "function",
            "function": {"name": fn.get("name"), "arguments": args},
        })  # fmt: skip
    if calls:
        msg["tool_calls"] = calls
    return msg


def run_tool_loop(generate: Generate, messages: list[dict], tools: list, registry: ToolRegistry,
                  max_turns: int = 8, tool_timeout_s: float | None = None, journal: Any = None) -> ToolLoopResult:
    """Run the loop; ``tools`` are registry names or OpenAI tool specs (only those are callable).

    ``generate.last_usage`` (if the callable has it) is added up per turn. ``journal`` (``get(context)``
    / ``put(context, entry)``, see teachers/tool_agent.py) records each finished turn: its reply, its
    tool results, the tools' state after it and its usage. A re-run replays recorded turns without
    asking the teacher or running a tool, so a resumed run pays for and executes every turn once."""
    if max_turns < 1:
        raise ValueError("max_turns must be >= 1")
    names = [t if isinstance(t, str) else t["function"]["name"] for t in tools]
    specs = registry.specs(names)  # unknown names are a configuration error, raised here
    res = ToolLoopResult(prompt=with_tool_catalogue(messages, specs))
    session = registry.session(allowed=names)
    spent = {"tokens_in": 0, "tokens_out": 0, "cost": 0.0}
    for turn in range(max_turns):
        context = [*res.prompt, *res.trace]
        entry = journal.get(context) if journal is not None else None
        asked = entry is None  # asked of the teacher in this attempt (not replayed from the journal)
        if entry is not None:
            session.restore(entry["state"])
            res.replayed += 1
        else:
            try:
                msg = _normalise(generate(context), turn)
            except TeacherFailed as e:
                e.turn, e.spent = turn + 1, spent
                raise
            results = [_execute(session, tc, tool_timeout_s) for tc in msg.get("tool_calls") or []]
            usage = getattr(generate, "last_usage", None) or {}
            entry = {"assistant": msg, "results": results, "state": session.snapshot(), "usage": usage,
                     "finish_reason": getattr(generate, "last_finish_reason", None) or "stop"}
            if journal is not None:
                journal.put(context, entry)
        res.trace += [entry["assistant"], *entry["results"]]
        res.turns += 1
        res.tokens_in += int(entry["usage"].get("tokens_in", 0))
        res.tokens_out += int(entry["usage"].get("tokens_out", 0))
        res.cost += float(entry["usage"].get("cost", 0.0))
        if asked:
            for k in spent:
                spent[k] += type(spent[k])(entry["usage"].get(k, 0))
        if not entry["assistant"].get("tool_calls"):
            # an answer cut at max_tokens or by a content filter says so, as a one-turn answer does (the row's
            # finish_reason: the no_truncation filter, the generate step); "stop" for journal entries without one
            fin = entry.get("finish_reason")
            res.finish_reason = fin if fin in CUT_SHORT else "stop"
            return res
    res.finish_reason = "max_turns"
    log.info("tool loop stopped after max_turns=%d without a final answer", max_turns)
    return res


def _execute(session: Any, tc: dict, timeout_s: float | None) -> dict:
    """One call -> its tool message. A failure or a call past ``timeout_s`` is an error the model sees."""
    fn = tc["function"]
    if timeout_s is None:
        out = session.execute(fn["name"], fn["arguments"])
    else:
        # a daemon thread per call: a stuck tool is abandoned, the loop and the worker go on
        box: list = []
        t = threading.Thread(target=lambda: box.append(session.execute(fn["name"], fn["arguments"])), daemon=True)
        t.start()
        t.join(timeout_s)
        if not box:
            log.warning("tool %s timed out after %gs", fn["name"], timeout_s)
            return {"role": "tool", "tool_call_id": tc["id"], "content": error_content(f"tool {fn['name']} timed out after {timeout_s:g}s")}
        out = box[0]
    if not out.ok:
        log.debug("tool call %s failed (%s): %s", fn["name"], out.kind, out.message)
    return {"role": "tool", "tool_call_id": tc["id"], "content": out.content}


# -- text-only engines -------------------------------------------------------------------------
_CALL_RE = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)

TOOL_PROMPT = (
    "\n\nYou may call these tools:\n<tools>\n{specs}\n</tools>\n"
    'To call a tool reply only with <tool_call>{{"name": "<tool>", "arguments": {{...}}}}</tool_call>. '
    "Tool results come back inside <tool_response></tool_response>. "
    "When you know the answer, reply with the answer in plain text."
)


def parse_tool_calls_text(text: str) -> dict:
    """Text with ``<tool_call>{json}</tool_call>`` blocks (Hermes/SmolLM2 style) -> assistant message.

    A block holding a JSON list yields several calls. A block that is not JSON still becomes a
    call (name None, the raw text as arguments) so that the loop returns an error the model sees.
    """
    blocks = _CALL_RE.findall(text)
    if not blocks:
        return {"role": "assistant", "content": text.strip()}
    calls = []
    for b in blocks:
        try:
            parsed = json.loads(b)
        except json.JSONDecodeError:
            calls.append({"name": None, "arguments": b})
            continue
        for c in parsed if isinstance(parsed, list) else [parsed]:
            c = c if isinstance(c, dict) else {}
            calls.append({"name": c.get("name"), "arguments": c.get("arguments", c.get("parameters", {}))})  # Llama 3.x: parameters
    content = _CALL_RE.sub("", text).strip() or None
    return {"role": "assistant", "content": content, "tool_calls": calls}


def to_text_messages(messages: list[dict]) -> list[dict]:
    """OpenAI tools-format messages -> plain role/content messages any chat template renders."""
    out = []
    for m in messages:
        role, content = m.get("role"), m.get("content") or ""
        if role == "system" and m.get("tools"):
            content += TOOL_PROMPT.format(specs="\n".join(json.dumps(s["function"]) for s in m["tools"]))
        elif role == "assistant" and m.get("tool_calls"):
            blocks = [{"name": tc["function"]["name"], "arguments": _loads(tc["function"]["arguments"])}
                      for tc in m["tool_calls"]]  # fmt: skip
            content = (content + "\n" if content else "") + "".join(
                f"<tool_call>{json.dumps(b)}</tool_call>" for b in blocks)
        elif role == "tool":
            role, content = "user", f"<tool_response>{content}</tool_response>"
        out.append({"role": role, "content": content})
    return out


def _loads(s: str) -> Any:
    try:
        return json.loads(s)
    except (json.JSONDecodeError, TypeError):
        return s


def _usage(res: Any) -> dict:
    return {"tokens_in": res.tokens_in, "tokens_out": res.tokens_out, "cost": res.cost}


class TextToolGenerate:
    """``generate`` for run_tool_loop from any text-only :class:`~teachers.base.Teacher` (``<tool_call>`` text)."""

    def __init__(self, teacher: Any, params: Any, sample_index: int = 0):
        self.teacher, self.params, self.sample_index = teacher, params, sample_index
        self.last_usage: dict = {}
        self.last_finish_reason = "stop"

    def __call__(self, messages: list[dict]) -> dict:
        from teachers.base import GenRequest

        text_msgs = to_text_messages(messages)
        key = hashlib.sha256(json.dumps(text_msgs, sort_keys=True).encode()).hexdigest()[:24]
        (res,) = self.teacher.generate([GenRequest(key=key, messages=text_msgs, params=self.params, sample_index=self.sample_index)])
        if res.error:
            raise TeacherFailed(res.error)
        self.last_usage, self.last_finish_reason = _usage(res), res.finish_reason
        msg = parse_tool_calls_text(res.text)
        if res.reasoning:
            msg["reasoning_content"] = res.reasoning
        return msg


class NativeToolGenerate:
    """``generate`` for run_tool_loop from an engine that takes ``tools=`` and answers with ``tool_calls``
    (openai_compat): the catalogue goes out as ``tools``, parallel calls come back as they are."""

    def __init__(self, teacher: Any, params: Any, sample_index: int = 0, tool_choice: Any = None):
        self.teacher, self.params, self.sample_index, self.tool_choice = teacher, params, sample_index, tool_choice
        self.last_usage: dict = {}
        self.last_finish_reason = "stop"

    def __call__(self, messages: list[dict]) -> dict:
        from teachers.base import GenRequest

        specs = next((m["tools"] for m in messages if m.get("role") == "system" and m.get("tools")), None)
        key = hashlib.sha256(json.dumps([messages, self.sample_index], sort_keys=True).encode()).hexdigest()[:24]
        (res,) = self.teacher.generate([GenRequest(key=key, messages=messages, params=self.params, sample_index=self.sample_index,
                                                   tools=specs, tool_choice=self.tool_choice)])
        if res.error:
            raise TeacherFailed(res.error)
        self.last_usage, self.last_finish_reason = _usage(res), res.finish_reason
        msg: dict = {"role": "assistant", "content": res.text or None}
        if res.extra.get("tool_calls"):
            msg["tool_calls"] = res.extra["tool_calls"]
        elif _CALL_RE.search(res.text or ""):
            # the server's tool parser gave up on the model's call and sent its raw text (vLLM's hermes parser on
            # malformed JSON, llama.cpp): not an answer; run it as the text protocol does, or tell the model what was
            # wrong with it, so it can try again
            msg = parse_tool_calls_text(res.text)
        if res.reasoning:
            msg["reasoning_content"] = res.reasoning
        return msg
