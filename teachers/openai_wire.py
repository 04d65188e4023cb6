"""The OpenAI chat wire format's variations, in and out: what a request's messages look like on the wire, the
shapes a reply's ``content`` and finish reason arrive in, and reading a reply within a deadline and a size cap. Kept apart from the client (teachers/openai_compat.py) so each server quirk
found has one place and its own note.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx


class ResponseTooLarge(Exception):
    """A reply body over the client's cap (``max_response_mb``)."""


#: 4xx statuses a later attempt may pass: timeout, conflict, TGI's 424 (its "generation" error: the model failed while
#: generating, e.g. out of GPU memory under load; a validation error is 422), rate limit
RETRYABLE_4XX = (408, 409, 424, 429)


async def post(client: httpx.AsyncClient, url: str, body: dict, seconds: float, max_bytes: int) -> httpx.Response:
    """POST with a total deadline (httpx's own timeouts are per read/write, not per request) and a cap on the
    reply's size: a server that streams without end is cut off at ``max_bytes``, not read into memory."""

    async def go() -> httpx.Response:
        async with client.stream("POST", url, json=body) as resp:
            buf = bytearray()
            async for chunk in resp.aiter_bytes():
                buf += chunk
                if len(buf) > max_bytes:
                    raise ResponseTooLarge(f"the reply body passed {max_bytes / (1 << 20):g} MiB (max_response_mb)")
            headers = [(k, v) for k, v in resp.headers.raw if k.lower() not in (b"content-encoding", b"content-length")]
            return httpx.Response(resp.status_code, headers=headers, content=bytes(buf), request=resp.request)

    if hasattr(asyncio, "timeout"):  # 3.11+: no extra task per request
        async with asyncio.timeout(seconds):
            return await go()
    return await asyncio.wait_for(go(), seconds)


#: what a reply's bytes hold before a lone UTF-16 half can come out of them: a JSON escape of one, or its WTF-8 bytes
_MAY_HAVE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def shown_url(url) -> str:
    """``url`` as errors may show it: scheme, host, port and path; no user:password@, no query (either may hold a key)."""
    u = httpx.URL(str(url))
    return f"{u.scheme}://{u.host}{f':{u.port}' if u.port else ''}{u.path}"


def json_body(raw: bytes):
    """A reply's JSON whose every string can be written as UTF-8 (Parquet, the cache): bytes that are not UTF-8 and
    lone surrogates (half an emoji: a UTF-16 proxy cut the reply, "\\ud83d") become U+FFFD instead of failing the
    reply (ValueError is still raised for a body that is not JSON)."""
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        data = json.loads(raw.decode("utf-8", "replace"))
    return _whole(data) if _MAY_HAVE_SURROGATE.search(raw) else data


def _whole(v):
    if isinstance(v, str):
        return _SURROGATE.sub("\ufffd", v)
    if isinstance(v, list):
        return [_whole(x) for x in v]
    if isinstance(v, dict):
        return {k: _whole(x) for k, x in v.items()}
    return v


def text_field(v) -> str | None:
    """A reply's ``reasoning_content``/``reasoning`` as text: a string, a list of parts joined, anything else None."""
    return v if isinstance(v, str) else _flat(v) if isinstance(v, list) else None


def body_error(err, redact) -> tuple[str, str, bool]:
    """(kind, message, retryable) of a 200 reply whose body, or choice, is an error (OpenRouter and some proxies do
    this): its code decides the retry; ``redact`` hides the key in the message."""
    msg = err.get("message") if isinstance(err, dict) else err
    code = err.get("code") if isinstance(err, dict) else None
    try:
        status = int(code)
    except (TypeError, ValueError):
        status = None  # no code, or a word such as "rate_limit_exceeded": treated as transient
    retryable = status is None or status in RETRYABLE_4XX or status >= 500
    kind = f"error {status} in a 200 reply" if status is not None else "error in a 200 reply"
    return kind, redact(str(msg or "").strip())[:200], retryable


def error_text(body) -> str | None:
    """The message of an error reply's JSON, in the shapes servers send it: OpenAI's ``{"error": {"message"}}``,
    ``{"error": "text"}`` (TGI, vLLM's auth), vLLM's older top-level ``{"object": "error", "message"}``, FastAPI's
    ``{"detail": "text" | [{"loc", "msg"}]}``; None when there is none (the caller shows the raw body)."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    if err and not isinstance(err, dict):
        return str(err)
    if body.get("message"):
        return str(body["message"])
    detail = body.get("detail")
    if isinstance(detail, list):
        return "; ".join(f"{'.'.join(map(str, d.get('loc') or []))}: {d.get('msg')}" if isinstance(d, dict) else str(d)
                         for d in detail)
    return str(detail) if detail else (json.dumps(err)[:200] if err else None)


def content_parts(content) -> tuple[str, str | None]:
    """(text, reasoning) of a reply's ``content``: a string, or a list of parts as some servers and gateways send
    it (``{"type": "text", "text": ...}``; ``{"type": "thinking"|"reasoning", ...}`` parts are the reasoning)."""
    if not isinstance(content, list):
        return content if isinstance(content, str) else "", None
    text, thought = [], []
    for p in content:
        if isinstance(p, str):
            text.append(p)
        elif isinstance(p, dict) and p.get("type") in ("thinking", "reasoning"):
            thought.append(_flat(p.get("thinking") or p.get("reasoning") or p.get("text") or ""))
        elif isinstance(p, dict):
            text.append(_flat(p.get("text") or ""))
    return "".join(text), "".join(thought) or None


#: finish reasons other servers send for OpenAI's: TGI ("eos_token", "stop_sequence"), Anthropic-style gateways
#: ("end_turn", "max_tokens"), llama.cpp/others ("eos", "max_length"), Gemini's own words passed on by a gateway ("STOP",
#: "MAX_TOKENS", and "SAFETY", "RECITATION", ...: the answer was blocked or cut, OpenAI's "content_filter");
#: OpenAI's own values pass through
FINISH = {"eos_token": "stop", "eos": "stop", "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
          "max_length": "length", "model_length": "length", "MAX_TOKENS": "length", "STOP": "stop",
          "SAFETY": "content_filter", "RECITATION": "content_filter", "PROHIBITED_CONTENT": "content_filter",
          "BLOCKLIST": "content_filter", "SPII": "content_filter", "IMAGE_SAFETY": "content_filter",
          "refusal": "content_filter"}  # Anthropic's stop_reason when its classifier stopped the answer


def finish_reason(raw, native=None) -> str:
    """The reply's finish reason in OpenAI's words, so "length" means truncated whatever the server. An object
    ``{"type": "length", ...}`` (SGLang's own form of it) is its type. ``native``: OpenRouter's
    ``native_finish_reason``, the provider's own word, which wins when it says the answer was cut (its normalised
    ``finish_reason`` can be "stop" or null for a provider's "MAX_TOKENS")."""
    if isinstance(raw, dict):
        raw = raw.get("type")
    out = FINISH.get(raw, raw) if isinstance(raw, str) and raw else "stop"
    cut = finish_reason(native) if native is not None else None
    return cut if out == "stop" and cut in ("length", "content_filter") else out


def tool_calls(v) -> list[dict] | None:
    """A reply's ``tool_calls`` as a list of call objects: one object alone is that one call; any other shape is a
    ValueError (a malformed reply) rather than a row whose trace cannot be built."""
    if not v:
        return None
    calls = [v] if isinstance(v, dict) else v
    if not isinstance(calls, list):
        raise ValueError(f"tool_calls is a {type(v).__name__}, not a list")
    for i, c in enumerate(calls):
        if not isinstance(c, dict):
            raise ValueError(f"tool_calls[{i}] is a {type(c).__name__}, not an object")
    return calls


def top_logprobs(lp: dict | None) -> list | None:
    """A choice's ``logprobs`` -> per token ``[[token, logprob], ...]`` best first: chat's ``content[].top_logprobs``
    list, or the completions endpoint's ``top_logprobs`` dicts, whichever endpoint it came from (llama.cpp's server
    answers /v1/completions in the chat shape). A candidate whose logprob is null or NaN (a JavaScript gateway writes
    -Infinity as null) is left out: it carries no probability, and one such value must not cost the answer."""
    if not isinstance(lp, dict):
        return None
    if isinstance(lp.get("content"), list):
        return [[[t["token"], v] for t in (tok.get("top_logprobs") or []) if (v := _logprob(t.get("logprob"))) is not None]
                for tok in lp["content"]]
    out = []
    for d in lp.get("top_logprobs") or []:
        if isinstance(d, dict):
            pairs = [[t, v] for t, x in d.items() if (v := _logprob(x)) is not None]
            out.append(sorted(pairs, key=lambda kv: -kv[1]))
    return out


def _logprob(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f  # NaN


def usage_counts(usage: dict) -> dict[str, int]:
    """``prompt_tokens`` and ``completion_tokens`` of a reply's ``usage`` that are numbers (or numeric text); a
    server's null, "n/a" or object is left out (then the client estimates) instead of failing a good answer."""
    out = {}
    for k in ("prompt_tokens", "completion_tokens"):
        v = usage.get(k)
        try:
            if v is not None and not isinstance(v, (bool, dict, list)):
                out[k] = max(0, int(float(v)))
        except (TypeError, ValueError, OverflowError):
            pass
    return out


def _flat(v) -> str:
    """A part's text, which may itself be a list of parts (Mistral's "thinking")."""
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "".join(_flat(x.get("text", "")) if isinstance(x, dict) else str(x) for x in v)
    return ""


def wire_message(m: dict, tool_turn_reasoning: bool = False) -> dict:
    """A message as the API takes it: the catalogue travels as ``tools=``, not inside the system message,
    and earlier reasoning is not sent back (several reasoning APIs refuse ``reasoning_content`` in input: DeepSeek-R1,
    Mistral's strict schema). ``tool_turn_reasoning`` keeps it on an assistant turn that calls tools: DeepSeek's
    thinking mode refuses a tool loop without it ("Missing `reasoning_content` field in the assistant message at
    message index 2", HTTP 400). An assistant turn that only calls tools goes out with ``content: ""``: OpenAI and vLLM
    take ``null`` or ``""``, llama.cpp's server refuses ``null`` and fails without the key (found against
    llama-cpp-python 0.3.36)."""
    keep = tool_turn_reasoning and m.get("role") == "assistant" and bool(m.get("tool_calls"))
    if "tools" in m or ("reasoning_content" in m and not keep):
        m = {k: v for k, v in m.items() if k != "tools" and (keep or k != "reasoning_content")}
    if m.get("role") == "assistant" and m.get("content") is None:
        m = {**m, "content": ""}
    return m
