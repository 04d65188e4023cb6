"""Rule-based rewrites of GSM8K problems: the "rewritten contamination" that decontamination must catch.

Each rewrite keeps the problem's structure and changes what a plagiarist would change:

1. every number gets another value (digits and number words; number words may become digits);
2. names get other names (a capitalised word that is not a sentence starter or a common word);
3. units move within their family (miles -> kilometers, dollars -> euros, hours -> minutes, ...);
4. words and phrases get synonyms, the question gets another phrasing, pronouns change gender;
5. sentences are reordered (the question moves to the front, or two fact sentences swap) and the
   whole may be wrapped in an instruction.

Deliberately written apart from ``factory/dedup/masked.py`` (its own word lists, its own name rule), so
the detector is not just undoing the generator.

    >>> import random
    >>> from bench.rewrite_gsm8k import rewrite
    >>> rewrite("Janet has 3 apples. She buys 2 more. How many apples does Janet have?", random.Random(1))[:60]
    'Question: Amara has 2 apples. She purchases 1 more. Find the'
"""

from __future__ import annotations

import random
import re

NAMES = ["Priya", "Tomas", "Aiko", "Lucas", "Fatima", "Oliver", "Mei", "Diego", "Amara", "Noah", "Sofia", "Kwame",
         "Elena", "Ravi", "Hana", "Jonas", "Leila", "Mateo", "Ingrid", "Yusuf"]
UNIT_SWAP = {"miles": "kilometers", "mile": "kilometer", "dollars": "euros", "dollar": "euro", "hours": "minutes",
             "hour": "minute", "pounds": "kilograms", "pound": "kilogram", "feet": "meters", "foot": "meter",
             "inches": "centimeters", "inch": "centimeter", "gallons": "liters", "gallon": "liter", "cents": "pennies",
             "minutes": "hours", "minute": "hour", "days": "weeks", "weeks": "days", "ounces": "grams"}
SYNONYMS = {"buys": "purchases", "bought": "purchased", "buy": "purchase", "sells": "sells off", "sold": "sold off",
            "has": "owns", "have": "own", "had": "owned", "gives": "hands", "gave": "handed", "makes": "earns",
            "total": "overall", "store": "shop", "friends": "pals", "friend": "pal", "wants": "would like",
            "needs": "requires", "each": "every", "uses": "utilizes", "spends": "pays out", "gets": "receives",
            "got": "received", "big": "large", "small": "little", "also": "additionally", "costs": "is priced at",
            "cost": "price", "remaining": "left over", "rest": "remainder", "money": "cash", "children": "kids",
            "car": "vehicle", "house": "home", "twice": "two times", "finished": "completed", "start": "begin"}
QUESTION_FORMS = [(r"^How many\b", "What is the number of"), (r"^How much\b", "What amount of"),
                  (r"^What is\b", "Find"), (r"^Calculate\b", "Work out")]
PRONOUN_SWAP = {"she": "he", "he": "she", "her": "his", "his": "her", "him": "her", "She": "He", "He": "She",
                "Her": "His", "His": "Her", "herself": "himself", "himself": "herself"}
NUMWORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "twelve": 12, "twenty": 20, "half": None, "twice": None}
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then
Her His Their For Of To And But So I Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
February March April May June July August September October November December One Two Three Four Five Six Seven
Eight Nine Ten Calculate Find Assume Suppose Given""".split())
WRAPPERS = ["{q}", "{q}", "Solve this: {q}", "Question: {q}\nThink step by step.", "{q} Show your work."]


def _new_number(m: re.Match, rng: random.Random) -> str:
    s = m.group()
    if "." in s:
        return f"{float(s.replace(',', '')) * rng.choice([1.5, 2, 0.5, 3]):.2f}".rstrip("0").rstrip(".")
    v = int(s.replace(",", ""))
    return str(max(1, v + rng.choice([-3, -2, -1, 1, 2, 3, 5, 7]) * max(1, v // 10)))


def _names(text: str) -> list[str]:
    # any capitalised word that is not a common sentence word: names, places, brands (a few false ones
    # like "Lunch" get renamed too, which is still a rewrite)
    return sorted({t for t in re.findall(r"\b[A-Z][a-z]+\b", text) if t not in NOT_NAMES})


def rewrite(q: str, rng: random.Random) -> str:
    """One rule-based rewrite of problem ``q`` (see module docstring)."""
    s = re.sub(r"\d+(?:,\d{3})*(?:\.\d+)?", lambda m: _new_number(m, rng), q)
    s = re.sub(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty)\b",
               lambda m: rng.choice([str(NUMWORDS[m.group()] + rng.randint(1, 4)), "several" if rng.random() < 0.1 else str(NUMWORDS[m.group()] * 2)]), s)
    pool = rng.sample(NAMES, len(NAMES))
    for k, name in enumerate(_names(q)):
        s = re.sub(rf"\b{name}\b", pool[k % len(pool)], s)
    s = re.sub(r"\b(" + "|".join(UNIT_SWAP) + r")\b", lambda m: UNIT_SWAP[m.group()] if rng.random() < 0.8 else m.group(), s)
    s = re.sub(r"\b(" + "|".join(SYNONYMS) + r")\b", lambda m: SYNONYMS[m.group()] if rng.random() < 0.7 else m.group(), s)
    if rng.random() < 0.5:
        s = re.sub(r"\b(" + "|".join(PRONOUN_SWAP) + r")\b", lambda m: PRONOUN_SWAP[m.group()], s)
    sents = [x for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    for pat, rep in QUESTION_FORMS:
        sents[-1] = re.sub(pat, rep, sents[-1])
    if len(sents) > 2 and rng.random() < 0.5:
        sents = [sents[-1]] + sents[:-1]  # ask first, then give the facts
    elif len(sents) > 3:
        k = rng.randrange(len(sents) - 2)
        sents[k], sents[k + 1] = sents[k + 1], sents[k]
    return rng.choice(WRAPPERS).format(q=" ".join(sents))
