"""``factory serve``: an OpenAI-compatible HTTP endpoint over a local transformers model.

    python -m factory.serve --model smollm2-135m-instruct --port 8000 [--adapter runs/x/student]
    curl -s 127.0.0.1:8000/v1/chat/completions -H 'content-type: application/json' \\
         -d '{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8}'

Serves a bundled or local teacher, or a trained student (``--adapter`` is a PEFT LoRA directory,
merged into the base weights once at load so generation costs the same as the base model). Any
OpenAI client works against it, including our own ``openai_compat`` engine.

Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health.
Supported request fields: model, messages | prompt (a string, strings, token ids or lists of token
ids), max_tokens / max_completion_tokens (left out: --default-max-tokens for chat, 16 for
completions, either cut to the context left after the prompt, as vLLM does), temperature (0 =
greedy; OpenAI's default 1.0 when omitted), top_p, seed, stop, n, logprobs + top_logprobs (chat;
raw model log-probabilities, before temperature/top_p), logprobs=int and echo (completions), stream (SSE,
chat only; not together with logprobs). Other generation fields (tools, tool_choice, tool_calls in
the history, response_format other than {"type": "text"}, logit_bias, penalties, best_of, suffix, ...) are
rejected with 400 rather than silently ignored; fields that do not change generation (user,
metadata, store, ...) are ignored. Errors use OpenAI's shape, {"error": {"message", "type",
"param", "code"}}, unknown paths included; a prompt beyond the context is a 400 with code
"context_length_exceeded". A client that disconnects (streaming or not) stops its generation at the next
token; the server keeps serving the others. On SIGTERM it stops accepting, lets requests in progress
run for --shutdown-timeout seconds, then cuts their generation and exits 0.

Micro-batching: requests arriving within ``max_wait_ms`` of each other are run through one
``model.generate`` call of up to ``batch_size`` rows. Only rows whose decoding is compatible share a
call: greedy rows always batch together (greedy output does not depend on the batch); sampled
rows batch by (temperature, top_p); a request with a ``seed`` runs in its own call after
``torch.manual_seed(seed)`` so it is reproducible. The model loads once; generation runs on one
worker thread so the event loop keeps accepting requests meanwhile.
"""

# no `from __future__ import annotations`: FastAPI must see the real Request type of route parameters
import argparse
import asyncio
import hmac
import json
import logging
import os
import signal
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from ground.cli_parser import ArgumentParser
from factory.serve_engine import Choice, Job, LocalModel, check_adapter
from factory.serve_request import (MAX_TOP_LOGPROBS, RequestError, _get, _messages, _sampling,
                                    _usage, error_body)

log = logging.getLogger(__name__)

class MicroBatcher:
    """Collects jobs for up to ``max_wait_ms`` (or ``batch_size`` rows) and runs them as few generate calls."""

    def __init__(self, model: LocalModel, batch_size: int, max_wait_ms: float):
        self.model, self.batch_size, self.max_wait = model, batch_size, max_wait_ms / 1000.0
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")
        self.calls = 0  # generate calls made (observable in /health; lets tests see batching happen)
        self.running: list[Job] = []  # the jobs of the generate call in progress

    async def submit(self, jobs: list[Job]) -> list[Choice]:
        for j in jobs:
            self.queue.put_nowait(j)
        return list(await asyncio.gather(*(j.future for j in jobs)))

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            deadline = loop.time() + self.max_wait
            # poll rather than wait_for(queue.get()): on Python < 3.12 a get that completes as the timeout fires is lost
            while len(batch) < self.batch_size:
                if not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                elif loop.time() < deadline:
                    await asyncio.sleep(min(0.002, deadline - loop.time()))
                else:
                    break
            groups: dict[tuple, list[Job]] = {}
            for j in batch:
                if j.cancelled:  # its client went away before the call started
                    if not j.future.done():
                        j.future.cancel()
                    continue
                groups.setdefault(j.batch_key(), []).append(j)
            for jobs in groups.values():
                self.calls += 1
                self.running = jobs
                try:
                    outs = await loop.run_in_executor(self.pool, self.model.generate, jobs)
                except Exception as e:  # one failed call fails its requests, the server keeps serving
                    log.exception("generate failed for %d rows", len(jobs))
                    outs = [e] * len(jobs)
                self.running = []
                for j, o in zip(jobs, outs):
                    if j.stream is not None:
                        j.stream.put_nowait(None)  # after the streamer's tokens: FIFO on this loop
                    if not j.future.done():
                        j.future.set_exception(o) if isinstance(o, Exception) else j.future.set_result(o)

    def fail_pending(self) -> None:
        """At shutdown: the generate call in progress stops at its next token, queued jobs fail."""
        for j in self.running:
            j.cancelled = True
        while not self.queue.empty():
            j = self.queue.get_nowait()
            if not j.future.done():
                j.future.set_exception(RuntimeError("server shutting down"))


# ---------------------------------------------------------------- request parsing

# ---------------------------------------------------------------- app

def build_app(model: str, adapter: str | None = None, batch_size: int = 8, max_wait_ms: float = 10.0,
              api_key: str | None = None, served_model_name: str | None = None, default_max_tokens: int = 512,
              device: str = "cpu", threads: int | None = None, engine: LocalModel | None = None):
    """A FastAPI app serving ``model`` (+ optional LoRA ``adapter``); the model loads here, once."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    lm = engine or LocalModel(model, adapter=adapter, device=device, threads=threads)
    api = _Api(lm, served_model_name or model, {model} | ({adapter} if adapter else set()), api_key, default_max_tokens)

    @asynccontextmanager
    async def lifespan(app):
        mb = MicroBatcher(lm, batch_size, max_wait_ms)
        api.state["batcher"], task = mb, asyncio.create_task(mb.run())
        yield
        task.cancel()
        mb.fail_pending()
        mb.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="distill-factory serve", lifespan=lifespan)

    @app.exception_handler(RequestError)
    async def _on_request_error(request: Request, e: RequestError):
        return _fail(e)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http_error(request: Request, e: StarletteHTTPException):  # unknown path, wrong method: OpenAI's shape
        return JSONResponse(error_body(str(e.detail), e.status_code), status_code=e.status_code, headers=e.headers)

    @app.exception_handler(Exception)
    async def _on_error(request: Request, e: Exception):
        log.exception("request failed")
        return JSONResponse(error_body(f"generation failed: {type(e).__name__}: {e}", 500), status_code=500)

    @app.get("/health")
    async def health():
        state = api.state
        return {"status": "ok", "model": api.name, "generate_calls": state["batcher"].calls if "batcher" in state else 0}

    @app.get("/v1/models")
    async def models(request: Request):
        if not api.authorized(request):
            return _fail(RequestError("invalid or missing API key", 401, code="invalid_api_key"))
        return {"object": "list", "data": [{"id": api.name, "object": "model", "created": api.created, "owned_by": "distill-factory"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        return await api.chat(await api.parse(request), request)

    @app.post("/v1/completions")
    async def completions(request: Request):
        return await api.completions(await api.parse(request), request)

    return app


async def _disconnected(request) -> None:
    """Returns when the client closes the connection (the body is read already: the next ASGI message is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _fail(e: RequestError):
    from fastapi.responses import JSONResponse

    return JSONResponse(error_body(str(e), e.status, e.param, e.code), status_code=e.status)


class _Api:
    """The request handling of :func:`build_app` over one loaded model (the routes only unwrap requests)."""

    def __init__(self, lm: LocalModel, name: str, aliases: set[str], api_key: str | None, default_max_tokens: int):
        self.lm, self.name, self.names = lm, name, {name} | aliases
        self.api_key, self.default_max_tokens = api_key, default_max_tokens
        self.created = int(time.time())
        self.state: dict[str, Any] = {}  # "batcher": the MicroBatcher, while the app runs

    def authorized(self, request) -> bool:
        return self.api_key is None or hmac.compare_digest(
            request.headers.get("authorization", "").encode(), f"Bearer {self.api_key}".encode())

    async def parse(self, request) -> dict:
        if not self.authorized(request):
            raise RequestError("invalid or missing API key (Authorization: Bearer ...)", 401, code="invalid_api_key")
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RequestError(f"request body is not valid JSON: {e}") from e
        if not isinstance(body, dict):
            raise RequestError("request body must be a JSON object")
        m = body.setdefault("model", self.name)  # left out or null: the served model, as vLLM does
        if m is None:
            m = body["model"] = self.name
        if not isinstance(m, str):
            raise RequestError(f"model: expected a string, got {type(m).__name__}", param="model")
        if m not in self.names:
            raise RequestError(f"The model {m!r} does not exist; this server serves {self.name!r}", 404, "model", "model_not_found")
        return body

    def make_jobs(self, ids: list[int], default_max_tokens: int, what: str, **kw: Any) -> list[Job]:
        """Jobs for one prompt; ``what`` names the prompt field in errors. Left out, max_tokens is the default cut
        to the context left after the prompt (as vLLM does): a prompt that fits is never refused for a default."""
        limit = self.lm.max_len
        if kw["max_tokens"] is None:
            kw["max_tokens"] = max(1, min(default_max_tokens, limit - len(ids))) if limit else default_max_tokens
        try:
            return self.lm.jobs(ids, **kw)
        except ValueError as e:  # the prompt does not fit the context window
            raise RequestError(str(e), param="max_tokens" if limit and len(ids) < limit else what,
                               code="context_length_exceeded") from e

    async def run(self, jobs: list[Job], request: Any = None) -> list[Choice]:
        """The jobs' choices; a client that disconnects first cancels them, so the worker moves on to the others."""
        work = asyncio.ensure_future(self.state["batcher"].submit(jobs))
        if request is None:
            return await work
        gone = asyncio.ensure_future(_disconnected(request))
        try:
            await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # shutdown past --shutdown-timeout: nobody will read these choices
            for j in jobs:
                j.cancelled = True
            work.cancel()
            gone.cancel()
            raise
        if work.done():
            gone.cancel()
            return work.result()
        for j in jobs:
            j.cancelled = True
        work.cancel()
        log.info("client went away: %d choice(s) cancelled", len(jobs))
        raise RequestError("client disconnected", 499)

    async def chat(self, body: dict, request: Any = None):
        from fastapi.responses import StreamingResponse

        lm, name = self.lm, self.name
        msgs, sp = _messages(body), _sampling(body)
        want_lp = bool(_get(body, "logprobs", bool, False))
        top = _get(body, "top_logprobs", int, 0)
        if not 0 <= top <= MAX_TOP_LOGPROBS or (top and not want_lp):
            raise RequestError(f"top_logprobs: 0..{MAX_TOP_LOGPROBS}, and needs logprobs=true", param="top_logprobs")
        stream = bool(_get(body, "stream", bool, False))
        if stream and want_lp:
            raise RequestError("logprobs with stream=true is not supported; use stream=false", param="logprobs")
        try:
            ids = lm.encode_chat(msgs)
        except Exception as e:  # a template that rejects the roles/order, e.g. two system messages
            raise RequestError(f"chat template failed: {e}", param="messages") from e
        jobs = self.make_jobs(ids, self.default_max_tokens, "messages", **sp, top_logprobs=top if want_lp else None, stream=stream)
        rid, ts = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if stream:
            incl_usage = bool((_get(body, "stream_options", dict, {}) or {}).get("include_usage"))
            return StreamingResponse(_sse_chat(lm, self.state["batcher"], jobs, rid, ts, name, len(ids), incl_usage),
                                     media_type="text/event-stream")
        choices = await self.run(jobs, request)
        return {"id": rid, "object": "chat.completion", "created": ts, "model": name, "system_fingerprint": None,
                "choices": [{"index": i, "message": {"role": "assistant", "content": c.text}, "finish_reason": c.finish_reason,
                             "logprobs": {"content": lm.chat_logprobs(c)} if want_lp else None} for i, c in enumerate(choices)],
                "usage": _usage(len(ids), choices)}

    def _prompts(self, prompt: Any) -> list[list[int]]:
        """OpenAI's four prompt forms (a string, strings, token ids, lists of token ids) as token ids, one list per prompt.
        Token ids are what eval harnesses (lm-evaluation-harness's local-completions) send."""
        def is_ids(p: Any) -> bool:
            return isinstance(p, list) and bool(p) and all(isinstance(t, int) and not isinstance(t, bool) for t in p)

        prompts = [prompt] if isinstance(prompt, str) or is_ids(prompt) else prompt
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) or is_ids(p) for p in prompts):
            raise RequestError("prompt: required, a string, a list of strings, or (lists of) token ids", param="prompt")
        vocab = self.lm.vocab_size
        for i, p in enumerate(prompts):
            if not isinstance(p, str) and any(not 0 <= t < vocab for t in p):
                raise RequestError(f"prompt[{i}]: token ids must be in [0, {vocab})", param="prompt")
        return [self.lm.encode_text(p) if isinstance(p, str) else list(p) for p in prompts]

    async def _echo(self, prompt: Any, encoded: list[list[int]], choices: list[Choice], lp: int | None) -> list[Choice]:
        texts = [prompt] if isinstance(prompt, str) else prompt if all(isinstance(p, str) for p in prompt) else None
        per = len(choices) // len(encoded)  # choices are prompt-major: n per prompt
        scored: list[list] = []
        if lp is not None:
            loop = asyncio.get_running_loop()
            for ids in encoded:  # on the generate worker: one model call at a time
                scored.append(await loop.run_in_executor(self.state["batcher"].pool, self.lm.prompt_logprobs, ids, lp))
        out = []
        for k, c in enumerate(choices):
            p = k // per
            head = texts[p] if texts else self.lm.tok.decode(encoded[p])
            out.append(Choice(c.ids, head + c.text, c.finish_reason, scored[p] + (c.logprobs or []) if lp is not None else None))
        return out

    async def completions(self, body: dict, request: Any = None):
        encoded = self._prompts(body.get("prompt"))
        sp = _sampling(body)
        lp = _get(body, "logprobs", int, None)
        if lp is not None and not 0 <= lp <= 5:
            raise RequestError("logprobs: 0..5 for completions", param="logprobs")
        if _get(body, "stream", bool, False):
            raise RequestError("stream=true is supported on /v1/chat/completions only", param="stream")
        echo = bool(_get(body, "echo", bool, False))
        # 16 is the legacy completions default
        jobs = [j for ids in encoded for j in self.make_jobs(ids, 16, "prompt", **sp, top_logprobs=lp)]
        choices = await self.run(jobs, request)
        if echo:  # the prompt in front of each choice, its tokens scored when logprobs are asked (OpenAI's legacy echo)
            choices = await self._echo(body.get("prompt"), encoded, choices, lp)
        return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()), "model": self.name,
                "choices": [{"index": i, "text": c.text, "finish_reason": c.finish_reason,
                             "logprobs": self.lm.completion_logprobs(c) if lp is not None else None} for i, c in enumerate(choices)],
                "usage": _usage(sum(len(e) for e in encoded), choices)}


async def _sse_chat(lm: LocalModel, batcher: MicroBatcher, jobs: list[Job], rid: str, ts: int, name: str, prompt_tokens: int,
                    include_usage: bool):
    """Chat chunks as the tokens come out of the batch; text held back only while it may still become a stop string."""
    def chunk(delta: dict, index: int = 0, finish: str | None = None, usage: dict | None = None) -> str:
        c = {"id": rid, "object": "chat.completion.chunk", "created": ts, "model": name,
             "choices": [] if usage else [{"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        if usage:
            c["usage"] = usage
        return f"data: {json.dumps(c)}\n\n"

    for i in range(len(jobs)):
        yield chunk({"role": "assistant", "content": ""}, i)
    gathered = asyncio.ensure_future(batcher.submit(jobs))
    finished = False
    try:
        for i, j in enumerate(jobs):
            ids: list[int] = []
            sent = ""
            while (tok := await j.stream.get()) is not None:
                ids.append(tok)
                visible = lm.visible_text(ids, j.stop)
                if len(visible) > len(sent) and visible.startswith(sent):
                    yield chunk({"content": visible[len(sent):]}, i)
                    sent = visible
            c = await j.future
            if c.text.startswith(sent) and len(c.text) > len(sent):
                yield chunk({"content": c.text[len(sent):]}, i)
            yield chunk({}, i, c.finish_reason)
        choices = await gathered
        if include_usage:
            yield chunk({}, usage=_usage(prompt_tokens, choices))
        finished = True
    except Exception as e:
        finished = True
        log.exception("stream failed")
        yield f"data: {json.dumps(error_body(f'generation failed: {e}', 500))}\n\n"
    finally:
        if not finished:  # the client went away mid-stream: stop generating for it, keep serving the others
            for j in jobs:
                j.cancelled = True
            gathered.cancel()
    yield "data: [DONE]\n\n"


def _int_in(lo: int, hi: int):
    """An argparse type: an integer in [lo, hi] (``--port 99999`` loaded the model, then died in bind() with a traceback)."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"must be {lo}-{hi}, got {n}")
        return n
    return parse


def main(argv: list[str] | None = None) -> int:
    p = ArgumentParser(prog="factory serve", description="OpenAI-compatible server over a local model")
    p.add_argument("--model", default="smollm2-135m-instruct", help="bundled model name or local HF directory")
    p.add_argument("--adapter", help="PEFT LoRA adapter directory (e.g. a trained student), merged at load")
    p.add_argument("--served-model-name", help="name clients use in 'model' (default: --model)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: local only)")
    p.add_argument("--port", type=_int_in(0, 65535), default=8000, help="TCP port, 0-65535 (0: any free one)")
    p.add_argument("--batch-size", type=_int_in(1, 1 << 20), default=8, help="max rows per generate call")
    p.add_argument("--max-wait-ms", type=float, default=10.0, help="how long to collect requests into one batch")
    p.add_argument("--default-max-tokens", type=_int_in(1, 1 << 20), default=512, help="chat max_tokens when the request omits it")
    p.add_argument("--api-key-env", metavar="NAME", help="require 'Authorization: Bearer $NAME' (the key is read from this env var)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--shutdown-timeout", type=float, default=10.0,
                   help="on SIGTERM/Ctrl-C, seconds to let requests in progress finish before their generation is cut")
    p.add_argument("--log-level", default="info")
    a = p.parse_args(argv)
    logging.basicConfig(level=a.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    api_key = None
    if a.api_key_env:
        api_key = os.environ.get(a.api_key_env)
        if not api_key:
            print(f"error: --api-key-env {a.api_key_env}: that environment variable is empty or unset", file=sys.stderr)
            return 2
    from ground.errors import FactoryError

    try:
        if a.adapter:
            check_adapter(a.adapter)
        app = build_app(a.model, a.adapter, a.batch_size, a.max_wait_ms, api_key, a.served_model_name, a.default_max_tokens,
                        a.device, a.threads)
    except FactoryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import uvicorn

    log.info("serving %s%s on http://%s:%d/v1", a.model, f" + {a.adapter}" if a.adapter else "", a.host, a.port)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the previous handler: make that exit 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(app, host=a.host, port=a.port, log_level=a.log_level.lower(), timeout_graceful_shutdown=a.shutdown_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
