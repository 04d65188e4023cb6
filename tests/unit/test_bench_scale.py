"""bench/bench_scale.py's ``--cached`` mode is honest: the answers it pre-fills into the request cache are exactly
what the live stub server returns through the real openai_compat engine; and its RSS probe sees child processes."""

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import bench_scale  # noqa: E402
from scale_probe import RssMonitor  # noqa: E402

from factory.recipe import load_recipe  # noqa: E402
from ground.source import plan_units, read_unit  # noqa: E402
from teachers.cache import RequestCache  # noqa: E402
from teachers.expand import Expander  # noqa: E402
from teachers.step import GenerateStep, teacher_cfg  # noqa: E402
from tests.faults.fault_server import FaultInjectingServer  # noqa: E402


def test_cache_fill_matches_live_server(tmp_path):
    bench_scale.make_source(tmp_path / "train.jsonl", 12)
    with FaultInjectingServer(answer="arith") as srv:
        recipe_file = bench_scale.write_recipe(tmp_path, srv.base_url, replicas=1, concurrency=4, shard_size=5)
        assert bench_scale.fill_cache(str(recipe_file)) == 24  # 12 prompts x n=2
        recipe = load_recipe(str(recipe_file))
        exp = Expander.from_recipe(recipe)
        rows = [r for u in plan_units(recipe.source, recipe.base_dir, 5) for rec in read_unit(u) for r in exp.expand(rec)]
        live = GenerateStep({"stub": teacher_cfg(recipe.teacher)}, None)(rows)
        assert srv.stats()["requests"] == 24
    cached = RequestCache(str(tmp_path / "runs" / "_cache" / "requests")).get_many([r["request_key"] for r in rows])
    assert [cached[r["request_key"]]["text"] for r in rows] == [r["completion"] for r in live]
    texts = {r["completion"] for r in live}
    assert any("####" in t and "@example.com" in t for t in texts)  # the mix reaches the PII filter


def test_rss_monitor_sees_a_child_and_its_title(tmp_path):
    code = "x = bytearray(80 * 1024 * 1024); import time; time.sleep(3)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        with RssMonitor(__import__("os").getpid(), interval_s=0.1) as mon:
            time.sleep(2)
    finally:
        child.kill()
        child.wait()
    rep = mon.report(top=10_000)  # every process: in a full test run, Ray workers of other tests are children too
    mine = [p for p in rep["top_processes"] if p["pid"] == child.pid]
    assert mine and mine[0]["peak_rss_mib"] >= 80 and "python" in mine[0]["title"]
    assert rep["driver"]["peak_rss_mib"] > 0 and rep["samples"] >= 5
    assert json.loads(json.dumps(rep)) == rep
