"""Verifier registry: name -> Verifier class. Explicit, no self-registration on import.

Add a line here when you add a built-in verifier file; a third-party verifier is an entry point in
the group ``distill_factory.verifiers`` (see docs/extending.md). Classes are imported lazily so that a
verifier's heavy dependencies load only when a recipe uses it.
"""

from __future__ import annotations

from typing import Any

from ground.plugins import Registry
from verifiers.base import Verifier

REGISTRY = Registry("verifiers", {
    "math_answer": "verifiers.math_answer:MathAnswer",
    "code_exec": "verifiers.code_exec:CodeExec",
    "tool_calls": "verifiers.tool_calls:ToolCalls",
    "function_call_ast": "verifiers.function_call_ast:FunctionCallAST",
    "constitution": "verifiers.constitution:Constitution",
    "judge": "verifiers.judge:Judge",
})


def verifier_class(name: str) -> type[Verifier]:
    return REGISTRY.load(name)


def get_verifier(name: str, **options: Any) -> Verifier:
    return verifier_class(name)(**options)
