"""A tool-use recipe end to end on CPU: ``factory serve`` (the tiny model, real HTTP on 127.0.0.1) is the
teacher inside the tool loop (text protocol), real tools, the run store, SFT of the tiny student on the
traces through the vendored tool template, then a chat export that ``datasets`` reads back intact.

Run: pytest -q tests/integration/test_tool_recipe.py      (~4 min on 2 cores)
"""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from factory.pipeline import run_recipe
from tests.conftest import ROOT
from tests.integration.test_serve import Server
from tests.unit.test_export_traces import chat_export_matches

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RECIPE = """name: tool_e2e
source:
  path: {data}
  fields: {{messages: messages, reference: reference, id: id}}
  limit: 3
teacher:
  name: served
  engine: tool_agent
  model: smollm2-135m-instruct
  sampling: {{max_tokens: 24, temperature: 0.0}}
  batch_size: 3
  options:
    inner_engine: openai_compat
    inner_options: {{base_url: "{base}/v1", max_retries: 1, prices: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}}}
    protocol: text
    tools: [calculator, unit_convert]
    max_turns: 2
output:
  dir: {out}
  shard_size: 8
train:
  method: sft
  student: smollm2-135m-instruct
  chat_template: {tmpl}
  max_steps: 2
  batch_size: 2
  max_seq_len: 1024
  cpus_per_worker: 1
"""


def test_tool_recipe_serve_teacher_sft_and_chat_export(tmp_path, ray_local, tiny_model_path):
    from transformers import AutoTokenizer

    from teachers.tool_loop import to_text_messages

    srv = Server()
    try:
        recipe = tmp_path / "r.yaml"
        recipe.write_text(RECIPE.format(data=ROOT / "data/tool_prompts.jsonl", base=srv.base, out=tmp_path / "runs",
                                        tmpl=ROOT / "recipes/templates/smollm2_tools.jinja"))
        run = Path(run_recipe(str(recipe)).run_dir)
    finally:
        srv.stop()
    manifest = json.loads((run / "manifest.json").read_text())
    rows = [r for f in sorted((run / "accepted").glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]
    assert len(rows) == manifest["counts"]["accepted"] == 3
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    for r in rows:
        trace, prompt = json.loads(r["completion"]), json.loads(r["messages"])
        turn_prompts = [prompt + trace[:i] for i, m in enumerate(trace) if m["role"] == "assistant"]
        # usage of every turn, as the server counted it: the text-protocol prompt (catalogue included) per turn
        assert r["tokens_in"] == sum(len(tok.apply_chat_template(to_text_messages(p), add_generation_prompt=True, tokenize=True,
                                                                 return_dict=True)["input_ids"]) for p in turn_prompts)
        assert r["tokens_out"] > 0 and r["cost"] == pytest.approx((r["tokens_in"] * 1.0 + r["tokens_out"] * 2.0) / 1e6)
    tr = manifest["train"]
    assert tr["status"] == "done" and [h["step"] for h in tr["log_history"] if "loss" in h] == [1, 2]
    saved = (run / "train" / "adapter" / "chat_template.jinja").read_text()
    assert saved == (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()  # served later as it was trained

    for ex in chat_export_matches(str(run), str(tmp_path / "chat"), rows):
        tools = json.loads(ex["tools"])
        assert [t["function"]["name"] for t in tools] == ["calculator", "unit_convert"]
        assert [m["role"] for m in ex["messages"][:2]] == ["system", "user"] and ex["messages"][-1]["role"] == "assistant"
