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

from pydantic import BaseModel, ConfigDict


class Config(BaseModel):
    """Base of every recipe section and plug-in config: extra keys are an error, fields are mutable."""

    model_config = ConfigDict(extra="forbid", frozen=False)


def undescribed_fields(cls: type[BaseModel]) -> list[str]:
    """Fields of ``cls`` (and of nested Config models) without a description: a test keeps this empty."""
    out = []
    for name, f in cls.model_fields.items():
        if not f.description:
            out.append(f"{cls.__name__}.{name}")
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, Config):
            out += undescribed_fields(ann)
    return out
