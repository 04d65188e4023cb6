"""`factory decontam` and the benchmark registry on data shaped as users bring it, not as the project writes it:
item ids with spaces, same-named files of a recursive glob, installed entry-point benchmarks, malformed rows of a
factory-shaped corpus, a report folder that cannot take the report."""

from __future__ import annotations

import json
import re
import sys

import pytest

from curation.dedup.benchmarks import load_benchmark, shared_data_file
from curation.dedup.decontam import Decontaminate, DecontamConfig, contamination_report
from curation.dedup.decontam_cli import main as decontam_main
from curation.dedup.decontam_cli import write_report
from factory.cli import main as cli_main
from ground.errors import FactoryError
from ground.record import new_sample

GSM = [json.loads(line) for line in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
A = "Größere Straßenbahnen fahren durch die Innenstadt von München und halten an jeder zweiten Haltestelle heute"
B = "Élodie reads forty pages of her novel each evening before bed and finishes the book after exactly nine evenings"


def _jsonl(path, recs) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return str(path)


def _report(out):
    return json.loads((out / "decontam_report.json").read_text(encoding="utf-8"))


def test_item_ids_with_spaces_are_counted_and_reported(tmp_path, monkeypatch):
    """Was: REASON_RE read an item id as \\S+, so a row matching item "HM 1" (an id_field value, an entry point's
    ids, a glob's "my split.jsonl:0") was left out of contamination_report's counts (the manifest said fewer rows
    were removed than were) and `factory decontam` died on an AssertionError: exit 1, "contaminated", no report."""
    bench = tmp_path / "bench"
    bench.mkdir()
    _jsonl(bench / "items.jsonl", [{"uid": "HM 1", "problem": A, "solution": "ja"}, {"uid": "HM 2", "problem": B, "solution": "360"}])
    (tmp_path / "hbench.py").write_text(
        "from curation.dedup.benchmarks import BenchmarkDef, BenchmarkItem, benchmark_rows\n"
        f"PATH = {str(bench / 'items.jsonl')!r}\n"
        "def load(path):\n"
        "    return [BenchmarkItem(r['uid'], r['problem'] + '\\n' + r['solution'], r['problem'])\n"
        "            for _, _, r in benchmark_rows('hmath', path or PATH, ['uid', 'problem'])]\n"
        "def make():\n"
        "    return BenchmarkDef('hmath', load, expected_items=2, license='CC-BY-SA-4.0 OR MIT')\n", encoding="utf-8")
    dist = tmp_path / "hbench-0.2.dist-info"  # an installed distribution, as pip --target lays it out
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hbench\nVersion: 0.2\n")
    (dist / "entry_points.txt").write_text("[distill_factory.benchmarks]\nhmath = hbench:make\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        rows = [new_sample(stage="g", prompt_id=str(k), sample_index=0, messages=[{"role": "user", "content": t}])
                for k, t in enumerate(["Bitte: " + A.upper(), B + " How many pages?", "nothing"])]
        rows = Decontaminate(DecontamConfig(benchmarks=["hmath"], on="prompt"))(rows)
        assert [r["reject_reason"][:29] if r["reject_reason"] else None for r in rows] == [
            "contaminated: hmath#HM 1 13-g", "contaminated: hmath#HM 2 13-g", None]
        per = contamination_report(rows)["per_benchmark"]["hmath"]
        assert (per["rows"], per["items"], [e["item"] for e in per["examples"]]) == (2, 2, ["HM 1", "HM 2"])

        corpus = _jsonl(tmp_path / "c.jsonl", [{"id": "r1", "q": "Bitte: " + A}, {"id": "r2", "q": B}])
        glob_dir = tmp_path / "g"
        glob_dir.mkdir()
        _jsonl(glob_dir / "my split.jsonl", [{"q": B}])
        _jsonl(glob_dir / "other.jsonl", [{"q": "An unrelated benchmark item about the orbit of the moon around the earth"}])
        rc = decontam_main([corpus, "--field", "q", "--benchmarks", "hmath", f"mine={glob_dir}/*.jsonl:q", "--out", str(tmp_path / "rep")])
        rep = _report(tmp_path / "rep")
        assert rc == 1 and [(m["id"], m["benchmark"], m["item"]) for m in rep["matches"]] == [
            ("r1", "hmath", "HM 1"), ("r2", "hmath", "HM 2")]
        assert rep["per_benchmark"]["hmath"]["rows"] == 2 and rep["benchmarks"][0]["license"] == "CC-BY-SA-4.0 OR MIT"
        m0 = rep["matches"][0]
        assert (m0["field"], m0["start"], m0["text"]) == ("q", 7, A)  # the span as written, non-ASCII kept
        rc = decontam_main([corpus, "--field", "q", "--benchmarks", f"mine={glob_dir}/*.jsonl:q", "--out", str(tmp_path / "rep2")])
        rep = _report(tmp_path / "rep2")
        assert rc == 1 and [(m["id"], m["item"]) for m in rep["matches"]] == [("r2", "my split.jsonl:0")]
        assert "~ mine#my split.jsonl:0 13-gram" in (tmp_path / "rep2" / "decontam_report.txt").read_text(encoding="utf-8")
    finally:
        sys.modules.pop("hbench", None)


def test_same_named_files_of_a_glob_give_distinct_item_ids(tmp_path):
    """Was: `bench/**/test.jsonl` over arc/test.jsonl and obqa/test.jsonl named both first items "test.jsonl:0": the
    report said 2 rows match 1 item, and the item named could be either file's."""
    for sub, text in (("arc", A), ("obqa", B)):
        (tmp_path / sub).mkdir()
        _jsonl(tmp_path / sub / "test.jsonl", [{"q": text}])
    b = load_benchmark({"name": "mine", "path": f"{tmp_path}/**/test.jsonl", "field": "q"})
    assert [it.item_id for it in b.items] == ["arc/test.jsonl:0", "obqa/test.jsonl:0"]
    _jsonl(tmp_path / "one.jsonl", [{"q": A}])  # distinct names keep the short ids (and a declared hash its value)
    _jsonl(tmp_path / "two.jsonl", [{"q": B}])
    assert [it.item_id for it in load_benchmark({"name": "m", "path": f"{tmp_path}/*.jsonl", "field": "q"}).items] == [
        "one.jsonl:0", "two.jsonl:0"]
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": A}, {"q": B}])
    rc = decontam_main([corpus, "--field", "q", "--benchmarks", f"mine={tmp_path}/**/test.jsonl:q", "--out", str(tmp_path / "rep")])
    rep = _report(tmp_path / "rep")
    assert rc == 1 and rep["per_benchmark"]["mine"]["items"] == 2
    assert [m["item"] for m in rep["matches"]] == ["arc/test.jsonl:0", "obqa/test.jsonl:0"]


@pytest.mark.parametrize("rec, says", [
    ({"messages": "not json", "completion": "x"}, r"c.jsonl row 0 \(line 1\): column 'messages' is not valid JSON"),
    ({"messages": ["hello"], "completion": "x"}, r"c.jsonl row 0 \(line 1\): column 'messages' is not a list of chat messages \(a list holding a str\)"),
    ({"messages": {"role": "user"}, "completion": "x"}, r"c.jsonl row 0 \(line 1\): column 'messages' is not a list of chat messages \(a dict\)"),
    ({"messages": [{"role": "user", "content": "hi"}], "completion": 5}, r"c.jsonl row 0 \(line 1\): column 'completion' is not text or a list"),
])
def test_a_malformed_factory_row_is_bad_input_not_contamination(tmp_path, capsys, rec, says):
    """Was: a row with messages + completion whose messages were not JSON, a list of strings or whose completion was
    a number ended in a traceback: exit 1, which `factory decontam` documents as "contaminated rows found"."""
    corpus = _jsonl(tmp_path / "c.jsonl", [rec])
    assert cli_main(["decontam", corpus, "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(says, err[0]), err
    assert not (tmp_path / "rep").exists()


def test_a_chat_row_whose_completion_is_a_message_list_is_checked(tmp_path):
    """A row with a messages list and a completion that is itself a message list (a conversational prompt/completion
    export): was AttributeError ('list' object has no attribute 'startswith'), exit 1; now both are checked."""
    corpus = _jsonl(tmp_path / "c.jsonl", [{"messages": [{"role": "user", "content": "Solve."}],
                                            "completion": [{"role": "assistant", "content": "Sure. " + GSM[1]["question"]}]}])
    rc = decontam_main([corpus, "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")])
    (m,) = _report(tmp_path / "rep")["matches"]
    assert rc == 1 and (m["item"], m["field"], m["start"]) == ("1", "completion[0].content", 6)  # the turn's own string


def test_a_report_name_taken_by_a_folder_leaves_the_old_report_whole(tmp_path):
    """Was: decontam_report.json was renamed in before decontam_report.txt was written; a .txt that could not be
    written (here a folder of that name) left the new .json beside the old .txt, found only after the whole scan."""
    out = tmp_path / "rep"
    (out / "decontam_report.txt").mkdir(parents=True)
    (out / "decontam_report.json").write_text("OLD", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"^--out: cannot write the report in .*rep: .*decontam_report.txt is a folder$"):
        write_report(out, {"decontam_report.json": "NEW", "decontam_report.txt": "NEW"})
    assert (out / "decontam_report.json").read_text(encoding="utf-8") == "OLD" and sorted(p.name for p in out.iterdir()) == [
        "decontam_report.json", "decontam_report.txt"]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("{broken\n", encoding="utf-8")  # the scan would fail on it: the --out check comes first
    with pytest.raises(FactoryError, match=r"^--out: cannot write the report in .*rep: .*decontam_report.txt is a folder$"):
        decontam_main([str(corpus), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(out)])


def test_a_chat_turn_that_is_a_short_item_is_an_exact_copy_beside_other_turns(tmp_path):
    """Was: a chat dataset row's system and user turns became one user message, so a turn that IS a short item
    ("What is the capital of France?", under min_item_tokens) beside a system prompt or an earlier turn was not
    flagged, though the same conversation as a factory row (messages + completion) was."""
    item = "What is the capital of France?"
    bench = _jsonl(tmp_path / "b.jsonl", [{"q": item}, {"q": "Name the largest planet in our solar system please."}])
    corpus = _jsonl(tmp_path / "c.jsonl", [
        {"messages": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": item},
                      {"role": "assistant", "content": "Paris."}]},
        {"conversations": [{"from": "human", "value": "hello there"}, {"from": "gpt", "value": "hi"},
                           {"from": "human", "value": item.upper()}, {"from": "gpt", "value": "Paris."}]},
        {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": item}], "completion": "Paris"},
        {"messages": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": item}], "completion": "Paris"},
        {"messages": [{"role": "user", "content": "What is the capital of Spain?"}, {"role": "assistant", "content": item}]},
    ])
    rc = decontam_main([corpus, "--benchmarks", f"mine={bench}:q", "--out", str(tmp_path / "rep")])
    rep = _report(tmp_path / "rep")
    assert rc == 1 and [(m["row"], m["method"], m["span"]) for m in rep["matches"]] == [
        (k, "exact copy", "what is the capital of france") for k in range(4)]  # an answer alone is no copy (too generic)
    # located in the text as written, like an n-gram match (was: an exact copy had no field, offsets or text)
    # in the turn's own string (was "prompt" 17:46, counted from the system turn joined before it)
    assert [(m["field"], m["start"], m["end"], m["text"]) for m in rep["matches"]] == [
        ("messages[1].content", 0, 29, item[:-1]), ("conversations[2].value", 0, 29, item[:-1].upper()),
        ("prompt[1].content", 0, 29, item[:-1]), ("messages[1].content", 0, 29, item[:-1])]
    assert "exact copy: 'what is the capital of france' at messages[1].content[0:29]" in (tmp_path / "rep" / "decontam_report.txt").read_text()


def test_a_rewritten_item_in_a_chat_row_is_caught_with_its_answer_beside_it():
    """Was: with compare both (factory decontam's default) the template matcher scored the prompt and the answer
    joined, which it was never calibrated on: the rewritten GSM8K item below, flagged with compare prompt, passed
    once its worked answer was beside it. Now the prompt and the completion are scored apart, the best counts; a
    rewritten item that is the completion (a synthesized problem) is caught too, and a plain worked answer is not."""
    q = ("A coat takes 4 rolls of red wool and half that much green wool. How many rolls in total does it take?")
    a = "It takes 4/2=2 rolls of green wool. So the total is 4+2=6.\n#### 6"
    clean = ("Tom has a garden with 12 rows of carrots and plants 3 more rows every week. How many rows after 5 weeks?",
             "He plants 3*5=15 rows. So 12+15=27.\n#### 27")
    rows = [new_sample(stage="g", prompt_id=str(k), sample_index=0, messages=[{"role": "user", "content": p}], completion=c)
            for k, (p, c) in enumerate([(q, a), ("Write a new word problem.", q), clean])]
    out = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="both"))(rows)
    assert [(r["status"], (r["reject_reason"] or "")[:37]) for r in out] == [
        ("rejected", "contaminated: gsm8k_test#1 template s"), ("rejected", "contaminated: gsm8k_test#1 template s"),
        ("accepted", "")]
    assert "a coat takes 4 rolls" in out[0]["reject_reason"] and "4 2 2" not in out[0]["reject_reason"]  # quotes the part that matched


def test_a_field_holding_tool_calls_or_sharegpt_turns_is_matched_as_their_text(tmp_path):
    """Was: --field messages read an assistant turn that only calls a tool as the word "None", its call (where the
    copied problem sat) left out, and --field conversations read each ShareGPT turn as its JSON."""
    from curation.dedup.benchmarks import as_text

    q = GSM[2]["question"]
    call = {"role": "assistant", "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "solve", "arguments": json.dumps({"problem": q})}}]}
    corpus = _jsonl(tmp_path / "c.jsonl", [{"id": "t", "messages": [{"role": "user", "content": "Use the tool."}, call,
                                                                    {"role": "tool", "content": "42"}]}])
    rc = decontam_main([corpus, "--field", "messages", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")])
    (m,) = _report(tmp_path / "rep")["matches"]
    # the turn that calls the tool, as its text is checked: content, then name(arguments)
    assert rc == 1 and m["id"] == "t" and m["text"] == q.rstrip("?") and (m["field"], m["start"]) == ("messages[1]", len('solve({"problem": "'))
    assert as_text([call, None, {"from": "gpt", "value": "ok"}, {"type": "text", "text": "part"}]) == (
        f'solve({json.dumps({"problem": q}, ensure_ascii=False)})\n\nok\npart')


def test_the_text_report_says_how_many_matches_it_leaves_to_the_json(tmp_path):
    """Was: decontam_report.txt listed 20 matches per benchmark and stopped, nothing said that 5 more were left out."""
    qs = [json.loads(line)["question"] for line in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()[:25]]
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": q} for q in qs])
    assert decontam_main([corpus, "--field", "q", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")]) == 1
    text = (tmp_path / "rep" / "decontam_report.txt").read_text(encoding="utf-8")
    assert len(_report(tmp_path / "rep")["matches"]) == 25 and text.count(" ~ gsm8k_test#") == 20
    assert text.rstrip().endswith("  ... and 5 more rows (every match is in decontam_report.json)")


def test_an_entry_point_benchmark_without_a_licence_says_unknown_not_none(tmp_path, monkeypatch):
    """Was: an entry point's BenchmarkDef(license=None) went into the report, manifest and cards as "licence None",
    and one without a description was read "from " nothing."""
    (tmp_path / "nolic.py").write_text(
        "from curation.dedup.benchmarks import BenchmarkDef, BenchmarkItem\n"
        f"DEF = BenchmarkDef('nolic', lambda path: [BenchmarkItem('1', {A!r}, {A!r})], license=None)\n", encoding="utf-8")
    dist = tmp_path / "nolic-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nolic\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[distill_factory.benchmarks]\nnolic = nolic:DEF\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        cov = load_benchmark("nolic").coverage
        assert (cov["license"], cov["source"]) == ("unknown", "the default copy of nolic")
        assert load_benchmark({"name": "nolic", "license": "CC0-1.0"}).coverage["license"] == "CC0-1.0"  # the recipe's word wins
    finally:
        sys.modules.pop("nolic", None)


def test_a_match_in_decomposed_korean_is_located(tmp_path):
    """Was: a row in NFD (Hangul as jamo, as macOS writes text) matched, but word_spans normalised it char by char,
    got other tokens than the whole text, and the report gave no field, offsets or text for the match."""
    import unicodedata

    item = "나는 오늘 아침에 시장에 가서 사과 세 개와 바나나 두 개를 사고 집으로 돌아와서 과일 샐러드를 만들었다"
    row = "前言 « " + unicodedata.normalize("NFD", item) + " » fin"
    bench = _jsonl(tmp_path / "b.jsonl", [{"q": item}])
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": row}])
    assert decontam_main([corpus, "--field", "q", "--benchmarks", f"mine={bench}:q", "--out", str(tmp_path / "rep")]) == 1
    (m,) = _report(tmp_path / "rep")["matches"]
    assert (m["field"], m["start"], m["end"], m["text"]) == ("q", 5, 5 + len(unicodedata.normalize("NFD", item)),
                                                             unicodedata.normalize("NFD", item))


def test_a_bad_row_after_blank_lines_is_named_by_its_line(tmp_path):
    """Was: past a blank line (files joined with `cat`) an error said "row 3" of a jsonl file whose bad record is on
    line 5: the record's count, not the line an editor shows. Now the record's row from 0 (as the report's `row`) and
    its line."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"q": "a"}) + "\n\n" + json.dumps({"q": "b"}) + "\n\n" + json.dumps({"x": "c"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"c.jsonl row 2 \(line 5\): no field 'q' \(fields given with --field: \['q'\]; the row has: x\)$"):
        decontam_main([str(corpus), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")])
    corpus.write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n\n" + json.dumps({"text": "b"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"c.jsonl row 1 \(line 3\): no text to check"):
        decontam_main([str(corpus), "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")])
    bench = tmp_path / "b.jsonl"
    bench.write_text(json.dumps({"q": "one item of the benchmark here"}) + "\n\n\n" + json.dumps({"q": None}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"b.jsonl row 1 \(line 4\) has no field 'q' \(it is null\)$"):
        load_benchmark({"name": "mine", "path": str(bench), "field": "q"})
    assert not (tmp_path / "rep").exists()


def test_cards_warn_of_an_undeclared_source_licence_as_of_undeclared_teacher_terms():
    """Was: an undeclared teacher licence was a WARNING in both cards, an undeclared source licence a quiet
    "licence **not declared**", though the prompts are published in the dataset as much as the completions."""
    from ground.licensing import card_section

    lic = {"source": {"path": "p.jsonl", "license": "not declared"},
           "teachers": [{"name": "t", "model": "m", "license": "Apache-2.0 WITH LLVM-exception", "from": "recipe"}]}
    text = card_section({"licenses": lic})
    assert ("- Prompts: `p.jsonl`, licence **not declared**. **WARNING: the prompts' licence was not declared (recipe: "
            "source.license); check it before publishing.**") in text
    assert "licence or terms of use **Apache-2.0 WITH LLVM-exception** (from the recipe)" in text and text.count("WARNING") == 1
    lic["source"]["license"] = "CC-BY-SA-4.0 OR MIT"
    assert "WARNING" not in card_section({"licenses": lic})


def test_a_registered_name_with_fields_is_refused_not_read_as_an_undeclared_custom_set(tmp_path, capsys):
    """Was: `gsm8k_test=first300.jsonl:question` (or a recipe's {name: gsm8k_test, path, field}) read the copy as a
    custom set under the built-in's name: "gsm8k_test: 300 items (size not declared)", licence unknown, template
    matching off, exit 0, where the same file without the field failed as PARTIAL."""
    from pydantic import ValidationError

    part = _jsonl(tmp_path / "first3.jsonl", GSM)
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "hello"}])
    assert cli_main(["decontam", corpus, "--field", "q", "--benchmarks", f"gsm8k_test={part}:question", "--out", str(tmp_path / "rep")]) == 2
    assert ("error: --benchmarks: benchmark 'gsm8k_test' is registered, with its own fields, size and licence: give its copy "
            "without field (gsm8k_test=PATH), or name a custom set otherwise") in capsys.readouterr().err
    with pytest.raises(ValidationError, match="benchmark 'humaneval' is registered"):
        DecontamConfig(benchmarks=[{"name": "humaneval", "path": part, "field": "question"}])
    assert cli_main(["decontam", corpus, "--field", "q", "--benchmarks", f"gsm8k_test={part}", "--out", str(tmp_path / "rep")]) == 2
    assert "gsm8k_test: 3 of 1,319 items (PARTIAL)" in capsys.readouterr().err
    assert load_benchmark({"name": "gsm8k_mine", "path": part, "field": "question"}).coverage["line"] == "gsm8k_mine: 3 items (size not declared)"
    assert not (tmp_path / "rep").exists()


def test_a_benchmark_item_recited_in_the_reasoning_is_contamination(tmp_path):
    """Was: the n-gram check read the prompt and the completion, never the teacher's reasoning (the row's `reasoning`
    column, a turn's reasoning_content), which is exported and trained on: an item recited while thinking passed,
    in a run and in `factory decontam` of an export or a chat dataset."""
    q = GSM[1]["question"]
    rows = [new_sample(stage="g", prompt_id="p", sample_index=0, messages=[{"role": "user", "content": "Solve it."}],
                       completion="The answer is 3.", reasoning="This is the one I saw: " + q)]
    assert Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="both", template=False))(rows)[0]["reject_reason"].startswith(
        "contaminated: gsm8k_test#1 13-gram")
    assert Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", template=False))(
        [dict(rows[0], status="accepted", reject_reason=None, reject_stage=None)])[0]["status"] == "accepted"  # prompt only: as it was
    corpus = _jsonl(tmp_path / "c.jsonl", [
        {"prompt": "Solve it.", "completion": "3", "reasoning": "I recall: " + q},
        {"messages": [{"role": "user", "content": "Solve it."},
                      {"role": "assistant", "content": "3", "reasoning_content": "Hmm. " + q}]}])
    assert decontam_main([corpus, "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")]) == 1
    assert [(m["row"], m["field"], m["start"], m["text"]) for m in _report(tmp_path / "rep")["matches"]] == [
        (0, "reasoning", 10, q.rstrip("?")), (1, "messages[1].reasoning_content", 5, q.rstrip("?"))]


def test_a_corpus_folder_reads_data_files_in_any_case_and_says_what_it_did_not_read(tmp_path):
    """Was: a folder's DATA.PARQUET was left out (suffixes matched by case; given by name it was read as jsonl and
    failed as not UTF-8), and its .json shards or .csv files were skipped without a word: a clean report for data
    never checked. Hidden folders (a download cache) are not data."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "corpus"
    (corpus / ".cache").mkdir(parents=True)
    pq.write_table(pa.table({"q": [GSM[0]["question"]]}), corpus / "PART-0.PARQUET")
    pq.write_table(pa.table({"q": ["x"]}), corpus / ".cache" / "old.parquet")
    _jsonl(corpus / "more.json", [{"q": GSM[1]["question"]}])
    (corpus / "notes.csv").write_text("q\nhello\n", encoding="utf-8")
    rc = decontam_main([str(corpus), "--field", "q", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")])
    rep = _report(tmp_path / "rep")
    assert rc == 1 and rep["rows"] == 1 and [m["item"] for m in rep["matches"]] == ["0"]
    assert rep["not_read"] == [str(corpus / "more.json"), str(corpus / "notes.csv")]
    assert "WARNING: 2 file(s) of the corpus folder are not .parquet/.arrow/.feather/.jsonl (or .jsonl.gz/.bz2/.xz/.zst/.lz4) and were not checked: " \
        in (tmp_path / "rep" / "decontam_report.txt").read_text(encoding="utf-8")
    assert decontam_main([str(corpus / "PART-0.PARQUET"), "--field", "q", "--benchmarks", "gsm8k_test", "--template", "off",
                          "--out", str(tmp_path / "rep2")]) == 1


def test_an_internal_error_is_exit_3_never_the_contaminated_exit_1(tmp_path, monkeypatch, capsys):
    """Was: any unexpected exception (a bug) ended `factory decontam` with Python's exit 1, which the command
    documents as "contaminated rows found". A fault injected into the scan (a stand-in for any bug) now exits 3."""
    from curation.dedup import decontam_cli

    def broken_scan(*a, **k):  # fault injection: not the real scan
        raise RuntimeError("injected fault")

    monkeypatch.setattr(decontam_cli, "scan", broken_scan)
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "hello"}])
    assert cli_main(["decontam", corpus, "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: injected fault" in err and err.rstrip().endswith(
        "error: factory decontam failed (an internal error, exit 3; not a verdict on the corpus)")
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("bad, says", [
    ({"expected_items": "1,319"}, r"expected_items must be a whole number of items \(1 or more\), got '1,319'"),
    ({"expected_items": 0}, "expected_items must be a whole number of items"),
    ({"path": 3}, "path must be a non-empty string, got 3"),
    ({"id_field": 5}, "id_field must be a non-empty string, got 5"),
    ({"license": ["MIT"]}, "license must be a non-empty string, got \\['MIT'\\]"),
    ({"sha256": "abc"}, "sha256 must be 64 hex digits"),
])
def test_a_custom_benchmark_spec_of_the_wrong_type_is_one_line(tmp_path, bad, says):
    """Was: expected_items "1,319" (a YAML string) ended in ValueError "Cannot specify ',' with 's'.", an int path in
    TypeError "argument of type 'int' is not iterable", an int id_field in AttributeError, all as tracebacks."""
    from pydantic import ValidationError

    spec = {"name": "mine", "path": _jsonl(tmp_path / "b.jsonl", [{"q": A}]), "field": "q", **bad}
    with pytest.raises(ValidationError, match=f"benchmark 'mine': {says}"):
        DecontamConfig(benchmarks=[spec])


def test_a_declared_hash_is_read_in_any_case():
    from curation.dedup.benchmarks import BenchmarkSpec

    assert BenchmarkSpec(name="m", path="x", field="q", sha256="AB" * 32).sha256 == "ab" * 32


def test_an_out_folder_that_cannot_be_made_fails_before_the_scan(tmp_path):
    """Was: --out under a file (a/b where a is a file) failed only after the whole corpus was scanned."""
    (tmp_path / "afile").write_text("x")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("{broken\n", encoding="utf-8")  # the scan would fail on it: the --out check comes first
    with pytest.raises(FactoryError, match=r"^--out: cannot write the report in .*afile/sub/rep: .*afile is a file$"):
        decontam_main([str(corpus), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "afile" / "sub" / "rep")])


def test_a_batch_of_huge_rows_is_bounded_by_its_text_not_only_its_row_count(tmp_path, monkeypatch):
    """Was: rows were checked 5,000 at a time whatever their size, so a corpus of multi-megabyte rows (whole books,
    long traces) held gigabytes at once. Now a batch also ends at BATCH_CHARS characters of text (here lowered)."""
    from curation.dedup import decontam_cli

    monkeypatch.setattr(decontam_cli, "BATCH_CHARS", 25_000)
    big = "Ünïcode filler words here " * 400  # ~10,000 characters a row
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": big}] * 6 + [{"q": big + GSM[0]["question"]}])
    calls = []
    real = Decontaminate.process
    monkeypatch.setattr(Decontaminate, "process", lambda self, rows: calls.append(len(rows)) or real(self, rows))
    assert decontam_main([corpus, "--field", "q", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")]) == 1
    assert calls == [3, 3, 1] and [m["row"] for m in _report(tmp_path / "rep")["matches"]] == [6]


def test_a_parquet_corpus_reads_only_the_text_columns_in_batches_sized_by_bytes(tmp_path, monkeypatch):
    """Was: without --field every column was read (an image column of a multimodal chat set too), 4,096 rows a batch
    whatever their size: rows of a megabyte made batches of gigabytes. Now only the chat/factory columns are read, and a
    batch holds about BATCH_BYTES of them (here lowered)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.dedup import bench_files
    from curation.dedup.decontam_cli import corpus_rows

    n = 40
    msgs = [[{"role": "user", "content": "Solve."}, {"role": "assistant", "content": (f"x{k} " * 300) + (GSM[0]["question"] if k == n - 1 else "")}]
            for k in range(n)]
    pq.write_table(pa.table({"messages": msgs, "image": [b"\x89PNG" + bytes(20_000)] * n, "id": [f"r{k}" for k in range(n)]}),
                   tmp_path / "c.parquet")
    sizes = []
    real = pq.ParquetFile.iter_batches
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", lambda self, **kw: sizes.append((kw["batch_size"], kw["columns"])) or real(self, **kw))
    monkeypatch.setattr(bench_files, "BATCH_BYTES", 10_000)
    rows = [r for _, _, r in corpus_rows([tmp_path / "c.parquet"], [])]
    assert len(rows) == n and rows[-1]["id"] == "r39" and "image" not in rows[0]
    (batch, cols), = sizes
    assert cols == ["messages", "id"] and 1 <= batch < 20  # ~1 KB of text a row: ~10 rows a batch, not 4,096
    assert decontam_main([str(tmp_path / "c.parquet"), "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(tmp_path / "rep")]) == 1
    assert [m["id"] for m in _report(tmp_path / "rep")["matches"]] == ["r39"]
    pq.write_table(pa.table({"question": ["q"], "id": ["a"]}), tmp_path / "qa.parquet")  # no chat column: the error lists the row's
    with pytest.raises(FactoryError, match=r"qa.parquet row 0 \(from 0\): no text to check: .*\(this row has: \['id', 'question'\]\)"):
        list(corpus_rows([tmp_path / "qa.parquet"], []))
