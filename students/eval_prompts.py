"""The eval's prompt variants (students/eval.py): what each column of the score table is asked.

With ``train.drop_system_prompt`` (context distillation) the student was trained to behave as if it saw the
teacher's system prompt, so the base and student columns are asked WITHOUT any system message and the teacher
column WITH it (``train.onpolicy.teacher_system`` when an on-policy recipe names one, else ``prompt.system``).
Each table entry records what its model was actually sent: ``system_prompt`` is true (every prompt had a system
message), false (none had) or ``"mixed"``, computed from the messages, not from the recipe flag.
"""

from __future__ import annotations

import json

from ground.conversation import without_system as drop_system
from ground.record import messages_of


def _set_messages(row: dict, msgs: list[dict]) -> dict:
    from teachers.cache import request_key

    out = dict(row)
    out["messages"] = json.dumps(msgs, ensure_ascii=False)
    params = json.loads(row["params"]) if row.get("params") else {}
    out["request_key"] = request_key(row["engine"], row["model"], msgs, params, row["sample_index"])
    return out


def without_system(rows: list[dict]) -> list[dict]:
    """The same prompts with every system message removed (what a context-distilled student is asked)."""
    return [_set_messages(r, drop_system(messages_of(r))) for r in rows]


def with_system(rows: list[dict], system: str) -> list[dict]:
    """The same prompts with ``system`` as their only system message (which keeps their tool catalogue)."""
    out = []
    for r in rows:
        msgs = drop_system(messages_of(r))
        head = {"role": "system", "content": system, **({"tools": msgs.pop(0)["tools"]} if msgs and msgs[0].get("role") == "system" else {})}
        out.append(_set_messages(r, [head, *msgs]))
    return out


def system_prompt_used(rows: list[dict]) -> bool | str:
    """True when every prompt sent had a system message, False when none had, else ``"mixed"``."""
    flags = {any(m.get("role") == "system" and m.get("content") is not None for m in messages_of(r)) for r in rows}
    return "mixed" if len(flags) > 1 else (flags.pop() if flags else False)


def drops_system_prompt(recipe) -> bool:
    return bool(recipe.train and recipe.train.drop_system_prompt)


def _teacher_system(recipe) -> str | None:
    """The system prompt an on-policy context-distillation teacher saw in training, if the recipe names one."""
    t = recipe.train
    if t is not None and t.method == "onpolicy" and t.onpolicy.teacher_system:
        return recipe.path(t.onpolicy.teacher_system).read_text(encoding="utf-8").strip()
    return None


def prompt_variants(recipe, rows: list[dict]) -> dict[str, list[dict]]:
    """Rows per eval column: base/student without the system prompt under ``drop_system_prompt``, teacher with it."""
    drop = drops_system_prompt(recipe)
    student = without_system(rows) if drop else rows
    tsys = _teacher_system(recipe) if drop else None
    teacher = with_system(rows, tsys) if tsys else rows
    return {"base": student, "student": student, "teacher": teacher}
