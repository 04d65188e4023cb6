"""The run store and the request cache on object stores (project issue #7): s3:// and gs://.

Each store is a real HTTP server on 127.0.0.1 that speaks the protocol, not the cloud service:

* S3: moto in server mode (``python -m moto.server``), a local S3-compatible emulator. It is
  not AWS. pyarrow's ``S3FileSystem`` is pointed at it as a user points it at MinIO, Ceph or R2:
  ``AWS_ENDPOINT_URL`` plus credentials in the environment, plain ``s3://bucket/prefix`` URIs.
* GCS: ``gcp-storage-emulator``, a local emulator of the GCS JSON API. It is not Google Cloud.
  pyarrow's ``GcsFileSystem`` (google-cloud-cpp) is sent there by ``CLOUD_STORAGE_EMULATOR_ENDPOINT``;
  its default credentials come from a fake GCE metadata server on 127.0.0.1 (``GCE_METADATA_ROOT``)
  that hands out a dummy token, which the emulator does not check.

Nothing here reaches the network. The end-to-end runs are real ``python -m factory run`` subprocesses
with their own in-process Ray, so the environment reaches the driver and every Ray worker (the
generate actors write the request cache to the bucket), whatever Ray this pytest process holds.
"""

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyarrow as pa
import pytest

from ground import fsutil
from factory.store import RunStore
from teachers.cache import RequestCache
from tests.conftest import ROOT, run_cli
from tests.integration.test_pipeline import TINY

pytestmark = pytest.mark.integration

BUCKET = "factory-test"
# anything in the environment that could send the SDKs elsewhere (a real profile, a key file, ...)
SCRUB = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
         "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_CA_BUNDLE", "GOOGLE_APPLICATION_CREDENTIALS", "RAY_ADDRESS")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(name: str, args: list[str], port: int, logdir: Path):
    """``python ARGS`` as a separate process, until it accepts connections on 127.0.0.1:port.

    Separate processes, not threads of this one: pyarrow holds the GIL in some object-store reads
    (seen: ``pq.read_table`` on a GCS input file), so a server thread in this process would deadlock."""
    log = logdir / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"{name} did not start (exit {proc.poll()}):\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server on 127.0.0.1:<free port> with one empty bucket."""
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto.server", reason="needs moto[server] (dev extra)")
    tmp = tmp_path_factory.mktemp("s3")
    port = _free_port()
    with _server("moto", ["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, tmp) as endpoint:
        nofile = str(tmp / "none")  # no ~/.aws config or credentials file is read
        env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": nofile,
               "AWS_SHARED_CREDENTIALS_FILE": nofile}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_bucket(Bucket=BUCKET)

        def keys(prefix: str) -> list[str]:  # boto3, not pyarrow: an independent view of the bucket
            out, kw = [], {}
            while True:
                page = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix, **kw)
                out += [o["Key"] for o in page.get("Contents", [])]
                if not page.get("IsTruncated"):
                    return out
                kw = {"ContinuationToken": page["NextContinuationToken"]}

        yield {"scheme": "s3", "env": env, "keys": keys}


# Just enough of the GCE metadata server for google-cloud-cpp's default credentials: a dummy token.
FAKE_METADATA = r"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if "/token" in self.path:
            body = {"access_token": "dummy-token-for-the-emulator", "expires_in": 3600, "token_type": "Bearer"}
        else:
            body = {"email": "emulator@example.invalid", "aliases": ["default"],
                    "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Metadata-Flavor", "Google")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


@pytest.fixture(scope="module")
def gcs_server(tmp_path_factory):
    """gcp-storage-emulator on 127.0.0.1:<free port> with one empty bucket, plus a fake metadata server."""
    pytest.importorskip("gcp_storage_emulator", reason="needs gcp-storage-emulator (dev extra)")
    tmp = tmp_path_factory.mktemp("gcs")
    port, mport = _free_port(), _free_port()
    with (_server("gcs", ["-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory",
                          "--default-bucket", BUCKET, "--quiet"], port, tmp) as endpoint,
          _server("metadata", ["-c", FAKE_METADATA, str(mport)], mport, tmp)):
        env = {"CLOUD_STORAGE_EMULATOR_ENDPOINT": endpoint, "GCE_METADATA_ROOT": f"127.0.0.1:{mport}"}

        def keys(prefix: str) -> list[str]:  # the emulator's JSON API, not pyarrow: an independent view
            out, token = [], None
            while True:
                q = {"prefix": prefix, **({"pageToken": token} if token else {})}
                with urllib.request.urlopen(f"{endpoint}/storage/v1/b/{BUCKET}/o?{urllib.parse.urlencode(q)}") as r:
                    page = json.loads(r.read())
                out += [o["name"] for o in page.get("items", [])]
                token = page.get("nextPageToken")
                if not token:
                    return out

        yield {"scheme": "gs", "env": env, "keys": keys}


def _store_env(request, monkeypatch) -> dict:
    srv = request.getfixturevalue(f"{request.param}_server")
    for k in SCRUB:
        monkeypatch.delenv(k, raising=False)
    for k, v in srv["env"].items():
        monkeypatch.setenv(k, v)
    return {**srv, "base": f"{srv['scheme']}://{BUCKET}"}


@pytest.fixture(params=["s3", "gcs"])
def store(request, monkeypatch):
    return _store_env(request, monkeypatch)


@pytest.fixture(params=["s3", pytest.param("gcs", marks=pytest.mark.slow)])
def store_e2e(request, monkeypatch):
    return _store_env(request, monkeypatch)


def test_join_keeps_a_uri_query_at_the_end():
    assert fsutil.join("s3://b/runs/", "x", "/y/") == "s3://b/runs/x/y"
    assert fsutil.join("s3://b/runs?region=eu-west-1", "x", "y") == "s3://b/runs/x/y?region=eu-west-1"
    assert fsutil.join("runs/a?b", "x") == "runs/a?b/x"  # local paths: unchanged, '?' is a file name character


def test_fsutil_round_trips(store):
    fs, path = fsutil.filesystem(f"{store['base']}/unit")
    assert type(fs).__name__ == {"s3": "S3FileSystem", "gs": "GcsFileSystem"}[store["scheme"]] and path == f"{BUCKET}/unit"
    assert fsutil.list_files(fs, fsutil.join(path, "nothing-here")) == []  # an absent prefix lists as empty
    assert not fsutil.exists(fs, fsutil.join(path, "a.json"))

    fsutil.write_json_atomic(fs, fsutil.join(path, "a.json"), {"x": 1, "y": [1, 2]})
    assert fsutil.exists(fs, fsutil.join(path, "a.json"))
    assert fsutil.read_json(fs, fsutil.join(path, "a.json")) == {"x": 1, "y": [1, 2]}
    fsutil.write_json_atomic(fs, fsutil.join(path, "a.json"), {"x": 2})  # overwrite in place
    assert fsutil.read_json(fs, fsutil.join(path, "a.json")) == {"x": 2}

    t = pa.table({"k": ["a", "b", "c"], "v": [1, 2, 3]})
    for name in ("p-1.parquet", "p-0.parquet"):
        fsutil.write_parquet_atomic(fs, fsutil.join(path, "parts", name), t)
    assert fsutil.read_parquet(fs, fsutil.join(path, "parts", "p-0.parquet")).equals(t)
    assert fsutil.list_files(fs, fsutil.join(path, "parts"), ".parquet") == [f"{path}/parts/p-0.parquet", f"{path}/parts/p-1.parquet"]
    assert fsutil.list_files(fs, fsutil.join(path, "parts"), ".json") == []

    fsutil.delete_file(fs, fsutil.join(path, "parts", "p-1.parquet"))
    fsutil.delete_file(fs, fsutil.join(path, "parts", "absent.parquet"))  # no error
    assert fsutil.list_files(fs, fsutil.join(path, "parts")) == [f"{path}/parts/p-0.parquet"]
    objs = store["keys"]("unit/")
    assert "unit/a.json" in objs and "unit/parts/p-0.parquet" in objs and "unit/parts/p-1.parquet" not in objs
    assert not [k for k in objs if ".tmp-" in k]


def test_run_store_and_request_cache_objects(store):
    from ground.record import SCHEMA, new_sample, to_table

    rs = RunStore(f"{store['base']}/objs", "r", "id1")
    assert rs.uri == f"{store['base']}/objs/r/id1" and rs.local_path() is None
    assert rs.done_chunks() == set() and rs.read_json("manifest.json") is None
    rows = [new_sample(stage="r", prompt_id=str(i), sample_index=0, messages=[], chunk=0) for i in range(3)]
    rs.write_chunk(0, to_table(rows))
    rs.write_chunk(2, to_table(rows[:1]))
    assert rs.done_chunks() == {0, 2} and len(rs.read_chunks([0, 2])) == 4
    rs.write_parts("accepted", to_table(rows))
    assert rs.read_parts("accepted").num_rows == 3 and rs.read_parts("rejects").schema == SCHEMA
    rs.write_json("manifest.json", {"status": "ok"})
    assert rs.exists("manifest.json") and rs.read_json("manifest.json") == {"status": "ok"}

    cache = RequestCache(f"{store['base']}/objs/_cache/requests")
    assert len(cache) == 0 and cache.get_many(["k1"]) == {}
    cache.put({"k1": {"text": "hello"}, "k2": {"text": "", "error": "boom"}})  # failed calls are not cached
    assert RequestCache(cache.uri).get_many(["k1", "k2"]) == {"k1": {"text": "hello"}}
    assert [k for k in store["keys"]("objs/_cache/requests/") if k.endswith(".parquet")]

    # pyarrow's URI options (a query string) stay on every URI the store and the cache derive
    query = {"s3": "?region=us-east-1", "gs": "?retry_limit_seconds=20"}[store["scheme"]]
    rq = RunStore(f"{store['base']}/query{query}", "r", "id1")
    assert rq.uri == f"{store['base']}/query/r/id1{query}" and rq.path == f"{BUCKET}/query/r/id1"
    rq.write_json("manifest.json", {"q": 1})
    RequestCache(fsutil.join(f"{store['base']}/query{query}", "_cache", "requests")).put({"k": {"text": "x"}})
    objs = store["keys"]("query")
    assert "query/r/id1/manifest.json" in objs and [k for k in objs if k.startswith("query/_cache/requests/part-")]


def _rows(uri: str, kind: str) -> list[dict]:
    fs, path = fsutil.filesystem(uri)
    return [r for f in fsutil.list_files(fs, fsutil.join(path, kind), ".parquet") for r in fsutil.read_parquet(fs, f).to_pylist()]


def _run(recipe, store, *args) -> str:
    t0 = time.time()
    p = run_cli("run", str(recipe), *args, env=store["env"], timeout=600)
    assert p.returncode == 0, f"factory run failed ({time.time() - t0:.0f}s):\n{p.stdout[-3000:]}\n{p.stderr[-6000:]}"
    run_dir = [ln for ln in p.stdout.splitlines() if ln.startswith("run dir: ")][-1].removeprefix("run dir: ")
    assert run_dir.startswith(f"{store['base']}/runs/tiny/")
    return run_dir


def test_pipeline_run_store_and_cache_on_object_store(store_e2e, tmp_path, capsys):
    store, keys = store_e2e, store_e2e["keys"]
    # 4 good questions and 2 broken lines, n=2: 8 teacher calls, 4 rows rejected at the source;
    # min_score 0 keeps every verified row, so accepted/ and rejects/ both have rows
    src = tmp_path / "src.jsonl"
    good = (ROOT / "data/gsm8k_sample/train.jsonl").read_text().splitlines()[:4]
    src.write_text("\n".join([*good[:2], "{not json", *good[2:], '{"answer": "#### 1"}']) + "\n")
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(TINY.format(data=src, tmpl=ROOT / "recipes/prompts/gsm8k.txt", out=f"{store['base']}/runs")
                      .replace("  - name: math_answer\n", "  - name: math_answer\n    min_score: 0.0\n"))

    # 1st run: every answer from the teacher; the Ray generate actors write the cache parts to the bucket
    run1 = _run(recipe, store)
    prefix1 = run1.removeprefix(f"{store['base']}/") + "/"
    objs = keys(prefix1)
    for k in ("manifest.json", "stats.json", "report.html", *[f"chunks/chunk-00000{i}.parquet" for i in range(3)]):
        assert prefix1 + k in objs, (k, objs)
    for kind in ("accepted", "rejects"):  # written by the finalize workers, one part per batch
        assert [k for k in objs if k.startswith(f"{prefix1}{kind}/part-") and k.endswith(".parquet")], (kind, objs)
    assert not [k for k in keys("runs/") if ".tmp-" in k]
    fs, path = fsutil.filesystem(run1)
    m1, stats = fsutil.read_json(fs, f"{path}/manifest.json"), fsutil.read_json(fs, f"{path}/stats.json")
    acc, rej = _rows(run1, "accepted"), _rows(run1, "rejects")
    assert m1["status"] == "succeeded" and m1["generation"]["teacher_calls"] == 8
    assert len(acc) + len(rej) == 12 and len({r["id"] for r in acc + rej}) == 12 and acc
    assert sum(r["reject_stage"] == "source" for r in rej) == 4
    assert stats["summary"]["accepted"] == len(acc) == m1["counts"]["accepted"] and stats["stages"]["source"]["in"] == 12
    assert all(r["completion"] and not r["cache_hit"] for r in acc)
    assert [k for k in keys("runs/_cache/requests/") if k.endswith(".parquet")]
    assert len(RequestCache(f"{store['base']}/runs/_cache/requests")) == 8

    # 2nd run (a new run id): every answer comes from the request cache in the bucket, no teacher call
    run2 = _run(recipe, store, "--fresh")
    assert run2 != run1
    fs2, path2 = fsutil.filesystem(run2)
    m2 = fsutil.read_json(fs2, f"{path2}/manifest.json")
    assert m2["status"] == "succeeded"
    assert m2["generation"]["teacher_calls"] == 0 and m2["generation"]["cache_hits_prefilled"] == 8
    assert m2["counts"]["cache_hits"] == 8
    key = lambda r: (r["id"], r["completion"], r["status"])  # noqa: E731
    acc2, rej2 = _rows(run2, "accepted"), _rows(run2, "rejects")
    assert sorted(map(key, acc2)) == sorted(map(key, acc)) and sorted(map(key, rej2)) == sorted(map(key, rej))
    assert all(r["cache_hit"] for r in acc2)

    # inspect, report and export read the run dir straight from the bucket
    from factory.cli import main

    capsys.readouterr()
    assert main(["inspect", run1, "-n", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("--- completion") == min(3, len(acc)) and f"({min(3, len(acc))} of {len(acc)} accepted rows)" in out
    assert main(["inspect", run1, "-n", "2", "--rejects"]) == 0
    assert f"(2 of {len(rej)} rejected rows)" in capsys.readouterr().out
    assert main(["inspect", f"{store['base']}/runs/tiny/no-such-run"]) == 2
    assert main(["report", run1]) == 0
    assert capsys.readouterr().out.strip() == f"{run1}/report.html"

    out_dir = tmp_path / "export"
    assert main(["export", run1, "--out", str(out_dir), "--format", "chat"]) == 0
    lines = [json.loads(x) for x in (out_dir / "train.jsonl").read_text().splitlines()]
    assert len(lines) == len(acc) and all(x["messages"][-1]["role"] == "assistant" for x in lines)
    assert f"from run `{m1['run_id']}`" in (out_dir / "README.md").read_text()
    assert main(["export", f"{store['base']}/runs/tiny/no-such-run", "--out", str(tmp_path / "x")]) == 2


TRAIN_EVAL = """train:
  student: smollm2-135m-instruct
  max_steps: 2
  batch_size: 2
  max_seq_len: 320
  lora: {{r: 4, alpha: 8, dropout: 0.0}}
eval:
  source: {{path: {data}, fields: {{prompt: question, reference: answer}}, offset: 40, limit: 2}}
  sampling: {{max_tokens: 8}}
  models: [base, student]
"""


@pytest.mark.slow  # trains and evaluates (~2-3 min); the run store on S3: test_pipeline_run_store_and_cache_on_object_store, train + eval: test_console / test_eval_regression
@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_train_and_eval_on_an_object_store_run_dir(store, tmp_path, capsys):
    """Ray Train checkpoints go to the bucket (shared by every node), the adapter lands in the run dir
    there, and a node without the local staging copy fetches it back; export-model reads the bucket."""
    import shutil

    data = ROOT / "data/gsm8k_sample/train.jsonl"
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(TINY.format(data=data, tmpl=ROOT / "recipes/prompts/gsm8k.txt", out=f"{store['base']}/runs")
                      .replace("limit: 6", "limit: 3")
                      .replace("  - name: math_answer\n", "  - name: math_answer\n    min_score: 0.0\n")
                      + TRAIN_EVAL.format(data=data))
    run = _run(recipe, store)
    prefix = run.removeprefix(f"{store['base']}/") + "/"
    objs = store["keys"](prefix)
    for k in ("train/DONE", "train/adapter/adapter_model.safetensors", "train/adapter/adapter_config.json",
              "eval/DONE", "eval/base.parquet", "eval/student.parquet"):
        assert prefix + k in objs, (k, sorted(objs)[:50])
    assert any(k.startswith(prefix + "train/ray/") and "checkpoint" in k for k in objs)  # Ray Train's own storage
    fs, path = fsutil.filesystem(run)
    m = fsutil.read_json(fs, f"{path}/manifest.json")
    assert m["status"] == "succeeded" and m["train"]["status"] == "done" and m["train"]["adapter_uri"] == f"{run}/train/adapter"
    assert m["eval"]["table"]["student"]["n"] == 2 and m["eval"]["table"]["base"]["n"] == 2

    # another node (no local staging copy): the re-run skips training and eval and fetches the adapter
    staging = Path(RunStore(f"{store['base']}/runs", "tiny", run.rsplit("/", 1)[-1]).work_dir("train"))
    assert (staging / "adapter/adapter_model.safetensors").is_file()
    shutil.rmtree(staging)
    assert _run(recipe, store) == run
    assert (staging / "adapter/adapter_model.safetensors").is_file()
    assert fsutil.read_json(fs, f"{path}/manifest.json")["train"]["log_history"] == m["train"]["log_history"]

    from factory.cli import main

    out = tmp_path / "model"
    assert main(["export-model", run, "--out", str(out), "--no-merged"]) == 0
    assert (out / "adapter/adapter_model.safetensors").read_bytes() == (staging / "adapter/adapter_model.safetensors").read_bytes()
    assert m["run_id"] in (out / "README.md").read_text()


def test_missing_bucket_is_a_clear_error_before_any_work(store, tmp_path):
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(TINY.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                                  out=f"{store['scheme']}://no-such-bucket-7/runs"))
    from ground.errors import FactoryError
    from factory.pipeline import run_recipe

    with pytest.raises(FactoryError, match=r"output\.dir: cannot create \S+no-such-bucket-7/runs/tiny/\w+: "
                                           r"bucket 'no-such-bucket-7' does not exist \(create it first\)"):
        run_recipe(str(recipe))


def test_factory_decontam_checks_an_object_store_corpus(store, tmp_path):
    """``factory decontam s3://...`` (a run directory, a glob of one folder): was "not found: s3:/..." (a URI read
    as a local path). The files are copied to a temporary folder and the report names them by their URIs."""
    import json

    from curation.dedup.decontam_cli import main as decontam
    from ground.errors import FactoryError

    item = "A farmer has 17 cows and buys 5 more cows every week for a whole year. How many cows does he have?"
    (tmp_path / "bench.jsonl").write_text(json.dumps({"question": item}) + "\n"
                                          + json.dumps({"question": "Sam reads 12 pages a day for nine days in a row. How many pages?"}) + "\n")
    fs, path = fsutil.filesystem(f"{store['base']}/dc")
    rows = pa.table({"id": ["a", "b"], "question": ["What is the capital city of France and why is it famous?", item]})
    fsutil.write_parquet_atomic(fs, fsutil.join(path, "run", "accepted", "part-000.parquet"), rows)
    fsutil.write_parquet_atomic(fs, fsutil.join(path, "run", "rejects", "part-000.parquet"), rows)  # not the run's output
    fsutil.write_json_atomic(fs, fsutil.join(path, "run", "manifest.json"), {"run_id": "x"})
    fsutil.write_bytes_atomic(fs, fsutil.join(path, "plain", "a.jsonl"), b'{"id": "c", "question": "Name three primary colours of light please."}\n')
    fsutil.write_bytes_atomic(fs, fsutil.join(path, "plain", "b.txt"), b"not data")
    bench = f"mine={tmp_path / 'bench.jsonl'}:question"

    out = tmp_path / "rep"
    assert decontam([f"{store['base']}/dc/run", "--field", "question", "--benchmarks", bench, "--out", str(out)]) == 1
    rep = json.loads((out / "decontam_report.json").read_text())
    uri = f"{store['base']}/dc/run/accepted/part-000.parquet"
    assert rep["rows"] == 2 and rep["files"] == [uri]  # accepted/ only, named by its URI
    assert [(m["file"], m["id"], m["item"]) for m in rep["matches"]] == [(uri, "b", "0")]

    out2 = tmp_path / "rep2"
    assert decontam([f"{store['base']}/dc/plain/*.jsonl", "--field", "question", "--benchmarks", bench, "--out", str(out2)]) == 0
    rep2 = json.loads((out2 / "decontam_report.json").read_text())
    assert rep2["rows"] == 1 and rep2["files"] == [f"{store['base']}/dc/plain/a.jsonl"] and rep2["matches"] == []

    with pytest.raises(FactoryError, match=r"no file matches '\*\.parquet'"):
        decontam([f"{store['base']}/dc/plain/*.parquet", "--field", "question", "--benchmarks", bench, "--out", str(tmp_path / "r3")])
    with pytest.raises(FactoryError, match="not found"):
        decontam([f"{store['base']}/dc/absent", "--field", "question", "--benchmarks", bench, "--out", str(tmp_path / "r4")])
    with pytest.raises(FactoryError, match="credentials in the URI") as e:
        decontam([f"{store['scheme']}://AKIAXXXX:s3cr3tvalue@{BUCKET}/dc/run", "--benchmarks", bench, "--out", str(tmp_path / "r5")])
    assert "s3cr3tvalue" not in str(e.value) and not (tmp_path / "r3").exists()


def test_benchmarks_on_an_object_store(store, tmp_path):
    """A benchmark on s3:// or gs:// (``--benchmarks 'mine=s3://.../*.parquet:question'``, a recipe's
    ``{name, path: s3://..., field}``, a registered benchmark's copy): was "benchmark file not found: s3:/..." (the URI
    read as a local path; a recipe's joined to the recipe folder). Read from a temporary copy; the reports name the URIs."""
    import json
    from types import SimpleNamespace

    from curation.dedup.decontam import DecontamConfig, Decontaminate, benchmark_coverage
    from curation.dedup.decontam_cli import main as decontam
    from curation.plan import recipe_relative
    from ground.errors import FactoryError
    from ground.record import new_sample

    item = "A farmer has 17 cows and buys 5 more cows every week for a whole year. How many cows does he have?"
    other = "Sam reads 12 pages a day for nine days in a row. How many pages does he read in all?"
    fs, path = fsutil.filesystem(f"{store['base']}/bench")
    fsutil.write_parquet_atomic(fs, fsutil.join(path, "a.parquet"), pa.table({"question": [item]}))
    fsutil.write_parquet_atomic(fs, fsutil.join(path, "b.parquet"), pa.table({"question": [other]}))
    fsutil.write_bytes_atomic(fs, fsutil.join(path, "gsm8k.jsonl"), json.dumps({"question": item, "answer": "#### 277"}).encode() + b"\n")
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"id": "x", "question": item}) + "\n"
                                           + json.dumps({"id": "y", "question": "Name three primary colours of light please."}) + "\n")
    glob = f"{store['base']}/bench/*.parquet"

    out = tmp_path / "rep"
    assert decontam([str(tmp_path / "corpus.jsonl"), "--field", "question", "--benchmarks", f"mine={glob}:question",
                     "--out", str(out)]) == 1
    rep = json.loads((out / "decontam_report.json").read_text())
    assert [(c["line"], c["source"]) for c in rep["benchmarks"]] == [("mine: 2 items (size not declared)", glob)]
    assert [(m["id"], m["benchmark"], m["item"]) for m in rep["matches"]] == [("x", "mine", "a.parquet:0")]
    assert f"from {glob}" in (out / "decontam_report.txt").read_text()

    # a registered benchmark's copy on the store: read, checked against its declaration (1 of 1,319: PARTIAL)
    out2 = tmp_path / "rep2"
    assert decontam([str(tmp_path / "corpus.jsonl"), "--field", "question", "--benchmarks",
                     f"gsm8k_test={store['base']}/bench/gsm8k.jsonl", "--allow-partial", "--out", str(out2)]) == 1
    rep2 = json.loads((out2 / "decontam_report.json").read_text())
    assert rep2["partial"] == ["gsm8k_test: 1 of 1,319 items (PARTIAL)"]
    assert rep2["benchmarks"][0]["source"] == f"{store['base']}/bench/gsm8k.jsonl"

    # a recipe's spec: the URI is left as it is (not joined to the recipe's folder) and a run's step reads it
    opts = recipe_relative(SimpleNamespace(path=lambda p: tmp_path / p), "decontam",
                           {"benchmarks": [{"name": "mine", "path": glob, "field": "question", "expected_items": 2, "license": "CC-BY-4.0"}],
                            "on": "prompt"})
    cfg = DecontamConfig(**opts)
    assert [(c["line"], c["license"], c["source"]) for c in benchmark_coverage(cfg)] == [("mine: 2 of 2 items (complete)", "CC-BY-4.0", glob)]
    rows = [new_sample(stage="g", prompt_id=p, sample_index=0, messages=[{"role": "user", "content": t}])
            for p, t in (("a", other), ("b", "What is two plus two?"))]
    rows = Decontaminate(cfg)(rows)
    assert [r["status"] for r in rows] == ["rejected", "accepted"] and rows[0]["reject_reason"].startswith("contaminated: mine#b.parquet:0 ")

    # errors name the URI, never a temporary path
    with pytest.raises(FactoryError, match=rf"benchmark 'mine': {store['base']}/bench/a.parquet row 0 \(from 0\) has no field 'problem'"):
        benchmark_coverage(DecontamConfig(benchmarks=[{"name": "mine", "path": glob, "field": "problem"}]))
    with pytest.raises(FactoryError, match=rf"benchmark 'mine' {store['base']}/bench/\*\.csv: no file matches"):
        benchmark_coverage(DecontamConfig(benchmarks=[{"name": "mine", "path": f"{store['base']}/bench/*.csv", "field": "q"}]))
    with pytest.raises(FactoryError, match=rf"benchmark 'mine' {store['base']}/nope.jsonl: not found"):
        benchmark_coverage(DecontamConfig(benchmarks=[{"name": "mine", "path": f"{store['base']}/nope.jsonl", "field": "q"}]))
    with pytest.raises(FactoryError, match="credentials in the URI") as e:
        decontam([str(tmp_path / "corpus.jsonl"), "--field", "question", "--benchmarks",
                  f"mine={store['scheme']}://KEY:s3cr3tvalue@{BUCKET}/bench/a.parquet:question", "--out", str(tmp_path / "r3")])
    assert "s3cr3tvalue" not in str(e.value)
    if store["scheme"] == "s3":  # the endpoint in the URI's query, its port not taken for a field
        endpoint = store["env"]["AWS_ENDPOINT_URL"].removeprefix("http://")
        out4 = tmp_path / "rep4"
        assert decontam([str(tmp_path / "corpus.jsonl"), "--field", "question", "--benchmarks",
                         f"mine={glob}?scheme=http&endpoint_override={endpoint}:question", "--out", str(out4)]) == 1
        assert json.loads((out4 / "decontam_report.json").read_text())["benchmarks"][0]["line"] == "mine: 2 items (size not declared)"
