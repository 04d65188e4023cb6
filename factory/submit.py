"""``factory submit RECIPE``: run a recipe as a Ray job on a running cluster, authentication included.

    $ ray start --head                       # once, on the head node (Ray 2.60: token authentication is on)
    $ factory submit recipes/demo.yaml       # = ray job submit --working-dir . -- python -m factory run RECIPE

Ray 2.60 clusters started with ``ray start --head`` require a token, which the head node keeps in
``~/.ray/auth_token``; the Ray CLI only sends it when ``RAY_AUTH_MODE=token`` is set, so a plain
``ray job submit`` from a fresh shell fails with "Authentication required: Missing authentication token".
This command sets ``RAY_AUTH_MODE=token`` whenever a token is at hand (``RAY_AUTH_TOKEN``,
``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``), uploads the working directory without the venv and run
outputs, retries while the node's job agent is still starting, and exits with the job's status.
Anything after ``--`` goes to ``factory run`` (e.g. ``-- --skip-train``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ground.cli_parser import ArgumentParser

EXCLUDES = [".venv", "runs", ".git", "exports", "bench/out", "tests/artifacts"]


def auth_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with ``RAY_AUTH_MODE=token`` added when a token is available and no mode was chosen."""
    out = dict(env)
    home = Path(out.get("HOME") or Path.home())
    has_token = bool(out.get("RAY_AUTH_TOKEN")) or (out.get("RAY_AUTH_TOKEN_PATH") and Path(out["RAY_AUTH_TOKEN_PATH"]).is_file()) \
        or (home / ".ray" / "auth_token").is_file()
    if has_token and not out.get("RAY_AUTH_MODE"):
        out["RAY_AUTH_MODE"] = "token"
    return out


def command(recipe: str, address: str, working_dir: str, wait: bool, run_args: list[str]) -> list[str]:
    ray = shutil.which("ray", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")) or "ray"
    return [ray, "job", "submit", "--address", address, "--working-dir", working_dir,
            "--runtime-env-json", json.dumps({"excludes": EXCLUDES}), *([] if wait else ["--no-wait"]), "--",
            "python", "-m", "factory", "run", recipe, *run_args]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = ArgumentParser(prog="factory submit", description="run a recipe as a Ray job on a running cluster")
    p.add_argument("recipe", help="recipe path, relative to --working-dir (as the job sees it)")
    p.add_argument("--address", default=os.environ.get("RAY_ADDRESS") or "http://127.0.0.1:8265",
                   help="the cluster's dashboard/Jobs API (default: $RAY_ADDRESS or http://127.0.0.1:8265)")
    p.add_argument("--working-dir", default=".", help="uploaded to the cluster and put on the job's PYTHONPATH")
    p.add_argument("--no-wait", action="store_true", help="return once the job is submitted")
    a = p.parse_args(argv)
    if not Path(a.working_dir, a.recipe).is_file():
        print(f"factory submit: recipe not found: {Path(a.working_dir, a.recipe)}", file=sys.stderr)
        return 2
    env = auth_env({k: v for k, v in os.environ.items()})
    cmd = command(a.recipe, a.address, a.working_dir, not a.no_wait, extra)
    if not Path(cmd[0]).is_file() and not shutil.which(cmd[0]):
        print("factory submit: the `ray` command was not found (pip install 'ray[default]')", file=sys.stderr)
        return 2
    for _ in range(30):  # a fresh node's job agent answers "No available agent" for a few seconds
        rc, retry = _submit_once(cmd, env)
        if not retry:
            return rc
        time.sleep(2)
    print("factory submit: the cluster's job agent did not come up (No available agent) after 30 tries", file=sys.stderr)
    return rc


def _submit_once(cmd: list[str], env: dict[str, str]) -> tuple[int, bool]:
    """Run ``ray job submit`` once, passing its output through as it comes (a waited-for job's logs are tailed for
    the whole run). Output is held back only until Ray reports the submission, so an attempt refused with
    "No available agent" is retried without printing it. Returns (exit status, whether to retry)."""
    import threading

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
    reader.start()
    held: list[str] | None = []  # None once the job is submitted: lines go straight through
    for line in proc.stdout:
        if held is None:
            sys.stdout.write(line)
            sys.stdout.flush()
            continue
        held.append(line)
        if "submitted successfully" in line:
            sys.stdout.write("".join(held))
            sys.stdout.flush()
            held = None
    rc = proc.wait()
    reader.join()
    if held is not None and "No available agent" in "".join(held + err):
        return rc, True
    refused = re.findall(r"Failed to connect to Ray at address: (\S+?)\.?$", "".join(held or []) + "".join(err), re.M)
    if held is not None and rc != 0 and refused:  # no cluster there: one line, not ray's two chained tracebacks
        print(f"factory submit: no Ray cluster answers at {refused[-1]} (start one with `ray start --head`, or pass "
              f"--address / set RAY_ADDRESS to its dashboard, e.g. http://HEAD:8265)", file=sys.stderr)
        return 2, False
    sys.stdout.write("".join(held or []))
    sys.stderr.write("".join(err))
    return rc, False
