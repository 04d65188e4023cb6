"""recipes/tool_use_cpu.yaml end to end on CPU: the tiny teacher sees BFCL tools through the tool template,
AST-verified call traces only, SFT through the same template, the eval's `tool AST` column for base, student
and teacher, and a chat export that ``datasets`` reads back with the tool calls intact. With the 135M teacher the verified
yield can be zero (bench/RESULTS.md, 0 of 72 on 2026-12-02); the export of a tool recipe with accepted traces through
a local teacher is also covered end to end by tests/integration/test_tool_recipe.py.

Run: pytest -q -m slow tests/integration/test_tool_use_recipe.py      (the whole recipe: ~6 min on an idle 2-core machine)
Fast tests of the same parts: tests/unit/test_tool_eval.py, tests/integration/test_tool_eval_model.py.
"""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from factory.pipeline import run_recipe
from students.tool_eval import score_call
from tests.conftest import ROOT
from tests.unit.test_export_traces import chat_export_matches

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_tool_use_recipe_verified_traces_eval_column_and_chat_export(tmp_path, ray_local):
    run = Path(run_recipe(str(ROOT / "recipes/tool_use_cpu.yaml"), output_dir=str(tmp_path / "runs")).run_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    rows = [r for f in sorted((run / "accepted").glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]
    rejects = [r for f in sorted((run / "rejects").glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]
    assert len(rows) == manifest["counts"]["accepted"] and len(rows) + len(rejects) == 36 * 2
    assert all(r["reject_stage"].startswith(("verify", "dedup", "decontam")) and r["reject_reason"] for r in rejects)
    held = {json.loads(x)["question"] for x in (ROOT / "data/bfcl_tools/heldout.jsonl").read_text().splitlines()}
    for r in rows:
        (turn,) = json.loads(r["completion"])  # one assistant turn with OpenAI tool_calls, every call verified
        assert turn["role"] == "assistant" and turn["tool_calls"] and score_call(r)[0]
        assert json.loads(r["messages"])[-1]["content"] not in held
    table = manifest["eval"]["table"]
    if rows:  # the tiny teacher may verify nothing (bench/RESULTS.md): then there is no student to score
        assert manifest["train"]["status"] == "done" and sorted(table) == ["base", "student", "teacher"]
    else:
        assert manifest["train"] == {"status": "skipped", "reason": "no accepted rows to train on"}
        assert sorted(table) == ["base", "teacher"]
    for col in table.values():
        assert col["tool_ast"]["n"] == 15 and col["tool_ast"]["correct"] == col["correct"]
        assert {k: c["n"] for k, c in col["tool_ast"]["per_category"].items()} == {"multiple": 5, "parallel": 5, "simple": 5}
    for ex in chat_export_matches(str(run), str(tmp_path / "chat"), rows):
        tools = json.loads(ex["tools"])
        assert [m["role"] for m in ex["messages"]] == ["system", "user", "assistant"]
        calls = ex["messages"][-1]["tool_calls"]
        assert calls and all(c["function"]["name"] in {t["function"]["name"] for t in tools} for c in calls)
