"""Length filter: reject rows whose prompt, completion or reasoning is outside [min, max] tokens.

Counted with a tokenizer when ``tokenizer`` names a model (a bundled name such as
``smollm2-135m-instruct``, resolved by :func:`ground.models.resolve_model`, or a local HF directory);
only the tokenizer is loaded, once per step, on the first batch. Without ``tokenizer`` the unit is
whitespace-separated words. Token counts are the tokenizer's own ``len(encode(text))`` without
special tokens, so they are the text's tokens, not a chat template's.

The counted texts: ``prompt`` = every message's content (each encoded separately, counts added),
``completion`` and ``reasoning`` their columns (a null column counts 0, so ``min_reasoning: 1``
drops rows without reasoning); a tool trace's completion is measured on its turns' text and calls
(:func:`curation.dedup.completion_text`: contents and ``name(arguments)``), not on its JSON's keys and call ids. Bounds are inclusive; null = no bound. The first violated bound, in
the order prompt, completion, reasoning and min before max, is the reason::

    length: completion 812 tokens > max 512

    >>> from curation.filters.length import LengthConfig, LengthFilter
    >>> from ground.record import new_sample
    >>> rows = [new_sample(stage="gen", prompt_id="p", sample_index=0, messages=[], completion="a b c")]
    >>> LengthFilter(LengthConfig(max_completion=2))(rows)[0]["reject_reason"]
    'length: completion 3 words > max 2'

A "word" is a whitespace-separated run, or one character of a script written without spaces (Chinese,
Japanese, Thai: a whole sentence there is one run).
"""

from __future__ import annotations

import json
import re

from pydantic import Field, field_validator, model_validator

from curation.dedup import UNSPACED, completion_text, content_text
from curation.filters.base import RowFilter
from ground.config import Config

COLUMNS = ("prompt", "completion", "reasoning")


def _bound(name: str):
    what = "minimum" if name.startswith("min") else "maximum"
    return Field(None, description=f"{what} {name.split('_', 1)[1]} length (inclusive); null = no bound")


_SPACED_WORD = re.compile(f"[{UNSPACED}]|[^\\s{UNSPACED}]+")


class LengthConfig(Config):
    tokenizer: str | None = Field(None, description="model whose tokenizer counts tokens (bundled name or local HF "
                                                    "dir); null = whitespace words")
    min_prompt: int | None = _bound("min_prompt")
    max_prompt: int | None = _bound("max_prompt")
    min_completion: int | None = _bound("min_completion")
    max_completion: int | None = _bound("max_completion")
    min_reasoning: int | None = _bound("min_reasoning")
    max_reasoning: int | None = _bound("max_reasoning")

    @field_validator("min_prompt", "max_prompt", "min_completion", "max_completion", "min_reasoning", "max_reasoning",
                     mode="before")
    @classmethod
    def _non_negative_int(cls, v, info):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise ValueError(f"LengthConfig.{info.field_name} must be an integer >= 0 or null, got {v!r}")
        return v

    @model_validator(mode="after")
    def _bounds(self) -> "LengthConfig":
        for col in COLUMNS:
            lo, hi = getattr(self, f"min_{col}"), getattr(self, f"max_{col}")
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"LengthConfig.min_{col} ({lo}) is greater than max_{col} ({hi})")
        if all(getattr(self, n) is None for n in self.bound_names()):
            raise ValueError(f"LengthConfig needs at least one bound: {list(self.bound_names())}")
        if self.tokenizer is not None:
            from ground.models import is_known_model

            if not is_known_model(self.tokenizer):
                raise ValueError(f"LengthConfig.tokenizer: unknown model {self.tokenizer!r}: not bundled and not a local HF directory")
        return self

    @staticmethod
    def bound_names() -> tuple[str, ...]:
        return tuple(f"{m}_{c}" for c in COLUMNS for m in ("min", "max"))

    def columns(self) -> list[str]:
        """Columns with at least one bound, in check order."""
        return [c for c in COLUMNS if getattr(self, f"min_{c}") is not None or getattr(self, f"max_{c}") is not None]


class LengthFilter(RowFilter):
    """Rejects rows outside the configured length bounds; ``counts`` totals rejects per (column, bound)."""

    name = "length"
    Config = LengthConfig
    description = "min/max tokens or words of prompt, completion, reasoning"

    def __init__(self, config: LengthConfig | None = None, name: str | None = None):
        super().__init__(config, name)
        self.unit = "tokens" if self.config.tokenizer else "words"
        self._tok = None
        self._lengths: dict[str, list[int]] = {}
        self._index: dict[int, int] = {}

    def required_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys("messages" if c == "prompt" else c for c in self.config.columns()))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_tok": None}  # the tokenizer reloads in the actor that uses it

    def _tokenizer(self):
        if self._tok is None:
            from transformers import AutoTokenizer

            from ground.models import resolve_model

            self._tok = AutoTokenizer.from_pretrained(resolve_model(self.config.tokenizer))
        return self._tok

    def count(self, texts: list[str]) -> list[int]:
        """Length of each text in this step's unit (tokens without special tokens, or words)."""
        if not self.config.tokenizer:
            return [len(t.split()) if t.isascii() else len(_SPACED_WORD.findall(t)) for t in texts]
        if not texts:
            return []
        return [len(ids) for ids in self._tokenizer()(texts, add_special_tokens=False)["input_ids"]]

    def prepare(self, rows: list[dict]) -> None:
        """One batched count per column: texts of all rows, prompt messages flattened."""
        self._index = {id(r): i for i, r in enumerate(rows)}
        self._lengths = {}
        for col in self.config.columns():
            owners, texts = [], []
            for i, r in enumerate(rows):
                if col != "prompt":
                    if r.get(col):
                        owners.append(i)
                        texts.append(completion_text(r) if col == "completion" else r[col])
                    continue
                for m in json.loads(r["messages"]) if r.get("messages") else []:
                    text = content_text(m.get("content"))  # a string or content parts
                    if text:
                        owners.append(i)
                        texts.append(text)
            totals = [0] * len(rows)
            for i, n in zip(owners, self.count(texts)):
                totals[i] += n
            self._lengths[col] = totals

    def filter(self, row: dict) -> tuple[bool, str | None]:
        i = self._index[id(row)]
        for col in self.config.columns():
            n, lo, hi = self._lengths[col][i], getattr(self.config, f"min_{col}"), getattr(self.config, f"max_{col}")
            if lo is not None and n < lo:
                return False, f"{col} {n} {self.unit} < min {lo}"
            if hi is not None and n > hi:
                return False, f"{col} {n} {self.unit} > max {hi}"
        return True, None

    def count_key(self, reason: str) -> str:
        col, _, rest = reason.partition(" ")
        return f"{col} {'<' if ' < ' in rest else '>'} {'min' if ' < ' in rest else 'max'}"

    def close(self) -> None:
        self._tok = None
