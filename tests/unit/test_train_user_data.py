"""Training and export on users' rows as a run stores them: tool-use traces with reasoning, multi-turn prompts,
several teachers, rows a builder cannot train. Real tokenizer and TRL over the bundled tiny model, real Parquet
run dirs; nothing is trained."""

import dataclasses
import json

import pytest

from tests.conftest import ROOT

SPEC = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
PROMPT = [{"role": "system", "content": "Use tools.", "tools": [SPEC]}, {"role": "user", "content": "6*7?"}]


def trace(expr: str, result: str, thought: str | None = None) -> list[dict]:
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"expression": expr})}}
    first = {"role": "assistant", "content": None, "tool_calls": [call], **({"reasoning_content": thought} if thought else {})}
    return [first, {"role": "tool", "tool_call_id": "c1", "content": f"RESULT-{result}"}, {"role": "assistant", "content": f"It is {result}."}]


@pytest.fixture(scope="module")
def tool_tok(tiny_model_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tok.chat_template = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    return tok


def test_dpo_tool_pair_keeps_each_turns_reasoning_and_masks_the_tool_results(tool_tok, tiny_model_path, tmp_path):
    """A reasoning teacher's tool trace keeps each turn's reasoning as ``reasoning_content``. Was: DPO passed it to a
    template that does not render it, so the pair trained without the reasoning (a plain pair has it inline), and the
    tool-result mask, which renders it inline as SFT does, no longer matched TRL's tokens: the tool results stayed in
    the loss with a WARNING."""
    from transformers import AutoModelForCausalLM
    from trl import DPOConfig, DPOTrainer

    from students.dpo_mask import tool_mask_collator
    from students.pairs_data import pair_records

    rows = [{"prompt": json.dumps(PROMPT), "chosen": json.dumps(trace("6*7", "42", "THINK-GOOD")),
             "rejected": json.dumps(trace("6*8", "48", "THINK-BAD"))},
            {"prompt": json.dumps([{"role": "user", "content": "2+2?"}]),
             "chosen": json.dumps([{"role": "assistant", "content": "<think>\nadd\n</think>\n4"}]),
             "rejected": json.dumps([{"role": "assistant", "content": "5"}])}]
    ds = pair_records(rows, False, inline_reasoning=True)
    assert ds[1]["chosen"] == [{"role": "assistant", "content": "<think>\nadd\n</think>\n4"}]  # an inline span stays as it is
    args = DPOConfig(output_dir=str(tmp_path), remove_unused_columns=False, report_to=[], max_length=512, use_cpu=True, bf16=False)
    tr = DPOTrainer(model=AutoModelForCausalLM.from_pretrained(tiny_model_path), args=args, train_dataset=ds, processing_class=tool_tok)
    c = tr.data_collator
    ours = tool_mask_collator(type(c), tool_tok, **{f.name: getattr(c, f.name) for f in dataclasses.fields(c)})
    type(ours).warned = False
    examples = [tr.train_dataset[0], tr.train_dataset[1]]
    masked = ours(examples)
    assert not type(ours).warned
    for row, thought, result in ((0, "THINK-GOOD", "42"), (2, "THINK-BAD", "48")):
        ids = masked["input_ids"][row]
        trained = tool_tok.decode(ids[masked["completion_mask"][row] == 1])
        assert f"<think>\n{thought}\n</think>" in trained and "calculator" in trained and f"It is {result}." in trained
        assert f"RESULT-{result}" not in trained and f"RESULT-{result}" in tool_tok.decode(ids)


def _row(i: int, msgs: list[dict] | None, completion, teacher: str = "t1", **kw) -> dict:
    return {"id": f"r{i}", "prompt_id": kw.pop("prompt_id", f"p{i}"), "sample_index": kw.pop("sample_index", 0),
            "messages": json.dumps(msgs) if msgs is not None else None, "completion": completion, "status": kw.pop("status", "accepted"),
            "teacher": teacher, "model": f"model-of-{teacher}", "score": kw.pop("score", 1.0), **kw}


def test_sft_rows_without_a_prompt_or_completion_are_counted_and_said(ray_local, caplog):
    """An accepted row with a null completion or no prompt messages (a hand-edited or foreign Parquet row) cannot
    become an example. Was: dropped without a word (only when nothing at all was left did an error name them)."""
    from students.sft_data import sft_datasets
    from students.traindata import open_rows

    rows = [_row(0, [{"role": "user", "content": "2+2?"}], "4"), _row(1, [{"role": "user", "content": "3+3?"}], None),
            _row(2, None, "7"), _row(3, [{"role": "user", "content": "1+1?"}], "2")]
    cfg = {"student": "smollm2-135m-instruct", "max_seq_len": 64, "chat_template": None}
    with caplog.at_level("WARNING", logger="students.sft_data"):
        data, counts = sft_datasets(cfg, open_rows(rows), open_rows([]), lambda p: p, drop_system=False)
    assert counts == {"train_rows": 4, "val_rows": 0, "examples": 2}
    assert data["train"].count() == 2 and "val" not in data
    assert "SFT: 2 rows dropped: no prompt messages, or a null completion" in caplog.text
