"""A cached answer that ended with a finish reason the recipe now retries (``retry_on_finish_reasons``) is a miss.

The option is not part of the request key (adding it must not throw away every good cached answer), so before
this the re-run served the truncated answers it was written to get rid of: a user who saw "length" answers,
added ``retry_on_finish_reasons: [length]`` and re-ran got the same truncated rows back, paying nothing and fixing
nothing. Real HTTP on 127.0.0.1 (FaultInjectingServer: the first attempt of every request is cut short with
finish_reason "length", later ones answer in full), real request-cache files, and the cache join's own map and
join functions on real Parquet (Ray runs the same functions as tasks)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from factory.cache_join import join_parts, left_keys, right_entries
from factory.executor import _unit_json
from factory.recipe import load_recipe
from ground.source import plan_units
from teachers.cache import RequestCache
from teachers.expand import Expander, build_rows
from teachers.step import GenerateStep, teacher_cfg
from tests.faults.fault_server import FaultInjectingServer

RECIPE = """name: refused
source: {{path: src.jsonl, fields: {{prompt: q}}}}
prompt: {{template: "{{prompt}}"}}
teacher:
  name: api
  engine: openai_compat
  model: m
  n: 2
  sampling: {{max_tokens: 512}}
  options: {{base_url: "{url}", max_retries: 2, backoff_base_s: 0.01{extra}}}
"""


def _recipe(tmp_path, url: str, extra: str = ""):
    (tmp_path / "r.yaml").write_text(RECIPE.format(url=url, extra=extra))
    return load_recipe(str(tmp_path / "r.yaml"))


def _generate(recipe, cache: str) -> list[dict]:
    step = GenerateStep({n: teacher_cfg(t) for n, t in recipe.all_teachers().items()}, cache_uri=cache)
    return step(build_rows(recipe))


def _join(tmp_path, recipe, cache: str, tag: str) -> dict[str, dict]:
    """The cache join (left map, right map, partition join) for ``recipe``'s rows -> key: served result."""
    exp = Expander.from_recipe(recipe)
    units = [_unit_json(u) for u in plan_units(recipe.source, recipe.base_dir, recipe.output.shard_size)]
    tmp, hits = tmp_path / tag / "join", tmp_path / tag / "hits"
    left_keys(pa.table({"units": [json.dumps(units)]}), exp, 2, str(tmp / "left"))
    files = sorted(str(p) for p in (tmp_path / "cache").glob("*.parquet"))
    right_entries(pa.table({"files": [files]}), 2, cache, str(tmp / "right"))
    for p in range(2):
        join_parts(pa.table({"part": [p]}), str(tmp), str(hits))
    out = {}
    for f in hits.rglob("*.parquet"):
        t = pq.read_table(f)
        out.update((k, json.loads(v)) for k, v in zip(t.column("key").to_pylist(), t.column("result").to_pylist()))
    return out


def test_a_cached_answer_the_recipe_now_retries_is_asked_again_and_its_fixed_copy_served(tmp_path):
    (tmp_path / "src.jsonl").write_text('{"q": "tell me a long story about the sea"}\n{"q": "and another about hills"}\n')
    cache = str(tmp_path / "cache")
    with FaultInjectingServer(plan=("length",)) as srv:
        plain = _recipe(tmp_path, srv.base_url)
        first = _generate(plain, cache)
        assert [r["finish_reason"] for r in first] == ["length"] * 4  # cut short, and cached as answers
        assert srv.stats()["requests"] == 4

        strict = _recipe(tmp_path, srv.base_url, ", retry_on_finish_reasons: [length]")
        assert Expander.from_recipe(strict).teachers["api"].refuse == ("length", "abort")
        keys = [r["request_key"] for r in build_rows(strict)]
        assert keys == [r["request_key"] for r in first]  # the option does not change the key: good entries stay
        # the plain recipe is still served its cached answers; the strict one is not served the truncated ones
        assert {v["finish_reason"] for v in _join(tmp_path, plain, cache, "a").values()} == {"length"}
        assert _join(tmp_path, strict, cache, "b") == {}
        assert RequestCache(cache).get_many(keys, ("length",)) == {}

        second = _generate(strict, cache)  # the teacher is asked again: the 2nd attempt of each key answers in full
        assert [r["finish_reason"] for r in second] == ["stop"] * 4
        assert srv.stats()["requests"] == 8

        # the cache now holds both copies of each key; the strict recipe is served the full one, nobody is asked
        served = _join(tmp_path, strict, cache, "c")
        assert sorted(served) == sorted(keys) and {v["finish_reason"] for v in served.values()} == {"stop"}
        got = RequestCache(cache).get_many(keys, ("length",))
        assert {k: v["text"] for k, v in got.items()} == {r["request_key"]: r["completion"] for r in second}
        assert srv.stats()["requests"] == 8
