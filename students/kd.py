"""Soft-label KD from the teacher top-k logprobs stored with each row (no teacher at train time).

    >>> from students.kd import kd_examples, run_kd
    >>> ex = kd_examples(accepted_rows)          # rows from a recipe with teacher.sampling.top_logprobs: 5
    >>> info = run_kd(train_cfg, kd_datasets(train_cfg, train_rows_ds, val_rows_ds), out_dir="runs/x/y/train")

The loss per completion token is ``alpha * T^2 * KL(teacher top-k + tail || student) + (1 - alpha) *
CE(sampled token)`` (Hinton et al. 2015; the T^2 keeps gradient scale independent of T). Teacher
top-k come from the ``teacher_topk`` column: per generated token ``[[token_id, logprob], ...]``.
Token ids are the teacher's, so teacher and student must share a tokenizer (a same-family
teacher); the completion is re-tokenised with the student tokenizer and position t gets the
teacher's t-th entry. Rows whose re-tokenised length differs from the stored top-k length are
counted (``kd_misaligned``) and use soft labels only on the common prefix: up to the first student token that is
not among the teacher's top-k at its position (:func:`aligned`).

The top-k must be the teacher's raw distribution, not one warped by its sampling temperature /
top-p; API teachers' token strings are mapped to student ids. Both checks, and why, live in
:mod:`students.kd_labels`; they run on the driver, before any worker starts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import Field

from ground.config import Config
from ground.errors import FactoryError
from students.method import TrainJob, TrainMethod, trained_on
from teachers.reasoning import join_reasoning

log = logging.getLogger(__name__)


def kd_examples(rows: list[dict], drop_system: bool = False, student_tok=None, student: str = "student",
                where: str = "this run", token_map=None) -> list[dict]:
    """Rows -> {prompt (messages), completion (text), topk}; a row without raw top-k is an error.

    ``student_tok`` maps top-k given as token strings (API teachers) to student ids; see :class:`TokenMap`
    (``token_map``: a zero-argument callable returning a cached one)."""
    from ground.conversation import without_system
    from students.kd_labels import TokenMap, check_raw, topk_removed
    from students.render import for_template

    check_raw(rows, where)
    out, tmap = [], None
    for r in rows:
        if r.get("completion") is None or not r.get("messages"):
            continue
        if not r.get("teacher_topk"):
            if topk_removed(r):
                continue  # redacted after generation (pii): its top-k were dropped with the span
            raise FactoryError(f"method kd needs stored teacher top-k logprobs (teacher.sampling.top_logprobs > 0); "
                               f"row {r['id']} has none")
        topk = json.loads(r["teacher_topk"])
        if any(step and not isinstance(step[0][0], int) for step in topk):
            if student_tok is None:
                raise FactoryError(f"method kd: row {r['id']} holds token strings; mapping them needs the student tokenizer")
            tmap = tmap or (token_map() if token_map else TokenMap(student_tok, student))
            topk = tmap.to_ids(topk, r["id"])
        msgs = json.loads(r["messages"])  # drop_system: the system text goes, a tool catalogue stays (as SFT; was: both went)
        msgs = for_template(without_system(msgs) if drop_system else msgs)
        out.append({"prompt": msgs, "completion": join_reasoning(r.get("reasoning"), r["completion"]), "topk": topk,
                    "prompt_id": r["prompt_id"]})
    if tmap is not None and tmap.dropped:
        log.warning("kd: %d top-k entries given as token strings several student tokens decode to were dropped "
                    "(their mass goes to the tail bucket)", tmap.dropped)
    return out


def encode(ex: dict, tok, max_len: int) -> tuple[dict, bool]:
    """Token ids, labels (completion only) and per-position teacher top-k; (features, misaligned). The prompt is
    rendered as SFT renders it (:func:`students.prompt_length.prompt_ids`): a template without a system role (Gemma)
    gets the system prompt in the first user turn, a tool catalogue goes to ``tools=``. Was: the template called
    bare, so a Gemma student's KD stopped on the template's "System role not supported" inside the data map."""
    from students.prompt_length import prompt_ids

    p = prompt_ids(tok, ex["prompt"], None)
    c = tok(ex["completion"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    topk = ex["topk"]
    ids = (p + c)[:max_len]
    labels = ([-100] * len(p) + c)[:max_len]
    tk: list[list] = [[] for _ in ids]
    for t in range(aligned(c[:-1], topk)):  # the appended eos has no stored teacher entry
        if len(p) + t < len(ids):
            tk[len(p) + t] = topk[t]
    return {"input_ids": ids, "labels": labels, "topk": tk}, len(c) - 1 != len(topk)


def aligned(ids: list[int], topk: list[list]) -> int:
    """How many leading positions of the student's completion ``ids`` the stored ``topk`` describe. Same length: all
    of them. Else the tokenisations differ somewhere (reasoning re-joined as "<think>\n...</think>\n" where the teacher
    wrote "...\n</think>\n\n", a token sequence the teacher sampled that re-tokenises otherwise, a stop string cut
    from the text) and every entry past that point describes another token: the common prefix ends at the first
    student token that is not among the teacher's top-k there (the teacher sampled its token from them)."""
    n = min(len(ids), len(topk))
    if len(ids) == len(topk):
        return n
    return next((t for t in range(n) if topk[t] and ids[t] not in {int(e[0]) for e in topk[t]}), n)


def collate(batch: list[dict], pad_id: int) -> dict:
    import torch

    L = max(len(b["input_ids"]) for b in batch)
    K = max([len(e) for b in batch for e in b["topk"]] + [1])
    ids = torch.full((len(batch), L), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), L), -100, dtype=torch.long)
    att = torch.zeros((len(batch), L), dtype=torch.long)
    tids = torch.zeros((len(batch), L, K), dtype=torch.long)
    tlps = torch.full((len(batch), L, K), float("-inf"))
    for i, b in enumerate(batch):
        n = len(b["input_ids"])
        ids[i, :n] = torch.tensor(b["input_ids"])
        labels[i, :n] = torch.tensor(b["labels"])
        att[i, :n] = 1
        for j, e in enumerate(b["topk"]):
            if e:
                tids[i, j, : len(e)] = torch.tensor([int(x[0]) for x in e])
                tlps[i, j, : len(e)] = torch.tensor([float(x[1]) for x in e])
    return {"input_ids": ids, "attention_mask": att, "labels": labels, "topk_ids": tids, "topk_logprobs": tlps}


def soft_terms(logits, batch: dict, temperature: float = 1.0, tail: bool = True, reduction: str = "mean"):
    """The soft-label KL of ``logits`` to a collated batch's teacher top-k: logits at t predict token t+1,
    whose stored teacher entry sits at t+1 (see :func:`encode`); positions without an entry are masked."""
    from students.losses import topk_kd_loss

    tgt, tlps = batch["labels"][:, 1:], batch["topk_logprobs"][:, 1:]
    mask = (tgt != -100).float() * (tlps[..., 0] > float("-inf")).float()
    return topk_kd_loss(logits[:, :-1], batch["topk_ids"][:, 1:], tlps, mask, temperature=temperature, tail=tail,
                        reduction=reduction), mask


def topk_kl(model, tok, examples: list[dict], max_len: int = 512, batch_size: int = 8) -> float:
    """Mean per-token KL(teacher top-k + tail || model) over the completions of ``kd_examples`` output.

    The held-out measure of soft-label KD: the base student against the student after training.

        >>> kl = topk_kl(model, tok, kd_examples(heldout_rows, drop_system=True))
    """
    import torch

    total, n = 0.0, 0.0
    for s in range(0, len(examples), batch_size):
        batch = collate([encode(e, tok, max_len)[0] for e in examples[s : s + batch_size]], tok.pad_token_id)
        with torch.inference_mode():
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        kl, mask = soft_terms(logits, batch, reduction="sum")
        total, n = total + float(kl), n + float(mask.sum())
    return total / max(n, 1.0)


def _kd_loop(config: dict[str, Any]) -> None:
    import torch.nn.functional as F
    from peft import get_peft_model
    from transformers import Trainer, TrainingArguments

    from students.callbacks import make_hf_callbacks
    from students.traindata import shard_rows
    from students.train import fit_hf_trainer, hf_args, load_student, peft_config, start_worker

    cfg = config["train"]
    alpha, T, tail = cfg["kd"]["alpha"], cfg["kd"]["temperature"], cfg["kd"]["tail"]
    started = start_worker(cfg, "kd")
    if started is None:
        return
    work, resume = started
    model, tok = load_student(cfg)
    if cfg.get("chat_template_text"):
        tok.chat_template = cfg["chat_template_text"]  # saved with the adapter: inference renders as training did
    if peft_config(cfg) is not None:
        model = get_peft_model(model, peft_config(cfg))
    # token ids, labels and per-position top-k were built by a Ray Data map (students/kd_data.py)
    train_ds = shard_rows("train", ("topk",))
    val_ds = shard_rows("val", ("topk",)) if config["has_val"] else None

    class KDTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            batch = {k: inputs.pop(k) for k in ("labels", "topk_ids", "topk_logprobs")}
            out = model(**inputs)
            logits, tgt = out.logits[:, :-1], batch["labels"][:, 1:]
            ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), tgt.reshape(-1), ignore_index=-100)
            kd, _ = soft_terms(out.logits, batch, temperature=T, tail=tail)
            loss = alpha * T * T * kd + (1 - alpha) * ce
            return (loss, out) if return_outputs else loss

    args = TrainingArguments(**hf_args(cfg, work, val_ds is not None), remove_unused_columns=False, label_names=["labels"])
    trainer = KDTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds,
                        data_collator=lambda b: collate(b, tok.pad_token_id), callbacks=make_hf_callbacks(config.get("fault"), cfg, val_ds is not None))
    fit_hf_trainer(trainer, tok, work, val_ds is not None, resume, examples=len(train_ds))


def run_kd(train_cfg: dict, data: dict, out_dir: str, fault: dict | None = None) -> dict:
    """KD on the encoded datasets of :func:`students.kd_data.kd_datasets` (``train``, optional ``val``)."""
    from students.train import run_ray

    return run_ray(_kd_loop, {}, train_cfg, out_dir, "kd", datasets=data, fault=fault)


class KDOptions(Config):
    alpha: float = Field(0.5, ge=0, le=1, description="weight of the soft-label loss; 1 - alpha weights hard-label CE")
    temperature: float = Field(1.0, gt=0, description="temperature applied to the student logits in the soft loss")
    tail: bool = Field(True, description="add the teacher mass outside its top-k as one extra bucket "
                                         "(else renormalise the top-k)")


class KD(TrainMethod):
    """Soft-label distillation from the teacher top-k logprobs stored with the accepted rows."""

    name = "kd"
    Options = KDOptions
    description = "soft labels from the stored teacher top-k logprobs"

    def run(self, job: TrainJob, train, val) -> dict:
        from students.data import template_text
        from students.kd_data import kd_datasets

        job.cfg["chat_template_text"] = template_text(job.cfg, job.recipe.path)

        # API logprobs are refused unless raw-equivalent, and token strings map to student ids only when the tokenizers match
        kept: dict[str, int] = {}
        data = kd_datasets(job.cfg, train, val, where=f"the run at {Path(job.out_dir).parent}", kept_counts=kept)
        return {**run_kd(job.cfg, data, job.out_dir, fault=job.fault), **trained_on(kept["train"], kept["val"])}
