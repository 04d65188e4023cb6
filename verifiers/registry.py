"""Verifier registry: name -> "module:Class". Explicit, no self-registration on import.

Add a line here when you add a verifier file. Classes are imported lazily so that a verifier's
heavy dependencies load only when a recipe uses it.
"""

from __future__ import annotations

import importlib
from typing import Any

from verifiers.base import Verifier

REGISTRY: dict[str, str] = {
    "math_answer": "verifiers.math_answer:MathAnswer",
    "code_exec": "verifiers.code_exec:CodeExec",
    "tool_calls": "verifiers.tool_calls:ToolCalls",
    "function_call_ast": "verifiers.function_call_ast:FunctionCallAST",
    "constitution": "verifiers.constitution:Constitution",
    "judge": "verifiers.judge:Judge",
}


def verifier_class(name: str) -> type[Verifier]:
    if name not in REGISTRY:
        raise KeyError(f"unknown verifier {name!r}; known: {', '.join(sorted(REGISTRY))}")
    mod, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(mod), cls)


def get_verifier(name: str, **options: Any) -> Verifier:
    return verifier_class(name)(**options)
