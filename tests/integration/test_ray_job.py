"""A real `ray start --head` on 127.0.0.1, the recipe submitted as a Ray job, SUCCEEDED, output checked.

The cluster runs `ray start --block` in its own process group with its own temp dir, so stopping it
(SIGTERM to the group) touches no other Ray on the machine; the test then checks that no process
of that cluster is left.
"""

import json
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


def cluster_env() -> dict:
    """The environment of `ray start`, as in a shell with the project's venv activated: a job's `python`
    is found on the PATH the cluster was started with."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def node_ports() -> list[str]:
    """Free ports for one node's agents: the defaults (e.g. 52365) may be held by another Ray on the machine,
    which leaves the node without a job agent ("No available agent to submit job")."""
    names = ["dashboard-agent-listen-port", "dashboard-agent-grpc-port", "metrics-export-port", "runtime-env-agent-port",
             "node-manager-port", "object-manager-port"]
    return [f"--{n}={free_port()}" for n in names]


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


def ray_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The Ray CLI as a user runs it, in a fresh process (it reads RAY_AUTH_TOKEN_PATH; an in-process client
    would reuse the token of any Ray this test process talked to before)."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    return subprocess.run([str(Path(sys.executable).parent / "ray"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def wait_for_jobs_api(address: str, proc: subprocess.Popen | None = None, seconds: float = 180) -> None:
    t0, last = time.time(), None
    while time.time() - t0 < seconds:
        p = ray_cli("job", "list", "--address", address)
        if p.returncode == 0:
            return
        last = p.stderr[-500:]
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"ray start exited: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(2)
    pytest.fail(f"the Jobs API did not come up: {last}")


def submit(address: str, entrypoint: str, wait: bool, timeout: float = 900) -> subprocess.CompletedProcess:
    """`ray job submit`, retried while the node's job agent is still starting ("No available agent")."""
    args = ["job", "submit", "--address", address, "--working-dir", str(ROOT),
            "--runtime-env-json", json.dumps({"excludes": [".venv", "runs", ".git", "tests/artifacts", "bench/out"]}),
            *([] if wait else ["--no-wait"]), "--", *entrypoint.split()]
    for _ in range(30):
        p = ray_cli(*args, timeout=timeout)
        if "No available agent" not in p.stdout + p.stderr:
            return p
        time.sleep(2)
    return p


def _head(env: dict, temp: str, wait: bool = True):
    """``ray start --head --block`` on 127.0.0.1 with ``env``; yields the Jobs API address, then stops it."""
    port, dash = free_port(), free_port()
    ray_bin = str(Path(sys.executable).parent / "ray")
    proc = subprocess.Popen([ray_bin, "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
                             "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}", "--num-cpus=2", f"--temp-dir={temp}",
                             "--include-dashboard=true", "--disable-usage-stats", *node_ports()],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    address = f"http://127.0.0.1:{dash}"
    try:
        if wait:  # (the CLI check needs the test's own auth settings)
            wait_for_jobs_api(address, proc)
        yield address
    finally:
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


@pytest.fixture
def user_shell(tmp_path, no_inprocess_ray):
    """A fresh shell as the README assumes: the venv on PATH, no RAY_* variables, its own HOME (where
    `ray start --head` keeps the cluster's token, ~/.ray/auth_token)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in cluster_env().items() if not k.startswith("RAY_")}
    env["HOME"] = str(home)
    return env


@pytest.mark.slow  # starts a cluster and submits twice (~2-3 min); factory submit's parts: tests/unit/test_submit_output.py
def test_factory_submit_and_ray_job_submit_as_a_user_types_them(tmp_path, user_shell):
    """A fresh shell (no RAY_* variables) on a machine with a Ray token (`ray get-auth-token --generate`, as Ray's
    docs say), `ray start --head`: a plain `ray job submit` is refused for want of the token, `factory submit
    RECIPE` and the README's `RAY_AUTH_MODE=token ray job submit ... -- python -m factory run RECIPE` both
    succeed on that one cluster, each writing its run."""
    ray_bin = str(Path(sys.executable).parent / "ray")
    gen = subprocess.run([ray_bin, "get-auth-token", "--generate"], env=user_shell, capture_output=True, text=True, timeout=60)
    assert gen.returncode == 0 and (Path(user_shell["HOME"]) / ".ray/auth_token").is_file(), gen.stderr
    temp = tempfile.mkdtemp(prefix="rs", dir="/tmp")
    recipe = write_recipe(tmp_path)
    (tmp_path / "b").mkdir()
    recipe_b = write_recipe(tmp_path / "b")  # the second job makes its own run (the same recipe would resume the first)
    job = ["job", "submit", "--address", None, "--working-dir", str(ROOT), "--runtime-env-json",
           json.dumps({"excludes": [".venv", "runs", ".git", "tests/artifacts", "bench/out"]}),
           "--", "python", "-m", "factory", "run", str(recipe_b), "--skip-train", "--skip-eval"]
    for address in _head(user_shell, temp, wait=False):
        job[3] = address
        t0, p = time.time(), None
        while time.time() - t0 < 180:  # the Jobs API comes up after `ray start` returns
            p = subprocess.run([ray_bin, *job], env=user_shell, capture_output=True, text=True, timeout=900)
            if "Authentication required" in p.stdout + p.stderr:
                break
            time.sleep(3)
        assert p.returncode != 0 and "Authentication required" in p.stdout + p.stderr, (p.stdout + p.stderr)[-2000:]
        p = subprocess.run([sys.executable, "-m", "factory", "submit", str(recipe), "--address", address, "--working-dir", str(ROOT),
                            "--", "--skip-train", "--skip-eval"], env=user_shell, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0 and "succeeded" in p.stdout, (p.stdout + p.stderr)[-3000:]
        for _ in range(30):
            p = subprocess.run([ray_bin, *job], env={**user_shell, "RAY_AUTH_MODE": "token"}, capture_output=True, text=True, timeout=900)
            if "No available agent" not in p.stdout + p.stderr:
                break
            time.sleep(2)
        assert p.returncode == 0 and "succeeded" in p.stdout, (p.stdout + p.stderr)[-3000:]
        assert "run dir:" in p.stdout and "accepted" in p.stdout
    run_dirs = [d for base in (tmp_path, tmp_path / "b") for d in (base / "runs" / "tiny").iterdir()]
    assert len(run_dirs) == 2
    for d in run_dirs:
        rows = [r for f in sorted(d.glob("*/part-*.parquet")) for r in pq.read_table(f).to_pylist()]
        assert len(rows) == 12 and len({r["id"] for r in rows}) == 12


def test_auth_env_sets_token_mode_only_when_a_token_is_at_hand(tmp_path):
    from factory.submit import auth_env

    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    assert "RAY_AUTH_MODE" not in auth_env({"HOME": str(home)})  # fresh machine: the cluster has no token auth either
    (home / ".ray/auth_token").write_text("t" * 64)
    assert auth_env({"HOME": str(home)})["RAY_AUTH_MODE"] == "token"
    assert auth_env({"HOME": str(home), "RAY_AUTH_MODE": "disabled"})["RAY_AUTH_MODE"] == "disabled"  # the user's choice wins
    token = tmp_path / "tok"
    token.write_text("t" * 64)
    assert auth_env({"HOME": str(tmp_path / "none"), "RAY_AUTH_TOKEN_PATH": str(token)})["RAY_AUTH_MODE"] == "token"
