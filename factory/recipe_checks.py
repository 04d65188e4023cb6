"""Recipe checks around the schema: which plug-ins a recipe names (before validation), and the checks
that need the filesystem or more than one section (after it).

    >>> from factory.recipe_checks import plugin_names
    >>> used, errs = plugin_names({"teacher": {"model": "m"}, "filters": {"pii": {}}}, "r.yaml", {})
    >>> sorted(used["filters"]), sorted(used["teachers"]), errs
    (['pii'], ['hf_local'], [])

A name no registry knows is one line, ``unknown verifier 'x'; known: ...``, at its line; the schema is
then assembled from the named plug-ins only (factory/schema.py), so a broken third-party plug-in
that the recipe does not name is never imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ground.errors import FactoryError, RecipeError
from ground.plugins import PluginError
from ground.source import inline, prompt_text
from factory.recipe_yaml import line_for


def plugin_names(data: dict, file: str, lines: dict[tuple, int]) -> tuple[dict[str, set[str]], list[RecipeError]]:
    """role -> names the raw recipe uses; an error per name that is not registered or does not load."""
    from curation.plan import DEDUP, FILTERS
    from students.method import METHODS
    from teachers.registry import ENGINES
    from verifiers.registry import REGISTRY

    used: dict[str, set[str]] = {r: set() for r in ("teachers", "verifiers", "filters", "dedup", "train_methods")}
    errs: list[RecipeError] = []

    def name(role: str, reg, loc: tuple, value: Any, what: str, builtin: tuple[str, ...] = ()) -> None:
        if not isinstance(value, str) or value not in reg:
            errs.append(RecipeError(file, line_for(lines, loc), ".".join(map(str, loc)),
                                    f"unknown {what} {value!r}; known: {', '.join([*reg.names(), *builtin])}"))
            return
        try:
            reg.load(value)
        except PluginError as e:
            errs.append(RecipeError(file, line_for(lines, loc), ".".join(map(str, loc)), str(e)))
            return
        used[role].add(value)

    teachers = [(("teacher",), data.get("teacher"))] + [(("teachers", i), t) for i, t in enumerate(_list(data.get("teachers")))]
    for loc, t in teachers:
        if isinstance(t, dict):
            name("teachers", ENGINES, (*loc, "engine"), t.get("engine", "hf_local"), "engine")
    ev = data.get("eval") if isinstance(data.get("eval"), dict) else {}
    reg = ev.get("regression") if isinstance(ev.get("regression"), dict) else {}
    for at, vs in ((("verifiers",), data.get("verifiers")), (("eval", "regression", "verifiers"), reg.get("verifiers"))):
        for i, v in enumerate(_list(vs)):
            if isinstance(v, dict) and "name" in v:
                name("verifiers", REGISTRY, (*at, i, "name"), v["name"], "verifier")
    # keys of the section that are not plug-ins (fields of the section itself), listed with the known names
    special = {"filters": ("keep_pass_rate",), "dedup": ("exact",)}
    for section, role, registry, what in (("filters", "filters", FILTERS, "filter"), ("dedup", "dedup", DEDUP, "dedup step")):
        for key, value in (data.get(section) or {}).items() if isinstance(data.get(section), dict) else ():
            if isinstance(key, str) and key not in special[section] and (value is not None or key not in registry):
                name(role, registry, (section, key), key, what, special[section])
    train = data.get("train")
    if isinstance(train, dict) and isinstance(train.get("method"), str) and train["method"] in METHODS:
        name("train_methods", METHODS, ("train", "method"), train["method"], "train method")
    return used, errs


#: a mapping key whose string value is a credential (normalised: lower case, no '-', '_' or spaces)
_SECRET_KEYS = {"apikey", "token", "secret", "password", "passwd", "pwd", "authorization", "proxyauthorization",
                "cookie", "bearer", "bearertoken", "accesstoken", "authtoken", "sessiontoken", "hftoken", "accesskey",
                "clientsecret", "privatekey", "secretkey", "secretaccesskey"}
_SECRET_SUFFIXES = ("apikey", "password", "secret", "accesstoken", "authtoken", "secretkey", "privatekey", "secretaccesskey")
#: sections whose strings go to an engine or server as they are (headers, bodies, URLs): their values are checked too
_OPTION_KEYS = {"options", "headers", "extra_body", "judge", "teacher_options", "inner_options"}
SECRET_MESSAGE = ("a secret never goes in the recipe (the manifest and the run's copy of the recipe keep it): put it in an "
                  "environment variable and name that variable in api_key_env")


def _looks_secret(value: str) -> bool:
    """A credential in an option's value: an Authorization scheme, a URL's user:password@, or a known key format or
    ``key=...`` pair (the patterns the PII filter redacts as ``secret``)."""
    from curation.filters.pii import redact

    v = value.strip()
    return v.lower().startswith(("bearer ", "basic ", "token ")) or bool(redact(v, ("secret",))[1].get("secret"))


def secret_errors(data: Any, file: str, lines: dict[tuple, int]) -> list[RecipeError]:
    """One error per place a recipe holds a credential: a key named like one (``api_key``, ``token``, ``password``,
    ``x-api-key``, ...) with a text value anywhere, or a value that looks like one inside engine options (``headers``
    under any name, ``extra_body``, a ``base_url``, a judge's or on-policy scorer's options) or in a URI anywhere (was:
    options only, so ``source.path: s3://KEY:SECRET@bucket/x.jsonl`` reached the manifest and, as the prompts'
    provenance, the published dataset and model cards). The message never quotes the value. Keys come from the
    environment only (``api_key_env``)."""
    out: list[RecipeError] = []

    def bad(path: tuple) -> None:
        out.append(RecipeError(file, line_for(lines, path), ".".join(map(str, path)), SECRET_MESSAGE))

    def walk(node: Any, path: tuple, in_options: bool) -> None:
        if path == ("route", "map"):  # source field values -> teacher names: the user's data, not settings
            return
        if isinstance(node, dict):
            for k, v in node.items():
                name = "".join(c for c in str(k).lower() if c not in "-_ ")
                if isinstance(v, str) and v.strip() and (name in _SECRET_KEYS or name.endswith(_SECRET_SUFFIXES)):
                    bad((*path, k))
                else:
                    walk(v, (*path, k), in_options or k in _OPTION_KEYS)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i), in_options)
        elif isinstance(node, str) and (in_options or "://" in node) and _looks_secret(node):
            bad(path)  # a URI anywhere (source.path, a store root) with user:password@ or a key in its query

    walk(data, (), False)
    return out


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _tools_file(path: Path, err) -> None:
    import json

    from teachers.expand import tools_problem

    try:
        why = tools_problem(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:
        why = f"not JSON ({e})"
    if why:
        err(f"{path}: {why}")


def semantic_checks(r, file: str, lines: dict[tuple, int], read_source: bool = False) -> list[RecipeError]:
    """Checks that need the filesystem or span sections: files exist, models are known, names resolve; with
    ``read_source`` (a recipe file checked by ``factory validate`` / ``factory run``, not a recipe text parsed in
    code) also the source's first record against the recipe's field names."""
    from ground.models import is_known_model
    from teachers.registry import teacher_class

    errs: list[RecipeError] = []
    reg = r.eval.regression if r.eval else None

    def err(loc: tuple, msg: str) -> None:
        errs.append(RecipeError(file, line_for(lines, loc), ".".join(map(str, loc)), msg))

    if r.prompt.template is None and r.source.fields.messages is None:
        err(("prompt", "template"), "required unless source.fields.messages names a field with ready chat messages")
    for loc, p in [(("source", "path"), r.source.path), (("prompt", "template"), r.prompt.template),
                   (("prompt", "system"), r.prompt.system), (("prompt", "tools"), r.prompt.tools),
                   (("eval", "source", "path"), r.eval.source.path if r.eval else None),
                   (("eval", "regression", "source", "path"), reg.source.path if reg else None),
                   (("eval", "regression", "template"), reg.template if reg else None),
                   (("train", "chat_template"), r.train.chat_template if r.train else None)]:
        if p is not None and not p.strip():  # "" is the recipe's own folder: an empty template, every file of it as a source
            err(loc, "is empty: name a file" + (" or write the text itself" if loc[:1] == ("prompt",) and loc[-1] != "tools" else ""))
        elif p is not None and loc[-1] == "path" and any(c in p for c in "*?["):  # a source may be a glob
            from ground.source_files import source_files

            if not source_files(r.path(p), "auto", None):  # glob.glob would follow folder links without end
                err(loc, f"glob matches no files: {r.path(p)}")
        elif p is not None and loc[:1] == ("prompt",) and inline(p, loc[-1]):
            continue  # the text itself (ground.source.inline)
        elif p is not None and not r.path(p).exists():
            hint = {"template": " (an inline template needs a {placeholder})",
                    "system": " (an inline system prompt is words with spaces, or a | block)"}.get(loc[-1], "")
            err(loc, f"file not found: {r.path(p)}" + (hint if loc[:1] == ("prompt",) else ""))
        elif p is not None and loc[-1] != "path" and r.path(p).is_dir():  # read as text when the run starts: IsADirectoryError
            err(loc, f"{r.path(p)} is a folder, not a file")
    if read_source and r.source.path.strip():
        _source_fields(r, ("source",), r.source, err)
    if read_source and r.eval is not None and r.eval.source.path.strip():
        _source_fields(r, ("eval", "source"), r.eval.source, err)
    if r.eval is not None and r.train is not None:  # without a student nothing was trained on the items
        _held_out_window(r, err)
    if r.prompt.tools is not None and r.path(r.prompt.tools).is_file():
        _tools_file(r.path(r.prompt.tools), lambda msg: err(("prompt", "tools"), msg))
    for loc, t in [(("teacher",), r.teacher), *[(("teachers", i), t) for i, t in enumerate(r.teachers)]]:
        why = teacher_class(t.engine).check_model(t.model)
        if why:
            err((*loc, "model"), why)
    # a GPU recipe may name weights pre-staged on the cluster (absolute path), which this machine cannot see
    if r.train and not is_known_model(r.train.student) and not (r.train.use_gpu and Path(r.train.student).is_absolute()):
        err(("train", "student"), f"unknown model {r.train.student!r}: not bundled and not a local HF directory")
    _teacher_names(r, err)
    _budget_prices(r, err)
    if r.filters.keep_pass_rate is not None and not r.verifiers:  # every answered sample "passed": pass rates were all 1.0
        err(("filters", "keep_pass_rate"), "needs verifiers: the pass rate is the share of a prompt's samples that pass them, and "
                                           "with none every answered sample passes (add a verifier, or remove keep_pass_rate)")
    if r.loop is not None and r.loop.strategy == "weight_categories" and not r.source.fields.category:
        err(("loop", "strategy"), "weight_categories needs source.fields.category (the categories dev failures weight); without "
                                  "it every prompt is in one category and the loop draws at random, as its control does")
    if r.eval and "student" in r.eval.models and r.train is None:
        err(("eval", "models"), "includes 'student' but the recipe has no train section")
    if reg is not None and r.train is None:
        err(("eval", "regression"), "compares the base model with the trained student, but the recipe has no train section")
    for at, vs in [(("verifiers",), r.verifiers), *([(("eval", "regression", "verifiers"), reg.verifiers)] if reg else [])]:
        for i, v in enumerate(vs):
            if v.name == "judge" and _judges_itself(v.options, r.teacher):
                err((*at, i, "options"), "judge must differ from the teacher (a model grading its own samples)")
    if r.train is not None and r.train.method == "onpolicy":
        from students.onpolicy import teacher_problem

        problem = teacher_problem(r)
        if problem:
            err(tuple(problem[0].split(".")), problem[1])
    _benchmarks(r, err)
    if r.synthesize is not None:
        from factory.synthesize import synth_checks

        synth_checks(r, err)
    return errs


def _held_out_window(r, err) -> None:
    """eval.source reading the records that source trains on (the same file, split and overlapping offset/limit
    windows) scores the student on its own training prompts: an error, before anything is generated."""
    from ground.source import shared_records

    try:
        why = shared_records(r.source, r.eval.source, r.base_dir)
    except OSError:
        return
    if why:
        err(("eval", "source", "path"), why.replace("the held-out set", "eval.source").replace("the held-out offset", "eval.source.offset"))


def _source_fields(r, at: tuple, src, err) -> None:
    """The fields the recipe names (source.fields, the template's {placeholders}) are in the source's first record:
    a misspelt field would otherwise reject every row at stage source and the run would end with nothing."""
    import string

    from ground.source import first_record

    try:
        rec = first_record(src, r.base_dir) if r.path(src.path).exists() or any(c in src.path for c in "*?[") else None
    except FactoryError as e:  # a compressed, CSV or JSON-array file: the fix is named
        field = "split" if str(e).startswith("source.split: ") else "path"
        err((*at, field), str(e).removeprefix(f"source.{field}: "))
        return
    if rec is None or rec.data is None:  # a bad first line is that row's problem (rejected at source), not the recipe's
        return
    have = ", ".join(sorted(map(str, rec.data)))
    have = have if len(have) <= 200 else have[:200] + ", ..."
    fm = src.fields
    roles = ("messages", "reference", "id", "category") if fm.messages is not None else ("prompt", "reference", "id", "category")
    for role in roles:
        name = getattr(fm, role)
        if name is not None and name not in rec.data:
            err((*at, "fields", role), f"field {name!r} is not in the source's first record ({rec.where}; its fields: {have})")
        elif role == "prompt" and isinstance(rec.data[name], (list, dict)):  # e.g. an HF chat set's `messages`
            err((*at, "fields", role), f"field {name!r} holds a {type(rec.data[name]).__name__} in the first record ({rec.where}), "
                                       "not text; a chat message list goes in source.fields.messages")
    tpl = r.prompt.template if at == ("source",) and fm.messages is None else None
    if tpl is None or not (inline(tpl, "template") or r.path(tpl).is_file()):
        return
    text = prompt_text(tpl, "template", r.path)
    tpl = "inline template" if inline(tpl, "template") else tpl  # how messages name it
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError as e:  # an unmatched brace: every row would fail to render
        err(("prompt", "template"), f"{tpl}: not a valid template ({e}); write a literal brace as {{{{ or }}}}")
        return
    for f in sorted(names):
        base = f.split(".")[0].split("[")[0]
        if not base.isidentifier():
            err(("prompt", "template"), f"{tpl}: {{{f}}} is not a field name: write a literal brace as {{{{ and }}}} "
                                        "(the template is filled by str.format)")
        elif base != "prompt" and base not in rec.data:
            err(("prompt", "template"), f"{tpl}: {{{f}}} is not a field of the source's first record ({rec.where}; "
                                        f"its fields: {have}; {{prompt}} is source.fields.prompt)")


def _benchmarks(r, err) -> None:
    """Decontamination benchmarks exist and are whole (or allowed partial), paths relative to the recipe."""
    if getattr(r.dedup, "decontam", None) is None:
        return
    from curation.dedup.decontam import benchmark_coverage
    from curation.plan import build_dedup_config, recipe_relative
    from ground.errors import FactoryError

    try:
        benchmark_coverage(build_dedup_config("decontam", recipe_relative(r, "decontam", r.dedup.decontam)))
    except (TypeError, ValueError, KeyError, FileNotFoundError, FactoryError) as e:
        err(("dedup", "decontam"), str(e).splitlines()[0] if str(e) else type(e).__name__)


def _teacher_names(r, err) -> None:
    names = [r.teacher.name, *[t.name for t in r.teachers]]
    for i, t in enumerate(r.teachers):
        if names.count(t.name) > 1:
            err(("teachers", i, "name"), f"teacher name {t.name!r} is used twice")
    if r.route:
        for value, name in r.route.map.items():
            if name not in names:
                err(("route", "map", value), f"unknown teacher {name!r}; teachers: {names}")
    if r.fallback is not None and r.fallback not in names:
        err(("fallback",), f"unknown teacher {r.fallback!r}; teachers: {names}")
    for i, t in enumerate(r.teachers):
        if t.until is not None:
            err(("teachers", i, "until"), "until is set on the main teacher only: it applies to every prompt, routed ones included")


def _budget_prices(r, err) -> None:
    """``budget.usd`` counts the rows' cost, which comes from the teachers' prices only: with none priced every call
    costs $0 and the cap never stops anything (an unpriced API teacher ran on past the user's dollar cap)."""
    if r.budget is None or r.budget.usd is None:
        return
    priced = [t.name for t in r.all_teachers().values()
              if t.prices.input_per_mtok > 0 or t.prices.output_per_mtok > 0 or (t.prices.gpu_hour > 0 and t.num_gpus > 0)]
    if not priced:
        err(("budget", "usd"), "no teacher has prices (prices: {input_per_mtok, output_per_mtok}, or gpu_hour with num_gpus), "
                               "so every call costs $0 and this cap would never stop the run: set the teachers' prices, "
                               "or cap the run with budget.calls")


def _judges_itself(options: Any, teacher) -> bool:
    """An LLM judge grading its own generator is biased towards it (self-preference)."""
    from verifiers.llm import same_model

    opts = options.model_dump() if hasattr(options, "model_dump") else options
    j = opts.get("judge") or {}
    return same_model(teacher.engine, teacher.model, j.get("engine", teacher.engine), j.get("model"))
