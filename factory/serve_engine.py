"""The model side of ``factory serve``: one transformers model (+ merged LoRA), batched generate.

    >>> from factory.serve_engine import LocalModel
    >>> lm = LocalModel("smollm2-135m-instruct")
    >>> jobs = lm.jobs(lm.encode_chat([{"role": "user", "content": "Hi"}]), max_tokens=8, temperature=0.0, top_p=1.0,
    ...                seed=None, stop=(), n=1, top_logprobs=None, stream=False, loop=False)
    >>> lm.generate(jobs)[0].text

Decoding matches ``teachers.hf_local`` (same chat rendering, left padding, greedy settings, EOS and
stop-string handling), so greedy output through the server equals ``HFLocalTeacher`` output.
Logprobs are computed from the raw logits (``output_logits``), i.e. the model's distribution before
temperature/top_p, which is what OpenAI and vLLM report and what soft-label KD wants.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from ground.conversation import apply_template

log = logging.getLogger(__name__)


@dataclass
class Choice:
    ids: list[int]  # generated ids actually used (after EOS/stop/max_tokens cut)
    text: str
    finish_reason: str  # "stop" | "length"
    #: per used token: (chosen id, its logprob, [(id, logprob), ...] top-k); None unless asked
    logprobs: list[tuple[int, float, list[tuple[int, float]]]] | None = None

    @property
    def tokens(self) -> int:
        return len(self.ids)


@dataclass(eq=False)
class Job:
    """One choice to generate: a request with ``n=3`` is three jobs."""

    prompt_ids: list[int]
    max_tokens: int
    temperature: float
    top_p: float
    seed: int | None
    stop: tuple[str, ...]
    top_logprobs: int | None  # None: no logprobs; 0: the chosen token's only
    future: Any = None  # asyncio.Future resolved with a Choice
    stream: asyncio.Queue | None = None  # generated ids as they come, then None
    loop: Any = None
    group: int = field(default=0)  # jobs of one seeded request share a group
    #: set when nobody waits for this choice any more (its client went away): its row stops at the next token
    cancelled: bool = False

    def batch_key(self) -> tuple:
        """Jobs with equal keys may share one generate call (see the serve module docstring)."""
        if self.temperature == 0:
            return ("greedy",)
        return ("sample", self.temperature, self.top_p, self.seed, self.group if self.seed is not None else 0)


class _BatchStreamer:
    """transformers streamer for a whole batch: row b's new token goes to job b's queue, on the job's loop."""

    def __init__(self, jobs: list[Job]):
        self.jobs, self.first = jobs, True

    def put(self, value) -> None:
        if self.first:  # generate() first hands over the prompt ids
            self.first = False
            return
        for j, tok in zip(self.jobs, value.reshape(-1).tolist()):
            if j.stream is not None:
                j.loop.call_soon_threadsafe(j.stream.put_nowait, int(tok))

    def end(self) -> None:
        pass


def _cancel_criteria(jobs: list[Job]):
    """A stopping criterion that ends the rows of cancelled jobs (the call ends when every row has ended)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Cancelled(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return torch.tensor([j.cancelled for j in jobs], dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([Cancelled()])


def check_adapter(adapter: str) -> None:
    """Fail fast (before any model loads) on a directory that is not a PEFT adapter."""
    from pathlib import Path

    from ground.errors import FactoryError

    if not (Path(adapter) / "adapter_config.json").is_file():
        raise FactoryError(f"--adapter {adapter}: not a PEFT adapter directory (no adapter_config.json)")


class LocalModel:
    def __init__(self, model: str, adapter: str | None = None, device: str = "cpu", threads: int | None = None):
        import torch

        from ground.models import load_causal_lm

        if threads:
            torch.set_num_threads(int(threads))
        self.device = device
        self.model, self.tok = load_causal_lm(model, device=device)
        if adapter:
            self.model = self._merge_adapter(adapter)
        self.tok.padding_side = "left"
        eos = self.model.generation_config.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos]) | {self.tok.eos_token_id, self.tok.pad_token_id}
        self.eos.discard(None)
        self.max_len = int(getattr(self.model.config, "max_position_embeddings", 0) or 0) or None
        self.vocab_size = int(self.model.get_input_embeddings().num_embeddings)
        self._groups = 0

    def _merge_adapter(self, adapter: str):
        check_adapter(adapter)
        from peft import PeftModel

        log.info("merging LoRA adapter %s", adapter)
        # merged once: no per-token LoRA matmuls at serve time
        return PeftModel.from_pretrained(self.model, adapter).merge_and_unload().eval()

    # ------------------------------------------------------------ prompts
    def encode_chat(self, messages: list[dict]) -> list[int]:
        text = apply_template(self.tok, messages, tokenize=False, add_generation_prompt=True)
        return self.tok(text, add_special_tokens=False)["input_ids"]

    def encode_text(self, prompt: str) -> list[int]:
        return self.tok(prompt, add_special_tokens=True)["input_ids"]

    def jobs(self, prompt_ids: list[int], max_tokens: int, temperature: float, top_p: float, seed: int | None,
             stop: tuple[str, ...], n: int, top_logprobs: int | None, stream: bool = False, loop: Any = None) -> list[Job]:
        if self.max_len and len(prompt_ids) + max_tokens > self.max_len:
            raise ValueError(f"This model's maximum context length is {self.max_len} tokens; the prompt has "
                             f"{len(prompt_ids)} and max_tokens is {max_tokens}")
        if loop is None:
            loop = asyncio.get_running_loop()
        self._groups += 1
        return [Job(prompt_ids, max_tokens, temperature, top_p, seed, stop, top_logprobs,
                    future=loop.create_future() if loop else None, stream=asyncio.Queue() if stream else None,
                    loop=loop or None, group=self._groups) for _ in range(n)]

    # ------------------------------------------------------------ generation (worker thread)
    def generate(self, jobs: list[Job]) -> list[Choice]:
        """One ``model.generate`` call for jobs that share a batch key."""
        import torch

        p = jobs[0]
        width = max(len(j.prompt_ids) for j in jobs)
        pad = self.tok.pad_token_id
        ids = torch.tensor([[pad] * (width - len(j.prompt_ids)) + j.prompt_ids for j in jobs], device=self.device)
        mask = torch.tensor([[0] * (width - len(j.prompt_ids)) + [1] * len(j.prompt_ids) for j in jobs], device=self.device)
        kw: dict[str, Any] = dict(max_new_tokens=max(j.max_tokens for j in jobs), pad_token_id=pad)
        if p.temperature > 0:
            kw.update(do_sample=True, temperature=p.temperature, top_p=p.top_p, top_k=None)
            if p.seed is not None:
                torch.manual_seed(p.seed)
        else:
            kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        want_lp = any(j.top_logprobs is not None for j in jobs)
        if want_lp:
            kw.update(output_logits=True, return_dict_in_generate=True)
        if any(j.stream is not None for j in jobs):
            kw["streamer"] = _BatchStreamer(jobs)
        kw["stopping_criteria"] = _cancel_criteria(jobs)
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=mask, **kw)
        seqs = out.sequences if want_lp else out
        gen = seqs[:, width:].tolist()
        return [self._finish(j, gen[b], [lg[b] for lg in out.logits] if want_lp and j.top_logprobs is not None else None)
                for b, j in enumerate(jobs)]

    def _cut(self, ids: list[int], max_tokens: int, stop: tuple[str, ...]) -> tuple[int, str, str]:
        """(tokens used, text, finish_reason) for generated ``ids``: EOS, then stop strings, then max_tokens."""
        ids = ids[:max_tokens]
        n = next((k for k, t in enumerate(ids) if t in self.eos), len(ids))
        finish = "stop" if n < len(ids) else "length"
        text = self.tok.decode(ids[:n], skip_special_tokens=True)
        hits = [text.find(s) for s in stop if s in text]
        if hits:
            # fewest tokens whose text already holds a stop string: prefixes only grow, so bisect
            lo, hi = 1, n
            while lo < hi:
                mid = (lo + hi) // 2
                if any(s in self.tok.decode(ids[:mid], skip_special_tokens=True) for s in stop):
                    hi = mid
                else:
                    lo = mid + 1
            n, text, finish = lo, text[: min(hits)], "stop"
        return n, text, finish

    def _finish(self, j: Job, ids: list[int], logits: list | None) -> Choice:
        import torch

        n, text, finish = self._cut(ids, j.max_tokens, j.stop)
        lps = None
        if logits is not None:
            lps = []
            for t in range(n):
                lp = torch.log_softmax(logits[t].float(), dim=-1)
                top = []
                if j.top_logprobs:
                    v, ix = lp.topk(j.top_logprobs)
                    top = list(zip(ix.tolist(), v.tolist()))
                lps.append((ids[t], float(lp[ids[t]]), top))
        return Choice(ids[:n], text, finish, lps)

    def prompt_logprobs(self, ids: list[int], top: int) -> list[tuple[int, float | None, list[tuple[int, float]]]]:
        """Per prompt token: (id, its logprob given the tokens before it, top-k there); the first token has none.
        One forward pass (completions with echo=true: lm-evaluation-harness's loglikelihood requests)."""
        import torch

        with torch.inference_mode():
            logits = self.model(input_ids=torch.tensor([ids], device=self.device)).logits[0].float()
        lp = torch.log_softmax(logits, dim=-1)
        out: list[tuple[int, float | None, list[tuple[int, float]]]] = [(ids[0], None, [])]
        for t in range(1, len(ids)):
            k = []
            if top:
                v, ix = lp[t - 1].topk(top)
                k = list(zip(ix.tolist(), v.tolist()))
            out.append((ids[t], float(lp[t - 1, ids[t]]), k))
        return out

    def visible_text(self, ids: list[int], stop: tuple[str, ...]) -> str:
        """Text safe to stream so far: cut at EOS/stop; hold back a partial UTF-8 char or a possible stop prefix."""
        _, text, _ = self._cut(ids, len(ids), stop)
        if any(s in self.tok.decode(ids, skip_special_tokens=True) for s in stop):
            return text
        text = text.rstrip("\ufffd")
        hold = max((k for s in stop for k in range(1, len(s)) if text.endswith(s[:k])), default=0)
        return text[: len(text) - hold]

    # ------------------------------------------------------------ OpenAI logprob formats
    def _piece(self, tid: int) -> str:
        return self.tok.decode([tid])

    def chat_logprobs(self, c: Choice) -> list[dict]:
        def entry(tid: int, lp: float) -> dict:
            s = self._piece(tid)
            return {"token": s, "logprob": lp, "bytes": list(s.encode("utf-8"))}

        return [{**entry(tid, lp), "top_logprobs": [entry(a, b) for a, b in top]} for tid, lp, top in (c.logprobs or [])]

    def completion_logprobs(self, c: Choice) -> dict:
        toks = [self._piece(tid) for tid, _, _ in c.logprobs or []]
        offsets, pos = [], 0
        for s in toks:
            offsets.append(pos)
            pos += len(s)
        return {"tokens": toks, "token_logprobs": [lp for _, lp, _ in c.logprobs or []],
                "top_logprobs": [None if lp is None else {self._piece(a): b for a, b in top} for _, lp, top in c.logprobs or []],
                "text_offset": offsets}
