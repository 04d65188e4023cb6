"""The ``Teacher`` protocol.

An engine turns a batch of :class:`GenRequest` into the same number of :class:`GenResult`, in
order. It never raises for one bad request: a request that failed after the engine's retries
comes back with ``error`` set (and ``finish_reason="error"``), and the pipeline sends that row to
rejects with the error as reason. Heavy state (model weights, HTTP clients, engine replicas) is
created once in ``__init__``, which runs once per Ray actor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from pydantic import Field

from ground.config import Config as _Cfg


class SamplingConfig(_Cfg):
    max_tokens: int = Field(256, gt=0, le=131072, description="max new tokens per sample")
    temperature: float = Field(0.0, ge=0, le=5, description="0 = greedy")
    top_p: float = Field(1.0, gt=0, le=1, description="nucleus sampling")
    seed: int = Field(0, ge=0, description="base seed; each sample index gets its own stream")
    stop: list[str] = Field(default_factory=list, description="stop strings")
    top_logprobs: int = Field(0, ge=0, le=20, description="store top-k teacher logprobs per token (soft-label KD)")


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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["stop"] = list(self.stop)
        return d


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


class Teacher:
    """Base class for engines. ``engine`` is the registry name used in recipes."""

    engine: ClassVar[str] = "base"
    #: the recipe's ``teacher.options`` (a Config): validated into ``self.options`` by this base, and the
    #: recipe schema types the section from it. None = options are ``__init__`` keyword arguments
    Options: ClassVar[type[_Cfg] | None] = None

    def __init__(self, name: str, model: str, **options: Any):
        self.name, self.model = name, model
        if self.Options is not None:
            self.options = self.Options.model_validate(options)

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        """Validate recipe ``teacher.options`` without constructing (no model load, no connection).

        With ``Options`` the recipe schema has done it; else they are bound to ``__init__``'s signature
        (engines with an options dataclass override).
        """
        import inspect

        if cls.Options is not None:
            cls.Options.model_validate(options)
            return
        params = inspect.signature(cls.__init__).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return
        known = sorted(set(params) - {"self", "name", "model"})
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise TypeError(f"{cls.engine} teacher: unknown options {unknown}; known: {known}")

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release engines, clients, GPU memory."""
