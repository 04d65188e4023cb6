"""Per-prompt pass rate, samples used and cost, and the difficulty filter ``filters.keep_pass_rate``.

    >>> from curation.pass_rate import annotate, keep_pass_rate
    >>> rows = annotate(rows)                        # every row gets its prompt's pass_rate, samples_used, prompt_cost
    >>> rows = keep_pass_rate(rows, (0.1, 0.9))      # rows of prompts outside [lo, hi] rejected at stage pass_rate

Both need every sample of a prompt in the same batch: the curation passes read one block per source chunk
(all of its waves), and a prompt's samples are all in its chunk. A sample is *used* when it reached a teacher
(a call or a cache hit) and got an answer or a teacher's own failure (an empty answer, a refusal); *judged*
when it is used and the verifiers gave it a verdict; *verified* when it is judged and no source, generate or
verify stage rejected it (row filters and dedup come later and do not change a prompt's pass rate). The pass
rate is verified / judged.

* A transient failure (timeout, 429, 5xx, lost connection: :func:`teachers.base.transient_failure`) says nothing
  about the prompt: it is not a sample used, so it neither lowers the pass rate nor uses up a prompt's
  ``until.max_samples`` before its last wave.
* An unverifiable sample (a verifier returned no score: no reference, a judge's or sandbox's error) is used
  (it cost a call) but not judged: it is not verified (it passed no verifier, also under ``accept_unverifiable``,
  so it does not stop a prompt's waves) and not in the pass rate either way (a prompt with no verdict at all
  has pass rate null and the filter leaves it alone).
"""

from __future__ import annotations

import json

from ground.record import reject
from teachers.base import transient_failure

STAGE = "pass_rate"


def used(row: dict) -> bool:
    st = row.get("reject_stage")
    if st == "generate":
        return not transient_failure(row.get("reject_reason"))
    return st not in ("source", "budget") and row.get("completion") is not None


def unverifiable(row: dict) -> bool:
    """A used sample that no verifier could judge: rejected as ``unverifiable: ...``, or kept (``accept_unverifiable``)
    with a verdict of score null."""
    st = row.get("reject_stage") or ""
    if st.startswith("verify"):
        return (row.get("reject_reason") or "").startswith("unverifiable:")
    if not used(row) or st == "generate":
        return False
    try:
        verdicts = json.loads(row.get("verdicts") or "{}")
    except ValueError:
        return False
    return isinstance(verdicts, dict) and any(isinstance(v, dict) and v.get("score") is None for v in verdicts.values())


def verified(row: dict) -> bool:
    st = row.get("reject_stage") or ""
    return (row.get("completion") is not None and st not in ("source", "generate", "budget") and not st.startswith("verify")
            and not unverifiable(row))


def prompt_counts(rows: list[dict]) -> dict[str, list]:
    """prompt_id -> [samples used, verified, cost, judged] over ``rows``."""
    out: dict[str, list] = {}
    for r in rows:
        c = out.setdefault(r["prompt_id"], [0, 0, 0.0, 0])
        u = used(r)
        c[0] += u
        c[1] += verified(r)
        c[2] += float(r.get("cost") or 0.0)
        c[3] += u and not unverifiable(r)
    return out


def annotate(rows: list[dict]) -> list[dict]:
    """Set ``pass_rate``, ``samples_used`` and ``prompt_cost`` on every row from its prompt's rows in the batch."""
    counts = prompt_counts(rows)
    for r in rows:
        n, ok, cost, judged = counts[r["prompt_id"]]
        r.update(pass_rate=ok / judged if judged else None, samples_used=n, prompt_cost=cost)
    return rows


def keep_pass_rate(rows: list[dict], bounds: tuple[float, float] | None) -> list[dict]:
    """Reject (stage ``pass_rate``) the rows of prompts whose pass rate is outside ``bounds``; rows already
    rejected keep their first reason. Prompts with no judged sample (pass_rate null) are left alone."""
    if bounds is None:
        return rows
    lo, hi = bounds
    counts = prompt_counts(rows)
    for r in rows:
        p = r.get("pass_rate")
        if p is not None and not lo <= p <= hi:
            _, ok, _, judged = counts[r["prompt_id"]]
            reject(r, STAGE, f"pass rate out of range: {p:.3f} ({ok}/{judged} verified) not in [{lo}, {hi}]")
    return rows
