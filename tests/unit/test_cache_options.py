"""The request-cache key counts every resolved option that changes a teacher's answers (Teacher.cache_options):
hf_local's chat template text and few-shot turns, an API's tool_choice. Two runs that differ only in one of them
share no cache entry; identical runs share all; a recipe without such options keeps the key it always had."""

import json
from pathlib import Path

import pytest

from factory.recipe import load_recipe
from teachers.cache import options_key, request_key
from teachers.expand import build_rows
from teachers.step import GenerateStep, teacher_cfg
from teachers.synth import generate_cached

TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def recipe(tmp_path: Path, name: str, template: str | None, few_shot: list | None = None):
    d = tmp_path / name
    d.mkdir()
    (d / "src.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "q": f"What is {i} + {i}?"}) + "\n" for i in range(2)))
    (d / "t.txt").write_text("{prompt}")
    opts = {"threads": 1}
    if template is not None:
        (d / "chat.jinja").write_text(template)
        opts["chat_template"] = "chat.jinja"
    if few_shot is not None:
        (d / "shots.json").write_text(json.dumps(few_shot))
        opts["few_shot"] = "shots.json"
    (d / "r.yaml").write_text(json.dumps({
        "name": "keys", "source": {"path": "src.jsonl", "fields": {"prompt": "q", "id": "id"}}, "prompt": {"template": "t.txt"},
        "teacher": {"name": "tiny", "engine": "hf_local", "model": "smollm2-135m-instruct", "n": 1,
                    "sampling": {"max_tokens": 4}, "options": opts},
        "verifiers": [{"name": "math_answer"}], "output": {"dir": str(d / "runs")}}))
    return load_recipe(str(d / "r.yaml"))


def keys(r) -> list[str]:
    return [row["request_key"] for row in build_rows(r)]


def test_keys_change_with_the_chat_template_text_and_the_few_shot_turns(tmp_path):
    a, a2 = recipe(tmp_path, "a", TEMPLATE), recipe(tmp_path, "a2", TEMPLATE)  # the same template, another file
    b = recipe(tmp_path, "b", TEMPLATE.replace("<|im_start|>assistant", "<|im_start|>assistant\nAnswer:"))
    shots = recipe(tmp_path, "s", TEMPLATE, [{"role": "user", "content": "1 + 1?"}, {"role": "assistant", "content": "2"}])
    none = recipe(tmp_path, "n", None)
    assert keys(a) == keys(a2)
    assert len({*keys(a), *keys(b), *keys(shots), *keys(none)}) == 8  # 2 prompts x 4 distinct configurations
    # no answer-changing option: the key is the one recipes always had (their caches keep their entries)
    row = build_rows(none)[0]
    assert row["request_key"] == request_key("hf_local", "smollm2-135m-instruct", json.loads(row["messages"]),
                                             json.loads(row["params"]), 0)
    assert options_key("hf_local", teacher_cfg(a.teacher, a.base_dir)["options"]) == {"chat_template": TEMPLATE}


def test_api_options_that_change_answers_are_in_the_key():
    assert options_key("openai_compat", {"base_url": "http://x/v1", "concurrency": 4}) == {}  # transport only
    assert options_key("openai_compat", {"tool_choice": "required", "extra_body": {"top_k": 5}}) == {
        "tool_choice": "required", "extra_body": {"top_k": 5}}
    msgs = [{"role": "user", "content": "hi"}]
    k = [request_key("openai_compat", "m", msgs, {}, 0, options_key("openai_compat", {"tool_choice": c})) for c in ("auto", "required", None)]
    assert len(set(k)) == 3


@pytest.mark.timeout(300)
def test_runs_differing_only_in_chat_template_share_no_cache_hit(tmp_path, tiny_model_path):
    cache = str(tmp_path / "cache")
    a, same, b = (recipe(tmp_path, n, t) for n, t in (("a", TEMPLATE), ("same", TEMPLATE), ("b", TEMPLATE + " ")))

    def run(r):
        step = GenerateStep(teacher_cfg(r.teacher, r.base_dir), cache_uri=cache)
        try:
            return generate_cached(step, build_rows(r))
        finally:
            step.close()

    first = run(a)
    assert [row["cache_hit"] for row in first] == [False, False] and all(row["completion"] is not None for row in first)
    assert [row["cache_hit"] for row in run(same)] == [True, True]  # identical run: every call from the cache
    assert [row["cache_hit"] for row in run(b)] == [False, False]  # only the template differs: nothing shared
