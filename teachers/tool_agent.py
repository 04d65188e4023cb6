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
from typing import Any, Literal

from pydantic import Field, model_validator

from ground.config import Config, validate
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


class ToolAgentOptions(Config):
    inner_engine: str = Field("hf_local", description="the engine asked for each turn (any registered engine but tool_agent)")
    inner_options: dict[str, Any] = Field(default_factory=dict, description="the inner engine's options")
    tools: list[str] | None = Field(None, description="registry tools offered (teachers/tools); null = every built-in tool")
    max_turns: int = Field(4, ge=1, description="model turns per request (a turn without tool calls ends the loop)")
    protocol: Literal["auto", "native", "text"] = Field("auto", description="native: OpenAI tools/tool_calls (an inner "
                                                         "engine that sends tools natively); text: <tool_call> blocks; "
                                                         "auto: native when the inner engine can")
    tool_choice: Any = Field(None, description="native protocol: the API's tool_choice (auto, none, required, {...})")
    tool_timeout_s: float | None = Field(10.0, gt=0, description="seconds one tool call may run; null = no limit")

    @model_validator(mode="after")
    def _inner(self) -> "ToolAgentOptions":
        from teachers.registry import ENGINES, teacher_class
        from teachers.tools import default_registry

        if self.inner_engine not in ENGINES or self.inner_engine == "tool_agent":
            raise ValueError(f"tool_agent: bad inner_engine {self.inner_engine!r}")
        inner = teacher_class(self.inner_engine)
        validate(inner.Options, self.inner_options, f"tool_agent inner {self.inner_engine}")
        _protocol(self.protocol, self.inner_engine, inner.native_tools(self.inner_options))
        unknown = sorted(set(self.tools or []) - set(default_registry().names()))
        if unknown:
            raise ValueError(f"tool_agent: unknown tools {unknown}; known: {default_registry().names()}")
        return self


class ToolAgentTeacher(Teacher):
    engine = "tool_agent"
    Options = ToolAgentOptions
    #: set by the generate step when the run has a request cache: where finished turns are journalled
    turn_cache: Any = None

    def __init__(self, name: str, model: str, **options: Any):
        super().__init__(name, model, **options)
        from teachers.registry import make_teacher, teacher_class
        from teachers.tools import default_registry

        o = self.options
        self.registry = default_registry()
        self.tools = list(o.tools) if o.tools is not None else self.registry.names()
        self.max_turns = int(o.max_turns)
        self.inner_engine = o.inner_engine
        self.protocol = _protocol(o.protocol, o.inner_engine, teacher_class(o.inner_engine).native_tools(o.inner_options))
        self.tool_choice, self.tool_timeout_s = o.tool_choice, o.tool_timeout_s
        self.inner = make_teacher(o.inner_engine, name, model, **o.inner_options)
        # what else makes a turn's answer: a journal entry made under another tool_choice, catalogue or inner
        # server setting is never replayed (max_turns is left out: a longer loop reuses the turns it shares)
        self.journal_scope = {k: v for k, v in self.cache_options(options).items() if k != "max_turns"}

    @classmethod
    def cache_options(cls, options: dict) -> dict:
        """The loop's settings and the inner engine's answer-changing options (request-cache key)."""
        from teachers.registry import teacher_class

        o = validate(ToolAgentOptions, options, "tool_agent")
        inner = teacher_class(o.inner_engine).cache_options(o.inner_options)
        return {"inner_engine": o.inner_engine, "tools": o.tools, "max_turns": o.max_turns, "protocol": o.protocol,
                "tool_choice": o.tool_choice, **({"inner": inner} if inner else {})}

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        width = min(len(requests), self.inner.parallel_requests())
        if width < 2:
            return [self._one(r) for r in requests]
        # An engine that waits on the network (an API): run the batch's loops side by side (each has its own
        # tool session; the client works from any thread), at most the engine's own concurrency.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(width, thread_name_prefix="tool-loop") as pool:
            return list(pool.map(self._one, requests))

    def _one(self, r: GenRequest) -> GenResult:
        from teachers.tool_loop import NativeToolGenerate, TeacherFailed, TextToolGenerate, run_tool_loop

        t0 = time.perf_counter()
        gen = (NativeToolGenerate(self.inner, r.params, r.sample_index, self.tool_choice) if self.protocol == "native"
               else TextToolGenerate(self.inner, r.params, r.sample_index))
        journal = None
        if self.turn_cache is not None:
            journal = TurnJournal(self.turn_cache, [self.inner_engine, self.model, self.protocol, r.params.to_dict(), r.sample_index,
                                                    self.journal_scope])
        try:
            res = run_tool_loop(gen, r.messages, self.tools, self.registry, self.max_turns, self.tool_timeout_s, journal)
        except TeacherFailed as e:  # its own reason first: a transient one gets the row's chunk redone by a re-run
            return GenResult(finish_reason="error", error=f"{e.error[:270]} (tool loop, turn {e.turn})",
                             seconds=time.perf_counter() - t0, **e.spent)  # the finished turns were paid for
        except Exception as e:  # noqa: BLE001 - one failed request fails its row only
            return GenResult(finish_reason="error", error=f"tool loop failed: {e}"[:300], seconds=time.perf_counter() - t0)
        return GenResult(text=res.completion, finish_reason=res.finish_reason, seconds=time.perf_counter() - t0,
                         tokens_in=res.tokens_in, tokens_out=res.tokens_out, cost=res.cost,
                         extra={"messages": res.prompt, "turns": res.turns, "turns_replayed": res.replayed})

    def close(self) -> None:
        self.inner.close()
        self.registry.close()


def _protocol(protocol: str, inner_engine: str, native: bool) -> str:
    if protocol == "native" and not native:
        raise ValueError(f"tool_agent: protocol native needs an inner_engine that sends tools natively "
                         f"(e.g. openai_compat with endpoint chat), not {inner_engine!r}")
    if protocol == "auto":
        return "native" if native else "text"
    return protocol
