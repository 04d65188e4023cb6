"""``openai_compat``: any OpenAI-compatible HTTP endpoint (OpenAI, vLLM, SGLang, llama.cpp, ...).

    >>> from teachers.openai_compat import OpenAICompatTeacher
    >>> from teachers.base import GenRequest, SamplingParams
    >>> t = OpenAICompatTeacher("gpt", "gpt-4o-mini", base_url="https://api.openai.com/v1",
    ...                         api_key_env="OPENAI_API_KEY", concurrency=32, rpm=500,
    ...                         prices={"input_per_mtok": 0.15, "output_per_mtok": 0.6})
    >>> [r.text for r in t.generate([GenRequest("k", [{"role": "user", "content": "Say hi"}], SamplingParams())])]

A request with ``tools`` sends them natively (``tools``/``tool_choice``); the reply's ``tool_calls``
(parallel calls included) come back in ``GenResult.extra["tool_calls"]`` with ``text`` the content.
``generate`` is synchronous and runs its own asyncio loop with one ``httpx.AsyncClient`` per call,
so it works from any thread, repeatedly, and (via a worker thread) even under a running loop.
``concurrency`` workers pull requests from the batch; before each attempt a worker passes the
rate limiter (teachers/ratelimit.py: rpm/tpm buckets, ``x-ratelimit-*`` headers, 429 cool-down).
429, 408, 5xx, timeouts, connection errors, unparsable JSON, empty ``choices`` and any
``retry_on_finish_reasons`` are retried with exponential backoff and "equal jitter" (AWS Architecture
Blog, "Exponential Backoff and Jitter", 2015), never sooner than ``Retry-After``. Other 4xx are
final at once. A request that still fails comes back with ``finish_reason="error"`` and ``error``
such as ``"HTTP 503 after 4 attempts: ..."``; ``generate`` never raises for one bad request.

The API key is read from the environment variable *named* by ``api_key_env`` and is kept out of
reprs, logs, errors and pickles (an unpickled teacher re-reads the variable on its Ray worker).
Sampling seed sent = ``params.seed * 1_000_003 + sample_index``, the same rule as ``hf_local``, so
the n samples of one prompt differ yet are reproducible.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import random
import time
from dataclasses import dataclass, field, fields
from typing import Any

import httpx

from ground.errors import FactoryError
from teachers.base import GenRequest, GenResult, Teacher, logprobs_meta
from teachers.ratelimit import RateLimiter, parse_retry_after, ratelimit_headers
from teachers.reasoning import split_reasoning

log = logging.getLogger(__name__)


class TeacherOptionsError(FactoryError, ValueError):
    """Bad ``openai_compat`` options in a recipe (unknown key, bad value, unset key variable)."""


@dataclass
class Prices:
    input_per_mtok: float = field(default=0.0, metadata={"help": "dollars per million prompt tokens"})
    output_per_mtok: float = field(default=0.0, metadata={"help": "dollars per million completion tokens"})


@dataclass
class OpenAICompatOptions:
    base_url: str = field(default="https://api.openai.com/v1",
                          metadata={"help": "API root including /v1; /chat/completions is appended"})
    api_key_env: str | None = field(default=None, metadata={
        "help": "NAME of the env var holding the API key (never the key itself); None = no auth header"})
    endpoint: str = field(default="chat", metadata={"help": "'chat' (/chat/completions) or 'completions'"})
    concurrency: int = field(default=16, metadata={"help": "max requests in flight"})
    rpm: float | None = field(default=None, metadata={"help": "client-side requests/minute limit"})
    tpm: float | None = field(default=None, metadata={"help": "client-side tokens/minute limit (prompt+max_tokens)"})
    timeout_s: float = field(default=120.0, metadata={"help": "total seconds per attempt"})
    max_retries: int = field(default=3, metadata={"help": "retries after the first attempt"})
    backoff_base_s: float = field(default=0.5, metadata={"help": "first backoff; doubles per retry"})
    backoff_max_s: float = field(default=30.0, metadata={"help": "cap on one backoff (before jitter)"})
    max_retry_after_s: float = field(default=120.0, metadata={"help": "cap on a server's Retry-After"})
    retry_on_finish_reasons: tuple[str, ...] = field(default=(), metadata={
        "help": "finish reasons that are retried like errors, e.g. ['length']"})
    extra_body: dict = field(default_factory=dict, metadata={"help": "merged into every request body"})
    prices: Prices = field(default_factory=Prices, metadata={"help": "{input_per_mtok, output_per_mtok}"})

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> OpenAICompatOptions:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TeacherOptionsError(f"openai_compat: unknown options {unknown}; known: {sorted(known)}")
        opts = dict(options)
        if isinstance(opts.get("prices"), dict):
            pk = {f.name for f in fields(Prices)}
            bad = sorted(set(opts["prices"]) - pk)
            if bad:
                raise TeacherOptionsError(f"openai_compat: unknown prices keys {bad}; known: {sorted(pk)}")
            opts["prices"] = Prices(**opts["prices"])
        if "retry_on_finish_reasons" in opts:
            opts["retry_on_finish_reasons"] = tuple(opts["retry_on_finish_reasons"] or ())
        return cls(**opts)

    def __post_init__(self):
        def bad(msg: str):
            raise TeacherOptionsError(f"openai_compat: {msg}")

        if not isinstance(self.base_url, str) or not self.base_url.startswith(("http://", "https://")):
            bad(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if self.endpoint not in ("chat", "completions"):
            bad(f"endpoint must be 'chat' or 'completions', got {self.endpoint!r}")
        if not isinstance(self.concurrency, int) or self.concurrency < 1:
            bad(f"concurrency must be an int >= 1, got {self.concurrency!r}")
        for name in ("rpm", "tpm"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, (int, float)) or v <= 0):
                bad(f"{name} must be > 0 or null, got {v!r}")
        for name in ("timeout_s", "backoff_base_s", "backoff_max_s", "max_retry_after_s"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or v < 0 or (name == "timeout_s" and v == 0):
                bad(f"{name} must be a number {'> 0' if name == 'timeout_s' else '>= 0'}, got {v!r}")
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            bad(f"max_retries must be an int >= 0, got {self.max_retries!r}")
        if not isinstance(self.extra_body, dict):
            bad("extra_body must be a mapping")
        if not isinstance(self.prices, Prices):
            bad("prices must be a mapping {input_per_mtok, output_per_mtok}")
        if self.api_key_env is not None and (not isinstance(self.api_key_env, str) or not self.api_key_env):
            bad("api_key_env must be the NAME of an environment variable")


@dataclass
class _Failure:
    kind: str  # short, used in the final error and the attempt history: "HTTP 503", "timeout", ...
    detail: str = ""
    retryable: bool = True
    retry_after: float | None = None
    partial: GenResult | None = None  # a parsed answer refused for its finish_reason


async def _post(client: httpx.AsyncClient, url: str, body: dict, seconds: float) -> httpx.Response:
    """POST with a total deadline (httpx's own timeouts are per read/write, not per request)."""
    if hasattr(asyncio, "timeout"):  # 3.11+: no extra task per request
        async with asyncio.timeout(seconds):
            return await client.post(url, json=body)
    return await asyncio.wait_for(client.post(url, json=body), seconds)


def _wire_message(m: dict) -> dict:
    """A message as the API takes it: the catalogue travels as ``tools=``, not inside the system message,
    and earlier reasoning is not sent back (several reasoning APIs refuse ``reasoning_content`` in input)."""
    if "tools" in m or "reasoning_content" in m:
        return {k: v for k, v in m.items() if k not in ("tools", "reasoning_content")}
    return m


class OpenAICompatTeacher(Teacher):
    engine = "openai_compat"

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        OpenAICompatOptions.from_options(options)  # the key's env var is checked at construction, not here

    def __init__(self, name: str, model: str, **options: Any):
        super().__init__(name, model)
        self.options = OpenAICompatOptions.from_options(options)
        self._setup()

    def _setup(self) -> None:
        self._api_key = self._read_key()
        self._limiter = RateLimiter(self.options.rpm, self.options.tpm)
        self._ssl = None  # made on first use, then shared by every call's client (building one costs ~100 ms)
        path = "/chat/completions" if self.options.endpoint == "chat" else "/completions"
        self._url = self.options.base_url.rstrip("/") + path

    def _read_key(self) -> str | None:
        env = self.options.api_key_env
        if env is None:
            return None
        key = os.environ.get(env)
        if not key:
            raise TeacherOptionsError(
                f"openai_compat teacher {self.name!r}: api_key_env={env!r} but that environment variable is "
                f"not set (export {env}=... before running)")
        return key

    def __repr__(self) -> str:
        o = self.options
        return (f"OpenAICompatTeacher(name={self.name!r}, model={self.model!r}, base_url={o.base_url!r}, "
                f"endpoint={o.endpoint!r}, api_key_env={o.api_key_env!r}, concurrency={o.concurrency})")

    # Pickles carry no key (it is re-read from the environment) and no lock-holding limiter.
    def __getstate__(self) -> dict:
        return {"name": self.name, "model": self.model, "options": self.options}

    def __setstate__(self, state: dict) -> None:
        self.name, self.model, self.options = state["name"], state["model"], state["options"]
        self._setup()

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    # ------------------------------------------------------------------ driving
    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        if not requests:
            return []
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._agenerate(requests))
        # Called under a running loop (async Ray actor, notebook): asyncio.run would refuse there.
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            return ex.submit(lambda: asyncio.run(self._agenerate(requests))).result()

    async def _agenerate(self, requests: list[GenRequest]) -> list[GenResult]:
        o = self.options
        n = len(requests)
        results: list[GenResult | None] = [None] * n
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        t0 = time.perf_counter()
        done = [0, t0]  # completed count, time of the last progress line
        work = iter(range(n))

        async def worker(client: httpx.AsyncClient):
            # A shared iterator is safe: the loop is single-threaded and next() does not await.
            for i in work:
                try:
                    results[i] = await self._one(client, requests[i])
                except Exception as e:  # a bug here must cost one row, not the whole batch
                    log.exception("%s: request %s failed unexpectedly", self.name, requests[i].key[:16])
                    results[i] = GenResult(finish_reason="error",
                                           error=self._redact(f"internal error: {type(e).__name__}: {e}")[:300])
                done[0] += 1
                now = time.perf_counter()
                if now - done[1] > 30:
                    done[1] = now
                    log.info("%s: %d/%d requests done (%.1f/s)", self.name, done[0], n, done[0] / (now - t0))

        limits = httpx.Limits(max_connections=o.concurrency, max_keepalive_connections=o.concurrency)
        if self._ssl is None:
            import ssl

            import certifi

            self._ssl = ssl.create_default_context(cafile=certifi.where())  # what httpx builds per client by default
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=httpx.Timeout(o.timeout_s), verify=self._ssl) as client:
            await asyncio.gather(*(worker(client) for _ in range(min(o.concurrency, n))))
        errors = sum(1 for r in results if r is not None and r.error)
        log.info("%s: %d requests in %.2fs, %d errors", self.name, n, time.perf_counter() - t0, errors)
        return results  # type: ignore[return-value]

    async def _one(self, client: httpx.AsyncClient, req: GenRequest) -> GenResult:
        o = self.options
        t0 = time.perf_counter()
        try:
            body = self._body(req)
        except Exception as e:  # a malformed request fails this row only
            return GenResult(finish_reason="error", error=f"bad request: {type(e).__name__}: {e}"[:300])
        est = self._estimate_tokens(req)
        attempts = o.max_retries + 1
        history: list[str] = []
        fail: _Failure | None = None
        for attempt in range(attempts):
            ticket = await self._limiter.acquire(est)
            out = await self._attempt(client, body, ticket, req)
            if isinstance(out, GenResult):
                out.seconds = time.perf_counter() - t0
                out.extra["attempts"] = attempt + 1
                if history:
                    out.extra["retried_after"] = history  # why earlier attempts failed
                return out
            fail = out
            history.append(fail.kind)
            if not fail.retryable or attempt == attempts - 1:
                break
            d = min(o.backoff_max_s, o.backoff_base_s * 2**attempt)
            delay = d / 2 + random.uniform(0, d / 2)
            if fail.retry_after is not None:
                delay = max(delay, min(fail.retry_after, o.max_retry_after_s))
            if fail.kind == "HTTP 429":
                self._limiter.cool_down(delay)  # everyone backs off, not only this worker
            log.debug("%s: request %s attempt %d/%d failed (%s); retrying in %.2fs",
                      self.name, req.key[:16], attempt + 1, attempts, fail.kind, delay)
            await asyncio.sleep(delay)
        assert fail is not None
        n = len(history)
        msg = f"{fail.kind} after {n} attempt{'s' if n != 1 else ''}"
        if not fail.retryable:
            msg += " (not retryable)"
        if fail.detail:
            msg += f": {fail.detail}"
        if len(set(history)) > 1:
            msg += f" [attempts: {', '.join(history)}]"
        res = fail.partial or GenResult()
        res.error, res.finish_reason = self._redact(msg)[:500], "error"
        res.seconds = time.perf_counter() - t0
        res.extra["attempts"] = n
        return res

    # ------------------------------------------------------------------ one HTTP exchange
    async def _attempt(self, client, body: dict, ticket, req: GenRequest) -> GenResult | _Failure:
        o = self.options
        try:
            resp = await _post(client, self._url, body, o.timeout_s)
        except (TimeoutError, asyncio.TimeoutError, httpx.TimeoutException):
            self._limiter.release(ticket)
            return _Failure("timeout", f"no complete answer within timeout_s={o.timeout_s:g}")
        except httpx.TransportError as e:
            self._limiter.release(ticket)
            return _Failure("connection error", self._redact(f"{type(e).__name__}: {e}")[:200])
        status = resp.status_code
        if status != 200:
            self._limiter.observe(ticket, ratelimit_headers(resp.headers.raw))
            detail = self._error_message(resp)
            ra = parse_retry_after(resp.headers)
            retryable = status in (408, 409, 429) or status >= 500
            return _Failure(f"HTTP {status}", detail, retryable, ra)
        try:
            data = resp.json()
        except ValueError as e:
            self._limiter.observe(ticket, ratelimit_headers(resp.headers.raw))
            return _Failure("invalid JSON in response", str(e)[:200])
        usage = data.get("usage") if isinstance(data, dict) else None
        used = None
        if isinstance(usage, dict):
            used = int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
        self._limiter.observe(ticket, ratelimit_headers(resp.headers.raw), used)
        choices = data.get("choices") if isinstance(data, dict) else None
        if not choices:
            return _Failure("empty choices", "the answer has no choices")
        try:
            res = self._parse(choices[0], usage or {}, req)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            return _Failure("malformed response", f"{type(e).__name__}: {e}"[:200])
        if res.finish_reason in o.retry_on_finish_reasons:
            return _Failure(f"finish_reason {res.finish_reason!r}", "", True, None, res)
        return res

    def _error_message(self, resp: httpx.Response) -> str:
        try:
            err = resp.json().get("error")
            msg = err.get("message") if isinstance(err, dict) else err
        except (ValueError, AttributeError):
            msg = resp.text
        return self._redact(str(msg or "").strip())[:200]

    # ------------------------------------------------------------------ request / response shapes
    def _body(self, req: GenRequest) -> dict:
        p = req.params
        body: dict[str, Any] = {"model": self.model, "temperature": p.temperature, "top_p": p.top_p,
                                "max_tokens": p.max_tokens, "seed": p.seed * 1_000_003 + req.sample_index}
        if p.stop:
            body["stop"] = list(p.stop)
        if self.options.endpoint == "chat":
            body["messages"] = [_wire_message(m) for m in req.messages]
            if req.tools:
                body["tools"] = req.tools
                if req.tool_choice is not None:
                    body["tool_choice"] = req.tool_choice
            if p.top_logprobs > 0:
                body["logprobs"], body["top_logprobs"] = True, p.top_logprobs
        else:
            # A base model sees the turns' contents joined: the recipe's template owns the format.
            body["prompt"] = "\n\n".join(str(m["content"]) for m in req.messages)
            if p.top_logprobs > 0:
                body["logprobs"] = p.top_logprobs
        body.update(self.options.extra_body)
        return body

    @staticmethod
    def _estimate_tokens(req: GenRequest) -> int:
        # ~4 characters per token (OpenAI's rule of thumb); max_tokens counts as providers charge it.
        chars = sum(len(str(m.get("content", ""))) for m in req.messages)
        return chars // 4 + 1 + req.params.max_tokens

    def _parse(self, choice: dict, usage: dict, req: GenRequest) -> GenResult:
        if self.options.endpoint == "chat":
            msg = choice["message"]
            content = msg.get("content") or ""
            reasoning, text = split_reasoning(content, msg.get("reasoning_content") or msg.get("reasoning"))
        else:
            reasoning, text = split_reasoning(choice.get("text") or "")
        tin, tout = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        pr = self.options.prices
        top = self._logprobs(choice.get("logprobs")) if req.params.top_logprobs > 0 else None
        extra = {"tool_calls": msg["tool_calls"]} if self.options.endpoint == "chat" and msg.get("tool_calls") else {}
        return GenResult(extra=extra,
            text=text, reasoning=reasoning, finish_reason=choice.get("finish_reason") or "stop",
            tokens_in=tin, tokens_out=tout,
            cost=(tin * pr.input_per_mtok + tout * pr.output_per_mtok) / 1e6,
            top_logprobs=top,
            # a server may or may not warp its logprobs by temperature/top_p: "raw" is unknown (None), so KD
            # accepts these only when sampled at temperature 1, top_p 1 (students/kd_labels.py)
            logprobs_meta=logprobs_meta("api", req.params, None, "str") if top else None,
        )

    def _logprobs(self, lp: dict | None) -> list | None:
        if not lp:
            return None
        if self.options.endpoint == "chat":
            return [[[t["token"], float(t["logprob"])] for t in tok.get("top_logprobs") or []]
                    for tok in lp.get("content") or []]
        return [[[t, float(v)] for t, v in sorted(d.items(), key=lambda kv: -kv[1])]
                for d in lp.get("top_logprobs") or [] if d is not None]
