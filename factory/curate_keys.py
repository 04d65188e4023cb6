"""Exact and MinHash dedup from the key files the chunk writer wrote (:mod:`curation.dedup.keys`).

    >>> spec = key_spec(recipe)                       # what the writer computes, or None (waves, pass-rate filter)
    >>> files = key_files(store, spec)                # every chunk's key file, or None: then curation reads the shards
    >>> dec = decide_from_keys(ray, step, store.uri, files, dirs, n_live)   # the step's decisions, as from decide()

The key rows are read one file per block (a block's size is set by ``output.shard_size``, not by the run),
earlier steps' rejections are dropped where the keys are, and only the group-by on the exact key or the
band-bucket shuffle moves data: keys, signatures and decisions, never rows.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.dedup import survivor_key
from curation.dedup.exact import ExactDedup
from curation.dedup.keys import KeySpec, sig_matrix, spec_of_file
from curation.dedup.minhash import MinHashDedup
from curation.dedup.minhash_ray import sig_block
from factory.store import file_blocks
from ground import fsutil

KEYS_DIR = "keys"
_EXACT_COLS = ["id", "chunk", "score", "tlen", "dedup_key"]


def key_spec(recipe) -> KeySpec | None:
    """The keys the writer computes for ``recipe``: exact keys when exact dedup is on, MinHash signatures when
    MinHash is on and may take its Ray path. None with ``teacher.until`` or ``filters.keep_pass_rate`` (a row's
    status is settled only when the run is curated) or when neither step is on."""
    from curation.plan import build_dedup_steps

    if recipe.teacher.until is not None or recipe.filters.keep_pass_rate is not None:
        return None
    exact_on = recipe.dedup.exact.on if recipe.dedup.exact.enabled else None
    mh = next((st.config for st in build_dedup_steps(recipe) if type(st) is MinHashDedup and st.config.engine != "local"), None)
    return None if exact_on is None and mh is None else KeySpec(exact_on, mh)


def key_files(store, spec: KeySpec | None) -> list[str] | None:
    """Every chunk's key file, in chunk order, when each chunk has exactly one (no waves) written under ``spec``."""
    if spec is None:
        return None
    chunks = store.chunk_files()
    files = store.chunk_map(KEYS_DIR)
    if not chunks or set(files) != set(chunks) or any(len(v) != 1 for v in chunks.values()):
        return None
    with store.fs.open_input_file(files[min(files)]) as fh:  # a run resumed across an upgrade may hold another layout
        if spec_of_file(pq.read_schema(fh)) != spec.to_json():
            return None
    return [files[c] for c in sorted(files)]


def key_rows(store, files: list[str]) -> int:
    """Accepted rows after the row filters: the key files' row counts (their footers, not their rows)."""
    n = 0
    for f in files:
        with store.fs.open_input_file(f) as fh:
            n += pq.read_metadata(fh).num_rows
    return n


# ----------------------------------------------------------------------------- worker functions
def read_keys(batch: pa.Table, store_uri: str, columns: list[str], dirs: list[tuple[str, str]]) -> pa.Table:
    """A group of key files per batch row -> their key rows, less those an earlier step (``dirs``) rejected."""
    from factory.curate_pass import load_decisions

    fs, _ = fsutil.filesystem(store_uri)
    t = pa.concat_tables([fsutil.read_parquet(fs, f).select(columns) for files in batch.column("files").to_pylist() for f in files])
    rejected = [d.filter(pc.is_valid(d.column("survivor_id"))).column("id")
                for _, d in load_decisions(dirs, set(t.column("chunk").to_pylist()))]
    rejected = [r for r in rejected if len(r)]
    if rejected:
        t = t.filter(pc.invert(pc.is_in(t.column("id"), value_set=pa.concat_arrays([c for r in rejected for c in r.chunks]))))
    return t


def sig_rows(t: pa.Table, num_perm: int, b: int, r: int, parts: int = 1) -> dict:
    """Key rows with a signature (``parts`` signatures of ``num_perm`` side by side) -> what
    :func:`curation.dedup.minhash_ray.minhash_decisions_ray` reads."""
    t = t.filter(pc.is_valid(t.column("sig")))
    sig = sig_matrix(t.column("sig"), num_perm * parts)
    rank = [survivor_key(s, 0, "")[0] for s in t.column("score").to_pylist()]
    return sig_block(t.column("id").to_pylist(), t.column("chunk").to_numpy(), rank, t.column("mh_tlen").to_numpy(), sig, b, r, parts)


# ----------------------------------------------------------------------------- the step (driver)
KEY_FILES_PER_BLOCK = 8  # a block of key rows: ~8 chunks' accepted rows (the file shuffles write a file per block and partition)


def _keys_ds(ray, store_uri: str, files: list[str], columns: list[str], dirs: list[tuple[str, str]]):
    groups = [files[i:i + KEY_FILES_PER_BLOCK] for i in range(0, len(files), KEY_FILES_PER_BLOCK)]
    return file_blocks(ray, groups).map_batches(
        read_keys, fn_kwargs={"store_uri": store_uri, "columns": columns, "dirs": list(dirs)}, batch_size=1, batch_format="pyarrow")


def uses_keys(step, n_live: int) -> bool:
    """Whether ``step`` decides from the key files: exact dedup, and MinHash when it takes its Ray path."""
    return type(step) is ExactDedup or (type(step) is MinHashDedup and step.use_ray(n_live))


def decide_from_keys(ray, step, store_uri: str, files: list[str], dirs: list[tuple[str, str]], n_live: int, tmp_uri: str | None = None):
    """``step``'s decisions (a Ray Dataset or a table of :data:`curation.dedup.base.DECISION_SCHEMA`); ``tmp_uri``:
    a scratch folder for a shuffle through files (exact dedup)."""
    if type(step) is ExactDedup:
        return step.decide_keys(_keys_ds(ray, store_uri, files, _EXACT_COLS, dirs), {"live_rows": n_live, "tmp_uri": tmp_uri})
    cfg = step.config
    b, r = cfg.bands_rows()
    sigs = _keys_ds(ray, store_uri, files, ["id", "chunk", "score", "mh_tlen", "sig"], dirs).map_batches(
        sig_rows, fn_kwargs={"num_perm": cfg.num_perm, "b": b, "r": r, "parts": cfg.n_parts()}, batch_format="pyarrow", batch_size=None)
    return step.decide_sigs(sigs.materialize(), n_live, tmp_uri)
