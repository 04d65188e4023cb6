"""Note-style copies of a benchmark item (its function words dropped: "Janet ducks lay 16 eggs day.") are caught by
content-word n-grams: ``content_ngram`` (9) words in a row once the function words (the, of, is, to, he, ...) are left
out on both sides, counted where they span at least ``ngram`` (13) of the item's own words, as much of it as a 13-gram.
Was: dropping ~20 function words broke almost every 13-gram and ~30% fell below the template threshold
(bench/decontam_redteam.md, `telegraphic`: 142 of 200).

The note style here drops another set of words than bench/decontam_redteam.py's (pronouns, auxiliaries, "and", "how
many" kept as "#")."""

from __future__ import annotations

import json
import random
import re

import pytest

from curation.dedup.benchmarks import shared_data_file
from curation.dedup.decontam import DecontamConfig, Decontaminate
from ground.record import new_sample

GSM = [json.loads(x) for x in shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()]
DROP = set("the a an of to is are was were does do did he she they it his her their them and with for in on at has have had "
           "will would be".split())


def notes(t: str) -> str:
    """Lab-notebook style: function words gone, "how many" as "#", one fact per line."""
    t = re.sub(r"(?i)\bhow many\b", "#", t)
    lines = [" ".join(w for w in s.split() if w.lower().strip(".,?!;:") not in DROP) for s in re.split(r"(?<=[.?!])\s+", t)]
    return "\n".join("- " + x for x in lines if x)


def row(pid: str, text: str) -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, messages=[{"role": "user", "content": text}])


@pytest.fixture(scope="module")
def step():
    s = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], compare="prompt", template=False))
    s._load()
    return s


def test_note_style_copies_are_caught_as_their_item(step):
    items = random.Random(5).sample(range(len(GSM)), 40)
    rows = [row(str(i), notes(GSM[i]["question"])) for i in items]
    out = step.process(rows)
    reasons = [r["reject_reason"] or "" for r in out]
    hit = [i for i, r in zip(items, reasons) if " content 9-gram '" in r]
    assert len(hit) >= 36, [(notes(GSM[i]["question"])[:80], r) for i, r in zip(items, reasons) if i not in hit][:4]
    # the item copied, or one with the same sentences (GSM8K test 488 and 761 share two: the first owner is named)
    wrong = [(i, r) for i, r in zip(items, reasons) if r and not r.startswith(f"contaminated: gsm8k_test#{i} ")]
    assert [(i, r.split(" ")[1]) for i, r in wrong] in ([], [(761, "gsm8k_test#488")]), wrong


def test_off_with_content_ngram_0_and_the_plain_13_gram_misses_the_same_notes():
    items = random.Random(5).sample(range(len(GSM)), 40)
    rows = [row(str(i), notes(GSM[i]["question"])) for i in items]
    out = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], compare="prompt", template=False, content_ngram=0))(rows)
    assert sum(r["status"] == "rejected" for r in out) <= 8  # what 13-grams alone catch of the same notes


def test_a_short_overlap_stays_below_and_other_problems_pass(step):
    q = GSM[0]["question"]  # Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and ...
    twelve = " ".join(q.split()[:11])  # 9 content words, but 12 of the item's words: less than a 13-gram
    rows = [row("short", twelve),
            row("other", "Janet's geese lay 20 eggs per week. She gives four to her neighbours every Sunday and sells the "
                         "rest at the shop for $3 each. How much does she earn every week?"),
            row("topic", "Ducks lay eggs every morning; farmers sell eggs at markets for dollars each day of the week.")]
    assert [r["status"] for r in step.process(rows)] == ["accepted", "accepted", "accepted"]


def test_the_report_quotes_the_rows_own_words(tmp_path):
    from curation.dedup.decontam_cli import main

    q = GSM[7]["question"]
    note = notes(q)
    (tmp_path / "rows.jsonl").write_text(json.dumps({"prompt": note, "completion": "ok"}) + "\n")
    code = main([str(tmp_path / "rows.jsonl"), "--benchmarks", "gsm8k_test", "--template", "off", "--compare", "prompt",
                 "--out", str(tmp_path / "rep")])
    assert code == 1
    match = json.loads((tmp_path / "rep" / "decontam_report.json").read_text())["matches"][0]
    assert match["item"] == "7" and match["method"].startswith("content 9-gram"), match
    assert note[match["start"]:match["end"]] == match["text"] and len(match["text"].split()) >= 9, match


def as_program(t: str) -> str:
    """A problem stated as data in a program: each sentence an assignment of a tuple of quoted snake_case phrases and
    bare numbers (a code corpus's "problem as data")."""
    out = ["```py"]
    for k, s in enumerate(x for x in re.split(r"(?<=[.?!])\s+", t) if x):
        parts = [p.strip() for p in re.split(r"(\$?\d[\d,]*(?:\.\d+)?)", s) if p.strip(" .,?")]
        vals = [p if re.fullmatch(r"\$?\d[\d,]*(?:\.\d+)?", p) else repr("_".join(re.findall(r"[A-Za-z]+", p)).lower()) for p in parts]
        out.append(f"fact_{k} = ({', '.join(v.lstrip('$').replace(',', '') for v in vals)})")
    return "\n".join(out + ["```"])


def test_a_problem_written_as_data_in_a_program_is_read_and_code_is_not():
    """Was: every assignment line of a fenced block was code, so a problem stated as tuples of snake_case phrases was
    read by nothing but 13-grams (bench/decontam_redteam.md `snake_code`: 161 / 108 of 200). An assignment of data that
    holds a phrase is its text now; a computing line (``total = eggs_per_day - eaten``) is still dropped."""
    from curation.dedup.template_mask import template

    step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], compare="prompt"))
    items = random.Random(9).sample(range(len(GSM)), 30)
    out = step.process([row(str(i), as_program(GSM[i]["question"])) for i in items])
    got = [r["reject_reason"].split(" ")[1] if r["reject_reason"] else None for r in out]
    assert sum(g == f"gsm8k_test#{i}" for i, g in zip(items, got)) >= 27, [as_program(GSM[i]["question"]) for i, g in zip(items, got) if g is None][:2]
    pal = "```python\ndef solution():\n    eggs_per_day = 16\n    eaten = 3 + 4\n    total = (eggs_per_day - eaten) * 2\n    return total\n```"
    assert template(pal) == []


def test_quantities_written_as_roman_numerals_are_quantities():
    """Was: "Janet's ducks lay XVI eggs" kept XVI as a word, so a rewrite with Roman numerals lost its numbers to the
    template (bench/decontam_redteam.md `roman_numerals`, light rewrite: 182 of 200). Words that are Roman numerals by
    their letters but mostly something else (CD, MD, XL, MIX) and a lone "I" stay words."""
    from curation.dedup.template_mask import template

    assert template("Janet's ducks lay XVI eggs per day and she sells MMXXIV of them.") == \
        template("Janet's ducks lay 16 eggs per day and she sells 2024 of them.")
    assert not [t for t in template("I bought a CD and an XL shirt for MIX at DC.") if t.startswith("#")]
    step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], compare="prompt"))
    roman = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII", 9: "IX", 10: "X"}

    def to_roman(n: int) -> str:
        out = ""
        for v, r in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL")):
            while n >= v:
                out, n = out + r, n - v
        while n >= 10:
            out, n = out + "X", n - 10
        return out + (roman[n] if n else "")

    items = [i for i in random.Random(3).sample(range(len(GSM)), 60) if re.search(r"\b(?:[2-9]|\d\d+)\b", GSM[i]["question"])][:30]
    texts = [re.sub(r"(?<![\d.,$])\b(\d+)\b(?![\d.,]\d)", lambda m: to_roman(int(m.group())) if 1 < int(m.group()) < 4000 else m.group(),
                    "Exercise (numbers in Roman style): " + GSM[i]["question"].replace("Janet", "Marta")) for i in items]
    out = step.process([row(str(i), t) for i, t in zip(items, texts)])
    assert sum((r["reject_reason"] or "").startswith(f"contaminated: gsm8k_test#{i} ") for i, r in zip(items, out)) >= 28


def test_spoken_fillers_are_not_words_or_clause_ends():
    """Was: "um," / "uh" / "you know," between the words of a transcript were template words and their commas cut
    clauses, so a filler every few words hid 4-9% of copies (bench/decontam_redteam.md `filler_every_6`). "like" as a
    verb and words that start like a filler ("umbrella", "Ummah") stay."""
    from curation.dedup.template_mask import template

    plain = "James decides to run 3 sprints 3 times a week. He runs 60 meters each sprint."
    spoken = "James, erm, decides to run 3 sprints, I mean, 3 times a week. Uh he runs, you know, 60 meters hmm each sprint."
    assert template(spoken) == template(plain)
    assert "like" in template("She would like 3 apples.") and "umbrella" in template("She buys an umbrella for $5.")
