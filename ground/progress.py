"""Progress lines for long loops: at most one log line every ``every_s`` seconds, plus the last one.

    >>> from ground.progress import Progress
    >>> p = Progress("embed_dedup: encode", total=100_000, unit="texts")
    >>> for block in blocks:
    ...     work(block)
    ...     p.update(len(block))        # "embed_dedup: encode 40000/100000 texts (40%), 2210 texts/s, eta 27s"

Lines go to the ``factory`` logger on stderr, so they show in a terminal, in ``ray job logs`` and
in a Ray Train worker's log alike; nothing is printed when a loop finishes within ``every_s``
except the final line (when ``final=True``).
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("ground.progress")

#: packages whose log records are the progress lines of ``factory run``'s console (factory/console.py)
OURS = ("factory", "students", "teachers", "verifiers", "curation", "ground")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def worker_logging() -> None:
    """Give our loggers the driver's format in a Ray worker (Ray Train installs a bare ``%(message)s`` one), so
    the driver's console recognises the lines Ray forwards. Idempotent; records do not propagate (no doubles).

    >>> worker_logging(); worker_logging()
    >>> len(logging.getLogger("students").handlers), logging.getLogger("students").propagate
    (1, False)
    """
    for name in OURS:
        lg = logging.getLogger(name)
        if not any(getattr(h, "_factory", False) for h in lg.handlers):
            h = logging.StreamHandler()  # the worker's stderr, which Ray forwards to the driver
            h.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
            h._factory = True  # type: ignore[attr-defined]
            lg.addHandler(h)
        lg.setLevel(logging.INFO)
        lg.propagate = False


def fmt_duration(seconds: float) -> str:
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    def __init__(self, label: str, total: int | None = None, unit: str = "rows", every_s: float = 5.0,
                 final: bool = True, logger: logging.Logger | None = None):
        self.label, self.total, self.unit, self.every_s, self.final = label, total, unit, every_s, final
        self.log = logger or log
        self.done = 0
        self.t0 = self._last = time.monotonic()
        self.lines: list[str] = []  # what was logged (kept for tests and reports)

    def line(self, extra: str = "") -> str:
        dt = max(1e-9, time.monotonic() - self.t0)
        rate = self.done / dt
        head = f"{self.label} {self.done}/{self.total} {self.unit}" if self.total else f"{self.label} {self.done} {self.unit}"
        parts = [head + (f" ({100 * self.done / self.total:.0f}%)" if self.total else "")]
        parts.append(f"{rate:.1f} {self.unit}/s" if rate < 100 else f"{rate:.0f} {self.unit}/s")
        if self.total and self.done < self.total and rate > 0:
            parts.append(f"eta {fmt_duration((self.total - self.done) / rate)}")
        elif self.total and self.done >= self.total:
            parts.append(f"took {fmt_duration(dt)}")
        if extra:
            parts.append(extra)
        return ", ".join(parts)

    def update(self, n: int = 1, extra: str = "") -> None:
        self.done += n
        now = time.monotonic()
        end = self.total is not None and self.done >= self.total
        if now - self._last >= self.every_s or (end and self.final):
            self._last = now
            msg = self.line(extra)
            self.lines.append(msg)
            self.log.info("%s", msg)
