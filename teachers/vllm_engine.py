"""``vllm``: offline vLLM on GPUs, one engine per Ray actor (replica).

    >>> from teachers.vllm_engine import VLLMTeacher          # does not import vllm
    >>> from teachers.base import GenRequest, SamplingParams
    >>> t = VLLMTeacher(name="t", model="Qwen/Qwen3-8B", tensor_parallel_size=1, max_model_len=8192)   # needs a GPU
    >>> t.generate([GenRequest("k", [{"role": "user", "content": "2+2?"}], SamplingParams(max_tokens=64))])[0].text

Replicas. The pipeline runs generation with ``ds.map_batches(GenerateUDF, concurrency=teacher.replicas,
num_gpus=teacher.num_gpus)``: every Ray Data actor constructs one ``VLLMTeacher``, i.e. one vLLM engine.
So a recipe sets ``teacher.replicas`` = number of engines and ``teacher.num_gpus`` =
``options.tensor_parallel_size`` (each actor reserves the GPUs its engine shards over; vLLM's own
multiprocessing workers then use the GPUs Ray made visible to the actor). 8 GPUs with a model that
needs 2 GPUs: ``replicas: 4, num_gpus: 2, options: {tensor_parallel_size: 2}``.

Batching. ``generate`` hands the whole batch to ``LLM.chat`` with one ``SamplingParams`` per request:
every row keeps its own seed (the pipeline gives sample k of a prompt seed ``seed*1000+k``), so a
row's completion does not depend on which other rows shared its batch and the request cache stays
valid across re-runs. That is why ``n`` samples arrive as ``n`` rows with ``SamplingParams.n == 1``
rather than one request with ``n`` > 1. vLLM schedules the batch continuously itself; a larger
``teacher.batch_size`` (e.g. 256) keeps the GPU full.

Top-k logprobs. The engine is built with ``logprobs_mode="raw_logprobs"`` (vLLM's engine argument,
``ModelConfig.logprobs_mode``): the returned logprobs are the model's log-softmax before temperature,
top-p and any logits processor, so rows sampled at temperature 0.7 still store the teacher's own
distribution for soft-label KD. ``engine_kwargs`` may not switch it to a processed mode.

Tools. A prompt whose system message carries a catalogue goes out as ``LLM.chat(..., tools=...)`` (the chat
template renders it) and the reply's calls come back in ``extra["tool_calls"]`` (``options.tool_parser``: a vLLM
parser, else Hermes ``<tool_call>`` blocks; teachers/vllm_tools.py); the generate step stores them as the row's trace.

``ray.data.llm`` path. :func:`build_vllm_processor` builds the same generation as a Ray Data LLM
processor (vLLM engine stage with its own chat-template/tokenize/detokenize stages), mapping our row
columns in and out. It is the better fit for very large runs on a fixed cluster (engine actors
with pipelined batches, autoscaling pools). A recipe opts in with ``options: {processor: true}``: the
executor then runs the teacher as those stages (:mod:`teachers.vllm_stage`, with the trade-offs); the
default per-actor ``VLLMTeacher`` path shares the in-process Step contract (and fallback) with the other engines.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from pydantic import Field

from ground.config import Config, validate
from ground.errors import MissingDependencyError
from ground.record import SCHEMA
from teachers.base import GenRequest, GenResult, SamplingParams, Teacher, logprobs_meta
from teachers.reasoning import split_reasoning

log = logging.getLogger(__name__)

INSTALL = "pip install 'distill-factory[gpu]'"
#: vLLM's engine argument value for logprobs taken before any sampling warp (see the module docstring)
RAW_LOGPROBS = "raw_logprobs"


def _import_vllm():
    try:
        import vllm
    except ImportError as e:
        raise MissingDependencyError(f"the vllm engine needs vLLM and an NVIDIA GPU: {INSTALL} ({e})") from e
    return vllm


def _logprob(v: Any) -> float:
    """A vLLM ``Logprob`` object, or the dict ray.data.llm turns it into, or a bare float."""
    return float(v["logprob"] if isinstance(v, dict) else getattr(v, "logprob", v))


def _topk(step: Any, k: int) -> list[list]:
    """One generated token's ``{token_id: Logprob}`` -> ``[[token_id, logprob], ...]`` best first, ``k`` long.

    vLLM adds the sampled token to the dict when it is outside the top k, so the dict can hold k+1.
    Through Arrow, a dict with int keys may come back as a list of (key, value) pairs.
    """
    if step is None or len(step) == 0:
        return []
    pairs = step.items() if isinstance(step, dict) else step
    items = sorted(((int(tid), _logprob(lp)) for tid, lp in pairs if lp is not None), key=lambda x: -x[1])
    return [[tid, round(lp, 4)] for tid, lp in items[:k]]


class VLLMOptions(Config):
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs one engine shards the model over (set num_gpus to match)")
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1, description="fraction of each GPU's memory vLLM may take")
    max_model_len: int | None = Field(None, gt=0, description="context length; null = the model's own")
    engine_kwargs: dict[str, Any] = Field(default_factory=dict, description="more vllm.LLM keyword arguments "
                                                                            "(e.g. enable_prefix_caching)")
    processor: bool = Field(False, description="run this teacher as a ray.data.llm processor stage "
                                               "(teachers/vllm_stage.py) instead of GenerateUDF actors")
    tool_parser: str | None = Field(None, description="vLLM tool parser (hermes, llama3_json, mistral, pythonic, ...) that "
                                    "turns a reply to a prompt with tools into tool_calls; null = read Hermes-style "
                                    "<tool_call> blocks (teachers/vllm_tools.py)")


class VLLMTeacher(Teacher):
    engine = "vllm"
    Options = VLLMOptions

    @classmethod
    def native_tools(cls, options: dict) -> bool:
        return True  # LLM.chat(tools=...) renders the catalogue; replies are parsed into tool_calls

    @classmethod
    def cache_options(cls, options: dict) -> dict:
        return {"tool_parser": options["tool_parser"]} if options.get("tool_parser") else {}

    def __init__(self, name: str, model: str, **options: Any):
        # processor: how the executor runs this teacher (teachers/vllm_stage.py); here, e.g. as a fallback, it is moot
        super().__init__(name, model, **options)
        self._tool_parser = None  # vLLM's parser, built on the first reply to a prompt with tools
        o = self.options
        tensor_parallel_size = o.tensor_parallel_size
        self.engine_args = self.engine_args_for(model, tensor_parallel_size, o.gpu_memory_utilization, o.max_model_len, o.engine_kwargs)
        vllm = _import_vllm()  # after option checks: a typo is reported even where vllm is absent
        self._vllm = vllm
        t0 = time.perf_counter()
        self._llm = vllm.LLM(**self.engine_args)
        log.info("vllm engine for %s up in %.1fs (tp=%d)", model, time.perf_counter() - t0, tensor_parallel_size)

    @staticmethod
    def engine_args_for(model: str, tensor_parallel_size: int = 1, gpu_memory_utilization: float = 0.9,
                        max_model_len: int | None = None, engine_kwargs: dict | None = None) -> dict:
        """Keyword arguments for ``vllm.LLM``: a bundled name resolves to its local directory (never downloaded)."""
        from ground.models import ALIASES, BUNDLED, resolve_model

        if int(tensor_parallel_size) < 1:
            raise ValueError("tensor_parallel_size must be >= 1")
        if not 0 < float(gpu_memory_utilization) <= 1:
            raise ValueError("gpu_memory_utilization must be in (0, 1]")
        path = resolve_model(model) if ALIASES.get(model, model) in BUNDLED else model
        args = dict(model=path, tensor_parallel_size=int(tensor_parallel_size), gpu_memory_utilization=float(gpu_memory_utilization))
        if max_model_len:
            args["max_model_len"] = int(max_model_len)
        extra = dict(engine_kwargs or {})
        mode = extra.pop("logprobs_mode", RAW_LOGPROBS)
        if mode != RAW_LOGPROBS:
            raise ValueError(f"engine_kwargs.logprobs_mode: {mode!r} would not store raw log-probabilities; "
                             f"soft-label KD needs {RAW_LOGPROBS!r} (the default here)")
        clash = set(extra) & set(args)
        if clash:
            raise ValueError(f"engine_kwargs repeats {sorted(clash)}: set them as options instead")
        args.update(extra, logprobs_mode=RAW_LOGPROBS)
        return args

    def sampling_params(self, p: SamplingParams):
        return self._vllm.SamplingParams(
            n=1, temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens, seed=p.seed, stop=list(p.stop) or None,
            logprobs=p.top_logprobs or None,
        )

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        from teachers.vllm_tools import chat_groups

        results: list[GenResult | None] = [None] * len(requests)
        for g in chat_groups(requests):  # LLM.chat takes one tools list per call
            t0 = time.perf_counter()
            try:
                outs = self._chat(g.messages, [self.sampling_params(requests[i].params) for i in g.indices], g.tools)
            except Exception as e:  # one bad prompt (too long, bad roles) fails the whole call: retry rows alone
                log.warning("vllm batch of %d failed (%s: %s); retrying one by one", len(g.indices), type(e).__name__, e)
                for i, m in zip(g.indices, g.messages):
                    results[i] = self._one(requests[i], m, g.tools)
                continue
            dt = (time.perf_counter() - t0) / len(g.indices)
            for i, o in zip(g.indices, outs):
                results[i] = self._with_calls(self._result(o, requests[i].params, dt), g.tools)
        return results  # type: ignore[return-value]

    def _chat(self, messages: list[list[dict]], params: list, tools: list[dict] | None = None) -> list:
        return self._llm.chat(messages, sampling_params=params, use_tqdm=False, tools=tools)

    def _one(self, r: GenRequest, messages: list[dict], tools: list[dict] | None) -> GenResult:
        t0 = time.perf_counter()
        try:
            out = self._chat([messages], [self.sampling_params(r.params)], tools)[0]
        except Exception as e:
            return GenResult(finish_reason="error", error=f"vllm: {type(e).__name__}: {e}"[:300])
        return self._with_calls(self._result(out, r.params, time.perf_counter() - t0), tools)

    def _with_calls(self, res: GenResult, tools: list[dict] | None) -> GenResult:
        """A reply to a prompt with tools: its calls in ``extra["tool_calls"]``, ``text`` the rest (teachers/vllm_tools.py)."""
        if not tools:
            return res
        from teachers.vllm_tools import load_tool_parser, parse_tool_reply, parser_request

        name, request = self.options.tool_parser, None
        if name:
            if self._tool_parser is None:
                self._tool_parser = load_tool_parser(name, self._llm.get_tokenizer())
            request = parser_request(self.model, tools)
        content, calls = parse_tool_reply(res.text, self._tool_parser, request)
        if calls:
            res.text, res.extra["tool_calls"] = content or "", calls
        return res

    @staticmethod
    def _result(out: Any, p: SamplingParams, seconds: float) -> GenResult:
        c = out.outputs[0]
        reasoning, text = split_reasoning(c.text)
        topk = [_topk(step, p.top_logprobs) for step in c.logprobs] if p.top_logprobs and c.logprobs else None
        return GenResult(
            text=text, reasoning=reasoning, finish_reason=c.finish_reason or "stop",
            tokens_in=len(out.prompt_token_ids or []), tokens_out=len(c.token_ids), seconds=seconds, top_logprobs=topk,
            logprobs_meta=logprobs_meta("vllm", p, True, "id") if topk is not None else None,
        )

    def close(self) -> None:
        llm, self._llm = getattr(self, "_llm", None), None
        if llm is None:
            return
        del llm
        try:  # free the GPU for whatever the actor does next (e.g. a second engine in tests)
            import gc

            import torch

            gc.collect()
            torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001 - best effort on shutdown
            log.debug("cuda cleanup failed", exc_info=True)


# ---------------------------------------------------------------- ray.data.llm path

def processor_sampling(p: dict) -> dict:
    """Our params JSON (as a dict) -> vLLM ``SamplingParams`` keywords, always the same keys.

    Ray Data turns a batch's dicts into one Arrow struct column: a key missing from one row would come back
    as None in it, and vLLM takes ``top_p=None`` as a value. So every row names every key (None = vLLM's default)."""
    return dict(n=1, temperature=p.get("temperature", 0.0), top_p=p.get("top_p", 1.0), max_tokens=p.get("max_tokens", 256),
                seed=p.get("seed", 0), stop=list(p["stop"]) if p.get("stop") else None,
                logprobs=int(p["top_logprobs"]) if p.get("top_logprobs") else None)


def vllm_preprocess(row: dict) -> dict:
    """Our row -> the processor's input: ``messages`` (list) and ``sampling_params`` (dict); other columns ride along."""
    sp = processor_sampling(json.loads(row["params"]))
    # the chat-template stage reads a list from "messages", and the engine stage overwrites "params" with its own
    # repr: our JSON strings are kept aside byte-for-byte and restored by vllm_postprocess
    # and the vLLM engine stage reads a row's "model" as a LoRA adapter name when it differs from the engine's own
    # model (ray/llm/_internal/batch/stages/vllm_engine_stage.py): ours is set aside too
    rest = {k: v for k, v in row.items() if k != "model"}
    return {**rest, "messages": json.loads(row["messages"]), "sampling_params": sp,
            "messages_json": row["messages"], "params_json": row["params"], "model_json": row.get("model")}


def vllm_postprocess(row: dict, gpu_cost_per_s: float = 0.0) -> dict:
    """The processor's output -> our generation columns (see :mod:`ground.record`).

    ``gpu_cost_per_s`` (GPUs per replica x ``prices.gpu_hour`` / 3600) prices the row's share of engine time."""
    reasoning, text = split_reasoning(row.get("generated_text") or "")
    p = json.loads(row["params_json"])
    k = int(p.get("top_logprobs") or 0)
    topk = [_topk(step, k) for step in row["logprobs"]] if k and row.get("logprobs") is not None else None
    out = {key: row[key] for key in SCHEMA.names if key in row}  # drop the processor's working columns
    out.update(
        messages=row["messages_json"], params=row["params_json"], model=row.get("model_json"), completion=text, reasoning=reasoning,
        # the processor reports no finish reason: a completion that used its whole budget was cut
        finish_reason="length" if int(row.get("num_generated_tokens") or 0) >= int(p.get("max_tokens", 256)) else "stop",
        tokens_in=int(row.get("num_input_tokens") or 0), tokens_out=int(row.get("num_generated_tokens") or 0),
        gen_seconds=float(row.get("time_taken_llm") or 0.0), cache_hit=False,
        teacher_topk=json.dumps(topk) if topk else None,
        teacher_topk_meta=json.dumps(logprobs_meta("vllm", SamplingParams(temperature=p.get("temperature", 0.0),
                                                                          top_p=p.get("top_p", 1.0)), True, "id"))
        if topk else None,
        cost=float(row.get("time_taken_llm") or 0.0) * gpu_cost_per_s,
    )
    return out


def vllm_processor_config(teacher_cfg: dict, batch_size: int = 64, replicas: int | tuple = 1, continue_on_error: bool = False):
    """The ``ray.data.llm.vLLMEngineProcessorConfig`` for a recipe teacher (needs ``ray[llm]``, not vllm itself).

    ``replicas`` is an engine count or a ``(min, max)`` autoscaling range; ``continue_on_error`` keeps a failed
    row (``__inference_error__``) instead of failing the job (:mod:`teachers.vllm_stage` rejects it)."""
    try:
        from ray.data.llm import vLLMEngineProcessorConfig
    except ImportError as e:
        raise MissingDependencyError(f"ray.data.llm needs Ray's llm extra: {INSTALL} ({e})") from e
    o = validate(VLLMOptions, teacher_cfg.get("options") or {}, f"vllm teacher {teacher_cfg.get('name')!r}")
    args = VLLMTeacher.engine_args_for(teacher_cfg["model"], o.tensor_parallel_size, o.gpu_memory_utilization,
                                       o.max_model_len, o.engine_kwargs)
    model = args.pop("model")
    return vLLMEngineProcessorConfig(model_source=model, engine_kwargs=args, concurrency=replicas, batch_size=batch_size,
                                     should_continue_on_error=continue_on_error)


def build_vllm_processor(teacher_cfg: dict, batch_size: int = 64, replicas: int | tuple = 1, preprocess=None, raw_output: bool = False):
    """A Ray Data processor: ``ds = build_vllm_processor(cfg)(ds)`` maps our rows to rows with completions.

    ``raw_output=True`` (the executor's stage, :mod:`teachers.vllm_stage`) leaves the processor's rows unmapped,
    keeps failed rows, and ``preprocess`` replaces :func:`vllm_preprocess`."""
    import functools

    from ray.data.llm import build_processor

    tp = int((teacher_cfg.get("options") or {}).get("tensor_parallel_size", 1))
    gpus = float(teacher_cfg.get("num_gpus") or tp)
    per_s = gpus * float((teacher_cfg.get("prices") or {}).get("gpu_hour", 0.0)) / 3600.0
    post = None if raw_output else functools.partial(vllm_postprocess, gpu_cost_per_s=per_s)
    return build_processor(vllm_processor_config(teacher_cfg, batch_size, replicas, continue_on_error=raw_output),
                           preprocess=preprocess or vllm_preprocess, postprocess=post)
