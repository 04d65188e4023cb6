"""Train/validation split's prompt ids: per-block distinct ids joined in the driver (``students.traindata.unique_prompts``,
this tree) vs Ray Data's ``ds.count()`` + ``ds.unique("prompt_id")`` (the former path: a hash shuffle), in one local Ray.

    python bench/bench_split.py [--rows 24 2000 200000] [--samples 2] [--repeat 3]

Rows are written as Parquet (``--samples`` rows per prompt) and read back with ``open_rows`` as training reads a run's
``accepted/``; each path runs ``--repeat`` times on the same dataset, best time kept. Printed: seconds each, the ratio,
and whether both gave the same sorted ids.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def former(ds) -> list[str]:
    return sorted(str(p) for p in ds.unique("prompt_id")) if ds.count() else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[24, 2000, 200_000])
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    import pyarrow as pa
    import pyarrow.parquet as pq
    import ray

    from ground.record import SCHEMA
    from students.traindata import open_rows, unique_prompts

    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    print(f"{'rows':>8} {'prompts':>8} {'ours s':>8} {'former s':>9} {'former/ours':>12} same")
    for n in a.rows:
        with tempfile.TemporaryDirectory() as d:
            k = max(1, n // a.samples)
            cols = {"prompt_id": [f"p{i % k:07d}" for i in range(n)], "id": [f"r{i:08d}" for i in range(n)],
                    "completion": ["#### 1"] * n, "status": ["accepted"] * n}
            tbl = pa.table({f.name: cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in SCHEMA}, schema=SCHEMA)
            for j in range(4):  # a run writes several part files
                pq.write_table(tbl.slice(j * n // 4, n // 4 if j < 3 else n - 3 * (n // 4)), f"{d}/part-{j}.parquet")
            ds = open_rows(d)
            best = {}
            for name, fn in (("ours", unique_prompts), ("former", former)) * a.repeat:
                t = time.perf_counter()
                got = fn(ds)
                best[name] = min(best.get(name, 1e9), time.perf_counter() - t)
                best[name + "_ids"] = got
            same = best["ours_ids"] == best["former_ids"]
            print(f"{n:>8} {k:>8} {best['ours']:>8.2f} {best['former']:>9.2f} {best['former'] / best['ours']:>11.1f}x {same}")


if __name__ == "__main__":
    main()
