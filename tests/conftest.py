import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def run_cli(*args: str, cwd: str | Path | None = None, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``python -m factory ...`` as a real subprocess."""
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "factory", *args], cwd=cwd or ROOT, env=e, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def ray_local():
    """One real local Ray for the integration tests of a session; shut down at the end."""
    import ray

    os.environ.pop("RAY_ADDRESS", None)
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def tiny_model_path():
    from factory.models import resolve_model

    return resolve_model("smollm2-135m-instruct")
