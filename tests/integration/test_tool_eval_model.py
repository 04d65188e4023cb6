"""The tool-use eval with the real tiny model: held-out BFCL prompts rendered with their tool catalogue
through the student's template, greedy calls parsed and AST-checked, counted per category.

Run: pytest -q tests/integration/test_tool_eval_model.py      (3 prompts, seconds on an idle 2-core machine)
"""

import json

import pytest

from factory.recipe import load_recipe
from ground.conversation import prompt_of, split_tools
from students.eval import evaluate
from students.tool_eval import score_call
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_eval_scores_the_tiny_models_tool_calls_per_category(tiny_model_path):
    from transformers import AutoTokenizer

    recipe = load_recipe(str(ROOT / "recipes/tool_use_cpu.yaml"))
    recipe.eval.source.offset, recipe.eval.source.limit = 9, 3  # held-out order: multiple, parallel, simple (5 each)
    recipe.eval.sampling.max_tokens = 48
    res = evaluate(recipe, adapter_dir=None, models=["base"], regression=False)
    base, rows = res["table"]["base"], res["samples"]["base"]
    ast = base["tool_ast"]
    assert ast["n"] == 3 and {k: c["n"] for k, c in ast["per_category"].items()} == {"parallel": 1, "simple": 2}
    # the same checker as the recipe's function_call_ast verifier, row by row
    assert ast["correct"] == base["correct"] == sum(score_call(r)[0] for r in rows)
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tmpl = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    for r in rows:
        msgs, tools = split_tools(prompt_of(r))
        assert tools and r["category"] in ("parallel", "simple")
        # the model was sent the catalogue through the tool template (SmolLM2's own template drops tools=)
        sent = tok.apply_chat_template(msgs, tools=tools, chat_template=tmpl, tokenize=True, add_generation_prompt=True,
                                       return_dict=True)["input_ids"]
        assert r["tokens_in"] == len(sent) > len(tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True,
                                                                         return_dict=True)["input_ids"])
        if r["completion"].lstrip().startswith("[{"):  # tool_call blocks came back as a trace
            (turn,) = json.loads(r["completion"])
            assert turn["role"] == "assistant" and turn["tool_calls"]
        else:
            assert "<tool_call>" not in r["completion"]
