"""The tool_agent engine on the real tiny model, then the tool_calls verifier on its traces (in process)."""

import json

import pytest

from teachers.expand import build_rows
from factory.recipe import load_recipe
from teachers.step import GenerateStep
from verifiers.step import VerifyStep
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_tool_agent_traces_are_verified(tiny_model_path):
    recipe = load_recipe(str(ROOT / "recipes/tool_traces.yaml"))
    rows = build_rows(recipe)[:3]
    cfg = dict(engine="tool_agent", name="t", model="smollm2-135m-instruct", sampling={"max_tokens": 32, "temperature": 0.0},
               options={"inner_engine": "hf_local", "tools": ["calculator", "unit_convert"], "max_turns": 2}, prices={})
    gen = GenerateStep(cfg, cache_uri=None)
    rows = gen(rows)
    for r in rows:
        assert r["status"] == "accepted", r["reject_reason"]
        trace = json.loads(r["completion"])
        assert isinstance(trace, list) and trace and trace[0]["role"] == "assistant"
        system = json.loads(r["messages"])[0]
        assert system["role"] == "system" and {t["function"]["name"] for t in system["tools"]} == {"calculator", "unit_convert"}
    rows = VerifyStep([{"name": "tool_calls", "min_score": 1.0}])(rows)
    for r in rows:
        v = json.loads(r["verdicts"])["tool_calls"]
        assert v["version"] == "1" and v["reason"]
        assert (r["status"] == "accepted") == (v["score"] == 1.0)
