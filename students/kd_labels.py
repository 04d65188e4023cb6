"""Which stored teacher top-k logprobs soft-label KD may learn from, and turning token strings into student ids.

    >>> from students.kd_labels import check_raw, TokenMap
    >>> check_raw(rows)                        # FactoryError naming the rows when a row's top-k is warped
    >>> TokenMap(student_tok, "smollm2-135m-instruct").to_ids(json.loads(row["teacher_topk"]), row["id"])

Why (issue #13). KD matches the student to the teacher's *distribution*. Logprobs read after the
sampling warpers are a different distribution: at temperature 0.7 / top_p 0.5 a probe stored
``[-0.57, -0.83, -inf, ...]`` where the model says ``[-1.76, -1.94, ...]``, i.e. sharpened and cut.
So each row carries ``teacher_topk_meta`` (:func:`teachers.base.logprobs_meta`): hf_local and vllm
store the raw distribution (``raw: true``) whatever they sample with; an API cannot tell us (``raw:
null``), so its rows are used only when sampled at temperature 1 and top_p 1, where warped and raw
coincide. Rows from before the meta column fall back to their ``params`` column, as an API's would.

API logprobs name tokens by their text. When teacher and student share a tokenizer every such text
is the decoding of exactly one student token; a text that decodes from no student token means the
tokenizers differ, and KD stops with the row and token named. A text that several student tokens
decode to (e.g. the replacement character of partial UTF-8 bytes) cannot be placed: that entry is
dropped, and its mass falls into the tail bucket of :func:`students.losses.topk_kd_loss`.
"""

from __future__ import annotations

import json
import logging

from ground.errors import FactoryError

log = logging.getLogger(__name__)

#: an API-side token that is not text (vLLM / OpenAI spell undecodable byte pieces so)
UNDECODABLE_PREFIX = "bytes:"


def meta_of(row: dict) -> dict:
    """The row's logprob provenance; for rows written before ``teacher_topk_meta``, what ``params`` tells."""
    if row.get("teacher_topk_meta"):
        return json.loads(row["teacher_topk_meta"])
    p = json.loads(row["params"]) if row.get("params") else {}
    return {"source": row.get("engine") or "unknown", "raw": None, "temperature": p.get("temperature"),
            "top_p": p.get("top_p", 1.0)}


def is_raw(meta: dict) -> bool:
    """Raw model distribution: recorded so by the engine, or sampled unwarped (temperature 1, top_p 1)."""
    return meta.get("raw") is True or (meta.get("temperature") == 1.0 and meta.get("top_p") == 1.0)


def check_raw(rows: list[dict], where: str = "this run") -> None:
    """One-line FactoryError naming the rows whose stored top-k are (or may be) warped by sampling."""
    bad = [r for r in rows if is_warped(r)]
    if bad:
        raise warped_error(bad[:3], len(bad), where)


def topk_removed(row: dict) -> str | None:
    """Why a row's top-k were taken off after generation (``"pii"``: its answer was redacted), or None."""
    return None if row.get("teacher_topk") else meta_of(row).get("removed")


def is_warped(row: dict) -> bool:
    return bool(row.get("teacher_topk")) and not is_raw(meta_of(row))


def warped_error(first: list[dict], n: int, where: str) -> FactoryError:
    """The error for ``n`` warped rows, ``first`` (up to 3 of them) named."""
    m, r = meta_of(first[0]), first[0]
    ids = ", ".join(x["id"] for x in first[:3]) + (", ..." if n > 3 else "")
    return FactoryError(
        f"method kd: {n} row(s) of {where} ({ids}) hold top-k logprobs from teacher {r.get('teacher')!r} "
        f"({m.get('source')}) sampled at temperature {m.get('temperature')}, top_p {m.get('top_p')}, which may be "
        f"warped, not the teacher's distribution; re-generate with an hf_local/vllm teacher (raw logprobs) or "
        f"with the API teacher at temperature 1.0 and top_p 1.0")


class TokenMap:
    """Student tokenizer: token text -> token id, for top-k logprobs that APIs return as strings."""

    def __init__(self, tok, name: str):
        self.name = name
        pieces = tok.batch_decode([[i] for i in range(len(tok))])
        self.ids: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        for i, s in enumerate(pieces):
            if s in self.ids or s in self.ambiguous or "\ufffd" in s:
                self.ambiguous.add(s)
                self.ids.pop(s, None)
            else:
                self.ids[s] = i
        self.dropped = 0

    def to_ids(self, topk: list[list], row_id: str) -> list[list]:
        """``[[[text, lp], ...], ...]`` -> ``[[[id, lp], ...], ...]``; an unknown text is a tokenizer mismatch."""
        out = []
        for t, step in enumerate(topk):
            mapped = []
            for text, lp in step:
                if text in self.ids:
                    mapped.append([self.ids[text], lp])
                elif text in self.ambiguous or "\ufffd" in text or text.startswith(UNDECODABLE_PREFIX):
                    self.dropped += 1
                else:
                    raise FactoryError(
                        f"method kd: row {row_id}, token {t}: the teacher's token {text!r} is no token of the student "
                        f"tokenizer ({self.name}); teacher and student tokenizers differ, and top-k logprobs given as "
                        f"token strings can only be distilled into a student with the teacher's tokenizer")
            out.append(mapped)
        return out
