"""Recipe validation cost: the schema assembled from the plug-in registries vs a baseline tree.

    python bench/bench_recipe_validate.py --baseline /work/main      # ours (this tree) vs that tree
    python bench/bench_recipe_validate.py --repeat 10 --rounds 5

Each tree runs in its own fresh interpreter (PYTHONPATH = the tree): the time to import
``factory.recipe`` and validate the first shipped recipe (what ``factory validate`` pays once), and
the mean time per recipe over every shipped recipe (recipes/*.yaml of this tree), ``--repeat`` times
(the assembled model is cached per set of plug-in names), best of ``--rounds`` alternating runs. Prints both, the ratio, and checks both trees
give the same verdicts (no errors) on every recipe.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from factory.recipe import recipe_errors
files = sorted(str(p) for p in Path(sys.argv[1]).glob("*.yaml"))
first = [str(e) for e in recipe_errors(files[0])]
cold = time.perf_counter() - t0
t1 = time.perf_counter()
errs = {}
for _ in range(int(sys.argv[2])):
    for f in files:
        errs[f] = [str(e) for e in recipe_errors(f)]
warm = (time.perf_counter() - t1) / (int(sys.argv[2]) * len(files))
print(json.dumps({"cold_s": cold, "warm_ms": warm * 1000, "errors": errs, "first": first}))
"""


def measure(tree: Path, recipes: Path, repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    p = subprocess.run([sys.executable, "-c", PROBE, str(recipes), str(repeat)], cwd=tree, env=env,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit(f"{tree}: {p.stderr.strip().splitlines()[-1]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="/work/main", help="the tree to compare with (before the change)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3, help="alternate the two trees this often; best of each")
    a = ap.parse_args()
    recipes = ROOT / "recipes"
    runs: dict[str, list[dict]] = {"ours": [], "base": []}
    for _ in range(a.rounds):  # alternating, so a busy machine slows both alike
        runs["ours"].append(measure(ROOT, recipes, a.repeat))
        runs["base"].append(measure(Path(a.baseline), recipes, a.repeat))
    ours, base = ({**r[0], "cold_s": min(x["cold_s"] for x in r), "warm_ms": min(x["warm_ms"] for x in r)}
                  for r in (runs["ours"], runs["base"]))
    same = all(ours["errors"][f] == base["errors"][f] for f in ours["errors"])
    print(f"{len(ours['errors'])} recipes, repeat {a.repeat}, best of {a.rounds} rounds; same verdicts: {same}; "
          f"errors ours {sum(map(len, ours['errors'].values()))}, baseline {sum(map(len, base['errors'].values()))}")
    print(f"import + first recipe: ours {ours['cold_s']:.2f} s, baseline {base['cold_s']:.2f} s, "
          f"ratio {ours['cold_s'] / base['cold_s']:.2f}")
    print(f"per recipe, warm:      ours {ours['warm_ms']:.1f} ms, baseline {base['warm_ms']:.1f} ms, "
          f"ratio {ours['warm_ms'] / base['warm_ms']:.2f}")


if __name__ == "__main__":
    main()
