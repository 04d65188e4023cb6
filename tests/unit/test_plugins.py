"""Third-party plug-ins through entry points: a tiny distribution under tests/fixtures/plugin_dist (a
``.dist-info`` with ``entry_points.txt`` and its module, put on sys.path, never pip-installed) adds a filter,
a verifier, a teacher engine and a training method that recipes then use; a broken one
(tests/fixtures/plugin_broken) costs one line and only the recipes that name it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from curation.plan import build_steps, run_steps, stage_names
from factory.recipe import parse_recipe, recipe_errors
from factory.schema import json_schema
from ground.errors import RecipeError
from ground.record import new_sample
from tests.conftest import ROOT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLUGIN_DIST, PLUGIN_BROKEN = FIXTURES / "plugin_dist", FIXTURES / "plugin_broken"
FILES = FIXTURES / "bad_recipes" / "files"


def base(teacher: str = "engine: hf_local\n  model: smollm2-135m-instruct") -> str:
    """A valid recipe with absolute paths, so it can live anywhere (tmp_path)."""
    return (f"name: plug\nsource:\n  path: {FILES / 'train.jsonl'}\n  fields: {{prompt: question, reference: answer}}\n"
            f"prompt:\n  template: {FILES / 'prompt.txt'}\nteacher:\n  {teacher}\n")


@pytest.fixture
def plugins(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN_DIST))


def row(completion: str, reference: str | None = "7", i: int = 0) -> dict:
    return new_sample(stage="gen", prompt_id=f"p{i}", sample_index=0, completion=completion, reference=reference,
                      messages=[{"role": "user", "content": "3 + 4?"}])


def test_plugin_filter_and_verifier_validate_and_run_on_rows(plugins, tmp_path):
    from verifiers.step import VerifyStep

    text = base() + ("verifiers:\n  - name: exact_answer\n    options: {case_sensitive: true}\n"
                     "filters:\n  length: {max_completion: 50}\n  no_digits: {max_digits: 1}\n")
    r = parse_recipe(text, str(tmp_path / "r.yaml"))
    assert stage_names(r) == ["length", "no_digits", "dedup_exact"]
    rows = [row("so\n7", i=0), row("3 + 4 = 7\n7", i=1), row("seven", i=2), row("Seven", reference="seven", i=3)]
    rows = VerifyStep([v.model_dump() for v in r.verifiers])(rows)
    rows, _ = run_steps(build_steps(r), rows)
    assert [(x["status"], x["reject_stage"], x["reject_reason"]) for x in rows] == [
        ("accepted", None, None),
        ("rejected", "no_digits", "no_digits: 4 digits > 1"),
        ("rejected", "verify:exact_answer", "last line 'seven' != '7'"),
        ("rejected", "verify:exact_answer", "last line 'Seven' != 'seven'")]


def test_plugin_teacher_and_train_method(plugins, tmp_path):
    from students.train import train
    from teachers.registry import make_teacher
    from teachers.base import GenRequest, SamplingParams

    text = base("engine: canned\n  model: none\n  options: {reply: 'The answer is 7.'}") + (
        "train:\n  method: export_examples\n  student: smollm2-135m-instruct\n  export_examples: {split: both}\n")
    r = parse_recipe(text, str(tmp_path / "r.yaml"))
    t = r.teacher.model_dump()
    res = make_teacher(t["engine"], t["name"], t["model"], **t["options"]).generate(
        [GenRequest("k", [{"role": "user", "content": "3 + 4?"}], SamplingParams())])
    assert [(x.text, x.tokens_in, x.tokens_out) for x in res] == [("The answer is 7.", 3, 4)]
    rows = [row(f"answer {i}", i=i) for i in range(12)]
    info = train(r, rows, str(tmp_path / "train"))
    lines = Path(info["examples"]).read_text().splitlines()
    assert (info["status"], info["method"], info["exported"], len(lines)) == ("done", "export_examples", 12, 12)
    assert info["train_rows"] + info["val_rows"] == 12 and info["val_rows"] >= 1  # both splits exported
    assert json.loads(lines[0])["prompt"] == [{"role": "user", "content": "3 + 4?"}]


@pytest.mark.parametrize("extra,line,field,msg", [
    ("filters:\n  no_digits: {max_digits: -1}\n", 11, "filters.no_digits.max_digits", "Input should be greater than or equal to 0"),
    ("verifiers:\n  - {name: exact_answer, options: {case_sensitiv: true}}\n", 11, "verifiers.0.options.case_sensitiv", "unknown key; known: case_sensitive"),
    ("train:\n  method: export_examples\n  student: smollm2-135m-instruct\n  export_examples: {split: val}\n", 13,
     "train.export_examples.split", "Input should be 'train' or 'both'"),
    ("train:\n  method: export_examples\n  student: smollm2-135m-instruct\n  packing: true\n", 10, "train",
     "packing is supported for method: sft only (method is export_examples)"),
])
def test_plugin_option_errors_name_line_and_key_path(plugins, tmp_path, extra, line, field, msg):
    with pytest.raises(RecipeError) as e:
        parse_recipe(base() + extra, str(tmp_path / "r.yaml"))
    assert (e.value.line, e.value.field, e.value.message) == (line, field, msg)


def test_plugin_teacher_options_error_inside_a_union_is_one_line(plugins, tmp_path):
    """Two engines make ``teacher``/``teachers`` a discriminated union: the error names the key path (no
    union branch in it) on one line."""
    text = base() + "teachers:\n  - {name: c, engine: canned, model: none, options: {reply: [1]}}\n"
    f = tmp_path / "r.yaml"
    f.write_text(text)
    errs = recipe_errors(str(f))
    assert [str(e) for e in errs] == [f"{f}:11: teachers.0.options.reply: Input should be a valid string"]


def test_factory_validate_subprocess_finds_the_plugin_through_pythonpath(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(base() + "filters:\n  no_digits: {max_digits: 3}\n")
    bad.write_text(base() + "filters:\n  no_digits: {max_digit: 3}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIST), str(ROOT)])}
    p = subprocess.run([sys.executable, "-m", "factory", "validate", str(good), str(bad)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stdout.splitlines() == [f"{good}: ok"]
    assert p.stderr.splitlines() == [f"{bad}:11: filters.no_digits.max_digit: unknown key; known: max_digits"]


def test_without_the_distribution_the_name_is_unknown(tmp_path):
    with pytest.raises(RecipeError) as e:
        parse_recipe(base() + "filters:\n  no_digits: {max_digits: 3}\n", str(tmp_path / "r.yaml"))
    assert (e.value.line, e.value.field) == (11, "filters.no_digits")
    assert e.value.message == "unknown filter 'no_digits'; known: pii, length, language, format, keep_pass_rate"


def test_broken_plugin_is_one_line_and_other_recipes_still_work(monkeypatch, tmp_path, caplog):
    monkeypatch.syspath_prepend(str(PLUGIN_BROKEN))
    ok = tmp_path / "ok.yaml"
    ok.write_text(base() + "filters:\n  length: {max_completion: 5}\n")
    assert recipe_errors(str(ok)) == []
    assert [s.name for s in build_steps(parse_recipe(ok.read_text(), str(ok)))] == ["length", "dedup_exact"]
    with caplog.at_level(logging.WARNING, logger="ground.plugins"):
        schema = json_schema()
    assert "shouty" not in schema["$defs"]["FiltersConfig"]["properties"]
    (line,) = [r.getMessage() for r in caplog.records if "shouty" in r.getMessage()]
    expected = ("filter plug-in 'shouty' from package df-broken-plugin 0.1 (df_broken_plugin.shouty:Shouty) failed to "
                "load: ModuleNotFoundError: No module named 'nonexistent_dependency_xyz'")
    assert line == expected
    with pytest.raises(RecipeError) as e:
        parse_recipe(base() + "filters:\n  shouty: {}\n", str(tmp_path / "r.yaml"))
    assert (e.value.line, e.value.field, e.value.message) == (11, "filters.shouty", expected)


def test_plugin_steps_pickle_with_their_typed_options(plugins):
    """Plug-ins ship to Ray actors by pickle: the copy keeps its validated config and behaves the same."""
    import pickle

    from curation.plan import FILTERS
    from verifiers.registry import get_verifier

    f = pickle.loads(pickle.dumps(FILTERS.load("no_digits")({"max_digits": 2}, name="no_digits")))
    v = pickle.loads(pickle.dumps(get_verifier("exact_answer", case_sensitive=True)))
    assert (f.config.max_digits, v.options.case_sensitive) == (2, True)
    rows = f([row("1 2 3", i=0), row("1 2", i=1)])
    assert [r["reject_reason"] for r in rows] == ["no_digits: 3 digits > 2", None] and dict(f.counts) == {"3": 1}
    assert [x.score for x in v.verify_batch([row("7"), row("7", reference=None)])] == [1.0, None]
    assert dict(v.counts) == {"rows": 2, "unverifiable": 1}


def test_steps_a_recipe_leaves_off_are_null_attributes_without_loading(plugins, tmp_path):
    """Code reads ``recipe.dedup.decontam`` / ``recipe.filters.pii`` whether or not the recipe names them."""
    r = parse_recipe(base(), str(tmp_path / "r.yaml"))
    assert [getattr(r.filters, k) for k in ("pii", "length", "language", "format", "no_digits")] == [None] * 5
    assert [getattr(r.dedup, k) for k in ("minhash", "embedding", "decontam")] == [None] * 3
    assert stage_names(r) == ["dedup_exact"]
