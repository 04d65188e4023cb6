"""A fallback teacher's rpm/tpm are the provider's whole limit, shared by every actor that may call it.

The fallback is built inside every generation actor of every pool (a routed teacher's actor answers its failed rows
with it), but its limits were split over its own replicas only: with the default teacher on 2 actors and a routed
one on 3, five actors each sent at half the fallback's limit (2.5x the provider's rpm)."""

from __future__ import annotations

from factory.executor import generation_cfgs
from factory.recipe import load_recipe

RECIPE = """name: routed
source: {{path: src.jsonl, fields: {{prompt: q, category: kind}}}}
prompt: {{template: "{{prompt}}"}}
teacher:
  name: general
  engine: openai_compat
  model: general-model
  replicas: 2
  options: {{base_url: "http://127.0.0.1:9/v1", rpm: 120, tpm: 50000}}
teachers:
  - name: coder
    engine: openai_compat
    model: code-model
    replicas: 3
    options: {{base_url: "http://127.0.0.1:9/v1", rpm: 90}}
route: {{field: kind, map: {{code: coder}}}}
{fallback}
"""


def _cfgs(tmp_path, fallback: str):
    (tmp_path / "src.jsonl").write_text('{"q": "sort a list", "kind": "code"}\n')
    (tmp_path / "r.yaml").write_text(RECIPE.format(fallback=fallback))
    return generation_cfgs(load_recipe(str(tmp_path / "r.yaml")))


def test_the_fallbacks_limits_are_split_over_every_generation_actor(tmp_path):
    cfgs, used = _cfgs(tmp_path, "fallback: general")
    assert used == ["general", "coder"]
    # 2 + 3 actors may call "general" (its own pool, and the coder pool falling back to it)
    assert cfgs["general"]["options"]["rpm"] == 120 / 5 and cfgs["general"]["options"]["tpm"] == 50000 / 5
    assert cfgs["coder"]["options"]["rpm"] == 90 / 3  # not a fallback: its own 3 actors share it


def test_without_a_fallback_each_teacher_splits_over_its_own_actors(tmp_path):
    cfgs, _ = _cfgs(tmp_path, "")
    assert cfgs["general"]["options"]["rpm"] == 120 / 2 and cfgs["coder"]["options"]["rpm"] == 90 / 3
