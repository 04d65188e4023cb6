"""A two-node Ray cluster on one machine; the worker node's raylet is killed mid-run; the job completes.

Head: 1 CPU. Worker: 2 CPUs, its own temp dir. The recipe asks for 2 teacher replicas of 1 CPU, so at
least one runs on the worker node. The teacher is the deterministic local HTTP server, so the finished
dataset must equal an uninterrupted run's: every row accounted for, none twice.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.faults.fault_server import FaultInjectingServer
from tests.integration.test_faults import dataset, write_recipe
from tests.integration.test_ray_job import cluster_auth, cluster_env, cluster_pids, free_port, node_ports, ray_cli, submit, wait_for_jobs_api

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _ray(*args, temp: str) -> subprocess.Popen:
    env = cluster_env()  # carries the test's RAY_AUTH_* token and the venv on PATH
    return subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--block", *args, f"--temp-dir={temp}",
                             "--disable-usage-stats", *node_ports()], env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_worker_node_raylet_killed_mid_run(tmp_path, monkeypatch, no_inprocess_ray):
    head_tmp, work_tmp = tempfile.mkdtemp(prefix="rh", dir="/tmp"), tempfile.mkdtemp(prefix="rw", dir="/tmp")
    cluster_auth(head_tmp, monkeypatch)
    port, dash = free_port(), free_port()
    procs = []
    try:
        with FaultInjectingServer(mode="process", latency_s=0.3) as srv:
            procs.append(_ray("--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1",
                              f"--dashboard-port={dash}", "--num-cpus=1", "--include-dashboard=true", temp=head_tmp))
            address = f"http://127.0.0.1:{dash}"
            wait_for_jobs_api(address)
            procs.append(_ray(f"--address=127.0.0.1:{port}", "--node-ip-address=127.0.0.1", "--num-cpus=2", temp=work_tmp))
            time.sleep(10)
            recipe = write_recipe(tmp_path, srv.base_url, tmp_path / "out", limit=24)
            text = recipe.read_text().replace("  batch_size: 4\n", "  batch_size: 4\n  replicas: 2\n")
            recipe.write_text(text)
            p = submit(address, f"python -m factory run {recipe}", wait=False)
            assert p.returncode == 0, p.stdout + p.stderr
            job = re.search(r"(raysubmit_\w+)", p.stdout + p.stderr).group(1)
            deadline = time.time() + 300
            while time.time() < deadline and not list((tmp_path / "out").glob("faults/*/chunks/chunk-*.parquet")):
                time.sleep(0.5)
            raylets = [p for p in cluster_pids(work_tmp) if b"raylet" in Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")[0]]
            assert raylets, "worker raylet not found"
            for p in raylets:
                os.kill(p, signal.SIGKILL)
            status = ""
            while time.time() < deadline + 300:
                out = ray_cli("job", "status", "--address", address, job)
                # the CLI colours its words and prints e.g. "Job 'raysubmit_..' succeeded": compare plain lower case
                status = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr).lower()
                if any(w in status for w in ("succeeded", "failed", "stopped")):
                    break
                time.sleep(3)
            assert "succeeded" in status and "failed" not in status, \
                status[-1000:] + ray_cli("job", "logs", "--address", address, job).stdout[-3000:]
            rows = dataset(tmp_path / "out")
            assert len(rows) == 48 and len({r[0] for r in rows}) == 48
            assert all(r[2] == "accepted" for r in rows)
    finally:
        Path(head_tmp + ".token").unlink(missing_ok=True)
        for pr in procs:
            try:
                os.killpg(pr.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for t in (head_tmp, work_tmp):
            for p in cluster_pids(t):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
