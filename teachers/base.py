"""The ``Teacher`` protocol.

An engine turns a batch of :class:`GenRequest` into the same number of :class:`GenResult`, in
order. It never raises for one bad request: a request that failed after the engine's retries
comes back with ``error`` set (and ``finish_reason="error"``), and the pipeline sends that row to
rejects with the error as reason. Heavy state (model weights, HTTP clients, engine replicas) is
created once in ``__init__``, which runs once per Ray actor.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from pydantic import Field, model_validator

from ground.config import Config as _Cfg

#: A generation error that a later attempt may not get (openai_compat's retryable failures, after its retries), or
#: that is fixed outside the recipe (401/403: the key in the environment; 402 and a 429 for an exhausted quota:
#: credits, OpenRouter's and DeepSeek's "insufficient balance" is a 402): the row is a reject in this run, and its
#: chunk is redone by a re-run of the same command (factory/store.py).
_TRANSIENT = re.compile(r"^(HTTP (408|409|424|429|5\d\d)|timeout|connection error|undecodable response body"
                        r"|invalid JSON in response|empty choices|empty answer|aborted by the server"
                        r"|error (\d+ )?in a 200 reply) after \d+ attempts?(?! \(not retryable\))"
                        r"|^HTTP (401|402|403|429 \(out of quota\)) after ")


def transient_failure(reason: str | None) -> bool:
    """True for a generate-stage reason such as "timeout after 4 attempts: ..." or "HTTP 503 after 4 attempts: ..."."""
    return bool(reason) and _TRANSIENT.match(reason) is not None


class SamplingConfig(_Cfg):
    max_tokens: int = Field(256, gt=0, le=131072, description="max new tokens per sample")
    temperature: float = Field(0.0, ge=0, le=5, description="0 = greedy")
    top_p: float = Field(1.0, gt=0, le=1, description="nucleus sampling")
    seed: int = Field(0, ge=0, description="base seed; each sample index gets its own stream")
    stop: list[str] = Field(default_factory=list, description="stop strings")
    top_logprobs: int = Field(0, ge=0, le=20, description="store top-k teacher logprobs per token (soft-label KD)")
    greedy_first: bool = Field(False, description="decode sample index 0 greedily (temperature 0) and the others at "
                               "`temperature`: each prompt's first sample is the teacher's best guess, so adaptive "
                               "waves (teacher.until) stop early on prompts it knows")

    @model_validator(mode="after")
    def _greedy_first(self) -> "SamplingConfig":
        if self.greedy_first and self.temperature == 0:
            raise ValueError("greedy_first needs temperature > 0 for the other samples (at temperature 0 every sample is greedy)")
        return self


class PriceConfig(_Cfg):
    input_per_mtok: float = Field(0.0, ge=0, description="dollars per million input tokens")
    output_per_mtok: float = Field(0.0, ge=0, description="dollars per million output tokens")
    gpu_hour: float = Field(0.0, ge=0, description="dollars per GPU-hour for self-hosted engines")


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()
    #: number of top logprobs to return per generated token (0 = none); for soft-label KD
    top_logprobs: int = 0

    def to_dict(self) -> dict:  # asdict's deep copy, by hand: every field is a scalar but ``stop``
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p, "seed": self.seed,
                "stop": list(self.stop), "top_logprobs": self.top_logprobs}


@dataclass
class GenRequest:
    key: str  # request-cache key (see teachers.cache.request_key)
    messages: list[dict]
    params: SamplingParams
    sample_index: int = 0
    #: OpenAI tool specs sent natively (``tools=``) by engines that support it; None = no tools
    tools: list[dict] | None = None
    tool_choice: Any = None


@dataclass
class GenResult:
    text: str = ""
    reasoning: str | None = None
    finish_reason: str = "stop"
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    cost: float = 0.0
    error: str | None = None
    #: per generated token: list of [[token_id_or_str, logprob], ...] (top-k), when asked for
    top_logprobs: list | None = None
    #: what ``top_logprobs`` mean (see :func:`logprobs_meta`); None when there are none
    logprobs_meta: dict | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def logprobs_meta(source: str, params: SamplingParams, raw: bool | None, token: str) -> dict:
    """Provenance of stored top-k logprobs, written next to them (``teacher_topk_meta``).

    ``raw`` is True when they are the model's own distribution at temperature 1, taken before any
    temperature / top-p warp (hf_local, vllm); None when the engine cannot know (an API). ``token``
    is ``"id"`` (token ids) or ``"str"`` (token strings, as APIs return them). Soft-label KD reads it
    to refuse warped distributions (students/kd_labels.py).

    >>> logprobs_meta("api", SamplingParams(temperature=0.7), None, "str")["temperature"]
    0.7
    """
    return {"source": source, "raw": raw, "temperature": float(params.temperature), "top_p": float(params.top_p),
            "token": token}


def native_trace(res: GenResult) -> GenResult:
    """A reply with native ``tool_calls`` (``extra``) -> its text as a one-turn trace: the JSON list of one
    assistant message with OpenAI ``tool_calls`` (parallel calls are several entries), the shape the
    tool_agent engine and hf_local's ``<tool_call>`` text store (ground/conversation.py). Other replies as they are.

    >>> call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
    >>> import json
    >>> (msg,) = json.loads(native_trace(GenResult(text="", extra={"tool_calls": [call]})).text)
    >>> msg["role"], msg["content"], msg["tool_calls"][0]["function"]["arguments"]
    ('assistant', None, '{"a": 1}')
    """
    import dataclasses
    import json

    calls = (res.extra or {}).get("tool_calls")
    if res.error or not calls:
        return res
    msg: dict[str, Any] = {"role": "assistant", "content": res.text or None, "tool_calls": []}
    for i, tc in enumerate(calls):
        fn = tc.get("function") or {}
        args = fn.get("arguments", "{}")
        msg["tool_calls"].append({"id": tc.get("id") or f"call_0_{i}", "type": "function",
                                  "function": {"name": fn.get("name"),
                                               "arguments": args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)}})
    if res.reasoning:
        msg["reasoning_content"] = res.reasoning
    return dataclasses.replace(res, text=json.dumps([msg], ensure_ascii=False))


def plain_options(options: Any) -> dict:
    """A teacher section's ``options`` as the dict an engine is built from: the keys the recipe set."""
    return options.model_dump(exclude_unset=True) if hasattr(options, "model_dump") else dict(options or {})


class NoOptions(_Cfg):
    """An engine without options: ``teacher.options`` must be empty."""


class Teacher:
    """Base class for engines. ``engine`` is the registry name used in recipes.

    What the rest of the factory asks of an engine is declared here, not decided by engine name elsewhere:
    ``can_score``/``scores_full_distribution``/:meth:`make_scorer` (on-policy distillation),
    :meth:`check_model` (recipe validation), :meth:`with_batch_size` (generate and eval steps),
    :meth:`native_tools` and :meth:`parallel_requests` (the tool_agent engine wrapping another engine).
    """

    engine: ClassVar[str] = "base"
    #: the recipe's ``teacher.options`` (a Config): validated into ``self.options`` by this base, and the
    #: recipe schema types the section from it
    Options: ClassVar[type[_Cfg]] = NoOptions
    #: the engine can score given completion tokens (log p of each token; on-policy distillation)
    can_score: ClassVar[bool] = False
    #: the options a scorer of this engine takes (``train.onpolicy.teacher_options``); recipe validation checks them
    scorer_options: ClassVar[frozenset[str]] = frozenset()
    #: its scorer also gives the whole next-token distribution (on-policy ``loss: full``)
    scores_full_distribution: ClassVar[bool] = False
    #: request-cache key version of the requests that ask for top-k logprobs (teachers/cache.py); an engine
    #: bumps it when its logprobs change meaning, so entries stored before are never served again
    logprobs_cache_version: ClassVar[str] = "request-v1"

    def __init__(self, name: str, model: str, **options: Any):
        from ground.config import validate

        self.name, self.model = name, model
        self.options = validate(self.Options, options, f"{self.engine} teacher {name!r}")

    @classmethod
    def check_model(cls, model: str) -> str | None:
        """Why ``model`` cannot be used by this engine from here (recipe validation), or None."""
        return None

    @classmethod
    def with_batch_size(cls, options: dict, batch_size: int, override: bool = False) -> dict:
        """``options`` with the recipe's batch size (``teacher.batch_size``, ``eval.batch_size``) where the
        engine takes one; the engine's own ``options.batch_size`` wins unless ``override``."""
        return dict(options)

    @classmethod
    def per_actor(cls, options: dict, actors: int) -> dict:
        """``options`` for one of ``actors`` engine actors (``teacher.replicas``, up to ``max_replicas``) that share
        the recipe's limits, each building its own engine. Default: unchanged."""
        return dict(options)

    @classmethod
    def resolve_options(cls, options: dict, base_dir: str | None) -> dict:
        """``options`` ready to travel to a worker: files the recipe names (relative to ``base_dir``, the
        recipe's directory) replaced by what the engine needs of them. Default: unchanged."""
        return dict(options)

    @classmethod
    def native_tools(cls, options: dict) -> bool:
        """Whether the engine with these options sends tool specs natively (OpenAI ``tools=``) and answers a
        request that has them with ``extra["tool_calls"]``; the generate step then stores the reply as a trace."""
        return False

    @classmethod
    def cache_options(cls, options: dict) -> dict:
        """The resolved options (:meth:`resolve_options`) that change what the engine answers: they go into the
        request-cache key (teachers/cache.py), so two runs differing in one of them never share an entry.
        Empty (the default) leaves the key as it was before options counted."""
        return {}

    @classmethod
    def refused_finish_reasons(cls, options: dict) -> tuple[str, ...]:
        """Finish reasons this engine, with these options, does not accept as an answer (retries them): a
        request-cache entry that ended so (stored before the option was set) is a miss, not a hit. Default: none."""
        return ()

    def parallel_requests(self) -> int:
        """How many requests of a batch may be in flight at once from threads (1 = call it serially)."""
        return 1

    @classmethod
    def make_scorer(cls, model: str, student_tok: Any, student: str, device: Any, options: dict, inherited: bool):
        """A token scorer (``score(prompt_ids, comp_ids, full)``) for on-policy distillation; ``inherited``:
        the options are the recipe teacher's generation options (keep the keys a scorer uses)."""
        raise ValueError(f"teacher engine {cls.engine!r} cannot score tokens")

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release engines, clients, GPU memory."""
