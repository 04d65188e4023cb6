"""Agreement of ``function_call_ast`` with the intended labels and with BFCL's own AST checker, per category.

    python bench/bfcl_agreement.py                      # every AST category of the installed bfcl-eval data
    python bench/bfcl_agreement.py --category parallel --category live_multiple
    python bench/bfcl_agreement.py --data-dir data/bfcl_sample
    python bench/bfcl_agreement.py --make-sample 10     # (re)write data/bfcl_sample/ from the package

A data folder holds categories as ``BFCL_v4_<category>.json`` plus ``possible_answer/`` with the same
name (v3's ``BFCL_v3_simple.json`` is the simple category). The AST categories are simple_python,
simple_java, simple_javascript, multiple, parallel, parallel_multiple and their live_ versions; the
others (irrelevance, multi_turn, memory, web_search) have no AST possible answers and are skipped.

For every item it builds the correct set of calls (per expected call, the first acceptable value of
each parameter; one whose first acceptable value is ``""`` is omitted), the same set in reverse order,
and corrupted sets: in one call (item index mod number of calls) a wrong value, a missing required
parameter, a wrong function name, another documented function, an extra parameter, an int sent as a
string; for the set, a missing call, an extra (repeated) call, and one call replaced by a duplicate of
another. Each set is rendered three ways (Python call list, OpenAI ``tool_calls`` message, list of
``{name, arguments}``; not as Python text when a parameter is named by a Python keyword) and run
through our verifier. It reports, per category and per case, the rate
of verdicts as intended and, when ``bfcl_eval`` is importable (``pip install --no-deps --target
/tmp/bfcl bfcl-eval`` then ``PYTHONPATH=/tmp/bfcl``; its provider SDKs are not needed for the
checker), the agreement with BFCL's ``ast_checker`` called with the category name, as BFCL's eval
runner calls it, and the time ratio. Java and JavaScript values are rendered as those languages'
literals, as BFCL's checker expects for them; our verifier gets ``language`` set to match.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import keyword
import re
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench helpers run as scripts' siblings

from bfcl_cases import CASE_KINDS, cases, language_of  # noqa: E402
from verifiers.function_call_ast import FunctionCallAST  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "bfcl_sample"
AST_CATEGORY = re.compile(r"^(live_)?(simple(_python|_java|_javascript)?|multiple|parallel|parallel_multiple)$")
FORMATS = ("python", "openai", "plain")


def category_files(data_dir: Path | None) -> list[tuple[str, Path, Path]]:
    """[(category, questions, possible answers)] for every AST category found."""
    dirs = [data_dir] if data_dir else []
    spec = importlib.util.find_spec("bfcl_eval")  # does not import the package (its SDK imports are heavy)
    if not data_dir and spec and spec.origin:
        dirs.append(Path(spec.origin).parent / "data")
    for d in dirs:
        found = []
        for q in sorted(d.glob("*.json")):
            cat = re.sub(r"^BFCL_v\d+_", "", q.stem)
            cat = "simple_python" if cat == "simple" else cat  # v3 had one (Python) simple category
            if AST_CATEGORY.match(cat) and (d / "possible_answer" / q.name).exists():
                found.append((cat, q, d / "possible_answer" / q.name))
        if found:
            return found
    raise SystemExit(f"no BFCL AST category in {dirs}; install the data with: pip install --no-deps bfcl-eval")


def load(q: Path, a: Path) -> list[tuple[dict, dict]]:
    answers = {r["id"]: r for r in map(json.loads, a.read_text().splitlines()) if r}
    return [(r, answers[r["id"]]) for r in map(json.loads, q.read_text().splitlines()) if r and r["id"] in answers]


def bfcl_reference_checker():
    """BFCL's ast_checker, loaded without its provider SDKs (only the model table is stubbed)."""
    if importlib.util.find_spec("bfcl_eval") is None:
        return None
    stub = types.ModuleType("bfcl_eval.constants.model_config")
    # underscore_to_dot=False: names are compared exactly, as our calls use the documented names.
    stub.MODEL_CONFIG_MAPPING = collections.defaultdict(lambda: types.SimpleNamespace(underscore_to_dot=False))
    sys.modules.setdefault("bfcl_eval.constants.model_config", stub)
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    langs = {"python": Language.PYTHON, "java": Language.JAVA, "javascript": Language.JAVASCRIPT}

    def check(functions, calls, ground_truth, category) -> bool:
        try:
            out = ast_checker(functions, [{n: a} for n, a in calls], ground_truth, langs[language_of(category)],
                              category, "x")  # fmt: skip
        except Exception:  # BFCL's checker raises on some malformed calls; its runner would count a failure
            return False
        return out["valid"]

    return check


def render(fmt: str, calls: list[tuple[str, dict]]) -> str:
    if fmt == "python":
        text = ", ".join(f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls)
        return text if len(calls) == 1 else f"[{text}]"
    if fmt == "plain":
        return json.dumps([{"name": n, "arguments": a} for n, a in calls])
    tcs = [{"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
           for i, (n, a) in enumerate(calls)]  # fmt: skip
    return json.dumps({"role": "assistant", "content": None, "tool_calls": tcs})


def make_sample(n: int) -> None:
    (cat, q, a), = [c for c in category_files(None) if c[0] == "simple_python"]
    pairs = load(q, a)[:n]
    (SAMPLE_DIR / "possible_answer").mkdir(parents=True, exist_ok=True)
    (SAMPLE_DIR / q.name).write_text("".join(json.dumps(i) + "\n" for i, _ in pairs))
    (SAMPLE_DIR / "possible_answer" / a.name).write_text("".join(json.dumps(x) + "\n" for _, x in pairs))
    print(f"wrote {len(pairs)} items to {SAMPLE_DIR}")


def run_category(cat: str, pairs, ref, tally, disagreements: list, timing: list) -> None:
    v = FunctionCallAST(language=language_of(cat)) if language_of(cat) != "python" else FunctionCallAST()
    for idx, (item, ans) in enumerate(pairs):
        gt = ans["ground_truth"]
        row = {"reference": json.dumps(gt), "source": json.dumps({"function": item["function"]})}
        for kind, expect, calls in cases(item, gt, idx, language_of(cat)):
            ref_ok = None
            if ref is not None:
                t0 = time.perf_counter()
                ref_ok = ref(item["function"], calls, gt, cat)
                timing[1] += time.perf_counter() - t0
                timing[2] += 1
            for fmt in FORMATS:
                if fmt == "python" and any(keyword.iskeyword(p) for _, a in calls for p in a):
                    continue  # "from=..." cannot be written as Python call text (simple_java_62, _63)
                t0 = time.perf_counter()
                verdict = v.verify({**row, "completion": render(fmt, calls)})
                timing[0] += time.perf_counter() - t0
                ours = verdict.score == 1.0
                for key in ((cat, kind, fmt), (cat, "*", "*"), ("*", kind, fmt)):
                    tally[key + ("n",)] += 1
                    tally[key + ("as_intended",)] += ours == expect
                    if ref_ok is not None:
                        tally[key + ("agree_bfcl",)] += ours == ref_ok
                if ref_ok is not None and ours != ref_ok:
                    disagreements.append((item["id"], kind, fmt, ours, ref_ok, verdict.reason))


def _rates(tally, key, ref) -> str:
    n = tally[key + ("n",)]
    agree = f"{tally[key + ('agree_bfcl',)] / n:.4f}" if ref else "n/a"
    return f"{n:>7}{tally[key + ('as_intended',)] / n:>13.4f}{agree:>15}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="folder with BFCL_v4_<category>.json and possible_answer/")  # fmt: skip
    ap.add_argument("--category", action="append", default=[], help="only this category (repeatable); default all")
    ap.add_argument("--show", type=int, default=20, help="print at most this many disagreements")
    ap.add_argument("--make-sample", type=int, default=0, help="write the first N simple items to data/bfcl_sample/")
    args = ap.parse_args()
    if args.make_sample:
        return make_sample(args.make_sample)
    files = [c for c in category_files(args.data_dir) if not args.category or c[0] in args.category]
    if not files:
        raise SystemExit(f"--category {args.category}: none of these is in the data")
    ref = bfcl_reference_checker()
    tally: collections.Counter = collections.Counter()
    disagreements: list = []
    timing = [0.0, 0.0, 0]  # ours seconds, BFCL seconds, BFCL calls
    print(f"data: {files[0][1].parent}")
    print(f"{'category':<24}{'items':>6}{'cases':>7}{'as intended':>13}{'agree w/ BFCL':>15}")
    for cat, q, a in files:
        pairs = load(q, a)
        run_category(cat, pairs, ref, tally, disagreements, timing)
        print(f"{cat:<24}{len(pairs):>6}{_rates(tally, (cat, '*', '*'), ref)}")
    print(f"\n{'case':<18}{'format':<8}{'cases':>7}{'as intended':>13}{'agree w/ BFCL':>15}")
    for kind in CASE_KINDS:
        for fmt in FORMATS:
            if tally[("*", kind, fmt, "n")]:
                print(f"{kind:<18}{fmt:<8}{_rates(tally, ('*', kind, fmt), ref)}")
    total = sum(tally[k] for k in tally if k[0] == "*" and k[3] == "n")
    print(f"overall as intended: {sum(tally[k] for k in tally if k[0] == '*' and k[3] == 'as_intended') / total:.4f}")
    if ref:
        agree = sum(tally[k] for k in tally if k[0] == "*" and k[3] == "agree_bfcl")
        print(f"overall agreement with BFCL checker: {agree / total:.4f}")
        # ours parses each completion from text (three formats); BFCL's is fed the decoded calls once.
        ours_us, ref_us = timing[0] / total * 1e6, timing[1] / timing[2] * 1e6
        print(f"time per call set: ours {ours_us:.1f} us (incl. parsing) vs BFCL checker {ref_us:.1f} us "
              f"(decoded input); ratio {ours_us / ref_us:.2f}")
    print(f"disagreements: {len(disagreements)}")
    for d in disagreements[: args.show]:
        print("disagreement:", d)


if __name__ == "__main__":
    main()
