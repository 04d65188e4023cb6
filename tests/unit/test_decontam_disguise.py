"""Benchmark items copied with cheap disguises are still caught: zero-width and other invisible characters inside
words, Cyrillic/Greek look-alike letters, accents, full-width forms, Unicode tag characters, HTML markup between the
words, leetspeak, words spelt out letter by letter. Text without such
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


def html_tags(t: str, rng) -> str:  # a scraped page's markup between the words (was: 0 of 200 copies caught)
    return "<div class=\"q\"><p>" + " ".join(w + (rng.choice(["<b></b>", "</span>", "<br/>", '<a href="#x">']) if rng.random() < 0.5 else "")
                                          for w in t.split(" ")) + "</p></div>"


def leetspeak(t: str, rng) -> str:  # e -> 3, a -> 4, o -> 0, s -> 5 in every word (was: 0 of 200)
    return " ".join(w if any(c.isdigit() for c in w) else w.translate(str.maketrans("eaos", "3405")) for w in t.split(" "))


def spelt_out(t: str, rng) -> str:  # some words spelt letter by letter, two spaces apart ("h o w  m a n y"; was: 77 of
    # 200 by 13-grams); one space apart, two spelt words are one run of letters
    return " ".join(f" {' '.join(w)} " if w.isalpha() and len(w) > 2 and rng.random() < 0.3 else w for w in t.split(" "))


DISGUISES = [zero_width, lookalikes, accents, fullwidth, tags, small_caps, everything, html_tags, leetspeak, spelt_out]


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


def test_unhide_keeps_quantities_labels_and_latex_and_every_offset():
    """The leetspeak, markup and spelt-out readings (:func:`curation.dedup.unhide`) change one character for one, so
    reported spans stay the text's own; a quantity ("16th", "3pm", "5kg", "21st"), a label or identifier alone ("fact1",
    "mp3", "covid19", "gsm_6562") and a LaTeX command ("\\cdot25") are not leetspeak."""
    from curation.dedup import unhide

    plain = "Room 101: 16th floor at 3pm, 5kg, 21st, fact1 = 2, mp3, covid19, gsm_6562, \\cdot25 and x2 + 3x = 10mins."
    assert unhide(plain) == plain
    for t in ("J4n3t'5 duck5 l4y 16 3gg5 p3r d4y 0f 4nd d035.", "<p>Janet's <b>ducks</b> lay</p>", "h o w m a n y eggs"):
        assert len(unhide(t)) == len(t)
    assert words(unhide("J4n3t'5 duck5 l4y 16 3gg5 p3r d4y.")) == words("Janet's ducks lay 16 eggs per day.")
    assert words(unhide("<p>Janet's <b>ducks</b> lay</p> h o w  m a n y")) == ["janet", "s", "ducks", "lay", "how", "many"]


def test_an_item_in_any_turn_of_a_chat_row_is_caught_where_it_is(tmp_path):
    """Found by the white-box red team (bench/decontam_redteam.py): decontamination read a row's user turns, and of a
    content part its ``text`` only, so a benchmark item copied word for word into the system prompt, a few-shot or
    earlier assistant turn, a tool result or an image part's OCR text was caught 0 times in 200, whatever ``compare``."""
    from curation.dedup.decontam_cli import main

    q = GSM[0]["question"]
    shapes = {
        "system": [{"role": "system", "content": q}, {"role": "user", "content": "Answer the question above."}],
        "assistant": [{"role": "user", "content": "Give me a problem."}, {"role": "assistant", "content": q},
                      {"role": "user", "content": "Now solve it."}],
        "tool": [{"role": "user", "content": "Fetch problem 1."},
                 {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function",
                                                                      "function": {"name": "get", "arguments": "{}"}}]},
                 {"role": "tool", "tool_call_id": "c1", "content": q}],
        "image ocr": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                                                   {"type": "image", "ocr": q}, {"type": "text", "text": "Solve this."}]}],
    }
    for compare in ("prompt", "both"):
        step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], compare=compare))
        rows = [new_sample(stage="gen", prompt_id=k, sample_index=0, messages=m) for k, m in shapes.items()]
        out = step.process(rows)
        assert [r["reject_reason"].split(" ")[1] if r["reject_reason"] else None for r in out] == ["gsm8k_test#0"] * 4, compare
    # factory decontam on a run's rows names the turn it is in
    (tmp_path / "rows.jsonl").write_text(json.dumps({"messages": shapes["assistant"], "completion": "18"}) + "\n")
    assert main([str(tmp_path / "rows.jsonl"), "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")]) == 1
    match = json.loads((tmp_path / "rep" / "decontam_report.json").read_text())["matches"][0]
    assert match["field"] == "messages[1].content" and match["item"] == "0", match
    assert q[match["start"]:match["end"]] == match["text"]


def test_snake_case_names_are_their_words():
    """A problem written as code identifiers ("james_decides_to_run") was one token per name: 0 of 200 copies caught.
    Underscores between letters are spaces to every matcher; "gsm_6562" and "fact_1" keep theirs."""
    from curation.dedup import unhide

    assert words(unhide("s0 = (james_decides_to_run, 3, sprints)")) == words("s0 = (james decides to run, 3, sprints)")
    assert unhide("gsm_6562 fact_1 __init__") == "gsm_6562 fact_1 __init__"
