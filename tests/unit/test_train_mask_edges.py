"""Which tokens training trains, on data the other tests do not use: chat templates of other families set on the
bundled student's tokenizer (written here as strings), answers that start with whitespace or punctuation, and KD
rows whose stored teacher top-k do not line up with the student's tokenisation. Everything is checked on labels
and masks (no training)."""

import json

import pytest

from students.render import encode_conversation, render
from tests.unit.test_chat_render import trained_text as trained

MISTRAL = ("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + "
           "' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}")
LLAMA3 = ("{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' "
          "+ message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}"
          "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}")
CONVO = [{"role": "user", "content": "Hi 日本?"}, {"role": "assistant", "content": "**Hello** 😀 there"},
         {"role": "user", "content": "again"}, {"role": "assistant", "content": "(ok) — fine."}]


@pytest.fixture(scope="module")
def tok(tiny_model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path)


def templated(tok, template: str):
    t = tok.__class__.from_pretrained(tok.name_or_path)
    t.chat_template = template
    return t


def context_before_turn(ex: dict, n: int) -> list[int]:
    """The ids before the ``n``-th trained span: what the student is given when it starts that turn."""
    starts = [i for i, m in enumerate(ex["assistant_masks"]) if m and (i == 0 or not ex["assistant_masks"][i - 1])]
    return ex["input_ids"][:starts[n]]


def test_a_token_merging_template_markup_with_the_answer_is_cut_at_the_turn_boundary(tok):
    """Was: the conversation was tokenised whole, so with a Mistral-style template "[/INST]" + "(ok)" gave the token
    "](", which starts before the answer: the answer's "(" was never trained, and the student learnt its replies after
    a token ("](") that the prompt at inference, tokenised on its own, never ends with."""
    t = templated(tok, MISTRAL)
    first, second = encode_conversation(t, CONVO[:2]), encode_conversation(t, CONVO)
    assert trained(t, second[0]) == ["**Hello** 😀 there<|im_end|>", "(ok) — fine.<|im_end|>"]
    prompt = t(render(t, CONVO[:3], generation=True), add_special_tokens=False)["input_ids"]
    assert context_before_turn(second[0], 1) == prompt  # exactly the prompt as inference tokenises it
    assert trained(t, first[0]) == ["**Hello** 😀 there<|im_end|>"]


def test_markup_that_is_not_a_special_token_is_never_trained(tok):
    """Was: with a Llama-3-style template whose header markup is plain text for this tokenizer, "<|eot_id|>" + "<|start"
    merged into "><" and the next header's "<" was trained as part of the answer."""
    t = templated(tok, LLAMA3)
    (ex,) = encode_conversation(t, CONVO)
    assert trained(t, ex) == ["**Hello** 😀 there<|eot_id|>", "(ok) — fine.<|eot_id|>"]
    assert t.decode(ex["input_ids"]) == render(t, CONVO)


@pytest.mark.parametrize("answer", ["\n\nHello", "  42", " \n"])
def test_an_answer_starting_with_whitespace_trains_all_of_it(tok, answer):
    """Was: with the student's own ChatML template the template's "\\n" and the answer's leading whitespace became one
    token that starts before the answer: "\\n\\nHello" trained "\\nHello", "  42" trained " 42"."""
    (ex,) = encode_conversation(tok, [{"role": "user", "content": "q"}, {"role": "assistant", "content": answer}])
    assert trained(tok, ex) == [answer + "<|im_end|>\n"]
    assert context_before_turn(ex, 0) == tok(render(tok, [{"role": "user", "content": "q"}], generation=True))["input_ids"]


# ---- KD: stored teacher top-k against the student's tokenisation ------------------------------------------------
def kd_soft(tok, completion: str, teacher_ids: list[int]) -> tuple[list[tuple[str, str]], bool]:
    """(label token, teacher's top-1 at that position) per completion position with a soft label; misaligned flag."""
    from students.kd import encode

    topk = [[[t, -0.1], [0, -3.0]] for t in teacher_ids]  # the sampled token first, as a greedy teacher stores it
    f, mis = encode({"prompt": [{"role": "user", "content": "2+2?"}], "completion": completion, "topk": topk}, tok, 128)
    return [(tok.decode([lab]), tok.decode([e[0][0]])) for lab, e in zip(f["labels"], f["topk"]) if e], mis


def test_kd_soft_labels_stop_where_the_teacher_s_tokens_and_the_student_s_part(tok):
    """Was: a row whose re-tokenised completion differs in length from its stored top-k was counted as misaligned but
    still got the teacher's t-th entry at every position t < min(lengths): past the first difference each soft label
    described another token (a reasoning teacher: every one of them)."""
    ids = tok("It is 4. Done", add_special_tokens=False)["input_ids"]
    # reasoning: the teacher wrote "two plus two\n</think>\n\nIt is 4."; the row stores it split, KD re-joins it
    teacher = tok("two plus two\n</think>\n\nIt is 4.", add_special_tokens=False)["input_ids"]
    assert kd_soft(tok, "<think>\ntwo plus two\n</think>\nIt is 4.", teacher) == ([], True)
    # the teacher sampled " Done" as " Do" + "ne": the entries before it are the student's, none after
    split = [*ids[:-1], *tok(" Do", add_special_tokens=False)["input_ids"], *tok("ne", add_special_tokens=False)["input_ids"]]
    assert len(split) == len(ids) + 1
    assert kd_soft(tok, "It is 4. Done", split) == ([("It", "It"), (" is", " is"), (" ", " "), ("4", "4"), (".", ".")], True)
    # a stop string cut from the text: the stored top-k run on past it, the completion's own positions all line up
    assert kd_soft(tok, "It is 4.", ids) == ([("It", "It"), (" is", " is"), (" ", " "), ("4", "4"), (".", ".")], True)
    same = kd_soft(tok, "It is 4. Done", ids)
    assert len(same[0]) == len(ids) and not same[1]


# ---- rows other than plain strings -----------------------------------------------------------------------------
def sft_one(messages: list[dict], completion: str = "4") -> dict:
    from students.sft_data import _one

    (ex,) = _one({"messages": json.dumps(messages), "completion": completion}, "smollm2-135m-instruct", None, 256, "keep", None, False)
    return ex


def test_content_parts_and_null_contents_train_as_the_student_is_served(tok):
    """Was: a prompt in OpenAI content parts ([{"type": "text", "text": ...}], which curation reads as text) or a user
    turn with null content raised a raw TypeError / jinja UndefinedError inside the Ray map: one such accepted row
    stopped the whole SFT run with a Ray traceback. Text parts are joined (as factory serve joins them), null is ""."""
    from ground.errors import FactoryError
    from students.kd import kd_examples

    parts = [{"role": "user", "content": [{"type": "text", "text": "2+2"}, {"type": "text", "text": "?"}]}]
    ex = sft_one(parts)
    assert ex["drop"] == "" and ex["input_ids"] == sft_one([{"role": "user", "content": "2+2?"}])["input_ids"]
    assert tok.decode(ex["input_ids"]).endswith("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n")
    ex = sft_one([{"role": "system", "content": None}, {"role": "user", "content": None}])
    assert tok.decode(ex["input_ids"]) == "<|im_start|>system\n<|im_end|>\n<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
    assert trained(tok, ex) == ["4<|im_end|>\n"]
    with pytest.raises(FactoryError, match=r"^train: messages\[0\]\.content has a 'image_url' part; only text parts can be trained$"):
        sft_one([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])
    row = {"id": "r1", "prompt_id": "p", "messages": json.dumps(parts), "completion": "4", "teacher_topk": "[[[19, -0.1]]]",
           "teacher_topk_meta": json.dumps({"raw": True})}
    assert kd_examples([row])[0]["prompt"] == [{"role": "user", "content": "2+2?"}]


def test_reasoning_drop_or_budget_is_refused_for_methods_that_would_ignore_it():
    """Was: accepted and ignored: with method dpo (sft_first included) or kd, train.reasoning: drop still trained on the
    teacher's <think> spans (DPO sides and KD targets join the reasoning in as it is)."""
    from pydantic import ValidationError

    from factory.recipe import TrainConfig

    for method in ("dpo", "kd", "onpolicy"):
        with pytest.raises(ValidationError, match=rf"reasoning: drop is supported for method: sft only \(method is {method}, "):
            TrainConfig(student="s", method=method, reasoning="drop")
    with pytest.raises(ValidationError, match=r"reasoning: budget is supported for method: sft only \(method is kd, "):
        TrainConfig(student="s", method="kd", reasoning="budget", reasoning_budget=8)
    assert TrainConfig(student="s", method="sft", reasoning="drop").reasoning == "drop"
    assert TrainConfig(student="s", method="dpo").reasoning == "keep"


def test_dpo_tool_mask_still_finds_trl_s_whole_text_tokens_when_a_turn_edge_is_straddled(tok):
    """TRL's DPO tokenises prompt + side whole; the mask of a tool pair whose reply starts with newlines (a token across
    the turn's edge) is found on that tokenisation, not given up (the SFT render cuts there, TRL does not)."""
    from students.dpo_mask import completion_keep
    from tests.conftest import ROOT

    t = templated(tok, (ROOT / "recipes/templates/smollm2_tools.jinja").read_text())
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": {"expression": "6*7"}}}
    prompt = [{"role": "user", "content": "6*7?"}]
    side = [{"role": "assistant", "content": "\n\nChecking.", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "RESULT-42"}, {"role": "assistant", "content": "It is 42."}]
    p = t(render(t, prompt, generation=True), add_special_tokens=False)["input_ids"]
    full = t(render(t, prompt + side), add_special_tokens=False)["input_ids"]
    n = next(i for i, (a, b) in enumerate(zip(p, full)) if a != b)  # TRL: the prompt ends where the two part
    assert n < len(p)
    keep = completion_keep(t, prompt, side, None, full[:n], full[n:])
    kept = t.decode([x for x, k in zip(full[n:], keep) if k])
    assert "Checking." in kept and "It is 42.<|im_end|>" in kept and "RESULT-42" not in kept


def test_onpolicy_keeps_the_history_of_a_multi_turn_prompt():
    """Was: on-policy removed every assistant message from the prompt, so a multi-turn source's history
    (user, assistant, user) was sampled and scored as (user, user): the student learnt on conversations that never
    happened. Only trailing assistant turns go (sources strip them already)."""
    from students.onpolicy import prompts_of

    convo = [{"role": "system", "content": "S"}, {"role": "user", "content": "Name a colour."},
             {"role": "assistant", "content": "Blue."}, {"role": "user", "content": "Another?"}]
    rows = [{"prompt_id": "p", "sample_index": 1, "messages": json.dumps(convo)},
            {"prompt_id": "p", "sample_index": 0, "messages": json.dumps([*convo, {"role": "assistant", "content": "Red."}])}]
    assert prompts_of(rows) == [{"prompt": convo, "teacher_prompt": convo, "prompt_id": "p"}]


def test_a_constitutional_pair_differing_only_in_surrounding_whitespace_is_no_pair():
    """Was: revised "Paris." against initial "Paris.\\n" (the critic counted fewer violations) made a DPO pair whose
    sides are the same answer: chosen == rejected once a template trims content (Llama-3 style), a pure-noise margin
    under ChatML. Verifier pairs already compared stripped texts."""
    from verifiers.constitution import dpo_example

    def row(initial, revised):
        crit = [{"round": 0, "response": initial, "violated": ["honest"], "error": None},
                {"round": 1, "response": revised, "violated": [], "error": None}]
        return {"messages": json.dumps([{"role": "user", "content": "Capital of France?"}]),
                "details": {"initial": initial, "revised": revised, "rounds": 1, "critiques": crit}}

    assert dpo_example(row("Paris.\n", "Paris.")) is None and dpo_example(row("Paris.", "  Paris. ")) is None
    assert dpo_example(row("Lyon.", "Paris."))["chosen"] == [{"role": "assistant", "content": "Paris."}]


def test_kd_drops_an_empty_answer_and_names_why_when_nothing_is_left(tok):
    """Was: a KD row whose completion is only whitespace was trained (its one target: eos, teaching the student to stop
    at once; SFT already dropped such rows), and a KD run with no example left started the trainer on nothing."""
    from ground.errors import FactoryError
    from students.kd_data import _one
    from students.sft_data import none_left

    meta = json.dumps({"source": "hf_local", "raw": True, "temperature": 1.0, "top_p": 1.0, "token": "id"})
    row = {"id": "r1", "prompt_id": "p", "messages": json.dumps([{"role": "user", "content": "2+2?"}]), "teacher_topk_meta": meta}
    empty = _one({**row, "completion": " \n", "teacher_topk": json.dumps([[[216, -0.1]]])}, "smollm2-135m-instruct", 64, False)
    assert (empty["drop"], empty["input_ids"]) == ("empty", [])
    four = tok("4", add_special_tokens=False)["input_ids"]
    ok = _one({**row, "completion": "4", "teacher_topk": json.dumps([[[t, -0.1]] for t in four])}, "smollm2-135m-instruct", 64, False)
    assert ok["drop"] == "" and ok["labels"][-2:] == [*four, tok.eos_token_id]
    with pytest.raises(FactoryError, match=r"^train: no KD example left to train on 3 rows \(2 with an empty answer, "
                                           r"1 without a prompt or completion\)$"):
        none_left({"rows": 3, "drop:empty": 2, "drop:skipped": 1}, 3, "KD")
