"""kill -9 of the driver at 10 random points of a generation run, then resume; compare with an uninterrupted run.
Then SIGTERM at random points: seconds from the signal to the process exit (exit code 130 expected).

    python bench/fault_kill9.py [--kills 10] [--sigterms 5] [--limit 24] [--seed 0]

Teacher: the deterministic local HTTP server (tests/faults/fault_server.py, no faults, 0.15 s latency).
Prints: faults survived / injected, whether the resumed dataset is identical (row ids and contents), and
teacher calls repeated after resume (answers the server gave more than once for one request key).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.fault_server import FaultInjectingServer  # noqa: E402
from tests.integration.test_faults import dataset, start_run, write_recipe  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--limit", type=int, default=24)
    ap.add_argument("--sigterms", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with FaultInjectingServer(mode="process", latency_s=0.15) as srv, tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        t0 = time.time()
        p = start_run(write_recipe(tmp, srv.base_url, tmp / "ref", a.limit), tmp)
        p.communicate()
        ref_s = time.time() - t0
        ref = dataset(tmp / "ref")
        srv.reset_stats()
        recipe = write_recipe(tmp, srv.base_url, tmp / "out", a.limit)
        killed, points = 0, []
        for _ in range(a.kills):
            p = start_run(recipe, tmp)
            t = rng.uniform(2, ref_s)
            time.sleep(t)
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                killed += 1
                points.append(round(t, 1))
            p.wait()
        p = start_run(recipe, tmp)
        _, err = p.communicate()
        ok = p.returncode == 0 and dataset(tmp / "out") == ref
        st = srv.stats()
        repeated = sum(n - 1 for n in st["ok_by_key"].values() if n > 1)
        print(f"uninterrupted run: {ref_s:.1f}s, {len(ref)} rows")
        print(f"kill -9 points (s after start): {points}")
        print(f"faults survived: {killed if ok else 0}/{killed}; resumed dataset identical: {ok}")
        print(f"teacher answers: {sum(st['ok_by_key'].values())} for {len(st['ok_by_key'])} keys; repeated after kills: {repeated}")

        # SIGTERM (what `ray job stop`, Kubernetes and batch schedulers send): how fast does a run stop?
        recipe = write_recipe(tmp, srv.base_url, tmp / "term", a.limit)
        stops, codes = [], []
        for _ in range(a.sigterms):
            p = start_run(recipe, tmp)
            time.sleep(rng.uniform(2, ref_s))
            if p.poll() is not None:
                p.communicate()
                continue
            t1 = time.time()
            p.send_signal(signal.SIGTERM)
            p.communicate()
            stops.append(time.time() - t1)
            codes.append(p.returncode)
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the stopped driver's in-process Ray, if anything is left
            except ProcessLookupError:
                pass
        p = start_run(recipe, tmp)
        p.communicate()
        same = p.returncode == 0 and dataset(tmp / "term") == ref
        if stops:
            print(f"SIGTERM: {len(stops)} stops, seconds to exit min {min(stops):.1f} / median {sorted(stops)[len(stops) // 2]:.1f}"
                  f" / max {max(stops):.1f}; exit codes {sorted(set(codes))}; resumed dataset identical: {same}")


if __name__ == "__main__":
    main()
