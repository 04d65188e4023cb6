"""Engine registry: recipe ``teacher.engine`` -> "module:Class", imported lazily."""

from __future__ import annotations

import importlib
from typing import Any

from teachers.base import Teacher

ENGINES: dict[str, str] = {
    "hf_local": "teachers.hf_local:HFLocalTeacher",
    "tool_agent": "teachers.tool_agent:ToolAgentTeacher",
    "openai_compat": "teachers.openai_compat:OpenAICompatTeacher",
    "vllm": "teachers.vllm_engine:VLLMTeacher",
}


def teacher_class(engine: str) -> type[Teacher]:
    if engine not in ENGINES:
        raise KeyError(f"unknown teacher engine {engine!r}; known: {', '.join(sorted(ENGINES))}")
    mod, cls = ENGINES[engine].split(":")
    return getattr(importlib.import_module(mod), cls)


def make_teacher(engine: str, name: str, model: str, **options: Any) -> Teacher:
    return teacher_class(engine)(name=name, model=model, **options)
