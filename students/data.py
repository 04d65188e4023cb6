"""Turn accepted factory rows into training examples (one place, shared by every method).

    >>> from students.data import sft_examples
    >>> sft_examples([row])[0]
    {'prompt': [{'role': 'user', 'content': '...'}], 'completion': [{'role': 'assistant', 'content': '...'}]}

SFT examples are conversational prompt-completion pairs whose completion is every turn after the
prompt (ground/conversation.py): one answer with its ``reasoning_content``, or a whole tool-use trace
(assistant turns with ``tool_calls``, tool results, the final answer). :func:`encode_sft` renders them
with the student's own chat template (students/render.py): loss on assistant turns only, reasoning
kept, dropped or cut to a budget (``train.reasoning``). :func:`check_student_template` refuses, in one
line, a template that cannot show tool calls.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from ground.conversation import answer_turns, prompt_of, split_tools
from ground.errors import FactoryError

log = logging.getLogger(__name__)


def sft_examples(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        msgs = prompt_of(r)
        if not msgs or r.get("completion") is None:
            continue
        out.append({"prompt": msgs, "completion": answer_turns(r)})
    return out


def uses_tools(examples: list[dict]) -> bool:
    return any(m.get("tools") or m.get("tool_calls") or m.get("role") == "tool"
               for e in examples for m in [*e["prompt"], *e["completion"]])


def check_student_template(tok: Any, examples: list[dict], student: str) -> None:
    """One-line FactoryError when tool examples meet a template that cannot carry tool calls."""
    from students.render import tool_template_problem

    if not uses_tools(examples):
        return
    problem = tool_template_problem(tok)
    if problem:
        raise FactoryError(f"train.chat_template: the chat template of student {student!r} cannot train tool calls "
                           f"({problem}); set train.chat_template to a tool template such as "
                           f"templates/smollm2_tools.jinja")


def student_template(cfg: dict, examples: list[dict], resolve: Any) -> str | None:
    """The recipe's ``train.chat_template`` text (path resolved by ``resolve``), checked on the driver
    against ``examples`` before any worker starts; None keeps the student's own template."""
    from transformers import AutoTokenizer

    from ground.models import resolve_model

    text = None
    if cfg.get("chat_template"):
        path = resolve(cfg["chat_template"])
        if not path.is_file():
            raise FactoryError(f"train.chat_template: {path} is not a file")
        text = path.read_text(encoding="utf-8")
    tok = AutoTokenizer.from_pretrained(resolve_model(cfg["student"]))
    if text:
        tok.chat_template = text
    check_student_template(tok, examples, cfg["student"])
    return text


def encode_sft(tok: Any, examples: list[dict], max_len: int, mode: str = "keep", budget: int | None = None) -> list[dict]:
    """Examples -> ``{"input_ids", "assistant_masks"}`` cut to ``max_len``; one with no trained token left is dropped."""
    from students.render import encode_conversation, renders_reasoning_content

    native = renders_reasoning_content(tok)
    out, dropped = [], 0
    for e in examples:
        msgs, tools = split_tools([*e["prompt"], *e["completion"]])
        for ex in encode_conversation(tok, msgs, tools, mode, budget, native, start=len(e["prompt"])):
            ex = {k: v[:max_len] for k, v in ex.items()}
            if any(ex["assistant_masks"]):
                out.append(ex)
            else:
                dropped += 1
    if dropped:
        log.warning("SFT: %d examples dropped: no assistant token within train.max_seq_len %d", dropped, max_len)
    return out


def split_by_prompt(rows: list[dict], val_fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Train/validation split by prompt_id, so samples of one prompt never straddle the split."""
    pids = sorted({r["prompt_id"] for r in rows})
    random.Random(seed).shuffle(pids)
    n_val = int(round(len(pids) * val_fraction))
    if len(pids) >= 2:
        n_val = max(1, n_val) if val_fraction > 0 else 0
    val = set(pids[:n_val])
    return [r for r in rows if r["prompt_id"] not in val], [r for r in rows if r["prompt_id"] in val]
