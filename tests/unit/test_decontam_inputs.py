"""`factory decontam` and custom benchmarks on inputs a user brings: nested Parquet fields, big files read lazily."""

from __future__ import annotations

import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup.benchmarks import BenchmarkSpec, load_benchmark, shared_data_file
from curation.dedup.decontam_cli import corpus_rows, main
from ground.errors import FactoryError

Q = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
     "How many clips did Natalia sell altogether in April and May?")


def test_nested_fields_are_named_with_dots_in_benchmarks_and_corpora(tmp_path):
    """Was: a struct column's field ('item.problem') was 'no field' in both, though Hub Parquet nests them."""
    pq.write_table(pa.table({"item": [{"problem": Q, "meta": {"id": "n-1"}}], "answers": [["72", "seventy-two"]]}),
                   tmp_path / "bench.parquet")
    b = load_benchmark(BenchmarkSpec(name="mine", path=str(tmp_path / "bench.parquet"), field=["item.problem", "answers"],
                                     id_field="item.meta.id"))
    assert [(it.item_id, it.text) for it in b.items] == [("n-1", Q + "\n72\nseventy-two")]
    pq.write_table(pa.table({"rec": [{"question": Q}, {"question": "unrelated"}]}), tmp_path / "corpus.parquet")
    rows = [r for _, _, r in corpus_rows([tmp_path / "corpus.parquet"], ["rec.question"])]
    assert [json.loads(r["messages"])[0]["content"] for r in rows] == [Q, "unrelated"]
    with pytest.raises(FactoryError, match=r"row 0 \(from 0\): no field 'rec.answer' \(fields given with --field: \['rec.answer'\]; rec has: question\)$"):
        list(corpus_rows([tmp_path / "corpus.parquet"], ["rec.answer"]))


def test_a_corpus_is_read_lazily_not_whole(tmp_path):
    """Was: every corpus file was read into a list of dicts before the first row was checked (a multi-GB Parquet or
    jsonl did not fit in memory). Now rows come a batch at a time: the rows before a broken line are yielded first."""
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"q": "a"}) + "\n" + json.dumps({"q": "b"}) + "\n{broken\n", encoding="utf-8")
    it = corpus_rows([p], ["q"])
    assert [json.loads(next(it)[2]["messages"])[0]["content"] for _ in range(2)] == ["a", "b"]
    with pytest.raises(FactoryError, match=r"c.jsonl:3: not valid JSON"):
        next(it)


# ----------------------------------------------------------------------------- chat datasets, nulls, registry errors
GSM_LINES = shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
G5 = json.loads(GSM_LINES[5])


def _decontam(tmp_path, *args):
    out = tmp_path / "rep"
    rc = main([*args, "--benchmarks", "gsm8k_test", "--template", "off", "--out", str(out)])
    return rc, json.loads((out / "decontam_report.json").read_text())


@pytest.mark.parametrize("rec", [
    {"messages": [{"role": "user", "content": "Solve it."}, {"role": "assistant", "content": G5["answer"]}]},
    {"messages": json.dumps([{"role": "user", "content": "Solve it."}, {"role": "assistant", "content": G5["answer"]}])},
    {"conversations": [{"from": "human", "value": "Solve it."}, {"from": "gpt", "value": G5["answer"]}]},
    {"prompt": "Solve it.", "completion": G5["answer"]},
    {"prompt": [{"role": "user", "content": "Solve it."}], "chosen": [{"role": "assistant", "content": G5["answer"]}],
     "rejected": [{"role": "assistant", "content": "no idea"}]},
], ids=["messages", "messages-json", "sharegpt", "prompt-completion", "preference"])
def test_chat_dataset_rows_are_checked_on_their_answers_too(tmp_path, rec):
    """Was: a chat dataset's rows (as `factory export` writes them) were checked on their user turns only, or
    stopped with a traceback ("step 'decontam' needs column(s) ['completion']"); a benchmark's worked answer in the
    assistant turn was never seen. Now the system/user turns are the prompt, the others the completion."""
    corpus = tmp_path / "chat.jsonl"
    corpus.write_text(json.dumps(rec) + "\n" + json.dumps({"prompt": "Name a colour.", "completion": "Blue."}) + "\n", encoding="utf-8")
    rc, rep = _decontam(tmp_path, str(corpus))
    assert rc == 1 and rep["rows"] == 2 and [(m["row"], m["item"], m["method"]) for m in rep["matches"]] == [(0, "5", "13-gram")]
    rc, rep = _decontam(tmp_path, str(corpus), "--compare", "prompt")  # the answer is not in the prompt turns
    assert rc == 0 and rep["matches"] == []


def test_chat_rows_name_what_is_wrong_in_one_line(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"text": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"c.jsonl row 0 \(line 1\): no text to check: none of the chat columns .*--field \(this row has: \['text'\]\)"):
        list(corpus_rows([corpus], []))
    corpus.write_text(json.dumps({"messages": 3}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"c.jsonl row 0 \(line 1\): column 'messages' is not text or a list of chat messages \(a int\)"):
        list(corpus_rows([corpus], []))
    corpus.write_text(json.dumps(["a", "list"]) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"c.jsonl:1: not a JSON object \(a list\)"):
        list(corpus_rows([corpus], ["q"]))


def test_a_null_field_is_empty_text_and_an_absent_one_an_error(tmp_path):
    """Was: a row whose field was null stopped the whole scan with "no field 'q'" though the field is there (a
    Parquet column with nulls is common); now it is empty text and the rows after it are checked."""
    corpus = tmp_path / "c.parquet"
    pq.write_table(pa.table({"q": [None, G5["question"]], "a": ["x", None], "id": ["n1", None]}), corpus)
    rc, rep = _decontam(tmp_path, str(corpus), "--field", "q", "--field", "a")
    assert rc == 1 and rep["rows"] == 2 and [(m["row"], m["id"], m["item"]) for m in rep["matches"]] == [(1, "c.parquet:1", "5")]
    with pytest.raises(FactoryError, match=r"c.parquet row 0 \(from 0\): no field 'b' \(fields given with --field: \['q', 'b'\]; the file has: q, a, id\)$"):
        list(corpus_rows([corpus], ["q", "b"]))


def test_a_registered_benchmark_reads_another_copy_in_any_format_and_names_a_bad_row(tmp_path):
    """Was: `gsm8k_test=PATH` read jsonl only (the Hub's Parquet copy failed with UnicodeDecodeError), and a missing
    file, a row without 'question' or a row that is not an object ended in a bare traceback."""
    rows = [json.loads(x) for x in GSM_LINES]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "test-00000-of-00001.parquet")
    assert load_benchmark({"name": "gsm8k_test", "path": str(tmp_path / "test-00000-of-00001.parquet")}).coverage["line"] == \
        "gsm8k_test: 1,319 of 1,319 items (complete)"
    with pytest.raises(FactoryError, match=r"^benchmark 'gsm8k_test' file not found: .*nope.jsonl$"):
        load_benchmark({"name": "gsm8k_test", "path": str(tmp_path / "nope.jsonl")})
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(GSM_LINES[:2]) + json.dumps({"problem": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"^benchmark 'gsm8k_test': .*bad.jsonl row 2 \(line 3\) has no field 'question' \(the row has: problem\)$"):
        load_benchmark({"name": "gsm8k_test", "path": str(bad)}, allow_partial=True)
    with pytest.raises(FactoryError, match=r"^benchmark 'humaneval': .*bad.jsonl row 0 \(line 1\) has no field 'task_id' \(the row has: question, answer\)$"):
        load_benchmark({"name": "humaneval", "path": str(bad)}, allow_partial=True)
    bad.write_text(json.dumps("question") + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"bad.jsonl:1: not a JSON object \(a str\)$"):
        load_benchmark({"name": "mine", "path": str(bad), "field": "question"})
    bad.write_text(json.dumps({"question": None}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"bad.jsonl row 0 \(line 1\) has no field 'question' \(it is null\)$"):
        load_benchmark({"name": "mine", "path": str(bad), "field": "question"})


def test_a_custom_benchmark_larger_than_declared_says_so(tmp_path):
    """Was: 3 items declared as 2 read "3 of 2 items (MODIFIED: content hash differs)" though no hash was declared."""
    b = tmp_path / "b.jsonl"
    b.write_text("".join(json.dumps({"q": f"question number {k} about apples and pears"}) + "\n" for k in range(3)), encoding="utf-8")
    with pytest.raises(FactoryError, match=r"mine: 3 of 2 items \(MODIFIED: more items than declared\)"):
        load_benchmark({"name": "mine", "path": str(b), "field": "q", "expected_items": 2})


def _dist(tmp_path, entry_points: str, module: str = "") -> None:
    (tmp_path / "brokenbench.py").write_text(module or "import no_such_module_for_this_test\n")
    dist = tmp_path / "brokenbench-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenbench\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[distill_factory.benchmarks]\n" + entry_points)


def test_a_broken_benchmark_entry_point_is_one_line_and_the_others_still_load(tmp_path, monkeypatch):
    """Was: a benchmark entry point that failed to import raised its bare ModuleNotFoundError from every benchmark
    spec, gsm8k_test included (the registry loaded them all to check a name)."""
    _dist(tmp_path, "broke = brokenbench:DEF\nmissing = not_there_mod:DEF\nodd = brokenbench_ok:NUMBER\n")
    (tmp_path / "brokenbench_ok.py").write_text("NUMBER = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_benchmark("gsm8k_test").coverage["complete"] is True
    with pytest.raises(ValueError, match=r"^benchmark entry point 'broke' \(brokenbench:DEF, package brokenbench 0.1\) failed to "
                                         r"load: ModuleNotFoundError: No module named 'no_such_module_for_this_test'$"):
        load_benchmark("broke")
    with pytest.raises(ValueError, match=r"^benchmark entry point 'missing' .* No module named 'not_there_mod'$"):
        BenchmarkSpec(name="missing")
    with pytest.raises(ValueError, match=r"^benchmark entry point 'odd' .* is not a BenchmarkDef .*: got a int$"):
        BenchmarkSpec(name="odd")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"q": "hello"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"^--benchmarks: benchmark entry point 'broke' \(brokenbench:DEF, package brokenbench 0.1\) failed"):
        main([str(corpus), "--field", "q", "--benchmarks", "broke", "--out", str(tmp_path / "rep")])
    assert not (tmp_path / "rep").exists()


def test_an_entry_point_loader_that_fails_is_one_line(tmp_path, monkeypatch):
    _dist(tmp_path, "flaky = brokenbench:DEF\n", "from curation.dedup.benchmarks import BenchmarkDef\n"
          "def load(path):\n    return open(path or '/no/such/data.jsonl').read()\n"
          "DEF = BenchmarkDef('flaky', load, expected_items=1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(FactoryError, match=r"^benchmark 'flaky': its loader failed on its default copy: FileNotFoundError: "):
        load_benchmark("flaky")
    sys.modules.pop("brokenbench", None)


def test_the_report_locates_each_ngram_match_in_the_text_as_written(tmp_path):
    """Was: a match was quoted only as normalised, lower-cased tokens cut at 60 characters ('kylar went to the
    store ...'), with no field and no offsets: finding it in a long row was a search by hand. Now the field, the
    character offsets in it and the text as written (Unicode, a homoglyph disguise included) come with it."""
    pre = "Ünïcödé 😀 préfix — «"
    disguised = G5["question"].replace("Kylar", "Kylаr")  # a Cyrillic а
    corpus = tmp_path / "c.jsonl"
    half = G5["question"].index(" ", len(G5["question"]) // 2)  # a word boundary
    corpus.write_text(json.dumps({"a": "nothing here", "q": pre + disguised + "» end"}) + "\n"
                      + json.dumps({"a": G5["question"][:half], "q": G5["question"][half:]}) + "\n", encoding="utf-8")
    rc, rep = _decontam(tmp_path, str(corpus), "--field", "a", "--field", "q")
    m0, m1 = rep["matches"]
    assert rc == 1 and (m0["field"], m0["start"], m0["end"]) == ("q", len(pre), len(pre) + len(disguised) - 1)
    assert m0["text"] == disguised[:-1]  # the closing '?' is not a word
    joined = G5["question"][:half] + "\n" + G5["question"][half:]  # one match across both fields, from a's start
    assert (m1["field"], m1["start"], m1["end"], m1["text"]) == ("a+q", 0, len(joined) - 1, joined[:-1])
    text = (tmp_path / "rep" / "decontam_report.txt").read_text(encoding="utf-8")
    assert f"at q[{len(pre)}:{len(pre) + len(disguised) - 1}]" in text
    chat = tmp_path / "chat.jsonl"
    chat.write_text(json.dumps({"messages": [{"role": "user", "content": "Solve."},
                                             {"role": "assistant", "content": "Sure: " + G5["answer"]}]}) + "\n", encoding="utf-8")
    rc, rep = _decontam(tmp_path, str(chat))
    (m,) = rep["matches"]
    assert (m["field"], m["start"], m["text"]) == ("messages[1].content", 6, G5["answer"][: m["end"] - 6]) and m["end"] > 100


def test_an_empty_benchmark_and_an_out_that_is_a_file_are_refused(tmp_path):
    """Was: an empty benchmark file (or a Parquet of no rows) was "mine: 0 items (size not declared)" and the check
    passed clean having protected nothing; --out naming a file failed with a FileExistsError traceback after the scan."""
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    pq.write_table(pa.table({"q": pa.array([], pa.string())}), tmp_path / "empty.parquet")
    for f in ("empty.jsonl", "empty.parquet"):
        with pytest.raises(FactoryError, match=rf"^benchmark 'mine' has no items \(read from .*{f}\): it would protect nothing$"):
            load_benchmark({"name": "mine", "path": str(tmp_path / f), "field": "q"})
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"q": "hello"}) + "\n", encoding="utf-8")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(FactoryError, match=r"^--out: .*afile is a file, not a folder$"):
        main([str(corpus), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "afile")])


def test_a_custom_benchmark_with_a_wrong_hash_is_refused_with_the_hash_it_has(tmp_path):
    """Was: "3 of 3 items (MODIFIED: content hash differs)" and nothing to tell a wrong declaration from a changed file."""
    from curation.dedup.benchmarks import content_hash

    b = tmp_path / "b.jsonl"
    b.write_text("".join(json.dumps({"q": f"question number {k} about apples and pears"}) + "\n" for k in range(3)), encoding="utf-8")
    spec = {"name": "mine", "path": str(b), "field": "q", "expected_items": 3}
    got = content_hash(load_benchmark(spec).items)
    with pytest.raises(FactoryError, match=rf"mine: 3 of 3 items \(MODIFIED: content hash differs\) from .*b.jsonl: decontamination "
                                           rf"would not cover the whole benchmark \(this copy's sha256 is {got}, declared 0+\); give"):
        load_benchmark({**spec, "sha256": "0" * 64})
    assert load_benchmark({**spec, "sha256": got}).coverage["complete"] is True


def test_a_benchmark_folder_of_several_splits_needs_its_split(tmp_path):
    """Was: a benchmark path naming a Hub download folder read every split as the benchmark, its train split too,
    so each row drawn from train matched; now a folder of several splits is refused unless the spec names one."""
    hub = tmp_path / "hub" / "data"
    hub.mkdir(parents=True)
    (hub / "test.jsonl").write_text("".join(GSM_LINES), encoding="utf-8")
    (hub / "train.jsonl").write_text(json.dumps({"question": "A train question about trains and their many wagons today"}) + "\n")
    with pytest.raises(FactoryError, match=r"^benchmark 'mine': .*hub holds files of splits train, test; name the split \(split: test\)"):
        load_benchmark({"name": "mine", "path": str(tmp_path / "hub"), "field": "question"})
    assert load_benchmark({"name": "mine", "path": str(tmp_path / "hub"), "field": "question", "split": "test"}).coverage["items"] == 1319
    assert load_benchmark({"name": "gsm8k_test", "path": str(tmp_path / "hub"), "split": "test"}).coverage["complete"] is True
    with pytest.raises(FactoryError, match=r"^benchmark 'gsm8k_test': .*holds files of splits train, test"):
        load_benchmark({"name": "gsm8k_test", "path": str(tmp_path / "hub")})


def test_a_field_of_a_null_struct_is_null_not_absent(tmp_path):
    """Was: --field rec.q on a row whose struct column 'rec' is null stopped the scan with "no field 'rec.q'"."""
    corpus = tmp_path / "c.parquet"
    pq.write_table(pa.table({"rec": pa.array([None, {"q": G5["question"]}], pa.struct([("q", pa.string())]))}), corpus)
    rc, rep = _decontam(tmp_path, str(corpus), "--field", "rec.q")
    assert rc == 1 and rep["rows"] == 2 and [m["row"] for m in rep["matches"]] == [1]
    with pytest.raises(FactoryError, match=r"c.parquet row 1 \(from 0\): no field 'rec.x' \(fields given with --field: \['rec.x'\]; rec has: q\)$"):
        list(corpus_rows([corpus], ["rec.x"]))


def test_parse_benchmark_keeps_a_uri_whole():
    """``NAME=PATH:FIELD`` splits on the last ':', which must not cut a URI (``s3://``) nor take a query's port for a field."""
    from curation.dedup.decontam_cli import parse_benchmark

    assert parse_benchmark("mine=s3://b/bench/*.parquet:question") == {"name": "mine", "path": "s3://b/bench/*.parquet", "field": ["question"]}
    assert parse_benchmark("gsm8k_test=gs://b/test.jsonl") == {"name": "gsm8k_test", "path": "gs://b/test.jsonl"}
    assert parse_benchmark("gsm8k_test=s3://b/t.jsonl?endpoint_override=127.0.0.1:9000") == {
        "name": "gsm8k_test", "path": "s3://b/t.jsonl?endpoint_override=127.0.0.1:9000"}
    assert parse_benchmark("mine=s3://b/t.jsonl?endpoint_override=127.0.0.1:9000:q+a") == {
        "name": "mine", "path": "s3://b/t.jsonl?endpoint_override=127.0.0.1:9000", "field": ["q", "a"]}


def _bench_and_corpus(tmp_path, n: int = 3):
    b = tmp_path / "b.jsonl"
    b.write_text("".join(json.dumps({"q": f"question number {k} about apples and pears in the big green basket"}) + "\n"
                         for k in range(n)), encoding="utf-8")
    c = tmp_path / "c.jsonl"
    c.write_text(json.dumps({"q": "question number 1 about apples and pears in the big green basket"}) + "\n", encoding="utf-8")
    return b, c


def test_a_cli_custom_benchmark_carries_a_licence_size_and_hash(tmp_path, capsys):
    """Was: ``--benchmarks mine=PATH:FIELD`` could not say its licence, size or hash (a recipe's could): the report said
    "licence unknown" and "(size not declared)", and a truncated copy passed. Now --benchmark-license,
    --benchmark-expected-items and --benchmark-sha256 NAME=VALUE, with the recipe's rules."""
    from curation.dedup.benchmarks import content_hash

    b, c = _bench_and_corpus(tmp_path)
    base = [str(c), "--field", "q", "--benchmarks", f"mine={b}:q", "--benchmark-license", "mine=CC-BY-4.0"]
    out = tmp_path / "rep"
    assert main([*base, "--benchmark-expected-items", "mine=3", "--out", str(out)]) == 1
    cov = json.loads((out / "decontam_report.json").read_text())["benchmarks"]
    assert [(x["line"], x["license"], x["complete"]) for x in cov] == [("mine: 3 of 3 items (complete)", "CC-BY-4.0", True)]
    assert "mine: 3 of 3 items (complete)  licence CC-BY-4.0" in (out / "decontam_report.txt").read_text()
    with pytest.raises(FactoryError, match=r"benchmark mine: 3 of 4 items \(PARTIAL\) from .*b.jsonl: decontamination would not cover"):
        main([*base, "--benchmark-expected-items", "mine=4", "--out", str(tmp_path / "r2")])
    assert main([*base, "--benchmark-expected-items", "mine=4", "--allow-partial", "--out", str(tmp_path / "r2")]) == 1
    assert "WARNING: PARTIAL benchmark, rows are not checked against the missing items: mine: 3 of 4 items (PARTIAL)" in capsys.readouterr().out
    with pytest.raises(FactoryError, match=r"mine: 3 of 2 items \(MODIFIED: more items than declared\)"):
        main([*base, "--benchmark-expected-items", "mine=2", "--out", str(tmp_path / "r3")])
    good = content_hash(load_benchmark({"name": "mine", "path": str(b), "field": "q"}).items)
    assert main([*base, "--benchmark-sha256", f"mine={good}", "--out", str(tmp_path / "r4")]) == 1
    assert json.loads((tmp_path / "r4" / "decontam_report.json").read_text())["benchmarks"][0]["complete"] is True
    # a registered benchmark's licence may be restated; its size is the registry's
    with pytest.raises(FactoryError, match=r"--benchmark-expected-items 'gsm8k_test=5': gsm8k_test is a registered benchmark"):
        main([str(c), "--field", "q", "--benchmarks", "gsm8k_test", "--benchmark-expected-items", "gsm8k_test=5", "--out", str(tmp_path / "r5")])
    for bad, msg in ((["--benchmark-license", "other=MIT"], r"--benchmark-license 'other=MIT': no benchmark 'other' in --benchmarks \(mine\)"),
                     (["--benchmark-expected-items", "mine=1,319"], r"--benchmark-expected-items 'mine=1,319': N must be a whole number"),
                     (["--benchmark-sha256", "mine=abc"], r"sha256 must be 64 hex digits"),
                     (["--benchmark-license", "mine"], r"--benchmark-license 'mine': expected NAME=VALUE")):
        with pytest.raises(FactoryError, match=msg):
            main([str(c), "--field", "q", "--benchmarks", f"mine={b}:q", *bad, "--out", str(tmp_path / "r6")])
    assert not (tmp_path / "r6").exists()


def test_an_altered_full_size_copy_is_called_altered_not_missing_items(tmp_path, capsys):
    """Was: a copy of the declared size whose content hash differs was warned about as "PARTIAL benchmark, rows are
    not checked against the missing items", though no item is missing: it is altered."""
    b, c = _bench_and_corpus(tmp_path)
    out = tmp_path / "rep"
    assert main([str(c), "--field", "q", "--benchmarks", f"mine={b}:q", "--benchmark-expected-items", "mine=3",
                 "--benchmark-sha256", "mine=" + "0" * 64, "--allow-partial", "--out", str(out)]) == 1
    text = (out / "decontam_report.txt").read_text()
    assert ("WARNING: ALTERED benchmark copy (not the declared content), rows are checked against this copy's items, not the "
            "declared ones: mine: 3 of 3 items (MODIFIED: content hash differs)") in text
    assert "missing items" not in text


def test_a_benchmark_field_may_have_alternatives_for_files_that_name_it_differently(tmp_path):
    """Was: a glob whose files name the question differently (``question`` in one, ``problem`` in the other) was refused
    ("has no field 'question'") and could only be given as two benchmarks. ``question|problem`` is the first of these
    fields that a record has (on the command line and in a recipe)."""
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "a.jsonl").write_text(json.dumps({"question": Q, "answer": "72"}) + "\n", encoding="utf-8")
    pq.write_table(pa.table({"problem": ["A farmer has 17 cows and buys 5 more every week for a whole year. How many cows?"],
                             "answer": ["277"]}), tmp_path / "bench" / "b.parquet")
    glob = str(tmp_path / "bench" / "*")
    b = load_benchmark({"name": "mine", "path": glob, "field": ["question|problem", "answer"]})
    assert [(it.item_id, it.text.splitlines()[-1], it.prompt[:10]) for it in b.items] == [("a.jsonl:0", "72", Q[:10]), ("b.parquet:0", "277", "A farmer h")]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"q": "A farmer has 17 cows and buys 5 more every week for a whole year. How many cows?"}) + "\n", encoding="utf-8")
    out = tmp_path / "rep"
    assert main([str(corpus), "--field", "q", "--benchmarks", f"mine={glob}:question|problem+answer", "--out", str(out)]) == 1
    assert [m["item"] for m in json.loads((out / "decontam_report.json").read_text())["matches"]] == ["b.parquet:0"]
    (tmp_path / "bench" / "c.jsonl").write_text(json.dumps({"text": "neither"}) + "\n", encoding="utf-8")
    with pytest.raises(FactoryError, match=r"benchmark 'mine': .*c.jsonl row 0 \(line 1\) has none of the fields 'question' \| 'problem' \(the row has: text\)$"):
        load_benchmark({"name": "mine", "path": glob, "field": "question|problem"})
    with pytest.raises(ValueError, match=r"field 'question\|': 'a\|b' means the first of the fields"):
        BenchmarkSpec(name="mine", path=glob, field="question|")
