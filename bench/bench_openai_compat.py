"""Orchestration overhead of ``openai_compat``: our engine vs a bare asyncio + httpx loop.

    python bench/bench_openai_compat.py                    # 10 rounds of 500 requests, concurrency 16
    python bench/bench_openai_compat.py -n 5000 --concurrency 64 --rounds 5

Both clients hit the same local FaultInjectingServer (0% faults, raw asyncio HTTP/1.1) running in
its own process so it does not share the client's GIL, in the same run, in pairs whose
order alternates (bare+ours, ours+bare, ...) so that drift in machine load hits both alike. The bare loop is
what the engine must beat or match: one ``httpx.AsyncClient`` per batch with the same connection
limits, ``concurrency`` workers pulling from the batch, POST, ``resp.json()``, take the content.
Ours adds the rate limiter, per-attempt deadline, header parsing, reasoning split and the
``GenResult``. Goal: ours / bare >= 0.95 (median rows/s over the rounds). Because wall-clock rows/s
swings with whatever else runs on the machine, the script also prints client CPU time per row for
both: the overhead we add is the difference of those two, and it is far steadier than rows/s.

Is the server the bottleneck? The script reads the server's CPU time from /proc and prints its
utilisation next to the client's: when the client sits near one full core and the server well
below, the client side is what is measured (and a slower client would show as a lower ratio).
Note that httpx itself slows down as concurrency grows (its connection pool scans every connection
per request: encode/httpx#3215), for the bare loop and for us alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from teachers.base import GenRequest, SamplingParams  # noqa: E402
from teachers.openai_compat import OpenAICompatTeacher  # noqa: E402
from tests.faults.fault_server import FaultInjectingServer  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_requests(n: int, tag: str) -> list[GenRequest]:
    return [GenRequest(f"{tag}{i}", [{"role": "user", "content": f"{tag} question {i}"}], SamplingParams(max_tokens=64))
            for i in range(n)]


async def bare_loop(base_url: str, model: str, requests: list[GenRequest], concurrency: int) -> list[str]:
    """The baseline: the least code that sends the same bodies with the same concurrency."""
    out: list[str] = [""] * len(requests)
    work = iter(range(len(requests)))
    url = base_url + "/chat/completions"
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient):
        for i in work:
            r = requests[i]
            p = r.params
            body = {"model": model, "messages": r.messages, "temperature": p.temperature, "top_p": p.top_p,
                    "max_tokens": p.max_tokens, "seed": p.seed}
            resp = await client.post(url, json=body)
            out[i] = resp.json()["choices"][0]["message"]["content"]

    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60)) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return out


def measure(fn, server_pid: int) -> tuple[float, float, float]:
    """(seconds, client CPU seconds, server CPU seconds)."""
    s0, c0, t0 = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0, cpu_seconds(server_pid) - s0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=500, help="requests per run")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=10, help="pairs of runs (bare, ours), order alternating")
    args = ap.parse_args(argv)

    with FaultInjectingServer(mode="process") as srv:
        teacher = OpenAICompatTeacher("bench", "m", base_url=srv.base_url, concurrency=args.concurrency,
                                      max_retries=0, timeout_s=60)
        # Warm-up (imports, first connections) outside the measurement.
        asyncio.run(bare_loop(srv.base_url, "m", make_requests(50, "w"), args.concurrency))
        teacher.generate(make_requests(50, "w"))
        rows: dict = {"bare": [], "ours": []}
        cpu: dict = {"bare": [], "ours": []}
        pair_ratios = []
        for rnd in range(args.rounds):
            reqs = make_requests(args.n, f"r{rnd}-")
            got: dict = {}
            runs = {"bare": lambda: got.__setitem__("bare", asyncio.run(
                        bare_loop(srv.base_url, "m", reqs, args.concurrency))),
                    "ours": lambda: got.__setitem__("ours", teacher.generate(reqs))}
            # Alternate who goes first so that load drift within a pair does not favour one side.
            for name in (("bare", "ours") if rnd % 2 == 0 else ("ours", "bare")):
                dt, ccpu, scpu = measure(runs[name], srv.pid)
                rows[name].append(args.n / dt)
                cpu[name].append(ccpu / args.n * 1e6)
                print(f"round {rnd} {name:4s}: {args.n / dt:7.0f} rows/s  {ccpu / args.n * 1e6:6.0f} client CPU us/row"
                      f"  (client busy {ccpu / dt:.0%}, server busy {scpu / dt:.0%} of one core)")
            pair_ratios.append(rows["ours"][-1] / rows["bare"][-1])
            errors = sum(1 for r in got["ours"] if r.error)
            same = sum(a == b.text for a, b in zip(got["bare"], got["ours"]))
            if errors or same != args.n:
                print(f"  ! ours: {errors} errors, {same}/{args.n} answers equal to the bare loop's")
                return 1
    bare, ours = statistics.median(rows["bare"]), statistics.median(rows["ours"])
    cb, co = statistics.median(cpu["bare"]), statistics.median(cpu["ours"])
    print(f"\nmedian rows/s: bare asyncio+httpx {bare:.0f}, openai_compat {ours:.0f}; best: bare "
          f"{max(rows['bare']):.0f}, ours {max(rows['ours']):.0f}")
    print(f"median client CPU us/row: bare {cb:.0f}, openai_compat {co:.0f} (our overhead {co - cb:+.0f} us/row)")
    print(f"ratio ours/bare: {statistics.median(pair_ratios):.3f}x rows/s (median of paired runs), "
          f"{max(rows['ours']) / max(rows['bare']):.3f}x best-vs-best, {cb / co:.3f}x by CPU per row")
    print(f"goal >= 0.95x; n={args.n}, concurrency={args.concurrency}, cpus={os.cpu_count()}, "
          f"load avg {os.getloadavg()[0]:.1f} (other work on the machine makes rows/s noisy; CPU/row is steadier)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
