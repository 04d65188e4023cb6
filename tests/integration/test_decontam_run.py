"""Decontamination as a run records it: the manifest's counts are the decontam stage's, and the exported dataset
card's provenance names each benchmark's licence. One small run (6 prompts, n=2) on a local Ray against the
fault-injecting fake OpenAI server (no model: its answers are canned)."""

import json
from pathlib import Path

import pytest

from curation.dedup.benchmarks import shared_data_file
from tests.conftest import ROOT
from tests.faults.fault_server import FaultInjectingServer

pytestmark = pytest.mark.integration

RECIPE = """name: decon
source: {{path: {data}, fields: {{prompt: question, reference: answer}}}}
prompt: {{template: {tmpl}}}
teacher:
  name: fake
  engine: openai_compat
  model: fake-model
  n: 2
  sampling: {{max_tokens: 16, seed: 3}}
  options: {{base_url: "{url}", concurrency: 4, timeout_s: 10}}
accept_unverifiable: true
dedup:
  exact: {{compare: prompt}}
  decontam: {{benchmarks: [gsm8k_test], compare: prompt}}
output: {{dir: {out}, shard_size: 4}}
"""


def test_the_manifest_counts_the_rows_decontamination_checked_and_the_card_names_the_benchmark_licence(tmp_path, ray_local):
    """Was: `contamination.rows` was every row of the run (12 here: 6 prompts x n=2) while the decontam stage saw
    only what exact dedup left (6), so "2 of 12 rows contaminated" undercounted the rate by half; and the dataset
    card's provenance said `"license": null` for gsm8k_test (the recipe's unset key) though the registry says MIT."""
    from factory.export import export_run
    from factory.pipeline import run_recipe

    test = [json.loads(x) for x in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()[:2]]
    train = [json.loads(x) for x in (ROOT / "data/gsm8k_sample/train.jsonl").read_text(encoding="utf-8").splitlines()]
    train = [r for r in train if r["question"] not in {t["question"] for t in test}][:4]
    data = tmp_path / "prompts.jsonl"
    data.write_text("".join(json.dumps({"question": r["question"], "answer": r["answer"]}) + "\n" for r in test + train))
    with FaultInjectingServer(retry_after_s=None) as srv:
        recipe = tmp_path / "r.yaml"
        recipe.write_text(RECIPE.format(data=data, tmpl=ROOT / "recipes/prompts/gsm8k.txt", url=srv.base_url, out=tmp_path / "out"))
        res = run_recipe(str(recipe))
    assert res.status == "succeeded"
    run = Path(res.run_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    stats = json.loads((run / "stats.json").read_text())
    con = manifest["contamination"]
    assert stats["summary"]["rows"] == 12 and stats["stages"]["dedup_exact"]["out"] == 6
    assert (con["rows"], con["run_rows"], con["contaminated"]) == (6, 12, 2)
    assert con["per_benchmark"]["gsm8k_test"]["rows"] == 2 and stats["stages"]["decontam"]["in"] == 6
    export_run(str(run), str(tmp_path / "ds"), "jsonl")
    card = (tmp_path / "ds" / "README.md").read_text(encoding="utf-8")
    dedup = json.loads(next(x for x in card.splitlines() if x.startswith("- Dedup: ")).removeprefix("- Dedup: ").strip("`"))
    assert dedup["decontam"]["benchmarks"] == [{"name": "gsm8k_test", "license": "MIT"}]
    assert '"license": null' not in card
    decon = json.loads(next(x for x in card.splitlines() if x.startswith("- Decontamination: ")).removeprefix("- Decontamination: "))
    assert (decon["rows"], decon["run_rows"], decon["contaminated"]) == (6, 12, 2)
