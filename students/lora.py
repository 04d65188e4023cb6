"""Checks of the recipe's LoRA section against the student, in the driver, before Ray Train starts.

    >>> from students.lora import check_lora_targets
    >>> check_lora_targets({"student": "smollm2-135m-instruct", "lora": {"target_modules": ["q_proj", "v_prj"]}})
    Traceback (most recent call last):
    ground.errors.FactoryError: train.lora.target_modules: 'v_prj' names no module of student ...
"""

from __future__ import annotations

from ground.errors import FactoryError


def check_lora_targets(cfg: dict) -> None:
    """One-line FactoryError for a ``train.lora.target_modules`` name that matches no module of the student (PEFT's
    rule: the full name or its dotted suffix). PEFT ignores such a name when another one matches, and fails inside
    the worker when none does. The student is built on the meta device: no weights are read."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from ground.models import resolve_model

    if not cfg.get("lora"):
        return
    # resolved outside the meta context: on a fresh machine resolve_model converts the bundled GGUF (a real load)
    config = AutoConfig.from_pretrained(resolve_model(cfg["student"]))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    names = [n for n, _ in model.named_modules() if n]
    for t in cfg["lora"]["target_modules"]:
        if not any(n == t or n.endswith("." + t) for n in names):
            linear = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})
            raise FactoryError(f"train.lora.target_modules: {t!r} names no module of student {cfg['student']!r} "
                               f"(its linear layers: {', '.join(linear)})")
