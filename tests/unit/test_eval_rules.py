"""Eval prompt variants (context distillation), the capability-regression verdict and its recipe schema.

No model is loaded here: the end-to-end run is tests/integration/test_eval_regression.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory.recipe import load_recipe, recipe_errors
from students.eval import _eval_rows, _regression_rows, regression_block, regression_verdict
from students.eval_prompts import prompt_variants, system_prompt_used, with_system, without_system
from students.eval_table import summary_rows
from tests.conftest import ROOT

ARITH = ROOT / "recipes" / "distill_arith.yaml"


# ----------------------------------------------------------------------------- the verdict on fixed numbers

@pytest.mark.parametrize("base, student, max_drop, delta, regressed", [
    (0.50, 0.45, 0.05, -0.05, False),   # exactly max_drop below: allowed (0.5 - 0.05 is not exactly 0.45 in floats)
    (0.50, 0.44, 0.05, -0.06, True),
    (0.50, 0.60, 0.05, 0.10, False),    # an improvement
    (0.30, 0.30, 0.00, 0.00, False),
    (0.30, 0.2667, 0.00, -0.0333, True),  # max_drop 0: any drop regresses
    (0.90, 0.00, 1.00, -0.90, False),   # max_drop 1: never
    (0.70, 0.60, 0.10, -0.10, False),
    (0.70, 0.59, 0.10, -0.11, True),
])
def test_regression_verdict(base, student, max_drop, delta, regressed):
    v = regression_verdict(base, student, max_drop)
    assert v["delta"] == pytest.approx(delta, abs=1e-6)
    assert v["regressed"] is regressed


def _score(correct: int, n: int, cats: dict[str, tuple[int, int]]) -> dict:
    return {"n": n, "correct": correct, "accuracy": correct / n, "system_prompt": False,
            "per_category": {c: {"correct": a, "n": b} for c, (a, b) in cats.items()}}


def test_regression_block_from_scores():
    r = load_recipe(str(ARITH))
    base = _score(12, 30, {"arithmetic": (3, 10), "factual": (5, 10), "format": (4, 10)})
    student = _score(9, 30, {"arithmetic": (4, 10), "factual": (2, 10), "format": (3, 10)})
    b = regression_block(r, {"base": base, "student": student})
    assert (b["n"], b["max_drop"], b["verifiers"]) == (30, 0.05, ["math_answer"])
    assert b["source"] == "../data/regression_general/items.jsonl"
    assert b["delta"] == pytest.approx(-0.1) and b["regressed"] is True  # 0.3 < 0.4 - 0.05
    assert b["per_category_delta"] == pytest.approx({"arithmetic": 0.1, "factual": -0.3, "format": -0.1})
    r.eval.regression.max_drop = 0.1
    assert regression_block(r, {"base": base, "student": student})["regressed"] is False  # 0.3 == 0.4 - 0.1: allowed
    # no trained student: both numbers are reported as unknown, not as "no regression"
    none = regression_block(r, {"base": base})
    assert none["student"] is None and none["delta"] is None and none["regressed"] is None and "no trained student" in none["reason"]
    rows, header, notes = summary_rows({"table": {}, "regression": b})
    assert header[:2] == ["set", "model"] and [x[:2] for x in rows] == [["regression", "base"], ["regression", "student"]]
    assert rows[1][-1] == "-0.100" and "REGRESSED" in notes[0]


# ----------------------------------------------------------------------------- prompt variants

def test_context_distillation_variants_of_the_real_recipe():
    r = load_recipe(str(ARITH))
    assert r.train.drop_system_prompt
    system = (ROOT / "recipes/prompts/arith_system.txt").read_text().strip()
    rows = _eval_rows(r)
    assert len(rows) == 40 and system_prompt_used(rows) is True
    v = prompt_variants(r, rows)
    for label in ("base", "student"):
        msgs = [json.loads(x["messages"]) for x in v[label]]
        assert all(m == [{"role": "user", "content": json.loads(o["messages"])[-1]["content"]}] for m, o in zip(msgs, rows))
        assert system_prompt_used(v[label]) is False
        # a different prompt is a different request: the key follows the messages
        assert all(a["request_key"] != b["request_key"] for a, b in zip(v[label], rows))
    assert [json.loads(x["messages"])[0] for x in v["teacher"]] == [{"role": "system", "content": system}] * 40
    # without drop_system_prompt every column gets the prompt as the recipe builds it
    r.train.drop_system_prompt = False
    assert all(system_prompt_used(x) is True for x in prompt_variants(r, rows).values())


def test_onpolicy_teacher_system_replaces_the_recipe_system_prompt(tmp_path):
    r = load_recipe(str(ARITH))
    (tmp_path / "t.txt").write_text("Answer as 'a + b = c'.\n")
    r.train = r.train.model_copy(update={"method": "onpolicy",
                                         "onpolicy": r.train.onpolicy.model_copy(update={"teacher_system": str(tmp_path / "t.txt")})})
    v = prompt_variants(r, _eval_rows(r)[:3])
    assert [json.loads(x["messages"])[:-1] for x in v["teacher"]] == [[{"role": "system", "content": "Answer as 'a + b = c'."}]] * 3
    assert system_prompt_used(v["student"]) is False


def test_system_prompt_used_reports_mixed_and_with_system_is_idempotent():
    rows = [{"messages": json.dumps(m), "params": "{}", "engine": "hf_local", "model": "m", "sample_index": 0}
            for m in ([{"role": "user", "content": "a"}], [{"role": "system", "content": "s"}, {"role": "user", "content": "b"}])]
    assert system_prompt_used(rows) == "mixed" and system_prompt_used([]) is False
    twice = with_system(with_system(rows, "X"), "X")
    assert [json.loads(r["messages"]) for r in twice] == [[{"role": "system", "content": "X"}, {"role": "user", "content": c}] for c in "ab"]
    assert system_prompt_used(without_system(twice)) is False


def test_regression_rows_use_the_bare_prompt_and_no_system_prompt():
    r = load_recipe(str(ARITH))
    rows = _regression_rows(r)
    items = [json.loads(x) for x in (ROOT / "data/regression_general/items.jsonl").read_text().splitlines()]
    assert len(rows) == len(items) == 30
    assert [json.loads(x["messages"]) for x in rows] == [[{"role": "user", "content": i["question"]}] for i in items]
    assert [x["reference"] for x in rows] == [i["answer"] for i in items]
    assert {x["category"] for x in rows} == {"arithmetic", "factual", "format"}
    assert json.loads(rows[0]["params"])["max_tokens"] == 32  # eval.regression.sampling, not eval.sampling (12)


def test_shipped_regression_items_are_checkable_by_math_answer():
    from verifiers.math_answer import MathAnswer, to_number

    items = [json.loads(x) for x in (ROOT / "data/regression_general/items.jsonl").read_text().splitlines()]
    assert 20 <= len(items) <= 40 and len({i["id"] for i in items}) == len(items)
    v = MathAnswer()
    for i in items:
        assert to_number(i["answer"]) is not None
        assert v.verify({"completion": f"The answer is {i['answer']}.", "reference": i["answer"]}).score == 1.0


# ----------------------------------------------------------------------------- recipe schema

REG_OK = """  regression:
    source:
      path: {path}
      fields: {{prompt: question, reference: answer}}
    verifiers:
      - name: math_answer
    max_drop: 0.1
"""


def _recipe(tmp_path: Path, regression: str, train: bool = True) -> Path:
    text = ARITH.read_text()
    text = text.replace("../data/", str(ROOT / "data") + "/").replace("prompts/", str(ROOT / "recipes/prompts") + "/")
    head, _, _ = text.partition("\neval:\n")
    if not train:
        head = head.partition("\ntrain:\n")[0] + "\n"
    body = (head + "\neval:\n  source:\n    path: " + str(ROOT / "data/distill_arith/test.jsonl")
            + "\n    fields: {prompt: question, reference: answer}\n  models: [base, teacher]\n" + regression)
    f = tmp_path / "r.yaml"
    f.write_text(body)
    return f


def _line_of(f: Path, needle: str) -> int:
    """The last line containing ``needle`` (the regression section comes last in these recipes)."""
    return [i for i, line in enumerate(f.read_text().splitlines(), 1) if needle in line][-1]


def test_regression_recipe_fields_validate_strictly(tmp_path):
    items = ROOT / "data/regression_general/items.jsonl"
    f = _recipe(tmp_path, REG_OK.format(path=items))
    assert recipe_errors(str(f)) == []
    r = load_recipe(str(f))
    assert r.eval.regression.max_drop == 0.1 and r.eval.regression.sampling is None
    # default max_drop
    f = _recipe(tmp_path, REG_OK.format(path=items).replace("    max_drop: 0.1\n", ""))
    assert load_recipe(str(f)).eval.regression.max_drop == 0.05

    cases = [
        (REG_OK.format(path=items) + "    threshold: 0.2\n", "threshold: 0.2", "eval.regression.threshold", "unknown key"),
        (REG_OK.format(path=items).replace("      path:", "      paht: x\n      path:"), "paht: x",
         "eval.regression.source.paht", "unknown key"),
        (REG_OK.format(path=items).replace("max_drop: 0.1", "max_drop: 1.5"), "max_drop: 1.5", "eval.regression.max_drop",
         "less than or equal to 1"),
        (REG_OK.format(path=items).replace("      - name: math_answer\n", "      - name: regex_magic\n"), "regex_magic",
         "eval.regression.verifiers.0.name", "unknown verifier 'regex_magic'"),
        (REG_OK.format(path=items).replace("      - name: math_answer\n", "      - {name: math_answer, options: {bogus: 1}}\n"),
         "bogus", "eval.regression.verifiers.0.options.bogus", "unknown key; known: timeout_s, use_math_verify"),
        (REG_OK.format(path=tmp_path / "nope.jsonl"), "nope.jsonl", "eval.regression.source.path", "file not found"),
        (REG_OK.format(path=items) + "    template: missing.txt\n", "template: missing.txt", "eval.regression.template",
         "file not found"),
        ("  regression:\n    source: {path: " + str(items) + "}\n", "regression:", "eval.regression.verifiers",
         "required field is missing"),
        (REG_OK.format(path=items).replace("      - name: math_answer\n", "      - name: math_answer\n      - name: math_answer\n"),
         "verifiers:", "eval.regression.verifiers", "listed twice"),
    ]
    for reg, needle, field, msg in cases:
        f = _recipe(tmp_path, reg)
        errs = recipe_errors(str(f))
        assert len(errs) == 1, (field, [str(e) for e in errs])
        text = str(errs[0])
        assert text.startswith(f"{f}:{_line_of(f, needle)}: {field}: "), (text, field)
        assert msg in text, text

    f = _recipe(tmp_path, REG_OK.format(path=items), train=False)
    errs = [str(e) for e in recipe_errors(str(f))]
    assert errs == [f"{f}:{_line_of(f, 'regression:')}: eval.regression: compares the base model with the trained student, "
                    "but the recipe has no train section"]


def test_run_fingerprint_covers_the_regression_items(tmp_path):
    """Editing the regression set must not reuse the old run's eval results (same recipe text, new items)."""
    import shutil

    from factory.pipeline import fingerprint
    from factory.recipe import load_recipe

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "recipes").mkdir()
    shutil.copytree(root / "data", tmp_path / "data", ignore=shutil.ignore_patterns("gsm8k"))
    for f in (root / "recipes").iterdir():
        (shutil.copytree if f.is_dir() else shutil.copy)(f, tmp_path / "recipes" / f.name)
    recipe_file = str(tmp_path / "recipes/distill_arith.yaml")
    before = fingerprint(load_recipe(recipe_file))
    items = tmp_path / "data/regression_general/items.jsonl"
    items.write_text(items.read_text().replace('"answer": "', '"answer": "1', 1))
    assert fingerprint(load_recipe(recipe_file)) != before


def test_overlong_prompts_are_dropped_and_all_overlong_is_a_clear_error():
    from ground.errors import FactoryError
    from students.prompt_length import drop_overlong

    short = {"prompt": [{"role": "user", "content": "What is 2 + 3?"}], "completion": [{"role": "assistant", "content": "5"}]}
    long = {"prompt": [{"role": "user", "content": "word " * 200}], "completion": [{"role": "assistant", "content": "5"}]}
    cfg = {"student": "smollm2-135m-instruct", "max_seq_len": 96}
    assert drop_overlong(cfg, [short, long, short]) == [short, short]
    assert drop_overlong(cfg, [long], "validation", required=False) == []
    with pytest.raises(FactoryError, match=r"train\.max_seq_len: every SFT prompt is at least 96 tokens long \(longest 2\d\d\)"):
        drop_overlong(cfg, [long, long])


def test_eval_without_system_prompt_keeps_the_tool_catalogue():
    """Was: base/student columns under drop_system_prompt (and the teacher's with_system) lost the tool catalogue
    with the system message, so tool eval asked for calls of tools the prompt no longer offered."""
    from ground.conversation import split_tools
    from students.tool_eval import prompts_have_tools

    spec = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    rows = [{"messages": json.dumps([{"role": "system", "content": "S", "tools": [spec]}, {"role": "user", "content": "u"}]),
             "params": "{}", "engine": "hf_local", "model": "m", "sample_index": 0}]
    student, teacher = without_system(rows), with_system(rows, "T")
    assert prompts_have_tools(student) and prompts_have_tools(teacher) and system_prompt_used(student) is False
    assert split_tools(json.loads(student[0]["messages"])) == ([{"role": "user", "content": "u"}], [spec])
    assert split_tools(json.loads(teacher[0]["messages"])) == ([{"role": "system", "content": "T"}, {"role": "user", "content": "u"}], [spec])
