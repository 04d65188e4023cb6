"""One rule for reasoning text across teachers: ``reasoning_content`` or a leading ``<think>`` span.

    >>> split_reasoning("<think>2+2 is 4</think>The answer is 4.")
    ('2+2 is 4', 'The answer is 4.')
"""

from __future__ import annotations

import re

_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*", re.S)


def split_reasoning(text: str, reasoning_content: str | None = None) -> tuple[str | None, str]:
    """(reasoning, answer). A server's ``reasoning_content`` wins over inline tags."""
    if reasoning_content:
        m = _THINK.match(text)
        return reasoning_content, text[m.end():] if m else text
    m = _THINK.match(text)
    if m:
        return m.group(1).strip(), text[m.end():]
    return None, text


def join_reasoning(reasoning: str | None, answer: str) -> str:
    """Render reasoning into a student's target text the same way for every teacher."""
    return f"<think>\n{reasoning.strip()}\n</think>\n{answer}" if reasoning else answer
