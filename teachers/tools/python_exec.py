"""``python``: run the model's Python code in the sandbox and return what it printed (a code interpreter).

    >>> from teachers.tools.python_exec import PythonExec
    >>> py = PythonExec()
    >>> py.run(None, code="print(sum(range(10)))")
    {'stdout': '45\\n', 'stderr': '', 'exit': 0}
    >>> py.close()

Each call is a fresh process in :class:`ground.sandbox.Sandbox` (the one ``code_exec`` uses): no
network, a scrubbed environment (no secrets of the worker), a private ``/tmp``, and limits on wall
time, memory, processes and output. Calls share nothing: a variable set in one call is gone in the
next, so a trace replays call by call (``tool_calls``). An uncaught exception is a normal result
(``exit`` 1, the traceback in ``stderr``), as in any interpreter; a timeout, a memory, CPU or process
limit, or a sandbox failure is a :class:`~teachers.tools.base.ToolError`, which the model sees as the
tool message ``{"error": ...}``. Output past ``max_output_bytes`` stops the program: what it printed
until then comes back, with a note at the end of ``stderr``.

The limits are constructor arguments (``PythonExec(timeout_s=5)``); the registry's instance uses the
defaults: 10 s, 512 MiB, 16 KiB of output. The forkserver starts on the first call, once per tool
instance and process (a Ray worker starts its own: the tool pickles without it).
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from ground.sandbox import Limits, Sandbox
from teachers.tools.base import Tool, ToolError

#: sandbox outcomes that are the program's own end (exit code and output), not a failed call
_FINISHED = {"ok", "error", "syntax_error", "early_exit"}


class PythonExec(Tool):
    name = "python"
    description = (
        "Runs Python 3 code in a fresh sandboxed process (standard library only, no network, no files kept "
        "between calls) and returns its stdout, stderr and exit code. Print what you want to see."
    )
    parameters = {
        "type": "object",
        "properties": {"code": {"type": "string", "description": "The Python program to run."}},
        "required": ["code"],
        "additionalProperties": False,
    }
    _start_lock: ClassVar[threading.Lock] = threading.Lock()  # the batch's loop threads share one instance

    def __init__(self, timeout_s: float = 10.0, memory_mb: int = 512, max_output_bytes: int = 16384):
        super().__init__()
        # cpu_s above timeout_s: the wall clock stops a busy loop first, with one reason ("timeout after Ns")
        self.limits = Limits(timeout_s=timeout_s, cpu_s=timeout_s + 1, memory_mb=memory_mb,
                             max_output_bytes=max_output_bytes, network="deny")
        self._sandbox: Sandbox | None = None

    def __getstate__(self) -> dict:
        d = super().__getstate__()
        d["_sandbox"] = None  # a forkserver is per process
        return d

    def run(self, state: Any, code: str) -> dict:
        with self._start_lock:
            if self._sandbox is None:
                self._sandbox = Sandbox(self.limits)
        r = self._sandbox.run([("<python>", code)], exit_ok=True)
        if r.status == "output_limit":
            note = f"[output limit: the program was stopped after {self.limits.max_output_bytes} bytes of output]"
            return {"stdout": r.stdout, "stderr": (r.stderr + "\n" + note).lstrip("\n"), "exit": None}
        if r.status not in _FINISHED:
            raise ToolError(r.reason)
        if r.exc_type == "SystemExit":  # sys.exit(n): the code n, as python would exit; sys.exit("msg"): 1
            code = (r.exc_msg or "").strip()
            if code.lstrip("-").isdigit():
                return {"stdout": r.stdout, "stderr": r.stderr, "exit": int(code)}
            return {"stdout": r.stdout, "stderr": r.stderr + code + "\n", "exit": 1}
        return {"stdout": r.stdout, "stderr": r.stderr, "exit": 0 if r.status == "ok" else (r.returncode or 1)}

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
