"""The run store: ``<dir>/<recipe>/<run_id>/`` on a local path or any pyarrow filesystem URI.

    runs/gsm8k_demo/3f2a9c1b7e4d/
      chunks/chunk-000000.parquet   one per finished source chunk (all rows, any status): resume markers
      chunks/retry/chunk-000000.json   the chunk's rows that failed with a transient teacher error (timeouts, 429,
                                    5xx, lost connections): a re-run redoes this chunk, answering the rest from the cache
      chunks/wave-000/chunk-000000.parquet   with teacher.until: one per (wave, chunk), the same role
      waves/wave-000/chunk-000000.parquet    with teacher.until: per prompt of the chunk, samples tried and
                                    verified after that wave (what the next wave's expansion skips by)
      accepted/part-00000.parquet   the curated rows (staged in curation/_final/, then moved in whole)
      rejects/part-00000.parquet    every rejected row with reject_stage and reject_reason
      manifest.json                 recipe as resolved, versions, counts, timings, status, eval table
      stats.json                    counts in/out and drops per reason, per stage
      train/                        adapter, trainer state (when the recipe trains)

Every file is written atomically (see :mod:`ground.fsutil`): a killed run never leaves a
half-written shard, and a re-run skips the chunks whose file exists.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket

import pyarrow as pa

from ground import fsutil
from ground.errors import FactoryError
from ground.record import SCHEMA, from_table

PART_ROWS = 100_000
RETRY_DIR = ("chunks", "retry")
STAGED = ("curation", "_final")  # the finalize pass writes accepted/ and rejects/ here; publish_parts moves them in


def file_blocks(ray, groups: list[list[str]]):
    """A Ray Dataset of one row ``{"files": group}`` per block: readers then read each group themselves, so a
    block's size is a group's, not whatever Ray Data's ``read_parquet`` packs together (that grew with the run)."""
    return ray.data.from_items([{"files": list(g)} for g in groups], override_num_blocks=max(1, len(groups)))


_RUN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def check_run_id(run_id: str) -> str:
    """``run_id`` when it names one folder below ``<output.dir>/<recipe>/``; else a FactoryError (``--run-id ../x``
    wrote the run beside other recipes' runs, ``--run-id ..`` into the run store's root, beside ``_cache``)."""
    if not _RUN_ID.fullmatch(run_id):
        raise FactoryError(f"--run-id: {run_id!r} is not a run id: use letters, digits, '_', '.' and '-' (not first), "
                           "at most 128 characters")
    return run_id


class RunStore:
    def __init__(self, root: str, recipe_name: str, run_id: str):
        self.root, self.run_id = root, run_id
        self.uri = fsutil.join(root, recipe_name, run_id)
        self.fs, self.path = fsutil.filesystem(self.uri)

    @contextlib.contextmanager
    def locked(self):
        """Hold the run directory's lock (``.lock``, an flock) while a run writes it: a second run of the same
        run dir fails at once with one line, instead of interleaving its chunks, decisions and parts with the
        first's. The kernel drops the lock when its holder dies (kill -9 too): no stale lock to clean up. Local
        filesystems only; on an object store, run one writer per run dir. Holding it, the temp files of
        killed writers are swept (:func:`ground.fsutil.sweep_tmp`)."""
        base = self.local_path()
        if base is None:
            yield
            return
        try:
            fd = os.open(os.path.join(base, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise FactoryError(f"output.dir: cannot write {self.uri}: {e.strerror or e}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "pid unknown"
                raise FactoryError(f"{self.uri}: another run is writing this run directory ({holder}); wait for it to end, "
                                   "or start a separate run with --fresh or another --run-id") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
            fsutil.sweep_tmp(self.fs, self.path)
            yield
        finally:
            os.close(fd)

    def held(self) -> bool:
        """Whether a live process holds the run's lock (is writing it): a ``running`` manifest without one is
        the record of a run that was killed."""
        base = self.local_path()
        try:
            fd = os.open(os.path.join(base, ".lock"), os.O_RDONLY) if base is not None else None
        except OSError:
            return False
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def p(self, *parts: str) -> str:
        return fsutil.join(self.path, *parts)

    # chunks (resume markers)
    def chunk_path(self, chunk: int, wave: int | None = None) -> str:
        return self.p(*self.chunk_dir_parts(wave), f"chunk-{chunk:06d}.parquet")

    @staticmethod
    def chunk_dir_parts(wave: int | None = None) -> tuple[str, ...]:
        return ("chunks",) if wave is None else ("chunks", f"wave-{wave:03d}")

    def chunk_map(self, *parts: str) -> dict[int, str]:
        """chunk -> its ``chunk-N.parquet`` file in the store folder ``parts`` (chunks/, a wave's, keys/)."""
        out = {}
        for f in fsutil.list_files(self.fs, self.p(*parts), ".parquet"):
            m = re.search(r"chunk-(\d+)\.parquet$", f)
            if m:
                out[int(m.group(1))] = f
        return out

    def done_chunks(self, wave: int | None = None) -> set[int]:
        """Chunks a re-run skips: written ones, less those whose rows hit transient teacher errors (redone)."""
        done = set(self.chunk_map(*self.chunk_dir_parts(wave)))
        return done - self.retry_chunks() if wave is None else done

    def retry_path(self, chunk: int) -> str:
        return self.p(*RETRY_DIR, f"chunk-{chunk:06d}.json")

    def retry_chunks(self) -> set[int]:
        """Written chunks with rows rejected for a transient teacher error (``chunks/retry/chunk-N.json``)."""
        return {int(m.group(1)) for f in fsutil.list_files(self.fs, self.p(*RETRY_DIR), ".json")
                if (m := re.search(r"chunk-(\d+)\.json$", f))}

    def wave_retry_counts(self) -> int:
        """Samples of adaptive waves rejected for a transient teacher error (``chunks/retry/wave-J/chunk-N.json``)."""
        base = self.p(*RETRY_DIR)
        return sum(int(fsutil.read_json(self.fs, f).get("transient_failures", 0))
                   for d in fsutil.list_dirs(self.fs, base) if d.startswith("wave-")
                   for f in fsutil.list_files(self.fs, fsutil.join(base, d), ".json"))

    def chunk_files(self) -> dict[int, list[str]]:
        """chunk -> its shard files: ``chunks/chunk-N.parquet``, or every wave's ``chunks/wave-J/chunk-N.parquet``."""
        out: dict[int, list[str]] = {}
        dirs = [("chunks",)] + [("chunks", d) for d in fsutil.list_dirs(self.fs, self.p("chunks")) if d.startswith("wave-")]
        for d in dirs:
            for c, f in self.chunk_map(*d).items():
                out.setdefault(c, []).append(f)
        return out

    def write_chunk(self, chunk: int, table: pa.Table) -> None:
        fsutil.write_parquet_atomic(self.fs, self.chunk_path(chunk), table)

    def read_chunks(self, chunks: list[int]) -> list[dict]:
        rows: list[dict] = []
        for c in chunks:
            rows.extend(from_table(fsutil.read_parquet(self.fs, self.chunk_path(c))))
        return rows

    # final shards
    def write_parts(self, kind: str, table: pa.Table) -> list[str]:
        """Write ``kind/part-*.parquet`` (kind: accepted|rejects), replacing older parts."""
        table = table.cast(SCHEMA)
        n = max(1, -(-table.num_rows // PART_ROWS))
        written = []
        for i in range(n):
            path = self.p(kind, f"part-{i:05d}.parquet")
            fsutil.write_parquet_atomic(self.fs, path, table.slice(i * PART_ROWS, PART_ROWS))
            written.append(path)
        for old in fsutil.list_files(self.fs, self.p(kind), ".parquet"):
            if old not in written:
                self.fs.delete_file(old)
        return written

    def publish_parts(self) -> None:
        """The staged ``accepted/`` and ``rejects/`` replace the old ones whole. Locally a folder rename: a reader or a
        kill never sees a part-written or mixed folder (at worst, for an instant, none). An object store has no
        folder rename: the old parts go, then the new ones are moved in one by one."""
        for kind in ("accepted", "rejects"):
            new, cur = self.p(*STAGED, kind), self.p(kind)
            if self.local_path() is not None:
                old = self.p(f".{kind}-old")
                fsutil.delete_tree(self.fs, old)  # a kill between the renames of an earlier attempt left it
                if fsutil.exists(self.fs, cur):
                    os.rename(cur, old)
                os.rename(new, cur)
                fsutil.delete_tree(self.fs, old)
                continue
            for f in fsutil.list_files(self.fs, cur, ".parquet"):
                fsutil.delete_file(self.fs, f)
            for f in fsutil.list_files(self.fs, new, ".parquet"):
                self.fs.move(f, fsutil.join(cur, f.rsplit("/", 1)[-1]))

    def read_parts(self, kind: str) -> pa.Table:
        tables = []
        for f in fsutil.list_files(self.fs, self.p(kind), ".parquet"):
            try:
                tables.append(fsutil.read_parquet(self.fs, f))
            except ValueError as e:  # pyarrow's ArrowInvalid: a damaged or foreign file in the run dir
                raise FactoryError(f"{f}: not a readable Parquet file ({e})") from e
        return pa.concat_tables(tables) if tables else SCHEMA.empty_table()

    def write_json(self, name: str, obj) -> None:
        fsutil.write_json_atomic(self.fs, self.p(name), obj)

    def read_json(self, name: str):
        if not fsutil.exists(self.fs, self.p(name)):
            return None
        try:
            return fsutil.read_json(self.fs, self.p(name))
        except ValueError as e:
            raise FactoryError(f"{self.p(name)}: not valid JSON ({e})") from e

    def exists(self, *parts: str) -> bool:
        return fsutil.exists(self.fs, self.p(*parts))

    def work_dir(self, sub: str) -> str:
        """A local directory for ``sub`` (train, eval): inside the run dir when it is local, else a staging
        folder under ``$FACTORY_HOME/staging/`` keyed by the run's URI (outputs are copied to the store)."""
        base = self.local_path()
        if base is not None:
            return fsutil.join(base, sub)
        import hashlib

        from ground.models import factory_home

        return str(factory_home() / "staging" / hashlib.sha256(self.uri.encode()).hexdigest()[:16] / sub)

    def local_path(self) -> str | None:
        """The run directory as a local path (for trainers that need one), or None on object stores."""
        import pyarrow.fs as pafs

        return self.path if isinstance(self.fs, pafs.LocalFileSystem) else None
