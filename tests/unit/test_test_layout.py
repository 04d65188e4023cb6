"""The suite's own layout: test folders are not packages, so two test files with one basename would make
pytest refuse to collect the second ("import file mismatch") and the whole run would error out."""

from collections import Counter
from pathlib import Path


def test_test_file_basenames_are_unique():
    root = Path(__file__).resolve().parents[1]
    names = Counter(p.name for p in root.rglob("test_*.py"))
    assert [n for n, c in names.items() if c > 1] == []
