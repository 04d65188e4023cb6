"""A sixth rewrite style for GSM8K problems, written on 2026-12-02 (round 5) before any matcher change of that
round, and never used for calibration, for choosing features, or for looking at misses: a held-out check.

What it does that styles 1-5 do not:

1. the whole story moves to another setting (a space station, a medieval kingdom, a coral reef colony), chosen
   per problem: *every* counted thing (any lower-case word right after a number, not a fixed list) becomes a
   thing of that setting, consistently, singular and plural; common places and roles too ("store" -> "trading
   post", "teacher" -> "quartermaster"); money becomes the setting's currency ("$5" -> "5 gold crowns");
2. people get setting names with a title ("Commander Vex", "Lady Brynn"), and later mentions are sometimes the
   bare title ("the commander");
3. numbers change by a random amount of their own kind (+/- a few, x2, x3, a decimal kept a decimal);
4. short adjacent fact sentences are merged ("A. B." -> "A, and b."), and a sentence with ", and" or " and then"
   is split into two ("... Then ...");
5. the question is restated at the start ("Question: how many ...? Details: ...") and, half the time, not
   asked again at the end;
6. an extra fact: a unit conversion nobody needs ("One shift is 8 hours long.") or a distractor with a number
   about another thing of the setting.

    >>> import random
    >>> from bench.rewrite_gsm8k_v6 import rewrite
    >>> rewrite("Janet has 3 apples. She bought 2 more. How many apples does Janet have?", random.Random(0))[:30]
    'Question: How many buoys does '
"""

from __future__ import annotations

import random
import re

SETTINGS = {
    "space": {"things": ["crystal", "probe", "drone", "fuel cell", "data chip", "ration pack", "oxygen tank", "beacon",
                         "solar panel", "rover", "hull plate", "seed pod", "star chart", "cargo pod", "signal flare"],
              "names": ["Vex", "Oru", "Talia", "Kade", "Nyx", "Soren", "Ilsa", "Maro"],
              "titles": ["Commander", "Pilot", "Engineer", "Captain", "Navigator"],
              "money": "credits", "places": {"store": "supply depot", "school": "academy deck", "farm": "hydroponics bay",
                                             "house": "cabin", "park": "observation dome", "restaurant": "mess hall",
                                             "teacher": "flight instructor", "class": "crew", "shop": "supply depot"},
              "extra": ["One station cycle lasts {n} hours.", "The station orbits a moon with {n} craters.",
                        "A cargo pod can be swapped for {n} credits on the outer ring, but nobody does that here."]},
    "kingdom": {"things": ["scroll", "horse", "lantern", "shield", "goblet", "arrow", "loaf", "barrel", "banner",
                           "gem", "sword", "candle", "saddle", "map", "tapestry"],
                "names": ["Brynn", "Aldric", "Maelis", "Osric", "Wenna", "Theobald", "Isolde", "Gareth"],
                "titles": ["Lady", "Sir", "Lord", "Squire", "Dame"],
                "money": "gold crowns", "places": {"store": "market stall", "school": "abbey school", "farm": "manor field",
                                                   "house": "cottage", "park": "royal garden", "restaurant": "tavern",
                                                   "teacher": "scribe", "class": "company", "shop": "market stall"},
                "extra": ["A league is about {n} miles, though no one here travels that far.",
                          "The castle has {n} towers.", "One gold crown is worth {n} silver pennies."]},
    "reef": {"things": ["pearl", "shell", "sponge", "starfish", "net", "kelp bundle", "coral piece", "clam", "lantern fish",
                        "sea urchin", "oyster", "anchor", "buoy", "float", "crab trap"],
             "names": ["Marisol", "Kai", "Nerea", "Tane", "Coralie", "Finn", "Moana", "Dylan"],
             "titles": ["Diver", "Keeper", "Elder", "Warden", "Skipper"],
             "money": "sand dollars", "places": {"store": "trading reef", "school": "current school", "farm": "kelp farm",
                                                 "house": "grotto", "park": "lagoon", "restaurant": "shell cafe",
                                                 "teacher": "tide mentor", "class": "pod", "shop": "trading reef"},
             "extra": ["A fathom is {n} feet.", "The lagoon is home to {n} turtles, which play no part here.",
                       "The tide turns every {n} hours."]},
}
NOT_THINGS = set("""more less times percent of and or a an the each every per in on at to for from by with than as
more fewer other times hours hour minutes minute seconds second days day weeks week months month years year
dollars dollar cents cent miles mile feet foot inches inch pounds pound ounces ounce gallons gallon people
person is are was were has have had will would can could less left total times her his their them its our
your my what which that this these those were large small big little different new old full half whole
extra same red blue green yellow white black brown pink purple orange long short tall high wide times""".split())
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then Her
His Their For Of To And But So I Mr Mrs Ms Dr One Two Three Four Five Six Seven Eight Nine Ten Calculate Find Assume
Suppose Given Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December While During Since Together Which Who Why Yesterday Today Tomorrow
Last Next Later Now Also Some Many All Both Meanwhile Altogether Overall""".split())
LEADS = ["Question: {q} Details: {body}", "We want to know this: {q}\n{body}", "{q} Here is the situation. {body}",
         "To answer: {q}\n\n{body}"]


def _number(m: re.Match, rng: random.Random) -> str:
    s = m.group().replace(",", "")
    if "." in s:
        return f"{float(s) + rng.choice([0.25, 0.5, 1.25]):.2f}".rstrip("0").rstrip(".")
    v = int(s)
    return str(max(1, rng.choice([v + rng.randint(1, 4), v * 2, v * 3, v - 1 if v > 2 else v + 2])))


def _plural(w: str) -> str:
    return w + ("es" if w.endswith(("sh", "ch", "s", "x")) else "s") if not w.endswith("fish") else w


def _things(s: str, rng: random.Random, setting: dict) -> str:
    """Every lower-case word right after a number (an adjective between allowed) -> a thing of the setting."""
    seen = re.findall(r"\b\d[\d,.]*[ -]([a-z]{3,})\b", s) + re.findall(r"\b[Hh]ow many ([a-z]{3,})\b", s)
    skip = NOT_THINGS | set(setting["money"].split())
    stems = sorted({w[:-1] if w.endswith("s") and not w.endswith("ss") else w for w in seen} - skip)
    pool = rng.sample(setting["things"], len(setting["things"]))
    for k, stem in enumerate(stems[: len(pool)]):
        new = pool[k]
        s = re.sub(rf"\b{stem}(e?s)?\b", lambda m, new=new: _plural(new) if m.group(1) else new, s)
    for old, new in setting["places"].items():
        s = re.sub(rf"\b{old}(e?s)?\b", lambda m, new=new: _plural(new) if m.group(1) else new, s)
    return s


def _people(s: str, q: str, rng: random.Random, setting: dict) -> str:
    lower = set(re.findall(r"\b[a-z]+\b", q))
    names = sorted({t for t in re.findall(r"\b[A-Z][a-z]+\b", q) if t not in NOT_NAMES and t.lower() not in lower})
    pool, titles = rng.sample(setting["names"], len(setting["names"])), rng.sample(setting["titles"], len(setting["titles"]))
    for k, name in enumerate(names):
        full, bare = f"{titles[k % len(titles)]} {pool[k % len(pool)]}", f"the {titles[k % len(titles)].lower()}"
        hits = iter(range(1000))
        s = re.sub(rf"\b{name}\b", lambda m, full=full, bare=bare: full if next(hits) == 0 or rng.random() < 0.5 else bare, s)
    return s


def _reshape(sents: list[str], rng: random.Random) -> list[str]:
    """Split sentences at ", and" / " and then"; merge short neighbours."""
    out: list[str] = []
    for x in sents:
        m = re.match(r"^(.{15,}?)(?:, and then |, and | and then )(.{10,})$", x)
        out += [m.group(1) + ".", "Then " + m.group(2)] if m and rng.random() < 0.7 else [x]
    merged: list[str] = []
    for x in out:
        if merged and len(merged[-1]) + len(x) < 110 and merged[-1].endswith(".") and rng.random() < 0.5:
            merged[-1] = merged[-1][:-1] + ", and " + (x[:1].lower() + x[1:] if not x.startswith(("I ", "Commander")) else x)
        else:
            merged.append(x)
    return merged


def rewrite(q: str, rng: random.Random) -> str:
    """One style-6 rewrite of problem ``q`` (see module docstring)."""
    setting = SETTINGS[rng.choice(sorted(SETTINGS))]
    s = _people(_things(q, rng, setting), q, rng, setting)
    s = re.sub(r"\b(dollars?|bucks)\b", setting["money"], s)
    s = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", lambda m: m.group(1) + " " + setting["money"], s)
    s = re.sub(r"(?<![\w./])\d+(?:,\d{3})*(?:\.\d+)?(?![/\d])", lambda m: _number(m, rng), s)
    sents = [x[:1].upper() + x[1:] for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    question = sents.pop() if len(sents) > 1 and sents[-1].endswith("?") else None
    sents = _reshape(sents, rng)
    sents.insert(rng.randrange(len(sents) + 1), rng.choice(setting["extra"]).format(n=rng.randint(3, 60)))
    body = " ".join(sents)
    if question is None:
        return body
    if rng.random() < 0.5:
        body += " " + rng.choice(["So, once more: ", "Again, "]) + question[:1].lower() + question[1:]
    return rng.choice(LEADS).format(q=question, body=body)
