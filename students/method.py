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

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

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
    """What a method trains on: the recipe, ``train`` as a dict, the run's rows (accepted, plus rejects
    when the method says ``uses_rejects``), where to write, and the test-only fault injector."""

    recipe: Any
    cfg: dict
    rows: list[dict]
    out_dir: str
    fault: dict | None = None
    fix: Callable[[list[dict]], list[dict]] = field(default=lambda x: x)

    @property
    def accepted(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "accepted"]

    def split(self, rows: list[dict], basis: list[dict] | None = None) -> tuple[list[dict], list[dict]]:
        """Train/validation split by prompt_id: 10% validation once ``basis`` (default ``rows``) has 10
        prompts, else none."""
        from students.data import split_by_prompt

        frac = 0.1 if len({r["prompt_id"] for r in (rows if basis is None else basis)}) >= 10 else 0.0
        return split_by_prompt(rows, frac, self.cfg["seed"])

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

    def split(self, job: TrainJob) -> tuple[list[dict], list[dict]]:
        """(train, validation) items for :meth:`run`; the default splits the accepted rows by prompt."""
        return job.split(job.accepted)

    def run(self, job: TrainJob, train: list[dict], val: list[dict]) -> dict:  # pragma: no cover - abstract
        """Train; return the info dict of :func:`students.train.run_ray` (``adapter_dir``, ``metrics``, ...),
        or ``{"status": "skipped", "reason": ...}`` when there is nothing to train on."""
        raise NotImplementedError
