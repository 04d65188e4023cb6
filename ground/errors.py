"""Errors that the CLI turns into one clear line and exit code 2."""


class FactoryError(Exception):
    """A user-facing error: its message is printed as one line, the process exits 2."""


class RecipeError(FactoryError):
    """A recipe problem, formatted ``file:line: field: message``."""

    def __init__(self, file: str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        loc = f"{file}:{line}" if line else f"{file}"
        super().__init__(f"{loc}: {field}: {message}")


class MissingDependencyError(FactoryError):
    """An optional heavy dependency is missing; the message carries the exact install line."""


_OURS = ("ground.", "teachers.", "verifiers.", "curation.", "students.", "factory.")


def in_chain(exc: BaseException, match) -> BaseException | None:
    """The first exception in ``exc``'s cause chain (itself, Ray's ``cause``, ``__cause__``, ``__context__``)
    for which ``match(x)`` is true: Ray wraps a worker's error in its own types."""
    seen, stack = set(), [exc]
    while stack:
        x = stack.pop()
        if x is None or id(x) in seen:
            continue
        seen.add(id(x))
        if match(x):
            return x
        stack += [getattr(x, "cause", None), x.__cause__, x.__context__]
    return None


def factory_error_in(exc: BaseException) -> FactoryError | None:
    """The FactoryError behind ``exc``: itself or one in its cause chain (:func:`in_chain`), or, when Ray
    carried the worker's error as text only (a Ray Data UDF's error arrives as ``UserCodeException`` with the
    original traceback in its message), one rebuilt from its last ``<module>.<Class>: <message>`` line,
    provided that class is one of ours and a FactoryError."""
    import importlib
    import re

    found = in_chain(exc, lambda x: isinstance(x, FactoryError) and type(x).__module__ != "ray.exceptions"
                     and "RayTaskError" not in type(x).__name__)
    if found is not None:
        return found
    for mod, cls, msg in reversed(re.findall(r"^\s*([\w.]+)\.(\w+): ([^\n]+)$", str(exc), flags=re.M)):
        if not mod.startswith(_OURS) and mod + "." not in _OURS:
            continue
        try:
            t = getattr(importlib.import_module(mod), cls)
        except (ImportError, AttributeError):
            continue
        if isinstance(t, type) and issubclass(t, FactoryError):
            return FactoryError(msg.strip())
    return None
