"""The run budget (``budget: {usd, calls}``): one small Ray actor per run counts what the teachers spend.

    >>> from factory.budget import start_budget, take
    >>> name = start_budget(ray, recipe.budget, run_id)     # driver; None when the recipe has no budget
    >>> granted, reason = take(name, 16)                    # a generate actor, before a batch of 16 calls

Generate actors on any node ask the named actor before each batch for the calls they are about to make
and report the batch's dollars after it. Once a cap is reached the actor grants nothing more and says why
("budget calls 100 reached"); the rows it refused are marked ``reject_stage="budget"`` and the writer does
not write a chunk that has one, so only whole chunks are kept (their teacher answers are in the request
cache: a re-run does not pay for them again). The caps are run-wide: the counter starts from what the earlier
invocations of the same run recorded in its manifest (``paid.run_total`` dollars, ``paid_calls.run_total``
teacher calls; a killed invocation's up to its last progress line), so a crash-and-resume cycle, or re-running a
run a cap stopped, never spends the cap again; a re-run with a bigger cap continues. Prompt synthesis
(``synthesize:``) and generation take from the same counter (:class:`RunBudget`), so a cap reached during
synthesis stops the run there (its unfinished parts are not written; a re-run continues them).
"""

from __future__ import annotations

BUDGET_STAGE = "budget"
#: the counters' own Ray namespace: a driver started without one (anonymous) and its workers must find the same actor
NAMESPACE = "factory-budget"
_HANDLES: dict = {}  # the driver holds each counter's handle: an actor whose handles are all gone is collected


class BudgetCounter:
    """Caps ``calls`` and ``usd`` for the whole run: ``earlier_calls`` / ``earlier_usd`` are what the run's earlier
    invocations spent; ``used`` / ``spent`` count this invocation."""

    def __init__(self, calls: int | None, usd: float | None, earlier_calls: int = 0, earlier_usd: float = 0.0):
        self.calls, self.usd = calls, usd
        self.earlier_calls, self.earlier_usd = earlier_calls, earlier_usd
        self.used, self.spent, self.reason = 0, 0.0, None

    def _why(self, what: str, cap, earlier) -> str:
        return f"budget {what} {cap:g} reached" + (f" ({earlier:g} by earlier invocations of the run)" if earlier else "")

    def take(self, n: int) -> tuple[int, str | None]:
        """Grant up to ``n`` calls; (granted, why the rest was refused or None)."""
        if self.reason is None and self.usd is not None and self.earlier_usd + self.spent >= self.usd:
            self.reason = self._why("usd", self.usd, round(self.earlier_usd, 8))
        grant = 0 if self.reason else n if self.calls is None else max(0, min(n, self.calls - self.earlier_calls - self.used))
        if grant < n and self.reason is None:
            self.reason = self._why("calls", self.calls, self.earlier_calls)
        self.used += grant
        return grant, self.reason

    def spend(self, usd: float, calls: int = 0) -> None:
        """Dollars spent, and calls made beyond those granted (fallback retries: counted once made)."""
        self.spent += usd
        self.used += calls

    def state(self) -> dict:
        return {"calls": self.used, "usd": round(self.spent, 8), "stopped": self.reason}


def actor_name(run_id: str) -> str:
    import uuid

    return f"factory-budget-{run_id}-{uuid.uuid4().hex[:8]}"  # per run and attempt: a retried attempt starts afresh


def start_budget(ray, budget, run_id: str, earlier_calls: int = 0, earlier_usd: float = 0.0) -> str | None:
    """Start the run's counter actor (named per run) from what earlier invocations spent; returns its name, or
    None without a budget."""
    if budget is None or (budget.calls is None and budget.usd is None):
        return None
    name = actor_name(run_id)
    _HANDLES[name] = ray.remote(num_cpus=0)(BudgetCounter).options(name=name, namespace=NAMESPACE).remote(
        budget.calls, budget.usd, earlier_calls, earlier_usd)
    return name


def budget_state(ray, name: str | None) -> dict | None:
    return None if name is None else ray.get(ray.get_actor(name, namespace=NAMESPACE).state.remote())


def stop_budget(ray, name: str | None) -> None:
    if name is not None and name in _HANDLES:
        ray.kill(_HANDLES.pop(name))


class RunBudget:
    """One invocation's counter, started on first use and shared by the stages that call teachers; ``earlier``:
    (calls, usd) the run's earlier invocations spent (the manifest's ``paid_calls`` / ``paid`` run totals)."""

    def __init__(self, budget, run_id: str, earlier: tuple[int, float] = (0, 0.0)):
        self.budget, self.run_id, self.ray, self.name, self.earlier = budget, run_id, None, None, earlier

    def start(self, ray) -> str | None:
        if self.ray is None:
            self.ray, self.name = ray, start_budget(ray, self.budget, self.run_id, *self.earlier)
        return self.name

    def state(self) -> dict | None:
        return budget_state(self.ray, self.name)

    def stop(self) -> None:
        stop_budget(self.ray, self.name)
        self.ray = self.name = None


def take_rows(name: str, rows: list[dict]) -> tuple[list[dict], str | None]:
    """Ask for one call per request (rows with the same ``request_key`` share one call: the generate step asks
    it once): the rows refused are rejected at stage ``budget``; returns (the granted rows, why some were refused
    or None)."""
    from ground.record import reject

    keys = list(dict.fromkeys(r.get("request_key") for r in rows))
    granted, why = take(name, len(keys))
    ok = set(keys[:granted])
    for r in rows:
        if r.get("request_key") not in ok:
            reject(r, BUDGET_STAGE, f"not generated: {why}")
    return [r for r in rows if r.get("request_key") in ok], (why if granted < len(keys) else None)


def spend_rows(name: str, rows: list[dict], fallback: str | None = None) -> None:
    """Report the teacher cost of the rows a batch generated, and as extra calls the rows the ``fallback``
    teacher answered again (their ``teacher`` column names it now)."""
    paid = [r for r in rows if not r.get("cache_hit")]  # a repeated request's copy shares its first row's call
    extra = 0 if fallback is None else sum(1 for r in paid if r.get("teacher") == fallback)
    spend(name, sum(float(r.get("cost") or 0.0) for r in paid), extra)


def take(name: str, n: int) -> tuple[int, str | None]:
    import ray

    return tuple(ray.get(ray.get_actor(name, namespace=NAMESPACE).take.remote(n)))


def spend(name: str, usd: float, calls: int = 0) -> None:
    import ray

    ray.get(ray.get_actor(name, namespace=NAMESPACE).spend.remote(usd, calls))
