"""``calculator``: safe arithmetic on an expression string, by walking its ``ast`` (never ``eval``).

    >>> from teachers.tools.calculator import Calculator, evaluate
    >>> evaluate("2 ** 10 - sqrt(16) / 2")
    1022.0
    >>> Calculator().run(None, expression="(3 + 4) * 6")
    {'result': 42}

Allowed: int/float literals, ``+ - * / // % **``, unary ``+ -``, parentheses, the names ``pi``,
``e`` and the functions ``sqrt abs round floor ceil log log10 exp sin cos tan min max``.
Everything else (attribute access, names, calls to anything else, strings, lambdas, subscripts)
is a :class:`ToolError`. Limits guard against denial of service: the expression length, the
number of AST nodes, and exponents (``|exp| <= 1000`` and the base's bit length times the
exponent stays under ~100k bits), so ``9**9**9`` is refused rather than computed for minutes; every
integer result stays under ~100k bits and ``round``'s digits within +-400 (``round(5, -10**8)`` would
compute 10**(10**8) while holding the GIL, where no tool timeout can stop it). A complex result (a
negative number to a fractional power) is an error, not a value the trace cannot hold.
Integer results stay ints (``6*7`` -> 42); a float that is an exact integer is kept as float so
that replay compares like with like.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any

from teachers.tools.base import Tool, ToolError

MAX_CHARS = 500
MAX_NODES = 200
MAX_EXPONENT = 1000
MAX_RESULT_BITS = 100_000
MAX_ROUND_DIGITS = 400

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTS = {"pi": math.pi, "e": math.e}
_FUNCS = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": lambda x, nd=None: round(x) if nd is None else round(x, _digits(nd)),
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "min": min,
    "max": max,
}


def _pow(base: Any, exp: Any) -> Any:
    if abs(exp) > MAX_EXPONENT:
        raise ToolError(f"exponent {exp} too large (limit {MAX_EXPONENT})")
    if isinstance(base, int) and isinstance(exp, int) and exp > 0:
        if max(abs(base).bit_length(), 1) * exp > MAX_RESULT_BITS:
            raise ToolError("result too large")
    return base**exp


def _digits(nd: Any) -> int:
    if type(nd) is not int or abs(nd) > MAX_ROUND_DIGITS:
        raise ToolError(f"round() digits must be an integer within +-{MAX_ROUND_DIGITS}")
    return nd


def _checked(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_RESULT_BITS:
        raise ToolError("result too large")
    if isinstance(value, complex):
        raise ToolError("result is not a real number")
    return value


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            return _checked(_pow(a, b))
        return _checked(_BINOPS[type(node.op)](a, b))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in _CONSTS:
        return _CONSTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        if node.keywords:
            raise ToolError(f"{node.func.id}() takes no keyword arguments")
        return _checked(_FUNCS[node.func.id](*[_eval(a) for a in node.args]))
    if isinstance(node, ast.Name):
        raise ToolError(f"unknown name {node.id!r}")
    raise ToolError(f"unsupported syntax: {type(node).__name__}")


def evaluate(expression: str) -> int | float:
    """Evaluate ``expression``; every failure is a :class:`ToolError` with a short reason."""
    if len(expression) > MAX_CHARS:
        raise ToolError(f"expression longer than {MAX_CHARS} characters")
    # '^' is what people (and small models) write for powers; Python would read it as xor.
    expression = expression.replace("^", "**")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as e:
        raise ToolError(f"cannot parse expression: {e.msg}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ToolError(f"expression has more than {MAX_NODES} parts")
    try:
        value = _eval(tree)
    except ZeroDivisionError:
        raise ToolError("division by zero") from None
    except (OverflowError, ValueError, TypeError) as e:
        raise ToolError(f"math error: {e}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolError("result is not a finite number")
    return value


class Calculator(Tool):
    name = "calculator"
    description = "Evaluate an arithmetic expression, e.g. '(3 + 4) * 6' or 'sqrt(2) * pi'."
    parameters = {
        "type": "object",
        "properties": {
            "expression": {"type": "string", "description": "Arithmetic expression to evaluate."},
        },
        "required": ["expression"],
        "additionalProperties": False,
    }

    def run(self, state: Any, expression: str) -> dict:
        return {"result": evaluate(expression)}
