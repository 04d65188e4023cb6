"""Memory probes for bench/bench_scale.py: per-process peak RSS over the driver's process tree, Ray's store stats.

    >>> import os, time
    >>> with RssMonitor(os.getpid(), interval_s=0.1) as mon:
    ...     time.sleep(0.3)
    >>> mon.report()["driver"]["peak_rss_mib"] > 0
    True

A local Ray cluster started by ``ray.init`` is a subtree of the driver (gcs_server, raylet, and the raylet's
workers), so polling the tree every 0.5 s sees every Ray process, including workers that come and go. The
driver is measured in its own right: nothing stands in for it. RSS is sampled, so a spike shorter than the
interval can be missed; the figures are lower bounds of the true peaks.
"""

from __future__ import annotations

import re
import threading
import time

import psutil

MIB = 1024 * 1024


class RssMonitor:
    """Polls RSS of ``root`` and all its descendants (minus ``exclude`` pids) in a daemon thread. A process is
    named by its last busy title: a Ray worker that ran a stage and went idle is charged to that stage."""

    def __init__(self, root: int, interval_s: float = 0.5, exclude: tuple[int, ...] = ()):
        self.root, self.interval_s, self.exclude = root, interval_s, set(exclude)
        self.peak: dict[int, tuple[int, str]] = {}  # pid -> (peak rss bytes, process title at that peak)
        self.anon: dict[int, int] = {}  # pid -> peak private memory (RSS minus shared pages), bytes
        self.roles: dict[int, str] = {}  # pid -> its last title that was not "ray::IDLE" (idle workers keep their heap)
        self.peak_total = 0
        self.samples = 0
        self.cpu_base: dict[int, float] = {}  # pid -> CPU seconds it had used when first seen (0 for a process born later)
        self.cpu_last: dict[int, float] = {}  # pid -> CPU seconds at its last sample
        self._first = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="RssMonitor")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.sample()  # the CPU time up to the end

    def cpu_seconds(self) -> dict:
        """CPU seconds (user + system) the tree used while monitored: ours (driver, Ray processes) and the excluded
        processes (the stub server) apart. A process that ended between samples loses its last interval: a lower bound."""
        used = {pid: self.cpu_last[pid] - self.cpu_base.get(pid, 0.0) for pid in self.cpu_last}
        kinds: dict[str, float] = {}
        for pid, v in used.items():  # a reused worker is charged to its last role
            k = "driver" if pid == self.root else "excluded" if pid in self.exclude else kind_of(self.roles.get(pid, "?"))
            kinds[k] = kinds.get(k, 0.0) + v
        return {"tree": round(sum(v for pid, v in used.items() if pid not in self.exclude), 2),
                "excluded": round(sum(v for pid, v in used.items() if pid in self.exclude), 2),
                "by_kind": {k: round(v, 2) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 0.5}}

    def _title(self, p: psutil.Process) -> str:
        try:  # Ray workers set their title to the task or actor they run ("ray::MapWorker(...)")
            cmd = " ".join(p.cmdline()) or p.name()
        except psutil.Error:
            cmd = "?"
        return cmd[:120]

    def sample(self) -> None:
        try:
            root = psutil.Process(self.root)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for p in procs:
            try:
                ct = p.cpu_times()
                self.cpu_last[p.pid] = ct.user + ct.system
                self.cpu_base.setdefault(p.pid, self.cpu_last[p.pid] if self._first else 0.0)
            except psutil.Error:
                pass
            if p.pid in self.exclude:
                continue
            try:
                mi = p.memory_info()
            except psutil.Error:
                continue
            rss = mi.rss
            # RSS counts the pages of Ray's shared object store a worker has touched (RssShmem): on a long run
            # that alone reached 550 MiB in one actor; rss - shared is its private memory (RssAnon)
            self.anon[p.pid] = max(self.anon.get(p.pid, 0), rss - mi.shared)
            total += rss
            title = self._title(p)
            if not title.startswith("ray::IDLE"):
                self.roles[p.pid] = title
            if rss > self.peak.get(p.pid, (0, ""))[0]:
                self.peak[p.pid] = (rss, title)
        self.peak_total = max(self.peak_total, total)
        self.samples += 1
        self._first = False

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def report(self, top: int = 8) -> dict:
        """Driver peak, the largest other processes (pid, title, peak), the peak of the tree's total."""
        others = sorted(((rss, pid, self.roles.get(pid, t)) for pid, (rss, t) in self.peak.items() if pid != self.root), reverse=True)
        drv = self.peak.get(self.root, (0, ""))[0]
        return {
            "driver": {"pid": self.root, "peak_rss_mib": round(drv / MIB, 1)},
            "max_other": ({"pid": others[0][1], "title": others[0][2], "peak_rss_mib": round(others[0][0] / MIB, 1)} if others else None),
            "top_processes": [{"pid": pid, "title": t, "peak_rss_mib": round(rss / MIB, 1), "peak_private_mib": round(self.anon.get(pid, 0) / MIB, 1)}
                              for rss, pid, t in others[:top]],
            "driver_peak_private_mib": round(self.anon.get(self.root, 0) / MIB, 1),
            "max_private": max(({"pid": pid, "title": self.roles.get(pid, self.peak.get(pid, (0, "?"))[1]), "peak_private_mib": round(b / MIB, 1)}
                                for pid, b in self.anon.items() if pid != self.root), key=lambda d: d["peak_private_mib"], default=None),
            "by_kind": by_kind(others),
            "processes_seen": len(self.peak),
            "peak_total_rss_mib": round(self.peak_total / MIB, 1),
            "samples": self.samples,
            "cpu_seconds": self.cpu_seconds(),
        }


def kind_of(title: str) -> str:
    """A process's role from its title: ``ray::MapWorker(MapBatches(GenerateUDF))`` -> that, raylet, gcs_server..."""
    m = re.match(r"(ray::\S+)", title)
    if m:
        return m.group(1)
    for k in ("raylet", "gcs_server", "dashboard", "log_monitor", "runtime_env", "default_worker"):
        if k in title:
            return k
    return title.split(" ")[0].rsplit("/", 1)[-1][:40]


def by_kind(others: list[tuple[int, int, str]]) -> dict[str, float]:
    """Largest peak (MiB) per process role: which stage holds memory."""
    out: dict[str, float] = {}
    for rss, _, t in others:
        k = kind_of(t)
        out[k] = max(out.get(k, 0.0), round(rss / MIB, 1))
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def object_store_stats() -> dict:
    """Ray's object store figures for this cluster (``ray memory --stats-only``'s text, parsed)."""
    try:
        import ray
        from ray._private.internal_api import memory_summary

        text = memory_summary(address=ray.get_runtime_context().gcs_address, stats_only=True)
    except Exception as e:  # noqa: BLE001 - an internal API of Ray: record why the figures are missing
        return {"error": f"{type(e).__name__}: {e}"[:200]}

    def grab(pattern: str) -> float | None:
        m = re.search(pattern, text)
        return float(m.group(1)) if m else None

    return {"spilled_mib": grab(r"Spilled (\d+(?:\.\d+)?) MiB") or 0.0, "restored_mib": grab(r"Restored (\d+(?:\.\d+)?) MiB") or 0.0,
            "plasma_used_mib": grab(r"Plasma memory usage (\d+(?:\.\d+)?) MiB"),
            "raw": " | ".join(line.strip() for line in text.splitlines() if line.strip())[:600]}
