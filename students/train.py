"""The train stage: the ``train.method`` plug-in by name (:mod:`students.method`) and the Ray Train harness every method shares.

    >>> from students.train import train_if_needed
    >>> info = train_if_needed(recipe, store)      # the pipeline's train stage: reads <run>/accepted/ on Ray Data
    >>> info["adapter_dir"], info.get("best")

Every method runs as a Ray Train ``TorchTrainer`` whose workers report checkpoints (each epoch, or
every ``save_every_steps``) with ``ray.train.report``. ``FailureConfig(max_failures)`` restarts a
dead worker group, and the loop resumes from ``ray.train.get_checkpoint()`` (weights, optimizer,
scheduler, step). ``CheckpointConfig`` keeps ``keep_checkpoints`` scored by ``eval_loss`` (the
latest is always kept too). The driver copies the final model to ``<run>/train/adapter`` and the
best-by-validation-loss one to ``<run>/train/best`` with ``best.json`` saying which step it was.
The Ray Train run is named ``<method>-<key>`` (:func:`checkpoint_key`: the train settings and the data), so a
later fit resumes only the same training's checkpoints (``<run>/train/ray/<method>-<key>/``).

Checkpoint layout (one Ray checkpoint): ``checkpoint/`` holds the model (LoRA adapter or full
weights), tokenizer and trainer state; ``checkpoint/final.json`` marks the final one.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from ground.errors import FactoryError, MissingDependencyError

log = logging.getLogger(__name__)

_STATE_FILES = {"optimizer.pt", "scheduler.pt", "scaler.pt", "trainer_state.json", "training_args.bin", "rng_state.pth",
                "onpolicy_state.pt"}
GPU_INSTALL = "pip install 'distill-factory[gpu]'"


# ----------------------------------------------------------------------------- worker side

def load_student(cfg: dict, path: str | None = None):
    """(model, tokenizer) for training: fp32 on CPU, bf16 on GPU, NF4 + double quant for QLoRA. A full fine-tune
    (``lora: null``) keeps fp32 weights on the GPU too (bf16 compute under the trainer's autocast): AdamW on bf16
    weights rounds most updates away (at lr 1e-5, 92% of the weights of a 0.04-scale matrix never moved in 10 steps),
    while LoRA's adapter weights are fp32 whatever the frozen base is."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ground.models import resolve_model

    path = path or resolve_model(cfg["student"])
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    kw: dict[str, Any] = {"dtype": torch.bfloat16 if cfg["use_gpu"] and cfg.get("lora") else torch.float32}
    if cfg.get("load_in_4bit"):
        kw["quantization_config"] = bnb_4bit_config()
        kw["device_map"] = {"": torch.cuda.current_device()}
    model = AutoModelForCausalLM.from_pretrained(path, **kw)
    if cfg.get("load_in_4bit"):
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    return model, tok


def bnb_4bit_config():
    """QLoRA quantisation (Dettmers et al. 2023): NF4 weights, double quantisation, bf16 compute."""
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError(f"train.load_in_4bit (QLoRA) needs bitsandbytes: {GPU_INSTALL}") from e
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def peft_config(cfg: dict):
    from peft import LoraConfig

    lora = cfg.get("lora")
    if not lora:
        return None
    return LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                      target_modules=lora["target_modules"], task_type="CAUSAL_LM")


def hf_args(cfg: dict, work: str, has_val: bool) -> dict:
    """TrainingArguments shared by the HF-Trainer-based methods (SFT, DPO, KD)."""
    every = cfg.get("save_every_steps")
    strategy = "steps" if every else "epoch"
    return dict(
        output_dir=work, num_train_epochs=cfg["epochs"], max_steps=cfg["max_steps"],
        per_device_train_batch_size=cfg["batch_size"], per_device_eval_batch_size=cfg["batch_size"],
        gradient_accumulation_steps=cfg["grad_accum"], learning_rate=cfg["learning_rate"], lr_scheduler_type="cosine",
        warmup_steps=cfg["warmup_ratio"], logging_steps=1, save_strategy=strategy, save_steps=every or 500,
        eval_strategy=strategy if has_val else "no", eval_steps=every, save_total_limit=1, report_to="none",
        seed=cfg["seed"], use_cpu=not cfg["use_gpu"], bf16=bool(cfg["use_gpu"]), dataloader_num_workers=0,
        disable_tqdm=True, gradient_checkpointing=bool(cfg.get("load_in_4bit")),
        # early stopping keeps the best checkpoint by validation loss as the final model ("ship the best")
        **(dict(load_best_model_at_end=True, metric_for_best_model="eval_loss", greater_is_better=False)
           if has_val and cfg.get("early_stopping_patience") else {}),
    )


def _rank() -> int:
    import ray.train

    return ray.train.get_context().get_world_rank()


def world_info(model=None) -> dict:
    """How the step ran: Ray Train world size, the torch.distributed backend (None: one process) and, given the
    model, the device and dtype its first trainable weight is on (``cuda:0`` / ``cpu``: where the training ran)."""
    import ray.train
    import torch.distributed as dist

    ws = ray.train.get_context().get_world_size()
    out = {"world_size": ws, "dist_backend": dist.get_backend() if dist.is_available() and dist.is_initialized() else None}
    if model is not None:
        params = list(model.parameters())
        p = next((p for p in params if p.requires_grad), params[0])
        out.update(device=str(p.device), base_dtype=str(params[0].dtype).removeprefix("torch."))
    return out


def report_dir(metrics: dict, fill: Callable[[Path], None]) -> None:
    """Report ``metrics`` with a checkpoint that ``fill(dir/checkpoint)`` writes (rank 0 only)."""
    import ray.train

    with tempfile.TemporaryDirectory(prefix="factory-ckpt-") as tmp:
        ckpt = None
        if _rank() == 0:
            target = Path(tmp) / "checkpoint"
            target.mkdir()
            fill(target)
            ckpt = ray.train.Checkpoint.from_directory(tmp)
        ray.train.report({k: v for k, v in metrics.items() if isinstance(v, (int, float))}, checkpoint=ckpt)


def latest_metrics(log_history: list[dict], step: int) -> dict:
    out: dict = {}
    for h in log_history:
        out.update({k: v for k, v in h.items() if isinstance(v, (int, float))})
    out["step"] = step
    return out


#: this worker process's work dirs (start_worker), removed when its loop returns or raises (_worker_main)
_WORK_DIRS: list[str] = []
#: the work dirs' name prefix: factory-<Ray Train run name>- (so a leftover names its run)
_WORK_PREFIX: list[str] = []


def _worker_main(loop: Callable, config: dict) -> None:
    """A Ray Train worker's loop, then its work dir removed. Everything worth keeping was reported as a
    checkpoint (Ray Train copies it to the run's storage before report returns); left behind, every fit
    kept ~25 MB of trainer state per worker in the node's temp dir."""
    _WORK_PREFIX[:] = [f"factory-{config['run_name']}-"]
    try:
        loop(config)
    finally:
        while _WORK_DIRS:
            shutil.rmtree(_WORK_DIRS.pop(), ignore_errors=True)


def start_worker(cfg: dict, method: str) -> tuple[str, Path | None] | None:
    """Common start of every method's Ray Train loop: CPU threads per worker, a fresh work dir, and the
    checkpoint to resume from. None when that checkpoint is already the final one (re-reported)."""
    import torch

    from ground.progress import worker_logging

    worker_logging()  # progress lines in the driver's format: its console shows them, the rest goes to the log
    if not cfg["use_gpu"]:
        torch.set_num_threads(max(1, int(cfg["cpus_per_worker"])))
    work = tempfile.mkdtemp(prefix=_WORK_PREFIX[0] if _WORK_PREFIX else f"factory-{method}-")
    _WORK_DIRS.append(work)
    resume = resume_checkpoint(work)
    if resume is not None and report_final_again(resume):
        return None
    return work, resume


def resume_checkpoint(work: str) -> Path | None:
    """Copy the latest reported checkpoint (after a worker restart) to local disk; None on a fresh start."""
    import ray.train

    ck = ray.train.get_checkpoint()
    if ck is None:
        return None
    dst = Path(work) / "resume"
    shutil.rmtree(dst, ignore_errors=True)
    with ck.as_directory() as d:
        shutil.copytree(Path(d) / "checkpoint", dst)
    log.info("resuming from checkpoint %s", dst)
    return dst


def report_final_again(ckpt: Path) -> bool:
    """A restart after the final report: report the same final checkpoint and stop."""
    if not (ckpt / "final.json").exists():
        return False
    info = json.loads((ckpt / "final.json").read_text())
    report_dir(info.get("metrics", {}), lambda d: shutil.copytree(ckpt, d, dirs_exist_ok=True))
    return True


def fit_hf_trainer(trainer, tok, work: str, has_val: bool, resume: Path | None, examples: int | None = None) -> None:
    """Train (resuming when a checkpoint exists), then report the final model as the last checkpoint
    (``examples``: how many training examples this worker read from its dataset shard, in the metrics)."""
    from transformers import PrinterCallback

    # with tqdm off, transformers prints every metrics dict; ReportCheckpoints already logs each step's line
    trainer.remove_callback(PrinterCallback)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    metrics = latest_metrics(trainer.state.log_history, trainer.state.global_step)
    if examples is not None:
        metrics["train_examples"] = examples
    metrics["stopped_early"] = bool(trainer.state.max_steps and trainer.state.global_step < trainer.state.max_steps)
    if resume is not None:
        metrics["resumed_from_step"] = json.loads((resume / "trainer_state.json").read_text())["global_step"]
    if has_val:
        metrics["eval_loss"] = trainer.evaluate()["eval_loss"]
    metrics.update(world_info(trainer.model))

    def fill(d: Path) -> None:
        trainer.save_model(str(d))
        tok.save_pretrained(str(d))
        (d / "log_history.json").write_text(json.dumps(trainer.state.log_history))
        (d / "final.json").write_text(json.dumps({"metrics": metrics}))

    report_dir(metrics, fill)


# ----------------------------------------------------------------------------- driver side

def _copy_model(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=lambda d, names: [n for n in names if n in _STATE_FILES or n.startswith("rng_state")])
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)


def ready(datasets: dict) -> dict:
    """Each dataset materialised in the object store before the trainer starts. The Ray Train workers hold
    their CPUs for the whole fit, so a lazy map left for them to pull would wait for a CPU that never frees
    (two 1-CPU workers on a 2-CPU node hang); a materialised dataset iterates without launching tasks."""
    from students.traindata import ordered, plain_errors

    with ordered(), plain_errors():
        return {k: v.materialize() for k, v in datasets.items()}


#: train settings that change how a training runs, not what it trains: a crash-resume may change them
_NOT_IN_KEY = {"storage_path", "max_failures", "cpus_per_worker"}


def checkpoint_key(cfg: dict, loop_config: dict, datasets: dict) -> str:
    """The Ray Train run name's suffix: a hash of the ``train`` settings, the loop's config and the data
    (``cfg["data_key"]``, which :func:`train` sets from what it reads; else each dataset's row count). Ray Train
    restores the checkpoints of an earlier run of the same name under the same storage, and the loop resumes
    from the latest one (or re-reports it when it is the final one): that is right for the same training cut
    short, and wrong for any other. A changed ``train:`` section, other rows, or another loop config is
    another name, so it trains from its own start instead of continuing (or re-shipping) another one's model."""
    from ground.record import sha

    data = cfg.get("data_key") or {k: v.count() for k, v in sorted(datasets.items())}
    return sha({k: v for k, v in cfg.items() if k not in _NOT_IN_KEY and k != "data_key"}, loop_config, data, n=12)


def _say_if_resuming(storage: str, run_name: str) -> None:
    """One console line when Ray Train will restore an earlier attempt of this same training."""
    from ground import fsutil

    where = fsutil.join(storage, run_name)
    # what Ray Train restores from (ray/train/v2/_internal/constants.py: CHECKPOINT_MANAGER_SNAPSHOT_FILENAME)
    fs, path = fsutil.filesystem(fsutil.join(where, "checkpoint_manager_snapshot.json"))
    if fsutil.exists(fs, path):
        log.info("train: continuing an earlier attempt of this same training (train settings and data) from its "
                 "checkpoints in %s (a finished one is shipped again without training); delete that folder to train "
                 "from scratch", where)


def run_ray(loop: Callable, loop_config: dict, cfg: dict, out_dir: str, name: str, datasets: dict,
            fault: dict | None = None) -> dict:
    """Run ``loop`` on Ray Train workers; copy the final and the best model out of the checkpoints.

    ``datasets``: Ray Datasets by name (``train``, optional ``val``), read in the workers with
    :func:`students.traindata.shard_rows`. Every worker reads all of each (no Ray-side split: the HF
    trainers shard batches across ranks), in order."""
    from ray.data import ExecutionOptions
    from ray.train import CheckpointConfig, DataConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from ground.raycluster import init_ray

    init_ray()
    # Ray Train's controller steps (start, poll, finish) every health-check interval, 2 s by default: on a short
    # fit that is 5-7 s of waiting (bench/RESULTS.md, session 8). 0.5 s costs a few RPCs per second; a value the
    # user exports wins (Ray Train passes it from this driver to the controller and the workers).
    os.environ.setdefault("RAY_TRAIN_HEALTH_CHECK_INTERVAL_S", "0.5")
    # Ray Train's print patch routes a worker's print() around sys.stdout, so libraries that capture stdout
    # (dill's globalvars, under datasets' fingerprinting in TRL) leaked ~170 lines of bytecode per fit into the log
    os.environ.setdefault("RAY_TRAIN_ENABLE_PRINT_PATCH", "0")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    datasets = ready(datasets)
    has_val = "val" in datasets
    storage = cfg.get("storage_path") or str((out / "ray").resolve())
    run_name = f"{name}-{checkpoint_key(cfg, loop_config, datasets)}"
    _say_if_resuming(storage, run_name)
    ckpt_cfg = CheckpointConfig(num_to_keep=cfg["keep_checkpoints"], checkpoint_score_attribute="eval_loss" if has_val else None,
                                checkpoint_score_order="min")
    trainer = TorchTrainer(
        functools.partial(_worker_main, loop),
        train_loop_config={**loop_config, "train": cfg, "fault": fault, "has_val": has_val, "run_name": run_name},
        datasets=datasets, dataset_config=DataConfig(datasets_to_split=[], execution_options=ExecutionOptions(preserve_order=True)),
        scaling_config=ScalingConfig(num_workers=cfg["workers"], use_gpu=cfg["use_gpu"],
                                     resources_per_worker={"CPU": cfg["cpus_per_worker"]}),
        run_config=RunConfig(name=run_name, storage_path=storage, checkpoint_config=ckpt_cfg,
                             failure_config=FailureConfig(max_failures=cfg["max_failures"])),
    )
    result = trainer.fit()
    if result.checkpoint is None or result.error is not None:
        raise FactoryError(f"{name} training failed: {result.error or 'no checkpoint reported'}")
    with result.checkpoint.as_directory() as d:
        final = Path(d) / "checkpoint"
        if not (final / "final.json").exists():
            raise FactoryError(f"{name} training ended without its final checkpoint")
        _copy_model(final, out / "adapter")
    fin = json.loads((out / "adapter" / "final.json").read_text())
    history = json.loads((out / "adapter" / "log_history.json").read_text())
    info: dict[str, Any] = {"adapter_dir": str(out / "adapter"), "metrics": fin["metrics"], "log_history": history,
                            "full_finetune": cfg.get("lora") is None}
    if has_val:
        best = result.get_best_checkpoint("eval_loss", "min")
        best_metrics = next((m for c, m in (result.best_checkpoints or []) if c.path == best.path), {}) if best else {}
        if best is not None:
            with best.as_directory() as d:
                _copy_model(Path(d) / "checkpoint", out / "best")
            mark = {"step": best_metrics.get("step"), "eval_loss": best_metrics.get("eval_loss"),
                    "final": (out / "best" / "final.json").exists()}
            (out / "best" / "best.json").write_text(json.dumps(mark))
            info["best"] = {"dir": str(out / "best"), **mark}
    return info


# ----------------------------------------------------------------------------- dispatch

def train(recipe, data: str | list, out_dir: str, fault: dict | None = None, storage: str | None = None) -> dict:
    """Train ``recipe.train.method`` (a :class:`students.method.TrainMethod` by name) on factory rows:
    ``data`` is the run's Parquet folders (``accepted/``, plus ``rejects/`` for methods that use them; local
    or object-store URIs), read as a Ray Dataset; a list of rows (tests, benches) becomes one too.

    ``storage``: where Ray Train keeps checkpoints (a URI every node can reach); default ``out_dir/ray``."""
    from ground.record import sha
    from students.lora import check_lora_targets
    from students.method import METHODS, TrainJob
    from students.traindata import data_identity, open_rows, plain_errors

    cfg = recipe.train.model_dump()
    cfg["storage_path"] = storage
    cfg["data_key"] = sha(data_identity(data), n=24)  # the Ray Train run name holds it: see checkpoint_key
    check_lora_targets(cfg)
    method = METHODS.load(cfg["method"])()
    job = TrainJob(recipe, cfg, open_rows(data), out_dir, fault)
    with plain_errors():
        tr, va = method.split(job)
        info = method.run(job, tr, va)
    if info.get("status") == "skipped":
        return info
    info.update(status="done", method=cfg["method"], student=cfg["student"])
    if "train_rows" not in info:  # a method that drops rows while building its examples says what it kept (trained_on)
        info.update(train_rows=tr.count(), val_rows=va.count())
    return info


def train_if_needed(recipe, store, accepted_uri: str | None = None) -> dict:
    """The pipeline's train stage: skip when ``train/DONE`` exists, else train by ``train.method`` on the
    run's ``accepted/`` Parquet (``accepted_uri``, default the store's), plus ``rejects/`` for methods that
    use them. The rows are read by Ray Data on the workers; the driver never holds them.

    On an object-store run dir (``s3://``, ``gs://``) Ray Train keeps its checkpoints under the run's
    ``train/ray/`` in the store (shared by every node, as multi-node training needs), the trainer works in a
    local staging folder, and the final (and best) adapter are copied to ``train/adapter`` / ``train/best``
    in the store; a later stage or a re-run on another machine copies them back."""
    from ground import fsutil
    from students.traindata import open_rows

    remote = store.local_path() is None
    out = Path(store.work_dir("train"))
    done = store.read_json("train/DONE")
    if done and remote and done.get("status") == "done":
        _fetch(store, done, out)
    if done and done.get("status") == "done" and not (out / "adapter").is_dir():
        # deleted after training: ship it again (from the final Ray Train checkpoint when the run still has it)
        log.warning("train: %s is missing: training again", store.p("train", "adapter") if remote else out / "adapter")
        done = None
    if done:
        log.info("training already done: %s", store.p("train", "adapter") if remote else out / "adapter")
        if not remote:
            _here(done, out)
        return done
    from students.method import METHODS

    method = METHODS.load(recipe.train.method)
    accepted = accepted_uri or fsutil.join(store.uri, "accepted")
    if method.needs_accepted and not open_rows(accepted).count():
        return {"status": "skipped", "reason": "no accepted rows to train on"}
    data = [accepted, fsutil.join(store.uri, "rejects")] if method.uses_rejects else accepted
    info = train(recipe, data, str(out), storage=fsutil.join(store.uri, "train", "ray") if remote else None)
    info["data_run_id"] = store.run_id
    if info.get("status") == "done":
        if remote:
            for sub in ("adapter", "best"):
                if (out / sub).is_dir():
                    fsutil.copy_tree(str(out / sub), fsutil.join(store.uri, "train", sub))
            info["adapter_uri"] = fsutil.join(store.uri, "train", "adapter")
        store.write_json("train/DONE", info)
    return info


def _here(done: dict, out: Path) -> None:
    """A finished training's model folders where the run dir is now. ``train/DONE`` holds the absolute paths of the
    place it was trained in; a run dir moved or copied since (another disk, another machine) and resumed had its eval
    load the student from there: a missing path, or the other copy's model."""
    done["adapter_dir"] = str(out / "adapter")
    if done.get("best") and (out / "best").is_dir():
        done["best"]["dir"] = str(out / "best")


def _fetch(store, done: dict, out: Path) -> None:
    """Copy a finished training's adapter (and best) from an object-store run dir to this node's staging."""
    from ground import fsutil

    for sub in ("adapter", "best"):
        if not (out / sub).is_dir() and store.exists("train", sub):
            fsutil.copy_tree(fsutil.join(store.uri, "train", sub), str(out / sub))
    done["adapter_dir"] = str(out / "adapter")
    if done.get("best"):
        done["best"]["dir"] = str(out / "best")
