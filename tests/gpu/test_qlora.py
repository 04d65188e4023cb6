"""QLoRA on a real GPU: NF4 + double quantisation + bf16 compute, and two SFT steps through Ray Train."""

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU with CUDA (QLoRA runs on bitsandbytes CUDA kernels)"),
]

CFG = dict(method="sft", student="smollm2-135m-instruct", use_gpu=True, load_in_4bit=True, max_steps=2, batch_size=2,
           max_seq_len=64, cpus_per_worker=1)


def _cfg():
    from factory.recipe import TrainConfig

    return TrainConfig(**CFG).model_dump()


def test_student_loads_in_nf4_with_double_quant_and_bf16_compute():
    pytest.importorskip("bitsandbytes", reason="QLoRA needs bitsandbytes: pip install 'distill-factory[gpu]'")
    import bitsandbytes as bnb

    from students.train import load_student

    model, _ = load_student(_cfg())
    q = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert q, "no 4-bit linear layers"
    st = q[0].weight.quant_state
    assert st.quant_type == "nf4" and st.nested is True  # nested = double quantisation of the absmax constants
    assert q[0].compute_dtype == torch.bfloat16
    assert torch.cuda.memory_allocated() < 200 * 2**20  # 135M params in 4 bits plus fp32 norms: well under 200 MiB


def test_qlora_sft_two_steps_on_ray_train(tmp_path):
    pytest.importorskip("bitsandbytes", reason="QLoRA needs bitsandbytes: pip install 'distill-factory[gpu]'")
    import ray

    from ground.record import new_sample
    from students.sft import run_sft
    from students.sft_data import sft_datasets
    from students.traindata import open_rows

    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, configure_logging=False, ignore_reinit_error=True)
    try:
        rows = [new_sample(stage="t", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": f"What is {i} + 1?"}],
                           completion=f"#### {i + 1}") for i in range(8)]
        cfg = _cfg()
        data, _ = sft_datasets(cfg, open_rows(rows), open_rows([]), Path, drop_system=False)  # examples built on Ray Data
        info = run_sft(cfg, data, str(tmp_path / "train"))
    finally:
        ray.shutdown()
    assert [h["step"] for h in info["log_history"] if "loss" in h] == [1, 2]
    cfg = json.loads((Path(info["adapter_dir"]) / "adapter_config.json").read_text())
    assert cfg["r"] == 16 and (Path(info["adapter_dir"]) / "adapter_model.safetensors").exists()
