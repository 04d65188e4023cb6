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
recursively with ``type(x) is``). Arithmetic on results is ordinary, so ``abs(f(x) - y) < 1e-6`` works. The stdlib's
``Fraction``, ``Decimal``, ``range``, ``bytearray``, ``OrderedDict``, ``Counter``, ``deque``, ``slice`` and a dict's
views cross as themselves, both ways (a ``Counter`` the tests pass keeps ``most_common``; an ``OrderedDict`` keeps its
order-sensitive ``==``). What else the solution returns stays in its process, where the tests use it only by calls
whose results cross as data: an object of its own class (:class:`Instance`: its methods, ``len``, ``in``, ``[i]``,
iteration), a function (a closure: called) and an iterator (:class:`RemoteIter`: its items drawn).

    >>> decode(encode({"a": (1, True, 1.0)})) == {"a": (1, True, 1.0)}
    True
    >>> [type(x).__name__ for x in decode(encode((1, True, 1.0, None)))]
    ['int', 'bool', 'float', 'NoneType']
"""

from __future__ import annotations

import array
import ast
import base64
import builtins
import collections
import concurrent.futures  # here: a tests job patches it (:func:`_install_hooks`), the forkserver pays the import once
import contextlib
import decimal
import fractions
import inspect
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
#: what ran in this (tests) job: assertions passed, uses of the solution (calls; a name bound as its data), the first
#: assertion that failed (file, line, message), the solution's exceptions re-raised in the tests (:func:`_verdict_of_run`)
RAN = {"checks": 0, "uses": 0, "failed": None, "raised": []}
#: where the trusted code checks something (:class:`_Checks`): (file, line) of each ``assert``, of the condition and the
#: ``raise`` of an ``if ...: raise``, of each ``assert*``/``fail*`` call; an exception the tests swallow whose innermost
#: frame of theirs is on one of these lines is a failed check (:func:`_swallowed`)
CHECK_LINES: set = set()
TRUSTED_FILES: set = set()  # the file names of the trusted sources (``<tests>``, ``<setup>``, ``<prompt>``)
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
    if depth == 0 and SETUP and _GRAPH[0] is None:
        return _graph(x)
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
    if (t is list or t is tuple) and len(x) >= PACK_MIN:
        packed = _pack(x)
        if packed is not None:
            return ["P", "l" if t is list else "t", *packed]
    if t is list or t is tuple or t is set or t is frozenset:
        return [{list: "l", tuple: "t", set: "S", frozenset: "F"}[t], [encode(v, depth + 1) for v in x]]
    if t is dict or t is _ODICT or t is _COUNTER:
        return [_MAPS[t], [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in x.items()]]
    if t is _FRACTION:
        return ["q", hex(x.numerator), hex(x.denominator)]
    if t is _DECIMAL:
        return ["D", str(x)]
    if t is range:
        return ["r", hex(x.start), hex(x.stop), hex(x.step)]
    if t is bytearray:
        return ["B", x.hex()]
    if t is _DEQUE:
        return ["Q", [encode(v, depth + 1) for v in x], None if x.maxlen is None else hex(x.maxlen)]
    if t in SETUP_TYPES and _GRAPH[0] is not None:  # an object of a class of the reference's ``setup``: by reference
        return ["@", _ref(x)]
    if t is slice:  # round 14: ``stack[1:]`` of an object of the solution (:class:`Instance`)
        return ["sl", encode(x.start, depth + 1), encode(x.stop, depth + 1), encode(x.step, depth + 1)]
    if t in _VIEWS:  # round 14: ``return d.keys()`` was "unsupported"
        tag = _VIEWS[t]
        return ["V", tag, encode([tuple(kv) for kv in x] if tag == "i" else list(x), depth + 1)]
    plain = stand_in(x)
    if plain is not x:
        return encode(plain, depth)
    err = TypeError("a value of type %r" % t.__name__)
    err.value = x
    raise err


#: the classes the reference's ``setup`` defines (LeetCode's ``ListNode``, ``TreeNode``), by name and by class: both
#: processes ran that code, so an object of one crosses as its class's name and its attributes (:func:`_graph`; round
#: 14: linked-list and tree rows could not be verified)
SETUP: dict = {}
SETUP_TYPES: dict = {}


class _Slot(threading.local):
    """One value per thread (``slot[0]``): the tests may call the solution from threads, each encoding its own values."""

    def __init__(self, make):
        self.v = make()

    def __getitem__(self, i):
        return self.v

    def __setitem__(self, i, x):
        self.v = x


_GRAPH = _Slot(lambda: None)  # while a value is encoded: ({id: index}, [objects]) of the setup objects met
_REFS = _Slot(lambda: None)  # while a value is decoded: the setup objects it holds, by index
_LAST = _Slot(list)  # the setup objects of the value last encoded or decoded, by index
#: a call's setup objects, by index: a call that answers in place (returns None) sends back its arguments encoded with
#: them first (their states after the call), and the tests' process decodes that into its own objects of those indices
#: (in place, as in one process); a call that returns a value leaves the tests' objects as they were (round 13's rule)
_SEED, _SENT, _CALL_OBJS = _Slot(list), _Slot(list), _Slot(list)
#: objects of setup classes one value may hold (a linked list of 10^6 nodes is about 30 MB encoded)
MAX_OBJECTS = 1 << 20


def note_setup(g: dict) -> None:
    """Note the plain classes the trusted ``setup`` defined in ``g`` (the same in both processes: it ran in both)."""
    SETUP.clear()
    for k, v in g.items():
        if type(v) is type and v.__name__ == k and v.__module__ == g.get("__name__") \
                and all(b is object or b in SETUP.values() for b in v.__mro__[1:]) and "__slots__" not in vars(v):
            SETUP[k] = v
    SETUP_TYPES.clear()
    SETUP_TYPES.update({v: k for k, v in SETUP.items()})


def _ref(x) -> int:
    ids, objs = _GRAPH[0]
    k = ids.get(id(x))
    if k is None:
        if len(objs) >= MAX_OBJECTS:
            err = TypeError("more than %d objects of the reference's classes" % MAX_OBJECTS)
            raise err
        k = ids[id(x)] = len(objs)
        objs.append(x)
    return k


def _graph(x):
    """``x`` encoded with the objects of the ``setup``'s classes it holds as ``["@", index]`` into a table of them (class
    name, attributes), ``["G", x, table]``, or as plain data when it holds none. By reference: a linked list of any
    length is no deeper than a node, and a cycle or a node held twice stays one object."""
    objs = list(_SEED[0])
    ids = {id(o): k for k, o in enumerate(objs)}
    _GRAPH[0] = (ids, objs)
    try:
        root, table, i = encode(x, 0), [], 0
        while i < len(objs):
            o = objs[i]
            i += 1
            try:
                attrs = vars(o)
            except TypeError:
                attrs = None
            if type(attrs) is not dict:
                err = TypeError("a value of type %r without attributes" % type(o).__name__)
                err.value = o
                raise err
            table.append([SETUP_TYPES[type(o)], [[k, encode(v, 1)] for k, v in attrs.items() if type(k) is str]])
    finally:
        _GRAPH[0] = None
    _LAST[0] = objs
    return ["G", root, table] if objs else root


def _ungraph(e):
    """Inverse of :func:`_graph`: the objects made first (their classes' ``__new__`` only, as ``pickle`` makes them),
    then their attributes, then the value."""
    sent = _SENT[0]
    if _REFS[0] is not None or type(e[2]) is not list or len(e[2]) < len(sent):
        raise ValueError("malformed value")
    objs = []
    for k, ent in enumerate(e[2]):
        if type(ent) is not list or len(ent) != 2 or type(ent[0]) is not str or ent[0] not in SETUP \
                or type(ent[1]) is not list or (k < len(sent) and SETUP_TYPES.get(type(sent[k])) != ent[0]):
            raise ValueError("malformed object")
        objs.append(sent[k] if k < len(sent) else object.__new__(SETUP[ent[0]]))
    _REFS[0] = objs
    try:
        states = []
        for ent in e[2]:
            d = {}
            for kv in ent[1]:
                if type(kv) is not list or len(kv) != 2 or type(kv[0]) is not str:
                    raise ValueError("malformed object")
                d[kv[0]] = decode(kv[1], 1)
            states.append(d)
        for o, d in zip(objs, states):  # the tests' own objects of the call take their states after it
            o.__dict__.clear()
            o.__dict__.update(d)
        _LAST[0] = objs
        return decode(e[1], 1)
    finally:
        _REFS[0] = None


#: a list or tuple this long of ints (64-bit), floats, bools or strs alone crosses packed (:func:`_pack`)
PACK_MIN = 16


def _pack(x):
    """(code, packed items) of a list or tuple of ``int``s that fit 64 bits, of ``float``s or of ``bool``s alone (base64
    of the machine's bytes), or of ``str``s alone (a JSON list of them), else None. Round 13: item by item (``["i",
    "0x1f"]`` each) a list of 10^6 ints took about 200 MB and seconds to pass in each process, so an honest solution
    failed a memory limit (128 MB) that it met beside the tests (``joint``)."""
    first = type(x[0])
    if first is not int and first is not float and first is not bool and first is not str:
        return None
    for v in x:
        if type(v) is not first:
            return None
    if first is str:
        return ["s", list(x)]
    try:
        a = array.array({int: "q", float: "d", bool: "B"}[first], x)
    except OverflowError:
        return None
    return ["?" if first is bool else a.typecode, base64.b64encode(memoryview(a)).decode("ascii")]


def _unpack(code: str, data) -> list:
    """The items :func:`_pack` packed; ValueError if malformed."""
    if code == "s":
        if type(data) is not list or not all(type(v) is str for v in data):
            raise ValueError("malformed packed value")
        return data
    if type(data) is not str or code not in ("q", "d", "?"):
        raise ValueError("malformed packed value")
    try:
        a = array.array("B" if code == "?" else code, base64.b64decode(data.encode("ascii"), validate=True))
    except (ValueError, UnicodeError):  # binascii.Error is a ValueError; bytes not a whole number of items
        raise ValueError("malformed packed value") from None
    if code != "?":
        return a.tolist()
    if a.count(0) + a.count(1) != len(a):
        raise ValueError("malformed packed value")
    return [b == 1 for b in a]


_FRACTION, _DECIMAL, _ODICT, _COUNTER, _DEQUE = (fractions.Fraction, decimal.Decimal, collections.OrderedDict,
                                                 collections.Counter, collections.deque)
_MAPS = {dict: "d", _ODICT: "o", _COUNTER: "C"}
#: a dict's views cross as views (of a dict the tests' process makes): ``keys()`` and ``items()`` compare as sets, in order
_VIEWS = {type({}.keys()): "k", type({}.values()): "v", type({}.items()): "i"}


def decode(e, depth: int = 0):
    """Inverse of :func:`encode`; anything malformed raises ValueError (plain builtins, and the stdlib values
    :data:`verifiers.exact_compare.CONTAINERS`, only come out)."""
    if depth > MAX_DEPTH or type(e) is not list or not e or type(e[0]) is not str:
        raise ValueError("malformed value")
    tag, n = e[0], len(e)
    if tag == "n" and n == 1:
        return None
    if tag == "@" and n == 2 and type(e[1]) is int and _REFS[0] is not None and 0 <= e[1] < len(_REFS[0]):
        return _REFS[0][e[1]]
    if tag == "G" and n == 3 and depth == 0:
        return _ungraph(e)
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
    if tag == "P" and n == 4 and e[1] in ("l", "t") and type(e[2]) is str:
        items = _unpack(e[2], e[3])
        return items if e[1] == "l" else tuple(items)
    if tag in ("l", "t", "S", "F") and n == 2 and type(e[1]) is list:
        items = [decode(v, depth + 1) for v in e[1]]
        return {"l": list, "t": tuple, "S": set, "F": frozenset}[tag](items)  # TypeError if unhashable
    if tag in ("d", "o", "C") and n == 2 and type(e[1]) is list:
        if not all(type(kv) is list and len(kv) == 2 for kv in e[1]):
            raise ValueError("malformed dict")
        out = {"d": dict, "o": _ODICT, "C": _COUNTER}[tag]()
        for k, v in e[1]:
            out[decode(k, depth + 1)] = decode(v, depth + 1)  # a Counter's counts as sent (no ``update``)
        return out
    if tag == "Q" and n == 3 and type(e[1]) is list and (e[2] is None or type(e[2]) is str):
        return _DEQUE([decode(v, depth + 1) for v in e[1]], None if e[2] is None else int(e[2], 16))
    if tag == "sl" and n == 4:
        return slice(decode(e[1], depth + 1), decode(e[2], depth + 1), decode(e[3], depth + 1))
    if tag == "V" and n == 3 and e[1] in ("k", "v", "i"):
        items = decode(e[2], depth + 1)
        if type(items) is not list or (e[1] == "i" and not all(type(kv) is tuple and len(kv) == 2 for kv in items)):
            raise ValueError("malformed view")
        if e[1] == "k":
            d = dict.fromkeys(items)  # TypeError if unhashable
            if len(d) != len(items):
                raise ValueError("malformed view")
            return d.keys()
        if e[1] == "v":
            return dict(enumerate(items)).values()
        d = dict(items)
        if len(d) != len(items):
            raise ValueError("malformed view")
        return d.items()
    if tag == "r" and n == 4 and all(type(v) is str for v in e[1:]):
        return range(*(int(v, 16) for v in e[1:]))
    if tag == "B" and n == 2 and type(e[1]) is str:
        return bytearray.fromhex(e[1])
    if tag == "q" and n == 3 and type(e[1]) is str and type(e[2]) is str and int(e[2], 16) > 0:
        return _FRACTION(int(e[1], 16), int(e[2], 16))
    if tag == "D" and n == 2 and type(e[1]) is str:
        try:
            return _DECIMAL(e[1])
        except ArithmeticError:  # decimal.InvalidOperation: not a number's text
            raise ValueError("malformed decimal") from None
    raise ValueError("malformed value")


# ----------------------------------------------------------------------------- framing on the call channel

def encode_msg(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def send(fd: int, obj) -> None:
    send_encoded(fd, encode_msg(obj))


def send_encoded(fd: int, data: bytes) -> None:
    """A message :func:`encode_msg` made, framed on ``fd``."""
    for part in (len(data).to_bytes(8, "little"), data):  # not concatenated: a copy of a big message (round 13)
        part = memoryview(part)
        while part:
            part = part[os.write(fd, part):]  # a view: no copy of the rest per write (quadratic for a big message)


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
            return None if not buf else buf
        buf += chunk
    return buf  # a bytearray, as ``json.loads`` reads it: no copy of a big message (round 13)


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
        reply = _next(req) if "next" in req else _iter_of(req) if "iter_of" in req else _call(g, req)
        if os.getpid() != main_pid:
            os._exit(0)  # the solution forked inside the call: only the process that was called answers
        hack = _tampered(snap, hack)
        if hack:
            reply = {"hack": hack}
        elif len(json.dumps(reply)) > (MAX_REQUEST if "inplace" in reply else MAX_MSG):  # arguments as big as sent
            reply = {"unsupported": "%s() returned more than %d MiB of data" % (req.get("call", req.get("name")), MAX_MSG >> 20)}
        send(fd, reply)


def _describe(v) -> list:
    if type(v) in PLAIN or type(v) in _exact.CONTAINERS:
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
    if on is not None and DRAWN.get(on):  # ``send()`` to a generator whose next items were drawn ahead, not yet sent
        return {"unsupported": "the tests call .%s() of an iterator of the solution after reading ahead of it" % name}
    try:
        _LAST[0] = []
        args = decode(req["args"])
        seed = _LAST[0]
        _LAST[0] = []
        kwargs = decode(req["kwargs"])
        seed = seed + _LAST[0]
        # a method of an object the tests hold, or a protocol (``len(obj)``: Python's own, with its fallbacks and errors)
        fn = g[name] if on is None else _PROTOCOLS[name](HANDLES[on]) if "why" in req else getattr(HANDLES[on], name)
        out = fn(*args, **kwargs)
    except BaseException as e:  # noqa: BLE001 - the solution's failure is sent to the tests as data
        return _raised_reply(e)
    _CALL_OBJS[0] = seed
    try:
        return _result(g, name, out, args, kwargs, req)
    finally:
        _CALL_OBJS[0] = []


def _result(g: dict, name: str, out, args: tuple, kwargs: dict, req: dict) -> dict:
    """The reply to a call that returned ``out``."""
    if out is None:  # an in-place answer (``nums.sort()``, LeetCode's "modify nums in-place"): changed arguments go back
        after = _changed(args, kwargs, req)
        if after is not None:
            return {"inplace": after}
    out = stand_in(out)
    if _iterator(out) and not _own_object(g, out):  # a generator, ``map``, ``zip``: the tests draw its items (round 14)
        HANDLES.append(out)
        return {"iter": len(HANDLES) - 1}
    if _function(g, out):  # a closure (``make_adder(2)``), a ``partial``: the tests may call it, as a method (round 14)
        HANDLES.append(out)
        return {"fn": [len(HANDLES) - 1, "%s() returned a value of type %r; only plain builtins cross to the tests"
                       % (name, type(out).__name__)]}
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


def _raised_reply(e: BaseException) -> dict:
    """The reply that raises the solution's exception ``e`` in the tests (name, message, solution line, exit code,
    ``args``, nearest builtin base)."""
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
    return {"raised": [type(e).__name__, msg, line, code, _args(e), _builtin_base(e)]}


def _iterator(x) -> bool:
    """``x`` is an iterator (a generator, ``map``/``filter``/``zip``, ``iter(xs)``, a library's): its type has ``__next__``
    and ``__iter__`` (no code of the solution runs to tell). An object of the solution's own class stays one
    (:class:`Instance`: its methods are called, ``next()`` included)."""
    t = type(x)
    if t in PLAIN or t in _exact.CONTAINERS:
        return False
    try:
        return callable(getattr(t, "__next__", None)) and callable(getattr(t, "__iter__", None))
    except BaseException:  # noqa: BLE001 - e.g. a metaclass whose __getattr__ raises: not an iterator
        return False


#: what ``len(obj)``, ``x in obj`` and ``obj[i]`` of the tests do to an object of the solution (:class:`Instance`)
_PROTOCOLS = {"__len__": lambda o: lambda: len(o), "__contains__": lambda o: lambda x: x in o,
              "__getitem__": lambda o: lambda i: o[i], "__call__": lambda o: o}


def _iter_of(req: dict) -> dict:
    """``iter()`` of an object of the solution the tests hold (``req["iter_of"]``: its handle): the iterator, as a new
    handle; "unsupported" (``req["why"]``) when its class is not iterable."""
    obj, why = HANDLES[req["iter_of"]], str(req.get("why"))[:300]
    if not callable(getattr(type(obj), "__iter__", None)) and not callable(getattr(type(obj), "__getitem__", None)):
        return {"unsupported": why}
    try:
        it = iter(obj)
    except BaseException as e:  # noqa: BLE001 - the solution's failure is sent to the tests as data
        return _raised_reply(e)
    if not _iterator(it):
        return {"unsupported": why}
    HANDLES.append(it)
    return {"iter": len(HANDLES) - 1}


def _function(g: dict, x) -> bool:
    """``x`` is a function to call (a closure, a lambda, a ``functools.partial``, a bound method, a builtin function): not
    a class, not an object of the solution's own class (an :class:`Instance`, whose methods are called by name)."""
    try:
        return callable(x) and not isinstance(x, type) and type(x) not in PLAIN and not _own_object(g, x)
    except BaseException:  # noqa: BLE001 - e.g. a metaclass whose __getattr__ raises: not a function
        return False


#: how much of an iterator's items one reply carries, about (encoded bytes; then the tests ask again)
BATCH_BYTES = 4 << 20
DRAWN: dict = {}  # handle -> the items drawn from that iterator and not yet sent
ENDS: dict = {}  # handle -> how that iterator ended: None (exhausted), else the reply of the exception it raised
SEEN_ITEMS: dict = {}  # handle -> {id: (key, object)} of the non-scalar items that iterator yielded
#: items that cannot change after they were drawn (anything else is encoded when drawn: a generator that yields one list
#: and changes it before the next item gives the tests each state, as one process reading lazily sees it)
_SCALARS = (type(None), bool, int, float, complex, str, bytes, _FRACTION, _DECIMAL, range)


class _Drawn:
    """An item drawn ahead that is not a scalar: its encoding when drawn, or the reply it gives (rigged, unsupported), and
    ``key``: which object it is among those the iterator yielded (one list yielded again and again is one object)."""

    __slots__ = ("enc", "reply", "size", "key")

    def __init__(self, x, name: str, seen: dict):
        self.enc = self.reply = None
        self.key = seen.setdefault(id(x), (len(seen), x))[0]  # the object is kept: its id is not reused
        why = rigged(x)
        if why:
            self.reply = {"hack": "%s() %s" % (name, why.replace("returned a value", "yielded a value", 1))}
            return
        try:
            self.enc = encode(x)
            self.size = len(encode_msg(self.enc))
        except TypeError as err:
            why = rigged(err.value) if hasattr(err, "value") else None
            self.reply = {"hack": "%s() %s" % (name, why.replace("returned a value", "yielded, nested in an item, a value",
                                                                  1))} if why else \
                {"unsupported": "%s() yielded %s; only plain builtins cross to the tests" % (name, err)}


def _immutable(x, depth: int = 0) -> bool:
    """``x`` is a scalar, or a tuple or frozenset of them (``(i, j)``): nothing can change it after it was drawn."""
    t = type(x)
    if t in _SCALARS:
        return True
    return (t is tuple or t is frozenset) and depth < 3 and len(x) <= 64 and all(_immutable(v, depth + 1) for v in x)


def _size(x) -> int:
    """About how many bytes scalar ``x`` takes encoded."""
    t = type(x)
    if t is tuple or t is frozenset:
        return 8 + sum(_size(v) for v in x)
    return len(x) + 8 if t is str else 2 * len(x) + 8 if t is bytes else x.bit_length() // 4 + 8 if t is int else 32


def _next(req: dict) -> dict:
    """Up to ``n`` next items of the iterator ``HANDLES[handle]`` (``req["next"]``: ``[handle, n]``), encoded as one list
    (packed where it can be): ``{"next": [items, done]}``. An exception it raises is the reply once the items drawn
    before it are sent, as it would be at that item in one process; each item is judged as a result is (rigged,
    unsupported), that reply too in its turn."""
    h, n = req["next"]
    it, name = HANDLES[h], req.get("name", "the iterator")
    buf = DRAWN.setdefault(h, collections.deque())
    while len(buf) < n and h not in ENDS:
        try:
            x = stand_in(next(it))
        except StopIteration:
            ENDS[h] = None
            break
        except BaseException as e:  # noqa: BLE001 - the solution's failure is sent to the tests as data
            ENDS[h] = _raised_reply(e)
            break
        buf.append(x if _immutable(x) else _Drawn(x, name, SEEN_ITEMS.setdefault(h, {})))
    out, size, drawn = [], 0, False
    while buf and len(out) < n and size <= BATCH_BYTES:
        x = buf[0]
        if type(x) is _Drawn:
            if x.reply is not None:
                if out:
                    break
                buf.popleft()
                return x.reply
            drawn, size = True, size + x.size
        else:
            size += _size(x)
        out.append(buf.popleft())
    if not out:  # the end: what it held is let go (a finished generator is small; the items it yielded are not)
        SEEN_ITEMS.pop(h, None)
        end = ENDS.pop(h, None)  # an exception is raised once; then it is exhausted, as a generator that raised is
        return end if end is not None else {"next": [["l", []], True]}
    done = not buf and h in ENDS and ENDS[h] is None
    if done:
        SEEN_ITEMS.pop(h, None)
    if not drawn:
        return {"next": [encode(out), done]}
    return {"next": [["l", [x.enc if type(x) is _Drawn else encode(x) for x in out]], done,
                     [x.key if type(x) is _Drawn else None for x in out]]}


def _changed(args: tuple, kwargs: dict, req: dict):
    """``[[[index, value], ...], [[keyword, value], ...]]`` of the arguments a call changed (encoded as they are now,
    compared with what the tests sent), or None when none did: only those go back (an argument the tests passed twice,
    ``f(a, a)``, is not reverted by its unchanged copy)."""
    sent, sent_kw = req["args"], req["kwargs"]
    if sent[:1] == ["G"] or sent_kw[:1] == ["G"]:  # objects of the setup's classes: all the arguments, as one graph each
        _SEED[0] = _CALL_OBJS[0]  # the call's objects first, by their indices: the tests' own take their states
        try:
            now, now_kw = encode(args), encode(kwargs)
        except (TypeError, ValueError):
            return None
        finally:
            _SEED[0] = []
        return ["G", now, now_kw] if now != sent or now_kw != sent_kw else None
    items = sent[1] if sent[:1] == ["t"] and len(sent) == 2 and type(sent[1]) is list else None  # packed: immutable
    pos, kw = [], []
    try:
        if items is not None and len(items) == len(args):
            pos = [[i, e] for i, (a, was) in enumerate(zip(args, items)) for e in [encode(a)] if e != was]
        was_kw = {k[1]: v for k, v in sent_kw[1]} if kwargs else {}
        kw = [[k, e] for k, v in kwargs.items() for e in [encode(v)] if e != was_kw.get(k)]
    except (TypeError, IndexError, ValueError):  # e.g. the solution put an object of its own in them: nothing goes back
        return None
    return [pos, kw] if pos or kw else None


def _builtin_base(e: BaseException) -> str:
    """The name of the nearest builtin class in ``e``'s MRO (``ValueError`` for a ``class Bad(ValueError)`` or a
    ``json.JSONDecodeError``): the tests' process has not the solution's classes, and their ``except ValueError`` must
    catch what Python's would."""
    try:
        for k in type(e).__mro__:
            if getattr(builtins, k.__name__, None) is k:
                return k.__name__
    except BaseException:  # noqa: BLE001 - e.g. a metaclass whose __name__ raises: a plain Exception then
        pass
    return "Exception"


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

    def __init__(self, fd: int, name: str, on: int | None = None, builtin: bool = False):
        self._fd, self.__name__, self._on, self._builtin = fd, name, on, builtin

    def __repr__(self):
        return "<solution's %s>" % self.__name__

    def __call__(self, *args, **kwargs):
        try:
            _LAST[0] = []
            a = encode(args)
            sent = _LAST[0]
            _LAST[0] = []
            k = encode(kwargs)
            sent = sent + _LAST[0]
        except TooDeep:  # only the solution's results get near the limit: e.g. f(f(x)) with a 200-deep f(x)
            raise Unsupported("%s() was called with a value nested deeper than %d levels (a result of the "
                              "solution passed back?)" % (self.__name__, MAX_DEPTH)) from None
        except TypeError as e:  # the solution's own function, object or module passed back: its choice, not data
            if isinstance(getattr(e, "value", None), (Remote, Opaque, Instance, RemoteIter)) \
                    or id(getattr(e, "value", None)) in GIVEN:
                raise Unsupported("the tests pass %s() %s of the solution, not data" % (self.__name__, e)) from None
            if self._builtin and isinstance(getattr(e, "value", None), type):  # ``isinstance(r, int)``: the tests'
                # checker, whose name the solution took (round 14: a solution defining ``isinstance`` made them abstain)
                raise Unsupported("the tests pass %s to %s(), a builtin's name the solution defines; it cannot cross to "
                                  "the solution's process" % (e, self.__name__)) from None
            raise HarnessError("the tests pass %s to %s(), which cannot cross to the solution's process"
                               % (e, self.__name__)) from None
        req = {"call": self.__name__, "args": a, "kwargs": k}
        if self._on is not None:
            req["on"] = self._on
            if self.__name__ in _PROTOCOLS:  # a protocol of an object of the solution: Python's, in its process
                req["why"] = getattr(self, "_why", "")
        data = encode_msg(req)
        del req, a, k  # the encoded copies are not kept while the reply is read (a big in-place reply: memory)
        if len(data) > MAX_REQUEST:  # was read by the candidate as a broken channel: "reward hack" for a correct solution
            raise Unsupported("the tests pass %s() %d MiB of data, more than a call carries (%d MiB)"
                              % (self.__name__, len(data) >> 20, MAX_REQUEST >> 20))
        _used()
        with _CALL_LOCK:  # test code that calls from threads: one request/reply pair at a time
            try:
                send_encoded(self._fd, data)
            except OSError:
                raise CandidateGone() from None
            del data
            msg = _reply(self._fd)
            return self._decoded(msg, args, kwargs, sent)

    def _decoded(self, msg: dict, args: tuple, kwargs: dict, sent: list):
        obj = msg.get("obj")
        if type(obj) is list and len(obj) == 2 and type(obj[0]) is int and type(obj[1]) is str:
            return Instance(self._fd, obj[0], obj[1][:300])
        if type(msg.get("iter")) is int:
            return RemoteIter(self._fd, msg["iter"], self.__name__)
        fn = msg.get("fn")
        if type(fn) is list and len(fn) == 2 and type(fn[0]) is int and type(fn[1]) is str:
            return _Method(self._fd, "__call__", fn[0], fn[1][:300])
        after = msg.get("inplace")
        if after is not None:
            _SENT[0] = sent  # an in-place answer's first setup objects are the call's: they take their states after it
            try:
                _write_back(args, kwargs, after)
            finally:
                _SENT[0] = []
            return None
        if "ok" not in msg:
            raise RewardHack("malformed message on the call channel")
        try:
            return decode(msg["ok"])
        except (ValueError, TypeError, OverflowError):
            raise RewardHack("malformed value on the call channel") from None


def _write_back(args: tuple, kwargs: dict, after) -> None:
    """A call that returned None changed its arguments in the solution's process: the tests' own arguments change the
    same way, in place, as in one process (round 13: a correct in-place solution, ``rotate(nums, k)``, ``matrix[i][j] =
    ...``, failed ``rotate(xs, 1); assert xs == [...]``, the tests' list untouched). Only a call that returned None (a
    call answering with a value cannot change what the tests compute from its arguments after it), and only inside the
    tests' mutable containers (a list, dict, set, bytearray, deque, also nested, also in a tuple), as decoded data;
    ``after`` (:func:`_changed`) names each changed argument by its position or keyword in this call, or holds them all
    (``["G", args, kwargs]``: they hold objects of the setup's classes, which change in place too: ``reorderList(head)``)."""
    if type(after) is list and len(after) == 3 and after[0] == "G":
        try:
            new, new_kw = decode(after[1]), decode(after[2])
        except (ValueError, TypeError, OverflowError):
            raise RewardHack("malformed value on the call channel") from None
        if type(new) is not tuple or len(new) != len(args) or type(new_kw) is not dict or new_kw.keys() != kwargs.keys():
            raise RewardHack("malformed value on the call channel")
        for old, x in list(zip(args, new)) + [(kwargs[k], new_kw[k]) for k in kwargs]:
            _update(old, x)
        return
    if type(after) is not list or len(after) != 2 or type(after[0]) is not list or type(after[1]) is not list \
            or not all(type(p) is list and len(p) == 2 for p in after[0] + after[1]):
        raise RewardHack("malformed message on the call channel")
    if not all(type(i) is int and 0 <= i < len(args) for i, _ in after[0]) or \
            not all(type(k) is str and k in kwargs for k, _ in after[1]):
        raise RewardHack("malformed value on the call channel")
    try:
        changes = [(args[i], decode(e)) for i, e in after[0]] + [(kwargs[k], decode(e)) for k, e in after[1]]
    except (ValueError, TypeError, OverflowError):
        raise RewardHack("malformed value on the call channel") from None
    for old, new in changes:
        _update(old, new)


def _update(old, new, depth: int = 0) -> bool:
    """Make the tests' ``old`` hold ``new`` in place when it is a mutable container of ``new``'s type (its containers
    updated in turn, so a row the tests hold is the row that changed); False when it cannot change (its slot takes
    ``new``)."""
    t = type(old)
    if old is new:  # an object of the setup's classes the reply already updated in place
        return True
    if depth > MAX_DEPTH:
        return False
    if t is collections.defaultdict and type(new) is dict:  # it crossed as a dict (its factory stayed here)
        t = dict
    elif t is not type(new):
        return False
    if t is list:
        for i in range(min(len(old), len(new))):
            if not _update(old[i], new[i], depth + 1):
                old[i] = new[i]
        if len(old) > len(new):
            del old[len(new):]
        else:
            old.extend(new[len(old):])
        return True
    if t is dict or t is _ODICT or t is _COUNTER:
        if list(old) == list(new):
            for k in new:
                if not _update(old[k], new[k], depth + 1):
                    old[k] = new[k]
        else:
            old.clear()
            dict.update(old, new)  # a Counter's own ``update`` adds the counts
        return True
    if t is set:
        old.clear()
        old.update(new)
        return True
    if t is bytearray:
        old[:] = new
        return True
    if t is _DEQUE:
        old.clear()
        old.extend(new)
        return True
    if t is tuple and len(old) == len(new):
        for a, b in zip(old, new):
            _update(a, b, depth + 1)
        return True
    if t in SETUP_TYPES:  # a node the tests hold now holds what the solution's held (its links: the nodes that came back)
        old.__dict__.clear()
        old.__dict__.update(new.__dict__)
        return True
    return False


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

    def __iter__(self):
        """``for x in obj``, ``list(obj)``: an object of an iterable class of the solution (its ``__iter__``, a generator
        or itself an iterator) is iterated as an iterator it returns is (:class:`RemoteIter`; round 14); another is
        "unsupported"."""
        fd, handle, why = object.__getattribute__(self, "_instance")
        _used()
        with _CALL_LOCK:
            try:
                send(fd, {"iter_of": handle, "why": why})
            except OSError:
                raise CandidateGone() from None
            msg = _reply(fd)
        if type(msg.get("iter")) is not int:
            raise RewardHack("malformed message on the call channel")
        return RemoteIter(fd, msg["iter"], "iter")

    def _protocol(name: str):
        """``len(obj)``, ``x in obj``, ``obj[i]``, ``obj(x)``: done to the solution's object in its process, as Python does
        it there (its ``__len__``, ``__contains__`` or ``__iter__``, ``__getitem__``, ``__call__``; else Python's
        ``TypeError``), the result
        crossing as data (round 14: a ``len(stack)`` of a class with ``__len__`` was "unsupported")."""
        def call(self, *args, **kwargs):
            fd, handle, why = object.__getattribute__(self, "_instance")
            return _Method(fd, name, handle, why)(*args, **kwargs)
        call.__name__ = name
        return call

    __len__, __contains__, __getitem__ = _protocol("__len__"), _protocol("__contains__"), _protocol("__getitem__")
    __call__ = _protocol("__call__")
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = _unsupported
    __setattr__ = __delattr__ = __int__ = __float__ = __index__ = __str__ = _unsupported
    __hash__ = None


class RemoteIter:
    """An iterator the solution returned (a generator, ``map(...)``; or ``iter()`` of an object of the solution's own
    class; round 14: it was "unsupported", so a correct generator failed ``list(gen(3)) == [0, 1, 2]``): it stays in the
    solution's process and
    the tests draw its items, each crossing as data, type-exact, as a result does. Items are read ahead in batches (1,
    2, 4, ... up to 4096 an exchange), so the solution's generator may run ahead of the tests by as many; after a call
    of one of its methods (``send``, ``close``) it reads one at a time. Compared with anything it is itself only (as a
    generator is), and passed back to the solution it is "unsupported", as an object of the solution is."""

    def __init__(self, fd: int, handle: int, name: str):
        self._fd, self._handle, self._name = fd, handle, name
        self._buf, self._done, self._n, self._objs = collections.deque(), False, 1, {}

    def __iter__(self):
        return self

    def __next__(self):
        if not self._buf and not self._done:
            self._fetch()
        if not self._buf:
            raise StopIteration
        x, key = self._buf.popleft()
        if key is None:
            return x
        # an object the iterator yielded before: the tests hold it, and it now holds what the solution's holds after this
        # item (as in one process, where a generator that yields one list and changes it changes what the tests hold)
        old = self._objs.setdefault(key, x)
        if old is not x and not _update(old, x):
            self._objs[key] = old = x
        return old

    def _fetch(self) -> None:
        _used()
        n = self._n or 1
        with _CALL_LOCK:
            try:
                send(self._fd, {"next": [self._handle, n], "name": self._name})
            except OSError:
                raise CandidateGone() from None
            msg = _reply(self._fd)
        if self._n:
            self._n = min(2 * self._n, 4096)
        got = msg.get("next")
        if type(got) is not list or len(got) not in (2, 3) or type(got[1]) is not bool:
            raise RewardHack("malformed message on the call channel")
        try:
            items = decode(got[0])
        except (ValueError, TypeError, OverflowError):
            raise RewardHack("malformed value on the call channel") from None
        keys = got[2] if len(got) == 3 else [None] * len(items) if type(items) is list else None
        if type(items) is not list or len(items) > n or not (items or got[1]) or type(keys) is not list \
                or len(keys) != len(items) or not all(k is None or type(k) is int for k in keys):
            raise RewardHack("malformed message on the call channel")
        self._buf.extend(zip(items, keys))
        self._done = got[1]

    def __getattr__(self, attr):
        """A generator's public methods (``send``, ``throw``, ``close``) call the solution's generator itself."""
        if attr not in ("send", "throw", "close"):  # e.g. ``keys``, which ``dict(it)`` looks for: not a mapping
            raise AttributeError("%r object has no attribute %r" % (type(self).__name__, attr))
        if self._buf:
            raise Unsupported("the tests call .%s() of the iterator %s() returned after reading ahead of it"
                              % (attr, self._name))
        self._n = 0  # one item an exchange from now on: the generator never runs ahead of a send()
        return _Method(self._fd, attr, self._handle, "the iterator %s() returned is not data" % self._name)

    def __repr__(self):
        return "<solution's iterator from %s()>" % self._name


def _reply(fd: int) -> dict:
    try:
        msg = recv(fd, MAX_REQUEST)  # an in-place call's arguments come back as big as they went
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
    if kind == "raised" and type(v) is list and len(v) in (4, 5, 6):
        raise _raised(*v)
    return msg


def _raised(name, msg, line, code, args=None, builtin=None) -> BaseException:
    """The solution's exception, re-created as a builtin class of that name so ``except ValueError`` works (a class the
    tests' process lacks under its nearest ``builtin`` base: ``class Bad(ValueError)`` is a ``ValueError`` subclass named
    ``Bad``), with its ``args`` when they came as plain data (else its message). A class of that name that the reference's
    ``setup`` (or a HumanEval prompt) defines or imports, which the solution's process ran too, is the base instead:
    ``except InvalidInput`` of the tests catches the solution's ``raise InvalidInput(s)`` (:data:`SHARED`)."""
    base = SHARED.get(name) if type(name) is str else None
    for n in (name, builtin) if base is None else ():
        base = getattr(builtins, n, None) if type(n) is str else None
        if isinstance(base, type) and issubclass(base, BaseException):
            break
    else:
        base = base or Exception
    if issubclass(base, (StopIteration, StopAsyncIteration)):
        base = RuntimeError  # as PEP 479 for generators: else map()/zip()/iter(f, x) in the tests end early
    if args is not None:
        sent, _SENT[0] = _SENT[0], []  # an exception's arguments are its own: they update none of the call's objects
        try:
            args = decode(args)
        except (ValueError, TypeError, OverflowError):
            raise RewardHack("malformed value on the call channel") from None
        finally:
            _SENT[0] = sent
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
    RAN["raised"].append(e)
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


#: exception classes of the trusted sources run before the tests (``setup``, a HumanEval prompt: the solution's process
#: ran them too), by name: what the solution's exception of that name is in the tests (:func:`_raised`); never a class
#: that steers the run (a skip, pytest's outcomes, the harness's own, ``StopIteration``: PEP 479's mapping stands)
SHARED: dict = {}


def _share_exceptions(g: dict) -> None:
    for k, v in g.items():
        if isinstance(v, type) and issubclass(v, Exception) and v.__name__ == k and v.__module__ != "builtins" \
                and not issubclass(v, (Stop, StopIteration, StopAsyncIteration)) \
                and not any(c.__name__ in ("SkipTest", "OutcomeException") for c in v.__mro__):
            SHARED[k] = v


def _module_ok(name: str, mod) -> bool:
    """Standard module ``mod`` for the tests' free ``name`` only if so named or already loaded: never one picked for
    its import side effects (``unittest.__main__`` runs tests) or as a look-alike (``import cmath as math``)."""
    return type(mod) is str and mod.split(".")[0] in sys.stdlib_module_names and (mod == name or mod in sys.modules)


def _shadowing(found: dict, names: list, shadow: list) -> list:
    """The builtin names the tests read (``shadow``) that are the solution's: those it defines as functions, when the
    tests take no other name from it but modules. Tests that call only ``pow`` test the solution's ``pow`` (as in one
    namespace: the builtin answered for the function under test, so a wrong one passed); beside a name of its own
    (``f``) a builtin the tests use is theirs (``abs(f(x) - y) < tol``: else the solution could rig the check)."""
    own = [n for n in names if type(found.get(n)) is list and found[n][:1] != ["module"]]
    return [] if own else [n for n in shadow if found.get(n) == ["callable"]]


def _checkers(tree, taken: list) -> set:
    """Of the builtin names the solution took (``taken``, :func:`_shadowing`), those the tests only call on the result of
    another of them (``abs`` in ``abs(pow(2, 3) - 8) < 1e-9``, ``isinstance(pow(2, 3), int)``, ``sorted(pow(x, 2) for x
    in xs)``): the tests' checkers, not functions under test (round 14: a solution defining ``pow`` and an ``abs`` that
    returns 0 passed). A name the tests also call otherwise (``pow(2, 3) == 8 and abs(-3) == 3``) stays the solution's.
    With one name taken it is the function under test, wherever it is called (``pow(abs(-2), 3)``)."""
    if len(taken) < 2:
        return set()
    wrapping, other = set(), set()  # ids of the Name nodes calling a taken name on another's result; names used else
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in taken:
            args = [x for a in call.args + [k.value for k in call.keywords] for x in ast.walk(a)]
            if any(isinstance(x, ast.Name) and x.id in taken and x.id != call.func.id for x in args):
                wrapping.add(id(call.func))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in taken and isinstance(n.ctx, ast.Load) and id(n) not in wrapping:
            other.add(n.id)
    return {n for n in taken if n not in other}


#: the module name under which tests import the solution (KodCode's ``from solution import f``, pytest style)
SOLUTION_MODULE = "solution"


def _solution_imports(tree) -> list | None:
    """The names the tests take from the solution as module :data:`SOLUTION_MODULE` (``from solution import f, g``;
    ``import solution`` and ``solution.f``), or None when they import no such module. Was a ``ModuleNotFoundError``:
    a correct solution scored 0 on every such row."""
    aliases, out, imported = set(), set(), False
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module == SOLUTION_MODULE and not n.level:
            imported = True
            out.update(a.name for a in n.names if a.name != "*")
        elif isinstance(n, ast.Import):
            for a in n.names:
                if a.name == SOLUTION_MODULE:
                    imported = True
                    aliases.add(a.asname or a.name)
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and type(n.value) is ast.Name and n.value.id in aliases:
            out.add(n.attr)
    return sorted(x for x in out if not x.startswith("__")) if imported else None


def run_tests(g: dict, job: dict, fd: int) -> None:
    """Exec the trusted sources, bind the solution's names as proxies/data, run the rewritten tests."""
    *trusted, (tname, tsrc) = job["sources"]
    g.update(CHECKERS)
    _install_hooks()
    if any("unittest" in src for _, src in job["sources"]):
        _count_assertions(__import__("unittest"))
    for name, src in trusted:
        exec(compile(ast.fix_missing_locations(_Checks(name).visit(ast.parse(src, name))), name, "exec",
                     dont_inherit=True), g)
        if name == "<setup>":
            note_setup(g)
    _share_exceptions(g)
    code, tree = _exact.rewrite(tsrc, tname, then=_Checks(tname))
    names, shadow, imports = job["harness"].get("names"), [], None
    if not names:  # the free names of the test code and of the trusted setup (a helper of it may call the solution)
        trees = [ast.parse(src, name) for name, src in trusted] + [tree]
        imports = _solution_imports(tree)
        names = sorted({n for t in trees for n in _exact.free_names(t) if n not in g} | set(imports or ()))
        shadow = [n for n in _exact.free_names(tree, builtin=True) if n not in g]
    try:
        send(fd, {"lookup": names + shadow})
    except OSError:
        raise CandidateGone() from None
    found = _reply(fd).get("names")
    if type(found) is not dict:
        raise RewardHack("malformed message on the call channel")
    taken = _shadowing(found, names, shadow)
    taken = [n for n in taken if n not in _checkers(tree, taken)]
    names = names + taken
    for n in names:
        g.pop(n, None)  # e.g. the prompt's stub of the entry point: only the solution's counts
        desc = found.get(n)
        if type(desc) is not list or not desc:
            continue
        if desc[0] == "callable":
            g[n] = Remote(fd, n, builtin=n in taken)
        elif desc[0] == "data" and len(desc) == 2:
            RAN["uses"] += 1
            try:
                g[n] = decode(desc[1])
            except (ValueError, TypeError, OverflowError):
                raise RewardHack("malformed value on the call channel") from None
        elif desc[0] == "module" and _module_ok(n, desc[1]):
            g[n] = __import__(desc[1], fromlist=["_"])  # trusted code, chosen from the standard library only
            GIVEN.add(id(g[n]))
        else:
            g[n] = Opaque(n, str(desc[-1])[:60])
    if imports is not None:  # ``from solution import f``: the module holds what the tests get for the solution's names
        mod = types.ModuleType(SOLUTION_MODULE)
        for n in names:
            if n in g and n in found:
                setattr(mod, n, g[n])
        sys.modules[SOLUTION_MODULE] = mod
    _exact.install_comparisons(g)
    try:
        exec(code, g)
    except SystemExit as e:
        if not _tests_ended(e):
            raise
    except NameError as e:  # HumanEval: a name of the tests that is not the entry point is theirs (or the prompt's)
        if job["harness"].get("names") and "_candidate" not in e.__dict__ and e.name not in names:
            raise HarnessError("the tests use %s, which they never define" % e.name) from None
        raise
    _run_collected(tree, g)
    _verdict_of_run()


def _verdict_of_run() -> None:
    """After the tests ended without an exception: a harness outcome they swallowed, an assertion whose failure they
    caught themselves, and a run in which no assertion passed (or the solution was never used) are no pass."""
    _heard_from_children()
    _unread_futures()
    if SEEN:  # e.g. a rigged value for a call the tests wrapped in a bare ``try: ... except: pass``
        raise SEEN[0]
    if RAN["failed"] is not None:  # raised where it failed (``test line N``), as if not caught
        name, line, msg, exc = RAN["failed"]
        if exc is not None:  # the solution's own exception, swallowed in a check: raised again, with its lines
            raise exc
        exec(compile("\n" * (max(line, 1) - 1) + "raise AssertionError(m)", name, "exec", dont_inherit=True),
             {"m": "the tests caught this failed assertion" + (": %s" % msg if msg else "")})
    if not RAN["checks"] and RAN["raised"]:  # the solution raised into tests that swallow it: its exception decides
        raise RAN["raised"][0]
    if not RAN["checks"]:
        raise HarnessError("no assertion of the tests ran")
    if not RAN["uses"]:
        raise HarnessError("the tests never called the solution")


def _tests_ended(e: SystemExit) -> bool:
    """``e`` is the tests' own exit with success (``unittest.main()``, which exits also on success, a ``sys.exit(0)``
    after the asserts: a correct solution failed as "exited early"): the tests ended, what ran decides; never the
    solution's ``SystemExit`` re-raised by a :class:`Remote` (it is the candidate's)."""
    return type(e) is SystemExit and e.code in (None, 0) and "_candidate" not in e.__dict__ and not SEEN


def _check(value, name: str, line: int, msg=None) -> bool:
    """An ``assert`` of the tests (:class:`_Checks`): counted when it holds, remembered when it fails (also when the
    tests catch the ``AssertionError``)."""
    if value:
        _passed()
        return True
    _failed(name, line)
    return False


def _failed(name: str, line: int, msg=None, exc=None) -> None:
    """Remember the first check that failed (``exc``: the solution's exception that ended it); in a process the tests
    forked, tell the tests' own (:func:`_forked`)."""
    if RAN["failed"] is None:
        RAN["failed"] = (name, line, msg, exc)
        if CHILD["fd"] is not None:
            if exc is not None:
                cand = exc.__dict__.get("_candidate") or (type(exc).__name__, str(exc))
                msg = "%s: %s" % (cand[0], cand[1]) if cand[1] else cand[0]
            _tell_parent({"failed": [name, line, msg]})


def _passed() -> None:
    """A check of the tests passed (in a forked process: the tests' own hears of its first)."""
    RAN["checks"] += 1
    if CHILD["fd"] is not None and "passed" not in CHILD["told"]:
        CHILD["told"].add("passed")
        _tell_parent({"passed": 1})


def _used() -> None:
    """The tests called the solution (in a forked process: the tests' own hears of its first call)."""
    RAN["uses"] += 1
    if CHILD["fd"] is not None and "used" not in CHILD["told"]:
        CHILD["told"].add("used")
        _tell_parent({"used": 1})


#: a process the tests forked (``multiprocessing.Process``, ``os.fork``) runs checks whose outcome the tests' process
#: never saw (a failed assert in the child, whose exit code nobody read, passed a wrong solution): the child reports on
#: this pipe; ``fd`` is its write end there, ``read`` the tests' read end
CHILD = {"fd": None, "told": set(), "read": None, "write": None}


def _forked() -> None:
    """In a process the tests forked: report to the tests' process; a ``multiprocessing.Process`` whose target raised
    (its ``_bootstrap`` prints the exception and sets the exit code, which the tests may never read) notes it."""
    CHILD["fd"], CHILD["told"] = CHILD["write"], set()
    mp = sys.modules.get("multiprocessing.process")
    if mp is not None and not getattr(mp.BaseProcess.run, "_noted", False):
        run = mp.BaseProcess.run

        def noted(self):
            try:
                return run(self)
            except BaseException as e:
                _note(e)
                raise
        noted._noted = True
        mp.BaseProcess.run = noted


def _tell_parent(event: dict) -> None:
    try:
        os.write(CHILD["fd"], (json.dumps(event) + "\n").encode())
    except OSError:
        pass


def _heard_from_children() -> None:
    """What the tests' forked processes reported (:data:`CHILD`), into :data:`RAN`."""
    if CHILD["read"] is None or CHILD["fd"] is not None:
        return
    data = b""
    while True:
        try:
            chunk = os.read(CHILD["read"], 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if type(event) is not dict:
            continue
        if event.get("passed") == 1:
            RAN["checks"] += 1
        if event.get("used") == 1:
            RAN["uses"] += 1
        f = event.get("failed")
        if type(f) is list and len(f) == 3 and type(f[0]) is str and type(f[1]) is int:
            _failed(f[0], f[1], str(f[2])[:300] if f[2] is not None else None)


def _install_hooks() -> None:
    """The tests' process: its forked children report (:data:`CHILD`); an exception a thread of the tests did not catch,
    and one ``contextlib.suppress`` of a broad class swallowed, is noted as a broad handler's is (:func:`_note`)."""
    CHILD["read"], CHILD["write"] = os.pipe()
    os.set_blocking(CHILD["read"], False)
    os.register_at_fork(after_in_child=_forked)
    hook = threading.excepthook

    def excepthook(args):
        _note(args.exc_value)
        return hook(args)
    threading.excepthook = excepthook
    exit_ = contextlib.suppress.__exit__

    def suppressed(self, exctype, exc, tb):
        out = exit_(self, exctype, exc, tb)
        if out and exc is not None and any(getattr(k, "__name__", None) in _BROAD
                                           for k in getattr(self, "_exceptions", ())):
            _note(exc)
        return out
    contextlib.suppress.__exit__ = suppressed
    cf = concurrent.futures
    set_exception, result, exception = cf.Future.set_exception, cf.Future.result, cf.Future.exception

    def kept(self, exc):  # an exception a future holds: noted at the end if the tests never asked for it
        FUTURES.append(self)
        return set_exception(self, exc)

    def asked(fn):
        def read(self, *a, **k):
            self._asked = True
            return fn(self, *a, **k)
        return read
    cf.Future.set_exception, cf.Future.result, cf.Future.exception = kept, asked(result), asked(exception)


FUTURES: list = []  # futures of the tests that ended with an exception (``ex.submit(check)`` never read: swallowed)


def _unread_futures() -> None:
    for f in FUTURES:
        if not getattr(f, "_asked", False):
            _note(getattr(f, "_exception", None))


def _guard(value):
    """The condition of an ``if ...: raise`` of the tests: a check, passed when false (as ``if f(x) != y: raise``)."""
    if not value:
        _passed()
    return value


def _pass(value):
    """The condition of an ``if ...: (no raise) else: raise`` of the tests: a check, passed when true."""
    if value:
        _passed()
    return value


def _where(tb):
    """(file, line) of the innermost frame of the trusted code in traceback ``tb``, or None."""
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in TRUSTED_FILES:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


_GROUP = getattr(builtins, "BaseExceptionGroup", ())  # Python 3.11+: ``except*`` catches a group


def _leaves(e):
    """The exceptions ``e`` stands for: itself, or those of an exception group."""
    if _GROUP and isinstance(e, _GROUP):
        for x in e.exceptions:
            yield from _leaves(x)
    else:
        yield e


def _swallowed() -> None:
    """Called first in each broad handler of the trusted code (``except Exception``/``BaseException``/``AssertionError``,
    bare): the exception it caught, raised by a check (an ``assert`` whose condition raised, an ``if ...: raise``, a
    ``unittest`` ``assert*`` call), is a failed check, as a failed ``assert`` the tests catch is: the solution's
    exception (its own reason, ``ValueError at test line N / solution line M``) or the check's failure."""
    for e in _leaves(sys.exc_info()[1]):
        _note(e)


def _note(e, test_failed: bool = False) -> None:
    """``e`` was caught by the trusted code (a handler) or a ``unittest`` runner (``test_failed``: it failed or errored
    a test, wherever it was raised): remember it if it ended a check."""
    if e is None or isinstance(e, Stop):  # the harness's own outcomes: SEEN raises them again
        return
    where = _where(e.__traceback__)
    if where is None and test_failed:
        where = ("<unittest>", 1)  # no line of the tests: the reason names none
    if where is None or (where not in CHECK_LINES and not test_failed):
        return
    if "_candidate" in e.__dict__:
        _failed(where[0], where[1], None, e)
        return
    try:
        msg = str(e)[:300]
    except Exception:  # noqa: BLE001 - the tests' own objects: a message that does not print is none
        msg = ""
    if not isinstance(e, AssertionError):
        msg = "%s: %s" % (type(e).__name__, msg) if msg else type(e).__name__
    _failed(where[0], where[1], msg or None)


def _library_check(fn):
    """``fn`` (an ``assert*`` the trusted code calls), counted as a passed check when it returns, unless it is a function
    of the trusted code (its own asserts count), ``unittest``'s (:func:`_count_assertions` counts those) or the
    solution's (a function under test named ``assert_sorted`` returning is no check of the tests)."""
    if isinstance(fn, Remote):  # the solution's own function named ``assert_*``: calling it checks nothing
        return fn
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is not None and (code.co_filename in TRUSTED_FILES or code.co_filename == __file__):
        return fn

    def checked(*args, **kwargs):
        out = fn(*args, **kwargs)
        _passed()
        return out
    return checked


#: the helpers :class:`_Checks`'s code calls (in the tests' globals before their names are looked up)
CHECKERS = {"__check__": _check, "__guard__": _guard, "__pass__": _pass, "__swallowed__": _swallowed,
            "__library_check__": _library_check,
            "__assertion__": AssertionError}


_BROAD = {"Exception", "BaseException", "AssertionError", "failureException"}


def _broad(h) -> bool:
    """Handler ``h`` catches failures of checks: bare, or of a class in :data:`_BROAD` (alone or in a tuple)."""
    named = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
    return h.type is None or not all(isinstance(t, (ast.Name, ast.Attribute)) and _BROAD.isdisjoint(
        {getattr(t, "id", None), getattr(t, "attr", None)}) for t in named)


def _checks_in(body: list) -> bool:
    """``body`` (a handler) checks or raises itself: ``except Exception as e: assert "negative" in str(e)`` examines an
    expected exception, it does not swallow one."""
    for n in (x for st in body for x in ast.walk(st)):
        if isinstance(n, ast.Raise) or (isinstance(n, ast.Assert) and not _always_true(n.test)):
            return True
        if isinstance(n, ast.Call) and _called(n).startswith(("assert", "fail")):
            return True
    return False


def _called(call: ast.Call) -> str:
    """The name a call calls: ``self.assertEqual(...)`` -> ``assertEqual``, ``check(...)`` -> ``check``, else ""."""
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _always_true(test) -> bool:
    """An ``assert`` condition that holds whatever ran: a true constant, a non-empty tuple, list, set or dict display."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, (ast.Tuple, ast.List, ast.Set)):
        return bool(test.elts)
    return isinstance(test, ast.Dict) and bool(test.keys)


def _leaves_early(body: list, loop: bool = False) -> bool:
    """``body`` (a ``finally``) may ``return``, ``break`` or ``continue`` out of itself: that discards the exception
    in flight, as a broad handler does."""
    for st in body:
        if isinstance(st, ast.Return) or (isinstance(st, (ast.Break, ast.Continue)) and not loop):
            return True
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        inner = isinstance(st, (ast.For, ast.AsyncFor, ast.While))
        for field in ("body", "orelse", "finalbody", "handlers"):
            sub = getattr(st, field, None)
            if type(sub) is list and sub and isinstance(sub[0], (ast.stmt, ast.excepthandler)):
                stmts = [x for h in sub for x in h.body] if field == "handlers" else sub
                if _leaves_early(stmts, loop or (inner and field == "body")):
                    return True
        if isinstance(st, ast.Match) and any(_leaves_early(c.body, loop) for c in st.cases):
            return True
    return False


def _ends_in_raise(body: list) -> bool:
    """``body`` (an ``else``) raises: directly, or at the end of each branch of an ``elif`` chain."""
    if any(type(st) is ast.Raise for st in body):
        return True
    return len(body) == 1 and type(body[0]) is ast.If and _ends_in_raise(body[0].orelse)


class _Checks(ast.NodeTransformer):
    """``assert t, m`` becomes ``if not __check__(t, file, line): raise AssertionError(m)``: never optimised away, and
    the harness sees each assertion that ran, passed or failed; ``if t: raise ...`` counts ``t`` as an assertion."""

    def __init__(self, filename: str):
        self.filename = filename
        TRUSTED_FILES.add(filename)

    def _lines(self, node, first: int | None = None) -> None:
        """The lines of ``node`` are a check's (``first``: from there; a node :mod:`exact_compare` made has none)."""
        spans = [(n.lineno, n.end_lineno or n.lineno) for n in ast.walk(node) if getattr(n, "lineno", None)]
        lo, hi = min([a for a, _ in spans] + [first or 1 << 30]), max([b for _, b in spans] + [first or 0])
        CHECK_LINES.update((self.filename, n) for n in range(lo, hi + 1))

    def visit_Call(self, node):
        """An ``assert*``/``fail*`` call is a check (its lines); a library's ``assert*`` function that returns (NumPy's
        ``np.testing.assert_allclose``) is a passed one: the tests written with it abstained ("no assertion ran")."""
        self.generic_visit(node)
        f = _called(node)
        if f.startswith(("assert", "fail")):  # ``self.assertEqual(...)``, ``with self.assertRaises(E):``
            self._lines(node)
        if f.startswith("assert"):
            node.func = ast.copy_location(ast.Call(ast.Name("__library_check__", ast.Load()), [node.func], []), node.func)
        return node

    def visit_Assert(self, node):
        """``assert (t, m)`` (a pair, always true in Python, which warns "perhaps remove parentheses?") is read as the
        ``assert t, m`` it stands for; an assertion that is always true otherwise (``assert True``, ``assert "todo"``)
        checks nothing and is no check that ran."""
        test = node.test
        if isinstance(test, ast.Tuple) and len(test.elts) == 2 and node.msg is None:
            node.test, node.msg = test.elts
        elif _always_true(test):
            return ast.copy_location(ast.Pass(), node)
        self._lines(node)
        self.generic_visit(node)
        check = ast.Call(ast.Name("__check__", ast.Load()),
                         [node.test, ast.Constant(self.filename), ast.Constant(node.lineno)], [])
        exc = ast.Call(ast.Name("__assertion__", ast.Load()), [] if node.msg is None else [node.msg], [])
        new = ast.If(ast.UnaryOp(ast.Not(), check), [ast.Raise(exc, None)], [])
        for n in ast.walk(new):
            if "lineno" in n._attributes and not hasattr(n, "lineno"):
                ast.copy_location(n, node)
        return new

    def visit_Try(self, node):
        """``try: f(-1) except ValueError: pass else: raise ...`` (an expected exception): entering a handler of a
        named class is a passed check when the ``try`` also raises or asserts; never one of ``Exception``,
        ``BaseException``, ``AssertionError`` or a bare ``except`` (those swallow failures)."""
        checks = any(isinstance(n, (ast.Assert, ast.Raise)) for st in node.body + node.orelse for n in ast.walk(st))
        examines = [_checks_in(h.body) for h in node.handlers]  # before the rewrite (``__library_check__``, ``raise``)
        self.generic_visit(node)
        for h, examined in zip(node.handlers, examines):
            if _broad(h):  # never a passed check; a failed check it swallows is still one (:func:`_swallowed`)
                if examined:
                    continue
                call = ast.Expr(ast.Call(ast.Name("__swallowed__", ast.Load()), [], []))
            elif checks:
                call = ast.Expr(ast.Call(ast.Name("__guard__", ast.Load()), [ast.Constant(False)], []))
            else:
                continue
            h.body.insert(0, ast.copy_location(call, h))
        if node.finalbody and _leaves_early(node.finalbody):  # ``finally: return`` discards the exception in flight
            call = ast.Expr(ast.Call(ast.Name("__swallowed__", ast.Load()), [], []))
            node.finalbody.insert(0, ast.copy_location(call, node.finalbody[0]))
        return node

    visit_TryStar = visit_Try

    def visit_Match(self, node):
        """``match f(x): case 42: pass  case _: raise ...``: a case that does not raise, matched, is a passed check."""
        self.generic_visit(node)
        if any(type(st) is ast.Raise for c in node.cases for st in c.body):
            for c in node.cases:
                if not any(type(st) is ast.Raise for st in c.body):
                    c.body.insert(0, ast.copy_location(ast.Expr(ast.Call(ast.Name("__guard__", ast.Load()),
                                                                         [ast.Constant(False)], [])), c.body[0]))
        return node

    def visit_If(self, node):
        """``if t: raise ...`` counts ``t`` false as a passed check; ``if t: ... else: raise ...`` (also at the end of an
        ``elif`` chain) counts ``t`` true."""
        if isinstance(node.test, ast.Constant):  # ``if False: raise ...``: decided before anything ran, no check
            return self.generic_visit(node)
        raises = [st for st in node.body if type(st) is ast.Raise]
        other = not raises and _ends_in_raise(node.orelse)
        if raises or other:
            self._lines(node.test, node.lineno)
            for st in raises or [st for st in node.orelse if type(st) is ast.Raise]:
                self._lines(st)
        self.generic_visit(node)
        if raises or other:
            node.test = ast.copy_location(ast.Call(ast.Name("__guard__" if raises else "__pass__", ast.Load()),
                                                   [node.test], []), node.test)
        return node


def _run_collected(tree, g: dict) -> None:
    """Run the tests the test code only defines, as pytest and unittest collect them (plain ``exec`` ran none, so every
    solution passed): top-level functions ``test*`` the code never reads itself, classes ``Test*`` (a fresh object per
    ``test*`` method, ``setup_method`` first), and every ``unittest.TestCase`` subclass (by ``debug()``: its failure
    raises here, with the test's line; a suite the code ran itself, its result unread, runs again). ``pytest``'s marks
    apply as pytest applies them (:func:`_call_test`); a test function whose arguments pytest would supply otherwise
    (fixtures) cannot be verified."""
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    unittest = sys.modules.get("unittest")
    case = unittest.TestCase if unittest is not None else None
    for node in tree.body:
        obj = g.get(getattr(node, "name", None)) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                        ast.ClassDef)) else None
        if obj is None:
            continue
        if isinstance(obj, type) and case is not None and issubclass(obj, case):
            _run_test_case(obj, unittest)
        elif node.name in read or not node.name.startswith("test" if type(node) is not ast.ClassDef else "Test"):
            continue
        elif isinstance(obj, type):
            for name in [k for k in dir(obj) if k.startswith("test") and callable(getattr(obj, k, None))]:
                inst = obj()
                if callable(getattr(inst, "setup_method", None)):
                    inst.setup_method(getattr(inst, name))
                _call_test(getattr(inst, name), "%s.%s" % (node.name, name), list(getattr(obj, "pytestmark", ())))
        else:
            _call_test(obj, node.name)


def _call_test(fn, name: str, marks: list = ()) -> None:
    """One pytest test function, as pytest runs it: skipped under ``@pytest.mark.skip`` (or a ``skipif`` that holds) or
    when it calls ``pytest.skip()``; its failure expected under ``xfail`` (a correct solution failed all three: the
    marks were ignored); once per parameter set of ``@pytest.mark.parametrize`` (stacked: every combination; the test
    abstained); other arguments (fixtures) cannot be supplied."""
    marks = list(getattr(fn, "pytestmark", ())) + list(marks)
    g = getattr(fn, "__globals__", None) or getattr(getattr(fn, "__func__", None), "__globals__", {})
    if _skipped(marks, g):
        return
    sets = [({}, False)]
    for m in marks:
        if getattr(m, "name", None) == "parametrize":
            sets = [({**a, **b}, xa or xb) for a, xa in sets for b, xb in _parameter_sets(m, name, g)]
    xfail = _xfail(marks, g)
    params = inspect.signature(fn).parameters.values()
    for kwargs, xfail_set in sets:
        if xfail_set is None:  # a ``pytest.param(..., marks=pytest.mark.skip)``
            continue
        needed = [p for p in params if p.default is p.empty and p.name not in kwargs
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if needed or inspect.iscoroutinefunction(fn):
            raise HarnessError("the tests define %s(), whose arguments (pytest fixtures or parameters) the harness "
                               "cannot supply" % name)
        _run_one(fn, kwargs, xfail or xfail_set)


def _run_one(fn, kwargs: dict, xfail: bool) -> None:
    """``fn(**kwargs)``; ``pytest.skip()`` in it skips it; under ``xfail`` its failure, and what it ran, are forgotten
    (a harness outcome is not: ``SEEN``)."""
    before = (RAN["checks"], RAN["uses"], RAN["failed"], len(RAN["raised"]))
    try:
        fn(**kwargs)
    except BaseException as e:  # noqa: BLE001 - re-raised unless pytest's skip or an expected failure
        if isinstance(e, Stop) or not (xfail or _pytest_outcome(e, "Skipped", "XFailed")):
            raise
        RAN["checks"], RAN["uses"], RAN["failed"] = before[:3]
        del RAN["raised"][before[3]:]


def _pytest_outcome(e: BaseException, *names: str) -> bool:
    """``e`` is pytest's ``Skipped`` (``pytest.skip()``) or another of its outcomes named ``names``."""
    return type(e).__name__ in names and any(k.__name__ == "OutcomeException" and k.__module__ == "_pytest.outcomes"
                                             for k in type(e).__mro__)  # ``Skipped`` poses as a builtin


def _condition(m, g: dict) -> bool:
    """A ``skipif``/``xfail`` mark's condition (none: true), a string evaluated as pytest does (module globals,
    ``sys``, ``os``, ``platform``)."""
    args = getattr(m, "args", ())
    if not args and "condition" not in getattr(m, "kwargs", {}):
        return True
    cond = args[0] if args else m.kwargs["condition"]
    if isinstance(cond, str):
        import platform
        try:
            cond = eval(cond, {**g, "sys": sys, "os": os, "platform": platform})  # noqa: S307 - the trusted tests' text
        except Exception as e:  # noqa: BLE001
            raise HarnessError("a pytest mark's condition %r raised %s" % (cond[:60], type(e).__name__)) from None
    return bool(cond)


def _skipped(marks: list, g: dict) -> bool:
    return any(getattr(m, "name", None) == "skip" or (getattr(m, "name", None) == "skipif" and _condition(m, g))
               for m in marks)


def _xfail(marks: list, g: dict) -> bool:
    return any(getattr(m, "name", None) == "xfail" and _condition(m, g) for m in marks)


def _parameter_sets(m, name: str, g: dict) -> list:
    """``@pytest.mark.parametrize(argnames, argvalues)`` as ``[(kwargs, xfail)]`` (``xfail`` None: skip that set)."""
    args, kw = list(getattr(m, "args", ())), dict(getattr(m, "kwargs", {}))
    names = args[0] if args else kw.get("argnames")
    values = args[1] if len(args) > 1 else kw.get("argvalues")
    if kw.get("indirect") or values is None or names is None:
        raise HarnessError("the tests parametrize %s() in a way the harness cannot supply" % name)
    names = [n.strip() for n in names.split(",") if n.strip()] if isinstance(names, str) else list(names)
    out = []
    for v in values:
        marks = []
        if type(v).__name__ == "ParameterSet" and hasattr(v, "values"):  # ``pytest.param(..., marks=...)``
            v, marks = v.values, list(v.marks)
        elif len(names) == 1:
            v = (v,)
        v = tuple(v)
        if len(v) != len(names):
            raise HarnessError("the tests parametrize %s() with %d values for %d names" % (name, len(v), len(names)))
        out.append((dict(zip(names, v)), None if _skipped(marks, g) else _xfail(marks, g)))
    return out


def _count_assertions(unittest) -> None:
    """``unittest.TestCase``'s ``assert*`` methods count as the tests' assertions when they return, and a failure is
    remembered where it was raised, also when the tests (or a runner) catch it; what a ``TestResult`` records as a
    failure or an error of a check (a suite the tests run themselves: ``unittest.main(exit=False)``, a runner's
    ``run``, whose result only prints) is a failed check too (this job's copy)."""
    case = unittest.TestCase
    for k in ("assertEqual", "assertListEqual", "assertTupleEqual", "assertSequenceEqual", "assertDictEqual",
              "assertSetEqual", "assertIn", "assertCountEqual"):
        setattr(case, k, _exactly(getattr(case, k), k))
    for k, fn in list(vars(case).items()):
        if k.startswith("assert") and inspect.isfunction(fn):
            setattr(case, k, _counting(fn))
    result = unittest.TestResult
    for k in ("addFailure", "addError"):
        setattr(result, k, _recording(getattr(result, k), lambda args: args[1]))
    result.addSubTest = _recording(result.addSubTest, lambda args: args[2] if len(args) > 2 else None)


def _exactly(fn, name: str):
    """``unittest``'s equality assertion ``fn``, type-exact as the tests' ``==`` and ``in`` are (:mod:`exact_compare`):
    ``assertEqual(f(x), 1)`` passed ``True`` and ``1.0``, ``assertCountEqual`` ``[True]`` for ``[1]``. Python's check
    runs first (its failure message, a diff, as unittest gives it); a pass only Python's loose equality gives fails."""
    def exact(self, first, second, *args, **kwargs):
        out = fn(self, first, second, *args, **kwargs)
        if name == "assertIn":
            same = _exact.exact_in(first, second)
        elif name == "assertCountEqual":
            same = _same_items(list(first), list(second))
        else:
            same = _exact.exact_eq(first, second)
        if not same:
            msg = kwargs.get("msg", args[0] if args else None)
            why = "%s %s %s: equal only as Python compares other types" % (
                _short(first), "not found in" if name == "assertIn" else "!=", _short(second))
            raise self.failureException(self._formatMessage(msg, why))
        return out
    exact.__name__ = exact.__qualname__ = name
    return exact


def _short(x) -> str:
    try:
        r = repr(x)
    except Exception:  # noqa: BLE001 - the tests' own object: its repr may raise
        r = object.__repr__(x)
    return r if len(r) <= 80 else r[:77] + "..."


def _tagged(x, depth: int = 0):
    """``x`` as a hashable value whose ``==`` is type-exact (``True``, ``1`` and ``1.0`` differ); TypeError if it holds
    something unhashable of another kind."""
    t = type(x)
    if depth > MAX_DEPTH:
        raise TypeError("too deep")
    if t is list or t is tuple:
        return (t, tuple(_tagged(v, depth + 1) for v in x))
    if t is set or t is frozenset:
        return (t, frozenset(_tagged(v, depth + 1) for v in x))
    if t is dict:
        return (t, frozenset((_tagged(k, depth + 1), _tagged(v, depth + 1)) for k, v in x.items()))
    hash(x)
    return (t, x)


def _same_items(a: list, b: list) -> bool:
    """``a`` and ``b`` hold the same items as often, type-exactly (``assertCountEqual``)."""
    if len(a) != len(b):
        return False
    try:
        return collections.Counter(map(_tagged, a)) == collections.Counter(map(_tagged, b))
    except TypeError:  # unhashable items of the tests' own kinds: pair them one by one
        rest = list(b)
        for x in a:
            for i, y in enumerate(rest):
                if _exact.exact_eq(x, y):
                    del rest[i]
                    break
            else:
                return False
        return True


def _counting(fn):
    def counted(*args, **kwargs):
        try:
            out = fn(*args, **kwargs)
        except AssertionError as e:  # the case's failureException: where the tests called it
            if not isinstance(e, Stop):
                where = _caller()
                if where is not None:
                    _failed(where[0], where[1], str(e)[:300] or None)
            raise
        _passed()
        return out
    counted.__name__ = counted.__qualname__ = fn.__name__
    return counted


def _caller():
    """(file, line) of the innermost frame of the trusted code on the stack, or None."""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename in TRUSTED_FILES:
            return f.f_code.co_filename, f.f_lineno
        f = f.f_back
    return None


def _recording(fn, err_of):
    """``TestResult.addFailure`` / ``addError`` / ``addSubTest``, noting the exception it records (:func:`_note`)."""
    def recorded(self, *args):
        err = err_of(args)
        if type(err) is tuple and len(err) == 3:
            _note(err[1], test_failed=True)
        return fn(self, *args)
    recorded.__name__ = recorded.__qualname__ = fn.__name__
    return recorded


def _run_test_case(cls, unittest) -> None:
    """Each test of a ``unittest.TestCase`` class, as ``unittest`` runs it, failing here as its failure does."""
    names = unittest.defaultTestLoader.getTestCaseNames(cls)
    if not names or getattr(cls, "__unittest_skip__", False):
        return
    cls.setUpClass()
    try:
        for name in names:
            test = cls(name)
            expected = getattr(cls, "__unittest_expecting_failure__", False) or getattr(
                getattr(cls, name), "__unittest_expecting_failure__", False)  # ``@unittest.expectedFailure``
            try:
                _run_one(test.debug, {}, expected)
            except unittest.SkipTest:
                continue
    finally:
        cls.tearDownClass()
