"""The same record twice in one batch is asked once: the copy shares the answer as a cache hit, not a second call.

Without a ``source.fields.id`` two identical records get the same prompt id and request keys, so the teacher was
sent the same request twice in one batch and both were paid (a later batch would have been served from the
request cache). Real HTTP on 127.0.0.1 (FaultInjectingServer, a fake that only counts and answers) and real
request-cache files."""

from __future__ import annotations

import json

from factory.recipe import load_recipe
from teachers.cache import RequestCache
from teachers.expand import build_rows
from teachers.step import GenerateStep, teacher_cfg
from tests.faults.fault_server import FaultInjectingServer

def _recipe(tmp_path, url: str):
    """Three records, the first and last the same, no id field; n = 2; token prices so that costs are not zero."""
    import yaml

    teacher = {"name": "api", "engine": "openai_compat", "model": "m", "n": 2, "sampling": {"max_tokens": 64},
               "prices": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}, "options": {"base_url": url, "max_retries": 0}}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"name": "repeated", "source": {"path": "src.jsonl", "fields": {"prompt": "q"}},
                                                     "prompt": {"template": "{prompt}"}, "teacher": teacher}))
    return load_recipe(str(tmp_path / "r.yaml"))


def test_a_record_repeated_in_a_batch_is_asked_once_and_its_copy_is_a_cache_hit(tmp_path):
    (tmp_path / "src.jsonl").write_text("".join(json.dumps({"q": q}) + "\n" for q in ("What is 2 + 2?", "Name a colour.", "What is 2 + 2?")))
    with FaultInjectingServer() as srv:
        recipe = _recipe(tmp_path, srv.base_url)
        step = GenerateStep({n: teacher_cfg(t) for n, t in recipe.all_teachers().items()}, cache_uri=str(tmp_path / "cache"))
        rows = step(build_rows(recipe))
        requests = srv.stats()["requests"]
    assert len(rows) == 6
    assert requests == 4  # 2 distinct records x n=2; was 6
    by_key: dict[str, list[dict]] = {}
    for r in rows:
        by_key.setdefault(r["request_key"], []).append(r)
    assert sorted(len(v) for v in by_key.values()) == [1, 1, 2, 2]
    for group in by_key.values():
        assert [r["cache_hit"] for r in group] == [False] + [True] * (len(group) - 1)
        assert all(r["completion"] and r["completion"] == group[0]["completion"] for r in group)
        assert all(r["cost"] == group[0]["cost"] > 0 for r in group)  # a cache hit keeps its answer's price
        assert all(r["gen_seconds"] == 0.0 for r in group[1:])
    assert len(RequestCache(str(tmp_path / "cache")).get_many(list(by_key))) == 4


def test_the_run_budget_counts_a_repeated_request_once(tmp_path, ray_local):
    """The budget granted and charged one call (and its price) per row: a repeated record's copy, which the
    generate step no longer sends, used up the cap and was charged twice."""
    import ray

    from factory.budget import budget_state, start_budget, stop_budget
    from factory.executor import GenerateUDF
    from factory.recipe import BudgetConfig
    from ground.record import to_table

    (tmp_path / "src.jsonl").write_text("".join(json.dumps({"q": q}) + "\n" for q in ("What is 2 + 2?", "What is 2 + 2?", "Name a colour.")))
    with FaultInjectingServer() as srv:
        recipe = _recipe(tmp_path, srv.base_url)
        name = start_budget(ray, BudgetConfig(calls=3), "repeated-test")
        try:
            udf = GenerateUDF({n: teacher_cfg(t) for n, t in recipe.all_teachers().items()}, "api", None, None, name)
            out = udf(to_table(build_rows(recipe))).to_pylist()
            state = budget_state(ray, name)
        finally:
            stop_budget(ray, name)
        requests = srv.stats()["requests"]
    # 3 distinct requests (2 + 2 + 2 rows, the first two records the same): the cap of 3 grants the repeated
    # record's both samples (2 calls, 4 rows) and one sample of the other record
    assert requests == 3 and state["calls"] == 3
    done = [r for r in out if r["completion"] is not None]
    assert len(done) == 5 and sum(r["cache_hit"] for r in done) == 2
    assert [r["reject_stage"] for r in out if r["completion"] is None] == ["budget"]
    assert abs(state["usd"] - sum(r["cost"] for r in done if not r["cache_hit"])) < 1e-12
