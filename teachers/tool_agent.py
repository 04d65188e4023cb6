"""``tool_agent``: an engine that wraps another engine in a tool-use loop and returns the whole trace.

    teacher:
      engine: tool_agent
      model: smollm2-135m-instruct
      options: {inner_engine: hf_local, inner_options: {threads: 2}, tools: [calculator, units], max_turns: 4}

For each request the inner teacher is asked for a reply; every tool call it makes is executed against
the real tools (teachers/tools) on this worker, each with ``tool_timeout_s``; the result (or the
tool's error) is fed back as a tool message, until an answer without tool calls or ``max_turns``
(teachers/tool_loop.py). ``protocol``: ``native`` sends the catalogue as OpenAI ``tools`` and reads
``tool_calls`` (parallel calls too; the default for an ``openai_compat`` chat endpoint), ``text`` asks
for ``<tool_call>`` blocks in plain text (local models without tool support; the default otherwise).
The row's ``completion`` becomes the JSON trace of assistant/tool turns and its ``messages`` the prompt
with the tool catalogue attached (ground/conversation.py); tokens and cost are summed over every turn.
With a request cache, every finished turn is journalled (``<cache>/turns``): a resumed run replays
it without paying for it or running its tools again. One request fails alone.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ground.record import sha
from teachers.base import GenRequest, GenResult, Teacher


class TurnJournal:
    """Finished tool-loop turns of one request, in a :class:`~teachers.cache.RequestCache`."""

    _lock = threading.Lock()  # the cache's lazy index is shared by the batch's loop threads

    def __init__(self, cache: Any, scope: list):
        self.cache, self.scope = cache, scope

    def _key(self, context: list[dict]) -> str:
        return sha("tool-turn-v1", self.scope, context, n=40)

    def get(self, context: list[dict]) -> dict | None:
        k = self._key(context)
        with self._lock:
            return self.cache.get_many([k]).get(k)

    def put(self, context: list[dict], entry: dict) -> None:
        k = self._key(context)
        with self._lock:
            self.cache.put({k: entry})


class ToolAgentTeacher(Teacher):
    engine = "tool_agent"
    #: set by the generate step when the run has a request cache: where finished turns are journalled
    turn_cache: Any = None

    def __init__(self, name: str, model: str, inner_engine: str = "hf_local", inner_options: dict | None = None,
                 tools: list[str] | None = None, max_turns: int = 4, protocol: str = "auto", tool_choice: Any = None,
                 tool_timeout_s: float | None = 10.0):
        super().__init__(name, model)
        from teachers.registry import make_teacher
        from teachers.tools import default_registry

        if inner_engine == "tool_agent":
            raise ValueError("tool_agent cannot wrap itself")
        if max_turns < 1:
            raise ValueError("tool_agent: max_turns must be >= 1")
        self.registry = default_registry()
        self.tools = list(tools) if tools is not None else self.registry.names()
        self.max_turns = int(max_turns)
        self.inner_engine = inner_engine
        self.protocol = _protocol(protocol, inner_engine, inner_options or {})
        self.tool_choice, self.tool_timeout_s = tool_choice, tool_timeout_s
        self.inner = make_teacher(inner_engine, name, model, **(inner_options or {}))
    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        super().check_options(options)
        from teachers.registry import ENGINES, teacher_class
        from teachers.tools import default_registry

        inner = options.get("inner_engine", "hf_local")
        if inner not in ENGINES or inner == "tool_agent":
            raise ValueError(f"tool_agent: bad inner_engine {inner!r}")
        _protocol(options.get("protocol", "auto"), inner, options.get("inner_options") or {})
        t = options.get("tool_timeout_s", 10.0)
        if t is not None and (not isinstance(t, (int, float)) or t <= 0):
            raise ValueError(f"tool_agent: tool_timeout_s must be a number > 0 or null, got {t!r}")
        teacher_class(inner).check_options(options.get("inner_options") or {})
        unknown = sorted(set(options.get("tools") or []) - set(default_registry().names()))
        if unknown:
            raise ValueError(f"tool_agent: unknown tools {unknown}; known: {default_registry().names()}")

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        if self.inner_engine != "openai_compat" or len(requests) < 2:
            return [self._one(r) for r in requests]
        # An API teacher waits on the network: run the batch's loops side by side (each has its own tool
        # session; the HTTP client works from any thread), at most the client's own concurrency.
        from concurrent.futures import ThreadPoolExecutor

        width = min(len(requests), int(getattr(getattr(self.inner, "options", None), "concurrency", 8)))
        with ThreadPoolExecutor(width, thread_name_prefix="tool-loop") as pool:
            return list(pool.map(self._one, requests))

    def _one(self, r: GenRequest) -> GenResult:
        from teachers.tool_loop import NativeToolGenerate, TextToolGenerate, run_tool_loop

        t0 = time.perf_counter()
        gen = (NativeToolGenerate(self.inner, r.params, r.sample_index, self.tool_choice) if self.protocol == "native"
               else TextToolGenerate(self.inner, r.params, r.sample_index))
        journal = None
        if self.turn_cache is not None:
            journal = TurnJournal(self.turn_cache, [self.inner_engine, self.model, self.protocol, r.params.to_dict(), r.sample_index])
        try:
            res = run_tool_loop(gen, r.messages, self.tools, self.registry, self.max_turns, self.tool_timeout_s, journal)
        except Exception as e:  # noqa: BLE001 - one failed request fails its row only
            return GenResult(finish_reason="error", error=f"tool loop failed: {e}"[:300], seconds=time.perf_counter() - t0)
        return GenResult(text=res.completion, finish_reason=res.finish_reason, seconds=time.perf_counter() - t0,
                         tokens_in=res.tokens_in, tokens_out=res.tokens_out, cost=res.cost,
                         extra={"messages": res.prompt, "turns": res.turns, "turns_replayed": res.replayed})

    def close(self) -> None:
        self.inner.close()


def _protocol(protocol: str, inner_engine: str, inner_options: dict) -> str:
    if protocol not in ("auto", "native", "text"):
        raise ValueError(f"tool_agent: protocol must be auto, native or text, got {protocol!r}")
    chat_api = inner_engine == "openai_compat" and inner_options.get("endpoint", "chat") == "chat"
    if protocol == "native" and not chat_api:
        raise ValueError(f"tool_agent: protocol native needs inner_engine openai_compat with endpoint chat, not {inner_engine!r}")
    if protocol == "auto":
        return "native" if chat_api else "text"
    return protocol
