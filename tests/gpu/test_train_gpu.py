"""Every training method, the eval and the whole job on one real GPU, the tiny model, a few steps each.

The CPU twins are tests/integration/test_students.py and test_train_eval.py. Here the recipe says ``use_gpu: true``:
Ray Train's worker holds the GPU (Ray sets CUDA_VISIBLE_DEVICES), the HF Trainer and the on-policy loop run bf16 on
cuda, the hf_local teacher runs on ``device: cuda``, and the eval's base and student generate on the GPU their Ray
task holds. ``metrics.device`` is where the trained weights were (``train.world_info``), so a path that silently
trains on the CPU fails here.
"""

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tests.conftest import ROOT  # noqa: E402
from tests.integration.test_students import QUESTIONS, lora_moved, recipe, rows_for  # noqa: E402

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU (torch sees no CUDA device)")]

GPU = "  use_gpu: true\n"


def _sum_rows() -> list[dict]:
    rows = []
    for i, q in enumerate(QUESTIONS):
        a, b = (int(x) for x in q[8:-1].split(" + "))
        rows += rows_for(q, f"p{i}", [(f"The answer is {a + b}.", True), (f"The answer is {a + b + 10}.", False)])
    return rows


def _on_gpu(info: dict) -> None:
    m = info["metrics"]
    assert (m["device"], m["base_dtype"], m["world_size"]) == ("cuda:0", "bfloat16", 1), m


def test_sft_trains_bf16_lora_on_the_gpu(tmp_path, ray_local):
    from students.train import train

    info = train(recipe(tmp_path, "  method: sft\n" + GPU), _sum_rows(), str(tmp_path / "train"))
    _on_gpu(info)
    losses = [h["loss"] for h in info["log_history"] if "loss" in h]
    assert len(losses) == 2 and all(0 < x < 50 for x in losses)
    assert lora_moved(Path(info["adapter_dir"]))


def test_full_fine_tune_on_the_gpu_updates_fp32_weights_under_bf16_autocast(tmp_path, ray_local):
    """lora: null with use_gpu: the weights AdamW updates stay fp32 on cuda (was bf16: updates below half an ulp
    were rounded away); the trainer's bf16 autocast does the compute. The saved model moved away from the base."""
    from safetensors.torch import load_file

    from factory.recipe import parse_recipe
    from ground.models import resolve_model
    from students.train import train
    from tests.integration.test_students import RECIPE

    text = RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt", steps=2,
                         extra="  method: sft\n  learning_rate: 1.0e-5\n" + GPU).replace("  lora: {r: 4, alpha: 8, dropout: 0.0}\n", "  lora: null\n")
    (tmp_path / "r.yaml").write_text(text)
    info = train(parse_recipe(text, str(tmp_path / "r.yaml")), _sum_rows(), str(tmp_path / "train"))
    m = info["metrics"]
    assert (m["device"], m["base_dtype"], info["full_finetune"]) == ("cuda:0", "float32", True), m
    base = load_file(str(Path(resolve_model("smollm2-135m-instruct")) / "model.safetensors"))
    tuned = load_file(str(Path(info["adapter_dir"]) / "model.safetensors"))
    k = "model.layers.0.self_attn.q_proj.weight"
    assert float((tuned[k].float() - base[k].float()).abs().max()) > 0


def test_dpo_after_sft_first_on_the_gpu_folds_in_bf16(tmp_path, ray_local):
    from safetensors.torch import load_file

    from students.train import train

    r = recipe(tmp_path, "  method: dpo\n  dpo: {beta: 0.1, pairs: verifier, sft_first: true}\n" + GPU)
    info = train(r, _sum_rows(), str(tmp_path / "train"))
    assert info["status"] == "done" and info["pairs"]["verifier_pairs"] == len(QUESTIONS)
    assert lora_moved(tmp_path / "train/sft/adapter")
    _on_gpu(info)
    folded = load_file(str(Path(info["adapter_dir"]) / "model.safetensors"))  # base + SFT + DPO, folded in bf16 (GPU recipe)
    assert {v.dtype for v in folded.values()} == {torch.bfloat16}


def test_kd_from_top_k_a_cuda_teacher_stored(tmp_path, ray_local):
    from ground.record import new_sample
    from students.train import train
    from teachers.base import GenRequest, SamplingParams
    from teachers.hf_local import HFLocalTeacher

    teacher = HFLocalTeacher(name="t", model="smollm2-135m-instruct", batch_size=4, device="cuda")
    assert next(teacher._model.parameters()).device.type == "cuda"
    msgs = [[{"role": "user", "content": q}] for q in QUESTIONS[:4]]
    res = teacher.generate([GenRequest(f"k{i}", m, SamplingParams(max_tokens=8, top_logprobs=3)) for i, m in enumerate(msgs)])
    assert all(g.tokens_out > 0 and len(g.top_logprobs) == g.tokens_out for g in res)
    rows = [new_sample(stage="t", prompt_id=f"p{i}", sample_index=0, messages=m, completion=g.text,
                       teacher_topk=json.dumps(g.top_logprobs), teacher_topk_meta=json.dumps(g.logprobs_meta))
            for i, (m, g) in enumerate(zip(msgs, res))]
    del teacher
    torch.cuda.empty_cache()
    info = train(recipe(tmp_path, "  method: kd\n  kd: {alpha: 0.7, temperature: 1.0}\n" + GPU), rows, str(tmp_path / "train"))
    _on_gpu(info)
    losses = [h["loss"] for h in info["log_history"] if "loss" in h]
    assert len(losses) == 2 and all(0 < x < 50 for x in losses)
    assert lora_moved(Path(info["adapter_dir"]))


def test_hf_local_teacher_without_a_device_generates_on_the_gpu_its_ray_task_holds(ray_local):
    """teacher.num_gpus: 1 and no options.device (was: cpu, beside the GPU the actor held)."""
    def probe():
        from teachers.base import GenRequest, SamplingParams
        from teachers.hf_local import HFLocalTeacher

        t = HFLocalTeacher(name="t", model="smollm2-135m-instruct", batch_size=2)
        (g,) = t.generate([GenRequest("k", [{"role": "user", "content": QUESTIONS[0]}], SamplingParams(max_tokens=4))])
        return str(next(t._model.parameters()).device), g.tokens_out

    device, tokens = ray_local.get(ray_local.remote(num_gpus=1)(probe).remote())
    assert device == "cuda:0" and tokens > 0


def test_onpolicy_distillation_on_the_gpu(tmp_path, ray_local):
    from students.train import train

    (tmp_path / "sys.txt").write_text("Reply with only the final number, as '#### <number>'.")
    rows = [x for i, q in enumerate(QUESTIONS[:4]) for x in rows_for(q, f"p{i}", [("5", True)])]
    r = recipe(tmp_path, "  method: onpolicy\n  onpolicy: {teacher_system: sys.txt, max_new_tokens: 6, loss: sampled}\n" + GPU)
    info = train(r, rows, str(tmp_path / "train"))
    _on_gpu(info)
    hist = info["log_history"]
    assert [h["step"] for h in hist] == [1, 2] and all(h["completion_tokens"] > 0 for h in hist)
    assert all(h["reverse_kl"] == h["reverse_kl"] for h in hist) and any(abs(h["reverse_kl"]) > 1e-4 for h in hist)
    assert lora_moved(Path(info["adapter_dir"]))


def test_whole_job_on_the_gpu_generate_train_eval(tmp_path, ray_local):
    """factory's run on a local Ray that sees the GPU: hf_local teacher on cuda, SFT with use_gpu, eval of base, student
    and teacher (base and student on the GPU their task holds); preflight counts the machine's GPU."""
    from factory.pipeline import run_recipe
    from factory.preflight import local_gpus
    from tests.integration.test_pipeline import TINY

    assert local_gpus() >= 1
    text = TINY.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt", out=tmp_path / "runs")
    text = text.replace("options: {threads: 2}", "options: {device: cuda}").replace("verifiers:\n  - name: math_answer\n", "")
    text += f"""train:
  method: sft
  student: smollm2-135m-instruct
  use_gpu: true
  max_steps: 3
  batch_size: 2
  max_seq_len: 128
eval:
  source:
    path: {ROOT / "data/gsm8k_sample/test.jsonl"}
    fields: {{prompt: question, reference: answer}}
    limit: 3
  sampling: {{max_tokens: 16}}
  models: [base, student, teacher]
"""
    (tmp_path / "r.yaml").write_text(text)
    res = run_recipe(str(tmp_path / "r.yaml"))
    manifest = json.loads((Path(res.run_dir) / "manifest.json").read_text())
    tr = manifest["train"]
    assert tr["status"] == "done" and tr["train_rows"] + tr["val_rows"] == manifest["counts"]["accepted"] > 0
    assert (tr["metrics"]["device"], tr["metrics"]["base_dtype"]) == ("cuda:0", "bfloat16")
    assert [h["step"] for h in tr["log_history"] if "loss" in h] == [1, 2, 3]
    table = manifest["eval"]["table"]
    assert set(table) == {"base", "student", "teacher"} and all(v["n"] == 3 for v in table.values())
