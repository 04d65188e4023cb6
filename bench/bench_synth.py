"""Prompt synthesis on CPU with the bundled tiny model: the funnel, the self-consistency agreement and the quality
of the self-consistency answer keys, and wall time.

    python bench/bench_synth.py                       # runs recipes/synth_arith.yaml fresh in a temp dir
    python bench/bench_synth.py --run-dir RUN         # the figures of a finished run

Key quality is measured on the new prompts that can be checked (one ``A + B`` and no ``=`` in the prompt: the
true answer is A + B): ours = keys of prompts kept (agreement >= min_agreement), baseline = the majority key of
every prompt that got one (no agreement threshold). Printed: both accuracies and their ratio.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
_SUM = re.compile(r"(\d+)\s*\+\s*(\d+)")


def _rows(run: Path, sub: str) -> list[dict]:
    return [r for f in sorted((run / sub).glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def truth(prompt: str | None) -> str | None:
    """A + B for a prompt with exactly one sum and no '=', else None (not checkable)."""
    if not prompt or "=" in prompt or len(_SUM.findall(prompt)) != 1:
        return None
    a, b = _SUM.search(prompt).groups()
    return str(int(a) + int(b))


def key_accuracy(rows: list[dict]) -> tuple[int, int]:
    checked = [(r["reference"], truth(r["prompt"])) for r in rows if r["reference"] is not None and truth(r["prompt"])]
    return sum(1 for k, t in checked if k == t), len(checked)


def figures(run: Path) -> dict:
    man = json.loads((run / "manifest.json").read_text())
    syn = man["synthesis"]
    scored = _rows(run, "synth/scored")
    kept = [r for r in scored if r["status"] == "accepted"]
    ours, base = key_accuracy(kept), key_accuracy(scored)
    return {"seeds": syn["seeds"], "parsed": syn["candidates"], "rejects": syn["rejects"], "kept": syn["kept"],
            "agreement": syn["agreement"], "synth_seconds": man["timings"].get("synthesize"),
            "total_seconds": round(sum(v for v in man["timings"].values() if isinstance(v, (int, float))), 1),
            "teacher_calls": {"write": syn["synth_teacher_calls"], "self_consistency": syn["sc_teacher_calls"],
                              "generation": man["generation"]["teacher_calls"],
                              "generation_cache_hits": man["generation"]["cache_hits_prefilled"]},
            "accepted_rows": man["counts"].get("accepted"), "synthesized_accepted": man["counts"].get("synthesized_accepted"),
            "key_accuracy_kept": ours, "key_accuracy_all_majority": base}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", help="a finished run of recipes/synth_arith.yaml (default: run it now)")
    a = p.parse_args(argv)
    if a.run_dir:
        run = Path(a.run_dir)
    else:
        from factory.pipeline import run_recipe

        t0 = time.time()
        res = run_recipe(str(ROOT / "recipes" / "synth_arith.yaml"), fresh=True, output_dir=tempfile.mkdtemp(prefix="bench_synth_"))
        run = Path(res.run_dir)
        print(f"run {run} in {time.time() - t0:.1f}s")
    f = figures(run)
    print(json.dumps(f, indent=1))
    (ok, n), (bok, bn) = f["key_accuracy_kept"], f["key_accuracy_all_majority"]
    if n and bn and bok:
        print(f"self-consistency key accuracy: kept {ok}/{n} = {ok / n:.3f} vs every majority key {bok}/{bn} = {bok / bn:.3f}"
              f" (ratio {ok / n / (bok / bn):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
