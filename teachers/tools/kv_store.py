"""``kv_store``: a per-sample in-memory key-value store (set / get / delete / list).

    >>> from teachers.tools.kv_store import KVStore
    >>> kv = KVStore(); st = kv.new_state()
    >>> kv.run(st, op="set", key="city", value="Lyon")
    {'ok': True}
    >>> kv.run(st, op="get", key="city")
    {'value': 'Lyon'}
    >>> kv.run(st, op="list")
    {'keys': ['city']}

Getting or deleting a missing key is a :class:`ToolError` ("key not found: ..."), so a trace that
reads a key it never wrote shows an error result the final answer must not ignore.
"""

from __future__ import annotations


from teachers.tools.base import Tool, ToolError

MAX_KEYS = 1000
MAX_VALUE_CHARS = 10_000


class KVStore(Tool):
    name = "kv_store"
    description = (
        "A key-value store. op=set stores value under key; get returns it; delete removes it; list lists keys."
    )
    parameters = {
        "type": "object",
        "properties": {
            "op": {"type": "string", "enum": ["set", "get", "delete", "list"], "description": "Operation."},
            "key": {"type": "string", "description": "Key (not needed for list)."},
            "value": {"type": "string", "description": "Value to store (set only)."},
        },
        "required": ["op"],
        "additionalProperties": False,
    }

    def new_state(self) -> dict[str, str]:
        return {}

    def run(self, state: dict[str, str], op: str, key: str | None = None, value: str | None = None) -> dict:
        if op == "list":
            return {"keys": sorted(state)}
        if key is None:
            raise ToolError(f"op {op!r} needs 'key'")
        if op == "set":
            if value is None:
                raise ToolError("op 'set' needs 'value'")
            if len(value) > MAX_VALUE_CHARS:
                raise ToolError(f"value longer than {MAX_VALUE_CHARS} characters")
            if key not in state and len(state) >= MAX_KEYS:
                raise ToolError(f"store is full ({MAX_KEYS} keys)")
            state[key] = value
            return {"ok": True}
        if key not in state:
            raise ToolError(f"key not found: {key!r}")
        if op == "get":
            return {"value": state[key]}
        del state[key]  # op == "delete" (the schema's enum rules out anything else)
        return {"ok": True}
