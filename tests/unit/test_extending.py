"""docs/extending.md is true: each plug-in file it shows is the file of the test distribution
(tests/fixtures/plugin_dist), each test it shows runs and passes with that distribution on sys.path, and
adding the four plug-ins needed no change to the factory (their names appear nowhere in its packages)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOC = ROOT / "docs" / "extending.md"
PLUGIN_DIST = ROOT / "tests" / "fixtures" / "plugin_dist"
FILES = ROOT / "tests" / "fixtures" / "bad_recipes" / "files"
BLOCK = re.compile(r"<!-- (file: (?P<path>\S+)|test) -->\n```python\n(?P<code>.*?)```\n", re.S)
PACKAGES = ("ground", "teachers", "verifiers", "curation", "students", "factory")
PLUGIN_NAMES = ("no_digits", "exact_answer", "canned", "export_examples", "df_example_plugins")


def blocks(kind: str) -> list[tuple[str | None, str]]:
    out = [(m["path"], m["code"]) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]
    return [(p, c) for p, c in out if (p is None) == (kind == "test")]


def test_the_doc_shows_one_file_and_one_test_per_role():
    assert [Path(p).stem for p, _ in blocks("file")] == ["no_digits", "exact_answer", "canned", "export_examples"]
    assert len(blocks("test")) == 4


@pytest.mark.parametrize("path,code", blocks("file"), ids=[Path(p).stem for p, _ in blocks("file")])
def test_each_file_shown_is_the_distributed_file(path, code):
    assert code == (ROOT / path).read_text(encoding="utf-8")
    assert path.startswith("tests/fixtures/plugin_dist/")


@pytest.mark.parametrize("code", [c for _, c in blocks("test")], ids=["filter", "verifier", "teacher", "train_method"])
def test_each_test_shown_passes(code, monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(PLUGIN_DIST))
    base = (f"name: ext\nsource:\n  path: {FILES / 'train.jsonl'}\n  fields: {{prompt: question, reference: answer}}\n"
            f"prompt:\n  template: {FILES / 'prompt.txt'}\nteacher:\n  engine: hf_local\n  model: smollm2-135m-instruct\n")
    exec(compile(code, str(DOC), "exec"), {"BASE": base, "RECIPE_FILE": str(tmp_path / "r.yaml"), "TMP": tmp_path})


def test_adding_the_plugins_changed_nothing_in_the_factory():
    """No registry table, schema or check of the factory names the example plug-ins: entry points suffice."""
    hits = [f"{p.relative_to(ROOT)}: {n}" for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
            for n in PLUGIN_NAMES if re.search(rf"\b{n}\b", p.read_text(encoding="utf-8"))]
    assert hits == []
    eps = (PLUGIN_DIST / "df_example_plugins-0.1.dist-info" / "entry_points.txt").read_text()
    assert sorted(re.findall(r"^\[(distill_factory\.\w+)\]", eps, re.M)) == [
        "distill_factory.filters", "distill_factory.teachers", "distill_factory.train_methods", "distill_factory.verifiers"]
