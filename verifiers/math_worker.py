"""math-verify in a child process that a timeout kills, for :mod:`verifiers.math_answer`.

    >>> from verifiers.math_worker import symbolic_equal
    >>> symbolic_equal("72", "\\\\frac{144}{2}", timeout_s=60)
    True

sympy can take unbounded time and memory on a short answer (``9^{9^{9^{9}}}`` is 40 characters), and a
thread cannot be stopped: an abandoned one keeps a core and grows until the process is killed for
memory. So the comparison runs in one child interpreter per process (``python -m verifiers.math_worker``,
JSON lines over pipes; started on first use, reused after),
under an address-space limit (``MEMORY_LIMIT``: past it sympy gets MemoryError, not the host). A call
that outlives its timeout kills the child; the next call starts a fresh one. Calls are serialised with
a lock (one child). :func:`symbolic_equal` returns True/False, or a one-line reason string when the
comparison gave up (timeout, error in the child).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

MEMORY_LIMIT = 4 << 30  # bytes of address space for the child
START_TIMEOUT_S = 120.0  # importing sympy in a fresh child on a loaded machine

_LOCK = threading.Lock()
_CHILD: dict[str, Any] = {}
#: starts every child: PR_SET_PDEATHSIG fires when the *thread* that started the child ends, so a child started by a
#: short-lived thread (a pool's, a request's) was killed with it, maybe in the middle of another thread's call
_SPAWNER = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="math-verify-spawner")


def _after_fork() -> None:
    """A forked process has no spawner thread (its executor would wait for ever) and no child of its own."""
    global _LOCK, _SPAWNER
    _LOCK, _SPAWNER = threading.Lock(), concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="math-verify-spawner")
    _CHILD.clear()


os.register_at_fork(after_in_child=_after_fork)


def compare(gold: str, pred: str, gold_latex: bool, pred_latex: bool) -> bool:
    """math-verify's equality of two answers (runs in the child; ``*_latex``: read that side as LaTeX)."""
    from math_verify import parse, verify

    g = parse(f"${gold}$" if gold_latex else gold, parsing_timeout=None)
    p = parse(f"${pred}$" if pred_latex else pred, parsing_timeout=None)
    return bool(g) and bool(p) and verify(g, p, timeout_seconds=None)


def _serve() -> None:  # pragma: no cover - runs in the child: one JSON request per stdin line, one reply per line
    import logging
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    try:  # Linux: die with the parent, so a runaway sympy call never outlives the process that asked
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    logging.disable(logging.WARNING)  # math-verify's "Timeout is disabled": the parent times it
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies on the pipe
    compare("1", "1", False, False)  # import and warm up before saying ready
    out.write('["ready", null]\n')
    out.flush()
    for line in sys.stdin:
        try:
            reply = ["ok", compare(*json.loads(line))]
        except BaseException as e:  # noqa: BLE001 - MemoryError, RecursionError, sympy's own
            reply = ["error", type(e).__name__]
        out.write(json.dumps(reply) + "\n")
        out.flush()


def _kill() -> None:
    proc = _CHILD.pop("proc", None)
    if proc is not None:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        for f in (proc.stdin, proc.stdout):
            f.close()


def _read(proc, timeout_s: float) -> list | None:
    """One reply line, or None after ``timeout_s``."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    if not ready:
        return None
    line = proc.stdout.readline()
    if not line:
        raise EOFError("math-verify child exited")
    return json.loads(line)


def _child():
    proc = _CHILD.get("proc")
    if proc is None or proc.poll() is not None:
        _kill()
        # a plain interpreter, not multiprocessing: spawn would re-import the caller's __main__ script
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), *sys.path])}
        proc = _SPAWNER.submit(subprocess.Popen, [sys.executable, "-m", "verifiers.math_worker"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1).result()
        _CHILD["proc"] = proc
        if _read(proc, START_TIMEOUT_S) != ["ready", None]:
            raise RuntimeError("math-verify child did not start")
    return proc


def symbolic_equal(gold: str, pred: str, timeout_s: float, gold_latex: bool = True, pred_latex: bool = True) -> bool | str:
    """True/False, or why the comparison gave up ("timed out after 5s", "MemoryError", "child died ...")."""
    with _LOCK:
        try:
            proc = _child()
            proc.stdin.write(json.dumps([gold, pred, gold_latex, pred_latex]) + "\n")
            proc.stdin.flush()
            reply = _read(proc, timeout_s)
        except (EOFError, OSError, RuntimeError, ValueError) as e:  # the child died (killed for memory, crashed)
            _kill()
            return f"child died ({type(e).__name__})"
        if reply is None:
            _kill()
            return f"timed out after {timeout_s:g}s"
        return reply[1] if reply[0] == "ok" else str(reply[1])


if __name__ == "__main__":  # pragma: no cover
    _serve()
