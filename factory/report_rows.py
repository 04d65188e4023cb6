"""The rows side of the run report (:mod:`factory.report`): counters added up batch by batch.

    >>> manifest, stats, rows = load_run("runs/demo/3f2a9c1b7e4d")     # rows: a RowStats, not the rows
    >>> rows.rows, rows.accepted, rows.cluster_sizes()
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from factory.run_schema import check_version
from factory.stats import reason_of
from ground import fsutil
from ground.errors import FactoryError

#: the columns the report reads from accepted/ and rejects/
COLUMNS = ("status", "reject_stage", "reject_reason", "tokens_out", "cost", "cache_hit", "verdicts", "cluster_id", "finish_reason")


def verifier_rates(rows: list[dict], min_scores: dict[str, float]) -> dict[str, dict]:
    """name -> {checked, passed, unverifiable, rate}; a verdict passes when score >= its min_score."""
    out: dict[str, dict] = {}
    for r in rows:
        try:
            verdicts = json.loads(r.get("verdicts") or "{}")
        except json.JSONDecodeError:
            continue  # a damaged cell must not take the whole report down
        for name, v in (verdicts or {}).items():
            d = out.setdefault(name, {"checked": 0, "passed": 0, "unverifiable": 0})
            score = v.get("score") if isinstance(v, dict) else None
            if score is None:
                d["unverifiable"] += 1
                continue
            d["checked"] += 1
            d["passed"] += score >= min_scores.get(name, 1.0)
    for d in out.values():
        d["rate"] = d["passed"] / d["checked"] if d["checked"] else None
    return out


class RowStats:
    """What the page needs of the rows, added up batch by batch: the report never holds a run's rows. Memory is
    bounded by the distinct ``tokens_out`` values, verifiers and reject reason categories (:func:`reason_of`:
    "exact duplicate", not one reason per survivor id), plus 8 bytes per clustered row (a 64-bit hash of its
    cluster id, counted at the end)."""

    def __init__(self):
        self.rows = self.accepted = self.hits = self.misses = 0
        self.cost = 0.0
        self.reasons: Counter = Counter()  # (stage, reason class) of rejected rows
        self.lens = {"accepted": Counter(), "rejected": Counter()}  # tokens_out -> rows
        self.verdicts: dict[str, dict] = {}  # verifier -> checked / passed / unverifiable
        self.clusters: list = []  # numpy int64 arrays: hash()es of the non-null cluster ids
        self.min_scores: dict[str, float] = {}

    def add(self, rows: list[dict]) -> "RowStats":
        self.rows += len(rows)
        for r in rows:
            ok = r.get("status") == "accepted"
            self.accepted += ok
            self.cost += r.get("cost") or 0.0
            self.hits += bool(r.get("cache_hit"))
            self.misses += r.get("finish_reason") is not None and not r.get("cache_hit")
            if not ok:
                self.reasons[(r.get("reject_stage") or "?", reason_of(r.get("reject_reason")))] += 1
            if r.get("tokens_out") is not None:
                self.lens["accepted" if ok else "rejected"][r["tokens_out"]] += 1
        for name, v in verifier_rates(rows, self.min_scores).items():
            d = self.verdicts.setdefault(name, {"checked": 0, "passed": 0, "unverifiable": 0})
            for k in d:
                d[k] += v[k]
        ids = [r["cluster_id"] for r in rows if r.get("cluster_id")]
        if ids:
            self.clusters.append(np.fromiter((hash(c) for c in ids), np.int64, len(ids)))  # one process: hash() is stable
        return self

    def rates(self) -> dict[str, dict]:
        return {name: {**d, "rate": d["passed"] / d["checked"] if d["checked"] else None} for name, d in self.verdicts.items()}

    def cluster_sizes(self) -> dict[int, int]:
        """cluster size -> number of clusters of that size (rows sharing a ``cluster_id``)."""
        if not self.clusters:
            return {}
        _, per = np.unique(np.concatenate(self.clusters), return_counts=True)
        sizes = Counter(per.tolist())
        return dict(sorted(sizes.items()))


def _read_rows(fs, run_path: str, kind: str, agg: RowStats, batch_rows: int = 65_536) -> None:
    for f in fsutil.list_files(fs, fsutil.join(run_path, kind), ".parquet"):
        with fs.open_input_file(f) as fh:
            try:
                pf = pq.ParquetFile(fh)
            except pa.ArrowInvalid as e:  # a cut or overwritten part: one line naming it (as fsutil.read_parquet says it)
                raise fsutil.BadRunFile(f"{f}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
            cols = [c for c in COLUMNS if c in pf.schema_arrow.names]
            for b in pf.iter_batches(batch_size=batch_rows, columns=cols):
                agg.add(b.to_pylist())


def load_run(run_dir: str) -> tuple[dict, dict, RowStats]:
    """(manifest, stats, row statistics) of a run directory, read batch by batch (only :data:`COLUMNS`)."""
    fs, path = fsutil.filesystem(run_dir)
    if not fsutil.exists(fs, fsutil.join(path, "manifest.json")):
        raise FactoryError(f"{run_dir}: not a run directory (no manifest.json)")
    manifest = check_version(fsutil.read_json(fs, fsutil.join(path, "manifest.json")), f"{run_dir}/manifest.json")  # damaged: BadRunFile
    stats_p = fsutil.join(path, "stats.json")
    stats = check_version(fsutil.read_json(fs, stats_p), f"{run_dir}/stats.json") if fsutil.exists(fs, stats_p) else {}
    agg = RowStats()
    agg.min_scores = _min_scores(manifest)
    _read_rows(fs, path, "accepted", agg)
    _read_rows(fs, path, "rejects", agg)
    return manifest, stats, agg


def _min_scores(manifest: dict) -> dict[str, float]:
    recipe = manifest.get("recipe") or {}
    return {v.get("name"): v.get("min_score", 1.0) for v in recipe.get("verifiers") or [] if isinstance(v, dict)}


