"""Context-distillation eval and the capability-regression check, end to end on the bundled tiny model.

The run goes through ``run_recipe`` (generation on a local Ray, then eval in the driver). Training is not
what is tested here (tests/integration/test_train_eval.py trains): the student is a LoRA adapter on the tiny
model with random (non-zero) weights, put where a finished train stage leaves it (``train/DONE``), so the
student answers differently from the base model. The engine is spied on: assertions are on the chat
messages each column's model was actually sent.
"""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from factory.pipeline import fingerprint, run_recipe
from factory.recipe import load_recipe
from students.eval_table import summary_rows
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SYSTEM = "You are a calculator. Reply with only the number."
MAX_DROP = 0.0  # any drop counts: the random-weight student is meant to trip it, but the test checks the arithmetic either way

RECIPE = """name: cd_eval
source:
  path: {train}
  fields: {{prompt: question, reference: answer, id: id}}
  limit: 2
prompt:
  template: {tmpl}
  system: {system}
teacher:
  engine: hf_local
  model: smollm2-135m-instruct
  n: 1
  sampling: {{max_tokens: 6}}
  batch_size: 4
  options: {{threads: 2}}
verifiers:
  - name: math_answer
output:
  dir: {out}
  shard_size: 2
train:
  method: sft
  student: smollm2-135m-instruct
  drop_system_prompt: true
eval:
  source:
    path: {test}
    fields: {{prompt: question, reference: answer, id: id}}
    limit: 3
  sampling: {{max_tokens: 8}}
  models: [base, student, teacher]
  batch_size: 4
  regression:
    source:
      path: {reg}
      fields: {{prompt: question, reference: answer, id: id, category: category}}
    verifiers:
      - name: math_answer
    sampling: {{max_tokens: 12}}
    max_drop: {max_drop}
"""


def random_lora(dst: Path, base_path: str) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base_path)
    cfg = LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False, task_type="CAUSAL_LM")
    get_peft_model(model, cfg).save_pretrained(str(dst))


def parquet_rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_context_distillation_eval_and_regression_check(tmp_path, ray_local, tiny_model_path):

    items = [json.loads(x) for x in (ROOT / "data/regression_general/items.jsonl").read_text().splitlines()]
    reg_items = [items[i] for i in (10, 11, 20, 24)]  # two factual, two format-following
    (tmp_path / "reg.jsonl").write_text("".join(json.dumps(i) + "\n" for i in reg_items))
    (tmp_path / "system.txt").write_text(SYSTEM + "\n")
    f = tmp_path / "r.yaml"
    f.write_text(RECIPE.format(train=ROOT / "data/distill_arith/train.jsonl", tmpl=ROOT / "recipes/prompts/arith.txt",
                               system=tmp_path / "system.txt", out=tmp_path / "runs", test=ROOT / "data/distill_arith/test.jsonl",
                               reg=tmp_path / "reg.jsonl", max_drop=MAX_DROP))
    test_qs = [json.loads(x)["question"] for x in (ROOT / "data/distill_arith/test.jsonl").read_text().splitlines()[:3]]

    # a finished train stage: the student adapter and train/DONE in the run dir the pipeline will use
    recipe = load_recipe(str(f))
    train_dir = tmp_path / "runs" / "cd_eval" / fingerprint(recipe) / "train"
    random_lora(train_dir / "adapter", tiny_model_path)
    (train_dir / "DONE").write_text(json.dumps({"status": "done", "method": "sft", "adapter_dir": str(train_dir / "adapter")}))

    res = run_recipe(str(f))
    run = Path(res.run_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "succeeded" and manifest["train"]["adapter_dir"] == str(train_dir / "adapter")

    # --- what was sent. Each model is scored in its own Ray task, which writes every request it made (messages and
    # sampling params) to eval/<model>.parquet: the held-out set for the three columns, the regression set for base
    # and student only. The teacher keeps its system prompt; base and student get none at all.
    assert sorted(p.name for p in (run / "eval").glob("*.parquet")) == [
        "base.parquet", "regression_base.parquet", "regression_student.parquet", "student.parquet", "teacher.parquet"]

    def sent(name: str) -> tuple[list, set]:
        rows = parquet_rows(run / "eval" / f"{name}.parquet")
        return [json.loads(r["messages"]) for r in rows], {json.loads(r["params"])["max_tokens"] for r in rows}

    msgs, mt = sent("teacher")
    assert mt == {8} and msgs == [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q + "\n"}] for q in test_qs]
    for m in ("base", "student"):
        msgs, mt = sent(m)
        assert mt == {8} and msgs == [[{"role": "user", "content": q + "\n"}] for q in test_qs]  # no system message at all
        msgs, mt = sent(f"regression_{m}")
        assert mt == {12} and msgs == [[{"role": "user", "content": i["question"]}] for i in reg_items]

    # --- what was recorded: the eval table says which prompt variant each column used, matching the parquet rows
    ev = manifest["eval"]
    table = ev["table"]
    assert ev["drop_system_prompt"] is True
    assert {m: v["system_prompt"] for m, v in table.items()} == {"base": False, "student": False, "teacher": True}
    for m, v in table.items():
        rows = parquet_rows(run / "eval" / f"{m}.parquet")
        has_sys = [any(x["role"] == "system" for x in json.loads(r["messages"])) for r in rows]
        assert has_sys == [m == "teacher"] * 3
        assert v["n"] == 3 and v["correct"] == sum(r["status"] == "accepted" for r in rows)
    assert ev["delta_vs_base"]["held_out"] == pytest.approx(table["student"]["accuracy"] - table["base"]["accuracy"], abs=1e-6)

    # --- the regression block: both scores, n, delta, and the flag, recomputed here from the scored rows
    block = ev["regression"]
    assert block["n"] == 4 and block["max_drop"] == MAX_DROP and block["verifiers"] == ["math_answer"]
    acc = {}
    for m in ("base", "student"):
        rows = parquet_rows(run / "eval" / f"regression_{m}.parquet")
        assert [r["reference"] for r in rows] == [i["answer"] for i in reg_items]
        correct = sum(r["status"] == "accepted" for r in rows)
        assert (block[m]["n"], block[m]["correct"], block[m]["system_prompt"]) == (4, correct, False)
        acc[m] = correct / 4
        assert block[m]["accuracy"] == acc[m]
    base_out = [r["completion"] for r in parquet_rows(run / "eval" / "regression_base.parquet")]
    student_out = [r["completion"] for r in parquet_rows(run / "eval" / "regression_student.parquet")]
    assert base_out != student_out  # the adapter was really applied
    assert block["delta"] == pytest.approx(acc["student"] - acc["base"], abs=1e-6)
    assert block["regressed"] is (acc["student"] < acc["base"] - MAX_DROP)
    assert set(block["per_category_delta"]) == {"factual", "format"}
    assert ev["delta_vs_base"]["regression"] == block["delta"]

    # the CLI summary prints both sets and the verdict
    rows, header, notes = summary_rows(ev)
    assert [r[:3] for r in rows] == [["held-out", "base", "no"], ["held-out", "student", "no"], ["held-out", "teacher", "yes"],
                                     ["regression", "base", "no"], ["regression", "student", "no"]]
    assert notes[0].endswith("REGRESSED" if block["regressed"] else "ok")
