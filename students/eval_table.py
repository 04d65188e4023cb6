"""The eval's summary for the CLI (students/eval.py's result -> rows, header and notes)."""

from __future__ import annotations

from students.tool_eval import cell


def summary_rows(info: dict) -> tuple[list[list], list[str], list[str]]:
    """The CLI summary: (rows, header, notes) for the held-out table and the regression set."""
    def yn(v) -> str:
        return {True: "yes", False: "no"}.get(v, str(v)) if v is not None else "?"

    def vs(v: dict, base: dict | None, label: str) -> str:
        return "-" if label == "base" or not base else f"{v['accuracy'] - base['accuracy']:+.3f}"

    table = info.get("table") or {}
    tools = any(v.get("tool_ast") for v in table.values())
    rows = [["held-out", m, yn(v.get("system_prompt")), v["n"], v["correct"], f"{v['accuracy']:.3f}", vs(v, table.get("base"), m)]
            + ([cell(v.get("tool_ast"))] if tools else []) for m, v in table.items()]
    notes = []
    reg = info.get("regression")
    if reg:
        for m in ("base", "student"):
            v = reg.get(m)
            if v is not None:
                rows.append(["regression", m, yn(v.get("system_prompt")), v["n"], v["correct"], f"{v['accuracy']:.3f}",
                             vs(v, reg.get("base"), m)] + (["-"] if tools else []))
        if reg.get("regressed") is None:
            notes.append(f"regression check ({reg['source']}): not decided: {reg.get('reason', 'no student')}")
        else:
            notes.append(f"regression check ({reg['source']}, {reg['n']} items): student - base = {reg['delta']:+.3f}, "
                         f"max_drop {reg['max_drop']} -> " + ("REGRESSED" if reg["regressed"] else "ok"))
    for m, v in table.items():
        if v.get("failed"):
            why = "; ".join(v.get("failure_reasons") or {}) or "no reason recorded"
            notes.append(f"{m}: {v['failed']} of {v['n']} held-out items got no answer ({why}); counted as wrong")
        if v.get("no_verdict"):
            notes.append(f"{m}: {v['no_verdict']} of {v['n']} held-out items could not be judged by the verifiers "
                         "(e.g. no reference); counted as wrong")
    if info.get("student_missing"):
        notes.append(f"no student column: {info['student_missing']}")
    if info.get("held_out_short"):
        notes.append(info["held_out_short"])
    for m, v in table.items():
        if v.get("few_shot_messages"):
            notes.append(f"{m}: asked with {v['few_shot_messages']} few-shot demonstration messages before every prompt "
                         "(its engine's few_shot option); columns without this note were not")
    ov = info.get("overlap")
    if ov and ov.get("items"):
        notes.append(f"WARNING: {ov['items']} of {ov['n']} held-out prompts are also training prompts of this run "
                     f"(e.g. {', '.join(map(str, ov.get('examples') or []))}): the student column is not a held-out score")
    header = ["set", "model", "system prompt", "n", "correct", "accuracy", "vs base"] + (["tool AST (per category)"] if tools else [])
    return rows, header, notes
