import json
from pathlib import Path

import pytest

from ground.errors import RecipeError
from factory.recipe import load_recipe, recipe_errors
from tests.conftest import ROOT, run_cli

RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_every_shipped_recipe_validates(path):
    assert recipe_errors(str(path)) == []


def test_demo_recipe_resolves_paths_relative_to_the_recipe():
    r = load_recipe(str(ROOT / "recipes/gsm8k_demo.yaml"))
    assert r.path(r.source.path).resolve() == (ROOT / "data/gsm8k_sample/train.jsonl").resolve()
    assert r.teacher.n == 4 and r.verifiers[0].name == "math_answer"


def _write(tmp_path: Path, text: str) -> str:
    (tmp_path / "p.txt").write_text("{prompt}")
    (tmp_path / "s.jsonl").write_text('{"question": "1+1?", "answer": "2"}\n')
    f = tmp_path / "r.yaml"
    f.write_text(text)
    return str(f)


GOOD = """name: t
source: {path: s.jsonl, fields: {prompt: question, reference: answer}}
prompt: {template: p.txt}
teacher: {engine: hf_local, model: smollm2-135m-instruct}
"""


def test_good_minimal_recipe(tmp_path):
    assert recipe_errors(_write(tmp_path, GOOD)) == []


@pytest.mark.parametrize("text,line,field,msg", [
    (GOOD + "bogus: 1\n", 5, "bogus", "unknown key"),
    (GOOD.replace("model: smollm2-135m-instruct}", "model: smollm2-135m-instruct, n: -3}"), 4, "teacher.n", "greater than 0"),
    (GOOD.replace("engine: hf_local", "engine: nope"), 4, "teacher.engine", "unknown engine 'nope'"),
    (GOOD.replace("smollm2-135m-instruct", "no-such-model"), 4, "teacher.model", "unknown model 'no-such-model'"),
    (GOOD.replace("s.jsonl", "missing.jsonl"), 2, "source.path", "file not found"),
    (GOOD + "verifiers:\n  - name: nope\n", 6, "verifiers.0.name", "unknown verifier 'nope'"),
    (GOOD + "verifiers:\n  - name: math_answer\n    options: {wat: 1}\n", 7, "verifiers.0.options.wat", "unknown key; known: timeout_s"),
    ("name: [unclosed\n", 2, "yaml", "syntax error"),
])
def test_bad_recipes_name_file_line_and_field(tmp_path, text, line, field, msg):
    f = _write(tmp_path, text)
    errs = recipe_errors(f)
    assert errs, "expected an error"
    e = errs[0]
    assert isinstance(e, RecipeError)
    if field != "yaml" or msg:
        assert (e.line, e.field) == (line, field), str(e)
    assert msg in e.message
    assert str(e).startswith(f"{f}:")


def test_validate_cli_exit_codes(tmp_path):
    good = _write(tmp_path, GOOD)
    p = run_cli("validate", good)
    assert p.returncode == 0 and "ok" in p.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD + "extra_section: {}\n")
    p = run_cli("validate", str(bad))
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"{bad}:5: extra_section: unknown key; known: name, source, prompt, teacher, "
                                             f"teachers, route, fallback, verifiers, accept_unverifiable, filters, dedup, "
                                             f"output, budget, execution, train, eval, synthesize, loop"]


def test_run_with_bad_recipe_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("s.jsonl", "missing.jsonl"))
    (tmp_path / "p.txt").write_text("{prompt}")
    p = run_cli("run", str(bad), "--output-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert p.returncode == 2
    assert "source.path: file not found" in p.stderr
    assert not (tmp_path / "runs").exists()


def test_empty_source_is_a_clear_error_and_writes_nothing(tmp_path):
    f = _write(tmp_path, GOOD)
    (tmp_path / "s.jsonl").write_text("")
    p = run_cli("run", f, "--output-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert p.returncode == 2
    assert "has no rows" in p.stderr
    assert not (tmp_path / "runs").exists()


def test_a_source_glob_is_checked_against_files_through_folder_links(tmp_path):
    """Was: a glob that matched only folders passed validation (the run then found no rows), and a folder link to a
    parent beside another link made `factory validate` run glob without end."""
    (tmp_path / "data" / "v2").mkdir(parents=True)
    (tmp_path / "t.txt").write_text("{prompt}")
    (tmp_path / "r.yaml").write_text('name: v\nsource: {path: "data/*"}\nprompt: {template: t.txt}\n'
                                     "teacher: {name: t, engine: hf_local, model: smollm2-135m-instruct}\n")
    assert [(e.field, e.message) for e in recipe_errors(str(tmp_path / "r.yaml"))] == [
        ("source.path", f"glob matches no files: {tmp_path / 'data' / '*'}")]
    (tmp_path / "data" / "v2" / "a.jsonl").write_text('{"question": "q"}\n')
    (tmp_path / "data" / "current").symlink_to("v2")
    (tmp_path / "data" / "v2" / "up").symlink_to("..")
    (tmp_path / "r.yaml").write_text((tmp_path / "r.yaml").read_text().replace("data/*", "data/**/*.jsonl"))
    assert recipe_errors(str(tmp_path / "r.yaml")) == []


def test_inline_template_and_system_prompt_render_like_files(tmp_path):
    """distilabel / NeMo-Skills users write prompts in the YAML: a template with a {placeholder} or a line break,
    a system prompt of words with spaces. They render exactly as the same text in files would, and the run id
    changes with the text."""
    from factory.pipeline import fingerprint
    from ground.source import read_records
    from teachers.expand import Expander

    inline = GOOD.replace("prompt: {template: p.txt}", 'prompt:\n  template: "Q: {question}\\nA:"\n  system: You are a careful tutor.')
    (tmp_path / "t.txt").write_text("Q: {question}\nA:")
    (tmp_path / "sys.txt").write_text("You are a careful tutor.")
    files = GOOD.replace("prompt: {template: p.txt}", "prompt: {template: t.txt, system: sys.txt}")
    got = []
    for text in (inline, files):
        r = load_recipe(_write(tmp_path, text))
        assert recipe_errors(str(tmp_path / "r.yaml")) == []
        (rec,) = read_records(r.source, r.base_dir)
        row = Expander.from_recipe(r).expand(rec)[0]
        got.append((json.loads(row["messages"]), row["template_hash"]))
    assert got[0] == got[1] == ([{"role": "system", "content": "You are a careful tutor."},
                                 {"role": "user", "content": "Q: 1+1?\nA:"}], got[1][1])
    a = fingerprint(load_recipe(_write(tmp_path, inline)))
    b = fingerprint(load_recipe(_write(tmp_path, inline.replace("careful", "patient"))))
    assert a != b


@pytest.mark.parametrize("value, kind, want", [
    ("prompts/arith.txt", "template", False), ("Q: {question}", "template", True), ("a\nb", "template", True),
    ("Answer briefly.", "template", False),  # no placeholder: a file name (a template without one asks nothing)
    ("You are a careful tutor.", "system", True), ("prompts/my system.txt", "system", False),
    ("system prompt.md", "system", False), ("sys.txt", "system", False), ("", "system", False),
])
def test_what_counts_as_inline_prompt_text(value, kind, want):
    from ground.source import inline

    assert inline(value, kind) is want


def test_later_keys_at_their_default_keep_the_run_id(tmp_path):
    """A re-run after an upgrade resumes the same run: keys added later, at their defaults, change no fingerprint."""
    from factory.pipeline import fingerprint

    a = fingerprint(load_recipe(_write(tmp_path, GOOD)))
    explicit = GOOD.replace("fields: {prompt: question, reference: answer}}", "fields: {prompt: question, reference: answer}, on_bad_record: reject}")
    assert fingerprint(load_recipe(_write(tmp_path, explicit))) == a
    strict = explicit.replace("on_bad_record: reject", "on_bad_record: fail")
    assert fingerprint(load_recipe(_write(tmp_path, strict))) != a
