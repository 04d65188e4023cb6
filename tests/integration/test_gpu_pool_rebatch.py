"""A teacher pool that asks for GPUs re-batches rows (Ray Data needs a batch size there), so its chunks reach the
buffering writer: checked end to end on CPU with a logical GPU Ray is told about (hf_local runs on the CPU).

Run: pytest -q -m slow tests/integration/test_gpu_pool_rebatch.py      (about 2 minutes on a loaded 2-core box)
"""

import json

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_routed_recipe_with_a_gpu_pool_writes_every_chunk_whole(tmp_path):
    import ray

    from factory.executor import stream_chunks
    from factory.recipe import load_recipe
    from factory.store import RunStore

    (tmp_path / "src.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "q": f"{i}+1=?", "c": "a" if i % 2 else "b"}) + "\n"
                                                for i in range(5)))
    (tmp_path / "t.txt").write_text("{{ prompt }}")
    tiny = {"engine": "hf_local", "model": "smollm2-135m-instruct", "options": {"threads": 1}}
    rec = {"name": "gpu_pool", "source": {"path": "src.jsonl", "fields": {"prompt": "q", "id": "id", "category": "c"}},
           "prompt": {"template": "t.txt"}, "output": {"dir": str(tmp_path / "runs"), "shard_size": 2},
           "teacher": {**tiny, "name": "a", "n": 2, "num_gpus": 1, "batch_size": 3, "sampling": {"max_tokens": 3}},
           "teachers": [{**tiny, "name": "b", "sampling": {"max_tokens": 2}}], "route": {"field": "c", "map": {"b": "b"}}}
    (tmp_path / "r.yaml").write_text(json.dumps(rec))
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=4, num_gpus=1, include_dashboard=False, configure_logging=False, log_to_driver=False)  # a logical GPU
    try:
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        store = RunStore(recipe.output.dir, recipe.name, "x")
        info = stream_chunks(recipe, store, str(tmp_path / "cache"))
    finally:
        ray.shutdown()
    assert (info["chunks_total"], info["rows_pending"], info["teacher_calls"]) == (3, 7, 7)
    rows = store.read_chunks(sorted(store.done_chunks()))
    assert store.done_chunks() == {0, 1, 2} and len(rows) == 7
    # records 1, 3 go to "a" (n=2, 3 tokens), 0, 2, 4 to "b" (n=1, 2 tokens); each chunk holds its 2 records' rows
    assert sorted((r["prompt_id"], r["teacher"], r["tokens_out"]) for r in rows) == sorted(
        [(f"q{i}", "a", 3) for i in (1, 3) for _ in range(2)] + [(f"q{i}", "b", 2) for i in (0, 2, 4)])
    assert sorted((r["chunk"], r["prompt_id"]) for r in rows if r["sample_index"] == 0) == [(0, "q0"), (0, "q1"), (1, "q2"), (1, "q3"), (2, "q4")]


def test_verify_and_filter_pools_with_gpus_take_their_batch_size(tmp_path):
    """A verify pool (e.g. a judge with its own engine) and a filter pool asking for GPUs: Ray Data needs a fixed
    batch size there (execution.<pool>.batch_size); the chunks re-batch and still reach the writer whole."""
    import ray

    from factory.executor import stream_chunks
    from factory.recipe import load_recipe
    from factory.store import RunStore
    from tests.faults.fault_server import FaultInjectingServer

    (tmp_path / "src.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i} + 1?", "answer": str(i + 1)}) + "\n"
                                                for i in range(7)))
    (tmp_path / "t.txt").write_text("{prompt}")
    with FaultInjectingServer(answer="arith") as srv:
        rec = {"name": "gpu_verify", "source": {"path": "src.jsonl", "fields": {"prompt": "question", "id": "id", "reference": "answer"}},
               "prompt": {"template": "t.txt"}, "output": {"dir": str(tmp_path / "runs"), "shard_size": 3},
               "teacher": {"name": "t", "engine": "openai_compat", "model": "scripted", "n": 2,
                           "options": {"base_url": srv.base_url}},
               "verifiers": [{"name": "math_answer"}], "filters": {"length": {"max_completion": 64}},
               "execution": {"verify": {"num_gpus": 0.5, "batch_size": 2}, "filters": {"num_gpus": 0.5, "batch_size": 5}}}
        (tmp_path / "r.yaml").write_text(json.dumps(rec))
        if ray.is_initialized():
            ray.shutdown()
        ray.init(num_cpus=4, num_gpus=1, include_dashboard=False, configure_logging=False, log_to_driver=False)  # logical GPUs
        try:
            recipe = load_recipe(str(tmp_path / "r.yaml"))
            store = RunStore(recipe.output.dir, recipe.name, "x")
            info = stream_chunks(recipe, store, None)
        finally:
            ray.shutdown()
    assert (info["chunks_total"], info["rows_pending"]) == (3, 14)
    rows = store.read_chunks(sorted(store.done_chunks()))
    assert store.done_chunks() == {0, 1, 2} and len(rows) == 14
    assert all('"math_answer"' in (r["verdicts"] or "") for r in rows)  # every row went through the GPU verify pool
    assert sorted((r["chunk"], r["prompt_id"]) for r in rows if r["sample_index"] == 0) == [
        (0, "q0"), (0, "q1"), (0, "q2"), (1, "q3"), (1, "q4"), (1, "q5"), (2, "q6")]


def test_finalize_pool_with_gpus_writes_accepted_and_rejects(tmp_path):
    """A finalize pool asking for GPUs (e.g. an embedding decontamination on its own device): Ray Data refuses
    batch_size=None there; the pool takes one chunk reference per batch and reads the chunk itself, so every
    chunk is still finalised whole and the accepted/rejected split is the CPU run's."""
    import ray

    from factory.pipeline import run_recipe
    from tests.faults.fault_server import FaultInjectingServer

    (tmp_path / "src.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i % 4} + 1?", "answer": str(i % 4 + 1)}) + "\n"
                                                for i in range(8)))
    (tmp_path / "t.txt").write_text("{prompt}")
    with FaultInjectingServer(answer="arith") as srv:
        rec = {"name": "gpu_finalize", "source": {"path": "src.jsonl", "fields": {"prompt": "question", "id": "id", "reference": "answer"}},
               "prompt": {"template": "t.txt"}, "output": {"dir": str(tmp_path / "runs"), "shard_size": 3},
               "teacher": {"name": "t", "engine": "openai_compat", "model": "scripted", "n": 1, "options": {"base_url": srv.base_url}},
               "verifiers": [{"name": "math_answer"}], "dedup": {"exact": {"enabled": True, "on": "prompt"}},
               "execution": {"finalize": {"num_gpus": 0.5, "num_cpus": 0.5}}}
        (tmp_path / "r.yaml").write_text(json.dumps(rec))
        if ray.is_initialized():
            ray.shutdown()
        ray.init(num_cpus=4, num_gpus=1, include_dashboard=False, configure_logging=False, log_to_driver=False)  # a logical GPU
        try:
            res = run_recipe(str(tmp_path / "r.yaml"), run_id="x", skip_train=True, skip_eval=True)
        finally:
            ray.shutdown()
    import pyarrow.parquet as pq

    from pathlib import Path

    assert res.status == "succeeded"
    acc = pq.read_table(str(Path(res.run_dir) / "accepted")).to_pylist()
    rej = pq.read_table(str(Path(res.run_dir) / "rejects")).to_pylist()
    # 8 prompts, 4 distinct texts: exact dedup on the prompt keeps one of each, the other 4 are its duplicates
    assert sorted(r["prompt_id"] for r in acc) == ["q0", "q1", "q2", "q3"]
    assert sorted((r["prompt_id"], r["reject_stage"]) for r in rej) == [(f"q{i}", "dedup_exact") for i in range(4, 8)]
