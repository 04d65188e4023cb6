"""A twenty-first rewrite style for GSM8K problems, written on 2026-12-05 (session 25) without seeing the matcher
(nothing under curation/, factory/, verifiers/, ground/, students/ or teachers/ read, listed or imported, no repo-wide
grep, no decontamination bench, calibration, judge or scoring script and no ``factory decontam`` run, no results,
notes, README, git history, diffs or flag labels read), and never used for calibration or for reading misses: a
held-out check. Of styles 1-20 and the noise style only the module docstrings (their first 60 lines) were read, to stay
clear of them.

It models how a test item looks after *people* reused it as classroom and web material rather than after a model
paraphrased it: a teacher marks it up with a reading strategy and writes unit hints beside the values, a worksheet
author restates its sentences with other syntax, turns its comparisons around and asks the question as a quiz stem, a
quiz maker adds answer options, and the item is then pasted into an e-mail reply, a wiki / forum / HTML / Org / reST
page or a classroom song. The problem stays the same problem: every quantity-bearing fact keeps its role and its value
(only the syntax around it changes, or an equal quantity in another unit is put *beside* it, never instead of it), the
solution steps are the same and the same thing is asked. Each kind is switched on at random per problem; a problem
with fewer than three kinds changing it is redone from the original with one more kind switched on at a time until
three do (or all are on). The kinds run in the order 1-7:

1. converse comparisons: a comparison sentence between two named people is stated from the other side, with the same
   number ("Sue has 5 more apples than Tom." -> "Tom has 5 fewer apples than Sue.", "Amy is 5 years older than Jack."
   -> "Jack is 5 years younger than Amy.", "A is 3 inches taller than B." -> "B is 3 inches shorter than A.", "Tom
   has twice as many cards as Ann." -> "Ann has half as many cards as Tom.", "Dante is twice as old as Cooper." ->
   "Cooper is half as old as Dante.");
2. cleft and count restatements of fact sentences: pseudo-clefts in both orders ("She bought 2 more for $5." -> "What
   she bought was 2 more for $5." / "2 more for $5 was what she bought."; "On Monday, she sold 20 cakes." -> "On Monday,
   what she sold was 20 cakes."; "She eats 3 every morning and bakes 4." -> "What she eats is 3 every morning, and she
   bakes 4."), counts as a predicate ("There are 30 kids in the class." -> "The kids in the class number 30.", "Janet
   has 3 apples." -> "Janet's apples number 3."), prices and ages and durations as a noun ("A pen costs $2." -> "The
   price of a pen is $2.", "Tom is 12 years old." -> "Tom's age is 12 years.", "It takes her 20 minutes to walk to
   school." -> "20 minutes is how long it takes her to walk to school.");
3. equal-quantity glosses, a teacher's hint beside a value that stays, in one bracket form per problem ("(...)", "(=
   ...)", "(that is, ...)", "[...]", "(i.e. ...)"): "2 hours (120 minutes)", "90 minutes (= 1.5 hours)", "3 weeks (21
   days)", "2 feet (24 inches)" (not a body's feet), "3 miles (about 4.8 km)", "5 pounds (80 ounces) of flour" (a
   weight only, never money), "5 tons (10,000 pounds)", "2 gallons (8 quarts)", "a dozen (12)", "$1.50 (150 cents)",
   "25% (one quarter)", "2 years (24 months)", "3 kilograms (3000 grams)"; never on ages ("years old") or "ago";
4. quiz-stem question: the question asked in situ, as teachers and quiz stems do ("How many apples does Janet have?"
   -> "Janet has how many apples?", "How much did he pay?" -> "He paid how much?", "How many pens does she still
   have?" -> "She still has how many pens?", "how many did she start with?" -> "she started with how many?", "How old
   is Seth?" -> "Seth is how old?", "How many bees are there?" -> "There are how many bees?", "What was the original
   price?" -> "The original price was what?"), a leading "If ..., " kept in front;
5. reading-strategy mark-up (the CUBES / "circle, underline, box" routine of primary-school worksheets): every number
   "circled" in one bracket style ("((16))", "[16]", "{16}", "(16)", currency inside), the question "underlined"
   ("_..._", "__...__", "<u>...</u>"), operation key words "boxed" ("|each|", "[[total]]", "#more#", "*left*"), a
   strategy line in front ("CUBES: Circle the numbers, ...") and often a key-word legend after the question ("Key
   words: more (add?), each (multiply?)"); the glosses of kind 3 are left unmarked;
6. multiple choice: four numeric options made from the problem's own numbers (sums, differences, products, quotients;
   whole numbers when all given numbers are whole; with the currency sign when money is asked) plus "None of these",
   labelled "(A)-(E)", "A)-E)" or "a.-e.", one per line or on one line, after an instruction ("Choose the best
   answer.", "Fill in the bubble next to the correct answer.", ...); no answer key is looked up, so the right value
   need not be among them;
7. carrier, one of: an e-mail reply that quotes the problem piece by piece ("On Tue, 11 Feb 2026 at 18:28, ... wrote:",
   ">" or nested "> >" quote marks, number-free inline remarks such as "Note the wording here."), a web page (an HTML
   ``<div>`` with an ``<ol>`` of facts, a MediaWiki ``== Problem ==`` page with ``#`` items and a category, a BBCode
   ``[list=1][*]`` post, an Org-mode ``* TODO`` entry with ``- [ ]`` items, a reStructuredText field list with an
   ``.. admonition:: Question``), or a classroom song (verses of one or two facts, each ended by a number-free refrain
   line, the question sung twice as the chorus, options "spoken" after it).

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v21 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(2)))
    Janet's apples number 3. What she bought was 2 more for $5. Janet has how many apples?
    Select one answer.
    (A) 5   (B) 10   (C) 25   (D) 30   (E) None of these
    >>> q = "Sue has 5 more pens than Tom. Tom has 3 pens and buys a box of 12 pens for $2.50. "
    >>> q += "How many pens does Sue have?"
    >>> print(rewrite(q, random.Random(2)).replace(". ", ".\\n"))
    Tom has 5 fewer pens than Sue.
    Tom has 3 pens and buys a box of 12 pens for $2.50 (= 250 cents).
    Sue has how many pens?
"""

from __future__ import annotations

import random
import re

__all__ = ["rewrite"]

# ---------------------------------------------------------------------------------------------------------------
# shared helpers

_ABBREV = ("Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Mt", "vs", "etc", "lbs", "oz", "approx", "No")

_WORDNUM = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
_NUMWORD_RE = "|".join(sorted(_WORDNUM, key=len, reverse=True))
_NUM = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|(?:%s)(?:-(?:%s))?)" % (_NUMWORD_RE, _NUMWORD_RE)

_NOT_SUBJ = {
    "There", "This", "That", "These", "Those", "Each", "Every", "Then", "Now", "So", "But", "And", "What", "How",
    "If", "When", "After", "Before", "While", "The", "A", "An", "In", "On", "At", "For", "Last", "Next", "One",
    "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Some", "All", "Both", "His", "Her",
    "Their", "Its", "My", "Our", "Your", "Since", "Because", "Also", "Monday", "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December", "Today", "Yesterday", "Tomorrow", "Once", "Twice", "Half",
    "Most", "Many", "Several", "Only", "Later", "First", "Second", "Third", "Finally", "However", "Meanwhile",
}


def _split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (whitespace-normalised), never splitting after Mr./Dr. or inside 1.5."""
    t = re.sub(r"\s+", " ", text.strip())
    out, start = [], 0
    for m in re.finditer(r"[.?!](?=\s+[A-Z\"$0-9(])", t):
        word = re.findall(r"(\w+)$", t[start:m.start()])
        if word and word[0] in _ABBREV:
            continue
        out.append(t[start:m.end()].strip())
        start = m.end()
    rest = t[start:].strip()
    if rest:
        out.append(rest)
    return [s for s in out if s]


def _num_value(tok: str) -> float | None:
    tok = tok.lower().replace(",", "")
    try:
        return float(tok)
    except ValueError:
        pass
    parts = tok.split("-")
    if all(p in _WORDNUM for p in parts):
        return float(sum(_WORDNUM[p] for p in parts))
    return None


def _fmt(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v)):,}" if abs(v) >= 10000 else str(int(round(v)))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _is_name(s: str) -> bool:
    words = s.split()
    if not 1 <= len(words) <= 2:
        return False
    if words[0] in _NOT_SUBJ or words[0] in ("She", "He", "It", "They", "We", "I", "You"):
        return False
    return all(re.fullmatch(r"[A-Z][a-z]+(?:'s)?", w) for w in words) and not s.endswith("'s")


# ---------------------------------------------------------------------------------------------------------------
# 1. converse comparisons

_NAME = r"(?:[A-Z][a-z]+(?: [A-Z][a-z]+)?)"
_OPP = {"older": "younger", "younger": "older", "taller": "shorter", "shorter": "taller", "heavier": "lighter",
        "lighter": "heavier", "longer": "shorter", "faster": "slower", "slower": "faster"}


def _converse_sentence(s: str) -> str | None:
    m = re.fullmatch(r"(%s) (has|had) (%s) (more|fewer|less) ([a-z]+(?: [a-z]+)?) than (%s)\." % (_NAME, _NUM, _NAME),
                     s)
    if m and _is_name(m.group(1)) and _is_name(m.group(6)) and m.group(1) != m.group(6):
        a, v, n, c, x, b = m.groups()
        if c == "more":
            opp = "fewer" if x.endswith("s") else "less"
        else:
            opp = "more"
        return f"{b} {v} {n} {opp} {x} than {a}."
    m = re.fullmatch(r"(%s) (is|was) (%s) ([a-z]+) (%s) than (%s)\." % (_NAME, _NUM, "|".join(_OPP), _NAME), s)
    if m and _is_name(m.group(1)) and _is_name(m.group(6)) and m.group(1) != m.group(6):
        a, v, n, unit, c, b = m.groups()
        return f"{b} {v} {n} {unit} {_OPP[c]} than {a}."
    m = re.fullmatch(r"(%s) (has|had|owns|owned|collected|collects|sold|sells|made|makes) twice as many "
                     r"([a-z]+(?: [a-z]+)?) as (%s)(?: does| did)?\." % (_NAME, _NAME), s)
    if m and _is_name(m.group(1)) and _is_name(m.group(4)) and m.group(1) != m.group(4):
        a, v, x, b = m.groups()
        return f"{b} {v} half as many {x} as {a}."
    m = re.fullmatch(r"(%s) (is|was) twice as old as (%s)\." % (_NAME, _NAME), s)
    if m and _is_name(m.group(1)) and _is_name(m.group(3)) and m.group(1) != m.group(3):
        a, v, b = m.groups()
        return f"{b} {v} half as old as {a}."
    return None


def _k_converse(facts: list[str], question: str, rng: random.Random, st: dict) -> tuple[list[str], str]:
    out = []
    for s in facts:
        new = _converse_sentence(s)
        out.append(new if new is not None else s)
    return out, question


# ---------------------------------------------------------------------------------------------------------------
# 2. cleft and count restatements

_VERBS_PRESENT = ("has", "have", "buys", "buy", "sells", "sell", "eats", "eat", "makes", "make", "earns", "earn",
                  "spends", "spend", "needs", "need", "pays", "pay", "gets", "get", "collects", "collect", "owns",
                  "own", "saves", "save", "picks", "pick", "drinks", "drink", "bakes", "bake", "plants", "plant",
                  "reads", "read", "writes", "write", "receives", "receive", "uses", "use", "orders", "order",
                  "brings", "bring", "finds", "find", "catches", "catch", "grows", "grow", "packs", "pack",
                  "wants", "want", "donates", "donate", "scores", "score", "gives", "give", "runs", "run",
                  "walks", "walk", "drives", "drive", "swims", "swim", "rides", "ride", "sees", "see", "takes",
                  "take", "loses", "lose", "cooks", "cook", "prints", "print", "sews", "sew", "knits", "knit")
_VERBS_PAST = ("had", "bought", "sold", "ate", "made", "earned", "spent", "needed", "paid", "got", "collected",
               "owned", "saved", "picked", "drank", "baked", "planted", "wrote", "received", "used", "ordered",
               "brought", "found", "caught", "grew", "packed", "wanted", "donated", "scored", "gave", "ran",
               "walked", "drove", "swam", "rode", "saw", "took", "lost", "cooked", "printed", "sewed", "knitted",
               "raised", "baked", "harvested", "washed", "painted", "delivered", "built")
_PRON = {"She": "she", "He": "he", "They": "they", "It": "it", "We": "we", "I": "I"}


def _starts_with_amount(rest: str) -> bool:
    if re.match(r"(?:a|an) [a-z]+(?: [a-z]+)? (?:for|worth|of|at|that costs) [$\u20ac\u00a3]?\d", rest):
        return True
    return bool(re.match(r"(?:[$\u20ac\u00a3]?%s|a dozen|half a dozen)\b" % _NUM, rest, re.I))


_FRONT = (r"(?:(?:On|In|At|Last|Yesterday|Today|Every|After|During|For|This|Next|Each|Later|Now|So|Also|Finally|First|"
          r"Meanwhile|Afterwards?)\b[^,.]{0,40}, |(?:Then|So|Later|Now|Also|Finally|Afterwards|Next) )")
_NP = r"(?:the|his|her|their|my|our|its|The|His|Her|Their|My|Our|Its) [a-z]+(?: [a-z]+)?"


def _cleft_sentence(s: str, rng: random.Random) -> str | None:
    m = re.fullmatch(r"There (are|were) (%s) ([a-z]+s)((?: (?:in|on|at|inside) (?:the|a|an|his|her|their|my|our) "
                     r"[a-z]+(?: [a-z]+)?)?)\." % _NUM, s)
    if m and m.group(3) not in ("times", "more", "less", "fewer", "items", "ways", "hours", "minutes", "days"):
        verb = "number" if m.group(1) == "are" else "numbered"
        return f"The {m.group(3)}{m.group(4)} {verb} {m.group(2)}."
    m = re.fullmatch(r"(%s) has (%s) ([a-z]+s)\." % (_NAME, _NUM), s)
    if m and _is_name(m.group(1)) and rng.random() < 0.5:
        return f"{m.group(1)}'s {m.group(3)} number {m.group(2)}."
    m = re.fullmatch(r"(%s) (is|was) (%s) years old\." % (_NAME, _NUM), s)
    if m and _is_name(m.group(1)):
        return f"{m.group(1)}'s age {m.group(2)} {m.group(3)} years."
    m = re.fullmatch(r"((?:A|An|One|Each|The) [a-z]+(?: [a-z]+)?(?: of [a-z]+(?: [a-z]+)?)?) (costs|cost) "
                     r"(\$%s)( each)?\." % _NUM, s)
    if m:
        np = m.group(1)[0].lower() + m.group(1)[1:]
        be = "is" if m.group(2) == "costs" else "was"
        return f"The price of {np} {be} {m.group(3)}{m.group(4) or ''}."
    m = re.fullmatch(r"It takes ((?:him|her|them|me|us|%s) )?(%s [a-z]+) to (.+)\." % (_NAME, _NUM), s)
    if m and "," not in m.group(3):
        who = m.group(1) or ""
        return f"{m.group(2)[0].upper() + m.group(2)[1:]} is how long it takes {who}to {m.group(3)}."
    front = ""
    mf = re.match(_FRONT, s)
    if mf and not re.search(r"\d", mf.group(0)):
        front, s = mf.group(0), s[mf.end():]
    verbs = "|".join(sorted(set(_VERBS_PRESENT + _VERBS_PAST), key=len, reverse=True))
    m = re.fullmatch(r"(%s|%s|She|He|They|It|We|I|she|he|they|it|we)( also)? (%s) (.+)\." % (_NAME, _NP, verbs), s)
    if not m:
        return None
    subj, also, verb, rest = m.group(1), m.group(2) or "", m.group(3), m.group(4)
    is_np = bool(re.fullmatch(_NP, subj))
    if subj.capitalize() not in _PRON and not is_np and not _is_name(subj):
        return None
    if not _starts_with_amount(rest) or ";" in rest or '"' in rest:
        return None
    tail = ""
    allv = set(_VERBS_PRESENT + _VERBS_PAST + tuple(_third(v) for v in _IRREG) + tuple(_IRREG.values()))
    mt = re.search(r",? and (?:then )?(?:(?:she|he|they|it|we|I) )?([a-z]+)\b", rest)
    if mt and mt.group(1) in allv:
        tail, rest = rest[mt.start():], rest[:mt.start()]
    if "," in rest and not all(_starts_with_amount(p.strip()) for p in re.split(r",(?: and)?", rest)):
        return None
    for mm in re.finditer(r" (?:and|but|then|so) (\S+)", rest):
        if not _starts_with_amount(mm.group(1)):
            return None
    if re.search(r"\b(?:while|because|if|when|than|who|which|that)\b", rest):
        return None
    past = verb in _VERBS_PAST and verb not in ("read",)
    plural_subj = subj.capitalize() in ("They", "We", "I") or (is_np and subj.endswith("s"))
    if not past:
        if plural_subj == verb.endswith("s"):
            return None  # "He buy" / "They buys": leave it
    be = "was" if past else "is"
    s_low = subj if subj == "I" else (_PRON.get(subj.capitalize(), subj) if not is_np else subj[0].lower() + subj[1:])
    if _is_name(subj) and subj.capitalize() not in _PRON:
        s_low = subj
    also_w = " also" if also else ""
    if tail:
        pron = s_low if s_low.lower() in ("she", "he", "they", "it", "we", "i") else None
        if pron is None:
            return None
        if not re.match(r",? and (?:then )?(?:she|he|they|it|we|I) ", tail):
            tail = re.sub(r"^,? and (then )?", lambda mm: f", and {mm.group(1) or ''}{pron} ", tail)
        elif not tail.startswith(","):
            tail = "," + tail
    if front or rng.random() < 0.6:
        lead = f"{front}what" if front else "What"
        return f"{lead} {s_low}{also_w} {verb} {be} {rest}{tail}."
    first = rest[0].upper() + rest[1:] if rest[0].isalpha() else rest
    return f"{first} {be} what {s_low}{also_w} {verb}{tail}."


def _k_cleft(facts: list[str], question: str, rng: random.Random, st: dict) -> tuple[list[str], str]:
    out, done = [], 0
    for s in facts:
        new = _cleft_sentence(s, rng)
        if new is not None and (done == 0 or rng.random() < 0.6):
            out.append(new)
            done += 1
        else:
            out.append(s)
    return out, question


# ---------------------------------------------------------------------------------------------------------------
# 3. equal-quantity glosses

_FRACTION_WORDS = {25: "one quarter", 50: "one half", 75: "three quarters", 10: "one tenth", 20: "one fifth",
                   40: "two fifths", 60: "three fifths", 80: "four fifths", 30: "three tenths", 70: "seven tenths",
                   90: "nine tenths", 5: "one twentieth"}


def _gloss_for(num: float, unit: str, before: str, after: str = "", sentence: str = "") -> str | None:
    u = unit.lower()
    if u in ("pound", "pounds") and not (after.startswith(" of ") or re.search(r"\bweigh", sentence)):
        return None  # "pounds" may be money: only a weight ("5 pounds of", "weighs 5 pounds") is glossed
    if u in ("foot", "feet") and (re.search(r"\b(?:legs?|paws?|toes?)\b", sentence)
                                  or re.search(r"\b(?:has|have|had) $", before)):
        return None  # a body's feet are not a length
    if u in ("hour", "hours"):
        return f"{_fmt(num * 60)} minutes"
    if u in ("minute", "minutes") and num >= 60 and (num * 10) % 60 == 0:
        return f"{_fmt(num / 60)} hour{'s' if num != 60 else ''}"
    if u in ("minute", "minutes") and num < 10:
        return f"{_fmt(num * 60)} seconds"
    if u in ("week", "weeks") and num <= 52:
        return f"{_fmt(num * 7)} days"
    if u in ("days",) and num >= 14 and num % 7 == 0:
        return f"{_fmt(num / 7)} weeks"
    if u in ("foot", "feet") and num <= 200:
        return f"{_fmt(num * 12)} inches"
    if u in ("yard", "yards"):
        return f"{_fmt(num * 3)} feet"
    if u in ("mile", "miles"):
        return f"about {_fmt(round(num * 1.609, 1))} km"
    if u in ("pound", "pounds"):
        return f"{_fmt(num * 16)} ounces"
    if u in ("gallon", "gallons"):
        return f"{_fmt(num * 4)} quarts"
    if u in ("kilogram", "kilograms"):
        return f"{_fmt(num * 1000)} grams"
    if u in ("meter", "meters", "metre", "metres") and num <= 100:
        return f"{_fmt(num * 100)} centimeters"
    if u in ("liter", "liters", "litre", "litres"):
        return f"{_fmt(num * 1000)} milliliters"
    if u in ("kilometer", "kilometers"):
        return f"{_fmt(num * 1000)} meters"
    if u in ("year", "years") and num <= 10:
        return f"{_fmt(num * 12)} months"
    if u in ("dozen",):
        return f"{_fmt(num * 12)}"
    if u in ("ton", "tons"):
        return f"{_fmt(num * 2000)} pounds"
    if u in ("inches",) and num >= 24 and num % 12 == 0:
        return f"{_fmt(num / 12)} feet"
    if u in ("seconds",) and num >= 120 and num % 60 == 0:
        return f"{_fmt(num / 60)} minutes"
    if u in ("months",) and num >= 24 and num % 12 == 0:
        return f"{_fmt(num / 12)} years"
    if u in ("quart", "quarts"):
        return f"{_fmt(num * 2)} pints"
    if u in ("cents",) and num >= 100:
        return f"${num / 100:.2f}"
    return None


_GLOSS_FORMS = (  # \x01 ... \x02 fence a gloss off from the mark-up kind; they are taken out at the end
    lambda g: f" \x01({g})\x02",
    lambda g: f" \x01(= {g})\x02",
    lambda g: f" \x01(that is, {g})\x02",
    lambda g: f" \x01[{g}]\x02",
    lambda g: f" \x01(i.e. {g})\x02",
)


def _outside(s: str, *fns) -> str:
    """Apply each of ``fns`` in turn to the parts of ``s`` outside the \\x01...\\x02 gloss fences."""
    for fn in fns:
        parts = re.split(r"(\x01[^\x02]*\x02)", s)
        for i in range(0, len(parts), 2):
            parts[i] = fn(parts[i])
        s = "".join(parts)
    return s


def _k_gloss(facts: list[str], question: str, rng: random.Random, st: dict) -> tuple[list[str], str]:
    form = rng.choice(_GLOSS_FORMS)
    p = rng.choice((0.6, 0.8, 1.0))
    unit_re = re.compile(
        r"(?<![\w.$])(%s) (hours?|minutes?|weeks?|days|foot|feet|yards?|miles?|pounds?|gallons?|kilograms?|meters?|"
        r"metres?|liters?|litres?|kilometers?|years?|dozen|cents|tons?|inches|seconds|months|quarts?)\b"
        r"(?!\s*[\x01(])(?! old\b)(?! ago\b)" % _NUM, re.I)

    def one(s: str) -> str:
        return _outside(s, units, money_sub, pct_sub, dozen_sub, half_hour_sub)

    def units(s: str) -> str:
        pieces, last = [], 0
        for m in unit_re.finditer(s):
            v = _num_value(m.group(1))
            if v is None or v <= 0:
                continue
            if m.group(2).lower().startswith("year") and re.match(r"\s+(?:old|older|younger|ago)\b", s[m.end():]):
                continue
            g = _gloss_for(v, m.group(2), s[max(0, m.start() - 5):m.start()], s[m.end():m.end() + 4], s)
            if g is None or rng.random() > p:
                continue
            pieces.append(s[last:m.end()] + form(g))
            last = m.end()
        pieces.append(s[last:])
        return "".join(pieces)

    def money_sub(s: str) -> str:
        def money(m: re.Match) -> str:
            v = _num_value(m.group(1))
            if v is None or v >= 10 or abs(v * 100 - round(v * 100)) > 1e-6 or rng.random() > p:
                return m.group(0)
            return m.group(0) + form(f"{int(round(v * 100))} cents")

        return re.sub(r"\$(\d+\.\d\d)(?![\d(])(?!\s*[\x01(])", money, s)

    def pct_sub(s: str) -> str:
        def pct(m: re.Match) -> str:
            v = _num_value(m.group(1))
            if v is None or int(v) != v or int(v) not in _FRACTION_WORDS or rng.random() > p:
                return m.group(0)
            return m.group(0) + form(_FRACTION_WORDS[int(v)])

        return re.sub(r"(?<![\d.])(\d+)(?:%| percent)(?!\s*[\x01(])", pct, s)

    def dozen_sub(s: str) -> str:
        def dozen(m: re.Match) -> str:
            if rng.random() > p:
                return m.group(0)
            return m.group(0) + form("6" if m.group(1) else "12")

        return re.sub(r"\b(half )?a dozen\b(?!\s*[\x01(])", dozen, s)

    def half_hour_sub(s: str) -> str:
        return re.sub(r"\bhalf an hour\b(?!\s*[\x01(])",
                      lambda m: m.group(0) + form("30 minutes") if rng.random() <= p else m.group(0), s)

    return [one(s) for s in facts], one(question)


# ---------------------------------------------------------------------------------------------------------------
# 4. reading-strategy mark-up

_NUM_MARKS = (("((", "))"), ("[", "]"), ("{", "}"), ("(", ")"))
_KEY_MARKS = (("|", "|"), ("[[", "]]"), ("#", "#"), ("*", "*"))
_UNDERLINES = (("_", "_"), ("__", "__"), ("<u>", "</u>"))
_KEYWORDS = {
    "more": "add?", "total": "add?", "altogether": "add?", "in all": "add?", "combined": "add?", "sum": "add?",
    "left": "subtract?", "fewer": "subtract?", "less": "subtract?", "remaining": "subtract?", "difference":
    "subtract?", "each": "multiply?", "per": "multiply or divide?", "times": "multiply?", "twice": "multiply?",
    "double": "multiply?", "half": "divide?", "split": "divide?", "equally": "divide?", "average": "divide?",
    "percent": "percent", "%": "percent", "remainder": "subtract?", "every": "multiply?",
}
_CUBES_HEADERS = (
    "CUBES: Circle the numbers, Underline the question, Box the key words, Evaluate, Solve and check.",
    "Reading strategy: numbers circled, question underlined, key words boxed.",
    "Before you solve: circle every number, underline what is asked and box the key words.",
    "Close reading (teacher's copy) - numbers circled, key words boxed, question underlined.",
)


def _k_markup(facts: list[str], question: str, rng: random.Random, st: dict) -> tuple[list[str], str]:
    nl, nr = rng.choice(_NUM_MARKS)
    kl, kr = rng.choice(_KEY_MARKS)
    while kl == nl:
        kl, kr = rng.choice(_KEY_MARKS)
    ul, ur = rng.choice(_UNDERLINES)
    found: list[str] = []

    def mark_numbers(s: str) -> str:
        def f(m: re.Match) -> str:
            return f"{nl}{m.group(0)}{nr}"
        parts = re.split(r"(\x01[^\x02]*\x02)", s)  # a gloss is not marked again
        for i in range(0, len(parts), 2):
            parts[i] = re.sub(r"(?<![\w.])[$\u20ac\u00a3]?\d+(?:,\d{3})*(?:\.\d+)?%?(?![\w])|(?<![\w-])(?:"
                              + _NUMWORD_RE
                              + r")(?:-(?:" + _NUMWORD_RE + r"))?(?![\w-])", f, parts[i], flags=re.I)
        return "".join(parts)

    def mark_keys(s: str) -> str:
        keys = sorted((k for k in _KEYWORDS if k != "%"), key=len, reverse=True)

        def f(m: re.Match) -> str:
            w = m.group(0)
            if w.lower() not in found:
                found.append(w.lower())
            return f"{kl}{w}{kr}"
        parts = re.split(r"(\x01[^\x02]*\x02)", s)
        for i in range(0, len(parts), 2):
            parts[i] = re.sub(r"\b(?:%s)\b" % "|".join(re.escape(k) for k in keys), f, parts[i])
        return "".join(parts)

    # key words before numbers so the number marks are not boxed
    facts = [mark_numbers(mark_keys(s)) for s in facts]
    q = mark_numbers(mark_keys(question))
    q = f"{ul}{q}{ur}"
    st["header"] = rng.choice(_CUBES_HEADERS)
    if found and rng.random() < 0.8:
        legend = ", ".join(f"{w} ({_KEYWORDS.get(w, 'think')})" for w in found[:6])
        q = q + "\nKey words: " + legend
    st["markup"] = True
    return facts, q


# ---------------------------------------------------------------------------------------------------------------
# 4b. quiz-stem (in-situ) questions

_IRREG = {"buy": "bought", "sell": "sold", "eat": "ate", "make": "made", "spend": "spent", "pay": "paid", "get": "got",
          "have": "had", "give": "gave", "take": "took", "go": "went", "run": "ran", "drive": "drove", "swim": "swam",
          "ride": "rode", "see": "saw", "lose": "lost", "win": "won", "grow": "grew", "bring": "brought", "find":
          "found", "catch": "caught", "write": "wrote", "read": "read", "do": "did", "drink": "drank", "keep": "kept",
          "leave": "left", "put": "put", "cut": "cut", "throw": "threw", "feed": "fed", "sleep": "slept", "teach":
          "taught", "think": "thought", "fly": "flew", "build": "built", "send": "sent", "spend": "spent", "lend":
          "lent", "sit": "sat", "stand": "stood", "hold": "held", "meet": "met", "sing": "sang", "begin": "began",
          "know": "knew", "wear": "wore", "draw": "drew", "break": "broke", "choose": "chose", "fall": "fell",
          "shoot": "shot", "hit": "hit", "bake": "baked", "set": "set", "tell": "told", "earn": "earned",
          "say": "said", "ring": "rang", "sink": "sank", "blow": "blew", "lay": "laid", "hang": "hung", "dig": "dug",
          "feel": "felt", "hear": "heard", "mean": "meant", "light": "lit", "bite": "bit", "hide": "hid",
          "become": "became", "come": "came", "steal": "stole", "forget": "forgot", "owe": "owed"}


def _third(v: str) -> str:
    if v == "have":
        return "has"
    if v in ("do", "go"):
        return v + "es"
    if re.search(r"(?:s|sh|ch|x|z)$", v):
        return v + "es"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ies"
    return v + "s"


def _past(v: str) -> str | None:
    if v in _IRREG:
        return _IRREG[v]
    if v.endswith("e"):
        return v + "d"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ied"
    if re.search(r"[^aeiou][aeiou][bdgmnprtl]$", v) and len(v) <= 4:
        return None  # stop -> stopped, plan -> planned: not sure, leave it
    return v + "ed"


_SUBJ_Q = (r"(?:she|he|they|it|we|you|I|[A-Z][a-z]+(?: [A-Z][a-z]+)??(?:['\u2019]s [A-Za-z]+)?|"
           r"(?:the|his|her|their|its|my|our|your|each|every) [a-z]+(?: [a-z]+)??)")
_ADV = r"(?:still|also|just|only|even|actually|really|now|usually|then|first|finally|already|each|all|both)"
_FUNC = {"on", "in", "at", "to", "for", "of", "with", "from", "by", "there", "the", "a", "an", "and", "or", "if",
         "after", "before", "than", "that", "this", "it", "be", "been", "not", "more", "less", "in"}


def _insitu(q: str) -> str | None:
    pre = ""
    m = re.match(r"(.*, )(how|what)\b", q)
    if m:
        pre, q = m.group(1), q[len(m.group(1)):]
        q = q[0].upper() + q[1:]
    m = re.fullmatch(r"How (many|much)((?: [a-z]+)*?) (does|do|did|will|can|would|should|could|is|are|was|were) (%s) "
                     r"(%s )?([a-z]+)(.*)\?" % (_SUBJ_Q, _ADV), q)
    if m:
        wh, x, aux, subj, adv, verb, rest = m.groups()
        adv = adv or ""
        if verb in _FUNC:
            return None
        mp = re.fullmatch(r" (with|on|for|to|in|at|from|about|of|by)", rest)
        strand = ""
        if mp:
            strand, rest = " " + mp.group(1), ""
        if aux == "does":
            v = _third(verb)
        elif aux == "do":
            v = verb
        elif aux == "did":
            v = _past(verb)
            if v is None:
                return None
        elif aux in ("is", "are", "was", "were"):
            if not verb.endswith("ing"):
                return None
            v = f"{aux} {verb}"
        else:
            v = f"{aux} {verb}"
        if adv and aux in ("does", "do", "did"):
            v = adv + v
        elif adv:
            a2, _, b2 = v.partition(" ")
            v = f"{a2} {adv}{b2}"
        out = f"{subj} {v}{strand} how {wh}{x}{rest}?"
    else:
        m = re.fullmatch(r"How many ([a-z]+(?: [a-z]+)*?) (are|were) there(.*)\?", q)
        if m:
            out = f"There {m.group(2)} how many {m.group(1)}{m.group(3)}?"
        else:
            m = re.fullmatch(r"How old (is|was|will) (%s)( be)?(.*)\?" % _SUBJ_Q, q)
            if m:
                out = f"{m.group(2)} {m.group(1)}{m.group(3) or ''} how old{m.group(4)}?"
            else:
                m = re.fullmatch(r"What (is|was|will be) (the [a-z]+(?: [a-z]+){0,6})\?", q)
                if not m:
                    return None
                out = f"{m.group(2)} {m.group(1)} what?"
    if not pre:
        out = out[0].upper() + out[1:]
    elif out.startswith("There "):
        out = "t" + out[1:]
    return pre + out


def _k_stem(facts: list[str], question: str, rng: random.Random, st: dict) -> tuple[list[str], str]:
    new = _insitu(question)
    if new is None:
        return facts, question
    return facts, new


# ---------------------------------------------------------------------------------------------------------------
# 5. multiple choice

_MC_LEADS = ("Choose the best answer.", "Select one answer.", "Fill in the bubble next to the correct answer.",
             "Circle the letter of the correct answer.", "Which of these is correct?")


def _k_choice(facts: list[str], question: str, rng: random.Random, st: dict) -> tuple[list[str], str]:
    raw = " ".join(facts + [question])
    vals: list[float] = []
    for m in re.finditer(r"(?<![\w.])\$?(\d+(?:,\d{3})*(?:\.\d+)?)(?![\w])|\b(%s)\b" % _NUMWORD_RE, raw, re.I):
        v = _num_value(m.group(1) or m.group(2))
        if v is not None and v not in vals and v > 0:
            vals.append(v)
    if not vals:
        vals = [1.0, 2.0]
    if len(vals) == 1:
        vals.append(2.0)
    cands: list[float] = []
    a, b = vals[0], vals[1]
    pool = [sum(vals), a * b, abs(a - b), a + b, max(vals) * 2, sum(vals) - min(vals)]
    if b:
        pool.append(a / b)
    if len(vals) > 2:
        c = vals[2]
        pool += [a * b - c, a * c + b, (a + b) * c, a * b * c]
    rng.shuffle(pool)
    lo, hi = min(vals) / 4, max(vals) * 12
    whole = all(abs(v - round(v)) < 1e-9 for v in vals)
    pool = [round(v, 2) for v in pool if lo <= v <= hi and (not whole or abs(v - round(v)) < 1e-9)]
    for v in pool:
        if v > 0 and abs(v - round(v, 2)) < 1e-9 and v not in cands and v not in vals[:1]:
            cands.append(v)
        if len(cands) == 4:
            break
    k = 1
    while len(cands) < 4:
        v = round(sum(vals) + 7 * k, 2)
        if v not in cands:
            cands.append(v)
        k += 1
    cands.sort()
    cur = next((c for c in ("$", "\u20ac", "\u00a3") if c in raw), "")
    asks = r"\bhow much\b(?! (?:time|longer|faster|farther|further|older|taller))|\bhow many (?:dollars|euros|pounds)\b"
    money = bool(cur) and bool(re.search(asks + r"|\b(?:cost|price|profit)\b", question, re.I))
    if re.search(r"\bhow many (?!dollars|euros)", question, re.I):
        money = False
    opts = [(cur + _fmt(v) if money else _fmt(v)) for v in cands] + ["None of these"]
    style = rng.randrange(3)
    letters = "ABCDE" if style < 2 else "abcde"
    if style == 0:
        labels = [f"({x})" for x in letters]
    elif style == 1:
        labels = [f"{x})" for x in letters]
    else:
        labels = [f"{x}." for x in letters]
    sep = "\n" if rng.random() < 0.6 else "   "
    block = sep.join(f"{lab} {o}" for lab, o in zip(labels, opts))
    q = question + "\n" + rng.choice(_MC_LEADS) + "\n" + block
    return facts, q


# ---------------------------------------------------------------------------------------------------------------
# 6. carriers

_PEOPLE = ("Priya Shah", "Tom Becker", "Lena Morales", "Sam Okafor", "Dana Whitfield", "Marco Rossi", "Aisha Khan",
           "Ben Carter", "Nora Lindqvist", "Yusuf Demir")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_REMARKS = ("Okay, with you so far.", "Right, that's the starting point.", "Good - write that one down.",
            "This is the bit most kids skip.", "Fine.", "Yes, keep that in mind.", "Note the wording here.",
            "Got it.", "That's the important one.", "No trick there.", "Make a little sketch of this part.")
_SONG_FILLS = ("Oh, yeah!", "(clap, clap)", "Sing it with me now!", "Na na na, na na na.", "Hey, hey!",
               "Let's count it out!", "Ooh, ooh!", "Stomp your feet!", "Don't you forget!", "Whoa-oh!")


def _email(facts: list[str], question: str, rng: random.Random) -> str:
    asker, helper = rng.sample(_PEOPLE, 2)
    date = (f"On {rng.choice(_DAYS)}, {rng.randint(1, 28)} {rng.choice(_MONTHS)} 2026 at "
            f"{rng.randint(7, 22)}:{rng.randint(0, 59):02d}, {asker} wrote:")
    q = "> " if rng.random() < 0.6 else "> > "
    lines = [f"Hi {asker.split()[0]},", "", rng.choice(("Answers inline.", "Replies below, between your lines.",
                                                            "See my notes under each bit.")), "", date]
    if q == "> > ":
        lines.append("> My son's homework, copied word for word:")
    else:
        lines.append("> Here is the problem, exactly as on the sheet:")
    chunk: list[str] = []
    remarks = list(_REMARKS)
    rng.shuffle(remarks)
    for i, f in enumerate(facts):
        for ln in f.split("\n"):
            chunk.append(q + ln if ln else q.rstrip())
        if rng.random() < 0.55 or i == len(facts) - 1:
            lines += chunk + ["", remarks.pop() if remarks else "Okay.", ""]
            chunk = []
    for ln in question.split("\n"):
        lines.append(q + ln if ln else q.rstrip())
    lines += ["", rng.choice(("Have a go at that and tell me what you get.", "Try it first, then we'll compare.",
                              "Let me know where it goes wrong.")), "", helper.split()[0]]
    return "\n".join(lines)


def _web(facts: list[str], question: str, rng: random.Random, head: str = "") -> str:
    kind = rng.randrange(5)
    q1 = question.split("\n")[0]
    qrest = question.split("\n")[1:]
    facts = [f for f in facts if f.strip()]
    if kind == 0:
        top = ["<div class=\"problem\">", "  <h3>Word problem</h3>"]
        top += [f"  <p class=\"note\">{head}</p>"] if head else []
        body = [f"    <li>{f.strip()}</li>" for f in facts]
        tail = ["  </ol>", f"  <p class=\"question\"><strong>{q1}</strong></p>"]
        tail += [f"  <p>{x}</p>" for x in qrest if x.strip()]
        return "\n".join(top + ["  <ol>"] + body + tail + ["</div>"])
    if kind == 1:
        out = ["== Problem ==", ""] + ([f"''{head}''", ""] if head else []) + [f"# {f.strip()}" for f in facts]
        out += ["", f"'''Question:''' {q1}"] + qrest
        return "\n".join(out + ["", "[[Category:Word problems]]"])
    if kind == 2:
        out = ["[b]Problem[/b]"] + ([f"[size=85]{head}[/size]"] if head else []) + ["[list=1]"]
        out += [f"[*]{f.strip()}" for f in facts] + ["[/list]", f"[i]{q1}[/i]"]
        return "\n".join(out + qrest)
    if kind == 3:
        out = ["* TODO Homework problem", ":PROPERTIES:", ":SUBJECT: maths", ":END:"] + ([f"# {head}"] if head else [])
        out += [f"- [ ] {f.strip()}" for f in facts] + [f"** Question", q1] + qrest
        return "\n".join(out)
    out = ["Problem", "=======", ""] + ([head, ""] if head else [])
    out += [f":Fact {i + 1}: {f.strip()}" for i, f in enumerate(facts)]
    out += ["", ".. admonition:: Question", "", "   " + q1] + ["   " + x for x in qrest]
    return "\n".join(out)


def _song(facts: list[str], question: str, rng: random.Random, head: str = "") -> str:
    fills = list(_SONG_FILLS)
    rng.shuffle(fills)
    title = rng.choice(("The Counting Song", "Word Problem Rap", "Maths Time Jam", "The Story Song",
                        "Sing and Solve"))
    out = [f"\u266a {title} \u266a", ""] + ([f"({head})", ""] if head else [])
    facts = [f for f in facts if f.strip()]
    per = rng.choice((1, 2))
    verse = 1
    for i in range(0, len(facts), per):
        out.append(f"[Verse {verse}]")
        out += [f.strip() for f in facts[i:i + per]]
        out.append(fills.pop() if fills else "Oh, yeah!")
        out.append("")
        verse += 1
    q = question.split("\n")
    out.append("[Chorus]")
    out += [q[0], q[0]]
    out.append(fills.pop() if fills else "Sing it loud!")
    if len(q) > 1:
        out += ["", "[Spoken]"] + q[1:]
    return "\n".join(out)


def _k_carrier(facts: list[str], question: str, rng: random.Random, st: dict) -> tuple[list[str], str]:
    which = rng.randrange(3)
    head = st.get("header", "")
    if which == 0:
        text = _email(([head] if head else []) + facts, question, rng)
    elif which == 1:
        text = _web(facts, question, rng, head)
    else:
        text = _song(facts, question, rng, head)
    st["joined"] = text
    return facts, question


# ---------------------------------------------------------------------------------------------------------------
# driver

_STRICT = False  # tests may set it to see a failing step instead of skipping it

_KINDS = (_k_converse, _k_cleft, _k_gloss, _k_stem, _k_markup, _k_choice, _k_carrier)


def _join(facts: list[str], question: str) -> str:
    out = ""
    for f in facts:
        if not out or out.endswith("\n"):
            out += f
        else:
            out += " " + f
    return (out + (" " if out and not out.endswith("\n") else "") + question).strip()


def _run(text: str, on: list[bool], rng: random.Random) -> tuple[str, int]:
    sents = _split_sentences(text)
    if not sents:
        return text, 0
    facts, question = sents[:-1], sents[-1]
    st: dict = {}
    changed = 0
    for kind, flag in zip(_KINDS, on):
        if not flag:
            continue
        try:
            before = (list(facts), question)
            nf, nq = kind(list(facts), question, rng, st)
            if (nf, nq) != before or "joined" in st:
                changed += 1
                facts, question = nf, nq
        except Exception:  # a failed step leaves the text as it was
            if _STRICT:
                raise
            st.pop("joined", None)
    if "joined" in st:
        return st["joined"], changed
    out = _join(facts, question)
    if st.get("header"):
        out = st["header"] + "\n" + out
    return out, changed


def rewrite(text: str, rng: random.Random) -> str:
    """Rewrite one GSM8K problem in style 21 (see the module docstring); deterministic given ``rng``."""
    try:
        on = [rng.random() < p for p in (0.9, 0.8, 0.7, 0.6, 0.45, 0.4, 0.55)]
        order = list(range(len(_KINDS)))
        rng.shuffle(order)
        seed = rng.random()
        best = text
        while True:
            out, changed = _run(text, on, random.Random(seed))
            best = out
            if changed >= 3 or all(on):
                break
            off = [i for i in order if not on[i]]
            on[off[0]] = True
        best = best.replace("\x01", "").replace("\x02", "")
        if best == text:
            return text
        return best
    except Exception:
        return text
