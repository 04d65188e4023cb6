"""The vllm teacher as ray.data.llm stages: which stage the executor builds, and the row mapping around it.

Run: pytest -q tests/unit/test_vllm_stage.py      (the engine itself runs in tests/gpu/test_vllm.py)
Nothing here imports vLLM: the processor's stages are built (ray[llm]) but never executed.
"""

import json
import sys
import textwrap

import pyarrow.parquet as pq
import pytest

from factory.chunk_writer import BufferedWriteUDF
from factory.executor import build_dataset
from factory.recipe import load_recipe
from ground.record import SCHEMA, from_table, new_sample, reject, to_table
from ground.source import plan_units
from teachers.cache import RequestCache
from teachers.vllm_stage import PASS, processor_input, processor_output, processor_stage, uses_processor

NAMES = ("big", "small")


def cfg(engine="vllm", **opts):
    return {"engine": engine, "name": "big", "model": "smollm2-135m-instruct", "options": opts}


def test_which_teachers_run_as_a_processor():
    assert uses_processor(cfg(processor=True)) is True
    assert uses_processor(cfg()) is False  # default: the per-actor VLLMTeacher path
    assert uses_processor(cfg(processor=False)) is False
    assert uses_processor(cfg("hf_local", threads=2)) is False
    with pytest.raises(ValueError, match=r"teacher 'big': options.processor is for engine vllm only \(engine is 'hf_local'\)"):
        uses_processor(cfg("hf_local", processor=True))
    with pytest.raises(ValueError, match=r"options.processor must be true or false, got 'yes'"):
        uses_processor(cfg(processor="yes"))


def test_processor_stage_refuses_a_fallback_teacher():
    with pytest.raises(ValueError, match=r"teacher 'big': options.processor does not support a fallback teacher \('small'\)"):
        processor_stage({"big": cfg(processor=True), "small": cfg("hf_local")}, "big", None, fallback="small")


def sample(i: int, teacher: str, **kw) -> dict:
    params = json.dumps({"max_tokens": 4, "seed": i, "temperature": 0.0, "top_logprobs": 0}, sort_keys=True)
    return new_sample(stage="s", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": f"{i}?"}], params=params,
                      teacher=teacher, engine="vllm", model="smollm2-135m-instruct", request_key=f"k{i}", chunk=0, **kw)


def engine_output(pre: dict, text: str = "4", error: str = "") -> dict:
    """What the processor's stages add to a row (ray/llm/_internal/batch/stages/vllm_engine_stage.py)."""
    if error:
        return {**pre, "request_id": -1, "params": "", "time_taken_llm": -1, "__inference_error__": error}
    return {**pre, "prompt": "<|im_start|>...", "generated_text": text, "num_generated_tokens": 1, "num_input_tokens": 9,
            "time_taken_llm": 0.25, "params": "SamplingParams(n=1, ...)", "request_id": 0, "__inference_error__": ""}


def test_rows_not_for_this_teacher_pass_through_unchanged(tmp_path):
    rows = [sample(0, "big"), sample(1, "small"), sample(2, "big", cache_hit=True, completion="cached"),
            reject(sample(3, "big"), "source", "bad record"), sample(4, "unrouted-goes-to-default")]
    pre = [processor_input(r, NAMES, "big", "big") for r in rows]
    assert [p[PASS] for p in pre] == [False, True, True, True, False]
    assert all("model" not in p for p in pre)  # the engine stage would read it as a LoRA adapter name
    assert pre[1]["sampling_params"]["max_tokens"] == 1 and pre[0]["sampling_params"]["max_tokens"] == 4
    # one Arrow struct column holds them all: the same keys in every row, or Ray fills the gaps with None
    assert {tuple(sorted(p["sampling_params"])) for p in pre} == {("logprobs", "max_tokens", "n", "seed", "stop", "temperature", "top_p")}
    cache = RequestCache(str(tmp_path / "cache"))
    out = processor_output([engine_output(p) for p in pre], 0.0, cache)
    for i in (1, 2, 3):
        assert out[i] == {k: rows[i][k] for k in SCHEMA.names}, i  # byte for byte, the dummy answer dropped
    assert [out[i]["completion"] for i in (0, 4)] == ["4", "4"]
    assert (out[0]["tokens_in"], out[0]["gen_seconds"], out[0]["model"]) == (9, 0.25, "smollm2-135m-instruct")
    assert to_table(out).num_rows == 5
    got = RequestCache(str(tmp_path / "cache")).get_many(["k0", "k1", "k4"])  # a re-run's CacheUDF reads these back
    assert sorted(got) == ["k0", "k4"] and got["k0"]["text"] == "4" and got["k0"]["tokens_in"] == 9


def test_a_failed_row_is_rejected_at_generate_and_not_cached(tmp_path):
    pre = processor_input(sample(0, "big"), NAMES, "big", "big")
    out = processor_output([engine_output(pre, error="prompt too long")], 0.0, RequestCache(str(tmp_path / "c")))
    assert (out[0]["status"], out[0]["reject_stage"], out[0]["reject_reason"]) == ("rejected", "generate", "vllm: prompt too long")
    assert out[0]["completion"] is None and out[0]["messages"] == sample(0, "big")["messages"]
    assert len(RequestCache(str(tmp_path / "c"))) == 0


def test_buffered_writer_waits_for_the_whole_chunk(tmp_path):
    rows = [sample(i, "big") for i in range(3)]
    w = BufferedWriteUDF(str(tmp_path), {0: 3})
    assert w(to_table(rows[2:])).num_rows == 0 and not (tmp_path / "chunks").exists()
    s = w(to_table(rows[:2]))
    assert s.to_pylist() == [{"chunk": 0, "rows": 3, "cache_hits": 0, "teacher_calls": 0, "stopped": 0, "paid": 0.0, "busy": "{}"}]
    written = from_table(pq.read_table(tmp_path / "chunks" / "chunk-000000.parquet"))
    assert [r["prompt_id"] for r in written] == ["p0", "p1", "p2"] and w.rows == {}


RECIPE = """
name: wiring
source: {{path: src.jsonl, fields: {{prompt: q}}}}
prompt: {{template: t.txt}}
teacher: {{name: big, engine: vllm, model: smollm2-135m-instruct, replicas: 2, batch_size: 8, num_gpus: {gpus}, options: {opts}}}
teachers:
  - {{name: small, engine: hf_local, model: smollm2-135m-instruct}}
route: {{field: q, map: {{"1+1?": small}}}}
"""


def plan(tmp_path, ray, opts: str, gpus: int = 1) -> str:
    (tmp_path / "src.jsonl").write_text('{"q": "1+1?"}\n{"q": "2+2?"}\n')
    (tmp_path / "t.txt").write_text("{{ prompt }}")
    (tmp_path / "r.yaml").write_text(textwrap.dedent(RECIPE.format(opts=opts, gpus=gpus)))
    r = load_recipe(str(tmp_path / "r.yaml"))
    return str(build_dataset(ray, r, plan_units(r.source, r.base_dir, 8), str(tmp_path / "store"), None, {0: 2}, None))


def test_executor_builds_the_processor_stages_only_for_processor_teachers(tmp_path, ray_local):
    actors = plan(tmp_path, ray_local, "{}")
    assert "vLLMEngineStageUDF" not in actors and actors.count("MapBatches(GenerateUDF)") == 2
    # a GPU pool must name a batch size (Ray Data's rule), so its chunks reach a buffering writer
    assert "BufferedWriteUDF" in actors and "write_chunks" not in actors
    cpu = plan(tmp_path, ray_local, "{}", gpus=0)
    assert "write_chunks" in cpu and "BufferedWriteUDF" not in cpu
    stages = plan(tmp_path, ray_local, "{processor: true}")  # builds ray.data.llm's stages; vLLM loads only when they run
    lines = [ln.strip(" +-") for ln in stages.splitlines()]
    assert lines[:4] == ["MapBatches(BufferedWriteUDF)", "MapBatches(GenerateUDF)", "MapBatches(_output_batch)", "Map(_postprocess)"]
    assert "MapBatches(vLLMEngineStageUDF)" in lines and "MapBatches(ChatTemplateUDF)" in lines
    assert stages.count("GenerateUDF") == 1  # the hf_local teacher keeps its actor pool
    assert not [m for m in sys.modules if m == "vllm" or m.startswith("vllm.")]
