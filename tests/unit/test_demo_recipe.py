"""`make demo` runs recipes/demo.yaml: it validates, and its eval set is big enough and disjoint from its training prompts."""

import json
import re

from factory.recipe import load_recipe, recipe_errors
from tests.conftest import ROOT

DEMO = ROOT / "recipes/demo.yaml"


def _items(recipe, src) -> list[dict]:
    rows = [json.loads(x) for x in recipe.path(src.path).read_text().splitlines() if x.strip()]
    return rows[: src.limit] if src.limit else rows


def test_make_demo_runs_the_demo_recipe():
    target = re.search(r"^demo:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert target and target.group(1).split()[-1] == "recipes/demo.yaml"


def test_demo_recipe_validates_and_keeps_every_curation_stage():
    assert recipe_errors(str(DEMO)) == []
    r = load_recipe(str(DEMO))
    assert all(getattr(r.filters, k) is not None for k in ("pii", "length", "language"))
    assert r.dedup.exact.enabled and all(getattr(r.dedup, k) is not None for k in ("minhash", "embedding", "decontam"))
    assert r.eval.models == ["base", "student", "teacher"] and r.train.drop_system_prompt


def test_demo_eval_set_has_100_items_disjoint_from_train_and_protected_by_decontam():
    r = load_recipe(str(DEMO))
    held = _items(r, r.eval.source)
    train = _items(r, r.source)
    q = r.eval.source.fields.prompt
    assert len(held) >= 100 and len({h[q] for h in held}) == len(held)
    assert not {h[q] for h in held} & {t[r.source.fields.prompt] for t in train}
    # the same sum asked the other way round ("a + b" vs "b + a") counts as the same item
    pair = lambda s: tuple(sorted(re.findall(r"\d+", s)))  # noqa: E731
    assert not {pair(h[q]) for h in held} & {pair(t[r.source.fields.prompt]) for t in train}
    custom = [b for b in r.dedup.decontam.benchmarks if b.path]  # BenchmarkSpecs (curation/dedup/benchmarks.py)
    assert [r.path(b.path).resolve() for b in custom] == [r.path(r.eval.source.path).resolve()]
