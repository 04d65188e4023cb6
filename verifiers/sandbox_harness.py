"""The split test harness (stdlib only; loaded by path by :mod:`ground.sandbox_server` before any job runs;
:class:`~verifiers.code_exec.CodeExec` passes its path as :data:`~verifiers.code_exec.HARNESS`).

Why: a reward hacker's code that shares a process with the tests can rig what the tests see
(``__eq__`` that is always True, patched builtins, a replaced ``check``, expected values read from
stack frames). So the candidate and the tests run as two sandboxed jobs that share only a socket:

- the *candidate* job (role ``candidate``) execs the solution, then :func:`serve` answers calls;
- the *tests* job (role ``tests``) never imports the solution: :func:`run_tests` execs the trusted
  code, binds each name the tests need from the solution to a :class:`Remote` proxy, and runs the
  tests with every ``==`` and ``in`` made type-exact (:mod:`verifiers.exact_compare`).

Values cross as tagged JSON, never pickle, and decode into plain builtins: tuples stay tuples, and
``True``, ``1`` and ``1.0`` stay distinct under the rewritten comparisons (types are checked
recursively with ``type(x) is``). Arithmetic on results is ordinary, so ``abs(f(x) - y) < 1e-6`` works.

    >>> decode(encode({"a": (1, True, 1.0)})) == {"a": (1, True, 1.0)}
    True
    >>> [type(x).__name__ for x in decode(encode((1, True, 1.0, None)))]
    ['int', 'bool', 'float', 'NoneType']
"""

from __future__ import annotations

import builtins
import json
import os
import stat
import sys
import threading
import types

#: the builtins this module's functions resolve, as they were when the forkserver loaded it: the candidate half runs
#: after the solution's code, and a solution that replaced ``builtins.len`` (or ``int``, ``str``, ``list``) broke it, so
#: the tampering ended as a timeout or a crash of the solution's job, never reported (:func:`_tampered`)
__builtins__ = dict(vars(builtins))


def _sibling(name: str):
    """A module of this folder, by path: the forkserver runs with ``-I`` (no project on ``sys.path``), and
    by path it is always this checkout's copy, never another install of the package."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_exact = _sibling("exact_compare")
PLAIN, exact_eq, exact_in, rigged, stand_in = _exact.PLAIN, _exact.exact_eq, _exact.exact_in, _exact.rigged, _exact.stand_in
MAX_MSG = 16 << 20  # one call's result, encoded
#: one call's arguments, encoded: they come from the trusted tests (a big input of an efficiency test, e.g. a list of 10^6
#: ints, is about 15 MiB), so the candidate reads up to this much; more fails the call as "unsupported", in the tests' job
MAX_REQUEST = 4 * MAX_MSG
MAX_DEPTH = 200


SEEN: list = []  # every harness outcome raised in this job; the forkserver runs no tests, so a job starts empty
GIVEN: set = set()  # ids of the modules the tests got for the solution's names


class Stop(BaseException):
    """The harness's own outcomes: not ``Exception``s, so the tests' ``except Exception`` does not swallow them,
    and :func:`run_tests` raises the first one again even if a bare ``except:`` did."""

    def __init__(self, *args):
        super().__init__(*args)
        SEEN.append(self)


class RewardHack(Stop):
    """The solution tampered with the harness (or rigged a returned value); reason: ``reward hack: ...``."""


class Unsupported(Stop):
    """The solution gave the tests something the split harness does not pass (a score of 0)."""


class HarnessError(Stop):
    """The *tests* asked for something the split harness cannot do (cannot verify: score None)."""


class TooDeep(TypeError):
    """A value nested deeper than :data:`MAX_DEPTH` (:func:`encode`)."""


class CandidateGone(Stop):
    """The candidate job ended (crash, exit, limit) before answering; its own report gives the reason."""


# ----------------------------------------------------------------------------- codec

def encode(x, depth: int = 0):
    """Tagged JSON-ready form of plain data; raises TypeError naming the first non-plain type."""
    t = type(x)
    if depth > MAX_DEPTH:
        raise TooDeep("a value nested deeper than %d levels" % MAX_DEPTH)
    if x is None:
        return ["n"]
    if t is bool:
        return ["b", int(x)]
    if t is int:
        return ["i", hex(x)]  # hex: no 4300-digit limit on int(str)
    if t is float:
        return ["f", x.hex()]  # exact, inf and nan included
    if t is complex:
        return ["c", x.real.hex(), x.imag.hex()]
    if t is str:
        return ["s", x]
    if t is bytes:
        return ["y", x.hex()]
    if t is list or t is tuple or t is set or t is frozenset:
        return [{list: "l", tuple: "t", set: "S", frozenset: "F"}[t], [encode(v, depth + 1) for v in x]]
    if t is dict:
        return ["d", [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in x.items()]]
    plain = stand_in(x)
    if plain is not x:
        return encode(plain, depth)
    err = TypeError("a value of type %r" % t.__name__)
    err.value = x
    raise err


def decode(e, depth: int = 0):
    """Inverse of :func:`encode`; anything malformed raises ValueError (plain builtins only come out)."""
    if depth > MAX_DEPTH or type(e) is not list or not e or type(e[0]) is not str:
        raise ValueError("malformed value")
    tag, n = e[0], len(e)
    if tag == "n" and n == 1:
        return None
    if tag == "b" and n == 2 and e[1] in (0, 1) and type(e[1]) is int:
        return e[1] == 1
    if tag == "i" and n == 2 and type(e[1]) is str:
        return int(e[1], 16)
    if tag == "f" and n == 2 and type(e[1]) is str:
        return float.fromhex(e[1])
    if tag == "c" and n == 3 and type(e[1]) is str and type(e[2]) is str:
        return complex(float.fromhex(e[1]), float.fromhex(e[2]))
    if tag == "s" and n == 2 and type(e[1]) is str:
        return e[1]
    if tag == "y" and n == 2 and type(e[1]) is str:
        return bytes.fromhex(e[1])
    if tag in ("l", "t", "S", "F") and n == 2 and type(e[1]) is list:
        items = [decode(v, depth + 1) for v in e[1]]
        return {"l": list, "t": tuple, "S": set, "F": frozenset}[tag](items)  # TypeError if unhashable
    if tag == "d" and n == 2 and type(e[1]) is list:
        if not all(type(kv) is list and len(kv) == 2 for kv in e[1]):
            raise ValueError("malformed dict")
        return {decode(k, depth + 1): decode(v, depth + 1) for k, v in e[1]}
    raise ValueError("malformed value")


# ----------------------------------------------------------------------------- framing on the call channel

def encode_msg(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def send(fd: int, obj) -> None:
    send_encoded(fd, encode_msg(obj))


def send_encoded(fd: int, data: bytes) -> None:
    """A message :func:`encode_msg` made, framed on ``fd``."""
    data = memoryview(len(data).to_bytes(8, "little") + data)
    while data:
        data = data[os.write(fd, data):]  # a view: no copy of the rest per write (quadratic for a big message)


def recv(fd: int, cap: int = MAX_MSG):
    """One message, or None at EOF; ValueError if it is not well framed JSON within the size cap."""
    head = _read(fd, 8)
    if head is None:
        return None
    size = int.from_bytes(head, "little")
    if size > cap:
        raise ValueError("message of %d bytes" % size)
    body = _read(fd, size)
    if body is None:
        raise ValueError("truncated message")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise ValueError("not JSON") from None


def _read(fd: int, n: int):
    buf = bytearray()  # not bytes: ``+=`` on bytes copies the whole buffer per chunk (minutes for a 50 MiB request)
    while len(buf) < n:
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            return None if not buf else bytes(buf)
        buf += chunk
    return bytes(buf)


# ----------------------------------------------------------------------------- candidate side

def builtins_tampered(snap: dict) -> str | None:
    """The first builtin replaced or deleted since ``snap`` (``dict(vars(builtins))``); additions are fine."""
    now = vars(builtins)
    for k, v in snap.items():
        if now.get(k, snap) is not v:
            return "the solution replaced builtins.%s" % k
    return None


def serve(g: dict, fd: int, snap: dict, main_pid: int) -> None:
    """Answer the tests' lookups and calls on ``fd`` until EOF (the tests job ended)."""
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            raise ValueError("not a socket")
        _serve(g, fd, snap, main_pid)
    except (BrokenPipeError, ConnectionResetError):
        return  # the tests' job ended (e.g. its timeout) while we answered
    except (OSError, ValueError):  # the tests job is trusted: a bad fd or garbage means the solution touched it
        raise RewardHack("the solution closed or replaced the call channel (fd %d)" % fd) from None


def _tampered(snap: dict, hack: str | None) -> str | None:
    """``hack``, else the first builtin the solution replaced since ``snap``; then the builtins are put back, as ``json``
    (which this half uses) resolves them where the solution could replace them: the verdict can still be sent."""
    hack = hack or builtins_tampered(snap)
    if hack:
        vars(builtins).update(snap)
    return hack


def _serve(g: dict, fd: int, snap: dict, main_pid: int) -> None:
    hack = None  # replaced builtins, once seen: every later request is answered with it
    while True:
        hack = _tampered(snap, hack)  # before a request is decoded: at import, or in the call before
        req = recv(fd, MAX_REQUEST)
        if req is None:
            if hack:  # e.g. in the last call: no request is left to answer with it
                raise RewardHack(hack)
            return
        if os.getpid() != main_pid:
            os._exit(0)  # a fork made by the solution never answers
        if hack:
            send(fd, {"hack": hack})
            continue
        if "lookup" in req:
            send(fd, {"names": {n: _describe(g[n]) for n in req["lookup"] if type(n) is str and n in g}})
            continue
        reply = _call(g, req)
        if os.getpid() != main_pid:
            os._exit(0)  # the solution forked inside the call: only the process that was called answers
        hack = _tampered(snap, hack)
        if hack:
            reply = {"hack": hack}
        elif len(json.dumps(reply)) > MAX_MSG:
            reply = {"unsupported": "%s() returned more than %d MiB of data" % (req["call"], MAX_MSG >> 20)}
        send(fd, reply)


def _describe(v) -> list:
    if type(v) in PLAIN:
        try:
            return ["data", encode(v)]
        except TypeError:
            pass
    if isinstance(v, types.ModuleType):
        return ["module", v.__name__]
    if callable(v):
        return ["callable"]
    return ["other", type(v).__name__]


HANDLES: list = []  # objects of the solution's own classes that the tests hold as :class:`Instance` (by index)


def _own_object(g: dict, x) -> bool:
    """``x`` is an instance of a plain class the solution defined (LeetCode's ``Solution``), not a builtin's subclass."""
    t = type(x)
    return type(t) is type and all(b is object or b.__module__ == g.get("__name__") for b in t.__mro__)


def _call(g: dict, req: dict) -> dict:
    name, on = req["call"], req.get("on")
    try:
        args, kwargs = decode(req["args"]), decode(req["kwargs"])
        fn = g[name] if on is None else getattr(HANDLES[on], name)  # a method of an object the tests hold
        out = fn(*args, **kwargs)
    except BaseException as e:  # noqa: BLE001 - the solution's failure is sent to the tests as data
        line = None
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<solution>":
                line = tb.tb_lineno
            tb = tb.tb_next
        code = e.code if isinstance(e, SystemExit) and type(e.code) in (int, type(None)) else None
        try:
            msg = str(e)[:300]
        except BaseException:  # noqa: BLE001 - a rigged __str__ must not take the server down
            msg = "<unprintable>"
        return {"raised": [type(e).__name__, msg, line, code, _args(e)]}
    out = stand_in(out)
    why = rigged(out)
    if why:
        return {"hack": "%s() %s" % (name, why)}
    try:
        return {"ok": encode(out)}
    except TypeError as e:
        why = rigged(e.value) if hasattr(e, "value") else None  # a rigged value inside a list, tuple or dict
        if why:
            return {"hack": "%s() %s" % (name, why.replace("returned a value", "returned, nested in its result, a value", 1))}
        why = "%s() returned %s; only plain builtins cross to the tests" % (name, e)
        if getattr(e, "value", None) is out and _own_object(g, out):
            HANDLES.append(out)  # the tests may call its methods; any other use of it is this "unsupported"
            return {"obj": [len(HANDLES) - 1, why]}
        return {"unsupported": why}


def _args(e: BaseException):
    """The exception's ``args`` as data when they are plain and small (else None: its message stands for them), so the
    tests see ``KeyError('x')`` as raised: ``str(e)`` is ``"'x'"`` and ``e.args`` ``('x',)``, not the message's repr."""
    try:
        a = encode(e.args) if type(e.args) is tuple else None
        return a if a is not None and len(encode_msg(a)) <= 4096 else None
    except BaseException:  # noqa: BLE001 - whatever the solution's exception holds, its message is sent
        return None


# ----------------------------------------------------------------------------- tests side

_CALL_LOCK = threading.Lock()


class Remote:
    """Stands for a function of the solution (or, with ``on``, a method of an :class:`Instance`): sends the call as
    data, returns the decoded result."""

    def __init__(self, fd: int, name: str, on: int | None = None):
        self._fd, self.__name__, self._on = fd, name, on

    def __repr__(self):
        return "<solution's %s>" % self.__name__

    def __call__(self, *args, **kwargs):
        try:
            a, k = encode(args), encode(kwargs)
        except TooDeep:  # only the solution's results get near the limit: e.g. f(f(x)) with a 200-deep f(x)
            raise Unsupported("%s() was called with a value nested deeper than %d levels (a result of the "
                              "solution passed back?)" % (self.__name__, MAX_DEPTH)) from None
        except TypeError as e:  # the solution's own function, object or module passed back: its choice, not data
            if isinstance(getattr(e, "value", None), (Remote, Opaque, Instance)) or id(getattr(e, "value", None)) in GIVEN:
                raise Unsupported("the tests pass %s() %s of the solution, not data" % (self.__name__, e)) from None
            raise HarnessError("the tests pass %s to %s(), which cannot cross to the solution's process"
                               % (e, self.__name__)) from None
        req = {"call": self.__name__, "args": a, "kwargs": k}
        if self._on is not None:
            req["on"] = self._on
        data = encode_msg(req)
        if len(data) > MAX_REQUEST:  # was read by the candidate as a broken channel: "reward hack" for a correct solution
            raise Unsupported("the tests pass %s() %d MiB of data, more than a call carries (%d MiB)"
                              % (self.__name__, len(data) >> 20, MAX_REQUEST >> 20))
        with _CALL_LOCK:  # test code that calls from threads: one request/reply pair at a time
            try:
                send_encoded(self._fd, data)
            except OSError:
                raise CandidateGone() from None
            msg = _reply(self._fd)
        obj = msg.get("obj")
        if type(obj) is list and len(obj) == 2 and type(obj[0]) is int and type(obj[1]) is str:
            return Instance(self._fd, obj[0], obj[1][:300])
        if "ok" not in msg:
            raise RewardHack("malformed message on the call channel")
        try:
            return decode(msg["ok"])
        except (ValueError, TypeError, OverflowError):
            raise RewardHack("malformed value on the call channel") from None


class Opaque:
    """A global of the solution that is neither data nor callable: any use fails the sample."""

    def __init__(self, name: str, type_name: str):
        self._why = "the tests use %r, a %r of the solution; only functions and plain data cross" % (name, type_name)

    def __getattr__(self, attr):
        raise Unsupported(self._why)

    def __bool__(self):
        raise Unsupported(self._why)

    __eq__ = __call__ = __iter__ = __getitem__ = lambda self, *a: Opaque.__bool__(self)  # noqa: E731
    __hash__ = None


class _Method(Remote):
    """A method of an :class:`Instance`: it may be called, nothing else (a data attribute is not data here)."""

    def __init__(self, fd: int, name: str, handle: int, why: str):
        super().__init__(fd, name, on=handle)
        self._why = why

    def _unsupported(self, *a):
        raise Unsupported(self._why)

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __len__ = __iter__ = __contains__ = _unsupported
    __getitem__ = __int__ = __float__ = __index__ = _unsupported
    __hash__ = None


class Instance:
    """An object of a class the solution defined (LeetCode's ``Solution()``), kept in the solution's process: the
    tests may call its public methods (``Solution().twoSum(...)``; the results cross as data). Any other use (compare,
    test, iterate, read an attribute that is not a method) fails the sample: "unsupported: ... returned a value of
    type ...", as a returned object always did."""

    def __init__(self, fd: int, handle: int, why: str):
        object.__setattr__(self, "_instance", (fd, handle, why))

    def __getattr__(self, attr):
        fd, handle, why = object.__getattribute__(self, "_instance")
        if attr.startswith("_"):
            raise Unsupported(why)
        return _Method(fd, attr, handle, why)

    def __repr__(self):
        return "<solution's object>"

    def _unsupported(self, *a):
        raise Unsupported(object.__getattribute__(self, "_instance")[2])

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __len__ = __iter__ = __contains__ = _unsupported
    __getitem__ = __call__ = __setattr__ = __delattr__ = __int__ = __float__ = __index__ = __str__ = _unsupported
    __hash__ = None


def _reply(fd: int) -> dict:
    try:
        msg = recv(fd)
    except ValueError:
        raise RewardHack("malformed message on the call channel") from None
    except OSError:
        msg = None
    if msg is None:
        raise CandidateGone()
    if type(msg) is not dict or len(msg) != 1:
        raise RewardHack("malformed message on the call channel")
    kind, v = next(iter(msg.items()))
    if kind == "hack" and type(v) is str:
        raise RewardHack(v[:200])
    if kind == "unsupported" and type(v) is str:
        raise Unsupported(v[:300])
    if kind == "raised" and type(v) is list and len(v) in (4, 5):
        raise _raised(*v)
    return msg


def _raised(name, msg, line, code, args=None) -> BaseException:
    """The solution's exception, re-created as a builtin class of that name so ``except ValueError`` works, with its
    ``args`` when they came as plain data (else its message)."""
    base = getattr(builtins, name, None) if type(name) is str else None
    if not (isinstance(base, type) and issubclass(base, BaseException)):
        base = Exception
    elif issubclass(base, (StopIteration, StopAsyncIteration)):
        base = RuntimeError  # as PEP 479 for generators: else map()/zip()/iter(f, x) in the tests end early
    if args is not None:
        try:
            args = decode(args)
        except (ValueError, TypeError, OverflowError):
            raise RewardHack("malformed value on the call channel") from None
    try:
        cls = type(str(name)[:100], (base,), {})
        e = _with_args(cls, args, str(msg))
        if e is None:
            e = cls.__new__(cls)
            e.args = (str(msg),)
    except Exception:  # noqa: BLE001 - e.g. an exception type with a fixed layout
        e = Exception(str(msg))
    if isinstance(e, SystemExit):
        e.code = code if type(code) is int else None
    e.__dict__["_candidate"] = (str(name)[:100], str(msg)[:300], line if type(line) is int else None)
    return e


def _with_args(cls, args, msg: str):
    """``cls(*args)`` if that prints as the solution's exception did (``msg``), else None: its ``args`` then stand for
    it (``KeyError('x')``, ``ValueError('bad', 3)``); an exception whose own ``__str__`` said something else keeps the
    message, as before."""
    if type(args) is not tuple:
        return None
    try:
        e = cls(*args)
        return e if str(e)[:300] == msg else None
    except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError's five arguments: the message stands for them
        return None


def _module_ok(name: str, mod) -> bool:
    """Standard module ``mod`` for the tests' free ``name`` only if so named or already loaded: never one picked for
    its import side effects (``unittest.__main__`` runs tests) or as a look-alike (``import cmath as math``)."""
    return type(mod) is str and mod.split(".")[0] in sys.stdlib_module_names and (mod == name or mod in sys.modules)


def run_tests(g: dict, job: dict, fd: int) -> None:
    """Exec the trusted sources, bind the solution's names as proxies/data, run the rewritten tests."""
    *trusted, (tname, tsrc) = job["sources"]
    for name, src in trusted:
        exec(compile(src, name, "exec", dont_inherit=True), g)
    code, tree = _exact.rewrite(tsrc, tname)
    names = job["harness"].get("names") or [n for n in _exact.free_names(tree) if n not in g]
    try:
        send(fd, {"lookup": names})
    except OSError:
        raise CandidateGone() from None
    found = _reply(fd).get("names")
    if type(found) is not dict:
        raise RewardHack("malformed message on the call channel")
    for n in names:
        g.pop(n, None)  # e.g. the prompt's stub of the entry point: only the solution's counts
        desc = found.get(n)
        if type(desc) is not list or not desc:
            continue
        if desc[0] == "callable":
            g[n] = Remote(fd, n)
        elif desc[0] == "data" and len(desc) == 2:
            try:
                g[n] = decode(desc[1])
            except (ValueError, TypeError, OverflowError):
                raise RewardHack("malformed value on the call channel") from None
        elif desc[0] == "module" and _module_ok(n, desc[1]):
            g[n] = __import__(desc[1], fromlist=["_"])  # trusted code, chosen from the standard library only
            GIVEN.add(id(g[n]))
        else:
            g[n] = Opaque(n, str(desc[-1])[:60])
    _exact.install_comparisons(g)
    exec(code, g)
    if SEEN:  # e.g. a rigged value for a call the tests wrapped in a bare ``try: ... except: pass``
        raise SEEN[0]
