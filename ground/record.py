"""The one record type: a ``Sample`` row, and its Parquet schema (the single place it is defined).

Every stage reads and writes rows that follow :data:`SCHEMA`. Nested values (messages, sampling
params, verdicts, source fields) are JSON strings so that every shard has the same Arrow schema no
matter which verifiers or teachers produced it; ``factory export`` turns them back into structures.
JSON strings rather than nested Arrow types for messages on purpose: OpenAI messages have keys that
vary per role (``tool_calls``, ``tool_call_id``, ``reasoning_content``, a system ``tools`` catalogue
whose JSON schemas have free-form keys), and an Arrow struct would need one union type for all of
them, add null keys, and reorder or fail on schemas whose properties differ; the string round-trips
them losslessly, ``tool_calls[].function.arguments`` (itself a JSON string) included.

    >>> from ground.record import new_sample, sample_id
    >>> row = new_sample(stage="gen", prompt_id="p1", sample_index=0, messages=[{"role": "user", "content": "2+2?"}])
    >>> row["id"] == sample_id("gen", "p1", 0)
    True

Columns
-------
id             deterministic: sha256(stage, prompt_id, sample_index)[:24]
prompt_id      sha256 of the source record (or the source's own id field)
sample_index   0..n-1 within a prompt
chunk          source chunk number (the unit of resume)
category       optional routing/eval category from the source
messages       JSON list of OpenAI messages: the prompt as sent to the teacher; a tool-use row's first
               system message carries the tool catalogue under "tools" (OpenAI function specs)
reference      reference answer from the source (e.g. GSM8K's final number), may be null
source         JSON object: the original source record
template_hash  sha256 of the prompt template file
request_key    request-cache key (engine, model, messages, params, sample index)
completion     the teacher's answer text (reasoning removed); for a tool-use row, the JSON list of turns
               after the prompt: assistant turns with "tool_calls" (parallel calls are several entries;
               "arguments" is a JSON string, as OpenAI sends it), one {"role": "tool", "tool_call_id",
               "content"} per call, then the final answer. ground/conversation.py rebuilds the full
               message list; exports and SFT read rows only through it
reasoning      reasoning_content or the <think> span, if any (a tool-use row keeps each turn's reasoning as
               that assistant message's "reasoning_content" in the trace instead)
teacher        teacher name from the recipe; engine, model likewise
params         JSON object: sampling params incl. seed
finish_reason  "stop" | "length" | "error" | ...
tokens_in/out  token counts as reported by the engine
gen_seconds    wall time attributed to this row's request
cost           dollars for this row's teacher call (price table in the recipe)
cache_hit      the request was answered from the request cache
verdicts       JSON object: verifier name -> {"score", "reason", "cost", "version"}
score          the minimum verifier score (null if no verifier or unverifiable)
status         "accepted" | "rejected"
reject_stage   the stage that rejected the row (null if accepted)
reject_reason  why
dedup_key      sha256 of the normalised text compared by exact dedup
cluster_id     dedup cluster id (null if unique)
survivor_id    id of the row kept for the cluster (null if this row is the survivor)
teacher_topk   JSON: per-token top-k logprobs when the recipe asks for them (else null)
teacher_topk_meta  JSON: what teacher_topk means: source engine, raw (model distribution at temperature 1,
               before sampling warps) or not, sampling temperature / top_p, token ids or strings; "removed":
               "pii" when PII redaction changed the answer after generation (its top-k were dropped with the span)
synthesized    the prompt was written by a teacher from a seed prompt (factory/synthesize.py)
seed_id        synthesized: the prompt id of its seed
synth_condition  synthesized: "persona: ..." or "topic: ..." it was conditioned on (null if none)
synth_template_hash / synth_teacher  synthesized: sha256 of the synthesis template, and the teacher that wrote it
agreement      self-consistency: share of the m teacher samples that gave the majority answer (the reference)
reference_source  "source" (the source's reference field) | "self_consistency" (majority vote) | null
pass_rate      per prompt (the same on each of its rows): verified samples / judged samples (samples used that
               a verifier could judge: an unverifiable one is in neither), set when the run is curated; null
               when no sample was judged (e.g. a source reject). A sample is verified when no source, generate
               or verify stage rejected it and no verdict was unverifiable (curation.pass_rate)
samples_used   per prompt: how many of its samples reached a teacher (fixed n: n; teacher.until: the waves
               it took), less those that failed transiently (timeout, 429, 5xx: no verdict on the prompt)
prompt_cost    per prompt: the sum of ``cost`` over all of its rows
The last three columns were added after the first release: shards written before them read back with nulls.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("prompt_id", pa.string()),
        ("sample_index", pa.int32()),
        ("chunk", pa.int32()),
        ("category", pa.string()),
        ("messages", pa.string()),
        ("reference", pa.string()),
        ("source", pa.string()),
        ("template_hash", pa.string()),
        ("request_key", pa.string()),
        ("completion", pa.string()),
        ("reasoning", pa.string()),
        ("teacher", pa.string()),
        ("engine", pa.string()),
        ("model", pa.string()),
        ("params", pa.string()),
        ("finish_reason", pa.string()),
        ("tokens_in", pa.int32()),
        ("tokens_out", pa.int32()),
        ("gen_seconds", pa.float64()),
        ("cost", pa.float64()),
        ("cache_hit", pa.bool_()),
        ("verdicts", pa.string()),
        ("score", pa.float64()),
        ("status", pa.string()),
        ("reject_stage", pa.string()),
        ("reject_reason", pa.string()),
        ("dedup_key", pa.string()),
        ("cluster_id", pa.string()),
        ("survivor_id", pa.string()),
        ("teacher_topk", pa.string()),
        ("teacher_topk_meta", pa.string()),
        # provenance of synthesized prompts (factory/synthesize.py); plain source rows: synthesized false
        ("synthesized", pa.bool_()),
        ("seed_id", pa.string()),
        ("synth_condition", pa.string()),
        ("synth_template_hash", pa.string()),
        ("synth_teacher", pa.string()),
        ("agreement", pa.float64()),
        ("reference_source", pa.string()),
        ("pass_rate", pa.float64()),
        ("samples_used", pa.int32()),
        ("prompt_cost", pa.float64()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
ACCEPTED, REJECTED = "accepted", "rejected"


def sha_prefix(*parts: Any, prefix=None):
    """The hash state after ``parts`` (continuing ``prefix``): many keys that share leading parts (the n samples
    of one prompt) hash those parts once. ``sha(a, b, c) == sha(c, prefix=sha_prefix(a, b))``."""
    h = prefix.copy() if prefix is not None else hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else json.dumps(p, sort_keys=True, ensure_ascii=False, default=str).encode())
        h.update(b"\x1f")
    return h


def sha(*parts: Any, n: int = 24, prefix=None) -> str:
    return sha_prefix(*parts, prefix=prefix).hexdigest()[:n]


def hash_parts(keys: list[str], parts: int) -> list[int]:
    """The shuffle partition of each hex-hash key (request keys, dedup keys): equal keys meet in one partition."""
    return [int(k[:8], 16) % parts for k in keys]


def sample_id(stage: str, prompt_id: str, sample_index: int) -> str:
    return sha(stage, prompt_id, int(sample_index))


_COLUMN_SET = frozenset(COLUMNS)
_EMPTY_ROW = dict.fromkeys(COLUMNS)


def new_sample(*, stage: str, prompt_id: str, sample_index: int, messages: list[dict] | str, **fields: Any) -> dict:
    """A fresh row with every column present (nulls where unknown). ``messages``: the chat messages, or their
    JSON already made (the n samples of a prompt share it)."""
    row: dict[str, Any] = dict(_EMPTY_ROW)
    row.update(
        id=sample_id(stage, prompt_id, sample_index),
        prompt_id=prompt_id,
        sample_index=int(sample_index),
        messages=messages if isinstance(messages, str) else json.dumps(messages, ensure_ascii=False),
        status=ACCEPTED,
        cache_hit=False,
    )
    unknown = fields.keys() - _COLUMN_SET
    if unknown:
        raise KeyError(f"unknown Sample columns: {sorted(unknown)}")
    row.update(fields)
    return row


def reject(row: dict, stage: str, reason: str) -> dict:
    """Mark a row rejected (first rejection wins: later stages skip rejected rows)."""
    if row.get("status") != REJECTED:
        row["status"], row["reject_stage"], row["reject_reason"] = REJECTED, stage, reason
    return row


def to_table(rows: list[dict]) -> pa.Table:
    """Rows -> an Arrow table with exactly :data:`SCHEMA` (missing columns become null)."""
    cols = {c: [r.get(c) for r in rows] for c in COLUMNS}
    return pa.Table.from_pydict(cols, schema=SCHEMA)


def from_table(table: pa.Table) -> list[dict]:
    return table.select([c for c in COLUMNS if c in table.column_names]).to_pylist()


def messages_of(row: dict) -> list[dict]:
    return json.loads(row["messages"]) if row.get("messages") else []
