"""Plug-in registries: one per role, built-ins by ``"module:Class"`` plus third-party entry points.

    >>> from ground.plugins import Registry
    >>> reg = Registry("filters", {"length": "curation.filters.length:LengthFilter"})
    >>> reg.load("length").__name__
    'LengthFilter'
    >>> "length" in reg.names()
    True

A distribution adds a plug-in by declaring an entry point in the group ``distill_factory.<role>``
(roles: teachers, verifiers, filters, dedup, train_methods)::

    [project.entry-points."distill_factory.filters"]
    min_words = "my_pkg.min_words:MinWords"

Nothing is imported until a recipe names the plug-in (:meth:`Registry.load`) or the whole recipe
schema is built (:meth:`Registry.load_all`). A plug-in that fails to import raises
:class:`PluginError`, one line naming its distribution; :meth:`load_all` logs that line and leaves
the plug-in out, so recipes that do not use it still validate and run. A built-in name cannot be
taken over by a third-party entry point (the built-in wins, with a warning).
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
from importlib.metadata import EntryPoint, distributions
from typing import Any

from ground.errors import FactoryError

log = logging.getLogger(__name__)

GROUP_PREFIX = "distill_factory."
ROLES = ("teachers", "verifiers", "filters", "dedup", "train_methods")


class PluginError(FactoryError):
    """A plug-in could not be loaded; the message is one line naming the plug-in and its package."""


class Registry:
    """Plug-ins of one role by name: built-ins first, then entry points of ``distill_factory.<role>``."""

    def __init__(self, role: str, builtin: dict[str, str]):
        if role not in ROLES:
            raise ValueError(f"unknown plug-in role {role!r}; roles: {list(ROLES)}")
        self.role, self.builtin = role, dict(builtin)
        self._loaded: dict[str, Any] = {}

    @property
    def group(self) -> str:
        return GROUP_PREFIX + self.role

    def _entry_points(self) -> dict[str, EntryPoint]:
        out: dict[str, EntryPoint] = {}
        for ep in _discover(tuple(sys.path)).get(self.group, ()):
            if ep.name in self.builtin:
                log.warning("%s plug-in %r from %s ignored: the name is built in", self.role, ep.name, _package(ep))
            else:
                out.setdefault(ep.name, ep)
        return out

    def names(self) -> list[str]:
        """Every known name, without importing anything."""
        return [*self.builtin, *sorted(self._entry_points())]

    def __contains__(self, name: object) -> bool:
        return name in self.builtin or name in self._entry_points()

    def __iter__(self):
        return iter(self.names())

    def __getitem__(self, name: str) -> str:
        """The plug-in's ``"module:Class"`` (without importing it)."""
        if name in self.builtin:
            return self.builtin[name]
        eps = self._entry_points()
        if name not in eps:
            raise KeyError(name)
        return eps[name].value

    def load(self, name: str) -> Any:
        """The plug-in class; KeyError for an unknown name, PluginError for one that does not import."""
        if name in self._loaded:
            return self._loaded[name]
        if name in self.builtin:
            mod, attr = self.builtin[name].split(":")
            obj = getattr(importlib.import_module(mod), attr)
        else:
            eps = self._entry_points()
            if name not in eps:
                raise KeyError(f"unknown {_singular(self.role)} {name!r}; known: {', '.join(self.names())}")
            try:
                obj = eps[name].load()
            except Exception as e:  # noqa: BLE001 - any import failure of foreign code becomes one line
                first = (str(e).strip().splitlines() or [""])[0]
                raise PluginError(f"{_singular(self.role)} plug-in {name!r} from package {_package(eps[name])} "
                                  f"({eps[name].value}) failed to load: {type(e).__name__}: {first}") from None
        self._loaded[name] = obj
        return obj

    def load_all(self) -> dict[str, Any]:
        """Every plug-in that loads; broken third-party ones are logged (one line each) and left out."""
        out = {}
        for name in self.names():
            try:
                out[name] = self.load(name)
            except PluginError as e:
                log.warning("%s", e)
        return out


@functools.lru_cache(maxsize=8)
def _discover(path: tuple[str, ...]) -> dict[str, list[EntryPoint]]:
    """Our groups' entry points, scanned once per ``sys.path`` (a scan reads every installed distribution's
    metadata; keyed by the path so a distribution put on sys.path later, as the tests do, is seen)."""
    out: dict[str, list[EntryPoint]] = {}
    seen: set[str] = set()
    for dist in distributions():
        name = dist.metadata["Name"]
        if name in seen:  # the first on sys.path wins, as importlib.metadata.entry_points does
            continue
        seen.add(name)
        for ep in dist.entry_points:
            if ep.group.startswith(GROUP_PREFIX):
                out.setdefault(ep.group, []).append(ep)
    return out


def _package(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else ep.value.split(":")[0].split(".")[0]


def _singular(role: str) -> str:
    return {"teachers": "teacher engine", "verifiers": "verifier", "filters": "filter", "dedup": "dedup step",
            "train_methods": "train method"}[role]
