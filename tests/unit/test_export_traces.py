"""Tool-use traces keep their structure through the run store and every export, read back by ``datasets``."""

import json

import datasets
import pyarrow.parquet as pq

from ground.conversation import conversation_of, split_tools
from factory.export import export_run
from ground.record import new_sample, reject, to_table
from factory.store import RunStore
from tests.conftest import ROOT

SPEC = {"type": "function", "function": {"name": "calculator", "description": "Evaluate arithmetic.",
                                         "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                                                        "required": ["expression"]}}}
UNITS = {"type": "function", "function": {"name": "unit_convert", "description": "Convert units.",
                                          "parameters": {"type": "object", "properties": {"value": {"type": "number"}}}}}
PROMPT = [{"role": "system", "content": "Use tools.", "tools": [SPEC, UNITS]}, {"role": "user", "content": "6*7 and 2+2?"}]


def call(cid, expr):
    return {"id": cid, "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"expression": expr})}}


GOOD = [{"role": "assistant", "content": None, "tool_calls": [call("c1", "6*7"), call("c2", "2+2")]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"result": 42}'},
        {"role": "tool", "tool_call_id": "c2", "content": '{"result": 4}'},
        {"role": "assistant", "content": "42 and 4."}]
BAD = [{"role": "assistant", "content": None, "tool_calls": [call("c9", "6*8")]},
       {"role": "tool", "tool_call_id": "c9", "content": '{"result": 48}'}, {"role": "assistant", "content": "48."}]


def tool_run(tmp_path):
    good = new_sample(stage="t", prompt_id="p0", sample_index=0, messages=PROMPT, completion=json.dumps(GOOD), teacher="T",
                      model="m", score=1.0)
    bad = new_sample(stage="t", prompt_id="p0", sample_index=1, messages=PROMPT, completion=json.dumps(BAD), teacher="T",
                     model="m", score=0.0)
    reject(bad, "verify:tool_calls", "final answer has no number equal to the reference 42")
    plain = new_sample(stage="t", prompt_id="p1", sample_index=0, messages=[{"role": "user", "content": "hi"}],
                       completion="hello", reasoning="greet back", teacher="T", model="m", score=1.0)
    st = RunStore(str(tmp_path / "runs"), "tools", "rid")
    st.write_parts("accepted", to_table([good, plain]))
    st.write_parts("rejects", to_table([bad]))
    st.write_json("manifest.json", {"run_id": "rid", "recipe_name": "tools", "status": "succeeded", "recipe": {}})
    return st.path


def strip_nulls(x):
    """datasets gives every struct the union of keys (absent ones as None): drop those to compare."""
    if isinstance(x, dict):
        return {k: strip_nulls(v) for k, v in x.items() if v is not None}
    if isinstance(x, list):
        return [strip_nulls(v) for v in x]
    return x


def chat_export_matches(run_dir: str, out_dir: str, rows: list[dict]):
    """Export ``run_dir`` as chat, read it back with ``datasets``, assert each row's messages and tools came back
    as stored (``rows``: the accepted rows); returns the dataset for further checks."""
    export_run(run_dir, out_dir, "chat")
    ds = datasets.load_dataset("json", data_dir=out_dir)["train"]
    stored = {r["id"]: split_tools(conversation_of(r)) for r in rows}
    assert sorted(ds["id"]) == sorted(stored)
    for ex in ds:
        msgs, tools = stored[ex["id"]]
        assert strip_nulls(ex["messages"]) == strip_nulls(msgs) and json.loads(ex["tools"]) == tools
    return ds


def test_chat_export_keeps_tool_calls_results_and_reasoning(tmp_path):
    export_run(tool_run(tmp_path), str(tmp_path / "chat"), "chat")
    ds = datasets.load_dataset("json", data_dir=str(tmp_path / "chat"))["train"]
    by_pid = {r["prompt_id"]: r for r in ds}
    trace = by_pid["p0"]
    system = {k: v for k, v in PROMPT[0].items() if k != "tools"}
    assert strip_nulls(trace["messages"]) == strip_nulls([system, PROMPT[1], *GOOD])
    assert trace["messages"][2]["tool_calls"][1]["function"]["arguments"] == '{"expression": "2+2"}'
    assert [m["tool_call_id"] for m in trace["messages"][3:5]] == ["c1", "c2"]
    assert json.loads(trace["tools"]) == [SPEC, UNITS]
    plain = by_pid["p1"]
    assert strip_nulls(plain["messages"][-1]) == {"role": "assistant", "content": "hello", "reasoning_content": "greet back"}
    assert plain["tools"] is None


def test_sharegpt_export_uses_function_call_and_observation_turns(tmp_path):
    export_run(tool_run(tmp_path), str(tmp_path / "sg"), "sharegpt")
    ds = datasets.load_dataset("json", data_dir=str(tmp_path / "sg"))["train"]
    conv = next(r for r in ds if r["prompt_id"] == "p0")["conversations"]
    assert [t["from"] for t in conv] == ["system", "human", "function_call", "observation", "gpt"]
    assert json.loads(conv[2]["value"]) == [{"name": "calculator", "arguments": {"expression": "6*7"}},
                                            {"name": "calculator", "arguments": {"expression": "2+2"}}]
    assert json.loads(conv[3]["value"]) == ['{"result": 42}', '{"result": 4}'] and conv[4]["value"] == "42 and 4."
    plain = next(r for r in ds if r["prompt_id"] == "p1")["conversations"]
    assert plain[-1] == {"from": "gpt", "value": "<think>\ngreet back\n</think>\nhello"}


def test_preference_export_keeps_both_traces_whole(tmp_path):
    res = export_run(tool_run(tmp_path), str(tmp_path / "pref"), "preference")
    assert res["counts"] == {"train": 1}
    (pair,) = datasets.load_dataset("json", data_dir=str(tmp_path / "pref"))["train"]
    assert strip_nulls(pair["chosen"]) == strip_nulls(GOOD) and strip_nulls(pair["rejected"]) == strip_nulls(BAD)
    assert [m["role"] for m in pair["prompt"]] == ["system", "user"] and json.loads(pair["tools"])[0] == SPEC


def test_parquet_export_round_trips_the_message_list_losslessly(tmp_path):
    export_run(tool_run(tmp_path), str(tmp_path / "pq"), "parquet")
    (f,) = (tmp_path / "pq").glob("*.parquet")
    rows = {r["prompt_id"]: r for r in pq.read_table(f).to_pylist()}
    assert conversation_of(rows["p0"]) == [*PROMPT, *GOOD]  # exact: no null keys added, argument strings unchanged
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "pq"))["train"]
    assert json.loads(next(r for r in ds if r["prompt_id"] == "p0")["completion"]) == GOOD


def test_tool_json_objects_is_what_trl_and_apply_chat_template_take(tmp_path, tiny_model_path):
    """``--tool-json objects``: arguments and the catalogue as objects (Hugging Face's convention). The default
    strings render double-encoded through a template that ``tojson``s the arguments (Llama 3.1's, and the
    tool template shipped for the bundled student)."""
    from transformers import AutoTokenizer

    from factory.export import main

    run = tool_run(tmp_path)
    assert main([run, "--out", str(tmp_path / "obj"), "--format", "chat", "--tool-json", "objects"]) == 0
    ds = datasets.load_dataset("json", data_dir=str(tmp_path / "obj"))["train"]
    trace = next(r for r in ds if r["prompt_id"] == "p0")
    assert [c["function"]["arguments"] for c in trace["messages"][2]["tool_calls"]] == [{"expression": "6*7"}, {"expression": "2+2"}]
    assert trace["tools"] == [SPEC, UNITS] and next(r for r in ds if r["prompt_id"] == "p1")["tools"] is None
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tmpl = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    text = tok.apply_chat_template(strip_nulls(trace["messages"]), tools=trace["tools"], chat_template=tmpl, tokenize=False)
    assert '"arguments": {"expression": "6*7"}' in text and '"arguments": {"expression": "2+2"}' in text
    assert '"name": "unit_convert"' in text
    strings = datasets.load_dataset("json", data_dir=chat_export_dir(run, tmp_path / "str"))["train"]
    old = next(r for r in strings if r["prompt_id"] == "p0")
    assert '"arguments": "{\\"expression\\": \\"6*7\\"}"' in tok.apply_chat_template(
        strip_nulls(old["messages"]), tools=json.loads(old["tools"]), chat_template=tmpl, tokenize=False)
    card = (tmp_path / "obj" / "README.md").read_text()
    assert "| tools | list of objects (OpenAI function specs), or null |" in card and "`arguments` an object" in card
    pref = export_run(run, str(tmp_path / "pref"), "preference", tool_json="objects")
    (pair,) = datasets.load_dataset("json", data_dir=pref["out"])["train"]
    assert pair["tools"][0] == SPEC and pair["chosen"][0]["tool_calls"][0]["function"]["arguments"] == {"expression": "6*7"}


def chat_export_dir(run: str, out) -> str:
    export_run(run, str(out), "chat")
    return str(out)


def test_tool_json_objects_is_refused_where_there_are_no_tool_messages(tmp_path):
    import pytest

    from ground.errors import FactoryError

    with pytest.raises(FactoryError, match=r"^--tool-json objects: only the chat and preference formats .*\(not sharegpt\)"):
        export_run(tool_run(tmp_path), str(tmp_path / "x"), "sharegpt", tool_json="objects")
    assert not (tmp_path / "x").exists()
