"""The recipe schema, assembled from the plug-in registries: one place for validation, messages and JSON Schema.

    >>> from factory.schema import recipe_model, json_schema
    >>> list(json_schema()["$defs"]["FiltersConfig"]["properties"])[:3]
    ['keep_pass_rate', 'pii', 'length']

Each role contributes its configs (:mod:`ground.plugins`): ``teacher`` / ``teachers[]`` are a union
discriminated by ``engine`` (one member per engine, its ``options`` typed by the engine's ``Options``),
``verifiers[]`` a union discriminated by ``name``, ``filters`` and ``dedup`` a
key per registered step, ``train.method`` a choice of the registered methods with a ``train.<method>``
section per method that has ``Options``. Validating a recipe loads only the plug-ins it names (a
broken third-party plug-in does not stop recipes that do not use it); :func:`json_schema` (``factory
schema``) loads them all.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, create_model, field_validator

from ground.cli_parser import ArgumentParser
from curation.plan import DEDUP, FILTERS
from factory.recipe import DedupConfig, EvalConfig, FiltersConfig, RegressionConfig, Recipe, TeacherConfig, TrainConfig, \
    VerifierConfig
from factory.recipe_yaml import TAG_PREFIX
from students.method import METHODS
from teachers.registry import ENGINES
from verifiers.registry import REGISTRY as VERIFIERS

DEFAULT_ENGINE = "hf_local"


def _union(members: dict[str, type], key: str, default: str | None = None) -> Any:
    """A union of config classes discriminated by ``key`` (tags carry TAG_PREFIX so error paths can drop them)."""
    if len(members) == 1:
        return next(iter(members.values()))

    def tag(v: Any) -> str | None:
        name = v.get(key, default) if isinstance(v, dict) else getattr(v, key, default)
        return TAG_PREFIX + name if isinstance(name, str) else (TAG_PREFIX + default if default else None)

    return Annotated[Union[tuple(Annotated[c, Tag(TAG_PREFIX + n)] for n, c in members.items())], Discriminator(tag)]


def _teacher_member(engine: str) -> type:
    cls = ENGINES.load(engine)
    engine_field = (Literal[engine], Field(engine if engine == DEFAULT_ENGINE else ..., description=f"engine: {engine}"))
    return create_model(f"{cls.__name__}Config", __base__=TeacherConfig, engine=engine_field,
                        options=(cls.Options, Field(default_factory=cls.Options, description=f"{engine} engine options")))


def _verifier_member(name: str) -> type:
    cls = VERIFIERS.load(name)

    def check(v: Any) -> Any:
        try:  # typed by Options already; the constructor checks the rest (files, templates) and loads nothing heavy
            cls(**v.model_dump(exclude_unset=True))
        except (TypeError, ValueError) as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(msg if msg.startswith("verifier") else f"verifier {name!r}: {msg}") from None
        return v

    return create_model(f"{cls.__name__}VerifierConfig", __base__=VerifierConfig,
                        name=(Literal[name], Field(..., description=f"verifier: {name}")),
                        options=(cls.Options, Field(default_factory=cls.Options, description=f"{name} verifier options")),
                        __validators__={"_check_options": field_validator("options")(lambda v: check(v))})


def _off(name: str) -> tuple:
    """A registered step this recipe leaves off: the attribute exists (code reads ``recipe.dedup.decontam``)
    without importing the plug-in; a value there would have made it ``used``."""
    return type(None), Field(None, description=f"{name} (not used by this recipe); null = off")


def _filters(names: tuple[str, ...], loaded: tuple[str, ...]) -> type:
    fields = {}
    for n in names:
        if n not in loaded:
            fields[n] = _off(n)
            continue
        cls = FILTERS.load(n)
        fields[n] = (cls.Config | None, Field(None, description=f"{cls.description or n}; null = off"))
    return create_model("FiltersConfig", __base__=FiltersConfig, **fields)


def _dedup(names: tuple[str, ...], loaded: tuple[str, ...]) -> type:
    fields = {}
    for n in names:
        if n not in loaded:
            fields[n] = _off(n)
            continue
        cls = DEDUP.load(n)
        fields[n] = (cls.Config | None, Field(None, description=f"{getattr(cls, 'description', '') or n}; null = off"))
    return create_model("DedupConfig", __base__=DedupConfig, **fields)


def _train(methods: tuple[str, ...], loaded: tuple[str, ...]) -> type:
    fields: dict[str, Any] = {"method": (Literal[methods], Field("sft", description="; ".join(
        f"{m}: {METHODS.load(m).description}" for m in loaded)))}
    for m in loaded:
        opts = METHODS.load(m).Options
        if opts is not None:
            fields[m] = (opts, Field(default_factory=opts, description=f"method: {m} options"))
    return create_model("TrainConfig", __base__=TrainConfig, **fields)


@functools.lru_cache(maxsize=32)
def _assemble(engines: tuple[str, ...], verifiers: tuple[str, ...], filters: tuple[tuple[str, ...], tuple[str, ...]],
              dedup: tuple[tuple[str, ...], tuple[str, ...]], methods: tuple[str, ...], loaded_methods: tuple[str, ...]) -> type[Recipe]:
    """``filters``/``dedup``: (every registered name, the names to load)."""
    teacher = _union({e: _teacher_member(e) for e in engines}, "engine", DEFAULT_ENGINE)
    verifier = _union({v: _verifier_member(v) for v in verifiers}, "name") if verifiers else VerifierConfig
    regression = create_model("RegressionConfig", __base__=RegressionConfig,
                              verifiers=(list[verifier], Field(..., min_length=1, description=RegressionConfig.model_fields["verifiers"].description)))
    ev = create_model("EvalConfig", __base__=EvalConfig,
                      regression=(regression | None, Field(None, description=EvalConfig.model_fields["regression"].description)))
    train = _train(methods, loaded_methods)
    fs, dd = _filters(*filters), _dedup(*dedup)  # also the defaults: a recipe without the section gets every key

    def keep(name: str, annotation: Any, **kw: Any) -> tuple:
        return annotation, Field(**{**_field_kwargs(Recipe, name), **kw})

    return create_model("Recipe", __base__=Recipe,
                        teacher=keep("teacher", teacher), teachers=keep("teachers", list[teacher]),
                        verifiers=keep("verifiers", list[verifier]), filters=keep("filters", fs, default_factory=fs),
                        dedup=keep("dedup", dd, default_factory=dd), train=keep("train", train | None), eval=keep("eval", ev | None))


def _field_kwargs(model: type, name: str) -> dict:
    f = model.model_fields[name]
    out: dict[str, Any] = {"description": f.description}
    if f.default_factory is not None:
        out["default_factory"] = f.default_factory
    elif not f.is_required():
        out["default"] = f.default
    return out


def recipe_model(used: dict[str, set[str]] | None = None) -> type[Recipe]:
    """The Recipe model for the plug-ins in ``used`` (role -> names; unknown names are left out), or for
    every registered plug-in when ``used`` is None."""
    def pick(role: str, reg) -> tuple[str, ...]:
        names = reg.load_all() if used is None else {n: None for n in reg.names() if n in used.get(role, set())}
        return tuple(n for n in reg.names() if n in names)

    engines = pick("teachers", ENGINES) or (DEFAULT_ENGINE,)
    methods = tuple(METHODS.names())
    loaded = pick("train_methods", METHODS) if used is None else tuple(
        m for m in methods if m in METHODS.builtin or m in used.get("train_methods", set()))
    filters, dedup = (tuple(FILTERS.names()), pick("filters", FILTERS)), (tuple(DEDUP.names()), pick("dedup", DEDUP))
    if used is None:  # the full schema lists only the plug-ins that load
        filters, dedup = (filters[1], filters[1]), (dedup[1], dedup[1])
    return _assemble(engines, pick("verifiers", VERIFIERS), filters, dedup, methods, loaded)


def _factory_defaults():
    from pydantic.json_schema import GenerateJsonSchema

    class WithFactoryDefaults(GenerateJsonSchema):
        """Fields filled by a default factory (a section's options, ``synthesize.sampling``) show that default too."""

        def default_schema(self, schema):
            factory = schema.get("default_factory")
            if factory is not None and not schema.get("default_factory_takes_data"):
                try:
                    schema = {**{k: v for k, v in schema.items() if k != "default_factory"}, "default": factory()}
                except Exception:  # a factory that needs context: no default shown, as before
                    pass
            return super().default_schema(schema)

    return WithFactoryDefaults


def json_schema() -> dict:
    """JSON Schema of a recipe with every registered plug-in (``factory schema``), for editors' completion."""
    schema = recipe_model().model_json_schema(by_alias=True, mode="validation", schema_generator=_factory_defaults())
    schema["properties"].pop("base_dir", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "distill-factory recipe"
    return schema


def main(argv: list[str] | None = None) -> int:
    """``factory schema [--out FILE]``: the JSON Schema on stdout (or in FILE)."""
    import json
    import sys

    p = ArgumentParser(prog="factory schema", description="JSON Schema of a recipe, for editors' YAML "
                                "completion: `# yaml-language-server: $schema=recipe.schema.json` at the top of a recipe")
    p.add_argument("--out", help="write the schema here instead of stdout")
    p.add_argument("--outputs", action="store_true", help="the schema of a run's manifest.json and stats.json instead "
                   "(documented in docs/outputs.md)")
    a = p.parse_args(argv)
    if a.outputs:
        from factory.run_schema import json_schemas

        text = json.dumps(json_schemas(), indent=1)
    else:
        text = json.dumps(json_schema(), indent=1, sort_keys=False)
    if a.out:
        try:
            with open(a.out, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        except OSError as e:
            from ground.errors import FactoryError

            raise FactoryError(f"--out: cannot write {a.out}: {e.strerror or e}") from None
    else:
        sys.stdout.write(text + "\n")
    return 0
