"""The curation stage: recipe ``filters`` and ``dedup`` sections -> an ordered list of steps.

    >>> from curation.plan import build_steps
    >>> rows = run_steps(build_steps(recipe), rows)

Order: filters (PII -> length -> language -> format) -> exact dedup -> MinHash LSH -> embedding
near-dup -> decontamination. Each step sees only rows still accepted, so a row dropped as an exact
duplicate is never embedded, and a row a cheap filter rejects never reaches dedup.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from ground.step import Step

log = logging.getLogger(__name__)

FILTERS = ("pii", "length", "language", "format")
#: (recipe section, key) in pipeline order (exact dedup is configured separately: it is on by default,
#: and runs between the filters and the other dedup steps)
CURATION_STEPS = [*(("filters", k) for k in FILTERS), ("dedup", "minhash"), ("dedup", "embedding"), ("dedup", "decontam")]
#: recipe key -> the step's name (its ``reject_stage`` and stats key)
STEP_NAMES = {"pii": "pii", "length": "length", "language": "language", "format": "format",
              "minhash": "minhash", "embedding": "embed_dedup", "decontam": "decontam"}


#: recipe key -> (module, config class, step class); imported on first use (heavy dependencies stay lazy)
STEP_CLASSES = {
    "pii": ("curation.filters.pii", "PIIConfig", "PIIFilter"),
    "length": ("curation.filters.length", "LengthConfig", "LengthFilter"),
    "language": ("curation.filters.language", "LanguageConfig", "LanguageFilter"),
    "format": ("curation.filters.format", "FormatConfig", "FormatFilter"),
    "minhash": ("curation.dedup.minhash", "MinHashConfig", "MinHashDedup"),
    "embedding": ("curation.dedup.embedding", "EmbeddingDedupConfig", "EmbeddingDedup"),
    "decontam": ("curation.dedup.decontam", "DecontamConfig", "Decontaminate"),
}


def _classes(section: str, key: str):
    if key not in STEP_CLASSES:
        raise KeyError(f"unknown curation step {section}.{key}")
    import importlib

    mod, cfg, step = STEP_CLASSES[key]
    m = importlib.import_module(mod)
    return getattr(m, cfg), getattr(m, step)


def build_config(section: str, key: str, options: dict[str, Any]):
    """Recipe options -> the step's config dataclass. Recipes say ``compare`` where the dataclasses say
    ``on``: YAML 1.1 reads a bare ``on:`` key as the boolean true."""
    cfg_cls, _ = _classes(section, key)
    if True in options:
        raise TypeError("a key parsed as true (YAML reads `on:` as a boolean): write `compare:` instead")
    opts = {("on" if k == "compare" else k): v for k, v in options.items()}
    known = {f.name for f in dataclasses.fields(cfg_cls)}
    unknown = sorted(set(opts) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {unknown}; known: {sorted('compare' if k == 'on' else k for k in known)}")
    return cfg_cls(**opts)


def recipe_relative(recipe, key: str, options: dict[str, Any]) -> dict[str, Any]:
    """Options with the file paths they name resolved against the recipe's directory, like ``source.path``:
    a custom decontamination benchmark (``{name, path, field}``) then works from any working directory.

    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(path=lambda p: "/repo/recipes/" + p)
    >>> recipe_relative(r, "decontam", {"benchmarks": ["gsm8k_test", {"name": "t", "path": "t.jsonl", "field": "q"}]})
    {'benchmarks': ['gsm8k_test', {'name': 't', 'path': '/repo/recipes/t.jsonl', 'field': 'q'}]}
    """
    if key != "decontam" or not isinstance(options.get("benchmarks"), list):
        return options
    benches = [{**b, "path": str(recipe.path(b["path"]))} if isinstance(b, dict) and b.get("path") else b
               for b in options["benchmarks"]]
    return {**options, "benchmarks": benches}


def build_steps(recipe) -> list[Step]:
    from curation.dedup.exact import ExactDedup, ExactDedupConfig

    def configured(section: str) -> list[Step]:
        return [_classes(s, k)[1](build_config(s, k, recipe_relative(recipe, k, getattr(getattr(recipe, s), k))))
                for s, k in CURATION_STEPS if s == section and getattr(getattr(recipe, s), k) is not None]

    steps = configured("filters")
    if recipe.dedup.exact.enabled:
        steps.append(ExactDedup(ExactDedupConfig(on=recipe.dedup.exact.compare)))
    steps += configured("dedup")
    return steps


def stage_names(recipe) -> list[str]:
    """Step names in order, without constructing the steps (for stats ordering)."""
    out = [STEP_NAMES[k] for k in FILTERS if getattr(recipe.filters, k) is not None]
    if recipe.dedup.exact.enabled:
        out.append("dedup_exact")
    out += [STEP_NAMES[k] for s, k in CURATION_STEPS if s == "dedup" and getattr(recipe.dedup, k) is not None]
    return out


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
