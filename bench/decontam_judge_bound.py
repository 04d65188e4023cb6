"""The judge route's ceiling: rewrite recall if the LLM judge were always right, and how many rows it would be asked about.

    python bench/decontam_judge_bound.py 0,4,5,6,7,8,9        # styles; near misses from -2 (template_judge_from)
    python bench/decontam_judge_bound.py 9 -4                  # another lower bound

With ``template_judge_from: L`` a row whose best template score is in [L, threshold) goes to the judge, and a YES
flags it. A rewrite counts as caught here when its own item scores >= L (the judge says YES to it); the judge calls
are the clean GSM8K train rows with a best score in [L, threshold). Template method only, seeds 0 and 1, all items.
The judge's own accuracy is not measured here (bench/RESULTS.md).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_decontam import rewriter  # noqa: E402
from curation.dedup.benchmarks import load_benchmark, shared_data_file  # noqa: E402
from curation.dedup.template_match import MODEL, TemplateIndex  # noqa: E402


def main() -> None:
    styles = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "9").split(",")]
    lo = float(sys.argv[2]) if len(sys.argv) > 2 else -2.0
    items = load_benchmark("gsm8k_test").items
    train = [json.loads(x)["question"] for x in open(shared_data_file("gsm8k/train.jsonl"), encoding="utf-8")]
    idx = TemplateIndex([("gsm8k_test", it) for it in items])
    for st in styles:
        rw = rewriter(st, train)
        res = []
        for sd in (0, 1):
            rng = random.Random(sd)
            best = idx.best([rw(it.prompt, rng) for it in items], MODEL)
            ok = sum(1 for i, it in enumerate(items) if i in best and best[i][1] >= lo and best[i][0][1] == it.item_id)
            res.append(f"s{sd} {ok / len(items):.4f}")
        print(f"style {st}: caught if the judge were always right (from {lo}): " + " / ".join(res), flush=True)
    best = idx.best(train, MODEL)
    calls = sum(1 for b in best.values() if lo <= b[1] < MODEL.threshold)
    print(f"judge calls on clean GSM8K train: {calls} of {len(train)} ({calls / len(train):.1%})")


if __name__ == "__main__":
    main()
