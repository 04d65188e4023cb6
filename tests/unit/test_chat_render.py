"""Tool traces and reasoning through real chat templates (the bundled student's tokenizer, vendored Jinja
fixtures): the exact text each template renders and exactly which tokens are trained."""

import json

import pytest

from ground.conversation import conversation_of, split_tools
from ground.errors import FactoryError
from students.data import check_student_template, encode_sft, sft_examples
from students.render import encode_conversation, tool_template_problem
from tests.conftest import ROOT


def trained_text(tok, example: dict) -> list[str]:
    """The trained spans of an encoded example, decoded: what a test compares with the expected turns."""
    spans, cur = [], []
    for t, m in zip(example["input_ids"], example["assistant_masks"]):
        if m:
            cur.append(t)
        elif cur:
            spans.append(cur)
            cur = []
    if cur:
        spans.append(cur)
    return [tok.decode(s) for s in spans]


TEMPLATES = ROOT / "tests/fixtures/chat_templates"
SPEC = {"type": "function", "function": {"name": "calculator", "description": "Evaluate arithmetic.",
                                         "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}}}}


def call(cid, expr):
    return {"id": cid, "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"expression": expr})}}


TRACE = [{"role": "assistant", "content": None, "tool_calls": [call("c1", "6*7"), call("c2", "2+2")]},
         {"role": "tool", "tool_call_id": "c1", "content": '{"result": 42}'},
         {"role": "tool", "tool_call_id": "c2", "content": '{"result": 4}'},
         {"role": "assistant", "content": "42 and 4."}]
PROMPT = [{"role": "system", "content": "Be brief.", "tools": [SPEC]}, {"role": "user", "content": "6*7 and 2+2?"}]
ROW = {"messages": json.dumps(PROMPT), "completion": json.dumps(TRACE)}
CALLS_TEXT = ('<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>\n'
              '<tool_call>\n{"name": "calculator", "arguments": {"expression": "2+2"}}\n</tool_call><|im_end|>\n')


@pytest.fixture(scope="module")
def tok(tiny_model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path)


def with_template(tok, path, specials=()):
    t = tok.__class__.from_pretrained(tok.name_or_path)
    t.chat_template = path.read_text()
    if specials:  # the family's own tokenizer has these as single special tokens; BPE would merge across turns
        t.add_special_tokens({"additional_special_tokens": list(specials)})
    return t


def test_bundled_student_template_cannot_carry_tool_calls_and_training_refuses(tok):
    assert tool_template_problem(tok).startswith("it fails on a tool call (UndefinedError")
    with pytest.raises(FactoryError) as e:
        check_student_template(tok, sft_examples([ROW]), "smollm2-135m-instruct")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("train.chat_template: the chat template of student 'smollm2-135m-instruct' "
                                              "cannot train tool calls") and "templates/smollm2_tools.jinja" in msg
    check_student_template(tok, sft_examples([{"messages": json.dumps([PROMPT[1]]), "completion": "4"}]), "s")  # no tools: fine


def test_vendored_smollm2_tool_template_trains_exactly_the_assistant_turns(tok):
    t = with_template(tok, ROOT / "recipes/templates/smollm2_tools.jinja")
    assert tool_template_problem(t) is None
    check_student_template(t, sft_examples([ROW]), "s")
    msgs, tools = split_tools(conversation_of(ROW))
    (ex,) = encode_conversation(t, msgs, tools)
    text = t.decode(ex["input_ids"])
    assert '<tools>\n{"type": "function", "function": {"name": "calculator"' in text  # the catalogue is rendered
    assert '<|im_start|>user\n<tool_response>\n{"result": 42}\n</tool_response>\n<tool_response>\n{"result": 4}\n' in text
    assert trained_text(t, ex) == [CALLS_TEXT, "42 and 4.<|im_end|>\n"]


def test_qwen25_family_renders_tools_and_parallel_calls(tok):
    t = with_template(tok, TEMPLATES / "qwen2_5_tools.jinja")
    msgs, tools = split_tools(conversation_of(ROW))
    (ex,) = encode_conversation(t, msgs, tools)
    assert t.decode(ex["input_ids"]).startswith("<|im_start|>system\nBe brief.\n\n# Tools\n")
    assert trained_text(t, ex) == [CALLS_TEXT, "42 and 4.<|im_end|>\n"]


def test_llama31_family_single_call_spans_and_parallel_calls_refused_in_one_line(tok):
    t = with_template(tok, TEMPLATES / "llama3_1_tools.jinja", ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"])
    one = [PROMPT[1], {"role": "assistant", "content": None, "tool_calls": [call("c1", "6*7")]},
           {"role": "tool", "tool_call_id": "c1", "content": '{"result": 42}'}, {"role": "assistant", "content": "42."}]
    (ex,) = encode_conversation(t, one, [SPEC])
    text = t.decode(ex["input_ids"])
    assert '<|start_header_id|>ipython<|end_header_id|>\n\n"{\\"result\\": 42}"<|eot_id|>' in text  # its own quoting
    assert trained_text(t, ex) == ['{"name": "calculator", "parameters": {"expression": "6*7"}}<|eot_id|>', "42.<|eot_id|>"]
    with pytest.raises(FactoryError, match=r"^chat template refused a conversation \(user,assistant\): TemplateError: "
                                           r"This model only supports single tool-calls at once!$"):
        encode_conversation(t, [PROMPT[1], TRACE[0]], [SPEC])


# ---- reasoning -----------------------------------------------------------------------------------------
THINK_ROW = {"messages": json.dumps([{"role": "user", "content": "2+3?"}]), "completion": "5", "reasoning": "two plus three is five"}


def test_reasoning_keeps_drops_or_truncates_in_the_bundled_chatml_template(tok):
    (e,) = sft_examples([THINK_ROW])
    assert e["completion"] == [{"role": "assistant", "content": "5", "reasoning_content": "two plus three is five"}]
    keep, drop, cut = (encode_sft(tok, [e], 512, mode, 3) for mode in ("keep", "drop", "budget"))
    assert trained_text(tok, keep[0]) == ["<think>\ntwo plus three is five\n</think>\n5<|im_end|>\n"]
    assert trained_text(tok, drop[0]) == ["5<|im_end|>\n"]
    assert trained_text(tok, cut[0]) == ["<think>\ntwo plus three\n</think>\n5<|im_end|>\n"]
    inline = {**THINK_ROW, "completion": "<think>two plus three is five</think>5", "reasoning": None}
    assert trained_text(tok, encode_sft(tok, sft_examples([inline]), 512)[0]) == trained_text(tok, keep[0])


def test_thinking_kept_in_history_by_chatml_one_example_with_every_turn(tok):
    convo = [{"role": "user", "content": "a?"}, {"role": "assistant", "content": "A", "reasoning_content": "r1"},
             {"role": "user", "content": "b?"}, {"role": "assistant", "content": "B", "reasoning_content": "r2"}]
    (ex,) = encode_conversation(tok, convo)
    assert trained_text(tok, ex) == ["<think>\nr1\n</think>\nA<|im_end|>\n", "<think>\nr2\n</think>\nB<|im_end|>\n"]


def test_thinking_stripped_from_history_by_qwen3_one_example_per_turn(tok):
    t = with_template(tok, TEMPLATES / "qwen3_think.jinja")
    convo = [{"role": "user", "content": "a?"}, {"role": "assistant", "content": "A", "reasoning_content": "r1"},
             {"role": "user", "content": "b?"}, {"role": "assistant", "content": "B", "reasoning_content": "r2"}]
    first, second = encode_conversation(t, convo)
    assert t.decode(first["input_ids"]) == "<|im_start|>user\na?<|im_end|>\n<|im_start|>assistant\n<think>\nr1\n</think>\n\nA<|im_end|>\n"
    assert trained_text(t, first) == ["<think>\nr1\n</think>\n\nA<|im_end|>\n"]
    assert t.decode(second["input_ids"]) == ("<|im_start|>user\na?<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n"
                                             "<|im_start|>user\nb?<|im_end|>\n<|im_start|>assistant\n<think>\nr2\n</think>\n\nB<|im_end|>\n")
    assert trained_text(t, second) == ["<think>\nr2\n</think>\n\nB<|im_end|>\n"]  # turn 1 is context, without its thought


def test_thinking_within_one_tool_trace_survives_qwen3(tok):
    t = with_template(tok, TEMPLATES / "qwen3_think.jinja")
    trace = [dict(TRACE[0], reasoning_content="use the tool"), *TRACE[1:3], dict(TRACE[3], content="<think>sum up</think>42 and 4.")]
    msgs, tools = split_tools(PROMPT + trace)
    (ex,) = encode_conversation(t, msgs, tools)  # after the last user query: prefix-stable, one example
    assert trained_text(t, ex) == ["<think>\nuse the tool\n</think>\n\n" + CALLS_TEXT, "<think>\nsum up\n</think>\n\n42 and 4.<|im_end|>\n"]
    # without reasoning Qwen3 gives only the last turn an empty <think></think>: one example per turn then
    first, second = encode_conversation(t, msgs, tools, mode="drop")
    assert trained_text(t, first) == ["<think>\n\n</think>\n\n" + CALLS_TEXT]
    assert trained_text(t, second) == ["<think>\n\n</think>\n\n42 and 4.<|im_end|>\n"]
    assert CALLS_TEXT in t.decode(second["input_ids"])  # the earlier call turn is context there, untrained


def test_assistant_turns_given_in_the_prompt_are_context_not_trained(tok):
    t = with_template(tok, ROOT / "recipes/templates/smollm2_tools.jinja")
    shot = [{"role": "user", "content": "3*4?"}, {"role": "assistant", "content": None, "tool_calls": [call("s1", "3*4")]},
            {"role": "tool", "tool_call_id": "s1", "content": '{"result": 12}'}, {"role": "assistant", "content": "12."}]
    row = {"messages": json.dumps([PROMPT[0], *shot, PROMPT[1]]), "completion": json.dumps(TRACE)}
    (ex,) = encode_sft(t, sft_examples([row]), 1024)
    assert '"expression": "3*4"' in t.decode(ex["input_ids"])  # the few-shot turns are there, as context
    assert trained_text(t, ex) == [CALLS_TEXT, "42 and 4.<|im_end|>\n"]


def test_recipe_reasoning_option_is_checked():
    from pydantic import ValidationError

    from factory.recipe import TrainConfig

    assert TrainConfig(student="s", reasoning="budget", reasoning_budget=64).reasoning_budget == 64
    with pytest.raises(ValidationError, match="reasoning: budget needs reasoning_budget"):
        TrainConfig(student="s", reasoning="budget")
    with pytest.raises(ValidationError, match="reasoning"):
        TrainConfig(student="s", reasoning="sometimes")


def test_overlong_check_measures_the_prompt_as_the_recipe_template_renders_it():
    from students.prompt_length import drop_overlong

    (e,) = sft_examples([ROW])
    tmpl = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    cfg = {"student": "smollm2-135m-instruct", "max_seq_len": 120}
    assert drop_overlong(cfg, [e]) == [e]  # the student's own template ignores the catalogue: ~30 tokens
    with pytest.raises(FactoryError, match=r"every SFT prompt is at least 120 tokens long \(longest 181\)"):
        drop_overlong({**cfg, "chat_template_text": tmpl}, [e])  # rendered with the catalogue: 181


def test_trl_trains_exactly_the_assistant_spans(tok, tiny_model_path, tmp_path):
    import datasets
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    t = with_template(tok, ROOT / "recipes/templates/smollm2_tools.jinja")
    enc = encode_sft(t, sft_examples([ROW]), 1024)
    args = SFTConfig(output_dir=str(tmp_path), report_to=[], use_cpu=True, bf16=False, max_length=1024, completion_only_loss=True)
    trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(tiny_model_path), args=args,
                         train_dataset=datasets.Dataset.from_list(enc), processing_class=t)
    ex = trainer.train_dataset[0]
    assert ex["input_ids"] == enc[0]["input_ids"]
    trained = [i for i, label in enumerate(ex["labels"]) if label != -100]  # what the loss sees
    assert trained == [i for i, m in enumerate(enc[0]["assistant_masks"]) if m]
    assert t.decode([ex["input_ids"][i] for i in trained]) == CALLS_TEXT + "42 and 4.<|im_end|>\n"


def test_drop_system_prompt_keeps_the_tool_catalogue_and_trains_every_assistant_turn(tok):
    """Was: train.drop_system_prompt removed the system message and with it the catalogue (tools live on it), so
    the student learnt to call tools it was never shown; the system text must go, the catalogue stay."""
    from students.sft_data import _one

    tmpl = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    t = with_template(tok, ROOT / "recipes/templates/smollm2_tools.jinja")
    (ex,) = _one(ROW, student="smollm2-135m-instruct", template=tmpl, max_len=1024, mode="keep", budget=None, drop_system=True)
    text = t.decode(ex["input_ids"])
    assert '<tools>\n{"type": "function", "function": {"name": "calculator"' in text and "Be brief." not in text
    assert ex["tools"] == 1 and ex["drop"] == ""
    assert trained_text(t, ex) == [CALLS_TEXT, "42 and 4.<|im_end|>\n"]


def test_reasoning_budget_never_cuts_inside_a_character(tok):
    """Was: a budget falling between the byte tokens of an emoji or a CJK character trained U+FFFD ('think �')."""
    from students.render import apply_reasoning

    thought = "think 😀🎌 日本語 done"
    cuts = []
    for b in range(1, 14):
        msgs = apply_reasoning(tok, [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "reasoning_content": thought}],
                               "budget", b, native=False)
        cut = msgs[1]["content"].split("\n")[1]
        assert "\ufffd" not in cut and thought.startswith(cut), (b, cut)
        assert len(tok.encode(cut, add_special_tokens=False)) <= b
        cuts.append(cut)
    assert cuts[2] == "think 😀" and cuts[12] == "think 😀🎌 日本語"


def test_a_trace_whose_last_turn_has_null_content_trains_instead_of_stopping_training(tok):
    """Was: an accepted trace ending in {"role": "assistant", "content": null} (a reasoning-only reply) made the
    template fail, and that one row stopped the whole SFT run ('chat template refused a conversation')."""
    t = with_template(tok, ROOT / "recipes/templates/smollm2_tools.jinja")
    trace = [*TRACE[:3], {"role": "assistant", "content": None, "reasoning_content": "done"}]
    (ex,) = encode_sft(t, sft_examples([{**ROW, "completion": json.dumps(trace)}]), 1024)
    assert trained_text(t, ex) == [CALLS_TEXT, "<think>\ndone\n</think>\n<|im_end|>\n"]
    (ex,) = encode_sft(t, sft_examples([{**ROW, "completion": json.dumps([*TRACE[:3], {"role": "assistant", "content": None}])}]), 1024)
    assert trained_text(t, ex) == [CALLS_TEXT, "<|im_end|>\n"]
