"""The ``vllm`` engine on a real GPU with the bundled SmolLM2-135M (a Llama architecture vLLM loads from its local dir).

Run on a GPU machine: pytest -q tests/gpu/test_vllm.py      (skipped elsewhere, see conftest.py)
"""

import importlib.util
import json

import pytest

from ground.record import new_sample
from teachers.step import GenerateStep, sampling_params
from teachers.base import GenRequest, SamplingParams

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                                reason="needs an NVIDIA GPU and vllm (pip install 'distill-factory[gpu]'): vllm is not installed")

MODEL = "smollm2-135m-instruct"
OPTS = dict(gpu_memory_utilization=0.3, max_model_len=2048, engine_kwargs={"enforce_eager": True})


@pytest.fixture(scope="module")
def teacher():
    from teachers.registry import make_teacher

    t = make_teacher("vllm", "t", MODEL, **OPTS)
    yield t
    t.close()


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_greedy_generation(teacher):
    reqs = [GenRequest(str(i), user(q), SamplingParams(max_tokens=32)) for i, q in enumerate(["What is 2+2?", "Name a colour."])]
    out = teacher.generate(reqs)
    again = teacher.generate(reqs)
    assert len(out) == 2
    for o in out:
        assert o.error is None and o.text.strip()
        assert o.finish_reason in ("stop", "length") and o.tokens_in > 5 and 0 < o.tokens_out <= 32
    assert [o.text for o in out] == [o.text for o in again]  # greedy is deterministic


def test_top_logprobs_shape(teacher):
    o = teacher.generate([GenRequest("k", user("Count to five."), SamplingParams(max_tokens=12, top_logprobs=3))])[0]
    assert o.error is None and len(o.top_logprobs) == o.tokens_out > 0
    for step in o.top_logprobs:
        assert len(step) == 3 and all(isinstance(t, int) and lp <= 0 for t, lp in step)
        assert [lp for _, lp in step] == sorted((lp for _, lp in step), reverse=True)


def test_top_logprobs_are_raw_under_warped_sampling(teacher):
    """Sampled at temperature 0.7 / top_p 0.5, the first token's stored top-5 is the prompt's plain next-token
    distribution (an fp32 transformers forward pass; loose tolerance for the GPU's half precision), never -inf."""
    import torch

    from ground.models import load_causal_lm

    msgs = user("Name three colours of the rainbow.")
    p = SamplingParams(max_tokens=8, temperature=0.7, top_p=0.5, seed=5, top_logprobs=5)
    o = teacher.generate([GenRequest("k", msgs, p)])[0]
    assert o.error is None and o.logprobs_meta == {"source": "vllm", "raw": True, "temperature": 0.7, "top_p": 0.5, "token": "id"}
    assert all(-1e4 < lp <= 0 for step in o.top_logprobs for _, lp in step)
    model, tok = load_causal_lm(MODEL)
    ids = tok(tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True), add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        v, ix = torch.log_softmax(model(torch.tensor([ids])).logits[0, -1].float(), -1).topk(5)
    assert [t for t, _ in o.top_logprobs[0]][:2] == ix.tolist()[:2]
    assert [lp for _, lp in o.top_logprobs[0]][:2] == pytest.approx(v.tolist()[:2], abs=0.05)


def test_n_samples_differ_and_reproduce(teacher):
    base = dict(max_tokens=24, temperature=1.0, top_p=1.0, seed=3)
    reqs = [GenRequest(f"k{k}", user("Write a short poem line."), sampling_params(base, k), k) for k in range(4)]
    a, b = teacher.generate(reqs), teacher.generate(reqs)
    assert all(o.error is None and o.text for o in a)
    assert len({o.text for o in a}) >= 2  # 4 samples with 4 seeds are not one sample 4 times
    assert [o.text for o in a] == [o.text for o in b]  # each row's seed makes it reproducible


def test_stop_string(teacher):
    o = teacher.generate([GenRequest("k", user("List three fruits, one per line."), SamplingParams(max_tokens=64, stop=("\n",)))])[0]
    assert o.error is None and "\n" not in o.text and o.finish_reason == "stop"


def test_bad_row_fails_alone(teacher):
    long = user("word " * 4000)  # > max_model_len 2048
    out = teacher.generate([GenRequest("a", user("Hi"), SamplingParams(max_tokens=8)), GenRequest("b", long, SamplingParams(max_tokens=8))])
    assert out[0].error is None and out[0].text
    assert out[1].finish_reason == "error" and out[1].error.startswith("vllm:")


def test_generate_step_with_vllm_engine(tmp_path):
    cfg = dict(engine="vllm", name="t", model=MODEL, options=OPTS, sampling=dict(max_tokens=16, top_logprobs=2), prices={})
    step = GenerateStep(cfg, cache_uri=str(tmp_path / "cache"))  # the pipeline's own step: one engine, as in a Ray actor
    rows = [new_sample(stage="s", prompt_id=f"p{i}", sample_index=0, messages=user(f"{i}+1=?"), request_key=f"k{i}")
            for i in range(3)]
    try:
        rows = step(rows)
    finally:
        step.close()
    for r in rows:
        assert r["status"] == "accepted" and r["completion"] and r["tokens_out"] > 0
        assert len(json.loads(r["teacher_topk"])) == r["tokens_out"]


def test_ray_data_llm_processor(tmp_path):
    pytest.importorskip("ray.data.llm", reason="needs Ray's llm extra (pip install 'distill-factory[gpu]')")
    import ray

    from ground.record import from_table, to_table
    from teachers.vllm_engine import build_vllm_processor

    params = json.dumps(dict(max_tokens=16, temperature=0.0, top_p=1.0, seed=0, stop=[], top_logprobs=0), sort_keys=True)
    rows = [new_sample(stage="s", prompt_id=f"p{i}", sample_index=0, messages=user(f"{i}+1=?"), params=params) for i in range(4)]
    proc = build_vllm_processor(dict(name="t", model=MODEL, options=OPTS), batch_size=4)
    out = proc(ray.data.from_arrow(to_table(rows))).take_all()
    got = from_table(to_table(out))
    assert sorted(r["prompt_id"] for r in got) == ["p0", "p1", "p2", "p3"]
    assert all(r["completion"] and r["tokens_out"] > 0 and r["params"] == params for r in got)
