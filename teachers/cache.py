"""Content-addressed request cache: never pay for the same teacher call twice.

    >>> from teachers.cache import RequestCache, request_key
    >>> cache = RequestCache("runs/_cache/requests")           # local path or s3://... URI
    >>> k = request_key("hf_local", "smollm2-135m-instruct", [{"role": "user", "content": "hi"}], {"max_tokens": 8}, 0)
    >>> cache.put({k: {"text": "hello"}}); cache.get_many([k])[k]["text"]
    'hello'

Key = sha256(engine, model, messages, sampling params, sample index): a change of prompt or
params changes exactly the affected keys. Entries are appended as small Parquet files, one per
generated batch (``part-<uuid>.parquet``, written atomically), so a crash loses at most the batch
in flight and a re-run hits the cache for every finished call. The files live with the run store,
so every node of a cluster sees them through the same (pyarrow) filesystem URI. Failed calls
(``error`` set) are not cached: a re-run retries them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pyarrow as pa

from ground import fsutil
from ground.record import sha

_SCHEMA = pa.schema([("key", pa.string()), ("result", pa.string())])


def request_key(engine: str, model: str, messages: list[dict], params: dict, sample_index: int) -> str:
    # hf_local top-k logprobs were taken after the sampling warpers before issue #13; a new key version for
    # exactly those requests keeps such stale entries from ever being served as raw logprobs
    version = "request-v2-rawlp" if engine == "hf_local" and params.get("top_logprobs") else "request-v1"
    return sha(version, engine, model, messages, params, int(sample_index), n=40)


class RequestCache:
    def __init__(self, uri: str):
        self.uri = uri
        self._fs, self._path = fsutil.filesystem(uri)
        self._index: dict[str, str] | None = None

    def __reduce__(self):  # ship only the URI to Ray workers
        return (RequestCache, (self.uri,))

    def _load(self) -> dict[str, str]:
        if self._index is None:
            idx: dict[str, str] = {}
            for f in fsutil.list_files(self._fs, self._path, ".parquet"):
                t = fsutil.read_parquet(self._fs, f)
                idx.update(zip(t.column("key").to_pylist(), t.column("result").to_pylist()))
            self._index = idx
        return self._index

    def has_entries(self) -> bool:
        """Whether any entry was ever written (cheap: a listing, no file is read)."""
        return bool(fsutil.list_files(self._fs, self._path, ".parquet"))

    def __len__(self) -> int:
        return len(self._load())

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        idx = self._load()
        return {k: json.loads(idx[k]) for k in keys if k in idx}

    def put(self, results: dict[str, dict[str, Any]]) -> None:
        good = {k: json.dumps(v) for k, v in results.items() if not v.get("error")}
        if not good:
            return
        table = pa.Table.from_pydict({"key": list(good), "result": list(good.values())}, schema=_SCHEMA)
        fsutil.write_parquet_atomic(self._fs, fsutil.join(self._path, f"part-{uuid.uuid4().hex}.parquet"), table)
        if self._index is not None:
            self._index.update(good)
