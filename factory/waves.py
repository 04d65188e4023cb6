"""Adaptive sampling (``teacher.until``) on the streaming plane: waves, and the per-chunk prompt status.

    >>> from factory.waves import Wave
    >>> w = Wave(index=1, lo=2, hi=4, verified=1, max_samples=8, store_uri=store.uri)
    >>> rows = w.rows(unit, expander)          # on a worker: the unit's rows of sample indices 2..3, unfinished prompts only

Wave ``j`` is one streaming pass over the source's units that asks for sample indices ``j*w .. j*w+w-1``:
the same rows, seeds and request-cache keys as the first samples of a fixed-n run (an adaptive run sees a
prefix of the fixed-n run's samples). Its writer stores ``chunks/wave-J/chunk-N.parquet`` (the marker of
the wave's chunk) after ``waves/wave-J/chunk-N.parquet``: per prompt of the chunk, samples tried and
verified so far, and whether it is done (``verified`` reached, ``max_samples`` tried, or the record is a
source reject). The next wave's expansion reads only its own chunk's status file, on the worker; the
driver never sees rows or prompt ids.
"""

from __future__ import annotations

import dataclasses

import pyarrow as pa

from curation.pass_rate import prompt_counts
from ground import fsutil
from ground.record import to_table
from teachers.expand import record_id

STATUS = pa.schema([("prompt_id", pa.string()), ("tried", pa.int32()), ("verified", pa.int32()), ("done", pa.bool_())])


@dataclasses.dataclass(frozen=True)
class Wave:
    index: int
    lo: int
    hi: int
    verified: int
    max_samples: int
    store_uri: str

    def status_path(self, chunk: int, wave: int) -> tuple:
        fs, root = fsutil.filesystem(self.store_uri)
        return fs, fsutil.join(root, "waves", f"wave-{wave:03d}", f"chunk-{chunk:06d}.parquet")

    def chunk_path(self, chunk: int) -> tuple:
        fs, root = fsutil.filesystem(self.store_uri)
        return fs, fsutil.join(root, "chunks", f"wave-{self.index:03d}", f"chunk-{chunk:06d}.parquet")

    def previous(self, chunk: int) -> pa.Table:
        """The chunk's prompt status after the previous wave (empty before wave 0)."""
        if self.index == 0:
            return STATUS.empty_table()
        fs, p = self.status_path(chunk, self.index - 1)
        if not fsutil.exists(fs, p):  # the previous wave's marker exists only after its status file (see write)
            raise RuntimeError(f"internal error: wave {self.index - 1} of chunk {chunk} has no status file {p}")
        return fsutil.read_parquet(fs, p)

    def rows(self, unit, expander, records) -> list[dict]:
        """The unit's rows of this wave: sample indices lo..hi-1 of the prompts not done yet. A record repeated in the
        chunk under one prompt id (the same content, no ``source.fields.id``) is one prompt, sampled once: its copy's
        rows were the same requests, paid twice, and counted twice against ``max_samples`` (samples 0, 0, 1, 1 of
        ``max_samples: 4``, not 0..3)."""
        st = self.previous(unit.chunk)
        done = {p for p, d in zip(st.column("prompt_id").to_pylist(), st.column("done").to_pylist()) if d}
        out: list[dict] = []
        for rec in records:
            pid = record_id(rec, expander.fields)
            if pid not in done:
                done.add(pid)
                out += expander.expand(rec, range(self.lo, self.hi))
        return out

    def status(self, chunk: int, rows: list[dict]) -> pa.Table:
        """The chunk's prompt status after this wave: the previous one plus this wave's rows."""
        prev = self.previous(chunk).to_pylist()
        cur = {d["prompt_id"]: [d["tried"], d["verified"], d["done"]] for d in prev}
        source_rejects = {r["prompt_id"] for r in rows if r.get("reject_stage") == "source"}
        for pid, (n, ok, _cost, _judged) in prompt_counts(rows).items():
            c = cur.setdefault(pid, [0, 0, False])
            c[0] += n
            c[1] += ok
            c[2] = c[1] >= self.verified or c[0] >= self.max_samples or self.hi >= self.max_samples or pid in source_rejects
        return pa.table({"prompt_id": list(cur), "tried": [v[0] for v in cur.values()], "verified": [v[1] for v in cur.values()],
                         "done": [v[2] for v in cur.values()]}, schema=STATUS)

    def write(self, chunk: int, rows: list[dict]) -> None:
        """Status file, then the chunk's marker (both atomic): a marker never exists without its status."""
        fs, sp = self.status_path(chunk, self.index)
        fsutil.write_parquet_atomic(fs, sp, self.status(chunk, rows))
        fs, cp = self.chunk_path(chunk)
        fsutil.write_parquet_atomic(fs, cp, to_table(rows))
