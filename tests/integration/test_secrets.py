"""A run with an API key in the environment: the key reaches the server and nothing else.

Every file the run writes (shards, cache, manifest, stats, report) and everything it logs is
searched for the key; only the server may have seen it (as the bearer token).
"""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.faults.fault_server import FaultInjectingServer
from tests.integration.test_faults import RECIPE

pytestmark = pytest.mark.integration

SECRET = "sk-test-" + "f00dfacecafe" * 3


def test_api_key_never_reaches_outputs_or_logs(tmp_path):
    with FaultInjectingServer(rate_503=0.2, retry_after_s=None) as srv:
        recipe = tmp_path / "r.yaml"
        text = RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                             url=srv.base_url, out=tmp_path / "out", limit=6)
        recipe.write_text(text.replace("max_retries: 3}", "max_retries: 3, api_key_env: FACTORY_TEST_KEY}"))
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        env["FACTORY_TEST_KEY"] = SECRET
        p = subprocess.run([sys.executable, "-m", "factory", "-v", "run", str(recipe)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr[-3000:]
        assert srv.stats()["auth"] == [f"Bearer {SECRET}"]  # the key did its job
    assert SECRET not in p.stdout and SECRET not in p.stderr
    files = [f for f in (tmp_path / "out").rglob("*") if f.is_file()]
    assert any(f.name == "manifest.json" for f in files) and any(f.suffix == ".parquet" for f in files)
    for f in files:
        assert SECRET.encode() not in f.read_bytes(), f"key leaked into {f}"
    assert "FACTORY_TEST_KEY" in (next(f for f in files if f.name == "manifest.json")).read_text()  # the name, not the value
