"""Unwritable output path and a full disk: a clear error, no corrupt shard, and a later resume."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.faults.fault_server import FaultInjectingServer
from tests.integration.test_faults import write_recipe

pytestmark = pytest.mark.integration


def run(recipe: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    return subprocess.run([sys.executable, "-m", "factory", "run", str(recipe)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_output_dir_below_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with FaultInjectingServer() as srv:
        p = run(write_recipe(tmp_path, srv.base_url, tmp_path / "afile" / "out"), tmp_path)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines()[-1].startswith("error: output.dir: cannot create ")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="mounting a small tmpfs needs root")
def test_disk_full_mid_run_leaves_only_whole_shards_and_resumes(tmp_path):
    mnt = Path("/tmp") / f"factory-full-{uuid.uuid4().hex[:8]}"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        mnt.rmdir()
        pytest.skip("cannot mount tmpfs here")
    try:
        with FaultInjectingServer(latency_s=0.05) as srv:
            recipe = write_recipe(tmp_path, srv.base_url, mnt / "out", limit=24)
            p = run(recipe, tmp_path)
            assert p.returncode == 1, p.stderr[-2000:]
            assert "No space left on device" in p.stderr and "re-run to resume" in p.stderr
            files = [f for f in mnt.rglob("*") if f.is_file()]
            assert not [f for f in files if ".tmp-" in f.name]
            for f in files:
                if f.suffix == ".parquet":
                    pq.read_table(f)  # every shard that exists is whole
            # room again (same path, bigger filesystem): the re-run finishes the job
            subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], check=True)
            p = run(recipe, tmp_path)
            assert p.returncode == 0, p.stderr[-2000:]
            (run_dir,) = list((mnt / "out" / "faults").iterdir())
            rows = sum(pq.read_table(f).num_rows for k in ("accepted", "rejects") for f in (run_dir / k).glob("part-*.parquet"))
            assert rows == 48
    finally:
        subprocess.run(["umount", "-l", str(mnt)])
        mnt.rmdir()
