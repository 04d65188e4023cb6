"""Held-out soft-label KD quality: the student's KL to the teacher's top-k, before and after training.

    >>> from factory.recipe import load_recipe
    >>> from students.kd_eval import heldout_rows, kl_before_after
    >>> r = load_recipe("recipes/distill_arith_kd.yaml")
    >>> rows = heldout_rows(r, "data/distill_arith/test.jsonl", limit=24)   # the recipe's teacher and sampling
    >>> kl_before_after(r, rows, "runs/distill_arith_kd/<run id>/train/adapter")
    {'base_kl': ..., 'student_kl': ..., 'ratio': ..., 'tokens': ..., 'rows': 24}

Held-out rows are made exactly as the pipeline makes training rows (same template, system prompt,
teacher and sampling, so the same raw top-k), from prompts the student never trained on. The KL is
:func:`students.kd.topk_kl`: per completion token, KL(teacher top-k + tail bucket || student), on
the prompt the student is asked (without the system message under ``train.drop_system_prompt``).
A trained student below the base student's KL learned the teacher's distribution, not the prompts.
"""

from __future__ import annotations

from pathlib import Path

from ground.record import ACCEPTED


def heldout_rows(recipe, path: str, limit: int, offset: int = 0) -> list[dict]:
    """The recipe's teacher on records ``offset`` .. ``offset + limit - 1`` of ``path`` (same fields as the recipe's
    source; the source's own offset and split are not applied), one sample each. Records the recipe's source trains
    on are refused (FactoryError naming them), before the teacher is asked."""
    from ground.errors import FactoryError
    from ground.source import shared_records
    from teachers.expand import build_rows
    from teachers.step import GenerateStep, teacher_cfg

    ev = recipe.model_copy(deep=True)
    ev.source = recipe.source.model_copy(update={"path": str(Path(path).resolve()), "limit": int(limit), "offset": int(offset),
                                                 "split": None})
    why = shared_records(recipe.source, ev.source, recipe.base_dir)
    if why:
        raise FactoryError(f"kd_eval: {why}")
    ev.teacher.n = 1
    gen = GenerateStep(teacher_cfg(ev.teacher, recipe.base_dir), cache_uri=None)
    try:
        return gen(build_rows(ev))
    finally:
        gen.close()


def kl_before_after(recipe, rows: list[dict], adapter_dir: str) -> dict:
    """Mean per-token KL to the teacher's top-k of the base student and of base + the trained LoRA adapter."""
    from peft import PeftModel

    from ground.models import load_causal_lm
    from students.data import template_text
    from students.kd import kd_examples, topk_kl

    t = recipe.train
    ex = kd_examples([r for r in rows if r["status"] == ACCEPTED], drop_system=t.drop_system_prompt)
    model, tok = load_causal_lm(t.student)
    text = template_text({"chat_template": t.chat_template}, recipe.path)
    if text:  # the recipe's train.chat_template: the student is scored on the prompts as it trained on them
        tok.chat_template = text
    base = topk_kl(model, tok, ex, t.max_seq_len)
    student = PeftModel.from_pretrained(model, adapter_dir)
    student.eval()
    after = topk_kl(student, tok, ex, t.max_seq_len)
    tokens = sum(len(e["topk"]) for e in ex)
    return {"base_kl": round(base, 4), "student_kl": round(after, 4), "ratio": round(after / base, 3) if base else None,
            "tokens": tokens, "rows": len(ex)}
