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

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from curation.dedup.exact import ExactDedupConfig
from ground.config import Config as _Cfg
from ground.errors import RecipeError
from factory.synth_config import SynthesizeConfig
from ground.source import PromptConfig, SourceConfig
from teachers.base import PriceConfig, SamplingConfig


class UntilConfig(_Cfg):
    """Adaptive sampling: each prompt is sampled in waves of ``wave`` samples (sample indices j*wave ..
    j*wave+wave-1, the same seeds and request-cache keys as a fixed-n run's first samples) until ``verified``
    samples passed every verifier or ``max_samples`` were tried."""

    verified: int = Field(1, ge=1, le=1024, description="stop sampling a prompt once this many of its samples passed every verifier")
    max_samples: int = Field(..., ge=1, le=1024, description="stop sampling a prompt after this many samples (its budget of teacher calls)")
    wave: int = Field(1, ge=1, le=1024, description="samples per prompt per wave: one streaming pass over the source per wave")

    @model_validator(mode="after")
    def _sizes(self) -> "UntilConfig":
        if self.max_samples < self.wave:
            raise ValueError(f"max_samples ({self.max_samples}) must be >= wave ({self.wave})")
        if self.verified > self.max_samples:  # never reached: every prompt would be sampled max_samples times
            raise ValueError(f"verified ({self.verified}) must be <= max_samples ({self.max_samples})")
        return self

    def waves(self) -> list[tuple[int, int]]:
        """(first, end) sample indices of each wave; the last wave stops at max_samples."""
        return [(lo, min(lo + self.wave, self.max_samples)) for lo in range(0, self.max_samples, self.wave)]


class BudgetConfig(_Cfg):
    """Caps on the new teacher work of one ``factory run`` (cache hits are free). When one is reached no new
    teacher call starts; finished chunks and the request cache are kept, the run is curated on what finished
    and ends with status ``stopped``; re-running the same command (with a bigger budget) continues."""

    usd: float | None = Field(None, gt=0, description="dollars of teacher cost (rows' cost column); checked before each "
                                                      "batch, so the last batch may pass it by one batch's cost")
    calls: int | None = Field(None, gt=0, description="teacher requests (one per sample that the cache did not answer)")


class TeacherConfig(_Cfg):
    name: str = Field("teacher", description="label recorded on every row")
    engine: str = Field("hf_local", description="teacher engine by name (teachers/registry.py)")
    model: str = Field(..., description="model name or local HF directory (hf_local/vllm), or API model id")
    n: int = Field(1, gt=0, le=1024, description="samples per prompt")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig, description="decoding parameters")
    replicas: int = Field(1, gt=0, le=1024, description="engine actors (Ray Data concurrency); the pool's minimum with max_replicas")
    max_replicas: int | None = Field(None, gt=0, le=1024, description="autoscale the engine pool from `replicas` up to this many actors")
    num_cpus: float = Field(1, gt=0, description="CPUs reserved per replica")
    num_gpus: float = Field(0, ge=0, description="GPUs per replica")
    batch_size: int = Field(16, gt=0, le=4096, description="rows per generate call")
    prices: PriceConfig = Field(default_factory=PriceConfig, description="token and GPU prices for the cost report")
    options: dict[str, Any] = Field(default_factory=dict, description="engine-specific options")
    license: str | None = Field(None, description="licence or terms of use of the teacher model, which distilled outputs "
                                                  "inherit (default: what the model resolution declares, e.g. Apache-2.0 for SmolLM2)")
    until: UntilConfig | None = Field(None, description="adaptive sampling (main teacher only): sample in waves until k "
                                                        "verified or max_samples tried; replaces n (n, if given, must equal max_samples)")

    @model_validator(mode="after")
    def _until_n(self) -> "TeacherConfig":
        if self.until is not None and "n" in self.model_fields_set and self.n != self.until.max_samples:
            raise ValueError(f"n ({self.n}) is not used with until: leave it out or set it to until.max_samples ({self.until.max_samples})")
        return self


class PoolConfig(_Cfg):
    min_actors: int = Field(1, gt=0, le=1024, description="actors the stage starts with")
    max_actors: int | None = Field(None, gt=0, le=1024, description="autoscale up to this many actors (default: min_actors)")
    num_cpus: float = Field(0.5, gt=0, description="CPUs reserved per actor")
    num_gpus: float = Field(0, ge=0, description="GPUs per actor (e.g. a judge's own engine)")
    batch_size: int = Field(64, gt=0, le=65536, description="rows per batch when the pool asks for GPUs (Ray Data needs a "
                                                           "fixed size there; CPU pools take each chunk whole)")


class ExecutionConfig(_Cfg):
    """Actor pools of the streaming stages after generation (each teacher's pool is in its own section)."""

    verify: PoolConfig = Field(default_factory=PoolConfig, description="verifiers (e.g. N sandbox actors for code_exec, a judge engine)")
    filters: PoolConfig = Field(default_factory=PoolConfig, description="row filters (PII, length, language, format)")
    finalize: PoolConfig = Field(default_factory=PoolConfig, description="the pass that applies dedup decisions, decontaminates and writes accepted/ and rejects/ (one chunk per batch, also with GPUs)")


class RouteConfig(_Cfg):
    field: str = Field(..., description="source field whose value picks the teacher (e.g. category)")
    map: dict[str, str] = Field(..., description="field value -> teacher name; other values go to `teacher`")


class VerifierConfig(_Cfg):
    name: str = Field(..., description="registry name, e.g. math_answer")
    min_score: float = Field(1.0, ge=0, le=1, description="accept when score >= min_score")
    options: dict[str, Any] = Field(default_factory=dict, description="verifier constructor options")


class DedupConfig(_Cfg):
    """Curation steps in pipeline order: exact -> minhash -> embedding -> decontam -> third-party dedup steps.
    The other keys come from the dedup registry (curation/plan.py, factory/schema.py); null = off."""

    exact: ExactDedupConfig = Field(default_factory=ExactDedupConfig, description="exact dedup (curation.dedup.exact)")


class FiltersConfig(_Cfg):
    """Row filters, run before dedup in registry order (pii, length, language, format, then third-party
    filters). One key per registered filter (factory/schema.py); null = off. ``keep_pass_rate`` is a prompt-level
    filter applied when the run is curated, after the row filters and before dedup."""

    keep_pass_rate: tuple[float, float] | None = Field(
        None, description="[lo, hi]: keep the rows of prompts whose pass rate (verified samples / samples tried) is within "
                          "[lo, hi]; the others are rejected at stage pass_rate (\"pass rate out of range\"). E.g. [0.1, 0.9] "
                          "drops prompts the teacher always or never solves. Works with fixed n and with teacher.until")

    @field_validator("keep_pass_rate", mode="before")
    @classmethod
    def _pair(cls, v):  # a bare number or a list of another length said "Input should be a valid tuple"
        if v is not None and (not isinstance(v, (list, tuple)) or len(v) != 2):
            raise ValueError(f"keep_pass_rate must be [lo, hi] with 0 <= lo <= hi <= 1, got {v!r}")
        return v

    @field_validator("keep_pass_rate")
    @classmethod
    def _range(cls, v):
        if v is not None and not (0.0 <= v[0] <= v[1] <= 1.0):
            raise ValueError(f"keep_pass_rate must be [lo, hi] with 0 <= lo <= hi <= 1, got {list(v)}")
        return v


class OutputConfig(_Cfg):
    dir: str = Field("runs", description="run store root: local path (relative to the current directory, not the recipe) "
                                         "or a pyarrow filesystem URI (s3://, gs://)")
    shard_size: int = Field(64, gt=0, le=1_000_000, description="source prompts per chunk (the unit of resume)")


class LoraConfig(_Cfg):
    r: int = Field(16, gt=0, description="LoRA rank")
    alpha: int = Field(32, gt=0, description="LoRA scaling numerator (scale = alpha / r)")
    dropout: float = Field(0.05, ge=0, lt=1, description="dropout on the LoRA input")
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
                                      description="module names that get adapters")


class TrainConfig(_Cfg):
    method: str = Field("sft", description="training method by name (students/method.py registry)")
    student: str = Field(..., description="student model name or local HF dir")
    lora: LoraConfig | None = Field(default_factory=LoraConfig, description="null = full fine-tuning")
    epochs: float = Field(1.0, gt=0, description="passes over the training examples")
    max_steps: int = Field(-1, description="optimizer steps; -1 = use epochs")
    learning_rate: float = Field(2e-4, gt=0, description="peak learning rate (cosine schedule)")
    batch_size: int = Field(4, gt=0, description="examples per device per step")
    grad_accum: int = Field(1, gt=0, description="gradient accumulation steps")
    max_seq_len: int = Field(512, gt=16, description="tokens per example (prompt + completion); longer is cut")
    warmup_ratio: float = Field(0.1, ge=0, lt=1, description="fraction of steps spent warming up")
    seed: int = Field(0, description="seed of data order, split and initialisation")
    workers: int = Field(1, gt=0, description="Ray Train workers")
    use_gpu: bool = Field(False, description="train on GPUs (bf16)")
    cpus_per_worker: float = Field(1, gt=0, description="CPUs (and torch threads) per Ray Train worker")
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
    # one ``<method>: {options}`` field per registered method with Options is added by factory/schema.py

    @model_validator(mode="after")
    def _method_options(self) -> "TrainConfig":
        from students.method import METHODS

        for name in METHODS.names():
            if name in self.model_fields_set and name != self.method:
                raise ValueError(f"train.{name} is only used with method: {name} (method is {self.method})")
        if self.reasoning == "budget" and self.reasoning_budget is None:
            raise ValueError("reasoning: budget needs reasoning_budget (a token count)")
        if self.packing and not METHODS.load(self.method).supports_packing:
            able = [m for m in METHODS.builtin if METHODS.load(m).supports_packing]
            raise ValueError(f"packing is supported for method: {', '.join(able)} only (method is {self.method})")
        if self.chat_template and not METHODS.load(self.method).supports_chat_template:
            able = [m for m in METHODS.builtin if METHODS.load(m).supports_chat_template]
            raise ValueError(f"chat_template is supported for method: {', '.join(able)} only (method is {self.method})")
        if self.reasoning != "keep" and not METHODS.load(self.method).supports_reasoning:
            able = [m for m in METHODS.builtin if METHODS.load(m).supports_reasoning]
            raise ValueError(f"reasoning: {self.reasoning} is supported for method: {', '.join(able)} only (method is "
                             f"{self.method}, which trains on the teacher's reasoning as it is)")
        if self.load_in_4bit and not (self.use_gpu and self.lora is not None):
            raise ValueError("load_in_4bit (QLoRA) needs use_gpu: true and a lora section")
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
    sampling: SamplingConfig = Field(default_factory=lambda: SamplingConfig(max_tokens=256), description="decoding for the eval models")
    models: list[Literal["base", "student", "teacher"]] = Field(
        default_factory=lambda: ["base", "student", "teacher"],
        description="columns of the eval table; with train.drop_system_prompt base and student are asked without "
                    "the system prompt and the teacher with it")
    batch_size: int = Field(16, gt=0, description="prompts per generate call")
    regression: RegressionConfig | None = Field(None, description="capability-regression check on a general set "
                                                                  "(base vs student); null = off")


class LoopConfig(_Cfg):
    """The closed loop (factory/loop.py): the student's failures on a dev split choose the next round's prompts."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    rounds: int = Field(2, ge=1, le=20, description="rounds of choose -> generate -> curate -> train -> evaluate")
    dev_size: int = Field(40, gt=0, description="dev items carved from the training pool (source), stratified by "
                                                 "source.fields.category when set; never from eval.source")
    per_round: int = Field(40, gt=0, description="new pool prompts sent to the teacher each round (the budget); round "
                                                  "1 draws them at random")
    strategy: Literal["nearest", "weight_categories"] = Field(
        "nearest", description="how dev failures choose the next prompts: nearest = the pool prompts nearest to failed "
                               "dev items (MiniLM cosine, round-robin over failures); weight_categories = a per-category "
                               "quota in proportion to the dev failures of each category, random within a category")
    init_from: Literal["base"] = Field("base", alias="from",
                                       description="what each round trains from: base = the base student, on every row "
                                                   "the arm has accumulated so far (see docs/loop.md for why not the "
                                                   "previous adapter)")
    control: bool = Field(True, description="also run the control arm: from round 2 on, the same number of pool "
                                            "prompts chosen at random (same seed discipline)")
    seed: int = Field(0, description="seed of the dev split, of the random draws and of training")
    dev_eval: Literal["all", "choosing"] = Field("all", description="score the dev split after every round of both arms "
                                                                    "(all), or only where it chooses the next round "
                                                                    "(choosing: loop arm, rounds before the last; saves time)")


class Recipe(_Cfg):
    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$", description="recipe name: runs/<name>/<run_id>/")
    source: SourceConfig = Field(..., description="where prompts come from")
    prompt: PromptConfig = Field(default_factory=PromptConfig, description="prompt template (optional with source.fields.messages)")
    teacher: TeacherConfig = Field(..., description="the teacher that generates (engine, model, sampling)")
    teachers: list[TeacherConfig] = Field(default_factory=list, description="more teachers, for route and fallback")
    route: RouteConfig | None = Field(None, description="send rows to teachers by a source field")
    fallback: str | None = Field(None, description="teacher name that retries rows the routed teacher failed")
    verifiers: list[VerifierConfig] = Field(default_factory=list, description="checks every sample must pass, in order")
    accept_unverifiable: bool = Field(False, description="accept rows a verifier cannot check (score None)")
    filters: FiltersConfig = Field(default_factory=FiltersConfig, description="row filters by name; null = off")
    dedup: DedupConfig = Field(default_factory=DedupConfig, description="exact and near-duplicate removal, decontamination")
    output: OutputConfig = Field(default_factory=OutputConfig, description="where the run store goes")
    budget: BudgetConfig | None = Field(None, description="run budget: stop new teacher work when usd or calls are spent; "
                                                          "null = no cap. Not part of the run id: a re-run with a bigger budget continues the same run")
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig, description="actor pools of the streaming stages")
    train: TrainConfig | None = Field(None, description="student training; null = no training")
    eval: EvalConfig | None = Field(None, description="held-out evaluation; null = none")
    synthesize: SynthesizeConfig | None = Field(None, description="new prompts from seed prompts by a teacher, "
                                                                  "before generation (docs/synthesize.md); null = off")
    loop: LoopConfig | None = Field(None, description="closed loop over rounds (factory loop); null = one run")

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


# ---------------------------------------------------------------- loading

def parse_recipe(text: str, file: str) -> Recipe:
    """Parse and validate; raise the first RecipeError (see :func:`recipe_errors` for all)."""
    errs, recipe = _validate(text, file)
    if errs:
        raise errs[0]
    assert recipe is not None
    return recipe


def _validate(text: str, file: str, read_source: bool = False) -> tuple[list[RecipeError], Recipe | None]:
    from factory.recipe_checks import plugin_names, secret_errors, semantic_checks
    from factory.recipe_yaml import condense, line_map, load_yaml
    from factory.schema import recipe_model

    data, errs = load_yaml(text, file)
    if errs:
        return errs, None
    if not isinstance(data, dict):
        return [RecipeError(file, 1, "recipe", "must be a YAML mapping of sections (name, source, prompt, teacher, ...)")], None
    lines = line_map(text)
    if "base_dir" in data:
        return [RecipeError(file, lines.get(("base_dir",)), "base_dir", "extra inputs are not permitted")], None
    used, errs = plugin_names(data, file, lines)
    if errs:
        return errs, None
    model = recipe_model(used)
    try:
        recipe = model.model_validate({**data, "base_dir": str(Path(file).resolve().parent)})
    except ValidationError as e:
        return condense(e, file, lines, model), None
    secrets = secret_errors(data, file, lines)  # first: the fix of any other error would keep a key in the recipe
    if secrets:
        return secrets, None
    return semantic_checks(recipe, file, lines, read_source), recipe


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
    return _validate(text, file, read_source=True)[0]


def load_recipe(file: str) -> Recipe:
    errs = recipe_errors(file)
    if errs:
        raise errs[0]
    return parse_recipe(Path(file).read_text(encoding="utf-8"), file)
