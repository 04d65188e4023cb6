"""The ``RowFilter`` role: a plug-in implements ``filter(row) -> (keep, reason)``; the base owns the rest.

    >>> from pydantic import Field
    >>> from ground.config import Config
    >>> from ground.record import new_sample
    >>> from curation.filters.base import RowFilter
    >>> class MaxWordsConfig(Config):
    ...     max_words: int = Field(3, ge=0, description="words a completion may have")
    >>> class MaxWords(RowFilter):
    ...     name = "max_words"
    ...     Config = MaxWordsConfig
    ...     def filter(self, row):
    ...         n = len(row["completion"].split())
    ...         return n <= self.config.max_words, f"{n} words"
    >>> rows = [new_sample(stage="gen", prompt_id="p", sample_index=0, messages=[], completion="a b c d")]
    >>> MaxWords()(rows)[0]["reject_reason"]
    'max_words: 4 words'

The base owns: the batch loop over the still-accepted rows (:class:`ground.step.Step`), the
required-column check (``requires``, or :meth:`RowFilter.required_columns` when it depends on the
config), :meth:`RowFilter.reject` (reason prefixed with the filter's name, a counter per
:meth:`RowFilter.count_key`), and one log line per batch. A filter that needs a whole batch at once
(one tokenizer call) computes it in :meth:`RowFilter.prepare`. Recipes name filters by ``name``
under ``filters:``; the recipe schema uses ``Config`` (a :class:`ground.config.Config`) for that
section and ``description`` as its help line.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, ClassVar

from ground.config import Config as _Config
from ground.record import reject
from ground.step import Step

log = logging.getLogger(__name__)


class RowFilter(Step):
    """Base of every row filter: per-row decision, batch loop, column check and counters in one place."""

    name: ClassVar[str] = "filter"
    #: the filter's options: one pydantic model, a description on every field
    Config: ClassVar[type[_Config]] = _Config
    #: one line of help shown in ``factory schema`` for the recipe key
    description: ClassVar[str] = ""
    produces = ("status", "reject_stage", "reject_reason")

    def __init__(self, config: Any = None, name: str | None = None):
        if config is None:
            config = self.Config()
        elif isinstance(config, dict):
            config = self.Config.model_validate(config)
        self.config = config
        self.requires = self.required_columns()
        if name:
            self.name = name
        self.counts: Counter = Counter()
        self.rows_in = 0

    def required_columns(self) -> tuple[str, ...]:
        """Columns this filter reads (default: the class's ``requires``); may depend on ``self.config``."""
        return type(self).requires

    def prepare(self, rows: list[dict]) -> None:
        """Per-batch work before :meth:`filter` sees the rows one by one (e.g. one batched tokenizer call)."""

    def filter(self, row: dict) -> tuple[bool, str | None]:  # pragma: no cover - abstract
        """(True, None) keeps the row; (False, reason) rejects it with ``<name>: <reason>``."""
        raise NotImplementedError

    def count_key(self, reason: str) -> str:
        """The counter a reject lands in (default: the reason's first word)."""
        return reason.split(" ", 1)[0]

    def reject(self, row: dict, reason: str) -> None:
        self.counts[self.count_key(reason)] += 1
        reject(row, self.name, f"{type(self).name}: {reason}")

    def process(self, rows: list[dict]) -> list[dict]:
        self.rows_in += len(rows)
        self.prepare(rows)
        for r in rows:
            keep, reason = self.filter(r)
            if not keep:
                self.reject(r, reason or "rejected")
        log.info("%s: %d rows in, rejects so far %s", self.name, len(rows), dict(self.counts))
        return rows
