"""``factory serve`` conformance: a real server subprocess on 127.0.0.1, driven by the official ``openai`` client.

Run: pytest -q tests/integration/test_serve.py      (~1 min on 2 cores; the tiny bundled model)

Greedy output through the server is checked against ``HFLocalTeacher`` in-process: same prompt,
same text, same token counts, same top logprobs.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from teachers.base import GenRequest, SamplingParams

ROOT = Path(__file__).resolve().parents[2]
MODEL = "smollm2-135m-instruct"
KEY_ENV = "SERVE_TEST_KEY"
KEY = "sk-test-serve-0123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m factory.serve`` in its own process group, so teardown can prove nothing is left."""

    def __init__(self, *args: str, env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "factory.serve", "--port", str(self.port), "--threads", "1", "--log-level", "warning", *args],
            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.proc.stdout.read()[-2000:]}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not become healthy in 120 s")

    def health(self) -> dict:
        return httpx.get(self.base + "/health", timeout=5).json()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
        return rc

    def group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True


@pytest.fixture(scope="module")
def server():
    srv = Server("--api-key-env", KEY_ENV, "--max-wait-ms", "300", "--batch-size", "8", env={KEY_ENV: KEY})
    yield srv
    assert srv.stop() == 0
    assert not srv.group_alive(), "a process of the server's group survived SIGTERM"


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.base + "/v1", api_key=KEY, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def teacher():
    from teachers.hf_local import HFLocalTeacher

    return HFLocalTeacher(name="ref", model=MODEL, threads=1)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_models_and_health(server, client):
    assert [m.id for m in client.models.list().data] == [MODEL]
    assert server.health()["status"] == "ok"


def test_chat_greedy_equals_hf_local(client, teacher):
    r = client.chat.completions.create(model=MODEL, messages=user("Name a colour."), max_tokens=12, temperature=0)
    ref = teacher.generate([GenRequest("k", user("Name a colour."), SamplingParams(max_tokens=12))])[0]
    c = r.choices[0]
    assert c.message.role == "assistant" and c.message.content == ref.text and ref.text
    assert c.finish_reason == ref.finish_reason
    assert (r.usage.prompt_tokens, r.usage.completion_tokens) == (ref.tokens_in, ref.tokens_out)
    assert r.usage.total_tokens == ref.tokens_in + ref.tokens_out
    assert r.id.startswith("chatcmpl-") and r.model == MODEL and abs(r.created - time.time()) < 300


def test_chat_logprobs_match_hf_local(client, teacher):
    msgs = user("What is 2+2?")
    r = client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=6, temperature=0, logprobs=True, top_logprobs=3)
    ref = teacher.generate([GenRequest("k", msgs, SamplingParams(max_tokens=6, top_logprobs=3))])[0]
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens == ref.tokens_out
    assert "".join(t.token for t in content) == r.choices[0].message.content
    tok = teacher._tok
    for t, ref_top in zip(content, ref.top_logprobs):
        assert isinstance(t.logprob, float) and t.logprob <= 0 and t.bytes == list(t.token.encode())
        assert len(t.top_logprobs) == 3
        assert [x.token for x in t.top_logprobs] == [tok.decode([i]) for i, _ in ref_top]
        assert [x.logprob for x in t.top_logprobs] == pytest.approx([lp for _, lp in ref_top], abs=1e-3)
        assert t.top_logprobs[0].logprob == pytest.approx(t.logprob)  # greedy picks the top token


def test_n_samples_seed_and_usage(client):
    kw = dict(model=MODEL, messages=user("Write a word."), max_tokens=8, temperature=1.0, n=2, seed=11, logprobs=True)
    a = client.chat.completions.create(**kw)
    b = client.chat.completions.create(**kw)
    assert [c.index for c in a.choices] == [0, 1]
    texts = [c.message.content for c in a.choices]
    assert texts == [c.message.content for c in b.choices]  # seeded = reproducible
    assert texts[0] != texts[1]  # two samples, not one sample twice
    assert a.usage.completion_tokens == sum(len(c.logprobs.content) for c in a.choices)
    assert a.usage.prompt_tokens == b.usage.prompt_tokens > 0


def test_stop_cuts_text_and_tokens(client):
    msgs = user("Count from 1 to 10 separated by commas.")
    full = client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=16, temperature=0, logprobs=True)
    text = full.choices[0].message.content
    stop = text[len(text) // 2: len(text) // 2 + 2]
    assert stop.strip(), f"test prompt gave too little text: {text!r}"
    r = client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=16, temperature=0, stop=[stop])
    assert r.choices[0].message.content == text[: text.find(stop)]
    assert r.choices[0].finish_reason == "stop"
    # tokens counted up to (and including) the token that completed the stop string
    pieces = [t.token for t in full.choices[0].logprobs.content]
    need = next(k for k in range(1, len(pieces) + 1) if stop in "".join(pieces[:k]))
    assert r.usage.completion_tokens == need < full.usage.completion_tokens


def test_completions_with_logprobs(client):
    r = client.completions.create(model=MODEL, prompt=["The capital of France is", "1, 2, 3,"], max_tokens=5, temperature=0,
                                  logprobs=2)
    assert [c.index for c in r.choices] == [0, 1]
    for c in r.choices:
        assert c.text and "".join(c.logprobs.tokens) == c.text
        assert len(c.logprobs.token_logprobs) == len(c.logprobs.tokens) == len(c.logprobs.top_logprobs)
        assert all(len(d) <= 2 and max(d.values()) == pytest.approx(lp) for d, lp in zip(c.logprobs.top_logprobs, c.logprobs.token_logprobs))
        assert c.logprobs.text_offset[0] == 0
    assert r.usage.completion_tokens == sum(len(c.logprobs.tokens) for c in r.choices)
    assert "Paris" in r.choices[0].text


def test_streaming_equals_non_streaming(client):
    msgs = user("Say hello to Bob.")
    whole = client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=10, temperature=0)
    chunks = list(client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=10, temperature=0, stream=True,
                                                 stream_options={"include_usage": True}))
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(deltas) >= 2  # arrives in pieces, not one blob
    assert "".join(deltas) == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [whole.choices[0].finish_reason]
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert len({c.id for c in chunks}) == 1


def test_concurrent_requests_share_a_batch(server, client, teacher):
    prompts = [f"Give me a fruit number {i}." for i in range(4)]
    before = server.health()["generate_calls"]
    out: dict[int, str] = {}

    def ask(i: int) -> None:
        r = client.chat.completions.create(model=MODEL, messages=user(prompts[i]), max_tokens=8, temperature=0)
        out[i] = r.choices[0].message.content

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    calls = server.health()["generate_calls"] - before
    assert 1 <= calls < 4, f"{calls} generate calls for 4 concurrent requests: no micro-batching"
    ref = teacher.generate([GenRequest(str(i), user(p), SamplingParams(max_tokens=8)) for i, p in enumerate(prompts)])
    assert [out[i] for i in range(4)] == [x.text for x in ref]


def test_bad_requests(server, client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=[], max_tokens=4)
    assert "messages" in e.value.message
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-nope", messages=user("hi"), max_tokens=4)
    assert e.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError, match="top_logprobs"):
        client.chat.completions.create(model=MODEL, messages=user("hi"), max_tokens=4, top_logprobs=2)
    with pytest.raises(openai.BadRequestError, match="tools"):
        client.chat.completions.create(model=MODEL, messages=user("hi"), max_tokens=4,
                                       tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])
    with pytest.raises(openai.BadRequestError, match="response_format"):
        client.chat.completions.create(model=MODEL, messages=user("hi"), max_tokens=4, response_format={"type": "json_object"})
    # the default some clients send explicitly is no request for anything
    ok = client.chat.completions.create(model=MODEL, messages=user("hi"), max_tokens=2, response_format={"type": "text"})
    assert ok.choices[0].message.content is not None and ok.usage.completion_tokens <= 2
    with pytest.raises(openai.BadRequestError, match="context length"):
        client.chat.completions.create(model=MODEL, messages=user("hi"), max_tokens=9000)
    h = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    r = httpx.post(server.base + "/v1/chat/completions", content=b"{not json", headers=h)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = httpx.post(server.base + "/v1/chat/completions", json={"model": MODEL}, headers=h)
    assert r.status_code == 400 and "messages" in r.json()["error"]["message"]
    r = httpx.post(server.base + "/v1/chat/completions", json={"model": MODEL, "messages": user("hi")})
    assert r.status_code == 401 and KEY not in r.text
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.base + "/v1", api_key="wrong", max_retries=0).models.list()


def test_adapter_is_served_and_process_exits(tmp_path):
    """A LoRA student: the server's greedy text equals the merged model's, and SIGTERM leaves no process."""
    import torch
    from peft import LoraConfig, get_peft_model

    from ground.models import load_causal_lm

    torch.manual_seed(0)
    model, tok = load_causal_lm(MODEL)
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    peft.save_pretrained(tmp_path / "adapter")
    merged = peft.merge_and_unload().eval()
    ids = tok.apply_chat_template(user("Hi"), add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        gen = merged.generate(**ids, max_new_tokens=6, do_sample=False, pad_token_id=tok.pad_token_id)
    expect = tok.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)

    srv = Server("--adapter", str(tmp_path / "adapter"), "--served-model-name", "student")
    try:
        r = openai.OpenAI(base_url=srv.base + "/v1", api_key="unused", max_retries=0, timeout=120).chat.completions.create(
            model="student", messages=user("Hi"), max_tokens=6, temperature=0)
        assert r.choices[0].message.content == expect
    finally:
        rc = srv.stop()
    assert rc == 0 and not srv.group_alive()


def test_bad_adapter_dir_exits_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "factory.serve", "--adapter", str(tmp_path), "--port", str(free_port())],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "not a PEFT adapter directory" in r.stderr


# ---------------------------------------------------------------- session 13 bug hunt (branch h-serve)

def test_client_disconnect_mid_stream_stops_its_generation(server, client):
    """A streaming client that goes away must not keep the one generate worker busy with its 4000 tokens: the next
    client is answered at once (on main it waited for the whole abandoned generation, minutes on CPU)."""
    body = {"model": MODEL, "messages": user("Count from 1 to 1000 separated by commas."), "max_tokens": 4000,
            "temperature": 0, "stream": True}
    got = 0
    with httpx.stream("POST", server.base + "/v1/chat/completions", json=body, timeout=120,
                      headers={"Authorization": f"Bearer {KEY}"}) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if '"content": "' in line and '"content": ""' not in line:
                got += 1
                if got == 3:
                    break  # leaving the block closes the connection mid-stream
    assert got == 3
    t0 = time.time()
    quick = openai.OpenAI(base_url=server.base + "/v1", api_key=KEY, max_retries=0, timeout=90)
    r = quick.chat.completions.create(model=MODEL, messages=user("hi"), max_tokens=2, temperature=0)
    assert r.usage.completion_tokens <= 2 and r.choices[0].message.content
    assert time.time() - t0 < 90
    assert server.health()["status"] == "ok"


def test_client_that_times_out_without_streaming_stops_its_generation(server):
    """An eval harness's request timeout (a non-streaming client that closes its connection) cancels the abandoned
    generation too: the next request does not queue behind its 4000 tokens."""
    body = {"model": MODEL, "messages": user("Count from 1 to 1000 separated by commas."), "max_tokens": 4000, "temperature": 0}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server.base + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
    t0 = time.time()
    quick = openai.OpenAI(base_url=server.base + "/v1", api_key=KEY, max_retries=0, timeout=90)
    r = quick.completions.create(model=MODEL, prompt="1, 2, 3,", max_tokens=2, temperature=0)
    assert r.usage.completion_tokens == 2 and time.time() - t0 < 90


def test_sigterm_during_a_long_generation_exits_promptly():
    """Was: SIGTERM waited for every request in progress to finish its tokens (the teardown of a server with a
    4000-token request outlived a 60 s wait). Now: --shutdown-timeout seconds, then generation is cut, exit 0."""
    srv = Server("--shutdown-timeout", "2")
    body = {"model": MODEL, "messages": user("Count from 1 to 1000 separated by commas."), "max_tokens": 4000, "temperature": 0}
    answer: list = []

    def ask() -> None:
        try:
            answer.append(httpx.post(srv.base + "/v1/chat/completions", json=body, timeout=300).status_code)
        except httpx.HTTPError as e:
            answer.append(type(e).__name__)

    t = threading.Thread(target=ask, daemon=True)
    t.start()
    try:
        deadline = time.time() + 60
        while srv.health()["generate_calls"] < 1 and time.time() < deadline:
            time.sleep(0.2)
        assert srv.health()["generate_calls"] == 1
        time.sleep(1)
        srv.proc.send_signal(signal.SIGTERM)
        t0 = time.time()
        rc = srv.proc.wait(timeout=60)
        took = time.time() - t0
    finally:
        if srv.proc.poll() is None:
            os.killpg(srv.proc.pid, signal.SIGKILL)
    assert rc == 0 and took < 60 and not srv.group_alive()
    t.join(30)
    assert answer and answer[0] != 200  # the cut request is not passed off as a complete answer


def test_errors_have_openai_shape(server, client):
    h = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    for method, path, status in (("GET", "/v1/nothing", 404), ("GET", "/v1/chat/completions", 405)):
        r = httpx.request(method, server.base + path, headers=h)
        assert r.status_code == status
        assert r.json() == {"error": {"message": r.json()["error"]["message"], "type": "invalid_request_error",
                                      "param": None, "code": None}}
    # a seed torch cannot take was a 500 'Overflow when unpacking long long'
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=user("hi"), max_tokens=2, seed=2**70)
    assert e.value.status_code == 400 and e.value.body["param"] == "seed"
    r = httpx.post(server.base + "/v1/chat/completions", headers=h,
                   json={"model": MODEL, "messages": user("hi"), "max_tokens": 2, "temperature": "0.5"})
    assert r.status_code == 400 and r.json()["error"]["message"] == "temperature: expected integer or number, got string"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=user("hi " * 9000), max_tokens=5)
    assert e.value.body["code"] == "context_length_exceeded" and e.value.body["param"] == "messages"


def test_model_left_out_means_the_served_model(server):
    """Was: a 400 'model: required'; vLLM (and curl users' scripts written for it) leave model out."""
    h = {"Authorization": f"Bearer {KEY}"}
    r = httpx.post(server.base + "/v1/chat/completions", headers=h, json={"messages": user("hi"), "max_tokens": 2}, timeout=120)
    assert r.status_code == 200 and r.json()["model"] == MODEL and r.json()["usage"]["completion_tokens"] <= 2
    r = httpx.post(server.base + "/v1/completions", headers=h, json={"model": 3, "prompt": "a", "max_tokens": 1}, timeout=120)
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"


def test_assistant_turn_without_content_and_tool_calls_in_history(client):
    # OpenAI allows content null on an assistant turn: it was a 400 'messages[1].content: must be a string'
    msgs = [*user("hi"), {"role": "assistant", "content": None}, *user("Say yes.")]
    r = client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=2, temperature=0)
    assert r.choices[0].message.content
    # a tool-calling history is refused by name, not as a content type error
    msgs = [*user("2+1?"), {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{\"a\": 2, \"b\": 1}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "3"}]
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=msgs, max_tokens=2)
    assert e.value.body["message"] == "messages[1].tool_calls: tool calling is not supported by this server"


def test_completions_take_token_id_prompts(client, teacher):
    """lm-evaluation-harness's local-completions sends prompts as token ids (tokenized_requests, its default)."""
    tok = teacher._tok
    ids = tok("The capital of France is", add_special_tokens=True)["input_ids"]
    by_text = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=4, temperature=0)
    by_ids = client.completions.create(model=MODEL, prompt=ids, max_tokens=4, temperature=0)
    assert by_ids.choices[0].text == by_text.choices[0].text and "Paris" in by_ids.choices[0].text
    assert by_ids.usage.prompt_tokens == len(ids)
    two = client.completions.create(model=MODEL, prompt=[ids, ids[:2]], max_tokens=3, temperature=0)
    assert [c.index for c in two.choices] == [0, 1] and two.usage.prompt_tokens == len(ids) + 2
    with pytest.raises(openai.BadRequestError) as e:
        client.completions.create(model=MODEL, prompt=[ids[0], 10**9], max_tokens=2)
    assert e.value.body["param"] == "prompt" and "token ids must be in [0, " in e.value.body["message"]


def test_completions_echo_scores_the_prompt_like_lm_eval_loglikelihood(client, teacher):
    """lm-evaluation-harness's loglikelihood request (token ids, echo=true, logprobs=1, max_tokens=1, temperature 0)
    was a 400 'echo: not supported'. The prompt's tokens now come back scored: none for the first, then each
    token's logprob given the ones before it, equal to a forward pass of the same model."""
    import torch

    tok, model = teacher._tok, teacher._model
    ids = tok("The capital of France is Paris", add_special_tokens=True)["input_ids"]
    r = client.completions.create(model=MODEL, prompt=ids, max_tokens=1, temperature=0, logprobs=1, echo=True, seed=1234)
    c = r.choices[0]
    lp = c.logprobs
    assert len(lp.tokens) == len(ids) + 1 and "".join(lp.tokens) == c.text and c.text.startswith(tok.decode(ids))
    assert lp.token_logprobs[0] is None and lp.top_logprobs[0] is None
    with torch.inference_mode():
        ref = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].float(), dim=-1)
    want = [float(ref[t - 1, ids[t]]) for t in range(1, len(ids))]
    assert lp.token_logprobs[1:len(ids)] == pytest.approx(want, abs=1e-3)
    # lm-eval's is_greedy: the top-1 token at each position, compared with the actual one
    greedy = [tok.decode([int(ref[t - 1].argmax())]) for t in range(1, len(ids))]
    assert [max(d, key=d.get) for d in lp.top_logprobs[1:len(ids)]] == greedy
    assert r.usage.prompt_tokens == len(ids) and r.usage.completion_tokens == 1
    # echo without logprobs: the text only; a string prompt is echoed as sent
    r = client.completions.create(model=MODEL, prompt=["1, 2, 3,", "a b"], max_tokens=2, temperature=0, echo=True, n=2)
    plain = client.completions.create(model=MODEL, prompt=["1, 2, 3,", "a b"], max_tokens=2, temperature=0)
    # lm-eval's generate_until sends a task's stop sequences plus EOS: more than OpenAI's 4 was a 400
    many = client.completions.create(model=MODEL, prompt="1, 2, 3,", max_tokens=8, temperature=0,
                                     stop=["Question:", "</s>", "<|im_end|>", "\n\n", "7", "5"])
    assert many.choices[0].finish_reason == "stop" and "5" not in many.choices[0].text
    assert [c.text for c in r.choices] == ["1, 2, 3," + plain.choices[0].text] * 2 + ["a b" + plain.choices[1].text] * 2
    assert all(c.logprobs is None for c in r.choices) and [c.index for c in r.choices] == [0, 1, 2, 3]


def test_default_max_tokens_fits_the_context_left():
    """A prompt that fits was refused when the request left max_tokens out: the server's default (512) was added to it.
    Like vLLM, an omitted max_tokens is the default cut to the context the prompt leaves."""
    from factory.serve import RequestError, _Api, _sampling
    from factory.serve_engine import LocalModel

    lm = LocalModel(MODEL, threads=1)
    api = _Api(lm, MODEL, set(), None, 512)
    sp = _sampling({"temperature": 0})
    assert sp["max_tokens"] is None and lm.max_len == 8192
    jobs = api.make_jobs([1] * 8000, 512, "messages", **sp, top_logprobs=None, loop=False)
    assert [j.max_tokens for j in jobs] == [192]
    assert api.make_jobs([1] * 100, 512, "messages", **sp, top_logprobs=None, loop=False)[0].max_tokens == 512
    with pytest.raises(RequestError) as e:  # an explicit max_tokens is kept, and refused when it does not fit
        api.make_jobs([1] * 8000, 512, "messages", **{**sp, "max_tokens": 300}, top_logprobs=None, loop=False)
    assert (e.value.status, e.value.param, e.value.code) == (400, "max_tokens", "context_length_exceeded")
    with pytest.raises(RequestError) as e:  # the prompt alone fills the context
        api.make_jobs([1] * 8192, 16, "prompt", **sp, top_logprobs=None, loop=False)
    assert (e.value.param, e.value.code) == ("prompt", "context_length_exceeded")
    assert "maximum context length is 8192" in str(e.value)
