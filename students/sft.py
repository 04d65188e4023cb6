"""SFT of the student on accepted rows: Ray Train ``TorchTrainer`` wrapping TRL's ``SFTTrainer``.

    >>> from students.sft import run_sft
    >>> info = run_sft(train_cfg, train_rows, val_rows, out_dir="runs/x/y/train")
    >>> info["adapter_dir"]                      # LoRA adapter + tokenizer, loadable with peft

One worker per ``train.workers`` (CPU by default; ``use_gpu`` for GPUs), PEFT LoRA (r=16,
alpha=32, dropout 0.05 on q/k/v/o by default; ``lora: null`` for full fine-tuning), loss on the
completion only, cosine schedule with warm-up. Rank 0 reports the final adapter as a Ray Train
checkpoint; the driver copies it to ``<run_dir>/train/adapter`` and writes ``train/DONE`` so a
re-run skips training.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from factory.errors import FactoryError

log = logging.getLogger(__name__)


def _sft_loop(config: dict[str, Any]) -> None:
    """Runs on every Ray Train worker."""
    import datasets
    import ray.train
    import torch
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from factory.models import resolve_model

    cfg = config["train"]
    if not cfg["use_gpu"]:
        torch.set_num_threads(max(1, int(cfg["cpus_per_worker"])))
    path = resolve_model(cfg["student"])
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    dtype = torch.bfloat16 if cfg["use_gpu"] else torch.float32
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    train_ds = datasets.Dataset.from_list(config["train_rows"])
    val_ds = datasets.Dataset.from_list(config["val_rows"]) if config["val_rows"] else None
    work = tempfile.mkdtemp(prefix="factory-sft-")
    args = SFTConfig(
        output_dir=work, num_train_epochs=cfg["epochs"], max_steps=cfg["max_steps"],
        per_device_train_batch_size=cfg["batch_size"], per_device_eval_batch_size=cfg["batch_size"],
        gradient_accumulation_steps=cfg["grad_accum"], learning_rate=cfg["learning_rate"], lr_scheduler_type="cosine",
        warmup_steps=cfg["warmup_ratio"], logging_steps=1, eval_strategy="epoch" if val_ds is not None else "no",
        save_strategy="no", report_to="none", max_length=cfg["max_seq_len"], seed=cfg["seed"], use_cpu=not cfg["use_gpu"],
        bf16=bool(cfg["use_gpu"]), completion_only_loss=True, dataloader_num_workers=0, disable_tqdm=True,
    )
    lora = cfg.get("lora")
    peft_config = LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], target_modules=lora["target_modules"],
                             task_type="CAUSAL_LM") if lora else None

    class _Report(TrainerCallback):  # stream metrics to Ray Train (shows in `ray job logs` and the result)
        def on_log(self, a, state, control, logs=None, **kw):
            if logs and ray.train.get_context().get_world_rank() == 0:
                log.info("train step %s: %s", state.global_step, {k: round(v, 4) if isinstance(v, float) else v for k, v in logs.items()})

    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds, processing_class=tok,
                         peft_config=peft_config, callbacks=[_Report()])
    trainer.train()
    metrics = {"train_loss": next((h["train_loss"] for h in reversed(trainer.state.log_history) if "train_loss" in h), None)}
    if val_ds is not None:
        metrics["eval_loss"] = trainer.evaluate()["eval_loss"]
    ckpt = None
    if ray.train.get_context().get_world_rank() == 0:
        out = Path(work) / "final"
        trainer.save_model(str(out))
        tok.save_pretrained(str(out))
        (out / "log_history.json").write_text(json.dumps(trainer.state.log_history))
        ckpt = ray.train.Checkpoint.from_directory(str(out))
    ray.train.report(metrics, checkpoint=ckpt)


def run_sft(train_cfg: dict, train_rows: list[dict], val_rows: list[dict], out_dir: str) -> dict:
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from factory.pipeline import _init_ray

    _init_ray()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    resources = {"CPU": train_cfg["cpus_per_worker"]}
    trainer = TorchTrainer(
        _sft_loop,
        train_loop_config={"train": train_cfg, "train_rows": train_rows, "val_rows": val_rows},
        scaling_config=ScalingConfig(num_workers=train_cfg["workers"], use_gpu=train_cfg["use_gpu"], resources_per_worker=resources),
        run_config=RunConfig(name="sft", storage_path=str((out / "ray").resolve()), failure_config=FailureConfig(max_failures=2)),
    )
    result = trainer.fit()
    if result.checkpoint is None:
        raise FactoryError(f"training finished without a checkpoint: {result.error}")
    adapter = out / "adapter"
    tmp = out / "adapter.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with result.checkpoint.as_directory() as d:
        shutil.copytree(d, tmp)
    shutil.rmtree(adapter, ignore_errors=True)
    os.replace(tmp, adapter)
    history = json.loads((adapter / "log_history.json").read_text())
    return {"adapter_dir": str(adapter), "metrics": {k: v for k, v in (result.metrics or {}).items() if isinstance(v, (int, float))},
            "log_history": history, "full_finetune": train_cfg.get("lora") is None}


def train_if_needed(recipe, store, accepted_rows: list[dict]) -> dict:
    """The pipeline's train stage: skip when ``train/DONE`` exists, else SFT on the accepted rows."""
    from students.data import sft_examples, split_by_prompt

    base = store.local_path()
    if base is None:
        raise FactoryError("training needs a local or shared-mount output.dir (object-store run dirs: train from an exported dataset)")
    out = Path(base) / "train"
    done = out / "DONE"
    if done.exists():
        log.info("training already done: %s", out / "adapter")
        return json.loads(done.read_text())
    if not accepted_rows:
        return {"status": "skipped", "reason": "no accepted rows to train on"}
    cfg = recipe.train.model_dump()
    tr, va = split_by_prompt(accepted_rows, 0.1 if len({r['prompt_id'] for r in accepted_rows}) >= 10 else 0.0, cfg["seed"])
    info = run_sft(cfg, sft_examples(tr), sft_examples(va), str(out))
    info.update(status="done", method="sft", train_rows=len(tr), val_rows=len(va), student=cfg["student"])
    done.write_text(json.dumps(info))
    return info
