"""A ``vllm`` teacher as a ``ray.data.llm`` processor stage of the streaming plane (``options.processor: true``).

    >>> from teachers.vllm_stage import uses_processor
    >>> uses_processor({"engine": "vllm", "name": "t", "model": "m", "options": {"processor": True}})
    True
    >>> uses_processor({"engine": "vllm", "name": "t", "model": "m", "options": {}})   # default: GenerateUDF actors
    False

On a GPU cluster the executor calls ``ds = processor_stage(cfgs, "t", ...)(ds)`` instead of its per-teacher
``GenerateUDF`` pool: ray.data.llm's chat-template, tokenize, vLLM engine and detokenize stages, each in
its own pool, with batches pipelined into the engine actors (``concurrency = replicas`` or
``(replicas, max_replicas)``). The rows that come out carry the same generation columns ``GenerateStep``
writes (:func:`teachers.vllm_engine.vllm_postprocess`), the finished calls go into the request cache,
and a row the engine failed is rejected at ``generate`` with vLLM's error, as with the actor path.

Why opt-in (default ``false``). The processor re-batches rows (``batch_size``), so a chunk no longer
arrives at the writer as one block: the executor then buffers rows per chunk before writing
(``factory.chunk_writer.BufferedWriteUDF``). Rows the teacher must not generate (rejected earlier,
answered from the cache, routed to another teacher) cannot bypass a processor, so they go through it as
a one-token dummy request and come out unchanged (cheap, but not free). And a fallback teacher is not
supported on this path (the recipe is refused). The per-actor ``VLLMTeacher`` path has none of these
limits; the processor is the better fit for very large single-teacher runs on a fixed GPU cluster.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

import pyarrow as pa

from ground.conversation import has_tools
from ground.record import ACCEPTED, SCHEMA, reject, to_table
from teachers.base import GenResult
from teachers.cache import RequestCache
from teachers.step import routed_to
from teachers.vllm_engine import build_vllm_processor, processor_sampling, vllm_postprocess, vllm_preprocess

OPTION = "processor"
#: column that marks a row the processor only carries through (a one-token dummy request)
PASS = "df_pass"
_DUMMY = [{"role": "user", "content": "."}]


def uses_processor(cfg: dict) -> bool:
    """Whether the executor runs this teacher config (:func:`teachers.step.teacher_cfg`) as a processor stage."""
    flag = (cfg.get("options") or {}).get(OPTION, False)
    if not isinstance(flag, bool):
        raise ValueError(f"teacher {cfg.get('name')!r}: options.{OPTION} must be true or false, got {flag!r}")
    if flag and cfg.get("engine") != "vllm":
        raise ValueError(f"teacher {cfg.get('name')!r}: options.{OPTION} is for engine vllm only (engine is {cfg.get('engine')!r})")
    return flag


#: why a prompt with tools cannot take the processor path
NO_TOOLS = ("vllm processor: this prompt carries tools, and ray.data.llm's chat-template stage renders no per-row "
            "tools=; run the teacher without options.processor (the actor path sends tools)")


def processor_input(row: dict, names: tuple, default: str, only: str) -> dict:
    """Our row -> the processor's input; a row this teacher must not generate becomes a marked dummy request
    (a prompt with tools too, rejected: the processor's template stage cannot render its catalogue)."""
    if row["status"] == ACCEPTED and not row.get("cache_hit") and routed_to(row, names, default) == only:
        if '"tools"' not in row["messages"] or not has_tools(json.loads(row["messages"])):
            return {**vllm_preprocess(row), PASS: False}
        row = reject(dict(row), "generate", NO_TOOLS)
    out = {k: v for k, v in row.items() if k != "model"}  # see vllm_preprocess: "model" would name a LoRA
    return {**out, "messages": _DUMMY, "sampling_params": processor_sampling({"max_tokens": 1}),
            "messages_json": row["messages"], "params_json": row["params"], "model_json": row.get("model"), PASS: True}


def _restore(raw: dict) -> dict:
    out = {k: raw[k] for k in SCHEMA.names if k in raw}
    out.update(messages=raw["messages_json"], params=raw["params_json"], model=raw.get("model_json"))
    return out


def result_of(row: dict) -> GenResult:
    """A generated row -> the :class:`GenResult` the request cache stores for it (what ``CacheUDF`` reads back)."""
    topk = json.loads(row["teacher_topk"]) if row.get("teacher_topk") else None
    return GenResult(text=row["completion"], reasoning=row.get("reasoning"), finish_reason=row["finish_reason"],
                     tokens_in=row["tokens_in"], tokens_out=row["tokens_out"], seconds=row["gen_seconds"], cost=row["cost"],
                     top_logprobs=topk, logprobs_meta=json.loads(row["teacher_topk_meta"]) if topk else None)


def processor_output(raw_rows: list[dict], gpu_cost_per_s: float, cache: RequestCache | None) -> list[dict]:
    """The processor's raw rows -> Sample rows: dummies restored, failures rejected, the rest mapped and cached."""
    rows, done = [], {}
    for raw in raw_rows:
        if raw.get(PASS):
            rows.append(_restore(raw))
        elif raw.get("__inference_error__"):
            r = _restore(raw)
            r["completion"] = None
            rows.append(reject(r, "generate", f"vllm: {raw['__inference_error__']}"[:300]))
        else:
            r = vllm_postprocess(raw, gpu_cost_per_s)
            rows.append(r)
            done[r["request_key"]] = result_of(r).to_dict()
    if cache is not None and done:
        cache.put(done)
    return rows


def _output_batch(batch: pa.Table, gpu_cost_per_s: float, cache_uri: str | None) -> pa.Table:
    return to_table(processor_output(batch.to_pylist(), gpu_cost_per_s, RequestCache(cache_uri) if cache_uri else None))


def processor_stage(cfgs: dict, only: str, cache_uri: str | None, fallback: str | None = None, batch_size: int = 64,
                    replicas: int = 1, max_replicas: int | None = None) -> Callable[[Any], Any]:
    """``ds -> ds`` running teacher ``only`` of ``cfgs`` ({name: teacher_cfg}) as a ray.data.llm processor.

    Building it needs ``ray[llm]``; running it needs vLLM and GPUs (the engine loads in the processor's actors).
    """
    cfg = cfgs[only]
    if fallback and fallback != only:
        raise ValueError(f"teacher {only!r}: options.{OPTION} does not support a fallback teacher ({fallback!r}); "
                         f"drop options.{OPTION} to run it as GenerateUDF actors")
    pre = functools.partial(processor_input, names=tuple(cfgs), default=next(iter(cfgs)), only=only)
    concurrency = replicas if not max_replicas or max_replicas <= replicas else (replicas, max_replicas)
    proc = build_vllm_processor(cfg, batch_size, concurrency, preprocess=pre, raw_output=True)
    tp = int((cfg.get("options") or {}).get("tensor_parallel_size", 1))
    per_s = float(cfg.get("num_gpus") or tp) * float((cfg.get("prices") or {}).get("gpu_hour", 0.0)) / 3600.0

    def apply(ds):
        return proc(ds).map_batches(_output_batch, fn_kwargs={"gpu_cost_per_s": per_s, "cache_uri": cache_uri},
                                    batch_size=None, batch_format="pyarrow", zero_copy_batch=False, num_cpus=0.25)

    return apply
