"""Parse a model's function calls (Python call text or OpenAI-style JSON) into ``[(name, args), ...]``.

    >>> from verifiers.function_call_parse import parse_calls
    >>> parse_calls("[get_weather(city='Paris'), get_time(tz=\\"CET\\")]")
    [('get_weather', {'city': 'Paris'}), ('get_time', {'tz': 'CET'})]
    >>> parse_calls('[{"name": "f", "arguments": "{\\\\"x\\\\": 1.5}"}]')
    [('f', {'x': 1.5})]

Accepted forms (used by ``verifiers/function_call_ast.py``):

* Python: one call ``f(a=1)``, a list or tuple of calls ``[f(a=1), g(b="x")]``, or calls on separate
  lines / separated by ``;``; optionally inside a Markdown code fence. Parsed with :mod:`ast`,
  never executed; keyword arguments only; values must be literals, and a bare name counts as its
  string (BFCL treats it as a variable reference).
* Prefixed: Mistral's ``[TOOL_CALLS]``, Llama 3.x's ``<|python_tag|>``, Glaive's ``<functioncall>`` and
  FireFunction's ``functools`` before the JSON are dropped; ``parameters`` (Llama 3.x) is read as ``arguments``;
  several JSON call objects in a row (``{...}; {...}`` as Llama 3.x writes parallel calls, or one per line) are
  those calls in order.
* Tagged: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks, as tool chat templates
  (Hermes, recipes/templates/smollm2_tools.jinja) render calls and a student trained on them writes them.
* JSON: an assistant message with ``tool_calls`` (all of its calls), a list of messages (the first
  assistant turn with calls), ``{"tool_calls": [...]}``, a list of tool calls, or one tool call; a
  tool call is ``{"function": {"name", "arguments"}}`` or ``{"name", "arguments"}``, ``arguments``
  being a JSON string or an object; the JSON may sit in a Markdown code fence.

Anything else raises :class:`CallParseError` with a one-line reason, which the verifier returns.
"""

from __future__ import annotations

import ast
import io
import tokenize
import json
import re
from typing import Any

_FENCE = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.S)

Call = tuple[str, dict]


class CallParseError(Exception):
    """The completion is not a function call in any accepted form; ``str(e)`` is the verdict reason."""


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    raise CallParseError(f"function name is not a dotted name: {ast.unparse(node)[:80]}")


def _literal(node: ast.AST, param: str) -> Any:
    if isinstance(node, ast.Name):
        return node.id  # BFCL treats a bare name as a variable reference, i.e. its string
    try:
        v = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        raise CallParseError(f"value of parameter {param!r} is not a literal: {ast.unparse(node)[:80]}") from None
    return list(v) if isinstance(v, tuple) else v


def _one_python_call(node: ast.AST, src: str) -> Call:
    if not isinstance(node, ast.Call):
        raise CallParseError(f"completion is not a function call: {src[:80]!r}")
    if node.args:
        raise CallParseError("positional arguments are not accepted; use keyword arguments")
    if any(k.arg is None for k in node.keywords):
        raise CallParseError("**kwargs expansion is not accepted")
    names = [k.arg for k in node.keywords]
    dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if dup is not None:  # ast.parse accepts f(x=2, x=1); Python refuses it, and the dict would keep the last
        raise CallParseError(f"parameter {dup!r} is given twice")
    return _dotted(node.func), {k.arg: _literal(k.value, k.arg) for k in node.keywords}


def parse_python_calls(text: str) -> list[Call]:
    m = _FENCE.match(text.strip())
    src = (m.group(1) if m else text).strip()
    try:
        tree = ast.parse(src, mode="eval").body
        nodes = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    except SyntaxError as e:
        # several calls on separate lines or after ";" parse only as statements
        try:
            body = ast.parse(src, mode="exec").body
        except SyntaxError:
            raise CallParseError(f"completion is neither a JSON tool call nor a Python call: {e.msg}") from None
        if not body or not all(isinstance(s, ast.Expr) for s in body):
            raise CallParseError(f"completion is neither a JSON tool call nor a Python call: {e.msg}") from None
        nodes = [s.value for s in body]
    calls = [_one_python_call(n, src) for n in nodes]
    hidden = _call_in_comment(src)
    if hidden:
        raise CallParseError(f"reward hack: a comment holds another call: {hidden[:80]!r}")
    return calls


_CALL_TEXT = re.compile(r"[A-Za-z_][\w.]*\s*\(\s*[A-Za-z_]\w*\s*=(?!=)")  # a call with a keyword argument
# another value for an argument, offered in a comment: "# maybe n=2", "# or unit='fahrenheit'", and in prose: "# or 6",
# "# level could be 6", "# possibly 'Rome'" (a hedge word, then a literal: a number or a quoted string)
_ALT_ARG = re.compile(r"\b(?:or|maybe|perhaps|possibly|alternatively|otherwise|else|instead|could|might)\b.*?"
                      r"(?:\b[A-Za-z_]\w*\s*=(?!=)\s*\S|\d|['\"])", re.I)
# a JSON call object: '{"name": "f", ...' (outside the <tool_call> blocks, the parser never reads it)
_JSON_CALL_TEXT = re.compile(r"\{\s*\"(?:name|function)\"\s*:")


def _call_in_comment(src: str) -> str | None:
    """A ``#`` comment of the call text that itself holds a keyword call ("f(city='Paris')  # or f(city='Rome')"): an
    alternative the AST never sees. Prose comments pass."""
    if "#" not in src:
        return None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type == tokenize.COMMENT and (_CALL_TEXT.search(tok.string) or _ALT_ARG.search(tok.string)):
                return tok.string
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


class _Repeated(Exception):
    """A JSON object with a key twice (``{"x": 2, "x": 1}``): which one counts is up to the parser."""


def _unique(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    dup = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if dup is not None:
        raise _Repeated(dup)
    return dict(pairs)


def _loads(s: str) -> Any:
    try:
        return json.loads(s, object_pairs_hook=_unique)
    except _Repeated as e:
        raise CallParseError(f"the completion's JSON repeats the key {str(e)!r}") from None


def _one_json_call(obj: Any, where: str) -> Call:
    """``where`` prefixes reasons ("tool call #2: ") when the completion holds several calls."""
    if not isinstance(obj, dict):
        raise CallParseError(f"{where}malformed tool call")
    fn = obj.get("function") if isinstance(obj.get("function"), dict) else obj
    twice = [k for k in ("name", "arguments", "parameters") if fn is not obj and k in obj]
    if twice or ("arguments" in fn and "parameters" in fn):  # one set is read, the other hidden from the checker
        how = f"{twice[0]!r} both inside 'function' and beside it" if twice else "arguments both as 'arguments' and 'parameters'"
        raise CallParseError(f"{where}reward hack: the call object gives its {how}")
    name, args = fn.get("name"), fn.get("arguments", fn.get("parameters", {}))  # Llama 3.x writes "parameters"
    if not isinstance(name, str):
        raise CallParseError(f"{where}tool call has no function name")
    if isinstance(args, str):
        try:
            args = json.loads(args, object_pairs_hook=_unique) if args.strip() else {}
        except json.JSONDecodeError as e:
            raise CallParseError(f"{where}arguments are not valid JSON: {e}") from None
        except _Repeated as e:
            raise CallParseError(f"{where}arguments repeat the key {str(e)!r}") from None
    if not isinstance(args, dict):
        raise CallParseError(f"{where}arguments are not a JSON object")
    return name, args


def parse_openai_calls(obj: Any) -> list[Call]:
    if isinstance(obj, list) and obj and all(isinstance(m, dict) and "role" in m for m in obj):
        turns = [m for m in obj if m.get("role") == "assistant" and m.get("tool_calls")]
        if not turns:
            raise CallParseError("no assistant turn with tool_calls in the completion")
        # every assistant turn's calls: a second turn is calls the model made too, not text the checker may skip
        obj = {"tool_calls": [c for m in turns for c in (m["tool_calls"] if isinstance(m["tool_calls"], list) else [m["tool_calls"]])],
               "content": " ".join(m["content"] for m in turns if isinstance(m.get("content"), str))}
    if isinstance(obj, dict) and "tool_calls" in obj:
        said = obj.get("content")
        hidden = (_CALL_TEXT.search(said) or _JSON_CALL_TEXT.search(said)) if isinstance(said, str) else None
        if hidden:  # {"content": "f(x=2)", "tool_calls": [f(x=1)]}: a second call in the text beside the calls
            raise CallParseError(f"reward hack: the message's content holds another call: {said[hidden.start():hidden.start() + 60]!r}")
        obj = obj["tool_calls"] or []
    calls = obj if isinstance(obj, list) else [obj]
    return [_one_json_call(c, f"tool call #{i + 1}: " if len(calls) > 1 else "") for i, c in enumerate(calls)]


_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)


def parse_tagged_calls(text: str) -> list[Call]:
    """Hermes / SmolLM2 tool-template text: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks
    (a block may hold a JSON list of calls; an unclosed last block counts, as generation may stop there)."""
    calls: list = []
    for k, block in enumerate(_TAGGED.findall(text)):
        try:
            obj = _loads(block)
        except json.JSONDecodeError as e:
            raise CallParseError(f"<tool_call> block #{k + 1} is not JSON: {e.msg}") from None
        calls += obj if isinstance(obj, list) else [obj]
    outside = _TAGGED.sub(" ", text)
    hidden = _CALL_TEXT.search(outside) or _JSON_CALL_TEXT.search(outside)
    if hidden:  # "<tool_call>{...f, n=1...}</tool_call> f(n=2)": a second call the blocks do not hold
        raise CallParseError(f"reward hack: text outside the <tool_call> blocks holds another call: "
                             f"{outside[hidden.start():hidden.start() + 60].strip()!r}")
    return [_one_json_call(c, f"tool call #{i + 1}: " if len(calls) > 1 else "") for i, c in enumerate(calls)]


#: what models write before a JSON call list: Mistral's [TOOL_CALLS], Llama 3.x's <|python_tag|>, Glaive's
#: <functioncall>, FireFunction's functools
_PREFIX = re.compile(r"^(?:\[TOOL_CALLS\]|<\|python_tag\|>|<functioncall>|functools(?=\s*\[))\s*")


def parse_calls(completion: str) -> list[Call]:
    """All calls in ``completion``, in order; raises :class:`CallParseError` with the reason."""
    s = _PREFIX.sub("", completion.strip())
    if "<tool_call>" in s:
        return parse_tagged_calls(s)
    fenced = _FENCE.match(s)
    j = fenced.group(1).strip() if fenced else s  # a ```json fence around the call
    if j[:1] in "[{":
        try:
            return parse_openai_calls(_loads(j))
        except json.JSONDecodeError:
            seq = _json_sequence(j) if j[:1] == "{" else None
            if seq:
                return parse_openai_calls(seq)
            # else e.g. "[f(a=1)]": a Python list of calls
    return parse_python_calls(s)


_SEQ_GAP = re.compile(r"\s*[;,]?\s*")


def _json_sequence(s: str) -> list | None:
    """Several JSON call objects one after another, separated by white space, ``;`` or ``,`` (Llama 3.x writes parallel
    calls as ``{...}; {...}``, others one per line), else None."""
    dec, out, i = json.JSONDecoder(object_pairs_hook=_unique), [], 0
    try:
        while i < len(s):
            obj, i = dec.raw_decode(s, i)
            out.append(obj)
            i = _SEQ_GAP.match(s, i).end()
    except json.JSONDecodeError:
        return None
    except _Repeated as e:
        raise CallParseError(f"the completion's JSON repeats the key {str(e)!r}") from None
    return out if len(out) > 1 and all(isinstance(o, dict) for o in out) else None
