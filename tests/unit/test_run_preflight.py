"""What a new user hits first when a recipe needs something this machine lacks (an API key, GPUs, vllm, a
resolvable API host), and the console's answers to bad input records and a closed pipe.

``factory run`` must answer one ``error:`` line naming the recipe field, exit 2 and write nothing (no run
directory, no log); ``factory validate`` stays silent about the machine (CI validates GPU recipes on CPUs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from factory.cli import source_rejects_line
from factory.preflight import gpu_needs, key_problems, local_gpus, local_problems
from factory.recipe import load_recipe
from ground.record import new_sample, reject, to_table

ROOT = Path(__file__).resolve().parents[2]

API_RECIPE = """\
name: keyed
source:
  path: train.jsonl
  fields: {prompt: question, reference: answer}
prompt:
  template: p.txt
teacher:
  engine: openai_compat
  model: some-model
  options: {base_url: "http://127.0.0.1:9/v1", api_key_env: FACTORY_TEST_NO_SUCH_KEY}
verifiers:
  - name: math_answer
output:
  dir: runs
"""


def factory(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k not in ("FACTORY_TEST_NO_SUCH_KEY", "RAY_ADDRESS")}
    return subprocess.run([sys.executable, "-m", "factory", *args], cwd=cwd, env={**e, "PYTHONPATH": str(ROOT), **env},
                          capture_output=True, text=True, timeout=300)


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_missing_api_key_is_one_line_before_anything_is_written(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"question": "What is 1 + 2?", "answer": "3"}\n')
    (tmp_path / "p.txt").write_text("{prompt}\n")
    (tmp_path / "r.yaml").write_text(API_RECIPE)
    before = _files(tmp_path)
    assert factory(["validate", "r.yaml"], tmp_path).returncode == 0  # validation does not ask for keys
    res = factory(["run", "r.yaml"], tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == ["error: r.yaml: teacher.options.api_key_env: environment variable "
                                       "FACTORY_TEST_NO_SUCH_KEY is not set (export FACTORY_TEST_NO_SUCH_KEY=... before running)"]
    assert _files(tmp_path) == before, "run wrote files"
    # with the key the check passes (the run itself is not started here: --skip-train on a bad output dir stops it)
    assert key_problems(load_recipe(str(tmp_path / "r.yaml")).model_dump(mode="json"), {"FACTORY_TEST_NO_SUCH_KEY": "k"}) == []


def test_judge_and_onpolicy_keys_are_named_by_their_field():
    judge = load_recipe(str(ROOT / "recipes" / "judge_api.yaml")).model_dump(mode="json")
    assert key_problems(judge, {}) == ["verifiers.0.options.judge.options.api_key_env: environment variable JUDGE_API_KEY "
                                       "is not set (export JUDGE_API_KEY=... before running)"]
    assert key_problems(judge, {"JUDGE_API_KEY": "x"}) == []
    assert key_problems({"train": {"onpolicy": {"teacher_options": {"api_key_env": "K"}}}}, {"K": ""}) == [
        "train.onpolicy.teacher_options.api_key_env: environment variable K is not set (export K=... before running)"]


def test_gpu_needs_and_what_a_cpu_machine_lacks():
    vllm = load_recipe(str(ROOT / "recipes" / "vllm_cluster.yaml")).model_dump(mode="json")
    qlora = load_recipe(str(ROOT / "recipes" / "qlora_8b_sft_dpo.yaml")).model_dump(mode="json")
    demo = load_recipe(str(ROOT / "recipes" / "demo.yaml")).model_dump(mode="json")
    assert gpu_needs(vllm) == [("teacher.num_gpus", 2.0)]
    assert gpu_needs(qlora) == [("train.use_gpu", 1.0)]
    assert gpu_needs(demo) == [] and local_problems(demo, 0) == []
    # a vllm teacher without num_gpus still takes tensor_parallel_size GPUs per engine
    assert gpu_needs({"teacher": {"engine": "vllm", "options": {"tensor_parallel_size": 4}}}) == [("teacher.num_gpus", 4.0)]
    probs = local_problems(vllm, 0)
    assert probs[0] == ("teacher.num_gpus: asks for 2 GPU(s) per actor but this machine has 0 and the local Ray cannot "
                        "add nodes; run it on a GPU cluster (RAY_ADDRESS=... or `factory submit`)")
    assert not any(p.startswith("teacher.num_gpus") for p in local_problems(vllm, 8))
    host = {"teacher": {"engine": "openai_compat", "options": {"base_url": "http://no-such-teacher.invalid:8000/v1"}}}
    (p,) = local_problems(host, 0)
    assert p.startswith("teacher.options.base_url: cannot resolve host 'no-such-teacher.invalid' of http://no-such-teacher.invalid:8000/v1")
    assert local_problems({"teacher": {"options": {"base_url": "http://127.0.0.1:9/v1"}}}, 0) == []
    # was: the whole URL, with the password and the query's key, printed to the terminal and the run log
    (p,) = local_problems({"teacher": {"options": {"base_url": "https://bob:s3cret@no-such.invalid/v1?api_key=sk-1"}}}, 0)
    assert p.startswith("teacher.options.base_url: cannot resolve host 'no-such.invalid' of https://no-such.invalid/v1 (")
    assert "s3cret" not in p and "sk-1" not in p
    assert local_problems({"teacher": {"options": {"base_url": "http://:8000/v1"}}}, 0) == [
        "teacher.options.base_url: cannot resolve host None of http://:8000/v1 (no host in the URL)"]
    assert local_problems({"teacher": {"options": {"base_url": "http://localhost:80a/v1"}}}, 0) == [
        "teacher.options.base_url: cannot resolve host 'localhost' of http://localhost:80a/v1 (port '80a' is not a number)"]
    assert local_problems({"teacher": {"options": {"base_url": "http://[::1]:8000/v1"}}}, 0) == []


@pytest.mark.skipif(local_gpus() >= 2, reason="this machine can run the 2-GPU vllm recipe")
def test_gpu_recipe_on_a_cpu_machine_refuses_before_writing(tmp_path):
    out = tmp_path / "out"
    res = factory(["run", str(ROOT / "recipes" / "vllm_cluster.yaml"), "--output-dir", str(out)], tmp_path)
    assert res.returncode == 2, res.stderr
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"error: {ROOT / 'recipes' / 'vllm_cluster.yaml'}: teacher.num_gpus: asks for 2 GPU(s) per actor")
    assert not out.exists() and _files(tmp_path) == set()


def _run_dir(tmp_path: Path, accepted: list[dict], rejects: list[dict]) -> Path:
    run = tmp_path / "run"
    for kind, rows in (("accepted", accepted), ("rejects", rejects)):
        (run / kind).mkdir(parents=True)
        pq.write_table(to_table(rows), run / kind / "part-0.parquet")
    (run / "manifest.json").write_text(json.dumps({"schema_version": 1, "status": "succeeded"}))
    return run


def test_source_rejects_get_a_console_line_naming_file_and_row(tmp_path):
    ok = new_sample(stage="gen", prompt_id="a", sample_index=0, messages=[{"role": "user", "content": "q"}], completion="x")
    bad = reject(new_sample(stage="source", prompt_id="b", sample_index=0, messages=[]), "source", "missing field 'question' [src.jsonl:2]")
    wrong = reject(new_sample(stage="gen", prompt_id="c", sample_index=0, messages=[]), "verify:math_answer", "wrong answer")
    run = _run_dir(tmp_path, [ok], [wrong, bad])
    stats = {"source": {"in": 3, "out": 2, "dropped": {"missing field 'question'": 1}}}
    assert source_rejects_line(str(run), stats) == ("1 row(s) rejected at source (bad input records, no teacher call), e.g. "
                                                    "missing field 'question' [src.jsonl:2]; they are in rejects/ with reject_stage 'source'")
    assert source_rejects_line(str(run), {"source": {"in": 3, "out": 3, "dropped": {}}}) is None


def test_inspect_into_a_closed_pipe_exits_quietly(tmp_path):
    rows = [new_sample(stage="gen", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": "q"}],
                       completion="x" * 4000) for i in range(100)]  # 400 KB of output: more than a pipe holds
    run = _run_dir(tmp_path, rows, [])
    proc = subprocess.Popen([sys.executable, "-m", "factory", "inspect", str(run), "-n", "100"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"=====")
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_inspect_shows_tool_history_and_traces_turn_by_turn(tmp_path, capsys):
    """Was: a prompt whose history holds a tool-call turn without ``content`` (valid OpenAI) crashed inspect with
    KeyError 'content', and a trace completion was printed as one JSON string with emoji as \\ud83e escapes."""
    from factory.cli import main

    calc = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
    prompt = [{"role": "system", "content": "Use tools.", "tools": [calc]}, {"role": "user", "content": "weather?"},
              {"role": "assistant", "tool_calls": [{"id": "a", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
              {"role": "tool", "tool_call_id": "a", "content": "sunny"}, {"role": "user", "content": "6*7? 🙂"}]
    trace = [{"role": "assistant", "content": None, "reasoning_content": "hmm 🤔", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "42"}, {"role": "assistant", "content": "42 ✅"}]
    row = new_sample(stage="gen", prompt_id="p", sample_index=0, messages=prompt, completion=json.dumps(trace))
    assert main(["inspect", str(_run_dir(tmp_path, [row], []))]) == 0
    out = capsys.readouterr().out
    assert ("--- system  [tools: calculator]\nUse tools.\n--- user\nweather?\n--- assistant\n-> call w({})  id a\n"
            "--- tool (a)\nsunny\n--- user\n6*7? 🙂\n--- completion\n  · assistant\n<think>hmm 🤔</think>\n"
            '-> call calculator({"expression": "6*7"})  id c1\n  · tool (c1)\n42\n  · assistant\n42 ✅\n') in out


def test_a_glob_source_validates_and_its_first_record_is_checked(tmp_path):
    (tmp_path / "shards").mkdir()
    for i in range(2):
        (tmp_path / "shards" / f"part-{i}.jsonl").write_text(json.dumps({"question": f"What is {i} + 1?", "answer": str(i + 1)}) + "\n")
    (tmp_path / "p.txt").write_text("{prompt}\n")
    recipe = API_RECIPE.replace("path: train.jsonl", 'path: "shards/*.jsonl"')
    (tmp_path / "r.yaml").write_text(recipe)
    res = factory(["validate", "r.yaml"], tmp_path)
    assert (res.returncode, res.stdout.strip()) == (0, "r.yaml: ok"), res.stderr  # a glob is a source, not a missing file
    (tmp_path / "r.yaml").write_text(recipe.replace("prompt: question", "prompt: q"))
    res = factory(["validate", "r.yaml"], tmp_path)
    assert res.returncode == 2 and res.stderr.strip() == ("r.yaml:4: source.fields.prompt: field 'q' is not in the source's first "
                                                          "record (part-0.jsonl:1; its fields: answer, question)")


def test_gpu_training_with_more_workers_than_the_machine_has_gpus_is_refused():
    """Was: only one GPU per worker was compared with the machine's, so train.workers: 4 with use_gpu on a 1-GPU box
    passed, generated the whole run, then Ray Train waited for a placement group of 4 GPUs: the worker group start
    times out after 60 s and the controller retries it without limit (FailureConfig.controller_failure_limit -1)."""
    data = {"train": {"use_gpu": True, "workers": 4}}
    assert local_problems(data, 1) == [
        "train.workers: 4 Ray Train workers take one GPU each but this machine has 1 and the local Ray cannot add nodes; "
        "lower train.workers or run it on a GPU cluster (RAY_ADDRESS=... or `factory submit`)"]
    assert local_problems(data, 4) == [] and local_problems({"train": {"use_gpu": False, "workers": 4}}, 1) == []
    assert [p.split(":")[0] for p in local_problems(data, 0)] == ["train.use_gpu"]  # no GPU at all: one line says so


def test_gpu_pools_larger_than_the_machine_are_refused():
    """Was: only one actor's GPUs were compared with the machine's, so a teacher with replicas: 4 of 1 GPU (or an
    execution pool's min_actors, or the embedder's replicas) on a 1-GPU box passed preflight; Ray Data starts a pool's
    minimum before any row moves and waits for the rest for good."""
    data = {"teacher": {"engine": "hf_local", "num_gpus": 1, "replicas": 4},
            "execution": {"verify": {"num_gpus": 0.5, "min_actors": 3}},
            "dedup": {"embedding": {"num_gpus": 1, "replicas": 2, "device": "cuda"}}}
    tail = "but this machine has 1 and the local Ray cannot add nodes; lower it or run it on a GPU cluster (RAY_ADDRESS=... or `factory submit`)"
    assert local_problems(data, 1) == [
        f"teacher.replicas: 4 actors x 1 GPU(s) = 4 GPUs for the pool's minimum {tail}",
        f"execution.verify.min_actors: 3 actors x 0.5 GPU(s) = 1.5 GPUs for the pool's minimum {tail}",
        f"dedup.embedding.replicas: 2 actors x 1 GPU(s) = 2 GPUs for the pool's minimum {tail}"]
    assert local_problems(data, 4) == []
    # a teacher that fits, and one whose single actor does not fit (said once, by the per-actor line)
    assert local_problems({"teacher": {"engine": "hf_local", "num_gpus": 1, "replicas": 2}}, 2) == []
    assert [p.split(":")[0] for p in local_problems({"teacher": {"engine": "hf_local", "num_gpus": 2, "replicas": 3}}, 1)] == ["teacher.num_gpus"]
