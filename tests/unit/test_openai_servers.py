"""openai_compat against what servers other than OpenAI send: vLLM, llama.cpp, Ollama, TGI, LiteLLM, OpenRouter, Groq...

Each reply is byte-exact from RawReplyServer (tests/faults/raw_reply_server.py, a fake on 127.0.0.1) or comes from
FaultInjectingServer; every test here failed before its fix.

Run: pytest -q tests/unit/test_openai_servers.py
"""

from __future__ import annotations

import gzip
import threading
import time

import pytest

from ground.record import new_sample, to_table
from teachers.base import GenRequest, SamplingParams, transient_failure
from teachers.openai_compat import OpenAICompatTeacher
from teachers.ratelimit import parse_reset
from teachers.step import apply_result
from tests.faults.fault_server import FaultInjectingServer
from tests.faults.raw_reply_server import RawReplyServer, chat_reply, http_reply

FAST = dict(backoff_base_s=0.001, backoff_max_s=0.01)


def ask(url: str, n: int = 1, max_tokens: int = 16, **options) -> list:
    """generate() in a thread that must end: a hang fails the test instead of the test run."""
    t = OpenAICompatTeacher("t", "m", base_url=url, **{**FAST, **options})
    rs = [GenRequest(f"k{i}", [{"role": "user", "content": f"q{i}"}], SamplingParams(max_tokens=max_tokens)) for i in range(n)]
    out: list = []
    th = threading.Thread(target=lambda: out.extend(t.generate(rs)), daemon=True)
    th.start()
    th.join(60)
    assert not th.is_alive(), "generate() never returned"
    return out


def parquet_safe(res) -> dict:
    """The result as its row, through the same Arrow table the run writes (a bad string fails here)."""
    row = apply_result(new_sample(stage="g", prompt_id="p", sample_index=0, messages=[{"role": "user", "content": "q"}]), res, {})
    return to_table([row]).to_pylist()[0]


def test_a_request_dearer_than_the_servers_token_limit_is_sent_not_held_forever():
    """Was: a server's x-ratelimit-limit-tokens below one request's estimate (prompt + max_tokens; Groq's free tier
    sends 6000 a minute) held the next request forever: the header budget waited for a window that never fits it."""
    hdrs = ("x-ratelimit-limit-tokens: 100", "x-ratelimit-remaining-tokens: 50", "x-ratelimit-reset-tokens: 0.05s")
    with RawReplyServer([http_reply(200, chat_reply(), *hdrs)]) as srv:
        out = ask(srv.base_url, n=2, max_tokens=256, concurrency=1)
    assert [o.text for o in out] == ["hi", "hi"] and srv.requests == 2


def test_a_ratelimit_reset_given_as_a_unix_time_is_a_moment_not_decades_of_waiting():
    """GitHub-style gateways (Kong's rate-limiting plugin, many API proxies) send the reset as epoch seconds or
    milliseconds. Was: "x-ratelimit-reset-requests: 1764000000" read as 56 years to wait, and the run hung."""
    soon = time.time() + 0.2
    assert 0.0 < parse_reset(f"{soon:.0f}") <= 1.0 and 0.0 < parse_reset(f"{soon * 1000:.0f}") <= 0.3
    assert parse_reset(f"{time.time() - 5:.0f}") == 0.0 and parse_reset("inf") is None  # already past; no hint
    assert [parse_reset(s) for s in ("6m0s", "12", "86400")] == [360.0, 12.0, 86400.0]  # durations as before
    hdrs = ("x-ratelimit-limit-requests: 10", "x-ratelimit-remaining-requests: 0", f"x-ratelimit-reset-requests: {soon:.3f}")
    with RawReplyServer([http_reply(200, chat_reply(), *hdrs)]) as srv:
        out = ask(srv.base_url, n=2, concurrency=1)
    assert [o.text for o in out] == ["hi", "hi"]


@pytest.mark.parametrize("body, message", [
    # vLLM's ErrorResponse before its errors moved under "error": the message at the top level
    ({"object": "error", "message": "This model's maximum context length is 4096 tokens.", "type": "BadRequestError",
      "param": None, "code": 400}, "This model's maximum context length is 4096 tokens."),
    # FastAPI's own validation error (servers built on it that keep its handler)
    ({"detail": [{"loc": ["body", "messages"], "msg": "field required", "type": "value_error.missing"}]},
     "body.messages: field required"),
    ({"detail": "Not authenticated"}, "Not authenticated"),
])
def test_the_servers_error_message_is_kept_whatever_its_shape(body, message):
    """Was: "HTTP 400 after 1 attempt (not retryable)" and nothing else: the reason the row failed was thrown away."""
    with RawReplyServer([http_reply(400, body)]) as srv:
        (out,) = ask(srv.base_url)
    assert out.error == f"HTTP 400 after 1 attempt (not retryable): {message}"


def test_a_corrupt_compressed_body_is_a_retried_transient_failure_not_an_internal_error():
    """A proxy's broken gzip (content-encoding: gzip, body not gzip). Was: "internal error: DecodingError ...", never
    retried, and not transient, so a re-run did not redo the row either."""
    bad = http_reply(200, b"\x1f\x8b not gzip at all", "content-encoding: gzip")
    with RawReplyServer([bad, http_reply(200, gzip.compress(b'{"choices": [{"message": {"content": "hi"}}]}'),
                                         "content-encoding: gzip")]) as srv:
        (out,) = ask(srv.base_url)
    assert (out.text, out.error, out.extra["retried_after"]) == ("hi", None, ["undecodable response body"])
    with RawReplyServer([bad]) as srv:
        (out,) = ask(srv.base_url, max_retries=1)
    assert out.error.startswith("undecodable response body after 2 attempts: DecodingError: ")
    assert transient_failure(out.error)
