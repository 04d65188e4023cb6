"""Verbatim GSM8K test items copied with cheap character-level disguises, and how many each method still catches.

    python bench/decontam_obfuscation.py           # 200 items x 9 disguises, 13-gram alone and the default (13-gram + template)

Disguises: zero-width characters inside words, Cyrillic look-alike letters, soft hyphens, no-break spaces, full-width
forms, 20% of words spelt out letter by letter (one space apart, so two spelt words in a row read as one run), leetspeak
(e -> 3, a -> 4, o -> 0, s -> 5), HTML tags between the words, a bidi override around the text.
"""
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from curation.dedup.decontam import DecontamConfig, Decontaminate  # noqa: E402
from curation.dedup.benchmarks import load_benchmark  # noqa: E402
from bench.bench_decontam import row  # noqa: E402
items = load_benchmark("gsm8k_test").items[:200]
rng = random.Random(0)
HOMO = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "i": "\u0456"}
def zw(t): return "".join(ch + ("\u200b" if ch.isalpha() and rng.random() < 0.3 else "") for ch in t)
def homo(t): return "".join(HOMO.get(ch, ch) if rng.random() < 0.5 else ch for ch in t)
def shy(t): return " ".join(w[:len(w)//2] + "\u00ad" + w[len(w)//2:] if len(w) > 5 else w for w in t.split(" "))
def nbsp(t): return t.replace(" ", "\u00a0")
def fullw(t): return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t)
def spaced(t): return " ".join(" ".join(w) if rng.random() < 0.2 else w for w in t.split(" "))
def leet(t): return t.translate(str.maketrans({"e": "3", "a": "4", "o": "0", "s": "5"})) 
def html(t): return "<p>" + t.replace(" ", " <b></b>") + "</p>"
def rtl(t): return "\u202e" + t + "\u202c"
for name, f in [("zero-width", zw), ("homoglyph", homo), ("soft hyphen", shy), ("nbsp", nbsp), ("fullwidth", fullw), ("spaced letters", spaced), ("leet", leet), ("html tags", html), ("bidi", rtl)]:
    for tmpl in (False, None):
        step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", template=tmpl))
        rows = step([row(str(i), f(it.prompt)) for i, it in enumerate(items)])
        print(f"{name:15s} {'13-gram' if tmpl is False else 'default':8s} {sum(r['status']=='rejected' for r in rows)}/200")
