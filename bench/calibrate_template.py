"""Fit the template matcher's weights and threshold (curation/dedup/template_match.py) on calibration data only.

    python bench/calibrate_template.py            # prints WEIGHTS and THRESHOLD to paste into template_match.py

Calibration half: style-1 rewrites (bench/rewrite_gsm8k.py, seed 0) of the *even* GSM8K test items are the
positives (their pair with the item they copy); every candidate pair of the *even* GSM8K train rows is a
negative (a few are genuine siblings: the fit tolerates them). The threshold is the lowest score at which at
most ``--fp-rate`` of those train rows (0.05%, half the goal) are flagged without being siblings by the hand
labels in bench/decontam_flag_labels.json (an unlabelled flag counts as false: label it and re-run).
bench/bench_decontam.py reports the odd items, the odd train rows, rewrite seed 1 and rewrite styles 2 and 3
(bench/rewrite_gsm8k_v2.py, bench/rewrite_gsm8k_v3.py), none of which is fitted here.
Needs scikit-learn (a bench-only dependency).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rewrite_gsm8k import rewrite  # noqa: E402
from curation.dedup.benchmarks import load_benchmark, shared_data_file  # noqa: E402
from curation.dedup.template_match import FEATURES, TemplateIndex  # noqa: E402

LABELS = Path(__file__).with_name("decontam_flag_labels.json")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fp-rate", type=float, default=0.0005,
                    help="false flags allowed on the calibration train rows (hand labels; unlabelled flags count as false)")
    ap.add_argument("--C", type=float, default=10.0, help="inverse L2 strength of the logistic regression")
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    items = load_benchmark("gsm8k_test").items
    train = [json.loads(x)["question"] for x in open(shared_data_file("gsm8k/train.jsonl"), encoding="utf-8")]
    rng = random.Random(0)
    rewrites = [rewrite(it.prompt, rng) for it in items]
    cal_items = list(range(0, len(items), 2))
    cal_train = [train[i] for i in range(0, len(train), 2)]
    idx = TemplateIndex([("gsm8k_test", it) for it in items])
    r, c, f = idx.features([rewrites[i] for i in cal_items])
    pos = f[c == np.asarray(cal_items)[r]]
    _, _, neg = idx.features(cal_train)
    lr = LogisticRegression(C=args.C, max_iter=5000).fit(np.concatenate([pos, neg]), np.r_[np.ones(len(pos)), np.zeros(len(neg))])
    w = np.round(lr.coef_[0], 2)
    pos_score = np.full(len(cal_items), -np.inf)
    np.maximum.at(pos_score, r[c == np.asarray(cal_items)[r]], pos @ w)  # the copied item's score (missing: -inf)
    labels = json.loads(LABELS.read_text())
    flags = sorted(((sc, labels.get(f"{2 * k}~{item}", "unlabelled")) for k, ((_, item), sc, _) in
                    idx.best(cal_train, tuple(w)).items()), reverse=True)
    false = [sc for sc, lab in flags if lab != "sibling"]
    allowed = int(args.fp_rate * len(cal_train))
    thr = float(np.ceil((false[allowed] + 1e-9) * 100) / 100)  # just above the first false flag past the budget
    print(f"features {FEATURES}")
    print(f"WEIGHTS = {tuple(float(x) for x in w)}\nTHRESHOLD = {thr}")
    print(f"calibration half: rewrites caught {np.mean(pos_score >= thr):.4f} of {len(cal_items)}, train rows flagged "
          f"{sum(sc >= thr for sc, _ in flags)} of {len(cal_train)}, {sum(sc >= thr for sc in false)} of them not siblings")


if __name__ == "__main__":
    main()
