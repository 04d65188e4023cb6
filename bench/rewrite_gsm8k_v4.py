"""A fourth rewrite style for GSM8K problems, written on 2026-12-02 (round 3) before any matcher change of that
round, and never used for calibration, for choosing features, or for looking at misses: a held-out check.

What it does that styles 1-3 do not:

1. the things counted are swapped across classes, not within a family (apples -> notebooks, dogs -> lamps,
   eggs -> tickets), from its own list; a plural noun it does not know keeps its word;
2. units change class and scale together: "hours" -> "days" and "minutes" -> "seconds" stay time, but money
   becomes "credits" / "tokens", lengths become "laps" / "blocks", weights "sacks";
3. the person is replaced by a company or a group ("the club", "Team Falcon", "the Riverside school");
4. every fact sentence is shuffled (not one moved), and a sentence's leading "If"/"When"/"After" clause is
   cut off into a sentence of its own;
5. the question becomes an imperative with its own verbs ("Find ...", "Determine the value of ...",
   "Report how many ...") and the problem sits after a short persona instruction.

    >>> import random
    >>> from bench.rewrite_gsm8k_v4 import rewrite
    >>> rewrite("Janet has 3 apples. She bought 2 more. How many apples does Janet have?", random.Random(0))[:40]
    'You are a maths tutor. It bought 6 more.'
"""

from __future__ import annotations

import random
import re

OBJECTS = {"apples": "notebooks", "apple": "notebook", "dogs": "lamps", "dog": "lamp", "eggs": "tickets",
           "egg": "ticket", "cookies": "stickers", "cookie": "sticker", "books": "chairs", "book": "chair",
           "pencils": "batteries", "pencil": "battery", "marbles": "coins", "cupcakes": "candles", "cupcake": "candle",
           "flowers": "bottles", "flower": "bottle", "cats": "boxes", "cat": "box", "candies": "buttons",
           "candy": "button", "cars": "kites", "car": "kite", "shirts": "mugs", "shirt": "mug", "chickens": "printers",
           "cows": "tents", "fish": "rings", "pizzas": "posters", "pizza": "poster", "cakes": "blankets",
           "cake": "blanket", "toys": "plates", "students": "members", "trees": "poles", "tree": "pole",
           "pages": "tiles", "page": "tile", "cards": "bricks", "card": "brick", "bags": "crates", "bag": "crate",
           "oranges": "folders", "orange": "folder", "muffins": "lanterns", "cups": "spoons", "bottles": "jars"}
UNITS = {"dollars": ["credits", "tokens"], "dollar": ["credit", "token"], "hours": ["days"], "hour": ["day"],
         "minutes": ["seconds"], "minute": ["second"], "miles": ["laps", "blocks"], "mile": ["lap", "block"],
         "feet": ["steps"], "foot": ["step"], "pounds": ["sacks"], "pound": ["sack"], "inches": ["marks"],
         "gallons": ["buckets"], "gallon": ["bucket"], "weeks": ["months"], "week": ["month"]}
GROUPS = ["the club", "Team Falcon", "the Riverside school", "the bakery", "the co-op", "the lab", "the museum",
          "Acme Ltd", "the village council", "the choir"]
PRONOUNS = {"She": "It", "He": "It", "she": "it", "he": "it", "her": "its", "his": "its", "Her": "Its", "His": "Its",
            "him": "it", "herself": "itself", "himself": "itself"}
QUESTIONS = [(r"^How many (.+?)\?$", ["Find how many {0}.", "Report how many {0}.", "Determine the count: how many {0}."]),
             (r"^How much (.+?)\?$", ["Determine how much {0}.", "Find out how much {0}."]),
             (r"^What (?:is|was|are|were) (.+?)\?$", ["Determine the value of {0}.", "Find {0}."]),
             (r"^(?:If .+?, )?(how|what) (.+?)\?$", ["Find {0} {1}.", "State {0} {1}."])]
PERSONAS = ["You are a maths tutor. {q}", "Act as a grader and solve this. {q}", "Task for the model:\n{q}",
            "{q}\n(Reply with the final value only.)"]
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then Her
His Their For Of To And But So I Mr Mrs Ms Dr One Two Three Four Five Six Seven Eight Nine Ten Calculate Find Assume
Suppose Given Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December While During Since Together""".split())


def _number(m: re.Match, rng: random.Random) -> str:
    s = m.group().replace(",", "")
    if "." in s:
        return f"{float(s) * rng.choice([1.5, 2, 0.5]):g}"
    v = int(s)
    return str(max(1, v * rng.choice([2, 3]) if v < 50 else v + rng.choice([-5, 5, 15, 25])))


def _split_clause(sent: str) -> list[str]:
    """"If X, Y." -> ["X.", "Y."] (the condition becomes a fact of its own)."""
    m = re.match(r"^(?:If|When|After|Since) ([^,?]+), (.+[.])$", sent)
    return [m.group(1)[:1].upper() + m.group(1)[1:] + ".", m.group(2)[:1].upper() + m.group(2)[1:]] if m else [sent]


def _question(q: str, rng: random.Random) -> str:
    for pat, forms in QUESTIONS:
        m = re.match(pat, q)
        if m:
            return rng.choice(forms).format(*m.groups())
    return q


def rewrite(q: str, rng: random.Random) -> str:
    """One style-4 rewrite of problem ``q`` (see module docstring)."""
    s = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", r"\1 dollars", q)
    s = re.sub(r"\d+(?:,\d{3})*(?:\.\d+)?", lambda m: _number(m, rng), s)
    names = sorted({t for t in re.findall(r"\b[A-Z][a-z]+\b", q) if t not in NOT_NAMES})
    groups = rng.sample(GROUPS, len(GROUPS))
    for k, name in enumerate(names):
        s = re.sub(rf"\b{name}'s\b", groups[k % len(groups)] + "'s", s)
        s = re.sub(rf"\b{name}\b", groups[k % len(groups)], s)
    if names:
        s = re.sub(r"\b(" + "|".join(PRONOUNS) + r")\b", lambda m: PRONOUNS[m.group()], s)
    s = re.sub(r"\b(" + "|".join(OBJECTS) + r")\b", lambda m: OBJECTS[m.group()], s)
    s = re.sub(r"\b(" + "|".join(UNITS) + r")\b", lambda m: rng.choice(UNITS[m.group()]), s)
    sents = [x for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    question = _question(sents.pop(), rng) if sents and sents[-1].endswith("?") else None
    facts = [part for x in sents for part in _split_clause(x)]
    rng.shuffle(facts)
    body = " ".join([*facts, question] if question else facts)
    return rng.choice(PERSONAS).format(q=body[:1].upper() + body[1:])
