"""Reading benchmark (and ``factory decontam`` corpus) files: jsonl (or .jsonl.gz/.bz2/.xz/.zst/.lz4), Parquet and
Arrow rows one at a time, fields by name (dots for a nested struct field), and a path, glob or dataset folder as its
list of files. Every unreadable file, line or pattern is one FactoryError naming it."""

from __future__ import annotations

import glob as globlib
import json
import os
import re
import zlib
from pathlib import Path
from typing import Iterator

from ground.errors import FactoryError
from ground.source_files import arrow_table, kind_of, source_files


#: compressed JSON Lines read by suffix (gzip, bzip2 and xz by Python, zstd and lz4 frames by pyarrow's codecs)
COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd", ".lz4": "lz4"}
#: compressed or archived files that are not read: named in one line, not decoded as text ("not UTF-8 (byte 0xb5)")
NOT_READ = (".zip", ".tar", ".tgz", ".7z", ".br", ".snappy")


def _open_binary(path: Path):
    """``path`` opened for reading bytes line by line, decompressed by its suffix (:data:`COMPRESSION`)."""
    import bz2
    import gzip
    import io
    import lzma

    kind = COMPRESSION.get(path.suffix.lower())
    if kind in ("gzip", "bz2", "xz"):
        return {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}[kind](path, "rb")
    if kind:
        import pyarrow as pa

        return io.BufferedReader(pa.input_stream(str(path), compression=kind))
    return open(path, "rb")


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """The objects of a JSON Lines file (compressed when it ends in .gz, .bz2, .xz, .zst or .lz4); a line that is
    not UTF-8, not JSON or not an object, or a file that does not decompress, is one FactoryError naming the file and
    line (never a traceback). Was gzip only: a .jsonl.zst (The Pile, RedPajama, datatrove's and NeMo Curator's
    outputs) was decoded as text and failed as "not UTF-8 text (byte 0xb5)"."""
    if path.suffix.lower() in NOT_READ:
        raise FactoryError(f"{path}: a {path.suffix.lower()} file: decompress it first (read: "
                           f"{', '.join(dict.fromkeys(k for k in COMPRESSION if k != '.zstd'))})")
    i = 0
    try:
        with _open_binary(path) as f:
            first = True
            for i, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                head = raw.strip().removeprefix(b"\xef\xbb\xbf")
                if first and (head in (b"[", b"{") or head.startswith(b"[{")):
                    # an array (also all on one line) or a pretty-printed object: one document, not JSON Lines
                    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
                    raise FactoryError(f"{path}:{i}: one JSON document (an array or an indented object), not JSON Lines (one "
                                       f"record per line); convert it, e.g. jq -c '.[]' {path.name} > {stem}.jsonl")
                first = False
                try:
                    obj = json.loads(raw.decode("utf-8-sig" if i == 1 else "utf-8"))  # a BOM first is not data
                except UnicodeDecodeError as e:
                    raise FactoryError(f"{path}:{i}: not UTF-8 text (byte 0x{raw[e.start]:02x})") from None
                except json.JSONDecodeError as e:
                    raise FactoryError(f"{path}:{i}: not valid JSON ({e.msg})") from None
                if not isinstance(obj, dict):
                    raise FactoryError(f"{path}:{i}: not a JSON object (a {type(obj).__name__})")
                yield i, obj
    except (OSError, EOFError, zlib.error, ValueError) as e:  # gzip.BadGzipFile is an OSError; a cut .gz ends in EOFError;
        # a bad .bz2 is an OSError, a bad .xz an LZMAError (OSError), a bad .zst/.lz4 an OSError or ArrowInvalid (ValueError)
        first = (str(e).splitlines() or [""])[0]
        raise FactoryError(f"{path}" + (f":{i}" if i else "") + f": cannot read: {getattr(e, 'strerror', None) or first or type(e).__name__}") from None


def read_records(path: Path) -> list[dict]:
    """Rows of a jsonl (compressed too), parquet or Arrow (IPC file or stream, e.g. a ``datasets`` shard) file."""
    return list(iter_records(path))


def iter_records(path: Path, fields: list[str] | None = None) -> Iterator[dict]:
    """The rows of :func:`read_records` one at a time: a Parquet file a record batch at a time (with ``fields``, only
    the columns they name), a jsonl file a line at a time, so a corpus of any size is never held whole."""
    for _, rec in numbered_records(path, fields):
        yield rec


def numbered_records(path: Path, fields: list[str] | None = None, any_of: list[str] | None = None) -> Iterator[tuple[int, dict]]:
    """(where, row) for the rows of :func:`iter_records`: ``where`` is the 1-based line of a jsonl file (blank lines
    count, as in an editor) or the 1-based row of a Parquet/Arrow file, what an error about the row names. Was the
    record's count, so past a blank line "row 3" of a jsonl file was its line 4. With ``any_of``, a Parquet file that
    has none of those columns is read whole (``fields`` are then what to read when it has them)."""
    if kind_of(path) in ("parquet", "arrow"):  # the suffix in any case (was .parquet only: DATA.PARQUET read as jsonl)
        try:
            yield from enumerate(_iter_columnar(path, fields, any_of), 1)
        except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError: a broken or cut file
            name = "Parquet" if kind_of(path) == "parquet" else "Arrow IPC"
            raise FactoryError(f"{path}: not a readable {name} file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    else:
        yield from _iter_jsonl(path)


def _iter_columnar(path: Path, fields: list[str] | None, any_of: list[str] | None = None) -> Iterator[dict]:
    if kind_of(path) == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        if any_of is not None and not set(any_of) & set(names):
            fields = None  # none of the columns looked for: every column, so that an error can say what the row has
        cols = None if fields is None else [c for c in names if c in {field_root(f) for f in fields} | {f.split(".")[0] for f in fields} | set(fields)]
        for batch in pf.iter_batches(batch_size=batch_rows(pf, cols or None), columns=cols or None):
            yield from batch.to_pylist()
    else:
        yield from arrow_table(path).to_pylist()


#: the most uncompressed column bytes one Parquet batch reads
BATCH_BYTES = 64 << 20


def batch_rows(pf, cols: list[str] | None) -> int:
    """Rows per Parquet batch: 4096, fewer when the rows are big (the file's uncompressed bytes of ``cols`` per row)
    so that a batch stays near BATCH_BYTES. Was 4096 whatever the size: rows of megabytes (long documents, an image
    column) made batches of gigabytes."""
    md = pf.metadata
    if not md.num_rows:
        return 4096
    want = None if cols is None else set(cols)
    size = sum(rg.column(j).total_uncompressed_size for rg in (md.row_group(i) for i in range(md.num_row_groups))
               for j in range(rg.num_columns) if want is None or rg.column(j).path_in_schema.split(".")[0] in want)
    return max(1, min(4096, BATCH_BYTES * md.num_rows // max(size, 1)))


_ABSENT = object()
#: a field name as the report writes one: keys joined by dots, list indices in brackets (``messages[1].content``)
_FIELD = re.compile(r"[^.\[\]]+(?:\[\d+\]|\.[^.\[\]]+)*")
_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def field_steps(name: str) -> list[str | int] | None:
    """The steps of a field name: ``messages[1].content`` -> ['messages', 1, 'content'], ``item.problem`` -> ['item',
    'problem']; None when ``name`` is not of that form (``a..b``, ``a[x]``), which is then a plain key only."""
    if not _FIELD.fullmatch(name):
        return None
    return [int(i) if i else k for i, k in _STEP.findall(name)]


def _label(steps: list[str | int]) -> str:
    """The field name of ``steps`` (:func:`field_steps` read backwards)."""
    return "".join(f"[{x}]" if isinstance(x, int) else (f".{x}" if k else x) for k, x in enumerate(steps))


def field_root(name: str) -> str:
    """The column a field name reads: ``messages`` of ``messages[1].content``, ``item`` of ``item.problem``."""
    steps = field_steps(name)
    return name if not steps or not isinstance(steps[0], str) else steps[0]


def _step_into(v, step: str | int):
    """``v[step]``, or _ABSENT; a string that holds a JSON list or object (a factory row's ``messages``) is read as it."""
    if isinstance(v, str) and v.lstrip()[:1] in ("[", "{"):
        try:
            v = json.loads(v)
        except ValueError:
            return _ABSENT
    if isinstance(step, int):
        return v[step] if isinstance(v, (list, tuple)) and step < len(v) else _ABSENT
    return v[step] if isinstance(v, dict) and step in v else _ABSENT


def _lookup(rec: dict, name: str):
    if name in rec:
        return rec[name]
    v = rec
    for step in field_steps(name) or [name]:
        if v is None:  # a null struct (a Parquet row whose struct column is null): its fields are null
            return None
        v = _step_into(v, step)
        if v is _ABSENT:
            return _ABSENT
    return v


def field_value(rec: dict, name: str):
    """``rec[name]``, or a nested field named as the report names it: dots for a field of a struct (``item.problem``
    of a Parquet struct column), ``[i]`` for an element of a list (``messages[1].content``, ``turns[0]``); None when
    absent. Was dots only: ``--field messages[1].content``, copied from a report, was "no field"."""
    v = _lookup(rec, name)
    return None if v is _ABSENT else v


def has_field(rec: dict, name: str) -> bool:
    """Whether ``rec`` has the field ``name`` (dots, ``[i]``: nested), null or not (a null is a value, an absent field a mistake)."""
    return _lookup(rec, name) is not _ABSENT


#: the most field names an error lists of a row
SHOW_FIELDS = 12


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOW_FIELDS])
    return shown + (f", ... ({len(keys)} fields)" if len(keys) > SHOW_FIELDS else "")


def what_row_has(rec: dict, name: str) -> str:
    """What ``rec`` has where the field ``name`` is missing, for an error: ``the row has: id, text`` (at most 12 names),
    or, for a nested name, what the step before has (``meta has: lang``, ``messages has 2 items``). Was nothing: an
    error named the missing field and left the user to open the file to see what the row has instead."""
    v, done = rec, []
    for step in (field_steps(name) or [name]) if name not in rec else [name]:
        nxt = _step_into(v, step) if v is not None else _ABSENT
        if nxt is _ABSENT:
            break
        v = nxt
        done.append(step)
    else:
        return f"{name} is there"
    where = _label(done) if done else "the row"
    if isinstance(v, str) and v.lstrip()[:1] in ("[", "{"):
        try:
            v = json.loads(v)
        except ValueError:
            pass
    if isinstance(v, dict):
        return f"{where} has: {_listed([str(k) for k in v])}" if v else f"{where} has no fields"
    if isinstance(v, (list, tuple)):
        return f"{where} has {len(v)} item{'s' if len(v) != 1 else ''}"
    kind = type(v).__name__
    return f"{where} is {'null' if v is None else ('an ' if kind[0] in 'aeiou' else 'a ') + kind}"


def what_file_row_has(path: Path, rec: dict, name: str) -> str:
    """:func:`what_row_has` for a row read with only some columns (a Parquet file read by ``--field``): when the field's
    column is not among those read, the file's columns (``the file has: id, text``), not the few that were read."""
    root = field_root(name)
    if kind_of(path) == "parquet" and root not in rec and name not in rec:
        import pyarrow.parquet as pq

        return f"the file has: {_listed(pq.read_schema(path).names)}"
    return what_row_has(rec, name)


def row_name(path: Path, index: int, line: int | None = None) -> str:
    """A record as errors and ``factory decontam``'s report name it: ``FILE row 1 (line 3)`` for JSON Lines (the
    record's index from 0, as ``ds[row]``, and the line an editor shows), ``FILE row 1 (from 0)`` for Parquet/Arrow.
    Was: errors said "row" for a jsonl file's line and a Parquet file's row from 1, the report a row from 0."""
    return f"{path} row {index} " + (f"(line {line})" if line is not None and kind_of(path) == "jsonl" else "(from 0)")


def expand_paths(path: str, what: str = "benchmark", split: str | None = None, one_split: bool = False) -> list[Path]:
    """A file, a glob of files (sorted) or a dataset folder (a ``datasets`` save_to_disk Dataset or DatasetDict, a
    Hub download) with ``split`` the files of that split; an empty match is an error naming the pattern and ``what``
    it is. With ``one_split`` (a benchmark) a folder of several splits and no ``split`` is refused: was read whole,
    so a Hub download's train split joined the benchmark and every row drawn from it matched."""
    if any(c in path for c in "*?["):
        found = sorted(Path(p) for p in globlib.glob(os.path.expanduser(path), recursive=True) if Path(p).is_file())
        if not found:
            raise FactoryError(f"{what} glob {path!r} matches no files")
        return found
    p = Path(path).expanduser()
    if p.is_dir():
        if (p / "dataset_dict.json").is_file() and split is None:
            raise FactoryError(f"{what} path {p} is a saved DatasetDict: point it at one split's folder, e.g. {p}/test (or name "
                               "the split: split: test)")
        try:
            found = [f for f, _ in source_files(p, "auto", split, one_split=one_split)]
        except FactoryError as e:  # the source's wording ("set source.split") told of the wrong setting
            msg = str(e).removeprefix("source.split: ").removesuffix("; set source.split to the one to read")
            raise FactoryError(f"{what}: {msg}; name the split (split: test) or point it at that split's files") from None
        if not found:
            raise FactoryError(f"{what} folder {p} holds no .jsonl, .parquet or .arrow files")
        return found
    if not p.is_file():
        raise FactoryError(f"{what} file not found: {p}")
    return [p]


#: query keys of an object-store URI that hold credentials (pyarrow reads none of them; a user may still try)
_SECRET_QUERY = re.compile(r"secret|access[_-]?key|token|password|passwd|credential|signature|sig$|auth", re.I)
_QUERY_PAIR = re.compile(r"([?&])([^=&\s'\"]+)=([^&\s'\"]*)")


def query_secrets(uri: str) -> list[str]:
    """The query keys of ``uri`` that hold credentials (``secret_key``, ``access_key``, ``session_token``, ...)."""
    query = uri.split("?", 1)[1] if "?" in uri else ""
    return [k for k, _, _ in (p.partition("=") for p in query.split("&")) if k and _SECRET_QUERY.search(k)]


def redact_uri(text: str) -> str:
    """``text`` with the credentials of any URI in it hidden: a ``user:password@`` and the value of a credential query
    key (:func:`query_secrets`). An error message quoting a command-line argument must not print them."""
    text = re.sub(r"(://)[^/@\s'\"]+@", r"\1***@", text)
    return _QUERY_PAIR.sub(lambda m: m.group(0) if not _SECRET_QUERY.search(m.group(2)) else f"{m.group(1)}{m.group(2)}=***", text)


def stage_uri(corpus: str, tmp: str, what: str = "corpus") -> tuple[str, dict[str, str]]:
    """An object-store ``corpus`` (file, ``*``-glob of one folder, folder or run directory) copied into ``tmp``:
    (the local path to read: the file, the glob over the copied files, the folder; {local file: its URI}). ``what``
    names it in errors ("corpus", "benchmark 'mine'"). Was: "not found: s3:/..." (a URI was read as a local path)."""
    import fnmatch

    import pyarrow.fs as pafs

    from ground import fsutil

    scheme, rest = corpus.split("://", 1)
    if "@" in rest.split("/", 1)[0]:  # s3://KEY:SECRET@bucket: the secret would be in the report and the shell history
        raise FactoryError(f"{what} {scheme}://...@{rest.split('@', 1)[1].split('/')[0]}: credentials in the URI; "
                           "give them in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS)")
    secrets = query_secrets(corpus)
    if secrets:  # was echoed whole in "cannot read it" (pyarrow refuses the keys), into the terminal and CI logs
        raise FactoryError(f"{what} {scheme}://{rest.split('?', 1)[0]}: credentials in the URI's query ({', '.join(secrets)}); "
                           "give them in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS)")
    query = "?" + corpus.split("?", 1)[1] if "?" in corpus else ""
    base = corpus.split("?", 1)[0].rstrip("/")
    pattern = None
    if any(c in base.rsplit("/", 1)[-1] for c in "*?["):
        base, pattern = base.rsplit("/", 1)
    try:
        fs, path = fsutil.filesystem(base + query)
        info = fs.get_file_info(path)
    except (OSError, ValueError) as e:
        raise FactoryError(f"{what} {corpus}: cannot read it: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    uri_of = lambda p: f"{scheme}://{p}"  # noqa: E731 - the file's URI as the user would type it
    local = Path(tmp) / "corpus"
    if info.type == pafs.FileType.File and pattern is None:
        picked = [path]
        root = path.rsplit("/", 1)[0]
        target = local / path.rsplit("/", 1)[-1]
    elif info.type == pafs.FileType.Directory:
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=pattern is None))
        names = {i.path[len(path):].lstrip("/"): i for i in infos if i.type == pafs.FileType.File}
        if pattern is not None:
            picked = [f"{path}/{n}" for n in sorted(names) if fnmatch.fnmatch(n, pattern)]
            if not picked:
                raise FactoryError(f"{what} {corpus}: no file matches {pattern!r}")
        elif "manifest.json" in names and any(n.startswith("accepted/") for n in names):
            picked = [f"{path}/{n}" for n in sorted(names) if n == "manifest.json" or n.startswith("accepted/")]
        else:
            picked = [f"{path}/{n}" for n in sorted(names)]
        root, target = path, local
    else:
        raise FactoryError(f"{what} {corpus}: not found")
    mapping = {}
    for src in picked:
        dst = local / src[len(root):].lstrip("/") if target == local else target
        dst.parent.mkdir(parents=True, exist_ok=True)
        pafs.copy_files(src, str(dst), source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())
        mapping[str(dst)] = uri_of(src)
    return (str(target / pattern) if pattern is not None else str(target)), mapping
