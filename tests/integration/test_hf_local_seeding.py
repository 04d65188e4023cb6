"""hf_local samples each row from its own stream seeded by the row's request seed (issue #12): the same
(prompt, seed) gives the same text alone, in a batch with other prompts, and under another ``batch_size``.

Real tiny model (smollm2-135m-instruct) on CPU. Run: pytest -q tests/integration/test_hf_local_seeding.py
"""

import pytest

from teachers.base import GenRequest
from teachers.step import sampling_params

pytestmark = pytest.mark.integration

MODEL = "smollm2-135m-instruct"
SAMPLING = {"max_tokens": 12, "temperature": 0.9, "top_p": 0.95, "seed": 1}


def req(question: str, sample_index: int, **over) -> GenRequest:
    p = sampling_params({**SAMPLING, **over}, sample_index)  # seed = 1 * 1000 + sample_index, as the pipeline builds it
    return GenRequest(f"{question}#{sample_index}", [{"role": "user", "content": question}], p, sample_index)


TARGET = "Write one sentence about the sea."
OTHERS = ["What is 17 + 25? Answer with the number.", "Hi", "List three fruits, separated by commas, and say why you like them.",
          "Translate 'good morning' to French.", "Name a prime number bigger than 50."]


@pytest.fixture(scope="module")
def teachers():
    from teachers.hf_local import HFLocalTeacher

    return HFLocalTeacher(name="t", model=MODEL, threads=1, batch_size=4), HFLocalTeacher(name="t", model=MODEL, threads=1, batch_size=3)


def test_sample_text_is_independent_of_batch_and_batch_size(teachers):
    t4, t3 = teachers
    (alone,) = t4.generate([req(TARGET, 3)])
    # a batch of 4 with other prompts of other lengths (other left padding) and other sample indices
    mixed = t4.generate([req(OTHERS[0], 0), req(OTHERS[1], 5), req(TARGET, 3), req(OTHERS[2], 1)])
    # batch_size 3 over 6 requests: the target shares its generate call with other rows, at another position
    small = t3.generate([req(o, i) for i, o in enumerate(OTHERS)] + [req(TARGET, 3)])
    assert alone.error is None and alone.tokens_out > 0
    assert mixed[2].text == alone.text and mixed[2].tokens_out == alone.tokens_out
    assert small[5].text == alone.text and small[5].tokens_out == alone.tokens_out
    # the other rows are reproducible too: OTHERS[0] at sample index 0 in both batches
    assert small[0].text == mixed[0].text


def test_sample_indices_differ_and_greedy_stays_greedy(teachers):
    t4, _ = teachers
    s3, s4, g = t4.generate([req(TARGET, 3), req(TARGET, 4), req(TARGET, 0, temperature=0.0)])
    assert s3.text != s4.text  # two sample indices of one prompt: two streams
    (g_alone,) = t4.generate([req(TARGET, 7, temperature=0.0)])  # greedy ignores the seed
    assert g.text == g_alone.text and g.text not in (s3.text, s4.text)


def test_a_prompt_past_the_context_is_refused_alone_and_the_others_are_answered(teachers):
    """The model's own context (max_position_embeddings, 8192 for SmolLM2) unless max_model_len says less: a longer row
    would run for many minutes on CPU and compute garbage past the trained positions."""
    from teachers.hf_local import HFLocalTeacher

    t4, _ = teachers
    assert t4.max_model_len == 8192
    long = "What is 1 + 1? " + "blah " * 9000
    outs = t4.generate([req(OTHERS[0], 0, temperature=0.0), req(long, 0, temperature=0.0), req(OTHERS[1], 0, temperature=0.0)])
    assert outs[1].finish_reason == "error" and outs[1].error.startswith("prompt too long for the model: ")
    assert outs[1].error.endswith(" tokens + max_tokens 12 > context 8192") and outs[1].tokens_in > 8192
    assert [o.error for o in (outs[0], outs[2])] == [None, None] and outs[0].text and outs[2].text
    small = HFLocalTeacher(name="t", model=MODEL, threads=1, max_model_len=40)
    (o,) = small.generate([req(OTHERS[2], 0, temperature=0.0)])
    assert o.error is not None and o.error.endswith(" + max_tokens 12 > context 40")
