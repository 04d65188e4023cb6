"""Console of ``factory run``: our progress lines and tables on the terminal, everything else in a log file.

    >>> import tempfile, pathlib
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "run.log"
    >>> with Console(log) as c:
    ...     print("third-party noise")                                   # -> log file only
    ...     logging.getLogger("factory.pipeline").info("progress")       # -> terminal and log file
    ...     print("a table", file=c.out)                                 # -> terminal only
    >>> "third-party noise" in log.read_text() and "progress" in log.read_text()
    True

Third-party output (Ray's C++ core, Ray Train's controller, transformers/TRL metric dicts, tqdm bars,
math-verify warnings) arrives by every route: Python logging, ``print`` in this process, Ray's
``log_to_driver`` forwarding of worker output (printed to ``sys.stdout``/``sys.stderr`` of the driver),
and raw writes to file descriptors 1 and 2 by C++ code and child processes (raylet, GCS). So the file
descriptors themselves point at the log file while a run lasts, and the terminal is reached through
duplicates of the original ones. A line reaches the terminal when it is a record of our own loggers
(``factory``, ``students``, ...) at INFO or above, from this process or forwarded from a Ray worker
that formats records the same way (:func:`ground.progress.worker_logging`). ``ray job submit`` captures the driver's
original stdout/stderr, so job logs show the same lines a terminal does.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from pathlib import Path

from ground.progress import FORMAT, OURS

#: one of our records, possibly forwarded by Ray from a worker: "(RayTrainWorker pid=12) 01:02:03 INFO students.train: ..."
OUR_LINE = re.compile(r"^(?:\x1b\[\d+m)?(?:\([^)]*pid=\d+[^)]*\)(?:\x1b\[0m)? )?\d\d:\d\d:\d\d (?:INFO|WARNING|ERROR|CRITICAL) "
                      rf"(?:{'|'.join(OURS)})[.:]")
ANSI = re.compile(r"\x1b\[[\d;]*m")  # Ray colours the "(RayTrainWorker pid=..)" prefix


class _OursOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".", 1)[0] in OURS


class _Router:
    """A text stream for ``sys.stdout``/``sys.stderr``: every line to the log, our records also to the console."""

    def __init__(self, log, console):
        self.log, self.console, self._buf = log, console, ""

    def write(self, s: str) -> int:
        self._buf += s
        *lines, self._buf = self._buf.split("\n")
        for line in lines:
            try:
                self.log.write(line + "\n")
            except (OSError, ValueError):  # a full disk (or a closed log) must not break the run: the terminal still shows ours
                pass
            if OUR_LINE.match(line) and not self.console.closed:
                self.console.write(ANSI.sub("", line) + "\n")
        return len(s)

    def flush(self) -> None:
        for f in (self.log, self.console):
            try:
                if not f.closed:
                    f.flush()
            except OSError:  # the log's disk is full: the run's own error still reaches the terminal
                pass

    def isatty(self) -> bool:  # tqdm and Ray pick plain output for a file
        return False

    def fileno(self) -> int:
        return self.log.fileno()

    @property
    def encoding(self) -> str:
        return "utf-8"


class Console:
    """While open: fds 1 and 2, ``sys.stdout``/``sys.stderr`` and the root logger write to ``log_path``;
    ``out``/``err`` reach the terminal; our log records go to both. Everything is restored on exit."""

    def __init__(self, log_path: str | Path, level: int = logging.INFO):
        self.path, self.level = Path(log_path), level

    def __enter__(self) -> "Console":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.path, "a", buffering=1, encoding="utf-8", errors="replace")
        sys.stdout.flush()
        sys.stderr.flush()
        self._saved_fds = {fd: os.dup(fd) for fd in (1, 2)}
        self.out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
        self.err = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
        for fd in (1, 2):
            os.dup2(self.log.fileno(), fd)
        self._saved_streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Router(self.log, self.out), _Router(self.log, self.err)
        root = logging.getLogger()
        self._saved_root = root.level, root.handlers[:]
        to_file = logging.StreamHandler(self.log)
        to_file.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
        to_term = logging.StreamHandler(self.err)
        to_term.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
        to_term.addFilter(_OursOnly())
        root.handlers = [to_file, to_term]
        root.setLevel(self.level)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None and not issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
                self.log.write("".join(traceback.format_exception(exc_type, exc, tb)))
            self.log.flush()
        except OSError:  # a full disk: what the log cannot take is dropped, the run's outcome is not
            self._close_log()
        for s in (sys.stdout, sys.stderr):
            s.flush()
        sys.stdout, sys.stderr = self._saved_streams
        root = logging.getLogger()
        root.setLevel(self._saved_root[0])
        root.handlers = self._saved_root[1]
        for fd, saved in self._saved_fds.items():
            os.dup2(saved, fd)
            os.close(saved)
        for f in (self.out, self.err):
            f.close()
        # the log stays open: handlers that captured the router (Ray's own logger, at import) may still write
        # on the way out (ray.shutdown at exit); those lines belong in the log too. At exit it is closed quietly:
        # a log on a full disk must not turn the run's exit status into the interpreter's flush error (120)
        import atexit

        atexit.register(self._close_log)

    def _close_log(self) -> None:
        try:
            self.log.close()  # closes the file even when its last flush fails
        except OSError:
            pass
