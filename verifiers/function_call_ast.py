"""``function_call_ast``: check function calls against BFCL-style "possible answers" (one call or several).

    >>> import json
    >>> from verifiers.function_call_ast import FunctionCallAST
    >>> v = FunctionCallAST()
    >>> ref = json.dumps([{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}])
    >>> v.verify({"completion": "calculate_triangle_area(base=10, height=5)", "reference": ref}).score
    1.0
    >>> v.verify({"completion": "calculate_triangle_area(base=10, height=6)", "reference": ref}).reason
    "invalid value for parameter 'height': 6; expected one of [5]"
    >>> two = json.dumps([{"weather": {"city": ["Paris"]}}, {"weather": {"city": ["Rome"]}}])
    >>> v.verify({"completion": "[weather(city='Rome'), weather(city='Paris')]", "reference": two}).score
    1.0
    >>> v.verify({"completion": "[weather(city='Rome'), weather(city='Rome')]", "reference": two}).reason
    "call #2 'weather' does not match expected call #1 'weather': invalid value for parameter 'city': 'Rome'; \
expected one of ['Paris'] (it matches expected call #2, already taken by call #1)"

Row format
----------
``completion``  The model's calls, in any form of :mod:`verifiers.function_call_parse`: Python call
                text (``f(a=1)``, ``[f(a=1), g(b=2)]``, optionally in a code fence) or OpenAI tools
                JSON (an assistant message with ``tool_calls``, a list of tool calls, a list of
                ``{"name", "arguments"}`` objects, one tool call).
``reference``   JSON: BFCL's ``ground_truth``, ``[{"<function name>": {"<param>": [acceptable, ...]}}, ...]``
                with one entry per expected call (or one call's object alone). ``""`` among a
                parameter's acceptable values means it may be omitted. No reference -> score None.
``source`` / ``messages``  optional function documentation used for required parameters and types:
                ``source`` JSON key ``function`` (BFCL's list of docs, types such as ``integer``,
                ``float``, ``dict``, ``tuple``) or the ``tools`` key of the system message in
                ``messages`` (OpenAI specs). Without docs, required = params whose answers lack ``""``.

Each call is checked as BFCL's AST checker checks one (``bfcl_eval/eval_checker/ast_eval/ast_checker.py``,
Python): the name matches (``.`` may appear as ``_`` because OpenAI function names cannot contain
dots); required parameters present; no parameter outside the docs or the answers; types match the
docs (an int is accepted for a float); strings compare after BFCL's standardisation (lower case,
without spaces and ``,./-_*^``); lists element-wise; dicts key-wise; every other value by equality;
an omitted parameter must allow ``""``. Stricter than BFCL (issue #14): at any depth in a list or dict,
a boolean equals only a boolean (BFCL's ``[True]`` equals ``[1]``) and a complex only a complex; a
keyword given twice (``f(x=2, x=1)``, which Python itself refuses) or a JSON key repeated in the
arguments is a parse error, not the last value; a ``#`` comment holding another keyword call
(``f(city='Paris')  # or f(city='Rome')``) or another argument value (``# maybe n=2``) is ``reward hack: a comment
holds another call: ...``, and so is a call outside the ``<tool_call>`` blocks of tagged text; a string argument with a
documented ``enum`` must be one of its values or of the answers exactly (``'CELSIUS'``, ``' celsius '`` pass BFCL's
standardisation but not the function) (tests/unit/test_reward_hacks_6.py). Round 9 (tests/unit/test_reward_hacks_9m.py):
a second argument set the checker would skip is ``reward hack: ...`` (``"parameters"`` beside ``"arguments"``, a name or
arguments beside ``"function"``, a call in the ``content`` of a message with ``tool_calls``), every assistant turn's
calls count (not the first turn's only), and a comment with a hedge word and a literal ("# level could be 6", "# or 2")
is another value offered. BFCL's own leniencies stay: a bare name is its string, strings compare after standardisation.

Several calls (BFCL's parallel, multiple and parallel_multiple categories) pass when there are as
many calls as expected calls and a one-to-one assignment exists in which every call satisfies its
expected call, in any order; no expected call can be used twice. The assignment is a maximum
bipartite matching, so unlike BFCL's greedy first-fit it never rejects a call set because an
earlier expected call took a call a later one needed (see bench/RESULTS.md for how often that
differs on BFCL's own data: one parallel item, parallel_178, when its calls come in reverse order).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field

from ground.config import Config

from verifiers.base import Verdict, Verifier
from verifiers.function_call_langs import from_source, types_of
from verifiers.function_call_parse import CallParseError, parse_calls

_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "number": float, "boolean": bool,
    "array": list, "tuple": list, "dict": dict, "object": dict, "any": str,
}  # fmt: skip
_STD = re.compile(r"[ ,./\-_*^]")


class FunctionCallASTConfig(Config):
    dot_to_underscore: bool = Field(True, description="Accept 'a_b' for expected 'a.b' (OpenAI names cannot contain dots).")
    language: Literal["python", "java", "javascript"] = Field(
        "python", description="python, java or javascript. java/javascript: every argument is that language's "
                              "literal as text, typed by the docs' Java/JS type names (BFCL's simple_java/_javascript).")


def standardize(s: str) -> str:
    """BFCL's string standardisation: drop spaces and ``,./-_*^``, lower case, ' -> "."""
    return _STD.sub("", s).lower().replace("'", '"')


def _std_value(v: Any) -> Any:
    return standardize(v) if isinstance(v, str) else v


def _listed(acc: Any) -> list:
    # BFCL nests literal dicts inside answers (live_multiple_121-46-0): a bare value is its only answer
    return acc if isinstance(acc, list) else [acc]


def _same_scalar(value: Any, a: Any) -> bool:
    """Equality without Python's coercions: ``True`` is not ``1``, ``1+0j`` is not ``1`` (an int still equals a float)."""
    if isinstance(a, bool) or isinstance(value, bool):
        return a is value
    if isinstance(a, complex) or isinstance(value, complex):
        return type(a) is type(value) and a == value
    return value == a


def _elem_ok(v: Any, c: Any) -> bool:
    """One element of a list (or one dict value) against one acceptable element, at any depth."""
    if isinstance(v, str) or isinstance(c, str):
        return isinstance(v, str) and isinstance(c, str) and standardize(v) == standardize(c)
    if isinstance(v, dict):
        return _dict_ok(v, [c])
    if isinstance(v, list):
        return isinstance(c, list) and len(v) == len(c) and all(_elem_ok(x, y) for x, y in zip(v, c))
    return not isinstance(c, (list, dict)) and _same_scalar(v, c)


def _dict_ok(value: dict, answers: list) -> bool:
    for cand in answers:
        if not isinstance(cand, dict):
            continue
        given_ok = all(k in cand and any(_elem_ok(v, a) for a in _listed(cand[k])) for k, v in value.items())
        if given_ok and all(k in value or "" in _listed(acc) for k, acc in cand.items()):
            return True
    return False


def _value_ok(value: Any, answers: list) -> bool:
    if isinstance(value, str):
        return standardize(value) in [standardize(a) for a in answers if isinstance(a, str)]
    if isinstance(value, dict):
        return _dict_ok(value, answers)
    if isinstance(value, list):
        return any(isinstance(cand, list) and _elem_ok(value, cand) for cand in answers)
    # "" marks "may be omitted"; other strings cannot equal a non-string value; True == 1 in Python, not here
    return any(not isinstance(a, str) and _same_scalar(value, a) for a in answers)


def _short(v: Any, n: int = 120) -> str:
    """``repr(v)``, cut to ``n`` characters: a reason stays one short line whatever the completion holds."""
    r = repr(v)
    return r if len(r) <= n else r[:n] + f"... ({len(r)} chars)"


def _param_reason(p: str, value: Any, acc: list, prop: dict | None, language: str) -> str | None:
    """Why one argument fails its documented type or its acceptable values; ``None`` if it passes."""
    t = str((prop or {}).get("type"))
    if language != "python" and t in types_of(language):
        if not isinstance(value, str):  # BFCL's Java / JavaScript checker: every value is source text
            return f"wrong type for parameter {p!r}: {language} values are source text, got {type(value).__name__}"
        value = from_source(value, prop or {}, language)
    want_t = (_TYPES if language == "python" else types_of(language)).get(t)
    if language == "python" and want_t is float and type(value) is int:
        value = float(value)  # BFCL: Python auto-converts int to float
    if want_t is not None and type(value) is not want_t:
        ans_t = next((type(a) for a in acc if a != ""), None)
        if type(value) is not ans_t:  # BFCL's "variable" case: matches the answers' own type
            return f"wrong type for parameter {p!r}: expected {want_t.__name__}, got {type(value).__name__} ({_short(value)})"
    if not _value_ok(value, acc):
        return f"invalid value for parameter {p!r}: {_short(value)}; expected one of {_short(acc, 300)}"
    enum = (prop or {}).get("enum")
    if language == "python" and isinstance(value, str) and isinstance(enum, list) and value not in enum and value not in acc:
        # " Celsius ", "CELSIUS", "c.e.l.s.i.u.s" equal "celsius" only after BFCL's standardisation: the function refuses them
        return f"invalid value for parameter {p!r}: {_short(value)} is not one of the documented values {_short(enum, 300)}"
    return None


def check_call(name: str, args: dict, expected: dict, doc: dict | None, dot_to_underscore: bool = True,
               language: str = "python") -> str | None:  # fmt: skip
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
        why = _param_reason(p, value, answers[p], (props or {}).get(p), language)
        if why:
            return why
    for p, acc in answers.items():
        if p not in args and "" not in acc:
            return f"parameter {p!r} not provided and not marked optional"
    return None


def match_calls(reasons: list[list[str | None]]) -> dict[int, int]:
    """Maximum one-to-one assignment {expected j: call i} where ``reasons[i][j] is None`` (call i satisfies j).

    Kuhn's augmenting paths: BFCL items have at most 8 calls, so O(V*E) is nothing.

    >>> match_calls([[None, None], [None, "wrong"]])  # greedy would give call 0 to expected 0 and fail
    {0: 1, 1: 0}
    """
    owner: dict[int, int] = {}  # expected j -> call i

    def augment(i: int, seen: set[int]) -> bool:
        for j, why in enumerate(reasons[i]):
            if why is None and j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(reasons)):
        augment(i, set())
    return owner


def explain_mismatch(calls: list, expected: list[dict], reasons: list[list[str | None]], owner: dict) -> str:
    """One reason naming the first expected call left without a call, the nearest call and why it fails."""
    names = [n for n, _ in calls]
    used = set(owner.values())
    free_calls = [i for i in range(len(calls)) if i not in used]
    free_exp = [j for j in range(len(expected)) if j not in owner]
    if len(calls) != len(expected):
        head = f"wrong number of function calls: expected {len(expected)}, got {len(calls)}"
        if len(calls) > len(expected) and len(free_calls) == len(calls) - len(expected):
            return head + "; extra: " + ", ".join(f"call #{i + 1} {names[i]!r}" for i in free_calls)
        if free_exp:
            return head + "; no call for " + ", ".join(f"expected call #{j + 1} {next(iter(expected[j]))!r}"
                                                         for j in free_exp)  # fmt: skip
        return head
    j = free_exp[0]
    want = next(iter(expected[j]))
    # nearest: an unassigned call whose name fits (its reason is not about the name), else the first one
    i = next((i for i in free_calls if not str(reasons[i][j]).startswith("wrong function name")), free_calls[0])
    why = f"call #{i + 1} {names[i]!r} does not match expected call #{j + 1} {want!r}: {reasons[i][j]}"
    taken = [k for k in owner if reasons[i][k] is None]
    if taken:
        why += f" (it matches expected call #{taken[0] + 1}, already taken by call #{owner[taken[0]] + 1})"
    return why


class FunctionCallAST(Verifier):
    name = "function_call_ast"
    version = "2"  # 2: several calls (parallel / multiple), matched one-to-one in any order
    requires = ("completion", "reference")

    Options = FunctionCallASTConfig

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.config = self.options

    @staticmethod
    def _expected(raw: Any) -> list[dict]:
        gt = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(gt, dict) and "ground_truth" in gt:
            gt = gt["ground_truth"]
        if isinstance(gt, dict):
            gt = [{k: v} for k, v in gt.items()]  # {f: {...}, g: {...}}: one call per function
        if not isinstance(gt, list) or not gt:
            raise ValueError("reference is not a non-empty list of {function name: {param: [acceptable values]}}")
        for k, call in enumerate(gt):
            if not (isinstance(call, dict) and len(call) == 1 and isinstance(next(iter(call.values())), dict)):
                raise ValueError(f"expected call #{k + 1} is not {{function name: {{param: [acceptable values]}}}}")
        return gt

    @staticmethod
    def _docs(sample: dict) -> list:
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
            return []  # docs are optional; bad docs fall back to the answers alone
        return [d for d in (docs if isinstance(docs, list) else [docs]) if isinstance(d, dict)]

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
            calls = parse_calls(completion)
        except CallParseError as e:
            return Verdict(0.0, str(e))
        except (RecursionError, MemoryError, ValueError) as e:  # pathological input to ast
            return Verdict(0.0, f"cannot parse completion: {type(e).__name__}")
        docs = self._docs(sample)
        by_name = {d.get("name"): d for d in reversed(docs)}  # the first doc of a name wins, as in BFCL
        dot = self.config.dot_to_underscore
        lang = self.config.language
        reasons = [[check_call(n, a, exp, by_name.get(next(iter(exp))), dot, lang) for exp in expected]
                   for n, a in calls]  # fmt: skip
        details = {"functions": [n for n, _ in calls]}
        if len(calls) == len(expected) == 1:  # the plain reason, as BFCL's simple category words it
            if reasons[0][0]:
                return Verdict(0.0, reasons[0][0], details=details)
            return Verdict(1.0, f"ok: {calls[0][0]} matches the possible answers", details=details)
        owner = match_calls(reasons)
        if len(calls) != len(expected) or len(owner) < len(expected):
            return Verdict(0.0, explain_mismatch(calls, expected, reasons, owner), details=details)
        return Verdict(1.0, f"ok: {len(calls)} calls match the {len(expected)} expected calls", details=details)
