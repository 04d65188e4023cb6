"""The sandbox forkserver: runs as a script (``python -I -B sandbox_server.py FD CONFIG``) started by
:class:`ground.sandbox.Sandbox`, and uses only the standard library (``-I`` puts nothing of the
project on ``sys.path``); the client imports its constants and message framing.

How it works. ``Sandbox`` starts one *forkserver*: ``python -I ground/sandbox_server.py`` with a
scrubbed environment, which (as root) enters its own mount namespace once and builds a read-only
root there: the Python installation, ``/usr``, a few device files, nothing else. Per execution it
forks a *monitor*, which enters new mount, PID, IPC, UTS and (``network="deny"``) network
namespaces, mounts a fresh size-limited tmpfs as ``/tmp`` (the private working directory; it
vanishes with the namespace) and forks the namespace's init, which forks the program. The program
chroots into the read-only root, sets rlimits (address space, CPU seconds, file size, processes,
open files, no core), drops to a fresh unprivileged uid/gid (``UID_BASE + monitor pid``: no file on
the host belongs to it, and ``RLIMIT_NPROC`` counts only this job's processes), sets
``no_new_privs`` and runs the code in the already-warm interpreter (no exec: that is why it is
faster than a bare ``python -c``). The monitor enforces the wall-clock timeout and the output cap;
killing the namespace's init makes the kernel kill every process in it, ``setsid`` or not, so
nothing outlives a job. The program reports its outcome on fd 3 with a per-job nonce, so an early
``sys.exit(0)``/``os._exit(0)`` does not count as passing.

Roles (``job["role"]``): ``exec`` runs the sources in one namespace (tests beside the code); ``candidate`` and
``tests`` are the two halves of the split harness (e.g. :mod:`verifiers.sandbox_harness`, whose path the client
gives in the config), which talk over a socket the client passes with the job and the program sees as fd 4. The
program, and its report on fd 3, is :mod:`ground.sandbox_runner`, loaded by path when the forkserver starts.
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import json
import marshal
import os
import resource
import select
import signal
import socket
import sys
import tempfile
import time

#: uid/gid of a job = UID_BASE + its monitor's pid: unique among running jobs, owned by nobody.
UID_BASE = 1_000_000_000
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
_NEWNS, _NEWUTS, _NEWIPC, _NEWPID, _NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
_REPORT_CAP, _CHANNEL_FD = 65536, 4


def _load_path(name: str, path: str):
    """A module by file path: ``-I`` keeps this script's folder (and the project) off ``sys.path``."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ----------------------------------------------------------------------------- framing (both sides)

def _send_msg(sock: socket.socket, obj) -> None:
    data = marshal.dumps(obj)
    sock.sendall(len(data).to_bytes(8, "little") + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise ConnectionError("sandbox peer closed the connection")
        buf += chunk
    return bytes(buf)


def _recv_msg(sock: socket.socket):
    return marshal.loads(_recv_exact(sock, int.from_bytes(_recv_exact(sock, 8), "little")))


# ----------------------------------------------------------------------------- server side
# Everything below runs in the forkserver and its children; it uses only the standard library.

_libc = None
_harness = _runner = None


def _sys(fn: str, *args) -> None:
    r = getattr(_libc, fn)(*args)
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{fn}: {os.strerror(e)}")


def _mount(src, dst, fstype, flags, data=None) -> None:
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    _sys("mount", enc(src), enc(dst), enc(fstype), ctypes.c_ulong(flags), enc(data))


def _build_root(root: str, hide: list) -> list[str]:
    """Once per forkserver: a private mount namespace with a read-only minimal root at ``root``."""
    _sys("unshare", _NEWNS)
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing we mount leaks to the host
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
    bound: list[str] = []
    for path in ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", sys.base_prefix, sys.prefix]:
        if not os.path.lexists(path) or any(path == b or path.startswith(b + "/") for b in bound):
            continue
        dst = root + path
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), dst)  # merged-/usr symlinks like /bin -> usr/bin
            continue
        os.makedirs(dst, exist_ok=True)
        _mount(path, dst, None, _MS_BIND | _MS_REC)
        _mount(None, dst, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
        bound.append(path)
    unhidden = _hide_data(root, hide)
    for d in ("/etc", "/dev", "/tmp"):
        os.makedirs(root + d, exist_ok=True)
    for f in ("/etc/ld.so.cache", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full"):
        if os.path.exists(f):
            open(root + f, "w").close()
            _mount(f, root + f, None, _MS_BIND)
    _mount(None, root, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    return unhidden


def _hide_data(root: str, hide: list) -> list[str]:
    """Cover the benchmark data the client found (``[dirs, files]``, :mod:`ground.sandbox_hide`); return the rest."""
    failed: list[str] = []
    for path in hide[0] + hide[1] if hide else []:
        try:  # through an absolute symlink the mount would cover a host path, not the root's: refused
            if not os.path.realpath(root + path).startswith(root + "/"):
                failed.append(path)
            elif path in hide[0]:
                _mount("tmpfs", root + path, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "size=4k,mode=0555")
            elif os.path.isfile(root + path):
                _mount("/dev/null", root + path, None, _MS_BIND)
        except OSError:
            failed.append(path)
    return failed


def _probe(flags: int) -> bool:
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc.unshare(flags) == 0 else 1)
    return os.waitpid(pid, 0)[1] == 0


def _serve(ctrl_fd: int, cfg: dict) -> None:
    global _libc
    _libc = ctypes.CDLL(None, use_errno=True)
    global _harness, _runner
    # loaded once, before any job: a job's uid may not read the project folder
    here = os.path.dirname(os.path.abspath(__file__))
    _runner = _load_path("sandbox_runner", os.path.join(here, "sandbox_runner.py"))
    _harness = _load_path("sandbox_harness", cfg["harness"]) if cfg.get("harness") else None
    ctrl = socket.socket(fileno=ctrl_fd)
    caps = {"isolate": False, "net": False, "root": os.geteuid() == 0, "warnings": []}
    if cfg["isolation"] == "auto":
        try:
            unhidden = _build_root(cfg["root"], cfg.get("hide"))
            caps["warnings"] += [f"benchmark data NOT hidden: {unhidden[:3]}"] if unhidden else []  # namespaces kept
            caps["isolate"] = _probe(_NEWNS | _NEWPID | _NEWIPC | _NEWUTS)
        except OSError as e:
            caps["warnings"].append(f"no namespace isolation ({e}); falling back to rlimits + temp dir")
        if caps["isolate"]:
            caps["net"] = _probe(_NEWNET)
    if cfg["network"] == "deny" and not caps["net"]:
        caps["warnings"].append("network NOT isolated: cannot create a network namespace here")
    caps["root_dir"] = cfg["root"]
    # what the forkserver has loaded is never garbage in a job: frozen, a job's collections skip it (the runner collects
    # once at a whole program's end, as Python's exit does) and leave its pages shared with the forkserver
    gc.freeze()
    _send_msg(ctrl, caps)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctrl, 16, 8)
        except InterruptedError:
            continue
        if not msg:
            return  # the client closed or died
        for fd in fds:
            if os.fork() == 0:
                try:
                    ctrl.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _monitor(socket.socket(fileno=fd), caps, cfg)
                finally:
                    os._exit(0)
            os.close(fd)


def _monitor(conn: socket.socket, caps: dict, cfg: dict) -> None:
    job = _recv_msg(conn)
    chan = None
    if job.get("channel"):
        _, fds, _, _ = socket.recv_fds(conn, 1, 1)
        chan = fds[0] if fds else os.open("/dev/null", os.O_RDWR)
    lim = job["limits"]
    uid = UID_BASE + os.getpid() if caps["root"] else None
    reply: dict = {"stdout": b"", "stderr": b"", "report": b""}
    workdir = None
    try:
        if caps["isolate"]:
            _sys("unshare", _NEWNS | _NEWPID | _NEWIPC | _NEWUTS | (_NEWNET if cfg["network"] == "deny" else 0))
            _mount("tmpfs", cfg["root"] + "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV,
                   f"size={int(lim['disk_mb'])}m,mode=0700,uid={uid},gid={uid}")
            # a Python install that lives under /tmp (e.g. a CI checkout there) is hidden by the private /tmp:
            # bind it again, read-only, at the same path inside the job's /tmp, and cover its benchmark data again
            for path in dict.fromkeys([sys.base_prefix, sys.prefix]):
                if path.startswith("/tmp/"):
                    dst = cfg["root"] + path
                    os.makedirs(dst, exist_ok=True)
                    _mount(path, dst, None, _MS_BIND | _MS_REC)
                    _mount(None, dst, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
                    _hide_data(cfg["root"], [[p for p in k if p.startswith(path + "/")] for k in cfg.get("hide") or [[], []]])
        else:
            workdir = tempfile.mkdtemp(prefix="sandbox-job-")
            if uid is not None:
                os.chown(workdir, uid, uid)
    except OSError as e:
        reply["setup_error"] = str(e)
        _send_msg(conn, reply)
        return
    stdin_fd = os.memfd_create("stdin")
    os.write(stdin_fd, job["stdin"])
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    pipes = [os.pipe() for _ in range(4)]  # stdout, stderr, report (fd 3), init -> monitor status
    t0 = time.monotonic()
    init_pid = os.fork()
    if init_pid == 0:
        try:
            conn.close()
            _init(job, (stdin_fd, chan), pipes, caps, cfg, uid, workdir)
        finally:
            os._exit(111)
    os.close(stdin_fd)
    if chan is not None:
        os.close(chan)  # only the program may hold the channel: its peer sees EOF when the program ends
    for _, w in pipes:
        os.close(w)
    _supervise(conn, init_pid, [r for r, _ in pipes], lim, t0, reply)
    if not caps["isolate"]:
        _reap_uid(uid)
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)
    _send_msg(conn, reply)


def _supervise(conn, init_pid: int, fds: list[int], lim: dict, t0: float, reply: dict) -> None:
    out_r, err_r, rep_r, st_r = fds
    bufs = {fd: bytearray() for fd in fds}
    live = set(fds)
    _pump(conn, init_pid, bufs, live, lim, t0, reply)
    try:
        os.kill(init_pid, signal.SIGKILL)  # the namespace's init: the kernel kills every process in it
    except ProcessLookupError:
        pass
    os.waitpid(init_pid, 0)
    reply["wall_s"] = time.monotonic() - t0
    _drain(live, bufs, lim["max_output_bytes"])
    cap = lim["max_output_bytes"]
    # what the job left in its pipes counts as much as what was read before it ended: a program that made its stdout
    # pipe 1 MiB (F_SETPIPE_SZ), wrote the expected output and more at once and exited had the rest cut off here, unflagged
    if len(bufs[out_r]) + len(bufs[err_r]) > cap:
        reply["output_exceeded"] = True
    if len(bufs[rep_r]) > _REPORT_CAP:
        reply["report_exceeded"] = True
    reply.update(stdout=bytes(bufs[out_r][:cap]), stderr=bytes(bufs[err_r][:cap]), report=bytes(bufs[rep_r][:_REPORT_CAP]))
    if bufs[st_r]:
        try:
            reply["status"], reply["cpu_s"] = marshal.loads(bytes(bufs[st_r]))
        except (ValueError, EOFError, TypeError):
            pass


def _pump(conn, init_pid: int, bufs: dict, live: set, lim: dict, t0: float, reply: dict) -> None:
    """Read the job's pipes until init exits, the timeout, an output cap, or the client going away."""
    out_r, err_r, rep_r, _ = bufs  # keys in the order of fds: stdout, stderr, report, status
    pidfd = os.pidfd_open(init_pid)
    poller = select.poll()
    for fd in (*bufs, pidfd, conn.fileno()):
        poller.register(fd, select.POLLIN)
    deadline, exited = t0 + lim["timeout_s"], False
    while not exited:
        left = deadline - time.monotonic()
        if left <= 0:
            reply["timed_out"] = True
            break
        stop = False
        for fd, _ in poller.poll(left * 1000):
            if fd == pidfd:
                exited = True
            elif fd == conn.fileno():
                stop = True  # the client went away: no one wants this result
            elif fd in live:
                data = os.read(fd, 65536)
                if not data:
                    poller.unregister(fd)
                    live.discard(fd)
                bufs[fd] += data
        if len(bufs[out_r]) + len(bufs[err_r]) > lim["max_output_bytes"]:
            reply["output_exceeded"] = True
            stop = True
        if len(bufs[rep_r]) > _REPORT_CAP:
            reply["report_exceeded"] = True
            stop = True
        if stop:
            break


def _drain(live: set, bufs: dict, cap: int) -> None:
    """Writers are dead now (with namespaces); in fallback mode a straggler could hold a pipe: bound the drain."""
    end = time.monotonic() + 0.5
    for fd in live:
        os.set_blocking(fd, False)
    while live and time.monotonic() < end:
        for fd in list(live):
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data or len(bufs[fd]) > cap:
                live.discard(fd)
            bufs[fd] += data
        if live:
            select.select(list(live), [], [], 0.05)


def _reap_uid(uid: int | None) -> None:
    """Fallback mode as root: kill every process of the job's uid, wherever setsid took it."""
    if uid is None:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)  # as that uid: hits exactly the job's processes (and not us)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _init(job, in_fds, pipes, caps, cfg, uid, workdir) -> None:
    """PID 1 of the job's namespace (or a group leader in fallback): run the program, report its status."""
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: a dead monitor takes the job with it
    os.setsid()
    (out_r, out_w), (err_r, err_w), (rep_r, rep_w), (st_r, st_w) = pipes
    for fd in (out_r, err_r, rep_r, st_r):
        os.close(fd)
    stdin_fd, chan = in_fds
    pid = os.fork()
    if pid == 0:
        try:
            _program(job, in_fds, out_w, err_w, rep_w, caps, cfg, uid, workdir)
        finally:
            os._exit(112)
    for fd in (stdin_fd, out_w, err_w, rep_w) + ((chan,) if chan is not None else ()):
        os.close(fd)
    while True:  # as PID 1 we also reap orphans that re-parent to us
        wpid, status, ru = os.wait4(-1, 0)
        if wpid == pid:
            break
    os.write(st_w, marshal.dumps((status, ru.ru_utime + ru.ru_stime)))
    if not caps["isolate"]:
        os.killpg(0, signal.SIGKILL)  # fallback: take the rest of our process group with us
    os._exit(0)


def _program(job, in_fds, out_w, err_w, rep_w, caps, cfg, uid, workdir) -> None:
    stdin_fd, chan = in_fds
    moves = [(stdin_fd, 0), (out_w, 1), (err_w, 2), (rep_w, 3)]
    if chan is not None:
        moves.append((fcntl.fcntl(chan, fcntl.F_DUPFD, 10), _CHANNEL_FD))  # above 0-4: no dup2 below clobbers it
    for src, dst in moves:
        os.dup2(src, dst)
    os.closerange(_CHANNEL_FD + (chan is not None), 65536)
    if caps["isolate"]:
        os.chroot(cfg["root"])
        os.chdir("/tmp")
    else:
        os.chdir(workdir)
    lim = job["limits"]
    mb = 1 << 20
    for res, val in ((resource.RLIMIT_AS, int(lim["memory_mb"] * mb)), (resource.RLIMIT_FSIZE, int(lim["disk_mb"] * mb)),
                     (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NOFILE, 256)):
        resource.setrlimit(res, (val, val))
    cpu = max(1, int(lim["cpu_s"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (int(lim["max_processes"]),) * 2)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    _libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: setuid binaries cannot raise privileges
    for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(_ENV)
    # the job's streams are also sys.__stdout__ & co: the forkserver's own were left unflushed (a program writing to
    # sys.__stdout__, as fast-output idioms do, lost its output)
    sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", closefd=False)
    sys.argv = ["<solution>"]
    _runner.run(job, _harness, _CHANNEL_FD)


if __name__ == "__main__":
    _serve(int(sys.argv[1]), json.loads(sys.argv[2]))
