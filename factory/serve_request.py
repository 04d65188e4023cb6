"""Request parsing of ``factory serve`` (OpenAI's chat and completions bodies): field types, sampling fields,
messages, the error shape. Every problem is a :class:`RequestError` (a 400 naming the field as ``param``)."""

from __future__ import annotations

from typing import Any

from factory.serve_engine import Choice

MAX_N = 16
MAX_TOP_LOGPROBS = 20
MAX_STOP = 32
#: fields OpenAI defines that change generation and that we do not implement: a 400 beats a silent wrong answer
UNSUPPORTED = ("tools", "functions", "tool_choice", "function_call", "response_format", "logit_bias", "best_of",
               "suffix", "frequency_penalty", "presence_penalty", "prediction", "audio", "modalities")


class RequestError(Exception):
    def __init__(self, message: str, status: int = 400, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.param, self.code = status, param, code


def error_body(message: str, status: int, param: str | None = None, code: str | None = None) -> dict:
    kind = "authentication_error" if status == 401 else "invalid_request_error" if 400 <= status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _get(body: dict, key: str, types: type | tuple, default: Any = None) -> Any:
    v = body.get(key, default)
    if v is None:
        return default
    allowed = types if isinstance(types, tuple) else (types,)
    want = " or ".join(_JSON_TYPE.get(t, t.__name__) for t in allowed)
    if isinstance(v, bool) and bool not in allowed:
        raise RequestError(f"{key}: expected {want}, got a boolean", param=key)
    if not isinstance(v, types):
        raise RequestError(f"{key}: expected {want}, got {_JSON_TYPE.get(type(v), type(v).__name__)}", param=key)
    return v


_JSON_TYPE = {int: "integer", float: "number", str: "string", list: "array", dict: "object", bool: "boolean"}


def _messages(body: dict) -> list[dict]:
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise RequestError("messages: required, a non-empty list of {role, content}", param="messages")
    out = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant", "tool"):
            raise RequestError(f"messages[{i}]: needs a role of system|user|assistant|tool", param="messages")
        if m.get("tool_calls") or m.get("function_call"):
            raise RequestError(f"messages[{i}].tool_calls: tool calling is not supported by this server", param="messages")
        c = m.get("content")
        if c is None and m["role"] == "assistant":  # OpenAI allows an assistant turn without content
            c = ""
        if isinstance(c, list):  # content parts: text only
            if any(not isinstance(p, dict) or p.get("type") != "text" for p in c):
                raise RequestError(f"messages[{i}].content: only text parts are supported", param="messages")
            c = "".join(p.get("text", "") for p in c)
        if not isinstance(c, str):
            raise RequestError(f"messages[{i}].content: must be a string", param="messages")
        out.append({"role": "system" if m["role"] == "developer" else m["role"], "content": c})
    return out


def _sampling(body: dict) -> dict:
    """Sampling fields of a request; ``max_tokens`` is None when the request leaves it out (see ``_Api.make_jobs``)."""
    for k in UNSUPPORTED:
        if body.get(k) not in (None, 0, False, [], {}) and not (k == "response_format" and body[k] == {"type": "text"}):
            raise RequestError(f"{k}: not supported by this server", param=k)
    max_tokens = _get(body, "max_completion_tokens", int)
    max_tokens = _get(body, "max_tokens", int) if max_tokens is None else max_tokens
    temperature = float(_get(body, "temperature", (int, float), 1.0))
    top_p = float(_get(body, "top_p", (int, float), 1.0))
    n = _get(body, "n", int, 1)
    stop = _get(body, "stop", (str, list), [])
    stop = [stop] if isinstance(stop, str) else stop
    if max_tokens is not None and max_tokens < 1:
        raise RequestError("max_tokens: must be >= 1", param="max_tokens")
    if not 0 <= temperature <= 2:
        raise RequestError("temperature: must be in [0, 2]", param="temperature")
    if not 0 < top_p <= 1:
        raise RequestError("top_p: must be in (0, 1]", param="top_p")
    if not 1 <= n <= MAX_N:
        raise RequestError(f"n: must be in [1, {MAX_N}]", param="n")
    # OpenAI takes 4, vLLM any number; eval harnesses send a task's stop sequences plus EOS, often more than 4
    if len(stop) > MAX_STOP or any(not isinstance(s, str) or not s for s in stop):
        raise RequestError(f"stop: up to {MAX_STOP} non-empty strings", param="stop")
    seed = _get(body, "seed", int)
    if seed is not None and not -(2**63) <= seed < 2**64:  # what torch.manual_seed takes
        raise RequestError("seed: must be an integer in [-2**63, 2**64)", param="seed")
    return dict(max_tokens=max_tokens, temperature=temperature, top_p=top_p, seed=seed, stop=tuple(stop), n=n)


def _usage(prompt_tokens: int, choices: list[Choice]) -> dict:
    done = sum(c.tokens for c in choices)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": done, "total_tokens": prompt_tokens + done}
