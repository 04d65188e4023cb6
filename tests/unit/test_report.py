"""report.html: numbers computed from a synthetic run directory, the page's structure, escaping, CLI.

The run directory is written with the real store code (RunStore, ground.record.to_table) and its
stats with factory.stats, so the report reads exactly what a pipeline run leaves behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ground.errors import FactoryError
from ground.record import ACCEPTED, new_sample, reject, to_table
from factory.report import bin_counts, compute, histogram, load_run, main, write_report
from factory.stats import stage_stats, summary
from factory.store import RunStore

STAGES = ["source", "generate", "verify:math_answer", "verify:format", "dedup_exact"]
LOG_HISTORY = [{"step": 1, "loss": 2.0, "epoch": 0.25}, {"step": 2, "loss": 1.5}, {"step": 2, "eval_loss": 1.7},
               {"step": 4, "loss": 1.1}, {"step": 4, "eval_loss": 1.3}, {"step": 4, "train_runtime": 3.2}]
EVAL = {"base": {"n": 16, "correct": 4, "accuracy": 0.25}, "student": {"n": 16, "correct": 9, "accuracy": 0.5625},
        "teacher": {"n": 16, "correct": 12, "accuracy": 0.75}}


COST = {"generate": {"by_teacher": {"big": {"rows": 30, "calls": 27, "tokens_in": 1500, "tokens_out": 4000, "busy_seconds": 30.0,
                                           "gpu_seconds": 60.0, "gpu_cost": 0.06, "api_cost": 0.0}}, "total": 0.06},
        "verify": {"judge": 0.5}, "gpu": {"busy_gpu_seconds": 60.0, "reserved_gpu_seconds": 80.0, "utilisation": 0.75},
        "total": 0.56, "per_accepted": 0.028}


def synthetic_rows(evil_reason: str | None = None) -> list[dict]:
    """40 rows: 2 bad source records, 2 teacher errors, 14 wrong + 2 unverifiable answers,
    20 verified of which 4 are duplicates in 2 clusters of 3; 9 of 36 generations were cache hits."""
    rows = []
    for i in range(40):
        r = new_sample(stage="demo", prompt_id=f"p{i:02d}", sample_index=0, messages=[{"role": "user", "content": f"q{i}"}], chunk=i // 8)
        rows.append(r)
        if i < 2:
            reject(r, "source", "bad JSON: line 3" if evil_reason is None or i else evil_reason)
            continue
        if i < 4:
            r.update(finish_reason="error")
            reject(r, "generate", "teacher error: HTTP 500")
            continue
        r.update(completion=f"answer {i}", finish_reason="stop", tokens_in=50, tokens_out=10 * i, cost=0.001, cache_hit=i < 13)
        if i < 18:
            score, reason = 0.0, "wrong answer: got 5, expected 7"
        elif i < 20:
            score, reason = None, "no answer: nothing to parse"
        else:
            score, reason = 1.0, "ok"
        r["verdicts"] = json.dumps({"math_answer": {"score": score, "reason": reason, "cost": 0.0, "version": "1"},
                                    "format": {"score": 0.6, "reason": "ok", "cost": 0.0, "version": "1"}})
        r["score"] = score
        if score is None or score < 1.0:
            reject(r, "verify:math_answer", reason)
        if 20 <= i < 26:  # clusters of 3: survivors 20 and 23, duplicates 21, 22, 24, 25
            r["cluster_id"] = "exact:a" if i < 23 else "exact:b"
            if i not in (20, 23):
                r["survivor_id"] = rows[20 if i < 23 else 23]["id"]
                reject(r, "dedup_exact", "duplicate: same completion as a kept row")
    return rows


def make_run(root: Path, with_train_eval: bool = True, evil_reason: str | None = None) -> tuple[str, list[dict]]:
    rows = synthetic_rows(evil_reason)
    store = RunStore(str(root / "runs"), "demo", "abc123")
    store.write_parts("accepted", to_table([r for r in rows if r["status"] == ACCEPTED]))
    store.write_parts("rejects", to_table([r for r in rows if r["status"] != ACCEPTED]))
    store.write_json("stats.json", {"stages": stage_stats(rows, STAGES), "summary": summary(rows), "cost": COST})
    manifest = {"run_id": "abc123", "recipe_name": "demo", "status": "succeeded", "started_at": "2025-01-01T00:00:00Z",
                "finished_at": "2025-01-01T00:05:00Z", "timings": {"generate+verify": 12.5, "dedup": 0.1},
                "recipe": {"teacher": {"engine": "hf_local", "model": "smollm2-135m-instruct"},
                           "verifiers": [{"name": "math_answer", "min_score": 1.0}, {"name": "format", "min_score": 0.5}]}}
    if with_train_eval:
        manifest["train"] = {"log_history": LOG_HISTORY}
        manifest["eval"] = {"table": EVAL, "regression": {
            "source": "../data/regression_general/items.jsonl", "n": 30, "max_drop": 0.05, "delta": -0.1, "regressed": True,
            "base": {"n": 30, "correct": 12, "accuracy": 0.4}, "student": {"n": 30, "correct": 9, "accuracy": 0.3}}}
    store.write_json("manifest.json", manifest)
    return store.uri, rows


class PlotParser(HTMLParser):
    """Collects ids, every plot svg with its count of data marks, tags and attributes seen."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.marks: dict[str, int] = {}
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []
        self._svg: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "svg" and "plot" in (a.get("class") or "").split():
            self._svg = a["id"]
            self.marks[self._svg] = 0
        elif self._svg and "mark" in (a.get("class") or "").split():
            self.marks[self._svg] += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None


def parse(html: str) -> PlotParser:
    p = PlotParser()
    p.feed(html)
    return p


def test_compute_numbers(tmp_path):
    run, rows = make_run(tmp_path)
    d = compute(*load_run(run))
    assert (d["rows"], d["accepted"], d["rejected"]) == (40, 16, 24)
    assert d["funnel"] == [("source", 40, 38), ("generate", 38, 36), ("verify:math_answer", 36, 20), ("verify:format", 20, 20),
                           ("dedup_exact", 20, 16)]
    assert d["drops"] == [("verify:math_answer", "wrong answer", 14), ("dedup_exact", "duplicate", 4), ("source", "bad JSON", 2),
                          ("generate", "teacher error", 2), ("verify:math_answer", "no answer", 2)]
    # format passes at its own min_score 0.5 (it would be 0% at the default 1.0)
    assert d["verifiers"] == {"math_answer": {"checked": 34, "passed": 20, "unverifiable": 2, "rate": 20 / 34},
                              "format": {"checked": 36, "passed": 36, "unverifiable": 0, "rate": 1.0}}
    assert d["cost"] == pytest.approx(0.036) and d["cost_per_accepted"] == pytest.approx(0.036 / 16)
    # the 2 failed teacher calls are misses too (were left out: 27, while the report's own count from the rows said 29)
    assert (d["cache_hits"], d["cache_misses"]) == (9, 29) and d["cache_hit_rate"] == pytest.approx(9 / 38)
    assert d["clusters"] == {3: 2}
    assert d["train"] == {"loss": [(1.0, 2.0), (2.0, 1.5), (4.0, 1.1)], "eval_loss": [(2.0, 1.7), (4.0, 1.3)]}
    assert d["eval"] == EVAL
    acc_lens = sorted(r["tokens_out"] for r in rows if r["status"] == ACCEPTED)
    assert sum(d["lengths"]["accepted"]) == len(acc_lens) == 16 and sum(d["lengths"]["rejected"]) == 20


def test_histogram_bins_cover_every_value():
    labels, lo, width = histogram([40, 41, 395, 100, 40])
    counts = bin_counts([40, 41, 395, 100, 40], lo, width, len(labels))
    assert (lo, width, len(labels)) == (40, 18, 20) and labels[0] == "40-57" and labels[-1] == "382-399"
    assert counts[0] == 3 and counts[-1] == 1 and sum(counts) == 5
    assert histogram([7]) == (["7-7"], 7, 1) and histogram([]) == ([], 0, 1)


def test_page_has_every_plot_with_marks(tmp_path):
    run, _ = make_run(tmp_path)
    path = write_report(run)
    assert path == str(Path(run) / "report.html") and Path(path).is_file()
    p = parse(Path(path).read_text(encoding="utf-8"))
    # one mark per stage / drop reason / verifier / eval model; 2 lines + 5 points; 1 cluster-size bar
    assert p.marks["plot-funnel"] == 5 and p.marks["plot-drops"] == 5 and p.marks["plot-verifiers"] == 2
    assert p.marks["plot-train"] == 2 + 5 and p.marks["plot-eval"] == 3 and p.marks["plot-clusters"] == 1
    assert 2 <= p.marks["plot-lengths"] <= 40
    assert len(p.ids) == len(set(p.ids)), "element ids must be unique"
    assert {"eval-table", "stage-table", "card-cost-per-accepted", "card-cache", "clusters-summary"} <= set(p.ids)
    html = Path(path).read_text(encoding="utf-8")
    assert "$0.002250" in html and "23.7% (9/38)" in html and "2 clusters holding 6 rows; largest 3" in html
    assert "<td>student</td><td>16</td><td>9</td><td>0.562</td>" in html
    assert "58.8% (20/34, 2 unverifiable)" in html
    assert "<td>generate: big</td><td>27</td><td>1500/4000</td><td>30.0</td><td>60.0</td>" in html
    assert "(30 items): base 0.400, student 0.300, delta -0.100, max drop 0.05: <b>REGRESSED</b>" in html
    assert "<td>verify: judge</td>" in html and "GPUs busy 60 of 80 GPU-seconds reserved (75.0%)" in html


def test_page_is_self_contained(tmp_path):
    run, _ = make_run(tmp_path)
    p = parse(Path(write_report(run)).read_text(encoding="utf-8"))
    assert not p.tags & {"script", "link", "img", "iframe", "object", "embed"}
    urls = [v for k, v in p.attrs if k in ("src", "href") or "://" in v]
    assert urls == ["http://www.w3.org/2000/svg"] * len(p.marks), urls  # only the SVG namespace, never fetched


def test_untrusted_text_is_escaped(tmp_path):
    run, _ = make_run(tmp_path, evil_reason='<script>alert("x")</script>: boom')
    html = Path(write_report(run)).read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "script" not in parse(html).tags


def test_run_without_train_eval_or_rejects_shows_empty_notes(tmp_path):
    rows = [new_sample(stage="d", prompt_id=f"p{i}", sample_index=0, messages=[], completion="x", tokens_out=5, finish_reason="stop")
            for i in range(3)]
    store = RunStore(str(tmp_path), "mini", "r1")
    store.write_parts("accepted", to_table(rows))
    store.write_json("manifest.json", {"run_id": "r1", "recipe_name": "mini", "status": "interrupted"})  # no stats.json
    p = parse(Path(write_report(store.uri)).read_text(encoding="utf-8"))
    assert {"plot-funnel-empty", "plot-drops-empty", "plot-verifiers-empty", "plot-clusters-empty", "plot-train-empty",
            "plot-eval-empty"} <= set(p.ids)
    assert p.marks == {"plot-lengths": 1}
    d = compute(*load_run(store.uri))
    assert (d["cache_hits"], d["cache_misses"], d["cost_per_accepted"]) == (0, 3, 0.0)


def test_not_a_run_dir(tmp_path, capsys):
    with pytest.raises(FactoryError, match="not a run directory"):
        write_report(str(tmp_path))
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {tmp_path}: not a run directory (no manifest.json)"]
    assert not (tmp_path / "report.html").exists()


def test_cli_subprocess_writes_report(tmp_path):
    run, _ = make_run(tmp_path, with_train_eval=False)
    res = subprocess.run([sys.executable, "-m", "factory.report", run], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(Path(run) / "report.html")
    assert "plot-train-empty" in (Path(run) / "report.html").read_text(encoding="utf-8")


def test_python_m_factory_cli_runs_the_cli(tmp_path):
    """Was: `python -m factory.cli report DIR` (and every subcommand) imported the module, did nothing and exited 0."""
    run, _ = make_run(tmp_path, with_train_eval=False)
    res = subprocess.run([sys.executable, "-m", "factory.cli", "report", run], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == str(Path(run) / "report.html"), res.stderr
    res = subprocess.run([sys.executable, "-m", "factory.cli", "inspect", str(tmp_path / "nope")], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 2 and res.stderr.strip() == f"error: {tmp_path / 'nope'}: not a run directory (no manifest.json)"


@pytest.mark.parametrize("damage", ["manifest", "stats", "part"])
def test_damaged_run_dir_is_one_line_error_for_report_and_inspect(tmp_path, capsys, damage):
    """Was: a torn manifest.json / stats.json or a damaged Parquet part (a disk filled mid-copy, a stray file) was a
    JSONDecodeError / ArrowInvalid traceback (exit 1) from both `factory report` and `factory inspect`."""
    from factory.cli import main as cli_main

    run, _ = make_run(tmp_path, with_train_eval=False)
    bad = {"manifest": Path(run) / "manifest.json", "stats": Path(run) / "stats.json",
           "part": Path(run) / "accepted" / "part-99999.parquet"}[damage]
    bad.write_text('{"run_id": "x", "stat')
    want = f"{bad}: not valid JSON (" if damage != "part" else f"{bad}: not a readable Parquet file ("
    for argv in (["report", run], ["inspect", run]):
        if damage == "stats" and argv[0] == "inspect":
            continue  # inspect does not read stats.json
        assert cli_main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith(f"error: {want}"), err
    assert not (Path(run) / "report.html").exists()


def test_inspect_refuses_a_negative_count(tmp_path, capsys):
    """Was: -n -1 printed all rows but one and '(-1 of N accepted rows)'."""
    from factory.cli import main as cli_main

    run, _ = make_run(tmp_path, with_train_eval=False)
    with pytest.raises(SystemExit) as e:
        cli_main(["inspect", run, "-n", "-1"])
    assert e.value.code == 2 and "argument -n: must be 0 or more, got -1" in capsys.readouterr().err


def test_row_stats_count_reason_categories_not_one_reason_per_survivor():
    """RowStats keeps bounded counters: 300 duplicates of 150 survivors are one reason class, and the cluster
    sizes come from the cluster ids (hashed) without keeping the ids."""
    from factory.report_rows import RowStats

    rows = []
    for i in range(450):
        r = new_sample(stage="demo", prompt_id=f"p{i:03d}", sample_index=0, messages=[{"role": "user", "content": "q"}], chunk=0)
        r["cluster_id"] = f"c{i // 3:04d}"  # 150 clusters of 3: the first of each survives
        if i % 3:
            reject(r, "dedup_exact", f"exact duplicate of {i - i % 3:040x}")
        rows.append(r)
    agg = RowStats().add(rows[:200]).add(rows[200:])
    assert agg.reasons == {("dedup_exact", "exact duplicate"): 300}
    assert agg.cluster_sizes() == {3: 150}
    assert (agg.rows, agg.accepted) == (450, 150)


def test_a_diverged_loss_is_named_not_drawn_as_nan(tmp_path):
    """Was: NaN/inf losses went into the SVG as points "50.0,nan" (the browser draws nothing, the axis says 0..1):
    a run whose loss diverged looked like a run with an empty curve."""
    rows = [new_sample(stage="d", prompt_id="p", sample_index=0, messages=[], completion="x", tokens_out=5, finish_reason="stop")]
    store = RunStore(str(tmp_path), "mini", "r1")
    store.write_parts("accepted", to_table(rows))
    hist = [{"step": 1, "loss": 2.0}, {"step": 2, "loss": float("nan")}, {"step": 3, "loss": float("inf")}, {"step": 3, "eval_loss": 1.5}]
    store.write_json("manifest.json", {"run_id": "r1", "recipe_name": "mini", "status": "succeeded", "train": {"log_history": hist}})
    html = Path(write_report(store.uri)).read_text(encoding="utf-8")
    plot = html.split('id="plot-train"', 1)[1].split("</svg>", 1)[0]
    assert "nan" not in plot and "inf" not in plot
    assert '<p class="warn" id="train-nonfinite">not finite (left out of the plot): loss step 2: nan, loss step 3: inf</p>' in html
    assert compute(*load_run(store.uri))["train"] == {"loss": [(1.0, 2.0)], "eval_loss": [(3.0, 1.5)]}


def test_the_page_and_the_console_tell_the_corpus_cost_from_what_was_paid(tmp_path):
    """A resumed run: the corpus cost (rows' cost column, reused answers priced) and what was paid, this invocation and
    in all, are separate figures on the page and in the console summary, and they agree with the manifest."""
    import io
    from types import SimpleNamespace

    from factory.cli import paid_line, print_summary

    run, rows = make_run(tmp_path)
    m = json.loads((Path(run) / "manifest.json").read_text())
    m["paid"] = {"this_invocation": 0.012, "earlier_invocations": 0.015, "run_total": 0.027}
    (Path(run) / "manifest.json").write_text(json.dumps(m))
    html = Path(write_report(run)).read_text(encoding="utf-8")
    p = parse(html)
    assert "card-paid" in p.ids and "$0.027000 / $0.012000" in html and "corpus cost<b>$0.036000</b>" in html
    assert paid_line(m["paid"], 0.009) == ("paid $0.0120 this invocation, $0.0150 in earlier ones, $0.0270 for the run (the "
                                           "corpus cost above counts $0.0090 of answers reused from the request cache)")
    assert paid_line({"this_invocation": 0.0, "earlier_invocations": None, "run_total": None}) == (
        "paid $0.0000 this invocation (earlier invocations of this run: not recorded)")
    s = summary(rows)
    res = SimpleNamespace(status="succeeded", stats=stage_stats(rows, STAGES), summary=s, cost=None, paid=m["paid"], eval=None,
                          timings={"generate+verify": 1.0}, run_dir=run)
    out = io.StringIO()
    print_summary(res, out)
    assert f"corpus cost ${s['cost']:.4f}" in out.getvalue() and "paid $0.0120 this invocation" in out.getvalue()


def test_a_run_stopped_before_any_chunk_finished_still_says_what_it_paid():
    """A budget reached before the first chunk was written: nothing to curate, but its calls were paid (the summary
    printed only the stop line and the run dir)."""
    import io
    from types import SimpleNamespace

    from factory.cli import print_summary

    res = SimpleNamespace(status="stopped", stopped="budget usd 0.01 reached", stats={}, summary={}, cost=None, eval=None,
                          paid={"this_invocation": 0.0104, "earlier_invocations": 0.0, "run_total": 0.0104}, timings={}, run_dir="r")
    out = io.StringIO()
    print_summary(res, out)
    assert "paid $0.0104 this invocation" in out.getvalue().splitlines()[2]
