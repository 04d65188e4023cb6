"""Decontamination against GSM8K test: caught rate for planted items, false positives on clean rows.

    python bench/bench_decontam.py                      # 100k rows, n-gram + embedding on a subsample
    python bench/bench_decontam.py --rows 20000 --embed-clean 500

Corpus: ``--rows`` prompts built from GSM8K *train* problems (clean: sentences of 1-3 train problems
recombined, so rows are distinct), plus 300 verbatim GSM8K test questions (wrapped in an instruction)
and 300 lightly paraphrased ones (synonyms, number words, reordered clauses). The 13-gram test runs
on all rows; the embedding test (all-MiniLM-L6-v2 on CPU, too slow for 100k rows here) runs on the
paraphrases plus ``--embed-clean`` clean rows.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.dedup.benchmarks import shared_data_file  # noqa: E402
from curation.dedup.decontam import DecontamConfig, Decontaminate, contamination_report  # noqa: E402
from ground.record import new_sample  # noqa: E402

SYN = {"how many": "what number of", "buys": "purchases", "sells": "trades", "each": "every", "total": "overall",
       "dollars": "bucks", "makes": "earns", "has": "owns", "gives": "hands", "day": "daily period", "week": "7-day week",
       "friends": "pals", "store": "shop", "money": "cash", "bought": "purchased", "many": "several"}
NUM = {"2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "10": "ten", "12": "twelve", "20": "twenty"}


def paraphrase(q: str, rng: random.Random) -> str:
    s = q
    for a, b in SYN.items():
        s = re.sub(rf"\b{a}\b", b, s, flags=re.I)
    s = re.sub(r"\b(\d+)\b", lambda m: NUM.get(m.group(1), m.group(1)), s)
    sents = re.split(r"(?<=[.!?])\s+", s)
    if len(sents) > 2:  # move the question to the front, keep the facts in order
        sents = [sents[-1]] + sents[:-1]
    s = " ".join(sents).replace(" the ", " ")
    return s


def row(i: int, text: str) -> dict:
    return new_sample(stage="b", prompt_id=str(i), sample_index=0, messages=[{"role": "user", "content": text}])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--embed-clean", type=int, default=1000)
    ap.add_argument("--embed-threshold", type=float, default=0.8)
    args = ap.parse_args()
    rng = random.Random(0)
    test = [json.loads(x) for x in open(shared_data_file("gsm8k/test_first300.jsonl"), encoding="utf-8")]
    train = [json.loads(x)["question"] for x in open(shared_data_file("gsm8k/train.jsonl"), encoding="utf-8")]
    train_sents = [s for q in train for s in re.split(r"(?<=[.!?])\s+", q)]
    clean = [" ".join(rng.sample(train_sents, rng.randint(2, 6))) for _ in range(args.rows)]
    verbatim = [f"Solve step by step and put the answer after ####.\n\n{t['question']}" for t in test]
    para = [paraphrase(t["question"], rng) for t in test]
    rows = [row(i, t) for i, t in enumerate(clean + verbatim + para)]
    n_clean, n_v = len(clean), len(verbatim)

    step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))
    step([row(-1, "warm up")])  # index build is once per step instance; time the scan
    t0 = time.perf_counter()
    step(rows)
    dt = time.perf_counter() - t0
    hit = [r["status"] == "rejected" for r in rows]
    print(f"13-gram: {len(rows)} rows in {dt:.1f} s ({len(rows) / dt:,.0f} rows/s)")
    print(f"  verbatim caught    {sum(hit[n_clean:n_clean + n_v]) / n_v:.3f}  (goal >= 0.99)")
    print(f"  paraphrase caught  {sum(hit[n_clean + n_v:]) / len(para):.3f}")
    print(f"  false positives    {sum(hit[:n_clean])} / {n_clean} clean rows")
    right_item = sum(r["reject_reason"].startswith(f"contaminated: gsm8k_test#{i} ")
                     for i, r in enumerate(rows[n_clean:n_clean + n_v]))
    print(f"  verbatim attributed to the right item: {right_item}/{n_v}")
    print(f"  report: {json.dumps({k: v for k, v in contamination_report(rows)['per_benchmark']['gsm8k_test'].items() if k != 'examples'})}")

    emb_rows = [row(i, t) for i, t in enumerate(para + clean[: args.embed_clean])]
    estep = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", embedding=True,
                                         embedding_threshold=args.embed_threshold))
    estep([row(-1, "warm up")])
    t0 = time.perf_counter()
    estep(emb_rows)
    dt = time.perf_counter() - t0
    eh = [r["status"] == "rejected" for r in emb_rows]
    print(f"13-gram + embedding (cos >= {args.embed_threshold}): {len(emb_rows)} rows in {dt:.1f} s "
          f"({len(emb_rows) / dt:,.0f} rows/s)")
    print(f"  paraphrase caught  {sum(eh[:len(para)]) / len(para):.3f}")
    print(f"  false positives    {sum(eh[len(para):])} / {args.embed_clean} clean rows")


if __name__ == "__main__":
    main()
