"""Prompt synthesis pieces in process: parse rules, template filling and conditioning, the self-consistency
majority and threshold, provenance columns, the recipe section's checks (tests/integration/test_synthesize.py runs
the whole stage on Ray)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ground.errors import RecipeError
from ground.source import FieldMap, SourceRecord
from teachers.expand import provenance, record_id
from teachers.synth import SynthSpec, fill, load_lines, parse_prompts
from tests.conftest import ROOT
from verifiers.answer_key import extractor, extractor_for, majority, math_answer, text_answer
from verifiers.math_answer import MathAnswer


@pytest.mark.parametrize("text, rule, want, problems", [
    ("Sure!\n1. What is 2 + 3?\n2) What is 7 + 1?\n3.", "numbered", ["What is 2 + 3?", "What is 7 + 1?"], ["empty item 3"]),
    ("1. A train leaves at 3.\n   How far does it go?\n2. **Problem:** \"Add 4 and 5.\"", "numbered",
     ["A train leaves at 3.\nHow far does it go?", "Add 4 and 5."], []),
    ("What is 2 + 3? What is 4 + 4?", "numbered", [], ["no numbered item in the completion"]),
    ("New problem: \"What is 12 + 30?\"", "single", ["What is 12 + 30?"], []),
    ("   ", "single", [], ["empty completion"]),
    (None, "numbered", [], ["empty completion"]),
    ("1. " + "x" * 30, "numbered", [], ["item 1 too long: 30 chars > 20"]),
])
def test_parse_rules(text, rule, want, problems):
    assert parse_prompts(text, rule, 20 if "x" * 30 in (text or "") else 2000) == (want, problems)


def test_parse_rule_must_be_known():
    with pytest.raises(ValueError, match="parse rule must be one of"):
        parse_prompts("1. a", "bullets", 100)


def test_shipped_templates_fill_every_field():
    for name in ("self_instruct.txt", "evol_instruct.txt"):
        tpl = (ROOT / "recipes" / "prompts" / name).read_text(encoding="utf-8")
        out = fill(tpl, "What is 2 + 3?", 4, "a baker", "persona")
        assert "What is 2 + 3?" in out and "Write them for this persona: a baker." in out and "{" not in out
    assert "Make them about this topic: trains." in fill("{condition}", "s", 1, "trains", "topic")
    assert fill("{condition}|{persona}|{topic}", "s", 1, None, None) == "||"


def test_conditions_rotate_per_seed_and_request_and_rows_are_requests(tmp_path):
    (tmp_path / "p.txt").write_text("# comment\na baker\n\n  # an indented comment\na pupil\n")
    conds = load_lines("p.txt", tmp_path)
    assert conds == ["a baker", "a pupil"]
    spec = SynthSpec("{seed} x{k} {condition}", "t", "hf_local", "m", {"temperature": 0.9, "max_tokens": 10, "seed": 2},
                     requests=3, k=4, conditions=conds, kind="persona")
    rows = spec.rows("s7", 1, "What is 1 + 2?", chunk=0)
    assert [json.loads(r["source"])["condition"] for r in rows] == ["a pupil", "a baker", "a pupil"]  # (1*3 + j) % 2
    assert [r["sample_index"] for r in rows] == [0, 1, 2] and len({r["request_key"] for r in rows}) == 3
    assert json.loads(rows[0]["messages"]) == [{"role": "user", "content": "What is 1 + 2? x4 Write them for this persona: a pupil."}]
    assert rows == spec.rows("s7", 1, "What is 1 + 2?", chunk=0)  # deterministic: the request cache answers a re-run


def test_majority_agreement_and_threshold():
    math = extractor("math_answer")
    # 3 of 5 agree on 7 ("7.0" and "#### 7" normalise to the same number); a failed sample counts against
    assert majority(["#### 7", "so 7.0", "3 + 4 = 7", "#### 8", None], math) == ("7", 0.6, 3)
    assert majority(["#### 7", "#### 8"], math) == ("7", 0.5, 1)  # a tie goes to the answer seen first
    assert majority(["I cannot tell.", None], math) == (None, 0.0, 0)
    assert majority(["Paris.", " paris", "Lyon"], extractor(None)) == ("paris", 2 / 3, 2)
    assert math_answer("1,000.0 apples") == "1000" and text_answer("  Hello   World. ") == "hello world"
    # the key a majority writes is what the math verifier accepts
    assert MathAnswer().verify({"completion": "It is 0.5", "reference": majority(["#### 1/2", "1/2"], math)[0]}).score == 1.0
    assert extractor_for(["pii", "math_answer"]) == "math_answer" and extractor_for(["judge"]) == "text"
    with pytest.raises(ValueError, match="unknown answer extractor 'nope'"):
        extractor("nope")


def test_provenance_columns_of_synthesized_and_source_records():
    fm = FieldMap(prompt="q", reference="a", id="id")
    synth = {"q": "What is 1 + 2?", "a": "3", "id": "x1", "_synth": json.dumps(
        {"seed_id": "s0", "synth_condition": "persona: a baker", "synth_template_hash": "abc", "synth_teacher": "t",
         "agreement": 0.75, "reference_source": "self_consistency"})}
    assert provenance(synth, "3") == {"synthesized": True, "seed_id": "s0", "synth_condition": "persona: a baker",
                                      "synth_template_hash": "abc", "synth_teacher": "t", "agreement": 0.75,
                                      "reference_source": "self_consistency"}
    assert provenance({"q": "x"}, "3") == {"synthesized": False, "reference_source": "source"}
    assert provenance({"q": "x"}, None) == {"synthesized": False, "reference_source": None}
    assert record_id(SourceRecord(0, synth), fm) == "x1"


def _recipe(tmp: Path, synth: str) -> Path:
    (tmp / "s.jsonl").write_text('{"question": "What is 1 + 2?", "answer": "3"}\n')
    (tmp / "t.txt").write_text("{seed} {k}\n")
    (tmp / "empty.txt").write_text("# personas\n  # none yet\n\n")
    (tmp / "r.yaml").write_text(f"""name: s
source: {{path: s.jsonl}}
prompt: {{template: {ROOT}/recipes/prompts/arith.txt}}
teacher: {{model: smollm2-135m-instruct}}
synthesize: {synth}
""")
    return tmp / "r.yaml"


@pytest.mark.parametrize("synth, loc, msg", [
    ("{template: t.txt, personas: [a], topics: [b]}", "synthesize", "set personas or topics, not both"),
    ("{template: nope.txt}", "synthesize.template", "file not found"),
    ("{template: t.txt, teacher: other}", "synthesize.teacher", "unknown teacher 'other'"),
    ("{template: t.txt, personas: people.txt}", "synthesize.personas", "file not found"),
    ("{template: t.txt, sampling: {temperature: -1}}", "synthesize.sampling", "greater than or equal to 0"),
    ("{template: t.txt, parse: bullets}", "synthesize.parse", "numbered"),
    ("{template: t.txt, personas: empty.txt}", "synthesize.personas", "no entries"),   # only comments: conditioned on nothing
    ("{template: t.txt, topics: []}", "synthesize.topics", "no entries"),
    # were checked only after synthesis had paid for its prompts: a ValueError / pydantic traceback from a Ray worker
    ("{template: t.txt, self_consistency: {extractor: math}}", "synthesize.self_consistency.extractor",
     "unknown answer extractor 'math'; known: ['math_answer', 'text']"),
    ("{template: t.txt, dedup: {minhash: {threshhold: 0.7}}}", "synthesize.dedup.minhash", "threshhold: Extra inputs are not permitted"),
    ("{template: t.txt, dedup: {minhash: {threshold: 7}}}", "synthesize.dedup.minhash", "threshold: Input should be less than or equal to 1"),
])
def test_bad_synthesize_sections_name_the_field(tmp_path, synth, loc, msg):
    from factory.recipe import load_recipe

    with pytest.raises(RecipeError) as e:
        load_recipe(str(_recipe(tmp_path, synth)))
    assert loc in str(e.value) and msg in str(e.value)


def test_a_good_section_validates_with_defaults(tmp_path):
    from factory.recipe import load_recipe

    r = load_recipe(str(_recipe(tmp_path, "{template: t.txt, personas: [a baker], self_consistency: {samples: 3}}")))
    assert r.synthesize.k == 4 and r.synthesize.parse == "numbered" and r.synthesize.self_consistency.min_agreement == 0.6
    assert r.synthesize.dedup.minhash == {"ngram": 3, "threshold": 0.7} and r.synthesize.include_source is True


@pytest.mark.parametrize("text", [
    '["What is 3 + 4?", "How many apples are left?"]',                                   # a JSON list (API teachers)
    '```json\n[{"question": "What is 3 + 4?"}, {"prompt": "How many apples are left?"}]\n```',
    "```\n1. What is 3 + 4?\n2. How many apples are left?\n```",                         # the fence was in item 2
    "**Problem 1:** What is 3 + 4?\n**Problem 2:** How many apples are left?",
    "Q1: What is 3 + 4?\nQ2: How many apples are left?",
    "### 1. What is 3 + 4?\n### 2. How many apples are left?",
    "Here they are:\n- What is 3 + 4?\n* How many apples are left?",                      # bullets, no numbers
])
def test_the_list_forms_teachers_write_are_parsed(text):
    assert parse_prompts(text, "numbered", 2000) == (["What is 3 + 4?", "How many apples are left?"], [])


@pytest.mark.parametrize("text, rule, want", [
    # the answer line joined the prompt ("What is 3 + 4?\nAnswer: 7"): self-consistency agreed on it trivially and
    # the student trained on prompts that state their answers
    ("1. What is 3 + 4?\n   Answer: 7\n2. What is 5 + 5?\n   **Answer:** 10", "numbered", ["What is 3 + 4?", "What is 5 + 5?"]),
    ("Problem 1: What is 3+4?\nSolution: 3+4 = 7\nso 7.\nProblem 2: What is 9-2?\n**Final answer:** 7", "numbered",
     ["What is 3+4?", "What is 9-2?"]),
    ("Rewritten problem: What is 37 * 3?\n\nSolution - 111", "single", ["What is 37 * 3?"]),
    # the teacher's closing remark joined the last prompt
    ("Here are two:\n\n1. What is 3 + 4?\n2. What is 5 + 5?\n\nI hope these help! Let me know if you need more.", "numbered",
     ["What is 3 + 4?", "What is 5 + 5?"]),
    # ... but a teacher that writes multi-paragraph problems keeps them, the last one included, and so does an indented one
    ("1. A farm has 3 fields.\n\nEach has 10 cows. How many?\n\n2. A shop has 4 boxes.\n\nEach has 6 pens. How many?", "numbered",
     ["A farm has 3 fields.\nEach has 10 cows. How many?", "A shop has 4 boxes.\nEach has 6 pens. How many?"]),
    ("1. Q one?\n2. A shop has 4 boxes.\n\n   Each has 6 pens. How many?", "numbered", ["Q one?", "A shop has 4 boxes.\nEach has 6 pens. How many?"]),
    ("1. What is the answer to 2 + 2?\n2. Explain why 3 > 2.", "numbered", ["What is the answer to 2 + 2?", "Explain why 3 > 2."]),
    # a JSON object holding the list (API teachers asked for JSON): was "no numbered item in the completion"
    ('{"problems": ["What is 1 + 1?", {"question": "What is 2 + 2?"}]}', "numbered", ["What is 1 + 1?", "What is 2 + 2?"]),
])
def test_parse_keeps_answers_and_remarks_out_of_prompts(text, rule, want):
    assert parse_prompts(text, rule, 2000) == (want, [])


def test_a_new_prompt_that_is_a_short_eval_item_is_decontaminated(tmp_path):
    """The matcher ignored benchmark items shorter than min_item_tokens (8 by default), so a synthesized prompt that
    was an eval item word for word ("what is 35+6 ?" for "What is 35 + 6?") passed decontamination and was trained
    on. The matcher itself now flags exact copies (case, spacing, punctuation folded) of any item, whatever its
    length; synthesis has no check of its own."""
    from factory.synth_work import ScoreUDF
    from ground.record import ACCEPTED

    bench = tmp_path / "eval.jsonl"
    bench.write_text("".join(json.dumps({"id": f"e{i}", "question": q}) + "\n" for i, q in enumerate(
        ["What is 35 + 6?", "Tom has 3 red apples and 4 green apples in a basket on the table. How many apples does Tom have?"])))
    opts = {"benchmarks": [{"name": "eval_set", "path": str(bench), "field": "question", "id_field": "id"}], "compare": "prompt"}
    udf = ScoreUDF(str(tmp_path), [], opts, None, None, {}, None, None)
    cands = [{"id": i, "prompt": p, "status": ACCEPTED, "reject_step": None, "reject_reason": None} for i, p in
             [("c0", "what is 35+6 ?"), ("c1", "What is 35 + 7?"), ("c2", "What is 36 + 5?"),
              ("c3", "Tom has 3 red apples and 4 green apples in a basket on the table. How many apples does Tom have now?")]]
    udf._decontaminate(cands)
    got = {c["id"]: (c["status"], c["reject_reason"]) for c in cands}
    assert got["c0"] == ("rejected", "contaminated: eval_set#e0 exact copy 'what is 35 + 6'")
    assert got["c1"] == got["c2"] == ("accepted", None)                       # other numbers: not a copy
    assert got["c3"][0] == "rejected" and got["c3"][1].startswith("contaminated: eval_set#e1 13-gram")  # the matcher, as before


def test_synthesis_decontam_protects_the_eval_split_of_a_chat_eval_set(tmp_path):
    """Was: the eval set joined synthesis decontamination with field source.fields.prompt and no split: an eval set
    of chat messages failed to load ("row 1 has no field 'question'") and a folder's train split was protected too."""
    import yaml

    from curation.dedup.decontam import DecontamConfig, Decontaminate
    from factory.recipe import load_recipe
    from factory.synthesize import decontam_options
    from ground.record import new_sample

    ev = tmp_path / "evalset"
    ev.mkdir()
    held = "A baker makes 17 loaves of bread every morning and sells them at the market for four dollars each loaf"
    trained = "Train item about painting fences and ladders in the afternoon sun with two friends from school"
    (ev / "train.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": trained}]}) + "\n")
    (ev / "test.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": held}]}) + "\n")
    doc = yaml.safe_load((ROOT / "recipes" / "synth_arith.yaml").read_text())
    doc["source"]["path"] = str((ROOT / "recipes" / doc["source"]["path"]).resolve())
    for sec, k in [("synthesize", "template"), ("synthesize", "personas"), ("prompt", "template"), ("prompt", "system")]:
        if (doc.get(sec) or {}).get(k):
            doc[sec][k] = str((ROOT / "recipes" / doc[sec][k]).resolve())
    bench = doc["dedup"]["decontam"]["benchmarks"][0]
    bench["path"] = str((ROOT / "recipes" / bench["path"]).resolve())
    doc["eval"] = {"source": {"path": str(ev), "split": "test", "fields": {"messages": "messages"}}, "models": ["teacher"]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(doc))
    opts = decontam_options(load_recipe(str(tmp_path / "r.yaml")))
    assert opts["benchmarks"][-1] == {"name": "eval_set", "path": str(ev), "field": "messages", "split": "test"}
    rows = Decontaminate(DecontamConfig(**opts))([
        new_sample(stage="s", prompt_id=p, sample_index=0, messages=[{"role": "user", "content": "Note: " + t}])
        for p, t in (("a", held), ("b", trained))])
    assert [r["reject_reason"][:45] if r["reject_reason"] else r["status"] for r in rows] == [
        "contaminated: eval_set#0 13-gram 'a baker mak", "accepted"]


def test_a_new_prompt_that_is_a_benchmark_item_with_two_words_changed_is_decontaminated(tmp_path):
    """A synthesized prompt that copied a 28-word benchmark item with two words changed ("each" -> "every", "Monday" ->
    "Tuesday") kept no 13-gram and was no exact copy: decontamination kept it and the student trained on the benchmark.
    It is now dropped as a near copy (half or more of the item's word 3-grams, curation/dedup/near_copy.py); a new
    problem on the same topic, a short item's other numbers and the seeds' own near-duplicates are not copies."""
    from factory.synth_work import ScoreUDF
    from ground.record import ACCEPTED

    item = ("Tom buys 3 boxes of pencils with 12 pencils in each box and then he gives 7 pencils to his sister Ann on "
            "Monday. How many pencils does Tom keep?")
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps({"id": i, "question": q}) + "\n" for i, q in [("q9", item), ("q10", "What is 35 + 6?")]))
    # content_ngram 0: the near-copy share itself (content-word 9-grams would catch c0 first: "each" and "every" are
    # function words; the default is checked at the end)
    opts = {"benchmarks": [{"name": "bench", "path": str(bench), "field": "question", "id_field": "id"}], "compare": "prompt",
            "content_ngram": 0}
    udf = ScoreUDF(str(tmp_path), [], opts, None, None, {}, None, None)
    cands = [{"id": i, "prompt": p, "status": ACCEPTED, "reject_step": None, "reject_reason": None} for i, p in
             [("c0", item.replace("each", "every").replace("Monday", "Tuesday")),
              ("c1", "Tom buys 5 bags of marbles with 20 marbles in every bag. How many marbles does Tom have in all?"),
              ("c2", "What is 35 + 7?"), ("c3", "Compute 6 plus 35.")]]
    udf._decontaminate(cands)
    got = {c["id"]: (c["status"], c["reject_step"], c["reject_reason"]) for c in cands}
    assert got == {"c0": ("rejected", "decontam", "contaminated: bench#q9 near copy c=0.79 'Tom buys 3 boxes of pencils with 12 "
                                                  "pencils in each box and '"),
                   "c1": ("accepted", None, None), "c2": ("accepted", None, None),
                   # a short item's sum reworded: too few 3-grams for the share, caught by what it computes
                   "c3": ("rejected", "decontam", "contaminated: bench#q10 near copy same arithmetic 'compute 6 plus 35'")}
    from curation.dedup.decontam import REASON_RE, contamination_report

    assert REASON_RE.match(got["c3"][2])["item"] == "q10"

    assert REASON_RE.match(got["c0"][2])["item"] == "q9"
    assert contamination_report([{"status": "rejected", "reject_reason": got["c0"][2]}])["per_benchmark"]["bench"]["methods"] == {"near copy": 1}
    opts.pop("content_ngram")  # the default: the same prompt is caught by content-word 9-grams
    cand = [{"id": "c0", "prompt": item.replace("each", "every").replace("Monday", "Tuesday"), "status": ACCEPTED,
             "reject_step": None, "reject_reason": None}]
    ScoreUDF(str(tmp_path), [], opts, None, None, {}, None, None)._decontaminate(cand)
    assert cand[0]["reject_reason"].startswith("contaminated: bench#q9 content 9-gram 'tom buys 3 boxes of pencils with 12 pencils"), cand


def test_a_template_naming_a_field_synthesized_prompts_lack_is_a_recipe_error(tmp_path):
    """The generation template renders the new prompts too, whose records hold only the prompt, reference, id and
    category fields: a template with {level} (a field of the seeds) validated, synthesis paid for the prompts, then
    every new prompt's self-consistency samples were rejected at stage source and each prompt was dropped as "low
    self-consistency: no answer in 0 samples" (generation would have rejected them at source likewise)."""
    from factory.recipe import load_recipe

    f = _recipe(tmp_path, "{template: t.txt}")
    (tmp_path / "s.jsonl").write_text('{"question": "What is 1 + 2?", "answer": "3", "level": "easy"}\n')
    text = f.read_text().replace(f"{{template: {ROOT}/recipes/prompts/arith.txt}}", '{template: "Level {level}: {question}"}')
    f.write_text(text.replace("source: {path: s.jsonl}", "source: {path: s.jsonl, fields: {prompt: question, reference: answer}}"))
    with pytest.raises(RecipeError) as e:
        load_recipe(str(f))
    assert str(e.value).endswith("prompt.template: {level} is not a field of synthesized prompts (synthesize: their records have "
                                 "answer, prompt, question): every new prompt would be rejected at stage source")
    f.write_text(f.read_text().replace("Level {level}: {question}", "Q: {question} ({answer})"))
    assert load_recipe(str(f)).synthesize is not None


def test_a_transient_teacher_failure_stops_a_synthesis_part_and_a_rerun_retries_it(tmp_path):
    """A synthesis request or a self-consistency sample that failed for a transient reason (here HTTP 503 on every
    first attempt, no client retry) was kept as a permanent drop: "teacher error: HTTP 503 ..." for the seed's request,
    a vote for nothing in the majority ("low self-consistency: no answer in 3 samples"), and the re-run reused them.
    The part is now not written (the run stops, saying why); the next attempt retries exactly those requests and
    writes the prompts the teacher gives, with their answer keys."""
    import pyarrow.parquet as pq

    from factory.recipe import load_recipe
    from factory.synth_work import ScoreUDF, SynthUDF
    from factory.synthesize import gen_fields, seeds_of, spec_of
    from ground.source import plan_units
    from teachers.expand import Expander
    from teachers.step import teacher_cfg
    from tests.faults.fault_server import FaultInjectingServer

    (tmp_path / "s.jsonl").write_text('{"id": "s0", "question": "What is 120 + 30?", "answer": "150"}\n')
    with FaultInjectingServer(answer="synth", plan=("503",), retry_after_s=None) as srv:
        import yaml

        teacher = {"name": "scripted", "engine": "openai_compat", "model": "scripted-synth", "sampling": {"max_tokens": 64, "seed": 5},
                   "options": {"base_url": srv.base_url, "timeout_s": 10, "max_retries": 0}}
        (tmp_path / "r.yaml").write_text(yaml.safe_dump({
            "name": "s", "source": {"path": "s.jsonl", "fields": {"prompt": "question", "reference": "answer", "id": "id"}},
            "prompt": {"template": f"{ROOT}/recipes/prompts/arith.txt"}, "teacher": teacher, "verifiers": [{"name": "math_answer"}],
            "synthesize": {"template": f"{ROOT}/recipes/prompts/self_instruct.txt", "k": 6, "self_consistency": {"samples": 3}}}))
        recipe = load_recipe(str(tmp_path / "r.yaml"))
        (unit,) = plan_units(seeds_of(recipe), recipe.base_dir, recipe.synthesize.batch_size)
        spec, cfg = spec_of(recipe, 1)
        store = str(tmp_path / "run")
        write = SynthUDF(spec, cfg, None, seeds_of(recipe).fields, store, "numbered", 2000)
        first = write.part(unit)
        assert json.loads(first["info"])["stopped"].startswith("1 of 1 teacher requests failed with transient errors (HTTP 503")
        assert not (tmp_path / "run/synth/prompts").exists()                     # was: a part holding one "teacher error" reject
        assert json.loads(write.part(unit)["info"]) == {"bad_seeds": 0}
        cands = pq.read_table(tmp_path / "run/synth/prompts/prompts-000000.parquet").to_pylist()
        assert len(cands) == 6 and all(c["reject_step"] is None for c in cands)

        exp = Expander.from_recipe(recipe.model_copy(update={"source": recipe.source.model_copy(update={"fields": gen_fields(recipe)})}))
        for sp in exp.teachers.values():
            sp.n = 3
        cfgs = {n: teacher_cfg(t, recipe.base_dir) for n, t in recipe.all_teachers().items()}
        score = ScoreUDF(store, [], None, {"min_agreement": 0.6, "extractor": "math_answer"}, exp, cfgs, None, None)
        stopped = json.loads(score.part(0)["info"])["stopped"]
        # 6 prompts x 3 samples, every first attempt a 503 (a prompt listed twice shares its 3 requests: asked once)
        assert stopped.startswith("18 of 18 teacher requests failed with transient errors (HTTP 503"), stopped
        assert not (tmp_path / "run/synth/scored").exists()
        assert json.loads(score.part(0)["info"]) == {}
    scored = {c["prompt"]: (c["status"], c["reject_reason"]) for c in pq.read_table(tmp_path / "run/synth/scored/part-000000.parquet").to_pylist()}
    assert not any("no answer in 3 samples" in (why or "") and p.startswith("What is") for p, (_, why) in scored.items()), scored
    assert scored["What is 121 + 32?"][0] == "accepted"
