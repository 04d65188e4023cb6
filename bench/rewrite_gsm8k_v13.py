"""A thirteenth rewrite style for GSM8K problems, written on 2026-12-04 (session 21) without seeing the matcher
(nothing under curation/ read or imported, no decontamination bench, calibration, judge or clean-FP script and no
``factory decontam`` run, no results or flag labels read), and never used for calibration or for reading misses: a
held-out check. Of styles 1-12 and the noise style only the module docstrings were read, to stay clear of them.

It models disguises that styles 1-12 cover little: a machine-translation round trip, an algebraic restatement,
a decomposition into sub-questions, a change of perspective, a hedged or rule-like framing, quantities said
another way, and sentences fused or split in new ways. The problem stays the same problem: every fact is kept,
the quantities keep their roles and the solution steps are the same; the only value change is money scaled by one
factor throughout (so every relation holds). Each problem gets at most one frame (3, 4 or 5) and a random subset
of the others; a problem with fewer than three kinds changing it is redone with more of them switched on:

1. machine-translation round trip: possessives turned around ("Janet's ducks lay" -> "the ducks of Janet lay"),
   "the"/"a" dropped here and there, literal idioms ("lay eggs" -> "put eggs", "is 8 years old" -> "has 8
   years", "decides to" -> "takes the decision to", "earns" -> "wins", "every day" -> "all the days"),
   preposition swaps ("at the store" -> "in the store", "per hour" -> "by hour", "on Monday" -> "the
   Monday"), word order ("He also buys" -> "He buys also", "walks 3 miles every day" -> "walks every day 3
   miles", "There are 30 kids in the class." -> "In the class there are 30 kids."), question forms ("How
   many" -> "What quantity of" / "How much of", "What is" -> "Which is", "does Janet have" -> "has Janet",
   "How much does it cost" -> "How much costs it", "How long" -> "How much time");
2. algebraic restatement: numbers in the facts named by letters ("... lay e eggs per day, with e = 16."),
   relations between two named people restated as equations ("In symbols: Thomas's hot dogs = 3 x Luke's
   hot dogs."), the unknown made a variable ("Let x be the number of apples Janet has. Find x.");
3. decomposition: the facts, then numbered sub-questions: the given values listed, one to three real
   intermediate steps chosen from the problem's shape (a person's count fixed by a relation, the parts of a
   total, what is taken away, costs and income for a profit, the base of a percentage, the rate for one
   unit), and the original question last;
4. perspective: the facts as a report in the third person plural ("The records show that ...", "They note
   also that ..."), as a dialogue where one speaker states the facts and the other asks the question (plain
   or with European dashes), or told by a neighbour or colleague of the main person ("I am Janet's neighbour.
   Here is what I know: ...");
5. hedged framing: "Imagine that ...", "Let us suppose that ...", "In this imagined case, ...?", "In the
   hypothetical case that ...", and "Rule: every box holds 12 pens." for a fact that starts with
   Each/Every/A/An;
6. quantities re-expressed: "twice as many" -> "two times as many", "3 times as many" -> "thrice as many" /
   "3-fold as many", "half of the" -> "50 percent of the", "25%" -> "25 percent" / "25 hundredths of",
   "is 5 more than" -> "is greater by 5 than", "5 years older than" -> "older by 5 years than", "20 more
   apples than Tom." -> "a number of apples exceeding Tom's by 20.", "costs $4 each" -> "has a unit price of
   $4", "12 eggs" -> "a dozen eggs", "20 pens" -> "a score of pens", "2 socks" -> "a pair of socks", and all
   money scaled by one factor (x2..x10) when every amount is written "$N" or "N dollars" and no coins or bills
   appear;
7. sentence fusion and fission: participial phrases ("Tom bought 3 apples. He ..." -> "Having bought 3
   apples, Tom ..."; "After she sold X, she ..." -> "Having sold X, she ..."), appositives ("Anna is a
   baker. She ..." -> "Anna, a baker, ..."; "Tom has 3 dogs. He ..." -> "Tom, owner of 3 dogs, ..."), a
   relative clause split off ("Janet has ducks that lay 16 eggs." -> "Janet has ducks. These lay 16
   eggs."), and a compound predicate split ("She eats 3 and bakes 4." -> "She eats 3. Besides, she also
   bakes 4.").

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v13 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(0)))
    Picture a situation where Janet, owner of n apples, bought 2 more for $5, with n = 3. In this imagined case, find the value of x, where x = the number of apples Janet has.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal, InvalidOperation


# ----------------------------------------------------------------------------------------------- word lists
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CAP_STOP = _words("""The A An If He She They It In On At After Before When Each Every How What There This That Then His
Her Their One Two Three Four Five Six Seven Eight Nine Ten For Of To But And So Since While Last Next During Some All
Half Its We I You My Our Your Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February
March April May June July August September October November December Christmas Halloween Thanksgiving Easter Find
Calculate Determine Also Meanwhile Today Yesterday Tomorrow Both Over Out From With Together Later First Second Third
Finally Assuming Given Suppose Let Which Who Where Why Is Are Was Were Do Does Did Can Could Will Would Should
Meanwhile However Because Although Though Once Now Another Most Many Much Any No Not""")
LOWER_OK = _words("""The A An She He They It There Each Every In On At After Before If When His Her Their This That These
Those One Two Three Four Five Six Seven Eight Nine Ten Half Some All Then Last Next During While Since Once Because
Although Its Our Your My Both Another Most Many Much Also For From With Today Yesterday Tomorrow How What Which Find
Let Call Unknown Determine Calculate Compute Given Assuming Suppose Having Besides Rule""")
UNITS = _words("""hours hour minutes minute seconds second days day weeks week months month years year miles mile feet
foot inches inch meters meter kilometers kilometer pounds pound ounces ounce gallons gallon liters liter cups cup
dollars dollar cents cent percent times degrees degree yards yard grams gram kilograms kilogram quarts quart pints
pint hundredths hundred thousand million billion dozen more less fewer of per am pm a.m. p.m. and or to in on at for""")
FUNCTION = _words("""a an the and or but if then than so as of to in on at by for with from into about over under after
before during while until since each every all some any no not more less fewer most least times per is are was were be
been am has have had do does did can could will would shall should may might must he she it they we you i me him her
us them his its their our your my this that these those there here up down out off also only just very too same other
another such both either more""")
VERBS = _words("""bakes buys sells eats gives spends makes earns pays uses gets takes walks runs drives reads writes plants
picks collects saves puts keeps feeds adds fills needs wants works charges receives rides swims finds loses shares
orders cooks packs brings sends throws catches bought sold ate gave spent made earned paid used got took walked ran
drove wrote planted picked collected saved kept fed added filled needed wanted worked charged received rode swam found
lost shared ordered cooked packed brought sent threw caught baked donates donated decides decided plays played
watches watched lays laid grows grew sleeps slept""")
PARTICIPLE = {"bought": "bought", "buys": "bought", "sold": "sold", "sells": "sold", "spent": "spent",
              "spends": "spent", "paid": "paid", "pays": "paid", "earned": "earned", "earns": "earned",
              "picked": "picked", "picks": "picked", "collected": "collected", "collects": "collected",
              "baked": "baked", "bakes": "baked", "ate": "eaten", "eats": "eaten", "gave": "given", "gives": "given",
              "ordered": "ordered", "orders": "ordered", "planted": "planted", "plants": "planted",
              "saved": "saved", "saves": "saved", "received": "received", "receives": "received",
              "drove": "driven", "drives": "driven", "walked": "walked", "walks": "walked", "ran": "run",
              "read": "read", "wrote": "written", "writes": "written", "cooked": "cooked", "cooks": "cooked",
              "donated": "donated", "donates": "donated", "worked": "worked", "works": "worked",
              "made": "made", "makes": "made", "found": "found", "finds": "found", "rented": "rented",
              "rents": "rented", "borrowed": "borrowed", "borrows": "borrowed", "filled": "filled",
              "fills": "filled", "packed": "packed", "packs": "packed", "caught": "caught", "catches": "caught"}
PAST = {"have": "had", "buy": "bought", "sell": "sold", "spend": "spent", "pay": "paid", "make": "made",
        "eat": "ate", "give": "gave", "get": "got", "take": "took", "run": "ran", "drive": "drove", "read": "read",
        "write": "wrote", "find": "found", "lose": "lost", "bring": "brought", "send": "sent", "catch": "caught",
        "keep": "kept", "feed": "fed", "ride": "rode", "swim": "swam", "grow": "grew", "sleep": "slept",
        "throw": "threw", "put": "put", "win": "won", "go": "went", "see": "saw", "do": "did", "leave": "left",
        "sit": "sat", "teach": "taught", "think": "thought", "cut": "cut", "hit": "hit", "build": "built"}
NOT_THE = _words("""same rest other others first second third fourth fifth last next end following remainder total
number amount most least cheapest largest smallest biggest oldest youngest only original whole entire new former
latter beginning""")
NOT_A = _words("""day week month year hour minute second few lot total half third quarter fifth dozen pair time piece
bit number couple while score hundred thousand million""")
RELATIONS = ["neighbour", "colleague", "cousin", "classmate", "old friend"]
SPEAKERS = ["Marta", "Jonas", "Ines", "Pavel", "Lucia", "Sven", "Ada", "Ilya", "Rosa", "Timo"]
GROUPS = [("The records show that", "They show also that"), ("The neighbours say that", "They say also that"),
          ("The notes of the day tell that", "They tell also that"),
          ("The people who were there report that", "They report also that")]
DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mondays|Tuesdays|Wednesdays|Thursdays|Fridays|Saturdays|Sundays"
PLACES = "store|market|mall|park|zoo|shop|bakery|library|beach|fair|farm|restaurant|school|office|gym|cafe|supermarket"
PRONOUN = r"(?:She|He|They)"
NAME = r"(?:[A-Z][a-z]+)"


# ----------------------------------------------------------------------------------------------- helpers
def _split(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u2018", "'")).strip()
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z$\d\"'(])", text)
    out: list[str] = []
    for p in parts:
        if out and re.search(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|vs|a\.m|p\.m)\.$", out[-1]) and not out[-1].endswith(("a.m.", "p.m.")):
            out[-1] += " " + p
        else:
            out.append(p)
    return [p for p in out if p]


def _low(s: str) -> str:
    """Lower the first letter when the first word is a function word (never a name)."""
    m = re.match(r"([A-Z][a-z]*)\b", s)
    if m and m.group(1) in LOWER_OK:
        return s[0].lower() + s[1:]
    return s


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _names(text: str) -> list[str]:
    found: list[str] = []
    for m in re.finditer(r"(?<![.?!] )(?<!^)\b([A-Z][a-z]{2,})\b", text):
        w = m.group(1)
        if w not in CAP_STOP and w not in found:
            found.append(w)
    for m in re.finditer(r"(?:^|[.?!] )([A-Z][a-z]{2,})(?='s| [a-z])", text):
        w = m.group(1)
        if w not in CAP_STOP and w not in found and re.search(r"\b" + w + r"\b", text[m.end():]):
            found.append(w)
    return found


class Problem:
    def __init__(self, question: str):
        sents = _split(question)
        qi = max((i for i, s in enumerate(sents) if s.endswith("?")), default=len(sents) - 1)
        self.facts = sents[:qi] + sents[qi + 1:]
        self.question = sents[qi] if sents else question
        if qi < len(sents) - 1:  # question in the middle: keep order by folding later sentences into the question
            self.facts = sents[:qi]
            self.question = " ".join(sents[qi:])

    def text(self) -> str:
        return " ".join(self.facts + [self.question])


# ----------------------------------------------------------------------------------------------- 6. quantities
MONEY = re.compile(r"\$ ?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?|(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?= dollars?\b)")


def _fmt_money(v: Decimal, commas: bool, decs: int) -> str:
    if decs:
        s = f"{v:.{decs}f}"
    else:
        s = str(int(v)) if v == v.to_integral_value() else f"{v.normalize():f}"
    if commas or (decs == 0 and v >= 10000):
        whole, _, frac = s.partition(".")
        whole = f"{int(whole):,}"
        s = whole + ("." + frac if frac else "")
    return s


def money_ok(text: str) -> bool:
    if not MONEY.search(text):
        return False
    if re.search(r"\b(?:cents?|penn(?:y|ies)|nickels?|dimes?|quarters?|bills?|coins?|change|back)\b", text, re.IGNORECASE):
        return False
    if re.search(r"\$(?!\s?\d)", text):
        return False
    for m in re.finditer(r"\bdollars?\b", text):
        before = text[:m.start()].rstrip()
        if not re.search(r"(?:\d|\bin|\bmany|\bof|\bmillion|\bthousand|\bbillion)$", before):
            return False
    return True


def scale_money(text: str, k: int) -> str:
    def sub(m: re.Match) -> str:
        whole = m.group(1) or m.group(3)
        frac = m.group(2) if m.group(1) else m.group(4)
        frac = frac or ""
        try:
            v = Decimal(whole.replace(",", "") + frac) * k
        except InvalidOperation:
            return m.group(0)
        s = _fmt_money(v, "," in whole, len(frac) - 1 if frac else 0)
        return ("$" + s) if m.group(1) else s
    return MONEY.sub(sub, text)


def quantities(p: Problem, rng: random.Random) -> None:
    t = p.text()
    k = rng.choice([2, 3, 4, 5, 10]) if money_ok(t) and rng.random() < 0.6 else 1
    times = rng.choice(["two times as", "two-fold as"])
    hund = rng.random() < 0.35
    word_nums = rng.random() < 0.6

    def one(s: str, is_q: bool) -> str:
        if k != 1:
            s = scale_money(s, k)
        s = re.sub(r"\btwice as (many|much|long|far|fast|old|big|heavy|tall|often|large)\b", times + r" \1", s)
        s = re.sub(r"(?<![/.\d])\b(three|3) times as (many|much|long|far|fast|old|big|heavy|tall|large)\b",
                   lambda m: ("thrice as " if rng.random() < 0.5 else "3-fold as ") + m.group(2), s)
        s = re.sub(r"(?<![/.\d])\b(four|five|six|ten|[4-9]|10) times as (many|much|long|far|fast|old|big|heavy|large)\b",
                   r"\1-fold as \2", s)
        s = re.sub(r"\bhalf as (many|much|long|far|fast|big|heavy|tall)\b", r"50 percent as \1", s)
        s = re.sub(r"\b([Hh])alf of (the|his|her|their|its|all)\b",
                   lambda m: ("F" if m.group(1) == "H" else "f") + "ifty percent of " + m.group(2), s)
        s = re.sub(r"\b(?<!\.)(\d+)% of\b", lambda m: m.group(1) + (" hundredths of" if hund and m.group(1) != "1"
                                                                   else " percent of"), s)
        s = re.sub(r"\b(?<!\.)(\d+(?:\.\d+)?)%", r"\1 percent", s)
        s = re.sub(r"\b(is|was|are|were) (\d+) more than\b", r"\1 greater by \2 than", s)
        s = re.sub(r"\b(is|was|are|were) (\d+) (less|fewer) than\b", r"\1 smaller by \2 than", s)
        s = re.sub(r"\b(\d+) (years?|inches|feet|pounds|minutes) (older|younger|taller|shorter|heavier|lighter|longer)"
                   r" than\b", r"\3 by \1 \2 than", s)
        s = re.sub(r"\b(\d+) more ([a-z]+) than (" + NAME + r")(?=[.,?]| and\b)",
                   lambda m: m.group(0) if m.group(3) in CAP_STOP else
                   f"a number of {m.group(2)} exceeding {m.group(3)}'s by {m.group(1)}", s)
        s = re.sub(r"\b(\d+) fewer ([a-z]+) than (" + NAME + r")(?=[.,?]| and\b)",
                   lambda m: m.group(0) if m.group(3) in CAP_STOP else
                   f"a number of {m.group(2)} that falls short of {m.group(3)}'s by {m.group(1)}", s)
        s = re.sub(r"\b(costs?) (\$[\d,.]*\d) each\b", lambda m: ("has" if m.group(1) == "costs" else "have")
                   + " a unit price of " + m.group(2), s)
        s = re.sub(r"\bfor (\$[\d,.]*\d) each\b", r"at a unit price of \1", s)
        s = re.sub(r"(\$[\d,.]*\d) (each|apiece)\b", r"\1 per piece", s)
        if word_nums and not is_q:
            def wn(m: re.Match) -> str:
                n, noun = m.group(1), m.group(2)
                if noun in UNITS or noun in FUNCTION or not noun.endswith("s"):
                    return m.group(0)
                return {"12": "a dozen ", "20": "a score of ", "2": "a pair of "}[n] + noun
            s = re.sub(r"(?<![\d$.,:/-])\b(12|20|2) ([a-z]+)\b(?![-'])", wn, s)
            s = re.sub(r"\ba dozen (?=[a-z])(?!of\b)", "12 ", s) if "dozen" not in p.question else s
        return s

    p.facts = [one(s, False) for s in p.facts]
    p.question = one(p.question, True)


# ----------------------------------------------------------------------------------------------- 7. fusion / fission
def fuse(p: Problem, rng: random.Random) -> None:
    facts = list(p.facts)
    out: list[str] = []
    i = 0
    while i < len(facts):
        s = facts[i]
        nxt = facts[i + 1] if i + 1 < len(facts) else (p.question if i + 1 == len(facts) else "")
        m2 = re.match(r"(" + PRONOUN + r") (.+)$", nxt)
        done = False
        if m2 and rng.random() < 0.8:
            m1 = re.match(r"(" + NAME + r"|She|He|They) ([a-z]+) ([^,;]+)\.$", s)
            if m1 and m1.group(2) in PARTICIPLE and " and " not in m1.group(3) and " but " not in m1.group(3) and (
                    m1.group(1) not in CAP_STOP or m1.group(1) in ("She", "He", "They")):
                subj = m1.group(1) if m1.group(1) not in ("She", "He", "They") else m1.group(1).lower()
                merged = f"Having {PARTICIPLE[m1.group(2)]} {m1.group(3)}, {subj} {m2.group(2)}"
                done = True
            m1 = None if done else re.match(r"(" + NAME + r") (?:is|was) (an?|the) ([a-z][a-z ]{2,30})\.$", s)
            if m1 and m1.group(1) not in CAP_STOP and not re.search(r"\d", s):
                merged = f"{m1.group(1)}, {m1.group(2)} {m1.group(3)}, {m2.group(2)}"
                done = True
            m1 = None if done else re.match(r"(" + NAME + r") (?:has|owns) (\d[\d,]* [a-z]+(?: [a-z]+)?)\.$", s)
            if m1 and m1.group(1) not in CAP_STOP:
                merged = f"{m1.group(1)}, owner of {m1.group(2)}, {m2.group(2)}"
                done = True
        if done:
            if i + 1 == len(facts):
                p.question = merged
                p.facts = out
                return
            out.append(merged)
            i += 2
            continue
        m = re.match(r"After (she|he|they|" + NAME + r") ([a-z]+) ([^,]+), (she|he|they|" + NAME + r") (.+)$", s)
        if m and m.group(2) in PARTICIPLE and m.group(1).lower() == m.group(4).lower():
            s = f"Having {PARTICIPLE[m.group(2)]} {m.group(3)}, {m.group(4)} {m.group(5)}"
        m = re.match(r"^(.*\b(?:has|have|had|owns|own|bought|buys|keeps|keep|sells|raises|grows) [^.,]*?\b[a-z]+s) "
                     r"(?:that|which) ([a-z]+ [^.]*)\.$", s)
        if m and not re.search(r"\b(?:is|are|was|were|has|does|says|thinks|knows)$", m.group(1)) and rng.random() < 0.8:
            s = f"{m.group(1)}. These {m.group(2)}."
        m = re.match(r"^(" + NAME + r"|She|He|They) ([a-z]+) ([^.]*?) and ([a-z]+) ([^.]*)\.$", s)
        if m and m.group(2) in VERBS and m.group(4) in VERBS and "," not in m.group(3) and rng.random() < 0.8:
            subj = m.group(1)
            s2 = subj.lower() if subj in ("She", "He", "They") else subj
            s = f"{subj} {m.group(2)} {m.group(3)}. Besides, {s2} also {m.group(4)} {m.group(5)}."
        elif ", and " in s and rng.random() < 0.7:
            s = re.sub(r", and (she|he|they|" + NAME + r") ", lambda mm: ". Next to this, " + mm.group(1) + " ", s, count=1)
        out.append(s)
        i += 1
    p.facts = out


# ----------------------------------------------------------------------------------------------- 2. algebra
def _third(verb: str) -> str:
    if verb == "have":
        return "has"
    if re.search(r"(?:s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"


SUBJ = r"(she|he|they|it|we|you|I|[A-Z][a-z]+(?:'s [a-z]+)?|(?:the|his|her|their) [a-z]+)"


def question_np(q: str) -> str | None:
    """'How many apples does Janet have?' -> 'the number of apples Janet has' (None when unclear)."""
    m = re.match(r"^(How many|How much) ([a-z ]*?) ?(does|do|did) " + SUBJ + r" ([a-z]+)\b([^?]*)\?$", q)
    if m:
        wh, obj, aux, subj, verb, rest = m.groups()
        if subj in CAP_STOP and subj not in ("I",):
            return None
        if aux == "does":
            verb = _third(verb)
        elif aux == "did":
            if verb not in PAST and not verb.endswith("e"):
                return None
            verb = PAST.get(verb, verb + "d")
        if wh == "How many":
            head = f"the number of {obj}" if obj else None
        else:
            head = ("the amount " + obj) if obj.startswith("in ") else (f"the amount of {obj}" if obj else "how much")
        if not head:
            return None
        return f"{head} {subj} {verb}{rest}".replace("  ", " ")
    m = re.match(r"^What (?:is|was|will be) (the [^?]+)\?$", q)
    if m:
        return m.group(1)
    return None


def algebra(p: Problem, rng: random.Random) -> None:
    used: set[str] = {"a", "i", "o", "x", "l"}
    pool = list("nmkqrtuvwyzbcdfghjp")
    budget = rng.choice([2, 3, 4])

    def letter(noun: str) -> str:
        c = noun[:1].lower()
        if c.isalpha() and c not in used:
            used.add(c)
            return c
        for c in pool:
            if c not in used:
                used.add(c)
                return c
        return ""

    new = []
    for s in p.facts:
        defs: list[str] = []
        eqs: list[str] = []
        m = re.search(r"\b(" + NAME + r") [a-z]+ (twice|\w+ times|[\w-]+-fold|thrice) as many ([a-z]+(?: [a-z]+)?) as "
                      r"(" + NAME + r")\b", s)
        if m and m.group(1) not in CAP_STOP and m.group(4) not in CAP_STOP:
            f = {"twice": "2", "thrice": "3"}.get(m.group(2), m.group(2).replace(" times", "").replace("-fold", ""))
            eqs.append(f"In symbols: {m.group(1)}'s {m.group(3)} = {f} x {m.group(4)}'s {m.group(3)}.")
        m = re.search(r"\b(" + NAME + r") [a-z]+ (\d+) (more|fewer|less) ([a-z]+) than (" + NAME + r")\b", s)
        if m and m.group(1) not in CAP_STOP and m.group(5) not in CAP_STOP:
            op = "+" if m.group(3) == "more" else "-"
            eqs.append(f"In symbols: {m.group(1)}'s {m.group(4)} = {m.group(5)}'s {m.group(4)} {op} {m.group(2)}.")

        def sub(mm: re.Match, defs: list[str] = defs) -> str:
            nonlocal budget
            dollar, num, noun = mm.group(1), mm.group(2), mm.group(3)
            if budget <= 0 or (not dollar and (noun in FUNCTION or noun.startswith(("a.m", "p.m", "am", "pm")))):
                return mm.group(0)
            if re.fullmatch(r"(?:19|20)\d\d|0|1", num) or rng.random() < 0.25:
                return mm.group(0)
            v = letter("p" if dollar else noun)
            if not v:
                return mm.group(0)
            budget -= 1
            defs.append(f"{v} = {num}")
            return f"{dollar}{v} {noun}"
        if not s.endswith(".") or re.search(r"\d:\d|\d/\d", s):
            new.append(s)
            new.extend(eqs)
            continue
        s2 = s[:1] + re.sub(r"(?<![\w.,:/$])(\$?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?![\d,]) ([a-z][a-z.]*)", sub, s[1:])
        if defs:
            s2 = s2[:-1] + ", with " + (" and ".join(defs) if len(defs) < 3 else ", ".join(defs[:-1]) + " and " + defs[-1]) + "."
        new.append(s2)
        new.extend(eqs)
    p.facts = new
    np_ = question_np(p.question)
    if np_:
        p.question = rng.choice([f"Let x be {np_}. Find x.", f"Find the value of x, where x = {np_}.",
                                 f"Unknown: x, {np_}. Determine x."])
    else:
        p.question = rng.choice([f"Call the answer x. {p.question} Find x.",
                                 f"Let x stand for the answer to this: {p.question}"])


# ----------------------------------------------------------------------------------------------- 1. MT round trip
def mt(p: Problem, rng: random.Random) -> None:
    on = {k: rng.random() < 0.55 for k in ("poss", "qform", "inv", "drop", "add", "prep", "lex", "order")}
    if sum(on.values()) < 3:
        for k in rng.sample(sorted(on), 3):
            on[k] = True
    qword = rng.choice(["What quantity of", "How much of", "What number of"])
    follow = (r"(?= (?:is|are|was|were|has|have|had|will|can|costs?|weighs?|lays?|and|in|on|for|at|to|with|from|"
              r"by|of|" + "|".join(sorted(VERBS)) + r")\b|[.,?;])")

    def poss(s: str) -> str:
        def f(m: re.Match) -> str:
            name, noun = m.group(1), m.group(2)
            if name in CAP_STOP or noun in FUNCTION or noun in NOT_THE:
                return m.group(0)
            if re.search(r"\b(?:the|a|an|his|her|their|its|our|my|your)\s+$", m.string[:m.start()], re.IGNORECASE):
                return m.group(0)
            return f"the {noun} of {name}"
        s = re.sub(r"\b(" + NAME + r")'s ([a-z]+)\b" + follow, f, s)
        return _cap(s)

    def drop(s: str) -> str:
        def f(m: re.Match) -> str:
            art, nxt = m.group(1), m.group(2)
            if rng.random() > 0.4:
                return m.group(0)
            if art.lower() == "the" and nxt in NOT_THE:
                return m.group(0)
            if art.lower() in ("a", "an") and (nxt in NOT_A or nxt in FUNCTION):
                return m.group(0)
            return nxt
        return re.sub(r"(?<=[a-z,] )\b(the|a|an) ([a-z]+)\b", f, s)

    def add(s: str) -> str:
        s = re.sub(r"\b(spends|spent|saves|saved|earns|earned|has|had|needs|needed) money\b", r"\1 the money", s)
        s = re.sub(r"\bevery day\b", "all the days", s)
        s = re.sub(r"\bat home\b", "in the house", s)
        s = re.sub(r"\bat night\b", "in the night", s)
        s = re.sub(r"\b(in total|altogether)\b", "in the total", s)
        s = re.sub(r"\bhalf an hour\b", "a half hour", s)
        return s

    def prep(s: str) -> str:
        s = re.sub(r"\bon (" + DAYS + r")\b", r"the \1", s)
        s = re.sub(r"\bat the (" + PLACES + r")\b", r"in the \1", s)
        s = re.sub(r"\bper (hour|day|week|month|year)\b", r"by \1", s)
        s = re.sub(r"\bfor breakfast\b", "to the breakfast", s)
        s = re.sub(r"\bfor lunch\b", "to the lunch", s)
        s = re.sub(r"\bfor dinner\b", "to the dinner", s)
        s = re.sub(r"\bin the (morning|afternoon|evening)\b", r"at the \1", s)
        return s

    def lex(s: str) -> str:
        s = re.sub(r"\blay (\d)", r"put \1", s)
        s = re.sub(r"\blays (\d)", r"puts \1", s)
        s = re.sub(r"\b(is|was) (\d+) years old\b", lambda m: ("has " if m.group(1) == "is" else "had ") + m.group(2)
                   + " years", s)
        s = re.sub(r"\byears old\b", "years of age", s)
        s = re.sub(r"\bdecides to\b", "takes the decision to", s)
        s = re.sub(r"\bdecided to\b", "took the decision to", s)
        s = re.sub(r"\bwants to\b", "has the wish to", s)
        s = re.sub(r"\bwanted to\b", "had the wish to", s)
        s = re.sub(r"\bearns\b", "wins", s)
        s = re.sub(r"\bearned\b", "won", s)
        s = re.sub(r"\bmakes (\$)", r"gains \1", s)
        s = re.sub(r"\ba lot of\b", "much of", s)
        s = re.sub(r"\bremainder\b", "rest", s)
        s = re.sub(r"\b(have|has|had) left\?", r"\1 remaining?", s)
        return s

    def order(s: str) -> str:
        s = re.sub(r"\b(She|He|They|[A-Z][a-z]+|she|he|they) also ([a-z]+s|[a-z]+ed|bought|sold|made|spent|ate|gave)\b",
                   r"\1 \2 also", s)
        s = re.sub(r"\b([a-z]+s) (\d[\d,]* [a-z]+) (every|each) (day|week|month|year|morning|night|hour)\b([.,])",
                   r"\1 \3 \4 \2\5", s)
        m = re.match(r"^There (are|were|is|was) ([^,]+?) (in|on|at) (the [a-z ]+|[A-Z][a-z]+'s [a-z ]+)\.$", s)
        if m and not re.search(r"\d", m.group(4)):
            s = f"{_cap(m.group(3))} {m.group(4)} there {m.group(1)} {m.group(2)}."
        return s

    def qform(s: str) -> str:
        def hm(m: re.Match) -> str:
            w, nxt = m.group(1), m.group(2)
            if nxt in ("more", "fewer", "times", "of", "less"):
                return m.group(0)
            rep = qword if w == "H" else qword[0].lower() + qword[1:]
            return f"{rep} {nxt}"
        s = re.sub(r"\b([Hh])ow many ([a-z]+)\b", hm, s)
        s = re.sub(r"\b([Hh])ow many more ([a-z]+)\b", r"\1ow many \2 more", s)
        s = re.sub(r"\bHow much money\b", "What quantity of money", s)
        s = re.sub(r"\bHow much does (it|" + NAME + r"|the [a-z]+) cost\b", r"How much costs \1", s)
        s = re.sub(r"\bHow long\b", "How much time", s)
        s = re.sub(r"\bWhat is\b", "Which is", s)
        s = re.sub(r"\bwhat is\b", "which is", s)
        return s

    def inv(s: str) -> str:
        s = re.sub(r"\b(does|do|did) " + SUBJ + r" have\b",
                   lambda m: {"does": "has", "do": "have", "did": "had"}[m.group(1)] + " " + m.group(2), s)
        return s

    steps = [("lex", lex), ("order", order), ("prep", prep), ("add", add), ("poss", poss), ("drop", drop)]
    facts = []
    for s in p.facts:
        for k, fn in steps:
            if on[k]:
                s = fn(s)
        facts.append(s)
    p.facts = facts
    q = p.question
    for k, fn in [("lex", lex), ("prep", prep), ("qform", qform), ("inv", inv), ("poss", poss)]:
        if on[k]:
            q = fn(q)
    p.question = q


# ----------------------------------------------------------------------------------------------- frames (3, 4, 5)
def _given_values(facts: list[str]) -> list[str]:
    vals = []
    for s in facts:
        for m in re.finditer(r"(?<![\w.,:/])(\$?\d[\d,]*(?:\.\d+)?(?: percent| hundredths)?(?: [a-z]+(?: (?:per|by|each|"
                             r"every|a) [a-z]+)?)?)", s):
            v = m.group(1).rstrip(",. ")
            while " " in v and v.rsplit(" ", 1)[1] in FUNCTION:
                v = v.rsplit(" ", 1)[0]
                v = v.rstrip(",. ")
            if v and v not in vals:
                vals.append(v)
    for m in re.finditer(r"\b(a dozen|a score of|a pair of|twice|half|double|triple|thrice)\b", " ".join(facts)):
        if m.group(1) not in vals:
            vals.append(m.group(1))
    return vals[:8]


def decompose(p: Problem, rng: random.Random) -> str:
    facts = " ".join(p.facts)
    low = (facts + " " + p.question).lower()
    subs: list[str] = []
    vals = _given_values(p.facts)
    if vals:
        subs.append("Which values are given? (" + ", ".join(vals) + ")")
    else:
        subs.append("Which facts does the text give?")
    mids: list[str] = []
    for m in re.finditer(r"\b(" + NAME + r") (has|had) (?:twice|thrice|\w+ times|[\w-]+-fold|\d+ more|\d+ fewer|half|"
                         r"a number of)\b[^.]*?\b(?:as many |more |fewer |of )?([a-z]+)\b(?: as| than| exceeding| that)",
                         facts):
        if m.group(1) not in CAP_STOP:
            aux = "does" if m.group(2) == "has" else "did"
            mids.append(f"How many {m.group(3)} {aux} {m.group(1)} have?")
    if re.search(r"\bprofit\b", low):
        mids.append("What is the total cost, and what is the total income?")
    if re.search(r"\b(left|remain|remaining|remainder|rest)\b", low):
        mids.append("How much is used, sold or given away before the end?")
    if re.search(r"\b(total|in all|altogether|combined|together|sum)\b", low):
        mids.append("What is each part that goes into the total?")
    if re.search(r"(percent|hundredths|%)", low):
        mids.append("Of which amount is the percentage taken, and what is that part?")
    if re.search(r"\baverage\b", low):
        mids.append("What is the sum of the values, and how many values are there?")
    if re.search(r"\b(per|each|every|by hour|by day|a unit price)\b", low) and len(mids) < 2:
        mids.append("What is the amount for one unit, and how many units are there?")
    if not mids:
        mids.append("Which quantity must be found first to answer the last question?")
    seen: list[str] = []
    for m_ in mids:
        if m_ not in seen:
            seen.append(m_)
    subs.extend(seen[:rng.choice([1, 2, 3])])
    subs.append(p.question)
    style = rng.choice(["num", "paren", "step"])
    lines = []
    for i, s in enumerate(subs, 1):
        lines.append({"num": f"{i}. {s}", "paren": f"({chr(96 + i)}) {s}", "step": f"Step {i}: {s}"}[style])
    head = rng.choice(["Answer the questions in order.", "Sub-questions:", "Solve it in parts."])
    return facts + "\n" + head + "\n" + "\n".join(lines)


def perspective(p: Problem, rng: random.Random) -> str:
    facts = p.facts
    names = _names(p.text())
    mode = rng.choice(["report", "dialogue", "dash", "witness"])
    if mode == "witness" and not names:
        mode = "report"
    if mode == "report" or not facts:
        first, more = rng.choice(GROUPS)
        out = []
        for i, s in enumerate(facts):
            body = _low(s)
            if i == 0:
                out.append(f"{first} {body}")
            elif i <= 2 and rng.random() < 0.6:
                out.append(f"{more} {body}")
            else:
                out.append(s)
        ask = rng.choice(["The question they ask is: ", "They want to know this: ", "The report asks: "])
        return " ".join(out + [ask + _low(p.question)])
    a, b = rng.sample([s for s in SPEAKERS if s not in names], 2)
    if mode == "dialogue":
        tail = rng.choice(["", " Can you help?", " What do you think?"])
        return f"{a}: {' '.join(facts)}{tail}\n{b}: {p.question}"
    if mode == "dash":
        return (f"\u2014 {' '.join(facts)} \u2014 explains {a}.\n\u2014 {rng.choice(['Good. ', 'I see. ', ''])}"
                f"{p.question} \u2014 asks {b}.")
    name = names[0]
    rel = rng.choice(RELATIONS)
    intro = rng.choice([f"I am the {rel} of {name}. Here is what I know:", f"My {rel} {name} told me about this.",
                        f"I know {name} well; I am {name}'s {rel}."])
    return " ".join([intro] + facts + [rng.choice(["My question is: ", "So I ask: ", ""]) + p.question])


def hedge(p: Problem, rng: random.Random) -> str:
    facts = list(p.facts)
    changed = False
    for i, s in enumerate(facts):
        if re.match(r"(Each|Every|An?|One) [a-z]+(?: [a-z]+)? (costs?|holds?|has|contains?|weighs?|takes?|can|is|needs?|"
                    r"sells?|gives?|makes?|lays?|uses?)\b.*\d", s):
            facts[i] = rng.choice(["Rule: ", "As a fixed rule, "]) + (_low(s) if not s.startswith("A") else "a" + s[1:])
            changed = True
    if facts and (not changed or rng.random() < 0.7):
        lead = rng.choice(["Imagine that ", "Let us suppose that ", "Picture a situation where "])
        facts[0] = lead + _low(facts[0])
    q = p.question
    m = re.match(r"^If ([^,]+), (.+)$", q)
    if m:
        q = f"In the hypothetical case that {m.group(1)}, {m.group(2)}"
    elif facts:
        q = rng.choice(["In this imagined case, ", "Under these assumptions, ", "In such a case, "]) + _low(q)
    return " ".join(facts + [q])


# ----------------------------------------------------------------------------------------------- driver
def _attempt(question: str, rng: random.Random, force: bool) -> tuple[str, int]:
    p = Problem(question)
    base = p.text()
    kinds = 0
    frame = rng.choice(["decomp", "persp", "persp", "hedge", None]) if not force else rng.choice(["decomp", "persp",
                                                                                                  "hedge"])
    on = {"quant": rng.random() < 0.7, "fuse": rng.random() < 0.6, "algebra": rng.random() < 0.35,
          "mt": rng.random() < 0.75}
    if force:
        on = {k: True for k in on}
        on["algebra"] = rng.random() < 0.5
    if frame == "decomp" and on["algebra"] and rng.random() < 0.5:
        on["algebra"] = False
    for key, fn in (("quant", quantities), ("fuse", fuse), ("algebra", algebra), ("mt", mt)):
        if not on[key]:
            continue
        before = (list(p.facts), p.question)
        try:
            fn(p, rng)
        except Exception:  # noqa: BLE001 - a failed step leaves its text as it was
            p.facts, p.question = before
        if (p.facts, p.question) != before:
            kinds += 1
    out = p.text()
    if frame:
        try:
            out = {"decomp": decompose, "persp": perspective, "hedge": hedge}[frame](p, rng)
            kinds += 1
        except Exception:  # noqa: BLE001 - a failed frame leaves the text unframed
            out = p.text()
    out = re.sub(r"[ \t]+", " ", out).strip()
    if out == re.sub(r"\s+", " ", base):
        kinds = 0
    return out, kinds


def rewrite(question: str, rng: random.Random) -> str:
    """Return a style-13 rewrite of ``question``; deterministic given ``rng``, never raises."""
    try:
        best, best_k = _attempt(question, rng, False)
        for _ in range(3):
            if best_k >= 3:
                break
            out, kinds = _attempt(question, rng, True)
            if kinds > best_k:
                best, best_k = out, kinds
        return best if best else question
    except Exception:  # noqa: BLE001 - never raise on a benchmark item
        return question
