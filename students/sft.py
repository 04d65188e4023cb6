"""SFT of the student on accepted rows: Ray Train ``TorchTrainer`` wrapping TRL's ``SFTTrainer``.

    >>> from students.sft import run_sft
    >>> data, counts = sft_datasets(train_cfg, train_rows_ds, val_rows_ds, recipe.path, drop_system=False)
    >>> info = run_sft(train_cfg, data, out_dir="runs/x/y/train")
    >>> info["adapter_dir"], info.get("best")      # final LoRA adapter; best by validation loss

``SFT`` is the ``train.method: sft`` plug-in (:mod:`students.method`).

One worker per ``train.workers`` (CPU by default; ``use_gpu`` for GPUs), PEFT LoRA (r=16,
alpha=32, dropout 0.05 on q/k/v/o by default; ``lora: null`` for full fine-tuning; QLoRA with
``load_in_4bit``: NF4 + double quantisation + bf16 compute, bitsandbytes imported lazily), examples
rendered by the student's chat template (or ``train.chat_template``) with the loss on assistant turns
only (students/render.py: tool calls and reasoning included, tool results and prompts not), cosine schedule with warm-up, optional packing (TRL best-fit decreasing,
padding-free: each packed example keeps its own position ids, so attention never crosses
examples). Checkpoints go to Ray Train each epoch (or every ``save_every_steps``); a restarted
worker resumes from the latest one (see :mod:`students.train`).
"""

from __future__ import annotations

import logging
from typing import Any

from students.method import TrainJob, TrainMethod, trained_on

log = logging.getLogger(__name__)


def _sft_loop(config: dict[str, Any]) -> None:
    """Runs on every Ray Train worker."""
    import datasets
    from trl import SFTConfig, SFTTrainer

    from students.callbacks import make_hf_callbacks
    from students.traindata import shard_rows
    from students.train import fit_hf_trainer, hf_args, load_student, peft_config, start_worker

    cfg = config["train"]
    started = start_worker(cfg, "sft")
    if started is None:
        return
    work, resume = started
    model, tok = load_student(cfg, config.get("init_model"))
    if cfg.get("chat_template_text"):
        tok.chat_template = cfg["chat_template_text"]  # saved with the adapter: inference renders as training did
    # examples were rendered and masked by a Ray Data map (students/sft_data.py); this worker reads them
    train_ds = datasets.Dataset.from_list(shard_rows("train"))
    val_ds = datasets.Dataset.from_list(shard_rows("val")) if config["has_val"] else None
    args = SFTConfig(**hf_args(cfg, work, val_ds is not None), max_length=cfg["max_seq_len"], completion_only_loss=True,
                     packing=bool(cfg.get("packing")))
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds, processing_class=tok,
                         peft_config=peft_config(cfg), callbacks=make_hf_callbacks(config.get("fault"), cfg, val_ds is not None))
    fit_hf_trainer(trainer, tok, work, val_ds is not None, resume, examples=len(train_ds))


def run_sft(train_cfg: dict, data: dict, out_dir: str, fault: dict | None = None) -> dict:
    """SFT on the encoded example datasets of :func:`students.sft_data.sft_datasets` (``train``, optional ``val``)."""
    from students.train import run_ray

    return run_ray(_sft_loop, {}, train_cfg, out_dir, "sft", datasets=data, fault=fault)


class SFT(TrainMethod):
    """Supervised fine-tuning on the accepted rows (completion-only loss)."""

    name = "sft"
    description = "accepted rows as prompt-completion examples"
    supports_packing = True
    supports_reasoning = True

    def run(self, job: TrainJob, train, val) -> dict:
        from students.sft_data import sft_datasets

        data, counts = sft_datasets(job.cfg, train, val, job.recipe.path, job.drop_system)
        return {**run_sft(job.cfg, data, job.out_dir, fault=job.fault), **trained_on(counts["examples"], counts["val_examples"])}
