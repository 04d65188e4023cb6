"""report.html in a real headless Chromium: no console errors, every plot rendered with visible marks.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); skipped with that reason if
/usr/bin/chromium is missing. Console messages (script errors, CSP violations such as a blocked
network load) are read from Chromium's own log (``--enable-logging=stderr``), where each one is a
``CONSOLE`` line; the detector is itself checked on a page with planted violations. Rendered sizes
come from a probe script run in a copy of the page whose CSP allows that one inline script.
The screenshot is kept as tests/artifacts/report.png (gitignored) for a human to look at.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
from pathlib import Path

import pytest

from factory.report import write_report
from tests.unit.test_report import make_run, parse

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PLOTS = ["plot-funnel", "plot-drops", "plot-verifiers", "plot-lengths", "plot-clusters", "plot-train", "plot-eval"]
CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\] (.*)")
PROBE = """<script>
const out = {};
for (const svg of document.querySelectorAll('svg.plot')) {
  const r = svg.getBoundingClientRect(), marks = [...svg.querySelectorAll('.mark')];
  out[svg.id] = {w: r.width, h: r.height, marks: marks.length,
                 visible: marks.filter(m => { const b = m.getBBox(); return b.width > 0 && b.height > 0; }).length};
}
const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""

if not CHROMIUM.exists():
    pytest.skip("needs /usr/bin/chromium (Debian: apt-get install -y chromium)", allow_module_level=True)


def chromium(tmp_path: Path, url: str, *mode: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    args = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--enable-logging=stderr", "--v=0", "--window-size=1000,3600", *mode, url]
    res = subprocess.run(args, capture_output=True, text=True, timeout=90)
    assert res.returncode == 0, res.stderr[-2000:]
    return res


def console_messages(stderr: str) -> list[str]:
    return [m.group(1) for line in stderr.splitlines() if (m := CONSOLE.search(line))]


def test_console_detector_sees_planted_errors(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"
                    "</head><body><img src=\"https://example.invalid/x.png\"><p>x</p></body></html>")
    msgs = console_messages(chromium(tmp_path, page.as_uri(), "--dump-dom").stderr)
    assert len(msgs) == 1 and "https://example.invalid/x.png" in msgs[0] and "Content Security Policy" in msgs[0]
    page.write_text("<!DOCTYPE html><html><body><script>undefined_fn()</script></body></html>")
    msgs = console_messages(chromium(tmp_path, page.as_uri(), "--dump-dom").stderr)
    assert msgs == ['"Uncaught ReferenceError: undefined_fn is not defined", source: ' + page.as_uri() + " (1)"]


def test_report_renders_in_chromium(tmp_path):
    run, _ = make_run(tmp_path)
    report = Path(write_report(run))

    res = chromium(tmp_path, report.as_uri(), "--dump-dom")
    assert console_messages(res.stderr) == []
    dom = parse(res.stdout)
    for pid in PLOTS:
        assert dom.marks.get(pid, 0) > 0, f"{pid} missing or empty in the rendered DOM"

    probe = report.with_name("probe.html")
    html = report.read_text(encoding="utf-8")
    probe.write_text(html.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
                     .replace("</body>", PROBE + "</body>"), encoding="utf-8")
    res = chromium(tmp_path, probe.as_uri(), "--dump-dom")
    assert console_messages(res.stderr) == []
    m = re.search(r'<pre id="probe">(.*?)</pre>', res.stdout)
    assert m, "probe script did not run"
    sizes = json.loads(m.group(1))
    assert sorted(sizes) == sorted(PLOTS)
    for pid, s in sizes.items():
        assert s["w"] > 100 and s["h"] > 20, (pid, s)
        assert s["visible"] == s["marks"] == dom.marks[pid], (pid, s)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    res = chromium(tmp_path, report.as_uri(), f"--screenshot={shot}")
    assert console_messages(res.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1000, 3600) and len(data) > 50_000  # a blank page of this size compresses to a few KB
