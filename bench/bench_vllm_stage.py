"""The vllm teacher as the factory's ray.data.llm stage vs raw ``vllm.LLM.generate`` on the same prompts (one GPU).

    python bench/bench_vllm_stage.py [--prompts 1024] [--max-tokens 128] [--out FILE]
    python bench/bench_vllm_stage.py --dry-run        # CPU: builds the prompts, recipe and processor config only

Both paths run the bundled SmolLM2-135M with the same engine arguments (``VLLMTeacher.engine_args_for``:
raw logprobs mode, ``enforce_eager``, the same memory share), greedy, on the same chat messages, each in
its own process so one engine's GPU memory never meets the other's.
Raw: ``LLM.generate`` on the chat-templated prompts, one call; tokens/s over that call (engine start
excluded) and end to end (engine start included). Factory: ``stream_chunks`` of a recipe whose teacher
has ``options.processor: true`` (Ray Data job: expansion, ray.data.llm stages, chunk writer), timed end
to end (Ray Data planning and the engine's start in its actor included). Ratios: factory end-to-end
tokens/s over raw end-to-end, and over raw generate-only (the stage's overhead at this size).
Figures go to the ``bench_vllm_stage`` section of the GPU figures file (bench/gpu_figures.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gpu_figures import GPU_INSTALL, default_path, merge  # noqa: E402

MODEL = "smollm2-135m-instruct"
OPTS = {"gpu_memory_utilization": 0.4, "max_model_len": 2048, "engine_kwargs": {"enforce_eager": True}}


def prompts(n: int) -> list[list[dict]]:
    """Varied short math questions: distinct prompts, answers of a few dozen to a few hundred tokens."""
    return [[{"role": "user", "content": f"What is {i % 97 + 3} times {i // 97 + 7}? Explain each step, then give the answer."}]
            for i in range(n)]


def write_recipe(d: Path, msgs: list[list[dict]], max_tokens: int, shard: int) -> Path:
    (d / "prompts.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "messages": m}) + "\n" for i, m in enumerate(msgs)))
    teacher = {"name": "vllm-stage", "engine": "vllm", "model": MODEL, "num_gpus": 1, "batch_size": 64,
               "sampling": {"max_tokens": max_tokens, "temperature": 0.0, "top_p": 1.0, "seed": 0},
               "options": {**OPTS, "processor": True}}
    recipe = {"name": "bench_vllm_stage", "source": {"path": "prompts.jsonl", "fields": {"messages": "messages", "id": "id"}},
              "teacher": teacher, "output": {"dir": str(d / "runs"), "shard_size": shard}}
    (d / "recipe.yaml").write_text(json.dumps(recipe, indent=1))  # JSON is YAML
    return d / "recipe.yaml"


def run_raw(msgs: list[list[dict]], max_tokens: int) -> dict:
    try:
        import vllm
    except ImportError as e:
        raise SystemExit(f"bench_vllm_stage: raw path needs vLLM: {GPU_INSTALL} ({e})") from e
    from teachers.vllm_engine import VLLMTeacher

    t0 = time.perf_counter()
    llm = vllm.LLM(**VLLMTeacher.engine_args_for(MODEL, 1, OPTS["gpu_memory_utilization"], OPTS["max_model_len"], OPTS["engine_kwargs"]))
    tok = llm.get_tokenizer()
    texts = [tok.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in msgs]
    t1 = time.perf_counter()
    outs = llm.generate(texts, vllm.SamplingParams(n=1, temperature=0.0, top_p=1.0, max_tokens=max_tokens, seed=0), use_tqdm=False)
    t2 = time.perf_counter()
    n_out = sum(len(o.outputs[0].token_ids) for o in outs)
    return {"startup_s": round(t1 - t0, 2), "generate_s": round(t2 - t1, 3), "e2e_s": round(t2 - t0, 2), "tokens_out": n_out,
            "texts": [o.outputs[0].text for o in outs]}


def run_factory(recipe_path: Path) -> dict:
    from factory.executor import stream_chunks
    from factory.recipe import load_recipe
    from factory.store import RunStore

    recipe = load_recipe(str(recipe_path))
    store = RunStore(recipe.output.dir, recipe.name, "bench")
    t0 = time.perf_counter()
    info = stream_chunks(recipe, store, None)
    dt = time.perf_counter() - t0
    rows = store.read_chunks(sorted(store.done_chunks()))
    return {"e2e_s": round(dt, 2), "rows": len(rows), "teacher_calls": info["teacher_calls"],
            "rejected": sum(r["status"] != "accepted" for r in rows), "tokens_out": sum(int(r["tokens_out"] or 0) for r in rows),
            "texts_by_id": {r["prompt_id"]: r["completion"] for r in rows}}


def child(args) -> int:
    """One path in this process (the parent starts one child per path)."""
    msgs = json.loads(Path(args.child_prompts).read_text())
    res = run_raw(msgs, args.max_tokens) if args.child == "raw" else run_factory(Path(args.child_recipe))
    Path(args.child_out).write_text(json.dumps(res))
    return 0


def run_child(kind: str, d: Path, args, timeout: float) -> dict:
    out = d / f"{kind}.json"
    cmd = [sys.executable, __file__, "--child", kind, "--child-prompts", str(d / "msgs.json"), "--child-recipe", str(d / "recipe.yaml"),
           "--child-out", str(out), "--max-tokens", str(args.max_tokens)]
    r = subprocess.run(cmd, cwd=ROOT, timeout=timeout)
    if r.returncode != 0 or not out.is_file():
        raise SystemExit(f"bench_vllm_stage: the {kind} path failed (exit {r.returncode}); its log is above")
    return json.loads(out.read_text())


def figures(raw: dict, fac: dict, n: int, max_tokens: int) -> dict:
    raw_gen, raw_e2e = raw["tokens_out"] / raw["generate_s"], raw["tokens_out"] / raw["e2e_s"]
    fac_e2e = fac["tokens_out"] / fac["e2e_s"]
    texts = raw["texts"]
    same = sum(fac["texts_by_id"].get(f"q{i}") == t for i, t in enumerate(texts))
    return {"prompts": n, "max_tokens": max_tokens, "model": MODEL,
            "raw_startup_s": raw["startup_s"], "raw_generate_s": raw["generate_s"], "raw_tokens_out": raw["tokens_out"],
            "raw_tokens_per_s_generate": round(raw_gen, 1), "raw_tokens_per_s_e2e": round(raw_e2e, 1),
            "factory_e2e_s": fac["e2e_s"], "factory_tokens_out": fac["tokens_out"], "factory_rows": fac["rows"],
            "factory_rejected": fac["rejected"], "factory_tokens_per_s_e2e": round(fac_e2e, 1),
            "ratio_e2e": round(fac_e2e / raw_e2e, 3), "ratio_vs_raw_generate": round(fac_e2e / raw_gen, 3),
            "same_completion_fraction": round(same / max(1, n), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prompts", type=int, default=1024, help="distinct prompts (one sample each)")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--shard-size", type=int, default=256, help="source records per chunk")
    ap.add_argument("--timeout", type=float, default=240, help="seconds per path")
    ap.add_argument("--out", default=None, help="figures file (default: $OUT/gpu_figures.json or bench/gpu_figures.json)")
    ap.add_argument("--dry-run", action="store_true", help="no GPU: build prompts, recipe and processor config, record the plan")
    for a in ("--child", "--child-prompts", "--child-recipe", "--child-out"):
        ap.add_argument(a, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    if args.prompts < 1 or args.max_tokens < 1:
        ap.error("--prompts and --max-tokens must be >= 1")
    out = Path(args.out) if args.out else default_path()
    d = Path(tempfile.mkdtemp(prefix="bench_vllm_stage."))
    msgs = prompts(args.prompts)
    (d / "msgs.json").write_text(json.dumps(msgs))
    recipe = write_recipe(d, msgs, args.max_tokens, args.shard_size)
    if args.dry_run:
        from factory.recipe import load_recipe
        from teachers.step import teacher_cfg
        from teachers.vllm_engine import vllm_processor_config
        from teachers.vllm_stage import uses_processor

        cfg = teacher_cfg(load_recipe(str(recipe)).teacher)
        pc = vllm_processor_config(cfg, batch_size=64, replicas=1, continue_on_error=True)
        merge(out, "bench_vllm_stage", {"dry_run": True, "prompts": args.prompts, "max_tokens": args.max_tokens,
                                        "processor": uses_processor(cfg), "engine_kwargs": pc.engine_kwargs})
        print(f"dry run: {args.prompts} prompts, recipe {recipe}, figures in {out}")
        return 0
    raw = run_child("raw", d, args, args.timeout)
    fac = run_child("factory", d, args, args.timeout)
    f = figures(raw, fac, args.prompts, args.max_tokens)
    merge(out, "bench_vllm_stage", f)
    print(f"raw LLM.generate : {f['raw_tokens_per_s_generate']:>9.1f} tok/s generate-only, {f['raw_tokens_per_s_e2e']:.1f} end to end")
    print(f"factory stage    : {f['factory_tokens_per_s_e2e']:>9.1f} tok/s end to end ({f['factory_rows']} rows, {f['factory_rejected']} rejected)")
    print(f"ratio factory/raw: {f['ratio_e2e']:.3f} end to end, {f['ratio_vs_raw_generate']:.3f} vs generate-only; "
          f"same completions {f['same_completion_fraction']:.1%}; figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
