"""Benchmark items sent in an encoding are read decoded (curation.dedup.decoded): base64 (wrapped or URL-safe), hex,
any Caesar shift (ROT13 and others), text reversed by characters or by words, sentences run together as CamelCase.
Was: each of these hid a verbatim copy from every method, 0 of 200 caught (bench/decontam_redteam.md). Plain prose,
code, base64 images and other languages get no decoded reading, so a clean corpus gains no flags.

The encodings here are written apart from bench/decontam_redteam.py's (other framings, shifts, wrapping, turns)."""

from __future__ import annotations

import base64
import json
import random

import pytest

from curation.dedup.benchmarks import shared_data_file
from curation.dedup.decoded import decoded_views
from curation.dedup.decontam import DecontamConfig, Decontaminate
from ground.record import new_sample

GSM = [json.loads(x) for x in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()]


def caesar(t: str, n: int) -> str:
    return "".join(chr((ord(c) - 97 + n) % 26 + 97) if "a" <= c <= "z" else chr((ord(c) - 65 + n) % 26 + 65) if "A" <= c <= "Z"
                   else c for c in t)


def mime_b64(t: str) -> list[dict]:  # wrapped at 76 columns, in the system prompt
    b = base64.b64encode(t.encode()).decode()
    return [{"role": "system", "content": "Attachment (base64):\n" + "\n".join(b[i:i + 76] for i in range(0, len(b), 76))},
            {"role": "user", "content": "Please solve the attached problem."}]


def urlsafe_b64(t: str) -> list[dict]:
    return [{"role": "user", "content": f"task={base64.urlsafe_b64encode(t.encode()).decode().rstrip('=')}&lang=en"}]


def hex_bytes(t: str) -> list[dict]:
    return [{"role": "user", "content": "payload: " + t.encode().hex()}]


def shift_3(t: str) -> list[dict]:  # Caesar's own shift, under an English instruction line
    return [{"role": "user", "content": "Each letter below is moved three places on. Decode it and answer.\n" + caesar(t, 3)}]


def rot13_assistant(t: str) -> list[dict]:  # ROT13 in a few-shot assistant turn
    return [{"role": "user", "content": "Give me a puzzle in ROT13."}, {"role": "assistant", "content": caesar(t, 13)},
            {"role": "user", "content": "Thanks, now decode and solve it."}]


def mirrored(t: str) -> list[dict]:
    return [{"role": "user", "content": t[::-1] + "\n(mirror writing)"}]


def words_backwards(t: str) -> list[dict]:
    return [{"role": "user", "content": " ".join(reversed(t.split()))}]


def lower_camel(t: str) -> list[dict]:  # camelCase with a lower-case start, one run per sentence
    out = []
    for s in t.replace("?", "?|").replace(". ", ".|").split("|"):
        ws = s.split()
        if ws:
            out.append(ws[0].lower() + "".join(w[:1].upper() + w[1:] for w in ws[1:]))
    return [{"role": "user", "content": " ".join(out)}]


ENCODINGS = [mime_b64, urlsafe_b64, hex_bytes, shift_3, rot13_assistant, mirrored, words_backwards, lower_camel]


@pytest.fixture(scope="module")
def step():
    s = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], compare="prompt"))
    s._load()
    return s


@pytest.mark.parametrize("encode", ENCODINGS, ids=lambda f: f.__name__)
def test_encoded_copies_are_caught_as_their_item(step, encode):
    items = random.Random(11).sample(range(len(GSM)), 30)
    rows = [new_sample(stage="gen", prompt_id=str(i), sample_index=0, messages=encode(GSM[i]["question"])) for i in items]
    out = step.process(rows)
    got = [r["reject_reason"].split(" ")[1] if r["reject_reason"] else None for r in out]
    missed = [GSM[i]["question"][:60] for i, g in zip(items, got) if g is None]
    assert len(missed) <= 1, missed  # one short item may fall below every method even decoded
    assert all(g == f"gsm8k_test#{i}" for i, g in zip(items, got) if g is not None)


def test_each_encoding_is_decoded_to_the_text():
    q = GSM[0]["question"]
    assert dict(decoded_views(mime_b64(q)[0]["content"]))["base64"] == q
    assert dict(decoded_views(urlsafe_b64(q)[0]["content"]))["base64"] == q
    assert dict(decoded_views(hex_bytes(q)[0]["content"]))["hex"] == q
    assert dict(decoded_views(caesar(q, 3)))["rot-3"] == q
    assert dict(decoded_views(caesar(q, 13)))["rot-13"] == q
    assert dict(decoded_views(q[::-1]))["reversed"] == q
    assert dict(decoded_views(" ".join(reversed(q.split()))))["reversed words"] == " ".join(q.split())


def test_plain_text_code_images_and_other_languages_have_no_decoded_reading():
    rng = random.Random(0)
    clean = [g["question"] for g in GSM[:300]] + [g["answer"] for g in GSM[:300]] + [
        "Der Zug fährt um acht Uhr ab und kommt um zehn Uhr in Berlin an. Wie lange dauert die Fahrt insgesamt?",
        "El tren sale a las ocho y llega a las diez. ¿Cuánto dura el viaje en total para los pasajeros?",
        "def getUserNameFromDatabase(userId):\n    return db.lookupUserRecordById(userId).displayName",
        "data:image/png;base64," + base64.b64encode(bytes(rng.randrange(256) for _ in range(600))).decode(),
        "sha256: " + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "Visit https://example.com/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 for the full details of the offer today.",
        "Mr. Smith and Dr. Jones met at 5 p.m. on Jan. 3 to discuss the 2.5 sq. ft. sample. They agreed on a price.",
    ]
    assert [t[:40] for t in clean if decoded_views(t)] == []


def test_the_report_names_the_decoded_reading(tmp_path):
    from curation.dedup.decontam_cli import main

    q = GSM[5]["question"]
    (tmp_path / "rows.jsonl").write_text(json.dumps({"messages": shift_3(q), "completion": "ok"}) + "\n")
    assert main([str(tmp_path / "rows.jsonl"), "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")]) == 1
    match = json.loads((tmp_path / "rep" / "decontam_report.json").read_text())["matches"][0]
    assert match["item"] == "5" and match["field"] == "prompt, rot-3", match
    assert match["text"] in q, match
