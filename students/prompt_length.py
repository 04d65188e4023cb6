"""Prompt lengths as the trainer renders them (the recipe's ``train.chat_template``, else the student's, tools
included), measured in the driver: examples whose prompt alone fills ``train.max_seq_len`` are dropped (their
completion would be cut away and the trainer would see no target) with a WARNING, and a clear error when none
is left. Used by the SFT and KD data builders (students/sft_data.py, students/kd_data.py)."""

from __future__ import annotations

import functools
import logging

from ground.errors import FactoryError

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def driver_tokenizer(student: str):
    from transformers import AutoTokenizer

    from ground.models import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model(student))


def prompt_ids(tok, prompt: list[dict], template: str | None) -> list[int]:
    """The prompt as the recipe's ``train.chat_template`` (None: the student's own) renders it, tool catalogue included."""
    from ground.conversation import apply_template, split_tools
    from students.render import for_template

    msgs, tools = split_tools(for_template(prompt))
    enc = apply_template(tok, msgs, tools=tools, chat_template=template, tokenize=True, add_generation_prompt=True, return_dict=True)
    return list(enc["input_ids"])


def prompt_tokens(student: str, template: str | None, prompt: list[dict]) -> int:
    """How many tokens the prompt takes as the trainer renders it (the recipe's template, else the student's):
    tools as ``tools=`` and call arguments as dicts either way, so a student template that shows the catalogue
    counts it."""
    return len(prompt_ids(driver_tokenizer(student), prompt, template))


def overlong_verdict(what: str, max_len: int, examples: int, dropped: int, longest: int, required: bool) -> None:
    """Warn about examples dropped for an overlong prompt; a clear error when ``required`` and none is left."""
    if dropped:
        log.warning("%s: %d of %d examples dropped: prompt longer than train.max_seq_len %d tokens", what, dropped, examples, max_len)
    if required and examples and dropped == examples:
        raise FactoryError(f"train.max_seq_len: every {what} prompt is at least {max_len} tokens long "
                           f"(longest {longest}); raise train.max_seq_len")


def drop_overlong(cfg: dict, examples: list[dict], what: str = "SFT", required: bool = True) -> list[dict]:
    """Drop examples whose prompt alone fills ``max_seq_len`` (their completion would be cut away entirely
    and the trainer would see no target); a clear error when nothing is left, instead of a trainer crash.
    (The SFT dataset map, students/sft_data.py, applies the same rule per row on Ray workers.)"""
    lens = [prompt_tokens(cfg["student"], cfg.get("chat_template_text"), e["prompt"]) for e in examples]
    keep = [e for e, n in zip(examples, lens) if n < cfg["max_seq_len"] - 1]
    overlong_verdict(what, cfg["max_seq_len"], len(examples), len(examples) - len(keep), max(lens, default=0), required)
    return keep
