"""Crash-proof runs: kill -9 of the driver and SIGTERM mid-run, then resume to the identical dataset.

The teacher is a real HTTP server on 127.0.0.1 (``FaultInjectingServer`` with no faults, only latency:
its answers are deterministic, so an interrupted-and-resumed run must reproduce an uninterrupted
run byte for byte). bench/fault_kill9.py runs the same scenario with 10 random kill points.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT
from tests.faults.fault_server import FaultInjectingServer

pytestmark = pytest.mark.integration

RECIPE = """name: faults
source:
  path: {data}
  fields: {{prompt: question, reference: answer}}
  limit: {limit}
prompt:
  template: {tmpl}
teacher:
  name: local-http
  engine: openai_compat
  model: fake-model
  n: 2
  sampling: {{max_tokens: 32, seed: 7}}
  batch_size: 4
  options: {{base_url: "{url}", concurrency: 4, timeout_s: 10, max_retries: 3}}
  prices: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
accept_unverifiable: true
output:
  dir: {out}
  shard_size: 2
"""


def write_recipe(tmp: Path, url: str, out: Path, limit: int = 24) -> Path:
    f = tmp / f"faults-{out.name}.yaml"
    f.write_text(RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                               url=url, out=out, limit=limit))
    return f


def start_run(recipe: Path, cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    return subprocess.Popen([sys.executable, "-m", "factory", "run", str(recipe)], cwd=cwd, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def dataset(out: Path) -> list[tuple]:
    (run,) = list((out / "faults").iterdir())
    rows = [r for kind in ("accepted", "rejects") for f in sorted((run / kind).glob("part-*.parquet"))
            for r in pq.read_table(f).to_pylist()]
    return sorted((r["id"], r["completion"], r["status"], r["reject_reason"], r["tokens_out"]) for r in rows)


@pytest.fixture(scope="module")
def server():
    with FaultInjectingServer(mode="process", latency_s=0.15) as srv:
        yield srv


def manifest_of(out: Path) -> dict:
    (run,) = list((out / "faults").iterdir())
    return json.loads((run / "manifest.json").read_text())


@pytest.fixture(scope="module")
def reference_run(server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    p = start_run(write_recipe(tmp, server.base_url, tmp / "out"), tmp)
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-3000:]
    return dataset(tmp / "out"), manifest_of(tmp / "out")


@pytest.fixture(scope="module")
def reference(reference_run):
    return reference_run[0]


def test_kill9_of_the_driver_then_resume_gives_the_identical_dataset(server, reference, reference_run, tmp_path):
    out = tmp_path / "out"
    recipe = write_recipe(tmp_path, server.base_url, out)
    rng = random.Random(1)
    server.reset_stats()
    kills = 0
    for _ in range(2):
        p = start_run(recipe, tmp_path)
        time.sleep(rng.uniform(6, 12))
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            kills += 1
        p.wait(60)
    p = start_run(recipe, tmp_path)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-3000:]
    assert dataset(out) == reference
    (run,) = list((out / "faults").iterdir())
    assert not list(run.rglob("*.tmp-*")), "a half-written file was left behind"
    stats = server.stats()
    repeated = sum(n - 1 for n in stats["ok_by_key"].values() if n > 1)
    # only calls in flight at a kill (at most one batch of 4 per kill) may be paid twice
    assert repeated <= 4 * kills, stats["ok_by_key"]
    # the money: the corpus costs what the uninterrupted run's did (was less: answers the killed invocations paid for
    # came back from the cache at $0), and the rows say so; what was paid is recorded per invocation, a killed one's
    # up to its last progress line, so the run's total is at least what the last invocation paid and at most the bill
    m, ref = manifest_of(out), reference_run[1]
    assert m["counts"]["cost"] == pytest.approx(ref["counts"]["cost"], abs=1e-6) and ref["counts"]["cost"] > 0
    assert sum(r["cost"] for r in pq.read_table(run / "accepted").to_pylist() + pq.read_table(run / "rejects").to_pylist()) == \
        pytest.approx(m["counts"]["cost"], abs=1e-6)
    assert ref["paid"]["run_total"] == pytest.approx(ref["counts"]["cost"], abs=1e-6)  # one go: paid what it produced
    paid = m["paid"]
    assert paid["earlier_invocations"] is not None and paid["run_total"] == pytest.approx(paid["this_invocation"] + paid["earlier_invocations"])
    per_call = ref["counts"]["cost"] / len(reference)
    assert paid["this_invocation"] <= m["counts"]["cost"] and paid["run_total"] <= per_call * 4 * (len(reference) + repeated)


@pytest.mark.slow  # a second killed run (~1 min); stop-and-resume in the default run: test_kill9_of_the_driver_then_resume_gives_the_identical_dataset, test_disk_faults.py
def test_sigterm_stops_quickly_keeps_shards_and_resumes(server, reference, tmp_path):
    out = tmp_path / "out"
    recipe = write_recipe(tmp_path, server.base_url, out)
    p = start_run(recipe, tmp_path)
    deadline = time.time() + 300
    while time.time() < deadline and not list(out.glob("faults/*/chunks/chunk-*.parquet")):
        time.sleep(0.2)
    assert p.poll() is None, "the run ended before it could be interrupted"
    t0 = time.time()
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    stop_s = time.time() - t0
    assert p.returncode == 130, err[-2000:]
    assert "interrupted" in err
    assert stop_s < 15
    (run,) = list((out / "faults").iterdir())
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    chunks = sorted((run / "chunks").glob("chunk-*.parquet"))
    assert chunks and all(pq.read_table(c).num_rows == 4 for c in chunks)  # every kept shard is whole and readable
    try:
        os.killpg(p.pid, signal.SIGKILL)  # the in-process Ray of the stopped driver
    except ProcessLookupError:
        pass
    p = start_run(recipe, tmp_path)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-3000:]
    assert dataset(out) == reference
