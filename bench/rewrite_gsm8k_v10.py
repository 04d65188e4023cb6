"""A tenth rewrite style for GSM8K problems, written on 2026-12-04 (session 21) without seeing the matcher (nothing
under curation/ read or imported, no decontamination bench or ``factory decontam`` run, no results or flag labels
read), and never used for calibration or for reading misses: a held-out check. Of styles 1-9 only the module
docstrings were read, to stay clear of what they already do.

It models the perturbations of the robustness literature and what a paraphrasing LLM does when asked to "say
this problem differently": GSM-Plus (Li et al. 2024: numerical substitution as digit expansion,
integer-decimal-fraction conversion, problem-understanding paraphrase, distractor insertion), GSM-NoOp (Mirzadeh
et al. 2024, with GSM-Symbolic: a seemingly relevant but inconsequential statement) and the register changes an
LLM rewrite makes. Names are kept, as an LLM paraphrase keeps them. The problem stays the same problem: the same
quantities in the same roles and the same solution steps (money may be scaled by one factor throughout). Each
kind is switched on at random, and a problem that ends with fewer than three kinds changing it is redone with
all of them, so each rewrite carries several:

1. numbers in another form, one direction per problem, *values kept* (GSM-Plus integer-decimal-fraction):
   "25% of" <-> "a quarter of", "1/4" -> "0.25", "0.5" -> "1/2", "half as many" -> "0.5 times as many",
   "twice as" <-> "2 times as" / "double the", "a dozen" <-> "12", "half an hour" <-> "30 minutes", "$0.50"
   <-> "50 cents", "2.5 hours" <-> "two and a half hours", "three times" <-> "3 times";
2. digit expansion on money (GSM-Plus): every money amount times 10 or 100, all together, so that their
   relations hold (only when all money is written with "$" or "N dollars" and no coins or bills appear);
3. consistent object swaps within a kind (apples -> plums, cookies -> brownies, cows -> goats, roses ->
   tulips; a kind keeps its leg count), singular and plural alike, "a"/"an" made to agree; a kind that
   appears in a compound ("dog food", "lily pad", "comic books") is left alone;
4. tense shift: a present-tense story is told in the past ("buys" -> "bought", "does she have" -> "did she
   have", "They have" -> "They had", "is" -> "was"), unless it speaks of the future or of "now";
5. sentence structure: two sentences with one subject merged with "and" ("She eats 3. She bakes 4." -> "She
   eats 3 and bakes 4."), "X. It costs $5." -> "X, which costs $5.", or a sentence split at ", and she ..." /
   ", but he ..." ("However, ..."); list items swapped ("3 pens and 4 rulers" -> "4 rulers and 3 pens"); a
   leading "If/When ..." clause moved behind its main clause, or a trailing one to the front;
6. the question restated ("What is the total ...?" -> "Find the total ...", "Calculate the ..." -> "What is
   the ...?", "in total" <-> "altogether" / "in all", "How long does it take" -> "How much time does it
   take", "How old" -> "What age", a lead-in "So, ..." / "The question is: ..." / "Now tell me, ...");
7. a story frame in front, in the story's tense (a made-up town and, when there is one, the main person:
   "Janet lives in a small town called Millbrook.", "In the quiet village of Elmwood, ..."), and a GSM-NoOp
   sentence after a fact, about one of that fact's own quantities, that changes nothing ("That is 2 more
   eggs than last year.", "3 of the students are left-handed.", "That was $3 more than a month ago.");
8. register: contractions made or undone ("does not" <-> "doesn't", "What is" -> "What's", "she'll" ->
   "she will"), and British localisation (colour, neighbour, metres, travelled, maths, mum, biscuits, films,
   lorry, petrol, "per cent", "$" -> "£" with pence, or "€" where "pounds" is already a weight).

    >>> import random
    >>> from bench.rewrite_gsm8k_v10 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(0)))
    In a small town called Cedar Falls, Janet had 3 lemons. That was 3 more lemons than last year. She bought 2 more for $5. How many lemons did Janet have?
"""

from __future__ import annotations

import random
import re


def _wlist(text: str) -> list[str]:
    """The whitespace-separated words of ``text``, in order."""
    return text.split()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ----------------------------------------------------------------------------------------------- shared helpers

SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
WORD_NUM = {w: i for i, w in enumerate(SMALL)}
STOP = _words("""The A An If He She They It In On At After Before When Each Every How What Which Who There This That
These Those Then His Her Their Its My Our Your We I You For Of To But And So Since While Last Next During Some All Half
One Two Three Four Five Six Seven Eight Nine Ten Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday
January February March April May June July August September October November December Christmas Halloween Easter
Thanksgiving Find Calculate Determine Also Today Yesterday Tomorrow Both From With Together Later First Second Third
Finally Assume Suppose Given Once Because Although Over Out Is Are Was Were Do Does Did Can Could Will Would Let Mom Dad
Grandma Grandpa Aunt Uncle Mother Father Well Yes No Oh Now Here""")
LOWER_START = _words("""The A An If Each Every There This That These Those Some All Half One Two Three Four Five Six
Seven Eight Nine Ten In On At After Before When While During Last His Her Their Its My Our It He She They We You
Since Once Because Although Both Today Tomorrow Yesterday On For Most Many Several Eleven Twelve Twenty Fifty
Hundred Usually Every Only Whenever Instead Unfortunately Recently Currently Initially Originally To With From By As
Of Under Near Out Up Around Without Until Unless Between Among Across Along Through Throughout Within Per""")
ABBREV = re.compile(r"(?:(?:^|\s)(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|etc|approx|No|Mt)\.|\b[ap]\.m\.)$")


def _cap(word: str, like: str) -> str:
    """``word`` with the first letter capitalised when ``like`` starts with a capital."""
    if like[:1].isupper() and word:
        return word[0].upper() + word[1:]
    return word


def _split(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|(?<=[.!?][\"”’')])\s+", text.strip())
    out: list[str] = []
    for p in parts:
        if out and ABBREV.search(out[-1]):
            out[-1] += " " + p
        elif p:
            out.append(p)
    return out


def _lower_first(s: str) -> str:
    m = re.match(r"[A-Za-z]+", s)
    if m and m.group() in LOWER_START:
        return s[0].lower() + s[1:]
    return s


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fmt(v: float) -> str:
    return str(int(v)) if abs(v - round(v)) < 1e-9 else f"{v:g}"


# ----------------------------------------------------------------------------------------------- 1. number forms

PCT_WORDS = {50: "half", 25: "a quarter", 75: "three quarters", 10: "a tenth", 20: "a fifth", 40: "two fifths",
             60: "three fifths", 80: "four fifths"}
FRAC_WORDS = {(1, 2): "half", (1, 3): "a third", (2, 3): "two thirds", (1, 4): "a quarter", (3, 4): "three quarters",
              (1, 5): "a fifth", (2, 5): "two fifths", (3, 5): "three fifths", (4, 5): "four fifths",
              (1, 6): "a sixth", (1, 8): "an eighth", (1, 10): "a tenth"}
WORD_FRACS = [("three quarters", "75%", "3/4"), ("three-quarters", "75%", "3/4"), ("three fourths", "75%", "3/4"),
              ("two thirds", "2/3", "2/3"), ("two-thirds", "2/3", "2/3"), ("one half", "50%", "1/2"),
              ("a half", "50%", "1/2"), ("one-half", "50%", "1/2"), ("half", "50%", "1/2"),
              ("a quarter", "25%", "1/4"), ("one quarter", "25%", "1/4"), ("one-quarter", "25%", "1/4"),
              ("a fourth", "25%", "1/4"), ("one fourth", "25%", "1/4"), ("one-fourth", "25%", "1/4"),
              ("a third", "1/3", "1/3"), ("one third", "1/3", "1/3"), ("one-third", "1/3", "1/3"),
              ("a fifth", "20%", "1/5"), ("one fifth", "20%", "1/5"), ("a tenth", "10%", "1/10"),
              ("one tenth", "10%", "1/10")]
WORD_FRAC_RE = re.compile(r"(?<!first )(?<!second )(?<!other )(?<!last )(?<!the )(?<!latter )(?<!former )\b(" + "|".join(re.escape(w) for w, _, _ in WORD_FRACS) + r") (of|the)\b", re.IGNORECASE)
NOT_COUNT = _words("""hours minutes seconds days weeks months years dollars cents miles feet inches pounds ounces
gallons liters litres meters metres kilometers centimeters grams kilograms percent times cups quarts pints yards
points degrees mph euros pence acres tons floors laps steps calories kilos kg lbs oz pounds ml cm km mm watts kilowatts volts bytes gigabytes megabytes kinds types sorts ways parts portions options choices
groups sets""")
DETS_BEFORE = _words("the a an those these first last next another his her their its my our each")


def _pct(m: re.Match, british: bool) -> str:
    n, nxt, prev = m.group("n"), m.group("next") or "", m.group("prev") or ""
    v = float(n)
    if prev.lower() not in ("a ", "an ", "the ") and v in PCT_WORDS and nxt:
        return prev + PCT_WORDS[int(v)] + nxt
    return prev + n + (" per cent" if british else " percent") + nxt


def _forms_words(t: str, rng: random.Random) -> str:
    """Symbols -> words: percents, fractions, "2 times", "12 eggs", "30 minutes", "$0.50", "2.5 hours"."""
    if rng.random() < 0.8:
        t = re.sub(r"(?P<prev>\b(?:a|an|the) )?(?<![\d.$])(?P<n>\d+(?:\.\d+)?)%(?P<next>(?: of\b| off\b| are\b| were\b|"
                   r" is\b| was\b| more\b| less\b|[.,;?])?)",
                   lambda m: _pct(m, False), t)
    if rng.random() < 0.8:
        def mixed(m: re.Match) -> str:
            w, a, b = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if (a, b) == (1, 2):
                return (SMALL[w] if w < len(SMALL) else str(w)) + " and a half"
            if b in (4, 5, 8) and a < b:
                return _fmt(w + a / b)
            return m.group()
        t = re.sub(r"(?<![\d/.$])\b(\d+) (\d)/(\d+)\b(?![\d/])", mixed, t)

        def frac(m: re.Match) -> str:
            a, b, rest = int(m.group(1)), int(m.group(2)), m.group(3)
            if rest.startswith(" of") and (a, b) in FRAC_WORDS:
                return FRAC_WORDS[(a, b)] + rest
            if b in (2, 4, 5, 8) and 0 < a < b:
                return _fmt(a / b) + rest
            return m.group()
        t = re.sub(r"(?<![\d/.$])\b(\d+)/(\d+)\b(?![\d/])((?: of\b)?)", frac, t)
    if rng.random() < 0.8:
        t = re.sub(r"\b(2|two) times as\b", lambda m: _cap("twice as", m.group()), t, flags=re.IGNORECASE)
        t = re.sub(r"\bdouble the\b", lambda m: _cap("twice the", m.group()), t, flags=re.IGNORECASE)
        t = re.sub(r"(?<![\d.$])\b([3-9]|10) times\b", lambda m: SMALL[int(m.group(1))] + " times", t)
    if rng.random() < 0.8:
        def doz(m: re.Match) -> str:
            if m.group(2).lower() in NOT_COUNT:
                return m.group()
            return {"12": "a dozen", "24": "two dozen", "36": "three dozen"}[m.group(1)] + " " + m.group(2)
        t = re.sub(r"(?<![\d.$,/])\b(12|24|36) ([a-z]+s)\b", doz, t)
    if rng.random() < 0.8:
        def mins(m: re.Match) -> str:
            prev = (m.group(1) or "").strip().lower()
            if prev in DETS_BEFORE:
                return m.group()
            out = {"30": "half an hour", "90": "an hour and a half", "15": "a quarter of an hour", "60": "an hour"}
            word = out[m.group(2)]
            if prev == "every" and m.group(2) == "30":
                word = "half hour"
            return (m.group(1) or "") + word
        t = re.sub(r"(\b[A-Za-z]+ )?(?<![\d.$,/])\b(30|90|15|60) minutes\b(?! (?:per|an|a|each|every)\b)", mins, t)
    if rng.random() < 0.8:
        def cents(m: re.Match) -> str:
            v = round(float(m.group(1)) * 100)
            return f"{v} cents" if 0 < v < 100 else m.group()
        t = re.sub(r"\$(0\.\d{1,2})\b(?!\d)", cents, t)
    if rng.random() < 0.8:
        def half(m: re.Match) -> str:
            n = int(m.group(1))
            return (SMALL[n] if n < len(SMALL) else str(n)) + " and a half " + m.group(2)
        t = re.sub(r"(?<![\d.$,/])\b([1-9]\d?)\.5 (hours|days|weeks|years|miles|pounds|feet|inches|gallons|cups|"
                   r"liters|meters|kilometers|times|minutes|months)\b", half, t)
    return t


def _forms_symbols(t: str, rng: random.Random) -> str:
    """Words -> symbols: "a quarter of" -> "25% of", "twice" -> "2 times", "a dozen" -> 12, "0.5" -> "1/2"."""
    if rng.random() < 0.8:
        use_pct = rng.random() < 0.5
        table = {w.lower(): (p, f) for w, p, f in WORD_FRACS}

        def wf(m: re.Match) -> str:
            p, f = table[m.group(1).lower()]
            sym = p if use_pct else f
            return sym + " of" + ("" if m.group(2).lower() == "of" else " the")
        t = WORD_FRAC_RE.sub(wf, t)
        t = re.sub(r"\bhalf as (many|much|long|old|big|fast|tall)\b",
                   lambda m: rng.choice(["0.5 times as ", "50% as "]) + m.group(1), t)
    if rng.random() < 0.8:
        def tw(m: re.Match) -> str:
            rest = m.group(1)
            if rest.startswith(" the"):
                return _cap("double", m.group()) + rest
            return _cap(rng.choice(["2 times", "two times"]), m.group()) + rest
        t = re.sub(r"\btwice((?: the| as| a| that| his| her| their| its| what)?)\b", tw, t, flags=re.IGNORECASE)
        t = re.sub(r"\b(three|four|five|six|seven|eight|nine|ten) times\b",
                   lambda m: str(WORD_NUM[m.group(1).lower()]) + " times", t, flags=re.IGNORECASE)
    if rng.random() < 0.8:
        def dz(m: re.Match) -> str:
            prev, q = m.group(1) or "", m.group(2).lower()
            if re.search(r"(?:\d|\$|\bper|\bfor|\beach|\bby the)\s*$", prev):
                return m.group()
            mult = {"a": 12, "one": 12, "half a": 6, "a half": 6, "two": 24, "three": 36, "four": 48, "five": 60,
                    "six": 72}.get(q)
            if mult is None:
                try:
                    mult = int(q) * 12
                except ValueError:
                    return m.group()
            return prev + str(mult)
        t = re.sub(r"(\S+ )?\b(a|one|half a|a half|two|three|four|five|six|\d{1,2})[ -]dozen\b(?! of\b)", dz, t,
                   flags=re.IGNORECASE)
    if rng.random() < 0.8:
        t = re.sub(r"\bhalf an hour\b", "30 minutes", t)
        t = re.sub(r"\ban hour and a half\b", "90 minutes", t)
        t = re.sub(r"\ba quarter of an hour\b", "15 minutes", t)
    if rng.random() < 0.8:
        t = re.sub(r"(?<![\d.$])\b([1-9]\d?) cents\b", lambda m: f"${int(m.group(1)) / 100:.2f}", t)
    if rng.random() < 0.8:
        t = re.sub(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|\d+) and a half\b",
                   lambda m: f"{WORD_NUM.get(m.group(1).lower(), None) or m.group(1)}.5", t, flags=re.IGNORECASE)
        dec = {"0.5": "1/2", "0.25": "1/4", "0.75": "3/4", "0.2": "1/5", "0.4": "2/5"}
        t = re.sub(r"(?<![\d.$])\b(0\.(?:5|25|75|2|4))\b(?![\d.]| times)", lambda m: dec[m.group(1)], t)
    return t


# ----------------------------------------------------------------------------------------------- 2. money expansion

NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
MONEY_RE = re.compile(r"\$(" + NUM + r")(?![\d,]\d)|\b(" + NUM + r") dollars?\b")


def _expand_money(t: str, rng: random.Random) -> str:
    if not re.search(r"\$\d|\d dollars?\b", t) or re.search(r"\d \d{3}\b", t):
        return t
    if re.search(r"\b(?:cents?|penny|pennies|nickels?|dimes?|quarters|bills?|coins?|(?:a|one|per|each|half a) dollar|"
                 r"(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|hundred) dollars)\b", t, re.IGNORECASE):
        return t
    amounts = [float((m.group(1) or m.group(2)).replace(",", "")) for m in MONEY_RE.finditer(t)]
    factor = 100 if max(amounts) < 10 and rng.random() < 0.5 else 10

    def scale(m: re.Match) -> str:
        raw = m.group(1) or m.group(2)
        v = float(raw.replace(",", "")) * factor
        s = f"{v:,.2f}" if abs(v - round(v)) > 1e-9 else (f"{round(v):,}" if "," in raw or v >= 10000
                                                             else str(round(v)))
        return "$" + s if m.group(1) else m.group().replace(raw, s, 1)
    return MONEY_RE.sub(scale, t)


# ----------------------------------------------------------------------------------------------- 3. object swaps

KINDS = [
    [("apple", "apples"), ("pear", "pears"), (None, "oranges"), ("peach", "peaches"), ("plum", "plums"),
     ("mango", "mangoes"), ("lemon", "lemons"), ("banana", "bananas")],
    [("carrot", "carrots"), ("tomato", "tomatoes"), ("onion", "onions"), ("pepper", "peppers"),
     ("cucumber", "cucumbers")],
    [("cookie", "cookies"), ("muffin", "muffins"), ("cupcake", "cupcakes"), ("brownie", "brownies"),
     ("scone", "scones")],
    [("sandwich", "sandwiches"), ("burger", "burgers"), ("taco", "tacos"), ("burrito", "burritos")],
    [("pizza", "pizzas"), ("pie", "pies"), ("quiche", "quiches")],
    [("dog", "dogs"), ("cat", "cats"), ("rabbit", "rabbits"), ("hamster", "hamsters")],
    [("cow", "cows"), ("goat", "goats"), ("horse", "horses"), ("pig", "pigs")],
    [(None, "chickens"), (None, "ducks"), (None, "geese"), (None, "hens")],
    [(None, "roses"), ("tulip", "tulips"), ("daisy", "daisies"), ("lily", "lilies"), ("sunflower", "sunflowers")],
    [("pencil", "pencils"), (None, "pens"), ("crayon", "crayons"), ("marker", "markers")],
    [("shirt", "shirts"), ("sweater", "sweaters"), ("jacket", "jackets"), ("hoodie", "hoodies")],
    [("book", "books"), ("novel", "novels"), ("comic", "comics"), ("magazine", "magazines")],
    [("coffee", "coffee"), ("tea", "tea"), ("cocoa", "cocoa")],
    [("sticker", "stickers"), ("stamp", "stamps"), ("postcard", "postcards"), ("badge", "badges")],
    [(None, "marbles"), (None, "beads"), (None, "pebbles")],
    [("basketball", "basketballs"), ("baseball", "baseballs"), ("volleyball", "volleyballs")],
    [("necklace", "necklaces"), ("bracelet", "bracelets"), ("pendant", "pendants")],
]
#: singulars of the plural-only entries: when the singular is in the text, the plural is left alone
SINGULAR_OF = {"oranges": "orange", "pens": "pen", "roses": "rose", "marbles": "marble", "beads": "bead",
               "pebbles": "pebble", "chickens": "chicken", "ducks": "duck", "geese": "goose", "hens": "hen"}
SWAP_GUARD = re.compile(r"(?:\bhot|\bcorn|\bsea|\bguinea|\bpine|\bcup|\bpan|\bsweet|\bcalla|\bwater|\bdress|\bcomic|\bT|\bt|-)[\s-]?$")
_WORD2 = {}
for _k, _kind in enumerate(KINDS):
    for _i, (_s, _p) in enumerate(_kind):
        if _s:
            _WORD2[_s] = (_k, _i, 0)
        _WORD2[_p] = (_k, _i, 1)
SWAP_RE = re.compile(r"\b(" + "|".join(sorted(_WORD2, key=len, reverse=True)) + r")\b(?!-)")
#: a noun right after one of these is part of a compound ("dog food", "book bag", "lily pad"): its kind is left alone
FOLLOW_GUARD = re.compile(r" (?:food|treats|bowl|bed|pads?|leash|litter|bags?|shelf|shelves|case|club|report|store|shop|"
                          r"fair|stand|house|sauce|bread|butter|seeds?|trees?|bush|bushes|plants?|farm)\b")


def _swap_objects(t: str, rng: random.Random) -> str:
    present: dict[tuple[int, int], None] = {}
    stop: set[tuple[int, int]] = set()
    young = bool(re.search(r"\b(?:puppy|puppies|kitten|kittens|calf|calves|piglets?|chicks?|ducklings?|foals?)\b", t, re.IGNORECASE))
    for m in SWAP_RE.finditer(t):
        w = m.group()
        if w.islower():
            k, i, _ = _WORD2[w]
            stem = KINDS[k][i][0] or KINDS[k][i][1]
            longer = {x.lower() for x in re.findall(r"\b" + stem + r"[a-z]+", t, re.IGNORECASE)} - {stem, KINDS[k][i][1]}
            plural = KINDS[k][i][1]
            if plural in SINGULAR_OF and re.search(r"\b" + SINGULAR_OF[plural] + r"\b", t, re.IGNORECASE):
                continue
            blocked = SWAP_GUARD.search(t[max(0, m.start() - 8):m.start()]) or FOLLOW_GUARD.match(t, m.end())
            if not (young and k in (5, 6, 7)) and not longer and not blocked and (k, i) not in stop:
                present[(k, i)] = None
            elif blocked:
                stop.add((k, i))
                present.pop((k, i), None)
    if not present:
        return t
    taken = set(present)
    choice: dict[tuple[int, int], int] = {}
    for k, i in present:
        if rng.random() < 0.2 and len(present) > 1:
            continue
        free = [j for j in range(len(KINDS[k])) if (k, j) not in taken and (KINDS[k][i][0] is None or KINDS[k][j][0])]
        if free:
            j = rng.choice(free)
            taken.add((k, j))
            choice[(k, i)] = j

    def sub(m: re.Match) -> str:
        w = m.group()
        k, i, plural = _WORD2[w.lower()]
        if (k, i) not in choice:
            return w
        new = KINDS[k][choice[(k, i)]][plural]
        return _cap(new, w) if new else w
    t = SWAP_RE.sub(sub, t)
    return re.sub(r"\b(a|an|A|An) (?=([a-z]+)\b)", lambda m: _article(m.group(1), m.group(2)), t)


def _article(art: str, word: str) -> str:
    """ "a"/"an" made to agree with ``word`` (only for the nouns this module may put in)."""
    if word not in _WORD2:
        return art + " "
    new = "an" if word[0] in "aeiou" else "a"
    return _cap(new, art) + " "


# ----------------------------------------------------------------------------------------------- 4. tense shift

IRREG = {"has": "had", "does": "did", "goes": "went", "makes": "made", "takes": "took", "gets": "got", "buys": "bought",
         "sells": "sold", "eats": "ate", "spends": "spent", "gives": "gave", "puts": "put", "sees": "saw",
         "finds": "found", "knows": "knew", "drives": "drove", "grows": "grew", "loses": "lost", "writes": "wrote",
         "teaches": "taught", "brings": "brought", "feeds": "fed", "says": "said", "pays": "paid", "keeps": "kept",
         "thinks": "thought", "sleeps": "slept", "comes": "came", "becomes": "became", "quits": "quit",
         "holds": "held", "tells": "told", "throws": "threw", "sends": "sent", "wears": "wore", "spits": "spat",
         "swims": "swam", "sits": "sat", "babysits": "babysat", "catches": "caught", "draws": "drew",
         "chooses": "chose", "forgets": "forgot", "lends": "lent", "meets": "met", "speaks": "spoke",
         "steals": "stole", "sweeps": "swept", "withdraws": "withdrew", "digs": "dug", "lays": "laid", "feels": "felt",
         "hears": "heard", "blows": "blew", "freezes": "froze", "spins": "spun", "understands": "understood",
         "reads": "read", "builds": "built", "wakes": "woke", "splits": "split", "lets": "let", "sings": "sang",
         "rises": "rose", "bids": "bid", "leaves": "left", "hits": "hit", "stands": "stood", "flies": "flew",
         "fights": "fought", "leads": "led", "shakes": "shook", "bites": "bit", "falls": "fell", "rides": "rode",
         "runs": "ran", "wins": "won", "cuts": "cut", "costs": "cost", "sets": "set", "drinks": "drank",
         "beats": "beat", "means": "meant", "breaks": "broke", "shoots": "shot", "hides": "hid", "can": "could",
         "is": "was", "are": "were", "am": "was"}
IRREG_AMBIG = _words("bids leaves hits stands flies fights leads shakes bites falls rides runs wins cuts costs sets "
                        "drinks beats means breaks shoots hides finds drives feeds sleeps throws swims catches draws "
                        "meets steals sweeps digs blows spins reads builds splits rises sinks")
REGULAR_SAFE = _wlist("""want decide collect love like own weigh complete continue bake hire add ask remove deliver receive owe
allow respond require reduce recycle divide arrive adopt calculate mow accept gather operate anticipate learn carry include
expect create install reapply serve pour invest enter consume meditate enroll earn clean join wait donate decorate prepare
remember subscribe manage discover fetch knit melt qualify unpack borrow produce contain perform""")
#: verbs whose third-person form is also a common plural noun ("downloads", "plants"): changed only after a subject
REGULAR_AMBIG = _wlist("""need plan pick charge notice rent raise trade wish hope pass wash promise increase process show dance
jump travel stop use call kick paint repair return share shop sign talk type water help move offer purchase sort text wrap
cover deposit harvest measure park pedal post sail slice stack store stretch supply volunteer waste watch walk play look
cook plant order count score visit drop turn record mark note train pack place change roll test ship print list guess
start end finish estimate last live chew howl try edit upload download fill open fix smash wonder practice hop fold jog
push pull skip stay study invite miss mix rake reach scoop climb fail grab peel rescue roast swap work save burn die chop
struggle bounce convert sleepwalk pause dress rest""")
DOUBLE = _words("stop plan drop skip ship hop jog grab knit wrap shop swap scrub chop trim pat tap sip rob hug slip "
                   "admit commit prefer occur refer")


def _third(b: str) -> str:
    if b.endswith(("s", "sh", "ch", "x", "z", "o")):
        return b + "es"
    if b.endswith("y") and b[-2] not in "aeiou":
        return b[:-1] + "ies"
    return b + "s"


def _past(b: str) -> str:
    if b in DOUBLE:
        return b + b[-1] + "ed"
    if b.endswith("e"):
        return b + "d"
    if b.endswith("y") and b[-2] not in "aeiou":
        return b[:-1] + "ied"
    return b + "ed"


S_PAST: dict[str, str] = {k: v for k, v in IRREG.items() if k not in ("can", "is", "are", "am")}
S_AMBIG = set(IRREG_AMBIG)
BASE_PAST: dict[str, str] = {"have": "had", "do": "did", "go": "went", "make": "made", "take": "took", "get": "got",
                             "buy": "bought", "sell": "sold", "eat": "ate", "spend": "spent", "give": "gave",
                             "find": "found", "grow": "grew", "lose": "lost", "bring": "brought", "pay": "paid",
                             "keep": "kept", "lay": "laid", "build": "built", "drink": "drank", "run": "ran",
                             "feed": "fed", "win": "won", "cost": "cost"}
BASE_AMBIG = {"drink", "run", "win", "cost", "lay", "do", "have", "hit", "stand", "fly", "fight", "lead",
              "shake", "bite", "fall", "ride", "cut", "set", "beat", "mean", "break", "shoot", "hide", "bid"}


def _base(third: str) -> str:
    if third.endswith("ies"):
        return third[:-3] + "y"
    if third.endswith(("sses", "shes", "ches", "xes", "oes")):
        return third[:-2]
    return third[:-1]


for _t, _p in S_PAST.items():
    if _t not in ("has", "does"):
        BASE_PAST.setdefault(_base(_t), _p)
for _b in REGULAR_SAFE + REGULAR_AMBIG:
    S_PAST[_third(_b)] = _past(_b)
    BASE_PAST[_b] = _past(_b)
    if _b in REGULAR_AMBIG:
        S_AMBIG.add(_third(_b))
        BASE_AMBIG.add(_b)
SUBJ_SING = _words("he she it who which that everyone everybody someone somebody nobody")
SUBJ_PL = _words("they we i you")
AUX = _words("do does did will would can could should must may might to don’t don't didn’t didn't")
NOT_ADVERB = _words("family early daily supply fly jelly belly lily holy rally ally bully assembly reply apply rely "
                       "multiply only")
ADVERBS = _words("also always usually often then only still just never sometimes already each both really "
                    "finally typically normally rarely regularly actually eventually immediately later")
OBJ = _words("a an the his her their its my our your some all each every another this that these those him them it "
                "me us up out back away half twice more less one two three four five six seven eight nine ten eleven "
                "twelve twenty thirty forty fifty hundred dozen")
NOT_PLURAL = _words("his this is was has its us as yes less plus always sometimes perhaps towards afterwards across "
                       "series bus class glass grass dress does goes whereas thus news")
IRREG_PLURAL = _words("children people men women geese mice sheep fish")
FUTURE = re.compile(r"\b(?:will|won[’']t|would|wouldn[’']t|shall|now|currently|next|tomorrow|future|going to|"
                    r"later|'ll|’ll|in \w+ (?:years?|months?|weeks?|days?))\b", re.IGNORECASE)
GENERAL_FACT = re.compile(r"\bthere (?:are|is) \d+ \w+ in (?:an?|one|each|every)\b|^(?:An?|One|Each) (?:hour|day|week|"
                          r"year|minute|dozen|foot|yard|mile|pound|gallon|meter|kilometer|liter|cup|quart|decade|"
                          r"century) (?:is|has|equals|contains) (?:\d|one|two|three|four|five|six|seven|ten|twelve)",
                          re.IGNORECASE)
PARTICIPLE = _words("been gone done made given read eaten seen taken had got gotten bought sold spent won lost")
TOKEN = re.compile(r"[A-Za-z]+(?:[’'][A-Za-z]+)?|\$|\d[\d,]*(?:\.\d+)?|[^\sA-Za-z\d]")


def _is_name(w: str) -> bool:
    return w[:1].isupper() and w[1:].islower() and w not in STOP


def _third_changes(lw: str, pw: str, j: int, words: list[str], joined: bool, obj_next: bool) -> bool:
    """Whether the third-person form ``lw`` is a verb here (and not a plural noun such as "plants").

    ``joined``: the word follows "and"/"but"/"then"/"or" after an earlier verb of the sentence was changed.
    """
    if lw in ("has", "does"):
        return True
    if pw in AUX:
        return False
    return (lw not in S_AMBIG or pw in SUBJ_SING or (j >= 0 and _is_name(words[j])) or joined
            or (obj_next and pw.isalpha() and pw.islower() and pw not in DETS_BEFORE and pw not in OBJ))


def _base_changes(lw: str, pw: str, pp: str, j: int, words: list[str], before: bool, obj_next: bool,
                  nw: str) -> bool:
    """Whether the base form ``lw`` is the verb of a plural subject here ("they buy", "the ducks lay")."""
    plain = lw not in BASE_AMBIG or lw == "have"
    if pw in ("and", "but", "then", "or"):
        return plain and before and nw not in ("", ".", ",", "?")
    if pw in SUBJ_PL or pw in ("that", "which", "who"):
        return pp not in AUX
    if j >= 2 and _is_name(words[j]) and words[j - 1] == "and" and _is_name(words[j - 2]):
        return True
    plural_subject = (pw.endswith("s") and pw.isalpha() and pw.islower() and pw not in NOT_PLURAL
                      and pw not in S_PAST and not pw.endswith("ss")) or pw in IRREG_PLURAL
    return plural_subject and (plain or obj_next) and not (pp[:1].isdigit() and lw in ("do", "have"))


def _tense_sentence(s: str) -> str:
    if GENERAL_FACT.search(s):
        return s
    question = s.rstrip().endswith("?")
    toks = list(TOKEN.finditer(s))
    words = [m.group() for m in toks]
    out = list(words)
    q_start = len(words)  # in a question, the part before the wh-word is told like a statement
    if question:
        q_start = 0
        for i, w in enumerate(words):
            if w.lower() in ("how", "what", "which", "who", "where", "when", "why") and (i == 0 or words[i - 1] == ","):
                q_start = i
                break

    def prev(i: int, skip_adv: bool = True) -> int:
        j = i - 1
        if skip_adv and j >= 0 and (words[j].lower() in ADVERBS or (
                words[j].endswith("ly") and words[j].islower() and words[j] not in NOT_ADVERB)) and j - 1 >= 0 and words[j - 1].lower() not in (
                "the", "a", "an"):
            j -= 1
        return j

    for i, w in enumerate(words):
        lw = w.lower()
        j = prev(i)
        pw = words[j].lower() if j >= 0 else ""
        nw = words[i + 1].lower() if i + 1 < len(words) else ""
        pp = words[j - 1].lower() if j >= 1 else ""
        before = any(out[k] != words[k] for k in range(i))  # an earlier verb of this sentence was changed
        obj_next = nw in OBJ or nw[:1].isdigit() or nw == "$"
        new = None
        if lw in ("is", "are", "am", "can"):
            new = IRREG[lw]
        elif lw in ("isn’t", "isn't", "aren’t", "aren't", "doesn’t", "doesn't", "don’t", "don't", "can’t", "can't"):
            apo = "’" if "’" in lw else "'"
            new = {"isn": "wasn", "aren": "weren", "doesn": "didn", "don": "didn", "can": "couldn"}[
                re.split(r"[’']", lw)[0]] + apo + "t"
        elif lw == "cannot":
            new = "could not"
        elif lw == "do" and (i < q_start and nw == "not" and pw not in AUX or question and (
                nw in SUBJ_PL or nw in ("the", "both", "all", "these", "those") or nw[:1].isdigit() or
                nw in WORD_NUM or (i + 1 < len(words) and _is_name(words[i + 1])))):
            new = "did"
        elif lw in S_PAST and _third_changes(lw, pw, j, words, before and (
                i > 0 and words[i - 1].lower() in ("and", "but", "then", "or")), obj_next):
            new = S_PAST[lw]
        elif lw in BASE_PAST and i < q_start and pw not in AUX:
            if lw == "have" and nw in PARTICIPLE:
                new = "had"
            elif _base_changes(lw, pw, pp, j, words, before, obj_next, nw):
                new = BASE_PAST[lw]
        if new:
            out[i] = _cap(new, w)
    # rebuild with the original spacing
    res, last = [], 0
    for m, o in zip(toks, out):
        res.append(s[last:m.start()])
        res.append(o)
        last = m.end()
    res.append(s[last:])
    return "".join(res)


def _to_past(sents: list[str]) -> list[str]:
    return [_tense_sentence(s) for s in sents]


# ----------------------------------------------------------------------------------------------- 5. structure

PRON = ("She", "He", "They", "It", "I", "We")
VERBISH = frozenset(S_PAST) | frozenset(S_PAST.values()) | frozenset(BASE_PAST) | {
    "is", "was", "are", "were", "has", "had", "have", "can", "could", "will", "would", "did", "does", "do", "also"}
WHICH_VERBS = "costs|cost|has|had|holds|held|weighs|weighed|contains|contained|measures|measured"


def _merge(sents: list[str], q_idx: int, rng: random.Random) -> list[str]:
    for i in range(len(sents) - 1):
        if i + 1 >= q_idx:
            break
        a, b = sents[i], sents[i + 1]
        if not (a.endswith(".") and b.endswith(".")) or len(a) + len(b) > 220:
            continue
        mb = re.match(r"(She|He|They|I|We) ([a-z]+)\b", b)
        ma = re.match(r"([A-Z][a-z]+)\b", a)
        if mb and ma and " and " not in a + b and "," not in a and mb.group(2) not in ("is", "are", "was", "were", "also") and (
                ma.group(1) == mb.group(1) or (_is_name(ma.group(1)) and mb.group(1) in ("She", "He"))):
            rest = b[len(mb.group(1)) + 1:]
            sents[i] = a[:-1] + " and " + rest
            del sents[i + 1]
            return sents
        mw = re.match(r"It (" + WHICH_VERBS + r") (?:\$|£|\d|a |an |one |two |three |four |five |six |ten |twelve )", b)
        last = re.search(r"([A-Za-z]+)\.$", a)
        if mw and rng.random() < 0.8 and last and last.group(1).islower() and last.group(1) not in (
                "it", "them", "each", "him", "her", "too", "more", "less", "total", "year", "ago", "before") and \
                not re.match(r"(?:That is|That was|\d+ of the)", a):
            sents[i] = a[:-1] + ", which " + b[b.index(" ") + 1:]
            del sents[i + 1]
            return sents
    return sents


ITEM = r"(?:\$?\d[\d,]*(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve) (?:[a-z]+ )?[a-z]+s"
LIST_RE = re.compile(r"(?<!between )\b(" + ITEM + r") and (" + ITEM + r")\b(?! (?:of|each|per|apiece|every)\b)")


def _split_clause(s: str) -> str:
    """ "X, and she ..." -> "X. She ..."; "X, but he ..." -> "X. However, he ..." (a fact sentence)."""
    m = re.search(r", (and|but) (she|he|they|I|we|[A-Z][a-z]+) ([a-z]+)\b", s)
    if not m or not s.endswith(".") or (m.group(2)[0].isupper() and not _is_name(m.group(2))) or \
            "," in s[:m.start()] or m.group(3) not in VERBISH:
        return s
    subj, rest = m.group(2), s[m.start(3):]
    if m.group(1) == "and":
        return s[:m.start()] + ". " + _upper_first(subj) + " " + rest
    return s[:m.start()] + ". However, " + subj + " " + rest


def _swap_list(s: str) -> str:
    def sw(m: re.Match) -> str:
        a, b = m.group(1), m.group(2)
        if a.split()[-1] in NOT_COUNT or b.split()[-1] in NOT_COUNT:
            return m.group()
        return b + " and " + a
    return LIST_RE.sub(sw, s, count=1)


def _move_clause(s: str, question: bool) -> str:
    if question:
        m = re.match(r"^(If|When|After|Assuming|Given that|Suppose) ([^,?]+), ((?:how|what|which) [^?]+)\?$", s)
        if m:
            return _upper_first(m.group(3)) + " " + m.group(1).lower() + " " + m.group(2) + "?"
        return s
    m = re.match(r"^(If|When|After|Before|Since|Once|Because) ([^,]+), ([^,]+)\.$", s)
    if m and len(m.group(3).split()) >= 2:
        return _upper_first(m.group(3)) + " " + m.group(1).lower() + " " + m.group(2) + "."
    m = re.match(r"^((?:She|He|They|I|We|[A-Z][a-z]+) [^,]+?) (if|when|after|before|once) ([^,]+)\.$", s)
    if m and len(m.group(3).split()) >= 3 and (m.group(1).split()[0] in PRON or _is_name(m.group(1).split()[0])):
        head = m.group(1)
        head = _lower_first(head) if head.split()[0] in PRON[:-2] + ("We",) else head
        return m.group(2).capitalize() + " " + m.group(3) + ", " + head + "."
    return s


# ----------------------------------------------------------------------------------------------- 6. question

LEADS = ["So, ", "The question is: ", "Here is what we want to know: ", "Now tell me, ", "With all that, "]
TOTALS = ["in total", "altogether", "in all", "combined"]


def _restate(q: str, rng: random.Random, past: bool) -> str:
    opts = []
    m = re.match(r"^What (is|was|are|were) (the .+)\?$", q)
    if m:
        opts.append(lambda: rng.choice(["Find", "Work out", "Determine", "Calculate"]) + " " + m.group(2) + ".")
    m2 = re.match(r"^(?:Find|Calculate|Determine|Compute|Work out) (the .+)\.$", q)
    if m2:
        opts.append(lambda: "What " + ("was" if past else "is") + " " + m2.group(1) + "?")
    m3 = re.search(r"\b(in total|altogether|in all|combined)(?=\?$)", q)
    if m3:
        opts.append(lambda: q[:m3.start()] + rng.choice([t for t in TOTALS if t != m3.group(1)]) + "?")
    if re.match(r"^How long\b", q) and re.search(r"\b(?:take|takes|took|taken)\b", q):
        opts.append(lambda: "How much time" + q[len("How long"):])
    if re.match(r"^How much time\b", q):
        opts.append(lambda: "How long" + q[len("How much time"):])
    if re.match(r"^How far\b", q):
        opts.append(lambda: "What distance" + q[len("How far"):])
    if re.match(r"^How old\b", q):
        opts.append(lambda: "What age" + q[len("How old"):])
    if re.match(r"^(?:How|What|Which|Who|If|Assuming|Given)\b", q) and q.endswith("?"):
        opts.append(lambda: rng.choice(LEADS) + q[0].lower() + q[1:])
    if not opts:
        return q
    out = rng.choice(opts)()
    return out


# ----------------------------------------------------------------------------------------------- 7. frame and NoOp

TOWNS = ["Millbrook", "Ashford", "Cedar Falls", "Brookhaven", "Oakridge", "Pine Hollow", "Riverton", "Elmwood",
         "Stonebridge", "Maple Grove"]
FRAME_NOW = ["It is a busy week in the little town of {town}.", "Life in {town} is usually quiet.",
             "This is a short story from {town}.", "{name} lives in a small town called {town}.",
             "Everyone in {town} knows {name}.", "This is a story about {name}.",
             "{name} has lived in {town} for as long as anyone can remember."]
FRAME_PAST = ["It was a busy week in the little town of {town}.", "Life in {town} was usually quiet.",
              "This is a short story from {town}.", "{name} lived in a small town called {town}.",
              "Everyone in {town} knew {name}.", "This is a story about {name}.",
              "Not much ever happened in {town}, but this did."]
PREFIX = ["In a small town called {town}, ", "Over in {town}, ", "In the quiet village of {town}, ",
          "Down in {town}, "]
PEOPLE = _words("""students people kids children friends guests workers employees players members customers teachers
boys girls adults passengers visitors tourists classmates runners volunteers painters bakers drivers dancers singers swimmers
hikers campers farmers doctors nurses babies parents cousins siblings brothers sisters nephews nieces grandchildren clients
patients participants contestants attendees fans riders surfers pupils athletes musicians artists men women coworkers
colleagues neighbors neighbours soldiers scouts shoppers seniors teenagers toddlers infants programmers engineers staff
cooks chefs waiters guards officers employees attendants""")
PEOPLE_ATTR = [("are left-handed", "is left-handed"), ("are new to the area", "is new to the area"),
               ("are wearing glasses", "is wearing glasses"), ("have a birthday in May", "has a birthday in May")]
THING_ATTR = ["are a little smaller than the others", "are slightly bigger than average",
              "are a bit older than the rest"]
PHYSICAL = _words("""eggs balls boxes bags bottles cans cars toys trees plants flowers shells seashells stones rocks
bricks candles balloons books chairs tables cakes loaves pies cookies shirts shoes hats dolls cards stamps coins jars baskets
fish animals birds cows horses dogs cats apples oranges lemons tomatoes potatoes carrots cupcakes muffins brownies
sandwiches pizzas marbles beads stickers crayons markers pens pencils racquets bikes bicycles boats trucks buses houses
windows doors puppies kittens chickens ducks pigs goats sheep lollipops candies chocolates bananas peaches pears plums
strawberries blueberries cherries grapes roses tulips daisies lilies sunflowers seeds nuts logs planks tiles sweaters
jackets socks dresses necklaces bracelets rings cups mugs plates bowls spoons forks pots pans bales snowballs sticks
toothpicks onions peppers cucumbers mangoes scones burgers tacos burritos quiches rabbits hamsters geese hens pebbles
novels comics magazines postcards badges basketballs baseballs volleyballs pendants hoodies crates cartons packs
bags pumpkins watermelons melons kiwis avocados donuts doughnuts bagels cookies biscuits""")
COMPARATIVE = _words("more less fewer other extra additional remaining different same")
WHEN = ["last year", "the year before", "last season", "a month ago"]
NOOP_RE = re.compile(r"(?<![\d.$,/])\b(\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) ((?:[a-z]+ )?)"
                     r"([a-z]+s|children|people|sheep|geese)\b(?![’'-])")


def _main_name(text: str) -> str | None:
    """The first capitalised word used like a person's name: before a verb, a possessive or "and <Name>"."""
    for m in re.finditer(r"\b([A-Z][a-z]+)(?=[’']s\b| and [A-Z]| ([a-z]+)\b)", text):
        w, nxt = m.group(1), m.group(2) or ""
        if w in STOP or w.endswith("ing"):
            continue
        if not nxt or nxt in S_PAST or nxt in IRREG or nxt in ("was", "were", "had", "did", "and", "wants", "needs") \
                or (nxt.endswith("ed") and nxt not in ("need", "speed", "red", "bed", "seed")):
            return w
    return None


PAST_FORMS = frozenset(v for k, v in S_PAST.items() if v != k[:-1] and v not in (
    "put", "cut", "set", "hit", "let", "read", "cost", "quit", "split", "bid", "beat", "left", "lost", "found")) | {
    "was", "were", "had", "did"}


def _story_past(text: str) -> bool:
    """Whether the story is mostly told in the past tense."""
    past = sum(1 for w in re.findall(r"\b[a-z]+\b", text) if w in PAST_FORMS or (
        w.endswith("ed") and len(w) > 4 and w not in ("need", "speed", "hundred", "based", "used", "feed")))
    present = len(re.findall(r"\b(?:is|are|has|have|does|do)\b", text)) + sum(
        1 for w in re.findall(r"\b[a-z]+s\b", text) if w in S_PAST and w not in S_AMBIG)
    return past > present


def _frame(sents: list[str], text: str, rng: random.Random, past: bool) -> list[str]:
    name, town = _main_name(text), rng.choice(TOWNS)
    if rng.random() < 0.35 and len(sents) > 1 and not sents[0].startswith("I ") and sents[0].endswith(".") and \
            not sents[0].startswith(tuple(LEADS)):
        sents[0] = rng.choice(PREFIX).format(town=town) + _lower_first(sents[0])
        return sents
    pool = [f for f in (FRAME_PAST if past else FRAME_NOW) if "{name}" not in f or name]
    return [rng.choice(pool).format(town=town, name=name)] + sents


def _noop(sents: list[str], q_idx: int, rng: random.Random) -> tuple[list[str], int]:
    cands = []
    for i, s in enumerate(sents[:q_idx]):
        if not s.endswith("."):
            continue
        for m in NOOP_RE.finditer(s):
            n = WORD_NUM[m.group(1)] if m.group(1) in WORD_NUM else int(m.group(1))
            noun, adj = m.group(3), m.group(2).strip()
            if (noun in NOT_PLURAL or len(noun) < 4) and adj.endswith("s") and adj not in NOT_PLURAL:
                noun, adj = adj, ""
            if adj in NOT_COUNT or adj in COMPARATIVE or (adj in S_PAST and adj not in S_AMBIG) or (
                    noun in S_PAST and noun not in S_AMBIG) or noun in NOT_PLURAL or len(noun) < 3:
                continue
            if noun not in NOT_COUNT and 2 <= n <= 100000 and not s[:m.start()].endswith(("$", "£")):
                cands.append((i, n, (adj + " " + noun).strip(), noun))
        for m in re.finditer(r"\$(\d+)(?![\d.,])", s):
            if int(m.group(1)) >= 4:
                cands.append((i, int(m.group(1)), "$", "$"))
    if not cands:
        return sents, q_idx
    i, n, phrase, noun = rng.choice(cands)
    d = rng.randint(2, min(20, max(3, n // 8)))
    if noun == "$":
        new = f"That is ${d} more than {rng.choice(WHEN)}."
    elif noun in PEOPLE:
        k = rng.randint(1, min(n - 1, 30))
        many, one = rng.choice(PEOPLE_ATTR)
        new = f"One of the {phrase} {one}." if k == 1 else f"{k} of the {phrase} {many}."
    elif rng.random() < 0.5 or n < 4 or noun not in PHYSICAL:
        new = f"That is {d} more {phrase} than {rng.choice(WHEN)}."
    else:
        k = rng.randint(2, max(2, min(n // 2, 30)))
        attr = rng.choice(THING_ATTR)
        new = f"{k} of the {phrase} {attr}." if k < n else f"Some of the {phrase} {attr}."
    host_present = any(w in S_PAST or w in ("is", "are", "has", "have", "does", "do", "can")
                       for w in re.findall(r"\b[a-z]+\b", sents[i]))
    if _story_past(sents[i]) if host_present else _story_past(" ".join(sents)):
        new = _tense_sentence(new)
    sents.insert(i + 1, new)
    return sents, q_idx + 1


# ----------------------------------------------------------------------------------------------- 8. register

HAS_PART = _words("""been got gotten gone done made had chosen taken given eaten written driven grown known shown
flown ridden broken stolen worn torn thrown drawn fallen forgotten hidden beaten seen bought sold spent saved collected
finished decided""")
CONTRACT = [(r"\bdoes not\b", "doesn’t"), (r"\bdo not\b", "don’t"), (r"\bdid not\b", "didn’t"),
            (r"\bis not\b", "isn’t"), (r"\bare not\b", "aren’t"), (r"\bwas not\b", "wasn’t"),
            (r"\bwere not\b", "weren’t"), (r"\bhas not\b", "hasn’t"), (r"\bhave not\b", "haven’t"),
            (r"\bhad not\b", "hadn’t"), (r"\bwould not\b", "wouldn’t"), (r"\bcould not\b", "couldn’t"),
            (r"\bshould not\b", "shouldn’t"), (r"\bwill not\b", "won’t"), (r"\bcan ?not\b", "can’t"),
            (r"\b(it|that|there|what|he|she) is\b(?= [a-z$\d])", r"\1’s"), (r"\b(they|we|you) are\b(?= [a-z$\d])", r"\1’re"),
            (r"\bI am\b", "I’m"), (r"\b(I|he|she|they|we|it) will\b", r"\1’ll"), (r"\blet us\b", "let’s"),
            (r"\b(I|he|she|they|we|you) would like\b", r"\1’d like")]
EXPAND = [(r"\bwon([’'])t\b", "will not"), (r"\bcan([’'])t\b", "cannot"), (r"\b(\w+)n([’'])t\b", r"\1 not"),
          (r"\b(it|he|she|that|there)([’'])s (?=(?:" + "|".join(sorted(HAS_PART)) + r")\b)", r"\1 has "),
          (r"\b(it|that|there|what|here|he|she)([’'])s\b(?! [a-z]+ed\b)(?! (?:" + "|".join(sorted(HAS_PART)) + r")\b)",
           r"\1 is"),
          (r"\blet([’'])s\b", "let us"), (r"\b(\w+)([’'])re\b", r"\1 are"), (r"\bI([’'])m\b", "I am"),
          (r"\b(\w+)([’'])ve\b", r"\1 have"), (r"\b(\w+)([’'])ll\b", r"\1 will"), (r"\b(\w+)([’'])d like\b",
                                                                                 r"\1 would like")]


def _register(t: str, rng: random.Random) -> str:
    apo = "'" if t.count("'") > t.count("’") else "’"
    if rng.random() < 0.6:
        for pat, rep in CONTRACT:
            t = re.sub(pat, lambda m, rep=rep: _cap(m.expand(rep).replace("’", apo), m.group()), t, flags=re.IGNORECASE)
    else:
        for pat, rep in EXPAND:
            t = re.sub(pat, lambda m, rep=rep: _cap(m.expand(rep), m.group()), t, flags=re.IGNORECASE)
    return t


BRIT = [("colors", "colours"), ("colored", "coloured"), ("colorful", "colourful"), ("color", "colour"),
        ("favorites", "favourites"), ("favorite", "favourite"), ("neighborhood", "neighbourhood"),
        ("neighbors", "neighbours"), ("neighbor", "neighbour"), ("flavors", "flavours"), ("flavor", "flavour"),
        ("behavior", "behaviour"), ("honor", "honour"), ("labor", "labour"), ("harbor", "harbour"),
        ("centers", "centres"), ("center", "centre"), ("theaters", "theatres"), ("theater", "theatre"),
        ("kilometers", "kilometres"), ("kilometer", "kilometre"), ("centimeters", "centimetres"),
        ("centimeter", "centimetre"), ("millimeters", "millimetres"), ("meters", "metres"), ("meter", "metre"),
        ("milliliters", "millilitres"), ("liters", "litres"), ("liter", "litre"), ("fibers", "fibres"),
        ("fiber", "fibre"), ("gray", "grey"), ("jewelry", "jewellery"), ("traveled", "travelled"),
        ("traveling", "travelling"), ("travelers", "travellers"), ("traveler", "traveller"), ("canceled", "cancelled"),
        ("organized", "organised"), ("organizes", "organises"), ("organize", "organise"),
        ("organizing", "organising"), ("organization", "organisation"), ("realized", "realised"),
        ("realizes", "realises"), ("realize", "realise"), ("memorize", "memorise"), ("apologize", "apologise"),
        ("aluminum", "aluminium"), ("moms", "mums"), ("mom", "mum"), ("math", "maths"), ("pajamas", "pyjamas"),
        ("donuts", "doughnuts"), ("donut", "doughnut"), ("airplanes", "aeroplanes"), ("airplane", "aeroplane"),
        ("toward", "towards"), ("enrolls", "enrols"), ("practiced", "practised"), ("cozy", "cosy"),
        ("defense", "defence"), ("percent", "per cent"),
        ("cookies", "biscuits"), ("cookie", "biscuit"), ("soccer", "football"), ("vacations", "holidays"),
        ("vacation", "holiday"), ("apartments", "flats"), ("apartment", "flat"), ("gas station", "petrol station"),
        ("gasoline", "petrol"), ("gas", "petrol"), ("trucks", "lorries"), ("truck", "lorry"),
        ("sidewalk", "pavement"), ("trash", "rubbish"), ("garbage", "rubbish"), ("movie theater", "cinema"),
        ("movies", "films"), ("movie", "film"), ("elevator", "lift"), ("potato chips", "crisps"),
        ("french fries", "chips"), ("zucchini", "courgette"), ("zucchinis", "courgettes"), ("eggplants", "aubergines"),
        ("eggplant", "aubergine"), ("diapers", "nappies"), ("diaper", "nappy"), ("sweaters", "jumpers"),
        ("sweater", "jumper"), ("sneakers", "trainers"), ("parking lot", "car park"), ("grocery store", "supermarket"),
        ("cell phones", "mobile phones"), ("cell phone", "mobile phone"), ("flashlight", "torch"),
        ("cotton candy", "candyfloss"), ("backpacks", "rucksacks"), ("backpack", "rucksack"),
        ("candy bars", "chocolate bars"), ("candy bar", "chocolate bar"), ("candy store", "sweet shop"),
        ("popsicles", "ice lollies"), ("popsicle", "ice lolly")]
BRIT_RE = re.compile(r"\b(" + "|".join(re.escape(a) for a, _ in sorted(BRIT, key=lambda x: -len(x[0]))) + r")\b(?!-)",
                     re.IGNORECASE)
BRIT_MAP = {a: b for a, b in BRIT}


def _british(t: str, rng: random.Random) -> str:
    if re.search(r"\bchips\b", t) and "french fries" in t.lower():
        t = re.sub(r"\bchips\b", "crisps", t)

    def sub(m: re.Match) -> str:
        w = m.group()
        new = BRIT_MAP[w.lower()]
        if w.isupper() or (w[:1].isupper() and m.start() > 0 and not re.search(r"[.!?]\s*$", t[max(0, m.start() - 3):m.start()])
                           and w.lower() not in ("mom", "moms")):
            return w
        return _cap(new, w)
    t = BRIT_RE.sub(sub, t)
    t = re.sub(r"\b(the|a|this|that|each|every|local|toy|pet|book|clothing|shoe|hardware|department|convenience|"
               r"furniture|grocery|craft) store(s?)\b", r"\1 shop\2", t)
    if rng.random() < 0.5:
        t = re.sub(r"(?<![\d.])(\d+(?:\.\d+)?)%", r"\1 per cent", t)
    if (re.search(r"\$\d|\bdollars?\b|\bbucks\b", t)
            and not re.search(r"\b(?:nickels?|dimes?|quarters|euros?|£)", t, re.IGNORECASE)):
        euro = bool(re.search(r"\bpounds?\b|\bpence\b", t))
        sym, one, many, small, smalls = ("€", "euro", "euros", "cent", "cents") if euro else (
            "£", "pound", "pounds", "penny", "pence")
        t = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)( bills?)?", lambda m: sym + m.group(1) + (
            m.group(2).replace("bill", "note") if m.group(2) and not euro else (m.group(2) or "")), t)
        t = re.sub(r"\$", sym, t)
        t = re.sub(r"\b(\d+)-dollar\b", r"\1-" + one, t)
        t = re.sub(r"\bdollars\b", many, t)
        t = re.sub(r"\bDollars\b", _cap(many, "D"), t)
        t = re.sub(r"\bdollar\b", one, t)
        t = re.sub(r"\bbucks\b", "quid" if not euro else "euros", t)
        t = re.sub(r"\bcents\b", smalls, t)
        t = re.sub(r"(?<!\bper )\bcent\b", small, t)
    return t


# ----------------------------------------------------------------------------------------------- driver


def _question_index(sents: list[str]) -> int:
    for i in range(len(sents) - 1, -1, -1):
        if sents[i].endswith("?"):
            return i
    return len(sents) - 1


KINDS_ORDER = ["money", "forms", "objects", "noop", "structure", "tense", "question", "frame", "register", "british"]
PROB = {"forms": 0.7, "money": 0.35, "objects": 0.7, "tense": 0.5, "structure": 0.7, "question": 0.7, "frame": 0.55,
        "noop": 0.5, "register": 0.5, "british": 0.4}


def _safe(fn, *args, default=None):
    """``fn(*args)``, or ``default`` (else the first argument, unchanged) should a rule meet text it cannot handle."""
    try:
        return fn(*args)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, re.error):
        return args[0] if default is None else default


def _apply(text: str, rng: random.Random, on: set[str]) -> tuple[str, int]:
    """Apply the chosen kinds in a fixed order; return the text and how many kinds changed it."""
    changed = 0

    def did(before: object, after: object) -> None:
        nonlocal changed
        changed += before != after

    if "money" in on:
        new = _safe(_expand_money, text, rng)
        did(text, new)
        text = new
    if "forms" in on:
        new = _safe(_forms_words if rng.random() < 0.5 else _forms_symbols, text, rng)
        did(text, new)
        text = new
    if "objects" in on:
        new = _safe(_swap_objects, text, rng)
        did(text, new)
        text = new
    original = text
    sents = _split(text)
    q_idx = _question_index(sents)
    if "noop" in on:
        n = len(sents)
        sents, q_idx = _safe(lambda s, i: _noop(list(s), i, rng), sents, q_idx, default=(sents, q_idx))
        did(n, len(sents))
    if "structure" in on:
        before = list(sents)
        for i in range(len(sents)):
            if i != q_idx and rng.random() < 0.7:
                sents[i] = _safe(_swap_list, sents[i])
        if rng.random() < 0.6:
            j = rng.randrange(len(sents))
            sents[j] = _safe(_move_clause, sents[j], j == q_idx)
        if rng.random() < 0.8:
            n = len(sents)
            sents = _safe(lambda s: _merge(list(s), q_idx, rng), sents)
            q_idx -= n - len(sents)
            if n == len(sents):
                for i in range(q_idx):
                    new = _safe(_split_clause, sents[i])
                    if new != sents[i]:
                        sents[i:i + 1] = _split(new)
                        q_idx += len(sents) - n
                        break
        did(before, sents)
    past = False
    if "tense" in on and not FUTURE.search(original):
        before = list(sents)
        sents = _safe(_to_past, sents)
        past = before != sents
        did(before, sents)
    if "question" in on and 0 <= q_idx < len(sents):
        before = sents[q_idx]
        sents[q_idx] = _safe(lambda q: _restate(q, rng, past), sents[q_idx])
        did(before, sents[q_idx])
    if "frame" in on:
        sents = _safe(lambda s: _frame(list(s), original, rng, past or _story_past(original)), sents)
        changed += 1
    text = " ".join(sents)
    if "register" in on:
        new = _safe(_register, text, rng)
        did(text, new)
        text = new
    if "british" in on:
        new = _safe(_british, text, rng)
        did(text, new)
        text = new
    return text, changed


def rewrite(question: str, rng: random.Random) -> str:
    """Return a disguised copy of ``question``: the same problem, in another form (see the module docstring).

    Each kind is chosen at random; a problem on which fewer than three kinds changed anything is done again with
    every kind on (money expansion still at random), so each rewrite carries several changes.
    """
    text = re.sub(r"\s+", " ", question).strip()
    if not text:
        return text
    on = {k for k in KINDS_ORDER if rng.random() < PROB[k]}
    out, changed = _apply(text, rng, on)
    if changed < 3:
        on = set(KINDS_ORDER) - ({"money"} if rng.random() < 0.6 else set())
        out, changed = _apply(text, rng, on)
    return out
