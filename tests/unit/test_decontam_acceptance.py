"""`factory decontam` as an ML engineer brings data to it (acceptance round): Hub-style Parquet whose text is in a
`messages` list of structs, shards whose schemas differ, zstd/bz2-compressed JSON Lines (The Pile, RedPajama), a
dataset folder with its card, an empty corpus, and a report whose spans and rows a user can find in the file."""

from __future__ import annotations

import bz2
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.dedup.bench_files import read_records
from curation.dedup.benchmarks import shared_data_file
from curation.dedup.decontam_cli import main
from ground.errors import FactoryError
from tests.conftest import run_cli

GSM = [json.loads(x) for x in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()[:12]]
Q4, Q10 = GSM[4]["question"], GSM[10]["question"]
LEAD = "日本語のテキスト 🎉 ünïcödé. "  # text before the match that is not ASCII: offsets are code points of the field


def _run(tmp_path, corpus, *args, out="rep"):
    rc = main([str(corpus), *args, "--template", "off", "--out", str(tmp_path / out)])
    rep = json.loads((tmp_path / out / "decontam_report.json").read_text(encoding="utf-8"))
    return rc, rep, (tmp_path / out / "decontam_report.txt").read_text(encoding="utf-8")


def _jsonl(path, recs, blank_after_first: bool = False) -> str:
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in recs]
    if blank_after_first:
        lines.insert(1, "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


# ----------------------------------------------------------------------------- spans point into the file's own fields
def test_a_match_in_a_chat_row_names_the_turn_and_offsets_into_its_content(tmp_path):
    """Was: a Hub chat row's match said `field: prompt, start 37` -- "prompt" is no column of the file, and 37 counted
    from the system turn joined before the user turn, so `messages[1]["content"][37:507]` was not the span. Now the
    field is the turn's own (`messages[1].content`) and the offsets index that string."""
    rows = [{"id": "a0", "messages": [{"role": "system", "content": "You are helpful."},
                                      {"role": "user", "content": LEAD + Q4},
                                      {"role": "assistant", "content": "Let me think."}]},
            {"id": "a1", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Sure. " + Q10}]}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "hf.parquet")
    rc, rep, text = _run(tmp_path, tmp_path / "hf.parquet", "--benchmarks", "gsm8k_test")
    assert rc == 1
    got = [(m["id"], m["field"], m["start"], m["end"]) for m in rep["matches"]]
    assert got == [("a0", "messages[1].content", len(LEAD), len(LEAD) + len(Q4) - 1),  # the "?" is punctuation, not a word
                   ("a1", "messages[1].content", 6, 6 + len(Q10) - 1)]
    for m, r in zip(rep["matches"], rows):
        assert r["messages"][1]["content"][m["start"]:m["end"]] == m["text"]
    assert f"at messages[1].content[{len(LEAD)}:{len(LEAD) + len(Q4) - 1}]" in text


def test_sharegpt_and_list_fields_name_the_element_too(tmp_path):
    """ShareGPT turns are `conversations[i].value`; a list column named with --field (`--field messages`) was located
    as `messages[37:507]`, which reads as a slice of the list, not of a string."""
    corpus = _jsonl(tmp_path / "c.jsonl", [
        {"conversations": [{"from": "human", "value": "hello"}, {"from": "gpt", "value": "hi"},
                           {"from": "human", "value": LEAD + Q4}]},
    ])
    rc, rep, _ = _run(tmp_path, corpus, "--benchmarks", "gsm8k_test")
    assert rc == 1 and [(m["field"], m["start"]) for m in rep["matches"]] == [("conversations[2].value", len(LEAD))]
    pq.write_table(pa.Table.from_pylist([{"messages": [{"role": "system", "content": "Be brief."},
                                                       {"role": "user", "content": LEAD + Q4}]}]), tmp_path / "m.parquet")
    rc, rep, _ = _run(tmp_path, tmp_path / "m.parquet", "--field", "messages", "--benchmarks", "gsm8k_test")
    m = rep["matches"][0]
    assert rc == 1 and (m["field"], m["start"]) == ("messages[1].content", len(LEAD)) and m["text"] == Q4[:-1]
    # a plain string field keeps its name, as before
    pq.write_table(pa.table({"q": [LEAD + Q4]}), tmp_path / "q.parquet")
    rc, rep, _ = _run(tmp_path, tmp_path / "q.parquet", "--field", "q", "--benchmarks", "gsm8k_test")
    assert rc == 1 and [(m["field"], m["start"]) for m in rep["matches"]] == [("q", len(LEAD))]


def test_a_jsonl_match_gives_the_line_an_editor_shows(tmp_path):
    """Was: the report's `row` is the record's 0-based index (as `ds[row]`), while every error names a JSON Lines
    row by its 1-based line; past a blank line the two differed by 2 and nothing said which was meant. Now a jsonl
    match also gives `line`, and the text report says both."""
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "clean"}, {"q": Q4}], blank_after_first=True)
    rc, rep, text = _run(tmp_path, corpus, "--field", "q", "--benchmarks", "gsm8k_test")
    assert rc == 1 and [(m["row"], m["line"]) for m in rep["matches"]] == [(1, 3)]
    assert (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()[3 - 1] == json.dumps({"q": Q4})
    assert f"{corpus} row 1 (line 3, id c.jsonl:1)" in text
    assert "rows are numbered from 0" in text


# ----------------------------------------------------------------------------- shards a user brings
def test_field_alternatives_read_shards_whose_schemas_differ(tmp_path):
    """Was: `--field text|content` (what a benchmark's field takes for files that name it differently) was one field
    named 'text|content', so a corpus whose shards name the text differently could not be checked at all."""
    d = tmp_path / "mixed"
    d.mkdir()
    pq.write_table(pa.table({"text": ["a clean one"]}), d / "a.parquet")
    pq.write_table(pa.table({"content": [Q10], "other": [1]}), d / "b.parquet")
    rc, rep, _ = _run(tmp_path, d, "--field", "text|content", "--benchmarks", "gsm8k_test")
    assert rc == 1 and rep["rows"] == 2
    assert [(m["file"], m["row"], m["field"], m["item"]) for m in rep["matches"]] == [(str(d / "b.parquet"), 0, "content", "10")]
    pq.write_table(pa.table({"body": ["x"]}), d / "c.parquet")
    with pytest.raises(FactoryError, match=r"c.parquet row 0 \(from 0\): none of the fields 'text' \| 'content' \(fields given with --field: \['text\|content'\]; the file has: body\)$"):
        _run(tmp_path, d, "--field", "text|content", "--benchmarks", "gsm8k_test", out="rep2")
    assert not (tmp_path / "rep2").exists()


@pytest.mark.parametrize("suffix", [".jsonl.zst", ".jsonl.bz2", ".jsonl.xz", ".jsonl.lz4"])
def test_compressed_json_lines_are_read(tmp_path, suffix):
    """Was: only .jsonl.gz was read; a .jsonl.zst (The Pile, RedPajama, datatrove and NeMo Curator outputs) given by
    name failed with "not UTF-8 text (byte 0xb5)", and in a folder it was skipped."""
    import lzma

    data = (json.dumps({"q": "clean"}) + "\n\n" + json.dumps({"q": Q4}) + "\n").encode()
    p = tmp_path / "corpus" / f"part-0{suffix}"
    p.parent.mkdir()
    if suffix.endswith(".bz2"):
        p.write_bytes(bz2.compress(data))
    elif suffix.endswith(".xz"):
        p.write_bytes(lzma.compress(data))
    else:
        with pa.CompressedOutputStream(str(p), {".zst": "zstd", ".lz4": "lz4"}[p.suffix]) as f:
            f.write(data)
    assert read_records(p) == [{"q": "clean"}, {"q": Q4}]
    for corpus in (p, p.parent):  # by name and in a folder
        rc, rep, _ = _run(tmp_path, corpus, "--field", "q", "--benchmarks", "gsm8k_test")
        assert rc == 1 and rep["not_read"] == [] and [(m["row"], m["line"], m["item"]) for m in rep["matches"]] == [(1, 3, "4")]


def test_a_compressed_file_that_cannot_be_read_is_named_not_called_bad_utf8(tmp_path):
    p = tmp_path / "c.jsonl.zip"
    p.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FactoryError, match=r"c.jsonl.zip: a .zip file: decompress it first \(read: .gz, .bz2, .xz, .zst, .lz4\)$"):
        read_records(p)
    p = tmp_path / "c.jsonl.zst"
    p.write_bytes(b"\x28\xb5\x2f\xfd garbage")
    with pytest.raises(FactoryError, match=r"c.jsonl.zst: cannot read: "):
        read_records(p)


def test_a_dataset_folders_card_and_licence_are_not_unread_data(tmp_path):
    """Was: `factory export`'s folder (or a Hub download) warned that its README.md was "not checked", as if a data
    file had been skipped; a warning that is always there is one nobody reads."""
    d = tmp_path / "ds"
    d.mkdir()
    _jsonl(d / "train.jsonl", [{"q": "clean"}])
    (d / "README.md").write_text("---\nlicense: mit\n---\n# card\n")
    (d / "LICENSE").write_text("MIT License\n")
    (d / "dataset_infos.json").write_text("{}")
    (d / "notes.csv").write_text("q\nx\n")
    rc, rep, text = _run(tmp_path, d, "--field", "q", "--benchmarks", "gsm8k_test")
    assert rc == 0 and rep["not_read"] == [str(d / "notes.csv")]
    assert "WARNING: 1 file(s) of the corpus folder" in text and "README" not in text
    # the report written inside the corpus folder is not unread data on the next run either
    rc, rep, _ = _run(tmp_path, d, "--field", "q", "--benchmarks", "gsm8k_test", out="ds/rep")
    rc, rep, _ = _run(tmp_path, d, "--field", "q", "--benchmarks", "gsm8k_test", out="ds/rep")
    assert rc == 0 and rep["not_read"] == [str(d / "notes.csv")]


def test_an_empty_corpus_is_said_loudly(tmp_path):
    """Was: a corpus of no rows (an empty shard a failed step left) gave "0 rows ...; 0 contaminated" and exit 0 with
    nothing to tell it from a clean check."""
    (tmp_path / "e.jsonl").write_text("\n")
    r = run_cli("decontam", str(tmp_path / "e.jsonl"), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "WARNING: the corpus has no rows: nothing was checked" in r.stdout
    assert "WARNING: the corpus has no rows" in (tmp_path / "rep" / "decontam_report.txt").read_text()


# ----------------------------------------------------------------------------- what the command line says
def test_a_partial_benchmark_on_the_command_line_names_the_flag(tmp_path):
    """Was: "... set allow_partial: true" -- a recipe key; the command line's switch is --allow-partial."""
    first = shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:5]
    (tmp_path / "b.jsonl").write_text("".join(first), encoding="utf-8")
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "x"}])
    r = run_cli("decontam", corpus, "--field", "q", "--benchmarks", f"gsm8k_test={tmp_path / 'b.jsonl'}", "--out", str(tmp_path / "rep"))
    assert r.returncode == 2 and not (tmp_path / "rep").exists()
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: benchmark gsm8k_test: 5 of 1,319 items (PARTIAL)") and last.endswith(
        "give the complete file or pass --allow-partial")


def test_a_secret_in_an_object_store_query_is_refused_and_never_echoed(tmp_path):
    """Was: `s3://b/c.jsonl?secret_key=...` ended in "corpus s3://b/c.jsonl?access_key=...&secret_key=...: cannot read
    it", the secret in the error (a CI log); a benchmark URI was named with it in the report and the manifest."""
    uri = "s3://bkt/c.jsonl?access_key=AKIAEXAMPLE&secret_key=hunter2SECRET&endpoint_override=127.0.0.1:9"
    r = run_cli("decontam", uri, "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep"))
    assert r.returncode == 2 and "hunter2SECRET" not in r.stderr + r.stdout and "AKIAEXAMPLE" not in r.stderr + r.stdout
    assert r.stderr.strip().splitlines()[-1].endswith(
        "credentials in the URI's query (access_key, secret_key); give them in the environment "
        "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS)")
    corpus = _jsonl(tmp_path / "c.jsonl", [{"q": "x"}])
    r = run_cli("decontam", corpus, "--field", "q", "--benchmarks", f"mine={uri}:q", "--out", str(tmp_path / "rep"))
    assert r.returncode == 2 and "hunter2SECRET" not in r.stderr + r.stdout and not (tmp_path / "rep").exists()


def test_every_option_of_decontam_says_what_it_does():
    r = run_cli("decontam", "--help")
    assert r.returncode == 0
    opts = r.stdout.split("options:", 1)[1]
    # argparse prints an option without help as its flag line alone, followed directly by the next option
    blocks = [b for b in opts.split("\n  -")[1:]]
    bare = [b.split()[0] for b in blocks if len(b.strip().splitlines()) == 1 and "  " not in b.strip()]
    assert bare == [], f"options without a help text: {bare}"
    id_help = " ".join(opts.split("--id-field ID_FIELD", 1)[1].split("\n  -", 1)[0].split())
    assert "in chat and factory rows" in id_help  # was "with --field: ...", though it names rows without --field too


def test_a_binary_text_column_is_read_as_its_utf8_text(tmp_path):
    """Was: a Parquet text column stored as binary (Spark without binaryAsString, some exporters) was matched as
    Python's repr, "b'Ent\\xc3\\xaate ...'": offsets counted the escapes (29 for 9), and an item with a curly quote
    ("Janet’s ducks") never matched as written. A value that is not UTF-8 is one error naming the row and field."""
    q0 = GSM[0]["question"]
    lead = "Entête — "
    pq.write_table(pa.table({"text": pa.array([(lead + Q4).encode(), q0.encode()], pa.binary())}), tmp_path / "bin.parquet")
    rc, rep, _ = _run(tmp_path, tmp_path / "bin.parquet", "--field", "text", "--benchmarks", "gsm8k_test")
    assert rc == 1 and [(m["row"], m["item"], m["start"], m["text"]) for m in rep["matches"]] == [
        (0, "4", len(lead), Q4[:-1]), (1, "0", 0, q0[:-1])]
    pq.write_table(pa.table({"text": pa.array([b"caf\xe9"], pa.binary())}), tmp_path / "latin1.parquet")
    with pytest.raises(FactoryError, match=r"latin1.parquet row 0 \(from 0\): field 'text' holds bytes that are not UTF-8 text \(byte 0xe9\)$"):
        _run(tmp_path, tmp_path / "latin1.parquet", "--field", "text", "--benchmarks", "gsm8k_test", out="rep2")


def test_a_registered_benchmark_refuses_the_options_of_a_custom_one(tmp_path):
    """Was: a recipe's `{name: gsm8k_test, path: first300.jsonl, expected_items: 300}` (declaring the copy's size, to
    pass without allow_partial) was accepted and the size silently ignored -- the run then failed as PARTIAL, or with
    `expected_items: 5` on the default copy passed as "complete"; id_field and prompt_field were ignored the same way.
    `factory decontam` already refused --benchmark-expected-items for a registered name; the recipe now does too."""
    from curation.dedup.benchmarks import BenchmarkSpec

    for key, value in [("expected_items", 300), ("sha256", "0" * 64), ("id_field", "id"), ("prompt_field", "question")]:
        with pytest.raises(ValueError, match=rf"^benchmark 'gsm8k_test' is registered: its {key} comes from the registry "
                                             r"\(size, content hash, fields\); .*custom benchmark"):
            BenchmarkSpec.parse({"name": "gsm8k_test", key: value})
    assert BenchmarkSpec.parse({"name": "gsm8k_test", "license": "MIT", "path": "x.jsonl", "split": "test"}).license == "MIT"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: r\nsource: {path: %s, fields: {prompt: question}}\nprompt: {template: '{question}'}\n"
        "teacher: {engine: hf_local, model: smollm2-135m-instruct}\n"
        "dedup:\n  decontam:\n    benchmarks:\n      - {name: gsm8k_test, expected_items: 5}\n" % shared_data_file("gsm8k/test.jsonl"))
    r = run_cli("validate", str(recipe))
    assert r.returncode == 2 and "expected_items comes from the registry" in r.stdout + r.stderr


def test_a_json_array_file_is_named_with_its_fix(tmp_path):
    """Was: `Dataset.to_json(lines=False)` or a hand-written JSON array failed as "x.json:1: not valid JSON (Expecting
    value)" -- true, and no help; `factory run` names the fix for the same file (source_check)."""
    recs = [{"q": g["question"]} for g in GSM[:2]]
    (tmp_path / "pretty.json").write_text(json.dumps(recs, indent=2), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps(recs), encoding="utf-8")
    for name in ("pretty.json", "one.json"):
        with pytest.raises(FactoryError, match=rf"{name}:1: one JSON document \(an array or an indented object\), not JSON Lines "
                                               rf"\(one record per line\); convert it, e.g. jq -c '.\[\]' {name} > {name[:-5]}.jsonl$"):
            read_records(tmp_path / name)
