"""Soft-label KD with context distillation on CPU (recipes/distill_arith_kd.yaml): held-out KL before vs after.

    python bench/bench_kd_context.py [--n-eval 40] [--out /tmp/kd_context]

The recipe's teacher (the bundled tiny model WITH a few-shot system prompt) samples at temperature
0.7 and stores its raw top-5 per token; ``method: kd`` trains the student (the same model WITHOUT the
system prompt) on them. Metric: mean per-token KL(teacher top-5 + tail || student) on the completions
of ``--n-eval`` held-out prompts (data/distill_arith/test.jsonl), the student asked without the
system prompt (students/kd_eval.py). Baseline: the base student; ours: base + the KD adapter. Prints
both and the ratio (lower is better).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default=str(ROOT / "recipes/distill_arith_kd.yaml"))
    ap.add_argument("--n-eval", type=int, default=40)
    ap.add_argument("--out", default="/tmp/kd_context")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from factory.pipeline import run_recipe
    from factory.recipe import load_recipe
    from students.kd_eval import heldout_rows, kl_before_after

    recipe = load_recipe(a.recipe)
    t0 = time.time()
    res = run_recipe(a.recipe, skip_eval=True, output_dir=str(Path(a.out) / "runs"))
    info = json.loads((Path(res.run_dir) / "manifest.json").read_text())["train"]
    print(f"recipe run (teacher samples + kd, {info['train_rows']} train rows): {time.time() - t0:.0f}s", flush=True)
    t1 = time.time()
    rows = heldout_rows(recipe, str(ROOT / "data/distill_arith/test.jsonl"), a.n_eval)
    kl = kl_before_after(recipe, rows, info["adapter_dir"])
    print(f"held-out KL to the teacher's top-5 ({kl['rows']} prompts, {kl['tokens']} teacher tokens, {time.time() - t1:.0f}s): "
          f"base student {kl['base_kl']:.4f}, KD student {kl['student_kl']:.4f}, ratio {kl['ratio']:.3f}", flush=True)
    (Path(a.out) / "results.json").write_text(json.dumps({**kl, "run_dir": res.run_dir}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
