"""Filesystem helpers over ``pyarrow.fs``: local paths and ``s3://``/``gs://``/``file://`` URIs alike.

Every write is atomic: write ``.<name>.tmp-<uuid>`` then move it into place, so a reader (or a
resumed run) never sees a half-written file. The leading dot hides the temp file of a killed writer from
Parquet dataset readers (pyarrow.dataset, Spark and Hive skip ``.``/``_`` names); :func:`sweep_tmp` removes
such leftovers. On object stores a single PUT is already atomic.
"""

from __future__ import annotations

import errno
import io
import json
import os
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ground.errors import FactoryError


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def join(base: str, *parts: str) -> str:
    """``join("s3://b/runs", "x", "y") == "s3://b/runs/x/y"``; a URI's query string stays at the end
    (``s3://b/runs?region=eu-west-1`` -> ``s3://b/runs/x/y?region=eu-west-1``)."""
    query = ""
    if "://" in base and "?" in base:
        base, query = base.split("?", 1)
        query = "?" + query
    return "/".join([base.rstrip("/"), *[p.strip("/") for p in parts]]) + query


def exists(fs: pafs.FileSystem, path: str) -> bool:
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def makedirs(fs: pafs.FileSystem, path: str) -> None:
    if fs.type_name in ("s3", "gcs"):
        # never create a bucket: pyarrow's GCS filesystem would (in the credentials' project, a typo becomes a
        # new bucket) or fail with "missing project id"; S3 refuses with a hint about an option we do not set
        bucket = path.split("/", 1)[0]
        if fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise FileNotFoundError(errno.ENOENT, f"bucket {bucket!r} does not exist (create it first)", bucket)
    fs.create_dir(path, recursive=True)


def _is_local(fs: pafs.FileSystem) -> bool:
    return isinstance(fs, pafs.LocalFileSystem)


def write_bytes_atomic(fs: pafs.FileSystem, path: str, data: bytes) -> None:
    parent = path.rsplit("/", 1)[0]
    makedirs(fs, parent)
    if not _is_local(fs):
        with fs.open_output_stream(path) as f:
            f.write(data)
        return
    name = path.rsplit("/", 1)[-1]
    tmp = f"{parent}/.{name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_parquet_atomic(fs: pafs.FileSystem, path: str, table: pa.Table) -> None:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    write_bytes_atomic(fs, path, buf.getvalue())


def write_json_atomic(fs: pafs.FileSystem, path: str, obj: Any) -> None:
    write_bytes_atomic(fs, path, json.dumps(obj, indent=2, sort_keys=False, default=str).encode())


class BadRunFile(FactoryError, ValueError):
    """A run-store file that is not what it should be (cut, overwritten, edited): one line naming it, not the
    decoder's traceback. A ValueError too, as json's and pyarrow's errors were, for callers that catch those."""


def read_json(fs: pafs.FileSystem, path: str) -> Any:
    with fs.open_input_stream(path) as f:
        raw = f.read()
    try:
        return json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadRunFile(f"{path}: not valid JSON ({getattr(e, 'msg', None) or e.reason}); the file is cut or damaged") from None


def list_files(fs: pafs.FileSystem, path: str, suffix: str = "") -> list[str]:
    if not exists(fs, path):
        return []
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=False))
    return sorted(i.path for i in infos if i.type == pafs.FileType.File and i.path.endswith(suffix) and ".tmp-" not in i.path)


def list_dirs(fs: pafs.FileSystem, path: str) -> list[str]:
    """Names (not paths) of the folders directly under ``path``; none when it does not exist."""
    if not exists(fs, path):
        return []
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=False))
    return sorted(i.base_name for i in infos if i.type == pafs.FileType.Directory)


def delete_tree(fs: pafs.FileSystem, path: str) -> None:
    """Remove ``path`` and everything below it; nothing to do when it does not exist."""
    if exists(fs, path):
        fs.delete_dir(path)


def sweep_tmp(fs: pafs.FileSystem, path: str) -> int:
    """Delete the temp files killed writers left under ``path`` (local filesystems only: an object store's
    PUT leaves none); returns how many. Only for a folder no live writer uses (the run lock held)."""
    if not _is_local(fs) or not exists(fs, path):
        return 0
    n = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            if ".tmp-" in f:
                try:
                    os.unlink(os.path.join(dirpath, f))
                    n += 1
                except FileNotFoundError:
                    pass
    return n


def read_parquet(fs: pafs.FileSystem, path: str) -> pa.Table:
    with fs.open_input_file(path) as f:
        try:
            return pq.read_table(f)
        except pa.ArrowInvalid as e:
            raise BadRunFile(f"{path}: not a readable Parquet file ({str(e).splitlines()[0]})") from None


def delete_file(fs: pafs.FileSystem, path: str) -> None:
    if exists(fs, path):
        fs.delete_file(path)


def copy_tree(src: str, dst: str) -> None:
    """Copy a directory tree between any two of: local paths, ``s3://``, ``gs://``, ``file://`` URIs
    (e.g. a trained adapter into an object-store run dir, or back onto a node's disk)."""
    sfs, spath = filesystem(src)
    dfs, dpath = filesystem(dst)
    makedirs(dfs, dpath)
    pafs.copy_files(spath, dpath, source_filesystem=sfs, destination_filesystem=dfs)


def umask() -> int:
    """The process umask (read without changing it for good): the mode a plain ``mkdir``/``open`` would give."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
