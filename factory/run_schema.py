"""The documented, versioned schema of a run's ``manifest.json`` and ``stats.json``.

    >>> from factory.run_schema import SCHEMA_VERSION, Manifest, Stats, check_run
    >>> check_run("runs/demo/<run_id>")          # raises FactoryError naming the file and the key path

Users and tools read ``counts.*``, ``stages.*``, ``cost.*`` and ``eval.table.*``: those keys are declared
here with a description each, and ``docs/outputs.md`` is generated from these models
(``factory schema --outputs`` prints their JSON Schema). Every file carries ``schema_version``. Adding
a key is compatible (models allow extra keys, readers ignore unknown ones); renaming or removing one,
or changing its meaning, raises :data:`SCHEMA_VERSION`. A reader meeting a newer major version than it
knows gets a clear error rather than a wrong number.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ground.errors import FactoryError

#: bump when a key is renamed, removed or changes meaning (adding keys does not bump it)
#: 2: a row answered from the request cache keeps its answer's price, so ``counts.cost`` and ``cost.*`` are the cost of
#: the corpus (were: what the invocation paid, cache hits at 0); what was paid is ``paid`` and ``generation.paid``
SCHEMA_VERSION = 2


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Counts(_Open):
    rows: int = Field(description="Rows the run produced: every (prompt, sample) pair, accepted or rejected.")
    accepted: int = Field(description="Rows in accepted/ (passed every verifier, filter, dedup and decontamination step).")
    rejected: int = Field(description="Rows in rejects/, each with reject_stage and reject_reason.")
    tokens_in: int = Field(description="Prompt tokens sent to teachers (cache hits included, as recorded on the rows).")
    tokens_out: int = Field(description="Completion tokens received from teachers.")
    teacher_seconds: float = Field(description="Sum of per-row generation seconds (engine time, not wall time).")
    cost: float = Field(description="Cost of the corpus in USD: the sum of the rows' cost column, i.e. what every row's teacher "
                                    "answer (API token prices, or GPU-seconds x prices.gpu_hour for self-hosted engines) and "
                                    "verifiers cost when they were made, answers reused from the request cache included. The same "
                                    "for a run done in one go and one killed and resumed. What was paid is manifest 'paid'.")
    cost_per_accepted: float | None = Field(description="cost / accepted; null when nothing was accepted.")
    cache_hits: int = Field(description="Rows answered from the request cache (not paid again).")
    cache_misses: int = Field(description="Rows that needed a teacher call in the invocation that wrote them (failed calls included, "
                                          "as in generation.teacher_calls and the cost breakdown's calls).")
    cache_cost: float | None = Field(None, description="The part of cost that is the price of answers reused from the request "
                                                       "cache (paid by an earlier invocation or by another run sharing the cache).")
    synthesized_accepted: int | None = Field(None, description="Rows of accepted/ whose prompt prompt synthesis wrote (a recipe "
                                                               "with synthesize: only).")
    synthesized_rejected: int | None = Field(None, description="Rows of rejects/ whose prompt prompt synthesis wrote (a recipe "
                                                               "with synthesize: only).")


class Stage(_Open):
    in_: int = Field(alias="in", description="Rows entering the stage.")
    out: int = Field(description="Rows leaving the stage (in - dropped).")
    dropped: dict[str, int] = Field(description="Rows dropped, by bounded reason category (e.g. 'exact duplicate'); "
                                                "the row itself keeps the detailed reason.")
    seconds: float | None = Field(None, description="Wall seconds of the stage in this invocation; for streamed stages, the streaming "
                                                    "job's wall time; null for a curation step an earlier invocation did, and for "
                                                    "pass_rate (it runs inside the curation passes).")
    rows_per_s: float | None = Field(None, description="in / seconds; null when this invocation did not process all of the stage's "
                                                       "rows (a resumed run: 'in' counts the rows of earlier invocations too).")
    streamed: bool | None = Field(None, description="True for stages that ran concurrently inside the one streaming job.")


class Cost(_Open):
    generate: dict = Field(description="Teacher cost: {'by_teacher': {name: {...}}, 'total': USD}; per teacher api_cost and gpu_cost "
                                       "of the rows whose teacher was called, cache_cost of the answers reused from the request cache.")
    verify: dict[str, float] = Field(description="USD spent by each verifier (LLM judges; 0 for local checks).")
    gpu: dict = Field(description="busy_gpu_seconds (GPU time of this invocation's teacher calls), reserved_gpu_seconds (replicas x "
                                  "GPUs x this invocation's generate+verify wall time) and utilisation (busy / reserved) of "
                                  "self-hosted engines.")
    total: float = Field(description="Teacher plus verifier cost in USD.")
    per_accepted: float | None = Field(description="total / accepted rows; null when nothing was accepted.")


class Generation(_Open):
    # the four counters are absent (only 'stopped') when the run budget stopped the run during prompt synthesis
    chunks_total: int | None = Field(None, description="Chunks (source units) the run has.")
    chunks_skipped: int | None = Field(None, description="Chunks already written by an earlier attempt (resume).")
    rows_pending: int | None = Field(None, description="Rows generated in this attempt.")
    cache_hits_prefilled: int | None = Field(None, description="Rows of this attempt answered from the request cache before "
                                                               "generation (the key-partitioned cache join).")
    teacher_calls: int | None = Field(None, description="Teacher calls made in this attempt (cache hits excluded).")
    stopped: str | None = Field(None, description="Why the run budget stopped the run (status 'stopped'): the cap and how much of it "
                                                  "earlier invocations used; the only key when it stopped during prompt synthesis.")
    busy_seconds: dict[str, float] | None = Field(None, description="Teacher name -> engine seconds of its calls in this attempt.")
    paid: float | None = Field(None, description="USD of the teacher and verifier calls made in this attempt (cache hits excluded, "
                                                 "chunks a budget stop did not write included); written as chunks finish.")
    transient_failures: int | None = Field(None, description="Rows rejected for a transient teacher error (timeouts, 429, 5xx, "
                                                             "lost connections, 401/403) that a re-run retries (adaptive waves: counted, not redone); absent when none.")
    chunks_to_retry: int | None = Field(None, description="Chunks holding those rows (chunks/retry/chunk-N.json): a re-run "
                                                          "redoes them, the other rows coming from the request cache.")


class Paid(_Open):
    this_invocation: float = Field(description="USD paid to teachers and verifiers by this invocation of the run (generation.paid).")
    earlier_invocations: float | None = Field(description="USD the earlier invocations of the same run recorded (a killed one: up to "
                                                          "its last progress line); null when a run made before this key existed.")
    run_total: float | None = Field(description="this_invocation + earlier_invocations: what the provider billed for this run.")


class PaidCalls(_Open):
    this_invocation: int = Field(description="Teacher calls this invocation made (prompt synthesis and generation; cache hits excluded).")
    earlier_invocations: int | None = Field(description="Teacher calls the earlier invocations of the same run recorded (a killed one: "
                                                        "up to its last progress line); null when a run made before this key existed.")
    run_total: int | None = Field(description="this_invocation + earlier_invocations: what the run budget's calls cap counts.")


class EvalScore(_Open):
    n: int = Field(description="Held-out items scored.")
    correct: int = Field(description="Items whose output passed the recipe's verifiers.")
    accuracy: float = Field(description="correct / n (an item counted in failed or no_verdict is wrong).")
    stderr: float | None = Field(None, description="Standard error of accuracy, sqrt(p (1 - p) / (n - 1)) as lm-eval-harness's acc_stderr.")
    failed: int | None = Field(None, description="Items the model gave no answer to (stage source or generate rejected them: an API error after retries); counted as wrong.")
    no_verdict: int | None = Field(None, description="Items no verifier could judge (e.g. without a reference); counted as wrong.")
    failure_reasons: dict[str, int] | None = Field(None, description="The commonest reasons of the failed items, with their counts.")
    few_shot_messages: int | None = Field(None, description="Demonstration messages the model's engine added before every prompt "
                                                         "(hf_local option few_shot, e.g. the teacher of tool_use_cpu.yaml); absent: none.")
    per_category: dict[str, dict[str, int]] = Field(description="{category: {'correct', 'n'}} ('all' when the source has no category).")
    system_prompt: bool | None = Field(None, description="Whether the model was asked with the recipe's system prompt.")


class Eval(_Open):
    table: dict[str, EvalScore] = Field(description="Scores per model: base, student, teacher (those the recipe asks for).")
    held_out: str | None = Field(None, description="The held-out source path.")
    drop_system_prompt: bool | None = Field(None, description="train.drop_system_prompt: base and student were asked without the "
                                                              "system prompt, the teacher with it (each column's system_prompt says which).")
    trained_by: str | None = Field(None, description="Which training the student column scored (a hash of train's method, data "
                                                     "run, student and metrics); null: no trained student.")
    adapter: str | None = Field(None, description="The student weights the eval loaded (train.adapter_dir on the driver's node; "
                                                  "a full model folder after a full fine-tune or dpo.sft_first); null: none.")
    resumed: list[str] | None = Field(None, description="Models whose scores an interrupted eval of the same training had kept "
                                                        "(eval/columns/<model>.json) and that were not scored again.")
    student_missing: str | None = Field(None, description="Why eval.models asks for a student column the table lacks (the "
                                                          "training was skipped or failed, or did not run).")
    held_out_short: str | None = Field(None, description="Said when eval.source has fewer items than its limit asks for.")
    overlap: dict | None = Field(None, description="Held-out prompts that are also training prompts of the run (accepted/, user turns "
                                                   "compared with whitespace and case folded): {'items', 'n', 'examples'}; only "
                                                   "with a trained student. items > 0 is warned about: that column is not held out.")
    delta_vs_base: dict[str, float] | None = Field(None, description="student - base accuracy: 'held_out' and 'regression'.")
    regression: dict | None = Field(None, description="The capability-regression check (eval.regression in the recipe).")


class Manifest(_Open):
    schema_version: int = Field(description="Version of this schema; see factory/run_schema.py.")
    run_id: str = Field(description="The run's id (the recipe fingerprint unless --fresh or --run-id).")
    recipe_name: str = Field(description="The recipe's name.")
    recipe_file: str = Field(description="The recipe path as given.")
    fingerprint: str = Field(description="Hash of the resolved recipe and every input file it names.")
    recipe: dict = Field(description="The resolved recipe (secrets are never part of it: keys come from the environment).")
    versions: dict[str, str] = Field(description="Python and package versions of the driver.")
    git_commit: str | None = Field(description="Commit of the recipe's checkout, when it is a git work tree.")
    status: Literal["running", "succeeded", "failed", "interrupted", "stopped"] = Field(
        description="running while the run works; then succeeded, failed (see error), interrupted, or stopped (a budget).")
    started_at: str = Field(description="UTC start time, ISO 8601.")
    finished_at: str | None = Field(None, description="UTC end time, ISO 8601 (absent while running).")
    error: str | None = Field(None, description="The error of a failed run, one line.")
    licenses: dict = Field(description="Licences of the source, the teachers' terms and the student (model resolution); "
                                       "each benchmark's licence is in contamination.benchmarks.")
    generation: Generation | None = Field(None, description="What the streaming job did in this attempt.")
    counts: Counts | None = Field(None, description="Row counts, tokens and cost (same as stats.json 'summary').")
    paid: Paid | None = Field(None, description="What was paid (not the corpus' cost): this invocation, earlier ones, all of them. "
                                                "Prompt synthesis reports its own spend in synthesis.cost.")
    paid_calls: PaidCalls | None = Field(None, description="The same record in teacher calls (synthesis included): this invocation, "
                                                           "earlier ones, all of them. The budget caps count paid.run_total and this run_total.")
    stages: dict[str, Stage] | None = Field(None, description="Per-stage funnel, in pipeline order (same as stats.json 'stages').")
    cost: Cost | None = Field(None, description="Cost breakdown (same as stats.json 'cost').")
    contamination: dict | None = Field(None, description="Decontamination: per benchmark rows removed, coverage, partial benchmarks; "
                                                        "rows: the rows the decontam stage checked (those earlier stages left), "
                                                        "run_rows: every row of the run.")
    timings: dict[str, float] | None = Field(None, description="Wall seconds per phase: synthesize, generate+verify, curate, write, "
                                                             "train, eval.")
    curation_timings: dict[str, float] | None = Field(None, description="Wall seconds per curation step of this invocation "
                                                                        "(dedup_exact, minhash, embedding, decontam, ...).")
    previous_status: str | None = Field(None, description="The status the previous invocation of the same run left (a resumed run).")
    synthesis: dict | None = Field(None, description="Prompt synthesis (synthesize:): seeds, candidates, rejects per step, kept, "
                                                     "agreement histogram, teacher calls, cost, seconds; 'stopped' when the run "
                                                     "budget ended it (docs/synthesize.md).")
    train: dict | None = Field(None, description="Training result: status, adapter_dir, metrics, log_history.")
    eval: Eval | None = Field(None, description="Evaluation: the score table and deltas.")


class Stats(_Open):
    schema_version: int = Field(description="Version of this schema; see factory/run_schema.py.")
    stages: dict[str, Stage] = Field(description="Per-stage funnel: in, out, dropped by reason category, seconds, rows/s.")
    summary: Counts = Field(description="Row counts, tokens and cost.")
    cost: Cost = Field(description="Cost breakdown by teacher, verifier and GPU time.")


FILES = {"manifest.json": Manifest, "stats.json": Stats}


def _where(e: ValidationError) -> str:
    err = e.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def check_version(data: dict, where: str) -> dict:
    """Readers call this on a run file they read: a newer schema than this code knows is a clear error.
    Files without ``schema_version`` (runs made before it existed) read as version 1."""
    if not isinstance(data, dict):
        raise FactoryError(f"{where}: not a JSON object (a {type(data).__name__}); the file is damaged")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise FactoryError(f"{where}: schema_version {version!r} is newer than this factory reads ({SCHEMA_VERSION}); "
                           f"upgrade distill-factory")
    return data


def check(name: str, data: dict, where: str | None = None) -> BaseModel:
    """Validate one run file's content (``name``: manifest.json or stats.json); a FactoryError names the file
    (``where``, default ``name``) and the key path."""
    where = where or name
    check_version(data, where)
    try:
        return FILES[name].model_validate(data)
    except ValidationError as e:
        raise FactoryError(f"{where}: {_where(e)}") from None


def check_run(run_dir: str) -> dict[str, BaseModel]:
    """Validate manifest.json and stats.json of a run directory (local path or URI)."""
    from ground import fsutil

    fs, path = fsutil.filesystem(run_dir)
    out = {}
    for name in FILES:
        p = fsutil.join(path, name)
        if fsutil.exists(fs, p):
            out[name] = check(name, fsutil.read_json(fs, p), where=f"{run_dir.rstrip('/')}/{name}")
    return out


def json_schemas() -> dict:
    return {name: model.model_json_schema(by_alias=True) for name, model in FILES.items()}


MONEY = [
    "## Cost of the corpus and what was paid",
    "",
    "Two figures, for two questions. **Cost of the corpus** (`counts.cost`, `cost.total`, the sum of the `cost` column of "
    "accepted/ and rejects/): what every row's teacher answer and verifiers cost when they were made. A row answered from the "
    "request cache (`cache_hit`) keeps the price of its answer (its teacher's `prices` applied to the cached tokens and "
    "engine seconds, or the engine's own cached figure), so a run killed and resumed reports the same cost as one done in "
    "one go, and `counts.cache_cost` says how much of it was reused. **Paid** (`paid`, `generation.paid`): the teacher and "
    "verifier calls actually made, per invocation of the run: `this_invocation`, `earlier_invocations` (read from the "
    "manifest the previous invocation left; the driver rewrites it as chunks finish, so a SIGKILLed one keeps what it paid "
    "up to its last progress line, about 5 s), and `run_total`. A second run that is answered entirely from a shared "
    "request cache (`--fresh`, or another recipe asking the same requests) pays 0 and still reports the corpus' cost. "
    "To reconcile with a provider's bill, add up `paid.run_total` of the runs. Calls of chunks still in flight when an "
    "invocation was killed are not in its paid figure (their answers are in the request cache and priced in the corpus).",
    "",
    "**The run budget** (`budget: {usd, calls}`) is run-wide: its counter starts from `paid.run_total` and "
    "`paid_calls.run_total` of the manifest the previous invocation left, so resuming a run a cap stopped (or one killed "
    "mid-way) never spends the cap again; a re-run with a bigger cap continues. What the records miss the caps miss too: "
    "calls in flight at a kill, a kill during prompt synthesis (recorded when synthesis ends), and synthesis dollars "
    "(`paid` counts generation's; synthesis calls are in `paid_calls`).",
]


def markdown() -> str:
    """docs/outputs.md: every declared key with its type and description."""
    lines = ["# Run outputs: `manifest.json` and `stats.json`", "",
             f"Generated from `factory/run_schema.py` (schema_version {SCHEMA_VERSION}) by "
             "`python -m factory.run_schema > docs/outputs.md`; a test keeps it in step.",
             "Adding a key keeps the version; renaming or removing one, or changing its meaning, raises it. "
             "Readers ignore keys they do not know.", "", *MONEY, ""]
    seen: set[str] = set()

    def section(title: str, model: type[BaseModel]) -> None:
        if model.__name__ in seen:
            return
        seen.add(model.__name__)
        lines.extend([f"## {title}", "", "| key | type | meaning |", "|---|---|---|"])
        nested = []
        for name, f in model.model_fields.items():
            ann = f.annotation
            typ = ann.__name__ if isinstance(ann, type) else re.sub(r"(?:[A-Za-z_]\w*\.)+(\w+)", r"\1", str(ann))
            lines.append(f"| `{f.alias or name}` | {typ.replace('|', 'or').replace('NoneType', 'null')} | {f.description} |")
            for sub in (Counts, Stage, Cost, Generation, Paid, Eval, EvalScore):
                if sub.__name__ in str(ann) and sub is not model:
                    nested.append((f"{model.__name__}.{f.alias or name} ({sub.__name__})", sub))
        lines.append("")
        for t, sub in nested:
            section(t, sub)

    section("manifest.json", Manifest)
    section("stats.json", Stats)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
