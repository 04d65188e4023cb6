"""The factory's streaming job with a ``vllm`` teacher as ray.data.llm stages (``options.processor: true``), on a GPU.

Run on a GPU machine: pytest -q tests/gpu/test_vllm_stage.py      (skipped elsewhere, see conftest.py)
The CPU side of the wiring (which stages get built, the row mapping) is tests/unit/test_vllm_stage.py.
"""

import importlib.util
import json

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                                reason="needs an NVIDIA GPU and vllm (pip install 'distill-factory[gpu]'): vllm is not installed")

RECIPE = {
    "name": "vllm_stage", "source": {"path": "src.jsonl", "fields": {"prompt": "q", "id": "id"}}, "prompt": {"template": "t.txt"},
    "teacher": {"name": "v", "engine": "vllm", "model": "smollm2-135m-instruct", "n": 2, "num_gpus": 1, "batch_size": 4,
                "sampling": {"max_tokens": 16, "temperature": 0.7, "top_p": 0.9, "seed": 1, "top_logprobs": 2},
                "options": {"processor": True, "gpu_memory_utilization": 0.3, "max_model_len": 1024,
                            "engine_kwargs": {"enforce_eager": True}}},
    "output": {"dir": "runs", "shard_size": 3},
}


def test_stream_chunks_through_the_processor_stage(tmp_path):
    pytest.importorskip("ray.data.llm", reason="needs Ray's llm extra (pip install 'distill-factory[gpu]')")
    from factory.executor import stream_chunks
    from factory.recipe import load_recipe
    from factory.store import RunStore
    from teachers.cache import RequestCache

    recs = [{"id": f"q{i}", "q": f"What is {i} + 1?"} for i in range(4)]
    recs += [{"id": "long", "q": "word " * 3000}, {"id": "bad"}]  # over max_model_len (engine error); no prompt (source)
    (tmp_path / "src.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    (tmp_path / "t.txt").write_text("{{ prompt }}")
    (tmp_path / "r.yaml").write_text(json.dumps(RECIPE))
    recipe = load_recipe(str(tmp_path / "r.yaml"))
    store = RunStore(str(tmp_path / "runs"), recipe.name, "r1")
    info = stream_chunks(recipe, store, str(tmp_path / "cache"))
    assert (info["chunks_total"], info["rows_pending"]) == (2, 12) and store.done_chunks() == {0, 1}
    rows = {(r["prompt_id"], r["sample_index"]): r for r in store.read_chunks([0, 1])}
    assert len(rows) == 12
    for i in range(4):
        for k in range(2):
            r = rows[(f"q{i}", k)]
            assert r["status"] == "accepted" and r["completion"] and 0 < r["tokens_out"] <= 16, r
            assert r["model"] == "smollm2-135m-instruct" and json.loads(r["params"])["seed"] == 1000 + k
            assert len(json.loads(r["teacher_topk"])) == r["tokens_out"]
            assert json.loads(r["teacher_topk_meta"])["raw"] is True
    assert {(r["reject_stage"], r["reject_reason"][:5]) for (p, _), r in rows.items() if p == "long"} == {("generate", "vllm:")}
    assert {r["reject_stage"] for (p, _), r in rows.items() if p not in {f"q{i}" for i in range(4)} | {"long"}} == {"source"}
    # every generated row is in the request cache under its key; the failed ones are not (a re-run retries them)
    got = RequestCache(str(tmp_path / "cache")).get_many([r["request_key"] for r in rows.values()])
    assert set(got) == {r["request_key"] for r in rows.values() if r["status"] == "accepted"}
