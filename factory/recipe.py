"""The recipe: one YAML file, validated by a typed schema that rejects unknown keys.

    >>> from factory.recipe import load_recipe
    >>> recipe = load_recipe("recipes/gsm8k_demo.yaml")
    >>> recipe.teacher.model
    'smollm2-135m-instruct'

Paths inside a recipe (source, templates) are relative to the recipe file. Every problem is
reported as ``file:line: field: message`` (:class:`ground.errors.RecipeError`); ``factory
validate`` prints all of them and exits 2. Field help lives in each ``Field(description=...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ground.config import Config as _Cfg
from ground.errors import FactoryError, RecipeError
from ground.source import FieldMap, PromptConfig, SourceConfig
from teachers.base import PriceConfig, SamplingConfig


class TeacherConfig(_Cfg):
    name: str = Field("teacher", description="label recorded on every row")
    engine: str = Field("hf_local", description="hf_local | openai_compat | vllm")
    model: str = Field(..., description="model name or local HF directory (hf_local/vllm), or API model id")
    n: int = Field(1, gt=0, le=1024, description="samples per prompt")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    replicas: int = Field(1, gt=0, le=1024, description="engine actors (Ray Data concurrency); the pool's minimum with max_replicas")
    max_replicas: int | None = Field(None, gt=0, le=1024, description="autoscale the engine pool from `replicas` up to this many actors")
    num_cpus: float = Field(1, gt=0, description="CPUs reserved per replica")
    num_gpus: float = Field(0, ge=0, description="GPUs per replica")
    batch_size: int = Field(16, gt=0, le=4096, description="rows per generate call")
    prices: PriceConfig = Field(default_factory=PriceConfig)
    options: dict[str, Any] = Field(default_factory=dict, description="engine-specific options")
    license: str | None = Field(None, description="licence or terms of use of the teacher model, which distilled outputs "
                                                  "inherit (default: what the model resolution declares, e.g. Apache-2.0 for SmolLM2)")


class PoolConfig(_Cfg):
    min_actors: int = Field(1, gt=0, le=1024, description="actors the stage starts with")
    max_actors: int | None = Field(None, gt=0, le=1024, description="autoscale up to this many actors (default: min_actors)")
    num_cpus: float = Field(0.5, gt=0, description="CPUs reserved per actor")
    num_gpus: float = Field(0, ge=0, description="GPUs per actor (e.g. a judge's own engine)")


class ExecutionConfig(_Cfg):
    """Actor pools of the streaming stages after generation (each teacher's pool is in its own section)."""

    verify: PoolConfig = Field(default_factory=PoolConfig, description="verifiers (e.g. N sandbox actors for code_exec, a judge engine)")
    filters: PoolConfig = Field(default_factory=PoolConfig, description="row filters (PII, length, language, format)")
    finalize: PoolConfig = Field(default_factory=PoolConfig, description="the pass that applies dedup decisions, decontaminates and writes accepted/ and rejects/")


class RouteConfig(_Cfg):
    field: str = Field(..., description="source field whose value picks the teacher (e.g. category)")
    map: dict[str, str] = Field(..., description="field value -> teacher name; other values go to `teacher`")


class VerifierConfig(_Cfg):
    name: str = Field(..., description="registry name, e.g. math_answer")
    min_score: float = Field(1.0, ge=0, le=1, description="accept when score >= min_score")
    options: dict[str, Any] = Field(default_factory=dict, description="verifier constructor options")


class ExactDedupConfig(_Cfg):
    enabled: bool = True
    compare: Literal["prompt", "completion", "both"] = Field("completion", description="which text is compared: problem-level (prompt) or trace-level (completion) or both")


class DedupConfig(_Cfg):
    """Curation steps in pipeline order: exact -> minhash -> embedding -> decontam. Each non-exact
    section holds the options of its step's config dataclass (help text there); null = off."""

    exact: ExactDedupConfig = Field(default_factory=ExactDedupConfig)
    minhash: dict[Any, Any] | None = Field(None, description="MinHash LSH near-dup (curation.dedup.minhash.MinHashConfig)")
    embedding: dict[Any, Any] | None = Field(None, description="embedding near-dup (curation.dedup.embedding.EmbeddingDedupConfig)")
    decontam: dict[Any, Any] | None = Field(None, description="benchmark decontamination (curation.dedup.decontam.DecontamConfig)")


class FiltersConfig(_Cfg):
    """Row filters, run in this order before dedup. Each section holds the options of its step's config
    dataclass (help text there); null = off."""

    pii: dict[Any, Any] | None = Field(None, description="PII redaction/drop (curation.filters.pii.PIIConfig); runs before dedup")
    length: dict[Any, Any] | None = Field(None, description="min/max tokens or words of prompt, completion, reasoning (curation.filters.length.LengthConfig)")
    language: dict[Any, Any] | None = Field(None, description="allowed languages with a confidence threshold (curation.filters.language.LanguageConfig)")
    format: dict[Any, Any] | None = Field(None, description="json / python / markdown / regex / no_truncation checks (curation.filters.format.FormatConfig)")


class OutputConfig(_Cfg):
    dir: str = Field("runs", description="run store root: local path or a pyarrow filesystem URI (s3://, gs://)")
    shard_size: int = Field(64, gt=0, le=1_000_000, description="source prompts per chunk (the unit of resume)")


class LoraConfig(_Cfg):
    r: int = Field(16, gt=0)
    alpha: int = Field(32, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])


class DPOOptions(_Cfg):
    beta: float = Field(0.1, gt=0, description="DPO beta: how strongly the policy is held to the reference model")
    loss_type: Literal["sigmoid", "ipo", "hinge"] = Field("sigmoid", description="TRL DPO loss variant")
    pairs: Literal["verifier", "constitution", "both"] = Field(
        "both", description="where (chosen, rejected) pairs come from: verifier pass vs fail of one prompt, "
                            "constitutional revised vs initial, or both (see students/pairs.py)")
    max_pairs_per_prompt: int = Field(4, gt=0, description="cap on pairs built from one prompt_id")
    sft_first: bool = Field(False, description="SFT on the accepted rows first, merge it, then DPO from it "
                                               "(the SFT model is also the DPO reference)")


class KDOptions(_Cfg):
    alpha: float = Field(0.5, ge=0, le=1, description="weight of the soft-label loss; 1 - alpha weights hard-label CE")
    temperature: float = Field(1.0, gt=0, description="temperature applied to the student logits in the soft loss")
    tail: bool = Field(True, description="add the teacher mass outside its top-k as one extra bucket "
                                         "(else renormalise the top-k)")


class OnPolicyOptions(_Cfg):
    teacher_engine: Literal["hf_local", "openai_compat"] | None = Field(
        None, description="engine that scores the student's samples; null = the recipe's teacher.engine")
    teacher_model: str | None = Field(None, description="teacher model; null = the recipe's teacher.model")
    teacher_options: dict[str, Any] = Field(
        default_factory=dict, description="openai_compat: base_url (with /v1), api_key_env, timeout_s; "
                                          "hf_local: threads. Null/empty = the recipe's teacher.options")
    teacher_system: str | None = Field(
        None, description="file with a system prompt shown to the teacher only (context distillation); "
                          "relative to the recipe")
    max_new_tokens: int = Field(64, gt=0, le=32768, description="tokens the student samples per prompt")
    temperature: float = Field(1.0, gt=0, le=5, description="student sampling temperature")
    samples_per_prompt: int = Field(1, gt=0, le=64, description="student samples per prompt per step")
    loss: Literal["sampled", "full"] = Field(
        "sampled", description="sampled: per-token reverse KL on the sampled tokens (needs only their teacher "
                               "logprobs, works with a server); full: exact reverse KL over the vocabulary "
                               "(hf_local teacher only)")


_METHOD_OPTIONS = ("dpo", "kd", "onpolicy")


class TrainConfig(_Cfg):
    method: Literal["sft", "dpo", "kd", "onpolicy"] = Field(
        "sft", description="sft: accepted rows; dpo: preference pairs; kd: soft labels from the stored teacher "
                           "top-k logprobs; onpolicy: the student samples, the teacher scores")
    student: str = Field(..., description="student model name or local HF dir")
    lora: LoraConfig | None = Field(default_factory=LoraConfig, description="null = full fine-tuning")
    epochs: float = Field(1.0, gt=0)
    max_steps: int = Field(-1, description="-1 = use epochs")
    learning_rate: float = Field(2e-4, gt=0)
    batch_size: int = Field(4, gt=0)
    grad_accum: int = Field(1, gt=0)
    max_seq_len: int = Field(512, gt=16)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    seed: int = 0
    workers: int = Field(1, gt=0, description="Ray Train workers")
    use_gpu: bool = False
    cpus_per_worker: float = Field(1, gt=0)
    packing: bool = Field(False, description="SFT: pack several examples per row (best-fit decreasing, "
                                             "padding-free with per-example position ids)")
    load_in_4bit: bool = Field(False, description="QLoRA: NF4 base weights with double quantisation and bf16 "
                                                  "compute; needs use_gpu, lora and bitsandbytes")
    chat_template: str | None = Field(None, description="Jinja chat template file for the student (relative to the "
                                                         "recipe), e.g. templates/smollm2_tools.jinja; null = the "
                                                         "student's own. Tool traces need one that shows tool calls")
    reasoning: Literal["keep", "drop", "budget"] = Field("keep", description="SFT: train with the teacher's reasoning, "
                                                                           "without it, or cut to reasoning_budget tokens")
    reasoning_budget: int | None = Field(None, ge=0, description="reasoning: budget: student tokens of reasoning kept")
    drop_system_prompt: bool = Field(False, description="train on the prompt without the system message the teacher "
                                                        "saw (context distillation)")
    save_every_steps: int | None = Field(None, gt=0, description="report a checkpoint to Ray Train every N optimizer "
                                                                 "steps; null = at the end of every epoch")
    early_stopping_patience: int | None = Field(None, gt=0, description="stop when validation loss has not improved "
                                                                        "for N evaluations; the best checkpoint becomes "
                                                                        "the final model (needs validation rows)")
    early_stopping_threshold: float = Field(0.0, ge=0, description="an evaluation must lower validation loss by more "
                                                                    "than this to count as an improvement")
    keep_checkpoints: int = Field(2, gt=0, description="checkpoints Ray Train keeps (the best by validation loss "
                                                       "and the latest are never dropped)")
    max_failures: int = Field(2, ge=0, description="worker failures tolerated; each restart resumes from the "
                                                   "latest checkpoint")
    dpo: DPOOptions = Field(default_factory=DPOOptions, description="method: dpo options")
    kd: KDOptions = Field(default_factory=KDOptions, description="method: kd options")
    onpolicy: OnPolicyOptions = Field(default_factory=OnPolicyOptions, description="method: onpolicy options")

    @model_validator(mode="after")
    def _method_options(self) -> "TrainConfig":
        for name in _METHOD_OPTIONS:
            if name in self.model_fields_set and name != self.method:
                raise ValueError(f"train.{name} is only used with method: {name} (method is {self.method})")
        if self.reasoning == "budget" and self.reasoning_budget is None:
            raise ValueError("reasoning: budget needs reasoning_budget (a token count)")
        if self.packing and self.method != "sft":
            raise ValueError(f"packing is supported for method: sft only (method is {self.method})")
        if self.load_in_4bit and not (self.use_gpu and self.lora is not None):
            raise ValueError("load_in_4bit (QLoRA) needs use_gpu: true and a lora section")
        if self.onpolicy.loss == "full" and self.onpolicy.teacher_engine == "openai_compat":
            raise ValueError("onpolicy.loss: full needs the teacher's whole distribution (hf_local); "
                             "use loss: sampled with openai_compat")
        return self


def _no_duplicate_verifiers(v: list[VerifierConfig]) -> list[VerifierConfig]:
    names = [x.name for x in v]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"verifier listed twice: {sorted(dup)}")
    return v


class RegressionConfig(_Cfg):
    """A second, general held-out set on which base and student are both scored: the student must not lose
    general capability while it learns the recipe's task (students/eval.py: regression_verdict)."""

    source: SourceConfig = Field(..., description="general held-out items (jsonl/parquet, relative to the recipe), "
                                                  "e.g. ../data/regression_general/items.jsonl")
    verifiers: list[VerifierConfig] = Field(..., min_length=1, description="this set's own verifiers; an item is "
                                                                          "correct when every one accepts it")
    template: str | None = Field(None, description="prompt template file for this set ({prompt} and source fields); "
                                                   "null = the bare prompt. The recipe's system prompt is never used")
    sampling: SamplingConfig | None = Field(None, description="decoding for this set; null = eval.sampling")
    max_drop: float = Field(0.05, ge=0, le=1, description="regressed: true when student accuracy < base accuracy "
                                                          "- max_drop")

    @field_validator("verifiers")
    @classmethod
    def _unique_verifiers(cls, v: list[VerifierConfig]) -> list[VerifierConfig]:
        return _no_duplicate_verifiers(v)


class EvalConfig(_Cfg):
    source: SourceConfig = Field(..., description="held-out prompts (never used for training)")
    sampling: SamplingConfig = Field(default_factory=lambda: SamplingConfig(max_tokens=256))
    models: list[Literal["base", "student", "teacher"]] = Field(
        default_factory=lambda: ["base", "student", "teacher"],
        description="columns of the eval table; with train.drop_system_prompt base and student are asked without "
                    "the system prompt and the teacher with it")
    batch_size: int = Field(16, gt=0)
    regression: RegressionConfig | None = Field(None, description="capability-regression check on a general set "
                                                                  "(base vs student); null = off")


class Recipe(_Cfg):
    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$", description="recipe name: runs/<name>/<run_id>/")
    source: SourceConfig
    prompt: PromptConfig = Field(default_factory=PromptConfig, description="prompt template (optional with source.fields.messages)")
    teacher: TeacherConfig
    teachers: list[TeacherConfig] = Field(default_factory=list, description="more teachers, for route and fallback")
    route: RouteConfig | None = Field(None, description="send rows to teachers by a source field")
    fallback: str | None = Field(None, description="teacher name that retries rows the routed teacher failed")
    verifiers: list[VerifierConfig] = Field(default_factory=list)
    accept_unverifiable: bool = Field(False, description="accept rows a verifier cannot check (score None)")
    filters: FiltersConfig = Field(default_factory=FiltersConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig, description="actor pools of the streaming stages")
    train: TrainConfig | None = None
    eval: EvalConfig | None = None

    #: set by load_recipe: the directory relative paths are resolved against
    base_dir: str = Field(".", exclude=True, description="(internal) recipe directory")

    @field_validator("verifiers")
    @classmethod
    def _unique_verifiers(cls, v: list[VerifierConfig]) -> list[VerifierConfig]:
        return _no_duplicate_verifiers(v)

    def all_teachers(self) -> dict[str, TeacherConfig]:
        return {self.teacher.name: self.teacher, **{t.name: t for t in self.teachers}}

    def path(self, p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else Path(self.base_dir) / q


# ---------------------------------------------------------------- loading with line numbers

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
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key]})", k.start_mark)
            seen[key] = k.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _line_map(text: str) -> dict[tuple, int]:
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


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def parse_recipe(text: str, file: str) -> Recipe:
    """Parse and validate; raise the first RecipeError (see :func:`recipe_errors` for all)."""
    errs, recipe = _validate(text, file)
    if errs:
        raise errs[0]
    assert recipe is not None
    return recipe


def _validate(text: str, file: str) -> tuple[list[RecipeError], Recipe | None]:
    try:
        data = yaml.load(text, Loader=_RecipeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        msg = getattr(e, "problem", None) or str(e).splitlines()[0]
        return [RecipeError(file, line, "yaml", f"syntax error: {msg}")], None
    if not isinstance(data, dict):
        return [RecipeError(file, 1, "recipe", "must be a YAML mapping of sections (name, source, prompt, teacher, ...)")], None
    if "base_dir" in data:
        return [RecipeError(file, _line_map(text).get(("base_dir",)), "base_dir", "extra inputs are not permitted")], None
    lines = _line_map(text)
    try:
        recipe = Recipe.model_validate({**data, "base_dir": str(Path(file).resolve().parent)})
    except ValidationError as e:
        errs = []
        for err in e.errors():
            loc = tuple(x for x in err["loc"])
            field = ".".join(str(x) for x in loc) or "recipe"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "required field is missing"
            errs.append(RecipeError(file, _line_for(lines, loc), field, msg))
        return errs, None
    return _semantic_checks(recipe, file, lines), recipe


def _semantic_checks(r: Recipe, file: str, lines: dict[tuple, int]) -> list[RecipeError]:
    """Checks that need the filesystem or the registries: files exist, names are known."""
    from ground.models import ALIASES, is_known_model
    from teachers.registry import ENGINES, teacher_class
    from verifiers.registry import REGISTRY, verifier_class

    errs: list[RecipeError] = []
    reg = r.eval.regression if r.eval else None

    def err(loc: tuple, msg: str) -> None:
        errs.append(RecipeError(file, _line_for(lines, loc), ".".join(map(str, loc)), msg))

    if r.prompt.template is None and r.source.fields.messages is None:
        err(("prompt", "template"), "required unless source.fields.messages names a field with ready chat messages")
    for loc, p in [(("source", "path"), r.source.path), (("prompt", "template"), r.prompt.template),
                   (("prompt", "system"), r.prompt.system),
                   (("eval", "source", "path"), r.eval.source.path if r.eval else None),
                   (("eval", "regression", "source", "path"), reg.source.path if reg else None),
                   (("eval", "regression", "template"), reg.template if reg else None)]:
        if p is not None and not r.path(p).exists():
            err(loc, f"file not found: {r.path(p)}")
    if r.teacher.engine not in ENGINES:
        err(("teacher", "engine"), f"unknown engine {r.teacher.engine!r}; known: {', '.join(sorted(ENGINES))}")
    else:
        if r.teacher.engine == "hf_local" and not is_known_model(r.teacher.model):
            err(("teacher", "model"), f"unknown model {r.teacher.model!r}: not bundled and not a local HF directory")
        try:
            teacher_class(r.teacher.engine).check_options(r.teacher.options)
        except (TypeError, ValueError) as e:
            err(("teacher", "options"), str(e))
    # a GPU recipe may name weights pre-staged on the cluster (absolute path), which this machine cannot see
    if r.train and not is_known_model(r.train.student) and not (r.train.use_gpu and Path(r.train.student).is_absolute()):
        err(("train", "student"), f"unknown model {r.train.student!r}: not bundled and not a local HF directory")
    names = [r.teacher.name, *[t.name for t in r.teachers]]
    for i, t in enumerate(r.teachers):
        if names.count(t.name) > 1:
            err(("teachers", i, "name"), f"teacher name {t.name!r} is used twice")
        if t.engine not in ENGINES:
            err(("teachers", i, "engine"), f"unknown engine {t.engine!r}; known: {', '.join(sorted(ENGINES))}")
        elif t.engine == "hf_local" and not is_known_model(t.model):
            err(("teachers", i, "model"), f"unknown model {t.model!r}: not bundled and not a local HF directory")
    if r.route:
        for value, name in r.route.map.items():
            if name not in names:
                err(("route", "map", value), f"unknown teacher {name!r}; teachers: {names}")
    if r.fallback is not None and r.fallback not in names:
        err(("fallback",), f"unknown teacher {r.fallback!r}; teachers: {names}")
    if r.eval and "student" in r.eval.models and r.train is None:
        err(("eval", "models"), "includes 'student' but the recipe has no train section")
    if reg is not None and r.train is None:
        err(("eval", "regression"), "compares the base model with the trained student, but the recipe has no train section")
    from curation.plan import CURATION_STEPS, build_config

    for section, key in CURATION_STEPS:
        opts = getattr(getattr(r, section), key)
        if opts is not None:
            try:
                cfg = build_config(section, key, opts)
                if key == "decontam":  # a missing or partial benchmark copy fails here, not mid-run
                    from curation.dedup.decontam import benchmark_coverage

                    benchmark_coverage(cfg)
            except (TypeError, ValueError, KeyError, FileNotFoundError, FactoryError) as e:
                err((section, key), str(e).splitlines()[0] if str(e) else type(e).__name__)
    verifier_lists = [(("verifiers",), r.verifiers)]
    if reg is not None:
        verifier_lists.append((("eval", "regression", "verifiers"), reg.verifiers))
    for at, vs in verifier_lists:
        for i, v in enumerate(vs):
            if v.name == "judge":  # an LLM judge grading its own generator is biased towards it
                j = v.options.get("judge") or {}
                same = lambda m: ALIASES.get(m, m)  # noqa: E731
                if j.get("engine", r.teacher.engine) == r.teacher.engine and same(j.get("model")) == same(r.teacher.model):
                    err((*at, i, "options"), "judge must differ from the teacher (a model grading its own samples)")
                    continue
            if v.name not in REGISTRY:
                err((*at, i, "name"), f"unknown verifier {v.name!r}; known: {', '.join(sorted(REGISTRY))}")
                continue
            try:  # verifier constructors only validate options (heavy state loads lazily), so this is cheap
                verifier_class(v.name)(**v.options)
            except (TypeError, ValueError) as e:
                msg = str(e)
                err((*at, i, "options"), msg if msg.startswith("verifier") else f"verifier {v.name!r}: {msg}")
    return errs


def recipe_errors(file: str) -> list[RecipeError]:
    p = Path(file)
    if not p.is_file():
        return [RecipeError(file, None, "recipe", "file not found")]
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return [RecipeError(file, line, "recipe", f"not UTF-8 text: {e.reason} (byte 0x{raw[e.start]:02x})")]
    return _validate(text, file)[0]


def load_recipe(file: str) -> Recipe:
    errs = recipe_errors(file)
    if errs:
        raise errs[0]
    return parse_recipe(Path(file).read_text(encoding="utf-8"), file)
