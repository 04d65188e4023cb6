"""source.fields.id must name each record once: a repeated id is bad input, found before anything is written."""

import json
from pathlib import Path

import pytest

from factory.recipe import load_recipe
from factory.source_ids import check_records, check_unique_ids
from ground.errors import FactoryError
from ground.source import plan_units, read_unit
from teachers.expand import Expander
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _recipe(tmp_path, rows, shard_size=2):
    src = tmp_path / "train.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    f = tmp_path / "r.yaml"
    f.write_text(f"""name: ids
source: {{path: train.jsonl, fields: {{prompt: question, reference: answer, id: id}}}}
prompt: {{template: {ROOT / 'recipes' / 'prompts' / 'arith.txt'}}}
teacher: {{name: tiny, engine: hf_local, model: smollm2-135m-instruct, sampling: {{max_tokens: 4}}}}
output: {{dir: {tmp_path / 'runs'}, shard_size: {shard_size}}}
""")
    return f


ROWS = [{"id": "a", "question": "What is 1 + 1?", "answer": "2"}, {"id": "b", "question": "What is 2 + 2?", "answer": "4"},
        {"id": 7, "question": "What is 3 + 3?", "answer": "6"}, {"id": "b", "question": "What is 4 + 4?", "answer": "8"},
        {"question": "no id: its content hash", "answer": "0"}, {"id": "7", "question": "What is 5 + 5?", "answer": "10"}]


def test_a_repeated_id_is_one_error_naming_both_records_and_nothing_is_written(tmp_path):
    f = _recipe(tmp_path, ROWS)
    r = run_cli("run", str(f), timeout=300)
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.strip().splitlines()[-1] == (
        "error: source.fields.id: 2 ids repeat, e.g. 'b' at train.jsonl:2 and train.jsonl:4; ids must be unique: point "
        "fields.id at a unique column, or leave it out (then a record's id is the hash of its content)")
    assert not (tmp_path / "runs" / "ids").exists()  # no run directory, no half-written output


def test_unique_ids_and_missing_ids_pass(tmp_path):
    rows = [r for r in ROWS if r.get("id") not in ("b", "7")] + [{"id": "b", "question": "q", "answer": "1"}]
    rec = load_recipe(str(_recipe(tmp_path, rows)))
    check_unique_ids(rec, plan_units(rec.source, rec.base_dir, 2))  # no error


def test_the_ray_path_for_big_sources_finds_the_same_repeat(tmp_path, ray_local):
    rec = load_recipe(str(_recipe(tmp_path, ROWS)))
    units = plan_units(rec.source, rec.base_dir, 2)
    with pytest.raises(FactoryError) as e:
        check_unique_ids(rec, units, ray=ray_local)  # as a source over IN_DRIVER_MAX records is checked
    msg = str(e.value)
    assert msg.startswith("source.fields.id: 2 ids repeat, e.g. ")
    assert ("'b' at train.jsonl:2 and train.jsonl:4" in msg) or ("'b' at train.jsonl:4 and train.jsonl:2" in msg) \
        or ("'7' at train.jsonl:3 and train.jsonl:6" in msg) or ("'7' at train.jsonl:6 and train.jsonl:3" in msg)


def _strict(tmp_path, lines: list[str], mode: str):
    f = _recipe(tmp_path, [])
    (tmp_path / "train.jsonl").write_text("".join(line + "\n" for line in lines))
    f.write_text(f.read_text().replace("fields: {prompt: question, reference: answer, id: id}}",
                                       f"fields: {{prompt: question, reference: answer}}, on_bad_record: {mode}}}"))
    return f


BAD = [json.dumps({"question": "What is 1 + 1?", "answer": "2"}), "{not json", json.dumps({"answer": "3"}),
       json.dumps({"question": "", "answer": "4"}), json.dumps({"question": "What is 2 + 2?", "answer": "4"})]


def test_on_bad_record_fail_checks_the_whole_source_first_and_writes_nothing(tmp_path):
    r = run_cli("run", str(_strict(tmp_path, BAD, "fail")), timeout=300)
    assert r.returncode == 2, r.stderr[-2000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: source: 3 bad records, e.g. bad JSON: ") and last.endswith(
        "[train.jsonl:2]; fix the source, or set source.on_bad_record: reject to keep them as rejected rows and run the rest")
    assert not (tmp_path / "runs" / "ids").exists()


def test_on_bad_record_reject_the_default_keeps_them_as_rows(tmp_path):
    rec = load_recipe(str(_strict(tmp_path, BAD, "reject")))
    units = plan_units(rec.source, rec.base_dir, 2)
    check_records(rec, units)  # reject: nothing is checked up front
    reasons = [Expander.from_recipe(rec).problem(r) for u in units for r in read_unit(u)]
    assert [x if x is None else x.split(":")[0] for x in reasons] == [None, "bad JSON", "missing field 'question' [train.jsonl", "empty prompt in field 'question' [train.jsonl", None]
