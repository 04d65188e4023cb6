"""The one config base for recipes and plug-ins: pydantic, unknown keys are errors, every field has help text.

    >>> from pydantic import Field
    >>> from ground.config import Config
    >>> class MyFilterConfig(Config):
    ...     min_words: int = Field(3, ge=0, description="drop completions shorter than this")
    >>> MyFilterConfig(min_words=5).min_words
    5

Plug-in configs subclass :class:`Config`; the recipe schema (``factory schema``) is assembled from them, so
a field's ``description`` is also its help text in editors and in ``factory validate``'s messages.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from ground.errors import FactoryError


class Config(BaseModel):
    """Base of every recipe section and plug-in config: extra keys are an error, fields are mutable, and a number
    field refuses a boolean (pydantic would take ``n: yes`` as 1 and ``limit: true`` as a limit of 1 record)."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        ann = cls.model_fields[info.field_name].annotation if info.field_name in cls.model_fields else None
        if isinstance(v, bool) and _numeric(ann):
            raise ValueError(f"expected a number, got {str(v).lower()} (YAML reads true/false/yes/no/on/off as booleans)")
        if isinstance(v, (list, tuple)) and _numeric_items(ann):  # ``keep_pass_rate: [yes, yes]`` was taken as [1.0, 1.0]
            for i, x in enumerate(v):
                if isinstance(x, bool):
                    raise ValueError(f"item {i}: expected a number, got {str(x).lower()} (YAML reads true/false/yes/no/on/off as booleans)")
        return v


def _numeric(annotation: Any) -> bool:
    """Whether a field takes numbers only (int, float, or an Optional of one)."""
    if annotation in (int, float):
        return True
    args = get_args(annotation)
    return bool(args) and get_origin(annotation) in (Union, UnionType) and all(a is type(None) or _numeric(a) for a in args) \
        and any(a is not type(None) for a in args)


def _numeric_items(annotation: Any) -> bool:
    """Whether a field takes a tuple or list of numbers only (``tuple[float, float]``, or an Optional of one)."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_numeric_items(a) for a in get_args(annotation) if a is not type(None))
    return get_origin(annotation) in (tuple, list) and bool(get_args(annotation)) and \
        all(a is Ellipsis or _numeric(a) for a in get_args(annotation))


class ConfigError(FactoryError, ValueError):
    """Bad plug-in options given in code (not through a recipe): one line, ``who: key.path: message``."""


def validate(cls: type[Config], data: Any, who: str) -> Config:
    """``cls.model_validate(data)``, or :class:`ConfigError` naming the first bad key (a plug-in built
    outside a recipe; a recipe's errors come from the assembled schema with file and line).

    >>> from pydantic import Field
    >>> class Opts(Config):
    ...     n: int = Field(1, gt=0, description="how many")
    >>> validate(Opts, {"m": 2}, "demo")
    Traceback (most recent call last):
    ...
    ground.config.ConfigError: demo: options.m: unknown key; known: n
    """
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in ("options", *err["loc"]))
        if err["type"] == "extra_forbidden":
            msg = f"unknown key; known: {', '.join(cls.model_fields)}" if len(err["loc"]) == 1 else "unknown key"
        else:
            msg = (err["msg"].removeprefix("Value error, ").strip().splitlines() or [err["type"]])[0]
        raise ConfigError(f"{who}: {loc}: {msg}") from None


def undescribed_fields(cls: type[BaseModel], _seen: set | None = None) -> list[str]:
    """Fields of ``cls`` and of every model nested in it (through lists, unions, Optional) that have no
    description: a test keeps this empty for the assembled recipe schema."""
    seen = set() if _seen is None else _seen
    if cls in seen:
        return []
    seen.add(cls)
    out = []
    for name, f in cls.model_fields.items():
        if not f.description:
            out.append(f"{cls.__name__}.{name}")
        for model in _models_in(f.annotation):
            out += undescribed_fields(model, seen)
    return out


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]
