"""The held-out set is held out, and every column says what it counted.

- ``eval.source`` reading the very records ``source`` trains on (same file, overlapping offset/limit windows) is a
  recipe error at ``eval.source.path`` (before: accepted, and the student was scored on its own training prompts);
- a held-out prompt that is also a training prompt of the run (another file, other spacing or case) is counted,
  warned about and named in the console (before: nothing said);
- an API teacher failing on some items (HTTP 500 after its retries): the column counts them as wrong AND says so,
  ``failed`` and the reason, with ``stderr`` of the accuracy (before: silently wrong). Real HTTP on 127.0.0.1
  (FaultInjectingServer, a fake named as such, injects the 500s); :func:`score_target` is what the eval's Ray task runs.
"""

from __future__ import annotations

import json
import math

import pyarrow.fs as pafs
import yaml

from factory.recipe import load_recipe, recipe_errors
from ground import fsutil
from ground.record import to_table
from students.eval import _eval_rows, _targets, score_target, training_overlap
from students.eval_table import summary_rows
from tests.conftest import ROOT
from tests.faults.fault_server import FaultInjectingServer

ARITH = ROOT / "recipes" / "distill_arith.yaml"
TRAIN = (ROOT / "data/distill_arith/train.jsonl").resolve()
TEST = (ROOT / "data/distill_arith/test.jsonl").resolve()


def _arith(tmp_path, **eval_source) -> str:
    doc = yaml.safe_load(ARITH.read_text())
    for sec in (doc["source"], doc["eval"]["source"], doc["eval"]["regression"]["source"]):
        sec["path"] = str((ARITH.parent / sec["path"]).resolve())
    for k in ("template", "system"):
        doc["prompt"][k] = str((ARITH.parent / doc["prompt"][k]).resolve())
    doc["eval"]["source"].update(eval_source)
    f = tmp_path / "r.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(f)


def _line_of(f: str, needle: str, after: str) -> int:
    lines = open(f).read().splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith(after))
    return next(i for i, x in enumerate(lines) if i > start and needle in x) + 1


def test_eval_source_on_the_training_records_is_a_recipe_error(tmp_path):
    f = _arith(tmp_path, path=str(TRAIN), limit=10)  # source: records 0-63 of train.jsonl
    errs = [str(e) for e in recipe_errors(f)]
    assert errs == [f"{f}:{_line_of(f, 'path:', 'eval:')}: eval.source.path: held-out set overlaps the training data: "
                    f"source reads records 0-63 of {TRAIN} and eval.source records 0-9 of the same file (records 0-9 are "
                    "in both); set eval.source.offset to 64 or more, or hold the items out in a separate file"]
    f = _arith(tmp_path, path=str(TRAIN), offset=60, limit=10)
    assert "(records 60-63 are in both)" in str(recipe_errors(f)[0])
    f = _arith(tmp_path, path=str(TRAIN), offset=64, limit=10)  # the records after the training window: held out
    assert recipe_errors(f) == []
    f = _arith(tmp_path)  # the recipe's own test.jsonl
    assert recipe_errors(f) == []


def test_training_prompts_in_the_held_out_set_are_counted(tmp_path):
    recipe = load_recipe(_arith(tmp_path, limit=6))
    held = _eval_rows(recipe)
    assert [json.loads(r["source"])["id"] for r in held] == [f"test-{i:03d}" for i in range(6)]
    # the training rows hold two held-out questions, respaced and recased (another file, a copy-paste)
    train = [dict(r) for r in held[:2]] + [dict(r) for r in held[4:5]]
    for r, text in zip(train, ["what is 49 +  79?", "WHAT IS 21 + 74?", "What is 1 + 1?"]):
        msgs = json.loads(r["messages"])
        msgs[-1]["content"] = text
        r.update(messages=json.dumps(msgs), status="accepted")
    acc = tmp_path / "store" / "accepted"
    fs = pafs.LocalFileSystem()
    fsutil.write_parquet_atomic(fs, str(acc / "part-000.parquet"), to_table(train))
    ov = training_overlap(held, fs, str(acc))
    assert ov == {"items": 2, "n": 6, "examples": ["'what is 49 + 79?'", "'what is 21 + 74?'"]}
    assert training_overlap(held, fs, str(tmp_path / "store" / "none")) == {"items": 0, "n": 6, "examples": []}
    _, _, notes = summary_rows({"table": {}, "overlap": ov})
    assert notes == ["WARNING: 2 of 6 held-out prompts are also training prompts of this run (e.g. 'what is 49 + 79?', "
                     "'what is 21 + 74?'): the student column is not a held-out score"]


TEACHER_RECIPE = """name: api_eval
source: {{path: {test}, fields: {{prompt: question, reference: answer, id: id}}, limit: 4}}
prompt: {{template: "{{prompt}}"}}
teacher:
  name: api
  engine: openai_compat
  model: m
  options: {{base_url: "{url}", max_retries: 0, backoff_base_s: 0.01}}
verifiers:
  - name: math_answer
eval:
  source: {{path: {test}, fields: {{prompt: question, reference: answer, id: id}}, offset: 10, limit: 12}}
  sampling: {{max_tokens: 64}}
  models: [teacher]
"""


def test_api_teacher_failures_are_counted_and_said(tmp_path):
    with FaultInjectingServer(rate_500=0.4, answer="arith", seed=3) as srv:
        (tmp_path / "r.yaml").write_text(TEACHER_RECIPE.format(test=TEST, url=srv.base_url))
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        [target] = _targets(recipe, None, ["teacher"])
        out = score_target(recipe, target, in_table=True, regression=False)
    rows = out["samples"]["teacher"]
    failed = [r for r in rows if r["reject_stage"] == "generate"]
    correct = sum(r["status"] == "accepted" for r in rows)
    assert len(rows) == 12 and 0 < len(failed) < 12, [r["reject_stage"] for r in rows]
    t = out["table"]
    assert (t["n"], t["correct"], t["failed"], t["no_verdict"]) == (12, correct, len(failed), 0)
    assert t["accuracy"] == correct / 12  # a failed item counts as wrong ...
    assert t["stderr"] == round(math.sqrt(t["accuracy"] * (1 - t["accuracy"]) / 11), 6)
    [(reason, count)] = t["failure_reasons"].items()  # ... and the column says how many and why
    assert count == len(failed) and "500" in reason, reason
    _, _, notes = summary_rows({"table": {"teacher": t}})
    assert notes == [f"teacher: {len(failed)} of 12 held-out items got no answer ({reason}); counted as wrong"]


def test_items_without_a_reference_are_counted_as_no_verdict(tmp_path):
    src = tmp_path / "held.jsonl"
    src.write_text("".join(json.dumps({"id": f"h{i}", "question": f"What is {i} + 1?", **({} if i % 2 else {"answer": str(i + 1)})})
                           + "\n" for i in range(4)))
    with FaultInjectingServer(answer="arith", seed=3) as srv:
        (tmp_path / "r.yaml").write_text(TEACHER_RECIPE.format(test=TEST, url=srv.base_url).replace(
            f"path: {TEST}, fields: {{prompt: question, reference: answer, id: id}}, offset: 10, limit: 12",
            f"path: {src}, fields: {{prompt: question, reference: answer, id: id}}"))
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        out = score_target(recipe, _targets(recipe, None, ["teacher"])[0], in_table=True, regression=False)
    t = out["table"]
    assert (t["n"], t["failed"], t["no_verdict"]) == (4, 0, 2)
    assert summary_rows({"table": {"teacher": t}})[2] == [
        "teacher: 2 of 4 held-out items could not be judged by the verifiers (e.g. no reference); counted as wrong"]


def test_a_held_out_set_smaller_than_asked_is_said(tmp_path):
    from students.eval import held_out_short

    recipe = load_recipe(_arith(tmp_path, offset=90, limit=40))  # test.jsonl has 100 records
    held = _eval_rows(recipe)
    assert len(held) == 10
    line = held_out_short(recipe, len(held))
    assert line == f"eval.source.limit asks for 40 held-out items; {TEST} has 10 after offset 90: the table scores 10"
    assert summary_rows({"table": {}, "held_out_short": line})[2] == [line]
    assert held_out_short(load_recipe(_arith(tmp_path, limit=40)), 40) is None


def test_the_report_shows_failures_stderr_and_overlap(tmp_path):
    from pathlib import Path

    from factory.report import write_report
    from factory.store import RunStore
    from tests.unit.test_report import make_run, parse

    run, _ = make_run(tmp_path)
    store = RunStore(str(tmp_path / "runs"), "demo", "abc123")
    m = store.read_json("manifest.json")
    m["eval"]["table"] = {"teacher": {"n": 12, "correct": 6, "accuracy": 0.5, "stderr": 0.150756, "failed": 3, "no_verdict": 1,
                                      "per_category": {"all": {"correct": 6, "n": 12}}}}
    m["eval"]["overlap"] = {"items": 2, "n": 12, "examples": ["'what is 1 + 1?'"]}
    m["eval"]["held_out_short"] = "eval.source.limit asks for 40 held-out items; t.jsonl has 12: the table scores 12"
    store.write_json("manifest.json", m)
    html = Path(write_report(run)).read_text(encoding="utf-8")
    assert "<th>stderr</th><th>no answer</th><th>no verdict</th>" in html
    assert "<td>teacher</td><td>12</td><td>6</td><td>0.500</td><td>0.151</td><td>3</td><td>1</td>" in html
    assert {"eval-overlap", "eval-short"} <= set(parse(html).ids)
    assert "2 of 12 held-out prompts are also training prompts of this run" in html


def test_an_eval_of_another_training_is_not_kept_in_the_manifest(tmp_path):
    """Training redone in the same run (more accepted rows: a new data_run_id), then the eval fails or is skipped:
    the manifest kept the earlier eval, the old student's scores shown next to the new training (and in the report)."""
    import shutil

    import pytest

    from factory.pipeline import _train_and_eval
    from factory.store import RunStore
    from students.eval import train_key

    held = tmp_path / "held.jsonl"
    shutil.copy(TEST, held)
    recipe = load_recipe(_arith(tmp_path, path=str(held)))
    store = RunStore(str(tmp_path / "runs"), "distill_arith", "r1")
    old_train = {"status": "done", "method": "sft", "data_run_id": "r1@a", "student": "smollm2-135m-instruct", "metrics": {"loss": 1.0}}
    new_train = {**old_train, "data_run_id": "r1@b", "metrics": {"loss": 0.8}}
    old_eval = {"table": {"student": {"n": 40, "correct": 30, "accuracy": 0.75}}, "trained_by": train_key(old_train)}
    manifest = {"train": new_train, "eval": dict(old_eval)}
    _train_and_eval(recipe, store, manifest, {}, skip_train=True, skip_eval=True)
    assert "eval" not in manifest
    held.unlink()  # the eval now fails before it scores anything
    manifest = {"train": new_train, "eval": dict(old_eval)}
    with pytest.raises(Exception, match="held.jsonl"):
        _train_and_eval(recipe, store, manifest, {}, skip_train=True, skip_eval=False)
    assert "eval" not in manifest
    manifest = {"train": old_train, "eval": dict(old_eval)}  # the eval of this very training stays
    _train_and_eval(recipe, store, manifest, {}, skip_train=True, skip_eval=True)
    assert manifest["eval"] == old_eval


def test_kd_heldout_rows_read_the_records_asked_for_and_never_training_ones(tmp_path):
    """heldout_rows kept the recipe source's offset: a recipe training on records 64.. of train.jsonl (offset: 64)
    scored KL on records 64.. of the held-out file, and on its own training records when given the training file."""
    import pytest

    from ground.errors import FactoryError
    from students.kd_eval import heldout_rows

    doc = yaml.safe_load(open(_arith(tmp_path)))
    doc["source"].update(offset=64, limit=64)
    doc["teacher"]["sampling"]["max_tokens"] = 2
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    recipe = load_recipe(str(tmp_path / "r.yaml"))
    rows = heldout_rows(recipe, str(TEST), 2)
    assert [json.loads(r["source"])["id"] for r in rows] == ["test-000", "test-001"]
    with pytest.raises(FactoryError) as e:
        heldout_rows(recipe, str(TRAIN), 8, offset=100)
    assert str(e.value) == (f"kd_eval: held-out set overlaps the training data: source reads records 64-127 of {TRAIN} and the "
                            f"held-out set records 100-107 of the same file (records 100-107 are in both); set the held-out "
                            "offset to 128 or more, or hold the items out in a separate file")
    assert len(heldout_rows(recipe, str(TRAIN), 1, offset=128)) == 1


def test_an_interrupted_eval_resumes_without_scoring_done_models_again(tmp_path, ray_local):
    """Each model's scores are kept as its Ray task finishes (eval/columns/<model>.json, with the training they
    belong to): an eval interrupted before eval/DONE scores only what is missing on the re-run, and never reuses a
    column of another training. Before: every model was scored again (an API teacher paid twice)."""
    from factory.store import RunStore
    from students.eval import eval_if_needed, train_key

    with FaultInjectingServer(answer="arith", seed=3) as srv:
        (tmp_path / "r.yaml").write_text(TEACHER_RECIPE.format(test=TEST, url=srv.base_url).replace("limit: 12", "limit: 3"))
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        store = RunStore(str(tmp_path / "runs"), "api_eval", "r1")
        first = eval_if_needed(recipe, store, None)
        asked = srv.stats()["requests"]
        assert asked == 3 and first["table"]["teacher"]["n"] == 3 and "resumed" not in first
        col = store.read_json("eval/columns/teacher.json")
        assert (col["trained_by"], col["adapter"], col["result"]["table"]) == (None, None, first["table"]["teacher"])
        store.fs.delete_file(store.p("eval/DONE"))  # interrupted after the teacher's task, before eval/DONE
        again = eval_if_needed(recipe, store, None)
        assert srv.stats()["requests"] == asked  # not asked again
        assert again["table"] == first["table"] and again["resumed"] == ["teacher"]
        store.fs.delete_file(store.p("eval/DONE"))
        other = {"status": "done", "method": "sft", "data_run_id": "r1@b", "student": "s", "metrics": {}, "adapter_dir": None}
        third = eval_if_needed(recipe, store, other)  # another training: its columns are made again
        assert srv.stats()["requests"] == 2 * asked and "resumed" not in third
        assert store.read_json("eval/columns/teacher.json")["trained_by"] == train_key(other)


def test_a_teacher_asked_with_few_shot_turns_says_so(tmp_path):
    """tool_use_cpu.yaml's teacher answers with two demonstration turns (hf_local few_shot) that base and student
    never see; the table recorded only system_prompt, so the columns looked asked alike."""
    recipe = load_recipe(str(ROOT / "recipes/tool_use_cpu.yaml"))
    recipe.eval.source.limit = 1
    recipe.eval.sampling.max_tokens = 2
    by = {t[0]: t for t in _targets(recipe, None, ["base", "teacher"])}
    teacher = score_target(recipe, by["teacher"], in_table=True, regression=False)["table"]
    base = score_target(recipe, by["base"], in_table=True, regression=False)["table"]
    assert teacher["few_shot_messages"] == 4 and "few_shot_messages" not in base
    notes = summary_rows({"table": {"base": base, "teacher": teacher}})[2]
    assert notes == ["teacher: asked with 4 few-shot demonstration messages before every prompt (its engine's few_shot "
                     "option); columns without this note were not"]


def test_a_missing_student_column_is_explained(tmp_path, ray_local):
    """eval.models asks for the student, the training was skipped (no accepted rows, no preference pairs): the
    table had base/teacher only and nothing said why the student was absent."""
    from factory.store import RunStore
    from students.eval import eval_if_needed

    with FaultInjectingServer(answer="arith", seed=3) as srv:
        text = TEACHER_RECIPE.format(test=TEST, url=srv.base_url).replace("limit: 12", "limit: 2").replace(
            "models: [teacher]", "models: [student, teacher]") + "train: {student: smollm2-135m-instruct}\n"
        (tmp_path / "r.yaml").write_text(text)
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        store = RunStore(str(tmp_path / "runs"), "api_eval", "r1")
        info = eval_if_needed(recipe, store, {"status": "skipped", "reason": "no accepted rows to train on"})
    assert list(info["table"]) == ["teacher"] and (info["adapter"], info["trained_by"]) == (None, None)
    assert info["student_missing"] == "training skipped: no accepted rows to train on"
    assert summary_rows(info)[2] == ["no student column: training skipped: no accepted rows to train on"]
    assert summary_rows({"table": {}, "student_missing": "x"})[2] == ["no student column: x"]


def test_the_overlap_line_when_the_source_reads_the_whole_file(tmp_path):
    from ground.source import SourceConfig, shared_records

    train, held = SourceConfig(path=str(TRAIN)), SourceConfig(path="../distill_arith/train.jsonl", offset=5, limit=3)
    assert shared_records(train, held, str(TEST.parent.parent / "gsm8k_sample")) == (
        f"held-out set overlaps the training data: source reads every record from 0 on of {TRAIN} and the held-out set "
        "records 5-7 of the same file (records 5-7 are in both); hold the items out in a separate file")
    assert shared_records(train, SourceConfig(path=str(TEST)), ".") is None
    assert shared_records(SourceConfig(path=str(TRAIN), split="train"), SourceConfig(path=str(TRAIN), split="test"), ".") is None


def test_a_gpu_recipe_scores_base_and_student_on_the_gpu_their_task_holds(tmp_path):
    """train.use_gpu: the eval's base and student Ray tasks each reserve a GPU (_gpus), but their hf_local engine was
    opened without a device, so they generated on the CPU in fp32 beside an idle GPU. Now they are asked on cuda (Ray
    sets CUDA_VISIBLE_DEVICES to the task's GPU); a CPU recipe's stay on the CPU, and the teacher keeps its own options."""
    from students.eval import _gpus

    recipe = load_recipe(_arith(tmp_path))
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    cpu = {t[0]: t for t in _targets(recipe, str(tmp_path / "adapter"), ["base", "student", "teacher"])}
    assert [("device" in cpu[k][3], _gpus(recipe, k)) for k in ("base", "student")] == [(False, 0.0), (False, 0.0)]
    recipe.train.use_gpu = True
    gpu = {t[0]: t for t in _targets(recipe, str(tmp_path / "adapter"), ["base", "student", "teacher"])}
    assert [(gpu[k][3]["device"], _gpus(recipe, k)) for k in ("base", "student")] == [("cuda", 1.0), ("cuda", 1.0)]
    assert gpu["student"][3]["adapter"] == str(tmp_path / "adapter") and gpu["teacher"][3] == cpu["teacher"][3]


def test_an_eval_task_that_holds_a_gpu_leaves_no_worker_behind(tmp_path):
    """Ray ends the worker of a task declared @ray.remote(num_gpus=...) after it (max_calls 1, ray-project/ray#29624)
    but not of one whose GPUs come from .options(): the eval's GPU tasks left idle workers holding their CUDA context
    and the model's cached memory, and a reused one kept the GPU it first initialised CUDA on, whatever GPU its next
    task was given. Here a logical GPU (a CPU machine), the teacher column asking for it (teacher.num_gpus)."""
    import os
    import time

    import ray

    from students.eval import evaluate
    from tests.conftest import _RAY_KW

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    with FaultInjectingServer(answer="arith", seed=3) as srv:
        text = TEACHER_RECIPE.format(test=TEST, url=srv.base_url).replace("limit: 12", "limit: 2")
        (tmp_path / "r.yaml").write_text(text.replace("  model: m\n", "  model: m\n  num_gpus: 1\n"))
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        if ray.is_initialized():
            ray.shutdown()
        ray.init(**{**_RAY_KW, "num_gpus": 1})
        try:
            res = evaluate(recipe, None, regression=False)
            pid = res["workers"]["teacher"]
            assert res["table"]["teacher"]["n"] == 2 and pid != os.getpid()
            deadline = time.monotonic() + 20
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not alive(pid), "the GPU task's worker is still alive"
        finally:
            ray.shutdown()
