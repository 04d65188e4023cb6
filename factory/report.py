"""The run report: one self-contained ``report.html`` per run directory (inline CSS and SVG, no JS).

    >>> from factory.report import write_report
    >>> write_report("runs/gsm8k_demo/3f2a9c1b7e4d")          # -> 'runs/gsm8k_demo/3f2a9c1b7e4d/report.html'

or from a shell: ``factory report runs/gsm8k_demo/3f2a9c1b7e4d``.

It reads ``manifest.json``, ``stats.json`` and only the columns it plots from ``accepted/`` and
``rejects/``, and shows: the yield funnel (rows in/out per stage), drop reasons, verifier pass rates
(from the ``verdicts`` column), ``tokens_out`` histograms of accepted vs rejected rows, teacher cost
and cost per accepted row, cache hit rate, dedup cluster sizes (``cluster_id``), the training
loss/eval-loss curves (``manifest["train"]["log_history"]``) and the eval table
(``manifest["eval"]["table"]``) when the run has them.

Why no JavaScript and no external assets: the file is opened from object stores, mail attachments
and air-gapped clusters, so it must render offline; a Content-Security-Policy meta tag forbids
every network load and every script, so a regression that adds one shows up as a browser error.
Every plot is an ``<svg class="plot" id="plot-...">`` whose data marks carry ``class="mark"``;
a section without data shows ``<p class="empty" id="plot-...-empty">`` with the reason instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections import Counter
from html import escape

import pyarrow.parquet as pq

from factory.run_schema import check_version
from ground import fsutil
from ground.errors import FactoryError
from factory.report_html import BLUE, CSS, GREEN, ORANGE, RED, columns, empty, hbars, lines, money, pct, table
from factory.stats import reason_class

log = logging.getLogger(__name__)

COLUMNS = ("status", "reject_stage", "reject_reason", "tokens_out", "cost", "cache_hit", "verdicts", "cluster_id", "finish_reason")


# ---------------------------------------------------------------- reading

def _read_rows(fs, run_path: str, kind: str) -> list[dict]:
    rows: list[dict] = []
    for f in fsutil.list_files(fs, fsutil.join(run_path, kind), ".parquet"):
        with fs.open_input_file(f) as fh:
            pf = pq.ParquetFile(fh)
            cols = [c for c in COLUMNS if c in pf.schema_arrow.names]
            rows.extend(pf.read(columns=cols).to_pylist())
    return rows


def load_run(run_dir: str) -> tuple[dict, dict, list[dict]]:
    """(manifest, stats, rows) of a run directory; rows hold only :data:`COLUMNS`."""
    fs, path = fsutil.filesystem(run_dir)
    if not fsutil.exists(fs, fsutil.join(path, "manifest.json")):
        raise FactoryError(f"{run_dir}: not a run directory (no manifest.json)")
    manifest = check_version(fsutil.read_json(fs, fsutil.join(path, "manifest.json")), f"{run_dir}/manifest.json")
    stats_p = fsutil.join(path, "stats.json")
    stats = check_version(fsutil.read_json(fs, stats_p), f"{run_dir}/stats.json") if fsutil.exists(fs, stats_p) else {}
    rows = _read_rows(fs, path, "accepted") + _read_rows(fs, path, "rejects")
    return manifest, stats, rows


# ---------------------------------------------------------------- numbers (pure)

def verifier_rates(rows: list[dict], min_scores: dict[str, float]) -> dict[str, dict]:
    """name -> {checked, passed, unverifiable, rate}; a verdict passes when score >= its min_score."""
    out: dict[str, dict] = {}
    for r in rows:
        try:
            verdicts = json.loads(r.get("verdicts") or "{}")
        except json.JSONDecodeError:
            continue  # a damaged cell must not take the whole report down
        for name, v in (verdicts or {}).items():
            d = out.setdefault(name, {"checked": 0, "passed": 0, "unverifiable": 0})
            score = v.get("score") if isinstance(v, dict) else None
            if score is None:
                d["unverifiable"] += 1
                continue
            d["checked"] += 1
            d["passed"] += score >= min_scores.get(name, 1.0)
    for d in out.values():
        d["rate"] = d["passed"] / d["checked"] if d["checked"] else None
    return out


def histogram(values: list[int], bins: int = 20) -> tuple[list[str], int, int]:
    """Shared bin edges for token lengths: (labels, lo, width); count with :func:`bin_counts`."""
    if not values:
        return [], 0, 1
    lo, hi = min(values), max(values)
    width = max(1, math.ceil((hi - lo + 1) / bins))
    n = math.ceil((hi - lo + 1) / width)
    return [f"{lo + i * width}-{lo + (i + 1) * width - 1}" for i in range(n)], lo, width


def bin_counts(values: list[int], lo: int, width: int, n: int) -> list[int]:
    counts = [0] * n
    for v in values:
        counts[min(n - 1, (v - lo) // width)] += 1
    return counts


def cluster_sizes(rows: list[dict]) -> dict[int, int]:
    """cluster size -> number of clusters of that size (rows sharing a ``cluster_id``)."""
    per = Counter(r["cluster_id"] for r in rows if r.get("cluster_id"))
    return dict(sorted(Counter(per.values()).items()))


def train_curves(train: dict | None) -> dict[str, list[tuple[float, float]]]:
    hist = (train or {}).get("log_history") or []
    out: dict[str, list[tuple[float, float]]] = {"loss": [], "eval_loss": []}
    for h in hist:
        for k in out:
            if isinstance(h, dict) and h.get(k) is not None and h.get("step") is not None:
                out[k].append((float(h["step"]), float(h[k])))
    return {k: sorted(v) for k, v in out.items() if v}


def compute(manifest: dict, stats: dict, rows: list[dict]) -> dict:
    """Everything the page shows, as plain numbers (what the unit tests assert on)."""
    summ = dict(stats.get("summary") or manifest.get("counts") or {})
    acc = [r for r in rows if r.get("status") == "accepted"]
    rej = [r for r in rows if r.get("status") != "accepted"]
    cost = summ.get("cost", sum(r.get("cost") or 0.0 for r in rows))
    hits = summ.get("cache_hits", sum(1 for r in rows if r.get("cache_hit")))
    misses = summ.get("cache_misses", sum(1 for r in rows if r.get("finish_reason") is not None and not r.get("cache_hit")))
    stages = stats.get("stages") or manifest.get("stages") or {}
    drops = sorted(((s, reason, n) for s, v in stages.items() for reason, n in (v.get("dropped") or {}).items()),
                   key=lambda x: -x[2])
    if not drops and rej:  # no stats.json: derive the reasons from the rejected rows themselves
        c = Counter((r.get("reject_stage") or "?", reason_class(r.get("reject_reason"))) for r in rej)
        drops = [(s, reason, n) for (s, reason), n in c.most_common()]
    recipe = manifest.get("recipe") or {}
    min_scores = {v.get("name"): v.get("min_score", 1.0) for v in recipe.get("verifiers") or [] if isinstance(v, dict)}
    lens_acc = [r["tokens_out"] for r in acc if r.get("tokens_out") is not None]
    lens_rej = [r["tokens_out"] for r in rej if r.get("tokens_out") is not None]
    labels, lo, width = histogram(lens_acc + lens_rej)
    return {
        "rows": len(rows), "accepted": len(acc), "rejected": len(rej),
        "funnel": [(s, v.get("in", 0), v.get("out", 0)) for s, v in stages.items()],
        "drops": drops,
        "verifiers": verifier_rates(rows, min_scores),
        "lengths": {"labels": labels, "accepted": bin_counts(lens_acc, lo, width, len(labels)),
                    "rejected": bin_counts(lens_rej, lo, width, len(labels))},
        "cost": cost, "cost_per_accepted": (cost / len(acc)) if acc and cost is not None else None,
        "cache_hits": hits, "cache_misses": misses,
        "cache_hit_rate": hits / (hits + misses) if hits + misses else None,
        "clusters": cluster_sizes(rows),
        "train": train_curves(manifest.get("train")),
        "eval": ((manifest.get("eval") or {}).get("table") or {}),
        "cost_breakdown": stats.get("cost") or manifest.get("cost"),
    }


# ---------------------------------------------------------------- page

def _decontam_section(decon: dict) -> list[str]:
    """Benchmarks checked, how much of each was covered, and a loud line per partial one."""
    if not decon.get("benchmarks"):
        return []
    per = decon.get("per_benchmark") or {}
    out = ["<h2>Decontamination</h2>"]
    out += [f'<p class="warn" id="decontam-partial"><b>PARTIAL decontamination:</b> {escape(line)}</p>' for line in decon.get("partial") or []]
    out.append(table("decontam-table", ["benchmark", "coverage", "licence", "contaminated rows"],
                      [[c["name"], c["line"].split(": ", 1)[1], c.get("license"), (per.get(c["name"]) or {}).get("rows", 0)]
                       for c in decon["benchmarks"]]))
    return out


def render(manifest: dict, stats: dict, rows: list[dict]) -> str:
    """The whole page as one HTML string."""
    d = compute(manifest, stats, rows)
    s = [_cards(d)] + _cost_section(d["cost_breakdown"]) + _quality_sections(d) + _outcome_sections(d, manifest)
    return _page(manifest, "".join(s))


def _cards(d: dict) -> str:
    return ('<div class="cards" id="cards">' + "".join(
        f'<div class="card" id="card-{k}">{escape(label)}<b>{escape(v)}</b></div>' for k, label, v in [
            ("rows", "rows", str(d["rows"])), ("accepted", "accepted", str(d["accepted"])),
            ("yield", "yield", pct(d["accepted"] / d["rows"] if d["rows"] else None)),
            ("cost", "teacher cost", money(d["cost"])), ("cost-per-accepted", "cost per accepted", money(d["cost_per_accepted"])),
            ("cache", "cache hit rate", f'{pct(d["cache_hit_rate"])} ({d["cache_hits"]}/{d["cache_hits"] + d["cache_misses"]})'),
        ]) + "</div>")


def _cost_section(cb: dict) -> list[str]:
    s: list[str] = []
    if cb:
        s.append("<h2>Cost by stage</h2>")
        body = [[f"generate: {n}", d_["calls"], f'{d_["tokens_in"]}/{d_["tokens_out"]}', f'{d_["busy_seconds"]:.1f}',
                 f'{d_["gpu_seconds"]:.1f}', money(d_["api_cost"]), money(d_["gpu_cost"])]
                for n, d_ in cb["generate"]["by_teacher"].items()]
        body += [[f"verify: {n}", "", "", "", "", money(v), ""] for n, v in cb["verify"].items()]
        head = ["stage", "teacher calls", "tokens in/out", "busy s", "GPU-s", "API $", "GPU $"]
        s.append('<table id="table-cost"><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + "".join(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in body) + "</table>")
        g = cb.get("gpu") or {}
        if g.get("reserved_gpu_seconds"):
            s.append(f'<p id="gpu-utilisation">GPUs busy {g["busy_gpu_seconds"]:.0f} of {g["reserved_gpu_seconds"]:.0f} '
                     f'GPU-seconds reserved ({pct(g["utilisation"])})</p>')
    return s


def _quality_sections(d: dict) -> list[str]:
    """Funnel, drop reasons, verifier pass rates, lengths and dedup clusters."""
    s = ["<h2>Yield funnel</h2>"]
    s.append(hbars("plot-funnel", [(st, o, i, f"{o} / {i}") for st, i, o in d["funnel"]])
             if d["funnel"] else empty("plot-funnel", "no stage counts (stats.json missing)"))
    s.append("<h2>Drop reasons</h2>")
    s.append(hbars("plot-drops", [(f"{st}: {reason}", n, None, str(n)) for st, reason, n in d["drops"][:40]], color=RED)
             if d["drops"] else empty("plot-drops", "no row was dropped"))
    s.append("<h2>Verifier pass rates</h2>")
    ver = d["verifiers"]
    if ver:
        s.append(hbars("plot-verifiers", [(n, v["passed"], v["checked"], f'{pct(v["rate"])} ({v["passed"]}/{v["checked"]}'
                                           + (f', {v["unverifiable"]} unverifiable)' if v["unverifiable"] else ")"))
                                          for n, v in ver.items()], color=GREEN))
    else:
        s.append(empty("plot-verifiers", "no verdicts recorded"))
    s.append("<h2>Completion length (tokens_out)</h2>")
    L = d["lengths"]
    s.append(columns("plot-lengths", L["labels"], [("accepted", GREEN, L["accepted"]), ("rejected", RED, L["rejected"])], "tokens_out")
             if L["labels"] else empty("plot-lengths", "no generated rows"))
    s.append("<h2>Dedup cluster sizes</h2>")
    cl = d["clusters"]
    if cl:
        s.append(f'<p id="clusters-summary">{sum(cl.values())} clusters holding {sum(k * v for k, v in cl.items())} rows; '
                 f"largest {max(cl)}</p>")
        s.append(columns("plot-clusters", [str(k) for k in cl], [("clusters", ORANGE, list(cl.values()))], "rows per cluster"))
    else:
        s.append(empty("plot-clusters", "no duplicate clusters"))
    return s


def _outcome_sections(d: dict, manifest: dict) -> list[str]:
    """Training, evaluation, capability regression, decontamination, stages and timings."""
    s = ["<h2>Training</h2>"]
    tr = d["train"]
    s.append(lines("plot-train", [(k, BLUE if k == "loss" else ORANGE, v) for k, v in tr.items()])
             if tr else empty("plot-train", "no training log in the manifest"))
    s.append("<h2>Evaluation</h2>")
    ev = d["eval"]
    if ev:
        s.append(table("eval-table", ["model", "n", "correct", "accuracy"],
                        [[m, v.get("n"), v.get("correct"), f'{v.get("accuracy") or 0:.3f}'] for m, v in ev.items()]))
        s.append(hbars("plot-eval", [(m, float(v.get("accuracy") or 0), 1.0, f'{v.get("accuracy") or 0:.3f}') for m, v in ev.items()]))
    else:
        s.append(empty("plot-eval", "no eval table in the manifest"))
    reg = (manifest.get("eval") or {}).get("regression")
    if reg:
        acc = lambda m: f'{(reg.get(m) or {}).get("accuracy", 0):.3f}' if reg.get(m) else "-"  # noqa: E731
        verdict = "not decided" if reg.get("regressed") is None else ("REGRESSED" if reg["regressed"] else "ok")
        s.append(f'<p id="regression">Capability regression on {escape(str(reg.get("source")))} ({reg.get("n")} items): '
                 f'base {acc("base")}, student {acc("student")}'
                 + (f', delta {reg["delta"]:+.3f}' if reg.get("delta") is not None else "")
                 + f', max drop {reg.get("max_drop")}: <b>{verdict}</b></p>')
    s += _decontam_section(manifest.get("contamination") or {})
    s.append("<h2>Stages</h2>")
    s.append(table("stage-table", ["stage", "in", "out", "dropped"],
                    [[st, i, o, i - o] for st, i, o in d["funnel"]]))
    timings = manifest.get("timings") or {}
    if timings:
        s.append("<h2>Timings (s)</h2>" + table("timings-table", ["phase", "seconds"], [[k, v] for k, v in timings.items()]))
    return s


def _page(manifest: dict, body: str) -> str:
    teacher = (manifest.get("recipe") or {}).get("teacher") or {}
    title = f'{manifest.get("recipe_name", "run")} / {manifest.get("run_id", "?")}'
    meta = (f'status <b>{escape(str(manifest.get("status", "?")))}</b> · teacher {escape(str(teacher.get("engine", "?")))}:'
            f'{escape(str(teacher.get("model", "?")))} · started {escape(str(manifest.get("started_at", "?")))} · finished '
            f'{escape(str(manifest.get("finished_at", "-")))} · git {escape(str(manifest.get("git_commit") or "-"))}')
    # CSP: no scripts, no network; inline styles only (see the module docstring for why)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><h1>{escape(title)}</h1><p class=\"meta\">{meta}</p>{body}"
            f"<p class=\"meta\">generated {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}</p></body></html>\n")


def write_report(run_dir: str) -> str:
    """Build ``<run_dir>/report.html`` (atomically) and return its path."""
    manifest, stats, rows = load_run(run_dir)
    fs, path = fsutil.filesystem(run_dir)
    out = fsutil.join(path, "report.html")
    fsutil.write_bytes_atomic(fs, out, render(manifest, stats, rows).encode("utf-8"))
    log.info("report: %s (%d rows)", out, len(rows))
    return fsutil.join(run_dir, "report.html") if "://" in run_dir else out


def main(argv: list[str] | None = None) -> int:
    """``factory report RUN_DIR``: exit 0 and print the path, or 2 with one ``error:`` line."""
    p = argparse.ArgumentParser(prog="factory report", description="write report.html into a run directory")
    p.add_argument("run_dir")
    a = p.parse_args(argv)
    try:
        print(write_report(a.run_dir))  # CLI entry point output, not library logging
    except FactoryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
