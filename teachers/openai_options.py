"""The options of the ``openai_compat`` teacher (teachers/openai_compat.py): one validated model, so a recipe's
mistakes are one line each (``factory validate``) and secrets can only come from the environment."""

from __future__ import annotations

import os
import re
from typing import Any, Literal

import httpx
from pydantic import Field, field_validator

from ground.config import Config

_SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "cookie", "proxy-authorization"}
#: a header or query parameter name that carries a credential (x-portkey-api-key, Helicone-Auth, X-Auth-Token, ?sig=)
_SECRET_NAME = re.compile(r"key|token|secret|passw|auth|cookie|sig", re.I)


def bad_key(key: str) -> str | None:
    """Why an API key (stripped) cannot travel in an HTTP header, or None; never quotes the key."""
    if not key.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in key):
        return "holds a character an HTTP header cannot carry (a line break, control or non-ASCII character inside the key)"
    return None


def read_api_key(env: str, who: str, error: type[Exception]) -> str:
    """The API key in the environment variable ``env``, stripped (read from a CRLF .env file it ends in "\\r");
    ``error`` names ``env``, never the key: httpx's own error for a bad header value quotes it whole."""
    key = (os.environ.get(env) or "").strip()
    if not key:
        raise error(f"{who}: api_key_env={env!r} but that environment variable is not set (export {env}=... before running)")
    if bad_key(key):
        raise error(f"{who}: the value of {env} {bad_key(key)}")
    return key


class Prices(Config):
    input_per_mtok: float = Field(0.0, ge=0, description="dollars per million prompt tokens")
    output_per_mtok: float = Field(0.0, ge=0, description="dollars per million completion tokens")


class OpenAICompatOptions(Config):
    base_url: str = Field("https://api.openai.com/v1", pattern=r"^https?://",
                          description="API root including /v1; /chat/completions is appended to its path, a query is "
                                      "kept (Azure: https://R.openai.azure.com/openai/deployments/D?api-version=2024-10-21)")
    api_key_env: str | None = Field(None, min_length=1, description="NAME of the env var holding the API key (never "
                                                                    "the key itself); null = no auth header")
    auth_header: Literal["Authorization", "api-key", "x-api-key"] = Field(
        "Authorization", description="where the key goes: Authorization: Bearer KEY (OpenAI and most servers), or the "
                                     "bare key in api-key (Azure OpenAI) or x-api-key (some gateways)")
    headers: dict[str, str] = Field(default_factory=dict, description="extra HTTP headers for every request (e.g. "
                                    "OpenRouter's HTTP-Referer, X-Title); never a secret: keys come from api_key_env")
    endpoint: Literal["chat", "completions"] = Field("chat", description="'chat' (/chat/completions) or 'completions'")
    concurrency: int = Field(16, ge=1, description="max requests in flight, per engine actor (teacher.replicas)")
    rpm: float | None = Field(None, gt=0, description="client-side requests/minute limit, shared by the teacher's actors")
    tpm: float | None = Field(None, gt=0, description="client-side tokens/minute limit (prompt+max_tokens), shared by "
                                                    "the teacher's actors")
    timeout_s: float = Field(120.0, gt=0, description="total seconds per attempt")
    max_retries: int = Field(3, ge=0, description="retries after the first attempt")
    backoff_base_s: float = Field(0.5, ge=0, description="first backoff; doubles per retry")
    backoff_max_s: float = Field(30.0, ge=0, description="cap on one backoff (before jitter)")
    max_retry_after_s: float = Field(120.0, ge=0, description="cap on a server's Retry-After")
    max_response_mb: float = Field(32.0, gt=0, description="largest reply body read (MiB); a bigger one fails the attempt "
                                                           "instead of filling the worker's memory")
    retry_on_finish_reasons: tuple[str, ...] = Field((), description="finish reasons that are retried like errors, "
                                                                     "e.g. ['length']; request-cache entries that ended so "
                                                                     "(from runs before the option was set) are asked again")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="merged into every request body")
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens", description="the body field that carries sampling.max_tokens: OpenAI's reasoning models (o-series, "
                                  "gpt-5) refuse max_tokens and want max_completion_tokens")
    omit_params: tuple[Literal["temperature", "top_p", "seed", "stop"], ...] = Field(
        (), description="sampling fields never sent, for APIs that refuse them (OpenAI's reasoning models accept only "
                        "their default temperature and top_p); the request cache still keys on the recipe's values")
    tool_choice: str | dict[str, Any] | None = Field(None, description="sent as tool_choice with every request whose prompt "
                                                     "carries tools (auto, none, required or {type: function, function: {name}}); "
                                                     "null = the API's default")
    reasoning_in_tool_turns: bool = Field(False, description="send an assistant turn's reasoning_content back with its "
                                          "tool calls in a tool loop: DeepSeek's thinking mode refuses the next turn "
                                          "without it (HTTP 400); most other APIs ignore or refuse the field")
    prices: Prices = Field(default_factory=Prices, description="{input_per_mtok, output_per_mtok}")

    @field_validator("base_url")
    @classmethod
    def _no_credentials_in_url(cls, v: str) -> str:
        u = httpx.URL(v)
        secret = [k for k in u.params if _SECRET_NAME.search(k)]
        if u.userinfo or secret:
            what = "user:password@" if u.userinfo else f"the query parameter {secret[0]!r}"
            raise ValueError(f"{what} in base_url would be written to the manifest; name the key's environment "
                             "variable in api_key_env instead (auth_header for api-key / x-api-key)")
        end = next((e for e in ("/chat/completions", "/completions") if u.path.rstrip("/").endswith(e)), None)
        if end:  # pasted from a curl example: every request would go to .../chat/completions/chat/completions
            raise ValueError(f"give the API root ({v[:v.rstrip('/').rfind(end)]}), not the endpoint: {end} is "
                             "appended to it (endpoint: chat | completions)")
        return v

    @field_validator("extra_body")
    @classmethod
    def _one_json_reply(cls, v: dict[str, Any]) -> dict[str, Any]:
        if v.get("stream"):
            raise ValueError("stream: the client reads one JSON reply, not events")
        if v.get("n", 1) != 1:
            raise ValueError("n: one choice a request is read (and n are paid for); use teacher.n for samples")
        return v

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, v: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k in v if k.lower() in _SECRET_HEADERS or _SECRET_NAME.search(k))  # gateways' own key headers
        if bad:
            raise ValueError(f"{bad[0]}: a key never goes in the recipe; name its environment variable in api_key_env "
                             "(and auth_header for api-key / x-api-key)")
        return v
