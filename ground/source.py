"""Read a recipe's source into prompt rows: one row per (source record, sample index).

    >>> from factory.recipe import load_recipe  # (factory builds on ground)
    >>> from ground.source import read_records
    >>> records = read_records(load_recipe("recipes/gsm8k_demo.yaml").source, base_dir=".")

Malformed records (bad JSON line, non-UTF-8 bytes, missing prompt field, empty prompt, a prompt
over ``MAX_PROMPT_CHARS``) do not stop the run: they become rows rejected at stage ``source``
with the reason and the line number, so they are counted and kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from pydantic import Field

from ground.config import Config as _Cfg
from ground.errors import FactoryError

MAX_PROMPT_CHARS = 200_000


class FieldMap(_Cfg):
    prompt: str = Field("question", description="source field holding the user prompt")
    reference: str | None = Field(None, description="source field with the reference answer/tests (optional)")
    id: str | None = Field(None, description="source field with a stable id (default: hash of the record)")
    category: str | None = Field(None, description="source field used for per-category stats/eval and routing")
    messages: str | None = Field(None, description="source field holding a ready chat message list (then no template is needed)")


class SourceConfig(_Cfg):
    path: str = Field(..., description="jsonl or parquet file, or a directory of them; relative to the recipe")
    format: Literal["auto", "jsonl", "parquet"] = Field("auto", description="file format; auto uses the extension")
    fields: FieldMap = Field(default_factory=FieldMap, description="which source fields play which role")
    limit: int | None = Field(None, gt=0, description="use only the first N records")
    offset: int = Field(0, ge=0, description="skip the first N records (e.g. to hold some out)")
    split: str | None = Field(None, description="for a directory: read files whose name starts with this split")


class PromptConfig(_Cfg):
    template: str | None = Field(None, description="template file; {prompt} and any {source_field} are substituted")
    system: str | None = Field(None, description="optional file with a system prompt")


@dataclass
class SourceRecord:
    index: int  # position in the source after offset
    data: dict[str, Any] | None
    error: str | None = None
    where: str = ""


def _files(path: Path, fmt: str, split: str | None) -> list[tuple[Path, str]]:
    if path.is_dir():
        out = []
        for f in sorted(path.iterdir()):
            if split and not f.name.startswith(split):
                continue
            if f.suffix in (".jsonl", ".json"):
                out.append((f, "jsonl"))
            elif f.suffix == ".parquet":
                out.append((f, "parquet"))
        return out
    if fmt == "auto":
        fmt = "parquet" if path.suffix == ".parquet" else "jsonl"
    return [(path, fmt)]


def read_records(src, base_dir: str | Path) -> list[SourceRecord]:
    path = Path(src.path) if Path(src.path).is_absolute() else Path(base_dir) / src.path
    if not path.exists():
        raise FactoryError(f"source.path: file not found: {path}")
    records: list[SourceRecord] = []
    for f, fmt in _files(path, src.format, src.split):
        if fmt == "parquet":
            for i, row in enumerate(pq.read_table(f).to_pylist()):
                records.append(SourceRecord(0, row, where=f"{f.name} row {i}"))
        else:
            with open(f, "rb") as fh:
                for ln, raw in enumerate(fh, 1):
                    if not raw.strip():
                        continue
                    where = f"{f.name}:{ln}"
                    try:
                        obj = json.loads(raw.decode("utf-8"))
                        if not isinstance(obj, dict):
                            raise ValueError("not a JSON object")
                        records.append(SourceRecord(0, obj, where=where))
                    except UnicodeDecodeError:
                        records.append(SourceRecord(0, None, "not UTF-8", where))
                    except ValueError as e:
                        records.append(SourceRecord(0, None, f"bad JSON: {str(e)[:80]}", where))
    records = records[src.offset:]
    if src.limit is not None:
        records = records[: src.limit]
    for i, r in enumerate(records):
        r.index = i
    if not records:
        raise FactoryError(f"source.path: {path} has no rows" + (f" after offset {src.offset}" if src.offset else ""))
    return records


def prompt_of(rec: SourceRecord, fields) -> tuple[str | None, str | None]:
    """(prompt, error) for one record."""
    if rec.error:
        return None, rec.error
    assert rec.data is not None
    if fields.messages is not None:
        return None, None
    if fields.prompt not in rec.data:
        return None, f"missing field {fields.prompt!r}"
    p = rec.data[fields.prompt]
    if not isinstance(p, str) or not p.strip():
        return None, f"empty prompt in field {fields.prompt!r}"
    if len(p) > MAX_PROMPT_CHARS:
        return None, f"prompt too long: {len(p)} chars > {MAX_PROMPT_CHARS}"
    return p, None
