"""Benchmark decontamination: reject rows that overlap a protected benchmark.

Three tests, in this order:

1. **n-gram overlap** (default 13-gram, as in GPT-3, Brown et al. 2020, app. C): a row is
   contaminated if any ``ngram`` consecutive normalised word tokens of its text also occur in a
   benchmark item (its full text, or its problem statement alone). Benchmark items shorter than ``ngram``
   words (but at least ``min_item_tokens``) are matched as a whole: a row that contains one is flagged.
   Hashing is vectorised (rensa token hashes + numpy), so a 100k-row corpus takes seconds.
   **Exact copies** of any item, whatever its length: a row whose compared text (or its prompt, or one
   user turn) IS an item's text or problem statement after normalisation (case, spacing, punctuation,
   look-alikes) is flagged ``exact copy``. Items shorter than ``min_item_tokens`` are matched this way
   only, never by containment: a one-word item "Yes" flags a row that is "yes." but not every row that
   says yes. Arithmetic operators are tokens (``words(ops=True)``: + / = ^ between operands however spaced, * and **
   spaced alike or between numbers (not markdown's ``**bold**``, ``*italic*`` or bullets), a minus between numbers,
   after a letter ("x - 3") or as a sign ("-5"), not in "5-year-old"; × · ✕ ÷ ⁄ − – and LaTeX's \\times \\cdot
   \\div as * / -; an operator that opens a line between numbers is no bullet), so
   "What is 17 + 25?" is not a copy of the item "What is 17 * 25?" (was: the same words "what is 17 25"). A short
   text that computes what a short arithmetic item does ("Quick: what is 25 times 17?") is flagged
   ``near copy same arithmetic`` (:func:`curation.dedup.near_copy.arithmetic`).
   **Content-word n-grams** (``content_ngram``, default 9; 0 = off) for note-style copies: the same containment over
   the tokens that are not function words (:data:`CONTENT_STOP`: the, of, is, to, he, ...), both sides, counted where
   the n content words span >= ``ngram`` of the item's own words, as much of it as an n-gram ("Janet ducks lay 16
   eggs day. eats three breakfast every morning ..."; was: ~30% of such copies were caught by nothing). On GSM8K train
   it flags the same 4 rows the 13-gram does, all template siblings.
2. **masked n-gram overlap** (optional, ``masked=True``) for rewritten copies: numbers, names and units
   masked, then the overlap of 3-grams with an item's problem statement (``curation/dedup/masked.py``).
3. **template matching** for rewritten copies (other values, names, units, wording, order): masked-template
   features scored against each item's chance level (``curation/dedup/template_match.py``). On by default
   for the benchmarks calibrated for it (``gsm8k_test``) and for a custom benchmark whose problems are >= 90% one
   of theirs (the GSM8K test set from the user's own file, whole or in part); ``template: true`` turns it on for all,
   ``false`` off. Measured (bench/RESULTS.md): >= 99.7% of the rewrite styles it was fitted on, 86-96% of
   the harder ones, less on styles nobody tuned on. Its best candidate is the copied item for >= 99% of
   rewrites even when the score falls short (short items), so with a ``judge`` and ``template_judge_from``
   the near misses go to an LLM judge: the route for short rewritten items; the default needs no model. A judge
   answers 6 known pairs first (``judge_probe``) and is not used below 5 right, which the coverage's checks say.
4. **embedding similarity** (optional, ``embedding=True``) for paraphrases that share no long
   n-gram: the row's ``embedding_on`` text vs each benchmark item's problem statement, cosine >=
   ``embedding_threshold``; with ``embedding_confirm="masked"`` a candidate among the 3 nearest items
   must also share masked n-grams with it (cosine alone flags same-topic problems).

Every method also reads the decoded text of a row part in an encoding (base64, hex, a Caesar shift such as ROT13,
reversed characters or words, CamelCase run together: :mod:`curation.dedup.decoded`), as one more text of the row
(:func:`with_views`); a match names the reading (``prompt, rot-13``).

Benchmarks load with their coverage checked (``curation/dedup/benchmarks.py``): a partial copy raises
unless ``allow_partial``; :attr:`Decontaminate.coverage` and :func:`benchmark_coverage` say what was covered.

A rejected row's reason names the benchmark, the item and the matched span, e.g.
``contaminated: gsm8k_test#17 13-gram 'natalia sold clips to 48 of her friends ...'``;
:func:`contamination_report` turns a run's rows into counts per benchmark with examples.

    >>> from ground.record import new_sample
    >>> from curation.dedup.decontam import Decontaminate, DecontamConfig, contamination_report
    >>> q = "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning"
    >>> rows = [new_sample(stage="g", prompt_id="a", sample_index=0, messages=[{"role": "user", "content": q}]),
    ...         new_sample(stage="g", prompt_id="b", sample_index=0, messages=[{"role": "user", "content": "What is 2+2?"}])]
    >>> rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))(rows)
    >>> rows[0]["reject_reason"][:60], rows[1]["status"]
    ("contaminated: gsm8k_test#0 13-gram 'janet s ducks lay 16 egg", 'accepted')
    >>> contamination_report(rows)["per_benchmark"]["gsm8k_test"]["rows"]
    1
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from curation.dedup import (TEXT_CHOICES, Compared, DedupStepConfig, compare_field, every_turn_text, fold, ngram_hashes,
                            required_columns, role_turns, text_of, trace_turns, words)
from curation.dedup.benchmarks import Benchmark, BenchmarkSpec, load_benchmark
from curation.dedup.judge_confirm import DEFAULT_PROMPT, JudgeConfirm
from curation.dedup.decoded import FUNCTION_WORDS, decoded_views
from curation.dedup.masked import MaskedIndex
from curation.dedup.near_copy import arithmetic
from curation.dedup.template_match import MIN_TEMPLATE_ITEMS, THRESHOLD, TemplateIndex
from curation.embedder import Embedder
from ground.record import REJECTED, reject
from ground.step import Step

log = logging.getLogger(__name__)

#: a reject reason of :class:`Decontaminate`; an item id may hold spaces (an ``id_field`` value "Problem 12", a glob's
#: "my split.jsonl:0"): was ``\S+``, so such a row was left out of the counts and ``factory decontam`` died on an assert
REASON_RE = re.compile(r"^contaminated: (?P<bench>[^#\s]+)#(?P<item>.*?) (?P<method>\d+-gram|content \d+-gram|exact copy|near copy (?:c=[\d.]+|same arithmetic)|masked \d+-gram c=[\d.]+|template score=-?[\d.]+(?:\+judge)?|"
                       r"embedding cos=[\d.]+(?:\+masked c=[\d.]+|\+judge)?) '(?P<span>.*)'$", re.S)
CONFIRM_CHOICES = ("none", "masked", "llm")
FIELDS = "_decontam_fields"  # a ``factory decontam --field`` row's (field, text) parts, in the order joined


class DecontamConfig(DedupStepConfig):
    benchmarks: list[Any] = Field(default_factory=lambda: ["gsm8k_test"], min_length=1, description="benchmarks to protect: registry names, or {name, path, field, id_field} for a custom jsonl")
    on: Compared = compare_field("both", "row text checked by n-grams")
    ngram: int = Field(13, ge=3, le=64, description="n-gram length in normalised words")
    content_ngram: int = Field(9, ge=0, le=64, description="n-gram length over content words (function words such as the, of, is, to dropped on both sides: note-style copies), counted where it spans >= ngram words of the item; 0 = off")
    min_item_tokens: int = Field(8, ge=1, le=10_000, description="benchmark items shorter than this many words are matched only as exact copies (a row that IS the item), not by containment (too generic)")
    span_chars: int = Field(60, ge=10, le=10_000, description="characters of the matched span quoted in the reason")
    embedding: bool = Field(False, description="also catch paraphrases by embedding similarity")
    embedding_on: Compared = Field("prompt", description=f"row text compared by embedding: one of {list(TEXT_CHOICES)}")
    embedding_threshold: float = Field(0.9, ge=-1.0, le=1.0, description="cosine at or above which a row is a paraphrase of an item")
    model: str = Field("all-MiniLM-L6-v2", description="embedder name or path ('all-MiniLM-L6-v2' = the bundled copy)")
    batch_size: int = Field(64, ge=1, le=1 << 16, description="texts per embedding forward pass")
    device: str = Field("cpu", description="torch device for the embedder")
    embedding_confirm: Literal[CONFIRM_CHOICES] = Field("none", description=f"second check of embedding candidates: one of {CONFIRM_CHOICES} ('masked': (cos + 2 * (masked overlap - short-item penalty)) / 3 >= confirm_threshold, over the 3 nearest items)")
    judge: dict[str, Any] | None = Field(None, description="embedding_confirm 'llm' or template_judge_from: the judge model {engine, model, options, sampling} (verifiers.llm.LLMConfig); an unanswered embedding candidate falls back to the masked check, an unanswered template candidate is not flagged")
    judge_prompt: str = Field(DEFAULT_PROMPT, description="embedding_confirm 'llm': prompt file with {item} and {text}")
    confirm_threshold: float = Field(0.38, ge=0.0, le=1.0, description="score that confirms an embedding candidate (see embedding_confirm)")
    masked: bool = Field(False, description="also catch rewrites (other numbers, names, units, wording) by masked n-grams (curation.dedup.masked)")
    masked_ngram: int = Field(3, ge=2, le=16, description="n-gram length over masked tokens")
    masked_threshold: float = Field(0.2, ge=0.0, le=1.0, description="masked overlap (mean containment, curation.dedup.masked) at which a row is contaminated, plus the short-item penalty")
    masked_short_penalty: float = Field(0.5, ge=0.0, le=10.0, description="k: an item with g counted masked n-grams needs k / sqrt(g) more overlap (short items match same-topic problems by chance)")
    masked_max_df: int = Field(3, ge=1, le=1 << 20, description="masked n-grams found in more benchmark items than this are too generic to count")
    template: bool | None = Field(None, description="catch rewritten copies by template matching (curation.dedup.template_match): null = on for the benchmarks calibrated for it (gsm8k_test) and custom copies of them (>= 90% of their problems), true = every benchmark, false = off; needs >= 50 items in all")
    template_threshold: float = Field(THRESHOLD, ge=-100.0, le=100.0, description="template-match score at which a row is a rewritten copy (calibrated by bench/calibrate_template.py; higher = fewer flags, fewer rewrites caught)")
    template_judge_from: float | None = Field(None, ge=-100.0, le=100.0, description="with a judge: rows whose best template score is in [this, template_threshold) go to the judge with that item, and a YES flags them (short rewritten items; -2 sends ~3% of GSM8K train rows, see bench/RESULTS.md round 6)")
    judge_probe: bool = Field(True, description="with a judge: ask it first about 6 known pairs (3 benchmark problems with other numbers, each against itself and "
                              "another problem); a judge that gets fewer than 5 right is not used (near misses stay below the threshold, embedding candidates "
                              "take the masked check), said loudly in the log and the coverage's checks")
    allow_partial: bool = Field(False, description="accept a benchmark copy smaller than (or different from) its declared size and hash; reported loudly")

    @field_validator("benchmarks")
    @classmethod
    def _specs(cls, v: list) -> list:
        specs = [BenchmarkSpec.parse(b) for b in v]
        names = [b.name for b in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"benchmarks has duplicate names: {names}")
        return specs

    @model_validator(mode="after")
    def _judge(self) -> "DecontamConfig":
        if (self.embedding_confirm == "llm" or self.template_judge_from is not None) != (self.judge is not None):
            raise ValueError("judge is required with embedding_confirm: llm or template_judge_from, and used only with them")
        return self


def reasoning_text(row: dict) -> str:
    """The teacher's reasoning kept with a row: its ``reasoning`` column (the <think> span) and, for a tool-use trace,
    each assistant turn's ``reasoning_content``."""
    parts = [row.get("reasoning") or ""] + [str(t.get("reasoning_content") or "") for t in trace_turns(row) or []]
    return "\n".join(p for p in parts if p)


def side_text(row: dict, side: str) -> str:
    """The text decontamination reads as ``side`` (prompt, completion or both): the prompt is every turn of the row's
    messages, whatever its role (:func:`curation.dedup.every_turn_text`), not the user turns near-duplicate steps
    compare: a benchmark item in a system prompt or a few-shot answer is trained on as much as in a question."""
    if side == "prompt":
        return "\n".join(every_turn_text(row))
    if side == "both":
        return side_text(row, "prompt") + "\n\n" + text_of(row, "completion")
    return text_of(row, side)


def checked_parts(row: dict, on: str) -> list[tuple[str, str]]:
    """(label, text) of what the n-gram check reads, joined by blank lines: :func:`text_of`'s prompt and/or completion
    and, unless ``on`` is prompt, the reasoning. Was the completion without it: a teacher that recited a benchmark
    item while thinking kept it in the reasoning column, exported and trained on, and no check read it."""
    parts = [("prompt", side_text(row, "prompt"))] if on in ("prompt", "both") else []
    if on in ("completion", "both"):
        parts.append(("completion", text_of(row, "completion")))
        reasoning = reasoning_text(row)
        if reasoning:
            parts.append(("reasoning", reasoning))
    return with_views(parts)


def with_views(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``parts`` and, after them, the decoded reading of each part that holds an encoded text (base64, hex, a Caesar
    shift, reversed, CamelCase run together: :func:`curation.dedup.decoded.decoded_views`), labelled ``prompt, base64``.
    Was none: a benchmark item sent in base64 or ROT13 was caught 0 of 200 times by every method."""
    return parts + [(f"{label}, {kind}", v) for label, t in parts for kind, v in decoded_views(t)]


def checked_text(row: dict, on: str) -> str:
    return "\n\n".join(t for _, t in checked_parts(row, on))


#: words a note-style copy drops ("Janet ducks lay 16 eggs day. eats three breakfast"): content n-grams leave them out
CONTENT_STOP = FUNCTION_WORDS | {"s", "am", "being", "may", "might", "must", "shall", "me", "us", "my", "mine", "so", "too",
                                 "very", "just", "also", "all", "some", "any", "into", "onto", "up", "out", "about", "per"}


def content_positions(toks: list[str]) -> list[int]:
    """Indices of the tokens that are not :data:`CONTENT_STOP` words (numbers, operators and content words)."""
    return [k for k, t in enumerate(toks) if t not in CONTENT_STOP]


def _content_grams(toks: list[str], n: int, span: int) -> list[list[str]]:
    """The content-word n-grams of ``toks`` that span at least ``span`` of its tokens."""
    at = content_positions(toks)
    return [[toks[p] for p in at[k : k + n]] for k in range(len(at) - n + 1) if at[k + n - 1] - at[k] + 1 >= span]


class NgramIndex:
    """Hashes of every n-gram of every benchmark item, by gram length, with the first owner of each."""

    def __init__(self, benches: list[Benchmark], n: int, min_tokens: int, content_span: int | None = None):
        """``content_span``: an index of content-word n-grams (:func:`content_words`), each one that spans at least this
        many of the item's own words (function words included): as much of the item as a plain n-gram of that length."""
        self.owner: dict[int, dict[int, tuple[str, str]]] = {}
        self.min_tokens, skipped = min_tokens, 0
        by_len: dict[int, list[tuple[list[str], tuple[str, str]]]] = {}
        for b in benches:
            for it in b.items:
                if content_span is not None:
                    for text in {it.text, it.prompt or it.text}:
                        by_len.setdefault(n, []).extend((g, (b.name, it.item_id)) for g in _content_grams(words(text, ops=True), n, content_span))
                    continue
                toks = words(it.text, ops=True)
                if len(toks) < min_tokens:
                    skipped += 1
                    continue
                by_len.setdefault(min(n, len(toks)), []).append((toks, (b.name, it.item_id)))
                ptoks = words(it.prompt, ops=True) if it.prompt and it.prompt != it.text else []
                if len(ptoks) >= min_tokens:  # the problem statement alone (a short question whose answer is long)
                    by_len.setdefault(min(n, len(ptoks)), []).append((ptoks, (b.name, it.item_id)))
        for glen, entries in by_len.items():
            flat, off = ngram_hashes([t for t, _ in entries], glen, short="skip")
            owners = self.owner.setdefault(glen, {})
            for k, (_, who) in enumerate(entries):
                for h in flat[off[k] : off[k + 1]].tolist():
                    owners.setdefault(h, who)
        self.sorted = {g: np.array(sorted(o), dtype=np.uint64) for g, o in self.owner.items()}
        self.skipped = skipped  # items too short for the n-gram check: exact copies only (factory decontam reports them)
        if skipped:
            log.warning("decontam: %d benchmark items shorter than %d words are matched as exact copies only", skipped, min_tokens)

    def find(self, token_lists: list[list[str]]) -> dict[int, tuple[str, str, int, int, int]]:
        """Row index -> (benchmark, item id, gram length, first token, last token + 1) of its first match."""
        hits: dict[int, tuple[str, str, int, int, int]] = {}
        for glen in sorted(self.sorted, reverse=True):
            bank = self.sorted[glen]
            flat, off = ngram_hashes(token_lists, glen, short="skip")
            if not len(flat) or not len(bank):  # no row or no item long enough
                continue
            pos = np.searchsorted(bank, flat)
            hit = bank[np.minimum(pos, len(bank) - 1)] == flat
            hit_at = np.nonzero(hit)[0]
            if not len(hit_at):
                continue
            doc_of = np.searchsorted(off, hit_at, side="right") - 1
            for d in np.unique(doc_of).tolist():
                if d in hits:
                    continue
                at = hit_at[doc_of == d]
                first = int(at[0])
                # extend over the run of consecutive matching n-grams: quote the whole overlap
                last = first
                while last + 1 < off[d + 1] and hit[last + 1]:
                    last += 1
                bench, item = self.owner[glen][int(flat[first])]
                start = first - int(off[d])
                hits[d] = (bench, item, glen, start, start + (last - first) + glen)
        return hits


#: an item or text of at most this many tokens that computes something ("What is 17 * 25?") is matched by what it
#: computes (:func:`curation.dedup.near_copy.arithmetic`): "Compute 25 times 17." is a copy of it
ARITH_TOKENS = 12


class ExactIndex:
    """Every item's text and problem statement as normalised words -> (benchmark, item id): a row that IS an
    item, whatever the item's length (the n-gram check leaves items under ``min_item_tokens`` alone); and what a
    short arithmetic item computes -> (benchmark, item id): a short text with the same numbers and operations is
    the same problem reworded (``near copy same arithmetic``, as the closed loop and synthesis check their splits)."""

    def __init__(self, benches: list[Benchmark]):
        self.owner: dict[str, tuple[str, str]] = {}
        self.sums: dict[tuple, tuple[str, str]] = {}
        for b in benches:
            for it in b.items:
                for t in (it.text, it.prompt):
                    key = " ".join(words(t or "", ops=True))
                    if key:
                        self.owner.setdefault(key, (b.name, it.item_id))
                        if key.count(" ") < ARITH_TOKENS and (a := arithmetic(t)) is not None:  # the text: "1,000", "2.5"
                            self.sums.setdefault(a, (b.name, it.item_id))
        # the longest text a key can be: an item's length, or a short arithmetic text's
        self.longest = max(max((k.count(" ") + 1 for k in self.owner), default=0), ARITH_TOKENS if self.sums else 0)

    def find(self, rows: list[dict], on: str, whole: list[list[str]], skip: set[int]) -> dict[int, tuple[str, str, str, str]]:
        """Row index -> (benchmark, item id, normalised copy, method) for rows (not in ``skip``) whose compared text,
        prompt (``on`` both), one user turn or one ``--field`` part equals an item (method ``exact copy``) or, short,
        computes what a short arithmetic item does (``near copy same arithmetic``). ``whole``: each row's tokens of
        ``text_of(row, on)``."""
        hits: dict[int, tuple[str, str, str, str]] = {}
        for d, r in enumerate(rows):
            if d in skip:
                continue
            keys = list(self._keys(r, on, whole[d]))
            who = next(((self.owner[k], k) for k, _ in keys if k in self.owner), None)
            if who is not None:
                hits[d] = (*who[0], who[1], "exact copy")
            elif self.sums:  # what the text computes, read from the text (its tokens lose "1,000" and "2.5"'s marks)
                for k, t in keys:
                    if k.count(" ") < ARITH_TOKENS and (a := arithmetic(t)) is not None and a in self.sums:
                        hits[d] = (*self.sums[a], k, "near copy same arithmetic")
                        break
        return hits

    def _keys(self, row: dict, on: str, whole: list[str]):
        """(normalised words, text) of each text of ``row`` that may be an item."""
        if len(whole) <= self.longest:
            yield " ".join(whole), checked_text(row, on)
        parts: list[str] = [t for _, t in row.get(FIELDS) or []]
        if on == "both":  # the prompt alone (a completion alone, "Yes" or "4", is too often a short item's words)
            parts.append(side_text(row, "prompt"))
        if on != "completion":
            # each turn alone may BE a short item (an assistant turn alone, "Yes" or "4", is too often a short item's words)
            turns = role_turns(row)
            parts += [t for role, t in turns if role != "assistant"] if len(turns) > 1 else []
        for t in parts + [v for t in parts for _, v in decoded_views(t)]:
            toks = words(t, ops=True)
            if 0 < len(toks) <= self.longest:
                yield " ".join(toks), t


class Decontaminate(Step):
    """Rejects rows that overlap a benchmark in the registry (works per batch: no global state)."""

    name = "decontam"
    Config = DecontamConfig
    description = "rows that overlap a benchmark (n-grams, optionally embeddings and masked n-grams)"
    produces = ("status", "reject_stage", "reject_reason")

    def __init__(self, config: DecontamConfig | None = None, name: str | None = None):
        self.config = config or DecontamConfig()
        cols = set(required_columns(self.config.on))
        if self.config.embedding:
            cols |= set(required_columns(self.config.embedding_on))
        self.requires = tuple(sorted(cols))
        if name:
            self.name = name
        self._index: NgramIndex | None = None
        self._content: NgramIndex | None = None
        self._exact: ExactIndex | None = None
        self._masked: MaskedIndex | None = None
        self._template: TemplateIndex | None = None
        self.coverage: list[dict] = []  # per benchmark: items loaded vs declared (filled on first use)
        self.benchmarks: list = []  # the loaded benchmarks (filled on first use)
        self._items: list[tuple[str, str]] = []  # (bench, item id) per embedding row
        self._item_emb: np.ndarray | None = None
        self.embedder = Embedder(self.config.model, self.config.device, self.config.batch_size) if self.config.embedding else None
        self.judge = JudgeConfirm(self.config.judge, self.config.judge_prompt) if self.config.judge is not None else None
        self._prompts: list[str] = []  # item problem statements, for the judge
        self.judge_probe: dict | None = None  # what the judge's probe gave (judge_probe), once loaded

    def _load(self) -> None:
        # benchmarks and their embeddings load once per instance, on first use
        if self._index is not None:
            return
        benches = self.benchmarks = [load_benchmark(s, self.config.allow_partial) for s in self.config.benchmarks]
        self.coverage = _coverage(self.config, benches)
        c = self.config.content_ngram
        self._content = NgramIndex(benches, c, c, content_span=self.config.ngram) if c else None
        self._index = NgramIndex(benches, self.config.ngram, self.config.min_item_tokens)
        self._exact = ExactIndex(benches)
        if self.config.masked or self.config.embedding_confirm != "none":
            self._masked = MaskedIndex([(b.name, it) for b in benches for it in b.items], self.config.masked_ngram,
                                       self.config.masked_max_df)
        on = [(b.name, it) for b in benches if b.name in template_benchmarks(self.config, benches, warn=True) for it in b.items]
        self._template = TemplateIndex(on) if on else None
        if self.judge is not None and self.config.judge_probe:
            self._probe_judge(benches)
        if self.embedder is not None:
            self._items = [(b.name, it.item_id) for b in benches for it in b.items]
            self._prompts = [it.prompt for b in benches for it in b.items]
            self._item_emb = self.embedder.encode([it.prompt for b in benches for it in b.items])

    def _probe_judge(self, benches: list) -> None:
        """The judge answers known pairs first (:meth:`JudgeConfirm.probe`); one that gets fewer than 5 of 6 right
        is dropped, so a model too small for the task (or one that says YES to everything) adds no false flags."""
        assert self.judge is not None
        right, asked = self.judge.probe([it.prompt for b in benches for it in b.items])
        self.judge_probe = {"right": right, "asked": asked, "used": asked > 0 and right >= asked - 1}
        if not self.judge_probe["used"]:
            log.warning("decontam: the judge %s got %d of %d known pairs right (a benchmark problem with other numbers vs "
                        "itself and vs another problem): NOT USED; near misses stay unflagged, embedding candidates take "
                        "the masked check (a bigger judge, or judge_probe: false to use it anyway)", self.config.judge.get("model"), right, asked)
            self.judge.close()
            self.judge = None
            self.coverage = _coverage(self.config, benches, self.judge_probe)

    def _quote(self, text: str) -> str:
        text = text.replace("'", "’")
        return text if len(text) <= self.config.span_chars else text[: self.config.span_chars].rstrip() + " ..."

    def process(self, rows: list[dict]) -> list[dict]:
        self._load()
        assert self._index is not None
        toks = [words(checked_text(r, self.config.on), ops=True) for r in rows]
        found = self._index.find(toks)
        for d, (bench, item, glen, a, b) in found.items():
            span = self._quote(" ".join(toks[d][a:b]))
            reject(rows[d], self.name, f"contaminated: {bench}#{item} {self.config.ngram if glen == self.config.ngram else glen}-gram '{span}'")
        assert self._exact is not None
        for d, (bench, item, key, method) in self._exact.find(rows, self.config.on, toks, set(found)).items():
            reject(rows[d], self.name, f"contaminated: {bench}#{item} {method} '{self._quote(key)}'")
        if self._content is not None:
            self._content_pass(rows, toks)
        if self.config.masked:
            self._masked_pass(rows)
        if self._template is not None:
            self._template_pass(rows)
        if self.embedder is not None:
            self._embedding_pass(rows)
        n = sum(1 for r in rows if r.get("reject_stage") == self.name)
        log.info("%s: %d rows in, %d contaminated", self.name, len(rows), n)
        return rows

    def _content_pass(self, rows: list[dict], toks: list[list[str]]) -> None:
        """Note-style copies: the row's content words (:func:`content_positions`) contain ``content_ngram`` of an item's in
        a row that span >= ``ngram`` of the item's words (as much of it as an n-gram); the reason quotes the row's own
        words from the first to the last matched one. Was: a copy with its function
        words dropped ("Janet ducks lay 16 eggs day.") broke every 13-gram and 30% fell below the template threshold."""
        assert self._content is not None
        live = [d for d, r in enumerate(rows) if r.get("status") != REJECTED]
        pos = [content_positions(toks[d]) for d in live]
        for k, (bench, item, glen, a, b) in self._content.find([[toks[d][p] for p in ps] for d, ps in zip(live, pos)]).items():
            d, ps = live[k], pos[k]
            span = self._quote(" ".join(toks[d][ps[a] : ps[b - 1] + 1]))
            reject(rows[d], self.name, f"contaminated: {bench}#{item} content {glen}-gram '{span}'")

    def _live(self, rows: list[dict], on: str, parts: bool = False) -> tuple[list[int], list[str]]:
        """(row index, text) of the rows not yet rejected that have text. With ``parts`` and ``on`` both, the prompt
        and the completion are two texts of their row (a row index twice): the template matcher scores problem
        statements, calibrated on them alone, and a rewritten item in either part is a copy. Was the two joined: a
        chat row's answer diluted its rewritten question below the threshold (a rewrite flagged with --compare
        prompt passed with the default --compare both)."""
        live = [i for i, r in enumerate(rows) if r.get("status") != REJECTED]
        sides = ("prompt", "completion") if parts and on == "both" else (on,)
        pairs = [(i, t) for i in live for _, t in with_views([(side, side_text(rows[i], side)) for side in sides])]
        pairs = [(i, t) for i, t in pairs if t.strip()]  # a decoded reading is one more text of its row
        return [i for i, _ in pairs], [t for _, t in pairs]

    @staticmethod
    def _best_per_row(idx: list[int], found: dict[int, tuple], score_at: int) -> dict[int, tuple]:
        """Text index -> match (of :meth:`_live` texts) reduced to the best-scoring text of each row."""
        best: dict[int, int] = {}
        for k, m in found.items():
            if idx[k] not in best or m[score_at] > found[best[idx[k]]][score_at]:
                best[idx[k]] = k
        return {k: found[k] for k in sorted(best.values())}

    def _masked_pass(self, rows: list[dict]) -> None:
        # rewritten copies: the row's masked template contains most of an item's masked n-grams
        assert self._masked is not None
        idx, texts = self._live(rows, self.config.on)  # containment: the joined text holds every part's n-grams
        for k, (bench, item, cont, margin) in self._masked.best(texts, self.config.masked_short_penalty).items():
            if margin >= self.config.masked_threshold:
                reject(rows[idx[k]], self.name, f"contaminated: {bench}#{item} masked {self.config.masked_ngram}-gram "
                                                f"c={cont:.2f} '{self._quote(' '.join(words(texts[k])))}'")

    def _template_pass(self, rows: list[dict]) -> None:
        # rewritten copies: the row's masked template stands out against one item's chance level
        assert self._template is not None
        idx, texts = self._live(rows, self.config.on, parts=True)
        band = []  # near misses for the judge (template_judge_from): short items rewritten stand out less
        for k, ((bench, item), score, _) in self._best_per_row(idx, self._template.best(texts), 1).items():
            if score >= self.config.template_threshold:
                self._template_reject(rows[idx[k]], texts[k], bench, item, f"{score:.2f}")
            elif self.judge is not None and self.config.template_judge_from is not None and score >= self.config.template_judge_from:
                band.append((k, bench, item, score))
        if band:
            assert self.judge is not None
            verdicts = self.judge.confirm([(texts[k], self._template.prompts[(b, it)]) for k, b, it, _ in band])
            for (k, bench, item, score), verdict in zip(band, verdicts):
                if verdict:  # no verdict (an outage) or NO: below the threshold, not flagged
                    self._template_reject(rows[idx[k]], texts[k], bench, item, f"{score:.2f}+judge")

    def _template_reject(self, row: dict, text: str, bench: str, item: str, score: str) -> None:
        reject(row, self.name, f"contaminated: {bench}#{item} template score={score} '{self._quote(' '.join(words(text)))}'")

    def _embedding_pass(self, rows: list[dict]) -> None:
        # paraphrases: cosine to an item's problem statement; with a confirm, a second check must agree
        # (cosine alone flags same-topic problems, see bench/RESULTS.md)
        assert self.embedder is not None and self._item_emb is not None
        idx, texts = self._live(rows, self.config.embedding_on)
        if not idx:
            return
        emb = self.embedder.encode([fold(t) for t in texts])
        k_near = min(1 if self.config.embedding_confirm == "none" else 3, len(self._items))
        cands: list[tuple[int, list[tuple[int, float]]]] = []  # (text index, [(item, cos)] nearest first)
        for s in range(0, len(idx), 4096):  # bounded (block x items) similarity matrix
            sim = emb[s : s + 4096] @ self._item_emb.T
            near = np.argsort(-sim, axis=1)[:, :k_near]
            for j in range(len(near)):
                c = [(int(it), float(sim[j, it])) for it in near[j] if sim[j, it] >= self.config.embedding_threshold]
                if c:
                    cands.append((s + j, c))
        verdicts: list = [None] * len(cands)
        if self.judge is not None and self.config.embedding_confirm == "llm":  # one batched call for all candidates
            verdicts = self.judge.confirm([(texts[k], self._prompts[c[0][0]]) for k, c in cands])
        for (k, c), verdict in zip(cands, verdicts):
            hit = self._confirmed(texts[k], c, verdict)
            if hit:
                bench, item = self._items[hit[0]]
                reject(rows[idx[k]], self.name, f"contaminated: {bench}#{item} {hit[1]} '{self._quote(' '.join(words(texts[k])))}'")

    def _confirmed(self, text: str, cands: list[tuple[int, float]], verdict: bool | None) -> tuple[int, str] | None:
        """(item, method) when the candidate counts as contamination, else None."""
        if self.config.embedding_confirm == "none":
            return cands[0][0], f"embedding cos={cands[0][1]:.3f}"
        if verdict is not None:  # the judge decided (on the nearest item)
            return (cands[0][0], f"embedding cos={cands[0][1]:.3f}+judge") if verdict else None
        assert self._masked is not None  # masked confirm, or the judge's fallback
        pen = self._masked.penalty(self.config.masked_short_penalty)
        overlaps = self._masked.pair(text, [it for it, _ in cands])
        score, it, cos, ov = max(((cos + 2 * (ov - pen[it])) / 3, it, cos, ov) for (it, cos), ov in zip(cands, overlaps))
        return (it, f"embedding cos={cos:.3f}+masked c={ov:.2f}") if score >= self.config.confirm_threshold else None

    def close(self) -> None:
        if self.judge is not None:
            self.judge.close()

    def __getstate__(self) -> dict:
        # the index and item embeddings rebuild on first use in the receiving process
        state = dict(self.__dict__)
        state.update(_index=None, _content=None, _exact=None, _masked=None, _template=None, _items=[], _prompts=[], _item_emb=None, benchmarks=[])
        return state


def benchmark_coverage(config: DecontamConfig, judge_probe: dict | None = None) -> list[dict]:
    """What each configured benchmark covers (items loaded vs declared, hash, licence, and ``checks``: the methods
    that look at it, :func:`checks_per_benchmark`, with what the judge's probe gave when there was one); raises on a
    partial copy unless ``allow_partial``. Cheap: loads the benchmark files, builds no index."""
    return _coverage(config, [load_benchmark(s, config.allow_partial) for s in config.benchmarks], judge_probe)


def _coverage(config: DecontamConfig, benches: list, judge_probe: dict | None = None) -> list[dict]:
    for b, checks in zip(benches, checks_per_benchmark(config, benches, judge_probe)):
        b.coverage["checks"] = checks
    return [b.coverage for b in benches]


def template_benchmarks(config: DecontamConfig, benches: list, warn: bool = False) -> set[str]:
    """Names of the benchmarks template matching looks at: all (template: true), or by default those calibrated for it,
    when they hold >= MIN_TEMPLATE_ITEMS items between them (IDF and each item's null need a population of items)."""
    asked = [b for b in benches if config.template or (config.template is None and b.template_match)]
    n = sum(len(b.items) for b in asked)
    if n < MIN_TEMPLATE_ITEMS:
        if warn and n:
            log.warning("decontam: template matching needs >= %d benchmark items, got %d: off", MIN_TEMPLATE_ITEMS, n)
        return set()
    return {b.name for b in asked}


def checks_per_benchmark(config: DecontamConfig, benches: list, judge_probe: dict | None = None) -> list[list[str]]:
    """The methods that compare rows with each benchmark's items, in the words the reports use: the run summary, the
    manifest, the cards and ``factory decontam``'s report say what each benchmark was checked with, not only how many
    of its items (template matching, say, is on for some benchmarks and off for others by default). ``judge_probe``
    (:meth:`Decontaminate._probe_judge`): a judge that failed it is named NOT USED, with its score, so no report claims
    a second look that never ran."""
    c = config
    unused = judge_probe is not None and not judge_probe["used"]
    judge = (f"LLM judge NOT USED: it got {judge_probe['right']} of {judge_probe['asked']} known pairs right" if unused
             else "LLM judge")
    common = [f"{c.ngram}-gram (items of >= {c.min_item_tokens} words)", "exact copies (and short items' arithmetic)"]
    if c.content_ngram:
        common.append(f"content-word {c.content_ngram}-gram")  # spanning >= ngram words of the item
    if c.masked:
        common.append(f"masked {c.masked_ngram}-grams >= {c.masked_threshold:g}")
    if c.embedding:
        confirm = {"none": "", "masked": " + masked confirm", "llm": f" + {judge}"}.get(c.embedding_confirm, f" + {c.embedding_confirm}")
        common.append(f"embedding cos >= {c.embedding_threshold:g}{confirm}")
    templated = template_benchmarks(config, benches)
    out = []
    for b in benches:
        checks = list(common)
        if b.name in templated:
            with_judge = c.judge is not None and c.template_judge_from is not None
            note = (f" (+ {judge})" if unused else f" (+ LLM judge from {c.template_judge_from:g})") if with_judge else ""
            checks.append(f"template matching >= {c.template_threshold:g}{note}")
        out.append(checks)
    return out


def contamination_report(rows: list[dict], stage: str | None = None, max_examples: int = 5,
                         coverage: list[dict] | None = None) -> dict:
    """Counts per benchmark (rows, distinct items, by method) and a few examples, from reject reasons;
    with ``coverage`` (see :func:`benchmark_coverage`) also what each benchmark covered, and the partial ones."""
    per: dict[str, dict] = {}
    total = 0
    for r in rows:
        if r.get("status") != REJECTED or (stage and r.get("reject_stage") != stage):
            continue
        m = REASON_RE.match(r.get("reject_reason") or "")
        if not m:
            continue
        total += 1
        b = per.setdefault(m["bench"], {"rows": 0, "items": set(), "methods": Counter(), "examples": []})
        b["rows"] += 1
        b["items"].add(m["item"])
        method = m["method"].split(" c=")[0].split(" cos=")[0].split(" score=")[0] + ("+confirm" if "+masked" in m["method"] else "+judge" if "+judge" in m["method"] else "")
        b["methods"][method] += 1
        if len(b["examples"]) < max_examples:
            b["examples"].append({"id": r.get("id"), "item": m["item"], "method": m["method"], "span": m["span"]})
    for b in per.values():
        b["items"], b["methods"] = len(b["items"]), dict(b["methods"])
    out = {"rows": len(rows), "contaminated": total, "per_benchmark": per}
    if coverage is not None:
        out["benchmarks"] = coverage
        out["partial"] = [c["line"] for c in coverage if c.get("complete") is False]
    return out
