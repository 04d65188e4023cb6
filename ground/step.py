"""The step contract: a plain object that works on a list of Sample rows, in process.

    class MyFilter(Step):
        name = "my_filter"
        requires = ("completion",)
        def process(self, rows):            # only rows still accepted reach here
            for r in rows:
                if len(r["completion"]) < 3:
                    reject(r, self.name, "too short")
            return rows

    rows = MyFilter()(rows)                 # unit tests call steps directly
    ds = ds.map_batches(StepUDF, fn_constructor_args=(MyFilter,), ...)   # Ray Data runs the same step

``__call__`` checks the declared input columns (a missing column is an error naming the step and
the column), passes the still-accepted rows to :meth:`Step.process`, keeps already-rejected rows
untouched and in place, and returns every row: nothing is ever dropped, rejects carry
``reject_stage`` and ``reject_reason``. Counts in/out and drops per reason are derived from those
columns (see :func:`factory.stats.stage_stats`), so a distributed run needs no shared counters.
"""

from __future__ import annotations

from typing import ClassVar

from ground.record import ACCEPTED


class StepError(Exception):
    pass


class Step:
    name: ClassVar[str] = "step"
    #: columns this step reads
    requires: ClassVar[tuple[str, ...]] = ()
    #: columns this step writes (documentation and schema checks)
    produces: ClassVar[tuple[str, ...]] = ()

    def __call__(self, rows: list[dict]) -> list[dict]:
        if rows:
            missing = [c for c in self.requires if c not in rows[0]]
            if missing:
                raise StepError(f"step {self.name!r} needs column(s) {missing}; the rows have {sorted(rows[0])}")
        live = [r for r in rows if r.get("status") == ACCEPTED]
        if live:
            self.process(live)
        return rows

    def process(self, rows: list[dict]) -> list[dict]:  # pragma: no cover - abstract
        """Work on accepted rows in place (mark rejects with ``record.reject``); return them."""
        raise NotImplementedError

    def close(self) -> None:
        """Release heavy state once per actor."""
