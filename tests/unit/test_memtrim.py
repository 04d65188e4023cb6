"""ground.memtrim: freed heap pages go back to the OS; the local cluster's workers get the trimmer and the
system Arrow allocator (ground.raycluster), and a variable the user set wins."""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading

import pytest

from ground import memtrim, raycluster

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")

# 100 MiB in 2 KiB blocks from the C heap, all freed but the last one, which pins the heap's top: glibc then
# cannot shrink the heap by itself, and the freed pages stay resident until malloc_trim(0)
PINNED_HEAP = """
import ctypes, sys
sys.path.insert(0, {repo!r})
from ground import memtrim
libc = ctypes.CDLL("libc.so.6"); libc.malloc.restype = ctypes.c_void_p; libc.free.argtypes = [ctypes.c_void_p]
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096 >> 20
base = rss()
blocks = [libc.malloc(2048) for _ in range(51200)]
for b in blocks:
    ctypes.memset(b, 1, 2048)
for b in blocks[:-1]:
    libc.free(b)
held = rss()
ran = memtrim.trim()
print(base, held, rss(), ran)
"""


def test_trim_hands_freed_pages_back():
    repo = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", PINNED_HEAP.format(repo=repo)], capture_output=True, text=True, check=True).stdout.split()
    base, held, after, ran = int(out[0]), int(out[1]), int(out[2]), out[3]
    assert ran == "True"
    assert held - base >= 90  # the freed blocks are still resident before the trim
    assert after - base <= 20  # and gone after it


def test_one_trimmer_thread_per_process():
    assert memtrim.start_trimmer(interval_s=3600) is True
    assert memtrim.start_trimmer(interval_s=3600) is True
    assert [t.name for t in threading.enumerate()].count("memtrim") == 1


def test_local_workers_get_the_hook_and_the_system_arrow_pool(monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    env = raycluster._local_runtime_env()
    assert env["env_vars"]["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    assert env["env_vars"]["OMP_WAIT_POLICY"] == "PASSIVE"
    mod, fn = env["worker_process_setup_hook"].rsplit(".", 1)
    assert getattr(importlib.import_module(mod), fn) is memtrim.worker_setup
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")  # the user's choice is left alone
    assert "ARROW_DEFAULT_MEMORY_POOL" not in raycluster._local_runtime_env()["env_vars"]


def test_local_cluster_keeps_enough_idle_workers():
    """Ray's default keeps `cpus` idle workers and kills the rest after 1 s: the zero-CPU stages beside the actor
    pools then start a new worker process for nearly every task on a small machine."""
    assert raycluster._system_config(2) == {"worker_niceness": 0, "num_workers_soft_limit": 16}
    assert raycluster._system_config(64)["num_workers_soft_limit"] == 64
