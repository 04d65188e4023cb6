"""Call sets built from one BFCL item for bench/bfcl_agreement.py: the correct set and corrupted ones.

    >>> gt = [{"f": {"a": [1], "b": ["x", ""]}}, {"g": {"c": [True]}}]
    >>> item = {"function": [{"name": "f", "parameters": {"properties": {"a": {"type": "integer"},
    ...          "b": {"type": "string"}}, "required": ["a"]}}, {"name": "g", "parameters": {
    ...          "properties": {"c": {"type": "boolean"}}, "required": ["c"]}}]}
    >>> out = list(cases(item, gt, 0, "python"))
    >>> out[0]
    ('correct', True, [('f', {'a': 1, 'b': 'x'}), ('g', {'c': True})])
    >>> [k for k, ok, _ in out if not ok]
    ['wrong_value', 'missing_required', 'wrong_name', 'other_function', 'extra_param', 'wrong_type', 'missing_call', \
'duplicate_call', 'extra_call']
"""

from __future__ import annotations

from typing import Iterator

CASE_KINDS = ("correct", "reordered", "wrong_value", "missing_required", "wrong_name", "other_function",
              "extra_param", "wrong_type", "missing_call", "extra_call", "duplicate_call")  # fmt: skip
Calls = list[tuple[str, dict]]


def language_of(category: str) -> str:
    return "javascript" if "javascript" in category else "java" if "java" in category else "python"


def _wrong(v, acceptable: list):
    for cand in (
        (not v) if isinstance(v, bool) else None,
        v + 1 if isinstance(v, int) and not isinstance(v, bool) else None,
        v + 1.5 if isinstance(v, float) else None,
        "zz" + v + "qq" if isinstance(v, str) else None,
        (v + [v[0]] if v else ["zz"]) if isinstance(v, list) else None,
        {**v, "zz_extra": 1} if isinstance(v, dict) else None,
    ):
        if cand is not None and cand not in acceptable:
            return cand
    return None


def _resolve(v):
    """A dict-valued answer holds acceptable-value lists per key: pick the first of each, recursively.

    A key whose answer is a bare value (not a list) holds that literal, as in live_multiple_121-46-0."""
    if isinstance(v, dict):
        return {k: _resolve(acc[0]) if isinstance(acc, list) else acc
                for k, acc in v.items() if not isinstance(acc, list) or (acc and acc[0] != "")}  # fmt: skip
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return [_resolve(x) for x in v]
    return v


def _doc(item: dict, name: str) -> dict:
    return next((d for d in item["function"] if d["name"] == name), item["function"][0])


def good_call(item: dict, expected: dict) -> tuple[str, dict]:
    (name, params), = expected.items()
    required = _doc(item, name)["parameters"].get("required", [])
    args = {}
    for p, acc in params.items():
        # a few items list "" first for a parameter the docs call required; the value is then needed
        vals = [a for a in acc if a != ""] if p in required else acc
        if vals and vals[0] != "":
            args[p] = _resolve(vals[0])
    return name, args


def _corrupt_one(item: dict, expected: dict, call: tuple[str, dict]) -> Iterator[tuple[str, tuple[str, dict]]]:
    """(kind, corrupted call) for one call; each must be rejected."""
    name, good = call
    params = next(iter(expected.values()))
    required = _doc(item, name)["parameters"].get("required", [])
    for p in sorted(good, key=lambda p: p not in required):
        w = _wrong(good[p], params[p])
        if w is not None:
            yield "wrong_value", (name, {**good, p: w})
            break
    if required and required[0] in good:
        yield "missing_required", (name, {k: v for k, v in good.items() if k != required[0]})
    yield "wrong_name", (name + "_v2", good)
    other = next((d["name"] for d in item["function"] if d["name"] != name), None)
    if other:  # the multiple categories: a documented function, but not the one asked for
        yield "other_function", (other, good)
    yield "extra_param", (name, {**good, "zz_unknown": 1})
    ints = [p for p, x in good.items() if type(x) is int]
    if ints:  # "5" for 5: a type error unless the answers themselves are strings
        yield "wrong_type", (name, {**good, ints[0]: str(good[ints[0]])})


def cases(item: dict, gt: list[dict], idx: int, language: str) -> Iterator[tuple[str, bool, Calls]]:
    """Yield (kind, expect_valid, calls) for one BFCL item; ``idx`` picks which call gets corrupted."""
    good = [good_call(item, exp) for exp in gt]
    conv = (lambda calls: calls) if language == "python" else (lambda calls: to_language(item, calls, language))
    yield "correct", True, conv(good)
    if len(good) > 1:
        yield "reordered", True, conv(good[::-1])
    t = idx % len(good)
    for kind, bad in _corrupt_one(item, gt[t], good[t]):
        yield kind, False, conv(good[:t] + [bad] + good[t + 1:])
    if len(good) > 1:
        yield "missing_call", False, conv(good[:t] + good[t + 1:])
        u = (t + 1) % len(good)
        if gt[u] != gt[t]:  # two identical expected calls make a duplicate correct
            yield "duplicate_call", False, conv(good[:t] + [good[u]] + good[t + 1:])
    yield "extra_call", False, conv(good + [good[t]])


def to_language(item: dict, calls: Calls, language: str) -> Calls:
    """Java / JavaScript: every argument becomes that language's literal text, as BFCL's checker expects."""
    from bfcl_render import render_value  # bench-only renderer of Java / JavaScript literals

    out = []
    for name, args in calls:
        props = _doc(item, name)["parameters"].get("properties", {})
        out.append((name, {p: render_value(v, props.get(p, {}), language) for p, v in args.items()}))
    return out
