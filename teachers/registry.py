"""Engine registry: recipe ``teacher.engine`` -> Teacher class, imported lazily.

Built-in engines are listed here; a third-party engine is an entry point in the group
``distill_factory.teachers`` (see docs/extending.md), loaded only when a recipe names it.
"""

from __future__ import annotations

from typing import Any

from ground.plugins import Registry
from teachers.base import Teacher

ENGINES = Registry("teachers", {
    "hf_local": "teachers.hf_local:HFLocalTeacher",
    "tool_agent": "teachers.tool_agent:ToolAgentTeacher",
    "openai_compat": "teachers.openai_compat:OpenAICompatTeacher",
    "vllm": "teachers.vllm_engine:VLLMTeacher",
})


def teacher_class(engine: str) -> type[Teacher]:
    try:
        return ENGINES.load(engine)
    except KeyError:
        raise KeyError(f"unknown teacher engine {engine!r}; known: {', '.join(ENGINES.names())}") from None


def make_teacher(engine: str, name: str, model: str, **options: Any) -> Teacher:
    return teacher_class(engine)(name=name, model=model, **options)
