"""Turn accepted factory rows into training examples (one place, shared by every method).

    >>> from students.data import sft_examples
    >>> sft_examples([row])[0]
    {'prompt': [{'role': 'user', 'content': '...'}], 'completion': [{'role': 'assistant', 'content': '...'}]}

SFT examples are TRL's conversational prompt-completion format, so TRL applies the student's chat
template and computes the loss on the completion only. Reasoning is rendered with
:func:`teachers.reasoning.join_reasoning` (``<think>...</think>`` before the answer) for every
teacher alike.
"""

from __future__ import annotations

import json
import random

from teachers.reasoning import join_reasoning


def sft_examples(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        msgs = json.loads(r["messages"]) if r.get("messages") else []
        if not msgs or r.get("completion") is None:
            continue
        out.append({"prompt": msgs, "completion": [{"role": "assistant", "content": join_reasoning(r.get("reasoning"), r["completion"])}]})
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
