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
