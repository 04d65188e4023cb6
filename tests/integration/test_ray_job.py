"""A real `ray start --head` on 127.0.0.1, the recipe submitted as a Ray job, SUCCEEDED, output checked.

The cluster runs `ray start --block` in its own process group with its own temp dir, so stopping it
(SIGTERM to the group) touches no other Ray on the machine; the test then checks that no process
of that cluster is left.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT
from tests.integration.test_pipeline import write_recipe

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_pids(marker: str) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if marker in (p / "cmdline").read_bytes().decode(errors="replace"):
                    out.append(int(p.name))
            except OSError:
                pass
    return out


def cluster_auth(temp: str, monkeypatch) -> dict:
    """Ray 2.60 clusters require a token: give this test cluster its own (not ~/.ray/auth_token)."""
    import secrets

    token = Path(temp + ".token")
    token.write_text(secrets.token_hex(32))
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(token))
    return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}


def submit(client, **kw) -> str:
    """submit_job, retried while the node's job agent is still starting ("No available agent")."""
    for _ in range(60):
        try:
            return client.submit_job(**kw)
        except RuntimeError as e:
            if "No available agent" not in str(e):
                raise
            time.sleep(2)
    return client.submit_job(**kw)


@pytest.fixture
def ray_head(monkeypatch, no_inprocess_ray):
    temp = tempfile.mkdtemp(prefix="rj", dir="/tmp")  # short: Ray's socket paths have a length limit
    port, dash = free_port(), free_port()
    ray_bin = str(Path(sys.executable).parent / "ray")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(cluster_auth(temp, monkeypatch))
    proc = subprocess.Popen([ray_bin, "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
                             "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}", "--num-cpus=2", f"--temp-dir={temp}",
                             "--include-dashboard=true", "--disable-usage-stats"],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    address = f"http://127.0.0.1:{dash}"
    from ray.job_submission import JobSubmissionClient

    client, t0 = None, time.time()
    while time.time() - t0 < 120:
        try:
            client = JobSubmissionClient(address)
            client.list_jobs()
            break
        except Exception:
            client = None
            if proc.poll() is not None:
                pytest.fail(f"ray start exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(1)
    assert client is not None, "dashboard did not come up"
    yield client, address
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    for _ in range(30):
        if not cluster_pids(temp):
            break
        time.sleep(1)
    left = cluster_pids(temp)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(temp, ignore_errors=True)
    Path(temp + ".token").unlink(missing_ok=True)
    assert not left, f"processes of the test cluster left behind: {left}"


def test_recipe_runs_as_a_ray_job(tmp_path, ray_head):
    client, address = ray_head
    recipe = write_recipe(tmp_path)
    job = submit(
        client,
        entrypoint=f"python -m factory run {recipe} --skip-train --skip-eval",
        runtime_env={"working_dir": str(ROOT), "excludes": [".venv", "runs", ".git", "tests/artifacts", "bench/out"]},
    )
    t0, status = time.time(), None
    while time.time() - t0 < 600:
        status = str(client.get_job_status(job))
        if status.endswith(("SUCCEEDED", "FAILED", "STOPPED")):
            break
        time.sleep(2)
    logs = client.get_job_logs(job)
    assert status.endswith("SUCCEEDED"), logs[-3000:]
    assert "run dir:" in logs and "accepted" in logs
    run_dirs = list((tmp_path / "runs" / "tiny").iterdir())
    assert len(run_dirs) == 1
    rows = [r for f in sorted((run_dirs[0]).glob("*/part-*.parquet")) for r in pq.read_table(f).to_pylist()]
    assert len(rows) == 12 and len({r["id"] for r in rows}) == 12
