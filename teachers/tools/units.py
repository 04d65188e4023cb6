"""``unit_convert``: convert a value between units of length, mass, time, volume, speed, data or temperature.

    >>> from teachers.tools.units import UnitConverter, convert
    >>> convert(5, "km", "mi")
    3.106855961
    >>> convert(100, "C", "F")
    212.0
    >>> UnitConverter().run(None, value=2, from_unit="hours", to_unit="min")
    {'value': 120.0, 'unit': 'min'}

Results are rounded to 9 decimals and 10 significant digits so that a recorded result and its replay compare
equal as text across platforms. Converting between dimensions (km -> kg) or an unknown unit is a
:class:`ToolError` that names the units it knows.
"""

from __future__ import annotations

from typing import Any

from teachers.tools.base import Tool, ToolError

# unit -> (dimension, factor to the dimension's base unit); the base is the unit with factor 1.
_LINEAR: dict[str, tuple[str, float]] = {}


def _add(dim: str, factor: float, *names: str) -> None:
    for n in names:
        _LINEAR[n] = (dim, factor)


_add("length", 1.0, "m", "meter", "meters", "metre", "metres")
_add("length", 1000.0, "km", "kilometer", "kilometers", "kilometre", "kilometres")
_add("length", 0.01, "cm", "centimeter", "centimeters")
_add("length", 0.001, "mm", "millimeter", "millimeters")
_add("length", 1609.344, "mi", "mile", "miles")
_add("length", 0.9144, "yd", "yard", "yards")
_add("length", 0.3048, "ft", "foot", "feet")
_add("length", 0.0254, "in", "inch", "inches")
_add("mass", 1.0, "kg", "kilogram", "kilograms")
_add("mass", 0.001, "g", "gram", "grams")
_add("mass", 1e-6, "mg", "milligram", "milligrams")
_add("mass", 0.45359237, "lb", "lbs", "pound", "pounds")
_add("mass", 0.028349523125, "oz", "ounce", "ounces")
_add("mass", 1000.0, "t", "tonne", "tonnes")
_add("time", 1.0, "s", "sec", "second", "seconds")
_add("time", 60.0, "min", "minute", "minutes")
_add("time", 3600.0, "h", "hr", "hour", "hours")
_add("time", 86400.0, "day", "days")
_add("time", 604800.0, "week", "weeks")
_add("volume", 1.0, "l", "L", "liter", "liters", "litre", "litres")
_add("volume", 0.001, "ml", "mL", "milliliter", "milliliters")
_add("volume", 3.785411784, "gal", "gallon", "gallons")
_add("speed", 1.0, "m/s", "mps")
_add("speed", 1000.0 / 3600.0, "km/h", "kph", "kmh")
_add("speed", 1609.344 / 3600.0, "mph")
_add("data", 1.0, "B", "byte", "bytes")
_add("data", 1e3, "KB", "kB", "kilobyte", "kilobytes")
_add("data", 1e6, "MB", "megabyte", "megabytes")
_add("data", 1e9, "GB", "gigabyte", "gigabytes")
_add("data", 1024.0, "KiB", "kibibyte", "kibibytes")
_add("data", 1024.0**2, "MiB", "mebibyte", "mebibytes")
_add("data", 1024.0**3, "GiB", "gibibyte", "gibibytes")

# Temperature is affine, so it goes through kelvin with an offset: K = (x + offset) * scale.
_TEMP = {
    "C": (273.15, 1.0), "celsius": (273.15, 1.0),
    "F": (459.67, 5.0 / 9.0), "fahrenheit": (459.67, 5.0 / 9.0),
    "K": (0.0, 1.0), "kelvin": (0.0, 1.0),
}  # fmt: skip


def _lookup(unit: str) -> str:
    u = unit.strip()
    for cand in (u, u.lower()):
        if cand in _LINEAR or cand in _TEMP:
            return cand
    raise ToolError(f"unknown unit {unit!r}; known: {', '.join(sorted(set(_LINEAR) | set(_TEMP)))}")


def _round(x: float) -> float:
    # absolute rounding first: 32 F -> C is 5.7e-14 in floating point, and should read 0.0
    return float(f"{round(x, 9):.10g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def convert(value: float, from_unit: str, to_unit: str) -> float:
    f, t = _lookup(from_unit), _lookup(to_unit)
    if f in _TEMP or t in _TEMP:
        if not (f in _TEMP and t in _TEMP):
            raise ToolError(f"cannot convert {from_unit!r} to {to_unit!r}: different dimensions")
        (fo, fs), (to, ts) = _TEMP[f], _TEMP[t]
        kelvin = (value + fo) * fs
        if kelvin < -1e-9:
            raise ToolError(f"{value} {from_unit} is below absolute zero")
        return _round(kelvin / ts - to)
    (fd, ff), (td, tf) = _LINEAR[f], _LINEAR[t]
    if fd != td:
        raise ToolError(f"cannot convert {from_unit!r} ({fd}) to {to_unit!r} ({td})")
    return _round(value * ff / tf)


class UnitConverter(Tool):
    name = "unit_convert"
    description = "Convert a value between units (length, mass, time, volume, speed, data, temperature C/F/K)."
    parameters = {
        "type": "object",
        "properties": {
            "value": {"type": "number", "description": "The quantity to convert."},
            "from_unit": {"type": "string", "description": "Unit of value, e.g. km, lb, C, hours."},
            "to_unit": {"type": "string", "description": "Unit wanted, e.g. mi, kg, F, min."},
        },
        "required": ["value", "from_unit", "to_unit"],
        "additionalProperties": False,
    }

    def run(self, state: Any, value: float, from_unit: str, to_unit: str) -> dict:
        return {"value": convert(value, from_unit, to_unit), "unit": to_unit}
