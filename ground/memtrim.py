"""Give freed heap memory back to the OS in long-lived processes (the driver, Ray workers), on glibc.

    >>> from ground.memtrim import start_trimmer, trim
    >>> trim() in (True, False)             # False where there is no glibc (macOS, musl): then a no-op
    True
    >>> start_trimmer(interval_s=10.0)      # a daemon thread calling malloc_trim(0) every 10 s (idempotent)

Why: glibc's malloc keeps freed pages in its arenas (one per thread, and Ray's C++ core runs many threads).
A driver that ran Ray Data jobs of 500 blocks kept ~7 MiB more after each job, although Python's own heap
stayed flat (tracemalloc); with ``malloc_trim(0)`` every 10 s it kept ~1 MiB. Over a run of 1M rows that
retention was most of the driver's growth (bench/bench_scale.py). Dask trims its workers for the same reason.
A periodic trim is used rather than glibc's ``MALLOC_TRIM_THRESHOLD_`` (trim on every large free), which cost
more CPU in the same bench.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None
_libc = None


def _malloc_trim():
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _libc = False
    return _libc.malloc_trim if _libc else None


def trim() -> bool:
    """One ``malloc_trim(0)``: free pages of every arena go back to the OS. True when it ran (glibc)."""
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True


def start_trimmer(interval_s: float = 10.0) -> bool:
    """Trim every ``interval_s`` seconds in a daemon thread of this process, once per process. Returns
    whether a trimmer runs (False without glibc)."""
    global _thread
    if _malloc_trim() is None:
        return False
    with _lock:
        if _thread is None or not _thread.is_alive():
            stop = threading.Event()
            _thread = threading.Thread(target=_loop, args=(stop, interval_s), name="memtrim", daemon=True)
            _thread.start()
    return True


def _loop(stop: threading.Event, interval_s: float) -> None:
    while not stop.wait(interval_s):
        trim()


def worker_setup() -> None:
    """Ray's ``worker_process_setup_hook`` for the local cluster: a trimmer in each worker."""
    start_trimmer()
