"""RawReplyServer: a fake HTTP server on 127.0.0.1 that answers the n-th POST with the n-th canned raw reply.

    >>> from tests.faults.raw_reply_server import RawReplyServer, http_reply
    >>> import httpx
    >>> with RawReplyServer([http_reply(503, b"<html>busy</html>", "content-type: text/html")]) as srv:
    ...     httpx.post(srv.base_url + "/chat/completions", json={}).status_code
    503

This is a fake, and named as one: it exists to send byte-exact replies that other OpenAI-compatible servers send
(vLLM's top-level error object, an HTML 429 from a proxy, a gzip body, a JSON escape of half an emoji) and that
FaultInjectingServer (tests/faults/fault_server.py), which renders well-formed JSON, cannot. The last reply of
the list answers every later request; each reply closes its connection. ``bodies`` keeps what was POSTed. A
reply may be a function of the POSTed JSON instead (a server that checks what it is sent, as DeepSeek's does).
"""

from __future__ import annotations

import json
import socket
import threading


def http_reply(status: int, body: bytes | dict, *headers: str) -> bytes:
    """The bytes of one HTTP/1.1 reply; a dict body is sent as JSON."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    head = [f"HTTP/1.1 {status} Status", f"content-length: {len(body)}", "connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chat_reply(content="hi", usage: dict | None = None, **message) -> dict:
    """A chat completion body with one choice."""
    body = {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                                                                                  **message}, "finish_reason": "stop"}]}
    return {**body, "usage": usage or {"prompt_tokens": 3, "completion_tokens": 1}}


class RawReplyServer:
    """``tls``: (certificate file, key file) to serve HTTPS instead of HTTP."""

    def __init__(self, replies: list, tls: tuple[str, str] | None = None):
        self.replies, self.bodies = list(replies), []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._tls = None
        if tls:
            import ssl

            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls)
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self._lock = threading.Lock()

    def __enter__(self) -> "RawReplyServer":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._sock.close()

    @property
    def requests(self) -> int:
        return len(self.bodies)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        if self._tls is not None:
            try:
                conn = self._tls.wrap_socket(conn, server_side=True)
            except OSError:  # the client refused our certificate
                conn.close()
                return
        with conn:
            buf = b""
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, _, body = buf.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                data = conn.recv(65536)
                if not data:
                    return
                body += data
            with self._lock:
                reply = self.replies[min(len(self.bodies), len(self.replies) - 1)]
                self.bodies.append(json.loads(body or b"{}"))
            if callable(reply):
                reply = reply(self.bodies[-1])
            try:
                conn.sendall(reply)
            except OSError:
                pass
