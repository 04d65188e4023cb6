"""``factory schema``: the recipe JSON Schema assembled from the registries validates every shipped recipe,
refuses what validation refuses, and every field of every registered config has help text."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from factory.schema import recipe_model
from ground.config import undescribed_fields
from tests.conftest import ROOT, run_cli

RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    p = run_cli("schema", timeout=120)
    assert p.returncode == 0, p.stderr
    schema = json.loads(p.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_schema_accepts_every_shipped_recipe(validator, path):
    assert [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))] == []


@pytest.mark.parametrize("edit,where", [
    (lambda r: r["teacher"].update(engine="tgi"), ["teacher"]),
    (lambda r: r.setdefault("filters", {}).update(length={"max_tokens": 5}), ["filters", "length"]),
    (lambda r: r.setdefault("filters", {}).update(lenght={"max_completion": 5}), ["filters"]),
    (lambda r: r["verifiers"].append({"name": "math_answr"}), ["verifiers", 1]),
    (lambda r: r["train"].update(method="ppo"), ["train", "method"]),
    (lambda r: r["train"].update(kd={"alpha": 2}), ["train", "kd", "alpha"]),
])
def test_schema_refuses_what_validation_refuses(validator, edit, where):
    r = yaml.safe_load((ROOT / "recipes" / "gsm8k_demo.yaml").read_text())
    r.setdefault("train", {"student": "smollm2-135m-instruct"})
    assert list(validator.iter_errors(r)) == []
    edit(r)
    best = jsonschema.exceptions.best_match(validator.iter_errors(r))
    assert best is not None and list(best.absolute_path)[:len(where)] == where


def test_every_registered_config_field_has_a_description():
    assert undescribed_fields(recipe_model()) == []


def test_schema_lists_every_registered_plugin(validator):
    defs = validator.schema["$defs"]
    assert list(defs["FiltersConfig"]["properties"]) == ["keep_pass_rate", "pii", "length", "language", "format"]  # + the prompt-level filter
    assert set(defs["DedupConfig"]["properties"]) == {"exact", "minhash", "embedding", "decontam"}
    engines = {b["$ref"].split("/")[-1] for b in validator.schema["properties"]["teacher"]["oneOf"]}
    assert engines == {"HFLocalTeacherConfig", "ToolAgentTeacherConfig", "OpenAICompatTeacherConfig", "VLLMTeacherConfig"}
    assert defs["TrainConfig"]["properties"]["method"]["enum"] == ["sft", "dpo", "kd", "onpolicy"]
    # editors complete `compare:` (YAML reads a bare `on:` as true)
    assert "compare" in defs["LanguageConfig"]["properties"] and "on" not in defs["LanguageConfig"]["properties"]


def test_defaults_from_a_default_factory_are_in_the_schema():
    """`factory schema` shows what a recipe gets when it leaves a section out (synthesize.sampling, dedup options)."""
    from factory.schema import json_schema

    props = json_schema()["$defs"]["SynthesizeConfig"]["properties"]
    assert props["sampling"]["default"] == {"temperature": 0.9, "max_tokens": 160}
    assert props["dedup"]["default"]["minhash"] == {"ngram": 3, "threshold": 0.7}
