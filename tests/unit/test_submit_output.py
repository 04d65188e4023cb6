"""``factory submit`` passes the waited-for job's output through as it comes.

The cluster side is a fake ``ray`` (a script, named as such) that injects the two things a real head node does:
a first "No available agent" refusal while its job agent starts, then a job that runs until the test lets it end.
The real end-to-end submit is tests/integration/test_ray_job.py."""

import io
import sys
import threading
import time

import factory.submit as submit

FAKE_RAY = r'''
import pathlib, sys, time
state = pathlib.Path(sys.argv[1])
tries = state / "tries"
n = int(tries.read_text()) if tries.exists() else 0
tries.write_text(str(n + 1))
if n == 0:
    print("Job submission server address: http://127.0.0.1:8265", flush=True)
    print("RuntimeError: Request failed with status code 503: No available agent to submit job", file=sys.stderr, flush=True)
    sys.exit(1)
print("Job submission server address: http://127.0.0.1:8265", flush=True)
print("Job 'raysubmit_1' submitted successfully", flush=True)
print("run dir: runs/tiny/x", flush=True)
while not (state / "finish").exists():
    time.sleep(0.05)
print("Job 'raysubmit_1' succeeded", flush=True)
'''




def test_job_output_streams_while_the_job_runs_and_a_refused_start_is_retried_quietly(tmp_path, monkeypatch):
    """Was: the whole job's output was captured and printed only when the job ended (hours of silence for a real
    recipe), and the fake agent's refusal text was held with it."""
    fake = tmp_path / "fake_ray.py"
    fake.write_text(FAKE_RAY)
    (tmp_path / "recipe.yaml").write_text("name: tiny\n")
    monkeypatch.setattr(submit, "command", lambda *a, **k: [sys.executable, str(fake), str(tmp_path)])
    monkeypatch.setattr(submit.time, "sleep", lambda s: None)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    rc: list[int] = []
    t = threading.Thread(target=lambda: rc.append(submit.main(["recipe.yaml", "--working-dir", str(tmp_path)])))
    t.start()
    deadline = time.time() + 60
    while "run dir: runs/tiny/x" not in out.getvalue() and time.time() < deadline:
        time.sleep(0.05)
    seen_while_running = out.getvalue()
    (tmp_path / "finish").write_text("")
    t.join(60)
    assert "run dir: runs/tiny/x" in seen_while_running and "succeeded" not in seen_while_running
    assert rc == [0] and out.getvalue().endswith("Job 'raysubmit_1' succeeded\n")
    assert out.getvalue().count("Job submission server address") == 1  # the refused attempt printed nothing
    assert "No available agent" not in out.getvalue() + err.getvalue()
    assert (tmp_path / "tries").read_text() == "2"


def test_missing_ray_command_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "recipe.yaml").write_text("name: tiny\n")
    monkeypatch.setattr(submit, "command", lambda *a, **k: [str(tmp_path / "no-ray-here"), "job", "submit"])
    assert submit.main(["recipe.yaml", "--working-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "factory submit: the `ray` command was not found (pip install 'ray[default]')\n"


def test_no_cluster_at_the_address_is_one_line_and_exit_2(capsys, monkeypatch):
    """The real `ray job submit` against a port nobody listens on: on main its two chained tracebacks (~60 lines)
    reached the user and the exit was 1; now one line names the address and the fix, exit 2."""
    import socket

    from tests.conftest import ROOT

    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.chdir(ROOT)
    assert submit.main(["recipes/demo.yaml", "--address", f"http://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"factory submit: no Ray cluster answers at http://127.0.0.1:{port} (start one with `ray start --head`, "
                   "or pass --address / set RAY_ADDRESS to its dashboard, e.g. http://HEAD:8265)"]
