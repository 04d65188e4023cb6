"""Does merging a trained LoRA adapter into bf16 weights (hf_local on a GPU, the eval's student) lose the adapter?

    python bench/bf16_merge_check.py ADAPTER_DIR      # e.g. runs/demo/<run id>/train/adapter after `make demo`

Compares, teacher-forced over the fp32-merged student's greedy continuations of 12 held-out GSM8K sample prompts (24
tokens each): the bf16 base with the adapter merged, the bf16 base with the adapter unmerged (PeftModel), and the
bf16 base without it, against the fp32 merge (the CPU path). Prints the share of the weight change the bf16 merge
keeps (one q_proj) and each variant's greedy-token agreement and mean KL. Runs on CPU (bf16 matmuls, slow but small).
"""
import sys

import glob
import json
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ground.models import resolve_model  # noqa: E402
ad = sys.argv[1] if len(sys.argv) > 1 else glob.glob("runs/demo/*/train/adapter")[0]
path = resolve_model("smollm2-135m-instruct")
tok = AutoTokenizer.from_pretrained(path)
qs = [json.loads(l)["question"] for l in open("data/gsm8k_sample/test.jsonl")][:12]
msgs = [tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True) for q in qs]
def load(dtype, merge):
    m = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    m = PeftModel.from_pretrained(m, ad)
    return (m.merge_and_unload() if merge else m).eval()
ref = load(torch.float32, True)
base32 = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
cands = {"bf16 merged": load(torch.bfloat16, True), "bf16 unmerged": load(torch.bfloat16, False), "bf16 base (no adapter)": AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16).eval()}
# weight delta kept
k = "model.layers.0.self_attn.q_proj.weight"
w_ref = dict(ref.named_parameters())[k].detach(); w_b = dict(base32.named_parameters())[k].detach()
w_m = dict(cands["bf16 merged"].named_parameters())[k].detach().float()
wb16 = w_b.to(torch.bfloat16).float()
print("delta kept by bf16 merge:", float(((w_m - wb16) * (w_ref - w_b)).sum() / ((w_ref - w_b) ** 2).sum()))
with torch.inference_mode():
    agree = {n: 0 for n in cands}; tot = 0; kl = {n: 0.0 for n in cands}
    for t in msgs:
        ids = tok(t, return_tensors="pt", add_special_tokens=False).input_ids
        # teacher-forced over the fp32 merged model's greedy continuation of 24 tokens
        out = ref.generate(ids, max_new_tokens=24, do_sample=False)
        lr = torch.log_softmax(ref(out).logits[0, ids.shape[1]-1:-1].float(), -1)
        for n, m in cands.items():
            lc = torch.log_softmax(m(out).logits[0, ids.shape[1]-1:-1].float(), -1)
            agree[n] += int((lc.argmax(-1) == lr.argmax(-1)).sum()); kl[n] += float((lr.exp() * (lr - lc)).sum(-1).sum())
        tot += out.shape[1] - ids.shape[1]
    for n in cands:
        print(f"{n:24s} greedy-token agreement with fp32 merged {agree[n]/tot:.3f}, mean KL {kl[n]/tot:.4f}")
