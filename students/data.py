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


def empty_answer(completion: list[dict], mode: str = "keep") -> bool:
    """No assistant turn of ``completion`` has a word, a tool call, or (unless ``train.reasoning: drop``) reasoning:
    training on it would teach the student to stop at once."""
    from teachers.reasoning import split_reasoning

    for m in completion:
        if m.get("role") != "assistant":
            continue
        if m.get("tool_calls"):
            return False
        thought, content = split_reasoning(m.get("content") or "", m.get("reasoning_content"))
        if content.strip() or (mode != "drop" and (thought or "").strip()):
            return False
    return True


def uses_tools(examples: list[dict]) -> bool:
    return any(m.get("tools") or m.get("tool_calls") or m.get("role") == "tool"
               for e in examples for m in [*e["prompt"], *e["completion"]])


def check_student_template(tok: Any, examples: list[dict], student: str) -> None:
    """One-line FactoryError when tool examples meet a template that cannot carry tool calls."""
    if uses_tools(examples):
        refuse_tool_template(tok, student)


def refuse_tool_template(tok: Any, student: str) -> None:
    """One-line FactoryError when ``tok``'s chat template cannot carry tool calls."""
    from students.render import tool_template_problem

    problem = tool_template_problem(tok)
    if problem:
        raise FactoryError(f"train.chat_template: the chat template of student {student!r} cannot train tool calls "
                           f"({problem}); set train.chat_template to a tool template such as "
                           f"templates/smollm2_tools.jinja")


def template_text(cfg: dict, resolve: Any) -> str | None:
    """The recipe's ``train.chat_template`` text (path resolved by ``resolve``); None keeps the student's own."""
    if not cfg.get("chat_template"):
        return None
    path = resolve(cfg["chat_template"])
    if not path.is_file():
        raise FactoryError(f"train.chat_template: {path} is not a file")
    return path.read_text(encoding="utf-8")


def check_template(cfg: dict, text: str | None, tools: bool) -> None:
    """Refuse (one line) a student template that cannot show tool calls when the examples use tools."""
    from transformers import AutoTokenizer

    from ground.models import resolve_model

    if not tools:
        return
    tok = AutoTokenizer.from_pretrained(resolve_model(cfg["student"]))
    if text:
        tok.chat_template = text
    refuse_tool_template(tok, cfg["student"])


def encode_one(tok: Any, e: dict, max_len: int, mode: str = "keep", budget: int | None = None,
               native: bool | None = None) -> tuple[list[dict], int]:
    """One example -> (its ``{"input_ids", "assistant_masks"}`` cut to ``max_len``, how many had no trained token left)."""
    from students.render import encode_conversation, renders_reasoning_content

    native = renders_reasoning_content(tok) if native is None else native
    out, dropped = [], 0
    msgs, tools = split_tools([*e["prompt"], *e["completion"]])
    start = len(split_tools(e["prompt"])[0])  # a catalogue-only system message (without_system) is not rendered
    for ex in encode_conversation(tok, msgs, tools, mode, budget, native, start=start):
        ex = {k: v[:max_len] for k, v in ex.items()}
        if any(ex["assistant_masks"]):
            out.append(ex)
        else:
            dropped += 1
    return out, dropped


def encode_sft(tok: Any, examples: list[dict], max_len: int, mode: str = "keep", budget: int | None = None) -> list[dict]:
    """Examples -> ``{"input_ids", "assistant_masks"}`` cut to ``max_len``; one with no trained token left is dropped."""
    from students.render import renders_reasoning_content

    native = renders_reasoning_content(tok)
    out, dropped = [], 0
    for e in examples:
        enc, d = encode_one(tok, e, max_len, mode, budget, native)
        out += enc
        dropped += d
    if dropped:
        log.warning("SFT: %d examples dropped: no assistant token within train.max_seq_len %d", dropped, max_len)
    return out


def split_by_prompt(rows: list[dict], val_fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Train/validation split by prompt_id, so samples of one prompt never straddle the split."""
    from students.traindata import val_prompts

    val = val_prompts(list({r["prompt_id"] for r in rows}), val_fraction, seed)
    return [r for r in rows if r["prompt_id"] not in val], [r for r in rows if r["prompt_id"] in val]
