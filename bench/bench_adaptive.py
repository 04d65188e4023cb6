"""Adaptive sampling vs fixed n: the same prompts and teacher, teacher calls, cost and coverage.

    python bench/bench_adaptive.py                       # 200 prompts of data/distill_arith, k=1 N=8 wave=2 vs n=8
    python bench/bench_adaptive.py --limit 64 --out /tmp/adaptive.json
    python bench/bench_adaptive.py --teacher hf_local --limit 100   # the real tiny model (smollm2-135m-instruct)
    python bench/bench_adaptive.py --teacher hf_local --limit 100 --temperature 0.3 --max-tokens 12   # as the demo's teacher

Teachers (``--teacher``):
- ``scripted`` (default): the scripted server (tests/faults/fault_server.py, ``answer="graded"``, a fake named as
  such) on 127.0.0.1: each prompt has a difficulty (a success probability per sample from GRADES = 0.95, 0.6, 0.3,
  0.1, 0.0, by the prompt's hash) and each sample is right or wrong by a deterministic draw per (prompt, seed).
- ``hf_local``: the bundled tiny model on CPU, temperature 0.7 (``--temperature``, ``--max-tokens``); each row samples from its own stream seeded by
  its request seed (teachers/row_sampling.py), whatever its batch.
Either way the fixed-n run and the adaptive run see the same samples at the same sample indices: the bench
asserts that every sample of the adaptive arm has the same text as the fixed arm's sample of that (prompt,
sample index) and prints how many matched. Prompts: the distill_arith demo's (template and system prompt of
recipes/distill_arith.yaml), verifier math_answer. Each run has its own run store and request cache, so both
pay for every sample they use. Teacher calls: the scripted server's request count; for hf_local, the rows
generated (not cache hits). Cost: token prices $0.15/$0.6 per Mtok in and out.

Coverage = prompts with at least one verified sample. The claim (issue #12): adaptive (until: {verified: 1,
max_samples: 8, wave: 2}) reaches the same coverage as fixed n=8 with >= 40% fewer teacher calls.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]

from tests.faults.fault_server import GRADES, FaultInjectingServer  # noqa: E402

TEACHERS = {
    "scripted": """teacher:
  name: scripted
  engine: openai_compat
  model: scripted-graded
{sampling}
  sampling: {{max_tokens: 32, temperature: 0.7, seed: 1{greedy_first}}}
  batch_size: 64
  prices: {{input_per_mtok: 0.15, output_per_mtok: 0.6}}
  options: {{base_url: "{url}", concurrency: 16, timeout_s: 10, max_retries: 0}}
""",
    "hf_local": """teacher:
  name: tiny
  engine: hf_local
  model: smollm2-135m-instruct
{sampling}
  sampling: {{max_tokens: {max_tokens}, temperature: {temperature}, top_p: 0.95, seed: 1{greedy_first}}}
  batch_size: 32
  prices: {{input_per_mtok: 0.15, output_per_mtok: 0.6}}
  options: {{threads: 1{few_shot}}}
""",
}

RECIPE = """name: bench_adaptive
source:
  path: {root}/data/distill_arith/train.jsonl
  fields: {{prompt: question, reference: answer, id: id}}
  limit: {limit}
prompt:
  template: {root}/recipes/prompts/arith.txt
  system: {root}/recipes/prompts/arith_system.txt
{teacher}verifiers:
  - name: math_answer
output:
  dir: {out}
  shard_size: 50
"""


def run(arm: str, sampling: str, limit: int, teacher: str, srv, work: Path, temperature: float = 0.7, max_tokens: int = 16,
        few_shot: str | None = None, greedy_first: bool = False) -> dict:
    import pyarrow.parquet as pq

    from curation.pass_rate import verified
    from factory.pipeline import run_recipe

    f = work / f"{arm}.yaml"
    block = TEACHERS[teacher].format(sampling=sampling, url=srv.base_url if srv else "", temperature=temperature, max_tokens=max_tokens,
                                     few_shot=f", few_shot: {Path(few_shot).resolve()}" if few_shot else "",
                                     greedy_first=", greedy_first: true" if greedy_first else "")
    f.write_text(RECIPE.format(root=ROOT, limit=limit, teacher=block, out=work / arm))
    if srv:
        srv.reset_stats()
    t0 = time.time()
    res = run_recipe(str(f))
    rows = [r for kind in ("accepted", "rejects") for p in sorted(Path(res.run_dir, kind).glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    prompts = {r["prompt_id"]: r for r in rows}
    generated = sum(1 for r in rows if r["completion"] is not None and not r["cache_hit"])
    return {"arm": arm, "status": res.status, "teacher_calls": srv.stats()["requests"] if srv else generated,
            "rows_generated": generated, "rows": len(rows),
            "cost_usd": round(sum(r["cost"] or 0.0 for r in rows), 6), "prompts": len(prompts),
            "tokens_in": sum(r["tokens_in"] or 0 for r in rows), "tokens_out": sum(r["tokens_out"] or 0 for r in rows),
            "covered": sum(1 for r in prompts.values() if (r["pass_rate"] or 0) > 0),
            "covered_ids": sorted(p for p, r in prompts.items() if (r["pass_rate"] or 0) > 0),
            "samples": {(r["prompt_id"], r["sample_index"]): (r["completion"], verified(r)) for r in rows},
            "mean_samples_used": round(sum(r["samples_used"] for r in prompts.values()) / len(prompts), 3), "seconds": round(time.time() - t0, 1)}


def prefix_check(ada: dict, fixed: dict) -> dict:
    """Every adaptive sample has the fixed arm's text at the same (prompt, sample index)."""
    n = len(ada["samples"])
    same = sum(1 for k, (text, _) in ada["samples"].items() if k in fixed["samples"] and fixed["samples"][k][0] == text)
    ver = [k for k, (_, ok) in ada["samples"].items() if ok]
    same_ver = sum(1 for k in ver if k in fixed["samples"] and fixed["samples"][k] == ada["samples"][k])
    return {"adaptive_samples": n, "same_text": same, "adaptive_verified": len(ver), "verified_same": same_ver}


def _start_ray(tries: int = 3) -> None:
    """A local Ray for both arms (run_recipe reuses it); on a loaded machine its start can time out: try again."""
    import ray

    for i in range(tries):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            return
        except Exception:  # noqa: BLE001 - "node timed out during startup" under load
            ray.shutdown()
            if i == tries - 1:
                raise
            time.sleep(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=200, help="prompts from data/distill_arith/train.jsonl")
    ap.add_argument("--teacher", choices=sorted(TEACHERS), default="scripted", help="scripted server (a fake) or the real tiny model")
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    ap.add_argument("--temperature", type=float, default=0.7, help="hf_local sampling temperature (recipes/demo.yaml's teacher: 0.3)")
    ap.add_argument("--max-tokens", type=int, default=16, help="hf_local max_tokens (recipes/demo.yaml's teacher: 12)")
    ap.add_argument("--few-shot", default=None, help="hf_local: a JSON file of demonstration turns (the option few_shot), "
                    "e.g. recipes/prompts/arith_few_shot.json")
    ap.add_argument("--greedy-first", action="store_true", help="teacher.sampling.greedy_first: sample 0 of each prompt "
                    "decoded greedily, the others at --temperature (both arms)")
    a = ap.parse_args()
    if a.few_shot and a.teacher != "hf_local":
        ap.error("--few-shot is an hf_local option: use it with --teacher hf_local")
    os.environ.setdefault("FACTORY_DASHBOARD", "0")
    _start_ray()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        srv = stack.enter_context(FaultInjectingServer(answer="graded")) if a.teacher == "scripted" else None
        kw = {"temperature": a.temperature, "max_tokens": a.max_tokens, "few_shot": a.few_shot, "greedy_first": a.greedy_first}
        ada = run("adaptive", "  until: {verified: 1, max_samples: 8, wave: 2}", a.limit, a.teacher, srv, Path(tmp), **kw)
        fixed = run("fixed", "  n: 8", a.limit, a.teacher, srv, Path(tmp), **kw)
    same = ada["covered_ids"] == fixed["covered_ids"]
    prefix = prefix_check(ada, fixed)
    saving = 1 - ada["teacher_calls"] / fixed["teacher_calls"]
    out = {"teacher": a.teacher, "temperature": a.temperature, "max_tokens": a.max_tokens, "few_shot": a.few_shot, "greedy_first": a.greedy_first, "grades": GRADES if srv else None, "adaptive": ada, "fixed": fixed, "same_covered_prompts": same,
           "prefix": prefix, "call_saving": round(saving, 4),
           "cost_ratio": round(ada["cost_usd"] / fixed["cost_usd"], 4) if fixed["cost_usd"] else None}
    for arm in (ada, fixed):
        print(f"{arm['arm']:9s} calls {arm['teacher_calls']:5d}  cost ${arm['cost_usd']:.6f} (tokens in {arm['tokens_in']}, out "
              f"{arm['tokens_out']})  covered {arm['covered']}/{arm['prompts']}  mean samples/prompt {arm['mean_samples_used']}  "
              f"({arm['seconds']} s)")
    print(f"prefix: {prefix['same_text']}/{prefix['adaptive_samples']} adaptive samples have the fixed arm's text at the same "
          f"(prompt, sample index); verified {prefix['verified_same']}/{prefix['adaptive_verified']}")
    print(f"same covered prompts: {same}; teacher calls saved: {saving:.1%} (adaptive/fixed = {1 - saving:.3f}); cost ratio {out['cost_ratio']}")
    assert prefix["same_text"] == prefix["adaptive_samples"], "the adaptive arm's samples are not a prefix of the fixed arm's"
    if a.out:
        for arm in (ada, fixed):
            arm.pop("covered_ids"), arm.pop("samples")
        Path(a.out).write_text(json.dumps(out, indent=2))
    return 0 if same and saving >= 0.40 else 1


if __name__ == "__main__":
    sys.exit(main())
