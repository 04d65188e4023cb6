"""SFT throughput with packing vs padding on a skewed length mix, and peak memory of LoRA vs full fine-tuning.

    python bench/bench_sft_packing.py [--examples 48] [--reps 2] [--skip-memory]

Throughput: TRL ``SFTTrainer`` on the bundled tiny model (CPU), one epoch over the same examples
(85% short answers of ~10 tokens, 15% long ones of ~300 tokens, shuffled), LoRA r=16.
Padding: batches of 8 padded to their longest row. Packing: best-fit-decreasing packs of up to 512
tokens, 2 per batch, padding-free (per-example position ids). Both train on the same real tokens,
so real tokens per second is the fair measure; the configurations alternate ``--reps`` times and
each keeps its fastest rep (the machine is shared). Goal: packing >= 1.5x padding.

Memory: peak RSS (``ru_maxrss``) of a fresh process that loads the model and runs 3 optimizer
steps, LoRA vs full fine-tuning (AdamW states and gradients for every weight).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def examples(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    words = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega".split()
    out = []
    for i in range(n):
        long = rng.random() < 0.15
        text = " ".join(rng.choice(words) for _ in range(rng.randint(220, 280) if long else rng.randint(4, 10)))
        out.append({"prompt": [{"role": "user", "content": f"Item {i}: repeat the list."}],
                    "completion": [{"role": "assistant", "content": text}]})
    return out


def _trainer(exs, packing: bool, lora: bool, max_steps: int = -1):
    import datasets
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from ground.models import resolve_model

    path = resolve_model("smollm2-135m-instruct")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    args = SFTConfig(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=2 if packing else 8, num_train_epochs=1,
                     max_steps=max_steps, max_length=512, packing=packing, completion_only_loss=True, learning_rate=1e-4,
                     logging_steps=1000, save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True, seed=0,
                     dataloader_num_workers=0)
    peft = LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], task_type="CAUSAL_LM") if lora else None
    return SFTTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(exs), processing_class=tok, peft_config=peft), tok


def real_tokens(trainer) -> int:
    ds = trainer.train_dataset
    return sum(len(row) for row in ds["input_ids"])


def throughput(n: int, reps: int) -> dict:
    import torch

    torch.set_num_threads(2)
    exs = examples(n)
    best: dict[str, float] = {}
    tokens: dict[str, int] = {}
    for _ in range(reps):
        for name, packing in (("padding", False), ("packing", True)):
            tr, _ = _trainer(exs, packing, lora=True)
            tokens[name] = real_tokens(tr)
            t0 = time.perf_counter()
            tr.train()
            dt = time.perf_counter() - t0
            best[name] = min(best.get(name, float("inf")), dt)
            print(f"  {name}: {dt:.1f}s for {tokens[name]} tokens ({tr.state.global_step} steps)", flush=True)
    tps = {k: tokens[k] / best[k] for k in best}
    return {"tokens": tokens, "seconds": best, "tokens_per_s": tps, "ratio_packing_over_padding": tps["packing"] / tps["padding"]}


def memory_worker(kind: str) -> None:
    import torch

    torch.set_num_threads(2)
    # short examples only: activations stay small, so weights + gradients + AdamW states dominate the difference
    short = [e for e in examples(200) if len(e["completion"][0]["content"]) < 100][:24]
    tr, _ = _trainer(short, packing=False, lora=kind == "lora", max_steps=3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # high-water mark after loading the model
    tr.train()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": kind, "peak_rss_mb": peak, "train_growth_mb": peak - before,
                      "trainable_params": sum(p.numel() for p in tr.model.parameters() if p.requires_grad)}))


def memory() -> dict:
    out = {}
    for kind in ("lora", "full"):
        res = subprocess.run([sys.executable, __file__, "--mem-worker", kind], capture_output=True, text=True, timeout=1800)
        line = [x for x in res.stdout.splitlines() if x.startswith("{")]
        if not line:
            raise SystemExit(f"memory worker {kind} failed:\n{res.stderr[-2000:]}")
        out[kind] = json.loads(line[-1])
    out["ratio_full_over_lora"] = out["full"]["peak_rss_mb"] / out["lora"]["peak_rss_mb"]
    out["growth_ratio_full_over_lora"] = out["full"]["train_growth_mb"] / max(1.0, out["lora"]["train_growth_mb"])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=48)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--only-memory", action="store_true")
    ap.add_argument("--mem-worker", choices=["lora", "full"])
    a = ap.parse_args()
    if a.mem_worker:
        memory_worker(a.mem_worker)
        return 0
    if a.only_memory:
        a.reps = 0
    t = throughput(a.examples, a.reps) if a.reps else None
    if t:
        print(f"packing {t['tokens_per_s']['packing']:.0f} tok/s vs padding {t['tokens_per_s']['padding']:.0f} tok/s: "
              f"ratio {t['ratio_packing_over_padding']:.2f}x (goal >= 1.5x)", flush=True)
    if not a.skip_memory:
        m = memory()
        print(f"peak RSS: LoRA {m['lora']['peak_rss_mb']:.0f} MB ({m['lora']['trainable_params']:,} trainable) vs full "
              f"{m['full']['peak_rss_mb']:.0f} MB ({m['full']['trainable_params']:,} trainable): full/LoRA "
              f"{m['ratio_full_over_lora']:.2f}x; growth during training: LoRA {m['lora']['train_growth_mb']:.0f} MB vs "
              f"full {m['full']['train_growth_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
