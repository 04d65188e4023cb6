"""Generated tokens/s: ``HFLocalTeacher.generate`` vs a bare batched ``model.generate`` on the same batch.

    python bench/bench_hf_local.py [--prompts 16] [--max-tokens 32] [--repeats 3] [--threads 2] [--n-samples 1]

Both sides use the same loaded model and tokenizer (the teacher's), the same chat-rendered prompts,
greedy decoding and the same ``max_new_tokens``, in one batch; runs alternate (ours, bare, bare, ours, ...)
so background load hits both alike, and the median of each is compared. Wall-clock tokens/s and
tokens per CPU-second of this process are both reported: on a shared machine the CPU-time ratio
is the stable one (use ``--threads 1`` there so CPU time is not inflated by spinning threads). The goal is ours >= 0.9x bare:
the engine's own work (rendering, length sort, decode, result objects) should be noise next to generate.
Also checks that both produce the same texts, so the comparison is like for like.

``--n-samples N`` builds the requests the way the pipeline does for ``teacher.n: N`` (each prompt N
times, sample k with seed ``seed*1000+k`` via ``teachers.step.sampling_params``), still greedy, so the
bare side is one batch of prompts x N rows with identical outputs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def prompts(n: int) -> list[list[dict]]:
    src = ROOT / "data" / "gsm8k_sample" / "train.jsonl"
    qs = [json.loads(line)["question"] for line in src.read_text().splitlines() if line.strip()]
    return [[{"role": "user", "content": qs[i % len(qs)]}] for i in range(n)]


def bare(model, tok, msgs: list[list[dict]], max_tokens: int) -> tuple[int, list[str], float, float]:
    import torch

    t0, c0 = time.perf_counter(), time.process_time()
    texts = [tok.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in msgs]
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
    gen = out[:, enc["input_ids"].shape[1]:].tolist()
    eos = {tok.eos_token_id, tok.pad_token_id}
    n_tok, outs = 0, []
    for ids in gen:
        n = len(ids)
        while n and ids[n - 1] in eos:
            n -= 1
        n_tok += n
        outs.append(tok.decode(ids[:n], skip_special_tokens=True))
    return n_tok, outs, time.perf_counter() - t0, time.process_time() - c0


def ours(teacher, msgs: list[list[dict]], max_tokens: int, n_samples: int = 1) -> tuple[int, list[str], float, float]:
    from teachers.step import sampling_params
    from teachers.base import GenRequest

    # msgs holds each prompt n_samples times in a row: request k of a prompt is its sample k, as in the pipeline
    sp = dict(max_tokens=max_tokens, temperature=0.0, top_p=1.0, seed=1, stop=[], top_logprobs=0)
    reqs = [GenRequest(str(i), m, sampling_params(sp, i % n_samples), i % n_samples) for i, m in enumerate(msgs)]
    t0, c0 = time.perf_counter(), time.process_time()
    res = teacher.generate(reqs)
    return sum(r.tokens_out for r in res), [r.text for r in res], time.perf_counter() - t0, time.process_time() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-samples", type=int, default=1, help="samples per prompt, requests built as the pipeline does")
    a = ap.parse_args()
    from teachers.hf_local import HFLocalTeacher

    rows = a.prompts * a.n_samples
    teacher = HFLocalTeacher(name="bench", model="smollm2-135m-instruct", batch_size=rows, threads=a.threads)
    msgs = [m for m in prompts(a.prompts) for _ in range(a.n_samples)]
    ours(teacher, msgs[:2], 4)  # warm-up: first-call allocations and kernel selection
    bare(teacher._model, teacher._tok, msgs[:2], 4)
    wall: dict[str, list[float]] = {"ours": [], "bare": []}
    cpu: dict[str, list[float]] = {"ours": [], "bare": []}
    for r in range(a.repeats):
        if r % 2 == 0:  # alternate which side goes first: the second run of a pair finds warmer caches
            n_o, t_o, dt_o, c_o = ours(teacher, msgs, a.max_tokens, a.n_samples)
            n_b, t_b, dt_b, c_b = bare(teacher._model, teacher._tok, msgs, a.max_tokens)
        else:
            n_b, t_b, dt_b, c_b = bare(teacher._model, teacher._tok, msgs, a.max_tokens)
            n_o, t_o, dt_o, c_o = ours(teacher, msgs, a.max_tokens, a.n_samples)
        if t_o != t_b:
            print(f"WARNING: outputs differ in {sum(x != y for x, y in zip(t_o, t_b))}/{len(t_o)} rows", file=sys.stderr)
        wall["ours"].append(n_o / dt_o)
        wall["bare"].append(n_b / dt_b)
        cpu["ours"].append(n_o / c_o)
        cpu["bare"].append(n_b / c_b)
        print(f"repeat {r}: ours {n_o} tok in {dt_o:.2f}s wall / {c_o:.2f}s cpu | bare {n_b} tok in {dt_b:.2f}s wall / {c_b:.2f}s cpu")
    med = {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in wall}
    print(f"\nhf_local generate: {med['ours'][0]:.1f} tok/s wall, {med['ours'][1]:.1f} tok/cpu-s")
    print(f"bare model.generate: {med['bare'][0]:.1f} tok/s wall, {med['bare'][1]:.1f} tok/cpu-s")
    print(f"ratio ours/bare: {med['ours'][0] / med['bare'][0]:.2f}x wall, {med['ours'][1] / med['bare'][1]:.2f}x cpu (goal >= 0.9x)")
    print(f"batch {a.prompts} prompts x {a.n_samples} samples, max_tokens {a.max_tokens}, greedy, {a.threads} threads, median of {a.repeats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
