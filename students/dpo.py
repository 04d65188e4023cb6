"""DPO of the student on preference pairs: Ray Train ``TorchTrainer`` wrapping TRL's ``DPOTrainer``.

    >>> from students.pairs_data import pair_dataset
    >>> from students.dpo import run_dpo
    >>> pairs, stats = pair_dataset(rows_ds, "verifier", max_per_prompt=4)     # groupby prompt_id on Ray Data
    >>> info = run_dpo(train_cfg, {"train": pairs}, out_dir="runs/x/y/train")

Pairs are TRL's conversational preference records (prompt, chosen, rejected). With LoRA the
reference model is the same network with the adapter disabled, so no second copy is loaded (TRL's
default for PEFT models). With ``dpo.sft_first`` the SFT adapter is merged into the base weights
first: the merged model is both the starting point and the reference (Rafailov et al. 2023 start
DPO from an SFT model for the same reason: the reference should already speak the format). The DPO
adapter is then relative to that merge, so ``train/adapter`` (and ``best``) become base + SFT + DPO as
one full model (:func:`fold_sft_into`): eval, export-model and serve load what was trained.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ground.config import Config
from students.method import TrainJob, TrainMethod

log = logging.getLogger(__name__)


def _merged_init(cfg: dict, adapter: str, work: str) -> str:
    """Base + SFT adapter merged and saved once (QLoRA can then load the merge in 4 bits)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ground.models import resolve_model

    base = AutoModelForCausalLM.from_pretrained(resolve_model(cfg["student"]), dtype=torch.bfloat16 if cfg["use_gpu"] else torch.float32)
    merged = PeftModel.from_pretrained(base, adapter).merge_and_unload()
    out = str(Path(work) / "sft-merged")
    merged.save_pretrained(out)
    AutoTokenizer.from_pretrained(adapter).save_pretrained(out)
    return out


def shared_adapter(cfg: dict, local: str) -> str:
    """The SFT adapter that every DPO worker loads (``dpo.sft_first``): with Ray Train's storage in an object
    store (an object-store run dir, a multi-node cluster) it is copied there, since the driver's staging folder is
    on the driver's disk only and a worker on another node could not read it; else the local path itself."""
    from ground import fsutil

    storage = cfg.get("storage_path")
    if not storage or "://" not in storage:
        return local
    uri = fsutil.join(storage, "sft-init")
    fsutil.copy_tree(local, uri)
    return uri


def node_adapter(adapter: str, work: str) -> str:
    """``adapter`` (a path, or the URI :func:`shared_adapter` gave) as a folder on this worker's disk."""
    if "://" not in adapter:
        return adapter
    from ground import fsutil

    dst = Path(work) / "sft-init"
    if not (dst / "adapter_config.json").is_file() and not (dst / "config.json").is_file():
        fsutil.copy_tree(adapter, str(dst))
    return str(dst)


def _dpo_loop(config: dict[str, Any]) -> None:
    from trl import DPOConfig, DPOTrainer

    from students.callbacks import make_hf_callbacks
    from students.pairs_data import pair_records
    from students.render import renders_reasoning_content
    from students.traindata import shard_rows
    from students.train import fit_hf_trainer, hf_args, load_student, peft_config, start_worker

    cfg = config["train"]
    opts = cfg["dpo"]
    started = start_worker(cfg, "dpo")
    if started is None:
        return
    work, resume = started
    init = node_adapter(config["init_adapter"], work) if config.get("init_adapter") else None
    if init is not None and (Path(init) / "adapter_config.json").is_file():  # a LoRA SFT: merged into the base first
        init = _merged_init(cfg, init, work)  # (a full fine-tune's SFT stage saved the whole model: DPO starts from it)
    model, tok = load_student(cfg, init)
    if cfg.get("chat_template_text"):
        tok.chat_template = cfg["chat_template_text"]  # as SFT: eval and the saved adapter render with it too
    # pairs were built by a Ray Data groupby on prompt_id (students/pairs_data.py)
    inline = not renders_reasoning_content(tok)  # a trace's per-turn reasoning inline, as SFT renders it
    train_ds = pair_records(shard_rows("train"), cfg["drop_system_prompt"], inline)
    val_ds = pair_records(shard_rows("val"), cfg["drop_system_prompt"], inline) if config["has_val"] else None
    tool_pairs = bool(cfg.get("dpo_tool_pairs"))  # the collator that masks tool results reads the raw sides too
    args = DPOConfig(**hf_args(cfg, work, val_ds is not None), beta=opts["beta"], loss_type=[opts["loss_type"]],
                     max_length=cfg["max_seq_len"], **({"remove_unused_columns": False} if tool_pairs else {}))
    trainer = DPOTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds, processing_class=tok,
                         peft_config=peft_config(cfg), callbacks=make_hf_callbacks(config.get("fault"), cfg, val_ds is not None))
    if tool_pairs:  # tool results leave the DPO loss (students/dpo_mask.py); TRL's own collator, subclassed
        import dataclasses

        from students.dpo_mask import tool_mask_collator

        c = trainer.data_collator
        trainer.data_collator = tool_mask_collator(type(c), tok, **{f.name: getattr(c, f.name) for f in dataclasses.fields(c)})
    fit_hf_trainer(trainer, tok, work, val_ds is not None, resume, examples=len(train_ds))


def run_dpo(train_cfg: dict, data: dict, out_dir: str, init_adapter: str | None = None, fault: dict | None = None) -> dict:
    """DPO on pair datasets (``train``, optional ``val``) of :func:`students.pairs_data.pair_dataset`."""
    from students.train import run_ray

    return run_ray(_dpo_loop, {"init_adapter": init_adapter}, train_cfg, out_dir, "dpo", datasets=data, fault=fault)


class DPOOptions(Config):
    beta: float = Field(0.1, gt=0, description="DPO beta: how strongly the policy is held to the reference model")
    loss_type: Literal["sigmoid", "ipo", "hinge"] = Field("sigmoid", description="TRL DPO loss variant")
    pairs: Literal["verifier", "constitution", "both"] = Field(
        "both", description="where (chosen, rejected) pairs come from: verifier pass vs fail of one prompt, "
                            "constitutional revised vs initial, or both (see students/pairs.py)")
    max_pairs_per_prompt: int = Field(4, gt=0, description="cap on pairs built from one prompt_id")
    sft_first: bool = Field(False, description="SFT on the accepted rows first, merge it, then DPO from it "
                                               "(the SFT model is also the DPO reference)")


class DPO(TrainMethod):
    """Preference optimisation on (chosen, rejected) pairs built from the run's accepted and rejected rows."""

    name = "dpo"
    Options = DPOOptions
    description = "preference pairs (verifier pass vs fail, constitutional revision vs initial)"
    uses_rejects = True

    def split(self, job: TrainJob):
        from students.pairs_data import pair_dataset

        self.pairs, self.pair_stats = pair_dataset(job.rows, job.options["pairs"], job.options["max_pairs_per_prompt"])
        if self.pairs is None:
            return job.rows.limit(0), job.rows.limit(0)
        return job.split(self.pairs)

    def run(self, job: TrainJob, train, val) -> dict:
        from students.data import check_template, template_text
        from students.pairs_data import check_prompt_lengths

        if not self.pair_stats["pairs"]:
            return {"status": "skipped", "reason": f"no preference pairs ({self.pair_stats})"}
        job.cfg["chat_template_text"] = template_text(job.cfg, job.recipe.path)
        tools = self.pairs.filter(fn=lambda r: '"tool_calls"' in r["chosen"] + r["rejected"]).count() > 0
        check_template(job.cfg, job.cfg["chat_template_text"], tools)
        job.cfg["dpo_tool_pairs"] = tools
        check_prompt_lengths(job.cfg, {"train": train, **({"val": val} if val.count() else {})})  # before any training
        init = None
        if job.options["sft_first"]:
            from students.sft import run_sft
            from students.sft_data import sft_datasets

            sft_data, _ = sft_datasets(job.cfg, *job.split(job.accepted), job.recipe.path, job.drop_system)
            init = run_sft(job.cfg, sft_data, str(Path(job.out_dir) / "sft"))["adapter_dir"]
        data = {"train": train, **({"val": val} if val.count() else {})}
        info = run_dpo(job.cfg, data, job.out_dir, init_adapter=shared_adapter(job.cfg, init) if init else None, fault=job.fault)
        info["pairs"] = self.pair_stats
        if init is not None and job.cfg.get("lora"):  # ship base + SFT + DPO, not the DPO adapter eval would put on the raw student
            for sub in ("adapter", "best"):  # (lora: null: DPO trained the whole SFT model and saved it whole already)
                if (Path(job.out_dir) / sub).is_dir():
                    fold_sft_into(job.cfg["student"], init, Path(job.out_dir) / sub, bf16=job.cfg["use_gpu"])
            info.update(full_finetune=True, sft_adapter=init)
        return info


def fold_sft_into(student: str, sft_adapter: str, model_dir: Path, bf16: bool = False) -> None:
    """``model_dir``'s DPO adapter, trained on base + SFT merged (``dpo.sft_first``), becomes one full model:
    base + SFT + DPO. Eval, export-model and serve load ``train/adapter`` on the raw student; the DPO adapter
    alone there would ship a student without its SFT stage. ``bf16`` (a GPU recipe): half the memory of fp32."""
    import os
    import shutil

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ground.models import resolve_model

    base = AutoModelForCausalLM.from_pretrained(resolve_model(student), dtype=torch.bfloat16 if bf16 else torch.float32)
    merged = PeftModel.from_pretrained(PeftModel.from_pretrained(base, sft_adapter).merge_and_unload(), str(model_dir))
    tmp = model_dir.with_name(model_dir.name + ".fold")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.merge_and_unload().save_pretrained(str(tmp), safe_serialization=True)
    AutoTokenizer.from_pretrained(str(model_dir)).save_pretrained(str(tmp))  # the chat template DPO trained with
    for f in ("final.json", "log_history.json", "best.json"):
        if (model_dir / f).exists():
            shutil.copy2(model_dir / f, tmp / f)
    from ground.fsutil import umask

    for f in tmp.iterdir():  # transformers writes the weights through a private temp file (0600): share them like the rest
        if f.is_file():
            f.chmod(0o666 & ~umask())
    shutil.rmtree(model_dir)
    os.replace(tmp, model_dir)
