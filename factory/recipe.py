"""The recipe: one YAML file, validated by a typed schema that rejects unknown keys.

    >>> from factory.recipe import load_recipe
    >>> recipe = load_recipe("recipes/gsm8k_demo.yaml")
    >>> recipe.teacher.model
    'smollm2-135m-instruct'

Paths inside a recipe (source, templates) are relative to the recipe file. Every problem is
reported as ``file:line: field: message`` (:class:`factory.errors.RecipeError`); ``factory
validate`` prints all of them and exits 2. Field help lives in each ``Field(description=...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from factory.errors import RecipeError


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class FieldMap(_Cfg):
    prompt: str = Field("question", description="source field holding the user prompt")
    reference: str | None = Field(None, description="source field with the reference answer/tests (optional)")
    id: str | None = Field(None, description="source field with a stable id (default: hash of the record)")
    category: str | None = Field(None, description="source field used for per-category stats/eval and routing")


class SourceConfig(_Cfg):
    path: str = Field(..., description="jsonl or parquet file, or a directory of them; relative to the recipe")
    format: Literal["auto", "jsonl", "parquet"] = Field("auto", description="file format; auto uses the extension")
    fields: FieldMap = Field(default_factory=FieldMap, description="which source fields play which role")
    limit: int | None = Field(None, gt=0, description="use only the first N records")
    offset: int = Field(0, ge=0, description="skip the first N records (e.g. to hold some out)")
    split: str | None = Field(None, description="for a directory: read files whose name starts with this split")


class PromptConfig(_Cfg):
    template: str = Field(..., description="template file; {prompt} and any {source_field} are substituted")
    system: str | None = Field(None, description="optional file with a system prompt")


class SamplingConfig(_Cfg):
    max_tokens: int = Field(256, gt=0, le=131072, description="max new tokens per sample")
    temperature: float = Field(0.0, ge=0, le=5, description="0 = greedy")
    top_p: float = Field(1.0, gt=0, le=1, description="nucleus sampling")
    seed: int = Field(0, ge=0, description="base seed; each sample index gets its own stream")
    stop: list[str] = Field(default_factory=list, description="stop strings")
    top_logprobs: int = Field(0, ge=0, le=20, description="store top-k teacher logprobs per token (soft-label KD)")


class PriceConfig(_Cfg):
    input_per_mtok: float = Field(0.0, ge=0, description="dollars per million input tokens")
    output_per_mtok: float = Field(0.0, ge=0, description="dollars per million output tokens")
    gpu_hour: float = Field(0.0, ge=0, description="dollars per GPU-hour for self-hosted engines")


class TeacherConfig(_Cfg):
    name: str = Field("teacher", description="label recorded on every row")
    engine: str = Field("hf_local", description="hf_local | openai_compat | vllm")
    model: str = Field(..., description="model name or local HF directory (hf_local/vllm), or API model id")
    n: int = Field(1, gt=0, le=1024, description="samples per prompt")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    replicas: int = Field(1, gt=0, le=1024, description="engine actors (Ray Data concurrency)")
    num_cpus: float = Field(1, gt=0, description="CPUs reserved per replica")
    num_gpus: float = Field(0, ge=0, description="GPUs per replica")
    batch_size: int = Field(16, gt=0, le=4096, description="rows per generate call")
    prices: PriceConfig = Field(default_factory=PriceConfig)
    options: dict[str, Any] = Field(default_factory=dict, description="engine-specific options")


class VerifierConfig(_Cfg):
    name: str = Field(..., description="registry name, e.g. math_answer")
    min_score: float = Field(1.0, ge=0, le=1, description="accept when score >= min_score")
    options: dict[str, Any] = Field(default_factory=dict, description="verifier constructor options")


class ExactDedupConfig(_Cfg):
    enabled: bool = True
    compare: Literal["prompt", "completion", "both"] = Field("completion", description="which text is compared: problem-level (prompt) or trace-level (completion) or both")


class DedupConfig(_Cfg):
    exact: ExactDedupConfig = Field(default_factory=ExactDedupConfig)


class OutputConfig(_Cfg):
    dir: str = Field("runs", description="run store root: local path or a pyarrow filesystem URI (s3://, gs://)")
    shard_size: int = Field(64, gt=0, le=1_000_000, description="source prompts per chunk (the unit of resume)")


class LoraConfig(_Cfg):
    r: int = Field(16, gt=0)
    alpha: int = Field(32, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])


class TrainConfig(_Cfg):
    method: Literal["sft"] = Field("sft", description="training method")
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


class EvalConfig(_Cfg):
    source: SourceConfig = Field(..., description="held-out prompts (never used for training)")
    sampling: SamplingConfig = Field(default_factory=lambda: SamplingConfig(max_tokens=256))
    models: list[Literal["base", "student", "teacher"]] = Field(default_factory=lambda: ["base", "student", "teacher"])
    batch_size: int = Field(16, gt=0)


class Recipe(_Cfg):
    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$", description="recipe name: runs/<name>/<run_id>/")
    source: SourceConfig
    prompt: PromptConfig
    teacher: TeacherConfig
    verifiers: list[VerifierConfig] = Field(default_factory=list)
    accept_unverifiable: bool = Field(False, description="accept rows a verifier cannot check (score None)")
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    train: TrainConfig | None = None
    eval: EvalConfig | None = None

    #: set by load_recipe: the directory relative paths are resolved against
    base_dir: str = Field(".", exclude=True, description="(internal) recipe directory")

    @field_validator("verifiers")
    @classmethod
    def _unique_verifiers(cls, v: list[VerifierConfig]) -> list[VerifierConfig]:
        names = [x.name for x in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"verifier listed twice: {sorted(dup)}")
        return v

    @model_validator(mode="after")
    def _eval_needs_train(self) -> "Recipe":
        if self.eval and "student" in self.eval.models and self.train is None:
            raise ValueError("eval.models includes 'student' but the recipe has no train section")
        return self

    def path(self, p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else Path(self.base_dir) / q


# ---------------------------------------------------------------- loading with line numbers

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
        root = yaml.compose(text)
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
        data = yaml.safe_load(text)
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
    from factory.models import is_known_model
    from teachers.registry import ENGINES
    from verifiers.registry import REGISTRY, verifier_class

    errs: list[RecipeError] = []

    def err(loc: tuple, msg: str) -> None:
        errs.append(RecipeError(file, _line_for(lines, loc), ".".join(map(str, loc)), msg))

    for loc, p in [(("source", "path"), r.source.path), (("prompt", "template"), r.prompt.template),
                   (("prompt", "system"), r.prompt.system),
                   (("eval", "source", "path"), r.eval.source.path if r.eval else None)]:
        if p is not None and not r.path(p).exists():
            err(loc, f"file not found: {r.path(p)}")
    if r.teacher.engine not in ENGINES:
        err(("teacher", "engine"), f"unknown engine {r.teacher.engine!r}; known: {', '.join(sorted(ENGINES))}")
    elif r.teacher.engine == "hf_local" and not is_known_model(r.teacher.model):
        err(("teacher", "model"), f"unknown model {r.teacher.model!r}: not bundled and not a local HF directory")
    if r.train and not is_known_model(r.train.student):
        err(("train", "student"), f"unknown model {r.train.student!r}: not bundled and not a local HF directory")
    for i, v in enumerate(r.verifiers):
        if v.name not in REGISTRY:
            err(("verifiers", i, "name"), f"unknown verifier {v.name!r}; known: {', '.join(sorted(REGISTRY))}")
            continue
        try:  # verifier constructors only validate options (heavy state loads lazily), so this is cheap
            verifier_class(v.name)(**v.options)
        except (TypeError, ValueError) as e:
            msg = str(e)
            err(("verifiers", i, "options"), msg if msg.startswith("verifier") else f"verifier {v.name!r}: {msg}")
    return errs


def recipe_errors(file: str) -> list[RecipeError]:
    p = Path(file)
    if not p.is_file():
        return [RecipeError(file, None, "recipe", "file not found")]
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return [RecipeError(file, None, "recipe", f"not UTF-8 text: {e.reason}")]
    return _validate(text, file)[0]


def load_recipe(file: str) -> Recipe:
    errs = recipe_errors(file)
    if errs:
        raise errs[0]
    return parse_recipe(Path(file).read_text(encoding="utf-8"), file)
