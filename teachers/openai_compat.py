"""``openai_compat``: any OpenAI-compatible HTTP endpoint (OpenAI, vLLM, SGLang, llama.cpp, ...).

    >>> from teachers.openai_compat import OpenAICompatTeacher
    >>> from teachers.base import GenRequest, SamplingParams
    >>> t = OpenAICompatTeacher("gpt", "gpt-4o-mini", base_url="https://api.openai.com/v1",
    ...                         api_key_env="OPENAI_API_KEY", concurrency=32, rpm=500,
    ...                         prices={"input_per_mtok": 0.15, "output_per_mtok": 0.6})
    >>> [r.text for r in t.generate([GenRequest("k", [{"role": "user", "content": "Say hi"}], SamplingParams())])]

A request with ``tools`` sends them natively (``tools``, and ``tool_choice``: the request's, else the
``tool_choice`` option); the reply's ``tool_calls``
(parallel calls included) come back in ``GenResult.extra["tool_calls"]`` with ``text`` the content.
``generate`` is synchronous and runs its own asyncio loop, so it works from any thread, repeatedly, and
(via a worker thread) even under a running loop. ``concurrency`` workers pull requests from the batch, each
through its own ``httpx.AsyncClient`` with one keep-alive connection (a shared pool of ``concurrency``
connections cost 2.4x the client CPU a request: httpcore re-scans the pool at each request's start and end,
bench/bench_scale.py); before each attempt a worker passes the
rate limiter (teachers/ratelimit.py: rpm/tpm buckets, ``x-ratelimit-*`` headers, 429 cool-down).
429, 408, 5xx, timeouts, connection errors, undecodable (broken gzip) or unparsable JSON bodies, empty
``choices``, empty answers (200 with no content, reasoning or tool call) and any ``retry_on_finish_reasons`` are
retried with exponential backoff and "equal jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015),
never sooner than ``Retry-After``; so are TGI's 424 (a failure during generation) and an answer vLLM or SGLang
aborted (finish_reason "abort"). Other 4xx are final at once. A request that still fails comes back with
``finish_reason="error"`` and ``error`` such as ``"HTTP 503 after 4 attempts: ..."``; ``generate`` never raises
for one bad request.

The API key is read from the environment variable *named* by ``api_key_env`` and is kept out of
reprs, logs, errors and pickles (an unpickled teacher re-reads the variable on its Ray worker).
Sampling seed sent = ``params.seed * 1_000_003 + sample_index``, the same rule as ``hf_local``, so
the n samples of one prompt differ yet are reproducible.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from ground.config import ConfigError
from teachers.base import GenRequest, GenResult, Teacher, logprobs_meta
from teachers.openai_options import OpenAICompatOptions, Prices, read_api_key  # noqa: F401 - Prices re-exported
from teachers.openai_wire import (RETRYABLE_4XX, ResponseTooLarge, body_error, content_parts, error_text, finish_reason,
                                  json_body, post, shown_url, text_field, tool_calls, top_logprobs, usage_counts, wire_message)
from teachers.ratelimit import RateLimiter, parse_retry_after, ratelimit_headers
from teachers.reasoning import split_reasoning

log = logging.getLogger(__name__)


#: bad ``openai_compat`` options given in code, or an unset key variable (a recipe's come from its schema)
TeacherOptionsError = ConfigError


@dataclass
class _Failure:
    kind: str  # short, used in the final error and the attempt history: "HTTP 503", "timeout", ...
    detail: str = ""
    retryable: bool = True
    retry_after: float | None = None
    partial: GenResult | None = None  # a parsed answer refused for its finish_reason


def _charge(res: GenResult, refused: list[GenResult]) -> GenResult:
    """``res`` with the price of the answers refused before it (``retry_on_finish_reasons``): its ``cost``, and its
    ``extra["retry_tokens"]`` ([in, out]) for a price applied later (teachers/step.py); its own tokens stay its own."""
    if refused:
        res.cost += sum(r.cost for r in refused)
        res.extra["retry_tokens"] = [sum(r.tokens_in for r in refused), sum(r.tokens_out for r in refused)]
    return res


class OpenAICompatTeacher(Teacher):
    engine = "openai_compat"
    Options = OpenAICompatOptions
    scorer_options = frozenset({"base_url", "api_key_env", "timeout_s", "concurrency"})
    can_score = True  # with vLLM's prompt_logprobs extension of /v1/completions (teachers/scorers.py)

    def __init__(self, name: str, model: str, **options: Any):
        super().__init__(name, model, **options)  # the key's env var is checked here, not by the recipe schema
        self._setup()

    @classmethod
    def native_tools(cls, options: dict) -> bool:
        return options.get("endpoint", "chat") == "chat"

    def parallel_requests(self) -> int:
        return int(self.options.concurrency)

    @classmethod
    def per_actor(cls, options: dict, actors: int) -> dict:
        """rpm and tpm are the recipe's whole limit (the provider's): each engine actor keeps its share of them."""
        return {**options, **{k: options[k] / actors for k in ("rpm", "tpm") if options.get(k) and actors > 1}}

    @classmethod
    def cache_options(cls, options: dict) -> dict:
        """What else the server is asked besides messages and sampling: endpoint, extra_body, tool_choice, earlier
        tool turns' reasoning."""
        out = {k: options[k] for k in ("extra_body", "tool_choice", "reasoning_in_tool_turns") if options.get(k)}
        if options.get("endpoint", "chat") != "chat":
            out["endpoint"] = options["endpoint"]
        return out

    @classmethod
    def refused_finish_reasons(cls, options: dict) -> tuple[str, ...]:
        """The recipe's ``retry_on_finish_reasons``, and always "abort": an answer the server dropped half-way, cached
        by a version that took it as an answer, is asked again."""
        return tuple(dict.fromkeys([*(options.get("retry_on_finish_reasons") or ()), "abort"]))

    @classmethod
    def make_scorer(cls, model: str, student_tok: Any, student: str, device: Any, options: dict, inherited: bool):
        from teachers.scorers import OpenAICompatScorer, pick_options

        opts = pick_options(options, cls.scorer_options, inherited, cls.engine)
        return OpenAICompatScorer(model, student_tok, student, **opts)

    def _setup(self) -> None:
        env = self.options.api_key_env
        self._api_key = read_api_key(env, f"openai_compat teacher {self.name!r}", TeacherOptionsError) if env else None
        self._limiter = RateLimiter(self.options.rpm, self.options.tpm)
        self._usage_warned = False
        self._ssl = None  # made on first use, then shared by every call's client (building one costs ~100 ms)
        path = "/chat/completions" if self.options.endpoint == "chat" else "/completions"
        base = httpx.URL(self.options.base_url)
        self._url = str(base.copy_with(path=base.path.rstrip("/") + path))  # a query (Azure's api-version) stays last
        self._shown_url = shown_url(self._url)

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
        headers = dict(o.headers)
        if self._api_key:
            headers[o.auth_header] = f"Bearer {self._api_key}" if o.auth_header == "Authorization" else self._api_key
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

        if self._ssl is None:  # what httpx builds per client by default: certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR
            self._ssl = httpx.create_ssl_context()

        async def own_client():
            # one client (one keep-alive connection) per worker, not one pool of `concurrency` connections shared by
            # all: httpcore's pool re-scans every connection and queued request on each request's start and end
            # (~1.5 ms CPU a request at 16 in flight, the largest CPU cost of a fast teacher: bench/bench_scale.py)
            async with httpx.AsyncClient(headers=headers, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                                         timeout=httpx.Timeout(o.timeout_s), verify=self._ssl) as client:
                await worker(client)

        await asyncio.gather(*(own_client() for _ in range(min(o.concurrency, n))))
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
        refused: list[GenResult] = []  # answers refused for their finish_reason: the server charged for them
        for attempt in range(attempts):
            ticket = await self._limiter.acquire(est)
            out = await self._attempt(client, body, ticket, req)
            if isinstance(out, GenResult):
                out.seconds = time.perf_counter() - t0
                out.extra["attempts"] = attempt + 1
                if history:
                    out.extra["retried_after"] = history  # why earlier attempts failed
                return _charge(out, refused)
            fail = out
            history.append(fail.kind)
            if not fail.retryable or attempt == attempts - 1:
                break
            if fail.partial is not None:
                refused.append(fail.partial)
            d = min(o.backoff_max_s, o.backoff_base_s * 2**attempt)
            delay = d / 2 + random.uniform(0, d / 2)
            if fail.retry_after is not None:
                delay = max(delay, min(fail.retry_after, o.max_retry_after_s))
            if fail.kind in ("HTTP 429", "error 429 in a 200 reply"):
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
        return _charge(res, refused)

    # ------------------------------------------------------------------ one HTTP exchange
    async def _attempt(self, client, body: dict, ticket, req: GenRequest) -> GenResult | _Failure:
        o = self.options
        try:
            resp = await post(client, self._url, body, o.timeout_s, int(o.max_response_mb * (1 << 20)))
        except ResponseTooLarge as e:
            self._limiter.release(ticket)
            return _Failure("response too large", str(e), retryable=False)
        except (TimeoutError, asyncio.TimeoutError, httpx.TimeoutException):
            self._limiter.release(ticket)
            return _Failure("timeout", f"no complete answer within timeout_s={o.timeout_s:g}")
        except httpx.DecodingError as e:  # a broken gzip/deflate body (a proxy's fault, most often): try again
            self._limiter.release(ticket)
            return _Failure("undecodable response body", f"DecodingError: {e}"[:200])
        except httpx.TransportError as e:
            self._limiter.release(ticket)
            return _Failure("connection error", self._redact(f"{type(e).__name__}: {e}")[:200] + f" (POST {self._shown_url})")
        status = resp.status_code
        if status != 200:
            self._limiter.observe(ticket, ratelimit_headers(resp.headers.raw))
            detail = self._error_message(resp)
            if status in (404, 405):  # the wrong URL, most often: say which one
                hint = "" if "/v1" in self._shown_url else "; base_url usually ends in /v1"
                detail = f"{detail} (POST {self._shown_url}{hint})"
            elif 300 <= status < 400 and resp.headers.get("location"):  # redirects are not followed (a POST's body)
                to = httpx.URL(self._shown_url).join(resp.headers["location"])
                to = to.copy_with(query=None, fragment=None, userinfo=b"")  # as base_url: no credentials shown
                detail = f"{detail} (POST {self._shown_url} moved to {to}: set base_url)".lstrip()
            ra = parse_retry_after(resp.headers)
            if status == 429 and b"insufficient_quota" in resp.content:  # OpenAI: no credits left, no wait helps
                return _Failure("HTTP 429 (out of quota)", detail, False)
            if status == 400 and "`reasoning_content`" in detail and not o.reasoning_in_tool_turns:
                detail += " (set the teacher option reasoning_in_tool_turns: true)"  # DeepSeek's thinking mode with tools
            retryable = status in RETRYABLE_4XX or status >= 500
            return _Failure(f"HTTP {status}", detail, retryable, ra)
        try:
            data = json_body(resp.content)
        except ValueError as e:
            self._limiter.observe(ticket, ratelimit_headers(resp.headers.raw))
            # an HTML page of a proxy, events, nothing; the key hidden before the cut (a cut key would not be found)
            head = self._redact(resp.content.decode("utf-8", "replace")).strip()[:60]
            return _Failure("invalid JSON in response", (f"{e}; the body begins {head!r}" if head else
                                                         f"{e}; the body is empty")[:200])
        usage = data.get("usage") if isinstance(data, dict) else None
        usage = usage_counts(usage) if isinstance(usage, dict) else None  # counts that are numbers, else left out
        used = sum(usage.values()) if usage else None
        self._limiter.observe(ticket, ratelimit_headers(resp.headers.raw), used)
        choices = data.get("choices") if isinstance(data, dict) else None
        if not choices and isinstance(data, dict) and data.get("error"):
            return _Failure(*body_error(data["error"], self._redact))
        if not choices:
            return _Failure("empty choices", "the answer has no choices")
        if not isinstance(choices, list):
            return _Failure("malformed response", f"choices is a {type(choices).__name__}, not a list")
        if isinstance(choices[0], dict) and (choices[0].get("error") or choices[0].get("finish_reason") == "error"):
            return _Failure(*body_error(choices[0].get("error") or "the answer's finish_reason is 'error'", self._redact))
        try:
            res = self._parse(choices[0], usage or {}, req)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            return _Failure("malformed response", f"{type(e).__name__}: {e}"[:200])
        if res.finish_reason in o.retry_on_finish_reasons:
            return _Failure(f"finish_reason {res.finish_reason!r}", "", True, None, res)
        if res.finish_reason == "abort":  # vLLM, SGLang: the engine dropped the request (shutdown, preemption, a pause)
            return _Failure("aborted by the server", f"finish_reason 'abort' after {len(res.text)} characters of answer",
                            True, None, res)
        if res.finish_reason == "stop" and not (res.error or res.text.strip() or res.reasoning or res.extra):
            # a provider's glitch (OpenRouter, LiteLLM adapters), not an answer: cached, it would never be asked again
            return _Failure("empty answer", "HTTP 200 with no content, reasoning or tool call", True, None, res)
        k = req.params.top_logprobs
        if k and res.text.strip() and not res.error and not any(res.top_logprobs or ()):
            # a server or model that ignores `logprobs` (many gateways' providers, older Ollama): the row would be
            # accepted and fail soft-label KD only at training time, after the whole corpus was paid for
            return _Failure("no logprobs", f"sampling.top_logprobs is {k} but the reply has no top logprobs (the server "
                            "or model does not return them)", False, None, res)
        return res

    def _error_message(self, resp: httpx.Response) -> str:
        try:
            msg = error_text(resp.json())
        except ValueError:
            msg = None
        return self._redact(str(msg if msg is not None else resp.text).strip())[:200]

    # ------------------------------------------------------------------ request / response shapes
    def _body(self, req: GenRequest) -> dict:
        p = req.params
        o = self.options
        body: dict[str, Any] = {"model": self.model, "temperature": p.temperature, "top_p": p.top_p,
                                o.max_tokens_field: p.max_tokens, "seed": p.seed * 1_000_003 + req.sample_index}
        if p.stop:
            body["stop"] = list(p.stop)
        for name in o.omit_params:
            body.pop(name, None)
        if self.options.endpoint == "chat":
            body["messages"] = [wire_message(m, o.reasoning_in_tool_turns) for m in req.messages]
            if req.tools:
                body["tools"] = req.tools
                choice = req.tool_choice if req.tool_choice is not None else self.options.tool_choice
                if choice is not None:
                    body["tool_choice"] = choice
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
        chat = self.options.endpoint == "chat"
        if chat:
            msg = choice["message"]
            content, part_reasoning = content_parts(msg.get("content"))
            given = text_field(msg.get("reasoning_content")) or text_field(msg.get("reasoning")) or part_reasoning
            reasoning, text = split_reasoning(content, given)
        else:
            reasoning, text = split_reasoning(choice.get("text") or "")
        tin, tout = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        said = bool(text or reasoning or (chat and msg.get("tool_calls")))  # an answer has tokens: 0 is no count
        if not tin or (not tout and said):  # no usage, or a count left out or 0 (some gateways): estimate that one
            ein, eout = self._estimated_usage(req, text, reasoning, msg if chat else {}, bool(usage))
            tin, tout = tin or ein, tout or (eout if said or not usage else 0)
        pr = self.options.prices
        top = top_logprobs(choice.get("logprobs")) if req.params.top_logprobs > 0 else None
        calls = tool_calls(msg.get("tool_calls")) if chat else None
        extra = {"tool_calls": calls} if calls else {}
        refusal = msg.get("refusal") if chat and not text.strip() else None
        fin = finish_reason(choice.get("finish_reason"), choice.get("native_finish_reason"))
        return GenResult(extra=extra,
            text=text, reasoning=reasoning, finish_reason=fin,
            tokens_in=tin, tokens_out=tout,
            cost=(tin * pr.input_per_mtok + tout * pr.output_per_mtok) / 1e6,
            top_logprobs=top,
            # a server may or may not warp its logprobs by temperature/top_p: "raw" is unknown (None), so KD
            # accepts these only when sampled at temperature 1, top_p 1 (students/kd_labels.py)
            logprobs_meta=logprobs_meta("api", req.params, None, "str") if top else None,
            error=self._redact(f"refused (not retryable): {str(refusal)[:300]}") if refusal else None,
        )

    def _estimated_usage(self, req: GenRequest, text: str, reasoning: str | None, msg: dict,
                         partial: bool = False) -> tuple[int, int]:
        """A reply without ``usage`` (some proxies and self-hosted servers), or with a count left out or 0, would cost
        $0 and never reach a ``budget: {usd}``: count ~4 characters a token instead, and say so once."""
        if not self._usage_warned:
            self._usage_warned = True
            log.warning("teacher %s: the server sent no token usage%s; tokens and cost are estimated at 4 characters "
                        "a token", self.name, " for a prompt or a reply (a count left out, or 0)" if partial else "")
        calls = msg.get("tool_calls")
        out_chars = len(text) + len(reasoning or "") + (len(json.dumps(calls, ensure_ascii=False)) if calls else 0)
        return self._estimate_tokens(req) - req.params.max_tokens, out_chars // 4 + 1
