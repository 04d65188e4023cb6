"""Closed loop vs random-prompt control (recipes/loop.yaml): held-out accuracy after round 2, over seeds.

    python bench/bench_loop.py [--seeds 0 1 2] [--dev-size 16] [--per-round 16] [--strategy weight_categories]
                               [--out /tmp/bench_loop]

Each seed runs ``factory.loop.run_loop`` (2 rounds, control on): round 1 trains on ``per_round`` random pool
prompts (shared by both arms); round 2 adds ``per_round`` more, chosen by the student's dev failures (loop) or at
random (control), retrains from base on the accumulated prompts and scores the test split (eval.source). The
claim is loop - control at round 2; round 1 is printed for reference. A re-run resumes finished rounds.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def stats(xs: list[float]) -> dict:
    return {"per_seed": xs, "mean": round(statistics.mean(xs), 4), "std": round(statistics.stdev(xs), 4) if len(xs) > 1 else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default=str(ROOT / "recipes/loop.yaml"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--dev-size", type=int, default=16)
    ap.add_argument("--per-round", type=int, default=16)
    ap.add_argument("--strategy", default="weight_categories", choices=["nearest", "weight_categories"])
    ap.add_argument("--out", default="/tmp/bench_loop")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from factory.loop import run_loop

    t0, per = time.time(), {}
    for seed in a.seeds:
        t1 = time.time()
        st = run_loop(a.recipe, a.out, {"seed": seed, "rounds": 2, "control": True, "dev_eval": "choosing",
                                        "dev_size": a.dev_size, "per_round": a.per_round, "strategy": a.strategy})
        acc = {(r["arm"], r["round"]): r for r in st["rounds"]}
        per[seed] = {"round1": acc[("loop", 1)]["test_accuracy"], "loop_r2": acc[("loop", 2)]["test_accuracy"],
                     "control_r2": acc[("control", 2)]["test_accuracy"],
                     "rows": {k: acc[k]["rows"] for k in [("loop", 1), ("loop", 2), ("control", 2)]},
                     "loop_new_by_category": acc[("loop", 2)].get("new_by_category"),
                     "control_new_by_category": acc[("control", 2)].get("new_by_category"),
                     "dev_fail_by_category_r1": acc[("loop", 1)].get("dev_fail_by_category"), "seconds": round(time.time() - t1)}
        per[seed]["rows"] = {f"{k[0]}-r{k[1]}": v for k, v in per[seed]["rows"].items()}
        print(f"seed {seed}: round1 {per[seed]['round1']:.3f}  loop r2 {per[seed]['loop_r2']:.3f}  control r2 "
              f"{per[seed]['control_r2']:.3f}  ({per[seed]['seconds']}s)", flush=True)
    res = {"recipe": a.recipe, "strategy": a.strategy, "dev_size": a.dev_size, "per_round": a.per_round,
           "round1": stats([p["round1"] for p in per.values()]), "loop_r2": stats([p["loop_r2"] for p in per.values()]),
           "control_r2": stats([p["control_r2"] for p in per.values()]),
           "loop_minus_control": stats([p["loop_r2"] - p["control_r2"] for p in per.values()]),
           "per_seed": per, "wall_s": round(time.time() - t0)}
    print(json.dumps(res, indent=2))
    print(f"round 2 held-out accuracy: loop {res['loop_r2']['mean']:.3f} ± {res['loop_r2']['std']:.3f} vs control "
          f"{res['control_r2']['mean']:.3f} ± {res['control_r2']['std']:.3f} (loop - control {res['loop_minus_control']['mean']:+.3f}); "
          f"round 1 {res['round1']['mean']:.3f} ± {res['round1']['std']:.3f}; wall {res['wall_s']}s")
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "results.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
