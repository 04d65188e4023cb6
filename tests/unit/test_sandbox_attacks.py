"""Adversarial tests of the ``code_exec`` sandbox: one attack, one property per test.

Every attack is a completion scored against ``assert solve() == 42``; each must end with a failing
verdict whose reason says why, and leave nothing behind: after each test no process runs under a
sandbox uid (>= UID_BASE) or carries the test's unique marker in its command line, the test process
is alive and the host files it planted are untouched.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import uuid

import pytest

from verifiers.code_exec import CodeExec
from ground.sandbox import UID_BASE

#: the folder holding the venv (the project checkout under `make test`): only the path skeleton to the venv shows
REPO = os.path.dirname(sys.prefix)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the isolation these attacks test needs root (namespaces)")

REF = json.dumps({"kind": "asserts", "tests": "assert solve() == 42\n"})
SECRET = "s3cr3t-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def v():
    ver = CodeExec(timeout_s=2.0, cpu_s=10.0, memory_mb=256, max_processes=8, max_output_bytes=100_000, disk_mb=4)
    yield ver
    ver.close()


@pytest.fixture(scope="module")
def v_cpu():
    ver = CodeExec(timeout_s=6.0, cpu_s=1.0)
    yield ver
    ver.close()


def _leftovers(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/status") as f:
                uid = int(next(line for line in f if line.startswith("Uid:")).split()[1])
        except (OSError, StopIteration, ValueError):
            continue  # exited while we looked
        if uid >= UID_BASE or marker in cmd:
            found.append(f"pid {pid} uid {uid}: {cmd[:120]}")
    return found


@pytest.fixture
def marker():
    return "SANDBOXMARK" + uuid.uuid4().hex


@pytest.fixture(autouse=True)
def host_unaffected(marker, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    os.chmod(secret_file, 0o644)  # world-readable on purpose: uid drop alone would not hide it
    os.environ["SANDBOX_TEST_SECRET"] = SECRET
    yield
    assert _leftovers(marker) == [], "a sandboxed process outlived its job"
    assert secret_file.read_text() == SECRET
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.txt"], "the sandbox wrote outside its temp dir"
    os.environ.pop("SANDBOX_TEST_SECRET", None)


def run(v, code: str):
    verdict = v.verify({"completion": f"```python\n{code}\n```", "reference": REF})
    assert verdict.score == 0.0, verdict
    assert SECRET not in json.dumps(verdict.to_dict()), "the planted secret leaked into the verdict"
    return verdict.reason


# --- resource exhaustion -------------------------------------------------------------------------


def test_fork_bomb_is_stopped_by_process_limit(v):
    assert run(v, "import os\nwhile True:\n    os.fork()") == "killed: too many processes (max 8)"


def test_thread_bomb_is_stopped_by_process_limit(v):
    code = "import threading, time\nfor _ in range(1000):\n    threading.Thread(target=time.sleep, args=(30,)).start()"
    assert run(v, code) == "killed: too many processes (max 8)"


def test_memory_bomb_single_allocation(v):
    assert run(v, "x = bytearray(10**10)") == "memory limit exceeded (256 MB)"


def test_memory_bomb_gradual_growth(v):
    assert run(v, "x = []\nwhile True:\n    x.append(bytearray(10**7))") == "memory limit exceeded (256 MB)"


def test_infinite_loop_hits_cpu_limit(v_cpu):
    assert run(v_cpu, "while True:\n    pass") == "cpu time limit exceeded (1s)"


def test_sleeping_past_the_timeout_is_killed(v):
    t0 = time.monotonic()
    assert run(v, "import time\ntime.sleep(1000)") == "timeout after 2s"
    assert time.monotonic() - t0 < 10


def test_ignoring_sigterm_does_not_survive_the_timeout(v):
    code = "import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n    signal.signal(s, signal.SIG_IGN)\ntime.sleep(1000)"
    assert run(v, code) == "timeout after 2s"


def test_cpu_spinning_child_that_outlives_its_parent_is_killed(v):
    code = "import os\nif os.fork() == 0:\n    while True:\n        pass\nos._exit(0)"
    assert run(v, code) == "exited with code 0 before the tests completed"


def test_double_forked_daemon_is_killed(v, marker):
    code = ("import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1000)', '{marker}'])\n"
            "    os._exit(0)\ntime.sleep(0.5)")
    assert run(v, code).startswith("NameError at test line 1")


def test_subprocess_with_setsid_cannot_escape(v, marker):
    code = ("import subprocess, sys, time\n"
            f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', '{marker}'], start_new_session=True)\n"
            "time.sleep(0.5)\nassert p.poll() is None\nraise SystemExit(3)")
    assert run(v, code) == "exited early (SystemExit(3)) before the tests completed"


def test_os_system_background_job_is_killed(v, marker):
    code = f"import os\nos.system(\"setsid sh -c 'sleep 1000' {marker} &\")\nimport time; time.sleep(0.5)"
    assert run(v, code).startswith("NameError at test line 1")


def test_disk_fill_with_many_files(v):
    code = "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (1 << 19))\n    i += 1"
    assert run(v, code) == "disk limit exceeded (4 MB private /tmp)"


def test_one_huge_file_hits_file_size_limit(v):
    assert run(v, "open('big', 'wb').write(b'x' * (64 << 20))") == "file size limit exceeded (4 MB)"


def test_huge_stdout_is_capped(v):
    assert run(v, "while True:\n    print('x' * 10000)") == "output limit exceeded (> 100000 bytes)"


def test_huge_stderr_is_capped(v):
    assert run(v, "import sys\nwhile True:\n    sys.stderr.write('y' * 10000)") == "output limit exceeded (> 100000 bytes)"


# --- network -------------------------------------------------------------------------------------


def test_tcp_connect_to_a_real_local_listener_fails(v):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.setblocking(False)
    port = srv.getsockname()[1]
    try:
        reason = run(v, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')")
        assert reason.startswith("OSError at solution line 2: [Errno 101] Network is unreachable")
        with pytest.raises(BlockingIOError):
            srv.accept()  # nobody connected
    finally:
        srv.close()


def test_udp_to_a_real_local_socket_is_not_delivered(v):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.setblocking(False)
    try:
        code = f"import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'leak', ('127.0.0.1', {rx.getsockname()[1]}))"
        assert "Network is unreachable" in run(v, code)
        with pytest.raises(BlockingIOError):
            rx.recv(100)
    finally:
        rx.close()


def test_abstract_unix_socket_of_the_host_is_unreachable(v, marker):
    srv = socket.socket(socket.AF_UNIX)
    srv.bind("\0" + marker)  # abstract sockets are per network namespace
    srv.listen()
    try:
        code = f"import socket\nsocket.socket(socket.AF_UNIX).connect('\\0{marker}')"
        assert run(v, code).startswith("ConnectionRefusedError at solution line 2")
    finally:
        srv.close()


def test_unix_socket_file_of_the_host_is_invisible(v, tmp_path):
    path = f"/tmp/{uuid.uuid4().hex}.sock"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    os.chmod(path, 0o777)
    srv.listen()
    try:
        assert run(v, f"import socket\nsocket.socket(socket.AF_UNIX).connect('{path}')").startswith("FileNotFoundError")
    finally:
        srv.close()
        os.unlink(path)


# --- secrets and the host filesystem ------------------------------------------------------------


def test_parent_environment_secret_is_invisible(v):
    code = "import os\nassert 'SANDBOX_TEST_SECRET' in os.environ, sorted(os.environ)"
    reason = run(v, code)
    assert reason.startswith("AssertionError at solution line 2: ['HOME', 'LANG', 'PATH'")


def test_other_processes_environ_is_unreadable(v):
    code = f"import os\nopen('/proc/{os.getpid()}/environ').read()"
    assert run(v, code).startswith("FileNotFoundError at solution line 2")  # no /proc of the host


def test_world_readable_secret_file_outside_is_invisible(v, tmp_path):
    path = tmp_path / "secret.txt"
    assert run(v, f"print(open('{path}').read())").startswith("FileNotFoundError at solution line 1")


def test_project_tree_and_home_are_invisible(v):
    # only the path skeletons leading to the two bound Python installs exist there
    code = f"import os\nassert sorted(os.listdir({str(REPO)!r}) + os.listdir('/root')) != ['.pyenv', '.venv'], 'hidden'"
    assert run(v, code) == "AssertionError at solution line 2: hidden"


def test_writing_outside_the_temp_dir_fails_everywhere(v, tmp_path):
    targets = [str(tmp_path / "pwned"), "/pwned", "/usr/pwned", "/etc/pwned", "/dev/pwned", os.path.join(sys.prefix, "pwned")]
    code = (f"wrote = []\nfor p in {targets!r}:\n    try:\n        open(p, 'w').write('x')\n        wrote.append(p)\n"
            "    except OSError:\n        pass\nassert wrote, 'nothing writable'")
    assert run(v, code) == "AssertionError at solution line 8: nothing writable"
    assert not any(os.path.exists(p) for p in targets)


# --- signals, privileges, escapes ----------------------------------------------------------------


def test_killing_the_parent_and_the_host_process_fails(v):
    code = f"import os, signal\nfor pid in (os.getppid(), {os.getpid()}, {v.sandbox._proc.pid}):\n    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\nsolve"
    assert run(v, code).startswith("NameError at solution line 7")
    assert v.verify({"completion": "def solve():\n    return 42", "reference": REF}).reason == "passed"  # still serving


def test_kill_everything_finds_nothing_it_may_signal(v):
    # kill(-1) signals every process the caller may signal except itself: ESRCH means none exists
    code = "import os, signal\nos.kill(-1, signal.SIGKILL)"
    assert run(v, code) == "ProcessLookupError at solution line 2: [Errno 3] No such process"


def test_killing_itself_is_a_clean_failure(v):
    assert run(v, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)") == "killed by signal SIGKILL"


def test_ctypes_setuid_root_fails(v):
    code = "import ctypes\nlibc = ctypes.CDLL(None)\nassert libc.setuid(0) == 0, 'setuid denied'"
    assert run(v, code) == "AssertionError at solution line 3: setuid denied"


def test_ctypes_user_namespace_to_regain_root_fails(v):
    code = "import ctypes\nlibc = ctypes.CDLL(None)\nassert libc.unshare(0x10000000) == 0, 'unshare denied'"
    assert run(v, code) == "AssertionError at solution line 3: unshare denied"


def test_ctypes_segfault_is_a_clean_failure(v):
    assert run(v, "import ctypes\nctypes.string_at(0)") == "killed by signal SIGSEGV"


def test_chroot_escape_needs_a_capability_it_lacks(v):
    code = "import os\nos.mkdir('jail')\nos.chroot('jail')"
    assert run(v, code).startswith("PermissionError at solution line 3")


def test_raising_rlimits_fails(v):
    code = "import resource\nresource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))"
    assert run(v, code).startswith("ValueError at solution line 2")


def test_os_system_runs_unprivileged_without_network(v):
    code = "import os\nassert os.system('id -u | grep -qx 0 || exit 7') == 0, 'not root'"
    assert run(v, code) == "AssertionError at solution line 2: not root"


# --- reward hacking ------------------------------------------------------------------------------


def test_early_sys_exit_zero_is_not_a_pass(v):
    assert run(v, "import sys\nsys.exit(0)") == "exited early (SystemExit(0)) before the tests completed"


def test_early_os_exit_zero_is_not_a_pass(v):
    assert run(v, "import os\nos._exit(0)") == "exited with code 0 before the tests completed"


def test_forged_success_report_is_rejected(v):
    code = "import os\nos.write(3, b'{\"ok\": true, \"nonce\": \"guess\"}\\n')\nos._exit(0)"
    assert run(v, code) == "reward hack: the program wrote its own report on the result channel (fd 3)"


def test_signal_handler_cannot_swallow_the_kill(v):
    code = ("import signal, time\nfor s in range(1, 32):\n    try:\n        signal.signal(s, signal.SIG_IGN)\n"
            "    except (OSError, ValueError):\n        pass\nwhile True:\n    time.sleep(0.01)")
    assert run(v, code) == "timeout after 2s"
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN  # the host's handlers are untouched
