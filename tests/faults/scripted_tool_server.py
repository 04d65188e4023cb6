"""ScriptedToolServer: a real OpenAI-compatible HTTP server on 127.0.0.1 whose replies follow a script.

    >>> import httpx
    >>> from tests.faults.scripted_tool_server import ScriptedToolServer, tool_call
    >>> script = [{"tool_calls": [tool_call("c1", "calculator", {"expression": "6*7"})]}, {"content": "42"}]
    >>> with ScriptedToolServer(script) as srv:
    ...     r = httpx.post(srv.base_url + "/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "?"}]})
    >>> r.json()["choices"][0]["finish_reason"], r.json()["choices"][0]["message"]["tool_calls"][0]["id"]
    ('tool_calls', 'c1')

A scripted fake, named as one: a tool-capable API (OpenAI, vLLM with a tool parser) answers with
``tool_calls``; no local model here can be made to call tools reliably, so this server plays the
model while everything around it (HTTP, the client, retries, the tool loop, the real tools, the
store) is real. Reply ``i`` of the script answers a request whose messages hold ``i`` assistant turns.
``fail_requests``: request numbers (0-based, in arrival order) answered with HTTP 400 instead, to
cut a run off mid-loop. ``require_tools``: a request without ``tools`` in its body is answered with HTTP 400
(the server checks that the client sent the catalogue natively). ``requests`` keeps every request body received; usage is
``prompt_tokens = 10 * (turn + 1)``, ``completion_tokens = 5``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def tool_call(cid: str, name: str, arguments: dict) -> dict:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


class ScriptedToolServer:
    def __init__(self, script: list[dict], fail_requests: tuple[int, ...] = (), require_tools: bool = False):
        self.script, self.fail_requests, self.require_tools = list(script), set(fail_requests), require_tools
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet test output
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                status, payload = srv.answer(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def answer(self, body: dict) -> tuple[int, dict]:
        with self._lock:
            n = len(self.requests)
            self.requests.append(body)
        if n in self.fail_requests:
            return 400, {"error": {"message": f"scripted failure of request {n}"}}
        if self.require_tools and not body.get("tools"):
            return 400, {"error": {"message": "scripted server: the request body has no tools"}}
        turn = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        reply = self.script[min(turn, len(self.script) - 1)]
        msg = {"role": "assistant", "content": reply.get("content")}
        for k in ("tool_calls", "reasoning_content"):
            if reply.get(k):
                msg[k] = reply[k]
        finish = "tool_calls" if reply.get("tool_calls") else "stop"
        return 200, {"id": f"s{n}", "object": "chat.completion", "model": body.get("model"),
                     "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                     "usage": {"prompt_tokens": 10 * (turn + 1), "completion_tokens": 5, "total_tokens": 10 * (turn + 1) + 5}}

    def __enter__(self) -> ScriptedToolServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
