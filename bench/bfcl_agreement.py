"""Agreement of ``function_call_ast`` with the intended labels and with BFCL's own AST checker (simple, Python).

    python bench/bfcl_agreement.py                      # all items of the installed bfcl-eval data
    python bench/bfcl_agreement.py --data-dir data/bfcl_sample
    python bench/bfcl_agreement.py --make-sample 10     # (re)write data/bfcl_sample/ from the package

For every item it builds one correct call (the first acceptable value of each parameter; a
parameter whose first acceptable value is ``""`` is omitted) and three corrupted ones (a wrong
value, a missing required parameter, a wrong function name, an extra parameter, an int sent as
a string), renders each as a Python call string
and as an OpenAI ``tool_calls`` message, and runs our verifier on them. It reports the accept rate
on correct calls, the reject rate per corruption, and, when ``bfcl_eval`` is installed
(``pip install --no-deps bfcl-eval``: its heavy provider SDKs are not needed for the checker),
the agreement with BFCL's ``simple_function_checker`` on the same calls and the time ratio.
Needs: bfcl-eval (data), nothing else beyond the project.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifiers.function_call_ast import FunctionCallAST  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "bfcl_sample"
# v3 called the file BFCL_v3_simple.json; v4 (bfcl-eval >= 2025) splits it by language.
NAMES = ("BFCL_v4_simple_python.json", "BFCL_v3_simple.json", "simple.json")


def find_data(data_dir: Path | None) -> tuple[Path, Path]:
    dirs = [data_dir] if data_dir else []
    spec = importlib.util.find_spec("bfcl_eval")  # does not import the package (its SDK imports are heavy)
    if not data_dir and spec and spec.origin:
        dirs.append(Path(spec.origin).parent / "data")
    for d in dirs:
        for n in NAMES:
            if (d / n).exists() and (d / "possible_answer" / n).exists():
                return d / n, d / "possible_answer" / n
    raise SystemExit(f"no BFCL simple data in {dirs}; install it with: pip install --no-deps bfcl-eval")


def load(q: Path, a: Path) -> list[tuple[dict, dict]]:
    answers = {r["id"]: r for r in map(json.loads, a.read_text().splitlines()) if r}
    return [(r, answers[r["id"]]) for r in map(json.loads, q.read_text().splitlines()) if r and r["id"] in answers]


def bfcl_reference_checker():
    """BFCL's simple_function_checker, loaded without its provider SDKs (only the model table is stubbed)."""
    if importlib.util.find_spec("bfcl_eval") is None:
        return None
    stub = types.ModuleType("bfcl_eval.constants.model_config")
    # underscore_to_dot=False: names are compared exactly, as our calls use the documented names.
    stub.MODEL_CONFIG_MAPPING = collections.defaultdict(lambda: types.SimpleNamespace(underscore_to_dot=False))
    sys.modules.setdefault("bfcl_eval.constants.model_config", stub)
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import simple_function_checker

    return lambda doc, name, args, gt: simple_function_checker(doc, {name: args}, gt, Language.PYTHON, "x")["valid"]


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
    """A dict-valued answer holds acceptable-value lists per key: pick the first of each, recursively."""
    if isinstance(v, dict):
        return {k: _resolve(acc[0]) for k, acc in v.items() if acc and acc[0] != ""}
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return [_resolve(x) for x in v]
    return v


def cases(item: dict, ans: dict):
    """Yield (kind, expect_valid, name, args) for one BFCL item."""
    doc = item["function"][0]
    (name, params), = ans["ground_truth"][0].items()
    required = doc["parameters"].get("required", [])
    good = {}
    for p, acc in params.items():
        # a few items list "" first for a parameter the docs call required; the value is then needed
        vals = [a for a in acc if a != ""] if p in required else acc
        if vals and vals[0] != "":
            good[p] = _resolve(vals[0])
    yield "correct", True, name, good
    for p in sorted(good, key=lambda p: p not in required):
        w = _wrong(good[p], params[p])
        if w is not None:
            yield "wrong_value", False, name, {**good, p: w}
            break
    if required and required[0] in good:
        yield "missing_required", False, name, {k: v for k, v in good.items() if k != required[0]}
    yield "wrong_name", False, name + "_v2", good
    yield "extra_param", False, name, {**good, "zz_unknown": 1}
    ints = [p for p, x in good.items() if type(x) is int]
    if ints:  # "5" for 5: a type error unless the answers themselves are strings
        yield "wrong_type", False, name, {**good, ints[0]: str(good[ints[0]])}


def render(fmt: str, name: str, args: dict) -> str:
    if fmt == "python":
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
    call = {"id": "c0", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
    return json.dumps({"role": "assistant", "content": None, "tool_calls": [call]})


def make_sample(n: int) -> None:
    q, a = find_data(None)
    pairs = load(q, a)[:n]
    (SAMPLE_DIR / "possible_answer").mkdir(parents=True, exist_ok=True)
    (SAMPLE_DIR / q.name).write_text("".join(json.dumps(i) + "\n" for i, _ in pairs))
    (SAMPLE_DIR / "possible_answer" / a.name).write_text("".join(json.dumps(x) + "\n" for _, x in pairs))
    print(f"wrote {len(pairs)} items to {SAMPLE_DIR}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="folder with BFCL_*_simple*.json and possible_answer/")
    ap.add_argument("--make-sample", type=int, default=0, help="write the first N items to data/bfcl_sample/ and exit")
    args = ap.parse_args()
    if args.make_sample:
        return make_sample(args.make_sample)
    q, a = find_data(args.data_dir)
    pairs = load(q, a)
    v, ref = FunctionCallAST(), bfcl_reference_checker()
    tally = collections.Counter()
    disagreements, t_ours, t_ref = [], 0.0, 0.0
    for item, ans in pairs:
        row_base = {"reference": json.dumps(ans["ground_truth"]), "source": json.dumps({"function": item["function"]})}
        for kind, expect, name, call_args in cases(item, ans):
            ref_ok = None
            if ref is not None:
                t0 = time.perf_counter()
                ref_ok = ref(item["function"][0], name, call_args, ans["ground_truth"][0])
                t_ref += time.perf_counter() - t0
            for fmt in ("python", "openai"):
                t0 = time.perf_counter()
                verdict = v.verify({**row_base, "completion": render(fmt, name, call_args)})
                t_ours += time.perf_counter() - t0
                ours = verdict.score == 1.0
                tally[(kind, fmt, "n")] += 1
                tally[(kind, fmt, "as_intended")] += ours == expect
                if ref_ok is not None:
                    tally[(kind, fmt, "agree_bfcl")] += ours == ref_ok
                    if ours != ref_ok and len(disagreements) < 8:
                        disagreements.append((item["id"], kind, fmt, ours, ref_ok, verdict.reason))
    print(f"data: {q}  items: {len(pairs)}")
    print(f"{'case':<18}{'format':<8}{'n':>6}{'as intended':>13}{'agree w/ BFCL':>15}")
    for kind in ("correct", "wrong_value", "missing_required", "wrong_name", "extra_param", "wrong_type"):
        for fmt in ("python", "openai"):
            n = tally[(kind, fmt, "n")]
            if n:
                agree = f"{tally[(kind, fmt, 'agree_bfcl')] / n:.3f}" if ref else "n/a"
                print(f"{kind:<18}{fmt:<8}{n:>6}{tally[(kind, fmt, 'as_intended')] / n:>13.3f}{agree:>15}")
    total = sum(tally[k] for k in tally if k[2] == "n")
    print(f"overall as intended: {sum(tally[k] for k in tally if k[2] == 'as_intended') / total:.4f}")
    if ref:
        print(f"overall agreement with BFCL checker: {sum(tally[k] for k in tally if k[2] == 'agree_bfcl') / total:.4f}")
        # ours parses each completion from text (two formats); BFCL's is fed the decoded dict once.
        print(f"time per call: ours {t_ours / total * 1e6:.1f} us (incl. parsing) vs BFCL checker "
              f"{t_ref / (total / 2) * 1e6:.1f} us (decoded input); ratio {t_ours / total / (t_ref / (total / 2)):.2f}")
    for d in disagreements:
        print("disagreement:", d)


if __name__ == "__main__":
    main()
