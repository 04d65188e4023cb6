"""HTML and SVG building blocks of the run report (:mod:`factory.report`): hand-made, no plotting dependency.

    >>> pct(0.25), money(1234.5)
    ('25.0%', '$1,234.50')
    >>> hbars("plot-x", [("a", 2, 4, "2 / 4")]).startswith('<svg class="plot" id="plot-x"')
    True
"""

from __future__ import annotations

import math
from html import escape

GREEN, RED, BLUE, GREY, ORANGE = "#2f9e44", "#e03131", "#1c7ed6", "#dee2e6", "#f08c00"


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


def empty(pid: str, why: str) -> str:
    return f'<p class="empty" id="{pid}-empty">{escape(why)}</p>'


def money(x: float | None) -> str:
    return "-" if x is None else f"${x:,.6f}" if x < 1 else f"${x:,.2f}"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table(tid: str, header: list[str], rows: list[list]) -> str:
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
