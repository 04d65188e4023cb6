"""The built-in ``python`` tool: real sandbox processes (ground/sandbox.py) run the model's code; its
output, limits and failures come back as tool results the model sees; a tool_agent trace over a
scripted API server on 127.0.0.1 carries the stdout, and ``tool_calls`` replays it."""

import json
import pickle
import socket
import time

import pytest

from ground.record import new_sample
from teachers.step import GenerateStep
from teachers.tools import default_registry
from teachers.tools.base import ToolRegistry
from teachers.tools.python_exec import PythonExec
from tests.faults.scripted_tool_server import ScriptedToolServer, tool_call
from verifiers.tool_calls import ToolCalls


@pytest.fixture
def py():
    tool = PythonExec(timeout_s=1.0, memory_mb=256, max_output_bytes=1024)
    yield tool
    tool.close()


def run(tool, code):
    return ToolRegistry([tool]).session().execute("python", json.dumps({"code": code}))


def test_prints_come_back_as_stdout_with_exit_code():
    out = default_registry().session().execute("python", '{"code": "print(sum(range(10)))"}')
    assert out.ok and json.loads(out.content) == {"stdout": "45\n", "stderr": "", "exit": 0}


def test_an_exception_is_a_result_with_its_traceback(py):
    res = json.loads(run(py, "x = 1\nprint('before')\n1/x0").content)
    assert res["stdout"] == "before\n" and res["exit"] == 1
    assert "NameError: name 'x0' is not defined" in res["stderr"] and 'File "<python>", line 3' in res["stderr"]
    assert json.loads(run(py, "import sys\nsys.exit(3)").content)["exit"] == 3
    assert json.loads(run(py, "raise SystemExit('bye')").content) == {"stdout": "", "stderr": "bye\n", "exit": 1}
    assert json.loads(run(py, "import sys\nsys.exit(0)").content)["exit"] == 0


def test_an_infinite_loop_is_a_timeout_error_within_the_limit(py):
    t0 = time.monotonic()
    out = run(py, "while True:\n    pass")
    assert time.monotonic() - t0 < 4
    assert (out.kind, out.content) == ("tool_error", '{"error": "timeout after 1s"}')
    assert run(py, "print('alive')").ok  # the next call gets a fresh process


def test_memory_limit_is_a_tool_error(py):
    out = run(py, "x = bytearray(1 << 30)")
    assert (out.kind, out.message) == ("tool_error", "memory limit exceeded (256 MB)")


def test_output_past_the_cap_is_cut_with_a_note(py):
    res = json.loads(run(py, "print('x' * 100000)").content)
    assert res["exit"] is None and 0 < len(res["stdout"]) <= 1024 and set(res["stdout"]) == {"x"}
    assert res["stderr"] == "[output limit: the program was stopped after 1024 bytes of output]"


def test_no_env_secrets_and_no_network(py, monkeypatch):
    monkeypatch.setenv("PY_TOOL_SECRET", "hunter2-tool")
    res = json.loads(run(py, "import os\nprint(os.environ.get('PY_TOOL_SECRET'))\nprint(sorted(os.environ))").content)
    assert res["exit"] == 0 and res["stdout"].startswith("None\n") and "PY_TOOL_SECRET" not in res["stdout"]
    if not py._sandbox.capabilities.get("net"):
        pytest.skip("no network namespace here (sandbox fallback mode)")
    with socket.create_server(("127.0.0.1", 0)) as srv:
        port = srv.getsockname()[1]
        res = json.loads(run(py, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=0.5)").content)
        srv.settimeout(0.2)
        with pytest.raises(TimeoutError):
            srv.accept()  # nothing reached the host's listener
    assert res["exit"] == 1 and ("OSError" in res["stderr"] or "ConnectionRefusedError" in res["stderr"])


def test_pickles_without_its_forkserver(py):
    assert run(py, "print(1)").ok and py._sandbox is not None
    clone = pickle.loads(pickle.dumps(py))
    try:
        assert clone._sandbox is None and clone.limits == py.limits
        assert json.loads(run(clone, "print(2)").content)["stdout"] == "2\n"
    finally:
        clone.close()


SCRIPT = [{"tool_calls": [tool_call("p1", "python", {"code": "print(sum(range(10)))"})]},
          {"content": "The sum of 0..9 is 45."}]


def test_tool_agent_trace_carries_stdout_and_replays():
    opts = {"inner_engine": "openai_compat", "inner_options": {"max_retries": 0}, "tools": ["python"]}
    with ScriptedToolServer(SCRIPT, require_tools=True) as srv:
        opts["inner_options"]["base_url"] = srv.base_url
        cfg = dict(engine="tool_agent", name="api", model="m", sampling={"max_tokens": 64, "temperature": 0.0},
                   prices={}, options=opts)
        row = new_sample(stage="t", prompt_id="p0", sample_index=0, request_key="k0", teacher="api", reference="45",
                         messages=[{"role": "user", "content": "Sum 0..9 with Python."}])
        (row,) = GenerateStep(cfg, cache_uri=None)([row])
    assert row["status"] == "accepted", row["reject_reason"]
    assert [t["function"]["name"] for t in srv.requests[0]["tools"]] == ["python"]
    trace = json.loads(row["completion"])
    assert trace[1] == {"role": "tool", "tool_call_id": "p1", "content": '{"exit": 0, "stderr": "", "stdout": "45\\n"}'}
    assert srv.requests[1]["messages"][-1]["content"] == trace[1]["content"]  # the model saw the stdout
    v = ToolCalls()
    assert (v.verify(row).score, v.verify(row).reason) == (1.0, "ok: 1 call(s) replayed, final answer matches reference")
    forkserver = v.registry.get("python")._sandbox._proc
    v.close()
    assert forkserver.poll() is not None  # closing the verifier stops the python tool's sandbox
    forged = dict(row, completion=json.dumps([trace[0], dict(trace[1], content='{"exit": 0, "stderr": "", "stdout": "46\\n"}'),
                                              trace[2]]))
    assert ToolCalls().verify(forged).score == 0.0  # a recorded result the code does not print fails the replay
