"""Held-out lift of context distillation on CPU (recipes/distill_arith.yaml): base vs SFT vs on-policy, 3 seeds.

    python bench/distill_arith_lift.py [--seeds 0 1 2] [--n-eval 40] [--onpolicy-steps 24] [--out /tmp/arith_lift]

Metric: math_answer accuracy on held-out two-digit additions (data/distill_arith/test.jsonl, first
``--n-eval``), greedy, the recipe's 12-token budget, prompt WITHOUT the system prompt (the student's
setting). The teacher row is the same model WITH the system prompt (the upper reference). Scoring goes
through ``students.eval.evaluate`` (the recipe's template and verifiers; ``drop_system_prompt`` picks
the prompt variant per column), so the numbers match a ``factory run`` eval table. Teacher
samples come from the recipe run (cached); each seed then trains SFT (verifier-accepted teacher
samples, system prompt dropped) and on-policy distillation (student samples scored by the
system-prompted teacher, per-token reverse KL) and is evaluated on the same prompts.
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


def eval_recipe(recipe, n_eval: int):
    """The recipe with eval.py's settings for this benchmark: the first ``n_eval`` held-out items, greedy, the
    teacher's token budget, no regression set. ``train.drop_system_prompt`` makes eval.py ask base and student
    without the system prompt and the teacher with it."""
    from factory.recipe import EvalConfig, SamplingConfig, SourceConfig

    ev = recipe.model_copy(deep=True)
    src = SourceConfig(path=str(ROOT / "data/distill_arith/test.jsonl"), fields={"prompt": "question", "reference": "answer", "id": "id"},
                       limit=n_eval)
    ev.eval = EvalConfig(source=src, sampling=SamplingConfig(max_tokens=recipe.teacher.sampling.max_tokens),
                         models=["base", "student", "teacher"], batch_size=40)
    return ev


def accuracy(ev, model: str, adapter: str | None = None) -> float:
    """math_answer accuracy of one eval column (base | student | teacher), through students/eval.py."""
    from students.eval import evaluate

    return evaluate(ev, adapter, models=[model], regression=False)["table"][model]["accuracy"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default=str(ROOT / "recipes/distill_arith.yaml"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--n-eval", type=int, default=40)
    ap.add_argument("--onpolicy-steps", type=int, default=24)
    ap.add_argument("--methods", nargs="+", default=["sft", "onpolicy"])
    ap.add_argument("--out", default="/tmp/arith_lift")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from factory.pipeline import run_recipe
    from factory.recipe import load_recipe
    from ground.record import from_table
    from factory.store import RunStore
    from students.train import train

    recipe = load_recipe(a.recipe)
    recipe.output.dir = str(Path(a.out) / "runs")
    t0 = time.time()
    res = run_recipe(a.recipe, skip_train=True, skip_eval=True, output_dir=recipe.output.dir)
    store = RunStore(recipe.output.dir, recipe.name, res.run_id)
    rows = from_table(store.read_parts("accepted")) + from_table(store.read_parts("rejects"))
    acc_rows = [r for r in rows if r["status"] == "accepted"]
    print(f"teacher samples: {len(rows)} rows, {len(acc_rows)} accepted ({time.time() - t0:.0f}s)", flush=True)
    held = [json.loads(x) for x in (ROOT / "data/distill_arith/test.jsonl").read_text().splitlines()[: a.n_eval]]
    ev = eval_recipe(recipe, a.n_eval)
    system = recipe.path(recipe.prompt.system).read_text().strip()
    (Path(a.out) / "teacher_system.txt").write_text(system)
    # partial results survive a crash (a shared machine kills Ray actors now and then): a re-run skips what is done
    part = Path(a.out) / "partial.json"
    done: dict = json.loads(part.read_text()) if part.exists() else {}

    def cached(key: str, fn):
        if key not in done:
            done[key] = fn()
            part.write_text(json.dumps(done, indent=2))
        return done[key]

    results: dict = {"metric": "math_answer accuracy, greedy, held-out, no system prompt", "n": len(held)}
    results["base"] = cached("base", lambda: accuracy(ev, "base"))
    results["teacher (with system prompt)"] = cached("teacher", lambda: accuracy(ev, "teacher"))
    print(f"base {results['base']:.3f}  teacher {results['teacher (with system prompt)']:.3f}", flush=True)
    for method in a.methods:
        accs = []
        for seed in a.seeds:
            r = recipe.model_copy(deep=True)
            upd = {"method": method, "seed": seed}
            if method == "onpolicy":
                upd.update(max_steps=a.onpolicy_steps, batch_size=4, learning_rate=5e-4,
                           onpolicy=r.train.onpolicy.model_copy(update={"teacher_system": str(Path(a.out) / "teacher_system.txt"),
                                                                        "max_new_tokens": recipe.teacher.sampling.max_tokens,
                                                                        "samples_per_prompt": 2, "temperature": 1.0}))
            r.train = r.train.model_copy(update=upd)
            t1 = time.time()

            def run(r=r, method=method, seed=seed):
                info = train(r, rows if method == "onpolicy" else acc_rows, str(Path(a.out) / f"{method}-seed{seed}"))
                return accuracy(ev, "student", info["adapter_dir"])

            acc = cached(f"{method}-seed{seed}", run)
            accs.append(acc)
            print(f"{method} seed {seed}: accuracy {acc:.3f} (train+eval {time.time() - t1:.0f}s)", flush=True)
        results[method] = {"per_seed": accs, "mean": statistics.mean(accs), "stdev": statistics.stdev(accs) if len(accs) > 1 else 0.0}
    print(json.dumps(results, indent=2))
    (Path(a.out) / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
