"""``function_call_ast``: check one function call against BFCL-style "possible answers".

    >>> import json
    >>> from verifiers.function_call_ast import FunctionCallAST
    >>> v = FunctionCallAST()
    >>> ref = json.dumps([{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}])
    >>> v.verify({"completion": "calculate_triangle_area(base=10, height=5)", "reference": ref}).score
    1.0
    >>> v.verify({"completion": "calculate_triangle_area(base=10, height=6)", "reference": ref}).reason
    "invalid value for parameter 'height': 6; expected one of [5]"

Row format
----------
``completion``  One call, as either
                * a Python call string, ``f(a=1, b="x")`` (optionally wrapped in ``[...]`` or a
                  Markdown code fence; dotted names such as ``math.factorial(number=5)`` are fine),
                  parsed with :mod:`ast` (never executed; keyword arguments only, values must be
                  literals, a bare name counts as its string as BFCL does); or
                * OpenAI tools format JSON: an assistant message with ``tool_calls``, a list of
                  messages (the first assistant turn with calls is used), a list of tool calls, or
                  one tool call (``{"function": {"name", "arguments"}}`` or ``{"name", "arguments"}``);
                  ``arguments`` is a JSON string or an object.
``reference``   JSON: BFCL's ``ground_truth``, ``[{"<function name>": {"<param>": [acceptable, ...]}}]``
                (or the inner object alone). ``""`` among a parameter's acceptable values means it
                may be omitted. No reference -> score None.
``source`` / ``messages``  optional function documentation used for required parameters and types:
                ``source`` JSON key ``function`` (BFCL's list of docs, types such as ``integer``,
                ``float``, ``dict``, ``tuple``) or the ``tools`` key of the system message in
                ``messages`` (OpenAI specs). Without docs, required = params whose answers lack ``""``.

Semantics follow BFCL's AST checker (``bfcl_eval/eval_checker/ast_eval/ast_checker.py``, simple
category, Python): exactly one call; the name matches (``.`` may appear as ``_`` because OpenAI
function names cannot contain dots); required parameters present; no parameter outside the docs
or the answers; types match the docs (an int is accepted for a float); strings compare after
BFCL's standardisation (lower case, without spaces and ``,./-_*^``); lists element-wise; dicts
key-wise; every other value by equality; an omitted parameter must allow ``""``.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field, fields
from typing import Any

from verifiers.base import Verdict, Verifier

_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "number": float, "boolean": bool,
    "array": list, "tuple": list, "dict": dict, "object": dict, "any": str,
}  # fmt: skip
_STD = re.compile(r"[ ,./\-_*^]")
_FENCE = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.S)


@dataclass
class FunctionCallASTConfig:
    dot_to_underscore: bool = field(
        default=True, metadata={"help": "Accept 'a_b' for expected 'a.b' (OpenAI names cannot contain dots)."}
    )


class _Reject(Exception):
    pass


def standardize(s: str) -> str:
    """BFCL's string standardisation: drop spaces and ``,./-_*^``, lower case, ' -> "."""
    return _STD.sub("", s).lower().replace("'", '"')


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    raise _Reject(f"function name is not a dotted name: {ast.unparse(node)[:80]}")


def _literal(node: ast.AST, param: str) -> Any:
    if isinstance(node, ast.Name):
        return node.id  # BFCL treats a bare name as a variable reference, i.e. its string
    try:
        v = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        raise _Reject(f"value of parameter {param!r} is not a literal: {ast.unparse(node)[:80]}") from None
    return list(v) if isinstance(v, tuple) else v


def parse_python_call(text: str) -> tuple[str, dict]:
    m = _FENCE.match(text.strip())
    src = (m.group(1) if m else text).strip()
    try:
        tree = ast.parse(src, mode="eval").body
    except SyntaxError as e:
        raise _Reject(f"completion is neither a JSON tool call nor a Python call: {e.msg}") from None
    if isinstance(tree, (ast.List, ast.Tuple)):
        if len(tree.elts) != 1:
            raise _Reject(f"wrong number of function calls: expected 1, got {len(tree.elts)}")
        tree = tree.elts[0]
    if not isinstance(tree, ast.Call):
        raise _Reject(f"completion is not a function call: {src[:80]!r}")
    if tree.args:
        raise _Reject("positional arguments are not accepted; use keyword arguments")
    if any(k.arg is None for k in tree.keywords):
        raise _Reject("**kwargs expansion is not accepted")
    return _dotted(tree.func), {k.arg: _literal(k.value, k.arg) for k in tree.keywords}


def parse_openai_call(obj: Any) -> tuple[str, dict]:
    if isinstance(obj, list) and obj and all(isinstance(m, dict) and "role" in m for m in obj):
        obj = next((m for m in obj if m.get("role") == "assistant" and m.get("tool_calls")), None)
        if obj is None:
            raise _Reject("no assistant turn with tool_calls in the completion")
    if isinstance(obj, dict) and "tool_calls" in obj:
        obj = obj["tool_calls"] or []
    if isinstance(obj, list):
        if len(obj) != 1:
            raise _Reject(f"wrong number of function calls: expected 1, got {len(obj)}")
        obj = obj[0]
    if not isinstance(obj, dict):
        raise _Reject("malformed tool call")
    fn = obj.get("function") if isinstance(obj.get("function"), dict) else obj
    name, args = fn.get("name"), fn.get("arguments", {})
    if not isinstance(name, str):
        raise _Reject("tool call has no function name")
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as e:
            raise _Reject(f"arguments are not valid JSON: {e}") from None
    if not isinstance(args, dict):
        raise _Reject("arguments are not a JSON object")
    return name, args


def parse_call(completion: str) -> tuple[str, dict]:
    s = completion.strip()
    if s[:1] in "[{":
        try:
            return parse_openai_call(json.loads(s))
        except json.JSONDecodeError:
            pass  # e.g. "[f(a=1)]": a Python list of calls
    return parse_python_call(s)


def _std_value(v: Any) -> Any:
    return standardize(v) if isinstance(v, str) else v


def _dict_ok(value: dict, answers: list) -> bool:
    for cand in answers:
        if not isinstance(cand, dict):
            continue
        if all(k in cand and _std_value(v) in [_std_value(a) for a in cand[k]] for k, v in value.items()) and all(
            k in value or "" in acc for k, acc in cand.items()
        ):
            return True
    return False


def _value_ok(value: Any, answers: list) -> bool:
    if isinstance(value, str):
        return standardize(value) in [standardize(a) for a in answers if isinstance(a, str)]
    if isinstance(value, dict):
        return _dict_ok(value, answers)
    if isinstance(value, list):
        for cand in answers:
            if isinstance(cand, list) and len(cand) == len(value):
                if all(_dict_ok(v, [c]) if isinstance(v, dict) else _std_value(v) == _std_value(c)
                       for v, c in zip(value, cand)):  # fmt: skip
                    return True
        return False
    for a in answers:
        if isinstance(a, str):
            continue  # "" marks "may be omitted"; other strings cannot equal a non-string value
        if isinstance(a, bool) or isinstance(value, bool):
            if a is value:  # True == 1 in Python; a boolean answer must be the boolean itself
                return True
        elif value == a:
            return True
    return False


def check_call(name: str, args: dict, expected: dict, doc: dict | None, dot_to_underscore: bool = True) -> str | None:
    """``None`` if the call is acceptable, else the reason. ``expected`` = {fname: {param: [values]}}."""
    (want_name, answers), = expected.items()
    names = {want_name, want_name.replace(".", "_")} if dot_to_underscore else {want_name}
    if name not in names:
        return f"wrong function name: expected {want_name!r}, got {name!r}"
    params = (doc or {}).get("parameters") or {}
    props = params.get("properties") if doc else None
    required = params.get("required", []) if doc else [p for p, acc in answers.items() if "" not in acc]
    for p in required:
        if p not in args:
            return f"missing required parameter {p!r}"
    for p, value in args.items():
        if p not in answers or (props is not None and p not in props):
            return f"unexpected parameter {p!r}"
        acc = answers[p]
        want_t = _TYPES.get(str((props or {}).get(p, {}).get("type")))
        if want_t is float and type(value) is int:
            value = float(value)  # BFCL: Python auto-converts int to float
        if want_t is not None and type(value) is not want_t:
            ans_t = next((type(a) for a in acc if a != ""), None)
            if type(value) is not ans_t:  # BFCL's "variable" case: matches the answers' own type
                got = type(value).__name__
                return f"wrong type for parameter {p!r}: expected {want_t.__name__}, got {got} ({value!r})"
        if not _value_ok(value, acc):
            return f"invalid value for parameter {p!r}: {value!r}; expected one of {acc}"
    for p, acc in answers.items():
        if p not in args and "" not in acc:
            return f"parameter {p!r} not provided and not marked optional"
    return None


class FunctionCallAST(Verifier):
    name = "function_call_ast"
    version = "1"
    requires = ("completion", "reference")

    def __init__(self, **options: Any):
        known = {f.name for f in fields(FunctionCallASTConfig)}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"verifier {self.name!r}: unknown options {sorted(unknown)}; known: {sorted(known)}")
        self.config = FunctionCallASTConfig(**options)

    @staticmethod
    def _expected(raw: Any) -> dict:
        gt = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(gt, dict) and "ground_truth" in gt:
            gt = gt["ground_truth"]
        if isinstance(gt, list):
            if len(gt) != 1:
                raise ValueError(f"reference expects {len(gt)} calls; this verifier checks exactly one")
            gt = gt[0]
        if not (isinstance(gt, dict) and len(gt) == 1 and isinstance(next(iter(gt.values())), dict)):
            raise ValueError("reference is not {function name: {param: [acceptable values]}}")
        return gt

    @staticmethod
    def _doc(sample: dict, fname: str) -> dict | None:
        docs: list = []
        try:
            src = json.loads(sample["source"]) if sample.get("source") else {}
            docs = src.get("function", []) if isinstance(src, dict) else []
            if not docs and sample.get("messages"):
                for m in json.loads(sample["messages"]):
                    if isinstance(m, dict) and m.get("role") == "system" and m.get("tools"):
                        docs = [t.get("function", t) for t in m["tools"]]
                        break
        except (json.JSONDecodeError, TypeError, AttributeError):
            return None  # docs are optional; bad docs fall back to the answers alone
        docs = docs if isinstance(docs, list) else [docs]
        return next((d for d in docs if isinstance(d, dict) and d.get("name") == fname), None)

    def verify(self, sample: dict) -> Verdict:
        if not sample.get("reference"):
            return Verdict(None, "no reference: nothing to check")
        try:
            expected = self._expected(sample["reference"])
        except (ValueError, json.JSONDecodeError) as e:
            return Verdict(None, f"unusable reference: {e}")
        completion = sample.get("completion")
        if not isinstance(completion, str) or not completion.strip():
            return Verdict(0.0, "empty completion")
        try:
            name, args = parse_call(completion)
        except _Reject as e:
            return Verdict(0.0, str(e))
        except (RecursionError, MemoryError, ValueError) as e:  # pathological input to ast
            return Verdict(0.0, f"cannot parse completion: {type(e).__name__}")
        fname = next(iter(expected))
        why = check_call(name, args, expected, self._doc(sample, fname), self.config.dot_to_underscore)
        if why:
            return Verdict(0.0, why, details={"function": name})
        return Verdict(1.0, f"ok: {name} matches the possible answers", details={"function": name})
