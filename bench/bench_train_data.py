"""Driver memory and wall time of the train stage: rows read by Ray Data from the run's Parquet (this tree)
vs the former path, the driver reading ``accepted/`` into a list and pickling the examples into the loop
config (a baseline tree, by default commit 08c8586 exported with ``git archive``), in the same run.

    python bench/bench_train_data.py [--rows 2000 20000] [--baseline-ref 08c8586] [--address HOST:PORT]

Each measurement is a fresh driver process (its own local Ray) that writes N short accepted rows to a run
store, then times ``train_if_needed`` (SFT, LoRA r=4, one optimizer step, batch 2, max_seq_len 64: example
building dominates) while a thread samples the driver's RSS every 20 ms. Printed: peak driver RSS (and its
growth over the RSS before the train stage), wall time, and the ratios old/new.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RECIPE = """name: bench_train_data
source: {{path: {src}, fields: {{prompt: question, reference: answer}}}}
prompt: {{template: {tmpl}}}
teacher: {{engine: hf_local, model: smollm2-135m-instruct}}
train:
  method: sft
  student: smollm2-135m-instruct
  max_steps: 1
  batch_size: 2
  max_seq_len: 64
  cpus_per_worker: 1
  lora: {{r: 4, alpha: 8, dropout: 0.0}}
"""


def _measure(tree: str, n: int, tmp: str) -> dict:
    """Runs in the child (``sys.path[0]`` = the tree under test)."""
    import psutil

    from factory.recipe import parse_recipe
    from factory.store import RunStore
    from ground.raycluster import init_ray
    from ground.record import from_table, new_sample, to_table
    from students.train import train_if_needed

    if os.environ.get("RAY_ADDRESS"):  # a shared cluster (--address): its workers import this driver's tree
        import ray

        ray.init(address=os.environ["RAY_ADDRESS"], runtime_env={"env_vars": {"PYTHONPATH": tree, "OMP_WAIT_POLICY": "PASSIVE"}})
    init_ray()
    text = RECIPE.format(src=Path(tree) / "data/gsm8k_sample/train.jsonl", tmpl=Path(tree) / "recipes/prompts/gsm8k.txt")
    (Path(tmp) / "r.yaml").write_text(text)
    recipe = parse_recipe(text, str(Path(tmp) / "r.yaml"))
    store = RunStore(str(Path(tmp) / "runs"), "bench_train_data", f"n{n}")
    rows = [new_sample(stage="t", prompt_id=f"p{i:06d}", sample_index=0,
                       messages=[{"role": "user", "content": f"What is {i} + {i % 7}?"}], completion=f"#### {i + i % 7}")
            for i in range(n)]
    store.write_parts("accepted", to_table(rows))
    del rows
    proc, peak, stop = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.02)

    before = proc.memory_info().rss
    threading.Thread(target=sample, daemon=True).start()
    t0 = time.time()
    if "accepted_rows" in inspect.signature(train_if_needed).parameters:  # the former list path
        info = train_if_needed(recipe, store, from_table(store.read_parts("accepted")))
    else:
        info = train_if_needed(recipe, store)
    wall = time.time() - t0
    stop.set()
    assert info["status"] == "done" and info["train_rows"] + info["val_rows"] == n, info
    return {"rss_before_mib": before / 2**20, "peak_rss_mib": peak[0] / 2**20, "growth_mib": (peak[0] - before) / 2**20, "wall_s": wall}


def _child(tree: str, n: int, address: str | None) -> dict:
    env = {**{k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}, "PYTHONPATH": tree, "FACTORY_DASHBOARD": "0",
           **({"RAY_ADDRESS": address} if address else {})}
    with tempfile.TemporaryDirectory(prefix="bench-train-data-") as tmp:
        code = (f"import sys, json; sys.path.insert(0, {tree!r}); sys.path.insert(0, {str(ROOT / 'bench')!r});"
                f"from bench_train_data import _measure; print('RESULT', json.dumps(_measure({tree!r}, {n}, {tmp!r})))")
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp, capture_output=True, text=True, timeout=1800)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"bench child ({tree}, {n} rows) failed:\n{out.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--baseline-ref", default="08c8586", help="git commit of the former list path")
    ap.add_argument("--baseline-tree", help="a checkout of the former list path (instead of --baseline-ref)")
    ap.add_argument("--address", help="a running Ray cluster both drivers use (default: each starts its own local Ray)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as base:
        if a.baseline_tree:
            base = a.baseline_tree
        else:
            subprocess.run(f"git -C {ROOT} archive {a.baseline_ref} | tar -x -C {base}", shell=True, check=True)
        for n in a.rows:
            old, new = _child(base, n, a.address), _child(str(ROOT), n, a.address)
            print(f"{n} rows: driver peak RSS old {old['peak_rss_mib']:.0f} MiB (+{old['growth_mib']:.0f}), "
                  f"new {new['peak_rss_mib']:.0f} MiB (+{new['growth_mib']:.0f}); growth ratio old/new "
                  f"{old['growth_mib'] / max(new['growth_mib'], 1):.1f}x; wall old {old['wall_s']:.1f} s, new {new['wall_s']:.1f} s "
                  f"(old/new {old['wall_s'] / new['wall_s']:.2f}x)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
