"""Type-exact comparisons for trusted test code (stdlib only; used by :mod:`verifiers.sandbox_harness`), and what
the solution's process checks before a result crosses: :func:`rigged` values, :func:`stand_in` builtins.

:func:`rewrite` compiles test code with every ``==`` and ``in`` replaced by :func:`exact_eq` /
:func:`exact_in`: plain builtin values must have the same type at every level (``True``, ``1`` and
``1.0`` differ; a tuple is not a list). ``!=`` and ``not in`` keep Python's meaning, the stricter one
for them (``0.0 != 0`` is False): each test comparison is at least as strict as Python's; so is ``not a != b`` (read
as ``a == b``) and ``not a not in b`` (``a in b``). Ordering (``<``), ``is`` and arithmetic keep Python's meaning, so
``abs(f(x) - y) < 1e-6`` works as written, except that an ordering with a NaN operand fails the test, and so does
``max``/``min`` over a NaN (:func:`exact_order`): NaN is unordered, so a NaN result passed every tolerance test written
the negative way round (``max(diffs) < tol``, ``not any(d > tol ...)``, ``if d > tol: raise``); and a set's subset test
(``set(f(x)) <= {1, 2}``) is type-exact as its ``==`` is. A value that is not a plain builtin
can only come from the trusted test code itself (the solution's values arrive decoded); if its class has its own
``__eq__`` that decides, but a stdlib container or builtin subclass the tests build from the solution's results
(``Counter``, ``OrderedDict``, ``deque``, a namedtuple, an ``IntEnum``, a dict view, an iterator such as
``permutations(xs)`` on the right of ``in``) holds plain data: it must also be equal type-exactly (:func:`_plain_form`).

    >>> g = {}
    >>> install_comparisons(g)
    >>> exec(rewrite("ok = (True == 1, [1] == [1], 2 in (2.0,))", "<t>")[0], g)
    >>> g["ok"]
    (False, True, False)
"""

from __future__ import annotations

import ast
import builtins
import collections
import dataclasses
import decimal
import fractions
import operator  # here, not lazily: a job's uid may not read the stdlib's folder (fallback mode)

#: the builtins this module's functions resolve, as they were when the forkserver loaded it: :func:`rigged` and
#: :func:`stand_in` run in the solution's process, after its code, which may have replaced ``builtins.type`` & co.
__builtins__ = dict(vars(builtins))

#: exact types that cross the boundary; anything else (subclasses included) is not data. The stdlib's exact numbers,
#: ``range`` and ``bytearray`` are plain too: Python equates ``Fraction(1, 2)`` with ``0.5`` and ``Decimal(1)`` with
#: ``True``, so a float passed a test expecting a ``Fraction`` while the ``Fraction`` itself could not cross
PLAIN = (type(None), bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset,
         fractions.Fraction, decimal.Decimal, range, bytearray)
#: stdlib containers that cross as themselves (not plain: their own ``==`` refines a plain one's, :func:`_plain_form`)
CONTAINERS = (collections.OrderedDict, collections.Counter, collections.deque)


def exact_eq(a, b) -> bool:
    """``a == b`` with exact types for plain data, recursively; a non-plain (trusted, test-side) object
    decides itself."""
    ta, tb = type(a), type(b)
    if ta not in PLAIN or tb not in PLAIN:
        return _eq_beyond_plain(a, b)
    if ta is not tb:
        return False
    if ta is list or ta is tuple:
        return len(a) == len(b) and all(exact_eq(x, y) for x, y in zip(a, b))
    if ta is set or ta is frozenset:
        return {_key(x) for x in a} == {_key(y) for y in b}
    if ta is dict:
        ka, kb = {_key(k): v for k, v in a.items()}, {_key(k): v for k, v in b.items()}
        return ka.keys() == kb.keys() and all(exact_eq(v, kb[k]) for k, v in ka.items())
    return a == b


def _key(x):
    """A hashable stand-in for ``x`` under which ``1``, ``True`` and ``1.0`` differ (set members, dict keys)."""
    t = type(x)
    if t is tuple:
        return (t, tuple(_key(v) for v in x))
    if t is frozenset:
        return (t, frozenset(_key(v) for v in x))
    return (t, x)


def exact_in(a, c) -> bool:
    """``a in c`` where membership in a plain container means :func:`exact_eq` with a member."""
    tc = type(c)
    if tc is list or tc is tuple or tc is set or tc is frozenset or tc is dict:
        return any(exact_eq(a, x) for x in c)
    if tc is range:
        return type(a) is int and a in c
    members = _members(c)
    if members is not None:  # a stdlib container or iterator the tests built (``in permutations(xs)``, ``in d.values()``)
        return any(exact_eq(a, x) for x in members)
    return a in c  # str/bytes substrings, trusted objects


#: stdlib classes whose own ``__eq__`` refines a plain container's (zero counts, order): their content is plain data
_STD_EQ = (collections.Counter, collections.OrderedDict)
_VIEWS = (type({}.keys()), type({}.items()))
_OWN = object()  # "an object of the tests' own: its ``==`` decides"


def _plain_form(x):
    """A non-plain value of the tests (a ``Counter``, an ``IntEnum``, a namedtuple, a ``deque``, a dict view) as the plain
    builtin whose ``==`` it has, or :data:`_OWN`. The tests build these from the solution's results
    (``Counter(f(x)) == Counter([1, 2])``), whose elements must stay type-exact inside them."""
    t = type(x)
    if t in _VIEWS:
        try:
            return frozenset(x)
        except TypeError:  # dict items with unhashable values
            return _OWN
    if t is collections.deque:
        return list(x)
    for k in t.__mro__:
        if k in PLAIN:
            break
        if k not in _STD_EQ and ("__eq__" in k.__dict__ or "__ne__" in k.__dict__):
            return _OWN  # the tests' own comparison (e.g. a tolerance object): it decides
    else:
        return _OWN
    try:
        return str.__str__(x) if k is str else k(x)
    except Exception:  # noqa: BLE001 - whatever the object does, its own == decides
        return _OWN


def _eq_beyond_plain(a, b) -> bool:
    """``a == b`` where one side is not plain data (made by the trusted tests): Python's answer, and where both sides are
    plain data under another class (:func:`_plain_form`) the same answer type-exactly: ``Counter([True]) ==
    Counter([1])`` is Python's True but not equal here."""
    r = a == b
    if r is not True:
        return r
    if type(a) is type(b) and _generated_eq(type(a)):  # a dataclass's own ``==`` compares its fields as Python does
        names = [f.name for f in dataclasses.fields(a) if f.compare]
        return exact_eq(tuple(getattr(a, n) for n in names), tuple(getattr(b, n) for n in names))
    pa, pb = _plain_form(a), _plain_form(b)
    if pa is _OWN or pb is _OWN:
        return r
    if isinstance(a, collections.Counter) and isinstance(b, collections.Counter):  # missing counts as zero
        pa, pb = ({k: v for k, v in p.items() if v != 0} for p in (pa, pb))
    if type(pa) in (set, frozenset) and type(pb) in (set, frozenset):  # Python equates the two (and dict views)
        return {_key(x) for x in pa} == {_key(y) for y in pb}
    return exact_eq(pa, pb)


def _generated_eq(t) -> bool:
    """``t`` is a dataclass whose ``__eq__`` the ``dataclasses`` module wrote (it compares the fields' tuples: ``Point(1.0,
    2) == Point(1, 2)``), not one its author wrote: type-exact on the fields then, as on a tuple (round 14: a ``Point``
    the reference's ``setup`` defines crosses as data)."""
    eq = t.__dict__.get("__eq__")
    params = t.__dict__.get("__dataclass_params__")
    return params is not None and getattr(params, "eq", False) and getattr(getattr(eq, "__code__", None),
                                                                          "co_filename", None) == "<string>"


def _members(c):
    """What ``x in c`` compares ``x`` with, for a container or iterator of the tests that holds plain data (a dict view,
    a ``deque``, a ``Counter``'s keys, ``itertools.permutations(...)``, a generator); None: ``c`` decides itself."""
    t = type(c)
    if t in _VIEWS or t is type({}.values()) or t is collections.deque:
        return c
    if not hasattr(t, "__contains__"):
        return c if hasattr(t, "__iter__") else None  # Python's ``in`` iterates it: so do we, type-exactly
    p = _plain_form(c)
    if p is _OWN or type(p) in (str, bytes) or any("__contains__" in k.__dict__ or "__iter__" in k.__dict__
                                                    for k in t.__mro__ if k not in PLAIN and k not in _STD_EQ
                                                    and k is not object):
        return None
    return p


def exact_chain(ops: str, *vals) -> bool:
    """A chained comparison (``a < b == c``), operands already evaluated."""
    table = {"==": exact_eq, "!=": operator.ne, "in": lambda x, y: exact_in(x, y),
             "not in": lambda x, y: x not in y, "<": _lt, "<=": _le, ">": _gt, ">=": _ge,
             "is": operator.is_, "is not": operator.is_not}
    return all(table[op](vals[i], vals[i + 1]) for i, op in enumerate(ops.split(",")))


def _nan(x, depth: int = 0) -> bool:
    """``x`` is a NaN, or a list or tuple holding one: Python orders sequences by their first unequal items, and a NaN
    is unequal to everything and ordered before nothing, so ``(nan, 0) > (1, 2)`` is False ("not too big")."""
    if isinstance(x, float):
        return x != x
    t = type(x)
    return (t is list or t is tuple) and depth < 1000 and any(_nan(v, depth + 1) for v in x)


_ORDERINGS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def exact_order(op: str, a, b):
    """``a < b`` (or ``<=``, ``>``, ``>=``): Python's, except that a NaN operand fails the test (``AssertionError``),
    and that a set's subset/superset test is type-exact as its ``==`` is (``{True} <= {1, 2}`` is False). Python answers
    False for any ordering with a NaN, which is the lenient side wherever the test says "not too far" the negative way
    round: ``not any(abs(x - y) > tol ...)`` and ``if abs(x - y) > tol: raise`` passed a NaN result. No test can pass
    on a NaN ordering now, whichever way round it is written."""
    if _nan(a) or _nan(b):
        raise AssertionError
    ta, tb = type(a), type(b)
    if (ta is set or ta is frozenset) and (tb is set or tb is frozenset):  # subset / superset: members type-exact
        a, b = {_key(x) for x in a}, {_key(y) for y in b}
    return _ORDERINGS[op](a, b)


def _lt(a, b):
    return exact_order("<", a, b)


def _le(a, b):
    return exact_order("<=", a, b)


def _gt(a, b):
    return exact_order(">", a, b)


def _ge(a, b):
    return exact_order(">=", a, b)


def _extreme(fn, args: tuple, kw: dict):
    """``max``/``min`` for the tests: Python's, except that comparing a NaN (an item, or its ``key``) fails the test, as
    :func:`exact_order` does. Python's keep the first of NaN and a number (``max(0.0, nan)`` is 0.0, ``max(nan, 0.0)``
    NaN), so ``max(abs(x - y) for ...) < tol`` passed a result with a NaN after its first element. The items stream
    through as in Python (``max(range(10 ** 8))`` holds no list), each ``key`` computed once (a key may call the
    solution); a single item is returned without a comparison, NaN or not."""
    if len(args) != 1 and (not args or "default" in kw):
        return fn(*args, **kw)  # Python's own TypeError
    seen = [0, False]  # items, a NaN among them (or their keys)

    def note(x):
        if _nan(x):
            seen[1] = True
        return x

    def each(items):
        for x in items:
            seen[0] += 1
            yield x if key is not None else note(x)

    key = kw.get("key")
    if key is not None:
        kw = dict(kw, key=lambda x: note(key(x)))
    out = fn(each(args[0] if len(args) == 1 else args), **kw)
    if seen[1] and seen[0] > 1:
        raise AssertionError
    return out


def exact_max(*args, **kw):
    return _extreme(max, args, kw)


def exact_min(*args, **kw):
    return _extreme(min, args, kw)


def exact_not_order(op: str, a, b) -> bool:
    """``not a < b`` (or ``<=``, ``>``, ``>=``): Python's, except that a NaN operand fails it. NaN is unordered, so a
    NaN result passed every negated ordering (``assert not f(x) > y``) that the plain form (``f(x) <= y``) rejects."""
    if _nan(a) or _nan(b):
        return False
    return not _ORDERINGS[op](a, b)


_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Lt: "<", ast.LtE: "<=",
        ast.Gt: ">", ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not"}


_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


_NEGATED = {ast.Eq: ast.NotEq, ast.In: ast.NotIn, ast.NotEq: ast.Eq, ast.NotIn: ast.In}


def _call(fn: str, args: list) -> ast.Call:
    return ast.Call(ast.Name(fn, ast.Load()), args, [])


class _Exact(ast.NodeTransformer):
    """Rewrites the test code's comparisons into calls of the exact ones: ``==``/``in`` (:func:`exact_eq`,
    :func:`exact_in`), orderings (:func:`exact_order`); ``!=``/``not in`` stay Python's."""

    def visit_UnaryOp(self, node):
        """``not a == b`` / ``not a in b``: Python's ``!=`` / ``not in``, the strict side of a negated test; ``not a !=
        b`` / ``not a not in b``: the exact ``==`` / ``in`` (a positive test, as if so written: Python's ``!=`` took
        ``42.0`` for ``42``); ``not a < b`` (an ordering) fails on a NaN operand (:func:`exact_not_order`)."""
        e = node.operand
        if type(node.op) is not ast.Not or type(e) is not ast.Compare or len(e.ops) != 1 or getattr(e, "python", False):
            return self.generic_visit(node)
        op = type(e.ops[0])
        if op in _NEGATED:
            return self.visit(ast.copy_location(ast.Compare(e.left, [_NEGATED[op]()], e.comparators), node))
        if op in _ORDER:
            self.generic_visit(e)
            return ast.copy_location(_call("__exact_not_order__", [ast.Constant(_OPS[op]), e.left, e.comparators[0]]), node)
        return self.generic_visit(node)

    def visit_If(self, node):
        """As control flow (``if not a < b: raise``) a negated ordering's strict side is Python's own: it stays."""
        t = node.test
        if type(t) is ast.UnaryOp and type(t.op) is ast.Not and type(t.operand) is ast.Compare \
                and len(t.operand.ops) == 1 and type(t.operand.ops[0]) in _ORDER:
            t.operand.python = True
        return self.generic_visit(node)

    visit_While = visit_If

    def visit_Compare(self, node):
        self.generic_visit(node)
        kinds = [type(op) for op in node.ops]
        if getattr(node, "python", False) or not any(k in (ast.Eq, ast.In) or k in _ORDER for k in kinds):
            return node
        if len(node.ops) > 1:
            ops = ",".join(_OPS[k] for k in kinds)
            return _call("__exact_chain__", [ast.Constant(ops), node.left, *node.comparators])
        if kinds[0] in _ORDER:
            return _call("__exact_order__", [ast.Constant(_OPS[kinds[0]]), node.left, node.comparators[0]])
        fn = "__exact_eq__" if kinds[0] is ast.Eq else "__exact_in__"
        return _call(fn, [node.left, node.comparators[0]])


def rewrite(src: str, filename: str, then: ast.NodeTransformer | None = None):
    """Compiled test code with exact comparisons (needs ``install_comparisons`` in its globals); ``then`` transforms
    the rewritten tree further (the split harness counts the tests' assertions)."""
    tree = _Exact().visit(ast.parse(src, filename))
    if then is not None:
        tree = then.visit(tree)
    return compile(ast.fix_missing_locations(tree), filename, "exec", dont_inherit=True), tree


#: what :func:`rewrite`'s code calls, and the builtins it shadows for the tests (``max``/``min``: :func:`_extreme`)
HELPERS = {"__exact_eq__": exact_eq, "__exact_in__": exact_in, "__exact_chain__": exact_chain,
           "__exact_not_order__": exact_not_order, "__exact_order__": exact_order}


def install_comparisons(g: dict) -> None:
    """The helpers into the tests' globals ``g``, and ``max``/``min`` unless ``g`` has its own: a HumanEval entry point
    named ``max`` is the solution's function there, never the tests' builtin."""
    g.update(HELPERS)
    g.setdefault("max", exact_max)
    g.setdefault("min", exact_min)


def free_names(tree, builtin: bool = False) -> list[str]:
    """Names the test code reads but never binds (candidates for the solution's globals); with ``builtin``, those of
    them that are public builtins instead (``pow``, ``sorted``: a function under test may be named like one)."""
    read, bound = set(), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (read if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and n.name:
            bound.add(n.name)  # ``except E as err``, ``case [err, *rest]``: the tests' own names, not the solution's
        elif isinstance(n, ast.MatchMapping) and n.rest:
            bound.add(n.rest)  # ``case {**rest}``
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
    free = read - bound - set(HELPERS)
    if builtin:
        return sorted(n for n in free & set(dir(builtins)) if not n.startswith("_"))
    return sorted(free - set(dir(builtins)))


def rigged(x) -> str | None:
    """Why ``x`` (a value the solution returned) has rigged comparisons, or None (checked in its process)."""
    t = type(x)
    if t in PLAIN or t in CONTAINERS:  # exactly the stdlib's: their own ``__eq__`` is the documented one
        return None
    for base in t.__mro__[1:]:
        if base in PLAIN and base is not object:
            for m in ("__eq__", "__ne__", "__hash__", "__contains__", "__len__", "__bool__"):
                if any(m in k.__dict__ for k in t.__mro__[: t.__mro__.index(base)]):
                    why = "returned a value of type %r (subclass of %s) that overrides %s"
                    return why % (t.__name__, base.__name__, m)
    try:
        probe = object()
        if (x == probe) is True or (x != probe) is False:
            return "returned a value of type %r that compares equal to anything" % t.__name__
    except Exception:  # noqa: BLE001 - a raising __eq__ is not rigged, just unsupported
        pass
    return None


def numpy_scalar(x):
    """A NumPy scalar (``np.float64``, ``np.int64``, ``np.bool_``, ``np.str_``) as the builtin it stands for
    (``.item()``), else ``x``. Done in the candidate's process, where the candidate could return that builtin
    itself: it gains nothing, and a legitimate ``np.mean(xs)`` is no longer a float subclass "overriding __eq__"
    (a reward-hack verdict) nor "unsupported". Arrays stay unsupported: ``array == list`` is not a truth value."""
    try:
        t = type(x)
        if t.__module__ != "numpy" or getattr(x, "ndim", None) != 0 or t.__name__ == "ndarray":
            return x
        v = x.item()
    except Exception:  # noqa: BLE001 - whatever the candidate's object does, it stays as it was
        return x
    return v if type(v) in (bool, int, float, complex, str, bytes) else x


_AS_DICT = (collections.defaultdict,)  # its ``default_factory`` cannot cross: a ``dict`` (``Counter``, ``OrderedDict``:
# :data:`CONTAINERS`, as themselves; as a ``dict`` the order of an ``OrderedDict`` went unchecked)


def stand_in(x):
    """``x`` as the plain builtin it stands for, made in the candidate's process (which could return that itself, so
    it gains nothing): a NumPy scalar (:func:`numpy_scalar`), a ``defaultdict`` as a
    ``dict``, a ``namedtuple`` as a ``tuple``: what Python's ``==`` equates them with (an honest ``Counter`` was a
    "reward hack" for its own ``__eq__``). Subclasses of these are left as they are (:func:`rigged` judges them)."""
    t = type(x)
    try:
        if t in _AS_DICT:
            return dict(x)
        if t.__bases__ == (tuple,) and type(t.__dict__.get("_fields")) is tuple:
            return tuple(x)
    except Exception:  # noqa: BLE001 - whatever the candidate's object does, it stays as it was
        return x
    return numpy_scalar(x)
