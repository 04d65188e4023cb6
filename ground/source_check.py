"""The source files the streaming plane refuses before planning chunks (ground/source.py ``plan_units``): missing,
compressed (no byte offsets to start a chunk at), CSV/TSV/Excel, UTF-16/32 text, one JSON document instead of JSON
lines, an unreadable Parquet or Arrow file. Each is one FactoryError naming the file and saying how to convert it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from ground.errors import FactoryError
from ground.source_files import COMPRESSED, arrow_table

_OTHER = {".csv": "CSV", ".tsv": "TSV", ".xlsx": "Excel"}


def check_readable(f: Path, fmt: str) -> None:
    """A source file the plane cannot split is bad input, not rows of garbage: a compressed file has no byte
    offsets to start a chunk at, and CSV/Arrow files are not read as JSON lines."""
    if not f.is_file():
        raise FactoryError(f"source.path: file not found: {f}")
    suffix = f.suffix.lower()
    if suffix in COMPRESSED or (fmt == "jsonl" and _magic(f).startswith(_PACKED)):
        raise FactoryError(f"source.path: {f}: compressed files are not read (chunks start at byte offsets); "
                           f"decompress it first (e.g. gunzip -k) or convert it to Parquet")
    if suffix in _OTHER and fmt == "jsonl":
        raise FactoryError(f"source.path: {f}: {_OTHER[suffix]} is not a source format; convert it to JSONL or Parquet "
                           f"(e.g. pyarrow.csv.read_csv(...) then pyarrow.parquet.write_table(...))")
    wide = _utf16_or_32(_magic(f, 64)) if fmt == "jsonl" else None
    if wide:
        raise FactoryError(f"source.path: {f}: the text is {wide}, not UTF-8; convert it first "
                           f"(e.g. iconv -f {wide} -t UTF-8 {f.name} > {f.stem}.utf8{f.suffix})")
    first = _first_line(f) if fmt == "jsonl" else ""
    if first.startswith("[") or first == "{":  # "[" opens an array (also all on one line); a lone "{" a pretty-printed object
        raise FactoryError(f"source.path: {f}: one JSON document (an array or an indented object), not JSON lines "
                           f"(one record per line); convert it, e.g. jq -c '.[]' {f.name} > {f.stem}.jsonl")
    try:
        if fmt == "parquet":
            pq.ParquetFile(f).metadata
        elif fmt == "arrow":
            arrow_table(f)
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
        name = "Parquet" if fmt == "parquet" else "Arrow IPC"
        raise FactoryError(f"source.path: {f}: not a readable {name} file ({e})") from None


#: the first bytes of gzip, bzip2, xz, zip, zstd and lz4 files: a compressed file under a .jsonl name is not JSON lines
_PACKED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"PK\x03\x04", b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18")


def _magic(f: Path, n: int = 6) -> bytes:
    with open(f, "rb") as fh:
        return fh.read(n)


def _utf16_or_32(head: bytes) -> str | None:
    """"UTF-16" / "UTF-32" when the file's first bytes are a BOM of one, or ASCII text in one (NUL every other
    byte: Windows tools save JSON lines so); None for UTF-8."""
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if head.startswith(bom):
            return name
    if len(head) >= 4 and head[1::2].count(0) >= len(head) // 4 and head[0::2].count(0) == 0:
        return "UTF-16"  # little-endian without a BOM ("{\0"\0...); big-endian puts the NULs first
    if len(head) >= 4 and head[0::2].count(0) >= len(head) // 4 and head[1::2].count(0) == 0:
        return "UTF-16"
    return None


def _first_line(f: Path) -> str:
    """The first non-blank line, stripped (at most 4 KiB of it)."""
    with open(f, "rb") as fh:
        for raw in fh:
            if raw.strip():
                return raw[:4096].strip().decode("utf-8-sig", "replace")
    return ""
