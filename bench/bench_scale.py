"""Whole-recipe scale bench: memory per process, wall time and throughput vs a bare Ray Data job (issue #10).

    python bench/bench_scale.py --rows 200 --out /tmp/scale.json              # smoke (seconds)
    python bench/bench_scale.py --rows 10000 --baseline                        # live HTTP, ours vs bare Ray Data
    python bench/bench_scale.py --rows 1000000 --cached                        # every call from a pre-filled cache

One recipe run (``factory.pipeline.run_recipe``) over N/2 generated "What is A + B?" prompts, n=2 samples each
(N rows), against a local OpenAI-compatible stub teacher (tests/faults/fault_server.py, ``answer="arith"``, in
its own process): its fixed mix of answers gives the math verifier wrong ones, the PII filter e-mails, exact
dedup identical samples of one prompt and MinHash near-identical ones. ``--cached`` first fills the request
cache (in a subprocess, so the driver's memory is not touched) with exactly the answers the server would give:
the run then makes no HTTP call and tests memory and linearity only. While the run goes, a thread polls the
RSS of the driver and of every process of the local Ray cluster (bench/scale_probe.py). ``--baseline`` also
runs, in the same process and before ours, the least Ray Data job doing the same I/O: read the jsonl, one
actor pool of the same size calling the same server with the same requests in flight through httpx, write
Parquet. Prints JSON (also to ``--out``); RESULTS.md holds the recorded figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

N_SAMPLES = 2
SEED = 1


def make_source(path: Path, prompts: int, seed: int = 0) -> None:
    """``prompts`` deterministic "What is A + B?" records (some repeat: prompt-level duplicates too)."""
    rng = random.Random(seed)
    with path.open("w") as f:
        for i in range(prompts):
            a, b = rng.randrange(1000), rng.randrange(1000)
            f.write(json.dumps({"id": f"p{i:07d}", "question": f"What is {a} + {b}?", "answer": str(a + b)}) + "\n")


def write_recipe(d: Path, base_url: str, replicas: int, concurrency: int, shard_size: int) -> Path:
    (d / "prompt.txt").write_text("{prompt}")
    recipe = {
        "name": "bench_scale",
        "source": {"path": "train.jsonl", "fields": {"prompt": "question", "reference": "answer", "id": "id"}},
        "prompt": {"template": "prompt.txt"},
        "teacher": {"name": "stub", "engine": "openai_compat", "model": "stub-arith", "n": N_SAMPLES,
                    "sampling": {"max_tokens": 64, "temperature": 0.7, "seed": SEED}, "batch_size": 256,
                    "replicas": replicas, "max_replicas": replicas, "num_cpus": 0.25,
                    "options": {"base_url": base_url, "concurrency": concurrency, "timeout_s": 60, "max_retries": 2}},
        "verifiers": [{"name": "math_answer"}],
        "filters": {"pii": {"mode": "drop", "on": "completion"}},
        "dedup": {"exact": {"compare": "completion"}, "minhash": {"on": "completion", "threshold": 0.8, "engine": "ray"}},
        "execution": {"verify": {"num_cpus": 0.25}, "filters": {"num_cpus": 0.25}, "finalize": {"num_cpus": 0.25}},
        "output": {"dir": str(d / "runs"), "shard_size": shard_size},
    }
    path = d / "recipe.yaml"
    path.write_text(json.dumps(recipe, indent=1))  # JSON is YAML
    return path


# ----------------------------------------------------------------------------- request cache fill (--cached)
def fill_cache(recipe_file: str) -> int:
    """Write the server's exact answer for every request of the recipe into its request cache; returns entries."""
    from factory.recipe import load_recipe
    from ground import fsutil
    from ground.source import plan_units, read_unit
    from teachers.cache import RequestCache
    from teachers.expand import Expander
    from tests.faults.fault_server import fake_tokens, prompt_key, scripted_answer

    recipe = load_recipe(recipe_file)
    cache = RequestCache(fsutil.join(recipe.output.dir, "_cache", "requests"))  # as factory/pipeline.py
    expander, n = Expander.from_recipe(recipe), 0
    for unit in plan_units(recipe.source, recipe.base_dir, recipe.output.shard_size):
        batch = {}  # one cache part per chunk, as a live run writes one per generated batch
        for rec in read_unit(unit):
            for row in expander.expand(rec):
                messages = json.loads(row["messages"])
                sent_seed = (SEED * 1000 + row["sample_index"]) * 1_000_003 + row["sample_index"]  # teachers/openai_compat.py
                text = scripted_answer({"messages": messages}, prompt_key(messages, sent_seed))
                batch[row["request_key"]] = {"text": text, "finish_reason": "stop", "tokens_in": len(fake_tokens(json.dumps(messages))),
                                             "tokens_out": len(fake_tokens(text))}
        cache.put(batch)
        n += len(batch)
    return n


# ----------------------------------------------------------------------------- the bare Ray Data job (--baseline)
class BareHTTP:
    """One actor of the baseline: the batch's requests through httpx, ``concurrency`` in flight. ``client``:
    "shared", one AsyncClient whose pool holds ``concurrency`` connections (httpx's usual use), or
    "per-worker", one client and connection per in-flight worker (what teachers/openai_compat.py does)."""

    def __init__(self, base_url: str, concurrency: int, client: str = "shared"):
        import asyncio

        import httpx

        self.url, self.concurrency, self.loop = base_url + "/chat/completions", concurrency, asyncio.new_event_loop()
        n = 1 if client == "per-worker" else concurrency
        self.clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=n, max_keepalive_connections=n), timeout=httpx.Timeout(60))
                        for _ in range(concurrency if client == "per-worker" else 1)]

    async def _all(self, bodies: list[dict]) -> list[str]:
        import asyncio

        out, work = [""] * len(bodies), iter(range(len(bodies)))

        async def worker(client):
            for i in work:
                resp = await client.post(self.url, json=bodies[i])
                out[i] = resp.json()["choices"][0]["message"]["content"]

        await asyncio.gather(*(worker(self.clients[w % len(self.clients)]) for w in range(self.concurrency)))
        return out

    def __call__(self, batch):
        import pyarrow as pa

        ids, ks, bodies = [], [], []
        for pid, q in zip(batch.column("id").to_pylist(), batch.column("question").to_pylist()):
            for k in range(N_SAMPLES):
                ids.append(pid)
                ks.append(k)
                bodies.append({"model": "stub-arith", "messages": [{"role": "user", "content": q}], "temperature": 0.7, "top_p": 1.0,
                               "max_tokens": 64, "seed": (SEED * 1000 + k) * 1_000_003 + k})
        texts = self.loop.run_until_complete(self._all(bodies))
        return pa.table({"id": ids, "sample_index": ks, "completion": texts})


def run_baseline(source: Path, out_dir: Path, base_url: str, replicas: int, concurrency: int, pid: int, server_pid: int,
                 client: str = "shared") -> dict:
    import shutil

    from scale_probe import RssMonitor
    from ground.raycluster import init_ray

    ray = init_ray()
    shutil.rmtree(out_dir, ignore_errors=True)
    with RssMonitor(pid, exclude=(server_pid,)) as mon:
        t0 = time.perf_counter()
        ds = ray.data.read_json(str(source)).map_batches(
            BareHTTP, fn_constructor_args=(base_url, concurrency, client), batch_size=128, batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(min_size=replicas, max_size=replicas), num_cpus=0.25)
        ds.write_parquet(str(out_dir))
        secs = time.perf_counter() - t0
    rows = ray.data.read_parquet(str(out_dir)).count()
    return {"seconds": round(secs, 2), "rows": rows, "rows_per_s": round(rows / secs, 1), "cpu_seconds": mon.cpu_seconds(),
            "load_1m": round(os.getloadavg()[0], 2)}


# ----------------------------------------------------------------------------- ours
def run_ours(recipe_file: Path, pid: int, server_pid: int) -> dict:
    from scale_probe import RssMonitor, object_store_stats
    from factory.pipeline import run_recipe

    with RssMonitor(pid, exclude=(server_pid,)) as mon:
        t0 = time.perf_counter()
        res = run_recipe(str(recipe_file), skip_train=True, skip_eval=True)
        secs = time.perf_counter() - t0
    manifest = json.loads((Path(res.run_dir) / "manifest.json").read_text())
    return {"seconds": round(secs, 2), "rows": res.summary.get("rows", res.summary.get("total")), "rows_per_s": None,
            "summary": res.summary, "timings": res.timings, "curation_timings": manifest.get("curation_timings"),
            "generation": manifest.get("generation"), "memory": mon.report(), "object_store": object_store_stats()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000, help="output rows = prompts x n (n=2)")
    ap.add_argument("--cached", action="store_true", help="fill the request cache first: no HTTP during the run")
    ap.add_argument("--baseline", action="store_true", help="also run the bare Ray Data job (same server, same concurrency)")
    ap.add_argument("--replicas", type=int, default=2, help="teacher actors (pinned: min = max)")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight per teacher actor")
    ap.add_argument("--bare-client", choices=["shared", "per-worker"], default="shared",
                    help="the bare job's httpx clients: one pooled client per actor, or one client per in-flight worker as ours")
    ap.add_argument("--shard-size", type=int, default=1000, help="prompts per chunk")
    ap.add_argument("--workdir", help="keep the run here (default: a temp dir, removed)")
    ap.add_argument("--out", help="write the result JSON here too")
    ap.add_argument("--fill-cache", help=argparse.SUPPRESS)  # internal: the --cached fill, in its own process
    a = ap.parse_args(argv)
    if a.fill_cache:
        print(json.dumps({"cache_entries": fill_cache(a.fill_cache)}))
        return {}
    if a.rows < 2 or a.rows % N_SAMPLES:
        ap.error(f"--rows must be an even number >= 2, got {a.rows}")
    from tests.faults.fault_server import FaultInjectingServer

    tmp = tempfile.TemporaryDirectory(prefix="bench_scale_") if not a.workdir else None
    d = Path(a.workdir or tmp.name)
    d.mkdir(parents=True, exist_ok=True)
    make_source(d / "train.jsonl", a.rows // N_SAMPLES)
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": a.rows, "prompts": a.rows // N_SAMPLES,
           "cached": a.cached, "replicas": a.replicas, "concurrency": a.concurrency, "shard_size": a.shard_size,
           "cpus": os.cpu_count(), "load_before": [round(x, 2) for x in os.getloadavg()], "bare_client": a.bare_client if a.baseline else None}
    with FaultInjectingServer(mode="process", answer="arith") as srv:
        recipe = write_recipe(d, srv.base_url, a.replicas, a.concurrency, a.shard_size)
        if a.cached:
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, __file__, "--fill-cache", str(recipe)], capture_output=True, text=True, check=True)
            out["cache_fill"] = {**json.loads(done.stdout.strip().splitlines()[-1]), "seconds": round(time.perf_counter() - t0, 2)}
        if a.baseline:
            out["baseline"] = run_baseline(d / "train.jsonl", d / "bare_out", srv.base_url, a.replicas, a.concurrency, os.getpid(), srv.pid, a.bare_client)
            srv.reset_stats()
        out["ours"] = ours = run_ours(recipe, os.getpid(), srv.pid)
        out["server_requests"] = srv.stats()["requests"]
        if a.baseline:  # again after ours: the load of a shared machine drifts; the ratio is taken to the mean of both
            out["baseline_after"] = run_baseline(d / "train.jsonl", d / "bare_out", srv.base_url, a.replicas, a.concurrency, os.getpid(), srv.pid, a.bare_client)
    ours["rows_per_s"] = round(a.rows / ours["seconds"], 1)
    ours["generate_rows_per_s"] = round(a.rows / ours["timings"]["generate+verify"], 1)
    if "baseline" in out:  # whole recipe (generate + verify + filter + 2 dedup passes + finalize) vs bare generate+write
        bare = (out["baseline"]["rows_per_s"] + out["baseline_after"]["rows_per_s"]) / 2
        out["throughput_ratio"] = round(ours["rows_per_s"] / bare, 3)
        out["generate_throughput_ratio"] = round(ours["generate_rows_per_s"] / bare, 3)
        # CPU seconds per 1,000 rows, ours vs bare (server apart): what the ratio is when the machine is not shared
        cpu = ours["memory"]["cpu_seconds"]
        out["cpu_per_1k_rows"] = {"ours": round(1000 * cpu["tree"] / a.rows, 3), "ours_server": round(1000 * cpu["excluded"] / a.rows, 3),
                                  "bare": round(1000 * out["baseline"]["cpu_seconds"]["tree"] / a.rows, 3),
                                  "bare_server": round(1000 * out["baseline"]["cpu_seconds"]["excluded"] / a.rows, 3)}
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(out, indent=1)
    print(text)
    if a.out:
        Path(a.out).write_text(text)
    if tmp is not None:
        tmp.cleanup()
    return out


if __name__ == "__main__":
    main()
