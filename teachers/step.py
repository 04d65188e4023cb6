"""Generation as a batch step: rows in, the same rows out with the teacher's answers (in process or on a Ray actor).

    >>> from teachers.step import GenerateStep
    >>> gen = GenerateStep(teacher_cfgs, cache_uri="runs/_cache/requests")
    >>> rows = gen(rows)                         # a list of Sample rows (ground.record)

Rows whose completion came from the request cache (``cache_hit``) or that an earlier stage
rejected pass through untouched. A request that fails after the engine's retries rejects its row
at stage ``generate`` with the engine's error as reason.
"""

from __future__ import annotations

import copy
import json
import logging

from ground.record import reject
from ground.step import Step
from teachers.base import GenRequest, GenResult, SamplingParams, native_trace, plain_options
from teachers.cache import RequestCache
from teachers.registry import make_teacher, teacher_class

log = logging.getLogger(__name__)


def teacher_cfg(t, base_dir: str | None = None, actors: int | None = None) -> dict:
    """A recipe teacher section -> the plain dict a :class:`GenerateStep` is built from (pickles small).
    Option files the engine reads (e.g. hf_local's ``chat_template``) travel as their content (relative to
    ``base_dir``, the recipe's directory). ``actors``: how many engine actors may build this teacher and share
    its limits (default: its own replicas; a fallback teacher is built in every generation actor of the run)."""
    cls = teacher_class(t.engine)
    opts = cls.resolve_options(cls.with_batch_size(plain_options(t.options), t.batch_size), base_dir)
    if actors is None:
        actors = pool_actors(t)
    opts = cls.per_actor(opts, actors)  # each engine actor builds its own engine (and its own rate limiter)
    return dict(engine=t.engine, name=t.name, model=t.model, options=opts, sampling=t.sampling.model_dump(),
                prices=t.prices.model_dump(), num_gpus=t.num_gpus)


def pool_actors(t) -> int:
    """The most engine actors a recipe teacher's own pool runs (``replicas``, up to ``max_replicas``)."""
    return max(getattr(t, "replicas", 1), getattr(t, "max_replicas", None) or 1)


def read_template(path: str, base_dir: str | None, key: str = "chat_template") -> str:
    """The text of a Jinja chat template (or other option) file; one clear error naming it when it is missing."""
    from pathlib import Path

    from ground.errors import FactoryError

    p = Path(base_dir or ".") / path
    if not p.is_file():
        raise FactoryError(f"teacher.options.{key}: {p} is not a file")
    return p.read_text(encoding="utf-8")


def read_few_shot(path: str, base_dir: str | None) -> list[dict]:
    """A JSON file holding a list of chat messages (demonstration turns); one clear error when it is not."""
    import json

    from ground.errors import FactoryError

    try:
        msgs = json.loads(read_template(path, base_dir, "few_shot"))
    except json.JSONDecodeError as e:
        raise FactoryError(f"teacher.options.few_shot: {path}: not JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(msgs, list) or not all(isinstance(m, dict) and m.get("role") for m in msgs):
        raise FactoryError(f"teacher.options.few_shot: {path}: not a list of chat messages with a role")
    return msgs


def routed_to(row: dict, names, default: str) -> str:
    """The teacher that generates ``row``: its ``teacher`` column when that names a configured teacher, else the default."""
    return row["teacher"] if row["teacher"] in names else default


def sampling_params(sampling: dict, sample_index: int) -> SamplingParams:
    d = dict(sampling)
    d["stop"] = tuple(d.get("stop") or ())
    if d.pop("greedy_first", False) and int(sample_index) == 0:
        d["temperature"] = 0.0
    # each sample index gets its own seed so n samples of one prompt differ when sampling
    d["seed"] = int(d.get("seed", 0)) * 1000 + int(sample_index)
    return SamplingParams(**d)


def apply_result(row: dict, res: GenResult, prices: dict, cache_hit: bool = False, num_gpus: float = 0.0) -> dict:
    """Write a generation result into its row. The row's ``cost`` is the API price of its tokens
    (or the engine's own figure) plus, for self-hosted engines, its share of GPU time:
    ``gen_seconds * num_gpus * gpu_hour / 3600`` (``gen_seconds`` is the row's share of its batch's wall time).

    A ``cache_hit`` row keeps the price of its answer, i.e. what the call cost when it was made (``prices`` and
    ``num_gpus``: its teacher's), so that the rows' costs add up to the cost of the corpus however many invocations
    and shared caches produced it; what an invocation paid is counted apart (rows with ``cache_hit`` false, see
    :func:`factory.stats.paid_of`). A stored ``cost`` (an engine's own figure, or a processor row's full price) is
    taken as it is; ``gen_seconds`` stays 0 (no engine time was spent on the row in this run)."""
    row.update(
        completion=res.text, reasoning=res.reasoning, finish_reason=res.finish_reason,
        tokens_in=res.tokens_in, tokens_out=res.tokens_out, gen_seconds=0.0 if cache_hit else res.seconds,
        cache_hit=cache_hit,
        teacher_topk=json.dumps(res.top_logprobs) if res.top_logprobs else None,
        teacher_topk_meta=json.dumps(res.logprobs_meta) if res.top_logprobs and res.logprobs_meta else None,
    )
    # answers refused before this one (openai_compat's retry_on_finish_reasons) were paid for too
    retry_in, retry_out = (res.extra or {}).get("retry_tokens") or (0, 0)
    cost = res.cost or ((res.tokens_in + retry_in) * prices.get("input_per_mtok", 0.0)
                        + (res.tokens_out + retry_out) * prices.get("output_per_mtok", 0.0)) / 1e6
    if not (cache_hit and res.cost):  # a cached figure is the answer's whole price already (vllm processor rows)
        cost += (res.seconds or 0.0) * num_gpus * prices.get("gpu_hour", 0.0) / 3600.0
    row["cost"] = cost
    if res.extra and res.extra.get("messages"):  # engines that rewrite the prompt (tool catalogue attached)
        row["messages"] = json.dumps(res.extra["messages"], ensure_ascii=False)
    if res.error:
        row["completion"] = None
        reject(row, "generate", res.error)
    elif not (res.text or "").strip():  # nothing to verify or train on: a refusal, a content filter, all reasoning
        reject(row, "generate", f"empty completion (finish_reason {res.finish_reason!r}"
                                + (", the reasoning was cut off)" if res.reasoning and res.finish_reason == "length" else ")"))
    elif res.finish_reason == "content_filter":  # Azure, OpenAI, Gemini: what was written before the filter stopped it
        reject(row, "generate", "cut off by the provider's content filter (finish_reason 'content_filter')")
    return row


class GenerateStep(Step):
    """Generate with the row's teacher (``teacher`` column); rows it fails go to the fallback teacher if any.

    ``teacher_cfgs`` is one teacher config or ``{name: config}`` for routed recipes. Engines load lazily,
    once per step instance (i.e. per Ray actor), only for the teachers its batches need.
    """

    name = "generate"
    requires = ("messages", "request_key", "sample_index", "teacher")
    produces = ("completion", "reasoning", "finish_reason", "tokens_in", "tokens_out", "gen_seconds", "cost")

    def __init__(self, teacher_cfgs: dict, cache_uri: str | None, fallback: str | None = None):
        self.cfgs = {teacher_cfgs["name"]: teacher_cfgs} if "engine" in teacher_cfgs else dict(teacher_cfgs)
        self.default = next(iter(self.cfgs))
        self.fallback = fallback
        self.cache = RequestCache(cache_uri) if cache_uri else None
        self._teachers: dict = {}

    def teacher(self, name: str):
        if name not in self._teachers:
            c = self.cfgs[name]
            self._teachers[name] = make_teacher(c["engine"], c["name"], c["model"], **c.get("options", {}))
            if hasattr(self._teachers[name], "turn_cache") and self.cache is not None:  # tool_agent: turn journal
                self._teachers[name].turn_cache = RequestCache(self.cache.uri.rstrip("/") + "/turns")
        return self._teachers[name]

    def _run(self, name: str, rows: list[dict], keys: list[str]) -> tuple[list[GenResult], list[bool]]:
        """(one result per row, whether the row's answer is another row's): rows with the same request key (the
        same record twice in a batch, without an id to tell them apart) are asked once and share the answer, as a
        later batch would get it from the request cache; a copy is a cache hit, not a second paid call."""
        from ground.conversation import split_tools

        cfg = self.cfgs[name]
        native = teacher_class(cfg["engine"]).native_tools(cfg.get("options") or {})
        first: dict[str, int] = {}  # request key -> its request's index
        copies = []  # per row: another row asks its request
        reqs = []
        for r, k in zip(rows, keys):
            copies.append(k in first)
            if k in first:
                continue
            first[k] = len(reqs)
            msgs = json.loads(r["messages"])
            # an engine that takes tools natively gets the system message's catalogue as tools= (single turn)
            tools = split_tools(msgs)[1] if native else None
            reqs.append(GenRequest(k, msgs, sampling_params(cfg["sampling"], r["sample_index"]), r["sample_index"], tools=tools))
        results = self.teacher(name).generate(reqs)
        if len(results) != len(reqs):  # an engine bug must not silently misalign rows
            raise RuntimeError(f"engine {cfg['engine']} returned {len(results)} results for {len(reqs)} requests")
        # the reply's tool_calls become the row's trace, as tool_agent and hf_local store it (ground/conversation.py)
        results = [native_trace(res) if q.tools else res for q, res in zip(reqs, results)]
        if self.cache is not None:
            self.cache.put({q.key: res.to_dict() for q, res in zip(reqs, results)})
        return [copy.deepcopy(results[first[k]]) if c else results[first[k]] for k, c in zip(keys, copies)], copies

    def process(self, rows: list[dict]) -> list[dict]:
        todo = [r for r in rows if not r.get("cache_hit")]
        by_teacher: dict[str, list[dict]] = {}
        for r in todo:
            by_teacher.setdefault(routed_to(r, self.cfgs, self.default), []).append(r)
        for name, group in by_teacher.items():
            results, copies = self._run(name, group, [r["request_key"] for r in group])
            failed = []
            for r, res, c in zip(group, results, copies):
                if res.error and self.fallback and self.fallback != name:
                    failed.append((r, res.error))
                else:
                    apply_result(r, res, self.cfgs[name].get("prices", {}), cache_hit=c,
                                 num_gpus=self.cfgs[name].get("num_gpus", 0.0))
            if failed:
                self._fall_back([r for r, _ in failed], [e for _, e in failed])
        return rows

    def _fall_back(self, rows: list[dict], errors: list[str]) -> None:
        from teachers.cache import options_key, request_key

        fb = self.cfgs[self.fallback]
        keys = []
        for r in rows:
            params = sampling_params(fb["sampling"], r["sample_index"]).to_dict()
            keys.append(request_key(fb["engine"], fb["model"], json.loads(r["messages"]), params, r["sample_index"],
                                    options_key(fb["engine"], fb.get("options") or {})))
            r.update(teacher=fb["name"], engine=fb["engine"], model=fb["model"], params=json.dumps(params, sort_keys=True))
        results, copies = self._run(self.fallback, rows, keys)
        for r, k, res, c, first_error in zip(rows, keys, results, copies, errors):
            r["request_key"] = k
            if res.error:
                res.error = f"{res.error} (fallback {fb['name']} after: {first_error})"
            apply_result(r, res, fb.get("prices", {}), cache_hit=c, num_gpus=fb.get("num_gpus", 0.0))

    def close(self) -> None:
        for t in self._teachers.values():
            t.close()
