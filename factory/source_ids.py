"""``source.fields.id`` must name each record once: row ids, adaptive waves' per-prompt counts and dedup's survivor
references are all keyed by it, so two records under one id would share rows' ids without a word.

Checked before anything is written (a repeated id is bad input: exit 2, no run directory). A source of at most
``IN_DRIVER_MAX`` records is read in the driver, keeping 8 bytes per record (a 64-bit hash of its id); a bigger one is
grouped by id on Ray Data, so the driver holds only the repeated ids it reports.

:func:`check_records` does the same for bad records when the recipe says ``source.on_bad_record: fail``.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pyarrow as pa

from ground.errors import FactoryError
from ground.source import Unit, read_unit

log = logging.getLogger(__name__)

IN_DRIVER_MAX = 2_000_000  # records (16 MB of id hashes in the driver); above this the check is a Ray Data group-by


def check_unique_ids(recipe, units: list[Unit], ray=None) -> None:
    """Raise one FactoryError naming a repeated id and both of its places, with how many ids repeat."""
    field = recipe.source.fields.id
    if field is None:
        return
    total = sum(s.count for u in units for s in u.segments)
    if total <= IN_DRIVER_MAX and ray is None:
        repeated, example = _in_driver(units, field)
    else:
        if ray is None:
            from ground.raycluster import init_ray

            ray = init_ray()
        repeated, example = _on_ray(ray, units, field)
    if repeated:
        rid, first, second = example
        raise FactoryError(f"source.fields.id: {repeated:,} id{'s' if repeated != 1 else ''} repeat, e.g. {rid!r} at {first} "
                           f"and {second}; ids must be unique: point fields.id at a unique column, or leave it out "
                           f"(then a record's id is the hash of its content)")


def check_records(recipe, units: list[Unit]) -> None:
    """``source.on_bad_record: fail``: read every record once (in the driver, one unit at a time) and raise one
    FactoryError naming the first bad one and how many there are, before anything is written."""
    if recipe.source.on_bad_record != "fail":
        return
    from teachers.expand import Expander

    expander, bad, first = Expander.from_recipe(recipe), 0, None
    for u in units:
        for rec in read_unit(u):
            why = expander.problem(rec)
            if why is not None:
                bad, first = bad + 1, first or why
    if bad:
        raise FactoryError(f"source: {bad:,} bad record{'s' if bad != 1 else ''}, e.g. {first}; fix the source, or set "
                           "source.on_bad_record: reject to keep them as rejected rows and run the rest")


def _ids(unit: Unit, field: str) -> list[tuple[str, str]]:
    """(id, place) of each good record of a unit that has the id field (one without it gets a content hash)."""
    return [(str(r.data[field]), r.where) for r in read_unit(unit) if r.data is not None and r.data.get(field) is not None]


def _hash64(rid: str) -> int:
    return int.from_bytes(hashlib.blake2b(rid.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def _in_driver(units: list[Unit], field: str) -> tuple[int, tuple | None]:
    """8 bytes per record (a 64-bit hash of its id), then a second read for one example's places."""
    parts = [np.fromiter((_hash64(rid) for rid, _ in _ids(u, field)), np.uint64) for u in units]
    hashes = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)
    dup = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    if not len(dup):
        return 0, None
    want, places, rid = int(dup[0]), [], None
    for u in units:
        for r, where in _ids(u, field):
            if _hash64(r) == want:
                rid, places = r, places + [where]
        if len(places) >= 2:
            break
    return len(dup), (rid, places[0], places[1])


def unit_ids(batch: pa.Table, field: str) -> pa.Table:
    from factory.executor import _unit_of

    pairs = [p for u in batch.column("unit").to_pylist() for p in _ids(_unit_of(u), field)]
    return pa.table({"id": [p[0] for p in pairs], "where": [p[1] for p in pairs]}, schema=pa.schema([("id", pa.string()), ("where", pa.string())]))


def _on_ray(ray, units: list[Unit], field: str) -> tuple[int, tuple | None]:
    from factory.executor import _unit_json, light_tasks

    from ray.data.aggregate import Count

    # not materialized: the (id, place) rows stream into the group-by; only a repeat's places are read again
    ids = ray.data.from_items([{"unit": _unit_json(u)} for u in units], override_num_blocks=len(units)).map_batches(
        unit_ids, fn_kwargs={"field": field}, batch_size=1, batch_format="pyarrow", num_cpus=0,
        concurrency=light_tasks(ray, len(units)))

    dup = ids.groupby("id").aggregate(Count(alias_name="n")).filter(expr="n > 1")
    repeated = dup.count()
    if not repeated:
        return 0, None
    rid = dup.take(1)[0]["id"]
    places = [r["where"] for r in ids.filter(lambda r: r["id"] == rid).take(2)]
    return repeated, (rid, places[0], places[1])
