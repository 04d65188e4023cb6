"""Tools with real implementations, a registry of instances, and a per-sample session that runs calls.

A :class:`Tool` has a ``name``, a ``description``, a JSON schema for its ``parameters`` (the
OpenAI "function" shape) and a Python implementation :meth:`Tool.run`. Stateful tools (key-value
store, file system) keep their state in an object made by :meth:`Tool.new_state`; a
:class:`ToolSession` holds one such state per tool, so each sample (and each replay) starts from a
fresh, empty world. The teacher loop (``teachers/tool_loop.py``) and the ``tool_calls`` verifier
both execute calls through :meth:`ToolSession.execute`, which is why a replay of an honest trace
reproduces its recorded results byte for byte.

    >>> from teachers.tools import default_registry
    >>> reg = default_registry()
    >>> s = reg.session()
    >>> s.execute("calculator", '{"expression": "6*7"}').content
    '{"result": 42}'
    >>> s.execute("calculator", '{"expression": "1/0"}').content
    '{"error": "division by zero"}'
    >>> s.execute("nope", "{}").kind
    'unknown_tool'

Tool result content (what goes into ``{"role": "tool", "content": ...}``) is canonical JSON:
``json.dumps(result, sort_keys=True)`` on success, ``{"error": "<message>"}`` on failure.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

log = logging.getLogger(__name__)

OK, UNKNOWN_TOOL, BAD_ARGUMENTS, TOOL_ERROR = "ok", "unknown_tool", "bad_arguments", "tool_error"


class ToolError(Exception):
    """A failure the caller should see as a tool result (bad input, missing key, division by zero)."""


class Tool:
    """Base class. Subclasses set ``name``, ``description``, ``parameters`` and implement ``run``."""

    name: ClassVar[str] = "tool"
    description: ClassVar[str] = ""
    #: JSON schema (type/properties/required/enum/additionalProperties) of the arguments object
    parameters: ClassVar[dict] = {"type": "object", "properties": {}, "additionalProperties": False}

    def __init__(self) -> None:
        self._validator: Draft202012Validator | None = None

    def new_state(self) -> Any:
        """Fresh per-sample state (``None`` for stateless tools)."""
        return None

    def run(self, state: Any, **arguments: Any) -> Any:  # pragma: no cover - abstract
        """Return a JSON-serialisable result or raise :class:`ToolError`."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the tool started (the ``python`` tool's sandbox); it starts again on the next call."""

    def spec(self) -> dict:
        """The OpenAI ``tools`` entry for this tool."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def validate(self, arguments: Any) -> str | None:
        """``None`` if ``arguments`` fit the schema, else one precise message naming the field."""
        if self._validator is None:
            # Compiled once per tool instance: re-checking the schema on every call is most of the
            # cost of jsonschema.validate() (see bench/bench_verifiers.py).
            self._validator = Draft202012Validator(self.parameters)
        err = best_match(self._validator.iter_errors(arguments))
        if err is None:
            return None
        where = "arguments" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        return f"{where}: {err.message}"

    def __getstate__(self) -> dict:
        # The compiled validator is a cache; rebuild it after unpickling on a Ray worker.
        d = self.__dict__.copy()
        d["_validator"] = None
        return d


@dataclass
class ToolOutcome:
    """What one call produced. ``content`` is exactly what the tool message carries."""

    kind: str  # OK | UNKNOWN_TOOL | BAD_ARGUMENTS | TOOL_ERROR
    content: str
    message: str = ""  # the error message when kind != OK

    @property
    def ok(self) -> bool:
        return self.kind == OK


def error_content(message: str) -> str:
    return json.dumps({"error": message}, sort_keys=True, ensure_ascii=False)


class ToolSession:
    """Fresh tool states for one sample; created by :meth:`ToolRegistry.session`."""

    def __init__(self, registry: ToolRegistry, allowed: set[str] | None = None):
        self.registry = registry
        self.allowed = allowed
        self._states: dict[str, Any] = {}

    def snapshot(self) -> str:
        """The tools' states as JSON (every built-in tool keeps JSON-able state): a journal entry for resume."""
        return json.dumps(self._states, sort_keys=True, ensure_ascii=False)

    def restore(self, snapshot: str) -> None:
        self._states = json.loads(snapshot)

    def execute(self, name: Any, arguments: Any) -> ToolOutcome:
        """Run one call. ``arguments`` is the JSON string from the call (a dict is accepted too)."""
        tool = self.registry.get(name) if isinstance(name, str) else None
        if tool is None or (self.allowed is not None and name not in self.allowed):
            offered = sorted(self.allowed if self.allowed is not None else self.registry.names())
            msg = f"unknown tool {name!r}; available: {', '.join(offered)}"
            return ToolOutcome(UNKNOWN_TOOL, error_content(msg), msg)
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except (json.JSONDecodeError, RecursionError) as e:  # RecursionError: absurdly deep nesting
                msg = f"arguments are not valid JSON: {e or type(e).__name__}"
                return ToolOutcome(BAD_ARGUMENTS, error_content(msg), msg)
        problem = tool.validate(arguments)
        if problem is not None:
            msg = f"invalid arguments for {name}: {problem}"
            return ToolOutcome(BAD_ARGUMENTS, error_content(msg), msg)
        if name not in self._states:
            self._states[name] = tool.new_state()
        try:
            result = tool.run(self._states[name], **arguments)
        except ToolError as e:
            return ToolOutcome(TOOL_ERROR, error_content(str(e)), str(e))
        except Exception as e:  # a bug in a tool must not kill a verifier batch; surface it as a result
            log.warning("tool %s raised %r", name, e)
            msg = f"{type(e).__name__}: {e}"
            return ToolOutcome(TOOL_ERROR, error_content(msg), msg)
        try:  # what the tool message carries is strict JSON: no NaN/Infinity, nothing that only Python can print
            return ToolOutcome(OK, json.dumps(result, sort_keys=True, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError) as e:
            msg = f"tool {name} returned a result that is not JSON data ({e})"
            return ToolOutcome(TOOL_ERROR, error_content(msg), msg)


class ToolRegistry:
    """Named tool instances. Explicit: build it with the tools you want, nothing registers itself."""

    def __init__(self, tools: list[Tool] | tuple[Tool, ...] = ()):
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"duplicate tool name {tool.name!r}")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def specs(self, names: list[str] | None = None) -> list[dict]:
        """OpenAI ``tools`` list for ``names`` (all tools if None); an unknown name is a KeyError."""
        names = self.names() if names is None else names
        missing = [n for n in names if n not in self._tools]
        if missing:
            raise KeyError(f"unknown tool(s) {missing}; known: {', '.join(self.names())}")
        return [self._tools[n].spec() for n in names]

    def subset(self, names: list[str]) -> ToolRegistry:
        self.specs(names)  # raises on unknown names
        return ToolRegistry([self._tools[n] for n in names])

    def close(self) -> None:
        for t in self._tools.values():
            t.close()

    def session(self, allowed: list[str] | set[str] | None = None) -> ToolSession:
        return ToolSession(self, set(allowed) if allowed is not None else None)
