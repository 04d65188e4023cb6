"""Connect to Ray the one way every layer does: the cluster in ``RAY_ADDRESS``, or a local one started here.

    >>> from ground.raycluster import init_ray
    >>> ray = init_ray()          # idempotent; SIGTERM becomes KeyboardInterrupt (graceful stop)
"""

from __future__ import annotations

import logging
import os
import sys

from ground import memtrim


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


#: tries to start the local node: Ray waits a fixed 30 s for its raylet to register, which a busy machine can miss
START_TRIES = 3


def _start_local(ray, kw: dict, tries: int = START_TRIES):
    """``ray.init(**kw)``, tried again (after a clean shutdown) when the node misses Ray's fixed 30 s start-up
    window: "The current node timed out during startup" on a loaded machine is not a reason to fail a run."""
    for attempt in range(1, tries + 1):
        try:
            return ray.init(**kw)
        except Exception as e:  # noqa: BLE001 - Ray raises a bare Exception for this
            if "timed out during startup" not in str(e) or attempt == tries:
                raise
            logging.getLogger(__name__).warning("Ray's local node did not start within 30 s (busy machine?); try %d of %d", attempt + 1, tries)
            try:
                ray.shutdown()
            except Exception:  # noqa: BLE001 - best effort: the half-started node is torn down
                pass


def _arrow_pool_env() -> dict[str, str]:
    """Arrow's allocator for the local cluster's workers: the system one unless the user chose one.

    Arrow's default (mimalloc) keeps freed pages in per-thread heaps: a long-lived process that reads Parquet
    file after file (the driver's report, a shuffle's map worker) grew by tens of MiB per 100k rows
    (bench/bench_scale.py); glibc hands large buffers back to the OS when they are freed."""
    return {} if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") else {"ARROW_DEFAULT_MEMORY_POOL": "system"}


def _system_config(cpus: int) -> dict:
    """The local cluster's Ray settings. Workers run at normal priority: Ray nices them (15) by default, but in
    the cluster the factory starts for itself they do the real work (generation, training). Up to
    ``max(16, cpus)`` idle workers are kept: Ray's default keeps ``cpus`` and kills the others after 1 s idle,
    and a run's zero-CPU stages (expand, write, shuffles) beside its actor pools need more than that at once,
    so a 2-core run started ~45 worker processes at 100k rows and spent a fifth of its CPU on their start-up
    (bench/bench_scale.py: 27 processes and 22% less CPU with the higher limit)."""
    return {"worker_niceness": 0, "num_workers_soft_limit": max(16, int(cpus))}


def _local_runtime_env() -> dict:
    """The local cluster's workers: passive OpenMP waits, the system Arrow allocator and a heap trimmer
    (:mod:`ground.memtrim`); a variable the user set wins."""
    env = {"OMP_WAIT_POLICY": "PASSIVE", **_arrow_pool_env()}
    return {"env_vars": env, "worker_process_setup_hook": "ground.memtrim.worker_setup"}


def _system_arrow_pool() -> None:
    """The driver's Arrow allocator, as :func:`_arrow_pool_env` (ARROW_DEFAULT_MEMORY_POOL still wins)."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())


def init_ray(num_cpus: int | None = None):
    import signal
    import threading

    import ray

    if not ray.is_initialized():
        addr = os.environ.get("RAY_ADDRESS")
        if addr:
            ray.init(address=addr, logging_level=logging.WARNING)
        else:
            # the dashboard for local runs (as Ray users expect); FACTORY_DASHBOARD=0 turns it off (the test suite)
            dash = os.environ.get("FACTORY_DASHBOARD", "1") != "0"
            ctx = _start_local(ray, dict(num_cpus=num_cpus or os.cpu_count(), include_dashboard=dash, dashboard_host="127.0.0.1",
                                         logging_level=logging.WARNING, configure_logging=False, _system_config=_system_config(num_cpus or os.cpu_count()),
                                         # OpenMP threads that spin while waiting burn a shared CPU without progress (7x slower
                                         # generation seen on a loaded 2-core box); passive waiting costs nothing when idle
                                         runtime_env=_local_runtime_env()))
            if dash and getattr(ctx, "dashboard_url", None):
                logging.getLogger(__name__).info("Ray dashboard: http://%s", ctx.dashboard_url)
    _system_arrow_pool()
    memtrim.start_trimmer()  # the driver too: Ray Data jobs leave freed pages in glibc's arenas
    if threading.current_thread() is threading.main_thread():
        # Ray's C++ failure handler aborts the process on SIGTERM; we want a graceful stop instead:
        # finished chunks stay, the manifest says "interrupted", a re-run resumes.
        signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    ctx = ray.data.DataContext.get_current()
    # Ray Data's per-stage progress bars on a terminal; plain status lines (ours) in `ray job logs` and files
    ctx.enable_progress_bars = sys.stderr.isatty() and not os.environ.get("RAY_JOB_ID")
    ctx.print_on_execution_start = False
    return ray
