"""Mixed teachers: rows routed by a source field; rows the routed teacher fails go to the fallback.

Real HTTP on 127.0.0.1: one teacher is a FaultInjectingServer that always answers 503 (a dead
provider), the other a healthy one. In process (no Ray): the step is the same one Ray runs.
"""

import json

import pytest

from teachers.step import teacher_cfg
from teachers.expand import build_rows
from factory.recipe import load_recipe
from teachers.step import GenerateStep
from tests.faults.fault_server import FaultInjectingServer

pytestmark = pytest.mark.integration

RECIPE = """name: routed
source: {{path: src.jsonl, fields: {{prompt: q, category: kind}}}}
prompt: {{template: t.txt}}
teacher:
  name: general
  engine: openai_compat
  model: general-model
  options: {{base_url: "{good}", max_retries: 0}}
teachers:
  - name: coder
    engine: openai_compat
    model: code-model
    n: 2
    options: {{base_url: "{dead}", max_retries: 1, backoff_base_s: 0.01}}
route: {{field: kind, map: {{code: coder}}}}
fallback: general
"""


def test_route_by_field_and_fall_back(tmp_path):
    with FaultInjectingServer(rate_503=1.0, retry_after_s=None) as dead, FaultInjectingServer() as good:
        (tmp_path / "src.jsonl").write_text('{"q": "sort a list", "kind": "code"}\n{"q": "hello", "kind": "chat"}\n')
        (tmp_path / "t.txt").write_text("{prompt}")
        (tmp_path / "r.yaml").write_text(RECIPE.format(good=good.base_url, dead=dead.base_url))
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        rows = build_rows(recipe)
        assert [(r["teacher"], r["sample_index"]) for r in rows] == [("coder", 0), ("coder", 1), ("general", 0)]
        step = GenerateStep({n: teacher_cfg(t) for n, t in recipe.all_teachers().items()}, cache_uri=str(tmp_path / "cache"),
                            fallback=recipe.fallback)
        rows = step(rows)
        assert all(r["status"] == "accepted" and r["completion"].startswith("echo:") for r in rows)
        # the code rows were tried on the dead provider (1 + 1 retry each), then answered by the fallback
        assert sum(dead.stats()["attempts_by_key"].values()) == 4
        assert [r["teacher"] for r in rows] == ["general"] * 3 and [r["model"] for r in rows] == ["general-model"] * 3
        # the fallback's answer is cached under the fallback's own key: a re-run asks nobody
        cached = step.cache.get_many([r["request_key"] for r in rows])
        assert len(cached) == 3 and json.loads(rows[0]["params"])["seed"] == 0


def test_fallback_retries_count_against_the_run_budget(tmp_path, ray_local):
    """The run budget counted the routed teacher's calls only: rows the fallback answered again were free."""
    import ray

    from factory.budget import budget_state, start_budget, stop_budget
    from factory.executor import GenerateUDF
    from factory.recipe import BudgetConfig
    from ground.record import to_table

    with FaultInjectingServer(rate_503=1.0, retry_after_s=None) as dead, FaultInjectingServer() as good:
        (tmp_path / "src.jsonl").write_text('{"q": "sort a list", "kind": "code"}\n{"q": "hello", "kind": "chat"}\n')
        (tmp_path / "t.txt").write_text("{prompt}")
        (tmp_path / "r.yaml").write_text(RECIPE.format(good=good.base_url, dead=dead.base_url))
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        name = start_budget(ray, BudgetConfig(calls=100), "routing-test")
        try:
            udf = GenerateUDF({n: teacher_cfg(t) for n, t in recipe.all_teachers().items()}, "coder", None, recipe.fallback, name)
            out = udf(to_table(build_rows(recipe))).to_pylist()
            # the two code rows were answered by the fallback; the chat row is another actor's and passes untouched
            assert [(r["teacher"], r["completion"] is not None) for r in out] == [("general", True)] * 2 + [("general", False)]
            assert budget_state(ray, name)["calls"] == 4  # 2 granted to the routed teacher + 2 answered again by the fallback
        finally:
            stop_budget(ray, name)
