"""Cost of rendering tool traces with assistant-only masks vs one plain chat-template render.

    python bench/bench_trace_render.py [--convs 200] [--reps 3]

Our path: students.data.encode_sft on tool-use traces (system + tools, user, a parallel call turn,
two tool results, a second call turn, one result, the answer): one render per assistant turn and
its generation prompt, then one tokenisation with offsets to build ``assistant_masks``. Baseline:
``tok.apply_chat_template(messages, tools=..., tokenize=True)`` once per conversation (no mask: what
a loss on every token would need). Same tokenizer (the bundled SmolLM2 with the vendored tool
template), same conversations; best of ``--reps`` alternating runs. The ratio is the price of the
mask, paid once per example before training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def conversations(n: int) -> list[dict]:
    from teachers.tools import default_registry

    specs = default_registry().specs(["calculator", "unit_convert", "kv_store"])

    def call(cid, expr):
        return {"id": cid, "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"expression": expr})}}

    out = []
    for i in range(n):
        trace = [{"role": "assistant", "content": None, "tool_calls": [call("a", f"{i}*7"), call("b", f"{i}+2")]},
                 {"role": "tool", "tool_call_id": "a", "content": json.dumps({"result": i * 7})},
                 {"role": "tool", "tool_call_id": "b", "content": json.dumps({"result": i + 2})},
                 {"role": "assistant", "content": "Checking once more.", "tool_calls": [call("c", f"{i}*7+{i}+2")]},
                 {"role": "tool", "tool_call_id": "c", "content": json.dumps({"result": i * 8 + 2})},
                 {"role": "assistant", "content": f"{i}*7 = {i * 7}, {i}+2 = {i + 2}, together {i * 8 + 2}."}]
        out.append({"prompt": [{"role": "system", "content": "Use tools.", "tools": specs},
                               {"role": "user", "content": f"What are {i}*7 and {i}+2, and their sum?"}], "completion": trace})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--convs", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    from transformers import AutoTokenizer

    from ground.conversation import split_tools
    from ground.models import resolve_model
    from students.data import encode_sft
    from students.render import for_template

    tok = AutoTokenizer.from_pretrained(resolve_model("smollm2-135m-instruct"))
    tok.chat_template = (ROOT / "recipes/templates/smollm2_tools.jinja").read_text()
    convs = conversations(a.convs)

    def ours():
        return encode_sft(tok, convs, 4096)

    def baseline():
        out = []
        for e in convs:
            msgs, tools = split_tools(for_template([*e["prompt"], *e["completion"]]))
            out.append(tok.apply_chat_template(msgs, tools=tools, tokenize=True, return_dict=True)["input_ids"])
        return out

    best = {"ours": float("inf"), "baseline": float("inf")}
    for _ in range(a.reps):
        for name, fn in (("ours", ours), ("baseline", baseline)):
            t0 = time.perf_counter()
            res = fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    n_tok = sum(len(x["input_ids"]) for x in ours())
    assert [x["input_ids"] for x in ours()] == [list(x) for x in baseline()], "same tokens expected"
    print(f"{a.convs} traces, {n_tok} tokens: ours {best['ours'] * 1e3:.0f} ms ({a.convs / best['ours']:.0f} conv/s), "
          f"baseline {best['baseline'] * 1e3:.0f} ms ({a.convs / best['baseline']:.0f} conv/s), "
          f"ratio ours/baseline {best['ours'] / best['baseline']:.2f}x time")


if __name__ == "__main__":
    main()
