"""Exact dedup: normalised-text hash; one survivor per identical group.

    >>> from curation.dedup.exact import ExactDedup, ExactDedupConfig
    >>> rows = ExactDedup(ExactDedupConfig(on="completion"))(rows)

Normalisation: Unicode NFKC, lower case, whitespace collapsed, so trivially different copies
collide. ``on`` picks the compared text: ``prompt`` (problem-level), ``completion`` (trace-level;
the default) or ``both``. The survivor of a group is chosen by a rule, never at random: highest
``score``, then shortest completion, then smallest ``id``. Dropped rows record ``cluster_id``
(the group's hash) and ``survivor_id``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from ground.record import reject
from ground.step import Step

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def prompt_text(row: dict) -> str:
    msgs = json.loads(row["messages"]) if row.get("messages") else []
    return "\n".join(m.get("content") or "" for m in msgs if m.get("role") == "user")


def compared_text(row: dict, on: str) -> str:
    if on == "prompt":
        return prompt_text(row)
    if on == "completion":
        return row.get("completion") or ""
    return prompt_text(row) + "\n\x1e\n" + (row.get("completion") or "")


def survivor_order(row: dict) -> tuple:
    """Sort key: the first row of a cluster in this order survives."""
    s = row.get("score")
    return (-(s if s is not None else -1.0), len(row.get("completion") or ""), row["id"])


@dataclass
class ExactDedupConfig:
    on: str = "completion"  # "prompt" | "completion" | "both"

    def __post_init__(self) -> None:
        if self.on not in ("prompt", "completion", "both"):
            raise ValueError(f"dedup.exact.on must be prompt|completion|both, got {self.on!r}")


class ExactDedup(Step):
    name = "dedup_exact"
    requires = ("id", "messages", "completion")
    produces = ("dedup_key", "cluster_id", "survivor_id")

    def __init__(self, config: ExactDedupConfig | None = None):
        self.config = config or ExactDedupConfig()

    def process(self, rows: list[dict]) -> list[dict]:
        groups: dict[str, list[dict]] = {}
        for r in rows:
            key = hashlib.sha256(normalise(compared_text(r, self.config.on)).encode()).hexdigest()[:32]
            r["dedup_key"] = key
            groups.setdefault(key, []).append(r)
        for key, members in groups.items():
            if len(members) < 2:
                continue
            members.sort(key=survivor_order)
            keep = members[0]
            keep["cluster_id"] = f"exact:{key[:16]}"
            for r in members[1:]:
                r["cluster_id"], r["survivor_id"] = keep["cluster_id"], keep["id"]
                reject(r, self.name, f"exact duplicate of {keep['id']}")
        return rows
