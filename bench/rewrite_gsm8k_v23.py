"""A twenty-third rewrite style for GSM8K problems, written on 2026-12-05 (session 25) without seeing the matcher
(nothing under curation/, factory/, verifiers/, ground/, students/, teachers/ or tests/ read, listed or imported, no
repo-wide grep, no decontamination bench, calibration, judge or scoring script and no ``factory decontam`` run, no
results, notes, README, git history, diffs or flag labels read), and never used for calibration or for reading
misses: a held-out check. Of styles 1-22 and the noise style only the module docstrings (their first 60 lines) were
read, to stay clear of them.

It models the "rephrased samples" threat in its plainest real-world form: a strong instruction-tuned LLM asked to
"paraphrase this problem so it reads differently but stays the same problem" (Yang et al. 2023 measured how such
rephrasings slip past n-gram decontamination). Such a model keeps the story, the objects and the values, but rewords
most content words, rebuilds sentences and restates the question. The problem stays the same problem: every
quantity-bearing fact keeps its role and its value, the solution steps and the question are the same; numbers change
only their written form. Every kind is written with this module's own hand-made tables (built from the vocabulary
of GSM8K *train*) and grammar rules; no model is used. Each step runs inside a guard: a step that fails leaves the
text as it was, and ``rewrite`` never raises. The kinds, all applied to every problem (each rule fires where its
pattern fits, mostly with a probability), in this order:

1. sentence restructuring of the fact sentences: "There are 30 pupils in the class." -> "The class has 30
   pupils."; "Janet's ducks lay ..." -> "The ducks belonging to Janet lay ..."; a leading "For his birthday, ..." /
   "On Monday, ..." phrase moves behind its clause; simple "Tom bought 12 apples at the store." -> "12 apples were
   bought by Tom at the store." (plural objects, present or past); "Mary is 2 years younger than Joan." -> "Joan is
   2 years older than Mary." (the comparison turned around, same fact); ", and she ..." and "... and then ..."
   sentences are split in two; up to two pairs of short fact sentences are joined with ", and" or ";";
2. independent facts reordered: two adjacent fact sentences that both start with a name and carry no back-reference
   ("it", "them", "the rest", "then", "also", "more", "twice", pronouns, ...) swap places;
3. the question restated in an equivalent form: "How many X does S V ...?" becomes an embedded clause with the verb
   re-inflected ("does she make" -> "she makes", "did he buy" -> "he bought", adverbs such as "still" skipped) under
   a new frame ("What is the number of X that S V...?", "Work out how many ...", "Determine how much ..., in
   dollars."), subject questions become "What is the number of X that ...?", "How many X are there?" -> "What is the
   total number of X?", "What is the Y?" / "What is Sam's Y?" -> "Find the Y.", "How much is Sam's bill?" -> "What
   is Sam's bill?", "How long does it take" -> "How much time does it take", "How old" -> "What age", "How far" ->
   "What distance"; a leading "If ...," clause of the question often moves behind it;
4. pronouns and names trade places: with one named person and pronouns of one gender, a later sentence-initial
   "She"/"He" becomes the name and a repeated sentence-initial name becomes the pronoun;
5. people renamed consistently (one new name per person; the gender kept where a list of known names or the
   pronouns tell it, a neutral name otherwise; places, brands and nationalities are left alone);
6. dense lexical paraphrase, the same choice for a word everywhere in the problem: content verbs in every tense
   ("bakes" -> "makes" / "whips up", "buys" -> "purchases", "decides to" -> "chooses to", "lay" -> "produce"),
   nouns ("remainder" -> "rest", "store" -> "shop", "kids" -> "children", "boxes" -> "cartons"), adjectives,
   adverbs and function phrases ("every day" -> "each day", "in total" -> "altogether", "twice" -> "two times",
   "a third of" -> "one-third of", "If" -> "Assuming" / "Given that", "the first day" -> "day one"), contractions
   both ways; ambiguous noun/verb words ("runs", "plants", "has", "gets") are only swapped right after a subject
   word and, for "has"/"gets", before a quantity; "has $5 left" -> "has 5 dollars remaining", "a total of 30
   stamps." -> "30 stamps in all.", "spends $5 on" -> "pays $5 for", "$2 per egg" -> "$2 for every egg", "$15 each"
   -> "$15 apiece";
7. written form of quantities: small numbers digits -> words or number words -> digits (one direction per problem),
   "$2" -> "2 dollars", "$5 bills" -> "5-dollar bills", "25%" -> "25 percent", "a dozen" -> "twelve"; values never
   change.

    >>> import random
    >>> q = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for "
    ...      "her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh "
    ...      "duck egg. How much in dollars does she make every day at the farmers' market?")
    >>> print(rewrite(q, random.Random(4)))  # doctest: +NORMALIZE_WHITESPACE
    The ducks belonging to Fatima produce sixteen eggs a day. She consumes three for breakfast each morning and
    prepares muffins for her pals each day with four. She sells the rest at the farmers market each day for 2 dollars
    for every fresh duck egg. Work out how much she makes each day at the farmers market, in dollars.
    >>> print(rewrite("Mary is 2 years younger than Joan. Joan buys 12 apples at the store. "
    ...               "How many apples did Joan buy?", random.Random(1)))  # doctest: +NORMALIZE_WHITESPACE
    Jordan is two years older than Svetlana; Jordan picks up twelve apples at the shop. Can you figure out how many
    apples Jordan picked up?
    >>> rewrite("", random.Random(1))
    ''
    >>> rewrite(q, random.Random(3)) == rewrite(q, random.Random(3))
    True
"""

from __future__ import annotations

import random
import re

__all__ = ["rewrite"]

# --------------------------------------------------------------------------------------------------------------
# 1. lexical tables.  Keys are lower-case phrases; the replacement keeps the first letter's case.
# --------------------------------------------------------------------------------------------------------------

SAFE = {
    # verbs, present 3rd person
    "bakes": ["makes", "whips up", "prepares"],
    "buys": ["purchases", "picks up"],
    "purchases": ["buys", "picks up"],
    "earns": ["makes", "brings in", "takes home"],
    "receives": ["gets", "is given"],
    "gives": ["hands", "passes"],
    "collects": ["gathers", "accumulates"],
    "decides to": ["chooses to", "opts to", "makes up their mind to"],
    "wants to": ["would like to", "hopes to", "intends to"],
    "plans to": ["intends to", "is planning to"],
    "needs to": ["has to", "must"],
    "starts": ["begins"],
    "finishes": ["completes"],
    "saves": ["puts aside", "sets aside"],
    "owns": ["has", "possesses"],
    "weighs": ["has a weight of"],
    "costs": ["is priced at", "sells for"],
    "pays": ["hands over"],
    "gives away": ["donates"],
    "gave away": ["donated"],
    "give away": ["donate"],
    "picks up": ["collects"],
    "the remainder": ["the rest", "what is left"],
    "remainder": ["rest"],
    "remaining": ["leftover"],
    "also": ["additionally"],
    "total cost": ["overall cost", "full cost"],
    "total number": ["overall number"],
    "total amount": ["overall amount", "full amount"],
    "goes to": ["heads to"],
    "half of the": ["half the", "one-half of the"],
    "a third of": ["one-third of", "one third of"],
    "a quarter of": ["one-quarter of", "one fourth of"],
    "one third of": ["a third of"],
    "was able to": ["managed to"],
    "were able to": ["managed to"],
    "calculate": ["compute", "work out", "determine"],
    "the sum of": ["the total of"],
    "trying to": ["attempting to"],
    "the number of": ["the count of", "the number of", "the number of"],
    "equally": ["evenly"],
    "friend": ["pal", "buddy"],
    "if there are": ["given that there are", "assuming there are"],
    "if there is": ["given that there is", "assuming there is"],
    "grows": ["cultivates", "raises"],
    "produces": ["yields", "turns out"],
    "produce": ["yield"],
    "chooses": ["picks", "selects"],
    "chose": ["picked", "selected"],
    "thinks": ["believes", "figures"],
    "keeps": ["holds on to"],
    "afford": ["pay for"],
    "lays": ["produces"],
    "lay": ["produce"],
    "brings": ["carries"],
    "brought": ["carried"],
    "sends": ["mails"],
    "sent": ["mailed"],
    "returns": ["gives back"],
    "prepares": ["makes"],
    "cooks": ["prepares"],
    "invites": ["asks over"],
    "invited": ["asked over"],
    "practices": ["trains"],
    "visits": ["goes to see"],
    "ends up buying": ["winds up purchasing", "finally buys"],
    "people": ["individuals", "folks"],
    "person": ["individual"],
    "team": ["squad"],
    "teacher": ["instructor"],
    "box": ["carton"],
    "boxes": ["cartons"],
    "bag": ["sack"],
    "bags": ["sacks"],
    "phone": ["cellphone"],
    "bike": ["bicycle"],
    "bicycle": ["bike"],
    "road": ["street"],
    "party": ["celebration", "get-together"],
    "dinner": ["supper"],
    "discount": ["markdown", "price reduction"],
    "ticket": ["pass"],
    "tickets": ["passes"],
    "worth": ["valued at"],
    "fee": ["charge"],
    "average": ["mean"],
    "on average": ["on average"],
    "video games": ["video games"],
    "video game": ["video game"],
    "because": ["since", "as"],
    "instead of": ["rather than"],
    "in order to": ["to"],
    "at least": ["no less than"],
    "each day": ["every day", "per day"],
    "each week": ["every week", "weekly"],
    "every year": ["each year", "annually"],
    "per year": ["a year", "annually"],
    "a year": ["per year", "each year"],
    "last year": ["the previous year"],
    "next year": ["the following year"],
    "years old": ["years of age"],
    "at the end of": ["by the end of"],
    "does not": ["doesn't"],
    "did not": ["didn't"],
    "is not": ["isn't"],
    "cannot": ["can't"],
    "doesn't": ["does not"],
    "didn't": ["did not"],
    "isn't": ["is not"],
    "won't": ["will not"],
    "it's": ["it is"],
    "there are": ["there are"],
    "enjoy": ["love"],
    "enjoys": ["loves"],
    "likes": ["enjoys"],
    "loves": ["adores"],
    "buying": ["purchasing"],
    "tries to": ["attempts to"],
    "tried to": ["attempted to"],
    "rents": ["leases"],
    "rented": ["leased"],
    "lends": ["loans"],
    "donates": ["gives"],
    "donated": ["given", "contributed"],
    "repairs": ["fixes"],
    "cleans": ["tidies"],
    "washes": ["cleans"],
    "carries": ["hauls"],
    "stays": ["remains"],
    "stayed": ["remained"],
    "remains": ["is left"],
    "employees": ["workers", "staff members"],
    "workers": ["employees"],
    "guests": ["visitors"],
    "neighborhood": ["area", "community"],
    "farmer": ["grower"],
    "company": ["firm", "business"],
    "business": ["company"],
    "factory": ["plant"],
    "apartment": ["flat"],
    "beach": ["shore", "seaside"],
    "vegetables": ["veggies"],
    "items": ["articles"],
    "item": ["article"],
    "things": ["items"],
    "supplies": ["materials"],
    "materials": ["supplies"],
    "speed": ["pace"],
    "allowance": ["pocket money"],
    "wage": ["pay"],
    "income": ["earnings"],
    "test": ["exam"],
    "exam": ["test"],
    "goal": ["target"],
    "game": ["match"],
    "games": ["matches"],
    "favorite": ["preferred"],
    "different": ["distinct"],
    "several": ["a number of"],
    "usually": ["typically"],
    "normally": ["usually"],
    "often": ["frequently"],
    "later": ["afterward"],
    "finally": ["at last", "in the end"],
    "along with": ["together with"],
    "in addition": ["on top of that"],
    "sum of": ["total of"],
    "is making": ["is preparing"],
    "gets paid": ["is paid"],
    "got paid": ["was paid"],
    "went to": ["headed to"],
    "contains": ["holds", "has"],
    "travels": ["goes", "covers"],
    "charges": ["asks for", "bills"],
    "ordered": ["requested", "put in an order for"],
    "orders": ["requests", "puts in an order for"],
    "eats": ["consumes"],
    "reads": ["goes through"],
    "picks": ["gathers"],
    "fills": ["fills up"],
    "shares": ["splits"],
    "divides": ["splits"],
    "adds": ["puts in", "includes"],
    "finds": ["comes across", "discovers"],
    "uses": ["makes use of", "goes through"],
    "drives": ["travels by car"],
    # past tense
    "baked": ["made", "prepared"],
    "bought": ["purchased", "picked up"],
    "purchased": ["bought", "picked up"],
    "earned": ["made", "brought in"],
    "received": ["got", "was given"],
    "gave": ["handed", "passed"],
    "collected": ["gathered"],
    "decided to": ["chose to", "opted to"],
    "wanted to": ["hoped to", "wished to"],
    "planned to": ["intended to"],
    "started": ["began"],
    "finished": ["completed"],
    "saved": ["put aside", "set aside"],
    "ate": ["consumed"],
    "picked": ["gathered"],
    "found": ["discovered", "came across"],
    "traveled": ["went", "journeyed"],
    "travelled": ["went", "journeyed"],
    "owned": ["had"],
    # base forms
    "buy": ["purchase", "pick up"],
    "purchase": ["buy"],
    "earn": ["make", "bring in"],
    "receive": ["get"],
    "collect": ["gather"],
    "finish": ["complete"],
    "save": ["put aside"],
    "bake": ["make", "prepare"],
    # nouns
    "store": ["shop"],
    "shop": ["store"],
    "kids": ["children"],
    "children": ["kids", "youngsters"],
    "students": ["pupils"],
    "student": ["pupil"],
    "money": ["cash"],
    "gift": ["present"],
    "mom": ["mother"],
    "dad": ["father"],
    "mother": ["mom"],
    "father": ["dad"],
    "car": ["vehicle"],
    "trip": ["journey"],
    "journey": ["trip"],
    "price": ["cost"],
    "salary": ["pay", "wage"],
    "cost of": ["price of"],
    "amount": ["quantity"],
    "friends": ["pals", "buddies"],
    "vacation": ["holiday"],
    "road trip": ["road trip"],
    "homework": ["assignments"],
    "restaurant": ["diner", "eatery"],
    "house": ["home"],
    "customers": ["clients", "shoppers"],
    "birthday party": ["birthday celebration"],
    "grocery store": ["supermarket"],
    "farmers' market": ["farmers market", "local market"],
    "candies": ["sweets"],
    "candy": ["sweets"],
    "soda": ["soft drink", "pop"],
    "sandwiches": ["subs"],
    "puppies": ["pups"],
    "pictures": ["photos"],
    "photos": ["pictures"],
    "movie": ["film"],
    "movies": ["films"],
    # adjectives / adverbs / function phrases
    "the rest": ["the remainder", "what is left"],
    "every day": ["each day", "daily"],
    "daily": ["each day", "every day"],
    "per day": ["a day", "each day"],
    "per week": ["a week", "each week"],
    "per hour": ["an hour", "each hour"],
    "per month": ["a month", "each month"],
    "a week": ["per week", "each week"],
    "a day": ["per day", "each day"],
    "a month": ["per month", "each month"],
    "an hour": ["per hour", "every hour"],
    "every week": ["each week", "weekly"],
    "every morning": ["each morning"],
    "every month": ["each month", "monthly"],
    "in total": ["altogether", "overall", "all together"],
    "altogether": ["in total", "in all"],
    "twice as": ["two times as"],
    "twice": ["two times"],
    "and then": ["and after that", "and next"],
    "afterward": ["after that"],
    "however": ["but"],
    "currently": ["right now", "at the moment"],
    "large": ["big"],
    "big": ["large"],
    "small": ["little"],
    "fewer": ["less"],
    "quickly": ["fast"],
    "each of": ["every one of"],
    "approximately": ["about", "roughly"],
    "entire": ["whole"],
    "whole": ["entire"],
    "exactly": ["precisely"],
    "begins": ["starts"],
    "began": ["started"],
    "start": ["begin"],
    "a lot of": ["many", "plenty of"],
    "lots of": ["many", "plenty of"],
    "additional": ["extra"],
    "extra": ["additional"],
    "original": ["initial"],
    "initially": ["at first", "originally"],
    "at first": ["initially", "to begin with"],
    "in the end": ["finally", "eventually"],
    "is able to": ["can"],
    "of them": ["of these"],
    "wants": ["would like"],
    "needs": ["requires"],
    "needed": ["required"],
}

# noun/verb-ambiguous words: only replaced right after a subject (pronoun, name, "and", "also", "then")
AFTER_SUBJECT = {
    "runs": ["jogs"], "ran": ["jogged"], "walks": ["strolls"], "walked": ["strolled"],
    "drinks": ["has", "consumes"], "plants": ["puts in", "sows"], "planted": ["sowed", "put in"],
    "watches": ["views"], "watched": ["viewed"],
    "cuts": ["slices"], "works": ["puts in"], "worked": ["put in"], "has": ["owns", "has got"],
    "gets": ["receives", "obtains"],
    
    "paid": ["handed over"], "wrote": ["penned"],
    "writes": ["pens"], "jumps": ["leaps"], "swims": ["paddles"], "catches": ["hooks"], "caught": ["hooked"],
    "builds": ["constructs"], "built": ["constructed"], "fixes": ["repairs"], "fixed": ["repaired"],
    "helps": ["assists"], "helped": ["assisted"], "hires": ["employs"], "hired": ["employed"],
}

SUBJECT_WORDS = {"he", "she", "they", "it", "i", "we", "you", "and", "also", "then", "who", "which", "that"}

# --------------------------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------------------------

FEMALE = ["Priya", "Hannah", "Marisol", "Ingrid", "Chloe", "Nadia", "Beatriz", "Yuki", "Fatima", "Rosalind",
          "Camille", "Imani", "Greta", "Leila", "Odette", "Tamsin", "Ximena", "Harriet", "Mireille", "Svetlana"]
MALE = ["Tobias", "Rashid", "Mateo", "Declan", "Kenji", "Oskar", "Emeka", "Lorenzo", "Anders", "Felix",
        "Dmitri", "Ravi", "Hugo", "Callum", "Bruno", "Idris", "Joaquin", "Stellan", "Caspar", "Nikhil"]
NEUTRAL = ["Robin", "Jordan", "Kai", "Sasha", "Quinn", "Rowan", "Avery", "Emerson", "Reese", "Sage"]
KNOWN_F = set("""janet mary sarah emily jessica anna lisa susan karen nancy betty helen sandra donna carol ruth
sharon michelle laura kimberly deborah amy angela melissa brenda rebecca kathy julie maria alice rose grace emma
olivia sophia isabella mia charlotte amelia harper ella abigail ava lily zoe natalie hannah samantha rachel
jenny jane kate katie linda carla tina mandy wendy cindy suzy melanie eliza sylvie ann annie june judy lucy
nina tara vicky paula diana fiona gina heather jasmine joy kelly leah megan nora penny sally tracy ursula
valerie yolanda zara marie martha tanya tiffany stephanie claire brooke chelsea elsa marissa carmen""".split())
KNOWN_M = set("""james john robert michael william david richard joseph thomas charles christopher daniel matthew
anthony mark donald steven paul andrew joshua josh kenneth kevin brian george edward ronald timothy jason jeffrey
ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin ben samuel frank gregory raymond
alexander patrick jack dennis jerry tyler aaron jose adam henry nathan douglas zachary peter kyle walter ethan
jeremy harold keith christian roger noah gerald carl terry sean austin arthur lawrence jesse dylan bryan joe
jordan billy bruce albert willie gabriel logan alan juan wayne roy ralph randy eugene vincent russell elijah
louis bobby philip johnny tom tim bob bill mike jim tommy artie lee max leo sam luke liam oliver lucas mason
carlos marco pedro ali omar hassan ahmed ivan igor""".split())

NOT_NAMES = set("""the a an if how what when where who why which there this that these those he she it they we
you i his her its their our my your each every after before in on at for from by with on to of and but or so
then while during since until as one two three four five six seven eight nine ten monday tuesday wednesday
thursday friday saturday sunday january february march april may june july august september october november
december mr mrs ms dr christmas halloween easter thanksgiving valentine new year english math science
american canadian french spanish chinese italian mexican japanese german british us usa dollars calculate find
determine assuming given suppose let also however both all some many much most half twice today yesterday
tomorrow last next first second third fourth fifth meanwhile later now currently at instead altogether
together another any no not because over under out up down only just eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand dozen
grandma grandpa mom dad""".split())

# --------------------------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------------------------

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORD_VALUE = {w: i for i, w in enumerate(ONES)}
WORD_VALUE.update({w: 10 * i for i, w in enumerate(TENS) if w})


def _spell(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return TENS[t] + ("-" + ONES[o] if o else "")
    if n == 100:
        return "one hundred"
    raise ValueError(n)


# --------------------------------------------------------------------------------------------------------------
# verb inflection for embedded questions
# --------------------------------------------------------------------------------------------------------------

IRREG_PAST = {
    "be": "was", "have": "had", "do": "did", "go": "went", "make": "made", "buy": "bought", "get": "got",
    "give": "gave", "take": "took", "spend": "spent", "pay": "paid", "sell": "sold", "eat": "ate", "drink": "drank",
    "run": "ran", "ride": "rode", "drive": "drove", "read": "read", "write": "wrote", "see": "saw", "find": "found",
    "lose": "lost", "win": "won", "keep": "kept", "leave": "left", "put": "put", "cut": "cut", "hit": "hit",
    "bring": "brought", "think": "thought", "catch": "caught", "teach": "taught", "fly": "flew", "grow": "grew",
    "know": "knew", "throw": "threw", "swim": "swam", "sing": "sang", "begin": "began", "build": "built",
    "send": "sent", "feed": "fed", "hold": "held", "sleep": "slept", "sit": "sat", "stand": "stood",
    "come": "came", "become": "became", "say": "said", "tell": "told", "bake": "baked", "meet": "met",
    "lend": "lent", "fall": "fell", "feel": "felt", "break": "broke", "choose": "chose", "wear": "wore",
    "shop": "shopped", "stop": "stopped", "plan": "planned", "jog": "jogged", "set": "set", "let": "let",
    "bet": "bet", "cost": "cost", "hurt": "hurt", "quit": "quit", "shut": "shut", "split": "split",
    "spread": "spread", "dig": "dug", "hang": "hung", "lay": "laid", "lead": "led", "shoot": "shot",
    "steal": "stole", "stick": "stuck", "sweep": "swept", "understand": "understood", "wake": "woke",
}


VERBS = set(IRREG_PAST) | set("""need cost weigh contain hold use require earn receive collect save score travel
walk play want own charge produce lay fill call serve last measure remain survive wear smell like love need
weigh earn receive get make have cost contain hold bring carry hire rent borrow owe plant pick bake cook clean
wash work study practice score finish complete spend sell buy pay save eat drink read write run swim ride drive
fly travel visit watch see keep lose win use give take go come stay sleep""".split())


def _third(v: str) -> str:
    if v in ("have",):
        return "has"
    if v in ("do", "go"):
        return v + "es"
    if v == "be":
        return "is"
    if re.search(r"(s|sh|ch|x|z)$", v):
        return v + "es"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ies"
    return v + "s"


def _past(v: str) -> str:
    if v in IRREG_PAST:
        return IRREG_PAST[v]
    if v.endswith("e"):
        return v + "d"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ied"
    return v + "ed"


ADVS = {"still", "also", "only", "actually", "now", "really", "ever", "usually", "each", "then", "just", "all",
        "both", "currently", "typically", "normally", "now"}
PRONOUNS = {"he", "she", "it", "they", "i", "we", "you"}
DETS = {"the", "his", "her", "their", "each", "a", "an", "this", "that", "these", "those", "our", "my", "your"}


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _match_case(src: str, rep: str) -> str:
    if src[:1].isupper():
        return _cap(rep)
    return rep


# --------------------------------------------------------------------------------------------------------------
# steps
# --------------------------------------------------------------------------------------------------------------

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"A-Z$0-9])")


def _sentences(text: str) -> list[str]:
    parts = _SENT_SPLIT.split(text.strip())
    out: list[str] = []
    for p in parts:
        # glue back abbreviations such as "Mr." or "Dr."
        if out and re.search(r"\b(Mr|Mrs|Ms|Dr|St|Jr|vs)\.$", out[-1]):
            out[-1] += " " + p
        else:
            out.append(p)
    return [p for p in out if p]


def _find_names(text: str) -> list[str]:
    names: list[str] = []
    sents = _sentences(text)
    midcaps: set[str] = set()
    for s in sents:
        toks = re.findall(r"[A-Za-z][A-Za-z'\u2019-]*", s)
        for i, t in enumerate(toks):
            base = re.sub(r"['\u2019]s$", "", t)
            if i > 0 and base[:1].isupper() and base.lower() not in NOT_NAMES and base.isalpha():
                midcaps.add(base)
    for s in sents:
        toks = re.findall(r"[A-Za-z][A-Za-z'\u2019-]*", s)
        for i, t in enumerate(toks):
            base = re.sub(r"['\u2019]s$", "", t)
            if not base[:1].isupper() or not base.isalpha() or base.lower() in NOT_NAMES or len(base) < 2:
                continue
            if sum(ch.isupper() for ch in base) > 1:
                continue
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            prv = toks[i - 1] if i > 0 else ""
            known = base.lower() in KNOWN_F or base.lower() in KNOWN_M
            if not known and (prv.lower() in ("the", "a", "an", "of") or re.search(r"['\u2019]s$", prv)
                              or (nxt[:1].isupper() and i + 1 < len(toks))
                              or (i > 0 and prv[:1].isupper()) or re.search(r"(ish|ese|ian|can|ese)$", base)):
                continue
            start_name = (i == 0 and not base.endswith(("s", "ing")) and (
                t != base or (re.fullmatch(r"[a-z]+(s|ed)", nxt) and nxt not in NOT_NAMES)
                or nxt in IRREG_PAST.values() or nxt == "and"))
            if i == 0 and not known and re.search(r"\b" + base.lower() + r"\b", text):
                continue
            if i > 0 or start_name or base in midcaps or base.lower() in KNOWN_F or base.lower() in KNOWN_M:
                if base not in names:
                    names.append(base)
    return names


def _rename(text: str, rng: random.Random) -> str:
    names = _find_names(text)
    if not names:
        return text
    low = text.lower()
    has_f = bool(re.search(r"\b(she|her|hers|herself)\b", low))
    has_m = bool(re.search(r"\b(he|him|his|himself)\b", low))
    pools = {"f": FEMALE[:], "m": MALE[:], "n": NEUTRAL[:]}
    for p in pools.values():
        rng.shuffle(p)
    used = set(names)
    mapping = {}
    for nm in names:
        if nm.lower() in KNOWN_F:
            g = "f"
        elif nm.lower() in KNOWN_M:
            g = "m"
        elif len(names) == 1 and has_f and not has_m:
            g = "f"
        elif len(names) == 1 and has_m and not has_f:
            g = "m"
        else:
            g = "n"
        pool = pools[g]
        while pool and pool[-1] in used:
            pool.pop()
        if not pool:
            continue
        new = pool.pop()
        used.add(new)
        mapping[nm] = new
    if not mapping:
        return text
    pat = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(mapping, key=len, reverse=True)) + r")\b")
    return pat.sub(lambda m: mapping[m.group(1)], text)


def _pronoun_swap(text: str, rng: random.Random) -> str:
    """With one named person and pronouns of one gender, sentence-initial pronouns and repeated names trade places."""
    names = _find_names(text)
    if len(names) != 1:
        return text
    nm = names[0]
    low = text.lower()
    f = bool(re.search(r"\b(she|her)\b", low))
    mm = bool(re.search(r"\b(he|his|him)\b", low))
    if f == mm:
        return text
    pro = "She" if f else "He"
    sents = _sentences(text)
    seen = False
    out = []
    for s in sents:
        if seen and s.startswith(pro + " ") and rng.random() < 0.6:
            s = nm + s[len(pro):]
        elif seen and s.startswith(nm + " ") and rng.random() < 0.45:
            s = pro + s[len(nm):]
        if nm in s:
            seen = True
        out.append(s)
    return " ".join(out)


def _lexical(text: str, rng: random.Random, p: float = 0.93) -> str:
    keys = sorted(SAFE, key=len, reverse=True)
    pat = re.compile(r"(?<![A-Za-z'\u2019-])(" + "|".join(re.escape(k) for k in keys) + r")(?![A-Za-z'\u2019-])",
                     re.IGNORECASE)
    choice: dict[str, str] = {}
    skip: dict[str, bool] = {}

    def sub(m: re.Match) -> str:
        src = m.group(1)
        key = src.lower()
        if key not in SAFE:
            return src
        if key not in skip:
            skip[key] = rng.random() > p
        if skip[key]:
            return src
        # leave "$5 each" style money and "can" as a noun alone
        if key == "can" and re.match(r"\s+(of|be)\b", text[m.end():]):
            return src
        if key in ("started", "began", "finished") and re.search(r"\b(has|have|had)\s+$", text[:m.start()]):
            return src
        after = text[m.end():]
        if key in ("costs",) and not re.match(r"\s+(\$|\d|a\b|an\b|about|around|twice|half|[a-z]+ (dollars|cents))",
                                               after):
            return src
        if key in ("needs", "needed", "wants") and re.match(r"\s+to\b", after):
            return src
        if key in ("daily", "weekly", "monthly") and not re.match(r"\s*([.,?;]|$)|\s+(for|at|in|on|and)\b", after):
            return src
        if key in ("a day", "a week", "a month", "an hour", "a year") and not re.search(
                r"(\d|[a-z]s|dollars|times|once|twice)\s+$", text[:m.start()]):
            return src
        if key not in choice:
            choice[key] = rng.choice(SAFE[key])
        return _match_case(src, choice[key])

    text = pat.sub(sub, text)
    keys2 = sorted(AFTER_SUBJECT, key=len, reverse=True)
    pat2 = re.compile(r"\b([A-Za-z]+)(\s+)(" + "|".join(keys2) + r")\b")

    def sub2(m: re.Match) -> str:
        prev, sp, w = m.group(1), m.group(2), m.group(3)
        is_subj = prev.lower() in SUBJECT_WORDS or (prev[:1].isupper() and prev.lower() not in NOT_NAMES)
        if not is_subj or rng.random() > p:
            return m.group(0)
        rest = text_ref[0][m.end():]
        if w in ("has", "gets") and prev.lower() in ("it", "which", "that", "and", "also", "then"):
            return m.group(0)
        if w in ("works", "worked") and not re.match(r"\s+(\d+|[a-z]+) hours?\b", rest):
            return m.group(0)
        if w in ("has", "gets") and not re.match(r"\s+(\d|a\b|an\b|some\b|[a-z]+ty\b|one\b|two\b|three\b|four\b|"
                                                r"five\b|six\b|seven\b|eight\b|nine\b|ten\b)", rest):
            return m.group(0)
        if w in ("takes", "took") and not re.match(r"\s+(\d|a\b|an\b|one\b|two\b|three\b)", rest):
            return m.group(0)
        if w in ("makes", "made") and re.match(r"\s+(a|an|the|it|him|her|them|\$)\b", rest):
            return m.group(0)
        return prev + sp + rng.choice(AFTER_SUBJECT[w])

    text_ref = [text]
    text = pat2.sub(sub2, text)
    text = re.sub(r"\b([Aa]) total of (\$?[\d,.]+ [a-z]+|[a-z]+ [a-z]+s)\b(?=[.,?])",
                  lambda m: m.group(2) + rng.choice([" in total", " in all", " altogether"]), text)
    ordn = {"first": "one", "second": "two", "third": "three", "fourth": "four", "fifth": "five"}
    text = re.sub(r"\bthe (first|second|third|fourth|fifth) (day|week|month|year|round|game|hour)\b",
                  lambda m: m.group(2) + " " + ordn[m.group(1)] if rng.random() < p else m.group(0), text)
    text = re.sub(r" together(?=[?.])", lambda m: rng.choice([" combined", " between them"]), text)
    text = re.sub(r"(^|(?<=[.?!] ))If ", lambda m: m.group(1) + rng.choice(["Assuming ", "Given that ", "If "]), text)
    past = {"spends": "pays", "spent": "paid", "spend": "pay"}
    text = re.sub(r"\b(spends|spent|spend) (\$[\d,.]+) on\b",
                  lambda m: past[m.group(1)] + " " + m.group(2) + " for", text)
    text = re.sub(r"(\$[\d,.]+|\d+ dollars) per ([a-z]+)\b(?<!s)",
                  lambda m: m.group(1) + rng.choice([" for each ", " for every ", " a "]) + m.group(2), text)
    # "has $5 left" -> "has 5 dollars remaining"; "each acre" -> "every acre"
    text = re.sub(r"\b(have|has|had|is|are|was|were|\d[\d,.]*(?: [a-z]+)?) left\b(?! (?:for|to|on|in|at|from)\b)",
                  lambda m: m.group(1) + (" remaining" if rng.random() < 0.7 else " left over"), text)
    text = re.sub(r"\b(\d[\d,.]*(?: dollars)?|\$\d[\d,.]*) each\b",
                  lambda m: m.group(1) + rng.choice([" apiece", " a piece", " each"]), text)
    text = re.sub(r"(^|[.?!;] |\b(?:in|on|for|of|to|at|with|from|by) )([Ee])ach ([a-z]+)\b",
                  lambda m: (m.group(1) + ("E" if m.group(2) == "E" else "e") + "very " + m.group(3))
                  if (m.group(3) not in NOT_NAMES and m.group(3) not in VERBS and m.group(3) not in ("other", "one")
                      and not m.group(3).endswith(("s", "ing", "ed")) and rng.random() < p)
                  else m.group(0), text)
    return text


_AUX = r"(does|did|do|will|would|can|could|should|must|is|are|was|were|has|have|had)"


def _embed(aux: str, subj: str, rest: str) -> str | None:
    """'does' 'she' 'make every day' -> 'she makes every day'."""
    words = rest.split()
    if aux in ("does", "did", "do"):
        if not words or not re.fullmatch(r"[a-z]+", words[0]):
            return None
        j = 0
        while j < len(words) - 1 and words[j] in ADVS:
            j += 1
        v = words[j]
        if aux == "does":
            v = _third(v)
        elif aux == "did":
            v = _past(v)
        return " ".join([subj] + words[:j] + [v] + words[j + 1:])
    return " ".join([subj, aux] + words)


def _split_subject(s: str):
    """'she make every day' -> ('she', 'make every day') for pronouns, names and short determiner phrases."""
    words = s.split()
    if not words:
        return None
    w0 = words[0]
    if w0.lower() in PRONOUNS:
        return w0, " ".join(words[1:])
    if re.fullmatch(r"[A-Z][a-z]+'s", w0) and len(words) >= 3 and words[2] in VERBS | ADVS | {"not"}:
        return " ".join(words[:2]), " ".join(words[2:])
    if w0[:1].isupper() and w0.isalpha() and w0.lower() not in NOT_NAMES:
        if len(words) > 2 and words[1][:1].isupper() and words[1].isalpha():
            return " ".join(words[:2]), " ".join(words[2:])
        if len(words) > 3 and words[1] == "and" and words[2][:1].isupper():
            return " ".join(words[:3]), " ".join(words[3:])
        return w0, " ".join(words[1:])
    if w0.lower() in DETS | {"all", "both"} or re.fullmatch(r"\d+|two|three|four|five|six|seven|eight|nine|ten", w0):
        for k in range(2, min(5, len(words))):
            if words[k] in VERBS or words[k] in ADVS | {"not"}:
                return " ".join(words[:k]), " ".join(words[k:])
        return None
    return None


def _question(q: str, rng: random.Random) -> str:
    q = q.strip()
    prefix = ""
    m = re.match(r"^((?:If|Assuming|Given that|When|After)\b[^?]*?),\s+(how|what|which)\b(.*)$", q)
    if m:
        prefix = m.group(1)
        q = _cap(m.group(2)) + m.group(3)
    out = _question_core(q, rng)
    if prefix:
        cond = prefix[0].lower() + prefix[1:]
        if out.endswith("?") and rng.random() < 0.6:
            out = out[:-1] + ", " + cond + "?"
        else:
            out = prefix + ", " + out[0].lower() + out[1:] if not out.startswith(("I ",)) else prefix + ", " + out
    return out


def _question_core(q: str, rng: random.Random) -> str:
    m = re.match(r"^How (many|much)\s+(.*?)\s*\b" + _AUX + r"\s+(.*?)\?$", q)
    if m:
        kind, obj, aux, tail = m.group(1), m.group(2).strip(), m.group(3), m.group(4)
        if aux in ("is", "are", "was", "were") and not obj and kind == "much":
            # "How much is the bill?" -> "What is the bill?"
            pass
        sp = _split_subject(tail)
        if not sp and obj and kind == "many" and (tail.startswith("not ") or aux in ("will", "would", "can", "could")):
            if obj.startswith("of "):
                return f"Find how many {obj} {aux} {tail}."
            return f"What is the number of {obj} that {aux} {tail}?"
        if sp:
            subj, rest = sp
            emb = _embed(aux, subj, rest)
            if emb:
                unit = ""
                mo = re.match(r"^(money\s+)?(in dollars|in total|in all)?\s*(.*)$", obj)
                if kind == "much" and mo and (mo.group(1) or mo.group(2)):
                    unit = mo.group(2) or ""
                    obj = (mo.group(1) or "").strip() + (" " + mo.group(3) if mo.group(3) else "")
                    obj = obj.strip()
                tail_unit = ", " + unit if unit else ""
                if kind == "many" and obj and obj.split()[0] in ("more", "fewer", "less", "of"):
                    frames = ["Work out how many {o} {e}{u}.", "Can you figure out how many {o} {e}{u}?",
                              "Determine how many {o} {e}{u}."]
                elif kind == "many" and obj:
                    frames = ["What is the number of {o} that {e}{u}?", "Work out how many {o} {e}{u}.",
                              "Determine the number of {o} {e}{u}.", "Can you figure out how many {o} {e}{u}?",
                              "Find how many {o} {e}{u}."]
                elif kind == "much" and obj:
                    frames = ["What amount of {o} {e}{u}?", "Work out how much {o} {e}{u}.",
                              "Determine how much {o} {e}{u}.", "Figure out how much {o} {e}{u}."]
                else:
                    frames = ["Work out how {k} {e}{u}.", "Determine how {k} {e}{u}.",
                              "Can you figure out how {k} {e}{u}?", "Find how {k} {e}{u}."]
                f = rng.choice(frames)
                return f.format(o=obj, e=emb, u=tail_unit, k=kind)
    m = re.match(r"^How much (is|was) (left|remaining|.+'s .+)\?$", q)
    if m:
        return (f"What amount {m.group(1)} {m.group(2)}?" if m.group(2) in ("left", "remaining")
                or m.group(2).startswith(("left ", "remaining ")) else f"What {m.group(1)} {m.group(2)}?")
    m = re.match(r"^(?:What is|What's|What was) ([A-Z][a-z]+'s [^?]+)\?$", q)
    if m:
        return rng.choice(["Find", "Determine", "Work out"]) + f" {m.group(1)}."
    m = re.match(r"^How many ([a-z]+(?: [a-z]+)?) ([a-z]+) ([^?]+)\?$", q)
    if m and m.group(2) in VERBS and m.group(1).split()[-1] not in VERBS:
        return f"What is the number of {m.group(1)} that {m.group(2)} {m.group(3)}?"
    m = re.match(r"^How many (.+?) (is|are|was|were) (.+)\?$", q)
    if m and m.group(3).startswith("there"):
        obj = re.sub(r"^(total|in total) ", "", m.group(1))
        return f"What is the total number of {obj}{m.group(3)[5:]}?"
    if m and rng.random() < 0.8:
        return f"What is the number of {m.group(1)} that {m.group(2)} {m.group(3)}?"
    m = re.match(r"^How much (.+?) (is|was) (.+)\?$", q)
    if m and m.group(1).split()[0] not in ("more", "less"):
        return f"What amount of {m.group(1)} {m.group(2)} {m.group(3)}?"
    m = re.match(r"^(?:What is|What's|What was|What will be|What are|What were)\s+(the|his|her|their|its)\s+(.*)\?$", q)
    if m:
        verb = rng.choice(["Find", "Determine", "Calculate", "Work out"])
        return f"{verb} {m.group(1)} {m.group(2)}."
    m = re.match(r"^Calculate\s+(.*)\.?$", q)
    if m and not q.endswith("?"):
        return rng.choice(["Find ", "Work out ", "Determine "]) + m.group(1).rstrip(".") + "."
    m = re.match(r"^How long (does|did|will|would) it take\s+(.*)\?$", q)
    if m:
        return f"How much time {m.group(1)} it take {m.group(2)}?"
    m = re.match(r"^How old (is|was|will|would)\s+(.*)\?$", q)
    if m:
        return f"What age {m.group(1)} {m.group(2)}?"
    m = re.match(r"^How far\s+(.*)\?$", q)
    if m:
        return f"What distance {m.group(1)}?"
    m = re.match(r"^What percentage\s+(.*)$", q)
    if m:
        return "What percent " + m.group(1)
    return q


def _there_are(s: str) -> str:
    m = re.match(r"^There (are|is|were|was) (.+?) (in|on|at) (the|a|an|his|her|their|each|every) ([^,;]+?)\.$", s)
    if not m:
        return s
    place = m.group(4) + " " + m.group(5)
    plural = m.group(5).split()[-1].endswith("s") and not m.group(5).split()[-1].endswith("ss")
    if m.group(1) in ("are", "is"):
        verb = "have" if plural else "has"
    else:
        verb = "had"
    if m.group(4) in ("each", "every"):
        verb = "has" if m.group(1) in ("are", "is") else "had"
    return f"{_cap(place)} {verb} {m.group(2)}."


FAMILY = set("""mom dad mother father sister brother son daughter wife husband friend grandma grandpa grandmother
grandfather uncle aunt cousin teacher boss age house car dog cat""".split())


def _possessive_front(s: str) -> str:
    m = re.match(r"^([A-Z][a-z]+)['\u2019]s ([a-z]+) (.*)$", s)
    if not m or m.group(1).lower() in NOT_NAMES or m.group(2) in FAMILY:
        return s
    return f"The {m.group(2)} belonging to {m.group(1)} {m.group(3)}"


def _front_to_back(s: str) -> str:
    """'For his birthday, Sam chose a bike.' -> 'Sam chose a bike for his birthday.'"""
    m = re.match(r"^((?:For|On|In|At|During|Last|This|Every|Each|Over|Yesterday|Today)\b[^,]{2,40}), (.*)\.$", s)
    if not m or "?" in s or "," in m.group(2) or re.search(r"\b" + m.group(1).split()[0].lower() + r"\b", m.group(2)):
        return s
    head, main = m.group(1), m.group(2)
    w0 = main.split()[0]
    if w0.lower() in ("if", "when", "after", "before", "there") or not w0[:1].isupper():
        return s
    if head.split()[0] in ("Yesterday", "Today"):
        lead = head
    else:
        lead = head[0].lower() + head[1:]
    main = main if (w0 == "I" or w0.lower() not in NOT_NAMES) else main[0].lower() + main[1:]
    return _cap(main) + " " + lead + "."


PASSIVE = {
    "buys": ("are", "bought"), "bought": ("were", "bought"), "sells": ("are", "sold"), "sold": ("were", "sold"),
    "makes": ("are", "made"), "made": ("were", "made"), "bakes": ("are", "baked"), "baked": ("were", "baked"),
    "collects": ("are", "collected"), "collected": ("were", "collected"), "picks": ("are", "picked"),
    "picked": ("were", "picked"), "eats": ("are", "eaten"), "ate": ("were", "eaten"), "reads": ("are", "read"),
    "read": ("were", "read"), "plants": ("are", "planted"), "planted": ("were", "planted"),
    "catches": ("are", "caught"), "caught": ("were", "caught"), "builds": ("are", "built"),
    "built": ("were", "built"), "writes": ("are", "written"), "wrote": ("were", "written"),
    "orders": ("are", "ordered"), "ordered": ("were", "ordered"), "cooks": ("are", "cooked"),
    "cooked": ("were", "cooked"), "paints": ("are", "painted"), "painted": ("were", "painted"),
    "finds": ("are", "found"), "found": ("were", "found"), "scores": ("are", "scored"), "scored": ("were", "scored"),
    "purchases": ("are", "purchased"), "purchased": ("were", "purchased"), "knits": ("are", "knitted"),
    "knitted": ("were", "knitted"), "grows": ("are", "grown"), "grew": ("were", "grown"),
}
OBJ = {"he": "him", "she": "her", "they": "them", "i": "me", "we": "us", "it": "it"}
_NUMW = (r"(?:\$?\d[\d,.]*|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
         r"fifty|sixty|seventy|eighty|ninety|hundred)")


def _passive(s: str) -> str:
    """'Tom bought 3 apples at the market.' -> '3 apples were bought by Tom at the market.'"""
    m = re.match(r"^([A-Z][a-z]+|He|She|They|I|We) (" + "|".join(PASSIVE) + r") (" + _NUMW +
                 r"(?: [a-z-]+){1,3}?)((?: (?:for|from|at|on|in|during|every|each|per|to|this|last|yesterday|today)\b"
                 r"[^,;]*)?)\.$", s)
    if not m:
        return s
    subj, verb, obj, rest = m.groups()
    if subj.lower() in NOT_NAMES and subj.lower() not in OBJ:
        return s
    if re.search(r"\b(and|of|more|than|times|as|his|her|their|them|it|a|an|total|per|every|each|the)\b", obj) \
            or obj.endswith(("ly",)) or obj.startswith("$") or re.match(r"(1|one)\b", obj) or " and " in rest \
            or not obj.split()[-1].endswith("s"):
        return s
    be, pp = PASSIVE[verb]
    agent = OBJ.get(subj.lower(), subj)
    return f"{_cap(obj)} {be} {pp} by {agent}{rest}."


def _comparative(s: str) -> str:
    """'Mary is 2 years younger than Joan.' -> 'Joan is 2 years older than Mary.'"""
    flip = {"older": "younger", "younger": "older", "taller": "shorter", "shorter": "taller", "heavier": "lighter",
            "lighter": "heavier", "longer": "shorter"}
    m = re.match(r"^([A-Z][a-z]+|[Hh]is [a-z]+|[Hh]er [a-z]+|[Tt]he [a-z]+) (is|was) (\S+ [a-z]+) (older|younger|"
                 r"taller|shorter|heavier|lighter) than ([A-Z][a-z]+|his [a-z]+|her [a-z]+|the [a-z]+)\.$", s)
    if not m:
        return s
    a, be, amt, adj, b = m.groups()
    a = a if a[:1].isupper() and a.split()[0] not in ("His", "Her", "The") else a[0].lower() + a[1:]
    return f"{_cap(b)} {be} {amt} {flip[adj]} than {a}."


def _split_long(s: str) -> list[str]:
    m = re.match(r"^(.*\S),? and (he|she|they|it) (.*)$", s)
    if m and len(m.group(1).split()) >= 4:
        return [m.group(1) + ".", _cap(m.group(2)) + " " + m.group(3)]
    m = re.match(r"^(He|She|They|[A-Z][a-z]+) ([^,]*\S),? and then (.*)$", s)
    if m and len(m.group(2).split()) >= 3 and (m.group(1) in ("He", "She", "They")
                                               or m.group(1).lower() not in NOT_NAMES):
        subj = m.group(1).lower() if m.group(1) in ("He", "She", "They") else m.group(1)
        return [m.group(1) + " " + m.group(2) + ".", "After that, " + subj + " " + m.group(3)]
    return [s]


_BACKREF = re.compile(r"\b(it|its|them|they|this|that|these|those|then|also|rest|remaining|remainder|left|other|"
                      r"another|same|after|before|more|less|fewer|twice|half|times|each of|as many|as much|"
                      r"he|she|his|her|him|total|now|later|new)\b", re.IGNORECASE)


def _numbers(text: str, rng: random.Random) -> str:
    # money: "$5 bills" -> "5-dollar bills"; "$2" -> "2 dollars" (whole problem one way)
    money_mode = rng.random() < 0.6
    if money_mode:
        text = re.sub(r"\$(\d[\d,]*)\s+(bills?|notes?|coins?|gift cards?)\b", r"\1-dollar \2", text)
        text = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)(?![\d,.]*\d)(\s+(?:million|billion|thousand))?",
                      lambda m: m.group(1) + (m.group(2) or "") + " dollars", text)
    if rng.random() < 0.7:
        text = re.sub(r"(\d+(?:\.\d+)?)\s?%", r"\1 percent", text)
    text = re.sub(r"\ba dozen\b", lambda m: rng.choice(["twelve", "12"]), text)
    digit_to_word = rng.random() < 0.7

    def d2w(m: re.Match) -> str:
        s = m.group(0)
        n = int(s)
        if n < 2 or n > 100 or rng.random() < (0.5 if n > 20 and n % 10 else 0.15):
            return s
        return _spell(n)

    def w2d(m: re.Match) -> str:
        w = m.group(0)
        v = WORD_VALUE.get(w.lower())
        if v is None or v < 2 or rng.random() < 0.25:
            return w
        return str(v)

    if digit_to_word:
        text = re.sub(r"(?<![\d.,:$/-])\b\d{1,2}\b(?![\d.,:/%-]\d|[\d%]|\s?(?:percent|dollars?|am|pm|a\.m|p\.m))",
                      d2w, text)
    else:
        text = re.sub(r"(?<![A-Za-z-])(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
                      r"twenty|thirty|forty|fifty|sixty|hundred)(?![A-Za-z-])",
                      lambda m: w2d(m) if m.group(1) != "hundred" else m.group(0), text)
    return text


def _fix_articles(text: str) -> str:
    text = re.sub(r"\b([Aa]) ([aeiouAEIOU])", lambda m: m.group(1) + "n " + m.group(2), text)
    text = re.sub(r"\b([Aa])n ([b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z])", lambda m: m.group(1) + " " + m.group(2), text)
    return re.sub(r"\s{2,}", " ", text)


def _safe(step, text, *args):
    try:
        out = step(text, *args)
        return out if isinstance(out, str) and out.strip() else text
    except Exception:  # a failed step leaves the text as it was
        return text


def _restructure(text: str, rng: random.Random) -> str:
    sents = _sentences(text)
    if not sents:
        return text
    q_idx = [i for i, s in enumerate(sents) if s.rstrip().endswith("?")]
    last_q = q_idx[-1] if q_idx else None
    facts = [s for i, s in enumerate(sents) if i != last_q]
    tail = sents[last_q + 1:] if last_q is not None else []
    question = sents[last_q] if last_q is not None else None
    if last_q is not None:
        facts = sents[:last_q]
    # sentence-level rewrites
    new: list[str] = []
    for i, s in enumerate(facts):
        s2 = _there_are(s) if rng.random() < 0.8 else s
        if i == 0 and rng.random() < 0.5:
            s2 = _possessive_front(s2)
        if rng.random() < 0.8:
            s2 = _front_to_back(s2)
        if rng.random() < 0.6:
            s2 = _passive(s2)
        s2 = _comparative(s2)
        parts = _split_long(s2) if rng.random() < 0.6 else [s2]
        new.extend(parts)
    # reorder independent facts
    if len(new) >= 3 and rng.random() < 0.7:
        for i in range(1, len(new) - 1):
            a, b = new[i], new[i + 1]
            fa, fb = a.split()[0], b.split()[0]
            if (fa[:1].isupper() and fb[:1].isupper() and fa.lower() not in NOT_NAMES
                    and fb.lower() not in NOT_NAMES and not _BACKREF.search(a) and not _BACKREF.search(b)):
                new[i], new[i + 1] = b, a
                break
    # join two short facts
    for _ in range(2 if rng.random() < 0.4 else 1 if rng.random() < 0.8 else 0):
        for i in range(len(new) - 1):
            a, b = new[i], new[i + 1]
            if (a.endswith(".") and b.endswith(".") and len(a.split()) <= 10 and len(b.split()) <= 10
                    and not re.match(r"^(If|When|After|Assuming)\b", b)):
                w0 = b.split()[0]
                keep = w0 == "I" or (w0[:1].isupper() and w0.lower() not in NOT_NAMES)
                b2 = b if keep else b[0].lower() + b[1:]
                joiner = rng.choice([", and ", "; "])
                new[i:i + 2] = [a[:-1] + joiner + b2]
                break
        if len(new) < 2:
            break
    if question is not None:
        question = _safe(_question, question, rng)
    out = new + ([question] if question else []) + tail
    return " ".join(out)


def rewrite(text: str, rng: random.Random) -> str:
    """Paraphrase one GSM8K problem the way an instruction-tuned LLM would; never raises."""
    try:
        if not isinstance(text, str) or not text.strip():
            return text if isinstance(text, str) else ""
        t = text.replace("\u2019", "'").replace("  ", " ").strip()
        t = re.sub(r"\s+", " ", t)
        out = _safe(_restructure, t, rng)
        out = _safe(_pronoun_swap, out, rng)
        out = _safe(_rename, out, rng)
        out = _safe(_lexical, out, rng)
        out = _safe(_numbers, out, rng)
        out = _safe(_fix_articles, out)
        out = re.sub(r"\s+([,.?;])", r"\1", out).strip()
        if out == text.strip() or out == t:
            out = _safe(_lexical, out, random.Random(rng.random()), 1.0)
            if out == t:
                out = "Paraphrased: " + out
        return out
    except Exception:
        return text
