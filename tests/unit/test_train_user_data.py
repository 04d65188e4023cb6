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
def tiny_lm(tiny_model_path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_path)


@pytest.fixture(scope="module")
def tool_tok(tiny_model_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tok.chat_template = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    return tok


def test_dpo_tool_pair_keeps_each_turns_reasoning_and_masks_the_tool_results(tool_tok, tiny_lm, tmp_path):
    """A reasoning teacher's tool trace keeps each turn's reasoning as ``reasoning_content``. Was: DPO passed it to a
    template that does not render it, so the pair trained without the reasoning (a plain pair has it inline), and the
    tool-result mask, which renders it inline as SFT does, no longer matched TRL's tokens: the tool results stayed in
    the loss with a WARNING."""
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
    tr = DPOTrainer(model=tiny_lm, args=args, train_dataset=ds, processing_class=tool_tok)
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
    assert counts == {"train_rows": 4, "val_rows": 0, "examples": 2, "val_examples": 0}
    assert data["train"].count() == 2 and "val" not in data
    assert "SFT: 2 rows dropped: no prompt messages, or a null completion" in caplog.text


def test_onpolicy_student_samples_and_teacher_scores_with_the_tool_catalogue(tool_tok, tiny_lm):
    """On-policy on tool-use prompts. Was: the catalogue stayed a key on the system message that no template reads
    (and drop_system_prompt dropped it with the system text): the student sampled, and the teacher scored, answers
    to prompts that showed no tools."""
    import torch

    from students.onpolicy import _sample, prompt_records

    rec = {"prompt_id": "p0", "messages": PROMPT}
    kept, dropped = prompt_records([rec], drop_system=False)[0], prompt_records([rec], drop_system=True)[0]
    assert kept["tools"] == dropped["tools"] == [SPEC]
    assert kept["prompt"] == [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "6*7?"}]
    assert dropped["prompt"] == [{"role": "user", "content": "6*7?"}]  # the system text goes, the catalogue stays
    assert dropped["teacher_prompt"] == kept["prompt"]  # the teacher sees the system prompt (context distillation)
    torch.manual_seed(0)
    op = {"temperature": 1.0, "max_new_tokens": 2, "samples_per_prompt": 1}
    p_ids, comps = _sample(tiny_lm, tool_tok, [dropped["prompt"]], op, torch.device("cpu"), [dropped["tools"]])
    shown = tool_tok.decode(p_ids[0])
    assert "calculator" in shown and "Use tools." not in shown and len(comps[0]) >= 1


def test_onpolicy_refuses_tool_prompts_when_the_students_own_template_cannot_show_tools():
    from students.onpolicy import tool_prompt_problem

    assert tool_prompt_problem("smollm2-135m-instruct", 0) is None
    why = tool_prompt_problem("smollm2-135m-instruct", 3)
    assert why.startswith("method onpolicy: 3 prompts carry a tool catalogue, but the chat template of student "
                          "'smollm2-135m-instruct' cannot show tools (it fails on a tool call")
    assert why.endswith("use a student whose template renders tools, or method sft with train.chat_template")


def _run_dir(tmp_path, rows: list[dict], recipe: dict):
    from factory.store import RunStore
    from ground.record import to_table

    st = RunStore(str(tmp_path / "runs"), "demo", "rid")
    st.write_parts("accepted", to_table([r for r in rows if r["status"] == "accepted"]))
    st.write_parts("rejects", to_table([r for r in rows if r["status"] != "accepted"]))
    st.write_json("manifest.json", {"run_id": "rid", "recipe_name": "demo", "status": "succeeded", "recipe": recipe})
    st.write_json("stats.json", {"stages": {}})
    return st.path


ROUTED = {"teacher": {"name": "small", "engine": "hf_local", "model": "m-small", "n": 1},
          "teachers": [{"name": "big", "engine": "openai_compat", "model": "m-big", "n": 1}]}


def test_dataset_card_names_every_teacher_with_the_rows_it_wrote(tmp_path):
    """A routed (or fallback) run's rows come from several teachers. Was: the card's provenance named the first
    teacher only, as if it had written every row."""
    from factory.export import export_run

    rows = [_row(i, [{"role": "user", "content": f"q{i}"}], f"a{i}", teacher="small" if i < 3 else "big") for i in range(5)]
    out = export_run(_run_dir(tmp_path, rows, ROUTED), str(tmp_path / "ex"), fmt="chat")
    card = (tmp_path / "ex" / "README.md").read_text()
    assert out["counts"] == {"train": 5}
    assert "- Teacher: `small` engine `hf_local`, model `m-small`, n=1, sampling `null`: 3 rows" in card
    assert "- Teacher: `big` engine `openai_compat`, model `m-big`, n=1, sampling `null`: 2 rows" in card


def test_jsonl_export_says_how_many_prompts_lose_their_system_prompt_or_history(tmp_path, caplog):
    """``--format jsonl`` writes the prompt as one string (the user turns joined). Was: a system prompt and earlier
    assistant turns were left out without a word."""
    from factory.export import export_run

    multi = [{"role": "system", "content": "S"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "HIST"},
             {"role": "user", "content": "again"}]
    rows = [_row(0, multi, "ok"), _row(1, [{"role": "user", "content": "q"}], "a")]
    with caplog.at_level("WARNING", logger="factory.export"):
        export_run(_run_dir(tmp_path, rows, ROUTED), str(tmp_path / "ex"), fmt="jsonl")
    got = sorted((json.loads(x) for x in (tmp_path / "ex" / "train.jsonl").read_text().splitlines()), key=lambda r: r["id"])
    assert [r["prompt"] for r in got] == ["hi\nagain", "q"]
    assert ("export jsonl: 1 of 2 rows have a system prompt, a tool catalogue or earlier assistant/tool turns, which the "
            "prompt string (their user turns joined) leaves out; --format chat (or sharegpt) keeps them") in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="factory.export"):
        export_run(_run_dir(tmp_path, rows, ROUTED), str(tmp_path / "ex2"), fmt="chat")
    assert "export jsonl" not in caplog.text


def test_model_card_names_every_teacher_with_the_accepted_rows_it_wrote(tmp_path):
    """The model card's teacher line. Was: the first teacher's model only, for a student trained on rows that a
    routed or fallback teacher wrote too."""
    from pathlib import Path

    from students.export import model_card, rows_by_teacher

    rows = [_row(i, [{"role": "user", "content": f"q{i}"}], f"a{i}", teacher="small" if i < 3 else "big") for i in range(5)]
    rows.append(_row(9, [{"role": "user", "content": "q9"}], "bad", teacher="big", status="rejected"))
    by = rows_by_teacher(Path(_run_dir(tmp_path, rows, ROUTED)))
    assert by == {"small": 3, "big": 2}  # accepted rows only: what the student trained on
    manifest = {"run_id": "rid", "recipe_name": "demo", "recipe": {**ROUTED, "train": {"student": "s", "method": "sft"}}}
    card = model_card(manifest, {"status": "done", "method": "sft"}, None, "d" * 64, "final", by_teacher=by)
    assert "- **Teachers:** `m-small` (`small`, 3 accepted rows), `m-big` (`big`, 2 accepted rows)\n" in card
    one = model_card({**manifest, "recipe": {"teacher": ROUTED["teacher"], "train": {"student": "s"}}}, {"status": "done"}, None,
                     "d" * 64, "final", by_teacher={"small": 5})
    assert "- **Teacher:** `m-small`\n" in one  # one teacher: its model, as before


NO_SYSTEM_TEMPLATE = ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
                      "{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}"
                      "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")


def test_kd_renders_a_system_prompt_for_a_template_without_a_system_role(tiny_model_path):
    """KD with a student whose template refuses the system role (Gemma's raise "System role not supported"), the
    system prompt kept. Was: the KD encoder called the template bare and the data map stopped on that error; SFT
    folds the system prompt into the first user turn (ground/conversation.py apply_template), and KD now does too."""
    from transformers import AutoTokenizer

    from students.kd import encode
    from teachers.scorers import chat_ids

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    plain = {"prompt": [{"role": "user", "content": "2+2?"}], "completion": "4", "topk": [[[19, -0.1]]]}
    assert encode(plain, tok, 64)[0]["input_ids"][:-2] == chat_ids(tok, plain["prompt"])  # ChatML: the same ids as before
    tok.chat_template = NO_SYSTEM_TEMPLATE
    ex = {**plain, "prompt": [{"role": "system", "content": "Answer with a number."}, *plain["prompt"]]}
    f, _ = encode(ex, tok, 64)
    n_prompt = f["labels"].count(-100)
    assert tok.decode(f["input_ids"][:n_prompt]) == "<start_of_turn>user\nAnswer with a number.\n\n2+2?<end_of_turn>\n<start_of_turn>model\n"
    assert tok.decode([t for t in f["labels"] if t != -100]) == "4" + tok.eos_token


def test_a_row_the_builder_cannot_train_is_named_in_the_error():
    """A row whose prompt holds an image part (a text student cannot be shown it) stops SFT with one line. Was: the
    line named no row, in a run of thousands."""
    from ground.errors import FactoryError
    from ground.record import to_table
    from students.sft_data import sft_batch

    image = [{"role": "user", "content": [{"type": "text", "text": "what is it?"}, {"type": "image_url", "image_url": {"url": "x"}}]}]
    rows = [_row(0, [{"role": "user", "content": "2+2?"}], "4"), _row(7, image, "a cat", prompt_id="p-img")]
    kw = dict(student="smollm2-135m-instruct", template=None, max_len=64, mode="keep", budget=None, drop_system=False)
    with pytest.raises(FactoryError) as e:
        sft_batch(to_table(rows), **kw)
    assert str(e.value) == ("row r7 (prompt p-img): train: messages[0].content has a 'image_url' part; only text parts "
                            "can be trained")
    assert sft_batch(to_table(rows[:1]), **kw).column("drop").to_pylist() == [""]


def test_kd_drop_system_prompt_keeps_the_tool_catalogue(tiny_model_path):
    """``train.drop_system_prompt`` drops the system text, not the tool catalogue (README; SFT, DPO and eval keep
    ``tools=``). Was: KD dropped every system message, the catalogue with it."""
    from transformers import AutoTokenizer

    from students.kd import encode, kd_examples

    row = {"id": "r1", "prompt_id": "p", "messages": json.dumps(PROMPT), "completion": "4", "teacher_topk": "[[[19, -0.1]]]",
           "teacher_topk_meta": json.dumps({"raw": True})}
    (ex,) = kd_examples([row], drop_system=True)
    assert ex["prompt"] == [{"role": "system", "tools": [SPEC]}, {"role": "user", "content": "6*7?"}]
    assert kd_examples([row], drop_system=False)[0]["prompt"] == PROMPT
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tok.chat_template = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    shown = tok.decode(encode(ex, tok, 512)[0]["input_ids"])
    assert '"name": "calculator"' in shown and "Use tools." not in shown


def test_a_moved_run_dir_resumes_with_its_own_trained_model(tmp_path):
    """``train/DONE`` records the absolute folder the student was trained in. Was: a run dir moved (or copied to
    another machine) and run again passed that old path on to eval: a missing folder, or the other copy's model."""
    from factory.store import RunStore
    from students.train import train_if_needed

    st = RunStore(str(tmp_path / "moved"), "demo", "rid")
    for sub in ("adapter", "best"):
        d = tmp_path / "moved" / "demo" / "rid" / "train" / sub
        d.mkdir(parents=True)
        (d / "adapter_config.json").write_text("{}")
    old = "/elsewhere/runs/demo/rid/train"
    st.write_json("train/DONE", {"status": "done", "adapter_dir": f"{old}/adapter", "best": {"dir": f"{old}/best", "step": 2}})
    info = train_if_needed(None, st)  # done: nothing is trained, the recipe is not read
    here = tmp_path / "moved" / "demo" / "rid" / "train"
    assert info["adapter_dir"] == str(here / "adapter") and info["best"] == {"dir": str(here / "best"), "step": 2}


def test_dpo_model_card_counts_pairs_as_pairs():
    from students.export import model_card

    manifest = {"run_id": "rid", "recipe_name": "demo", "recipe": {"teacher": {"model": "m"}, "train": {"student": "s", "method": "dpo"}}}
    info = {"status": "done", "method": "dpo", "train_rows": 7, "val_rows": 1, "pairs": {"pairs": 8}}
    assert "7 train / 1 validation preference pairs; " in model_card(manifest, info, None, "d" * 64, "final")
    assert "7 train / 1 validation rows; " in model_card(manifest, {**info, "method": "sft"}, None, "d" * 64, "final")


def test_dpo_says_how_many_pairs_trl_drops_for_an_overlong_prompt(ray_local, tiny_model_path, tiny_lm, tmp_path, caplog):
    """TRL's DPOTrainer drops, without a word, every pair whose prompt alone fills max_length. Was: no count; with
    every pair dropped, training failed on an empty dataset deep inside the Ray Train worker. Now the same pairs
    are counted in the driver before any training, and none left is one line."""
    import pyarrow as pa
    import ray.data
    from transformers import AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from ground.errors import FactoryError
    from students.pairs_data import PAIR, _record, check_prompt_lengths, decode_pairs, pair_records, prompt_lengths
    from students.prompt_length import overlong_verdict

    def pair(q: str) -> dict:
        return {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": q}], "prompt_id": q[:8],
                "chosen": [{"role": "assistant", "content": "GOOD"}], "rejected": [{"role": "assistant", "content": "BAD"}],
                "pair_source": "verifier"}

    recs = [_record(0, i, pair(q)) for i, q in enumerate(["2+2?", "long " * 80])]
    cfg = {"student": "smollm2-135m-instruct", "chat_template_text": None, "max_seq_len": 64, "drop_system_prompt": True}
    with caplog.at_level("WARNING", logger="students.prompt_length"):
        check_prompt_lengths(cfg, {"train": ray.data.from_arrow(pa.Table.from_pylist(recs, schema=PAIR))})
    assert "DPO: 1 of 2 examples dropped: prompt longer than train.max_seq_len 64 tokens" in caplog.text
    args = DPOConfig(output_dir=str(tmp_path), report_to=[], max_length=64, use_cpu=True, bf16=False)
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tr = DPOTrainer(model=tiny_lm, args=args, train_dataset=pair_records(recs, True), processing_class=tok)
    assert [r["chosen"] for r in tr.train_dataset] == [decode_pairs(recs[:1], True)[0]["chosen"]]  # TRL dropped the same one
    lens = prompt_lengths(pa.Table.from_pylist(recs, schema=PAIR), "smollm2-135m-instruct", None, 64, True).to_pylist()
    assert [x["overlong"] for x in lens] == [0, 1] and lens[0]["prompt_tokens"] == len(tr.train_dataset[0]["prompt_ids"])
    with pytest.raises(FactoryError, match=r"^train\.max_seq_len: every DPO prompt is at least 64 tokens long \(longest 1\d\d\); "
                                           r"raise train\.max_seq_len$"):
        overlong_verdict("DPO", 64, 1, 1, lens[1]["prompt_tokens"], required=True)


def test_export_of_a_chat_source_with_openai_content_parts(tmp_path):
    """A chat source may hold OpenAI content parts (``[{"type": "text", "text": ...}]``); training joins their text.
    Was: ``--format jsonl`` stopped with a TypeError traceback, ``sharegpt`` wrote a list as a turn's value, and
    ``chat`` mixed lists and strings in one column, which ``datasets`` cannot load."""
    import datasets

    from factory.export import export_run
    from ground.errors import FactoryError

    parts = [{"role": "user", "content": [{"type": "text", "text": "2+"}, {"type": "text", "text": "2?"}]}]
    rows = [_row(0, parts, "4"), _row(1, [{"role": "user", "content": "3+3?"}], "6"),
            _row(2, parts, "5", prompt_id="p0", sample_index=1, status="rejected", reject_stage="verify:math_answer",
                 reject_reason="wrong answer", score=0.0),
            _row(3, [{"role": "user", "content": "3+3?"}], "7", prompt_id="p1", sample_index=1, status="rejected",
                 reject_stage="verify:math_answer", reject_reason="wrong answer", score=0.0)]
    run = _run_dir(tmp_path, rows, ROUTED)
    got = {}
    for fmt in ("jsonl", "sharegpt", "chat", "preference"):
        export_run(run, str(tmp_path / fmt), fmt=fmt)
        got[fmt] = sorted(datasets.load_dataset("json", data_dir=str(tmp_path / fmt), split="train").to_list(), key=lambda r: r["id"])
    assert [r["prompt"] for r in got["jsonl"]] == ["2+2?", "3+3?"]
    assert got["sharegpt"][0]["conversations"] == [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}]
    assert [r["messages"][0]["content"] for r in got["chat"]] == ["2+2?", "3+3?"]
    assert sorted(r["prompt"][0]["content"] for r in got["preference"]) == ["2+2?", "3+3?"]
    image = [{"role": "user", "content": [{"type": "text", "text": "what?"}, {"type": "image_url", "image_url": {"url": "x"}}]}]
    run2 = _run_dir(tmp_path / "img", [_row(5, image, "a cat", prompt_id="p-img")], ROUTED)
    with pytest.raises(FactoryError, match=r"^row r5 \(prompt p-img\): a message has a 'image_url' content part, which --format "
                                           r"jsonl \(text only\) cannot hold; use --format chat or parquet$"):
        export_run(run2, str(tmp_path / "img-out"), fmt="jsonl")
    assert not (tmp_path / "img-out").exists()  # nothing half-written


def test_held_out_overlap_finds_a_training_prompt_given_in_content_parts(tmp_path):
    """eval.overlap: held-out prompts that are also training prompts. Was: a prompt in OpenAI content parts (a chat
    source) read as empty, so it was never counted, on either side."""
    import pyarrow.fs as pafs

    from students.eval import training_overlap

    parts = [{"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "2+2?"}]}]
    run = _run_dir(tmp_path, [_row(0, parts, "4"), _row(1, [{"role": "user", "content": "3+3?"}], "6")], ROUTED)
    held = [{"messages": json.dumps([{"role": "user", "content": "what is 2+2?"}])},
            {"messages": json.dumps([{"role": "user", "content": [{"type": "text", "text": "3+3?"}]}])},
            {"messages": json.dumps([{"role": "user", "content": "4+4?"}])}]
    got = training_overlap(held, pafs.LocalFileSystem(), f"{run}/accepted")
    assert got == {"items": 2, "n": 3, "examples": ["'what is 2+2?'", "'3+3?'"]}


def test_export_of_an_unfinished_run_says_so(tmp_path, caplog):
    """A run stopped by its budget curates the chunks that finished: exporting it gives part of the dataset. Was:
    said only by the card's status line."""
    import json as _json

    from factory.export import export_run

    run = _run_dir(tmp_path, [_row(0, [{"role": "user", "content": "q"}], "a")], ROUTED)
    with caplog.at_level("WARNING", logger="factory.export"):
        export_run(run, str(tmp_path / "ok"), fmt="chat")
    assert "the run is" not in caplog.text
    mf = tmp_path / "runs" / "demo" / "rid" / "manifest.json"
    mf.write_text(_json.dumps({**_json.loads(mf.read_text()), "status": "stopped"}))
    with caplog.at_level("WARNING", logger="factory.export"):
        export_run(run, str(tmp_path / "part"), fmt="chat")
    assert (f"{run}: the run is stopped: its accepted rows may not be all it makes (a budget stop curates the finished "
            "chunks only; re-run the same command to finish it)") in caplog.text


def test_sharegpt_export_says_how_many_call_turns_lose_their_words(tmp_path, caplog):
    """A ShareGPT function_call turn (LLaMA-Factory's convention) holds the calls only. Was: the text or reasoning an
    assistant wrote beside its calls was left out without a word."""
    from factory.export import export_run

    t = trace("6*7", "42", "I should call the calculator.")
    rows = [_row(0, PROMPT, json.dumps(t)), _row(1, PROMPT, json.dumps(trace("2*3", "6")))]
    with caplog.at_level("WARNING", logger="factory.export"):
        export_run(_run_dir(tmp_path, rows, ROUTED), str(tmp_path / "sg"), fmt="sharegpt")
    assert ("export sharegpt: 1 of 2 rows have an assistant turn with tool calls and text or reasoning beside them, which "
            "its function_call turn leaves out; --format chat keeps them") in caplog.text
    got = {json.loads(x)["id"]: json.loads(x) for x in (tmp_path / "sg" / "train.jsonl").read_text().splitlines()}
    assert [c["from"] for c in got["r0"]["conversations"]] == ["system", "human", "function_call", "observation", "gpt"]
