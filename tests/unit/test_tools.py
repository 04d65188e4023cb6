"""The real tool implementations and the session that executes calls (no mocks: these are the tools)."""

from __future__ import annotations

import json
import pickle
import time

import pytest

from teachers.tools import ToolError, ToolRegistry, default_registry
from teachers.tools.calculator import Calculator, evaluate
from teachers.tools.filesystem import FileSystem
from teachers.tools.kv_store import KVStore
from teachers.tools.units import convert


# -- calculator ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expr, value",
    [("6*7", 42), ("(17 + 25) * 3 - 8", 118), ("2 ** 10", 1024), ("2^10", 1024), ("7 // 2", 3), ("7 % 4", 3),
     ("-3 + +5", 2), ("sqrt(16)", 4.0), ("max(1, 9, 4)", 9), ("round(2.567, 2)", 2.57), ("1/4", 0.25)],
)
def test_calculator_values(expr, value):
    got = evaluate(expr)
    assert got == value and type(got) is type(value)


def test_calculator_round_keeps_its_digits_argument():
    assert (evaluate("round(2.567, 2)"), evaluate("round(1234, -2)"), evaluate("round(2.5)")) == (2.57, 1200, 2)


def test_calculator_pi_is_math_pi():
    assert evaluate("sqrt(2) * pi") == pytest.approx(4.442882938158366, rel=1e-15)


@pytest.mark.parametrize(
    "expr, reason",
    [
        ("__import__('os').system('true')", "unsupported syntax"),
        ("().__class__", "unsupported syntax"),
        ("open", "unknown name 'open'"),
        ("x + 1", "unknown name 'x'"),
        ("'a' * 3", "unsupported syntax: Constant"),
        ("lambda: 1", "unsupported syntax: Lambda"),
        ("1/0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("2 ** 5000", "exponent 5000 too large"),
        ("1 +", "cannot parse expression"),
        ("sqrt(-1)", "math error"),
        ("sqrt(x=4)", "takes no keyword arguments"),
        ("1" * 600, "longer than 500 characters"),
        ("+".join(["1"] * 150), "more than 200 parts"),
        # round(x, -10**8) would compute 10**(10**8) holding the GIL: no tool timeout could stop it
        ("round(5, -100000000)", "round() digits must be an integer within +-400"),
        ("round(1.5, 2.0)", "round() digits must be an integer within +-400"),
        ("(-8) ** (1/3)", "result is not a real number"),
        ("(10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * "
         "(10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * "
         "(10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * (10**999) * "
         "(10**999) * (10**999) * (10**999) * (10**999)", "result too large"),
    ],
)
def test_calculator_rejects(expr, reason):
    with pytest.raises(ToolError, match=None) as ei:
        evaluate(expr)
    assert reason in str(ei.value)


def test_calculator_power_tower_is_refused_quickly():
    t0 = time.monotonic()
    with pytest.raises(ToolError, match="too large"):
        evaluate("9**9**9")
    with pytest.raises(ToolError, match="result too large"):
        evaluate("(10**300)**900")
    assert time.monotonic() - t0 < 1.0


# -- kv store ----------------------------------------------------------------------------------------
def test_kv_store_set_get_list_delete():
    kv = KVStore()
    st = kv.new_state()
    assert kv.run(st, op="set", key="b", value="2") == {"ok": True}
    assert kv.run(st, op="set", key="a", value="1") == {"ok": True}
    assert kv.run(st, op="get", key="a") == {"value": "1"}
    assert kv.run(st, op="list") == {"keys": ["a", "b"]}
    assert kv.run(st, op="delete", key="a") == {"ok": True}
    assert kv.run(st, op="list") == {"keys": ["b"]}
    with pytest.raises(ToolError, match="key not found: 'a'"):
        kv.run(st, op="get", key="a")
    with pytest.raises(ToolError, match="needs 'value'"):
        kv.run(st, op="set", key="c")
    with pytest.raises(ToolError, match="needs 'key'"):
        kv.run(st, op="get")


# -- filesystem ----------------------------------------------------------------------------------------
def test_filesystem_write_read_list_delete():
    fs = FileSystem()
    st = fs.new_state()
    assert fs.run(st, op="write", path="notes/a.txt", content="héllo") == {"ok": True, "path": "/notes/a.txt", "bytes": 6}
    fs.run(st, op="write", path="/notes/sub/b.txt", content="x")
    fs.run(st, op="write", path="/top.txt", content="t")
    assert fs.run(st, op="read", path="/notes/../notes/a.txt") == {"content": "héllo"}
    assert fs.run(st, op="list", path="/notes") == {"entries": ["a.txt", "sub/"]}
    assert fs.run(st, op="list", path="/") == {"entries": ["notes/", "top.txt"]}
    assert fs.run(st, op="delete", path="/notes/a.txt") == {"ok": True, "path": "/notes/a.txt"}
    with pytest.raises(ToolError, match="no such file: /notes/a.txt"):
        fs.run(st, op="read", path="/notes/a.txt")
    with pytest.raises(ToolError, match="no such directory: /nope"):
        fs.run(st, op="list", path="/nope")
    with pytest.raises(ToolError, match="is a directory: /notes"):
        fs.run(st, op="write", path="/notes", content="y")


def test_filesystem_dotdot_cannot_escape_root():
    fs = FileSystem()
    st = fs.new_state()
    assert fs.run(st, op="write", path="../../etc/passwd", content="p")["path"] == "/etc/passwd"
    assert sorted(st) == ["/etc/passwd"]


# -- units ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, f, t, want",
    [(5, "km", "mi", 3.106855961), (100, "C", "F", 212.0), (32, "F", "C", 0.0), (0, "C", "K", 273.15),
     (3.5, "hours", "min", 210.0), (150, "lb", "kg", 68.0388555), (2, "GiB", "MiB", 2048.0), (1, "Km", "M", 1000.0)],
)
def test_units_convert(value, f, t, want):
    assert convert(value, f, t) == want


def test_units_errors():
    with pytest.raises(ToolError, match=r"cannot convert 'kg' \(mass\) to 'm' \(length\)"):
        convert(10, "kg", "m")
    with pytest.raises(ToolError, match="different dimensions"):
        convert(10, "C", "m")
    with pytest.raises(ToolError, match="unknown unit 'parsec'"):
        convert(1, "parsec", "m")
    with pytest.raises(ToolError, match="below absolute zero"):
        convert(-500, "C", "K")


# -- session & registry --------------------------------------------------------------------------------
def test_session_outcomes_are_canonical_json():
    s = default_registry().session()
    ok = s.execute("calculator", '{"expression": "6*7"}')
    assert (ok.kind, ok.content) == ("ok", '{"result": 42}')
    err = s.execute("calculator", '{"expression": "1/0"}')
    assert (err.kind, json.loads(err.content)) == ("tool_error", {"error": "division by zero"})
    bad = s.execute("calculator", '{"expression": 5}')
    assert bad.kind == "bad_arguments"
    assert bad.message == "invalid arguments for calculator: arguments.expression: 5 is not of type 'string'"
    assert s.execute("calculator", "{not json").message.startswith("arguments are not valid JSON")
    assert s.execute("calculator", "{}").message.endswith("'expression' is a required property")
    extra = s.execute("calculator", '{"expression": "1", "x": 2}')
    assert "Additional properties are not allowed ('x' was unexpected)" in extra.message
    enum = s.execute("kv_store", '{"op": "drop", "key": "a"}')
    assert "arguments.op: 'drop' is not one of ['set', 'get', 'delete', 'list']" in enum.message
    unknown = s.execute("weather", "{}")
    assert unknown.kind == "unknown_tool" and "available: calculator, filesystem, kv_store, python, unit_convert" in unknown.message


def test_session_allowed_subset_and_fresh_state():
    reg = default_registry()
    s1 = reg.session(allowed=["kv_store"])
    assert s1.execute("kv_store", {"op": "set", "key": "k", "value": "v"}).ok
    assert s1.execute("kv_store", {"op": "get", "key": "k"}).content == '{"value": "v"}'
    assert s1.execute("calculator", {"expression": "1"}).kind == "unknown_tool"
    s2 = reg.session()
    assert s2.execute("kv_store", {"op": "get", "key": "k"}).kind == "tool_error"  # new session, empty store


def test_registry_is_explicit_and_pickles():
    reg = ToolRegistry([Calculator()])
    with pytest.raises(ValueError, match="duplicate tool name 'calculator'"):
        reg.add(Calculator())
    with pytest.raises(KeyError, match="unknown tool"):
        reg.specs(["calculator", "nope"])
    full = default_registry()
    full.session().execute("calculator", '{"expression": "1"}')  # compiles a validator
    clone = pickle.loads(pickle.dumps(full))
    assert clone.names() == ["calculator", "kv_store", "filesystem", "unit_convert", "python"]
    assert clone.session().execute("unit_convert", '{"value": 1, "from_unit": "km", "to_unit": "m"}').content == (
        '{"unit": "m", "value": 1000.0}'
    )
    spec = full.specs(["calculator"])[0]
    assert spec["type"] == "function" and spec["function"]["parameters"]["required"] == ["expression"]


def test_a_result_that_is_not_strict_json_is_a_tool_error_not_a_crash():
    """1e999 in the call's JSON reads as inf: the tool message must not carry 'Infinity' (not JSON)."""
    from teachers.tools.base import TOOL_ERROR, ToolSession

    s = ToolSession(default_registry())
    out = s.execute("unit_convert", '{"value": 1e999, "from_unit": "km", "to_unit": "m"}')
    assert out.kind == TOOL_ERROR and out.message.startswith("tool unit_convert returned a result that is not JSON data")
    assert json.loads(out.content)["error"] == out.message
    ok = s.execute("unit_convert", '{"value": 2, "from_unit": "km", "to_unit": "m"}')
    assert ok.ok and json.loads(ok.content) == {"unit": "m", "value": 2000.0}
