"""A seventh rewrite style for GSM8K problems, written on 2026-12-02 (round 6) before any matcher change of that
round, and never used for calibration, for choosing features, or for looking at misses: a held-out check.

It follows the rephrasings the contamination literature describes rather than a plagiarist's word swaps:
Yang et al. 2023 ("Rethinking benchmark and contamination for language models with rephrased samples", LMSYS)
rephrase a test item's *form* (sentence structure, voice, point of view) while keeping its meaning, and Shi
et al. 2023 (GSM-IC, "Large language models can be easily distracted by irrelevant context") add an
irrelevant sentence *on the problem's own topic*. What it does that styles 1-6 do not:

1. point of view: the first person named becomes the narrator ("Janet has 3 apples. She ..." -> "I have 3
   apples. I ..."; "Janet's" -> "my"; "does she" -> "do I"), with verbs made to agree;
2. half the problems become a dialogue between the narrator and a listener ("Sam: ... / Kim: Go on. / Sam: ...
   / Kim: And the question? / Sam: ..."), the facts split between the narrator's turns;
3. units are converted to a smaller unit *and the number with them* ("$5" -> "500 cents", "3 hours" -> "180
   minutes", "2 feet" -> "24 inches", "1 dozen" -> "12"), and every other plain count is scaled by one factor
   per problem (x2, x3 or x10), so the numbers keep their relations; "25%" becomes "a quarter" or "25 percent";
4. clause order: a leading "If/When/After/Before/Since X, Y." becomes "Y, X-clause at the end" ("Y if X."), and
   the first two fact sentences trade places;
5. a GSM-IC distractor on the problem's own counted thing ("A friend of mine has 7 more apples than that, but
   it plays no part here.");
6. its own verb paraphrases ("buys" -> "gets", "sells" -> "offers", "gives" -> "hands", "spends" -> "uses up")
   and question forms ("Can you tell me how many ...?", "What is the number of ...?").

    >>> import random
    >>> from bench.rewrite_gsm8k_v7 import rewrite
    >>> rewrite("Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?", random.Random(1))
    'Zara: A friend of mine has 18 more apples than that, but it plays no part here. Mia: Mm-hm. Zara: I paid for 4 more for 500 cents. I have 6 apples. Mia: So what is the question? Zara: How many apples do I have?'
"""

from __future__ import annotations

import random
import re

SPEAKERS = ["Lena", "Omar", "Ravi", "Greta", "Tunde", "Mia", "Hugo", "Zara"]
FILLERS = ["Go on.", "Okay.", "Right, and then?", "Mm-hm.", "I see."]
ASKS = ["So what is the question?", "What are you asking?", "And what do you need to find?"]
#: unit -> (smaller unit, factor); the number in front is multiplied by the factor
UNITS = {"dollars": ("cents", 100), "dollar": ("cents", 100), "hours": ("minutes", 60), "hour": ("minutes", 60),
         "minutes": ("seconds", 60), "feet": ("inches", 12), "foot": ("inches", 12), "pounds": ("ounces", 16),
         "pound": ("ounces", 16), "meters": ("centimeters", 100), "kilograms": ("grams", 1000),
         "liters": ("milliliters", 1000), "gallons": ("quarts", 4), "weeks": ("days", 7), "week": ("days", 7),
         "years": ("months", 12), "year": ("months", 12), "dozen": ("", 12), "miles": ("yards", 1760)}
PERCENT = {"50": "half", "25": "a quarter", "75": "three quarters", "10": "a tenth", "20": "a fifth"}
VERBS = {"buys": "gets", "bought": "paid for", "sells": "offers", "sold": "offered", "gives": "hands",
         "gave": "handed", "spends": "uses up", "spent": "used up", "needs": "requires", "wants": "would like",
         "makes": "produces", "made": "produced", "earns": "brings in", "earned": "brought in"}
AGREE = {"has": "have", "is": "am", "does": "do", "goes": "go", "was": "was", "wants": "want", "would": "would",
         "watches": "watch", "washes": "wash", "catches": "catch", "finishes": "finish", "misses": "miss",
         "fixes": "fix", "teaches": "teach", "reaches": "reach"}
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then Her
His Their For Of To And But So I Mr Mrs Ms Dr One Two Three Four Five Six Seven Eight Nine Ten Calculate Find Assume
Suppose Given Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December While During Since Together Which Who Why Yesterday Today Tomorrow
Last Next Later Now Also Some Many All Both Meanwhile Altogether Overall Christmas Halloween Easter San New""".split())
OBJECT_AFTER = r"(to|for|with|than|from|gives|gave|give|tells|told|pays|paid|asks|asked|helps|helped|and)"


def _numbers(s: str, rng: random.Random) -> str:
    """Units to a smaller unit with the number converted; other plain counts x one factor; percents to words."""
    k = rng.choice([2, 3, 10])

    def fmt(v: float) -> str:
        return f"{v:,.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"

    s = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", r"\1 dollars", s)
    s = re.sub(r"\b(\d+)%", lambda m: PERCENT.get(m.group(1), m.group(1) + " percent") if rng.random() < 0.6
               else m.group(1) + " percent", s)

    def unit(m: re.Match) -> str:
        new, f = UNITS[m.group(2)]
        return fmt(float(m.group(1).replace(",", "")) * f) + (" " + new if new else "")

    s = re.sub(r"(?<![\w./])(\d[\d,]*(?:\.\d+)?) (" + "|".join(UNITS) + r")\b", unit, s)

    # not a converted unit (done above: the number is now followed by the small unit), not a percent, not "times"
    small = "|".join(sorted({u for u, _ in UNITS.values() if u}))
    return re.sub(rf"(?<![\w./,:])\d[\d,]*(?:\.\d+)?(?![\d/,:])(?!\.\d)(?! (?:{small}|percent|times)\b)",
                  lambda m: fmt(float(m.group().replace(",", "")) * k), s)


def _narrator(s: str, q: str) -> tuple[str, str | None]:
    """The first named person becomes "I" (their pronouns too); returns (text, name) or (text, None)."""
    lower = set(re.findall(r"\b[a-z]+\b", q))
    names = [t for t in re.findall(r"\b[A-Z][a-z]+\b", q) if t not in NOT_NAMES and t.lower() not in lower]
    if not names:
        return s, None
    name = names[0]
    after = q[q.index(name):]
    g = re.search(r"\b(she|her|he|his|him)\b", after, re.I)
    fem = g is not None and g.group().lower() in ("she", "her")
    subj, obj, pos, refl = ("she", "her", "her", "herself") if fem else ("he", "him", "his", "himself")
    s = re.sub(rf"\b{name}['’]s\b", "my", s)
    s = re.sub(rf"\b{OBJECT_AFTER} {name}\b", r"\1 me", s)
    s = re.sub(rf"\b{name}\b", "I", s)
    if g is not None:
        s = re.sub(rf"\b{refl}\b", "myself", s)
        s = re.sub(rf"\b{subj}\b", "I", s, flags=re.I)
        if fem:  # "her" before a noun is "my", otherwise "me"
            s = re.sub(r"\b[Hh]er\b(?= (?!and|or|to|for|with|at|in|on|that|than|if|so|but)[a-z-]+)", "my", s)
            s = re.sub(r"\bher\b", "me", s)
        else:
            s = re.sub(r"\bhim\b", "me", re.sub(r"\b[Hh]is\b", "my", s))
    aux = {"does": "do", "is": "am", "has": "have"}
    s = re.sub(r"\b(does|did|is|was|has|will) I\b", lambda m: aux.get(m.group(1), m.group(1)) + " I", s)
    s = re.sub(r"\bI ((?:also|then|only|still|usually|normally|now|always|often) )?([a-z]+)\b",
               lambda m: "I " + (m.group(1) or "") + _agree(m.group(2)), s)
    # a second verb of the narrator's: "I eat ... and bakes the ..." -> "and bake the ..."
    obj = r"(?= (?:a|an|the|my|some|another|it|them|all|each|up|\d)\b)"
    s = re.sub(r"(\bI [^.?!]*?\b(?:and then|but|and) )([a-z]+s)" + obj,
               lambda m: m.group(1) + _agree(m.group(2)), s)
    return re.sub(r"(^|[.!?]\s+)my\b", r"\1My", s), name


def _agree(v: str) -> str:
    if v in AGREE:
        return AGREE[v]
    if v.endswith("ies") and len(v) > 4:
        return v[:-3] + "y"
    if v.endswith("s") and not v.endswith(("ss", "us", "is")) and len(v) > 3:
        return v[:-1]
    return v


def _reorder(sent: str) -> str:
    """"If X, Y." -> "Y if X." (the condition moves to the end)."""
    m = re.match(r"^(If|When|After|Before|Since|Once) ([^,?]{4,}), ([^?]+)\.$", sent)
    if not m:
        return sent
    return f"{m.group(3)[:1].upper()}{m.group(3)[1:]} {m.group(1).lower()} {m.group(2)}."


def _question(q: str, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return q
    return rng.choice(["Can you tell me: {q}", "Work it out for me: {q}", "Here is what I want to know: {q}",
                       "{Q} (Just the number, please.)"]).format(q=q[:1].lower() + q[1:], Q=q)


def rewrite(q: str, rng: random.Random) -> str:
    """One style-7 rewrite of problem ``q`` (see module docstring)."""
    s = re.sub(r"\b(" + "|".join(VERBS) + r")\b", lambda m: VERBS[m.group()], _numbers(q, rng))
    s, name = _narrator(s, q)
    sents = [x[:1].upper() + x[1:] for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    question = sents.pop() if len(sents) > 1 and sents[-1].endswith("?") else None
    sents = [_reorder(x) for x in sents]
    if len(sents) >= 2:
        sents[0], sents[1] = sents[1], sents[0]
    units = {*UNITS, *(u for u, _ in UNITS.values()), "times", "percent", "cents", "seconds", "days", "months"}
    thing = next((w for w in re.findall(r"\b\d[\d,.]* ([a-z]{3,}s)\b", q) if w not in units), None)
    if thing and rng.random() < 0.7:
        who = "A friend of mine has" if name else "Someone else has"
        sents.insert(rng.randrange(len(sents) + 1), f"{who} {rng.randint(2, 40)} more {thing} than that, "
                     "but it plays no part here.")
    question = _question(question, rng) if question else None
    if rng.random() < 0.5 or not question:
        return " ".join([*sents, question] if question else sents)
    me, you = rng.sample(SPEAKERS, 2)
    turns = [f"{me}: {sents[0]}"]
    if len(sents) > 1:
        turns += [f"{you}: {rng.choice(FILLERS)}", f"{me}: {' '.join(sents[1:])}"]
    return " ".join([*turns, f"{you}: {rng.choice(ASKS)}", f"{me}: {question}"])
