"""A nineteenth rewrite style for GSM8K problems, written on 2026-12-05 (session 23) without seeing the matcher (nothing
under curation/ or factory/ read, listed or imported, no repo-wide grep, no decontamination bench, calibration, judge or
scoring script and no ``factory decontam`` run, no results, notes, README, git history, diffs or flag labels read), and
never used for calibration or for reading misses: a held-out check. Of styles 1-17 and the noise style only the module
docstrings (their first 60 lines) were read, to stay clear of them.

It models the *deliberate evader*: someone who knows that contamination filters exist (13-gram overlap as in the
GPT-3 / Llama reports, n-grams over templates with numbers, number words, units and names masked, sentence-embedding
similarity under a threshold, an LLM judge for the borderline) and wants GSM8K test items to stay in a training set
while passing them, as the "rephrased samples" of Yang et al. 2023 did, yet keeps every item solvable and the same
(so that a model trained on it still memorises the benchmark; cf. GSM1k, ConStat, TS-Guessing, the data contamination
quiz). Every quantity-bearing fact keeps its role, the solution steps and the question are the same; values change only
in their written form, except money, which may be scaled by one factor throughout (the answer scales with it). Each kind
is switched on at random per problem; a problem with fewer than three kinds changing it is redone from the original
with one more kind switched on at a time until three do (or all are on). The kinds run in the order 1, 2, 3, 5, 6, 7,
4, 8, 9:

1. names: every person gets a new name of the gender read off the pronouns after it (an unmarked name when unclear),
   a surname after Mr/Mrs/Ms/Dr another surname, consistently, possessives too;
2. object kinds: the things counted move to a sibling kind from its own table (ducks -> geese, apples -> quinces,
   pencils -> crayons, cars -> vans, a kind keeps its legs or wheels), singular and plural, "a"/"an" made to agree; a
   kind whose singular also appears in a compound is left alone;
3. money scaled: every "$N" and "N dollars" times one factor (x2, x3, x4, x5 or x10), together, when no coins, bills,
   cents or a bare "dollar" appear, so every money relation holds and the answer scales;
4. lexical distance: verbs nominalised before a quantity ("buys 3" -> "makes a purchase of 3", "walks 2 miles" ->
   "takes a walk of 2 miles", "pays $5" -> "makes a payment of $5", "donates" -> "makes a donation of"), then one
   synonym per problem for each entry of its own table, every inflection alike ("sells" -> "vends"/"retails"/
   "offloads", "earns" -> "nets"/"rakes in", "eats" -> "consumes"/"polishes off", "collects" -> "amasses", "store" ->
   "retail outlet", "friends" -> "companions"/"chums", "money" -> "cash"/"dough", "costs $4" -> "is priced at $4",
   "goes to" -> "heads to", "delivers" -> "drops off", "mom" -> "mother", "every day" -> "on a daily basis",
   "the remainder" -> "the balance", "in total" -> "all told", "because" -> "owing to the fact that", ...);
5. clause restructuring: "She bought 3 apples." -> "3 apples were bought by her." (active -> passive), "Tom has 4
   pens." -> "4 pens belong to Tom.", a leading "If/When ..., ..." moved behind its main clause ("..., provided
   that ..."), a sentence split at ", and she" / ", but" / ", so", two short facts merged with "; on top of that,",
   two self-contained facts swapped, or the question put first ("How many ...? What is known: ...");
6. the question re-asked: undone from its inverted form into a noun phrase or an embedded clause ("How many eggs
   does she sell?" -> "What I am after is the number of eggs she sells.", "Pin down how much she makes daily."), or
   "How many" -> "What count of", "How much" -> "What amount of" when it cannot be undone;
7. translation round trip (an English -> German/French -> English pass written as rules): the verb second after a
   fronted adverbial ("On Monday, she sold 20 cakes." -> "On Monday sold she 20 cakes."), a trailing time phrase
   fronted the same way ("She eats three every morning." -> "Every morning eats she three."), inverted questions
   without "do" ("How many eggs does she sell?" -> "How many eggs sells she?"), "twice as many" -> "double so many",
   "3 times as many" -> "3 times so many", "more than" -> "more as", "half of the" -> "the half of the", "$2 each" ->
   "$2 per piece", "$50 a day" -> "$50 the day", "every day" -> "day for day", "for breakfast" -> "to the
   breakfast", "at the market" -> "on the market", "years old" -> "years of age", "does his homework" -> "makes his
   homework", "pays for" -> "pays", "waits for" -> "waits on", "spends 3 hours" -> "passes 3 hours", "next week" ->
   "the next week", "How much does X cost?" -> "How expensive is X?", "How long" -> "How much time", "it takes" ->
   "one needs", "wants to" -> "would like to", "has to" -> "must", "John's car" -> "the car of John", contractions
   undone;
8. number forms, values kept: words ("16" -> "sixteen"), "a dozen and a half", "two score", "a gross", "half a
   hundred", "a baker's dozen", arithmetic-phrased values ("four less than twenty eggs", "two times eight eggs",
   "half of 32 eggs"), "2.5" -> "two and a half", "25%" -> "twenty-five percent" / "a quarter of", "1/2" -> "one
   half", "$5" -> "five dollars";
9. a wrapper, one of: the problem split across a chat (the user gives it in pieces, the assistant only acknowledges),
   interleaved with unrelated number-free sentences (a rambling note), or embedded in a longer task (an email with
   an attachment, a "translate, then solve" job, a code fixture, a multi-step instruction list).

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v19 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(3)))
    # fixtures/word_problems.py
    PROMPT = (
        "Xiomara has 3 quinces. She secured 2 more for $25. How many quinces has Xiomara?"
    )
    EXPECTED = None  # fill in the numeric answer
"""
from __future__ import annotations

import random
import re

__all__ = ["rewrite"]

# ----------------------------------------------------------------------------------------------------------------------
# small helpers

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _words(n: int) -> str:
    if n < 0:
        return "minus " + _words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("-" + _ONES[o] if o else "")
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + (" and " + _words(r) if r else "")
    if n < 1_000_000:
        th, r = divmod(n, 1000)
        if r == 0:
            return _words(th) + " thousand"
        return _words(th) + " thousand" + (" and " if r < 100 else " ") + _words(r)
    m, r = divmod(n, 1_000_000)
    return _words(m) + " million" + ((" " + _words(r)) if r else "")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _match_case(src: str, rep: str) -> str:
    if src[:1].isupper():
        return _cap(rep)
    return rep


_ABBR = [("Mr.", "Mr\u2060"), ("Mrs.", "Mrs\u2060"), ("Ms.", "Ms\u2060"), ("Dr.", "Dr\u2060"), ("St.", "St\u2060"),
         ("a.m.", "a\u2060m\u2060"), ("p.m.", "p\u2060m\u2060"), ("vs.", "vs\u2060"), ("etc.", "etc\u2060")]


def _protect(t: str) -> str:
    for a, b in _ABBR:
        t = t.replace(a, b)
    return t


def _unprotect(t: str) -> str:
    for a, b in _ABBR:
        t = t.replace(b, a)
    return t


def _sentences(text: str) -> list[str]:
    t = _protect(" ".join(text.split()))
    parts = re.split(r"(?<=[.?!])\s+(?=[A-Z0-9$\"'])", t)
    return [_unprotect(p) for p in parts if p.strip()]


def _join(sents: list[str]) -> str:
    return " ".join(s.strip() for s in sents if s.strip())


def _split_question(text: str) -> tuple[list[str], list[str]]:
    """Facts before the first sentence with a '?', and that sentence with what follows."""
    ss = _sentences(text)
    for i, s in enumerate(ss):
        if "?" in s:
            return ss[:i], ss[i:]
    # no question mark: the last sentence is the ask
    return ss[:-1], ss[-1:]


def _fix_articles(t: str) -> str:
    def rep(m):
        art, word = m.group(1), m.group(2)
        vowel = word[0].lower() in "aeiou" and not word.lower().startswith(("uni", "use", "one", "eu", "ewe"))
        if word.lower().startswith(("hour", "honest", "heir")):
            vowel = True
        new = "an" if vowel else "a"
        return _match_case(art, new) + " " + word
    return re.sub(r"(?:(?<=^)|(?<=[.?!:\n\"] )|(?<=\n)|(?<=[a-z,;] ))\b([Aa]n?|A|An) ([a-z][a-z-]*)\b(?!')",
                  lambda m: m.group(0) if (m.group(1)[0] == "A" and m.start() > 0 and t[m.start() - 2] in "abcdefghijklmnopqrstuvwxyz,;")
                  else rep(m), t)


def _recap(t: str) -> str:
    t = _protect(t)
    t = re.sub(r"^(\s*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), t)
    return _unprotect(re.sub(r"([.?!]\s+|\n\s*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), t))


_PRON_SUBJ = {"she", "he", "they", "it", "we", "i", "you"}
_OBJ_FORM = {"she": "her", "he": "him", "they": "them", "i": "me", "we": "us", "you": "you", "it": "it"}

# ----------------------------------------------------------------------------------------------------------------------
# verbs (for undoing questions, passives and nominalisation)

_IRREG = {
    "have": ("has", "had", "had"), "do": ("does", "did", "done"), "go": ("goes", "went", "gone"),
    "make": ("makes", "made", "made"), "buy": ("buys", "bought", "bought"), "sell": ("sells", "sold", "sold"),
    "spend": ("spends", "spent", "spent"), "pay": ("pays", "paid", "paid"), "get": ("gets", "got", "gotten"),
    "take": ("takes", "took", "taken"), "eat": ("eats", "ate", "eaten"), "give": ("gives", "gave", "given"),
    "read": ("reads", "read", "read"), "run": ("runs", "ran", "run"), "drive": ("drives", "drove", "driven"),
    "lose": ("loses", "lost", "lost"), "win": ("wins", "won", "won"), "bring": ("brings", "brought", "brought"),
    "keep": ("keeps", "kept", "kept"), "leave": ("leaves", "left", "left"), "find": ("finds", "found", "found"),
    "catch": ("catches", "caught", "caught"), "lay": ("lays", "laid", "laid"), "feed": ("feeds", "fed", "fed"),
    "ride": ("rides", "rode", "ridden"), "write": ("writes", "wrote", "written"), "swim": ("swims", "swam", "swum"),
    "drink": ("drinks", "drank", "drunk"), "grow": ("grows", "grew", "grown"), "cut": ("cuts", "cut", "cut"),
    "put": ("puts", "put", "put"), "sleep": ("sleeps", "slept", "slept"), "build": ("builds", "built", "built"),
    "hold": ("holds", "held", "held"), "see": ("sees", "saw", "seen"), "sing": ("sings", "sang", "sung"),
    "owe": ("owes", "owed", "owed"), "need": ("needs", "needed", "needed"), "shop": ("shops", "shopped", "shopped"),
    "stop": ("stops", "stopped", "stopped"), "plan": ("plans", "planned", "planned"), "jog": ("jogs", "jogged", "jogged"),
    "be": ("is", "was", "been"), "throw": ("throws", "threw", "thrown"), "fly": ("flies", "flew", "flown"),
    "send": ("sends", "sent", "sent"), "lend": ("lends", "lent", "lent"), "spin": ("spins", "spun", "spun"),
    "sit": ("sits", "sat", "sat"), "wear": ("wears", "wore", "worn"), "hit": ("hits", "hit", "hit"),
    "bake": ("bakes", "baked", "baked"), "cost": ("costs", "cost", "cost"), "teach": ("teaches", "taught", "taught"),
    "forget": ("forgets", "forgot", "forgotten"), "choose": ("chooses", "chose", "chosen"),
    "draw": ("draws", "drew", "drawn"), "fall": ("falls", "fell", "fallen"), "break": ("breaks", "broke", "broken"),
    "begin": ("begins", "began", "begun"), "shoot": ("shoots", "shot", "shot"), "meet": ("meets", "met", "met"),
    "weigh": ("weighs", "weighed", "weighed"), "fit": ("fits", "fit", "fit"), "set": ("sets", "set", "set"),
    "earn": ("earns", "earned", "earned"), "save": ("saves", "saved", "saved"), "use": ("uses", "used", "used"),
}
_COMMON_VERBS = set(_IRREG) | {
    "collect", "receive", "walk", "travel", "work", "score", "produce", "harvest", "plant", "jump", "pick", "charge",
    "return", "contain", "watch", "play", "fill", "deliver", "type", "burn", "cook", "serve", "count", "pack",
    "prepare", "donate", "raise", "gain", "complete", "answer", "fold", "paint", "invest", "borrow", "carry", "stack",
    "pour", "remain", "require", "finish", "order", "rent", "bike", "hike", "climb", "sew", "knit", "clean", "wash",
    "mow", "earn", "add", "end", "study", "practice", "visit", "want", "own", "spend", "make", "sell", "purchase",
    "close", "open", "attend", "print", "post", "download", "upload", "recycle", "water", "feed", "pay", "lift",
    "squeeze", "peel", "chop", "slice", "bake", "fry", "boil", "grill", "roast", "afford", "expect", "lose",
    "tip", "get", "keep", "bring", "save", "use", "have", "do", "take", "eat", "give", "read", "run", "drive", "need",
}


def _third(base: str) -> str:
    if base in _IRREG:
        return _IRREG[base][0]
    if re.search(r"(s|sh|ch|x|z|o)$", base):
        return base + "es"
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ies"
    return base + "s"


def _past(base: str) -> str:
    if base in _IRREG:
        return _IRREG[base][1]
    if base.endswith("e"):
        return base + "d"
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ied"
    return base + "ed"


def _part(base: str) -> str:
    if base in _IRREG:
        return _IRREG[base][2]
    return _past(base)


_BY_FORM: dict[str, tuple[str, str]] = {}
for _b in _COMMON_VERBS:
    _BY_FORM.setdefault(_third(_b), (_b, "3"))
    _BY_FORM.setdefault(_past(_b), (_b, "p"))

# ----------------------------------------------------------------------------------------------------------------------
# 1. names

_NOT_NAMES = set("""
The A An If How What When Where Which Who Whom Whose Why After Before During Each Every Some All Any Both Half One Two
Three Four Five Six Seven Eight Nine Ten Eleven Twelve Twenty Thirty Forty Fifty Hundred Thousand She He They It We I You
Her His Their Its Our My Your This That These Those There Then Than So But And Or Also In On At By For From To Of With
Without Over Under Between Among Into Onto Upon Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
February March April May June July August September October November December Christmas Easter Halloween Thanksgiving
Valentine New Year Years Mr Mrs Ms Dr St Mount Lake River Street Avenue Park School University College Store Market
However Meanwhile Later Today Tomorrow Yesterday Tonight Last Next First Second Third Fourth Fifth Finally Since As
Because While Until Although Though Once Now Not No Yes Please Calculate Find Determine Compute Suppose Assume Given
Let Consider Express Round Give Write Use Show Answer Question Mom Dad Mother Father Grandma Grandpa Grandmother
Grandfather Aunt Uncle Sister Brother Mrs Miss Sir Madam Lady Lord King Queen Prince Princess Captain Coach Doctor
Professor Officer Teacher Chef Farmer American English French Spanish German Chinese Japanese Italian Mexican Indian
Canadian British European African Asian Dutch Greek Irish Russian Korean Thai Internet TV Lego Legos Oreo Oreos Uber
Amazon Google Facebook Instagram YouTube Netflix Disney Starbucks Walmart Target Costco McDonald Olympic Olympics
PE Math Maths Science History Art Music Spanish Earth Mars Moon Sun God Santa Bible Grade Room Page Chapter Level Team
Club Company Inc City Town County State Country North South East West Central National International Pacific Atlantic
Ocean Lakes Hills Hill Road Lane Drive Way Bay Beach Island Islands Forest Garden Gardens Center Centre Mall Hall
During Despite Within Per Whenever Other Another Such Most More Many Much Several Few Little Only Just Even Every
Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii Idaho Illinois Indiana
Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska
Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin Wyoming York Jersey
Carolina Dakota Hampshire Mexico Boston Chicago Denver Dallas Houston Miami Seattle Portland Atlanta Phoenix Vegas
Angeles Francisco Diego Orleans London Paris Rome Berlin Madrid Tokyo Canada China Japan India France Spain Italy
Germany England Ireland Scotland Australia Africa Europe Asia America Brazil Egypt Kenya Nigeria Peru Chile
Disneyland Hawaiian
Some Let's Here Why Day Eve Week Weekend Holiday Limited Ltd Co Corp Street Mother's Father's Hot Chip Recently Originally Initially Currently Usually Normally Eventually Unfortunately Luckily
""".split())

_TITLES = {"Uncle", "Aunt", "Grandma", "Grandpa", "Coach", "Captain", "Doctor", "Professor", "Officer", "Miss", "Sir",
           "Lady", "Lord", "King", "Queen", "Prince", "Princess", "Mom", "Dad", "Teacher", "Chef", "Farmer", "Sister",
           "Brother", "Grandmother", "Grandfather", "Mother", "Father", "Madam"}
_F_NAMES = ["Ingrid", "Marisol", "Thandiwe", "Odalys", "Brigid", "Fenna", "Rosalind", "Xiomara", "Henrike", "Leontyne",
            "Ysolde", "Philippa", "Nkechi", "Solveig", "Perpetua", "Clementine", "Zuzanna", "Ottilie", "Wilhelmina",
            "Ifeoma", "Radhika", "Bettina"]
_M_NAMES = ["Caspian", "Ignatius", "Rafferty", "Dashiell", "Emeka", "Lorcan", "Bartholomew", "Anselm", "Kwabena",
            "Florian", "Thaddeus", "Evander", "Cornelius", "Jasper", "Leopold", "Osvaldo", "Torsten", "Benedikt",
            "Ambrose", "Cyprian", "Gideon", "Ulrich"]
_N_NAMES = ["Ellery", "Marlowe", "Arden", "Lark", "Sasha", "Rowan", "Sunny", "Kit", "Emerson", "Hollis", "Jules",
            "Linden"]
_SURNAMES = ["Abernathy", "Okonkwo", "Vasquez-Lind", "Halloran", "Prendergast", "Nakagawa", "Szymanski", "Fairweather",
             "Ekwueme", "Lindqvist", "Montgomery", "Castellanos", "Whitcombe", "Oyelaran"]


def _gender_after(text: str, pos: int) -> str:
    seg = text[pos:pos + 260]
    m = re.search(r"\b(she|her|hers|herself|he|him|his|himself)\b", seg, re.I)
    if not m:
        return "n"
    return "f" if m.group(1).lower() in ("she", "her", "hers", "herself") else "m"


def _names(text: str, rng: random.Random) -> str:
    prot = _protect(text)
    out_map: dict[str, str] = {}
    used = set(re.findall(r"[A-Z][a-z]+", text))
    # surnames after titles
    for m in re.finditer(r"\b(Mr|Mrs|Ms|Dr)\u2060? ?([A-Z][a-z]+)", prot):
        sur = m.group(2)
        if sur not in out_map:
            pool = [s for s in _SURNAMES if s not in used and s not in out_map.values()]
            if pool:
                out_map[sur] = rng.choice(pool)
    lower_words = set(w.lower() for w in re.findall(r"\b[a-z]+\b", text))
    ok_prev = _FUNC_AFTER | set(_BY_FORM) | {"named", "called", "friend", "sister", "brother", "mom", "dad", "son",
                                             "daughter", "cousin", "aunt", "uncle", "neighbor", "neighbour", "wife",
                                             "husband", "both", "whereas", "while", "when", "tells", "told", "asks",
                                             "asked", "helps", "helped", "between", "like", "unlike", "about", "after",
                                             "before", "until", "since", "then", "whom", "where", "what", "how"}
    blocked = set()
    for qm in re.finditer(r"[\"\u201c]([^\"\u201d]{1,80})[\"\u201d]", prot):
        blocked.update(re.findall(r"[A-Z][a-z]+", qm.group(1)))
    for m in re.finditer(r"\b([A-Z][a-z]+)\b", prot):
        pw = re.search(r"([A-Za-z]+)\W*$", prot[:m.start()])
        if pw and prot[:m.start()].rstrip()[-1:].isalpha():
            p = pw.group(1)
            if p.lower() in ("a", "an", "the", "in", "on", "at", "near", "via", "visit", "visits", "visited", "his", "her",
                             "their", "its", "my", "our", "your", "this", "that", "these", "those", "some", "many") or (p.islower() and p not in ok_prev and not p.endswith("s")):
                blocked.add(m.group(1))
    for m in re.finditer(r"\b([A-Z][a-z]+)\b", prot):
        w = m.group(1)
        if w in out_map or w in _NOT_NAMES or w.lower() in lower_words or w in blocked:
            continue
        before = prot[:m.start()].rstrip()
        after = prot[m.end():]
        if w.endswith(("ing", "ly", "ed")) and (not before or before[-1] in ".?!:\"") and not after.startswith("'"):
            continue
        # not part of a multi-word proper noun, nor a label ("District A")
        if re.match(r"\s+[A-Z]\b(?!')", after):
            continue
        if re.match(r"\s+[A-Z][a-z]", after) or re.match(r"\s+(?:over|of|for|from|with|per|than|type|cards?)\b", after):
            continue
        if re.match(r"'s\s+[A-Z][a-z]", after):
            nxt = re.match(r"'s\s+([A-Z][a-z]+)", after).group(1)
            if nxt not in _NOT_NAMES:
                continue
        if re.search(r"[A-Z][a-z]+'s$", before) and re.search(r"([A-Z][a-z]+)'s$", before).group(1) in _NOT_NAMES:
            continue
        pm = re.search(r"([A-Z][a-z]+)$", before)
        if pm and pm.group(1) in _NOT_NAMES and pm.group(1) not in _TITLES and not re.search(
                r"(?:^|[.?!:\"]\s*)[A-Z][a-z]+$", before):
            continue
        if pm and pm.group(1) not in _NOT_NAMES and not re.search(r"[.?!:]\s*[A-Z][a-z]+$", before):
            continue
        g = _gender_after(prot, m.end())
        pool = {"f": _F_NAMES, "m": _M_NAMES, "n": _N_NAMES}[g]
        pool = [p for p in pool if p not in used and p not in out_map.values()]
        if not pool:
            continue
        out_map[w] = rng.choice(pool)
    if not out_map:
        return text
    pat = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(out_map, key=len, reverse=True)) + r")\b")
    return pat.sub(lambda m: out_map[m.group(1)], text)

# ----------------------------------------------------------------------------------------------------------------------
# 2. object kinds

_OBJECTS = [  # (singular, plural, new singular, new plural)
    ("apple", "apples", "quince", "quinces"), ("orange", "oranges", "tangerine", "tangerines"),
    ("banana", "bananas", "mango", "mangoes"), ("cookie", "cookies", "macaroon", "macaroons"),
    ("cupcake", "cupcakes", "tartlet", "tartlets"), ("muffin", "muffins", "scone", "scones"),
    ("pie", "pies", "tart", "tarts"), ("pencil", "pencils", "crayon", "crayons"), ("pen", "pens", "marker", "markers"),
    ("sticker", "stickers", "decal", "decals"), ("duck", "ducks", "goose", "geese"), ("chicken", "chickens", "hen", "hens"),
    ("cow", "cows", "yak", "yaks"), ("horse", "horses", "mule", "mules"), ("goat", "goats", "llama", "llamas"),
    ("dog", "dogs", "ferret", "ferrets"), ("cat", "cats", "rabbit", "rabbits"), ("shirt", "shirts", "jersey", "jerseys"),
    ("hat", "hats", "beret", "berets"), ("flower", "flowers", "bloom", "blooms"), ("rose", "roses", "peony", "peonies"),
    ("tulip", "tulips", "daffodil", "daffodils"), ("car", "cars", "van", "vans"),
    ("bike", "bikes", "scooter", "scooters"), ("truck", "trucks", "pickup", "pickups"), ("box", "boxes", "crate", "crates"),
    ("bag", "bags", "sack", "sacks"), ("basket", "baskets", "hamper", "hampers"), ("bottle", "bottles", "flask", "flasks"),
    ("plate", "plates", "platter", "platters"), ("candy", "candies", "toffee", "toffees"),
    ("toy", "toys", "trinket", "trinkets"), ("book", "books", "paperback", "paperbacks"),
    ("magazine", "magazines", "journal", "journals"), ("song", "songs", "tune", "tunes"),
    ("pizza", "pizzas", "calzone", "calzones"), ("sandwich", "sandwiches", "burrito", "burritos"),
    ("cake", "cakes", "torte", "tortes"), ("bracelet", "bracelets", "anklet", "anklets"),
    ("necklace", "necklaces", "pendant", "pendants"), ("candle", "candles", "lantern", "lanterns"),
    ("shell", "shells", "pebble", "pebbles"), ("stamp", "stamps", "badge", "badges"), ("chair", "chairs", "stool", "stools"),
    ("marble", "marbles", "bead", "beads"), ("ticket", "tickets", "pass", "passes"), ("puppy", "puppies", "kitten", "kittens"),
    ("doll", "dolls", "puppet", "puppets"), ("lemon", "lemons", "lime", "limes"), ("peach", "peaches", "plum", "plums"),
    ("cucumber", "cucumbers", "zucchini", "zucchinis"), ("tomato", "tomatoes", "pepper", "peppers"),
    ("bird", "birds", "parrot", "parrots"), ("sheep", "sheep", "alpaca", "alpacas"), ("pig", "pigs", "boar", "boars"),
    ("donut", "donuts", "pretzel", "pretzels"), ("brownie", "brownies", "blondie", "blondies"),
    ("notebook", "notebooks", "binder", "binders"),
    ("tree", "trees", "shrub", "shrubs"), ("card", "cards", "postcard", "postcards"),
]
_DETS = r"(?:a|an|one|each|every|per|the|that|this|another|1|single|any|first|last|same|whole)"


def _objects(text: str, rng: random.Random) -> str:
    low = text.lower()
    mapping: dict[str, str] = {}
    toks = set(re.findall(r"[a-z]+", low))
    for sing, plur, ns, np_ in _OBJECTS:
        if plur not in toks and sing not in toks:
            continue
        if ns in toks or np_ in toks:
            continue
        ok = True
        if sing != plur:
            for m in re.finditer(r"\b" + sing + r"\b", low):
                pre = low[:m.start()].rstrip()
                post = low[m.end():]
                if post.startswith(("'", "-")) or not re.search(r"\b" + _DETS + r"$", pre):
                    ok = False
                    break
                # "the apple tree": a compound
                nm = re.match(r"\s+([a-z]+)", post)
                if nm and nm.group(1) not in _FUNC_AFTER:
                    ok = False
                    break
        for m in re.finditer(r"\b" + plur + r"\b", low):
            post = low[m.end():]
            pw = re.findall(r"([a-z]+)[\s-]*$", low[:m.start()])
            if post.startswith(("'", "-")) or (pw and pw[0] in _COMPOUND_PRE):
                ok = False
                break
        if not ok:
            continue
        if rng.random() < 0.85:
            mapping[plur] = np_
            if sing != plur:
                mapping[sing] = ns
    if not mapping:
        return text
    pat = re.compile(r"\b(" + "|".join(sorted(mapping, key=len, reverse=True)) + r")\b", re.I)

    def rep(m):
        w = m.group(1)
        r = mapping.get(w.lower())
        if r is None:
            return w
        return _match_case(w, r)
    out = pat.sub(rep, text)
    return _fix_articles(out) if out != text else text


_COMPOUND_PRE = {"hot", "corn", "guinea", "sea", "prairie", "police", "water", "sun", "jelly", "gold", "cat", "dog",
                 "lap", "sheep", "hush", "sausage", "puppy", "teddy", "fire", "lady", "horse", "race", "sports",
                 "stock", "sky", "play", "toy", "board", "party", "gift", "credit", "report", "playing", "trading",
                 "greeting", "business", "birthday", "christmas", "valentine", "post", "tea", "coffee", "pork",
                 "swimming", "orange", "apple", "cherry", "pumpkin", "key", "tennis", "magic"}
_FUNC_AFTER = set("""is was are were has had and or but for to of in on at with by from that which who costs cost weighs
sells sold needs needed takes took can could will would should must does did do if as than so then because while costs
holds gives lays laid eats ate makes made has have into out up down off over every each per a an the his her their its
""".split())

# ----------------------------------------------------------------------------------------------------------------------
# 3. money scaled by one factor

_MONEY_BAD = re.compile(r"\b(cents?|bills?|coins?|quarters?|dimes?|nickels?|penn(?:y|ies)|change|dollar|round|"
                        r"rounded|nearest)\b|¢|£|€", re.I)
_NUMPAT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MONEY_RE = re.compile(r"\$\s?(" + _NUMPAT + r")|\b(" + _NUMPAT + r")(\s+dollars\b)")


def _fmt_money(v: float, commas: bool, had_dec: bool) -> str:
    if abs(v - round(v)) < 1e-9:
        iv = int(round(v))
        s = f"{iv:,}" if (commas or iv >= 10000) else str(iv)
        return s + (".00" if had_dec else "")
    return f"{v:,.2f}" if commas else f"{v:.2f}"


def _money(text: str, rng: random.Random) -> str:
    if not _MONEY_RE.search(text):
        return text
    if _MONEY_BAD.search(re.sub(r"\d\s+dollars\b", "", text)):
        return text
    if re.search(r"\$\s?\d[\d,.]*\s*(?:-|bill|note)", text):
        return text
    f = rng.choice([2, 3, 4, 5, 10])

    def rep(m):
        num = m.group(1) or m.group(2)
        v = float(num.replace(",", "")) * f
        s = _fmt_money(v, "," in num, "." in num)
        if m.group(1) is not None:
            return m.group(0)[: m.group(0).index(num[0])] + s
        return s + m.group(3)
    return _MONEY_RE.sub(rep, text)

# ----------------------------------------------------------------------------------------------------------------------
# 4. lexical distance: nominalisation, then synonyms

_NUMWORD = r"(?:\$|\d|(?:a|an)\s+(?!(?:day|week|month|year|hour|minute|second|while|bit|lot|time|few|little)\b)|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|half)\b)"
# verb lemma -> (light verb lemma, noun phrase)
_NOMINAL = {
    "buy": ("make", "a purchase of"), "sell": ("make", "a sale of"), "walk": ("take", "a walk of"),
    "run": ("go", "on a run of"), "pay": ("make", "a payment of"), "donate": ("make", "a donation of"),
    "invest": ("make", "an investment of"), "spend": ("make", "an outlay of"), "lose": ("suffer", "a loss of"),
    "gain": ("see", "a gain of"), "drive": ("make", "a drive of"), "swim": ("complete", "a swim of"),
    "deposit": ("make", "a deposit of"), "withdraw": ("make", "a withdrawal of"), "order": ("place", "an order for"),
    "borrow": ("take out", "a loan of"), "hike": ("go on", "a hike of"), "bike": ("do", "a ride of"),
}
_LIGHT = {"make": ("makes", "made", "making"), "take": ("takes", "took", "taking"), "go": ("goes", "went", "going"),
          "suffer": ("suffers", "suffered", "suffering"), "see": ("sees", "saw", "seeing"),
          "complete": ("completes", "completed", "completing"), "place": ("places", "placed", "placing"),
          "take out": ("takes out", "took out", "taking out"), "go on": ("goes on", "went on", "going on"),
          "do": ("does", "did", "doing")}
_NOM_FORMS: dict[str, str] = {}
_NOM_LEMMA: dict[str, str] = {}
for _v, (_l, _np) in _NOMINAL.items():
    _lf = _LIGHT[_l]
    _ing = (_v[:-1] if _v.endswith("e") else _v) + "ing"
    if _v in ("run", "swim"):
        _ing = _v + _v[-1] + "ing"
    for _form, _lform in ((_v, _l), (_third(_v), _lf[0]), (_past(_v), _lf[1]), (_ing, _lf[2])):
        _NOM_FORMS[_form] = _lform + " " + _np
        _NOM_LEMMA[_form] = _v

# groups: each entry lists aligned alternatives for every inflected form
_SYN_GROUPS: list[dict[str, list[str]]] = [
    {"sells": ["vends", "retails", "offloads"], "sell": ["vend", "retail", "offload"],
     "sold": ["vended", "retailed", "offloaded"], "selling": ["vending", "retailing", "offloading"]},
    {"buys": ["procures", "pays for", "secures"], "buy": ["procure", "pay for", "secure"],
     "bought": ["procured", "paid for", "secured"], "buying": ["procuring", "paying for", "securing"]},
    {"earns": ["nets", "rakes in"], "earn": ["net", "rake in"], "earned": ["netted", "raked in"],
     "earning": ["netting", "raking in"]},
    {"eats": ["consumes", "polishes off"], "eat": ["consume", "polish off"], "ate": ["consumed", "polished off"],
     "eaten": ["consumed", "polished off"], "eating": ["consuming", "polishing off"]},
    {"collects": ["amasses", "accumulates"], "collect": ["amass", "accumulate"], "collected": ["amassed", "accumulated"],
     "collecting": ["amassing", "accumulating"]},
    {"saves": ["sets aside", "puts by"], "save": ["set aside", "put by"], "saved": ["set aside", "put by"],
     "saving": ["setting aside", "putting by"]},
    {"bakes": ["turns out", "whips up"], "bake": ["turn out", "whip up"], "baked": ["turned out", "whipped up"],
     "baking": ["turning out", "whipping up"]},
    {"walks": ["treks", "hikes"], "walk": ["trek", "hike"], "walked": ["trekked", "hiked"],
     "walking": ["trekking", "hiking"]},
    {"wants to": ["intends to", "aims to", "is keen to"], "wanted to": ["intended to", "aimed to", "was keen to"]},
    {"decides to": ["resolves to", "elects to"], "decided to": ["resolved to", "elected to"]},
    {"receives": ["is handed", "comes away with"], "received": ["was handed", "came away with"]},
    {"picks": ["plucks", "gathers up"], "picked": ["plucked", "gathered up"], "pick": ["pluck", "gather up"]},
    {"plans to": ["means to", "has it in mind to"], "planned to": ["meant to", "had it in mind to"]},
    {"store": ["retail outlet", "emporium"]},
    {"friends": ["companions", "chums"], "friend": ["companion", "chum"]},
    {"money": ["cash", "dough"]},
    {"costs": ["is priced at", "carries a price of"]},
    {"works": ["puts in", "clocks"], "worked": ["put in", "clocked"]},
    {"delivers": ["drops off", "hands out"], "delivered": ["dropped off", "handed out"], "deliver": ["drop off", "hand out"]},
    {"loves": ["adores", "is fond of"], "loved": ["adored", "was fond of"]},
    {"people": ["individuals", "folks"]},
    {"mom": ["mother", "mama"], "dad": ["father", "papa"], "moms": ["mothers", "mamas"], "dads": ["fathers", "papas"]},
    {"the cost of": ["the price of", "the charge for"]},
    {"went to": ["headed to", "made a trip to"], "goes to": ["heads to", "makes a trip to"], "go to": ["head to", "make a trip to"]},
    {"reads": ["gets through", "pores over"]},
    {"drinks": ["downs", "gulps down"], "drank": ["downed", "gulped down"]},
    {"family": ["household", "clan"], "families": ["households", "clans"]},
    {"farm": ["homestead", "ranch"], "farmer": ["grower", "rancher"]},
    {"restaurant": ["eatery", "diner"], "restaurants": ["eateries", "diners"]},
    {"new": ["brand-new", "fresh"]},
    {"several": ["a number of", "a handful of"]},
    {"tries to": ["attempts to", "endeavours to"], "tried to": ["attempted to", "endeavoured to"]},
    {"remaining": ["leftover", "surplus"]},
    {"total": ["overall", "combined"]},
    {"together": ["jointly", "as a group"]},
    {"gives": ["passes", "hands"], "gave": ["passed", "handed"], "give": ["pass", "hand"], "given": ["passed", "handed"]},
    {"teacher": ["instructor", "tutor"], "teachers": ["instructors", "tutors"]},
    {"students": ["learners", "scholars"], "student": ["learner", "scholar"]},
    {"kids": ["young ones", "little ones"], "children": ["young ones", "little ones"]},
    {"house": ["dwelling", "residence"], "houses": ["dwellings", "residences"]},
    {"job": ["position", "post"]},
    {"every day": ["on a daily basis", "day in, day out"], "each day": ["on a daily basis", "day in, day out"]},
    {"every week": ["on a weekly basis", "week in, week out"], "each week": ["on a weekly basis", "week in, week out"]},
    {"per day": ["a day", "for each day"], "per week": ["a week", "for each week"], "per hour": ["an hour", "for each hour"]},
    {"the remainder": ["the balance", "what remains"], "the rest": ["the balance", "what remains"]},
    {"in total": ["all told", "taken together"], "altogether": ["all told", "taken together"], "in all": ["all told", "taken together"]},
    {"because": ["owing to the fact that", "given that"]},
    {"also": ["additionally", "likewise"]},
    {"only": ["merely", "just"]},
    {"twice": ["two times"]},
    {"favorite": ["best-loved", "preferred"], "favourite": ["best-loved", "preferred"]},
    {"large": ["sizeable", "hefty"], "big": ["sizeable", "hefty"]},
    {"small": ["compact", "modest"], "little": ["compact", "modest"]},
    {"is left": ["remains", "is still there"], "are left": ["remain", "are still there"],
     "was left": ["remained", "was still there"], "were left": ["remained", "were still there"]},
    {"starts": ["commences", "kicks off"], "started": ["commenced", "kicked off"], "start": ["commence", "kick off"]},
    {"finishes": ["wraps up", "concludes"], "finished": ["wrapped up", "concluded"], "finish": ["wrap up", "conclude"]},
    {"travels": ["journeys", "voyages"], "traveled": ["journeyed", "voyaged"], "travelled": ["journeyed", "voyaged"],
     "travel": ["journey", "voyage"]},
    {"trip": ["journey", "outing"], "trips": ["journeys", "outings"]},
    {"party": ["bash", "soiree"], "parties": ["bashes", "soirees"]},
    {"gets": ["obtains", "receives"], "got": ["obtained", "received"]},
    {"uses": ["employs", "utilises"], "used": ["employed", "utilised"], "use": ["employ", "utilise"]},
    {"needs": ["requires"], "needed": ["required"], "need": ["require"]},
]
_NOM_PAT = re.compile(r"(?<!\bgets )(?<!\bget )(?<!\bgot )(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbe )"
                      r"(?<!\bbeen )(?<!\bbeing )(?<!\bhave )(?<!\bhas )(?<!\bhad )\b("
                      + "|".join(sorted(_NOM_FORMS, key=len, reverse=True)) + r")\b(?=\s+" + _NUMWORD + r")", re.I)
_SYN_PAT = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted({f for g in _SYN_GROUPS for f in g}, key=len,
                                                                        reverse=True)) + r")\b", re.I)
_RISKY_NEXT = {"makes", "made", "make", "gets", "got", "uses", "used", "use", "needs", "needed", "need", "costs", "works",
               "worked", "reads", "drinks", "drank"}


def _lexical(text: str, rng: random.Random) -> str:
    out = text
    # nominalisation before a quantity
    if rng.random() < 0.85:
        pat = _NOM_PAT
        chosen = {f: rng.random() < 0.8 for f in _NOMINAL}

        def nrep(m):
            w = m.group(1)
            lem = _NOM_LEMMA.get(w.lower(), "")
            if not chosen.get(lem, False):
                return w
            if lem in ("run", "walk", "drive", "swim", "hike", "bike") and re.match(
                    r"[^.,;?]{0,30}\b(?:an|per|a|each|every) (?:hour|minute|second)\b", m.string[m.end():]):
                return w
            if re.match(r"\s+one\s+get\b", m.string[m.end():]):
                return w
            if lem == "spend" and not re.match(r"\s+\$", m.string[m.end():]):
                return w
            return _match_case(w, _NOM_FORMS[w.lower()])
        out = pat.sub(nrep, out)
        # "does she make a purchase of" is fine; "did she made" cannot arise (base form after do stays base)
    mapping: dict[str, str] = {}
    for g in _SYN_GROUPS:
        if rng.random() < 0.2:
            continue
        alts = len(next(iter(g.values())))
        k = rng.randrange(alts)
        for form, reps in g.items():
            mapping[form] = reps[min(k, len(reps) - 1)]
    if not mapping:
        return out
    pat = _SYN_PAT

    def rep(m):
        w = m.group(1)
        r = mapping.get(w.lower())
        if r is None:
            return w
        tail = out[m.end():m.end() + 12]
        # phrasal and light-verb words only before an object that is not a pronoun
        if w.lower() in _RISKY_NEXT and not re.match(r"\s+(?:" + _NUMWORD + r"|the\b|some\b|enough\b|more\b)", tail):
            return w
        if " " in r and re.match(r"\s+(?:him|her|them|it|me|us)\b", tail) and r.split()[-1] in ("up", "out", "off", "in", "by", "aside"):
            return w
        if w.lower() in ("every day", "each day", "every week", "each week") and re.match(
                r"\s+(?:he|she|they|it|we|I|you|that|of|[A-Z][a-z]+)\b", tail):
            return w
        if w[:1].isupper() and not re.search(r"(?:^|[.?!:\n\"]\s*)$", out[:m.start()]):
            return w
        if w.lower() in ("loves", "loved") and re.match(r"\s+to\b", tail):
            return w
        if w.lower() in ("fill", "fills", "filled") and re.match(r"\s+(?:in|out)\b", tail):
            return w
        if w.lower() in ("go to", "goes to", "went to") and re.match(r"\s+(?:sleep|work|school|college|church)\b", tail):
            return w
        if w.lower() == "school" and re.match(r"\s+(?:year|bus|day|supplies|trip|week|term|fair|play)\b", tail):
            return w
        if w.lower() == "store" and not re.search(r"\b(?:the|a|that|this|one|each|every|grocery|toy|book|pet|candy|"
                                                  r"hardware|local|department|shoe|clothing|furniture|music|video|"
                                                  r"supply|craft|thrift|convenience|his|her|their|our|my)\s+$",
                                                  out[:m.start()], re.I):
            return w
        if w.lower() == "total" and (not re.match(r"\s+[a-z]+", tail) or
                                     re.match(r"\s+([a-z]+)", tail).group(1) in _FUNC_AFTER):
            return w
        if tail.startswith(("-", "'", "\u2019")) or out[max(0, m.start() - 1):m.start()] == "-":
            return w
        if w.lower() in ("save", "saves", "saved", "saving") and re.match(r"\s+(?:by|up)\b", tail):
            return w
        if w.lower() in ("give", "given", "gives", "gave") and re.match(r"\s+(?:up|back|away|out|in|off)\b", tail):
            return w
        if w.lower() == "little" and not re.match(r"\s+[a-z]+s\b", tail):
            return w
        if w.lower() in ("only", "also") and re.match(r"\s*[,.]", tail):
            return w
        return _match_case(w, r)
    res = pat.sub(rep, out)
    return _fix_articles(res) if res != out else res

# ----------------------------------------------------------------------------------------------------------------------
# 5. clause restructuring

_SUBJ = r"(She|He|They|I|We|[A-Z][a-z]+)"


def _passive_one(s: str) -> str:
    m = re.match(_SUBJ + r" (\w+) (\d[\d,]*|a|an|one) ((?:[a-z]+ ){0,2}?[a-z]+s)\b(.*)$", s)
    if not m:
        return s
    subj, verb, num, noun, rest = m.groups()
    if subj in _NOT_NAMES and subj not in ("She", "He", "They", "I", "We"):
        return s
    if re.search(r"\d|,|;| and | or ", rest):
        if not re.fullmatch(r" (?:for|at|from|in|on|to|with) \$?[\d.,]*\d(?: each| apiece)?[.!]", rest):
            return s
    if not re.fullmatch(r"(?: (?:for|at|from|in|on|to|with|during|last|this|every|each|yesterday|today)[^,;]*)?[.!]", rest):
        return s
    if verb in ("has", "have"):
        if rest not in (".", "!"):
            return s
        agent = _OBJ_FORM.get(subj.lower(), subj)
        be = "belong"
        if num in ("a", "an", "one", "1"):
            be = "belongs"
        return _cap(f"{num} {noun} {be} to {agent}{rest}")
    info = _BY_FORM.get(verb)
    if not info or info[0] in ("be", "have", "need", "cost", "weigh", "want", "own", "remain", "contain", "fit", "go",
                              "run", "walk", "swim", "travel", "work", "sleep", "jump", "hike", "bike", "jog", "end",
                              "study", "practice", "drive", "ride", "spend", "earn", "save", "lose", "gain", "take",
                              "require", "afford", "expect", "keep"):
        return s
    base, tense = info
    agent = _OBJ_FORM.get(subj.lower(), subj)
    plural = num not in ("a", "an", "one", "1")
    if tense == "p":
        be = "were" if plural else "was"
    else:
        if subj in ("I", "We", "They"):
            return s
        be = "are" if plural else "is"
    # keep the rest attached: "... by her for $5."
    rest_s = rest
    if rest_s.strip() in (".", "!"):
        return _cap(f"{num} {noun} {be} {_part(base)} by {agent}{rest_s}")
    return _cap(f"{num} {noun} {be} {_part(base)} by {agent}{rest_s}")


def _restructure(text: str, rng: random.Random) -> str:
    facts, q = _split_question(text)
    if not facts and not q:
        return text
    new = []
    for s in facts:
        t = s
        r = rng.random()
        if r < 0.4:
            t = _passive_one(t)
        elif r < 0.7:
            m = re.match(r"(If|When|Whenever) ([^,]{4,}), (.+)([.!])$", t)
            if m and m.group(3).split()[0] in ("she", "he", "they", "it", "there", "the", "we", "I", "each", "every") | {
                    w for w in re.findall(r"[A-Z][a-z]+", text) if w not in _NOT_NAMES}:
                main = m.group(3)
                if main.split()[0] not in ("I",) and main.split()[0] not in re.findall(r"[A-Z][a-z]+", text):
                    main = main
                conj = {"If": rng.choice(["provided that", "on condition that"]), "When": "at the point when",
                        "Whenever": "each time that"}[m.group(1)]
                t = _cap(main) + ", " + conj + " " + m.group(2) + m.group(4)
        elif r < 0.9:
            m = re.match(r"(.{12,}?), (and|but|so) (she|he|they|it|we) (.+)$", t)
            if m:
                lead = {"and": rng.choice(["", "Besides that, "]), "but": "Even so, ", "so": "Hence "}[m.group(2)]
                t = m.group(1) + ". " + lead + (m.group(3) if lead else _cap(m.group(3))) + " " + m.group(4)
        new.append(t)
    # merge two short facts with the same pronoun subject
    if len(new) >= 2 and rng.random() < 0.5:
        for i in range(len(new) - 1):
            a, b = new[i], new[i + 1]
            if len(a) < 90 and re.match(r"(She|He|They) ", b) and a.endswith("."):
                new[i:i + 2] = [a[:-1] + "; on top of that, " + b[0].lower() + b[1:]]
                break
    # swap two self-contained facts
    anaph = re.compile(r"\b(she|he|they|it|them|her|his|their|its|this|that|these|those|remainder|rest|remaining|left|"
                       r"then|after|afterwards|also|more|other|another|same|twice|half|times|less|fewer|later|again|next|"
                       r"first|second|last|total|finally|each|remaining|then)\b", re.I)
    if len(new) >= 3 and rng.random() < 0.5:
        for i in range(1, len(new) - 1):
            if not anaph.search(new[i]) and not anaph.search(new[i + 1]):
                new[i], new[i + 1] = new[i + 1], new[i]
                break
    if new and q and len(q) == 1 and (rng.random() < 0.3 or _join(new) == _join(facts)) and not re.search(
            r"\b(she|he|they|her|his|him|them|their|it|its|this|that|these|those)\b", q[0], re.I):
        lead = rng.choice(["What is known:", "The details, for reference:", "Here is the information to use.",
                           "Background:"])
        return _join(q + [lead] + new)
    return _join(new + q)

# ----------------------------------------------------------------------------------------------------------------------
# 6. the question re-asked

_AUX = r"(do|does|did|will|would|can|could|should|must|might)"
_EMBED_NP = ["What I am after is {np}.", "Work out {np}.", "Report {np}.", "The figure wanted is {np}.",
             "Please state {np}.", "Your task: supply {np}."]
_EMBED_CL = ["Pin down {cl}.", "Tell me {cl}.", "I would like to know {cl}.", "Figure out {cl}.",
             "The thing to settle is {cl}."]


def _undo(subj: str, aux: str, rest: str) -> str | None:
    toks = rest.split()
    # the verb is the first token that is a known base verb
    for i, tk in enumerate(toks[:5]):
        if tk in _COMMON_VERBS or tk in _NOMINAL:
            head = " ".join(toks[:i])
            subject = (subj + (" " + head if head else "")).strip()
            tail = " ".join(toks[i + 1:])
            if aux == "does":
                v = _third(tk)
            elif aux == "do":
                v = tk
            elif aux == "did":
                v = _past(tk)
            else:
                v = aux + " " + tk
            return (subject + " " + v + (" " + tail if tail else "")).strip()
    return None


def _question(text: str, rng: random.Random) -> str:
    facts, qs = _split_question(text)
    if not qs:
        return text
    q = qs[0]
    m = re.match(r"(.*?)((?:How|What|Which)\b.*)\?\s*$", q)
    if not m:
        return text
    pre, core = m.group(1), m.group(2)
    if pre and not pre.rstrip().endswith(","):
        return text
    res = None
    mm = re.match(r"How (many|much) (.+?) " + _AUX + r" (\S+) (.*)$", core)
    if mm:
        kind, what, aux, s1, rest = mm.groups()
        body = _undo(s1, aux, rest)
        if body:
            if kind == "many" and rng.random() < 0.6 and not what.startswith(("more ", "fewer ", "less ")):
                res = rng.choice(_EMBED_NP).format(np=f"the number of {what} {body}")
            elif kind == "much" and what in ("money", "cash", "funds", "time") and rng.random() < 0.6:
                res = rng.choice(_EMBED_NP).format(np=f"the amount of {what} {body}")
            else:
                res = rng.choice(_EMBED_CL).format(cl=f"how {kind} {what} {body}")
    if res is None:
        mm = re.match(r"How (much|many|long|far|old|often|fast) " + _AUX + r" (\S+) (.*)$", core)
        if mm:
            kind, aux, s1, rest = mm.groups()
            body = _undo(s1, aux, rest)
            if body:
                res = rng.choice(_EMBED_CL).format(cl=f"how {kind} {body}")
    if res is None:
        mm = re.match(r"What (is|was|will be) (the [^?]+)$", core)
        if mm and " of " not in mm.group(2)[:4]:
            res = rng.choice(_EMBED_NP).format(np=mm.group(2))
    if res is None:
        mm = re.match(r"How (many|much) (.+)$", core)
        if mm:
            res = ("What count of " if mm.group(1) == "many" else "What amount of ") + mm.group(2) + "?"
            if mm.group(2).split()[0] in ("do", "does", "did", "is", "are", "was", "were", "will", "would", "can",
                                          "more", "less", "longer", "farther", "further"):
                res = None
    if res is None:
        return text
    if pre:
        res = pre.rstrip() + " " + res[0].lower() + res[1:]
        res = _cap(res)
    return _join(facts + [res] + qs[1:])

# ----------------------------------------------------------------------------------------------------------------------
# 7. translation round trip

_TIME_END = r"(every (?:day|morning|evening|night|week|month|year|weekend|afternoon)|each (?:day|morning|week|month|year)|" \
            r"on (?:Mondays?|Tuesdays?|Wednesdays?|Thursdays?|Fridays?|Saturdays?|Sundays?|weekends)|yesterday|today|" \
            r"last (?:week|month|year)|this (?:week|month|year)|daily|weekly)"
_TR_PHRASES = [
    (r"\btwice as (many|much)\b", lambda m: "double so " + m.group(1)),
    (r"\b(\w+) times as (many|much)\b", lambda m: m.group(1) + " times so " + m.group(2)),
    (r"\bhalf as (many|much)\b", lambda m: "half so " + m.group(1)),
    (r"\bmore than\b", lambda m: "more as"),
    (r"\bhalf of the\b", lambda m: "the half of the"),
    (r"(\$\d(?:[\d,.]*\d)?) each(?=[.,;?!]|\s+(?:and|but|or|if|for|from|at|in)\b)", lambda m: m.group(1) + " per piece"),
    (r"\bevery day\b", lambda m: "day for day"),
    (r"\bevery week\b", lambda m: "week for week"),
    (r"\bfor (breakfast|lunch|dinner)\b", lambda m: "to the " + m.group(1)),
    (r"\bat the (\w+'? )?(market|fair|sale)\b", lambda m: "on the " + (m.group(1) or "") + m.group(2)),
    (r"\byears old\b", lambda m: "years of age"),
    (r"\bit takes\b", lambda m: "one needs"),
    (r"\bIt takes\b", lambda m: "One needs"),
    (r"\bwants to\b", lambda m: "would like to"),
    (r"\bwant to\b", lambda m: "would like to"),
    (r"\bhas to\b", lambda m: "must"),
    (r"\bhave to\b", lambda m: "must"),
    (r"\bin total\b", lambda m: "in the sum"),
    (r"\ba lot of\b", lambda m: "very many"),
    (r"(\$?\d[\d,.]*(?: dollars)?) (?:a|an|per) (day|week|month|year|hour)\b", lambda m: m.group(1) + " the " + m.group(2)),
    (r"\b(do|does|did|doing) (his|her|their|my|your) homework\b",
     lambda m: {"do": "make", "does": "makes", "did": "made", "doing": "making"}[m.group(1)] + " " + m.group(2) + " homework"),
    (r"\b(go|goes|went) to (sleep|bed)\b", lambda m: m.group(1) + " sleeping"),
    (r"\b(pay|pays|paid) for\b", lambda m: m.group(1)),
    (r"\b(listen|listens|listened) to\b", lambda m: {"listen": "hear", "listens": "hears", "listened": "heard"}[m.group(1)]),
    (r"\b(wait|waits|waited) for\b", lambda m: m.group(1) + " on"),
    (r"\b(get|gets|got) up\b", lambda m: {"get": "stand", "gets": "stands", "got": "stood"}[m.group(1)] + " up"),
    (r"\bon the weekends?\b", lambda m: "at the weekend"),
    (r"\b(next|last) (week|month|year)\b", lambda m: "the " + m.group(1) + " " + m.group(2)),
    (r"\bhalf an hour\b", lambda m: "a half hour"),
    (r"\b(spend|spends|spent) (\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten) (hours?|minutes?|days?)\b",
     lambda m: {"spend": "pass", "spends": "passes", "spent": "passed"}[m.group(1)] + " " + m.group(2) + " " + m.group(3)),
    (r"\bHow long(?= (?:will|does|did|would|do|is it going to)\b[^?]*\b(?:take|last|spend|wait)\b)",
     lambda m: "How much time"),
    (r"\bdoesn't\b", lambda m: "does not"), (r"\bdon't\b", lambda m: "do not"), (r"\bdidn't\b", lambda m: "did not"),
    (r"\bisn't\b", lambda m: "is not"), (r"\baren't\b", lambda m: "are not"), (r"\bcan't\b", lambda m: "cannot"),
    (r"\bwon't\b", lambda m: "will not"),
]


def _translate(text: str, rng: random.Random) -> str:
    facts, qs = _split_question(text)
    new = []
    for s in facts:
        t = s
        mv = re.match(r"((?:On|In|At|During|After|Before|Then|Next|Later|Yesterday|Today|Last|This|Every|Each|Now|"
                      r"Afterwards|Meanwhile|Finally|Also)\b[^,]{0,40}), (she|he|they|we|I|[A-Z][a-z]+) (\w+) (.+)$", t)
        if mv and mv.group(3) in _BY_FORM and _BY_FORM[mv.group(3)][1] in ("3", "p") and rng.random() < 0.85 and (
                mv.group(2) not in _NOT_NAMES):
            new.append(mv.group(1) + " " + mv.group(3) + " " + mv.group(2) + " " + mv.group(4))
            continue
        m = re.match(r"(She|He|They|We|I|[A-Z][a-z]+) (\w+) (.+?),? " + _TIME_END + r"([.!])$", t)
        if m and m.group(1) not in _NOT_NAMES | {"She", "He", "They", "We", "I"} or (
                m and m.group(1) in ("She", "He", "They", "We", "I")):
            subj, verb, rest, tm, end = m.groups()
            if verb in _BY_FORM and _BY_FORM[verb][0] not in ("be",) and rng.random() < 0.8:
                sj = subj if subj not in ("She", "He", "They", "We") else subj.lower()
                t = _cap(tm) + " " + verb + " " + sj + " " + rest + end
        new.append(t)
    q2 = []
    for q in qs:
        t = q
        m = re.match(r"(.*?)How much (does|do|did) (.+?) cost\?$", t)
        if m and "," not in m.group(3):
            t = m.group(1) + "How expensive " + ("was" if m.group(2) == "did" else "is" if m.group(2) == "does" else "are") \
                + " " + m.group(3) + "?"
        else:
            m = re.match(r"(.*?\b(?:How|What) (?:many|much)(?: [a-z]+(?: [a-z]+)?)?) (does|did) (she|he|it|[A-Z][a-z]+) (\w+)\b(.*)$", t)
            if m and m.group(4) in _COMMON_VERBS and m.group(4) not in ("be", "do"):
                pre, aux, subj, verb, rest = m.groups()
                v = _third(verb) if aux == "does" else _past(verb)
                t = pre + " " + v + " " + subj + rest
        q2.append(t)
    out = _join(new + q2)
    for pat, fn in _TR_PHRASES:
        if rng.random() < 0.85:
            out = re.sub(pat, fn, out)
    # possessive turned round for a name and a plain noun
    if rng.random() < 0.7:
        out = re.sub(r"\b([A-Z][a-z]+)'s ([a-z]+)\b(?=(\W*)(\w*))",
                     lambda m: m.group(0) if (m.group(1) in _NOT_NAMES or m.group(3).strip() not in ("", ",", ".", "?")
                                              or (m.group(3).strip() == "" and m.group(4) in ("and", "or"))
                                              or (m.group(3).strip() == "" and m.group(4) not in _FUNC_AFTER
                                                  and m.group(4) not in _BY_FORM))
                     else "the " + m.group(2) + " of " + m.group(1), out)
        out = _recap(out)
    return out

# ----------------------------------------------------------------------------------------------------------------------
# 8. number forms (values kept)

_SPECIAL = {12: ["a dozen"], 18: ["a dozen and a half", "one and a half dozen"], 24: ["two dozen"],
            36: ["three dozen"], 48: ["four dozen"], 6: ["half a dozen"], 20: ["a score"], 40: ["two score"],
            60: ["three score"], 80: ["four score"], 144: ["a gross"], 13: ["a baker's dozen"], 50: ["half a hundred"],
            100: ["a hundred", "one hundred"], 1000: ["a thousand"], 1500: ["fifteen hundred"],
            1200: ["twelve hundred"], 2500: ["twenty-five hundred"], 72: ["six dozen"]}
_FRAC = {"1/2": "one half", "1/3": "one third", "2/3": "two thirds", "1/4": "one quarter", "3/4": "three quarters",
         "1/5": "one fifth", "2/5": "two fifths", "3/5": "three fifths", "1/6": "one sixth", "1/8": "one eighth",
         "1/10": "one tenth"}
_PCT_OF = {25: "a quarter of", 50: "half of", 75: "three quarters of", 20: "one fifth of", 10: "one tenth of"}
_NUM_TOKEN = re.compile(r"\$?" + _NUMPAT + r"(?:/\d+)?%?")


def _arith(n: int, rng: random.Random) -> str | None:
    opts = []
    if n > 10 and n % 10:
        m = (n // 10 + 1) * 10
        opts.append(f"{_words(m - n)} less than {_words(m) if m <= 100 else m}")
    if n >= 8 and n <= 200:
        for f in (2, 3, 4, 5):
            if n % f == 0 and n // f >= 3:
                opts.append(f"{_words(f)} times {_words(n // f) if n // f <= 100 else n // f}")
                break
    if 4 <= n <= 60:
        opts.append(f"half of {2 * n}")
    return rng.choice(opts) if opts else None


def _numbers(text: str, rng: random.Random) -> str:
    style_word = rng.random()
    n_arith = [0]
    pieces = []
    last = 0
    for m in _NUM_TOKEN.finditer(text):
        tok = m.group(0)
        pre = text[max(0, m.start() - 1):m.start()]
        post = text[m.end():m.end() + 14]
        if (pre and (pre.isalnum() or pre in "-/:.,")) or (post[:1] and (post[:1].isalnum() or post[:1] in "-/:$\"'\u2019\u201d")):
            continue
        if re.match(r"\s*(?:a\.?m\b|p\.?m\b|o'clock|[x\u00d7*]\s)", post) or re.search(r"[x\u00d7*]\s*$", text[:m.start()]):
            continue
        rep = None
        r = rng.random()
        try:
            if tok.endswith("%"):
                v = tok[:-1]
                if re.fullmatch(r"\d+", v):
                    iv = int(v)
                    if iv in _PCT_OF and post.startswith(" of") and r < 0.5:
                        rep = _PCT_OF[iv]
                        post_cut = 3
                        pieces.append(text[last:m.start()])
                        pieces.append(rep)
                        last = m.end() + post_cut
                        continue
                    if r < 0.8 and iv <= 100:
                        rep = _words(iv) + " percent"
            elif tok.startswith("$"):
                v = tok[1:].replace(",", "")
                if re.fullmatch(r"\d+", v) and int(v) < 1_000_000 and r < 0.45 and not re.match(r"\s*(?:an?|per|each)\b|\s*[a-z]+", post[:1] + post[1:6]) :
                    rep = _words(int(v)) + (" dollar" if int(v) == 1 else " dollars")
                elif re.fullmatch(r"\d+", v) and int(v) < 1_000_000 and r < 0.45 and re.match(r"\s+(?:per|each|an?)\b", post):
                    rep = _words(int(v)) + (" dollar" if int(v) == 1 else " dollars")
            elif "/" in tok:
                if tok in _FRAC and r < 0.8:
                    rep = _FRAC[tok]
            elif "." in tok:
                if re.fullmatch(r"\d+\.5", tok) and re.match(r" [a-z]", post) and r < 0.8:
                    whole = int(tok.split(".")[0])
                    rep = ("half a" if whole == 0 else _words(whole) + " and a half")
                    if whole == 0:
                        rep = None
            else:
                iv = int(tok.replace(",", ""))
                if 1800 <= iv <= 2100 and "," not in tok:
                    continue
                prevw = re.findall(r"(\w+)\s*$", text[:m.start()])
                prevw = prevw[0].lower() if prevw else ""
                nounish = re.match(r" ([a-z]+)", post)
                nounish = nounish.group(1) if nounish else ""
                plural_next = bool(nounish) and nounish.endswith("s") and nounish not in ("times", "is", "was", "has",
                                                                                           "does", "less", "plus")
                if iv in _SPECIAL and r < 0.3 and prevw not in ("than", "by", "times", "of") and nounish != "times":
                    rep = rng.choice(_SPECIAL[iv])
                    if rep.startswith("a ") and prevw in ("a", "an", "the"):
                        rep = None
                    elif rep and ("score" in rep or "gross" in rep) and re.match(r" [A-Za-z]", post):
                        rep += " of"
                elif plural_next and r < 0.5 and n_arith[0] < 2 and prevw not in ("than", "by", "times", "the", "of", "and", "all", "every", "each", "per", "an",
                                                                                   "to", "from", "between"):
                    rep = _arith(iv, rng)
                    if rep:
                        n_arith[0] += 1
                if rep is None and r < (0.55 + 0.3 * style_word) and iv < 1_000_000:
                    rep = _words(iv)
        except Exception:
            rep = None
        if rep is None:
            continue
        pieces.append(text[last:m.start()])
        pieces.append(rep)
        last = m.end()
    pieces.append(text[last:])
    out = "".join(pieces)
    if out == text:
        return text
    return _recap(_fix_articles(out))

# ----------------------------------------------------------------------------------------------------------------------
# 9. wrappers

_CHAT_ACK = ["Okay, got that. Keep going.", "Noted. What else?", "Sure, I'm following.", "Right. And then?",
             "Understood, carry on.", "Mm-hm, go ahead."]
_CHAT_OPEN = ["Hey, can you help me with something from my kid's homework? I'll send it in bits.",
              "I have a word problem, but I'll type it a piece at a time.",
              "Quick puzzle for you, sent in parts because my phone is acting up."]
_CHAT_END = ["That's the whole thing. Can you solve it?", "That's everything. What do you get?",
             "That's all the info I have. Answer please."]
_NOISE = ["The hallway light keeps flickering again.", "Remind me to water the ferns before the weekend.",
          "Honestly, the coffee at the new place is much better.", "Somebody left the gate open this morning.",
          "I still have not found the charger for the old laptop.", "The neighbours are painting their fence blue.",
          "It rained the whole afternoon, which nobody expected.", "My sister says the film was far too long.",
          "Anyway, the printer is jammed as usual.", "The cat next door sat on our porch all evening.",
          "I need to call the plumber about the sink."]
_TASKS = [
    ("Please do the following three things with the text between the lines: (a) give it a title, (b) list the "
     "people in it, (c) answer the question it asks.\n-----\n{p}\n-----", ""),
    ("Translate the passage below into Spanish, then solve it and give the final answer in English.\n\n{p}", ""),
    ("Subject: newsletter draft\n\nHi all,\n\nAttached is the brain-teaser for this month's issue. Could someone "
     "check that it is solvable before Friday?\n\n> {p}\n\nThanks,\nthe editorial desk", ""),
    ("# fixtures/word_problems.py\nPROMPT = (\n    \"{p}\"\n)\nEXPECTED = None  # fill in the numeric answer", ""),
    ("Step 1: Read the story carefully.\nStep 2: Underline every quantity.\nStep 3: Solve it.\nStep 4: Check your "
     "units.\n\nStory: {p}", ""),
]


def _wrapper(text: str, rng: random.Random) -> str:
    kind = rng.randrange(3)
    ss = _sentences(text)
    if kind == 0 and len(ss) >= 2:
        n = min(len(ss), rng.choice([2, 3, 3, 4]))
        # split sentences into n chunks, in order
        cuts = sorted(rng.sample(range(1, len(ss)), n - 1)) if n > 1 else []
        chunks, prev = [], 0
        for c in cuts + [len(ss)]:
            chunks.append(_join(ss[prev:c]))
            prev = c
        lines = ["User: " + rng.choice(_CHAT_OPEN)]
        acks = rng.sample(_CHAT_ACK, len(_CHAT_ACK))
        lines.append("Assistant: " + acks[0])
        for i, ch in enumerate(chunks):
            lines.append("User: " + ch)
            if i < len(chunks) - 1:
                lines.append("Assistant: " + acks[(i + 1) % len(acks)])
        lines.append("User: " + rng.choice(_CHAT_END))
        return "\n".join(lines)
    if kind == 1 and len(ss) >= 2:
        noise = rng.sample(_NOISE, min(len(_NOISE), len(ss)))
        out = []
        for i, s in enumerate(ss):
            if i < len(ss) - 1 and rng.random() < 0.7:
                out.append(s)
                out.append(noise[i % len(noise)])
            else:
                out.append(s)
        if out == ss:
            out = ss[:1] + [noise[0]] + ss[1:]
        return "Notes from today, sorry they are messy. " + " ".join(out)
    tmpl = rng.choice(_TASKS)[0]
    p = text.replace('"', "'") if "PROMPT" in tmpl else text
    return tmpl.format(p=p)

# ----------------------------------------------------------------------------------------------------------------------

_KINDS = [("names", _names), ("objects", _objects), ("money", _money), ("restructure", _restructure),
          ("question", _question), ("translation", _translate), ("lexical", _lexical), ("numbers", _numbers),
          ("wrapper", _wrapper)]
_P_ON = {"names": 0.7, "objects": 0.6, "money": 0.4, "lexical": 0.75, "restructure": 0.6, "question": 0.6,
         "translation": 0.35, "numbers": 0.65, "wrapper": 0.45}


def _apply(text: str, on: set[str], rng: random.Random) -> tuple[str, int]:
    changed = 0
    cur = text
    for name, fn in _KINDS:
        if name not in on:
            continue
        try:
            new = fn(cur, rng)
            if not isinstance(new, str) or not new.strip():
                new = cur
        except Exception:
            new = cur
        if new != cur:
            changed += 1
        cur = new
    return cur, changed


def rewrite(text: str, rng: random.Random) -> str:
    """Return a disguised copy of the same GSM8K problem (see the module docstring)."""
    try:
        src = " ".join(str(text).split())
        if not src:
            return "Here is the problem: " + str(text)
        on = {k for k, _ in _KINDS if rng.random() < _P_ON[k]}
        out, n = _apply(src, on, rng)
        while n < 3 and len(on) < len(_KINDS):
            off = [k for k, _ in _KINDS if k not in on]
            on.add(rng.choice(off))
            out, n = _apply(src, on, rng)
        if out.strip() == str(text).strip() or out.strip() == src:
            out = _wrapper(src, rng)
        return out
    except Exception:
        return "Problem (please solve): " + str(text)
