"""manifest.json / stats.json: a documented, versioned schema (factory/run_schema.py, docs/outputs.md).

A real run's files are validated against it in tests/integration/test_golden.py."""

from __future__ import annotations

import json

import pytest

from factory.run_schema import SCHEMA_VERSION, check, check_run, check_version, json_schemas, markdown
from ground.errors import FactoryError
from tests.conftest import ROOT

COUNTS = {"rows": 4, "accepted": 2, "rejected": 2, "tokens_in": 40, "tokens_out": 12, "teacher_seconds": 0.5, "cost": 0.01,
          "cost_per_accepted": 0.005, "cache_hits": 1, "cache_misses": 3}
COST = {"generate": {"by_teacher": {}, "total": 0.01}, "verify": {"math_answer": 0.0}, "gpu": {}, "total": 0.01, "per_accepted": 0.005}
STATS = {"schema_version": SCHEMA_VERSION, "summary": COUNTS, "cost": COST,
         "stages": {"source": {"in": 4, "out": 4, "dropped": {}}, "verify:math_answer": {"in": 4, "out": 2, "dropped": {"wrong answer": 2}}}}


def test_docs_are_generated_from_the_models():
    assert (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8") == markdown(), \
        "docs/outputs.md is stale: python -m factory.run_schema > docs/outputs.md"


def test_every_documented_key_has_a_description():
    text = markdown()
    for key in ("counts", "eval", "table", "accuracy", "per_category", "cost_per_accepted", "dropped", "schema_version"):
        assert f"| `{key}` |" in text
    assert "None |" not in text.replace("or None", "")  # every field has a description


def test_stats_validate_and_keep_unknown_keys():
    s = check("stats.json", {**STATS, "new_key_from_a_later_minor": 1})
    assert s.summary.accepted == 2 and s.stages["verify:math_answer"].dropped == {"wrong answer": 2}
    assert s.stages["source"].in_ == 4


def test_a_missing_key_names_file_and_path():
    bad = json.loads(json.dumps(STATS))
    del bad["summary"]["accepted"]
    with pytest.raises(FactoryError, match=r"^runs/x/stats.json: summary.accepted: Field required$"):
        check("stats.json", bad, where="runs/x/stats.json")


def test_a_newer_schema_is_refused_with_one_line():
    with pytest.raises(FactoryError, match=rf"manifest.json: schema_version {SCHEMA_VERSION + 1} is newer than this factory reads "
                                           rf"\({SCHEMA_VERSION}\); upgrade"):
        check_version({"schema_version": SCHEMA_VERSION + 1}, "r/manifest.json")
    assert check_version({}, "old/manifest.json") == {}  # runs written before versioning read as version 1


def test_report_refuses_a_run_from_a_newer_factory(tmp_path, capsys):
    from factory.report import main as report_main

    (tmp_path / "manifest.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "run_id": "x"}))
    (tmp_path / "stats.json").write_text(json.dumps(STATS))
    assert report_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {tmp_path}/manifest.json: schema_version {SCHEMA_VERSION + 1} is newer than this factory reads "
                   f"({SCHEMA_VERSION}); upgrade distill-factory")
    assert not (tmp_path / "report.html").exists()


def test_check_run_reads_a_directory(tmp_path):
    (tmp_path / "stats.json").write_text(json.dumps(STATS))
    assert check_run(str(tmp_path))["stats.json"].summary.rows == 4


def test_json_schema_names_both_files():
    js = json_schemas()
    assert set(js) == {"manifest.json", "stats.json"}
    assert "counts" in js["manifest.json"]["properties"] and "in" in js["stats.json"]["$defs"]["Stage"]["properties"]


def test_every_manifest_key_the_code_writes_is_documented():
    """docs/outputs.md listed neither curation_timings, previous_status, synthesis nor generation.cache_hits_prefilled /
    generation.stopped / counts.synthesized_*, all of which a real run's manifest.json holds."""
    import re

    from factory.run_schema import Counts, Eval, Generation, Manifest

    src = "".join((ROOT / "factory" / f).read_text(encoding="utf-8") for f in ("pipeline.py", "executor.py", "synthesize.py"))
    written = set(re.findall(r'manifest\["([a-z_]+)"\]\s*=', src))
    assert {"curation_timings", "previous_status", "synthesis"} <= written
    assert written - set(Manifest.model_fields) == set()
    executor = (ROOT / "factory" / "executor.py").read_text(encoding="utf-8")
    gen_keys = set(re.findall(r'info\["([a-z_]+)"\]', executor)) | set(re.findall(r'"([a-z_]+)": ', executor.split("info = {", 1)[1].split("}", 1)[0]))
    assert gen_keys - set(Generation.model_fields) == set()
    assert {"synthesized_accepted", "synthesized_rejected"} <= set(Counts.model_fields)
    evals = (ROOT / "students" / "eval.py").read_text(encoding="utf-8")
    eval_keys = set(re.findall(r'"([a-z_]+)": ', evals.split("info = {", 1)[1].split("}", 1)[0])) | set(re.findall(r'info\["([a-z_]+)"\] *=', evals))
    assert "drop_system_prompt" in eval_keys and eval_keys - set(Eval.model_fields) == set()
    for key in ("curation_timings", "previous_status", "synthesis", "cache_hits_prefilled", "synthesized_accepted", "drop_system_prompt"):
        assert f"| `{key}` |" in markdown()


def test_a_run_stopped_during_synthesis_validates(tmp_path):
    """The pipeline writes generation = {'stopped': ...} when the budget ends prompt synthesis: the schema required the
    generation counters, so check_run refused a manifest the factory itself wrote."""
    man = {"schema_version": SCHEMA_VERSION, "run_id": "r", "recipe_name": "s", "recipe_file": "s.yaml", "fingerprint": "f",
           "recipe": {}, "versions": {}, "git_commit": None, "status": "stopped", "started_at": "t", "licenses": {},
           "generation": {"stopped": "budget calls 9 reached"}, "synthesis": {"stopped": "budget calls 9 reached"}}
    (tmp_path / "manifest.json").write_text(json.dumps(man))
    m = check_run(str(tmp_path))["manifest.json"]
    assert m.generation.stopped == "budget calls 9 reached" and m.generation.chunks_total is None
