"""A third rewrite style for GSM8K problems, written before the matcher changes of 2026-12-02 (round 2) and
never used for calibration or for choosing features: it checks that the matcher did not learn styles 1 and 2.

What it does that styles 1 and 2 do not:

1. numbers are spelled out in full ("16" -> "seventeen", "240" -> "two hundred and sixty"), percentages
   become "per cent", "$5" becomes "five bucks" / "5 USD", fractions become words ("1/4" -> "one fourth");
2. names become titled surnames ("Janet" -> "Ms Okafor") or nicknames from its own list;
3. the objects counted are swapped within a family (apples -> pears, dogs -> cats, cookies -> muffins);
4. one fact sentence moves to another place (not only the question to the front), and a distractor
   sentence with a number of its own is added;
5. the question is rephrased into an imperative or a "what is the number of" form, and the whole sits in
   a Q:/A: or markdown frame.

    >>> import random
    >>> from bench.rewrite_gsm8k_v3 import rewrite
    >>> rewrite("Janet has 3 apples. She bought 2 more. How many apples does Janet have?", random.Random(0))[:40]
    'She bought six more. Mr Brennan has 7 ap'
"""

from __future__ import annotations

import random
import re

SURNAMES = ["Okafor", "Lindqvist", "Haddad", "Moreau", "Kowalski", "Tanaka", "Nwosu", "Castillo", "Brennan", "Varga",
            "Sato", "Mbeki", "Ferreira", "Novak"]
NICKNAMES = ["Bex", "Jojo", "Tito", "Pip", "Ziggy", "Lulu", "Kit", "Bo", "Nell", "Sunny"]
TITLES = ["Ms", "Mr", "Dr", "Coach"]  # no dot: sentences are split on "."
OBJECTS = {"apples": "pears", "apple": "pear", "dogs": "cats", "dog": "cat", "cookies": "muffins", "cookie": "muffin",
           "books": "comics", "book": "comic", "pencils": "crayons", "pencil": "crayon", "marbles": "beads",
           "candies": "sweets", "candy": "sweet", "cars": "bikes", "car": "bike", "shirts": "jackets", "shirt": "jacket",
           "cupcakes": "brownies", "flowers": "plants", "stamps": "stickers", "chickens": "geese", "cows": "goats",
           "eggs": "eggs", "pizza": "pie", "pizzas": "pies", "cake": "tart", "cakes": "tarts", "toys": "games"}
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
FRACTIONS = {"1/2": "one half", "1/3": "one third", "2/3": "two thirds", "1/4": "one fourth", "3/4": "three fourths",
             "1/5": "one fifth", "2/5": "two fifths", "3/5": "three fifths", "1/8": "an eighth", "1/10": "one tenth"}
DISTRACTORS = ["It had rained for {n} days before that.", "The shop had opened {n} years earlier.",
               "Their street has {n} lamp posts.", "A neighbour owns {n} bicycles, which play no part here.",
               "The radio was playing song number {n}."]
QUESTIONS = [(r"^How many (.+?)\?$", ["What is the number of {0}?", "Compute how many {0}.", "Give the count: how many {0}?"]),
             (r"^How much (.+?)\?$", ["Work out how much {0}.", "What amount: how much {0}?"]),
             (r"^What is (.+?)\?$", ["Find {0}.", "Give {0}."])]
FRAMES = ["Q: {q}\nA:", "### Problem\n{q}\n\n### Your answer", "{q}", "Exercise 4. {q}", "{q}\nAnswer with a number."]
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then Her
His Their For Of To And But So I Mr Mrs Ms Dr One Two Three Four Five Six Seven Eight Nine Ten Calculate Find Assume
Suppose Given Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December While During Since Together At""".split())


def spell(v: int) -> str:
    """``v`` (0 <= v < 1,000,000) in English words."""
    if v < 20:
        return ONES[v]
    if v < 100:
        return TENS[v // 10] + ("" if v % 10 == 0 else "-" + ONES[v % 10])
    if v < 1000:
        return ONES[v // 100] + " hundred" + ("" if v % 100 == 0 else " and " + spell(v % 100))
    return spell(v // 1000) + " thousand" + ("" if v % 1000 == 0 else " " + spell(v % 1000))


def _number(m: re.Match, rng: random.Random) -> str:
    s = m.group().replace(",", "")
    if "." in s:
        return f"{float(s) + rng.choice([0.5, 1, 1.5]):g}"
    v = int(s)
    v = max(1, v + rng.choice([1, 2, -1, 4]) if v < 20 else v + rng.choice([-10, 10, 20, 30]) * max(1, v // 100))
    return spell(v) if v < 1_000_000 and rng.random() < 0.7 else str(v)


def _question(q: str, rng: random.Random) -> str:
    for pat, forms in QUESTIONS:
        m = re.match(pat, q)
        if m and rng.random() < 0.8:
            return rng.choice(forms).format(m.group(1))
    return q


def rewrite(q: str, rng: random.Random) -> str:
    """One style-3 rewrite of problem ``q`` (see module docstring)."""
    s = re.sub(r"\b(\d+)%", r"\1 per cent", q)
    s = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", lambda m: m.group(1) + rng.choice([" bucks", " USD"]), s)
    s = re.sub(r"\b\d+/\d+\b", lambda m: FRACTIONS.get(m.group(), m.group()), s)
    s = re.sub(r"\d+(?:,\d{3})*(?:\.\d+)?", lambda m: _number(m, rng), s)
    names = sorted({t for t in re.findall(r"\b[A-Z][a-z]+\b", q) if t not in NOT_NAMES})
    sur, nick = rng.sample(SURNAMES, len(SURNAMES)), rng.sample(NICKNAMES, len(NICKNAMES))
    for k, name in enumerate(names):
        new = f"{rng.choice(TITLES)} {sur[k % len(sur)]}" if rng.random() < 0.5 else nick[k % len(nick)]
        s = re.sub(rf"\b{name}\b", new, s)
    s = re.sub(r"\b(" + "|".join(OBJECTS) + r")\b", lambda m: OBJECTS[m.group()] if rng.random() < 0.6 else m.group(), s)
    sents = [x for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    sents[-1] = _question(sents[-1], rng)
    if len(sents) > 2:  # move one fact sentence elsewhere among the facts
        k = rng.randrange(len(sents) - 1)
        fact = sents.pop(k)
        sents.insert(rng.randrange(len(sents)), fact)
    if rng.random() < 0.7:
        sents.insert(rng.randrange(len(sents)), rng.choice(DISTRACTORS).format(n=spell(rng.randint(2, 30))))
    return rng.choice(FRAMES).format(q=" ".join(sents))
