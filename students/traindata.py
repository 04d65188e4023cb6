"""Training data on Ray Data: the run's ``accepted/`` (and ``rejects/``) Parquet, split by prompt, examples built
by dataset maps on Ray workers, and read in the Ray Train workers through ``ray.train.get_dataset_shard``.

    >>> from students.traindata import open_rows, split_rows
    >>> rows = open_rows(["runs/x/3f2a/accepted"])          # a ray.data.Dataset over the Parquet parts
    >>> train_ds, val_ds = split_rows(rows, rows, seed=0)  # by prompt_id; only prompt ids reach the driver

The driver holds keys (prompt ids), counts and dataset handles, never rows: every example builder
(students/sft_data.py, students/kd.py, students/pairs.py) is a ``map_batches`` / ``map_groups`` over
Arrow batches, materialised into the object store; :func:`tally` brings back one small summary row per
block. Order is preserved (``preserve_order``), so a run trains on exactly the examples, in exactly the
order, that the former in-driver lists had. A :class:`FactoryError` raised in a map reaches the caller
as itself (one line), not wrapped in Ray's task error.
"""

from __future__ import annotations

import contextlib
import json
import random
from typing import Any, Callable, Iterator

import pyarrow as pa

from ground.errors import FactoryError, factory_error_in


@contextlib.contextmanager
def ordered() -> Iterator[None]:
    """Datasets created inside keep their row order (read APIs copy the context at creation)."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    before = ctx.execution_options.preserve_order
    ctx.execution_options.preserve_order = True
    try:
        yield
    finally:
        ctx.execution_options.preserve_order = before


def _parquet_files(uris: list[str]) -> tuple[Any, list[str]]:
    from ground import fsutil

    fs, files = None, []
    for uri in uris:
        f, path = fsutil.filesystem(uri)
        if fs is not None and type(f) is not type(fs):
            raise FactoryError(f"training data: {uri} is on another filesystem than {uris[0]}")
        fs = f
        files += fsutil.list_files(f, path, ".parquet")
    return fs, files


def open_rows(data: str | list) -> Any:
    """A Dataset of factory rows: Parquet folders (URIs: local, ``s3://``, ``gs://``; a missing folder
    is empty) or, for tests and benches, rows already in memory."""
    import ray.data

    from ground.raycluster import init_ray
    from ground.record import SCHEMA, to_table

    init_ray()
    with ordered():
        if isinstance(data, list) and data and isinstance(data[0], dict):
            return ray.data.from_arrow(to_table(data))
        fs, files = _parquet_files([data] if isinstance(data, str) else list(data))
        if not files:
            return ray.data.from_arrow(SCHEMA.empty_table())
        return ray.data.read_parquet(files, filesystem=fs, schema=SCHEMA)


def data_identity(data: str | list) -> list:
    """What :func:`open_rows` reads, in a form to hash (students/train.py keys its Ray Train checkpoints by it):
    rows in memory themselves; for Parquet folders each file's name and size per folder (cheap on an object
    store, and stable across a run's re-curation, which rewrites the same parts; the folder itself is left out,
    so a moved run dir keeps its key)."""
    import pyarrow.fs as pafs

    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data
    out = []
    for uri in [data] if isinstance(data, str) else list(data):
        fs, files = _parquet_files([uri])
        infos = fs.get_file_info(files) if files else []
        out.append([[i.base_name, i.size] for i in infos if i.type == pafs.FileType.File])
    return out


def partitions(n_rows: int, per: int = 20_000) -> int:
    """Partitions of a shuffle by prompt_id over ``n_rows`` sample rows: ~``per`` rows each, at least 2 per CPU.
    Ray's default (200) made a 21-row DPO set take a minute on 2 cores."""
    import ray

    cpus = int(ray.cluster_resources().get("CPU", 1)) if ray.is_initialized() else 1
    return max(2 * cpus, -(-n_rows // per))


def _block_prompts(batch: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    return pa.table({"prompt_id": pc.unique(batch["prompt_id"])})


def unique_prompts(ds) -> list[str]:
    """The sorted distinct prompt ids of ``ds``: each block's own distinct ids, joined here. Was ``ds.unique()``, a
    hash shuffle into Ray's default 200 partitions: ~10 s for 8 rows on 2 cores, twice per fit."""
    ids: set = set()
    for b in ds.map_batches(_block_prompts, batch_format="pyarrow", batch_size=None).iter_batches(batch_format="pyarrow", batch_size=None):
        ids.update(b["prompt_id"].to_pylist())
    return sorted(str(p) for p in ids)


def _keep(batch: pa.Table, pids: frozenset, want: bool, status: str | None, not_stage: str | None) -> pa.Table:
    import pyarrow.compute as pc

    mask = pc.is_in(batch["prompt_id"], value_set=pa.array(sorted(pids), pa.string()))
    mask = mask if want else pc.invert(mask)
    if status is not None:
        mask = pc.and_(mask, pc.equal(batch["status"], status))
    if not_stage is not None:
        mask = pc.and_(mask, pc.invert(pc.fill_null(pc.equal(batch["reject_stage"], not_stage), False)))
    return batch.filter(pc.fill_null(mask, False))


def where(ds, status: str | None = None, not_stage: str | None = None, pids: frozenset = frozenset(), inside: bool = False):
    """Rows with ``status`` (and ``reject_stage`` != ``not_stage``), whose prompt_id is (``inside``) or is
    not in ``pids``; a vectorised Arrow filter on the workers."""
    return ds.map_batches(_keep, batch_format="pyarrow", fn_kwargs=dict(pids=pids, want=inside, status=status, not_stage=not_stage))


def val_prompts(pids: list[str], val_fraction: float, seed: int) -> frozenset:
    """The validation prompt ids: the same rule as :func:`students.data.split_by_prompt`."""
    pids = sorted(pids)
    random.Random(seed).shuffle(pids)
    n_val = int(round(len(pids) * val_fraction))
    if len(pids) >= 2:
        n_val = max(1, n_val) if val_fraction > 0 else 0
    return frozenset(pids[:n_val])


def split_rows(ds, basis, seed: int, by: Callable | None = None) -> tuple[Any, Any]:
    """(train, validation) Datasets by prompt_id: 10% of the prompts for validation once ``basis`` has 10."""
    pids = unique_prompts(ds)
    frac = 0.1 if len(pids if basis is ds else unique_prompts(basis)) >= 10 else 0.0
    val = val_prompts(pids, frac, seed)
    if not val:  # no validation split: nothing to filter (an empty dataset the builders skip without reading the run)
        return ds, ds.limit(0)
    return where(ds, pids=val, inside=False), where(ds, pids=val, inside=True)


@contextlib.contextmanager
def plain_errors() -> Iterator[None]:
    """Re-raise a FactoryError from a dataset map as itself (its one line), not as Ray's task error."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - anything else propagates unchanged
        fe = factory_error_in(e)
        if fe is None or fe is e:
            raise
        raise fe.with_traceback(None) from None


def build(ds, fn: Callable[[pa.Table], pa.Table], **kw) -> Any:
    """``ds.map_batches(fn)`` over Arrow batches, materialised in the object store (not in the driver)."""
    with ordered(), plain_errors():
        return ds.map_batches(fn, batch_format="pyarrow", fn_kwargs=kw).materialize()


def _block_tally(batch: pa.Table, sums: tuple[str, ...], maxes: tuple[str, ...], values: tuple[str, ...]) -> pa.Table:
    import pyarrow.compute as pc

    out: dict[str, list] = {"rows": [batch.num_rows]}
    for c in values:
        if c in batch.column_names:
            for v in pc.value_counts(batch[c]).to_pylist():
                out[f"{c}:{v['values']}"] = [v["counts"]]
    for c in sums:
        out[f"sum:{c}"] = [pc.sum(batch[c]).as_py() or 0]
    for c in maxes:
        out[f"max:{c}"] = [pc.max(batch[c]).as_py() or 0]
    return pa.table({k: pa.array(v, pa.int64()) for k, v in out.items()})


def tally(ds, sums: tuple[str, ...] = (), maxes: tuple[str, ...] = (), values: tuple[str, ...] = ("drop",)) -> dict[str, int]:
    """Counts per value of the ``values`` columns (``"drop:<reason>"``), column sums and maxima of a built dataset:
    one small row per block, added up here (no shuffle: a ``groupby(...).count()`` hashes into 200 partitions). The
    driver gets blocks x distinct values entries: ``values`` are low-cardinality columns (reasons, kinds), never ids."""
    total: dict[str, int] = {}
    for row in ds.map_batches(_block_tally, batch_format="pyarrow", batch_size=None,
                              fn_kwargs=dict(sums=sums, maxes=maxes, values=values)).take_all():
        for k, v in row.items():
            if v is None:
                continue
            total[k] = max(total.get(k, 0), v) if k.startswith("max:") else total.get(k, 0) + v
    return total


def value_counts(ds, col: str) -> dict[str, int]:
    """Rows per value of the low-cardinality column ``col`` (:func:`tally`)."""
    pre = f"{col}:"
    return {k[len(pre):]: v for k, v in tally(ds, values=(col,)).items() if k.startswith(pre)}


def kept(ds, columns: list[str]) -> Any:
    """The examples a builder kept (``drop`` empty), only the columns the trainer reads."""
    import pyarrow.compute as pc

    def fn(batch: pa.Table) -> pa.Table:
        return batch.filter(pc.equal(batch["drop"], "")).select(columns)

    return ds.map_batches(fn, batch_format="pyarrow")


def table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


# ----------------------------------------------------------------------------- worker side

def shard_rows(name: str, json_cols: tuple[str, ...] = ()) -> list[dict]:
    """This Ray Train worker's rows of dataset ``name`` (every worker reads all of it: the HF trainers
    shard batches across ranks themselves); ``json_cols`` are decoded. [] when the dataset is absent."""
    import ray.train

    it = ray.train.get_dataset_shard(name)
    if it is None:
        return []
    rows = [r for b in it.iter_batches(batch_format="pyarrow", batch_size=None) for r in b.to_pylist()]
    for r in rows:
        for c in json_cols:
            r[c] = json.loads(r[c])
    return rows
