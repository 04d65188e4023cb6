"""Per-stage seconds and rows/s (factory.pipeline.add_stage_times) of a run and of a resumed one."""

from __future__ import annotations

from factory.pipeline import add_stage_times
from factory.stats import stage_stats
from ground.record import new_sample, reject

STAGES = ["source", "generate", "verify:math_answer", "pass_rate", "dedup_exact"]


def funnel() -> dict:
    rows = [new_sample(stage="g", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": "q"}]) for i in range(100)]
    for r in rows[:10]:
        reject(r, "verify:math_answer", "wrong answer: got 1")
    for r in rows[10:15]:
        reject(r, "pass_rate", "pass rate 0.1 below 0.2")
    return stage_stats(rows, STAGES)


def test_a_fresh_run_rates_every_stage_on_its_own_time():
    st = funnel()
    add_stage_times(st, 10.0, {"dedup_exact": 2.0}, stream_rows=100)
    assert [(s, v["seconds"], v["rows_per_s"], v.get("streamed")) for s, v in st.items()] == [
        ("source", 10.0, 10.0, True), ("generate", 10.0, 10.0, True), ("verify:math_answer", 10.0, 10.0, True),
        ("pass_rate", None, None, None), ("dedup_exact", 2.0, 42.5, None)]


def test_a_resumed_run_claims_no_rate_for_rows_an_earlier_invocation_processed():
    """Resumed with 10 of 100 rows left to generate (1 s) and the dedup step done before (its marker read): was 100
    rows/s for the streamed stages (every row of the run over the time of 10) and ~85000 rows/s for dedup, and
    pass_rate showed the streaming job's time marked streamed."""
    st = funnel()
    add_stage_times(st, 1.0, {"dedup_exact": None}, stream_rows=10)
    assert [(s, v["seconds"], v["rows_per_s"], v.get("streamed")) for s, v in st.items()] == [
        ("source", 1.0, None, True), ("generate", 1.0, None, True), ("verify:math_answer", 1.0, None, True),
        ("pass_rate", None, None, None), ("dedup_exact", None, None, None)]
