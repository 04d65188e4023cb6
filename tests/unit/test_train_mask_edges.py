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
