"""A second rewrite style for GSM8K problems, written after the template matcher was calibrated and never
calibrated on: it checks that the matcher learned "same problem", not bench/rewrite_gsm8k.py's habits.

What it does differently from style 1:

1. names become role phrases ("Janet's ducks" -> "the baker's ducks"), not other names;
2. small numbers are written out as words, larger ones are scaled (x2, x3, /2) and printed with commas,
   "$5" becomes "5 dollars";
3. its own phrase list ("How many" -> "Can you work out how many", "each" -> "apiece", "If" ->
   "Suppose", "bought" -> "picked up", ...), contractions;
4. the facts are joined or split differently ("X. Y." -> "X, and y."), the question may come first
   ("I need to know: ..."), and a chatty frame goes around it.

    >>> import random
    >>> from bench.rewrite_gsm8k_v2 import rewrite
    >>> rewrite("Janet has 3 apples. She bought 2 more. How many apples does Janet have?", random.Random(0))[:40]
    'How many apples does a painter have? A p'
"""

from __future__ import annotations

import random
import re

ROLES = ["the baker", "the nurse", "my neighbour", "the coach", "her cousin", "the farmer", "a student", "the pilot",
         "my aunt", "the shopkeeper", "his uncle", "the teacher", "a painter", "the librarian"]
WORDS = {0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
         10: "ten", 11: "eleven", 12: "twelve"}
NUMBER_OF = {w: v for v, w in WORDS.items()}
PHRASES = [(r"\bHow many\b", ["Can you work out how many", "Determine how many"]),
           (r"\bHow much\b", ["Figure out how much", "Tell me how much"]),
           (r"\beach\b", ["apiece", "per item"]), (r"\bevery day\b", ["daily"]), (r"\bper day\b", ["daily"]),
           (r"^If\b", ["Suppose"]), (r"\bbought\b", ["picked up"]), (r"\bbuy\b", ["pick up"]),
           (r"\btotal\b", ["altogether"]), (r"\bwants to\b", ["plans to"]), (r"\bdoes not\b", ["doesn't"]),
           (r"\bis not\b", ["isn't"]), (r"\bdollars\b", ["bucks"]), (r"\bleft\b", ["remaining"]),
           (r"\bthen\b", ["after that"]), (r"\bearns\b", ["brings in"]), (r"\bpays\b", ["hands over"])]
FRAMES = ["Here is one from my homework. {q}", "{q} Please explain briefly.", "I need to know: {q}",
          "Word problem: {q} Give just the number.", "{q}"]
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then Her
His Their For Of To And But So I Mr Mrs Ms Dr One Two Three Four Five Six Seven Eight Nine Ten Calculate Find Assume
Suppose Given Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December""".split())


def _number(m: re.Match, rng: random.Random) -> str:
    s = m.group().replace(",", "")
    if "." in s:
        return f"{float(s) * rng.choice([2, 3]):g}"
    v = int(s)
    if v <= 12 and rng.random() < 0.6:
        return WORDS[min(12, max(1, v + rng.choice([-1, 1, 2])))]
    return f"{max(2, int(v * rng.choice([2, 3, 0.5]))):,}"


def rewrite(q: str, rng: random.Random) -> str:
    """One style-2 rewrite of problem ``q`` (see module docstring)."""
    s = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", r"\1 dollars", q)
    s = re.sub(r"\d+(?:,\d{3})*(?:\.\d+)?", lambda m: _number(m, rng), s)
    # number words written in the original become other values, in digits
    s = re.sub(r"\b(two|three|four|five|six|seven|eight|nine|ten|twelve)\b",
               lambda m: str(NUMBER_OF[m.group()] * rng.choice([2, 3]) + rng.choice([0, 1])), s)
    roles = rng.sample(ROLES, len(ROLES))
    names = sorted({t for t in re.findall(r"\b[A-Z][a-z]+\b", q) if t not in NOT_NAMES})
    for k, name in enumerate(names):
        s = re.sub(rf"\b{name}\b", roles[k % len(roles)], s)
    sents = [x for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    for k, x in enumerate(sents):
        for pat, reps in PHRASES:
            if rng.random() < 0.75:
                x = re.sub(pat, rng.choice(reps), x)
        sents[k] = x[:1].upper() + x[1:]
    if len(sents) > 2 and rng.random() < 0.5:  # join two facts into one sentence
        k = rng.randrange(len(sents) - 2)
        sents[k : k + 2] = [sents[k].rstrip(".") + ", and " + sents[k + 1][:1].lower() + sents[k + 1][1:]]
    if len(sents) > 1 and rng.random() < 0.4:
        sents = [sents[-1]] + sents[:-1]
    return rng.choice(FRAMES).format(q=" ".join(sents))
