"""Encoded copies: the decoded readings of a text that states a benchmark item in an encoding no n-gram, template or
embedding check reads (``bench/decontam_redteam.md``: 0 of 200 copies caught by any method).

:func:`decoded_views` returns ``(kind, text)`` for each encoding found in a text, and decontamination reads each as one
more text of the row (its n-grams, templates and embeddings; a match names the view, e.g. ``prompt, base64``):

* ``base64`` / ``hex``: a run of the alphabet (a long token, or lines of one wrapped at a fixed width) that decodes to
  UTF-8 text with words in it; standard and URL-safe base64;
* ``rot-N``: a line whose letters are English shifted by N places (ROT13, a Caesar cipher), told by letter
  frequencies and checked by the English function words the shifted line then has;
* ``reversed``: a line written backwards character by character (its function words appear reversed), or
  ``reversed words``: its words in reverse order (a sentence's last word opens it: "day. a per eggs 16 ...");
* ``camelcase``: sentences run together as CamelCase ("JanetsDucksLay16EggsPerDay"), split into words again.

Plain text has no view (English prose is none of these), so a clean corpus costs one regex scan and a word count per
line. Left out: translation (no model to translate back), word-level ciphers (pig latin), layouts that interleave two
columns.

    >>> import base64
    >>> decoded_views("Decode: " + base64.b64encode(b"Janet's ducks lay 16 eggs per day.").decode())
    [('base64', "Janet's ducks lay 16 eggs per day.")]
    >>> decoded_views("Wnarg'f qhpxf ynl 16 rttf cre qnl. Fur rngf guerr sbe oernxsnfg rirel zbeavat.")
    [('rot-13', "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning.")]
    >>> decoded_views(".gninrom yreve tsafkaerb rof eerht stae ehS .yad rep sgge 61 yal skcud s'tenaJ")
    [('reversed', "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning.")]
    >>> decoded_views("JanetsDucksLay16EggsPerDay. SheEatsThreeForBreakfastEveryMorning.")
    [('camelcase', 'Janets ducks lay 16 eggs per day. She eats three for breakfast every morning.')]
    >>> decoded_views("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning.")
    []
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from collections import Counter

import numpy as np

#: English function words: a line that has few of them is looked at as a possible cipher; a decoding must have many
FUNCTION_WORDS = frozenset(
    "a an the of to in on at for from by with and or but if then than as is are was were be been has have had do does "
    "did will would can could should he she it they we you i his her its their our your him them this that these those "
    "each every how many much what which who when where there not no more less".split())
#: letter frequencies of English text, a..z (per 1,000 letters)
_EN = (82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20, 1)

_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
#: row n: the log frequency, as English, of each letter a..z of a text shifted back by n
_SHIFTED_LOG_EN = np.array([[math.log(_EN[(j - n) % 26] / 1000) for j in range(26)] for n in range(26)])
_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{16,}")
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}(?:[ \t]*\r?\n[ \t]*[A-Za-z0-9+/_-]{4,}={0,2})*")
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}){16,}")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_CAMEL_TOKEN = re.compile(r"\S*[a-z][A-Z]\S*[a-z][A-Z]\S*")
_CAMEL_CUT = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_ABBREV = re.compile(r"[A-Za-z]{1,2}\.|(?:[A-Za-z]\.){2,}|(?:etc|approx|vs|min|hrs|lbs|oz|cf|ibid)\.", re.I)
_END_THEN_LOWER = re.compile(r"\w[.?!] +[a-z0-9]")
_CODE_CHARS = frozenset('=()[]{}<>\\_"|@#*^~`;')
MIN_LETTERS = 30  # a line shorter than this is too short to tell a cipher from a name or a code


def decoded_views(text: str) -> list[tuple[str, str]]:
    """``(kind, decoded text)`` of each encoding :mod:`this module <curation.dedup.decoded>` finds in ``text``, at most
    one of each kind (the decoded runs or lines of a kind joined by newlines); [] for plain text. Remembered for the
    last few thousand texts (decontamination's methods read the same row text several times)."""
    if not text or len(text) < MIN_LETTERS:
        return []
    return list(_views(text))


@functools.lru_cache(maxsize=4096)
def _views(text: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if _TOKEN.search(text):
        for kind, found in (("base64", _base64_runs(text)), ("hex", _hex_runs(text)), ("camelcase", _camel(text))):
            if found:
                out.append((kind, found))
    shifted: dict[int, list[str]] = {}
    backwards: list[str] = []
    words_back: list[str] = []
    for line in text.splitlines():
        if len(line) < MIN_LETTERS:
            continue
        share = _function_share(line)  # English prose as written: 0.25-0.45; a cipher's reading must be far more
        if share >= 0.25:  # prose: only its word order can be reversed ("day. a per eggs")
            if _END_THEN_LOWER.search(line) and _reversed_words(line):
                words_back.append(" ".join(line.split()[::-1]))
            continue
        have = Counter(line)
        letters = [have.get(c, 0) + have.get(c.upper(), 0) for c in _ALPHABET]
        if sum(letters) < MIN_LETTERS or sum(have.get(c, 0) for c in _CODE_CHARS) > 0.03 * len(line):
            continue  # short, or code and data (a cipher of prose keeps prose's punctuation)
        if (n := _caesar_shift(letters)) and _function_share(back := _shift(line, n)) >= max(0.15, 2 * share):
            shifted.setdefault(n, []).append(back)
        elif _function_share(line[::-1]) >= max(0.15, 1.5 * share):  # "eh", "ta" read either way
            backwards.append(line[::-1])
        elif share >= 0.1 and _reversed_words(line):
            words_back.append(" ".join(line.split()[::-1]))
    for n, lines in sorted(shifted.items()):
        out.append((f"rot-{n}", "\n".join(lines)))
    if backwards:
        out.append(("reversed", "\n".join(backwards)))
    if words_back:
        out.append(("reversed words", "\n".join(words_back)))
    return tuple(out)


def _plain(b: bytes) -> str | None:
    """``b`` as text when it is UTF-8 with words in it (a line of prose, not an image or a hash)."""
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c in "\n\t\r" for c in s)
    if printable < 0.95 * len(s) or len(_WORD.findall(s)) < 3 or " " not in s:
        return None
    return s


def _base64_runs(text: str) -> str:
    found = []
    for m in _B64_RUN.finditer(text):
        run = re.sub(r"\s+", "", m.group())
        for alt in (b"+/", b"-_"):
            try:
                raw = base64.b64decode(run.replace("=", "") + "=" * (-len(run.replace("=", "")) % 4), altchars=alt, validate=True)
            except (binascii.Error, ValueError):
                continue
            s = _plain(raw)
            if s is not None:
                found.append(s)
                break
    return "\n".join(found)


def _hex_runs(text: str) -> str:
    found = [s for m in _HEX_RUN.finditer(text) if (s := _plain(bytes.fromhex(m.group()))) is not None]
    return "\n".join(found)


def _camel(text: str) -> str:
    """The text with its CamelCase runs split into words, when such runs hold most of its letters."""
    runs = _CAMEL_TOKEN.findall(text)
    if not runs or max(len(r) for r in runs) < 20 or sum(c in _CODE_CHARS for c in text) > 0.03 * len(text):
        return ""  # none, or code (identifiers are camelCase too)
    letters = sum(c.isalpha() for c in text)
    if sum(sum(c.isalpha() for c in r) for r in runs) < 0.5 * letters:
        return ""
    def words(m: re.Match) -> str:  # each word was capitalised to mark where it starts: lower case but the first
        ws = _CAMEL_CUT.sub(" ", m.group()).split(" ")
        return " ".join([ws[0]] + [w if w.isupper() and len(w) > 1 else w.lower() for w in ws[1:]])

    split = _CAMEL_TOKEN.sub(words, text)
    pieces = [w for r in runs for w in re.findall(r"[A-Za-z]+", _CAMEL_CUT.sub(" ", r))]
    if _function_share(split) < 0.1 or sum(map(len, pieces)) < 3.5 * len(pieces):
        return ""  # English run together, not identifiers, base64 or a random id ("AbCdEf")
    return split


def _function_share(line: str) -> float:
    """The share of the line's words that are English function words (of two letters or more: a lone "a" or "i" is
    as often a variable or a cipher's letter)."""
    ws = [w.lower() for w in _WORD.findall(line)]
    return sum(len(w) > 1 and w in FUNCTION_WORDS for w in ws) / len(ws) if len(ws) >= 5 else 0.0


def _caesar_shift(letters: list[int]) -> int:
    """The shift (1..25) that makes a line's letter counts (a..z) most English-like, when that beats the line as it is;
    else 0. English itself: every other shift scores at least 0.15 nats per letter lower."""
    fit = _SHIFTED_LOG_EN @ np.asarray(letters, dtype=float) / max(1, sum(letters))  # log-likelihood per letter, by shift
    best = int(fit.argmax())
    return best if best and fit[best] - fit[0] > 0.1 else 0


def _shift(line: str, n: int) -> str:
    """``line`` with each ASCII letter moved back by ``n`` places (case kept)."""
    def one(c: str) -> str:
        if "a" <= c <= "z":
            return chr((ord(c) - 97 - n) % 26 + 97)
        if "A" <= c <= "Z":
            return chr((ord(c) - 65 - n) % 26 + 65)
        return c
    return "".join(one(c) for c in line)


def _reversed_words(line: str) -> bool:
    """True when the line reads as sentences with their word order reversed: the word that ended a sentence ("day.")
    now opens it, so most sentence ends are followed by a lower-case word or a number, and the line ends on a word without its
    full stop (the first word of the first sentence)."""
    toks = line.split()
    ends = [b for a, b in zip(toks, toks[1:]) if len(a) > 1 and a[-1] in ".?!" and a[-2].isalnum() and not _ABBREV.fullmatch(a)]
    low = sum(not b[0].isupper() for b in ends)  # "day. a", "minutes. 20", not "sq. ft." or "Mr. Smith"
    return low >= 2 and low >= 0.6 * len(ends) and toks[-1][-1] not in ".?!:;\"')”"
