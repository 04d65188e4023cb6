"""Training reads the run's Parquet on Ray Data (the driver never holds rows), DPO pairs come from a groupby
on prompt_id, and eval generation runs in Ray tasks, not in the driver."""

import json
import os
import tempfile
import time
from pathlib import Path

import pytest

from factory.store import RunStore
from ground.record import new_sample, reject, to_table
from tests.conftest import ROOT
from tests.integration.test_students import recipe as students_recipe
from tests.unit.test_pairs import row as pair_row

pytestmark = pytest.mark.integration

def _sample(i: int, k: int = 0, ok: bool = True) -> dict:
    r = new_sample(stage="t", prompt_id=f"p{i:02d}", sample_index=k, messages=[{"role": "user", "content": f"What is {i} + 1?"}],
                   completion=f"#### {i + 1}" if ok else f"#### {i + 7}", score=1.0 if ok else 0.0)
    if not ok:
        reject(r, "verify:math_answer", f"answer {i + 7} != reference {i + 1}")
    return r


def test_sft_trains_on_the_runs_parquet_without_rows_in_the_driver(tmp_path, ray_local, monkeypatch):
    import ground.fsutil
    import ground.record

    store = RunStore(str(tmp_path / "runs"), "traindata", "r1")
    accepted = [_sample(i, k) for i in range(12) for k in range(2)]
    accepted += [{**_sample(i, 3), "completion": " "} for i in range(12)]  # no answer: no example (dropped, said)
    store.write_parts("accepted", to_table(accepted))
    store.write_parts("rejects", to_table([_sample(i, 2, ok=False) for i in range(5)]))

    def refuse(*a, **k):
        raise AssertionError("the driver read rows")

    # every way the driver could turn the run's Parquet into rows is closed during training
    monkeypatch.setattr(RunStore, "read_parts", refuse)
    monkeypatch.setattr(RunStore, "read_chunks", refuse)
    monkeypatch.setattr(ground.record, "from_table", refuse)
    monkeypatch.setattr(ground.fsutil, "read_parquet", refuse)
    from students.train import train_if_needed

    started = time.time() - 1
    info = train_if_needed(students_recipe(tmp_path, "  method: sft\n", steps=1), store)
    assert info["status"] == "done" and info["data_run_id"] == "r1"
    # 12 prompts: one (10%) held out, its 2 samples validate; the worker trained on every other accepted row, and the
    # counts are of the examples trained on (was: the 36 rows before the empty answers were dropped, 33 / 3)
    assert (info["train_rows"], info["val_rows"]) == (22, 2)
    assert info["metrics"]["train_examples"] == 22 and "eval_loss" in info["metrics"]
    assert json.loads((tmp_path / "runs/traindata/r1/train/DONE").read_text())["train_rows"] == 22
    # the worker's work dir (trainer state, ~25 MB a fit) is gone from the node's temp dir once the fit returns
    [run_name] = [d.name for d in (tmp_path / "runs/traindata/r1/train/ray").iterdir()]
    left = [d for d in Path(tempfile.gettempdir()).glob(f"factory-{run_name}-*") if d.stat().st_mtime >= started]
    assert run_name.startswith("sft-") and not left


@pytest.mark.slow  # must train twice (the bug is the second training's settings): ~4 min on the loaded 2-core box;
# tests/unit/test_train_edges.py::test_checkpoint_key_changes_with_what_is_trained_not_with_how_it_runs is the fast pin
def test_train_stage_retrains_on_changed_settings_and_ships_a_deleted_adapter_again(tmp_path, ray_local):
    """Ray Train restores the checkpoints of an earlier run of the same name. Was: every SFT run was named "sft",
    so with train/DONE deleted and other train settings, the old 1-step final checkpoint was shipped again
    without training; and with train/adapter deleted (DONE kept) the stage returned an adapter_dir that did not
    exist. Now the Ray Train name holds a key of the settings and data: the new settings train from step 1, and
    a deleted adapter comes back from the same training's final checkpoint, without training again."""
    import shutil

    from students.train import train_if_needed

    store = RunStore(str(tmp_path / "runs"), "traindata", "r2")
    store.write_parts("accepted", to_table([_sample(i) for i in range(6)]))
    first = train_if_needed(students_recipe(tmp_path, "  method: sft\n", steps=1), store)
    assert [h["step"] for h in first["log_history"] if "loss" in h] == [1]
    train_dir = tmp_path / "runs/traindata/r2/train"
    (train_dir / "DONE").unlink()
    other = students_recipe(tmp_path, "  method: sft\n  learning_rate: 1.0e-3\n", steps=2)
    second = train_if_needed(other, store)
    assert [h["step"] for h in second["log_history"] if "loss" in h] == [1, 2]
    assert second["metrics"]["step"] == 2 and "resumed_from_step" not in second["metrics"]
    assert json.loads((train_dir / "adapter/final.json").read_text())["metrics"]["step"] == 2
    assert sorted(d.name.split("-")[0] for d in (train_dir / "ray").iterdir()) == ["sft", "sft"]  # one per settings
    shutil.rmtree(train_dir / "adapter")
    again = train_if_needed(other, store)
    assert (train_dir / "adapter/adapter_model.safetensors").is_file()
    assert again["log_history"] == second["log_history"] and again["metrics"] == second["metrics"]  # not trained again
    assert json.loads((train_dir / "DONE").read_text())["metrics"] == second["metrics"]


def _pair_fixture() -> list[dict]:
    details = {"initial": "rude answer", "revised": "polite answer", "rounds": 1,
               "critiques": [{"round": 0, "response": "rude answer", "violated": ["p1"], "error": None},
                             {"round": 1, "response": "polite answer", "violated": [], "error": None}]}
    rows = [pair_row("c1", 0, "polite answer", verdicts={"constitution": {"score": 1.0, "details": details}}),
            pair_row("c1", 1, "wrong", "rejected", "verify:v", 0.0), pair_row("p2", 0, "9"),
            pair_row("p3", 0, "1", "rejected", "verify:math_answer", 0.0),
            pair_row("p1", 3, "x", "rejected", "verify:math_answer", None, reason="unverifiable: no number")]
    rows += [pair_row("p1", k, str(k)) for k in range(3)] + [pair_row("p1", 10 + k, f"bad{k}", "rejected", "verify:v", 0.0) for k in range(5)]
    rows += [pair_row(f"q{i}", 0, f"{i}") for i in range(4)] + [pair_row(f"q{i}", 1, f"no{i}", "rejected", "verify:v", 0.0) for i in range(4)]
    return rows


def test_dpo_pairs_by_groupby_equal_the_in_memory_pairs(ray_local):
    from students.pairs import build_pairs
    from students.pairs_data import decode_pairs, pair_dataset
    from students.traindata import open_rows

    rows = _pair_fixture()
    for source in ("both", "verifier", "constitution"):
        want, want_stats = build_pairs(rows, source=source, max_per_prompt=2)
        ds, stats = pair_dataset(open_rows(rows), source, 2)
        got_rows = ds.take_all()
        got = decode_pairs(got_rows, drop_system=False)
        assert got == [{**{k: p[k] for k in ("prompt", "chosen", "rejected")}, "tools": None} for p in want], source
        assert [(r["prompt_id"], r["pair_source"]) for r in got_rows] == [(p["prompt_id"], p["pair_source"]) for p in want]
        assert stats == want_stats
    assert want_stats == {"rows_in": 21, "constitution_pairs": 1, "pairs": 1}
    assert build_pairs(rows, "both", 2)[1] == {"rows_in": 21, "verifier_pairs": 7, "prompts_only_pass": 1,
                                               "prompts_only_fail": 1, "constitution_pairs": 1, "pairs": 8}


EVAL = """eval:
  source: {{path: {test}, fields: {{prompt: question, reference: answer}}, limit: 2}}
  sampling: {{max_tokens: 6}}
  models: [base]
verifiers:
  - name: math_answer
"""


def test_eval_generates_in_a_ray_task_with_the_driver_s_results(tmp_path, ray_local):
    from students.eval import _eval_rows, _open, evaluate

    recipe = students_recipe(tmp_path, "  method: sft\n" + EVAL.format(test=ROOT / "data/gsm8k_sample/test.jsonl"), steps=1)
    res = evaluate(recipe, None)
    assert res["workers"]["base"] != os.getpid()  # generated in a Ray worker, not here
    base = res["table"]["base"]
    assert base["n"] == 2 and base["correct"] == sum(r["status"] == "accepted" for r in res["samples"]["base"])
    # the same generation in this process gives the same completions (same seeds, same sampling)
    gen = _open(recipe, "hf_local", "smollm2-135m-instruct", {"batch_size": recipe.eval.batch_size})
    try:
        here = gen([dict(r) for r in _eval_rows(recipe)])
    finally:
        gen.close()
    assert [r["completion"] for r in res["samples"]["base"]] == [r["completion"] for r in here]
    assert all(r["completion"] for r in here)
    # with a samples URI the task writes the samples itself; the driver gets only the scores
    out = evaluate(recipe, None, samples_uri=str(tmp_path / "eval"))
    assert out["samples"] == {} and out["table"] == res["table"]
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "eval/base.parquet").column("completion").to_pylist() == [r["completion"] for r in here]


def test_sft_with_no_example_left_to_train_is_one_line_naming_why(ray_local):
    """Was: when every row was dropped for a reason other than an overlong prompt (an empty answer, no assistant
    token within max_seq_len), the trainer started on no train dataset and failed deep in TRL, wrapped by Ray."""
    from ground.errors import FactoryError
    from students.sft_data import sft_datasets
    from students.traindata import open_rows

    rows = [{**_sample(i), "completion": " "} for i in range(3)]
    cfg = {"student": "smollm2-135m-instruct", "max_seq_len": 256, "chat_template": None}
    with pytest.raises(FactoryError, match=r"^train: no SFT example left to train on 3 rows \(3 with an empty answer\)$"):
        sft_datasets(cfg, open_rows(rows), open_rows([]), ROOT.joinpath, drop_system=False)
    data, counts = sft_datasets(cfg, open_rows([*rows, _sample(5)]), open_rows([]), ROOT.joinpath, drop_system=False)
    assert counts == {"train_rows": 4, "val_rows": 0, "examples": 1, "val_examples": 0} and set(data) == {"train"}
