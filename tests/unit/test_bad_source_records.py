"""Bad source records become rows rejected at stage ``source`` whose reason names the problem and the record's
file:line; none of them may crash the expansion (a crash on a Ray worker fails the whole run) or reach the teacher
as a prompt it was not meant to see."""

import json

from factory.recipe import load_recipe
from ground.source import read_records
from teachers.expand import Expander

RECIPE = """name: bad_records
source:
  path: s.jsonl
  fields: {prompt: question, id: id}
prompt:
  template: "Q: {question} [{answer}] {meta[k]}\\nA:"
teacher:
  model: smollm2-135m-instruct
"""


def _rows(tmp_path, lines: list[bytes]) -> list[tuple[str, str | None, str | None]]:
    (tmp_path / "s.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "r.yaml").write_text(RECIPE)
    r = load_recipe(str(tmp_path / "r.yaml"))
    exp = Expander.from_recipe(r)
    out = []
    for rec in read_records(r.source, r.base_dir):
        (row,) = exp.expand(rec)
        msgs = json.loads(row["messages"])
        out.append((row["status"], row["reject_reason"], msgs[-1]["content"] if msgs else None))
    return out


def test_a_null_template_field_is_a_reject_naming_the_field_and_row_not_the_word_none(tmp_path):
    """Was: a null ``answer`` rendered as "[None]" and went to the teacher; a null ``meta`` under ``{meta[k]}``
    raised TypeError out of the expansion (a failed run)."""
    got = _rows(tmp_path, [
        b'{"id": "a", "question": "Q1", "answer": "1", "meta": {"k": "x"}}',
        b'{"id": "b", "question": "Q2", "answer": null, "meta": {"k": "x"}}',
        b'{"id": "c", "question": "Q3", "answer": "1", "meta": null}',
        b'{"id": "d", "question": "Q4", "answer": "1", "meta": {"k": null}}',
        b'{"id": "e", "question": "Q5", "answer": "1", "meta": "text"}',
    ])
    assert got[0] == ("accepted", None, "Q: Q1 [1] x\nA:")
    assert got[1][:2] == ("rejected", "template field 'answer' is null in the record [s.jsonl:2]")
    assert got[2][:2] == ("rejected", "template field 'meta' is null in the record [s.jsonl:3]")
    assert got[3][:2] == ("rejected", "template field 'meta[k]' is null in the record [s.jsonl:4]")
    assert got[4][0] == "rejected" and got[4][1].startswith("template field missing in record: ") and got[4][1].endswith("[s.jsonl:5]")
    assert all(c is None for _, _, c in got[1:])  # no prompt for the teacher


def test_a_lone_surrogate_in_a_jsonl_record_is_a_reject_not_a_failed_chunk(tmp_path):
    """Was: ``"\\ud800"`` (half an emoji, valid JSON) parsed into a string no UTF-8 writer takes: hashing the
    record for its request key raised UnicodeEncodeError out of the expansion."""
    got = _rows(tmp_path, [
        b'{"id": "a", "question": "Q1", "answer": "1", "meta": {"k": "\\ud83d\\ude00"}}',  # a whole pair: an emoji
        b'{"id": "b", "question": "Q2 \\ud83d", "answer": "1", "meta": {"k": "x"}}',
        b'{"id": "c", "question": "Q3", "answer": "1", "meta": {"\\udc00": "x"}}',
    ])
    assert got[0] == ("accepted", None, "Q: Q1 [1] \U0001F600\nA:")
    assert got[1][:2] == ("rejected", "not valid Unicode: a lone surrogate \\ud83d (half of a UTF-16 pair) in the JSON [s.jsonl:2]")
    assert got[2][:2] == ("rejected", "not valid Unicode: a lone surrogate \\udc00 (half of a UTF-16 pair) in the JSON [s.jsonl:3]")
