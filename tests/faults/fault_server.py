"""FaultInjectingServer: a real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on purpose.

    >>> from tests.faults.fault_server import FaultInjectingServer, prompt_key
    >>> import httpx
    >>> with FaultInjectingServer(plan=("503",), retry_after_s=None) as srv:
    ...     body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    ...     r1 = httpx.post(srv.base_url + "/chat/completions", json=body)
    ...     r2 = httpx.post(srv.base_url + "/chat/completions", json=body)
    ...     (r1.status_code, r2.json()["choices"][0]["message"]["content"] == "echo:" + prompt_key(body["messages"], 0))
    (503, True)

This is a fake, and named as one: it exists only to inject faults into real HTTP traffic. The answer
to a request is canned but deterministic: ``"echo:" + prompt_key(messages, seed)``, split into fake
4-character tokens (so ``max_tokens`` truncates it with ``finish_reason="length"``, and top-k
logprobs are deterministic). Which fault an attempt gets is deterministic too: attempt ``i`` of a
key takes ``plan[i]`` if the plan is that long, else a draw from ``Random(f"{seed}:{key}:{i}")``
against the configured rates. Fault kinds:

    429 (with Retry-After), 500, 503, hang (holds the request until the client gives up or hang_s),
    truncated (200 with half a JSON body), empty_choices, error_200_429 / error_200_400 (200 whose body is an
    error with that code, as OpenRouter sends it), error_choice_502 (200 whose one choice carries the error and
    finish_reason "error": OpenRouter's upstream provider failing mid-answer), disconnect (closes without answering),
    length (a 200 answer cut short with finish_reason "length"), no_usage (a 200 answer without ``usage``), bad_usage
    (a 200 answer whose usage counts are "n/a" and an object), refusal (content null and OpenAI's ``refusal``),
    content_filter (content null, finish_reason "content_filter").

Optional ``x-ratelimit-*`` emulation (``rl_requests`` / ``rl_tokens`` per ``rl_window_s``) sends the
headers on every answer and refuses with 429 once a window is spent. It speaks just enough
HTTP/1.1 (keep-alive, Content-Length bodies) on raw asyncio streams to be fast: the server must not
be the bottleneck in bench/bench_openai_compat.py. ``mode="process"`` runs it in a subprocess
(``python -m tests.faults.fault_server``) so it does not share the client's GIL.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass

import httpx

KINDS = ("ok", "429", "500", "503", "hang", "truncated", "empty_choices", "disconnect", "length",
         "error_200_429", "error_200_400", "no_usage", "error_choice_502", "bad_usage", "refusal", "content_filter")
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable"}


def prompt_key(prompt, seed: int = 0) -> str:
    """The server's id for a request: hash of its messages (or prompt) and seed."""
    raw = json.dumps(prompt, sort_keys=True, ensure_ascii=False) + f"|{seed}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def fake_tokens(text: str) -> list[str]:
    return [text[i : i + 4] for i in range(0, len(text), 4)]


@dataclass
class FaultConfig:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_hang: float = 0.0
    rate_truncated: float = 0.0
    rate_empty_choices: float = 0.0
    rate_disconnect: float = 0.0
    rate_length: float = 0.0
    plan: tuple = ()  # fault kinds for the first attempts of every key
    retry_after_s: float | None = 1.0  # Retry-After on fault 429s (None: no header)
    hang_s: float = 30.0
    latency_s: float = 0.0  # added to every answer, so that requests overlap
    seed: int = 0
    reasoning: str = "none"  # "none" | "field" (reasoning_content) | "think" (<think> span in content)
    rl_requests: int | None = None
    rl_tokens: int | None = None
    rl_window_s: float = 1.0
    answer: str = "echo"  # "echo" | "arith" (see scripted_answer) | "graded" (see graded_answer) | "synth" (tests/faults/synth_script.py) | "yes" (always "YES": a judge that confirms)

    def __post_init__(self):
        self.plan = tuple(self.plan)
        bad = [k for k in self.plan if k not in KINDS]
        if bad:
            raise ValueError(f"unknown fault kinds {bad}; known: {KINDS}")
        if sum(getattr(self, "rate_" + k, 0.0) for k in KINDS[1:]) > 1.0:
            raise ValueError("fault rates sum to more than 1")

    def pick(self, key: str, attempt: int) -> str:
        if attempt < len(self.plan):
            return self.plan[attempt]
        r = random.Random(f"{self.seed}:{key}:{attempt}").random()
        for kind in KINDS[1:]:
            r -= getattr(self, "rate_" + kind, 0.0)
            if r < 0:
                return kind
        return "ok"


_ARITH = re.compile(r"(-?\d+)\s*([-+*])\s*(-?\d+)")


def scripted_answer(req: dict, key: str) -> str:
    """``answer="arith"``: a fixed mix of answers to "What is A + B?" prompts, chosen by the request key, so
    that verification, filters and dedup all have work: 60% one correct wording (the n samples of a prompt
    often collide: exact duplicates), 10% another correct wording, 10% wrong, 10% correct with an e-mail
    address (PII), 10% correct in German (language filter). Not arithmetic prompts: "I cannot tell."."""
    msgs = req.get("messages") or [{"role": "user", "content": req.get("prompt") or ""}]
    user = next((m.get("content") or "" for m in reversed(msgs) if m.get("role") == "user"), "")
    m = _ARITH.search(user)
    if not m:
        return "I cannot tell."
    a, op, b = int(m.group(1)), m.group(2), int(m.group(3))
    c = a + b if op == "+" else a - b if op == "-" else a * b
    bucket = int(key[:8], 16) % 10
    if bucket < 6:
        return f"{a} {op} {b} = {c}. #### {c}"
    return {6: f"Working it out step by step, {a} {op} {b} gives {c}. #### {c}",
            7: f"{a} {op} {b} = {c + 1}. #### {c + 1}",
            8: f"Ask alice.smith@example.com if unsure. {a} {op} {b} = {c}. #### {c}",
            9: f"Die Antwort auf diese Aufgabe ist ganz einfach {c}, weil man die Zahlen zusammenzählt. #### {c}"}[bucket]


_PASS_AT = re.compile(r"\[pass at (\d+)\]")
#: graded_answer: the chance that one sample of an untagged prompt is right, by the prompt's hash (its "difficulty")
GRADES = (0.95, 0.6, 0.3, 0.1, 0.0)


def graded_answer(req: dict, key: str) -> str:
    """``answer="graded"``: "What is A + B?" answered right or wrong by the prompt's difficulty and the sample, a
    scripted teacher for adaptive sampling. The sample index is the request's seed modulo 1_000_003 (the
    openai_compat rule). A prompt tagged ``[pass at K]`` is right at sample K only, ``[never]`` never, ``[always]`` always; an untagged
    one is right with probability ``GRADES[sha(prompt) % 5]``, drawn per (prompt, seed), so it is deterministic."""
    msgs = req.get("messages") or [{"role": "user", "content": req.get("prompt") or ""}]
    user = next((m.get("content") or "" for m in reversed(msgs) if m.get("role") == "user"), "")
    m = _ARITH.search(user)
    if not m:
        return "I cannot tell."
    a, b = int(m.group(1)), int(m.group(3))
    c = a + b if m.group(2) == "+" else a - b if m.group(2) == "-" else a * b
    seed = int(req.get("seed") or 0)
    tag = _PASS_AT.search(user)
    if tag:
        right = seed % 1_000_003 == int(tag.group(1))
    elif "[never]" in user or "[always]" in user:
        right = "[always]" in user
    else:
        p = GRADES[int(hashlib.sha256(user.encode()).hexdigest()[:8], 16) % len(GRADES)]
        right = int(hashlib.sha256(f"{user}|{seed}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < p
    return f"{a} + {b} = {c if right else c + 1}. #### {c if right else c + 1}"


class _State:
    """Server-side counters: what the tests assert on."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.data = {"requests": 0, "attempts_by_key": {}, "ok_by_key": {}, "outcomes": {},
                         "in_flight": 0, "max_in_flight": 0, "auth": [], "arrivals_by_key": {},
                         "answered_by_key": {}, "last_body_by_key": {}}
            self.windows = {"requests": [0.0, 0], "tokens": [0.0, 0]}


class _Handler:
    def __init__(self, cfg: FaultConfig, state: _State):
        self.cfg, self.state = cfg, state

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        k, _, v = line.partition(":")
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                keep = await self.route(method, path, headers, body, reader, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def send(self, writer, status: int, payload: bytes, extra: dict | None = None):
        hdr = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", "content-type: application/json",
               f"content-length: {len(payload)}"]
        hdr += [f"{k}: {v}" for k, v in (extra or {}).items()]
        writer.write(("\r\n".join(hdr) + "\r\n\r\n").encode() + payload)
        await writer.drain()

    async def route(self, method, path, headers, body, reader, writer) -> bool:
        if method == "GET" and path == "/_stats":
            with self.state.lock:
                data = copy.deepcopy(self.state.data)
            await self.send(writer, 200, json.dumps(data).encode())
            return True
        if method == "POST" and path == "/_reset":
            self.state.reset()
            await self.send(writer, 200, b"{}")
            return True
        path, _, query = path.partition("?")
        if method == "POST" and path in ("/v1/chat/completions", "/v1/completions"):
            with self.state.lock:  # what a client sends besides the body: Azure's api-version, its api-key header
                seen = self.state.data.setdefault("seen", {"queries": [], "headers": {}})
                if query and query not in seen["queries"]:
                    seen["queries"].append(query)
                seen["headers"].update({k: v for k, v in headers.items() if k not in ("content-length", "host", "connection")})
            return await self.complete(path.endswith("chat/completions"), headers, body, reader, writer)
        await self.send(writer, 404, b'{"error": {"message": "not found"}}')
        return True

    def _ratelimit(self, tokens: int, now: float) -> tuple[dict, float | None]:
        """Update the emulated windows; return (headers, retry_after if over the limit)."""
        cfg, hdrs, over = self.cfg, {}, None
        for dim, limit, cost in (("requests", cfg.rl_requests, 1), ("tokens", cfg.rl_tokens, tokens)):
            if not limit:
                continue
            w = self.state.windows[dim]
            if now - w[0] >= cfg.rl_window_s:
                w[0], w[1] = now, 0
            left = cfg.rl_window_s - (now - w[0])
            if w[1] + cost > limit:
                over = max(over or 0.0, left)
            else:
                w[1] += cost
            hdrs[f"x-ratelimit-limit-{dim}"] = str(limit)
            hdrs[f"x-ratelimit-remaining-{dim}"] = str(max(0, limit - w[1]))
            hdrs[f"x-ratelimit-reset-{dim}"] = f"{left:.3f}s"
        return hdrs, over

    async def complete(self, chat, headers, body, reader, writer) -> bool:
        try:
            req = json.loads(body)
            prompt = req["messages"] if chat else req["prompt"]
        except (ValueError, KeyError, TypeError):
            await self.send(writer, 400, b'{"error": {"message": "bad request body"}}')
            return True
        seed = req.get("seed") or 0
        key = prompt_key(prompt, seed)
        max_tokens = int(req.get("max_tokens") or 256)
        prompt_tokens = len(fake_tokens(json.dumps(prompt)))
        now = time.monotonic()
        st = self.state
        with st.lock:
            d = st.data
            attempt = d["attempts_by_key"].get(key, 0)
            d["attempts_by_key"][key] = attempt + 1
            d["requests"] += 1
            d["in_flight"] += 1
            d["max_in_flight"] = max(d["max_in_flight"], d["in_flight"])
            auth = headers.get("authorization")
            if auth and auth not in d["auth"]:
                d["auth"].append(auth)
            d["arrivals_by_key"].setdefault(key, []).append(now)
            d["last_body_by_key"][key] = req
            rl_headers, over = self._ratelimit(prompt_tokens + max_tokens, now)
        kind = "429_ratelimit" if over is not None else self.cfg.pick(key, attempt)
        try:
            reply = await self._answer(kind, chat, key, req, max_tokens, prompt_tokens, rl_headers, over, reader)
            # Count before writing: a client that has the answer must find it in the stats already.
            with st.lock:
                d = st.data
                d["outcomes"][kind] = d["outcomes"].get(kind, 0) + 1
                d["answered_by_key"].setdefault(key, []).append(time.monotonic())
                if reply is not None and reply[0] == 200 and kind not in ("truncated", "empty_choices") \
                        and not kind.startswith(("error_200", "error_choice")):
                    d["ok_by_key"][key] = d["ok_by_key"].get(key, 0) + 1
            if reply is None:
                return False  # disconnect, or the client hung up during a hang
            await self.send(writer, *reply)
            return True
        finally:
            with st.lock:
                st.data["in_flight"] -= 1

    async def _answer(self, kind, chat, key, req, max_tokens, prompt_tokens, rl_headers, over, reader):
        """(status, body, headers) to send, or None to close the connection without an answer."""
        cfg = self.cfg
        if kind == "429_ratelimit":
            return 429, b'{"error": {"message": "rate limit reached"}}', {**rl_headers, "retry-after": f"{over:.3f}"}
        if kind == "429":
            extra = dict(rl_headers)
            if cfg.retry_after_s is not None:
                extra["retry-after"] = f"{cfg.retry_after_s:g}"
            return 429, b'{"error": {"message": "injected 429"}}', extra
        if kind in ("500", "503"):
            return int(kind), f'{{"error": {{"message": "injected {kind}"}}}}'.encode(), rl_headers
        if kind == "disconnect":
            return None
        if kind == "hang":
            # Hold the request until the client gives up (EOF on the socket) or hang_s passes.
            try:
                if await asyncio.wait_for(reader.read(1), cfg.hang_s) == b"":
                    return None
            except asyncio.TimeoutError:
                pass
        if cfg.latency_s:
            await asyncio.sleep(cfg.latency_s)
        payload = self.render(chat, key, req, max_tokens, prompt_tokens, kind)
        if kind == "truncated":
            payload = payload[: len(payload) // 2]
        return 200, payload, rl_headers

    def render(self, chat, key, req, max_tokens, prompt_tokens, kind) -> bytes:
        scripted = {"arith": scripted_answer, "synth": scripted_answer, "graded": graded_answer, "yes": lambda req, key: "YES"}
        answer = scripted[self.cfg.answer](req, key) if self.cfg.answer != "echo" else f"echo:{key}"
        if self.cfg.answer == "synth":
            from tests.faults.synth_script import synth_answer

            msgs = req.get("messages") or []
            answer = synth_answer(req, next((m.get("content") or "" for m in reversed(msgs) if m.get("role") == "user"), "")) or answer
        toks = fake_tokens(answer)
        cut = min(max_tokens, len(toks) - 1 if kind == "length" else len(toks))
        finish = "length" if cut < len(toks) else "stop"
        toks = toks[:cut]
        text = "".join(toks)
        reasoning = f"thinking about {key}"
        if self.cfg.reasoning == "think":
            text = f"<think>{reasoning}</think>{text}"
        k = int(req.get("top_logprobs") or 0) if chat else int(req.get("logprobs") or 0)
        lps = None
        if (req.get("logprobs") if chat else k):
            # Deterministic alternatives: the chosen token first, then k-1 rivals with lower logprobs.
            lps = [[(t, -0.01 * (i + 1))] + [(f"alt{j}", -1.0 - j - 0.01 * i) for j in range(1, k)]
                   for i, t in enumerate(toks)]
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(toks),
                 "total_tokens": prompt_tokens + len(toks)}
        base = {"id": "cmpl-" + key, "created": 0, "model": req.get("model", ""), "usage": usage}
        if kind == "no_usage":
            del base["usage"]
        if kind == "bad_usage":
            base["usage"] = {"prompt_tokens": "n/a", "completion_tokens": {"cached": 0}}
        if kind == "empty_choices":
            return json.dumps({**base, "object": "chat.completion", "choices": []}).encode()
        if kind.startswith("error_200_"):  # an error in a 200 body, as OpenRouter and some proxies send it
            code = int(kind.rsplit("_", 1)[1])
            return json.dumps({"error": {"message": f"provider said no (code {code})", "code": code}}).encode()
        if kind.startswith("error_choice_"):  # OpenRouter: the provider failed after the 200 went out
            code = int(kind.rsplit("_", 1)[1])
            choice = {"index": 0, "message": {"role": "assistant", "content": ""}, "finish_reason": "error",
                      "error": {"message": f"upstream provider failed (code {code})", "code": code}}
            return json.dumps({**base, "object": "chat.completion", "choices": [choice]}).encode()
        if kind in ("refusal", "content_filter"):  # OpenAI's refusal field / a provider's filter: no content at all
            msg = {"role": "assistant", "content": None} | ({"refusal": "I can't help with that."} if kind == "refusal" else {})
            choice = {"index": 0, "message": msg, "finish_reason": "stop" if kind == "refusal" else "content_filter"}
            return json.dumps({**base, "object": "chat.completion", "choices": [choice]}).encode()
        if chat:
            msg = {"role": "assistant", "content": text}
            if self.cfg.reasoning == "field":
                msg["reasoning_content"] = reasoning
            choice = {"index": 0, "message": msg, "finish_reason": finish}
            if lps is not None:
                choice["logprobs"] = {"content": [
                    {"token": row[0][0], "logprob": row[0][1],
                     "top_logprobs": [{"token": t, "logprob": lp} for t, lp in row]} for row in lps]}
            return json.dumps({**base, "object": "chat.completion", "choices": [choice]}).encode()
        choice = {"index": 0, "text": text, "finish_reason": finish, "logprobs": None}
        if lps is not None:
            choice["logprobs"] = {"tokens": toks, "token_logprobs": [r[0][1] for r in lps],
                                  "top_logprobs": [dict(row) for row in lps]}
        return json.dumps({**base, "object": "text_completion", "choices": [choice]}).encode()


class FaultInjectingServer:
    """Start/stop wrapper; ``base_url`` ends in ``/v1`` like an OpenAI endpoint."""

    def __init__(self, mode: str = "thread", **config):
        if mode not in ("thread", "process"):
            raise ValueError("mode must be 'thread' or 'process'")
        self.mode, self.config = mode, FaultConfig(**config)
        self.port: int | None = None
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state = _State()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int:
        """The serving process (this one in thread mode): for CPU accounting in benchmarks."""
        return self._proc.pid if self._proc is not None else os.getpid()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> FaultInjectingServer:
        if self.mode == "process":
            cfg = json.dumps(asdict(self.config))
            self._proc = subprocess.Popen([sys.executable, "-m", "tests.faults.fault_server", cfg],
                                          stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
                                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
            line = self._proc.stdout.readline()
            if not line.startswith("LISTENING "):
                raise RuntimeError(f"fault server did not start: {line!r}")
            self.port = int(line.split()[1])
            return self
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run_thread, args=(ready,), daemon=True,
                                        name="FaultInjectingServer")
        self._thread.start()
        if not ready.wait(10) or self.port is None:
            raise RuntimeError("fault server did not start")
        return self

    def _run_thread(self, ready: threading.Event):
        self._loop = loop = asyncio.new_event_loop()
        handler = _Handler(self.config, self._state)
        tasks: set = set()

        async def on_conn(r, w):
            t = asyncio.current_task()
            tasks.add(t)
            try:
                await handler.serve(r, w)
            except asyncio.CancelledError:
                pass  # stop(): asyncio would log every cancelled connection as an error otherwise
            finally:
                tasks.discard(t)

        server = loop.run_until_complete(asyncio.start_server(on_conn, "127.0.0.1", 0, backlog=1024))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for t in list(tasks):
                t.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stdin.close()  # the child exits when its stdin closes
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def stats(self) -> dict:
        """A snapshot of the server-side counters (see ``_State.reset`` for the keys)."""
        if self.mode == "thread":
            with self._state.lock:
                return copy.deepcopy(self._state.data)
        return httpx.get(f"http://127.0.0.1:{self.port}/_stats", timeout=10).json()

    def reset_stats(self) -> None:
        if self.mode == "thread":
            self._state.reset()
        else:
            httpx.post(f"http://127.0.0.1:{self.port}/_reset", timeout=10)


def _main(argv: list[str]) -> None:
    """Subprocess entry: ``python -m tests.faults.fault_server '<FaultConfig JSON>'``."""
    cfg = FaultConfig(**json.loads(argv[0] if argv else "{}"))
    handler = _Handler(cfg, _State())

    async def run():
        server = await asyncio.start_server(handler.serve, "127.0.0.1", 0, backlog=1024)
        sys.stdout.write(f"LISTENING {server.sockets[0].getsockname()[1]}\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        # Exit when the parent closes our stdin (also when the parent dies): no orphans.
        await loop.run_in_executor(None, sys.stdin.read)
        server.close()

    asyncio.run(run())


if __name__ == "__main__":
    _main(sys.argv[1:])
