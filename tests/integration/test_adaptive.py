"""Adaptive sampling (teacher.until), the pass-rate columns and filter, and the run budget, on a real local Ray
against the scripted teacher (tests/faults/fault_server.py ``answer="graded"``, a fake named as such: a prompt
tagged ``[pass at K]`` is answered right at sample K only, ``[never]`` never)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from factory.pipeline import run_recipe
from tests.faults.fault_server import FaultInjectingServer

pytestmark = pytest.mark.integration

PROMPTS = [("p0", "What is 2 + 3? [pass at 0]", "5"), ("p3", "What is 4 + 4? [pass at 3]", "8"), ("never", "What is 1 + 6? [never]", "7"),
           ("p1", "What is 9 + 1? [pass at 1]", "10"), ("p5", "What is 3 + 3? [pass at 5]", "6"), ("all", "What is 7 + 2? [always]", "9")]

RECIPE = """name: adaptive
source:
  path: src.jsonl
  fields: {{prompt: question, reference: answer, id: id}}
prompt:
  template: tmpl.txt
teacher:
  name: scripted
  engine: openai_compat
  model: scripted-graded
{teacher}
  sampling: {{max_tokens: 32, temperature: 0.7, seed: 0}}
  batch_size: 16
  prices: {{output_per_mtok: 1000}}
  options: {{base_url: "{url}", concurrency: 4, timeout_s: 10, max_retries: 0}}
verifiers:
  - name: math_answer
dedup: {{exact: {{enabled: false}}}}
{extra}
output:
  dir: {out}
  shard_size: 2
"""


def write(tmp: Path, url: str, teacher: str, extra: str = "", name: str = "r.yaml") -> Path:
    (tmp / "src.jsonl").write_text("".join(json.dumps({"id": i, "question": q, "answer": a}) + "\n" for i, q, a in PROMPTS))
    (tmp / "tmpl.txt").write_text("{prompt}")
    f = tmp / name
    f.write_text(RECIPE.format(teacher=teacher, url=url, extra=extra, out=tmp / "runs"))
    return f


def calls_by_prompt(srv) -> Counter:
    st = srv.stats()
    out = Counter()
    for key, n in st["attempts_by_key"].items():
        user = st["last_body_by_key"][key]["messages"][-1]["content"]
        out[next(i for i, q, _ in PROMPTS if q == user)] += n
    return out


def rows(run_dir: str, kind: str) -> list[dict]:
    return [r for f in sorted(Path(run_dir, kind).glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


UNTIL = "  until: {verified: 1, max_samples: 6, wave: 2}"


def test_waves_stop_per_prompt_resume_pays_nothing_and_prefix_of_fixed_n(tmp_path, ray_local):
    with FaultInjectingServer(answer="graded") as srv:
        res = run_recipe(str(write(tmp_path, srv.base_url, UNTIL)))
        calls = calls_by_prompt(srv)
        # passes at sample 0 or 1: wave 0 only; at 3: waves 0-1; at 5 or never: all 3 waves (6 = max_samples)
        assert dict(calls) == {"p0": 2, "p1": 2, "all": 2, "p3": 4, "p5": 6, "never": 6}
        assert res.status == "succeeded"
        run = Path(res.run_dir)
        assert sorted(p.name for p in (run / "chunks").iterdir()) == ["wave-000", "wave-001", "wave-002"]
        # wave 2: chunk 0 (p0, p3) is done after wave 1 and gets an empty marker; chunk 1 samples never, chunk 2 p5
        assert [pq.read_table(f).num_rows for f in sorted((run / "chunks/wave-002").iterdir())] == [0, 2, 2]
        got = {r["prompt_id"]: r for r in rows(res.run_dir, "accepted") + rows(res.run_dir, "rejects")}
        per = {p: (got[p]["samples_used"], got[p]["pass_rate"]) for p in got}
        assert per == {"p0": (2, 0.5), "p1": (2, 0.5), "all": (2, 1.0), "p3": (4, 0.25), "p5": (6, 1 / 6), "never": (6, 0.0)}
        all_rows = rows(res.run_dir, "accepted") + rows(res.run_dir, "rejects")
        assert len(all_rows) == 22 and not list(run.rglob("*.tmp-*"))
        for p in got:
            mine = [r for r in all_rows if r["prompt_id"] == p]
            assert all(r["prompt_cost"] == pytest.approx(sum(x["cost"] for x in mine)) for r in mine) and mine[0]["prompt_cost"] > 0
        # a re-run finds every wave's markers: not one teacher call
        srv.reset_stats()
        res2 = run_recipe(str(write(tmp_path, srv.base_url, UNTIL)))
        assert srv.stats()["requests"] == 0 and res2.summary == res.summary
        # a kill after wave 0: wave 1 and 2 are redone from the request cache, still no call
        for w in ("wave-001", "wave-002"):
            for f in (run / "chunks" / w).iterdir():
                f.unlink()
        res3 = run_recipe(str(write(tmp_path, srv.base_url, UNTIL)))
        # waves 1-2 (p3, never, p5: 6 rows; never, p5: 4 rows) come back from the cache: same rows, nothing paid
        assert srv.stats()["requests"] == 0 and res3.summary["cache_hits"] == 10
        assert [(r["id"], r["completion"], r["status"], r["pass_rate"]) for r in sorted(rows(res3.run_dir, "accepted") + rows(res3.run_dir, "rejects"), key=lambda r: r["id"])] == \
            [(r["id"], r["completion"], r["status"], r["pass_rate"]) for r in sorted(all_rows, key=lambda r: r["id"])]
        # prefix: a fixed n=6 run shares the adaptive run's request keys and pays only for the samples the waves skipped
        fixed = run_recipe(str(write(tmp_path, srv.base_url, "  n: 6", name="f.yaml")))
        assert srv.stats()["requests"] == 36 - 22
    key = lambda r: (r["prompt_id"], r["sample_index"])  # noqa: E731
    a = {key(r): r for r in all_rows}
    f = {key(r): r for r in rows(fixed.run_dir, "accepted") + rows(fixed.run_dir, "rejects")}
    assert len(f) == 36 and len(a) == 22 and set(a) < set(f)
    for k, r in a.items():
        assert (r["id"], r["request_key"], r["completion"], r["score"]) == (f[k]["id"], f[k]["request_key"], f[k]["completion"], f[k]["score"])
    assert {r["prompt_id"]: r["samples_used"] for r in f.values()} == dict.fromkeys(["p0", "p1", "p3", "p5", "never", "all"], 6)


def test_keep_pass_rate_filter_fixed_n(tmp_path, ray_local):
    with FaultInjectingServer(answer="graded") as srv:
        res = run_recipe(str(write(tmp_path, srv.base_url, "  n: 4", "filters:\n  keep_pass_rate: [0.1, 0.9]")))
    rej = rows(res.run_dir, "rejects")
    pr = [r for r in rej if r["reject_stage"] == "pass_rate"]
    # 4 samples each: p0, p1, p3 pass once (0.25, kept); "all" passes 4 times (1.0: its 4 accepted rows are dropped);
    # p5 and never pass 0 times (0.0, out of range too, but their rows were rejected by the verifier already: first reason wins)
    assert {r["prompt_id"] for r in pr} == {"all"} and len(pr) == 4
    assert {r["reject_reason"] for r in pr} == {"pass rate out of range: 1.000 (4/4 verified) not in [0.1, 0.9]"}
    assert {(r["prompt_id"], r["pass_rate"]) for r in rows(res.run_dir, "accepted")} == {("p0", 0.25), ("p1", 0.25), ("p3", 0.25)}
    assert {r["reject_stage"] for r in rej if r["prompt_id"] in ("p5", "never")} == {"verify:math_answer"}
    assert res.stats["pass_rate"]["dropped"] == {"pass rate out of range": 4}


def test_budget_stops_cleanly_and_a_bigger_one_continues(tmp_path, ray_local):
    with FaultInjectingServer(answer="graded") as srv:
        res = run_recipe(str(write(tmp_path, srv.base_url, "  n: 4", "budget: {calls: 8}")))
        assert res.status == "stopped" and res.stopped == "budget calls 8 reached"
        assert srv.stats()["requests"] == 8
        run = Path(res.run_dir)
        written = sorted(p.name for p in (run / "chunks").iterdir())
        assert len(written) == 1  # 4 rows per prompt, 2 prompts per chunk: one whole chunk; the others are not written
        assert len(rows(res.run_dir, "accepted") + rows(res.run_dir, "rejects")) == 8
        assert json.loads((run / "manifest.json").read_text())["status"] == "stopped"
        assert not list(run.rglob("*.tmp-*"))
        res2 = run_recipe(str(write(tmp_path, srv.base_url, "  n: 4", "budget: {calls: 100}")))
        assert res2.status == "succeeded" and res2.run_id == res.run_id
        assert srv.stats()["requests"] == 24  # the 8 paid calls were not paid again
        assert len(rows(res2.run_dir, "accepted") + rows(res2.run_dir, "rejects")) == 24


@pytest.mark.slow  # three runs (~30 s); the budget stop and its continuation: test_budget_stops_cleanly_and_a_bigger_one_continues, paid figures: tests/unit/test_adaptive_config.py
def test_money_paid_before_a_budget_stop_stays_in_the_totals_and_a_cached_rerun_pays_nothing(tmp_path, ray_local):
    """A budget of 10 calls: chunk 0 (8 rows) is written, 2 answers of another chunk are paid and cached but not
    written. The continuing invocation answers those 2 from the cache: they keep their price (was: cost 0, so the
    corpus cost and every cost figure lost money the first invocation paid), and ``paid`` tells this invocation's
    money from the earlier one's. A --fresh run served wholly from the shared cache pays 0 and says so, while its
    corpus cost is the same. Every figure is checked against the Parquet rows (price: tokens_out x $1000/Mtok)."""
    import pyarrow.dataset as pads

    recipe = lambda cap: str(write(tmp_path, srv.base_url, "  n: 4", f"budget: {{calls: {cap}}}"))  # noqa: E731
    with FaultInjectingServer(answer="graded") as srv:
        res = run_recipe(recipe(10))
        assert res.status == "stopped" and srv.stats()["requests"] == 10
        run = Path(res.run_dir)
        first = pq.read_table(next((run / "chunks").glob("chunk-*.parquet"))).to_pylist()
        assert len(first) == 8 and not any(r["cache_hit"] for r in first)
        m1 = json.loads((run / "manifest.json").read_text())
        # the 10 calls of the first invocation: the written chunk's 8 and 2 of a chunk the stop left unwritten
        assert m1["paid"]["earlier_invocations"] == 0.0 and m1["paid"]["run_total"] == m1["paid"]["this_invocation"]
        assert m1["generation"]["paid"] == m1["paid"]["this_invocation"] > sum(r["cost"] for r in first)

        res2 = run_recipe(recipe(100))
        assert res2.status == "succeeded" and srv.stats()["requests"] == 24
        t = pads.dataset([str(f) for k in ("accepted", "rejects") for f in sorted((run / k).glob("*.parquet"))],
                         format="parquet").to_table().to_pylist()
        assert len(t) == 24 == res2.summary["rows"] == res2.summary["accepted"] + res2.summary["rejected"]
        price = {r["id"]: r["tokens_out"] * 1000 / 1e6 for r in t}
        assert all(r["cost"] == pytest.approx(price[r["id"]]) for r in t) and all(price.values())
        hits = [r for r in t if r["cache_hit"]]
        assert len(hits) == 2 and res2.summary["cache_hits"] == 2
        assert res2.summary["cost"] == pytest.approx(sum(price.values()), abs=1e-6)
        assert res2.summary["cache_cost"] == pytest.approx(sum(price[r["id"]] for r in hits), abs=1e-6)
        assert res2.cost["total"] == pytest.approx(res2.summary["cost"], abs=1e-6)
        m2 = json.loads((run / "manifest.json").read_text())
        first_ids = {r["id"] for r in first}
        assert m2["paid"] == res2.paid
        assert res2.paid["earlier_invocations"] == pytest.approx(m1["paid"]["run_total"])
        assert res2.paid["earlier_invocations"] == pytest.approx(sum(price[i] for i in first_ids) + res2.summary["cache_cost"], abs=1e-6)
        assert res2.paid["this_invocation"] == pytest.approx(
            sum(price[r["id"]] for r in t if not r["cache_hit"] and r["id"] not in first_ids), abs=1e-6)
        # every call of the run was made by it: what it paid in all is the corpus' cost
        assert res2.paid["run_total"] == pytest.approx(res2.summary["cost"], abs=1e-6)

        res3 = run_recipe(recipe(100), fresh=True)
        assert res3.status == "succeeded" and res3.run_id != res2.run_id and srv.stats()["requests"] == 24
        assert res3.paid == {"this_invocation": 0.0, "earlier_invocations": 0.0, "run_total": 0.0}
        assert res3.summary["cache_hits"] == 24 and res3.summary["cost"] == pytest.approx(res2.summary["cost"], abs=1e-6)
        assert res3.summary["cache_cost"] == pytest.approx(res3.summary["cost"], abs=1e-6)
        by_t = res3.cost["generate"]["by_teacher"]["scripted"]
        assert (by_t["calls"], by_t["api_cost"]) == (0, 0.0) and by_t["cache_cost"] == pytest.approx(res3.summary["cost"], abs=1e-6)


@pytest.mark.slow  # three runs (~30 s); the run-wide counter: tests/unit/test_adaptive_config.py::test_budget_counter_counts_what_earlier_invocations_of_the_run_spent
def test_a_run_a_cap_stopped_makes_no_new_call_when_resumed_with_the_same_cap(tmp_path, ray_local):
    """The caps counted one invocation: re-running a run that `calls: 8` stopped, with the same recipe, paid 8 more
    calls (and every crash-and-resume cycle had the whole cap again). The cap is run-wide now: the resumed run makes
    no call and says why; a bigger cap continues, counting the 8 already made (manifest paid_calls)."""
    recipe = lambda cap: str(write(tmp_path, srv.base_url, "  n: 4", f"budget: {{calls: {cap}}}"))  # noqa: E731
    with FaultInjectingServer(answer="graded") as srv:
        res = run_recipe(recipe(8))
        assert res.status == "stopped" and srv.stats()["requests"] == 8
        m1 = json.loads((Path(res.run_dir) / "manifest.json").read_text())
        assert m1["paid_calls"] == {"this_invocation": 8, "earlier_invocations": 0, "run_total": 8}
        res2 = run_recipe(recipe(8))
        assert res2.run_id == res.run_id and res2.status == "stopped" and srv.stats()["requests"] == 8
        assert res2.stopped == "budget calls 8 reached (8 by earlier invocations of the run)"
        m2 = json.loads((Path(res.run_dir) / "manifest.json").read_text())
        assert m2["paid_calls"] == {"this_invocation": 0, "earlier_invocations": 8, "run_total": 8}
        res3 = run_recipe(recipe(20))  # 12 more calls allowed: 16 are needed
        assert res3.status == "stopped" and srv.stats()["requests"] == 20
        assert res3.stopped == "budget calls 20 reached (8 by earlier invocations of the run)"
        assert json.loads((Path(res.run_dir) / "manifest.json").read_text())["paid_calls"]["run_total"] == 20


@pytest.mark.slow  # a real SIGKILL needs the first invocation in its own process (its own Ray start); the counter's side is
# test_budget_counter_counts_what_earlier_invocations_of_the_run_spent, the record's side the test above
def test_a_run_killed_mid_way_and_resumed_stops_at_the_cap_counting_both_invocations(tmp_path, ray_local):
    """Was: a crash-and-resume cycle spent the cap again (each invocation counted from 0). The first invocation is
    SIGKILLed once its manifest records some calls (the progress line, about every 5 s); the resumed one makes only
    the calls the cap has left after them and stops, and the manifest adds both up to the cap."""
    import os
    import signal
    import subprocess
    import sys
    import time

    cap = 40
    with FaultInjectingServer(answer="graded", latency_s=1.0) as srv:
        f = write(tmp_path, srv.base_url, "  n: 4", f"budget: {{calls: {cap}}}")
        (tmp_path / "src.jsonl").write_text("".join(json.dumps({"id": f"a{i}", "question": f"What is {i} + 1? [always]", "answer": str(i + 1)}) + "\n"
                                                    for i in range(16)))  # 64 calls in 8 chunks
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        p = subprocess.Popen([sys.executable, "-m", "factory", "run", str(f)], cwd=tmp_path, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        calls = 0
        deadline = time.time() + 400
        while not calls and p.poll() is None and time.time() < deadline:
            time.sleep(0.2)
            for m in (tmp_path / "runs" / "adaptive").glob("*/manifest.json"):
                try:
                    calls = (json.loads(m.read_text()).get("paid_calls") or {}).get("this_invocation") or 0
                except ValueError:  # being replaced
                    pass
        assert p.poll() is None, p.stderr.read()[-3000:]
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(60)
        (m1,) = [json.loads(m.read_text()) for m in (tmp_path / "runs" / "adaptive").glob("*/manifest.json")]
        c1 = m1["paid_calls"]["this_invocation"]
        assert m1["status"] == "running" and 0 < c1 < cap, m1["paid_calls"]
        before, quiet = srv.stats()["requests"], time.time()
        while time.time() - quiet < 4:  # the killed run's Ray workers can send a last batch as they go down
            time.sleep(0.5)
            if srv.stats()["requests"] != before:
                before, quiet = srv.stats()["requests"], time.time()
        res = run_recipe(str(f))
        assert res.status == "stopped" and res.stopped == f"budget calls {cap} reached ({c1} by earlier invocations of the run)"
        assert srv.stats()["requests"] - before == cap - c1
        m2 = json.loads((Path(res.run_dir) / "manifest.json").read_text())
        assert m2["paid_calls"] == {"this_invocation": cap - c1, "earlier_invocations": c1, "run_total": cap}
