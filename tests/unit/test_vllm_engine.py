"""The ``vllm`` engine's CPU-checkable parts: lazy import, the install line, engine args, row mapping.

Run: pytest -q tests/unit/test_vllm_engine.py      (generation itself: tests/gpu/test_vllm.py)
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ground.config import ConfigError
from ground.errors import MissingDependencyError
from ground.record import SCHEMA, new_sample, to_table
from teachers.registry import ENGINES, teacher_class
from teachers.vllm_engine import INSTALL, VLLMTeacher, _topk, vllm_postprocess, vllm_preprocess

ROOT = Path(__file__).resolve().parents[2]


def run_py(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_import_does_not_import_vllm():
    r = run_py("import sys, teachers.vllm_engine, teachers.registry as reg; reg.teacher_class('vllm'); "
               "print(sorted(m for m in sys.modules if m == 'vllm' or m.startswith('vllm.')))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_without_vllm_construction_names_the_install_line():
    # fault injection: sys.modules["vllm"] = None makes `import vllm` fail as on a machine without it
    r = run_py("import sys; sys.modules['vllm'] = None\n"
               "from ground.errors import MissingDependencyError\n"
               "from teachers.registry import make_teacher\n"
               "try:\n    make_teacher('vllm', 't', 'Qwen/Qwen2.5-0.5B-Instruct')\n"
               "except MissingDependencyError as e:\n    print('ERR', e)\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ERR ") and "pip install 'distill-factory[gpu]'" in r.stdout
    assert INSTALL == "pip install 'distill-factory[gpu]'"


def test_registry_entry():
    assert ENGINES["vllm"] == "teachers.vllm_engine:VLLMTeacher"
    assert teacher_class("vllm") is VLLMTeacher and VLLMTeacher.engine == "vllm"


def test_unknown_option_is_an_error_before_importing_vllm():
    with pytest.raises(ConfigError, match=r"options.tensor_paralel_size: unknown key; known: tensor_parallel_size"):
        VLLMTeacher("t", "m", tensor_paralel_size=2)


def test_engine_args():
    from ground.models import resolve_model

    a = VLLMTeacher.engine_args_for("smollm2-135m-instruct", 2, 0.5, 2048, {"enforce_eager": True})
    assert a == {"model": resolve_model("smollm2-135m-instruct"), "tensor_parallel_size": 2, "gpu_memory_utilization": 0.5,
                 "max_model_len": 2048, "enforce_eager": True, "logprobs_mode": "raw_logprobs"}
    assert (Path(a["model"]) / "config.json").is_file()  # bundled names become a local dir: vLLM never downloads them
    assert VLLMTeacher.engine_args_for("Qwen/Qwen2.5-7B-Instruct")["model"] == "Qwen/Qwen2.5-7B-Instruct"
    with pytest.raises(ValueError, match="engine_kwargs repeats"):
        VLLMTeacher.engine_args_for("m", engine_kwargs={"tensor_parallel_size": 4})
    with pytest.raises(ValueError, match="tensor_parallel_size"):
        VLLMTeacher.engine_args_for("m", tensor_parallel_size=0)


def test_engine_args_ask_for_raw_logprobs_and_refuse_processed_ones():
    # stored top-k must be the model's distribution before temperature/top-p (issue #13), whatever the recipe samples
    assert VLLMTeacher.engine_args_for("m")["logprobs_mode"] == "raw_logprobs"
    assert VLLMTeacher.engine_args_for("m", engine_kwargs={"logprobs_mode": "raw_logprobs"})["logprobs_mode"] == "raw_logprobs"
    for mode in ("processed_logprobs", "processed_logits", "raw_logits"):
        with pytest.raises(ValueError, match=f"engine_kwargs.logprobs_mode: '{mode}' would not store raw"):
            VLLMTeacher.engine_args_for("m", engine_kwargs={"logprobs_mode": mode})


def test_topk_orders_and_trims():
    # vLLM returns k entries plus the sampled token when it is outside the top k; ray.data.llm gives dicts
    step = {5: {"logprob": -2.5, "rank": 3}, 7: {"logprob": -0.1, "rank": 1}, 9: {"logprob": -1.23456, "rank": 2}}
    assert _topk(step, 2) == [[7, -0.1], [9, -1.2346]]
    assert _topk(list(step.items()), 3) == [[7, -0.1], [9, -1.2346], [5, -2.5]]  # Arrow map -> (key, value) pairs
    assert _topk(None, 3) == [] and _topk({}, 3) == []


def row(params: dict) -> dict:
    return new_sample(stage="s", prompt_id="p", sample_index=1, messages=[{"role": "user", "content": "2+2?"}],
                      params=json.dumps(params, sort_keys=True), teacher="t", engine="vllm", model="m")


def test_processor_row_mapping_round_trip():
    params = {"max_tokens": 4, "temperature": 0.7, "top_p": 0.9, "seed": 1001, "stop": ["\n\n"], "top_logprobs": 2}
    r = row(params)
    pre = vllm_preprocess(r)
    assert pre["messages"] == [{"role": "user", "content": "2+2?"}]
    assert "model" not in pre  # ray.data.llm's engine stage would load a row's differing "model" as a LoRA adapter
    assert pre["sampling_params"] == {"n": 1, "temperature": 0.7, "top_p": 0.9, "max_tokens": 4, "seed": 1001,
                                      "stop": ["\n\n"], "logprobs": 2}
    # what the processor stages add (ray/llm/_internal/batch/stages/vllm_engine_stage.py), incl. overwriting "params"
    out = {**pre, "prompt": "<|im_start|>user...", "generated_text": "<think>easy</think>4", "num_generated_tokens": 4,
           "num_input_tokens": 12, "generated_tokens": [1, 2, 3, 4], "time_taken_llm": 0.5, "params": "SamplingParams(n=1, ...)",
           "logprobs": [{1: {"logprob": -0.5}, 8: {"logprob": -0.1}, 3: {"logprob": -3.0}}] * 4, "request_id": 0,
           "batch_uuid": "x", "__inference_error__": ""}
    post = vllm_postprocess(out)
    assert set(post) <= set(SCHEMA.names)
    assert post["messages"] == r["messages"] and post["params"] == r["params"]  # our JSON, byte for byte
    assert post["model"] == "m"
    assert (post["completion"], post["reasoning"], post["finish_reason"]) == ("4", "easy", "length")
    assert (post["tokens_in"], post["tokens_out"], post["gen_seconds"]) == (12, 4, 0.5)
    assert json.loads(post["teacher_topk"]) == [[[8, -0.1], [1, -0.5]]] * 4
    assert json.loads(post["teacher_topk_meta"]) == {"source": "vllm", "raw": True, "temperature": 0.7, "top_p": 0.9, "token": "id"}
    assert to_table([post]).num_rows == 1  # still fits the one schema
    short = vllm_postprocess({**out, "num_generated_tokens": 2})
    assert short["finish_reason"] == "stop" and short["cost"] == 0.0
    # 2 GPUs at $3.6/GPU-hour = $0.002/s; the row's 0.5 s share of engine time costs $0.001
    assert vllm_postprocess(out, gpu_cost_per_s=2 * 3.6 / 3600)["cost"] == pytest.approx(0.001)


def _has_ray_llm() -> bool:
    try:
        import ray.data.llm  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _has_ray_llm(), reason="ray.data.llm is not importable here (needs aiohttp: pip install 'ray[llm]')")
def test_processor_config():
    from ray.data.llm import vLLMEngineProcessorConfig

    from ground.models import resolve_model
    from teachers.vllm_engine import vllm_processor_config

    cfg = vllm_processor_config({"name": "t", "model": "smollm2-135m-instruct",
                                 "options": {"tensor_parallel_size": 2, "engine_kwargs": {"enable_prefix_caching": True}}},
                                batch_size=32, replicas=3)
    assert isinstance(cfg, vLLMEngineProcessorConfig)
    assert cfg.model_source == resolve_model("smollm2-135m-instruct")
    assert (cfg.batch_size, cfg.concurrency) == (32, 3)
    assert cfg.engine_kwargs["tensor_parallel_size"] == 2 and cfg.engine_kwargs["enable_prefix_caching"] is True
    assert cfg.engine_kwargs["gpu_memory_utilization"] == 0.9
    assert "vllm" not in sys.modules  # building the config does not need vLLM
    with pytest.raises(ConfigError, match="vllm teacher 't': options.bogus: unknown key"):
        vllm_processor_config({"name": "t", "model": "m", "options": {"bogus": 1}})


@pytest.mark.skipif(_has_ray_llm(), reason="ray.data.llm is importable here; this checks the message when it is not")
def test_processor_config_without_ray_llm_names_the_install_line():
    from teachers.vllm_engine import vllm_processor_config

    with pytest.raises(MissingDependencyError, match=r"pip install 'distill-factory\[gpu\]'"):
        vllm_processor_config({"name": "t", "model": "m"})
