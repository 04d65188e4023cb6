"""The curation stage: recipe ``filters`` and ``dedup`` sections -> an ordered list of steps.

    >>> from curation.plan import build_steps
    >>> rows = run_steps(build_steps(recipe), rows)

Order: filters (PII -> length -> language -> format, then third-party filters by name) -> exact
dedup -> MinHash LSH -> embedding near-dup -> decontamination -> third-party dedup steps. Each step
sees only rows still accepted, so a row dropped as an exact duplicate is never embedded, and a row a
cheap filter rejects never reaches dedup. Filters and dedup steps come from registries
(:data:`FILTERS`, :data:`DEDUP`; third parties add entry points ``distill_factory.filters`` /
``distill_factory.dedup``), so adding one touches no table here.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from ground.plugins import Registry
from ground.step import Step

log = logging.getLogger(__name__)

#: recipe ``filters.<name>`` -> RowFilter class (curation/filters/base.py); built-ins run in this order
FILTERS = Registry("filters", {
    "pii": "curation.filters.pii:PIIFilter",
    "length": "curation.filters.length:LengthFilter",
    "language": "curation.filters.language:LanguageFilter",
    "format": "curation.filters.format:FormatFilter",
})
#: recipe ``dedup.<name>`` -> dedup Step class (exact dedup is the ``dedup.exact`` switch, not a plug-in)
DEDUP = Registry("dedup", {
    "minhash": "curation.dedup.minhash:MinHashDedup",
    "embedding": "curation.dedup.embedding:EmbeddingDedup",
    "decontam": "curation.dedup.decontam:Decontaminate",
})
def build_dedup_config(key: str, options: Any):
    """Recipe options (a dict, or the section the recipe schema already validated) -> the step's ``Config``."""
    cfg_cls = DEDUP.load(key).Config
    return options if isinstance(options, cfg_cls) else cfg_cls.model_validate(options)


def _configured(section: Any) -> list[tuple[str, Any]]:
    """(key, options) of the steps a recipe section turns on, in the section's (registry) order."""
    if section is None:
        return []
    return [(k, getattr(section, k)) for k in type(section).model_fields
            if k not in ("exact", "keep_pass_rate") and getattr(section, k) is not None]


def has_filters(recipe) -> bool:
    return bool(_configured(recipe.filters))


def build_filters(recipe) -> list[Step]:
    """The recipe's row filters, in order (they judge one row at a time: they stream)."""
    return [FILTERS.load(k)(opts, name=k) for k, opts in _configured(recipe.filters)]


def build_dedup_steps(recipe) -> list[Step]:
    """The recipe's ``dedup.<name>`` steps (exact dedup aside), in order."""
    out = []
    for k, opts in _configured(recipe.dedup):
        cls = DEDUP.load(k)
        opts = recipe_relative(recipe, k, opts)
        out.append(cls(build_dedup_config(k, opts)) if k in DEDUP.builtin else cls(build_dedup_config(k, opts), name=k))
    return out


def recipe_relative(recipe, key: str, options: Any) -> Any:
    """Options (a dict or the step's Config) with the file paths they name resolved against the recipe's
    directory, like ``source.path``: a custom decontamination benchmark (``{name, path, field}``) then
    works from any working directory.

    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(path=lambda p: "/repo/recipes/" + p)
    >>> recipe_relative(r, "decontam", {"benchmarks": ["gsm8k_test", {"name": "t", "path": "t.jsonl", "field": "q"}]})
    {'benchmarks': ['gsm8k_test', {'name': 't', 'path': '/repo/recipes/t.jsonl', 'field': 'q'}]}
    """
    if key != "decontam":
        return options
    if not isinstance(options, dict):  # a validated DecontamConfig: its benchmarks are BenchmarkSpecs
        benches = [dataclasses.replace(b, path=str(recipe.path(b.path))) if b.path and "://" not in b.path else b for b in options.benchmarks]
        return options.model_copy(update={"benchmarks": benches})
    if not isinstance(options.get("benchmarks"), list):
        return options
    # an object-store URI (s3://, gs://) is left as it is (was joined to the recipe's folder: "recipes/s3:/bucket/...")
    benches = [{**b, "path": str(recipe.path(b["path"]))} if isinstance(b, dict) and isinstance(b.get("path"), str) and "://" not in b["path"] else b
               for b in options["benchmarks"]]
    return {**options, "benchmarks": benches}


def build_steps(recipe) -> list[Step]:
    """Every curation step in order, for in-process use on a list of rows (tests, small corpora)."""
    from curation.dedup.exact import ExactDedup

    steps = build_filters(recipe)
    if recipe.dedup.exact.enabled:
        steps.append(ExactDedup(recipe.dedup.exact))
    return steps + build_dedup_steps(recipe)


def stage_names(recipe) -> list[str]:
    """Step names in order, without constructing the steps (for stats ordering)."""
    out = [k for k, _ in _configured(recipe.filters)]
    if getattr(recipe.filters, "keep_pass_rate", None) is not None:
        out.append("pass_rate")  # curation.pass_rate: prompt-level, applied by the curation passes before dedup
    if recipe.dedup.exact.enabled:
        out.append("dedup_exact")
    return out + [{"embedding": "embed_dedup"}.get(k, k) for k, _ in _configured(recipe.dedup)]


def run_steps(steps: list[Step], rows: list[dict]) -> tuple[list[dict], dict[str, float]]:
    timings = {}
    for k, st in enumerate(steps, 1):
        t0 = time.time()
        live = sum(1 for r in rows if r["status"] == "accepted")
        log.info("curation %d/%d: %s on %d accepted rows", k, len(steps), st.name, live)
        rows = st(rows)
        timings[st.name] = round(time.time() - t0, 3)
        log.info("%s: %d in, %d out (%.1fs)", st.name, live, sum(1 for r in rows if r["status"] == "accepted"), timings[st.name])
        st.close()
    return rows, timings
