"""Golden accepted set: the streaming plane accepts exactly the rows that the in-driver engine accepted.

``tests/fixtures/golden/expected.json`` was frozen on main before the data plane was rewritten
(commit 674f743), by ``python -m tests.integration.test_golden freeze``: a run of
``tests/fixtures/golden/recipe.yaml`` against the scripted teacher (tests/faults/fault_server.py,
``answer="arith"``, a fake named as such: its answers are a fixed mix of correct, wrong, PII, German and
duplicate answers), through math verification, PII/length/language filters, exact, MinHash and embedding
dedup and GSM8K decontamination. Re-freeze only when a behaviour change is intended, and say so.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT
from tests.faults.fault_server import FaultInjectingServer

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
#: the columns compared: everything a user reads, nothing that measures time
COLUMNS = ("id", "prompt_id", "sample_index", "category", "messages", "reference", "source", "template_hash", "request_key",
           "completion", "reasoning", "teacher", "engine", "model", "params", "finish_reason", "tokens_in", "tokens_out",
           "verdicts", "score", "status", "dedup_key", "cluster_id", "survivor_id", "cost")


def _rows(run_dir: Path, kind: str) -> list[dict]:
    return sorted((r for f in sorted((run_dir / kind).glob("*.parquet")) for r in pq.read_table(f).to_pylist()),
                  key=lambda r: r["id"])


def run_golden(tmp: Path, engines: str | None = None) -> tuple[list[dict], dict[str, str], Path]:
    """Run the golden recipe in ``tmp`` (``engines``: force MinHash's and embedding dedup's ``engine``); returns
    (accepted rows, {rejected id: reject_stage}, the run dir)."""
    from factory.pipeline import run_recipe

    work = tmp / "golden"
    shutil.copytree(GOLDEN, work, ignore=shutil.ignore_patterns("expected.json"))
    with FaultInjectingServer(answer="arith") as srv:
        recipe = work / "recipe.yaml"
        text = recipe.read_text().replace("../../../recipes", str(ROOT / "recipes")).replace("BASE_URL", srv.base_url)
        if engines:
            text = text.replace("threshold: 0.7}", f"threshold: 0.7, engine: {engines}}}").replace("threshold: 0.97}", f"threshold: 0.97, engine: {engines}}}")
            assert text.count(f"engine: {engines}") == 2
        recipe.write_text(text)
        res = run_recipe(str(recipe), output_dir=str(tmp / "runs"))
    assert res.status == "succeeded"
    from factory.run_schema import SCHEMA_VERSION, check_run

    checked = check_run(res.run_dir)  # manifest.json and stats.json follow the documented schema (docs/outputs.md)
    assert checked["manifest.json"].schema_version == SCHEMA_VERSION and checked["stats.json"].summary.rows == res.summary["rows"]
    acc = [{c: r.get(c) for c in COLUMNS} for r in _rows(Path(res.run_dir), "accepted")]
    rej = {r["id"]: r["reject_stage"] for r in _rows(Path(res.run_dir), "rejects")}
    return acc, rej, Path(res.run_dir)


@pytest.mark.integration
@pytest.mark.parametrize("engines", [None, "ray"])
def test_streaming_plane_accepts_the_golden_set(tmp_path, ray_local, engines):
    """The default engines (exact dedup from the writer's key files, MinHash and embedding in process at this
    size) and the forced Ray engines (MinHash's band shuffle over the key files' signatures, embedding dedup's
    block-pair search on Ray tasks) accept the same golden set."""
    want = json.loads((GOLDEN / "expected.json").read_text())
    acc, rej, run_dir = run_golden(tmp_path, engines)
    assert [r["id"] for r in acc] == [r["id"] for r in want["accepted"]]
    for got, exp in zip(acc, want["accepted"]):
        assert got == pytest.approx(exp), got["id"]
    assert rej == want["rejected_stage"]
    assert sorted(p.name for p in (run_dir / "keys").glob("*.parquet")) == sorted(p.name for p in (run_dir / "chunks").glob("*.parquet"))
    read = {m.parent.name: json.loads(m.read_text())["read"] for m in (run_dir / "curation").glob("*/_SUCCESS")}
    # exact dedup always decides from the key files; MinHash only on its Ray path; embedding dedup reads the shards
    assert read == {"01-dedup_exact": "keys", "02-minhash": "keys" if engines == "ray" else "shards", "03-embed_dedup": "shards"}


if __name__ == "__main__" and sys.argv[1:] == ["freeze"]:
    import tempfile

    import ray

    ray.init(num_cpus=2, include_dashboard=False)
    with tempfile.TemporaryDirectory() as d:
        acc, rej, _ = run_golden(Path(d))
    (GOLDEN / "expected.json").write_text(json.dumps({"accepted": acc, "rejected_stage": rej}, indent=1, sort_keys=True) + "\n")
    print(f"froze {len(acc)} accepted, {len(rej)} rejected; stages: "
          f"{ {s: list(rej.values()).count(s) for s in sorted(set(rej.values()))} }")
