"""Write data/bfcl_tools/: a small BFCL sample as chat rows with a tool catalogue, split train / held-out.

    python bench/bfcl_tool_data.py --data-dir /path/to/bfcl_eval/data --train 12 --heldout 5

For each of BFCL's simple (Python), multiple and parallel categories, items are shuffled with a fixed
seed and the first ``--heldout`` go to ``heldout.jsonl``, the next ``--train`` to ``train.jsonl``: the
two sets never share an item id or a question (checked below). A row is::

    {"id", "category", "question",
     "messages": [{"role": "system", "content": ..., "tools": [{"type": "function", "function": <BFCL doc>}]},
                  {"role": "user", "content": <BFCL question>}],
     "reference": <BFCL possible answer, JSON>}

the shape recipes/tool_use_cpu.yaml reads (ground/conversation.py: the catalogue lives on the system
message; verifiers/function_call_ast.py reads its docs there). BFCL is Apache-2.0 (data/bfcl_tools/NOTICE.md).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bfcl_agreement import category_files, load  # noqa: E402

CATEGORIES = ("simple_python", "multiple", "parallel")
SYSTEM = "You are a function-calling assistant. Answer the request with the tool calls that fulfil it."
OUT = Path(__file__).resolve().parents[1] / "data" / "bfcl_tools"


def row(item: dict, answer: dict, category: str) -> dict:
    tools = [{"type": "function", "function": f} for f in item["function"]]
    return {"id": item["id"], "category": category.replace("_python", ""), "question": _q(item),
            "messages": [{"role": "system", "content": SYSTEM, "tools": tools}, {"role": "user", "content": _q(item)}],
            "reference": json.dumps(answer["ground_truth"])}


def _q(item: dict) -> str:
    return [m for m in item["question"][0] if m.get("role") == "user"][-1]["content"]


def build(data_dir: Path | None, n_train: int, n_heldout: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    train, held = [], []
    for cat, q, a in category_files(data_dir):
        if cat not in CATEGORIES:
            continue
        pairs = [(i, x) for i, x in load(q, a) if len(i["question"]) == 1]  # one user turn
        random.Random(seed).shuffle(pairs)
        held += [row(i, x, cat) for i, x in pairs[:n_heldout]]
        seen = {r["question"] for r in held}  # BFCL repeats some questions across items and categories
        train += [row(i, x, cat) for i, x in pairs[n_heldout:] if _q(i) not in seen][:n_train]
    seen = {r["question"] for r in held}
    train = [r for r in train if r["question"] not in seen]
    overlap = {r["question"] for r in train} & {r["question"] for r in held}
    if overlap:
        raise SystemExit(f"train and held-out share {len(overlap)} questions, e.g. {sorted(overlap)[0]!r}")
    return train, held


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="BFCL data dir (default: the bfcl_eval package's)")
    ap.add_argument("--train", type=int, default=12, help="train items per category")
    ap.add_argument("--heldout", type=int, default=5, help="held-out items per category")
    args = ap.parse_args()
    train, held = build(args.data_dir, args.train, args.heldout)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", train), ("heldout", held)):
        (OUT / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"wrote {len(train)} train and {len(held)} held-out rows to {OUT}")


if __name__ == "__main__":
    main()
