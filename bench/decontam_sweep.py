"""Recall of the default decontamination checker on many rewrite styles and seeds in one process, and its flags on
GSM8K train: a quick before/after check for a change to the template reader (``bench_decontam.py`` runs one style and
also the baselines).

    FACTORY_SHARED_DATA=... python bench/decontam_sweep.py --styles 4,6,9,21 --seeds 0,1 --out /tmp/after.json
    python bench/decontam_sweep.py --compare /tmp/before.json /tmp/after.json

Prints per style and seed the share of rewrites caught, then the train flags by label (sibling, structure sibling,
false positive, unlabelled; bench/decontam_flag_labels.json).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_decontam import LABELS, STYLES, rewriter, row  # noqa: E402
from curation.dedup.benchmarks import load_benchmark, shared_data_file  # noqa: E402
from curation.dedup.decontam import DecontamConfig, Decontaminate  # noqa: E402


def compare(a: dict, b: dict) -> None:
    for k in sorted(set(a) | set(b), key=lambda k: (k == "train", k)):
        if k == "train":
            print(f"train flags: {a.get(k)} -> {b.get(k)}")
        else:
            x, y = a.get(k), b.get(k)
            d = "" if x is None or y is None else f" ({100 * (y - x):+.2f} points)"
            print(f"{k:14s} {x if x is None else f'{x:.4f}'} -> {y if y is None else f'{y:.4f}'}{d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--styles", default=",".join(str(s) for s in [0, *STYLES]), help="comma-separated; 0 = noise")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--out", help="write the figures to this JSON file")
    ap.add_argument("--no-train", action="store_true", help="skip the flags on GSM8K train")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        return compare(*(json.loads(Path(p).read_text()) for p in args.compare))
    train = [json.loads(x)["question"] for x in open(shared_data_file("gsm8k/train.jsonl"), encoding="utf-8")]
    items = load_benchmark("gsm8k_test").items
    step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))
    step([row(-1, "warm up")])
    out: dict = {}
    for style in (int(s) for s in args.styles.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            rng, rewrite = random.Random(seed), rewriter(style, train)
            rows = [row(i, rewrite(it.prompt, rng)) for i, it in enumerate(items)]
            t0 = time.perf_counter()
            step(rows)
            out[f"{style}/{seed}"] = sum(r["status"] == "rejected" for r in rows) / len(rows)
            print(f"style {style:2d} seed {seed}: {out[f'{style}/{seed}']:.4f} ({time.perf_counter() - t0:.1f} s)", flush=True)
    if not args.no_train:
        labels = json.loads(LABELS.read_text())
        rows = [row(i, t) for i, t in enumerate(train)]
        step(rows)
        by: dict[str, int] = {}
        for i, r in enumerate(rows):
            if r["status"] == "rejected":
                item = r["reject_reason"].split("#")[1].split(" ")[0]
                lab = labels.get(f"{i}~{item}", "unlabelled")
                by[lab] = by.get(lab, 0) + 1
                if lab != "sibling":
                    print(f"  train row {i} ~ item {item}: {lab}: {r['reject_reason'][:120]}")
        out["train"] = by
        print(f"train flags: {by}")
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
