"""LoRA SFT tokens/s and MFU on one GPU, and a QLoRA (NF4) smoke run beside it.

    python bench/bench_lora_mfu.py [--batch 32] [--seq 512] [--steps 20] [--out FILE]
    python bench/bench_lora_mfu.py --cpu-smoke        # CPU: 2 tiny steps, proves the loop and the figures file

The student is the project's own: ``students.train.load_student`` (bf16 on GPU) with the recipe's default
LoRA (``peft_config``: r=16 on the attention and MLP projections), trained with AdamW on the adapter
weights, a plain loop of full batches of ``--seq`` tokens (no padding), so tokens/s counts real tokens.
The HF/TRL trainer and Ray Train around it in a real run add their own overhead; this measures the model.

MFU = 6 x params x tokens/s / peak (Kaplan et al. 2020's 6N FLOPs per token, params = all the model's
weights, attention's own FLOPs left out), the peak being the dense bf16 tensor-core figure of the
detected GPU's datasheet (``PEAK_BF16``; ``--peak-tflops`` for others). With LoRA the frozen weights get
no weight gradients, so about 4N of the 6N are really spent: MFU at 6N is the figure that compares with
full fine-tuning runs, and ``mfu_4n`` is given too. The baseline of the ratio is that peak.
QLoRA: the same loop with the student in NF4 + double quantisation (``load_in_4bit``); tokens/s, peak memory.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gpu_figures import GPU_INSTALL, default_path, merge  # noqa: E402

#: dense bf16 tensor-core peak, TFLOP/s, from NVIDIA's datasheets (no 2:4 sparsity); most specific name first
PEAK_BF16 = [("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("H100", 989.4), ("H200", 989.4), ("GH200", 989.4), ("B200", 2250.0),
             ("A100", 312.0), ("L40S", 362.1), ("L4", 121.0), ("A10G", 125.0), ("A10", 125.0)]
STUDENT = "smollm2-135m-instruct"


def peak_tflops(gpu_name: str) -> float | None:
    """Datasheet peak for a ``torch.cuda.get_device_name()`` string, e.g. 'NVIDIA H200' -> 989.4; None if unknown."""
    for key, tf in PEAK_BF16:
        if re.search(rf"(^|[\s-]){re.escape(key)}($|[\s-])", gpu_name):
            return tf
    return None


def train_cfg(use_gpu: bool, qlora: bool) -> dict:
    from factory.recipe import TrainConfig

    return TrainConfig(method="sft", student=STUDENT, use_gpu=use_gpu, load_in_4bit=qlora).model_dump()


def measure(cfg: dict, device: str, batch: int, seq: int, steps: int, warmup: int) -> dict:
    """Tokens/s of ``steps`` LoRA optimizer steps after ``warmup`` ones; peak GPU memory on CUDA."""
    import torch
    from peft import get_peft_model

    from students.train import load_student, peft_config

    model, tok = load_student(cfg)
    model = get_peft_model(model.to(device) if not cfg["load_in_4bit"] else model, peft_config(cfg))
    model.train()  # from_pretrained returns eval mode: dropout and QLoRA's gradient checkpointing need train mode
    # the base model's weights (4-bit ones count packed, so QLoRA's figure is not its parameter count)
    n_params = sum(p.numel() for n, p in model.named_parameters() if "lora_" not in n)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(100, tok.vocab_size - 1, (batch, seq), generator=g).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    losses = []
    for i in range(warmup + steps):
        if i == warmup:
            sync()
            t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()) if i in (0, warmup + steps - 1) else None)
    sync()
    dt = time.perf_counter() - t0
    out = {"params": n_params, "batch": batch, "seq": seq, "steps": steps, "seconds": round(dt, 3),
           "tokens_per_s": round(batch * seq * steps / dt, 1), "loss_first": round(losses[0], 4), "loss_last": round(losses[-1], 4)}
    if device == "cuda":
        out["peak_mem_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    del model, opt
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--peak-tflops", type=float, default=None, help="override the datasheet table (dense bf16 TFLOP/s)")
    ap.add_argument("--no-qlora", action="store_true", help="skip the QLoRA smoke run")
    ap.add_argument("--out", default=None, help="figures file (default: $OUT/gpu_figures.json or bench/gpu_figures.json)")
    ap.add_argument("--cpu-smoke", action="store_true", help="no GPU: 2 steps of batch 1 x 16 tokens on CPU, no MFU")
    ap.add_argument("--dry-run", action="store_true", help="no model: check the arguments and configs, record the plan")
    args = ap.parse_args()
    if min(args.batch, args.seq, args.steps) < 1 or args.warmup < 0:
        ap.error("--batch, --seq and --steps must be >= 1, --warmup >= 0")
    out = Path(args.out) if args.out else default_path()
    if args.dry_run:
        cfgs = {k: train_cfg(k == "qlora", k == "qlora") for k in ("lora", "qlora")}
        merge(out, "bench_lora_mfu", {"dry_run": True, "batch": args.batch, "seq": args.seq, "steps": args.steps,
                                      "lora_r": cfgs["lora"]["lora"]["r"], "qlora_4bit": cfgs["qlora"]["load_in_4bit"],
                                      "peak_bf16_tflops": {k: v for k, v in PEAK_BF16}})
        print(f"dry run: batch {args.batch} x {args.seq} tokens, {args.steps} steps; figures in {out}")
        return 0
    if args.cpu_smoke:
        lora = measure(train_cfg(False, False), "cpu", 1, 16, 2, 0)
        fig = {"cpu_smoke": True, "device": "cpu", "lora": lora, "mfu": None, "mfu_reason": "no peak FLOPs for a CPU",
               "qlora": {"skipped": "QLoRA runs on bitsandbytes CUDA kernels"}}
        merge(out, "bench_lora_mfu", fig)
        print(f"cpu smoke: {lora['tokens_per_s']} tok/s, loss {lora['loss_first']} -> {lora['loss_last']}; figures in {out}")
        return 0
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("bench_lora_mfu: needs an NVIDIA GPU (torch sees no CUDA device); --cpu-smoke runs without one")
    name = torch.cuda.get_device_name()
    peak = args.peak_tflops or peak_tflops(name)
    lora = measure(train_cfg(True, False), "cuda", args.batch, args.seq, args.steps, args.warmup)
    flops = 6 * lora["params"] * lora["tokens_per_s"]
    fig = {"device": name, "peak_bf16_tflops": peak, "lora": lora, "achieved_tflops_6n": round(flops / 1e12, 2),
           "mfu": round(flops / (peak * 1e12), 4) if peak else None, "mfu_4n": round(flops * 4 / 6 / (peak * 1e12), 4) if peak else None}
    if not peak:
        fig["mfu_reason"] = f"no datasheet peak for {name!r}: pass --peak-tflops"
    if args.no_qlora:
        fig["qlora"] = {"skipped": "--no-qlora"}
    else:
        try:
            import bitsandbytes  # noqa: F401
        except ImportError as e:
            fig["qlora"] = {"skipped": f"needs bitsandbytes: {GPU_INSTALL} ({e})"}
        else:
            torch.cuda.empty_cache()
            q = measure(train_cfg(True, True), "cuda", args.batch, args.seq, max(3, args.steps // 4), 1)
            fig["qlora"] = {**q, "tokens_per_s_vs_lora": round(q["tokens_per_s"] / lora["tokens_per_s"], 3)}
    merge(out, "bench_lora_mfu", fig)
    print(f"{name}: LoRA {lora['tokens_per_s']:.0f} tok/s, {fig['achieved_tflops_6n']} TFLOP/s at 6N of {peak} peak -> MFU {fig['mfu']}")
    print(f"QLoRA: {fig['qlora']}; figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
