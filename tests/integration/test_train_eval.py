"""SFT through Ray Train + TRL + LoRA on the tiny model, then eval of base/student/teacher, on CPU."""

import json
from pathlib import Path

import pytest
from safetensors.torch import load_file

from factory.pipeline import run_recipe
from tests.conftest import ROOT
from tests.integration.test_pipeline import TINY

pytestmark = pytest.mark.integration

TRAIN = """train:
  method: sft
  student: smollm2-135m-instruct
  max_steps: 3
  batch_size: 2
  max_seq_len: 128
  cpus_per_worker: 1
eval:
  source:
    path: {test}
    fields: {{prompt: question, reference: answer}}
    limit: 3
  sampling: {{max_tokens: 16}}
  models: [base, student, teacher]
"""


@pytest.mark.slow  # a full run with SFT and eval (~1.5 min); the same path in the default run: test_console.py (run, train, eval tables), test_eval_regression.py, test_train_data.py::test_sft_trains_on_the_runs_parquet_without_rows_in_the_driver
def test_sft_then_eval(tmp_path, ray_local):
    text = TINY.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt", out=tmp_path / "runs")
    text = text.replace("verifiers:\n  - name: math_answer\n", "")  # no verifier: every row trains
    text += TRAIN.format(test=ROOT / "data/gsm8k_sample/test.jsonl")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text)
    res = run_recipe(str(recipe))
    run = Path(res.run_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    tr = manifest["train"]
    assert tr["status"] == "done" and tr["train_rows"] + tr["val_rows"] == manifest["counts"]["accepted"] > 0
    adapter = run / "train" / "adapter"
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    assert (cfg["r"], cfg["lora_alpha"], cfg["lora_dropout"]) == (16, 32, 0.05)
    assert set(cfg["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj"}
    weights = load_file(str(adapter / "adapter_model.safetensors"))
    assert any("lora_B" in k and float(v.abs().sum()) > 0 for k, v in weights.items())  # training moved B off zero
    assert [h["step"] for h in tr["log_history"] if "loss" in h] == [1, 2, 3]
    table = manifest["eval"]["table"]
    assert set(table) == {"base", "student", "teacher"}
    assert all(v["n"] == 3 and 0 <= v["correct"] <= 3 for v in table.values())
    assert (run / "eval" / "student.parquet").exists()
    # re-running skips training and eval (markers), keeping the same results
    res2 = run_recipe(str(recipe))
    m2 = json.loads((run / "manifest.json").read_text())
    assert m2["train"]["adapter_dir"] == tr["adapter_dir"] and m2["eval"]["table"] == table
    assert res2.timings["train"] < 5
