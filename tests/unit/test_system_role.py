"""Chat templates without a system role (Gemma's raises "System role not supported"): the system prompt is folded
into the first user turn for the teacher (hf_local), training renders and serve, instead of failing every row."""

from __future__ import annotations

import pytest

from ground.conversation import apply_template, merge_system

# Gemma's rule, on a plain turn format: a system message raises, as Gemma's own template does
NO_SYSTEM = ("{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
             "{% endif %}<turn>{{ m['role'] }}\n{{ m['content'] }}</turn>\n{% endfor %}"
             "{% if add_generation_prompt %}<turn>assistant\n{% endif %}")
MSGS = [{"role": "system", "content": "Answer with a number."}, {"role": "user", "content": "What is 2 + 3?"}]


@pytest.fixture(scope="module")
def tok(tiny_model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path)


def test_merge_system_folds_it_into_the_first_user_turn():
    assert merge_system(MSGS) == [{"role": "user", "content": "Answer with a number.\n\nWhat is 2 + 3?"}]
    assert merge_system(MSGS[1:]) is None and merge_system(MSGS[:1]) is None


def test_a_template_without_a_system_role_renders_the_system_prompt_in_the_user_turn(tok):
    with pytest.raises(Exception, match="System role not supported"):
        tok.apply_chat_template(MSGS, chat_template=NO_SYSTEM, tokenize=False)
    text = apply_template(tok, MSGS, chat_template=NO_SYSTEM, tokenize=False, add_generation_prompt=True)
    assert text == "<turn>user\nAnswer with a number.\n\nWhat is 2 + 3?</turn>\n<turn>assistant\n"
    with pytest.raises(Exception, match="undefined|messages"):  # other template errors still surface
        apply_template(tok, MSGS, chat_template="{{ nope.nope }}", tokenize=False)


def test_hf_local_answers_with_such_a_template(tmp_path):
    from teachers.base import GenRequest, SamplingParams
    from teachers.hf_local import HFLocalTeacher

    t = HFLocalTeacher("t", "smollm2-135m-instruct", chat_template=NO_SYSTEM, threads=1)
    (res,) = t.generate([GenRequest("k", MSGS, SamplingParams(max_tokens=3, temperature=0.0))])
    assert res.error is None and res.tokens_out > 0  # was: every row "chat template failed: System role not supported"
    assert t._render(MSGS)[0].startswith("<turn>user\nAnswer with a number.")


def test_training_renders_fold_it_too(tiny_model_path):
    from transformers import AutoTokenizer

    from students.render import render

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tok.chat_template = NO_SYSTEM  # a student whose own template has no system role
    text = render(tok, MSGS + [{"role": "assistant", "content": "5"}])
    assert text == "<turn>user\nAnswer with a number.\n\nWhat is 2 + 3?</turn>\n<turn>assistant\n5</turn>\n"
