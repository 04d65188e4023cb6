"""Prompt synthesis end to end on a real local Ray: a scripted teacher (tests/faults/synth_script.py, a fake named
as such, over real HTTP on 127.0.0.1) writes numbered lists from seeds; the stage drops duplicates of seeds and
of each other, a benchmark item, and prompts without a self-consistent answer; kept prompts carry provenance
and a self-consistency answer key the math verifier checks; a resumed run makes no teacher call again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT
from tests.faults.fault_server import FaultInjectingServer
from tests.faults.synth_script import synth_list

SEEDS = [(120, 30), (300, 40), (510, 60)]


def _recipe(tmp: Path, base_url: str) -> Path:
    (tmp / "seeds.jsonl").write_text("".join(json.dumps({"id": f"s{i}", "question": f"What is {a} + {b}?", "answer": str(a + b)}) + "\n"
                                             for i, (a, b) in enumerate(SEEDS)))
    a, b = SEEDS[0]
    bench = synth_list(a, b, 0)[5]  # seed 0's last new prompt is a benchmark item
    (tmp / "bench.jsonl").write_text(json.dumps({"question": bench}) + "\n" + json.dumps({"question": "What is 1 + 1000000?"}) + "\n")
    text = f"""
name: synth_test
source: {{path: seeds.jsonl, fields: {{prompt: question, reference: answer, id: id}}}}
prompt: {{template: {ROOT}/recipes/prompts/arith.txt}}
teacher:
  name: scripted
  engine: openai_compat
  model: scripted-synth
  n: 2
  sampling: {{max_tokens: 64, temperature: 0.7, seed: 5}}
  options: {{base_url: "{base_url}", concurrency: 8, timeout_s: 10, max_retries: 2}}
verifiers: [{{name: math_answer}}]
synthesize:
  template: {ROOT}/recipes/prompts/self_instruct.txt
  personas: [a baker, a pupil]
  per_seed: 1
  k: 6
  batch_size: 2
  self_consistency: {{samples: 5, min_agreement: 0.6}}
dedup:
  decontam: {{benchmarks: [{{name: bench, path: bench.jsonl, field: question}}], compare: prompt, min_item_tokens: 4}}
output: {{dir: {tmp}/runs, shard_size: 4}}
"""
    (tmp / "recipe.yaml").write_text(text)
    return tmp / "recipe.yaml"


def _table(run: Path, sub: str) -> list[dict]:
    return [r for f in sorted((run / sub).glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.mark.integration
def test_synthesis_dedups_decontaminates_self_grades_and_resumes(tmp_path, ray_local):
    from factory.pipeline import run_recipe

    with FaultInjectingServer(answer="synth") as srv:
        recipe = _recipe(tmp_path, srv.base_url)
        res = run_recipe(str(recipe))
        calls_first = srv.stats()["requests"]
        assert res.status == "succeeded"
        run = Path(res.run_dir)
        man = json.loads((run / "manifest.json").read_text())
        syn = man["synthesis"]
        cands = {r["id"]: r for r in _table(run, "synth/prompts")}
        rejects = {r["id"]: r for r in _table(run, "synth/rejects")}
        assert syn["candidates"] == len(cands) == 6 * len(SEEDS)  # 6 items per seed, one request each
        by_text: dict[str, list[dict]] = {}
        for c in cands.values():
            by_text.setdefault(c["prompt"], []).append(c)
        for i, (a, b) in enumerate(SEEDS):
            items = synth_list(a, b, 0)
            # the seed copy: an exact duplicate of the seed, named as such
            (copy,) = by_text[items[0]]
            assert rejects[copy["id"]]["reject_step"] == "dedup_exact"
            assert rejects[copy["id"]]["reject_reason"] == f"exact duplicate of seed s{i}"
            # the same new prompt twice: one survives, the other names it
            pair = by_text[items[1]]
            dropped = [c for c in pair if c["id"] in rejects]
            kept = [c for c in pair if c["id"] not in rejects]
            assert len(dropped) == 1 and len(kept) == 1
            assert rejects[dropped[0]["id"]]["reject_reason"] == f"exact duplicate of synthesized prompt {kept[0]['id']}"
            # the same words with other spacing: MinHash near-duplicate of the survivor
            (near,) = by_text[items[3]]
            assert rejects[near["id"]]["reject_step"] == "minhash"
            assert kept[0]["id"] in rejects[near["id"]]["reject_reason"]
        # seed 0's benchmark item is decontaminated; the other seeds' last items are not
        (bench_row,) = by_text[synth_list(*SEEDS[0], 0)[5]]
        assert rejects[bench_row["id"]]["reject_step"] == "decontam"
        assert rejects[bench_row["id"]]["reject_reason"].startswith("contaminated: bench#0")
        # "Name a colour you like." (3 copies): one survives dedup and has no self-consistent answer
        colours = by_text["Name a colour you like."]
        sc = [rejects[c["id"]] for c in colours if rejects[c["id"]]["reject_step"] == "self_consistency"]
        assert len(sc) == 1 and sc[0]["reject_reason"] == "low self-consistency: no answer in 5 samples"
        assert syn["rejects"]["dedup_exact"] == 3 + 3 + 2 and syn["rejects"]["minhash"] == 3
        assert syn["rejects"]["decontam"] == 1 and syn["kept"] == len(cands) - sum(syn["rejects"].values())
        assert syn["agreement"]["n"] == syn["kept"] and syn["agreement"]["min"] >= 0.6
        _check_decision_files(run, cands, rejects)
        _check_rows(run, man, syn)

        # resume: the same command pays the teacher nothing, and rewrites nothing of the stage
        mtimes = {f: f.stat().st_mtime_ns for f in (run / "synth").rglob("*.parquet")}
        res2 = run_recipe(str(recipe))
        assert srv.stats()["requests"] == calls_first
        assert json.loads((Path(res2.run_dir) / "manifest.json").read_text())["synthesis"]["reused"] is True
        assert {f: f.stat().st_mtime_ns for f in (run / "synth").rglob("*.parquet")} == mtimes

        # a run killed after writing prompts: the parts are not regenerated, self-consistency comes from the cache
        (run / "synth" / "summary.json").unlink()
        for f in (run / "synth" / "scored").glob("*"):
            f.unlink()
        res3 = run_recipe(str(recipe))
        syn3 = json.loads((Path(res3.run_dir) / "manifest.json").read_text())["synthesis"]
        assert srv.stats()["requests"] == calls_first
        assert syn3["parts_written"] == 0 and syn3["sc_teacher_calls"] == 0 and syn3["sc_cache_hits"] > 0
        assert syn3["kept"] == syn["kept"]


@pytest.mark.slow  # two synthesis runs (~25 s); synthesis recipe errors: tests/unit/test_synth.py
@pytest.mark.integration
def test_no_prompt_kept_without_the_source_is_a_synthesis_error(tmp_path, ray_local):
    """Every parsed prompt too long and include_source: false: the error named synthesis, not generation's
    internal source ("source.path: .../synth/final has no rows", a path the user never wrote); a re-run says it too."""
    from factory.pipeline import run_recipe
    from ground.errors import FactoryError

    with FaultInjectingServer(answer="synth") as srv:
        recipe = _recipe(tmp_path, srv.base_url)
        recipe.write_text(recipe.read_text().replace("  batch_size: 2\n", "  batch_size: 2\n  max_chars: 5\n  include_source: false\n"))
        for _ in range(2):
            with pytest.raises(FactoryError, match=r"^synthesize: no new prompt was kept \(18 candidates, dropped by step: \{'parse': 18\}.*include_source is false"):
                run_recipe(str(recipe), skip_train=True, skip_eval=True)


@pytest.mark.slow  # a second synthesis run (~30 s); synthesis dedup: test_synthesis_dedups_decontaminates_self_grades_and_resumes
@pytest.mark.integration
def test_a_seed_repeated_without_an_id_gets_its_own_candidate_ids(tmp_path, ray_local):
    """Seed 0 twice in a seeds file without an id field: both copies have the same seed id (the record's hash), and
    candidate ids were hash(seed id, request, position), so the copies' candidates shared ids and the dedup
    decisions (by id) let a near-duplicate through ("What is 121 + 32 ?" next to "What is 121 + 32?")."""
    from factory.pipeline import run_recipe

    with FaultInjectingServer(answer="synth") as srv:
        recipe = _recipe(tmp_path, srv.base_url)
        recipe.write_text(recipe.read_text().replace(", id: id}", "}").replace("personas: [a baker, a pupil]", "personas: [a baker]"))
        lines = (tmp_path / "seeds.jsonl").read_text().splitlines(True)
        (tmp_path / "seeds.jsonl").write_text("".join(lines + lines[:1]))
        run = Path(run_recipe(str(recipe), skip_train=True, skip_eval=True).run_dir)
    cands = _table(run, "synth/prompts")
    assert len(cands) == 6 * 4 and len({c["id"] for c in cands}) == len(cands)
    final = [json.loads(line)["question"] for f in sorted((run / "synth" / "final").glob("synth-*.jsonl"))
             for line in f.read_text().splitlines() if line]
    assert sorted(final) == ["What is 121 + 32?", "What is 301 + 42?", "What is 304 + 47?", "What is 511 + 62?", "What is 514 + 67?"]


def _check_decision_files(run: Path, cands: dict, rejects: dict) -> None:
    """The dedup drops are on disk per step and part (synth/dedup/NN-step/chunk-N/), each with the reason its
    reject row carries, and only in the part its prompt belongs to."""
    files = sorted((run / "synth" / "dedup").glob("*/chunk-*/*.parquet"))
    on_disk = [(f.parts[-3].split("-", 1)[1], int(f.parts[-2].split("-")[1]), r) for f in files for r in pq.read_table(f).to_pylist()]
    assert {s for s, _, _ in on_disk} == {"dedup_exact", "minhash"}
    assert len(on_disk) == sum(1 for r in rejects.values() if r["reject_step"] in ("dedup_exact", "minhash")) == 3 + 3 + 2 + 3
    for step, part, d in on_disk:
        assert cands[d["id"]]["part"] == part
        assert (rejects[d["id"]]["reject_step"], rejects[d["id"]]["reject_reason"]) == (step, d["reason"])


def _check_rows(run: Path, man: dict, syn: dict) -> None:
    tpl = (ROOT / "recipes" / "prompts" / "self_instruct.txt").read_text(encoding="utf-8")
    rows = _table(run, "accepted") + _table(run, "rejects")
    new = [r for r in rows if r["synthesized"]]
    assert {r["prompt_id"] for r in new} and len({r["prompt_id"] for r in new}) == syn["kept"]
    for r in new:
        assert r["seed_id"] in {"s0", "s1", "s2"} and r["synth_teacher"] == "scripted"
        assert r["synth_condition"] in {"persona: a baker", "persona: a pupil"}
        assert r["synth_template_hash"] == hashlib.sha256(tpl.encode()).hexdigest()[:16]
        assert r["reference_source"] == "self_consistency" and r["agreement"] >= 0.6
        q = json.loads(r["messages"])[-1]["content"]
        a, b = (int(x) for x in q.strip().removeprefix("What is ").rstrip("?").split(" + "))
        assert r["reference"] == str(a + b)  # the majority of the scripted teacher's answers is the true sum
    seeds = [r for r in rows if not r["synthesized"]]
    assert len({r["prompt_id"] for r in seeds}) == 3 and all(r["reference_source"] == "source" for r in seeds)
    acc = [r for r in _table(run, "accepted") if r["synthesized"]]
    assert acc and all(json.loads(r["verdicts"])["math_answer"]["score"] == 1.0 for r in acc)
    assert man["counts"]["synthesized_accepted"] == len(acc)
    assert man["counts"]["synthesized_rejected"] == len(new) - len(acc)


@pytest.mark.slow  # two runs (~1 min); the run-wide counter: tests/unit/test_adaptive_config.py, synthesis: test_synthesis_dedups_decontaminates_self_grades_and_resumes
@pytest.mark.integration
def test_the_run_budget_counts_synthesis_calls(tmp_path, ray_local):
    """``budget: {calls}`` caps prompt synthesis too (it made 37 requests under ``calls: 4``): a cap reached while
    writing prompts (2: one request a seed, 2 seeds a part) or, on the re-run, during self-consistency (9: the
    writes left, then 5 samples a prompt) stops the run there with no unfinished part written; a bigger budget
    then continues without paying any request again. The cap is run-wide: the re-run's cap of 11 leaves 9 calls
    after the first invocation's 2 (manifest paid_calls counts synthesis calls)."""
    from factory.pipeline import run_recipe

    with FaultInjectingServer(answer="synth") as srv:
        recipe = _recipe(tmp_path, srv.base_url)
        text = recipe.read_text()
        run, sent = None, 0
        for cap, calls in ((2, 2), (11, 9)):
            recipe.write_text(text + f"budget: {{calls: {cap}}}\n")
            res = run_recipe(str(recipe), skip_train=True, skip_eval=True)
            why = f"budget calls {cap} reached" + (f" ({sent} by earlier invocations of the run)" if sent else "")
            assert (res.status, res.stopped) == ("stopped", why)
            assert srv.stats()["requests"] - sent == calls  # the cap counts the run's calls, earlier invocations' too
            run = Path(res.run_dir)
            man = json.loads((run / "manifest.json").read_text())
            assert man["status"] == "stopped" and man["synthesis"]["stopped"] == why
            assert man["paid_calls"] == {"this_invocation": calls, "earlier_invocations": sent, "run_total": cap}
            sent = srv.stats()["requests"]
            assert not (run / "synth" / "summary.json").exists() and not (run / "chunks").exists()
            assert not list(run.rglob("*.tmp-*"))
            prompts = list((run / "synth" / "prompts").glob("*.parquet"))
            if cap == 2:  # at most one of the two parts finished its writes; nothing was scored
                assert len(prompts) <= 1 and not (run / "synth" / "scored").exists()
            else:  # every part wrote its prompts; scoring stopped short of the last part
                assert len(prompts) == 2 and len(list((run / "synth" / "scored").glob("*.parquet"))) < 2

        recipe.write_text(text + "budget: {calls: 1000}\n")
        res2 = run_recipe(str(recipe), skip_train=True, skip_eval=True)
        assert res2.status == "succeeded" and Path(res2.run_dir) == run
        assert max(srv.stats()["attempts_by_key"].values()) == 1  # no request was paid twice
        assert json.loads((run / "manifest.json").read_text())["synthesis"]["kept"] > 0
