"""Over-rejection check of the answer verifiers (issue #14): every GSM8K train reference solution, written as a
completion in common honest forms, must still verify. A red-team fix that rejects an honest form shows up here.

    python bench/gsm8k_forms_check.py [--data /work/shared/data/gsm8k/train.jsonl] [--limit N]

For each form, the count of the 7,473 solutions that ``math_answer`` (numeric, ``use_math_verify=False``, as in
round 5's check) and ``tool_calls`` (the form as a direct final answer, the solution's answer as the reference)
accept. Prints one table; exits 0. No GPU, no network.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

from verifiers.math_answer import MathAnswer
from verifiers.tool_calls import ToolCalls


def forms(solution: str) -> dict[str, str]:
    body, answer = solution.split("####")
    body, answer = body.strip(), answer.strip()
    plain = re.sub(r"<<[^<>]*>>", "", body)
    return {
        "#### X": solution,
        "body, no ####": body,
        "body + The answer is X.": f"{body}\nThe answer is {answer}.",
        "body + Answer: X": f"{body}\nAnswer: {answer}",
        "body + \\boxed{X} + **Final Answer:** X": f"{body}\n\\boxed{{{answer}}}\n\n**Final Answer:** {answer}",
        "plain body + The final answer is $X$.": f"{plain}\nThe final answer is ${answer}$.",
        "plain body + \\boxed{X.00}": f"{plain}\n\\boxed{{{answer}.00}}",
        "plain body + Therefore ... is **X**.": f"{plain}\n\nTherefore, the answer is **{answer}**.",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = next((p for p in (Path("/work/shared/data/gsm8k/train.jsonl"), Path("../shared/data/gsm8k/train.jsonl"))
                    if p.exists()), Path("/work/shared/data/gsm8k/train.jsonl"))
    ap.add_argument("--data", type=Path, default=default)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=3, help="rejected examples printed per form")
    a = ap.parse_args()
    rows = [json.loads(line) for line in a.data.read_text().splitlines() if line.strip()]
    rows = rows[:a.limit] if a.limit else rows
    mv, tc = MathAnswer(use_math_verify=False), ToolCalls(tools=[])
    ok_m: Counter = Counter()
    ok_t: Counter = Counter()
    shown: Counter = Counter()
    t0 = time.time()
    for r in rows:
        answer = r["answer"].split("####")[1].strip()
        for name, completion in forms(r["answer"]).items():
            v = mv.verify({"completion": completion, "reference": r["answer"]})
            ok_m[name] += v.score == 1.0
            if v.score != 1.0 and shown[name] < a.show:
                shown[name] += 1
                print(f"math_answer rejects [{name}]: {v.reason[:160]}")
            if name != "#### X":  # tool_calls: the same text as a direct final answer
                w = tc.verify({"messages": "[]", "completion": completion, "reference": answer.replace(",", "")})
                ok_t[name] += w.score == 1.0
                if w.score != 1.0 and shown["t" + name] < a.show:
                    shown["t" + name] += 1
                    print(f"tool_calls rejects [{name}]: {w.reason[:160]}")
    tc.close()
    print(f"\n{len(rows)} solutions, {time.time() - t0:.1f} s\n")
    print("| form | math_answer | tool_calls |\n|---|---|---|")
    for name in forms(rows[0]["answer"]):
        print(f"| {name} | {ok_m[name]}/{len(rows)} | {ok_t[name] if name != '#### X' else '-'}"
              f"{'/' + str(len(rows)) if name != '#### X' else ''} |")


if __name__ == "__main__":
    main()
