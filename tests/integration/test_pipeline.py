"""End to end on a real local Ray with the bundled tiny model: generate -> verify -> dedup -> Parquet, resume."""

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from factory.pipeline import run_recipe
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

TINY = """name: tiny
source:
  path: {data}
  fields: {{prompt: question, reference: answer}}
  limit: 6
prompt:
  template: {tmpl}
teacher:
  engine: hf_local
  model: smollm2-135m-instruct
  n: 2
  sampling: {{max_tokens: 24, temperature: 0.8, seed: 3}}
  batch_size: 4
  options: {{threads: 2}}
verifiers:
  - name: math_answer
accept_unverifiable: true
output:
  dir: {out}
  shard_size: 2
"""


def write_recipe(tmp_path: Path, data: Path | None = None, **over) -> Path:
    text = TINY.format(data=data or ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                       out=tmp_path / "runs")
    f = tmp_path / "tiny.yaml"
    f.write_text(text)
    return f


def read_rows(run_dir: str, kind: str) -> list[dict]:
    files = sorted(Path(run_dir, kind).glob("part-*.parquet"))
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def test_end_to_end_and_resume(tmp_path, ray_local):
    recipe = write_recipe(tmp_path)
    res = run_recipe(str(recipe))
    run_dir = Path(res.run_dir)
    assert res.status == "succeeded"
    acc, rej = read_rows(res.run_dir, "accepted"), read_rows(res.run_dir, "rejects")
    assert len(acc) + len(rej) == 12  # 6 prompts x n=2: nothing lost
    assert len({r["id"] for r in acc + rej}) == 12
    assert all(r["completion"] is not None and r["tokens_out"] > 0 for r in acc + rej)
    assert all(r["reject_reason"] and r["reject_stage"] for r in rej)
    assert all(json.loads(r["verdicts"])["math_answer"]["version"] == "1" for r in acc + rej)
    assert sorted(p.name for p in (run_dir / "chunks").iterdir()) == [f"chunk-00000{i}.parquet" for i in range(3)]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    stats = json.loads((run_dir / "stats.json").read_text())
    assert manifest["status"] == "succeeded" and manifest["generation"]["teacher_calls"] == 12
    assert manifest["recipe"]["teacher"]["model"] == "smollm2-135m-instruct" and "ray" in manifest["versions"]
    assert stats["stages"]["source"]["in"] == 12 and stats["summary"]["accepted"] == len(acc)
    teacher = stats["cost"]["generate"]["by_teacher"]["teacher"]
    assert (teacher["rows"], teacher["calls"], teacher["tokens_out"]) == (12, 12, sum(r["tokens_out"] for r in acc + rej))
    assert teacher["busy_seconds"] == pytest.approx(sum(r["gen_seconds"] for r in acc + rej), abs=0.01)
    assert stats["cost"]["gpu"]["reserved_gpu_seconds"] == 0.0 and manifest["cost"] == stats["cost"]
    assert not list(run_dir.rglob("*.tmp-*"))

    # crash simulation: one chunk and the final shards are gone; the re-run pays no teacher call
    (run_dir / "chunks/chunk-000001.parquet").unlink()
    shutil.rmtree(run_dir / "accepted")
    res2 = run_recipe(str(recipe))
    assert res2.run_id == res.run_id
    m2 = json.loads((run_dir / "manifest.json").read_text())
    assert m2["generation"]["chunks_skipped"] == 2 and m2["generation"]["teacher_calls"] == 0
    assert m2["generation"]["cache_hits_prefilled"] == 4
    key = lambda r: (r["id"], r["completion"], r["status"])  # noqa: E731
    assert sorted(map(key, read_rows(res2.run_dir, "accepted"))) == sorted(map(key, acc))
    assert sorted(map(key, read_rows(res2.run_dir, "rejects"))) == sorted(map(key, rej))

    # a third run with everything done does nothing at all
    res3 = run_recipe(str(recipe))
    m3 = json.loads((run_dir / "manifest.json").read_text())
    assert m3["generation"]["rows_pending"] == 0 and res3.summary == res2.summary


def test_malformed_source_rows_are_rejected_per_row(tmp_path, ray_local):
    src = tmp_path / "src.jsonl"
    src.write_bytes(b'{"question": "What is 2+2?", "answer": "#### 4"}\n'
                    b'{not json\n'
                    b'{"answer": "#### 1"}\n'
                    b'{"question": "", "answer": "#### 1"}\n'
                    b'\xff\xfe\n')
    recipe = write_recipe(tmp_path, data=src)
    res = run_recipe(str(recipe))
    rows = read_rows(res.run_dir, "rejects") + read_rows(res.run_dir, "accepted")
    assert len(rows) == 10
    src_rej = sorted({r["reject_reason"] for r in rows if r["reject_stage"] == "source"})
    assert len(src_rej) == 4
    assert any(x.startswith("bad JSON") and "[src.jsonl:2]" in x for x in src_rej)
    assert any(x.startswith("missing field 'question'") and "[src.jsonl:3]" in x for x in src_rej)
    assert any(x.startswith("empty prompt") for x in src_rej)
    assert any(x.startswith("not UTF-8") and "[src.jsonl:5]" in x for x in src_rej)
    assert {k: res.stats["source"][k] for k in ("in", "out", "dropped")} == {"in": 10, "out": 2, "dropped": {"bad JSON": 2, "missing field 'question'": 2,
                                                                   "empty prompt in field 'question'": 2, "not UTF-8": 2}}
