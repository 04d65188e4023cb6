"""Resume and crash edges of the run store, with real processes and real Parquet: a kill -9 mid-write, a
retried finalize task, a second run on the same run directory, and a resume under a changed recipe."""

import os
import signal
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def _python(code: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_kill9_mid_write_leaves_nothing_a_parquet_reader_trips_on(tmp_path):
    """The process dies (SIGKILL) after a part's bytes are written and before the rename: pyarrow.dataset over
    the folder still reads exactly the whole parts, and a run's start sweeps the leftover."""
    d = tmp_path / "accepted"
    p = _python(f"""
        import os, signal
        import pyarrow as pa
        from ground import fsutil
        fs, _ = fsutil.filesystem({str(d)!r})
        fsutil.write_parquet_atomic(fs, {str(d / 'part-0.parquet')!r}, pa.table({{"x": [1, 2]}}))
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)   # die between the write and the rename
        fsutil.write_parquet_atomic(fs, {str(d / 'part-1.parquet')!r}, pa.table({{"x": [3, 4]}}))
    """, tmp_path)
    assert p.returncode == -signal.SIGKILL, p.stderr
    assert len(list(d.iterdir())) == 2  # the whole part and the dead writer's leftover
    assert pads.dataset(str(d), format="parquet").to_table().column("x").to_pylist() == [1, 2]
    from ground import fsutil

    fs, _ = fsutil.filesystem(str(tmp_path))
    assert fsutil.sweep_tmp(fs, str(tmp_path)) == 1
    assert [f.name for f in d.iterdir()] == ["part-0.parquet"]


def _chunk(store, c: int, n: int) -> None:
    from ground.record import new_sample, reject, to_table

    rows = [new_sample(stage="t", prompt_id=f"p{c}-{i}", sample_index=0, messages=[{"role": "user", "content": f"q{c}-{i}"}],
                       chunk=c, completion=f"a{c}-{i}") for i in range(n)]
    reject(rows[-1], "verify:x", "wrong answer")
    store.write_chunk(c, to_table(rows))


def test_a_retried_finalize_task_writes_its_parts_once(tmp_path):
    """Ray Data retries the task of a finalize actor that died after writing its parts: the retry must replace
    them, not add a second copy (accepted/ would hold every row of the chunk twice, unlike the counts)."""
    import pyarrow.parquet as pq

    from factory.curate_pass import FinalizeUDF
    from factory.store import RunStore

    store = RunStore(str(tmp_path), "r", "x")
    _chunk(store, 0, 3)
    udf = FinalizeUDF(store.uri, [], None, None, {})
    ref = pa.table({"files": [[store.chunk_path(0)]]})
    udf(ref)
    udf(ref)  # the retry of the same block
    for kind, n in (("accepted", 2), ("rejects", 1)):
        ids = pq.read_table(str(tmp_path / "r" / "x" / "curation" / "_final" / kind)).column("id").to_pylist()
        assert len(ids) == n and len(set(ids)) == n, (kind, ids)


@pytest.fixture(scope="module")
def server():
    from tests.faults.fault_server import FaultInjectingServer

    with FaultInjectingServer(latency_s=0.05) as srv:
        yield srv


def _cli(*args, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    return subprocess.run([sys.executable, "-m", "factory", "run", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_a_second_run_of_a_run_dir_in_use_is_refused(server, tmp_path):
    """Two `factory run` of one run dir at once would interleave chunks, dedup decisions and accepted/ parts
    (each deletes the other's): the second fails at once with one line naming the holder, and writes nothing."""
    from tests.integration.test_faults import write_recipe

    recipe = write_recipe(tmp_path, server.base_url, tmp_path / "out", limit=4)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from factory.pipeline import fingerprint
        from factory.recipe import load_recipe
        from factory.store import RunStore
        r = load_recipe({str(recipe)!r})
        store = RunStore(r.output.dir, r.name, fingerprint(r))
        import os; os.makedirs(store.path)
        with store.locked():
            print(store.path, flush=True)
            time.sleep(120)
    """)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        run_dir = holder.stdout.readline().strip()
        assert run_dir, "the lock holder did not start"
        p = _cli(str(recipe), cwd=tmp_path)
        assert p.returncode == 2, p.stderr[-2000:]
        line = p.stderr.strip().splitlines()[-1]
        assert line.startswith(f"error: {run_dir}: another run is writing this run directory (pid {holder.pid} on "), line
        assert sorted(os.listdir(run_dir)) == [".lock"]
    finally:
        holder.kill()
        holder.wait()


def test_resuming_a_run_id_under_a_changed_recipe_is_refused(server, tmp_path):
    """A run killed mid-way, its recipe edited, then re-run with the same --run-id: its finished chunks were made
    under the old recipe; resuming would mix them with new ones. It is refused, naming both fingerprints."""
    import json
    import time

    from tests.integration.test_faults import write_recipe

    recipe = write_recipe(tmp_path, server.base_url, tmp_path / "out", limit=4)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    p = subprocess.Popen([sys.executable, "-m", "factory", "run", str(recipe), "--run-id", "mine"], cwd=tmp_path, env=env,
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = tmp_path / "out" / "faults" / "mine" / "manifest.json"
    deadline = time.time() + 120
    while time.time() < deadline and not manifest.exists() and p.poll() is None:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)  # kill -9 of the driver (and the Ray it was starting)
    p.wait(30)
    old = json.loads(manifest.read_text())
    assert old["status"] == "running"
    recipe.write_text(recipe.read_text().replace("max_tokens: 32", "max_tokens: 16"))
    p = _cli(str(recipe), "--run-id", "mine", cwd=tmp_path)
    assert p.returncode == 2, p.stderr[-2000:]
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: run mine ({manifest.parent}) was made from a different recipe or input files (fingerprint "
                           f"{old['fingerprint']}, now "), line
    assert json.loads(manifest.read_text()) == old  # nothing of the run was touched


def _descendants(root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                f = open(f"/proc/{stat}/stat").read()
            except OSError:
                continue
            kids.setdefault(int(f[f.rindex(")") + 2:].split()[1]), []).append(int(stat))
    out, todo = [], [root]
    while todo:
        x = todo.pop()
        out.append(x)
        todo += kids.get(x, [])
    return out


def _run_killing(recipe, cwd, pattern: str, when, whole_group: bool) -> tuple[subprocess.Popen, list[int]]:
    """`factory run` with kill -9 of its descendants whose command line holds ``pattern`` (or of the whole run,
    ``whole_group``) as soon as ``when()`` holds and such a process exists."""
    import time

    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    p = subprocess.Popen([sys.executable, "-m", "factory", "run", str(recipe)], cwd=cwd, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed: list[int] = []
    deadline = time.time() + 240
    while time.time() < deadline and p.poll() is None and not killed:
        if when():
            for pid in _descendants(p.pid):
                try:
                    if pattern in open(f"/proc/{pid}/cmdline").read():
                        killed.append(pid)
                        os.killpg(p.pid, signal.SIGKILL) if whole_group else os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.005)
    return p, killed


def test_killed_finalize_worker_and_driver_leave_accepted_whole_and_counted(server, tmp_path):
    """1. kill -9 of the Ray worker writing accepted/: Ray Data retries its task; the run succeeds and
    pyarrow.dataset over accepted/ reads each row once, as many as the manifest counts, with no temp file
    left (on main: 28 rows for 24 counted, a part's .tmp- file read as rows).
    2. The same command again, the driver killed as its finalize pass starts: accepted/ is still the whole
    earlier set (on main its parts were deleted first, then rewritten one by one: a kill left a part of it)."""
    import glob
    import json

    import pyarrow.dataset as pads

    from tests.integration.test_faults import write_recipe

    recipe = write_recipe(tmp_path, server.base_url, tmp_path / "out", limit=12)
    p, killed = _run_killing(recipe, tmp_path, "FinalizeUDF", lambda: glob.glob(str(tmp_path / "out/faults/*/**/accepted/*part-*"),
                                                                                 recursive=True), False)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    assert killed, "no finalize worker was found to kill"
    (run,) = list((tmp_path / "out" / "faults").iterdir())
    counts = json.loads((run / "manifest.json").read_text())["counts"]
    ids = pads.dataset(str(run / "accepted"), format="parquet").to_table().column("id").to_pylist()
    assert len(ids) == len(set(ids)) == counts["accepted"] == counts["rows"] == 24
    assert not list(run.rglob("*.tmp-*"))

    p, killed = _run_killing(recipe, tmp_path, "FinalizeUDF", lambda: True, True)
    p.communicate(timeout=120)
    assert killed and p.returncode == -signal.SIGKILL
    assert sorted(pads.dataset(str(run / "accepted"), format="parquet").to_table().column("id").to_pylist()) == sorted(ids)



@pytest.mark.skipif(os.geteuid() != 0, reason="a read-only bind mount needs root (root ignores file modes)")
def test_resuming_on_a_read_only_output_dir_is_one_clear_line(server, tmp_path):
    """An earlier run's output dir, now mounted read-only: `factory run` says so in one line (exit 2) rather than
    a traceback from opening its log, and run_recipe names the run dir it cannot write."""
    from factory.pipeline import fingerprint, run_recipe
    from factory.recipe import load_recipe
    from ground.errors import FactoryError
    from tests.integration.test_faults import write_recipe

    src, mnt = tmp_path / "src", tmp_path / "ro"
    recipe = write_recipe(tmp_path, server.base_url, mnt, limit=4)
    run_dir = src / "faults" / fingerprint(load_recipe(str(recipe)))
    run_dir.mkdir(parents=True)
    (src / "_logs").mkdir()
    mnt.mkdir()
    if subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mnt)], check=True)
        p = _cli(str(recipe), cwd=tmp_path)
        assert p.returncode == 2, p.stderr[-2000:]
        assert p.stderr.strip().splitlines() == [f"error: output.dir: cannot write {mnt / '_logs'}: Read-only file system"]
        with pytest.raises(FactoryError, match=f"^output.dir: cannot write {mnt}/faults/.*: Read-only file system$"):
            run_recipe(str(recipe))
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def test_a_source_rewritten_during_the_run_is_one_clear_line(server, tmp_path):
    """The run planned its chunks (byte offsets, counts) from the source; the file is then rewritten while it
    starts. Workers would read shifted records under the old run id: instead exit 2 and one line naming the file
    (on main: a Ray traceback, or chunks made of two versions of the file)."""
    import glob
    import shutil
    import time

    from tests.integration.test_faults import write_recipe

    src = tmp_path / "src.jsonl"
    shutil.copy(ROOT / "data/gsm8k_sample/train.jsonl", src)
    recipe = write_recipe(tmp_path, server.base_url, tmp_path / "out", limit=4)
    recipe.write_text(recipe.read_text().replace(str(ROOT / "data/gsm8k_sample/train.jsonl"), str(src)))
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    p = subprocess.Popen([sys.executable, "-m", "factory", "run", str(recipe)], cwd=tmp_path, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None and not glob.glob(str(tmp_path / "out/faults/*/manifest.json")):
        time.sleep(0.01)
    lines = src.read_text().splitlines(keepends=True)
    src.write_text("".join(lines[1:3] + lines[:1] + lines[3:]))  # records reordered: same size, new mtime
    _, err = p.communicate(timeout=300)
    assert p.returncode == 2, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: source.path: {src} changed during the run (size:mtime "), last
    assert not glob.glob(str(tmp_path / "out/faults/*/chunks/chunk-*.parquet"))


def test_a_source_rewritten_right_after_the_manifest_is_caught_too(server, tmp_path):
    """The same change at the one instant the test above could hit by chance (CI did): right after the manifest is
    written. Generation planned the source a second time there, so it stamped the new file and ran it to the end
    under the old content's run id; it reads the driver's first plan now, and the worker's check names the file."""
    import glob
    import shutil

    from tests.integration.test_faults import write_recipe

    src = tmp_path / "src.jsonl"
    shutil.copy(ROOT / "data/gsm8k_sample/train.jsonl", src)
    recipe = write_recipe(tmp_path, server.base_url, tmp_path / "out", limit=4)
    recipe.write_text(recipe.read_text().replace(str(ROOT / "data/gsm8k_sample/train.jsonl"), str(src)))
    p = _python(f"""
        import pathlib, sys
        from factory import pipeline
        from factory.cli import main
        start, src = pipeline._start_manifest, pathlib.Path({str(src)!r})

        def start_then_rewrite(*a, **k):
            m = start(*a, **k)
            lines = src.read_text().splitlines(keepends=True)
            src.write_text("".join(lines[1:3] + lines[:1] + lines[3:]))  # records reordered: same size, new mtime
            return m

        pipeline._start_manifest = start_then_rewrite
        sys.exit(main(["run", {str(recipe)!r}]))
    """, tmp_path)
    assert p.returncode == 2, p.stderr[-3000:]
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: source.path: {src} changed during the run (size:mtime "), last
    assert not glob.glob(str(tmp_path / "out/faults/*/chunks/chunk-*.parquet"))


def test_inspect_tells_a_killed_run_from_a_running_one(tmp_path):
    """A kill -9 leaves the manifest at status running: `factory inspect` says the run was killed when no process
    holds its lock, and nothing when one does."""
    import json

    from factory.store import RunStore
    from ground.record import SCHEMA
    from tests.conftest import run_cli

    store = RunStore(str(tmp_path), "r", "x")
    (tmp_path / "r" / "x").mkdir(parents=True)
    store.write_json("manifest.json", {"status": "running"})
    for kind in ("accepted", "rejects"):
        from ground import fsutil

        fsutil.write_parquet_atomic(store.fs, store.p(kind, "part-empty.parquet"), SCHEMA.empty_table())
    p = run_cli("inspect", store.path)
    assert p.returncode == 0, p.stderr
    assert p.stderr.startswith("note: the manifest says running but no process holds the run: it was killed"), p.stderr
    with store.locked():
        p = run_cli("inspect", store.path)
    assert p.returncode == 0 and "note:" not in p.stderr, p.stderr
    assert json.loads((tmp_path / "r" / "x" / "manifest.json").read_text()) == {"status": "running"}


def test_a_retried_shuffle_write_does_not_make_a_row_its_own_duplicate(tmp_path):
    """Exact dedup shuffles key rows through files; Ray retries a map task whose worker died after writing them.
    The retry must replace the block's files: a second copy put each row twice in its partition, and exact dedup
    rejected a unique accepted row as 'exact duplicate of' itself."""
    from curation.dedup.exact import _partition_decisions
    from ground.fileshuffle import read_part, write_parts

    keys = pa.table({"id": ["a", "b", "c"], "chunk": [0, 0, 1], "score": [None, None, None], "tlen": [3, 3, 3],
                     "dedup_key": ["k1", "k2", "k2"], "part": [0, 0, 0]})
    out = str(tmp_path / "shuffle")
    write_parts(keys, out)
    write_parts(keys, out)  # the retried task
    dec = _partition_decisions(pa.concat_tables(read_part(out, 0)), "dedup_exact").to_pylist()
    rejected = {d["id"]: d["survivor_id"] for d in dec if d["survivor_id"] is not None}
    assert rejected == {"c": "b"}, dec  # c duplicates b; a (unique) and b (the survivor) stay
