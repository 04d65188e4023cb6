"""Java and JavaScript argument values (source text) -> Python values, for ``function_call_ast``'s ``language``.

    >>> from verifiers.function_call_langs import from_source
    >>> from_source("new ArrayList<>(Arrays.asList(101L, 202L))", {"type": "ArrayList"}, "java")
    [101, 202]
    >>> from_source('new HashMap<>() {{ put("limit", 50); put("s", "pub"); }}', {"type": "HashMap"}, "java")
    {'limit': 50, 's': 'pub'}
    >>> from_source("{method: 'GET', retries: [1, 2.5]}", {"type": "dict"}, "javascript")
    {'method': 'GET', 'retries': [1, 2.5]}
    >>> from_source("2.5", {"type": "integer"}, "java")  # not an int literal: stays text, so the type check fails
    '2.5'

BFCL's Java and JavaScript categories (``simple_java``, ``simple_javascript``) send every argument as
the literal's source text, documented with that language's type names (``long``, ``double``,
``HashMap``, ``ArrayList``, ``Bigint``, ...). A scalar must be a literal of its documented type
(``5L`` for a long, ``2.5f`` for a float, ``123n`` for a Bigint, ``true``); collections are parsed by
a small recursive-descent reader: ``new T[]{...}``, ``new ArrayList<>(Arrays.asList(...))``,
``new ArrayList<>() {{ add(x); }}``, ``List.of(...)``, ``new HashMap<>() {{ put(k, v); }}``,
``Map.of(k, v, ...)``, JavaScript ``[...]``, ``new Array(...)`` and ``{key: value}``. Text that is
none of these stays a string, as BFCL treats a variable name. Unlike BFCL's regex converter, quoted
strings inside a Java array are unquoted (``new String[]{"a"}`` is ``["a"]``; see bench/RESULTS.md).
"""

from __future__ import annotations

import re
from typing import Any

JAVA_TYPES: dict[str, type] = {
    "byte": int, "short": int, "integer": int, "long": int, "float": float, "double": float, "boolean": bool,
    "char": str, "String": str, "any": str, "Array": list, "ArrayList": list, "HashMap": dict,
}  # fmt: skip
JS_TYPES: dict[str, type] = {
    "String": str, "integer": int, "float": float, "Bigint": int, "Boolean": bool, "dict": dict, "array": list,
    "any": str,
}  # fmt: skip
_INT = r"-?\d+"
_DEC = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
# documented scalar type -> (literal pattern, conversion); anything else is parsed as a collection


def _int(s: str) -> int:
    return int(s.rstrip("lLn"))


def _float(s: str) -> float:
    return float(s.rstrip("fFdD"))


def _bool(s: str) -> bool:
    return s == "true"


_SCALARS = {
    "java": {"byte": (_INT, _int), "short": (_INT, _int), "integer": (_INT, _int), "long": (_INT + "[lL]", _int),
             "float": (_DEC + "[fF]", _float), "double": (_DEC, _float), "boolean": ("true|false", _bool)},
    "javascript": {"integer": (_INT, _int), "float": (_DEC, _float), "Bigint": (_INT + "n", _int),
                   "Boolean": ("true|false", _bool)},
}  # fmt: skip
_TOKEN = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[lLfFdDn]?"""
                    r"""|[A-Za-z_$][\w$.]*(?:\s*<[^()]*?>)?|[\[\]{}(),:;=]|\S)""")  # fmt: skip


def types_of(language: str) -> dict[str, type]:
    return JAVA_TYPES if language == "java" else JS_TYPES


class _Reader:
    """Recursive-descent reader of one literal; raises ValueError on anything it does not know."""

    def __init__(self, text: str):
        # ":" only separates a JavaScript key from its value, so {k: v} reads as the items k, v
        self.toks = [t for t in _TOKEN.findall(text) if t != ":"]
        self.i = 0

    def peek(self) -> str:
        return self.toks[self.i] if self.i < len(self.toks) else ""

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if not tok or (want is not None and tok != want):
            raise ValueError(f"expected {want!r}, got {tok!r}")
        self.i += 1
        return tok

    def items(self, close: str, sep: str = ",") -> list:
        out = []
        while self.peek() != close:
            out.append(self.value())
            if self.peek() == sep:
                self.take()
        self.take(close)
        return out

    def calls(self, verb: str) -> list[list]:
        """``{{ add(x); add(y); }}`` -> [[x], [y]] (``put(k, v)`` -> [k, v])."""
        self.take("{")
        self.take("{")
        out = []
        while self.peek() != "}":
            self.take(verb)
            self.take("(")
            out.append(self.items(")"))
            if self.peek() == ";":
                self.take()
        self.take("}")
        self.take("}")
        return out

    def new(self) -> Any:
        kind = self.take()
        if self.peek() == "[":  # new T[]{a, b}
            self.take("[")
            self.take("]")
            self.take("{")
            return self.items("}")
        self.take("(")
        args = self.items(")")
        if self.peek() == "{":
            body = self.calls("put" if kind.startswith(("HashMap", "Map", "Hashtable")) else "add")
            return dict(body) if kind.startswith(("HashMap", "Map", "Hashtable")) else [x for (x,) in body]
        if kind.startswith(("HashMap", "Map", "Hashtable")):
            return args[0] if args else {}
        if kind.startswith("Array") and not kind.startswith("ArrayList"):
            return args[0] if len(args) == 1 and isinstance(args[0], list) else args  # JS new Array(...)
        return args[0] if args else []

    def value(self) -> Any:
        tok = self.take()
        if tok[0] in "\"'":
            return tok[1:-1]
        if re.fullmatch(r"-?\d+[lLn]?", tok):
            return _int(tok)
        if re.fullmatch(_DEC + "[fFdD]?", tok):
            return _float(tok)
        if tok in ("true", "false"):
            return tok == "true"
        if tok == "[":
            return self.items("]")
        if tok == "{":
            pairs = self.items("}")
            return dict(zip(pairs[::2], pairs[1::2]))
        if tok == "new":
            return self.new()
        if tok in ("Arrays.asList", "List.of", "Set.of") and self.peek() == "(":
            self.take("(")
            return self.items(")")
        if tok == "Map.of" and self.peek() == "(":
            self.take("(")
            flat = self.items(")")
            return dict(zip(flat[::2], flat[1::2]))
        if re.fullmatch(r"[A-Za-z_$][\w$.]*", tok):
            return tok  # a variable: its name, as BFCL does
        raise ValueError(f"unexpected {tok!r}")


def _read(text: str) -> Any:
    r = _Reader(text)
    out = r.value()
    if r.peek():
        raise ValueError(f"trailing {r.peek()!r}")
    return out


def from_source(text: Any, prop: dict, language: str) -> Any:
    """The Python value of one argument's source ``text``, given its documentation ``prop``."""
    if not isinstance(text, str):
        return text  # the type check then reports it: these languages send every value as text
    t = str(prop.get("type"))
    text = text.strip()
    scalar = _SCALARS[language].get(t)
    if scalar:
        pattern, conv = scalar
        return conv(text) if re.fullmatch(pattern, text) else text
    if types_of(language).get(t) in (list, dict):
        try:
            out = _read(text)
        except (ValueError, IndexError, TypeError, RecursionError):  # not a literal we know: BFCL keeps the text
            return text
        return out if isinstance(out, types_of(language)[t]) else text
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]  # a quoted string where the text itself was expected
    return text
