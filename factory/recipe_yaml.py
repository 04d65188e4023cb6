"""Recipe YAML with line numbers, and pydantic errors condensed to one ``file:line: key.path: message`` each.

    >>> from factory.recipe_yaml import line_map
    >>> line_map("teacher:\\n  model: m\\n")[("teacher", "model")]
    2

The loader refuses duplicate keys and aliases. :func:`condense` turns a ``ValidationError`` of the
assembled recipe schema (factory/schema.py) into :class:`ground.errors.RecipeError` lines: union
branch tags are dropped from the key path, pydantic's "Value error, " prefixes and multi-line
messages are cut to their first line, and several errors at one key become one line.
"""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ground.errors import RecipeError

#: prefix of the tags of the discriminated unions in the assembled schema (dropped from key paths)
TAG_PREFIX = "\u00a7"


class _RecipeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (YAML keeps the last one silently) and aliases (an alias
    bomb expands exponentially; a recipe has no use for them)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in recipes", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for k, _ in node.value:
            key = self.construct_object(k, deep=True)
            if isinstance(key, (list, dict)):  # `? [a, b]`: Python cannot even look it up (was a TypeError traceback)
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a name, not a {'list' if isinstance(key, list) else 'mapping'}", k.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key]})", k.start_mark)
            seen[key] = k.start_mark.line + 1
        return super().construct_mapping(node, deep)


def line_map(text: str) -> dict[tuple, int]:
    """Map key paths (('teacher', 'n'), ('verifiers', 0, 'name')) to 1-based line numbers."""
    out: dict[tuple, int] = {}

    def walk(node: Any, path: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                p = path + (k.value,)
                out[p] = k.start_mark.line + 1
                walk(v, p)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    try:
        root = yaml.compose(text, Loader=_RecipeLoader)
    except yaml.YAMLError:
        return out
    if root is not None:
        out[()] = root.start_mark.line + 1
        walk(root, ())
    return out


def line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def load_yaml(text: str, file: str) -> tuple[Any, list[RecipeError]]:
    """The recipe's data, or a one-line syntax error with its line."""
    try:
        return yaml.load(text, Loader=_RecipeLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        msg = getattr(e, "problem", None) or str(e).splitlines()[0]
        return None, [RecipeError(file, line, "yaml", f"syntax error: {msg}")]


def _message(err: dict) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required field is missing"
    if kind == "invalid_key" and err.get("input") is True:
        return "a key parsed as true (YAML reads `on:` as a boolean): write `compare:` instead"
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return (msg.strip().splitlines() or [kind])[0]


def known_keys(model: Any, loc: tuple) -> list[str]:
    """The keys the model at ``loc`` (a pydantic error's raw location, union tags included) takes; [] when
    the path does not lead to a model.

    >>> from pydantic import BaseModel
    >>> class Inner(BaseModel):
    ...     a: int = 1
    >>> class Outer(BaseModel):
    ...     xs: list[Inner] = []
    >>> known_keys(Outer, ("xs", 0))
    ['a']
    """
    ann = model
    for step in loc:
        ann = _step(ann, step)
        if ann is None:
            return []
    models = [m for m in _members(ann) if isinstance(m, type) and issubclass(m, BaseModel)]
    return [n for n, f in models[0].model_fields.items() if not f.exclude] if len(models) == 1 else []


def _members(ann: Any) -> list:
    """``ann`` without Annotated / Optional / Union wrappers: the alternatives it allows."""
    if get_origin(ann) is Annotated:
        return _members(get_args(ann)[0])
    if get_origin(ann) in (Union, UnionType):
        return [m for a in get_args(ann) for m in _members(a)]
    return [ann]


def _step(ann: Any, step: Any) -> Any:
    if isinstance(step, str) and step.startswith(TAG_PREFIX):  # a discriminated union's member
        inner = get_args(ann)[0] if get_origin(ann) is Annotated else ann
        for a in get_args(inner):
            if any(getattr(m, "tag", None) == step for m in getattr(a, "__metadata__", ())):
                return get_args(a)[0]
        return None
    for m in _members(ann):
        if isinstance(step, int) and get_origin(m) is list:
            return get_args(m)[0]
        if isinstance(step, str) and isinstance(m, type) and issubclass(m, BaseModel) and step in m.model_fields:
            return m.model_fields[step].annotation
    return None


def condense(e: ValidationError, file: str, lines: dict[tuple, int], model: Any = None) -> list[RecipeError]:
    """One RecipeError per key path: the first error there wins (a union's other branches are noise).
    With ``model`` (the schema validated against) an unknown key's message lists the known ones."""
    out: dict[str, RecipeError] = {}
    for err in e.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith(TAG_PREFIX)))
        if err["type"] == "union_tag_not_found":  # a list entry without its discriminator key (e.g. `name`)
            loc, msg = (*loc, err.get("ctx", {}).get("discriminator", "").strip("'") or "name"), "required field is missing"
        else:
            msg = _message(err)
            known = known_keys(model, err["loc"][:-1]) if model is not None and err["type"] == "extra_forbidden" else []
            if known:
                msg += f"; known: {', '.join(known)}"
            if err["type"] == "invalid_key" and err.get("input") is True:
                loc = (*loc[:-1], "on")  # pydantic names the key by its value (True == 1)
            if loc[:1] == ("verifiers",) and len(loc) == 2 and isinstance(err.get("input"), str):
                msg += f" (write a verifier as `- name: {err['input']}`)"  # `verifiers: [math_answer]`
        field = ".".join(str(x) for x in loc) or "recipe"
        out.setdefault(field, RecipeError(file, line_for(lines, loc), field, msg))
    return list(out.values())
