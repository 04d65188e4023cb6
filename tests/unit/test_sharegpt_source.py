"""Chat sources in ShareGPT form (``conversations: [{from: human, value: ...}]``, as Axolotl and FastChat read them)
become OpenAI role/content messages; an unknown speaker is a per-row reject that names it."""

import json

import pyarrow as pa
import pyarrow.parquet as pq

from factory.recipe import load_recipe
from teachers.expand import build_rows

RECIPE = """name: sg
source: {{path: {src}, fields: {{messages: conversations, reference: answer}}}}
teacher: {{name: t, engine: hf_local, model: smollm2-135m-instruct, n: 1, sampling: {{max_tokens: 8}}}}
output: {{dir: {out}}}
"""


def test_sharegpt_conversations_become_chat_messages(tmp_path):
    convs = [[{"from": "system", "value": "Be brief."}, {"from": "human", "value": "What is 2 + 2?"}],
             [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "3 + 3?"}],
             [{"from": "narrator", "value": "Once"}],
             [{"from": "human", "value": "5 + 5?"}, {"from": "gpt", "value": "10"}],  # a finished SFT conversation
             [{"from": "system", "value": "S"}, {"from": "gpt", "value": "Hi"}]]
    pq.write_table(pa.table({"conversations": convs, "answer": ["4", "6", "x", "10", "y"]}), tmp_path / "sg.parquet")
    (tmp_path / "r.yaml").write_text(RECIPE.format(src=tmp_path / "sg.parquet", out=tmp_path / "runs"))
    rows = build_rows(load_recipe(str(tmp_path / "r.yaml")))
    msgs = [json.loads(r["messages"]) if isinstance(r["messages"], str) else r["messages"] for r in rows]
    assert msgs[0] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2 + 2?"}]
    assert [m["role"] for m in msgs[1]] == ["user", "assistant", "user"] and msgs[1][2]["content"] == "3 + 3?"
    assert rows[0]["status"] != "rejected" and rows[1]["status"] != "rejected"
    assert rows[2]["status"] == "rejected" and rows[2]["reject_reason"].startswith(
        "field 'conversations': ShareGPT speaker 'narrator' is not one of ")
    assert msgs[3] == [{"role": "user", "content": "5 + 5?"}]  # the trailing answer is the teacher's to give again
    assert rows[4]["status"] == "rejected" and rows[4]["reject_reason"].startswith("field 'conversations' has no user turn for the teacher to answer")


def test_messages_given_as_json_text_are_read(tmp_path):
    col = [json.dumps([{"role": "user", "content": "2 + 2?"}]), '[{"role": "user"', "plain text"]
    pq.write_table(pa.table({"conversations": col, "answer": ["4", "x", "y"]}), tmp_path / "j.parquet")
    (tmp_path / "r.yaml").write_text(RECIPE.format(src=tmp_path / "j.parquet", out=tmp_path / "runs"))
    rows = build_rows(load_recipe(str(tmp_path / "r.yaml")))
    first = rows[0]["messages"]
    assert (json.loads(first) if isinstance(first, str) else first) == [{"role": "user", "content": "2 + 2?"}]
    assert rows[1]["reject_reason"].startswith("field 'conversations' is not valid JSON")
    assert rows[2]["reject_reason"].startswith("field 'conversations' is not a list of chat messages")
