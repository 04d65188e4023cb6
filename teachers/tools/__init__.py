"""Real tool implementations for tool-use traces, and the registry the verifier and teacher loop share.

    >>> from teachers.tools import default_registry
    >>> reg = default_registry()
    >>> reg.names()
    ['calculator', 'kv_store', 'filesystem', 'unit_convert', 'python']
    >>> reg.session().execute("unit_convert", '{"value": 1, "from_unit": "km", "to_unit": "m"}').content
    '{"unit": "m", "value": 1000.0}'
"""

from __future__ import annotations

from teachers.tools.base import Tool, ToolError, ToolOutcome, ToolRegistry, ToolSession
from teachers.tools.calculator import Calculator
from teachers.tools.filesystem import FileSystem
from teachers.tools.kv_store import KVStore
from teachers.tools.python_exec import PythonExec
from teachers.tools.units import UnitConverter


def default_registry() -> ToolRegistry:
    """A new registry with every built-in tool (explicit list; add a line when adding a tool file)."""
    return ToolRegistry([Calculator(), KVStore(), FileSystem(), UnitConverter(), PythonExec()])


__all__ = ["Tool", "ToolError", "ToolOutcome", "ToolRegistry", "ToolSession", "default_registry"]
