"""An eighth rewrite style for GSM8K problems, written on 2026-12-04 (round 7) before any matcher change of that
round, and never used for calibration, for choosing features, or for looking at misses: a held-out check.

It follows the perturbations the robustness and contamination literature lists rather than a plagiarist's word
swaps: GSM-Plus (Li et al. 2024: numerical substitution, integer-decimal-fraction conversion, paraphrase of the
problem) and the rephrased samples of Yang et al. 2023 (LMSYS: the same meaning in another form). What it does
that styles 1-7 do not:

1. anonymised people: every named person becomes a lettered label of one kind per problem ("Person A",
   "Student B", "Shopper A"), possessives too ("Janet's" -> "Person A's"); pronouns stay;
2. hypernyms for the things counted: apples -> "pieces of fruit", cookies -> "baked goods", dogs -> "animals",
   cars -> "vehicles", shirts -> "pieces of clothing", books -> "things to read" (a fixed table, singular and
   plural; half the problems also turn any other counted noun into "items");
3. numbers (GSM-Plus): a fraction or percent becomes a decimal or a fraction of 100 ("1/2" and "half" -> "0.5",
   "25%" -> "0.25" before "of", else "25/100"), and each whole number may be swapped for another of the same
   number of digits;
4. the question becomes a noun phrase for the quantity asked (a cloze or a "find" item): "How many apples does
   Janet have?" -> "the number of pieces of fruit Person A has", "How much money did he spend?" -> "the amount
   of money he spent", asked as "Find: ..." or "... is ____." (a question it cannot turn is kept, after a label);
5. two layouts: a **worksheet** (the task first, then the facts as a numbered "Given:" list, a ", and he/she
   ..." sentence split into two items) or **prose** (a "Person A has 3 pieces of fruit. She ..." pair merged
   into one sentence with a relative clause: "Person A, who has 3 pieces of fruit, ..."; an opening phrase
   without numbers; the cloze at the end).

    >>> import random
    >>> from bench.rewrite_gsm8k_v8 import rewrite
    >>> rewrite("Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?", random.Random(0))
    'On an ordinary afternoon, Worker A, who has 8 pieces of fruit, bought 2 more for $9. Fill in the blank: the number of pieces of fruit Worker A has = ____.'
"""

from __future__ import annotations

import random
import re

LABELS = ["Person", "Student", "Shopper", "Worker", "Friend", "Customer"]
#: singular, plural -> hypernym singular, plural
HYPERNYMS = {
    ("apple", "apples"): ("piece of fruit", "pieces of fruit"), ("orange", "oranges"): ("piece of fruit", "pieces of fruit"),
    ("banana", "bananas"): ("piece of fruit", "pieces of fruit"), ("peach", "peaches"): ("piece of fruit", "pieces of fruit"),
    ("pear", "pears"): ("piece of fruit", "pieces of fruit"), ("lemon", "lemons"): ("piece of fruit", "pieces of fruit"),
    ("strawberry", "strawberries"): ("berry", "berries"), ("grape", "grapes"): ("berry", "berries"),
    ("cookie", "cookies"): ("baked good", "baked goods"), ("cupcake", "cupcakes"): ("baked good", "baked goods"),
    ("muffin", "muffins"): ("baked good", "baked goods"), ("brownie", "brownies"): ("baked good", "baked goods"),
    ("pie", "pies"): ("baked good", "baked goods"), ("cake", "cakes"): ("baked good", "baked goods"),
    ("candy", "candies"): ("treat", "treats"), ("lollipop", "lollipops"): ("treat", "treats"),
    ("dog", "dogs"): ("animal", "animals"), ("cat", "cats"): ("animal", "animals"), ("cow", "cows"): ("animal", "animals"),
    ("horse", "horses"): ("animal", "animals"), ("pig", "pigs"): ("animal", "animals"), ("sheep", "sheep"): ("animal", "animals"),
    ("goat", "goats"): ("animal", "animals"), ("chicken", "chickens"): ("bird", "birds"), ("duck", "ducks"): ("bird", "birds"),
    ("bird", "birds"): ("animal", "animals"), ("fish", "fish"): ("animal", "animals"), ("puppy", "puppies"): ("animal", "animals"),
    ("car", "cars"): ("vehicle", "vehicles"), ("truck", "trucks"): ("vehicle", "vehicles"), ("bike", "bikes"): ("vehicle", "vehicles"),
    ("bicycle", "bicycles"): ("vehicle", "vehicles"), ("bus", "buses"): ("vehicle", "vehicles"),
    ("shirt", "shirts"): ("piece of clothing", "pieces of clothing"), ("dress", "dresses"): ("piece of clothing", "pieces of clothing"),
    ("sock", "socks"): ("piece of clothing", "pieces of clothing"), ("jacket", "jackets"): ("piece of clothing", "pieces of clothing"),
    ("hat", "hats"): ("piece of clothing", "pieces of clothing"), ("shoe", "shoes"): ("piece of footwear", "pieces of footwear"),
    ("book", "books"): ("thing to read", "things to read"), ("magazine", "magazines"): ("thing to read", "things to read"),
    ("comic", "comics"): ("thing to read", "things to read"), ("pencil", "pencils"): ("writing tool", "writing tools"),
    ("pen", "pens"): ("writing tool", "writing tools"), ("crayon", "crayons"): ("writing tool", "writing tools"),
    ("marble", "marbles"): ("small toy", "small toys"), ("toy", "toys"): ("plaything", "playthings"),
    ("doll", "dolls"): ("plaything", "playthings"), ("flower", "flowers"): ("plant", "plants"), ("rose", "roses"): ("plant", "plants"),
    ("tree", "trees"): ("plant", "plants"), ("egg", "eggs"): ("food item", "food items"), ("sandwich", "sandwiches"): ("food item", "food items"),
    ("pizza", "pizzas"): ("food item", "food items"), ("ticket", "tickets"): ("pass", "passes"),
    ("stamp", "stamps"): ("collectible", "collectibles"), ("sticker", "stickers"): ("collectible", "collectibles"),
    ("card", "cards"): ("collectible", "collectibles"), ("cup", "cups"): ("container", "containers"),
    ("bottle", "bottles"): ("container", "containers"), ("box", "boxes"): ("container", "containers"),
    ("bag", "bags"): ("container", "containers"), ("basket", "baskets"): ("container", "containers"),
}
SINGULAR = {s: h for (s, _), (h, _) in HYPERNYMS.items()}
PLURAL = {p: h for (_, p), (_, h) in HYPERNYMS.items()}
#: nouns after a number that are units or times, not things: never renamed
NOT_THINGS = set("""dollars dollar cents cent hours hour minutes minute seconds second days day weeks week months month
years year miles mile feet foot inches inch meters meter kilometers pounds pound ounces ounce gallons gallon liters
times percent dozen hundred thousand million more less fewer people students friends children kids members players
employees workers pages points degrees times""".split())
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then Her
His Their For Of To And But So I Mr Mrs Ms Dr One Two Three Four Five Six Seven Eight Nine Ten Calculate Find Assume
Suppose Given Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December While During Since Together Which Who Why Yesterday Today Tomorrow
Last Next Later Now Also Some Many All Both Meanwhile Altogether Overall Christmas Halloween Easter San New Over
Out Instead Because Unfortunately However Once Half Only Not Twice From Between Within""".split())
FRACTIONS = {"1/2": "0.5", "1/4": "0.25", "3/4": "0.75", "1/5": "0.2", "2/5": "0.4", "3/5": "0.6", "4/5": "0.8",
             "1/10": "0.1", "1/8": "0.125", "3/8": "0.375"}
OPENERS = ["As it happens, ", "In this story, ", "On an ordinary afternoon, ", "To begin with, "]
IRREGULAR_PAST = {"have": "had", "do": "did", "make": "made", "buy": "bought", "spend": "spent", "get": "got",
                  "sell": "sold", "pay": "paid", "give": "gave", "eat": "ate", "take": "took", "read": "read",
                  "run": "ran", "win": "won", "lose": "lost", "find": "found", "bring": "brought", "catch": "caught",
                  "drink": "drank", "ride": "rode", "swim": "swam", "throw": "threw", "write": "wrote", "keep": "kept",
                  "leave": "left", "feed": "fed", "grow": "grew", "go": "went", "see": "saw", "put": "put", "cut": "cut",
                  "sleep": "slept", "send": "sent", "build": "built", "drive": "drove", "fly": "flew", "earn": "earned"}
SUBJECT = re.compile(r"^(?:(?:Person|Student|Shopper|Worker|Friend|Customer) [A-F]|she|he|it|they)$", re.I)


def _third(v: str) -> str:
    if v in ("have", "do", "go", "be"):
        return {"have": "has", "do": "does", "go": "goes", "be": "is"}[v]
    if re.search(r"(s|sh|ch|x|z|o)$", v):
        return v + "es"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ies"
    return v + "s"


def _past(v: str) -> str:
    if v in IRREGULAR_PAST:
        return IRREGULAR_PAST[v]
    if v.endswith("e"):
        return v + "d"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ied"
    return v + "ed"


def _people(s: str, q: str, rng: random.Random) -> str:
    lower = set(re.findall(r"\b[a-z]+\b", q))
    names: list[str] = []
    for t in re.findall(r"\b[A-Z][a-z]+\b", q):
        if t not in NOT_NAMES and t.lower() not in lower and t not in names and not t.endswith("ly"):
            names.append(t)
    kind = rng.choice(LABELS)
    for k, name in enumerate(names[:6]):
        s = re.sub(rf"\b{name}\b", f"{kind} {'ABCDEF'[k]}", s)
    return s


def _things(s: str, rng: random.Random) -> str:
    generic = rng.random() < 0.5

    def sub(m: re.Match) -> str:
        w = m.group(2)
        low = w.lower()
        if low in PLURAL:
            return m.group(1) + PLURAL[low]
        if low in SINGULAR:
            return m.group(1) + SINGULAR[low]
        counted = m.group(1)[0].isdigit() or m.group(1).lower().startswith("how")
        if generic and counted and low.endswith("s") and low not in NOT_THINGS and len(low) > 3:
            return m.group(1) + "items"
        return m.group()

    # a thing right after a number or after "how many" / "more" / "of the"; bare mentions of known nouns too
    s = re.sub(r"(\b(?:\d[\d,.]*|[Hh]ow many|more|fewer|of the|of his|of her|of their|the|his|her|their) )([a-z]+)\b", sub, s)
    return s


def _numbers(s: str, rng: random.Random) -> str:
    s = re.sub(r"\b(\d+)% of\b", lambda m: f"{int(m.group(1)) / 100:g} of", s)
    s = re.sub(r"\b(\d+)%", r"\1/100", s)
    s = re.sub(r"(?<![\d/])(\d+/\d+)(?![\d/])", lambda m: FRACTIONS.get(m.group(1), m.group(1)), s)
    s = re.sub(r"\b(half|a half|one half) of\b", "0.5 of", s)
    s = re.sub(r"\b(a quarter|one quarter|one-quarter) of\b", "0.25 of", s)
    s = re.sub(r"\bone-third of\b|\bone third of\b|\ba third of\b", "1/3 of", s)

    def swap(m: re.Match) -> str:
        v = m.group()
        if rng.random() < 0.5 or len(v) > 4:
            return v
        lo = 10 ** (len(v) - 1) if len(v) > 1 else 2
        return str(rng.randint(lo, 10 ** len(v) - 1))

    # whole numbers only: not part of a decimal, a fraction, a time or a thousands group
    return re.sub(r"(?<![\d.,/:])\d+(?![\d.,/:]\d)(?![\d/])", swap, s)


def _cloze(q: str) -> str | None:
    """"How many X does Y V ...?" -> "the number of X Y Vs ..." (None when the question has another form)."""
    m = re.match(r"^(?:So,? )?[Hh]ow (many|much) ?(.*?)\b(does|do|did|will|would|can|could|should|is|are|was|were)\b ?(.*)\?$", q.strip())
    if not m:
        return None
    kind, thing, aux, rest = m.group(1), m.group(2).strip(), m.group(3), m.group(4).strip()
    if thing.split()[:1] in (["more"], ["fewer"], ["less"], ["longer"], ["older"], ["younger"], ["times"], ["farther"]):
        return None
    if kind == "many":
        head = f"the number of {thing}".strip()
    else:  # "how much money" -> "the amount of money"; "how much in dollars" -> "the amount in dollars"
        head = "the amount" + ("" if not thing else f" {thing}" if thing.split()[0] in ("in", "more", "of") else f" of {thing}")
    if aux in ("is", "are", "was", "were"):
        return f"{head} {rest}".strip() if kind == "many" and thing else None
    words = rest.split()
    if aux in ("will", "would", "can", "could", "should"):
        return f"{head} that {rest}" if rest else None
    for n in (2, 1):  # subject of one or two words ("Person A", "she"), then the verb
        subj = " ".join(words[:n])
        if len(words) > n and SUBJECT.match(subj) and re.fullmatch(r"[a-z]+", words[n]):
            verb = words[n]
            verb = _past(verb) if aux == "did" else _third(verb) if aux == "does" else verb
            return " ".join([head, subj, verb, *words[n + 1 :]])
    return None


def _merge(a: str, b: str) -> str | None:
    """"Person A has 3 X." + "She ..." -> "Person A, who has 3 X, ..."."""
    m = re.match(r"^((?:Person|Student|Shopper|Worker|Friend|Customer) [A-F]) ([a-z][^,;]*)\.$", a)
    n = re.match(r"^(?:She|He|They) (.+)$", b)
    if not m or not n:
        return None
    return f"{m.group(1)}, who {m.group(2)}, {n.group(1)}"


def _split(sent: str) -> list[str]:
    parts = re.split(r", and (?=(?:she|he|they|it|then|Person|Student|Shopper|Worker|Friend|Customer)\b)", sent)
    out = []
    for k, p in enumerate(parts):
        p = p.strip()
        p = p[:1].upper() + p[1:]
        out.append(p if p.endswith((".", "!", "?")) else p + ".")
    return out if len(parts) > 1 else [sent]


def rewrite(q: str, rng: random.Random) -> str:
    """One style-8 rewrite of problem ``q`` (see module docstring)."""
    s = _things(_numbers(_people(q, q, rng), rng), rng)
    sents = [x for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
    question = sents.pop() if len(sents) > 1 and sents[-1].endswith("?") else None
    head = _cloze(question) if question else None
    if rng.random() < 0.5:  # worksheet: the task first, the facts as a numbered list
        facts = [p for x in sents for p in _split(x)]
        task = f"Find {head}." if head else f"Find the answer to this: {question}" if question else "Find the answer."
        return task + "\nGiven:\n" + "\n".join(f"{k + 1}. {f}" for k, f in enumerate(facts))
    if len(sents) >= 2:
        merged = _merge(sents[0], sents[1])
        if merged:
            sents = [merged, *sents[2:]]
    if sents:
        first = sents[0].split(" ", 1)[0]
        low = first.lower() if first in NOT_NAMES and first != "I" else first  # "She has" -> "..., she has"
        sents[0] = rng.choice(OPENERS) + low + sents[0][len(first):]
    if head:
        tail = rng.choice(["{H} is ____.", "Fill in the blank: {h} = ____.", "What we want is {h}."])
        end = tail.format(H=head[:1].upper() + head[1:], h=head)
    else:
        end = f"Question for you: {question}" if question else ""
    return " ".join([*sents, end]).strip()
