"""The run id (the recipe fingerprint) changes with every input file's content: a crashed run resumed after its
source changed must start a new run, never skip chunks made of the old records (chunk N is records N*size..)."""

from tests.conftest import ROOT

RECIPE = """name: fp
source:
  path: {data}
  fields: {{prompt: question, reference: answer}}
prompt:
  template: {tmpl}
teacher:
  name: t
  engine: openai_compat
  model: m
  options: {{base_url: "http://127.0.0.1:9/v1"}}
accept_unverifiable: true
output:
  dir: {out}
"""


def _fp(tmp_path, data: str) -> str:
    from factory.pipeline import fingerprint
    from factory.recipe import load_recipe

    f = tmp_path / "r.yaml"
    f.write_text(RECIPE.format(data=data, tmpl=ROOT / "recipes/prompts/gsm8k.txt", out=tmp_path / "out"))
    return fingerprint(load_recipe(str(f)))


def test_a_glob_source_is_fingerprinted_by_the_files_it_matches(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    line = '{{"question": "q{}", "answer": "1"}}\n'
    (d / "a.jsonl").write_text(line.format(1))
    (d / "b.jsonl").write_text(line.format(2))
    fps = [_fp(tmp_path, str(d / "*.jsonl"))]
    (d / "b.jsonl").write_text(line.format(3))  # a record edited
    fps.append(_fp(tmp_path, str(d / "*.jsonl")))
    (d / "c.jsonl").write_text(line.format(4))  # a file added
    fps.append(_fp(tmp_path, str(d / "*.jsonl")))
    assert len(set(fps)) == 3, fps
    assert _fp(tmp_path, str(d / "*.jsonl")) == fps[-1]  # and stays put while nothing changes


def test_a_file_a_verifier_or_teacher_reads_is_part_of_the_run_id(tmp_path):
    """A constitution (or a judge's rubric, few-shot turns, a chat template) edited between a crash and the
    re-run: the rows verified under the old text must not be resumed into the new run."""
    from factory.pipeline import fingerprint
    from factory.recipe import load_recipe

    default = (ROOT / "recipes/constitutions/default.md").read_text()
    (tmp_path / "c.md").write_text(default)
    text = (ROOT / "recipes/constitutional.yaml").read_text().replace("recipes/constitutions/default.md", str(tmp_path / "c.md"))
    text = text.replace("../data/", f"{ROOT}/data/").replace("prompts/plain.txt", f"{ROOT}/recipes/prompts/plain.txt")
    (tmp_path / "r.yaml").write_text(text)
    a = fingerprint(load_recipe(str(tmp_path / "r.yaml")))
    (tmp_path / "c.md").write_text(default.replace("1. [", "1. [x", 1))  # one principle's id edited
    b = fingerprint(load_recipe(str(tmp_path / "r.yaml")))
    assert a != b
    assert fingerprint(load_recipe(str(tmp_path / "r.yaml"))) == b
