"""Rows the synthesis stage's dedup pass compares (factory/synthesize.py, step 2): seeds, source prompts and new
prompts as the curation dedupers' live rows (id, chunk, status, score, messages). Seeds and source prompts rank
first (score 1), so a new prompt never survives against them; their ids say what they are (``seed:`` /
``source:``), and their chunk is -1, so only the new prompts' decisions are used."""

from __future__ import annotations

import json

import pyarrow as pa

from ground import fsutil
from ground.source import FieldMap, prompt_of, read_unit
from teachers.expand import record_id

LIVE = pa.schema([("id", pa.string()), ("chunk", pa.int32()), ("status", pa.string()), ("score", pa.float64()),
                  ("messages", pa.string()), ("completion", pa.string()), ("cluster_id", pa.string()),
                  ("survivor_id", pa.string()), ("dedup_key", pa.string()), ("reject_stage", pa.string()),
                  ("reject_reason", pa.string())])


def _table(ids: list[str], chunks: list[int], score: float, texts: list[str]) -> pa.Table:
    n = len(ids)
    return pa.table({"id": pa.array(ids, pa.string()), "chunk": pa.array(chunks, pa.int32()),
                     "status": pa.array(["accepted"] * n, pa.string()), "score": pa.array([score] * n, pa.float64()),
                     "messages": pa.array([json.dumps([{"role": "user", "content": t}], ensure_ascii=False) for t in texts], pa.string()),
                     **{c: pa.nulls(n, pa.string()) for c in LIVE.names[5:]}}, schema=LIVE)


def seed_rows(batch: pa.Table) -> pa.Table:
    """One unit of seeds (or of the recipe's source) -> live rows ``seed:<prompt id>`` (``source:<prompt id>``)."""
    from factory.executor import _unit_of

    out = []
    for kind, u, f in zip(batch.column("kind").to_pylist(), batch.column("unit").to_pylist(), batch.column("fields").to_pylist()):
        fm = FieldMap.model_validate_json(f)
        for rec in read_unit(_unit_of(u)):
            p, err = prompt_of(rec, fm)
            if err is None and p is not None:
                out.append((f"{kind}:{record_id(rec, fm)}", p))
    return _table([i for i, _ in out], [-1] * len(out), 1.0, [p for _, p in out])


def candidate_rows(batch: pa.Table) -> pa.Table:
    """New prompts (``synth/prompts/*.parquet``) still accepted -> live rows in their part."""
    rows = [r for r in batch.select(["id", "part", "prompt", "status"]).to_pylist() if r["status"] == "accepted"]
    return _table([r["id"] for r in rows], [r["part"] for r in rows], 0.0, [r["prompt"] for r in rows])


def synth_decisions(batch: pa.Table) -> pa.Table:
    """A step's decisions -> the new prompts' drops only (survivor set, chunk >= 0), with reasons that name the
    survivor as ``seed <id>``, ``source <id>`` or ``synthesized prompt <id>``."""
    from curation.dedup.base import DECISION_SCHEMA

    rows = [d for d in batch.select(DECISION_SCHEMA.names).to_pylist() if d["survivor_id"] is not None and d["chunk"] >= 0]
    for d in rows:
        s = d["survivor_id"]
        kind, sid = s.split(":", 1) if s.startswith(("seed:", "source:")) else ("synthesized prompt", s)
        d["reason"] = d["reason"].replace(s, f"{kind} {sid}")
    return pa.Table.from_pylist(rows, schema=DECISION_SCHEMA)


def write_synth_decisions(batch: pa.Table, dir_uri: str) -> pa.Table:
    """One block of a step's decisions -> the new prompts' drops, written per part by factory/curate_pass.py's writer."""
    from factory.curate_pass import write_decisions

    return write_decisions(synth_decisions(batch), dir_uri)


def part_drops(dirs: list[tuple[str, str]], parts: set[int]) -> dict[str, list[tuple[str, str]]]:
    """{prompt id: [(step, reason)]} of the given parts' drops, in step order (a prompt is dropped by one step)."""
    from factory.curate_pass import load_decisions

    out: dict[str, list[tuple[str, str]]] = {}
    for step, t in load_decisions(dirs, parts):
        for i, r in zip(t.column("id").to_pylist(), t.column("reason").to_pylist()):
            out.setdefault(i, []).append((step, r))
    return out


def drop_decided(batch: pa.Table, dirs: list[tuple[str, str]]) -> pa.Table:
    """Leave out new prompts an earlier dedup step dropped (read from their parts' decision files)."""
    import pyarrow.compute as pc

    ids = part_drops(dirs, {c for c in batch.column("chunk").to_pylist() if c >= 0})
    if not ids:
        return batch
    return batch.filter(pc.invert(pc.is_in(batch.column("id"), pa.array(sorted(ids), pa.string()))))


def kept_counts(batch: pa.Table, store_uri: str) -> pa.Table:
    """Kept prompts per scored part (for the count quota): two numbers per part reach the driver."""
    fs, root = fsutil.filesystem(store_uri)
    parts = batch.column("part").to_pylist()
    kept = [sum(1 for s in fsutil.read_parquet(fs, fsutil.join(root, "synth", "scored", f"part-{p:06d}.parquet")).column("status").to_pylist()
                if s == "accepted") for p in parts]
    return pa.table({"part": pa.array(parts, pa.int64()), "kept": pa.array(kept, pa.int64())})
