"""``hf_local``: transformers on CPU (the embedded default) or one local GPU.

    >>> from teachers.hf_local import HFLocalTeacher
    >>> from teachers.base import GenRequest, SamplingParams
    >>> t = HFLocalTeacher(name="tiny", model="smollm2-135m-instruct")
    >>> [r.text for r in t.generate([GenRequest("k", [{"role": "user", "content": "Say hi"}], SamplingParams(max_tokens=8))])]

Batching: requests are grouped by identical sampling params, sorted by prompt length (so a batch
pads little), left-padded, and run through ``model.generate`` ``batch_size`` at a time. The model
loads once per instance, i.e. once per Ray actor. Each row samples from its own random stream seeded by
its request's seed (``sampling.seed * 1000 + sample_index``, teachers/step.py) through
:class:`teachers.row_sampling.RowSeededSampler`, so a sample's text depends on its prompt and seed, not on
which rows share its batch nor on ``batch_size``: an adaptive run (``until``) gets the same samples as the
first sample indices of a fixed-n run (issue #12). Greedy decoding (temperature 0) stays plain greedy.

Top-k logprobs (``SamplingParams.top_logprobs``) are the raw model distribution at temperature 1:
``log_softmax`` of the logits as the model emits them (``output_logits``), never of the scores after
the temperature / top-p warpers (``output_scores``), which are sharpened and truncated to ``-inf``
and would teach a KD student a distribution the teacher does not have (issue #13).

Tools. A prompt whose system message carries a tool catalogue (``tools``, ground/conversation.py) is
rendered with ``apply_chat_template(messages, tools=...)``; ``chat_template`` (Jinja text; a recipe names
a file, which :func:`teachers.step.teacher_cfg` reads) replaces the model's own template, e.g.
recipes/templates/smollm2_tools.jinja for SmolLM2, whose template ignores ``tools``. A reply to such a
prompt that holds ``<tool_call>{json}</tool_call>`` blocks becomes a trace (the JSON list of one assistant
message with OpenAI ``tool_calls``), the same shape the tool_agent engine stores.

Few-shot (context distillation): ``few_shot`` is a list of demonstration messages (a recipe names a
JSON file) placed after the system message of every prompt this engine renders. The row keeps the prompt
without them, so a student trained on the rows learns to answer as if it had seen them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from pydantic import Field

from ground.config import Config
from teachers.base import GenRequest, GenResult, SamplingParams, Teacher, logprobs_meta
from teachers.reasoning import split_reasoning

log = logging.getLogger(__name__)


class HFLocalOptions(Config):
    batch_size: int = Field(16, gt=0, le=4096, description="prompts per model.generate call (default: teacher.batch_size)")
    device: str | None = Field(None, description="torch device: cpu, cuda, cuda:1, mps; null = cuda when this process holds "
                                                 "a Ray GPU (teacher.num_gpus) and torch sees one, else cpu")
    threads: int | None = Field(None, gt=0, description="torch CPU threads; null = torch's default")
    max_model_len: int | None = Field(None, gt=0, description="context length (prompt + max_tokens); null = the model's own "
                                                              "(max_position_embeddings); a longer row is rejected, not run")
    adapter: str | None = Field(None, description="LoRA adapter directory merged into the model (a trained student)")
    chat_template: str | None = Field(None, description="Jinja chat template file (relative to the recipe) that replaces the "
                                      "model's own, e.g. templates/smollm2_tools.jinja (SmolLM2's own template ignores tools)")
    few_shot: str | list[dict] | None = Field(None, description="JSON file of demonstration messages placed after the system "
                                              "message of every prompt this engine renders; rows keep the prompt without them")


class HFLocalTeacher(Teacher):
    engine = "hf_local"
    Options = HFLocalOptions
    can_score = True
    scorer_options = frozenset({"threads", "batch_size"})
    scores_full_distribution = True
    # top-k logprobs were taken after the sampling warpers before issue #13: those cache entries are stale
    logprobs_cache_version = "request-v2-rawlp"

    def __init__(self, name: str, model: str, **options: Any):
        super().__init__(name, model, **options)
        self.chat_template = self.options.chat_template
        self.few_shot = [dict(m) for m in self.options.few_shot or []]
        import torch

        from ground.models import load_causal_lm

        threads, adapter = self.options.threads, self.options.adapter
        if threads:
            torch.set_num_threads(int(threads))
        self.batch_size = int(self.options.batch_size)
        self.device = device = self.options.device or default_device()
        self._model, self._tok = load_causal_lm(model, device=device)
        if adapter:  # a trained LoRA student: base weights + adapter, merged for fast generation
            from peft import PeftModel

            self._model = PeftModel.from_pretrained(self._model, adapter).merge_and_unload()
            self._model.eval()
        self._tok.padding_side = "left"
        own = getattr(self._model.config, "max_position_embeddings", None)
        self.max_model_len = int(self.options.max_model_len or own or 0) or None

    @classmethod
    def check_model(cls, model: str) -> str | None:
        from ground.models import is_known_model

        return None if is_known_model(model) else f"unknown model {model!r}: not bundled and not a local HF directory"

    @classmethod
    def with_batch_size(cls, options: dict, batch_size: int, override: bool = False) -> dict:
        return {**options, "batch_size": batch_size} if override else {"batch_size": batch_size, **options}

    @classmethod
    def make_scorer(cls, model: str, student_tok: Any, student: str, device: Any, options: dict, inherited: bool):
        from teachers.scorers import HFScorer, pick_options

        opts = pick_options(options, cls.scorer_options, inherited, cls.engine)
        return HFScorer(model, student_tok, student, device=device, **opts)

    @classmethod
    def resolve_options(cls, options: dict, base_dir: str | None) -> dict:
        """``chat_template`` (a Jinja file) travels as its text, ``few_shot`` (a JSON file) as its messages."""
        from teachers.step import read_few_shot, read_template

        opts = dict(options)
        if opts.get("chat_template"):
            opts["chat_template"] = read_template(opts["chat_template"], base_dir)
        if isinstance(opts.get("few_shot"), str):
            opts["few_shot"] = read_few_shot(opts["few_shot"], base_dir)
        return opts

    @classmethod
    def cache_options(cls, options: dict) -> dict:
        """The chat template text, the few-shot turns and the adapter change the answers (request-cache key)."""
        return {k: options[k] for k in ("chat_template", "few_shot", "adapter") if options.get(k)}

    def _render(self, messages: list[dict]) -> tuple[str, bool]:
        """(prompt text, whether the prompt carried a tool catalogue)."""
        from ground.conversation import apply_template, split_tools

        msgs, tools = split_tools(messages)
        if self.few_shot:  # demonstration turns after the system message; the row's prompt stays without them
            head = 1 if msgs and msgs[0].get("role") == "system" else 0
            msgs = msgs[:head] + self.few_shot + msgs[head:]
        # a template without a system role (Gemma): the system prompt leads the user turn
        text = apply_template(self._tok, msgs, tools=tools, chat_template=self.chat_template, tokenize=False,
                              add_generation_prompt=True)
        return text, bool(tools)

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        results: list[GenResult | None] = [None] * len(requests)
        prompts, with_tools = [], set()
        for i, r in enumerate(requests):
            try:
                text, tools = self._render(r.messages)
                prompts.append((i, text))
                if tools:
                    with_tools.add(i)
            except Exception as e:  # a malformed message list fails this row only
                results[i] = GenResult(finish_reason="error", error=f"chat template failed: {e}"[:300])
        from teachers.row_sampling import row_seed

        # batch across seeds: rows that differ only in seed share a generate call, each row with its own stream
        groups: dict[SamplingParams, list[tuple[int, str]]] = {}
        for i, p in prompts:
            groups.setdefault(dataclasses.replace(requests[i].params, seed=0), []).append((i, p))
        for params, items in groups.items():
            lens = {i: len(self._tok(p, add_special_tokens=False)["input_ids"]) for i, p in items}
            if self.max_model_len:  # past the context the model computes garbage, slowly: such a row is refused alone
                for i, _ in items:
                    if lens[i] + params.max_tokens > self.max_model_len:
                        results[i] = GenResult(finish_reason="error", tokens_in=lens[i], error=(
                            f"prompt too long for the model: {lens[i]} tokens + max_tokens {params.max_tokens} > "
                            f"context {self.max_model_len}"))
                items = [x for x in items if results[x[0]] is None]
            items.sort(key=lambda x: lens[x[0]])
            for s in range(0, len(items), self.batch_size):
                chunk = items[s : s + self.batch_size]
                try:
                    seeds = [row_seed(requests[i].params.seed, p) for i, p in chunk]
                    outs = self._generate_batch([p for _, p in chunk], params, seeds)
                except Exception as e:  # e.g. OOM on one batch: report per row, keep going
                    log.exception("hf_local batch failed")
                    outs = [GenResult(finish_reason="error", error=f"generation failed: {type(e).__name__}: {e}"[:300])] * len(chunk)
                for (i, _), o in zip(chunk, outs):
                    results[i] = as_trace(o) if i in with_tools else o
        return results  # type: ignore[return-value]

    def _generate_batch(self, prompts: list[str], p: SamplingParams, seeds: list[int]) -> list[GenResult]:
        import torch
        from transformers import LogitsProcessorList

        from teachers.row_sampling import RowSeededSampler

        t0 = time.perf_counter()
        enc = self._tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        # generate decodes greedily; when sampling, RowSeededSampler has already drawn each row's token
        kw: dict[str, Any] = dict(max_new_tokens=p.max_tokens, pad_token_id=self._tok.pad_token_id,
                                  do_sample=False, temperature=None, top_p=None, top_k=None)
        if p.temperature > 0:
            kw["logits_processor"] = LogitsProcessorList([RowSeededSampler(seeds, p.temperature, p.top_p)])
        if p.top_logprobs:  # raw logits, before any warper: see the module docstring
            kw.update(output_logits=True, return_dict_in_generate=True)
        with torch.inference_mode():
            out = self._model.generate(**enc, **kw)
        seqs = out.sequences if p.top_logprobs else out
        gen = seqs[:, enc["input_ids"].shape[1]:]
        dt = time.perf_counter() - t0
        eos = {self._tok.eos_token_id, self._tok.pad_token_id}
        results = []
        for b in range(len(prompts)):
            ids = gen[b].tolist()
            n = len(ids)
            while n and ids[n - 1] in eos:
                n -= 1
            finished = n < len(ids)
            text = self._tok.decode(ids[:n], skip_special_tokens=True)
            for s in p.stop:
                if s in text:
                    text, finished = text.split(s, 1)[0], True
            reasoning, text = split_reasoning(text)
            topk = raw_topk([out.logits[t][b] for t in range(n)], p.top_logprobs) if p.top_logprobs else None
            results.append(GenResult(
                text=text, reasoning=reasoning, finish_reason="stop" if finished else "length",
                tokens_in=int(enc["attention_mask"][b].sum()), tokens_out=n, seconds=dt / len(prompts),
                top_logprobs=topk, logprobs_meta=logprobs_meta(self.engine, p, True, "id") if topk is not None else None,
            ))
        return results


def default_device() -> str:
    """``cuda`` when Ray gave this process a GPU (an actor or task with ``num_gpus``; Ray made it the only one visible)
    and torch sees it, else ``cpu``. Was: always cpu, so a teacher with ``num_gpus: 1`` and no ``options.device``
    generated on the CPU beside the GPU its actor held (as the eval's base and student did before it set cuda)."""
    import torch

    try:
        import ray

        held = ray.is_initialized() and bool(ray.get_gpu_ids())
    except Exception:  # noqa: BLE001 - no Ray here: nothing reserved
        held = False
    return "cuda" if held and torch.cuda.is_available() else "cpu"


def as_trace(res: GenResult) -> GenResult:
    """A reply with ``<tool_call>`` blocks -> its text as a one-turn trace (assistant message with tool_calls)."""
    import json

    from teachers.tool_loop import _normalise, parse_tool_calls_text

    if res.error or "<tool_call>" not in (res.text or ""):
        return res
    msg = _normalise(parse_tool_calls_text(res.text), 0)
    return dataclasses.replace(res, text=json.dumps([msg], ensure_ascii=False))


def raw_topk(logits: list, k: int) -> list[list]:
    """Per position, the ``k`` best ``[token_id, logprob]`` of ``log_softmax(logits)`` (fp32, 4 decimals).

    >>> import torch
    >>> raw_topk([torch.tensor([0.0, 1.0, 2.0])], 2)
    [[[2, -0.4076], [1, -1.4076]]]
    """
    import torch

    out = []
    for row in logits:
        v, ix = torch.log_softmax(row.float(), dim=-1).topk(k)
        out.append([[int(a), round(float(c), 4)] for a, c in zip(ix.tolist(), v.tolist())])
    return out
