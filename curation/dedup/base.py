"""The ``Deduper`` contract: a dataset-level step that turns the live rows into survivor decisions.

    >>> from curation.dedup.base import Decisions, apply_decisions
    >>> dec = Decisions.from_rows(step_output_rows, stage="minhash")   # the rows a Step changed
    >>> apply_decisions(rows, [(stage, dec.table)])                      # same marks, on another copy

A global step (exact, MinHash, embedding) needs every live row to decide, but what it decides is small:
for each member of a duplicate cluster, its ``cluster_id`` and, for the dropped ones, the survivor and the
reason. The streaming plane moves only those decision rows (``DECISION_SCHEMA``), grouped by the chunk
their row lives in, and applies them to the rows where the rows are (on workers, chunk by chunk). A
decision with ``survivor_id`` null marks a survivor: it gets ``cluster_id`` unless an earlier step gave
it one, exactly as :func:`curation.dedup.mark_cluster` does in process.
"""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa

from curation.dedup import parts_of, required_columns, survivor_key, text_of
from ground.record import ACCEPTED, reject

DECISION_SCHEMA = pa.schema([("id", pa.string()), ("chunk", pa.int32()), ("cluster_id", pa.string()),
                             ("survivor_id", pa.string()), ("reason", pa.string()), ("dedup_key", pa.string())])


def use_ray(engine: str, ray_min_rows: int, n_rows: int) -> bool:
    """A global step's ``engine``: ``auto`` takes the Ray path from ``ray_min_rows`` rows when the run already has
    Ray up (it never starts one); ``ray`` and ``local`` force either."""
    if engine == "auto":
        ray = sys.modules.get("ray")
        return n_rows >= ray_min_rows and ray is not None and ray.is_initialized()
    return engine == "ray"


def survivor_fields(table: pa.Table, on: str) -> tuple[list, list, list, np.ndarray, np.ndarray]:
    """``(ids, chunks, texts, rank, tlen)`` of the accepted rows of one block: the survivor-rule fields
    (:func:`curation.dedup.survivor_key`: rank = minus the score) and the compared text. ``table`` holds
    Sample rows (only the columns the text needs become Python) or a compact table ``id, rank, tlen, text``
    (optionally ``chunk``; all rows count as accepted)."""
    if "text" in table.column_names:
        ids, texts = table.column("id").to_pylist(), table.column("text").to_pylist()
        chunks = table.column("chunk").to_pylist() if "chunk" in table.column_names else [0] * len(ids)
        return ids, chunks, texts, table.column("rank").to_numpy(), table.column("tlen").to_numpy()
    return row_fields(accepted_rows(table, on), on)


def row_fields(rows: list[dict], on: str) -> tuple[list, list, list, np.ndarray, np.ndarray]:
    """:func:`survivor_fields` of rows already read (:func:`accepted_rows`)."""
    ids, texts = [r["id"] for r in rows], [text_of(r, on) for r in rows]
    rank = np.array([survivor_key(r.get("score"), 0, "")[0] for r in rows], dtype=np.float64)
    return ids, [r.get("chunk") or 0 for r in rows], texts, rank, np.array([len(t) for t in texts], dtype=np.int64)


def parts_columns(parts: list[list[str]]) -> dict:
    """``part0, part1`` columns of a compact table when a row is compared in parts (``on: both``), else none."""
    if not parts or len(parts[0]) < 2:
        return {}
    return {f"part{j}": pa.array([p[j] for p in parts], pa.large_string()) for j in range(len(parts[0]))}


def table_parts(table: pa.Table) -> list[list[str]]:
    """Each row's parts from a compact table's ``part0, part1, ...`` columns (its ``text`` alone without them)."""
    names = sorted((c for c in table.column_names if c.startswith("part") and c[4:].isdigit()), key=lambda c: int(c[4:]))
    cols = [table.column(c).to_pylist() for c in names] if names else [table.column("text").to_pylist()]
    return [list(p) for p in zip(*cols)]


def block_fields(table: pa.Table, on: str) -> tuple[list, list, list, np.ndarray, np.ndarray, list[list[str]]]:
    """:func:`survivor_fields` and each row's parts (:func:`curation.dedup.parts_of`; ``[text]`` but with
    ``on: both``), from one read of a block: a compact table's ``part`` columns, or its Sample rows."""
    if "text" in table.column_names:
        ids, chunks, texts, rank, tlen = survivor_fields(table, on)
        return ids, chunks, texts, rank, tlen, (table_parts(table) if on == "both" else [[t] for t in texts])
    rows = accepted_rows(table, on)
    ids, chunks, texts, rank, tlen = row_fields(rows, on)
    return ids, chunks, texts, rank, tlen, ([parts_of(r, on) for r in rows] if on == "both" else [[t] for t in texts])


def accepted_rows(table: pa.Table, on: str) -> list[dict]:
    """The accepted Sample rows of one block, with only the columns the survivor rule and the ``on`` text need."""
    cols = sorted({"id", "chunk", "status", "score", *required_columns(on)} & set(table.column_names))
    return [r for r in table.select(cols).to_pylist() if r.get("status") == ACCEPTED]


def record_key(rec: dict) -> tuple:
    """:func:`curation.dedup.survivor_key` for a member record of the Ray paths (``rank`` = minus the score,
    ``tlen``, ``id``): the smallest key survives."""
    return (float(rec["rank"]), int(rec["tlen"]), rec["id"])


def decisions_from_rows(before: list[dict], after: list[dict], stage: str) -> pa.Table:
    """The decisions an in-process step made: compare each row's dedup columns before and after it ran."""
    out = {n: [] for n in DECISION_SCHEMA.names}
    for b, a in zip(before, after):
        rejected = a.get("reject_stage") == stage and b.get("status") == ACCEPTED
        if not rejected and a.get("cluster_id") == b.get("cluster_id") and a.get("dedup_key") == b.get("dedup_key"):
            continue
        for k, v in (("id", a["id"]), ("chunk", a.get("chunk")), ("cluster_id", a.get("cluster_id")),
                     ("survivor_id", a.get("survivor_id") if rejected else None), ("reason", a.get("reject_reason") if rejected else None),
                     ("dedup_key", a.get("dedup_key"))):
            out[k].append(v)
    return pa.Table.from_pydict(out, schema=DECISION_SCHEMA)


def apply_decisions(rows: list[dict], steps: list[tuple[str, pa.Table]]) -> list[dict]:
    """Mark ``rows`` (in place) with each step's decisions, in step order; only rows still accepted change."""
    for stage, table in steps:
        if table.num_rows == 0:
            continue
        dec = {d["id"]: d for d in table.to_pylist()}
        for r in rows:
            d = dec.get(r["id"])
            if d is None or r.get("status") != ACCEPTED:
                continue
            if d["dedup_key"] is not None:
                r["dedup_key"] = d["dedup_key"]
            if d["survivor_id"] is None:
                if r.get("cluster_id") is None:
                    r["cluster_id"] = d["cluster_id"]
                continue
            r["cluster_id"], r["survivor_id"] = d["cluster_id"], d["survivor_id"]
            reject(r, stage, d["reason"])
    return rows


class Deduper:
    """A dataset-level dedup step for the streaming plane.

    ``decide(live, ctx)`` gets a Ray Dataset of the rows still accepted (all columns, read from the chunk
    shards with the earlier steps' decisions applied) and returns a pyarrow table of decisions
    (:data:`DECISION_SCHEMA`), or a Ray Dataset of them. Rows never have to reach the calling process.
    """

    name: str = "dedup"

    def decide(self, live, ctx):  # pragma: no cover - abstract
        raise NotImplementedError


class GatheredDeduper(Deduper):
    """Runs an in-process dedup ``Step`` on the live rows' compared columns, gathered in the calling process.

    Only the columns the step reads move (id, chunk, score, the compared text), not whole rows; still
    O(live rows) in one process, so it is for steps without a distributed form (embedding dedup's similarity
    search) and for third-party dedup steps. Exact and MinHash have distributed ``decide`` methods.
    """

    def __init__(self, step, columns: tuple[str, ...]):
        self.step, self.name = step, step.name
        self.columns = tuple(dict.fromkeys(("id", "chunk", "status", "score", "cluster_id", "survivor_id", "dedup_key",
                                            "reject_stage", "reject_reason", *columns)))

    def decide(self, live, ctx) -> pa.Table:
        rows = [r for b in live.select_columns(list(self.columns)).iter_batches(batch_format="pyarrow", batch_size=None)
                for r in b.to_pylist()]
        before = [dict(r) for r in rows]
        self.step(rows)
        self.step.close()
        return decisions_from_rows(before, rows, self.name)
