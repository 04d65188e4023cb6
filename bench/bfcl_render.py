"""Python values -> Java / JavaScript literal text, as a model answering BFCL's simple_java/_javascript would write.

    >>> render_value([101, 202], {"type": "ArrayList", "items": {"type": "long"}}, "java")
    'new ArrayList<>(Arrays.asList(101L, 202L))'
    >>> render_value({"limit": 50}, {"type": "HashMap"}, "java")
    'new HashMap<String, Object>() {{ put("limit", 50); }}'
    >>> render_value({"method": "GET", "n": [1, 2]}, {"type": "dict"}, "javascript")
    '{method: "GET", n: [1, 2]}'

Top-level strings of a string-like type go bare, as BFCL's decoder hands them to its checker (the
string's content), and so does a variable name where the docs want another type (BFCL's answers
name variables, e.g. ``"items": ["myItemList"]``); any other string where the docs want another type
goes quoted, so that it stays a string (the bench's "wrong type" case, ``"5"`` for an integer).
"""

from __future__ import annotations

import json
import re
from typing import Any

_JAVA_ELEM = {"long": "Long", "integer": "Integer", "int": "Integer", "double": "Double", "float": "Float",
              "boolean": "Boolean", "String": "String", "char": "Character", "any": "Object"}  # fmt: skip
_STRINGY = {"String", "any", "char", "string"}
_NAME = re.compile(r"[A-Za-z_$][\w$.]*")


def _java(v: Any, t: str | None) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v}L" if t == "long" else f"{v}.0f" if t == "float" else f"{v}.0" if t == "double" else str(v)
    if isinstance(v, float):
        return f"{v}f" if t == "float" else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        puts = " ".join(f"put({json.dumps(str(k))}, {_java(x, None)});" for k, x in v.items())
        return f"new HashMap<String, Object>() {{{{ {puts} }}}}"
    if isinstance(v, list):
        return ", ".join(_java(x, t) for x in v)
    return str(v)


def _js(v: Any, t: str | None) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) and t == "Bigint":
        return f"{v}n"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_js(x, None)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_js(x, t) for x in v) + "]"
    return str(v)


def render_value(v: Any, prop: dict, language: str) -> str:
    t = str(prop.get("type"))
    items = (prop.get("items") or {}).get("type")
    if isinstance(v, str):
        return v if t in _STRINGY or _NAME.fullmatch(v) else json.dumps(v)
    if language == "javascript":
        return _js(v, items if isinstance(v, list) else t)
    if isinstance(v, list) and t == "Array":
        return f"new {_JAVA_ELEM.get(str(items), 'Object')}[]{{{_java(v, items)}}}"
    if isinstance(v, list):
        return f"new ArrayList<>(Arrays.asList({_java(v, items)}))"
    return _java(v, t)
