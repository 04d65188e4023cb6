"""What the repeated-id check (factory/source_ids.py) costs before a run, against one plain read of the same source.

    python bench/bench_source_ids.py --rows 200000            # the in-driver path (<= IN_DRIVER_MAX records)
    python bench/bench_source_ids.py --rows 1000000 --ray     # the Ray Data group-by path

Baseline: reading every record of every unit once in this process (what the check must at least do). Ours: the
check as ``factory run`` calls it. Prints both and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from factory.recipe import load_recipe  # noqa: E402
from factory.source_ids import check_unique_ids  # noqa: E402
from ground.source import plan_units, read_unit  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--shard-size", type=int, default=5000)
    ap.add_argument("--ray", action="store_true", help="force the Ray Data path")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "train.jsonl"
        with open(src, "w") as f:
            for i in range(a.rows):
                f.write(json.dumps({"id": f"row-{i:08d}", "question": f"What is {i % 97} + {i % 89}? Show the steps.", "answer": "0"}) + "\n")
        (Path(d) / "r.yaml").write_text(f"name: ids\nsource: {{path: train.jsonl, fields: {{id: id}}}}\nprompt: {{template: t.txt}}\n"
                                        f"teacher: {{name: t, engine: hf_local, model: smollm2-135m-instruct}}\n"
                                        f"output: {{dir: {d}/runs, shard_size: {a.shard_size}}}\n")
        (Path(d) / "t.txt").write_text("{prompt}")
        rec = load_recipe(str(Path(d) / "r.yaml"))
        units = plan_units(rec.source, rec.base_dir, a.shard_size)
        t0 = time.perf_counter()
        n = sum(len(read_unit(u)) for u in units)
        base = time.perf_counter() - t0
        ray = None
        if a.ray:
            from ground.raycluster import init_ray

            os.environ.setdefault("FACTORY_DASHBOARD", "0")
            ray = init_ray()
        t0 = time.perf_counter()
        check_unique_ids(rec, units, ray=ray)
        ours = time.perf_counter() - t0
    path = "ray group-by" if a.ray else "in driver"
    print(f"{n:,} records, {len(units)} units: plain read {base:.2f} s, id check ({path}) {ours:.2f} s, ratio {ours / base:.2f}")


if __name__ == "__main__":
    main()
