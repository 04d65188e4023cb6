"""A fifth rewrite style for GSM8K problems, written on 2026-12-02 (round 4) before any matcher change of that
round, and never used for calibration, for choosing features, or for looking at misses: a held-out check.

What it does that styles 1-4 do not:

1. simple "X bought 3 apples" clauses go into the passive ("3 apples were bought by X"), and a trailing
   time phrase moves to the front ("She walks 3 miles every day." -> "Every day, she walks 3 miles.");
2. numbers are rescaled (x10, x4, /2, +1) and written in mixed forms within one problem: digits with
   commas, "a dozen" / "two dozen", "3 thousand", "1.5 thousand", "four hundred", hyphenated words;
   "$5" becomes "5 bucks" or "five dollars", "25%" becomes "25 out of every 100" or "25 percent",
   "1/2" becomes "half";
3. one or two irrelevant context sentences (some with a number of their own, some without) go anywhere;
4. the question is turned into a statement of what is wanted ("The task is to work out how many apples
   Janet does have.", "Needed: the amount ...") or asked after the facts as "So, how many ...?";
5. its own synonym list ("bought" -> "acquired", "each" -> "apiece", "total" -> "combined", "twice" ->
   "double", "left" -> "remaining", ...) and adjectives put before some counted nouns ("fresh apples");
6. names become other names (two-part or hyphenated ones from its own list), pronouns flip gender or
   become "they".

    >>> import random
    >>> from bench.rewrite_gsm8k_v5 import rewrite
    >>> rewrite("Janet has 3 apples. She bought 2 more. How many apples does Janet have?", random.Random(0))[-146:-96]
    'Astrid holds four apples. They acquired twenty mor'
"""

from __future__ import annotations

import random
import re

from bench.rewrite_gsm8k_v3 import spell

NAMES = ["Ana-Sofia", "Jean Paul", "Li Wei", "Mary Beth", "Karl-Heinz", "Bao", "Siddharth", "Olumide", "Astrid",
         "Rosa Maria", "Emeka", "Yuki", "Giorgos", "Anneliese", "Tariq"]
PRONOUNS = [{"she": "he", "her": "his", "She": "He", "Her": "His", "herself": "himself", "he": "she", "his": "her",
             "He": "She", "His": "Her", "him": "her", "himself": "herself"},
            {"she": "they", "he": "they", "She": "They", "He": "They", "her": "their", "his": "their", "Her": "Their",
             "His": "Their", "him": "them", "herself": "themselves", "himself": "themselves"}]
SYNONYMS = {"bought": "acquired", "buys": "acquires", "buy": "acquire", "has": "holds", "have": "hold",
            "each": "apiece", "total": "combined", "twice": "double", "left": "remaining", "sells": "trades away",
            "sold": "traded away", "spent": "laid out", "spends": "lays out", "earns": "brings in", "earned": "brought in",
            "gave": "passed", "gives": "passes", "wants": "intends", "needs": "has to have", "store": "market",
            "more than": "above", "fewer than": "below", "per": "for every", "makes": "produces", "made": "produced",
            "friend": "buddy", "friends": "buddies", "every": "each single", "week": "7-day stretch"}
PASSIVE = {"bought": "bought", "buys": "bought", "sold": "sold", "sells": "sold", "made": "made", "makes": "made",
           "baked": "baked", "bakes": "baked", "picked": "picked", "picks": "picked", "ate": "eaten", "eats": "eaten",
           "found": "found", "finds": "found", "collected": "collected", "collects": "collected", "planted": "planted",
           "plants": "planted", "caught": "caught", "catches": "caught", "read": "read", "reads": "read",
           "wrote": "written", "writes": "written", "ordered": "ordered", "orders": "ordered", "used": "used",
           "uses": "used", "painted": "painted", "paints": "painted", "received": "received", "receives": "received"}
OBJECT_CASE = {"She": "her", "He": "him", "They": "them", "I": "me", "We": "us"}
ADJECTIVES = ["fresh", "little", "shiny", "spare", "brand-new", "extra"]
CONTEXT = ["The weather was mild that week.", "Nobody else in the family was involved.",
           "A cousin aged {n} was visiting at the time, but took no part.", "The town has about {n} thousand residents.",
           "This happened on a Tuesday.", "Everything was written down in a small notebook.",
           "The shop across the road had {n} customers that morning."]
WANTED = ["The task is to work out {0}.", "Needed: {0}.", "Work out {0}, using the facts above.", "So, {0}?"]
FRAMES = ["Worksheet item. {q}", "{q}\n\nShow your working.", "Below is a word problem.\n\n{q}", "{q}"]
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then Her
His Their For Of To And But So I Mr Mrs Ms Dr One Two Three Four Five Six Seven Eight Nine Ten Calculate Find Assume
Suppose Given Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December While During Since Together Which Who Why Yesterday Today Tomorrow
Last Next Later Now Also Some Many All Both Normally Usually Finally Recently Currently Originally Initially
Meanwhile Unfortunately Additionally Altogether Overall""".split())
FRACTIONS = {"1/2": "half", "1/4": "a quarter", "3/4": "three quarters", "1/3": "a third", "2/3": "two thirds",
             "1/5": "a fifth", "1/10": "a tenth"}
TIME = (r"(?:every|each) [a-z]+(?: [a-z]+)?|on (?:[A-Z][a-z]+days?|weekends|weekdays)|in the (?:morning|afternoon|evening)"
        r"|for (?:\d[\d,]*|[a-z]+) [a-z]+")
THEY = {"They is": "They are", "they is": "they are", "They was": "They were", "they was": "they were",
        "They has": "They have", "they has": "they have", "They does": "They do", "they does": "they do"}


def _form(v: int, rng: random.Random) -> str:
    """``v`` in one of several written forms, chosen at random."""
    forms = [f"{v:,}"]
    if v in (12, 24, 36, 48):
        forms += ["a dozen" if v == 12 else spell(v // 12) + " dozen"]
    if v >= 1000 and v % 500 == 0:
        forms += [f"{v / 1000:g} thousand"]
    if 100 <= v < 1000 and v % 100 == 0:
        forms += [spell(v // 100) + " hundred"]
    if v < 100:
        forms += [spell(v)]
    return rng.choice(forms)


def _number(m: re.Match, rng: random.Random) -> str:
    s = m.group().replace(",", "")
    if "." in s:
        return f"{float(s) * rng.choice([2, 4, 0.5]):g}"
    v = int(s)
    v = rng.choice([v * 10, v * 4, v // 2 if v % 2 == 0 and v > 2 else v + 1, v + 1])
    return _form(max(1, v), rng)


def _passive(sent: str) -> str:
    """"X bought 3 apples ..." -> "3 apples were bought by X ..." for the simple cases."""
    m = re.match(r"^(She|He|They|I|We|[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?) (\w+) (\d[\d,.]*|a|an|some) ([a-z]+)(.*)$", sent)
    if not m or m.group(2) not in PASSIVE:
        return sent
    subj, verb, num, obj, rest = m.groups()
    aux = "are" if verb.endswith("s") and num not in ("a", "an") else "were" if num not in ("a", "an") else "was"
    if verb.endswith("s") and num in ("a", "an"):
        aux = "is"
    num = num[:1].upper() + num[1:]
    return f"{num} {obj} {aux} {PASSIVE[verb]} by {OBJECT_CASE.get(subj, subj)}{rest}"


def _front_time(sent: str) -> str:
    m = re.match(rf"^([^,]+?) ({TIME})\.$", sent)
    if not m or m.group(1).startswith(("If", "When")):
        return sent
    first = m.group(1)
    lead = {"She", "He", "They", "We", "The", "A", "An", "It", "Her", "His", "Their", "Each", "Every"}
    first = first[:1].lower() + first[1:] if first.split(" ")[0] in lead else first
    return f"{m.group(2)[:1].upper()}{m.group(2)[1:]}, {first}."


def _wanted(q: str, rng: random.Random) -> str:
    m = re.match(r"^(?:(.+?), )?((?:how|what|which) .+?)\?$", q, flags=re.IGNORECASE)
    if not m:
        return q
    lead, ask = m.groups()
    ask = re.sub(r"^(how many \w+(?: \w+)?|how much(?: \w+)?) (does|did|do|will|can|would) (the \w+|\w+) ", r"\1 \3 \2 ", ask,
                 flags=re.IGNORECASE)
    body = ask[:1].lower() + ask[1:]
    out = rng.choice(WANTED).format(body)
    return f"{lead[:1].upper()}{lead[1:]}. {out[:1].upper()}{out[1:]}" if lead else out[:1].upper() + out[1:]


def _words(s: str, rng: random.Random, names: list[str]) -> str:
    new = rng.sample(NAMES, len(NAMES))
    for k, name in enumerate(names):
        s = re.sub(rf"\b{name}\b", new[k % len(new)], s)
    pron = rng.choice(PRONOUNS)
    s = re.sub(r"\b(" + "|".join(pron) + r")\b", lambda m: pron[m.group()], s)
    s = re.sub(r"\b(" + "|".join(THEY) + r")\b", lambda m: THEY[m.group()], s)
    for old, syn in SYNONYMS.items():
        if rng.random() < 0.6:
            s = re.sub(rf"\b{old}\b", syn, s)
    return re.sub(r"\b(\d[\d,]*|dozen|hundred|thousand|many) ([a-z]{3,}s)\b",
                  lambda m: f"{m.group(1)} {rng.choice(ADJECTIVES)} {m.group(2)}" if rng.random() < 0.3 else m.group(), s)


def rewrite(q: str, rng: random.Random) -> str:
    """One style-5 rewrite of problem ``q`` (see module docstring)."""
    s = re.sub(r"\b\d+/\d+\b", lambda m: FRACTIONS.get(m.group(), m.group()), q)
    s = re.sub(r"\b(\d+)%", lambda m: m.group(1) + rng.choice([" out of every 100", " percent"]), s)
    s = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", lambda m: m.group(1) + rng.choice([" bucks", " dollars"]), s)
    s = re.sub(r"(?<![\w./])\d+(?:,\d{3})*(?:\.\d+)?(?![/\d])", lambda m: _number(m, rng), s)
    lower = set(re.findall(r"\b[a-z]+\b", q))
    names = sorted({t for t in re.findall(r"\b[A-Z][a-z]+\b", q)
                    if t not in NOT_NAMES and t.lower() not in lower})
    sents = [x for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    sents = [_front_time(_passive(x)) if rng.random() < 0.7 else x for x in sents]
    if sents and sents[-1].endswith("?"):
        sents[-1] = _wanted(sents[-1], rng)
    for _ in range(rng.choice([1, 1, 2])):
        sents.insert(rng.randrange(len(sents) + 1), rng.choice(CONTEXT).format(n=rng.randint(3, 40)))
    body = _words(" ".join(sents), rng, names)
    return rng.choice(FRAMES).format(q=body)
