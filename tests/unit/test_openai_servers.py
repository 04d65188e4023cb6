"""openai_compat against what servers other than OpenAI send: vLLM, llama.cpp, Ollama, TGI, LiteLLM, OpenRouter, Groq...

Each reply is byte-exact from RawReplyServer (tests/faults/raw_reply_server.py, a fake on 127.0.0.1) or comes from
FaultInjectingServer; every test here failed before its fix.

Run: pytest -q tests/unit/test_openai_servers.py
"""

from __future__ import annotations

import gzip
import json
import os
import re
import threading
import time

import pytest

from ground.record import new_sample, to_table
from teachers.base import GenRequest, SamplingParams, native_trace, transient_failure
from teachers.openai_compat import OpenAICompatTeacher, TeacherOptionsError
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


def parquet_safe(res, prices: dict | None = None) -> dict:
    """The result as its row, through the same Arrow table the run writes (a bad string fails here)."""
    row = apply_result(new_sample(stage="g", prompt_id="p", sample_index=0, messages=[{"role": "user", "content": "q"}]), res, prices or {})
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
    later = time.time() + 5
    assert 3.0 < parse_reset(f"{later:.0f}") <= 5.6 and 3.0 < parse_reset(f"{later * 1000:.0f}") <= 5.1
    assert parse_reset(f"{time.time() - 5:.0f}") == 0.0 and parse_reset("inf") is None  # already past; no hint
    assert [parse_reset(s) for s in ("6m0s", "12", "86400")] == [360.0, 12.0, 86400.0]  # durations as before
    hdrs = ("x-ratelimit-limit-requests: 10", "x-ratelimit-remaining-requests: 0", f"x-ratelimit-reset-requests: {time.time() + 0.2:.3f}")
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


def test_every_string_of_a_reply_can_be_written_to_parquet():
    """Was: half an emoji as a JSON escape (a UTF-16 proxy cutting a reply: "\\ud83d"), a tool call's arguments with
    one, or a `reasoning` that is an object reached the row as is, and writing the chunk failed ("surrogates not
    allowed"; a dict in a string column) for the whole batch. Bytes that are not UTF-8 (a Latin-1 "é") failed the
    reply as invalid JSON four times, each attempt paid. Now each bad character is U+FFFD, reasoning is text or None."""
    replies = [http_reply(200, b'{"choices": [{"message": {"content": "a\\ud83d", "reasoning": "r\\udc00"}}]}'),
               http_reply(200, chat_reply("b", reasoning={"text": "an object"})),
               http_reply(200, b'{"choices": [{"message": {"content": "caf\xe9 \\ud83d\\ude00"}}]}'),
               http_reply(200, b'{"choices": [{"message": {"content": "", "tool_calls": [{"id": "c1", "type": "function", '
                               b'"function": {"name": "f", "arguments": "{\\"s\\": \\"\\ud83d\\"}"}}]}}]}')]
    rows = []
    for reply in replies:
        with RawReplyServer([reply]) as srv:
            (out,) = ask(srv.base_url, max_retries=0)
        assert out.error is None, out.error
        rows.append(parquet_safe(native_trace(out)))  # a reply with tool_calls is stored as its trace
    assert [(r["completion"], r["reasoning"]) for r in rows[:3]] == [
        ("a\ufffd", "r\ufffd"), ("b", None), ("caf\ufffd \U0001F600", None)]  # a whole pair is the emoji it encodes
    assert json.loads(json.loads(rows[3]["completion"])[0]["tool_calls"][0]["function"]["arguments"]) == {"s": "\ufffd"}


def test_an_answer_refused_for_its_finish_reason_is_still_paid_for():
    """retry_on_finish_reasons: ["length"] sends again after an answer the server charged for. Was: the row's cost
    was the last attempt's alone, so a run that retried every answer spent twice its reported cost (and its budget)."""
    prices = {"input_per_mtok": 2.0, "output_per_mtok": 10.0}
    with FaultInjectingServer(plan=("length",)) as srv:
        (out,) = ask(srv.base_url, max_tokens=64, retry_on_finish_reasons=["length"], prices=prices)
        (first, second) = [o for o in srv.stats()["outcomes"]]
    assert (first, second, out.finish_reason, out.tokens_out) == ("length", "ok", "stop", 6)  # "echo:" + 16: 6 tokens
    paid = (2 * out.tokens_in * 2.0 + (5 + 6) * 10.0) / 1e6  # the cut answer had 5 of its 6 tokens
    assert out.cost == pytest.approx(paid) and out.extra["retry_tokens"] == [out.tokens_in, 5]
    with FaultInjectingServer(plan=("length",)) as srv:  # a recipe's prices are the teacher's, applied to the row
        (bare,) = ask(srv.base_url, max_tokens=64, retry_on_finish_reasons=["length"])
    assert bare.cost == 0.0 and parquet_safe(bare, prices)["cost"] == pytest.approx(paid)
    with FaultInjectingServer(plan=("length",) * 3) as srv:
        (out,) = ask(srv.base_url, max_tokens=64, retry_on_finish_reasons=["length"], prices=prices, max_retries=2)
    assert out.error.startswith("finish_reason 'length' after 3 attempts") and out.cost == pytest.approx(
        3 * (out.tokens_in * 2.0 + 50) / 1e6)


def test_a_key_read_with_its_line_end_is_sent_clean_and_a_bad_one_is_refused_without_showing_it(monkeypatch):
    """A key read from a CRLF .env file ends in "\\r". Was: every request failed with "connection error ...:
    LocalProtocolError: Illegal header value b'Bearer sk-...\\r'": the key itself in the row's reject reason, in the
    Parquet rejects and the log, escaped past the redaction (which looked for the key as it is, not its repr)."""
    secret = "sk-test-" + "7" * 24
    monkeypatch.setenv("FACTORY_TEST_CRLF_KEY", secret + "\r\n")
    with RawReplyServer([http_reply(200, chat_reply())]) as srv:
        (out,) = ask(srv.base_url, api_key_env="FACTORY_TEST_CRLF_KEY")
        t = OpenAICompatTeacher("t", "m", base_url=srv.base_url, api_key_env="FACTORY_TEST_CRLF_KEY")
    assert (out.text, out.error) == ("hi", None) and t._redact(f"{secret!r} {secret.encode()!r}").count("***") == 2
    monkeypatch.setenv("FACTORY_TEST_CRLF_KEY", secret[:10] + "\n" + secret[10:])
    with pytest.raises(TeacherOptionsError) as e:
        OpenAICompatTeacher("t", "m", api_key_env="FACTORY_TEST_CRLF_KEY")
    assert str(e.value) == ("openai_compat teacher 't': the value of FACTORY_TEST_CRLF_KEY holds a character an HTTP "
                            "header cannot carry (a line break, control or non-ASCII character inside the key)")
    from factory.preflight import key_problems  # a run refuses it before it starts, as it does an unset key

    assert key_problems({"teacher": {"options": {"api_key_env": "K"}}}, {"K": "sk-a\nb"}) == [
        "teacher.options.api_key_env: the value of K holds a character an HTTP header cannot carry (a line break, "
        "control or non-ASCII character inside the key)"]
    assert key_problems({"teacher": {"options": {"api_key_env": "K"}}}, {"K": secret + "\r\n"}) == []


def test_tool_calls_in_a_shape_other_than_a_list_of_objects_fail_one_row_not_the_batch():
    """Was: a reply whose tool_calls was one object (not a list) or a list of strings came back "good", and turning it
    into the row's trace (native_trace, in the generate step outside the per-row guard) raised AttributeError for
    the whole batch. Now one object is the one call it describes; anything else is a malformed, retried reply."""
    one = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}
    with RawReplyServer([http_reply(200, chat_reply(None, tool_calls=one))]) as srv:
        (out,) = ask(srv.base_url)
    (msg,) = json.loads(native_trace(out).text)
    assert msg["tool_calls"] == [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    with RawReplyServer([http_reply(200, chat_reply(None, tool_calls=["f(1)"]))]) as srv:
        (out,) = ask(srv.base_url, max_retries=1)
    assert native_trace(out) is out and out.error == (
        "malformed response after 2 attempts: ValueError: tool_calls[0] is a str, not an object")


@pytest.mark.parametrize("usage", [{"prompt_tokens": 7}, {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7}])
def test_a_usage_without_the_replys_count_is_estimated_not_free(usage, caplog):
    """Was: usage with prompt_tokens only, or completion_tokens 0 for a 400-character answer, charged the answer
    nothing (output tokens are the dear ones: often 4x the input price), so `budget: {usd}` ran over unseen."""
    with RawReplyServer([http_reply(200, chat_reply("x" * 400, usage=usage))]) as srv, caplog.at_level("WARNING"):
        (out,) = ask(srv.base_url, prices={"input_per_mtok": 1.0, "output_per_mtok": 4.0})
    assert (out.tokens_in, out.tokens_out, out.cost) == (7, 101, pytest.approx((7 + 4 * 101) / 1e6))
    assert "the server sent no token usage for a prompt or a reply (a count left out, or 0)" in caplog.text
    empty = {"choices": [{"message": {"content": ""}, "finish_reason": "content_filter"}], "usage": usage}
    with RawReplyServer([http_reply(200, empty)]) as srv:
        (out,) = ask(srv.base_url)
    assert (out.tokens_in, out.tokens_out) == (7, 0)  # no answer: 0 is the count


def test_choices_that_are_not_a_list_are_a_malformed_reply():
    """Was: {"choices": {"0": {...}}} failed its row as "internal error: KeyError: 0" (an engine bug, never retried)."""
    with RawReplyServer([http_reply(200, {"choices": {"0": {"message": {"content": "x"}}}}), http_reply(200, chat_reply())]) as srv:
        (out,) = ask(srv.base_url)
    assert (out.text, out.extra["retried_after"]) == ("hi", ["malformed response"])


def test_a_base_url_that_is_already_the_endpoint_is_refused_at_validation():
    """Was: every row failed "HTTP 404 ... (POST https://api.deepseek.com/chat/completions/chat/completions)", with no
    hint (the /v1 hint only shows when /v1 is missing): the URL of a curl example pasted as base_url."""
    with pytest.raises(TeacherOptionsError) as e:
        OpenAICompatTeacher("t", "m", base_url="https://api.deepseek.com/chat/completions")
    assert str(e.value) == ("openai_compat teacher 't': options.base_url: give the API root (https://api.deepseek.com), "
                            "not the endpoint: /chat/completions is appended to it (endpoint: chat | completions)")
    with pytest.raises(TeacherOptionsError, match=r"\(http://h:8000/v1\), not the endpoint: /completions is appended"):
        OpenAICompatTeacher("t", "m", base_url="http://h:8000/v1/completions/")
    assert OpenAICompatTeacher("t", "m", base_url="http://h:8000/v1/")._url == "http://h:8000/v1/chat/completions"


def test_a_redirect_names_where_the_endpoint_moved():
    """Was: "HTTP 308 after 1 attempt (not retryable)" and nothing else (an http:// base_url of an https-only host,
    a moved deployment): redirects are not followed, so say where to point base_url. A query is never shown."""
    with RawReplyServer([http_reply(308, b"", "location: https://api.example.org/v2/chat/completions?sig=s3cret")]) as srv:
        (out,) = ask(srv.base_url)
    assert out.error == (f"HTTP 308 after 1 attempt (not retryable): (POST {srv.base_url}/chat/completions moved to "
                         "https://api.example.org/v2/chat/completions: set base_url)")


def test_rpm_and_tpm_are_the_recipes_whole_limit_shared_by_the_teachers_actors():
    """Was: every engine actor (teacher.replicas, up to max_replicas) built its own rate limiter from the recipe's rpm
    and tpm, so recipes/api_teacher.yaml (replicas: 2, rpm: 500) sent up to 1000 requests a minute."""
    from factory.recipe import load_recipe
    from teachers.step import teacher_cfg
    from tests.conftest import ROOT

    r = load_recipe(str(ROOT / "recipes" / "api_teacher.yaml"))
    assert (r.teacher.replicas, r.teacher.options.rpm, r.teacher.options.tpm) == (2, 500, 200000)
    opts = teacher_cfg(r.teacher, r.base_dir)["options"]
    assert (opts["rpm"], opts["tpm"], opts["concurrency"]) == (250, 100000, 32)
    one = r.teacher.model_copy(update={"replicas": 1, "max_replicas": 4})  # autoscaled: the most actors it may have
    assert teacher_cfg(one, r.base_dir)["options"]["rpm"] == 125


def test_a_retry_after_date_in_utc_without_a_zone_is_read_as_utc():
    """RFC 5322 writes UTC with no zone as "-0000" (Python's email.utils.formatdate() does by default). Was: read as
    the machine's local time, so on a UTC+9 machine a 30 s Retry-After became 0 (or a 9-hour wait, capped)."""
    import email.utils

    import httpx

    from teachers.ratelimit import parse_retry_after

    was = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        when = email.utils.formatdate(time.time() + 30)
        assert when.endswith("-0000") and 25 <= parse_retry_after(httpx.Headers({"retry-after": when})) <= 30
    finally:
        if was is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = was
        time.tzset()


def test_an_empty_answer_is_retried_and_never_cached_as_a_success(tmp_path):
    """OpenRouter's free models, LiteLLM's GLM/MiniMax adapters (BerriAI/litellm#38199): HTTP 200, finish_reason
    "stop", content null or "", no reasoning, no tool call. Was: a good answer (no error), so the request cache kept
    it and every re-run served the same empty reject without asking again. Now it is retried, and after the retries
    it is a transient error: not cached, its chunk redone by a re-run."""
    from teachers.cache import RequestCache
    from teachers.step import GenerateStep

    empty = http_reply(200, chat_reply(None, usage={"prompt_tokens": 9, "completion_tokens": 0}))
    with RawReplyServer([empty, http_reply(200, chat_reply(" \n"))] + [http_reply(200, chat_reply("4"))]) as srv:
        (out,) = ask(srv.base_url)
    assert (out.text, out.extra["retried_after"]) == ("4", ["empty answer", "empty answer"])
    cfg = dict(engine="openai_compat", name="t", model="m", sampling={"max_tokens": 8},
               options={"base_url": "", "max_retries": 1, **FAST})
    row = new_sample(stage="g", prompt_id="p", sample_index=0, messages=[{"role": "user", "content": "q"}],
                     request_key="k1", teacher="t")
    with RawReplyServer([empty]) as srv:
        step = GenerateStep({**cfg, "options": {**cfg["options"], "base_url": srv.base_url}}, str(tmp_path / "cache"))
        (got,) = step([row])
        assert srv.requests == 2
    assert got["status"] == "rejected" and got["reject_reason"].startswith("empty answer after 2 attempts")
    assert transient_failure(got["reject_reason"]) and not RequestCache(str(tmp_path / "cache")).has_entries()
    lean = {"choices": [{"message": {"content": "", "reasoning_content": "thought it through"}, "finish_reason": "stop"}]}
    with RawReplyServer([http_reply(200, lean)]) as srv:  # all reasoning: an answer (the step rejects it), not retried
        (out,) = ask(srv.base_url)
    assert (out.error, out.reasoning, out.extra["attempts"]) == (None, "thought it through", 1)


def test_a_tool_loop_whose_teacher_failed_transiently_is_redone_by_a_re_run():
    """Was: "tool loop failed: teacher failed: HTTP 503 after 1 attempt: ..." did not read as transient, so a 503 in any
    turn of a tool-use trace rejected its row for good (a re-run did not redo the chunk, though the turn journal would
    replay the finished turns for free). The teacher's own reason now leads the row's reason."""
    from teachers.step import GenerateStep

    inner = {"base_url": "", "max_retries": 0}
    cfg = dict(engine="tool_agent", name="api", model="m", sampling={"max_tokens": 16}, prices={},
               options={"inner_engine": "openai_compat", "inner_options": inner, "tools": ["calculator"]})
    row = new_sample(stage="t", prompt_id="p", sample_index=0, messages=[{"role": "user", "content": "6*7?"}],
                     request_key="k", teacher="api")
    with RawReplyServer([http_reply(503, {"error": {"message": "overloaded"}})]) as srv:
        inner["base_url"] = srv.base_url
        (got,) = GenerateStep(cfg, cache_uri=None)([row])
    assert got["reject_reason"] == "HTTP 503 after 1 attempt: overloaded (tool loop, turn 1)"
    assert transient_failure(got["reject_reason"])


def test_an_https_server_with_a_private_ca_is_trusted_through_ssl_cert_file(tmp_path, monkeypatch):
    """A LiteLLM proxy or vLLM behind a company CA: SSL_CERT_FILE names the CA bundle, as httpx (and requests, curl)
    read it. Was: the teacher's own SSL context (one for all its clients, built from certifi alone) ignored it, and
    every request failed "connection error: ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED]"."""
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    with RawReplyServer([http_reply(200, chat_reply())], tls=(str(cert), str(key))) as srv:
        (refused,) = ask(srv.base_url, max_retries=0)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        (out,) = ask(srv.base_url, max_retries=0)
    assert "CERTIFICATE_VERIFY_FAILED" in refused.error  # not trusted without it: verification is on
    assert (out.text, out.error) == ("hi", None)


def test_tpm_holds_for_requests_dearer_than_one_seconds_budget():
    """tpm: 30000 (OpenAI's tier-1 limit for gpt-4o) is a bucket of 500 tokens refilled at 500/s; a request estimated
    at 2200 tokens (max_tokens 2048 + its prompt) was charged 500, the bucket's size, so one went out every second:
    132000 tokens a minute against the 30000 asked, and the server answered 429 after 429. Virtual time, no sleeps."""
    from teachers.ratelimit import TokenBucket

    b = TokenBucket(rate_per_s=10.0, burst=10.0)  # tpm 600
    t0 = now = time.monotonic()  # the bucket's clock; every later moment is computed, not waited for
    sent = []
    while now - t0 < 60.0:
        now += b.reserve(50, now)  # a 50-token request, sent as soon as the bucket allows
        sent.append(now - t0)
    in_a_minute = sum(1 for t in sent if t < 60.0) * 50
    assert sent[:3] == pytest.approx([0.0, 5.0, 10.0], abs=0.01) and in_a_minute <= 600 + 50  # then 10 tokens/s


@pytest.mark.parametrize("name", ["x-portkey-api-key", "Helicone-Auth", "cf-aig-authorization", "x-goog-api-key",
                                  "X-Auth-Token"])
def test_a_gateways_key_header_in_the_recipe_is_refused_like_authorization(name):
    """Was: only authorization, api-key, x-api-key, cookie and proxy-authorization were refused in `headers`, so
    Portkey's, Helicone's or Cloudflare AI Gateway's key went into the recipe and from there into the run's manifest."""
    with pytest.raises(TeacherOptionsError, match=f"options.headers: {name}: a key never goes in the recipe"):
        OpenAICompatTeacher("t", "m", headers={name: "sk-in-the-recipe"})
    OpenAICompatTeacher("t", "m", headers={"HTTP-Referer": "https://example.org", "X-Title": "factory",
                                           "OpenAI-Organization": "org-1", "anthropic-version": "2023-06-01"})


def test_a_429_for_an_exhausted_quota_is_not_retried_but_is_redone_after_topping_up():
    """OpenAI's 429 "You exceeded your current quota" (code insufficient_quota: no credits left) is not a rate limit:
    no wait makes it pass. Was: retried with backoff (max_retries 6 in recipes/api_teacher.yaml) and shared
    cool-downs, row after row, hours of futile waiting on a large run. Now it fails at once, and like a 401 it
    counts as transient: the fix is outside the recipe, and a re-run after topping up redoes the rows."""
    quota = {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                       "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}
    with RawReplyServer([http_reply(429, quota)]) as srv:
        out = ask(srv.base_url, n=3, max_retries=6)
        assert srv.requests == 3
    assert {o.error for o in out} == {"HTTP 429 (out of quota) after 1 attempt (not retryable): You exceeded your "
                                      "current quota, please check your plan and billing details."}
    assert transient_failure(out[0].error)


@pytest.mark.parametrize("extra, why", [({"stream": True}, "stream: the client reads one JSON reply, not events"),
                                        ({"n": 4}, "n: one choice a request is read (and n are paid for); use teacher.n")])
def test_extra_body_that_changes_the_replys_shape_is_refused(extra, why):
    """Was: extra_body {stream: true} made every reply server-sent events, failed as invalid JSON 4 times each (all
    paid); {n: 4} paid for 4 answers a request and kept the first."""
    with pytest.raises(TeacherOptionsError, match=re.escape(f"options.extra_body: {why}")):
        OpenAICompatTeacher("t", "m", extra_body=extra)
    OpenAICompatTeacher("t", "m", extra_body={"stream": False, "n": 1, "chat_template_kwargs": {"enable_thinking": True}})


def test_the_on_policy_scorer_never_shows_the_key_or_url_credentials(monkeypatch, tiny_model_path):
    """The on-policy scorer's HTTP errors carried the server's body verbatim (a gateway echoing the key) and the
    base_url with any user:password@ in it."""
    from transformers import AutoTokenizer

    from ground.errors import FactoryError
    from teachers.scorers import OpenAICompatScorer

    key = "sk-onpolicy-SECRET-123456"
    monkeypatch.setenv("ONPOLICY_TEST_KEY", key)
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    body = {"error": {"message": f"Incorrect API key provided: {key}"}}
    with RawReplyServer([http_reply(401, body, "content-type: application/json")]) as srv:
        url = srv.base_url.replace("http://", "http://user:pw-SECRET@")
        with pytest.raises(FactoryError) as e:
            OpenAICompatScorer("tiny", tok, "student", base_url=url, api_key_env="ONPOLICY_TEST_KEY")
    msg = str(e.value)
    assert "HTTP 401" in msg and "***" in msg and key not in msg and "SECRET" not in msg
    assert e.value.__cause__ is None  # the httpx error (with the request) is not chained into the traceback


def test_a_long_rate_limit_wait_is_said_once(caplog):
    """A daily quota's reset (hours) held every request without a word on the console."""
    import asyncio
    import logging

    from teachers.ratelimit import RateLimiter

    async def waiters() -> None:
        lim = RateLimiter()
        lim.cool_down(3600)
        tasks = [asyncio.ensure_future(lim.acquire(10)) for _ in range(5)]
        await asyncio.sleep(0.05)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    with caplog.at_level(logging.WARNING, logger="teachers.ratelimit"):
        asyncio.run(waiters())
    said = [r.getMessage() for r in caplog.records if r.name == "teachers.ratelimit"]
    assert len(said) == 1 and said[0].startswith("rate limit: requests wait 3600 s for a 429's cool-down"), said


def test_a_tool_loop_failing_after_a_paid_turn_keeps_that_turns_cost():
    """Was: a 503 in turn 2 rejected the row with 0 tokens and $0, though turn 1 was answered and billed."""
    from teachers.step import GenerateStep

    inner = {"base_url": "", "max_retries": 0}
    cfg = dict(engine="tool_agent", name="api", model="m", sampling={"max_tokens": 16},
               prices={"input_per_mtok": 1e6, "output_per_mtok": 2e6},
               options={"inner_engine": "openai_compat", "inner_options": inner, "tools": ["calculator"]})
    row = new_sample(stage="t", prompt_id="p", sample_index=0, messages=[{"role": "user", "content": "6*7?"}],
                     request_key="k", teacher="api")
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}
    turn1 = chat_reply(None, {"prompt_tokens": 30, "completion_tokens": 10}, tool_calls=[call])
    with RawReplyServer([http_reply(200, turn1), http_reply(503, {"error": {"message": "overloaded"}})]) as srv:
        inner["base_url"] = srv.base_url
        (got,) = GenerateStep(cfg, cache_uri=None)([row])
    assert got["reject_reason"] == "HTTP 503 after 1 attempt: overloaded (tool loop, turn 2)"
    assert (got["tokens_in"], got["tokens_out"], got["cost"]) == (30, 10, 50.0)


# ---------------------------------------------------------------- session 14 (h-teach2): more servers' shapes
def test_llama_cpp_completions_logprobs_and_null_or_nan_candidates_are_kept_as_far_as_they_mean_something():
    """llama.cpp's server answers /v1/completions with logprobs in the chat shape ({"content": [{"token", "logprob",
    "top_logprobs": [...]}]}). Was: read as the completions dicts only, so every row's top-k came back [] (no error):
    soft-label KD silently had no labels. A candidate's logprob null (a JavaScript gateway writes -Infinity so) failed
    the whole answer ("malformed response" 4 times, each paid); NaN was stored and would poison a KD loss."""
    from teachers.base import GenRequest, SamplingParams

    def top(reply, endpoint):
        with RawReplyServer([http_reply(200, reply)]) as srv:
            t = OpenAICompatTeacher("t", "m", base_url=srv.base_url, endpoint=endpoint, max_retries=0, **FAST)
            (out,) = t.generate([GenRequest("k", [{"role": "user", "content": "q"}], SamplingParams(max_tokens=4, top_logprobs=2))])
        assert out.error is None, out.error
        return out.top_logprobs

    tok = {"id": 1, "token": " 4", "bytes": [32, 52], "logprob": -0.1,
           "top_logprobs": [{"id": 2, "token": " 5", "bytes": [32, 53], "logprob": -2.5}, {"id": 1, "token": " 4", "bytes": [32, 52], "logprob": -0.1}]}
    llama = {"choices": [{"text": " 4", "index": 0, "logprobs": {"content": [tok]}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 3, "completion_tokens": 1}}
    assert top(llama, "completions") == [[[" 5", -2.5], [" 4", -0.1]]]  # as the server ranks them
    vllm = {"choices": [{"text": " 4", "logprobs": {"tokens": [" 4"], "token_logprobs": [-0.1], "top_logprobs": [{" 5": -2.5, " 4": -0.1}]},
                         "finish_reason": "stop"}]}
    assert top(vllm, "completions") == [[[" 4", -0.1], [" 5", -2.5]]]  # the completions dicts, best first, as before
    gateway = b'{"choices": [{"message": {"content": "4"}, "finish_reason": "stop", "logprobs": {"content": [{"token": "4", ' \
              b'"logprob": -0.1, "top_logprobs": [{"token": "4", "logprob": -0.1}, {"token": "5", "logprob": null}, ' \
              b'{"token": "6", "logprob": NaN}, {"token": "7", "logprob": -Infinity}]}]}}]}'
    assert top(gateway, "chat") == [[["4", -0.1], ["7", float("-inf")]]]


def test_an_answer_the_server_aborted_is_retried_not_accepted():
    """vLLM and SGLang end a request their engine dropped (shutdown, a pause, preemption) with HTTP 200, the text so
    far and finish_reason "abort" (vllm-project/vllm#57082). Was: accepted as the answer, half a sentence cached and
    verified. Now it is retried, and after the retries a transient failure whose chunk a re-run redoes."""
    cut = chat_reply("The answer is")
    cut["choices"][0]["finish_reason"] = "abort"
    with RawReplyServer([http_reply(200, cut), http_reply(200, chat_reply("The answer is 4."))]) as srv:
        (out,) = ask(srv.base_url)
    assert (out.text, out.error, out.extra["retried_after"]) == ("The answer is 4.", None, ["aborted by the server"])
    with RawReplyServer([http_reply(200, cut)]) as srv:
        (out,) = ask(srv.base_url, max_retries=1)
    assert out.error == "aborted by the server after 2 attempts: finish_reason 'abort' after 13 characters of answer"
    assert transient_failure(out.error) and parquet_safe(out)["status"] == "rejected"


@pytest.mark.parametrize("finish", ["content_filter", "SAFETY", "RECITATION"])
def test_an_answer_cut_by_a_content_filter_is_rejected_even_when_text_came_first(finish):
    """Azure/OpenAI stop an answer their filter flags with finish_reason "content_filter", keeping what was written
    so far; a gateway passing Gemini's own reasons on sends "SAFETY" or "RECITATION". Was: a non-empty partial answer
    was accepted (only an empty one was rejected), and "SAFETY" was a finish reason nothing knew."""
    reply = chat_reply("Here is how to")
    reply["choices"][0]["finish_reason"] = finish
    with RawReplyServer([http_reply(200, reply)]) as srv:
        (out,) = ask(srv.base_url)
    row = parquet_safe(out)
    assert (out.finish_reason, row["status"], row["reject_reason"]) == (
        "content_filter", "rejected", "cut off by the provider's content filter (finish_reason 'content_filter')")


def test_a_finish_reason_given_as_an_object_keeps_its_type():
    """SGLang's own form of a finish reason is an object ({"type": "length", "length": 16}). Was: anything not a
    string read as "stop", so an answer cut at max_tokens passed the no_truncation filter."""
    reply = chat_reply("cut here")
    reply["choices"][0]["finish_reason"] = {"type": "length", "length": 16}
    with RawReplyServer([http_reply(200, reply)]) as srv:
        (out,) = ask(srv.base_url)
    assert (out.text, out.finish_reason) == ("cut here", "length")


def test_tgis_generation_error_is_retried_and_an_empty_balance_is_redone_after_topping_up():
    """TGI answers a failure during generation (e.g. CUDA out of memory under load) with HTTP 424 (a bad request is
    its 422). Was: final at once and not transient, the row rejected for good. OpenRouter's and DeepSeek's "insufficient
    credits/balance" is a 402: like a 429 for an exhausted quota it is not retried, but a re-run after topping up
    redoes the row. Was: rejected for good."""
    gen_err = {"error": "Request failed during generation: Server error: CUDA out of memory", "error_type": "generation"}
    with RawReplyServer([http_reply(424, gen_err), http_reply(200, chat_reply("4"))]) as srv:
        (out,) = ask(srv.base_url)
    assert (out.text, out.extra["retried_after"]) == ("4", ["HTTP 424"])
    with RawReplyServer([http_reply(422, {"error": "Input validation error: `inputs` must have less than 4096 tokens",
                                          "error_type": "validation"})]) as srv:
        (out,) = ask(srv.base_url)
        assert srv.requests == 1 and not transient_failure(out.error)
    broke = {"error": {"message": "Insufficient credits. Add more using https://openrouter.ai/settings/credits", "code": 402}}
    with RawReplyServer([http_reply(402, broke)]) as srv:
        (out,) = ask(srv.base_url)
        assert srv.requests == 1
    assert out.error == ("HTTP 402 after 1 attempt (not retryable): Insufficient credits. Add more using "
                         "https://openrouter.ai/settings/credits") and transient_failure(out.error)


def _tool_step(replies, **inner_options):
    from teachers.step import GenerateStep

    inner = {"base_url": "", "max_retries": 0, **FAST, **inner_options}
    cfg = dict(engine="tool_agent", name="api", model="m", sampling={"max_tokens": 16}, prices={},
               options={"inner_engine": "openai_compat", "inner_options": inner, "tools": ["calculator"]})
    row = new_sample(stage="t", prompt_id="p", sample_index=0, messages=[{"role": "user", "content": "6*7?"}],
                     request_key="k", teacher="api")
    with RawReplyServer(replies) as srv:
        inner["base_url"] = srv.base_url
        (got,) = GenerateStep(cfg, cache_uri=None)([row])
    return got, srv.bodies


CALC = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}


def test_deepseek_thinking_mode_gets_its_tool_turns_reasoning_back():
    """DeepSeek's thinking mode (on by default) refuses the turn after a tool call unless that call's assistant message
    carries its reasoning_content: HTTP 400 "Missing `reasoning_content` field in the assistant message at message
    index 2". Was: every turn's reasoning stripped (DeepSeek-R1 and strict schemas refuse it), so every tool-use row
    against DeepSeek failed at turn 2 with no way out. Now reasoning_in_tool_turns: true sends it back on tool-call
    turns only, and the 400 says to set it. The fake checks the messages as DeepSeek does."""
    def deepseek(body):
        for i, m in enumerate(body["messages"]):
            if m["role"] == "assistant" and m.get("tool_calls") and "reasoning_content" not in m:
                return http_reply(400, {"error": {"message": f"Missing `reasoning_content` field in the assistant message "
                                                              f"at message index {i}.", "type": "invalid_request_error"}})
        if any(m["role"] == "tool" for m in body["messages"]):
            return http_reply(200, chat_reply("42", reasoning_content="the tool said 42"))
        return http_reply(200, chat_reply(None, reasoning_content="use the calculator", tool_calls=[CALC]))

    got, _ = _tool_step([deepseek])
    assert got["reject_reason"] == ("HTTP 400 after 1 attempt (not retryable): Missing `reasoning_content` field in the "
                                    "assistant message at message index 2. (set the teacher option "
                                    "reasoning_in_tool_turns: true) (tool loop, turn 2)")
    got, bodies = _tool_step([deepseek], reasoning_in_tool_turns=True)
    assert got["status"] == "accepted" and json.loads(got["completion"])[-1]["content"] == "42"
    assert [m.get("reasoning_content") for m in bodies[1]["messages"]] == [None, None, "use the calculator", None]
    from teachers.openai_wire import wire_message

    answer = {"role": "assistant", "content": "7", "reasoning_content": "r"}  # a turn without tool calls: never sent
    assert wire_message(answer, True) == {"role": "assistant", "content": "7"}


def test_a_tool_loop_whose_final_answer_was_cut_says_so():
    """Was: the tool loop's row always finished "stop" after an answer without tool calls, so a final answer cut at
    max_tokens (finish_reason "length") passed the no_truncation filter as a whole one."""
    cut = chat_reply("The product is 4")
    cut["choices"][0]["finish_reason"] = "length"
    got, _ = _tool_step([http_reply(200, chat_reply(None, tool_calls=[CALC])), http_reply(200, cut)])
    assert (got["status"], got["finish_reason"]) == ("accepted", "length")
    from curation.filters.format import check_truncation

    assert check_truncation(json.loads(got["completion"])[-1]["content"], got["finish_reason"]) == (
        "finish_reason length (stopped at max_tokens)")


@pytest.mark.parametrize("logprobs", [None, {"content": [{"token": "4", "logprob": -0.1, "top_logprobs": []}]}])
def test_a_reply_without_the_top_logprobs_asked_for_fails_its_row_at_generate(logprobs):
    """A server or model that ignores `logprobs` (gateways routing to providers without them, older Ollama) or sends
    the chosen token's logprob only. Was: the row was accepted without teacher_topk, and soft-label KD failed only at
    training time ("row ... has none"), after the whole corpus was paid for. Now the row fails at generate, saying why,
    without retries (the server will not change its mind), its tokens counted."""
    from teachers.base import GenRequest, SamplingParams

    reply = chat_reply("4")
    reply["choices"][0]["logprobs"] = logprobs
    with RawReplyServer([http_reply(200, reply)]) as srv:
        t = OpenAICompatTeacher("t", "m", base_url=srv.base_url, **FAST)
        (out,) = t.generate([GenRequest("k", [{"role": "user", "content": "q"}], SamplingParams(max_tokens=4, top_logprobs=2))])
        assert srv.requests == 1
    assert out.error == ("no logprobs after 1 attempt (not retryable): sampling.top_logprobs is 2 but the reply has no "
                         "top logprobs (the server or model does not return them)")
    row = parquet_safe(out, {"input_per_mtok": 1e6, "output_per_mtok": 1e6})
    assert (row["status"], row["completion"], row["tokens_out"], row["cost"]) == ("rejected", None, 1, 4.0)


def test_an_aborted_answer_cached_by_an_older_version_is_asked_again(tmp_path):
    """Before aborted answers were retried they were cached as answers; a re-run served them from the request cache
    for ever. Now "abort" is a finish reason openai_compat always refuses from the cache (as retry_on_finish_reasons
    are), whatever the recipe; an answer that merely says "abort" is still served."""
    from teachers.cache import RequestCache, refused_reasons

    cache = RequestCache(str(tmp_path / "cache"))
    cache.put({"cut": {"text": "The answer is", "finish_reason": "abort"},
               "fine": {"text": 'Type "abort" to stop.', "finish_reason": "stop"}})
    assert refused_reasons("openai_compat", {}) == ("abort",)
    assert refused_reasons("openai_compat", {"retry_on_finish_reasons": ["length", "abort"]}) == ("length", "abort")
    got = RequestCache(str(tmp_path / "cache")).get_many(["cut", "fine"], refused_reasons("openai_compat", {}))
    assert list(got) == ["fine"]


def test_a_tool_call_the_servers_parser_gave_up_on_is_not_taken_for_the_final_answer():
    """vLLM's hermes tool parser (llama.cpp's too) sends the model's raw "<tool_call>..." text as content, with no
    tool_calls, when it cannot parse the call (here a missing brace). Was: the native tool loop took that markup for
    the final answer and the row was accepted, the tool never run. Now the call is run as the text protocol runs it
    (a malformed one comes back as an error the model sees) and the loop goes on."""
    raw = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}\n</tool_call>'
    got, bodies = _tool_step([http_reply(200, chat_reply(raw)), http_reply(200, chat_reply("42"))])
    trace = json.loads(got["completion"])
    assert [m["role"] for m in trace] == ["assistant", "tool", "assistant"] and trace[-1]["content"] == "42"
    assert json.loads(trace[1]["content"]) == {"error": "unknown tool None; available: calculator"}
    assert len(bodies) == 2 and bodies[1]["messages"][-1]["role"] == "tool"
    good = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>'
    got, _ = _tool_step([http_reply(200, chat_reply(good)), http_reply(200, chat_reply("42"))])
    assert json.loads(json.loads(got["completion"])[1]["content"]) == {"result": 42}


def test_the_key_echoed_in_a_refusal_never_reaches_the_rows_reason(monkeypatch):
    """Every error built from a reply hides the key (a gateway echoing the request's Authorization) but one: the
    refusal's text. Was: "refused (not retryable): ... sk-..." in the row's reject_reason, the Parquet and the log."""
    key = "sk-echoed-" + "Q" * 24
    monkeypatch.setenv("FACTORY_TEST_ECHO_KEY", key)
    with RawReplyServer([http_reply(200, chat_reply(None, refusal=f"The request with key {key} was refused."))]) as srv:
        (out,) = ask(srv.base_url, api_key_env="FACTORY_TEST_ECHO_KEY")
    assert out.error == "refused (not retryable): The request with key *** was refused."
    assert key not in json.dumps(parquet_safe(out))


def test_the_on_policy_scorer_waits_out_a_busy_server_instead_of_ending_the_training(monkeypatch, tiny_model_path):
    """vLLM under load answers 503 (or drops a connection) now and then. Was: the on-policy scorer had no retry, so
    one such answer raised FactoryError and ended the training run; now it waits (backoff, Retry-After) and asks
    again, and only a server that keeps failing (or a 4xx such as 401) ends it. The fake tokenises as vLLM would."""
    from transformers import AutoTokenizer

    from ground.errors import FactoryError
    from teachers.scorers import OpenAICompatScorer

    monkeypatch.setattr(OpenAICompatScorer, "BACKOFF_S", 0.001, raising=False)
    tok = AutoTokenizer.from_pretrained(tiny_model_path)

    def vllm(body):
        ids = body["prompt"] if isinstance(body["prompt"], list) else tok.encode(body["prompt"], add_special_tokens=False)
        pl = [None] + [{str(t): {"logprob": -0.5 - i, "rank": 1}} for i, t in enumerate(ids[1:])]
        return http_reply(200, {"choices": [{"text": "x", "prompt_logprobs": pl}]})

    busy = http_reply(503, {"error": {"message": "Service Unavailable"}}, "retry-after: 0")
    with RawReplyServer([busy, vllm, vllm, busy, b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n{", vllm]) as srv:
        sc = OpenAICompatScorer("teacher", tok, "student", base_url=srv.base_url)
        (lp,) = sc.score([[1, 2, 3]], [[4, 5]])
        sc.close()
        assert srv.requests == 6  # 2 probes (the first after a 503), the scoring after a 503 and a cut body
    assert lp.tolist() == [-2.5, -3.5]
    with RawReplyServer([busy]) as srv, pytest.raises(FactoryError) as e:
        OpenAICompatScorer("teacher", tok, "student", base_url=srv.base_url)
    assert str(e.value) == (f"on-policy teacher server {srv.base_url}: HTTP 503: "
                            '{"error": {"message": "Service Unavailable"}} (4 attempts)')


@pytest.mark.parametrize("finish, native, expected", [
    ("stop", "MAX_TOKENS", "length"),  # OpenRouter normalised a Gemini cut to "stop"
    (None, "max_tokens", "length"),  # or sent null, the provider's word beside it
    ("stop", "SAFETY", "content_filter"),
    ("stop", "end_turn", "stop"), ("length", "STOP", "length"),  # otherwise the normalised one stands
    ("refusal", None, "content_filter"),  # Anthropic's classifier stopped the answer
])
def test_openrouters_native_finish_reason_tells_a_cut_answer(finish, native, expected):
    """OpenRouter sends the provider's own finish reason as native_finish_reason beside its normalised one, and the
    normalised one has been "stop" (or null) for answers the provider cut. Was: read as whole answers."""
    reply = chat_reply("partial")
    reply["choices"][0].update(finish_reason=finish, native_finish_reason=native)
    with RawReplyServer([http_reply(200, reply)]) as srv:
        (out,) = ask(srv.base_url)
    assert out.finish_reason == expected


def test_a_200_that_is_not_json_shows_how_its_body_begins():
    """A proxy's HTML login page, server-sent events from a gateway set to stream, an empty body: all HTTP 200. Was:
    "invalid JSON in response after 4 attempts: Expecting value: line 1 column 1 (char 0)" for all three alike."""
    sse = b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\ndata: [DONE]\n\n'
    page = b"<!DOCTYPE html><html><head><title>Sign in to continue</title></head></html>"
    got = []
    for body in (sse, page, b""):
        with RawReplyServer([http_reply(200, body)]) as srv:
            (out,) = ask(srv.base_url, max_retries=0)
        got.append(out.error)
    assert got == [
        "invalid JSON in response after 1 attempt: Expecting value: line 1 column 1 (char 0); the body begins "
        "'data: {\"choices\": [{\"delta\": {\"content\": \"hi\"}}]}\\n\\ndata: [DO'",
        "invalid JSON in response after 1 attempt: Expecting value: line 1 column 1 (char 0); the body begins "
        "'<!DOCTYPE html><html><head><title>Sign in to continue</title'",
        "invalid JSON in response after 1 attempt: Expecting value: line 1 column 1 (char 0); the body is empty"]
