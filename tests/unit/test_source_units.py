"""Parallel source reading: units planned in the driver, read on workers, equal to reading the whole source."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ground.errors import FactoryError
from ground.source import FieldMap, SourceConfig, plan_units, read_records, read_unit


@pytest.fixture
def src_dir(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    lines = [json.dumps({"question": f"q{i}"}).encode() for i in range(7)]
    lines[2] = b"{not json"
    (d / "a.jsonl").write_bytes(b"\n".join(lines[:4]) + b"\n\n" + b"\n".join(lines[4:]) + b"\n\xff\xfe\n")
    pq.write_table(pa.table({"question": [f"p{i}" for i in range(5)]}), d / "b.parquet", row_group_size=2)
    return d


def _all(units):
    return [(r.index, r.data, r.error, r.where) for u in units for r in read_unit(u)]


@pytest.mark.parametrize("offset,limit,shard", [(0, None, 3), (2, None, 4), (1, 9, 2), (0, None, 100), (7, 3, 1)])
def test_units_read_the_same_records_as_one_pass(src_dir, offset, limit, shard):
    src = SourceConfig(path=str(src_dir), fields=FieldMap(), offset=offset, limit=limit)
    units = plan_units(src, ".", shard)
    got = _all(units)
    whole = [(r.index, r.data, r.error, r.where) for r in read_records(src, ".")]
    assert got == whole
    assert [u.chunk for u in units] == sorted({i // shard for i, *_ in got})
    assert all(u.index == u.chunk * shard for u in units)


def test_records_keep_their_place_and_errors(src_dir):
    recs = _all(plan_units(SourceConfig(path=str(src_dir)), ".", 5))
    assert len(recs) == 8 + 5
    assert (recs[2][2] or "").startswith("bad JSON") and recs[2][3] == "a.jsonl:3"
    assert recs[4][3] == "a.jsonl:6"  # the blank line is skipped, the line number is not
    assert recs[7][2] == "not UTF-8" and recs[7][3] == "a.jsonl:9"
    assert recs[8][1] == {"question": "p0"} and recs[12][3] == "b.parquet row 4"


def test_glob_and_errors(src_dir, tmp_path):
    recs = _all(plan_units(SourceConfig(path=str(src_dir / "*.parquet")), ".", 2))
    assert [r[1]["question"] for r in recs] == [f"p{i}" for i in range(5)]
    with pytest.raises(FactoryError, match="source.path: file not found"):
        plan_units(SourceConfig(path=str(tmp_path / "nope.jsonl")), ".", 2)
    with pytest.raises(FactoryError, match="has no rows after offset 99"):
        plan_units(SourceConfig(path=str(src_dir), offset=99), ".", 2)


def test_files_the_plane_cannot_split_are_refused_by_name(src_dir, tmp_path):
    """A compressed or CSV source is one clear error naming the file, not a run of "not UTF-8" rejects."""
    import gzip

    gz = tmp_path / "train.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"question": "q"}\n'))
    disguised = tmp_path / "train.jsonl"  # gzip bytes under a plain name
    disguised.write_bytes(gz.read_bytes())
    csv = tmp_path / "train.csv"
    csv.write_text("question\nq\n")
    for f in (gz, disguised):
        with pytest.raises(FactoryError, match=f"source.path: {f}: compressed files are not read .* decompress it first"):
            plan_units(SourceConfig(path=str(f)), ".", 2)
    with pytest.raises(FactoryError, match=f"source.path: {csv}: CSV is not a source format; convert it to JSONL or Parquet"):
        plan_units(SourceConfig(path=str(csv)), ".", 2)
    (src_dir / "c.jsonl.gz").write_bytes(gz.read_bytes())  # in a directory it is not silently skipped either
    with pytest.raises(FactoryError, match="c.jsonl.gz: compressed files are not read"):
        plan_units(SourceConfig(path=str(src_dir)), ".", 2)
    with pytest.raises(FactoryError, match="compressed files are not read"):
        plan_units(SourceConfig(path=str(tmp_path / "*.gz")), ".", 2)


def test_bzip2_xz_and_zip_under_a_jsonl_name_are_refused_like_gzip(tmp_path):
    """Was: only gzip's magic was checked; a .jsonl that was bzip2, xz or zip became rows of "not UTF-8" rejects."""
    import bz2
    import lzma
    import zipfile

    data = b"".join(b'{"question": "q%d"}\n' % i for i in range(20))
    (tmp_path / "b.jsonl").write_bytes(bz2.compress(data))
    (tmp_path / "x.jsonl").write_bytes(lzma.compress(data))
    with zipfile.ZipFile(tmp_path / "z.jsonl", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.jsonl", data)
    for name in ("b.jsonl", "x.jsonl", "z.jsonl"):
        with pytest.raises(FactoryError, match=f"source.path: .*{name}: compressed files are not read"):
            plan_units(SourceConfig(path=str(tmp_path / name)), ".", 2)


def test_a_json_document_or_a_broken_parquet_is_one_clear_error(tmp_path):
    arr = tmp_path / "train.json"
    arr.write_text(json.dumps([{"question": "q1"}, {"question": "q2"}], indent=2))
    with pytest.raises(FactoryError, match=r"train.json: one JSON document \(an array or an indented object\), not JSON lines"):
        plan_units(SourceConfig(path=str(arr)), ".", 2)
    arr.write_text(json.dumps([{"question": "q1"}, {"question": "q2"}]))  # the same array on one line
    with pytest.raises(FactoryError, match=r"train.json: one JSON document \(an array or an indented object\), not JSON lines"):
        plan_units(SourceConfig(path=str(arr)), ".", 2)
    broken = tmp_path / "train.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(FactoryError, match=r"train.parquet: not a readable Parquet file"):
        plan_units(SourceConfig(path=str(broken)), ".", 2)
    ok = tmp_path / "ok.json"  # a .json file of JSON lines is read as such
    ok.write_text('{"question": "q1"}\n{"question": "q2"}\n')
    assert [r.data for r in read_records(SourceConfig(path=str(ok)), ".")] == [{"question": "q1"}, {"question": "q2"}]


def test_a_prompt_that_is_not_text_says_what_it_is():
    from ground.source import SourceRecord, prompt_of

    fm = FieldMap(prompt="question")
    assert prompt_of(SourceRecord(0, {"question": 42}), fm) == (None, "field 'question' is not text (a int)")
    assert prompt_of(SourceRecord(0, {"question": ["a"]}), fm) == (None, "field 'question' is not text (a list)")
    assert prompt_of(SourceRecord(0, {"question": "  "}), fm) == (None, "empty prompt in field 'question'")
    assert prompt_of(SourceRecord(0, {"question": None}), fm) == (None, "empty prompt in field 'question'")


def test_a_byte_order_mark_and_crlf_line_ends_are_not_data(tmp_path):
    f = tmp_path / "win.jsonl"  # as Windows Notepad saves it
    f.write_bytes(b'\xef\xbb\xbf{"question": "q1"}\r\n{"question": "q2"}\r\n')
    assert [(r.data, r.error) for r in read_records(SourceConfig(path=str(f)), ".")] == [({"question": "q1"}, None),
                                                                                        ({"question": "q2"}, None)]


def test_a_recursive_glob_reads_a_linked_file_once(tmp_path):
    """Was: ``data/**/*.jsonl`` with ``data/current -> v2`` read v2's records twice, a link to its own folder 41 times
    more (and a link to a parent beside another link made glob enumerate paths without end)."""
    (tmp_path / "data" / "v2").mkdir(parents=True)
    (tmp_path / "data" / "v2" / "a.jsonl").write_text('{"question": "q0"}\n{"question": "q1"}\n')
    (tmp_path / "data" / "current").symlink_to("v2")
    (tmp_path / "data" / "v2" / "self").symlink_to(".")
    recs = read_records(SourceConfig(path=str(tmp_path / "data" / "**" / "*.jsonl")), ".")
    assert [(r.data["question"], r.where) for r in recs] == [("q0", "a.jsonl:1"), ("q1", "a.jsonl:2")]
    (tmp_path / "data" / "v2" / "up").symlink_to("..")  # with `current`, two ways down at every level: 2^40 paths to glob
    recs = read_records(SourceConfig(path=str(tmp_path / "data" / "**" / "*.jsonl")), ".")
    assert [r.data["question"] for r in recs] == ["q0", "q1"]


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"),
                                            ("utf-32", "UTF-32")])
def test_a_utf16_or_utf32_file_is_one_clear_error(tmp_path, encoding, name):
    """Windows tools save text as UTF-16: every line was a 'bad JSON' reject and the run exited 0."""
    f = tmp_path / "train.jsonl"
    f.write_text("".join(json.dumps({"question": f"q{i} é"}) + "\n" for i in range(3)), encoding=encoding)
    with pytest.raises(FactoryError) as e:
        plan_units(SourceConfig(path=str(f)), ".", 10)
    assert str(e.value) == (f"source.path: {f}: the text is {name}, not UTF-8; convert it first "
                            f"(e.g. iconv -f {name} -t UTF-8 train.jsonl > train.utf8.jsonl)")
    f.write_text(json.dumps({"question": "q é"}) + "\n", encoding="utf-8-sig")  # UTF-8 with a BOM is UTF-8
    assert [r.data for r in read_records(SourceConfig(path=str(f)), ".")] == [{"question": "q é"}]
