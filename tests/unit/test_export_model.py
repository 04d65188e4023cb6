"""``factory export-model`` into a folder that holds an earlier export (no training needed: a finished run's
adapter folder is copied as is with --no-merged)."""

import json

import yaml

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


def test_merged_weights_are_readable_like_the_other_files(tmp_path, tiny_model_path):
    """Was: merged/model.safetensors came out 0600 (transformers saves through a private temp file) next to 0644
    tokenizer files: a model exported for others to serve could not be read by them."""
    import os

    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run = finished_run(tmp_path, "A")
    src = run / "train" / "adapter"
    for f in src.iterdir():
        f.unlink()
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_path),
                           LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj"], task_type="CAUSAL_LM"))
    model.save_pretrained(str(src))
    AutoTokenizer.from_pretrained(tiny_model_path).save_pretrained(str(src))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["train"]["student"] = str(tiny_model_path)
    (run / "manifest.json").write_text(json.dumps(manifest))
    old = os.umask(0o022)
    try:
        assert export_main([str(run), "--out", str(tmp_path / "out")]) == 0
    finally:
        os.umask(old)
    modes = {f.name: f.stat().st_mode & 0o777 for f in (tmp_path / "out/merged").iterdir()}
    assert modes["model.safetensors"] == 0o644 and set(modes.values()) == {0o644}, modes


def test_export_into_the_run_s_own_train_folder_is_refused_before_it_deletes_the_adapter(tmp_path):
    """Was: --out <run>/train removed <run>/train/adapter (an earlier export's folder, it assumed) and then failed
    to copy it: the trained adapter was gone."""
    run = finished_run(tmp_path, "A")
    for out in (run / "train", run, run / "train" / "adapter" / ".."):
        assert export_main([str(run), "--out", str(out), "--no-merged"]) == 2
        assert (run / "train" / "adapter" / "weights.safetensors").read_text() == "A"
    assert export_main([str(run), "--out", str(run / "exported"), "--no-merged"]) == 0  # a new folder in the run is fine


def test_the_exported_adapter_names_its_base_by_hub_id_not_a_local_folder(tmp_path):
    """Was: adapter/adapter_config.json kept base_model_name_or_path as the training machine's folder (a model cache
    under its home), unusable elsewhere, and the model card printed that path too."""
    run = finished_run(tmp_path, "A")
    cfg = run / "train" / "adapter" / "adapter_config.json"
    cfg.write_text(json.dumps({"r": 4, "base_model_name_or_path": "/home/ann/.cache/distill-factory/smollm2-135m-instruct"}))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["recipe"]["train"]["student"] = manifest["train"]["student"] = "smollm2-135m-instruct"
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert export_main([str(run), "--out", str(tmp_path / "out"), "--no-merged"]) == 0
    exported = json.loads((tmp_path / "out" / "adapter" / "adapter_config.json").read_text())
    assert exported == {"r": 4, "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct"}
    card = (tmp_path / "out" / "README.md").read_text()
    assert "/home/ann" not in card and '"base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct"' in card
    assert "base_model: HuggingFaceTB/SmolLM2-135M-Instruct" in card.split("\n---\n")[0]
    assert json.loads(cfg.read_text())["base_model_name_or_path"].startswith("/home/ann")  # the run itself is left as it was


def test_the_card_names_its_training_datasets_by_hub_id(tmp_path):
    """Was: no `datasets` in the card's metadata at all; now --dataset ORG/NAME (repeatable) and a source read from
    the Hub's cache layout (datasets--ORG--NAME) are listed; anything else is refused in one line."""
    run = finished_run(tmp_path, "A")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["recipe"]["source"] = {"path": "/home/ann/.cache/huggingface/hub/datasets--openai--gsm8k/snapshots/e53f/main"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert export_main([str(run), "--out", str(tmp_path / "out"), "--no-merged", "--dataset", "me/gsm8k-distilled"]) == 0
    meta = yaml.safe_load((tmp_path / "out" / "README.md").read_text().split("\n---\n")[0][4:])
    assert meta["datasets"] == ["me/gsm8k-distilled", "openai/gsm8k"]
    assert export_main([str(run), "--out", str(tmp_path / "out2"), "--dataset", "/home/ann/data.jsonl"]) == 2
    assert not (tmp_path / "out2").exists()


def _front_matter(card: str) -> dict:
    import yaml

    assert card.startswith("---\n"), card[:80]
    return yaml.safe_load(card.split("---\n")[1])


def test_model_card_has_hub_front_matter(tmp_path):
    """Was: the card had no YAML front matter, so the Hub showed no base model, licence or library for the student,
    and a later run that used the export as a model found no licence in it (ground.models.model_license)."""
    run = finished_run(tmp_path, "A")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["recipe"]["train"]["student"] = manifest["train"]["student"] = "smollm2-135m-instruct"
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert export_main([str(run), "--out", str(tmp_path / "out"), "--no-merged"]) == 0
    card = (tmp_path / "out" / "README.md").read_text()
    # this run recorded no licences (manifest.licenses): the card says unknown rather than the base model's alone
    assert _front_matter(card) == {"license": "unknown", "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct",
                                   "library_name": "peft", "pipeline_tag": "text-generation",
                                   "tags": ["distill-factory", "distillation", "sft"]}
    assert "\n# demo student (sft)\n" in card and "- **Base model:** `smollm2-135m-instruct`" in card
    # a local base model is no Hub id: no base_model line rather than a path the Hub rejects
    local = tmp_path / "base"
    local.mkdir()
    (local / "README.md").write_text("---\nlicense: MIT\n---\n# base\n")
    manifest["recipe"]["train"]["student"] = manifest["train"]["student"] = str(local)
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert export_main([str(run), "--out", str(tmp_path / "out"), "--no-merged"]) == 0
    meta = _front_matter((tmp_path / "out" / "README.md").read_text())
    assert "base_model" not in meta and meta["license"] == "unknown"


def test_merged_export_loads_and_carries_its_card(tmp_path, tiny_model_path):
    """The merged folder loads with AutoModelForCausalLM, generates like base+adapter, and holds the card, so its
    licence is found when it is served or used as a model by a later run."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ground.models import model_license

    run = finished_run(tmp_path, "A")
    src = run / "train" / "adapter"
    for f in src.iterdir():
        f.unlink()
    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_path),
                           LoraConfig(r=2, lora_alpha=64, target_modules=["q_proj"], task_type="CAUSAL_LM", init_lora_weights=False))
    model.save_pretrained(str(src))
    AutoTokenizer.from_pretrained(tiny_model_path).save_pretrained(str(src))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["train"]["student"] = manifest["recipe"]["train"]["student"] = "smollm2-135m-instruct"
    manifest["licenses"] = {"source": {"path": "s.jsonl", "license": "Apache-2.0"},
                            "teachers": [{"name": "t", "model": "m", "license": "Apache-2.0"}],
                            "student": {"model": "smollm2-135m-instruct", "license": "Apache-2.0"}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert export_main([str(run), "--out", str(tmp_path / "out")]) == 0
    merged_dir = tmp_path / "out" / "merged"
    merged = AutoModelForCausalLM.from_pretrained(str(merged_dir)).eval()
    tok = AutoTokenizer.from_pretrained(str(merged_dir))
    ref = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_path), str(src)).eval()
    ids = tok.apply_chat_template([{"role": "user", "content": "Hi"}], add_generation_prompt=True, return_tensors="pt",
                                  return_dict=True)
    with torch.inference_mode():
        a = merged.generate(**ids, max_new_tokens=5, do_sample=False, pad_token_id=tok.pad_token_id)
        b = ref.generate(**ids, max_new_tokens=5, do_sample=False, pad_token_id=tok.pad_token_id)
    assert a.tolist() == b.tolist()
    assert _front_matter((merged_dir / "README.md").read_text())["library_name"] == "transformers"
    assert model_license(str(merged_dir)) == "apache-2.0"


def test_a_failed_export_leaves_the_earlier_export_as_it_was(tmp_path, capsys):
    """Was: the earlier export's adapter/ was deleted and this run's copied in before the merge failed (an unknown
    base model): run A's card described run B's adapter, and the command exited 2 over a half-written folder."""
    out = tmp_path / "out"
    assert export_main([str(finished_run(tmp_path, "A")), "--out", str(out), "--no-merged"]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run_b = finished_run(tmp_path, "B")
    manifest = json.loads((run_b / "manifest.json").read_text())
    manifest["train"]["student"] = manifest["recipe"]["train"]["student"] = "no-such-model"
    (run_b / "manifest.json").write_text(json.dumps(manifest))
    assert export_main([str(run_b), "--out", str(out)]) == 2
    assert "unknown model 'no-such-model'" in capsys.readouterr().err
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and sorted(p.name for p in out.iterdir()) == ["README.md", "adapter"]
