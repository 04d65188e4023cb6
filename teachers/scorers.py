"""Teacher scorers for on-policy distillation: log p_T of given completion token ids.

    >>> from teachers.scorers import HFScorer
    >>> sc = HFScorer("smollm2-135m-instruct", student_tok, "smollm2-135m-instruct")
    >>> [lp.shape for lp in sc.score([prompt_ids], [completion_ids])]     # one (T,) tensor per example

``HFScorer`` runs a local transformers model (``full=True`` also gives the whole next-token
distribution). ``OpenAICompatScorer`` posts prompt + completion ids to an OpenAI-compatible
``/v1/completions`` with ``prompt_logprobs: 0`` and ``max_tokens: 1`` (vLLM's extension: each
prompt position then carries the logprob of the actual token) and reads the completion positions.
Both refuse, before scoring anything, a teacher whose tokenizer differs from the student's
(:func:`check_same_tokenizer`; for a server, probe texts are tokenised by the server and compared).
The API key comes only from the environment variable *named* by ``api_key_env``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging

from ground.errors import FactoryError

log = logging.getLogger(__name__)

PROBES = ["The quick brown fox jumps over 13 lazy dogs.", "def f(x):\n    return x ** 2  # naïve café ✓ 数学"]


class TokenizerMismatchError(FactoryError):
    """Teacher and student tokenise differently: the teacher cannot score the student's token ids."""


def _mismatch(student: str, teacher: str, why: str) -> TokenizerMismatchError:
    return TokenizerMismatchError(
        f"on-policy distillation: teacher {teacher!r} and student {student!r} use different tokenizers ({why}); "
        f"the teacher scores the student's sampled token ids, so both must share one tokenizer: pick a teacher from "
        f"the student's model family, or train with method: sft (or kd) on the teacher's text instead")


def chat_ids(tok, messages: list[dict]) -> list[int]:
    enc = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    return list(enc["input_ids"] if hasattr(enc, "keys") else enc)


def check_same_tokenizer(student_tok, teacher_tok, student: str, teacher: str) -> None:
    if len(student_tok) != len(teacher_tok):
        raise _mismatch(student, teacher, f"vocabulary sizes {len(student_tok)} vs {len(teacher_tok)}")
    if student_tok.eos_token_id != teacher_tok.eos_token_id:
        raise _mismatch(student, teacher, f"eos ids {student_tok.eos_token_id} vs {teacher_tok.eos_token_id}")
    for p in PROBES:
        a, b = student_tok.encode(p, add_special_tokens=False), teacher_tok.encode(p, add_special_tokens=False)
        if a != b:
            raise _mismatch(student, teacher, f"{p!r} -> {len(a)} vs {len(b)} tokens")


def completion_logits(model, prompt_ids: list[list[int]], comp_ids: list[list[int]], device, pad_id: int) -> list:
    """Per example, the logits that predict each completion token: a (T_i, V) tensor."""
    import torch

    seqs = [p + c for p, c in zip(prompt_ids, comp_ids)]
    L = max(map(len, seqs))
    ids = torch.full((len(seqs), L), pad_id, dtype=torch.long)
    att = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):  # right padding: positions match the unpadded sequence
        ids[i, : len(s)] = torch.tensor(s)
        att[i, : len(s)] = 1
    logits = model(input_ids=ids.to(device), attention_mask=att.to(device)).logits
    return [logits[i, len(p) - 1 : len(p) - 1 + len(c)] for i, (p, c) in enumerate(zip(prompt_ids, comp_ids))]


class HFScorer:
    def __init__(self, model: str, student_tok, student: str, device="cpu", threads: int | None = None,
                 batch_size: int = 8, **_ignored):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ground.models import resolve_model

        path = resolve_model(model)
        check_same_tokenizer(student_tok, AutoTokenizer.from_pretrained(path), student, model)
        if threads and str(device) == "cpu":
            torch.set_num_threads(int(threads))
        dtype = torch.float32 if str(device) == "cpu" else torch.bfloat16
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device).eval()
        self.device, self.pad_id, self.batch_size = device, student_tok.pad_token_id, int(batch_size)

    def score(self, prompt_ids: list[list[int]], comp_ids: list[list[int]], full: bool = False) -> list:
        import torch

        out = []
        for s in range(0, len(prompt_ids), self.batch_size):
            P, C = prompt_ids[s : s + self.batch_size], comp_ids[s : s + self.batch_size]
            with torch.inference_mode():
                for x, c in zip(completion_logits(self.model, P, C, self.device, self.pad_id), C):
                    lp = torch.log_softmax(x.float(), -1)
                    out.append(lp.clone() if full else lp.gather(-1, torch.tensor(c, device=lp.device)[:, None]).squeeze(-1).clone())
        return out

    def close(self) -> None:
        self.model = None


class OpenAICompatScorer:
    def __init__(self, model: str, student_tok, student: str, base_url: str = "http://127.0.0.1:8000/v1",
                 api_key_env: str | None = None, timeout_s: float = 120.0, concurrency: int = 8, **unknown):
        import httpx

        if unknown:
            raise FactoryError(f"on-policy openai_compat teacher: unknown options {sorted(unknown)}; "
                               f"known: api_key_env, base_url, concurrency, timeout_s")
        headers, self._key = {}, None
        if api_key_env:
            from teachers.openai_options import read_api_key

            self._key = read_api_key(api_key_env, 'on-policy teacher', FactoryError)
            headers["Authorization"] = f"Bearer {self._key}"
        self.model, self.student = model, student
        self.client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s, headers=headers)
        from teachers.openai_wire import shown_url

        self._shown = shown_url(self.client.base_url).rstrip("/")
        self.pool = cf.ThreadPoolExecutor(max(1, int(concurrency)))
        self._check_tokenizer(student_tok)

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    #: attempts per scoring request: a 503 or a dropped connection from a busy server is waited out (backoff, at
    #: least its Retry-After, at most ``MAX_WAIT_S``), not the end of a training run
    ATTEMPTS, BACKOFF_S, MAX_WAIT_S = 4, 0.5, 30.0

    def _prompt_logprobs(self, prompt) -> list:
        import time

        import httpx

        from teachers.openai_wire import RETRYABLE_4XX
        from teachers.ratelimit import parse_retry_after

        body = {"model": self.model, "prompt": prompt, "max_tokens": 1, "temperature": 0.0, "prompt_logprobs": 0,
                "add_special_tokens": False}
        for attempt in range(self.ATTEMPTS):
            last = attempt == self.ATTEMPTS - 1
            wait = min(self.MAX_WAIT_S, self.BACKOFF_S * 2**attempt)
            try:
                r = self.client.post("/completions", json=body)
            except httpx.HTTPError as e:
                if last:
                    raise FactoryError(self._redact(f"on-policy teacher server {self._shown}: {type(e).__name__}: {e} "
                                                    f"({self.ATTEMPTS} attempts)")) from None
                log.warning("on-policy teacher server %s: %s; retrying in %.1f s", self._shown, type(e).__name__, wait)
                time.sleep(wait)
                continue
            if r.status_code == 200:
                break
            if last or not (r.status_code in RETRYABLE_4XX or r.status_code >= 500):
                raise FactoryError(self._redact(f"on-policy teacher server {self._shown}: HTTP {r.status_code}: {r.text[:300]}"
                                                + (f" ({self.ATTEMPTS} attempts)" if last else "")))
            wait = min(self.MAX_WAIT_S, max(wait, parse_retry_after(r.headers) or 0.0))
            log.warning("on-policy teacher server %s: HTTP %d; retrying in %.1f s", self._shown, r.status_code, wait)
            time.sleep(wait)
        pl = (r.json().get("choices") or [{}])[0].get("prompt_logprobs")
        if not isinstance(pl, list):
            raise FactoryError("on-policy teacher server returned no prompt_logprobs: it must support vLLM's "
                               "prompt_logprobs extension of /v1/completions")
        return pl

    def _check_tokenizer(self, tok) -> None:
        for p in PROBES:
            ids = tok.encode(p, add_special_tokens=False)
            pl = self._prompt_logprobs(p)
            server = [int(next(iter(d))) if d else None for d in pl]
            if len(server) != len(ids) or server[1:] != ids[1:]:
                raise _mismatch(self.student, self.model, f"the server tokenises {p!r} into {len(server)} tokens, "
                                                          f"the student into {len(ids)}")

    def _one(self, p: list[int], c: list[int]) -> list[float]:
        pl = self._prompt_logprobs(p + c)
        out = []
        for t, tid in enumerate(c):
            d = pl[len(p) + t] or {}
            if str(tid) not in d:
                raise FactoryError(f"on-policy teacher server gave no logprob for token {tid} at position {len(p) + t}")
            out.append(float(d[str(tid)]["logprob"]))
        return out

    def score(self, prompt_ids: list[list[int]], comp_ids: list[list[int]], full: bool = False) -> list:
        import torch

        if full:
            raise FactoryError("an openai_compat teacher returns sampled-token logprobs only: use onpolicy.loss: sampled")
        return [torch.tensor(x) for x in self.pool.map(self._one, prompt_ids, comp_ids)]

    def close(self) -> None:
        self.pool.shutdown(wait=False)
        self.client.close()


def pick_options(options: dict, keys: set[str], inherited: bool, engine: str) -> dict:
    """The scorer's options: inherited from the recipe's generation teacher, only the keys a scorer uses;
    explicit ``onpolicy.teacher_options`` must all be known."""
    opts = dict(options or {})
    if inherited:
        return {k: v for k, v in opts.items() if k in keys}
    if set(opts) - keys:
        raise FactoryError(f"train.onpolicy.teacher_options: unknown keys {sorted(set(opts) - keys)} for "
                           f"{engine}; known: {sorted(keys)}")
    return opts
