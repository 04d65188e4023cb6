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
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from pydantic import Field

from ground.config import Config as _Cfg
from ground.errors import FactoryError
from ground.source_check import check_readable
from ground.source_files import arrow_table, source_files

MAX_PROMPT_CHARS = 200_000


class FieldMap(_Cfg):
    prompt: str = Field("question", description="source field holding the user prompt")
    reference: str | None = Field(None, description="source field with the reference answer/tests (optional)")
    id: str | None = Field(None, description="source field with a stable id (default: hash of the record)")
    category: str | None = Field(None, description="source field used for per-category stats/eval and routing")
    messages: str | None = Field(None, description="source field holding a ready chat message list (then no template is needed): "
                                                 "OpenAI role/content, or ShareGPT from/value (human, gpt, system, ...)")


class SourceConfig(_Cfg):
    path: str = Field(..., description="jsonl, parquet or arrow file, a glob, a directory of them, a Hugging Face dataset "
                                       "repository as downloaded, or a datasets save_to_disk folder; relative to the recipe")
    format: Literal["auto", "jsonl", "parquet", "arrow"] = Field("auto", description="file format; auto uses the extension "
                                                                    "(.parquet, .arrow/.feather, else JSON Lines)")
    fields: FieldMap = Field(default_factory=FieldMap, description="which source fields play which role")
    limit: int | None = Field(None, gt=0, description="use only the first N records")
    offset: int = Field(0, ge=0, description="skip the first N records (e.g. to hold some out)")
    split: str | None = Field(None, description="for a directory: the split to read (files named train.*, train-*, "
                                                "*-train-*, a train/ folder, or a saved DatasetDict's split; train_sft is "
                                                "another split); needed when a folder holds several")
    license: str | None = Field(None, description="licence of the source data (e.g. MIT); recorded in the manifest and cards")
    on_bad_record: Literal["reject", "fail"] = Field(
        "reject", description="a bad record (bad JSON, a missing or empty prompt field, a template that cannot be filled): "
                              "reject = a row rejected at stage source with its file:line, the run goes on and warns; "
                              "fail = the whole source is checked first and the run stops (exit 2, nothing written)")


class PromptConfig(_Cfg):
    template: str | None = Field(None, description="template file, or the template itself (text with a {placeholder} "
                                                   "or a line break); {prompt} and any {source_field} are substituted")
    system: str | None = Field(None, description="optional system prompt: a file, or the text itself (a line break, or "
                                                 "words with spaces that name no file: no / and no .txt/.md extension)")
    tools: str | None = Field(None, description="optional JSON file: a list of OpenAI tool specs ({type: function, function: "
                                                "{name, description, parameters}}) put on every prompt's system message "
                                                "(a prompt whose messages carry their own catalogue keeps it); engines "
                                                "with native tools send it as tools=, hf_local renders it in its template")


_PATHLIKE = re.compile(r"[/\\]|\.(?:txt|md|jinja2?|j2|prompt|tmpl|tpl)$", re.I)


def inline(value: str | None, kind: Literal["template", "system"]) -> bool:
    """Whether a ``prompt.template`` / ``prompt.system`` value is the text itself rather than a file name
    (``template: "Q: {question}\\nA:"``, ``system: You are a careful tutor.``): a line break; for a template a
    ``{placeholder}``; for a system prompt words with spaces that do not look like a path."""
    if not value:
        return False
    if "\n" in value or (kind == "template" and "{" in value):
        return True
    return kind == "system" and " " in value.strip() and not _PATHLIKE.search(value.strip())


def prompt_text(value: str, kind: Literal["template", "system"], resolve) -> str:
    """The text of ``prompt.template`` / ``prompt.system``: itself when :func:`inline`, else the file's
    (``resolve`` maps a recipe-relative path to a Path)."""
    return value if inline(value, kind) else resolve(value).read_text(encoding="utf-8")


@dataclass
class SourceRecord:
    index: int  # position in the source after offset
    data: dict[str, Any] | None
    error: str | None = None
    where: str = ""


def shared_records(train: SourceConfig, held: SourceConfig, base_dir: str | Path) -> str | None:
    """Why ``held`` reads records that ``train`` reads (the same file or folder and split, overlapping offset/limit
    windows), in one line naming the records and the offset that fixes it; None when they share none."""
    def where(s: SourceConfig) -> Path:
        q = Path(s.path).expanduser()
        return (q if q.is_absolute() else Path(base_dir) / q).resolve()

    if where(train) != where(held) or train.split != held.split:
        return None
    t_end = train.offset + train.limit if train.limit is not None else None
    h_end = held.offset + held.limit if held.limit is not None else None
    lo = max(train.offset, held.offset)
    ends = [e for e in (t_end, h_end) if e is not None]
    hi = min(ends) if ends else None
    if hi is not None and lo >= hi:
        return None

    def span(start: int, end: int | None) -> str:
        return f"records {start}-{end - 1}" if end is not None else f"every record from {start} on"

    fix = f"set the held-out offset to {t_end} or more, or hold" if t_end is not None else "hold"
    both = f"records {lo}-{hi - 1}" if hi is not None else f"every record from {lo} on"
    return (f"held-out set overlaps the training data: source reads {span(train.offset, t_end)} of {train.path} and the "
            f"held-out set {span(held.offset, h_end)} of the same file ({both} are in both); {fix} the items out "
            "in a separate file")


def read_records(src, base_dir: str | Path) -> list[SourceRecord]:
    """Every record of a (small) source in this process: eval sets and tests. Runs read in parallel instead
    (:func:`plan_units` in the driver, :func:`read_unit` on workers); both give the same records."""
    return [r for u in plan_units(src, base_dir, 1 << 40) for r in read_unit(u)]


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
    if p is not None and not isinstance(p, str):
        return None, f"field {fields.prompt!r} is not text (a {type(p).__name__})"
    if not p or not p.strip():
        return None, f"empty prompt in field {fields.prompt!r}"
    if len(p) > MAX_PROMPT_CHARS:
        return None, f"prompt too long: {len(p)} chars > {MAX_PROMPT_CHARS}"
    return p, None


# ----------------------------------------------------------------------------- parallel reading (streaming plane)
@dataclass
class Segment:
    """A run of ``count`` records of one file: from byte ``start`` (jsonl, at line ``line``) or row ``start``."""

    file: str
    fmt: str
    start: int
    count: int
    line: int = 0
    stamp: str = ""  # the file's size and mtime when the run planned it (:func:`file_stamp`); checked by read_unit


def file_stamp(f: str | Path) -> str:
    st = Path(f).stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def _check_unchanged(seg: Segment) -> None:
    """A source file moved or rewritten after the run planned its chunks (byte offsets, record counts) would
    give chunks of two versions under one run id: one line instead, naming the file."""
    try:
        now = file_stamp(seg.file)
    except FileNotFoundError:
        raise FactoryError(f"source.path: {seg.file} was removed or moved during the run; put it back and re-run "
                           "to resume") from None
    if seg.stamp and now != seg.stamp:
        raise FactoryError(f"source.path: {seg.file} changed during the run (size:mtime {seg.stamp} -> {now}); "
                           "re-run the command: changed content is a new run") from None


@dataclass
class Unit:
    """The records of one chunk (``index`` of its first record): what one worker reads and expands."""

    chunk: int
    index: int
    segments: list[Segment]


def _jsonl_starts(f: Path, want: set[int], first: int) -> tuple[dict[int, tuple[int, int]], int]:
    """Byte offset and line number of each wanted record number (counting from ``first``); and the count."""
    out, n, pos = {}, first, 0
    with open(f, "rb") as fh:
        for ln, raw in enumerate(fh, 1):
            if raw.strip():
                if n in want or not want:
                    out[n] = (pos, ln)
                n += 1
            pos += len(raw)
    return out, n - first


def plan_units(src, base_dir: str | Path, shard_size: int) -> list[Unit]:
    """Split a source into chunks of ``shard_size`` records (after ``offset``, up to ``limit``) without reading the
    records: the driver keeps one small :class:`Unit` per chunk, workers read them (:func:`read_unit`)."""
    path = Path(src.path) if Path(src.path).is_absolute() else Path(base_dir) / src.path
    if not any(c in str(src.path) for c in "*?[") and not path.exists():
        raise FactoryError(f"source.path: file not found: {path}")
    pairs = source_files(path, src.format, src.split, one_split=True)
    for f, fmt in pairs:
        check_readable(f, fmt)
    stamps = {f: file_stamp(f) for f, _ in pairs}  # before counting: a change while planning is caught too
    counts = [(f, fmt, _count(f, fmt)) for f, fmt in pairs]  # (file, fmt, records in the file)
    total = max(0, sum(c for _, _, c in counts) - src.offset)
    if src.limit is not None:
        total = min(total, src.limit)
    if total == 0:
        raise FactoryError(f"source.path: {path} has no rows" + (f" after offset {src.offset}" if src.offset else ""))
    units: list[Unit] = []
    g0 = 0  # global record number of the file's first record (before offset)
    for f, fmt, n in counts:
        lo, hi = max(g0, src.offset), min(g0 + n, src.offset + total)  # the file's records that are used
        if lo < hi:
            cuts = sorted({lo, *range(((lo - src.offset) // shard_size + 1) * shard_size + src.offset, hi, shard_size)})
            starts = _jsonl_starts(f, {c - g0 for c in cuts}, 0)[0] if fmt == "jsonl" else {c - g0: (c - g0, 0) for c in cuts}
            for j, c in enumerate(cuts):
                end = cuts[j + 1] if j + 1 < len(cuts) else hi
                idx = c - src.offset
                start, line = starts[c - g0]
                seg = Segment(str(f), fmt, start, end - c, line, stamps[f])
                if units and units[-1].chunk == idx // shard_size:
                    units[-1].segments.append(seg)
                else:
                    units.append(Unit(idx // shard_size, idx, [seg]))
        g0 += n
    return units


def _count(f: Path, fmt: str) -> int:
    if fmt == "parquet":
        return pq.ParquetFile(f).metadata.num_rows
    if fmt == "arrow":
        return arrow_table(f).num_rows
    return _jsonl_starts(f, {-1}, 0)[1]


def read_unit(unit: Unit) -> list[SourceRecord]:
    """The records of one unit, with their index and place (``file:line`` or ``file row N``)."""
    out: list[SourceRecord] = []
    for seg in unit.segments:
        _check_unchanged(seg)
        name = Path(seg.file).name
        if seg.fmt == "arrow":
            rows = arrow_table(seg.file).slice(seg.start, seg.count).to_pylist()
            out += [SourceRecord(0, r, where=f"{name} row {seg.start + k}") for k, r in enumerate(rows)]
            continue
        if seg.fmt == "parquet":
            pf = pq.ParquetFile(seg.file)
            first, rows = 0, []
            for g in range(pf.num_row_groups):  # read only the row groups that overlap the segment
                n = pf.metadata.row_group(g).num_rows
                if first + n > seg.start and first < seg.start + seg.count:
                    rows += [(first + k, r) for k, r in enumerate(pf.read_row_group(g).to_pylist())]
                first += n
            out += [SourceRecord(0, r, where=f"{name} row {i}") for i, r in rows if seg.start <= i < seg.start + seg.count]
            continue
        with open(seg.file, "rb") as fh:
            fh.seek(seg.start)
            ln, got = seg.line - 1, 0
            while got < seg.count:
                raw = fh.readline()
                if not raw:
                    break
                ln += 1
                if raw.strip():
                    out.append(_parse_line(raw, f"{name}:{ln}"))
                    got += 1
    for k, r in enumerate(out):
        r.index = unit.index + k
    return out


#: a JSON escape of a UTF-16 surrogate (``\\ud83d``): only such a line can decode to a string that is not valid Unicode
_SURROGATE_ESCAPE = re.compile(rb"\\[uU][dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(obj: Any) -> str | None:
    """The first lone surrogate in a parsed record's strings (keys too), as ``\\udXXX``, or None."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack += [*x.keys(), *x.values()]
        elif isinstance(x, list):
            stack += x
        elif isinstance(x, str):
            try:
                x.encode("utf-8")
            except UnicodeEncodeError as e:
                return f"\\u{ord(x[e.start]):04x}"
    return None


def _parse_line(raw: bytes, where: str) -> SourceRecord:
    try:
        obj = json.loads(raw.decode("utf-8-sig"))  # -sig: a BOM that Windows editors put first is not data
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        # "\ud83d" alone (half an emoji, cut by a UTF-16 tool) is valid JSON but no UTF-8 text: hashing the record
        # and writing its row to Parquet would fail the whole chunk
        bad = _lone_surrogate(obj) if _SURROGATE_ESCAPE.search(raw) else None
        if bad:
            return SourceRecord(0, None, f"not valid Unicode: a lone surrogate {bad} (half of a UTF-16 pair) in the JSON", where)
        return SourceRecord(0, obj, where=where)
    except UnicodeDecodeError:
        return SourceRecord(0, None, "not UTF-8", where)
    except ValueError as e:
        return SourceRecord(0, None, f"bad JSON: {str(e)[:80]}", where)


def first_record(src, base_dir: str | Path) -> SourceRecord | None:
    """The first record of a source, read cheaply (one line or one Parquet row; ``offset`` ignored): what
    ``factory validate`` checks the recipe's field names against. None when there is nothing to read; a file the
    plane cannot read (compressed, CSV, a JSON array) or files without a record raise the FactoryError
    :func:`plan_units` would."""
    path = Path(src.path) if Path(src.path).is_absolute() else Path(base_dir) / src.path
    try:
        pairs = source_files(path, src.format, src.split, one_split=True) if path.exists() or any(c in str(src.path) for c in "*?[") else []
        for f, fmt in pairs:
            check_readable(f, fmt)
            if fmt == "arrow":
                t = arrow_table(f)
                if t.num_rows:
                    return SourceRecord(0, t.slice(0, 1).to_pylist()[0], where=f"{f.name} row 0")
                continue
            if fmt == "parquet":
                batch = next(pq.ParquetFile(f).iter_batches(batch_size=1), None)
                if batch is not None and batch.num_rows:
                    return SourceRecord(0, batch.to_pylist()[0], where=f"{f.name} row 0")
                continue
            with open(f, "rb") as fh:
                for ln, raw in enumerate(fh, 1):
                    if raw.strip():
                        return _parse_line(raw, f"{f.name}:{ln}")
    except (OSError, ValueError):  # unreadable: plan_units names the problem when the run starts
        return None
    if pairs:  # every file read to its end without a record: the run would stop at once with "has no rows"
        raise FactoryError(f"source.path: {path} has no rows" + (f" ({len(pairs)} files, all empty)" if len(pairs) > 1 else ""))
    if path.is_dir():
        raise FactoryError(f"source.path: {path} has no rows: it holds no data files (.jsonl, .json, .parquet, .arrow)")
    return None
