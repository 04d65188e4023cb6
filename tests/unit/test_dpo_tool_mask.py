"""DPO on tool-use pairs: TRL's own tokenisation and collator, with the tool results' tokens out of the loss
(students/dpo_mask.py). Real TRL DPOTrainer over the bundled tiny model; nothing is trained."""

import dataclasses
import json

import pytest

from tests.conftest import ROOT

SPEC = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
PROMPT = [{"role": "system", "content": "Use tools.", "tools": [SPEC]}, {"role": "user", "content": "6*7?"}]


def trace(expr: str, result: str) -> list[dict]:
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"expression": expr})}}
    return [{"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": f"RESULT-{result}"}, {"role": "assistant", "content": f"It is {result}."}]


@pytest.fixture(scope="module")
def trainer(tiny_model_path, tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from students.pairs_data import pair_records

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tok.chat_template = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    rows = [{"prompt": json.dumps(PROMPT), "chosen": json.dumps(trace("6*7", "42")), "rejected": json.dumps(trace("6*8", "48"))},
            {"prompt": json.dumps([{"role": "user", "content": "2+2?"}]), "chosen": json.dumps([{"role": "assistant", "content": "4"}]),
             "rejected": json.dumps([{"role": "assistant", "content": "5"}])}]
    args = DPOConfig(output_dir=str(tmp_path_factory.mktemp("dpo")), remove_unused_columns=False, report_to=[], max_length=512,
                     use_cpu=True, bf16=False)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    return tok, DPOTrainer(model=model, args=args, train_dataset=pair_records(rows, False), processing_class=tok)


def test_tool_results_leave_the_dpo_loss_and_the_assistants_tokens_stay(trainer):
    from students.dpo_mask import tool_mask_collator

    tok, tr = trainer
    c = tr.data_collator
    ours = tool_mask_collator(type(c), tok, **{f.name: getattr(c, f.name) for f in dataclasses.fields(c)})
    examples = [tr.train_dataset[0], tr.train_dataset[1]]
    plain, masked = c(examples), ours(examples)
    assert (plain["input_ids"] == masked["input_ids"]).all()
    n = len(examples)
    for row, result in ((0, "42"), (n, "48")):  # the chosen and the rejected side of the tool pair
        ids = masked["input_ids"][row]
        trained = tok.decode(ids[masked["completion_mask"][row] == 1])
        dropped = tok.decode(ids[(plain["completion_mask"][row] == 1) & (masked["completion_mask"][row] == 0)])
        assert "calculator" in trained and f"It is {result}." in trained  # the call and the final answer
        assert f"RESULT-{result}" not in trained and f"RESULT-{result}" in dropped  # the tool's output is not trained
    # a pair without tool messages keeps TRL's mask exactly
    for row in (1, n + 1):
        assert (plain["completion_mask"][row] == masked["completion_mask"][row]).all()
