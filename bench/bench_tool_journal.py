"""Overhead of the tool-loop turn journal (exactly-once turns on resume) vs no journal.

    python bench/bench_tool_journal.py [--rows 60] [--reps 3]

Both sides: the tool_agent over openai_compat (native tools) against the scripted tool server on
127.0.0.1 (tests/faults/scripted_tool_server.py), 3 turns per row (parallel calculator calls, a
kv_store call, the answer), real tools, GenerateStep in process. Ours: with a request cache, so every
finished turn is journalled (one small Parquet file per turn). Baseline: no cache, no journal. Best
of ``--reps`` alternating runs; a fresh cache directory each run (the journal is written, not read).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=60)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    from ground.record import new_sample
    from teachers.step import GenerateStep
    from tests.faults.scripted_tool_server import ScriptedToolServer, tool_call

    script = [{"tool_calls": [tool_call("a", "calculator", {"expression": "6*7"}), tool_call("b", "calculator", {"expression": "2+2"})]},
              {"tool_calls": [tool_call("c", "kv_store", {"op": "set", "key": "x", "value": "42"})]},
              {"content": "42 and 4."}]

    def rows():
        return [new_sample(stage="b", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": f"q{i}"}],
                           request_key=f"k{i}", teacher="api") for i in range(a.rows)]

    best = {"journal": float("inf"), "none": float("inf")}
    with ScriptedToolServer(script) as srv:
        cfg = dict(engine="tool_agent", name="api", model="m", sampling={"max_tokens": 32}, prices={},
                   options={"inner_engine": "openai_compat", "inner_options": {"base_url": srv.base_url},
                            "tools": ["calculator", "kv_store"]})
        for _ in range(a.reps):
            for name in ("journal", "none"):
                with tempfile.TemporaryDirectory() as d:
                    step = GenerateStep(cfg, cache_uri=str(Path(d) / "cache") if name == "journal" else None)
                    t0 = time.perf_counter()
                    out = step(rows())
                    best[name] = min(best[name], time.perf_counter() - t0)
                    assert all(r["status"] == "accepted" for r in out)
    turns = 3 * a.rows
    print(f"{a.rows} rows x 3 turns: journal {best['journal'] * 1e3:.0f} ms ({turns / best['journal']:.0f} turns/s), "
          f"no journal {best['none'] * 1e3:.0f} ms ({turns / best['none']:.0f} turns/s), "
          f"ratio {best['journal'] / best['none']:.2f}x time; per turn +{(best['journal'] - best['none']) / turns * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
