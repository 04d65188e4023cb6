"""The ``TrainMethod`` role: options model + example builder + training loop, looked up by ``train.method``.

    >>> from students.method import METHODS
    >>> METHODS.load("sft").name, METHODS.names()[:4]
    ('sft', ['sft', 'dpo', 'kd', 'onpolicy'])

A method is one class in one file (``students/sft.py``: ``SFT``). It declares ``Options`` (a
:class:`ground.config.Config`, the recipe's ``train.<method>`` section; None when it has no options),
builds its examples from the run's rows in :meth:`TrainMethod.split`, and trains in
:meth:`TrainMethod.run` (usually through :func:`students.train.run_ray`, which owns Ray Train,
checkpoints, resume and the best-model copy). :func:`students.train.train` owns what every method
shares: the validation split, ``drop_system_prompt``, the info dict. Third-party methods are entry
points in the group ``distill_factory.train_methods`` (docs/extending.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ground.config import Config
from ground.plugins import Registry

METHODS = Registry("train_methods", {
    "sft": "students.sft:SFT",
    "dpo": "students.dpo:DPO",
    "kd": "students.kd:KD",
    "onpolicy": "students.onpolicy:OnPolicy",
})


@dataclass
class TrainJob:
    """What a method trains on: the recipe, ``train`` as a dict, the run's rows as a Ray Dataset (accepted,
    plus rejects when the method says ``uses_rejects``; see students/traindata.py), where to write, and the
    test-only fault injector."""

    recipe: Any
    cfg: dict
    rows: Any
    out_dir: str
    fault: dict | None = None

    @property
    def drop_system(self) -> bool:
        return bool(self.cfg["drop_system_prompt"])

    @property
    def accepted(self) -> Any:
        from students.traindata import where

        return where(self.rows, status="accepted")

    def split(self, rows: Any, basis: Any | None = None) -> tuple[Any, Any]:
        """Train/validation Datasets split by prompt_id: 10% validation once ``basis`` (default ``rows``) has
        10 prompts, else none (:func:`students.traindata.split_rows`)."""
        from students.traindata import split_rows

        return split_rows(rows, rows if basis is None else basis, self.cfg["seed"])

    @property
    def options(self) -> dict:
        """This method's ``train.<method>`` section as a dict ({} when it has none)."""
        return self.cfg.get(self.cfg["method"]) or {}


class TrainMethod:
    """Base of training methods; subclasses set ``name``/``Options``/``description`` and implement ``run``."""

    name: ClassVar[str] = "method"
    #: the ``train.<name>`` section (a Config with a description on every field); None = no options
    Options: ClassVar[type[Config] | None] = None
    #: one line of help for ``train.method`` in ``factory schema``
    description: ClassVar[str] = ""
    #: the method reads rejected rows too (preference pairs, prompts to sample from)
    uses_rejects: ClassVar[bool] = False
    #: the method needs accepted rows (on-policy needs only prompts)
    needs_accepted: ClassVar[bool] = True
    #: ``train.packing`` is allowed with this method
    supports_packing: ClassVar[bool] = False
    #: the method trains with ``train.chat_template`` (which eval and the saved model then use too)
    supports_chat_template: ClassVar[bool] = True
    #: ``train.reasoning`` other than keep (drop, budget) changes what this method trains
    supports_reasoning: ClassVar[bool] = False

    def split(self, job: TrainJob) -> tuple[Any, Any]:
        """(train, validation) Datasets for :meth:`run`; the default splits the accepted rows by prompt."""
        return job.split(job.accepted)

    def run(self, job: TrainJob, train: Any, val: Any) -> dict:  # pragma: no cover - abstract
        """Train; return the info dict of :func:`students.train.run_ray` (``adapter_dir``, ``metrics``, ...),
        or ``{"status": "skipped", "reason": ...}`` when there is nothing to train on."""
        raise NotImplementedError


def trained_on(train: int, val: int) -> dict:
    """``train_rows``/``val_rows`` of a fit's info (the model card's "N train / M validation rows"): the examples a
    builder kept. Was: the rows of the split before the builder's drops (overlong, empty, no prompt), so a card
    counted rows the student never saw."""
    return {"train_rows": train, "val_rows": val}
