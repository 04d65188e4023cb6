"""teacher.until / budget / filters.keep_pass_rate validation, the per-prompt columns and the wave status, in process."""

from __future__ import annotations

import pytest

from curation.pass_rate import annotate, keep_pass_rate
from factory.budget import BudgetCounter
from factory.recipe import parse_recipe
from factory.waves import Wave
from ground.record import new_sample, reject
from tests.conftest import ROOT

RF = str(ROOT / "r.yaml")  # paths resolve against the repository

BASE = """name: t
source: {path: data/distill_arith/train.jsonl, fields: {messages: msgs}}
teacher:
  model: smollm2-135m-instruct
"""


def errors(text: str) -> str:
    with pytest.raises(Exception) as e:
        parse_recipe(BASE + text, RF)
    return str(e.value)


def test_until_validation():
    r = parse_recipe(BASE + "  until: {verified: 2, max_samples: 8, wave: 3}\n", RF)
    assert r.teacher.until.waves() == [(0, 3), (3, 6), (6, 8)]
    assert "n (4) is not used with until: leave it out or set it to until.max_samples (8)" in errors("  n: 4\n  until: {max_samples: 8}\n")
    assert parse_recipe(BASE + "  n: 8\n  until: {max_samples: 8, wave: 2}\n", RF).teacher.until.wave == 2
    assert "max_samples (2) must be >= wave (3)" in errors("  until: {max_samples: 2, wave: 3}\n")
    assert "verified (3) must be <= max_samples (2)" in errors("  until: {max_samples: 2, verified: 3}\n")
    assert "greater than or equal to 1" in errors("  until: {max_samples: 2, wave: 0}\n")
    assert "greater than or equal to 1" in errors("  until: {max_samples: 2, verified: 0}\n")
    assert "keep_pass_rate must be [lo, hi] with 0 <= lo <= hi <= 1, got [0.9, 0.1]" in errors("filters: {keep_pass_rate: [0.9, 0.1]}\n")
    assert "greater than 0" in errors("budget: {calls: 0}\n")
    assert parse_recipe(BASE + "  prices: {output_per_mtok: 2}\nbudget: {usd: 1.5}\n", RF).budget.usd == 1.5


def test_a_dollar_cap_with_no_priced_teacher_is_refused():
    """Costs come from the teachers' prices only: with none priced every row cost $0 and ``budget: {usd}`` never
    stopped anything (the run went on past the cap, silently). Now a recipe error at budget.usd."""
    msg = errors("budget: {usd: 1.5}\n")
    assert "budget.usd: no teacher has prices" in msg and "budget.calls" in msg
    assert "budget.usd: no teacher has prices" in errors("  prices: {gpu_hour: 2}\nbudget: {usd: 1.5}\n")  # CPU: no GPU time to price
    assert parse_recipe(BASE + "  prices: {gpu_hour: 2}\n  num_gpus: 1\nbudget: {usd: 1.5}\n", RF).budget.usd == 1.5
    assert parse_recipe(BASE + "  prices: {input_per_mtok: 1}\nbudget: {usd: 1.5, calls: 3}\n", RF).budget.calls == 3
    assert parse_recipe(BASE + "budget: {calls: 3}\n", RF).budget.calls == 3                # a call cap needs no prices


def _row(pid: str, k: int, ok: bool | None, cost: float = 0.5) -> dict:
    r = new_sample(stage="s", prompt_id=pid, sample_index=k, messages=[], completion=None if ok is None else "x", cost=cost)
    if ok is None:
        reject(r, "source", "bad JSON")
    elif not ok:
        reject(r, "verify:math_answer", "wrong answer")
    return r


def test_pass_rate_columns_and_filter():
    rows = annotate([_row("a", 0, True), _row("a", 1, False), _row("b", 0, True), _row("b", 1, True), _row("c", 0, None, 0.0)])
    got = {(r["prompt_id"], r["sample_index"]): (r["pass_rate"], r["samples_used"], r["prompt_cost"]) for r in rows}
    assert got == {("a", 0): (0.5, 2, 1.0), ("a", 1): (0.5, 2, 1.0), ("b", 0): (1.0, 2, 1.0), ("b", 1): (1.0, 2, 1.0), ("c", 0): (None, 0, 0.0)}
    out = keep_pass_rate(rows, (0.0, 0.9))
    assert [(r["prompt_id"], r["status"], r["reject_stage"]) for r in out] == [
        ("a", "accepted", None), ("a", "rejected", "verify:math_answer"), ("b", "rejected", "pass_rate"), ("b", "rejected", "pass_rate"),
        ("c", "rejected", "source")]
    assert out[2]["reject_reason"] == "pass rate out of range: 1.000 (2/2 verified) not in [0.0, 0.9]"


def test_wave_status_accumulates_and_skips_done_prompts(tmp_path):
    w0 = Wave(0, 0, 2, verified=1, max_samples=6, store_uri=str(tmp_path))
    w0.write(3, [_row("a", 0, True), _row("a", 1, False), _row("b", 0, False), _row("b", 1, False), _row("c", 0, None), _row("c", 1, None)])
    w1 = Wave(1, 2, 4, verified=1, max_samples=6, store_uri=str(tmp_path))
    st = {d["prompt_id"]: (d["tried"], d["verified"], d["done"]) for d in w1.previous(3).to_pylist()}
    assert st == {"a": (2, 1, True), "b": (2, 0, False), "c": (0, 0, True)}
    w1.write(3, [_row("b", 2, False), _row("b", 3, True)])
    st = {d["prompt_id"]: (d["tried"], d["verified"], d["done"]) for d in Wave(2, 4, 6, 1, 6, str(tmp_path)).previous(3).to_pylist()}
    assert st == {"a": (2, 1, True), "b": (4, 1, True), "c": (0, 0, True)}
    assert (tmp_path / "chunks/wave-001/chunk-000003.parquet").exists()
    with pytest.raises(RuntimeError, match="wave 0 of chunk 4 has no status file"):
        w1.previous(4)


def test_budget_counter_grants_then_stops():
    b = BudgetCounter(calls=10, usd=None)
    assert b.take(8) == (8, None) and b.take(8) == (2, "budget calls 10 reached") and b.take(1) == (0, "budget calls 10 reached")
    u = BudgetCounter(calls=None, usd=1.0)
    assert u.take(5) == (5, None)
    u.spend(1.2)
    assert u.take(5) == (0, "budget usd 1 reached") and u.state() == {"calls": 5, "usd": 1.2, "stopped": "budget usd 1 reached"}
    f = BudgetCounter(calls=10, usd=None)  # calls made beyond the grant (fallback retries) count once reported
    assert f.take(8) == (8, None)
    f.spend(0.0, calls=3)
    assert f.take(1) == (0, "budget calls 10 reached") and f.state()["calls"] == 11


def test_budget_counter_counts_what_earlier_invocations_of_the_run_spent():
    """The caps counted one invocation: a run a cap stopped, re-run with the same cap, got the whole cap again (and
    a crash-and-resume cycle spent it twice). The counter now starts from the earlier invocations' calls and USD."""
    b = BudgetCounter(calls=10, usd=None, earlier_calls=7)
    assert b.take(8) == (3, "budget calls 10 reached (7 by earlier invocations of the run)") and b.state()["calls"] == 3
    assert BudgetCounter(calls=10, usd=None, earlier_calls=10).take(1) == (0, "budget calls 10 reached (10 by earlier invocations of the run)")
    u = BudgetCounter(calls=None, usd=1.0, earlier_usd=0.75)
    assert u.take(5) == (5, None)
    u.spend(0.25)
    assert u.take(1) == (0, "budget usd 1 reached (0.75 by earlier invocations of the run)") and u.state()["usd"] == 0.25


def _transient(pid: str, k: int) -> dict:
    r = new_sample(stage="s", prompt_id=pid, sample_index=k, messages=[], completion=None, cost=0.0)
    return reject(r, "generate", "timeout after 4 attempts: ReadTimeout") or r


def test_a_transient_failure_is_not_a_sample_of_the_prompt():
    """A timeout / 429 / 5xx (no answer, not redone in adaptive waves) counted as a tried sample: a prompt the teacher
    always solves got pass rate 0.5 from [timeout, right] (kept by keep_pass_rate [0, 0.9] as 'sometimes solved'), and
    with until it used up the prompt's max_samples with calls that said nothing about it. A teacher's own failure
    (an empty answer, a refusal: not retryable) still counts."""
    rows = annotate([_transient("a", 0), _row("a", 1, True), _transient("b", 0), _transient("b", 1)])
    got = {(r["prompt_id"], r["sample_index"]): (r["pass_rate"], r["samples_used"]) for r in rows}
    assert got == {("a", 0): (1.0, 1), ("a", 1): (1.0, 1), ("b", 0): (None, 0), ("b", 1): (None, 0)}
    assert [r["reject_stage"] for r in keep_pass_rate(rows, (0.0, 0.9))] == ["generate", "pass_rate", "generate", "generate"]
    refused = new_sample(stage="s", prompt_id="c", sample_index=0, messages=[], completion=None)
    reject(refused, "generate", "refused (not retryable): I can't help with that.")
    assert annotate([refused, _row("c", 1, True)])[0]["pass_rate"] == 0.5
    # waves: k=2 of max 6 in waves of 2; 'a' had a timeout in wave 0: 1 tried, not done, so wave 1 asks samples 2-3
    w0 = Wave(0, 0, 2, verified=2, max_samples=6, store_uri="/tmp/unused")
    st = {d["prompt_id"]: (d["tried"], d["verified"], d["done"]) for d in w0.status(0, [_transient("a", 0), _row("a", 1, True)]).to_pylist()}
    assert st == {"a": (1, 1, False)}


def _unverifiable(pid: str, k: int, accepted: bool) -> dict:
    import json

    r = new_sample(stage="s", prompt_id=pid, sample_index=k, messages=[], completion="42", cost=0.5,
                   verdicts=json.dumps({"judge": {"score": None, "reason": "judge error: HTTP 503 after 3 attempts"}}))
    if not accepted:
        reject(r, "verify:judge", "unverifiable: judge error: HTTP 503 after 3 attempts")
    return r


def test_an_unverifiable_sample_neither_passes_nor_fails_the_prompt():
    """A verifier that could not judge (a judge's 503, a missing reference): kept under accept_unverifiable it counted
    as VERIFIED, so with until.verified 1 every prompt stopped after its first wave with pass rate 1.0 and
    keep_pass_rate [0.1, 0.9] dropped them all as 'always solved'; rejected (the default) it counted as a failure
    (pass rate 0.0: 'never solved'). It is now a sample used (it cost a call) with no verdict."""
    for accepted in (True, False):
        rows = annotate([_unverifiable("a", 0, accepted), _unverifiable("a", 1, accepted), _unverifiable("b", 0, accepted), _row("b", 1, True)])
        got = {(r["prompt_id"], r["sample_index"]): (r["pass_rate"], r["samples_used"], r["prompt_cost"]) for r in rows}
        assert got == {("a", 0): (None, 2, 1.0), ("a", 1): (None, 2, 1.0), ("b", 0): (1.0, 2, 1.0), ("b", 1): (1.0, 2, 1.0)}, accepted
        out = keep_pass_rate(rows, (0.1, 0.9))
        assert [r["reject_stage"] for r in out] == [None if accepted else "verify:judge"] * 2 + [
            "pass_rate" if accepted else "verify:judge", "pass_rate"]
        assert out[3]["reject_reason"] == "pass rate out of range: 1.000 (1/1 verified) not in [0.1, 0.9]"
        w0 = Wave(0, 0, 2, verified=1, max_samples=6, store_uri="/tmp/unused")
        st = {d["prompt_id"]: (d["tried"], d["verified"], d["done"]) for d in w0.status(0, rows).to_pylist()}
        assert st == {"a": (2, 0, False), "b": (2, 1, True)}                   # 'a' is sampled again in wave 1


def test_a_record_repeated_in_a_chunk_is_one_prompt_of_the_waves(tmp_path):
    """Two identical records without ``source.fields.id`` share a prompt id (the record's hash). Each wave expanded
    both: the same request keys twice (paid twice), and both copies' samples counted as tried, so ``max_samples: 4``
    stopped the prompt after samples 0, 0, 1, 1 (a run on the scripted teacher: 8 calls, indices [0, 0, 1, 1])
    instead of 0..3. A prompt is now expanded once per chunk, whatever its copies."""
    from types import SimpleNamespace

    from ground.source import SourceRecord
    from teachers.expand import Expander

    exp = Expander.from_recipe(parse_recipe(BASE + "  until: {verified: 1, max_samples: 4, wave: 1}\n", RF))
    msgs = lambda q: {"msgs": [{"role": "user", "content": q}]}  # noqa: E731
    recs = [SourceRecord(0, msgs("What is 1 + 6?"), where="src:1"), SourceRecord(1, msgs("What is 1 + 6?"), where="src:2"),
            SourceRecord(2, msgs("What is 2 + 2?"), where="src:3")]
    unit, seen = SimpleNamespace(chunk=0), []
    for j in range(4):
        w = Wave(j, j, j + 1, verified=1, max_samples=4, store_uri=str(tmp_path))
        rows = w.rows(unit, exp, recs)
        seen += [(r["prompt_id"] == rows[0]["prompt_id"], r["sample_index"]) for r in rows]
        assert len({r["id"] for r in rows}) == len(rows) == 2, j                 # one row per prompt and wave, ids unique
        for r in rows:
            r["completion"] = "8"
            reject(r, "verify:math_answer", "wrong answer")
        w.write(0, rows)
        st = {d["prompt_id"]: (d["tried"], d["done"]) for d in Wave(j + 1, 0, 0, 1, 4, str(tmp_path)).previous(0).to_pylist()}
        assert st[rows[0]["prompt_id"]] == (j + 1, j == 3), j                   # was (2, False), then (4, True) after wave 1
    assert [i for first, i in seen if first] == [0, 1, 2, 3]                   # the prefix of a fixed n=4 run's samples
    final = {d["prompt_id"]: (d["tried"], d["verified"], d["done"]) for d in Wave(4, 4, 5, 1, 5, str(tmp_path)).previous(0).to_pylist()}
    assert sorted(final.values()) == [(4, 0, True), (4, 0, True)]


def test_keep_pass_rate_refuses_booleans_bare_numbers_and_a_recipe_without_verifiers():
    """``keep_pass_rate: [yes, yes]`` was read as [1.0, 1.0] (the boolean guard of number fields did not look inside a
    pair), a bare ``0.5`` said only "Input should be a valid tuple", and without verifiers every answered sample
    counted as verified: every prompt had pass rate 1.0 and ``[0.1, 0.9]`` silently rejected the whole run."""
    assert "filters.keep_pass_rate: item 0: expected a number, got true (YAML reads" in errors("filters: {keep_pass_rate: [yes, 1]}\n")
    assert "item 1: expected a number, got false" in errors("filters: {keep_pass_rate: [0, no]}\n")
    assert "keep_pass_rate must be [lo, hi] with 0 <= lo <= hi <= 1, got 0.5" in errors("filters: {keep_pass_rate: 0.5}\n")
    assert "got [0.1, 0.5, 0.9]" in errors("filters: {keep_pass_rate: [0.1, 0.5, 0.9]}\n")
    assert "filters.keep_pass_rate: needs verifiers" in errors("filters: {keep_pass_rate: [0.1, 0.9]}\n")
    ok = parse_recipe(BASE + "verifiers: [{name: math_answer}]\nfilters: {keep_pass_rate: [0, 0.5]}\n", RF)
    assert ok.filters.keep_pass_rate == (0.0, 0.5)


def test_a_wave_chunk_redone_without_transient_failures_drops_its_old_count(tmp_path):
    """The writer counts a wave chunk's transient failures (chunks/retry/wave-J/chunk-N.json) before its status and
    marker. A kill in between redoes the chunk; its failed samples (never cached) are asked again, and when they now
    succeed the old count stayed: the manifest's transient_failures and the WARNING reported samples that no row of
    the run failed. The count now goes when the redone chunk has none (as the fixed-n writer did already)."""
    from factory.chunk_writer import write_chunks
    from factory.store import RunStore
    from ground.record import to_table

    root = tmp_path / "runs" / "r" / "id"
    w = Wave(0, 0, 2, verified=1, max_samples=4, store_uri=str(root))
    first = [_transient("a", 0), _row("a", 1, False)]
    for r in first:
        r["chunk"] = 0
    write_chunks(to_table(first), str(root), {0: 2}, w)
    marker = root / "chunks/retry/wave-000/chunk-000000.json"
    assert marker.exists() and RunStore(str(tmp_path / "runs"), "r", "id").wave_retry_counts() == 1
    (root / "chunks/wave-000/chunk-000000.parquet").unlink()           # killed before its marker: the chunk is redone
    again = [_row("a", 0, False), _row("a", 1, False)]
    for r in again:
        r["chunk"] = 0
    write_chunks(to_table(again), str(root), {0: 2}, w)
    assert not marker.exists() and RunStore(str(tmp_path / "runs"), "r", "id").wave_retry_counts() == 0
    assert {d["prompt_id"]: d["tried"] for d in Wave(1, 2, 4, 1, 4, str(root)).previous(0).to_pylist()} == {"a": 2}


def test_greedy_first_decodes_sample_zero_greedily_and_keeps_the_other_streams(tiny_model_path):
    """``sampling.greedy_first``: sample 0 of every prompt at temperature 0 (the teacher's best guess, so waves stop
    early on prompts it knows), the other indices exactly as without the option (same params, same cache keys)."""
    from teachers.base import GenRequest
    from teachers.cache import request_keys
    from teachers.hf_local import HFLocalTeacher
    from teachers.step import sampling_params

    assert "greedy_first needs temperature > 0" in errors("  sampling: {greedy_first: true}\n")
    r = parse_recipe(BASE + "  sampling: {max_tokens: 12, temperature: 0.7, seed: 1, greedy_first: true}\n  until: {max_samples: 4, wave: 2}\n", RF)
    on, off = r.teacher.sampling.model_dump(), {**r.teacher.sampling.model_dump(), "greedy_first": False}
    p_on = [sampling_params(on, k) for k in range(4)]
    p_off = [sampling_params(off, k) for k in range(4)]
    assert [p.temperature for p in p_on] == [0.0, 0.7, 0.7, 0.7] and [p.temperature for p in p_off] == [0.7] * 4
    assert [p.seed for p in p_on] == [1000, 1001, 1002, 1003] and p_on[1:] == p_off[1:]
    msgs = [{"role": "user", "content": "What is 12 + 30?"}]
    k_on = request_keys("hf_local", "m", msgs, [p.to_dict() for p in p_on], list(range(4)))
    k_off = request_keys("hf_local", "m", msgs, [p.to_dict() for p in p_off], list(range(4)))
    assert k_on[0] != k_off[0] and k_on[1:] == k_off[1:]  # a cache of the plain run serves samples 1..3 again
    # the real tiny model: sample 0 is the greedy answer (whatever its seed), sample 1 the sampled stream of index 1
    t = HFLocalTeacher(name="t", model="smollm2-135m-instruct", threads=1)
    g0, s1, s1_off, greedy = t.generate([GenRequest("a", msgs, p_on[0], 0), GenRequest("b", msgs, p_on[1], 1),
                                         GenRequest("c", msgs, p_off[1], 1),
                                         GenRequest("d", msgs, sampling_params({**off, "temperature": 0.0, "seed": 9}, 5), 5)])
    assert g0.text == greedy.text and s1.text == s1_off.text
