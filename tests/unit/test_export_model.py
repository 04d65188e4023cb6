"""``factory export-model`` into a folder that holds an earlier export (no training needed: a finished run's
adapter folder is copied as is with --no-merged)."""

import json

from students.export import main as export_main


def finished_run(tmp_path, name: str, adapter: bool = True):
    run = tmp_path / name
    src = run / "train" / "adapter"
    src.mkdir(parents=True)
    if adapter:
        (src / "adapter_config.json").write_text(json.dumps({"r": 4, "base_model_name_or_path": "m"}))
    (src / "weights.safetensors").write_text(name)
    (run / "manifest.json").write_text(json.dumps({"run_id": name, "recipe_name": "demo", "recipe": {"train": {"student": "m"}},
                                                  "train": {"status": "done", "method": "sft", "student": "m"}}))
    return run


def test_a_second_export_into_the_same_folder_leaves_nothing_of_the_first(tmp_path):
    """Was: --no-merged (or a full fine-tune after a LoRA run) left the earlier export's merged/ (or adapter/)
    weights next to the new model card: one folder, two runs' models."""
    out = tmp_path / "out"
    (out / "merged").mkdir(parents=True)
    (out / "merged" / "model.safetensors").write_text("run A merged")
    assert export_main([str(finished_run(tmp_path, "B")), "--out", str(out), "--no-merged"]) == 0
    assert not (out / "merged").exists() and (out / "adapter" / "weights.safetensors").read_text() == "B"
    assert export_main([str(finished_run(tmp_path, "C", adapter=False)), "--out", str(out)]) == 0
    assert not (out / "adapter").exists() and (out / "merged" / "weights.safetensors").read_text() == "C"
    assert "run `C`" in (out / "README.md").read_text()
