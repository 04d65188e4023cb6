"""What redacting the source record, the reference and earlier rejects costs the PII filter.

    python bench/bench_pii.py [--rows 5000] [--repeat 3]

Rows: GSM8K train questions in a template as prompts, another item's solution as the completion (a teacher's
answer is not the source's), the source record as the plane writes it
(``json.dumps`` of the record) and the final answer as reference; every 10th row carries an email and a key in
its question, every 7th row arrives rejected by an earlier stage. "ours": PIIFilter as it runs now (messages,
completion, reasoning, source, reference; rejected rows too). "baseline": the same filter on rows without
source/reference and with no rejected rows, i.e. the columns and rows the filter scanned before. Prints rows/s
for both and the ratio (best of ``--repeat``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from curation.filters.pii import PIIConfig, PIIFilter
from ground.record import new_sample, reject

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gsm8k" / "train.jsonl"


def rows(n: int, full: bool) -> list[dict]:
    recs = [json.loads(x) for x in DATA.read_text().splitlines()[:n + 1]]
    out = []
    for i, r in enumerate(recs[:n]):
        q = r["question"] + (" Mail bob@example.com, key AKIAIOSFODNN7EXAMPLE." if i % 10 == 0 else "")
        # as in a run: the template wraps the question, the teacher's answer is not the source's solution
        row = new_sample(stage="gen", prompt_id=str(i), sample_index=0, completion=recs[i + 1]["answer"],
                         messages=[{"role": "user", "content": "Solve the problem, end with #### N.\n\n" + q}],
                         source=json.dumps({**r, "question": q}) if full else None,
                         reference=r["answer"].split("####")[-1].strip() if full else None)
        if full and i % 7 == 0:
            reject(row, "verify:math_answer", "wrong answer")
        out.append(row)
    return out


def best(n: int, full: bool, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        batch = rows(n, full)
        step = PIIFilter(PIIConfig(mode="redact"))
        t0 = time.perf_counter()
        step(batch)
        times.append(time.perf_counter() - t0)
    return n / min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    ours, base = best(a.rows, True, a.repeat), best(a.rows, False, a.repeat)
    print(f"rows {a.rows}: ours {ours:,.0f} rows/s, baseline (messages + completion only) {base:,.0f} rows/s, "
          f"ratio {ours / base:.2f}x")


if __name__ == "__main__":
    main()
