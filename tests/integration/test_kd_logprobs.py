"""Soft-label KD inputs (issue #13): stored top-k logprobs are the raw model distribution, whatever the sampling.

Run: pytest -q tests/integration/test_kd_logprobs.py
"""

import math

import pytest

from teachers.base import GenRequest, SamplingParams

pytestmark = pytest.mark.integration

MODEL = "smollm2-135m-instruct"


def test_hf_local_stores_raw_topk_when_sampling_is_warped():
    """Sampled at temperature 0.7 / top_p 0.5, the stored top-5 equals log_softmax of a separate plain forward pass."""
    import torch

    from factory.models import load_causal_lm
    from teachers.hf_local import HFLocalTeacher

    msgs = [{"role": "user", "content": "Name three colours of the rainbow."}]
    p = SamplingParams(max_tokens=12, temperature=0.7, top_p=0.5, seed=5, top_logprobs=5)
    (g,) = HFLocalTeacher(name="t", model=MODEL, threads=1).generate([GenRequest("k", msgs, p)])
    assert g.error is None and g.tokens_out == len(g.top_logprobs) > 0
    assert g.logprobs_meta == {"source": "hf_local", "raw": True, "temperature": 0.7, "top_p": 0.5, "token": "id"}

    model, tok = load_causal_lm(MODEL)
    prompt = tok(tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True), add_special_tokens=False)["input_ids"]
    gen = tok(g.text, add_special_tokens=False)["input_ids"]
    assert len(gen) == g.tokens_out  # precondition: the text re-tokenises to as many ids as were sampled
    with torch.inference_mode():
        logits = model(torch.tensor([prompt + gen])).logits[0]
    for t, stored in enumerate(g.top_logprobs):
        v, ix = torch.log_softmax(logits[len(prompt) - 1 + t].float(), -1).topk(5)
        assert [i for i, _ in stored] == ix.tolist(), f"token {t}"
        assert all(math.isfinite(lp) for _, lp in stored)
        assert [lp for _, lp in stored] == pytest.approx(v.tolist(), abs=1e-4), f"token {t}"
