"""On-policy distillation: the student samples, the teacher scores every sampled token, the student
minimises the per-token reverse KL (Agarwal et al. 2024 "GKD"; Gu et al. 2024 "MiniLLM"; Thinking
Machines 2025 "On-Policy Distillation").

    >>> from students.onpolicy import run_onpolicy
    >>> info = run_onpolicy(train_cfg, {"train": prompt_dataset(rows_ds)}, {"engine": "hf_local", "model": "smollm2-135m-instruct"},
    ...                     out_dir="runs/x/y/train")

Per step: ``batch_size`` prompts x ``samples_per_prompt`` completions sampled from the current
student; the teacher returns log p_T of each sampled token given its own prompt (which may carry a
system prompt the student never sees: context distillation); loss ``sampled`` is the surrogate of
:func:`students.losses.reverse_kl_sampled` (needs only the sampled tokens' teacher logprobs, so it
works against a server), ``full`` the exact :func:`students.losses.reverse_kl` (local teacher).

Teachers (:mod:`teachers.scorers`): ``hf_local`` loads the teacher on the worker; ``openai_compat``
asks an OpenAI-compatible ``/v1/completions`` server for ``prompt_logprobs`` of prompt + sampled
ids (vLLM's extension). Both check up front that teacher and student tokenise alike, because the
teacher scores the student's token ids.

Why a small loop and not TRL 1.16's ``DistillationTrainer``: its remote-teacher path
(``trl.experimental.server_distillation``) talks only to TRL's own ``vllm-serve`` client, not to an
OpenAI-compatible server; one loop serves both teachers with the same loss, checkpoints and resume.
"""

from __future__ import annotations

import json
import logging
import math
import random
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import Field, model_validator

from ground.config import Config
from ground.conversation import apply_template
from ground.errors import FactoryError
from ground.plugins import PluginError
from students.method import TrainJob, TrainMethod
from teachers.base import plain_options
from teachers.registry import ENGINES, teacher_class

log = logging.getLogger(__name__)


def prompts_of(rows: list[dict]) -> list[dict]:
    """One record per prompt_id: the student prompt and the teacher prompt (the messages as generated: the earlier
    assistant turns of a multi-turn source are its history; only assistant turns after the last user or tool turn,
    an answer a generation prompt would follow, are left out)."""
    seen, out = set(), []
    for r in sorted(rows, key=lambda r: (r["prompt_id"], r.get("sample_index") or 0)):
        if r["prompt_id"] in seen or not r.get("messages"):
            continue
        seen.add(r["prompt_id"])
        msgs = json.loads(r["messages"])
        while msgs and msgs[-1].get("role") == "assistant":
            msgs = msgs[:-1]
        out.append({"prompt": msgs, "teacher_prompt": msgs, "prompt_id": r["prompt_id"]})
    return out


_PROMPT = pa.schema([("prompt_id", pa.string()), ("messages", pa.string())])


def _prompt_of_group(group: pa.Table) -> pa.Table:
    from ground.record import from_table

    recs = prompts_of(from_table(group))
    return pa.Table.from_pylist([{"prompt_id": r["prompt_id"], "messages": json.dumps(r["prompt"], ensure_ascii=False)}
                                 for r in recs], schema=_PROMPT)


def prompt_dataset(rows) -> Any:
    """:func:`prompts_of` as a Ray Data ``groupby("prompt_id").map_groups``, sorted by prompt_id, materialised."""
    from students.traindata import ordered, partitions, plain_errors

    n = rows.count()
    if not n:
        return None
    with ordered(), plain_errors():
        return rows.groupby("prompt_id", num_partitions=partitions(n)).map_groups(_prompt_of_group, batch_format="pyarrow").sort("prompt_id").materialize()


def prompt_records(rows: list[dict], drop_system: bool) -> list[dict]:
    """Prompt records (``messages`` decoded) -> what the loop samples and scores with: the student prompt (without
    its system text when asked), the teacher prompt, and the tool catalogue both are rendered with (``tools=``, as
    SFT renders it; ground/conversation.py). Was: the catalogue stayed a key on the system message that no template
    reads (and ``drop_system_prompt`` dropped it with the system text), so on tool-use prompts the student sampled,
    and the teacher scored, answers to prompts that showed no tools."""
    from ground.conversation import split_tools, without_system
    from students.render import for_template

    out = []
    for r in rows:
        msgs = for_template(r["messages"])
        student, tools = split_tools(without_system(msgs) if drop_system else msgs)
        out.append({"prompt": student, "teacher_prompt": split_tools(msgs)[0], "tools": tools, "prompt_id": r["prompt_id"]})
    return out


def _read_prompts(name: str, drop_system: bool) -> list[dict]:
    """Worker side: this worker's prompt records (:func:`prompt_records`)."""
    from students.traindata import shard_rows

    return prompt_records(shard_rows(name, ("messages",)), drop_system)


def tool_prompt_problem(student: str, n_tool_prompts: int) -> str | None:
    """Why the student cannot be trained on-policy on prompts with a tool catalogue (None: it can). On-policy samples
    with the student's own template (``train.chat_template`` is refused), so that template must show the tools."""
    from students.prompt_length import driver_tokenizer
    from students.render import tool_template_problem

    problem = tool_template_problem(driver_tokenizer(student)) if n_tool_prompts else None
    if problem is None:
        return None
    return (f"method onpolicy: {n_tool_prompts} prompts carry a tool catalogue, but the chat template of student "
            f"{student!r} cannot show tools ({problem}), and on-policy samples with the student's own template; use a "
            f"student whose template renders tools, or method sft with train.chat_template")


def teacher_spec(recipe) -> dict:
    """Which teacher scores the samples: ``train.onpolicy`` overrides, else the recipe's teacher."""
    op = recipe.train.onpolicy
    engine = op.teacher_engine or recipe.teacher.engine
    cls = teacher_class(engine)
    if not cls.can_score:
        raise FactoryError(f"train.onpolicy: teacher engine {engine!r} cannot score tokens; use one of {scoring_engines()}")
    if op.loss == "full" and not cls.scores_full_distribution:
        raise FactoryError("train.onpolicy.loss: full needs a local teacher's whole distribution; use loss: sampled")
    inherited = not op.teacher_options and engine == recipe.teacher.engine
    options = plain_options(recipe.teacher.options) if inherited else dict(op.teacher_options)
    system = None
    if op.teacher_system:
        f = recipe.path(op.teacher_system)
        if not f.is_file():
            raise FactoryError(f"train.onpolicy.teacher_system: file not found: {f}")
        system = f.read_text(encoding="utf-8").strip()
    return {"engine": engine, "model": op.teacher_model or recipe.teacher.model, "options": options,
            "options_inherited": inherited, "system": system}


def teacher_problem(recipe) -> tuple[str, str] | None:
    """(field, message) of what :func:`teacher_spec` would refuse when training starts, after the whole generation
    (an engine that cannot score, loss full without a local teacher, a missing teacher_system file, an option the
    scorer does not take); None when it is fine. Recipe validation reports it up front."""
    try:
        spec = teacher_spec(recipe)
    except FactoryError as e:
        field, _, msg = str(e).partition(": ")
        return field, msg
    keys = teacher_class(spec["engine"]).scorer_options
    unknown = sorted(set(spec["options"]) - keys) if not spec["options_inherited"] else []
    if unknown:
        return ("train.onpolicy.teacher_options", f"unknown key {unknown[0]!r} for the {spec['engine']} scorer; known: "
                                                  f"{', '.join(sorted(keys))}")
    return None


def scoring_engines() -> list[str]:
    """Teacher engines that can score tokens (``Teacher.can_score``)."""
    return [e for e in ENGINES.names() if _loads(e) and ENGINES.load(e).can_score]


def _loads(engine: str) -> bool:
    try:
        ENGINES.load(engine)
    except PluginError:
        return False
    return True


def _teacher_messages(ex: dict, system: str | None) -> list[dict]:
    msgs = ex.get("teacher_prompt") or ex["prompt"]
    if system is None:
        return msgs
    return [{"role": "system", "content": system}] + [m for m in msgs if m.get("role") != "system"]


def _sample(model, tok, prompts: list[list[dict]], op: dict, device,
            tools: list[list[dict] | None] | None = None) -> tuple[list[list[int]], list[list[int]]]:
    """Student completions (ids, cut after the first eos, eos kept so the teacher scores the stop); ``tools``: each
    prompt's catalogue (``tools=`` of the template), or None."""
    import torch

    tok.padding_side = "left"
    tools = tools or [None] * len(prompts)
    texts = [apply_template(tok, m, tools=t or None, tokenize=False, add_generation_prompt=True) for m, t in zip(prompts, tools)]
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model.generate(**enc, do_sample=True, temperature=op["temperature"], top_p=1.0, top_k=0,
                             max_new_tokens=op["max_new_tokens"], num_return_sequences=op["samples_per_prompt"],
                             pad_token_id=tok.pad_token_id)
    model.train(was_training)
    gen = out[:, enc["input_ids"].shape[1]:].tolist()
    k = op["samples_per_prompt"]
    p_ids = [[t for t, a in zip(enc["input_ids"][i // k].tolist(), enc["attention_mask"][i // k].tolist()) if a]
             for i in range(len(gen))]
    comps = []
    for ids in gen:
        cut = ids.index(tok.eos_token_id) + 1 if tok.eos_token_id in ids else len(ids)
        comps.append(ids[:cut] or [tok.eos_token_id])
    return p_ids, comps


def _pad(rows, fill: float):
    import torch

    T = max(x.shape[0] for x in rows)
    out = torch.full((len(rows), T, *rows[0].shape[1:]), fill, dtype=rows[0].dtype, device=rows[0].device)
    mask = torch.zeros(len(rows), T, device=rows[0].device)
    for i, x in enumerate(rows):
        out[i, : x.shape[0]] = x
        mask[i, : x.shape[0]] = 1
    return out, mask


def _loss(model, tok, scorer, batch: list[dict], op: dict, system: str | None, device, grad: bool):
    """(surrogate loss, reverse-KL value, completion tokens) for one batch of prompts."""
    import torch

    from students.losses import reverse_kl, reverse_kl_sampled
    from students.prompt_length import prompt_ids
    from teachers.scorers import completion_logits

    p_ids, comps = _sample(model, tok, [ex["prompt"] for ex in batch], op, device, [ex.get("tools") for ex in batch])
    k = op["samples_per_prompt"]
    t_prompts = []
    for i in range(len(comps)):
        ex = batch[i // k]
        t_msgs = _teacher_messages(ex, system)
        t_prompts.append(prompt_ids(tok, [{"role": "system", "tools": ex["tools"]}, *t_msgs] if ex.get("tools") else t_msgs, None))
    full = op["loss"] == "full"
    teacher = scorer.score(t_prompts, comps, full=full)
    with torch.set_grad_enabled(grad):
        s_logits = completion_logits(model, p_ids, comps, device, tok.pad_token_id)
        if full:
            s, mask = _pad(s_logits, 0.0)
            t, _ = _pad([x.to(device) for x in teacher], 0.0)
            kl = reverse_kl(s, t, mask)
            return kl, float(kl.detach()), int(mask.sum())
        s_lp = [torch.log_softmax(x.float(), -1).gather(-1, torch.tensor(c, device=device)[:, None]).squeeze(-1)
                for x, c in zip(s_logits, comps)]
        s_lp, mask = _pad(s_lp, 0.0)
        t_lp, _ = _pad([x.to(device).float() for x in teacher], 0.0)
        surrogate, est = reverse_kl_sampled(s_lp, t_lp, mask)
        return surrogate, float(est), int(mask.sum())


def _load(cfg: dict, spec: dict, device):
    """(student model in train mode on ``device``, tokenizer, teacher scorer)."""
    from peft import get_peft_model

    from students.train import load_student, peft_config

    model, tok = load_student(cfg)
    scorer = teacher_class(spec["engine"]).make_scorer(  # tokenizer check before any training
        spec["model"], tok, cfg["student"], device, spec.get("options") or {}, bool(spec.get("options_inherited")))
    if peft_config(cfg) is not None:
        model = get_peft_model(model, peft_config(cfg))
    if not cfg.get("load_in_4bit"):
        model.to(device)
    model.train()
    return model, tok, scorer


def _restore(resume: Path, model, opt, sched) -> tuple[int, list, int]:
    """Trainable weights, optimizer and scheduler from a checkpoint; (step, log history, resumed-from step)."""
    import torch

    st = torch.load(resume / "onpolicy_state.pt", weights_only=False, map_location="cpu")  # every rank reads rank 0's
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in st["trainable"]:
                p.copy_(st["trainable"][n])
    opt.load_state_dict(st["optimizer"])
    sched.load_state_dict(st["scheduler"])
    return st["step"], st["log_history"], st["step"]


def _schedule(cfg: dict, n_prompts: int, world: int = 1) -> tuple[int, int, int]:
    """(steps per epoch, total steps, checkpoint every N steps); a step takes ``batch_size`` prompts per worker."""
    per_epoch = max(1, math.ceil(n_prompts / (cfg["batch_size"] * world)))
    total = cfg["max_steps"] if cfg["max_steps"] > 0 else max(1, math.ceil(cfg["epochs"] * per_epoch))
    return per_epoch, total, cfg.get("save_every_steps") or per_epoch


def _batch(prompts: list[dict], step: int, per_epoch: int, bs: int, seed: int) -> list[dict]:
    """The prompts of ``step``: a per-epoch shuffled order, so a resumed run sees the same batches."""
    epoch, i = divmod(step, per_epoch)
    order = list(range(len(prompts)))
    random.Random(seed + epoch).shuffle(order)
    return [prompts[j] for j in order[i * bs : (i + 1) * bs]]


def _same_start(params, world: int) -> None:
    """Every worker starts from rank 0's trainable weights (as DDP's constructor does): a LoRA adapter's random init
    is each process's own draw."""
    import torch.distributed as dist

    if world > 1:
        for p in params:
            dist.broadcast(p.data, 0)


def _optimizer_step(loss, params, opt, sched, world: int = 1) -> None:
    """Backward, then (``world`` > 1) each gradient averaged over the Ray Train workers, as DDP would: every worker
    steps from the same gradient and keeps the same weights. ``loss`` None: this worker had no prompt this step."""
    import torch
    import torch.distributed as dist

    if loss is not None:
        loss.backward()
    if world > 1:
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            dist.all_reduce(p.grad)
            p.grad /= world
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    sched.step()
    opt.zero_grad(set_to_none=True)


def _onpolicy_loop(config: dict[str, Any]) -> None:
    import ray.train.torch
    import torch
    from transformers import get_cosine_schedule_with_warmup

    from students.callbacks import maybe_kill
    from students.train import report_dir, start_worker, world_info

    cfg, spec, op = config["train"], config["teacher"], config["train"]["onpolicy"]
    if (started := start_worker(cfg, "onpolicy")) is None:
        return
    work, resume = started
    device = ray.train.torch.get_device() if cfg["use_gpu"] else torch.device("cpu")
    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    model, tok, scorer = _load(cfg, spec, device)
    prompts, bs = _read_prompts("train", cfg["drop_system_prompt"]), cfg["batch_size"]
    val = _read_prompts("val", cfg["drop_system_prompt"]) if config["has_val"] else []
    # data parallel over train.workers: a step's batch_size x workers prompts, every worker its own share and its own
    # sampling seed, gradients averaged (_optimizer_step). Was: every worker trained the same prompts with the same
    # seed and no gradient exchange, i.e. N copies of one worker's run (N GPUs for one's work)
    per_epoch, total, every = _schedule(cfg, len(prompts), world)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["learning_rate"])
    sched = get_cosine_schedule_with_warmup(opt, int(cfg["warmup_ratio"] * total), total)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    step, history, resumed_from = _restore(resume, model, opt, sched) if resume is not None else (0, [], None)
    _same_start(params, world)

    def evaluate() -> float:
        torch.manual_seed(cfg["seed"] + 7919)  # the same val samples at every evaluation
        vals = [_loss(model, tok, scorer, val[i : i + bs], op, spec.get("system"), device, grad=False)[1]
                for i in range(0, len(val), bs)]
        return sum(vals) / len(vals)

    def save(d: Path, metrics: dict, final: bool) -> None:
        model.save_pretrained(str(d))
        tok.save_pretrained(str(d))
        (d / "log_history.json").write_text(json.dumps(history))
        if final:
            (d / "final.json").write_text(json.dumps({"metrics": metrics}))
        else:
            torch.save({"trainable": {n: p.detach().cpu() for n, p in model.named_parameters() if n in names},
                        "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "step": step,
                        "log_history": history}, d / "onpolicy_state.pt")

    while step < total:
        batch = _batch(prompts, step, per_epoch, bs * world, cfg["seed"])[rank::world]
        torch.manual_seed((cfg["seed"] * 100_003 + step) * world + rank)
        loss, kl, ntok = _loss(model, tok, scorer, batch, op, spec.get("system"), device, grad=True) if batch else (None, 0.0, 0)
        _optimizer_step(loss, params, opt, sched, world)
        step += 1
        history.append({"step": step, "loss": float(loss.detach()) if loss is not None else 0.0, "reverse_kl": kl,
                        "completion_tokens": ntok, "learning_rate": sched.get_last_lr()[0], "epoch": step / per_epoch})
        log.info("onpolicy step %d/%d: reverse_kl %.4f over %d tokens", step, total, kl, ntok)
        if step % every == 0 and step < total:
            metrics = {"step": step, "reverse_kl": kl, **({"eval_loss": evaluate()} if val else {})}
            history[-1].update({k: v for k, v in metrics.items() if k == "eval_loss"})
            report_dir(metrics, lambda d: save(d, metrics, final=False))
        maybe_kill(config.get("fault"), step)
    metrics = {"step": step, "reverse_kl": history[-1]["reverse_kl"] if history else None,
               "train_loss": sum(h["reverse_kl"] for h in history) / max(1, len(history)),
               **({"resumed_from_step": resumed_from} if resumed_from is not None else {}), **world_info(model)}
    if val:
        metrics["eval_loss"] = evaluate()
    report_dir(metrics, lambda d: save(d, metrics, final=True))
    scorer.close()


def run_onpolicy(train_cfg: dict, data: dict, teacher: dict, out_dir: str, fault: dict | None = None) -> dict:
    """``data``: prompt Datasets (``train``, optional ``val``) of :func:`prompt_dataset`; ``teacher``: :func:`teacher_spec`."""
    from students.train import run_ray

    if data.get("train") is None or not data["train"].count():
        raise FactoryError("on-policy distillation needs prompts; the run has none")
    return run_ray(_onpolicy_loop, {"teacher": teacher}, train_cfg, out_dir, "onpolicy",
                   datasets={k: v for k, v in data.items() if v is not None and v.count()}, fault=fault)


class OnPolicyOptions(Config):
    teacher_engine: str | None = Field(
        None, description="engine that scores the student's samples (one whose Teacher.can_score, e.g. hf_local, "
                          "openai_compat); null = the recipe's teacher.engine")
    teacher_model: str | None = Field(None, description="teacher model; null = the recipe's teacher.model")
    teacher_options: dict[str, Any] = Field(
        default_factory=dict, description="openai_compat: base_url (with /v1), api_key_env, timeout_s; "
                                          "hf_local: threads. Null/empty = the recipe's teacher.options")
    teacher_system: str | None = Field(
        None, description="file with a system prompt shown to the teacher only (context distillation); "
                          "relative to the recipe")
    max_new_tokens: int = Field(64, gt=0, le=32768, description="tokens the student samples per prompt")
    temperature: float = Field(1.0, gt=0, le=5, description="student sampling temperature")
    samples_per_prompt: int = Field(1, gt=0, le=64, description="student samples per prompt per step")
    loss: Literal["sampled", "full"] = Field(
        "sampled", description="sampled: per-token reverse KL on the sampled tokens (needs only their teacher "
                               "logprobs, works with a server); full: exact reverse KL over the vocabulary "
                               "(hf_local teacher only)")

    @model_validator(mode="after")
    def _engine_can_score(self) -> "OnPolicyOptions":
        if self.teacher_engine is None:
            return self
        if self.teacher_engine not in scoring_engines():
            raise ValueError(f"onpolicy.teacher_engine: {self.teacher_engine!r} cannot score tokens; "
                             f"use one of {scoring_engines()}")
        if self.loss == "full" and not ENGINES.load(self.teacher_engine).scores_full_distribution:
            raise ValueError(f"onpolicy.loss: full needs the teacher's whole distribution; "
                             f"use loss: sampled with {self.teacher_engine}")
        return self


class OnPolicy(TrainMethod):
    """The student samples, the teacher scores its tokens (reverse KL; Agarwal et al. 2024, GKD)."""

    name = "onpolicy"
    Options = OnPolicyOptions
    description = "the student samples, the teacher scores"
    uses_rejects = True
    needs_accepted = False
    supports_chat_template = False  # samples and scores with the student's own template

    def split(self, job: TrainJob):
        from students.traindata import where

        return job.split(where(job.rows, not_stage="source"), basis=job.accepted)

    def run(self, job: TrainJob, train, val) -> dict:
        data = {"train": prompt_dataset(train), "val": prompt_dataset(val)}
        from ground.conversation import has_tools

        n_tools = sum(d.filter(fn=lambda r: has_tools(json.loads(r["messages"]))).count() for d in data.values() if d is not None)
        problem = tool_prompt_problem(job.cfg["student"], n_tools)
        if problem:
            raise FactoryError(problem)
        return run_onpolicy(job.cfg, data, teacher_spec(job.recipe), job.out_dir, fault=job.fault)
