"""Ray Data class UDFs over the batch steps of the lower layers (heavy state loads once per actor).

    >>> ds.map_batches(GenerateUDF, fn_constructor_kwargs=dict(teacher_cfgs=..., cache_uri=...),
    ...                batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=2))
"""

from __future__ import annotations

import pyarrow as pa

from ground.record import from_table, to_table
from ground.step import Step
from teachers.step import GenerateStep
from verifiers.step import VerifyStep


class _ArrowUDF:
    """Adapts a Step to Ray Data's ``map_batches(batch_format="pyarrow")``."""

    step: Step

    def __call__(self, batch: pa.Table) -> pa.Table:
        return to_table(self.step(from_table(batch)))


class GenerateUDF(_ArrowUDF):
    def __init__(self, teacher_cfgs: dict, cache_uri: str | None, fallback: str | None = None):
        self.step = GenerateStep(teacher_cfgs, cache_uri, fallback)


class VerifyUDF(_ArrowUDF):
    def __init__(self, verifier_cfgs: list[dict], accept_unverifiable: bool = False):
        self.step = VerifyStep(verifier_cfgs, accept_unverifiable)
