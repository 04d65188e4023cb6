"""Exact dedup: normalised-text hash; one survivor per identical group.

    >>> from curation.dedup.exact import ExactDedup, ExactDedupConfig
    >>> rows = ExactDedup(ExactDedupConfig(on="completion"))(rows)      # in process, on a list of rows
    >>> decisions = ExactDedup(ExactDedupConfig()).decide(live_ds, ctx)  # streaming plane: a Ray shuffle on the key's hash

Normalisation (:func:`curation.dedup.normalize`): Unicode NFKC, lower case, whitespace collapsed, so
trivially different copies collide. ``on`` picks the compared text (:func:`curation.dedup.text_of`):
``prompt`` (problem-level), ``completion`` (trace-level; the default) or ``both``. The survivor of a group is
the shared rule (:func:`curation.dedup.survivor_key`): highest ``score``, then shortest compared text, then
smallest ``id``. An empty or white-space-only text is nobody's duplicate. Indentation is white space too: two
programs that differ only in it are one text, even where Python reads them differently (both reached dedup
verified; for training they are copies). Every compared row records ``dedup_key``; dropped rows record
``cluster_id`` (the group's hash) and ``survivor_id``, and the reason ``exact duplicate of <survivor id>``.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
from pydantic import Field

from curation.dedup import Compared, DedupStepConfig, compare_field, normalize, required_columns, survivor_key, text_of
from ground.fileshuffle import file_shuffle
from ground.record import ACCEPTED, hash_parts, reject
from ground.step import Step


def dedup_key(text: str) -> str:
    return hashlib.sha256(normalize(text).encode()).hexdigest()[:32]


#: the key of an empty (or white-space-only) text: such rows are not duplicates of each other (rows of different
#: prompts with no completion would all collapse into one), as MinHash and embedding dedup leave them alone too
EMPTY_KEY = dedup_key("")


class ExactDedupConfig(DedupStepConfig):
    """The recipe's ``dedup.exact`` section."""

    enabled: bool = Field(True, description="drop exact duplicates (normalised text hash); on by default")
    on: Compared = compare_field("completion", "which text is compared: problem-level (prompt), trace-level "
                                               "(completion) or both")


def _mark(members: list[dict], key: str, stage: str) -> None:
    """``members``: dicts with id, score and tlen (and the row's other columns); marks them in place."""
    members.sort(key=lambda r: survivor_key(r.get("score"), r["tlen"], r["id"]))
    keep = members[0]
    keep["cluster_id"] = f"exact:{key[:16]}"
    for r in members[1:]:
        r["cluster_id"], r["survivor_id"] = keep["cluster_id"], keep["id"]
        reject(r, stage, f"exact duplicate of {keep['id']}")


class ExactDedup(Step):
    name = "dedup_exact"
    produces = ("dedup_key", "cluster_id", "survivor_id")

    def __init__(self, config: ExactDedupConfig | None = None):
        self.config = config or ExactDedupConfig()
        self.requires = ("id",) + required_columns(self.config.on)

    def process(self, rows: list[dict]) -> list[dict]:
        groups: dict[str, list[dict]] = {}
        for r in rows:
            text = text_of(r, self.config.on)
            r["dedup_key"], r["tlen"] = dedup_key(text), len(text)
            groups.setdefault(r["dedup_key"], []).append(r)
        for key, members in groups.items():
            if len(members) > 1 and key != EMPTY_KEY:
                _mark(members, key, self.name)
        for r in rows:
            del r["tlen"]
        return rows

    # ------------------------------------------------------------------ streaming plane (curation.dedup.base)
    def decide(self, live, ctx: dict):
        """Keys are computed where the rows are and shuffled by the key's hash; each partition (about
        :data:`ROWS_PER_PARTITION` key rows: id, score, length, key) turns its groups of two or more into decisions."""
        return self.decide_keys(live.map_batches(_keys, fn_kwargs={"on": self.config.on}, batch_format="pyarrow"), ctx)

    def decide_keys(self, keys, ctx: dict):
        """Decisions from a dataset of key rows (``id, chunk, score, tlen, dedup_key``: what :func:`_keys` makes,
        or the key files of :mod:`curation.dedup.keys`). The shuffle has ``ctx["partitions"]`` partitions (default:
        from ``ctx["live_rows"]``, as MinHash's): every partition writes one decision file per chunk it touches, so
        Ray Data's default of 200 would write 200 small files per chunk. With ``ctx["tmp_uri"]`` (a scratch folder
        the caller removes) the shuffle goes through files there (:mod:`ground.fileshuffle`), else Ray Data's
        ``groupby``, whose map workers grew with the run (382 MiB private at 1M rows)."""
        parts = ctx.get("partitions") or partitions_for(int(ctx.get("live_rows") or 0))
        keyed = keys.map_batches(_with_part, fn_kwargs={"parts": parts}, batch_format="pyarrow")
        if ctx.get("tmp_uri"):  # through files (ground.fileshuffle): no process grows with the run
            import ray

            from curation.dedup.base import DECISION_SCHEMA

            return file_shuffle(ray, keyed, parts, ctx["tmp_uri"], _partition_decisions, {"stage": self.name}, DECISION_SCHEMA.empty_table())
        return keyed.groupby("part", num_partitions=parts).map_groups(_partition_decisions, fn_kwargs={"stage": self.name}, batch_format="pyarrow")

    @staticmethod
    def key_of(row: dict, on: str) -> str:
        return dedup_key(text_of(row, on))


def _keys(batch: pa.Table, on: str) -> pa.Table:
    cols = sorted({"id", "chunk", "status", "score", *required_columns(on)})
    rows = [r for r in batch.select(cols).to_pylist() if r["status"] == ACCEPTED]
    texts = [text_of(r, on) for r in rows]
    return pa.table({"id": pa.array([r["id"] for r in rows], pa.string()), "chunk": pa.array([r["chunk"] for r in rows], pa.int32()),
                     "score": pa.array([r.get("score") for r in rows], pa.float64()),
                     "tlen": pa.array([len(t) for t in texts], pa.int64()), "dedup_key": pa.array([dedup_key(t) for t in texts], pa.string())})


#: key rows per shuffle partition: one task groups a whole partition, so this bounds its memory (~100 B a key row)
ROWS_PER_PARTITION = 50_000


def partitions_for(n_rows: int) -> int:
    """Shuffle partitions for ``n_rows`` key rows: ~:data:`ROWS_PER_PARTITION` each, at least 2 per CPU."""
    import ray

    cpus = int(ray.cluster_resources().get("CPU", 1)) if ray.is_initialized() else 1
    return max(2 * cpus, -(-n_rows // ROWS_PER_PARTITION))


def _with_part(batch: pa.Table, parts: int) -> pa.Table:
    """The shuffle partition of each key row: from its key (a hex hash), so equal keys meet in one partition."""
    return batch.append_column("part", pa.array(hash_parts(batch.column("dedup_key").to_pylist(), parts), pa.int64()))


def _partition_decisions(part: pa.Table, stage: str) -> pa.Table:
    """Decisions of one shuffle partition, in one call (not one call per group: Ray Data's per-group calls cost
    ~1 ms each, minutes at 1M rows): keys seen once are dropped in Arrow, only duplicate groups become Python."""
    import pyarrow.compute as pc

    from curation.dedup.base import DECISION_SCHEMA

    counts = part.group_by("dedup_key").aggregate([("dedup_key", "count")])
    dup = counts.filter(pc.and_(pc.greater(counts.column("dedup_key_count"), 1),
                                pc.not_equal(counts.column("dedup_key"), EMPTY_KEY))).column("dedup_key")
    if len(dup) == 0:
        return DECISION_SCHEMA.empty_table()
    groups: dict[str, list[dict]] = {}
    for m in part.filter(pc.is_in(part.column("dedup_key"), value_set=dup.combine_chunks())).to_pylist():
        m["status"] = ACCEPTED
        groups.setdefault(m["dedup_key"], []).append(m)
    out = []
    for key in sorted(groups):
        _mark(groups[key], key, stage)
        out += [{"id": m["id"], "chunk": m["chunk"], "cluster_id": m["cluster_id"], "survivor_id": m.get("survivor_id"),
                 "reason": m.get("reject_reason"), "dedup_key": None} for m in groups[key]]
    return pa.Table.from_pylist(out, schema=DECISION_SCHEMA)
