"""Checks ``factory run`` makes before it writes anything: what a recipe needs from this machine and its
environment, which ``factory validate`` (CI, no keys, no GPU) must not ask for.

* every ``api_key_env`` the recipe names (teachers, judges, on-policy scorers) is set;
* with the local Ray the factory starts for itself (no ``RAY_ADDRESS``: it cannot add nodes), the GPUs the
  recipe asks for exist here, the ``vllm`` package is installed for a ``vllm`` teacher, and each API host
  resolves.

Each problem is one line naming the recipe field, the process exits 2 and no run directory is created:

    >>> from factory.preflight import key_problems
    >>> key_problems({"teacher": {"options": {"api_key_env": "NO_SUCH_VAR_X"}}}, {})
    ['teacher.options.api_key_env: environment variable NO_SUCH_VAR_X is not set (export NO_SUCH_VAR_X=... before running)']
"""

from __future__ import annotations

import importlib.util
import os
import socket
from typing import Any, Iterator
from urllib.parse import urlparse

from ground.errors import FactoryError


def _walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, Any]]:
    """(path of the parent, key, value) of every mapping entry under ``node``."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, str(k), v
            yield from _walk(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, str(i)))


def key_problems(data: dict, env: dict[str, str]) -> list[str]:
    """One line per ``api_key_env`` whose variable is unset or empty in ``env``, or holds what no header carries."""
    from teachers.openai_options import bad_key

    out = []
    for path, k, v in _walk(data):
        if k == "api_key_env" and isinstance(v, str) and v and not (env.get(v) or "").strip():
            out.append(f"{'.'.join((*path, k))}: environment variable {v} is not set (export {v}=... before running)")
        elif k == "api_key_env" and isinstance(v, str) and v and bad_key(env[v].strip()):
            out.append(f"{'.'.join((*path, k))}: the value of {v} {bad_key(env[v].strip())}")
    return out


def _teachers(data: dict) -> list[tuple[str, object]]:
    """(recipe field, section) of the teacher and of each of ``teachers``."""
    return [("teacher", data.get("teacher")), *[(f"teachers.{j}", t) for j, t in enumerate(data.get("teachers") or [])]]


def gpu_needs(data: dict) -> list[tuple[str, float]]:
    """(recipe field, GPUs one actor or worker asks for) for every part of the recipe that asks for GPUs."""
    needs = []
    for i, t in _teachers(data):
        if not isinstance(t, dict):
            continue
        tp = float((t.get("options") or {}).get("tensor_parallel_size") or 1)
        gpus = float(t.get("num_gpus") or (tp if t.get("engine") == "vllm" else 0))
        if gpus:
            needs.append((f"{i}.num_gpus", gpus))
    for name, pool in (data.get("execution") or {}).items():
        if isinstance(pool, dict) and pool.get("num_gpus"):
            needs.append((f"execution.{name}.num_gpus", float(pool["num_gpus"])))
    emb = (data.get("dedup") or {}).get("embedding")
    if isinstance(emb, dict) and emb.get("num_gpus"):
        needs.append(("dedup.embedding.num_gpus", float(emb["num_gpus"])))
    if isinstance(data.get("train"), dict) and data["train"].get("use_gpu"):
        needs.append(("train.use_gpu", 1.0))
    return needs


def gpu_pools(data: dict) -> list[tuple[str, int, float]]:
    """(recipe field of the pool's minimum size, that many actors, GPUs each) for every actor pool that asks for GPUs:
    teachers' ``replicas``, ``execution`` pools' ``min_actors``, the embedder's ``replicas``."""
    per = dict(gpu_needs(data))
    out = []
    for i, t in _teachers(data):
        if isinstance(t, dict) and per.get(f"{i}.num_gpus"):
            out.append((f"{i}.replicas", int(t.get("replicas") or 1), per[f"{i}.num_gpus"]))
    for name, pool in (data.get("execution") or {}).items():
        if isinstance(pool, dict) and per.get(f"execution.{name}.num_gpus"):
            out.append((f"execution.{name}.min_actors", int(pool.get("min_actors") or 1), per[f"execution.{name}.num_gpus"]))
    emb = (data.get("dedup") or {}).get("embedding")
    if isinstance(emb, dict) and per.get("dedup.embedding.num_gpus"):
        out.append(("dedup.embedding.replicas", int(emb.get("replicas") or 1), per["dedup.embedding.num_gpus"]))
    return out


def local_gpus() -> int:
    """GPUs a local Ray would see on this machine."""
    try:
        import torch

        return int(torch.cuda.device_count())
    except Exception:  # noqa: BLE001 - no torch or a broken driver: no usable GPU
        return 0


def local_problems(data: dict, gpus: int) -> list[str]:
    """What a local Ray on this machine cannot give the recipe: GPUs, the vllm package, resolvable API hosts."""
    out = [f"{f}: asks for {g:g} GPU(s) per actor but this machine has {gpus} and the local Ray cannot add nodes; "
           f"run it on a GPU cluster (RAY_ADDRESS=... or `factory submit`)" for f, g in gpu_needs(data) if g > gpus]
    train = data.get("train") if isinstance(data.get("train"), dict) else {}
    workers = int(train.get("workers") or 1)
    if train.get("use_gpu") and 1 <= gpus < workers:
        # Ray Train places all workers at once, a GPU each; short of them it retries the start every minute, forever
        out.append(f"train.workers: {workers} Ray Train workers take one GPU each but this machine has {gpus} and the local "
                   f"Ray cannot add nodes; lower train.workers or run it on a GPU cluster (RAY_ADDRESS=... or `factory submit`)")
    for f, count, per in gpu_pools(data):
        if 0 < per <= gpus < count * per:
            # a Ray Data actor pool starts its minimum size before any row moves: short of GPUs it waits for good
            out.append(f"{f}: {count} actors x {per:g} GPU(s) = {count * per:g} GPUs for the pool's minimum but this machine has "
                       f"{gpus} and the local Ray cannot add nodes; lower it or run it on a GPU cluster (RAY_ADDRESS=... or `factory submit`)")
    for f, t in _teachers(data):
        if isinstance(t, dict) and t.get("engine") == "vllm" and importlib.util.find_spec("vllm") is None:
            out.append(f"{f}.engine: vllm is not installed here (pip install -e '.[gpu]')")
    for path, k, v in _walk(data):
        if k == "base_url" and isinstance(v, str) and "://" in v:
            u = urlparse(v)
            port = u.netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
            shown = f"{u.scheme}://{u.hostname or ''}{f':{port}' if port else ''}{u.path}"  # no user:password@, no query
            try:
                if not u.hostname:
                    raise OSError(None, "no host in the URL")
                if port and not port.isdigit():
                    raise OSError(None, f"port {port!r} is not a number")
                socket.getaddrinfo(u.hostname, None)
            except (OSError, UnicodeError) as e:
                out.append(f"{'.'.join((*path, k))}: cannot resolve host {u.hostname!r} of {shown} ({getattr(e, 'strerror', None) or e})")
    return out


def preflight(recipe, recipe_file: str, skip_train: bool = False) -> None:
    """Raise one FactoryError naming the recipe file and every problem found (the first one first)."""
    data = recipe.model_dump(mode="json", exclude={"base_dir"})
    if skip_train:
        data.pop("train", None)
    problems = key_problems(data, dict(os.environ))
    if not os.environ.get("RAY_ADDRESS"):
        import ray

        if not ray.is_initialized():  # a Ray already running in this process (tests, the loop) keeps its own resources
            problems += local_problems(data, local_gpus() if gpu_needs(data) else 0)  # torch only when GPUs are asked for
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:])})" if len(problems) > 1 else ""
        raise FactoryError(f"{recipe_file}: {problems[0]}{more}")
