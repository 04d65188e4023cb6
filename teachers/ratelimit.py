"""Client-side rate limiting for HTTP teachers: token buckets, server header hints, 429 cool-down.

    >>> import asyncio
    >>> from teachers.ratelimit import RateLimiter
    >>> lim = RateLimiter(rpm=600, tpm=None)        # 10 requests/s, bursts of up to 10
    >>> async def one():
    ...     ticket = await lim.acquire(est_tokens=100)
    ...     lim.observe(ticket, {"x-ratelimit-remaining-requests": "99", "x-ratelimit-reset-requests": "6s"})
    >>> asyncio.run(one())

Three independent brakes, all applied before a request is sent:

1. ``rpm`` / ``tpm`` token buckets. Providers enforce per-minute limits over shorter periods
   (OpenAI's rate-limit guide: "60,000 requests/minute may be enforced as 1,000 requests/second"),
   so the bucket holds one second's worth of budget instead of a whole minute: no start-up burst.
   The buckets are *reservations* (virtual scheduling): a caller takes its cost at once, possibly
   driving the level negative, and sleeps until the debt is repaid. That is FIFO-fair, needs no
   asyncio lock, and so the limiter is not bound to one event loop and survives across the
   ``asyncio.run`` of successive ``generate`` calls (its state is plain numbers under a thread lock).
2. ``x-ratelimit-remaining-*`` / ``x-ratelimit-reset-*`` response headers. A header answers for the
   moment the server handled that request; every other request still in flight is subtracted (the
   server may take them in any order), so the estimate errs low. At zero remaining, senders wait
   until the advertised reset; after it they start from ``x-ratelimit-limit-*`` (not unlimited), and
   late answers that still describe the old window are ignored.
3. A shared cool-down after a 429 (``Retry-After``): every sender waits, not only the one that was
   refused, otherwise the other in-flight workers keep hammering a limit that is already hit.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import logging
import math
import re
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)
LONG_WAIT_S = 30.0  # a wait this long is said once on the console (a daily quota's reset can be hours away)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


#: a bare number this large is a moment, not a duration (1e9 s is 31 years): Unix seconds, or milliseconds past 1e12
_EPOCH_S, _EPOCH_MS = 1e9, 1e12


def parse_reset(value: str | None) -> float | None:
    """Seconds from an ``x-ratelimit-reset-*`` value: ``"6m0s"``, ``"1.5s"``, ``"20ms"``, ``"12"``, or the moment of
    the reset as Unix seconds or milliseconds (GitHub-style gateways: ``"1764000000"``)."""
    if not value:
        return None
    value = value.strip()
    try:
        v = float(value)
    except ValueError:
        pass
    else:
        if v >= _EPOCH_S:
            v = (v / 1000.0 if v >= _EPOCH_MS else v) - time.time()
        return max(0.0, v) if math.isfinite(v) else None  # "inf", "nan": no hint
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def ratelimit_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The ``x-ratelimit-*`` headers of a response, lower-cased, from httpx's ``headers.raw``.

    One pass over the raw list: httpx's case-insensitive ``Headers.get`` scans every header per call,
    which is measurable overhead at thousands of requests per second (bench/bench_openai_compat.py).
    """
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw if k[:12].lower() == b"x-ratelimit-"}


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI) or ``Retry-After`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        pass
    try:  # RFC 9110 also allows an HTTP date
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" (RFC 5322's UTC of unknown zone) parses naive: it is UTC, not local time
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - time.time())


class TokenBucket:
    """Reservation token bucket: ``rate`` units per second, at most ``burst`` banked."""

    def __init__(self, rate_per_s: float, burst: float):
        if rate_per_s <= 0 or burst <= 0:
            raise ValueError("rate_per_s and burst must be > 0")
        self.rate, self.burst = rate_per_s, burst
        self._level = burst
        self._t = time.monotonic()

    def reserve(self, cost: float, now: float) -> float:
        """Take ``cost`` now; return seconds until it may go (0 = go). Caller holds the lock."""
        self._level = min(self.burst, self._level + (now - self._t) * self.rate)
        self._t = now
        # A request dearer than the whole burst goes once the bucket is full, and leaves the rest of its cost as a
        # debt the next callers wait for (charging it only the burst let such requests out at burst/cost the rate).
        need = min(cost, self.burst)
        wait = 0.0 if self._level >= need else (need - self._level) / self.rate
        self._level -= cost
        return wait

    def adjust(self, delta: float) -> None:
        """Refund (delta > 0) or charge (delta < 0) after the true cost is known."""
        self._level = min(self.burst, self._level + delta)


@dataclass
class Ticket:
    """What :meth:`RateLimiter.acquire` hands out and :meth:`RateLimiter.observe` takes back."""

    seq: int
    est_tokens: int


class _HeaderBudget:
    """One ``x-ratelimit-*`` dimension (requests or tokens) as estimated from response headers."""

    def __init__(self) -> None:
        self.remaining: float | None = None  # None = unknown, do not brake
        self.limit: float | None = None  # x-ratelimit-limit-*, the budget of a fresh window
        self.reset_at = 0.0
        self.seq = 0  # ticket whose header the estimate came from; older answers are stale
        self.rollover_seq = 0  # tickets up to this one were sent in a window that has since reset

    def wait_s(self, cost: float, now: float, last_seq: int, in_flight: float) -> float:
        if self.remaining is None:
            return 0.0
        if self.limit is not None:  # a request dearer than a whole window must still go once (the server judges it)
            cost = min(cost, max(self.limit, 1.0))
        if now >= self.reset_at:
            # The window rolled over: start from the full limit if we know it (so a burst after a
            # reset is still capped), and ignore late answers that still describe the old window.
            # Requests still in flight were sent in the old window but may reach the server in the
            # new one and count there, so they are taken off the fresh budget (errs safe).
            # Until an answer from the new window tells us its reset, assume a 1 s window: if no
            # answer ever comes (all time out), we fall back to "limit per second", never stall.
            self.rollover_seq, self.reset_at = last_seq, now + 1.0
            self.remaining = None if self.limit is None else self.limit - in_flight
            if self.remaining is None:
                return 0.0
        if self.remaining < cost:
            return self.reset_at - now
        self.remaining -= cost
        return 0.0

    def update(self, remaining: str | None, reset: str | None, limit: str | None, later: float, now: float,
               seq: int) -> None:
        # An answer older than the current estimate, or from before the last reset, is stale.
        if remaining is None or seq < self.seq or seq <= self.rollover_seq:
            return
        try:
            rem = float(remaining)
            self.limit = float(limit) if limit is not None else self.limit
        except ValueError:
            return
        reset_s = parse_reset(reset)
        self.remaining, self.seq = rem - later, seq
        # No reset header: assume the shortest common window so we never stall for long.
        self.reset_at = now + (reset_s if reset_s is not None else 1.0)


class RateLimiter:
    """All client-side brakes of one teacher; safe to share across threads and event loops."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None):
        self._lock = threading.Lock()
        # One second's worth of budget (see module docstring), at least one request.
        self._req = TokenBucket(rpm / 60.0, max(1.0, rpm / 60.0)) if rpm else None
        self._tok = TokenBucket(tpm / 60.0, max(1.0, tpm / 60.0)) if tpm else None
        self._hdr_req = _HeaderBudget()
        self._hdr_tok = _HeaderBudget()
        self._seq = 0
        self._sent_tokens: dict[int, int] = {}  # seq -> est tokens of requests in flight
        self.cooldown_until = 0.0
        self._said_until = 0.0  # a long wait is logged once, not once per waiting request

    def _say_long_wait(self, wait: float, now: float) -> None:
        if wait >= LONG_WAIT_S and now >= self._said_until:
            self._said_until = now + wait
            why = "a 429's cool-down" if self.cooldown_until > now else "the server's rate-limit budget (x-ratelimit-reset)"
            log.warning("rate limit: requests wait %.0f s for %s; the run goes on when it is over", wait, why)

    async def acquire(self, est_tokens: int) -> Ticket:
        """Wait until a request of ``est_tokens`` may be sent; bucket reservations are made once."""
        with self._lock:
            now = time.monotonic()
            wait = 0.0
            if self._req is not None:
                wait = max(wait, self._req.reserve(1, now))
            if self._tok is not None:
                wait = max(wait, self._tok.reserve(est_tokens, now))
        if wait > 0:
            await asyncio.sleep(wait)
        while True:  # header budgets and cool-down can be extended by other requests meanwhile
            with self._lock:
                now = time.monotonic()
                wait = max(self.cooldown_until - now, 0.0)
                if wait == 0.0:
                    wait = self._hdr_req.wait_s(1, now, self._seq, len(self._sent_tokens))
                    if wait == 0.0:
                        wait = self._hdr_tok.wait_s(est_tokens, now, self._seq, sum(self._sent_tokens.values()))
                        if wait > 0 and self._hdr_req.remaining is not None:
                            self._hdr_req.remaining += 1  # give back: we did not send
                if wait == 0.0:
                    self._seq += 1
                    self._sent_tokens[self._seq] = est_tokens
                    return Ticket(self._seq, est_tokens)
                self._say_long_wait(wait, now)
            await asyncio.sleep(wait)

    def observe(self, ticket: Ticket, headers, used_tokens: int | None = None) -> None:
        """Update estimates from a response's ``x-ratelimit-*`` headers (a mapping with lower-case
        keys, see :func:`ratelimit_headers`); release the ticket."""
        with self._lock:
            now = time.monotonic()
            self._sent_tokens.pop(ticket.seq, None)
            if used_tokens is not None and self._tok is not None:
                self._tok.adjust(ticket.est_tokens - used_tokens)  # refund/charge against what reserve() took
            if not headers:  # the common case for servers that send none: nothing to estimate
                return
            # Any other request still in flight may not be in this header's count yet: the server
            # can take them in another order than we sent them. Subtracting them all errs safe.
            later = list(self._sent_tokens.values())
            for dim, budget, pending in (("requests", self._hdr_req, len(later)),
                                         ("tokens", self._hdr_tok, sum(later))):
                budget.update(headers.get(f"x-ratelimit-remaining-{dim}"), headers.get(f"x-ratelimit-reset-{dim}"),
                              headers.get(f"x-ratelimit-limit-{dim}"), pending, now, ticket.seq)

    def release(self, ticket: Ticket) -> None:
        """Forget a ticket whose request got no response (timeout, connection error)."""
        with self._lock:
            self._sent_tokens.pop(ticket.seq, None)

    def cool_down(self, seconds: float) -> None:
        """Hold every sender for ``seconds`` (after a 429)."""
        with self._lock:
            self.cooldown_until = max(self.cooldown_until, time.monotonic() + seconds)
