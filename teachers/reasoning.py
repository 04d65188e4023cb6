"""One rule for reasoning text across teachers: ``reasoning_content`` or a leading inline span.

    >>> split_reasoning("<think>2+2 is 4</think>The answer is 4.")
    ('2+2 is 4', 'The answer is 4.')
    >>> split_reasoning("2+2 is 4\\n</think>\\n\\nThe answer is 4.")   # the chat template opened the span (DeepSeek-R1, Qwen3)
    ('2+2 is 4', 'The answer is 4.')
    >>> split_reasoning("<think>2+2 is 4, and then")                    # cut off while thinking: no answer at all
    ('2+2 is 4, and then', '')

Inline spans: ``<think>``, ``<thinking>``, ``<reasoning>``, Mistral's ``[THINK]`` and OpenThoughts'
``<|begin_of_thought|>``, each with its closing tag. A span that never closes (max_tokens reached while thinking)
is all reasoning: its half-thoughts are not an answer for a verifier to find numbers in.
"""

from __future__ import annotations

import re

TAGS = (("<think>", "</think>"), ("<thinking>", "</thinking>"), ("<reasoning>", "</reasoning>"), ("[THINK]", "[/THINK]"),
        ("<|begin_of_thought|>", "<|end_of_thought|>"))


#: a lone close that ends its line (or the text): how a template-opened span ends ("...\n</think>\n\n"); one inside
#: a line (``t.split('</think>')``, "tags such as </think> close a span") is answer text about tags, not a span
_CLOSE = re.compile(r"</think>[ \t]*(?:\r?\n|$)")


def _inline(text: str, server_split: bool = False) -> tuple[str, str] | None:
    """A leading span; else a lone ``</think>`` with no ``<think>`` before it: at the very start when the server
    already split the reasoning off (``server_split``), else ending its line."""
    s = text.lstrip()
    for open_, close in TAGS:
        if s.startswith(open_):
            end = s.find(close, len(open_))
            if end < 0:
                return s[len(open_):].strip(), ""
            return s[len(open_):end].strip(), s[end + len(close):].lstrip()
    if s.startswith("</think>"):
        return "", s[len("</think>"):].lstrip()
    m = None if server_split else _CLOSE.search(s)  # only the close: the template put "<think>" in the prompt
    if m and "<think>" not in s[:m.start()]:
        return s[:m.start()].strip(), s[m.start() + len("</think>"):].lstrip()
    return None


def split_reasoning(text: str, reasoning_content: str | None = None) -> tuple[str | None, str]:
    """(reasoning, answer). A server's ``reasoning_content`` wins over inline tags."""
    found = _inline(text, server_split=bool(reasoning_content))
    if reasoning_content:
        return reasoning_content, found[1] if found else text
    if found:
        return found
    return None, text


def join_reasoning(reasoning: str | None, answer: str) -> str:
    """Render reasoning into a student's target text the same way for every teacher."""
    return f"<think>\n{reasoning.strip()}\n</think>\n{answer}" if reasoning else answer
