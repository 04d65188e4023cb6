"""The run report: one self-contained ``report.html`` per run directory (inline CSS and SVG, no JS).

    >>> from factory.report import write_report
    >>> write_report("runs/gsm8k_demo/3f2a9c1b7e4d")          # -> 'runs/gsm8k_demo/3f2a9c1b7e4d/report.html'

or from a shell: ``factory report runs/gsm8k_demo/3f2a9c1b7e4d``.

It reads ``manifest.json``, ``stats.json`` and only the columns it plots from ``accepted/`` and
``rejects/``, batch by batch into counters (:class:`RowStats`: a run's rows are never held), and shows: the yield funnel (rows in/out per stage), drop reasons, verifier pass rates
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

import json
import logging
import math
import sys
import time
from collections import Counter
from html import escape

from ground.cli_parser import ArgumentParser
from ground import fsutil
from ground.errors import FactoryError
from factory.report_html import BLUE, CSS, GREEN, ORANGE, RED, columns, empty, hbars, lines, money, pct, table
from factory.report_rows import COLUMNS, RowStats, _min_scores, load_run, verifier_rates  # noqa: F401 (re-exported: the report's API)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- numbers (pure)

def histogram(values: list[int], bins: int = 20) -> tuple[list[str], int, int]:
    """Shared bin edges for token lengths: (labels, lo, width); count with :func:`bin_counts`."""
    if not values:
        return [], 0, 1
    lo, hi = min(values), max(values)
    width = max(1, math.ceil((hi - lo + 1) / bins))
    n = math.ceil((hi - lo + 1) / width)
    return [f"{lo + i * width}-{lo + (i + 1) * width - 1}" for i in range(n)], lo, width


def bin_counts(values: "list[int] | Counter", lo: int, width: int, n: int) -> list[int]:
    """Values per bin; ``values`` a list, or a Counter of value -> how many."""
    counts = [0] * n
    for v, k in (values.items() if isinstance(values, Counter) else ((v, 1) for v in values)):
        counts[min(n - 1, (v - lo) // width)] += k
    return counts


def cluster_sizes(rows: list[dict]) -> dict[int, int]:
    """cluster size -> number of clusters of that size (rows sharing a ``cluster_id``)."""
    return RowStats().add(rows).cluster_sizes()


def _train_points(train: dict | None):
    for h in (train or {}).get("log_history") or []:
        for k in ("loss", "eval_loss"):
            if isinstance(h, dict) and h.get(k) is not None and h.get("step") is not None:
                yield k, float(h["step"]), float(h[k])


def train_curves(train: dict | None) -> dict[str, list[tuple[float, float]]]:
    """loss / eval_loss per step; a NaN or infinite value is left out (see :func:`nonfinite_losses`)."""
    out: dict[str, list[tuple[float, float]]] = {"loss": [], "eval_loss": []}
    for k, step, v in _train_points(train):
        if math.isfinite(v):
            out[k].append((step, v))
    return {k: sorted(v) for k, v in out.items() if v}


def nonfinite_losses(train: dict | None) -> list[str]:
    """``loss step 3: nan``, one per NaN or infinite value in the training log: the page names them (an SVG
    coordinate of nan draws nothing, so a diverged run looked like a run without a curve)."""
    return [f"{k} step {step:g}: {v}" for k, step, v in _train_points(train) if not math.isfinite(v)]


def compute(manifest: dict, stats: dict, rows: "list[dict] | RowStats") -> dict:
    """Everything the page shows, as plain numbers (what the unit tests assert on). ``rows``: the rows, or their
    :class:`RowStats` (what :func:`load_run` reads)."""
    if not isinstance(rows, RowStats):
        agg = RowStats()
        agg.min_scores = _min_scores(manifest)
        rows = agg.add(rows)
    summ = dict(stats.get("summary") or manifest.get("counts") or {})
    n_acc, n_rej = rows.accepted, rows.rows - rows.accepted
    cost = summ.get("cost", rows.cost)
    hits = summ.get("cache_hits", rows.hits)
    misses = summ.get("cache_misses", rows.misses)
    stages = stats.get("stages") or manifest.get("stages") or {}
    drops = sorted(((s, reason, n) for s, v in stages.items() for reason, n in (v.get("dropped") or {}).items()),
                   key=lambda x: -x[2])
    if not drops and n_rej:  # no stats.json: derive the reasons from the rejected rows themselves
        drops = [(s, reason, n) for (s, reason), n in rows.reasons.most_common()]
    la, lr = rows.lens["accepted"], rows.lens["rejected"]
    labels, lo, width = histogram(sorted(set(la) | set(lr)))
    return {
        "rows": rows.rows, "accepted": n_acc, "rejected": n_rej,
        "funnel": [(s, v.get("in", 0), v.get("out", 0)) for s, v in stages.items()],
        "drops": drops,
        "verifiers": rows.rates(),
        "lengths": {"labels": labels, "accepted": bin_counts(la, lo, width, len(labels)),
                    "rejected": bin_counts(lr, lo, width, len(labels))},
        "cost": cost, "cost_per_accepted": (cost / n_acc) if n_acc and cost is not None else None,
        "cache_hits": hits, "cache_misses": misses,
        "cache_hit_rate": hits / (hits + misses) if hits + misses else None,
        "clusters": rows.cluster_sizes(),
        "train": train_curves(manifest.get("train")),
        "train_nonfinite": nonfinite_losses(manifest.get("train")),
        "eval": ((manifest.get("eval") or {}).get("table") or {}),
        "cost_breakdown": stats.get("cost") or manifest.get("cost"),
        "cache_cost": summ.get("cache_cost"),
        "paid": manifest.get("paid"),
    }


# ---------------------------------------------------------------- page

def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _decontam_section(decon: dict) -> list[str]:
    """Benchmarks checked, how much of each was covered, and a loud line per partial one."""
    if not decon.get("benchmarks"):
        return []
    per = decon.get("per_benchmark") or {}
    out = ["<h2>Decontamination</h2>"]
    from curation.dedup.benchmarks import incomplete_warning

    out += [f'<p class="warn" id="decontam-partial"><b>{escape(_upper_first(incomplete_warning(line)))}:</b> {escape(line)}</p>'
            for line in decon.get("partial") or []]
    out.append(table("decontam-table", ["benchmark", "coverage", "checked by", "licence", "contaminated rows"],
                      [[c["name"], c["line"].split(": ", 1)[1], ", ".join(c.get("checks") or []) or "not recorded", c.get("license"),
                        (per.get(c["name"]) or {}).get("rows", 0)] for c in decon["benchmarks"]]))
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
            ("cost", "corpus cost", money(d["cost"])), ("cost-per-accepted", "cost per accepted", money(d["cost_per_accepted"])),
            *([("paid", "paid (run / this invocation)", f'{money((d["paid"] or {}).get("run_total"))} / '
                                                       f'{money(d["paid"].get("this_invocation"))}')] if d.get("paid") else []),
            ("cache", "cache hit rate", f'{pct(d["cache_hit_rate"])} ({d["cache_hits"]}/{d["cache_hits"] + d["cache_misses"]})'),
        ]) + "</div>")


def _cost_section(cb: dict) -> list[str]:
    s: list[str] = []
    if cb:
        s.append("<h2>Cost by stage</h2>")
        body = [[f"generate: {n}", d_["calls"], f'{d_["tokens_in"]}/{d_["tokens_out"]}', f'{d_["busy_seconds"]:.1f}',
                 f'{d_["gpu_seconds"]:.1f}', money(d_["api_cost"]), money(d_["gpu_cost"]), money(d_.get("cache_cost", 0.0))]
                for n, d_ in cb["generate"]["by_teacher"].items()]
        body += [[f"verify: {n}", "", "", "", "", money(v), "", ""] for n, v in cb["verify"].items()]
        head = ["stage", "teacher calls", "tokens in/out", "busy s", "GPU-s", "API $", "GPU $", "reused from cache $"]
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


def synth_section(manifest: dict) -> list[str]:
    """Prompt synthesis: new prompts parsed, dropped per step, kept, self-consistency agreement, synthesized rows."""
    syn = manifest.get("synthesis")
    if not syn:
        return []
    counts = manifest.get("counts") or {}
    ag = syn.get("agreement") or {}
    rows = [["seeds", syn.get("seeds")], ["parsed items (prompts and parse failures)", syn.get("candidates")],
            *[[f"dropped: {k}", v] for k, v in sorted((syn.get("rejects") or {}).items())], ["kept", syn.get("kept")],
            ["agreement mean / min", f'{ag.get("mean", "-")} / {ag.get("min", "-")}' if ag.get("n") else "-"],
            ["agreement histogram", ", ".join(f"{k}: {v}" for k, v in (ag.get("hist") or {}).items()) or "-"],
            ["synthesized rows accepted / rejected", f'{counts.get("synthesized_accepted", "-")} / {counts.get("synthesized_rejected", "-")}'],
            ["teacher calls (write / self-consistency)", f'{syn.get("synth_teacher_calls", 0)} / {syn.get("sc_teacher_calls", 0)}']]
    return ["<h2>Prompt synthesis</h2>", table("synth-table", ["", "value"], rows)]


def _outcome_sections(d: dict, manifest: dict) -> list[str]:
    """Training, evaluation, capability regression, decontamination, stages and timings."""
    s = ["<h2>Training</h2>"]
    tr = d["train"]
    bad = d.get("train_nonfinite") or []
    if bad:
        s.append(f'<p class="warn" id="train-nonfinite">not finite (left out of the plot): {escape(", ".join(bad[:5]))}'
                 + (f" and {len(bad) - 5} more" if len(bad) > 5 else "") + "</p>")
    s.append(lines("plot-train", [(k, BLUE if k == "loss" else ORANGE, v) for k, v in tr.items()])
             if tr else empty("plot-train", "no finite training loss in the manifest" if bad else "no training log in the manifest"))
    s.append("<h2>Evaluation</h2>")
    ev = d["eval"]
    if ev:
        err = lambda v: "-" if v.get("stderr") is None else f'{v["stderr"]:.3f}'  # noqa: E731
        s.append(table("eval-table", ["model", "n", "correct", "accuracy", "stderr", "no answer", "no verdict"],
                        [[m, v.get("n"), v.get("correct"), f'{v.get("accuracy") or 0:.3f}', err(v), v.get("failed", "-"),
                          v.get("no_verdict", "-")] for m, v in ev.items()]))
        info = manifest.get("eval") or {}
        ov, short = info.get("overlap") or {}, info.get("held_out_short")
        if ov.get("items"):
            s.append(f'<p class="warn" id="eval-overlap">{ov["items"]} of {ov.get("n")} held-out prompts are also training '
                     "prompts of this run: the student column is not a held-out score</p>")
        if short:
            s.append(f'<p class="warn" id="eval-short">{escape(str(short))}</p>')
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
    s += synth_section(manifest)
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
    log.info("report: %s (%d rows)", out, rows.rows)
    return fsutil.join(run_dir, "report.html") if "://" in run_dir else out


def write_loop_report(loop_dir: str) -> str:
    """``<loop_dir>/report.html`` of a closed loop (factory/loop.py): per arm and round, dev and test accuracy, rows,
    teacher calls and cost, and the claim (loop minus control at the last round both finished)."""
    from factory.loop import HEADER, _fmt, table_rows

    fs, path = fsutil.filesystem(loop_dir)
    state = fsutil.read_json(fs, fsutil.join(path, "loop.json"))
    c = state.get("claim")
    body = [f'<p class="meta">pool {state["pool"]} prompts, dev {len(state["dev"])} (carved from the pool), test '
            f'{state["test_n"]} (eval.source: scored, never chooses); {len(state["dropped_as_contaminated"])} pool prompts '
            f'dropped as matching test or dev; config {escape(json.dumps(state["config"]))}</p>',
            "<h2>Rounds</h2>", table("loop-table", HEADER, table_rows(state))]
    body.append(f'<p id="loop-claim">round {c["round"]}: loop {c["loop"]:.3f} vs control {c["control"]:.3f}, loop - control '
                f'<b>{c["loop_minus_control"]:+.3f}</b> (round 1: {_fmt(c["round1"])})</p>' if c else
                empty("loop-claim", "no round after round 1 finished in both arms yet"))
    manifest = {"recipe_name": f'loop {state.get("recipe_file")}', "run_id": path.rstrip("/").rsplit("/", 1)[-1],
                "status": state.get("status")}
    out = fsutil.join(path, "report.html")
    fsutil.write_bytes_atomic(fs, out, _page(manifest, "".join(body)).encode("utf-8"))
    return out


def main(argv: list[str] | None = None) -> int:
    """``factory report RUN_DIR``: exit 0 and print the path, or 2 with one ``error:`` line."""
    p = ArgumentParser(prog="factory report", description="write report.html into a run directory")
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
