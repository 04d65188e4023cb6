"""`factory decontam` as a user types it (acceptance round "lo"): the corpus after `--benchmarks`, `--compare` with
`--field`, a field copied from the report (`messages[1].content`), a custom benchmark's id and prompt fields on the
command line, errors that say what a row has, template matches that name their field, one numbering of rows."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup.benchmarks import shared_data_file
from curation.dedup.decontam_cli import main
from ground.errors import FactoryError
from tests.conftest import run_cli

GSM = [json.loads(x) for x in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()[:12]]
Q4, Q10 = GSM[4]["question"], GSM[10]["question"]
LEAD = "Tell me: "
# a hand-written rewrite of GSM8K test item 7 (every value, the names and some wording changed): template matching's
REWRITE_7 = ("Maria is downloading a 350 GB file. Usually she can download 5 GB/minute, but 60% of the way through the "
             "download, her computer forces a restart to install updates, which takes 15 minutes. Then Maria must restart "
             "the download from the start. How long does it take to download the file?")


def _jsonl(path, recs) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return str(path)


def _report(out) -> tuple[dict, str]:
    return (json.loads((out / "decontam_report.json").read_text(encoding="utf-8")),
            (out / "decontam_report.txt").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- 1. the corpus after --benchmarks
def test_a_corpus_typed_after_the_benchmarks_is_the_corpus(tmp_path):
    """Was: `factory decontam --benchmarks gsm8k_test corpus.jsonl` (nargs='+') took the corpus for a second benchmark
    and failed with "the following arguments are required: corpus". The last --benchmarks value that is no benchmark
    but an existing file, glob or URI is the corpus; `CORPUS --benchmarks a b` is as it was."""
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "clean"}, {"q": LEAD + Q4}])
    out = tmp_path / "rep"
    r = run_cli("decontam", "--benchmarks", "gsm8k_test", corpus, "--field", "q", "--template", "off", "--out", str(out), timeout=300)
    assert r.returncode == 1, r.stderr[-2000:]
    rep, _ = _report(out)
    assert rep["files"] == [corpus] and [b["name"] for b in rep["benchmarks"]] == ["gsm8k_test"]
    assert [(m["row"], m["item"]) for m in rep["matches"]] == [(1, "4")]
    # a glob as the last value, and options after it
    assert main(["--benchmarks", "gsm8k_test", str(tmp_path / "*.jsonl"), "--field", "q", "--template", "off", "--out", str(out)]) == 1
    assert _report(out)[0]["files"] == [corpus]
    # the corpus first, several benchmarks: both are benchmarks, as before
    bench = _jsonl(tmp_path / "b.jsonl", [{"problem": GSM[0]["question"]}])
    assert main([corpus, "--benchmarks", "gsm8k_test", f"mine={bench}:problem", "--field", "q", "--template", "off", "--out", str(out)]) == 1
    assert [b["name"] for b in _report(out)[0]["benchmarks"]] == ["gsm8k_test", "mine"]


def test_no_corpus_is_one_line_that_names_the_fix(tmp_path):
    out = str(tmp_path / "rep")
    r = run_cli("decontam", "--benchmarks", "gsm8k_test", str(tmp_path / "missing.jsonl"), "--out", out, timeout=300)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: no corpus given: {tmp_path / 'missing.jsonl'!s}, the last value of --benchmarks, is not a benchmark nor an "
        "existing file; give the corpus first: factory decontam CORPUS --benchmarks NAME [NAME ...]"]
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "clean"}])
    with pytest.raises(FactoryError, match=r"^no benchmark given: --benchmarks holds only the corpus .*c\.jsonl; name a benchmark: "
                                           r"factory decontam CORPUS --benchmarks gsm8k_test$"):
        main(["--benchmarks", corpus, "--out", out])
    with pytest.raises(FactoryError, match=r"^no corpus given: gsm8k_test, the last value of --benchmarks, is a benchmark"):
        main(["--benchmarks", "gsm8k_test", "--out", out])
    with pytest.raises(FactoryError, match=r"^no corpus given: mine=b\.jsonl:q, the last value of --benchmarks, is a benchmark; give the"):
        main(["--benchmarks", "gsm8k_test", "mine=b.jsonl:q", "--out", out])
    # a path that holds '=' (a Hive partition folder) is a path when it exists
    part = tmp_path / "date=2024-01-01"
    part.mkdir()
    _jsonl(part / "c.jsonl", [{"q": "clean"}])
    assert main(["--benchmarks", "gsm8k_test", str(part), "--field", "q", "--template", "off", "--out", out]) == 0


# ----------------------------------------------------------------------------- 2. --compare with --field
def test_compare_with_field_is_refused_and_help_says_so(tmp_path, capsys):
    """Was: `--field q --compare completion` checked q and said nothing of --compare: with --field the text checked
    is the named fields, so --compare has nothing to choose from. One line, exit 2; --help says it."""
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": Q4}])
    r = run_cli("decontam", corpus, "--field", "q", "--compare", "completion", "--benchmarks", "gsm8k_test",
                "--out", str(tmp_path / "rep"), timeout=300)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        "error: --compare does not apply with --field: the --field text is what is checked (drop --compare; without --field a "
        "chat or factory row's prompt and completion are checked per --compare)"]
    assert not (tmp_path / "rep").exists()
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "without --field: which text of a chat or factory row to check (default both); refused with --field" in help_text


# ----------------------------------------------------------------------------- 3. the report's field names in --field
def test_field_takes_the_report_s_own_names_with_list_indices(tmp_path):
    """Was: `--field messages[1].content`, the name the report gives a match, was "no field 'messages[1].content'"."""
    rows = [{"id": "a", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": LEAD + Q4}]},
            {"id": "b", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": LEAD + Q10}]}]
    out = tmp_path / "rep"
    for corpus in (_jsonl(tmp_path / "c.jsonl", rows), tmp_path / "c.parquet"):
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c.parquet")
        assert main([str(corpus), "--field", "messages[1].content", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(out)]) == 1
        rep, text = _report(out)
        assert [(m["id"], m["field"], m["start"], m["text"]) for m in rep["matches"]] == [
            ("a", "messages[1].content", len(LEAD), Q4[:-1]), ("b", "messages[1].content", len(LEAD), Q10[:-1])]
        assert f"at messages[1].content[{len(LEAD)}:{len(LEAD) + len(Q4) - 1}]" in text
    # only that turn is read: a copy in another turn is not this field's
    assert main([str(tmp_path / "c.jsonl"), "--field", "messages[0].content", "--benchmarks", "gsm8k_test", "--template", "off",
                 "--out", str(out)]) == 0
    # a ShareGPT turn, and a whole turn (`messages[1]`, as a turn with tool calls is named)
    sg = _jsonl(tmp_path / "s.jsonl", [{"conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": Q4}]}])
    assert main([sg, "--field", "conversations[1].value", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(out)]) == 1
    assert _report(out)[0]["matches"][0]["field"] == "conversations[1].value"
    assert main([str(tmp_path / "c.jsonl"), "--field", "messages[1]", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(out)]) == 1
    assert [m["field"] for m in _report(out)[0]["matches"]] == ["messages[1].content", "messages[1].content"]
    # a factory row keeps messages as a JSON string: indexed the same way
    fr = _jsonl(tmp_path / "f.jsonl", [{"messages": json.dumps([{"role": "user", "content": Q4}]), "completion": "4"}])
    assert main([fr, "--field", "messages[0].content", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(out)]) == 1
    # an index past the end is a missing field, and the error says how many there are
    with pytest.raises(FactoryError, match=r"c\.jsonl row 0 \(line 1\): no field 'messages\[5\]\.content' \(fields given with --field: "
                                           r"\['messages\[5\]\.content'\]; messages has 2 items\)$"):
        main([str(tmp_path / "c.jsonl"), "--field", "messages[5].content", "--benchmarks", "gsm8k_test", "--out", str(out)])


# ----------------------------------------------------------------------------- 4. id_field / prompt_field on the command line
def test_a_custom_benchmark_s_id_and_prompt_fields_on_the_command_line(tmp_path):
    """A recipe's custom benchmark takes id_field and prompt_field; the command line had no way to give them, so the
    report named items by row number and masked/template/embedding matching compared the first field."""
    bench = _jsonl(tmp_path / "b.jsonl", [{"key": f"K-{i}", "answer": g["answer"], "problem": g["question"]} for i, g in enumerate(GSM)])
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "clean"}, {"q": LEAD + Q10}])
    out = tmp_path / "rep"
    args = [corpus, "--field", "q", "--benchmarks", f"mine={bench}:answer+problem", "--out", str(out)]
    assert main([*args, "--benchmark-id-field", "mine=key", "--benchmark-prompt-field", "mine=problem"]) == 1
    assert [(m["benchmark"], m["item"]) for m in _report(out)[0]["matches"]] == [("mine", "K-10")]
    assert main(args) == 1 and _report(out)[0]["matches"][0]["item"] == "10"  # without: the row number
    # the prompt field is read (a field no row has is named), and so is the id field
    with pytest.raises(FactoryError, match=r"^benchmark 'mine': .*b\.jsonl row 0 \(line 1\) has no field 'nope' \(the row has: key, answer, problem\)$"):
        main([*args, "--benchmark-prompt-field", "mine=nope"])
    with pytest.raises(FactoryError, match=r"has no field 'uid' \(the row has: key, answer, problem\)$"):
        main([*args, "--benchmark-id-field", "mine=uid"])
    # a registered benchmark's fields are the registry's; a name not in --benchmarks, or twice, is refused
    with pytest.raises(FactoryError, match=r"^--benchmark-id-field 'gsm8k_test=x': gsm8k_test is a registered benchmark, its fields"):
        main([corpus, "--field", "q", "--benchmarks", "gsm8k_test", "--benchmark-id-field", "gsm8k_test=x", "--out", str(out)])
    with pytest.raises(FactoryError, match=r"^--benchmark-prompt-field 'other=problem': no benchmark 'other' in --benchmarks \(mine\)$"):
        main([*args, "--benchmark-prompt-field", "other=problem"])
    with pytest.raises(FactoryError, match=r"^--benchmark-id-field: mine given twice$"):
        main([*args, "--benchmark-id-field", "mine=key", "--benchmark-id-field", "mine=problem"])


# ----------------------------------------------------------------------------- 5. what a row has, in the error
def test_missing_field_errors_list_the_fields_the_row_has(tmp_path):
    wide = {f"col{k:02d}": "x" for k in range(30)}
    bench = _jsonl(tmp_path / "b.jsonl", [{"question": "q?", "answer": "a"}, wide])
    corpus = _jsonl(tmp_path / "c.jsonl", [{"id": "r", "text": "hello", "meta": {"lang": "en"}}])
    out = str(tmp_path / "rep")
    with pytest.raises(FactoryError, match=r"b\.jsonl row 0 \(line 1\) has no field 'problem' \(the row has: question, answer\)$"):
        main([corpus, "--field", "text", "--benchmarks", f"mine={bench}:problem", "--out", out])
    with pytest.raises(FactoryError, match=r"b\.jsonl row 1 \(line 2\) has no field 'question' \(the row has: col00, col01, .*, col11, "
                                           r"\.\.\. \(30 fields\)\)$"):
        main([corpus, "--field", "text", "--benchmarks", f"mine={bench}:question", "--out", out])
    with pytest.raises(FactoryError, match=r"/c\.jsonl row 0 \(line 1\): no field 'q' \(fields given with --field: \['q'\]; the row has: "
                                           r"id, text, meta\)$"):
        main([corpus, "--field", "q", "--benchmarks", "gsm8k_test", "--out", out])
    with pytest.raises(FactoryError, match=r"no field 'meta\.language' \(fields given with --field: \['meta\.language'\]; meta has: lang\)$"):
        main([corpus, "--field", "meta.language", "--benchmarks", "gsm8k_test", "--out", out])
    # a Parquet file is read by the named columns only: the error lists the file's columns, not the few read
    pq.write_table(pa.table({"id": ["r"], "text": ["hello"], "image": [b"\x89PNG"]}), tmp_path / "c.parquet")
    with pytest.raises(FactoryError, match=r"c\.parquet row 0 \(from 0\): no field 'q' \(fields given with --field: \['q'\]; the file has: "
                                           r"id, text, image\)$"):
        main([str(tmp_path / "c.parquet"), "--field", "q", "--benchmarks", "gsm8k_test", "--out", out])


# ----------------------------------------------------------------------------- 6. template matches name their field
def test_a_template_match_names_its_field_and_the_whole_field_as_its_span(tmp_path):
    """Was: a template match came with no field and no offsets (only n-gram matches and exact copies had them). It is
    scored on a whole text, so it names the field(s) that text is and covers them whole, and says so: the report
    does not claim a span it does not have."""
    rows = [{"id": "t1", "messages": [{"role": "user", "content": REWRITE_7}, {"role": "assistant", "content": "It takes a while."}]},
            {"id": "t2", "q": REWRITE_7}]
    corpus = _jsonl(tmp_path / "c.jsonl", rows[:1])
    out = tmp_path / "rep"
    assert main([corpus, "--benchmarks", "gsm8k_test", "--out", str(out)]) == 1
    rep, text = _report(out)
    (m,) = rep["matches"]
    assert m["method"].startswith("template score=")
    assert (m["field"], m["start"], m["end"], m["whole_field"]) == ("messages[0].content", 0, len(REWRITE_7), True)
    assert "text" not in m
    assert "at messages[0].content (the whole field: template matching scores whole texts)" in text
    q = _jsonl(tmp_path / "q.jsonl", rows[1:])
    assert main([q, "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(out)]) == 1
    (m,) = _report(out)[0]["matches"]
    assert (m["field"], m["start"], m["end"], m["whole_field"]) == ("q", 0, len(REWRITE_7), True)
    # an n-gram match is a span, not the whole field
    q2 = _jsonl(tmp_path / "q2.jsonl", [{"q": LEAD + Q4}])
    assert main([q2, "--field", "q", "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(out)]) == 1
    (m,) = _report(out)[0]["matches"]
    assert "whole_field" not in m and (m["start"], m["text"]) == (len(LEAD), Q4[:-1])


# ----------------------------------------------------------------------------- one numbering of rows
def test_errors_number_rows_as_the_report_does(tmp_path):
    """Was: the report numbers rows from 0 (as ds[row]) while errors named a Parquet row from 1 and a JSON Lines row by
    its line, each called "row". Now both say `row N` from 0, a JSON Lines row with its line as well."""
    pq.write_table(pa.table({"q": [b"fine", b"caf\xe9"]}), tmp_path / "latin1.parquet")
    with pytest.raises(FactoryError, match=r"latin1\.parquet row 1 \(from 0\): field 'q' holds bytes that are not UTF-8 text \(byte 0xe9\)$"):
        main([str(tmp_path / "latin1.parquet"), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")])
    pq.write_table(pa.table({"question": ["a", None]}), tmp_path / "b.parquet")
    with pytest.raises(FactoryError, match=r"b\.parquet row 1 \(from 0\) has no field 'question' \(it is null\)$"):
        main([str(tmp_path / "latin1.parquet"), "--field", "q", "--benchmarks", f"gsm8k_test={tmp_path / 'b.parquet'}",
              "--out", str(tmp_path / "rep")])
    (tmp_path / "c.jsonl").write_text(json.dumps({"q": "x"}) + "\n\n" + json.dumps({"text": "y"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"c\.jsonl row 1 \(line 3\): no field 'q'"):
        main([str(tmp_path / "c.jsonl"), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")])


def test_the_report_says_when_rewritten_copies_were_not_looked_for(tmp_path):
    """Template matching is on by default only for gsm8k_test and copies of it; a report on another benchmark listed
    its n-gram checks and nothing more, so a clean report read as if rewritten copies had been looked for."""
    bench = _jsonl(tmp_path / "mine.jsonl", [{"problem": f"Ann has {i} red pens and {i + 2} blue pens. How many pens "
                                                         f"does Ann have in all, counting both colours together?"} for i in range(60)])
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "Bo has 7 red pens and 9 blue pens. How many pens does Bo have?"}])
    for flag, hinted in (([], True), (["--template", "off"], False), (["--template", "on"], False)):
        out = tmp_path / f"rep{len(flag)}{flag[-1] if flag else ''}"
        main([corpus, "--field", "q", "--benchmarks", f"mine={bench}:problem", "--out", str(out), *flag])
        text = (out / "decontam_report.txt").read_text(encoding="utf-8")
        assert ("    rewritten copies (other numbers, names, wording) NOT looked for: template matching is calibrated for "
                "gsm8k_test" in text) is hinted, (flag, text)
    main([corpus, "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "g")])
    assert "NOT looked for" not in (tmp_path / "g" / "decontam_report.txt").read_text(encoding="utf-8")


def test_a_field_pair_named_as_the_report_names_it_is_both_fields(tmp_path):
    """The report names a template match over two fields "q+a"; given back as ``--field q+a`` it was refused as a field
    the rows lack. It is ``--field q --field a`` now, with the same report."""
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "Janet's ducks lay 16 eggs per day. She eats three for breakfast every "
                                                 "morning and bakes muffins for her friends every day with four.",
                                            "a": "She sells the remainder at the farmers' market daily for $2 per fresh duck "
                                                 "egg. How much in dollars does she make every day at the farmers' market?"}])
    reports = []
    for n, flags in enumerate((["--field", "q+a"], ["--field", "q", "--field", "a"])):
        assert main([corpus, *flags, "--benchmarks", "gsm8k_test", "--out", str(tmp_path / f"r{n}")]) == 1
        reports.append(json.loads((tmp_path / f"r{n}" / "decontam_report.json").read_text())["matches"])
    assert reports[0] == reports[1] and reports[0][0]["item"] == "0", reports
