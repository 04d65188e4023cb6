"""Per-stage cost and GPU-seconds accounting (factory.stats.cost_breakdown), from rows written by
the real apply_result / VerifyStep bookkeeping."""

from __future__ import annotations

import json
import textwrap

import pytest

from factory.recipe import parse_recipe
from ground.record import new_sample
from teachers.step import apply_result
from factory.stats import cost_breakdown
from teachers.base import GenResult

RECIPE = textwrap.dedent("""
    name: cost_mix
    source: {path: x.jsonl}
    prompt: {template: t.txt}
    teacher:
      name: big
      engine: vllm
      model: some/model
      replicas: 2
      num_gpus: 2
      prices: {gpu_hour: 3.6}
    teachers:
      - name: api
        engine: openai_compat
        model: m
        prices: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    route: {field: category, map: {hard: big, easy: api}}
""")


def make_row(teacher: str, i: int) -> dict:
    r = new_sample(stage="g", prompt_id=f"{teacher}{i}", sample_index=0, messages=[{"role": "user", "content": "q"}])
    r["teacher"] = teacher
    return r


def recipe_in(tmp_path, text: str):
    (tmp_path / "x.jsonl").write_text('{"prompt": "q", "category": "hard"}\n')
    (tmp_path / "t.txt").write_text("{prompt}")
    return parse_recipe(text, str(tmp_path / "cost.yaml"))


def test_gpu_seconds_and_costs_per_teacher_and_verifier(tmp_path):
    recipe = recipe_in(tmp_path, RECIPE)
    rows = []
    for i in range(3):  # vllm rows: 10 s of engine time each on 2 GPUs at $3.6/GPU-hour = $0.02 each
        rows.append(apply_result(make_row("big", i), GenResult(text="a", tokens_in=5, tokens_out=7, seconds=10.0),
                                 {"gpu_hour": 3.6}, num_gpus=2))
    for i in range(2):  # API rows: 1M in at $1 + 0.5M out at $2 = $2 each; no GPU
        rows.append(apply_result(make_row("api", i), GenResult(text="b", tokens_in=1_000_000, tokens_out=500_000, seconds=1.5),
                                 {"input_per_mtok": 1.0, "output_per_mtok": 2.0}))
    cached = apply_result(make_row("api", 9), GenResult(text="b", tokens_in=10, tokens_out=10, seconds=2.0), {}, cache_hit=True)
    rows.append(cached)
    for r in rows[:2]:  # a judge that charged $0.5 on two rows (VerifyStep adds verdict costs to the row)
        r["verdicts"] = json.dumps({"judge": {"score": 1.0, "reason": "ok", "cost": 0.5}})
        r["cost"] += 0.5
    rows[1]["status"] = "rejected"

    assert [round(r["cost"], 6) for r in rows] == [0.52, 0.52, 0.02, 2.0, 2.0, 0.0]
    out = cost_breakdown(rows, recipe, stage_wall_s=20.0)
    big, api = out["generate"]["by_teacher"]["big"], out["generate"]["by_teacher"]["api"]
    assert big == {"rows": 3, "calls": 3, "tokens_in": 15, "tokens_out": 21, "busy_seconds": 30.0,
                   "gpu_seconds": 60.0, "gpu_cost": 0.06, "api_cost": 0.0, "cache_cost": 0.0}
    assert api == {"rows": 3, "calls": 2, "tokens_in": 2_000_010, "tokens_out": 1_000_010, "busy_seconds": 3.0,
                   "gpu_seconds": 0.0, "gpu_cost": 0.0, "api_cost": 4.0, "cache_cost": 0.0}
    assert out["verify"] == {"judge": 1.0}
    # 2 replicas x 2 GPUs held for the 20 s stage = 80 GPU-seconds reserved, 60 busy
    assert out["gpu"] == {"busy_gpu_seconds": 60.0, "reserved_gpu_seconds": 80.0, "utilisation": 0.75}
    assert out["total"] == pytest.approx(sum(r["cost"] for r in rows)) == pytest.approx(5.06)
    assert out["per_accepted"] == pytest.approx(5.06 / 5)


def test_no_gpu_teachers_have_no_reservation(tmp_path):
    recipe = recipe_in(tmp_path, "name: x\nsource: {path: x.jsonl}\nprompt: {template: t.txt}\nteacher: {model: smollm2-135m-instruct}\n")
    rows = [apply_result(make_row("teacher", 0), GenResult(text="a", tokens_in=1, tokens_out=1, seconds=0.5), {})]
    out = cost_breakdown(rows, recipe, stage_wall_s=3.0)
    assert out["gpu"] == {"busy_gpu_seconds": 0.0, "reserved_gpu_seconds": 0.0, "utilisation": None}
    assert out["generate"]["by_teacher"]["teacher"]["busy_seconds"] == 0.5 and out["total"] == 0.0


def test_the_progress_line_projects_the_cost_of_the_whole_pass():
    from factory.executor import progress_line

    assert progress_line("", 250, 1000, 5, 20, 50.0, 0.5) == (
        "generate+verify: 250/1000 rows, 5/20 chunks written, 5.00 rows/s, eta 2m30s, cost $0.5000, projected $2.0000")
    assert progress_line("wave 1 (samples 2..3): ", 1000, 1000, 20, 20, 100.0, 2.0) == (
        "wave 1 (samples 2..3): generate+verify: 1000/1000 rows, 20/20 chunks written, 10.00 rows/s, cost $2.0000")
    assert progress_line("", 10, 40, 1, 4, 5.0, 0.0) == "generate+verify: 10/40 rows, 1/4 chunks written, 2.00 rows/s, eta 15s"


def test_a_cache_hit_keeps_the_price_of_its_answer_and_is_counted_as_reused_not_paid(tmp_path):
    """A row answered from the request cache was paid when its answer was made (an earlier, maybe killed, invocation
    of the run, or another run sharing the cache): it keeps that price, so the rows add up to the corpus' cost; the
    cost breakdown counts it as reused (cache_cost), not as a call, and paid_of leaves it out (was: cost 0, so a
    resumed run's cost lost what its first invocation paid)."""
    from factory.stats import paid_of, summary

    recipe = recipe_in(tmp_path, RECIPE)
    api_prices = {"input_per_mtok": 1.0, "output_per_mtok": 2.0}
    answer = GenResult(text="b", tokens_in=1_000_000, tokens_out=500_000, seconds=1.5, extra={"retry_tokens": [0, 250_000]})
    made = apply_result(make_row("api", 0), answer, api_prices)
    reused = apply_result(make_row("api", 1), GenResult(**answer.to_dict()), api_prices, cache_hit=True)
    # $1 in + $1 out + $0.5 for the refused answer before it (retry_on_finish_reasons): the same price either way
    assert made["cost"] == reused["cost"] == pytest.approx(2.5)
    assert (made["gen_seconds"], reused["gen_seconds"], reused["cache_hit"]) == (1.5, 0.0, True)
    # a self-hosted teacher's cached answer: its GPU share from the stored engine seconds, 10 s x 2 GPUs at $3.6/GPU-hour
    gpu = apply_result(make_row("big", 0), GenResult(text="a", seconds=10.0), {"gpu_hour": 3.6}, cache_hit=True, num_gpus=2)
    assert gpu["cost"] == pytest.approx(0.02)
    # a stored figure (a vllm processor row's whole price, an API's own cost) is the price: no GPU share on top
    fig = apply_result(make_row("big", 1), GenResult(text="a", seconds=10.0, cost=0.02), {"gpu_hour": 3.6}, cache_hit=True, num_gpus=2)
    assert fig["cost"] == pytest.approx(0.02)
    reused["verdicts"] = json.dumps({"judge": {"score": 1.0, "reason": "ok", "cost": 0.5}})  # judged again in this run
    reused["cost"] += 0.5
    rows = [made, reused, gpu, fig]
    assert [paid_of(r) for r in rows] == pytest.approx([2.5, 0.5, 0.0, 0.0])
    out = cost_breakdown(rows, recipe)
    api, big = out["generate"]["by_teacher"]["api"], out["generate"]["by_teacher"]["big"]
    assert (api["calls"], api["api_cost"], api["cache_cost"], api["busy_seconds"]) == (1, 2.5, 2.5, 1.5)
    assert (big["calls"], big["gpu_cost"], big["cache_cost"], big["gpu_seconds"]) == (0, 0.0, 0.04, 0.0)
    assert out["total"] == pytest.approx(sum(r["cost"] for r in rows)) == pytest.approx(5.54)
    s = summary(rows)
    assert s["cost"] == pytest.approx(5.54) and s["cache_cost"] == pytest.approx(2.54)
    assert (s["cache_hits"], s["cache_misses"]) == (3, 1)


def test_cache_udf_prices_a_reused_answer_with_its_routed_teacher(tmp_path):
    """The streaming job's cache stage (CacheUDF, run here in process on real Parquet) prices each reused answer at
    the prices of the teacher the row is routed to (was: no prices, every reused answer cost 0)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from factory.executor import CacheUDF, generation_cfgs
    from ground.record import to_table

    recipe = recipe_in(tmp_path, RECIPE)
    rows = [make_row("api", 0), make_row("big", 1)]
    for i, r in enumerate(rows):
        r.update(chunk=0, request_key=f"k{i}")
    hits = tmp_path / "hits" / "chunk-000000"
    hits.mkdir(parents=True)
    answers = [GenResult(text="b", tokens_in=1_000_000, tokens_out=0), GenResult(text="a", seconds=10.0)]
    pq.write_table(pa.table({"key": ["k0", "k1"], "result": [json.dumps(a.to_dict()) for a in answers]}), hits / "part-0.parquet")
    cfgs, used = generation_cfgs(recipe)
    prices = {n: (cfgs[n].get("prices") or {}, float(cfgs[n].get("num_gpus") or 0.0)) for n in [used[0], *cfgs]}
    out = CacheUDF(str(tmp_path / "hits"), prices)(to_table(rows)).to_pylist()
    assert [(r["cache_hit"], round(r["cost"], 6), r["gen_seconds"]) for r in out] == [(True, 1.0, 0.0), (True, 0.02, 0.0)]


def test_the_chunk_summary_counts_what_the_invocation_paid(tmp_path):
    """write_chunks reports per chunk what its rows paid in this invocation: reused answers' prices are left out
    (they are in the corpus' cost, not in the bill of this invocation)."""
    from factory.chunk_writer import write_chunks
    from ground.record import to_table

    made = apply_result(make_row("api", 0), GenResult(text="b", tokens_in=1_000_000), {"input_per_mtok": 1.0})
    reused = apply_result(make_row("api", 1), GenResult(text="b", tokens_in=3_000_000), {"input_per_mtok": 1.0}, cache_hit=True)
    for r in (made, reused):
        r["chunk"] = 0
    out = write_chunks(to_table([made, reused]), str(tmp_path / "run"), {0: 2}).to_pylist()
    assert out == [{"chunk": 0, "rows": 2, "cache_hits": 1, "teacher_calls": 1, "stopped": 0, "paid": 1.0, "busy": "{}"}]
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "run/chunks/chunk-000000.parquet").column("cost").to_pylist() == [1.0, 3.0]


def test_a_failed_teacher_call_is_a_call_and_a_miss_in_every_count(tmp_path):
    """A call that failed (HTTP 503 after retries: no completion, no timing) is counted alike by the summary's
    cache_misses, the cost breakdown's calls and the chunk summary's teacher_calls (were 1, 1 and 2: only the
    writer counted it), and the report's count from the rows agrees."""
    from factory.chunk_writer import write_chunks
    from factory.report_rows import RowStats
    from factory.stats import summary
    from ground.record import reject, to_table

    recipe = recipe_in(tmp_path, RECIPE)
    ok = apply_result(make_row("api", 0), GenResult(text="b", tokens_in=10), {"input_per_mtok": 1.0})
    failed = apply_result(make_row("api", 1), GenResult(finish_reason="error", error="HTTP 503 after 4 attempts"), {})
    hit = apply_result(make_row("api", 2), GenResult(text="b", tokens_in=10), {}, cache_hit=True)
    src = reject(make_row("api", 3), "source", "bad JSON: line 4")
    rows = [ok, failed, hit, src]
    for r in rows:
        r["chunk"] = 0
    s = summary(rows)
    calls = cost_breakdown(rows, recipe)["generate"]["by_teacher"]["api"]["calls"]
    written = write_chunks(to_table(rows), str(tmp_path / "run"), {0: 4}).to_pylist()[0]["teacher_calls"]
    assert (s["cache_hits"], s["cache_misses"], calls, written) == (1, 2, 2, 2)
    agg = RowStats().add(rows)
    assert (agg.hits, agg.misses) == (1, 2)


def test_gpu_utilisation_of_a_resumed_run_sets_this_invocations_calls_against_its_reservation(tmp_path):
    """Resumed: the rows hold 30 s of 'big' engine time, 25 s of it from the killed first invocation; this one
    called the engine for 5 s in a 10 s streaming job on 2 replicas x 2 GPUs. Utilisation is 5x2 / 40 = 25% (was
    the rows' 60 GPU-s over this invocation's 40 reserved: 150%)."""
    from factory.chunk_writer import write_chunks
    from ground.record import to_table

    recipe = recipe_in(tmp_path, RECIPE)
    rows = [apply_result(make_row("big", i), GenResult(text="a", seconds=s), {"gpu_hour": 3.6}, num_gpus=2)
            for i, s in enumerate([10.0, 15.0, 5.0])]
    for r in rows:
        r["chunk"] = 0
    now = write_chunks(to_table(rows[2:]), str(tmp_path / "run"), {0: 1}).to_pylist()[0]["busy"]
    assert json.loads(now) == {"big": 5.0}
    out = cost_breakdown(rows, recipe, stage_wall_s=10.0, busy_now=json.loads(now))
    assert out["gpu"] == {"busy_gpu_seconds": 10.0, "reserved_gpu_seconds": 40.0, "utilisation": 0.25}
    assert out["generate"]["by_teacher"]["big"]["gpu_seconds"] == 60.0  # the corpus' GPU time is still the rows'
