"""``tool_agent``: an engine that wraps another engine in a tool-use loop and returns the whole trace.

    teacher:
      engine: tool_agent
      model: smollm2-135m-instruct
      options: {inner_engine: hf_local, inner_options: {threads: 2}, tools: [calculator, units], max_turns: 4}

For each request the inner teacher is asked for a reply; every tool call it makes is executed against
the real tools (teachers/tools), the result (or the tool's error) is fed back, until an answer
without tool calls or ``max_turns`` (teachers/tool_loop.py). The row's ``completion`` becomes the
JSON trace of assistant/tool turns, and its ``messages`` the prompt with the tool catalogue attached:
exactly what the ``tool_calls`` verifier replays. One request fails alone: a teacher error becomes the
row's error, the batch goes on.
"""

from __future__ import annotations

import time
from typing import Any

from teachers.base import GenRequest, GenResult, Teacher


class ToolAgentTeacher(Teacher):
    engine = "tool_agent"

    def __init__(self, name: str, model: str, inner_engine: str = "hf_local", inner_options: dict | None = None,
                 tools: list[str] | None = None, max_turns: int = 4):
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
        self.inner = make_teacher(inner_engine, name, model, **(inner_options or {}))

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        super().check_options(options)
        from teachers.registry import ENGINES, teacher_class
        from teachers.tools import default_registry

        inner = options.get("inner_engine", "hf_local")
        if inner not in ENGINES or inner == "tool_agent":
            raise ValueError(f"tool_agent: bad inner_engine {inner!r}")
        teacher_class(inner).check_options(options.get("inner_options") or {})
        unknown = sorted(set(options.get("tools") or []) - set(default_registry().names()))
        if unknown:
            raise ValueError(f"tool_agent: unknown tools {unknown}; known: {default_registry().names()}")

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        from teachers.tool_loop import TextToolGenerate, run_tool_loop

        out = []
        for r in requests:
            t0 = time.perf_counter()
            try:
                res = run_tool_loop(TextToolGenerate(self.inner, r.params), r.messages, self.tools, self.registry, self.max_turns)
            except Exception as e:  # noqa: BLE001 - one failed request fails its row only
                out.append(GenResult(finish_reason="error", error=f"tool loop failed: {e}"[:300], seconds=time.perf_counter() - t0))
                continue
            out.append(GenResult(text=res.completion, finish_reason=res.finish_reason, seconds=time.perf_counter() - t0,
                                 extra={"messages": res.prompt, "turns": res.turns}))
        return out

    def close(self) -> None:
        self.inner.close()
