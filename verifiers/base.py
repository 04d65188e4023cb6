"""The ``Verifier`` protocol and the ``Verdict`` it returns.

A verifier is a class (so it pickles and can be shipped to Ray actors) constructed from the
options in the recipe. Its constructor only validates options (recipe validation constructs it);
heavy state (sandboxes, models) loads lazily on first use, once per actor. It implements one method, :meth:`Verifier.verify`, on one row dict and
returns a :class:`Verdict`. It must never raise for a bad sample: :meth:`Verifier.verify_batch`
(what the pipeline calls) also turns any unexpected exception into a ``score=None`` verdict whose
reason names the exception, so one poison row cannot fail a batch.

Scores are in [0, 1]; ``None`` means "cannot verify" (e.g. no reference answer). The pipeline
accepts a row when every verifier's score is >= its ``min_score`` (recipe option, default 1.0);
``None`` is rejected unless the recipe says ``accept_unverifiable: true``.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from ground.config import Config, validate

log = logging.getLogger(__name__)


class NoOptions(Config):
    """A verifier without options: ``options`` must be empty."""


@dataclass
class Verdict:
    score: float | None
    reason: str
    cost: float = 0.0
    version: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class Verifier:
    """Base class. Subclasses set ``name``/``version``/``requires`` (and ``Options``) and implement ``verify``.

    ``Options`` (a :class:`ground.config.Config`): the base validates the recipe's ``options`` into
    ``self.options`` and the recipe schema types the section from it (factory/schema.py); the schema
    then builds the verifier once, so checks that need more (files, templates) go in ``__init__``."""

    name: ClassVar[str] = "base"
    version: ClassVar[str] = "0"
    #: row columns the verifier reads; a missing column is an error naming verifier and column
    requires: ClassVar[tuple[str, ...]] = ("completion",)
    #: the recipe's ``options`` for this verifier (the recipe schema types the section from it)
    Options: ClassVar[type[Config]] = NoOptions

    def __init__(self, **options: Any):
        self.options = validate(self.Options, options, f"verifier {self.name!r}")

    def verify(self, sample: dict) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_columns(self, samples: list[dict]) -> None:
        """A missing input column is a pipeline bug, not a bad sample: raise, naming verifier and column."""
        for s in samples:
            missing = [c for c in self.requires if c not in s]
            if missing:
                raise KeyError(f"verifier {self.name!r} needs column(s) {missing} which the rows do not have")

    def verify_batch(self, samples: list[dict]) -> list[Verdict]:
        """The loop every verifier shares: column check, one verdict per row, exceptions turned into
        ``score=None`` verdicts, and ``counts`` (rows, unverifiable, errors) for this instance."""
        self.check_columns(samples)
        counts = self.__dict__.setdefault("counts", Counter())
        out = []
        for s in samples:
            try:
                v = self.verify(s)
            except Exception as e:  # never let one bad sample fail the batch
                log.warning("verifier %s raised on row %s: %r", self.name, s.get("id"), e)
                v = Verdict(None, f"verifier error: {type(e).__name__}: {e}"[:500])
                counts["error"] += 1
            if not v.version:
                v.version = self.version
            counts["rows"] += 1
            counts["unverifiable"] += v.score is None
            out.append(v)
        return out

    def close(self) -> None:
        """Release heavy state (sandboxes, models). Called once per actor at the end."""
