"""Benchmark items copied with cheap disguises are still caught: zero-width and other invisible characters inside
words, Cyrillic/Greek look-alike letters, accents, full-width forms, Unicode tag characters. Text without such
characters matches exactly as before, so a clean corpus gains no flags."""

from __future__ import annotations

import json
import random

import pytest

from curation.dedup import fold, normalize, words
from curation.dedup.benchmarks import shared_data_file
from curation.dedup.decontam import DecontamConfig, Decontaminate
from ground.record import new_sample

GSM = [json.loads(x) for x in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()]
LOOK = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "A": "Α", "O": "Ο", "T": "Τ"}


def zero_width(t: str, rng) -> str:
    return "".join(c + (rng.choice(["\u200b", "\u200c", "\u2060", "\u00ad", "\ufeff"]) if c.isalpha() and rng.random() < 0.3 else "")
                   for c in t)


def lookalikes(t: str, rng) -> str:
    return "".join(LOOK[c] if c in LOOK and rng.random() < 0.5 else c for c in t)


def accents(t: str, rng) -> str:
    acc = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "n": "ñ", "c": "ç"}
    return "".join(acc[c] if c in acc and rng.random() < 0.4 else c for c in t)


def fullwidth(t: str, rng) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and rng.random() < 0.5 else c for c in t)


def tags(t: str, rng) -> str:  # invisible Unicode tag characters inside the words ("ASCII smuggling")
    return " ".join(w[:2] + "".join(chr(0xE0000 + ord(ch)) for ch in "hi") + w[2:] for w in t.split(" "))


def small_caps(t: str, rng) -> str:  # Latin small capitals and IPA letters: no NFKC mapping to ASCII
    caps = dict(zip("abcdefghijklmnoprstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ"), **{"a": "ɑ"} if rng.random() < 0.5 else {})
    return "".join(caps[c] if c in caps and rng.random() < 0.5 else c for c in t)


def everything(t: str, rng) -> str:
    return zero_width(lookalikes(accents(t, rng), rng), rng)


DISGUISES = [zero_width, lookalikes, accents, fullwidth, tags, small_caps, everything]


@pytest.fixture(scope="module")
def step():
    s = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], compare="prompt", masked=True, template=True))
    s._load()
    return s


def _rows(texts):
    return [new_sample(stage="gen", prompt_id=str(i), sample_index=0, messages=[{"role": "user", "content": t}])
            for i, t in enumerate(texts)]


@pytest.mark.parametrize("disguise", DISGUISES, ids=lambda f: f.__name__)
def test_disguised_copies_are_caught_and_named(step, disguise):
    rng = random.Random(7)
    items = rng.sample(range(len(GSM)), 40)
    texts = [disguise(GSM[i]["question"], rng) for i in items]
    assert all(t != GSM[i]["question"] for t, i in zip(texts, items))  # each copy is disguised
    out = step.process(_rows(texts))
    caught = [r["reject_reason"] for r in out]
    assert all(r is not None for r in caught), [t for t, r in zip(texts, caught) if r is None][:3]
    assert [r.split("#")[1].split(" ")[0] for r in caught] == [str(i) for i in items]  # the right item, each time


def test_fold_is_the_identity_on_ascii_and_undoes_each_disguise():
    rng = random.Random(1)
    q = next(g["question"] for g in GSM if g["question"].isascii())
    assert fold(q) is q
    for d in (zero_width, lookalikes, fullwidth, tags, small_caps):
        assert words(d(q, rng)) == words(q), d.__name__
    assert words(accents(q, rng)) == words(q)
    assert normalize("a\u200bb\u00adc") == "abc" and words("Nаtаlіа") == ["natalia"]
    assert words("Привет мир") == words("Привет мир") and fold("日本語のテキスト") == "日本語のテキスト"


def test_accented_lookalikes_fold_like_the_latin_letters_they_copy():
    """Was: Greek "ό" (omicron with tonos) and Cyrillic "ѐ", "ї" folded to Greek/Cyrillic base letters, so an accented
    Spanish or French benchmark item copied with them escaped every matcher."""
    assert [fold(c) for c in "όѐїά"] == ["o", "e", "i", "a"]
    assert words("Sόlο pasό después") == words("Sólo pasó después") == ["solo", "paso", "despues"]
