"""Content-addressed request cache: never pay for the same teacher call twice.

    >>> from teachers.cache import RequestCache, request_key
    >>> cache = RequestCache("runs/_cache/requests")           # local path or s3://... URI
    >>> k = request_key("hf_local", "smollm2-135m-instruct", [{"role": "user", "content": "hi"}], {"max_tokens": 8}, 0)
    >>> cache.put({k: {"text": "hello"}}); cache.get_many([k])[k]["text"]
    'hello'

Key = sha256(engine, model, messages, sampling params, sample index and the engine's options that change
its answers, :func:`options_key`): a change of prompt, params, chat template, few-shot turns, tool_choice...
changes exactly the affected keys. Entries are appended as small Parquet files, one per
generated batch (``part-<uuid>.parquet``, written atomically), so a crash loses at most the batch
in flight and a re-run hits the cache for every finished call. The files live with the run store,
so every node of a cluster sees them through the same (pyarrow) filesystem URI. Failed calls
(``error`` set) are not cached: a re-run retries them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ground import fsutil
from ground.errors import FactoryError
from ground.record import sha, sha_prefix

_SCHEMA = pa.schema([("key", pa.string()), ("result", pa.string())])


def request_key(engine: str, model: str, messages: list[dict], params: dict, sample_index: int,
                options: dict | None = None) -> str:
    """``options``: the engine's resolved options that change its answers (:func:`options_key`); none -> the
    key as it was before options counted, so caches of recipes without such options keep their entries."""
    # an engine whose top-k logprobs changed meaning declares a new key version for exactly the requests that
    # ask for them (Teacher.logprobs_cache_version), so stale entries are never served as raw logprobs
    version = _logprobs_version(engine) if params.get("top_logprobs") else "request-v1"
    if options:
        return sha(version, engine, model, messages, params, int(sample_index), options, n=40)
    return sha(version, engine, model, messages, params, int(sample_index), n=40)


def request_keys(engine: str, model: str, messages: list[dict], params: list[dict], sample_indices: list[int],
                 options: dict | None = None) -> list[str]:
    """:func:`request_key` of each (params, sample index) of one prompt: the shared leading parts hash once."""
    out, pre = [], {}
    for p, k in zip(params, sample_indices):
        version = _logprobs_version(engine) if p.get("top_logprobs") else "request-v1"
        if version not in pre:
            pre[version] = sha_prefix(version, engine, model, messages)
        out.append(sha(p, int(k), options, n=40, prefix=pre[version]) if options else sha(p, int(k), n=40, prefix=pre[version]))
    return out


def options_key(engine: str, options: dict) -> dict:
    """The part of an engine's resolved options (``teacher_cfg(...)["options"]``) that changes its answers
    (``Teacher.cache_options``: e.g. hf_local's chat template text and few-shot turns, an API's tool_choice)."""
    from teachers.registry import teacher_class

    return teacher_class(engine).cache_options(dict(options or {}))


def refused_reasons(engine: str, options: dict) -> tuple[str, ...]:
    """The finish reasons ``engine`` with these resolved options retries (``Teacher.refused_finish_reasons``): a
    cached answer that ended so is not served (it was stored before the recipe asked for the retry)."""
    from teachers.registry import teacher_class

    return tuple(teacher_class(engine).refused_finish_reasons(dict(options or {})))


def usable(result: str | dict, refuse) -> bool:
    """Whether a stored result (JSON text or dict) may answer a request whose teacher refuses ``refuse``."""
    if not refuse or (isinstance(result, str) and not any(f'"{r}"' in result for r in refuse)):
        return True  # (a reason that is nowhere in the text is not its finish reason: no JSON parse for most entries)
    res = json.loads(result) if isinstance(result, str) else result
    return res.get("finish_reason") not in refuse


@functools.lru_cache(maxsize=64)
def _logprobs_version(engine: str) -> str:
    from teachers.registry import ENGINES

    try:
        return ENGINES.load(engine).logprobs_cache_version
    except (KeyError, FactoryError):  # an engine no longer installed: its keys keep the default version
        return "request-v1"


def _h64(keys: list[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little") for k in keys], dtype=np.uint64)


class RequestCache:
    """Entries stay in their files: a lookup holds only a sorted 8-byte hash of every key and the (file, row) where
    it is (16 bytes an entry, ~16 MiB for 1M; the entries themselves took ~0.5 GiB in a dict), and reads the
    files its keys are in. A hash match is confirmed against the stored key, so a collision is a miss, never a
    wrong answer; ``len`` counts distinct hashes. A key stored twice may be answered from either copy."""

    def __init__(self, uri: str):
        self.uri = uri
        self._fs, self._path = fsutil.filesystem(uri)
        self._files: list[str] | None = None
        self._hashes = self._locs = None  # sorted key hashes; file index << 32 | row, same order
        self._recent: dict[str, str] = {}  # put by this process after the index was built

    def __reduce__(self):  # ship only the URI to Ray workers
        return (RequestCache, (self.uri,))

    def _load(self) -> None:
        if self._files is not None:
            return
        self._files = fsutil.list_files(self._fs, self._path, ".parquet")
        hs, locs = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
        for i, f in enumerate(self._files):
            with self._fs.open_input_file(f) as fh:
                keys = pq.read_table(fh, columns=["key"]).column("key").to_pylist()
            hs.append(_h64(keys))
            locs.append((np.int64(i) << 32) | np.arange(len(keys), dtype=np.int64))
        h, loc = np.concatenate(hs), np.concatenate(locs)
        order = np.argsort(h, kind="stable")
        self._hashes, self._locs = h[order], loc[order]

    def has_entries(self) -> bool:
        """Whether any entry was ever written (cheap: a listing, no file is read)."""
        return bool(fsutil.list_files(self._fs, self._path, ".parquet"))

    def __len__(self) -> int:
        self._load()
        fresh = [k for k in self._recent if not self._lookup([k])]
        return int(len(np.unique(self._hashes))) + len(fresh)

    def _candidates(self, keys: list[str]) -> list[tuple[str, list[int]]]:
        """(key, the (file index << 32 | row) of each stored copy whose hash matches) for the keys stored."""
        if not keys or not len(self._hashes):
            return []
        h = _h64(keys)
        lo, hi = np.searchsorted(self._hashes, h, "left"), np.searchsorted(self._hashes, h, "right")
        return [(k, [int(x) for x in self._locs[a:b]]) for k, a, b in zip(keys, lo, hi) if b > a]

    def _read(self, need: dict[int, list[tuple[int, str]]]) -> list[tuple[str, str]]:
        """(key, result JSON text) of each (row, key) wanted per file index; a hash collision is left out."""
        out = []
        for fi in need:
            t = fsutil.read_parquet(self._fs, self._files[fi])
            rows = [r for r, _ in need[fi]]
            for (_, k), sk, res in zip(need[fi], t.column("key").take(rows).to_pylist(), t.column("result").take(rows).to_pylist()):
                if sk == k:
                    out.append((k, res))
        return out

    def _lookup(self, keys: list[str]) -> dict[str, str]:
        """key -> stored result (JSON text) for the keys in the files."""
        cands = self._candidates(keys)
        # one stored copy per key, from the files most of these keys share: a request repeated across chunks is
        # stored in many files, and taking any copy (they answer the same request) could read hundreds of files
        shared = Counter(loc >> 32 for _, locs in cands for loc in locs)
        need: dict[int, list[tuple[int, str]]] = {}
        for k, locs in cands:
            loc = max(locs, key=lambda x: (shared[x >> 32], x >> 32))
            need.setdefault(loc >> 32, []).append((loc & 0xFFFFFFFF, k))
        out: dict[str, str] = {}
        for k, res in self._read(need):
            out.setdefault(k, res)
        return out

    def _copies(self, keys: list[str]) -> dict[str, list[str]]:
        """key -> every stored copy of its result (JSON text) in the files."""
        need: dict[int, list[tuple[int, str]]] = {}
        for k, locs in self._candidates(keys):
            for loc in locs:
                need.setdefault(loc >> 32, []).append((loc & 0xFFFFFFFF, k))
        out: dict[str, list[str]] = {}
        for k, res in self._read(need):
            out.setdefault(k, []).append(res)
        return out

    def get_many(self, keys: list[str], refuse=()) -> dict[str, dict]:
        """Stored results of ``keys``; ``refuse``: finish reasons not served (:func:`usable`): a key whose copy
        ended so is answered from another copy that did not (a re-asked request is stored again), else missed."""
        self._load()
        found = {k: self._recent[k] for k in keys if k in self._recent and usable(self._recent[k], refuse)}
        found.update(self._lookup([k for k in dict.fromkeys(keys) if k not in found]))
        bad = [k for k, v in found.items() if not usable(v, refuse)]
        if bad:
            for k in bad:
                del found[k]
            for k, copies in self._copies(bad).items():
                ok = [c for c in copies if usable(c, refuse)]
                if ok:
                    found[k] = ok[0]
        return {k: json.loads(v) for k, v in found.items()}

    def put(self, results: dict[str, dict[str, Any]]) -> None:
        good = {k: json.dumps(v) for k, v in results.items() if not v.get("error")}
        if not good:
            return
        table = pa.Table.from_pydict({"key": list(good), "result": list(good.values())}, schema=_SCHEMA)
        fsutil.write_parquet_atomic(self._fs, fsutil.join(self._path, f"part-{uuid.uuid4().hex}.parquet"), table)
        if self._files is not None:
            self._recent.update(good)
