"""The GPU checks' CPU-checkable parts: run.sh parses, the benches' dry runs parse arguments and write the one
figures file, the peak-FLOPs table, the junit reading that makes a skipped GPU test fail the run.

Run: pytest -q tests/unit/test_gpu_checks.py          (the checks themselves: bash tests/gpu/run.sh on a GPU)
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.bench_lora_mfu import PEAK_BF16, peak_tflops  # noqa: E402
from bench.gpu_figures import junit_counts, summary  # noqa: E402


def py(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


def test_run_sh_parses_and_has_its_global_limit():
    r = subprocess.run(["bash", "-n", "tests/gpu/run.sh"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (ROOT / "tests/gpu/run.sh").read_text()
    assert "set -euo pipefail" in text and "exec timeout 900 bash" in text
    for step in ("pytest_gpu", "bench_vllm_stage", "bench_lora_mfu", "install", "model"):
        assert f"step {step} " in text


def test_bench_dry_runs_write_one_figures_file(tmp_path):
    fig = tmp_path / "gpu_figures.json"
    a = py("bench/bench_vllm_stage.py", "--dry-run", "--prompts", "5", "--max-tokens", "7", "--out", str(fig))
    assert a.returncode == 0, a.stderr
    b = py("bench/bench_lora_mfu.py", "--dry-run", "--batch", "2", "--seq", "64", "--out", str(fig))
    assert b.returncode == 0, b.stderr
    f = json.loads(fig.read_text())
    v, lo = f["bench_vllm_stage"], f["bench_lora_mfu"]
    assert (v["dry_run"], v["prompts"], v["max_tokens"], v["processor"]) == (True, 5, 7, True)
    assert v["engine_kwargs"]["logprobs_mode"] == "raw_logprobs" and v["engine_kwargs"]["enforce_eager"] is True
    assert (lo["batch"], lo["seq"], lo["lora_r"], lo["qlora_4bit"]) == (2, 64, 16, True)
    assert "vllm" not in sys.modules


def test_figures_go_to_out_when_it_is_set(tmp_path):
    r = py("bench/bench_lora_mfu.py", "--dry-run", env={"OUT": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "gpu_figures.json").read_text())["bench_lora_mfu"]["dry_run"] is True


def test_bad_arguments_exit_2_with_the_reason(tmp_path):
    r = py("bench/bench_vllm_stage.py", "--dry-run", "--prompts", "0", "--out", str(tmp_path / "f.json"))
    assert r.returncode == 2 and "--prompts and --max-tokens must be >= 1" in r.stderr
    r = py("bench/bench_lora_mfu.py", "--dry-run", "--seq", "0", "--out", str(tmp_path / "f.json"))
    assert r.returncode == 2 and "must be >= 1" in r.stderr


def test_peak_table_matches_gpu_names():
    assert peak_tflops("NVIDIA H200") == 989.4
    assert peak_tflops("NVIDIA H100 80GB HBM3") == 989.4 and peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0 and peak_tflops("NVIDIA L4") == 121.0
    assert peak_tflops("NVIDIA A10G") == 125.0 and peak_tflops("NVIDIA L40S") == 362.1
    assert peak_tflops("NVIDIA GeForce RTX 4090") is None
    assert {k for k, _ in PEAK_BF16} >= {"H100", "H200", "A100", "L4", "A10G"}


JUNIT = """<testsuites><testsuite name="pytest">
<testcase classname="tests.gpu.test_vllm" name="test_a"/>
<testcase classname="tests.gpu.test_vllm" name="test_b"><skipped message="vllm is not installed"/></testcase>
<testcase classname="tests.gpu.test_qlora" name="test_c"><failure message="boom"/></testcase>
</testsuite></testsuites>"""


@pytest.mark.parametrize("body, rc", [(JUNIT, 1), (JUNIT.split("\n<testcase classname=\"tests.gpu.test_vllm\" name=\"test_b\"")[0] + "</testsuite></testsuites>", 0)])
def test_a_skipped_or_failed_gpu_test_fails_the_run(tmp_path, body, rc):
    (tmp_path / "j.xml").write_text(body)
    fig = tmp_path / "f.json"
    r = py("bench/gpu_figures.py", "junit", str(tmp_path / "j.xml"), str(fig))
    assert r.returncode == rc, r.stderr
    assert py("bench/gpu_figures.py", "step", "pytest_gpu", "0", "12.34", str(fig)).returncode == 0
    s = py("bench/gpu_figures.py", "summary", str(fig))
    assert s.returncode == 0 and "step pytest_gpu" in s.stdout and "rc=0" in s.stdout and "12.3 s" in s.stdout


def test_junit_counts_and_summary(tmp_path):
    (tmp_path / "j.xml").write_text(JUNIT)
    c = junit_counts(tmp_path / "j.xml")
    assert (c["passed"], c["skipped"], c["failed"]) == (1, 1, 1)
    assert c["skips"] == ["tests.gpu.test_vllm::test_b: vllm is not installed"] and c["failures"] == ["tests.gpu.test_qlora::test_c"]
    assert junit_counts(tmp_path / "missing.xml")["error"].endswith("pytest wrote no report")
    text = summary({"date": "2026-12-02", "gpu": {"name": "NVIDIA H200"}, "steps": {"install": {"rc": 1, "seconds": 3.0}},
                    "pytest_gpu": c})
    assert text.splitlines()[0] == "GPU checks 2026-12-02 on NVIDIA H200" and "FAILED" in text and "skipped=1" in text
