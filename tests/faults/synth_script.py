"""``FaultInjectingServer(answer="synth")``: a scripted teacher (a fake, named as one) for prompt synthesis tests.

A synthesis request (its user message asks for a "numbered list", recipes/prompts/self_instruct.txt) gets a
numbered list built from the first ``A + B`` in the seed and the request's sampling seed ``s`` (``d = s % 1000``,
the request number): the seed itself (an exact duplicate of a seed), a new sum twice (a duplicate between new
prompts), the same sum with a space before "?" (a near-duplicate: same words), a question with no number
("Name a colour you like." : the arith script answers "I cannot tell.", no self-consistent answer) and one more
new sum. An evol request ("Rewrite the given problem") gets one rewritten sum. Anything else is answered by
:func:`tests.faults.fault_server.scripted_answer` (``answer="arith"``).
"""

from __future__ import annotations

import re

_SUM = re.compile(r"(\d+)\s*\+\s*(\d+)")


def synth_list(a: int, b: int, d: int) -> list[str]:
    """The items a numbered-list request for seed ``What is a + b?`` and request number ``d`` is answered with."""
    x, y = a + 1 + 10 * d, b + 2
    return [f"What is {a} + {b}?", f"What is {x} + {y}?", f"What is {x} + {y}?", f"What is {x} + {y} ?",
            "Name a colour you like.", f"What is {x + 3} + {y + 5}?"]


def synth_answer(req: dict, user: str) -> str | None:
    """The scripted answer to a synthesis request, or None when ``user`` is not one."""
    m = _SUM.search(user)
    if "numbered list" in user and m:
        d = int(req.get("seed") or 0) % 1000
        return "Sure! Here are the problems:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(synth_list(int(m[1]), int(m[2]), d), 1))
    if "Rewrite the given problem" in user and m:
        return f"New problem: What is {int(m[1]) * 10 + 7} + {int(m[2]) + 100}?"
    return None
