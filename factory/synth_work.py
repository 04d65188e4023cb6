"""The synthesis stage's worker side: each function works on one part (a batch of seeds) where Ray runs it.

* :class:`SynthUDF` (an actor of the synthesis teacher): seeds -> requests -> the teacher (request cache
  first) -> parsed prompts, written as ``synth/prompts/prompts-N.parquet`` (the part's completion marker).
* :class:`ScoreUDF` (an actor of the recipe's teacher): a part's new prompts -> dedup decisions applied ->
  decontamination -> self-consistency (m samples, majority answer, agreement) -> ``synth/scored/part-N.parquet``.
* :func:`finalize_part` (a light task): the part's quota of kept prompts -> ``synth/final/synth-N.jsonl``
  (source records for generation, with their provenance) and every dropped prompt -> ``synth/rejects/``.
"""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa

from curation.dedup.decontam import Decontaminate
from curation.dedup.near_copy import NearCopyIndex
from curation.plan import build_dedup_config
from factory.budget import spend_rows, take_rows
from factory.synth_dedup import part_drops
from ground import fsutil
from ground.record import ACCEPTED, REJECTED, new_sample, sha
from ground.source import SourceRecord, prompt_of, read_unit
from teachers.base import transient_failure
from teachers.expand import SYNTH_KEY, Expander, record_id
from teachers.step import GenerateStep
from teachers.synth import SynthSpec, generate_cached, parse_prompts
from verifiers.answer_key import extractor, majority

CAND = pa.schema([("id", pa.string()), ("part", pa.int32()), ("prompt", pa.string()), ("seed_id", pa.string()),
                  ("condition", pa.string()), ("category", pa.string()), ("status", pa.string()),
                  ("reject_step", pa.string()), ("reject_reason", pa.string()), ("reference", pa.string()),
                  ("agreement", pa.float64()), ("cost", pa.float64())])
SUMMARY = pa.schema([("part", pa.int32()), ("n", pa.int64()), ("kept", pa.int64()), ("teacher_calls", pa.int64()),
                     ("cache_hits", pa.int64()), ("info", pa.string())])


def _unit(s: str):
    from factory.executor import _unit_of

    return _unit_of(s)


def _summary(part: int, n: int, kept: int, rows: list[dict], info: dict) -> dict:
    calls = sum(1 for r in rows if not r.get("cache_hit") and (r.get("completion") is not None or r.get("reject_stage") == "generate"))
    return {"part": part, "n": n, "kept": kept, "teacher_calls": calls, "cache_hits": sum(1 for r in rows if r.get("cache_hit")),
            "info": json.dumps(info)}


def generate_budgeted(gen, rows: list[dict], budget: str | None) -> str | None:
    """``generate_cached`` under the run budget (``budget``: the counter's name, or None); returns why the budget
    refused some of the rows (they are rejected at stage ``budget``), or None when every row was generated."""
    granted, why = [], []

    def take(need: list[dict]) -> None:
        rows_ok, refused = take_rows(budget, need)
        granted.extend(rows_ok)
        why.extend([refused] if refused else [])

    generate_cached(gen, rows, take if budget is not None else None)
    if granted:
        spend_rows(budget, granted)
    return why[0] if why else None


def transient_stop(rows: list[dict]) -> str | None:
    """Why a part must stop when some of its teacher requests failed for a transient reason (timeouts, 429, 5xx: after
    the client's own retries), else None. Such a failure says nothing about the seed or the prompt; kept, it became a
    permanent drop ("teacher error: ...", or a self-consistency vote for nothing, "low self-consistency: no answer in
    5 samples") that a re-run reused. The part is not written, so a re-run retries them (the answers made are cached)."""
    bad = [r for r in rows if r.get("reject_stage") == "generate" and transient_failure(r.get("reject_reason"))]
    if not bad:
        return None
    return (f"{len(bad)} of {len(rows)} teacher requests failed with transient errors ({bad[0]['reject_reason'][:160]}); "
            "re-run the same command to retry them")


def _stopped(part: int, rows: list[dict], why: str) -> dict:
    """The summary of a part the budget cut short: nothing written, so a re-run does it (the calls made are cached)."""
    return _summary(part, 0, 0, rows, {"stopped": why})


def _cand(part: int, seed: tuple[str, int], j: int, pos: int, text: str | None, cond: str | None, category, cost: float,
          problem: str | None = None) -> dict:
    """A candidate; its id hashes the seed's record index too: a seed repeated in the file has its own candidates."""
    seed_id, seed_index = seed
    return {"id": sha("synth", seed_id, seed_index, j, pos, n=20), "part": part, "prompt": text, "seed_id": seed_id, "condition": cond,
            "category": category, "status": REJECTED if problem else ACCEPTED, "reject_step": "parse" if problem else None,
            "reject_reason": problem, "reference": None, "agreement": None, "cost": cost}


class SynthUDF:
    """Stage 1 on an actor of the synthesis teacher: one seed unit per batch -> ``synth/prompts/prompts-N.parquet``."""

    def __init__(self, spec: SynthSpec, teacher_cfg: dict, cache_uri: str | None, fields, store_uri: str, parse: str, max_chars: int,
                 budget: str | None = None):
        self.spec, self.fields, self.parse, self.max_chars, self.budget = spec, fields, parse, max_chars, budget
        self.gen = GenerateStep(teacher_cfg, cache_uri)
        self.fs, self.root = fsutil.filesystem(store_uri)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return pa.Table.from_pylist([self.part(_unit(u)) for u in batch.column("unit").to_pylist()], schema=SUMMARY)

    def part(self, unit) -> dict:
        rows, cats, bad, where = [], {}, 0, []
        for rec in read_unit(unit):
            prompt, err = prompt_of(rec, self.fields)
            if err is not None or prompt is None:
                bad += 1
                continue
            sid = record_id(rec, self.fields)
            cats[sid] = str(rec.data[self.fields.category]) if self.fields.category and rec.data.get(self.fields.category) is not None else None
            mine = self.spec.rows(sid, rec.index, prompt, unit.chunk)
            rows += mine
            where += [(sid, rec.index)] * len(mine)
        stopped = generate_budgeted(self.gen, rows, self.budget) or transient_stop(rows)
        if stopped:
            return _stopped(unit.chunk, rows, stopped)
        out = []
        for r, seed in zip(rows, where):
            cond = json.loads(r["source"])["condition"]
            cond = f"{self.spec.kind}: {cond}" if cond else None
            if r["status"] != ACCEPTED:
                out.append(_cand(unit.chunk, seed, r["sample_index"], 0, None, cond, None, r.get("cost") or 0.0,
                                 f"teacher error: {r['reject_reason']}"))
                continue
            prompts, problems = parse_prompts(r["completion"], self.parse, self.max_chars)
            for pos, text in enumerate(prompts):
                out.append(_cand(unit.chunk, seed, r["sample_index"], pos, text, cond, cats[r["prompt_id"]],
                                 (r.get("cost") or 0.0) / max(1, len(prompts))))
            for q, problem in enumerate(problems):
                out.append(_cand(unit.chunk, seed, r["sample_index"], 1000 + q, None, cond, None, 0.0, problem))
        path = fsutil.join(self.root, "synth", "prompts", f"prompts-{unit.chunk:06d}.parquet")
        fsutil.write_parquet_atomic(self.fs, path, pa.Table.from_pylist(out, schema=CAND))
        return _summary(unit.chunk, len(out), sum(1 for c in out if c["status"] == ACCEPTED), rows, {"bad_seeds": bad})


def _reject(c: dict, step: str, reason: str) -> None:
    if c["status"] == ACCEPTED:
        c["status"], c["reject_step"], c["reject_reason"] = REJECTED, step, reason


class ScoreUDF:
    """Stage 3 on an actor of the recipe's teacher: dedup decisions, decontamination, self-consistency."""

    def __init__(self, store_uri: str, dedup_dirs: list, decontam: dict | None, sc: dict | None, expander: Expander,
                 teacher_cfgs: dict, cache_uri: str | None, fallback: str | None, budget: str | None = None):
        self.fs, self.root, self.budget = *fsutil.filesystem(store_uri), budget
        self.dedup_dirs, self.sc, self.expander = dedup_dirs, sc, expander
        self.decontam = Decontaminate(build_dedup_config("decontam", decontam)) if decontam else None
        self._near = None
        self.gen = GenerateStep(teacher_cfgs, cache_uri, fallback) if sc else None

    def __call__(self, batch: pa.Table) -> pa.Table:
        return pa.Table.from_pylist([self.part(p) for p in batch.column("part").to_pylist()], schema=SUMMARY)

    def part(self, part: int) -> dict:
        cands = fsutil.read_parquet(self.fs, fsutil.join(self.root, "synth", "prompts", f"prompts-{part:06d}.parquet")).to_pylist()
        drops = part_drops(self.dedup_dirs, {part})  # this part's dedup drops, with their reasons
        for c in cands:
            for step, dec in drops.get(c["id"], []):
                _reject(c, step, dec)
        if self.decontam is not None:
            self._decontaminate([c for c in cands if c["status"] == ACCEPTED])
        rows, stopped = self._self_consistency([c for c in cands if c["status"] == ACCEPTED]) if self.sc else ([], None)
        if stopped:
            return _stopped(part, rows, stopped)
        fsutil.write_parquet_atomic(self.fs, fsutil.join(self.root, "synth", "scored", f"part-{part:06d}.parquet"),
                                    pa.Table.from_pylist(cands, schema=CAND))
        return _summary(part, len(cands), sum(1 for c in cands if c["status"] == ACCEPTED), rows, {})

    def _decontaminate(self, live: list[dict]) -> None:
        """The matcher (n-grams, exact copies of items of any length, rewrites where configured) on the live prompts,
        then near copies (:mod:`curation.dedup.near_copy`): a benchmark item with a word or two changed keeps no
        13-gram, and a new prompt costs nothing to drop."""
        rows = [new_sample(stage="synth", prompt_id=c["id"], sample_index=0, messages=[{"role": "user", "content": c["prompt"]}])
                for c in live]
        for c, r in zip(live, self.decontam(rows)):
            if r["status"] == REJECTED:
                _reject(c, "decontam", r["reject_reason"])
        if self._near is None:  # the benchmarks the matcher loaded, indexed once per actor
            self.decontam._load()
            self._near = NearCopyIndex([{"id": it.item_id, "text": it.prompt, "label": b.name}
                                        for b in self.decontam.benchmarks for it in b.items])
        for c in live:
            why = self._near.match(c["prompt"]) if c["status"] == ACCEPTED else None
            if why:
                _reject(c, "decontam", why)

    def _self_consistency(self, live: list[dict]) -> tuple[list[dict], str | None]:
        """m samples per prompt, the majority answer and its agreement; (the sample rows, why the budget stopped it)."""
        fm = self.expander.fields
        by_cand = {}
        for c in live:
            data = {fm.prompt: c["prompt"], **({fm.category: c["category"]} if fm.category and c["category"] is not None else {})}
            by_cand[c["id"]] = [r for r in self.expander.expand(SourceRecord(0, data)) if r["status"] == ACCEPTED]
        rows = [r for rs in by_cand.values() for r in rs]
        stopped = generate_budgeted(self.gen, rows, self.budget) or transient_stop(rows)
        if stopped:
            return rows, stopped
        extract = extractor(self.sc["extractor"])
        for c in live:
            rs = by_cand[c["id"]]
            answer, agreement, votes = majority([r["completion"] for r in rs], extract)
            c["agreement"], c["reference"] = round(agreement, 4), answer
            c["cost"] = (c["cost"] or 0.0) + sum(r.get("cost") or 0.0 for r in rs)
            if answer is None:
                _reject(c, "self_consistency", f"low self-consistency: no answer in {len(rs)} samples")
            elif agreement < self.sc["min_agreement"]:
                _reject(c, "self_consistency", f"low self-consistency: {votes}/{len(rs)} samples agree on {answer!r} "
                                               f"({agreement:.2f} < {self.sc['min_agreement']})")
        return rows, None


def finalize_part(batch: pa.Table, store_uri: str, quota: dict, prov: dict, fields: dict) -> pa.Table:
    """Stage 4 (light): the part's first ``quota`` kept prompts (by id) -> ``synth/final/synth-N.jsonl``; every
    dropped one (over ``count`` included) -> ``synth/rejects/part-N.parquet``."""
    fs, root = fsutil.filesystem(store_uri)
    out = []
    for part in batch.column("part").to_pylist():
        cands = sorted(fsutil.read_parquet(fs, fsutil.join(root, "synth", "scored", f"part-{part:06d}.parquet")).to_pylist(),
                       key=lambda c: c["id"])
        kept = [c for c in cands if c["status"] == ACCEPTED]
        for c in kept[quota.get(part, len(kept)):]:
            _reject(c, "count", "over count: synthesize.count new prompts are already kept")
        kept = [c for c in cands if c["status"] == ACCEPTED]
        lines = [json.dumps(_record(c, prov, fields), ensure_ascii=False) for c in kept]
        fsutil.write_parquet_atomic(fs, fsutil.join(root, "synth", "rejects", f"part-{part:06d}.parquet"),
                                    pa.Table.from_pylist([c for c in cands if c["status"] != ACCEPTED], schema=CAND))
        fsutil.write_bytes_atomic(fs, fsutil.join(root, "synth", "final", f"synth-{part:06d}.jsonl"),
                                  ("\n".join(lines) + "\n" if lines else "").encode())
        info = {"rejects": dict(Counter(c["reject_step"] for c in cands if c["status"] != ACCEPTED)),
                "agreement": [c["agreement"] for c in kept if c["agreement"] is not None],
                "cost": sum(c["cost"] or 0.0 for c in cands)}
        out.append({"part": part, "n": len(cands), "kept": len(kept), "teacher_calls": 0, "cache_hits": 0, "info": json.dumps(info)})
    return pa.Table.from_pylist(out, schema=SUMMARY)


def _record(c: dict, prov: dict, fields: dict) -> dict:
    """A kept prompt as a source record in the recipe's field names, with its provenance under ``_synth``."""
    rec = {fields["prompt"]: c["prompt"], fields["reference"]: c["reference"]}
    if fields.get("id"):
        rec[fields["id"]] = c["id"]
    if fields.get("category") and c["category"] is not None:
        rec[fields["category"]] = c["category"]
    rec[SYNTH_KEY] = json.dumps({**prov, "seed_id": c["seed_id"], "synth_condition": c["condition"], "agreement": c["agreement"],
                                 "reference_source": "self_consistency" if c["reference"] is not None else None})
    return rec


def copy_unit(batch: pa.Table, store_uri: str) -> pa.Table:
    """The recipe's own source records of a unit -> ``synth/final/source-N.jsonl`` (jsonl lines copied as they are,
    bad ones included, so generation rejects them with the same reasons)."""
    fs, root = fsutil.filesystem(store_uri)
    for u in batch.column("unit").to_pylist():
        unit, lines = _unit(u), []
        for seg in unit.segments:
            if seg.fmt == "jsonl":
                got = 0
                with open(seg.file, "rb") as fh:
                    fh.seek(seg.start)
                    while got < seg.count and (raw := fh.readline()):
                        if raw.strip():
                            lines.append(raw.rstrip(b"\r\n"))
                            got += 1
            else:
                tmp = type(unit)(unit.chunk, unit.index, [seg])
                lines += [json.dumps(r.data, ensure_ascii=False, default=str).encode() for r in read_unit(tmp)]
        fsutil.write_bytes_atomic(fs, fsutil.join(root, "synth", "final", f"source-{unit.chunk:06d}.jsonl"), b"\n".join(lines) + b"\n")
    return pa.table({"n": [batch.num_rows]})
