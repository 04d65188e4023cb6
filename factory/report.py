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

from ground import fsutil
from ground.errors import FactoryError
from factory.stats import reason_class

log = logging.getLogger(__name__)

COLUMNS = ("status", "reject_stage", "reject_reason", "tokens_out", "cost", "cache_hit", "verdicts", "cluster_id", "finish_reason")
GREEN, RED, BLUE, GREY, ORANGE = "#2f9e44", "#e03131", "#1c7ed6", "#dee2e6", "#f08c00"


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
    manifest = fsutil.read_json(fs, fsutil.join(path, "manifest.json"))
    stats_p = fsutil.join(path, "stats.json")
    stats = fsutil.read_json(fs, stats_p) if fsutil.exists(fs, stats_p) else {}
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


# ---------------------------------------------------------------- SVG (hand-made: no plotting dependency)

def _svg(pid: str, w: int, h: int, body: list[str], title: str) -> str:
    return (f'<svg class="plot" id="{pid}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" role="img" aria-label="{escape(title)}">' + "".join(body) + "</svg>")


def hbars(pid: str, items: list[tuple[str, float, float | None, str]], color: str = BLUE, w: int = 760) -> str:
    """Horizontal bars: (label, value, total or None, value text); a total draws a grey bar behind."""
    lw, bh, gap = 300, 20, 8
    scale = max([max(v, t or 0) for _, v, t, _ in items] + [1e-12])
    h = len(items) * (bh + gap) + gap
    span = w - lw - 10 - 7 * max(len(t) for *_, t in items)  # leave room for the longest value text
    body = []
    for i, (label, v, total, text) in enumerate(items):
        y = gap + i * (bh + gap)
        if total is not None:
            body.append(f'<rect class="bg" x="{lw}" y="{y}" width="{span * total / scale:.1f}" height="{bh}" fill="{GREY}"/>')
        body.append(f'<text x="{lw - 6}" y="{y + 14}" text-anchor="end">{escape(label[:48])}</text>'
                    f'<rect class="mark" x="{lw}" y="{y}" width="{max(1.0, span * v / scale):.1f}" height="{bh}" fill="{color}">'
                    f'<title>{escape(label)}: {escape(text)}</title></rect>'
                    f'<text x="{lw + span * max(v, total or 0) / scale + 6:.1f}" y="{y + 14}">{escape(text)}</text>')
    return _svg(pid, w, h, body, pid)


def columns(pid: str, labels: list[str], series: list[tuple[str, str, list[int]]], xlabel: str, w: int = 760) -> str:
    """Grouped vertical bars per label, one colour per series, with a legend."""
    h, left, bottom, top = 260, 40, 50, 24
    vmax = max([max(c) for _, _, c in series if c] + [1])
    slot = (w - left - 10) / max(1, len(labels))
    bw = min(40.0, max(1.0, slot * 0.8 / len(series)))  # a lone bar stays a bar, not a wall
    ph = h - top - bottom
    body = [f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="#868e96"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{vmax}</text>',
            f'<text x="{left - 4}" y="{h - bottom}" text-anchor="end">0</text>',
            f'<text x="{(w + left) / 2:.0f}" y="{h - 6}" text-anchor="middle">{escape(xlabel)}</text>']
    for k, (name, color, _) in enumerate(series):
        body.append(f'<rect x="{left + 10 + k * 110}" y="4" width="12" height="12" fill="{color}"/>'
                    f'<text x="{left + 26 + k * 110}" y="14">{escape(name)}</text>')
    every = max(1, math.ceil(len(labels) / 10))
    for i, label in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        for k, (name, color, counts) in enumerate(series):
            bh = ph * counts[i] / vmax
            if counts[i]:
                body.append(f'<rect class="mark" x="{x0 + k * bw:.1f}" y="{h - bottom - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                            f'fill="{color}"><title>{escape(name)} {escape(label)}: {counts[i]}</title></rect>')
        if i % every == 0:
            body.append(f'<text x="{x0 + slot * 0.4:.1f}" y="{h - bottom + 14}" text-anchor="middle" font-size="10">{escape(label)}</text>')
    return _svg(pid, w, h, body, pid)


def lines(pid: str, series: list[tuple[str, str, list[tuple[float, float]]]], w: int = 760, h: int = 280) -> str:
    """Line chart (x = step) with a dot on every point, min/max ticks and a legend."""
    pts = [p for _, _, s in series for p in s]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(0.0, min(p[1] for p in pts)), max(p[1] for p in pts)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    left, right, top, bottom = 50, 20, 24, 40
    X = lambda x: left + (w - left - right) * (x - x0) / (x1 - x0)  # noqa: E731
    Y = lambda y: h - bottom - (h - top - bottom) * (y - y0) / (y1 - y0)  # noqa: E731
    body = [f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="#868e96"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#868e96"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{y1:.3g}</text>',
            f'<text x="{left - 4}" y="{h - bottom}" text-anchor="end">{y0:.3g}</text>',
            f'<text x="{left}" y="{h - bottom + 16}">{x0:g}</text>',
            f'<text x="{w - right}" y="{h - bottom + 16}" text-anchor="end">{x1:g}</text>',
            f'<text x="{w / 2:.0f}" y="{h - 6}" text-anchor="middle">step</text>']
    for k, (name, color, s) in enumerate(series):
        body.append(f'<rect x="{left + 10 + k * 110}" y="4" width="12" height="12" fill="{color}"/>'
                    f'<text x="{left + 26 + k * 110}" y="14">{escape(name)}</text>')
        path = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in s)
        body.append(f'<polyline class="mark" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        body.extend(f'<circle class="mark" cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="{color}"><title>{escape(name)} step {x:g}: '
                    f'{y:.4f}</title></circle>' for x, y in s)
    return _svg(pid, w, h, body, pid)


# ---------------------------------------------------------------- page

def _empty(pid: str, why: str) -> str:
    return f'<p class="empty" id="{pid}-empty">{escape(why)}</p>'


def _money(x: float | None) -> str:
    return "-" if x is None else f"${x:,.6f}" if x < 1 else f"${x:,.2f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _table(tid: str, header: list[str], rows: list[list]) -> str:
    th = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    trs = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{tid}"><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>'


CSS = """body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:980px;color:#212529}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px}
.meta{color:#495057}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{border:1px solid #dee2e6;border-radius:6px;padding:8px 12px;min-width:120px}.card b{display:block;font-size:18px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dee2e6;padding:3px 8px;text-align:left}
svg.plot{display:block;margin:6px 0;max-width:100%;height:auto}svg text{font-size:12px;fill:#212529}
.empty{color:#868e96;font-style:italic}.warn{color:#c92a2a}"""


def _decontam_section(decon: dict) -> list[str]:
    """Benchmarks checked, how much of each was covered, and a loud line per partial one."""
    if not decon.get("benchmarks"):
        return []
    per = decon.get("per_benchmark") or {}
    out = ["<h2>Decontamination</h2>"]
    out += [f'<p class="warn" id="decontam-partial"><b>PARTIAL decontamination:</b> {escape(line)}</p>' for line in decon.get("partial") or []]
    out.append(_table("decontam-table", ["benchmark", "coverage", "licence", "contaminated rows"],
                      [[c["name"], c["line"].split(": ", 1)[1], c.get("license"), (per.get(c["name"]) or {}).get("rows", 0)]
                       for c in decon["benchmarks"]]))
    return out


def render(manifest: dict, stats: dict, rows: list[dict]) -> str:
    """The whole page as one HTML string."""
    d = compute(manifest, stats, rows)
    recipe = manifest.get("recipe") or {}
    teacher = recipe.get("teacher") or {}
    s: list[str] = []
    s.append('<div class="cards" id="cards">' + "".join(
        f'<div class="card" id="card-{k}">{escape(label)}<b>{escape(v)}</b></div>' for k, label, v in [
            ("rows", "rows", str(d["rows"])), ("accepted", "accepted", str(d["accepted"])),
            ("yield", "yield", _pct(d["accepted"] / d["rows"] if d["rows"] else None)),
            ("cost", "teacher cost", _money(d["cost"])), ("cost-per-accepted", "cost per accepted", _money(d["cost_per_accepted"])),
            ("cache", "cache hit rate", f'{_pct(d["cache_hit_rate"])} ({d["cache_hits"]}/{d["cache_hits"] + d["cache_misses"]})'),
        ]) + "</div>")

    cb = d["cost_breakdown"]
    if cb:
        s.append("<h2>Cost by stage</h2>")
        body = [[f"generate: {n}", d_["calls"], f'{d_["tokens_in"]}/{d_["tokens_out"]}', f'{d_["busy_seconds"]:.1f}',
                 f'{d_["gpu_seconds"]:.1f}', _money(d_["api_cost"]), _money(d_["gpu_cost"])]
                for n, d_ in cb["generate"]["by_teacher"].items()]
        body += [[f"verify: {n}", "", "", "", "", _money(v), ""] for n, v in cb["verify"].items()]
        head = ["stage", "teacher calls", "tokens in/out", "busy s", "GPU-s", "API $", "GPU $"]
        s.append('<table id="table-cost"><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + "".join(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in body) + "</table>")
        g = cb.get("gpu") or {}
        if g.get("reserved_gpu_seconds"):
            s.append(f'<p id="gpu-utilisation">GPUs busy {g["busy_gpu_seconds"]:.0f} of {g["reserved_gpu_seconds"]:.0f} '
                     f'GPU-seconds reserved ({_pct(g["utilisation"])})</p>')
    s.append("<h2>Yield funnel</h2>")
    s.append(hbars("plot-funnel", [(st, o, i, f"{o} / {i}") for st, i, o in d["funnel"]])
             if d["funnel"] else _empty("plot-funnel", "no stage counts (stats.json missing)"))
    s.append("<h2>Drop reasons</h2>")
    s.append(hbars("plot-drops", [(f"{st}: {reason}", n, None, str(n)) for st, reason, n in d["drops"][:40]], color=RED)
             if d["drops"] else _empty("plot-drops", "no row was dropped"))
    s.append("<h2>Verifier pass rates</h2>")
    ver = d["verifiers"]
    if ver:
        s.append(hbars("plot-verifiers", [(n, v["passed"], v["checked"], f'{_pct(v["rate"])} ({v["passed"]}/{v["checked"]}'
                                           + (f', {v["unverifiable"]} unverifiable)' if v["unverifiable"] else ")"))
                                          for n, v in ver.items()], color=GREEN))
    else:
        s.append(_empty("plot-verifiers", "no verdicts recorded"))
    s.append("<h2>Completion length (tokens_out)</h2>")
    L = d["lengths"]
    s.append(columns("plot-lengths", L["labels"], [("accepted", GREEN, L["accepted"]), ("rejected", RED, L["rejected"])], "tokens_out")
             if L["labels"] else _empty("plot-lengths", "no generated rows"))
    s.append("<h2>Dedup cluster sizes</h2>")
    cl = d["clusters"]
    if cl:
        s.append(f'<p id="clusters-summary">{sum(cl.values())} clusters holding {sum(k * v for k, v in cl.items())} rows; '
                 f"largest {max(cl)}</p>")
        s.append(columns("plot-clusters", [str(k) for k in cl], [("clusters", ORANGE, list(cl.values()))], "rows per cluster"))
    else:
        s.append(_empty("plot-clusters", "no duplicate clusters"))
    s.append("<h2>Training</h2>")
    tr = d["train"]
    s.append(lines("plot-train", [(k, BLUE if k == "loss" else ORANGE, v) for k, v in tr.items()])
             if tr else _empty("plot-train", "no training log in the manifest"))
    s.append("<h2>Evaluation</h2>")
    ev = d["eval"]
    if ev:
        s.append(_table("eval-table", ["model", "n", "correct", "accuracy"],
                        [[m, v.get("n"), v.get("correct"), f'{v.get("accuracy") or 0:.3f}'] for m, v in ev.items()]))
        s.append(hbars("plot-eval", [(m, float(v.get("accuracy") or 0), 1.0, f'{v.get("accuracy") or 0:.3f}') for m, v in ev.items()]))
    else:
        s.append(_empty("plot-eval", "no eval table in the manifest"))
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
    s.append(_table("stage-table", ["stage", "in", "out", "dropped"],
                    [[st, i, o, i - o] for st, i, o in d["funnel"]]))
    timings = manifest.get("timings") or {}
    if timings:
        s.append("<h2>Timings (s)</h2>" + _table("timings-table", ["phase", "seconds"], [[k, v] for k, v in timings.items()]))

    title = f'{manifest.get("recipe_name", "run")} / {manifest.get("run_id", "?")}'
    meta = (f'status <b>{escape(str(manifest.get("status", "?")))}</b> · teacher {escape(str(teacher.get("engine", "?")))}:'
            f'{escape(str(teacher.get("model", "?")))} · started {escape(str(manifest.get("started_at", "?")))} · finished '
            f'{escape(str(manifest.get("finished_at", "-")))} · git {escape(str(manifest.get("git_commit") or "-"))}')
    # CSP: no scripts, no network; inline styles only (see the module docstring for why)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><h1>{escape(title)}</h1><p class=\"meta\">{meta}</p>{''.join(s)}"
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
