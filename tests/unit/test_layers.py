"""The package layers hold (ARCHITECTURE.md "Layers"): import-linter's contracts in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_import_contracts_are_kept():
    exe = Path(sys.executable).with_name("lint-imports")
    p = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "0 broken" in p.stdout and "KEPT" in p.stdout


def test_ground_imports_nothing_of_ours():
    """The ground floor is importable on its own (no layer above is loaded by importing it)."""
    code = ("import sys, ground.record, ground.errors, ground.fsutil, ground.models, ground.config, ground.source, ground.step;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'factory','teachers','verifiers','curation','students'}))")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
