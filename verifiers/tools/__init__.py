"""Real tool implementations for tool-use traces, and the registry the verifier and teacher loop share.

    >>> from verifiers.tools import default_registry
    >>> reg = default_registry()
    >>> reg.names()
    ['calculator', 'kv_store', 'filesystem', 'unit_convert']
    >>> reg.session().execute("unit_convert", '{"value": 1, "from_unit": "km", "to_unit": "m"}').content
    '{"unit": "m", "value": 1000.0}'
"""

from __future__ import annotations

from verifiers.tools.base import Tool, ToolError, ToolOutcome, ToolRegistry, ToolSession
from verifiers.tools.calculator import Calculator
from verifiers.tools.filesystem import FileSystem
from verifiers.tools.kv_store import KVStore
from verifiers.tools.units import UnitConverter


def default_registry() -> ToolRegistry:
    """A new registry with every built-in tool (explicit list; add a line when adding a tool file)."""
    return ToolRegistry([Calculator(), KVStore(), FileSystem(), UnitConverter()])


__all__ = ["Tool", "ToolError", "ToolOutcome", "ToolRegistry", "ToolSession", "default_registry"]
