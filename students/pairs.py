"""DPO preference pairs from the factory's own rows: no extra labelling.

    >>> from students.pairs import build_pairs
    >>> pairs, stats = build_pairs(accepted_rows + rejected_rows, source="both", max_per_prompt=4)
    >>> pairs[0].keys()
    dict_keys(['prompt', 'chosen', 'rejected', 'prompt_id', 'pair_source'])

Two sources, both in TRL's conversational preference format:

- ``verifier``: for one ``prompt_id``, a sample every verifier accepted (``chosen``) against a sample
  a verifier rejected with a real score (``rejected``). Unverifiable rejects (score None), rows
  rejected before verification (source, generate) and dedup rejects are not preference signal and
  are skipped. Pairs are formed in sample-index order (then id), cycling through the shorter side, up to
  ``max_per_prompt``; identical texts never pair.
- ``constitution``: a row whose ``constitution`` verdict carries ``details`` {initial, revised}
  gives chosen = revised, rejected = initial (:func:`verifiers.constitution.dpo_example`, which keeps
  only revisions that reduced the violated principles).

``stats`` counts pairs per source and the prompts that had passes but no fails (or the reverse).
Both sources work on one prompt_id's rows at a time (:func:`verifier_group`, :func:`constitution_group`):
training builds its pairs with a Ray Data ``groupby("prompt_id").map_groups`` (students/pairs_data.py).
"""

from __future__ import annotations

from typing import Literal

from ground.record import ACCEPTED, REJECTED
from teachers.reasoning import join_reasoning


def _text(row: dict) -> str:
    return join_reasoning(row.get("reasoning"), row.get("completion") or "")


def _turns(row: dict) -> list[dict]:
    """Chosen/rejected side: a tool-use trace keeps its turns (ground/conversation.py), else one answer."""
    from ground.conversation import trace_of

    trace = trace_of(row)
    return trace if trace is not None else [{"role": "assistant", "content": _text(row)}]


def _prompt(row: dict) -> list[dict]:
    """The prompt as the teacher saw it, earlier assistant turns of a multi-turn source included."""
    from ground.conversation import prompt_of

    return prompt_of(row)


def _is_verifier_fail(row: dict) -> bool:
    return (row.get("status") == REJECTED and str(row.get("reject_stage") or "").startswith("verify:")
            and row.get("score") is not None and not str(row.get("reject_reason") or "").startswith("unverifiable")
            and bool((row.get("completion") or "").strip()))


def _by_sample(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r.get("sample_index") or 0, r["id"]))


def verifier_group(pid: str, rows: list[dict], max_per_prompt: int = 4) -> tuple[list[dict], str | None]:
    """The verifier pairs of one prompt_id's rows, and the stat it counts toward when it has none
    (``prompts_only_pass`` / ``prompts_only_fail``; None when it had neither passes nor fails)."""
    good = _by_sample([r for r in rows if r.get("status") == ACCEPTED and (r.get("completion") or "").strip()])
    bad = _by_sample([r for r in rows if _is_verifier_fail(r)])
    if not good or not bad:
        return [], ("prompts_only_pass" if good else "prompts_only_fail") if good or bad else None
    pairs: list[dict] = []
    seen: set = set()
    for i in range(max(len(good), len(bad))):
        g, b = good[i % len(good)], bad[i % len(bad)]
        if len(pairs) >= max_per_prompt or (g["id"], b["id"]) in seen:
            break
        seen.add((g["id"], b["id"]))
        if _text(g).strip() == _text(b).strip():
            continue
        pairs.append({"prompt": _prompt(g), "chosen": _turns(g), "rejected": _turns(b), "prompt_id": pid,
                      "pair_source": "verifier"})
    return pairs, None


def constitution_group(rows: list[dict], name: str = "constitution") -> list[dict]:
    """The constitutional (revised, initial) pairs of one prompt_id's rows, in sample order."""
    from verifiers.constitution import dpo_example

    out = []
    for r in _by_sample(rows):
        ex = dpo_example(r, name)
        if ex is not None:
            out.append({**ex, "prompt_id": r["prompt_id"], "pair_source": "constitution"})
    return out


def _groups(rows: list[dict]) -> dict[str, list[dict]]:
    by_pid: dict[str, list[dict]] = {}
    for r in rows:
        by_pid.setdefault(r["prompt_id"], []).append(r)
    return by_pid


def verifier_pairs(rows: list[dict], max_per_prompt: int = 4) -> tuple[list[dict], dict]:
    pairs: list[dict] = []
    stats = {"verifier_pairs": 0, "prompts_only_pass": 0, "prompts_only_fail": 0}
    for pid, group in sorted(_groups(rows).items()):
        p, stat = verifier_group(pid, group, max_per_prompt)
        pairs += p
        if stat:
            stats[stat] += 1
    stats["verifier_pairs"] = len(pairs)
    return pairs, stats


def constitution_pairs(rows: list[dict], name: str = "constitution") -> tuple[list[dict], dict]:
    pairs = [p for _, group in sorted(_groups(rows).items()) for p in constitution_group(group, name)]
    return pairs, {"constitution_pairs": len(pairs)}


def build_pairs(rows: list[dict], source: Literal["verifier", "constitution", "both"] = "both",
                max_per_prompt: int = 4) -> tuple[list[dict], dict]:
    """All pairs of the chosen sources, plus per-source counts."""
    if source not in ("verifier", "constitution", "both"):
        raise ValueError(f"pairs source must be verifier|constitution|both, got {source!r}")
    pairs: list[dict] = []
    stats: dict = {"rows_in": len(rows)}
    if source in ("verifier", "both"):
        p, s = verifier_pairs(rows, max_per_prompt)
        pairs += p
        stats.update(s)
    if source in ("constitution", "both"):
        p, s = constitution_pairs(rows)
        pairs += p
        stats.update(s)
    stats["pairs"] = len(pairs)
    return pairs, stats
