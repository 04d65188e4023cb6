"""Tool-use eval: the AST accuracy of a model's function calls on held-out prompts, per category.

    >>> from students.tool_eval import score_tool_calls
    >>> s = score_tool_calls(rows)            # generated eval rows: messages (tools on the system message),
    >>> s["accuracy"], s["per_category"]      # completion, reference (BFCL possible answers), category
    (0.4, {'simple': {'correct': 3, 'n': 5, 'unparsable': 0}, ...})

The prompt was rendered with the tool catalogue through the student's chat template (the hf_local
engine with ``chat_template``, students/eval.py). Each completion is parsed by the parser the
``function_call_ast`` verifier uses (verifiers/function_call_parse.py: ``<tool_call>`` blocks, an OpenAI
trace, Python calls) and checked against the reference by :class:`~verifiers.function_call_ast.FunctionCallAST`:
names, required and allowed parameters, types and values; several calls (parallel / multiple) match one
to one in any order. ``unparsable`` counts completions that hold no call in any accepted form.
"""

from __future__ import annotations

from ground.conversation import has_tools, prompt_of
from verifiers.function_call_ast import FunctionCallAST
from verifiers.function_call_parse import CallParseError, parse_calls


def prompts_have_tools(rows: list[dict]) -> bool:
    """True when the held-out prompts carry a tool catalogue: the eval then scores tool calls."""
    return bool(rows) and all(has_tools(prompt_of(r)) for r in rows)


def score_call(row: dict, checker: FunctionCallAST | None = None) -> tuple[bool, bool, str]:
    """(correct, parsable, reason) of one generated row."""
    checker = checker or FunctionCallAST()
    text = row.get("completion") or ""
    try:
        parse_calls(text)
        parsable = True
    except (CallParseError, RecursionError, ValueError):
        parsable = False
    v = checker.verify(row)
    return v.score == 1.0, parsable, v.reason


def score_tool_calls(rows: list[dict]) -> dict:
    """``{n, correct, accuracy, unparsable, per_category: {cat: {correct, n, unparsable}}}``."""
    checker = FunctionCallAST()
    cats: dict[str, dict] = {}
    for r in rows:
        ok, parsable, _ = score_call(r, checker)
        c = cats.setdefault(r.get("category") or "all", {"correct": 0, "n": 0, "unparsable": 0})
        c["correct"] += ok
        c["n"] += 1
        c["unparsable"] += not parsable
    n, correct = sum(c["n"] for c in cats.values()), sum(c["correct"] for c in cats.values())
    return {"n": n, "correct": correct, "accuracy": correct / n if n else 0.0,
            "unparsable": sum(c["unparsable"] for c in cats.values()), "per_category": dict(sorted(cats.items()))}


def cell(score: dict | None) -> str:
    """The eval summary's ``tool AST`` cell: accuracy and correct/n per category."""
    if not score:
        return "-"
    return f"{score['accuracy']:.3f} (" + ", ".join(f"{k} {c['correct']}/{c['n']}" for k, c in score["per_category"].items()) + ")"
