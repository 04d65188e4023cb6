"""Rows that failed with a transient teacher error (5xx, 429, timeouts, lost connections) are rejects of that run,
and a re-run of the same command retries exactly those rows: the others come from the request cache, nothing
accepted is lost, and once every row has an answer a re-run asks the teacher nothing.

The teacher is ``FaultInjectingServer`` (a fake named as such, to inject faults) on 127.0.0.1: each attempt of each
request answers 503 with probability 0.4, drawn per (request, attempt), so a retried row may fail again."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from teachers.base import transient_failure
from curation.dedup.template_match import THRESHOLD
from tests.conftest import ROOT, run_cli
from tests.faults.fault_server import FaultInjectingServer

pytestmark = pytest.mark.integration

RECIPE = """name: retry
source: {{path: {data}, fields: {{prompt: question, reference: answer}}, limit: 12}}
prompt: {{template: {tmpl}}}
teacher:
  name: flaky
  engine: openai_compat
  model: fake-model
  n: 2
  sampling: {{max_tokens: 16, seed: 3}}
  options: {{base_url: "{url}", concurrency: 4, timeout_s: 10, max_retries: 0}}
accept_unverifiable: true
output: {{dir: {out}, shard_size: 4}}
"""


def _rows(run: Path, kind: str) -> list[dict]:
    return [r for f in sorted((run / kind).glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.mark.slow  # two full runs (~1.3 min); transient failures in the default run: test_adaptive_waves_count_transient_failures_and_say_a_rerun_does_not_redo_them, tests/unit/test_openai_servers.py
def test_a_rerun_retries_only_the_rows_that_failed_transiently(tmp_path):
    with FaultInjectingServer(rate_503=0.4, seed=11) as srv:
        recipe = tmp_path / "r.yaml"
        recipe.write_text(RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                                        url=srv.base_url, out=tmp_path / "out"))
        accepted_before: set[str] = set()
        failed_before = None
        for attempt in range(8):
            before = srv.stats()["requests"]
            r = run_cli("run", str(recipe), timeout=600)
            assert r.returncode == 0, r.stderr[-3000:]
            (run,) = list((tmp_path / "out" / "retry").iterdir())
            acc, rej = _rows(run, "accepted"), _rows(run, "rejects")
            failed = [x for x in rej if x["reject_stage"] == "generate"]
            assert len(acc) + len(rej) == 24 and all(x["reject_reason"].startswith("HTTP 503 after 1 attempt: ") for x in failed)
            if failed_before is not None:
                assert srv.stats()["requests"] - before == failed_before  # only the failed rows asked the teacher again
            assert accepted_before <= {x["id"] for x in acc}  # nothing accepted earlier is lost
            gen = json.loads((run / "manifest.json").read_text())["generation"]
            markers = sorted(p.name for p in (run / "chunks" / "retry").glob("*.json")) if (run / "chunks" / "retry").exists() else []
            assert markers == sorted(f"chunk-{c:06d}.json" for c in {x["chunk"] for x in failed})
            assert gen.get("transient_failures", 0) == len(failed)
            if failed:
                assert "re-run the same command to retry only those rows" in r.stderr
            if not failed:
                break
            accepted_before, failed_before = {x["id"] for x in acc}, len(failed)
        assert not failed and attempt >= 1  # some rows failed at first, and re-runs got them all
        before = srv.stats()["requests"]
        r = run_cli("run", str(recipe), timeout=600)
        assert r.returncode == 0 and srv.stats()["requests"] == before  # everything answered: nothing asked again
        assert len(_rows(run, "accepted")) == 24


@pytest.mark.slow  # two subprocess runs (~1 min); transient failures in waves: tests/unit/test_adaptive_config.py::test_a_transient_failure_is_not_a_sample_of_the_prompt
def test_adaptive_waves_count_transient_failures_and_say_a_rerun_does_not_redo_them(tmp_path):
    """teacher.until: a failed sample counts as tried (the next wave asks new ones); the run counts and says so."""
    with FaultInjectingServer(rate_503=0.4, seed=11) as srv:
        recipe = tmp_path / "r.yaml"
        text = RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                             url=srv.base_url, out=tmp_path / "out")
        recipe.write_text(text.replace("  n: 2\n", "  n: 4\n  until: {verified: 1, max_samples: 4, wave: 2}\n"))
        r = run_cli("run", str(recipe), timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        (run,) = list((tmp_path / "out" / "retry").iterdir())
        failed = [x for x in _rows(run, "rejects") if x["reject_stage"] == "generate"]
        assert failed and all(x["reject_reason"].startswith("HTTP 503 after 1 attempt: ") for x in failed)
        gen = json.loads((run / "manifest.json").read_text())["generation"]
        assert gen["transient_failures"] == len(failed) and gen.get("chunks_to_retry") is None
        marked = sum(json.loads(p.read_text())["transient_failures"] for p in (run / "chunks" / "retry").glob("wave-*/*.json"))
        assert marked == len(failed) and not list((run / "chunks" / "retry").glob("*.json"))
        assert f"{len(failed)} samples of adaptive waves failed with transient teacher errors" in r.stderr
        assert "a re-run does not redo them" in r.stderr


@pytest.mark.parametrize("reason, transient", [
    ("HTTP 503 after 4 attempts: injected 503", True), ("HTTP 429 after 1 attempt: slow down", True),
    ("timeout after 2 attempts: no complete answer within timeout_s=1", True), ("connection error after 4 attempts: x", True),
    ("error 429 in a 200 reply after 3 attempts: busy", True), ("empty choices after 4 attempts: ", True),
    ("HTTP 400 after 1 attempt (not retryable): bad", False), ("error 400 in a 200 reply after 1 attempt (not retryable): no", False),
    ("response too large after 1 attempt (not retryable): 40 MiB", False), ("finish_reason 'length' after 4 attempts: ", False),
    ("HTTP 404 after 1 attempt (not retryable): not found", False), (None, False), ("internal error: ValueError", False),
    ("HTTP 401 after 1 attempt (not retryable): invalid api key", True),  # fixed in the environment, not the recipe
    ("HTTP 403 after 1 attempt (not retryable): forbidden", True)])
def test_which_generate_errors_are_transient(reason, transient):
    assert transient_failure(reason) is transient


def test_a_decontam_judge_that_fails_its_probe_is_reported_not_used_in_the_manifest(tmp_path, ray_local):
    """The curation actors ask the decontamination judge 6 known pairs before trusting it; an always-YES judge (the
    fault-injecting server's "yes") gets 3 right and is not used. The manifest says so, and its coverage's checks say
    NOT USED, where they said "+ LLM judge" (the driver's coverage never saw the actors' probe)."""
    from factory.pipeline import run_recipe

    with FaultInjectingServer() as teacher, FaultInjectingServer(retry_after_s=None, answer="yes") as judge:
        recipe = tmp_path / "r.yaml"
        text = RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                             url=teacher.base_url, out=tmp_path / "out")
        recipe.write_text(text + f"""dedup:
  decontam:
    benchmarks: [gsm8k_test]
    template_judge_from: -2
    judge: {{engine: openai_compat, model: judge-z, options: {{base_url: "{judge.base_url}"}}}}
""")
        res = run_recipe(str(recipe))
    con = json.loads((Path(res.run_dir) / "manifest.json").read_text())["contamination"]
    assert con["judge_probe"] == {"right": 3, "asked": 6, "used": False}
    assert con["benchmarks"][0]["checks"][-1] == f"template matching >= {THRESHOLD:g} (+ LLM judge NOT USED: it got 3 of 6 known pairs right)"
