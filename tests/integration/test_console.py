"""`factory run` as a user sees it: our progress lines and tables on the console, third-party output in the log file."""

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.integration

# a real run with training on Ray Train and eval, as small as it gets: 4 prompts, 1 step, base on 2 eval items
RECIPE = """name: console
source: {{path: {data}/train.jsonl, fields: {{prompt: question, reference: answer, id: id}}, limit: 4}}
prompt: {{template: {prompts}/arith.txt, system: {prompts}/arith_system.txt}}
teacher:
  engine: hf_local
  model: smollm2-135m-instruct
  sampling: {{max_tokens: 12, temperature: 0.3, seed: 1}}
  batch_size: 4
  options: {{threads: 2}}
verifiers: [{{name: math_answer}}]
accept_unverifiable: true
filters: {{length: {{max_completion: 64}}}}
output: {{dir: {out}, shard_size: 4}}
train: {{method: sft, student: smollm2-135m-instruct, drop_system_prompt: true, lora: {{r: 4, alpha: 8, dropout: 0.0}},
        epochs: 1, max_steps: 1, batch_size: 4, max_seq_len: 96, cpus_per_worker: 1}}
eval:
  source: {{path: {data}/heldout.jsonl, fields: {{prompt: question, reference: answer, id: id}}, limit: 2}}
  sampling: {{max_tokens: 12}}
  models: [base]
"""
OURS = re.compile(r"^(\([^)]*pid=\d+[^)]*\) )?\d\d:\d\d:\d\d (INFO|WARNING|ERROR) (factory|students|teachers|verifiers|curation|ground)[.:]")
NOISE = ["Failed to query Ray Train Controller", "Timeout is disabled", "{'loss'", "Loading weights", "core_worker.cc",
         "TrainingReport(", "\x1b["]


def test_console_shows_progress_and_tables_and_names_the_log(tmp_path):
    f = tmp_path / "console.yaml"
    f.write_text(RECIPE.format(data=ROOT / "data/distill_arith", prompts=ROOT / "recipes/prompts", out=tmp_path / "runs"))
    p = run_cli("run", str(f), cwd=tmp_path, env={"RAY_ADDRESS": ""})
    assert p.returncode == 0, p.stderr[-3000:]
    err = p.stderr.splitlines()
    log = Path(re.fullmatch(r"log: (\S+) \(.*\)", err[0]).group(1))
    assert log.parent == tmp_path / "runs/_logs" and p.stdout.rstrip().endswith(f"log: {log}")
    # named by recipe, UTC second and pid: two runs started in the same second no longer share one log
    assert re.fullmatch(r"console-\d{8}T\d{6}Z-\d+\.log", log.name), log.name
    # every other console line on stderr is one of our records, the training steps forwarded from the Ray worker too
    assert [x for x in err[1:] if not OURS.match(x)] == []
    assert any(re.search(r"\(RayTrainWorker pid=\d+\) .* INFO students\.\w+: train: step 1/1", x) for x in err)
    assert any(re.search(r"INFO factory\.\w+: generate\+verify: 4/4 rows", x) for x in err)
    for table_head in (["stage", "in", "out", "dropped"], ["set", "model", "system prompt", "n", "correct", "accuracy"]):
        assert re.search(r"^" + r"\s+".join(table_head), p.stdout, re.M), p.stdout
    assert re.search(r"^held-out\s+base\s+no\s+2\s", p.stdout, re.M) and "run dir: " in p.stdout
    console = p.stdout + p.stderr
    assert [n for n in NOISE if n in console] == []
    # the third-party output is in the log, with our lines
    text = log.read_text()
    assert "TrainingReport(" in text and "RayTrainWorker" in text and "generate+verify: 4/4 rows" in text
