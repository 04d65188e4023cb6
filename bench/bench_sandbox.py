"""Executions/s of trivial programs: the sandbox with every limit on vs bare ``subprocess.run([python, -c])``.

    python bench/bench_sandbox.py            # 200 runs each, sequential and with 2 threads
    python bench/bench_sandbox.py --n 50 --threads 4

Both are measured in the same run on the same machine. The sandbox keeps one forkserver (started
once, its start-up is reported separately and excluded) and per execution forks a monitor that
enters fresh mount/PID/IPC/UTS/network namespaces, mounts a private tmpfs, chroots, sets rlimits,
drops to a fresh uid and runs the code in the already-initialised interpreter. The baseline starts
a whole new interpreter with no isolation at all. Goal: ratio >= 0.8.

The ``split`` line measures one ``code_exec`` check as it runs by default: two jobs (the solution's
and the tests') joined by a data channel, a call and a type-exact comparison, vs the same bare spawn.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ground.sandbox import Limits, Sandbox  # noqa: E402
from verifiers.code_exec import HARNESS  # noqa: E402

PROGRAM = "x = sum(range(100))\nprint(x)"
SOLUTION = "def f(n):\n    return sum(range(n))"
TESTS = "assert f(100) == 4950\n"


def rate(fn, n: int, threads: int) -> float:
    t0 = time.perf_counter()
    if threads == 1:
        for _ in range(n):
            fn()
    else:
        with cf.ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda _: fn(), range(n)))
    return n / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="executions per measurement")
    ap.add_argument("--threads", type=int, default=2, help="concurrency for the parallel measurement")
    args = ap.parse_args()

    def bare():
        p = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True)
        assert p.returncode == 0 and p.stdout == b"4950\n"

    sb = Sandbox(Limits(timeout_s=5, cpu_s=5, memory_mb=512, max_processes=16, max_output_bytes=1_000_000,
                        disk_mb=16, network="deny"), harness=HARNESS)
    t0 = time.perf_counter()
    first = sb.run([("<solution>", PROGRAM)])
    startup = time.perf_counter() - t0
    assert first.passed and first.stdout == "4950\n", first
    print(f"isolation: {sb.capabilities}")
    print(f"forkserver start-up + first run: {startup * 1000:.0f} ms (once per verifier instance)")

    def ours():
        r = sb.run([("<solution>", PROGRAM)])
        assert r.passed and r.stdout == "4950\n", r

    def split():
        r = sb.run_split([("<solution>", SOLUTION)], [("<tests>", TESTS)])
        assert r.passed, r

    try:
        for threads in (1, args.threads):
            b = rate(bare, args.n, threads)
            s = rate(ours, args.n, threads)
            p = rate(split, args.n, threads)
            print(f"threads={threads}: bare subprocess {b:7.1f}/s  sandbox (all limits) {s:7.1f}/s  ratio {s / b:.2f}x"
                  f"  | split check (2 jobs) {p:7.1f}/s  ratio {p / b:.2f}x")
    finally:
        sb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
