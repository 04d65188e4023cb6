import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
# the local Ray that `factory run` starts has its dashboard on for users; tests (and their subprocesses) save the
# start-up time and memory. A test of the dashboard sets it back.
os.environ.setdefault("FACTORY_DASHBOARD", "0")


def run_cli(*args: str, cwd: str | Path | None = None, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``python -m factory ...`` as a real subprocess."""
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "factory", *args], cwd=cwd or ROOT, env=e, capture_output=True, text=True, timeout=timeout)


def math_verdict(v, completion: str, reference: str) -> tuple:
    """(score, reason) of a ``math_answer`` verifier ``v`` on one completion against ``reference``."""
    r = v.verify({"prompt": "q", "completion": completion, "reference": reference})
    return r.score, r.reason


def verify_in_thread(llm, verifier, rows: list[dict], seconds: float = 600) -> tuple[list, list[int]]:
    """``verifier.verify_batch(rows)`` in a worker thread (as Ray Data calls it), counting the rows of each
    ``generate`` call the real engine behind ``llm`` receives. Returns (verdicts, calls)."""
    llm.teacher()  # load first, then count generate calls on the real engine
    calls: list[int] = []
    real = llm._teacher.generate
    llm._teacher.generate = lambda reqs: calls.append(len(reqs)) or real(reqs)
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("out", verifier.verify_batch(rows)))
    t.start()
    t.join(seconds)
    del llm._teacher.generate
    assert not t.is_alive() and "out" in box, "verify_batch did not finish in the worker thread"
    return box["out"], calls


_RAY_KW = dict(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)


@pytest.fixture
def ray_local():
    """A real local Ray in this process, started on first use and shared by later tests (shut down at the end)."""
    import ray

    os.environ.pop("RAY_ADDRESS", None)
    if not ray.is_initialized():
        ray.init(**_RAY_KW)
    yield ray


@pytest.fixture
def no_inprocess_ray():
    """For tests that start their own cluster (`ray start`): no in-process Ray may be connected meanwhile."""
    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    yield


@pytest.fixture(scope="session", autouse=True)
def _shutdown_ray_at_end():
    yield
    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            ray.shutdown()


@pytest.fixture(scope="session")
def tiny_model_path():
    from ground.models import resolve_model

    return resolve_model("smollm2-135m-instruct")
