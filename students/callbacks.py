"""Trainer callbacks every HF-Trainer method shares: progress lines, Ray checkpoint reports, early stopping,
and the test-only fault injector.

    >>> from students.callbacks import progress_line
    >>> progress_line(12, 40, 20.0, 10, {"loss": 1.5})
    'train: step 12/40 (30%), loss 1.5, 2.00 s/step, eta 56s'
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import time
from pathlib import Path

log = logging.getLogger(__name__)


def progress_line(step: int, max_steps: int, elapsed_s: float, steps_done: int, logs: dict) -> str:
    """One training progress line: ``train: step 12/40 (30%), loss 1.2345, 2.10 s/step, eta 58s``."""
    from ground.progress import fmt_duration

    parts = [f"train: step {step}/{max_steps}" + (f" ({100 * step / max_steps:.0f}%)" if max_steps else "")]
    parts += [f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in logs.items()
              if k in ("loss", "eval_loss", "grad_norm", "learning_rate", "rewards/accuracies", "train_loss")]
    if steps_done > 0 and elapsed_s > 0:
        per = elapsed_s / steps_done
        parts.append(f"{per:.2f} s/step")
        if max_steps and step < max_steps:
            parts.append(f"eta {fmt_duration(per * (max_steps - step))}")
    return ", ".join(parts)


def make_hf_callbacks(fault: dict | None, cfg: dict | None = None, has_val: bool = False) -> list:
    """Ray checkpoint reporting for HF Trainers, early stopping on validation loss when the recipe asks
    (``train.early_stopping_patience``; needs validation rows), and the test-only fault injector."""
    from transformers import EarlyStoppingCallback, TrainerCallback
    from transformers.trainer_utils import get_last_checkpoint

    from students.train import _rank, latest_metrics, report_dir

    class ReportCheckpoints(TrainerCallback):
        def on_train_begin(self, args, state, control, **kw):
            self.t0, self.step0 = time.monotonic(), state.global_step  # a resumed run starts mid-way

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and _rank() == 0:
                log.info("%s", progress_line(state.global_step, state.max_steps, time.monotonic() - getattr(self, "t0", time.monotonic()),
                                             state.global_step - getattr(self, "step0", 0), logs))

        def on_save(self, args, state, control, **kw):
            src = get_last_checkpoint(args.output_dir)
            report_dir(latest_metrics(state.log_history, state.global_step),
                       lambda d: shutil.copytree(src, d, dirs_exist_ok=True))

    cbs: list = [ReportCheckpoints()]
    patience = (cfg or {}).get("early_stopping_patience")
    if patience and has_val:
        cbs.append(EarlyStoppingCallback(early_stopping_patience=patience,
                                         early_stopping_threshold=(cfg or {}).get("early_stopping_threshold") or 0.0))
    elif patience:
        log.warning("train.early_stopping_patience is set but there are no validation rows (fewer than 10 prompts): "
                    "training runs to the end")
    if fault:
        class FaultInjectingKill(TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                maybe_kill(fault, state.global_step)

        cbs.append(FaultInjectingKill())
    return cbs


def maybe_kill(fault: dict | None, step: int) -> None:
    """Fault injection for tests: SIGKILL this worker once, at ``kill_at_step``, unless ``marker`` exists."""
    if fault and step == fault["kill_at_step"] and not Path(fault["marker"]).exists():
        # Ray Train's controller learns of a reported checkpoint when it next polls the workers; a kill right
        # after the report (a fast, idle machine) could land first and leave nothing to resume from. A real
        # preemption comes at a random time; give the last checkpoint a few seconds to register.
        time.sleep(float(fault.get("grace_s", 5.0)))
        Path(fault["marker"]).write_text(str(os.getpid()))
        log.warning("fault injection: killing worker pid %d at step %d", os.getpid(), step)
        os.kill(os.getpid(), signal.SIGKILL)
