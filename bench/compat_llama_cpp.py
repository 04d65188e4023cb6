"""Our openai_compat teacher against another server: llama.cpp's (llama-cpp-python) serving the bundled GGUF.

    python3 -m venv /tmp/llvenv
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF" \\
        /tmp/llvenv/bin/pip install "llama-cpp-python[server]"          # builds from source: ~6 min on 2 cores
    python bench/compat_llama_cpp.py --server-python /tmp/llvenv/bin/python

Our own tests drive the client against 127.0.0.1 servers we wrote (factory serve, the scripted fakes); this
check uses a server we did not write, with its own quirks. It starts two llama.cpp servers on free ports
(chatml for plain chat, chatml-function-calling for tools) and runs two small recipes through the whole
factory (`factory.pipeline.run_recipe`, local Ray): GSM8K questions with ``top_logprobs: 3`` (the KD path)
and the tool_agent over openai_compat with native tools and a forced ``tool_choice`` (multi-turn: calls,
tool results or tool errors fed back). It prints what came back and fails loudly on a transport error.
Not in the test suite: llama-cpp-python is not a dependency (it compiles for minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHAT = """name: llama_cpp_chat
source: {{path: {root}/data/gsm8k_sample/train.jsonl, license: MIT, fields: {{prompt: question, reference: answer}}, limit: 8}}
prompt: {{template: {root}/recipes/prompts/gsm8k.txt}}
teacher:
  name: llama-cpp
  engine: openai_compat
  model: smol
  n: 2
  sampling: {{max_tokens: 32, temperature: 0.7, top_p: 0.95, seed: 1, top_logprobs: 3}}
  batch_size: 8
  options: {{base_url: "{url}", concurrency: 2, timeout_s: 120, max_retries: 1}}
verifiers: [{{name: math_answer}}]
output: {{dir: {out}, shard_size: 8}}
"""
TOOLS = """name: llama_cpp_tools
source: {{path: {root}/data/tool_prompts.jsonl, fields: {{messages: messages, reference: reference, id: id}}, limit: 3}}
teacher:
  name: llama-cpp-tools
  engine: tool_agent
  model: smol
  n: 1
  sampling: {{max_tokens: 64, temperature: 0.0}}
  batch_size: 4
  options:
    inner_engine: openai_compat
    inner_options: {{base_url: "{url}", concurrency: 2, timeout_s: 120, max_retries: 1}}
    tools: [calculator, kv_store]
    max_turns: 2
    tool_choice: {{type: function, function: {{name: calculator}}}}
verifiers: [{{name: tool_calls}}]
output: {{dir: {out}, shard_size: 8}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(python: str, gguf: str, chat_format: str, log: Path):
    port = free_port()
    p = subprocess.Popen([python, "-m", "llama_cpp.server", "--model", gguf, "--host", "127.0.0.1", "--port", str(port),
                          "--n_threads", "1", "--model_alias", "smol", "--chat_format", chat_format],
                         stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                    break
            if p.poll() is not None:
                raise SystemExit(f"llama.cpp server exited with {p.returncode}; see {log}")
            time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        p.terminate()
        p.wait(30)


def rows_of(run_dir: str) -> list[dict]:
    return [r for kind in ("accepted", "rejects") for f in sorted(Path(run_dir, kind).glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server-python", required=True, help="a Python with llama-cpp-python[server] installed")
    args = ap.parse_args()
    from factory.pipeline import run_recipe
    from ground.models import BUNDLED, _package_dir

    m = BUNDLED["smollm2-135m-instruct"]
    gguf = str(_package_dir(m.module) / m.filename)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with server(args.server_python, gguf, "chatml", work / "chat.log") as url:
            (work / "chat.yaml").write_text(CHAT.format(root=ROOT, url=url, out=work / "runs"))
            rows = rows_of(run_recipe(str(work / "chat.yaml")).run_dir)
        errs = [r["reject_reason"] for r in rows if r["reject_stage"] == "generate"]
        topk = [r for r in rows if r["teacher_topk"]]
        print(f"chat: {len(rows)} rows, transport errors {len(errs)}, with top-3 logprobs {len(topk)}, tokens out "
              f"{sum(r['tokens_out'] or 0 for r in rows)}, finish reasons {sorted({r['finish_reason'] for r in rows})}")
        with server(args.server_python, gguf, "chatml-function-calling", work / "tools.log") as url:
            (work / "tools.yaml").write_text(TOOLS.format(root=ROOT, url=url, out=work / "runs"))
            trows = rows_of(run_recipe(str(work / "tools.yaml")).run_dir)
        terrs = [r["reject_reason"] for r in trows if r["reject_stage"] == "generate"]
        traces = [json.loads(r["completion"]) for r in trows if r["completion"]]
        print(f"tools: {len(trows)} rows, transport errors {len(terrs)}, tool calls "
              f"{sum(len(m.get('tool_calls') or []) for t in traces for m in t)}, tool results "
              f"{sum(m['role'] == 'tool' for t in traces for m in t)}, verdicts {sorted({r['reject_reason'] or 'accepted' for r in trows})}")
        for e in (errs + terrs)[:3]:
            print("  error:", e[:300])
        return 1 if errs or terrs or not topk else 0


if __name__ == "__main__":
    raise SystemExit(main())
