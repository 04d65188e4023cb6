"""SFT of the student on accepted rows: Ray Train ``TorchTrainer`` wrapping TRL's ``SFTTrainer``.

    >>> from students.sft import run_sft
    >>> info = run_sft(train_cfg, train_examples, val_examples, out_dir="runs/x/y/train")
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

from students.method import TrainJob, TrainMethod

log = logging.getLogger(__name__)


def _sft_loop(config: dict[str, Any]) -> None:
    """Runs on every Ray Train worker."""
    import datasets
    from trl import SFTConfig, SFTTrainer

    from students.callbacks import make_hf_callbacks
    from students.data import encode_sft
    from students.train import fit_hf_trainer, hf_args, load_student, peft_config, start_worker

    cfg = config["train"]
    started = start_worker(cfg, "sft")
    if started is None:
        return
    work, resume = started
    model, tok = load_student(cfg, config.get("init_model"))
    if cfg.get("chat_template_text"):
        tok.chat_template = cfg["chat_template_text"]  # saved with the adapter: inference renders as training did
    enc = [encode_sft(tok, config[k], cfg["max_seq_len"], cfg.get("reasoning", "keep"), cfg.get("reasoning_budget"))
           for k in ("train_rows", "val_rows")]
    train_ds = datasets.Dataset.from_list(enc[0])
    val_ds = datasets.Dataset.from_list(enc[1]) if enc[1] else None
    args = SFTConfig(**hf_args(cfg, work, val_ds is not None), max_length=cfg["max_seq_len"], completion_only_loss=True,
                     packing=bool(cfg.get("packing")))
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds, processing_class=tok,
                         peft_config=peft_config(cfg), callbacks=make_hf_callbacks(config.get("fault"), cfg, val_ds is not None))
    fit_hf_trainer(trainer, tok, work, val_ds is not None, resume)


def run_sft(train_cfg: dict, train_rows: list[dict], val_rows: list[dict], out_dir: str, fault: dict | None = None) -> dict:
    """SFT on TRL conversational prompt-completion examples (:func:`students.data.sft_examples`)."""
    from students.train import run_ray

    return run_ray(_sft_loop, {"train_rows": train_rows, "val_rows": val_rows}, train_cfg, out_dir, "sft",
                   has_val=bool(val_rows), fault=fault)


class SFT(TrainMethod):
    """Supervised fine-tuning on the accepted rows (completion-only loss)."""

    name = "sft"
    description = "accepted rows as prompt-completion examples"
    supports_packing = True

    def run(self, job: TrainJob, train: list[dict], val: list[dict]) -> dict:
        from students.data import sft_examples, student_template
        from students.train import drop_overlong

        cfg = job.cfg
        tr, va = job.fix(sft_examples(train)), job.fix(sft_examples(val))
        cfg["chat_template_text"] = student_template(cfg, tr + va, job.recipe.path)  # tool traces need a template that shows calls
        return run_sft(cfg, drop_overlong(cfg, tr), drop_overlong(cfg, va, "validation", required=False), job.out_dir, fault=job.fault)
