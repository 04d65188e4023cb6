"""Dedup and decontamination steps (exact, MinHash LSH, embedding, benchmark n-gram), and the helpers they share.

Pipeline order (see ARCHITECTURE.md): exact hash -> MinHash LSH -> embedding near-dup -> decontamination.
Every step compares one text per row, chosen by its config field ``on``:

* ``"prompt"``      the user turns of the JSON ``messages`` column (problem-level dedup; content parts as text)
* ``"completion"``  the teacher's answer (trace-level dedup); a tool trace as its turns' contents and calls
                    (``name(arguments)``), without call ids
* ``"both"``        prompt and completion: exact dedup and the filters join them (:func:`text_of`); MinHash and
                    embedding dedup compare the two apart (:func:`parts_of`), so a long shared context (questions
                    about one document) does not make different questions and answers near-duplicates

A cluster of near-duplicates keeps one survivor chosen by a fixed rule (never at random): highest
``score`` (null counts as lowest), then shortest compared text, then smallest ``id``. The others are
rejected with ``cluster_id`` and ``survivor_id`` set; the survivor gets ``cluster_id`` if it has none yet.

    >>> from ground.record import new_sample
    >>> from curation.dedup import text_of
    >>> row = new_sample(stage="g", prompt_id="p", sample_index=0,
    ...                  messages=[{"role": "user", "content": "2+2?"}], completion="4")
    >>> text_of(row, "both")
    '2+2?\\n\\n4'
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any, Iterable, Literal, Sequence, get_args

import numpy as np
from pydantic import ConfigDict, Field

from ground.config import Config
from ground.lookalikes import LOOKALIKES
from ground.record import reject, sha

#: the text a dedup step compares (:func:`text_of`)
Compared = Literal["prompt", "completion", "both"]
TEXT_CHOICES = get_args(Compared)
_WORD_RE = re.compile(r"\w+")
_SPACE_RE = re.compile(r"\s+")
# FNV-1a 64-bit prime; the multiply/xor chain mixes the token hashes of one n-gram in order.
_FNV_PRIME = np.uint64(0x100000001B3)
_FNV_OFFSET = 0xCBF29CE484222325

# ----------------------------------------------------------------------------- configs
class DedupStepConfig(Config):
    """Base of the dedup steps' configs: the field ``on`` is written ``compare`` in recipes (YAML 1.1 reads a
    bare ``on:`` key as the boolean true); code may use either name."""

    model_config = ConfigDict(populate_by_name=True)


def compare_field(default: str, what: str = "which text to compare") -> Any:
    """The ``on`` field (recipe key ``compare``) of a dedup config."""
    return Field(default, alias="compare", description=f"{what}: one of {list(TEXT_CHOICES)}")


# ----------------------------------------------------------------------------- texts
def content_text(content: Any) -> str:
    """A message's content as text: a string, or the text of its content parts (``{"type": "text", "text": ..}``)."""
    if isinstance(content, list):
        return "\n".join(str(p.get("text") or "") if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def prompt_text(row: dict) -> str:
    msgs = row.get("messages")
    if not msgs:
        return ""
    if isinstance(msgs, str):
        msgs = json.loads(msgs)
    return "\n".join(content_text(m.get("content")) for m in msgs if m.get("role") == "user")


def part_strings(content: Any) -> str:
    """Every string a message's content holds: a string, or each content part's string values but its ``type`` and
    inline data or links (an image part's ``{"ocr": ...}``, ``{"caption": ...}`` too, not only ``{"text": ...}``)."""
    if not isinstance(content, list):
        return str(content or "")
    out = []
    for p in content:
        if isinstance(p, dict):
            out += [v for k, v in p.items() if k != "type" and isinstance(v, str) and not v.startswith(("data:", "http://", "https://"))]
            out += [part_strings([v]) for v in p.values() if isinstance(v, dict)]
        elif p is not None:
            out.append(str(p))
    return "\n".join(x for x in out if x)


def every_turn_text(row: dict, skip_roles: tuple[str, ...] = ()) -> list[str]:
    """The text of each message of the row's ``messages``, whatever its role (system, user, assistant, tool), with
    its calls (:func:`_turn_text`) and every string of its content parts (:func:`part_strings`): what decontamination
    reads as the prompt. Was the user turns' ``text`` parts only: a benchmark item in a system prompt, a few-shot or
    earlier assistant turn, a tool result or an image part's OCR text was read by no check (0 of 200 caught).
    ``skip_roles``: turns of these roles left out."""
    return [t for role, t in role_turns(row) if role not in skip_roles]


def role_turns(row: dict) -> list[tuple[str, str]]:
    """(role, text) of each message of the row's ``messages`` (see :func:`every_turn_text`), its JSON parsed once."""
    msgs = row.get("messages")
    if not msgs:
        return []
    if isinstance(msgs, str):
        msgs = json.loads(msgs)
    return [(m.get("role"), _turn_text(dict(m, content=part_strings(m.get("content"))))) for m in msgs if isinstance(m, dict)]


def _turn_text(turn: dict) -> str:
    """One turn of a trace: its content, then each call as ``name(arguments)`` with the arguments' JSON
    canonicalised; call ids (one per sample with OpenAI's engines) are left out."""
    parts = [content_text(turn.get("content"))]
    for tc in turn.get("tool_calls") or []:
        fn = (tc.get("function") if isinstance(tc, dict) else None) or {}
        args = fn.get("arguments")
        try:
            args = json.dumps(json.loads(args) if isinstance(args, str) else args, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError):
            pass
        parts.append(f"{fn.get('name')}({args})")
    return "\n".join(p for p in parts if p)


def trace_turns(row: dict) -> list[dict] | None:
    """The turns of a tool trace (the completion is a JSON list of role messages, ground/conversation.py), else None."""
    c = row.get("completion") or ""
    if not c.startswith("[") or '"role"' not in c:
        return None
    try:
        turns = json.loads(c)
    except (ValueError, RecursionError):
        return None
    if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) and "role" in t for t in turns):
        return None
    return turns


def completion_text(row: dict) -> str:
    """The completion; a tool trace as the text of its turns."""
    turns = trace_turns(row)
    return (row.get("completion") or "") if turns is None else "\n".join(_turn_text(t) for t in turns)


def text_of(row: dict, which: str) -> str:
    """The text a dedup step compares for ``row`` (see module docstring)."""
    if which == "prompt":
        return prompt_text(row)
    if which == "completion":
        return completion_text(row)
    if which == "both":
        return prompt_text(row) + "\n\n" + completion_text(row)
    raise ValueError(f"on must be one of {TEXT_CHOICES}, got {which!r}")


def parts_of(row: dict, on: str) -> list[str]:
    """The texts a near-duplicate step compares apart: with ``on: both`` the prompt and the completion (:data:`PARTS`),
    else the one text. Joined into one text, a long shared context (a document several questions are asked about)
    outweighed the different questions and answers: they were near-duplicates (MinHash jaccard ~0.9, embedding
    cos=1.000 once the document filled the embedder's window)."""
    return [prompt_text(row), completion_text(row)] if on == "both" else [text_of(row, on)]


#: the parts of ``on: both``, in :func:`parts_of`'s order
PARTS = ("prompt", "completion")


def required_columns(which: str) -> tuple[str, ...]:
    return {"prompt": ("messages",), "completion": ("completion",), "both": ("messages", "completion")}[which]


#: characters that show nothing: soft hyphen, zero-width space/joiners, bidi controls, word joiner, BOM, variation
#: selectors, Unicode tag characters ("ASCII smuggling"); inserted into a word they split it for every matcher
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")
#: combining accents of Latin, Greek and Cyrillic letters, and the optional vowel points of Arabic (harakat) and
#: Hebrew (niqqud), written in some copies of a text and not in others (not the vowel signs of Indic scripts,
#: which are letters)
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
                      "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
                      "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed]")


def fold(text: str) -> str:
    """Undo the cheap disguises of a copied text, for decontamination and near-duplicate matching: invisible
    characters dropped, Cyrillic/Greek look-alikes of Latin letters mapped to them (:data:`ground.lookalikes.LOOKALIKES`),
    accents removed. ASCII text is returned as it is; a genuine Greek or Russian text changes the same way on both sides
    of a comparison."""
    if text.isascii():
        return text
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).translate(LOOKALIKES)
    if text.isascii():
        return text
    # look-alikes again once accents are off: Greek "ό" and Cyrillic "ѐ" are precomposed "ó" and "è" look-alikes
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)).translate(LOOKALIKES))


def normalize(text: str) -> str:
    """NFKC, invisible characters dropped, lower case, collapsed white space: the form every n-gram is taken from."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    return _SPACE_RE.sub(" ", text.lower()).strip()


#: scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar): one token per character,
#: as a run of them is a whole clause ("我今天去商店买了三个苹果"), which no n-gram of another copy would share
UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def _mark_class() -> str:
    """The combining marks (Unicode categories Mn, Mc, Me) outside :data:`UNSPACED`, as a regex class body."""
    unspaced = re.compile(f"[{UNSPACED}]")
    cps = [c for c in range(0x300, 0x20000) if unicodedata.category(chr(c))[0] == "M" and not unspaced.match(chr(c))]
    ranges: list[list[int]] = []
    for c in cps:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


#: a word may hold combining marks: the vowel signs of Devanagari, Bengali, Tamil, ... are not ``\w`` to Python's
#: ``re``, and cut "मैं दुकान" into "म", "द", "क", "न" (the vowels dropped: different words became one token)
_WORD_OR_CHAR_RE = re.compile(f"[{UNSPACED}]|(?:[^\\W{UNSPACED}]|[{_mark_class()}])+")


#: arithmetic operators as tokens of their own (``words(ops=True)``): * and ** (as ^) between two operands spaced alike
#: on both sides ("17 * 25", "a*b"; not markdown's "**bold**", "*italic*" or a "* " bullet, which a copy of an item may
#: add: they cut its n-grams and made "**What is 2 + 3?**" no exact copy of "What is 2 + 3?"), or between two numbers
#: spaced any way ("17 *25"); + / = ^ between two operands spaced any way ("x +3 = 7" is "x + 3 = 7", not "x - 3 = 7");
#: a minus between numbers ("17 - 25", "(3)-2"), between a letter and a number spaced alike ("x - 3", "x-3"; not
#: "5-year-old" or "x-ray") and as a sign ("-5 + 3", "5 - -3"); LaTeX's \times \cdot \ast \div; the look-alikes of
#: :data:`_OPS_AS_ASCII` are written as ASCII first
_L, _R, _INFIX, _PLAIN = r"[\w)\]}%]", r"[\w(\[{$.\\-]", r"\*\*|[+*/=^]", r"[+/=^]"
_OP = (rf"(?<={_L})(?:{_INFIX})(?={_R})|(?<={_L} )(?:{_INFIX})(?= {_R})|(?<=[\d)] )(?:{_INFIX})(?=[\d(])"
       rf"|(?<=[\d)])(?:{_INFIX})(?= [\d(])|(?<={_L} ){_PLAIN}(?={_R})|(?<={_L}){_PLAIN}(?= {_R})"
       r"|\\(?:times|cdot|ast|div)(?![a-z])"
       r"|(?<=[\d)])-(?=\s?-?[\d(])|(?<=[\d)] )-(?=\s?-?[\d(])|(?<=[a-z])-(?=\d)|(?<=[a-z] )-(?= \d)"
       r"|(?<![^\s(\[{=+*/^-])-(?=\d)")
_WORD_OPS_RE = re.compile(rf"{_OP}|\w+")
_WORD_OR_CHAR_OPS_RE = re.compile(f"{_OP}|{_WORD_OR_CHAR_RE.pattern}")
#: one character for one (offsets stay the text's): multiplication signs and dots (× ∗ · ⋅ ∙ ✕ ✖ ⨯), division and
#: fraction slashes (÷ ∕ ⁄, the slash of NFKC's "½" = "1⁄2"), minus and dashes (− ‒ – —); each was dropped as
#: punctuation, so "What is 120 – 7?" was no copy of the item "What is 120 - 7?" once "-" was a token
_OPS_AS_ASCII = str.maketrans("\u00d7\u2217\u00b7\u22c5\u2219\u2715\u2716\u2a2f\u00f7\u2215\u2044\u2212\u2012\u2013\u2014",
                              "********///----")
#: tokens written another way: ** is ^, LaTeX's operators are their signs
_OP_ALIAS = {"**": "^", "\\times": "*", "\\cdot": "*", "\\ast": "*", "\\div": "/"}


#: a markdown bullet ("* one", "+ two", "- three" at a line's start): no operator, though normalising puts it between
#: two words ("ones * one")
_BULLET = re.compile(r"(?m)^[ \t]*[*+\-](?=[ \t])")


#: a calculator annotation (GSM8K's "48/2 = <<48/2=24>>24"): the step written again as markup, blanked (one character
#: for one) where operators are tokens; two answers that share a computation ("4*2=<<4*2=8>>8") shared 13 tokens of
#: it, and 125 of GSM8K train's 7,473 answers matched a test item's answer on such runs alone
_CALC = re.compile(r"<<[^<>\n]{0,200}=[^<>\n]{0,200}>>")


#: an HTML / XML tag ("<p>", "</b>", "<br/>", '<span class="x">'): markup between the words of a scraped copy cut every
#: n-gram of it ("<p>Janet's <b></b>ducks ..." shared none with the item)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]{0,20}(?:\s[^<>]{0,300})?/?>")
#: a word written in leetspeak ("J4n3t", "l4y", "3gg5", "m0rn1ng", "4pples"): a digit between two letters, two or
#: more leet digits among two or more letters, or one digit before three letters that are no unit or ordinal; not a
#: label or an identifier with a number at its end ("fact1", "mp3", "covid19"), not "16th", "3pm", "5kg", not a LaTeX
#: command ("\\cdot25")
_MIXED = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]")
_ALNUM = re.compile(r"(?<![\\\w])[A-Za-z0-9]*(?:[A-Za-z][0-9]|[0-9][A-Za-z])[A-Za-z0-9]*(?!\w)")
_INNER = re.compile(r"[A-Za-z][0-9]+[A-Za-z]")
_UNIT_END = re.compile(r"[0-9](?:st|nd|rd|th|am|pm|kg|km|cm|mm|ml|lbs?|oz|ft|mi|hrs?|mins?|secs?|yrs?|mph)", re.I)
_NUMBER_UNIT = re.compile(r"([0-9]+)([A-Za-z]+)")
_LEET = str.maketrans("013457", "oieast")
_LEET_CLITIC = re.compile(r"(?<=[A-Za-z]['\u2019])[013457](?![\w])")  # "J4n3t'5", "d0n'7"


def _strong_leet(w: str) -> bool:
    letters = sum(c.isalpha() for c in w)
    if _NUMBER_UNIT.fullmatch(w):  # "16th", "10mins", "5kg" are quantities; "4pples" is leet
        return w[0] in "013457" and len(w) - letters == 1 and letters >= 3 and not _UNIT_END.fullmatch(w)
    return bool(_INNER.search(w)) or (sum(c in "013457" for c in w) >= 2 and letters >= 2)


def _quantity(w: str) -> bool:
    """A number with its unit or a right ordinal ("16th", "3pm", "5kg", "21st"; not "4nd", "0f")."""
    m = _NUMBER_UNIT.fullmatch(w)
    if not m or m.group(1).startswith("0"):
        return False
    n, suf = int(m.group(1)), m.group(2).lower()
    if suf in ("st", "nd", "rd", "th"):
        return suf == ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))
    return bool(_UNIT_END.fullmatch(m.group(1)[-1] + suf))


def _unleet(text: str) -> str:
    """Leetspeak words as letters: the strong ones (:func:`_strong_leet`) always; in a text with two or more of those,
    every word of letters and leet digits that is no quantity ("duck5", "i5", "0f", "4nd", "d035"), which alone may be a
    label ("fact1", "mp3")."""
    found = _ALNUM.findall(text)
    strong = sum(_strong_leet(w) for w in found)
    if not strong:
        return text

    def one(m: re.Match) -> str:
        w = m.group()
        if _strong_leet(w) or (strong >= 2 and all(c in "013457" for c in w if c.isdigit()) and not _quantity(w)):
            return w.translate(_LEET)
        return w

    text = _ALNUM.sub(one, text)
    return _LEET_CLITIC.sub(lambda m: m.group().translate(_LEET), text) if strong >= 2 else text


#: the underscores of a snake_case name ("james_decides_to_run"), between letters only ("gsm_6562", "fact_1" keep theirs)
_SNAKE = re.compile(r"(?<=[A-Za-z])_+(?=[A-Za-z])")
#: a word spelt out letter by letter ("h o w m a n y"): three or more single letters in a row, one space apart
_SPELT = re.compile(r"(?<![\w])(?:[A-Za-z] ){2,}[A-Za-z](?![\w])")


def unhide(text: str) -> str:
    """``text`` with the disguises that hide a copy from every n-gram undone, one character for one (offsets stay the
    text's): HTML tags as spaces, leetspeak words as letters (:func:`_unleet`; 0 -> o, 1 -> i, 3 -> e, 4 -> a,
    5 -> s, 7 -> t: "J4n3t" is "Janet"), a word spelt out letter by letter joined (the spaces moved to its end), the underscores
    between the words of a snake_case name as spaces. Applied to both sides of a comparison, so a benchmark's own "mp3" reads as "mpe" too."""
    if "<" in text and ">" in text:
        text = _TAG.sub(lambda m: " " * len(m.group()), text)
    if _MIXED.search(text):
        text = _unleet(text)
    if " " in text:
        text = _SPELT.sub(lambda m: m.group().replace(" ", "") + " " * m.group().count(" "), text)
    if "_" in text:  # snake_case words ("james_decides_to_run") are words; not "gsm_6562" or "fact_1"
        text = _SNAKE.sub(" ", text)
    return text


def _unbullet(text: str) -> str:
    """``text`` with its bullets and calculator annotations (:data:`_CALC`) as spaces, one character for one; not an
    operator that opens a line between two numbers (a sum written in columns: "17\n* 25"); the disguises of
    :func:`unhide` undone."""
    if "<<" in text:
        text = _CALC.sub(lambda m: " " * len(m.group()), text)
    text = unhide(text)
    if not ("\n" in text or text.lstrip()[:1] in ("*", "+", "-")):
        return text

    def blank(m: re.Match) -> str:
        before, after = text[:m.start()].rstrip(), text[m.end():m.end() + 8].lstrip()
        if before[-1:] in tuple("0123456789)") and after[:1] in tuple("0123456789("):
            return m.group()
        return " " * len(m.group())

    return _BULLET.sub(blank, text)


def ops_ascii(text: str) -> str:
    """``text`` normalised (:func:`fold`, :func:`normalize`) with its operator look-alikes as ASCII (:data:`_OPS_AS_ASCII`),
    the form ``words(ops=True)`` and :func:`curation.dedup.near_copy.arithmetic` read."""
    return normalize(fold(_unbullet(text))).translate(_OPS_AS_ASCII)


def words(text: str, ops: bool = False) -> list[str]:
    """Normalised word tokens (punctuation dropped), after :func:`fold`; a character of a script written without
    spaces (Chinese, Japanese, Thai, ...) is a token of its own. ``ops``: arithmetic operators are tokens too
    (:data:`_OP`), so "What is 17 + 25?" and "What is 17 * 25?" differ: decontamination's exact copies and n-grams
    use it (MinHash shingles and key files do not: a near duplicate is still one with another operator)."""
    if ops:
        text = ops_ascii(text)
        return [_OP_ALIAS.get(t, t) for t in (_WORD_OPS_RE if text.isascii() else _WORD_OR_CHAR_OPS_RE).findall(text)]
    text = normalize(fold(text))
    return (_WORD_RE if text.isascii() else _WORD_OR_CHAR_RE).findall(text)


def word_spans(text: str, ops: bool = False) -> list[tuple[int, int]] | None:
    """(start, end) character offsets in ``text`` of each token of :func:`words`, so a match found on normalised
    tokens is quoted from the text itself; None in the rare text where normalising it char by char gives other
    tokens than normalising it whole (a composition across characters). ``ops``: the tokens of ``words(text, ops=True)``.

    >>> t = "Ünï 𝐉anet’s  dücks"
    >>> [t[a:b] for a, b in word_spans(t)], words(t)
    (['Ünï', '𝐉anet', 's', 'dücks'], ['uni', 'janet', 's', 'ducks'])
    """
    pieces: list[str] = []
    first: list[int] = []  # per normalised character: the offsets of the text's characters it came from
    last: list[int] = []
    seen: dict[str, str] = {}
    spaced = False  # the last character given was white space
    source = text
    if ops:
        text = _unbullet(text)
    for m in _PIECE.finditer(text):  # a character with the marks and Hangul jamo that compose with it (NFD Korean)
        c, i, j = m.group(), m.start(), m.end()  # is one piece, so that its tokens are those of the whole text
        p = seen.get(c)
        if p is None:
            p = seen[c] = c.lower() if c.isascii() else _INVISIBLE.sub("", unicodedata.normalize("NFKC", fold(c))).lower()
            if ops:  # one character for one (NFKC's "½" is "1⁄2"): the offsets stay the text's
                p = seen[c] = p.translate(_OPS_AS_ASCII)
        if ops and p.isspace():  # white space as normalize leaves it: one space (an operator is told by its spacing)
            p = "" if spaced else " "
        spaced = p.isspace() if p else spaced
        pieces.append(p)
        first += [i] * len(p)
        last += [j] * len(p)
    flat = "".join(pieces)
    ascii = (ops_ascii(source) if ops else normalize(fold(text))).isascii()
    found = list(((_WORD_OPS_RE if ascii else _WORD_OR_CHAR_OPS_RE) if ops else (_WORD_RE if ascii else _WORD_OR_CHAR_RE)).finditer(flat))
    if [_OP_ALIAS.get(m.group(), m.group()) if ops else m.group() for m in found] != words(source, ops):
        return None
    return [(first[m.start()], last[m.end() - 1]) for m in found]


#: what composes with the character before it under NFKC: combining marks, and the vowel and final-consonant jamo of
#: Hangul written decomposed (NFD, as macOS writes names); was taken char by char, so an NFD Korean text had no spans
_PIECE = re.compile("(?s).[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a"
                    "\u1160-\u11ff\ud7b0-\ud7ff]*")


# ----------------------------------------------------------------------------- n-gram hashing
def _mix(h: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser: spreads the FNV chain so every output bit depends on every input bit
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def token_hashes(token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Hash every token (in Rust, via rensa; stable across processes) -> (flat uint64, lengths)."""
    import rensa

    lens = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    nested = rensa.RMinHash.hash_token_sets(token_lists)
    flat = np.fromiter((h for hs in nested for h in hs), dtype=np.uint64, count=int(lens.sum()))
    return flat, lens


def ngram_hashes(
    token_lists: Sequence[Sequence[str]], n: int, short: str = "whole"
) -> tuple[np.ndarray, np.ndarray]:
    """Hash the contiguous token n-grams of each document, vectorised over the whole batch.

    Returns ``(flat, offsets)``: document ``i``'s n-gram hashes are ``flat[offsets[i]:offsets[i+1]]``
    in text order. A document with fewer than ``n`` (but some) tokens yields one hash of all its
    tokens when ``short="whole"`` and nothing when ``short="skip"``.
    """
    flat, lens = token_hashes(token_lists)
    total = flat.shape[0]
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64) if len(lens) else np.zeros(0, np.int64)
    ends = starts + lens
    with np.errstate(over="ignore"):
        m = max(total - n + 1, 0)
        g = np.full(m, _FNV_OFFSET, dtype=np.uint64)
        for k in range(n):
            g = (g ^ flat[k : k + m]) * _FNV_PRIME
        g = _mix(g)
        valid = (np.arange(m) + n) <= np.repeat(ends, lens)[:m]
        counts = np.maximum(lens - n + 1, 0)
        out = g[valid]
        if short == "whole":
            shorts = np.nonzero((lens > 0) & (lens < n))[0]
            if len(shorts):
                extra = np.empty(len(shorts), dtype=np.uint64)
                for j, d in enumerate(shorts):
                    h = np.full(1, _FNV_OFFSET, dtype=np.uint64)
                    for t in flat[starts[d] : ends[d]]:
                        h = (h ^ t) * _FNV_PRIME
                    extra[j] = _mix(h)[0]
                # splice each whole-document hash in at its document's position
                out = np.insert(out, np.cumsum(counts)[shorts], extra)
                counts = counts.copy()
                counts[shorts] = 1
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return out, offsets


# ----------------------------------------------------------------------------- clusters
def components(n: int, pairs: np.ndarray) -> list[list[int]]:
    """Connected components (size > 1) of the graph on ``range(n)`` with edge list ``pairs`` (m, 2)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving keeps trees shallow
            x = parent[x]
        return x

    for a, b in np.asarray(pairs, dtype=np.int64).reshape(-1, 2).tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def survivor_key(score: Any, text_len: int, row_id: str) -> tuple:
    """Sort key: the smallest key survives (highest score, then shortest text, then smallest id)."""
    s = float(score) if isinstance(score, (int, float)) and not math.isnan(float(score)) else -math.inf
    return (-s, text_len, row_id)


def cluster_id(stage: str, member_ids: Iterable[str]) -> str:
    """Deterministic cluster id from the member ids (same in-process and on Ray)."""
    return f"{stage}:{sha(sorted(member_ids), n=16)}"


def mark_cluster(rows: Sequence[dict], members: Iterable[int], texts: Sequence[str], stage: str, describe) -> int:
    """Keep one survivor of ``members`` (indices into ``rows``), reject the rest; returns the count.

    ``describe(i, s)`` returns the similarity note put in the reason for dropped row ``i`` vs the
    survivor ``s``, e.g. ``"minhash jaccard~0.91"``.
    """
    members = list(members)
    s = min(members, key=lambda i: survivor_key(rows[i].get("score"), len(texts[i]), rows[i]["id"]))
    cid = cluster_id(stage, (rows[i]["id"] for i in members))
    if rows[s].get("cluster_id") is None:
        rows[s]["cluster_id"] = cid
    sid = rows[s]["id"]
    for i in members:
        if i == s:
            continue
        rows[i]["cluster_id"], rows[i]["survivor_id"] = cid, sid
        reject(rows[i], stage, f"near-duplicate of {sid} ({describe(i, s)})")
    return len(members) - 1
