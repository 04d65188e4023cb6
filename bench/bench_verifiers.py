"""Verifier throughput per core: ``tool_calls`` (and ``math_answer`` when it exists).

    python bench/bench_verifiers.py               # 2000 synthetic traces, best of 3
    python bench/bench_verifiers.py --n 500 --repeat 1
    python bench/bench_verifiers.py --math-before /work/main   # math_answer here vs another checkout's

tool_calls: a synthetic set of valid and invalid traces (1-3 calls across all four tools; bad
arguments, unknown tool, replay mismatch, ignored error). Runs in this one process, i.e. on one
core. Baseline, measured in the same run on the same rows: the same verifier with a registry
whose tools validate with ``jsonschema.validate()`` on every call (what a straightforward
implementation does; it re-checks the schema itself each time) instead of a validator compiled
once per tool. Prints samples/s for both and the ratio, and checks both give the same verdicts.

math_answer (only if ``verifiers.math_answer`` is importable): samples/s on synthetic
"... the answer is N." completions, against a baseline of comparing the last number as a string.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jsonschema  # noqa: E402

from verifiers.tool_calls import ToolCalls  # noqa: E402
from teachers.tools import Tool, ToolRegistry, default_registry  # noqa: E402


class PerCallValidateTool(Tool):
    """Baseline: delegates to a real tool but validates with jsonschema.validate() on every call."""

    def __init__(self, inner: Tool):
        super().__init__()
        self.inner, self.name, self.parameters = inner, inner.name, inner.parameters

    def new_state(self):
        return self.inner.new_state()

    def run(self, state, **arguments):
        return self.inner.run(state, **arguments)

    def validate(self, arguments):
        try:
            jsonschema.validate(arguments, self.parameters)
        except jsonschema.ValidationError as e:
            return e.message
        return None


def _call(i, name, args):
    return {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def synthetic_rows(n: int, seed: int = 0) -> list[dict]:
    """Half valid, half broken in one of four ways. Tool results come from a real session."""
    rng = random.Random(seed)
    reg = default_registry()
    rows = []
    for k in range(n):
        a, b = rng.randint(2, 999), rng.randint(2, 999)
        plans = [
            [("calculator", {"expression": f"{a} * {b} + 1"})],
            [("kv_store", {"op": "set", "key": f"k{a}", "value": str(b)}), ("kv_store", {"op": "get", "key": f"k{a}"})],
            [("filesystem", {"op": "write", "path": f"/d/{a}.txt", "content": str(b)}),
             ("filesystem", {"op": "list", "path": "/d"}), ("filesystem", {"op": "read", "path": f"/d/{a}.txt"})],
            [("unit_convert", {"value": a, "from_unit": "km", "to_unit": "mi"})],
        ]
        plan = plans[k % 4]
        fault = rng.choice(["none", "none", "none", "none", "bad_args", "unknown", "mismatch", "ignored_error"])
        if fault == "bad_args":
            plan = [(plan[0][0], {**plan[0][1], "bogus": 1}), *plan[1:]]
        elif fault == "unknown":
            plan = [("weather", {"city": "Paris"}), *plan]
        elif fault == "ignored_error":
            plan = [*plan, ("calculator", {"expression": f"{a} / 0"})]
        session, trace = reg.session(), []
        for i, (name, args) in enumerate(plan):
            out = session.execute(name, json.dumps(args))
            content = out.content
            if fault == "mismatch" and i == len(plan) - 1:
                content = json.dumps({"result": -1})
            trace += [{"role": "assistant", "content": None, "tool_calls": [_call(i, name, args)]},
                      {"role": "tool", "tool_call_id": f"c{i}", "content": content}]
        trace.append({"role": "assistant", "content": f"Done: {b}."})
        rows.append({"messages": json.dumps([{"role": "user", "content": "task"}]), "completion": json.dumps(trace),
                     "reference": None, "source": None, "expect": fault == "none"})
    return rows


def throughput(verifier, rows: list[dict], repeat: int) -> tuple[float, list]:
    best, verdicts = float("inf"), []
    for _ in range(repeat):
        t0 = time.perf_counter()
        verdicts = verifier.verify_batch(rows)
        best = min(best, time.perf_counter() - t0)
    return len(rows) / best, verdicts


def bench_tool_calls(n: int, repeat: int) -> None:
    rows = synthetic_rows(n)
    ours = ToolCalls()
    base = ToolCalls(registry=ToolRegistry([PerCallValidateTool(t) for t in (default_registry().get(x) for x in
                                            default_registry().names())]))  # fmt: skip
    # warm-up (compiles our validators; imports) so neither side pays one-off costs in the timing
    ours.verify_batch(rows[:20]), base.verify_batch(rows[:20])
    sps_ours, v_ours = throughput(ours, rows, repeat)
    sps_base, v_base = throughput(base, rows, repeat)
    as_expected = sum((v.score == 1.0) == r["expect"] for v, r in zip(v_ours, rows)) / len(rows)
    same = sum(a.score == b.score for a, b in zip(v_ours, v_base)) / len(rows)
    print(f"tool_calls  rows={n} (valid {sum(r['expect'] for r in rows)})  verdicts as expected: {as_expected:.3f}  "
          f"same verdict as baseline: {same:.3f}")
    print(f"  ours (validator compiled once per tool): {sps_ours:9.0f} samples/s/core")
    print(f"  baseline (jsonschema.validate per call): {sps_base:9.0f} samples/s/core")
    print(f"  ratio ours/baseline: {sps_ours / sps_base:.2f}x")


def bench_math(n: int, repeat: int) -> None:
    if importlib.util.find_spec("verifiers.math_answer") is None:
        print("math_answer: verifiers/math_answer.py not present; skipped")
        return
    from verifiers.registry import get_verifier

    rng = random.Random(1)
    rows = []
    for _ in range(n):
        x = rng.randint(1, 10_000)
        ans = x if rng.random() < 0.7 else x + 1
        rows.append({"completion": f"We compute step by step ... so the answer is {ans}.", "reference": str(x),
                     "messages": "[]", "source": None})
    v = get_verifier("math_answer")
    v.verify_batch(rows[:10])
    sps, _ = throughput(v, rows, repeat)
    t0 = time.perf_counter()
    for r in rows:  # baseline: last number as a string, the cheapest possible check
        nums = re.findall(r"-?\d+", r["completion"])
        _ = bool(nums) and nums[-1] == r["reference"]
    sps_base = len(rows) / (time.perf_counter() - t0)
    print(f"math_answer rows={n}: {sps:9.0f} samples/s/core; last-number string compare: {sps_base:9.0f}/s; "
          f"ratio {sps / sps_base:.3f}x")


def _load_math_answer(checkout: str):
    """``verifiers/math_answer.py`` of another checkout as a module of its own (its imports resolve here)."""
    spec = importlib.util.spec_from_file_location("math_answer_before", Path(checkout) / "verifiers" / "math_answer.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.MathAnswer()


def bench_math_before(n: int, repeat: int, before: str) -> None:
    """math_answer of this checkout vs the one in ``before`` (e.g. before a change), same rows, same process:
    numeric answers (the common path) and symbolic ones (math-verify: a thread before session 9, a child
    process after)."""
    from verifiers.math_answer import MathAnswer

    rng = random.Random(2)
    numeric = [{"completion": f"... so the answer is {x}.", "reference": str(x + (rng.random() < 0.3))}
               for x in (rng.randint(1, 10_000) for _ in range(n))]
    symbolic = [{"completion": f"... so \\boxed{{\\frac{{{2 * a}}}{{{2 * b}}}}}", "reference": f"\\frac{{{a}}}{{{b + (k % 3 == 0)}}}"}
                for k, (a, b) in enumerate((rng.randint(1, 99), rng.randint(100, 999)) for _ in range(max(20, n // 10)))]
    old, new = _load_math_answer(before), MathAnswer()
    for name, rows in (("numeric", numeric), ("symbolic", symbolic)):
        old.verify_batch(rows[:5]), new.verify_batch(rows[:5])  # imports, the child process
        sps_old, v_old = throughput(old, rows, repeat)
        sps_new, v_new = throughput(new, rows, repeat)
        same = sum(a.score == b.score for a, b in zip(v_old, v_new)) / len(rows)
        print(f"math_answer {name} rows={len(rows)}: before {sps_old:8.0f}/s  after {sps_new:8.0f}/s  "
              f"ratio after/before {sps_new / sps_old:.3f}x  same verdict {same:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="synthetic rows per verifier")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    ap.add_argument("--math-before", metavar="CHECKOUT", help="also time math_answer against CHECKOUT's verifiers/math_answer.py")
    args = ap.parse_args()
    bench_tool_calls(args.n, args.repeat)
    bench_math(args.n, args.repeat)
    if args.math_before:
        bench_math_before(args.n, args.repeat, args.math_before)


if __name__ == "__main__":
    main()
